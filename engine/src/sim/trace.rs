//! The trace: typed events recorded as a run goes, rendered to text or JSON only when asked.
//!
//! Invariant: an event's text line, JSON form and hash bytes are pure functions of the event,
//! and the trace hash (FNV-1a over [`Canon`] bytes of every event in order) is the same on every
//! platform. The text line is the one the app's event log, the tests and the docs show.

use crate::hash::{Canon, Fnv64};
use crate::sim::protocol::{NodeId, Protocol};
use crate::sim::spec::Action;

/// Why a message did not arrive.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum DropReason {
    /// The network lost it (random loss).
    Loss,
    /// The link was cut.
    Partition,
    /// The receiver was down when it arrived.
    Down,
    /// Dropped by hand.
    Override,
    /// Sent to a node that does not exist.
    NoSuchNode,
}

impl DropReason {
    fn as_str(self) -> &'static str {
        match self {
            DropReason::Loss => "loss",
            DropReason::Partition => "partition",
            DropReason::Down => "down",
            DropReason::Override => "by hand",
            DropReason::NoSuchNode => "no such node",
        }
    }
}

/// What happened.
#[derive(Clone, Debug)]
pub enum Event<P: Protocol> {
    /// `from` sent message `id` to `to`.
    Send {
        /// Sender.
        from: NodeId,
        /// Receiver.
        to: NodeId,
        /// Message id (unique in the run).
        id: u64,
        /// The message.
        msg: P::Msg,
    },
    /// Message `id` was delivered to `to`.
    Recv {
        /// Sender.
        from: NodeId,
        /// Receiver.
        to: NodeId,
        /// Message id.
        id: u64,
        /// The message.
        msg: P::Msg,
    },
    /// Message `id` was dropped.
    Drop {
        /// Sender.
        from: NodeId,
        /// Intended receiver.
        to: NodeId,
        /// Message id.
        id: u64,
        /// The message.
        msg: P::Msg,
        /// Why.
        reason: DropReason,
    },
    /// The network duplicated message `of` as `id`.
    Dup {
        /// Sender.
        from: NodeId,
        /// Receiver.
        to: NodeId,
        /// Id of the copy.
        id: u64,
        /// Id of the original.
        of: u64,
        /// The message.
        msg: P::Msg,
    },
    /// A timer fired at `node`.
    Timer {
        /// The node.
        node: NodeId,
        /// The timer.
        timer: P::Timer,
    },
    /// A fault or hand-made action took effect.
    Action(Action),
    /// A client handed `node` a request (`lost` when the node was not up).
    Request {
        /// The node.
        node: NodeId,
        /// The request.
        request: P::Request,
        /// True when the node was down or paused and the request was lost.
        lost: bool,
    },
    /// `node` replied to its client.
    Reply {
        /// The node.
        node: NodeId,
        /// The reply.
        reply: P::Reply,
    },
    /// A protocol note.
    Note {
        /// The node.
        node: NodeId,
        /// The note.
        note: P::Note,
    },
}

/// An event at a true time.
#[derive(Clone, Debug)]
pub struct TraceEvent<P: Protocol> {
    /// True simulated time (ticks).
    pub t: u64,
    /// What happened.
    pub event: Event<P>,
}

fn action_node(a: &Action) -> Option<NodeId> {
    match a {
        Action::Crash(n)
        | Action::Restart(n)
        | Action::Pause(n)
        | Action::Resume(n)
        | Action::Clock(n, ..)
        | Action::Request(n, _) => Some(*n),
        _ => None,
    }
}

impl<P: Protocol> TraceEvent<P> {
    /// The node the event happened at (the log's second column), if any.
    pub fn node(&self) -> Option<NodeId> {
        match &self.event {
            Event::Send { from, .. } | Event::Dup { from, .. } => Some(*from),
            Event::Recv { to, .. } | Event::Drop { to, .. } => Some(*to),
            Event::Timer { node, .. }
            | Event::Request { node, .. }
            | Event::Reply { node, .. }
            | Event::Note { node, .. } => Some(*node),
            Event::Action(a) => action_node(a),
        }
    }

