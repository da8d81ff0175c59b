//! Protocol panels as HTML: pure functions of the engine's [`Panel`] data, tested natively.
//! Every panel kind the engine defines is drawn here, so a protocol that fills panels needs no
//! change to the view.

use engine::sim::panel::{
    BarOutcome, Grid, HistoryPanel, LogsPanel, MetricsPanel, Panel, RedRow, RedWindow, TraceView,
    TracesPanel,
};
use std::fmt::Write as _;

/// Colour groups cycle through this many palette entries (`g0`…`g7` in the stylesheet:
/// Okabe–Ito, safe for colour-blind readers; the cell text carries the same information).
pub const PALETTE_SIZE: u32 = 8;

pub(crate) fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// All panels as HTML. `model` is the consistency model whose violating operations a history
/// panel marks (`None`: the strongest violated one).
pub fn markup(panels: &[Panel], model: Option<&str>) -> String {
    panels
        .iter()
        .map(|p| match p {
            Panel::Grid(grid) => grid_markup(grid),
            Panel::History(history) => history_markup(history, model),
            Panel::Traces(traces) => traces_markup(traces),
            Panel::Logs(logs) => logs_markup(logs),
            Panel::Metrics(metrics) => metrics_markup(metrics),
        })
        .collect()
}

/// Width of the history drawing's coordinate system when it fits the page (it scales to it).
const HISTORY_WIDTH: f64 = 760.0;
/// Width a typical (median) operation's bar gets at least, so that its label fits: a history
/// of quick operations is drawn wider than the page and scrolls.
const MEDIAN_BAR_PX: f64 = 34.0;
/// Widest the history drawing grows.
const HISTORY_WIDTH_MAX: f64 = 4000.0;

/// The drawing's width for a history spanning `end` ticks whose median operation lasts
/// `median` ticks.
pub fn history_width(end: u64, median: u64) -> f64 {
    let fit = HISTORY_WIDTH - HISTORY_LEFT - 8.0;
    let per_tick = (fit / end.max(1) as f64).max(MEDIAN_BAR_PX / median.max(1) as f64);
    (HISTORY_LEFT + 8.0 + per_tick * end.max(1) as f64).clamp(HISTORY_WIDTH, HISTORY_WIDTH_MAX)
}
/// Where bars start (room for the lane labels).
const HISTORY_LEFT: f64 = 64.0;
/// Height of one client lane.
const LANE_HEIGHT: f64 = 34.0;

/// The model a history panel marks: the one asked for if it is violated, else the strongest
/// violated one.
pub fn marked_model<'a>(history: &'a HistoryPanel, asked: Option<&str>) -> Option<&'a str> {
    let violated = |m: &&engine::sim::panel::ModelVerdict| m.verdict == "violated";
    history
        .verdicts
        .iter()
        .filter(violated)
        .find(|m| Some(m.model.as_str()) == asked)
        .or_else(|| history.verdicts.iter().find(violated))
        .map(|m| m.model.as_str())
}

fn verdict_mark(verdict: &str) -> (&'static str, &'static str) {
    match verdict {
        "holds" => ("✓", "holds"),
        "violated" => ("✗", "violated"),
        "unknown" => ("?", "unknown"),
        _ => ("–", "not judged yet"),
    }
}

