//! Code challenges: a learner's Rhai script replaces part of a protocol, and many seeded
//! randomized runs check it against named properties.
//!
//! A challenge is data: one TOML file in `engine/challenges/` with its statement, the API the
//! script sees, progressive hints, starter code, a reference solution, the properties checked
//! and at least three known-wrong variants, each naming the property it must violate. The
//! [`TABLE`] pairs each file with the [`harness::Harness`] that runs the script: adding a
//! challenge is its TOML, one adapter file and one line there.
//!
//! Invariants: a check is a pure function of (challenge, script, seeds), so the browser and
//! `dslab check` agree; a failure is shrunk to a small counterexample deterministically; the
//! reference passes and every wrong variant fails with its named property (tested).

pub mod crdt;
pub mod harness;
pub mod vector_clocks;

use std::sync::OnceLock;

use serde::{Deserialize, Serialize};

use crate::protocols::heartbeat::challenge::FailureDetector;
use crate::protocols::kv::challenge::KvChallenge;
use crate::protocols::kv::scenarios::Step as KvStep;
use crate::protocols::outbox::challenge::OutboxExactlyOnce;
use crate::protocols::quorum::challenge::QuorumReadRepair;
use crate::protocols::raft::challenge::{Part, RaftChallenge};
use crate::protocols::saga::challenge::SagaCompensations;
use crate::protocols::services::causal_log::CausalLog;
use crate::protocols::services::challenge::TraceContext;
use crate::protocols::tokens::challenge::SessionTokens;
use crate::protocols::twopc::challenge::TwoPcRecovery;
use crate::script::ScriptError;
use harness::Simulated;

/// Most seeds one challenge check may run.
pub const CHECK_SEEDS_MAX: u64 = 100_000;

/// A challenge: its definition file and the harness that checks it.
pub struct Entry {
    /// The TOML text.
    pub source: &'static str,
    /// The harness.
    pub harness: &'static dyn harness::DynHarness,
}

/// Every challenge, in listing order.
pub const TABLE: &[Entry] = &[
    Entry {
        source: include_str!("../../challenges/vector-clocks.toml"),
        harness: &vector_clocks::VectorClocks,
    },
    Entry {
        source: include_str!("../../challenges/failure-detector.toml"),
        harness: &Simulated(FailureDetector),
    },
    Entry {
        source: include_str!("../../challenges/session-tokens.toml"),
        harness: &Simulated(SessionTokens),
    },
    Entry {
        source: include_str!("../../challenges/crdt-counters-sets.toml"),
        harness: &crdt::Crdts,
    },
    Entry {
        source: include_str!("../../challenges/quorum-read-repair.toml"),
        harness: &Simulated(QuorumReadRepair),
    },
    Entry {
        source: include_str!("../../challenges/raft-request-vote.toml"),
        harness: &Simulated(RaftChallenge(Part::RequestVote)),
    },
    Entry {
        source: include_str!("../../challenges/raft-append-entries.toml"),
        harness: &Simulated(RaftChallenge(Part::AppendEntries)),
    },
    Entry {
        source: include_str!("../../challenges/raft-commit-rule.toml"),
        harness: &Simulated(RaftChallenge(Part::CommitRule)),
    },
    Entry {
        source: include_str!("../../challenges/twopc-recovery.toml"),
        harness: &Simulated(TwoPcRecovery),
    },
    Entry {
        source: include_str!("../../challenges/saga-compensations.toml"),
        harness: &Simulated(SagaCompensations),
    },
    Entry {
        source: include_str!("../../challenges/outbox-exactly-once.toml"),
        harness: &Simulated(OutboxExactlyOnce),
    },
    Entry {
        source: include_str!("../../challenges/trace-context.toml"),
        harness: &Simulated(TraceContext),
    },
    Entry {
        source: include_str!("../../challenges/causal-log-order.toml"),
        harness: &CausalLog,
    },
    Entry {
        source: include_str!("../../challenges/kv-apply.toml"),
        harness: &Simulated(KvChallenge(KvStep::Apply)),
    },
    Entry {
        source: include_str!("../../challenges/kv-dedup.toml"),
        harness: &Simulated(KvChallenge(KvStep::Dedup)),
    },
    Entry {
        source: include_str!("../../challenges/kv-client.toml"),
        harness: &Simulated(KvChallenge(KvStep::Client)),
    },
    Entry {
        source: include_str!("../../challenges/kv-reads.toml"),
        harness: &Simulated(KvChallenge(KvStep::Reads)),
    },
];

