//! Decisions without search: sound prechecks, and a polynomial decision for registers whose
//! writes are unique.
//!
//! **Prechecks** (any register history): a read that returns a value no operation writes, or a
//! successful `cas(x, _)` when nothing writes `x`, can never be linearized.
//!
//! **Unique writes** (reads and writes only, every written value written once): Gibbons & Korach
//! (1997) observe that then each read names the one write it saw, and the history is linearizable
//! iff the *clusters* (a write with the reads of its value; the reads of nil with a virtual write
//! before everything) can be laid out one after another. A cluster must take effect over a
//! stretch that reaches from before its earliest return `f` to after its latest invoke `s`. When
//! `f < s` that stretch is forced (a *forward* zone `[f, s]`); when `s < f` all its operations are
//! open together and it fits at any instant of `(s, f)` (a *backward* zone). It is linearizable
//! iff no read returns before its write is invoked, no two forward zones overlap, and no backward
//! zone lies inside another cluster's forward zone; each check is a sort and a scan.
//!
//! Operations with unknown outcome: a read is left out (it changes nothing, so it fits anywhere
//! in its interval and is put back into the order at the end); a write that never returned and
//! whose value nobody read may never have happened and is put last; one that was read is a
//! write like any other, open to the end.
//!
//! Invariant: "linearizable" is only answered with an order that was replayed through the model
//! and checked against real time here; a construction that fails that check answers `None` (the
//! search decides), never a wrong verdict. "Not linearizable" names the operations in conflict.

use super::hash::FxHashMap;
use super::{Model, Operation, RegisterInput, RegisterModel, RegisterOutput, RETURN_NEVER};

/// What a polynomial decision found for one partition.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FastVerdict {
    /// Linearizable, with an order (history indices) the model accepts and real time allows.
    Linearizable(Vec<usize>),
    /// Not linearizable, because of this conflict.
    NotLinearizable(Conflict),
}

/// Operations that cannot all be linearized, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Conflict {
    /// The operations in conflict (history indices).
    pub operations: Vec<usize>,
    /// Why they conflict, for people.
    pub note: String,
}

type RegisterOp = Operation<RegisterInput, RegisterOutput>;

/// The prechecks, then the unique-writes decision, for one register partition (`indices` into
/// `history`); `None` when the partition has a `cas` or a value written twice and passes the
/// prechecks.
pub(crate) fn decide_register(history: &[RegisterOp], indices: &[usize]) -> Option<FastVerdict> {
    if let Some(conflict) = unwritten_value(history, indices) {
        return Some(FastVerdict::NotLinearizable(conflict));
    }
    unique_writes(history, indices)
}

fn describe(history: &[RegisterOp], i: usize) -> String {
    let op = &history[i];
    format!(
        "client {} {} (line {})",
        op.client,
        RegisterModel.describe_operation(&op.input, op.output.as_ref()),
        op.line
    )
}

/// A read of a value nothing writes, or a successful cas from such a value.
fn unwritten_value(history: &[RegisterOp], indices: &[usize]) -> Option<Conflict> {
    let mut written: FxHashMap<i64, ()> = FxHashMap::default();
    for &i in indices {
        match (history[i].input, history[i].output) {
            (RegisterInput::Write(v), _) => {
                written.insert(v, ());
            }
            (RegisterInput::Cas { to, .. }, output)
                if output != Some(RegisterOutput::Cas(false)) =>
            {
                written.insert(to, ());
            }
            _ => {}
        }
    }
    indices.iter().find_map(|&i| {
        let needed = match (history[i].input, history[i].output) {
            (RegisterInput::Read, Some(RegisterOutput::Read(Some(v)))) => v,
            (RegisterInput::Cas { from, .. }, Some(RegisterOutput::Cas(true))) => from,
            _ => return None,
        };
        (!written.contains_key(&needed)).then(|| Conflict {
            operations: vec![i],
            note: format!(
                "{} needs the value {needed}, which no operation writes",
                describe(history, i)
            ),
        })
    })
}

/// One cluster: a write (none for the initial nil) and the reads of its value, with its zone.
struct Cluster {
    write: Option<usize>,
    reads: Vec<usize>,
    /// Earliest return rank of its operations (-1 for the virtual write of nil).
    first_return: i64,
    /// Op (history index) that returns at `first_return`, if not the virtual write.
    first_return_op: Option<usize>,
    /// Latest invoke rank of its operations.
    last_call: i64,
    last_call_op: usize,
}

impl Cluster {
    fn forward(&self) -> bool {
        self.first_return < self.last_call
    }
}

