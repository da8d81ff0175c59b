//! The decisions of two-phase commit behind [`TwoPcHooks`] — when the coordinator decides,
//! what each node logs before it sends, what a restarted node makes of its log, what a
//! participant in doubt does, what the coordinator presumes of a transaction it has no record
//! of — with the reference (presumed abort) and the known-wrong variants, each breaking one rule.
//!
//! A hook that returns [`Step`]s says what happens *in that order*: a [`Step::Log`] is a forced
//! write, and the steps after it wait until the record is on disk. Sending before logging is
//! therefore a real window in which a crash loses the record but not the message.

use std::sync::Arc;

use super::types::*;
use crate::sim::protocol::NodeId;

/// What a participant that is still in doubt does when its timer fires.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InDoubt {
    /// Ask the coordinator again (and keep the locks).
    Ask,
    /// Give up and abort on its own.
    Abort,
}

/// A decision a restarted coordinator finds in its log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Known {
    /// The transaction.
    pub tx: TxId,
    /// Its decision.
    pub outcome: Outcome,
    /// The participants to tell.
    pub participants: Vec<NodeId>,
    /// Whether END is logged (every participant acknowledged).
    pub ended: bool,
}

/// Coordinator, after each vote and when the votes are late: COMMIT once every participant
/// voted YES, ABORT on any NO or once the votes are late; otherwise wait (`None`).
pub fn decide(votes: &[(NodeId, Option<Vote>)], timed_out: bool) -> Option<Outcome> {
    if votes.iter().any(|(_, v)| *v == Some(Vote::No)) {
        return Some(Outcome::Abort);
    }
    if votes.iter().all(|(_, v)| *v == Some(Vote::Yes)) {
        return Some(Outcome::Commit);
    }
    timed_out.then_some(Outcome::Abort)
}

/// Coordinator: force the decision to the log (for COMMIT, the commit point), then tell every
/// participant.
pub fn announce(tx: TxId, outcome: Outcome, participants: &[NodeId]) -> Vec<Step> {
    let mut steps = vec![Step::Log(Record::Decision {
        tx,
        outcome,
        participants: participants.to_vec(),
    })];
    steps.extend(
        participants
            .iter()
            .map(|&p| Step::Send(p, Msg::Decision { tx, outcome })),
    );
    steps
}

/// Coordinator, restarted: every decision in its log, and whether it ended. The ones without
/// END are sent again; the rest answer late inquiries.
pub fn recover_coordinator(log: &[Record]) -> Vec<Known> {
    let mut known: Vec<Known> = Vec::new();
    for r in log {
        match r {
            Record::Decision {
                tx,
                outcome,
                participants,
            } => known.push(Known {
                tx: *tx,
                outcome: *outcome,
                participants: participants.clone(),
                ended: false,
            }),
            Record::End { tx } => {
                if let Some(k) = known.iter_mut().find(|k| k.tx == *tx) {
                    k.ended = true;
                }
            }
            Record::Prepared { .. } => {}
        }
    }
    known
}

/// Participant, on PREPARE: if it can commit, force PREPARED and then vote YES; if not, vote
/// NO and abort at once — a NO needs no forced record, since a participant with no record of
/// a transaction treats it as aborted (the log gets ABORT afterwards, for the reader).
pub fn prepare(tx: TxId, ops: &[Op], can_commit: bool, coordinator: NodeId) -> Vec<Step> {
    if can_commit {
        vec![
            Step::Log(Record::Prepared {
                tx,
                ops: ops.to_vec(),
            }),
            Step::Send(
                coordinator,
                Msg::Vote {
                    tx,
                    vote: Vote::Yes,
                },
            ),
        ]
    } else {
        vec![
            Step::Send(coordinator, Msg::Vote { tx, vote: Vote::No }),
            Step::Log(Record::Decision {
                tx,
                outcome: Outcome::Abort,
                participants: Vec::new(),
            }),
        ]
    }
}

