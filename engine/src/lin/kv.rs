//! A key-value store of strings with get, put and append (Porcupine's kv model).
//!
//! Every key starts as the empty string; get returns the current string, put replaces it,
//! append concatenates. Keys are independent, so [`KvModel`] checks the history key by key
//! (P-compositionality) with one string as the state; [`KvWholeModel`] checks it as one state
//! holding every key, which is much slower and exists to show (and benchmark) why
//! partitioning matters.
//!
//! Strings are interned: a state is a number, and two states are equal iff their strings are.
//! Appends met during the search are interned on the fly (memoized per (string, suffix)), so a
//! step costs a hash lookup, not a string copy.

use super::hash::FxHashMap;
use super::parse::{ParseError, RawHistory, Status};
use super::{Model, Operation};
use serde_json::Value;
use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::Rc;

/// Interned strings. Id 0 is the empty string.
#[derive(Debug)]
pub struct Values {
    texts: Vec<Rc<str>>,
    by_text: FxHashMap<Rc<str>, u32>,
    appends: FxHashMap<(u32, u32), u32>,
}

impl Default for Values {
    fn default() -> Self {
        let mut values = Values {
            texts: Vec::new(),
            by_text: FxHashMap::default(),
            appends: FxHashMap::default(),
        };
        values.intern("");
        values
    }
}

impl Values {
    /// The id of `text`, interning it if new.
    pub fn intern(&mut self, text: &str) -> u32 {
        if let Some(&id) = self.by_text.get(text) {
            return id;
        }
        let id = self.texts.len() as u32;
        let text: Rc<str> = Rc::from(text);
        self.texts.push(Rc::clone(&text));
        self.by_text.insert(text, id);
        id
    }

    /// The id of `text(prefix) + text(suffix)`.
    pub fn append(&mut self, prefix: u32, suffix: u32) -> u32 {
        if suffix == 0 {
            return prefix;
        }
        if let Some(&id) = self.appends.get(&(prefix, suffix)) {
            return id;
        }
        let joined = format!("{}{}", self.text(prefix), self.text(suffix));
        let id = self.intern(&joined);
        self.appends.insert((prefix, suffix), id);
        id
    }

    /// The string with id `id`.
    pub fn text(&self, id: u32) -> &str {
        &self.texts[id as usize]
    }
}

/// A key-value operation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum KvOp {
    /// Read a key.
    Get,
    /// Replace a key's string.
    Put,
    /// Append to a key's string.
    Append,
}

/// A key-value operation's input; the key and the argument are interned ids.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct KvInput {
    /// What to do.
    pub op: KvOp,
    /// Key id (index into [`KvModel::keys`]).
    pub key: u32,
    /// Argument string id for put and append; 0 for get.
    pub arg: u32,
}

/// A key-value operation's result: for a get, the string read (its id); 0 otherwise.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct KvOutput {
    /// Id of the string a get returned.
    pub value: u32,
}

/// The key-value model, partitioned per key: the state is the key's string id.
#[derive(Debug, Default)]
pub struct KvModel {
    /// Key names by id.
    pub keys: Vec<String>,
    values: RefCell<Values>,
}

impl KvModel {
    /// Builds the model (its key and string tables) and the history from a raw history. Failed
    /// operations did not take effect and are dropped.
    pub fn lower(
        raw: &RawHistory,
    ) -> Result<(KvModel, Vec<Operation<KvInput, KvOutput>>), ParseError> {
        let mut model = KvModel::default();
        let mut key_ids: BTreeMap<String, u32> = BTreeMap::new();
        let mut history = Vec::with_capacity(raw.operations.len());
        let values = model.values.get_mut();
        for op in &raw.operations {
            let line = op.invoke_line;
            let Some(key) = &op.key else {
                return Err(ParseError::new(line, format!("{} needs a key", op.f)));
            };
            let key = *key_ids.entry(key.clone()).or_insert_with(|| {
                model.keys.push(key.clone());
                model.keys.len() as u32 - 1
            });
            let (kv_op, arg) = match op.f.as_str() {
                "get" => (KvOp::Get, 0),
                "put" | "append" => {
                    let Value::String(text) = &op.input else {
                        return Err(ParseError::new(
                            line,
                            format!("{}'s value must be a string, not {}", op.f, op.input),
                        ));
                    };
                    let kv_op = if op.f == "put" {
                        KvOp::Put
                    } else {
                        KvOp::Append
                    };
                    (kv_op, values.intern(text))
                }
                other => {
                    return Err(ParseError::new(
                        line,
                        format!("unknown key-value f '{other}'"),
                    ))
                }
            };
            let output = match op.status {
                Status::Fail => continue,
                Status::Unknown => None,
                Status::Ok if kv_op == KvOp::Get => match &op.output {
                    Value::Null => Some(KvOutput { value: 0 }),
                    Value::String(text) => Some(KvOutput {
                        value: values.intern(text),
                    }),
                    other => {
                        let at = op.return_line.unwrap_or(line);
                        return Err(ParseError::new(
                            at,
                            format!("get's result must be a string, not {other}"),
                        ));
                    }
                },
                Status::Ok => Some(KvOutput { value: 0 }),
            };
            history.push(Operation {
                client: op.client,
                input: KvInput {
                    op: kv_op,
                    key,
                    arg,
                },
                output,
                call: op.call,
                ret: op.ret,
                line,
            });
        }
        Ok((model, history))
    }