/// A challenge definition, as written in its TOML file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Challenge {
    /// Stable id, used in URLs, content directives and saved progress.
    pub id: String,
    /// The chapter it belongs to.
    pub chapter: u8,
    /// Its title.
    pub title: String,
    /// Seeds checked by default.
    pub seeds: u64,
    /// One sentence for lists.
    pub summary: String,
    /// The task, in Markdown.
    pub statement: String,
    /// What the script sees (parameters, helpers), in Markdown.
    pub api: String,
    /// Hints, from gentle to nearly the answer.
    pub hints: Vec<String>,
    /// The code the editor starts with.
    pub starter: String,
    /// A solution that passes.
    pub reference: String,
    /// The properties checked, in order.
    pub properties: Vec<PropertyDef>,
    /// Known-wrong solutions, each caught by a named property.
    pub wrong: Vec<WrongVariant>,
}

/// A property a challenge checks.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PropertyDef {
    /// Stable id.
    pub id: String,
    /// A short title.
    pub title: String,
    /// What it means, in one sentence.
    pub explanation: String,
}

/// A known-wrong solution.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WrongVariant {
    /// What is wrong with it.
    pub name: String,
    /// The property it must violate.
    pub violates: String,
    /// Its code.
    pub code: String,
}

/// Every challenge, parsed once. The files are part of the build, so a malformed one is our
/// bug: the tests parse all of them.
pub fn challenges() -> &'static [Challenge] {
    static ALL: OnceLock<Vec<Challenge>> = OnceLock::new();
    ALL.get_or_init(|| {
        TABLE
            .iter()
            .map(|entry| {
                toml::from_str(entry.source).expect("challenge files are checked by tests")
            })
            .collect()
    })
}

/// The harness of a challenge from [`challenges`].
fn harness_of(challenge: &Challenge) -> &'static dyn harness::DynHarness {
    let index = challenges()
        .iter()
        .position(|c| c.id == challenge.id)
        .expect("challenges come from the table");
    TABLE[index].harness
}

/// The challenge with this id.
pub fn challenge(id: &str) -> Option<&'static Challenge> {
    challenges().iter().find(|c| c.id == id)
}

/// How a property fared in a check.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum PropertyStatus {
    /// Held on every seed checked.
    Held,
    /// Violated: see the report's failure.
    Violated,
    /// The check stopped (another property failed first, or it was cancelled) before this one
    /// was checked on every seed.
    Inconclusive,
}

/// One property's outcome.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PropertyOutcome {
    /// The property's id.
    pub id: String,
    /// Its title.
    pub title: String,
    /// What it means.
    pub explanation: String,
    /// How it fared.
    pub status: PropertyStatus,
}

/// A violated property with its smallest failing run.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Failure {
    /// The property violated.
    pub property: String,
    /// The seed whose run failed first.
    pub seed: u64,
    /// What went wrong, in a sentence or two.
    pub message: String,
    /// Events in the seed's run before shrinking.
    pub events_before_shrinking: usize,
    /// The shrunk run, one line per event, as the event log shows it.
    pub counterexample: Vec<String>,
    /// The shrunk run, for replaying it in the simulation view with the script in place
    /// (simulated challenges only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replay: Option<Box<crate::sim::spec::RunSpec>>,
    /// The step of the shrunk run at which the property failed (simulated challenges only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub step: Option<u64>,
}

