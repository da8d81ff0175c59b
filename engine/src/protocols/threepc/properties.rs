//! What atomic commitment promises (Bernstein, Hadzilacos & Goodman 1987, chapter 7), as
//! three-phase commit is judged here: `atomic-outcome` (AC1: no transaction committed at one
//! participant and aborted at another) and `commit-needs-all-yes` (AC3) as monitors over the
//! trace's notes, and `all-decided` (AC5: once the failures are repaired, everyone decides) on
//! the nodes' state.

use std::collections::{BTreeMap, BTreeSet};

use super::types::*;
use super::ThreePc;
use crate::sim::protocol::NodeId;
use crate::sim::trace::{Event, TraceEvent};
use crate::sim::world::{Monitor, PropKind, Property, Status, WorldRef};

/// After the faults end, every transaction must be decided everywhere within this many ticks
/// (a restarted coordinator's inquiry, or a participant's timeout and termination, and the
/// rest of the workload).
pub const LIVENESS_TICKS: u64 = 1_500;

/// `atomic-outcome`: the first decision of each transaction at a participant, and whose.
#[derive(Clone, Default)]
pub struct AtomicOutcome {
    decided: BTreeMap<TxId, (Outcome, NodeId)>,
}

impl Monitor<ThreePc> for AtomicOutcome {
    fn on_event(
        &mut self,
        ev: &TraceEvent<ThreePc>,
        _: &WorldRef<'_, ThreePc>,
    ) -> Result<(), String> {
        let Event::Note {
            node,
            note: Note::Decided { tx, outcome },
        } = &ev.event
        else {
            return Ok(());
        };
        if !is_participant(*node) {
            return Ok(());
        }
        match self.decided.get(tx) {
            Some((first, by)) if first != outcome => Err(format!(
                "{} (n{node}) decides {outcome} t{tx}, but {} (n{by}) decided {first} t{tx}",
                letter(*node),
                letter(*by)
            )),
            Some(_) => Ok(()),
            None => {
                self.decided.insert(*tx, (*outcome, *node));
                Ok(())
            }
        }
    }
    fn clone_box(&self) -> Box<dyn Monitor<ThreePc>> {
        Box::new(self.clone())
    }
}

/// `commit-needs-all-yes`: the transactions begun and the YES votes sent.
#[derive(Clone, Default)]
pub struct CommitNeedsAllYes {
    begun: BTreeSet<TxId>,
    yes: BTreeSet<(TxId, NodeId)>,
}

impl Monitor<ThreePc> for CommitNeedsAllYes {
    fn on_event(
        &mut self,
        ev: &TraceEvent<ThreePc>,
        _: &WorldRef<'_, ThreePc>,
    ) -> Result<(), String> {
        let Event::Note { node, note } = &ev.event else {
            return Ok(());
        };
        match note {
            Note::Begin { tx, .. } => {
                self.begun.insert(*tx);
            }
            Note::Voted { tx, yes: true } => {
                self.yes.insert((*tx, *node));
            }
            Note::Decided {
                tx,
                outcome: Outcome::Commit,
            } => {
                if !self.begun.contains(tx) {
                    return Err(format!("n{node} commits t{tx}, which never began"));
                }
                if let Some(p) = participants()
                    .into_iter()
                    .find(|p| !self.yes.contains(&(*tx, *p)))
                {
                    return Err(format!(
                        "n{node} commits t{tx}, but {} (n{p}) never voted YES",
                        letter(p)
                    ));
                }
            }
            _ => {}
        }
        Ok(())
    }
    fn clone_box(&self) -> Box<dyn Monitor<ThreePc>> {
        Box::new(self.clone())
    }
}

/// A node's state if it is up.
pub fn up<'a>(w: &WorldRef<'a, ThreePc>, n: NodeId) -> Option<&'a State> {
    w.state(n).filter(|_| w.status(n) == Status::Up)
}

/// Whether a node is up and has decided every transaction it knows of.
pub fn settled(w: &WorldRef<'_, ThreePc>, n: NodeId) -> bool {
    match up(w, n) {
        Some(State::Coordinator(c)) => c.txs.values().all(|t| matches!(t.phase, Phase::Decided(_))),
        Some(State::Participant(p)) => p.txs.values().all(|t| t.state.is_final()),
        None => false,
    }
}

/// `all-decided`: every node is up and has decided every transaction it knows of.
pub fn all_decided(w: &WorldRef<'_, ThreePc>) -> bool {
    (0..w.nodes()).all(|n| settled(w, n))
}

/// Every property, in the order they are judged.
pub fn properties() -> Vec<Property<ThreePc>> {
    vec![
        Property::monitor("atomic-outcome", PropKind::Always, || {
            Box::new(AtomicOutcome::default())
        }),
        Property::monitor("commit-needs-all-yes", PropKind::Always, || {
            Box::new(CommitNeedsAllYes::default())
        }),
        Property::eventually("all-decided", LIVENESS_TICKS, all_decided),
    ]
}