/// Participant, told the outcome: force it to the log (applying a COMMIT and releasing the
/// locks once it is there), then acknowledge.
pub fn finish(tx: TxId, outcome: Outcome, coordinator: NodeId) -> Vec<Step> {
    vec![
        Step::Log(Record::Decision {
            tx,
            outcome,
            participants: Vec::new(),
        }),
        Step::Send(coordinator, Msg::Ack { tx }),
    ]
}

/// Participant, restarted: every transaction PREPARED in its log without an outcome is in
/// doubt.
pub fn recover_participant(log: &[Record]) -> Vec<TxId> {
    let mut doubt: Vec<TxId> = Vec::new();
    for r in log {
        match r {
            Record::Prepared { tx, .. } => doubt.push(*tx),
            Record::Decision { tx, .. } => doubt.retain(|t| t != tx),
            Record::End { .. } => {}
        }
    }
    doubt
}

/// The replaceable decisions of two-phase commit. Each method defaults to the reference
/// (presumed abort); a known-wrong variant, or a learner's code, overrides some of them.
pub trait TwoPcHooks {
    /// A short name, e.g. `reference`.
    fn name(&self) -> &str {
        "custom"
    }
    /// Coordinator: the decision after a vote arrives or the votes are late (see [`decide`]).
    fn decide(&self, votes: &[(NodeId, Option<Vote>)], timed_out: bool) -> Option<Outcome> {
        decide(votes, timed_out)
    }
    /// Coordinator: how it carries out its decision (see [`announce`]). Steps that log no
    /// decision record leave it in the coordinator's memory only: it is announced once they
    /// are out.
    fn announce(&self, tx: TxId, outcome: Outcome, participants: &[NodeId]) -> Vec<Step> {
        announce(tx, outcome, participants)
    }
    /// Coordinator, restarted: the decisions it takes from its log (see
    /// [`recover_coordinator`]).
    fn recover_coordinator(&self, log: &[Record]) -> Vec<Known> {
        recover_coordinator(log)
    }
    /// Coordinator: the answer about a transaction it has no decision for and is not deciding
    /// (an inquiry, or a late vote): presumed abort.
    fn presume(&self) -> Outcome {
        Outcome::Abort
    }
    /// Participant, on PREPARE: `can_commit` says whether the accounts are free and no debit
    /// overdraws (see [`prepare`]).
    fn prepare(&self, tx: TxId, ops: &[Op], can_commit: bool, coordinator: NodeId) -> Vec<Step> {
        prepare(tx, ops, can_commit, coordinator)
    }
    /// Participant, told the outcome (see [`finish`]).
    fn finish(&self, tx: TxId, outcome: Outcome, coordinator: NodeId) -> Vec<Step> {
        finish(tx, outcome, coordinator)
    }
    /// Participant in doubt for `waited_ticks` since it locked: a participant that voted YES
    /// may only ask.
    fn in_doubt(&self, _tx: TxId, _waited_ticks: u64) -> InDoubt {
        InDoubt::Ask
    }
    /// Participant, restarted: the transactions in doubt (see [`recover_participant`]); a
    /// PREPARED transaction left out is aborted.
    fn recover_participant(&self, log: &[Record]) -> Vec<TxId> {
        recover_participant(log)
    }
}

/// How long a participant of [`TwoPcVariant::AbortInDoubt`] waits in doubt before it aborts.
pub const GIVE_UP_TICKS: u64 = 150;

