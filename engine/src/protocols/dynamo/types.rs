//! The leaderless store's data: keys and versions, messages, timers, notes, client requests,
//! and each node's state.

use std::fmt;

use super::merkle::Trail;
use crate::hash::{Canon, Fnv64};
use crate::sim::protocol::NodeId;

/// A key, `1..=KEYS` (the grid's column numbers).
pub type Key = u8;

/// A write's version: a Lamport timestamp (Lamport 1978) and the client that made it. The
/// highest version wins everywhere (last writer wins); `counter` 0 is "never written".
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct Version {
    /// One past the highest counter the writing client had seen.
    pub counter: u64,
    /// The writing client.
    pub client: NodeId,
}

impl Version {
    /// Whether a write made it (`false` for the initial "never written").
    pub fn is_written(self) -> bool {
        self.counter > 0
    }

    /// Short form for a grid cell: `3A`, or `·` for never written.
    pub fn short(self) -> String {
        if self.is_written() {
            format!("{}{}", self.counter, client_name(self.client))
        } else {
            "·".to_string()
        }
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_written() {
            write!(f, "v{}{}", self.counter, client_name(self.client))
        } else {
            f.write_str("v0")
        }
    }
}

impl Canon for Version {
    fn canon(&self, h: &mut Fnv64) {
        h.u64(self.counter);
        self.client.canon(h);
    }
}

/// A client's letter: the first client is A, the next B, …
pub fn client_name(node: NodeId) -> char {
    char::from(b'A' + (node.saturating_sub(super::STORAGE) % 26) as u8)
}

/// A write a fallback node holds for a home node it stands in for (hinted handoff).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Hint {
    /// The home node the write belongs to.
    pub for_node: NodeId,
    /// The key.
    pub key: Key,
    /// The write's version.
    pub version: Version,
}

/// Messages.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Msg {
    /// Coordinator → replica: store this write (`hint_for`: as a hint for that home node).
    Put {
        /// The coordinator's operation number.
        op: u32,
        /// The key.
        key: Key,
        /// The write's version.
        version: Version,
        /// The home node a fallback stands in for (sloppy quorum), if any.
        hint_for: Option<NodeId>,
    },
    /// Replica → coordinator: stored; `holds` is what the replica now holds for the key.
    PutAck {
        /// The operation.
        op: u32,
        /// The version the replica holds now (the write's, or a newer one).
        holds: Version,
    },
    /// Coordinator → replica: what do you hold for `key`?
    Get {
        /// The coordinator's operation number.
        op: u32,
        /// The key.
        key: Key,
    },
    /// Replica → coordinator: the version held for the key.
    GetReply {
        /// The operation.
        op: u32,
        /// The version held (`v0`: none).
        version: Version,
    },
    /// Coordinator → stale replica (read repair): the newest version a read saw.
    Repair {
        /// The key.
        key: Key,
        /// The newest version.
        version: Version,
    },
    /// Hint holder → home node: the write held for you.
    Handoff {
        /// The key.
        key: Key,
        /// The write's version.
        version: Version,
    },
    /// Home node → hint holder: stored; the hint may go.
    HandoffAck {
        /// The key.
        key: Key,
        /// The version stored.
        version: Version,
    },
    /// Anti-entropy: the sender's Merkle hashes at `level` for these ranges.
    Tree {
        /// The tree level, 0 = root.
        level: u8,
        /// (range index at that level, hash).
        hashes: Vec<(u8, u64)>,
        /// The exchange so far.
        trail: Trail,
    },
    /// Anti-entropy: the sender's versions of the keys in the ranges that differ.
    Keys {
        /// (key, version held).
        entries: Vec<(Key, Version)>,
        /// The answer to a `Keys` (the exchange ends when it arrives).
        answer: bool,
        /// The exchange so far.
        trail: Trail,
    },
    /// Staleness measurement, writer → reader: pair `pair` wrote `version` of `key`; read it
    /// after `wait_ticks`.
    Go {
        /// The pair's number.
        pair: u32,
        /// The key written.
        key: Key,
        /// The version written.
        version: Version,
        /// Ticks to wait before reading.
        wait_ticks: u64,
    },
    /// Staleness measurement, reader → writer: pair `pair` is read; start the next.
    Done {
        /// The pair's number.
        pair: u32,
    },
}

fn show_hint(hint_for: Option<NodeId>) -> String {
    hint_for.map_or_else(String::new, |h| format!(",hint for n{h}"))
}

