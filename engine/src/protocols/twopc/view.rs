//! What the view draws for two-phase commit: each node's write-ahead log, the participants'
//! locks with how long they have been held, and the bank's invariant.

use super::properties::{bank, disk_of};
use super::types::*;
use super::TwoPc;
use crate::sim::panel::{Cell, Grid, GridRow, Panel};
use crate::sim::protocol::{NodeId, NodeView};
use crate::sim::world::{Status, WorldRef};

/// Most log records drawn per node (the latest ones).
const RECORDS_MAX: usize = 12;

/// `t3, t4`.
fn tx_list(txs: &[TxId]) -> String {
    let names: Vec<String> = txs.iter().map(|t| format!("t{t}")).collect();
    names.join(", ")
}

/// What the coordinator is doing with `t`, e.g. `collecting votes (1 of 2)`.
pub fn phase_text(t: &CoordTx) -> String {
    match t.phase {
        Phase::Collecting => format!(
            "collecting votes ({} of {})",
            t.votes.len(),
            t.participants.len()
        ),
        Phase::Deciding(o) => format!("deciding {o}"),
        Phase::Announced(o) => format!(
            "{o} sent, {} of {} acknowledged",
            t.acks.len(),
            t.participants.len()
        ),
        Phase::Ended(o) => format!("{o}, ended"),
    }
}

fn disk_text(queue: &std::collections::VecDeque<Step>, writing: bool) -> String {
    match queue.front() {
        Some(Step::Log(r)) if writing => format!("writing {r}"),
        _ => "idle".to_string(),
    }
}

/// The transactions a participant is in doubt about (voted YES, no outcome yet).
pub fn in_doubt(p: &Participant) -> Vec<TxId> {
    p.txs
        .iter()
        .filter(|(_, t)| t.status == PartStatus::InDoubt)
        .map(|(tx, _)| *tx)
        .collect()
}

/// A participant's state in a few words: `in doubt: t3`, `holding 2 locks`, `idle`.
pub fn participant_state(p: &Participant) -> String {
    let doubt = in_doubt(p);
    if !doubt.is_empty() {
        return format!("in doubt: {}", tx_list(&doubt));
    }
    match p.locks.len() {
        0 => "idle".to_string(),
        1 => "holding 1 lock".to_string(),
        n => format!("holding {n} locks"),
    }
}

/// A node in the cluster drawing.
pub fn node_view(node: NodeId, state: &State) -> NodeView {
    match state {
        State::Coordinator(c) => {
            let busy: Vec<String> = c
                .txs
                .iter()
                .filter(|(_, t)| !matches!(t.phase, Phase::Ended(_)))
                .map(|(tx, t)| format!("t{tx}: {}", phase_text(t)))
                .collect();
            NodeView::new("coordinator")
                .field(
                    "state",
                    if busy.is_empty() {
                        "idle".to_string()
                    } else {
                        busy.join("; ")
                    },
                )
                .field("next", format!("t{}", c.disk.next_tx))
                .field("log", format!("{} records", c.disk.log.len()))
                .field("disk", disk_text(&c.queue, c.writing))
        }
        State::Participant(p) => {
            let balances: Vec<String> = (1..=ACCOUNTS_PER_PARTICIPANT)
                .map(|k| {
                    let a = Account::new(node, k);
                    format!("{a}={}", p.disk.balances[a.slot()])
                })
                .collect();
            NodeView::new("participant")
                .field("state", participant_state(p))
                .field("balances", balances.join(" "))
                .field("log", format!("{} records", p.disk.log.len()))
                .field("disk", disk_text(&p.queue, p.writing))
        }
    }
}

fn record_group(r: &Record) -> u32 {
    match r {
        Record::Prepared { .. } => 1,
        Record::Decision {
            outcome: Outcome::Commit,
            ..
        } => 3,
        Record::Decision {
            outcome: Outcome::Abort,
            ..
        } => 6,
        Record::End { .. } => 0,
    }
}

