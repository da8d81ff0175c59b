//! `dslab lin` (check one history) and `dslab bench-lin` (time the reference histories and a
//! generated series).
//!
//! The engine never reads a clock; the CLI gives it a "should stop" callback that reads
//! `Instant` for `--timeout-ms`, and times the benchmark around the engine's calls.

use engine::lin::generate::{register_history, RegisterWorkload};
use engine::lin::{
    check, check_text, parse::quote, Budget, CheckReport, Format, Prepared, RegisterModel, Verdict,
};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

/// Repetitions per benchmark suite; the median is reported.
const BENCH_REPETITIONS: usize = 5;

/// The longest a search-only run of the generated series may take before it stops (ms).
const SERIES_SEARCH_TIMEOUT_MS: u64 = 10_000;

/// Bytes in a mebibyte, for printing.
const BYTES_PER_MIB: f64 = 1_048_576.0;

const LIN_USAGE: &str = "\
usage: dslab lin <file> [--format auto|jepsen|kv|jsonl] [--timeout-ms N] [--json] [--stats]

Checks a history for linearizability: exit 0 linearizable, 1 not linearizable, 3 unknown
(a budget or the timeout ended the search), 2 bad usage or a malformed history.

  --format F       the file's format (default: auto-detect)
  --timeout-ms N   stop the search after N milliseconds (the answer is then unknown)
  --json           print the whole result as JSON
  --stats          also print the search's cost: steps, peak memo entries and bytes, partitions
";

const BENCH_USAGE: &str = "\
usage: dslab bench-lin [DATA_DIR] [--series-only]

Times the checker on the reference histories in DATA_DIR (default:
../shared/data/linearizability, with expected.tsv) against Porcupine's figures, then on a
series of register histories generated from a fixed seed (sequential and at fixed
concurrency, with and without timed-out writes), with and without the polynomial decision.
Exit 1 if an answer differs from the expected one.

  --series-only    skip the reference histories
";

/// `dslab lin <file> [--format auto|jepsen|kv|jsonl] [--timeout-ms N] [--json] [--stats]`.
/// Reports a malformed input file as `file:line: message` (as compilers do); the exit status
/// of bad input.
pub fn bad_input(file: &str, e: &engine::lin::ParseError) -> ExitCode {
    eprintln!("{file}:{}: {}", e.line, e.message);
    ExitCode::from(2)
}

