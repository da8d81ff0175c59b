//! The CRDT harness (chapter 3): the learner's PN-Counter and OR-Set, judged as join
//! semilattices on the states their own code reaches, and by replicas that exchange whole
//! states over a faulty network.
//!
//! Lesson: a state-based CRDT (Shapiro, Preguiça, Baquero, Zawirski, "Conflict-free Replicated
//! Data Types", SSS 2011, §2.2) converges without coordination when its states form a join
//! semilattice — `merge` is commutative, associative and idempotent — and every update is
//! inflationary (the new state is at least the old one in the order the join defines:
//! `merge(update(s), s) == update(s)`). Then the network may lose, duplicate and reorder
//! states at will: every replica that has (transitively) merged the same states holds their
//! join, whatever the order. The PN-Counter (§3.1.2 of the companion report, INRIA RR-7506)
//! keeps one grow-only count per replica for increments and one for decrements; the
//! observed-remove set (§3.3.5 there) tags every add uniquely, and a remove tombstones only the
//! tags its replica has seen, so an add concurrent with a remove survives: *add wins*.
//!
//! One seed is one [`Execution`] of one of the two types: even seeds the counter, odd seeds
//! the set. It opens with a targeted prefix (concurrent updates, a duplicated delivery, a
//! remove concurrent with an add, a remove that observed its add, a re-add; replicas chosen by
//! the seed) that reaches the state behind every classic mistake and passes a
//! [`Step::Sync`], and goes on with random updates, sends, deliveries — lost, duplicated,
//! reordered — and partitions, to a final sync. The judge, in order:
//!
//! 1. every state the learner's code produces is checked for idempotence as it appears, every
//!    update for inflation, every delivery for commutativity (`merge` of the receiver's state
//!    and the message both ways);
//! 2. at each sync, a sample of pairs and triples of the states reached so far is checked for
//!    commutativity and associativity; then the partition heals and every replica merges
//!    every other's state; the replicas must show one value, and it must be the
//!    specification's: increments minus decrements, or the elements with an add that no
//!    remove observed (computed from the execution's causality, never from the learner's
//!    states).
//!
//! States are the learner's own data, compared as data ([`canonical`]): maps by their entries,
//! arrays of integers position by position (a vector), any other array as a collection in any
//! order (a set kept in an array may be built in either order), repeats counted.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::rc::Rc;

use rhai::Dynamic;

use super::harness::{Found, Harness, Script, Shown};
use crate::rng::Rng;
use crate::script::convert::shown;
use crate::script::RequiredFn;

/// Fewest replicas in one execution.
pub const REPLICAS_MIN: usize = 3;
/// Most replicas in one execution (partitions are bit masks over them).
pub const REPLICAS_MAX: usize = 4;
/// Fewest random steps after the targeted prefix.
pub const RANDOM_STEPS_MIN: usize = 10;
/// Most random steps after the targeted prefix.
pub const RANDOM_STEPS_MAX: usize = 30;
/// Pairs of reached states checked for commutativity after the run, besides every delivery.
pub const PAIRS_SAMPLED: usize = 6;
/// Triples of reached states checked for associativity after the run.
pub const TRIPLES_SAMPLED: usize = 6;
/// The elements the set's updates use: few, so that adds and removes meet.
pub const ELEMENTS: [&str; 3] = ["x", "y", "z"];

/// Mixed into the seed so that executions differ from other harnesses' runs of the same seed.
const GENERATOR_SALT: u64 = 0xC2D7_5E75_0C0A_7E25;

const REQUIRED: [RequiredFn; 10] = [
    RequiredFn {
        name: "counter_new",
        params: &["n"],
    },
    RequiredFn {
        name: "counter_inc",
        params: &["s", "replica"],
    },
    RequiredFn {
        name: "counter_dec",
        params: &["s", "replica"],
    },
    RequiredFn {
        name: "counter_merge",
        params: &["a", "b"],
    },
    RequiredFn {
        name: "counter_value",
        params: &["s"],
    },
    RequiredFn {
        name: "set_new",
        params: &[],
    },
    RequiredFn {
        name: "set_add",
        params: &["s", "replica", "elem", "tag"],
    },
    RequiredFn {
        name: "set_remove",
        params: &["s", "replica", "elem"],
    },
    RequiredFn {
        name: "set_merge",
        params: &["a", "b"],
    },
    RequiredFn {
        name: "set_value",
        params: &["s"],
    },
];

/// Which data type an execution exercises.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Crdt {
    /// The PN-Counter.
    Counter,
    /// The observed-remove set.
    Set,
}

/// The three claims judged of each type.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Law {
    Semilattice,
    Inflationary,
    Converges,
}

impl Crdt {
    fn of_seed(seed: u64) -> Crdt {
        if seed.is_multiple_of(2) {
            Crdt::Counter
        } else {
            Crdt::Set
        }
    }

    fn merge_fn(self) -> &'static str {
        match self {
            Crdt::Counter => "counter_merge",
            Crdt::Set => "set_merge",
        }
    }

    fn value_fn(self) -> &'static str {
        match self {
            Crdt::Counter => "counter_value",
            Crdt::Set => "set_value",
        }
    }

    fn property(self, law: Law) -> &'static str {
        match (self, law) {
            (Crdt::Counter, Law::Semilattice) => "counter-semilattice",
            (Crdt::Counter, Law::Inflationary) => "counter-inflationary",
            (Crdt::Counter, Law::Converges) => "counter-converges",
            (Crdt::Set, Law::Semilattice) => "set-semilattice",
            (Crdt::Set, Law::Inflationary) => "set-inflationary",
            (Crdt::Set, Law::Converges) => "set-add-wins",
        }
    }
}

/// A local update.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    /// Counter: add one.
    Inc,
    /// Counter: subtract one.
    Dec,
    /// Set: add `ELEMENTS[element]` with the unique tag `t<tag>`.
    Add {
        /// Index into [`ELEMENTS`].
        element: usize,
        /// The add's tag number, unique in the execution.
        tag: usize,
    },
    /// Set: remove `ELEMENTS[element]`.
    Remove {
        /// Index into [`ELEMENTS`].
        element: usize,
    },
}

/// One step of an execution.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Step {
    /// `replica` applies `op` to its state.
    Update {
        /// The replica.
        replica: usize,
        /// The update.
        op: Op,
    },
    /// `from` sends a copy of its current state to `to` as message `message`.
    Send {
        /// Sender.
        from: usize,
        /// Recipient.
        to: usize,
        /// Message number, unique in the execution.
        message: usize,
    },
    /// The network delivers `message` (again, if it was delivered before: a duplicate); the
    /// recipient merges it. Lost if a partition separates sender and recipient.
    Deliver {
        /// Message number.
        message: usize,
    },
    /// The replicas in the bit mask `side` are cut off from the others.
    Partition {
        /// Bit `r` set: replica `r` is on this side.
        side: u8,
    },
    /// Every link works again.
    Heal,
    /// The network heals and is quiet: r0 merges every replica's state, then every replica
    /// merges r0's. The replicas must then agree, on the specification's value. Every
    /// execution ends with one.
    Sync,
}