fn unique_writes(history: &[RegisterOp], indices: &[usize]) -> Option<FastVerdict> {
    let mut write_of: FxHashMap<i64, usize> = FxHashMap::default();
    for &i in indices {
        match history[i].input {
            RegisterInput::Cas { .. } => return None,
            RegisterInput::Write(v) => {
                if write_of.insert(v, i).is_some() {
                    return None;
                }
            }
            RegisterInput::Read => {}
        }
    }
    let ranks = ranks(history, indices);
    let rank = |i: usize| ranks[i];

    // Cluster 0 is nil's; the others are the writes', in history order.
    let mut clusters: Vec<Cluster> = Vec::with_capacity(write_of.len() + 1);
    let mut cluster_of: FxHashMap<i64, usize> = FxHashMap::default();
    clusters.push(Cluster {
        write: None,
        reads: Vec::new(),
        first_return: -1,
        first_return_op: None,
        last_call: -1,
        last_call_op: usize::MAX,
    });
    for &i in indices {
        if let RegisterInput::Write(v) = history[i].input {
            cluster_of.insert(v, clusters.len());
            clusters.push(Cluster {
                write: Some(i),
                reads: Vec::new(),
                first_return: i64::MAX,
                first_return_op: None,
                last_call: -1,
                last_call_op: i,
            });
        }
    }
    // Left out of the clusters: reads with unknown outcome, and open writes nobody read.
    let mut unknown_reads = Vec::new();
    for &i in indices {
        match (history[i].input, history[i].output) {
            (RegisterInput::Read, Some(RegisterOutput::Read(seen))) => {
                let c = match seen {
                    None => 0,
                    Some(v) => cluster_of[&v],
                };
                clusters[c].reads.push(i);
            }
            (RegisterInput::Read, None) => unknown_reads.push(i),
            (RegisterInput::Read, Some(_)) => return None,
            _ => {}
        }
    }
    let mut never_happened = Vec::new();
    for cluster in &mut clusters {
        if let Some(w) = cluster.write {
            let op = &history[w];
            if cluster.reads.is_empty() && op.output.is_none() && op.ret == RETURN_NEVER {
                never_happened.push(w);
                cluster.write = None;
            }
        }
        for &i in cluster.write.iter().chain(&cluster.reads) {
            let (call, ret) = rank(i);
            if ret < cluster.first_return {
                cluster.first_return = ret;
                cluster.first_return_op = Some(i);
            }
            if call > cluster.last_call {
                cluster.last_call = call;
                cluster.last_call_op = i;
            }
        }
    }
    clusters.retain(|c| c.write.is_some() || !c.reads.is_empty());

    for cluster in &clusters {
        let Some(w) = cluster.write else { continue };
        if let Some(&r) = cluster.reads.iter().find(|&&r| rank(r).1 < rank(w).0) {
            return Some(FastVerdict::NotLinearizable(Conflict {
                operations: vec![r, w],
                note: format!(
                    "{} returned before {} was invoked",
                    describe(history, r),
                    describe(history, w)
                ),
            }));
        }
    }

    let mut forward: Vec<usize> = (0..clusters.len())
        .filter(|&c| clusters[c].forward())
        .collect();
    forward.sort_by_key(|&c| clusters[c].first_return);
    for pair in forward.windows(2) {
        let (a, b) = (&clusters[pair[0]], &clusters[pair[1]]);
        if b.first_return < a.last_call {
            return Some(FastVerdict::NotLinearizable(overlap(history, a, b)));
        }
    }
    // Each block's place: a forward one starts just before its first return, a backward one
    // just after its last invoke, or after the forward zone that invoke falls in.
    let mut blocks: Vec<(i64, bool, usize)> = Vec::with_capacity(clusters.len());
    for (c, cluster) in clusters.iter().enumerate() {
        if cluster.forward() {
            blocks.push((2 * cluster.first_return - 1, true, c));
            continue;
        }
        let before = forward.partition_point(|&f| clusters[f].first_return < cluster.last_call);
        let mut at = cluster.last_call;
        if let Some(&f) = before.checked_sub(1).map(|k| &forward[k]) {
            let zone = &clusters[f];
            if cluster.first_return < zone.last_call {
                return Some(FastVerdict::NotLinearizable(inside(history, cluster, zone)));
            }
            at = at.max(zone.last_call);
        }
        blocks.push((2 * at + 1, false, c));
    }
    blocks.sort_unstable();

    let mut order: Vec<usize> = Vec::with_capacity(indices.len());
    for &(_, _, c) in &blocks {
        let cluster = &mut clusters[c];
        cluster.reads.sort_by_key(|&r| ranks[r].0);
        order.extend(cluster.write);
        order.extend(cluster.reads.iter().copied());
    }
    let mut order = insert_unknown_reads(order, unknown_reads, &rank);
    order.extend(never_happened);
    valid_order(history, &order, &rank).then_some(FastVerdict::Linearizable(order))
}

