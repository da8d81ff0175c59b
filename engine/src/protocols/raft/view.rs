//! What the simulation view shows of Raft: the inspector's fields and the log grid.

use super::properties::{durable, up_state};
use super::*;

/// The inspector's fields for one server.
pub fn node_view(s: &NodeState) -> NodeView {
    let p = &s.persistent;
    let mut v = NodeView::new(s.role.to_string())
        .badge(format_args!("T{}", p.current_term))
        .field("term", p.current_term)
        .field(
            "voted for",
            p.voted_for.map_or("-".into(), |n| format!("n{n}")),
        )
        .field("leader", s.leader.map_or("-".into(), |n| format!("n{n}")))
        .field("log", compact_log(&p.log))
        .field("commit", s.commit_index)
        .field("applied", compact_applied(&s.applied));
    if s.role == Role::Leader {
        let per_peer = |xs: &[Index]| {
            (0..s.nodes)
                .filter(|&i| i != s.me)
                .map(|i| format!("n{i}:{}", xs[usize::from(i)]))
                .collect::<Vec<_>>()
                .join(" ")
        };
        v = v
            .field("nextIndex", per_peer(&s.next_index))
            .field("matchIndex", per_peer(&s.match_index));
    }
    v
}

/// Every server's log as a grid (column = index, colour = term, marked = committed), the
/// picture RaftScope and the paper's figures draw. A crashed server shows the log it
/// persisted.
pub fn log_grid(w: &WorldRef<'_, Raft>) -> Vec<Panel> {
    let logs: Vec<(Option<&NodeState>, &[Entry])> = (0..w.nodes())
        .map(|n| {
            let live = up_state(w, n);
            let log = live
                .map(|s| s.persistent.log.as_slice())
                .or_else(|| durable(w, n).map(|d| d.raft.log.as_slice()))
                .unwrap_or_default();
            (live, log)
        })
        .collect();
    // The same columns for every row: the latest GRID_ENTRIES_MAX indexes.
    let longest = logs.iter().map(|(_, l)| l.len()).max().unwrap_or(0);
    let skip = longest.saturating_sub(GRID_ENTRIES_MAX);
    let rows = logs
        .iter()
        .enumerate()
        .map(|(n, (live, log))| {
            let (note, committed) = match live {
                Some(s) => (
                    format!("{} · term {}", s.role, s.persistent.current_term),
                    usize::try_from(s.commit_index).unwrap_or(usize::MAX),
                ),
                None => ("down".to_string(), 0),
            };
            GridRow {
                label: format!("n{n}"),
                note,
                cells: log
                    .iter()
                    .enumerate()
                    .skip(skip)
                    .map(|(i, e)| Cell {
                        text: e.term.to_string(),
                        detail: if i < committed {
                            format!("term {}: {} (committed)", e.term, e.command)
                        } else {
                            format!("term {}: {}", e.term, e.command)
                        },
                        group: u32::try_from(e.term).unwrap_or(u32::MAX),
                    })
                    .collect(),
                marked_below: committed.saturating_sub(skip),
                down: live.is_none(),
            }
        })
        .collect();
    vec![Panel::Grid(Grid {
        title: "Logs".into(),
        column_label: "index".into(),
        first_column: skip,
        legend: "One row per server, one cell per entry: the number is the entry's term \
                 (colour too); a solid cell is committed on that server."
            .into(),
        rows,
    })]
}

/// Most log entries the log grid draws per server (the latest ones).
const GRID_ENTRIES_MAX: usize = 40;

/// Most log entries a view spells out; earlier ones are elided.
const VIEW_ENTRIES_MAX: usize = 10;

/// `1:put.x.1|1:noop|2:put.y.2`, the last [`VIEW_ENTRIES_MAX`] entries.
fn compact_log(log: &[Entry]) -> String {
    let skip = log.len().saturating_sub(VIEW_ENTRIES_MAX);
    let mut out = if skip > 0 {
        format!("…{skip}|")
    } else {
        String::new()
    };
    let parts: Vec<String> = log[skip..]
        .iter()
        .map(|e| format!("{}:{}", e.term, e.command))
        .collect();
    out.push_str(&parts.join("|"));
    out
}

/// `3: put.x.1 put.y.2`, the count and the last few commands (no-ops left out).
fn compact_applied(applied: &[Rc<str>]) -> String {
    let cmds: Vec<&str> = applied
        .iter()
        .map(|c| &**c)
        .filter(|c| *c != NOOP)
        .collect();
    let skip = cmds.len().saturating_sub(4);
    let mut out = format!("{}", applied.len());
    if !cmds.is_empty() {
        out.push(':');
        if skip > 0 {
            out.push_str(" …");
        }
        for c in &cmds[skip..] {
            out.push(' ');
            out.push_str(c);
        }
    }
    out
}
