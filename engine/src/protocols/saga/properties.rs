//! What a saga promises, in the form a run can be judged by.
//!
//! A saga gives up isolation and keeps atomicity by compensation (Garcia-Molina & Salem 1987,
//! §1: "either all the transactions T1..Tn are executed, or T1..Tj, Cj..C1 are"). So:
//!
//! - `step-once` and `compensation-once`: each step and each compensation takes effect at
//!   most once per order at its service, however often its message is retried or duplicated
//!   (monitors over the services' notes);
//! - `reverse-order`: compensations take effect in the reverse order of their steps — a
//!   step's compensation never takes effect after that of an earlier step of the same order
//!   (`Cj..C1`);
//! - `no-needless-compensation`: the orchestrator compensates a saga only after a step was
//!   refused or went unanswered — never right after a success (without it, compensating every
//!   order would satisfy everything);
//! - `all-or-nothing`: when the run ends, every ended saga is all or nothing at the services —
//!   a completed order charged, reserved and shipped once each, a compensated one with every
//!   effect undone, its money and stock back where they were;
//! - `all-settled`: once the faults heal, every order of the workload has begun and ended
//!   within [`LIVENESS_TICKS`], and so it still is when the run ends.

use std::collections::BTreeMap;

use super::node::Shop;
use super::types::*;
use crate::sim::protocol::NodeId;
use crate::sim::spec::Action;
use crate::sim::trace::{Event, TraceEvent};
use crate::sim::world::{Monitor, PropKind, Property, Status, WorldRef};

/// After the faults heal, every saga must end within this many ticks.
pub const LIVENESS_TICKS: u64 = 1_500;

/// `n1 charges o3`, in the words of each service.
fn did(step: Step) -> &'static str {
    match step {
        Step::Payment => "charges",
        Step::Inventory => "reserves stock for",
        Step::Shipping => "books a shipment for",
    }
}

fn undid(step: Step) -> &'static str {
    match step {
        Step::Payment => "refunds",
        Step::Inventory => "restocks",
        Step::Shipping => "cancels the shipment of",
    }
}

/// `step-once` or `compensation-once`: how often each effect took place per order.
#[derive(Clone)]
pub struct Once {
    compensation: bool,
    count: BTreeMap<(u32, Step), u32>,
}

impl Monitor<Shop> for Once {
    fn on_event(&mut self, ev: &TraceEvent<Shop>, _: &WorldRef<'_, Shop>) -> Result<(), String> {
        let Event::Note { node, note } = &ev.event else {
            return Ok(());
        };
        let (o, s) = match (note, self.compensation) {
            (Note::Applied(o, s), false) | (Note::Compensated(o, s), true) => (*o, *s),
            _ => return Ok(()),
        };
        let n = self.count.entry((o, s)).or_insert(0);
        *n += 1;
        if *n < 2 {
            return Ok(());
        }
        Err(if self.compensation {
            format!(
                "n{node} {} o{o} a second time: the repeated compensation carried no \
                 idempotency key, or a new one, so the service could not tell it from a new \
                 request",
                undid(s)
            )
        } else {
            format!(
                "n{node} {} o{o} a second time: the repeated call carried no idempotency key, \
                 or a new one, so the service could not tell it from a new request",
                did(s)
            )
        })
    }
    fn clone_box(&self) -> Box<dyn Monitor<Shop>> {
        Box::new(self.clone())
    }
}

/// `reverse-order`: the steps of each order whose compensation has taken effect.
#[derive(Clone, Default)]
pub struct ReverseOrder {
    undone: BTreeMap<u32, Vec<Step>>,
}

impl Monitor<Shop> for ReverseOrder {
    fn on_event(&mut self, ev: &TraceEvent<Shop>, _: &WorldRef<'_, Shop>) -> Result<(), String> {
        let Event::Note {
            node,
            note: Note::Compensated(o, s),
        } = &ev.event
        else {
            return Ok(());
        };
        let undone = self.undone.entry(*o).or_default();
        if let Some(earlier) = undone.iter().find(|u| *u < s) {
            return Err(format!(
                "n{node} {} o{o} after the {} of o{o} took effect: compensations must run in \
                 the reverse order of their steps ({} before {})",
                undid(*s),
                earlier.undo(),
                s.undo(),
                earlier.undo()
            ));
        }
        undone.push(*s);
        Ok(())
    }
    fn clone_box(&self) -> Box<dyn Monitor<Shop>> {
        Box::new(self.clone())
    }
}