fn history_markup(history: &HistoryPanel, asked: Option<&str>) -> String {
    let marked = marked_model(history, asked);
    let flagged: Vec<usize> = history
        .verdicts
        .iter()
        .find(|m| Some(m.model.as_str()) == marked)
        .map(|m| m.ops.clone())
        .unwrap_or_default();
    // The drawing spans the operations (and the present while one is open), so a run that
    // goes on after its workload does not squeeze the bars.
    let end = history
        .ops
        .iter()
        .map(|o| o.end.unwrap_or(history.now))
        .max()
        .unwrap_or(history.now)
        .max(1);
    let mut durations: Vec<u64> = history
        .ops
        .iter()
        .map(|o| o.end.unwrap_or(history.now).saturating_sub(o.start))
        .collect();
    durations.sort_unstable();
    let median = durations.get(durations.len() / 2).copied().unwrap_or(1);
    let width = history_width(end, median);
    let scale = (width - HISTORY_LEFT - 8.0) / end as f64;
    let x = |t: u64| HISTORY_LEFT + t as f64 * scale;
    let height = LANE_HEIGHT * history.lanes.len().max(1) as f64 + 18.0;
    let mut out = format!(
        "<section class=\"panel-history\" aria-label=\"{title}\"><h4>{title}</h4>\
         <div class=\"history-scroll\"><svg class=\"history-svg{wide}\" viewBox=\"0 0 {width:.0} {height}\"{style} \
         role=\"group\" aria-label=\"Client operations over time\">",
        title = escape(&history.title),
        wide = if width > HISTORY_WIDTH { " wide" } else { "" },
        style = if width > HISTORY_WIDTH {
            format!(" style=\"width: {width:.0}px\"")
        } else {
            String::new()
        },
    );
    for (i, lane) in history.lanes.iter().enumerate() {
        let y = LANE_HEIGHT * i as f64 + LANE_HEIGHT / 2.0;
        let _ = write!(
            out,
            "<g class=\"history-row\"><line x1=\"{HISTORY_LEFT}\" x2=\"{width:.0}\" y1=\"{y}\" y2=\"{y}\"/>\
             <text x=\"4\" y=\"{}\">{}</text></g>",
            y + 4.0,
            escape(lane)
        );
    }
    if history.now <= end {
        let _ = write!(
            out,
            "<line class=\"history-now\" x1=\"{now:.1}\" x2=\"{now:.1}\" y1=\"0\" y2=\"{}\"/>",
            height - 16.0,
            now = x(history.now),
        );
    }
    let _ = write!(
        out,
        "<text class=\"history-axis\" x=\"{HISTORY_LEFT}\" y=\"{}\">t=0</text>\
         <text class=\"history-axis\" x=\"{}\" y=\"{}\" text-anchor=\"end\">t={end}</text>",
        height - 3.0,
        width - 8.0,
        height - 3.0,
    );
    for (i, op) in history.ops.iter().enumerate() {
        let y = LANE_HEIGHT * op.lane as f64 + 6.0;
        let x0 = x(op.start);
        let x1 = x(op.end.unwrap_or(history.now)).max(x0 + 3.0);
        let is_flagged = flagged.contains(&i);
        let class = format!(
            "history-op {}{}",
            match op.outcome {
                BarOutcome::Ok => "done",
                BarOutcome::Unknown => "unknown",
                BarOutcome::Open => "open",
            },
            if is_flagged { " stuck" } else { "" }
        );
        let lane = history.lanes.get(op.lane).map_or("", String::as_str);
        let ended = match (op.outcome, op.end) {
            (BarOutcome::Ok, Some(e)) => format!("returned at t={e}"),
            (BarOutcome::Unknown, Some(e)) => format!("given up at t={e}, outcome unknown"),
            _ => "still running".to_string(),
        };
        let label = format!(
            "{lane}: {}, invoked at t={}, {ended}{}. Go to step {}.",
            op.label,
            op.start,
            if is_flagged {
                format!(", part of the {} violation", marked.unwrap_or(""))
            } else {
                String::new()
            },
            op.step
        );
        let _ = write!(
            out,
            "<g class=\"{class}\" data-step=\"{}\" tabindex=\"0\" role=\"button\" aria-label=\"{}\">\
             <title>{}</title><rect x=\"{x0:.1}\" y=\"{y}\" width=\"{:.1}\" height=\"{}\" rx=\"4\"/>\
             <text x=\"{:.1}\" y=\"{}\">{}{}</text></g>",
            op.step,
            escape(&label),
            escape(&label),
            x1 - x0,
            LANE_HEIGHT - 12.0,
            x0 + 3.0,
            y + LANE_HEIGHT / 2.0 - 2.0,
            if is_flagged { "! " } else { "" },
            escape(&op.label)
        );
    }
    out.push_str("</svg></div>");
    // Availability as the clients saw it: operations given up on, per client.
    let given_up: Vec<String> = history
        .lanes
        .iter()
        .enumerate()
        .map(|(lane, name)| {
            let of = history.ops.iter().filter(|o| o.lane == lane);
            let total = of.clone().count();
            let unknown = of.filter(|o| o.outcome == BarOutcome::Unknown).count();
            format!("{name} {unknown} of {total}")
        })
        .collect();
    let _ = write!(
        out,
        "<p class=\"history-availability muted\">Timed out (unavailable): {}</p>",
        escape(&given_up.join(" · "))
    );
    out.push_str("<ul class=\"history-verdicts\" aria-label=\"Consistency models\">");
    for m in &history.verdicts {
        let (mark, word) = verdict_mark(&m.verdict);
        let pressed = Some(m.model.as_str()) == marked;
        let _ = write!(
            out,
            "<li><button type=\"button\" class=\"verdict-chip {}\" data-model=\"{}\" aria-pressed=\"{pressed}\" \
             title=\"{}\"{}><span aria-hidden=\"true\">{mark}</span> {} <span class=\"sr-only\">{word}</span></button></li>",
            escape(&m.verdict),
            escape(&m.model),
            escape(&m.sentence),
            if m.verdict == "violated" { "" } else { " disabled" },
            escape(&m.model),
        );
    }
    out.push_str("</ul>");
    let sentence = history
        .verdicts
        .iter()
        .find(|m| Some(m.model.as_str()) == marked)
        .map(|m| {
            format!(
                "<strong>{}:</strong> {}",
                escape(&m.model),
                escape(&m.sentence)
            )
        })
        .unwrap_or_else(|| {
            if history.ops.is_empty() {
                "No operation yet.".to_string()
            } else {
                "Every model that can be judged yet holds.".to_string()
            }
        });
    let _ = write!(
        out,
        "<p class=\"history-anomaly\">{sentence}</p><p class=\"muted panel-legend\">{}</p></section>",
        escape(&history.legend)
    );
    out
}

