//! Reading histories from text.
//!
//! Three formats, all one event per line, in real-time order (the line order *is* the order of
//! events; there are no timestamps). A call is paired with its return by client id: a client has
//! at most one operation outstanding.
//!
//! **Jepsen etcd logs** ([`Format::Jepsen`]): `INFO  jepsen.util - <process> <type> <f> <value>`
//! with type `:invoke|:ok|:fail|:info`, f `:read|:write|:cas`, value `nil`, an integer,
//! `[from to]` or `:timed-out`; separators are tabs or spaces. Lines without the
//! `INFO jepsen.util -` prefix are log noise and are ignored; lines with it must be well formed.
//! `:fail :read :timed-out` is a read with unknown outcome that returns at that line; `:info`
//! (a timeout) leaves the operation open to the end of the history with unknown outcome.
//!
//! **Porcupine key-value EDN** ([`Format::Kv`]): `{:process P, :type :invoke|:ok|:fail|:info,
//! :f :get|:put|:append, :key "K", :value V}`, V `nil` or a string. Every non-blank line must be
//! such a map.
//!
//! **JSON lines** ([`Format::JsonLines`], our own): one JSON object per non-blank line:
//!
//! ```text
//! {"client": 0, "type": "invoke", "f": "write", "value": 3}
//! {"client": 0, "type": "ok",     "f": "write", "value": 3}
//! {"client": 1, "type": "invoke", "f": "cas",   "value": [3, 4]}
//! {"client": 1, "type": "fail",   "f": "cas",   "value": [3, 4]}
//! {"client": 2, "type": "invoke", "f": "read"}
//! {"client": 2, "type": "info",   "f": "read"}
//! {"client": 3, "type": "invoke", "f": "append", "key": "x", "value": "a"}
//! {"client": 3, "type": "ok",     "f": "append", "key": "x", "value": "a"}
//! ```
//!
//! - `client`: a non-negative integer; `type`: `invoke`, `ok` (it happened, with this result),
//!   `fail` (it did not take effect; for `cas`: the compare failed), or `info` (unknown outcome:
//!   it may take effect at any time after its invoke, or never).
//! - `f`: `read`, `write`, `cas` (one register: value an integer or `null`, cas `[from, to]`) or
//!   `get`, `put`, `append` (a key-value store of strings; `key` is required and a string).
//! - `value` on an invoke is the argument (absent or `null` for `read`/`get`); on an `ok` it is
//!   the result of `read`/`get` (`null` = never written) and is ignored for other `f`s.
//! - An operation with no return line stays open: unknown outcome, like `info`.
//!
//! Every mistake is a [`ParseError`] with the 1-based line it was found on.

use super::{HISTORY_OPERATIONS_MAX, RETURN_NEVER};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;

/// A malformed input: where and what.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ParseError {
    /// 1-based line number (0 when the whole file is at fault).
    pub line: usize,
    /// What is wrong, for people.
    pub message: String,
}

impl ParseError {
    /// An error at `line`.
    /// A message longer than [`ERROR_MESSAGE_CHARS_MAX`] characters is cut.
    pub fn new(line: usize, message: impl Into<String>) -> Self {
        let message = message.into();
        ParseError {
            line,
            message: if message.len() > ERROR_MESSAGE_CHARS_MAX {
                cut(&message, ERROR_MESSAGE_CHARS_MAX)
            } else {
                message
            },
        }
    }
}

impl std::fmt::Display for ParseError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.line, self.message)
    }
}

impl std::error::Error for ParseError {}

/// A history file's format.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Format {
    /// Decide from the text ([`detect_format`]).
    Auto,
    /// Jepsen etcd logs.
    Jepsen,
    /// Porcupine key-value EDN maps.
    Kv,
    /// Our JSON lines.
    JsonLines,
}

impl Format {
    /// Reads a CLI name: `auto`, `jepsen`, `kv` or `jsonl`.
    pub fn from_name(name: &str) -> Option<Format> {
        match name {
            "auto" => Some(Format::Auto),
            "jepsen" => Some(Format::Jepsen),
            "kv" | "edn" => Some(Format::Kv),
            "jsonl" | "json" => Some(Format::JsonLines),
            _ => None,
        }
    }
}

