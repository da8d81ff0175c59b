use super::*;
use crate::challenge::harness::{Harness, Simulated};
use crate::challenge::{challenge, check, CheckOptions, CheckReport, Verdict};

fn run(source: &str, first_seed: u64, seeds: u64) -> CheckReport {
    check(
        challenge("trace-context").unwrap(),
        source,
        CheckOptions { seeds, first_seed },
        &mut |_, _| true,
    )
}

/// The property each seed in `seeds` fails for `source`, if any.
fn verdicts(source: &str, seeds: std::ops::Range<u64>) -> Vec<Option<String>> {
    let harness = Simulated(TraceContext);
    let installed = harness.install(Script::compile(source, &REQUIRED).unwrap());
    seeds
        .map(|seed| {
            harness
                .judge(&installed, &run_of(seed))
                .unwrap()
                .map(|f| f.property)
        })
        .collect()
}

fn reference() -> String {
    challenge("trace-context").unwrap().reference.clone()
}

#[test]
fn every_fourth_seed_is_the_scripted_run_of_retries() {
    let kinds: Vec<String> = (0..8).map(|s| run_of(s).scenario).collect();
    assert_eq!(kinds[3], RETRIES);
    assert_eq!(kinds[7], RETRIES);
    assert_eq!(kinds.iter().filter(|k| *k == SWARM).count(), 6);
}

#[test]
fn the_scripted_run_retries_calls_to_the_database_and_to_payments() {
    let s =
        challenge_scenario(RETRIES, std::sync::Arc::new(super::super::rules::Reference)).unwrap();
    let spec = run_of(3);
    let end = TraceContext.horizon(&s, &spec);
    let mut sim =
        crate::sim::world::Sim::new(s, spec, crate::sim::world::SimOptions::FAST).unwrap();
    sim.run_until_time(end, false).unwrap();
    let retried: Vec<String> = sim
        .world_ref()
        .observed()
        .iter()
        .filter_map(|o| match &o.note {
            Note::Span(s) if s.attempt > 1 => Some(s.name.clone()),
            _ => None,
        })
        .collect();
    assert!(retried.iter().any(|n| n.starts_with("db-1")), "{retried:?}");
    assert!(
        retried.iter().any(|n| n.starts_with("payments")),
        "{retried:?}"
    );
}

#[test]
fn a_script_reads_the_header_as_a_string_or_unit_and_fresh_ids_as_hex() {
    let code = r#"
        fn server_span(traceparent, fresh) {
            if type_of(traceparent) != "()" && type_of(traceparent) != "string" { throw "header type"; }
            if fresh.span_id.len() != 16 || fresh.trace_id.len() != 32 { throw "fresh ids"; }
            if fresh.flags != "00" && fresh.flags != "01" { throw "fresh flags"; }
            #{ trace_id: fresh.trace_id, span_id: fresh.span_id, parent_id: "", flags: fresh.flags }
        }
        fn client_span(current, attempt, fresh) {
            if type_of(attempt) != "i64" { throw "attempt"; }
            #{ trace_id: current.trace_id, span_id: fresh.span_id, parent_id: current.span_id, flags: current.flags }
        }
        fn inject(span) { "00-" + span.trace_id + "-" + span.span_id + "-" + span.flags }
        fn consumer_span(traceparent, fresh) {
            #{ trace_id: fresh.trace_id, span_id: fresh.span_id, parent_id: "", flags: fresh.flags, link: traceparent }
        }
    "#;
    // A root per service: the script ran to the first property, not to an error.
    match run(code, 0, 4).verdict {
        Verdict::Failed(f) => assert_eq!(f.property, "one-trace-per-request"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_span_of_the_wrong_shape_is_a_wrong_result_at_its_function() {
    let code = r#"
        fn server_span(traceparent, fresh) { fresh.span_id }
        fn client_span(current, attempt, fresh) { current }
        fn inject(span) { 42 }
        fn consumer_span(traceparent, fresh) { fresh }
    "#;
    match run(code, 0, 2).verdict {
        Verdict::ScriptError { error, .. } => {
            let text = error.to_string();
            assert!(text.contains("server_span"), "{text}");
            assert!(
                text.contains("#{ trace_id, span_id, parent_id, flags }"),
                "{text}"
            );
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn the_reference_passes_from_another_first_seed() {
    assert_eq!(run(&reference(), 10_001, 100).verdict, Verdict::Passed);
}

/// Solutions a learner might write from the statement alone
/// (`engine/testdata/trace-context-solutions/`, each opening with `// expect: pass` or the
/// property it must fail, or properties joined by ` or ` when one mistake breaks two at the
/// same span): correct ones pass here and from another first seed, wrong ones fail with the
/// property named.
#[test]
fn learner_solutions_are_judged_as_their_files_expect() {
    let c = challenge("trace-context").unwrap();
    let (mut passing, mut failing) = (0, 0);
    for (path, code, expect) in
        crate::challenge::solutions::read("testdata/trace-context-solutions")
    {
        let report = run(&code, 0, c.seeds);
        match (&report.verdict, expect.as_str()) {
            (Verdict::Passed, "pass") => {
                passing += 1;
                let later = run(&code, 10_001, c.seeds).verdict;
                assert_eq!(later, Verdict::Passed, "{}", path.display());
            }
            (Verdict::Failed(f), property)
                if crate::challenge::solutions::names(property, &f.property) =>
            {
                failing += 1
            }
            (other, _) => panic!("{}: expected {expect}, got {other:?}", path.display()),
        }
    }
    assert!(
        passing >= 3 && failing >= 10,
        "{passing} pass, {failing} fail"
    );
}

/// Every wrong solution (the learner's and the TOML's) fails in every window of 200 seeds
/// with its property: its first failure from any first seed is the one it names.
#[test]
fn wrong_solutions_fail_in_every_window_of_200_seeds() {
    const WINDOW: u64 = 200;
    let c = challenge("trace-context").unwrap();
    let dir =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/trace-context-solutions");
    let mut cases: Vec<(String, String)> = c
        .wrong
        .iter()
        .map(|w| (w.violates.clone(), w.code.clone()))
        .collect();
    for entry in std::fs::read_dir(&dir).unwrap() {
        let code = std::fs::read_to_string(entry.unwrap().path()).unwrap();
        let expect = code
            .lines()
            .next()
            .and_then(|l| l.strip_prefix("// expect: "))
            .unwrap_or("pass")
            .to_string();
        if expect != "pass" {
            cases.push((expect, code));
        }
    }
    for (property, code) in cases {
        let found = verdicts(&code, 0..SCRIPTED_EVERY + WINDOW);
        for start in 0..SCRIPTED_EVERY as usize {
            let first = found[start..start + WINDOW as usize]
                .iter()
                .flatten()
                .next();
            assert!(
                first.is_some_and(|f| property.split(" or ").any(|p| p == f)),
                "{property} from seed {start}: {first:?}\n{code}"
            );
        }
    }
}
