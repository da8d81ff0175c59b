//! `dslab scenarios | run | swarm | bench`: the simulator on the command line.
//!
//! The commands only parse arguments and print what the engine returns; wall-clock time is read
//! here, in the CLI, and only to measure the engine (`bench`), never to drive it.

use std::process::ExitCode;
use std::time::Instant;

use engine::hash::hex;
use engine::scenarios::{
    bench_spec, build, default_spec, scenarios, BENCH_EVENTS, BENCH_WARMUP_EVENTS,
};
use engine::scenarios::{shrink, swarm};
use engine::sim::session::DynSim;
use engine::sim::world::SimOptions;

/// A usage problem: the caller prints it with the usage text and exits with code 2.
pub struct Usage(pub String);

fn flag_value<T: std::str::FromStr>(args: &[String], i: usize, name: &str) -> Result<T, Usage> {
    args.get(i + 1)
        .and_then(|v| v.parse().ok())
        .ok_or_else(|| Usage(format!("{name} needs a number")))
}

/// `dslab scenarios`
pub fn list(args: &[String]) -> Result<ExitCode, Usage> {
    if !args.is_empty() {
        return Err(Usage("scenarios takes no arguments".into()));
    }
    for s in scenarios() {
        println!("{:<18} {} nodes  {}", s.id, s.nodes, s.title);
        let props: Vec<String> = s.properties.iter().map(|(n, _)| n.clone()).collect();
        println!("{:<18} properties: {}", "", props.join(", "));
    }
    Ok(ExitCode::SUCCESS)
}

/// `dslab run <scenario|token> --seed N [--steps N] [--trace] [--json]`
pub fn run(args: &[String]) -> Result<ExitCode, Usage> {
    let target = args
        .first()
        .ok_or_else(|| Usage("run needs a scenario".into()))?;
    let (mut seed, mut steps, mut trace, mut json) = (None, 1_000u64, false, false);
    let mut i = 1;
    while i < args.len() {
        match args[i].as_str() {
            "--seed" => {
                seed = Some(flag_value::<u64>(args, i, "--seed")?);
                i += 1;
            }
            "--steps" => {
                steps = flag_value(args, i, "--steps")?;
                i += 1;
            }
            "--trace" => trace = true,
            "--json" => json = true,
            other => return Err(Usage(format!("unknown option '{other}'"))),
        }
        i += 1;
    }
    let spec = if target.starts_with("1~") {
        engine::scenarios::spec_from_token(target).map_err(|e| Usage(e.to_string()))?
    } else {
        let seed = seed.ok_or_else(|| Usage("run needs --seed N".into()))?;
        default_spec(target, seed).map_err(|e| Usage(e.to_string()))?
    };
    let options = if trace || json {
        SimOptions {
            checkpoints: false,
            ..SimOptions::INTERACTIVE
        }
    } else {
        SimOptions::CHECK
    };
    let mut sim = build(&spec, options).map_err(|e| Usage(e.to_string()))?;
    let result = sim.run_steps(steps);
    if json {
        print_json(sim.as_ref(), trace);
    } else {
        if trace {
            for line in sim.trace_lines(0, sim.trace_len()) {
                println!("{line}");
            }
        }
        print_summary(sim.as_ref());
    }
    if let Err(e) = result {
        eprintln!("dslab: {e}");
        println!("trace-hash: {}", hex(sim.trace_hash()));
        return Ok(ExitCode::from(2));
    }
    println!("trace-hash: {}", hex(sim.trace_hash()));
    Ok(ExitCode::SUCCESS)
}

fn print_summary(sim: &dyn DynSim) {
    let view = sim.view(0);
    println!(
        "run: {}  step={} t={}{}",
        view.token,
        view.step,
        view.time,
        if view.quiescent { " (ended)" } else { "" }
    );
    for n in &view.nodes {
        let fields: Vec<String> = n
            .view
            .iter()
            .flat_map(|v| v.fields.iter().map(|(k, val)| format!("{k}={val}")))
            .collect();
        let role = n.view.as_ref().map_or("-", |v| v.role.as_str());
        println!(
            "n{:<3} {:<7} {:<8} {}",
            n.id,
            format!("{:?}", n.status).to_lowercase(),
            role,
            fields.join("  ")
        );
    }
    match &view.violation {
        Some(v) => println!("violated: {} at step {} (t={})", v.property, v.step, v.time),
        None => println!("properties: no violation"),
    }
}

