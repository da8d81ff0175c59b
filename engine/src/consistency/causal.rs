//! Causal memory (Ahamad, Neiger, Burns, Kohli & Hutto, "Causal memory: definitions,
//! implementation, and programming", Distributed Computing 9(1), 1995).
//!
//! **Definition implemented.** The *causal order* `co` is the transitive closure of program
//! order (each client's operations in the order it issued them) and *writes-into* (a write
//! precedes every read that returns its value). A history is causal when `co` is a partial order
//! (no cycle) and, for every client `p`, some serialization of `p`'s operations together with
//! *all* writes respects `co` and makes every read of `p` return the value of the last write to
//! its register before it (or the initial value if there is none). This is causal memory, "CM"
//! in Bouajjani, Enea, Guerraoui & Hamza, "On verifying causal consistency" (POPL 2017), which
//! also shows that, with unique written values, it is decidable in polynomial time by ruling out
//! a few bad patterns; the procedure below is such a decision.
//!
//! Writes-into comes from the values: every write of a register must write a different value
//! (else the answer is `Unknown`: "written values are not unique"), so a read of `v` read from
//! the one write of `v`. A read of a value no write wrote is a violation (a *thin-air read*).
//!
//! **Decision, per client `p`.** Start from `R = co` restricted to `p`'s operations and all
//! writes. For each read `r` of `p` that read from `w`, any other write `w'` to the register that
//! `R` puts before `r` must come before `w` too (else `r` would have read `w'` or something
//! later), so add `w' → w` and close transitively; repeat until nothing changes. `p`'s view
//! exists iff no read then has a write `w'` with `w → w' → r` in `R` (it would *read an
//! overwritten value*) and no read of the initial value has a write to its register before it.
//! Sufficiency: with those absent, `R` is acyclic (a cycle must use an added edge `w' → w`,
//! which with `w' → r` is the forbidden pattern), and placing, for each read of `p` in program
//! order, the not-yet-placed part of its down-set in any order respecting `R` and then the read,
//! makes each read's writer the last write to its register before it.
//!
//! Unknown outcomes (see [`super::history`]): a write with one counts only if its value was read,
//! and then it precedes nothing of its own client; a read with one is left out.
//!
//! Limit: [`CAUSAL_OPERATIONS_MAX`] operations (the closure is cubic in the worst case).

use super::history::{LowerError, RwHistory, RwKind};
use super::{ConsistencyModel, Judgement, Verdict};
use crate::lin::RawHistory;
use std::collections::BTreeMap;

const MODEL: ConsistencyModel = ConsistencyModel::Causal;

/// Most operations (reads and writes kept after lowering) the causal check takes; a longer
/// history is `Unknown`.
pub const CAUSAL_OPERATIONS_MAX: usize = 2_000;

/// A violation: lowered operation indices and the sentence.
pub(crate) struct Violation {
    pub ops: Vec<usize>,
    pub sentence: String,
}

/// Judges whether `raw` is causally consistent (causal memory).
pub fn check(raw: &RawHistory) -> Judgement {
    let history = match RwHistory::lower(raw) {
        Ok(history) => history,
        Err(LowerError::Unsupported(why)) => {
            return Judgement::new(
                MODEL,
                Verdict::NotApplicable,
                format!("not applicable: {why}"),
            )
        }
        Err(LowerError::Ambiguous(why)) => {
            return Judgement::new(MODEL, Verdict::Unknown, format!("unknown: {why}"))
        }
    };
    if history.ops.len() > CAUSAL_OPERATIONS_MAX {
        return Judgement::new(
            MODEL,
            Verdict::Unknown,
            format!(
                "unknown: {} reads and writes, more than the causal check takes \
                 ({CAUSAL_OPERATIONS_MAX})",
                history.ops.len()
            ),
        );
    }
    match judge(&history) {
        Ok(()) => Judgement::new(
            MODEL,
            Verdict::Holds,
            "every client's reads are explained by an order of its own operations and all \
             writes that respects causality",
        ),
        Err(v) => Judgement::violated(MODEL, history.raw_indices(&v.ops), v.sentence),
    }
}

/// A set of lowered operations.
#[derive(Clone, PartialEq, Eq)]
struct Bits(Vec<u64>);

