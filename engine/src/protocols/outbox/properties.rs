//! The properties, judged from the databases (what the nodes persisted), what the nodes hold
//! in memory and what is on the wire: [`audit`] says, for every order, whether it is committed,
//! shipped (how often), still on its way, or lost.
//!
//! An event is **on its way** while some record will still produce its shipment: an unsent
//! outbox row, an unacknowledged message in the broker's queue, a publish or delivery on the
//! wire, the service's memory between a dual write's two writes (while it is up), the
//! consumer's inbox and the later transactions of its handler's answers (while it is up). A
//! committed order that is not shipped and not on its way is **lost**: nothing will ever ship
//! it. Lost is for good: no record comes back from nowhere.

use super::*;
use crate::sim::world::{Monitor, PropKind, Property};

/// Ticks after the end of faults by which every committed order must be shipped.
pub const DRAIN_TICKS: u64 = 2_000;

/// Every order's fate at one moment.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Audit {
    /// Committed orders, in commit order.
    pub committed: Vec<Event>,
    /// Events in the broker's queue, duplicates included: what was published.
    pub published: usize,
    /// Shipments, duplicates included.
    pub shipments: usize,
    /// Committed orders not shipped and on their way.
    pub in_flight: Vec<u32>,
    /// Committed orders not shipped and not on their way: lost.
    pub lost: Vec<u32>,
    /// Orders shipped more than once.
    pub duplicated: Vec<u32>,
    /// Orders shipped that are not committed and never will be.
    pub phantom: Vec<u32>,
    /// Committed orders shipped after a later-committed order of the same customer.
    pub out_of_order: Vec<u32>,
}

impl Audit {
    /// Committed orders with no shipment (on their way or lost).
    pub fn unshipped(&self) -> Vec<u32> {
        let mut all: Vec<u32> = self.in_flight.iter().chain(&self.lost).copied().collect();
        all.sort_unstable();
        all
    }
}

/// The order service's database as persisted.
pub fn order_db<'a>(w: &WorldRef<'a, Outbox>) -> Option<&'a OrderDb> {
    match w.durable(SERVICE) {
        Some(Durable::Service(db)) => Some(db),
        _ => None,
    }
}

/// The broker's queue as persisted.
pub fn queue<'a>(w: &WorldRef<'a, Outbox>) -> &'a [Stored] {
    match w.durable(BROKER) {
        Some(Durable::Broker(q)) => q,
        _ => &[],
    }
}

/// The shipping service's database as persisted.
pub fn shipping_db<'a>(w: &WorldRef<'a, Outbox>) -> Option<&'a ShippingDb> {
    match w.durable(SHIPPING) {
        Some(Durable::Shipping(db)) => Some(db),
        _ => None,
    }
}

/// Orders whose event some record will still deliver (see the module's doc).
fn on_their_way(w: &WorldRef<'_, Outbox>) -> Vec<u32> {
    let mut way: Vec<u32> = Vec::new();
    if let Some(db) = order_db(w) {
        way.extend(db.outbox.iter().filter(|r| !r.sent).map(|r| r.event.order));
    }
    way.extend(queue(w).iter().filter(|s| !s.acked).map(|s| s.event.order));
    for (_, to, msg) in w.in_flight() {
        match msg {
            Msg::Publish { event } if to == BROKER => way.push(event.order),
            Msg::Deliver { delivery } if to == SHIPPING => way.push(delivery.event.order),
            _ => {}
        }
    }
    if let Some(State::Service(s)) = w.state(SERVICE) {
        way.extend(s.after_commit.iter().map(|p| p.event.order));
    }
    if let Some(State::Shipping(c)) = w.state(SHIPPING) {
        way.extend(c.inbox.iter().map(|d| d.event.order));
        // An answer whose later transactions will still ship (or take) the delivery.
        way.extend(
            c.deferred
                .iter()
                .filter(|x| {
                    x.steps
                        .iter()
                        .any(|s| matches!(s, ConsumerStep::Apply { .. } | ConsumerStep::Process))
                })
                .map(|x| x.delivery.event.order),
        );
    }
    way.sort_unstable();
    way.dedup();
    way
}

