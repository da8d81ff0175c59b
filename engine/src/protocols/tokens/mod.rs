//! Session guarantees with session tokens (chapter 2): a replicated register whose replicas
//! fall behind and fail over, and clients whose session token decides where a request may be
//! answered.
//!
//! Lesson: a store that replicates asynchronously can still give each *session* (one client's
//! sequence of operations) the four guarantees of Terry, Demers, Petersen, Spreitzer, Theimer
//! and Welch ("Session guarantees for weakly consistent replicated data", PDIS 1994) —
//! read-your-writes, monotonic reads, monotonic writes, writes-follow-reads — if the client
//! remembers what it has seen and only lets a replica answer that has seen at least as much.
//! Bayou's read and write sets shrink to one number when every write has a version from a total
//! order: the session's token is the highest version it has read or written, and a replica may
//! serve a request once it holds that version or a later one. Wall clocks do not make such an
//! order: clocks are skewed, and a new leader's clock may be behind the old one's.
//!
//! The store (see [`node`]): replicas n0, n1, n2 hold one register. Epoch `e` is led by
//! replica `e mod 3`, which orders the epoch's writes: version `e * 1000 + seq`. The leader
//! replicates each write to the followers and sends them its state every
//! [`HEARTBEAT_TICKS`] ticks; every replica applies any higher version it hears of, from
//! anyone (last writer wins by version). A follower that hears nothing from its leader for a
//! while takes over the next epoch that is its own, with whatever it holds.
//!
//! What the store guarantees: versions are unique and only grow at each replica; a replica at
//! version `v` holds the write `v`; every replica that can reach the others converges on the
//! highest version. What it does not: a write acknowledged by a leader that is cut off or
//! crashes before replicating it is *overtaken* by the next epoch's writes (lost, as if
//! overwritten at once); two leaders can accept writes at the same time during a partition
//! (the later epoch's win); and a write retried after its acknowledgement was lost may be
//! applied twice, under two versions. The session guarantees are about what a session
//! *observes*, and they survive all three: the arbitration of writes is the version order, and
//! a session that never accepts an answer below its token never observes a step back.
//!
//! The clients n3, n4 run a session each (see [`rules`] for the decisions a session makes):
//! one operation at a time, in the order requested; a read goes to the replica `pick` names
//! and a write to the replica the client believes leads (following redirects); an attempt that
//! gets no answer within [`RETRY_TICKS`] is tried again, a read wherever `pick` says for the
//! next attempt, a write at the next replica.
//!
//! The properties (see [`properties`]) judge each session's history — operations with their
//! true invocation and completion times, as an observer outside the system sees them — against
//! the store's arbitration, the version order.

pub mod challenge;
pub mod node;
pub mod properties;
pub mod rules;
pub mod scenarios;
pub mod types;

use std::rc::Rc;

pub use node::Tokens;
pub use rules::*;
pub use types::*;

/// Replicas: n0..n2.
pub const REPLICAS: u16 = 3;
/// Clients: n3, n4.
pub const CLIENTS: u16 = 2;
/// A leader sends its state to the followers this often.
pub const HEARTBEAT_TICKS: u64 = 10;
/// A follower checks for a silent leader this often.
pub const CHECK_TICKS: u64 = 5;
/// A follower takes over after this many ticks without its leader, times its rank after it.
pub const TAKEOVER_TICKS: u64 = 100;
/// A client tries again after this many ticks without an answer.
pub const RETRY_TICKS: u64 = 20;
/// Most requests a replica keeps waiting (the oldest is dropped beyond).
pub const PENDING_MAX: usize = 8;
/// Most requests a client queues behind its current operation.
pub const QUEUE_MAX: usize = 64;
/// T: a read must be answered within this many ticks once a replica the client can reach holds
/// everything the session has seen.
pub const READ_ANSWER_TICKS: u64 = 100;
