//! Sequential consistency (Lamport 1979): "the result of any execution is the same as if the
//! operations of all the processors were executed in some sequential order, and the operations
//! of each individual processor appear in this sequence in the order specified by its program."
//!
//! Unlike linearizability, real time does not matter: a read may be ordered before a write that
//! completed long before the read began, as long as each client's own operations stay in the
//! order the client issued them. Deciding it is NP-complete in general (Gibbons & Korach, 1997),
//! so this is a search, bounded by [`Limits::sequential_steps_max`] and
//! [`Limits::sequential_memo_entries_max`]; out of budget is [`Verdict::Unknown`], never a pass.
//!
//! The search builds the order one operation at a time: a configuration is how many of each
//! client's operations are placed (a vector of counters), which unknown-outcome writes are
//! placed, and the register's state. Each configuration is explored at most once (a memo), and
//! an operation that cannot change any state (a read, a failed cas) that the current state
//! accepts is placed at once without branching: moving such an operation earlier in any valid
//! order keeps the order valid, so no answer is lost. Other moves are tried earliest invoke
//! first (most histories are nearly linearizable, so real-time order usually works at once), and
//! a branch is cut as soon as a register leaves a value that an operation still to be placed
//! needs and that nothing still to be placed can write again (a read of 1 after every write of 1
//! is overwritten can never be served). That cut is exact, so it only saves time; it is off for
//! histories with appends, whose results cannot be named in advance.
//!
//! Unknown outcomes: a read with one constrains nothing and is left out; a write (or cas) with
//! one may be placed at any point after its client's earlier operations, or never, and does not
//! hold back its client's later operations. A key-value history is searched as one state holding
//! every key, because sequential consistency is not local.

use super::history::by_invoke_line;
use super::{ConsistencyModel, Judgement, Limits, Verdict};
use crate::lin::hash::FxBuildHasher;
use crate::lin::{
    KvInput, KvOp, KvOutput, KvWholeModel, Model, Operation, ParseError, Prepared, RawHistory,
    RegisterInput, RegisterModel, RegisterOutput,
};
use std::collections::{BTreeMap, HashSet};

const MODEL: ConsistencyModel = ConsistencyModel::Sequential;

/// A sequential specification that can say which operations never change its state, and which
/// value of which cell (a register, a key) an operation needs and sets. The search uses the first
/// to place such operations greedily and the second to prune: once nothing left can set a cell
/// back to a value that some operation left still needs, the branch is dead.
pub trait StatePreserving: Model {
    /// Whether this operation, with this output, leaves every state unchanged (a read, a failed
    /// cas). Such operations can be placed greedily.
    fn preserves_state(&self, input: &Self::Input, output: Option<&Self::Output>) -> bool;

    /// The (cell, value) this operation needs to find, if it needs one exact value.
    fn needs(&self, input: &Self::Input, output: Option<&Self::Output>) -> Option<Cell>;

    /// What this operation may write.
    fn effect(&self, input: &Self::Input) -> Effect;

    /// The value of `cell` in `state`.
    fn value(&self, state: &Self::State, cell: u32) -> Option<i64>;
}

/// A cell (register or key id) and a value in it (`None`: nil).
pub type Cell = (u32, Option<i64>);

/// What an operation may write.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Effect {
    /// Nothing.
    Nothing,
    /// At most this value to this cell.
    Sets(Cell),
    /// Something the model cannot name in advance (an append): pruning is off.
    Opaque,
}

impl StatePreserving for RegisterModel {
    fn preserves_state(&self, input: &RegisterInput, output: Option<&RegisterOutput>) -> bool {
        match input {
            RegisterInput::Read => true,
            RegisterInput::Write(_) => false,
            RegisterInput::Cas { .. } => output == Some(&RegisterOutput::Cas(false)),
        }
    }

    fn needs(&self, input: &RegisterInput, output: Option<&RegisterOutput>) -> Option<Cell> {
        match (input, output) {
            (RegisterInput::Read, Some(RegisterOutput::Read(v))) => Some((0, *v)),
            (RegisterInput::Cas { from, .. }, Some(RegisterOutput::Cas(true))) => {
                Some((0, Some(*from)))
            }
            _ => None,
        }
    }

