//! `dslab lin` (check one history) and `dslab bench-lin` (time the reference histories).
//!
//! The engine never reads a clock; the CLI gives it a "should stop" callback that reads
//! `Instant` for `--timeout-ms`, and times the benchmark around the engine's calls.

use engine::lin::{check_text, Budget, CheckReport, Format, Prepared, Verdict};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

/// Repetitions per benchmark suite; the median is reported.
const BENCH_REPETITIONS: usize = 5;

/// `dslab lin <file> [--format auto|jepsen|kv|jsonl] [--timeout-ms N] [--json]`.
pub fn run_lin(args: &[String]) -> Result<ExitCode, String> {
    let mut file = None;
    let mut format = Format::Auto;
    let mut timeout_ms = None;
    let mut json = false;
    let mut rest = args.iter();
    while let Some(arg) = rest.next() {
        match arg.as_str() {
            "--format" => {
                let name = rest.next().ok_or("--format needs a value")?;
                format =
                    Format::from_name(name).ok_or_else(|| format!("unknown format '{name}'"))?;
            }
            "--timeout-ms" => {
                let n = rest.next().ok_or("--timeout-ms needs a value")?;
                timeout_ms = Some(
                    n.parse::<u64>()
                        .map_err(|_| format!("--timeout-ms: '{n}' is not a number"))?,
                );
            }
            "--json" => json = true,
            other if other.starts_with("--") => return Err(format!("unknown option '{other}'")),
            other if file.is_none() => file = Some(other.to_string()),
            other => return Err(format!("unexpected argument '{other}'")),
        }
    }
    let file = file.ok_or("lin needs a history file")?;
    let text = match std::fs::read_to_string(&file) {
        Ok(text) => text,
        Err(e) => {
            eprintln!("dslab: cannot read {file}: {e}");
            return Ok(ExitCode::from(2));
        }
    };
    let deadline = timeout_ms.map(|ms| Instant::now() + Duration::from_millis(ms));
    let mut should_stop = || deadline.is_some_and(|d| Instant::now() >= d);
    let mut budget = Budget::with_stop(&mut should_stop);
    let checked = match check_text(&text, format, &mut budget) {
        Ok(checked) => checked,
        Err(e) => {
            eprintln!("{file}:{}: {}", e.line, e.message);
            return Ok(ExitCode::from(2));
        }
    };
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(&checked).map_err(|e| e.to_string())?
        );
    }
    let code = match &checked.report.verdict {
        Verdict::Linearizable { .. } => {
            if !json {
                println!("linearizable");
            }
            0
        }
        Verdict::NotLinearizable { explanation } => {
            if !json {
                println!("not linearizable");
                print!("{}", explanation.render_text());
            }
            1
        }
        Verdict::Unknown { reason } => {
            if !json {
                println!("unknown: {reason}");
            }
            3
        }
    };
    Ok(ExitCode::from(code))
}

struct Reference {
    name: String,
    expected: String,
    history: Prepared,
}

/// What one suite run measured.
struct SuiteResult {
    median: Duration,
    memo_entries_peak: usize,
    mismatches: Vec<String>,
}

