//! The handlers: the orchestrator's saga execution and recovery around the [`SagaHooks`], and
//! the three services, written as most services are — a compensation undoes whatever the
//! order's step did, and only an idempotency key tells a repeated request from a new one.

use std::fmt;
use std::rc::Rc;

use super::rules::{SagaHooks, Then};
use super::types::*;
use super::view;
use super::{
    CALL_TIMEOUT_TICKS, COMPENSATION_TIMEOUT_TICKS, FIRST_ORDER_TICKS, OPTIONS,
    ORDER_SPACING_TICKS, SHIP_WORK_TICKS,
};
use crate::sim::protocol::{
    Ctx, MessageKind, NoRequest, NodeId, NodeView, Protocol, ProtocolOption,
};
use crate::sim::world::WorldRef;

/// The store: its workload of orders and the orchestrator's decisions.
#[derive(Clone)]
pub struct Shop {
    /// The orders the orchestrator runs, in order (`o1` first).
    pub workload: Vec<Order>,
    /// Its decisions.
    pub hooks: Rc<dyn SagaHooks>,
}

impl fmt::Debug for Shop {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Shop")
            .field("orders", &self.workload.len())
            .field("hooks", &self.hooks.name())
            .finish()
    }
}

type Cx<'a> = Ctx<'a, Shop>;

/// The steps registered for `order` in `log`, in registration order.
pub fn registered(log: &[Record], order: u32) -> Vec<Step> {
    let mut steps = Vec::new();
    for r in log {
        if let Record::Register(o, s) = r {
            if *o == order && !steps.contains(s) {
                steps.push(*s);
            }
        }
    }
    steps
}

/// A service's ledger as it opens.
pub fn opening(step: Step) -> Ledger {
    Ledger {
        balances: if step == Step::Payment {
            vec![OPENING_BALANCE; CUSTOMERS]
        } else {
            Vec::new()
        },
        available: if step == Step::Inventory {
            ITEMS.iter().map(|(_, n)| *n).collect()
        } else {
            Vec::new()
        },
        ..Ledger::default()
    }
}

impl Shop {
    fn order(&self, id: u32) -> Option<Order> {
        self.workload.iter().find(|o| o.id == id).copied()
    }

    // -----------------------------------------------------------------------------------
    // The orchestrator (n0).

    fn write(o: &mut Orchestrator, record: Record, ctx: &mut Cx<'_>) {
        o.log.push(record);
        ctx.persist(Durable::Log(o.log.clone()));
    }

    fn register(o: &mut Orchestrator, id: u32, step: Step, ctx: &mut Cx<'_>) {
        if !registered(&o.log, id).contains(&step) {
            Self::write(o, Record::Register(id, step), ctx);
            ctx.note(Note::Registered(id, step));
        }
    }

    fn begin_next(&self, o: &mut Orchestrator, ctx: &mut Cx<'_>) {
        let Some(order) = self.workload.get(o.begun).copied() else {
            return;
        };
        o.begun += 1;
        Self::write(o, Record::Begin(order.id), ctx);
        ctx.note(Note::Begin(order.id));
        o.sagas.insert(
            order.id,
            Saga {
                order,
                phase: Phase::Calling(Step::Payment),
                attempt: 1,
            },
        );
        self.call(o, order.id, Step::Payment, 1, ctx);
        if o.begun < self.workload.len() {
            ctx.set_timer(Timer::NextOrder, ORDER_SPACING_TICKS);
        }
    }

    fn call(&self, o: &mut Orchestrator, id: u32, step: Step, attempt: u32, ctx: &mut Cx<'_>) {
        if self.hooks.register_first(step) {
            Self::register(o, id, step, ctx);
        }
        let key = self.hooks.key(id, step, Kind::Call, attempt);
        let Some(saga) = o.sagas.get_mut(&id) else {
            return;
        };
        saga.phase = Phase::Calling(step);
        saga.attempt = attempt;
        ctx.send(
            step.service(),
            Msg::Call {
                order: saga.order,
                step,
                key,
            },
        );
        ctx.set_timer(Timer::CallTimeout(id, step, attempt), CALL_TIMEOUT_TICKS);
    }

