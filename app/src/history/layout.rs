//! Where each operation of a checked history goes on screen: pure geometry, tested natively.
//!
//! Rows are clients; x is the operation's rank (calls and returns numbered in real-time order)
//! times a zoom factor. The linearization order found is drawn as one point per operation, inside
//! its bar and after the previous operation's point, so the line through the points moves only
//! forward in time: the picture of "each operation took effect at one instant".
//!
//! A *plain* layout ([`lay_out_plain`]) draws the same rows and bars without anything the
//! checker found (no order, no stuck operation), for an exercise that asks the learner to judge
//! the history; operations an explanation names can be highlighted ([`svg`]'s `marked`).

use engine::lin::{HistoryView, OperationView, Placement};

/// Left margin for the client labels (px).
pub const LABEL_WIDTH: f64 = 64.0;
/// Height of one client row (px).
pub const ROW_HEIGHT: f64 = 34.0;
/// Height of a bar (px).
pub const BAR_HEIGHT: f64 = 22.0;
/// Top margin above the first row (px).
pub const TOP: f64 = 8.0;
/// Smallest and largest width of one rank (px).
pub const RANK_MIN_PX: f64 = 3.0;
/// See [`RANK_MIN_PX`].
pub const RANK_MAX_PX: f64 = 60.0;
/// Average width of one character of bar text (px), to decide whether a label fits.
const CHAR_PX: f64 = 6.6;

/// The rank width that fits `ranks` into `width` px, within the allowed range.
pub fn fit_rank_px(ranks: u32, width: f64) -> f64 {
    let usable = (width - LABEL_WIDTH - 16.0).max(100.0);
    (usable / f64::from(ranks.max(1))).clamp(RANK_MIN_PX, RANK_MAX_PX)
}

/// One bar to draw.
#[derive(Clone, Debug, PartialEq)]
pub struct Bar {
    /// Index of the operation in the view.
    pub index: usize,
    /// Left edge (px).
    pub x: f64,
    /// Top edge (px).
    pub y: f64,
    /// Width (px).
    pub width: f64,
    /// The operation never returned: the bar runs to the end, open.
    pub open: bool,
    /// CSS class: `lin`, `stuck` or `unplaced`, plus `unknown` for unknown outcomes.
    pub class: &'static str,
    /// Text inside the bar if it fits.
    pub label: Option<String>,
    /// The label is drawn just after the bar (a plain layout's label too long for its bar).
    pub label_after: bool,
    /// Position in the linearization (1-based) if placed.
    pub position: Option<usize>,
}

/// A laid-out history.
#[derive(Clone, Debug, PartialEq)]
pub struct Layout {
    /// Total width (px).
    pub width: f64,
    /// Total height (px).
    pub height: f64,
    /// Client labels and their row's y centre.
    pub rows: Vec<(String, f64)>,
    /// The bars.
    pub bars: Vec<Bar>,
    /// One polyline per partition: the linearization points in order.
    pub paths: Vec<Vec<(f64, f64)>>,
    /// Ranks drawn (the filtered operations' calls and returns).
    pub ranks: u32,
    /// Drawn without the checker's placements ([`lay_out_plain`]).
    pub plain: bool,
}

/// Whether operation `op` is shown when the learner filters to `partition` (`None`: all).
pub fn shown(op: &OperationView, partition: Option<&str>) -> bool {
    partition.is_none_or(|p| op.partition == p)
}

/// Lays out `view` with ranks `rank_px` wide, showing only `partition` if given. A filtered
/// view is re-ranked over its own calls and returns, so one key's operations fill the width.
pub fn lay_out(view: &HistoryView, rank_px: f64, partition: Option<&str>) -> Layout {
    if partition.is_none() {
        return lay_out_all(view, rank_px);
    }
    let keep: Vec<usize> = (0..view.operations.len())
        .filter(|&i| shown(&view.operations[i], partition))
        .collect();
    let mut ranks: Vec<u32> = keep
        .iter()
        .flat_map(|&i| {
            let op = &view.operations[i];
            [Some(op.call), op.ret]
        })
        .flatten()
        .collect();
    ranks.sort_unstable();
    ranks.dedup();
    let local = |r: u32| ranks.binary_search(&r).unwrap_or(0) as u32;
    let mut sub = view.clone();
    sub.operations = keep
        .iter()
        .map(|&i| {
            let mut op = view.operations[i].clone();
            op.call = local(op.call);
            op.ret = op.ret.map(local);
            op
        })
        .collect();
    sub.ranks = ranks.len() as u32;
    let mut layout = lay_out_all(&sub, rank_px);
    for bar in &mut layout.bars {
        bar.index = keep[bar.index];
    }
    layout
}