    fn effect(&self, input: &RegisterInput) -> Effect {
        match input {
            RegisterInput::Read => Effect::Nothing,
            RegisterInput::Write(v) | RegisterInput::Cas { to: v, .. } => {
                Effect::Sets((0, Some(*v)))
            }
        }
    }

    fn value(&self, state: &Option<i64>, _: u32) -> Option<i64> {
        *state
    }
}

impl StatePreserving for KvWholeModel<'_> {
    fn preserves_state(&self, input: &KvInput, _: Option<&KvOutput>) -> bool {
        input.op == KvOp::Get
    }

    fn needs(&self, input: &KvInput, output: Option<&KvOutput>) -> Option<Cell> {
        match (input.op, output) {
            (KvOp::Get, Some(seen)) => Some((input.key, Some(i64::from(seen.value)))),
            _ => None,
        }
    }

    fn effect(&self, input: &KvInput) -> Effect {
        match input.op {
            KvOp::Get => Effect::Nothing,
            KvOp::Put => Effect::Sets((input.key, Some(i64::from(input.arg)))),
            KvOp::Append => Effect::Opaque,
        }
    }

    fn value(&self, state: &std::rc::Rc<[u32]>, cell: u32) -> Option<i64> {
        state.get(cell as usize).map(|&v| i64::from(v))
    }
}

/// What the search found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Search {
    /// An order: indices into the lowered history.
    Found(Vec<usize>),
    /// No order exists. `prefix` is the longest order found, `next` the operations that would
    /// have had to follow it (each client's next one), `state` the state after `prefix`.
    None {
        /// The longest order found.
        prefix: Vec<usize>,
        /// Each unfinished client's next operation after it.
        next: Vec<usize>,
        /// The model state after the prefix.
        state: String,
    },
    /// Gave up.
    GaveUp(String),
}

/// Judges whether `raw` is sequentially consistent.
pub fn check(raw: &RawHistory, limits: &Limits) -> Result<Judgement, ParseError> {
    let by_line = by_invoke_line(raw);
    let judgement = match Prepared::from_raw(raw)? {
        Prepared::Register(ops) => judge(&RegisterModel, &ops, &by_line, limits),
        Prepared::Kv(model, ops) => judge(&KvWholeModel(&model), &ops, &by_line, limits),
    };
    Ok(judgement)
}

fn judge<M: StatePreserving>(
    model: &M,
    ops: &[Operation<M::Input, M::Output>],
    by_line: &BTreeMap<usize, usize>,
    limits: &Limits,
) -> Judgement {
    let raw_of = |i: usize| by_line.get(&ops[i].line).copied();
    match search(model, ops, limits) {
        Search::Found(_) => Judgement::new(
            MODEL,
            Verdict::Holds,
            "one order that keeps each client's own order explains every read",
        ),
        Search::GaveUp(reason) => {
            Judgement::new(MODEL, Verdict::Unknown, format!("unknown: {reason}"))
        }
        Search::None {
            prefix,
            next,
            state,
        } => {
            let described: Vec<String> = next
                .iter()
                .map(|&i| {
                    format!(
                        "client {} {}",
                        ops[i].client,
                        model.describe_operation(&ops[i].input, ops[i].output.as_ref())
                    )
                })
                .collect();
            let sentence = if prefix.is_empty() && next.len() == 1 {
                format!(
                    "no order explains the reads: {} cannot be first, and its client does \
                     nothing before it",
                    described[0]
                )
            } else {
                format!(
                    "no order that keeps each client's own order explains the reads: the \
                     longest one found places {} of {} operations (state {state}), and from \
                     there no client's next operation ({}) leads to a full order",
                    prefix.len(),
                    ops.len(),
                    described.join(", ")
                )
            };
            Judgement::violated(
                MODEL,
                next.iter().filter_map(|&i| raw_of(i)).collect(),
                sentence,
            )
        }
    }
}

/// Searches for a sequentially consistent order of `ops` under `model`.
pub fn search<M: StatePreserving>(
    model: &M,
    ops: &[Operation<M::Input, M::Output>],
    limits: &Limits,
) -> Search {
    let plan = Plan::new(model, ops);
    let mut s = State::new(model, &plan);
    s.run(limits)
}

