//! The relay's and the consumer's decisions, behind [`OutboxHooks`]: what the relay publishes
//! and marks on each poll and on each acknowledgement, and what the consumer does with a
//! delivery when it arrives and once it is processed. The protocol carries the decisions out
//! (sends, timers, one local transaction per [`ConsumerStep::Apply`] or
//! [`ConsumerStep::Record`], each committing on its own); the hooks only decide.
//! Each method defaults to the reference; [`OutboxVariant`] has the reference and the
//! known-wrong variants, each breaking one property.

use super::{Delivery, Key, OutboxRow, ShippingDb};

/// A relay's decision: publish a row's event, or mark the row sent (a local transaction).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RelayStep {
    /// Publish the event of the outbox row of this order.
    Publish(u32),
    /// Mark the outbox row of this order sent.
    Mark(u32),
}

/// A consumer's decision about one delivery.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ConsumerStep {
    /// Acknowledge the delivery to the broker, which then forgets it.
    Ack,
    /// Take the delivery for processing: [`OutboxHooks::on_processed`] decides once it is done
    /// (ignored there).
    Process,
    /// Ship the order: one local transaction inserts the shipment and, if `record` is set,
    /// that key into the processed table.
    Apply {
        /// The key recorded with the shipment.
        record: Option<Key>,
    },
    /// Record the key in the processed table, in a local transaction of its own (no shipment).
    Record(Key),
}

impl ConsumerStep {
    /// Whether the step is a local transaction of the shipping database (`Apply`, `Record`).
    pub fn is_transaction(&self) -> bool {
        matches!(self, ConsumerStep::Apply { .. } | ConsumerStep::Record(_))
    }
}

/// The live options a consumer's decision may follow: the reference does what they say; the
/// known-wrong variants ignore them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Mode {
    /// `consumer` is `idempotent`.
    pub idempotent: bool,
    /// `ack` is `before-processing`.
    pub ack_before_processing: bool,
}

impl Mode {
    /// The mode the reference is correct in: idempotent, acknowledging after processing.
    pub const SAFE: Mode = Mode {
        idempotent: true,
        ack_before_processing: false,
    };
}

/// The relay loop and the consumer's handler. Each method defaults to the reference.
pub trait OutboxHooks {
    /// A short name, e.g. `reference`.
    fn name(&self) -> &str {
        "custom"
    }
    /// The relay reads the outbox (every poll, while it has unsent rows): the table in commit
    /// order, and the orders whose publish awaits the broker's acknowledgement (a publish
    /// unacknowledged for a timeout is no longer listed).
    fn relay_poll(&self, outbox: &[OutboxRow], in_flight: &[u32]) -> Vec<RelayStep> {
        reference_poll(outbox, in_flight)
    }
    /// The broker acknowledged the publish of `order`'s row (still unsent).
    fn relay_acked(&self, outbox: &[OutboxRow], order: u32) -> Vec<RelayStep> {
        reference_acked(outbox, order)
    }
    /// A delivery arrives at the consumer (not one it has taken and not finished).
    fn on_delivery(&self, mode: Mode, db: &ShippingDb, d: &Delivery) -> Vec<ConsumerStep> {
        reference_delivery(mode, db, d)
    }
    /// The consumer has processed `d`.
    fn on_processed(&self, mode: Mode, db: &ShippingDb, d: &Delivery) -> Vec<ConsumerStep> {
        reference_processed(mode, db, d)
    }
}

/// The reference relay: one publish at a time, the oldest unsent row, so the broker's queue
/// has the events in commit order; a publish unacknowledged for the timeout is sent again.
pub fn reference_poll(outbox: &[OutboxRow], in_flight: &[u32]) -> Vec<RelayStep> {
    if !in_flight.is_empty() {
        return Vec::new();
    }
    outbox
        .iter()
        .find(|r| !r.sent)
        .map(|r| vec![RelayStep::Publish(r.event.order)])
        .unwrap_or_default()
}

/// The reference relay marks a row sent only once the broker has the event (a crash before
/// the mark republishes it: at-least-once).
pub fn reference_acked(_outbox: &[OutboxRow], order: u32) -> Vec<RelayStep> {
    vec![RelayStep::Mark(order)]
}

/// The reference consumer on arrival: acknowledge now only if the mode says so, then process.
pub fn reference_delivery(mode: Mode, _db: &ShippingDb, _d: &Delivery) -> Vec<ConsumerStep> {
    if mode.ack_before_processing {
        vec![ConsumerStep::Ack, ConsumerStep::Process]
    } else {
        vec![ConsumerStep::Process]
    }
}

/// The reference consumer once processed: an idempotent one skips an event whose id it has
/// recorded and records the id with the shipment; a naive one ships every delivery. Then it
/// acknowledges, unless it did on arrival.
pub fn reference_processed(mode: Mode, db: &ShippingDb, d: &Delivery) -> Vec<ConsumerStep> {
    let key = Key::Event(d.event.order);
    let mut steps = Vec::new();
    if !mode.idempotent {
        steps.push(ConsumerStep::Apply { record: None });
    } else if !db.processed.contains(&key) {
        steps.push(ConsumerStep::Apply { record: Some(key) });
    }
    if !mode.ack_before_processing {
        steps.push(ConsumerStep::Ack);
    }
    steps
}

