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
//! [`PaxosVariant`] holds the reference and known-wrong implementations, each caught by
//! `agreement` (see `engine/tests/paxos.rs`).

use std::fmt;
use std::rc::Rc;

use crate::hash::{Canon, Fnv64};
use crate::sim::panel::{Cell, Grid, GridRow, Panel};
use crate::sim::protocol::{Ctx, NodeId, NodeView, Protocol};
use crate::sim::spec::{Action, Override};
use crate::sim::world::{LinkCfg, Property, Scenario, Status, WorldRef};

/// A proposed value: one word, e.g. `x` or `put.x.1`.
pub type Value = Rc<str>;

/// A proposal number (§2.2): ballots are ordered by round, then by proposer, so every ballot is
/// unique and any two are comparable.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Ballot {
    /// The round, from 1.
    pub round: u64,
    /// The proposer that issued it.
    pub proposer: NodeId,
}

impl fmt::Display for Ballot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.n{}", self.round, self.proposer)
    }
}

impl Canon for Ballot {
    fn canon(&self, h: &mut Fnv64) {
        h.u64(self.round);
        self.proposer.canon(h);
    }
}

/// A proposal: a ballot and its value.
pub type Proposal = (Ballot, Value);

fn canon_proposal(p: &Option<Proposal>, h: &mut Fnv64) {
    match p {
        None => h.u8(0),
        Some((b, v)) => {
            h.u8(1);
            b.canon(h);
            h.str(v);
        }
    }
}

fn show_proposal(p: &Option<Proposal>) -> String {
    p.as_ref().map_or("-".into(), |(b, v)| format!("{b}={v}"))
}

fn show_ballot(b: Option<Ballot>) -> String {
    b.map_or("-".into(), |b| b.to_string())
}

/// An acceptor's state (§2.2, §2.5): the highest ballot it promised and the highest-numbered
/// proposal it accepted. Kept on stable storage.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Acceptor {
    /// Highest ballot promised in phase 1b (or implied by an acceptance).
    pub promised: Option<Ballot>,
    /// Highest-numbered proposal accepted in phase 2b.
    pub accepted: Option<Proposal>,
}

/// Ghost (verification-only) state: a history the properties read and the protocol never does.
/// It lives in the durable state so that it outlasts crashes.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Ghost {
    /// Every proposal this node accepted as an acceptor, each once.
    pub accepted: Vec<Proposal>,
    /// Every value a client handed this node to propose.
    pub requested: Vec<Value>,
    /// Every value this node learned as a learner, each once (the reference learns one).
    pub learned: Vec<Value>,
}

/// What survives a crash.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Durable {
    /// The acceptor's promise and accepted proposal (§2.5).
    pub acceptor: Acceptor,
    /// The highest round this node has tried as a proposer (§2.5), so it never reuses a ballot.
    pub round: u64,
    /// The value its client asked it to propose.
    pub value: Option<Value>,
    /// The value it learned.
    pub learned: Option<Value>,
    /// Verification-only history.
    pub ghost: Ghost,
}

/// Where a proposer is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Phase {
    /// Nothing to propose.
    Idle,
    /// Phase 1: `Prepare(ballot)` sent; collecting promises.
    Preparing {
        /// The ballot being prepared.
        ballot: Ballot,
        /// Which acceptors promised it.
        promised_by: Vec<bool>,
        /// The highest-numbered proposal among the promises so far.
        highest: Option<Proposal>,
    },
    /// Phase 2: `Accept(ballot, value)` sent; waiting to learn the outcome.
    Accepting {
        /// The ballot.
        ballot: Ballot,
        /// The value proposed in it.
        value: Value,
    },
    /// Pre-empted or timed out: waiting a random backoff before a higher ballot.
    Backoff,
    /// Learned the chosen value.
    Done,
}

impl fmt::Display for Phase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Phase::Idle => f.write_str("idle"),
            Phase::Preparing {
                ballot,
                promised_by,
                ..
            } => {
                let n = promised_by.iter().filter(|p| **p).count();
                write!(f, "phase 1 ({ballot}, promised by {n})")
            }
            Phase::Accepting { ballot, value } => write!(f, "phase 2 ({ballot}={value})"),
            Phase::Backoff => f.write_str("backoff"),
            Phase::Done => f.write_str("done"),
        }
    }
}

/// A node's state: its acceptor, proposer and learner roles.
#[derive(Clone, Debug)]
pub struct NodeState {
    /// This node.
    pub me: NodeId,
    /// Node count.
    pub nodes: u16,
    /// Whether this node is a proposer.
    pub proposer: bool,
    /// The acceptor's state as the node uses it.
    pub acceptor: Acceptor,
    /// The proposer's phase.
    pub phase: Phase,
    /// The value the client asked this node to propose.
    pub value: Option<Value>,
    /// The highest round this node has tried.
    pub round: u64,
    /// The highest round seen in any message (a new ballot starts above it).
    pub max_seen: u64,
    /// Ballots tried since the value was handed in (sets the backoff).
    pub attempts: u32,
    /// The learner's view: the latest proposal each acceptor reported accepting.
    pub heard: Vec<Option<Proposal>>,
    /// The value this node learned.
    pub learned: Option<Value>,
    /// Verification-only history.
    pub ghost: Ghost,
    /// What this node last wrote to stable storage.
    pub disk: Durable,
}

impl NodeState {
    /// A node starting from `restored` (or from nothing).
    pub fn new(me: NodeId, nodes: u16, proposer: bool, restored: Option<&Durable>) -> NodeState {
        let d = restored.cloned().unwrap_or_default();
        let mut acceptor = d.acceptor.clone();
        // Accepting a ballot implies having promised it.
        if let Some((b, _)) = &acceptor.accepted {
            acceptor.promised = acceptor.promised.max(Some(*b));
        }
        let max_seen = d.round.max(acceptor.promised.map_or(0, |b| b.round));
        let phase = match (&d.value, &d.learned, proposer) {
            (_, Some(_), true) => Phase::Done,
            (Some(_), None, true) => Phase::Backoff,
            _ => Phase::Idle,
        };
        NodeState {
            me,
            nodes,
            proposer,
            acceptor,
            phase,
            value: d.value.clone(),
            round: d.round,
            max_seen,
            attempts: 0,
            heard: vec![None; usize::from(nodes)],
            learned: d.learned.clone(),
            ghost: d.ghost.clone(),
            disk: d,
        }
    }

