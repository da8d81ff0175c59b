//! What the view shows of the replicated register: each node's state, and the client history
//! the observer recorded with every consistency model's verdict on it.

use serde_json::Value as Json;

use super::*;
use crate::consistency::{classify, ConsistencyModel, FinalRead, FinalReads, Limits, Verdict};
use crate::lin::parse::{RawHistory, RawOperation, Status};
use crate::lin::RETURN_NEVER;
use crate::sim::panel::{BarOutcome, HistoryBar, HistoryPanel, ModelVerdict};
use crate::sim::world::WorldRef;

/// The inspector's fields for one node.
pub fn node_view(node: NodeId, state: &State) -> NodeView {
    match state {
        State::Replica(r) => NodeView::new(if node == LEADER { "leader" } else { "follower" })
            .field("value", show(r.value))
            .field("version", r.version)
            .field("held (lag)", r.held.len())
            .field("awaiting acks", r.waiting.len()),
        State::Client(c) => {
            let running = match &c.running {
                Some(Running {
                    op,
                    kind: OpKind::Read,
                    ..
                }) => format!("op {op}: read"),
                Some(Running {
                    op,
                    kind: OpKind::Write(v),
                    ..
                }) => format!("op {op}: write {v}"),
                None => "—".to_string(),
            };
            NodeView::new(format!("client {}", client_name(node)))
                .field("running", running)
                .field("started", c.started)
                .field("near", format!("n{}", nearest(node)))
        }
    }
}

/// One client operation as the observer recorded it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Recorded {
    /// The client node.
    pub client: NodeId,
    /// Its operation number.
    pub op: u32,
    /// What it did.
    pub kind: OpKind,
    /// True time and step of the invocation.
    pub start: (u64, u64),
    /// True time and step it returned or was given up on.
    pub end: Option<(u64, u64)>,
    /// Returned (`Some`: a read's value, `None` for a write), given up, or still running.
    pub outcome: BarOutcome,
    /// A read's value.
    pub value: Value,
    /// The version the store reported when it returned.
    pub version: Option<Version>,
}

/// The observer's record of client operations, in invocation order.
pub fn recorded(world: &WorldRef<'_, Register>) -> Vec<Recorded> {
    let mut ops: Vec<Recorded> = Vec::new();
    for o in world.observed() {
        match &o.note {
            Note::Invoke { op, kind } => ops.push(Recorded {
                client: o.node,
                op: *op,
                kind: *kind,
                start: (o.t, o.step),
                end: None,
                outcome: BarOutcome::Open,
                value: None,
                version: None,
            }),
            Note::Return { op, value, version } => {
                if let Some(r) = ops
                    .iter_mut()
                    .rev()
                    .find(|r| r.client == o.node && r.op == *op)
                {
                    r.end = Some((o.t, o.step));
                    r.outcome = BarOutcome::Ok;
                    r.value = *value;
                    r.version = Some(*version);
                }
            }
            Note::GaveUp { op } => {
                if let Some(r) = ops
                    .iter_mut()
                    .rev()
                    .find(|r| r.client == o.node && r.op == *op)
                {
                    r.end = Some((o.t, o.step));
                    r.outcome = BarOutcome::Unknown;
                }
            }
            Note::Applied { .. } => {}
        }
    }
    ops
}

fn json(value: Value) -> Json {
    value.map_or(Json::Null, Json::from)
}

/// The recorded operations as a history the checkers read. Times are steps, which order every
/// invocation and return of the run; an operation given up on or still running has an unknown
/// outcome and no return.
pub fn raw_history(ops: &[Recorded]) -> RawHistory {
    RawHistory {
        operations: ops
            .iter()
            .enumerate()
            .map(|(i, r)| {
                let known = r.outcome == BarOutcome::Ok;
                RawOperation {
                    client: u64::from(r.client),
                    f: match r.kind {
                        OpKind::Read => "read",
                        OpKind::Write(_) => "write",
                    }
                    .to_string(),
                    key: None,
                    input: match r.kind {
                        OpKind::Read => Json::Null,
                        OpKind::Write(v) => Json::from(v),
                    },
                    status: if known { Status::Ok } else { Status::Unknown },
                    output: match r.kind {
                        OpKind::Read if known => json(r.value),
                        OpKind::Read => Json::Null,
                        OpKind::Write(v) => Json::from(v),
                    },
                    invoke_line: i + 1,
                    return_line: None,
                    call: r.start.1,
                    ret: match (known, r.end) {
                        (true, Some((_, step))) => step,
                        _ => RETURN_NEVER,
                    },
                }
            })
            .collect(),
    }
}

