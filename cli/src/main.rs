//! `dslab`: DistSys Lab on the command line.
//!
//! Every subcommand is a thin shell over the engine, so what the CLI prints is what the browser
//! computes. Exit codes: 0 success, 1 a property or check failed, 2 bad usage or bad input.

use std::process::ExitCode;

const USAGE: &str = "\
usage: dslab <command> [args]

commands:
  help                 show this message
";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        None | Some("help" | "--help" | "-h") => {
            print!("{USAGE}");
            ExitCode::SUCCESS
        }
        Some(other) => usage_error(&format!("unknown command '{other}'")),
    }
}

fn usage_error(message: &str) -> ExitCode {
    eprintln!("dslab: {message}\n\n{USAGE}");
    ExitCode::from(2)
}
