//! What the view draws: every order's fate as counters with the orders named (lost,
//! duplicated, phantom), and the three tables that decide it: n0's outbox, the broker's queue
//! and the consumer's processed ids, with its shipments.

use super::properties::{order_db, queue, shipping_db};
use super::*;
use crate::sim::panel::{Cell, Grid, GridRow, Panel};

/// Most cells drawn per table (the latest ones).
const CELLS_MAX: usize = 32;

/// Cell colour groups.
const DONE: u32 = 1;
const WAITING: u32 = 2;
const WRONG: u32 = 3;

/// A node in the cluster drawing.
pub fn node_view(_node: NodeId, state: &State) -> NodeView {
    match state {
        State::Service(s) => NodeView::new("order service")
            .field("orders", s.db.orders.len())
            .field(
                "outbox unsent",
                s.db.outbox.iter().filter(|r| !r.sent).count(),
            )
            .field(
                "relay awaiting acks",
                orders_or_dash(s.in_flight.iter().map(|p| p.0)),
            )
            .field(
                "between two writes",
                orders_or_dash(
                    s.after_commit
                        .iter()
                        .chain(&s.before_commit)
                        .map(|p| p.event.order),
                ),
            ),
        State::Broker(b) => NodeView::new("broker")
            .field("queued", b.queue.len())
            .field("unacked", b.queue.iter().filter(|s| !s.acked).count())
            .field(
                "delivering",
                b.delivering
                    .map_or_else(|| "—".to_string(), |o| format!("#{o}")),
            ),
        State::Shipping(c) => NodeView::new("shipping")
            .field("shipments", c.db.shipments.len())
            .field("processed ids", c.db.processed.len())
            .field(
                "processing",
                orders_or_dash(c.inbox.iter().map(|d| d.event.order)),
            )
            .field(
                "committing",
                orders_or_dash(c.deferred.iter().map(|x| x.delivery.event.order)),
            ),
        State::Client(c) => NodeView::new("client")
            .field(
                "placing",
                c.current
                    .map_or_else(|| "—".to_string(), |o| format!("o{o}")),
            )
            .field("placed", c.placed)
            .field("accepted", c.accepted)
            .field("gave up", c.gave_up),
    }
}

fn orders_or_dash(orders: impl Iterator<Item = u32>) -> String {
    let orders: Vec<u32> = orders.collect();
    if orders.is_empty() {
        "—".to_string()
    } else {
        orders_list(&orders)
    }
}

/// `2 · o4, o7`, or `none`.
fn counted(orders: &[u32]) -> String {
    if orders.is_empty() {
        "none".to_string()
    } else {
        format!("{} · {}", orders.len(), orders_list(orders))
    }
}

fn row(label: &str, note: String, cells: Vec<Cell>, down: bool) -> GridRow {
    GridRow {
        label: label.into(),
        note,
        cells,
        marked_below: 0,
        down,
    }
}

fn cell(text: String, detail: String, group: u32) -> Cell {
    Cell {
        text,
        detail,
        group,
    }
}

/// The counters: what was committed, published and shipped, and what went wrong, by order.
pub fn events_panel(a: &Audit) -> Grid {
    let summary = |label: &str, note: String| row(label, note, Vec::new(), false);
    let problems = [&a.lost, &a.duplicated, &a.phantom, &a.out_of_order];
    let line = if problems.iter().all(|p| p.is_empty()) {
        "nothing lost, duplicated or invented".to_string()
    } else {
        let mut parts = Vec::new();
        for (name, orders) in [
            ("lost", &a.lost),
            ("duplicated", &a.duplicated),
            ("phantom", &a.phantom),
            ("out of order", &a.out_of_order),
        ] {
            if !orders.is_empty() {
                parts.push(format!("{name}: {}", orders_list(orders)));
            }
        }
        parts.join(" · ")
    };
    Grid {
        title: "Events".into(),
        column_label: String::new(),
        first_column: 0,
        legend: "Every committed order must be shipped exactly once. Lost: committed, not \
                 shipped, and no outbox row, queued message, message on the wire or service \
                 memory will ever ship it; in flight: not shipped yet, but on its way; phantom: \
                 shipped, never committed."
            .into(),
        rows: vec![
            summary("orders committed", a.committed.len().to_string()),
            summary("events published", a.published.to_string()),
            summary("shipments", a.shipments.to_string()),
            summary("in flight", counted(&a.in_flight)),
            summary("LOST", counted(&a.lost)),
            summary("DUPLICATED", counted(&a.duplicated)),
            summary("PHANTOM", counted(&a.phantom)),
            summary("out of order", counted(&a.out_of_order)),
            summary("in short", line),
        ],
    }
}