/// Which operations the search places, and in what order each client's must go.
struct Plan<'a, M: Model> {
    model: &'a M,
    ops: &'a [Operation<M::Input, M::Output>],
    /// Per client (in client id order): its known-outcome operations, in program order.
    chains: Vec<Vec<usize>>,
    /// Unknown-outcome operations that may change state: (op, chain, how many of the chain's
    /// operations must be placed before it).
    ghosts: Vec<(usize, usize, u32)>,
    /// Per op: whether it never changes state.
    preserving: Vec<bool>,
    /// Whether every operation's effect is known in advance, so dead branches can be pruned.
    pruning: bool,
    /// Cells with a value some placed operation needs or sets, numbered.
    slot_of: BTreeMap<Cell, usize>,
    /// Per op: the slot it needs and the slot it sets.
    needs_slot: Vec<Option<usize>>,
    sets_slot: Vec<Option<usize>>,
    /// Per slot: how many operations need it and how many may set it, before the search.
    counts: Vec<(u32, u32)>,
}

impl<'a, M: StatePreserving> Plan<'a, M> {
    fn new(model: &'a M, ops: &'a [Operation<M::Input, M::Output>]) -> Self {
        let mut chain_of: BTreeMap<u64, usize> = BTreeMap::new();
        for op in ops {
            let next = chain_of.len();
            chain_of.entry(op.client).or_insert(next);
        }
        // Renumber chains in client id order, so the search (and its answer) does not depend on
        // which client appears first.
        for (k, slot) in chain_of.values_mut().enumerate() {
            *slot = k;
        }
        let mut chains = vec![Vec::new(); chain_of.len()];
        let mut ghosts = Vec::new();
        let mut order: Vec<usize> = (0..ops.len()).collect();
        order.sort_by_key(|&i| (ops[i].call, i));
        let preserving: Vec<bool> = ops
            .iter()
            .map(|op| model.preserves_state(&op.input, op.output.as_ref()))
            .collect();
        for i in order {
            let chain = chain_of[&ops[i].client];
            match (&ops[i].output, preserving[i]) {
                (Some(_), _) => chains[chain].push(i),
                // An unknown outcome that changes nothing constrains nothing.
                (None, true) => {}
                (None, false) => ghosts.push((i, chain, chains[chain].len() as u32)),
            }
        }
        let placed = chains
            .iter()
            .flatten()
            .copied()
            .chain(ghosts.iter().map(|g| g.0));
        let mut slot_of: BTreeMap<Cell, usize> = BTreeMap::new();
        let mut needs_slot = vec![None; ops.len()];
        let mut sets_slot = vec![None; ops.len()];
        let mut counts: Vec<(u32, u32)> = Vec::new();
        let mut pruning = true;
        for i in placed {
            let mut slot = |cell: Cell, counts: &mut Vec<(u32, u32)>| {
                let next = slot_of.len();
                let k = *slot_of.entry(cell).or_insert(next);
                if k == counts.len() {
                    counts.push((0, 0));
                }
                k
            };
            if let Some(cell) = model.needs(&ops[i].input, ops[i].output.as_ref()) {
                let k = slot(cell, &mut counts);
                counts[k].0 += 1;
                needs_slot[i] = Some(k);
            }
            match model.effect(&ops[i].input) {
                Effect::Nothing => {}
                Effect::Sets(cell) => {
                    let k = slot(cell, &mut counts);
                    counts[k].1 += 1;
                    sets_slot[i] = Some(k);
                }
                Effect::Opaque => pruning = false,
            }
        }
        Plan {
            model,
            ops,
            chains,
            ghosts,
            preserving,
            pruning,
            slot_of,
            needs_slot,
            sets_slot,
            counts,
        }
    }
}

/// A move of the search: placing the next operation of a chain, or a ghost.
#[derive(Clone, Copy)]
enum Move {
    Chain(usize),
    Ghost(usize),
}

struct Frame<S> {
    mv: Move,
    previous: S,
    /// The candidate to try next at the configuration below, after backtracking to it;
    /// `usize::MAX` after a greedy move, which has no alternatives.
    resume: usize,
}

