//! Linearizability checking of client histories.
//!
//! A *history* is what clients saw: each operation was invoked at one moment and returned (or
//! never returned) at a later one. It is *linearizable* with respect to a sequential
//! specification (a [`Model`]) if every operation can be given one instant between its invoke and
//! its return such that, executed one after another in the order of those instants, the model
//! accepts every operation with the output the client saw (Herlihy & Wing, 1990).
//!
//! The checker ([`check`]) is the just-in-time linearization search of Wing & Gong (1993) as
//! improved by Lowe (2017) and used by Porcupine: walk the calls and returns in real-time order,
//! try to linearize each call that is still pending, backtrack when a return is reached whose call
//! could not be placed, and remember every (set of linearized operations, model state) already
//! explored so that no configuration is searched twice. Histories whose model is
//! *P-compositional* (a key-value store: keys are independent) are split by the model into
//! partitions that are checked one by one.
//!
//! Operations whose outcome is unknown (Jepsen's `:info`, a client that timed out) carry no
//! output: the model must accept any output for them. One that never returned stays open until
//! the end of the history, so it may take effect at any point after its invoke, or (linearized
//! last) never.
//!
//! Register partitions with unique writes are decided without search in O(n log n) (Gibbons &
//! Korach's clusters, see `fast`), and sound prechecks refute reads of values nothing writes.
//!
//! Invariants: the checker is a pure function of (model, history, budget): no clocks, threads,
//! I/O or randomness; every search is bounded by [`Budget`]'s steps and bytes (at most
//! [`MEMO_BYTES_MAX`], accounted before each allocation), so a hard history ends as
//! [`Verdict::Unknown`] with its reason instead of hanging or running out of memory; a malformed
//! input file is a [`ParseError`] with a line number, never a panic.
//!
//! Histories come from text in three formats (see [`parse`]): Jepsen's etcd logs, Porcupine's
//! key-value EDN histories and our own JSON lines, described there.
//!
//! ```
//! use engine::lin::{check_text, Budget, Format, Verdict};
//!
//! let history = r#"{"client": 0, "type": "invoke", "f": "write", "value": 1}
//! {"client": 1, "type": "invoke", "f": "read"}
//! {"client": 1, "type": "ok", "f": "read", "value": 1}
//! {"client": 0, "type": "ok", "f": "write", "value": 1}
//! {"client": 1, "type": "invoke", "f": "read"}
//! {"client": 1, "type": "ok", "f": "read", "value": null}
//! "#;
//! let checked = check_text(history, Format::Auto, &mut Budget::default())
//!     .expect("well-formed history");
//! // The second read saw nil after the first had already seen 1: no order explains that.
//! assert!(matches!(checked.report.verdict, Verdict::NotLinearizable { .. }));
//! ```

mod checker;
mod explain;
mod fast;
pub mod generate;
pub mod hash;
mod kv;
mod memo;
pub mod parse;
mod register;
mod view;

pub use checker::{check, Budget, CheckReport, UnknownReason, Verdict, CONFLICT_SEARCH_STEPS_MAX};
pub use explain::{Explanation, LinearizedStep, StuckOperation};
pub use fast::{Conflict, FastVerdict};
pub use kv::{KvInput, KvModel, KvOp, KvOutput, KvWholeModel, Values};
pub use parse::{detect_format, parse, Format, ParseError, RawHistory, RawOperation, Status};
pub use register::{RegisterInput, RegisterModel, RegisterOutput};
pub use view::{view_text, HistoryView, OperationView, Outcome, Placement, VIEW_OPERATIONS_MAX};

use serde::{Deserialize, Serialize};
use std::fmt::Debug;
use std::hash::Hash;

/// Most operations a history may hold; larger files are rejected with a [`ParseError`].
pub const HISTORY_OPERATIONS_MAX: usize = 200_000;

/// Most entries the memos of explored configurations may hold together (over the partitions
/// being searched at once). The binding limit is usually [`MEMO_BYTES_MAX`]; this one bounds a
/// caller's [`Budget::memo_entries_max`].
pub const MEMO_ENTRIES_MAX: usize = 1_000_000_000;

/// Most bytes the searches (their memos of explored configurations, undo stacks and lists) may
/// hold together, natively: 512 MiB. When the next allocation would pass it, the partition that
/// needs it stops with [`UnknownReason::MemoFull`]: searching on without a memo could take
/// exponential time, and giving up is honest. A partition's bytes are freed when it is decided,
/// and other partitions go on, so a violation found elsewhere still makes the answer
/// `NotLinearizable`.
#[cfg(not(target_arch = "wasm32"))]
pub const MEMO_BYTES_MAX: usize = 512 << 20;

