//! Session guarantees (Terry, Demers, Petersen, Spreitzer, Theimer & Welch, "Session guarantees
//! for weakly consistent replicated data", PDIS 1994), each for every session (= client):
//!
//! - **Read your writes**: a read sees every write its session made before it.
//! - **Monotonic reads**: a read sees every write that an earlier read of its session saw.
//! - **Monotonic writes**: a session's writes are ordered as the session made them.
//! - **Writes follow reads**: a write is ordered after every write its session had read before.
//!
//! Brzeziński, Sobaniec & Wawrzyniak ("From session causality to causal consistency", PDP 2004)
//! restate them per replica; Viotti & Vukolić ("Consistency in non-transactional distributed
//! storage systems", ACM Computing Surveys 2016) give the axioms used here, over a *visibility*
//! relation (which writes a read saw) and an *arbitration* order (how replicas order writes):
//! read-your-writes `so(w→r) ⊆ vis`, monotonic reads `vis;so(r→r) ⊆ vis`, monotonic writes
//! `so(w→w) ⊆ ar`, writes-follow-reads `vis;so(r→w) ⊆ ar`, and a read returns the value of the
//! arbitration-latest write it saw (or the initial value if it saw none).
//!
//! **Version order.** The history does not say how writes were arbitrated, so a guarantee
//! *holds* when some arbitration order explains every read with it: one total order of each
//! register's writes, shared by all replicas (as last-writer-wins timestamps give). Each
//! guarantee turns what sessions saw into constraints "write a before write b" on that order:
//!
//! - read your writes: a read that returned `v` after its session wrote `u ≠ v` puts `u` before
//!   `v`; a read of the initial value after its session wrote the register violates it outright;
//! - monotonic reads: a read of `v` followed in its session by a read of `u ≠ v` puts `v` before
//!   `u`; a read of the initial value after a read of a written value violates it outright;
//! - monotonic writes: a session's write of `u` and then of `v` puts `u` before `v`;
//! - writes follow reads: a read of `u` and then a write of `v` in the session puts `u` before `v`.
//!
//! A guarantee is *violated* exactly when its constraints have a cycle (or it is violated
//! outright): then no arbitration order satisfies it. Monotonic writes alone only constrains the
//! arbitration, which reads of a register never show by themselves, so it is judged *assuming
//! the other three hold*: violated when all constraints together have a cycle but the other
//! three's together do not, unknown when theirs already do (or one of them is violated). A
//! history in which no session writes one register twice gives monotonic writes no constraint
//! at all, so it holds whatever the other three say. Constraints are per register (key): a
//! key-value history is checked key by key.
//!
//! Because the arbitration is shared, these are stronger than causal memory in one way: two
//! sessions that see two concurrent writes in opposite orders break monotonic reads here (no one
//! order explains both), though causal memory allows it.
//!
//! Writes-into comes from unique written values, as for [`super::causal`]; a read of a value no
//! one wrote violates every guarantee (none can explain it). Unknown outcomes: a write with one
//! counts only if its value was read, and then it is a later write of its session (constraints
//! end at it) but not an earlier one for anything after it; a read with one is left out.

use super::history::{LowerError, RwHistory, RwKind};
use super::{ConsistencyModel, Judgement, Verdict};
use crate::lin::RawHistory;
use std::collections::{BTreeMap, BTreeSet};

/// Most constraints ("write a before write b") the session checks collect; beyond, every
/// guarantee is `Unknown`.
pub const SESSION_CONSTRAINTS_MAX: usize = 1_000_000;

/// The four guarantees, in report order.
const GUARANTEES: [ConsistencyModel; 4] = [
    ConsistencyModel::ReadYourWrites,
    ConsistencyModel::MonotonicReads,
    ConsistencyModel::MonotonicWrites,
    ConsistencyModel::WritesFollowReads,
];

