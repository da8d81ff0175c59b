//! What the view shows of the multi-leader store: each node's state, every replica's versions
//! of the cart (siblings side by side), and the counters that tell the story — writes
//! acknowledged, updates lost, siblings now, merges done.

use super::properties::{acked_adds, missing_now, siblings_of};
use super::versions::{dc_name, show_cart, Resolve, Version};
use super::*;
use crate::sim::panel::{Cell, Grid, GridRow, Panel};
use crate::sim::world::{Status, WorldRef};

/// Colour group of a lost item's cell (the palette's warning tone).
const LOST_GROUP: u32 = 6;

/// The inspector's fields for one node.
pub fn node_view(node: NodeId, state: &State) -> NodeView {
    match state {
        State::Leader(r) => NodeView::new(format!("leader {}", dc_name(node)))
            .field("siblings", r.siblings.len())
            .field(
                "versions",
                r.siblings
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join(" | "),
            )
            .field("writes accepted", r.counter),
        State::Client(c) => {
            let running = c.running.as_ref().map_or_else(
                || "—".to_string(),
                |r| {
                    let phase = if r.wrote.is_some() {
                        "writing"
                    } else {
                        "reading"
                    };
                    format!("op {}: {} ({phase})", r.op, r.request)
                },
            );
            NodeView::new(format!("client {}", client_dc(node)))
                .field("running", running)
                .field("queued", c.queue.len())
                .field("leader", format!("n{}", home(node)))
        }
    }
}

/// One version as a cell: its vector (or, under `lww`, its timestamp) and its items; coloured
/// by the datacenter that wrote it.
fn version_cell(v: &Version, rule: Resolve) -> Cell {
    let items: Vec<&str> = v.cart.iter().map(String::as_str).collect();
    let order = match rule {
        Resolve::Vectors => v.vv.short(),
        Resolve::Lww => format!("@{}", v.stamp.wall),
    };
    Cell {
        text: format!("{order} {}", items.join(",")),
        detail: format!(
            "{} {} · written at {}, its clock reading {}",
            v.vv,
            show_cart(&v.cart),
            dc_name(v.stamp.dc),
            v.stamp.wall
        ),
        group: u32::from(v.stamp.dc) + 1,
    }
}

fn rule_of(w: &WorldRef<'_, MultiLeader>) -> Resolve {
    match w.option("resolve") {
        Some("vectors") => Resolve::Vectors,
        _ => Resolve::Lww,
    }
}

/// The versions grid: one row per replica, one cell per sibling.
pub fn versions_grid(w: &WorldRef<'_, MultiLeader>) -> Grid {
    let rule = rule_of(w);
    let rows = (0..LEADERS)
        .map(|n| {
            let siblings = siblings_of(w, n);
            let down = w.status(n) == Status::Down;
            let note = match (down, siblings.len()) {
                (true, _) => "down".to_string(),
                (false, 0) => "empty".to_string(),
                (false, 1) => "1 version".to_string(),
                (false, k) => format!("{k} siblings"),
            };
            GridRow {
                label: format!("{} n{n}", dc_name(n)),
                note,
                cells: siblings.iter().map(|v| version_cell(v, rule)).collect(),
                marked_below: 0,
                down,
            }
        })
        .collect();
    Grid {
        title: "Cart versions".into(),
        column_label: "version".into(),
        first_column: 0,
        legend: match rule {
            Resolve::Vectors => {
                "One row per replica, one cell per version it keeps: its vector (us·eu·ap) \
                 and items. Side by side: concurrent siblings. Colour: the datacenter that \
                 wrote it."
            }
            Resolve::Lww => {
                "One row per replica: the one version it keeps, with the wall-clock \
                 timestamp that won and its items. Colour: the datacenter that wrote it."
            }
        }
        .into(),
        rows,
    }
}

fn counter_row(label: &str, note: String, cells: Vec<Cell>) -> GridRow {
    GridRow {
        label: label.into(),
        note,
        cells,
        marked_below: 0,
        down: false,
    }
}

/// The counters: acknowledged writes, lost updates (each a cell), siblings now, merges.
pub fn counters_grid(w: &WorldRef<'_, MultiLeader>) -> Grid {
    let acked = acked_adds(w).len();
    let lost = missing_now(w);
    let siblings: Vec<usize> = (0..LEADERS).map(|n| siblings_of(w, n).len()).collect();
    let merges = w
        .observed()
        .iter()
        .filter(|o| matches!(o.note, Note::Merged { .. }))
        .count();
    let lost_cells = lost
        .iter()
        .map(|a| Cell {
            text: format!("{}@{}", a.item, dc_name(a.dc)),
            detail: format!("lost: {}, acknowledged at t={}", a.label(), a.at),
            group: LOST_GROUP,
        })
        .collect();
    let per_replica = siblings
        .iter()
        .enumerate()
        .map(|(n, k)| Cell {
            text: format!("{}:{k}", dc_name(n as NodeId)),
            detail: format!("{k} versions of the cart at {}", dc_name(n as NodeId)),
            group: n as u32 + 1,
        })
        .collect();
    let most = siblings.iter().copied().max().unwrap_or(0);
    Grid {
        title: "Counters".into(),
        column_label: "lost".into(),
        first_column: 0,
        legend: "Adds acknowledged to clients; lost: acknowledged adds whose item no replica \
                 holds now; the most siblings any replica keeps (and each replica's count); \
                 merges of siblings clients have done."
            .into(),
        rows: vec![
            counter_row("acked", acked.to_string(), Vec::new()),
            counter_row("lost", lost.len().to_string(), lost_cells),
            counter_row("siblings", most.to_string(), per_replica),
            counter_row("merges", merges.to_string(), Vec::new()),
        ],
    }
}

/// The panels, versions first.
pub fn panels(w: &WorldRef<'_, MultiLeader>) -> Vec<Panel> {
    vec![Panel::Grid(versions_grid(w)), Panel::Grid(counters_grid(w))]
}