/// Most bytes the searches may hold together in WebAssembly (the browser worker): 256 MiB, well
/// inside a tab's memory.
#[cfg(target_arch = "wasm32")]
pub const MEMO_BYTES_MAX: usize = 256 << 20;

/// Partitions with at least this many operations are offered to the model's polynomial decision
/// before the search (smaller ones are searched at once, which gives the longest-prefix
/// explanations the history view draws).
pub const FAST_PATH_OPERATIONS_MIN: usize = 1_000;

/// Default number of search steps one check may take before it answers [`Verdict::Unknown`].
pub const SEARCH_STEPS_MAX_DEFAULT: u64 = 2_000_000_000;

/// How often (in search steps) the checker polls the caller's "should stop" callback.
pub const STOP_POLL_INTERVAL_STEPS: u64 = 4_096;

/// The return time of an operation that never returned: after every other event.
pub const RETURN_NEVER: u64 = u64::MAX;

/// One client operation: its input, what the client saw, and when it was invoked and returned.
///
/// Times are positions in a total real-time order (line numbers will do): only their order
/// matters. Operation `a` precedes `b` in real time iff `a.ret < b.call`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Operation<I, O> {
    /// The client (Jepsen: process) that ran it.
    pub client: u64,
    /// What was asked.
    pub input: I,
    /// What the client saw; `None` when the outcome is unknown (it may have taken effect or not,
    /// and the model must accept any output).
    pub output: Option<O>,
    /// Invoke time.
    pub call: u64,
    /// Return time, greater than `call`; [`RETURN_NEVER`] if it never returned.
    pub ret: u64,
    /// 1-based line of the invoke in the source file (0 if it did not come from a file).
    pub line: usize,
}

/// A sequential specification: the object the history's operations were run against.
///
/// `step` must be a pure function. The checker memoizes on `State`, so `Eq` and `Hash` must
/// agree with "behaves the same from here on", and a cheap `Clone` makes the check fast.
pub trait Model {
    /// The object's state.
    type State: Clone + Eq + Hash + Debug;
    /// An operation's input (the call).
    type Input: Clone + Debug;
    /// An operation's output (what the return carried).
    type Output: Clone + Debug;

    /// The state before any operation.
    fn init(&self) -> Self::State;

    /// Applies one operation: the next state if the model allows `input` to return `output` in
    /// `state`, `None` otherwise. `output` is `None` when the outcome is unknown: then the step
    /// must succeed, taking whatever effect the operation would have had.
    fn step(
        &self,
        state: &Self::State,
        input: &Self::Input,
        output: Option<&Self::Output>,
    ) -> Option<Self::State>;

    /// Splits the history into independent parts (P-compositionality): a list of (label, indices
    /// of operations) covering every operation once. `None` (the default) checks it whole.
    fn partition(
        &self,
        _operations: &[Operation<Self::Input, Self::Output>],
    ) -> Option<Vec<(String, Vec<usize>)>> {
        None
    }

    /// Decides one partition (`indices` into `history`) without search, when the model knows a
    /// polynomial decision for it or a sound precheck refutes it: `None` (the default) searches.
    /// A [`FastVerdict::Linearizable`] order must be one the model accepts and real time allows.
    fn decide_fast(
        &self,
        _history: &[Operation<Self::Input, Self::Output>],
        _indices: &[usize],
    ) -> Option<FastVerdict> {
        None
    }

    /// A short human description of an operation, e.g. `cas(1, 2) -> ok`.
    fn describe_operation(&self, input: &Self::Input, output: Option<&Self::Output>) -> String;

    /// A short human description of a state.
    fn describe_state(&self, state: &Self::State) -> String;

    /// The state an operation needs to be linearized, if the model can say (a read of 3 needs
    /// the value 3); used by explanations.
    fn required_state(
        &self,
        _input: &Self::Input,
        _output: Option<&Self::Output>,
    ) -> Option<String> {
        None
    }
}

/// Which sequential specification a history is checked against.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ModelKind {
    /// One register with read, write and compare-and-set ([`RegisterModel`]).
    RegisterCas,
    /// A key-value store with get, put and append ([`KvModel`]).
    KvGetPutAppend,
}

