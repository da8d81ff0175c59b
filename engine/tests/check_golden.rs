//! A challenge check's full report, pinned in a file that the browser test compares with the
//! report computed in wasm: the same code and seeds give the same verdict on every target.

mod common;

#[test]
fn the_vector_clock_report_matches_the_recorded_one() {
    let challenge = engine::challenge::challenge("vector-clocks").unwrap();
    let options = engine::challenge::CheckOptions {
        seeds: 60,
        first_seed: 0,
    };
    let mut out = String::new();
    for variant in &challenge.wrong {
        let report = engine::challenge::check(challenge, &variant.code, options, &mut |_, _| true);
        out.push_str(&serde_json::to_string(&report).unwrap());
        out.push('\n');
    }
    common::check_file("check_vector_clocks.jsonl", &out);
}
