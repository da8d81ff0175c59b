//! Convergence, the safety half of eventual consistency: "if no new updates are made to the
//! object, eventually all accesses will return the last updated value" (Vogels, "Eventually
//! consistent", CACM 2009; Terry et al. 1994 for Bayou's anti-entropy). Eventual consistency's
//! liveness ("eventually") cannot be seen in a finite history; what can be checked is its
//! safety once updates have stopped: every replica holds the same state, and that state is one
//! the clients' writes could have produced.
//!
//! Client histories do not say which replica served an operation, so the replicas' final states
//! are a separate input, [`FinalReads`]: JSON lines, one read per replica and key after updates
//! stopped,
//!
//! ```text
//! {"replica": "a", "value": 3}
//! {"replica": "b", "key": "x", "value": "x1"}
//! ```
//!
//! (`key` absent for a register history; `value` `null` for the initial value). A replica that
//! reports nothing for a key others report is taken to hold the initial value there. Without
//! final reads the model is [`Verdict::NotApplicable`], never a pass.
//!
//! The check: for every key, all replicas report the same value, and that value is the initial
//! one or was written by a write that may have taken effect (an `ok` or unknown-outcome write or
//! put, or the `to` of a cas). For histories with `append` only agreement is checked, since the
//! strings appends can build are not listed in the history.

use super::history::value_text;
use super::{ConsistencyModel, Judgement, Verdict};
use crate::lin::{ParseError, RawHistory, Status};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

const MODEL: ConsistencyModel = ConsistencyModel::Converged;

/// Most final reads one input may hold; more is a [`ParseError`].
pub const FINAL_READS_MAX: usize = 100_000;

/// One replica's final value of one key.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FinalRead {
    /// The replica's name.
    pub replica: String,
    /// The key; `None` for a register history.
    pub key: Option<String>,
    /// The value (`null` = the initial value).
    pub value: Value,
    /// 1-based line in the source.
    pub line: usize,
}

/// Every replica's final state after updates stopped.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct FinalReads {
    /// The reads, in input order.
    pub reads: Vec<FinalRead>,
}

/// Parses final reads from JSON lines (see the module docs). A replica may report each key once.
pub fn parse_final_reads(text: &str) -> Result<FinalReads, ParseError> {
    let mut reads = Vec::new();
    let mut seen: BTreeMap<(String, Option<String>), usize> = BTreeMap::new();
    for (index, line) in text.lines().enumerate() {
        let number = index + 1;
        if line.trim().is_empty() {
            continue;
        }
        let err = |m: String| ParseError::new(number, m);
        if reads.len() >= FINAL_READS_MAX {
            return Err(err(format!(
                "too many final reads (at most {FINAL_READS_MAX})"
            )));
        }
        let value: Value =
            serde_json::from_str(line).map_err(|e| err(format!("not a JSON object: {e}")))?;
        let Value::Object(mut object) = value else {
            return Err(err("expected a JSON object".into()));
        };
        let replica = match object.get("replica") {
            Some(Value::String(r)) => r.clone(),
            Some(Value::Number(n)) if n.as_u64().is_some() => n.to_string(),
            Some(r) => {
                return Err(err(format!(
                    "replica must be a string or a non-negative integer, not {r}"
                )))
            }
            None => return Err(err("missing \"replica\"".into())),
        };
        let key = match object.get("key") {
            None | Some(Value::Null) => None,
            Some(Value::String(k)) => Some(k.clone()),
            Some(k) => return Err(err(format!("key must be a string, not {k}"))),
        };
        if let Some(first) = seen.insert((replica.clone(), key.clone()), number) {
            return Err(err(format!(
                "replica {replica} already reported {} on line {first}",
                key.map_or_else(|| "its value".to_string(), |k| format!("key \"{k}\""))
            )));
        }
        reads.push(FinalRead {
            replica,
            key,
            value: object.remove("value").unwrap_or(Value::Null),
            line: number,
        });
    }
    Ok(FinalReads { reads })
}

/// Judges whether the replicas' final states agree (and were written).
pub fn check(raw: &RawHistory, finals: Option<&FinalReads>) -> Judgement {
    let Some(finals) = finals.filter(|f| !f.reads.is_empty()) else {
        return Judgement::new(
            MODEL,
            Verdict::NotApplicable,
            "not applicable: no replica's final state was given, and client operations alone \
             cannot show convergence",
        );
    };
    let replicas: BTreeSet<&str> = finals.reads.iter().map(|r| r.replica.as_str()).collect();
    let mut by_key: BTreeMap<Option<&str>, BTreeMap<&str, Option<String>>> = BTreeMap::new();
    for read in &finals.reads {
        by_key
            .entry(read.key.as_deref())
            .or_default()
            .insert(read.replica.as_str(), value_text(&read.value));
    }
    let has_append = raw.operations.iter().any(|op| op.f == "append");
    for (key, states) in &by_key {
        let value_of = |replica: &str| states.get(replica).cloned().flatten();
        let mut holders: BTreeMap<Option<String>, Vec<&str>> = BTreeMap::new();
        for &replica in &replicas {
            holders.entry(value_of(replica)).or_default().push(replica);
        }
        let on = key.map_or_else(String::new, |k| format!(" on key \"{k}\""));
        if holders.len() > 1 {
            let mut groups: Vec<(&Option<String>, &Vec<&str>)> = holders.iter().collect();
            groups.sort_by_key(|(_, names)| names[0]);
            let parts: Vec<String> = groups
                .iter()
                .map(|(value, names)| {
                    format!(
                        "{} {} {}",
                        names.join(", "),
                        if names.len() == 1 { "holds" } else { "hold" },
                        show(value)
                    )
                })
                .collect();
            let operations = holders
                .keys()
                .flat_map(|value| writes_of(raw, *key, value))
                .collect();
            return Judgement::violated(
                MODEL,
                operations,
                format!("replicas disagree{on}: {}", parts.join("; ")),
            );
        }
        let Some(value) = holders.keys().next() else {
            continue;
        };
        if value.is_some() && !has_append && writes_of(raw, *key, value).is_empty() {
            return Judgement::violated(
                MODEL,
                Vec::new(),
                format!(
                    "the replicas agree{on} on {}, which no write that may have taken effect \
                     wrote",
                    show(value)
                ),
            );
        }
    }
    Judgement::new(
        MODEL,
        Verdict::Holds,
        format!(
            "all {} replicas hold the same final state, one the writes could have produced",
            replicas.len()
        ),
    )
}

fn show(value: &Option<String>) -> String {
    value.clone().unwrap_or_else(|| "nil".to_string())
}

/// Raw indices of the writes (that may have taken effect) of `value` to `key`.
fn writes_of(raw: &RawHistory, key: Option<&str>, value: &Option<String>) -> Vec<usize> {
    if value.is_none() {
        return Vec::new();
    }
    raw.operations
        .iter()
        .enumerate()
        .filter(|(_, op)| op.key.as_deref() == key && op.status != Status::Fail)
        .filter(|(_, op)| match op.f.as_str() {
            "write" | "put" => value_text(&op.input) == *value,
            "cas" => match &op.input {
                Value::Array(pair) if pair.len() == 2 => value_text(&pair[1]) == *value,
                _ => false,
            },
            _ => false,
        })
        .map(|(i, _)| i)
        .collect()
}