fn lay_out_all(view: &HistoryView, rank_px: f64) -> Layout {
    let partition = None;
    let end = f64::from(view.ranks);
    let clients: Vec<u64> = view
        .clients
        .iter()
        .copied()
        .filter(|c| {
            view.operations
                .iter()
                .any(|o| o.client == *c && shown(o, partition))
        })
        .collect();
    let row_of = |client: u64| clients.iter().position(|c| *c == client).unwrap_or(0);
    let x_of = |rank: f64| LABEL_WIDTH + rank * rank_px;
    let y_of = |row: usize| TOP + row as f64 * ROW_HEIGHT;
    let mut bars = Vec::new();
    for (index, op) in view.operations.iter().enumerate() {
        if !shown(op, partition) {
            continue;
        }
        let ret = op.ret.map_or(end + 0.5, f64::from);
        let x = x_of(f64::from(op.call)) + 1.0;
        let width = ((ret - f64::from(op.call)) * rank_px - 2.0).max(2.0);
        let (class, position) = match op.placement {
            Placement::Linearized { position } => ("lin", Some(position + 1)),
            Placement::Stuck { .. } => ("stuck", None),
            Placement::Unplaced => ("unplaced", None),
        };
        let class = match (class, op.unknown) {
            ("lin", true) => "lin unknown",
            ("stuck", true) => "stuck unknown",
            ("unplaced", true) => "unplaced unknown",
            (c, _) => c,
        };
        let text = match position {
            Some(p) => format!("{p}. {}", op.description),
            None => op.description.clone(),
        };
        let label = (label_px(&text) <= width).then_some(text);
        bars.push(Bar {
            index,
            x,
            y: y_of(row_of(op.client)) + (ROW_HEIGHT - BAR_HEIGHT) / 2.0,
            width,
            open: op.ret.is_none(),
            class,
            label,
            label_after: false,
            position,
        });
    }
    let paths = linearization_paths(view, partition)
        .into_iter()
        .map(|path| {
            path.into_iter()
                .map(|(index, rank)| {
                    let op = &view.operations[index];
                    (x_of(rank), y_of(row_of(op.client)) + ROW_HEIGHT / 2.0)
                })
                .collect()
        })
        .collect();
    Layout {
        width: x_of(end + 1.0) + 8.0,
        height: y_of(clients.len()) + TOP,
        rows: clients
            .iter()
            .enumerate()
            .map(|(row, c)| (format!("client {c}"), y_of(row) + ROW_HEIGHT / 2.0))
            .collect(),
        bars,
        paths,
        ranks: view.ranks,
        plain: false,
    }
}

/// Lays out `view` without the checker's placements: every bar in one neutral class (`plain`,
/// plus `unknown`), no order numbers and no path. Bar `i` is labelled `labels[i]`; a label may
/// run past its bar into the free space of its row, up to the next bar.
pub fn lay_out_plain(view: &HistoryView, labels: &[String], rank_px: f64) -> Layout {
    let mut layout = lay_out_all(view, rank_px);
    let right_edge = layout.width - 8.0;
    let starts: Vec<(f64, f64)> = layout.bars.iter().map(|b| (b.y, b.x)).collect();
    for bar in &mut layout.bars {
        let op = &view.operations[bar.index];
        bar.class = if op.unknown { "plain unknown" } else { "plain" };
        bar.position = None;
        let room = starts
            .iter()
            .filter(|(y, x)| *y == bar.y && *x > bar.x)
            .map(|(_, x)| *x)
            .fold(right_edge, f64::min)
            - bar.x;
        let text = labels
            .get(bar.index)
            .cloned()
            .unwrap_or_else(|| op.description.clone());
        let needed = label_px(&text);
        // Inside the bar if it fits; else just after it if there is room before the next bar;
        // else from inside the bar on into the free space.
        bar.label_after = needed > bar.width && bar.width + needed - 4.0 <= room;
        bar.label = (needed <= room).then_some(text);
    }
    layout.paths.clear();
    layout.plain = true;
    layout
}

