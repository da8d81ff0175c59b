//! Lesson: single-decree Paxos (Lamport, "The Part-Time Parliament", 1998, and "Paxos Made
//! Simple", 2001) — a group of nodes chooses one value, safely, whatever messages are lost,
//! duplicated or delayed and whichever nodes crash and restart.
//!
//! The code follows "Paxos Made Simple" section by section:
//!
//! * **Roles** (§2.1): five nodes, all of them *acceptors* and *learners*; the first
//!   [`PaxosCfg::proposers`] (n0 and n1 by default) are also *proposers*. A proposer proposes
//!   the value its client hands it.
//! * **Proposal numbers** (§2.2, §2.5): a [`Ballot`] is a (round, proposer) pair, so ballots are
//!   totally ordered and two proposers never issue the same one. A proposer keeps the highest
//!   round it has tried on stable storage and always starts above it and above any round it has
//!   seen.
//! * **Phase 1** (§2.2): `Prepare(n)` ([`Msg::Prepare`]); an acceptor that has promised nothing
//!   higher promises to ignore proposals below n and reports the highest-numbered proposal it
//!   has accepted ([`Msg::Promise`], [`Paxos::on_prepare`]). Otherwise it answers with a
//!   [`Msg::Nack`] naming the higher ballot it promised — the optimisation §2.2 suggests, so the
//!   proposer abandons the ballot without waiting for a timeout.
//! * **Phase 2** (§2.2): with promises from a majority, the proposer sends `Accept(n, v)`
//!   ([`Msg::Accept`]) where v is the value of the highest-numbered proposal among the
//!   promises, or its own value if none reported one ([`choose_value`]). An acceptor accepts
//!   unless it has promised a higher ballot ([`Paxos::on_accept`]).
//! * **Learning** (§2.3): each acceptor tells every learner what it accepted
//!   ([`Msg::Accepted`]); a learner learns v once a majority of acceptors report accepting v
//!   in the same ballot ([`Paxos::on_accepted`]).
//! * **Stable storage** (§2.5): an acceptor records its promise and its accepted proposal with
//!   `persist` before it answers, so a restart cannot make it forget either ([`Durable`]).
//! * **Progress** (§2.4): two proposers can pre-empt each other forever — each new `Prepare`
//!   invalidates the other's ballot before its `Accept`s land. FLP says no deterministic rule
//!   avoids that; here a pre-empted proposer waits a *random* backoff that doubles with each
//!   attempt, so eventually one finishes both phases undisturbed. (Real systems elect a
//!   distinguished proposer, which is what Multi-Paxos and Raft do.)
//!
//! A proposer whose ballot is pre-empted, or whose phase times out because messages were lost,
//! retries with a higher ballot until it learns the chosen value — perhaps not its own.
//!
//! Properties: `agreement` (at most one value is chosen), `validity` (a chosen or learned value
//! was proposed by a client), `learner-consistency` (a learner learns at most one value, and it
//! is the chosen one); liveness: `value-chosen` once the network heals. *Chosen* is a fact about
//! the acceptors, not something any node knows: a value is chosen when a majority of acceptors
//! accepted it in the same ballot. The properties compute it from *ghost* state ([`Ghost`]): a
//! record of every acceptance, kept in the durable state for verification only and never read
//! by the protocol.
//!
//! The rules a learner could get wrong are pure decisions behind the [`PaxosHooks`] trait
//! (which ballot an acceptor may accept, which value a proposer proposes, what stable storage
//! keeps); [`PaxosVariant`] holds the reference and known-wrong implementations, each caught by
//! `agreement` (see `engine/tests/paxos.rs`).
//!
//! Files: [`types`] (ballots, state, messages, configuration), [`rules`] (the hooks and the
//! variants), [`node`] (the protocol: proposer, acceptor and learner handlers), [`properties`],
//! [`scenarios`] and [`view`] (inspector and acceptor grid).

use std::fmt;
use std::rc::Rc;

use crate::hash::{Canon, Fnv64};
use crate::sim::panel::{Cell, Grid, GridRow, Panel};
use crate::sim::protocol::{Ctx, NodeId, NodeView, Protocol};
use crate::sim::spec::{Action, Override};
use crate::sim::world::{LinkCfg, Property, Scenario, Status, WorldRef};
use std::sync::Arc;

pub mod node;
pub mod properties;
pub mod rules;
pub mod scenarios;
#[cfg(test)]
mod tests;
pub mod types;
pub mod view;

pub use node::Paxos;
pub use properties::*;
pub use rules::*;
pub use scenarios::*;
pub use types::*;
