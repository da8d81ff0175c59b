//! Linearizability as one model among the others: the existing checker ([`crate::lin::check`],
//! key by key for key-value histories, which linearizability's locality makes exact), its answer
//! turned into a [`Judgement`].
//!
//! The sentence names the anomaly when it is a plain *stale read*: a read returned a value
//! although, before the read was invoked, a write of another value had completed after every
//! write of the value read had completed (or the value read is the initial one). No order that
//! respects real time can place that read. Otherwise the sentence says how far the search got.

use super::history::{by_invoke_line, value_text};
use super::{ConsistencyModel, Judgement, Limits, Verdict};
use crate::lin::{Budget, ParseError, Prepared, RawHistory, Status, Verdict as LinVerdict};

const MODEL: ConsistencyModel = ConsistencyModel::Linearizable;

/// Longest history (operations) scanned for a stale read to name; the scan is quadratic, and a
/// longer history gets the search's own account instead.
pub const STALE_READ_SCAN_OPERATIONS_MAX: usize = 2_000;

/// Judges whether `raw` is linearizable.
pub fn check(raw: &RawHistory, limits: &Limits) -> Result<Judgement, ParseError> {
    let prepared = Prepared::from_raw(raw)?;
    let report = prepared.check(false, &mut Budget::steps(limits.linearizable_steps_max));
    Ok(match report.verdict {
        LinVerdict::Linearizable { .. } => Judgement::new(
            MODEL,
            Verdict::Holds,
            "one order of the operations respects real time and explains every read",
        ),
        LinVerdict::Unknown { reason } => {
            Judgement::new(MODEL, Verdict::Unknown, format!("unknown: {reason}"))
        }
        LinVerdict::NotLinearizable { explanation } => match stale_read(raw) {
            Some((operations, sentence)) => Judgement::violated(MODEL, operations, sentence),
            None => {
                let by_line = by_invoke_line(raw);
                let operations = explanation
                    .stuck
                    .iter()
                    .filter_map(|s| by_line.get(&s.line).copied())
                    .collect();
                let stuck: Vec<String> = explanation
                    .stuck
                    .iter()
                    .map(|s| format!("client {} {}", s.client, s.description))
                    .collect();
                Judgement::violated(
                    MODEL,
                    operations,
                    format!(
                        "no order respecting real time explains the reads: after the longest \
                         order found ({} operations, leaving {} at {}), none of {} can come next",
                        explanation.prefix.len(),
                        if explanation.partition.is_empty() {
                            "the register".to_string()
                        } else {
                            explanation.partition.clone()
                        },
                        explanation.state,
                        stuck.join(", ")
                    ),
                )
            }
        },
    })
}

/// The first stale read of a register or key-value history with plain reads and writes, if
/// there is one a reader can see at a glance (see the module docs).
fn stale_read(raw: &RawHistory) -> Option<(Vec<usize>, String)> {
    let ops = &raw.operations;
    let is_write = |f: &str| f == "write" || f == "put";
    let is_read = |f: &str| f == "read" || f == "get";
    if ops.len() > STALE_READ_SCAN_OPERATIONS_MAX
        || ops.iter().any(|op| !is_write(&op.f) && !is_read(&op.f))
    {
        return None;
    }
    for (r, read) in ops.iter().enumerate() {
        if !is_read(&read.f) || read.status != Status::Ok {
            continue;
        }
        let seen = value_text(&read.output);
        // Every write of the value read (that may have taken effect).
        let sources: Vec<usize> = (0..ops.len())
            .filter(|&w| {
                is_write(&ops[w].f)
                    && ops[w].key == read.key
                    && ops[w].status != Status::Fail
                    && value_text(&ops[w].input) == seen
            })
            .collect();
        if seen.is_some() && sources.is_empty() {
            continue;
        }
        let newer = (0..ops.len()).find(|&w| {
            let write = &ops[w];
            is_write(&write.f)
                && write.key == read.key
                && write.status == Status::Ok
                && value_text(&write.input) != seen
                && write.ret < read.call
                && sources.iter().all(|&s| ops[s].ret < write.call)
        });
        if let Some(w) = newer {
            let write = &ops[w];
            let shown = seen.unwrap_or_else(|| "nil".to_string());
            let written = value_text(&write.input).unwrap_or_else(|| "nil".to_string());
            let mut operations = vec![r, w];
            operations.extend(sources);
            return Some((
                operations,
                format!(
                    "stale read: client {} read {shown} after client {}'s write of {written} \
                     had completed",
                    read.client, write.client
                ),
            ));
        }
    }
    None
}
