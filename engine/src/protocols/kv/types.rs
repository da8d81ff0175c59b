//! The store's values: operations and their encoding as Raft commands, messages, timers,
//! notes, the state machine, and each node's state.

use std::collections::{BTreeMap, VecDeque};
use std::fmt;
use std::rc::Rc;

use crate::hash::{Canon, Fnv64};
use crate::protocols::raft::{self, Index};
use crate::sim::protocol::NodeId;

/// A client's sequence number: its operations are numbered 1, 2, 3, … and a retry keeps the
/// number.
pub type Seq = u64;

/// A key-value operation. Values are strings; a key never written reads as `""`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Op {
    /// Read a key.
    Get(Rc<str>),
    /// Replace a key's value.
    Put(Rc<str>, Rc<str>),
    /// Append to a key's value.
    Append(Rc<str>, Rc<str>),
}

impl Op {
    /// The key it is about.
    pub fn key(&self) -> &str {
        match self {
            Op::Get(k) | Op::Put(k, _) | Op::Append(k, _) => k,
        }
    }
    /// `get`, `put` or `append`.
    pub fn verb(&self) -> &'static str {
        match self {
            Op::Get(_) => "get",
            Op::Put(..) => "put",
            Op::Append(..) => "append",
        }
    }
    /// The argument of a put or an append.
    pub fn value(&self) -> Option<&str> {
        match self {
            Op::Get(_) => None,
            Op::Put(_, v) | Op::Append(_, v) => Some(v),
        }
    }
    /// Parses `get.x`, `put.x.A1` or `append.x.A1` (keys and values without dots or spaces).
    pub fn parse(text: &str) -> Result<Op, String> {
        let parts: Vec<&str> = text.trim().split('.').collect();
        let ok = |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric());
        match parts.as_slice() {
            ["get", k] if ok(k) => Ok(Op::Get(Rc::from(*k))),
            ["put", k, v] if ok(k) && ok(v) => Ok(Op::Put(Rc::from(*k), Rc::from(*v))),
            ["append", k, v] if ok(k) && ok(v) => Ok(Op::Append(Rc::from(*k), Rc::from(*v))),
            _ => Err(format!(
                "'{}' is not an operation: get.KEY, put.KEY.VALUE or append.KEY.VALUE \
                 (letters and digits)",
                text.trim()
            )),
        }
    }
}

impl fmt::Display for Op {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Op::Get(k) => write!(f, "get.{k}"),
            Op::Put(k, v) => write!(f, "put.{k}.{v}"),
            Op::Append(k, v) => write!(f, "append.{k}.{v}"),
        }
    }
}

impl Canon for Op {
    fn canon(&self, h: &mut Fnv64) {
        h.str(&self.to_string());
    }
}

/// One command in the replicated log: who asked, under which sequence number, and what.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Command {
    /// The client node.
    pub client: NodeId,
    /// The client's sequence number.
    pub seq: Seq,
    /// The operation.
    pub op: Op,
}

impl Command {
    /// The Raft command text: `n5#3:append.x.A3`.
    pub fn encode(&self) -> Rc<str> {
        Rc::from(format!("n{}#{}:{}", self.client, self.seq, self.op))
    }
    /// The command a Raft entry carries, if it is one (a no-op is not).
    pub fn decode(text: &str) -> Option<Command> {
        let rest = text.strip_prefix('n')?;
        let (client, rest) = rest.split_once('#')?;
        let (seq, op) = rest.split_once(':')?;
        Some(Command {
            client: client.parse().ok()?,
            seq: seq.parse().ok()?,
            op: Op::parse(op).ok()?,
        })
    }
}

/// The last operation the state machine applied for one client, and its answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Session {
    /// Its sequence number.
    pub seq: Seq,
    /// What it answered.
    pub result: Rc<str>,
}

/// The replicated state machine: the data, the index of the last entry applied, and the
/// de-duplication table (one [`Session`] per client). All of it is a function of the log's
/// committed prefix, so every server that applied the same prefix holds the same machine.
#[derive(Clone, Debug, Default)]
pub struct Machine {
    /// Key → value.
    pub data: BTreeMap<Rc<str>, Rc<str>>,
    /// Index of the last log entry applied.
    pub last_applied: Index,
    /// Client → its last applied operation.
    pub sessions: BTreeMap<NodeId, Session>,
    /// The state as a learner's script keeps it (a Rhai map), when a script applies.
    pub script: Option<rhai::Dynamic>,
}

