//! The saga-compensations harness (chapter 5): the learner's script is the orchestrator's
//! compensation logic — what it registers before a call, what it does with each answer or
//! timeout, the idempotency keys it sends, the order of the compensations, how long it retries
//! them and what it resumes after a restart — installed as [`SagaHooks`] in the store of
//! [`super::scenarios`].
//!
//! The script sees plain Rhai values: steps are the strings `"payment"`, `"inventory"`,
//! `"shipping"`; answers `"ok"`, `"failed"`, `"timeout"`; orders integers; the saga log an
//! array of `#{ order, record, step }` maps. A result of the wrong type or shape stops the
//! check with a [`crate::script::ScriptErrorKind::WrongResult`] at the function's definition.
//!
//! Runs: seed `s` is a swarm run (crashes, restarts, partitions, pauses, loss, duplication,
//! then a heal), except that every [`SCRIPTED_EVERY`]-th seed is one of the scripted runs of
//! [`CHALLENGE_SCRIPTED`] in turn, each designed so that, whatever the latencies, it reaches
//! the state one rule exists for: a call that succeeds with its answer lost, a call lost, every
//! message duplicated, the orchestrator crashing mid-saga and mid-compensation, a service down
//! for longer than any patience. Every 24 consecutive seeds hold each scripted run.

use std::rc::Rc;

use rhai::{Array, Dynamic};

use super::rules::{self, Decision, SagaHooks, SagaVariant, Then};
use super::scenarios::{
    challenge, challenge_run, CHALLENGE_SCRIPTED, CHALLENGE_SWARM, CHALLENGE_TAIL_TICKS,
    SCRIPTED_EVERY,
};
use super::types::*;
use super::Shop;
use crate::challenge::harness::{last_override_time, Script, SimChallenge};
use crate::script::convert::{int, map};
use crate::script::RequiredFn;
use crate::sim::spec::RunSpec;
use crate::sim::trace::{Event, TraceEvent};
use crate::sim::world::Scenario;

/// The longest idempotency key a script may send, in bytes.
pub const KEY_BYTES_MAX: usize = 64;

const REQUIRED: [RequiredFn; 6] = [
    RequiredFn {
        name: "register_first",
        params: &["step"],
    },
    RequiredFn {
        name: "on_reply",
        params: &["step", "reply", "attempt"],
    },
    RequiredFn {
        name: "key",
        params: &["order", "step", "kind", "attempt"],
    },
    RequiredFn {
        name: "compensations",
        params: &["registered"],
    },
    RequiredFn {
        name: "retry_compensation",
        params: &["step", "attempt"],
    },
    RequiredFn {
        name: "recover",
        params: &["log"],
    },
];

/// What `on_reply` must return.
const ON_REPLY: &str = "\"next\", \"retry\" or \"compensate\", or an array of them with \"register\" first, such as [\"register\", \"next\"]";

fn text(s: &str) -> Dynamic {
    Dynamic::from(s.to_string())
}

fn steps(steps: &[Step]) -> Dynamic {
    Dynamic::from_array(steps.iter().map(|s| text(s.name())).collect())
}

/// The decision a script's `on_reply` returned.
fn decision(value: &Dynamic) -> Option<Decision> {
    let words: Vec<String> = match value.clone().try_cast::<Array>() {
        Some(array) => array
            .into_iter()
            .map(|v| v.into_string().ok())
            .collect::<Option<Vec<String>>>()?,
        None => vec![value.clone().into_string().ok()?],
    };
    let (register, rest) = match words.split_first() {
        Some((first, rest)) if first == "register" => (true, rest),
        _ => (false, &words[..]),
    };
    let [then] = rest else {
        return None;
    };
    let then = match then.as_str() {
        "next" => Then::Next,
        "retry" => Then::Retry,
        "compensate" => Then::Compensate,
        _ => return None,
    };
    Some(Decision { register, then })
}

/// The key a script's `key` returned: `Some(key)` (`None` for `()`), `None` if malformed.
fn key_of(value: &Dynamic) -> Option<Key> {
    if value.is_unit() {
        return Some(None);
    }
    let k = value.clone().into_string().ok()?;
    (!k.is_empty() && k.len() <= KEY_BYTES_MAX).then_some(Some(k))
}

/// The steps a script returned.
fn step_list(value: &Dynamic) -> Option<Vec<Step>> {
    let array: Array = value.clone().try_cast()?;
    array
        .into_iter()
        .map(|v| Step::parse(&v.into_string().ok()?))
        .collect()
}

/// The saga log as the script sees it.
fn log_array(log: &[Record]) -> Dynamic {
    Dynamic::from_array(
        log.iter()
            .map(|r| {
                map([
                    ("order", Dynamic::from_int(i64::from(r.order()))),
                    ("record", text(r.kind())),
                    ("step", r.step().map_or(Dynamic::UNIT, |s| text(s.name()))),
                ])
            })
            .collect(),
    )
}

/// The orders a script's `recover` returned.
fn orders(value: &Dynamic) -> Option<Vec<u32>> {
    let array: Array = value.clone().try_cast()?;
    array
        .into_iter()
        .map(|v| u32::try_from(v.as_int().ok()?).ok())
        .collect()
}

/// The learner's script as the orchestrator's decisions. The first error is latched in the
/// [`Script`]; every later call answers as the reference does, so the run ends normally and
/// the check reports the error.
pub struct ScriptHooks {
    script: Rc<Script>,
}

