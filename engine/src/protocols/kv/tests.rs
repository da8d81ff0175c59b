use std::sync::Arc;

use super::scenarios::*;
use super::types::{Command, Op};
use super::*;
use crate::protocols::raft::RaftVariant;
use crate::sim::check::check_scenario;
use crate::sim::scenario::swarm_plan;
use crate::sim::spec::RunSpec;
use crate::sim::world::Scenario;

/// The default run of `scenario` with `seed`.
fn default_run(scenario: &Scenario<KvStore>, seed: u64) -> RunSpec {
    RunSpec {
        scenario: scenario.id.to_string(),
        seed,
        overrides: scenario.script.clone(),
    }
}

/// The first failure (seed, property) of `scenario` over its default run and the swarm runs
/// of `seeds`.
fn first_failure(
    scenario: &Scenario<KvStore>,
    seeds: std::ops::Range<u64>,
) -> Option<(u64, String)> {
    std::iter::once(default_run(scenario, 1))
        .chain(seeds.map(|s| swarm_plan(scenario, s)))
        .find_map(|spec| {
            let seed = spec.seed;
            check_scenario(scenario, &spec)
                .unwrap()
                .map(|v| (seed, v.property))
        })
}

fn with_rules(server: ServerRule, client: ClientRule) -> Setup {
    Setup {
        hooks: Arc::new(if server == ServerRule::VolatileDedup {
            KvVariant::NoDedup
        } else {
            KvVariant::Reference
        }),
        server,
        client: Arc::new(client),
        ..Setup::reference()
    }
}

#[test]
fn operations_parse_and_commands_round_trip() {
    for text in ["get.x", "put.y.A1", "append.x.B12"] {
        let op = Op::parse(text).unwrap();
        assert_eq!(op.to_string(), text);
        let c = Command {
            client: 4,
            seq: 7,
            op,
        };
        assert_eq!(Command::decode(&c.encode()), Some(c));
    }
    for bad in [
        "get",
        "put.x",
        "del.x",
        "put.x.a b",
        "append.x.1.2",
        "get.x-y",
    ] {
        assert!(Op::parse(bad).is_err(), "{bad}");
    }
    assert_eq!(Command::decode(crate::protocols::raft::NOOP), None);
}

/// The reference store keeps a linearizable history and answers after the heal: calm, under
/// the nemesis, and over the swarm's random faults.
#[test]
fn the_reference_store_is_linearizable_and_live() {
    assert_eq!(first_failure(&calm(Setup::reference()), 0..0), None);
    assert_eq!(first_failure(&nemesis(Setup::reference()), 0..60), None);
    assert_eq!(
        first_failure(&deposed_leader(Setup::reference()), 0..0),
        None
    );
    for seed in 0..20 {
        for s in [
            deposed_leader(Setup::reference()),
            lease_skew(Setup::reference()),
        ] {
            let v = check_scenario(&s, &default_run(&s, seed)).unwrap();
            assert_eq!(v, None, "{} seed {seed}", s.id);
        }
    }
}

/// "Your Raft, your store": the store on a wrong Raft shows the bug in its clients' history.
#[test]
fn a_wrong_raft_under_the_store_breaks_it() {
    assert_eq!(
        first_failure(&on_raft(Arc::new(RaftVariant::Reference)), 0..60),
        None
    );
    for (variant, property) in [
        (RaftVariant::NoUpToDateCheck, "linearizable"),
        (RaftVariant::VoteTwice, "linearizable"),
        (RaftVariant::NoStepDown, "linearizable"),
        (RaftVariant::NoPrevLogCheck, "linearizable"),
        (RaftVariant::TruncateMatching, "ops-complete"),
    ] {
        let found = first_failure(&on_raft(Arc::new(variant)), 0..60);
        assert_eq!(found.map(|f| f.1).as_deref(), Some(property), "{variant:?}");
    }
}

/// The server's and client's classic mistakes each make the history non-linearizable.
#[test]
fn the_server_and_client_mistakes_break_linearizability() {
    for (server, client) in [
        (ServerRule::AckBeforeCommit, ClientRule::Retry),
        (ServerRule::LocalRead, ClientRule::Retry),
        (ServerRule::VolatileDedup, ClientRule::Retry),
        (ServerRule::Reference, ClientRule::TimeoutIsFailure),
    ] {
        let found = first_failure(&nemesis(with_rules(server, client)), 0..60);
        assert_eq!(
            found.map(|f| f.1).as_deref(),
            Some("linearizable"),
            "{server:?} {client:?}"
        );
    }
    // A deposed leader that reads locally answers stale on every seed.
    let s = deposed_leader(with_rules(ServerRule::LocalRead, ClientRule::Retry));
    for seed in 0..20 {
        let v = check_scenario(&s, &default_run(&s, seed)).unwrap();
        assert_eq!(
            v.map(|v| v.property).as_deref(),
            Some("linearizable"),
            "seed {seed}"
        );
    }
    // A lease is safe while clocks run at one rate (the swarm drifts them by at most 5%) ...
    let lease = with_rules(ServerRule::LeaseRead, ClientRule::Retry);
    assert_eq!(first_failure(&nemesis(lease.clone()), 0..60), None);
    assert_eq!(first_failure(&deposed_leader(lease.clone()), 0..0), None);
    // ... and not when the leader's clock runs slow.
    let s = lease_skew(lease);
    let failing = (0..20)
        .filter(|&seed| {
            check_scenario(&s, &default_run(&s, seed))
                .unwrap()
                .is_some()
        })
        .count();
    assert!(failing >= 15, "{failing} of 20 seeds");
}

