//! The quorum-read-repair harness (chapter 3): the learner's script is every read's
//! coordinator — when the replies gathered are enough and which is the answer, and which homes
//! to repair — and the runs of [`super::scenarios`] judge what clients observe and what the
//! homes come to hold.
//!
//! The script sees plain Rhai values: each reply is a map of integers, a string and a boolean,
//! its version a map `#{ counter, writer }`. `read_result` must return `()` (wait) or one of the
//! replies (a map with that reply's `version` and `value`); `repairs` an array of replica ids.
//! Anything else stops the check with a [`crate::script::ScriptErrorKind::WrongResult`] at the
//! function's definition.
//!
//! Runs: seed `s` is a swarm run, except that every [`SCRIPTED_EVERY`]-th seed is one of the
//! scripted runs (`quorum-stale-replica`, `quorum-sloppy`, `quorum-concurrent`) in turn, so the
//! states behind the classic mistakes are among those checked in every sample of seeds.

use std::rc::Rc;

use rhai::{Array, Dynamic, Map};

use super::node::Quorum;
use super::rules::{Decision, ReadRules};
use super::scenarios::{self, run_of, SCRIPTED, SCRIPTED_EVERY, SWARM, TAIL_TICKS};
use super::types::{Msg, ReadReply, Stored, Version};
use super::{KEYS, REPLICAS};
use crate::challenge::harness::{last_override_time, Script, SimChallenge};
use crate::script::convert::{get_u64, int, map};
use crate::script::RequiredFn;
use crate::sim::protocol::NodeId;
use crate::sim::spec::RunSpec;
use crate::sim::trace::{Event, TraceEvent};
use crate::sim::world::Scenario;

const REQUIRED: [RequiredFn; 2] = [
    RequiredFn {
        name: "read_result",
        params: &["replies", "r"],
    },
    RequiredFn {
        name: "repairs",
        params: &["replies", "chosen"],
    },
];

/// The learner's script as the read coordinator. The first error is latched in the
/// [`Script`]; every later call answers `None` and the store falls back to its own rules.
pub struct ScriptRules {
    script: Rc<Script>,
}

fn version_map(v: Version) -> Dynamic {
    map([
        ("counter", int(v.counter)),
        ("writer", Dynamic::from_int(i64::from(v.writer))),
    ])
}

fn reply_map(r: &ReadReply) -> Dynamic {
    map([
        ("replica", Dynamic::from_int(i64::from(r.replica))),
        ("key", Dynamic::from(KEYS[r.key].to_string())),
        ("version", version_map(r.stored.version)),
        ("value", int(r.stored.value)),
        ("written_at", int(r.stored.written_at)),
        ("hinted", Dynamic::from_bool(r.hinted)),
    ])
}

fn replies_array(replies: &[ReadReply]) -> Dynamic {
    Dynamic::from_array(replies.iter().map(reply_map).collect())
}

/// The version a script's map holds, if it is `#{ counter, writer }` of integers.
fn as_version(value: &Dynamic) -> Option<Version> {
    let m: Map = value.clone().try_cast()?;
    Some(Version {
        counter: get_u64(&m, "counter")?,
        writer: NodeId::try_from(get_u64(&m, "writer")?).ok()?,
    })
}

/// The reply a script's answer names: a map whose `version` and `value` are a reply's — the
/// reply of its `replica`, when it has one (the reply itself), else the first such reply.
fn named_reply<'a>(value: &Dynamic, replies: &'a [ReadReply]) -> Option<&'a ReadReply> {
    let m: Map = value.clone().try_cast()?;
    let version = as_version(m.get("version")?)?;
    let v = get_u64(&m, "value")?;
    let replica = get_u64(&m, "replica");
    let mut same = replies
        .iter()
        .filter(|r| r.stored.version == version && r.stored.value == v);
    match replica {
        Some(id) => same.find(|r| u64::from(r.replica) == id),
        None => same.next(),
    }
}

