//! Consistency models: which guarantees a client history of registers keeps.
//!
//! A history is what clients saw (see [`crate::lin`]). A *consistency model* is a set of
//! histories a store is allowed to produce; a stronger model allows fewer. This module places one
//! history in each of these models, from strongest to weakest:
//!
//! - **Linearizable** (Herlihy & Wing, "Linearizability: a correctness condition for concurrent
//!   objects", 1990): one total order of the operations that respects real time (an operation
//!   that returned before another was invoked comes first) and that the register's sequential
//!   specification accepts. Checked by [`crate::lin::check`].
//! - **Sequentially consistent** (Lamport, "How to make a multiprocessor computer that correctly
//!   executes multiprocess programs", 1979): one total order that respects each client's own
//!   order (its *program order*) but not real time, and that the specification accepts.
//!   Checked by a search ([`sequential`]).
//! - **Causally consistent** (Ahamad, Neiger, Burns, Kohli & Hutto, "Causal memory:
//!   definitions, implementation, and programming", 1995): the *causal order* is program order
//!   together with writes-into (a write precedes every read that returns its value),
//!   transitively closed. Every client must be able to explain what *it* saw by its own order of
//!   its operations and all writes, respecting causal order; different clients may order
//!   concurrent writes differently. Checked by saturation ([`causal`]).
//! - **Session guarantees** (Terry, Demers, Petersen, Spreitzer, Theimer & Welch, "Session
//!   guarantees for weakly consistent replicated data", 1994; as stated by Brzeziński, Sobaniec &
//!   Wawrzyniak, "From session causality to causal consistency", 2004, and formalized by Viotti &
//!   Vukolić, "Consistency in non-transactional distributed storage systems", 2016):
//!   read-your-writes, monotonic reads, monotonic writes and writes-follow-reads, each per
//!   session (a client). Checked against an arbitration order of writes ([`session`]).
//! - **Converged** (the safety half of eventual consistency, Terry et al. 1994 and Vogels,
//!   "Eventually consistent", 2009): once updates stop, every replica holds the same value. A
//!   history of clients cannot show that; it needs each replica's final state
//!   ([`FinalReads`], [`converged`]).
//!
//! Linearizable ⇒ sequentially consistent ⇒ causally consistent: each order that explains the
//! stronger model explains the weaker. [`classify`] uses that to settle a model whose own check
//! gave up when a neighbour's answer implies it, and says so.
//!
//! **Composition over keys.** Linearizability is *local* (Herlihy & Wing, Theorem 1): a key-value
//! history is linearizable iff each key's history is, so it is checked key by key. Sequential
//! consistency is *not* local (two keys can each be sequentially consistent while no single order
//! explains both), so a key-value history is searched as one state holding every key. Causal
//! consistency is not local either (causality crosses keys: reading `y`'s new value and then
//! `x`'s old one can break it though each key alone is fine), so the causal check builds one
//! causal order over all keys. Session guarantees and convergence are stated per key of a
//! session's reads and writes and are checked key by key (an arbitration order per key).
//!
//! **Unknown outcomes** (a timeout, Jepsen's `:info`) are never counted as failures: a write
//! with an unknown outcome may or may not have taken effect, at any time after its invoke; a read
//! with one constrains nothing. A check that runs out of budget, or cannot decide, answers
//! [`Verdict::Unknown`] with a reason, never a pass.
//!
//! Invariants: every checker is a pure function of its inputs (no clocks, threads, I/O or
//! randomness), uses ordered maps only where order can reach a result, is bounded by a named
//! limit, and reports malformed input as a [`ParseError`], never a panic.
//!
//! ```
//! use engine::consistency::{classify_text, ConsistencyModel, Limits, Verdict};
//! use engine::lin::Format;
//!
//! // Client 1 reads nil after client 0's write of 1 completed: a stale read.
//! let history = r#"{"client": 0, "type": "invoke", "f": "write", "value": 1}
//! {"client": 0, "type": "ok", "f": "write", "value": 1}
//! {"client": 1, "type": "invoke", "f": "read"}
//! {"client": 1, "type": "ok", "f": "read", "value": null}
//! "#;
//! let c = classify_text(history, Format::Auto, None, &Limits::default()).unwrap();
//! assert_eq!(c.verdict(ConsistencyModel::Linearizable), Some(Verdict::Violated));
//! // Without real time, client 1's read may simply come first.
//! assert_eq!(c.verdict(ConsistencyModel::Sequential), Some(Verdict::Holds));
//! assert_eq!(c.verdict(ConsistencyModel::Causal), Some(Verdict::Holds));
//! ```

pub mod bench;
pub mod causal;
pub mod converged;
mod history;
pub mod linearizable;
pub mod sequential;
pub mod session;
#[cfg(test)]
mod tests;

pub use converged::{parse_final_reads, FinalRead, FinalReads, FINAL_READS_MAX};