/// Every order's fate now.
pub fn audit(w: &WorldRef<'_, Outbox>) -> Audit {
    let committed: Vec<Event> = order_db(w).map(|db| db.orders.clone()).unwrap_or_default();
    let shipments: &[Shipment] = shipping_db(w).map_or(&[], |db| &db.shipments);
    let count = |order: u32| shipments.iter().filter(|s| s.order == order).count();
    let way = on_their_way(w);
    let (mut in_flight, mut lost) = (Vec::new(), Vec::new());
    for e in committed.iter().filter(|e| count(e.order) == 0) {
        if way.contains(&e.order) {
            in_flight.push(e.order);
        } else {
            lost.push(e.order);
        }
    }
    let mut shipped: Vec<u32> = shipments.iter().map(|s| s.order).collect();
    shipped.sort_unstable();
    let mut duplicated: Vec<u32> = shipped
        .windows(2)
        .filter(|p| p[0] == p[1])
        .map(|p| p[0])
        .collect();
    duplicated.dedup();
    shipped.dedup();
    // Publish first: an order published and not yet committed is still to be committed while
    // the service is up and remembers it.
    // So is an order whose request is still on the wire.
    let mut committing: Vec<u32> = match w.state(SERVICE) {
        Some(State::Service(s)) => s.before_commit.iter().map(|p| p.event.order).collect(),
        _ => Vec::new(),
    };
    committing.extend(w.in_flight().filter_map(|(_, to, msg)| match msg {
        Msg::PlaceOrder { order } if to == SERVICE => Some(order.order),
        _ => None,
    }));
    let position = |order: u32| committed.iter().position(|e| e.order == order);
    let phantom = shipped
        .iter()
        .copied()
        .filter(|&o| position(o).is_none() && !committing.contains(&o))
        .collect();
    Audit {
        published: queue(w).len(),
        shipments: shipments.len(),
        out_of_order: out_of_order(shipments, &position),
        committed,
        in_flight,
        lost,
        duplicated,
        phantom,
    }
}

/// Committed orders whose first shipment came after the first shipment of a later-committed
/// order of the same customer.
pub fn out_of_order(shipments: &[Shipment], position: &dyn Fn(u32) -> Option<usize>) -> Vec<u32> {
    let mut seen: Vec<u32> = Vec::new();
    // Per customer, the latest commit position shipped so far.
    let mut latest: Vec<(u32, usize)> = Vec::new();
    let mut late = Vec::new();
    for s in shipments {
        if seen.contains(&s.order) {
            continue;
        }
        seen.push(s.order);
        let Some(p) = position(s.order) else {
            continue;
        };
        match latest.iter_mut().find(|(c, _)| *c == s.customer) {
            Some((_, max)) if *max > p => late.push(s.order),
            Some((_, max)) => *max = p,
            None => latest.push((s.customer, p)),
        }
    }
    late
}

/// No order is shipped twice.
pub fn no_duplicate_effects(w: &WorldRef<'_, Outbox>) -> bool {
    audit(w).duplicated.is_empty()
}

/// No order is shipped that is not committed and never will be.
pub fn no_phantom_events(w: &WorldRef<'_, Outbox>) -> bool {
    audit(w).phantom.is_empty()
}

/// Each customer's orders are shipped in commit order.
pub fn in_order_per_customer(w: &WorldRef<'_, Outbox>) -> bool {
    audit(w).out_of_order.is_empty()
}

/// `no-lost-events`: fails at the step that leaves a committed order with nothing that will
/// ship it, and at the end of the run if a committed order is still not shipped.
#[derive(Clone, Default)]
pub struct NoLostEvents;

impl Monitor<Outbox> for NoLostEvents {
    fn on_event(
        &mut self,
        _event: &crate::sim::trace::TraceEvent<Outbox>,
        _world: &WorldRef<'_, Outbox>,
    ) -> Result<(), String> {
        Ok(())
    }
    fn after_step(&mut self, world: &WorldRef<'_, Outbox>) -> Result<(), String> {
        let lost = audit(world).lost;
        if lost.is_empty() {
            return Ok(());
        }
        Err(format!(
            "{} committed, not shipped, and nothing will ever deliver {}",
            orders_list(&lost),
            if lost.len() == 1 {
                "its event"
            } else {
                "their events"
            }
        ))
    }
    fn at_end(&mut self, world: &WorldRef<'_, Outbox>) -> Result<(), String> {
        let unshipped = audit(world).unshipped();
        if unshipped.is_empty() {
            return Ok(());
        }
        Err(format!(
            "{} committed and never shipped by the end of the run",
            orders_list(&unshipped)
        ))
    }
    fn clone_box(&self) -> Box<dyn Monitor<Outbox>> {
        Box::new(self.clone())
    }
}

/// The four properties.
pub fn properties() -> Vec<Property<Outbox>> {
    vec![
        Property::monitor(
            "no-lost-events",
            PropKind::EventuallyWithin(DRAIN_TICKS),
            || Box::new(NoLostEvents),
        ),
        Property::always("no-duplicate-effects", no_duplicate_effects),
        Property::always("no-phantom-events", no_phantom_events),
        Property::always("in-order-per-customer", in_order_per_customer),
    ]
}