impl ReadRules for ScriptRules {
    fn read_result(&self, replies: &[ReadReply], r: usize) -> Option<Decision> {
        const NAME: &str = "read_result";
        let value = self
            .script
            .call(NAME, (replies_array(replies), int(r as u64)))?;
        if value.is_unit() {
            return Some(Decision::Wait);
        }
        let chosen = named_reply(&value, replies);
        if chosen.is_none() {
            self.script.wrong(
                NAME,
                &value,
                "() to wait, or one of the replies (a map with its version and value)",
            );
        }
        chosen.map(|r| Decision::Answer(r.stored))
    }
    fn repairs(&self, replies: &[ReadReply], chosen: &Stored) -> Option<Vec<NodeId>> {
        const NAME: &str = "repairs";
        let answer = replies
            .iter()
            .find(|r| r.stored == *chosen)
            .map_or(Dynamic::UNIT, reply_map);
        let value = self.script.call(NAME, (replies_array(replies), answer))?;
        let ids = value.clone().try_cast::<Array>().and_then(|a| {
            a.iter()
                .map(|x| {
                    x.as_int()
                        .ok()
                        .and_then(|n| NodeId::try_from(n).ok())
                        .filter(|&n| n < REPLICAS)
                })
                .collect::<Option<Vec<NodeId>>>()
        });
        if ids.is_none() {
            self.script.wrong(
                NAME,
                &value,
                "an array of replica ids (0 to 4), e.g. [] or [1]",
            );
        }
        ids
    }
}

/// The quorum-read-repair challenge.
pub struct QuorumReadRepair;

/// Every run id of the challenge.
fn ids() -> impl Iterator<Item = &'static str> {
    std::iter::once(SWARM).chain(SCRIPTED)
}

impl SimChallenge for QuorumReadRepair {
    type P = Quorum;
    type Installed = Rc<dyn ReadRules>;

    fn required(&self) -> &'static [RequiredFn] {
        &REQUIRED
    }
    fn install(&self, script: Rc<Script>) -> Rc<dyn ReadRules> {
        Rc::new(ScriptRules { script })
    }
    fn scenario(&self, rules: &Rc<dyn ReadRules>, id: &str) -> Option<Scenario<Quorum>> {
        ids()
            .find(|&known| known == id)
            .map(|id| scenarios::scenario(id, rules.clone()))
    }
    fn run_of(&self, seed: u64) -> RunSpec {
        run_of(seed)
    }
    fn properties(&self) -> Vec<&'static str> {
        super::properties::properties()
            .iter()
            .map(|p| p.name)
            .collect()
    }
    fn horizon(&self, _: &Scenario<Quorum>, spec: &RunSpec) -> u64 {
        last_override_time(spec) + TAIL_TICKS
    }
    /// What a counterexample shows: faults and clock settings, the clients' requests and
    /// answers, every note (what homes store, each read's decision, hints), and the replies,
    /// repairs and hints as they arrive. Gets, puts, acknowledgements, timers, sends and drops
    /// are folded.
    fn matters(&self, event: &TraceEvent<Quorum>) -> bool {
        match &event.event {
            Event::Action(_) | Event::Request { .. } | Event::Reply { .. } | Event::Note { .. } => {
                true
            }
            Event::Recv { msg, .. } => matches!(
                msg,
                Msg::Value { .. } | Msg::Repair { .. } | Msg::Hint { .. }
            ),
            _ => false,
        }
    }
}