fn print_json(sim: &dyn DynSim, trace: bool) {
    let view = sim.view(0);
    let mut value = serde_json::to_value(&view).unwrap_or_default();
    if let Some(map) = value.as_object_mut() {
        map.remove("trace");
        map.remove("trace_start");
        if trace {
            map.insert(
                "events".into(),
                serde_json::Value::Array(sim.trace_json(0, sim.trace_len())),
            );
        }
    }
    println!("{value}");
}

/// `dslab swarm <scenario> [--seeds N] [--from N]`: swarm, then shrink the first failure.
pub fn swarm_check(args: &[String]) -> Result<ExitCode, Usage> {
    let scenario = args
        .first()
        .ok_or_else(|| Usage("swarm needs a scenario".into()))?;
    let (mut seeds, mut from) = (100u64, 0u64);
    let mut i = 1;
    while i < args.len() {
        match args[i].as_str() {
            "--seeds" => seeds = flag_value(args, i, "--seeds")?,
            "--from" => from = flag_value(args, i, "--from")?,
            other => return Err(Usage(format!("unknown option '{other}'"))),
        }
        i += 2;
    }
    let report = swarm(scenario, from, seeds).map_err(|e| Usage(e.to_string()))?;
    let Some(f) = report.failure else {
        println!("{scenario}: {} seeds, no violation", report.seeds_run);
        return Ok(ExitCode::SUCCESS);
    };
    println!(
        "{scenario}: property '{}' violated, seed {} step {} t={} ({} overrides)",
        f.property,
        f.seed,
        f.step,
        f.time,
        f.spec.overrides.len()
    );
    println!("failing run: {}", f.spec.to_url_token());
    match shrink(&f.spec, &f.property) {
        Ok(s) => {
            println!(
                "shrunk ({} tries): {} overrides, fails at step {}",
                s.attempts,
                s.spec.overrides.len(),
                s.violation.step
            );
            println!("smallest run: {}", s.spec.to_url_token());
        }
        Err(e) => eprintln!("dslab: shrinking failed: {e}"),
    }
    Ok(ExitCode::from(1))
}

/// `dslab bench [scenario]`: simulated events per second, checkpoint size, seek latency.
pub fn bench(args: &[String]) -> Result<ExitCode, Usage> {
    if args.len() > 1 {
        return Err(Usage("bench takes at most one scenario".into()));
    }
    let scenario = args.first().map_or("heartbeat-spikes", String::as_str);
    let spec = bench_spec(scenario).map_err(|e| Usage(e.to_string()))?;
    let fail = |e: engine::SimError| Usage(e.to_string());
    build(&spec, SimOptions::FAST)
        .and_then(|mut warm| warm.run_steps(BENCH_WARMUP_EVENTS))
        .map_err(fail)?;
    let mut sim = build(&spec, SimOptions::FAST).map_err(fail)?;
    let start = Instant::now();
    let ran = sim.run_steps(BENCH_EVENTS).map_err(fail)?;
    let secs = start.elapsed().as_secs_f64();
    println!(
        "{scenario}: {ran} events in {secs:.3} s = {:.2} million events/s (t={}, hash {})",
        ran as f64 / secs / 1e6,
        sim.time(),
        hex(sim.trace_hash())
    );

    let mut sim = build(&spec, SimOptions::INTERACTIVE).map_err(fail)?;
    let start = Instant::now();
    let ran = sim.run_steps(100_000).map_err(fail)?;
    let secs = start.elapsed().as_secs_f64();
    println!(
        "recorded run: {ran} steps with trace + checkpoints in {secs:.3} s; {} checkpoints of ~{} bytes; {} trace events",
        sim.checkpoint_count(),
        sim.checkpoint_bytes(),
        sim.trace_len()
    );
    let mut x = 0x9E37_79B9_7F4A_7C15u64;
    let seeks = 200;
    let start = Instant::now();
    for _ in 0..seeks {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        sim.seek(x % (ran + 1)).map_err(fail)?;
    }
    let per = start.elapsed().as_secs_f64() / f64::from(seeks) * 1e3;
    println!("seek: {per:.3} ms average over {seeks} random seeks in a {ran}-step run");
    Ok(ExitCode::SUCCESS)
}

