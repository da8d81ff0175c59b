//! Protocol panels as HTML: pure functions of the engine's [`Panel`] data, tested natively.
//! Every panel kind the engine defines is drawn here, so a protocol that fills panels needs no
//! change to the view.

use engine::sim::panel::{Grid, Panel};
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

/// All panels as HTML.
pub fn markup(panels: &[Panel]) -> String {
    panels
        .iter()
        .map(|p| match p {
            Panel::Grid(grid) => grid_markup(grid),
        })
        .collect()
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
                "<td class=\"g{}{marked}\" title=\"{}{}\">{}</td>",
                cell.group % PALETTE_SIZE,
                escape(&cell.detail),
                if marked.is_empty() {
                    ""
                } else {
                    " (committed)"
                },
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
        let html = markup(&[Panel::Grid(grid)]);
        // Columns are numbered from first_column + 1; rows are padded to the longest.
        assert!(
            html.contains(">4</th>") && html.contains(">5</th>"),
            "{html}"
        );
        assert_eq!(html.matches("<td").count(), 4);
        assert_eq!(html.matches("class=\"empty\"").count(), 1);
        assert!(html.contains("<td class=\"g1 marked\" title=\"term 1: a (committed)\">1</td>"));
        assert!(
            html.contains("class=\"g1\" title=\"term 9: &lt;b&gt;\">9</td>"),
            "{html}"
        );
        assert!(html.contains("<tr class=\"down\">"));
        assert!(!html.contains("<b>"));
    }
}
