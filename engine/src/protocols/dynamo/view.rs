//! What the view shows of the leaderless store: each node's inspector fields; the versions
//! every storage node holds per key (stale ones in a warning tone) with its hints; the last
//! anti-entropy exchange as a tree; and the run's counters.

use super::merkle::{Trail, LEVELS};
use super::properties::{stored, Freshness};
use super::ring::is_home;
use super::types::{client_name, Hint, Note, OpKind, State, Version};
use super::{quorums, Dynamo, KEYS, STORAGE};
use crate::sim::panel::{Cell, Grid, GridRow, Panel};
use crate::sim::protocol::{NodeId, NodeView};
use crate::sim::world::{Status, WorldRef};

/// Colour group of a key a node is not home to.
pub const GROUP_AWAY: u32 = 0;
/// Colour group of a home replica that holds the newest version stored anywhere.
pub const GROUP_CURRENT: u32 = 3;
/// Colour group of a home replica behind the newest version (the warning tone).
pub const GROUP_STALE: u32 = 6;
/// Colour group of a range anti-entropy found equal.
pub const GROUP_EQUAL: u32 = 3;
/// Colour group of a range anti-entropy found different.
pub const GROUP_DIFFERS: u32 = 6;

fn hints_text(hints: &[Hint]) -> String {
    let held: Vec<String> = hints
        .iter()
        .map(|h| format!("k{} {} for n{}", h.key, h.version, h.for_node))
        .collect();
    if held.is_empty() {
        "—".to_string()
    } else {
        held.join(", ")
    }
}

/// The inspector's fields for one node.
pub fn node_view(node: NodeId, state: &State) -> NodeView {
    match state {
        State::Storage(s) => NodeView::new("storage")
            .field(
                "keys held",
                s.store.iter().filter(|v| v.is_written()).count(),
            )
            .field("hints", hints_text(&s.hints))
            .field("anti-entropy rounds", s.rounds),
        State::Client(c) => {
            let running: Vec<String> = c
                .ops
                .iter()
                .filter(|o| !o.done)
                .map(|o| match o.kind {
                    OpKind::Put(v) => format!("op {}: put k{} {v}", o.id, o.key),
                    OpKind::Get => format!("op {}: get k{}", o.id, o.key),
                })
                .collect();
            NodeView::new(format!("client {}", client_name(node)))
                .field(
                    "running",
                    if running.is_empty() {
                        "—".to_string()
                    } else {
                        running.join("; ")
                    },
                )
                .field("lamport", c.lamport)
        }
    }
}

/// The newest version of each key stored on any storage node or held in a hint.
fn newest(world: &WorldRef<'_, Dynamo>) -> Vec<Version> {
    let mut newest = vec![Version::default(); usize::from(KEYS)];
    for node in 0..STORAGE {
        for (k, v) in stored(world, node).0.iter().enumerate() {
            newest[k] = newest[k].max(*v);
        }
        if let Some(State::Storage(s)) = world.state(node) {
            for h in &s.hints {
                let slot = &mut newest[usize::from(h.key) - 1];
                *slot = (*slot).max(h.version);
            }
        }
    }
    newest
}

fn replicas_grid(world: &WorldRef<'_, Dynamo>) -> Grid {
    let n = quorums(|name| world.option(name).unwrap_or("1")).n;
    let newest = newest(world);
    let rows = (0..STORAGE)
        .map(|node| {
            let (store, _) = stored(world, node);
            let hints = match world.state(node) {
                Some(State::Storage(s)) => hints_text(&s.hints),
                _ => "—".to_string(),
            };
            let cells = (1..=KEYS)
                .map(|k| {
                    let v = store[usize::from(k) - 1];
                    let home = is_home(node, k, n);
                    let group = match (home, v < newest[usize::from(k) - 1]) {
                        (false, _) => GROUP_AWAY,
                        (true, true) => GROUP_STALE,
                        (true, false) => GROUP_CURRENT,
                    };
                    let role = if home { "home" } else { "not a home" };
                    Cell {
                        text: v.short(),
                        detail: format!(
                            "k{k} on n{node} ({role}): {v}; newest anywhere {}",
                            newest[usize::from(k) - 1]
                        ),
                        group,
                    }
                })
                .collect();
            GridRow {
                label: format!("n{node}"),
                note: format!("hints: {hints}"),
                cells,
                marked_below: 0,
                down: world.status(node) == Status::Down,
            }
        })
        .collect();
    Grid {
        title: "Replicas".to_string(),
        column_label: "key".to_string(),
        first_column: 0,
        legend: format!(
            "The version each storage node holds per key (3A: Lamport counter 3, written by \
             client A). Green: a home node (one of the key's N={n}) with the newest version \
             stored anywhere; orange: a home node behind it; grey: not a home. Hints are \
             writes a fallback holds for a home node until it hands them off."
        ),
        rows,
    }
}

