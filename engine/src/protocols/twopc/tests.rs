use super::properties::{all_decided, bank, money_conserved, Bank};
use super::scenarios::*;
use super::*;
use crate::sim::check::{check_scenario, swarm_scenario};
use crate::sim::panel::{Grid, Panel};
use crate::sim::protocol::{NodeId, Protocol};
use crate::sim::scenario::AnyScenario;
use crate::sim::spec::{Action, Override, RunSpec};
use crate::sim::trace::Event;
use crate::sim::world::{Scenario, Sim, SimOptions, Status};

fn run_to(scenario: &Scenario<TwoPc>, seed: u64, until: u64) -> Sim<TwoPc> {
    let spec = scenario.default_spec(seed);
    let mut sim = Sim::new(scenario.clone(), spec, SimOptions::INTERACTIVE).expect("builds");
    sim.run_until_time(until, false).expect("runs");
    sim
}

/// Runs to the end of the run (it goes quiet once every transfer is finished).
fn run_out(scenario: &Scenario<TwoPc>, seed: u64) -> Sim<TwoPc> {
    let mut sim = run_to(scenario, seed, 20_000);
    assert!(sim.is_quiescent(), "{} seed {seed} never ends", scenario.id);
    sim.finish_liveness();
    sim
}

fn notes(sim: &Sim<TwoPc>) -> Vec<(u64, NodeId, Note)> {
    sim.trace()
        .iter()
        .filter_map(|ev| match &ev.event {
            Event::Note { node, note } => Some((ev.t, *node, note.clone())),
            _ => None,
        })
        .collect()
}

/// Who decided what about `tx`, in order.
fn decisions(sim: &Sim<TwoPc>, tx: TxId) -> Vec<(NodeId, Outcome)> {
    notes(sim)
        .into_iter()
        .filter_map(|(_, n, note)| match note {
            Note::Decided { tx: t, outcome } if t == tx => Some((n, outcome)),
            _ => None,
        })
        .collect()
}

fn participant(sim: &Sim<TwoPc>, n: NodeId) -> &Participant {
    match sim.world_ref().state(n) {
        Some(State::Participant(p)) => p,
        _ => panic!("n{n} is a participant that is up"),
    }
}

fn grid(sim: &Sim<TwoPc>, title: &str) -> Grid {
    view::panels(&sim.world_ref())
        .into_iter()
        .find_map(|p| match p {
            Panel::Grid(g) if g.title == title => Some(g),
            _ => None,
        })
        .unwrap_or_else(|| panic!("a panel '{title}'"))
}

fn row_note(g: &Grid, label: &str) -> String {
    g.rows
        .iter()
        .find(|r| r.label == label)
        .unwrap_or_else(|| panic!("a row {label}"))
        .note
        .clone()
}

#[test]
fn a_transfer_parses_from_its_request_text_and_splits_into_one_op_per_participant() {
    let t = Transfer::parse("a1-b2-30").expect("parses");
    assert_eq!(t.to_string(), "a1→b2 30");
    assert_eq!(t.participants(), vec![1, 2]);
    assert_eq!(ops_text(&t.ops_at(1)), "a1-30");
    assert_eq!(ops_text(&t.ops_at(2)), "b2+30");
    assert!(t.ops_at(3).is_empty());
    for bad in [
        "a1-a2-30", "a1-d1-30", "a3-b1-5", "a1-b1-0", "a1-b1", "a1-b1-x",
    ] {
        assert!(Transfer::parse(bad).is_err(), "{bad}");
    }
}