    fn outcome(
        &self,
        o: &mut Orchestrator,
        id: u32,
        step: Step,
        outcome: Outcome,
        ctx: &mut Cx<'_>,
    ) {
        let Some(attempt) = o.sagas.get(&id).map(|s| s.attempt) else {
            return;
        };
        ctx.note(Note::Outcome(id, step, outcome));
        let decision = self.hooks.on_reply(step, outcome, attempt);
        if decision.register {
            Self::register(o, id, step, ctx);
        }
        match decision.then {
            Then::Next => {
                Self::write(o, Record::Done(id, step), ctx);
                match step.next() {
                    Some(next) => self.call(o, id, next, 1, ctx),
                    None => Self::end(o, id, End::Completed, ctx),
                }
            }
            Then::Retry => self.call(o, id, step, attempt + 1, ctx),
            Then::Compensate => {
                Self::write(o, Record::Compensating(id), ctx);
                let plan = self.hooks.compensations(&registered(&o.log, id));
                self.start_compensations(o, id, plan, ctx);
            }
        }
    }

    fn start_compensations(
        &self,
        o: &mut Orchestrator,
        id: u32,
        plan: Vec<Step>,
        ctx: &mut Cx<'_>,
    ) {
        ctx.note(Note::Compensating(id, plan.clone()));
        if let Some(saga) = o.sagas.get_mut(&id) {
            saga.phase = Phase::Compensating { plan, next: 0 };
        }
        self.compensate(o, id, 1, ctx);
    }

    /// Sends attempt `attempt` of the saga's current compensation, or ends it if none is left.
    fn compensate(&self, o: &mut Orchestrator, id: u32, attempt: u32, ctx: &mut Cx<'_>) {
        let Some(saga) = o.sagas.get_mut(&id) else {
            return;
        };
        let Phase::Compensating { plan, next } = &saga.phase else {
            return;
        };
        let Some(&step) = plan.get(*next) else {
            Self::end(o, id, End::Compensated, ctx);
            return;
        };
        saga.attempt = attempt;
        let key = self.hooks.key(id, step, Kind::Compensate, attempt);
        ctx.send(
            step.service(),
            Msg::Compensate {
                order: saga.order,
                step,
                key,
            },
        );
        ctx.set_timer(
            Timer::CompensationTimeout(id, step, attempt),
            COMPENSATION_TIMEOUT_TICKS,
        );
    }

    /// The saga's current compensation is finished with: log it and go on with the next.
    fn compensation_done(&self, o: &mut Orchestrator, id: u32, step: Step, ctx: &mut Cx<'_>) {
        Self::write(o, Record::Undone(id, step), ctx);
        if let Some(Saga {
            phase: Phase::Compensating { next, .. },
            ..
        }) = o.sagas.get_mut(&id)
        {
            *next += 1;
        }
        self.compensate(o, id, 1, ctx);
    }

    fn end(o: &mut Orchestrator, id: u32, end: End, ctx: &mut Cx<'_>) {
        Self::write(o, Record::End(id, end), ctx);
        ctx.note(Note::Ended(id, end));
        if let Some(saga) = o.sagas.get_mut(&id) {
            saga.phase = Phase::Ended(end);
        }
    }

    /// The saga's current compensation step, if it is compensating.
    fn compensating(o: &Orchestrator, id: u32) -> Option<(Step, u32)> {
        let saga = o.sagas.get(&id)?;
        match &saga.phase {
            Phase::Compensating { plan, next } => plan.get(*next).map(|s| (*s, saga.attempt)),
            _ => None,
        }
    }

    /// The step the saga is calling, if it is.
    fn calling(o: &Orchestrator, id: u32) -> Option<(Step, u32)> {
        let saga = o.sagas.get(&id)?;
        match saga.phase {
            Phase::Calling(s) => Some((s, saga.attempt)),
            _ => None,
        }
    }