impl Bits {
    fn new(n: usize) -> Self {
        Bits(vec![0; n.div_ceil(64)])
    }
    fn has(&self, i: usize) -> bool {
        self.0[i / 64] >> (i % 64) & 1 == 1
    }
    fn set(&mut self, i: usize) {
        self.0[i / 64] |= 1 << (i % 64);
    }
    fn union(&mut self, other: &Bits) {
        for (a, b) in self.0.iter_mut().zip(&other.0) {
            *a |= b;
        }
    }
    fn intersect(&mut self, other: &Bits) {
        for (a, b) in self.0.iter_mut().zip(&other.0) {
            *a &= b;
        }
    }
}

/// Decides causal memory for a lowered history.
pub(crate) fn judge(h: &RwHistory) -> Result<(), Violation> {
    thin_air(h)?;
    let preds = direct_predecessors(h);
    let order = topological_order(h, &preds)?;
    let n = h.ops.len();
    // before[j]: every operation causally before j.
    let mut before = vec![Bits::new(n); n];
    for &j in &order {
        let mut set = Bits::new(n);
        for &p in &preds[j] {
            set.union(&before[p]);
            set.set(p);
        }
        before[j] = set;
    }
    let mut clients: BTreeMap<u64, Vec<usize>> = BTreeMap::new();
    for (i, op) in h.ops.iter().enumerate() {
        clients.entry(op.client).or_default().push(i);
    }
    for own in clients.values() {
        view(h, own, &before)?;
    }
    Ok(())
}

fn thin_air(h: &RwHistory) -> Result<(), Violation> {
    for (i, op) in h.ops.iter().enumerate() {
        if let (RwKind::Read, Some(v)) = (op.kind, op.value) {
            if h.writer[v as usize].is_none() {
                return Err(Violation {
                    ops: vec![i],
                    sentence: format!(
                        "thin-air read: client {} read {}{}, which no client wrote",
                        op.client,
                        h.value_name(op.value),
                        h.on_key(op.key)
                    ),
                });
            }
        }
    }
    Ok(())
}

/// Per operation: its program-order predecessor and, for a read, the write it read from.
fn direct_predecessors(h: &RwHistory) -> Vec<Vec<usize>> {
    let mut preds = vec![Vec::new(); h.ops.len()];
    let mut last_of_client: BTreeMap<u64, usize> = BTreeMap::new();
    for (i, op) in h.ops.iter().enumerate() {
        if let Some(&p) = last_of_client.get(&op.client) {
            preds[i].push(p);
        }
        // A write with an unknown outcome may land at any time after its invoke: it follows its
        // client's earlier operations but precedes none of its later ones.
        if !op.ghost {
            last_of_client.insert(op.client, i);
        }
        if let (RwKind::Read, Some(v)) = (op.kind, op.value) {
            if let Some(w) = h.writer[v as usize] {
                preds[i].push(w);
            }
        }
    }
    preds
}

/// The operations in an order respecting causality, or the cycle that prevents one.
fn topological_order(h: &RwHistory, preds: &[Vec<usize>]) -> Result<Vec<usize>, Violation> {
    let n = h.ops.len();
    let mut succs = vec![Vec::new(); n];
    let mut waiting: Vec<usize> = preds.iter().map(Vec::len).collect();
    for (j, ps) in preds.iter().enumerate() {
        for &p in ps {
            succs[p].push(j);
        }
    }
    let mut ready: std::collections::BTreeSet<usize> =
        (0..n).filter(|&j| waiting[j] == 0).collect();
    let mut order = Vec::with_capacity(n);
    while let Some(j) = ready.pop_first() {
        order.push(j);
        for &s in &succs[j] {
            waiting[s] -= 1;
            if waiting[s] == 0 {
                ready.insert(s);
            }
        }
    }
    if order.len() == n {
        return Ok(order);
    }
    // Every operation left waits on another one left: walk back until one repeats.
    let left: Vec<bool> = waiting.iter().map(|&w| w > 0).collect();
    let start = (0..n).find(|&j| left[j]).unwrap_or_default();
    let mut seen_at = vec![usize::MAX; n];
    let mut walk = Vec::new();
    let mut at = start;
    while seen_at[at] == usize::MAX {
        seen_at[at] = walk.len();
        walk.push(at);
        at = preds[at].iter().copied().find(|&p| left[p]).unwrap_or(at);
    }
    let mut cycle: Vec<usize> = walk[seen_at[at]..].to_vec();
    cycle.reverse();
    let steps: Vec<String> = cycle.iter().map(|&i| h.describe(i)).collect();
    Err(Violation {
        ops: cycle,
        sentence: format!(
            "causality cycle: {} and back to the first, each before the next by program order \
             or by a read of the write's value",
            steps.join(" → ")
        ),
    })
}

