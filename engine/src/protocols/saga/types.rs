//! The saga's data: the store's orders, the orchestrator's saga log, the services' ledgers, the
//! messages between them, and each node's state.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use crate::hash::{Canon, Fnv64};
use crate::sim::protocol::NodeId;

/// The orchestrator.
pub const ORCHESTRATOR: NodeId = 0;
/// The payment service (customers' money and the shop's takings).
pub const PAYMENT: NodeId = 1;
/// The inventory service (stock per item).
pub const INVENTORY: NodeId = 2;
/// The shipping service (shipments).
pub const SHIPPING: NodeId = 3;
/// Nodes in every scenario.
pub const NODES: u16 = 4;

/// Customers c1..c3.
pub const CUSTOMERS: usize = 3;
/// What each customer's account opens with.
pub const OPENING_BALANCE: i64 = 120;
/// The items the store sells, with the stock each opens with.
pub const ITEMS: [(&str, u32); 3] = [("lamp", 2), ("desk", 2), ("chair", 3)];

/// A step of the saga, in the order the orchestrator runs them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Step {
    /// Charge the customer (compensation: refund).
    Payment,
    /// Reserve the items (compensation: restock).
    Inventory,
    /// Book the shipment (compensation: cancel it).
    Shipping,
}

impl Step {
    /// Every step, in saga order.
    pub const ALL: [Step; 3] = [Step::Payment, Step::Inventory, Step::Shipping];

    /// Its name, as scripts see it.
    pub fn name(self) -> &'static str {
        match self {
            Step::Payment => "payment",
            Step::Inventory => "inventory",
            Step::Shipping => "shipping",
        }
    }
    /// The step called `name`.
    pub fn parse(name: &str) -> Option<Step> {
        Step::ALL.into_iter().find(|s| s.name() == name)
    }
    /// The service that carries it out.
    pub fn service(self) -> NodeId {
        match self {
            Step::Payment => PAYMENT,
            Step::Inventory => INVENTORY,
            Step::Shipping => SHIPPING,
        }
    }
    /// The step service `n` carries out.
    pub fn of_service(n: NodeId) -> Option<Step> {
        Step::ALL.into_iter().find(|s| s.service() == n)
    }
    /// What doing it is called: `charge`, `reserve`, `book`.
    pub fn verb(self) -> &'static str {
        match self {
            Step::Payment => "charge",
            Step::Inventory => "reserve",
            Step::Shipping => "book",
        }
    }
    /// What undoing it is called: `refund`, `restock`, `cancel`.
    pub fn undo(self) -> &'static str {
        match self {
            Step::Payment => "refund",
            Step::Inventory => "restock",
            Step::Shipping => "cancel",
        }
    }
    /// The step after it, if any.
    pub fn next(self) -> Option<Step> {
        match self {
            Step::Payment => Some(Step::Inventory),
            Step::Inventory => Some(Step::Shipping),
            Step::Shipping => None,
        }
    }
    fn code(self) -> u8 {
        match self {
            Step::Payment => 0,
            Step::Inventory => 1,
            Step::Shipping => 2,
        }
    }
}

impl fmt::Display for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl Canon for Step {
    fn canon(&self, h: &mut Fnv64) {
        h.u8(self.code());
    }
}

/// An order of the store's workload.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Order {
    /// Its number, from 1: `o3`.
    pub id: u32,
    /// The customer, 1..=3.
    pub customer: usize,
    /// The item, an index into [`ITEMS`].
    pub item: usize,
    /// How many.
    pub quantity: u32,
    /// What it costs.
    pub price: i64,
    /// Shipped to an address no courier serves: the shipping service refuses it.
    pub remote: bool,
}

impl Order {
    /// `o2: c2 buys 1 lamp for 30`.
    pub fn describe(&self) -> String {
        format!(
            "o{}: c{} buys {} {} for {}{}",
            self.id,
            self.customer,
            self.quantity,
            ITEMS[self.item].0,
            self.price,
            if self.remote {
                ", to a remote address"
            } else {
                ""
            }
        )
    }
}

/// How a call came back, as the orchestrator sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// The service did it.
    Ok,
    /// The service refused (declined card, out of stock, no courier).
    Failed,
    /// No answer in time: the service may or may not have done it.
    Timeout,
}