/// A generated execution.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Execution {
    /// The data type exercised.
    pub crdt: Crdt,
    /// Number of replicas.
    pub replicas: usize,
    /// The steps, in order.
    pub steps: Vec<Step>,
    /// Seeds the choice of the pairs and triples sampled after the run.
    pub sample_seed: u64,
}

/// Builds an execution's steps, numbering messages and tags as it goes.
struct Builder {
    steps: Vec<Step>,
    messages: usize,
    tags: usize,
}

impl Builder {
    fn update(&mut self, replica: usize, op: Op) {
        self.steps.push(Step::Update { replica, op });
    }

    fn add(&mut self, replica: usize, element: usize) {
        self.tags += 1;
        let tag = self.tags;
        self.update(replica, Op::Add { element, tag });
    }

    fn send(&mut self, from: usize, to: usize) -> usize {
        self.messages += 1;
        let message = self.messages;
        self.steps.push(Step::Send { from, to, message });
        message
    }

    fn deliver(&mut self, message: usize) {
        self.steps.push(Step::Deliver { message });
    }

    /// A send delivered at once.
    fn exchange(&mut self, from: usize, to: usize) {
        let message = self.send(from, to);
        self.deliver(message);
    }
}

/// Whether a partition `cut` separates replicas `a` and `b`.
fn separates(cut: Option<u8>, a: usize, b: usize) -> bool {
    cut.is_some_and(|side| (side >> a) & 1 != (side >> b) & 1)
}

impl Execution {
    /// Draws the execution of `seed`.
    pub fn generate(seed: u64) -> Execution {
        let mut rng = Rng::new(seed ^ GENERATOR_SALT);
        let crdt = Crdt::of_seed(seed);
        let replicas = rng.range_inclusive(REPLICAS_MIN as u64, REPLICAS_MAX as u64) as usize;
        let mut builder = Builder {
            steps: Vec::new(),
            messages: 0,
            tags: 0,
        };
        let [a, b, c] = three_replicas(&mut rng, replicas);
        match crdt {
            Crdt::Counter => counter_prefix(&mut builder, a, b, c),
            Crdt::Set => set_prefix(&mut builder, a, b, c),
        }
        random_steps(&mut builder, &mut rng, crdt, replicas);
        Execution {
            crdt,
            replicas,
            steps: builder.steps,
            sample_seed: rng.next_u64(),
        }
    }

    /// The execution without step `index` (and without the deliveries of a message it sent).
    fn without(&self, index: usize) -> Execution {
        let removed_message = match self.steps[index] {
            Step::Send { message, .. } => Some(message),
            _ => None,
        };
        let steps = self
            .steps
            .iter()
            .enumerate()
            .filter(|&(i, step)| {
                i != index
                    && !matches!(step, Step::Deliver { message } if Some(*message) == removed_message)
            })
            .map(|(_, step)| *step)
            .collect();
        Execution {
            steps,
            ..self.clone()
        }
    }
}

/// Three distinct replicas, chosen by `rng`.
fn three_replicas(rng: &mut Rng, replicas: usize) -> [usize; 3] {
    let mut pool: Vec<usize> = (0..replicas).collect();
    let mut pick = || pool.remove(rng.below(pool.len() as u64) as usize);
    [pick(), pick(), pick()]
}

/// Concurrent increments on `a` and `b`, a decrement, a state delivered twice and passed on.
fn counter_prefix(builder: &mut Builder, a: usize, b: usize, c: usize) {
    builder.update(a, Op::Inc);
    builder.update(b, Op::Inc);
    builder.update(b, Op::Dec);
    let message = builder.send(a, b);
    builder.deliver(message);
    builder.deliver(message);
    builder.exchange(b, c);
    builder.steps.push(Step::Sync);
}

/// `a` adds x and y and tells `b`; `b` removes x (observing the add) while `c` adds x anew;
/// `a` removes y; then `b` and `c` tell `a`. Add-wins: x stays, y goes. After a sync, `a`
/// adds y again and `b` removes x, which now has two tags, one of them tombstoned already:
/// y is back, x is gone. Last, `a` adds z and tells `b`, which adds z too and removes it;
/// meanwhile `c` adds z and removes it: `b` and `c` each hold tombstones of z the other lacks
/// (`b` two, `c` one), and after they swap states z is gone.
fn set_prefix(builder: &mut Builder, a: usize, b: usize, c: usize) {
    builder.add(a, 0);
    builder.add(a, 1);
    builder.exchange(a, b);
    builder.update(b, Op::Remove { element: 0 });
    builder.add(c, 0);
    builder.update(a, Op::Remove { element: 1 });
    builder.exchange(b, a);
    builder.exchange(c, a);
    builder.steps.push(Step::Sync);
    builder.add(a, 1);
    builder.update(b, Op::Remove { element: 0 });
    builder.steps.push(Step::Sync);
    builder.add(a, 2);
    builder.exchange(a, b);
    builder.add(b, 2);
    builder.update(b, Op::Remove { element: 2 });
    builder.add(c, 2);
    builder.update(c, Op::Remove { element: 2 });
    builder.exchange(b, c);
    builder.exchange(c, b);
    builder.steps.push(Step::Sync);
}

/// Random updates, sends, deliveries (some kept in flight to be duplicated later, some never
/// made: lost), partitions and heals; then the final [`Step::Sync`].
fn random_steps(builder: &mut Builder, rng: &mut Rng, crdt: Crdt, replicas: usize) {
    let length = rng.range_inclusive(RANDOM_STEPS_MIN as u64, RANDOM_STEPS_MAX as u64) as usize;
    // (message, from, to) sent and still deliverable.
    let mut in_flight: Vec<(usize, usize, usize)> = Vec::new();
    let mut cut: Option<u8> = None;
    for _ in 0..length {
        let replica = rng.below(replicas as u64) as usize;
        let roll = rng.below(20);
        let deliverable: Vec<usize> = (0..in_flight.len())
            .filter(|&i| !separates(cut, in_flight[i].1, in_flight[i].2))
            .collect();
        if roll < 8 {
            random_update(builder, rng, crdt, replica);
        } else if roll < 12 {
            let to = (replica + 1 + rng.below(replicas as u64 - 1) as usize) % replicas;
            let message = builder.send(replica, to);
            in_flight.push((message, replica, to));
        } else if roll < 18 && !deliverable.is_empty() {
            let pick = deliverable[rng.below(deliverable.len() as u64) as usize];
            builder.deliver(in_flight[pick].0);
            // One delivery in four leaves the message in the network, to arrive again.
            if rng.below(4) != 0 {
                in_flight.remove(pick);
            }
        } else if cut.is_none() {
            let side = rng.range_inclusive(1, (1 << replicas) - 2) as u8;
            cut = Some(side);
            builder.steps.push(Step::Partition { side });
        } else {
            cut = None;
            builder.steps.push(Step::Heal);
        }
    }
    builder.steps.push(Step::Sync);
}

