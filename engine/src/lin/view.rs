//! A checked history as plain data the app draws: one bar per operation, in real-time order,
//! with where the checker placed it.
//!
//! Times in the view are *ranks*: the history's calls and returns numbered 0, 1, 2, … in
//! real-time order, so bars are evenly spaced however the source file spaced its lines (the
//! picture Porcupine draws). Only order matters for linearizability, so nothing is lost.
//!
//! Invariant: [`view_text`] is a pure function of its inputs, like the checker it calls.

use super::{
    check, read, Budget, Format, Model, ModelKind, Operation, ParseError, Prepared, RegisterModel,
    Verdict, RETURN_NEVER,
};
use serde::{Deserialize, Serialize};

/// Most operations a history view draws; longer histories are checked but not drawn.
pub const VIEW_OPERATIONS_MAX: usize = 2_000;

/// Where the checker placed one operation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Placement {
    /// Linearized at this position of its partition's order.
    Linearized {
        /// 0-based position.
        position: usize,
    },
    /// One of the operations that had to come next and could not (the violation).
    Stuck {
        /// The state it would have needed, when the model can say.
        required_state: Option<String>,
        /// The model accepts it in the state reached, but nothing could follow it.
        accepted_in_state: bool,
        /// It returned first among those left: it had to be linearized by then.
        returns_first: bool,
    },
    /// Not reached: the search stopped before it (a violation or the budget).
    Unplaced,
}

/// One operation of the history.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OperationView {
    /// The client that ran it.
    pub client: u64,
    /// The model's description, e.g. `cas(1, 2) -> ok`.
    pub description: String,
    /// Its partition's label (e.g. `key "x"`), empty when checked whole.
    pub partition: String,
    /// 1-based line of its invoke in the source.
    pub line: usize,
    /// Rank of its invoke.
    pub call: u32,
    /// Rank of its return; `None` if it never returned.
    pub ret: Option<u32>,
    /// Its outcome is unknown (it may or may not have taken effect).
    pub unknown: bool,
    /// Where the checker placed it.
    pub placement: Placement,
    /// The model state just before it in the order found (or, for a stuck operation, the state
    /// the search reached); `None` if unplaced.
    pub state_before: Option<String>,
    /// The model state just after it; `None` unless linearized.
    pub state_after: Option<String>,
}

/// The answer, in a form for the page.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Outcome {
    /// Every partition has a linearization.
    Linearizable,
    /// Some partition has none.
    NotLinearizable,
    /// The search gave up.
    Unknown,
}

/// A checked history, ready to draw.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct HistoryView {
    /// The format the text was read as.
    pub format: Format,
    /// The model it was checked against.
    pub model: ModelKind,
    /// The answer.
    pub outcome: Outcome,
    /// One paragraph for people: the answer and, if not linearizable, why.
    pub summary: String,
    /// The failing partition's label (not linearizable only; empty when checked whole).
    pub failing_partition: String,
    /// Distinct clients, ascending; row `i` of the drawing is `clients[i]`.
    pub clients: Vec<u64>,
    /// Operations in invoke order.
    pub operations: Vec<OperationView>,
    /// Number of ranks (calls and returns); never-returned operations end at this rank.
    pub ranks: u32,
    /// Search steps the check took.
    pub steps: u64,
    /// Peak memo entries.
    pub memo_entries_peak: usize,
    /// Partitions checked.
    pub partitions: usize,
}

/// Parses `text` (auto-detecting the format if asked), checks it within `budget` and lays it out
/// for drawing. A history longer than [`VIEW_OPERATIONS_MAX`] is an error: the page cannot draw
/// it legibly (the CLI checks any size).
pub fn view_text(
    text: &str,
    format: Format,
    budget: &mut Budget<'_>,
) -> Result<HistoryView, ParseError> {
    let (format, raw) = read(text, format)?;
    if raw.operations.len() > VIEW_OPERATIONS_MAX {
        return Err(ParseError::new(
            0,
            format!(
                "{} operations; the history view draws at most {VIEW_OPERATIONS_MAX} \
                 (check larger histories with `dslab lin`)",
                raw.operations.len()
            ),
        ));
    }
    let prepared = Prepared::from_raw(&raw)?;
    let mut view = match &prepared {
        Prepared::Register(history) => lay_out(&RegisterModel, history, budget),
        Prepared::Kv(kv, history) => lay_out(kv, history, budget),
    };
    view.format = format;
    view.model = prepared.model();
    Ok(view)
}