/// Each replica's value now (from its durable copy while it is down).
pub fn replica_values(world: &WorldRef<'_, Register>) -> Vec<(Version, Value)> {
    (0..REPLICAS)
        .map(|n| match (world.state(n), world.durable(n)) {
            (Some(State::Replica(r)), _) => (r.version, r.value),
            (_, Some(Durable::Replica(v, x))) => (*v, *x),
            _ => (Version::default(), None),
        })
        .collect()
}

/// Whether every client has finished its workload (updates have stopped).
pub fn clients_done(world: &WorldRef<'_, Register>) -> bool {
    let register = world.protocol();
    (REPLICAS..world.nodes()).all(|n| match world.state(n) {
        Some(State::Client(c)) => c.started >= register.ops_per_client && c.running.is_none(),
        _ => false,
    })
}

/// Says "A" for client n3 where a checker's sentence says "client 3".
fn name_clients(sentence: &str, clients: u16) -> String {
    let mut out = sentence.to_string();
    for n in REPLICAS..REPLICAS + clients {
        let name = client_name(n).to_string();
        out = out
            .replace(&format!("client {n}'s"), &format!("{name}'s"))
            .replace(&format!("client {n}"), &name);
    }
    out
}

/// The history so far with every model's verdict (convergence is judged once updates stop).
pub fn history_panel(world: &WorldRef<'_, Register>) -> HistoryPanel {
    let ops = recorded(world);
    let raw = raw_history(&ops);
    let done = clients_done(world);
    let finals = FinalReads {
        reads: replica_values(world)
            .into_iter()
            .enumerate()
            .map(|(i, (_, value))| FinalRead {
                replica: format!("n{i}"),
                key: None,
                value: json(value),
                line: i + 1,
            })
            .collect(),
    };
    let clients = world.protocol().clients;
    let verdicts = match classify(&raw, Some(&finals), &Limits::default()) {
        Ok(judgements) => judgements
            .into_iter()
            .map(|j| {
                let (verdict, sentence) = if j.model == ConsistencyModel::Converged && !done {
                    (
                        Verdict::NotApplicable,
                        "judged once updates stop (every client has finished its \
                             workload)"
                            .to_string(),
                    )
                } else {
                    (j.verdict, j.sentence)
                };
                ModelVerdict {
                    model: j.model.name().to_string(),
                    verdict: verdict.name().to_string(),
                    sentence: name_clients(&sentence, clients),
                    ops: if verdict == Verdict::Violated {
                        j.operations
                    } else {
                        Vec::new()
                    },
                }
            })
            .collect(),
        Err(e) => vec![ModelVerdict {
            model: "history".to_string(),
            verdict: Verdict::Unknown.name().to_string(),
            sentence: format!("the history could not be read: {e}"),
            ops: Vec::new(),
        }],
    };
    let lanes = (REPLICAS..REPLICAS + clients)
        .map(|n| format!("{} (n{n})", client_name(n)))
        .collect();
    let bars = ops
        .iter()
        .map(|r| HistoryBar {
            lane: usize::from(r.client - REPLICAS),
            label: match (r.kind, r.outcome) {
                (OpKind::Write(v), BarOutcome::Unknown) => format!("w {v} ?"),
                (OpKind::Write(v), _) => format!("w {v}"),
                (OpKind::Read, BarOutcome::Ok) => format!("r→{}", show(r.value)),
                (OpKind::Read, BarOutcome::Unknown) => "r ?".to_string(),
                (OpKind::Read, BarOutcome::Open) => "r …".to_string(),
            },
            start: r.start.0,
            end: r.end.map(|e| e.0),
            outcome: r.outcome,
            step: r.start.1,
        })
        .collect();
    HistoryPanel {
        title: "History".to_string(),
        legend: "One lane per client, one bar per operation from invocation to response \
                 (dashed: given up on, outcome unknown). The verdicts are recomputed at every \
                 step; pick a violated model to mark its operations, click an operation to \
                 go to the moment it started."
            .to_string(),
        now: world.time(),
        lanes,
        ops: bars,
        verdicts,
    }
}

/// Reads that returned an older version than a write that had completed before the read was
/// invoked: the stale reads of a history, counted for the latency/consistency chart.
pub fn stale_reads(ops: &[Recorded]) -> (usize, usize) {
    let mut reads = 0;
    let mut stale = 0;
    for r in ops.iter().filter(|r| r.kind == OpKind::Read) {
        let (Some(version), BarOutcome::Ok) = (r.version, r.outcome) else {
            continue;
        };
        reads += 1;
        let newest_done = ops
            .iter()
            .filter(|w| matches!(w.kind, OpKind::Write(_)) && w.outcome == BarOutcome::Ok)
            .filter(|w| w.end.is_some_and(|(_, step)| step < r.start.1))
            .filter_map(|w| w.version)
            .max();
        if newest_done.is_some_and(|n| version < n) {
            stale += 1;
        }
    }
    (stale, reads)
}
