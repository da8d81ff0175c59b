//! The store's properties, judged on the client history the observer recorded (as Jepsen's
//! harness records it, in true time): `linearizable` — the history, key by key, has a
//! linearization (Herlihy and Wing), checked with [`crate::lin`]'s key-value model — and
//! `ops-complete` — after the final heal every operation ends, and those invoked once the
//! cluster had time to elect a leader return an answer.

use std::rc::Rc;

use serde_json::Value as Json;

use super::node::KvStore;
use super::types::*;
use super::*;
use crate::lin::{Budget, KvModel, RawHistory, RawOperation, Status, Verdict, RETURN_NEVER};
use crate::sim::panel::BarOutcome;
use crate::sim::protocol::NodeId;
use crate::sim::spec::Action;
use crate::sim::trace::{Event, TraceEvent};
use crate::sim::world::{Monitor, PropKind, Property, WorldRef};

/// One client operation as the observer recorded it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Recorded {
    /// The client node.
    pub client: NodeId,
    /// Its sequence number.
    pub seq: Seq,
    /// The operation.
    pub op: Op,
    /// True time and step of the invocation.
    pub start: (u64, u64),
    /// True time and step it returned, or was given up on or reported failed.
    pub end: Option<(u64, u64)>,
    /// Returned, given up on (unknown), or still running.
    pub outcome: BarOutcome,
    /// Reported as failed (which claims it took no effect).
    pub failed: bool,
    /// A get's value.
    pub result: Option<Rc<str>>,
}

/// The observer's record of client operations, in invocation order.
pub fn recorded(world: &WorldRef<'_, KvStore>) -> Vec<Recorded> {
    let mut ops: Vec<Recorded> = Vec::new();
    for o in world.observed() {
        match &o.note {
            Note::Invoke { seq, op } => ops.push(Recorded {
                client: o.node,
                seq: *seq,
                op: op.clone(),
                start: (o.t, o.step),
                end: None,
                outcome: BarOutcome::Open,
                failed: false,
                result: None,
            }),
            Note::Return { seq, result } => close(&mut ops, o.node, *seq, (o.t, o.step), |r| {
                r.outcome = BarOutcome::Ok;
                r.result = Some(result.clone());
            }),
            Note::GaveUp { seq } => close(&mut ops, o.node, *seq, (o.t, o.step), |r| {
                r.outcome = BarOutcome::Unknown;
            }),
            Note::Failed { seq } => close(&mut ops, o.node, *seq, (o.t, o.step), |r| {
                r.outcome = BarOutcome::Ok;
                r.failed = true;
            }),
            _ => {}
        }
    }
    ops
}

fn close(
    ops: &mut [Recorded],
    client: NodeId,
    seq: Seq,
    at: (u64, u64),
    how: impl FnOnce(&mut Recorded),
) {
    if let Some(r) = ops
        .iter_mut()
        .rev()
        .find(|r| r.client == client && r.seq == seq && r.end.is_none())
    {
        r.end = Some(at);
        how(r);
    }
}

/// The recorded operations as a history the checker reads: times are steps (which order every
/// invocation and return of the run); an operation given up on or still running has an
/// unknown outcome and no return; one reported failed is taken at its word (it did not take
/// effect), as a client that reports it so tells its caller.
pub fn raw_history(ops: &[Recorded]) -> RawHistory {
    RawHistory {
        operations: ops
            .iter()
            .enumerate()
            .map(|(i, r)| {
                let status = match (r.outcome, r.failed) {
                    (_, true) => Status::Fail,
                    (BarOutcome::Ok, false) => Status::Ok,
                    _ => Status::Unknown,
                };
                let ret = match (status, r.end) {
                    (Status::Unknown, _) | (_, None) => RETURN_NEVER,
                    (_, Some((_, step))) => step,
                };
                RawOperation {
                    client: u64::from(r.client),
                    f: r.op.verb().to_string(),
                    key: Some(r.op.key().to_string()),
                    input: r
                        .op
                        .value()
                        .map_or(Json::Null, |v| Json::from(v.to_string())),
                    status,
                    output: match (&r.op, &r.result) {
                        (Op::Get(_), Some(v)) if status == Status::Ok => Json::from(v.to_string()),
                        _ => Json::Null,
                    },
                    invoke_line: i + 1,
                    return_line: None,
                    call: r.start.1,
                    ret,
                }
            })
            .collect(),
    }
}

