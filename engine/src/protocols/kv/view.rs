//! What the view shows of the store: each server's Raft state and state machine, each
//! client's operation in progress, and the client history with its linearizability verdict.

use super::node::{client_letter, KvStore};
use super::properties::{check_history_within, recorded, LinAnswer};
use super::types::*;
use crate::sim::panel::{BarOutcome, HistoryBar, HistoryPanel, ModelVerdict};
use crate::sim::protocol::{NodeId, NodeView};
use crate::sim::world::WorldRef;

/// The data a machine holds, `x=A1B2 y=C3`, read from a script's own map when a script
/// applies.
pub fn show_data(m: &Machine) -> String {
    let pairs: Vec<String> = match &m.script {
        Some(sm) => sm
            .clone()
            .try_cast::<rhai::Map>()
            .and_then(|sm| sm.get("data").cloned())
            .and_then(|d| d.try_cast::<rhai::Map>())
            .map(|d| d.iter().map(|(k, v)| format!("{k}={v}")).collect())
            .unwrap_or_default(),
        None => m.data.iter().map(|(k, v)| format!("{k}={v}")).collect(),
    };
    if pairs.is_empty() {
        "—".to_string()
    } else {
        pairs.join(" ")
    }
}

/// The inspector's fields for one node.
pub fn node_view(store: &KvStore, node: NodeId, state: &State) -> NodeView {
    match state {
        State::Server(s) => {
            let sessions: Vec<String> = s
                .machine
                .sessions
                .iter()
                .map(|(c, x)| format!("{}#{}", client_letter(store.servers, *c), x.seq))
                .collect();
            crate::protocols::raft::view::node_view(&s.raft)
                .field("data", show_data(&s.machine))
                .field("machine applied", s.machine.last_applied)
                .field(
                    "sessions",
                    if sessions.is_empty() {
                        "—".to_string()
                    } else {
                        sessions.join(" ")
                    },
                )
                .field("answering", s.waiting.len())
        }
        State::Client(c) => NodeView::new(format!("client {}", client_letter(store.servers, node)))
            .field(
                "running",
                c.running.as_ref().map_or("—".to_string(), |r| {
                    format!("#{} {} (attempt {})", r.seq, r.op, r.attempts)
                }),
            )
            .field("leader?", format!("n{}", c.leader))
            .field("done", c.done)
            .field("gave up", c.gave_up)
            .field("queued", c.queue.len()),
    }
}

/// The history so far, one lane per client, with its linearizability verdict (key by key,
/// within [`crate::limits::KV_PANEL_LIN_SEARCH_STEPS_MAX`] search steps).
pub fn history_panel(world: &WorldRef<'_, KvStore>) -> HistoryPanel {
    let store = world.protocol();
    let ops = recorded(world);
    let budget = crate::limits::KV_PANEL_LIN_SEARCH_STEPS_MAX;
    let (verdict, sentence, marked) = match check_history_within(&ops, store.servers, budget) {
        LinAnswer::Holds => (
            "holds",
            "Every key's operations can be put in one order that respects real time and \
             what each client saw."
                .to_string(),
            Vec::new(),
        ),
        LinAnswer::Violated(sentence, stuck) => ("violated", sentence, stuck),
        LinAnswer::Unknown(why) => (
            "unknown",
            format!("The checker gave up: {why}."),
            Vec::new(),
        ),
    };
    let lanes = (store.servers..world.nodes())
        .map(|n| format!("{} (n{n})", client_letter(store.servers, n)))
        .collect();
    let bars = ops
        .iter()
        .map(|r| {
            let base = match (&r.op, &r.result) {
                (Op::Get(k), Some(v)) => format!("{k}→{v:?}"),
                (Op::Get(k), None) => format!("{k}→"),
                (Op::Put(k, v), _) => format!("{k}={v}"),
                (Op::Append(k, v), _) => format!("{k}+={v}"),
            };
            let label = match r.outcome {
                _ if r.failed => format!("{base} ✗"),
                BarOutcome::Unknown => format!("{base} ?"),
                BarOutcome::Open => format!("{base} …"),
                BarOutcome::Ok => base,
            };
            HistoryBar {
                lane: usize::from(r.client - store.servers),
                label,
                start: r.start.0,
                end: r.end.map(|e| e.0),
                outcome: r.outcome,
                step: r.start.1,
            }
        })
        .collect();
    HistoryPanel {
        title: "Client history".to_string(),
        legend: "One lane per client, one bar per operation from invocation to answer \
                 (dashed: given up on, outcome unknown; ✗: reported failed). Checked for \
                 linearizability key by key at every step; a violation marks the operations \
                 no order can place."
            .to_string(),
        now: world.time(),
        lanes,
        ops: bars,
        verdicts: vec![ModelVerdict {
            model: "linearizable".to_string(),
            verdict: verdict.to_string(),
            sentence,
            ops: marked,
        }],
    }
}