/// The narrowest rank (px) at which [`lay_out_plain`] shows every label.
pub fn plain_rank_px_min(view: &HistoryView, labels: &[String]) -> f64 {
    let end = f64::from(view.ranks) + 1.0;
    view.operations
        .iter()
        .enumerate()
        .map(|(i, op)| {
            let next = view
                .operations
                .iter()
                .filter(|o| o.client == op.client && o.call > op.call)
                .map(|o| f64::from(o.call))
                .fold(end, f64::min);
            let text = labels
                .get(i)
                .map_or(op.description.as_str(), String::as_str);
            label_px(text) / (next - f64::from(op.call)).max(1.0)
        })
        .fold(RANK_MIN_PX, f64::max)
}

/// The width a bar needs to show `text` (px).
fn label_px(text: &str) -> f64 {
    text.chars().count() as f64 * CHAR_PX + 8.0
}

/// Escapes text for SVG/HTML content and attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// The drawing as SVG markup. Each operation is a focusable `<g class="history-op …"
/// data-index="i">` with its description as title and label; the page handles hover, focus and
/// click on the container (one listener, however many operations). Operations in `marked` get
/// the class `marked` (and say so to screen readers), and the drawing `has-marks`.
pub fn svg(
    view: &HistoryView,
    layout: &Layout,
    selected: Option<usize>,
    marked: &[usize],
) -> String {
    use std::fmt::Write as _;
    // Whole pixels: crisp enough, and no float formatting code in the page.
    let px = |v: f64| v.round() as i64;
    let (w, h) = (px(layout.width), px(layout.height));
    let mut out = format!(
        "<svg class=\"history-svg{}\" width=\"{w}\" height=\"{h}\" viewBox=\"0 0 {w} {h}\" \
         role=\"group\" aria-label=\"Operations as bars per client, in real-time order\">",
        if marked.is_empty() { "" } else { " has-marks" }
    );
    for (label, y) in &layout.rows {
        let (label, y) = (label, *y);
        let yi = px(y);
        let _ = write!(
            out,
            "<g class=\"history-row\"><line x1=\"{}\" x2=\"{w}\" y1=\"{yi}\" y2=\"{yi}\"/>\
             <text x=\"6\" y=\"{}\">{}</text></g>",
            px(LABEL_WIDTH),
            px(y + 4.0),
            escape(label)
        );
    }
    for bar in &layout.bars {
        let op = &view.operations[bar.index];
        let is_marked = marked.contains(&bar.index);
        // The name starts with what the bar shows (`w 1`), then says it in words.
        let text = escape(&format!(
            "{}{}{}",
            bar.label
                .as_ref()
                .map_or_else(String::new, |l| format!("{l}: ")),
            if is_marked { "highlighted: " } else { "" },
            if layout.plain {
                describe_operation(op)
            } else {
                describe(op)
            }
        ));
        let selected = match (selected == Some(bar.index), is_marked) {
            (true, true) => " selected marked",
            (true, false) => " selected",
            (false, true) => " marked",
            (false, false) => "",
        };
        let _ = write!(
            out,
            "<g class=\"history-op {}{selected}\" data-index=\"{}\" tabindex=\"0\" role=\"button\" \
             aria-label=\"{text}\"><title>{text}</title><rect x=\"{}\" y=\"{}\" width=\"{}\" \
             height=\"{}\" rx=\"4\"/>",
            bar.class,
            bar.index,
            px(bar.x),
            px(bar.y),
            px(bar.width).max(2),
            px(BAR_HEIGHT)
        );
        let text_y = px(bar.y + BAR_HEIGHT / 2.0 + 4.0);
        if let Some(label) = &bar.label {
            let x = if bar.label_after {
                bar.x + bar.width + 4.0
            } else {
                bar.x + 4.0
            };
            let _ = write!(
                out,
                "<text x=\"{}\" y=\"{text_y}\">{}</text>",
                px(x),
                escape(label)
            );
        }
        if bar.open {
            let _ = write!(
                out,
                "<text class=\"open-end\" x=\"{}\" y=\"{text_y}\">…</text>",
                px(bar.x + bar.width - 10.0)
            );
        }
        out.push_str("</g>");
    }
    for path in &layout.paths {
        out.push_str("<g class=\"history-path\" aria-hidden=\"true\"><polyline points=\"");
        for (k, (x, y)) in path.iter().enumerate() {
            let _ = write!(
                out,
                "{}{},{}",
                if k == 0 { "" } else { " " },
                px(*x),
                px(*y)
            );
        }
        out.push_str("\"/>");
        for (x, y) in path {
            let _ = write!(out, "<circle cx=\"{}\" cy=\"{}\" r=\"3\"/>", px(*x), px(*y));
        }
        out.push_str("</g>");
    }
    out.push_str("</svg>");
    out
}

