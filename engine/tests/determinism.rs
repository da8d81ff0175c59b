//! A run is a pure function of (scenario, seed, overrides): same inputs, same trace hash; and the
//! recorded hashes and traces in `testdata/` pin the format across platforms and refactors.

mod common;

use engine::hash::hex;
use engine::scenarios::{build, default_spec, find, scenario_ids, trace_hash_of};
use engine::sim::world::SimOptions;

const SEEDS: u64 = 1_000;

#[test]
fn same_seed_same_trace_hash_over_a_thousand_seeds() {
    for id in scenario_ids() {
        let s = find(id).unwrap();
        for seed in 0..SEEDS {
            // The swarm plan adds faults of every kind to the default script.
            let spec = s.swarm_spec(seed);
            let run = || {
                let mut sim = build(&spec, SimOptions::FAST).unwrap();
                sim.run_steps(150).unwrap();
                sim.trace_hash()
            };
            assert_eq!(run(), run(), "{id} seed {seed} is not deterministic");
        }
    }
}

#[test]
fn different_seeds_give_different_traces() {
    for id in scenario_ids() {
        let mut hashes: Vec<u64> = (0..100)
            .map(|seed| trace_hash_of(id, seed, 300).unwrap())
            .collect();
        hashes.sort_unstable();
        hashes.dedup();
        assert!(
            hashes.len() >= 95,
            "{id}: only {} distinct traces in 100 seeds",
            hashes.len()
        );
    }
}

#[test]
fn recorded_and_unrecorded_runs_hash_alike() {
    let spec = default_spec("heartbeat-spikes", 9).unwrap();
    let mut fast = build(&spec, SimOptions::FAST).unwrap();
    let mut full = build(&spec, SimOptions::INTERACTIVE).unwrap();
    fast.run_steps(2_000).unwrap();
    full.run_steps(2_000).unwrap();
    assert_eq!(fast.trace_hash(), full.trace_hash());
    assert_eq!(full.trace_len(), full.trace_lines(0, usize::MAX).len());
}

/// The table the wasm build is compared against: `scenario seed steps hash` per line.
#[test]
fn trace_hashes_match_the_recorded_table() {
    let path = common::testdata("trace_hashes.txt");
    let text = std::fs::read_to_string(&path).unwrap_or_default();
    let mut out = String::from("# scenario seed steps trace-hash (DSLAB_REWRITE=1 regenerates)\n");
    let mut rows = 0;
    for line in text
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
    {
        let f: Vec<&str> = line.split_whitespace().collect();
        let (id, seed, steps) = (f[0], f[1].parse().unwrap(), f[2].parse().unwrap());
        let actual = hex(trace_hash_of(id, seed, steps).unwrap());
        out.push_str(&format!("{id} {seed} {steps} {actual}\n"));
        if !common::rewrite() {
            assert_eq!(f.get(3).copied(), Some(actual.as_str()), "{line}");
        }
        rows += 1;
    }
    assert!(rows >= 6, "the table lost its rows");
    common::check_file("trace_hashes.txt", &out);
}

/// Expected traces, written beside the runs they come from (etcd-raft's data-driven style):
/// every `engine/testdata/*.trace` starts with `# <run token> steps=<n>`, and the run it names
/// must print exactly the lines below it. A new golden run is a new file with that header
/// (`DSLAB_REWRITE=1` fills in the rest).
#[test]
fn traces_match_the_recorded_text() {
    let mut files: Vec<_> = std::fs::read_dir(common::testdata(""))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "trace"))
        .collect();
    files.sort();
    assert!(files.len() >= 5, "the golden runs are there: {files:?}");
    for path in files {
        let file = path.file_name().unwrap().to_str().unwrap().to_string();
        let text = std::fs::read_to_string(&path).unwrap();
        let header = text.lines().next().unwrap_or_default();
        let (token, steps) = header
            .strip_prefix("# ")
            .and_then(|h| h.split_once(" steps="))
            .unwrap_or_else(|| panic!("{file}: the first line is `# <token> steps=<n>`"));
        let steps: u64 = steps.parse().unwrap();
        let spec = engine::scenarios::spec_from_token(token).unwrap();
        let mut sim = build(&spec, SimOptions::INTERACTIVE).unwrap();
        sim.run_steps(steps).unwrap();
        let mut text = format!("# {token} steps={steps}\n");
        for line in sim.trace_lines(0, usize::MAX) {
            text.push_str(&line);
            text.push('\n');
        }
        text.push_str(&format!("trace-hash: {}\n", hex(sim.trace_hash())));
        common::check_file(&file, &text);
    }
}

#[test]
fn default_specs_are_the_recorded_tokens() {
    let spec = default_spec("retry-lossy", 1).unwrap();
    assert_eq!(
        spec.to_url_token(),
        "1~retry-lossy~1~t0R1.inc~t5R2.add5~t60R1.inc~t80R2.inc~t150R1.add2~t200R2.inc"
    );
}