#[test]
fn the_reference_decides_commit_only_on_every_yes_and_abort_on_any_no_or_a_timeout() {
    use Vote::{No, Yes};
    let d = rules::decide;
    assert_eq!(
        d(&[(1, Some(Yes)), (2, Some(Yes))], false),
        Some(Outcome::Commit)
    );
    assert_eq!(d(&[(1, Some(Yes)), (2, None)], false), None);
    assert_eq!(d(&[(1, Some(Yes)), (2, None)], true), Some(Outcome::Abort));
    assert_eq!(d(&[(1, Some(No)), (2, None)], false), Some(Outcome::Abort));
    // The commit point comes before any message: the record is the first step.
    let steps = rules::announce(3, Outcome::Commit, &[1, 2]);
    assert!(matches!(
        steps[0],
        Step::Log(Record::Decision { tx: 3, .. })
    ));
    assert_eq!(steps.len(), 3);
    // A YES comes after PREPARED; a NO needs no record before it.
    let yes = rules::prepare(3, &[], true, 0);
    assert!(matches!(yes[0], Step::Log(Record::Prepared { .. })));
    let no = rules::prepare(3, &[], false, 0);
    assert!(matches!(
        no[0],
        Step::Send(0, Msg::Vote { vote: Vote::No, .. })
    ));
}

#[test]
fn recovery_reads_the_log_decisions_without_end_are_resent_prepared_without_outcome_is_in_doubt() {
    let decision = |tx, outcome| Record::Decision {
        tx,
        outcome,
        participants: vec![1, 2],
    };
    let log = vec![
        decision(1, Outcome::Commit),
        Record::End { tx: 1 },
        decision(2, Outcome::Abort),
    ];
    let known = rules::recover_coordinator(&log);
    assert_eq!(known.len(), 2);
    assert!(known[0].ended && !known[1].ended);
    assert_eq!(known[1].outcome, Outcome::Abort);
    let log = vec![
        Record::Prepared { tx: 4, ops: vec![] },
        Record::Prepared { tx: 5, ops: vec![] },
        Record::Decision {
            tx: 4,
            outcome: Outcome::Commit,
            participants: vec![],
        },
    ];
    assert_eq!(rules::recover_participant(&log), vec![5]);
}

#[test]
fn without_faults_five_transfers_commit_the_overdraft_aborts_and_the_run_ends() {
    for seed in 1..=20 {
        let sim = run_out(&commit(TwoPcVariant::Reference), seed);
        assert_eq!(sim.violation(), None, "seed {seed}");
        let w = sim.world_ref();
        assert!(all_decided(&w), "seed {seed}");
        let b = bank(&w);
        assert_eq!(b.committed, vec![1, 2, 3, 5, 6], "seed {seed}");
        assert_eq!(b.total(), TOTAL);
        assert_eq!(b.in_flight, 0);
        // a1: 100 - 30 + 40; a2: 100 + 20; and so on.
        assert_eq!(
            b.balances,
            vec![vec![110, 120], vec![90, 75], vec![125, 80]],
            "seed {seed}"
        );
        // t4: n1 voted NO, everyone who decided decided ABORT.
        let t4 = decisions(&sim, 4);
        assert!(t4.contains(&(1, Outcome::Abort)) && t4.contains(&(0, Outcome::Abort)));
        assert!(t4.iter().all(|(_, o)| *o == Outcome::Abort));
        // The coordinator's log: a decision and END per transaction.
        let Some(Durable::Coordinator(d)) = w.durable(COORDINATOR) else {
            panic!("n0 has a disk");
        };
        assert_eq!(d.log.len(), 12, "seed {seed}");
        assert_eq!(d.next_tx, 7);
    }
}

#[test]
fn a_participant_forces_prepared_before_it_votes_and_the_coordinator_commit_before_it_tells() {
    let sim = run_out(&commit(TwoPcVariant::Reference), 3);
    let trace = sim.trace();
    let at = |pred: &dyn Fn(&Event<TwoPc>) -> bool| {
        trace
            .iter()
            .position(|e| pred(&e.event))
            .expect("the event happens")
    };
    for p in [1, 2] {
        let logged = at(
            &|e| matches!(e, Event::Note { node, note: Note::Logged { record: Record::Prepared { tx: 1, .. } } } if *node == p),
        );
        let voted = at(
            &|e| matches!(e, Event::Send { from, msg: Msg::Vote { tx: 1, .. }, .. } if *from == p),
        );
        assert!(logged < voted, "n{p}");
    }
    let commit_logged = at(&|e| {
        matches!(
            e,
            Event::Note {
                node: 0,
                note: Note::Logged {
                    record: Record::Decision { tx: 1, .. }
                }
            }
        )
    });
    let told = at(&|e| {
        matches!(
            e,
            Event::Send {
                from: 0,
                msg: Msg::Decision { tx: 1, .. },
                ..
            }
        )
    });
    assert!(commit_logged < told);
}

