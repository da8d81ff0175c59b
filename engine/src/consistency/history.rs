//! A history lowered to reads and writes of registers, as the causal and session checkers see it.
//!
//! The causal and session checkers reason about *which write a read saw* (Ahamad et al.'s
//! writes-into relation). From a history alone that is only known when every write of a register
//! writes a different value, so lowering requires it: a read of `v` read from the one write of
//! `v`. A register history (`read`, `write`) has one register; a key-value history (`get`, `put`)
//! one register per key. `cas` and `append` read and write in one step, which causal memory (a
//! model of reads and writes) does not define, so histories with them are not lowered.
//!
//! Outcomes: a failed operation did not happen and is left out; a read with an unknown outcome
//! saw nothing we know of and is left out; a write with an unknown outcome *took effect* if some
//! read returned its value (then it is kept, as a [`RwOp::ghost`]: ordered after its client's
//! earlier operations, but not before its later ones, since it may have landed at any time
//! after its invoke) and otherwise may never have happened, so it is left out. Leaving it out is
//! the most permissive choice: it removes constraints, never adds them.

use crate::lin::parse::{RawHistory, Status};
use serde_json::Value;
use std::collections::BTreeMap;

/// What a lowered operation does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum RwKind {
    Read,
    Write,
}

/// One read or write of one register.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct RwOp {
    /// Index of the operation in the raw history.
    pub raw: usize,
    pub client: u64,
    pub key: u32,
    pub kind: RwKind,
    /// The value written or read, as an id into [`RwHistory::values`]; `None` for a read that
    /// returned the register's initial value.
    pub value: Option<u32>,
    /// A write whose outcome is unknown but whose value was read.
    pub ghost: bool,
}

/// A history of reads and writes with unique written values.
#[derive(Clone, Debug, Default)]
pub(crate) struct RwHistory {
    pub ops: Vec<RwOp>,
    /// Key names by id (`""` for a register history's one register).
    pub keys: Vec<String>,
    /// Value texts by id, as the history wrote them.
    pub values: Vec<String>,
    /// Per value id: the lowered index of the write that wrote it, if any did.
    pub writer: Vec<Option<usize>>,
}

/// Why a history cannot be lowered to reads and writes with unique values.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum LowerError {
    /// It uses operations the model does not define (cas, append): not applicable.
    Unsupported(String),
    /// Writes-into cannot be told from the values: the answer is unknown.
    Ambiguous(String),
}

