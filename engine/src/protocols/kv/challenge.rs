//! The `kv-apply`, `kv-dedup` and `kv-client` harnesses (chapter 7). In the first two the
//! learner's script is the state machine's `apply(sm, index, entry)`, installed as the store's
//! [`KvHooks`] on every server; in `kv-client` it is the client's `next_attempt(c)`, installed
//! as [`KvClientHooks`] on every client, over the reference machine.
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
//! every client once the faults are over. So every 8 consecutive seeds hold each scripted run
//! (12 for `kv-client`, which has three).

use std::rc::Rc;
use std::sync::Arc;

use rhai::{Array, Dynamic, Map};

use super::node::{client_letter, KvStore};
use super::rules::{
    apply_reference, next_attempt_reference, serve_get_reference, ClientAction, ClientEvent,
    ClientView, KvClientHooks, KvHooks, KvReadHooks, ReadAction, ReadView,
};
use super::scenarios::{challenge_run, challenge_scenario, swarm_id, Setup, Step, RUN_TAIL_TICKS};
use super::types::{Command, Machine, Op};
use super::*;
use crate::challenge::harness::{last_override_time, Script, SimChallenge};
use crate::challenge::Cost;
use crate::protocols::raft::challenge::{whole_raft, Part};
use crate::protocols::raft::Index;
use crate::script::convert::{get_node, get_u64, int, map, node};
use crate::script::RequiredFn;
use crate::sim::panel::BarOutcome;
use crate::sim::spec::RunSpec;
use crate::sim::trace::{Event, TraceEvent};
use crate::sim::world::{Scenario, Sim};

pub use super::scenarios::SCRIPTED_EVERY;

const REQUIRED: [RequiredFn; 1] = [RequiredFn {
    name: "apply",
    params: &["sm", "index", "entry"],
}];

const REQUIRED_CLIENT: [RequiredFn; 1] = [RequiredFn {
    name: "next_attempt",
    params: &["c"],
}];

const REQUIRED_READS: [RequiredFn; 1] = [RequiredFn {
    name: "serve_get",
    params: &["r"],
}];

/// What `serve_get` must return.
const SERVE_GET_RESULT: &str = "\"via-log\", \"confirm\", \"wait\" or #{ answer: v } with v a \
                                string";

/// A get as the leader's script sees it: `#{ value: "A1", read_index: 4, applied: 4,
/// commit_index: 4, confirmed: false, lease: true }` (`read_index` is `()` until an entry of
/// the leader's term has committed).
fn read_map(v: &ReadView) -> Dynamic {
    map([
        ("value", text(&v.value)),
        ("read_index", v.read_index.map_or(Dynamic::UNIT, int)),
        ("applied", int(v.applied)),
        ("commit_index", int(v.commit_index)),
        ("confirmed", Dynamic::from_bool(v.confirmed)),
        ("lease", Dynamic::from_bool(v.lease)),
    ])
}

/// `serve_get`'s action read back.
fn read_read_action(value: &Dynamic) -> Option<ReadAction> {
    if let Ok(word) = value.clone().into_string() {
        return match word.as_str() {
            "via-log" => Some(ReadAction::ViaLog),
            "confirm" => Some(ReadAction::Confirm),
            "wait" => Some(ReadAction::Wait),
            _ => None,
        };
    }
    let m = crate::script::convert::exact(value.clone(), &["answer"])?;
    let v = crate::script::convert::get_string(&m, "answer")?;
    Some(ReadAction::Answer(Rc::from(v.as_str())))
}

/// The learner's `serve_get` as every leader's read decision.
pub struct ScriptReads {
    script: Rc<Script>,
}

impl KvReadHooks for ScriptReads {
    fn name(&self) -> &str {
        "your code"
    }

    fn serve_get(&self, v: &ReadView) -> ReadAction {
        const NAME: &str = "serve_get";
        let Some(value) = self.script.call(NAME, (read_map(v),)) else {
            return serve_get_reference(v);
        };
        read_read_action(&value).unwrap_or_else(|| {
            self.script.wrong(NAME, &value, SERVE_GET_RESULT);
            serve_get_reference(v)
        })
    }
}

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

/// What `next_attempt` must return.
const NEXT_ATTEMPT_RESULT: &str = "#{ send: n } with a server 0, 1 or 2 (and optionally \
                                   `seq` and `after`, ticks from 0 to 1000), or one of \
                                   \"give-up\", \"fail\", \"ok\"";