    /// Votes needed: a majority of the acceptors.
    pub fn majority(&self) -> usize {
        usize::from(self.nodes) / 2 + 1
    }
}

/// Messages (§2.2, §2.3).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Msg {
    /// Phase 1a: proposer → acceptors.
    Prepare(Ballot),
    /// Phase 1b: a promise not to accept below `ballot`, with the highest-numbered proposal the
    /// acceptor has accepted.
    Promise {
        /// The ballot promised.
        ballot: Ballot,
        /// The acceptor's accepted proposal, if any.
        accepted: Option<Proposal>,
    },
    /// Phase 2a: proposer → acceptors.
    Accept {
        /// The ballot.
        ballot: Ballot,
        /// The value.
        value: Value,
    },
    /// Phase 2b: acceptor → every learner.
    Accepted {
        /// The ballot.
        ballot: Ballot,
        /// The value.
        value: Value,
    },
    /// A refusal of `ballot` (a Prepare or an Accept): the acceptor promised the higher
    /// `promised`.
    Nack {
        /// The refused ballot.
        ballot: Ballot,
        /// The higher ballot the acceptor promised.
        promised: Ballot,
    },
}

impl fmt::Display for Msg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Msg::Prepare(b) => write!(f, "Prepare{{{b}}}"),
            Msg::Promise { ballot, accepted } => {
                write!(f, "Promise{{{ballot},acc:{}}}", show_proposal(accepted))
            }
            Msg::Accept { ballot, value } => write!(f, "Accept{{{ballot}={value}}}"),
            Msg::Accepted { ballot, value } => write!(f, "Accepted{{{ballot}={value}}}"),
            Msg::Nack { ballot, promised } => write!(f, "Nack{{{ballot}<{promised}}}"),
        }
    }
}

impl Canon for Msg {
    fn canon(&self, h: &mut Fnv64) {
        match self {
            Msg::Prepare(b) => {
                h.u8(0);
                b.canon(h);
            }
            Msg::Promise { ballot, accepted } => {
                h.u8(1);
                ballot.canon(h);
                canon_proposal(accepted, h);
            }
            Msg::Accept { ballot, value } => {
                h.u8(2);
                ballot.canon(h);
                h.str(value);
            }
            Msg::Accepted { ballot, value } => {
                h.u8(3);
                ballot.canon(h);
                h.str(value);
            }
            Msg::Nack { ballot, promised } => {
                h.u8(4);
                ballot.canon(h);
                promised.canon(h);
            }
        }
    }
}

/// The proposer's one timer: start a new ballot (after a phase timed out or a backoff).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Retry;

impl fmt::Display for Retry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("retry")
    }
}

impl Canon for Retry {
    fn canon(&self, h: &mut Fnv64) {
        h.u8(0);
    }
}

/// Trace notes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Note {
    /// A proposer's ballot was refused because an acceptor promised a higher one.
    Preempted {
        /// The refused ballot.
        ballot: Ballot,
        /// The higher ballot.
        by: Ballot,
    },
    /// A proposer's phase timed out (messages lost or acceptors down).
    TimedOut(Ballot),
    /// A proposer adopted the value of the highest-numbered proposal among its promises
    /// instead of its own.
    Adopted {
        /// The proposer's ballot.
        ballot: Ballot,
        /// The adopted value.
        value: Value,
        /// The ballot in which it had been accepted.
        from: Ballot,
    },
    /// A learner learned a value.
    Learned {
        /// The ballot a majority accepted.
        ballot: Ballot,
        /// The value.
        value: Value,
    },
}

impl fmt::Display for Note {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Note::Preempted { ballot, by } => write!(f, "pre-empted: {ballot} < {by}"),
            Note::TimedOut(b) => write!(f, "timeout in {b}"),
            Note::Adopted {
                ballot,
                value,
                from,
            } => write!(f, "{ballot} adopts {value} (accepted in {from})"),
            Note::Learned { ballot, value } => write!(f, "learned {value} (chosen in {ballot})"),
        }
    }
}

impl Canon for Note {
    fn canon(&self, h: &mut Fnv64) {
        match self {
            Note::Preempted { ballot, by } => {
                h.u8(0);
                ballot.canon(h);
                by.canon(h);
            }
            Note::TimedOut(b) => {
                h.u8(1);
                b.canon(h);
            }
            Note::Adopted {
                ballot,
                value,
                from,
            } => {
                h.u8(2);
                ballot.canon(h);
                h.str(value);
                from.canon(h);
            }
            Note::Learned { ballot, value } => {
                h.u8(3);
                ballot.canon(h);
                h.str(value);
            }
        }
    }
}

/// A client request: the value to propose.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Propose(pub Value);

impl fmt::Display for Propose {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "propose {}", self.0)
    }
}

impl Canon for Propose {
    fn canon(&self, h: &mut Fnv64) {
        h.str(&self.0);
    }
}

/// What a node tells its client.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Reply {
    /// This value was chosen (perhaps not the one the client proposed).
    Chosen(Value),
    /// This node is busy proposing another value; the request is ignored.
    AlreadyProposing(Value),
    /// This node is not a proposer.
    NotProposer,
}

impl fmt::Display for Reply {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Reply::Chosen(v) => write!(f, "chosen {v}"),
            Reply::AlreadyProposing(v) => write!(f, "already proposing {v}"),
            Reply::NotProposer => f.write_str("not a proposer"),
        }
    }
}

