//! Protocol-specific panels: data a protocol hands the simulation view beyond the per-node
//! inspector, drawn by generic widgets. A protocol fills [`Panel`]s in
//! [`Protocol::panels`](crate::sim::protocol::Protocol::panels); the view draws every kind it
//! knows, so adding a protocol never means editing the view.
//!
//! The kinds: a [`Panel::Grid`], one row per node with cells aligned in columns (a Raft log:
//! column = log index, colour group = term, marker = commit index; a quorum's versions per key
//! would fit the same shape); a [`Panel::History`], the client history so far drawn as bars
//! per client with every consistency model's verdict on it and the operations that break it;
//! and chapter 6's observability panels: [`Panel::Traces`] (trace waterfalls with their
//! critical paths and sampling verdicts), [`Panel::Logs`] (every node's log lines merged by
//! wall clock and by causality, with the pairs the wall clock inverts) and [`Panel::Metrics`]
//! (RED metrics per service over windows of time). Every list in a panel is bounded by a
//! constant in [`crate::limits`].

use serde::{Deserialize, Serialize};

/// One panel.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Panel {
    /// Rows of cells aligned by column.
    Grid(Grid),
    /// A client history with its verdicts.
    History(HistoryPanel),
    /// The latest requests' traces as waterfalls.
    Traces(TracesPanel),
    /// Every node's log lines, merged two ways.
    Logs(LogsPanel),
    /// RED metrics per service.
    Metrics(MetricsPanel),
}

/// The latest traces as a tracing backend shows them: one waterfall per trace, bars by
/// service, the critical path marked, and what each sampler keeps.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TracesPanel {
    /// Title, e.g. `Traces`.
    pub title: String,
    /// One sentence on how to read it.
    pub legend: String,
    /// True time now (open spans are drawn up to here).
    pub now: u64,
    /// Service names, by lane (a bar's `lane`).
    pub lanes: Vec<String>,
    /// The sampler the backend runs now (`head` or `tail`).
    pub policy: String,
    /// The latest traces, oldest first (at most
    /// [`TRACES_PANEL_MAX`](crate::limits::TRACES_PANEL_MAX)).
    pub traces: Vec<TraceView>,
    /// What each sampler kept over the whole run.
    pub sampling: SamplingSummary,
}

/// What head and tail sampling kept of every trace of the run so far.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SamplingSummary {
    /// Traces so far (those started by a request, not the consumers' own).
    pub traces: u32,
    /// Kept by head sampling.
    pub head_kept: u32,
    /// Kept by tail sampling.
    pub tail_kept: u32,
    /// The slowest trace's id (short), if any.
    pub slowest: Option<String>,
    /// How long its root took, ticks.
    pub slowest_ticks: u64,
    /// Whether head sampling kept it.
    pub slowest_head_kept: bool,
    /// Whether tail sampling kept it.
    pub slowest_tail_kept: bool,
}

/// One trace's waterfall.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TraceView {
    /// Its trace id as the spans carry it.
    pub trace_id: String,
    /// A short label, e.g. `POST /checkout · 412 ticks`.
    pub label: String,
    /// True start of its first span.
    pub start: u64,
    /// True end of its last span (now, while open).
    pub end: u64,
    /// Any span in error.
    pub error: bool,
    /// Any call retried.
    pub retried: bool,
    /// How many spans have no parent in the trace (one when propagation is right).
    pub roots: u32,
    /// Kept by head sampling.
    pub head_kept: bool,
    /// Kept by tail sampling.
    pub tail_kept: bool,
    /// Its spans, by start (at most
    /// [`SPANS_PER_TRACE_MAX`](crate::limits::SPANS_PER_TRACE_MAX)), then the spans of other
    /// traces that follow from it.
    pub spans: Vec<SpanBar>,
    /// Spans left out beyond the limit.
    pub spans_left_out: u32,
}

/// One span of a [`TraceView`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SpanBar {
    /// Its service's lane (index into [`TracesPanel::lanes`]).
    pub lane: usize,
    /// Depth in the trace's tree (0 for a root), for indentation.
    pub depth: u32,
    /// Operation name, e.g. `SELECT stock`.
    pub label: String,
    /// `server`, `client`, `producer` or `consumer`.
    pub kind: String,
    /// True start.
    pub start: u64,
    /// True end (`None` while open).
    pub end: Option<u64>,
    /// The step that started it (seeking there shows the moment).
    pub step: u64,
    /// On the trace's critical path.
    pub critical: bool,
    /// Ended in an error or a timeout.
    pub error: bool,
    /// Attempt number of a call (2 and more: a retry).
    pub attempt: u32,
    /// It belongs to another trace that follows from this one (a queue consumer's link).
    pub linked: bool,
    /// Its span id.
    pub span_id: String,
    /// Its parent id (empty for a root).
    pub parent_id: String,
}

/// Every node's log lines, merged by wall clock and by causality.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogsPanel {
    /// Title, e.g. `Merged logs`.
    pub title: String,
    /// One sentence on how to read it.
    pub legend: String,
    /// Node names, by a line's `node`.
    pub nodes: Vec<String>,
    /// The latest lines (at most [`LOG_LINES_PANEL_MAX`](crate::limits::LOG_LINES_PANEL_MAX)),
    /// in the order written (by true time).
    pub lines: Vec<LogRow>,
    /// Indices into `lines` sorted by each line's own wall clock.
    pub wall_order: Vec<u32>,
    /// Indices into `lines` in an order consistent with happened-before.
    pub causal_order: Vec<u32>,
    /// `(cause, effect)` pairs: the cause happened before the effect, yet carries a later
    /// timestamp (at most [`INVERSIONS_MAX`](crate::limits::INVERSIONS_MAX)).
    pub inversions: Vec<(u32, u32)>,
    /// Lines written before the first one kept.
    pub lines_left_out: u32,
}

/// One structured log line of a [`LogsPanel`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogRow {
    /// The node (index into [`LogsPanel::nodes`]).
    pub node: usize,
    /// The node's own clock reading.
    pub wall: u64,
    /// True time (no node knows it).
    pub t: u64,
    /// The step that wrote it (seeking there shows the moment).
    pub step: u64,
    /// Its vector clock, e.g. `[3,0,1]`.
    pub vc: String,
    /// Correlation id: the trace id (first 8 digits), or empty.
    pub trace: String,
    /// The span id (first 8 digits), or empty.
    pub span: String,
    /// `INFO`, `WARN` or `ERROR`.
    pub level: String,
    /// The message.
    pub text: String,
}

/// RED metrics per service.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MetricsPanel {
    /// Title, e.g. `RED metrics`.
    pub title: String,
    /// One sentence on how to read it.
    pub legend: String,
    /// Width of one window, ticks.
    pub window_ticks: u64,
    /// One row per service.
    pub rows: Vec<RedRow>,
}

/// One service's RED metrics.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RedRow {
    /// The service.
    pub service: String,
    /// Requests handled so far.
    pub requests: u32,
    /// Of which failed.
    pub errors: u32,
    /// Median duration, ticks.
    pub p50_ticks: u64,
    /// 99th percentile duration, ticks.
    pub p99_ticks: u64,
    /// Per window, oldest first.
    pub series: Vec<RedWindow>,
}

/// One service's RED metrics over one window of simulated time.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RedWindow {
    /// True time the window starts.
    pub start: u64,
    /// Requests that finished in it.
    pub requests: u32,
    /// Of which failed.
    pub errors: u32,
    /// Median duration, ticks.
    pub p50_ticks: u64,
    /// 99th percentile duration, ticks.
    pub p99_ticks: u64,
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