impl Outcome {
    /// Its name, as scripts see it.
    pub fn name(self) -> &'static str {
        match self {
            Outcome::Ok => "ok",
            Outcome::Failed => "failed",
            Outcome::Timeout => "timeout",
        }
    }
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl Canon for Outcome {
    fn canon(&self, h: &mut Fnv64) {
        h.u8(match self {
            Outcome::Ok => 0,
            Outcome::Failed => 1,
            Outcome::Timeout => 2,
        });
    }
}

/// How a saga ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum End {
    /// Every step done.
    Completed,
    /// Every registered compensation run.
    Compensated,
}

/// A record of the orchestrator's saga log (durable; written before the next message leaves).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Record {
    /// The saga of an order began.
    Begin(u32),
    /// The step's compensation is registered: if the saga is compensated, it must be undone.
    Register(u32, Step),
    /// The step is done (its service said so).
    Done(u32, Step),
    /// The saga is being compensated.
    Compensating(u32),
    /// The step's compensation is done (its service said so, or the orchestrator gave up).
    Undone(u32, Step),
    /// The saga ended.
    End(u32, End),
}

impl Record {
    /// The order it is about.
    pub fn order(&self) -> u32 {
        match *self {
            Record::Begin(o)
            | Record::Register(o, _)
            | Record::Done(o, _)
            | Record::Compensating(o)
            | Record::Undone(o, _)
            | Record::End(o, _) => o,
        }
    }
    /// Its kind, as scripts see it.
    pub fn kind(&self) -> &'static str {
        match self {
            Record::Begin(_) => "begin",
            Record::Register(..) => "register",
            Record::Done(..) => "done",
            Record::Compensating(_) => "compensating",
            Record::Undone(..) => "undone",
            Record::End(_, End::Completed) => "completed",
            Record::End(_, End::Compensated) => "compensated",
        }
    }
    /// Its step, if it has one.
    pub fn step(&self) -> Option<Step> {
        match *self {
            Record::Register(_, s) | Record::Done(_, s) | Record::Undone(_, s) => Some(s),
            _ => None,
        }
    }
}

impl fmt::Display for Record {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.step() {
            Some(s) => write!(f, "{} o{} {s}", self.kind(), self.order()),
            None => write!(f, "{} o{}", self.kind(), self.order()),
        }
    }
}

/// Whether the request is a step or its compensation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// The step itself.
    Call,
    /// Its compensation.
    Compensate,
}

impl Kind {
    /// Its name, as scripts see it.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Call => "call",
            Kind::Compensate => "compensate",
        }
    }
}

/// An idempotency key: the service applies a request whose key it has seen only once, and
/// answers a repeat with the answer it gave. `None`: every copy is applied.
pub type Key = Option<String>;

fn key_text(key: &Key) -> &str {
    key.as_deref().unwrap_or("-")
}

fn canon_key(key: &Key, h: &mut Fnv64) {
    match key {
        None => h.u8(0),
        Some(k) => {
            h.u8(1);
            h.str(k);
        }
    }
}

/// Messages.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Msg {
    /// Orchestrator → service: do the step for this order.
    Call {
        /// The order.
        order: Order,
        /// The step.
        step: Step,
        /// Its idempotency key.
        key: Key,
    },
    /// Service → orchestrator: done (`ok`) or refused.
    Reply {
        /// The order.
        order: u32,
        /// The step.
        step: Step,
        /// Done, or refused.
        ok: bool,
    },
    /// Orchestrator → service: undo the step for this order.
    Compensate {
        /// The order.
        order: Order,
        /// The step.
        step: Step,
        /// Its idempotency key.
        key: Key,
    },
    /// Service → orchestrator: the step is undone (or was never done and never will be).
    Undone {
        /// The order.
        order: u32,
        /// The step.
        step: Step,
    },
}