/// One constraint: write `before` precedes write `after` in the arbitration, because of `cause`
/// (the later operation of the session) following `earlier` (the earlier one).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Constraint {
    before: usize,
    after: usize,
    guarantee: ConsistencyModel,
    earlier: usize,
    cause: usize,
}

/// An outright violation: a read of the initial value that the guarantee forbids.
struct Outright {
    guarantee: ConsistencyModel,
    earlier: usize,
    read: usize,
}

/// Judges the four session guarantees, in the order read your writes, monotonic reads,
/// monotonic writes, writes follow reads.
pub fn check(raw: &RawHistory) -> Vec<Judgement> {
    let every = |verdict: Verdict, sentence: &str| {
        GUARANTEES
            .iter()
            .map(|&m| Judgement::new(m, verdict, sentence))
            .collect()
    };
    let h = match RwHistory::lower(raw) {
        Ok(h) => h,
        Err(LowerError::Unsupported(why)) => {
            return every(Verdict::NotApplicable, &format!("not applicable: {why}"))
        }
        Err(LowerError::Ambiguous(why)) => {
            return every(Verdict::Unknown, &format!("unknown: {why}"))
        }
    };
    if let Some((i, op)) = h.ops.iter().enumerate().find(|(_, op)| {
        op.kind == RwKind::Read && op.value.is_some_and(|v| h.writer[v as usize].is_none())
    }) {
        let sentence = format!(
            "thin-air read: client {} read {}{}, which no client wrote",
            op.client,
            h.value_name(op.value),
            h.on_key(op.key)
        );
        return GUARANTEES
            .iter()
            .map(|&m| Judgement::violated(m, h.raw_indices(&[i]), sentence.clone()))
            .collect();
    }
    let Some((constraints, outright)) = collect(&h) else {
        return every(
            Verdict::Unknown,
            &format!(
                "unknown: more than {SESSION_CONSTRAINTS_MAX} ordering constraints between \
                 writes"
            ),
        );
    };
    let mut judgements: Vec<Judgement> = GUARANTEES
        .iter()
        .map(|&m| judge_alone(&h, m, &constraints, &outright))
        .collect();
    judgements[2] = judge_monotonic_writes(&h, &constraints, &judgements);
    judgements
}

/// Collects every guarantee's constraints, or `None` past [`SESSION_CONSTRAINTS_MAX`].
fn collect(h: &RwHistory) -> Option<(BTreeSet<Constraint>, Vec<Outright>)> {
    let mut constraints = BTreeSet::new();
    let mut outright = Vec::new();
    let mut sessions: BTreeMap<u64, Vec<usize>> = BTreeMap::new();
    for (i, op) in h.ops.iter().enumerate() {
        sessions.entry(op.client).or_default().push(i);
    }
    let writer = |i: usize| h.ops[i].value.and_then(|v| h.writer[v as usize]);
    for ops in sessions.values() {
        for (k, &later) in ops.iter().enumerate() {
            let op = &h.ops[later];
            // Earlier operations of the session on the same register; a write with an unknown
            // outcome is nobody's earlier operation.
            let earlier = ops[..k]
                .iter()
                .copied()
                .filter(|&e| h.ops[e].key == op.key && !h.ops[e].ghost);
            let mut add = |before: usize, guarantee, earlier: usize| {
                if before != later_target(h, later, writer) {
                    constraints.insert(Constraint {
                        before,
                        after: later_target(h, later, writer),
                        guarantee,
                        earlier,
                        cause: later,
                    });
                }
            };
            match op.kind {
                RwKind::Read => {
                    let seen = writer(later);
                    let mut last_read = None;
                    for e in earlier {
                        match h.ops[e].kind {
                            RwKind::Write if seen.is_none() => outright.push(Outright {
                                guarantee: ConsistencyModel::ReadYourWrites,
                                earlier: e,
                                read: later,
                            }),
                            RwKind::Write => add(e, ConsistencyModel::ReadYourWrites, e),
                            RwKind::Read => last_read = Some(e),
                        }
                    }
                    if let Some(e) = last_read {
                        match (writer(e), seen) {
                            (Some(_), None) => outright.push(Outright {
                                guarantee: ConsistencyModel::MonotonicReads,
                                earlier: e,
                                read: later,
                            }),
                            (Some(w), Some(_)) => add(w, ConsistencyModel::MonotonicReads, e),
                            (None, _) => {}
                        }
                    }
                }
                RwKind::Write => {
                    for e in earlier {
                        match h.ops[e].kind {
                            RwKind::Write => add(e, ConsistencyModel::MonotonicWrites, e),
                            RwKind::Read => {
                                if let Some(w) = writer(e) {
                                    add(w, ConsistencyModel::WritesFollowReads, e);
                                }
                            }
                        }
                    }
                }
            }
            if constraints.len() > SESSION_CONSTRAINTS_MAX {
                return None;
            }
        }
    }
    Some((constraints, outright))
}

