//! The store's two claims: no acknowledged add is ever lost, and replicas converge once faults
//! stop.
//!
//! `no-lost-updates` is a history monitor. It learns from the trace which adds clients were
//! told succeeded (`Note::Acked`) and which items every message still on the wire carries
//! (sends and copies in, deliveries and drops out). An item is lost when it is in no replica's
//! cart — a crashed replica's durable copy counts — and in no message: nothing can bring it
//! back. It is judged at the end of every step (in the middle of one, an item may be between
//! the message that brought it and the message its handler is about to send).

use std::collections::BTreeMap;

use super::versions::{dc_name, Cart, Version};
use super::{home, Durable, MultiLeader, Note, State, LEADERS};
use crate::sim::protocol::NodeId;
use crate::sim::trace::{Event, TraceEvent};
use crate::sim::world::{Monitor, PropKind, Property, Status, WorldRef};

/// Ticks after the heal-all within which replicas must agree.
pub const CONVERGE_WITHIN_TICKS: u64 = 1_000;

/// The store's properties.
pub fn properties() -> Vec<Property<MultiLeader>> {
    vec![
        Property::monitor("no-lost-updates", PropKind::Always, || {
            Box::new(LostUpdates::default())
        }),
        Property::eventually("replicas-converge", CONVERGE_WITHIN_TICKS, converged),
    ]
}

/// Leader `n`'s siblings now: its volatile state, or its durable copy while it is down.
pub fn siblings_of<'a>(w: &WorldRef<'a, MultiLeader>, n: NodeId) -> &'a [Version] {
    match (w.state(n), w.durable(n)) {
        (Some(State::Leader(r)), _) => &r.siblings,
        (None, Some(Durable::Leader(s, _))) => s,
        _ => &[],
    }
}

/// Whether some replica's cart holds `item`.
pub fn held(w: &WorldRef<'_, MultiLeader>, item: &str) -> bool {
    (0..LEADERS).any(|n| siblings_of(w, n).iter().any(|v| v.cart.contains(item)))
}

/// An acknowledged add: (item, the client's datacenter, true time of the acknowledgement).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AckedAdd {
    /// The item.
    pub item: String,
    /// The datacenter whose client added it.
    pub dc: NodeId,
    /// When the client was told it succeeded.
    pub at: u64,
}

impl AckedAdd {
    /// `add(pen)@eu`.
    pub fn label(&self) -> String {
        format!("add({})@{}", self.item, dc_name(self.dc))
    }
}

/// Every add clients were told succeeded, from the observer's record, in order.
pub fn acked_adds(w: &WorldRef<'_, MultiLeader>) -> Vec<AckedAdd> {
    w.observed()
        .iter()
        .filter_map(|o| match &o.note {
            Note::Acked { item, .. } => Some(AckedAdd {
                item: item.clone(),
                dc: home(o.node),
                at: o.t,
            }),
            _ => None,
        })
        .collect()
}

/// Acknowledged adds whose item no replica holds now (messages on the wire aside: what the
/// panel counts as lost).
pub fn missing_now(w: &WorldRef<'_, MultiLeader>) -> Vec<AckedAdd> {
    acked_adds(w)
        .into_iter()
        .filter(|a| !held(w, &a.item))
        .collect()
}

/// `no-lost-updates`: the monitor.
#[derive(Clone, Debug, Default)]
pub struct LostUpdates {
    /// Adds acknowledged so far.
    acked: Vec<AckedAdd>,
    /// Items carried by each message on the wire, by message id.
    in_flight: BTreeMap<u64, Cart>,
}

impl LostUpdates {
    fn judge(&self, w: &WorldRef<'_, MultiLeader>) -> Result<(), String> {
        let on_wire = |item: &str| self.in_flight.values().any(|c| c.contains(item));
        match self
            .acked
            .iter()
            .find(|a| !held(w, &a.item) && !on_wire(&a.item))
        {
            Some(a) => Err(format!(
                "{} was acknowledged at t={} and is in no replica's cart and no message: \
                 nothing can bring it back",
                a.label(),
                a.at
            )),
            None => Ok(()),
        }
    }

    fn track(&mut self, ev: &TraceEvent<MultiLeader>) {
        match &ev.event {
            Event::Send { id, msg, .. } | Event::Dup { id, msg, .. } => {
                let items = msg.items();
                if !items.is_empty() {
                    self.in_flight.insert(*id, items);
                }
            }
            Event::Recv { id, .. } | Event::Drop { id, .. } => {
                self.in_flight.remove(id);
            }
            Event::Note {
                node,
                note: Note::Acked { item, .. },
            } => self.acked.push(AckedAdd {
                item: item.clone(),
                dc: home(*node),
                at: ev.t,
            }),
            _ => {}
        }
    }
}

impl Monitor<MultiLeader> for LostUpdates {
    fn on_event(
        &mut self,
        ev: &TraceEvent<MultiLeader>,
        _: &WorldRef<'_, MultiLeader>,
    ) -> Result<(), String> {
        self.track(ev);
        Ok(())
    }

    fn after_step(&mut self, w: &WorldRef<'_, MultiLeader>) -> Result<(), String> {
        self.judge(w)
    }

    fn at_end(&mut self, w: &WorldRef<'_, MultiLeader>) -> Result<(), String> {
        self.judge(w)
    }

    fn clone_box(&self) -> Box<dyn Monitor<MultiLeader>> {
        Box::new(self.clone())
    }
}

/// `replicas-converge`: every leader is up and all hold the same siblings.
pub fn converged(w: &WorldRef<'_, MultiLeader>) -> bool {
    (0..LEADERS).all(|n| w.status(n) == Status::Up)
        && (1..LEADERS).all(|n| siblings_of(w, n) == siblings_of(w, 0))
}