/// How an operation ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    /// It happened, with the recorded result.
    Ok,
    /// It did not take effect (for a cas: the compare failed).
    Fail,
    /// Unknown: it may or may not have taken effect.
    Unknown,
}

/// One operation as read from a file, before a model gives its values meaning.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RawOperation {
    /// Client (process) id.
    pub client: u64,
    /// The function: `read`, `write`, `cas`, `get`, `put`, `append`.
    pub f: String,
    /// The key, for key-value operations.
    pub key: Option<String>,
    /// The invoke's value (the argument).
    pub input: Value,
    /// How it ended.
    pub status: Status,
    /// The return's value (a read's result); `null` if none.
    pub output: Value,
    /// 1-based line of the invoke.
    pub invoke_line: usize,
    /// 1-based line of the return, if any.
    pub return_line: Option<usize>,
    /// Invoke time (the invoke's line).
    pub call: u64,
    /// Return time (the return's line), or [`RETURN_NEVER`] if the operation stays open.
    pub ret: u64,
}

/// A parsed history: operations in invoke order.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct RawHistory {
    /// The operations.
    pub operations: Vec<RawOperation>,
}

/// Guesses the format from the first non-blank line (and, for Jepsen logs, any line).
pub fn detect_format(text: &str) -> Result<Format, ParseError> {
    let Some((index, first)) = text.lines().enumerate().find(|(_, l)| !l.trim().is_empty()) else {
        return Ok(Format::JsonLines);
    };
    let first = first.trim_start();
    if first.starts_with("{:") {
        Ok(Format::Kv)
    } else if first.starts_with('{') {
        Ok(Format::JsonLines)
    } else if text.lines().any(|l| jepsen_body(l).is_some()) {
        Ok(Format::Jepsen)
    } else {
        Err(ParseError::new(
            index + 1,
            "cannot tell the format: expected Jepsen log lines (INFO jepsen.util - ...), \
             EDN maps ({:process ...}) or JSON objects ({\"client\": ...})",
        ))
    }
}

/// Parses `text` in `format` (auto-detected if [`Format::Auto`]).
pub fn parse(text: &str, format: Format) -> Result<RawHistory, ParseError> {
    let format = match format {
        Format::Auto => detect_format(text)?,
        f => f,
    };
    let mut pairing = Pairing::default();
    for (index, line) in text.lines().enumerate() {
        let event = match format {
            Format::Jepsen => parse_jepsen_line(line, index + 1)?,
            Format::Kv => parse_edn_line(line, index + 1)?,
            Format::JsonLines | Format::Auto => parse_json_line(line, index + 1)?,
        };
        if let Some(event) = event {
            pairing.add(event, index + 1)?;
        }
    }
    Ok(pairing.finish())
}

/// One line's event.
struct Event {
    client: u64,
    kind: Kind,
    f: String,
    key: Option<String>,
    value: Value,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Invoke,
    Ok,
    Fail,
    Info,
}

impl Kind {
    fn from_name(name: &str) -> Option<Kind> {
        match name {
            "invoke" => Some(Kind::Invoke),
            "ok" => Some(Kind::Ok),
            "fail" => Some(Kind::Fail),
            "info" => Some(Kind::Info),
            _ => None,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Kind::Invoke => "invoke",
            Kind::Ok => "ok",
            Kind::Fail => "fail",
            Kind::Info => "info",
        }
    }
}

/// Pairs invokes with returns by client.
#[derive(Default)]
struct Pairing {
    operations: Vec<RawOperation>,
    /// Client -> index of its outstanding operation.
    outstanding: BTreeMap<u64, usize>,
    /// Client -> line of the `info` that ended it: its operation may still take effect, so the
    /// client can invoke nothing more (Jepsen gives the next operation a new process id).
    gone: BTreeMap<u64, usize>,
}

