//! What the view draws: every order's saga step by step (pending, done, failed, timed out,
//! compensating, compensated), the services' ledgers with the stock a semantic lock holds
//! PENDING, and the counters: completed, compensated, open, money and stock accounted for.

use super::node::{registered, Shop};
use super::properties::{ended, ledger, not_all_or_nothing, saga_log};
use super::types::*;
use crate::sim::panel::{Cell, Grid, GridRow, Panel};
use crate::sim::protocol::{Emphasis, NodeId, NodeView};
use crate::sim::world::{Status, WorldRef};

/// Cell colour groups.
const DONE: u32 = 1;
const WAITING: u32 = 2;
const WRONG: u32 = 3;
const UNDONE: u32 = 4;

/// A node in the cluster drawing.
pub fn node_view(_node: NodeId, state: &State) -> NodeView {
    match state {
        State::Orchestrator(o) => {
            let open = o
                .sagas
                .values()
                .filter(|s| !matches!(s.phase, Phase::Ended(_)))
                .count();
            let count = |e: End| {
                o.log
                    .iter()
                    .filter(|r| matches!(r, Record::End(_, x) if *x == e))
                    .count()
            };
            NodeView::new("orchestrator")
                .emphasis(Emphasis::Lead)
                .field("open sagas", open)
                .field("completed", count(End::Completed))
                .field("compensated", count(End::Compensated))
                .field("log records", o.log.len())
        }
        State::Service(s) => {
            let l = &s.ledger;
            let v = NodeView::new(s.step.name());
            match s.step {
                Step::Payment => v
                    .field("balances", format!("{:?}", l.balances))
                    .field("takings", l.takings),
                Step::Inventory => v
                    .field("available", format!("{:?}", l.available))
                    .field("reservations", l.reserved.len()),
                Step::Shipping => v
                    .field("shipments", l.shipments.values().sum::<u32>())
                    .field("booking", s.booking.len()),
            }
            .field("keys seen", l.seen.len())
            .field("tombstones", l.tombstones.len())
        }
    }
}

fn cell(text: impl Into<String>, detail: impl Into<String>, group: u32) -> Cell {
    Cell {
        text: text.into(),
        detail: detail.into(),
        group,
    }
}

fn row(label: impl Into<String>, note: String, cells: Vec<Cell>, down: bool) -> GridRow {
    GridRow {
        label: label.into(),
        note,
        cells,
        marked_below: 0,
        down,
    }
}

/// The state of one step of a saga, from the saga log and the orchestrator's memory.
fn step_cell(log: &[Record], saga: Option<&Saga>, order: u32, step: Step) -> Cell {
    let has = |r: Record| log.contains(&r);
    let plan_has = matches!(saga.map(|s| &s.phase), Some(Phase::Compensating { plan, .. }) if plan.contains(&step));
    let registered = registered(log, order).contains(&step);
    let reg = if registered {
        " · compensation registered"
    } else {
        ""
    };
    if has(Record::Undone(order, step)) {
        return cell("compensated", format!("{} done{reg}", step.undo()), UNDONE);
    }
    if plan_has || (has(Record::Compensating(order)) && registered && saga.is_none()) {
        return cell(
            "compensating",
            format!("{} in progress{reg}", step.undo()),
            WRONG,
        );
    }
    if has(Record::Done(order, step)) {
        return cell("done", format!("{} done{reg}", step.verb()), DONE);
    }
    match saga.map(|s| &s.phase) {
        Some(Phase::Calling(s)) if *s == step => cell(
            "pending",
            format!(
                "{} called, attempt {}{reg}",
                step.verb(),
                saga.map_or(1, |s| s.attempt)
            ),
            WAITING,
        ),
        _ if has(Record::Compensating(order)) && step_reached(log, order, step) => cell(
            "failed",
            format!("{} refused or unanswered{reg}", step.verb()),
            WRONG,
        ),
        _ => cell("—", format!("{} not called", step.verb()), 0),
    }
}

