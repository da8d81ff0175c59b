//! The twopc-recovery harness (chapter 5): the learner's script is two-phase commit's
//! decisions — when the coordinator decides, what it logs and sends to carry a decision out,
//! what it takes from its log on a restart and what it presumes of a transaction it has no
//! record of; what a participant logs and sends on PREPARE, and what it does while in doubt —
//! installed as [`TwoPcHooks`] in the bank of [`super::scenarios`].
//!
//! The script sees plain Rhai values: integers, booleans, the strings `"COMMIT"`, `"ABORT"`,
//! `"YES"`, `"NO"`, `"PREPARED"`, `"END"`, `"ASK"`, `()` for a vote not yet in, and maps and
//! arrays of them. What a node does is an ordered array of steps, `#{ log: … }` (a forced
//! write: the steps after it wait for the disk) or `#{ send: …, to: … }`. A result of the
//! wrong type or shape stops the check with a [`crate::script::ScriptErrorKind::WrongResult`]
//! at the function's definition, saying what is wrong with it.
//!
//! Runs: seed `s` is a swarm run (crashes, restarts, partitions, pauses, loss, duplication and
//! requested transfers, then a heal), except that every [`RECOVERY_SCRIPTED_EVERY`]-th seed is
//! one of the scripted runs of [`RECOVERY_SCRIPTED`] in turn, each designed so that, whatever
//! the latencies, it reaches the state one rule exists for: a crash between a decision's send
//! and its log write, a participant crashed after PREPARED or before it, a participant in doubt
//! for 100,000 ticks, a coordinator restarting with a decision logged and not ended, a NO vote
//! with the coordinator down, a participant asking only after the coordinator has ended a
//! decision and forgotten it, a coordinator restarting with several decisions open. So a
//! verdict does not depend on which seeds a check draws: every 36 consecutive seeds hold each
//! scripted run.

use std::rc::Rc;
use std::sync::Arc;

use rhai::{Array, Dynamic, Map};

use super::properties::bank;
use super::rules::{self, InDoubt, Known, TwoPcHooks, TwoPcVariant};
use super::scenarios::{
    recovery, recovery_run, RECOVERY_SCRIPTED, RECOVERY_SCRIPTED_EVERY, RECOVERY_SWARM,
    RECOVERY_TAIL_TICKS,
};
use super::types::*;
use super::TwoPc;
use crate::challenge::harness::{last_override_time, Script, SimChallenge};
use crate::script::convert::{get_array, get_string, get_u64, int, map};
use crate::script::RequiredFn;
use crate::sim::protocol::NodeId;
use crate::sim::spec::RunSpec;
use crate::sim::trace::{Event, TraceEvent};
use crate::sim::world::{Scenario, Sim, Violation};

const REQUIRED: [RequiredFn; 6] = [
    RequiredFn {
        name: "decide",
        params: &["votes", "timed_out"],
    },
    RequiredFn {
        name: "announce",
        params: &["tx", "outcome", "participants"],
    },
    RequiredFn {
        name: "recover_coordinator",
        params: &["log"],
    },
    RequiredFn {
        name: "presume",
        params: &[],
    },
    RequiredFn {
        name: "prepare",
        params: &["tx", "can_commit"],
    },
    RequiredFn {
        name: "in_doubt",
        params: &["tx", "waited"],
    },
];

/// What `announce` must return.
const ANNOUNCE_STEPS: &str = "an array of steps such as [#{ log: \"COMMIT\" }, #{ send: \"COMMIT\", to: 1 }] (log: \"COMMIT\" or \"ABORT\"; send: \"COMMIT\" or \"ABORT\" to a participant, 1 to 3)";
/// What `prepare` must return.
const PREPARE_STEPS: &str = "an array of steps with exactly one vote, such as [#{ log: \"PREPARED\" }, #{ send: \"YES\", to: 0 }] (log: \"PREPARED\" or \"ABORT\"; send: \"YES\" or \"NO\" to the coordinator, 0)";
/// What `recover_coordinator` must return.
const RECOVERED: &str = "an array of decisions to finish, each #{ tx, outcome, participants } with outcome \"COMMIT\" or \"ABORT\" and participants among 1 to 3, e.g. [] or [#{ tx: 3, outcome: \"COMMIT\", participants: [1, 3] }]";