/// The reference and the known-wrong variants, each breaking one rule.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TwoPcVariant {
    /// Presumed abort as described in the lesson.
    Reference,
    /// The coordinator sends COMMIT before it logs the decision: a crash in between leaves
    /// participants that committed and a log that presumes abort (breaks `atomic-outcome`).
    SendBeforeLog,
    /// A participant in doubt times out and aborts on its own, although it voted YES (breaks
    /// `no-unilateral-abort`).
    AbortInDoubt,
    /// A restarted coordinator ignores its log: it neither sends its logged decisions again
    /// nor answers from them, so it tells a participant still in doubt ABORT for a transaction
    /// it committed (breaks `atomic-outcome`).
    ForgetOnRestart,
    /// The coordinator presumes COMMIT of a transaction it has no record of, without having
    /// logged that the transaction began (breaks `commit-needs-all-yes`: a participant that
    /// voted NO is overruled).
    PresumedCommit,
    /// A participant votes YES before PREPARED is on disk: restarted in that window, it knows
    /// nothing of the transaction the others commit (breaks `money-conserved`).
    VoteBeforeLog,
}

impl TwoPcVariant {
    /// Every variant, the reference first.
    pub const ALL: [TwoPcVariant; 6] = [
        TwoPcVariant::Reference,
        TwoPcVariant::SendBeforeLog,
        TwoPcVariant::AbortInDoubt,
        TwoPcVariant::ForgetOnRestart,
        TwoPcVariant::PresumedCommit,
        TwoPcVariant::VoteBeforeLog,
    ];

    /// The property a wrong variant breaks (`None` for the reference).
    pub fn breaks(self) -> Option<&'static str> {
        match self {
            TwoPcVariant::Reference => None,
            TwoPcVariant::SendBeforeLog | TwoPcVariant::ForgetOnRestart => Some("atomic-outcome"),
            TwoPcVariant::AbortInDoubt => Some("no-unilateral-abort"),
            TwoPcVariant::PresumedCommit => Some("commit-needs-all-yes"),
            TwoPcVariant::VoteBeforeLog => Some("money-conserved"),
        }
    }
}

/// Scenarios take either a built-in variant or any implementation of the hooks.
impl From<TwoPcVariant> for Arc<dyn TwoPcHooks> {
    fn from(variant: TwoPcVariant) -> Self {
        Arc::new(variant)
    }
}

impl TwoPcHooks for TwoPcVariant {
    fn name(&self) -> &str {
        match self {
            TwoPcVariant::Reference => "reference",
            TwoPcVariant::SendBeforeLog => "send-before-log",
            TwoPcVariant::AbortInDoubt => "abort-in-doubt",
            TwoPcVariant::ForgetOnRestart => "forget-on-restart",
            TwoPcVariant::PresumedCommit => "presumed-commit",
            TwoPcVariant::VoteBeforeLog => "vote-before-log",
        }
    }

    fn announce(&self, tx: TxId, outcome: Outcome, participants: &[NodeId]) -> Vec<Step> {
        let mut steps = announce(tx, outcome, participants);
        if *self == TwoPcVariant::SendBeforeLog {
            // The record goes last: every message is out before it reaches the disk.
            steps.rotate_left(1);
        }
        steps
    }

    fn recover_coordinator(&self, log: &[Record]) -> Vec<Known> {
        match self {
            TwoPcVariant::ForgetOnRestart => Vec::new(),
            _ => recover_coordinator(log),
        }
    }

    fn presume(&self) -> Outcome {
        match self {
            TwoPcVariant::PresumedCommit => Outcome::Commit,
            _ => Outcome::Abort,
        }
    }

    fn prepare(&self, tx: TxId, ops: &[Op], can_commit: bool, coordinator: NodeId) -> Vec<Step> {
        let mut steps = prepare(tx, ops, can_commit, coordinator);
        if *self == TwoPcVariant::VoteBeforeLog && can_commit {
            steps.reverse();
        }
        steps
    }

    fn in_doubt(&self, _tx: TxId, waited_ticks: u64) -> InDoubt {
        if *self == TwoPcVariant::AbortInDoubt && waited_ticks >= GIVE_UP_TICKS {
            InDoubt::Abort
        } else {
            InDoubt::Ask
        }
    }
}
