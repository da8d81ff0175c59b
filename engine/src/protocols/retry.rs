//! Lesson: retries over an unreliable network give *at-least-once* delivery, not exactly-once.
//!
//! A client sends a request to a server and waits for the reply. The network loses and delays
//! messages, so after `timeout_ticks` without a reply the client cannot tell whether the request
//! was lost, the reply was lost, or both are merely slow — it sends the request again. When the
//! first copy did arrive, the server applies the effect twice (a counter incremented twice, a
//! payment taken twice). The fix is to make the operation idempotent: the client tags each
//! request with an id that it persists, and the server remembers (durably) the ids it has applied
//! and answers a repeat with the saved reply instead of applying it again.
//!
//! Scenarios: `retry-lossy` (no de-duplication: violates `no-duplicate-effects`) and
//! `retry-dedup` (request-id de-duplication: the property holds, even across crashes).
//! Node n0 is the server, the others are clients.

use std::collections::BTreeMap;
use std::fmt;

use crate::hash::{Canon, Fnv64};
use crate::sim::protocol::{Ctx, MessageKind, NodeId, NodeView, Protocol};
use crate::sim::spec::{Action, Override};
use crate::sim::world::{LinkCfg, Property, Scenario, WorldRef};

/// The server is always node 0.
pub const SERVER: NodeId = 0;

/// The retry protocol's configuration.
#[derive(Clone, Debug)]
pub struct Retry {
    /// Whether the server de-duplicates requests by (client, request id).
    pub dedup: bool,
    /// Client retry timeout (local ticks).
    pub timeout_ticks: u64,
}

/// An operation on the server's counter.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    /// Add one.
    Inc,
    /// Add this much.
    Add(u32),
}

impl Op {
    fn amount(self) -> u64 {
        match self {
            Op::Inc => 1,
            Op::Add(k) => u64::from(k),
        }
    }
}

impl fmt::Display for Op {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Op::Inc => f.write_str("inc"),
            Op::Add(k) => write!(f, "add{k}"),
        }
    }
}

impl Canon for Op {
    fn canon(&self, h: &mut Fnv64) {
        match self {
            Op::Inc => h.u8(0),
            Op::Add(k) => {
                h.u8(1);
                h.u32(*k);
            }
        }
    }
}

/// Messages.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Msg {
    /// Client → server: apply `op`, request `id`.
    Req {
        /// Request id, unique per client.
        id: u64,
        /// The operation.
        op: Op,
    },
    /// Server → client: request `id` done, counter is `value`.
    Resp {
        /// Request id.
        id: u64,
        /// Counter after applying.
        value: u64,
    },
}

impl fmt::Display for Msg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Msg::Req { id, op } => write!(f, "Req{{id:{id},{op}}}"),
            Msg::Resp { id, value } => write!(f, "Resp{{id:{id},value:{value}}}"),
        }
    }
}

impl Canon for Msg {
    fn canon(&self, h: &mut Fnv64) {
        match self {
            Msg::Req { id, op } => {
                h.u8(0);
                h.u64(*id);
                op.canon(h);
            }
            Msg::Resp { id, value } => {
                h.u8(1);
                h.u64(*id);
                h.u64(*value);
            }
        }
    }
}

/// The client's retry timer for one request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RetryTimer(pub u64);

impl fmt::Display for RetryTimer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "retry(id:{})", self.0)
    }
}

impl Canon for RetryTimer {
    fn canon(&self, h: &mut Fnv64) {
        h.u64(self.0);
    }
}

/// Trace notes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Note {
    /// The server applied request `id` of `client`; the counter is now `value`.
    Applied {
        /// Client.
        client: NodeId,
        /// Request id.
        id: u64,
        /// Counter after.
        value: u64,
    },
    /// The server recognised a repeat and answered from its table.
    Deduplicated {
        /// Client.
        client: NodeId,
        /// Request id.
        id: u64,
    },
    /// The client timed out and sent request `id` again.
    Resent {
        /// Request id.
        id: u64,
        /// Attempt number (2 = first retry).
        attempt: u32,
    },
}

impl fmt::Display for Note {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Note::Applied { client, id, value } => {
                write!(f, "applied n{client}/{id} -> counter={value}")
            }
            Note::Deduplicated { client, id } => write!(f, "repeat n{client}/{id}: not applied"),
            Note::Resent { id, attempt } => {
                write!(f, "timeout: resend id:{id} (attempt {attempt})")
            }
        }
    }
}

