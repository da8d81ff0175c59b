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
//! The linearized set is a bitset over return ranks with a *frontier* (every rank below it is
//! linearized) and a hash kept incrementally (XOR of one fixed 64-bit key per operation); the memo
//! stores only the words from the frontier's to the highest linearized one, plus the words of the
//! operations that never returned (see [`super::memo`]). Linearizing, undoing and probing the memo
//! cost time in the number of operations open at once, not in the history's length. A partition
//! of at most [`WHOLE_SET_WORDS_MAX`] words keeps its whole set in the memo instead: as small an
//! entry, and cheaper to keep up.
//!
//! Invariants: every search step is counted against [`Budget::steps_max`]; every byte the search
//! and its memo hold is accounted against [`Budget::memo_bytes_max`] before it is allocated; a
//! budget's end is always [`Verdict::Unknown`] with its reason, never an answer.

use super::explain::{explain, explain_conflict, Explanation};
use super::fast::{Conflict, FastVerdict};
use super::hash::mix64;
use super::memo::{Bytes, Insert, Memo};
use super::{
    Model, Operation, FAST_PATH_OPERATIONS_MIN, MEMO_BYTES_MAX, MEMO_ENTRIES_MAX, RETURN_NEVER,
    SEARCH_STEPS_MAX_DEFAULT, STOP_POLL_INTERVAL_STEPS,
};
use serde::{Deserialize, Serialize};

/// How much work a check may do.
pub struct Budget<'a> {
    /// Most search steps (one step is one call or return visited) over all partitions.
    pub steps_max: u64,
    /// Most memo entries held at once, at most [`MEMO_ENTRIES_MAX`] (a larger value is capped).
    pub memo_entries_max: usize,
    /// Most bytes the searches and their memos may hold at once, at most [`MEMO_BYTES_MAX`] (a
    /// larger value is capped).
    pub memo_bytes_max: usize,
    /// Partitions with at least this many operations are first offered to the model's
    /// polynomial decision ([`Model::decide_fast`]); `usize::MAX` always searches.
    pub fast_path_operations_min: usize,
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
            memo_bytes_max: MEMO_BYTES_MAX,
            fast_path_operations_min: FAST_PATH_OPERATIONS_MIN,
            should_stop: None,
        }
    }
}

impl<'a> Budget<'a> {
    /// A budget of `steps_max` steps and no callback.
    pub fn steps(steps_max: u64) -> Self {
        Budget {
            steps_max,
            ..Budget::default()
        }
    }