fn outcome_text(o: Outcome) -> &'static str {
    match o {
        Outcome::Commit => "COMMIT",
        Outcome::Abort => "ABORT",
    }
}

fn text(s: &str) -> Dynamic {
    Dynamic::from(s.to_string())
}

fn as_outcome(value: &Dynamic) -> Option<Outcome> {
    match value.clone().into_string().ok()?.as_str() {
        "COMMIT" => Some(Outcome::Commit),
        "ABORT" => Some(Outcome::Abort),
        _ => None,
    }
}

fn nodes(ids: &[NodeId]) -> Dynamic {
    Dynamic::from_array(
        ids.iter()
            .map(|&n| Dynamic::from_int(i64::from(n)))
            .collect(),
    )
}

fn tx_int(tx: TxId) -> Dynamic {
    Dynamic::from_int(i64::from(tx))
}

/// A participant id (1 to 3) from a script's integer.
fn as_participant(value: &Dynamic) -> Option<NodeId> {
    NodeId::try_from(value.as_int().ok()?)
        .ok()
        .filter(|&n| is_participant(n))
}

/// One step of a script's array: `(log, None)` or `(send, Some(to))`, as strings and an id;
/// `Err` says what is wrong with step `i` (counted from 1).
fn step_parts(i: usize, step: &Dynamic) -> Result<(String, Option<i64>), String> {
    let Some(m) = step.clone().try_cast::<Map>() else {
        return Err(format!("step {i} is not a map"));
    };
    let string = |key: &str| {
        get_string(&m, key).ok_or_else(|| format!("step {i}'s `{key}` is not a string"))
    };
    match (m.contains_key("log"), m.contains_key("send")) {
        (true, true) => Err(format!("step {i} has both `log` and `send`")),
        (false, false) => Err(format!("step {i} has neither `log` nor `send`")),
        (true, false) => {
            if m.len() != 1 {
                return Err(format!("step {i} logs and has other fields"));
            }
            Ok((string("log")?, None))
        }
        (false, true) => {
            let to = m
                .get("to")
                .and_then(|t| t.as_int().ok())
                .ok_or_else(|| format!("step {i} sends without `to`, the node to send to"))?;
            if m.len() != 2 {
                return Err(format!("step {i} has fields besides `send` and `to`"));
            }
            Ok((string("send")?, Some(to)))
        }
    }
}

fn steps_array(value: &Dynamic) -> Result<Array, String> {
    value
        .clone()
        .try_cast::<Array>()
        .ok_or_else(|| "it is not an array".to_string())
}

/// The coordinator's steps for a decision on `tx`.
fn announce_steps(value: &Dynamic, tx: TxId, participants: &[NodeId]) -> Result<Vec<Step>, String> {
    let mut steps = Vec::new();
    for (i, step) in steps_array(value)?.iter().enumerate() {
        let i = i + 1;
        let (what, to) = step_parts(i, step)?;
        let outcome = as_outcome(&Dynamic::from(what.clone())).ok_or_else(|| {
            format!("step {i} is about \"{what}\"; the coordinator logs and sends \"COMMIT\" or \"ABORT\"")
        })?;
        steps.push(match to {
            None => Step::Log(Record::Decision {
                tx,
                outcome,
                participants: participants.to_vec(),
            }),
            Some(to) => {
                let to = NodeId::try_from(to)
                    .ok()
                    .filter(|&n| is_participant(n))
                    .ok_or_else(|| format!("step {i} sends to {to}, which is no participant"))?;
                Step::Send(to, Msg::Decision { tx, outcome })
            }
        });
    }
    Ok(steps)
}