impl Canon for Note {
    fn canon(&self, h: &mut Fnv64) {
        match self {
            Note::Applied { client, id, value } => {
                h.u8(0);
                client.canon(h);
                h.u64(*id);
                h.u64(*value);
            }
            Note::Deduplicated { client, id } => {
                h.u8(1);
                client.canon(h);
                h.u64(*id);
            }
            Note::Resent { id, attempt } => {
                h.u8(2);
                h.u64(*id);
                h.u32(*attempt);
            }
        }
    }
}

/// The reply a client gives its user.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Done {
    /// Request id.
    pub id: u64,
    /// Counter value the server reported.
    pub value: u64,
}

impl fmt::Display for Done {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ok id:{} counter={}", self.id, self.value)
    }
}

impl Canon for Done {
    fn canon(&self, h: &mut Fnv64) {
        h.u64(self.id);
        h.u64(self.value);
    }
}

/// The server's state (all of it is also persisted: the counter is the effect).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ServerState {
    /// The counter the requests change.
    pub counter: u64,
    /// Every (client, request id) applied, in order — the history the property inspects.
    pub applied: Vec<(NodeId, u64)>,
    /// De-duplication table: (client, request id) → reply value.
    pub seen: BTreeMap<(NodeId, u64), u64>,
}

/// A client's state.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ClientState {
    /// Next request id (persisted, so a restarted client never reuses an id).
    pub next_id: u64,
    /// Requests awaiting a reply: id → (op, attempts).
    pub pending: BTreeMap<u64, (Op, u32)>,
}

/// A node's state.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum State {
    /// n0.
    Server(ServerState),
    /// Every other node.
    Client(ClientState),
}

/// What survives a crash.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Durable {
    /// The server's whole state.
    Server(ServerState),
    /// The client's next request id.
    Client(u64),
}

impl Protocol for Retry {
    type Msg = Msg;
    type Timer = RetryTimer;
    type Note = Note;
    type Request = Op;
    type Reply = Done;
    type State = State;
    type Durable = Durable;

    fn on_start(&self, restored: Option<&Durable>, ctx: &mut Ctx<'_, Self>) -> State {
        match (ctx.id() == SERVER, restored) {
            (true, Some(Durable::Server(s))) => State::Server(s.clone()),
            (true, _) => State::Server(ServerState::default()),
            (false, Some(Durable::Client(next_id))) => State::Client(ClientState {
                next_id: *next_id,
                pending: BTreeMap::new(),
            }),
            (false, _) => State::Client(ClientState::default()),
        }
    }

    fn on_message(&self, state: &mut State, from: NodeId, msg: Msg, ctx: &mut Ctx<'_, Self>) {
        match (state, msg) {
            (State::Server(s), Msg::Req { id, op }) => self.serve(s, from, id, op, ctx),
            (State::Client(c), Msg::Resp { id, value }) => self.answered(c, id, value, ctx),
            _ => {}
        }
    }

    fn on_timer(&self, state: &mut State, timer: RetryTimer, ctx: &mut Ctx<'_, Self>) {
        let State::Client(c) = state else { return };
        let RetryTimer(id) = timer;
        if let Some((op, attempts)) = c.pending.get_mut(&id) {
            *attempts += 1;
            ctx.note(Note::Resent {
                id,
                attempt: *attempts,
            });
            ctx.send(SERVER, Msg::Req { id, op: *op });
            ctx.set_timer(timer, self.timeout_ticks);
        }
    }

    fn on_client_request(&self, state: &mut State, op: Op, ctx: &mut Ctx<'_, Self>) {
        let State::Client(c) = state else { return };
        let id = c.next_id;
        c.next_id += 1;
        ctx.persist(Durable::Client(c.next_id));
        c.pending.insert(id, (op, 1));
        ctx.send(SERVER, Msg::Req { id, op });
        ctx.set_timer(RetryTimer(id), self.timeout_ticks);
    }

    fn parse_request(&self, text: &str) -> Result<Op, String> {
        if text == "inc" {
            return Ok(Op::Inc);
        }
        text.strip_prefix("add")
            .and_then(|k| k.parse::<u32>().ok())
            .map(Op::Add)
            .ok_or_else(|| format!("'{text}' is not 'inc' or 'add<number>'"))
    }

    fn message_kinds(&self) -> &'static [MessageKind] {
        &[
            MessageKind {
                name: "Req",
                reply: false,
                meaning: "a request with its id",
            },
            MessageKind {
                name: "Resp",
                reply: true,
                meaning: "the response, with the counter's value",
            },
        ]
    }
    fn view(&self, _node: NodeId, state: &State) -> NodeView {
        match state {
            State::Server(s) => NodeView::new("server")
                .field("counter", s.counter)
                .field("applied", s.applied.len())
                .field("dedup table", s.seen.len()),
            State::Client(c) => {
                let pending: Vec<String> = c
                    .pending
                    .iter()
                    .map(|(id, (op, n))| format!("{id}:{op}x{n}"))
                    .collect();
                NodeView::new("client")
                    .field("next id", c.next_id)
                    .field("pending", pending.join(" "))
            }
        }
    }
}