/// The three tables: n0's outbox, the broker's queue, n2's processed ids and its shipments.
pub fn tables_panel(w: &WorldRef<'_, Outbox>, a: &Audit) -> Grid {
    let down = |n: NodeId| w.status(n) == crate::sim::world::Status::Down;
    let outbox: &[OutboxRow] = order_db(w).map_or(&[], |db| &db.outbox);
    let outbox_cells = outbox
        .iter()
        .map(|r| {
            let (state, group) = if r.sent {
                ("sent", DONE)
            } else {
                ("unsent", WAITING)
            };
            cell(
                format!("o{}", r.event.order),
                format!("{} for c{} · {state}", r.event, r.event.customer),
                group,
            )
        })
        .collect();
    let unsent = outbox.iter().filter(|r| !r.sent).count();
    let outbox_note = if outbox.is_empty() {
        "outbox · empty".to_string()
    } else {
        format!("outbox · {} rows, {unsent} unsent", outbox.len())
    };
    let q = queue(w);
    let mut seen: Vec<u32> = Vec::new();
    let queue_cells = q
        .iter()
        .map(|s| {
            let repeat = seen.contains(&s.event.order);
            seen.push(s.event.order);
            let group = match (s.acked, repeat) {
                (_, true) => WRONG,
                (true, false) => DONE,
                (false, false) => WAITING,
            };
            let state = if s.acked { "acked" } else { "unacked" };
            let again = if repeat { " · published again" } else { "" };
            cell(
                format!("o{}", s.event.order),
                format!("#{} · {} · {state}{again}", s.offset, s.event),
                group,
            )
        })
        .collect();
    let unacked = q.iter().filter(|s| !s.acked).count();
    let db = shipping_db(w);
    let processed: &[Key] = db.map_or(&[], |db| &db.processed);
    let processed_cells = processed
        .iter()
        .map(|k| cell(k.to_string(), format!("processed id {k}"), DONE))
        .collect();
    let shipments: &[Shipment] = db.map_or(&[], |db| &db.shipments);
    let mut shipped: Vec<u32> = Vec::new();
    let shipment_cells = shipments
        .iter()
        .map(|s| {
            let repeat = shipped.contains(&s.order);
            shipped.push(s.order);
            let wrong = repeat || a.phantom.contains(&s.order) || a.out_of_order.contains(&s.order);
            let why = if repeat {
                " · DUPLICATE"
            } else if a.phantom.contains(&s.order) {
                " · PHANTOM: never committed"
            } else if a.out_of_order.contains(&s.order) {
                " · after a later order of its customer"
            } else {
                ""
            };
            cell(
                format!("o{}", s.order),
                format!(
                    "shipment of o{} for c{} from #{}{why}",
                    s.order, s.customer, s.offset
                ),
                if wrong { WRONG } else { DONE },
            )
        })
        .collect();
    let rows = vec![
        row("n0 outbox", outbox_note, outbox_cells, down(SERVICE)),
        row(
            "n1 queue",
            format!("queue · {} messages, {unacked} unacked", q.len()),
            queue_cells,
            down(BROKER),
        ),
        row(
            "n2 processed",
            format!("processed ids · {}", processed.len()),
            processed_cells,
            down(SHIPPING),
        ),
        row(
            "n2 shipments",
            format!("shipments · {}", shipments.len()),
            shipment_cells,
            down(SHIPPING),
        ),
    ];
    // A long run shows every table's latest rows, from one column on.
    let longest = rows.iter().map(|r| r.cells.len()).max().unwrap_or(0);
    let skip = longest.saturating_sub(CELLS_MAX);
    let rows = rows
        .into_iter()
        .map(|mut r| {
            r.cells = r.cells.into_iter().skip(skip).collect();
            r
        })
        .collect();
    Grid {
        title: "Tables".into(),
        column_label: "row".into(),
        first_column: skip,
        legend: "n0's outbox rows (sent or not), the broker's queue (acknowledged by the \
                 consumer or not; a repeat is an event published again), the consumer's \
                 processed ids and its shipments (a repeat is a duplicate effect)."
            .into(),
        rows,
    }
}

/// The two panels.
pub fn panels(w: &WorldRef<'_, Outbox>) -> Vec<Panel> {
    let a = audit(w);
    vec![
        Panel::Grid(events_panel(&a)),
        Panel::Grid(tables_panel(w, &a)),
    ]
}