/// `dslab bench-lin [DATA_DIR]`.
pub fn run_bench(args: &[String]) -> Result<ExitCode, String> {
    let dir = PathBuf::from(
        args.first()
            .map_or("../shared/data/linearizability", String::as_str),
    );
    let references = load(&dir)?;
    let etcd: Vec<&Reference> = references
        .iter()
        .filter(|r| r.name.starts_with("jepsen/"))
        .collect();
    let kv: Vec<&Reference> = references
        .iter()
        .filter(|r| r.name.starts_with("kv/"))
        .collect();
    let whole: Vec<&Reference> = kv
        .iter()
        .copied()
        .filter(|r| r.name.starts_with("kv/c01-") || r.name.starts_with("kv/c10-"))
        .collect();
    println!(
        "{} etcd histories, {} kv histories from {} (median of {BENCH_REPETITIONS}, parsing excluded)\n",
        etcd.len(),
        kv.len(),
        dir.display()
    );
    let suites = [
        (
            format!("all {} etcd histories", etcd.len()),
            bench(&etcd, false),
            413,
        ),
        (
            format!("the {} kv histories, per key", kv.len()),
            bench(&kv, false),
            116,
        ),
        (
            "kv c01 + c10 as one state (4 files)".to_string(),
            bench(&whole, true),
            3577,
        ),
    ];
    println!("| suite | dslab | Porcupine 1.3.0 | ratio | peak memo entries |");
    println!("| --- | ---: | ---: | ---: | ---: |");
    let mut mismatches = Vec::new();
    for (name, result, porcupine_ms) in &suites {
        let ms = result.median.as_secs_f64() * 1e3;
        println!(
            "| {name} | {ms:.1} ms | {porcupine_ms} ms | {:.2}x | {} |",
            ms / *porcupine_ms as f64,
            result.memo_entries_peak
        );
        mismatches.extend(result.mismatches.iter().cloned());
    }
    println!("\nslowest single checks (one run each):");
    let mut singles: Vec<(Duration, &str)> = references
        .iter()
        .map(|r| (run_one(r, false).0, r.name.as_str()))
        .collect();
    singles.sort_by_key(|s| std::cmp::Reverse(s.0));
    for (time, name) in singles.iter().take(5) {
        println!("  {name}: {:.2} ms", time.as_secs_f64() * 1e3);
    }
    println!("\none-state breakdown (one run each):");
    for r in &whole {
        let start = Instant::now();
        let _ = run_one(r, true);
        println!(
            "  {}: {:.1} ms",
            r.name,
            start.elapsed().as_secs_f64() * 1e3
        );
    }
    mismatches.sort();
    mismatches.dedup();
    if mismatches.is_empty() {
        println!("\nall answers match expected.tsv");
        Ok(ExitCode::SUCCESS)
    } else {
        println!("\nmismatches against expected.tsv:");
        for m in &mismatches {
            println!("  {m}");
        }
        Ok(ExitCode::from(1))
    }
}

fn load(dir: &Path) -> Result<Vec<Reference>, String> {
    let listing = dir.join("expected.tsv");
    let tsv = std::fs::read_to_string(&listing)
        .map_err(|e| format!("cannot read {}: {e}", listing.display()))?;
    let mut references = Vec::new();
    for line in tsv.lines().skip(1).filter(|l| !l.trim().is_empty()) {
        let fields: Vec<&str> = line.split('\t').collect();
        let [name, expected, model] = fields[..] else {
            return Err(format!("{}: bad line '{line}'", listing.display()));
        };
        let path = dir.join(name);
        let text = std::fs::read_to_string(&path)
            .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        let history = Prepared::from_text(&text, Format::Auto)
            .map_err(|e| format!("{}:{}: {}", path.display(), e.line, e.message))?;
        if history.model().name() != model {
            return Err(format!(
                "{}: {name} is listed as '{model}' but reads as '{}'",
                listing.display(),
                history.model().name()
            ));
        }
        references.push(Reference {
            name: name.to_string(),
            expected: expected.to_string(),
            history,
        });
    }
    Ok(references)
}

/// Checks one reference history; only the check itself is timed.
fn run_one(reference: &Reference, whole: bool) -> (Duration, CheckReport) {
    let start = Instant::now();
    let report = reference.history.check(whole, &mut Budget::default());
    (start.elapsed(), report)
}

fn bench(references: &[&Reference], whole: bool) -> SuiteResult {
    let mut times = Vec::with_capacity(BENCH_REPETITIONS);
    let mut memo_entries_peak = 0;
    let mut mismatches = Vec::new();
    for _ in 0..BENCH_REPETITIONS {
        let mut total = Duration::ZERO;
        for reference in references {
            let (time, report) = run_one(reference, whole);
            total += time;
            memo_entries_peak = memo_entries_peak.max(report.memo_entries_peak);
            let got = report.verdict.name();
            if got != reference.expected {
                mismatches.push(format!(
                    "{}: expected {}, got {got}",
                    reference.name, reference.expected
                ));
            }
        }
        times.push(total);
    }
    times.sort();
    SuiteResult {
        median: times[times.len() / 2],
        memo_entries_peak,
        mismatches,
    }
}