use crate::lin::{read, Format, ParseError, RawHistory};
use serde::{Deserialize, Serialize};

/// Default search steps for the linearizability check (one step: one call or return visited).
pub const LINEARIZABLE_STEPS_MAX_DEFAULT: u64 = 20_000_000;

/// Default search steps for the sequential consistency search (one step: one operation tried).
pub const SEQUENTIAL_STEPS_MAX_DEFAULT: u64 = 20_000_000;

/// Default bound on the sequential search's memo of explored configurations (entries).
pub const SEQUENTIAL_MEMO_ENTRIES_MAX_DEFAULT: usize = 2_000_000;

/// How much work a classification may do. Every bound, when reached, makes that model's answer
/// [`Verdict::Unknown`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Limits {
    /// Search steps for the linearizability check.
    pub linearizable_steps_max: u64,
    /// Search steps for the sequential consistency search.
    pub sequential_steps_max: u64,
    /// Memo entries for the sequential consistency search.
    pub sequential_memo_entries_max: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            linearizable_steps_max: LINEARIZABLE_STEPS_MAX_DEFAULT,
            sequential_steps_max: SEQUENTIAL_STEPS_MAX_DEFAULT,
            sequential_memo_entries_max: SEQUENTIAL_MEMO_ENTRIES_MAX_DEFAULT,
        }
    }
}

/// A consistency model (or one guarantee) a history is classified under.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ConsistencyModel {
    /// Herlihy & Wing 1990.
    Linearizable,
    /// Lamport 1979.
    Sequential,
    /// Causal memory, Ahamad et al. 1995.
    Causal,
    /// Terry et al. 1994: a session's reads see its own earlier writes.
    ReadYourWrites,
    /// Terry et al. 1994: a session's reads never go back to older writes.
    MonotonicReads,
    /// Terry et al. 1994: a session's writes are ordered as it made them.
    MonotonicWrites,
    /// Terry et al. 1994: a session's writes are ordered after the writes it had read.
    WritesFollowReads,
    /// Every replica ends with the same state once updates stop.
    Converged,
}

impl ConsistencyModel {
    /// Every model, strongest first (the order [`classify`] reports them in).
    pub const ALL: [ConsistencyModel; 8] = [
        ConsistencyModel::Linearizable,
        ConsistencyModel::Sequential,
        ConsistencyModel::Causal,
        ConsistencyModel::ReadYourWrites,
        ConsistencyModel::MonotonicReads,
        ConsistencyModel::MonotonicWrites,
        ConsistencyModel::WritesFollowReads,
        ConsistencyModel::Converged,
    ];

    /// The models a client history alone can show, strongest first: every one but
    /// convergence, which needs the replicas' final states.
    pub const FROM_HISTORY: [ConsistencyModel; 7] = {
        let mut models = [ConsistencyModel::Linearizable; 7];
        let mut i = 0;
        while i < models.len() {
            models[i] = ConsistencyModel::ALL[i];
            i += 1;
        }
        models
    };

    /// The name the CLI prints and the test data labels use, e.g. `read-your-writes`.
    pub fn name(self) -> &'static str {
        match self {
            ConsistencyModel::Linearizable => "linearizable",
            ConsistencyModel::Sequential => "sequential",
            ConsistencyModel::Causal => "causal",
            ConsistencyModel::ReadYourWrites => "read-your-writes",
            ConsistencyModel::MonotonicReads => "monotonic-reads",
            ConsistencyModel::MonotonicWrites => "monotonic-writes",
            ConsistencyModel::WritesFollowReads => "writes-follow-reads",
            ConsistencyModel::Converged => "converged",
        }
    }

    /// The model with this [`ConsistencyModel::name`].
    pub fn from_name(name: &str) -> Option<ConsistencyModel> {
        ConsistencyModel::ALL.into_iter().find(|m| m.name() == name)
    }
}

/// A checker's answer for one model.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Verdict {
    /// The history is in the model.
    Holds,
    /// The history is not in the model; the judgement names the anomaly.
    Violated,
    /// The checker could not decide (budget, size, ambiguous values); never a pass.
    Unknown,
    /// The model does not apply to this history (e.g. no replica states for convergence).
    NotApplicable,
}

impl Verdict {
    /// `holds`, `violated`, `unknown` or `not-applicable`.
    pub fn name(self) -> &'static str {
        match self {
            Verdict::Holds => "holds",
            Verdict::Violated => "violated",
            Verdict::Unknown => "unknown",
            Verdict::NotApplicable => "not-applicable",
        }
    }

    /// The verdict with this [`Verdict::name`].
    pub fn from_name(name: &str) -> Option<Verdict> {
        [
            Verdict::Holds,
            Verdict::Violated,
            Verdict::Unknown,
            Verdict::NotApplicable,
        ]
        .into_iter()
        .find(|v| v.name() == name)
    }
}

