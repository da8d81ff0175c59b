//! What the view draws for three-phase commit: each node's state per transaction (the
//! participants' automaton, the coordinator's phase) and every transaction's outcomes side by
//! side, so a split decision reads at a glance.

use std::collections::BTreeMap;

use super::types::*;
use super::ThreePc;
use crate::sim::panel::{Cell, Grid, GridRow, Panel};
use crate::sim::protocol::{Emphasis, NodeId, NodeView};
use crate::sim::world::{Status, WorldRef};

/// Most transactions drawn (the latest ones).
const TX_COLUMNS_MAX: usize = 12;

/// A participant's state's colour group: initial 0, uncertain 1, pre-committed 2, committed 3,
/// aborted 6 (the palette's contrasting pair for the two outcomes).
fn state_group(s: PState) -> u32 {
    match s {
        PState::Initial => 0,
        PState::Uncertain => 1,
        PState::PreCommitted => 2,
        PState::Committed => 3,
        PState::Aborted => 6,
    }
}

fn phase_group(p: Phase) -> u32 {
    match p {
        Phase::Collecting | Phase::Inquiring => 0,
        Phase::PreCommitting => 2,
        Phase::Decided(Outcome::Commit) => 3,
        Phase::Decided(Outcome::Abort) => 6,
    }
}

/// What a participant is doing in the termination protocol, if anything: `recovery
/// coordinator of t3: collecting states (A pre-committed)`.
pub fn termination_text(p: &Participant) -> Option<(String, Emphasis)> {
    p.txs.iter().rev().find_map(|(tx, t)| match &t.term {
        Term::Waiting => None,
        Term::Electing { answered } => Some((
            format!(
                "electing for t{tx}: {}",
                if *answered {
                    "a lower participant answered"
                } else {
                    "asked the lower participants"
                }
            ),
            Emphasis::Contend,
        )),
        Term::Collecting { states } => Some((
            format!(
                "recovery coordinator of t{tx}: collecting states ({})",
                states_text(states)
            ),
            Emphasis::Lead,
        )),
        Term::PreCommitting { waiting, .. } => Some((
            format!(
                "recovery coordinator of t{tx}: pre-committing {}",
                letters(&waiting.iter().copied().collect::<Vec<_>>())
            ),
            Emphasis::Lead,
        )),
    })
}

/// A node in the cluster drawing.
pub fn node_view(node: NodeId, state: &State) -> NodeView {
    match state {
        State::Coordinator(c) => {
            let open: Vec<String> = c
                .txs
                .iter()
                .filter(|(_, t)| !matches!(t.phase, Phase::Decided(_)))
                .map(|(tx, t)| format!("t{tx} {}", t.phase))
                .collect();
            NodeView::new("coordinator")
                .field(
                    "state",
                    if open.is_empty() {
                        "idle".to_string()
                    } else {
                        open.join("; ")
                    },
                )
                .field("next", format!("t{}", c.disk.next_tx.max(1)))
        }
        State::Participant(p) => {
            let latest = p
                .txs
                .iter()
                .next_back()
                .map_or("no transaction yet".to_string(), |(tx, t)| {
                    format!("t{tx} {}", t.state)
                });
            let (role, emphasis) = match termination_text(p) {
                Some((_, Emphasis::Lead)) => ("recovery coordinator", Emphasis::Lead),
                Some((_, e)) => ("electing", e),
                None => ("participant", Emphasis::Peer),
            };
            let mut v = NodeView::new(role)
                .emphasis(emphasis)
                .badge(letter(node))
                .field("participant", letter(node))
                .field("latest", latest);
            if let Some((text, _)) = termination_text(p) {
                v = v.field("termination", text);
            }
            v
        }
    }
}

/// A participant's states: its volatile ones if it is up, else those on its disk.
fn participant_states(w: &WorldRef<'_, ThreePc>, n: NodeId) -> BTreeMap<TxId, PState> {
    match (w.status(n), w.state(n), w.durable(n)) {
        (Status::Up | Status::Paused, Some(State::Participant(p)), _) => {
            p.txs.iter().map(|(tx, t)| (*tx, t.state)).collect()
        }
        (_, _, Some(Durable::Participant(d))) => d.states.clone(),
        _ => BTreeMap::new(),
    }
}

/// The coordinator's phases: volatile if up, else from its disk.
fn coordinator_phases(w: &WorldRef<'_, ThreePc>) -> BTreeMap<TxId, Phase> {
    match (
        w.status(COORDINATOR),
        w.state(COORDINATOR),
        w.durable(COORDINATOR),
    ) {
        (Status::Up | Status::Paused, Some(State::Coordinator(c)), _) => {
            c.txs.iter().map(|(tx, t)| (*tx, t.phase)).collect()
        }
        (_, _, Some(Durable::Coordinator(d))) => d.phases.clone(),
        _ => BTreeMap::new(),
    }
}

