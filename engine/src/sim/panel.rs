//! Protocol-specific panels: data a protocol hands the simulation view beyond the per-node
//! inspector, drawn by generic widgets. A protocol fills [`Panel`]s in
//! [`Protocol::panels`](crate::sim::protocol::Protocol::panels); the view draws every kind it
//! knows, so adding a protocol never means editing the view.
//!
//! Two kinds: a [`Panel::Grid`], one row per node with cells aligned in columns (a Raft log:
//! column = log index, colour group = term, marker = commit index; a quorum's versions per key
//! would fit the same shape), and a [`Panel::History`], the client history so far drawn as bars
//! per client with every consistency model's verdict on it and the operations that break it.

use serde::{Deserialize, Serialize};

/// One panel.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Panel {
    /// Rows of cells aligned by column.
    Grid(Grid),
    /// A client history with its verdicts.
    History(HistoryPanel),
}

/// A client history as the observer recorded it, and how each consistency model judges it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct HistoryPanel {
    /// Title, e.g. `History`.
    pub title: String,
    /// One sentence on how to read it.
    pub legend: String,
    /// True time now (open operations are drawn up to here).
    pub now: u64,
    /// One lane per client, in drawing order: its label, e.g. `A (n3)`.
    pub lanes: Vec<String>,
    /// The operations, in invocation order.
    pub ops: Vec<HistoryBar>,
    /// One verdict per model, strongest first.
    pub verdicts: Vec<ModelVerdict>,
}

/// One operation of a [`HistoryPanel`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct HistoryBar {
    /// Its lane (index into [`HistoryPanel::lanes`]).
    pub lane: usize,
    /// Short label, e.g. `w 3` or `r → 3`.
    pub label: String,
    /// True time it was invoked.
    pub start: u64,
    /// True time it returned or was given up on; `None` while it runs.
    pub end: Option<u64>,
    /// How it ended.
    pub outcome: BarOutcome,
    /// The step that invoked it (seeking there shows the moment it started).
    pub step: u64,
}

/// How a [`HistoryBar`] ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum BarOutcome {
    /// Returned.
    Ok,
    /// Given up on: it may or may not have taken effect.
    Unknown,
    /// Still running.
    Open,
}

/// One model's verdict in a [`HistoryPanel`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModelVerdict {
    /// The model's name, e.g. `linearizable`.
    pub model: String,
    /// `holds`, `violated`, `unknown` or `not-applicable`.
    pub verdict: String,
    /// One sentence: the anomaly, or why it holds or has no answer.
    pub sentence: String,
    /// For a violation, the operations that show it (indices into [`HistoryPanel::ops`]).
    pub ops: Vec<usize>,
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
    /// Category names of the parameter's values (see [`SweepNames`]); empty for numbers.
    #[serde(default)]
    pub names: SweepNames,
}

/// Names for the swept parameter's values when they are categories rather than numbers (e.g.
/// replication modes): value `k` of the sweep is drawn as `names[k - 1]`. Empty for numbers.
pub type SweepNames = Vec<String>;

/// One measured outcome of a [`Sweep`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SweepSeries {
    /// Name with its unit, e.g. `false suspicions`.
    pub name: String,
    /// (parameter value, outcome), by increasing parameter.
    pub points: Vec<(u64, u64)>,
}