/// Messages: Raft's between servers, and the client protocol.
#[derive(Clone, Debug)]
pub enum Msg {
    /// A Raft message (RequestVote, AppendEntries, their replies).
    Raft(raft::Msg),
    /// A client asks a server to run an operation.
    Request {
        /// The client's sequence number.
        seq: Seq,
        /// The operation.
        op: Op,
    },
    /// The operation ran; `result` is a get's value (`""` for any other operation).
    Done {
        /// The request's sequence number.
        seq: Seq,
        /// The answer.
        result: Rc<str>,
    },
    /// The server is not the leader; it names the leader it knows, if any.
    NotLeader {
        /// The request's sequence number.
        seq: Seq,
        /// The leader the server knows.
        leader: Option<NodeId>,
    },
    /// A leader serving reads by read index asks a follower to confirm it still leads.
    ReadConfirm {
        /// The leader's term.
        term: raft::Term,
        /// The leader's confirmation round.
        round: u64,
    },
    /// A follower's answer to [`Msg::ReadConfirm`], with the follower's own term (the leader
    /// counts it only when it equals its own).
    ReadConfirmed {
        /// The follower's current term.
        term: raft::Term,
        /// The round answered.
        round: u64,
    },
}

impl fmt::Display for Msg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Msg::Raft(m) => write!(f, "{m}"),
            Msg::Request { seq, op } => write!(f, "Request{{#{seq},{op}}}"),
            Msg::Done { seq, result } => write!(f, "Done{{#{seq},{result:?}}}"),
            Msg::NotLeader {
                seq,
                leader: Some(l),
            } => write!(f, "NotLeader{{#{seq},try n{l}}}"),
            Msg::NotLeader { seq, leader: None } => write!(f, "NotLeader{{#{seq},no leader}}"),
            Msg::ReadConfirm { term, round } => write!(f, "ReadConfirm{{t:{term},r:{round}}}"),
            Msg::ReadConfirmed { term, round } => {
                write!(f, "ReadConfirmed{{t:{term},r:{round}}}")
            }
        }
    }
}

impl Canon for Msg {
    fn canon(&self, h: &mut Fnv64) {
        match self {
            Msg::Raft(m) => {
                h.u8(0);
                m.canon(h);
            }
            Msg::Request { seq, op } => {
                h.u8(1);
                h.u64(*seq);
                op.canon(h);
            }
            Msg::Done { seq, result } => {
                h.u8(2);
                h.u64(*seq);
                h.str(result);
            }
            Msg::NotLeader { seq, leader } => {
                h.u8(3);
                h.u64(*seq);
                leader.map_or(u64::MAX, u64::from).canon(h);
            }
            Msg::ReadConfirm { term, round } => {
                h.u8(4);
                h.u64(*term);
                h.u64(*round);
            }
            Msg::ReadConfirmed { term, round } => {
                h.u8(5);
                h.u64(*term);
                h.u64(*round);
            }
        }
    }
}

/// Timers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Timer {
    /// A server's Raft timer.
    Raft(raft::Timer),
    /// A client: time to start its next operation.
    Next,
    /// A client: no answer to this attempt of operation `seq`.
    Attempt(Seq, u32),
    /// A client: no server knew a leader; send operation `seq` again.
    Resend(Seq),
}

impl fmt::Display for Timer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Timer::Raft(t) => write!(f, "{t}"),
            Timer::Next => f.write_str("next-op"),
            Timer::Attempt(seq, k) => write!(f, "attempt #{seq}/{k}"),
            Timer::Resend(seq) => write!(f, "resend #{seq}"),
        }
    }
}

impl Canon for Timer {
    fn canon(&self, h: &mut Fnv64) {
        match self {
            Timer::Raft(t) => {
                h.u8(0);
                t.canon(h);
            }
            Timer::Next => h.u8(1),
            Timer::Attempt(seq, k) => {
                h.u8(2);
                h.u64(*seq);
                h.u32(*k);
            }
            Timer::Resend(seq) => {
                h.u8(3);
                h.u64(*seq);
            }
        }
    }
}

/// Trace notes; the client's (`Invoke`, `Return`, `GaveUp`, `Failed`) are also the observer's
/// record, the history the checker reads.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Note {
    /// A Raft note (elections, commits, truncations).
    Raft(raft::Note),
    /// A client invokes operation `seq`.
    Invoke {
        /// Its sequence number.
        seq: Seq,
        /// The operation.
        op: Op,
    },
    /// Operation `seq` returned `result`.
    Return {
        /// Its sequence number.
        seq: Seq,
        /// A get's value (`""` otherwise).
        result: Rc<str>,
    },
    /// The client gave up on operation `seq`: its outcome is unknown (Jepsen's `:info`).
    GaveUp {
        /// Its sequence number.
        seq: Seq,
    },
    /// The client reported operation `seq` as failed (it did not take effect, it claims).
    Failed {
        /// Its sequence number.
        seq: Seq,
    },
    /// A server applied a client's command at a log index.
    Applied {
        /// The log index.
        index: Index,
        /// The client.
        client: NodeId,
        /// Its sequence number.
        seq: Seq,
        /// The answer, or `None` when the machine did not apply it (already applied).
        result: Option<Rc<str>>,
    },
}

