//! The session-token store's data: versions, messages, timers, notes, client requests and
//! replies, and each node's state.

use std::collections::VecDeque;
use std::fmt;

use rhai::Dynamic;

use crate::hash::{Canon, Fnv64};
use crate::script::convert::shown;
use crate::sim::protocol::NodeId;

/// A write's version: `epoch * SEQ_PER_EPOCH + seq`, where `seq` counts the epoch's writes
/// from 1. Versions only grow: a later epoch's writes outrank every earlier epoch's, and each
/// epoch has one leader, so a version names at most one write.
pub type Version = u64;

/// Writes per epoch a version can number (`seq` stays below this; a leader whose epoch is
/// full accepts no more writes).
pub const SEQ_PER_EPOCH: u64 = 1_000;

/// The epoch of a version.
pub fn epoch_of(version: Version) -> u64 {
    version / SEQ_PER_EPOCH
}

/// A session token: whatever the learner's functions make of it (an integer, a map, …),
/// carried by the client and sent with every request.
#[derive(Clone, Debug)]
pub struct Token(pub Dynamic);

impl Token {
    /// The token a session starts with: `0`.
    pub fn initial() -> Token {
        Token(Dynamic::from_int(0))
    }
}

impl fmt::Display for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&shown(&self.0))
    }
}

impl Canon for Token {
    fn canon(&self, h: &mut Fnv64) {
        // Rhai maps are ordered, so a value's printed form is canonical.
        h.str(&shown(&self.0));
    }
}

/// What a replica holds: the register's value and the write it came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Held {
    /// The version of the write (0: the initial value, never written).
    pub version: Version,
    /// The value (0 initially).
    pub value: u64,
    /// The leader's wall clock when it accepted the write (skewed: not an order).
    pub written_at: u64,
}

impl Canon for Held {
    fn canon(&self, h: &mut Fnv64) {
        self.version.canon(h);
        self.value.canon(h);
        self.written_at.canon(h);
    }
}

/// A replica's answer to a client: what it served and the replica's state then.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Served {
    /// The client's operation.
    pub op: u64,
    /// The write read, or the write just made.
    pub held: Held,
    /// The replica's wall clock when it answered.
    pub clock: u64,
}

impl Canon for Served {
    fn canon(&self, h: &mut Fnv64) {
        self.op.canon(h);
        self.held.canon(h);
        self.clock.canon(h);
    }
}

/// Messages.
#[derive(Clone, Debug)]
pub enum Msg {
    /// Client → replica: read the register for operation `op`.
    Read {
        /// The client's operation number.
        op: u64,
        /// The session's token.
        token: Token,
    },
    /// Client → replica: write `value` for operation `op`.
    Write {
        /// The client's operation number.
        op: u64,
        /// The session's token.
        token: Token,
        /// The value (unique in a run).
        value: u64,
    },
    /// Replica → client: a read's answer.
    ReadOk(Served),
    /// Leader → client: the write is accepted with this version.
    WriteOk(Served),
    /// Replica → client: not the leader; `leader` is who it thinks leads.
    Redirect {
        /// The client's operation number.
        op: u64,
        /// The replica it thinks leads.
        leader: NodeId,
    },
    /// Replica → replica: my epoch and what I hold. The leader sends it after every write and
    /// as its heartbeat; a replica that holds something newer, or knows a later epoch, answers
    /// with its own (anti-entropy: the newest version wins everywhere).
    Sync {
        /// The sender's epoch.
        epoch: u64,
        /// What it holds.
        held: Held,
    },
}

impl fmt::Display for Msg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Msg::Read { op, token } => write!(f, "Read{{op:{op} token:{token}}}"),
            Msg::Write { op, token, value } => {
                write!(f, "Write{{op:{op} value:{value} token:{token}}}")
            }
            Msg::ReadOk(s) => write!(
                f,
                "ReadOk{{op:{} value:{} version:{} written_at:{} clock:{}}}",
                s.op, s.held.value, s.held.version, s.held.written_at, s.clock
            ),
            Msg::WriteOk(s) => write!(
                f,
                "WriteOk{{op:{} value:{} version:{} written_at:{} clock:{}}}",
                s.op, s.held.value, s.held.version, s.held.written_at, s.clock
            ),
            Msg::Redirect { op, leader } => write!(f, "Redirect{{op:{op} leader:n{leader}}}"),
            Msg::Sync { epoch, held } => write!(
                f,
                "Sync{{epoch:{epoch} version:{} value:{}}}",
                held.version, held.value
            ),
        }
    }
}

impl Canon for Msg {
    fn canon(&self, h: &mut Fnv64) {
        match self {
            Msg::Read { op, token } => {
                h.u8(0);
                op.canon(h);
                token.canon(h);
            }
            Msg::Write { op, token, value } => {
                h.u8(1);
                op.canon(h);
                token.canon(h);
                value.canon(h);
            }
            Msg::ReadOk(s) => {
                h.u8(2);
                s.canon(h);
            }
            Msg::WriteOk(s) => {
                h.u8(3);
                s.canon(h);
            }
            Msg::Redirect { op, leader } => {
                h.u8(4);
                op.canon(h);
                leader.canon(h);
            }
            Msg::Sync { epoch, held } => {
                h.u8(5);
                epoch.canon(h);
                held.canon(h);
            }
        }
    }
}