impl Canon for Reply {
    fn canon(&self, h: &mut Fnv64) {
        match self {
            Reply::Chosen(v) => {
                h.u8(0);
                h.str(v);
            }
            Reply::AlreadyProposing(v) => {
                h.u8(1);
                h.str(v);
            }
            Reply::NotProposer => h.u8(2),
        }
    }
}

/// Timing and layout.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PaxosCfg {
    /// Nodes `0..proposers` are proposers (every node is an acceptor and a learner).
    pub proposers: u16,
    /// How long a proposer waits in a phase before trying a higher ballot (local ticks).
    pub phase_timeout_ticks: u64,
    /// The first backoff is uniform in `1..=2 × base`; each attempt doubles the range.
    pub backoff_base_ticks: u64,
    /// The range stops doubling after this many attempts.
    pub backoff_max_doublings: u32,
}

impl Default for PaxosCfg {
    fn default() -> Self {
        PaxosCfg {
            proposers: 2,
            phase_timeout_ticks: 100,
            backoff_base_ticks: 1,
            backoff_max_doublings: 8,
        }
    }
}

/// The reference implementation and known-wrong variants, each breaking one rule.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PaxosVariant {
    /// "Paxos Made Simple" as written.
    Reference,
    /// An acceptor accepts any `Accept`, even for a ballot below the one it promised: the
    /// promise of phase 1 means nothing (breaks agreement).
    AcceptBelowPromise,
    /// A proposer ignores the proposals reported in promises and proposes its own value: a
    /// chosen value is overwritten by a later ballot (breaks agreement).
    IgnorePromisedValues,
    /// An acceptor keeps its promises in memory only (its accepted proposal is persisted): after
    /// a restart it accepts a ballot it had promised to ignore (breaks agreement).
    ForgetPromises,
}

impl PaxosVariant {
    /// Every variant, the reference first.
    pub const ALL: [PaxosVariant; 4] = [
        PaxosVariant::Reference,
        PaxosVariant::AcceptBelowPromise,
        PaxosVariant::IgnorePromisedValues,
        PaxosVariant::ForgetPromises,
    ];

    /// Its name.
    pub fn name(self) -> &'static str {
        match self {
            PaxosVariant::Reference => "reference",
            PaxosVariant::AcceptBelowPromise => "accept-below-promise",
            PaxosVariant::IgnorePromisedValues => "ignore-promised-values",
            PaxosVariant::ForgetPromises => "forget-promises",
        }
    }
}

/// Single-decree Paxos: configuration and variant.
#[derive(Clone, Debug)]
pub struct Paxos {
    /// Timing and layout.
    pub cfg: PaxosCfg,
    /// Which implementation.
    pub variant: PaxosVariant,
}

/// §2.2, phase 2a: the value to propose with a majority of promises — the value of the
/// highest-numbered proposal reported, or the proposer's own if none was.
pub fn choose_value(highest: Option<&Proposal>, own: &Value) -> Value {
    highest.map_or_else(|| own.clone(), |(_, v)| v.clone())
}

impl Paxos {
    /// Paxos with these timings and one of the variants.
    pub fn new(cfg: PaxosCfg, variant: PaxosVariant) -> Paxos {
        Paxos { cfg, variant }
    }

    /// Write the node's state to stable storage. The forget-promises variant leaves the
    /// promise out (it writes only what it accepted).
    fn persist(&self, s: &mut NodeState, ctx: &mut Ctx<'_, Self>) {
        let mut acceptor = s.acceptor.clone();
        if self.variant == PaxosVariant::ForgetPromises {
            acceptor.promised = s.disk.acceptor.promised;
        }
        let d = Durable {
            acceptor,
            round: s.round,
            value: s.value.clone(),
            learned: s.learned.clone(),
            ghost: s.ghost.clone(),
        };
        if d != s.disk {
            s.disk = d.clone();
            ctx.persist(d);
        }
    }

    /// A random wait that doubles its range with each attempt (§2.4: randomness breaks the
    /// symmetry of duelling proposers).
    fn backoff(&self, s: &NodeState, ctx: &mut Ctx<'_, Self>) -> u64 {
        let doublings = s.attempts.min(self.cfg.backoff_max_doublings);
        let hi = self.cfg.backoff_base_ticks.max(1) << doublings;
        ctx.random_range(1, hi)
    }

    fn see_round(s: &mut NodeState, b: Ballot) {
        s.max_seen = s.max_seen.max(b.round);
    }

    /// §2.2 phase 1a: pick a ballot above any round tried or seen, record it on stable storage
    /// (§2.5), and send `Prepare` to every acceptor (this node's own acceptor included).
    fn start_ballot(&self, s: &mut NodeState, ctx: &mut Ctx<'_, Self>) {
        let round = s.round.max(s.max_seen) + 1;
        s.round = round;
        s.max_seen = round;
        s.attempts = s.attempts.saturating_add(1);
        let ballot = Ballot {
            round,
            proposer: s.me,
        };
        s.phase = Phase::Preparing {
            ballot,
            promised_by: vec![false; usize::from(s.nodes)],
            highest: None,
        };
        self.persist(s, ctx);
        let wait = self.cfg.phase_timeout_ticks + self.backoff(s, ctx);
        ctx.set_timer(Retry, wait);
        ctx.broadcast(Msg::Prepare(ballot));
        let reply = self.on_prepare(s, ballot, ctx);
        self.to_proposer(s, s.me, reply, ctx);
    }

    /// §2.2 phase 1b, the acceptor: promise `ballot` unless a higher ballot was promised, and
    /// report the highest-numbered proposal accepted. The promise is on stable storage before
    /// the reply leaves (§2.5).
    pub fn on_prepare(&self, s: &mut NodeState, ballot: Ballot, ctx: &mut Ctx<'_, Self>) -> Msg {
        Self::see_round(s, ballot);
        match s.acceptor.promised {
            Some(p) if p > ballot => Msg::Nack {
                ballot,
                promised: p,
            },
            _ => {
                s.acceptor.promised = Some(ballot);
                self.persist(s, ctx);
                Msg::Promise {
                    ballot,
                    accepted: s.acceptor.accepted.clone(),
                }
            }
        }
    }