#[test]
fn a_coordinator_crash_at_the_commit_point_leaves_both_participants_in_doubt_until_it_returns() {
    let s = coordinator_crash(TwoPcVariant::Reference);
    for seed in 1..=20 {
        // During the outage: both voted YES, neither knows the outcome, both hold their lock.
        let sim = run_to(&s, seed, COORDINATOR_RESTART_AT - 1);
        assert_eq!(sim.violation(), None, "seed {seed}");
        let w = sim.world_ref();
        assert_eq!(w.status(COORDINATOR), Status::Down);
        assert_eq!(
            w.durable(COORDINATOR).map(|d| d.log().len()),
            Some(4),
            "seed {seed}: COMMIT t3 never reached n0's disk"
        );
        for (p, account) in [(1, "a2"), (3, "c2")] {
            let part = participant(&sim, p);
            assert_eq!(view::in_doubt(part), vec![3], "seed {seed} n{p}");
            assert_eq!(part.locks.len(), 1);
            assert_eq!(
                w.protocol().view(p, w.state(p).unwrap()).fields[0],
                ("state".to_string(), "in doubt: t3".to_string())
            );
            let locks = grid(&sim, "Locks");
            let row = locks
                .rows
                .iter()
                .find(|r| r.label == format!("n{p}"))
                .unwrap();
            assert!(row.note.contains("in doubt: t3 since t=35"), "{}", row.note);
            // Held for the whole outage so far: from t=350..354 to the last event before the
            // restart (n3's inquiry, dropped after t=760).
            let ticks: u64 = row
                .note
                .split('(')
                .nth(1)
                .and_then(|s| s.split(' ').next())
                .and_then(|s| s.parse().ok())
                .expect("a tick count");
            assert!((400..=424).contains(&ticks), "{}", row.note);
            assert_eq!(row.cells[0].text, format!("{account} t3"));
        }
        // The bank is still whole: nothing of t3 is committed anywhere.
        assert!(money_conserved(&w));
        assert_eq!(
            row_note(&grid(&sim, "Bank"), "total"),
            "600 of 600 · conserved"
        );
        // After the restart: presumed abort resolves t3, the locks go, the run ends.
        let sim = run_out(&s, seed);
        assert_eq!(sim.violation(), None, "seed {seed}");
        let mut t3 = decisions(&sim, 3);
        t3.sort_by_key(|(n, _)| *n);
        assert_eq!(t3, vec![(1, Outcome::Abort), (3, Outcome::Abort)]);
        let w = sim.world_ref();
        assert!(all_decided(&w));
        for p in 1..=PARTICIPANTS {
            assert!(participant(&sim, p).locks.is_empty());
            assert_eq!(row_note(&grid(&sim, "Locks"), &format!("n{p}")), "no locks");
        }
        assert_eq!(bank(&w).committed, vec![1, 2, 5, 6], "seed {seed}");
    }
}

