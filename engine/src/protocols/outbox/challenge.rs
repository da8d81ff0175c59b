//! The outbox-exactly-once harness (chapter 5): the learner's script is the outbox relay and
//! the idempotent consumer — what the relay publishes and marks on each poll and on each
//! acknowledgement, and what the consumer does with a delivery when it arrives and once it is
//! processed — installed as [`OutboxHooks`] in the system of [`super::scenarios`].
//!
//! The script sees plain Rhai values: outbox rows `#{ order, customer, sent }`, orders as
//! integers, a delivery `#{ offset, order, customer }`, the shipping database
//! `#{ shipped, processed }` (the orders shipped, repeats included, and the keys recorded).
//! It returns arrays of steps: `#{ publish: 3 }`, `#{ mark: 3 }` for the relay; `"ack"`,
//! `"process"`, `"ship"`, `#{ ship: true, record: "o3" }` (one transaction) and
//! `#{ record: "o3" }` (a transaction of its own) for the consumer. Each transaction of one
//! answer commits on its own (see [`Outbox::commit_gap`]). A result of another type
//! or shape stops the check with a [`crate::script::ScriptErrorKind::WrongResult`] at the
//! function's definition.
//!
//! Runs: seed `s` is a swarm run (crashes and restarts of n0, n1 and n2, partitions, pauses,
//! loss, duplication, then a heal), except that every [`SCRIPTED_EVERY`]-th seed is one of
//! the scripted runs of [`CHALLENGE_SCRIPTED`] in turn, each reaching, whatever the latencies,
//! the state one rule exists for: the relay crashing between a publish and its mark, the
//! consumer's acknowledgements lost after its commits, the consumer crashing while it
//! processes, every message twice, publish acknowledgements delayed past the relay's timeout,
//! one customer's events in flight together, the consumer crashing between two transactions of
//! one answer. Every 28 consecutive seeds hold each scripted run.

use std::rc::Rc;

use rhai::{Array, Dynamic, Map};

use super::rules::{self, ConsumerStep, Mode, OutboxHooks, RelayStep};
use super::scenarios::{
    challenge, challenge_run, CHALLENGE_SCRIPTED, CHALLENGE_SWARM, CHALLENGE_TAIL_TICKS,
    SCRIPTED_EVERY,
};
use super::*;
use crate::challenge::harness::{last_override_time, Script, SimChallenge};
use crate::script::convert::{int, map};
use crate::script::RequiredFn;
use crate::sim::spec::RunSpec;
use crate::sim::trace::{Event as TraceKind, TraceEvent};
use crate::sim::world::Scenario;

/// The longest key a script may record, in bytes.
pub const KEY_BYTES_MAX: usize = 64;
/// Most steps one call of the script may return.
pub const STEPS_PER_CALL_MAX: usize = 64;

const REQUIRED: [RequiredFn; 4] = [
    RequiredFn {
        name: "relay_poll",
        params: &["outbox", "in_flight"],
    },
    RequiredFn {
        name: "relay_acked",
        params: &["outbox", "order"],
    },
    RequiredFn {
        name: "on_delivery",
        params: &["d", "db"],
    },
    RequiredFn {
        name: "on_processed",
        params: &["d", "db"],
    },
];

/// What the relay's functions must return.
const RELAY_RESULT: &str =
    "an array of steps, each #{ publish: order } or #{ mark: order } (order an integer), or [] for none";
/// What `on_delivery` must return.
const DELIVERY_RESULT: &str = "an array of steps, each \"ack\", \"process\", \"ship\", #{ ship: true, record: key } or #{ record: key } (key a string of 1 to 64 bytes), or [] for none";
/// What `on_processed` must return.
const PROCESSED_RESULT: &str = "an array of steps, each \"ack\", \"ship\", #{ ship: true, record: key } or #{ record: key } (key a string of 1 to 64 bytes; \"process\" only in on_delivery), or [] for none";

fn int32(x: u32) -> Dynamic {
    int(u64::from(x))
}