fn grid_markup(grid: &Grid) -> String {
    let columns = grid.rows.iter().map(|r| r.cells.len()).max().unwrap_or(0);
    let mut out = format!(
        "<section class=\"panel-grid\" aria-label=\"{}\"><h4>{}</h4><div class=\"grid-scroll\">\
         <table><thead><tr><th scope=\"col\"><span class=\"sr-only\">server</span></th>",
        escape(&grid.title),
        escape(&grid.title)
    );
    for k in 0..columns {
        let _ = write!(
            out,
            "<th scope=\"col\" title=\"{} {}\">{}</th>",
            escape(&grid.column_label),
            grid.first_column + k + 1,
            grid.first_column + k + 1
        );
    }
    out.push_str("</tr></thead><tbody>");
    for row in &grid.rows {
        let _ = write!(
            out,
            "<tr class=\"{}\"><th scope=\"row\">{} <span class=\"muted\">{}</span></th>",
            if row.down { "down" } else { "" },
            escape(&row.label),
            escape(&row.note)
        );
        for (k, cell) in row.cells.iter().enumerate() {
            let marked = if k < row.marked_below { " marked" } else { "" };
            let _ = write!(
                out,
                "<td class=\"g{}{marked}\" title=\"{}\">{}</td>",
                cell.group % PALETTE_SIZE,
                escape(&cell.detail),
                escape(&cell.text)
            );
        }
        for _ in row.cells.len()..columns {
            out.push_str("<td class=\"empty\"></td>");
        }
        out.push_str("</tr>");
    }
    let _ = write!(
        out,
        "</tbody></table></div><p class=\"muted panel-legend\">{}</p></section>",
        escape(&grid.legend)
    );
    out
}

/// Width of a trace waterfall's coordinate system (it scales to the page).
const WATERFALL_WIDTH: f64 = 760.0;
/// Where a waterfall's bars start (room for the span labels).
const WATERFALL_LEFT: f64 = 230.0;
/// Height of one span's row.
const SPAN_ROW: f64 = 16.0;

/// Whether `trace` is kept by the sampler named `policy`.
fn kept(trace: &TraceView, policy: &str) -> bool {
    if policy == "tail" {
        trace.tail_kept
    } else {
        trace.head_kept
    }
}

fn yes_no(b: bool) -> &'static str {
    if b {
        "kept"
    } else {
        "dropped"
    }
}

/// One trace's waterfall: a row per span, indented by depth, its bar in the trace's time; each
/// bar seeks the run to the step that started the span.
fn waterfall(trace: &TraceView, lanes: &[String], now: u64) -> String {
    let span_ticks = trace.end.saturating_sub(trace.start).max(1);
    let scale = (WATERFALL_WIDTH - WATERFALL_LEFT - 8.0) / span_ticks as f64;
    let x = |t: u64| WATERFALL_LEFT + t.saturating_sub(trace.start) as f64 * scale;
    let height = SPAN_ROW * trace.spans.len().max(1) as f64 + 4.0;
    let mut out = format!(
        "<svg class=\"waterfall\" viewBox=\"0 0 {WATERFALL_WIDTH} {height}\" role=\"group\" \
         aria-label=\"Spans of trace {}\">",
        escape(&trace.trace_id)
    );
    for (row, bar) in trace.spans.iter().enumerate() {
        let y = SPAN_ROW * row as f64 + 2.0;
        let service = lanes.get(bar.lane).map_or("?", String::as_str);
        let end = bar.end.unwrap_or(now).max(bar.start);
        let x0 = x(bar.start);
        let x1 = x(end).max(x0 + 2.0);
        let mut class = format!("span-bar g{}", bar.lane as u32 % PALETTE_SIZE);
        for (on, name) in [
            (bar.critical, " critical"),
            (bar.error, " error"),
            (bar.linked, " linked"),
            (bar.end.is_none(), " open"),
        ] {
            if on {
                class.push_str(name);
            }
        }
        let retry = if bar.attempt > 1 { "↻ " } else { "" };
        let label = format!(
            "{service}: {} span {}{}, t={}–{}{}{}{}. Span {}, parent {}. Go to step {}.",
            bar.kind,
            bar.label,
            if bar.attempt > 1 {
                format!(" (attempt {})", bar.attempt)
            } else {
                String::new()
            },
            bar.start,
            end,
            if bar.end.is_none() { " (open)" } else { "" },
            if bar.critical {
                ", on the critical path"
            } else {
                ""
            },
            if bar.error {
                ", failed"
            } else if bar.linked {
                ", follows from this trace across the queue"
            } else {
                ""
            },
            bar.span_id,
            if bar.parent_id.is_empty() {
                "none"
            } else {
                bar.parent_id.as_str()
            },
            bar.step
        );
        let _ = write!(
            out,
            "<g class=\"{class}\" data-step=\"{step}\" tabindex=\"0\" role=\"button\" aria-label=\"{l}\">\
             <title>{l}</title><text x=\"{tx:.1}\" y=\"{ty:.1}\">{retry}{service} · {name}</text>\
             <rect x=\"{x0:.1}\" y=\"{y:.1}\" width=\"{w:.1}\" height=\"{h}\" rx=\"2\"/></g>",
            step = bar.step,
            l = escape(&label),
            tx = 4.0 + 10.0 * f64::from(bar.depth.min(8)),
            ty = y + SPAN_ROW - 5.0,
            name = escape(&bar.label),
            w = x1 - x0,
            h = SPAN_ROW - 4.0,
        );
    }
    out.push_str("</svg>");
    out
}