impl SagaHooks for ScriptHooks {
    fn name(&self) -> &str {
        "your code"
    }

    fn register_first(&self, step: Step) -> bool {
        const NAME: &str = "register_first";
        let Some(value) = self.script.call(NAME, (text(step.name()),)) else {
            return true;
        };
        value.as_bool().unwrap_or_else(|_| {
            self.script.wrong(NAME, &value, "true or false");
            true
        })
    }

    fn on_reply(&self, step: Step, outcome: Outcome, attempt: u32) -> Decision {
        const NAME: &str = "on_reply";
        let args = (
            text(step.name()),
            text(outcome.name()),
            int(u64::from(attempt)),
        );
        let Some(value) = self.script.call(NAME, args) else {
            return rules::on_reply(outcome);
        };
        decision(&value).unwrap_or_else(|| {
            self.script.wrong(NAME, &value, ON_REPLY);
            rules::on_reply(outcome)
        })
    }

    fn key(&self, order: u32, step: Step, kind: Kind, attempt: u32) -> Key {
        const NAME: &str = "key";
        let args = (
            int(u64::from(order)),
            text(step.name()),
            text(kind.name()),
            int(u64::from(attempt)),
        );
        let Some(value) = self.script.call(NAME, args) else {
            return rules::key(order, step, kind);
        };
        key_of(&value).unwrap_or_else(|| {
            self.script.wrong(
                NAME,
                &value,
                &format!("a string of 1 to {KEY_BYTES_MAX} bytes, or () for no key"),
            );
            rules::key(order, step, kind)
        })
    }

    fn compensations(&self, registered: &[Step]) -> Vec<Step> {
        const NAME: &str = "compensations";
        let Some(value) = self.script.call(NAME, (steps(registered),)) else {
            return SagaVariant::Reference.compensations(registered);
        };
        step_list(&value).unwrap_or_else(|| {
            self.script.wrong(
                NAME,
                &value,
                "an array of steps (\"payment\", \"inventory\", \"shipping\") to compensate, in order",
            );
            SagaVariant::Reference.compensations(registered)
        })
    }

    fn retry_compensation(&self, step: Step, attempt: u32) -> bool {
        const NAME: &str = "retry_compensation";
        let args = (text(step.name()), int(u64::from(attempt)));
        let Some(value) = self.script.call(NAME, args) else {
            return true;
        };
        value.as_bool().unwrap_or_else(|_| {
            self.script.wrong(NAME, &value, "true or false");
            true
        })
    }

    fn recover(&self, log: &[Record]) -> Vec<u32> {
        const NAME: &str = "recover";
        let Some(value) = self.script.call(NAME, (log_array(log),)) else {
            return rules::recover(log);
        };
        orders(&value).unwrap_or_else(|| {
            self.script.wrong(
                NAME,
                &value,
                "an array of order numbers whose sagas to resume, such as [2, 3]",
            );
            rules::recover(log)
        })
    }
}

/// The saga-compensations challenge.
pub struct SagaCompensations;

impl SimChallenge for SagaCompensations {
    type P = Shop;
    type Installed = Rc<dyn SagaHooks>;

    fn required(&self) -> &'static [RequiredFn] {
        &REQUIRED
    }
    fn install(&self, script: Rc<Script>) -> Rc<dyn SagaHooks> {
        Rc::new(ScriptHooks { script })
    }
    fn scenario(&self, hooks: &Rc<dyn SagaHooks>, id: &str) -> Option<Scenario<Shop>> {
        challenge(id, hooks.clone())
    }
    fn run_of(&self, seed: u64) -> RunSpec {
        challenge_run(seed)
    }
    fn horizon(&self, _: &Scenario<Shop>, spec: &RunSpec) -> u64 {
        last_override_time(spec) + CHALLENGE_TAIL_TICKS
    }
    fn properties(&self) -> Vec<&'static str> {
        challenge(CHALLENGE_SWARM, Rc::new(SagaVariant::Reference))
            .map(|s| s.properties.iter().map(|p| p.name).collect())
            .unwrap_or_default()
    }
    /// What a counterexample shows: faults, every note (begins, outcomes, registrations,
    /// compensations, effects at the services, repeats) and the compensations sent. Calls,
    /// answers and timers are folded.
    fn matters(&self, event: &TraceEvent<Shop>) -> bool {
        match &event.event {
            Event::Action(_) | Event::Note { .. } => true,
            Event::Send { msg, .. } | Event::Drop { msg, .. } => {
                matches!(msg, Msg::Compensate { .. })
            }
            _ => false,
        }
    }
}

/// Seeds of the scripted run `id` among `first..first + seeds`.
pub fn scripted_seeds(id: &str, first: u64, seeds: u64) -> Vec<u64> {
    let k = CHALLENGE_SCRIPTED
        .iter()
        .position(|&s| s == id)
        .unwrap_or(0) as u64;
    (first..first + seeds)
        .filter(|s| {
            s % SCRIPTED_EVERY == SCRIPTED_EVERY - 1
                && (s / SCRIPTED_EVERY) % CHALLENGE_SCRIPTED.len() as u64 == k
        })
        .collect()
}

#[cfg(test)]
#[path = "challenge_tests.rs"]
mod tests;
