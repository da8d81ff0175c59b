//! `dslab classify` (judge one history under every consistency model) and `dslab bench-classify`
//! (time that on generated histories).
//!
//! The engine never reads a clock; the benchmark times around the engine's calls.

use engine::consistency::{
    causal, classify, classify_text, linearizable, parse_final_reads, sequential, session, Limits,
    Verdict,
};
use engine::lin::{parse, Format};
use engine::rng::Rng;
use std::process::ExitCode;
use std::time::{Duration, Instant};

pub const USAGE: &str = "\
usage: dslab classify <file> [--format auto|jepsen|kv|jsonl] [--final <file>] [--json]

Judges a history under every consistency model: linearizable, sequential, causal, the four
session guarantees (read-your-writes, monotonic-reads, monotonic-writes, writes-follow-reads)
and converged. Prints one line per model: its verdict (holds, violated, unknown,
not-applicable) and one sentence naming the anomaly or the reason.

  --final <file>   the replicas' final states, JSON lines {\"replica\": \"a\", \"key\": \"x\", \"value\": 1}
                   (key absent for a register); without it, converged is not-applicable
  --json           print the classification as JSON

exit 0 once the history is judged (whatever the verdicts), 2 for bad usage or input
";

/// Operations in the benchmark's histories.
const BENCH_OPERATIONS: usize = 100;
/// Clients in the benchmark's histories.
const BENCH_CLIENTS: u64 = 5;
/// Repetitions per benchmark history; the median is reported.
const BENCH_REPETITIONS: usize = 21;
/// Chance (parts per million) that a generated read returns an older value than the current one.
const BENCH_STALE_READ_PPM: u32 = 100_000;
/// How many values back a stale read may go (values).
const BENCH_STALE_READ_DEPTH_MAX: u64 = 3;

/// `dslab classify <file> [--format …] [--final <file>] [--json]`.
pub fn run_classify(args: &[String]) -> Result<ExitCode, String> {
    let mut file = None;
    let mut finals_file = None;
    let mut format = Format::Auto;
    let mut json = false;
    let mut rest = args.iter();
    while let Some(arg) = rest.next() {
        match arg.as_str() {
            "--help" | "-h" => {
                print!("{USAGE}");
                return Ok(ExitCode::SUCCESS);
            }
            "--format" => {
                let name = rest.next().ok_or("--format needs a value")?;
                format =
                    Format::from_name(name).ok_or_else(|| format!("unknown format '{name}'"))?;
            }
            "--final" => finals_file = Some(rest.next().ok_or("--final needs a file")?.clone()),
            "--json" => json = true,
            other if other.starts_with("--") => return Err(format!("unknown option '{other}'")),
            other if file.is_none() => file = Some(other.to_string()),
            other => return Err(format!("unexpected argument '{other}'")),
        }
    }
    let file = file.ok_or("classify needs a history file")?;
    let Some(text) = read(&file) else {
        return Ok(ExitCode::from(2));
    };
    let finals = match finals_file {
        None => None,
        Some(path) => {
            let Some(text) = read(&path) else {
                return Ok(ExitCode::from(2));
            };
            match parse_final_reads(&text) {
                Ok(finals) => Some(finals),
                Err(e) => return Ok(crate::lin::bad_input(&path, &e)),
            }
        }
    };
    let classified = match classify_text(&text, format, finals.as_ref(), &Limits::default()) {
        Ok(classified) => classified,
        Err(e) => return Ok(crate::lin::bad_input(&file, &e)),
    };
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(&classified).map_err(|e| e.to_string())?
        );
        return Ok(ExitCode::SUCCESS);
    }
    let width = classified
        .judgements
        .iter()
        .map(|j| j.model.name().len())
        .max()
        .unwrap_or(0);
    for j in &classified.judgements {
        let operations = if j.operations.is_empty() {
            String::new()
        } else {
            let lines: Vec<String> = j.operations.iter().map(|i| format!("#{i}")).collect();
            format!(" [operations {}]", lines.join(" "))
        };
        println!(
            "{:<width$}  {:<14}  {}{operations}",
            j.model.name(),
            j.verdict.name(),
            j.sentence
        );
    }
    Ok(ExitCode::SUCCESS)
}

fn read(path: &str) -> Option<String> {
    match std::fs::read_to_string(path) {
        Ok(text) => Some(text),
        Err(e) => {
            eprintln!("dslab: cannot read {path}: {e}");
            None
        }
    }
}

/// `dslab bench-classify`: every model on generated 100-operation, 5-client histories.
pub fn run_bench(args: &[String]) -> Result<ExitCode, String> {
    if let Some(extra) = args.first() {
        return Err(format!("bench-classify takes no arguments (got '{extra}')"));
    }
    println!(
        "{BENCH_OPERATIONS} operations, {BENCH_CLIENTS} clients, every model \
         (median of {BENCH_REPETITIONS}, parsing excluded)"
    );
    for (name, stale_ppm) in [
        ("linearizable register history", 0),
        ("with stale reads", BENCH_STALE_READ_PPM),
    ] {
        let text = bench_history(1, stale_ppm);
        let raw = parse(&text, Format::JsonLines).map_err(|e| e.to_string())?;
        let judgements = classify(&raw, None, &Limits::default()).map_err(|e| e.to_string())?;
        let verdicts: Vec<String> = judgements
            .iter()
            .map(|j| format!("{}={}", j.model.name(), short(j.verdict)))
            .collect();
        let total = median(|| {
            let _ = classify(&raw, None, &Limits::default());
        });
        println!("  {name}: {:.2} ms  ({})", ms(total), verdicts.join(" "));
        let limits = Limits::default();
        let parts = [
            (
                "linearizable",
                median(|| drop(linearizable::check(&raw, &limits))),
            ),
            (
                "sequential",
                median(|| drop(sequential::check(&raw, &limits))),
            ),
            ("causal", median(|| drop(causal::check(&raw)))),
            ("sessions", median(|| drop(session::check(&raw)))),
        ];
        let parts: Vec<String> = parts
            .iter()
            .map(|(model, time)| format!("{model} {:.2} ms", ms(*time)))
            .collect();
        println!("    of which {}", parts.join(", "));
    }
    Ok(ExitCode::SUCCESS)
}

/// The median time of [`BENCH_REPETITIONS`] runs of `work`.
fn median(mut work: impl FnMut()) -> Duration {
    let mut times: Vec<Duration> = (0..BENCH_REPETITIONS)
        .map(|_| {
            let start = Instant::now();
            work();
            start.elapsed()
        })
        .collect();
    times.sort();
    times[times.len() / 2]
}

fn ms(time: Duration) -> f64 {
    time.as_secs_f64() * 1e3
}

fn short(verdict: Verdict) -> &'static str {
    match verdict {
        Verdict::Holds => "ok",
        Verdict::Violated => "no",
        Verdict::Unknown => "?",
        Verdict::NotApplicable => "n/a",
    }
}

/// A register history of [`BENCH_OPERATIONS`] operations by [`BENCH_CLIENTS`] clients whose
/// calls overlap: each operation takes effect at a random moment between its invoke and its
/// return, so the history is linearizable, except that a read returns one of the few values
/// before the current one with probability `stale_ppm` per million.
fn bench_history(seed: u64, stale_ppm: u32) -> String {
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