    /// §2.2 phase 2b, the acceptor: accept unless a higher ballot was promised; record the
    /// proposal on stable storage (§2.5), then tell every learner (§2.3).
    pub fn on_accept(
        &self,
        s: &mut NodeState,
        ballot: Ballot,
        value: Value,
        ctx: &mut Ctx<'_, Self>,
    ) -> Option<Msg> {
        Self::see_round(s, ballot);
        if let Some(p) = s.acceptor.promised {
            if p > ballot && self.variant != PaxosVariant::AcceptBelowPromise {
                return Some(Msg::Nack {
                    ballot,
                    promised: p,
                });
            }
        }
        s.acceptor.promised = s.acceptor.promised.max(Some(ballot));
        s.acceptor.accepted = Some((ballot, value.clone()));
        let proposal = (ballot, value.clone());
        if !s.ghost.accepted.contains(&proposal) {
            s.ghost.accepted.push(proposal);
        }
        self.persist(s, ctx);
        ctx.broadcast(Msg::Accepted {
            ballot,
            value: value.clone(),
        });
        self.on_accepted(s, s.me, ballot, value, ctx);
        None
    }

    /// A reply to this node as a proposer: a promise, or a refusal.
    fn to_proposer(&self, s: &mut NodeState, from: NodeId, msg: Msg, ctx: &mut Ctx<'_, Self>) {
        match msg {
            Msg::Promise { ballot, accepted } => self.on_promise(s, from, ballot, accepted, ctx),
            Msg::Nack { ballot, promised } => self.on_nack(s, ballot, promised, ctx),
            _ => {}
        }
    }

    /// §2.2 phase 2a, the proposer: count promises for the current ballot; with a majority,
    /// send `Accept` with the value [`choose_value`] picks.
    fn on_promise(
        &self,
        s: &mut NodeState,
        from: NodeId,
        ballot: Ballot,
        accepted: Option<Proposal>,
        ctx: &mut Ctx<'_, Self>,
    ) {
        let majority = s.majority();
        let Phase::Preparing {
            ballot: current,
            promised_by,
            highest,
        } = &mut s.phase
        else {
            return;
        };
        if *current != ballot {
            return;
        }
        if let Some(slot) = promised_by.get_mut(usize::from(from)) {
            *slot = true;
        }
        if let Some(p) = accepted {
            if highest.as_ref().is_none_or(|h| p.0 > h.0) {
                *highest = Some(p);
            }
        }
        if promised_by.iter().filter(|p| **p).count() < majority {
            return;
        }
        let Some(own) = s.value.clone() else { return };
        let highest = highest.take();
        let value = match self.variant {
            PaxosVariant::IgnorePromisedValues => own.clone(),
            _ => choose_value(highest.as_ref(), &own),
        };
        if let Some((from, v)) = &highest {
            if *v != own && value == *v {
                ctx.note(Note::Adopted {
                    ballot,
                    value: value.clone(),
                    from: *from,
                });
            }
        }
        s.phase = Phase::Accepting {
            ballot,
            value: value.clone(),
        };
        let wait = self.cfg.phase_timeout_ticks + self.backoff(s, ctx);
        ctx.set_timer(Retry, wait);
        ctx.broadcast(Msg::Accept {
            ballot,
            value: value.clone(),
        });
        if let Some(reply) = self.on_accept(s, ballot, value, ctx) {
            self.to_proposer(s, s.me, reply, ctx);
        }
    }

    /// §2.2 (the optimisation) and §2.4: a refusal means a higher ballot is about; abandon this
    /// one and back off for a random time before trying above it.
    fn on_nack(
        &self,
        s: &mut NodeState,
        ballot: Ballot,
        promised: Ballot,
        ctx: &mut Ctx<'_, Self>,
    ) {
        Self::see_round(s, promised);
        let current = match &s.phase {
            Phase::Preparing { ballot, .. } | Phase::Accepting { ballot, .. } => *ballot,
            _ => return,
        };
        if current != ballot {
            return;
        }
        ctx.note(Note::Preempted {
            ballot,
            by: promised,
        });
        s.phase = Phase::Backoff;
        let wait = self.backoff(s, ctx);
        ctx.set_timer(Retry, wait);
    }

    /// §2.3, the learner: remember the latest proposal each acceptor reports; once a majority
    /// report the same ballot, its value is chosen and this node learns it.
    pub fn on_accepted(
        &self,
        s: &mut NodeState,
        from: NodeId,
        ballot: Ballot,
        value: Value,
        ctx: &mut Ctx<'_, Self>,
    ) {
        let Some(slot) = s.heard.get_mut(usize::from(from)) else {
            return;
        };
        if slot.as_ref().is_some_and(|(b, _)| *b >= ballot) {
            return;
        }
        *slot = Some((ballot, value.clone()));
        let votes = s
            .heard
            .iter()
            .filter(|h| h.as_ref().is_some_and(|(b, _)| *b == ballot))
            .count();
        if votes < s.majority() {
            return;
        }
        match &s.learned {
            Some(v) if *v == value => return,
            Some(_) => {
                // A second value on a majority means agreement is already broken (only a
                // wrong variant gets here). The node keeps what it learned first; the ghost
                // record notes the second value for the properties.
                if !s.ghost.learned.contains(&value) {
                    s.ghost.learned.push(value);
                    self.persist(s, ctx);
                }
                return;
            }
            None => {}
        }
        s.learned = Some(value.clone());
        s.ghost.learned.push(value.clone());
        self.persist(s, ctx);
        ctx.note(Note::Learned {
            ballot,
            value: value.clone(),
        });
        if s.proposer && s.phase != Phase::Idle && s.phase != Phase::Done {
            s.phase = Phase::Done;
            ctx.cancel_timer(Retry);
            ctx.reply(Reply::Chosen(value));
        }
    }
}

