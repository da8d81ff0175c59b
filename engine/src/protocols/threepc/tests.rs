use std::collections::BTreeMap;

use super::properties::{all_decided, AtomicOutcome, CommitNeedsAllYes};
use super::scenarios::*;
use super::*;
use crate::sim::panel::{Grid, Panel};
use crate::sim::protocol::NodeId;
use crate::sim::scenario::AnyScenario;
use crate::sim::trace::Event;
use crate::sim::trace::TraceEvent;
use crate::sim::world::{Monitor, Scenario, Sim, SimOptions, Status};

fn run_to(scenario: &Scenario<ThreePc>, seed: u64, until: u64) -> Sim<ThreePc> {
    let spec = scenario.default_spec(seed);
    let mut sim = Sim::new(scenario.clone(), spec, SimOptions::INTERACTIVE).expect("builds");
    sim.run_until_time(until, false).expect("runs");
    sim
}

/// The run just before true time `t`: after the last step that ends before it. (Running until a
/// time may carry out the next event beyond it when cancelled timers come first.)
fn run_before(scenario: &Scenario<ThreePc>, seed: u64, t: u64) -> Sim<ThreePc> {
    let spec = scenario.default_spec(seed);
    let mut sim =
        Sim::new(scenario.clone(), spec.clone(), SimOptions::INTERACTIVE).expect("builds");
    let mut steps = 0;
    while sim.step().expect("steps") && sim.time() < t {
        steps = sim.step_count();
    }
    let mut sim = Sim::new(scenario.clone(), spec, SimOptions::INTERACTIVE).expect("builds");
    sim.run_steps(steps).expect("runs");
    assert!(sim.time() < t);
    sim
}

/// Who decided what about `tx`, with when, in order.
fn decisions(sim: &Sim<ThreePc>, tx: TxId) -> Vec<(u64, NodeId, Outcome)> {
    sim.trace()
        .iter()
        .filter_map(|ev| match &ev.event {
            Event::Note {
                node,
                note: Note::Decided { tx: t, outcome },
            } if *t == tx => Some((ev.t, *node, *outcome)),
            _ => None,
        })
        .collect()
}

