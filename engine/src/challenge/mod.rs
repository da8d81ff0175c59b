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
    Entry {
        source: include_str!("../../challenges/kv-your-raft.toml"),
        harness: &Simulated(KvChallenge(KvStep::Raft)),
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
    /// Challenges whose code this one runs together (the capstone's `kv-your-raft` runs the
    /// three chapter 4 Raft parts): its starter and reference, when the file leaves them
    /// empty, are theirs joined by [`compose`], and a wrong variant may take its code from
    /// one of theirs ([`WrongVariant::from`]).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub compose: Vec<String>,
    /// For a challenge that measures its runs: what comparing a passing solution's cost with
    /// the reference's teaches (one paragraph, shown under the comparison).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub efficiency: String,
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
    #[serde(default)]
    pub code: String,
    /// In a composed challenge: `"<part id>: <wrong variant name>"`, a wrong variant of one
    /// composed challenge, run with the other parts' references (the code is filled in).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
}

/// The code of several challenges as one script: each part under a comment line naming it and
/// `note` (e.g. where the code comes from). Rhai has one namespace per script, so two parts
/// must not define a function of the same name and arity.
pub fn compose<'a>(parts: impl IntoIterator<Item = (&'a str, &'a str, &'a str)>) -> String {
    let mut out = String::new();
    for (id, note, code) in parts {
        if !out.is_empty() {
            out.push('\n');
        }
        out.push_str(&format!("// ──── {id}: {note} ────\n"));
        out.push_str(code.trim_matches('\n'));
        out.push('\n');
    }
    out
}

/// Fills in a composed challenge from the challenges it composes (see [`Challenge::compose`]).
fn composed(mut c: Challenge, all: &[Challenge]) -> Challenge {
    if c.compose.is_empty() {
        return c;
    }
    let parts: Vec<&Challenge> = c
        .compose
        .iter()
        .map(|id| {
            all.iter()
                .find(|p| &p.id == id)
                .expect("a composed challenge is in the table")
        })
        .collect();
    let join = |pick: &dyn Fn(&Challenge) -> (&'static str, String)| {
        let codes: Vec<(&str, &str, String)> = parts
            .iter()
            .map(|p| {
                let (note, code) = pick(p);
                (p.id.as_str(), note, code)
            })
            .collect();
        compose(
            codes
                .iter()
                .map(|(id, note, code)| (*id, *note, code.as_str())),
        )
    };
    if c.starter.trim().is_empty() {
        c.starter = join(&|p| ("the starter", p.starter.clone()));
    }
    if c.reference.trim().is_empty() {
        c.reference = join(&|p| ("the reference", p.reference.clone()));
    }
    for w in &mut c.wrong {
        let Some(from) = &w.from else { continue };
        let (part, name) = from
            .split_once(": ")
            .expect("`from` is \"<part id>: <name>\"");
        let variant = parts
            .iter()
            .find(|p| p.id == part)
            .and_then(|p| p.wrong.iter().find(|v| v.name == name))
            .unwrap_or_else(|| panic!("{}: no wrong variant {from}", c.id));
        let code = variant.code.clone();
        w.code = join(&|p| {
            if p.id == part {
                ("wrong", code.clone())
            } else {
                ("the reference", p.reference.clone())
            }
        });
    }
    c
}

/// Every challenge, parsed once. The files are part of the build, so a malformed one is our
/// bug: the tests parse all of them.
pub fn challenges() -> &'static [Challenge] {
    static ALL: OnceLock<Vec<Challenge>> = OnceLock::new();
    ALL.get_or_init(|| {
        let parsed: Vec<Challenge> = TABLE
            .iter()
            .map(|entry| {
                toml::from_str(entry.source).expect("challenge files are checked by tests")
            })
            .collect();
        parsed
            .iter()
            .map(|c| composed(c.clone(), &parsed))
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
    /// For a passing check of a challenge that measures its runs: what your code cost
    /// against what the reference costs on the same seeds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub efficiency: Option<Box<Efficiency>>,
}

/// What one seed's run cost, for a challenge that measures it ([`harness::SimChallenge::cost`]).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Cost {
    /// Messages sent in the run, client requests and answers included.
    pub messages: u64,
    /// Operations that ended with an answer.
    pub ops: u64,
    /// Entries in the longest replicated log at the end (each a durable write on a majority
    /// in a real store); 0 where there is no log.
    pub entries: u64,
    /// Each answered read's latency, invocation to answer, in ticks.
    pub reads: Vec<u64>,
    /// Each answered write's latency.
    pub writes: Vec<u64>,
}

/// The smallest of `sorted` with at least `per_mille`/1000 of them at or below it (0 when
/// there are none).
fn percentile(sorted: &[u64], per_mille: usize) -> u64 {
    if sorted.is_empty() {
        return 0;
    }
    let rank = (sorted.len() * per_mille).div_ceil(1000).max(1);
    sorted[rank - 1]
}

impl Cost {
    /// Adds `other`'s run to this one.
    pub fn add(&mut self, other: Cost) {
        self.messages += other.messages;
        self.ops += other.ops;
        self.entries += other.entries;
        self.reads.extend(other.reads);
        self.writes.extend(other.writes);
    }

    /// The totals and latency percentiles.
    pub fn summary(mut self) -> CostSummary {
        self.reads.sort_unstable();
        self.writes.sort_unstable();
        CostSummary {
            messages: self.messages,
            ops: self.ops,
            entries: self.entries,
            read_p50: percentile(&self.reads, 500),
            read_p99: percentile(&self.reads, 990),
            write_p50: percentile(&self.writes, 500),
            write_p99: percentile(&self.writes, 990),
        }
    }
}

