//! The search: just-in-time linearization with a memo of explored configurations.
//!
//! The calls and returns of one partition form a doubly linked list in real-time order. The
//! search walks it from the front: at a call it tries to linearize that operation now (the model
//! must accept it, and the configuration (linearized set, new state) must be new); if so it
//! removes the call and its return from the list ("lifts" it) and starts again from the front. At
//! a return whose call is still in the list, the operation can no longer be placed: the search
//! undoes the last linearized operation and tries the next candidate after it. The history is
//! linearizable when the list is empty, and not when the search must undo with nothing to undo.
//!
//! The linearized set is a bitset of `u64` words whose hash is kept incrementally (XOR of one
//! fixed 64-bit key per operation), so a memo probe costs one state hash and, on a hit, one
//! comparison.

use super::explain::{explain, Explanation};
use super::hash::{fx_hash, mix64};
use super::{
    Model, Operation, MEMO_ENTRIES_MAX, SEARCH_STEPS_MAX_DEFAULT, STOP_POLL_INTERVAL_STEPS,
};
use serde::{Deserialize, Serialize};

/// How much work a check may do.
pub struct Budget<'a> {
    /// Most search steps (one step is one call or return visited) over all partitions.
    pub steps_max: u64,
    /// Most memo entries held at once, at most [`MEMO_ENTRIES_MAX`] (a larger value is capped).
    pub memo_entries_max: usize,
    /// Polled every [`STOP_POLL_INTERVAL_STEPS`] steps; returning `true` stops the check with
    /// [`UnknownReason::Stopped`]. The CLI passes a wall-clock deadline, the browser a cancel
    /// button; the engine itself never reads a clock.
    pub should_stop: Option<&'a mut dyn FnMut() -> bool>,
}

impl Default for Budget<'_> {
    fn default() -> Self {
        Budget {
            steps_max: SEARCH_STEPS_MAX_DEFAULT,
            memo_entries_max: MEMO_ENTRIES_MAX,
            should_stop: None,
        }
    }
}

impl<'a> Budget<'a> {
    /// A budget of `steps_max` steps and no callback.
    pub fn steps(steps_max: u64) -> Self {
        Budget {
            steps_max,
            memo_entries_max: MEMO_ENTRIES_MAX,
            should_stop: None,
        }
    }

    /// A budget of the default steps with a "should stop" callback.
    pub fn with_stop(should_stop: &'a mut dyn FnMut() -> bool) -> Self {
        Budget {
            steps_max: SEARCH_STEPS_MAX_DEFAULT,
            memo_entries_max: MEMO_ENTRIES_MAX,
            should_stop: Some(should_stop),
        }
    }
}

/// Why a check gave up.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum UnknownReason {
    /// The step budget ran out.
    StepBudgetExhausted {
        /// Steps taken.
        steps: u64,
    },
    /// The caller's "should stop" callback asked to stop (a timeout or a cancel).
    Stopped {
        /// Steps taken.
        steps: u64,
    },
    /// The memos reached their bound ([`Budget::memo_entries_max`]).
    MemoFull {
        /// Entries in the memo.
        entries: usize,
    },
}

impl std::fmt::Display for UnknownReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            UnknownReason::StepBudgetExhausted { steps } => {
                write!(f, "the step budget ran out after {steps} steps")
            }
            UnknownReason::Stopped { steps } => {
                write!(f, "stopped by the caller after {steps} steps")
            }
            UnknownReason::MemoFull { entries } => {
                write!(
                    f,
                    "the memo of explored configurations is full ({entries} entries)"
                )
            }
        }
    }
}

/// The checker's answer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "verdict", rename_all = "kebab-case")]
pub enum Verdict {
    /// Every partition has a linearization.
    Linearizable {
        /// One linearization per partition (in the model's partition order): indices into the
        /// history's operations, in linearization order.
        order: Vec<Vec<usize>>,
    },
    /// Some partition has none; the explanation shows how far the search got.
    NotLinearizable {
        /// What went wrong, for people.
        explanation: Box<Explanation>,
    },
    /// The search gave up before an answer.
    Unknown {
        /// Why.
        reason: UnknownReason,
    },
}

/// The verdict with the cost of reaching it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckReport {
    /// The answer.
    pub verdict: Verdict,
    /// Search steps taken, over all partitions.
    pub steps: u64,
    /// Peak number of memo entries held at once, over all partitions (entries).
    pub memo_entries_peak: usize,
    /// Number of partitions the history was split into.
    pub partitions: usize,
}