/// Ranks of the calls and returns in the search's real-time order (time, calls before returns at
/// equal times, then operation): per history index, (call rank, return rank); `(0, 0)` outside
/// `indices`.
fn ranks(history: &[RegisterOp], indices: &[usize]) -> Vec<(i64, i64)> {
    let mut events: Vec<(u64, bool, usize)> = Vec::with_capacity(2 * indices.len());
    for &i in indices {
        events.push((history[i].call, false, i));
        events.push((history[i].ret, true, i));
    }
    events.sort_unstable();
    let mut ranks = vec![(0, 0); history.len()];
    for (k, &(_, is_return, i)) in events.iter().enumerate() {
        if is_return {
            ranks[i].1 = k as i64;
        } else {
            ranks[i].0 = k as i64;
        }
    }
    ranks
}

/// Puts each read with unknown outcome (it changes nothing) at the first place of `order` after
/// which every operation returns after the read's invoke.
fn insert_unknown_reads(
    order: Vec<usize>,
    mut reads: Vec<usize>,
    rank: &impl Fn(usize) -> (i64, i64),
) -> Vec<usize> {
    if reads.is_empty() {
        return order;
    }
    let mut suffix_first_return = vec![i64::MAX; order.len() + 1];
    for k in (0..order.len()).rev() {
        suffix_first_return[k] = suffix_first_return[k + 1].min(rank(order[k]).1);
    }
    reads.sort_by_key(|&r| rank(r).0);
    let mut merged = Vec::with_capacity(order.len() + reads.len());
    let mut pending = reads.into_iter().peekable();
    for (k, &i) in order.iter().enumerate() {
        while let Some(&r) = pending.peek() {
            if suffix_first_return[k] < rank(r).0 {
                break;
            }
            merged.push(r);
            pending.next();
        }
        merged.push(i);
    }
    merged.extend(pending);
    merged
}

/// Whether `order` respects real time (nothing placed after an operation returned before that
/// operation's invoke) and the model accepts it.
fn valid_order(
    history: &[RegisterOp],
    order: &[usize],
    rank: &impl Fn(usize) -> (i64, i64),
) -> bool {
    let mut latest_call = -1;
    let mut state = RegisterModel.init();
    for &i in order {
        let (call, ret) = rank(i);
        if ret < latest_call {
            return false;
        }
        latest_call = latest_call.max(call);
        let op = &history[i];
        match RegisterModel.step(&state, &op.input, op.output.as_ref()) {
            Some(next) => state = next,
            None => return false,
        }
    }
    true
}

fn value_name(history: &[RegisterOp], cluster: &Cluster) -> String {
    match cluster.write.map(|w| history[w].input) {
        Some(RegisterInput::Write(v)) => v.to_string(),
        _ => "nil".to_string(),
    }
}

/// Where a cluster's stretch must begin, in words.
fn stretch_start(history: &[RegisterOp], cluster: &Cluster) -> String {
    match cluster.first_return_op {
        Some(op) => format!("before {} returned", describe(history, op)),
        None => "from the start".to_string(),
    }
}

fn overlap(history: &[RegisterOp], a: &Cluster, b: &Cluster) -> Conflict {
    let mut operations: Vec<usize> = [a.first_return_op, Some(a.last_call_op)]
        .into_iter()
        .chain([b.first_return_op, Some(b.last_call_op)])
        .flatten()
        .collect();
    operations.dedup();
    Conflict {
        operations,
        note: format!(
            "the register must hold {} {} until after {} was invoked, and hold {} {} until \
             after {} was invoked; these stretches overlap, and each value is written only once",
            value_name(history, a),
            stretch_start(history, a),
            describe(history, a.last_call_op),
            value_name(history, b),
            stretch_start(history, b),
            describe(history, b.last_call_op),
        ),
    }
}

fn inside(history: &[RegisterOp], cluster: &Cluster, zone: &Cluster) -> Conflict {
    let mut operations: Vec<usize> = cluster
        .write
        .iter()
        .chain(&cluster.reads)
        .copied()
        .chain(zone.first_return_op)
        .chain([zone.last_call_op])
        .collect();
    operations.dedup();
    Conflict {
        operations,
        note: format!(
            "every operation on {} is open from {} (invoked) to {} (returned), so it takes \
             effect in that stretch; but there the register must hold {} ({} until after {} was \
             invoked), and each value is written only once",
            value_name(history, cluster),
            describe(history, cluster.last_call_op),
            cluster
                .first_return_op
                .map_or_else(|| "the end".to_string(), |op| describe(history, op)),
            value_name(history, zone),
            stretch_start(history, zone),
            describe(history, zone.last_call_op),
        ),
    }
}
