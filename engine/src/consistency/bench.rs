//! The consistency benchmark's workload, the same natively (`dslab bench-classify`) and in the
//! browser's worker (the benchmark page): generated register histories judged under every
//! model.

use crate::rng::Rng;

/// Operations in the benchmark's histories.
pub const BENCH_OPERATIONS: usize = 100;
/// Clients in the benchmark's histories.
pub const BENCH_CLIENTS: u64 = 5;
/// Chance (parts per million) that a generated read returns an older value than the current one.
pub const BENCH_STALE_READ_PPM: u32 = 100_000;
/// How many values back a stale read may go (values).
pub const BENCH_STALE_READ_DEPTH_MAX: u64 = 3;

/// The benchmark's two histories: (name, stale-read chance in ppm).
pub const BENCH_HISTORIES: [(&str, u32); 2] = [
    ("linearizable register history", 0),
    ("with stale reads", BENCH_STALE_READ_PPM),
];

/// A register history of [`BENCH_OPERATIONS`] operations by [`BENCH_CLIENTS`] clients whose
/// calls overlap: each operation takes effect at a random moment between its invoke and its
/// return, so the history is linearizable, except that a read returns one of the few values
/// before the current one with probability `stale_ppm` per million.
pub fn history(seed: u64, stale_ppm: u32) -> String {
    #[derive(Clone, Copy)]
    enum Busy {
        Idle,
        Invoked {
            write: Option<i64>,
        },
        Done {
            write: Option<i64>,
            seen: Option<i64>,
        },
    }
    let mut rng = Rng::new(seed);
    let mut clients = vec![Busy::Idle; BENCH_CLIENTS as usize];
    // Every value the register has held, oldest first (nil first).
    let mut held: Vec<Option<i64>> = vec![None];
    let mut invoked = 0;
    let mut next_value = 1;
    let mut lines = Vec::new();
    let show = |v: Option<i64>| v.map_or_else(|| "null".to_string(), |v| v.to_string());
    while invoked < BENCH_OPERATIONS || clients.iter().any(|c| !matches!(c, Busy::Idle)) {
        let client = rng.below(BENCH_CLIENTS) as usize;
        clients[client] = match clients[client] {
            Busy::Idle if invoked < BENCH_OPERATIONS => {
                invoked += 1;
                let write = rng.chance_ppm(500_000).then(|| {
                    next_value += 1;
                    next_value - 1
                });
                lines.push(match write {
                    Some(v) => format!(
                        "{{\"client\": {client}, \"type\": \"invoke\", \"f\": \"write\", \"value\": {v}}}"
                    ),
                    None => format!("{{\"client\": {client}, \"type\": \"invoke\", \"f\": \"read\"}}"),
                });
                Busy::Invoked { write }
            }
            Busy::Idle => Busy::Idle,
            Busy::Invoked { write: Some(v) } => {
                held.push(Some(v));
                Busy::Done {
                    write: Some(v),
                    seen: None,
                }
            }
            Busy::Invoked { write: None } => {
                let back = if rng.chance_ppm(stale_ppm) {
                    rng.range_inclusive(1, BENCH_STALE_READ_DEPTH_MAX) as usize
                } else {
                    0
                };
                let seen = held[held.len().saturating_sub(1 + back)];
                Busy::Done { write: None, seen }
            }
            Busy::Done { write, seen } => {
                lines.push(match write {
                    Some(v) => format!(
                        "{{\"client\": {client}, \"type\": \"ok\", \"f\": \"write\", \"value\": {v}}}"
                    ),
                    None => format!(
                        "{{\"client\": {client}, \"type\": \"ok\", \"f\": \"read\", \"value\": {}}}",
                        show(seen)
                    ),
                });
                Busy::Idle
            }
        };
    }
    lines.join("\n") + "\n"
}
