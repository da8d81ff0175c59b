//! What atomic commitment promises (Bernstein, Hadzilacos & Goodman 1987, chapter 7, the
//! conditions AC1–AC5, in the form a run can be judged by), and the bank's own invariant.
//!
//! Three are history monitors over the trace's notes and deliveries: `atomic-outcome` (AC1:
//! every node that decides a transaction decides the same), `commit-needs-all-yes` (AC3: a
//! commit needs every participant's YES) and `no-unilateral-abort` (a participant that voted
//! YES is *uncertain*: it has given up the right to abort, so it aborts only when told).
//! `money-conserved` is judged on the participants' disks alone, and `all-decided` (AC5: once
//! every failure is repaired, every node decides) on the nodes' state.

use std::collections::{BTreeMap, BTreeSet};

use super::types::*;
use super::TwoPc;
use crate::sim::protocol::NodeId;
use crate::sim::spec::Action;
use crate::sim::trace::{Event, TraceEvent};
use crate::sim::world::{Monitor, PropKind, Property, Status, WorldRef};

/// After the faults end, every transaction must be decided everywhere and every lock released
/// within this many ticks (long enough for a restarted coordinator to run the rest of the
/// workload).
pub const LIVENESS_TICKS: u64 = 2_500;

/// `atomic-outcome`: the first decision of each transaction, and who made it.
#[derive(Clone, Default)]
pub struct AtomicOutcome {
    decided: BTreeMap<TxId, (Outcome, NodeId)>,
}

impl Monitor<TwoPc> for AtomicOutcome {
    fn on_event(&mut self, ev: &TraceEvent<TwoPc>, _: &WorldRef<'_, TwoPc>) -> Result<(), String> {
        let Event::Note {
            node,
            note: Note::Decided { tx, outcome },
        } = &ev.event
        else {
            return Ok(());
        };
        match self.decided.get(tx) {
            Some((first, by)) if first != outcome => Err(format!(
                "n{node} decides {outcome} t{tx}, but n{by} decided {first} t{tx}"
            )),
            Some(_) => Ok(()),
            None => {
                self.decided.insert(*tx, (*outcome, *node));
                Ok(())
            }
        }
    }
    fn clone_box(&self) -> Box<dyn Monitor<TwoPc>> {
        Box::new(self.clone())
    }
}

/// `commit-needs-all-yes`: each transaction's participants (from the coordinator's `begin`)
/// and the votes sent.
#[derive(Clone, Default)]
pub struct CommitNeedsAllYes {
    participants: BTreeMap<TxId, Vec<NodeId>>,
    yes: BTreeSet<(TxId, NodeId)>,
    no: BTreeSet<(TxId, NodeId)>,
}

impl Monitor<TwoPc> for CommitNeedsAllYes {
    fn on_event(&mut self, ev: &TraceEvent<TwoPc>, _: &WorldRef<'_, TwoPc>) -> Result<(), String> {
        let Event::Note { node, note } = &ev.event else {
            return Ok(());
        };
        match note {
            Note::Begin { tx, transfer } => {
                self.participants.insert(*tx, transfer.participants());
            }
            Note::Voted { tx, vote } => {
                let set = if *vote == Vote::Yes {
                    &mut self.yes
                } else {
                    &mut self.no
                };
                set.insert((*tx, *node));
            }
            Note::Decided {
                tx,
                outcome: Outcome::Commit,
            } => {
                let Some(participants) = self.participants.get(tx) else {
                    return Err(format!("n{node} commits t{tx}, which never began"));
                };
                if let Some(p) = participants.iter().find(|p| self.no.contains(&(*tx, **p))) {
                    return Err(format!("n{node} commits t{tx}, but n{p} voted NO"));
                }
                if let Some(p) = participants
                    .iter()
                    .find(|p| !self.yes.contains(&(*tx, **p)))
                {
                    return Err(format!("n{node} commits t{tx}, but n{p} never voted YES"));
                }
            }
            _ => {}
        }
        Ok(())
    }
    fn clone_box(&self) -> Box<dyn Monitor<TwoPc>> {
        Box::new(self.clone())
    }
}

/// `no-unilateral-abort`: the participants that voted YES on a transaction, and those the
/// coordinator told ABORT (a delivered ABORT message).
#[derive(Clone, Default)]
pub struct NoUnilateralAbort {
    yes: BTreeSet<(TxId, NodeId)>,
    told: BTreeSet<(TxId, NodeId)>,
}