    fn orchestrator_message(&self, o: &mut Orchestrator, msg: Msg, ctx: &mut Cx<'_>) {
        match msg {
            Msg::Reply { order, step, ok } => {
                if let Some((s, attempt)) = Self::calling(o, order).filter(|c| c.0 == step) {
                    ctx.cancel_timer(Timer::CallTimeout(order, s, attempt));
                    let outcome = if ok { Outcome::Ok } else { Outcome::Failed };
                    self.outcome(o, order, step, outcome, ctx);
                }
            }
            Msg::Undone { order, step } => {
                if let Some((s, attempt)) = Self::compensating(o, order).filter(|c| c.0 == step) {
                    ctx.cancel_timer(Timer::CompensationTimeout(order, s, attempt));
                    self.compensation_done(o, order, step, ctx);
                }
            }
            _ => {}
        }
    }

    fn orchestrator_timer(&self, o: &mut Orchestrator, timer: Timer, ctx: &mut Cx<'_>) {
        match timer {
            Timer::NextOrder => self.begin_next(o, ctx),
            Timer::CallTimeout(id, step, attempt) => {
                if Self::calling(o, id) == Some((step, attempt)) {
                    self.outcome(o, id, step, Outcome::Timeout, ctx);
                }
            }
            Timer::CompensationTimeout(id, step, attempt) => {
                if Self::compensating(o, id) != Some((step, attempt)) {
                    return;
                }
                if self.hooks.retry_compensation(step, attempt) {
                    self.compensate(o, id, attempt + 1, ctx);
                } else {
                    ctx.note(Note::GaveUp(id, step));
                    self.compensation_done(o, id, step, ctx);
                }
            }
            Timer::Booked(_) => {}
        }
    }

    /// A restarted orchestrator resumes the sagas `recover` names from its log: one that was
    /// compensating goes on with the compensations not yet done; one that was calling a step
    /// cannot know whether the call arrived, so that call counts as timed out.
    fn resume(&self, o: &mut Orchestrator, ctx: &mut Cx<'_>) {
        let mut orders = self.hooks.recover(&o.log);
        orders.dedup();
        ctx.note(Note::Resumed(orders.clone()));
        for id in orders {
            let Some(order) = self.order(id) else {
                continue;
            };
            let records: Vec<Record> = o.log.iter().filter(|r| r.order() == id).copied().collect();
            if !records.contains(&Record::Begin(id))
                || records.iter().any(|r| matches!(r, Record::End(..)))
                || o.sagas.contains_key(&id)
            {
                continue;
            }
            if records.contains(&Record::Compensating(id)) {
                let mut plan = self.hooks.compensations(&registered(&o.log, id));
                for r in &records {
                    if let Record::Undone(_, s) = r {
                        if let Some(i) = plan.iter().position(|p| p == s) {
                            plan.remove(i);
                        }
                    }
                }
                o.sagas.insert(
                    id,
                    Saga {
                        order,
                        phase: Phase::Compensating {
                            plan: Vec::new(),
                            next: 0,
                        },
                        attempt: 1,
                    },
                );
                self.start_compensations(o, id, plan, ctx);
                continue;
            }
            let current = Step::ALL
                .into_iter()
                .find(|s| !records.contains(&Record::Done(id, *s)));
            o.sagas.insert(
                id,
                Saga {
                    order,
                    phase: Phase::Calling(current.unwrap_or(Step::Shipping)),
                    attempt: 1,
                },
            );
            match current {
                Some(step) => self.outcome(o, id, step, Outcome::Timeout, ctx),
                None => Self::end(o, id, End::Completed, ctx),
            }
        }
    }

    // -----------------------------------------------------------------------------------
    // The services (n1..n3).