impl Pairing {
    fn add(&mut self, event: Event, line: usize) -> Result<(), ParseError> {
        let Event {
            client,
            kind,
            f,
            key,
            value,
        } = event;
        if kind == Kind::Invoke {
            if let Some(&info_line) = self.gone.get(&client) {
                return Err(ParseError::new(
                    line,
                    format!(
                        "client {client} invokes {} after its info on line {info_line}: an \
                         operation with unknown outcome never ends, so its client is gone \
                         (Jepsen gives the next operation a new process id)",
                        quote(&f)
                    ),
                ));
            }
            if let Some(&busy) = self.outstanding.get(&client) {
                return Err(ParseError::new(
                    line,
                    format!(
                        "client {client} invokes {f} while its {} from line {} has not returned",
                        self.operations[busy].f, self.operations[busy].invoke_line
                    ),
                ));
            }
            if self.operations.len() >= HISTORY_OPERATIONS_MAX {
                return Err(ParseError::new(
                    line,
                    format!("too many operations (at most {HISTORY_OPERATIONS_MAX})"),
                ));
            }
            self.outstanding.insert(client, self.operations.len());
            self.operations.push(RawOperation {
                client,
                f,
                key,
                input: value,
                status: Status::Unknown,
                output: Value::Null,
                invoke_line: line,
                return_line: None,
                call: line as u64,
                ret: RETURN_NEVER,
            });
            return Ok(());
        }
        let Some(index) = self.outstanding.remove(&client) else {
            return Err(ParseError::new(
                line,
                format!(
                    "client {client} returns ({} {f}) with no invoke outstanding",
                    kind.name()
                ),
            ));
        };
        let op = &mut self.operations[index];
        if op.f != f {
            return Err(ParseError::new(
                line,
                format!(
                    "client {client} returns {f} but invoked {} on line {}",
                    op.f, op.invoke_line
                ),
            ));
        }
        if key.is_some() && op.key != key {
            return Err(ParseError::new(
                line,
                format!(
                    "client {client} returns key {key:?} but invoked key {:?} on line {}",
                    op.key, op.invoke_line
                ),
            ));
        }
        op.return_line = Some(line);
        match kind {
            Kind::Ok => {
                op.status = Status::Ok;
                op.output = value;
                op.ret = line as u64;
            }
            // A timed-out read returns here, having seen nothing we know of.
            Kind::Fail if value.as_str() == Some(":timed-out") => {
                op.status = Status::Unknown;
                op.ret = line as u64;
            }
            Kind::Fail => {
                op.status = Status::Fail;
                op.output = value;
                op.ret = line as u64;
            }
            // Unknown outcome: it stays open to the end of the history.
            Kind::Info | Kind::Invoke => {
                op.status = Status::Unknown;
                self.gone.insert(client, line);
            }
        }
        Ok(())
    }

    fn finish(self) -> RawHistory {
        RawHistory {
            operations: self.operations,
        }
    }
}

/// The part of a Jepsen log line after `INFO jepsen.util -`, if it has that prefix.
fn jepsen_body(line: &str) -> Option<&str> {
    let rest = line.trim_start().strip_prefix("INFO")?;
    let rest = rest.trim_start().strip_prefix("jepsen.util")?;
    rest.trim_start().strip_prefix('-')
}

fn parse_jepsen_line(line: &str, number: usize) -> Result<Option<Event>, ParseError> {
    let Some(body) = jepsen_body(line) else {
        return Ok(None);
    };
    let mut fields = body.split_whitespace();
    let err = |m: String| ParseError::new(number, m);
    let process = fields
        .next()
        .ok_or_else(|| err("expected a process id after 'jepsen.util -'".into()))?;
    let client: u64 = process
        .parse()
        .map_err(|_| err(format!("process id '{}' is not a number", quote(process))))?;
    let kind_name = fields
        .next()
        .ok_or_else(|| err("expected a type (:invoke, :ok, :fail, :info)".into()))?;
    let kind = kind_name
        .strip_prefix(':')
        .and_then(Kind::from_name)
        .ok_or_else(|| {
            err(format!(
                "unknown type '{}' (expected :invoke, :ok, :fail or :info)",
                quote(kind_name)
            ))
        })?;
    let f_name = fields
        .next()
        .ok_or_else(|| err("expected an f (:read, :write, :cas)".into()))?;
    let f = match f_name {
        ":read" | ":write" | ":cas" => f_name[1..].to_string(),
        _ => {
            return Err(err(format!(
                "unknown f '{}' (expected :read, :write or :cas)",
                quote(f_name)
            )))
        }
    };
    let value_text = fields.collect::<Vec<_>>().join(" ");
    if value_text.is_empty() {
        return Err(err(format!("expected a value after {f_name}")));
    }
    let value = parse_jepsen_value(&value_text).ok_or_else(|| {
        err(format!(
            "cannot read value '{}' (expected nil, an integer, [from to] or :timed-out)",
            quote(&value_text)
        ))
    })?;
    Ok(Some(Event {
        client,
        kind,
        f,
        key: None,
        value,
    }))
}