/// For each partition shown, its placed operations in order with a point in rank units: inside
/// the operation's interval and after the previous point. Such points exist because the order
/// respects real time (no operation is placed after one that was invoked after it returned).
pub fn linearization_paths(view: &HistoryView, partition: Option<&str>) -> Vec<Vec<(usize, f64)>> {
    let mut by_partition: Vec<(&str, Vec<(usize, usize)>)> = Vec::new();
    for (index, op) in view.operations.iter().enumerate() {
        let Placement::Linearized { position } = op.placement else {
            continue;
        };
        if !shown(op, partition) {
            continue;
        }
        match by_partition.iter_mut().find(|(p, _)| *p == op.partition) {
            Some((_, ops)) => ops.push((position, index)),
            None => by_partition.push((&op.partition, vec![(position, index)])),
        }
    }
    let end = f64::from(view.ranks) + 0.5;
    by_partition
        .into_iter()
        .map(|(_, mut ops)| {
            ops.sort_unstable();
            let mut previous = f64::NEG_INFINITY;
            ops.into_iter()
                .map(|(_, index)| {
                    let op = &view.operations[index];
                    let call = f64::from(op.call);
                    let ret = op.ret.map_or(end, f64::from);
                    // Spread points a little so consecutive ones do not overlap.
                    let point = (call + 0.5).max(previous + 0.25).min(ret - 0.05);
                    previous = point;
                    (index, point)
                })
                .collect()
        })
        .collect()
}

/// The partitions of a view (labels in first-appearance order), empty when checked whole.
pub fn partitions(view: &HistoryView) -> Vec<String> {
    let mut labels: Vec<String> = Vec::new();
    for op in &view.operations {
        if !op.partition.is_empty() && !labels.contains(&op.partition) {
            labels.push(op.partition.clone());
        }
    }
    labels
}

/// An operation without the checker's verdict: client, what it did, when, and its line.
pub fn describe_operation(op: &OperationView) -> String {
    let span = match op.ret {
        Some(r) => format!("events {}–{}", op.call, r),
        None => format!("from event {}, never returned", op.call),
    };
    let partition = if op.partition.is_empty() {
        String::new()
    } else {
        format!(" · {}", op.partition)
    };
    let outcome = if op.unknown { " (outcome unknown)" } else { "" };
    format!(
        "client {} · {}{outcome}{partition} · {span} · line {}",
        op.client, op.description, op.line
    )
}

/// One line describing an operation and where the checker placed it, for the detail panel and
/// screen readers.
pub fn describe(op: &OperationView) -> String {
    let placement = match &op.placement {
        Placement::Linearized { position } => format!(
            "placed {} in the order: state {} → {}",
            position + 1,
            op.state_before.as_deref().unwrap_or("?"),
            op.state_after.as_deref().unwrap_or("?")
        ),
        Placement::Stuck {
            required_state,
            accepted_in_state,
            returns_first,
        } => {
            let state = op.state_before.as_deref().unwrap_or("?");
            let why = match (required_state, accepted_in_state) {
                (_, true) => "allowed there, but nothing could follow it".to_string(),
                (Some(needed), false) => format!("it needs {needed}"),
                (None, false) => "not allowed in that state".to_string(),
            };
            let first = if *returns_first {
                "; it returned first, so it had to be placed by then"
            } else {
                ""
            };
            format!("cannot be placed after state {state}: {why}{first}")
        }
        Placement::Unplaced => "not reached by the search".to_string(),
    };
    format!("{} · {placement}", describe_operation(op))
}

