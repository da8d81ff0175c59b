//! Explanations of non-linearizable histories, as plain data the app can draw.
//!
//! When the search fails it keeps the longest sequence of operations it managed to linearize.
//! The explanation replays that prefix through the model (recording the state after each step)
//! and then lists the operations that had to come next: every operation not yet linearized whose
//! invoke precedes the earliest pending return. One of them must be linearized next, and none
//! can be (either the model rejects it in the prefix's state, or every way on from it failed).

use super::fast::Conflict;
use super::{Model, Operation};
use serde::{Deserialize, Serialize};
use std::fmt::Write as _;

/// One linearized operation of the prefix.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LinearizedStep {
    /// Index of the operation in the history.
    pub operation: usize,
    /// Its client.
    pub client: u64,
    /// Line of its invoke in the source file.
    pub line: usize,
    /// The model's description of it, e.g. `write(3)`.
    pub description: String,
    /// The model state after it.
    pub state_after: String,
}

/// An operation that could not be linearized after the prefix.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StuckOperation {
    /// Index of the operation in the history.
    pub operation: usize,
    /// Its client.
    pub client: u64,
    /// Line of its invoke in the source file.
    pub line: usize,
    /// The model's description of it.
    pub description: String,
    /// Whether the model accepts it in the prefix's final state (if so, it failed only because
    /// nothing could follow it).
    pub accepted_in_state: bool,
    /// The state it would have needed, when the model can say.
    pub required_state: Option<String>,
    /// Whether this is the operation with the earliest return among those left: it had to be
    /// linearized by then.
    pub returns_first: bool,
}

/// Why a history is not linearizable: how far the search got, and what blocked it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Explanation {
    /// The failing partition's label (e.g. `key "x"`); empty when the history is checked whole.
    pub partition: String,
    /// The model's initial state.
    pub initial_state: String,
    /// The longest linearizable prefix found, in order.
    pub prefix: Vec<LinearizedStep>,
    /// The state after the prefix.
    pub state: String,
    /// The operations one of which had to come next, in invoke order; or, when `note` is set,
    /// the operations in conflict.
    pub stuck: Vec<StuckOperation>,
    /// Why, when the answer came from a decision without search ([`super::fast`]): the
    /// operations in `stuck` cannot all be linearized, for this reason.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

impl Explanation {
    /// A plain-text rendering for terminals.
    pub fn render_text(&self) -> String {
        let mut out = String::new();
        if !self.partition.is_empty() {
            let _ = writeln!(out, "in partition {}:", self.partition);
        }
        if let Some(note) = &self.note {
            let _ = writeln!(out, "found without search: {note}");
            for stuck in &self.stuck {
                let _ = writeln!(
                    out,
                    "  client {} {} (line {})",
                    stuck.client, stuck.description, stuck.line
                );
            }
            return out;
        }
        let _ = writeln!(
            out,
            "longest linearizable prefix ({} operation(s)), from state {}:",
            self.prefix.len(),
            self.initial_state
        );
        for (k, step) in self.prefix.iter().enumerate() {
            let _ = writeln!(
                out,
                "  {:>4}. client {} {} (line {})  => {}",
                k + 1,
                step.client,
                step.description,
                step.line,
                step.state_after
            );
        }
        let _ = writeln!(
            out,
            "then, in state {}, none of these could be linearized next:",
            self.state
        );
        for stuck in &self.stuck {
            let why = match (&stuck.required_state, stuck.accepted_in_state) {
                (_, true) => "allowed here, but nothing could follow it".to_string(),
                (Some(needed), false) => format!("needs {needed}"),
                (None, false) => "not allowed in this state".to_string(),
            };
            let first = if stuck.returns_first {
                " [returned first]"
            } else {
                ""
            };
            let _ = writeln!(
                out,
                "  client {} {} (line {}): {why}{first}",
                stuck.client, stuck.description, stuck.line
            );
        }
        out
    }
}

/// Builds the explanation for one failing partition. `indices` are its operations (history
/// indices) and `prefix` the longest linearized sequence found (history indices).
pub(crate) fn explain<M: Model>(
    model: &M,
    history: &[Operation<M::Input, M::Output>],
    indices: &[usize],
    prefix: &[usize],
    label: &str,
) -> Explanation {
    let initial = model.init();
    let mut state = initial.clone();
    let mut steps = Vec::with_capacity(prefix.len());
    for &i in prefix {
        let op = &history[i];
        // The search accepted this exact sequence, so the model accepts it again (it is pure).
        if let Some(next) = model.step(&state, &op.input, op.output.as_ref()) {
            state = next;
        }
        steps.push(LinearizedStep {
            operation: i,
            client: op.client,
            line: op.line,
            description: model.describe_operation(&op.input, op.output.as_ref()),
            state_after: model.describe_state(&state),
        });
    }
    let mut done = vec![false; history.len()];
    for &i in prefix {
        done[i] = true;
    }
    let left: Vec<usize> = indices.iter().copied().filter(|&i| !done[i]).collect();
    let first_return = left.iter().copied().min_by_key(|&i| (history[i].ret, i));
    let deadline = first_return.map_or(u64::MAX, |i| history[i].ret);
    let mut stuck: Vec<usize> = left
        .into_iter()
        .filter(|&i| history[i].call < deadline)
        .collect();
    stuck.sort_by_key(|&i| (history[i].call, i));
    let stuck = stuck
        .into_iter()
        .map(|i| {
            let op = &history[i];
            StuckOperation {
                operation: i,
                client: op.client,
                line: op.line,
                description: model.describe_operation(&op.input, op.output.as_ref()),
                accepted_in_state: model.step(&state, &op.input, op.output.as_ref()).is_some(),
                required_state: model.required_state(&op.input, op.output.as_ref()),
                returns_first: Some(i) == first_return,
            }
        })
        .collect();
    Explanation {
        partition: label.to_string(),
        initial_state: model.describe_state(&initial),
        prefix: steps,
        state: model.describe_state(&state),
        stuck,
        note: None,
    }
}

/// Builds the explanation of a conflict found without search: no prefix, the operations in
/// conflict as the stuck ones, and the conflict's reason as the note.
pub(crate) fn explain_conflict<M: Model>(
    model: &M,
    history: &[Operation<M::Input, M::Output>],
    conflict: &Conflict,
    label: &str,
) -> Explanation {
    let initial = model.init();
    let stuck = conflict
        .operations
        .iter()
        .map(|&i| {
            let op = &history[i];
            StuckOperation {
                operation: i,
                client: op.client,
                line: op.line,
                description: model.describe_operation(&op.input, op.output.as_ref()),
                accepted_in_state: false,
                required_state: model.required_state(&op.input, op.output.as_ref()),
                returns_first: false,
            }
        })
        .collect();
    Explanation {
        partition: label.to_string(),
        initial_state: model.describe_state(&initial),
        prefix: Vec::new(),
        state: model.describe_state(&initial),
        stuck,
        note: Some(conflict.note.clone()),
    }
}
