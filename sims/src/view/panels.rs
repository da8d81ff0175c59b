//! Protocol panels as HTML: pure functions of the engine's [`Panel`] data, tested natively.
//! Every panel kind the engine defines is drawn here, so a protocol that fills panels needs no
//! change to the view.

use engine::sim::panel::{BarOutcome, Grid, HistoryPanel, Panel};
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

#[cfg(test)]
mod tests {
    use super::*;
    use engine::sim::panel::{Cell, GridRow};

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
}
