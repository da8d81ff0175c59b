//! Dual write against the transactional outbox (chapter 5).
//!
//! Lesson: a service that must both change its database and tell other services about it has
//! two writes to two systems, and no transaction spans them. An order service (n0) commits each
//! order to its own database; a message broker (n1) carries an `OrderPlaced(oK)` event to the
//! shipping service (n2), which creates one shipment per order in its own database. A client
//! (n3) places orders o1, o2, … for customers c1..c3. Every committed order must give exactly
//! one shipment, and no shipment may exist for an order that was never committed.
//!
//! - `write` ([`OPTIONS`]): **dual write** commits the order, answers the client, does some
//!   local work ([`WORK_TICKS`]) and then publishes the event, resending it until the broker
//!   acknowledges. The event exists only in the service's memory until the broker has it: a
//!   crash in that window **loses** it, and nothing will ever ship the order. **Publish first**
//!   turns the two writes around: a crash after the publish and before the commit leaves an
//!   event, and a shipment, for an order that does not exist (a **phantom**). The
//!   **transactional outbox** (Richardson, *Microservices Patterns*, 2018, ch. 3, "Transactional
//!   outbox") writes the event as a row of an `outbox` table in the same local transaction as
//!   the order, so both exist or neither does. A **relay** reads the unsent rows, publishes each
//!   to the broker and marks it sent once the broker acknowledges. This relay polls the table
//!   ([`POLL_TICKS`]); change data capture would tail the database's log instead (Kleppmann,
//!   *Designing Data-Intensive Applications*, 2017, ch. 11, "Change Data Capture"), with the
//!   same guarantee. A crash after the publish and before the mark republishes the row: the
//!   outbox gives **at-least-once** delivery, never exactly-once. Publishing one row at a time
//!   in commit order also keeps the events in order, which a dual write's independent resends
//!   of concurrent orders do not.
//! - The broker keeps its queue durably and delivers the oldest unacknowledged message to the
//!   consumer, again after [`REDELIVER_TICKS`] without an acknowledgement: at-least-once again.
//!   Delivering one message at a time keeps the consumer's order the queue's order.
//! - `consumer`: a **naive** consumer applies every delivery, so a republished or redelivered
//!   event ships an order twice. An **idempotent** consumer records the event's id in the same
//!   local transaction as the shipment and skips an id it has recorded: duplicates reach it and
//!   change nothing. Its key must be the event's own id: a key that repeats across events (the
//!   customer) skips real events, and a key that changes when the event is republished (the
//!   broker's offset) lets duplicates through.
//! - `ack`: acknowledging **after processing** keeps the message at the broker until the
//!   shipment is committed; acknowledging **before** lets a crash of the consumer in between
//!   lose it.
//!
//! The relay's and the consumer's decisions are behind [`rules::OutboxHooks`], with the
//! reference and known-wrong variants there. The properties ([`properties`]):
//! `no-lost-events` (no committed order is left with no shipment and no record anywhere — an
//! outbox row, the broker's queue, a node's memory, the wire — that will ever produce one, and at
//! the end every committed order is shipped), `no-duplicate-effects` (no order shipped twice),
//! `no-phantom-events` (no shipment for an order that is not committed and never will be) and
//! `in-order-per-customer` (each customer's orders ship in the order they were committed: the
//! customer is the aggregate whose events must stay in order).

pub mod challenge;
pub mod properties;
pub mod rules;
pub mod scenarios;
pub mod view;

use std::fmt;
use std::rc::Rc;

use crate::hash::{Canon, Fnv64};
use crate::sim::protocol::{
    Ctx, MessageKind, NoRequest, NodeId, NodeView, Protocol, ProtocolOption,
};
use crate::sim::world::WorldRef;

pub use properties::{audit, properties, Audit};
pub use rules::{ConsumerStep, Mode, OutboxHooks, OutboxVariant, RelayStep};
pub use scenarios::{dual_write, relay};

/// The order service, with its database and the relay.
pub const SERVICE: NodeId = 0;
/// The message broker.
pub const BROKER: NodeId = 1;
/// The shipping service: the consumer, with its database.
pub const SHIPPING: NodeId = 2;
/// The client that places orders.
pub const CLIENT: NodeId = 3;
/// Nodes in every scenario.
pub const NODES: u16 = 4;

/// Orders the client places in a run.
pub const ORDERS: u32 = 20;
/// Customers the orders are for: c1..c3.
pub const CUSTOMERS: u32 = 3;
/// The client's pause between orders, ticks (uniform in the range).
pub const THINK_TICKS: (u64, u64) = (10, 20);
/// The client gives an order up after this many ticks without an answer (it does not retry).
pub const ORDER_TIMEOUT_TICKS: u64 = 120;
/// Local work between a dual write's two writes, ticks (uniform in the range): the window a
/// crash must hit to lose (or invent) an event.
pub const WORK_TICKS: (u64, u64) = (30, 40);
/// The relay reads the outbox this often while it has unsent rows.
pub const POLL_TICKS: u64 = 15;
/// A publish the broker has not acknowledged after this many ticks is sent again.
pub const PUBLISH_TIMEOUT_TICKS: u64 = 80;
/// The broker delivers its oldest unacknowledged message again after this many ticks.
pub const REDELIVER_TICKS: u64 = 100;
/// How long the consumer takes to process one delivery, ticks (uniform in the range).
pub const PROCESS_TICKS: (u64, u64) = (8, 14);
/// When one answer of the consumer's handler holds several local transactions, each after the
/// first commits this many ticks after the one before it (uniform in the range): a crash in
/// between leaves the earlier ones committed and the later ones never run.
pub const COMMIT_GAP_TICKS: (u64, u64) = (2, 6);

