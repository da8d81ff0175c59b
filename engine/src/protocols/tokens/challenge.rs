//! The session-tokens harness (chapter 2): the learner's script is every session's rules —
//! what the token becomes after a write and after a read, which replica a read goes to, and
//! whether a replica may answer a request now — and the runs of [`super::scenarios`] judge the
//! four session guarantees and the liveness of reads.
//!
//! The script sees plain Rhai values: the token is whatever its functions return (it starts as
//! `0`); replies and replicas are maps of integers and booleans. `pick` must return a replica
//! id (0, 1 or 2) and `may_serve` a boolean; anything else stops the check with a
//! [`crate::script::ScriptErrorKind::WrongResult`] at the function's definition.
//!
//! Runs: seed `s` is a swarm run, except that every [`SCRIPTED_EVERY`]-th seed is one of the
//! scripted runs (`tokens-lag`, `tokens-failover`, `tokens-stale-leader`) in turn, so the
//! states behind the classic mistakes are among those checked in every sample of seeds.

use std::rc::Rc;

use rhai::Dynamic;

use super::node::Tokens;
use super::rules::{OpKind, ReplicaInfo, SessionRules};
use super::scenarios::{self, run_of, SCRIPTED, SCRIPTED_EVERY, SWARM, TAIL_TICKS};
use super::types::{Held, Msg, Token};
use super::REPLICAS;
use crate::challenge::harness::{last_override_time, Script, SimChallenge};
use crate::script::convert::{int, map};
use crate::script::RequiredFn;
use crate::sim::protocol::NodeId;
use crate::sim::spec::RunSpec;
use crate::sim::trace::{Event, TraceEvent};
use crate::sim::world::Scenario;

const REQUIRED: [RequiredFn; 4] = [
    RequiredFn {
        name: "after_write",
        params: &["token", "reply"],
    },
    RequiredFn {
        name: "after_read",
        params: &["token", "reply"],
    },
    RequiredFn {
        name: "pick",
        params: &["token", "home", "attempt"],
    },
    RequiredFn {
        name: "may_serve",
        params: &["token", "op", "replica"],
    },
];

/// The learner's script as the sessions' rules. The first error is latched in the
/// [`Script`]; every later call answers `None` and the store falls back to its own rules.
pub struct ScriptRules {
    script: Rc<Script>,
}

fn reply_map(held: &Held, clock: u64, replica: NodeId) -> Dynamic {
    map([
        ("replica", Dynamic::from_int(i64::from(replica))),
        ("version", int(held.version)),
        ("value", int(held.value)),
        ("written_at", int(held.written_at)),
        ("clock", int(clock)),
    ])
}

impl ScriptRules {
    fn after(
        &self,
        name: &str,
        token: &Token,
        held: &Held,
        clock: u64,
        replica: NodeId,
    ) -> Option<Token> {
        self.script
            .call(name, (token.0.clone(), reply_map(held, clock, replica)))
            .map(Token)
    }
}

impl SessionRules for ScriptRules {
    fn after_write(
        &self,
        token: &Token,
        reply: &Held,
        clock: u64,
        replica: NodeId,
    ) -> Option<Token> {
        self.after("after_write", token, reply, clock, replica)
    }
    fn after_read(
        &self,
        token: &Token,
        reply: &Held,
        clock: u64,
        replica: NodeId,
    ) -> Option<Token> {
        self.after("after_read", token, reply, clock, replica)
    }
    fn pick(&self, token: &Token, home: NodeId, attempt: u64) -> Option<NodeId> {
        const NAME: &str = "pick";
        let value = self.script.call(
            NAME,
            (
                token.0.clone(),
                Dynamic::from_int(i64::from(home)),
                int(attempt),
            ),
        )?;
        let picked = value
            .as_int()
            .ok()
            .and_then(|n| u16::try_from(n).ok())
            .filter(|&n| n < REPLICAS);
        if picked.is_none() {
            self.script.wrong(NAME, &value, "a replica id: 0, 1 or 2");
        }
        picked
    }
    fn may_serve(&self, token: &Token, op: OpKind, replica: &ReplicaInfo) -> Option<bool> {
        const NAME: &str = "may_serve";
        let r = map([
            ("id", Dynamic::from_int(i64::from(replica.id))),
            ("leader", Dynamic::from_bool(replica.leader)),
            ("version", int(replica.held.version)),
            ("written_at", int(replica.held.written_at)),
            ("clock", int(replica.clock)),
        ]);
        let value = self.script.call(
            NAME,
            (token.0.clone(), Dynamic::from(op.name().to_string()), r),
        )?;
        let allowed = value.as_bool().ok();
        if allowed.is_none() {
            self.script.wrong(NAME, &value, "true or false");
        }
        allowed
    }
}