/// The outbox table as the script sees it, in commit order.
fn outbox_array(outbox: &[OutboxRow]) -> Dynamic {
    Dynamic::from_array(
        outbox
            .iter()
            .map(|r| {
                map([
                    ("order", int32(r.event.order)),
                    ("customer", int32(r.event.customer)),
                    ("sent", Dynamic::from_bool(r.sent)),
                ])
            })
            .collect(),
    )
}

fn orders_array(orders: &[u32]) -> Dynamic {
    Dynamic::from_array(orders.iter().map(|&o| int32(o)).collect())
}

/// A delivery as the script sees it.
fn delivery_map(d: &Delivery) -> Dynamic {
    map([
        ("offset", int(d.offset)),
        ("order", int32(d.event.order)),
        ("customer", int32(d.event.customer)),
    ])
}

/// The shipping database as the script sees it.
fn db_map(db: &ShippingDb) -> Dynamic {
    let shipped: Vec<u32> = db.shipments.iter().map(|s| s.order).collect();
    map([
        ("shipped", orders_array(&shipped)),
        (
            "processed",
            Dynamic::from_array(
                db.processed
                    .iter()
                    .map(|k| Dynamic::from(k.to_string()))
                    .collect(),
            ),
        ),
    ])
}

/// A script's result as a list of steps: an array, one step alone, or `()` for none.
fn step_values(value: &Dynamic) -> Option<Vec<Dynamic>> {
    if value.is_unit() {
        return Some(Vec::new());
    }
    let steps = match value.clone().try_cast::<Array>() {
        Some(array) => array,
        None => vec![value.clone()],
    };
    (steps.len() <= STEPS_PER_CALL_MAX).then_some(steps)
}

/// A relay step: `#{ publish: order }` or `#{ mark: order }`.
fn relay_step(value: &Dynamic) -> Option<RelayStep> {
    let m: Map = value.clone().try_cast()?;
    let [(name, order)] = m.iter().collect::<Vec<_>>()[..] else {
        return None;
    };
    let order = u32::try_from(order.as_int().ok()?).ok()?;
    match name.as_str() {
        "publish" => Some(RelayStep::Publish(order)),
        "mark" => Some(RelayStep::Mark(order)),
        _ => None,
    }
}

fn relay_steps(value: &Dynamic) -> Option<Vec<RelayStep>> {
    step_values(value)?.iter().map(relay_step).collect()
}

/// A key the script records: a string of 1 to [`KEY_BYTES_MAX`] bytes.
fn key_of(value: &Dynamic) -> Option<Key> {
    let k = value.clone().into_string().ok()?;
    (!k.is_empty() && k.len() <= KEY_BYTES_MAX).then_some(Key::Text(k))
}

/// A consumer step; `"process"` only if `process` (on arrival).
fn consumer_step(value: &Dynamic, process: bool) -> Option<ConsumerStep> {
    if let Ok(word) = value.clone().into_string() {
        return match word.as_str() {
            "ack" => Some(ConsumerStep::Ack),
            "process" if process => Some(ConsumerStep::Process),
            "ship" => Some(ConsumerStep::Apply { record: None }),
            _ => None,
        };
    }
    let m: Map = value.clone().try_cast()?;
    if m.keys().any(|k| k != "ship" && k != "record") {
        return None;
    }
    let ship = match m.get("ship") {
        Some(v) => v.as_bool().ok()?,
        None => false,
    };
    let record = match m.get("record") {
        Some(v) => Some(key_of(v)?),
        None => None,
    };
    match (ship, record) {
        (true, record) => Some(ConsumerStep::Apply { record }),
        (false, Some(key)) => Some(ConsumerStep::Record(key)),
        (false, None) => None,
    }
}

fn consumer_steps(value: &Dynamic, process: bool) -> Option<Vec<ConsumerStep>> {
    step_values(value)?
        .iter()
        .map(|v| consumer_step(v, process))
        .collect()
}