fn parse_jepsen_value(text: &str) -> Option<Value> {
    if text == "nil" {
        return Some(Value::Null);
    }
    if text.starts_with(':') {
        return Some(Value::String(text.to_string()));
    }
    if let Some(inner) = text.strip_prefix('[').and_then(|t| t.strip_suffix(']')) {
        let items: Option<Vec<Value>> = inner.split_whitespace().map(parse_jepsen_value).collect();
        return items.map(Value::Array);
    }
    text.parse::<i64>().ok().map(Value::from)
}

fn parse_json_line(line: &str, number: usize) -> Result<Option<Event>, ParseError> {
    if line.trim().is_empty() {
        return Ok(None);
    }
    let err = |m: String| ParseError::new(number, m);
    let value: Value =
        serde_json::from_str(line).map_err(|e| err(format!("not a JSON object: {e}")))?;
    let Value::Object(mut object) = value else {
        return Err(err("expected a JSON object".into()));
    };
    let client = match object.get("client") {
        Some(c) => c.as_u64().ok_or_else(|| {
            err(format!(
                "client must be a non-negative integer, not {}",
                quote_value(c)
            ))
        })?,
        None => return Err(err("missing \"client\"".into())),
    };
    let kind = match object.get("type") {
        Some(Value::String(t)) => Kind::from_name(t).ok_or_else(|| {
            err(format!(
                "unknown type '{}' (expected invoke, ok, fail or info)",
                quote(t)
            ))
        })?,
        Some(t) => {
            return Err(err(format!(
                "type must be a string, not {}",
                quote_value(t)
            )))
        }
        None => return Err(err("missing \"type\"".into())),
    };
    let f = match object.get("f") {
        Some(Value::String(f)) => f.clone(),
        Some(f) => return Err(err(format!("f must be a string, not {}", quote_value(f)))),
        None => return Err(err("missing \"f\"".into())),
    };
    if !matches!(
        f.as_str(),
        "read" | "write" | "cas" | "get" | "put" | "append"
    ) {
        return Err(err(format!(
            "unknown f '{}' (expected read, write, cas, get, put or append)",
            quote(&f)
        )));
    }
    let key = match object.get("key") {
        None | Some(Value::Null) => None,
        Some(Value::String(k)) => Some(k.clone()),
        Some(k) => return Err(err(format!("key must be a string, not {}", quote_value(k)))),
    };
    let value = object.remove("value").unwrap_or(Value::Null);
    Ok(Some(Event {
        client,
        kind,
        f,
        key,
        value,
    }))
}