/// The session-tokens challenge.
pub struct SessionTokens;

/// Every run id of the challenge.
fn ids() -> impl Iterator<Item = &'static str> {
    std::iter::once(SWARM).chain(SCRIPTED)
}

impl SimChallenge for SessionTokens {
    type P = Tokens;
    type Installed = Rc<dyn SessionRules>;

    fn required(&self) -> &'static [RequiredFn] {
        &REQUIRED
    }
    fn install(&self, script: Rc<Script>) -> Rc<dyn SessionRules> {
        Rc::new(ScriptRules { script })
    }
    fn scenario(&self, rules: &Rc<dyn SessionRules>, id: &str) -> Option<Scenario<Tokens>> {
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
    fn horizon(&self, _: &Scenario<Tokens>, spec: &RunSpec) -> u64 {
        last_override_time(spec) + TAIL_TICKS
    }
    /// What a counterexample shows: faults and clock settings, the clients' requests and
    /// answers, every note (takeovers, step-downs, accepted writes), and the messages between
    /// clients and replicas as they arrive. Replication and heartbeats (`Sync`), timers, sends
    /// and drops are folded.
    fn matters(&self, event: &TraceEvent<Tokens>) -> bool {
        match &event.event {
            Event::Action(_) | Event::Request { .. } | Event::Reply { .. } | Event::Note { .. } => {
                true
            }
            Event::Recv { msg, .. } => !matches!(msg, Msg::Sync { .. }),
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
    use crate::consistency::{session, Verdict as Judged};
    use crate::lin::{RawHistory, RawOperation, Status as OpStatus, RETURN_NEVER};
    use crate::protocols::tokens::types::{Done, Request};
    use crate::protocols::tokens::Reference;
    use crate::script::ScriptErrorKind;
    use crate::sim::world::{Sim, SimOptions};

    fn run(source: &str, first_seed: u64, seeds: u64) -> CheckReport {
        check(
            challenge("session-tokens").unwrap(),
            source,
            CheckOptions { seeds, first_seed },
            &mut |_, _| true,
        )
    }

    /// The run of `seed` with `rules`, traced to its horizon (stopping at a violation).
    fn traced(rules: Rc<dyn SessionRules>, seed: u64) -> Sim<Tokens> {
        let spec = run_of(seed);
        let scenario = SessionTokens.scenario(&rules, &spec.scenario).unwrap();
        let end = SessionTokens.horizon(&scenario, &spec);
        let options = SimOptions {
            record_trace: true,
            ..SimOptions::CHECK
        };
        let mut sim = Sim::new(scenario, spec, options).unwrap();
        sim.run_until_time(end, true).unwrap();
        sim.finish_liveness();
        sim
    }

    fn script_rules(source: &str) -> Rc<dyn SessionRules> {
        SessionTokens.install(Script::compile(source, &REQUIRED).unwrap())
    }

    /// Offsets of the windows of seeds the spread tests check: far apart, so that a verdict
    /// that held only for the seeds a check happens to start with would show.
    const WINDOWS: [u64; 5] = [0, 777, 3_000, 10_001, 31_337];
    /// Seeds per window: four of each scripted run.
    const WINDOW_SEEDS: u64 = 48;

    /// Each known-wrong variant is caught in every window of seeds, not only in the first
    /// 200, and the reference passes them all.
    #[test]
    fn each_wrong_variant_is_caught_in_every_window_of_seeds() {
        let c = challenge("session-tokens").unwrap();
        assert!(c.wrong.len() >= 12, "{} variants", c.wrong.len());
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
        let c = challenge("session-tokens").unwrap();
        let harness = Simulated(SessionTokens);
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

    /// The reference over seeds 0..20000 (100 checks' worth):
    /// `cargo test --profile fast -p engine --lib session_tokens_reference_passes_20000 -- --ignored --nocapture`
    #[test]
    #[ignore]
    fn session_tokens_reference_passes_20000_seeds() {
        let c = challenge("session-tokens").unwrap();
        let start = std::time::Instant::now();
        let report = run(&c.reference, 0, 20_000);
        assert_eq!(report.verdict, Verdict::Passed);
        println!(
            "the reference passes seeds 0..20000 in {:.2?}",
            start.elapsed()
        );
    }

    #[test]
    fn every_fourth_seed_is_a_scripted_run_in_turn() {
        let ids: Vec<String> = (0..24).map(|s| run_of(s).scenario).collect();
        assert_eq!(ids[3], "tokens-lag");
        assert_eq!(ids[7], "tokens-failover");
        assert_eq!(ids[11], "tokens-stale-leader");
        assert_eq!(ids[15], "tokens-lag");
        assert_eq!(ids.iter().filter(|id| *id == SWARM).count(), 18);
        assert_eq!(scripted_seeds("tokens-failover", 24), vec![7, 19]);
        assert_eq!(run_of(5), run_of(5));
        assert_ne!(run_of(5), run_of(9));
    }

    /// The trace of a run is a pure function of its seed and rules: twice the same hash, the
    /// script reference and the Rust [`Reference`] give the same run, and one hash is pinned
    /// (a change to the store or its runs shows here).
    #[test]
    fn runs_are_deterministic_and_the_script_reference_is_the_rust_one() {
        let c = challenge("session-tokens").unwrap();
        for seed in [0, 3, 7, 11, 42] {
            let a = traced(script_rules(&c.reference), seed).trace_hash();
            let b = traced(script_rules(&c.reference), seed).trace_hash();
            let rust = traced(Rc::new(Reference), seed).trace_hash();
            assert_eq!((a, rust), (b, b), "seed {seed}");
        }
        let pinned = traced(Rc::new(Reference), 7);
        assert_eq!(pinned.spec().scenario, "tokens-failover");
        assert_eq!(
            crate::hash::hex(pinned.trace_hash()),
            "bb5cb88cf0837646",
            "tokens-failover seed 7"
        );
        let wrong = &c.wrong[0].code;
        assert_eq!(run(wrong, 0, 30), run(wrong, 0, 30));
    }

    /// The client history of a run, for the consistency checkers: operations at the true times
    /// of their request and completion; reads still open at the end are left out, writes still
    /// open have an unknown outcome.
    fn history(sim: &Sim<Tokens>) -> RawHistory {
        let mut ops: Vec<RawOperation> = Vec::new();
        let mut queued: Vec<std::collections::VecDeque<usize>> = vec![Default::default(); 8];
        for (line, ev) in sim.trace().iter().enumerate() {
            match &ev.event {
                Event::Request { node, request, .. } => {
                    let (f, input) = match request {
                        Request::Read => ("read", serde_json::Value::Null),
                        Request::Write(v) => ("write", serde_json::json!(v)),
                    };
                    ops.push(RawOperation {
                        client: u64::from(*node),
                        f: f.to_string(),
                        key: None,
                        input,
                        status: OpStatus::Unknown,
                        output: serde_json::Value::Null,
                        invoke_line: line + 1,
                        return_line: None,
                        call: ev.t,
                        ret: RETURN_NEVER,
                    });
                    queued[usize::from(*node)].push_back(ops.len() - 1);
                }
                Event::Reply { node, reply } => {
                    let Done {
                        request,
                        version,
                        value,
                        ..
                    } = *reply;
                    let i = queued[usize::from(*node)].pop_front().unwrap();
                    let op = &mut ops[i];
                    op.status = OpStatus::Ok;
                    op.return_line = Some(line + 1);
                    op.ret = ev.t;
                    if request == Request::Read && version > 0 {
                        op.output = serde_json::json!(value);
                    }
                }
                _ => {}
            }
        }
        ops.retain(|op| op.status == OpStatus::Ok || op.f == "write");
        RawHistory { operations: ops }
    }

    /// What the properties' documentation says of the existential checker: it accepts every
    /// history the reference produces, and it misses a stale read that the version order shows
    /// (a session that wrote and then read an older write of another client).
    #[test]
    fn the_existential_session_checker_agrees_on_the_reference_and_is_weaker() {
        let c = challenge("session-tokens").unwrap();
        for seed in 0..40 {
            let sim = traced(script_rules(&c.reference), seed);
            for j in session::check(&history(&sim)) {
                assert_eq!(j.verdict, Judged::Holds, "seed {seed}: {j:?}");
            }
        }
        let never = c.wrong.iter().find(|w| w.name == "never waits").unwrap();
        let missed = (0..40).any(|seed| {
            let sim = traced(script_rules(&never.code), seed);
            sim.violation()
                .is_some_and(|v| v.property == "read-your-writes")
                && session::check(&history(&sim))
                    .iter()
                    .all(|j| j.verdict != Judged::Violated)
        });
        assert!(missed, "some stale read only the version order shows");
    }

    #[test]
    fn results_of_the_wrong_type_are_wrong_results_at_the_function() {
        let c = challenge("session-tokens").unwrap();
        let cases = [
            (
                c.reference
                    .replace("(home + attempt) % 3", "home + attempt + 5"),
                "fn pick",
                "0, 1 or 2",
            ),
            (
                c.reference
                    .replace("replica.version >= token", "replica.version"),
                "fn may_serve",
                "true or false",
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
        let missing = run("fn pick(token, home, attempt) { home }", 0, 10);
        let Verdict::ScriptError { error, seed: None } = missing.verdict else {
            panic!("{:?}", missing.verdict)
        };
        assert_eq!(error.kind, ScriptErrorKind::MissingFunction);
    }

    /// A shrunk counterexample replays in a session that reaches the same violation at the
    /// same step; with the reference in place the same run passes.
    #[test]
    fn a_failure_replays_and_the_reference_passes_its_run() {
        let c = challenge("session-tokens").unwrap();
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
            let harness = Simulated(SessionTokens);
            let installed = harness.install(Script::compile(&c.reference, &REQUIRED).unwrap());
            assert_eq!(
                harness.judge(&installed, &spec).unwrap(),
                None,
                "{}",
                w.name
            );
        }
    }

    /// For each variant, how often each run kind fails with each property (seeds 0..400):
    /// `cargo test --profile fast -p engine --lib tokens_variant_tally -- --ignored --nocapture`
    #[test]
    #[ignore]
    fn tokens_variant_tally() {
        let c = challenge("session-tokens").unwrap();
        let harness = Simulated(SessionTokens);
        for w in &c.wrong {
            let installed = harness.install(Script::compile(&w.code, &REQUIRED).unwrap());
            let mut tally: std::collections::BTreeMap<(String, String), u32> = Default::default();
            for seed in 0..400 {
                let spec = run_of(seed);
                let found = harness.judge(&installed, &spec).unwrap();
                let property = found.map_or("-".to_string(), |f| f.property);
                *tally.entry((spec.scenario, property)).or_default() += 1;
            }
            println!("{} [{}]: {:?}", w.name, w.violates, tally);
        }
    }

    /// Native timing of the reference and what each wrong variant violates:
    /// `cargo test --profile fast -p engine --lib tokens_challenge_survey -- --ignored --nocapture`.
    #[test]
    #[ignore]
    fn tokens_challenge_survey() {
        let c = challenge("session-tokens").unwrap();
        for first in [0, 1000, 5000] {
            let start = std::time::Instant::now();
            let report = run(&c.reference, first, c.seeds);
            println!(
                "from {first}: reference {:?} in {:.2?}",
                report.verdict,
                start.elapsed()
            );
            for w in c
                .wrong
                .iter()
                .map(|w| (w.name.as_str(), w.code.as_str(), w.violates.as_str()))
                .chain([("starter", c.starter.as_str(), "?")])
            {
                let start = std::time::Instant::now();
                let report = run(w.1, first, c.seeds);
                match &report.verdict {
                    Verdict::Failed(f) => println!(
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
                    ),
                    other => println!("  {} [{}]: {other:?}", w.0, w.2),
                }
            }
        }
    }
}

#[cfg(test)]
mod debug {
    use super::*;
    use crate::challenge::challenge;
    use crate::sim::world::{Sim, SimOptions};

    /// `DSLAB_VARIANT=<name part> DSLAB_SEED=<seed> cargo test ... tokens_trace -- --ignored --nocapture`
    #[test]
    #[ignore]
    fn tokens_trace() {
        let c = challenge("session-tokens").unwrap();
        let name = std::env::var("DSLAB_VARIANT").unwrap_or_default();
        let seed: u64 = std::env::var("DSLAB_SEED")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(11);
        let code = c
            .wrong
            .iter()
            .find(|w| !name.is_empty() && w.name.contains(&name))
            .map_or(c.reference.as_str(), |w| w.code.as_str());
        let script = Script::compile(code, &REQUIRED).unwrap();
        let rules = SessionTokens.install(script);
        let spec = run_of(seed);
        let scenario = SessionTokens.scenario(&rules, &spec.scenario).unwrap();
        let end = SessionTokens.horizon(&scenario, &spec);
        let options = SimOptions {
            record_trace: true,
            ..SimOptions::CHECK
        };
        let mut sim = Sim::new(scenario, spec.clone(), options).unwrap();
        sim.run_until_time(end, true).unwrap();
        sim.finish_liveness();
        for e in sim.trace() {
            if SessionTokens.matters(e) || matches!(e.event, Event::Send { .. }) {
                println!("{}", e.line());
            }
        }
        println!("{} {:?}", spec.scenario, sim.violation());
    }
}