/// Checks `history` against `model` within `budget`.
///
/// Partitions (if the model has them) are searched round-robin in slices of steps that double
/// each round, so one hard partition cannot hide a violation that another would show at once
/// (Porcupine gets the same effect by checking partitions in parallel). The first partition
/// found not linearizable decides the answer; if none is and some gave up, the answer is
/// `Unknown`.
pub fn check<M: Model>(
    model: &M,
    history: &[Operation<M::Input, M::Output>],
    budget: &mut Budget<'_>,
) -> CheckReport {
    let partitions = model
        .partition(history)
        .unwrap_or_else(|| vec![(String::new(), (0..history.len()).collect())]);
    let mut report = CheckReport {
        verdict: Verdict::Linearizable { order: Vec::new() },
        steps: 0,
        memo_entries_peak: 0,
        partitions: partitions.len(),
    };
    let mut searches: Vec<Option<Search<'_, M>>> = partitions
        .iter()
        .map(|(_, indices)| Some(Search::new(model, history, indices)))
        .collect();
    let mut orders: Vec<Vec<usize>> = vec![Vec::new(); partitions.len()];
    let mut memo_entries = 0usize;
    let mut gave_up = None;
    let mut slice_steps = SLICE_STEPS_FIRST;
    while searches.iter().any(Option::is_some) {
        for (p, slot) in searches.iter_mut().enumerate() {
            let Some(search) = slot else { continue };
            let outcome = search.run(slice_steps, budget, &mut report.steps, &mut memo_entries);
            report.memo_entries_peak = report.memo_entries_peak.max(memo_entries);
            let Some(outcome) = outcome else { continue };
            memo_entries -= search.memo.len();
            match outcome {
                Outcome::Linearizable(order) => orders[p] = order,
                Outcome::NotLinearizable => {
                    let (label, indices) = &partitions[p];
                    let prefix: Vec<usize> =
                        search.best.iter().map(|&i| indices[i as usize]).collect();
                    let explanation = explain(model, history, indices, &prefix, label);
                    report.verdict = Verdict::NotLinearizable {
                        explanation: Box::new(explanation),
                    };
                    return report;
                }
                Outcome::GaveUp(reason @ UnknownReason::MemoFull { .. }) => {
                    // This partition gives up alone (its memo is dropped, freeing room for the
                    // others); a later violation elsewhere still decides the answer.
                    gave_up.get_or_insert(reason);
                }
                Outcome::GaveUp(reason) => {
                    report.verdict = Verdict::Unknown { reason };
                    return report;
                }
            }
            *slot = None;
        }
        slice_steps = slice_steps.saturating_mul(2);
    }
    report.verdict = match gave_up {
        Some(reason) => Verdict::Unknown { reason },
        None => Verdict::Linearizable { order: orders },
    };
    report
}

/// Steps each partition gets in the first round-robin round (later rounds double it).
const SLICE_STEPS_FIRST: u64 = 4_096;

enum Outcome {
    Linearizable(Vec<usize>),
    NotLinearizable,
    GaveUp(UnknownReason),
}

/// Marks the end of the entry list.
const NIL: u32 = u32::MAX;
/// The list's head sentinel.
const HEAD: u32 = 0;

/// One partition's search state. Operations are numbered locally `0..n`; entry `0` is the head
/// sentinel, entries `1..=2n` are the calls and returns.
struct Search<'m, M: Model> {
    model: &'m M,
    ops: Vec<&'m Operation<M::Input, M::Output>>,
    /// Per local operation: its index in the history.
    indices: &'m [usize],
    /// Per entry: the local operation it belongs to.
    entry_op: Vec<u32>,
    /// Per entry: for a call, its return entry; for a return, `NIL`.
    entry_match: Vec<u32>,
    next: Vec<u32>,
    prev: Vec<u32>,
    /// Per operation: its key in the incremental hash of the linearized set.
    op_key: Vec<u64>,
    memo: Memo<M::State>,
    /// The longest sequence of linearized operations seen (local indices).
    best: Vec<u32>,
    /// Where the search stands: the linearized set, its hash, the model state, the undo stack
    /// of (call entry, state before it) and the entry to visit next.
    linearized: Vec<u64>,
    set_hash: u64,
    state: M::State,
    stack: Vec<(u32, M::State)>,
    entry: u32,
}

