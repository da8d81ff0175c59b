//! `dslab`: DistSys Lab on the command line.
//!
//! Every subcommand is a thin shell over the engine, so what the CLI prints is what the browser
//! computes. Exit codes: 0 success, 1 a property or check failed, 2 bad usage or bad input.

mod lin;

use std::process::ExitCode;

const USAGE: &str = "\
usage: dslab <command> [args]

commands:
  help                 show this message
  content [dir]        parse and validate every chapter in dir (default: content)
  lin <file> [--format auto|jepsen|kv|jsonl] [--timeout-ms N] [--json]
                       check a history for linearizability
                       (exit 0 linearizable, 1 not linearizable, 3 unknown)
  bench-lin [dir]      time the checker on the reference histories
                       (default: ../shared/data/linearizability)
";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        None | Some("help" | "--help" | "-h") => {
            print!("{USAGE}");
            ExitCode::SUCCESS
        }
        Some("lin") => lin::run_lin(&args[1..]).unwrap_or_else(|m| usage_error(&m)),
        Some("bench-lin") => lin::run_bench(&args[1..]).unwrap_or_else(|m| usage_error(&m)),
        Some(other) => usage_error(&format!("unknown command '{other}'")),
    }
}

fn usage_error(message: &str) -> ExitCode {
    eprintln!("dslab: {message}\n\n{USAGE}");
    ExitCode::from(2)
}