/// The write option: which of the three ways the service records an order and its event.
const fn write(default: usize) -> ProtocolOption {
    ProtocolOption {
        name: "write",
        label: "Write",
        choices: &["dual-write", "publish-first", "outbox"],
        default,
        help: "dual-write: commit the order, then publish the event; publish-first: publish, \
               then commit; outbox: commit the order and an outbox row in one transaction, and \
               a relay publishes the row",
    }
}

/// The consumer option.
const fn consumer(default: usize) -> ProtocolOption {
    ProtocolOption {
        name: "consumer",
        label: "Consumer",
        choices: &["naive", "idempotent"],
        default,
        help: "naive: ship every delivery; idempotent: record each event id with its shipment \
               in one transaction and skip an id already recorded",
    }
}

const ACK: ProtocolOption = ProtocolOption {
    name: "ack",
    label: "Consumer ack",
    choices: &["after-processing", "before-processing"],
    default: 0,
    help: "after-processing: acknowledge a delivery once its shipment is committed; \
           before-processing: acknowledge on receipt, then process",
};

/// The options of `outbox-dual-write`: dual write, an idempotent consumer.
pub const DUAL_OPTIONS: &[ProtocolOption] = &[write(0), consumer(1), ACK];
/// The options of `outbox-relay`: the outbox, a naive consumer.
pub const OPTIONS: &[ProtocolOption] = &[write(2), consumer(0), ACK];

/// The system's configuration: its options, and the relay's and consumer's rules.
#[derive(Clone)]
pub struct Outbox {
    /// Its live options ([`OPTIONS`] or [`DUAL_OPTIONS`]).
    pub options: &'static [ProtocolOption],
    /// The relay's and the consumer's decisions.
    pub hooks: Rc<dyn OutboxHooks>,
    /// Customers the client's orders are for, c1..c`customers` ([`CUSTOMERS`] but in a
    /// challenge run about one customer's events).
    pub customers: u32,
    /// The gap between two local transactions of one answer of the consumer, ticks
    /// ([`COMMIT_GAP_TICKS`] but in a challenge run with a slow shipping database).
    pub commit_gap: (u64, u64),
}

impl fmt::Debug for Outbox {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Outbox")
            .field("hooks", &self.hooks.name())
            .finish()
    }
}

/// The event an order produces, `OrderPlaced(oK)`; its id is the order's.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Event {
    /// The order, e.g. 5 for `o5`.
    pub order: u32,
    /// Its customer, e.g. 2 for `c2`.
    pub customer: u32,
}

impl fmt::Display for Event {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "OrderPlaced(o{})", self.order)
    }
}

impl Canon for Event {
    fn canon(&self, h: &mut Fnv64) {
        h.u32(self.order);
        h.u32(self.customer);
    }
}

/// A row of the order service's `outbox` table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OutboxRow {
    /// The event.
    pub event: Event,
    /// The relay has marked it sent.
    pub sent: bool,
}

/// The order service's database: orders, and the outbox table.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct OrderDb {
    /// Committed orders, in commit order.
    pub orders: Vec<Event>,
    /// The outbox, in commit order (empty unless `write` is `outbox`).
    pub outbox: Vec<OutboxRow>,
}

impl OrderDb {
    /// Whether order `order` is committed.
    pub fn has(&self, order: u32) -> bool {
        self.orders.iter().any(|o| o.order == order)
    }
}

/// A message in the broker's queue.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Stored {
    /// Its position in the queue, `#0`, `#1`, …: a republished event gets a new one.
    pub offset: u64,
    /// The event.
    pub event: Event,
    /// The consumer has acknowledged it.
    pub acked: bool,
}

/// A delivery to the consumer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Delivery {
    /// The message's offset in the broker's queue.
    pub offset: u64,
    /// The event.
    pub event: Event,
}

/// The key an idempotent consumer records to recognise a repeat.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Key {
    /// The event's id (its order): `o5`.
    Event(u32),
    /// The event's customer: `c2`.
    Customer(u32),
    /// The broker's offset: `#7`.
    Offset(u64),
    /// A key the learner's script chose, as it wrote it.
    Text(String),
}

impl fmt::Display for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Key::Event(o) => write!(f, "o{o}"),
            Key::Customer(c) => write!(f, "c{c}"),
            Key::Offset(k) => write!(f, "#{k}"),
            Key::Text(t) => f.write_str(t),
        }
    }
}

/// A shipment row of the shipping service: the downstream effect of one delivery.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shipment {
    /// The order shipped.
    pub order: u32,
    /// Its customer.
    pub customer: u32,
    /// The broker offset of the delivery that created it.
    pub offset: u64,
}