/// `no-needless-compensation`: the last outcome the orchestrator saw for each order.
#[derive(Clone, Default)]
pub struct NoNeedlessCompensation {
    last: BTreeMap<u32, (Step, Outcome)>,
}

impl Monitor<Shop> for NoNeedlessCompensation {
    fn on_event(&mut self, ev: &TraceEvent<Shop>, _: &WorldRef<'_, Shop>) -> Result<(), String> {
        let Event::Note {
            node: ORCHESTRATOR,
            note,
        } = &ev.event
        else {
            return Ok(());
        };
        match note {
            Note::Outcome(o, s, out) => {
                self.last.insert(*o, (*s, *out));
            }
            Note::Compensating(o, _) => {
                if let Some((s, Outcome::Ok)) = self.last.get(o) {
                    return Err(format!(
                        "n0 compensates o{o} right after its {s} step succeeded: a saga is \
                         compensated only when a step is refused or goes unanswered"
                    ));
                }
            }
            _ => {}
        }
        Ok(())
    }
    fn clone_box(&self) -> Box<dyn Monitor<Shop>> {
        Box::new(self.clone())
    }
}

/// The orchestrator's saga log on its disk.
pub fn saga_log<'a>(w: &WorldRef<'a, Shop>) -> &'a [Record] {
    match w.durable(ORCHESTRATOR) {
        Some(Durable::Log(log)) => log,
        _ => &[],
    }
}

/// A service's ledger on its disk (or its opening one).
pub fn ledger(w: &WorldRef<'_, Shop>, step: Step) -> Ledger {
    match w.durable(step.service()) {
        Some(Durable::Ledger(l)) => l.clone(),
        _ => super::node::opening(step),
    }
}

/// How an order ended, by the saga log.
pub fn ended(log: &[Record], order: u32) -> Option<End> {
    log.iter().find_map(|r| match r {
        Record::End(o, e) if *o == order => Some(*e),
        _ => None,
    })
}

/// What is wrong with each ended order at the services: `o3 is compensated, but n1 still
/// holds its charge (c3 paid 50 for nothing)`.
pub fn not_all_or_nothing(w: &WorldRef<'_, Shop>) -> Vec<String> {
    let log = saga_log(w);
    let ledgers: Vec<Ledger> = Step::ALL.iter().map(|s| ledger(w, *s)).collect();
    let workload = &w.protocol().workload;
    let mut wrong = Vec::new();
    for order in workload {
        let Some(end) = ended(log, order.id) else {
            continue;
        };
        for (step, l) in Step::ALL.iter().zip(&ledgers) {
            let net = l.net(order.id);
            let n = step.service();
            match (end, net) {
                (End::Completed, 1) | (End::Compensated, 0) => {}
                (End::Completed, 0) => wrong.push(format!(
                    "o{} is completed, but n{n} never {} it ({})",
                    order.id,
                    match step {
                        Step::Payment => "charged",
                        Step::Inventory => "reserved stock for",
                        Step::Shipping => "booked a shipment for",
                    },
                    order.describe()
                )),
                (End::Compensated, 1) => wrong.push(format!(
                    "o{} is compensated, but n{n} still holds its {} ({})",
                    order.id,
                    match step {
                        Step::Payment => format!(
                            "charge: c{} paid {} for nothing",
                            order.customer, order.price
                        ),
                        Step::Inventory => format!(
                            "reservation: {} {} cannot be sold",
                            order.quantity, ITEMS[order.item].0
                        ),
                        Step::Shipping => "shipment: it will be shipped, unpaid".to_string(),
                    },
                    order.describe()
                )),
                (_, net) => wrong.push(format!(
                    "o{} is {}, but n{n}'s {} took effect {net:+} times net",
                    order.id,
                    if end == End::Completed {
                        "completed"
                    } else {
                        "compensated"
                    },
                    step.verb()
                )),
            }
        }
    }
    wrong
}

/// `all-or-nothing`, judged when the run ends.
#[derive(Clone, Copy, Default)]
pub struct AllOrNothing;

impl Monitor<Shop> for AllOrNothing {
    fn on_event(&mut self, _: &TraceEvent<Shop>, _: &WorldRef<'_, Shop>) -> Result<(), String> {
        Ok(())
    }
    fn at_end(&mut self, w: &WorldRef<'_, Shop>) -> Result<(), String> {
        let wrong = not_all_or_nothing(w);
        if wrong.is_empty() {
            Ok(())
        } else {
            Err(format!(
                "when the run ends, {}; the money and stock do not add up",
                wrong.join("; ")
            ))
        }
    }
    fn clone_box(&self) -> Box<dyn Monitor<Shop>> {
        Box::new(*self)
    }
}