/// A value in an EDN line: just what Porcupine's key-value histories use.
fn parse_edn_line(line: &str, number: usize) -> Result<Option<Event>, ParseError> {
    let text = line.trim();
    if text.is_empty() {
        return Ok(None);
    }
    let err = |m: String| ParseError::new(number, m);
    let inner = text
        .strip_prefix('{')
        .and_then(|t| t.strip_suffix('}'))
        .ok_or_else(|| {
            err("expected an EDN map {:process P, :type T, :f F, :key \"K\", :value V}".into())
        })?;
    let mut map: BTreeMap<String, Value> = BTreeMap::new();
    let mut rest = inner;
    loop {
        rest = rest.trim_start_matches(|c: char| c.is_whitespace() || c == ',');
        if rest.is_empty() {
            break;
        }
        let (key, after) = edn_atom(rest)
            .ok_or_else(|| err(format!("cannot read EDN near '{}'", snippet(rest))))?;
        let Value::String(key) = key else {
            return Err(err(format!(
                "expected a keyword key near '{}'",
                snippet(rest)
            )));
        };
        let Some(name) = key.strip_prefix(':') else {
            return Err(err(format!(
                "expected a keyword key, not \"{}\"",
                quote(&key)
            )));
        };
        let after = after.trim_start_matches(|c: char| c.is_whitespace() || c == ',');
        let (value, after) = edn_atom(after).ok_or_else(|| {
            err(format!(
                "cannot read the value of :{name} near '{}'",
                snippet(after)
            ))
        })?;
        map.insert(name.to_string(), value);
        rest = after;
    }
    let client = match map.get("process") {
        Some(Value::Number(n)) => n
            .as_u64()
            .ok_or_else(|| err("process must be a non-negative integer".into()))?,
        Some(p) => {
            return Err(err(format!(
                "process must be an integer, not {}",
                quote_value(p)
            )))
        }
        None => return Err(err("missing :process".into())),
    };
    let kind = match map.get("type").and_then(Value::as_str) {
        Some(t) => t
            .strip_prefix(':')
            .and_then(Kind::from_name)
            .ok_or_else(|| {
                err(format!(
                    "unknown type '{}' (expected :invoke, :ok, :fail or :info)",
                    quote(t)
                ))
            })?,
        None => return Err(err("missing :type".into())),
    };
    let f = match map.get("f").and_then(Value::as_str) {
        Some(":get") | Some(":put") | Some(":append") => {
            map["f"].as_str().unwrap_or_default()[1..].to_string()
        }
        Some(f) => {
            return Err(err(format!(
                "unknown f '{}' (expected :get, :put or :append)",
                quote(f)
            )))
        }
        None => return Err(err("missing :f".into())),
    };
    let key = match map.get("key") {
        Some(Value::String(k)) if !k.starts_with(':') => Some(k[1..].to_string()),
        Some(k) => return Err(err(format!("key must be a string, not {}", quote_value(k)))),
        None => return Err(err("missing :key".into())),
    };
    let value = match map.remove("value") {
        None | Some(Value::Null) => Value::Null,
        Some(Value::String(s)) if s.starts_with('"') => Value::String(s[1..].to_string()),
        Some(v) => {
            return Err(err(format!(
                "value must be a string or nil, not {}",
                quote_value(&v)
            )))
        }
    };
    Ok(Some(Event {
        client,
        kind,
        f,
        key,
        value,
    }))
}

/// Reads one EDN atom: `nil`, an integer, a keyword (kept as `":name"`) or a string (kept with a
/// leading `"` so it cannot be confused with a keyword). Returns it and the rest of the text.
fn edn_atom(text: &str) -> Option<(Value, &str)> {
    if let Some(body) = text.strip_prefix('"') {
        let mut out = String::from("\"");
        let mut chars = body.char_indices();
        while let Some((i, c)) = chars.next() {
            match c {
                '"' => return Some((Value::String(out), &body[i + 1..])),
                '\\' => {
                    let (_, escaped) = chars.next()?;
                    out.push(match escaped {
                        'n' => '\n',
                        't' => '\t',
                        other => other,
                    });
                }
                c => out.push(c),
            }
        }
        return None;
    }
    let end = text
        .find(|c: char| c.is_whitespace() || c == ',')
        .unwrap_or(text.len());
    let (token, rest) = text.split_at(end);
    if token == "nil" {
        Some((Value::Null, rest))
    } else if token.starts_with(':') && token.len() > 1 {
        Some((Value::String(token.to_string()), rest))
    } else {
        token.parse::<i64>().ok().map(|n| (Value::from(n), rest))
    }
}

fn snippet(text: &str) -> String {
    text.chars().take(20).collect()
}

/// Most characters of a history's own text that an error message quotes.
pub const QUOTE_CHARS_MAX: usize = 200;

/// Most characters of a whole error message (its own words and at most a few quotes).
pub const ERROR_MESSAGE_CHARS_MAX: usize = 4 * QUOTE_CHARS_MAX;

/// `text` cut to [`QUOTE_CHARS_MAX`] characters, saying how much was left out, so that an error
/// about a 50 MB line does not copy the line.
pub fn quote(text: &str) -> String {
    cut(text, QUOTE_CHARS_MAX)
}

/// A JSON value as [`quote`] quotes text; a huge value is written out only up to the cut.
pub fn quote_value(value: &Value) -> String {
    quote(&value.to_string())
}

fn cut(text: &str, chars_max: usize) -> String {
    match text.char_indices().nth(chars_max) {
        None => text.to_string(),
        Some((end, _)) => format!("{}… ({} more bytes)", &text[..end], text.len() - end),
    }
}