/// Timers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Timer {
    /// A leader's heartbeat.
    Heartbeat,
    /// A follower's check for a silent leader.
    Check,
    /// A client gives up on its current attempt and tries again.
    Retry,
}

impl fmt::Display for Timer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Timer::Heartbeat => "heartbeat",
            Timer::Check => "check",
            Timer::Retry => "retry",
        })
    }
}

impl Canon for Timer {
    fn canon(&self, h: &mut Fnv64) {
        h.u8(*self as u8);
    }
}

/// Notes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Note {
    /// A replica heard nothing from its leader and took over with this epoch.
    TakeOver(u64),
    /// A leader learned of a later epoch and follows it.
    StepDown(u64),
    /// The leader accepted a write with this version.
    Accepted(Version, u64),
}

impl fmt::Display for Note {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Note::TakeOver(e) => write!(f, "takes over as leader of epoch {e}"),
            Note::StepDown(e) => write!(f, "steps down: epoch {e} has another leader"),
            Note::Accepted(v, x) => write!(f, "accepts write {x} as version {v}"),
        }
    }
}

impl Canon for Note {
    fn canon(&self, h: &mut Fnv64) {
        match self {
            Note::TakeOver(e) => {
                h.u8(0);
                e.canon(h);
            }
            Note::StepDown(e) => {
                h.u8(1);
                e.canon(h);
            }
            Note::Accepted(v, x) => {
                h.u8(2);
                v.canon(h);
                x.canon(h);
            }
        }
    }
}

/// A client's request: read the register, or write a value (unique in a run).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Request {
    /// Read.
    Read,
    /// Write this value.
    Write(u64),
}

impl fmt::Display for Request {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Request::Read => f.write_str("read"),
            Request::Write(v) => write!(f, "write {v}"),
        }
    }
}

impl Canon for Request {
    fn canon(&self, h: &mut Fnv64) {
        match self {
            Request::Read => h.u8(0),
            Request::Write(v) => {
                h.u8(1);
                v.canon(h);
            }
        }
    }
}

/// A client's operation completed: what it saw, and from which replica.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Done {
    /// The request.
    pub request: Request,
    /// The version read or written.
    pub version: Version,
    /// The value read or written.
    pub value: u64,
    /// The replica that answered.
    pub replica: NodeId,
}

impl fmt::Display for Done {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.request {
            Request::Read => write!(
                f,
                "read {} (version {}) from n{}",
                self.value, self.version, self.replica
            ),
            Request::Write(_) => write!(
                f,
                "wrote {} (version {}) at n{}",
                self.value, self.version, self.replica
            ),
        }
    }
}

impl Canon for Done {
    fn canon(&self, h: &mut Fnv64) {
        self.request.canon(h);
        self.version.canon(h);
        self.value.canon(h);
        self.replica.canon(h);
    }
}

/// A replica's role.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// Accepts writes for its epoch.
    Leader,
    /// Follows the epoch's leader.
    Follower,
}

/// What a replica keeps across a crash.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Durable {
    /// The latest epoch it knows.
    pub epoch: u64,
    /// What it holds.
    pub held: Held,
}

/// A request a replica could not serve yet.
#[derive(Clone, Debug)]
pub struct Pending {
    /// The client.
    pub client: NodeId,
    /// Its operation number.
    pub op: u64,
    /// The session's token.
    pub token: Token,
    /// `None` for a read, the value for a write.
    pub write: Option<u64>,
}

/// A replica's state.
#[derive(Clone, Debug)]
pub struct Replica {
    /// What survives a crash.
    pub durable: Durable,
    /// Leader or follower.
    pub role: Role,
    /// Ticks since it last heard its epoch's leader (counted by its check timer).
    pub silent_ticks: u64,
    /// Requests waiting for the replica to catch up, oldest first.
    pub pending: Vec<Pending>,
    /// The last write accepted per client (client, op, version), so that a retry of an
    /// accepted write is answered again instead of applied twice.
    pub accepted: Vec<(NodeId, u64, Held)>,
}

/// An operation a client is working on.
#[derive(Clone, Debug)]
pub struct Current {
    /// Its number.
    pub op: u64,
    /// What it is.
    pub request: Request,
    /// Attempts so far, minus one.
    pub attempt: u64,
}

/// A client's state: its session.
#[derive(Clone, Debug)]
pub struct Client {
    /// The replica it reads from when nothing is wrong.
    pub home: NodeId,
    /// The session token.
    pub token: Token,
    /// The replica it believes leads (writes go there).
    pub leader: NodeId,
    /// The replica a write last timed out on: a redirect back to it is not followed.
    pub avoid: Option<NodeId>,
    /// The operation in progress.
    pub current: Option<Current>,
    /// Requests waiting their turn.
    pub queue: VecDeque<Request>,
    /// Operations started so far.
    pub ops: u64,
}

/// A node's state.
#[derive(Clone, Debug)]
pub enum State {
    /// n0..n2.
    Replica(Replica),
    /// The clients.
    Client(Client),
}