/// The orders of the workload not yet ended, and why: `o2 (n0 down)`, `o3 (not resumed)`.
pub fn unsettled(w: &WorldRef<'_, Shop>) -> Vec<String> {
    let log = saga_log(w);
    let up = w.status(ORCHESTRATOR) == Status::Up;
    let memory = match w.state(ORCHESTRATOR) {
        Some(State::Orchestrator(o)) if up => Some(o),
        _ => None,
    };
    let mut open = Vec::new();
    for order in &w.protocol().workload {
        if ended(log, order.id).is_some() {
            continue;
        }
        let begun = log.contains(&Record::Begin(order.id));
        let why = match (begun, memory) {
            (_, None) => "n0 down".to_string(),
            (false, Some(_)) => "not begun".to_string(),
            (true, Some(o)) => match o.sagas.get(&order.id).map(|s| &s.phase) {
                None => "begun, but n0 did not resume its saga after a restart".to_string(),
                Some(Phase::Calling(s)) => format!("calling {s}"),
                Some(Phase::Compensating { plan, next }) => match plan.get(*next) {
                    Some(s) => format!("waiting for the {} to be acknowledged", s.undo()),
                    None => "compensating".to_string(),
                },
                Some(Phase::Ended(_)) => "ending".to_string(),
            },
        };
        open.push(format!("o{} ({why})", order.id));
    }
    open
}

/// `all-settled`: every order ended within [`LIVENESS_TICKS`] of the heal, and at the end.
#[derive(Clone, Default)]
pub struct AllSettled {
    healed: Option<u64>,
    settled_once: bool,
}

impl Monitor<Shop> for AllSettled {
    fn on_event(&mut self, ev: &TraceEvent<Shop>, _: &WorldRef<'_, Shop>) -> Result<(), String> {
        if matches!(ev.event, Event::Action(Action::HealAll)) {
            self.healed = Some(ev.t);
            self.settled_once = false;
        }
        Ok(())
    }
    fn after_step(&mut self, w: &WorldRef<'_, Shop>) -> Result<(), String> {
        let Some(healed) = self.healed else {
            return Ok(());
        };
        if self.settled_once {
            return Ok(());
        }
        let open = unsettled(w);
        if open.is_empty() {
            self.settled_once = true;
        } else if w.time() > healed + LIVENESS_TICKS {
            return Err(format!(
                "{LIVENESS_TICKS} ticks after the heal at t={healed}, sagas are still open: {}",
                open.join(", ")
            ));
        }
        Ok(())
    }
    fn at_end(&mut self, w: &WorldRef<'_, Shop>) -> Result<(), String> {
        let open = unsettled(w);
        match self.healed {
            Some(healed) if !open.is_empty() => Err(format!(
                "when the run ends, {} ticks after the heal at t={healed}, sagas are still \
                 open: {}",
                w.time().saturating_sub(healed),
                open.join(", ")
            )),
            _ => Ok(()),
        }
    }
    fn clone_box(&self) -> Box<dyn Monitor<Shop>> {
        Box::new(self.clone())
    }
}

/// The service whose step a node carries out, for messages.
pub fn service_name(n: NodeId) -> &'static str {
    match Step::of_service(n) {
        Some(Step::Payment) => "payment",
        Some(Step::Inventory) => "inventory",
        Some(Step::Shipping) => "shipping",
        None => "orchestrator",
    }
}

/// Every property, in the order they are judged.
pub fn properties() -> Vec<Property<Shop>> {
    vec![
        Property::monitor("step-once", PropKind::Always, || {
            Box::new(Once {
                compensation: false,
                count: BTreeMap::new(),
            })
        }),
        Property::monitor("compensation-once", PropKind::Always, || {
            Box::new(Once {
                compensation: true,
                count: BTreeMap::new(),
            })
        }),
        Property::monitor("reverse-order", PropKind::Always, || {
            Box::new(ReverseOrder::default())
        }),
        Property::monitor("no-needless-compensation", PropKind::Always, || {
            Box::new(NoNeedlessCompensation::default())
        }),
        Property::monitor("all-or-nothing", PropKind::Always, || {
            Box::new(AllOrNothing)
        }),
        Property::monitor(
            "all-settled",
            PropKind::EventuallyWithin(LIVENESS_TICKS),
            || Box::new(AllSettled::default()),
        ),
    ]
}