#[test]
fn a_participant_crashed_while_prepared_is_in_doubt_on_restart_and_learns_the_commit() {
    let s = participant_crash(TwoPcVariant::Reference);
    for seed in 1..=20 {
        // While n1 is down: n0 committed t3, n3 applied it, the money is in flight.
        let sim = run_to(&s, seed, PARTICIPANT_RESTART_AT - 1);
        assert_eq!(sim.violation(), None, "seed {seed}");
        let w = sim.world_ref();
        assert_eq!(w.status(1), Status::Down);
        let b = bank(&w);
        assert_eq!(b.in_flight, 20, "seed {seed}");
        assert!(b.conserved());
        let locks = grid(&sim, "Locks");
        assert_eq!(
            row_note(&locks, "n1"),
            "down · PREPARED t3 on disk: in doubt again on restart"
        );
        // Just after the restart: in doubt again, a2 locked again from its log.
        let sim = run_to(&s, seed, PARTICIPANT_RESTART_AT);
        let n1 = participant(&sim, 1);
        assert_eq!(view::in_doubt(n1), vec![3], "seed {seed}");
        assert_eq!(n1.locks.get(&Account::new(1, 2)), Some(&3));
        // Then it learns COMMIT and applies it; t4, which needed n1 while it was down,
        // aborted on its vote timeout.
        let sim = run_out(&s, seed);
        assert_eq!(sim.violation(), None, "seed {seed}");
        let t3 = decisions(&sim, 3);
        assert_eq!(t3.len(), 3, "seed {seed}: {t3:?}");
        assert!(t3.iter().all(|(_, o)| *o == Outcome::Commit));
        assert!(decisions(&sim, 4).iter().all(|(_, o)| *o == Outcome::Abort));
        let w = sim.world_ref();
        assert!(all_decided(&w));
        assert_eq!(bank(&w).balances[0], vec![110, 120], "seed {seed}");
    }
}

/// `scenario` with `extra` faults added to its script, checked to its horizon.
fn violation_with(scenario: Scenario<TwoPc>, seed: u64, extra: &[Override]) -> Option<String> {
    let mut spec = RunSpec::new(scenario.id, seed);
    spec.overrides = scenario.script.clone();
    spec.overrides.extend(extra.iter().cloned());
    check_scenario(&scenario, &spec)
        .expect("runs")
        .map(|v| v.property)
}

/// For each wrong variant, a run it fails and the reference passes.
fn scripted(variant: TwoPcVariant) -> (Scenario<TwoPc>, Vec<Override>) {
    let crash = |t, n| Override::at(t, Action::Crash(n));
    let restart = |t, n| Override::at(t, Action::Restart(n));
    match variant {
        TwoPcVariant::Reference => (commit(variant), Vec::new()),
        // n0 crashes with COMMIT t3 sent but not on disk; n1, down, never got it.
        TwoPcVariant::SendBeforeLog => (
            participant_crash(variant),
            vec![crash(374, 0), restart(500, 0)],
        ),
        // n0 crashes with COMMIT t3 on disk; n1, down, never got it.
        TwoPcVariant::ForgetOnRestart => (
            participant_crash(variant),
            vec![crash(400, 0), restart(450, 0)],
        ),
        TwoPcVariant::AbortInDoubt => (coordinator_crash(variant), Vec::new()),
        // t4: n1 voted NO; n0 crashes before ABORT t4 is on its disk, n3 is in doubt.
        TwoPcVariant::PresumedCommit => (commit(variant), vec![crash(507, 0), restart(600, 0)]),
        // n1 crashes after its YES and before PREPARED t3 is on its disk.
        TwoPcVariant::VoteBeforeLog => (commit(variant), vec![crash(340, 1), restart(540, 1)]),
    }
}

#[test]
fn each_wrong_variant_breaks_its_property_in_a_scripted_run_the_reference_survives() {
    for variant in TwoPcVariant::ALL.into_iter().skip(1) {
        let expected = variant.breaks();
        for seed in 1..=10 {
            let (s, extra) = scripted(variant);
            // The same faults with the reference decisions break nothing.
            let reference = Scenario {
                protocol: TwoPc::new(workload(), TwoPcVariant::Reference),
                ..s.clone()
            };
            assert_eq!(
                violation_with(s, seed, &extra).as_deref(),
                expected,
                "{} seed {seed}",
                variant.name()
            );
            assert_eq!(
                violation_with(reference, seed, &extra),
                None,
                "reference, with {}'s faults, seed {seed}",
                variant.name()
            );
        }
    }
}