/// The shipping service's database.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ShippingDb {
    /// Shipments, in the order they were created.
    pub shipments: Vec<Shipment>,
    /// The keys an idempotent consumer recorded, in the order recorded.
    pub processed: Vec<Key>,
}

/// Messages.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Msg {
    /// Client → service: place this order.
    PlaceOrder {
        /// The order and its customer.
        order: Event,
    },
    /// Service → client: the order is committed.
    Accepted {
        /// The order.
        order: u32,
    },
    /// Service (or relay) → broker: add this event to the queue.
    Publish {
        /// The event.
        event: Event,
    },
    /// Broker → service: the event is in the queue.
    PublishAck {
        /// The event's order.
        order: u32,
    },
    /// Broker → consumer: a message of the queue.
    Deliver {
        /// What is delivered.
        delivery: Delivery,
    },
    /// Consumer → broker: done with the message at `offset`.
    Ack {
        /// Its offset.
        offset: u64,
    },
}

impl fmt::Display for Msg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Msg::PlaceOrder { order } => {
                write!(f, "PlaceOrder{{o{},c{}}}", order.order, order.customer)
            }
            Msg::Accepted { order } => write!(f, "Accepted{{o{order}}}"),
            Msg::Publish { event } => write!(f, "Publish{{{event}}}"),
            Msg::PublishAck { order } => write!(f, "PublishAck{{o{order}}}"),
            Msg::Deliver { delivery } => {
                write!(
                    f,
                    "Deliver{{#{},o{}}}",
                    delivery.offset, delivery.event.order
                )
            }
            Msg::Ack { offset } => write!(f, "Ack{{#{offset}}}"),
        }
    }
}

impl Canon for Msg {
    fn canon(&self, h: &mut Fnv64) {
        match self {
            Msg::PlaceOrder { order } => {
                h.u8(0);
                order.canon(h);
            }
            Msg::Accepted { order } => {
                h.u8(1);
                h.u32(*order);
            }
            Msg::Publish { event } => {
                h.u8(2);
                event.canon(h);
            }
            Msg::PublishAck { order } => {
                h.u8(3);
                h.u32(*order);
            }
            Msg::Deliver { delivery } => {
                h.u8(4);
                h.u64(delivery.offset);
                delivery.event.canon(h);
            }
            Msg::Ack { offset } => {
                h.u8(5);
                h.u64(*offset);
            }
        }
    }
}

/// Timers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Timer {
    /// Service, dual write: the local work after committing `o` is done; publish.
    Work(u32),
    /// Service, publish first: the local transaction of `o` is done; commit.
    Commit(u32),
    /// Service: resend the publish of `o` if the broker has not acknowledged it.
    Resend(u32),
    /// Relay: read the outbox.
    Poll,
    /// Broker: deliver the oldest unacknowledged message again.
    Redeliver,
    /// Consumer: the delivery at the head of its inbox is processed.
    Process,
    /// Consumer: the next local transaction of the handler answer numbered so commits.
    Txn(u64),
    /// Client: place the next order.
    Think,
    /// Client: give the current order up.
    Timeout,
}

impl fmt::Display for Timer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Timer::Work(o) => write!(f, "work o{o}"),
            Timer::Commit(o) => write!(f, "commit o{o}"),
            Timer::Resend(o) => write!(f, "resend o{o}"),
            Timer::Poll => f.write_str("poll"),
            Timer::Redeliver => f.write_str("redeliver"),
            Timer::Process => f.write_str("process"),
            Timer::Txn(k) => write!(f, "transaction {k}"),
            Timer::Think => f.write_str("think"),
            Timer::Timeout => f.write_str("timeout"),
        }
    }
}

impl Canon for Timer {
    fn canon(&self, h: &mut Fnv64) {
        match self {
            Timer::Work(o) => {
                h.u8(0);
                h.u32(*o);
            }
            Timer::Commit(o) => {
                h.u8(1);
                h.u32(*o);
            }
            Timer::Resend(o) => {
                h.u8(2);
                h.u32(*o);
            }
            Timer::Poll => h.u8(3),
            Timer::Redeliver => h.u8(4),
            Timer::Process => h.u8(5),
            Timer::Think => h.u8(6),
            Timer::Timeout => h.u8(7),
            Timer::Txn(k) => {
                h.u8(8);
                h.u64(*k);
            }
        }
    }
}

/// Notes: what each node did, and what the observer saw the client do.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Note {
    /// The client placed an order.
    Placed {
        /// The order and its customer.
        order: Event,
    },
    /// The client was told its order is committed.
    Accepted {
        /// The order.
        order: u32,
    },
    /// The client gave an order up.
    GaveUp {
        /// The order.
        order: u32,
    },
    /// The service committed an order (with its outbox row, if `with_outbox`).
    Committed {
        /// The order.
        order: u32,
        /// The outbox row was written in the same transaction.
        with_outbox: bool,
    },
    /// The broker added an event to its queue.
    Queued {
        /// The event's order.
        order: u32,
        /// Its offset.
        offset: u64,
    },
    /// The relay marked an outbox row sent.
    Marked {
        /// The row's order.
        order: u32,
    },
    /// The consumer shipped an order.
    Shipped {
        /// The order.
        order: u32,
        /// The delivery's offset.
        offset: u64,
    },
    /// The consumer recorded a key with no shipment, in a transaction of its own.
    Recorded {
        /// The delivery's order.
        order: u32,
        /// The key.
        key: Key,
    },
    /// The consumer processed a delivery and shipped nothing.
    Skipped {
        /// The order.
        order: u32,
        /// The delivery's offset.
        offset: u64,
    },
}