impl fmt::Display for Msg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Msg::Put {
                op,
                key,
                version,
                hint_for,
            } => write!(f, "Put{{op:{op},k{key},{version}{}}}", show_hint(*hint_for)),
            Msg::PutAck { op, holds } => write!(f, "PutAck{{op:{op},{holds}}}"),
            Msg::Get { op, key } => write!(f, "Get{{op:{op},k{key}}}"),
            Msg::GetReply { op, version } => write!(f, "GetReply{{op:{op},{version}}}"),
            Msg::Repair { key, version } => write!(f, "Repair{{k{key},{version}}}"),
            Msg::Handoff { key, version } => write!(f, "Handoff{{k{key},{version}}}"),
            Msg::HandoffAck { key, version } => write!(f, "HandoffAck{{k{key},{version}}}"),
            Msg::Tree { level, hashes, .. } => {
                write!(f, "Tree{{level:{level},{} hashes}}", hashes.len())
            }
            Msg::Keys {
                entries, answer, ..
            } => {
                let keys: Vec<String> = entries.iter().map(|(k, v)| format!("k{k}:{v}")).collect();
                let kind = if *answer { "KeysBack" } else { "Keys" };
                write!(f, "{kind}{{{}}}", keys.join(","))
            }
            Msg::Go {
                pair,
                key,
                version,
                wait_ticks,
            } => write!(f, "Go{{pair:{pair},k{key},{version},wait:{wait_ticks}}}"),
            Msg::Done { pair } => write!(f, "Done{{pair:{pair}}}"),
        }
    }
}

impl Canon for Msg {
    fn canon(&self, h: &mut Fnv64) {
        match self {
            Msg::Put {
                op,
                key,
                version,
                hint_for,
            } => {
                h.u8(0);
                h.u32(*op);
                h.u8(*key);
                version.canon(h);
                h.u64(hint_for.map_or(u64::MAX, u64::from));
            }
            Msg::PutAck { op, holds } => {
                h.u8(1);
                h.u32(*op);
                holds.canon(h);
            }
            Msg::Get { op, key } => {
                h.u8(2);
                h.u32(*op);
                h.u8(*key);
            }
            Msg::GetReply { op, version } => {
                h.u8(3);
                h.u32(*op);
                version.canon(h);
            }
            Msg::Repair { key, version } => {
                h.u8(4);
                h.u8(*key);
                version.canon(h);
            }
            Msg::Handoff { key, version } => {
                h.u8(5);
                h.u8(*key);
                version.canon(h);
            }
            Msg::HandoffAck { key, version } => {
                h.u8(6);
                h.u8(*key);
                version.canon(h);
            }
            Msg::Tree {
                level,
                hashes,
                trail,
            } => {
                h.u8(7);
                h.u8(*level);
                h.u64(hashes.len() as u64);
                for (i, x) in hashes {
                    h.u8(*i);
                    h.u64(*x);
                }
                trail.canon(h);
            }
            Msg::Keys {
                entries,
                answer,
                trail,
            } => {
                h.u8(8);
                h.u64(entries.len() as u64);
                for (k, v) in entries {
                    h.u8(*k);
                    v.canon(h);
                }
                answer.canon(h);
                trail.canon(h);
            }
            Msg::Go {
                pair,
                key,
                version,
                wait_ticks,
            } => {
                h.u8(9);
                h.u32(*pair);
                h.u8(*key);
                version.canon(h);
                h.u64(*wait_ticks);
            }
            Msg::Done { pair } => {
                h.u8(10);
                h.u32(*pair);
            }
        }
    }
}

/// Timers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Timer {
    /// Coordinator: operation `op` has waited a request timeout; retry, or go to fallbacks.
    Retry(u32),
    /// Coordinator: give up on operation `op`.
    GiveUp(u32),
    /// Coordinator: stop waiting for late replies to the finished read `op` (read repair).
    Linger(u32),
    /// Storage node: start an anti-entropy round.
    AntiEntropy,
    /// Storage node: offer the hints held to their home nodes.
    Handoff,
    /// Staleness measurement, writer: start the next pair.
    NextPair,
    /// Staleness measurement, reader: read pair `pair` now.
    Read(u32),
}

impl fmt::Display for Timer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Timer::Retry(op) => write!(f, "retry(op:{op})"),
            Timer::GiveUp(op) => write!(f, "give-up(op:{op})"),
            Timer::Linger(op) => write!(f, "linger(op:{op})"),
            Timer::AntiEntropy => f.write_str("anti-entropy"),
            Timer::Handoff => f.write_str("handoff"),
            Timer::NextPair => f.write_str("next-pair"),
            Timer::Read(pair) => write!(f, "read(pair:{pair})"),
        }
    }
}