/// Seeds of the scripted run `id` among the first `seeds`.
pub fn scripted_seeds(id: &str, seeds: u64) -> Vec<u64> {
    let k = SCRIPTED.iter().position(|&s| s == id).unwrap_or(0) as u64;
    (0..seeds)
        .filter(|s| {
            s % SCRIPTED_EVERY == SCRIPTED_EVERY - 1
                && (s / SCRIPTED_EVERY) % SCRIPTED.len() as u64 == k
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::challenge::harness::{Harness, Simulated};
    use crate::challenge::{challenge, check, replay_session, CheckOptions, CheckReport, Verdict};
    use crate::protocols::quorum::Reference;
    use crate::script::ScriptErrorKind;
    use crate::sim::world::{Sim, SimOptions};

    fn run(source: &str, first_seed: u64, seeds: u64) -> CheckReport {
        check(
            challenge("quorum-read-repair").unwrap(),
            source,
            CheckOptions { seeds, first_seed },
            &mut |_, _| true,
        )
    }

    /// The run of `seed` with `rules`, traced to its horizon (stopping at a violation).
    fn traced(rules: Rc<dyn ReadRules>, seed: u64) -> Sim<Quorum> {
        let spec = run_of(seed);
        let scenario = QuorumReadRepair.scenario(&rules, &spec.scenario).unwrap();
        let end = QuorumReadRepair.horizon(&scenario, &spec);
        let options = SimOptions {
            record_trace: true,
            ..SimOptions::CHECK
        };
        let mut sim = Sim::new(scenario, spec, options).unwrap();
        sim.run_until_time(end, true).unwrap();
        sim.finish_liveness();
        sim
    }

    fn script_rules(source: &str) -> Rc<dyn ReadRules> {
        QuorumReadRepair.install(Script::compile(source, &REQUIRED).unwrap())
    }

    /// Offsets of the windows of seeds the spread tests check: far apart, so that a verdict
    /// that held only for the seeds a check happens to start with would show.
    const WINDOWS: [u64; 5] = [0, 777, 3_000, 10_001, 31_337];
    /// Seeds per window: four of each scripted run.
    const WINDOW_SEEDS: u64 = 48;

    /// Each known-wrong variant is caught in every window of seeds, not only in the first
    /// 200, with the property it names, and the reference passes them all.
    #[test]
    fn each_wrong_variant_is_caught_in_every_window_of_seeds() {
        let c = challenge("quorum-read-repair").unwrap();
        assert!(c.wrong.len() >= 8, "{} variants", c.wrong.len());
        for first in WINDOWS {
            assert_eq!(
                run(&c.reference, first, WINDOW_SEEDS).verdict,
                Verdict::Passed
            );
            for w in &c.wrong {
                let report = run(&w.code, first, WINDOW_SEEDS);
                let Verdict::Failed(f) = &report.verdict else {
                    panic!("'{}' from seed {first}: {:?}", w.name, report.verdict)
                };
                assert_eq!(f.property, w.violates, "'{}' from seed {first}", w.name);
                assert!(f.message.starts_with("Violated at t="), "{}", f.message);
                assert!(f.message.contains(&f.property), "{}", f.message);
            }
        }
    }

    /// The scripted runs make each verdict a matter of design, not of the seeds drawn: on every
    /// scripted run a known-wrong variant either passes or fails with the property it names,
    /// and for each variant one kind of scripted run fails on every seed.
    #[test]
    fn every_scripted_run_fails_each_variant_with_its_property_or_not_at_all() {
        let c = challenge("quorum-read-repair").unwrap();
        let harness = Simulated(QuorumReadRepair);
        for w in &c.wrong {
            let installed = harness.install(Script::compile(&w.code, &REQUIRED).unwrap());
            let mut always = SCRIPTED.to_vec();
            for first in WINDOWS {
                for seed in first..first + WINDOW_SEEDS {
                    let spec = run_of(seed);
                    if spec.scenario == SWARM {
                        continue;
                    }
                    match harness.judge(&installed, &spec).unwrap() {
                        Some(f) => assert_eq!(f.property, w.violates, "'{}' seed {seed}", w.name),
                        None => always.retain(|&id| id != spec.scenario),
                    }
                }
            }
            assert!(
                !always.is_empty(),
                "'{}' is not caught by one kind of run every time",
                w.name
            );
        }
    }

    /// A counterexample's run token opens in the simulation view too: every run id of the
    /// challenge is a registered scenario (with the reference rules), whose default run is the
    /// run's script.
    #[test]
    fn every_run_of_the_challenge_is_a_registered_scenario() {
        let registered = crate::scenarios::scenario_ids();
        for id in ids() {
            assert!(registered.contains(&id), "{id}");
            let default = crate::scenarios::default_spec(id, 0).unwrap();
            assert!(!default.overrides.is_empty(), "{id}");
        }
    }

    #[test]
    fn every_fourth_seed_is_a_scripted_run_in_turn() {
        let ids: Vec<String> = (0..24).map(|s| run_of(s).scenario).collect();
        assert_eq!(ids[3], "quorum-stale-replica");
        assert_eq!(ids[7], "quorum-sloppy");
        assert_eq!(ids[11], "quorum-concurrent");
        assert_eq!(ids[15], "quorum-stale-replica");
        assert_eq!(ids.iter().filter(|id| *id == SWARM).count(), 18);
        assert_eq!(scripted_seeds("quorum-sloppy", 24), vec![7, 19]);
        assert_eq!(run_of(5), run_of(5));
        assert_ne!(run_of(5), run_of(9));
    }

    /// The trace of a run is a pure function of its seed and rules: twice the same hash, the
    /// script reference and the Rust [`Reference`] give the same run, and one hash is pinned
    /// (a change to the store or its runs shows here).
    #[test]
    fn runs_are_deterministic_and_the_script_reference_is_the_rust_one() {
        let c = challenge("quorum-read-repair").unwrap();
        for seed in [0, 3, 7, 11, 42] {
            let a = traced(script_rules(&c.reference), seed).trace_hash();
            let b = traced(script_rules(&c.reference), seed).trace_hash();
            let rust = traced(Rc::new(Reference), seed).trace_hash();
            assert_eq!((a, rust), (b, b), "seed {seed}");
        }
        let pinned = traced(Rc::new(Reference), 7);
        assert_eq!(pinned.spec().scenario, "quorum-sloppy");
        assert_eq!(
            crate::hash::hex(pinned.trace_hash()),
            "be6fda33f52fb20d",
            "quorum-sloppy seed 7"
        );
        for w in &c.wrong {
            assert_eq!(run(&w.code, 0, 30), run(&w.code, 0, 30), "{}", w.name);
        }
    }

    #[test]
    fn results_of_the_wrong_type_are_wrong_results_at_the_function() {
        let c = challenge("quorum-read-repair").unwrap();
        let cases = [
            (
                c.reference.replace("    best\n}", "    best.value\n}"),
                "fn read_result",
                "one of the replies",
            ),
            (
                c.reference.replace(
                    "    best\n}",
                    "    #{ version: best.version, value: 7777 }\n}",
                ),
                "fn read_result",
                "one of the replies",
            ),
            (
                c.reference
                    .replace("stale.push(x.replica)", "stale.push(x)"),
                "fn repairs",
                "replica ids",
            ),
            (
                c.reference.replace("    stale\n}", "    5\n}"),
                "fn repairs",
                "replica ids",
            ),
        ];
        for (source, function, expected) in cases {
            let report = run(&source, 0, 10);
            let Verdict::ScriptError { error, seed } = report.verdict else {
                panic!("{function}: {:?}", report.verdict)
            };
            assert_eq!(error.kind, ScriptErrorKind::WrongResult, "{error}");
            let line = source.lines().position(|l| l.contains(function)).unwrap() + 1;
            assert_eq!(error.line, Some(line), "{error}");
            assert!(error.message.contains(expected), "{error}");
            assert!(seed.is_some());
        }
        let missing = run("fn read_result(replies, r) { () }", 0, 10);
        let Verdict::ScriptError { error, seed: None } = missing.verdict else {
            panic!("{:?}", missing.verdict)
        };
        assert_eq!(error.kind, ScriptErrorKind::MissingFunction);
        let endless = c
            .reference
            .replace("let stale = [];", "let stale = []; loop {}");
        let Verdict::ScriptError { error, .. } = run(&endless, 0, 10).verdict else {
            panic!("an endless loop is a script error")
        };
        assert_eq!(error.kind, ScriptErrorKind::Budget, "{error}");
    }

    /// A shrunk counterexample replays in a session that reaches the same violation at the
    /// same step; with the reference in place the same run passes.
    #[test]
    fn a_failure_replays_and_the_reference_passes_its_run() {
        let c = challenge("quorum-read-repair").unwrap();
        for w in &c.wrong {
            let Verdict::Failed(failure) = run(&w.code, 0, 24).verdict else {
                panic!("{}", w.name)
            };
            let spec = failure.replay.as_deref().unwrap().clone();
            let step = failure.step.unwrap();
            let mut session = replay_session(&c.id, &w.code, &spec).unwrap();
            let view = session
                .run(crate::sim::session::Command::Seek(step))
                .unwrap();
            let violation = view.violation.expect("the violation at its step");
            assert_eq!(
                (violation.property.as_str(), violation.step),
                (w.violates.as_str(), step)
            );
            let harness = Simulated(QuorumReadRepair);
            let installed = harness.install(Script::compile(&c.reference, &REQUIRED).unwrap());
            assert_eq!(
                harness.judge(&installed, &spec).unwrap(),
                None,
                "{}",
                w.name
            );
            // The run is also a registered scenario's: its token opens with the reference.
            let token = spec.to_url_token();
            assert_eq!(crate::scenarios::spec_from_token(&token).unwrap(), spec);
        }
    }

    /// Solutions a learner might write from the statement alone
    /// (`engine/testdata/quorum-solutions/`, each opening with `// expect: pass` or the property
    /// it must fail): correct ones in different styles pass, here and from another first seed;
    /// the subtly wrong ones fail with the property named.
    #[test]
    fn learner_solutions_are_judged_as_their_files_expect() {
        let c = challenge("quorum-read-repair").unwrap();
        let dir =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/quorum-solutions");
        let mut files: Vec<_> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        files.sort();
        assert!(files.len() >= 8, "{files:?}");
        let (mut passing, mut failing) = (0, 0);
        for path in files {
            let code = std::fs::read_to_string(&path).unwrap();
            let expect = code
                .lines()
                .next()
                .and_then(|l| l.strip_prefix("// expect: "))
                .unwrap_or_else(|| panic!("{}: no expectation", path.display()));
            let report = run(&code, 0, c.seeds);
            match (&report.verdict, expect) {
                (Verdict::Passed, "pass") => {
                    passing += 1;
                    let later = run(&code, 10_001, c.seeds).verdict;
                    assert_eq!(later, Verdict::Passed, "{}", path.display());
                }
                (Verdict::Failed(f), property) if f.property == property => failing += 1,
                (other, _) => panic!("{}: expected {expect}, got {other:?}", path.display()),
            }
        }
        assert!(
            passing >= 4 && failing >= 4,
            "{passing} pass, {failing} fail"
        );
    }

    /// For each variant, how often each run kind fails with each property (seeds 0..400):
    /// `cargo test -p engine --lib quorum_variant_tally -- --ignored --nocapture`
    #[test]
    #[ignore]
    fn quorum_variant_tally() {
        let c = challenge("quorum-read-repair").unwrap();
        let harness = Simulated(QuorumReadRepair);
        for (name, code) in c
            .wrong
            .iter()
            .map(|w| (format!("{} [{}]", w.name, w.violates), w.code.as_str()))
            .chain([("starter".to_string(), c.starter.as_str())])
        {
            let installed = harness.install(Script::compile(code, &REQUIRED).unwrap());
            let mut tally: std::collections::BTreeMap<(String, String), u32> = Default::default();
            for seed in 0..400 {
                let spec = run_of(seed);
                let found = harness.judge(&installed, &spec).unwrap();
                let property = found.map_or("-".to_string(), |f| f.property);
                *tally.entry((spec.scenario, property)).or_default() += 1;
            }
            println!("{name}: {tally:?}");
        }
    }

    /// Native timing of the reference and what each wrong variant violates:
    /// `cargo test --profile fast -p engine --lib quorum_challenge_survey -- --ignored --nocapture`.
    #[test]
    #[ignore]
    fn quorum_challenge_survey() {
        let c = challenge("quorum-read-repair").unwrap();
        for first in [0, 1000, 5000] {
            let start = std::time::Instant::now();
            let report = run(&c.reference, first, c.seeds);
            println!(
                "from {first}: reference {:?} in {:.2?}",
                report.verdict,
                start.elapsed()
            );
            let mut sizes = Vec::new();
            for w in c
                .wrong
                .iter()
                .map(|w| (w.name.as_str(), w.code.as_str(), w.violates.as_str()))
                .chain([("starter", c.starter.as_str(), "?")])
            {
                let start = std::time::Instant::now();
                let report = run(w.1, first, c.seeds);
                match &report.verdict {
                    Verdict::Failed(f) => {
                        sizes.push(f.counterexample.len());
                        println!(
                            "  {} [{}]: {} at seed {} step {:?} ({} -> {} lines) in {:.2?}\n      {}",
                            w.0,
                            w.2,
                            f.property,
                            f.seed,
                            f.step,
                            f.events_before_shrinking,
                            f.counterexample.len(),
                            start.elapsed(),
                            f.message
                        )
                    }
                    other => println!("  {} [{}]: {other:?}", w.0, w.2),
                }
            }
            sizes.sort_unstable();
            println!("  counterexample lines, sorted: {sizes:?}");
        }
    }
}