fn grid(sim: &Sim<ThreePc>, title: &str) -> Grid {
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
fn skeens_rule_commits_on_any_pre_committed_and_aborts_when_all_are_uncertain() {
    use PState::*;
    let rule = |s: &[(NodeId, PState)]| termination_rule(&s.iter().copied().collect());
    assert_eq!(rule(&[(1, PreCommitted)]), Outcome::Commit);
    assert_eq!(rule(&[(2, Uncertain), (3, Uncertain)]), Outcome::Abort);
    assert_eq!(rule(&[(1, Uncertain), (2, PreCommitted)]), Outcome::Commit);
    assert_eq!(rule(&[(1, Uncertain), (2, Committed)]), Outcome::Commit);
    assert_eq!(rule(&[(1, Uncertain), (3, Aborted)]), Outcome::Abort);
    // A participant that never voted makes a commit impossible.
    assert_eq!(rule(&[(1, Initial), (2, Uncertain)]), Outcome::Abort);
    assert_eq!(termination_rule(&BTreeMap::new()), Outcome::Abort);
}

#[test]
fn a_plan_parses_from_its_request_text() {
    assert_eq!(Plan::parse("yes"), Ok(Plan::ALL_YES));
    assert_eq!(Plan::parse("no-b"), Ok(Plan::veto(2)));
    assert_eq!(Plan::veto(2).to_string(), "no-b");
    for bad in ["", "no", "no-d", "yes-a", "NO-A"] {
        assert!(Plan::parse(bad).is_err(), "{bad}");
    }
}

#[test]
fn without_faults_t1_and_t3_commit_everywhere_and_t2_aborts_on_cs_no() {
    let s = cluster("3pc-calm", "calm", "no faults", Vec::new());
    for seed in 1..=20 {
        let mut sim = run_to(&s, seed, 2_000);
        assert!(sim.is_quiescent(), "seed {seed}");
        sim.finish_liveness();
        assert_eq!(sim.violation(), None, "seed {seed}");
        assert!(all_decided(&sim.world_ref()));
        for (tx, outcome) in [
            (1, Outcome::Commit),
            (2, Outcome::Abort),
            (3, Outcome::Commit),
        ] {
            let d = decisions(&sim, tx);
            let mut who: Vec<NodeId> = d.iter().map(|(_, n, _)| *n).collect();
            who.sort_unstable();
            assert_eq!(who, vec![0, 1, 2, 3], "seed {seed} t{tx}: {d:?}");
            assert!(d.iter().all(|(_, _, o)| *o == outcome), "seed {seed} t{tx}");
        }
        // Nobody timed out: the termination protocol is for failures only.
        assert!(!sim.trace().iter().any(|e| matches!(
            e.event,
            Event::Note {
                note: Note::TimedOut { .. },
                ..
            }
        )));
        let g = grid(&sim, "Outcomes");
        assert_eq!(row_note(&g, "t1"), "committed everywhere");
        assert_eq!(row_note(&g, "t2"), "aborted everywhere");
    }
}

/// Seeds every scenario test sweeps: a check's window.
const SEEDS: u64 = 200;

#[test]
fn the_partition_splits_t3_for_every_seed_a_commits_alone_and_b_and_c_abort() {
    let s = partition();
    let mut split = 0;
    for seed in 1..=SEEDS {
        let mut sim = run_to(&s, seed, 2_000);
        let v = sim.violation().cloned().expect("a violation");
        assert_eq!(v.property, "atomic-outcome", "seed {seed}");
        // A, alone and pre-committed, commits; B leads {B, C}, sees both uncertain, aborts.
        let t3 = decisions(&sim, 3);
        let of = |n: NodeId| {
            t3.iter()
                .find(|(_, m, _)| *m == n)
                .map(|(t, _, o)| (*t, *o))
        };
        let (a_at, a) = of(1).expect("A decides");
        let (b_at, b) = of(2).expect("B decides");
        let (_, c) = of(3).expect("C decides");
        assert_eq!((a, b, c), (Outcome::Commit, Outcome::Abort, Outcome::Abort));
        // Both sides decide while partitioned, and the monitor fails at the second decision.
        assert!(
            a_at < PARTITION_HEAL_AT && b_at < PARTITION_HEAL_AT,
            "seed {seed}"
        );
        assert_eq!(v.time, a_at.max(b_at), "seed {seed}");
        let msg = v.message.clone().unwrap_or_default();
        assert!(msg.contains("t3"), "{msg}");
        // Each side ran the termination rule on what it could reach.
        let rules: Vec<(NodeId, String)> = sim
            .trace()
            .iter()
            .filter_map(|e| match &e.event {
                Event::Note {
                    node,
                    note:
                        Note::Rule {
                            tx: 3,
                            states,
                            outcome,
                        },
                } => Some((*node, format!("{} → {outcome}", states_text(states)))),
                _ => None,
            })
            .collect();
        assert_eq!(
            rules,
            vec![
                (1, "A pre-committed → COMMIT".to_string()),
                (2, "B uncertain, C uncertain → ABORT".to_string()),
            ],
            "seed {seed}"
        );
        // After the heal everyone has decided — differently — and the panel says so.
        assert!(sim.is_quiescent(), "seed {seed}");
        sim.finish_liveness();
        assert!(all_decided(&sim.world_ref()), "seed {seed}");
        assert_eq!(
            row_note(&grid(&sim, "Outcomes"), "t3"),
            "committed at A, aborted at B, C · atomicity broken"
        );
        split += 1;
    }
    assert_eq!(split, SEEDS);
}

#[test]
fn the_view_shows_the_split_at_the_step_the_property_fails() {
    let s = partition();
    let mut sim = run_to(&s, 1, 2_000);
    let v = sim.violation().cloned().expect("a violation");
    let spec = s.default_spec(1);
    sim = Sim::new(s.clone(), spec, SimOptions::INTERACTIVE).expect("builds");
    sim.run_steps(v.step).expect("runs");
    assert_eq!(
        sim.violation().map(|v| v.property.as_str()),
        Some("atomic-outcome")
    );
    let w = sim.world_ref();
    assert_eq!(w.status(COORDINATOR), Status::Down);
    let note = row_note(&grid(&sim, "Outcomes"), "t3");
    assert!(note.starts_with("committed at A, aborted at B"), "{note}");
    assert!(note.ends_with("atomicity broken"), "{note}");
    let states = grid(&sim, "States");
    assert_eq!(
        row_note(&states, "n0"),
        "coordinator · down, its disk survives"
    );
    let cell = |row: &str| {
        let r = states.rows.iter().find(|r| r.label == row).expect("a row");
        r.cells.last().expect("t3's cell").text.clone()
    };
    assert_eq!(cell("n1"), "committed");
    assert_eq!(cell("n2"), "aborted");
}

#[test]
fn after_the_coordinator_crashes_the_survivors_commit_t3_without_it_for_every_seed() {
    let s = coordinator_crash();
    for seed in 1..=SEEDS {
        // While n0 is down: every participant has decided t3, and nothing is left open.
        let sim = run_before(&s, seed, COORDINATOR_RESTART_AT);
        assert_eq!(sim.violation(), None, "seed {seed}");
        let w = sim.world_ref();
        assert_eq!(w.status(COORDINATOR), Status::Down);
        for p in 1..=PARTICIPANTS {
            assert!(properties::settled(&w, p), "seed {seed}: n{p} undecided");
        }
        let t3 = decisions(&sim, 3);
        assert_eq!(t3.len(), 3, "seed {seed}: {t3:?}");
        assert!(t3
            .iter()
            .all(|(_, n, o)| is_participant(*n) && *o == Outcome::Commit));
        // The lowest live participant led: A applied the rule once, to three pre-committed.
        let leaders: Vec<NodeId> = sim
            .trace()
            .iter()
            .filter_map(|e| match &e.event {
                Event::Note {
                    node,
                    note: Note::TakesOver { tx: 3 },
                } => Some(*node),
                _ => None,
            })
            .collect();
        assert_eq!(leaders, vec![1], "seed {seed}");
        assert_eq!(
            row_note(&grid(&sim, "Outcomes"), "t3"),
            "committed everywhere"
        );
        // After the restart n0 asks and learns COMMIT; every property holds to the end.
        let mut sim = run_to(&s, seed, 3_000);
        assert!(sim.is_quiescent(), "seed {seed}");
        sim.finish_liveness();
        assert_eq!(sim.violation(), None, "seed {seed}");
        assert!(all_decided(&sim.world_ref()));
        let n0: Vec<(u64, Outcome)> = decisions(&sim, 3)
            .into_iter()
            .filter(|(_, n, _)| *n == COORDINATOR)
            .map(|(t, _, o)| (t, o))
            .collect();
        assert_eq!(n0.len(), 1, "seed {seed}");
        assert!(n0[0].0 > COORDINATOR_RESTART_AT && n0[0].1 == Outcome::Commit);
    }
}

#[test]
fn runs_are_deterministic() {
    for s in [partition(), coordinator_crash()] {
        let a = run_to(&s, 7, 2_000);
        let b = run_to(&s, 7, 2_000);
        assert_eq!(a.trace_hash(), b.trace_hash(), "{}", s.id);
        let c = run_to(&s, 8, 2_000);
        assert_ne!(a.trace_hash(), c.trace_hash(), "{}", s.id);
    }
}

fn feed<M: Monitor<ThreePc>>(m: &mut M, events: &[(NodeId, Note)]) -> Result<(), String> {
    let sim = run_to(&partition(), 1, 0);
    let w = sim.world_ref();
    for (node, note) in events {
        let ev = TraceEvent {
            t: 1,
            event: Event::Note {
                node: *node,
                note: note.clone(),
            },
        };
        m.on_event(&ev, &w)?;
    }
    Ok(())
}

#[test]
fn the_monitors_reject_a_split_outcome_and_a_commit_without_every_yes() {
    let decided = |tx, outcome| Note::Decided { tx, outcome };
    let commit = Outcome::Commit;
    let abort = Outcome::Abort;
    // atomic-outcome: two participants disagreeing fails; agreeing, or n0 alone, does not.
    let err = feed(
        &mut AtomicOutcome::default(),
        &[
            (1, decided(3, commit)),
            (3, decided(3, commit)),
            (2, decided(3, abort)),
        ],
    )
    .expect_err("split");
    assert_eq!(err, "B (n2) decides ABORT t3, but A (n1) decided COMMIT t3");
    assert!(feed(
        &mut AtomicOutcome::default(),
        &[
            (1, decided(3, abort)),
            (2, decided(3, abort)),
            (1, decided(4, commit))
        ],
    )
    .is_ok());
    // commit-needs-all-yes.
    let begin = Note::Begin {
        tx: 1,
        plan: Plan::ALL_YES,
    };
    let yes = |tx| Note::Voted { tx, yes: true };
    let err = feed(
        &mut CommitNeedsAllYes::default(),
        &[
            (0, begin.clone()),
            (1, yes(1)),
            (2, yes(1)),
            (0, decided(1, commit)),
        ],
    )
    .expect_err("C never voted");
    assert_eq!(err, "n0 commits t1, but C (n3) never voted YES");
    let err = feed(
        &mut CommitNeedsAllYes::default(),
        &[(2, decided(5, commit))],
    )
    .expect_err("never began");
    assert!(err.contains("never began"), "{err}");
    assert!(feed(
        &mut CommitNeedsAllYes::default(),
        &[
            (0, begin),
            (1, yes(1)),
            (2, yes(1)),
            (3, yes(1)),
            (0, decided(1, commit)),
            (2, decided(1, commit)),
        ],
    )
    .is_ok());
}

#[test]
fn all_decided_fails_while_a_node_is_down_or_undecided() {
    let s = partition();
    // Right after the crash: n0 is down and B, C are uncertain.
    let sim = run_before(&s, 1, PARTITION_CRASH_AT + 1);
    assert!(!all_decided(&sim.world_ref()));
    // After the heal, inquiry answered: everyone has decided (differently).
    let sim = run_to(&s, 1, 2_000);
    assert!(all_decided(&sim.world_ref()));
}

#[test]
fn under_random_faults_3pc_never_commits_without_every_yes_and_always_decides_but_can_split() {
    use crate::sim::check::check_scenario;
    use crate::sim::spec::Action;
    let base = partition();
    let only = |names: &[&str]| {
        let mut s = base.clone();
        s.properties.retain(|p| names.contains(&p.name));
        assert_eq!(s.properties.len(), names.len());
        s
    };
    let sound = only(&["commit-needs-all-yes", "all-decided"]);
    let atomic = only(&["atomic-outcome"]);
    let mut split = Vec::new();
    for seed in 1..=SEEDS {
        let spec = base.swarm_spec(seed);
        assert_eq!(
            check_scenario(&sound, &spec).expect("runs"),
            None,
            "swarm seed {seed}"
        );
        if check_scenario(&atomic, &spec).expect("runs").is_some() {
            // A split needs a wrong suspicion: a partition, or messages lost or late.
            assert!(
                spec.overrides.iter().any(|o| matches!(
                    o.action,
                    Action::Partition(_)
                        | Action::Cut(..)
                        | Action::Loss(..)
                        | Action::Latency(..)
                        | Action::Pause(_)
                )),
                "swarm seed {seed}"
            );
            split.push(seed);
        }
    }
    assert!(!split.is_empty(), "random faults never split a transaction");
}

#[test]
fn a_recovery_coordinator_that_reaches_uncertain_participants_pre_commits_them_before_it_commits() {
    use crate::sim::spec::{Action, Override};
    // PRE-COMMIT t3 reaches A only (n0's links to B and C are cut after the CAN-COMMITs are
    // delivered), then n0 crashes; the participants still reach each other.
    let s = cluster(
        "3pc-lost-precommits",
        "PRE-COMMIT reaches A only",
        "no partition between the participants",
        vec![
            Override::at(336, Action::Cut(COORDINATOR, 2)),
            Override::at(336, Action::Cut(COORDINATOR, 3)),
            Override::at(AFTER_PRECOMMIT_SENT_AT, Action::Crash(COORDINATOR)),
            Override::at(COORDINATOR_RESTART_AT, Action::HealAll),
        ],
    );
    for seed in 1..=SEEDS {
        let mut sim = run_to(&s, seed, 3_000);
        sim.finish_liveness();
        assert_eq!(sim.violation(), None, "seed {seed}");
        let notes: Vec<(NodeId, Note)> = sim
            .trace()
            .iter()
            .filter_map(|e| match &e.event {
                Event::Note { node, note } => Some((*node, note.clone())),
                _ => None,
            })
            .collect();
        let rule = notes.iter().find_map(|(n, note)| match note {
            Note::Rule {
                tx: 3,
                states,
                outcome,
            } => Some((*n, states_text(states), *outcome)),
            _ => None,
        });
        assert_eq!(
            rule,
            Some((
                1,
                "A pre-committed, B uncertain, C uncertain".to_string(),
                Outcome::Commit
            )),
            "seed {seed}"
        );
        // B and C are pre-committed by A before anyone commits.
        let at = |n: NodeId, pred: &dyn Fn(&Note) -> bool| {
            notes
                .iter()
                .position(|(m, note)| *m == n && pred(note))
                .unwrap_or_else(|| panic!("seed {seed}: n{n}"))
        };
        let first_commit = notes
            .iter()
            .position(|(_, note)| matches!(note, Note::Decided { tx: 3, .. }))
            .expect("a decision");
        for p in [2, 3] {
            assert!(at(p, &|n| matches!(n, Note::PreCommitted { tx: 3 })) < first_commit);
        }
        let t3 = decisions(&sim, 3);
        assert_eq!(t3.len(), 4, "seed {seed}: {t3:?}");
        assert!(
            t3.iter().all(|(_, _, o)| *o == Outcome::Commit),
            "seed {seed}"
        );
    }
}
