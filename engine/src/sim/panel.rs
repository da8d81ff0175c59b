//! Protocol-specific panels: data a protocol hands the simulation view beyond the per-node
//! inspector, drawn by generic widgets. A protocol fills [`Panel`]s in
//! [`Protocol::panels`](crate::sim::protocol::Protocol::panels); the view draws every kind it
//! knows, so adding a protocol never means editing the view.
//!
//! Today's kind is a [`Panel::Grid`]: one row per node, cells aligned in columns (a Raft log:
//! column = log index, colour group = term, marker = commit index; a quorum's versions per key
//! would fit the same shape).

use serde::{Deserialize, Serialize};

/// One panel.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Panel {
    /// Rows of cells aligned by column.
    Grid(Grid),
}

/// Rows of cells aligned by column, e.g. every node's log.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Grid {
    /// Title, e.g. `Logs`.
    pub title: String,
    /// What a column is, e.g. `index` (column `k` is labelled `first_column + k + 1`).
    pub column_label: String,
    /// Columns left out before the first one drawn (a long log shows its latest entries).
    pub first_column: usize,
    /// One sentence on how to read it (colours, markers).
    pub legend: String,
    /// The rows.
    pub rows: Vec<GridRow>,
}

/// One row of a [`Grid`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct GridRow {
    /// Row label, e.g. `n3`.
    pub label: String,
    /// A short note after the label, e.g. `leader · term 5`.
    pub note: String,
    /// The row's cells from column 0.
    pub cells: Vec<Cell>,
    /// Cells before this column are marked (e.g. committed entries).
    pub marked_below: usize,
    /// The row is of a node that is down (drawn dimmed).
    pub down: bool,
}

/// One cell of a [`GridRow`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cell {
    /// The text in the cell, short (e.g. a term number).
    pub text: String,
    /// The longer text on hover (e.g. the command).
    pub detail: String,
    /// Colour group (e.g. the term); the view maps groups to a colour-blind-safe palette.
    pub group: u32,
}

/// A parameter sweep a scenario declares: the same world run once per value of one parameter,
/// with outcomes measured per run (e.g. false suspicions and detection time against a failure
/// detector's timeout). The view draws it as a chart next to the live run.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sweep {
    /// Title, e.g. `The timeout trade-off`.
    pub title: String,
    /// The swept parameter with its unit, e.g. `timeout (ticks)`.
    pub x_label: String,
    /// The parameter's value in the scenario's own run (marked on the chart).
    pub current: u64,
    /// One sentence on how to read it.
    pub legend: String,
    /// Two series: the first on the left axis, the second on the right.
    pub series: Vec<SweepSeries>,
}

/// One measured outcome of a [`Sweep`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SweepSeries {
    /// Name with its unit, e.g. `false suspicions`.
    pub name: String,
    /// (parameter value, outcome), by increasing parameter.
    pub points: Vec<(u64, u64)>,
}