impl<'m, M: Model> Search<'m, M> {
    fn new(
        model: &'m M,
        history: &'m [Operation<M::Input, M::Output>],
        indices: &'m [usize],
    ) -> Self {
        let ops: Vec<_> = indices.iter().map(|&i| &history[i]).collect();
        let n = ops.len();
        // (time, calls before returns at equal times, operation) — a total, deterministic order.
        let mut events: Vec<(u64, bool, u32)> = Vec::with_capacity(2 * n);
        for (i, op) in ops.iter().enumerate() {
            events.push((op.call, false, i as u32));
            events.push((op.ret, true, i as u32));
        }
        events.sort_unstable();
        let entries = 2 * n + 1;
        let mut entry_op = vec![NIL; entries];
        let mut entry_match = vec![NIL; entries];
        let mut call_entry = vec![NIL; n];
        for (k, &(_, is_return, op)) in events.iter().enumerate() {
            let e = k as u32 + 1;
            entry_op[e as usize] = op;
            if is_return {
                entry_match[call_entry[op as usize] as usize] = e;
            } else {
                call_entry[op as usize] = e;
            }
        }
        let next = (0..entries as u32)
            .map(|e| if e + 1 < entries as u32 { e + 1 } else { NIL })
            .collect();
        let prev = (0..entries as u32)
            .map(|e| e.wrapping_sub(1))
            .map(|p| if p == u32::MAX { NIL } else { p })
            .collect();
        let op_key = (0..n as u64).map(mix64).collect();
        Search {
            model,
            ops,
            indices,
            entry_op,
            entry_match,
            next,
            prev,
            op_key,
            memo: Memo::new(n.div_ceil(64)),
            best: Vec::new(),
            linearized: vec![0; n.div_ceil(64)],
            set_hash: 0,
            state: model.init(),
            stack: Vec::with_capacity(n),
            entry: if n == 0 { NIL } else { 1 },
        }
    }

    /// Removes a call entry and its return from the list.
    #[inline(always)]
    fn lift(&mut self, call: u32) {
        let ret = self.entry_match[call as usize];
        for e in [call, ret] {
            let (p, n) = (self.prev[e as usize], self.next[e as usize]);
            self.next[p as usize] = n;
            if n != NIL {
                self.prev[n as usize] = p;
            }
        }
    }

    /// Puts back what the matching [`Search::lift`] removed; lifts are undone in reverse order.
    #[inline(always)]
    fn unlift(&mut self, call: u32) {
        let ret = self.entry_match[call as usize];
        for e in [ret, call] {
            let (p, n) = (self.prev[e as usize], self.next[e as usize]);
            self.next[p as usize] = e;
            if n != NIL {
                self.prev[n as usize] = e;
            }
        }
    }

    /// Searches on for at most `slice_steps` steps: `None` if it paused, else the outcome.
    /// `memo_entries` counts memo entries over all live partitions, bounded by
    /// [`MEMO_ENTRIES_MAX`].
    fn run(
        &mut self,
        slice_steps: u64,
        budget: &mut Budget<'_>,
        steps: &mut u64,
        memo_entries: &mut usize,
    ) -> Option<Outcome> {
        let slice_end = steps.saturating_add(slice_steps);
        let mut entry = self.entry;
        while self.next[HEAD as usize] != NIL {
            if *steps >= slice_end {
                self.entry = entry;
                return None;
            }
            *steps += 1;
            if *steps > budget.steps_max {
                return Some(Outcome::GaveUp(UnknownReason::StepBudgetExhausted {
                    steps: *steps - 1,
                }));
            }
            if steps.is_multiple_of(STOP_POLL_INTERVAL_STEPS) {
                if let Some(stop) = budget.should_stop.as_mut() {
                    if stop() {
                        return Some(Outcome::GaveUp(UnknownReason::Stopped { steps: *steps }));
                    }
                }
            }
            if self.entry_match[entry as usize] != NIL {
                let op = self.entry_op[entry as usize] as usize;
                let operation = self.ops[op];
                if let Some(next_state) =
                    self.model
                        .step(&self.state, &operation.input, operation.output.as_ref())
                {
                    let (word, bit) = (op / 64, 1u64 << (op % 64));
                    self.linearized[word] |= bit;
                    let next_hash = self.set_hash ^ self.op_key[op];
                    let full = *memo_entries >= budget.memo_entries_max.min(MEMO_ENTRIES_MAX);
                    match self
                        .memo
                        .insert(next_hash, &self.linearized, &next_state, full)
                    {
                        Insert::New => {
                            *memo_entries += 1;
                            self.set_hash = next_hash;
                            let previous = std::mem::replace(&mut self.state, next_state);
                            self.stack.push((entry, previous));
                            self.lift(entry);
                            if self.stack.len() > self.best.len() {
                                self.best.clear();
                                self.best.extend(
                                    self.stack.iter().map(|&(e, _)| self.entry_op[e as usize]),
                                );
                            }
                            entry = self.next[HEAD as usize];
                            continue;
                        }
                        Insert::Seen => self.linearized[word] &= !bit,
                        Insert::Full => {
                            return Some(Outcome::GaveUp(UnknownReason::MemoFull {
                                entries: *memo_entries,
                            }))
                        }
                    }
                }
                entry = self.next[entry as usize];
            } else {
                let Some((call, previous)) = self.stack.pop() else {
                    return Some(Outcome::NotLinearizable);
                };
                self.state = previous;
                let op = self.entry_op[call as usize] as usize;
                self.linearized[op / 64] &= !(1u64 << (op % 64));
                self.set_hash ^= self.op_key[op];
                self.unlift(call);
                entry = self.next[call as usize];
            }
        }
        let order = self
            .stack
            .iter()
            .map(|&(e, _)| self.indices[self.entry_op[e as usize] as usize])
            .collect();
        Some(Outcome::Linearizable(order))
    }
}