/// The write a session's later operation concerns: the write itself, or the write a read read.
fn later_target(h: &RwHistory, later: usize, writer: impl Fn(usize) -> Option<usize>) -> usize {
    match h.ops[later].kind {
        RwKind::Write => later,
        // Reads of the initial value add no constraint (they are outright or nothing).
        RwKind::Read => writer(later).unwrap_or(later),
    }
}

fn judge_alone(
    h: &RwHistory,
    guarantee: ConsistencyModel,
    constraints: &BTreeSet<Constraint>,
    outright: &[Outright],
) -> Judgement {
    if let Some(o) = outright.iter().find(|o| o.guarantee == guarantee) {
        let read = &h.ops[o.read];
        let sentence = match guarantee {
            ConsistencyModel::ReadYourWrites => format!(
                "client {} read nil{} after its own write of {}",
                read.client,
                h.on_key(read.key),
                h.value_name(h.ops[o.earlier].value)
            ),
            _ => format!(
                "client {} read nil{} after it had read {}",
                read.client,
                h.on_key(read.key),
                h.value_name(h.ops[o.earlier].value)
            ),
        };
        return Judgement::violated(guarantee, h.raw_indices(&[o.earlier, o.read]), sentence);
    }
    let mine: Vec<Constraint> = constraints
        .iter()
        .copied()
        .filter(|c| c.guarantee == guarantee)
        .collect();
    match find_cycle(h.ops.len(), &mine) {
        Some(cycle) => cycle_judgement(h, guarantee, &cycle, ""),
        None => Judgement::new(guarantee, Verdict::Holds, holds_sentence(guarantee)),
    }
}

fn judge_monotonic_writes(
    h: &RwHistory,
    constraints: &BTreeSet<Constraint>,
    others: &[Judgement],
) -> Judgement {
    let model = ConsistencyModel::MonotonicWrites;
    if !constraints.iter().any(|c| c.guarantee == model) {
        return Judgement::new(
            model,
            Verdict::Holds,
            "no client wrote one register twice, so there is no order of a session's writes \
             to keep",
        );
    }
    let all: Vec<Constraint> = constraints.iter().copied().collect();
    let Some(cycle) = find_cycle(h.ops.len(), &all) else {
        return Judgement::new(model, Verdict::Holds, holds_sentence(model));
    };
    let rest: Vec<Constraint> = all
        .iter()
        .copied()
        .filter(|c| c.guarantee != model)
        .collect();
    let others_fail = others
        .iter()
        .any(|j| j.model != model && j.verdict != Verdict::Holds);
    if others_fail || find_cycle(h.ops.len(), &rest).is_some() {
        return Judgement::new(
            model,
            Verdict::Unknown,
            "unknown: monotonic writes shows only through the other guarantees, and they \
             cannot all hold at once here",
        );
    }
    cycle_judgement(
        h,
        model,
        &cycle,
        " (assuming the other three guarantees hold)",
    )
}

