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
//! order keeps the order valid, so no answer is lost.
//!
//! Unknown outcomes: a read with one constrains nothing and is left out; a write (or cas) with
//! one may be placed at any point after its client's earlier operations, or never, and does not
//! hold back its client's later operations. A key-value history is searched as one state holding
//! every key, because sequential consistency is not local.

use super::{ConsistencyModel, Judgement, Limits, Verdict};
use crate::lin::hash::FxBuildHasher;
use crate::lin::{
    KvOp, KvWholeModel, Model, Operation, ParseError, Prepared, RawHistory, RegisterInput,
    RegisterModel, RegisterOutput,
};
use std::collections::{BTreeMap, HashSet};

const MODEL: ConsistencyModel = ConsistencyModel::Sequential;

/// A sequential specification that can tell which operations never change its state.
pub trait StatePreserving: Model {
    /// Whether this operation, with this output, leaves every state unchanged (a read, a failed
    /// cas). Such operations can be placed greedily.
    fn preserves_state(&self, input: &Self::Input, output: Option<&Self::Output>) -> bool;
}

impl StatePreserving for RegisterModel {
    fn preserves_state(&self, input: &RegisterInput, output: Option<&RegisterOutput>) -> bool {
        match input {
            RegisterInput::Read => true,
            RegisterInput::Write(_) => false,
            RegisterInput::Cas { .. } => output == Some(&RegisterOutput::Cas(false)),
        }
    }
}

impl StatePreserving for KvWholeModel<'_> {
    fn preserves_state(
        &self,
        input: &crate::lin::KvInput,
        _: Option<&crate::lin::KvOutput>,
    ) -> bool {
        input.op == KvOp::Get
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
    let by_line: BTreeMap<usize, usize> = raw
        .operations
        .iter()
        .enumerate()
        .map(|(i, op)| (op.invoke_line, i))
        .collect();
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
        Plan {
            model,
            ops,
            chains,
            ghosts,
            preserving,
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

    fn candidate(&self, k: usize) -> Move {
        if k < self.plan.chains.len() {
            Move::Chain(k)
        } else {
            Move::Ghost(k - self.plan.chains.len())
        }
    }

    /// Applies `mv` if the model accepts it: the state before.
    fn apply(&mut self, mv: Move) -> Option<M::State> {
        let op = &self.plan.ops[self.op_of(mv)];
        self.steps += 1;
        let next = self
            .plan
            .model
            .step(&self.state, &op.input, op.output.as_ref())?;
        match mv {
            Move::Chain(c) => {
                self.positions[c] += 1;
                self.remaining -= 1;
            }
            Move::Ghost(g) => self.ghost_placed[g] = true,
        }
        Some(std::mem::replace(&mut self.state, next))
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
        let candidates = self.plan.chains.len() + self.plan.ghosts.len();
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
                for k in cursor..candidates {
                    let mv = self.candidate(k);
                    if !self.enabled(mv) {
                        continue;
                    }
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
