//! The `kv-apply` and `kv-dedup` harnesses (chapter 7): the learner's script is the state
//! machine's `apply(sm, index, entry)`, installed as the store's [`KvHooks`] on every server.
//!
//! The script keeps the machine as a Rhai map it owns — it starts as
//! `#{ data: #{}, last_applied: 0, sessions: #{} }` on every server (and again after a
//! restart, when Raft applies the log from index 1) — and returns `[sm, answer]`: the new map
//! and the answer for the entry's client (a get's value, `""` for a put or an append), or
//! `[sm, ()]` for an entry it must not apply again. A result of another shape stops the check
//! with a [`crate::script::ScriptErrorKind::WrongResult`] at the function's definition.
//!
//! Runs: every [`SCRIPTED_EVERY`]-th seed is one of the step's scripted runs in turn
//! ([`scenarios::scripted_ids`]), the others swarm runs; all end with reads of every key by
//! every client once the faults are over. So every 8 consecutive seeds hold each scripted run.

use std::rc::Rc;
use std::sync::Arc;

use rhai::{Array, Dynamic, Map};

use super::node::{client_letter, KvStore};
use super::rules::{apply_reference, KvHooks};
use super::scenarios::{challenge_run, challenge_scenario, swarm_id, Setup, Step, RUN_TAIL_TICKS};
use super::types::{Command, Machine};
use super::*;
use crate::challenge::harness::{last_override_time, Script, SimChallenge};
use crate::protocols::raft::Index;
use crate::script::convert::{get_u64, int, map};
use crate::script::RequiredFn;
use crate::sim::spec::RunSpec;
use crate::sim::trace::{Event, TraceEvent};
use crate::sim::world::Scenario;

pub use super::scenarios::SCRIPTED_EVERY;

const REQUIRED: [RequiredFn; 1] = [RequiredFn {
    name: "apply",
    params: &["sm", "index", "entry"],
}];

/// What `apply` must return.
const APPLY_RESULT: &str = "[sm, answer]: the machine's new map (with its `data` map) and the \
                            answer for the client (a string), or [sm, ()] to skip an entry \
                            already applied";

fn text(s: &str) -> Dynamic {
    Dynamic::from(s.to_string())
}

/// The machine every server starts with.
pub fn initial_machine() -> Dynamic {
    map([
        ("data", Dynamic::from_map(Map::new())),
        ("last_applied", int(0)),
        ("sessions", Dynamic::from_map(Map::new())),
    ])
}

/// An entry as the script sees it: `#{ client: "A", seq: 3, op: "append", key: "x",
/// value: "A3" }` (`value` is `""` for a get).
fn entry_map(command: &Command) -> Dynamic {
    map([
        (
            "client",
            text(&client_letter(SERVERS, command.client).to_string()),
        ),
        ("seq", int(command.seq)),
        ("op", text(command.op.verb())),
        ("key", text(command.op.key())),
        ("value", text(command.op.value().unwrap_or(""))),
    ])
}

/// `[sm, answer]` read back: the map, and `Some(answer)` or `None` for `()`.
fn read_result(value: &Dynamic) -> Option<(Dynamic, Option<Rc<str>>)> {
    let pair: Array = value.clone().try_cast()?;
    let [sm, answer] = pair.as_slice() else {
        return None;
    };
    let m: Map = sm.clone().try_cast()?;
    m.get("data")?.clone().try_cast::<Map>()?;
    let answer = if answer.is_unit() {
        None
    } else {
        Some(Rc::from(answer.clone().into_string().ok()?.as_str()))
    };
    Some((Dynamic::from_map(m), answer))
}

/// The learner's `apply` as the store's hooks.
pub struct ScriptApply {
    script: Rc<Script>,
}

impl ScriptApply {
    #[allow(clippy::arc_with_non_send_sync)]
    fn shared(script: Rc<Script>) -> Arc<dyn KvHooks> {
        Arc::new(ScriptApply { script })
    }
}

impl KvHooks for ScriptApply {
    fn name(&self) -> &str {
        "your code"
    }

    fn apply(&self, machine: &mut Machine, index: Index, command: &Command) -> Option<Rc<str>> {
        const NAME: &str = "apply";
        let sm = machine.script.take().unwrap_or_else(initial_machine);
        let args = (sm.clone(), int(index), entry_map(command));
        let Some(value) = self.script.call(NAME, args) else {
            machine.script = Some(sm);
            return apply_reference(machine, index, command);
        };
        match read_result(&value) {
            Some((new, answer)) => {
                if let Some(m) = new.read_lock::<Map>() {
                    machine.last_applied = get_u64(&m, "last_applied").unwrap_or(0);
                }
                machine.script = Some(new);
                answer
            }
            None => {
                self.script.wrong(NAME, &value, APPLY_RESULT);
                machine.script = Some(sm);
                apply_reference(machine, index, command)
            }
        }
    }
}

/// A step's challenge.
pub struct KvChallenge(pub Step);

impl SimChallenge for KvChallenge {
    type P = KvStore;
    type Installed = Arc<dyn KvHooks>;

    fn required(&self) -> &'static [RequiredFn] {
        &REQUIRED
    }
    fn install(&self, script: Rc<Script>) -> Arc<dyn KvHooks> {
        ScriptApply::shared(script)
    }
    fn scenario(&self, hooks: &Arc<dyn KvHooks>, id: &str) -> Option<Scenario<KvStore>> {
        challenge_scenario(self.0, id, Setup::with_hooks(hooks.clone()))
    }
    fn run_of(&self, seed: u64) -> RunSpec {
        challenge_run(self.0, seed)
    }
    fn properties(&self) -> Vec<&'static str> {
        challenge_scenario(self.0, swarm_id(self.0), Setup::reference())
            .map(|s| s.properties.iter().map(|p| p.name).collect())
            .unwrap_or_default()
    }
    fn horizon(&self, _: &Scenario<KvStore>, spec: &RunSpec) -> u64 {
        last_override_time(spec) + RUN_TAIL_TICKS
    }
    /// What a counterexample shows: faults and requests, the notes (elections, commits, the
    /// clients' invocations and answers), and the client protocol's messages as they are sent
    /// or lost (`Done` carries what the leader's machine answered; a receipt shows in what the
    /// receiver does next). Raft's messages, receipts, the timers and what every machine
    /// applied are folded (the replay shows them).
    fn matters(&self, event: &TraceEvent<KvStore>) -> bool {
        match &event.event {
            Event::Note {
                note: types::Note::Applied { .. },
                ..
            } => false,
            Event::Action(_) | Event::Request { .. } | Event::Note { .. } => true,
            Event::Send { msg, .. } | Event::Drop { msg, .. } => {
                !matches!(msg, types::Msg::Raft(_))
            }
            _ => false,
        }
    }
}

#[cfg(test)]
#[path = "challenge_tests.rs"]
mod tests;
