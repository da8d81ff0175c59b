//! What the simulation view shows of Paxos: the inspector's fields and the acceptor grid.

use super::*;
use crate::sim::protocol::Emphasis;

/// The inspector's fields for one node.
pub fn node_view(s: &NodeState) -> NodeView {
    // The short label is drawn inside the node; the field lists every role.
    let (role, roles) = if s.proposer {
        ("proposer", "proposer, acceptor, learner")
    } else {
        ("acceptor", "acceptor, learner")
    };
    let mut v = NodeView::new(role)
        .field("roles", roles)
        .field("promised", show_ballot(s.acceptor.promised))
        .field(
            "accepted ballot",
            show_ballot(s.acceptor.accepted.as_ref().map(|p| p.0)),
        )
        .field(
            "accepted value",
            s.acceptor.accepted.as_ref().map_or("-", |p| &*p.1),
        )
        .field("learned", s.learned.as_deref().unwrap_or("-"));
    if s.proposer {
        v = v
            .emphasis(Emphasis::Contend)
            .badge(format_args!("r{}", s.round))
            .field("phase", &s.phase)
            .field("value", s.value.as_deref().unwrap_or("-"))
            .field("round", s.round);
    }
    v
}

/// The acceptors' state as a grid: one row per node, columns promised ballot, accepted
/// ballot and accepted value; colour = round; rows whose accepted proposal is the chosen
/// one are marked. A crashed node shows what it wrote to stable storage.
pub fn acceptor_grid(w: &WorldRef<'_, Paxos>) -> Vec<Panel> {
    let chosen = chosen(w);
    let rows = (0..w.nodes())
        .map(|n| {
            let live = up_state(w, n);
            let acceptor = live
                .map(|s| s.acceptor.clone())
                .or_else(|| w.durable(n).map(|d| d.acceptor.clone()))
                .unwrap_or_default();
            let group =
                |b: Option<Ballot>| b.map_or(0, |b| u32::try_from(b.round).unwrap_or(u32::MAX));
            let accepted_ballot = acceptor.accepted.as_ref().map(|p| p.0);
            let mut cells = vec![
                Cell {
                    text: show_ballot(acceptor.promised),
                    detail: "promised: will not accept a lower ballot".into(),
                    group: group(acceptor.promised),
                },
                Cell {
                    text: show_ballot(accepted_ballot),
                    detail: "ballot of the highest-numbered proposal accepted".into(),
                    group: group(accepted_ballot),
                },
                Cell {
                    text: acceptor
                        .accepted
                        .as_ref()
                        .map_or("-".into(), |p| p.1.to_string()),
                    detail: "value of the highest-numbered proposal accepted".into(),
                    group: group(accepted_ballot),
                },
            ];
            let in_chosen = acceptor
                .accepted
                .as_ref()
                .is_some_and(|p| chosen.contains(p));
            if in_chosen {
                for cell in &mut cells {
                    cell.detail.push_str(" (the chosen value's majority)");
                }
            }
            let note = match live {
                Some(s) => {
                    let mut note = if s.proposer {
                        format!("proposer · {}", s.phase)
                    } else {
                        "acceptor".to_string()
                    };
                    if let Some(v) = &s.learned {
                        note.push_str(&format!(" · learned {v}"));
                    }
                    note
                }
                None => "down".to_string(),
            };
            GridRow {
                label: format!("n{n}"),
                note,
                cells,
                marked_below: if in_chosen { 3 } else { 0 },
                down: live.is_none(),
            }
        })
        .collect();
    vec![Panel::Grid(Grid {
        title: "Acceptors".into(),
        column_label: "column".into(),
        first_column: 0,
        legend: "One row per node. Column 1: the ballot it promised (round.proposer); \
                 column 2: the ballot of the proposal it accepted; column 3: that \
                 proposal's value. Colour = round; a solid row accepted the chosen proposal."
            .into(),
        rows,
    })]
}