impl Canon for Timer {
    fn canon(&self, h: &mut Fnv64) {
        match self {
            Timer::Retry(op) => {
                h.u8(0);
                h.u32(*op);
            }
            Timer::GiveUp(op) => {
                h.u8(1);
                h.u32(*op);
            }
            Timer::Linger(op) => {
                h.u8(2);
                h.u32(*op);
            }
            Timer::AntiEntropy => h.u8(3),
            Timer::Handoff => h.u8(4),
            Timer::NextPair => h.u8(6),
            Timer::Read(pair) => {
                h.u8(5);
                h.u32(*pair);
            }
        }
    }
}

/// A client request: `put-k3` or `get-k3`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Request {
    /// Write a new version of the key.
    Put(Key),
    /// Read the key.
    Get(Key),
}

impl fmt::Display for Request {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Request::Put(k) => write!(f, "put-k{k}"),
            Request::Get(k) => write!(f, "get-k{k}"),
        }
    }
}

impl Canon for Request {
    fn canon(&self, h: &mut Fnv64) {
        match self {
            Request::Put(k) => {
                h.u8(0);
                h.u8(*k);
            }
            Request::Get(k) => {
                h.u8(1);
                h.u8(*k);
            }
        }
    }
}

/// A node that answered a write: itself, and the home node it stood in for, if it was a
/// fallback.
pub type Acker = (NodeId, Option<NodeId>);

/// Notes: the observer's record of client operations and of the store's repairs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Note {
    /// A coordinator started a put.
    PutStart {
        /// The operation.
        op: u32,
        /// The key.
        key: Key,
        /// The version it writes.
        version: Version,
    },
    /// A put was acknowledged by W nodes.
    PutOk {
        /// The operation.
        op: u32,
        /// The key.
        key: Key,
        /// The version written.
        version: Version,
        /// The nodes whose acknowledgements made the quorum.
        acks: Vec<Acker>,
    },
    /// A coordinator started a get.
    GetStart {
        /// The operation.
        op: u32,
        /// The key.
        key: Key,
    },
    /// A get returned the newest of R replies.
    GetOk {
        /// The operation.
        op: u32,
        /// The key.
        key: Key,
        /// The version returned.
        version: Version,
        /// The nodes whose replies made the quorum.
        from: Vec<NodeId>,
    },
    /// The coordinator gave up on an operation: too few nodes answered.
    GaveUp {
        /// The operation.
        op: u32,
        /// The key.
        key: Key,
    },
    /// A fallback node stored a hinted write.
    Hinted {
        /// The key.
        key: Key,
        /// The version.
        version: Version,
        /// The home node it is held for.
        for_node: NodeId,
    },
    /// A hint holder's write reached its home node.
    HandedOff {
        /// The key.
        key: Key,
        /// The version.
        version: Version,
        /// The home node.
        to: NodeId,
    },
    /// A coordinator sent a stale replica the newest version a read saw.
    RepairSent {
        /// The key.
        key: Key,
        /// The newest version.
        version: Version,
        /// The stale replica.
        to: NodeId,
    },
    /// An anti-entropy exchange ended.
    Exchanged(Trail),
}

fn show_acks(acks: &[Acker]) -> String {
    let names: Vec<String> = acks
        .iter()
        .map(|(n, h)| match h {
            Some(h) => format!("n{n} (hint for n{h})"),
            None => format!("n{n}"),
        })
        .collect();
    names.join(", ")
}

fn show_nodes(nodes: &[NodeId]) -> String {
    let names: Vec<String> = nodes.iter().map(|n| format!("n{n}")).collect();
    names.join(", ")
}

impl fmt::Display for Note {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Note::PutStart { op, key, version } => write!(f, "put op {op}: k{key} = {version}"),
            Note::PutOk {
                op,
                key,
                version,
                acks,
            } => write!(
                f,
                "put op {op} ok: k{key} = {version}, acked by {}",
                show_acks(acks)
            ),
            Note::GetStart { op, key } => write!(f, "get op {op}: k{key}"),
            Note::GetOk {
                op,
                key,
                version,
                from,
            } => write!(
                f,
                "get op {op} ok: k{key} = {version}, from {}",
                show_nodes(from)
            ),
            Note::GaveUp { op, key } => write!(f, "op {op} on k{key}: too few answers, gave up"),
            Note::Hinted {
                key,
                version,
                for_node,
            } => write!(f, "hint k{key} = {version} for n{for_node}"),
            Note::HandedOff { key, version, to } => {
                write!(f, "handed off k{key} = {version} to n{to}")
            }
            Note::RepairSent { key, version, to } => {
                write!(f, "read repair: k{key} = {version} to n{to}")
            }
            Note::Exchanged(trail) => write!(f, "anti-entropy {trail}"),
        }
    }
}