    /// Short verb, e.g. `recv`.
    pub fn verb(&self) -> &'static str {
        match &self.event {
            Event::Send { .. } => "send",
            Event::Recv { .. } => "recv",
            Event::Drop { .. } => "drop",
            Event::Dup { .. } => "dup",
            Event::Timer { .. } => "timer",
            Event::Action(a) => action_verb(a),
            Event::Request { .. } => "req",
            Event::Reply { .. } => "reply",
            Event::Note { .. } => "note",
        }
    }

    /// Everything after the verb, e.g. `Ping{seq:4} from n1 #17`.
    pub fn detail(&self) -> String {
        match &self.event {
            Event::Send { to, id, msg, .. } => format!("{msg} to n{to} #{id}"),
            Event::Recv { from, id, msg, .. } => format!("{msg} from n{from} #{id}"),
            Event::Drop {
                from,
                id,
                msg,
                reason,
                ..
            } => format!("{msg} from n{from} #{id} ({})", reason.as_str()),
            Event::Dup {
                to, id, of, msg, ..
            } => format!("{msg} to n{to} #{id} copy of #{of}"),
            Event::Timer { timer, .. } => timer.to_string(),
            Event::Action(a) => match a {
                Action::Crash(_) | Action::Restart(_) | Action::Pause(_) | Action::Resume(_) => {
                    String::new()
                }
                Action::Clock(_, skew, drift) => format!("skew={skew} drift={drift}ppm"),
                _ => a.describe(),
            },
            Event::Request { request, lost, .. } => {
                if *lost {
                    format!("{request} (node not up: lost)")
                } else {
                    request.to_string()
                }
            }
            Event::Reply { reply, .. } => reply.to_string(),
            Event::Note { note, .. } => note.to_string(),
        }
    }

    /// The one-line text form: `t=   420  n3  recv  Ping{seq:4} from n1 #17`.
    pub fn line(&self) -> String {
        let node = match self.node() {
            Some(n) => format!("n{n}"),
            None => "--".to_string(),
        };
        let detail = self.detail();
        let line = format!("t={:>6}  {node:<3} {:<5} {detail}", self.t, self.verb());
        line.trim_end().to_string()
    }

    /// The compact JSON form: `{"t":420,"n":3,"k":"recv","d":"Ping{seq:4} from n1 #17"}`.
    pub fn json(&self) -> serde_json::Value {
        let mut map = serde_json::Map::new();
        map.insert("t".into(), self.t.into());
        if let Some(n) = self.node() {
            map.insert("n".into(), n.into());
        }
        map.insert("k".into(), self.verb().into());
        map.insert("d".into(), self.detail().into());
        serde_json::Value::Object(map)
    }
}

/// The log verb of a hand-made or scripted action.
fn action_verb(a: &Action) -> &'static str {
    match a {
        Action::Crash(_) => "crash",
        Action::Restart(_) => "restart",
        Action::Pause(_) => "pause",
        Action::Resume(_) => "resume",
        Action::Deliver(_) | Action::Drop(_) => "hand",
        Action::Clock(..) => "clock",
        Action::Request(..) => "req",
        Action::Set(..) => "set",
        Action::Partition(_)
        | Action::Cut(..)
        | Action::Mend(..)
        | Action::Heal
        | Action::HealAll
        | Action::Loss(..)
        | Action::Dup(..)
        | Action::Latency(..) => "net",
    }
}

fn canon_action(a: &Action, h: &mut Fnv64) {
    // The token form is canonical and compact: hash its text.
    h.str(&a.to_string());
}

/// One word holding an event's tag and up to two node ids.
fn head(tag: u8, a: NodeId, b: NodeId) -> u64 {
    u64::from(tag) | u64::from(a) << 8 | u64::from(b) << 24
}

impl<P: Protocol> Canon for TraceEvent<P> {
    fn canon(&self, h: &mut Fnv64) {
        h.u64(self.t);
        match &self.event {
            Event::Send { from, to, id, msg } => {
                h.u64(head(1, *from, *to));
                h.u64(*id);
                msg.canon(h);
            }
            Event::Recv { from, to, id, msg } => {
                h.u64(head(2, *from, *to));
                h.u64(*id);
                msg.canon(h);
            }
            Event::Drop {
                from,
                to,
                id,
                msg,
                reason,
            } => {
                h.u64(head(3, *from, *to) | (*reason as u64) << 40);
                h.u64(*id);
                msg.canon(h);
            }
            Event::Dup {
                from,
                to,
                id,
                of,
                msg,
            } => {
                h.u64(head(4, *from, *to));
                h.u64(*id);
                h.u64(*of);
                msg.canon(h);
            }
            Event::Timer { node, timer } => {
                h.u64(head(5, *node, 0));
                timer.canon(h);
            }
            Event::Action(a) => {
                h.u8(6);
                canon_action(a, h);
            }
            Event::Request {
                node,
                request,
                lost,
            } => {
                h.u64(head(7, *node, u16::from(*lost)));
                request.canon(h);
            }
            Event::Reply { node, reply } => {
                h.u64(head(8, *node, 0));
                reply.canon(h);
            }
            Event::Note { node, note } => {
                h.u64(head(9, *node, 0));
                note.canon(h);
            }
        }
    }
}