impl Protocol for Paxos {
    type Msg = Msg;
    type Timer = Retry;
    type Note = Note;
    type Request = Propose;
    type Reply = Reply;
    type State = NodeState;
    type Durable = Durable;

    /// A restarted node recovers its acceptor state, highest round and value from stable
    /// storage; a proposer that had not learned the outcome starts a new ballot after a
    /// random wait.
    fn on_start(&self, restored: Option<&Durable>, ctx: &mut Ctx<'_, Self>) -> NodeState {
        let proposer = ctx.id() < self.cfg.proposers;
        let s = NodeState::new(ctx.id(), ctx.nodes(), proposer, restored);
        if s.phase == Phase::Backoff {
            let wait = self.backoff(&s, ctx);
            ctx.set_timer(Retry, wait);
        }
        s
    }

    fn on_message(&self, s: &mut NodeState, from: NodeId, msg: Msg, ctx: &mut Ctx<'_, Self>) {
        match msg {
            Msg::Prepare(ballot) => {
                let reply = self.on_prepare(s, ballot, ctx);
                ctx.send(from, reply);
            }
            Msg::Accept { ballot, value } => {
                if let Some(reply) = self.on_accept(s, ballot, value, ctx) {
                    ctx.send(from, reply);
                }
            }
            Msg::Accepted { ballot, value } => self.on_accepted(s, from, ballot, value, ctx),
            reply @ (Msg::Promise { .. } | Msg::Nack { .. }) => {
                self.to_proposer(s, from, reply, ctx)
            }
        }
    }

    fn on_timer(&self, s: &mut NodeState, _timer: Retry, ctx: &mut Ctx<'_, Self>) {
        match &s.phase {
            Phase::Preparing { ballot, .. } | Phase::Accepting { ballot, .. } => {
                ctx.note(Note::TimedOut(*ballot));
                self.start_ballot(s, ctx);
            }
            Phase::Backoff => self.start_ballot(s, ctx),
            Phase::Idle | Phase::Done => {}
        }
    }

    fn on_client_request(&self, s: &mut NodeState, request: Propose, ctx: &mut Ctx<'_, Self>) {
        if !s.proposer {
            ctx.reply(Reply::NotProposer);
            return;
        }
        if let Some(v) = &s.learned {
            ctx.reply(Reply::Chosen(v.clone()));
            return;
        }
        if let Some(v) = &s.value {
            ctx.reply(Reply::AlreadyProposing(v.clone()));
            return;
        }
        s.value = Some(request.0.clone());
        s.ghost.requested.push(request.0);
        s.attempts = 0;
        self.start_ballot(s, ctx);
    }

    fn parse_request(&self, text: &str) -> Result<Propose, String> {
        let text = text.trim();
        if text.is_empty() || text.chars().any(char::is_whitespace) {
            return Err(format!(
                "'{text}' is not a value: one word such as x or put.x.1 (no spaces)"
            ));
        }
        Ok(Propose(Rc::from(text)))
    }

    fn view(&self, _node: NodeId, s: &NodeState) -> NodeView {
        // The short label is drawn inside the node; the field lists every role.
        let (role, roles) = if s.proposer {
            ("proposer", "proposer, acceptor, learner")
        } else {
            ("acceptor", "acceptor, learner")
        };
        let mut v = NodeView::new(role)
            .field("roles", roles)
            .field("promised", show_ballot(s.acceptor.promised))
            .field(
                "accepted ballot",
                show_ballot(s.acceptor.accepted.as_ref().map(|p| p.0)),
            )
            .field(
                "accepted value",
                s.acceptor.accepted.as_ref().map_or("-", |p| &*p.1),
            )
            .field("learned", s.learned.as_deref().unwrap_or("-"));
        if s.proposer {
            v = v
                .field("phase", &s.phase)
                .field("value", s.value.as_deref().unwrap_or("-"))
                .field("round", s.round);
        }
        v
    }

    /// The acceptors' state as a grid: one row per node, columns promised ballot, accepted
    /// ballot and accepted value; colour = round; rows whose accepted proposal is the chosen
    /// one are marked. A crashed node shows what it wrote to stable storage.
    fn panels(&self, w: &WorldRef<'_, Paxos>) -> Vec<Panel> {
        let chosen = chosen(w);
        let rows = (0..w.nodes())
            .map(|n| {
                let live = up_state(w, n);
                let acceptor = live
                    .map(|s| s.acceptor.clone())
                    .or_else(|| w.durable(n).map(|d| d.acceptor.clone()))
                    .unwrap_or_default();
                let group =
                    |b: Option<Ballot>| b.map_or(0, |b| u32::try_from(b.round).unwrap_or(u32::MAX));
                let accepted_ballot = acceptor.accepted.as_ref().map(|p| p.0);
                let cells = vec![
                    Cell {
                        text: show_ballot(acceptor.promised),
                        detail: "promised: will not accept a lower ballot".into(),
                        group: group(acceptor.promised),
                    },
                    Cell {
                        text: show_ballot(accepted_ballot),
                        detail: "ballot of the highest-numbered proposal accepted".into(),
                        group: group(accepted_ballot),
                    },
                    Cell {
                        text: acceptor
                            .accepted
                            .as_ref()
                            .map_or("-".into(), |p| p.1.to_string()),
                        detail: "value of the highest-numbered proposal accepted".into(),
                        group: group(accepted_ballot),
                    },
                ];
                let in_chosen = acceptor
                    .accepted
                    .as_ref()
                    .is_some_and(|p| chosen.contains(p));
                let note = match live {
                    Some(s) => {
                        let mut note = if s.proposer {
                            format!("proposer · {}", s.phase)
                        } else {
                            "acceptor".to_string()
                        };
                        if let Some(v) = &s.learned {
                            note.push_str(&format!(" · learned {v}"));
                        }
                        note
                    }
                    None => "down".to_string(),
                };
                GridRow {
                    label: format!("n{n}"),
                    note,
                    cells,
                    marked_below: if in_chosen { 3 } else { 0 },
                    down: live.is_none(),
                }
            })
            .collect();
        vec![Panel::Grid(Grid {
            title: "Acceptors".into(),
            column_label: "column".into(),
            first_column: 0,
            legend: "One row per node. Column 1: the ballot it promised (round.proposer); \
                     column 2: the ballot of the proposal it accepted; column 3: that \
                     proposal's value. Colour = round; a solid row accepted the chosen proposal."
                .into(),
            rows,
        })]
    }
}