fn tree_grid(trail: Option<(u64, Trail)>) -> Grid {
    let Some((at, trail)) = trail else {
        return Grid {
            title: "Anti-entropy: no exchange yet".to_string(),
            column_label: "range".to_string(),
            first_column: 0,
            legend: "Each round a storage node compares the keys it shares with a ring \
                     successor through a Merkle tree."
                .to_string(),
            rows: Vec::new(),
        };
    };
    let rows = (0..LEVELS)
        .map(|level| GridRow {
            label: if level == 0 {
                "root".to_string()
            } else {
                format!("level {level}")
            },
            note: format!("{} ranges", 1 << level),
            cells: (0..1usize << level)
                .map(|i| {
                    let (text, detail, group) =
                        match (trail.was_compared(level, i), trail.differed(level, i)) {
                            (false, _) => ("", "not compared: its parent was equal", GROUP_AWAY),
                            (true, false) => {
                                ("=", "hashes equal: the subtree is skipped", GROUP_EQUAL)
                            }
                            (true, true) => ("≠", "hashes differ: descend", GROUP_DIFFERS),
                        };
                    Cell {
                        text: text.to_string(),
                        detail: detail.to_string(),
                        group,
                    }
                })
                .collect(),
            marked_below: 0,
            down: false,
        })
        .collect();
    Grid {
        title: format!(
            "Anti-entropy n{} ↔ n{} at t={at}: hashes exchanged: {} vs keys: {}",
            trail.initiator, trail.peer, trail.hashes, trail.shared
        ),
        column_label: "range".to_string(),
        first_column: 0,
        legend: format!(
            "The last exchange, one row per tree level (leaves are ranges of keys in ring \
             order). Equal hashes end the descent; only differing ranges are opened. {} key \
             entries were sent, where comparing key by key would send all {} shared keys.",
            trail.keys_sent, trail.shared
        ),
        rows,
    }
}

/// The run's counters, from the observer's record.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counters {
    /// Gets that returned.
    pub reads: u32,
    /// Gets that returned less than an acknowledged write.
    pub stale_reads: u32,
    /// Puts acknowledged.
    pub puts_acked: u32,
    /// Writes stored as hints by fallbacks.
    pub hinted_writes: u32,
    /// Read repairs sent.
    pub repairs_sent: u32,
    /// Hints handed off to their home nodes.
    pub handoffs_done: u32,
}

/// The counters and the last anti-entropy exchange (with its true time) of a run so far.
pub fn counters(world: &WorldRef<'_, Dynamo>) -> (Counters, Option<(u64, Trail)>) {
    let mut c = Counters::default();
    let mut freshness = Freshness::new();
    let mut last = None;
    for o in world.observed() {
        if freshness.see(o.node, &o.note, o.t).is_some() {
            c.stale_reads += 1;
        }
        match &o.note {
            Note::PutOk { .. } => c.puts_acked += 1,
            Note::Hinted { .. } => c.hinted_writes += 1,
            Note::RepairSent { .. } => c.repairs_sent += 1,
            Note::HandedOff { .. } => c.handoffs_done += 1,
            Note::Exchanged(trail) => last = Some((o.t, *trail)),
            _ => {}
        }
    }
    c.reads = freshness.reads;
    (c, last)
}

fn counters_grid(c: Counters) -> Grid {
    let row = |label: &str, value: u32, group: u32| GridRow {
        label: label.to_string(),
        note: String::new(),
        cells: vec![Cell {
            text: value.to_string(),
            detail: label.to_string(),
            group,
        }],
        marked_below: 0,
        down: false,
    };
    let stale_group = if c.stale_reads > 0 {
        GROUP_STALE
    } else {
        GROUP_AWAY
    };
    Grid {
        title: "Counters".to_string(),
        column_label: "count".to_string(),
        first_column: 0,
        legend: "A stale read returned less than a put acknowledged before the get began."
            .to_string(),
        rows: vec![
            row("reads", c.reads, GROUP_AWAY),
            row("stale reads", c.stale_reads, stale_group),
            row("puts acknowledged", c.puts_acked, GROUP_AWAY),
            row("hinted writes", c.hinted_writes, GROUP_AWAY),
            row("repairs sent", c.repairs_sent, GROUP_AWAY),
            row("handoffs done", c.handoffs_done, GROUP_AWAY),
        ],
    }
}

/// The store's panels.
pub fn panels(world: &WorldRef<'_, Dynamo>) -> Vec<Panel> {
    let (c, last) = counters(world);
    vec![
        Panel::Grid(replicas_grid(world)),
        Panel::Grid(tree_grid(last)),
        Panel::Grid(counters_grid(c)),
    ]
}