/// A check's cost over all its seeds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CostSummary {
    /// Messages sent, over every run.
    pub messages: u64,
    /// Operations answered, over every run.
    pub ops: u64,
    /// Log entries, over every run.
    pub entries: u64,
    /// Median latency of an answered read, in ticks.
    pub read_p50: u64,
    /// 99th-percentile latency of an answered read.
    pub read_p99: u64,
    /// Median latency of an answered write.
    pub write_p50: u64,
    /// 99th-percentile latency of an answered write.
    pub write_p99: u64,
}

impl CostSummary {
    /// Messages per answered operation, to one decimal (`"–"` when nothing was answered).
    pub fn messages_per_op(&self) -> String {
        self.per_op(self.messages)
    }

    /// Log entries per answered operation, to one decimal.
    pub fn entries_per_op(&self) -> String {
        self.per_op(self.entries)
    }

    fn per_op(&self, total: u64) -> String {
        if self.ops == 0 {
            return "–".into();
        }
        let tenths = (total * 10 + self.ops / 2) / self.ops;
        format!("{}.{}", tenths / 10, tenths % 10)
    }
}

impl Efficiency {
    /// The comparison as rows: (measure, yours, the reference's).
    pub fn rows(&self) -> Vec<(&'static str, String, String)> {
        let (y, r) = (&self.yours, &self.reference);
        let mut rows = vec![(
            "messages per operation",
            y.messages_per_op(),
            r.messages_per_op(),
        )];
        if y.entries > 0 || r.entries > 0 {
            rows.push((
                "log entries per operation",
                y.entries_per_op(),
                r.entries_per_op(),
            ));
        }
        let ticks = |a: u64, b: u64| (a.to_string(), b.to_string());
        for (measure, (yours, reference)) in [
            (
                "read latency, median (ticks)",
                ticks(y.read_p50, r.read_p50),
            ),
            (
                "read latency, 99th percentile",
                ticks(y.read_p99, r.read_p99),
            ),
            ("write latency, median", ticks(y.write_p50, r.write_p50)),
            (
                "write latency, 99th percentile",
                ticks(y.write_p99, r.write_p99),
            ),
        ] {
            rows.push((measure, yours, reference));
        }
        rows
    }

    /// One sentence on how yours compares: where it costs a tenth or more above the
    /// reference, or that it is as cheap.
    pub fn summary(&self) -> String {
        let (y, r) = (&self.yours, &self.reference);
        let above = |yours: u64, reference: u64| yours * 10 > reference * 11;
        let mut worse = Vec::new();
        // Cross-multiplied: yours per operation against the reference's per operation.
        if y.ops > 0 && r.ops > 0 && above(y.messages * r.ops, r.messages * y.ops) {
            worse.push("sends more messages per operation");
        }
        if y.ops > 0 && r.ops > 0 && above(y.entries * r.ops, r.entries * y.ops) {
            worse.push("writes more log entries per operation");
        }
        if above(y.read_p50, r.read_p50) || above(y.read_p99, r.read_p99) {
            worse.push("reads slower");
        }
        if above(y.write_p50, r.write_p50) || above(y.write_p99, r.write_p99) {
            worse.push("writes slower");
        }
        match worse.as_slice() {
            [] => "Correct, and within 10% of the reference's cost on every measure.".into(),
            [only] => format!("Correct, but it {only} than the reference on the same seeds."),
            [init @ .., last] => format!(
                "Correct, but it {} and {last} than the reference on the same seeds.",
                init.join(", ")
            ),
        }
    }
}

/// Your code's cost next to the reference's, on the same seeds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Efficiency {
    /// Your code's.
    pub yours: CostSummary,
    /// The reference solution's.
    pub reference: CostSummary,
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

#[cfg(test)]
mod cost_tests {
    use super::*;

    #[test]
    fn percentiles_are_nearest_rank() {
        let cost = Cost {
            messages: 45,
            ops: 10,
            entries: 6,
            reads: (1..=100).rev().collect(),
            writes: vec![7],
        };
        let s = cost.summary();
        assert_eq!((s.read_p50, s.read_p99), (50, 99));
        assert_eq!((s.write_p50, s.write_p99), (7, 7));
        assert_eq!(s.messages_per_op(), "4.5");
        assert_eq!(s.entries_per_op(), "0.6");
        assert_eq!(Cost::default().summary().messages_per_op(), "–");
        assert_eq!(Cost::default().summary().read_p99, 0);
    }

    #[test]
    fn the_summary_names_each_measure_a_tenth_above_the_reference() {
        let reference = CostSummary {
            messages: 1000,
            ops: 100,
            entries: 50,
            read_p50: 40,
            read_p99: 400,
            write_p50: 40,
            write_p99: 400,
        };
        let same = Efficiency {
            yours: reference,
            reference,
        };
        assert!(same.summary().starts_with("Correct, and within 10%"));
        let just_within = Efficiency {
            yours: CostSummary {
                messages: 1100,
                read_p50: 44,
                ..reference
            },
            reference,
        };
        assert!(
            just_within.summary().starts_with("Correct, and within 10%"),
            "{}",
            just_within.summary()
        );
        let worse = Efficiency {
            yours: CostSummary {
                messages: 1101,
                read_p99: 441,
                write_p50: 45,
                ..reference
            },
            reference,
        };
        assert_eq!(
            worse.summary(),
            "Correct, but it sends more messages per operation, reads slower and writes slower than the reference on the same seeds."
        );
        let no_log = CostSummary {
            entries: 0,
            ..reference
        };
        let rows = Efficiency {
            yours: no_log,
            reference: no_log,
        }
        .rows();
        assert!(rows.iter().all(|(m, _, _)| !m.contains("log entries")));
    }
}