/// Most seeds `bench-swarm` runs.
const BENCH_SWARM_SEEDS_MAX: u64 = 100_000;

/// `dslab bench-swarm <scenario> [--seeds N]`: whole checked swarm runs per second, each to
/// its check horizon with every property judged after each step — the work a challenge check
/// or `dslab swarm` does, for protocols whose runs end early (a single Paxos decree).
pub fn bench_swarm(args: &[String]) -> Result<ExitCode, Usage> {
    let (scenario, seeds) = match args {
        [scenario] => (scenario, 10_000),
        [scenario, flag, n] if flag == "--seeds" => (
            scenario,
            n.parse()
                .ok()
                .filter(|&n| (1..=BENCH_SWARM_SEEDS_MAX).contains(&n))
                .ok_or_else(|| Usage(format!("--seeds takes 1 to {BENCH_SWARM_SEEDS_MAX}")))?,
        ),
        _ => {
            return Err(Usage(
                "bench-swarm takes a scenario and optionally --seeds N".into(),
            ))
        }
    };
    let s = engine::scenarios::find(scenario).map_err(|e| Usage(e.to_string()))?;
    let start = Instant::now();
    let mut events = 0;
    for seed in 0..seeds {
        let spec = s.swarm_spec(seed);
        let mut sim = s
            .build(&spec, SimOptions::CHECK)
            .map_err(|e| Usage(e.to_string()))?;
        sim.run_until_time(engine::sim::check::horizon(s.as_ref(), &spec), false)
            .map_err(|e| Usage(e.to_string()))?;
        events += sim.step_count();
    }
    let secs = start.elapsed().as_secs_f64();
    println!(
        "{scenario} swarm, properties checked: {seeds} runs, {events} events in {secs:.3} s = {:.2} million events/s, {:.0} runs/s",
        events as f64 / secs / 1e6,
        seeds as f64 / secs
    );
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    fn usage(result: Result<ExitCode, Usage>) -> String {
        match result {
            Err(Usage(message)) => message,
            Ok(_) => panic!("expected a usage error"),
        }
    }

    #[test]
    fn bad_arguments_are_usage_errors() {
        assert!(usage(run(&args(&[]))).contains("needs a scenario"));
        assert!(usage(run(&args(&["retry-lossy"]))).contains("--seed"));
        assert!(usage(run(&args(&["retry-lossy", "--seed"]))).contains("number"));
        assert!(usage(run(&args(&["retry-lossy", "--seed", "x"]))).contains("number"));
        assert!(usage(run(&args(&["retry-lossy", "--seed", "1", "--fast"]))).contains("--fast"));
        assert!(usage(run(&args(&["nope", "--seed", "1"]))).contains("unknown scenario"));
        assert!(usage(run(&args(&["1~retry-lossy~1~t5y"]))).contains("unknown action"));
        assert!(usage(list(&args(&["extra"]))).contains("no arguments"));
        assert!(usage(bench(&args(&["a", "b"]))).contains("at most one"));
        assert!(usage(bench(&args(&["nope"]))).contains("unknown scenario"));
        assert!(usage(swarm_check(&args(&["retry-dedup", "--seeds"]))).contains("number"));
    }

    #[test]
    fn good_arguments_run() {
        assert!(run(&args(&["retry-dedup", "--seed", "3", "--steps", "20"])).is_ok());
        assert!(run(&args(&["1~retry-lossy~1~t0R1.inc", "--trace"])).is_ok());
        assert!(swarm_check(&args(&["retry-dedup", "--seeds", "3"])).is_ok());
    }
}
