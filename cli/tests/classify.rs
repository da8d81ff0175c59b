//! `dslab classify`: one line per model, exit codes, JSON and final states.

mod common;
use common::dslab;

fn testdata(name: &str) -> String {
    format!(
        "{}/../engine/testdata/consistency/{name}",
        env!("CARGO_MANIFEST_DIR")
    )
}

#[test]
fn a_stale_read_prints_one_line_per_model_and_exits_0() {
    let (code, out, err) = dslab(&["classify", &testdata("stale-read.jsonl")]);
    assert_eq!(code, 0, "{err}");
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 8, "{out}");
    assert!(lines[0].starts_with("linearizable"), "{out}");
    assert!(
        lines[0].contains("violated")
            && lines[0].contains("stale read: client 1 read nil after client 0's write of 1"),
        "{out}"
    );
    assert!(
        lines[1].starts_with("sequential") && lines[1].contains("holds"),
        "{out}"
    );
    assert!(
        lines[7].starts_with("converged") && lines[7].contains("not-applicable"),
        "{out}"
    );
}

#[test]
fn final_states_decide_convergence() {
    let (code, out, _) = dslab(&[
        "classify",
        &testdata("diverged.jsonl"),
        "--final",
        &testdata("diverged.final.jsonl"),
    ]);
    assert_eq!(code, 0);
    assert!(
        out.lines()
            .any(|l| l.starts_with("converged")
                && l.contains("replicas disagree: a holds 1; b holds 2")),
        "{out}"
    );
}

#[test]
fn json_output_parses_and_names_every_model() {
    let (code, out, _) = dslab(&["classify", &testdata("read-overwritten.jsonl"), "--json"]);
    assert_eq!(code, 0);
    let value: serde_json::Value = serde_json::from_str(&out).unwrap();
    let judgements = value["judgements"].as_array().unwrap();
    assert_eq!(judgements.len(), 8);
    assert_eq!(judgements[2]["model"], "causal");
    assert_eq!(judgements[2]["verdict"], "violated");
}

#[test]
fn help_exits_0_and_bad_input_exits_2() {
    let (code, out, _) = dslab(&["classify", "--help"]);
    assert_eq!(code, 0);
    assert!(out.starts_with("usage: dslab classify"), "{out}");
    let (code, _, err) = dslab(&["classify"]);
    assert_eq!(code, 2);
    assert!(err.contains("classify needs a history file"), "{err}");
    let (code, _, err) = dslab(&["classify", "/nonexistent/history.jsonl"]);
    assert_eq!(code, 2);
    assert!(err.contains("cannot read"), "{err}");
    let bad = std::env::temp_dir().join(format!("dslab-classify-{}.jsonl", std::process::id()));
    std::fs::write(&bad, "{\"client\": 0, \"type\": \"ok\", \"f\": \"read\"}\n").unwrap();
    let (code, _, err) = dslab(&["classify", bad.to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(err.contains(":1: client 0 returns"), "{err}");
}