fn record_detail(r: &Record) -> String {
    match r {
        Record::Prepared { tx, ops } => format!("PREPARED t{tx}: {}", ops_text(ops)),
        Record::Decision {
            tx,
            outcome,
            participants,
        } if !participants.is_empty() => {
            let to: Vec<String> = participants.iter().map(|p| format!("n{p}")).collect();
            format!("{outcome} t{tx}, to tell {}", to.join(", "))
        }
        r => r.to_string(),
    }
}

fn log_row(w: &WorldRef<'_, TwoPc>, n: NodeId) -> GridRow {
    let down = w.status(n) == Status::Down;
    let log: Vec<Record> = match w.durable(n) {
        Some(d) => d.log().to_vec(),
        None => Vec::new(),
    };
    let (pending, note): (Vec<(Record, bool)>, String) = match w.state(n) {
        Some(State::Coordinator(c)) if !down => {
            let open = c
                .txs
                .values()
                .filter(|t| !matches!(t.phase, Phase::Ended(_)))
                .count();
            (
                queued(&c.queue, c.writing),
                format!("coordinator · {open} open"),
            )
        }
        Some(State::Participant(p)) if !down => (
            queued(&p.queue, p.writing),
            format!("participant · {}", participant_state(p)),
        ),
        _ => (Vec::new(), "down · its log survives".to_string()),
    };
    let skip = (log.len() + pending.len()).saturating_sub(RECORDS_MAX);
    let mut cells: Vec<Cell> = log
        .iter()
        .map(|r| Cell {
            text: r.to_string(),
            detail: format!("{} · on disk", record_detail(r)),
            group: record_group(r),
        })
        .collect();
    let durable = cells.len();
    cells.extend(pending.iter().map(|(r, writing)| Cell {
        text: r.to_string(),
        detail: format!(
            "{} · {}",
            record_detail(r),
            if *writing {
                "being forced to disk"
            } else {
                "waiting for the disk"
            }
        ),
        group: record_group(r),
    }));
    let cells: Vec<Cell> = cells.into_iter().skip(skip).collect();
    GridRow {
        label: format!("n{n}"),
        note,
        cells,
        marked_below: durable.saturating_sub(skip),
        down,
    }
}

/// The records in a disk queue, each with whether it is the one being written.
fn queued(queue: &std::collections::VecDeque<Step>, writing: bool) -> Vec<(Record, bool)> {
    queue
        .iter()
        .enumerate()
        .filter_map(|(i, s)| match s {
            Step::Log(r) => Some((r.clone(), writing && i == 0)),
            Step::Send(..) => None,
        })
        .collect()
}

/// `since t=412 (188 ticks)` on node `n`'s clock.
fn held_for(w: &WorldRef<'_, TwoPc>, n: NodeId, since: u64) -> String {
    let now = w.local_time(n);
    format!("since t={since} ({} ticks)", now.saturating_sub(since))
}

fn lock_row(w: &WorldRef<'_, TwoPc>, n: NodeId) -> GridRow {
    let row = |note: String, cells: Vec<Cell>, down: bool| GridRow {
        label: format!("n{n}"),
        note,
        cells,
        marked_below: 0,
        down,
    };
    let p = match w.state(n) {
        Some(State::Participant(p)) if w.status(n) != Status::Down => p,
        _ => {
            let disk = disk_of(w, n);
            let doubt = super::rules::recover_participant(&disk.log);
            let note = if doubt.is_empty() {
                "down · no locks survive a crash".to_string()
            } else {
                format!(
                    "down · PREPARED {} on disk: in doubt again on restart",
                    tx_list(&doubt)
                )
            };
            return row(note, Vec::new(), true);
        }
    };
    let cells: Vec<Cell> = p
        .locks
        .iter()
        .map(|(account, tx)| {
            let t = p.txs.get(tx);
            let why = match t.map(|t| t.status) {
                Some(PartStatus::InDoubt) => "in doubt",
                Some(PartStatus::Preparing) => "preparing",
                Some(PartStatus::Finishing(_)) => "logging the outcome",
                _ => "held",
            };
            let since = t.map_or_else(String::new, |t| held_for(w, n, t.since));
            let doubted = t.is_some_and(|t| t.status == PartStatus::InDoubt);
            Cell {
                text: format!("{account} t{tx}"),
                detail: format!("{account} locked by t{tx}, {why} {since}"),
                // In-doubt locks stand out.
                group: if doubted { 6 } else { 1 },
            }
        })
        .collect();
    let doubt: Vec<String> = p
        .txs
        .iter()
        .filter(|(_, t)| t.status == PartStatus::InDoubt)
        .map(|(tx, t)| format!("in doubt: t{tx} {}", held_for(w, n, t.since)))
        .collect();
    let note = match (p.locks.len(), doubt.is_empty()) {
        (0, _) => "no locks".to_string(),
        (k, true) => format!("holding {k} lock{}", if k == 1 { "" } else { "s" }),
        (k, false) => format!(
            "holding {k} lock{} · {}",
            if k == 1 { "" } else { "s" },
            doubt.join(" · ")
        ),
    };
    row(note, cells, false)
}