/// A participant's steps on PREPARE for `tx` with `ops`.
fn prepare_steps(value: &Dynamic, tx: TxId, ops: &[Op]) -> Result<Vec<Step>, String> {
    let mut steps = Vec::new();
    let mut votes = 0;
    for (i, step) in steps_array(value)?.iter().enumerate() {
        let i = i + 1;
        let (what, to) = step_parts(i, step)?;
        steps.push(match (what.as_str(), to) {
            ("PREPARED", None) => Step::Log(Record::Prepared {
                tx,
                ops: ops.to_vec(),
            }),
            ("ABORT", None) => Step::Log(Record::Decision {
                tx,
                outcome: Outcome::Abort,
                participants: Vec::new(),
            }),
            (_, None) => {
                return Err(format!(
                    "step {i} logs \"{what}\"; a participant logs \"PREPARED\" or \"ABORT\" here"
                ))
            }
            (vote @ ("YES" | "NO"), Some(COORDINATOR_ID)) => {
                votes += 1;
                let vote = if vote == "YES" { Vote::Yes } else { Vote::No };
                Step::Send(COORDINATOR, Msg::Vote { tx, vote })
            }
            ("YES" | "NO", Some(to)) => {
                return Err(format!(
                    "step {i} sends the vote to {to}; votes go to the coordinator, 0"
                ))
            }
            (_, Some(_)) => {
                return Err(format!(
                    "step {i} sends \"{what}\"; a participant sends its vote, \"YES\" or \"NO\""
                ))
            }
        });
    }
    match votes {
        1 => Ok(steps),
        0 => Err("it sends no vote".to_string()),
        n => Err(format!("it sends {n} votes")),
    }
}

/// The coordinator's id as a script's integer.
const COORDINATOR_ID: i64 = COORDINATOR as i64;

/// A coordinator's log as the script sees it: `#{ tx, record, participants }`.
fn log_array(log: &[Record]) -> Dynamic {
    Dynamic::from_array(
        log.iter()
            .filter_map(|r| match r {
                Record::Decision {
                    tx,
                    outcome,
                    participants,
                } => Some(map([
                    ("tx", tx_int(*tx)),
                    ("record", text(outcome_text(*outcome))),
                    ("participants", nodes(participants)),
                ])),
                Record::End { tx } => Some(map([
                    ("tx", tx_int(*tx)),
                    ("record", text("END")),
                    ("participants", nodes(&[])),
                ])),
                Record::Prepared { .. } => None,
            })
            .collect(),
    )
}

/// The decisions a script's `recover_coordinator` returned.
fn recovered(value: &Dynamic) -> Option<Vec<Known>> {
    let array: Array = value.clone().try_cast()?;
    array
        .iter()
        .map(|d| {
            let m: Map = d.clone().try_cast()?;
            let tx = TxId::try_from(get_u64(&m, "tx")?).ok().filter(|&t| t > 0)?;
            let outcome = as_outcome(m.get("outcome")?)?;
            let participants = get_array(&m, "participants")?
                .iter()
                .map(as_participant)
                .collect::<Option<Vec<NodeId>>>()?;
            Some(Known {
                tx,
                outcome,
                participants,
                ended: false,
            })
        })
        .collect()
}

/// The learner's script as two-phase commit's decisions. The first error is latched in the
/// [`Script`]; every later call answers as the reference does, so the run ends normally and
/// the check reports the error.
pub struct ScriptHooks {
    script: Rc<Script>,
}

impl ScriptHooks {
    /// The bank holds its hooks in an `Arc`; a check runs on one thread, and the script engine
    /// is not `Send`.
    #[allow(clippy::arc_with_non_send_sync)]
    fn shared(script: Rc<Script>) -> Arc<dyn TwoPcHooks> {
        Arc::new(ScriptHooks { script })
    }
}

impl TwoPcHooks for ScriptHooks {
    fn name(&self) -> &str {
        "your code"
    }

    fn decide(&self, votes: &[(NodeId, Option<Vote>)], timed_out: bool) -> Option<Outcome> {
        const NAME: &str = "decide";
        let array = Dynamic::from_array(
            votes
                .iter()
                .map(|(p, v)| {
                    let vote = match v {
                        Some(Vote::Yes) => text("YES"),
                        Some(Vote::No) => text("NO"),
                        None => Dynamic::UNIT,
                    };
                    map([
                        ("participant", Dynamic::from_int(i64::from(*p))),
                        ("vote", vote),
                    ])
                })
                .collect(),
        );
        let Some(value) = self
            .script
            .call(NAME, (array, Dynamic::from_bool(timed_out)))
        else {
            return rules::decide(votes, timed_out);
        };
        if value.is_unit() {
            return None;
        }
        as_outcome(&value).or_else(|| {
            self.script.wrong(
                NAME,
                &value,
                "\"COMMIT\", \"ABORT\", or () to wait for more votes",
            );
            rules::decide(votes, timed_out)
        })
    }