impl fmt::Display for Msg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Msg::Call { order, step, key } => {
                write!(f, "Call{{o{},{},{}}}", order.id, step.verb(), key_text(key))
            }
            Msg::Reply { order, step, ok } => write!(
                f,
                "Reply{{o{order},{},{}}}",
                step.verb(),
                if *ok { "ok" } else { "refused" }
            ),
            Msg::Compensate { order, step, key } => {
                write!(
                    f,
                    "Compensate{{o{},{},{}}}",
                    order.id,
                    step.undo(),
                    key_text(key)
                )
            }
            Msg::Undone { order, step } => write!(f, "Undone{{o{order},{}}}", step.undo()),
        }
    }
}

impl Canon for Order {
    fn canon(&self, h: &mut Fnv64) {
        h.u32(self.id);
        h.u64(self.customer as u64);
        h.u64(self.item as u64);
        h.u32(self.quantity);
        h.u64(self.price as u64);
        h.u8(u8::from(self.remote));
    }
}

impl Canon for Msg {
    fn canon(&self, h: &mut Fnv64) {
        match self {
            Msg::Call { order, step, key } => {
                h.u8(0);
                order.canon(h);
                step.canon(h);
                canon_key(key, h);
            }
            Msg::Reply { order, step, ok } => {
                h.u8(1);
                h.u32(*order);
                step.canon(h);
                h.u8(u8::from(*ok));
            }
            Msg::Compensate { order, step, key } => {
                h.u8(2);
                order.canon(h);
                step.canon(h);
                canon_key(key, h);
            }
            Msg::Undone { order, step } => {
                h.u8(3);
                h.u32(*order);
                step.canon(h);
            }
        }
    }
}

/// Timers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Timer {
    /// Orchestrator: start the next order of the workload.
    NextOrder,
    /// Orchestrator: the call of attempt `.2` of `.1` for order `.0` is late.
    CallTimeout(u32, Step, u32),
    /// Orchestrator: the compensation of attempt `.2` of `.1` for order `.0` is late.
    CompensationTimeout(u32, Step, u32),
    /// Shipping: the courier for order `.0` is booked; answer.
    Booked(u32),
}

impl fmt::Display for Timer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Timer::NextOrder => f.write_str("next order"),
            Timer::CallTimeout(o, s, a) => write!(f, "call timeout o{o} {s} #{a}"),
            Timer::CompensationTimeout(o, s, a) => {
                write!(f, "compensation timeout o{o} {} #{a}", s.undo())
            }
            Timer::Booked(o) => write!(f, "booked o{o}"),
        }
    }
}

impl Canon for Timer {
    fn canon(&self, h: &mut Fnv64) {
        match self {
            Timer::NextOrder => h.u8(0),
            Timer::CallTimeout(o, s, a) => {
                h.u8(1);
                h.u32(*o);
                s.canon(h);
                h.u32(*a);
            }
            Timer::CompensationTimeout(o, s, a) => {
                h.u8(2);
                h.u32(*o);
                s.canon(h);
                h.u32(*a);
            }
            Timer::Booked(o) => {
                h.u8(3);
                h.u32(*o);
            }
        }
    }
}

/// Notes: what each node did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Note {
    /// Orchestrator: the saga of an order began.
    Begin(u32),
    /// Orchestrator: a call came back (or did not, in time).
    Outcome(u32, Step, Outcome),
    /// Orchestrator: a step's compensation is registered in the saga log.
    Registered(u32, Step),
    /// Orchestrator: the saga is compensated, these steps in this order.
    Compensating(u32, Vec<Step>),
    /// Orchestrator: it stops retrying a compensation.
    GaveUp(u32, Step),
    /// Orchestrator: the saga ended.
    Ended(u32, End),
    /// Orchestrator, restarted: the sagas it resumes from its log.
    Resumed(Vec<u32>),
    /// Service: the step took effect.
    Applied(u32, Step),
    /// Service: the step was refused.
    Refused(u32, Step),
    /// Service: the compensation took effect.
    Compensated(u32, Step),
    /// Service: a compensation for a step it never did; it will refuse the step from now on.
    Tombstone(u32, Step),
    /// Service: a request whose key it has seen, answered as before.
    Repeat(u32, Step, String),
}

fn steps_text(steps: &[Step]) -> String {
    let names: Vec<&str> = steps.iter().map(|s| s.undo()).collect();
    if names.is_empty() {
        "nothing".to_string()
    } else {
        names.join(", ")
    }
}

