//! The service graph's nodes, messages, timers, notes and state.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::fmt;

use super::context::SpanFields;
use super::logs::{Level, Vc};
use super::spans::SpanKind;
use crate::hash::{Canon, Fnv64};
use crate::sim::protocol::NodeId;

/// The client, a browser sending checkouts.
pub const CLIENT: NodeId = 0;
/// The API gateway, the edge where a trace starts.
pub const GATEWAY: NodeId = 1;
/// The orders service: fans out to inventory and payments, writes the order, publishes it.
pub const ORDERS: NodeId = 2;
/// The inventory service: reads stock from the read replica.
pub const INVENTORY: NodeId = 3;
/// The payments service: charges the card.
pub const PAYMENTS: NodeId = 4;
/// The database primary (writes).
pub const DB_PRIMARY: NodeId = 5;
/// The database read replica (reads).
pub const DB_REPLICA: NodeId = 6;
/// The message queue between orders and shipping.
pub const QUEUE: NodeId = 7;
/// The shipping service, the queue's consumer.
pub const SHIPPING: NodeId = 8;
/// How many nodes the graph has.
pub const NODES: u16 = 9;

/// Every node's name, by id (option choices use these).
pub const NAMES: [&str; NODES as usize] = [
    "client",
    "gateway",
    "orders",
    "inventory",
    "payments",
    "db-1",
    "db-2",
    "queue",
    "shipping",
];

/// A node's name.
pub fn name(node: NodeId) -> &'static str {
    NAMES.get(usize::from(node)).copied().unwrap_or("?")
}

/// What a call asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    /// Client → gateway → orders: place an order.
    Checkout,
    /// Orders → inventory: reserve the items.
    Reserve,
    /// Orders → payments: charge the card.
    Charge,
    /// Inventory → db-2: read stock.
    Read,
    /// Orders → db-1: write the order.
    Write,
}

impl Op {
    /// The span name a server gives it.
    pub fn route(self) -> &'static str {
        match self {
            Op::Checkout => "POST /checkout",
            Op::Reserve => "POST /reserve",
            Op::Charge => "POST /charge",
            Op::Read => "SELECT stock",
            Op::Write => "INSERT order",
        }
    }
    fn code(self) -> u8 {
        match self {
            Op::Checkout => 0,
            Op::Reserve => 1,
            Op::Charge => 2,
            Op::Read => 3,
            Op::Write => 4,
        }
    }
}

impl fmt::Display for Op {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Op::Checkout => "checkout",
            Op::Reserve => "reserve",
            Op::Charge => "charge",
            Op::Read => "read",
            Op::Write => "write",
        })
    }
}

impl Canon for Op {
    fn canon(&self, h: &mut Fnv64) {
        h.u8(self.code());
    }
}

/// The ghost fields every message carries: facts of the simulation that no service reads, kept
/// so the checks can compare the spans with the true call tree.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Ghost {
    /// The client request this work is for.
    pub request: u64,
    /// The span (its unique op number) that caused this message: the caller's client span,
    /// or the producer span of a queue message.
    pub cause: u64,
}

impl Canon for Ghost {
    fn canon(&self, h: &mut Fnv64) {
        h.u64(self.request);
        h.u64(self.cause);
    }
}

/// Messages.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Msg {
    /// A call (one attempt of it) with its `traceparent` header, if any.
    Call {
        /// The caller's id for the call.
        call: u64,
        /// Attempt number, 1 = first.
        attempt: u32,
        /// What is asked.
        op: Op,
        /// The header as sent.
        traceparent: Option<String>,
        /// The sender's vector clock.
        vc: Vc,
        /// Ghost fields.
        ghost: Ghost,
    },
    /// The answer to one attempt of a call.
    Reply {
        /// The caller's id for the call.
        call: u64,
        /// The attempt answered.
        attempt: u32,
        /// Whether it succeeded.
        ok: bool,
        /// The sender's vector clock.
        vc: Vc,
    },
    /// Orders → queue: an order to ship, with the producer span's `traceparent`.
    Publish {
        /// The order number.
        order: u64,
        /// The header.
        traceparent: String,
        /// The sender's vector clock.
        vc: Vc,
        /// Ghost fields.
        ghost: Ghost,
    },
    /// Queue → shipping: the same message, delivered.
    Deliver {
        /// The order number.
        order: u64,
        /// The header.
        traceparent: String,
        /// The queue's vector clock.
        vc: Vc,
        /// Ghost fields.
        ghost: Ghost,
    },
}

impl Msg {
    /// The vector clock it carries.
    pub fn vc(&self) -> &Vc {
        match self {
            Msg::Call { vc, .. }
            | Msg::Reply { vc, .. }
            | Msg::Publish { vc, .. }
            | Msg::Deliver { vc, .. } => vc,
        }
    }
}