impl RwHistory {
    /// Lowers a raw history (register or key-value) to reads and writes.
    pub fn lower(raw: &RawHistory) -> Result<RwHistory, LowerError> {
        let mut history = RwHistory::default();
        let mut key_ids: BTreeMap<String, u32> = BTreeMap::new();
        let mut value_ids: BTreeMap<(u32, String), u32> = BTreeMap::new();
        // Per value id: (raw index, known outcome) of the writes of it.
        let mut writes: Vec<Vec<(usize, bool)>> = Vec::new();
        // Lowered ops before unknown writes are resolved; `None` marks an unknown write.
        let mut pending: Vec<(RwOp, bool)> = Vec::new();
        for (raw_index, op) in raw.operations.iter().enumerate() {
            let kind = match op.f.as_str() {
                "read" | "get" => RwKind::Read,
                "write" | "put" => RwKind::Write,
                other => {
                    return Err(LowerError::Unsupported(format!(
                        "the history uses {other}, which reads and writes in one step; \
                         causal memory and the session guarantees are defined here for reads \
                         and writes only"
                    )))
                }
            };
            if op.status == Status::Fail || (kind == RwKind::Read && op.status == Status::Unknown) {
                continue;
            }
            let key_name = op.key.clone().unwrap_or_default();
            let next_key = key_ids.len() as u32;
            let key = *key_ids.entry(key_name.clone()).or_insert(next_key);
            if key as usize == history.keys.len() {
                history.keys.push(key_name);
            }
            let text = match kind {
                RwKind::Read => value_text(&op.output),
                RwKind::Write => value_text(&op.input),
            };
            let value = match text {
                None if kind == RwKind::Write => {
                    return Err(LowerError::Ambiguous(format!(
                        "line {}: a write of the initial value cannot be told apart from it",
                        op.invoke_line
                    )))
                }
                None => None,
                Some(text) => {
                    let next_value = value_ids.len() as u32;
                    let id = *value_ids.entry((key, text.clone())).or_insert(next_value);
                    if id as usize == history.values.len() {
                        history.values.push(text);
                        writes.push(Vec::new());
                    }
                    Some(id)
                }
            };
            let known = op.status == Status::Ok;
            if let (RwKind::Write, Some(id)) = (kind, value) {
                writes[id as usize].push((raw_index, known));
            }
            pending.push((
                RwOp {
                    raw: raw_index,
                    client: op.client,
                    key,
                    kind,
                    value,
                    ghost: false,
                },
                known,
            ));
        }
        for (id, list) in writes.iter().enumerate() {
            if let [first, second, ..] = list[..] {
                let line = |i: usize| raw.operations[i].invoke_line;
                return Err(LowerError::Ambiguous(format!(
                    "written values are not unique: {} is written on lines {} and {}{}",
                    history.values[id],
                    line(first.0),
                    line(second.0),
                    key_phrase(&history.keys, pending_key(&pending, first.0)),
                )));
            }
        }
        let mut read_values = vec![false; history.values.len()];
        for (op, _) in &pending {
            if let (RwKind::Read, Some(id)) = (op.kind, op.value) {
                read_values[id as usize] = true;
            }
        }
        history.writer = vec![None; history.values.len()];
        for (mut op, known) in pending {
            if op.kind == RwKind::Write && !known {
                let id = op.value.unwrap_or_default() as usize;
                if !read_values[id] {
                    continue;
                }
                op.ghost = true;
            }
            if let (RwKind::Write, Some(id)) = (op.kind, op.value) {
                history.writer[id as usize] = Some(history.ops.len());
            }
            history.ops.push(op);
        }
        Ok(history)
    }

    /// How an operation reads in a sentence: `client 1's write of 3` or `client 1's read of nil`.
    pub fn describe(&self, index: usize) -> String {
        let op = &self.ops[index];
        let what = match op.kind {
            RwKind::Read => "read",
            RwKind::Write => "write",
        };
        format!(
            "client {}'s {what} of {}{}",
            op.client,
            self.value_name(op.value),
            key_phrase(&self.keys, op.key)
        )
    }

    /// A value's text (`nil` for the initial value).
    pub fn value_name(&self, value: Option<u32>) -> String {
        value.map_or_else(|| "nil".to_string(), |v| self.values[v as usize].clone())
    }

    /// ` on key "x"` for key-value histories, nothing for a register history.
    pub fn on_key(&self, key: u32) -> String {
        key_phrase(&self.keys, key)
    }

    /// Raw indices of some lowered operations, sorted.
    pub fn raw_indices(&self, lowered: &[usize]) -> Vec<usize> {
        let mut raw: Vec<usize> = lowered.iter().map(|&i| self.ops[i].raw).collect();
        raw.sort_unstable();
        raw.dedup();
        raw
    }
}

fn pending_key(pending: &[(RwOp, bool)], raw_index: usize) -> u32 {
    pending
        .iter()
        .find(|(op, _)| op.raw == raw_index)
        .map_or(0, |(op, _)| op.key)
}

fn key_phrase(keys: &[String], key: u32) -> String {
    match keys.get(key as usize) {
        Some(name) if !name.is_empty() => format!(" on key \"{name}\""),
        _ => String::new(),
    }
}

/// A value's text, `None` for the initial value (nil, or a key-value store's empty string).
pub(crate) fn value_text(value: &Value) -> Option<String> {
    match value {
        Value::Null => None,
        Value::String(s) if s.is_empty() => None,
        Value::String(s) => Some(s.clone()),
        other => Some(other.to_string()),
    }
}

/// Each operation's index in `raw`, by the line its invoke is on: how a checker's answer, which
/// names lines, is turned into the operations it is about.
pub(crate) fn by_invoke_line(raw: &RawHistory) -> BTreeMap<usize, usize> {
    raw.operations
        .iter()
        .enumerate()
        .map(|(i, op)| (op.invoke_line, i))
        .collect()
}
