//! The chapter 4 challenges as a learner meets them: which runs a check replays, and that the
//! reference solutions pass far more seeds than a check runs (the wrong variants of each
//! challenge's file are tested in `challenge::tests`).

use std::sync::Arc;
use std::time::Instant;

use engine::challenge::{challenge, check, CheckOptions, Verdict};
use engine::protocols::raft::challenge::{run_of, SCRIPTED_EVERY};
use engine::protocols::raft::{RaftHooks, RaftVariant};

const RAFT_CHALLENGES: [&str; 3] = [
    "raft-request-vote",
    "raft-append-entries",
    "raft-commit-rule",
];

/// Every scripted scenario of the chapter, in the order the checks replay them.
const SCRIPTED: [&str; 7] = [
    "raft-partitioned-leader",
    "raft-log-repair",
    "raft-figure8",
    "raft-stale-candidate",
    "raft-shorter-log",
    "raft-stale-tail",
    "raft-minority-down",
];

#[test]
fn every_scripted_scenario_is_replayed_within_the_first_seeds_of_a_check() {
    let hooks: Arc<dyn RaftHooks> = RaftVariant::Reference.into();
    let round = SCRIPTED_EVERY * SCRIPTED.len() as u64;
    let scripted: Vec<String> = (0..round)
        .map(|seed| run_of(&hooks, seed).1.scenario)
        .filter(|id| id != "raft-election")
        .collect();
    assert_eq!(scripted, SCRIPTED);
    // A check's 200 seeds replay each of them at least five times.
    assert!(200 / round >= 5);
}

/// Checks the reference of each Raft challenge over `seeds` seeds from `first_seed`.
fn references_pass(first_seed: u64, seeds: u64) {
    for id in RAFT_CHALLENGES {
        let c = challenge(id).expect("a Raft challenge");
        let start = Instant::now();
        let report = check(
            c,
            &c.reference,
            CheckOptions { seeds, first_seed },
            &mut |_, _| true,
        );
        assert_eq!(report.verdict, Verdict::Passed, "{id}");
        assert_eq!(report.seeds_run, seeds, "{id}");
        println!(
            "{id}: reference passes seeds {first_seed}..{} in {:.2?}",
            first_seed + seeds,
            start.elapsed()
        );
    }
}

/// A sample far from the seeds a check runs, two replays of every scripted scenario among
/// them.
#[test]
fn the_references_pass_a_sample_of_later_seeds() {
    references_pass(10_000, 70);
}

/// `cargo test -p engine --release --test raft_challenges -- --ignored --nocapture`
#[test]
#[ignore]
fn the_references_pass_20000_seeds() {
    references_pass(0, 20_000);
}