impl fmt::Display for Note {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Note::Placed { order } => write!(f, "places o{} for c{}", order.order, order.customer),
            Note::Accepted { order } => write!(f, "o{order} accepted"),
            Note::GaveUp { order } => write!(f, "gives o{order} up"),
            Note::Committed {
                order,
                with_outbox: true,
            } => write!(f, "commits o{order} and its outbox row"),
            Note::Committed { order, .. } => write!(f, "commits o{order}"),
            Note::Queued { order, offset } => write!(f, "queues o{order} at #{offset}"),
            Note::Marked { order } => write!(f, "marks o{order} sent"),
            Note::Shipped { order, offset } => write!(f, "ships o{order} (#{offset})"),
            Note::Recorded { order, key } => {
                write!(f, "records key {key} for o{order}, no shipment")
            }
            Note::Skipped { order, offset } => write!(f, "skips #{offset} (o{order})"),
        }
    }
}

impl Canon for Note {
    fn canon(&self, h: &mut Fnv64) {
        match self {
            Note::Placed { order } => {
                h.u8(0);
                order.canon(h);
            }
            Note::Accepted { order } => {
                h.u8(1);
                h.u32(*order);
            }
            Note::GaveUp { order } => {
                h.u8(2);
                h.u32(*order);
            }
            Note::Committed { order, with_outbox } => {
                h.u8(3);
                h.u32(*order);
                with_outbox.canon(h);
            }
            Note::Queued { order, offset } => {
                h.u8(4);
                h.u32(*order);
                h.u64(*offset);
            }
            Note::Marked { order } => {
                h.u8(5);
                h.u32(*order);
            }
            Note::Shipped { order, offset } => {
                h.u8(6);
                h.u32(*order);
                h.u64(*offset);
            }
            Note::Skipped { order, offset } => {
                h.u8(7);
                h.u32(*order);
                h.u64(*offset);
            }
            Note::Recorded { order, key } => {
                h.u8(8);
                h.u32(*order);
                h.str(&key.to_string());
            }
        }
    }
}

/// Where an order the service holds only in memory stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stage {
    /// Dual write: committed; the local work before the publish runs.
    Working,
    /// Published (sent at this local time), not acknowledged yet.
    Publishing {
        /// The service's clock at the last send.
        sent_at: u64,
    },
    /// Publish first: acknowledged by the broker; the local transaction runs.
    Committing,
}

/// An order between a dual write's two writes, in the service's memory only.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Pending {
    /// The order and its event.
    pub event: Event,
    /// Who placed it.
    pub client: NodeId,
    /// How far it is.
    pub stage: Stage,
}

/// The order service's state (n0).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServiceState {
    /// Its database (what it last persisted).
    pub db: OrderDb,
    /// Dual write: committed orders whose event the broker has not acknowledged.
    pub after_commit: Vec<Pending>,
    /// Publish first: orders published and not committed yet.
    pub before_commit: Vec<Pending>,
    /// Relay: outbox rows published and not acknowledged, with the local time of the send.
    pub in_flight: Vec<(u32, u64)>,
    /// Relay: the poll timer is armed.
    pub polling: bool,
}

/// The broker's state (n1).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BrokerState {
    /// Its queue (what it last persisted).
    pub queue: Vec<Stored>,
    /// The offset delivered and awaiting the consumer's acknowledgement.
    pub delivering: Option<u64>,
}

impl BrokerState {
    /// The oldest message the consumer has not acknowledged.
    pub fn head(&self) -> Option<&Stored> {
        self.queue.iter().find(|s| !s.acked)
    }
}

/// The rest of one answer of the consumer's handler, from its second (or later) local
/// transaction on, waiting for that transaction to commit. In memory only: a crash loses it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Deferred {
    /// Its number, the key of its [`Timer::Txn`].
    pub seq: u64,
    /// The delivery the answer is about.
    pub delivery: Delivery,
    /// The steps still to run, a transaction first.
    pub steps: Vec<ConsumerStep>,
}

/// The shipping service's state (n2).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ShippingState {
    /// Its database (what it last persisted).
    pub db: ShippingDb,
    /// Deliveries taken for processing, the head first.
    pub inbox: Vec<Delivery>,
    /// Answers whose later transactions are still to commit, oldest first.
    pub deferred: Vec<Deferred>,
    /// The number of the next [`Deferred`].
    pub next_seq: u64,
}

/// The client's state (n3).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClientState {
    /// Orders placed so far.
    pub placed: u32,
    /// The order awaiting an answer.
    pub current: Option<u32>,
    /// Orders accepted.
    pub accepted: u32,
    /// Orders given up.
    pub gave_up: u32,
}

