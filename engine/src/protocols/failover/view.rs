//! What the view draws for the leader-follower store: each replica's log with its lag behind
//! the leader, and the acknowledged writes with those that were lost.

use super::*;
use crate::sim::panel::{Cell, Grid, GridRow, Panel};

/// Most log entries drawn per replica (the latest ones).
const ENTRIES_MAX: usize = 24;

/// A node in the cluster drawing.
pub fn node_view(node: NodeId, state: &State) -> NodeView {
    match state {
        State::Replica(r) => {
            let role = match r.role {
                Role::Leader => "leader",
                Role::Follower => "follower",
            };
            NodeView::new(role)
                .badge(format_args!("e{}", r.epoch))
                .field("epoch", r.epoch)
                .field("log", r.log.len())
                .field(
                    "follows",
                    r.leader
                        .map_or_else(|| "?".to_string(), |l| format!("n{l}")),
                )
                .field("awaiting acks", r.pending.len())
        }
        State::Client(c) => {
            let name = char::from(b'A' + (node.saturating_sub(REPLICAS) % 26) as u8);
            NodeView::new(format!("client {name}"))
                .field(
                    "writing",
                    c.current
                        .map_or_else(|| "—".to_string(), |w| format!("w{w}")),
                )
                .field("to", format!("n{}", c.leader))
                .field("acknowledged", c.acked)
        }
    }
}

/// How far `r` is behind the leader: entries it lacks, and how long ago (on the leader's
/// clock) the leader appended the first of them.
pub fn lag(r: &ReplicaState, leader: &ReplicaState, leader_now: u64) -> (usize, u64) {
    let held = leader
        .log
        .iter()
        .zip(&r.log)
        .take_while(|(a, b)| a == b)
        .count();
    let behind = leader.log.len() - held;
    let ticks = leader
        .log
        .get(held)
        .map_or(0, |e| leader_now.saturating_sub(e.at));
    (behind, ticks)
}

/// The two panels: logs, and acknowledged writes.
pub fn panels(w: &WorldRef<'_, Failover>) -> Vec<Panel> {
    let newest = newest_leader(w);
    let acked = acknowledged(w);
    let lost = lost(w);
    let longest = (0..REPLICAS)
        .filter_map(|n| match w.state(n) {
            Some(State::Replica(r)) => Some(r.log.len()),
            _ => None,
        })
        .max()
        .unwrap_or(0);
    let skip = longest.saturating_sub(ENTRIES_MAX);
    let rows = (0..REPLICAS)
        .map(|n| {
            let down = w.status(n) == Status::Down;
            let Some(State::Replica(r)) = w.state(n) else {
                return GridRow {
                    label: format!("n{n}"),
                    note: "down".into(),
                    cells: Vec::new(),
                    marked_below: 0,
                    down: true,
                };
            };
            let note = if down {
                "down".to_string()
            } else {
                match (r.role, newest) {
                    (Role::Leader, Some((l, _))) if l != n => {
                        format!("leader · epoch {} (deposed)", r.epoch)
                    }
                    (Role::Leader, _) => format!("leader · epoch {}", r.epoch),
                    (Role::Follower, Some((l, leader))) => {
                        let (behind, ticks) = lag(r, leader, w.local_time(l));
                        let of = match r.leader {
                            Some(f) => format!("follows n{f}"),
                            None => "no leader".to_string(),
                        };
                        if behind == 0 {
                            format!("{of} · in sync")
                        } else {
                            format!("{of} · {behind} behind ({ticks} ticks)")
                        }
                    }
                    (Role::Follower, None) => format!("follower · epoch {}", r.epoch),
                }
            };
            let history = newest.map(|(_, l)| &l.log);
            let cells: Vec<Cell> = r
                .log
                .iter()
                .skip(skip)
                .map(|e| {
                    let kept = history.is_none_or(|h| h.contains(e));
                    let survives = history.is_none_or(|h| h.iter().any(|x| x.write == e.write));
                    let status = match (acked.contains(&e.write), survives, kept) {
                        (true, false, _) => "acknowledged, lost",
                        (true, true, _) => "acknowledged",
                        (false, _, true) => "not acknowledged",
                        (false, _, false) => "not acknowledged, will be discarded",
                    };
                    Cell {
                        text: e.write.to_string(),
                        detail: format!("w{} · epoch {} · {status}", e.write, e.epoch),
                        group: e.epoch,
                    }
                })
                .collect();
            let kept = r
                .log
                .iter()
                .skip(skip)
                .take_while(|e| history.is_none_or(|h| h.contains(e)))
                .count();
            GridRow {
                label: format!("n{n}"),
                note,
                cells,
                marked_below: kept,
                down,
            }
        })
        .collect();
    let logs = Grid {
        title: "Logs".into(),
        column_label: "entry".into(),
        first_column: skip,
        legend: "One row per replica, one cell per write (w17 is 17); colour is the epoch of \
                 the leader that appended it. Solid cells are in the newest leader's log; a \
                 hollow cell will be discarded."
            .into(),
        rows,
    };
    let lost_note = if lost.is_empty() {
        "none".to_string()
    } else {
        format!("{} · {}", lost.len(), writes_list(&lost))
    };
    let leader_note = match newest {
        Some((l, r)) => format!("n{l} · epoch {}", r.epoch),
        None => "none up".to_string(),
    };
    let leaders = (0..REPLICAS)
        .filter(|&n| replica(w, n).is_some_and(|r| r.role == Role::Leader))
        .count();
    let summary_row = |label: &str, note: String| GridRow {
        label: label.into(),
        note,
        cells: Vec::new(),
        marked_below: 0,
        down: false,
    };
    let summary = Grid {
        title: "Acknowledged writes".into(),
        column_label: String::new(),
        first_column: 0,
        legend: "A write is lost when a client was told it succeeded and the newest leader's \
                 log does not have it."
            .into(),
        rows: vec![
            summary_row("leader", leader_note),
            summary_row(
                "leaders up",
                if leaders > 1 {
                    format!("{leaders} · split brain")
                } else {
                    leaders.to_string()
                },
            ),
            summary_row("acknowledged", acked.len().to_string()),
            summary_row("lost", lost_note),
        ],
    };
    vec![Panel::Grid(logs), Panel::Grid(summary)]
}