/// Whether the saga got as far as calling `step` (the one after the last done, or a
/// registered one).
fn step_reached(log: &[Record], order: u32, step: Step) -> bool {
    let first_not_done = Step::ALL
        .into_iter()
        .find(|s| !log.contains(&Record::Done(order, *s)));
    first_not_done == Some(step) || registered(log, order).contains(&step)
}

/// One row per order begun: its three steps, and how it stands.
pub fn sagas_panel(shop: &Shop, w: &WorldRef<'_, Shop>) -> Grid {
    let log = saga_log(w);
    let memory = match w.state(ORCHESTRATOR) {
        Some(State::Orchestrator(o)) if w.status(ORCHESTRATOR) == Status::Up => Some(o),
        _ => None,
    };
    let rows = shop
        .workload
        .iter()
        .filter(|o| log.contains(&Record::Begin(o.id)))
        .map(|order| {
            let saga = memory.and_then(|m| m.sagas.get(&order.id));
            let status = match ended(log, order.id) {
                Some(End::Completed) => "completed".to_string(),
                Some(End::Compensated) => "compensated".to_string(),
                None if log.contains(&Record::Compensating(order.id)) => "compensating".to_string(),
                None if memory.is_some() && saga.is_none() => "STUCK: not resumed".to_string(),
                None => "running".to_string(),
            };
            let cells = Step::ALL
                .into_iter()
                .map(|s| step_cell(log, saga, order.id, s))
                .collect();
            row(
                format!("o{}", order.id),
                // The row's label already names the order.
                format!(
                    "{} · {status}",
                    order
                        .describe()
                        .split_once(": ")
                        .map_or_else(|| order.describe(), |(_, what)| what.to_string())
                ),
                cells,
                false,
            )
        })
        .collect();
    Grid {
        title: "Sagas".into(),
        column_label: "step".into(),
        first_column: 0,
        legend: "Columns: payment, inventory, shipping. pending: called, no answer yet; done; \
                 failed: refused or timed out; compensating: its undo is in progress; \
                 compensated: undone. A registered compensation is in n0's saga log before the \
                 call leaves."
            .into(),
        rows,
    }
}

/// The services' ledgers: balances, stock with its PENDING reservations, shipments.
pub fn services_panel(w: &WorldRef<'_, Shop>) -> Grid {
    let log = saga_log(w);
    let down = |n: NodeId| w.status(n) == Status::Down;
    let pay = ledger(w, Step::Payment);
    let mut pay_cells: Vec<Cell> = pay
        .balances
        .iter()
        .enumerate()
        .map(|(i, b)| {
            cell(
                format!("c{} {b}", i + 1),
                format!("c{}'s balance", i + 1),
                DONE,
            )
        })
        .collect();
    pay_cells.push(cell(
        format!("shop {}", pay.takings),
        "the shop's takings",
        if pay.takings < 0 { WRONG } else { DONE },
    ));
    let inv = ledger(w, Step::Inventory);
    let mut inv_cells: Vec<Cell> = ITEMS
        .iter()
        .zip(&inv.available)
        .map(|((name, _), n)| {
            cell(
                format!("{name} {n}"),
                format!("{name}: {n} available"),
                DONE,
            )
        })
        .collect();
    for (order, (item, units)) in &inv.reserved {
        let (state, group) = match ended(log, *order) {
            Some(End::Completed) => ("SOLD", DONE),
            Some(End::Compensated) => ("held after compensation", WRONG),
            None => ("PENDING", WAITING),
        };
        inv_cells.push(cell(
            format!("o{order} {state}"),
            format!(
                "{units} {} reserved for o{order}: {state}; no other order can take them",
                ITEMS[*item].0
            ),
            group,
        ));
    }
    let ship = ledger(w, Step::Shipping);
    let ship_cells = ship
        .shipments
        .iter()
        .map(|(o, n)| {
            let wrong = *n > 1 || ended(log, *o) == Some(End::Compensated);
            cell(
                format!("o{o}{}", if *n > 1 { " ×2" } else { "" }),
                format!("{n} shipment(s) booked for o{o}"),
                if wrong { WRONG } else { DONE },
            )
        })
        .collect();
    let tomb = |l: &Ledger| {
        if l.tombstones.is_empty() {
            String::new()
        } else {
            let t: Vec<String> = l.tombstones.iter().map(|o| format!("o{o}")).collect();
            format!(" · tombstones {}", t.join(", "))
        }
    };
    Grid {
        title: "Services".into(),
        column_label: String::new(),
        first_column: 0,
        legend: "n1's balances and the shop's takings; n2's stock available and its \
                 reservations (PENDING while the saga runs: a semantic lock; SOLD once it \
                 completed); n3's shipments. A tombstone is a compensation that found nothing \
                 to undo: the late call is refused."
            .into(),
        rows: vec![
            row(
                "n1 payment",
                format!("{} keys{}", pay.seen.len(), tomb(&pay)),
                pay_cells,
                down(PAYMENT),
            ),
            row(
                "n2 inventory",
                format!("{} keys{}", inv.seen.len(), tomb(&inv)),
                inv_cells,
                down(INVENTORY),
            ),
            row(
                "n3 shipping",
                format!("{} keys{}", ship.seen.len(), tomb(&ship)),
                ship_cells,
                down(SHIPPING),
            ),
        ],
    }
}

