//! Lesson: a replicated key-value store on Raft — the chapter 7 capstone. A state machine
//! (get, put, append on string values) is applied from the committed prefix of a Raft log
//! (chapter 4, [`crate::protocols::raft`], unchanged and embedded), so every server that
//! applied the same prefix holds the same data. What turns a replicated log into a service
//! whose clients see one copy of the data — *linearizability* (Herlihy and Wing, 1990) — is
//! the layer this module adds, after the Raft paper's §8 ("Client interaction") and Ongaro's
//! thesis §6:
//!
//! * **Apply exactly once, in log order.** A server hands its machine the entries Raft
//!   applied, and may hand the last ones again (as a retransmitted batch would); the machine
//!   keeps `last_applied` and skips what it has seen ([`rules::apply_reference`]).
//! * **Answer only what committed.** A leader answers a client once the client's entry is
//!   applied, with the machine's answer; answering at append time (the known-wrong
//!   [`ServerRule::AckBeforeCommit`]) acknowledges writes a new leader may erase.
//! * **Exactly-once effects for retried requests.** A client numbers its operations and
//!   retries an unanswered one with the same number (a timeout does not say whether it took
//!   effect); the machine keeps, per client, the last sequence number applied and its answer,
//!   and answers a duplicate with the first answer. The table is *part of the replicated
//!   state* — it must survive a change of leader, which a table in the leader's memory does
//!   not ([`ServerRule::VolatileDedup`]).
//! * **Redirects and unknown outcomes.** A follower answers `NotLeader` with the leader it
//!   knows; a client follows it, and after [`ATTEMPTS_MAX`] attempts gives up and records
//!   the outcome as *unknown* (Jepsen's `:info`) — never as a failure, which would be a lie
//!   ([`ClientRule::TimeoutIsFailure`]). What a client does after a timeout or a redirect is
//!   one decision behind [`KvClientHooks`] ([`rules::next_attempt_reference`]).
//! * **Reads through the log.** A get is a log entry like any write. A leader that answered
//!   from its own machine could have been deposed without knowing ([`ServerRule::LocalRead`]);
//!   a *lease* (answer locally while a majority acknowledged within a window) is safe only
//!   while clocks run at the same rate ([`ServerRule::LeaseRead`], shown wrong under drift).
//!   *Read index* (Ongaro's thesis §6.4, [`ServerRule::ReadIndex`]) answers from the machine
//!   without a log entry: the leader notes its commit index (once an entry of its term has
//!   committed), confirms with a round of `ReadConfirm` that a majority still has its term,
//!   and answers once its machine has been handed every entry up to the noted index; without
//!   the round ([`ServerRule::ReadIndexNoConfirm`]) a deposed leader answers stale.
//!
//! Invariant: the store's properties are judged on the client history alone, as an outside
//! tester sees it: `linearizable` (per key, with [`crate::lin`]'s key-value model and its
//! P-compositionality; a search out of budget leaves it *undecided*, never passed) and
//! `ops-complete` (after the faults end every operation ends, and a healed cluster answers).
//!
//! The store runs on any [`RaftHooks`](crate::protocols::raft::RaftHooks): a learner's Raft
//! from chapter 4 under this store shows its bugs as a non-linearizable history
//! ([`scenarios::on_raft`]).
//!
//! Files: [`types`] (operations, commands, messages, the machine, node states), [`rules`]
//! (the apply decision behind [`KvHooks`] and the client's behind [`KvClientHooks`], with
//! their known-wrong variants, and the server's rules), [`node`] (the protocol: Raft embedded
//! through [`Ctx::nested`](crate::sim::protocol::Ctx::nested)), [`properties`], [`view`],
//! [`scenarios`] and [`challenge`] (the `kv-apply`, `kv-dedup`, `kv-client` and `kv-reads`
//! challenges; in the last the leader's decision for a get is behind
//! [`rules::KvReadHooks`]).

pub mod challenge;
pub mod node;
pub mod properties;
pub mod rules;
pub mod scenarios;
#[cfg(test)]
mod tests;
pub mod types;
pub mod view;

pub use node::KvStore;
pub use rules::{ClientRule, KvClientHooks, KvHooks, KvVariant, ServerRule};

use crate::limits::KV_LIN_SEARCH_STEPS_MAX as LIN_SEARCH_STEPS_MAX;

/// Raft servers n0, n1, n2; the clients follow them.
pub const SERVERS: u16 = 3;
/// Clients (n3, n4, n5, named A, B, C).
pub const CLIENTS: u16 = 3;
/// The keys: few, so that every key's history is contended.
pub const KEYS: [&str; 2] = ["x", "y"];
/// How many already-handed entries a server hands its machine again with new ones.
pub const REHANDED_ENTRIES: usize = 2;
/// A client waits this long (local ticks) for an answer before it tries again.
pub const ATTEMPT_TICKS: u64 = 200;
/// A client that gives up at its first timeout ([`ClientRule::GiveUp`]) waits this long: it
/// gets one chance, so it gives it the time an election takes.
pub const GIVE_UP_TICKS: u64 = 600;
/// A client gives up on an operation after this many attempts (timeouts and redirects).
pub const ATTEMPTS_MAX: u32 = 20;
/// A client told that no leader is known waits this long before it asks again.
pub const RESEND_TICKS: u64 = 50;
/// A client's think time between operations, drawn uniformly.
pub const THINK_TICKS: (u64, u64) = (20, 80);
/// The first election timeout of the scenario's first leader.
pub const FIRST_ELECTION_TICKS: u64 = 20;
/// A leader's lease (local ticks since a majority acknowledged it), below Raft's shortest
/// election timeout less a round trip, so that with equal clock rates no successor can be
/// elected while it lasts.
pub const LEASE_TICKS: u64 = 110;
/// After the faults end, operations invoked this much later must return an answer (the
/// cluster has had time to elect a leader).
pub const SETTLE_TICKS: u64 = 700;
/// ... within this many ticks of their invocation.
pub const ANSWER_TICKS: u64 = 1_000;
/// Operations each client of a swarm run draws.
pub const OPS_PER_CLIENT: u32 = 8;
