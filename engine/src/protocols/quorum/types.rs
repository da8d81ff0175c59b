//! The quorum store's data: versions, stored writes, messages, timers, notes, client requests
//! and replies, and each node's state.

use std::collections::VecDeque;
use std::fmt;

use super::KEYS;
use crate::hash::{Canon, Fnv64};
use crate::sim::protocol::NodeId;

/// A write's version: `(counter, writer)`. A write's counter is one more than the highest its
/// writer found at R homes, and the writer's id breaks ties between concurrent writes. The
/// order is the tuple's: counter first, then writer. Version `0.0` is the initial "nothing
/// written".
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Default)]
pub struct Version {
    /// Writes seen before this one, plus one.
    pub counter: u64,
    /// The client that wrote it.
    pub writer: NodeId,
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.counter, self.writer)
    }
}

impl Canon for Version {
    fn canon(&self, h: &mut Fnv64) {
        self.counter.canon(h);
        self.writer.canon(h);
    }
}

/// A write as a replica stores it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Stored {
    /// Its version.
    pub version: Version,
    /// The value (0: nothing written).
    pub value: u64,
    /// The wall clock of the replica that stored it, when it stored it (skewed: not an order).
    pub written_at: u64,
}

impl Stored {
    /// The same write, as stored by a replica whose clock reads `clock`.
    pub fn stored_at(self, clock: u64) -> Stored {
        Stored {
            written_at: clock,
            ..self
        }
    }
}

impl Canon for Stored {
    fn canon(&self, h: &mut Fnv64) {
        self.version.canon(h);
        self.value.canon(h);
        self.written_at.canon(h);
    }
}

/// A key, by its index in [`KEYS`].
pub type Key = usize;

fn key_name(key: Key) -> &'static str {
    KEYS.get(key).copied().unwrap_or("?")
}

/// Messages.
#[derive(Clone, Debug)]
pub enum Msg {
    /// Client → replica: what do you hold of `key`? (A read, or a write's first phase.)
    Get {
        /// The client's operation.
        op: u64,
        /// The key.
        key: Key,
    },
    /// Replica → client: a home's copy, or (`hinted`) the newest hint a fallback keeps.
    Value {
        /// The client's operation.
        op: u64,
        /// The key.
        key: Key,
        /// What it holds.
        stored: Stored,
        /// Whether it is a fallback answering with a hint.
        hinted: bool,
    },
    /// Client or fallback → home: store this write if it is newer than yours.
    Put {
        /// The key.
        key: Key,
        /// The write.
        stored: Stored,
    },
    /// Home → sender: I hold `version` of `key` or newer.
    PutOk {
        /// The key.
        key: Key,
        /// The write's version.
        version: Version,
    },
    /// Client → fallback: keep this write for `home` and hand it over later.
    Hint {
        /// The key.
        key: Key,
        /// The home it is meant for.
        home: NodeId,
        /// The write.
        stored: Stored,
    },
    /// Fallback → client: I keep it.
    HintOk {
        /// The key.
        key: Key,
        /// The home it is meant for.
        home: NodeId,
        /// The write's version.
        version: Version,
    },
    /// Client → home: replace what you hold with `stored` if you still hold `expect` (with no
    /// `expect`, whatever you hold).
    Repair {
        /// The key.
        key: Key,
        /// The read's answer.
        stored: Stored,
        /// The version the home replied with, if it replied.
        expect: Option<Version>,
    },
    /// Home → client: after the repair of `version`, I hold `held`.
    Repaired {
        /// The key.
        key: Key,
        /// The repair's version.
        version: Version,
        /// What the home holds now.
        held: Version,
    },
}

impl fmt::Display for Msg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Msg::Get { op, key } => write!(f, "Get{{op:{op} key:{}}}", key_name(*key)),
            Msg::Value {
                op,
                key,
                stored,
                hinted,
            } => write!(
                f,
                "Value{{op:{op} key:{} version:{} value:{} written_at:{}{}}}",
                key_name(*key),
                stored.version,
                stored.value,
                stored.written_at,
                if *hinted { " hinted" } else { "" }
            ),
            Msg::Put { key, stored } => write!(
                f,
                "Put{{key:{} version:{} value:{}}}",
                key_name(*key),
                stored.version,
                stored.value
            ),
            Msg::PutOk { key, version } => {
                write!(f, "PutOk{{key:{} version:{version}}}", key_name(*key))
            }
            Msg::Hint { key, home, stored } => write!(
                f,
                "Hint{{key:{} for:n{home} version:{} value:{}}}",
                key_name(*key),
                stored.version,
                stored.value
            ),
            Msg::HintOk { key, home, version } => write!(
                f,
                "HintOk{{key:{} for:n{home} version:{version}}}",
                key_name(*key)
            ),
            Msg::Repair {
                key,
                stored,
                expect,
            } => write!(
                f,
                "Repair{{key:{} version:{} value:{} if:{}}}",
                key_name(*key),
                stored.version,
                stored.value,
                expect.map_or("anything".to_string(), |v| v.to_string())
            ),
            Msg::Repaired { key, version, held } => write!(
                f,
                "Repaired{{key:{} version:{version} holds:{held}}}",
                key_name(*key)
            ),
        }
    }
}