/// The result of a check.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Verdict {
    /// Every property held on every seed.
    Passed,
    /// A property failed.
    Failed(Failure),
    /// The script does not compile, or failed while running.
    ScriptError {
        /// The error, located in the script.
        error: ScriptError,
        /// The seed it failed on, when it failed while running.
        seed: Option<u64>,
    },
    /// The caller stopped the check.
    Cancelled,
    /// Nothing failed, but on some seed a property could not be decided (a linearizability
    /// search ran out of its budget): not a pass.
    Unknown {
        /// The property left undecided.
        property: String,
        /// The first seed it was undecided on.
        seed: u64,
        /// Why, e.g. the step budget ran out after so many steps.
        reason: String,
    },
}

/// Everything a check found.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckReport {
    /// The challenge checked.
    pub challenge: String,
    /// Seeds asked for.
    pub seeds_total: u64,
    /// Seeds run before the check ended.
    pub seeds_run: u64,
    /// Per property.
    pub properties: Vec<PropertyOutcome>,
    /// The outcome.
    pub verdict: Verdict,
    /// Lines the script printed (bounded).
    pub printed: Vec<String>,
}

/// Options of a check.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckOptions {
    /// Seeds to run: `first_seed..first_seed + seeds`.
    pub seeds: u64,
    /// The first seed.
    pub first_seed: u64,
}

/// Checks `source` against a challenge. `progress(done, total)` is called after every seed;
/// returning `false` cancels the check.
pub fn check(
    challenge: &Challenge,
    source: &str,
    options: CheckOptions,
    progress: &mut dyn FnMut(u64, u64) -> bool,
) -> CheckReport {
    let seeds = options.seeds.clamp(1, CHECK_SEEDS_MAX);
    let options = CheckOptions { seeds, ..options };
    harness_of(challenge).check(challenge, source, options, progress)
}

/// An interactive session on a failure's shrunk run (`Failure::replay`) with the learner's
/// code in place, for the simulation view's "Replay this run". `Err` says why it cannot be
/// replayed (a challenge whose harness is not a simulation, code that no longer compiles, a
/// run that does not build).
pub fn replay_session(
    challenge_id: &str,
    source: &str,
    spec: &crate::sim::spec::RunSpec,
) -> Result<crate::sim::session::Session, String> {
    let challenge = challenge(challenge_id)
        .ok_or_else(|| format!("There is no challenge '{challenge_id}'."))?;
    harness_of(challenge)
        .replay(source, spec)
        .map_err(|why| format!("{} — {why}", challenge.title))
}

/// Test support shared by the challenges' tests of learner-style solutions.
#[cfg(test)]
pub(crate) mod solutions {
    use std::path::PathBuf;

    /// The solutions in `engine/<dir>`, sorted by file name, as (path, code, expectation): the
    /// expectation is the first line's `// expect: …` — `pass`, or the property the solution
    /// must fail with (several joined by ` or ` when the run drawn decides which comes first).
    pub(crate) fn read(dir: &str) -> Vec<(PathBuf, String, String)> {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(dir);
        let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        files.sort();
        files
            .into_iter()
            .map(|path| {
                let code = std::fs::read_to_string(&path).unwrap();
                let expect = code
                    .lines()
                    .next()
                    .and_then(|l| l.strip_prefix("// expect: "))
                    .unwrap_or_else(|| panic!("{}: no expectation", path.display()))
                    .to_string();
                (path, code, expect)
            })
            .collect()
    }

