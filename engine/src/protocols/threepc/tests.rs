use std::collections::BTreeMap;

use super::properties::all_decided;
use super::scenarios::*;
use super::*;
use crate::sim::panel::{Grid, Panel};
use crate::sim::protocol::NodeId;
use crate::sim::scenario::AnyScenario;
use crate::sim::trace::Event;
use crate::sim::world::{Scenario, Sim, SimOptions, Status};

fn run_to(scenario: &Scenario<ThreePc>, seed: u64, until: u64) -> Sim<ThreePc> {
    let spec = scenario.default_spec(seed);
    let mut sim = Sim::new(scenario.clone(), spec, SimOptions::INTERACTIVE).expect("builds");
    sim.run_until_time(until, false).expect("runs");
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
        for (tx, outcome) in [(1, Outcome::Commit), (2, Outcome::Abort), (3, Outcome::Commit)] {
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