impl Canon for Msg {
    fn canon(&self, h: &mut Fnv64) {
        match self {
            Msg::Get { op, key } => {
                h.u8(0);
                op.canon(h);
                (*key as u64).canon(h);
            }
            Msg::Value {
                op,
                key,
                stored,
                hinted,
            } => {
                h.u8(1);
                op.canon(h);
                (*key as u64).canon(h);
                stored.canon(h);
                hinted.canon(h);
            }
            Msg::Put { key, stored } => {
                h.u8(2);
                (*key as u64).canon(h);
                stored.canon(h);
            }
            Msg::PutOk { key, version } => {
                h.u8(3);
                (*key as u64).canon(h);
                version.canon(h);
            }
            Msg::Hint { key, home, stored } => {
                h.u8(4);
                (*key as u64).canon(h);
                home.canon(h);
                stored.canon(h);
            }
            Msg::HintOk { key, home, version } => {
                h.u8(5);
                (*key as u64).canon(h);
                home.canon(h);
                version.canon(h);
            }
            Msg::Repair {
                key,
                stored,
                expect,
            } => {
                h.u8(6);
                (*key as u64).canon(h);
                stored.canon(h);
                expect.is_some().canon(h);
                expect.unwrap_or_default().canon(h);
            }
            Msg::Repaired { key, version, held } => {
                h.u8(7);
                (*key as u64).canon(h);
                version.canon(h);
                held.canon(h);
            }
        }
    }
}

/// Timers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Timer {
    /// A client resends what is unanswered.
    Retry,
    /// A fallback tries to hand its hints over.
    Handoff,
}

impl fmt::Display for Timer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Timer::Retry => "retry",
            Timer::Handoff => "handoff",
        })
    }
}

impl Canon for Timer {
    fn canon(&self, h: &mut Fnv64) {
        h.u8(*self as u8);
    }
}

/// How a home came to replace what it held.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cause {
    /// A client's write, or a fallback's handoff.
    Put,
    /// A read repair.
    Repair,
}

/// Notes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Note {
    /// A home replaced version `from` of `key` with `to`.
    Stored {
        /// The key.
        key: Key,
        /// What it held.
        from: Version,
        /// What it holds now.
        to: Version,
        /// Why.
        cause: Cause,
    },
    /// A client's read decided on `version` and repairs these homes.
    Decided {
        /// The key.
        key: Key,
        /// The answer.
        version: Version,
        /// The homes repaired.
        repairs: Vec<NodeId>,
    },
    /// A client gave a fallback a write meant for a home.
    Hinted {
        /// The key.
        key: Key,
        /// The write's version.
        version: Version,
        /// The home it is meant for.
        home: NodeId,
        /// The fallback.
        to: NodeId,
    },
}

impl fmt::Display for Note {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Note::Stored {
                key,
                from,
                to,
                cause,
            } => write!(
                f,
                "{} {} {from} → {to}{}",
                match cause {
                    Cause::Put => "stores",
                    Cause::Repair => "repaired:",
                },
                key_name(*key),
                if to < from { " (older!)" } else { "" }
            ),
            Note::Decided {
                key,
                version,
                repairs,
            } => {
                let list: Vec<String> = repairs.iter().map(|n| format!("n{n}")).collect();
                write!(
                    f,
                    "read of {} decides {version}, repairs [{}]",
                    key_name(*key),
                    list.join(" ")
                )
            }
            Note::Hinted {
                key,
                version,
                home,
                to,
            } => write!(
                f,
                "hands {} {version} for n{home} to fallback n{to}",
                key_name(*key)
            ),
        }
    }
}

impl Canon for Note {
    fn canon(&self, h: &mut Fnv64) {
        match self {
            Note::Stored {
                key,
                from,
                to,
                cause,
            } => {
                h.u8(0);
                (*key as u64).canon(h);
                from.canon(h);
                to.canon(h);
                h.u8(*cause as u8);
            }
            Note::Decided {
                key,
                version,
                repairs,
            } => {
                h.u8(1);
                (*key as u64).canon(h);
                version.canon(h);
                (repairs.len() as u64).canon(h);
                for r in repairs {
                    r.canon(h);
                }
            }
            Note::Hinted {
                key,
                version,
                home,
                to,
            } => {
                h.u8(2);
                (*key as u64).canon(h);
                version.canon(h);
                home.canon(h);
                to.canon(h);
            }
        }
    }
}