/// The learner's script as the relay and the consumer. The first error is latched in the
/// [`Script`]; every later call answers as the reference does, so the run ends normally and
/// the check reports the error.
pub struct ScriptHooks {
    script: Rc<Script>,
}

impl OutboxHooks for ScriptHooks {
    fn name(&self) -> &str {
        "your code"
    }

    fn relay_poll(&self, outbox: &[OutboxRow], in_flight: &[u32]) -> Vec<RelayStep> {
        const NAME: &str = "relay_poll";
        let args = (outbox_array(outbox), orders_array(in_flight));
        let Some(value) = self.script.call(NAME, args) else {
            return rules::reference_poll(outbox, in_flight);
        };
        relay_steps(&value).unwrap_or_else(|| {
            self.script.wrong(NAME, &value, RELAY_RESULT);
            rules::reference_poll(outbox, in_flight)
        })
    }

    fn relay_acked(&self, outbox: &[OutboxRow], order: u32) -> Vec<RelayStep> {
        const NAME: &str = "relay_acked";
        let args = (outbox_array(outbox), int32(order));
        let Some(value) = self.script.call(NAME, args) else {
            return rules::reference_acked(outbox, order);
        };
        relay_steps(&value).unwrap_or_else(|| {
            self.script.wrong(NAME, &value, RELAY_RESULT);
            rules::reference_acked(outbox, order)
        })
    }

    fn on_delivery(&self, _mode: Mode, db: &ShippingDb, d: &Delivery) -> Vec<ConsumerStep> {
        const NAME: &str = "on_delivery";
        let Some(value) = self.script.call(NAME, (delivery_map(d), db_map(db))) else {
            return rules::reference_delivery(Mode::SAFE, db, d);
        };
        consumer_steps(&value, true).unwrap_or_else(|| {
            self.script.wrong(NAME, &value, DELIVERY_RESULT);
            rules::reference_delivery(Mode::SAFE, db, d)
        })
    }

    fn on_processed(&self, _mode: Mode, db: &ShippingDb, d: &Delivery) -> Vec<ConsumerStep> {
        const NAME: &str = "on_processed";
        let Some(value) = self.script.call(NAME, (delivery_map(d), db_map(db))) else {
            return rules::reference_processed(Mode::SAFE, db, d);
        };
        consumer_steps(&value, false).unwrap_or_else(|| {
            self.script.wrong(NAME, &value, PROCESSED_RESULT);
            rules::reference_processed(Mode::SAFE, db, d)
        })
    }
}

/// The outbox-exactly-once challenge.
pub struct OutboxExactlyOnce;

impl SimChallenge for OutboxExactlyOnce {
    type P = Outbox;
    type Installed = Rc<dyn OutboxHooks>;

    fn required(&self) -> &'static [RequiredFn] {
        &REQUIRED
    }
    fn install(&self, script: Rc<Script>) -> Rc<dyn OutboxHooks> {
        Rc::new(ScriptHooks { script })
    }
    fn scenario(&self, hooks: &Rc<dyn OutboxHooks>, id: &str) -> Option<Scenario<Outbox>> {
        challenge(id, hooks.clone())
    }
    fn run_of(&self, seed: u64) -> RunSpec {
        challenge_run(seed)
    }
    fn horizon(&self, _: &Scenario<Outbox>, spec: &RunSpec) -> u64 {
        last_override_time(spec) + CHALLENGE_TAIL_TICKS
    }
    fn properties(&self) -> Vec<&'static str> {
        challenge(CHALLENGE_SWARM, Rc::new(OutboxVariant::Reference))
            .map(|s| s.properties.iter().map(|p| p.name).collect())
            .unwrap_or_default()
    }
    /// What a counterexample shows: faults, the services' notes (commits, queueing, marks,
    /// shipments, records, skips) and the messages lost. The client's orders and answers,
    /// sends, receipts and timers are folded.
    fn matters(&self, event: &TraceEvent<Outbox>) -> bool {
        match &event.event {
            TraceKind::Note { node, .. } => *node != CLIENT,
            TraceKind::Action(_) | TraceKind::Drop { .. } => true,
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