fn traces_markup(panel: &TracesPanel) -> String {
    let s = &panel.sampling;
    let slowest = match &s.slowest {
        Some(id) => format!(
            " The slowest request (trace {id}…, {} ticks) is {} by head sampling and {} by tail sampling.",
            s.slowest_ticks,
            yes_no(s.slowest_head_kept),
            yes_no(s.slowest_tail_kept)
        ),
        None => String::new(),
    };
    let mut out = format!(
        "<section class=\"panel-traces\" aria-label=\"{title}\"><h4>{title}</h4>\
         <p class=\"sampling\">Of {} traces, head sampling keeps {} and tail sampling {}; showing the \
         {} sampler's choice.{}</p>",
        s.traces,
        s.head_kept,
        s.tail_kept,
        escape(&panel.policy),
        escape(&slowest),
        title = escape(&panel.title),
    );
    let last = panel.traces.len().saturating_sub(1);
    for (i, trace) in panel.traces.iter().enumerate() {
        let is_kept = kept(trace, &panel.policy);
        let mut marks = String::new();
        if trace.error {
            marks.push_str(" <span class=\"mark error\">error</span>");
        }
        if trace.retried {
            marks.push_str(" <span class=\"mark retry\">↻ retry</span>");
        }
        if trace.roots != 1 {
            let _ = write!(
                marks,
                " <span class=\"mark broken\">{} roots</span>",
                trace.roots
            );
        }
        let _ = write!(
            out,
            "<details class=\"trace{dropped}\"{open}><summary><code>{id}</code> {label}{marks} \
             <span class=\"muted\">head {head} · tail {tail}</span></summary>{svg}{more}</details>",
            dropped = if is_kept { "" } else { " dropped" },
            open = if i == last { " open" } else { "" },
            id = escape(short(&trace.trace_id)),
            label = escape(&trace.label),
            head = yes_no(trace.head_kept),
            tail = yes_no(trace.tail_kept),
            svg = waterfall(trace, &panel.lanes, panel.now),
            more = if trace.spans_left_out > 0 {
                format!(
                    "<p class=\"muted\">{} more spans not drawn.</p>",
                    trace.spans_left_out
                )
            } else {
                String::new()
            },
        );
    }
    if panel.traces.is_empty() {
        out.push_str("<p class=\"muted\">No request yet.</p>");
    }
    let _ = write!(
        out,
        "<p class=\"muted panel-legend\">{}</p></section>",
        escape(&panel.legend)
    );
    out
}

fn short(id: &str) -> &str {
    id.get(..8).unwrap_or(id)
}

fn log_table(panel: &LogsPanel, order: &[u32], caption: &str, flag: bool) -> String {
    let effects: std::collections::BTreeMap<u32, u32> =
        panel.inversions.iter().map(|&(c, e)| (e, c)).collect();
    let mut out = format!(
        "<table class=\"log-table\"><caption>{}</caption><thead><tr><th scope=\"col\">clock</th>\
         <th scope=\"col\">node</th><th scope=\"col\">trace</th><th scope=\"col\">line</th>\
         <th scope=\"col\">vector clock</th></tr></thead><tbody>",
        escape(caption)
    );
    for &i in order {
        let Some(line) = panel.lines.get(i as usize) else {
            continue;
        };
        let node = panel.nodes.get(line.node).map_or("?", String::as_str);
        let inverted = flag.then(|| effects.get(&i)).flatten();
        let warn = match inverted.and_then(|&c| panel.lines.get(c as usize)) {
            Some(cause) => format!(
                "<span class=\"inverted\" title=\"{}\">⚠ </span>",
                escape(&format!(
                    "stamped {} but caused by {}'s line stamped {}: {}",
                    line.wall,
                    panel.nodes.get(cause.node).map_or("?", String::as_str),
                    cause.wall,
                    cause.text
                ))
            ),
            None => String::new(),
        };
        let _ = write!(
            out,
            "<tr class=\"log-{level} g{g}{inv}\" data-step=\"{step}\" tabindex=\"0\" role=\"button\" \
             title=\"true time t={t}; go to step {step}\"><td>{wall}</td><td>{node}</td>\
             <td><code>{trace}</code></td><td>{warn}{level_name} {text}</td><td><code>{vc}</code></td></tr>",
            level = escape(&line.level.to_lowercase()),
            g = line.node as u32 % PALETTE_SIZE,
            inv = if inverted.is_some() { " inverted" } else { "" },
            step = line.step,
            t = line.t,
            wall = line.wall,
            node = escape(node),
            trace = escape(&line.trace),
            level_name = escape(&line.level),
            text = escape(&line.text),
            vc = escape(&line.vc),
        );
    }
    out.push_str("</tbody></table>");
    out
}