fn random_update(builder: &mut Builder, rng: &mut Rng, crdt: Crdt, replica: usize) {
    let element = rng.below(ELEMENTS.len() as u64) as usize;
    match (crdt, rng.below(10)) {
        (Crdt::Counter, 0..=6) => builder.update(replica, Op::Inc),
        (Crdt::Counter, _) => builder.update(replica, Op::Dec),
        (Crdt::Set, 0..=5) => builder.add(replica, element),
        (Crdt::Set, _) => builder.update(replica, Op::Remove { element }),
    }
}

/// A learner state in a normal form: map entries in key order (Rhai's maps are ordered
/// already), the items of an array sorted unless they are all integers (a vector), so that
/// states equal as data compare equal whatever order their collections were built in. With
/// `dedupe`, repeated items of a collection count once.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Canon {
    Unit,
    Bool(bool),
    Int(i64),
    Char(char),
    Text(String),
    List(Vec<Canon>),
    Map(Vec<(String, Canon)>),
    Other(String),
}

fn canonical(value: &Dynamic, dedupe: bool) -> Canon {
    if value.is_unit() {
        Canon::Unit
    } else if let Ok(b) = value.as_bool() {
        Canon::Bool(b)
    } else if let Ok(i) = value.as_int() {
        Canon::Int(i)
    } else if let Ok(c) = value.as_char() {
        Canon::Char(c)
    } else if let Ok(s) = value.as_immutable_string_ref() {
        Canon::Text(s.to_string())
    } else if let Ok(array) = value.as_array_ref() {
        let mut items: Vec<Canon> = array.iter().map(|v| canonical(v, dedupe)).collect();
        // An array of integers is a vector (a count per replica): its positions matter.
        if !items.iter().all(|item| matches!(item, Canon::Int(_))) {
            items.sort_unstable();
            if dedupe {
                items.dedup();
            }
        }
        Canon::List(items)
    } else if let Ok(map) = value.as_map_ref() {
        Canon::Map(
            map.iter()
                .map(|(k, v)| (k.to_string(), canonical(v, dedupe)))
                .collect(),
        )
    } else {
        Canon::Other(format!("{value:?}"))
    }
}

/// How two states compare as data.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Sameness {
    Same,
    /// Equal but for how often some array holds an item.
    Repeats,
    Different,
}

fn compare(a: &Dynamic, b: &Dynamic) -> Sameness {
    if canonical(a, false) == canonical(b, false) {
        Sameness::Same
    } else if canonical(a, true) == canonical(b, true) {
        Sameness::Repeats
    } else {
        Sameness::Different
    }
}

/// What `value` returned, read back.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Value {
    Count(i64),
    Elements(BTreeSet<String>),
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Count(n) => write!(f, "{n}"),
            Value::Elements(set) => {
                let items: Vec<&str> = set.iter().map(String::as_str).collect();
                write!(f, "[{}]", items.join(", "))
            }
        }
    }
}

/// Why a judge stopped early.
enum Stop {
    /// The script failed or returned a wrong type; the [`Script`] latch holds the error.
    Script,
    /// A property failed.
    Violated(Law, String),
}

type Judged<T = ()> = Result<T, Stop>;

/// A state reached during the run, with where it came from (for messages).
struct Reached {
    state: Dynamic,
    label: String,
}

/// What the specification says, computed from the execution's structure alone: the counter's
/// updates, and for the set the adds each replica has observed (its causal past) and the adds
/// every remove observed.
#[derive(Default)]
struct Truth {
    increments: i64,
    decrements: i64,
    /// tag → (element, step of the add).
    adds: BTreeMap<usize, (usize, usize)>,
    /// tag → step of the first remove that observed it.
    removed: BTreeMap<usize, usize>,
    /// Per replica, the tags of the adds in its causal past.
    seen: Vec<BTreeSet<usize>>,
    /// Per message, the tags its sender had seen when it sent it.
    carried: BTreeMap<usize, BTreeSet<usize>>,
}

impl Truth {
    fn update(&mut self, step: usize, replica: usize, op: Op) {
        match op {
            Op::Inc => self.increments += 1,
            Op::Dec => self.decrements += 1,
            Op::Add { element, tag } => {
                self.adds.insert(tag, (element, step));
                self.seen[replica].insert(tag);
            }
            Op::Remove { element } => {
                for &tag in &self.seen[replica] {
                    if self.adds.get(&tag).is_some_and(|&(e, _)| e == element) {
                        self.removed.entry(tag).or_insert(step);
                    }
                }
            }
        }
    }

    fn send(&mut self, from: usize, message: usize) {
        self.carried.insert(message, self.seen[from].clone());
    }

    fn deliver(&mut self, message: usize, to: usize) {
        if let Some(tags) = self.carried.get(&message) {
            self.seen[to].extend(tags.iter().copied());
        }
    }

    /// Every replica has seen every add.
    fn sync(&mut self) {
        let all: BTreeSet<usize> = self.adds.keys().copied().collect();
        for seen in &mut self.seen {
            seen.clone_from(&all);
        }
    }

    /// The add-wins set: the elements of the adds no remove observed.
    fn elements(&self) -> BTreeSet<usize> {
        self.adds
            .iter()
            .filter(|(tag, _)| !self.removed.contains_key(tag))
            .map(|(_, &(element, _))| element)
            .collect()
    }

    fn value(&self, crdt: Crdt) -> Value {
        match crdt {
            Crdt::Counter => Value::Count(self.increments - self.decrements),
            Crdt::Set => Value::Elements(
                self.elements()
                    .into_iter()
                    .map(|e| ELEMENTS[e].to_string())
                    .collect(),
            ),
        }
    }

    /// Why the add-wins set does or does not hold `element`.
    fn why(&self, element: usize) -> String {
        let name = ELEMENTS[element];
        let of: Vec<(&usize, &(usize, usize))> = self
            .adds
            .iter()
            .filter(|(_, (e, _))| *e == element)
            .collect();
        if let Some((tag, (_, step))) = of.iter().find(|(tag, _)| !self.removed.contains_key(tag)) {
            return format!(
                "{name} is in the set: no remove observed its add at step {step} (t{tag}), so the add wins."
            );
        }
        let removes: Vec<String> = of
            .iter()
            .map(|(tag, _)| format!("t{tag} at step {}", self.removed[tag]))
            .collect();
        if removes.is_empty() {
            format!("{name} is not in the set: it was never added.")
        } else {
            format!(
                "{name} is not in the set: a remove observed every add of it ({}).",
                removes.join(", ")
            )
        }
    }
}

/// One judged execution: the replicas' states, the reached states, the truth, the log.
struct Run<'a> {
    script: &'a Script,
    execution: &'a Execution,
    states: Vec<Dynamic>,
    reached: Vec<Reached>,
    /// message → (from, to, the state sent, the step it was sent at).
    messages: BTreeMap<usize, (usize, usize, Dynamic, usize)>,
    delivered: BTreeSet<usize>,
    cut: Option<u8>,
    truth: Truth,
    lines: Vec<String>,
    /// The line of a sync that failed, with what every replica showed.
    failed_sync: Option<String>,
}