/// The counters.
pub fn counters_panel(shop: &Shop, w: &WorldRef<'_, Shop>) -> Grid {
    let log = saga_log(w);
    let count = |e: End| {
        shop.workload
            .iter()
            .filter(|o| ended(log, o.id) == Some(e))
            .count()
    };
    let begun = shop
        .workload
        .iter()
        .filter(|o| log.contains(&Record::Begin(o.id)))
        .count();
    let memory = match w.state(ORCHESTRATOR) {
        Some(State::Orchestrator(o)) if w.status(ORCHESTRATOR) == Status::Up => Some(o),
        _ => None,
    };
    let stuck: Vec<String> = shop
        .workload
        .iter()
        .filter(|o| log.contains(&Record::Begin(o.id)) && ended(log, o.id).is_none())
        .filter(|o| memory.is_some_and(|m| !m.sagas.contains_key(&o.id)))
        .map(|o| format!("o{}", o.id))
        .collect();
    let completed = count(End::Completed);
    let compensated = count(End::Compensated);
    let pay = ledger(w, Step::Payment);
    let money = pay.balances.iter().sum::<i64>() + pay.takings;
    let inv = ledger(w, Step::Inventory);
    let stock = inv.available.iter().sum::<u32>() + inv.reserved.values().map(|r| r.1).sum::<u32>();
    let opening_stock: u32 = ITEMS.iter().map(|(_, n)| n).sum();
    let wrong = not_all_or_nothing(w);
    let summary = |label: &str, note: String| row(label, note, Vec::new(), false);
    Grid {
        title: "Orders".into(),
        column_label: String::new(),
        first_column: 0,
        legend: "Every order ends completed (charged, reserved, shipped once) or compensated \
                 (every effect undone). Open: begun, not ended; stuck: open, and the running \
                 orchestrator has no saga for it."
            .into(),
        rows: vec![
            summary("completed", completed.to_string()),
            summary("compensated", compensated.to_string()),
            summary("open", (begun - completed - compensated).to_string()),
            summary(
                "stuck",
                if stuck.is_empty() {
                    "none".to_string()
                } else {
                    format!(
                        "{} · {} (begun, not resumed after a restart)",
                        stuck.len(),
                        stuck.join(", ")
                    )
                },
            ),
            summary(
                "money",
                format!(
                    "customers {} + takings {} = {money}",
                    pay.balances.iter().sum::<i64>(),
                    pay.takings
                ),
            ),
            summary(
                "stock",
                format!("{stock} of {opening_stock} units on hand or reserved"),
            ),
            summary(
                "all or nothing",
                if wrong.is_empty() {
                    "every ended order".to_string()
                } else {
                    format!("NO: {}", wrong.join("; "))
                },
            ),
        ],
    }
}

/// The three panels.
pub fn panels(shop: &Shop, w: &WorldRef<'_, Shop>) -> Vec<Panel> {
    vec![
        Panel::Grid(sagas_panel(shop, w)),
        Panel::Grid(services_panel(w)),
        Panel::Grid(counters_panel(shop, w)),
    ]
}
