//! Three-phase commit's transactions, participant states, messages, timers and notes, and
//! each node's state (volatile and durable).

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use crate::hash::{Canon, Fnv64};
use crate::sim::protocol::NodeId;

/// A transaction's number: `t3` is 3.
pub type TxId = u32;

/// The coordinator's node id.
pub const COORDINATOR: NodeId = 0;
/// Participants are nodes `1..=PARTICIPANTS`: A, B and C.
pub const PARTICIPANTS: u16 = 3;

/// Whether node `n` is a participant.
pub fn is_participant(n: NodeId) -> bool {
    (1..=PARTICIPANTS).contains(&n)
}

/// The participants, in id order (every transaction involves all of them).
pub fn participants() -> Vec<NodeId> {
    (1..=PARTICIPANTS).collect()
}

/// A participant's letter as the chapter names it: n1 is A, n2 B, n3 C.
pub fn letter(n: NodeId) -> char {
    char::from(b'A' + (n.saturating_sub(1) % 26) as u8)
}

/// `A, B`.
pub fn letters(nodes: &[NodeId]) -> String {
    let names: Vec<String> = nodes.iter().map(|n| letter(*n).to_string()).collect();
    names.join(", ")
}

/// What a transaction asks of its participants: which of them (if any) votes NO.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Plan {
    /// The participant that cannot commit its part and votes NO; `None`: every vote is YES.
    pub veto: Option<NodeId>,
}

impl Plan {
    /// Every participant votes YES.
    pub const ALL_YES: Plan = Plan { veto: None };

    /// Participant `p` votes NO.
    pub const fn veto(p: NodeId) -> Plan {
        Plan { veto: Some(p) }
    }

    /// Parses a request: `yes` (every vote YES) or `no-b` (B votes NO).
    pub fn parse(text: &str) -> Result<Plan, String> {
        let bad = || {
            format!(
                "'{text}': a transaction is `yes` (every participant votes YES) or `no-a`, \
                 `no-b`, `no-c` (that participant votes NO)"
            )
        };
        if text == "yes" {
            return Ok(Plan::ALL_YES);
        }
        let who = text.strip_prefix("no-").ok_or_else(bad)?;
        let p = match who {
            "a" => 1,
            "b" => 2,
            "c" => 3,
            _ => return Err(bad()),
        };
        Ok(Plan::veto(p))
    }

    /// Participant `p`'s vote.
    pub fn vote_of(&self, p: NodeId) -> bool {
        self.veto != Some(p)
    }
}

impl fmt::Display for Plan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.veto {
            None => f.write_str("yes"),
            Some(p) => write!(f, "no-{}", letter(p).to_ascii_lowercase()),
        }
    }
}

impl Canon for Plan {
    fn canon(&self, h: &mut Fnv64) {
        h.u64(self.veto.map_or(u64::MAX, u64::from));
    }
}

/// A transaction's outcome.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Outcome {
    /// Every participant applies its part.
    Commit,
    /// None does.
    Abort,
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Outcome::Commit => "COMMIT",
            Outcome::Abort => "ABORT",
        })
    }
}

impl Canon for Outcome {
    fn canon(&self, h: &mut Fnv64) {
        h.u8(match self {
            Outcome::Commit => 0,
            Outcome::Abort => 1,
        });
    }
}

/// A participant's state for one transaction: Skeen's finite-state automaton. `Initial` is
/// never stored: a participant that has no record of a transaction is in it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum PState {
    /// Has not voted (has heard nothing, or only a state request): it may still abort alone.
    Initial,
    /// Voted YES: it may no longer abort alone, and does not know whether all voted YES.
    Uncertain,
    /// Received PRE-COMMIT and acknowledged it: every participant voted YES.
    PreCommitted,
    /// Committed (final).
    Committed,
    /// Aborted (final).
    Aborted,
}

impl PState {
    /// Whether the state is final.
    pub fn is_final(self) -> bool {
        matches!(self, PState::Committed | PState::Aborted)
    }

    /// The outcome of a final state.
    pub fn outcome(self) -> Option<Outcome> {
        match self {
            PState::Committed => Some(Outcome::Commit),
            PState::Aborted => Some(Outcome::Abort),
            _ => None,
        }
    }

    /// The final state of an outcome.
    pub fn of(outcome: Outcome) -> PState {
        match outcome {
            Outcome::Commit => PState::Committed,
            Outcome::Abort => PState::Aborted,
        }
    }
}

impl fmt::Display for PState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            PState::Initial => "initial",
            PState::Uncertain => "uncertain",
            PState::PreCommitted => "pre-committed",
            PState::Committed => "committed",
            PState::Aborted => "aborted",
        })
    }
}

impl Canon for PState {
    fn canon(&self, h: &mut Fnv64) {
        h.u8(*self as u8);
    }
}