/// A node's state.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum State {
    /// n0.
    Service(ServiceState),
    /// n1.
    Broker(BrokerState),
    /// n2.
    Shipping(ShippingState),
    /// n3.
    Client(ClientState),
}

/// What survives a crash.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Durable {
    /// The order service's database.
    Service(OrderDb),
    /// The broker's queue.
    Broker(Vec<Stored>),
    /// The shipping service's database.
    Shipping(ShippingDb),
    /// The client's count of orders placed (so that a restarted client never reuses an id).
    Client(u32),
}

type Cx<'a> = Ctx<'a, Outbox>;

impl Outbox {
    /// Whether the protocol declares the live option `name` (a challenge's runs declare none:
    /// the outbox, and the learner's consumer).
    fn declares(&self, name: &str) -> bool {
        self.options.iter().any(|o| o.name == name)
    }

    /// The consumer's mode, from the live options ([`Mode::SAFE`] without them).
    fn mode(&self, ctx: &Cx<'_>) -> Mode {
        if !self.declares("consumer") {
            return Mode::SAFE;
        }
        Mode {
            idempotent: ctx.option("consumer") == "idempotent",
            ack_before_processing: ctx.option("ack") == "before-processing",
        }
    }

    /// The write option's choice (`outbox` without it).
    fn write_choice(&self, ctx: &Cx<'_>) -> &'static str {
        if self.declares("write") {
            ctx.option("write")
        } else {
            "outbox"
        }
    }

    fn publish(event: Event, ctx: &mut Cx<'_>) {
        ctx.send(BROKER, Msg::Publish { event });
    }

    // -----------------------------------------------------------------------------------
    // The order service and its relay (n0).

    fn place_order(&self, s: &mut ServiceState, client: NodeId, event: Event, ctx: &mut Cx<'_>) {
        if s.db.has(event.order) {
            // A copy of a request already committed: the order id makes placing idempotent.
            ctx.send(client, Msg::Accepted { order: event.order });
            return;
        }
        let order = event.order;
        if s.after_commit
            .iter()
            .chain(&s.before_commit)
            .any(|p| p.event.order == order)
        {
            return;
        }
        match self.write_choice(ctx) {
            "dual-write" => {
                s.db.orders.push(event);
                ctx.persist(Durable::Service(s.db.clone()));
                ctx.note(Note::Committed {
                    order,
                    with_outbox: false,
                });
                ctx.send(client, Msg::Accepted { order });
                s.after_commit.push(Pending {
                    event,
                    client,
                    stage: Stage::Working,
                });
                let work = ctx.random_range(WORK_TICKS.0, WORK_TICKS.1);
                ctx.set_timer(Timer::Work(order), work);
            }
            "publish-first" => {
                Self::publish(event, ctx);
                s.before_commit.push(Pending {
                    event,
                    client,
                    stage: Stage::Publishing { sent_at: ctx.now() },
                });
                ctx.set_timer(Timer::Resend(order), PUBLISH_TIMEOUT_TICKS);
            }
            _ => {
                s.db.orders.push(event);
                s.db.outbox.push(OutboxRow { event, sent: false });
                ctx.persist(Durable::Service(s.db.clone()));
                ctx.note(Note::Committed {
                    order,
                    with_outbox: true,
                });
                ctx.send(client, Msg::Accepted { order });
                Self::arm_poll(s, ctx);
            }
        }
    }

    fn publish_acked(&self, s: &mut ServiceState, order: u32, ctx: &mut Cx<'_>) {
        if let Some(i) = s
            .after_commit
            .iter()
            .position(|p| p.event.order == order && matches!(p.stage, Stage::Publishing { .. }))
        {
            s.after_commit.remove(i);
            ctx.cancel_timer(Timer::Resend(order));
        }
        if let Some(p) = s
            .before_commit
            .iter_mut()
            .find(|p| p.event.order == order && matches!(p.stage, Stage::Publishing { .. }))
        {
            p.stage = Stage::Committing;
            ctx.cancel_timer(Timer::Resend(order));
            let work = ctx.random_range(WORK_TICKS.0, WORK_TICKS.1);
            ctx.set_timer(Timer::Commit(order), work);
        }
        // The publish is acknowledged, whether or not its row is still unsent.
        s.in_flight.retain(|(o, _)| *o != order);
        if s.db
            .outbox
            .iter()
            .any(|r| r.event.order == order && !r.sent)
        {
            let steps = self.hooks.relay_acked(&s.db.outbox, order);
            Self::relay_steps(s, steps, ctx);
        }
    }

    fn service_timer(&self, s: &mut ServiceState, timer: Timer, ctx: &mut Cx<'_>) {
        match timer {
            Timer::Work(order) => {
                if let Some(p) = s.after_commit.iter_mut().find(|p| p.event.order == order) {
                    p.stage = Stage::Publishing { sent_at: ctx.now() };
                    Self::publish(p.event, ctx);
                    ctx.set_timer(Timer::Resend(order), PUBLISH_TIMEOUT_TICKS);
                }
            }
            Timer::Resend(order) => {
                let now = ctx.now();
                let waiting = s
                    .after_commit
                    .iter_mut()
                    .chain(s.before_commit.iter_mut())
                    .find(|p| {
                        p.event.order == order && matches!(p.stage, Stage::Publishing { .. })
                    });
                if let Some(p) = waiting {
                    p.stage = Stage::Publishing { sent_at: now };
                    Self::publish(p.event, ctx);
                    ctx.set_timer(Timer::Resend(order), PUBLISH_TIMEOUT_TICKS);
                }
            }
            Timer::Commit(order) => {
                let Some(i) = s.before_commit.iter().position(|p| p.event.order == order) else {
                    return;
                };
                let p = s.before_commit.remove(i);
                s.db.orders.push(p.event);
                ctx.persist(Durable::Service(s.db.clone()));
                ctx.note(Note::Committed {
                    order,
                    with_outbox: false,
                });
                ctx.send(p.client, Msg::Accepted { order });
            }
            Timer::Poll => {
                s.polling = false;
                let now = ctx.now();
                s.in_flight
                    .retain(|&(_, sent)| now.saturating_sub(sent) < PUBLISH_TIMEOUT_TICKS);
                let in_flight: Vec<u32> = s.in_flight.iter().map(|&(o, _)| o).collect();
                let steps = self.hooks.relay_poll(&s.db.outbox, &in_flight);
                Self::relay_steps(s, steps, ctx);
                Self::arm_poll(s, ctx);
            }
            _ => {}
        }
    }

    /// Arms the relay's poll if the outbox has unsent rows and it is not armed.
    fn arm_poll(s: &mut ServiceState, ctx: &mut Cx<'_>) {
        if !s.polling && s.db.outbox.iter().any(|r| !r.sent) {
            s.polling = true;
            ctx.set_timer(Timer::Poll, POLL_TICKS);
        }
    }

    /// Carries out the relay's decisions, in order; a step naming no unsent row does nothing.
    fn relay_steps(s: &mut ServiceState, steps: Vec<RelayStep>, ctx: &mut Cx<'_>) {
        for step in steps {
            match step {
                RelayStep::Publish(order) => {
                    let Some(row) = s.db.outbox.iter().find(|r| r.event.order == order) else {
                        continue;
                    };
                    Self::publish(row.event, ctx);
                    s.in_flight.retain(|(o, _)| *o != order);
                    s.in_flight.push((order, ctx.now()));
                }
                RelayStep::Mark(order) => {
                    let Some(row) =
                        s.db.outbox
                            .iter_mut()
                            .find(|r| r.event.order == order && !r.sent)
                    else {
                        continue;
                    };
                    row.sent = true;
                    ctx.persist(Durable::Service(s.db.clone()));
                    ctx.note(Note::Marked { order });
                }
            }
        }
    }

    // -----------------------------------------------------------------------------------
    // The broker (n1).

    /// Delivers the queue's head unless it is already out for delivery.
    fn deliver_head(b: &mut BrokerState, ctx: &mut Cx<'_>) {
        let Some(head) = b.head().copied() else {
            return;
        };
        if b.delivering == Some(head.offset) {
            return;
        }
        b.delivering = Some(head.offset);
        Self::send_delivery(&head, ctx);
    }

    fn send_delivery(head: &Stored, ctx: &mut Cx<'_>) {
        ctx.send(
            SHIPPING,
            Msg::Deliver {
                delivery: Delivery {
                    offset: head.offset,
                    event: head.event,
                },
            },
        );
        ctx.set_timer(Timer::Redeliver, REDELIVER_TICKS);
    }

    fn broker_message(b: &mut BrokerState, from: NodeId, msg: Msg, ctx: &mut Cx<'_>) {
        match msg {
            Msg::Publish { event } => {
                let offset = b.queue.len() as u64;
                b.queue.push(Stored {
                    offset,
                    event,
                    acked: false,
                });
                ctx.persist(Durable::Broker(b.queue.clone()));
                ctx.note(Note::Queued {
                    order: event.order,
                    offset,
                });
                ctx.send(from, Msg::PublishAck { order: event.order });
                Self::deliver_head(b, ctx);
            }
            Msg::Ack { offset } => {
                let Some(s) = b.queue.iter_mut().find(|s| s.offset == offset && !s.acked) else {
                    return;
                };
                s.acked = true;
                ctx.persist(Durable::Broker(b.queue.clone()));
                if b.delivering == Some(offset) {
                    b.delivering = None;
                    ctx.cancel_timer(Timer::Redeliver);
                }
                Self::deliver_head(b, ctx);
            }
            _ => {}
        }
    }

    // -----------------------------------------------------------------------------------
    // The shipping service, the consumer (n2).

    /// Carries out one answer of the consumer's handler, in order. Each local transaction
    /// (`Apply`, `Record`) commits on its own: the steps before the second transaction run
    /// now, and the rest waits [`Outbox::commit_gap`] ticks for that transaction, and so on. A
    /// crash in a gap loses what is left.
    fn consumer_steps(
        &self,
        c: &mut ShippingState,
        d: Delivery,
        mut steps: Vec<ConsumerStep>,
        ctx: &mut Cx<'_>,
    ) {
        let second = steps
            .iter()
            .enumerate()
            .filter(|(_, s)| s.is_transaction())
            .nth(1)
            .map(|(i, _)| i);
        if let Some(i) = second {
            let rest = steps.split_off(i);
            let seq = c.next_seq;
            c.next_seq += 1;
            c.deferred.push(Deferred {
                seq,
                delivery: d,
                steps: rest,
            });
            let ticks = ctx.random_range(self.commit_gap.0, self.commit_gap.1);
            ctx.set_timer(Timer::Txn(seq), ticks);
        }
        for step in steps {
            match step {
                ConsumerStep::Ack => ctx.send(BROKER, Msg::Ack { offset: d.offset }),
                ConsumerStep::Process => {
                    if !c.inbox.iter().any(|x| x.offset == d.offset) {
                        c.inbox.push(d);
                        if c.inbox.len() == 1 {
                            let ticks = ctx.random_range(PROCESS_TICKS.0, PROCESS_TICKS.1);
                            ctx.set_timer(Timer::Process, ticks);
                        }
                    }
                }
                ConsumerStep::Apply { record } => {
                    // One local transaction: the shipment and the key, or neither.
                    c.db.shipments.push(Shipment {
                        order: d.event.order,
                        customer: d.event.customer,
                        offset: d.offset,
                    });
                    if let Some(key) = record.filter(|k| !c.db.processed.contains(k)) {
                        c.db.processed.push(key);
                    }
                    ctx.persist(Durable::Shipping(c.db.clone()));
                    ctx.note(Note::Shipped {
                        order: d.event.order,
                        offset: d.offset,
                    });
                }
                ConsumerStep::Record(key) => {
                    if !c.db.processed.contains(&key) {
                        c.db.processed.push(key.clone());
                        ctx.persist(Durable::Shipping(c.db.clone()));
                    }
                    ctx.note(Note::Recorded {
                        order: d.event.order,
                        key,
                    });
                }
            }
        }
    }

    fn consumer_message(&self, c: &mut ShippingState, msg: Msg, ctx: &mut Cx<'_>) {
        let Msg::Deliver { delivery } = msg else {
            return;
        };
        if c.inbox.iter().any(|x| x.offset == delivery.offset)
            || c.deferred
                .iter()
                .any(|x| x.delivery.offset == delivery.offset)
        {
            // Already taken: a redelivery of what is being processed or committed.
            return;
        }
        let steps = self.hooks.on_delivery(self.mode(ctx), &c.db, &delivery);
        self.consumer_steps(c, delivery, steps, ctx);
    }

    /// The next transaction of the deferred answer `seq` commits, with the steps after it.
    fn consumer_deferred(&self, c: &mut ShippingState, seq: u64, ctx: &mut Cx<'_>) {
        let Some(i) = c.deferred.iter().position(|x| x.seq == seq) else {
            return;
        };
        let Deferred {
            delivery, steps, ..
        } = c.deferred.remove(i);
        self.consumer_steps(c, delivery, steps, ctx);
    }

    fn consumer_processed(&self, c: &mut ShippingState, ctx: &mut Cx<'_>) {
        if c.inbox.is_empty() {
            return;
        }
        let d = c.inbox.remove(0);
        let steps: Vec<ConsumerStep> = self
            .hooks
            .on_processed(self.mode(ctx), &c.db, &d)
            .into_iter()
            .filter(|s| *s != ConsumerStep::Process)
            .collect();
        if !steps
            .iter()
            .any(|s| matches!(s, ConsumerStep::Apply { .. }))
        {
            ctx.note(Note::Skipped {
                order: d.event.order,
                offset: d.offset,
            });
        }
        self.consumer_steps(c, d, steps, ctx);
        if !c.inbox.is_empty() {
            let ticks = ctx.random_range(PROCESS_TICKS.0, PROCESS_TICKS.1);
            ctx.set_timer(Timer::Process, ticks);
        }
    }

    // -----------------------------------------------------------------------------------
    // The client (n3).

    fn think(ctx: &mut Cx<'_>) {
        let pause = ctx.random_range(THINK_TICKS.0, THINK_TICKS.1);
        ctx.set_timer(Timer::Think, pause);
    }

    fn client_timer(&self, c: &mut ClientState, timer: Timer, ctx: &mut Cx<'_>) {
        match timer {
            Timer::Think if c.current.is_none() && c.placed < ORDERS => {
                c.placed += 1;
                let order = Event {
                    order: c.placed,
                    customer: ctx.random_range(1, u64::from(self.customers.max(1))) as u32,
                };
                c.current = Some(order.order);
                ctx.persist(Durable::Client(c.placed));
                ctx.observe(Note::Placed { order });
                ctx.send(SERVICE, Msg::PlaceOrder { order });
                ctx.set_timer(Timer::Timeout, ORDER_TIMEOUT_TICKS);
            }
            Timer::Timeout => {
                if let Some(order) = c.current.take() {
                    c.gave_up += 1;
                    ctx.observe(Note::GaveUp { order });
                    Self::think(ctx);
                }
            }
            _ => {}
        }
    }

    fn client_message(c: &mut ClientState, msg: Msg, ctx: &mut Cx<'_>) {
        if let Msg::Accepted { order } = msg {
            if c.current == Some(order) {
                c.current = None;
                c.accepted += 1;
                ctx.cancel_timer(Timer::Timeout);
                ctx.observe(Note::Accepted { order });
                Self::think(ctx);
            }
        }
    }
}

impl Protocol for Outbox {
    type Msg = Msg;
    type Timer = Timer;
    type Note = Note;
    type Request = NoRequest;
    type Reply = NoRequest;
    type State = State;
    type Durable = Durable;