    /// Whether an expectation names `property`.
    pub(crate) fn names(expect: &str, property: &str) -> bool {
        expect.split(" or ").any(|p| p == property)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::script::ScriptErrorKind;

    fn run(challenge: &Challenge, source: &str, seeds: u64) -> CheckReport {
        check(
            challenge,
            source,
            CheckOptions {
                seeds,
                first_seed: 0,
            },
            &mut |_, _| true,
        )
    }

    #[test]
    fn every_challenge_file_is_complete() {
        assert!(!challenges().is_empty());
        for c in challenges() {
            let mut ids: Vec<&str> = c.properties.iter().map(|p| p.id.as_str()).collect();
            let mut judged = harness_of(c).properties();
            ids.sort_unstable();
            judged.sort_unstable();
            assert_eq!(
                ids, judged,
                "{}: the file lists exactly the properties its harness judges",
                c.id
            );
            assert!(c.hints.len() >= 2, "{}: progressive hints", c.id);
            assert!(
                c.wrong.len() >= 3,
                "{}: at least three wrong variants",
                c.id
            );
            for w in &c.wrong {
                assert!(
                    c.properties.iter().any(|p| p.id == w.violates),
                    "{}: variant '{}' names an unknown property {}",
                    c.id,
                    w.name,
                    w.violates
                );
            }
            assert!(crate::catalog::challenge_ids().contains(&c.id.as_str()));
        }
    }

    /// Most lines a known-wrong variant's counterexample may show: enough for a person to read
    /// (the routine events are folded; the replay shows them all).
    const COUNTEREXAMPLE_LINES_READABLE_MAX: usize = 200;
    /// The median counterexample of a challenge's known-wrong variants is at most this long.
    const COUNTEREXAMPLE_LINES_MEDIAN_MAX: usize = 60;

    #[test]
    fn every_reference_passes_and_every_wrong_variant_fails_with_its_property() {
        for c in challenges() {
            let report = run(c, &c.reference, c.seeds);
            assert_eq!(
                report.verdict,
                Verdict::Passed,
                "{}: the reference passes",
                c.id
            );
            assert_eq!(report.seeds_run, c.seeds);
            assert!(report
                .properties
                .iter()
                .all(|p| p.status == PropertyStatus::Held));
            let mut sizes = Vec::new();
            for w in &c.wrong {
                let report = run(c, &w.code, c.seeds);
                match &report.verdict {
                    Verdict::Failed(failure) => {
                        sizes.push(failure.counterexample.len());
                        assert_eq!(failure.property, w.violates, "{}: '{}'", c.id, w.name);
                        assert!(!failure.counterexample.is_empty());
                        assert!(failure.counterexample.len() <= failure.events_before_shrinking);
                        if ["leader-elected", "log-committed"].contains(&failure.property.as_str())
                        {
                            assert!(
                                failure.message.contains("At t=")
                                    && failure.message.contains("n0 "),
                                "{}: a liveness failure names each server's state: {}",
                                c.id,
                                failure.message
                            );
                        }
                        assert!(
                            failure.counterexample.len() <= COUNTEREXAMPLE_LINES_READABLE_MAX,
                            "{}: '{}' shows {} lines",
                            c.id,
                            w.name,
                            failure.counterexample.len()
                        );
                    }
                    other => panic!("{}: '{}' must fail, got {other:?}", c.id, w.name),
                }
            }
            sizes.sort_unstable();
            let median = (sizes[(sizes.len() - 1) / 2] + sizes[sizes.len() / 2]) / 2;
            assert!(
                median <= COUNTEREXAMPLE_LINES_MEDIAN_MAX,
                "{}: the median counterexample shows {median} lines: {sizes:?}",
                c.id
            );
        }
    }

    #[test]
    fn the_starter_code_runs_but_fails() {
        for c in challenges() {
            let report = run(c, &c.starter, c.seeds);
            assert!(
                matches!(report.verdict, Verdict::Failed(_)),
                "{}: {:?}",
                c.id,
                report.verdict
            );
        }
    }

    #[test]
    fn checks_are_deterministic_and_cancellable() {
        let c = &challenges()[0];
        let wrong = &c.wrong[0].code;
        assert_eq!(run(c, wrong, 50), run(c, wrong, 50));
        let mut calls = 0;
        let report = check(
            c,
            &c.reference,
            CheckOptions {
                seeds: 50,
                first_seed: 0,
            },
            &mut |_, _| {
                calls += 1;
                calls < 5
            },
        );
        assert_eq!(report.verdict, Verdict::Cancelled);
        assert_eq!(report.seeds_run, 5);
        assert!(report
            .properties
            .iter()
            .all(|p| p.status == PropertyStatus::Inconclusive));
    }

    #[test]
    fn script_errors_are_reported_with_their_place() {
        let c = &challenges()[0];
        let syntax = run(c, "fn on_local(clock, me) {\n  clock[me] += ;\n}", 10);
        let Verdict::ScriptError { error, seed: None } = syntax.verdict else {
            panic!("{:?}", syntax.verdict)
        };
        assert_eq!((error.kind, error.line), (ScriptErrorKind::Syntax, Some(2)));
        let endless = c.reference.replace(
            "clock[me] += 1;\n    clock\n}\n\nfn on_send",
            "loop {}\n}\n\nfn on_send",
        );
        let budget = run(c, &endless, 10);
        let Verdict::ScriptError {
            error,
            seed: Some(_),
        } = budget.verdict
        else {
            panic!("{:?}", budget.verdict)
        };
        assert_eq!(error.kind, ScriptErrorKind::Budget);
    }

    /// "Replay this run" for a monitored challenge: the shrunk run of a failure-detector
    /// variant opens in a session that reaches the same violation at the same step, also after
    /// seeking back and forth (monitors are part of the checkpointed world).
    #[test]
    fn a_failure_detector_failure_replays_and_seeks_to_its_violation() {
        let c = challenge("failure-detector").expect("challenge");
        for wrong in &c.wrong {
            let report = run(c, &wrong.code, 20);
            let Verdict::Failed(failure) = report.verdict else {
                panic!("{}: {:?}", wrong.name, report.verdict)
            };
            let spec = failure.replay.as_deref().expect("a simulated run").clone();
            let step = failure.step.expect("the violating step");
            let mut session = replay_session(&c.id, &wrong.code, &spec).expect("it replays");
            let at = |session: &mut crate::sim::session::Session, s| {
                session
                    .run(crate::sim::session::Command::Seek(s))
                    .expect("seek")
                    .violation
            };
            let first = at(&mut session, step).expect("the violation is there at its step");
            assert_eq!(first.property, failure.property, "{}", wrong.name);
            assert_eq!(first.step, step);
            assert!(at(&mut session, step / 2).is_none(), "not yet half way");
            assert_eq!(
                at(&mut session, step),
                Some(first.clone()),
                "seeking back and forth"
            );
            let said = first
                .message
                .as_deref()
                .expect("a monitor says what went wrong");
            assert!(failure.message.contains(said), "{}", failure.message);
        }
    }

    #[test]
    fn a_raft_failure_replays_in_a_session_up_to_its_violation() {
        let c = challenge("raft-request-vote").expect("challenge");
        let wrong = c
            .wrong
            .iter()
            .find(|w| w.violates == "election-safety")
            .expect("a variant that votes twice");
        let report = run(c, &wrong.code, 20);
        let Verdict::Failed(failure) = report.verdict else {
            panic!("{:?}", report.verdict)
        };
        let spec = failure.replay.as_deref().expect("a simulated run").clone();
        let step = failure.step.expect("the violating step");
        let mut session = replay_session(&c.id, &wrong.code, &spec).expect("it replays");
        let view = session
            .run(crate::sim::session::Command::Seek(step))
            .expect("seek");
        assert_eq!(view.step, step);
        let violation = view.violation.expect("the violation is there at its step");
        assert_eq!(violation.property, failure.property);
        // With the reference in place the same run does not fail.
        let mut fixed = replay_session(&c.id, &c.reference, &spec).expect("it replays");
        let view = fixed
            .run(crate::sim::session::Command::Seek(step))
            .expect("seek");
        assert!(view.violation.is_none(), "{:?}", view.violation);
        // Runs of a challenge that is not a simulation, and code that does not compile, are
        // refused with a reason.
        assert!(replay_session("vector-clocks", "", &spec)
            .err()
            .is_some_and(|e| e.contains("cannot be replayed")));
        let detector = &challenge("failure-detector").expect("challenge").reference;
        assert!(replay_session("failure-detector", detector, &spec)
            .err()
            .is_some_and(|e| e.contains("not a scenario of this challenge")));
        assert!(replay_session(&c.id, "fn (", &spec).is_err());
    }
}
