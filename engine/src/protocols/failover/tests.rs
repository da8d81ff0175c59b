use super::*;
use crate::sim::panel::Panel;
use crate::sim::spec::{Action, Override, RunSpec};
use crate::sim::world::{Scenario, Sim, SimOptions};

fn run(
    scenario: Scenario<Failover>,
    seed: u64,
    choices: &[(&str, &str)],
    until: u64,
) -> Sim<Failover> {
    let mut spec = RunSpec::new(scenario.id, seed);
    spec.overrides = scenario.script.clone();
    for (name, choice) in choices {
        spec.overrides.push(Override::at(
            0,
            Action::Set((*name).into(), (*choice).into()),
        ));
    }
    let mut sim = Sim::new(scenario, spec, SimOptions::INTERACTIVE).expect("builds");
    sim.run_until_time(until, false).expect("runs");
    sim
}

/// The name of the first property the run violated, if any.
fn violated(sim: &Sim<Failover>) -> Option<String> {
    sim.violation().map(|v| v.property.clone())
}

fn notes(sim: &Sim<Failover>) -> Vec<(NodeId, Note)> {
    sim.trace()
        .iter()
        .filter_map(|ev| match &ev.event {
            crate::sim::trace::Event::Note { node, note } => Some((*node, note.clone())),
            _ => None,
        })
        .collect()
}

#[test]
fn epochs_belong_to_one_replica_each() {
    assert_eq!(next_epoch(FIRST_EPOCH, 1), 2);
    assert_eq!(next_epoch(FIRST_EPOCH, 2), 3);
    assert_eq!(next_epoch(FIRST_EPOCH, 0), 4);
    assert_eq!(next_epoch(2, 1), 5);
    assert_eq!(next_epoch(3, 1), 5);
    assert_eq!(next_epoch(5, 2), 6);
    for seen in 0..20 {
        for me in 0..REPLICAS {
            let e = next_epoch(seen, me);
            assert!(e > seen && e - seen <= 3 && (e - 1) % 3 == u32::from(me));
        }
    }
}

#[test]
fn an_async_failover_loses_the_writes_the_new_leader_never_had() {
    for seed in 1..=10 {
        let sim = run(failover(), seed, &[], 900);
        let w = sim.world_ref();
        let lost = lost(&w);
        assert!(
            !lost.is_empty(),
            "seed {seed}: async replication lost nothing"
        );
        assert_eq!(
            violated(&sim).as_deref(),
            Some("acknowledged-writes-survive"),
            "seed {seed}"
        );
        // n1 took over, and n0 came back and threw the lost writes away.
        let (leader, r) = newest_leader(&w).expect("a leader");
        assert_eq!((leader, r.epoch), (1, 2), "seed {seed}");
        let discarded: Vec<u32> = notes(&sim)
            .into_iter()
            .filter(|(n, _)| *n == 0)
            .flat_map(|(_, note)| match note {
                Note::Discarded { writes } => writes,
                _ => Vec::new(),
            })
            .collect();
        for l in &lost {
            assert!(discarded.contains(l), "seed {seed}: n0 kept w{l}");
        }
        // The panel lists them.
        let panels = view::panels(&w);
        let Panel::Grid(summary) = &panels[1] else {
            panic!("the second panel is the summary")
        };
        let row = summary
            .rows
            .iter()
            .find(|r| r.label == "lost")
            .expect("a lost row");
        assert!(row.note.contains(&writes_list(&lost)), "{}", row.note);
    }
}

#[test]
fn semisync_and_sync_failovers_keep_every_acknowledged_write() {
    for seed in 1..=10 {
        for mode in ["semisync", "sync"] {
            let sim = run(failover(), seed, &[("replication", mode)], 8_000);
            let w = sim.world_ref();
            assert_eq!(violated(&sim), None, "seed {seed}, {mode}");
            assert!(lost(&w).is_empty());
            // The client finished every write, through the failover.
            assert_eq!(acknowledged(&w).len(), 45, "seed {seed}, {mode}");
        }
    }
}

#[test]
fn sync_replication_stalls_while_a_follower_is_down() {
    // After the crash, the new leader n1 needs n0 as well under sync: nothing is acknowledged
    // between the takeover and n0's return at t=600.
    let sim = run(failover(), 1, &[("replication", "sync")], 8_000);
    let acks: Vec<u64> = sim
        .world_ref()
        .observed()
        .iter()
        .filter(|o| matches!(o.note, Note::Acked { .. }))
        .map(|o| o.t)
        .collect();
    assert!(acks.iter().any(|&t| t < 300));
    assert!(!acks.iter().any(|&t| (400..600).contains(&t)), "{acks:?}");
    assert!(acks.iter().any(|&t| t > 600));
}