/// The linearizability checker's answer on the history so far.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LinAnswer {
    /// Every key's operations have a linearization.
    Holds,
    /// Some key's have none: one sentence naming it, and the operations that could not be
    /// placed (indices into the recorded operations).
    Violated(String, Vec<usize>),
    /// The search ran out of budget: why.
    Unknown(String),
}

/// Checks the recorded history key by key within [`LIN_SEARCH_STEPS_MAX`] (`servers` names
/// the clients by letter).
pub fn check_history(ops: &[Recorded], servers: u16) -> LinAnswer {
    check_history_within(ops, servers, LIN_SEARCH_STEPS_MAX)
}

/// [`check_history`] within `steps_max` search steps.
pub fn check_history_within(ops: &[Recorded], servers: u16, steps_max: u64) -> LinAnswer {
    // A get whose outcome is unknown constrains nothing (it may have returned anything); left
    // out, it costs the search nothing.
    let judged: Vec<usize> = (0..ops.len())
        .filter(|&i| {
            matches!(ops[i].op, Op::Put(..) | Op::Append(..)) || ops[i].outcome == BarOutcome::Ok
        })
        .collect();
    let picked: Vec<Recorded> = judged.iter().map(|&i| ops[i].clone()).collect();
    let raw = raw_history(&picked);
    let (model, history) = match KvModel::lower(&raw) {
        Ok(lowered) => lowered,
        Err(e) => return LinAnswer::Unknown(format!("the history could not be read: {e}")),
    };
    // Lowering drops operations reported failed; map the checker's indices back.
    let kept: Vec<usize> = raw
        .operations
        .iter()
        .enumerate()
        .filter(|(_, o)| o.status != Status::Fail)
        .map(|(i, _)| judged[i])
        .collect();
    let report = crate::lin::check(&model, &history, &mut Budget::steps(steps_max));
    match report.verdict {
        Verdict::Linearizable { .. } => LinAnswer::Holds,
        Verdict::Unknown { reason } => LinAnswer::Unknown(reason.to_string()),
        Verdict::NotLinearizable { explanation } => {
            let stuck: Vec<usize> = explanation
                .stuck
                .iter()
                .filter_map(|s| kept.get(s.operation).copied())
                .collect();
            let describe = |i: usize| {
                let r = &ops[i];
                let letter = node::client_letter(servers, r.client);
                let what = match (&r.op, &r.result, r.outcome) {
                    (Op::Get(k), Some(v), BarOutcome::Ok) => format!("get({k}) -> {v:?}"),
                    (op, _, BarOutcome::Unknown) => format!("{} (outcome unknown)", show_op(op)),
                    (op, _, _) => show_op(op),
                };
                format!("{letter}#{} {what}", r.seq)
            };
            let listed: Vec<String> = stuck.iter().map(|&i| describe(i)).collect();
            let sentence = format!(
                "No order of the operations on {} agrees with what the clients saw: after {} \
                 operation(s) in order the value is {}, and none of {} can come next.",
                explanation.partition,
                explanation.prefix.len(),
                explanation.state,
                listed.join(", ")
            );
            LinAnswer::Violated(sentence, stuck)
        }
    }
}

fn show_op(op: &Op) -> String {
    match op {
        Op::Get(k) => format!("get({k})"),
        Op::Put(k, v) => format!("put({k}, {v:?})"),
        Op::Append(k, v) => format!("append({k}, {v:?})"),
    }
}

/// `linearizable`: judged at the end of the run on the whole history; a search that runs out
/// of budget leaves it undecided (a check then says unknown).
#[derive(Clone, Default)]
struct Linearizable {
    undecided: Option<String>,
}