#[test]
fn the_reference_passes_the_swarm() {
    for s in [
        commit(TwoPcVariant::Reference),
        coordinator_crash(TwoPcVariant::Reference),
        participant_crash(TwoPcVariant::Reference),
    ] {
        let report = swarm_scenario(&s, 1, 200).expect("runs");
        assert_eq!(report.failure, None, "{}", s.id);
        assert_eq!(report.seeds_run, 200);
    }
}

#[test]
fn each_wrong_variant_is_caught_by_the_swarm_with_its_property() {
    for variant in TwoPcVariant::ALL.into_iter().skip(1) {
        let report = swarm_scenario(&commit(variant), 1, 1_000).expect("runs");
        let failure = report
            .failure
            .unwrap_or_else(|| panic!("{} survives 1000 seeds", variant.name()));
        assert_eq!(
            Some(failure.property.as_str()),
            variant.breaks(),
            "{} seed {}",
            variant.name(),
            failure.seed
        );
    }
}

#[test]
fn the_swarm_crashes_restarts_and_loses_messages_and_every_run_settles() {
    // The swarm is not calm: across 200 seeds it crashes every node, puts participants in
    // doubt, and still every run ends with every transaction decided.
    let s = commit(TwoPcVariant::Reference);
    let mut crashed = [false; 4];
    let mut in_doubt_restarts = 0;
    for seed in 1..=200 {
        let spec = s.swarm_spec(seed);
        for o in &spec.overrides {
            if let Action::Crash(n) = o.action {
                crashed[usize::from(n)] = true;
            }
        }
        let mut sim = Sim::new(s.clone(), spec, SimOptions::INTERACTIVE).expect("builds");
        sim.run_until_time(20_000, true).expect("runs");
        sim.finish_liveness();
        assert_eq!(sim.violation(), None, "seed {seed}");
        assert!(all_decided(&sim.world_ref()), "seed {seed}");
        in_doubt_restarts += notes(&sim)
            .iter()
            .filter(|(_, n, note)| {
                is_participant(*n) && matches!(note, Note::Recovered { txs } if !txs.is_empty())
            })
            .count();
    }
    assert_eq!(crashed, [true; 4]);
    assert!(in_doubt_restarts > 5, "{in_doubt_restarts}");
}

#[test]
fn the_properties_reject_what_they_exist_for() {
    // money-conserved: a disk whose balances were changed by hand no longer adds up.
    let mut sim = run_to(&commit(TwoPcVariant::Reference), 1, 200);
    assert!(money_conserved(&sim.world_ref()));
    sim.apply_now(Action::Crash(2)).expect("crash");
    assert!(money_conserved(&sim.world_ref()));
    let mut disk = properties::disk_of(&sim.world_ref(), 2);
    disk.balances[0] = -5;
    let b = Bank {
        balances: vec![vec![100, 100], disk.balances.clone(), vec![100, 100]],
        ..bank(&sim.world_ref())
    };
    assert!(!b.conserved());
    // all-decided: not while a node is down, nor while one holds a lock.
    assert!(!all_decided(&sim.world_ref()));
    let sim = run_to(&coordinator_crash(TwoPcVariant::Reference), 1, 800);
    assert_eq!(sim.world_ref().status(COORDINATOR), Status::Up);
    assert!(!all_decided(&sim.world_ref()), "n1 and n3 still hold locks");
}

#[test]
fn runs_are_deterministic() {
    let s = coordinator_crash(TwoPcVariant::Reference);
    let a = run_out(&s, 7);
    let b = run_out(&s, 7);
    assert_eq!(a.trace_hash(), b.trace_hash());
    let c = run_out(&s, 8);
    assert_ne!(a.trace_hash(), c.trace_hash());
}
