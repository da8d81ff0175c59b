//! `dslab classify` (judge one history under every consistency model) and `dslab bench-classify`
//! (time that on generated histories).
//!
//! The engine never reads a clock; the benchmark times around the engine's calls.

use engine::consistency::bench::{self, BENCH_CLIENTS, BENCH_OPERATIONS, BENCH_STALE_READ_PPM};
use engine::consistency::{
    causal, classify, classify_text, linearizable, parse_final_reads, sequential, session, Limits,
    Verdict,
};
use engine::lin::{parse, Format};
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

/// Repetitions per benchmark history; the median is reported.
const BENCH_REPETITIONS: usize = 21;

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
        let text = bench::history(1, stale_ppm);
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