impl Monitor<KvStore> for Linearizable {
    fn on_event(
        &mut self,
        _: &TraceEvent<KvStore>,
        _: &WorldRef<'_, KvStore>,
    ) -> Result<(), String> {
        Ok(())
    }
    fn at_end(&mut self, world: &WorldRef<'_, KvStore>) -> Result<(), String> {
        match check_history(&recorded(world), world.protocol().servers) {
            LinAnswer::Holds => Ok(()),
            LinAnswer::Violated(sentence, _) => Err(sentence),
            LinAnswer::Unknown(why) => {
                self.undecided = Some(why);
                Ok(())
            }
        }
    }
    fn undecided(&self) -> Option<String> {
        self.undecided.clone()
    }
    fn clone_box(&self) -> Box<dyn Monitor<KvStore>> {
        Box::new(self.clone())
    }
}

/// `ops-complete`: remembers when the faults ended (the last fault or heal-all). Once the
/// cluster has had [`SETTLE_TICKS`] more to elect a leader, it must answer: an operation
/// invoked after that returns within [`ANSWER_TICKS`]; one still open then ends within
/// [`ANSWER_TICKS`]; and no client gives up on attempts it made in the settled cluster.
#[derive(Clone, Default)]
struct OpsComplete {
    healed_at: u64,
}

impl Monitor<KvStore> for OpsComplete {
    fn on_event(
        &mut self,
        event: &TraceEvent<KvStore>,
        _: &WorldRef<'_, KvStore>,
    ) -> Result<(), String> {
        if let Event::Action(action) = &event.event {
            if !matches!(action, Action::Request(..) | Action::Set(..)) {
                self.healed_at = event.t;
            }
        }
        Ok(())
    }
    fn at_end(&mut self, world: &WorldRef<'_, KvStore>) -> Result<(), String> {
        let servers = world.protocol().servers;
        let name = |r: &Recorded| {
            format!(
                "{}#{} {}",
                node::client_letter(servers, r.client),
                r.seq,
                show_op(&r.op)
            )
        };
        for r in recorded(world) {
            let settled_at = self.healed_at + SETTLE_TICKS;
            let settled = r.start.0 >= settled_at;
            match (r.end, r.outcome) {
                (None, _) if r.start.0.max(settled_at) + ANSWER_TICKS <= world.time() => {
                    return Err(format!(
                        "{} (invoked at t={}) never ended: the last fault was at t={}, and at \
                         t={} it still had no answer",
                        name(&r),
                        r.start.0,
                        self.healed_at,
                        world.time()
                    ))
                }
                (Some((end, _)), BarOutcome::Unknown) if end >= settled_at + GIVE_UP_TICKS => {
                    return Err(format!(
                        "{} (invoked at t={}) was given up on at t={end}: its client had been \
                         retrying in a cluster with no fault since t={}, which must answer",
                        name(&r),
                        r.start.0,
                        self.healed_at
                    ))
                }
                (Some(_), BarOutcome::Unknown) if settled => {
                    return Err(format!(
                        "{} was invoked at t={}, {} ticks after the last fault (t={}), and \
                         was given up on: a cluster with no fault left must answer",
                        name(&r),
                        r.start.0,
                        r.start.0 - self.healed_at,
                        self.healed_at
                    ))
                }
                (Some((end, _)), BarOutcome::Ok) if settled && end > r.start.0 + ANSWER_TICKS => {
                    return Err(format!(
                        "{} was invoked at t={}, after the last fault (t={}), and answered \
                         only at t={end}, more than {ANSWER_TICKS} ticks later",
                        name(&r),
                        r.start.0,
                        self.healed_at
                    ))
                }
                _ => {}
            }
        }
        Ok(())
    }
    fn clone_box(&self) -> Box<dyn Monitor<KvStore>> {
        Box::new(self.clone())
    }
}

/// How long after the final heal `ops-complete` is judged (a run goes on this long).
pub const WINDOW_TICKS: u64 = SETTLE_TICKS + scenarios::RUN_TAIL_TICKS;

/// The store's properties.
pub fn properties() -> Vec<Property<KvStore>> {
    vec![
        Property::monitor("linearizable", PropKind::Always, || {
            Box::<Linearizable>::default()
        }),
        Property::monitor(
            "ops-complete",
            PropKind::EventuallyWithin(WINDOW_TICKS),
            || Box::<OpsComplete>::default(),
        ),
    ]
}
