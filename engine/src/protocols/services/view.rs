//! What the view draws beside the service graph, from the outside observer's record: the
//! latest traces as waterfalls (critical path, errors, retries, what each sampler keeps), the
//! merged logs in both orders with the inverted pairs flagged, and RED metrics per service.

use std::collections::BTreeMap;

use super::logs::{self, Line};
use super::metrics::{red, WINDOW_TICKS};
use super::spans::{assemble, Span, SpanKind, Trace};
use super::types::*;
use super::Services;
use crate::limits::{INVERSIONS_MAX, LOG_LINES_PANEL_MAX, SPANS_PER_TRACE_MAX, TRACES_PANEL_MAX};
use crate::sim::panel::{
    LogRow, LogsPanel, MetricsPanel, Panel, RedRow, RedWindow, SamplingSummary, SpanBar, TraceView,
    TracesPanel,
};
use crate::sim::world::{Observed, WorldRef};

/// The record of a run as a backend holds it: every span (open ones without an end) and
/// every log line, in the order recorded.
#[derive(Clone, Debug, Default)]
pub struct Record {
    /// The spans.
    pub spans: Vec<Span>,
    /// The ghost facts of each span, by index: its op number and request.
    pub ops: Vec<(u64, u64)>,
    /// The log lines.
    pub lines: Vec<Line>,
}

/// The spans and lines of an observer's record.
pub fn record(observed: &[Observed<Note>]) -> Record {
    let mut r = Record::default();
    let mut by_op: BTreeMap<u64, usize> = BTreeMap::new();
    for o in observed {
        match &o.note {
            Note::Span(s) => {
                by_op.insert(s.op, r.spans.len());
                r.ops.push((s.op, s.request));
                r.spans.push(Span {
                    fields: s.fields.clone(),
                    kind: s.kind,
                    service: o.node,
                    name: s.name.clone(),
                    start: o.t,
                    end: None,
                    step: o.step,
                    error: false,
                    attempt: s.attempt,
                });
            }
            Note::SpanEnd { op, error } => {
                if let Some(&i) = by_op.get(op) {
                    r.spans[i].end = Some(o.t);
                    r.spans[i].error = *error;
                }
            }
            Note::Log {
                wall,
                vc,
                trace_id,
                span_id,
                level,
                text,
            } => r.lines.push(Line {
                node: o.node,
                wall: *wall,
                vc: vc.clone(),
                trace_id: trace_id.clone(),
                span_id: span_id.clone(),
                level: *level,
                text: text.clone(),
                t: o.t,
                step: o.step,
            }),
        }
    }
    r
}

/// Every panel of the service graph.
pub fn panels(world: &WorldRef<'_, Services>) -> Vec<Panel> {
    let r = record(world.observed());
    let policy = world.option("sampling").unwrap_or("head");
    vec![
        Panel::Traces(traces_panel(&r.spans, world.time(), policy)),
        Panel::Logs(logs_panel(&r.lines)),
        Panel::Metrics(metrics_panel(&r.spans)),
    ]
}

/// Depth of each span of `trace` in its tree (by parent id).
fn depths(spans: &[Span], trace: &Trace) -> BTreeMap<usize, u32> {
    let by_id: BTreeMap<&str, usize> = trace
        .spans
        .iter()
        .map(|&i| (spans[i].fields.span_id.as_str(), i))
        .collect();
    let mut out = BTreeMap::new();
    for &i in &trace.spans {
        let mut depth = 0;
        let mut at = i;
        while let Some(&p) = by_id.get(spans[at].fields.parent_id.as_str()) {
            if p == at || depth as usize >= trace.spans.len() {
                break;
            }
            depth += 1;
            at = p;
        }
        out.insert(i, depth);
    }
    out
}

fn bar(s: &Span, depth: u32, critical: bool, linked: bool) -> SpanBar {
    SpanBar {
        lane: usize::from(s.service),
        depth,
        label: s.name.clone(),
        kind: s.kind.name().to_string(),
        start: s.start,
        end: s.end,
        step: s.step,
        critical,
        error: s.error,
        attempt: s.attempt,
        linked,
        span_id: s.fields.span_id.clone(),
        parent_id: s.fields.parent_id.clone(),
    }
}

/// Whether a trace was started by a request (not a consumer's own trace).
fn is_request_trace(spans: &[Span], t: &Trace) -> bool {
    t.spans.iter().any(|&i| spans[i].kind != SpanKind::Consumer)
}

