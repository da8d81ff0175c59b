//! Property tests (proptest): any well-formed spec round-trips through its URL token, any
//! seek lands on the world a fresh run reaches, and arbitrary token text never panics.

use engine::scenarios::build;
use engine::sim::spec::{Action, Override, RunSpec, When};
use engine::sim::world::SimOptions;
use proptest::prelude::*;

fn node() -> impl Strategy<Value = u16> {
    0u16..3
}

fn link() -> impl Strategy<Value = Option<(u16, u16)>> {
    prop_oneof![
        Just(None),
        (0u16..3, 1u16..3).prop_map(|(a, d)| Some((a, (a + d) % 3)))
    ]
}

fn action() -> impl Strategy<Value = Action> {
    prop_oneof![
        node().prop_map(Action::Crash),
        node().prop_map(Action::Restart),
        node().prop_map(Action::Pause),
        node().prop_map(Action::Resume),
        Just(Action::Partition(vec![vec![0], vec![1, 2]])),
        (0u16..3, 1u16..3).prop_map(|(a, d)| Action::Cut(a, (a + d) % 3)),
        (0u16..3, 1u16..3).prop_map(|(a, d)| Action::Mend(a, (a + d) % 3)),
        Just(Action::Heal),
        Just(Action::HealAll),
        any::<u64>().prop_map(Action::Deliver),
        any::<u64>().prop_map(Action::Drop),
        (link(), 0u32..=1_000_000).prop_map(|(l, p)| Action::Loss(l, p)),
        (link(), 0u32..=1_000_000).prop_map(|(l, p)| Action::Dup(l, p)),
        (link(), 1u64..100, 0u64..100).prop_map(|(l, lo, d)| Action::Latency(l, lo, lo + d)),
        (node(), -1_000i64..1_000, -50_000i32..50_000).prop_map(|(n, s, d)| Action::Clock(n, s, d)),
        (
            node(),
            prop_oneof![
                Just("inc".to_string()),
                (0u32..100).prop_map(|k| format!("add{k}"))
            ]
        )
            .prop_map(|(n, t)| Action::Request(n, t)),
    ]
}

fn overrides() -> impl Strategy<Value = Vec<Override>> {
    prop::collection::vec(
        (any::<bool>(), 0u64..2_000, action()).prop_map(|(timed, at, action)| Override {
            at: if timed {
                When::Time(at)
            } else {
                When::Step(at)
            },
            action,
        }),
        0..12,
    )
}

proptest! {
    #[test]
    fn tokens_round_trip(seed in any::<u64>(), overrides in overrides()) {
        let spec = RunSpec { scenario: "retry-dedup".into(), seed, overrides };
        prop_assert_eq!(engine::scenarios::spec_from_token(&spec.to_url_token()).unwrap(), spec);
    }

    #[test]
    fn arbitrary_tokens_never_panic(text in "[0-9a-zA-Z~._-]{0,60}") {
        let _ = engine::scenarios::spec_from_token(&text);
        let _ = engine::scenarios::spec_from_token(&format!("1~retry-lossy~1~{text}"));
    }

    #[test]
    fn seeking_equals_a_fresh_run(seed in 0u64..1_000, targets in prop::collection::vec(0u64..3_000, 1..6)) {
        let spec = engine::scenarios::default_spec("heartbeat-spikes", seed).unwrap();
        let mut sim = build(&spec, SimOptions::INTERACTIVE).unwrap();
        for k in targets {
            sim.seek(k).unwrap();
            let mut fresh = build(&spec, SimOptions::INTERACTIVE).unwrap();
            fresh.run_steps(k).unwrap();
            prop_assert_eq!(sim.view(20), fresh.view(20));
        }
    }
}
