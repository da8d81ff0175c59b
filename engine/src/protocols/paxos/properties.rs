//! Agreement, validity, learner consistency, and liveness once the network heals.

use super::*;

pub(super) fn up_state<'a>(w: &WorldRef<'a, Paxos>, n: NodeId) -> Option<&'a NodeState> {
    w.state(n).filter(|_| w.status(n) != Status::Down)
}

/// A node's ghost record: the one on stable storage (written in the same step as any change).
pub(super) fn ghost<'a>(w: &WorldRef<'a, Paxos>, n: NodeId) -> Option<&'a Ghost> {
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

pub(super) fn chosen_values(w: &WorldRef<'_, Paxos>) -> Vec<Value> {
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