    /// Does the step for `order` if the service can; whether it did.
    fn apply(s: &mut Service, order: &Order, courier_up: bool) -> bool {
        let l = &mut s.ledger;
        if l.tombstones.contains(&order.id) {
            return false;
        }
        match s.step {
            Step::Payment => {
                let balance = &mut l.balances[order.customer - 1];
                if *balance < order.price {
                    return false;
                }
                *balance -= order.price;
                l.takings += order.price;
            }
            Step::Inventory => {
                let available = &mut l.available[order.item];
                if *available < order.quantity {
                    return false;
                }
                *available -= order.quantity;
                l.reserved.entry(order.id).or_insert((order.item, 0)).1 += order.quantity;
            }
            Step::Shipping => {
                if order.remote || !courier_up {
                    return false;
                }
                *l.shipments.entry(order.id).or_insert(0) += 1;
            }
        }
        *l.applied.entry(order.id).or_insert(0) += 1;
        true
    }

    /// Undoes what the step did for `order`, as a naive handler does: whatever the step did
    /// is undone again, however often it has been undone before. A compensation for a step
    /// never done leaves a tombstone, so that a late call is refused.
    fn undo(s: &mut Service, order: &Order) -> bool {
        let l = &mut s.ledger;
        if l.applied.get(&order.id).copied().unwrap_or(0) == 0 {
            l.tombstones.insert(order.id);
            return false;
        }
        match s.step {
            Step::Payment => {
                l.balances[order.customer - 1] += order.price;
                l.takings -= order.price;
            }
            Step::Inventory => {
                l.available[order.item] += order.quantity;
                if let Some(r) = l.reserved.get_mut(&order.id) {
                    r.1 = r.1.saturating_sub(order.quantity);
                    if r.1 == 0 {
                        l.reserved.remove(&order.id);
                    }
                }
            }
            Step::Shipping => {
                if let Some(n) = l.shipments.get_mut(&order.id) {
                    *n -= 1;
                    if *n == 0 {
                        l.shipments.remove(&order.id);
                    }
                }
            }
        }
        *l.undone.entry(order.id).or_insert(0) += 1;
        true
    }

    /// The stored answer to a key already seen, after noting the repeat.
    fn repeat(s: &Service, order: u32, key: &Key, ctx: &mut Cx<'_>) -> Option<Msg> {
        let k = key.as_ref()?;
        let answer = s.ledger.seen.get(k)?.clone();
        ctx.note(Note::Repeat(order, s.step, k.clone()));
        Some(answer)
    }

    fn service_message(s: &mut Service, msg: Msg, ctx: &mut Cx<'_>) {
        match msg {
            Msg::Call { order, step, key } if step == s.step => {
                if let Some(answer) = Self::repeat(s, order.id, &key, ctx) {
                    ctx.send(ORCHESTRATOR, answer);
                    return;
                }
                let ok = Self::apply(s, &order, ctx.option("courier") == "up");
                ctx.note(if ok {
                    Note::Applied(order.id, step)
                } else {
                    Note::Refused(order.id, step)
                });
                let answer = Msg::Reply {
                    order: order.id,
                    step,
                    ok,
                };
                if let Some(k) = key {
                    s.ledger.seen.insert(k, answer.clone());
                }
                ctx.persist(Durable::Ledger(s.ledger.clone()));
                if ok && step == Step::Shipping {
                    s.booking.push((order.id, answer));
                    ctx.set_timer(Timer::Booked(order.id), SHIP_WORK_TICKS);
                } else {
                    ctx.send(ORCHESTRATOR, answer);
                }
            }
            Msg::Compensate { order, step, key } if step == s.step => {
                if let Some(answer) = Self::repeat(s, order.id, &key, ctx) {
                    ctx.send(ORCHESTRATOR, answer);
                    return;
                }
                if Self::undo(s, &order) {
                    ctx.note(Note::Compensated(order.id, step));
                } else {
                    ctx.note(Note::Tombstone(order.id, step));
                }
                let answer = Msg::Undone {
                    order: order.id,
                    step,
                };
                if let Some(k) = key {
                    s.ledger.seen.insert(k, answer.clone());
                }
                ctx.persist(Durable::Ledger(s.ledger.clone()));
                ctx.send(ORCHESTRATOR, answer);
            }
            _ => {}
        }
    }