impl Monitor<TwoPc> for NoUnilateralAbort {
    fn on_event(&mut self, ev: &TraceEvent<TwoPc>, _: &WorldRef<'_, TwoPc>) -> Result<(), String> {
        match &ev.event {
            Event::Recv {
                from: COORDINATOR,
                to,
                msg:
                    Msg::Decision {
                        tx,
                        outcome: Outcome::Abort,
                    },
                ..
            } => {
                self.told.insert((*tx, *to));
            }
            Event::Note {
                node,
                note:
                    Note::Voted {
                        tx,
                        vote: Vote::Yes,
                    },
            } => {
                self.yes.insert((*tx, *node));
            }
            Event::Note {
                node,
                note:
                    Note::Decided {
                        tx,
                        outcome: Outcome::Abort,
                    },
            } if is_participant(*node)
                && self.yes.contains(&(*tx, *node))
                && !self.told.contains(&(*tx, *node)) =>
            {
                return Err(format!(
                    "n{node} voted YES on t{tx} and aborts it without being told to"
                ));
            }
            _ => {}
        }
        Ok(())
    }
    fn clone_box(&self) -> Box<dyn Monitor<TwoPc>> {
        Box::new(self.clone())
    }
}

/// `no-needless-abort` (AC4, non-triviality, for the bank): a participant that can commit its
/// part votes YES, and the coordinator aborts only on a NO or once the votes are late — never
/// once every participant's YES has reached it. Without it, aborting everything would satisfy
/// every other property.
///
/// A participant's ability is judged when a PREPARE is delivered, on its state just before it
/// handles it (locks and balances, as [`TwoPc::can_commit`] sees them). The coordinator's
/// decision is judged at the end of the step in which a transaction it began leaves
/// `Collecting` (the votes it holds freeze there), against the votes it holds and whether its
/// vote timer has fired.
#[derive(Clone, Default)]
pub struct NoNeedlessAbort {
    able: BTreeSet<(TxId, NodeId)>,
    late: BTreeSet<TxId>,
    judged: BTreeSet<TxId>,
}

impl Monitor<TwoPc> for NoNeedlessAbort {
    fn on_event(&mut self, ev: &TraceEvent<TwoPc>, w: &WorldRef<'_, TwoPc>) -> Result<(), String> {
        match &ev.event {
            Event::Recv {
                to,
                msg: Msg::Prepare { tx, ops },
                ..
            } => {
                if let Some(State::Participant(p)) = w.state(*to) {
                    if !p.txs.contains_key(tx) {
                        if TwoPc::can_commit(p, *to, ops) {
                            self.able.insert((*tx, *to));
                        } else {
                            self.able.remove(&(*tx, *to));
                        }
                    }
                }
                Ok(())
            }
            Event::Timer {
                node: COORDINATOR,
                timer: Timer::Votes(tx),
            } => {
                self.late.insert(*tx);
                Ok(())
            }
            Event::Note {
                node,
                note: Note::Voted { tx, vote: Vote::No },
            } if self.able.contains(&(*tx, *node)) => Err(format!(
                "n{node} votes NO on t{tx}, although it can commit its part (its accounts are \
                 free and no debit overdraws)"
            )),
            _ => Ok(()),
        }
    }
    fn after_step(&mut self, w: &WorldRef<'_, TwoPc>) -> Result<(), String> {
        let Some(State::Coordinator(c)) = up(w, COORDINATOR) else {
            return Ok(());
        };
        for (tx, t) in &c.txs {
            // Only the transactions this run of n0 began and has just decided.
            if t.transfer.is_none() || t.phase == Phase::Collecting || !self.judged.insert(*tx) {
                continue;
            }
            let aborted = matches!(
                t.phase,
                Phase::Deciding(Outcome::Abort)
                    | Phase::Announced(Outcome::Abort)
                    | Phase::Ended(Outcome::Abort)
            );
            if !aborted {
                continue;
            }
            let yes = |p: &NodeId| t.votes.get(p) == Some(&Vote::Yes);
            if t.participants.iter().all(yes) {
                let names: Vec<String> = t.participants.iter().map(|p| format!("n{p}")).collect();
                return Err(format!(
                    "n0 decides ABORT t{tx}, although every participant ({}) voted YES",
                    names.join(", ")
                ));
            }
            if !t.votes.values().any(|v| *v == Vote::No) && !self.late.contains(tx) {
                return Err(format!(
                    "n0 decides ABORT t{tx} with no NO vote, before the votes are late"
                ));
            }
        }
        Ok(())
    }
    fn clone_box(&self) -> Box<dyn Monitor<TwoPc>> {
        Box::new(self.clone())
    }
}