    fn options(&self) -> &'static [ProtocolOption] {
        self.options
    }

    fn on_start(&self, restored: Option<&Durable>, ctx: &mut Ctx<'_, Self>) -> State {
        match ctx.id() {
            SERVICE => {
                let db = match restored {
                    Some(Durable::Service(db)) => db.clone(),
                    _ => OrderDb::default(),
                };
                // Whatever was between two writes in memory is gone; the outbox is not.
                let mut s = ServiceState {
                    db,
                    after_commit: Vec::new(),
                    before_commit: Vec::new(),
                    in_flight: Vec::new(),
                    polling: false,
                };
                Self::arm_poll(&mut s, ctx);
                State::Service(s)
            }
            BROKER => {
                let queue = match restored {
                    Some(Durable::Broker(q)) => q.clone(),
                    _ => Vec::new(),
                };
                let mut b = BrokerState {
                    queue,
                    delivering: None,
                };
                Self::deliver_head(&mut b, ctx);
                State::Broker(b)
            }
            SHIPPING => {
                let db = match restored {
                    Some(Durable::Shipping(db)) => db.clone(),
                    _ => ShippingDb::default(),
                };
                State::Shipping(ShippingState {
                    db,
                    inbox: Vec::new(),
                    deferred: Vec::new(),
                    next_seq: 0,
                })
            }
            _ => {
                let placed = match restored {
                    Some(Durable::Client(p)) => *p,
                    _ => 0,
                };
                Self::think(ctx);
                State::Client(ClientState {
                    placed,
                    current: None,
                    accepted: 0,
                    gave_up: 0,
                })
            }
        }
    }