    fn service_timer(s: &mut Service, timer: Timer, ctx: &mut Cx<'_>) {
        if let Timer::Booked(id) = timer {
            let (done, waiting): (Vec<_>, Vec<_>) =
                s.booking.drain(..).partition(|(o, _)| *o == id);
            s.booking = waiting;
            for (_, answer) in done {
                ctx.send(ORCHESTRATOR, answer);
            }
        }
    }
}

impl Protocol for Shop {
    type Msg = Msg;
    type Timer = Timer;
    type Note = Note;
    type Request = NoRequest;
    type Reply = NoRequest;
    type State = State;
    type Durable = Durable;

    fn options(&self) -> &'static [ProtocolOption] {
        OPTIONS
    }

    fn on_start(&self, restored: Option<&Durable>, ctx: &mut Ctx<'_, Self>) -> State {
        if ctx.id() == ORCHESTRATOR {
            let log = match restored {
                Some(Durable::Log(log)) => log.clone(),
                _ => Vec::new(),
            };
            let begun = log.iter().filter(|r| matches!(r, Record::Begin(_))).count();
            let mut o = Orchestrator {
                log,
                sagas: Default::default(),
                begun,
            };
            if restored.is_some() {
                self.resume(&mut o, ctx);
            }
            if o.begun < self.workload.len() {
                let first = if restored.is_some() {
                    ORDER_SPACING_TICKS
                } else {
                    FIRST_ORDER_TICKS
                };
                ctx.set_timer(Timer::NextOrder, first);
            }
            return State::Orchestrator(o);
        }
        let step = Step::of_service(ctx.id()).unwrap_or(Step::Shipping);
        let ledger = match restored {
            Some(Durable::Ledger(l)) => l.clone(),
            _ => opening(step),
        };
        // A booking in progress is lost with the memory; the shipment is on disk, its answer
        // is not sent, and the orchestrator's call times out.
        State::Service(Service {
            step,
            ledger,
            booking: Vec::new(),
        })
    }

    fn on_message(&self, state: &mut State, _from: NodeId, msg: Msg, ctx: &mut Ctx<'_, Self>) {
        match state {
            State::Orchestrator(o) => self.orchestrator_message(o, msg, ctx),
            State::Service(s) => Self::service_message(s, msg, ctx),
        }
    }

    fn on_timer(&self, state: &mut State, timer: Timer, ctx: &mut Ctx<'_, Self>) {
        match state {
            State::Orchestrator(o) => self.orchestrator_timer(o, timer, ctx),
            State::Service(s) => Self::service_timer(s, timer, ctx),
        }
    }

    fn on_client_request(&self, _state: &mut State, request: NoRequest, _ctx: &mut Ctx<'_, Self>) {
        match request {}
    }

    fn parse_request(&self, text: &str) -> Result<NoRequest, String> {
        Err(format!(
            "'{text}': the orchestrator runs the store's own orders; it takes no requests"
        ))
    }

    fn message_kinds(&self) -> &'static [MessageKind] {
        &[
            MessageKind {
                name: "Call",
                reply: false,
                meaning: "the orchestrator asks a service to do a step (charge, reserve, book)",
            },
            MessageKind {
                name: "Reply",
                reply: true,
                meaning: "the service did the step, or refused it",
            },
            MessageKind {
                name: "Compensate",
                reply: false,
                meaning: "the orchestrator asks a service to undo a step (refund, restock, cancel)",
            },
            MessageKind {
                name: "Undone",
                reply: true,
                meaning: "the service undid the step (or left a tombstone: it never did it)",
            },
        ]
    }

    fn view(&self, node: NodeId, state: &State) -> NodeView {
        view::node_view(node, state)
    }

    fn panels(&self, world: &WorldRef<'_, Self>) -> Vec<crate::sim::panel::Panel> {
        view::panels(self, world)
    }
}