/// The `no-needless-abort` property (the challenge judges it besides [`properties`]).
pub fn no_needless_abort() -> Property<TwoPc> {
    Property::monitor("no-needless-abort", PropKind::Always, || {
        Box::new(NoNeedlessAbort::default())
    })
}

/// A participant's disk (the opening balances before it first writes).
pub fn disk_of(w: &WorldRef<'_, TwoPc>, p: NodeId) -> ParticipantDisk {
    match w.durable(p) {
        Some(Durable::Participant(d)) => d.clone(),
        _ => ParticipantDisk::default(),
    }
}

/// The bank as its disks hold it: committed balances, the money of committed transfers not
/// yet applied everywhere, and the transfers whose outcome differs between participants.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Bank {
    /// Each participant's committed balances (n1's first).
    pub balances: Vec<Vec<i64>>,
    /// Of transactions committed at one participant, the ops still in doubt at another.
    pub in_flight: i64,
    /// The transactions committed on some disk (in order).
    pub committed: Vec<TxId>,
    /// Transactions committed at one participant and aborted at another.
    pub split: Vec<TxId>,
}

impl Bank {
    /// The total the disks account for: balances plus money in flight.
    pub fn total(&self) -> i64 {
        self.balances.iter().flatten().sum::<i64>() + self.in_flight
    }
    /// Whether the total is the bank's and no account is negative.
    pub fn conserved(&self) -> bool {
        self.total() == TOTAL && self.balances.iter().flatten().all(|b| *b >= 0)
    }
}

/// The bank as the participants' disks hold it now.
pub fn bank(w: &WorldRef<'_, TwoPc>) -> Bank {
    let disks: Vec<ParticipantDisk> = (1..=PARTICIPANTS).map(|p| disk_of(w, p)).collect();
    let mut outcomes: BTreeMap<TxId, BTreeSet<Outcome>> = BTreeMap::new();
    for d in &disks {
        for r in &d.log {
            if let Record::Decision { tx, outcome, .. } = r {
                outcomes.entry(*tx).or_default().insert(*outcome);
            }
        }
    }
    let committed: Vec<TxId> = outcomes
        .iter()
        .filter(|(_, o)| o.contains(&Outcome::Commit))
        .map(|(tx, _)| *tx)
        .collect();
    let split = outcomes
        .iter()
        .filter(|(_, o)| o.len() > 1)
        .map(|(tx, _)| *tx)
        .collect();
    let mut in_flight = 0;
    for d in &disks {
        for r in &d.log {
            let Record::Prepared { tx, ops } = r else {
                continue;
            };
            if committed.contains(tx) && logged(&d.log, *tx).1.is_none() {
                in_flight += ops.iter().map(|o| o.delta).sum::<i64>();
            }
        }
    }
    Bank {
        balances: disks.into_iter().map(|d| d.balances).collect(),
        in_flight,
        committed,
        split,
    }
}

/// `money-conserved`: the disks account for every unit of the bank's money (a transfer
/// committed at one participant and aborted at another, or forgotten, breaks it), and no
/// account is negative.
pub fn money_conserved(w: &WorldRef<'_, TwoPc>) -> bool {
    bank(w).conserved()
}

/// A node's state if it is up.
pub fn up<'a>(w: &WorldRef<'a, TwoPc>, n: NodeId) -> Option<&'a State> {
    w.state(n).filter(|_| w.status(n) == Status::Up)
}

/// Whether a node is up and has nothing left to finish: no undecided transaction, no lock,
/// nothing waiting for its disk.
pub fn settled(w: &WorldRef<'_, TwoPc>, n: NodeId) -> bool {
    match up(w, n) {
        Some(State::Coordinator(c)) => {
            c.queue.is_empty() && c.txs.values().all(|t| matches!(t.phase, Phase::Ended(_)))
        }
        Some(State::Participant(p)) => {
            p.queue.is_empty()
                && p.locks.is_empty()
                && p.txs
                    .values()
                    .all(|t| matches!(t.status, PartStatus::Done(_)))
        }
        None => false,
    }
}

/// `all-decided`: every node is up and settled.
pub fn all_decided(w: &WorldRef<'_, TwoPc>) -> bool {
    (0..w.nodes()).all(|n| settled(w, n))
}

