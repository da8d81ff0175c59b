//! Run tokens: every spec round-trips through its URL token, and garbage is a clear error.

use engine::error::SimError;
use engine::scenarios::{find, scenario_ids};
use engine::sim::spec::{Action, Override, RunSpec, When};

#[test]
fn swarm_specs_round_trip() {
    for id in scenario_ids() {
        let s = find(id).unwrap();
        for seed in 0..300 {
            let spec = s.swarm_spec(seed);
            let token = spec.to_url_token();
            assert!(token
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-._~".contains(&b)));
            assert_eq!(
                engine::scenarios::spec_from_token(&token).unwrap(),
                spec,
                "{token}"
            );
        }
    }
}

#[test]
fn every_action_round_trips() {
    let actions = vec![
        Action::Crash(1),
        Action::Restart(1),
        Action::Pause(2),
        Action::Resume(2),
        Action::Partition(vec![vec![0, 1], vec![2]]),
        Action::Cut(2, 0),
        Action::Mend(2, 0),
        Action::Heal,
        Action::HealAll,
        Action::Deliver(17),
        Action::Drop(4),
        Action::Loss(None, 200_000),
        Action::Loss(Some((0, 1)), 5),
        Action::Dup(Some((1, 0)), 7),
        Action::Latency(None, 3, 9),
        Action::Latency(Some((2, 1)), 1, 400),
        Action::Clock(1, -50, -20_000),
        Action::Request(1, "add5".into()),
    ];
    let overrides = actions
        .into_iter()
        .enumerate()
        .map(|(i, action)| Override {
            at: if i % 2 == 0 {
                When::Time(i as u64 * 10)
            } else {
                When::Step(i as u64)
            },
            action,
        })
        .collect();
    let spec = RunSpec {
        scenario: "retry-lossy".into(),
        seed: u64::MAX,
        overrides,
    };
    let token = spec.to_url_token();
    assert_eq!(engine::scenarios::spec_from_token(&token).unwrap(), spec);
    // JSON works too, for the app's boundary.
    let json = serde_json::to_string(&spec).unwrap();
    assert_eq!(serde_json::from_str::<RunSpec>(&json).unwrap(), spec);
}

#[test]
fn garbage_is_rejected_with_a_reason() {
    let cases: &[(&str, &str)] = &[
        ("", "version"),
        ("2~retry-lossy~1", "version"),
        ("1~", "scenario"),
        ("1~retry-lossy", "seed"),
        ("1~retry-lossy~x", "seed"),
        ("1~retry-lossy~1~", "override"),
        ("1~retry-lossy~1~c1", "override"),
        ("1~retry-lossy~1~t5", "missing action"),
        ("1~retry-lossy~1~t5y1", "unknown action"),
        ("1~retry-lossy~1~t5cX", "node id"),
        ("1~retry-lossy~1~t5L1", "value"),
        ("1~retry-lossy~1~t5x1", "cut"),
        ("1~retry-lossy~1~t5hh", "unexpected"),
        ("1~retry-lossy~99999999999999999999", "seed"),
        ("%%%", "version"),
    ];
    for (token, why) in cases {
        match engine::scenarios::spec_from_token(token) {
            Err(SimError::BadToken(msg)) => assert!(msg.contains(why), "{token:?}: {msg}"),
            other => panic!("{token:?}: expected BadToken, got {other:?}"),
        }
    }
}

#[test]
fn wrong_scenario_or_override_is_rejected() {
    assert!(matches!(
        engine::scenarios::spec_from_token("1~no-such-thing~1"),
        Err(SimError::UnknownScenario { .. })
    ));
    let msg = engine::scenarios::spec_from_token("1~no-such-thing~1")
        .unwrap_err()
        .to_string();
    assert!(
        msg.contains("retry-lossy"),
        "the error lists known scenarios: {msg}"
    );
    for token in [
        "1~retry-lossy~1~t5c9",
        "1~retry-lossy~1~t5R1.fly",
        "1~retry-lossy~1~t5p0.1",
        "1~heartbeat-spikes~1~t5R1.inc",
        "1~retry-lossy~1~t5l1.1.5",
    ] {
        assert!(
            matches!(
                engine::scenarios::spec_from_token(token),
                Err(SimError::BadOverride(_))
            ),
            "{token}"
        );
    }
}

#[test]
fn an_override_that_does_not_apply_is_an_error_value() {
    use engine::sim::session::Command;
    let mut session = engine::scenarios::open("retry-lossy", 1).unwrap();
    session.run(Command::Step(3)).unwrap();
    let before = session.view();
    for action in [
        Action::Deliver(999),
        Action::Drop(999),
        Action::Restart(1),
        Action::Resume(1),
    ] {
        match session.run(Command::Apply(action.clone())) {
            Err(SimError::OverrideNotApplicable {
                step: 3, reason, ..
            }) => {
                assert!(!reason.is_empty())
            }
            other => panic!("{action:?}: {other:?}"),
        }
        assert_eq!(
            session.view(),
            before,
            "a failed override leaves the world unchanged"
        );
    }
    let spec = engine::scenarios::spec_from_token("1~retry-lossy~1~t0c1~t1c1").unwrap();
    let mut sim = engine::scenarios::build(&spec, engine::sim::world::SimOptions::FAST).unwrap();
    assert!(matches!(
        sim.run_steps(10),
        Err(SimError::OverrideNotApplicable { .. })
    ));
}
