//! The scenarios: each property fails on the runs that should fail it and holds where it
//! should, on every seed.

use crate::protocols::dynamo::properties::stored;
use crate::protocols::dynamo::scenarios::{A, B, HEAL_AT, PARTITION_AT};
use crate::protocols::dynamo::types::{Msg, Note, Version};
use crate::protocols::dynamo::view::{counters, panels, GROUP_STALE};
use crate::protocols::dynamo::{leaderless_quorum, partial_quorum, Dynamo};
use crate::sim::check::check_scenario;
use crate::sim::panel::Panel;
use crate::sim::protocol::Protocol;
use crate::sim::spec::{Action, Override, RunSpec};
use crate::sim::trace::Event;
use crate::sim::world::{Scenario, Sim, SimOptions, Violation};

const SEEDS: u64 = 20;
/// The end of the story's runs.
const END: u64 = 2_000;

fn spec(scenario: &Scenario<Dynamo>, seed: u64, choices: &[(&str, &str)]) -> RunSpec {
    let mut spec = RunSpec::new(scenario.id, seed);
    spec.overrides = scenario.script.clone();
    for (name, choice) in choices {
        spec.overrides.push(Override::at(
            0,
            Action::Set((*name).into(), (*choice).into()),
        ));
    }
    spec
}

fn check(scenario: Scenario<Dynamo>, seed: u64, choices: &[(&str, &str)]) -> Option<Violation> {
    let spec = spec(&scenario, seed, choices);
    check_scenario(&scenario, &spec).expect("runs")
}

fn run(scenario: Scenario<Dynamo>, seed: u64, choices: &[(&str, &str)], until: u64) -> Sim<Dynamo> {
    let spec = spec(&scenario, seed, choices);
    let mut sim = Sim::new(scenario, spec, SimOptions::INTERACTIVE).expect("builds");
    sim.run_until_time(until, false).expect("runs");
    sim
}

fn held(sim: &Sim<Dynamo>, node: u16, key: u8) -> Version {
    stored(&sim.world_ref(), node).0[usize::from(key) - 1]
}

#[test]
fn a_sloppy_quorum_acknowledges_a_write_that_the_next_quorum_read_misses() {
    // Dynamo §4.6: with sloppy quorums, R + W > N no longer means the quorums meet.
    for seed in 0..SEEDS {
        let v = check(leaderless_quorum(), seed, &[]).expect("the read of k1 is stale");
        assert_eq!(v.property, "reads-see-acknowledged-writes", "seed {seed}");
        assert!(v.time > 420 && v.time < HEAL_AT, "seed {seed}: {v:?}");
        let message = v.message.unwrap_or_default();
        assert!(
            message.contains(&format!("n{B}'s get of k1"))
                && message.contains("hint for n")
                && message.contains("from n2, n3") | message.contains("from n3, n2"),
            "seed {seed}: {message}"
        );
    }
}

#[test]
fn strict_quorums_refuse_the_partitioned_write_instead_and_nothing_is_stale() {
    for seed in 0..SEEDS {
        assert_eq!(
            check(leaderless_quorum(), seed, &[("sloppy", "off")]),
            None,
            "seed {seed}"
        );
        let sim = run(leaderless_quorum(), seed, &[("sloppy", "off")], END);
        let gave_up = sim.world_ref().observed().iter().any(|o| {
            o.node == A && o.t > PARTITION_AT && matches!(o.note, Note::GaveUp { key: 1, .. })
        });
        assert!(
            gave_up,
            "seed {seed}: A's put of k1 is refused during the partition"
        );
    }
}

#[test]
fn a_sloppy_get_is_answered_by_fallbacks_during_the_partition_and_a_strict_one_gives_up() {
    for seed in 0..SEEDS {
        for sloppy in ["on", "off"] {
            let scenario = leaderless_quorum();
            let mut spec = spec(&scenario, seed, &[("sloppy", sloppy)]);
            spec.overrides
                .push(Override::at(600, Action::Request(A, "get-k1".into())));
            let mut sim = Sim::new(scenario, spec, SimOptions::INTERACTIVE).expect("builds");
            sim.run_until_time(HEAL_AT - 1, false).expect("runs");
            let answered = sim
                .world_ref()
                .observed()
                .iter()
                .find_map(|o| match &o.note {
                    Note::GetOk { key: 1, from, .. } if o.node == A && o.t > 600 => {
                        Some(from.clone())
                    }
                    _ => None,
                });
            match sloppy {
                "on" => {
                    let from = answered.expect("answered");
                    assert!(from.contains(&1), "seed {seed}: n1 is the home A reaches");
                    assert!(
                        from.iter().any(|n| [0, 4].contains(n)),
                        "seed {seed}: a fallback answered: {from:?}"
                    );
                }
                _ => assert_eq!(answered, None, "seed {seed}: too few home nodes answer"),
            }
        }
    }
}