    /// A budget of the default steps with a "should stop" callback.
    pub fn with_stop(should_stop: &'a mut dyn FnMut() -> bool) -> Self {
        Budget {
            should_stop: Some(should_stop),
            ..Budget::default()
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
    /// The memos reached their bound ([`Budget::memo_entries_max`] or
    /// [`Budget::memo_bytes_max`]).
    MemoFull {
        /// Entries in the memos.
        entries: usize,
        /// Bytes the searches held when the next one did not fit.
        #[serde(default)]
        bytes: usize,
    },
}

/// Bytes in a mebibyte.
const BYTES_PER_MIB: usize = 1 << 20;

impl std::fmt::Display for UnknownReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            UnknownReason::StepBudgetExhausted { steps } => {
                write!(f, "the step budget ran out after {steps} steps")
            }
            UnknownReason::Stopped { steps } => {
                write!(f, "stopped by the caller after {steps} steps")
            }
            UnknownReason::MemoFull { entries, bytes } => {
                write!(
                    f,
                    "memo full at {} MiB ({entries} explored configurations)",
                    bytes.div_ceil(BYTES_PER_MIB)
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
    /// Peak bytes the searches and their memos (and the polynomial decisions, estimated) held at
    /// once (bytes).
    #[serde(default)]
    pub memo_bytes_peak: usize,
    /// Number of partitions the history was split into.
    pub partitions: usize,
    /// Partitions decided by the model's polynomial decision, without search.
    #[serde(default)]
    pub fast_partitions: usize,
}

/// Checks `history` against `model` within `budget`.
///
/// Large partitions are first offered to the model's polynomial decision
/// ([`Model::decide_fast`]). Its "linearizable" comes with an order the model accepted, and is
/// final; its "not linearizable" is confirmed by a search of at most
/// [`CONFLICT_SEARCH_STEPS_MAX`] steps, whose explanation (the longest prefix) is preferred, and
/// otherwise explained by the conflict it found.
///
/// Partitions are searched round-robin in slices of steps that double each round, so one hard
/// partition cannot hide a violation that another would show at once (Porcupine gets the same
/// effect by checking partitions in parallel). The first partition found not linearizable
/// decides the answer; if none is and some gave up, the answer is `Unknown`.
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
        memo_bytes_peak: 0,
        partitions: partitions.len(),
        fast_partitions: 0,
    };
    let mut bytes = Bytes::new(budget.memo_bytes_max.min(MEMO_BYTES_MAX));
    let mut orders: Vec<Vec<usize>> = vec![Vec::new(); partitions.len()];
    let mut conflicts: Vec<Option<(Conflict, u64)>> = vec![None; partitions.len()];
    let mut searches: Vec<Option<Search<'_, M>>> = Vec::with_capacity(partitions.len());
    let mut gave_up = None;
    for (p, (_, indices)) in partitions.iter().enumerate() {
        let fast_bytes = FAST_PATH_BYTES_PER_OPERATION * (history.len() + indices.len());
        if indices.len() >= budget.fast_path_operations_min && bytes.take(fast_bytes) {
            let fast = model.decide_fast(history, indices);
            bytes.release(fast_bytes);
            match fast {
                Some(FastVerdict::Linearizable(order)) => {
                    orders[p] = order;
                    report.fast_partitions += 1;
                    searches.push(None);
                    continue;
                }
                Some(FastVerdict::NotLinearizable(conflict)) => {
                    report.fast_partitions += 1;
                    conflicts[p] = Some((conflict, CONFLICT_SEARCH_STEPS_MAX));
                }
                None => {}
            }
        }
        if bytes.take(Search::<M>::bytes_needed(indices.len())) {
            searches.push(Some(Search::new(model, history, indices)));
        } else if let Some((conflict, _)) = conflicts[p].take() {
            report.verdict = conflict_verdict(model, history, &partitions[p].0, &conflict);
            report.memo_bytes_peak = bytes.peak;
            return report;
        } else {
            gave_up.get_or_insert(UnknownReason::MemoFull {
                entries: 0,
                bytes: bytes.used,
            });
            searches.push(None);
        }
    }
    report.memo_bytes_peak = bytes.peak;
    let mut memo_entries = 0usize;
    let mut slice_steps = SLICE_STEPS_FIRST;
    while searches.iter().any(Option::is_some) {
        for (p, slot) in searches.iter_mut().enumerate() {
            let Some(search) = slot else { continue };
            let slice = match &conflicts[p] {
                Some((_, left)) => slice_steps.min(*left),
                None => slice_steps,
            };
            let before = report.steps;
            let outcome = search.run(
                slice,
                budget,
                &mut report.steps,
                &mut memo_entries,
                &mut bytes,
            );
            report.memo_entries_peak = report.memo_entries_peak.max(memo_entries);
            report.memo_bytes_peak = bytes.peak;
            if let Some((_, left)) = &mut conflicts[p] {
                *left -= (report.steps - before).min(*left);
            }
            let outcome = match (outcome, &conflicts[p]) {
                (None, Some((_, 0))) | (Some(Outcome::GaveUp(_)), Some(_)) => {
                    Some(Outcome::Conflict)
                }
                (outcome, _) => outcome,
            };
            let Some(outcome) = outcome else { continue };
            memo_entries -= search.memo.len();
            bytes.release(search.bytes());
            let (label, indices) = &partitions[p];
            match outcome {
                Outcome::Linearizable(order) => {
                    debug_assert!(
                        conflicts[p].is_none(),
                        "the fast decision found a conflict in a linearizable partition"
                    );
                    orders[p] = order;
                }
                Outcome::NotLinearizable => {
                    let prefix: Vec<usize> =
                        search.best.iter().map(|&i| indices[i as usize]).collect();
                    let explanation = explain(model, history, indices, &prefix, label);
                    report.verdict = Verdict::NotLinearizable {
                        explanation: Box::new(explanation),
                    };
                    return report;
                }
                Outcome::Conflict => {
                    let (conflict, _) = conflicts[p].as_ref().expect("a conflict was found");
                    report.verdict = conflict_verdict(model, history, label, conflict);
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

fn conflict_verdict<M: Model>(
    model: &M,
    history: &[Operation<M::Input, M::Output>],
    label: &str,
    conflict: &Conflict,
) -> Verdict {
    Verdict::NotLinearizable {
        explanation: Box::new(explain_conflict(model, history, conflict, label)),
    }
}

/// Bytes a polynomial decision is taken to hold per operation of the history and of the
/// partition, against the byte limit (an upper estimate: ranks, events, clusters, lookups and
/// the order, a few words each).
const FAST_PATH_BYTES_PER_OPERATION: usize = 96;

/// Steps each partition gets in the first round-robin round (later rounds double it).
const SLICE_STEPS_FIRST: u64 = 4_096;

/// Most search steps spent on a partition the polynomial decision found a conflict in, looking
/// for the longest-prefix explanation before the conflict itself explains the answer.
pub const CONFLICT_SEARCH_STEPS_MAX: u64 = 2_000_000;

enum Outcome {
    Linearizable(Vec<usize>),
    NotLinearizable,
    /// The fast decision's conflict decides (its confirming search stopped).
    Conflict,
    GaveUp(UnknownReason),
}

/// Most words a partition's linearized set may have for its memo to keep the whole set (see
/// [`Search::whole_set`]): 4 words, 256 operations.
const WHOLE_SET_WORDS_MAX: usize = 4;

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
    /// Per local operation: its bit in `set`, which is its rank among the returns (0 returns
    /// first) if it returned, else past the returned operations' words.
    set_bit: Vec<u32>,
    /// Per operation: its key in the incremental hash of the linearized set.
    op_key: Vec<u64>,
    memo: Memo<M::State>,
    /// The longest sequence of linearized operations seen (local indices); its first
    /// `best_agree` operations are the stack's first.
    best: Vec<u32>,
    best_agree: usize,
    /// Where the search stands: the linearized set, its hash, the model state, the undo stack of
    /// (call entry, state before it) and the entry to visit next. The set's first `open_word`
    /// words hold the `open_rank` operations that returned, by return rank (every rank below
    /// `frontier` set, `top_word` one past the highest nonzero word), the words after them the
    /// operations that never returned, which sort last.
    set: Vec<u64>,
    frontier: u32,
    top_word: usize,
    open_rank: u32,
    open_word: usize,
    /// Whether the memo keeps the whole set (it has at most [`WHOLE_SET_WORDS_MAX`] words)
    /// rather than the frontier and window, which is cheaper to keep up for small partitions.
    whole_set: bool,
    set_hash: u64,
    state: M::State,
    stack: Vec<(u32, M::State)>,
    entry: u32,
}

impl<'m, M: Model> Search<'m, M> {
    /// Bytes [`Search::new`] allocates for `n` operations: the entry lists, the per-operation
    /// tables (operation, return rank, hash key, best sequence, the linearized set's bitsets, and
    /// the transient call entries and events) and the undo stack, all sized once.
    fn bytes_needed(n: usize) -> usize {
        let entries = 2 * n + 1;
        let words = std::mem::size_of::<u32>();
        4 * entries * words
            + 2 * (n.div_ceil(64) + 1) * std::mem::size_of::<u64>()
            + n * (std::mem::size_of::<&Operation<M::Input, M::Output>>()
                + 3 * words
                + std::mem::size_of::<u64>()
                + std::mem::size_of::<(u32, M::State)>())
            + 2 * n * std::mem::size_of::<(u64, bool, u32)>()
            + Memo::<M::State>::first_bytes()
    }

    /// Bytes it holds now: what [`Search::bytes_needed`] took (kept until the search ends, the
    /// transient event list included) with the memo's growth since.
    fn bytes(&self) -> usize {
        Self::bytes_needed(self.ops.len()) - Memo::<M::State>::first_bytes() + self.memo.bytes()
    }

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
        let mut set_bit = vec![NIL; n];
        let mut returns = 0;
        for (k, &(_, is_return, op)) in events.iter().enumerate() {
            let e = k as u32 + 1;
            entry_op[e as usize] = op;
            if is_return {
                entry_match[call_entry[op as usize] as usize] = e;
                set_bit[op as usize] = returns;
                returns += 1;
            } else {
                call_entry[op as usize] = e;
            }
        }
        drop(events);
        let next = (0..entries as u32)
            .map(|e| if e + 1 < entries as u32 { e + 1 } else { NIL })
            .collect();
        let prev = (0..entries as u32)
            .map(|e| e.wrapping_sub(1))
            .map(|p| if p == u32::MAX { NIL } else { p })
            .collect();
        let op_key = (0..n as u64).map(mix64).collect();
        let open_rank = ops.iter().filter(|op| op.ret != RETURN_NEVER).count() as u32;
        let open_word = (open_rank as usize).div_ceil(64);
        for bit in &mut set_bit {
            if *bit >= open_rank {
                *bit = *bit - open_rank + open_word as u32 * 64;
            }
        }
        let set_words = open_word + (n - open_rank as usize).div_ceil(64);
        Search {
            model,
            ops,
            indices,
            entry_op,
            entry_match,
            next,
            prev,
            set_bit,
            op_key,
            memo: Memo::new(set_words),
            best: Vec::with_capacity(n),
            best_agree: 0,
            set: vec![0; set_words],
            frontier: 0,
            top_word: 0,
            open_rank,
            open_word,
            whole_set: set_words <= WHOLE_SET_WORDS_MAX,
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

    /// Adds the operation with bit `bit` (not linearized) to the linearized set; with `WHOLE`
    /// (see [`Search::whole_set`]) the frontier and `top_word` are not kept.
    #[inline(always)]
    fn place<const WHOLE: bool>(&mut self, bit: u32) {
        let word = bit as usize / 64;
        self.set[word] |= 1 << (bit % 64);
        if WHOLE || bit >= self.open_rank {
            return;
        }
        self.top_word = self.top_word.max(word + 1);
        if bit == self.frontier {
            // Move past the run of linearized ranks; the bits past `open_rank` are never set.
            let returned = &self.set[..self.open_word];
            while let Some(&bits) = returned.get(self.frontier as usize / 64) {
                let shift = self.frontier % 64;
                let ones = (bits >> shift).trailing_ones();
                self.frontier += ones;
                if shift + ones < 64 {
                    break;
                }
            }
        }
    }

    /// Removes the operation with bit `bit` (linearized) from the linearized set.
    #[inline(always)]
    fn unplace<const WHOLE: bool>(&mut self, bit: u32) {
        let word = bit as usize / 64;
        self.set[word] &= !(1 << (bit % 64));
        if WHOLE || bit >= self.open_rank {
            return;
        }
        self.frontier = self.frontier.min(bit);
        // Only the highest word emptying moves `top_word` (down past the empty words below it).
        if word + 1 == self.top_word && self.set[word] == 0 {
            while self.top_word > 0 && self.set[self.top_word - 1] == 0 {
                self.top_word -= 1;
            }
        }
    }

    /// Undoes the [`Search::place`] of `bit` just made, given the frontier and `top_word` from
    /// before it.
    #[inline(always)]
    fn unplace_to(&mut self, bit: u32, frontier: u32, top_word: usize) {
        self.set[bit as usize / 64] &= !(1 << (bit % 64));
        self.frontier = frontier;
        self.top_word = top_word;
    }

    /// What a memo entry keeps of the set: (frontier, window, never-returned words). The window
    /// runs from the frontier's word (the words below are all ones) to `top_word`, the highest
    /// nonzero one. With `WHOLE`, the frontier is 0 and the window the whole set.
    /// (An associated function, so that the memo can be borrowed beside it.)
    #[inline(always)]
    fn key<const WHOLE: bool>(
        set: &[u64],
        open_word: usize,
        frontier: u32,
        top_word: usize,
    ) -> (u32, &[u64], &[u64]) {
        if WHOLE {
            return (0, set, &[]);
        }
        let (returned, open) = set.split_at(open_word);
        let start = (frontier as usize / 64).min(top_word);
        (frontier, &returned[start..top_word], open)
    }

    /// Searches on for at most `slice_steps` steps: `None` if it paused, else the outcome.
    /// `memo_entries` counts memo entries over all live partitions and `bytes` their bytes.
    fn run(
        &mut self,
        slice_steps: u64,
        budget: &mut Budget<'_>,
        steps: &mut u64,
        memo_entries: &mut usize,
        bytes: &mut Bytes,
    ) -> Option<Outcome> {
        if self.whole_set {
            self.run_with::<true>(slice_steps, budget, steps, memo_entries, bytes)
        } else {
            self.run_with::<false>(slice_steps, budget, steps, memo_entries, bytes)
        }
    }

    /// [`Search::run`] with the set kept as `WHOLE` says ([`Search::whole_set`]).
    fn run_with<const WHOLE: bool>(
        &mut self,
        slice_steps: u64,
        budget: &mut Budget<'_>,
        steps: &mut u64,
        memo_entries: &mut usize,
        bytes: &mut Bytes,
    ) -> Option<Outcome> {
        let slice_end = steps.saturating_add(slice_steps);
        let entries_max = budget.memo_entries_max.min(MEMO_ENTRIES_MAX);
        let mut entry = self.entry;
        // Steps below `checkpoint` need none of the checks below (the slice's end, the step
        // budget, the poll), so a step costs one comparison for all three.
        let mut checkpoint = *steps;
        while self.next[HEAD as usize] != NIL {
            if *steps >= checkpoint {
                if *steps >= slice_end {
                    self.entry = entry;
                    return None;
                }
                if *steps >= budget.steps_max {
                    *steps += 1;
                    return Some(Outcome::GaveUp(UnknownReason::StepBudgetExhausted {
                        steps: *steps - 1,
                    }));
                }
                if (*steps + 1).is_multiple_of(STOP_POLL_INTERVAL_STEPS) {
                    if let Some(stop) = budget.should_stop.as_mut() {
                        if stop() {
                            *steps += 1;
                            return Some(Outcome::GaveUp(UnknownReason::Stopped { steps: *steps }));
                        }
                    }
                }
                // The next count before a step at which one of them may hold.
                let poll = (*steps + 2)
                    .checked_next_multiple_of(STOP_POLL_INTERVAL_STEPS)
                    .map_or(u64::MAX, |at| at - 1);
                checkpoint = slice_end.min(budget.steps_max).min(poll);
            }
            *steps += 1;
            if self.entry_match[entry as usize] != NIL {
                let op = self.entry_op[entry as usize] as usize;
                let operation = self.ops[op];
                if let Some(next_state) =
                    self.model
                        .step(&self.state, &operation.input, operation.output.as_ref())
                {
                    let bit = self.set_bit[op];
                    let (frontier, top_word) = (self.frontier, self.top_word);
                    self.place::<WHOLE>(bit);
                    let next_hash = self.set_hash ^ self.op_key[op];
                    let (key_frontier, window, open) =
                        Self::key::<WHOLE>(&self.set, self.open_word, self.frontier, self.top_word);
                    match self.memo.insert(
                        next_hash,
                        key_frontier,
                        window,
                        open,
                        &next_state,
                        *memo_entries >= entries_max,
                        bytes,
                    ) {
                        Insert::New => {
                            *memo_entries += 1;
                            self.set_hash = next_hash;
                            let previous = std::mem::replace(&mut self.state, next_state);
                            self.stack.push((entry, previous));
                            self.lift(entry);
                            self.record_best();
                            entry = self.next[HEAD as usize];
                            continue;
                        }
                        Insert::Seen => self.unplace_to(bit, frontier, top_word),
                        Insert::Full => {
                            return Some(Outcome::GaveUp(UnknownReason::MemoFull {
                                entries: *memo_entries,
                                bytes: bytes.used,
                            }))
                        }
                    }
                }
                entry = self.next[entry as usize];
            } else {
                let Some((call, previous)) = self.stack.pop() else {
                    return Some(Outcome::NotLinearizable);
                };
                self.best_agree = self.best_agree.min(self.stack.len());
                self.state = previous;
                let op = self.entry_op[call as usize] as usize;
                self.unplace::<WHOLE>(self.set_bit[op]);
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

    /// Keeps `best` the longest stack seen, copying only what changed since it last agreed.
    #[inline(always)]
    fn record_best(&mut self) {
        if self.stack.len() <= self.best.len() {
            return;
        }
        self.best.truncate(self.best_agree);
        let from = self.best.len();
        let entry_op = &self.entry_op;
        self.best.extend(
            self.stack[from..]
                .iter()
                .map(|&(e, _)| entry_op[e as usize]),
        );
        self.best_agree = self.stack.len();
    }
}