/// `A pre-committed, B uncertain`.
pub fn states_text(states: &BTreeMap<NodeId, PState>) -> String {
    let parts: Vec<String> = states
        .iter()
        .map(|(n, s)| format!("{} {s}", letter(*n)))
        .collect();
    parts.join(", ")
}

/// Messages: Skeen's three phases, then the termination protocol's election and state
/// collection, and a restarted node's inquiry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Msg {
    /// Coordinator → participant: can you commit your part of `tx`?
    CanCommit {
        /// The transaction.
        tx: TxId,
        /// The participant's part breaks one of its constraints (it will vote NO).
        fails: bool,
    },
    /// Participant → coordinator: its vote.
    Vote {
        /// The transaction.
        tx: TxId,
        /// YES.
        yes: bool,
    },
    /// (Recovery) coordinator → participant: every participant voted YES; move to
    /// pre-committed.
    PreCommit {
        /// The transaction.
        tx: TxId,
    },
    /// Participant → whoever sent PRE-COMMIT: it is pre-committed.
    Ack {
        /// The transaction.
        tx: TxId,
    },
    /// (Recovery) coordinator → participant: commit.
    DoCommit {
        /// The transaction.
        tx: TxId,
    },
    /// (Recovery) coordinator → participant: abort.
    DoAbort {
        /// The transaction.
        tx: TxId,
    },
    /// Termination, election: a participant that timed out asks each lower-id participant
    /// whether it is alive (the lowest live participant takes over).
    Elect {
        /// The transaction.
        tx: TxId,
    },
    /// The answer: alive, and it will take over (or is deciding already).
    Alive {
        /// The transaction.
        tx: TxId,
    },
    /// Termination, the recovery coordinator → the others: what is your state?
    StateReq {
        /// The transaction.
        tx: TxId,
    },
    /// The answer.
    State {
        /// The transaction.
        tx: TxId,
        /// The sender's state.
        state: PState,
    },
    /// A restarted coordinator asks what became of `tx`; a participant that knows answers
    /// DO-COMMIT or DO-ABORT.
    Inquire {
        /// The transaction.
        tx: TxId,
    },
}

impl Msg {
    /// The transaction it is about.
    pub fn tx(&self) -> TxId {
        match self {
            Msg::CanCommit { tx, .. }
            | Msg::Vote { tx, .. }
            | Msg::PreCommit { tx }
            | Msg::Ack { tx }
            | Msg::DoCommit { tx }
            | Msg::DoAbort { tx }
            | Msg::Elect { tx }
            | Msg::Alive { tx }
            | Msg::StateReq { tx }
            | Msg::State { tx, .. }
            | Msg::Inquire { tx } => *tx,
        }
    }

    /// The decision message for `outcome`.
    pub fn decision(tx: TxId, outcome: Outcome) -> Msg {
        match outcome {
            Outcome::Commit => Msg::DoCommit { tx },
            Outcome::Abort => Msg::DoAbort { tx },
        }
    }
}

impl fmt::Display for Msg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Msg::CanCommit { tx, fails: false } => write!(f, "CanCommit{{t{tx}}}"),
            Msg::CanCommit { tx, fails: true } => write!(f, "CanCommit{{t{tx},fails}}"),
            Msg::Vote { tx, yes } => {
                write!(f, "Vote{{t{tx},{}}}", if *yes { "YES" } else { "NO" })
            }
            Msg::PreCommit { tx } => write!(f, "PreCommit{{t{tx}}}"),
            Msg::Ack { tx } => write!(f, "Ack{{t{tx}}}"),
            Msg::DoCommit { tx } => write!(f, "DoCommit{{t{tx}}}"),
            Msg::DoAbort { tx } => write!(f, "DoAbort{{t{tx}}}"),
            Msg::Elect { tx } => write!(f, "Elect{{t{tx}}}"),
            Msg::Alive { tx } => write!(f, "Alive{{t{tx}}}"),
            Msg::StateReq { tx } => write!(f, "StateReq{{t{tx}}}"),
            Msg::State { tx, state } => write!(f, "State{{t{tx},{state}}}"),
            Msg::Inquire { tx } => write!(f, "Inquire{{t{tx}}}"),
        }
    }
}

impl Canon for Msg {
    fn canon(&self, h: &mut Fnv64) {
        let kind = match self {
            Msg::CanCommit { .. } => 0,
            Msg::Vote { .. } => 1,
            Msg::PreCommit { .. } => 2,
            Msg::Ack { .. } => 3,
            Msg::DoCommit { .. } => 4,
            Msg::DoAbort { .. } => 5,
            Msg::Elect { .. } => 6,
            Msg::Alive { .. } => 7,
            Msg::StateReq { .. } => 8,
            Msg::State { .. } => 9,
            Msg::Inquire { .. } => 10,
        };
        h.u8(kind);
        h.u32(self.tx());
        match self {
            Msg::CanCommit { fails, .. } => fails.canon(h),
            Msg::Vote { yes, .. } => yes.canon(h),
            Msg::State { state, .. } => state.canon(h),
            _ => {}
        }
    }
}

