//! `dslab check` and `dslab challenges`: exit codes and output a learner or CI relies on.

use std::path::PathBuf;
use std::process::Command;

mod common;
use common::dslab;

fn script(name: &str, code: &str) -> PathBuf {
    let path = std::env::temp_dir().join(format!("dslab-check-{}-{name}.rhai", std::process::id()));
    std::fs::write(&path, code).unwrap();
    path
}

#[test]
fn challenges_are_listed() {
    let (code, out, _) = dslab(&["challenges"]);
    assert_eq!(code, 0);
    assert!(out.contains("vector-clocks"), "{out}");
}

#[test]
fn the_reference_passes_with_exit_0() {
    let c = engine::challenge::challenge("vector-clocks").unwrap();
    let path = script("reference", &c.reference);
    let (code, out, _) = dslab(&[
        "check",
        "vector-clocks",
        path.to_str().unwrap(),
        "--seeds",
        "50",
    ]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("passed") && out.contains("seeds: 50 of 50"),
        "{out}"
    );
}

#[test]
fn a_wrong_solution_fails_with_exit_1_and_a_shrunk_run() {
    let c = engine::challenge::challenge("vector-clocks").unwrap();
    let path = script("wrong", &c.wrong[0].code);
    let (code, out, _) = dslab(&["check", "vector-clocks", path.to_str().unwrap()]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("failed: characterises-causality (seed "),
        "{out}"
    );
    assert!(out.contains("smallest run found"), "{out}");
    let (code, json, _) = dslab(&["check", "vector-clocks", path.to_str().unwrap(), "--json"]);
    assert_eq!(code, 1);
    let report: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(
        report["verdict"]["Failed"]["property"],
        "characterises-causality"
    );
}

#[test]
fn a_wrong_raft_rule_fails_with_a_replayable_run() {
    let c = engine::challenge::challenge("raft-commit-rule").unwrap();
    let path = script("raft-wrong", &c.wrong[0].code);
    let (code, out, _) = dslab(&["check", "raft-commit-rule", path.to_str().unwrap()]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("failed: leader-completeness (seed 14)"),
        "{out}"
    );
    let token = out
        .lines()
        .find_map(|l| l.split("): ").nth(1).filter(|_| l.starts_with("run spec")))
        .expect("the run spec is printed");
    let spec = engine::scenarios::spec_from_token(token).unwrap();
    assert_eq!((spec.scenario.as_str(), spec.seed), ("raft-figure8", 14));
}

#[test]
fn a_script_error_exits_2_with_line_and_column() {
    let path = script("syntax", "fn on_local(clock, me) {\n  clock[me] += ;\n}\n");
    let (code, _, err) = dslab(&["check", "vector-clocks", path.to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(err.contains(&format!("{}:2:", path.display())), "{err}");
}

#[test]
fn bad_usage_exits_2() {
    assert_eq!(dslab(&["check"]).0, 2);
    assert_eq!(dslab(&["check", "no-such-challenge", "x.rhai"]).0, 2);
    assert_eq!(
        dslab(&["check", "vector-clocks", "/no/such/file.rhai"]).0,
        2
    );
    assert_eq!(
        dslab(&["check", "vector-clocks", "x.rhai", "--seeds", "many"]).0,
        2
    );
}

/// A reader that closes the pipe early (`dslab run … --trace | head`) stops the output
/// quietly: the SIGPIPE status, and no panic message.
#[test]
fn a_closed_pipe_ends_the_output_quietly() {
    use std::io::Read;
    use std::process::Stdio;
    let mut child = Command::new(env!("CARGO_BIN_EXE_dslab"))
        .args([
            "run",
            "heartbeat-spikes",
            "--seed",
            "1",
            "--steps",
            "200000",
            "--trace",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = [0u8; 64];
    child.stdout.take().unwrap().read_exact(&mut first).unwrap();
    // The rest of the trace (megabytes) cannot fit in the pipe: the next write fails.
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(141));
    assert_eq!(String::from_utf8_lossy(&out.stderr), "");
}

#[test]
fn printed_lines_show_in_text_mode_capped_and_a_placeless_error_reads_file_colon_space() {
    let c = engine::challenge::challenge("failure-detector").unwrap();
    let noisy = c.reference.replace(
        "fn timeout(intervals) {",
        "fn timeout(intervals) {\n    print(`gaps ${intervals.len()}`);",
    );
    let path = script("noisy", &noisy);
    let (code, out, _) = dslab(&[
        "check",
        "failure-detector",
        path.to_str().unwrap(),
        "--seeds",
        "2",
    ]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("your script printed:\n  gaps "), "{out}");
    assert!(
        out.contains("more line(s) (all of them with --json)"),
        "{out}"
    );
    assert_eq!(out.matches("\n  gaps ").count(), 20, "{out}");
    let path = script("missing", "fn time_out(intervals) { 10 }");
    let (code, _, err) = dslab(&["check", "failure-detector", path.to_str().unwrap()]);
    assert_eq!(code, 2);
    let shown = path.to_str().unwrap();
    assert!(
        err.starts_with(&format!("{shown}: Define `fn timeout(intervals)`")),
        "{err}"
    );
}