impl<'a> Run<'a> {
    fn new(script: &'a Script, execution: &'a Execution) -> Run<'a> {
        Run {
            script,
            execution,
            states: Vec::new(),
            reached: Vec::new(),
            messages: BTreeMap::new(),
            delivered: BTreeSet::new(),
            cut: None,
            truth: Truth {
                seen: vec![BTreeSet::new(); execution.replicas],
                ..Truth::default()
            },
            lines: Vec::new(),
            failed_sync: None,
        }
    }

    fn crdt(&self) -> Crdt {
        self.execution.crdt
    }

    /// A state a learner function returned: anything but `()`, which is a forgotten result.
    fn state(&self, name: &str, value: Option<Dynamic>) -> Judged<Dynamic> {
        let value = value.ok_or(Stop::Script)?;
        if value.is_unit() {
            self.script.wrong(
                name,
                &value,
                "a state (end the function with the state it made)",
            );
            return Err(Stop::Script);
        }
        Ok(value)
    }

    fn new_state(&self) -> Judged<Dynamic> {
        match self.crdt() {
            Crdt::Counter => {
                let n = self.execution.replicas as i64;
                self.state("counter_new", self.script.call("counter_new", (n,)))
            }
            Crdt::Set => self.state("set_new", self.script.call("set_new", ())),
        }
    }

    fn apply(&self, state: &Dynamic, replica: usize, op: Op) -> Judged<Dynamic> {
        let s = state.clone();
        let r = replica as i64;
        let (name, result) = match op {
            Op::Inc => ("counter_inc", self.script.call("counter_inc", (s, r))),
            Op::Dec => ("counter_dec", self.script.call("counter_dec", (s, r))),
            Op::Add { element, tag } => (
                "set_add",
                self.script.call(
                    "set_add",
                    (s, r, Dynamic::from(ELEMENTS[element]), tag_of(tag)),
                ),
            ),
            Op::Remove { element } => (
                "set_remove",
                self.script
                    .call("set_remove", (s, r, Dynamic::from(ELEMENTS[element]))),
            ),
        };
        self.state(name, result)
    }

    fn merge(&self, a: &Dynamic, b: &Dynamic) -> Judged<Dynamic> {
        let name = self.crdt().merge_fn();
        self.state(name, self.script.call(name, (a.clone(), b.clone())))
    }

    fn value(&self, state: &Dynamic) -> Judged<Value> {
        let name = self.crdt().value_fn();
        let value = self
            .script
            .call(name, (state.clone(),))
            .ok_or(Stop::Script)?;
        let read = match self.crdt() {
            Crdt::Counter => value.as_int().ok().map(Value::Count),
            Crdt::Set => value.as_array_ref().ok().and_then(|items| {
                let listed = items
                    .iter()
                    .map(|item| item.clone().into_string().ok())
                    .collect::<Option<Vec<String>>>()?;
                let elements: BTreeSet<String> = listed.iter().cloned().collect();
                // A set lists each element once: a repeat is a wrong result, not a set.
                (elements.len() == listed.len()).then_some(Value::Elements(elements))
            }),
        };
        read.ok_or_else(|| {
            let expected = match self.crdt() {
                Crdt::Counter => "an integer",
                Crdt::Set => "an array of the elements (strings) in the set, each once",
            };
            self.script.wrong(name, &value, expected);
            Stop::Script
        })
    }

    /// `merge(s, s)` must be `s`; then `s` joins the states the laws are sampled from.
    fn reach(&mut self, state: &Dynamic, label: String) -> Judged {
        let twice = self.merge(state, state)?;
        if let Some(how) = differ(&twice, state) {
            let merge = self.crdt().merge_fn();
            return Err(Stop::Violated(
                Law::Semilattice,
                format!(
                    "`{merge}(s, s)` is not `s`{how}, for s = {label}: s = {}, `{merge}(s, s)` = {}. A join must be idempotent: a state that arrives twice changes nothing.",
                    shown(state),
                    shown(&twice),
                ),
            ));
        }
        self.reached.push(Reached {
            state: state.clone(),
            label,
        });
        Ok(())
    }

    fn start(&mut self) -> Judged {
        let initial = self.new_state()?;
        self.reach(&initial, "the initial state".to_string())?;
        self.states = vec![initial; self.execution.replicas];
        Ok(())
    }

    /// Runs one step; its line for the log.
    fn step(&mut self, number: usize, step: Step) -> Judged<String> {
        match step {
            Step::Update { replica, op } => self.update(number, replica, op),
            Step::Send { from, to, message } => {
                let state = self.states[from].clone();
                self.messages.insert(message, (from, to, state, number));
                self.truth.send(from, message);
                let delivered = self.execution.steps[number..].contains(&Step::Deliver { message });
                let fate = if delivered {
                    ""
                } else {
                    " (never delivered: lost)"
                };
                Ok(format!(
                    "r{from} sends its state to r{to} as m{message}{fate}"
                ))
            }
            Step::Deliver { message } => self.deliver(number, message),
            Step::Partition { side } => {
                self.cut = Some(side);
                let (left, right): (Vec<usize>, Vec<usize>) =
                    (0..self.execution.replicas).partition(|r| (side >> r) & 1 == 1);
                Ok(format!(
                    "partition: {} | {}",
                    replica_list(&left),
                    replica_list(&right)
                ))
            }
            Step::Heal => {
                self.cut = None;
                Ok("the partition heals".to_string())
            }
            Step::Sync => self.sync(number),
        }
    }

    /// What a step was doing, for the line of the step that failed.
    fn attempt(&self, step: Step) -> String {
        match step {
            Step::Update { replica, op } => format!("r{replica}: {}", call_text(op)),
            Step::Send { from, to, message } => format!("r{from} sends m{message} to r{to}"),
            Step::Deliver { message } => {
                let to = self.messages.get(&message).map_or(0, |m| m.1);
                format!("r{to} receives m{message}")
            }
            Step::Partition { .. } => "partition".to_string(),
            Step::Heal => "heal".to_string(),
            Step::Sync => "sync".to_string(),
        }
    }

    fn update(&mut self, number: usize, replica: usize, op: Op) -> Judged<String> {
        let before = self.states[replica].clone();
        let after = self.apply(&before, replica, op)?;
        let call = call_text(op);
        self.reach(
            &after,
            format!("r{replica}'s state after step {number} ({call})"),
        )?;
        let merged = self.merge(&after, &before)?;
        if let Some(how) = differ(&merged, &after) {
            let merge = self.crdt().merge_fn();
            return Err(Stop::Violated(
                Law::Inflationary,
                format!(
                    "Step {number} (r{replica}: {call}) is not inflationary: `{merge}(after, before)` = {} is not the updated state after = {}{how} (before = {}). Merging the update with an older state undoes it, so any replica still holding the old state brings it back.",
                    shown(&merged),
                    shown(&after),
                    shown(&before),
                ),
            ));
        }
        self.truth.update(number, replica, op);
        self.states[replica] = after;
        let value = self.value(&self.states[replica])?;
        Ok(format!("r{replica}: {call:<24} → r{replica} shows {value}"))
    }

    fn deliver(&mut self, number: usize, message: usize) -> Judged<String> {
        let Some((from, to, sent, sent_at)) = self.messages.get(&message).cloned() else {
            return Ok(format!("m{message} was never sent"));
        };
        if separates(self.cut, from, to) {
            return Ok(format!(
                "m{message} to r{to} is lost: the partition cuts r{from} off from r{to}"
            ));
        }
        let again = if self.delivered.insert(message) {
            ""
        } else {
            " again (duplicated)"
        };
        let mine = self.states[to].clone();
        let merged = self.merge(&mine, &sent)?;
        let swapped = self.merge(&sent, &mine)?;
        let merge = self.crdt().merge_fn();
        if let Some(how) = differ(&merged, &swapped) {
            return Err(Stop::Violated(
                Law::Semilattice,
                format!(
                    "`{merge}(a, b)` and `{merge}(b, a)` differ{how} at step {number}, for a = r{to}'s state and b = m{message} (r{from}'s state at step {sent_at}): a = {}, b = {}, `{merge}(a, b)` = {}, `{merge}(b, a)` = {}. A join must be commutative: replicas that receive the same states in another order must agree.",
                    shown(&mine),
                    shown(&sent),
                    shown(&merged),
                    shown(&swapped),
                ),
            ));
        }
        self.reach(
            &merged,
            format!("r{to}'s state after step {number} (merging m{message})"),
        )?;
        self.truth.deliver(message, to);
        self.states[to] = merged;
        let value = self.value(&self.states[to])?;
        Ok(format!(
            "r{to} receives m{message}{again}, {merge} → r{to} shows {value}"
        ))
    }

    /// Commutativity and associativity on pairs and triples of the states reached before
    /// step `number`, drawn afresh for each step that asks.
    fn sampled_laws(&self, number: usize) -> Judged {
        let mut rng = Rng::new(self.execution.sample_seed ^ number as u64);
        let count = self.reached.len() as u64;
        if count == 0 {
            return Ok(());
        }
        let merge = self.crdt().merge_fn();
        for _ in 0..PAIRS_SAMPLED {
            let a = &self.reached[rng.below(count) as usize];
            let b = &self.reached[rng.below(count) as usize];
            let ab = self.merge(&a.state, &b.state)?;
            let ba = self.merge(&b.state, &a.state)?;
            if let Some(how) = differ(&ab, &ba) {
                return Err(Stop::Violated(
                    Law::Semilattice,
                    format!(
                        "`{merge}(a, b)` and `{merge}(b, a)` differ{how}, for a = {} and b = {}: a = {}, b = {}, `{merge}(a, b)` = {}, `{merge}(b, a)` = {}. A join must be commutative: replicas that receive the same states in another order must agree.",
                        a.label, b.label,
                        shown(&a.state), shown(&b.state), shown(&ab), shown(&ba),
                    ),
                ));
            }
        }
        for _ in 0..TRIPLES_SAMPLED {
            let a = &self.reached[rng.below(count) as usize];
            let b = &self.reached[rng.below(count) as usize];
            let c = &self.reached[rng.below(count) as usize];
            let left = self.merge(&self.merge(&a.state, &b.state)?, &c.state)?;
            let right = self.merge(&a.state, &self.merge(&b.state, &c.state)?)?;
            if let Some(how) = differ(&left, &right) {
                return Err(Stop::Violated(
                    Law::Semilattice,
                    format!(
                        "`{merge}({merge}(a, b), c)` and `{merge}(a, {merge}(b, c))` differ{how}, for a = {}, b = {}, c = {}: a = {}, b = {}, c = {}; they give {} and {}. A join must be associative: how states are grouped on their way must not matter.",
                        a.label, b.label, c.label,
                        shown(&a.state), shown(&b.state), shown(&c.state), shown(&left), shown(&right),
                    ),
                ));
            }
        }
        Ok(())
    }

    /// First the laws on a sample of the states reached so far; then the network heals and is
    /// quiet: r0 merges every other replica's state, then every other merges r0's; all must
    /// show one value, the specification's.
    fn sync(&mut self, number: usize) -> Judged<String> {
        self.sampled_laws(number)?;
        self.cut = None;
        let replicas = self.execution.replicas;
        for r in 1..replicas {
            self.states[0] = self.merge(&self.states[0], &self.states[r])?;
        }
        for r in 1..replicas {
            self.states[r] = self.merge(&self.states[r], &self.states[0])?;
        }
        self.truth.sync();
        let values = self
            .states
            .iter()
            .map(|s| self.value(s))
            .collect::<Judged<Vec<Value>>>()?;
        let shows: Vec<String> = values
            .iter()
            .enumerate()
            .map(|(r, v)| format!("r{r} shows {v}"))
            .collect();
        let shows = shows.join(", ");
        let line =
            format!("sync: links heal; r0 merges every state, then every replica r0's → {shows}");
        if values.iter().any(|v| *v != values[0]) {
            self.failed_sync = Some(line);
            return Err(Stop::Violated(
                Law::Converges,
                format!(
                    "At step {number}, once r0 has merged every replica's state and every replica r0's, the replicas still disagree: {shows}. Replicas that have merged the same states must show the same value."
                ),
            ));
        }
        let expected = self.truth.value(self.crdt());
        if values[0] != expected {
            self.failed_sync = Some(line);
            return Err(Stop::Violated(
                Law::Converges,
                self.wrong_value(number, &values[0], &expected),
            ));
        }
        Ok(line)
    }

    fn wrong_value(&self, number: usize, shown: &Value, expected: &Value) -> String {
        let head = format!("At the sync of step {number} every replica shows {shown}");
        match (shown, expected) {
            (Value::Elements(got), Value::Elements(want)) => {
                let reasons: Vec<String> = ELEMENTS
                    .iter()
                    .enumerate()
                    .filter(|(_, e)| got.contains(**e) != want.contains(**e))
                    .map(|(i, _)| self.truth.why(i))
                    .collect();
                format!(
                    "{head}, but the add-wins set is {expected}: {}",
                    reasons.join(" ")
                )
            }
            _ => format!(
                "{head}, but the replicas made {} increment(s) and {} decrement(s) so far: the count is {expected}.",
                self.truth.increments, self.truth.decrements
            ),
        }
    }

    fn log(&mut self, number: usize, text: String) {
        self.lines.push(format!("{number:>2}. {text}"));
    }

    fn all(&mut self) -> Judged {
        self.start()?;
        for (index, &step) in self.execution.steps.iter().enumerate() {
            let number = index + 1;
            match self.step(number, step) {
                Ok(line) => self.log(number, line),
                Err(Stop::Violated(law, message)) => {
                    let attempt = self
                        .failed_sync
                        .take()
                        .unwrap_or_else(|| self.attempt(step));
                    let failed = format!("{attempt}  ✗ {}", self.crdt().property(law));
                    self.log(number, failed);
                    return Err(Stop::Violated(law, message));
                }
                Err(Stop::Script) => return Err(Stop::Script),
            }
        }
        Ok(())
    }
}