/// The trace panel: the latest [`TRACES_PANEL_MAX`] request traces, and the samplers' totals.
pub fn traces_panel(spans: &[Span], now: u64, policy: &str) -> TracesPanel {
    let traces: Vec<Trace> = assemble(spans, now)
        .into_iter()
        .filter(|t| is_request_trace(spans, t))
        .collect();
    let root_ticks = |t: &Trace| {
        t.roots
            .first()
            .map_or(0, |&r| spans[r].end_or(now) - spans[r].start)
    };
    let slowest = traces
        .iter()
        .filter(|t| t.roots.first().is_some_and(|&r| spans[r].end.is_some()))
        .max_by_key(|t| (root_ticks(t), std::cmp::Reverse(t.start)));
    let sampling = SamplingSummary {
        traces: traces.len() as u32,
        head_kept: traces.iter().filter(|t| t.head_kept).count() as u32,
        tail_kept: traces.iter().filter(|t| t.tail_kept).count() as u32,
        slowest: slowest.map(|t| short(&t.trace_id).to_string()),
        slowest_ticks: slowest.map_or(0, root_ticks),
        slowest_head_kept: slowest.is_some_and(|t| t.head_kept),
        slowest_tail_kept: slowest.is_some_and(|t| t.tail_kept),
    };
    let first = traces.len().saturating_sub(TRACES_PANEL_MAX);
    let views = traces[first..]
        .iter()
        .map(|t| {
            let depth = depths(spans, t);
            let mut bars: Vec<SpanBar> = t
                .spans
                .iter()
                .take(SPANS_PER_TRACE_MAX)
                .map(|&i| bar(&spans[i], depth[&i], t.critical.contains(&i), false))
                .collect();
            let room = SPANS_PER_TRACE_MAX.saturating_sub(bars.len());
            bars.extend(
                t.linked
                    .iter()
                    .take(room)
                    .map(|&i| bar(&spans[i], 1, false, true)),
            );
            let left_out = (t.spans.len() + t.linked.len()).saturating_sub(bars.len());
            let root = t.roots.first().map(|&r| &spans[r]);
            TraceView {
                trace_id: t.trace_id.clone(),
                label: format!(
                    "{} · {} ticks{}",
                    root.map_or("?", |r| r.name.as_str()),
                    root_ticks(t),
                    if root.is_some_and(|r| r.end.is_none()) {
                        " so far"
                    } else {
                        ""
                    }
                ),
                start: t.start,
                end: t.end,
                error: t.error,
                retried: t.retried,
                roots: t.roots.len() as u32,
                head_kept: t.head_kept,
                tail_kept: t.tail_kept,
                spans: bars,
                spans_left_out: left_out as u32,
            }
        })
        .collect();
    TracesPanel {
        title: "Traces".into(),
        legend: "One waterfall per request, bars by service in true time; the critical path \
                 is outlined, errors and timeouts are red, a retry is marked ↻, a span that \
                 follows from the request across the queue is dashed. Head sampling keeps 1 \
                 trace in 4, decided at the gateway; tail sampling also keeps every trace \
                 with an error, a retry or a slow root."
            .into(),
        now,
        lanes: NAMES.iter().map(ToString::to_string).collect(),
        policy: policy.to_string(),
        traces: views,
        sampling,
    }
}

/// The merged-log panel: the latest [`LOG_LINES_PANEL_MAX`] lines in both orders.
pub fn logs_panel(all: &[Line]) -> LogsPanel {
    let first = all.len().saturating_sub(LOG_LINES_PANEL_MAX);
    let lines = &all[first..];
    let to_u32 = |v: Vec<usize>| v.into_iter().map(|i| i as u32).collect();
    LogsPanel {
        title: "Merged logs".into(),
        legend: "Every node's lines, merged by each node's own clock (what a log aggregator \
                 sorting on timestamps shows) or causally by vector clocks; ⚠ marks an \
                 effect stamped earlier than its cause."
            .into(),
        nodes: NAMES.iter().map(ToString::to_string).collect(),
        lines: lines
            .iter()
            .map(|l| LogRow {
                node: usize::from(l.node),
                wall: l.wall,
                t: l.t,
                step: l.step,
                vc: l.vc.to_string(),
                trace: short(&l.trace_id).to_string(),
                span: short(&l.span_id).to_string(),
                level: l.level.name().to_string(),
                text: l.text.clone(),
            })
            .collect(),
        wall_order: to_u32(logs::wall_order(lines)),
        causal_order: to_u32(logs::causal_order(lines)),
        inversions: logs::inversions(lines, INVERSIONS_MAX)
            .into_iter()
            .map(|(a, b)| (a as u32, b as u32))
            .collect(),
        lines_left_out: first as u32,
    }
}

/// The RED panel: every service that handles requests.
pub fn metrics_panel(spans: &[Span]) -> MetricsPanel {
    let services = [
        GATEWAY, ORDERS, INVENTORY, PAYMENTS, DB_PRIMARY, DB_REPLICA, SHIPPING,
    ];
    MetricsPanel {
        title: "RED metrics".into(),
        legend: format!(
            "Per service: rate (requests handled), errors, and duration p50/p99 in ticks, \
             over the run and per window of {WINDOW_TICKS} ticks."
        ),
        window_ticks: WINDOW_TICKS,
        rows: services
            .iter()
            .map(|&s| {
                let r = red(spans, s);
                RedRow {
                    service: name(s).to_string(),
                    requests: r.total.requests,
                    errors: r.total.errors,
                    p50_ticks: r.total.p50_ticks,
                    p99_ticks: r.total.p99_ticks,
                    series: r
                        .windows
                        .iter()
                        .map(|w| RedWindow {
                            start: w.start,
                            requests: w.requests,
                            errors: w.errors,
                            p50_ticks: w.p50_ticks,
                            p99_ticks: w.p99_ticks,
                        })
                        .collect(),
                }
            })
            .collect(),
    }
}
