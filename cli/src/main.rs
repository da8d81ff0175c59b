//! `dslab`: DistSys Lab on the command line.
//!
//! Every subcommand is a thin shell over the engine, so what the CLI prints is what the browser
//! computes. Exit codes: 0 success, 1 a property or check failed, 2 bad usage or bad input.

use std::process::ExitCode;

mod challenge;
mod classify;
mod lin;
mod pbs;
mod sim;

const USAGE: &str = "\
usage: dslab <command> [args]

commands:
  help                 show this message
  scenarios            list the simulation scenarios
  run <scenario> --seed N [--steps N] [--trace] [--json]
                       run a scenario's default run (or a run token '1~...');
                       ends with 'trace-hash: <16 hex>'
  swarm <scenario> [--seeds N] [--from N]
                       swarm-test with random faults; shrink the first failure
  challenges           list the code challenges
  check <challenge> <file.rhai> [--seeds N] [--from N] [--json]
                       check a solution; exit 0 pass, 1 a property failed, 2 script error
  bench [scenario]     simulated events per second, checkpoint size, seek latency
  bench-swarm <scenario> [--seeds N]
                       checked swarm runs per second (default 10000 seeds)
  lin <file> [--format auto|jepsen|kv|jsonl] [--timeout-ms N] [--json] [--stats]
                       check a history for linearizability
                       (exit 0 linearizable, 1 not linearizable, 3 unknown)
  bench-lin [dir] [--series-only]
                       time the checker on the reference histories
                       (default: ../shared/data/linearizability) and a generated series
  classify <file> [--format auto|jepsen|kv|jsonl] [--final <file>] [--json]
                       judge a history under every consistency model, one line each
                       (linearizable, sequential, causal, session guarantees, converged)
  bench-classify       time classify on generated 100-operation, 5-client histories
  bench-pbs            time the staleness chart's curves, measured on the leaderless store
  <command> --help     a command's own usage (lin, bench-lin, classify)
";

/// Exit status of a Unix tool killed by SIGPIPE (128 + 13).
const CLOSED_PIPE_STATUS: i32 = 141;

/// A reader that stops early (`dslab run … --trace | head`) ends the output, not the program
/// with a panic message: `print!` panics when stdout is a closed pipe, so that one panic exits
/// quietly, with the status a Unix tool killed by SIGPIPE would have. Every other panic is
/// reported as usual.
fn quiet_on_closed_pipe() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let message = info
            .payload()
            .downcast_ref::<String>()
            .map_or("", String::as_str);
        if message.starts_with("failed printing to stdout") && message.contains("Broken pipe") {
            std::process::exit(CLOSED_PIPE_STATUS);
        }
        default(info);
    }));
}

fn main() -> ExitCode {
    quiet_on_closed_pipe();
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        None | Some("help" | "--help" | "-h") => {
            print!("{USAGE}");
            ExitCode::SUCCESS
        }
        Some("scenarios") => sim_command(sim::list(&args[1..])),
        Some("run") => sim_command(sim::run(&args[1..])),
        Some("swarm") => sim_command(sim::swarm_check(&args[1..])),
        Some("challenges") => sim_command(challenge::list(&args[1..])),
        Some("check") => sim_command(challenge::check(&args[1..])),
        Some("bench") => sim_command(sim::bench(&args[1..])),
        Some("bench-swarm") => sim_command(sim::bench_swarm(&args[1..])),
        Some("lin") => lin::run_lin(&args[1..]).unwrap_or_else(|m| usage_error(&m)),
        Some("bench-lin") => lin::run_bench(&args[1..]).unwrap_or_else(|m| usage_error(&m)),
        Some("classify") => classify::run_classify(&args[1..])
            .unwrap_or_else(|m| usage_error_with(&m, classify::USAGE)),
        Some("bench-classify") => {
            classify::run_bench(&args[1..]).unwrap_or_else(|m| usage_error(&m))
        }
        Some("bench-pbs") => pbs::run_bench(&args[1..]).unwrap_or_else(|m| usage_error(&m)),
        Some(other) => usage_error(&format!("unknown command '{other}'")),
    }
}

fn sim_command(result: Result<ExitCode, sim::Usage>) -> ExitCode {
    result.unwrap_or_else(|sim::Usage(message)| usage_error(&message))
}

fn usage_error(message: &str) -> ExitCode {
    usage_error_with(message, USAGE)
}

fn usage_error_with(message: &str, usage: &str) -> ExitCode {
    eprintln!("dslab: {message}\n\n{usage}");
    ExitCode::from(2)
}