pub fn run_lin(args: &[String]) -> Result<ExitCode, String> {
    let mut file = None;
    let mut format = Format::Auto;
    let mut timeout_ms = None;
    let mut json = false;
    let mut stats = false;
    let mut rest = args.iter();
    while let Some(arg) = rest.next() {
        match arg.as_str() {
            "--help" | "-h" => {
                print!("{LIN_USAGE}");
                return Ok(ExitCode::SUCCESS);
            }
            "--stats" => stats = true,
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
            other if other.starts_with("--") => {
                return Err(format!("unknown option '{}'", quote(other)))
            }
            other if file.is_none() => file = Some(other.to_string()),
            other => return Err(format!("unexpected argument '{}'", quote(other))),
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
        Err(e) => return Ok(bad_input(&file, &e)),
    };
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(&checked).map_err(|e| e.to_string())?
        );
    }
    if stats {
        let report = &checked.report;
        println!(
            "stats: {} operations, {} partitions ({} decided without search), {} steps, \
             peak memo entries {}, peak bytes {} ({:.1} MiB)",
            checked.operations,
            report.partitions,
            report.fast_partitions,
            report.steps,
            report.memo_entries_peak,
            report.memo_bytes_peak,
            report.memo_bytes_peak as f64 / BYTES_PER_MIB
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

/// `dslab bench-lin [DATA_DIR] [--series-only]`.
pub fn run_bench(args: &[String]) -> Result<ExitCode, String> {
    let mut dir = None;
    let mut series_only = false;
    for arg in args {
        match arg.as_str() {
            "--help" | "-h" => {
                print!("{BENCH_USAGE}");
                return Ok(ExitCode::SUCCESS);
            }
            "--series-only" => series_only = true,
            other if other.starts_with("--") => {
                return Err(format!("unknown option '{}'", quote(other)))
            }
            other if dir.is_none() => dir = Some(PathBuf::from(other)),
            other => return Err(format!("unexpected argument '{}'", quote(other))),
        }
    }
    let references_ok = if series_only {
        true
    } else {
        let dir = dir.unwrap_or_else(|| PathBuf::from("../shared/data/linearizability"));
        bench_references(&dir)?
    };
    let series_ok = bench_series();
    Ok(if references_ok && series_ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// Times the reference histories; whether every answer matches `expected.tsv`.
fn bench_references(dir: &Path) -> Result<bool, String> {
    let references = load(dir)?;
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
        Ok(true)
    } else {
        println!("\nmismatches against expected.tsv:");
        for m in &mismatches {
            println!("  {m}");
        }
        Ok(false)
    }
}

/// The seed every generated history of the series starts from.
const SERIES_SEED: u64 = 0x11_2024;

/// Timed-out writes in the series' `:info` variants (parts per million).
const SERIES_INFO_WRITES_PPM: u32 = 250_000;

/// The generated series: (operations, processes, timed-out writes in ppm).
const SERIES: [(usize, usize, u32); 12] = [
    (10_000, 1, 0),
    (50_000, 1, 0),
    (200_000, 1, 0),
    (10_000, 5, 0),
    (50_000, 5, 0),
    (200_000, 5, 0),
    (10_000, 20, 0),
    (50_000, 20, 0),
    (200_000, 20, 0),
    (10_000, 50, 0),
    (50_000, 100, 0),
    (5_000, 20, SERIES_INFO_WRITES_PPM),
];

/// Times the generated register histories (linearizable by construction, unique writes), with
/// the polynomial decision and by search alone; whether every decided answer is linearizable.
fn bench_series() -> bool {
    println!(
        "\ngenerated register histories (seed {SERIES_SEED:#x}, unique writes, one run each; \
         search alone stops after {SERIES_SEARCH_TIMEOUT_MS} ms)\n"
    );
    println!(
        "| operations | processes | :info writes | checker | µs/op | peak MiB | search alone | \
         µs/op | peak MiB |"
    );
    println!("| ---: | ---: | ---: | --- | ---: | ---: | --- | ---: | ---: |");
    let mut ok = true;
    for (seed_offset, &(operations, processes, info_writes_ppm)) in SERIES.iter().enumerate() {
        let history = register_history(&RegisterWorkload {
            seed: SERIES_SEED + seed_offset as u64,
            operations,
            processes,
            info_writes_ppm,
            values: None,
        });
        let full = run_generated(&history, Budget::default());
        let search = run_generated(
            &history,
            Budget {
                fast_path_operations_min: usize::MAX,
                ..Budget::default()
            },
        );
        ok &= [&full, &search]
            .iter()
            .all(|(_, report)| !matches!(report.verdict, Verdict::NotLinearizable { .. }));
        println!(
            "| {operations} | {processes} | {}% | {} | {} |",
            info_writes_ppm / 10_000,
            series_cells(&full, operations),
            series_cells(&search, operations)
        );
    }
    ok
}

fn run_generated(
    history: &[engine::lin::Operation<engine::lin::RegisterInput, engine::lin::RegisterOutput>],
    budget: Budget<'_>,
) -> (Duration, CheckReport) {
    let start = Instant::now();
    let deadline = start + Duration::from_millis(SERIES_SEARCH_TIMEOUT_MS);
    let mut should_stop = || Instant::now() >= deadline;
    let mut budget = Budget {
        should_stop: Some(&mut should_stop),
        ..budget
    };
    let report = check(&RegisterModel, history, &mut budget);
    (start.elapsed(), report)
}

fn series_cells((time, report): &(Duration, CheckReport), operations: usize) -> String {
    let answer = match &report.verdict {
        Verdict::Unknown { reason } => format!("unknown: {reason}"),
        v => v.name().to_string(),
    };
    format!(
        "{answer} | {:.2} | {:.1}",
        time.as_secs_f64() * 1e6 / operations as f64,
        report.memo_bytes_peak as f64 / BYTES_PER_MIB
    )
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
