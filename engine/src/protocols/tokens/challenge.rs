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
    use crate::challenge::{challenge, check, CheckOptions, CheckReport, Verdict};

    fn run(source: &str, first_seed: u64, seeds: u64) -> CheckReport {
        check(
            challenge("session-tokens").unwrap(),
            source,
            CheckOptions { seeds, first_seed },
            &mut |_, _| true,
        )
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