fn logs_markup(panel: &LogsPanel) -> String {
    let mut out = format!(
        "<section class=\"panel-logs\" aria-label=\"{title}\"><h4>{title}</h4>\
         <p class=\"inversions\">{count}</p><div class=\"log-orders\">",
        title = escape(&panel.title),
        count = match panel.inversions.len() {
            0 => "By wall clock, no effect is stamped before its cause.".to_string(),
            1 => "By wall clock, 1 effect is stamped before its cause (⚠).".to_string(),
            n => format!("By wall clock, {n} effects are stamped before their causes (⚠)."),
        },
    );
    out.push_str(&log_table(
        panel,
        &panel.wall_order,
        "Merged by each node's wall clock",
        true,
    ));
    out.push_str(&log_table(
        panel,
        &panel.causal_order,
        "Merged causally (vector clocks)",
        false,
    ));
    out.push_str("</div>");
    if panel.lines_left_out > 0 {
        let _ = write!(
            out,
            "<p class=\"muted\">{} earlier lines not shown.</p>",
            panel.lines_left_out
        );
    }
    let _ = write!(
        out,
        "<p class=\"muted panel-legend\">{}</p></section>",
        escape(&panel.legend)
    );
    out
}

/// One colour per service row (Okabe & Ito's palette, readable on light and dark pages),
/// used for the row's swatch and its lines in the charts.
const SERIES_COLOURS: [(u8, u8, u8); 8] = [
    (0xE6, 0x9F, 0x00),
    (0x56, 0xB4, 0xE9),
    (0x00, 0x9E, 0x73),
    (0x00, 0x72, 0xB2),
    (0xD5, 0x5E, 0x00),
    (0xCC, 0x79, 0xA7),
    (0x99, 0x99, 0x99),
    (0xF0, 0xE4, 0x42),
];

fn series_colour(i: usize) -> (u8, u8, u8) {
    SERIES_COLOURS[i % SERIES_COLOURS.len()]
}

/// The colour plotters is given for axes and text; the drawn SVG says `currentColor` instead,
/// so the charts follow the page's light or dark theme.
const INK: (u8, u8, u8) = (0x01, 0x02, 0x03);

/// The size each RED chart is drawn at (its viewBox; it scales to the panel's width).
const RED_CHART: (u32, u32) = (320, 150);

/// One RED chart: a line per service over the windows, drawn by plotters as SVG.
fn red_chart(title: &str, rows: &[RedRow], value: impl Fn(&RedWindow) -> u64) -> String {
    use plotters::prelude::*;
    let x0 = rows
        .iter()
        .filter_map(|r| r.series.first())
        .map(|w| w.start)
        .min()
        .unwrap_or(0);
    let x1 = rows
        .iter()
        .filter_map(|r| r.series.last())
        .map(|w| w.start)
        .max()
        .unwrap_or(0)
        .max(x0 + 1);
    let y1 = rows
        .iter()
        .flat_map(|r| r.series.iter().map(&value))
        .max()
        .unwrap_or(0)
        .max(1);
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, RED_CHART).into_drawing_area();
        let ink = RGBColor(INK.0, INK.1, INK.2);
        let Ok(mut chart) = ChartBuilder::on(&root)
            .margin(6)
            .caption(title, ("sans-serif", 13).into_font().color(&ink))
            .x_label_area_size(20)
            .y_label_area_size(36)
            .build_cartesian_2d(x0..x1, 0..y1 + y1 / 10)
        else {
            return String::new();
        };
        let _ = chart
            .configure_mesh()
            .light_line_style(TRANSPARENT)
            .bold_line_style(ink.mix(0.15))
            .axis_style(ink)
            .x_labels(4)
            .y_labels(4)
            .x_label_formatter(&|t| format!("t={t}"))
            .label_style(("sans-serif", 11).into_font().color(&ink))
            .draw();
        for (i, row) in rows.iter().enumerate() {
            let (r, g, b) = series_colour(i);
            let _ = chart.draw_series(LineSeries::new(
                row.series.iter().map(|w| (w.start, value(w))),
                RGBColor(r, g, b).stroke_width(2),
            ));
        }
        let _ = root.present();
    }
    let ink = format!("#{:02X}{:02X}{:02X}", INK.0, INK.1, INK.2);
    let svg = svg
        .replace(&ink, "currentColor")
        .replace(&ink.to_lowercase(), "currentColor");
    // The chart scales to its cell; the table above it holds the numbers, so it is decorative
    // for a screen reader.
    svg.replacen("<svg ", "<svg class=\"red-chart\" aria-hidden=\"true\" ", 1)
        .replacen(
            &format!("width=\"{}\" height=\"{}\"", RED_CHART.0, RED_CHART.1),
            &format!("viewBox=\"0 0 {} {}\"", RED_CHART.0, RED_CHART.1),
            1,
        )
}