impl ModelKind {
    /// The name used in `expected.tsv` and the CLI.
    pub fn name(self) -> &'static str {
        match self {
            ModelKind::RegisterCas => "register-cas",
            ModelKind::KvGetPutAppend => "kv-get-put-append",
        }
    }

    /// The model a raw history's operations belong to, from their `f`s.
    pub fn infer(raw: &RawHistory) -> Result<ModelKind, ParseError> {
        let mut kind = None;
        for op in &raw.operations {
            let this = match op.f.as_str() {
                "read" | "write" | "cas" => ModelKind::RegisterCas,
                "get" | "put" | "append" => ModelKind::KvGetPutAppend,
                other => {
                    return Err(ParseError::new(
                        op.invoke_line,
                        format!("unknown f '{}'", parse::quote(other)),
                    ))
                }
            };
            match kind {
                None => kind = Some(this),
                Some(k) if k != this => {
                    return Err(ParseError::new(
                        op.invoke_line,
                        format!(
                            "f '{}' belongs to {}, but earlier operations belong to {}",
                            op.f,
                            this.name(),
                            k.name()
                        ),
                    ))
                }
                Some(_) => {}
            }
        }
        Ok(kind.unwrap_or(ModelKind::RegisterCas))
    }
}

/// A history parsed from text and checked.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Checked {
    /// The format the text was read as.
    pub format: Format,
    /// The model it was checked against.
    pub model: ModelKind,
    /// Number of operations checked.
    pub operations: usize,
    /// The checker's answer.
    pub report: CheckReport,
}

/// Parses `text` in `format`, detecting it first if asked: the format read and the history.
pub fn read(text: &str, format: Format) -> Result<(Format, RawHistory), ParseError> {
    let format = match format {
        Format::Auto => detect_format(text)?,
        f => f,
    };
    Ok((format, parse(text, format)?))
}

/// Parses `text` (auto-detecting the format if asked), infers the model and checks it.
pub fn check_text(
    text: &str,
    format: Format,
    budget: &mut Budget<'_>,
) -> Result<Checked, ParseError> {
    let (format, raw) = read(text, format)?;
    let prepared = Prepared::from_raw(&raw)?;
    // The raw operations are no longer needed: free them before the search takes its bytes.
    drop(raw);
    Ok(Checked {
        format,
        model: prepared.model(),
        operations: prepared.len(),
        report: prepared.check(false, budget),
    })
}

/// A history parsed and lowered to its model, ready to be checked (more than once, e.g. by a
/// benchmark that times only the search).
#[derive(Clone, Debug)]
pub enum Prepared {
    /// A register history.
    Register(Vec<Operation<RegisterInput, RegisterOutput>>),
    /// A key-value history with its model (which holds the interned strings).
    Kv(KvModel, Vec<Operation<KvInput, KvOutput>>),
}

impl Prepared {
    /// Parses `text`, infers the model and lowers the operations.
    pub fn from_text(text: &str, format: Format) -> Result<Prepared, ParseError> {
        Prepared::from_raw(&read(text, format)?.1)
    }

    /// Infers the model of a parsed history and lowers its operations.
    pub fn from_raw(raw: &RawHistory) -> Result<Prepared, ParseError> {
        Ok(match ModelKind::infer(raw)? {
            ModelKind::RegisterCas => Prepared::Register(RegisterModel::lower(raw)?),
            ModelKind::KvGetPutAppend => {
                let (model, ops) = KvModel::lower(raw)?;
                Prepared::Kv(model, ops)
            }
        })
    }

    /// Number of operations to check.
    pub fn len(&self) -> usize {
        match self {
            Prepared::Register(ops) => ops.len(),
            Prepared::Kv(_, ops) => ops.len(),
        }
    }

    /// Whether there is nothing to check.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The model it is checked against.
    pub fn model(&self) -> ModelKind {
        match self {
            Prepared::Register(_) => ModelKind::RegisterCas,
            Prepared::Kv(..) => ModelKind::KvGetPutAppend,
        }
    }

    /// Checks it; `whole` checks a key-value history as one state instead of key by key. A
    /// key-value model is cloned first, so every check starts from the string table as lowering
    /// left it (the search interns the strings its appends make; a warm table would flatter
    /// repeated checks).
    pub fn check(&self, whole: bool, budget: &mut Budget<'_>) -> CheckReport {
        match self {
            Prepared::Register(ops) => check(&RegisterModel, ops, budget),
            Prepared::Kv(model, ops) => {
                let fresh = model.clone();
                if whole {
                    check(&KvWholeModel(&fresh), ops, budget)
                } else {
                    check(&fresh, ops, budget)
                }
            }
        }
    }
}

impl Verdict {
    /// `linearizable`, `not-linearizable` or `unknown` (the names `expected.tsv` uses).
    pub fn name(&self) -> &'static str {
        match self {
            Verdict::Linearizable { .. } => "linearizable",
            Verdict::NotLinearizable { .. } => "not-linearizable",
            Verdict::Unknown { .. } => "unknown",
        }
    }
}