/// Whether client `own`'s view can be serialized (see the module docs).
fn view(h: &RwHistory, own: &[usize], before: &[Bits]) -> Result<(), Violation> {
    let n = h.ops.len();
    let mut members = Bits::new(n);
    for &i in own {
        members.set(i);
    }
    for (i, op) in h.ops.iter().enumerate() {
        if op.kind == RwKind::Write {
            members.set(i);
        }
    }
    let mut r: Vec<Bits> = before
        .iter()
        .map(|b| {
            let mut b = b.clone();
            b.intersect(&members);
            b
        })
        .collect();
    let reads: Vec<usize> = own
        .iter()
        .copied()
        .filter(|&i| h.ops[i].kind == RwKind::Read)
        .collect();
    // First the patterns causal order shows by itself (the plainer sentence), then the ones
    // that need the view's derived orderings.
    find_pattern(h, &reads, &r, false)?;
    let mut changed = true;
    while changed {
        changed = false;
        for &read in &reads {
            let op = &h.ops[read];
            let Some(w) = op.value.and_then(|v| h.writer[v as usize]) else {
                continue;
            };
            for other in writes_to(h, op.key) {
                if other == w || !r[read].has(other) || r[w].has(other) {
                    continue;
                }
                // `other` must come before `w` in this view: add it, and everything before it,
                // to whatever follows `w` (and to `w` itself).
                let mut add = r[other].clone();
                add.set(other);
                for (j, row) in r.iter_mut().enumerate() {
                    if members.has(j) && (j == w || row.has(w)) {
                        row.union(&add);
                    }
                }
                changed = true;
                if r[w].has(w) {
                    return find_pattern(h, &reads, &r, true);
                }
            }
        }
    }
    find_pattern(h, &reads, &r, true)
}

fn writes_to(h: &RwHistory, key: u32) -> impl Iterator<Item = usize> + '_ {
    h.ops
        .iter()
        .enumerate()
        .filter(move |(_, op)| op.kind == RwKind::Write && op.key == key)
        .map(|(i, _)| i)
}

/// The first read (in program order) that `r` shows cannot be served: it read the initial
/// value with a write to its register before it, or a value overwritten before it.
fn find_pattern(
    h: &RwHistory,
    reads: &[usize],
    r: &[Bits],
    derived: bool,
) -> Result<(), Violation> {
    for &read in reads {
        let op = &h.ops[read];
        match op.value.and_then(|v| h.writer[v as usize]) {
            None => {
                if let Some(w) = writes_to(h, op.key).find(|&w| r[read].has(w)) {
                    return Err(Violation {
                        ops: vec![read, w],
                        sentence: format!(
                            "client {} read nil{} although {} {} before that read",
                            op.client,
                            h.on_key(op.key),
                            h.describe(w),
                            if derived {
                                "must come, in any view of its that respects causality,"
                            } else {
                                "causally comes"
                            }
                        ),
                    });
                }
            }
            Some(w) => {
                if let Some(later) =
                    writes_to(h, op.key).find(|&o| o != w && r[o].has(w) && r[read].has(o))
                {
                    let sentence = if derived {
                        format!(
                            "read an overwritten value: client {} read {}{}, but every view of \
                             its that respects causality and its earlier reads puts {} between \
                             that write and the read",
                            op.client,
                            h.value_name(op.value),
                            h.on_key(op.key),
                            h.describe(later)
                        )
                    } else {
                        format!(
                            "read an overwritten value: client {} read {}{} after {} had \
                             causally overwritten it",
                            op.client,
                            h.value_name(op.value),
                            h.on_key(op.key),
                            h.describe(later)
                        )
                    };
                    return Err(Violation {
                        ops: vec![read, w, later],
                        sentence,
                    });
                }
            }
        }
    }
    Ok(())
}