fn metrics_markup(panel: &MetricsPanel) -> String {
    let mut out = format!(
        "<section class=\"panel-metrics\" aria-label=\"{title}\"><h4>{title}</h4>\
         <table><thead><tr><th scope=\"col\">service</th><th scope=\"col\">rate</th>\
         <th scope=\"col\">errors</th><th scope=\"col\">p50</th><th scope=\"col\">p99</th>\
         </tr></thead><tbody>",
        title = escape(&panel.title),
    );
    for (i, row) in panel.rows.iter().enumerate() {
        let (r, g, b) = series_colour(i);
        let _ = write!(
            out,
            "<tr><th scope=\"row\"><span class=\"swatch\" style=\"background:#{r:02X}{g:02X}{b:02X}\" aria-hidden=\"true\"></span>{}</th><td>{}</td><td class=\"{}\">{}</td><td>{}</td><td>{}</td></tr>",
            escape(&row.service),
            row.requests,
            if row.errors > 0 { "errors" } else { "" },
            row.errors,
            row.p50_ticks,
            row.p99_ticks,
        );
    }
    out.push_str("</tbody></table>");
    if panel.rows.iter().any(|r| r.series.len() > 1) {
        let w = panel.window_ticks;
        out.push_str("<div class=\"red-charts\">");
        out.push_str(&red_chart(
            &format!("rate per {w} ticks"),
            &panel.rows,
            |x| u64::from(x.requests),
        ));
        out.push_str(&red_chart(
            &format!("errors per {w} ticks"),
            &panel.rows,
            |x| u64::from(x.errors),
        ));
        out.push_str(&red_chart("p50 duration, ticks", &panel.rows, |x| {
            x.p50_ticks
        }));
        out.push_str(&red_chart("p99 duration, ticks", &panel.rows, |x| {
            x.p99_ticks
        }));
        out.push_str("</div>");
    }
    let _ = write!(
        out,
        "<p class=\"muted panel-legend\">{}</p></section>",
        escape(&panel.legend)
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use engine::sim::panel::{Cell, GridRow, LogRow, RedRow, RedWindow, SamplingSummary, SpanBar};

    #[test]
    fn a_grid_draws_aligned_rows_with_marked_cells_and_escaped_text() {
        let cell = |term: u32, cmd: &str| Cell {
            text: term.to_string(),
            detail: format!("term {term}: {cmd}"),
            group: term,
        };
        let grid = Grid {
            title: "Logs".into(),
            column_label: "index".into(),
            first_column: 3,
            legend: "legend".into(),
            rows: vec![
                GridRow {
                    label: "n0".into(),
                    note: "leader · term 9".into(),
                    cells: vec![cell(1, "a"), cell(9, "<b>")],
                    marked_below: 1,
                    down: false,
                },
                GridRow {
                    label: "n1".into(),
                    note: "down".into(),
                    cells: vec![cell(1, "a")],
                    marked_below: 0,
                    down: true,
                },
            ],
        };
        let html = markup(&[Panel::Grid(grid)], None);
        // Columns are numbered from first_column + 1; rows are padded to the longest.
        assert!(
            html.contains(">4</th>") && html.contains(">5</th>"),
            "{html}"
        );
        assert_eq!(html.matches("<td").count(), 4);
        assert_eq!(html.matches("class=\"empty\"").count(), 1);
        assert!(html.contains("<td class=\"g1 marked\" title=\"term 1: a\">1</td>"));
        assert!(
            html.contains("class=\"g1\" title=\"term 9: &lt;b&gt;\">9</td>"),
            "{html}"
        );
        assert!(html.contains("<tr class=\"down\">"));
        assert!(!html.contains("<b>"));
    }

    fn history() -> HistoryPanel {
        use engine::sim::panel::{HistoryBar, ModelVerdict};
        let bar = |lane, label: &str, start, end, outcome, step| HistoryBar {
            lane,
            label: label.into(),
            start,
            end,
            outcome,
            step,
        };
        let verdict = |model: &str, verdict: &str, ops: Vec<usize>| ModelVerdict {
            model: model.into(),
            verdict: verdict.into(),
            sentence: format!("{model} <{verdict}>"),
            ops,
        };
        HistoryPanel {
            title: "History".into(),
            legend: "legend".into(),
            now: 100,
            lanes: vec!["A (n3)".into(), "B (n4)".into()],
            ops: vec![
                bar(0, "w 1", 10, Some(30), BarOutcome::Ok, 4),
                bar(1, "r → nil", 40, Some(50), BarOutcome::Ok, 9),
                bar(1, "w 101 ?", 60, Some(90), BarOutcome::Unknown, 12),
                bar(0, "r …", 95, None, BarOutcome::Open, 15),
            ],
            verdicts: vec![
                verdict("linearizable", "violated", vec![0, 1]),
                verdict("sequential", "holds", vec![]),
                verdict("read-your-writes", "violated", vec![2]),
                verdict("converged", "not-applicable", vec![]),
            ],
        }
    }

    #[test]
    fn quick_operations_widen_the_drawing_so_their_labels_fit() {
        // Long operations over a short run fit the page.
        assert_eq!(history_width(400, 100), HISTORY_WIDTH);
        // Operations of 4 ticks over 400 ticks: 34 px per median bar.
        let w = history_width(400, 4);
        assert!(
            (w - (HISTORY_LEFT + 8.0 + 400.0 * 34.0 / 4.0)).abs() < 1e-6,
            "{w}"
        );
        assert_eq!(history_width(100_000, 1), HISTORY_WIDTH_MAX);
    }

    #[test]
    fn a_history_marks_the_strongest_violation_unless_another_is_asked_for() {
        let h = history();
        let html = markup(&[Panel::History(h.clone())], None);
        assert_eq!(html.matches("class=\"history-op").count(), 4);
        assert_eq!(html.matches(" stuck\"").count(), 2, "{html}");
        assert!(html.contains("data-step=\"9\""));
        assert!(html.contains("<strong>linearizable:</strong> linearizable &lt;violated&gt;"));
        assert!(html.contains("history-op unknown"));
        assert!(html.contains("history-op open"));
        assert!(
            html.contains("Timed out (unavailable): A (n3) 0 of 2 · B (n4) 1 of 2"),
            "{html}"
        );
        // Holding and unjudged models cannot be picked; violated ones can.
        assert!(html.contains("data-model=\"sequential\" aria-pressed=\"false\" title=\"sequential &lt;holds&gt;\" disabled"));
        assert!(html.contains("data-model=\"linearizable\" aria-pressed=\"true\""));
        let html = markup(&[Panel::History(h.clone())], Some("read-your-writes"));
        assert_eq!(html.matches(" stuck\"").count(), 1);
        assert!(html.contains("<strong>read-your-writes:</strong>"));
        // Asking for a model that holds falls back to the strongest violated one.
        assert_eq!(marked_model(&h, Some("sequential")), Some("linearizable"));
        let mut calm = h;
        calm.verdicts.retain(|v| v.verdict != "violated");
        assert_eq!(marked_model(&calm, None), None);
        let html = markup(&[Panel::History(calm)], None);
        assert!(!html.contains(" stuck\""));
        assert!(html.contains("Every model that can be judged yet holds."));
    }

    fn span(
        lane: usize,
        depth: u32,
        label: &str,
        start: u64,
        end: Option<u64>,
        step: u64,
    ) -> SpanBar {
        SpanBar {
            lane,
            depth,
            label: label.into(),
            kind: "server".into(),
            start,
            end,
            step,
            critical: false,
            error: false,
            attempt: 1,
            linked: false,
            span_id: format!("{step:016x}"),
            parent_id: String::new(),
        }
    }

    fn traces() -> TracesPanel {
        let mut root = span(1, 0, "POST /checkout", 10, Some(110), 3);
        root.critical = true;
        let mut retry = span(5, 1, "INSERT <order>", 60, Some(100), 8);
        retry.attempt = 2;
        retry.critical = true;
        let mut failed = span(5, 1, "INSERT <order>", 20, Some(60), 5);
        failed.error = true;
        let mut consumer = span(8, 1, "ship order", 120, None, 12);
        consumer.linked = true;
        consumer.kind = "consumer".into();
        TracesPanel {
            title: "Traces".into(),
            legend: "legend".into(),
            now: 150,
            lanes: (0..9).map(|i| format!("s{i}")).collect(),
            policy: "head".into(),
            traces: vec![
                TraceView {
                    trace_id: "4bf92f3577b34da6a3ce929d0e0e4736".into(),
                    label: "POST /checkout · 100 ticks".into(),
                    start: 10,
                    end: 150,
                    error: true,
                    retried: true,
                    roots: 1,
                    head_kept: false,
                    tail_kept: true,
                    spans: vec![root, failed, retry, consumer],
                    spans_left_out: 0,
                },
                TraceView {
                    trace_id: "00f067aa0ba902b700f067aa0ba902b7".into(),
                    label: "POST /checkout · 30 ticks".into(),
                    start: 200,
                    end: 230,
                    error: false,
                    retried: false,
                    roots: 2,
                    head_kept: true,
                    tail_kept: true,
                    spans: vec![span(1, 0, "POST /checkout", 200, Some(230), 20)],
                    spans_left_out: 3,
                },
            ],
            sampling: SamplingSummary {
                traces: 2,
                head_kept: 1,
                tail_kept: 2,
                slowest: Some("4bf92f35".into()),
                slowest_ticks: 100,
                slowest_head_kept: false,
                slowest_tail_kept: true,
            },
        }
    }

    #[test]
    fn a_waterfall_marks_the_critical_path_errors_retries_and_links_and_seeks_to_each_span() {
        let html = markup(&[Panel::Traces(traces())], None);
        assert_eq!(html.matches("class=\"span-bar").count(), 5);
        assert_eq!(html.matches(" critical\"").count(), 2, "{html}");
        assert!(
            html.contains("span-bar g5 error\" data-step=\"5\""),
            "{html}"
        );
        // Lane 8 wraps around the palette.
        assert!(html.contains("span-bar g0 linked open\" data-step=\"12\""));
        assert!(html.contains(">↻ s5 · INSERT &lt;order&gt;</text>"));
        assert!(html.contains("(attempt 2)"));
        // Sampling: the totals, the slowest request's fate, the dropped trace dimmed.
        assert!(html.contains("Of 2 traces, head sampling keeps 1 and tail sampling 2"));
        assert!(html.contains("is dropped by head sampling and kept by tail sampling"));
        assert!(html.contains("<details class=\"trace dropped\">"));
        assert!(html.contains("<details class=\"trace\" open>"));
        assert!(html.contains("2 roots") && html.contains("3 more spans not drawn"));
        assert!(!html.contains("<order>"));
        // A bar starts at its time in the trace's own scale: the root at the left edge.
        assert!(html.contains(&format!("<rect x=\"{WATERFALL_LEFT:.1}\"")));
    }

    #[test]
    fn merged_logs_show_both_orders_and_flag_effects_stamped_before_their_causes() {
        let row = |node, wall, t, step, text: &str| LogRow {
            node,
            wall,
            t,
            step,
            vc: "[1,0]".into(),
            trace: "4bf92f35".into(),
            span: String::new(),
            level: "INFO".into(),
            text: text.into(),
        };
        let panel = LogsPanel {
            title: "Merged logs".into(),
            legend: "legend".into(),
            nodes: vec!["orders".into(), "inventory".into()],
            lines: vec![
                row(0, 100, 100, 4, "call inventory"),
                row(1, 40, 105, 6, "POST /reserve from orders"),
            ],
            wall_order: vec![1, 0],
            causal_order: vec![0, 1],
            inversions: vec![(0, 1)],
            lines_left_out: 7,
        };
        let html = markup(&[Panel::Logs(panel)], None);
        assert_eq!(html.matches("<tr class=\"log-info").count(), 4);
        // Flagged once, in the wall-clock table, naming the cause.
        assert_eq!(html.matches("class=\"inverted\"").count(), 1);
        assert!(
            html.contains("caused by orders&#39;s line")
                || html.contains("caused by orders's line")
        );
        assert!(html.contains("1 effect is stamped before its cause"));
        let wall = html.find("Merged by each node").unwrap();
        let causal = html.find("Merged causally").unwrap();
        let first_after = |from: usize| {
            html[from..]
                .find("data-step=\"")
                .map(|i| &html[from + i + 11..from + i + 12])
        };
        assert_eq!(first_after(wall), Some("6"));
        assert_eq!(first_after(causal), Some("4"));
        assert!(html.contains("7 earlier lines not shown"));
    }

    fn window(start: u64, requests: u32, errors: u32, p99_ticks: u64) -> RedWindow {
        RedWindow {
            start,
            requests,
            errors,
            p50_ticks: p99_ticks / 2,
            p99_ticks,
        }
    }

    #[test]
    fn red_metrics_are_a_row_per_service_and_four_charts_over_the_windows() {
        let panel = MetricsPanel {
            title: "RED metrics".into(),
            legend: "legend".into(),
            window_ticks: 500,
            rows: vec![RedRow {
                service: "db-2".into(),
                requests: 60,
                errors: 2,
                p50_ticks: 7,
                p99_ticks: 412,
                series: vec![window(0, 30, 0, 206), window(500, 30, 2, 412)],
            }],
        };
        let html = markup(&[Panel::Metrics(panel)], None);
        assert!(
            html.contains("db-2</th><td>60</td><td class=\"errors\">2</td><td>7</td><td>412</td>"),
            "{html}"
        );
        assert!(
            html.contains("class=\"swatch\" style=\"background:#E69F00\""),
            "{html}"
        );
        // Four charts drawn by plotters, each a scalable SVG in the page's ink.
        assert_eq!(
            html.matches("<svg class=\"red-chart\"").count(),
            4,
            "{html}"
        );
        assert!(html.contains("viewBox=\"0 0 320 150\""), "{html}");
        assert!(html.contains("p99 duration, ticks") && html.contains("rate per 500 ticks"));
        assert!(
            html.contains("currentColor") && !html.contains("#010203"),
            "{html}"
        );
        // The series is drawn in the row's colour.
        assert!(
            html.contains("#E69F00") && html.contains("polyline"),
            "{html}"
        );
        // One window is no line: the charts wait for a second.
        let mut one = MetricsPanel {
            title: "RED".into(),
            legend: String::new(),
            window_ticks: 500,
            rows: Vec::new(),
        };
        one.rows.push(RedRow {
            service: "x".into(),
            requests: 1,
            errors: 0,
            p50_ticks: 1,
            p99_ticks: 1,
            series: vec![window(0, 1, 0, 1)],
        });
        assert!(!markup(&[Panel::Metrics(one)], None).contains("red-chart"));
    }
}