#[cfg(test)]
mod tests {
    use super::*;
    use engine::lin::{view_text, Budget, Format};

    fn view(text: &str) -> HistoryView {
        view_text(text, Format::Auto, &mut Budget::default()).unwrap()
    }

    const OVERLAP: &str = r#"{"client": 0, "type": "invoke", "f": "write", "value": 1}
{"client": 1, "type": "invoke", "f": "write", "value": 2}
{"client": 2, "type": "invoke", "f": "read"}
{"client": 2, "type": "ok", "f": "read", "value": 2}
{"client": 1, "type": "ok", "f": "write", "value": 2}
{"client": 2, "type": "invoke", "f": "read"}
{"client": 2, "type": "ok", "f": "read", "value": 1}
{"client": 0, "type": "ok", "f": "write", "value": 1}
"#;

    #[test]
    fn linearization_points_lie_inside_their_bars_and_move_forward() {
        let v = view(OVERLAP);
        let paths = linearization_paths(&v, None);
        assert_eq!(paths.len(), 1);
        assert_eq!(paths[0].len(), 4);
        let mut previous = f64::NEG_INFINITY;
        for &(index, point) in &paths[0] {
            let op = &v.operations[index];
            assert!(
                point > f64::from(op.call),
                "{point} before call {}",
                op.call
            );
            assert!(op.ret.is_none_or(|r| point < f64::from(r)));
            assert!(point > previous);
            previous = point;
        }
    }

    #[test]
    fn bars_sit_on_their_client_rows_and_labels_only_when_they_fit() {
        let v = view(OVERLAP);
        let wide = lay_out(&v, 40.0, None);
        assert_eq!(wide.rows.len(), 3);
        assert_eq!(wide.bars.len(), 4);
        let read = &wide.bars[2];
        assert_eq!(v.operations[read.index].client, 2);
        assert!(read.y > wide.bars[1].y);
        // The long write of client 0 has room for "n. write(1) -> ok"; the short read has not.
        let write = &wide.bars[0];
        assert!(
            write.label.as_deref().unwrap().contains(". write(1)"),
            "{write:?}"
        );
        assert!(read.label.is_none(), "{read:?}");
        let narrow = lay_out(&v, 3.0, None);
        assert!(narrow.bars.iter().all(|b| b.label.is_none()));
        assert!(narrow.width < wide.width);
    }

    #[test]
    fn a_stuck_operation_is_marked_and_described() {
        let v = view(
            r#"{"client": 0, "type": "invoke", "f": "write", "value": 1}
{"client": 0, "type": "ok", "f": "write", "value": 1}
{"client": 1, "type": "invoke", "f": "read"}
{"client": 1, "type": "ok", "f": "read", "value": 7}
"#,
        );
        let layout = lay_out(&v, 20.0, None);
        assert_eq!(layout.bars[1].class, "stuck");
        let text = describe(&v.operations[1]);
        assert!(
            text.contains("cannot be placed after state 1: it needs 7"),
            "{text}"
        );
    }

    #[test]
    fn filtering_to_a_partition_hides_other_keys_and_their_clients() {
        let v = view(
            r#"{"client": 0, "type": "invoke", "f": "put", "key": "x", "value": "a"}
{"client": 0, "type": "ok", "f": "put", "key": "x", "value": "a"}
{"client": 1, "type": "invoke", "f": "get", "key": "y"}
{"client": 1, "type": "ok", "f": "get", "key": "y", "value": ""}
"#,
        );
        assert_eq!(partitions(&v), ["key \"x\"", "key \"y\""]);
        let only_y = lay_out(&v, 20.0, Some("key \"y\""));
        assert_eq!(only_y.bars.len(), 1);
        // Re-ranked: the one operation spans ranks 0..1 and keeps its index in the history.
        assert_eq!(only_y.ranks, 2);
        assert_eq!(only_y.bars[0].index, 1);
        assert_eq!(only_y.bars[0].x, LABEL_WIDTH + 1.0);
        assert_eq!(
            only_y.rows,
            [("client 1".to_string(), TOP + ROW_HEIGHT / 2.0)]
        );
    }