    fn announce(&self, tx: TxId, outcome: Outcome, participants: &[NodeId]) -> Vec<Step> {
        const NAME: &str = "announce";
        let args = (tx_int(tx), text(outcome_text(outcome)), nodes(participants));
        let Some(value) = self.script.call(NAME, args) else {
            return rules::announce(tx, outcome, participants);
        };
        announce_steps(&value, tx, participants).unwrap_or_else(|why| {
            self.script
                .wrong(NAME, &value, &format!("{ANNOUNCE_STEPS}, but {why}"));
            rules::announce(tx, outcome, participants)
        })
    }

    fn recover_coordinator(&self, log: &[Record]) -> Vec<Known> {
        const NAME: &str = "recover_coordinator";
        let Some(value) = self.script.call(NAME, (log_array(log),)) else {
            return rules::recover_coordinator(log);
        };
        recovered(&value).unwrap_or_else(|| {
            self.script.wrong(NAME, &value, RECOVERED);
            rules::recover_coordinator(log)
        })
    }

    fn presume(&self) -> Outcome {
        const NAME: &str = "presume";
        let Some(value) = self.script.call(NAME, ()) else {
            return Outcome::Abort;
        };
        as_outcome(&value).unwrap_or_else(|| {
            self.script.wrong(NAME, &value, "\"COMMIT\" or \"ABORT\"");
            Outcome::Abort
        })
    }

    fn prepare(&self, tx: TxId, ops: &[Op], can_commit: bool, coordinator: NodeId) -> Vec<Step> {
        const NAME: &str = "prepare";
        let Some(value) = self
            .script
            .call(NAME, (tx_int(tx), Dynamic::from_bool(can_commit)))
        else {
            return rules::prepare(tx, ops, can_commit, coordinator);
        };
        prepare_steps(&value, tx, ops).unwrap_or_else(|why| {
            self.script
                .wrong(NAME, &value, &format!("{PREPARE_STEPS}, but {why}"));
            rules::prepare(tx, ops, can_commit, coordinator)
        })
    }

    fn in_doubt(&self, tx: TxId, waited_ticks: u64) -> InDoubt {
        const NAME: &str = "in_doubt";
        let Some(value) = self.script.call(NAME, (tx_int(tx), int(waited_ticks))) else {
            return InDoubt::Ask;
        };
        match value.clone().into_string().ok().as_deref() {
            Some("ASK") => InDoubt::Ask,
            Some("ABORT") => InDoubt::Abort,
            _ => {
                self.script.wrong(NAME, &value, "\"ASK\" or \"ABORT\"");
                InDoubt::Ask
            }
        }
    }
}

/// Of the transactions in `committed`, each `(tx, at, without)` where participant `at` has
/// COMMIT `tx` on its disk and participant `without` has neither PREPARED nor COMMIT for it.
fn unprepared_commits(sim: &Sim<TwoPc>, committed: &[TxId]) -> Vec<(TxId, NodeId, NodeId)> {
    let world = sim.world_ref();
    let log = |n: NodeId| {
        world
            .durable(n)
            .map(|d| d.log().to_vec())
            .unwrap_or_default()
    };
    let coordinator = log(COORDINATOR);
    let holds = |n: NodeId, tx: TxId, prepared_too: bool| {
        log(n).iter().any(|r| match r {
            Record::Prepared { tx: t, .. } => prepared_too && *t == tx,
            Record::Decision {
                tx: t,
                outcome: Outcome::Commit,
                ..
            } => *t == tx,
            _ => false,
        })
    };
    let mut found = Vec::new();
    for &tx in committed {
        let participants = coordinator.iter().find_map(|r| match r {
            Record::Decision {
                tx: t,
                participants,
                ..
            } if *t == tx => Some(participants.clone()),
            _ => None,
        });
        let participants = participants.unwrap_or_default();
        let Some(&at) = participants.iter().find(|&&p| holds(p, tx, false)) else {
            continue;
        };
        for &without in participants.iter().filter(|&&p| !holds(p, tx, true)) {
            found.push((tx, at, without));
        }
    }
    found
}