/// How a transaction ended across the participants: `committed at A, aborted at B, C ·
/// atomicity broken`.
pub fn outcome_text(states: &[(NodeId, PState)]) -> String {
    let at = |s: PState| -> Vec<NodeId> {
        states
            .iter()
            .filter(|(_, x)| *x == s)
            .map(|(n, _)| *n)
            .collect()
    };
    let (committed, aborted) = (at(PState::Committed), at(PState::Aborted));
    let open: Vec<NodeId> = states
        .iter()
        .filter(|(_, s)| !s.is_final())
        .map(|(n, _)| *n)
        .collect();
    if !committed.is_empty() && !aborted.is_empty() {
        return format!(
            "committed at {}, aborted at {} · atomicity broken",
            letters(&committed),
            letters(&aborted)
        );
    }
    let decided = if !committed.is_empty() {
        Some(("committed", committed))
    } else if !aborted.is_empty() {
        Some(("aborted", aborted))
    } else {
        None
    };
    match (decided, open.is_empty()) {
        (Some((what, _)), true) => format!("{what} everywhere"),
        (Some((what, at)), false) => {
            format!("{what} at {}, open at {}", letters(&at), letters(&open))
        }
        (None, _) => "open everywhere".to_string(),
    }
}

/// The panels: states per node and transaction, and outcomes per transaction.
pub fn panels(w: &WorldRef<'_, ThreePc>) -> Vec<Panel> {
    let phases = coordinator_phases(w);
    let states: Vec<(NodeId, BTreeMap<TxId, PState>)> = (1..=PARTICIPANTS)
        .map(|n| (n, participant_states(w, n)))
        .collect();
    let last = phases
        .keys()
        .chain(states.iter().flat_map(|(_, s)| s.keys()))
        .copied()
        .max()
        .unwrap_or(0) as usize;
    let first = last.saturating_sub(TX_COLUMNS_MAX);
    let txs: Vec<TxId> = (first + 1..=last).map(|t| t as TxId).collect();
    let down = |n: NodeId| w.status(n) == Status::Down;

    let mut rows = vec![GridRow {
        label: "n0".to_string(),
        note: if down(COORDINATOR) {
            "coordinator · down, its disk survives".to_string()
        } else {
            "coordinator".to_string()
        },
        cells: txs
            .iter()
            .map(|tx| match phases.get(tx) {
                Some(p) => Cell {
                    text: p.to_string(),
                    detail: format!("n0, t{tx}: {p}"),
                    group: phase_group(*p),
                },
                None => Cell {
                    text: String::new(),
                    detail: format!("n0 has no record of t{tx}"),
                    group: 0,
                },
            })
            .collect(),
        marked_below: 0,
        down: down(COORDINATOR),
    }];
    for (n, s) in &states {
        let doing = match w.state(*n) {
            Some(State::Participant(p)) if !down(*n) => termination_text(p).map(|(t, _)| t),
            _ => None,
        };
        let note = if down(*n) {
            format!("{} · down, its states survive", letter(*n))
        } else {
            match doing {
                Some(t) => format!("{} · {t}", letter(*n)),
                None => format!("{} · participant", letter(*n)),
            }
        };
        rows.push(GridRow {
            label: format!("n{n}"),
            note,
            cells: txs
                .iter()
                .map(|tx| {
                    let st = s.get(tx).copied().unwrap_or(PState::Initial);
                    Cell {
                        text: st.to_string(),
                        detail: format!("{} (n{n}), t{tx}: {st}", letter(*n)),
                        group: state_group(st),
                    }
                })
                .collect(),
            marked_below: 0,
            down: down(*n),
        });
    }
    let state_grid = Grid {
        title: "States".to_string(),
        column_label: "transaction".to_string(),
        first_column: first,
        legend: "Each participant's state per transaction: initial, uncertain (voted YES), \
                 pre-committed, committed, aborted; n0's row is the coordinator's phase."
            .to_string(),
        rows,
    };

    let outcome_rows = txs
        .iter()
        .rev()
        .map(|tx| {
            let per: Vec<(NodeId, PState)> = states
                .iter()
                .map(|(n, s)| (*n, s.get(tx).copied().unwrap_or(PState::Initial)))
                .collect();
            GridRow {
                label: format!("t{tx}"),
                note: outcome_text(&per),
                cells: per
                    .iter()
                    .map(|(n, st)| Cell {
                        text: format!("{} {st}", letter(*n)),
                        detail: format!("{} (n{n}): {st}", letter(*n)),
                        group: state_group(*st),
                    })
                    .collect(),
                marked_below: 0,
                down: false,
            }
        })
        .collect();
    let outcome_grid = Grid {
        title: "Outcomes".to_string(),
        column_label: "participant".to_string(),
        first_column: 0,
        legend: "Every transaction, latest first, across A, B and C: atomic commitment needs \
                 one outcome per row."
            .to_string(),
        rows: outcome_rows,
    };
    vec![Panel::Grid(state_grid), Panel::Grid(outcome_grid)]
}