/// The three panels: logs, locks, bank.
pub fn panels(w: &WorldRef<'_, TwoPc>) -> Vec<Panel> {
    let logs = Grid {
        title: "Write-ahead logs".into(),
        column_label: "record".into(),
        first_column: 0,
        legend: "One row per node, one cell per log record. Solid cells are on disk and \
                 survive a crash; a hollow cell is being forced to disk (or waits for it), \
                 and a crash now loses it."
            .into(),
        rows: (0..w.nodes()).map(|n| log_row(w, n)).collect(),
    };
    let locks = Grid {
        title: "Locks".into(),
        column_label: "lock".into(),
        first_column: 0,
        legend: "Accounts each participant has locked, and for which transaction. A \
                 participant in doubt voted YES: it may not abort on its own, so it keeps \
                 its locks until the coordinator answers."
            .into(),
        rows: (1..=PARTICIPANTS).map(|n| lock_row(w, n)).collect(),
    };
    vec![
        Panel::Grid(logs),
        Panel::Grid(locks),
        Panel::Grid(bank_panel(w)),
    ]
}

fn bank_panel(w: &WorldRef<'_, TwoPc>) -> Grid {
    let b = bank(w);
    let mut rows: Vec<GridRow> = b
        .balances
        .iter()
        .enumerate()
        .map(|(i, balances)| {
            let n = i as NodeId + 1;
            let cells = balances
                .iter()
                .enumerate()
                .map(|(k, v)| {
                    let a = Account::new(n, k as u8 + 1);
                    Cell {
                        text: format!("{a} {v}"),
                        detail: format!("{a}: {v} committed"),
                        group: if *v < 0 { 6 } else { 2 },
                    }
                })
                .collect();
            GridRow {
                label: format!("n{n}"),
                note: format!("{} on disk", balances.iter().sum::<i64>()),
                cells,
                marked_below: balances.len(),
                down: w.status(n) == Status::Down,
            }
        })
        .collect();
    let summary = |label: &str, note: String| GridRow {
        label: label.into(),
        note,
        cells: Vec::new(),
        marked_below: 0,
        down: false,
    };
    let verdict = if b.conserved() {
        "conserved"
    } else {
        "NOT conserved"
    };
    rows.push(summary(
        "total",
        format!("{} of {TOTAL} · {verdict}", b.total()),
    ));
    rows.push(summary(
        "in flight",
        if b.in_flight == 0 {
            "0".to_string()
        } else {
            format!(
                "{:+} (committed at one participant, in doubt at another)",
                b.in_flight
            )
        },
    ));
    rows.push(summary(
        "committed",
        if b.committed.is_empty() {
            "none".to_string()
        } else {
            format!("{} · {}", b.committed.len(), tx_list(&b.committed))
        },
    ));
    rows.push(summary(
        "split outcome",
        if b.split.is_empty() {
            "none".to_string()
        } else {
            format!(
                "{} committed at one participant, aborted at another",
                tx_list(&b.split)
            )
        },
    ));
    let negative = b.balances.iter().flatten().filter(|v| **v < 0).count();
    rows.push(summary("negative accounts", negative.to_string()));
    Grid {
        title: "Bank".into(),
        column_label: "account".into(),
        first_column: 0,
        legend: "Committed balances as the participants' disks hold them. The money of a \
                 transfer committed at one participant and still in doubt at the other is \
                 in flight; the total must always be the bank's."
            .into(),
        rows,
    }
}