/// Timers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Timer {
    /// Coordinator: start the next transaction of the workload.
    NextTx,
    /// Coordinator: the votes of `tx` are late; abort it.
    Votes(TxId),
    /// Coordinator: not every participant has acknowledged PRE-COMMIT; send it again.
    Acks(TxId),
    /// Coordinator after a restart: ask again what became of `tx`.
    Inquire(TxId),
    /// Participant: it has waited too long for the next message about `tx`: it suspects the
    /// coordinator and starts the termination protocol.
    Wait(TxId),
    /// Participant: the election's answers are in (or never will be).
    Elect(TxId),
    /// Recovery coordinator: the states are in (or never will be); apply the rule.
    Collect(TxId),
    /// Recovery coordinator: the acknowledgements of its PRE-COMMITs are in.
    RecoveryAcks(TxId),
}

impl Timer {
    fn parts(&self) -> (u8, &'static str, Option<TxId>) {
        match self {
            Timer::NextTx => (0, "next-tx", None),
            Timer::Votes(tx) => (1, "votes", Some(*tx)),
            Timer::Acks(tx) => (2, "acks", Some(*tx)),
            Timer::Inquire(tx) => (3, "inquire", Some(*tx)),
            Timer::Wait(tx) => (4, "wait", Some(*tx)),
            Timer::Elect(tx) => (5, "elect", Some(*tx)),
            Timer::Collect(tx) => (6, "collect", Some(*tx)),
            Timer::RecoveryAcks(tx) => (7, "recovery-acks", Some(*tx)),
        }
    }
}

impl fmt::Display for Timer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.parts() {
            (_, name, Some(tx)) => write!(f, "{name} t{tx}"),
            (_, name, None) => f.write_str(name),
        }
    }
}

impl Canon for Timer {
    fn canon(&self, h: &mut Fnv64) {
        let (kind, _, tx) = self.parts();
        h.u8(kind);
        if let Some(tx) = tx {
            h.u32(tx);
        }
    }
}

/// Trace notes: what each node did, which the properties judge and the event log shows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Note {
    /// Coordinator: started `tx`.
    Begin {
        /// The transaction.
        tx: TxId,
        /// Who votes NO, if anyone.
        plan: Plan,
    },
    /// Participant: sent its vote.
    Voted {
        /// The transaction.
        tx: TxId,
        /// YES.
        yes: bool,
    },
    /// Participant: moved to pre-committed.
    PreCommitted {
        /// The transaction.
        tx: TxId,
    },
    /// Participant: timed out waiting for news of `tx` and suspects the coordinator.
    TimedOut {
        /// The transaction.
        tx: TxId,
        /// Its state then.
        state: PState,
    },
    /// Participant: no lower-id participant answered; it is the recovery coordinator.
    TakesOver {
        /// The transaction.
        tx: TxId,
    },
    /// Recovery coordinator: the termination rule applied to the states it collected.
    Rule {
        /// The transaction.
        tx: TxId,
        /// The states it could collect, its own included.
        states: BTreeMap<NodeId, PState>,
        /// What the rule says.
        outcome: Outcome,
    },
    /// A node decided: the coordinator, a recovery coordinator, or a participant told.
    Decided {
        /// The transaction.
        tx: TxId,
        /// COMMIT or ABORT.
        outcome: Outcome,
    },
    /// A restarted node read its disk: the transactions it must still finish.
    Recovered {
        /// The transactions.
        txs: Vec<TxId>,
    },
}

fn tx_names(txs: &[TxId]) -> String {
    let names: Vec<String> = txs.iter().map(|t| format!("t{t}")).collect();
    names.join(", ")
}

impl fmt::Display for Note {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Note::Begin { tx, plan } => match plan.veto {
                None => write!(f, "begin t{tx}"),
                Some(p) => write!(f, "begin t{tx} ({} will vote NO)", letter(p)),
            },
            Note::Voted { tx, yes } => {
                write!(f, "votes {} on t{tx}", if *yes { "YES" } else { "NO" })
            }
            Note::PreCommitted { tx } => write!(f, "pre-committed t{tx}"),
            Note::TimedOut { tx, state } => {
                write!(f, "times out on t{tx} ({state}): suspects the coordinator")
            }
            Note::TakesOver { tx } => {
                write!(
                    f,
                    "no lower participant answers: recovery coordinator of t{tx}"
                )
            }
            Note::Rule {
                tx,
                states,
                outcome,
            } => write!(f, "rule on t{tx}: {} → {outcome}", states_text(states)),
            Note::Decided { tx, outcome } => write!(f, "decides {outcome} t{tx}"),
            Note::Recovered { txs } if txs.is_empty() => f.write_str("recovers: nothing open"),
            Note::Recovered { txs } => write!(f, "recovers: {} open", tx_names(txs)),
        }
    }
}