// ---------------------------------------------------------------------------------------------
// Properties.
// ---------------------------------------------------------------------------------------------

fn up_state<'a>(w: &WorldRef<'a, Paxos>, n: NodeId) -> Option<&'a NodeState> {
    w.state(n).filter(|_| w.status(n) != Status::Down)
}

/// A node's ghost record: the one on stable storage (written in the same step as any change).
fn ghost<'a>(w: &WorldRef<'a, Paxos>, n: NodeId) -> Option<&'a Ghost> {
    w.durable(n).map(|d| &d.ghost)
}

/// The chosen proposals: those accepted by a majority of acceptors in the same ballot, read
/// from every node's ghost record of its acceptances.
pub fn chosen(w: &WorldRef<'_, Paxos>) -> Vec<Proposal> {
    let majority = usize::from(w.nodes()) / 2 + 1;
    let mut all: Vec<&Proposal> = (0..w.nodes())
        .filter_map(|n| ghost(w, n))
        .flat_map(|g| g.accepted.iter())
        .collect();
    all.sort_unstable();
    // Each acceptor records a proposal once, so equal neighbours come from distinct acceptors.
    let mut out = Vec::new();
    for run in all.chunk_by(|a, b| a == b) {
        if run.len() >= majority {
            out.push(run[0].clone());
        }
    }
    out
}

fn chosen_values(w: &WorldRef<'_, Paxos>) -> Vec<Value> {
    let mut values: Vec<Value> = chosen(w).into_iter().map(|p| p.1).collect();
    values.sort_unstable();
    values.dedup();
    values
}

/// Safety (§2.2): at most one value is chosen.
pub fn agreement(w: &WorldRef<'_, Paxos>) -> bool {
    chosen_values(w).len() <= 1
}

/// Safety (§2.2): only a value a client proposed may be chosen or learned.
pub fn validity(w: &WorldRef<'_, Paxos>) -> bool {
    let requested: Vec<&Value> = (0..w.nodes())
        .filter_map(|n| ghost(w, n))
        .flat_map(|g| g.requested.iter())
        .collect();
    let learned = (0..w.nodes())
        .filter_map(|n| ghost(w, n))
        .flat_map(|g| g.learned.iter().cloned());
    chosen_values(w)
        .into_iter()
        .chain(learned)
        .all(|v| requested.contains(&&v))
}

/// Safety (§2.3): a learner learns at most one value, and only a chosen one.
pub fn learner_consistency(w: &WorldRef<'_, Paxos>) -> bool {
    let chosen = chosen_values(w);
    (0..w.nodes())
        .filter_map(|n| ghost(w, n))
        .all(|g| g.learned.len() <= 1 && g.learned.iter().all(|v| chosen.contains(v)))
}

/// Liveness (§2.4): once some client proposed a value and the network behaves, a value is
/// chosen and every proposer that is up and holds a value has learned it.
pub fn value_chosen(w: &WorldRef<'_, Paxos>) -> bool {
    let proposed = (0..w.nodes())
        .filter_map(|n| ghost(w, n))
        .any(|g| !g.requested.is_empty());
    if !proposed {
        return true;
    }
    !chosen(w).is_empty()
        && (0..w.nodes())
            .filter_map(|n| up_state(w, n))
            .filter(|s| w.status(s.me) == Status::Up && s.proposer && s.value.is_some())
            .all(|s| s.learned.is_some())
}

/// After the heal, proposers must learn a chosen value within this many ticks: a few
/// backoffs at their largest range plus a phase timeout and two round trips.
pub const LIVENESS_TICKS: u64 = 2_000;

/// Every property, in the order they are checked.
pub fn properties() -> Vec<Property<Paxos>> {
    vec![
        Property::always("agreement", agreement),
        Property::always("validity", validity),
        Property::always("learner-consistency", learner_consistency),
        Property::eventually("value-chosen", LIVENESS_TICKS, value_chosen),
    ]
}

// ---------------------------------------------------------------------------------------------
// Scenarios.
// ---------------------------------------------------------------------------------------------

/// The seed each scenario's lesson is told with (content directives use these).
pub const DEFAULT_SEEDS: [(&str, u64); 4] = [
    ("paxos-basic", 1),
    ("paxos-dueling", 136),
    ("paxos-split-brain-safe", 1),
    ("paxos-crash-recovery", 1),
];

fn req(t: u64, node: NodeId, text: &str) -> Override {
    Override::at(t, Action::Request(node, text.into()))
}

/// Links of 5–15 ticks: a phase (one round trip) takes 10–30.
const NET: LinkCfg = LinkCfg::calm(5, 15);

fn base(
    id: &'static str,
    title: &'static str,
    description: &'static str,
    script: Vec<Override>,
    variant: PaxosVariant,
) -> Scenario<Paxos> {
    Scenario {
        id,
        title,
        description,
        nodes: 5,
        protocol: Paxos::new(PaxosCfg::default(), variant),
        net: NET,
        calm: NET,
        script,
        properties: properties(),
        workload: vec![(0, "x"), (1, "y"), (0, "z"), (1, "w")],
        faulty_nodes: vec![0, 1, 2, 3, 4],
        safety_ticks: 400,
    }
}