    fn on_message(&self, state: &mut State, from: NodeId, msg: Msg, ctx: &mut Ctx<'_, Self>) {
        match (state, msg) {
            (State::Service(s), Msg::PlaceOrder { order }) => self.place_order(s, from, order, ctx),
            (State::Service(s), Msg::PublishAck { order }) => self.publish_acked(s, order, ctx),
            (State::Broker(b), msg) => Self::broker_message(b, from, msg, ctx),
            (State::Shipping(c), msg) => self.consumer_message(c, msg, ctx),
            (State::Client(c), msg) => Self::client_message(c, msg, ctx),
            _ => {}
        }
    }

    fn on_timer(&self, state: &mut State, timer: Timer, ctx: &mut Ctx<'_, Self>) {
        match state {
            State::Service(s) => self.service_timer(s, timer, ctx),
            State::Broker(b) => {
                if timer == Timer::Redeliver {
                    if let Some(head) = b.head().copied() {
                        b.delivering = Some(head.offset);
                        Self::send_delivery(&head, ctx);
                    }
                }
            }
            State::Shipping(c) => match timer {
                Timer::Process => self.consumer_processed(c, ctx),
                Timer::Txn(seq) => self.consumer_deferred(c, seq, ctx),
                _ => {}
            },
            State::Client(c) => self.client_timer(c, timer, ctx),
        }
    }

