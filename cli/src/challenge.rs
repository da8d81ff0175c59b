//! `dslab challenges | check`: code challenges on the command line, with the same engine call
//! the browser's worker makes, so both give the same verdict for the same code and seeds.

use std::process::ExitCode;

use engine::challenge::{
    challenge, challenges, check as check_challenge, CheckOptions, PropertyStatus, Verdict,
};

use crate::sim::Usage;

/// `dslab challenges`
pub fn list(args: &[String]) -> Result<ExitCode, Usage> {
    if !args.is_empty() {
        return Err(Usage("challenges takes no arguments".into()));
    }
    for c in challenges() {
        println!("{:<18} chapter {}  {}", c.id, c.chapter, c.title);
    }
    Ok(ExitCode::SUCCESS)
}

/// `dslab check <challenge-id> <file.rhai> [--seeds N] [--from N] [--json]`: exit 0 when every
/// property holds, 1 when one fails, 2 for a script error or bad usage.
pub fn check(args: &[String]) -> Result<ExitCode, Usage> {
    let mut positional = Vec::new();
    let mut seeds = None;
    let mut first_seed = 0;
    let mut json = false;
    let mut i = 0;
    while i < args.len() {
        match args[i].as_str() {
            "--seeds" => {
                seeds = Some(number(args, i, "--seeds")?);
                i += 1;
            }
            "--from" => {
                first_seed = number(args, i, "--from")?;
                i += 1;
            }
            "--json" => json = true,
            flag if flag.starts_with("--") => return Err(Usage(format!("unknown flag {flag}"))),
            value => positional.push(value),
        }
        i += 1;
    }
    let [id, path] = positional[..] else {
        return Err(Usage("check needs a challenge id and a script file".into()));
    };
    let Some(challenge) = challenge(id) else {
        let ids: Vec<&str> = challenges().iter().map(|c| c.id.as_str()).collect();
        return Err(Usage(format!(
            "unknown challenge '{id}' (known: {})",
            ids.join(", ")
        )));
    };
    let source =
        std::fs::read_to_string(path).map_err(|err| Usage(format!("cannot read {path}: {err}")))?;
    let options = CheckOptions {
        seeds: seeds.unwrap_or(challenge.seeds),
        first_seed,
    };
    let report = check_challenge(challenge, &source, options, &mut |_, _| true);
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(&report).expect("reports serialize")
        );
    } else {
        for property in &report.properties {
            let mark = match property.status {
                PropertyStatus::Held => "pass",
                PropertyStatus::Violated => "FAIL",
                PropertyStatus::Inconclusive => " -- ",
            };
            println!("[{mark}] {:<26} {}", property.id, property.explanation);
        }
        println!("seeds: {} of {}", report.seeds_run, report.seeds_total);
        print_output(&report.printed);
    }
    Ok(match &report.verdict {
        Verdict::Passed => {
            if !json {
                println!("passed");
                if let Some(e) = &report.efficiency {
                    println!(
                        "{:<34} {:>8} {:>10}",
                        "cost on these seeds", "yours", "reference"
                    );
                    for (measure, yours, reference) in e.rows() {
                        println!("{measure:<34} {yours:>8} {reference:>10}");
                    }
                    println!("{}", e.summary());
                }
            }
            ExitCode::SUCCESS
        }
        Verdict::Failed(failure) => {
            if !json {
                println!("failed: {} (seed {})", failure.property, failure.seed);
                println!("{}", failure.message);
                println!(
                    "smallest run found (the failing run had {} events before shrinking):",
                    failure.events_before_shrinking
                );
                for line in &failure.counterexample {
                    println!("  {line}");
                }
                if let Some(spec) = &failure.replay {
                    let step = failure
                        .step
                        .map(|s| format!(", violated at step {s}"))
                        .unwrap_or_default();
                    println!(
                        "run spec (with your script in place{step}): {}",
                        spec.to_url_token()
                    );
                }
            }
            ExitCode::from(1)
        }
        Verdict::ScriptError { error, seed } => {
            if !json {
                let at = seed.map(|s| format!(" (seed {s})")).unwrap_or_default();
                // `file:line:column: message`, as compilers print it; `file: message` when the
                // mistake has no place.
                let sep = if error.line.is_some() { ":" } else { ": " };
                eprintln!("{path}{sep}{error}{at}");
            }
            ExitCode::from(2)
        }
        Verdict::Unknown {
            property,
            seed,
            reason,
        } => {
            if !json {
                println!("unknown: {property} undecided on seed {seed}: {reason}");
            }
            ExitCode::from(3)
        }
        Verdict::Cancelled => unreachable!("the CLI never cancels"),
    })
}

/// Most lines of the script's `print` output shown in text mode (`--json` has them all).
const PRINTED_LINES_SHOWN_MAX: usize = 20;

/// What the script printed, at most [`PRINTED_LINES_SHOWN_MAX`] lines, saying how many more
/// there were.
fn print_output(printed: &[String]) {
    if printed.is_empty() {
        return;
    }
    println!("your script printed:");
    for line in printed.iter().take(PRINTED_LINES_SHOWN_MAX) {
        println!("  {line}");
    }
    if printed.len() > PRINTED_LINES_SHOWN_MAX {
        println!(
            "  … {} more line(s) (all of them with --json)",
            printed.len() - PRINTED_LINES_SHOWN_MAX
        );
    }
}

fn number<T: std::str::FromStr>(args: &[String], i: usize, name: &str) -> Result<T, Usage> {
    args.get(i + 1)
        .and_then(|v| v.parse().ok())
        .ok_or_else(|| Usage(format!("{name} needs a number")))
}
