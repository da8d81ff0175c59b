//! `dslab lin` and `dslab bench-lin`: usage, exit codes and the statistics a user relies on.

mod common;
use common::dslab;

fn history_file(name: &str, text: &str) -> std::path::PathBuf {
    let path = std::env::temp_dir().join(format!("dslab-lin-{}-{name}", std::process::id()));
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn lin_help_prints_usage_and_exits_0() {
    for flag in ["--help", "-h"] {
        let (code, out, err) = dslab(&["lin", flag]);
        assert_eq!(code, 0, "{err}");
        assert!(out.starts_with("usage: dslab lin <file>"), "{out}");
        assert!(out.contains("--stats"), "{out}");
    }
}

#[test]
fn bench_lin_help_prints_usage_and_exits_0() {
    let (code, out, err) = dslab(&["bench-lin", "--help"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.starts_with("usage: dslab bench-lin"), "{out}");
}

#[test]
fn an_unknown_option_is_still_a_usage_error() {
    let (code, _, err) = dslab(&["lin", "--frobnicate"]);
    assert_eq!(code, 2);
    assert!(err.contains("unknown option '--frobnicate'"), "{err}");
}

#[test]
fn stats_report_steps_and_peak_bytes() {
    let path = history_file(
        "ok.jsonl",
        "{\"client\": 0, \"type\": \"invoke\", \"f\": \"write\", \"value\": 1}\n\
         {\"client\": 0, \"type\": \"ok\", \"f\": \"write\", \"value\": 1}\n",
    );
    let (code, out, _) = dslab(&["lin", path.to_str().unwrap(), "--stats"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("linearizable"), "{out}");
    assert!(out.contains("peak bytes"), "{out}");
}

#[test]
fn a_malformed_line_of_a_megabyte_is_quoted_short() {
    let huge = "7".repeat(1 << 20);
    let path = history_file(
        "huge.log",
        &format!("INFO  jepsen.util - 0\t:invoke\t:write\t{huge}x\n"),
    );
    let (code, _, err) = dslab(&["lin", path.to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(err.len() < 1_000, "{} bytes on stderr", err.len());
    assert!(err.contains(":1: cannot read value"), "{err}");
}