#[test]
fn lag_counts_the_entries_a_follower_lacks_and_their_age() {
    let e = |write, at| Entry {
        epoch: FIRST_EPOCH,
        write,
        at,
    };
    let leader = ReplicaState {
        role: Role::Leader,
        epoch: FIRST_EPOCH,
        leader: Some(0),
        log: vec![e(1, 10), e(2, 20), e(3, 30)],
        matched: vec![3, 1, 0],
        pending: Vec::new(),
        adopted: None,
        took_deposed: 0,
    };
    let mut follower = leader.clone();
    follower.role = Role::Follower;
    follower.log.truncate(1);
    assert_eq!(view::lag(&follower, &leader, 50), (2, 30));
    follower.log = leader.log.clone();
    assert_eq!(view::lag(&follower, &leader, 50), (0, 0));
    // A divergent entry counts as missing from there on.
    follower.log = vec![e(1, 10), e(9, 15)];
    assert_eq!(view::lag(&follower, &leader, 50), (2, 30));
}

#[test]
fn without_fencing_a_split_brain_feeds_the_replicas_a_deposed_leaders_log() {
    for seed in 1..=10 {
        let sim = run(split_brain(), seed, &[], 1_200);
        let w = sim.world_ref();
        assert!(!no_deposed_writes(&w), "seed {seed}");
        // Both still lead after the heal, and they never agree.
        let leaders = (0..REPLICAS)
            .filter(|&n| replica(&w, n).is_some_and(|r| r.role == Role::Leader))
            .count();
        assert_eq!(leaders, 2, "seed {seed}");
        assert!(!replicas_converge(&w), "seed {seed}");
    }
}

#[test]
fn with_fencing_the_deposed_leader_steps_down_but_its_async_acknowledgements_are_lost() {
    for seed in 1..=10 {
        let sim = run(split_brain(), seed, &[("fencing", "on")], 1_200);
        let w = sim.world_ref();
        assert!(no_deposed_writes(&w), "seed {seed}");
        assert!(replicas_converge(&w), "seed {seed}");
        let stepped = notes(&sim)
            .iter()
            .any(|(n, note)| *n == 0 && matches!(note, Note::SteppedDown { .. }));
        assert!(stepped, "seed {seed}: n0 never stepped down");
        // A's writes that n0 acknowledged while cut off are gone.
        assert!(lost(&w).iter().any(|&l| l < 100), "seed {seed}");
        assert_eq!(
            violated(&sim).as_deref(),
            Some("acknowledged-writes-survive"),
            "seed {seed}"
        );
    }
}

#[test]
fn with_fencing_and_sync_replication_a_split_brain_loses_nothing() {
    for seed in 1..=10 {
        let sim = run(
            split_brain(),
            seed,
            &[("fencing", "on"), ("replication", "sync")],
            8_000,
        );
        let w = sim.world_ref();
        assert_eq!(violated(&sim), None, "seed {seed}");
        assert!(replicas_converge(&w), "seed {seed}");
        assert_eq!(acknowledged(&w).len(), 60, "seed {seed}");
    }
}

#[test]
fn the_properties_reject_what_they_exist_for() {
    // A healthy run holds all three.
    let sim = run(failover(), 3, &[("replication", "sync")], 1_500);
    let w = sim.world_ref();
    assert!(acknowledged_writes_survive(&w) && no_deposed_writes(&w) && replicas_converge(&w));
    // Crash everything: no leader is up, nothing converges.
    let mut sim = run(failover(), 3, &[("replication", "sync")], 1_500);
    for n in 0..REPLICAS {
        sim.apply_now(Action::Crash(n)).expect("crash");
    }
    let w = sim.world_ref();
    assert!(newest_leader(&w).is_none());
    assert!(!replicas_converge(&w));
}

#[test]
fn runs_are_deterministic() {
    let a = run(split_brain(), 7, &[("fencing", "on")], 1_000);
    let b = run(split_brain(), 7, &[("fencing", "on")], 1_000);
    assert_eq!(a.trace_hash(), b.trace_hash());
    let c = run(split_brain(), 8, &[("fencing", "on")], 1_000);
    assert_ne!(a.trace_hash(), c.trace_hash());
}