/// The twopc-recovery challenge.
pub struct TwoPcRecovery;

impl SimChallenge for TwoPcRecovery {
    type P = TwoPc;
    type Installed = Arc<dyn TwoPcHooks>;

    fn required(&self) -> &'static [RequiredFn] {
        &REQUIRED
    }
    fn install(&self, script: Rc<Script>) -> Arc<dyn TwoPcHooks> {
        ScriptHooks::shared(script)
    }
    fn scenario(&self, hooks: &Arc<dyn TwoPcHooks>, id: &str) -> Option<Scenario<TwoPc>> {
        recovery(id, hooks.clone())
    }
    fn run_of(&self, seed: u64) -> RunSpec {
        recovery_run(seed)
    }
    /// What the disks hold when money is not conserved (the other properties say it
    /// themselves).
    fn describe(&self, sim: &Sim<TwoPc>, violation: &Violation) -> Option<String> {
        (violation.property == "money-conserved").then(|| {
            let b = bank(&sim.world_ref());
            let balances: Vec<String> = b
                .balances
                .iter()
                .enumerate()
                .map(|(i, v)| format!("n{} {v:?}", i + 1))
                .collect();
            let committed: Vec<String> = b.committed.iter().map(|t| format!("t{t}")).collect();
            let mut text = format!(
                "The disks account for {} of {TOTAL}: balances {}; committed on some disk: {}.",
                b.total(),
                balances.join(", "),
                if committed.is_empty() {
                    "none".to_string()
                } else {
                    committed.join(", ")
                }
            );
            for (tx, at, without) in unprepared_commits(sim, &b.committed) {
                text.push_str(&format!(
                    " t{tx} is committed at n{at} with no PREPARED record at n{without}: \
                     n{without}'s YES counted without PREPARED on its disk (not written, not \
                     yet written, or lost in a crash), so it holds no part of t{tx} to commit."
                ));
            }
            text
        })
    }
    fn horizon(&self, _: &Scenario<TwoPc>, spec: &RunSpec) -> u64 {
        last_override_time(spec) + RECOVERY_TAIL_TICKS
    }
    fn properties(&self) -> Vec<&'static str> {
        recovery(RECOVERY_SWARM, Arc::new(TwoPcVariant::Reference))
            .map(|s| s.properties.iter().map(|p| p.name).collect())
            .unwrap_or_default()
    }
    /// What a counterexample shows: faults and requests, every note (begins, votes, log
    /// writes, decisions, recoveries), and the decisions n0 sends and the participants
    /// receive or lose. PREPAREs, votes on the wire, ACKs, inquiries and timers are folded.
    fn matters(&self, event: &TraceEvent<TwoPc>) -> bool {
        match &event.event {
            Event::Action(_) | Event::Request { .. } | Event::Note { .. } => true,
            Event::Send { msg, .. } | Event::Recv { msg, .. } | Event::Drop { msg, .. } => {
                matches!(msg, Msg::Decision { .. })
            }
            _ => false,
        }
    }
}

/// Seeds of the scripted run `id` among `first..first + seeds`.
pub fn scripted_seeds(id: &str, first: u64, seeds: u64) -> Vec<u64> {
    let k = RECOVERY_SCRIPTED.iter().position(|&s| s == id).unwrap_or(0) as u64;
    (first..first + seeds)
        .filter(|s| {
            s % RECOVERY_SCRIPTED_EVERY == RECOVERY_SCRIPTED_EVERY - 1
                && (s / RECOVERY_SCRIPTED_EVERY) % RECOVERY_SCRIPTED.len() as u64 == k
        })
        .collect()
}

#[cfg(test)]
#[path = "challenge_tests.rs"]
mod tests;