/// The client's situation as the script sees it: `#{ event: "timeout", server: 0,
/// hint: (), attempts: 1, seq: 4, servers: 3 }` (`event` is `"not-leader"` for a redirect,
/// whose `hint` is the leader the server named, or `()`).
fn client_map(v: &ClientView) -> Dynamic {
    let (event, hint) = match v.event {
        ClientEvent::Timeout => ("timeout", None),
        ClientEvent::NotLeader(hint) => ("not-leader", hint),
    };
    map([
        ("event", text(event)),
        ("server", int(u64::from(v.server))),
        ("hint", node(hint)),
        ("attempts", int(u64::from(v.attempts))),
        ("seq", int(v.seq)),
        ("servers", int(u64::from(v.servers))),
    ])
}

/// `next_attempt`'s action read back.
fn read_action(value: &Dynamic, v: &ClientView) -> Option<ClientAction> {
    if let Ok(word) = value.clone().into_string() {
        return match word.as_str() {
            "give-up" => Some(ClientAction::GiveUp),
            "fail" => Some(ClientAction::Fail),
            "ok" => Some(ClientAction::Ok),
            _ => None,
        };
    }
    let m: Map = value.clone().try_cast()?;
    if m.keys()
        .any(|k| !["send", "seq", "after"].contains(&k.as_str()))
    {
        return None;
    }
    let to = get_node(&m, "send", v.servers)??;
    let seq = match m.get("seq") {
        None => v.seq,
        Some(_) => get_u64(&m, "seq")?,
    };
    let after = match m.get("after") {
        None => 0,
        Some(_) => {
            get_u64(&m, "after").filter(|&t| t <= crate::limits::KV_CLIENT_WAIT_TICKS_MAX)?
        }
    };
    Some(ClientAction::Send { to, seq, after })
}

/// The learner's `next_attempt` as the clients' hooks.
pub struct ScriptClient {
    script: Rc<Script>,
}

impl KvClientHooks for ScriptClient {
    fn name(&self) -> &str {
        "your code"
    }

    fn next_attempt(&self, v: &ClientView) -> ClientAction {
        const NAME: &str = "next_attempt";
        let Some(value) = self.script.call(NAME, (client_map(v),)) else {
            return next_attempt_reference(v);
        };
        read_action(&value, v).unwrap_or_else(|| {
            self.script.wrong(NAME, &value, NEXT_ATTEMPT_RESULT);
            next_attempt_reference(v)
        })
    }
}

/// A step's challenge.
pub struct KvChallenge(pub Step);

impl SimChallenge for KvChallenge {
    type P = KvStore;
    type Installed = Setup;

    fn required(&self) -> &'static [RequiredFn] {
        match self.0 {
            Step::Apply | Step::Dedup => &REQUIRED,
            Step::Client => &REQUIRED_CLIENT,
            Step::Reads => &REQUIRED_READS,
            Step::Raft => Part::Whole.required(),
        }
    }
    #[allow(clippy::arc_with_non_send_sync)]
    fn install(&self, script: Rc<Script>) -> Setup {
        match self.0 {
            Step::Apply | Step::Dedup => Setup::with_hooks(ScriptApply::shared(script)),
            Step::Client => Setup {
                client: Arc::new(ScriptClient { script }),
                ..Setup::reference()
            },
            Step::Reads => Setup {
                reads: Some(Arc::new(ScriptReads { script })),
                ..Setup::reference()
            },
            Step::Raft => Setup {
                raft: whole_raft(script),
                ..Setup::reference()
            },
        }
    }
    fn scenario(&self, setup: &Setup, id: &str) -> Option<Scenario<KvStore>> {
        challenge_scenario(self.0, id, setup.clone())
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
    /// Every message (client requests and answers, Raft's, read confirmations) and each
    /// answered operation's latency: what a read through the log costs against ReadIndex.
    fn cost(&self, sim: &Sim<KvStore>) -> Option<Cost> {
        let world = sim.world_ref();
        let entries = (0..world.protocol().servers)
            .filter_map(|n| world.durable(n))
            .map(|d| d.raft.last_index())
            .max()
            .unwrap_or(0);
        let mut cost = Cost {
            messages: sim.messages_sent(),
            entries,
            ..Cost::default()
        };
        for r in super::properties::recorded(&world) {
            let (BarOutcome::Ok, Some((end, _))) = (r.outcome, r.end) else {
                continue;
            };
            cost.ops += 1;
            let latency = end - r.start.0;
            match r.op {
                Op::Get(_) => cost.reads.push(latency),
                _ => cost.writes.push(latency),
            }
        }
        Some(cost)
    }
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
