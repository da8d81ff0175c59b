//! Figure 3's properties, judged on every step, and the liveness properties.

use super::*;

pub(super) fn durable<'a>(w: &WorldRef<'a, Raft>, n: NodeId) -> Option<&'a Durable> {
    w.durable(n)
}

pub(super) fn up_state<'a>(w: &WorldRef<'a, Raft>, n: NodeId) -> Option<&'a NodeState> {
    w.state(n).filter(|_| w.status(n) != Status::Down)
}

/// Election Safety: at most one leader can be elected in a given term (§5.2). Reads every
/// node's ghost record of the terms it led, and the current role and term of live nodes.
pub fn election_safety(w: &WorldRef<'_, Raft>) -> bool {
    let mut claims: Vec<(Term, NodeId)> = Vec::new();
    for n in 0..w.nodes() {
        if let Some(d) = durable(w, n) {
            claims.extend(d.ghost.led_terms.iter().map(|&t| (t, n)));
        }
        if let Some(s) = up_state(w, n) {
            claims.extend(s.ghost.led_terms.iter().map(|&t| (t, n)));
            if s.role == Role::Leader {
                claims.push((s.persistent.current_term, n));
            }
        }
    }
    claims.sort_unstable();
    claims.dedup();
    claims.windows(2).all(|p| p[0].0 != p[1].0)
}

/// Leader Append-Only: a leader never overwrites or deletes entries in its log; it only
/// appends (§5.3). The ghost record notes every handler in which a node that was leader
/// before and after it changed an existing entry of its own log.
pub fn leader_append_only(w: &WorldRef<'_, Raft>) -> bool {
    (0..w.nodes()).all(|n| {
        durable(w, n).is_none_or(|d| d.ghost.rewrote_as_leader.is_empty())
            && up_state(w, n).is_none_or(|s| s.ghost.rewrote_as_leader.is_empty())
    })
}

/// Log Matching: if two logs contain an entry with the same index and term, then the logs are
/// identical in all entries up through that index (§5.3). Checked over the durable logs of all
/// nodes, up or down.
pub fn log_matching(w: &WorldRef<'_, Raft>) -> bool {
    let logs: Vec<&[Entry]> = (0..w.nodes())
        .filter_map(|n| durable(w, n).map(|d| &d.raft.log[..]))
        .collect();
    for (i, a) in logs.iter().enumerate() {
        for b in &logs[i + 1..] {
            let common = a.len().min(b.len());
            if let Some(k) = (0..common).rev().find(|&k| a[k].term == b[k].term) {
                if a[..=k] != b[..=k] {
                    return false;
                }
            }
        }
    }
    true
}

/// Leader Completeness: if a log entry is committed in a given term, then that entry will be
/// present in the logs of the leaders for all higher-numbered terms (§5.4). A commit is what a
/// leader declared (its ghost commit marks); by Log Matching the mark's entry stands for the
/// whole prefix.
pub fn leader_completeness(w: &WorldRef<'_, Raft>) -> bool {
    let marks: Vec<CommitMark> = (0..w.nodes())
        .filter_map(|n| durable(w, n))
        .flat_map(|d| d.ghost.commits.iter().copied())
        .collect();
    (0..w.nodes()).all(|n| {
        let Some(s) = up_state(w, n) else { return true };
        if s.role != Role::Leader {
            return true;
        }
        let t = s.persistent.current_term;
        marks
            .iter()
            .filter(|m| m.term < t)
            .all(|m| s.persistent.term_at(m.index) == Some(m.entry_term))
    })
}

/// State Machine Safety: if a server has applied a log entry at a given index to its state
/// machine, no other server will ever apply a different log entry for the same index (§5.4.3).
/// Every applied sequence — live state machines and every node's ghost history — must be a
/// prefix of the longest one.
pub fn state_machine_safety(w: &WorldRef<'_, Raft>) -> bool {
    let mut seqs: Vec<&[Rc<str>]> = Vec::new();
    for n in 0..w.nodes() {
        if let Some(d) = durable(w, n) {
            seqs.push(&d.ghost.applied);
        }
        if let Some(s) = up_state(w, n) {
            seqs.push(&s.applied);
            seqs.push(&s.ghost.applied);
        }
    }
    let Some(longest) = seqs.iter().max_by_key(|s| s.len()).copied() else {
        return true;
    };
    seqs.iter().all(|s| longest[..s.len()] == **s)
}

/// The up leader whose term is the highest term among up nodes, if any.
fn current_leader<'a>(w: &WorldRef<'a, Raft>) -> Option<&'a NodeState> {
    let up: Vec<&NodeState> = (0..w.nodes()).filter_map(|n| up_state(w, n)).collect();
    let top = up.iter().map(|s| s.persistent.current_term).max()?;
    up.into_iter()
        .find(|s| s.role == Role::Leader && s.persistent.current_term == top)
}

/// Liveness (§5.2): once the network heals, a leader is elected (an up node leads in the
/// highest term any up node has seen).
pub fn leader_elected(w: &WorldRef<'_, Raft>) -> bool {
    current_leader(w).is_some()
}

/// Liveness (§5.3, §8): once the network heals, the leader's whole log — every client command
/// it holds and its no-op — is committed, and every up node has the same log and has applied
/// all of it.
pub fn log_committed(w: &WorldRef<'_, Raft>) -> bool {
    let Some(l) = current_leader(w) else {
        return false;
    };
    let last = l.persistent.last_index();
    l.commit_index == last
        && (0..w.nodes()).all(|n| match up_state(w, n) {
            Some(s) => s.persistent.log == l.persistent.log && s.last_applied == last,
            None => w.status(n) == Status::Down,
        })
}

/// Every property, in the order they are checked.
pub fn properties() -> Vec<Property<Raft>> {
    vec![
        Property::always("election-safety", election_safety),
        Property::always("leader-append-only", leader_append_only),
        Property::always("log-matching", log_matching),
        Property::always("leader-completeness", leader_completeness),
        Property::always("state-machine-safety", state_machine_safety),
        Property::eventually("leader-elected", LIVENESS_TICKS, leader_elected),
        Property::eventually("log-committed", LIVENESS_TICKS, log_committed),
    ]
}

/// After the heal, a leader must be elected and the log committed everywhere within this many
/// ticks: several election timeouts (split votes are possible) plus the repair of a follower
/// far behind, one AppendEntries round trip per batch.
pub const LIVENESS_TICKS: u64 = 3_000;