/// `paxos-basic`: one proposer, two round trips, one acceptor down.
pub fn basic(variant: PaxosVariant) -> Scenario<Paxos> {
    base(
        "paxos-basic",
        "Paxos: one proposer, two phases",
        "Five nodes are acceptors and learners; n0 and n1 are also proposers. n1 and n4 crash \
         at t=5. At t=10 n0's client asks it to propose x: n0 sends Prepare for ballot 1.n0 \
         (phase 1a), the three live acceptors promise (1b) — three of five is a majority — \
         and n0 sends Accept 1.n0=x (2a). Each acceptor records the proposal and tells every \
         learner (2b); once three report 1.n0=x, x is chosen and they learn it. n1 and n4 \
         restart at t=200 knowing nothing. At t=300 n1's client asks it to propose y: any \
         majority of promises for ballot 1.n1 includes an acceptor that reports x accepted \
         in 1.n0, so n1 must propose x, not y — its client is told x was chosen, and n4 \
         learns x too.",
        vec![
            Override::at(5, Action::Crash(1)),
            Override::at(5, Action::Crash(4)),
            req(10, 0, "x"),
            Override::at(200, Action::Restart(1)),
            Override::at(200, Action::Restart(4)),
            req(300, 1, "y"),
        ],
        variant,
    )
}

/// `paxos-dueling`: two proposers pre-empt each other until backoff separates them.
pub fn dueling(variant: PaxosVariant) -> Scenario<Paxos> {
    base(
        "paxos-dueling",
        "Paxos: duelling proposers",
        "n0 and n1 are asked to propose x and y at almost the same time. Each Prepare \
         overtakes the other's ballot: acceptors that promised the higher ballot refuse the \
         lower one's Accept with a Nack, its proposer tries a higher round, and that Prepare \
         in turn pre-empts the other. This can go on forever — FLP says no deterministic \
         protocol can rule it out — but here a pre-empted proposer waits a random backoff \
         whose range doubles with each attempt, so after a few rounds one finishes both \
         phases while the other waits; the other learns the chosen value (or, if it tries \
         again, finds it in its promises and proposes it). Agreement holds at every step.",
        vec![req(0, 0, "x"), req(1, 1, "y")],
        variant,
    )
}

/// `paxos-split-brain-safe`: a proposer in a minority cannot get anything chosen.
pub fn split_brain(variant: PaxosVariant) -> Scenario<Paxos> {
    base(
        "paxos-split-brain-safe",
        "Paxos: a partitioned proposer cannot choose",
        "At t=0 the network splits into {n0, n3} and {n1, n2, n4}. n0 is asked to propose x \
         and n1 to propose y. n0 can gather only two promises, never a majority, so it times \
         out and retries with ever higher rounds; n1's side holds three of five acceptors and \
         chooses y. At t=800 the partition heals: n0's next Prepare reaches the majority, \
         whose promises report y, so n0 proposes y and its client learns y was chosen. Both \
         sides were busy; only one could choose.",
        vec![
            Override::at(0, Action::Partition(vec![vec![0, 3], vec![1, 2, 4]])),
            req(10, 0, "x"),
            req(20, 1, "y"),
            Override::at(800, Action::Heal),
        ],
        variant,
    )
}

/// `paxos-crash-recovery`: an acceptor crashes between promising a ballot and receiving a
/// delayed `Accept` of a lower one; only its stable storage keeps agreement.
pub fn crash_recovery(variant: PaxosVariant) -> Scenario<Paxos> {
    base(
        "paxos-crash-recovery",
        "Paxos: why an acceptor persists its promise",
        "n0 cannot reach n1 or n4, and its link to n2 takes 60 ticks. n0 is asked to propose \
         x at t=0: it gathers promises from n0, n3 and (late) n2 for ballot 1.n0 and sends \
         Accept 1.n0=x; n0 and n3 accept it soon, n2's copy is on the slow link. At t=62 n1, \
         which cannot reach n0 or n3, is asked to propose y: n1, n2 and n4 promise the higher \
         ballot 1.n1 and report nothing accepted, so n1 sends Accept 1.n1=y, its copy to n2 \
         slowed down too. n2 crashes at t=100 and restarts at t=110. When the delayed Accept \
         1.n0=x reaches it, the reference n2 still knows from stable storage that it promised \
         1.n1, and refuses with a Nack: only y is chosen, and n0 adopts y in its next ballot. \
         The forget-promises variant kept the promise in memory only: it accepts x (now \
         chosen by n0, n2, n3) and then y with the higher ballot (chosen by n1, n2, n4). \
         Agreement fails.",
        vec![
            Override::at(0, Action::Cut(0, 1)),
            Override::at(0, Action::Cut(0, 4)),
            Override::at(0, Action::Latency(Some((0, 2)), 60, 60)),
            req(0, 0, "x"),
            Override::at(61, Action::Cut(1, 0)),
            Override::at(61, Action::Cut(1, 3)),
            req(62, 1, "y"),
            Override::at(80, Action::Latency(Some((1, 2)), 90, 90)),
            Override::at(100, Action::Crash(2)),
            Override::at(110, Action::Restart(2)),
        ],
        variant,
    )
}