/// A client's request: read a key, or write a value to it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Request {
    /// Read the key.
    Read(Key),
    /// Write this value to the key.
    Write(Key, u64),
}

impl Request {
    /// The key it is about.
    pub fn key(self) -> Key {
        match self {
            Request::Read(k) | Request::Write(k, _) => k,
        }
    }
}

impl fmt::Display for Request {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Request::Read(k) => write!(f, "read {}", key_name(*k)),
            Request::Write(k, v) => write!(f, "write {} = {v}", key_name(*k)),
        }
    }
}

impl Canon for Request {
    fn canon(&self, h: &mut Fnv64) {
        match self {
            Request::Read(k) => {
                h.u8(0);
                (*k as u64).canon(h);
            }
            Request::Write(k, v) => {
                h.u8(1);
                (*k as u64).canon(h);
                v.canon(h);
            }
        }
    }
}

/// A client's operation completed: the version and value read or written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Done {
    /// The client's operation number.
    pub op: u64,
    /// The request.
    pub request: Request,
    /// The version read or written.
    pub version: Version,
    /// The value read or written.
    pub value: u64,
}

impl fmt::Display for Done {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.request {
            Request::Read(k) => write!(
                f,
                "read {} = {} (version {})",
                key_name(k),
                self.value,
                self.version
            ),
            Request::Write(k, _) => write!(
                f,
                "wrote {} = {} (version {}, acknowledged)",
                key_name(k),
                self.value,
                self.version
            ),
        }
    }
}

impl Canon for Done {
    fn canon(&self, h: &mut Fnv64) {
        self.op.canon(h);
        self.request.canon(h);
        self.version.canon(h);
        self.value.canon(h);
    }
}

/// A write a fallback keeps for a home.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Hint {
    /// The key.
    pub key: Key,
    /// The home it is meant for.
    pub home: NodeId,
    /// The write.
    pub stored: Stored,
}

/// What a replica keeps across a crash: everything it holds.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Durable {
    /// Its copy of each key it is a home of (the initial `Stored` for the others).
    pub data: [Stored; KEYS.len()],
    /// The hints it keeps as a fallback.
    pub hints: Vec<Hint>,
}

/// One reply a read has gathered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ReadReply {
    /// The replica that replied.
    pub replica: NodeId,
    /// The key.
    pub key: Key,
    /// What it holds.
    pub stored: Stored,
    /// Whether it is a fallback's hint.
    pub hinted: bool,
}

/// The phase of a client's operation.
#[derive(Clone, Debug)]
pub enum Phase {
    /// A read, gathering replies in arrival order.
    Read(Vec<ReadReply>),
    /// A write's first phase: the homes' versions so far.
    Query(Vec<(NodeId, Version)>),
    /// A write's second phase: the write, and the homes that acknowledged it.
    Put(Stored, Vec<NodeId>),
}

/// A client's operation in progress.
#[derive(Clone, Debug)]
pub struct Current {
    /// Its number.
    pub op: u64,
    /// The request.
    pub request: Request,
    /// Where it is.
    pub phase: Phase,
}

/// Something a client resends until it is answered, after its operation completed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Errand {
    /// A write a home has not acknowledged: sent to the home and, as a hint, to a fallback
    /// (the next one each time).
    Deliver {
        /// The key.
        key: Key,
        /// The home.
        home: NodeId,
        /// The write.
        stored: Stored,
        /// Times sent so far.
        sent: u64,
    },
    /// A read repair.
    Repair {
        /// The key.
        key: Key,
        /// The home.
        home: NodeId,
        /// The read's answer.
        stored: Stored,
        /// The version the home is expected to hold.
        expect: Option<Version>,
    },
}

/// A client's state: it coordinates its own operations, one at a time.
#[derive(Clone, Debug, Default)]
pub struct Client {
    /// The operation in progress.
    pub current: Option<Current>,
    /// Requests waiting their turn.
    pub queue: VecDeque<Request>,
    /// Operations started so far.
    pub ops: u64,
    /// Deliveries and repairs still unanswered, oldest first.
    pub outbox: Vec<Errand>,
}

/// A node's state.
#[derive(Clone, Debug)]
pub enum State {
    /// n0..n4: what it holds (kept durable as it changes).
    Replica(Durable),
    /// n5, n6.
    Client(Client),
}