struct State<'p, 'a, M: Model> {
    plan: &'p Plan<'a, M>,
    positions: Vec<u32>,
    ghost_placed: Vec<bool>,
    state: M::State,
    stack: Vec<Frame<M::State>>,
    remaining: usize,
    memo: HashSet<(Vec<u32>, M::State), FxBuildHasher>,
    steps: u64,
    best: Vec<usize>,
    /// Per slot: operations left that need it, and operations left that may set it.
    counts: Vec<(u32, u32)>,
}

impl<'p, 'a, M: StatePreserving> State<'p, 'a, M> {
    fn new(model: &M, plan: &'p Plan<'a, M>) -> Self {
        State {
            plan,
            positions: vec![0; plan.chains.len()],
            ghost_placed: vec![false; plan.ghosts.len()],
            state: model.init(),
            stack: Vec::new(),
            remaining: plan.chains.iter().map(Vec::len).sum(),
            memo: HashSet::default(),
            steps: 0,
            best: Vec::new(),
            counts: plan.counts.clone(),
        }
    }

    fn op_of(&self, mv: Move) -> usize {
        match mv {
            Move::Chain(c) => self.plan.chains[c][self.positions[c] as usize],
            Move::Ghost(g) => self.plan.ghosts[g].0,
        }
    }

    fn enabled(&self, mv: Move) -> bool {
        match mv {
            Move::Chain(c) => (self.positions[c] as usize) < self.plan.chains[c].len(),
            Move::Ghost(g) => {
                let (_, chain, after) = self.plan.ghosts[g];
                !self.ghost_placed[g] && self.positions[chain] >= after
            }
        }
    }

    /// The moves possible here, earliest invoke first: real-time order is the likeliest to
    /// work, since most histories are nearly linearizable. The same configuration always gives
    /// the same list, so backtracking can resume in it by position.
    fn moves(&self) -> Vec<Move> {
        let mut moves: Vec<Move> = (0..self.plan.chains.len())
            .map(Move::Chain)
            .chain((0..self.plan.ghosts.len()).map(Move::Ghost))
            .filter(|&mv| self.enabled(mv))
            .collect();
        moves.sort_by_key(|&mv| {
            let op = self.op_of(mv);
            (self.plan.ops[op].call, op)
        });
        moves
    }

    /// Applies `mv` if the model accepts it and the branch stays alive: the state before.
    fn apply(&mut self, mv: Move) -> Option<M::State> {
        let index = self.op_of(mv);
        let op = &self.plan.ops[index];
        self.steps += 1;
        let next = self
            .plan
            .model
            .step(&self.state, &op.input, op.output.as_ref())?;
        let left =
            self.plan.sets_slot[index].and_then(|_| match self.plan.model.effect(&op.input) {
                Effect::Sets((cell, _)) => {
                    let old = self.plan.model.value(&self.state, cell);
                    (self.plan.model.value(&next, cell) != old).then_some((cell, old))
                }
                _ => None,
            });
        match mv {
            Move::Chain(c) => {
                self.positions[c] += 1;
                self.remaining -= 1;
            }
            Move::Ghost(g) => self.ghost_placed[g] = true,
        }
        self.count(index, false);
        let previous = std::mem::replace(&mut self.state, next);
        if self.plan.pruning && left.is_some_and(|cell| self.dead(cell)) {
            self.undo(mv, previous);
            return None;
        }
        Some(previous)
    }

    /// Whether `cell`, just left, is needed by an operation left that nothing left can satisfy.
    fn dead(&self, cell: Cell) -> bool {
        self.plan
            .slot_of
            .get(&cell)
            .is_some_and(|&k| self.counts[k].0 > 0 && self.counts[k].1 == 0)
    }

    /// Counts operation `index` as placed (or, with `back`, as left again).
    fn count(&mut self, index: usize, back: bool) {
        let step = |n: &mut u32| {
            if back {
                *n += 1;
            } else {
                *n -= 1;
            }
        };
        if let Some(k) = self.plan.needs_slot[index] {
            step(&mut self.counts[k].0);
        }
        if let Some(k) = self.plan.sets_slot[index] {
            step(&mut self.counts[k].1);
        }
    }

    fn undo(&mut self, mv: Move, previous: M::State) {
        self.state = previous;
        match mv {
            Move::Chain(c) => {
                self.positions[c] -= 1;
                self.remaining += 1;
            }
            Move::Ghost(g) => self.ghost_placed[g] = false,
        }
        self.count(self.op_of(mv), true);
    }