impl fmt::Display for Msg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Msg::Call {
                call, attempt, op, ..
            } => write!(f, "Call{{{op} #{call}.{attempt}}}"),
            Msg::Reply {
                call, attempt, ok, ..
            } => write!(
                f,
                "Reply{{#{call}.{attempt} {}}}",
                if *ok { "ok" } else { "error" }
            ),
            Msg::Publish { order, .. } => write!(f, "Publish{{order {order}}}"),
            Msg::Deliver { order, .. } => write!(f, "Deliver{{order {order}}}"),
        }
    }
}

impl Canon for Msg {
    fn canon(&self, h: &mut Fnv64) {
        match self {
            Msg::Call {
                call,
                attempt,
                op,
                traceparent,
                vc,
                ghost,
            } => {
                h.u8(0);
                h.u64(*call);
                h.u32(*attempt);
                h.u8(op.code());
                h.str(traceparent.as_deref().unwrap_or("-"));
                vc.canon(h);
                ghost.canon(h);
            }
            Msg::Reply {
                call,
                attempt,
                ok,
                vc,
            } => {
                h.u8(1);
                h.u64(*call);
                h.u32(*attempt);
                ok.canon(h);
                vc.canon(h);
            }
            Msg::Publish {
                order,
                traceparent,
                vc,
                ghost,
            }
            | Msg::Deliver {
                order,
                traceparent,
                vc,
                ghost,
            } => {
                h.u8(if matches!(self, Msg::Publish { .. }) {
                    2
                } else {
                    3
                });
                h.u64(*order);
                h.str(traceparent);
                vc.canon(h);
                ghost.canon(h);
            }
        }
    }
}

/// Timers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Timer {
    /// The client's next request of its workload.
    NextRequest,
    /// A handling's local work is done.
    Work(u64),
    /// An attempt of a call has waited long enough.
    Timeout {
        /// The call.
        call: u64,
        /// The attempt.
        attempt: u32,
    },
    /// The database finished the query of this handling.
    Query(u64),
    /// The queue hands this order to the consumer.
    Hand(u64),
    /// The client gives up on a request.
    GiveUp(u64),
}

impl fmt::Display for Timer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Timer::NextRequest => f.write_str("next-request"),
            Timer::Work(h) => write!(f, "work(h{h})"),
            Timer::Timeout { call, attempt } => write!(f, "timeout(#{call}.{attempt})"),
            Timer::Query(h) => write!(f, "query(h{h})"),
            Timer::Hand(o) => write!(f, "hand(order {o})"),
            Timer::GiveUp(r) => write!(f, "give-up(r{r})"),
        }
    }
}

impl Canon for Timer {
    fn canon(&self, h: &mut Fnv64) {
        match self {
            Timer::NextRequest => h.u8(0),
            Timer::Work(x) => {
                h.u8(1);
                h.u64(*x);
            }
            Timer::Timeout { call, attempt } => {
                h.u8(2);
                h.u64(*call);
                h.u32(*attempt);
            }
            Timer::Query(x) => {
                h.u8(3);
                h.u64(*x);
            }
            Timer::Hand(o) => {
                h.u8(4);
                h.u64(*o);
            }
            Timer::GiveUp(r) => {
                h.u8(5);
                h.u64(*r);
            }
        }
    }
}

/// A span starts: what the middleware made, and the ghost facts the checks compare it with.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SpanStart {
    /// The span's unique op number (node × 2⁴⁰ + a counter that survives restarts).
    pub op: u64,
    /// The op of the span that truly caused it: for a server span its caller's client span,
    /// for a client or producer span the server span it was made in; `None` for the first
    /// span of a request.
    pub cause: Option<u64>,
    /// For a consumer span: the producer span's op it truly follows from.
    pub follows: Option<u64>,
    /// The client request (ghost).
    pub request: u64,
    /// Server, client, producer or consumer.
    pub kind: SpanKind,
    /// Operation name.
    pub name: String,
    /// Attempt number of a call.
    pub attempt: u32,
    /// The middleware's fields.
    pub fields: SpanFields,
    /// For a client or producer span: the `traceparent` it sent.
    pub sent: Option<String>,
    /// For a root span: the flags it should carry (the incoming valid header's, or the edge's
    /// fresh decision).
    pub decided_flags: Option<String>,
}

/// Trace notes: spans and log lines, recorded for the outside observer (`Ctx::observe`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Note {
    /// A span starts.
    Span(Box<SpanStart>),
    /// A span ends.
    SpanEnd {
        /// Its op number.
        op: u64,
        /// Whether it failed (or timed out).
        error: bool,
    },
    /// A structured log line.
    Log {
        /// The node's own clock reading.
        wall: u64,
        /// The node's vector clock after the line.
        vc: Vc,
        /// Correlation ids: trace id and span id.
        trace_id: String,
        /// Span id.
        span_id: String,
        /// Severity.
        level: Level,
        /// The message.
        text: String,
    },
}

