//! The 108 reference histories (Porcupine's test data) against their known answers.
//!
//! They live outside the repository, at `<repo root>/../shared/data/linearizability`; where that
//! folder is absent the test prints a skip message and passes (our own histories in
//! `lin_histories.rs` still run). All of them take about 4 s in a debug build.

use engine::lin::{check_text, Budget, Format, Verdict};
use std::path::PathBuf;

fn data_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/data/linearizability")
}

#[test]
fn reference_histories_match_expected_answers() {
    let dir = data_dir();
    let Ok(listing) = std::fs::read_to_string(dir.join("expected.tsv")) else {
        eprintln!("skipping: no reference histories at {}", dir.display());
        return;
    };
    let mut checked = 0;
    let mut mismatches = Vec::new();
    for line in listing.lines().skip(1).filter(|l| !l.trim().is_empty()) {
        let fields: Vec<&str> = line.split('\t').collect();
        let [name, expected, model] = fields[..] else {
            panic!("bad expected.tsv line: {line}")
        };
        let text = std::fs::read_to_string(dir.join(name)).expect("reference history readable");
        let result = check_text(&text, Format::Auto, &mut Budget::default())
            .unwrap_or_else(|e| panic!("{name}:{}: {}", e.line, e.message));
        assert_eq!(result.model.name(), model, "{name}: model");
        let got = match result.report.verdict {
            Verdict::Linearizable { .. } => "linearizable",
            Verdict::NotLinearizable { .. } => "not-linearizable",
            Verdict::Unknown { .. } => "unknown",
        };
        if got != expected {
            mismatches.push(format!("{name}: expected {expected}, got {got}"));
        }
        checked += 1;
    }
    assert!(
        mismatches.is_empty(),
        "mismatches:\n{}",
        mismatches.join("\n")
    );
    assert_eq!(checked, 108);
}