impl Canon for Note {
    fn canon(&self, h: &mut Fnv64) {
        match self {
            Note::Begin { tx, plan } => {
                h.u8(0);
                h.u32(*tx);
                plan.canon(h);
            }
            Note::Voted { tx, yes } => {
                h.u8(1);
                h.u32(*tx);
                yes.canon(h);
            }
            Note::PreCommitted { tx } => {
                h.u8(2);
                h.u32(*tx);
            }
            Note::TimedOut { tx, state } => {
                h.u8(3);
                h.u32(*tx);
                state.canon(h);
            }
            Note::TakesOver { tx } => {
                h.u8(4);
                h.u32(*tx);
            }
            Note::Rule {
                tx,
                states,
                outcome,
            } => {
                h.u8(5);
                h.u32(*tx);
                h.u64(states.len() as u64);
                for (n, s) in states {
                    h.u64(u64::from(*n));
                    s.canon(h);
                }
                outcome.canon(h);
            }
            Note::Decided { tx, outcome } => {
                h.u8(6);
                h.u32(*tx);
                outcome.canon(h);
            }
            Note::Recovered { txs } => {
                h.u8(7);
                h.u64(txs.len() as u64);
                txs.iter().for_each(|t| h.u32(*t));
            }
        }
    }
}

/// Where the coordinator is with a transaction (kept on its disk).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Phase {
    /// CAN-COMMIT sent; collecting votes.
    Collecting,
    /// Every vote YES; PRE-COMMIT sent, collecting acknowledgements.
    PreCommitting,
    /// Restarted while pre-committing: it asks the participants what became of it.
    Inquiring,
    /// Decided.
    Decided(Outcome),
}

impl fmt::Display for Phase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Phase::Collecting => f.write_str("collecting votes"),
            Phase::PreCommitting => f.write_str("pre-committing"),
            Phase::Inquiring => f.write_str("inquiring"),
            Phase::Decided(o) => write!(f, "{o}"),
        }
    }
}

/// A transaction at the coordinator.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CoordTx {
    /// Where it is.
    pub phase: Phase,
    /// YES votes so far.
    pub yes: BTreeSet<NodeId>,
    /// Acknowledgements of PRE-COMMIT so far.
    pub acks: BTreeSet<NodeId>,
}

/// The coordinator's durable state.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct CoordinatorDisk {
    /// The next transaction number.
    pub next_tx: TxId,
    /// How many of the workload's transactions it has started.
    pub started: u32,
    /// Every transaction's phase.
    pub phases: BTreeMap<TxId, Phase>,
}

/// The coordinator's volatile state.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Coordinator {
    /// A copy of its disk.
    pub disk: CoordinatorDisk,
    /// Its transactions.
    pub txs: BTreeMap<TxId, CoordTx>,
    /// Transactions requested by hand, waiting for the next slot.
    pub requested: Vec<Plan>,
}

/// What a participant is doing in the termination protocol for one transaction.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Term {
    /// Not terminating: waiting for the (recovery) coordinator.
    Waiting,
    /// Sent ELECT to the lower-id participants; whether any answered.
    Electing {
        /// Some lower participant answered ALIVE.
        answered: bool,
    },
    /// The recovery coordinator: collecting states.
    Collecting {
        /// States collected so far (its own included).
        states: BTreeMap<NodeId, PState>,
    },
    /// The recovery coordinator: PRE-COMMIT sent to the uncertain participants it reached.
    PreCommitting {
        /// Those it sent PRE-COMMIT to.
        waiting: BTreeSet<NodeId>,
    },
}

/// A transaction at a participant.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PartTx {
    /// Its state (on disk too).
    pub state: PState,
    /// Where it is in the termination protocol.
    pub term: Term,
}

/// A participant's volatile state.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Participant {
    /// Its transactions.
    pub txs: BTreeMap<TxId, PartTx>,
}

/// A participant's durable state: every transaction's state, forced before it sends.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct ParticipantDisk {
    /// The states.
    pub states: BTreeMap<TxId, PState>,
}

/// A node's volatile state.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum State {
    /// n0.
    Coordinator(Coordinator),
    /// n1..n3.
    Participant(Participant),
}

/// A node's durable state.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Durable {
    /// n0's.
    Coordinator(CoordinatorDisk),
    /// A participant's.
    Participant(ParticipantDisk),
}
