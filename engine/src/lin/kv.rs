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
use super::parse::{quote, quote_value, ParseError, RawHistory, Status};
use super::{Model, Operation};
use serde_json::Value;
use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::Rc;

/// Interned strings: equal strings get equal ids. Id 0 is the empty string.
///
/// Strings read from the file are interned exactly. A string made by an append during the
/// search is stored as a pair (prefix id, suffix id), not copied, and appends are memoized per
/// pair; such a pair is *not* looked up among existing strings, so two ids may hold equal text
/// when the same string is built two ways. That is sound: states are compared by id in the memo
/// (equal texts under different ids only cost a repeated search), and a get compares texts with
/// [`Values::same`], which checks a polynomial hash kept in O(1) per append
/// (`h(a + b) = h(a) * B^len(b) + h(b)`) before spelling the texts out, once per pair of ids: a
/// pair found equal is remembered (a get that reads an appended string is usually tried many
/// times during a search).
#[derive(Clone, Debug)]
pub struct Values {
    nodes: Vec<Node>,
    /// Per id: the text's polynomial hash, `B^len` (both mod 2^64) and length in bytes.
    hashes: Vec<(u64, u64, usize)>,
    /// Polynomial hash -> first id with that hash; `Links::same_hash` chains the rest.
    by_hash: FxHashMap<u64, u32>,
    /// Per id: its links to other ids.
    links: Vec<Links>,
    /// The memoized appends, (suffix, result, next) lists from `Links::first_append`.
    append_links: Vec<(u32, u32, u32)>,
}

/// One id's links to others (`NO_VALUE` for none).
#[derive(Clone, Copy, Debug)]
struct Links {
    /// The next id with the same polynomial hash.
    same_hash: u32,
    /// The first of its memoized appends, a list through `append_links`. A string meets few
    /// distinct suffixes (the appends pending on its key), so a short walk beats hashing the
    /// pair.
    first_append: u32,
    /// An id last found to hold the same text.
    equal: u32,
}

#[derive(Clone, Debug)]
enum Node {
    Text(String),
    Concat(u32, u32),
}

/// The polynomial hash's base (odd, so powers never vanish mod 2^64).
const POLY_BASE: u64 = 0x100_0000_01b3;

/// Marks the end of a `same_hash` chain.
const NO_VALUE: u32 = u32::MAX;

impl Default for Values {
    fn default() -> Self {
        let mut values = Values {
            nodes: Vec::new(),
            hashes: Vec::new(),
            by_hash: FxHashMap::default(),
            links: Vec::new(),
            append_links: Vec::new(),
        };
        values.intern("");
        values
    }
}

impl Values {
    /// The id of `text`, interning it if new.
    pub fn intern(&mut self, text: &str) -> u32 {
        let (hash, power) = text.bytes().fold((0u64, 1u64), |(h, p), byte| {
            (
                h.wrapping_mul(POLY_BASE).wrapping_add(u64::from(byte)),
                p.wrapping_mul(POLY_BASE),
            )
        });
        match self.find(hash, text.len(), |values, id| values.text(id) == text) {
            Some(id) => id,
            None => self.push(Node::Text(text.to_string()), (hash, power, text.len())),
        }
    }

    /// The id of `text(prefix) + text(suffix)`.
    #[inline(always)]
    pub fn append(&mut self, prefix: u32, suffix: u32) -> u32 {
        if suffix == 0 {
            return prefix;
        }
        let mut link = self.links[prefix as usize].first_append;
        while link != NO_VALUE {
            let (known, result, next) = self.append_links[link as usize];
            if known == suffix {
                return result;
            }
            link = next;
        }
        let id = self.concatenate(prefix, suffix);
        let first = self.links[prefix as usize].first_append;
        self.links[prefix as usize].first_append = self.append_links.len() as u32;
        self.append_links.push((suffix, id, first));
        id
    }

    fn concatenate(&mut self, prefix: u32, suffix: u32) -> u32 {
        let (ph, pp, pl) = self.hashes[prefix as usize];
        let (sh, sp, sl) = self.hashes[suffix as usize];
        let hash = ph.wrapping_mul(sp).wrapping_add(sh);
        let id = self.nodes.len() as u32;
        self.nodes.push(Node::Concat(prefix, suffix));
        self.hashes.push((hash, pp.wrapping_mul(sp), pl + sl));
        self.links.push(Links {
            same_hash: NO_VALUE,
            first_append: NO_VALUE,
            equal: NO_VALUE,
        });
        id
    }

    /// Whether two ids hold the same text: equal ids, or a concatenation equal to a string met
    /// another way, confirmed by hash, length and then the texts themselves (spelled out once
    /// per pair: the answer is remembered).
    #[inline(always)]
    pub fn same(&mut self, a: u32, b: u32) -> bool {
        a == b
            || (self.hashes[a as usize] == self.hashes[b as usize]
                && (self.links[a as usize].equal == b
                    || self.links[b as usize].equal == a
                    || self.same_text(a, b)))
    }

    /// Whether `a` and `b`, whose hashes and lengths agree, spell the same text; remembers it if
    /// they do.
    #[inline(never)]
    fn same_text(&mut self, a: u32, b: u32) -> bool {
        let same = self.text(a) == self.text(b);
        if same {
            self.links[a as usize].equal = b;
            self.links[b as usize].equal = a;
        }
        same
    }

    /// The id with polynomial hash `hash` and length `len` for which `same` holds, if any.
    fn find(&self, hash: u64, len: usize, same: impl Fn(&Values, u32) -> bool) -> Option<u32> {
        let mut id = *self.by_hash.get(&hash)?;
        while id != NO_VALUE {
            if self.hashes[id as usize].2 == len && same(self, id) {
                return Some(id);
            }
            id = self.links[id as usize].same_hash;
        }
        None
    }

    fn push(&mut self, node: Node, hash: (u64, u64, usize)) -> u32 {
        let id = self.nodes.len() as u32;
        let previous = self.by_hash.insert(hash.0, id).unwrap_or(NO_VALUE);
        self.links.push(Links {
            same_hash: previous,
            first_append: NO_VALUE,
            equal: NO_VALUE,
        });
        self.nodes.push(node);
        self.hashes.push(hash);
        id
    }

    /// The string with id `id`, spelled out.
    pub fn text(&self, id: u32) -> String {
        let mut out = String::with_capacity(self.hashes[id as usize].2);
        // Walk the pairs left to right with an explicit stack (appends can nest deeply).
        let mut pending = vec![id];
        while let Some(id) = pending.pop() {
            match &self.nodes[id as usize] {
                Node::Text(text) => out.push_str(text),
                Node::Concat(prefix, suffix) => pending.extend([*suffix, *prefix]),
            }
        }
        out
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
///
/// Cloning it copies the string table, so a benchmark can start every repetition from the
/// table as lowering left it.
#[derive(Clone, Debug, Default)]
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
                            format!(
                                "{}'s value must be a string, not {}",
                                op.f,
                                quote_value(&op.input)
                            ),
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
                        format!("unknown key-value f '{}'", quote(other)),
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
                            format!("get's result must be a string, not {}", quote_value(other)),
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
                Some(seen) if !self.values.borrow_mut().same(seen.value, value) => None,
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
        // One allocation: the new state is copied straight into its `Rc`.
        let mut values: Rc<[u32]> = Rc::from(&state[..]);
        Rc::get_mut(&mut values).expect("a fresh Rc is unique")[key] = next;
        Some(values)
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
