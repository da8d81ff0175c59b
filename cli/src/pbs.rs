//! `dslab bench-pbs`: the staleness chart's curves measured on the leaderless store, and the
//! time each takes.

use std::process::ExitCode;
use std::time::Instant;

use engine::protocols::dynamo::pbs::{fresh_at_zero, measure, CHART, DELAYS, PAIRS};

/// The seed the benchmark measures with.
const BENCH_SEED: u64 = 1;

/// `dslab bench-pbs`: one curve per chart configuration ({DELAYS} points × {PAIRS} pairs).
pub fn run_bench(args: &[String]) -> Result<ExitCode, String> {
    if let Some(extra) = args.first() {
        return Err(format!("bench-pbs takes no arguments (got '{extra}')"));
    }
    println!(
        "{} points × {PAIRS} write/read pairs per curve, seed {BENCH_SEED}",
        DELAYS.len()
    );
    for &q in CHART {
        let start = Instant::now();
        let curve: Vec<f64> = DELAYS
            .iter()
            .map(|&t| {
                let p = measure(q, t, PAIRS, BENCH_SEED);
                f64::from(p.fresh) / f64::from(p.pairs.max(1))
            })
            .collect();
        let elapsed = start.elapsed();
        let shown: Vec<String> = curve.iter().map(|p| format!("{p:.2}")).collect();
        println!(
            "  N={} R={} W={}: {:.1} ms per curve; fresh at t=0 {:.3} (closed form {:.3}); \
             by t: {}",
            q.n,
            q.r,
            q.w,
            elapsed.as_secs_f64() * 1e3,
            curve[0],
            fresh_at_zero(q),
            shown.join(" ")
        );
    }
    Ok(ExitCode::SUCCESS)
}