impl fmt::Display for Note {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Note::Begin(o) => write!(f, "begin o{o}"),
            Note::Outcome(o, s, out) => write!(f, "o{o} {s}: {out}"),
            Note::Registered(o, s) => write!(f, "register o{o} {}", s.undo()),
            Note::Compensating(o, steps) => {
                write!(f, "compensate o{o}: {}", steps_text(steps))
            }
            Note::GaveUp(o, s) => write!(f, "give up o{o} {}", s.undo()),
            Note::Ended(o, End::Completed) => write!(f, "o{o} completed"),
            Note::Ended(o, End::Compensated) => write!(f, "o{o} compensated"),
            Note::Resumed(orders) => {
                let names: Vec<String> = orders.iter().map(|o| format!("o{o}")).collect();
                write!(f, "resume [{}]", names.join(", "))
            }
            Note::Applied(o, s) => write!(f, "{} o{o}", s.verb()),
            Note::Refused(o, s) => write!(f, "refuse {} o{o}", s.verb()),
            Note::Compensated(o, s) => write!(f, "{} o{o}", s.undo()),
            Note::Tombstone(o, s) => write!(f, "{} o{o}: nothing to undo, tombstone", s.undo()),
            Note::Repeat(o, s, k) => write!(f, "repeat o{o} {s} key {k}"),
        }
    }
}

impl Canon for Note {
    fn canon(&self, h: &mut Fnv64) {
        h.str(&self.to_string());
    }
}

/// What a service holds on its disk: its resource, what each order did to it, and the keys it
/// has answered.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Ledger {
    /// Payment: each customer's balance (c1 first); the shop's takings are `takings`.
    pub balances: Vec<i64>,
    /// Payment: the shop's takings.
    pub takings: i64,
    /// Inventory: units available per item (not reserved by any order).
    pub available: Vec<u32>,
    /// Inventory: units reserved per order (PENDING while its saga runs), with the item.
    pub reserved: BTreeMap<u32, (usize, u32)>,
    /// Shipping: booked shipments per order.
    pub shipments: BTreeMap<u32, u32>,
    /// How many times the step took effect, per order.
    pub applied: BTreeMap<u32, u32>,
    /// How many times its compensation took effect, per order.
    pub undone: BTreeMap<u32, u32>,
    /// Orders compensated before the step was ever done: a late call for one is refused.
    pub tombstones: BTreeSet<u32>,
    /// Every key answered, with the answer.
    pub seen: BTreeMap<String, Msg>,
}

impl Ledger {
    /// The step's net effect for an order: applications minus compensations.
    pub fn net(&self, order: u32) -> i64 {
        i64::from(self.applied.get(&order).copied().unwrap_or(0))
            - i64::from(self.undone.get(&order).copied().unwrap_or(0))
    }
}

/// The orchestrator's memory of a saga.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Saga {
    /// The order.
    pub order: Order,
    /// Where it is.
    pub phase: Phase,
    /// The attempt of the current call or compensation, from 1.
    pub attempt: u32,
}

/// Where a saga is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Phase {
    /// Waiting for the answer to a step's call.
    Calling(Step),
    /// Running compensations: `plan[next]` is the one waiting for its answer.
    Compensating {
        /// The compensations, in the order they run.
        plan: Vec<Step>,
        /// The one in progress.
        next: usize,
    },
    /// Ended.
    Ended(End),
}

/// The orchestrator's state.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Orchestrator {
    /// Its saga log (what is on its disk).
    pub log: Vec<Record>,
    /// The sagas this run of it knows.
    pub sagas: BTreeMap<u32, Saga>,
    /// Orders of the workload begun (the next to begin is this index).
    pub begun: usize,
}

/// A service's state: its ledger (durable) and, for shipping, the bookings in progress.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Service {
    /// Which step it carries out.
    pub step: Step,
    /// Its disk.
    pub ledger: Ledger,
    /// Shipping: answers to send once the courier is booked.
    pub booking: Vec<(u32, Msg)>,
}

/// A node's state.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum State {
    /// n0.
    Orchestrator(Orchestrator),
    /// n1..n3.
    Service(Service),
}

/// A node's disk.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Durable {
    /// The saga log.
    Log(Vec<Record>),
    /// A service's ledger.
    Ledger(Ledger),
}