    /// The next string of one key, if the operation is allowed.
    #[inline(always)]
    fn step_key(&self, value: u32, input: &KvInput, output: Option<&KvOutput>) -> Option<u32> {
        match input.op {
            KvOp::Get => match output {
                Some(seen) if seen.value != value => None,
                _ => Some(value),
            },
            KvOp::Put => Some(input.arg),
            KvOp::Append => Some(self.values.borrow_mut().append(value, input.arg)),
        }
    }

    fn quote(&self, id: u32) -> String {
        format!("{:?}", self.values.borrow().text(id))
    }

    fn describe(&self, input: &KvInput, output: Option<&KvOutput>) -> String {
        let key = format!("{:?}", self.keys[input.key as usize]);
        match input.op {
            KvOp::Get => match output {
                Some(seen) => format!("get({key}) -> {}", self.quote(seen.value)),
                None => format!("get({key}) -> ?"),
            },
            KvOp::Put => format!("put({key}, {})", self.quote(input.arg)),
            KvOp::Append => format!("append({key}, {})", self.quote(input.arg)),
        }
    }

    fn required(&self, input: &KvInput, output: Option<&KvOutput>) -> Option<String> {
        match (input.op, output) {
            (KvOp::Get, Some(seen)) => Some(format!(
                "{:?} = {}",
                self.keys[input.key as usize],
                self.quote(seen.value)
            )),
            _ => None,
        }
    }
}

impl Model for KvModel {
    type State = u32;
    type Input = KvInput;
    type Output = KvOutput;

    fn init(&self) -> u32 {
        0
    }

    #[inline(always)]
    fn step(&self, state: &u32, input: &KvInput, output: Option<&KvOutput>) -> Option<u32> {
        self.step_key(*state, input, output)
    }

    fn partition(
        &self,
        operations: &[Operation<KvInput, KvOutput>],
    ) -> Option<Vec<(String, Vec<usize>)>> {
        let mut by_key: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
        for (i, op) in operations.iter().enumerate() {
            by_key
                .entry(&self.keys[op.input.key as usize])
                .or_default()
                .push(i);
        }
        Some(
            by_key
                .into_iter()
                .map(|(key, ops)| (format!("key {key:?}"), ops))
                .collect(),
        )
    }

    fn describe_operation(&self, input: &KvInput, output: Option<&KvOutput>) -> String {
        self.describe(input, output)
    }

    fn describe_state(&self, state: &u32) -> String {
        self.quote(*state)
    }

    fn required_state(&self, input: &KvInput, output: Option<&KvOutput>) -> Option<String> {
        self.required(input, output)
    }
}

/// The same store checked as one state holding every key (no partitioning).
#[derive(Debug)]
pub struct KvWholeModel<'a>(pub &'a KvModel);

impl Model for KvWholeModel<'_> {
    type State = Rc<[u32]>;
    type Input = KvInput;
    type Output = KvOutput;

    fn init(&self) -> Rc<[u32]> {
        vec![0; self.0.keys.len()].into()
    }

    #[inline(always)]
    fn step(
        &self,
        state: &Rc<[u32]>,
        input: &KvInput,
        output: Option<&KvOutput>,
    ) -> Option<Rc<[u32]>> {
        let key = input.key as usize;
        let next = self.0.step_key(state[key], input, output)?;
        if next == state[key] {
            return Some(Rc::clone(state));
        }
        let mut values = state.to_vec();
        values[key] = next;
        Some(values.into())
    }

    fn describe_operation(&self, input: &KvInput, output: Option<&KvOutput>) -> String {
        self.0.describe(input, output)
    }

    fn describe_state(&self, state: &Rc<[u32]>) -> String {
        let pairs: Vec<String> = state
            .iter()
            .enumerate()
            .filter(|&(_, &v)| v != 0)
            .map(|(k, &v)| format!("{:?}: {}", self.0.keys[k], self.0.quote(v)))
            .collect();
        format!("{{{}}}", pairs.join(", "))
    }

    fn required_state(&self, input: &KvInput, output: Option<&KvOutput>) -> Option<String> {
        self.0.required(input, output)
    }
}
