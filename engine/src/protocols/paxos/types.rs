//! Ballots, proposals, each node's state, messages, timers, notes, client requests and
//! configuration.

use super::*;

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

pub(super) fn canon_proposal(p: &Option<Proposal>, h: &mut Fnv64) {
    match p {
        None => h.u8(0),
        Some((b, v)) => {
            h.u8(1);
            b.canon(h);
            h.str(v);
        }
    }
}

pub(super) fn show_proposal(p: &Option<Proposal>) -> String {
    p.as_ref().map_or("-".into(), |(b, v)| format!("{b}={v}"))
}

pub(super) fn show_ballot(b: Option<Ballot>) -> String {
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