impl Canon for Note {
    fn canon(&self, h: &mut Fnv64) {
        match self {
            Note::PutStart { op, key, version } => {
                h.u8(0);
                h.u32(*op);
                h.u8(*key);
                version.canon(h);
            }
            Note::PutOk {
                op,
                key,
                version,
                acks,
            } => {
                h.u8(1);
                h.u32(*op);
                h.u8(*key);
                version.canon(h);
                h.u64(acks.len() as u64);
                for (n, hint) in acks {
                    n.canon(h);
                    h.u64(hint.map_or(u64::MAX, u64::from));
                }
            }
            Note::GetStart { op, key } => {
                h.u8(2);
                h.u32(*op);
                h.u8(*key);
            }
            Note::GetOk {
                op,
                key,
                version,
                from,
            } => {
                h.u8(3);
                h.u32(*op);
                h.u8(*key);
                version.canon(h);
                h.u64(from.len() as u64);
                for n in from {
                    n.canon(h);
                }
            }
            Note::GaveUp { op, key } => {
                h.u8(4);
                h.u32(*op);
                h.u8(*key);
            }
            Note::Hinted {
                key,
                version,
                for_node,
            } => {
                h.u8(5);
                h.u8(*key);
                version.canon(h);
                for_node.canon(h);
            }
            Note::HandedOff { key, version, to } => {
                h.u8(6);
                h.u8(*key);
                version.canon(h);
                to.canon(h);
            }
            Note::RepairSent { key, version, to } => {
                h.u8(7);
                h.u8(*key);
                version.canon(h);
                to.canon(h);
            }
            Note::Exchanged(trail) => {
                h.u8(8);
                trail.canon(h);
            }
        }
    }
}

/// Where a coordinator sent one of an operation's requests.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Target {
    /// The node asked.
    pub node: NodeId,
    /// The home node it stands for (itself, unless it is a fallback).
    pub home: NodeId,
    /// Whether it has answered.
    pub answered: bool,
}

/// What an operation does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OpKind {
    /// Write this version.
    Put(Version),
    /// Read.
    Get,
}

/// An operation a coordinator runs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Op {
    /// Its number.
    pub id: u32,
    /// The key.
    pub key: Key,
    /// What it does.
    pub kind: OpKind,
    /// The nodes asked so far.
    pub targets: Vec<Target>,
    /// A get's replies so far: (node, version).
    pub replies: Vec<(NodeId, Version)>,
    /// Answers it needs (W or R).
    pub needed: usize,
    /// Whether it has returned (a finished get lingers for late replies to repair).
    pub done: bool,
}

/// The staleness measurement's part of a client: the writer's and the reader's progress.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PairState {
    /// Writer: pairs started.
    pub started: u32,
    /// Reader: the pair being read, with the version its read must return to be fresh.
    pub reading: Option<(u32, Key, Version)>,
    /// Reader: pairs read.
    pub read: u32,
    /// Reader: reads that returned the pair's write or a newer one.
    pub fresh: u32,
}

/// A client's state: it coordinates its own requests.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ClientState {
    /// The highest version counter seen (Lamport clock).
    pub lamport: u64,
    /// Operations started so far (persisted: a restarted client never reuses a number).
    pub next_op: u32,
    /// Operations running or lingering.
    pub ops: Vec<Op>,
    /// The staleness measurement's progress.
    pub pairs: PairState,
}

/// A storage node's state.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StorageState {
    /// Per key (index `key - 1`), the newest version stored.
    pub store: Vec<Version>,
    /// Hinted writes held for other nodes.
    pub hints: Vec<Hint>,
    /// Anti-entropy rounds started (picks the next peer).
    pub rounds: u32,
    /// Whether the handoff timer is armed.
    pub handoff_armed: bool,
}

/// A node's state.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum State {
    /// n0..n4.
    Storage(StorageState),
    /// The clients.
    Client(ClientState),
}

/// What survives a crash.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Durable {
    /// A storage node's data and hints.
    Storage(Vec<Version>, Vec<Hint>),
    /// A client's Lamport clock and operation counter.
    Client(u64, u32),
}