/// The reference and the known-wrong variants. Apart from its one mistake, each variant
/// behaves as the reference in [`Mode::SAFE`], whatever the options say.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OutboxVariant {
    /// The reference; its consumer follows the live options.
    Reference,
    /// The relay marks a row sent before it publishes it (one publish at a time, as the
    /// reference): at-most-once, so a lost publish loses the event (breaks `no-lost-events`).
    MarkBeforePublish,
    /// Two relays read the table at once, each publishing the oldest unsent row the other has
    /// not taken: their publishes race, and a customer's later order can reach the broker
    /// first (breaks `in-order-per-customer`).
    TwoRelays,
    /// The consumer acknowledges a delivery on arrival: a crash while processing loses it
    /// (breaks `no-lost-events`).
    AckBeforeProcessing,
    /// The consumer de-duplicates by the customer, a key that repeats across events: a
    /// customer's second order is skipped as a repeat (breaks `no-lost-events`).
    DedupByCustomer,
    /// The consumer de-duplicates by the broker's offset, a key that changes when the relay
    /// republishes: the republished copy ships again (breaks `no-duplicate-effects`).
    DedupByOffset,
}

impl OutboxVariant {
    /// Every variant, the reference first.
    pub const ALL: [OutboxVariant; 6] = [
        OutboxVariant::Reference,
        OutboxVariant::MarkBeforePublish,
        OutboxVariant::TwoRelays,
        OutboxVariant::AckBeforeProcessing,
        OutboxVariant::DedupByCustomer,
        OutboxVariant::DedupByOffset,
    ];

    /// The property a wrong variant breaks; none for the reference.
    pub fn violates(self) -> Option<&'static str> {
        match self {
            OutboxVariant::Reference => None,
            OutboxVariant::MarkBeforePublish
            | OutboxVariant::AckBeforeProcessing
            | OutboxVariant::DedupByCustomer => Some("no-lost-events"),
            OutboxVariant::TwoRelays => Some("in-order-per-customer"),
            OutboxVariant::DedupByOffset => Some("no-duplicate-effects"),
        }
    }

    /// A consumer that de-duplicates by `key` and acknowledges after processing.
    fn dedup_by(db: &ShippingDb, key: Key) -> Vec<ConsumerStep> {
        let mut steps = Vec::new();
        if !db.processed.contains(&key) {
            steps.push(ConsumerStep::Apply { record: Some(key) });
        }
        steps.push(ConsumerStep::Ack);
        steps
    }
}

impl OutboxHooks for OutboxVariant {
    fn name(&self) -> &str {
        match self {
            OutboxVariant::Reference => "reference",
            OutboxVariant::MarkBeforePublish => "mark-before-publish",
            OutboxVariant::TwoRelays => "two-relays",
            OutboxVariant::AckBeforeProcessing => "ack-before-processing",
            OutboxVariant::DedupByCustomer => "dedup-by-customer",
            OutboxVariant::DedupByOffset => "dedup-by-offset",
        }
    }

    fn relay_poll(&self, outbox: &[OutboxRow], in_flight: &[u32]) -> Vec<RelayStep> {
        match self {
            OutboxVariant::MarkBeforePublish if in_flight.is_empty() => outbox
                .iter()
                .find(|r| !r.sent)
                .map(|r| {
                    let order = r.event.order;
                    vec![RelayStep::Mark(order), RelayStep::Publish(order)]
                })
                .unwrap_or_default(),
            OutboxVariant::MarkBeforePublish => Vec::new(),
            OutboxVariant::TwoRelays => outbox
                .iter()
                .filter(|r| !r.sent && !in_flight.contains(&r.event.order))
                .take(2usize.saturating_sub(in_flight.len()))
                .map(|r| RelayStep::Publish(r.event.order))
                .collect(),
            _ => reference_poll(outbox, in_flight),
        }
    }

    fn relay_acked(&self, outbox: &[OutboxRow], order: u32) -> Vec<RelayStep> {
        match self {
            // Already marked before the publish.
            OutboxVariant::MarkBeforePublish => Vec::new(),
            _ => reference_acked(outbox, order),
        }
    }

    fn on_delivery(&self, mode: Mode, db: &ShippingDb, d: &Delivery) -> Vec<ConsumerStep> {
        match self {
            OutboxVariant::Reference => reference_delivery(mode, db, d),
            OutboxVariant::AckBeforeProcessing => vec![ConsumerStep::Ack, ConsumerStep::Process],
            _ => reference_delivery(Mode::SAFE, db, d),
        }
    }

    fn on_processed(&self, mode: Mode, db: &ShippingDb, d: &Delivery) -> Vec<ConsumerStep> {
        match self {
            OutboxVariant::Reference => reference_processed(mode, db, d),
            OutboxVariant::AckBeforeProcessing => {
                let key = Key::Event(d.event.order);
                if db.processed.contains(&key) {
                    Vec::new()
                } else {
                    vec![ConsumerStep::Apply { record: Some(key) }]
                }
            }
            OutboxVariant::DedupByCustomer => Self::dedup_by(db, Key::Customer(d.event.customer)),
            OutboxVariant::DedupByOffset => Self::dedup_by(db, Key::Offset(d.offset)),
            _ => reference_processed(Mode::SAFE, db, d),
        }
    }
}