    #[test]
    fn the_svg_has_one_focusable_group_per_bar_and_escapes_text() {
        let v = view(
            r#"{"client": 0, "type": "invoke", "f": "put", "key": "<b>", "value": "a&b"}
{"client": 0, "type": "ok", "f": "put", "key": "<b>", "value": "a&b"}
"#,
        );
        let l = lay_out(&v, 40.0, None);
        let markup = svg(&v, &l, Some(0), &[]);
        assert_eq!(markup.matches("class=\"history-op").count(), 1);
        assert!(markup.contains("history-op lin selected\" data-index=\"0\" tabindex=\"0\""));
        assert!(!markup.contains("<b>"), "{markup}");
        assert!(
            markup.contains("&lt;b&gt;") && markup.contains("a&amp;b"),
            "{markup}"
        );
        assert_eq!(markup.matches("<circle").count(), 1);
    }

    #[test]
    fn a_plain_layout_shows_no_placements_and_lets_labels_use_free_row_space() {
        let v = view(OVERLAP);
        let labels: Vec<String> = ["w 1", "w 2", "r 2", "r 1"].map(String::from).to_vec();
        let checked = lay_out(&v, 20.0, None);
        let plain = lay_out_plain(&v, &labels, 20.0);
        assert!(plain.plain && !checked.plain);
        assert!(plain.paths.is_empty() && !checked.paths.is_empty());
        assert!(plain
            .bars
            .iter()
            .all(|b| b.class == "plain" && b.position.is_none()));
        // Client 2's first read is one rank (18 px) wide: too narrow for "r 2" (28 px) alone,
        // but the next bar of its row starts two ranks later.
        let first_read = &plain.bars[2];
        assert!(first_read.width < label_px("r 2"), "{first_read:?}");
        assert_eq!(first_read.label.as_deref(), Some("r 2"));
        assert!(
            first_read.label_after,
            "drawn after its bar: {first_read:?}"
        );
        let wide = lay_out_plain(&v, &labels, 60.0);
        assert!(wide
            .bars
            .iter()
            .all(|b| b.label.is_some() && !b.label_after));
        // Squeezed, no label fits; at the minimum rank width every one does.
        assert!(lay_out_plain(&v, &labels, 3.0)
            .bars
            .iter()
            .all(|b| b.label.is_none()));
        let min = plain_rank_px_min(&v, &labels);
        let fitted = lay_out_plain(&v, &labels, min);
        assert!(fitted.bars.iter().all(|b| b.label.is_some()), "{fitted:?}");
        let tighter = lay_out_plain(&v, &labels, min - 0.5);
        assert!(
            tighter.bars.iter().any(|b| b.label.is_none()),
            "{min} is not the minimum"
        );
    }

    #[test]
    fn marked_operations_are_classed_and_announced_and_plain_ones_say_no_verdict() {
        let v = view(OVERLAP);
        let labels: Vec<String> = ["w 1", "w 2", "r 2", "r 1"].map(String::from).to_vec();
        let markup = svg(&v, &lay_out_plain(&v, &labels, 40.0), None, &[1, 3]);
        assert!(
            markup.contains("class=\"history-svg has-marks\""),
            "{markup}"
        );
        assert_eq!(markup.matches(" marked\"").count(), 2);
        assert!(markup.contains("history-op plain marked\" data-index=\"1\""));
        assert!(markup.contains("aria-label=\"w 2: highlighted: client 1 · write(2)"));
        assert!(
            !markup.contains("placed"),
            "a plain drawing gives no verdict: {markup}"
        );
        assert!(!markup.contains("<circle"));
        let unmarked = svg(&v, &lay_out(&v, 40.0, None), None, &[]);
        assert!(!unmarked.contains("marked") && !unmarked.contains("has-marks"));
        assert!(unmarked.contains("placed 1 in the order"));
    }

    #[test]
    fn the_fitted_zoom_stays_within_bounds() {
        assert_eq!(fit_rank_px(4, 2000.0), RANK_MAX_PX);
        assert_eq!(fit_rank_px(100_000, 800.0), RANK_MIN_PX);
        let px = fit_rank_px(200, 864.0);
        assert!((px - 3.92).abs() < 0.01, "{px}");
    }
}