#[test]
fn a_hint_survives_its_holders_crash_and_is_still_handed_off() {
    for seed in 0..SEEDS {
        let scenario = leaderless_quorum();
        let mut spec = spec(
            &scenario,
            seed,
            &[("anti-entropy", "off"), ("repair", "off")],
        );
        spec.overrides.push(Override::at(600, Action::Crash(4)));
        spec.overrides.push(Override::at(620, Action::Restart(4)));
        spec.overrides.push(Override::at(640, Action::Crash(0)));
        let mut sim = Sim::new(scenario, spec, SimOptions::INTERACTIVE).expect("builds");
        sim.run_until_time(END, false).expect("runs");
        let newest = held(&sim, 1, 1);
        for home in [2, 3] {
            assert_eq!(held(&sim, home, 1), newest, "seed {seed}: n{home} has k1");
        }
        let (c, _) = counters(&sim.world_ref());
        assert_eq!(c.handoffs_done, 2, "seed {seed}: {c:?}");
    }
}

#[test]
fn hinted_handoff_delivers_the_write_to_its_home_nodes_after_the_heal() {
    for seed in 0..SEEDS {
        // Without read repair and anti-entropy only the handoff can bring k1 to n2 and n3.
        let choices = [("repair", "off"), ("anti-entropy", "off")];
        let during = run(leaderless_quorum(), seed, &choices, HEAL_AT - 1);
        let newest = held(&during, 1, 1);
        assert!(
            newest > held(&during, 2, 1),
            "seed {seed}: n2 is behind on k1"
        );
        let after = run(leaderless_quorum(), seed, &choices, END);
        for home in [2, 3] {
            assert_eq!(held(&after, home, 1), newest, "seed {seed}: n{home} has k1");
        }
        let (c, _) = counters(&after.world_ref());
        assert_eq!(
            (c.hinted_writes, c.handoffs_done),
            (2, 2),
            "seed {seed}: {c:?}"
        );
        let handoffs_after_heal = after
            .world_ref()
            .observed()
            .iter()
            .filter(|o| matches!(o.note, Note::HandedOff { .. }))
            .all(|o| o.t > HEAL_AT);
        assert!(handoffs_after_heal, "seed {seed}: hints wait for the heal");
    }
}

#[test]
fn read_repair_fixes_the_stale_replica_a_read_hears_from() {
    for seed in 0..SEEDS {
        let choices = [("anti-entropy", "off")];
        let before = run(leaderless_quorum(), seed, &choices, HEAL_AT + 4);
        assert!(
            held(&before, 4, 10) < held(&before, 2, 10),
            "seed {seed}: n4 missed k10"
        );
        let after = run(leaderless_quorum(), seed, &choices, HEAL_AT + 200);
        assert_eq!(
            held(&after, 4, 10),
            held(&after, 2, 10),
            "seed {seed}: n4 repaired"
        );
        assert!(after
            .world_ref()
            .observed()
            .iter()
            .any(|o| matches!(o.note, Note::RepairSent { key: 10, to: 4, .. })));
        // With read repair off too, nothing fixes n4's k10: the replicas never converge.
        let v = check(
            leaderless_quorum(),
            seed,
            &[("anti-entropy", "off"), ("repair", "off")],
        );
        assert!(
            matches!(&v, Some(v) if v.property == "reads-see-acknowledged-writes"),
            "the stale read comes first: {v:?}"
        );
        let v = check(
            leaderless_quorum(),
            seed,
            &[
                ("anti-entropy", "off"),
                ("repair", "off"),
                ("sloppy", "off"),
            ],
        );
        assert_eq!(
            v.map(|v| v.property),
            Some("replicas-converge".to_string()),
            "seed {seed}"
        );
    }
}

#[test]
fn anti_entropy_alone_brings_every_replica_up_to_date() {
    for seed in 0..SEEDS {
        let choices = [("repair", "off"), ("sloppy", "off")];
        assert_eq!(
            check(leaderless_quorum(), seed, &choices),
            None,
            "seed {seed}"
        );
        let sim = run(leaderless_quorum(), seed, &choices, END);
        assert_eq!(
            held(&sim, 4, 14),
            held(&sim, 2, 14),
            "seed {seed}: k14 reached n4"
        );
        let (_, last) = counters(&sim.world_ref());
        assert!(last.is_some(), "seed {seed}: exchanges ran");
        let fixed = sim.world_ref().observed().iter().any(|o| {
            matches!(o.note, Note::Exchanged(t) if t.differs[0] == 1 && t.keys_sent > 0)
                && o.t > HEAL_AT
        });
        assert!(
            fixed,
            "seed {seed}: an exchange after the heal found the difference"
        );
    }
}