/// Every scenario of this module with one variant.
pub fn all(variant: PaxosVariant) -> Vec<Scenario<Paxos>> {
    vec![
        basic(variant),
        dueling(variant),
        split_brain(variant),
        crash_recovery(variant),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::Rng;
    use crate::sim::protocol::Effect;

    fn b(round: u64, proposer: NodeId) -> Ballot {
        Ballot { round, proposer }
    }

    fn acceptor(variant: PaxosVariant) -> (Paxos, NodeState) {
        (
            Paxos::new(PaxosCfg::default(), variant),
            NodeState::new(2, 5, false, None),
        )
    }

    /// Run `f` as a handler of node 2 and return what it did.
    fn handle<T>(f: impl FnOnce(&mut Ctx<'_, Paxos>) -> T) -> (T, Vec<Effect<Paxos>>) {
        let mut rng = Rng::new(1);
        let mut effects = Vec::new();
        let out = f(&mut Ctx::new(2, 5, 0, &mut rng, &mut effects));
        (out, effects)
    }

    fn persisted(effects: &[Effect<Paxos>]) -> Option<&Durable> {
        effects.iter().rev().find_map(|e| match e {
            Effect::Persist(d) => Some(d),
            _ => None,
        })
    }

    #[test]
    fn s2_2_an_acceptor_promises_only_higher_ballots_and_reports_what_it_accepted() {
        let (p, mut s) = acceptor(PaxosVariant::Reference);
        let (r, fx) = handle(|ctx| p.on_prepare(&mut s, b(2, 0), ctx));
        assert_eq!(
            r,
            Msg::Promise {
                ballot: b(2, 0),
                accepted: None
            }
        );
        // §2.5: the promise is on stable storage, in the same step as the reply.
        assert_eq!(persisted(&fx).unwrap().acceptor.promised, Some(b(2, 0)));
        let (r, _) = handle(|ctx| p.on_prepare(&mut s, b(1, 1), ctx));
        assert_eq!(
            r,
            Msg::Nack {
                ballot: b(1, 1),
                promised: b(2, 0)
            }
        );
        let (r, fx) = handle(|ctx| p.on_accept(&mut s, b(2, 0), "x".into(), ctx));
        assert_eq!(r, None);
        assert_eq!(
            persisted(&fx).unwrap().acceptor.accepted,
            Some((b(2, 0), "x".into()))
        );
        // Every learner hears of it.
        let told = fx
            .iter()
            .filter(|e| matches!(e, Effect::Send(_, Msg::Accepted { .. })))
            .count();
        assert_eq!(told, 4);
        let (r, _) = handle(|ctx| p.on_prepare(&mut s, b(3, 1), ctx));
        assert_eq!(
            r,
            Msg::Promise {
                ballot: b(3, 1),
                accepted: Some((b(2, 0), "x".into()))
            }
        );
        // An Accept below the promise is refused.
        let (r, _) = handle(|ctx| p.on_accept(&mut s, b(2, 0), "z".into(), ctx));
        assert_eq!(
            r,
            Some(Msg::Nack {
                ballot: b(2, 0),
                promised: b(3, 1)
            })
        );
        assert_eq!(s.acceptor.accepted, Some((b(2, 0), "x".into())));
    }

    #[test]
    fn s2_2_the_proposer_adopts_the_value_of_the_highest_numbered_proposal() {
        let own: Value = "mine".into();
        assert_eq!(&*choose_value(None, &own), "mine");
        assert_eq!(&*choose_value(Some(&(b(4, 1), "x".into())), &own), "x");
    }

    #[test]
    fn the_wrong_variants_break_exactly_their_rule() {
        // Accepting below the promise.
        let (p, mut s) = acceptor(PaxosVariant::AcceptBelowPromise);
        handle(|ctx| p.on_prepare(&mut s, b(3, 1), ctx));
        let (r, _) = handle(|ctx| p.on_accept(&mut s, b(2, 0), "x".into(), ctx));
        assert_eq!(r, None);
        assert_eq!(s.acceptor.accepted, Some((b(2, 0), "x".into())));
        // Forgetting promises: the promise is kept in memory, never written.
        let (p, mut s) = acceptor(PaxosVariant::ForgetPromises);
        let (r, fx) = handle(|ctx| p.on_prepare(&mut s, b(3, 1), ctx));
        assert!(matches!(r, Msg::Promise { .. }));
        assert!(persisted(&fx).is_none());
        let restarted = NodeState::new(2, 5, false, Some(&s.disk));
        assert_eq!(restarted.acceptor.promised, None);
        // The reference restarts with its promise.
        let (p, mut s) = acceptor(PaxosVariant::Reference);
        handle(|ctx| p.on_prepare(&mut s, b(3, 1), ctx));
        let restarted = NodeState::new(2, 5, false, Some(&s.disk));
        assert_eq!(restarted.acceptor.promised, Some(b(3, 1)));
    }

    #[test]
    fn a_learner_learns_once_a_majority_accepted_the_same_ballot() {
        let (p, mut s) = acceptor(PaxosVariant::Reference);
        let hear = |s: &mut NodeState, from, ballot, v: &str| {
            handle(|ctx| p.on_accepted(s, from, ballot, v.into(), ctx)).1
        };
        hear(&mut s, 0, b(1, 0), "x");
        hear(&mut s, 1, b(2, 1), "y");
        hear(&mut s, 3, b(1, 0), "x");
        // Three acceptors, but in two ballots: nothing learned yet.
        assert_eq!(s.learned, None);
        let fx = hear(&mut s, 4, b(1, 0), "x");
        assert_eq!(s.learned.as_deref(), Some("x"));
        assert!(fx
            .iter()
            .any(|e| matches!(e, Effect::Note(Note::Learned { .. }))));
        assert_eq!(persisted(&fx).unwrap().learned.as_deref(), Some("x"));
    }

    #[test]
    fn ballots_are_unique_and_above_anything_seen() {
        let p = Paxos::new(PaxosCfg::default(), PaxosVariant::Reference);
        let mut s = NodeState::new(1, 5, true, None);
        s.value = Some("y".into());
        s.max_seen = 7;
        let (_, fx) = handle(|ctx| p.start_ballot(&mut s, ctx));
        assert_eq!(s.round, 8);
        // The round is on stable storage before the Prepare leaves (§2.5).
        assert_eq!(persisted(&fx).unwrap().round, 8);
        assert!(fx
            .iter()
            .any(|e| matches!(e, Effect::Send(0, Msg::Prepare(bb)) if *bb == b(8, 1))));
    }
}
