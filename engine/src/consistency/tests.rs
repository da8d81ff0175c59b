//! The checkers against hand-labelled histories (`engine/testdata/consistency/`), against
//! brute-force readings of their definitions on small random histories, and against the
//! hierarchy linearizable ⇒ sequential ⇒ causal.

use super::history::{RwHistory, RwKind};
use super::*;
use crate::lin::{parse, Format};
use proptest::prelude::*;
use std::collections::BTreeMap;
use std::path::PathBuf;

fn testdata() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("testdata/consistency")
}

/// Reads a `.expect` sidecar: `model: verdict` lines; `#` lines are the history's story.
fn expectations(text: &str) -> Result<BTreeMap<ConsistencyModel, Verdict>, String> {
    let mut out = BTreeMap::new();
    for line in text.lines().map(str::trim) {
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (model, verdict) = line
            .split_once(':')
            .ok_or_else(|| format!("bad line '{line}'"))?;
        let model = ConsistencyModel::from_name(model.trim())
            .ok_or_else(|| format!("unknown model '{model}'"))?;
        let verdict = Verdict::from_name(verdict.trim())
            .ok_or_else(|| format!("unknown verdict '{verdict}'"))?;
        out.insert(model, verdict);
    }
    Ok(out)
}

#[test]
fn every_labelled_history_gets_its_labelled_verdicts() {
    let mut histories: Vec<PathBuf> = std::fs::read_dir(testdata())
        .expect("testdata/consistency exists")
        .map(|entry| entry.expect("readable entry").path())
        .filter(|p| {
            let name = p.to_string_lossy();
            name.ends_with(".jsonl") && !name.ends_with(".final.jsonl")
        })
        .collect();
    histories.sort();
    assert!(histories.len() >= 15, "expected the labelled histories");
    let mut failures = Vec::new();
    for path in &histories {
        let name = path.file_name().unwrap_or_default().to_string_lossy();
        let text = std::fs::read_to_string(path).expect("readable history");
        let expect_path = path.with_extension("expect");
        let expected = std::fs::read_to_string(&expect_path)
            .map_err(|e| format!("{}: {e}", expect_path.display()))
            .and_then(|t| expectations(&t))
            .expect("a readable .expect sidecar");
        assert_eq!(
            expected.len(),
            ConsistencyModel::ALL.len(),
            "{name}: label every model"
        );
        let finals_path = PathBuf::from(path.to_string_lossy().replace(".jsonl", ".final.jsonl"));
        let finals = std::fs::read_to_string(&finals_path)
            .ok()
            .map(|t| parse_final_reads(&t).expect("well-formed final reads"));
        let classified = classify_text(&text, Format::Auto, finals.as_ref(), &Limits::default())
            .expect("well-formed history");
        for judgement in &classified.judgements {
            assert!(!judgement.sentence.is_empty(), "{name}: empty sentence");
            if judgement.verdict == Verdict::Violated
                && judgement.model != ConsistencyModel::Converged
            {
                assert!(
                    !judgement.operations.is_empty(),
                    "{name}: {} violated without operations",
                    judgement.model.name()
                );
            }
            let want = expected[&judgement.model];
            if judgement.verdict != want {
                failures.push(format!(
                    "{name}: {} expected {}, got {} ({})",
                    judgement.model.name(),
                    want.name(),
                    judgement.verdict.name(),
                    judgement.sentence
                ));
            }
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

fn classify_jsonl(text: &str) -> Classification {
    classify_text(text, Format::JsonLines, None, &Limits::default()).expect("well-formed")
}

#[test]
fn a_stale_read_is_named_as_one() {
    let text = std::fs::read_to_string(testdata().join("stale-read.jsonl")).expect("file");
    let c = classify_jsonl(&text);
    let lin = c.judgement(ConsistencyModel::Linearizable).expect("judged");
    assert_eq!(
        lin.sentence,
        "stale read: client 1 read nil after client 0's write of 1 had completed"
    );
    assert_eq!(lin.operations, vec![0, 1]);
}

#[test]
fn an_overwritten_read_names_the_three_operations() {
    let text = std::fs::read_to_string(testdata().join("read-overwritten.jsonl")).expect("file");
    let c = classify_jsonl(&text);
    let causal = c.judgement(ConsistencyModel::Causal).expect("judged");
    assert!(causal
        .sentence
        .starts_with("read an overwritten value: client 1 read 1"));
    // The write of 1, the write of 2 and the second read.
    assert_eq!(causal.operations, vec![0, 1, 3]);
}

#[test]
fn the_sequential_search_out_of_budget_is_unknown_never_a_pass() {
    let text =
        std::fs::read_to_string(testdata().join("monotonic-reads-forward.jsonl")).expect("file");
    let raw = parse(&text, Format::JsonLines).expect("parses");
    let tiny = Limits {
        sequential_steps_max: 2,
        ..Limits::default()
    };
    let judgement = sequential::check(&raw, &tiny).expect("lowers");
    assert_eq!(
        judgement.verdict,
        Verdict::Unknown,
        "{}",
        judgement.sentence
    );
    let small_memo = Limits {
        sequential_memo_entries_max: 1,
        ..Limits::default()
    };
    let judgement = sequential::check(&raw, &small_memo).expect("lowers");
    assert_eq!(
        judgement.verdict,
        Verdict::Unknown,
        "{}",
        judgement.sentence
    );
}

#[test]
fn sequential_consistency_is_not_compositional_so_kv_histories_are_searched_whole() {
    let text = std::fs::read_to_string(testdata().join("kv-store-buffering.jsonl")).expect("file");
    let raw = parse(&text, Format::JsonLines).expect("parses");
    for key in ["x", "y"] {
        let one_key = RawHistory {
            operations: raw
                .operations
                .iter()
                .filter(|op| op.key.as_deref() == Some(key))
                .cloned()
                .collect(),
        };
        let alone = sequential::check(&one_key, &Limits::default()).expect("lowers");
        assert_eq!(alone.verdict, Verdict::Holds, "key {key} alone");
    }
    let whole = sequential::check(&raw, &Limits::default()).expect("lowers");
    assert_eq!(whole.verdict, Verdict::Violated);
}

#[test]
fn causality_crosses_keys() {
    let text =
        std::fs::read_to_string(testdata().join("kv-causal-across-keys.jsonl")).expect("file");
    let raw = parse(&text, Format::JsonLines).expect("parses");
    let x_only = RawHistory {
        operations: raw
            .operations
            .iter()
            .filter(|op| op.key.as_deref() == Some("x"))
            .cloned()
            .collect(),
    };
    assert_eq!(causal::check(&x_only).verdict, Verdict::Holds);
    let whole = causal::check(&raw);
    assert_eq!(whole.verdict, Verdict::Violated);
    assert!(
        whole.sentence.contains("read nil on key \"x\""),
        "{}",
        whole.sentence
    );
}

#[test]
fn convergence_needs_final_states_and_rejects_disagreement_and_unwritten_values() {
    let text = r#"{"client": 0, "type": "invoke", "f": "write", "value": 1}
{"client": 0, "type": "ok", "f": "write", "value": 1}
"#;
    let raw = parse(text, Format::JsonLines).expect("parses");
    assert_eq!(converged::check(&raw, None).verdict, Verdict::NotApplicable);
    let empty = FinalReads::default();
    assert_eq!(
        converged::check(&raw, Some(&empty)).verdict,
        Verdict::NotApplicable
    );
    let agree =
        parse_final_reads("{\"replica\": \"a\", \"value\": 1}\n{\"replica\": 2, \"value\": 1}\n")
            .expect("parses");
    assert_eq!(converged::check(&raw, Some(&agree)).verdict, Verdict::Holds);
    let unwritten = parse_final_reads(
        "{\"replica\": \"a\", \"value\": 7}\n{\"replica\": \"b\", \"value\": 7}\n",
    )
    .expect("parses");
    let judgement = converged::check(&raw, Some(&unwritten));
    assert_eq!(judgement.verdict, Verdict::Violated);
    assert!(
        judgement.sentence.contains("7, which no write"),
        "{}",
        judgement.sentence
    );
    let apart = parse_final_reads("{\"replica\": \"a\", \"value\": 1}\n{\"replica\": \"b\"}\n")
        .expect("parses");
    let judgement = converged::check(&raw, Some(&apart));
    assert_eq!(judgement.verdict, Verdict::Violated);
    assert_eq!(
        judgement.sentence,
        "replicas disagree: a holds 1; b holds nil"
    );
    assert_eq!(judgement.operations, vec![0]);
}

#[test]
fn malformed_final_reads_are_errors_with_lines() {
    let twice = "{\"replica\": \"a\", \"value\": 1}\n\n{\"replica\": \"a\", \"value\": 2}\n";
    assert_eq!(parse_final_reads(twice).map_err(|e| e.line), Err(3));
    assert_eq!(parse_final_reads("[1]\n").map_err(|e| e.line), Err(1));
    assert_eq!(
        parse_final_reads("{\"value\": 1}\n").map_err(|e| e.line),
        Err(1)
    );
    assert_eq!(
        parse_final_reads("{\"replica\": -1}\n").map_err(|e| e.line),
        Err(1)
    );
}

#[test]
fn model_and_verdict_names_round_trip() {
    for model in ConsistencyModel::ALL {
        assert_eq!(ConsistencyModel::from_name(model.name()), Some(model));
    }
    for verdict in [
        Verdict::Holds,
        Verdict::Violated,
        Verdict::Unknown,
        Verdict::NotApplicable,
    ] {
        assert_eq!(Verdict::from_name(verdict.name()), Some(verdict));
    }
}

// ---- Random histories -------------------------------------------------------------------

/// One generated operation: client, whether it writes, which value a read returns (an index
/// into the values written so far, or nil), and whether its outcome is unknown.
type OpSpec = (u8, bool, u8, bool);

/// A history in which each operation runs alone, in one global order, on a real register (or
/// two keys): every model must hold. Unknown-outcome writes either took effect or not (`bool`).
fn sequential_execution(specs: &[OpSpec], kv: bool) -> (String, FinalReads) {
    let mut state: BTreeMap<&str, Option<i64>> = BTreeMap::new();
    let mut next_value = 1;
    let mut lines = Vec::new();
    // A client whose operation's outcome is unknown is gone (Jepsen's rule): its next operation
    // runs under a fresh id.
    let mut ids: BTreeMap<u8, u32> = BTreeMap::new();
    let mut fresh = 1_000u32;
    for &(spec_client, write, choice, unknown) in specs {
        let client = *ids.entry(spec_client).or_insert(u32::from(spec_client));
        let key = if kv && choice % 2 == 1 { "y" } else { "x" };
        let (f, key_field) = match (kv, write) {
            (false, true) => ("write", String::new()),
            (false, false) => ("read", String::new()),
            (true, true) => ("put", format!(", \"key\": \"{key}\"")),
            (true, false) => ("get", format!(", \"key\": \"{key}\"")),
        };
        let show = |v: Option<i64>| match (kv, v) {
            (_, None) if kv => "\"\"".to_string(),
            (_, None) => "null".to_string(),
            (true, Some(v)) => format!("\"{v}\""),
            (false, Some(v)) => v.to_string(),
        };
        if write {
            let value = next_value;
            next_value += 1;
            lines.push(format!(
                "{{\"client\": {client}, \"type\": \"invoke\", \"f\": \"{f}\"{key_field}, \"value\": {}}}",
                show(Some(value))
            ));
            // An unknown outcome that took effect, or one that did not (`choice`'s high bit).
            let took_effect = !unknown || choice >= 128;
            if took_effect {
                state.insert(key, Some(value));
            }
            let kind = if unknown { "info" } else { "ok" };
            lines.push(format!(
                "{{\"client\": {client}, \"type\": \"{kind}\", \"f\": \"{f}\"{key_field}, \"value\": {}}}",
                show(Some(value))
            ));
            if unknown {
                ids.insert(spec_client, fresh);
                fresh += 1;
            }
        } else {
            let seen = state.get(key).copied().flatten();
            lines.push(format!(
                "{{\"client\": {client}, \"type\": \"invoke\", \"f\": \"{f}\"{key_field}}}"
            ));
            lines.push(format!(
                "{{\"client\": {client}, \"type\": \"ok\", \"f\": \"{f}\"{key_field}, \"value\": {}}}",
                show(seen)
            ));
        }
    }
    let mut finals = FinalReads::default();
    for key in if kv { &["x", "y"][..] } else { &["x"][..] } {
        state.entry(key).or_insert(None);
    }
    for replica in ["a", "b", "c"] {
        for (key, value) in &state {
            finals.reads.push(FinalRead {
                replica: replica.to_string(),
                key: kv.then(|| key.to_string()),
                value: match (kv, value) {
                    (_, None) => serde_json::Value::Null,
                    (true, Some(v)) => serde_json::Value::String(v.to_string()),
                    (false, Some(v)) => serde_json::Value::from(*v),
                },
                line: 0,
            });
        }
    }
    (lines.join("\n") + "\n", finals)
}

/// A random history of at most a few operations, with arbitrary overlaps and read values, so
/// that some are consistent and some are not.
fn random_history(specs: &[OpSpec], interleaving: &[u8]) -> String {
    let mut per_client: BTreeMap<u8, Vec<(bool, u8, bool, i64)>> = BTreeMap::new();
    for (k, &(client, write, choice, unknown)) in specs.iter().enumerate() {
        per_client.entry(client % 3).or_default().push((
            write,
            choice,
            unknown && write,
            k as i64 + 1,
        ));
    }
    let written: Vec<i64> = specs
        .iter()
        .enumerate()
        .filter(|(_, s)| s.1)
        .map(|(k, _)| k as i64 + 1)
        .collect();
    // Each client's events: invoke then return, per operation.
    let mut events: Vec<(u8, Vec<String>)> = per_client
        .iter()
        .map(|(&spec_client, ops)| {
            let mut list = Vec::new();
            // A client whose write's outcome is unknown is gone: the rest run under a new id.
            let mut client = u32::from(spec_client);
            for &(write, choice, unknown, value) in ops {
                if write {
                    list.push(format!(
                        "{{\"client\": {client}, \"type\": \"invoke\", \"f\": \"write\", \"value\": {value}}}"
                    ));
                    let kind = if unknown { "info" } else { "ok" };
                    list.push(format!(
                        "{{\"client\": {client}, \"type\": \"{kind}\", \"f\": \"write\", \"value\": {value}}}"
                    ));
                    if unknown {
                        client += 100;
                    }
                } else {
                    let seen = match choice as usize % (written.len() + 1) {
                        0 => "null".to_string(),
                        k => written[k - 1].to_string(),
                    };
                    list.push(format!(
                        "{{\"client\": {client}, \"type\": \"invoke\", \"f\": \"read\"}}"
                    ));
                    list.push(format!(
                        "{{\"client\": {client}, \"type\": \"ok\", \"f\": \"read\", \"value\": {seen}}}"
                    ));
                }
            }
            list.reverse();
            (spec_client, list)
        })
        .collect();
    let mut lines = Vec::new();
    let mut pick = interleaving.iter().cycle();
    while events.iter().any(|(_, l)| !l.is_empty()) {
        let live: Vec<usize> = (0..events.len())
            .filter(|&i| !events[i].1.is_empty())
            .collect();
        let choice = *pick.next().unwrap_or(&0) as usize % live.len();
        if let Some(line) = events[live[choice]].1.pop() {
            lines.push(line);
        }
    }
    lines.join("\n") + "\n"
}

/// Causal memory straight from its definition: for every client, search all serializations of
/// its operations and all writes that respect causal order for one that explains its reads.
fn causal_by_definition(h: &RwHistory) -> bool {
    let n = h.ops.len();
    let mut preds: Vec<Vec<usize>> = vec![Vec::new(); n];
    let mut last: BTreeMap<u64, usize> = BTreeMap::new();
    for (i, op) in h.ops.iter().enumerate() {
        if let Some(&p) = last.get(&op.client) {
            preds[i].push(p);
        }
        if !op.ghost {
            last.insert(op.client, i);
        }
        if let (RwKind::Read, Some(v)) = (op.kind, op.value) {
            match h.writer[v as usize] {
                Some(w) => preds[i].push(w),
                None => return false,
            }
        }
    }
    // Transitive closure by repeated passes (n is tiny).
    let mut before = vec![vec![false; n]; n];
    for (j, ps) in preds.iter().enumerate() {
        for &p in ps {
            before[j][p] = true;
        }
    }
    for k in 0..n {
        for i in 0..n {
            for j in 0..n {
                if before[i][k] && before[k][j] {
                    before[i][j] = true;
                }
            }
        }
    }
    if (0..n).any(|i| before[i][i]) {
        return false;
    }
    let clients: std::collections::BTreeSet<u64> = h.ops.iter().map(|o| o.client).collect();
    clients.iter().all(|&p| {
        let view: Vec<usize> = (0..n)
            .filter(|&i| h.ops[i].client == p || h.ops[i].kind == RwKind::Write)
            .collect();
        serialize(
            h,
            &view,
            &before,
            &mut vec![false; n],
            &mut BTreeMap::new(),
            view.len(),
        )
    })
}

fn serialize(
    h: &RwHistory,
    view: &[usize],
    before: &[Vec<bool>],
    placed: &mut Vec<bool>,
    state: &mut BTreeMap<u32, Option<u32>>,
    left: usize,
) -> bool {
    if left == 0 {
        return true;
    }
    for &o in view {
        if placed[o] || view.iter().any(|&p| before[o][p] && !placed[p]) {
            continue;
        }
        let op = &h.ops[o];
        let current = state.get(&op.key).copied().flatten();
        let previous = state.get(&op.key).copied();
        match op.kind {
            RwKind::Read if current != op.value => continue,
            RwKind::Read => {}
            RwKind::Write => {
                state.insert(op.key, op.value);
            }
        }
        placed[o] = true;
        if serialize(h, view, before, placed, state, left - 1) {
            return true;
        }
        placed[o] = false;
        match previous {
            Some(v) => state.insert(op.key, v),
            None => state.remove(&op.key),
        };
    }
    false
}

fn specs() -> impl Strategy<Value = Vec<OpSpec>> {
    prop::collection::vec(
        (
            0u8..4,
            any::<bool>(),
            any::<u8>(),
            prop::bool::weighted(0.15),
        ),
        1..12,
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn a_sequential_execution_passes_every_model(specs in specs(), kv in any::<bool>()) {
        let (text, finals) = sequential_execution(&specs, kv);
        let c = classify_text(&text, Format::JsonLines, Some(&finals), &Limits::default())
            .expect("well-formed");
        for j in &c.judgements {
            prop_assert_eq!(j.verdict, Verdict::Holds, "{}: {}\n{}", j.model.name(), j.sentence, text);
        }
    }

    #[test]
    fn linearizable_implies_sequential_implies_causal_and_the_session_guarantees(
        specs in prop::collection::vec((0u8..3, any::<bool>(), any::<u8>(), prop::bool::weighted(0.15)), 1..9),
        interleaving in prop::collection::vec(any::<u8>(), 1..24),
    ) {
        let text = random_history(&specs, &interleaving);
        let raw = parse(&text, Format::JsonLines).expect("parses");
        let limits = Limits::default();
        let lin = linearizable::check(&raw, &limits).expect("lowers").verdict;
        let seq = sequential::check(&raw, &limits).expect("lowers").verdict;
        let cau = causal::check(&raw).verdict;
        prop_assert!(lin != Verdict::Unknown && seq != Verdict::Unknown && cau != Verdict::Unknown);
        if lin == Verdict::Holds {
            prop_assert_eq!(seq, Verdict::Holds, "linearizable but not sequential:\n{}", text);
        }
        if seq == Verdict::Holds {
            prop_assert_eq!(cau, Verdict::Holds, "sequential but not causal:\n{}", text);
            for j in session::check(&raw) {
                prop_assert_eq!(j.verdict, Verdict::Holds, "sequential but {}: {}\n{}", j.model.name(), j.sentence, text);
            }
        }
    }

    #[test]
    fn the_causal_check_agrees_with_the_definition(
        specs in prop::collection::vec((0u8..3, any::<bool>(), any::<u8>(), prop::bool::weighted(0.1)), 1..8),
        interleaving in prop::collection::vec(any::<u8>(), 1..16),
    ) {
        let text = random_history(&specs, &interleaving);
        let raw = parse(&text, Format::JsonLines).expect("parses");
        let h = RwHistory::lower(&raw).expect("unique values");
        let decided = causal::judge(&h).is_ok();
        prop_assert_eq!(decided, causal_by_definition(&h), "{}", text);
    }

    #[test]
    fn the_sequential_search_agrees_with_trying_every_order(
        specs in prop::collection::vec((0u8..3, any::<bool>(), any::<u8>(), prop::bool::weighted(0.15)), 1..8),
        interleaving in prop::collection::vec(any::<u8>(), 1..16),
    ) {
        let text = random_history(&specs, &interleaving);
        let raw = parse(&text, Format::JsonLines).expect("parses");
        let found = sequential::check(&raw, &Limits::default()).expect("lowers").verdict;
        prop_assert_eq!(found == Verdict::Holds, sequential_by_brute_force(&raw), "{}", text);
    }
}

/// Sequential consistency by trying every interleaving of the clients' operations (unknown
/// writes placed anywhere after their client's earlier operations, or left out).
fn sequential_by_brute_force(raw: &RawHistory) -> bool {
    let h = RwHistory::lower(raw).expect("unique values");
    // Every known operation of each client, with unknown-outcome writes as optional extras.
    let mut chains: BTreeMap<u64, Vec<usize>> = BTreeMap::new();
    let mut ghosts = Vec::new();
    // Unread unknown writes are dropped by lowering, which is one of the choices tried here.
    for (i, op) in h.ops.iter().enumerate() {
        if op.ghost {
            ghosts.push((i, op.client, chains.get(&op.client).map_or(0, Vec::len)));
        } else {
            chains.entry(op.client).or_default().push(i);
        }
    }
    let chains: Vec<Vec<usize>> = chains.into_values().collect();
    let clients: Vec<u64> = {
        let mut c: Vec<u64> = h
            .ops
            .iter()
            .filter(|o| !o.ghost)
            .map(|o| o.client)
            .collect();
        c.sort_unstable();
        c.dedup();
        c
    };
    let ghosts: Vec<(usize, usize, usize)> = ghosts
        .into_iter()
        .map(|(i, client, after)| {
            (
                i,
                clients
                    .iter()
                    .position(|&c| c == client)
                    .unwrap_or(usize::MAX),
                after,
            )
        })
        .collect();
    fn go(
        h: &RwHistory,
        chains: &[Vec<usize>],
        ghosts: &[(usize, usize, usize)],
        pos: &mut Vec<usize>,
        used: &mut Vec<bool>,
        state: &mut BTreeMap<u32, Option<u32>>,
    ) -> bool {
        if pos.iter().zip(chains).all(|(p, c)| *p == c.len()) {
            return true;
        }
        let mut moves: Vec<(usize, Option<usize>)> = Vec::new();
        for (c, chain) in chains.iter().enumerate() {
            if let Some(&o) = chain.get(pos[c]) {
                moves.push((o, Some(c)));
            }
        }
        for (g, &(o, chain, after)) in ghosts.iter().enumerate() {
            let ready = chain == usize::MAX || pos[chain] >= after;
            if !used[g] && ready {
                moves.push((o, None));
            }
        }
        for (o, chain) in moves {
            let op = &h.ops[o];
            let previous = state.get(&op.key).copied();
            if op.kind == RwKind::Read && previous.flatten() != op.value {
                continue;
            }
            if op.kind == RwKind::Write {
                state.insert(op.key, op.value);
            }
            let ghost = ghosts.iter().position(|g| g.0 == o);
            match (chain, ghost) {
                (Some(c), _) => pos[c] += 1,
                (None, Some(g)) => used[g] = true,
                (None, None) => {}
            }
            if go(h, chains, ghosts, pos, used, state) {
                return true;
            }
            match (chain, ghost) {
                (Some(c), _) => pos[c] -= 1,
                (None, Some(g)) => used[g] = false,
                (None, None) => {}
            }
            match previous {
                Some(v) => state.insert(op.key, v),
                None => state.remove(&op.key),
            };
        }
        false
    }
    let mut pos = vec![0; chains.len()];
    let mut used = vec![false; ghosts.len()];
    go(
        &h,
        &chains,
        &ghosts,
        &mut pos,
        &mut used,
        &mut BTreeMap::new(),
    )
}

#[test]
fn the_models_a_history_shows_are_all_but_convergence_in_order() {
    use super::ConsistencyModel;
    assert_eq!(
        ConsistencyModel::FROM_HISTORY[..],
        ConsistencyModel::ALL[..7]
    );
    assert!(!ConsistencyModel::FROM_HISTORY.contains(&ConsistencyModel::Converged));
}