fn holds_sentence(guarantee: ConsistencyModel) -> &'static str {
    match guarantee {
        ConsistencyModel::ReadYourWrites => {
            "some order of the writes lets every read see its session's earlier writes"
        }
        ConsistencyModel::MonotonicReads => {
            "some order of the writes lets every read see what its session's earlier reads saw"
        }
        ConsistencyModel::MonotonicWrites => {
            "some order of the writes keeps each session's writes in its order and explains \
             the reads under the other three guarantees"
        }
        _ => "some order of the writes puts each write after the writes its session had read",
    }
}

fn cycle_judgement(
    h: &RwHistory,
    guarantee: ConsistencyModel,
    cycle: &[Constraint],
    qualifier: &str,
) -> Judgement {
    let reasons: Vec<String> = cycle.iter().map(|c| reason(h, c)).collect();
    let mut ops: Vec<usize> = Vec::new();
    for c in cycle {
        ops.extend([c.before, c.after, c.earlier, c.cause]);
    }
    let key = h.on_key(h.ops[cycle[0].before].key);
    Judgement::violated(
        guarantee,
        h.raw_indices(&ops),
        format!(
            "no order of the writes{key} explains it{qualifier}: {}",
            reasons.join("; ")
        ),
    )
}

/// Why a constraint holds, e.g. `client 1 read 2 and then 1 (so 2 before 1)`.
fn reason(h: &RwHistory, c: &Constraint) -> String {
    let value = |i: usize| h.value_name(h.ops[i].value);
    let (earlier, cause) = (&h.ops[c.earlier], &h.ops[c.cause]);
    let what = match c.guarantee {
        ConsistencyModel::ReadYourWrites => format!(
            "client {} wrote {} and then read {}",
            cause.client,
            value(c.earlier),
            value(c.cause)
        ),
        ConsistencyModel::MonotonicReads => format!(
            "client {} read {} and then {}",
            cause.client,
            value(c.earlier),
            value(c.cause)
        ),
        ConsistencyModel::MonotonicWrites => format!(
            "client {} wrote {} and then {}",
            cause.client,
            value(c.earlier),
            value(c.cause)
        ),
        _ => format!(
            "client {} read {} and then wrote {}",
            earlier.client,
            value(c.earlier),
            value(c.cause)
        ),
    };
    format!("{what} (so {} before {})", value(c.before), value(c.after))
}

/// A cycle among constraints over `n` operations, as the constraints along it in order.
fn find_cycle(n: usize, constraints: &[Constraint]) -> Option<Vec<Constraint>> {
    let mut out: Vec<Vec<usize>> = vec![Vec::new(); n];
    for (k, c) in constraints.iter().enumerate() {
        out[c.before].push(k);
    }
    // 0 unvisited, 1 on the current path, 2 done.
    let mut color = vec![0u8; n];
    for root in 0..n {
        if color[root] != 0 || out[root].is_empty() {
            continue;
        }
        // Path of (node, next outgoing index, constraint that led here).
        let mut path: Vec<(usize, usize, Option<usize>)> = vec![(root, 0, None)];
        color[root] = 1;
        while let Some(top) = path.last_mut() {
            let (node, next) = (top.0, top.1);
            if next == out[node].len() {
                color[node] = 2;
                path.pop();
                continue;
            }
            top.1 += 1;
            let k = out[node][next];
            let to = constraints[k].after;
            match color[to] {
                0 => {
                    color[to] = 1;
                    path.push((to, 0, Some(k)));
                }
                1 => {
                    let start = path.iter().position(|p| p.0 == to).unwrap_or_default();
                    let mut cycle: Vec<Constraint> = path[start + 1..]
                        .iter()
                        .filter_map(|p| p.2.map(|k| constraints[k]))
                        .collect();
                    cycle.push(constraints[k]);
                    return Some(cycle);
                }
                _ => {}
            }
        }
    }
    None
}