/// The history panel draws one lane per client and the checker's verdict, marking the
/// operations no order can place.
#[test]
fn the_history_panel_shows_the_verdict_and_marks_the_violation() {
    use crate::sim::world::{Sim, SimOptions};
    let panel = |setup: Setup| {
        let s = deposed_leader(setup);
        let spec = default_run(&s, 1);
        let mut sim = Sim::new(s, spec, SimOptions::CHECK).unwrap();
        sim.run_until_time(3_000, false).unwrap();
        view::history_panel(&sim.world_ref())
    };
    let good = panel(Setup::reference());
    assert_eq!(good.lanes.len(), usize::from(CLIENTS));
    assert_eq!(good.ops.len(), 5);
    assert_eq!(good.verdicts[0].verdict, "holds");
    let bad = panel(with_rules(ServerRule::LocalRead, ClientRule::Retry));
    let v = &bad.verdicts[0];
    assert_eq!(v.verdict, "violated", "{}", v.sentence);
    assert!(v.sentence.contains("key \"x\""), "{}", v.sentence);
    assert!(!v.ops.is_empty());
    let stale = bad
        .ops
        .iter()
        .position(|o| o.label == "x→\"A1\"")
        .expect("A's stale read is drawn");
    assert!(v.ops.contains(&stale), "{:?} {:?}", v.ops, bad.ops);
}

/// Read index (Ongaro's thesis §6.4) serves gets without a log entry and stays linearizable
/// under the nemesis, with a deposed leader and with a slow leader clock; without its
/// confirmation round a deposed leader answers stale.
#[test]
fn read_index_serves_gets_off_the_log_and_needs_its_confirmation_round() {
    use crate::sim::world::{Sim, SimOptions};
    use types::{Msg, Note};
    let read_index = with_rules(ServerRule::ReadIndex, ClientRule::Retry);
    assert_eq!(first_failure(&nemesis(read_index.clone()), 0..60), None);
    for s in [
        calm(read_index.clone()),
        deposed_leader(read_index.clone()),
        lease_skew(read_index.clone()),
    ] {
        for seed in 0..10 {
            let spec = default_run(&s, seed);
            let v = check_scenario(&s, &spec).unwrap();
            assert_eq!(v.map(|v| v.property), None, "{} seed {seed}", s.id);
        }
    }
    // In the calm store, gets are answered but never appended; each answer follows a
    // majority's confirmation of a round.
    let s = calm(read_index.clone());
    let options = SimOptions {
        record_trace: true,
        ..SimOptions::CHECK
    };
    let mut sim = Sim::new(s.clone(), default_run(&s, 1), options).unwrap();
    sim.run_until_time(5_000, false).unwrap();
    let trace = sim.trace();
    let gets_applied = trace
        .iter()
        .filter(|e| {
            matches!(
                &e.event,
                crate::sim::trace::Event::Note {
                    note: Note::Applied { .. },
                    ..
                }
            )
        })
        .count();
    let confirmed = trace
        .iter()
        .filter(|e| {
            matches!(
                &e.event,
                crate::sim::trace::Event::Send {
                    msg: Msg::ReadConfirmed { .. },
                    ..
                }
            )
        })
        .count();
    let ops = properties::recorded(&sim.world_ref());
    let gets = ops.iter().filter(|r| matches!(r.op, Op::Get(_))).count();
    let writes = ops.len() - gets;
    assert!(
        gets >= 3 && confirmed >= gets,
        "{gets} gets, {confirmed} confirmations"
    );
    assert!(
        ops.iter()
            .all(|r| r.outcome == crate::sim::panel::BarOutcome::Ok),
        "every operation answered"
    );
    // Every server applies only the writes (each at most a few times, handed again).
    assert!(
        gets_applied <= 3 * (writes + 2) * (1 + REHANDED_ENTRIES),
        "{gets_applied} applied for {writes} writes"
    );
    let applied_gets = trace.iter().any(|e| {
        matches!(&e.event, crate::sim::trace::Event::Note {
            note: Note::Applied { client, seq, .. }, ..
        } if ops.iter().any(|r| r.client == *client && r.seq == *seq && matches!(r.op, Op::Get(_))))
    });
    assert!(!applied_gets, "a get went through the log");
    // Without the round, the deposed leader n0 answers A's get from its own machine.
    let s = deposed_leader(with_rules(
        ServerRule::ReadIndexNoConfirm,
        ClientRule::Retry,
    ));
    for seed in 0..10 {
        let v = check_scenario(&s, &default_run(&s, seed)).unwrap();
        assert_eq!(
            v.map(|v| v.property).as_deref(),
            Some("linearizable"),
            "seed {seed}"
        );
    }
}
