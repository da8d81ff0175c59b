//! Lesson: Raft (Ongaro and Ousterhout, "In Search of an Understandable Consensus Algorithm",
//! USENIX ATC 2014) — a replicated log that stays consistent through crashes, partitions, lost
//! and reordered messages, as long as a majority can eventually talk.
//!
//! The code follows Figure 2 of the paper rule by rule:
//!
//! * **State.** Persistent on all servers: `currentTerm`, `votedFor`, `log[]` ([`Persistent`],
//!   written with `persist` before the node answers or sends anything that depends on it).
//!   Volatile on all servers: `commitIndex`, `lastApplied`; on leaders: `nextIndex[]`,
//!   `matchIndex[]` ([`NodeState`]).
//! * **Rules for all servers** (§5.1): apply committed entries in log order; a request or
//!   response with a higher term makes a node adopt that term and become a follower
//!   ([`observe_term`]).
//! * **RequestVote** (§5.2, §5.4.1): [`handle_request_vote`].
//! * **AppendEntries** (§5.3): [`handle_append_entries`].
//! * **Leaders** (§5.3, §5.4.2): [`leader_commit_index`] — commit by counting replicas only for
//!   entries of the current term (Figure 8).
//!
//! Following §8, a new leader appends a no-op entry of its own term so that entries of earlier
//! terms commit without waiting for a client ([`RaftCfg::noop_on_election`]). A follower that
//! knows the leader forwards client commands to it (as etcd's raft does), so a client may talk
//! to any node.
//!
//! The three decisions a learner re-implements — granting a vote, accepting entries, advancing
//! the leader's commit index — are pure functions behind the [`RaftHooks`] trait; the
//! [`RaftVariant`] enum holds the reference and a catalogue of classic mistakes, each caught by
//! one of the properties below (see `engine/tests/raft.rs`). Every scenario constructor takes
//! either a variant or any `Arc<dyn RaftHooks>`, which is how a learner's script runs in the
//! same scenarios ([`challenge`]).
//!
//! Properties (Figure 3): `election-safety`, `leader-append-only`, `log-matching`,
//! `leader-completeness`, `state-machine-safety`; liveness: `leader-elected` and
//! `log-committed` after the network heals, and, with servers down, the [`ProgressPhase`]s of
//! two scripted scenarios (`progress-minority-down`, `progress-leader-down`). Properties that speak of the past read *ghost*
//! state ([`Ghost`]): a record kept in the durable state for verification only, never read by
//! the protocol.
//!
//! Files: [`types`] (state, messages, timers, configuration), [`rules`] (Figure 2's decisions
//! and the known-wrong variants behind [`RaftHooks`]), [`node`] (one `step` per message: the
//! §5.1 term rule once, then the handler of the node's role, and the named `become_*`
//! transitions), [`properties`] (Figure 3), [`scenarios`], [`view`] (inspector and log grid)
//! and [`challenge`] (the chapter 4 challenges' adapter).

use std::fmt;
use std::rc::Rc;
use std::sync::Arc;

use crate::hash::{Canon, Fnv64};
use crate::sim::panel::{Cell, Grid, GridRow, Panel};
use crate::sim::protocol::{Ctx, NodeId, NodeView, Protocol};
use crate::sim::spec::{Action, Override, When};
use crate::sim::world::{LinkCfg, Property, Scenario, Status, WorldRef};

/// A term number (§5.1): a logical clock; each term has at most one leader.
pub type Term = u64;
/// A log index, starting at 1 (index 0 is the empty prefix, of term 0).
pub type Index = u64;

pub mod challenge;
pub mod node;
pub mod properties;
pub mod rules;
pub mod scenarios;
#[cfg(test)]
mod tests;
pub mod types;
pub mod view;

pub use node::Raft;
pub use properties::*;
pub use rules::*;
pub use scenarios::*;
pub use types::*;