fn lay_out<M: Model>(
    model: &M,
    history: &[Operation<M::Input, M::Output>],
    budget: &mut Budget<'_>,
) -> HistoryView {
    let report = check(model, history, budget);
    let partitions = model
        .partition(history)
        .unwrap_or_else(|| vec![(String::new(), (0..history.len()).collect())]);
    let mut partition_of = vec![String::new(); history.len()];
    for (label, indices) in &partitions {
        for &i in indices {
            partition_of[i] = label.clone();
        }
    }

    // Ranks: every finite call and return time, in order.
    let mut times: Vec<u64> = history
        .iter()
        .flat_map(|op| [op.call, op.ret])
        .filter(|&t| t != RETURN_NEVER)
        .collect();
    times.sort_unstable();
    times.dedup();
    let rank = |t: u64| times.binary_search(&t).map_or(0, |r| r as u32);

    let mut operations: Vec<OperationView> = history
        .iter()
        .enumerate()
        .map(|(i, op)| OperationView {
            client: op.client,
            description: model.describe_operation(&op.input, op.output.as_ref()),
            partition: partition_of[i].clone(),
            line: op.line,
            call: rank(op.call),
            ret: (op.ret != RETURN_NEVER).then(|| rank(op.ret)),
            unknown: op.output.is_none(),
            placement: Placement::Unplaced,
            state_before: None,
            state_after: None,
        })
        .collect();

    let (outcome, summary, failing_partition) = match &report.verdict {
        Verdict::Linearizable { order } => {
            for order in order {
                let mut state = model.init();
                for (position, &i) in order.iter().enumerate() {
                    let op = &history[i];
                    let before = model.describe_state(&state);
                    if let Some(next) = model.step(&state, &op.input, op.output.as_ref()) {
                        state = next;
                    }
                    let v = &mut operations[i];
                    v.placement = Placement::Linearized { position };
                    v.state_before = Some(before);
                    v.state_after = Some(model.describe_state(&state));
                }
            }
            let summary = format!(
                "Linearizable: every operation can be given one instant between its invoke and \
                 its return so that, in that order, each returns what the client saw. The \
                 numbers on the bars give one such order{}.",
                if partitions.len() > 1 {
                    " (per key)"
                } else {
                    ""
                }
            );
            (Outcome::Linearizable, summary, String::new())
        }
        Verdict::NotLinearizable { explanation } => {
            let mut before = explanation.initial_state.clone();
            for (position, step) in explanation.prefix.iter().enumerate() {
                let v = &mut operations[step.operation];
                v.placement = Placement::Linearized { position };
                v.state_before = Some(std::mem::replace(&mut before, step.state_after.clone()));
                v.state_after = Some(step.state_after.clone());
            }
            for stuck in &explanation.stuck {
                let v = &mut operations[stuck.operation];
                v.placement = Placement::Stuck {
                    required_state: stuck.required_state.clone(),
                    accepted_in_state: stuck.accepted_in_state,
                    returns_first: stuck.returns_first,
                };
                v.state_before = Some(explanation.state.clone());
            }
            let names: Vec<String> = explanation
                .stuck
                .iter()
                .map(|s| format!("client {} {}", s.client, s.description))
                .collect();
            let partition = if explanation.partition.is_empty() {
                String::new()
            } else {
                format!(" ({})", explanation.partition)
            };
            let summary = match &explanation.note {
                Some(note) => format!("Not linearizable{partition}: {note}."),
                None => format!(
                    "Not linearizable{partition}: the longest order found places {} \
                     operation(s) and reaches state {}; then one of {} had to take effect next, \
                     and none can.",
                    explanation.prefix.len(),
                    explanation.state,
                    names.join(", ")
                ),
            };
            (
                Outcome::NotLinearizable,
                summary,
                explanation.partition.clone(),
            )
        }
        Verdict::Unknown { reason } => (
            Outcome::Unknown,
            format!("Unknown: the search gave up ({reason:?}) before an answer."),
            String::new(),
        ),
    };

    let mut clients: Vec<u64> = history.iter().map(|op| op.client).collect();
    clients.sort_unstable();
    clients.dedup();
    HistoryView {
        format: Format::Auto,
        model: ModelKind::RegisterCas,
        outcome,
        summary,
        failing_partition,
        clients,
        operations,
        ranks: times.len() as u32,
        steps: report.steps,
        memo_entries_peak: report.memo_entries_peak,
        partitions: report.partitions,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const STALE_READ: &str = r#"{"client": 0, "type": "invoke", "f": "write", "value": 1}
{"client": 1, "type": "invoke", "f": "read"}
{"client": 1, "type": "ok", "f": "read", "value": 1}
{"client": 0, "type": "ok", "f": "write", "value": 1}
{"client": 1, "type": "invoke", "f": "read"}
{"client": 1, "type": "ok", "f": "read", "value": null}
"#;

    #[test]
    fn a_stale_read_is_drawn_as_the_stuck_operation_after_the_prefix() {
        let v = view_text(STALE_READ, Format::Auto, &mut Budget::default()).unwrap();
        assert_eq!(v.outcome, Outcome::NotLinearizable);
        assert_eq!(v.clients, [0, 1]);
        assert_eq!(v.operations.len(), 3);
        assert_eq!(v.ranks, 6);
        // The write and the first read are placed, the second read (null) is stuck.
        assert!(matches!(
            v.operations[2].placement,
            Placement::Stuck {
                returns_first: true,
                ..
            }
        ));
        assert_eq!(v.operations[2].state_before.as_deref(), Some("1"));
        let placed = v
            .operations
            .iter()
            .filter(|o| matches!(o.placement, Placement::Linearized { .. }))
            .count();
        assert_eq!(placed, 2);
        assert!(v.summary.starts_with("Not linearizable"), "{}", v.summary);
        assert_eq!((v.operations[0].call, v.operations[0].ret), (0, Some(3)));
    }

    #[test]
    fn a_linearizable_history_numbers_every_operation_in_an_order_that_respects_real_time() {
        let text = STALE_READ.replace(r#""value": null"#, r#""value": 1"#);
        let v = view_text(&text, Format::Auto, &mut Budget::default()).unwrap();
        assert_eq!(v.outcome, Outcome::Linearizable);
        let mut order: Vec<(usize, &OperationView)> = v
            .operations
            .iter()
            .map(|o| match o.placement {
                Placement::Linearized { position } => (position, o),
                _ => panic!("unplaced operation in a linearizable history"),
            })
            .collect();
        order.sort_by_key(|(p, _)| *p);
        for pair in order.windows(2) {
            let (a, b) = (pair[0].1, pair[1].1);
            // b may not have returned before a was invoked.
            assert!(b.ret.is_none_or(|r| r > a.call), "order breaks real time");
            assert_eq!(a.state_after, b.state_before);
        }
    }

    #[test]
    fn a_never_returned_operation_has_no_return_rank_and_unknown_outcome() {
        let text = r#"{"client": 0, "type": "invoke", "f": "write", "value": 1}
{"client": 1, "type": "invoke", "f": "read"}
{"client": 1, "type": "ok", "f": "read", "value": 1}
"#;
        let v = view_text(text, Format::Auto, &mut Budget::default()).unwrap();
        assert_eq!(v.outcome, Outcome::Linearizable);
        assert_eq!(v.operations[0].ret, None);
        assert!(v.operations[0].unknown);
    }

    #[test]
    fn malformed_and_oversized_histories_are_errors_with_lines() {
        let bad = r#"{"client": 0, "type": "ok", "f": "write", "value": 1}"#;
        let err = view_text(bad, Format::Auto, &mut Budget::default()).unwrap_err();
        assert_eq!(err.line, 1);
        let mut big = String::new();
        for i in 0..=VIEW_OPERATIONS_MAX {
            big.push_str(&format!(
                "{{\"client\": 0, \"type\": \"invoke\", \"f\": \"write\", \"value\": {i}}}\n\
                 {{\"client\": 0, \"type\": \"ok\", \"f\": \"write\", \"value\": {i}}}\n"
            ));
        }
        let err = view_text(&big, Format::Auto, &mut Budget::default()).unwrap_err();
        assert!(err.message.contains("draws at most"), "{}", err.message);
    }

    #[test]
    fn kv_histories_are_labelled_by_key() {
        let text = r#"{"client": 0, "type": "invoke", "f": "put", "key": "x", "value": "a"}
{"client": 0, "type": "ok", "f": "put", "key": "x", "value": "a"}
{"client": 1, "type": "invoke", "f": "get", "key": "y"}
{"client": 1, "type": "ok", "f": "get", "key": "y", "value": "b"}
"#;
        let v = view_text(text, Format::Auto, &mut Budget::default()).unwrap();
        assert_eq!(v.model, ModelKind::KvGetPutAppend);
        assert_eq!(v.outcome, Outcome::NotLinearizable);
        assert_eq!(v.failing_partition, "key \"y\"");
        assert_eq!(v.operations[0].partition, "key \"x\"");
    }
}
