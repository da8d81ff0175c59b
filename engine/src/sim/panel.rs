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