impl fmt::Display for Note {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Note::Raft(n) => write!(f, "{n}"),
            Note::Invoke { seq, op } => write!(f, "invoke #{seq} {op}"),
            Note::Return { seq, result } => write!(f, "return #{seq} {result:?}"),
            Note::GaveUp { seq } => write!(f, "gave up on #{seq}: outcome unknown"),
            Note::Failed { seq } => write!(f, "reported #{seq} as failed"),
            Note::Applied {
                index,
                client,
                seq,
                result: Some(r),
            } => write!(f, "applied [{index}] n{client}#{seq} -> {r:?}"),
            Note::Applied {
                index,
                client,
                seq,
                result: None,
            } => write!(f, "skipped [{index}] n{client}#{seq}"),
        }
    }
}

impl Canon for Note {
    fn canon(&self, h: &mut Fnv64) {
        match self {
            Note::Raft(n) => {
                h.u8(0);
                n.canon(h);
            }
            Note::Invoke { seq, op } => {
                h.u8(1);
                h.u64(*seq);
                op.canon(h);
            }
            Note::Return { seq, result } => {
                h.u8(2);
                h.u64(*seq);
                h.str(result);
            }
            Note::GaveUp { seq } => {
                h.u8(3);
                h.u64(*seq);
            }
            Note::Failed { seq } => {
                h.u8(4);
                h.u64(*seq);
            }
            Note::Applied {
                index,
                client,
                seq,
                result,
            } => {
                h.u8(5);
                h.u64(*index);
                client.canon(h);
                h.u64(*seq);
                h.str(result.as_deref().unwrap_or("\u{0}"));
            }
        }
    }
}

/// A client's operation in progress.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Running {
    /// Its sequence number.
    pub seq: Seq,
    /// The operation.
    pub op: Op,
    /// Attempts sent so far (the first is 1).
    pub attempts: u32,
    /// The sequence number the last attempt carried (the reference keeps `seq`).
    pub sent_seq: Seq,
}

/// A client node's state.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClientState {
    /// Operations still to run, in order.
    pub queue: VecDeque<Op>,
    /// The operation in progress.
    pub running: Option<Running>,
    /// The last sequence number used.
    pub seq: Seq,
    /// The server it believes leads.
    pub leader: NodeId,
    /// Operations that returned.
    pub done: u32,
    /// Operations given up on.
    pub gave_up: u32,
}

/// A server's state: its Raft node, the state machine it applies the log to, and the clients
/// waiting for an answer.
#[derive(Clone, Debug)]
pub struct ServerState {
    /// Raft's state (Figure 2).
    pub raft: raft::NodeState,
    /// The state machine.
    pub machine: Machine,
    /// How many of Raft's applied entries the machine has been handed.
    pub handed: usize,
    /// Requests this server appended as leader and has not answered: client → sequence number.
    pub waiting: BTreeMap<NodeId, Seq>,
    /// A de-duplication table kept outside the replicated state (the known-wrong
    /// [`super::ServerRule::VolatileDedup`]): client → its last answered request.
    pub volatile_sessions: BTreeMap<NodeId, Session>,
    /// Leaders: when (local clock) each server last acknowledged an AppendEntries of this term
    /// (for the lease read).
    pub acked_at: Vec<u64>,
    /// Leaders serving reads by read index: the gets waiting for their confirmation and their
    /// read index, in arrival order.
    pub reads: Vec<PendingRead>,
    /// The last confirmation round this leader started (0: none), and when (local clock).
    pub round: (u64, u64),
    /// Per server, the highest round it confirmed in this leader's term.
    pub confirmed: Vec<u64>,
}

/// A get a leader serves by read index (Ongaro's thesis §6.4), waiting until a majority
/// confirmed a round started after its arrival and the machine applied up to its read index.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PendingRead {
    /// The client.
    pub client: NodeId,
    /// Its sequence number.
    pub seq: Seq,
    /// The key read.
    pub key: Rc<str>,
    /// The commit index when the read arrived — or, if no entry of the leader's term had
    /// committed then, when the first one did; `None` until then.
    pub read_index: Option<Index>,
    /// The first confirmation round that counts for it (started at or after its arrival).
    pub from_round: u64,
}

/// A node's state.
#[derive(Clone, Debug)]
pub enum State {
    /// A Raft server with the store.
    Server(Box<ServerState>),
    /// A client.
    Client(ClientState),
}