enum Insert {
    New,
    Seen,
    Full,
}

/// The set of explored configurations (linearized set, state): an open-addressing hash table
/// with linear probing whose 32-bit slots pack a 10-bit tag of the hash with the entry's index,
/// so the table stays small enough to cache well and a probe looks at the stored bitset and
/// state only when the tags agree (a false match 1 time in 1024). Bitsets live in one flat arena
/// and states in one vector: an insert allocates nothing but amortised vector growth, and
/// growing the table reuses the stored hashes instead of hashing states again.
struct Memo<S> {
    words: usize,
    /// Slots: `0` when empty, else `tag << INDEX_BITS | (entry + 1)`; the length is a power of
    /// two.
    table: Vec<u32>,
    /// log2 of the table's length.
    table_bits: u32,
    /// Per entry: its combined hash.
    hashes: Vec<u64>,
    bits: Vec<u64>,
    states: Vec<S>,
}

/// Bits of a slot that hold the entry index (plus one); the rest hold the tag.
const INDEX_BITS: u32 = 22;
const INDEX_MASK: u32 = (1 << INDEX_BITS) - 1;
const _: () = assert!(
    MEMO_ENTRIES_MAX < INDEX_MASK as usize,
    "memo indices must fit a slot"
);

/// log2 of the number of slots in a new memo table.
const MEMO_SLOTS_FIRST_BITS: u32 = 10;

impl<S: Clone + Eq + std::hash::Hash> Memo<S> {
    fn new(words: usize) -> Self {
        Memo {
            words,
            table: vec![0; 1 << MEMO_SLOTS_FIRST_BITS],
            table_bits: MEMO_SLOTS_FIRST_BITS,
            hashes: Vec::new(),
            bits: Vec::new(),
            states: Vec::new(),
        }
    }

    fn len(&self) -> usize {
        self.states.len()
    }

    /// The tag of a hash, in place in a slot: its low bits (the home slot uses its high bits).
    #[inline(always)]
    fn tag(hash: u64) -> u32 {
        (hash as u32) << INDEX_BITS
    }

    /// The first slot to probe: the hash's high bits.
    #[inline(always)]
    fn home(hash: u64, table_bits: u32) -> usize {
        (hash >> (64 - table_bits)) as usize
    }

    /// Adds a configuration unless it is already there; when `full`, only looks.
    #[inline(always)]
    fn insert(&mut self, set_hash: u64, linearized: &[u64], state: &S, full: bool) -> Insert {
        let hash = mix64(set_hash ^ fx_hash(state));
        let tag = Self::tag(hash);
        let mask = self.table.len() - 1;
        let mut slot = Self::home(hash, self.table_bits);
        loop {
            let packed = self.table[slot];
            if packed == 0 {
                break;
            }
            if packed & !INDEX_MASK == tag {
                let i = (packed & INDEX_MASK) as usize - 1;
                let stored = &self.bits[i * self.words..(i + 1) * self.words];
                if stored.iter().zip(linearized).all(|(a, b)| a == b) && self.states[i] == *state {
                    return Insert::Seen;
                }
            }
            slot = (slot + 1) & mask;
        }
        if full {
            return Insert::Full;
        }
        self.table[slot] = tag | (self.states.len() as u32 + 1);
        self.hashes.push(hash);
        // Word by word: the bitsets are a few words, and a call to `memmove` costs more.
        for &word in linearized {
            self.bits.push(word);
        }
        self.states.push(state.clone());
        // Keep the load factor at most one half so probe runs stay short.
        if self.states.len() * 2 > self.table.len() {
            self.grow();
        }
        Insert::New
    }

    fn grow(&mut self) {
        self.table_bits += 1;
        let mask = (1usize << self.table_bits) - 1;
        let mut table = vec![0u32; 1 << self.table_bits];
        for (i, &hash) in self.hashes.iter().enumerate() {
            let mut slot = Self::home(hash, self.table_bits);
            while table[slot] != 0 {
                slot = (slot + 1) & mask;
            }
            table[slot] = Self::tag(hash) | (i as u32 + 1);
        }
        self.table = table;
    }
}