impl Retry {
    fn answered(&self, c: &mut ClientState, id: u64, value: u64, ctx: &mut Ctx<'_, Self>) {
        // A late or duplicated reply for an answered request is ignored.
        if c.pending.remove(&id).is_some() {
            ctx.cancel_timer(RetryTimer(id));
            ctx.reply(Done { id, value });
        }
    }

    fn serve(&self, s: &mut ServerState, client: NodeId, id: u64, op: Op, ctx: &mut Ctx<'_, Self>) {
        if self.dedup {
            if let Some(&value) = s.seen.get(&(client, id)) {
                ctx.note(Note::Deduplicated { client, id });
                ctx.send(client, Msg::Resp { id, value });
                return;
            }
        }
        s.counter += op.amount();
        s.applied.push((client, id));
        if self.dedup {
            s.seen.insert((client, id), s.counter);
        }
        // Applying and remembering are one atomic, durable step: otherwise a crash between
        // them would let a repeat through.
        ctx.persist(Durable::Server(s.clone()));
        ctx.note(Note::Applied {
            client,
            id,
            value: s.counter,
        });
        ctx.send(
            client,
            Msg::Resp {
                id,
                value: s.counter,
            },
        );
    }
}

/// The server's durable history, whether or not it is up.
fn server_history<'a>(w: &WorldRef<'a, Retry>) -> Option<&'a ServerState> {
    match w.durable(SERVER) {
        Some(Durable::Server(s)) => Some(s),
        _ => None,
    }
}

/// Safety: no (client, request id) is applied twice.
pub fn no_duplicate_effects(w: &WorldRef<'_, Retry>) -> bool {
    let Some(s) = server_history(w) else {
        return true;
    };
    let mut ids = s.applied.clone();
    ids.sort_unstable();
    ids.windows(2).all(|p| p[0] != p[1])
}

/// Liveness: no up client is still waiting for a reply.
pub fn all_answered(w: &WorldRef<'_, Retry>) -> bool {
    (0..w.nodes()).all(|n| match w.state(n) {
        Some(State::Client(c)) => c.pending.is_empty(),
        _ => true,
    })
}

fn scenario(
    id: &'static str,
    title: &'static str,
    description: &'static str,
    dedup: bool,
) -> Scenario<Retry> {
    let script = vec![
        Override::at(0, Action::Request(1, "inc".into())),
        Override::at(5, Action::Request(2, "add5".into())),
        Override::at(60, Action::Request(1, "inc".into())),
        Override::at(80, Action::Request(2, "inc".into())),
        Override::at(150, Action::Request(1, "add2".into())),
        Override::at(200, Action::Request(2, "inc".into())),
    ];
    Scenario {
        id,
        title,
        description,
        nodes: 3,
        protocol: Retry {
            dedup,
            timeout_ticks: 40,
        },
        net: LinkCfg {
            latency_min_ticks: 5,
            latency_max_ticks: 30,
            loss_ppm: 150_000,
            dup_ppm: 0,
            spike_ppm: 50_000,
            spike_ticks_max: 60,
        },
        calm: LinkCfg::calm(5, 30),
        script,
        properties: vec![
            Property::always("no-duplicate-effects", no_duplicate_effects),
            Property::eventually("all-answered", 500, all_answered),
        ],
        workload: vec![(1, "inc"), (2, "inc"), (1, "add5"), (2, "add3")],
        faulty_nodes: vec![0, 1, 2],
        safety_ticks: 600,
    }
}

/// `retry-lossy`: the server applies every request it receives.
pub fn lossy() -> Scenario<Retry> {
    scenario(
        "retry-lossy",
        "Retries over a lossy network: duplicate effects",
        "Two clients retry on timeout over a network that loses 15% of messages and delays \
         some; the server applies every request it receives, so some are applied twice.",
        false,
    )
}

/// `retry-dedup`: the server remembers applied request ids.
pub fn dedup() -> Scenario<Retry> {
    scenario(
        "retry-dedup",
        "Retries with request ids: exactly-once effects",
        "The same clients and network, but the server remembers applied request ids \
         durably and answers repeats from its table: every effect happens once.",
        true,
    )
}