/// One model's verdict, the operations that show it and one sentence saying why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Judgement {
    /// The model judged.
    pub model: ConsistencyModel,
    /// The answer.
    pub verdict: Verdict,
    /// For a violation, the operations that show the anomaly (indices into the parsed
    /// history's operations, [`RawHistory::operations`], ascending); otherwise empty.
    pub operations: Vec<usize>,
    /// One sentence: the anomaly, why it holds, or why there is no answer.
    pub sentence: String,
}

impl Judgement {
    /// A judgement with no operations.
    pub fn new(model: ConsistencyModel, verdict: Verdict, sentence: impl Into<String>) -> Self {
        Judgement {
            model,
            verdict,
            operations: Vec::new(),
            sentence: sentence.into(),
        }
    }

    /// A violation shown by `operations` (raw indices).
    pub fn violated(
        model: ConsistencyModel,
        mut operations: Vec<usize>,
        sentence: impl Into<String>,
    ) -> Self {
        operations.sort_unstable();
        operations.dedup();
        Judgement {
            model,
            verdict: Verdict::Violated,
            operations,
            sentence: sentence.into(),
        }
    }
}

/// Every model's judgement of one history.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Classification {
    /// The format the history was read as.
    pub format: Format,
    /// Number of operations in the parsed history.
    pub operations: usize,
    /// One judgement per model, in [`ConsistencyModel::ALL`] order.
    pub judgements: Vec<Judgement>,
}

impl Classification {
    /// The judgement of one model.
    pub fn judgement(&self, model: ConsistencyModel) -> Option<&Judgement> {
        self.judgements.iter().find(|j| j.model == model)
    }

    /// The verdict of one model.
    pub fn verdict(&self, model: ConsistencyModel) -> Option<Verdict> {
        self.judgement(model).map(|j| j.verdict)
    }
}

/// Parses `text` (detecting the format if asked) and classifies it.
pub fn classify_text(
    text: &str,
    format: Format,
    finals: Option<&FinalReads>,
    limits: &Limits,
) -> Result<Classification, ParseError> {
    let (format, raw) = read(text, format)?;
    let judgements = classify(&raw, finals, limits)?;
    Ok(Classification {
        format,
        operations: raw.operations.len(),
        judgements,
    })
}

/// Judges a parsed history under every model, in [`ConsistencyModel::ALL`] order. `finals` are
/// the replicas' final states for [`converged`], if known. A history whose values do not fit its
/// operations (a write of a string to a register) is a [`ParseError`].
pub fn classify(
    raw: &RawHistory,
    finals: Option<&FinalReads>,
    limits: &Limits,
) -> Result<Vec<Judgement>, ParseError> {
    let mut judgements = vec![
        linearizable::check(raw, limits)?,
        sequential::check(raw, limits)?,
        causal::check(raw),
    ];
    judgements.extend(session::check(raw));
    judgements.push(converged::check(raw, finals));
    settle_by_implication(&mut judgements);
    Ok(judgements)
}

/// Fills in an `Unknown` from a neighbour in the chain linearizable ⇒ sequential ⇒ causal:
/// a stronger model that holds makes the weaker hold, a weaker one violated makes the stronger
/// violated. Only `Unknown` answers change, and the sentence says where the answer came from.
fn settle_by_implication(judgements: &mut [Judgement]) {
    let chain = [
        ConsistencyModel::Linearizable,
        ConsistencyModel::Sequential,
        ConsistencyModel::Causal,
    ];
    let position = |js: &[Judgement], m: ConsistencyModel| js.iter().position(|j| j.model == m);
    let (Some(l), Some(s), Some(c)) = (
        position(judgements, chain[0]),
        position(judgements, chain[1]),
        position(judgements, chain[2]),
    ) else {
        return;
    };
    let order = [l, s, c];
    // Downwards: holds propagates to weaker models.
    for k in 1..order.len() {
        let (stronger, weaker) = (order[k - 1], order[k]);
        if judgements[weaker].verdict == Verdict::Unknown
            && judgements[stronger].verdict == Verdict::Holds
        {
            let name = judgements[stronger].model.name();
            let reason = judgements[weaker].sentence.clone();
            judgements[weaker] = Judgement::new(
                judgements[weaker].model,
                Verdict::Holds,
                format!("holds because the history is {name} (its own check: {reason})"),
            );
        }
    }
    // Upwards: a violation propagates to stronger models.
    for k in (1..order.len()).rev() {
        let (stronger, weaker) = (order[k - 1], order[k]);
        if judgements[stronger].verdict == Verdict::Unknown
            && judgements[weaker].verdict == Verdict::Violated
        {
            let weaker_judgement = judgements[weaker].clone();
            let reason = judgements[stronger].sentence.clone();
            judgements[stronger] = Judgement::violated(
                judgements[stronger].model,
                weaker_judgement.operations,
                format!(
                    "violated because the history is not {} ({}; its own check: {reason})",
                    weaker_judgement.model.name(),
                    weaker_judgement.sentence
                ),
            );
        }
    }
}