impl fmt::Display for Note {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Note::Span(s) => write!(
                f,
                "span {} {} {}… parent {}",
                s.kind.name(),
                s.name,
                short(&s.fields.span_id),
                if s.fields.parent_id.is_empty() {
                    "none".to_string()
                } else {
                    format!("{}…", short(&s.fields.parent_id))
                }
            ),
            Note::SpanEnd { op, error } => {
                write!(f, "span end op{op}{}", if *error { " error" } else { "" })
            }
            Note::Log {
                wall, level, text, ..
            } => write!(f, "log {} @{wall} {text}", level.name()),
        }
    }
}

/// The first 8 characters of an id, for short labels.
pub fn short(id: &str) -> &str {
    id.get(..8).unwrap_or(id)
}

impl Canon for Note {
    fn canon(&self, h: &mut Fnv64) {
        match self {
            Note::Span(s) => {
                h.u8(0);
                h.u64(s.op);
                h.u64(s.cause.map_or(0, |c| c + 1));
                h.u64(s.follows.map_or(0, |c| c + 1));
                h.u64(s.request);
                h.u8(s.kind as u8);
                h.str(&s.name);
                h.u32(s.attempt);
                s.fields.canon(h);
                h.str(s.sent.as_deref().unwrap_or("-"));
                h.str(s.decided_flags.as_deref().unwrap_or("-"));
            }
            Note::SpanEnd { op, error } => {
                h.u8(1);
                h.u64(*op);
                error.canon(h);
            }
            Note::Log {
                wall,
                vc,
                trace_id,
                span_id,
                level,
                text,
            } => {
                h.u8(2);
                h.u64(*wall);
                vc.canon(h);
                h.str(trace_id);
                h.str(span_id);
                h.u8(*level as u8);
                h.str(text);
            }
        }
    }
}

/// The client's answer to its user: a request finished or was given up on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Done {
    /// The request number.
    pub request: u64,
    /// Whether the checkout succeeded.
    pub ok: bool,
}

impl fmt::Display for Done {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "r{} {}",
            self.request,
            if self.ok { "ok" } else { "failed" }
        )
    }
}

impl Canon for Done {
    fn canon(&self, h: &mut Fnv64) {
        h.u64(self.request);
        self.ok.canon(h);
    }
}

/// A span a node has open: its op number and fields.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OpenSpan {
    /// Its op number.
    pub op: u64,
    /// Its fields.
    pub fields: SpanFields,
}

/// A request a service is handling: its server span and where its program is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Handling {
    /// Who called.
    pub from: NodeId,
    /// The caller's call id and attempt (to address the reply).
    pub call: u64,
    /// The attempt.
    pub attempt: u32,
    /// What was asked.
    pub op: Op,
    /// The server (or consumer) span.
    pub span: OpenSpan,
    /// The client request (ghost).
    pub request: u64,
    /// The next stage of the service's program.
    pub stage: usize,
    /// Calls still outstanding.
    pub waiting: u32,
    /// A call failed: the handling answers with an error.
    pub failed: bool,
}

/// An outgoing call waiting for its answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pending {
    /// The handling it is made for.
    pub handling: u64,
    /// The callee.
    pub to: NodeId,
    /// What it asks.
    pub op: Op,
    /// The current attempt.
    pub attempt: u32,
    /// The current attempt's client span.
    pub span: OpenSpan,
}

/// A query in the database's queue.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Query {
    /// The handling of it (its server span).
    pub handling: u64,
    /// How long it takes, ticks.
    pub work_ticks: u64,
}

/// A message the queue holds until it hands it to the consumer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Queued {
    /// The header it carries.
    pub traceparent: String,
    /// Ghost fields.
    pub ghost: Ghost,
}

/// A node's state (one shape for every role; each role uses its part).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct State {
    /// Its vector clock.
    pub vc: Vc,
    /// The next op number (also call, handling and order numbers), persisted.
    pub next: u64,
    /// Requests being handled.
    pub handlings: BTreeMap<u64, Handling>,
    /// Calls waiting for an answer.
    pub calls: BTreeMap<u64, Pending>,
    /// Database: queries waiting for a connection.
    pub queries: VecDeque<Query>,
    /// Database: queries being served (at most [`super::DB_CONNECTIONS`]).
    pub serving: u32,
    /// Queue: messages held.
    pub queued: BTreeMap<u64, Queued>,
    /// Client: requests sent and not answered, with their root span (if it made one).
    pub open: BTreeMap<u64, Option<OpenSpan>>,
    /// Client: requests of its own workload still to send.
    pub to_send: u32,
    /// Client: checkouts sent so far (the header cases go by it).
    pub sent: u64,
    /// Calls already taken, (caller, call, attempt): a duplicated delivery is ignored, as a
    /// server that de-duplicates by request id would.
    pub taken: BTreeSet<(NodeId, u64, u32)>,
    /// Handled (server side) so far.
    pub served: u64,
    /// Of which failed.
    pub failed: u64,
    /// Attempts that timed out.
    pub timeouts: u64,
}