#[test]
fn r_plus_w_at_most_n_reads_stale_and_a_larger_w_does_not() {
    for seed in 0..SEEDS {
        let v = check(partial_quorum(), seed, &[]).expect("R=W=1 reads stale");
        assert_eq!(v.property, "reads-see-acknowledged-writes", "seed {seed}");
        assert!(v.time < 200, "seed {seed}: the get at t=100: {v:?}");
        // R + W = N is still not enough.
        assert!(
            check(partial_quorum(), seed, &[("r", "2")]).is_some(),
            "seed {seed}"
        );
        assert_eq!(
            check(partial_quorum(), seed, &[("w", "2")]),
            None,
            "seed {seed}"
        );
        assert_eq!(
            check(partial_quorum(), seed, &[("r", "3")]),
            None,
            "seed {seed}"
        );
    }
}

#[test]
fn strict_quorums_with_r_plus_w_above_n_survive_the_swarm() {
    // Crashes, pauses, partitions, loss, duplication and clock drift, then a heal.
    for scenario in [leaderless_quorum(), partial_quorum()] {
        let report = crate::scenarios::swarm(scenario.id, 0, 150).expect("runs");
        assert_eq!(report.failure, None, "{}", scenario.id);
    }
}

#[test]
fn the_panels_show_the_stale_replicas_the_hints_and_the_counters() {
    let sim = run(leaderless_quorum(), 1, &[], 450);
    let grids: Vec<_> = panels(&sim.world_ref())
        .into_iter()
        .map(|p| match p {
            Panel::Grid(g) => g,
            _ => panic!("grids only"),
        })
        .collect();
    assert_eq!(grids.len(), 3);
    let replicas = &grids[0];
    assert_eq!(replicas.rows.len(), 5);
    assert!(replicas.rows.iter().all(|r| r.cells.len() == 16));
    for home in [2, 3] {
        assert_eq!(
            replicas.rows[home].cells[0].group, GROUP_STALE,
            "n{home}'s k1"
        );
    }
    assert_ne!(
        replicas.rows[1].cells[0].group, GROUP_STALE,
        "n1 has the newest k1"
    );
    assert!(
        replicas.rows[4].note.contains("k1 v3A for n"),
        "{}",
        replicas.rows[4].note
    );
    let (c, _) = counters(&sim.world_ref());
    assert_eq!(
        (c.reads, c.stale_reads, c.hinted_writes),
        (3, 1, 2),
        "{c:?}"
    );
    let end = run(leaderless_quorum(), 1, &[], END);
    let (c, last) = counters(&end.world_ref());
    assert_eq!((c.reads, c.stale_reads, c.puts_acked), (6, 1, 5), "{c:?}");
    assert_eq!(c.handoffs_done, 2);
    assert!(c.repairs_sent >= 1);
    let (_, trail) = last.expect("exchanges ran");
    let tree = match &panels(&end.world_ref())[1] {
        Panel::Grid(g) => g.clone(),
        _ => panic!("a grid"),
    };
    assert_eq!(tree.rows.len(), 4);
    assert!(tree
        .title
        .contains(&format!("hashes exchanged: {}", trail.hashes)));
    assert_eq!(
        leaderless_quorum().protocol.panels(&end.world_ref()),
        panels(&end.world_ref())
    );
}

#[test]
fn a_run_is_a_function_of_its_spec() {
    let a = run(leaderless_quorum(), 3, &[], END);
    let b = run(leaderless_quorum(), 3, &[], END);
    assert_eq!(a.trace_hash(), b.trace_hash());
    assert_eq!(a.violation(), b.violation());
    assert_ne!(
        run(leaderless_quorum(), 4, &[], END).trace_hash(),
        a.trace_hash()
    );
}

#[test]
fn requests_that_do_not_parse_are_refused_with_what_exists() {
    let p = leaderless_quorum().protocol;
    assert!(p.parse_request("put-k1").is_ok());
    assert!(p.parse_request("get-k16").is_ok());
    for (text, says) in [
        ("put-k17", "k1 … k16"),
        ("put-k0", "k1 … k16"),
        ("del-k1", "put and get"),
        ("putk1", "put-k<key>"),
        ("put-x", "k1 … k16"),
    ] {
        let e = p.parse_request(text).unwrap_err();
        assert!(e.contains(says), "{text}: {e}");
    }
}

#[test]
fn an_option_changed_mid_run_applies_from_the_next_request() {
    let scenario = leaderless_quorum();
    let mut spec = spec(&scenario, 2, &[]);
    spec.overrides
        .push(Override::at(90, Action::Set("n".into(), "5".into())));
    let mut sim = Sim::new(scenario, spec, SimOptions::INTERACTIVE).expect("builds");
    sim.run_until_time(200, false).expect("runs");
    let puts_sent = |client: u16, op: u32| {
        sim.trace()
            .iter()
            .filter(|e| {
                matches!(&e.event, Event::Send { from, msg: Msg::Put { op: o, .. }, .. }
                    if *from == client && *o == op)
            })
            .count()
    };
    // A's put of k1 (t=10) went to its three home nodes; B's put of k4 (t=100), after the
    // switch, to all five.
    assert_eq!(puts_sent(A, 0), 3);
    assert_eq!(puts_sent(B, 1), 5);
}