    fn on_client_request(&self, _state: &mut State, request: NoRequest, _ctx: &mut Ctx<'_, Self>) {
        match request {}
    }

    fn parse_request(&self, text: &str) -> Result<NoRequest, String> {
        Err(format!(
            "'{text}': the client places its own orders; the services take no requests"
        ))
    }

    fn message_kinds(&self) -> &'static [MessageKind] {
        &[
            MessageKind {
                name: "PlaceOrder",
                reply: false,
                meaning: "the client places an order",
            },
            MessageKind {
                name: "Accepted",
                reply: true,
                meaning: "the order service committed it",
            },
            MessageKind {
                name: "Publish",
                reply: false,
                meaning: "an event to the broker",
            },
            MessageKind {
                name: "PublishAck",
                reply: true,
                meaning: "the broker has stored it",
            },
            MessageKind {
                name: "Deliver",
                reply: false,
                meaning: "the broker delivers an event to the consumer",
            },
            MessageKind {
                name: "Ack",
                reply: true,
                meaning: "the consumer acknowledges a delivery",
            },
        ]
    }
    fn view(&self, node: NodeId, state: &State) -> NodeView {
        view::node_view(node, state)
    }

    fn panels(&self, world: &WorldRef<'_, Self>) -> Vec<crate::sim::panel::Panel> {
        view::panels(world)
    }
}

/// `o4, o7`.
pub fn orders_list(orders: &[u32]) -> String {
    let names: Vec<String> = orders.iter().map(|o| format!("o{o}")).collect();
    names.join(", ")
}

#[cfg(test)]
mod tests;