/// `None` when `a` and `b` are the same state; otherwise what the sentence saying they differ
/// adds: a note when they differ only in how often a collection holds an item, nothing else.
fn differ(a: &Dynamic, b: &Dynamic) -> Option<&'static str> {
    match compare(a, b) {
        Sameness::Same => None,
        Sameness::Repeats => Some(
            " (only in how often an array holds an item: a merge that appends what is already there grows the state on every exchange)",
        ),
        Sameness::Different => Some(""),
    }
}

fn tag_of(tag: usize) -> Dynamic {
    Dynamic::from(format!("t{tag}"))
}

fn call_text(op: Op) -> String {
    match op {
        Op::Inc => "counter_inc".to_string(),
        Op::Dec => "counter_dec".to_string(),
        Op::Add { element, tag } => format!("set_add(\"{}\", \"t{tag}\")", ELEMENTS[element]),
        Op::Remove { element } => format!("set_remove(\"{}\")", ELEMENTS[element]),
    }
}

fn replica_list(replicas: &[usize]) -> String {
    let names: Vec<String> = replicas.iter().map(|r| format!("r{r}")).collect();
    format!("{{{}}}", names.join(", "))
}

/// The outcome of judging one execution, and its log up to where the judge stopped.
fn judge(script: &Script, execution: &Execution) -> (Option<(&'static str, String)>, Vec<String>) {
    let mut run = Run::new(script, execution);
    let outcome = match run.all() {
        Ok(()) | Err(Stop::Script) => None,
        Err(Stop::Violated(law, message)) => Some((execution.crdt.property(law), message)),
    };
    (outcome, run.lines)
}

/// The CRDT harness: a case is a generated execution.
pub struct Crdts;

impl Harness for Crdts {
    type Installed = Rc<Script>;
    type Case = Execution;

    fn required(&self) -> &'static [RequiredFn] {
        &REQUIRED
    }
    fn properties(&self) -> Vec<&'static str> {
        [Crdt::Counter, Crdt::Set]
            .into_iter()
            .flat_map(|crdt| {
                [Law::Semilattice, Law::Inflationary, Law::Converges].map(|law| crdt.property(law))
            })
            .collect()
    }
    fn install(&self, script: Rc<Script>) -> Rc<Script> {
        script
    }
    fn case(&self, _: &Rc<Script>, seed: u64) -> Execution {
        Execution::generate(seed)
    }
    fn judge(&self, script: &Rc<Script>, execution: &Execution) -> Result<Option<Found>, String> {
        Ok(judge(script, execution).0.map(|(property, message)| Found {
            property: property.to_string(),
            message: Some(message),
            size: execution.steps.len(),
            step: None,
            unknown: None,
        }))
    }
    /// The execution without one step (a send takes its deliveries along), from the last step
    /// to the first.
    fn smaller(&self, execution: &Execution) -> Vec<Execution> {
        (0..execution.steps.len())
            .rev()
            .map(|index| execution.without(index))
            .collect()
    }
    fn show(&self, script: &Rc<Script>, execution: &Execution, found: &Found, _: &str) -> Shown {
        let (outcome, mut lines) = judge(script, execution);
        let message = outcome.map_or_else(|| found.message.clone().unwrap_or_default(), |o| o.1);
        let kind = match execution.crdt {
            Crdt::Counter => "PN-Counter",
            Crdt::Set => "OR-Set",
        };
        lines.insert(
            0,
            format!(
                "{kind} on {} replicas r0..r{}, every one starting from {}",
                execution.replicas,
                execution.replicas - 1,
                match execution.crdt {
                    Crdt::Counter => format!("counter_new({})", execution.replicas),
                    Crdt::Set => "set_new()".to_string(),
                }
            ),
        );
        Shown {
            message,
            counterexample: lines,
            replay: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::challenge::{challenge, check, CheckOptions, CheckReport, Verdict};
    use crate::script::ScriptErrorKind;

    fn run(source: &str, first_seed: u64, seeds: u64) -> CheckReport {
        let c = challenge("crdt-counters-sets").expect("the challenge is in the table");
        check(
            c,
            source,
            CheckOptions { seeds, first_seed },
            &mut |_, _| true,
        )
    }

    fn failure(source: &str) -> crate::challenge::Failure {
        match run(source, 0, 20).verdict {
            Verdict::Failed(failure) => failure,
            other => panic!("expected a failure, got {other:?}"),
        }
    }

    fn reference() -> &'static str {
        &challenge("crdt-counters-sets")
            .expect("challenge")
            .reference
    }

    /// The reference with one half replaced: `counter` or `set` functions from `code`.
    fn with(part: &str, code: &str) -> String {
        let keep: Vec<&str> = reference()
            .split("\nfn ")
            .filter(|f| !f.starts_with(part))
            .collect();
        format!("{}\nfn {}\n{code}", keep[0], keep[1..].join("\nfn "))
    }

    #[test]
    fn generated_executions_are_deterministic_varied_and_well_formed() {
        assert_eq!(Execution::generate(7), Execution::generate(7));
        assert_ne!(Execution::generate(7).steps, Execution::generate(9).steps);
        let (mut duplicates, mut lost, mut partitions) = (0, 0, 0);
        for seed in 0..300 {
            let execution = Execution::generate(seed);
            assert_eq!(execution.crdt, Crdt::of_seed(seed));
            assert!((REPLICAS_MIN..=REPLICAS_MAX).contains(&execution.replicas));
            assert_eq!(execution.steps.last(), Some(&Step::Sync), "ends in a sync");
            let mut sent = BTreeSet::new();
            let mut delivered = BTreeSet::new();
            let mut tags = BTreeSet::new();
            for step in &execution.steps {
                match *step {
                    Step::Send { from, to, message } => {
                        assert!(from != to && to < execution.replicas);
                        assert!(sent.insert(message), "message numbers are unique");
                    }
                    Step::Deliver { message } => {
                        assert!(sent.contains(&message), "delivered after it was sent");
                        duplicates += usize::from(!delivered.insert(message));
                    }
                    Step::Update { replica, op } => {
                        assert!(replica < execution.replicas);
                        if let Op::Add { tag, .. } = op {
                            assert!(tags.insert(tag), "tags are unique");
                        }
                    }
                    Step::Partition { side } => {
                        partitions += 1;
                        assert!(side != 0 && u32::from(side) < (1 << execution.replicas) - 1);
                    }
                    Step::Heal | Step::Sync => {}
                }
            }
            lost += sent.difference(&delivered).count();
        }
        assert!(
            duplicates > 100 && lost > 100 && partitions > 100,
            "the network duplicates ({duplicates}), loses ({lost}) and partitions ({partitions})"
        );
    }

    fn truth_of(replicas: usize, steps: &[Step]) -> Truth {
        let mut truth = Truth {
            seen: vec![BTreeSet::new(); replicas],
            ..Truth::default()
        };
        let mut to_of = BTreeMap::new();
        for (i, step) in steps.iter().enumerate() {
            match *step {
                Step::Update { replica, op } => truth.update(i + 1, replica, op),
                Step::Send { from, to, message } => {
                    truth.send(from, message);
                    to_of.insert(message, to);
                }
                Step::Deliver { message } => truth.deliver(message, to_of[&message]),
                Step::Sync => truth.sync(),
                Step::Partition { .. } | Step::Heal => {}
            }
        }
        truth
    }

    /// Shapiro et al. (INRIA RR-7506, §3.3.5): a remove affects only the adds it observed; a
    /// concurrent add wins.
    #[test]
    fn add_wins_keeps_an_add_no_remove_observed() {
        let add = |replica, tag| Step::Update {
            replica,
            op: Op::Add { element: 0, tag },
        };
        let remove = |replica| Step::Update {
            replica,
            op: Op::Remove { element: 0 },
        };
        let send = |from, to, message| Step::Send { from, to, message };
        let observed = [
            add(0, 1),
            send(0, 1, 1),
            Step::Deliver { message: 1 },
            remove(1),
        ];
        assert!(
            truth_of(3, &observed).elements().is_empty(),
            "the remove saw t1"
        );
        let concurrent = [observed.as_slice(), &[add(2, 2)]].concat();
        assert_eq!(truth_of(3, &concurrent).elements(), BTreeSet::from([0]));
        let unseen = [add(0, 1), remove(1)];
        assert_eq!(
            truth_of(3, &unseen).elements(),
            BTreeSet::from([0]),
            "a replica that never saw the add removes nothing"
        );
        let after_sync = [add(0, 1), Step::Sync, remove(2)];
        assert!(truth_of(3, &after_sync).elements().is_empty());
    }

    #[test]
    fn states_compare_as_data_in_any_order_but_vectors_by_position() {
        let strings = |items: &[&str]| {
            Dynamic::from_array(items.iter().map(|s| Dynamic::from(s.to_string())).collect())
        };
        let ints = |items: &[i64]| crate::script::convert::ints(items.iter().copied());
        assert_eq!(
            compare(&strings(&["t1", "t2"]), &strings(&["t2", "t1"])),
            Sameness::Same
        );
        assert_eq!(compare(&ints(&[1, 0]), &ints(&[0, 1])), Sameness::Different);
        assert_eq!(
            compare(&strings(&["t1", "t1"]), &strings(&["t1"])),
            Sameness::Repeats
        );
        let a = crate::script::convert::map([("p", ints(&[1, 2])), ("tags", strings(&["a", "b"]))]);
        let b = crate::script::convert::map([("tags", strings(&["b", "a"])), ("p", ints(&[1, 2]))]);
        assert_eq!(compare(&a, &b), Sameness::Same, "map entries in any order");
        assert_eq!(compare(&a, &ints(&[1, 2])), Sameness::Different);
    }

    #[test]
    fn removing_a_send_removes_its_deliveries() {
        let execution = Execution::generate(4);
        let send = execution
            .steps
            .iter()
            .position(|s| matches!(s, Step::Send { .. }))
            .expect("a send");
        let Step::Send { message, .. } = execution.steps[send] else {
            unreachable!()
        };
        let smaller = execution.without(send);
        assert!(!smaller.steps.contains(&Step::Deliver { message }));
        assert!(smaller.steps.len() < execution.steps.len() - 1);
    }

    /// Every known-wrong variant fails with its property from any first seed: each execution
    /// opens with the targeted prefix, and two consecutive seeds cover both types.
    #[test]
    fn every_wrong_variant_fails_with_its_property_from_any_first_seed() {
        let c = challenge("crdt-counters-sets").expect("challenge");
        for first_seed in [1, 1_001, 77_777, 123_456_789] {
            assert_eq!(run(&c.reference, first_seed, 20).verdict, Verdict::Passed);
            for wrong in &c.wrong {
                match run(&wrong.code, first_seed, 2).verdict {
                    Verdict::Failed(f) => assert_eq!(f.property, wrong.violates, "{}", wrong.name),
                    other => panic!("{} from seed {first_seed}: {other:?}", wrong.name),
                }
            }
        }
    }

    #[test]
    fn a_merge_that_double_counts_is_caught_at_the_first_update() {
        let sums = with(
            "counter_merge",
            "fn counter_merge(a, b) { for i in 0..a.p.len() { a.p[i] += b.p[i]; a.n[i] += b.n[i]; } a }",
        );
        let f = failure(&sums);
        assert_eq!(f.property, "counter-semilattice");
        assert!(
            f.message.contains("`counter_merge(s, s)` is not `s`"),
            "{}",
            f.message
        );
        assert_eq!(f.counterexample.len(), 2, "{:#?}", f.counterexample);
        assert!(f.counterexample[1].ends_with("✗ counter-semilattice"));
    }

    #[test]
    fn a_lost_concurrent_add_is_explained_at_the_sync() {
        let by_value = challenge("crdt-counters-sets")
            .expect("challenge")
            .wrong
            .iter()
            .find(|w| w.name.starts_with("set: remove by value"))
            .expect("the variant");
        let f = failure(&by_value.code);
        assert_eq!(f.property, "set-add-wins");
        assert!(
            f.message.contains("the add-wins set is [x]") && f.message.contains("the add wins"),
            "{}",
            f.message
        );
        let last = f.counterexample.last().expect("lines");
        assert!(
            last.contains("sync") && last.contains("✗ set-add-wins"),
            "{last}"
        );
        assert!(f.counterexample.len() <= 5, "{:#?}", f.counterexample);
    }

    #[test]
    fn a_merge_that_appends_duplicates_is_told_so() {
        let concat = with(
            "set_",
            r#"
fn set_new() { #{ adds: [], removed: [] } }
fn set_add(s, replica, elem, tag) { s.adds.push([elem, tag]); s }
fn set_remove(s, replica, elem) { for a in s.adds { if a[0] == elem { s.removed.push(a[1]); } } s }
fn set_merge(a, b) { a.adds += b.adds; a.removed += b.removed; a }
fn set_value(s) { let out = []; for a in s.adds { if !s.removed.contains(a[1]) && !out.contains(a[0]) { out.push(a[0]); } } out }
"#,
        );
        let f = failure(&concat);
        assert_eq!(f.property, "set-semilattice");
        assert!(
            f.message
                .contains("only in how often an array holds an item"),
            "{}",
            f.message
        );
    }

    /// Correct solutions in other representations pass: maps created lazily, pairs per
    /// replica, arrays used as sets (built in any order), a live set pruned of tombstoned tags.
    #[test]
    fn other_correct_representations_pass() {
        let lazy_maps = with(
            "counter_",
            r#"
fn counter_new(n) { #{ inc: #{}, dec: #{} } }
fn bump(m, replica) { let k = replica.to_string(); if k in m { m[k] += 1; } else { m[k] = 1; } m }
fn counter_inc(s, replica) { s.inc = bump(s.inc, replica); s }
fn counter_dec(s, replica) { s.dec = bump(s.dec, replica); s }
fn join(a, b) { for k in b.keys() { if !(k in a) || a[k] < b[k] { a[k] = b[k]; } } a }
fn counter_merge(a, b) { #{ inc: join(a.inc, b.inc), dec: join(a.dec, b.dec) } }
fn counter_value(s) { let v = 0; for k in s.inc.keys() { v += s.inc[k]; } for k in s.dec.keys() { v -= s.dec[k]; } v }
"#,
        );
        let pairs = with(
            "counter_",
            r#"
fn counter_new(n) { let s = []; for i in 0..n { s.push([0, 0]); } s }
fn counter_inc(s, replica) { s[replica][0] += 1; s }
fn counter_dec(s, replica) { s[replica][1] += 1; s }
fn counter_merge(a, b) { let out = []; for i in 0..a.len() { out.push([max(a[i][0], b[i][0]), max(a[i][1], b[i][1])]); } out }
fn counter_value(s) { let v = 0; for e in s { v += e[0] - e[1]; } v }
"#,
        );
        let arrays = with(
            "set_",
            r#"
fn set_new() { #{ adds: [], removed: [] } }
fn set_add(s, replica, elem, tag) { s.adds.push([elem, tag]); s }
fn set_remove(s, replica, elem) { for a in s.adds { if a[0] == elem && !s.removed.contains(a[1]) { s.removed.push(a[1]); } } s }
fn set_merge(a, b) {
    for x in b.adds { if !a.adds.contains(x) { a.adds.push(x); } }
    for t in b.removed { if !a.removed.contains(t) { a.removed.push(t); } }
    a
}
fn set_value(s) { let out = []; for a in s.adds { if !s.removed.contains(a[1]) && !out.contains(a[0]) { out.push(a[0]); } } out }
"#,
        );
        let pruned = with(
            "set_",
            r#"
fn set_new() { #{ live: #{}, dead: #{} } }
fn set_add(s, replica, elem, tag) { s.live[tag] = elem; s }
fn set_remove(s, replica, elem) { for t in s.live.keys() { if s.live[t] == elem { s.live.remove(t); s.dead[t] = true; } } s }
fn set_merge(a, b) {
    for t in b.dead.keys() { a.dead[t] = true; }
    for t in b.live.keys() { a.live[t] = b.live[t]; }
    for t in a.live.keys() { if t in a.dead { a.live.remove(t); } }
    a
}
fn set_value(s) { let out = []; for t in s.live.keys() { if !out.contains(s.live[t]) { out.push(s.live[t]); } } out }
"#,
        );
        for (name, source) in [
            ("lazy maps", lazy_maps),
            ("pairs", pairs),
            ("arrays", arrays),
            ("pruned", pruned),
        ] {
            let report = run(&source, 0, 100);
            assert_eq!(report.verdict, Verdict::Passed, "{name}");
        }
    }

    #[test]
    fn a_state_function_that_returns_nothing_is_a_wrong_result() {
        let forgot = with(
            "counter_inc",
            "fn counter_inc(s, replica) { s.p[replica] += 1; }",
        );
        let report = run(&forgot, 0, 10);
        let Verdict::ScriptError {
            error,
            seed: Some(0),
        } = report.verdict
        else {
            panic!("{:?}", report.verdict)
        };
        assert_eq!(error.kind, ScriptErrorKind::WrongResult);
        assert!(
            error.message.contains("`counter_inc` returned ()"),
            "{}",
            error.message
        );
        let text = with("set_value", "fn set_value(s) { \"x\" }");
        let Verdict::ScriptError { error, .. } = run(&text, 1, 1).verdict else {
            panic!("a value that is not an array")
        };
        assert!(
            error.message.contains("an array of the elements"),
            "{}",
            error.message
        );
    }

    /// The sampled laws reject a merge that is commutative and idempotent but not
    /// associative, and one that is not commutative, naming the law.
    #[test]
    fn sampled_laws_reject_non_associative_and_non_commutative_merges() {
        let counter = |merge: &str| {
            format!(
                "fn counter_new(n) {{ 0 }}\nfn counter_inc(s, replica) {{ s + 1 }}\nfn counter_dec(s, replica) {{ s }}\nfn counter_merge(a, b) {{ {merge} }}\nfn counter_value(s) {{ s }}"
            )
        };
        let cases = [
            (
                "if a - b <= 1 && b - a <= 1 { max(a, b) } else { a + b }",
                "must be associative",
            ),
            ("a", "must be commutative"),
        ];
        for (merge, law) in cases {
            let source = with("counter_", &counter(merge));
            let script = Script::compile(&source, &REQUIRED).expect("it compiles");
            let execution = Execution {
                crdt: Crdt::Counter,
                replicas: 3,
                steps: Vec::new(),
                sample_seed: 1,
            };
            let mut run = Run::new(&script, &execution);
            run.reached = [1, 2, 4]
                .map(|n| Reached {
                    state: Dynamic::from_int(n),
                    label: format!("the state {n}"),
                })
                .into();
            match run.sampled_laws(1) {
                Err(Stop::Violated(Law::Semilattice, message)) => {
                    assert!(message.contains(law), "{message}");
                }
                _ => panic!("{merge}: a violation of the semilattice laws"),
            }
        }
    }

    /// A sync judges what the replicas show: they must agree, and on the specification.
    #[test]
    fn a_sync_rejects_replicas_that_disagree_or_agree_on_a_wrong_value() {
        let left = "fn counter_new(n) { 0 }\nfn counter_inc(s, replica) { s + 1 }\nfn counter_dec(s, replica) { s }\nfn counter_merge(a, b) { a }\nfn counter_value(s) { s }";
        let script = Script::compile(&with("counter_", left), &REQUIRED).expect("it compiles");
        let execution = Execution {
            crdt: Crdt::Counter,
            replicas: 3,
            steps: Vec::new(),
            sample_seed: 1,
        };
        let mut run = Run::new(&script, &execution);
        run.states = [1, 2, 2].map(Dynamic::from_int).into();
        let Err(Stop::Violated(Law::Converges, message)) = run.sync(7) else {
            panic!("replicas that disagree")
        };
        assert!(
            message.contains("still disagree: r0 shows 1, r1 shows 2"),
            "{message}"
        );
        run.states = [2, 2, 2].map(Dynamic::from_int).into();
        run.truth.increments = 3;
        let Err(Stop::Violated(Law::Converges, message)) = run.sync(8) else {
            panic!("agreement on the wrong count")
        };
        assert!(
            message.contains("3 increment(s) and 0 decrement(s)"),
            "{message}"
        );
        assert!(message.contains("the count is 3"), "{message}");
    }

    #[test]
    fn checks_are_deterministic() {
        let c = challenge("crdt-counters-sets").expect("challenge");
        for source in [&c.reference, &c.wrong[1].code, &c.wrong[5].code] {
            assert_eq!(run(source, 3, 30), run(source, 3, 30));
        }
    }
}