    /// Records the configuration reached; `false` if it was explored before.
    fn remember(&mut self) -> bool {
        let mut key = self.positions.clone();
        key.extend(
            self.ghost_placed
                .chunks(32)
                .map(|bits| bits.iter().rev().fold(0u32, |w, &b| w << 1 | u32::from(b))),
        );
        self.memo.insert((key, self.state.clone()))
    }

    fn order(&self) -> Vec<usize> {
        // Replays the stack's moves from the start to name the operations in order.
        let mut positions = vec![0u32; self.plan.chains.len()];
        self.stack
            .iter()
            .map(|frame| match frame.mv {
                Move::Chain(c) => {
                    positions[c] += 1;
                    self.plan.chains[c][positions[c] as usize - 1]
                }
                Move::Ghost(g) => self.plan.ghosts[g].0,
            })
            .collect()
    }

    fn run(&mut self, limits: &Limits) -> Search {
        let mut cursor = 0usize;
        loop {
            if self.remaining == 0 {
                return Search::Found(self.order());
            }
            if self.steps >= limits.sequential_steps_max {
                return Search::GaveUp(format!(
                    "the search's step budget ran out after {} steps",
                    self.steps
                ));
            }
            if self.memo.len() >= limits.sequential_memo_entries_max {
                return Search::GaveUp(format!(
                    "the search's memo is full ({} configurations)",
                    self.memo.len()
                ));
            }
            let mut advanced = false;
            if cursor == 0 {
                if let Some(c) = self.greedy_chain() {
                    let mv = Move::Chain(c);
                    if let Some(previous) = self.apply(mv) {
                        self.stack.push(Frame {
                            mv,
                            previous,
                            resume: usize::MAX,
                        });
                        if self.remember() {
                            self.note_best();
                            continue;
                        }
                        // Explored before, so this configuration fails too: back out of both.
                        cursor = usize::MAX;
                    }
                }
            }
            if cursor != usize::MAX {
                let moves = self.moves();
                for (k, &mv) in moves.iter().enumerate().skip(cursor) {
                    let Some(previous) = self.apply(mv) else {
                        continue;
                    };
                    if self.remember() {
                        self.stack.push(Frame {
                            mv,
                            previous,
                            resume: k + 1,
                        });
                        self.note_best();
                        advanced = true;
                        break;
                    }
                    self.undo(mv, previous);
                }
            }
            if advanced {
                cursor = 0;
                continue;
            }
            let Some(frame) = self.stack.pop() else {
                return self.no_order();
            };
            self.undo(frame.mv, frame.previous);
            cursor = frame.resume;
        }
    }

    /// A chain whose next operation preserves state and is accepted now.
    fn greedy_chain(&self) -> Option<usize> {
        (0..self.plan.chains.len()).find(|&c| {
            let Some(&op) = self.plan.chains[c].get(self.positions[c] as usize) else {
                return false;
            };
            let o = &self.plan.ops[op];
            self.plan.preserving[op]
                && self
                    .plan
                    .model
                    .step(&self.state, &o.input, o.output.as_ref())
                    .is_some()
        })
    }

    fn note_best(&mut self) {
        if self.stack.len() > self.best.len() {
            self.best = self.order();
        }
    }

    fn no_order(&self) -> Search {
        let mut positions = vec![0usize; self.plan.chains.len()];
        let mut state = self.plan.model.init();
        let mut chain_of_op = BTreeMap::new();
        for (c, chain) in self.plan.chains.iter().enumerate() {
            for &op in chain {
                chain_of_op.insert(op, c);
            }
        }
        for &op in &self.best {
            let o = &self.plan.ops[op];
            if let Some(next) = self.plan.model.step(&state, &o.input, o.output.as_ref()) {
                state = next;
            }
            if let Some(&c) = chain_of_op.get(&op) {
                positions[c] += 1;
            }
        }
        let next = self
            .plan
            .chains
            .iter()
            .zip(&positions)
            .filter_map(|(chain, &p)| chain.get(p).copied())
            .collect();
        Search::None {
            prefix: self.best.clone(),
            next,
            state: self.plan.model.describe_state(&state),
        }
    }
}