/// `all-decided` as the challenge judges it: within [`LIVENESS_TICKS`] after the heal-all every
/// node is up and settled at some moment, and so it is again when the run ends (a transaction
/// begun after the heal that never ends fails it too). Its message says where each node is.
#[derive(Clone, Default)]
pub struct AllDecidedToTheEnd {
    healed: Option<u64>,
    settled_once: bool,
}

impl Monitor<TwoPc> for AllDecidedToTheEnd {
    fn on_event(&mut self, ev: &TraceEvent<TwoPc>, _: &WorldRef<'_, TwoPc>) -> Result<(), String> {
        if matches!(ev.event, Event::Action(Action::HealAll)) {
            self.healed = Some(ev.t);
            self.settled_once = false;
        }
        Ok(())
    }
    fn after_step(&mut self, w: &WorldRef<'_, TwoPc>) -> Result<(), String> {
        let Some(healed) = self.healed else {
            return Ok(());
        };
        if self.settled_once {
            return Ok(());
        }
        if all_decided(w) {
            self.settled_once = true;
        } else if w.time() > healed + LIVENESS_TICKS {
            return Err(format!(
                "{LIVENESS_TICKS} ticks after the heal at t={healed}, not everything is decided: {}",
                unsettled(w)
            ));
        }
        Ok(())
    }
    fn at_end(&mut self, w: &WorldRef<'_, TwoPc>) -> Result<(), String> {
        match self.healed {
            Some(healed) if !all_decided(w) => Err(format!(
                "when the run ends, {} ticks after the heal at t={healed}, not everything is \
                 decided: {}",
                w.time().saturating_sub(healed),
                unsettled(w)
            )),
            _ => Ok(()),
        }
    }
    fn clone_box(&self) -> Box<dyn Monitor<TwoPc>> {
        Box::new(self.clone())
    }
}

/// The `all-decided` property as the challenge judges it (see [`AllDecidedToTheEnd`]).
pub fn all_decided_to_the_end() -> Property<TwoPc> {
    Property::monitor(
        "all-decided",
        PropKind::EventuallyWithin(LIVENESS_TICKS),
        || Box::new(AllDecidedToTheEnd::default()),
    )
}

/// Where each node is, for a liveness failure: `n0 up: t1 COMMIT sent, 1 of 2 acknowledged;
/// n1 up: in doubt on t1 (a1 locked); n2 down; n3 up, nothing to finish`.
pub fn unsettled(w: &WorldRef<'_, TwoPc>) -> String {
    let mut parts = Vec::new();
    for n in 0..w.nodes() {
        let busy: Vec<String> = match up(w, n) {
            None => {
                parts.push(format!("n{n} down"));
                continue;
            }
            Some(State::Coordinator(c)) => c
                .txs
                .iter()
                .filter(|(_, t)| !matches!(t.phase, Phase::Ended(_)))
                .map(|(tx, t)| format!("t{tx} {}", super::view::phase_text(t)))
                .collect(),
            Some(State::Participant(p)) => p
                .txs
                .iter()
                .filter_map(|(tx, t)| {
                    let what = match t.status {
                        PartStatus::Done(_) => return None,
                        PartStatus::Preparing => "preparing",
                        PartStatus::InDoubt => "in doubt on",
                        PartStatus::Finishing(_) => "finishing",
                    };
                    let locks: Vec<String> = p
                        .locks
                        .iter()
                        .filter(|(_, holder)| *holder == tx)
                        .map(|(a, _)| a.to_string())
                        .collect();
                    Some(if locks.is_empty() {
                        format!("{what} t{tx}")
                    } else {
                        format!("{what} t{tx} ({} locked)", locks.join(", "))
                    })
                })
                .collect(),
        };
        parts.push(if busy.is_empty() {
            format!("n{n} up, nothing to finish")
        } else {
            format!("n{n} up: {}", busy.join(", "))
        });
    }
    parts.join("; ")
}

/// Every property, in the order they are judged.
pub fn properties() -> Vec<Property<TwoPc>> {
    vec![
        Property::monitor("commit-needs-all-yes", PropKind::Always, || {
            Box::new(CommitNeedsAllYes::default())
        }),
        Property::monitor("no-unilateral-abort", PropKind::Always, || {
            Box::new(NoUnilateralAbort::default())
        }),
        Property::monitor("atomic-outcome", PropKind::Always, || {
            Box::new(AtomicOutcome::default())
        }),
        Property::always("money-conserved", money_conserved),
        Property::eventually("all-decided", LIVENESS_TICKS, all_decided),
    ]
}
