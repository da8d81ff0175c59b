use std::collections::BTreeMap;

use super::*;
use crate::challenge::harness::{Harness, Simulated};
use crate::challenge::{challenge, check, CheckOptions, CheckReport, Verdict};
use crate::script::ScriptErrorKind;
use crate::sim::protocol::NodeId;
use crate::sim::trace::Event;
use crate::sim::world::{Sim, SimOptions};

fn run(source: &str, first_seed: u64, seeds: u64) -> CheckReport {
    check(
        challenge("saga-compensations").unwrap(),
        source,
        CheckOptions { seeds, first_seed },
        &mut |_, _| true,
    )
}

/// The verdict of every seed in `seeds` for `hooks`: the property it fails, if any.
fn verdicts_of(hooks: Rc<dyn SagaHooks>, seeds: std::ops::Range<u64>) -> Vec<Option<String>> {
    let harness = Simulated(SagaCompensations);
    seeds
        .map(|seed| {
            harness
                .judge(&hooks, &challenge_run(seed))
                .unwrap()
                .map(|f| f.property)
        })
        .collect()
}

fn script_hooks(source: &str) -> Rc<dyn SagaHooks> {
    SagaCompensations.install(Script::compile(source, &REQUIRED).unwrap())
}

#[test]
#[ignore = "a survey: cargo test -p engine saga_survey -- --ignored --nocapture"]
fn saga_survey() {
    let c = challenge("saga-compensations").unwrap();
    let mut all: Vec<(String, Rc<dyn SagaHooks>)> = SagaVariant::ALL
        .into_iter()
        .map(|v| {
            (
                format!("rust {}", v.name()),
                Rc::new(v) as Rc<dyn SagaHooks>,
            )
        })
        .collect();
    for w in &c.wrong {
        all.push((format!("toml {}", w.name), script_hooks(&w.code)));
    }
    for (name, hooks) in all {
        let mut tally: BTreeMap<String, usize> = BTreeMap::new();
        let mut by_run: BTreeMap<String, BTreeMap<String, usize>> = BTreeMap::new();
        for (seed, v) in (0..400).zip(verdicts_of(hooks, 0..400)) {
            let v = v.unwrap_or_else(|| "ok".into());
            *tally.entry(v.clone()).or_default() += 1;
            *by_run
                .entry(challenge_run(seed).scenario)
                .or_default()
                .entry(v)
                .or_default() += 1;
        }
        println!("{name}: {tally:?}");
        for (run, t) in by_run {
            if run != CHALLENGE_SWARM {
                println!("    {run}: {t:?}");
            }
        }
    }
}

/// Every run id of the challenge.
fn ids() -> impl Iterator<Item = &'static str> {
    std::iter::once(CHALLENGE_SWARM).chain(CHALLENGE_SCRIPTED)
}

/// The run of `seed` with `hooks`, traced to its horizon.
fn traced(hooks: Rc<dyn SagaHooks>, seed: u64) -> Sim<Shop> {
    let spec = challenge_run(seed);
    let scenario = SagaCompensations.scenario(&hooks, &spec.scenario).unwrap();
    let end = SagaCompensations.horizon(&scenario, &spec);
    let options = SimOptions {
        record_trace: true,
        ..SimOptions::CHECK
    };
    let mut sim = Sim::new(scenario, spec, options).unwrap();
    sim.run_until_time(end, true).unwrap();
    sim.finish_liveness();
    sim
}

/// The notes of a run: (time, node, note).
fn notes(sim: &Sim<Shop>) -> Vec<(u64, NodeId, Note)> {
    sim.trace()
        .iter()
        .filter_map(|e| match &e.event {
            Event::Note { node, note } => Some((e.t, *node, note.clone())),
            _ => None,
        })
        .collect()
}

fn first_at(notes: &[(u64, NodeId, Note)], wanted: &Note) -> Option<u64> {
    notes
        .iter()
        .find(|(_, _, n)| n == wanted)
        .map(|(t, _, _)| *t)
}

#[test]
fn every_fourth_seed_is_a_scripted_run_in_turn_and_every_24_seeds_hold_each() {
    let kinds: Vec<String> = (0..24).map(|s| challenge_run(s).scenario).collect();
    assert_eq!(kinds[3], "saga-reply-lost");
    assert_eq!(kinds[7], "saga-call-lost");
    assert_eq!(kinds[23], "saga-payment-down");
    assert_eq!(kinds.iter().filter(|id| *id == CHALLENGE_SWARM).count(), 18);
    for first in 0..500 {
        let window: Vec<String> = (first..first + 24)
            .map(|s| challenge_run(s).scenario)
            .collect();
        for id in CHALLENGE_SCRIPTED {
            assert!(window.iter().any(|w| w == id), "{id} from seed {first}");
        }
    }
    assert_eq!(scripted_seeds("saga-duplicates", 0, 60), vec![11, 35, 59]);
    let swarm = challenge_run(1);
    assert_eq!(swarm.scenario, CHALLENGE_SWARM);
    assert!(swarm.overrides.len() > 1);
    for id in ids() {
        let s = super::challenge(id, Rc::new(SagaVariant::Reference)).unwrap();
        assert_eq!(s.id, id);
        assert!(!s.description.is_empty());
    }
    assert!(super::challenge("saga-happy", Rc::new(SagaVariant::Reference)).is_none());
}

/// The script's reference is the Rust reference, event for event; a run is a pure function of
/// its seed and code.
#[test]
fn runs_are_deterministic_and_the_script_reference_is_the_rust_one() {
    let c = challenge("saga-compensations").unwrap();
    for seed in [0, 1, 3, 7, 11, 15, 19, 23, 42] {
        let a = traced(script_hooks(&c.reference), seed);
        let b = traced(script_hooks(&c.reference), seed);
        let rust = traced(Rc::new(SagaVariant::Reference), seed);
        assert_eq!(a.violation(), None, "seed {seed}");
        assert_eq!(a.trace_hash(), b.trace_hash(), "seed {seed}");
        assert_eq!(a.trace_hash(), rust.trace_hash(), "seed {seed}");
    }
    for w in &c.wrong {
        assert_eq!(run(&w.code, 0, 30), run(&w.code, 0, 30), "{}", w.name);
    }
}

/// A verdict does not depend on the seeds a check draws: from every first seed of a whole
/// rotation of the scripted runs (and from far away), the first failure of each Rust variant
/// in 200 seeds is the property it breaks, and the reference passes them all.
#[test]
fn every_window_of_200_seeds_catches_every_variant_with_its_property() {
    const WINDOW: u64 = 200;
    let starts = SCRIPTED_EVERY * CHALLENGE_SCRIPTED.len() as u64;
    for variant in SagaVariant::ALL {
        for offset in [0, 10_001] {
            let found = verdicts_of(Rc::new(variant), offset..offset + starts + WINDOW);
            for start in 0..starts as usize {
                let first = found[start..start + WINDOW as usize]
                    .iter()
                    .flatten()
                    .next();
                assert_eq!(
                    first.map(String::as_str),
                    variant.breaks(),
                    "{} from seed {}",
                    variant.name(),
                    offset + start as u64
                );
            }
        }
    }
}

/// Each wrong variant fails the scripted run designed for it on every seed of that run.
#[test]
fn each_variant_fails_its_scripted_run_on_every_seed() {
    let cases = [
        (SagaVariant::RegisterAfterSuccess, "saga-reply-lost"),
        (SagaVariant::KeylessCompensation, "saga-duplicates"),
        (SagaVariant::KeylessCompensation, "saga-reply-lost"),
        (SagaVariant::ForwardOrder, "saga-duplicates"),
        (SagaVariant::KeylessRetry, "saga-reply-lost"),
        (SagaVariant::ForgetLog, "saga-orchestrator-crash"),
        (SagaVariant::ForgetLog, "saga-crash-compensating"),
        (SagaVariant::GiveUp, "saga-payment-down"),
    ];
    let harness = Simulated(SagaCompensations);
    for (variant, id) in cases {
        let hooks: Rc<dyn SagaHooks> = Rc::new(variant);
        for seed in scripted_seeds(id, 0, 100) {
            let found = harness.judge(&hooks, &challenge_run(seed)).unwrap();
            assert_eq!(
                found.map(|f| f.property).as_deref(),
                variant.breaks(),
                "{} on {id}, seed {seed}",
                variant.name()
            );
        }
    }
}

/// Each scripted run reaches, with the reference and whatever the latencies, the state it
/// exists for.
#[test]
fn each_scripted_run_reaches_its_state_on_every_seed() {
    let reference = || Rc::new(SagaVariant::Reference) as Rc<dyn SagaHooks>;
    let seeds = |id| scripted_seeds(id, 0, 150);
    for seed in seeds("saga-reply-lost") {
        let n = notes(&traced(reference(), seed));
        // o1's charge took effect, and n0 saw a timeout: it compensated anyway.
        let charged = first_at(&n, &Note::Applied(1, Step::Payment)).unwrap();
        let timeout = first_at(&n, &Note::Outcome(1, Step::Payment, Outcome::Timeout)).unwrap();
        assert!(charged < timeout, "seed {seed}");
        assert!(first_at(&n, &Note::Compensated(1, Step::Payment)).is_some());
        // The refund was retried: its repeat answered from the key.
        let repeat = Note::Repeat(1, Step::Payment, "o1-payment-compensate".into());
        assert!(first_at(&n, &repeat).is_some(), "seed {seed}");
    }
    for seed in seeds("saga-call-lost") {
        let n = notes(&traced(reference(), seed));
        // o1's reservation never arrived: the restock leaves a tombstone.
        assert!(first_at(&n, &Note::Applied(1, Step::Inventory)).is_none());
        assert!(first_at(&n, &Note::Outcome(1, Step::Inventory, Outcome::Timeout)).is_some());
        assert!(first_at(&n, &Note::Tombstone(1, Step::Inventory)).is_some());
    }
    for seed in seeds("saga-duplicates") {
        let n = notes(&traced(reference(), seed));
        // o3 is charged and reserved, refused at shipping: two compensations to run, each
        // delivered twice.
        let restock = first_at(&n, &Note::Compensated(3, Step::Inventory)).unwrap();
        let refund = first_at(&n, &Note::Compensated(3, Step::Payment)).unwrap();
        assert!(restock < refund, "seed {seed}");
        let repeat = Note::Repeat(3, Step::Payment, "o3-payment-compensate".into());
        assert!(first_at(&n, &repeat).is_some(), "seed {seed}");
    }
    for seed in seeds("saga-orchestrator-crash") {
        let n = notes(&traced(reference(), seed));
        // n0 restarts with o1 calling the inventory, and resumes it as timed out.
        assert!(
            first_at(&n, &Note::Resumed(vec![1])).is_some(),
            "seed {seed}"
        );
        assert!(first_at(&n, &Note::Outcome(1, Step::Inventory, Outcome::Timeout)).is_some());
    }
    for seed in seeds("saga-crash-compensating") {
        let sim = traced(reference(), seed);
        let n = notes(&sim);
        // At the crash o2 is compensating and not ended, o1 is booking its courier.
        let compensating = first_at(
            &n,
            &Note::Compensating(2, vec![Step::Inventory, Step::Payment]),
        );
        assert!(compensating.is_some_and(|t| t < 158), "seed {seed}");
        assert!(first_at(&n, &Note::Ended(2, End::Compensated)).unwrap() > 300);
        assert!(
            first_at(&n, &Note::Resumed(vec![1, 2])).is_some(),
            "seed {seed}"
        );
    }
    for seed in seeds("saga-payment-down") {
        let sim = traced(reference(), seed);
        // o2's refund is due while n1 is down: the refund lands only after the heal, and the
        // orchestrator had retried it more than ten times.
        let n = notes(&sim);
        assert!(first_at(&n, &Note::Applied(2, Step::Payment)).unwrap() < 150);
        assert!(first_at(&n, &Note::Compensated(2, Step::Payment)).unwrap() >= 2_000);
        let retries = sim
            .trace()
            .iter()
            .filter(|e| {
                matches!(&e.event, Event::Send { msg: Msg::Compensate { order, step: Step::Payment, .. }, .. } if order.id == 2)
            })
            .count();
        assert!(retries > 10, "seed {seed}: {retries}");
    }
}

fn script_error(report: &CheckReport) -> &crate::script::ScriptError {
    match &report.verdict {
        Verdict::ScriptError { error, .. } => error,
        other => panic!("expected a script error, got {other:?}"),
    }
}

#[test]
fn results_of_the_wrong_shape_are_located_errors_that_say_what_is_wrong() {
    let c = challenge("saga-compensations").unwrap();
    let cases = [
        ("fn register_first(step) {\n    true\n}", "fn register_first(step) {\n    \"yes\"\n}", "true or false"),
        (
            "fn on_reply(step, reply, attempt) {\n    if reply == \"ok\" { \"next\" } else { \"compensate\" }\n}",
            "fn on_reply(step, reply, attempt) {\n    [\"next\", \"compensate\"]\n}",
            "\"next\", \"retry\" or \"compensate\"",
        ),
        (
            "fn key(order, step, kind, attempt) {\n    `o${order}-${step}-${kind}`\n}",
            "fn key(order, step, kind, attempt) {\n    order\n}",
            "a string of 1 to 64 bytes",
        ),
        (
            "fn compensations(registered) {\n    let plan = registered;\n    plan.reverse();\n    plan\n}",
            "fn compensations(registered) {\n    [\"refund\"]\n}",
            "an array of steps",
        ),
        (
            "fn recover(log) {",
            "fn recover(log) {\n    return [\"o1\"];",
            "an array of order numbers",
        ),
    ];
    for (from, to, says) in cases {
        assert!(c.reference.contains(from), "{from}");
        let code = c.reference.replacen(from, to, 1);
        let report = run(&code, 0, 40);
        let error = script_error(&report);
        assert_eq!(error.kind, ScriptErrorKind::WrongResult, "{to}");
        assert!(error.message.contains(says), "{to}: {}", error.message);
        assert!(error.line.is_some(), "{to}");
    }
}

/// Solutions written from the statement alone, correct ones in several styles and plausible
/// mistakes, each judged as its file expects.
#[test]
fn learner_solutions_are_judged_as_their_files_expect() {
    let c = challenge("saga-compensations").unwrap();
    let (mut passing, mut failing) = (0, 0);
    for (path, code, expect) in crate::challenge::solutions::read("testdata/saga-solutions") {
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
        passing >= 5 && failing >= 12,
        "{passing} pass, {failing} fail"
    );
}

/// The wrong learner solutions fail in every window of 200 seeds with the property their file
/// names.
#[test]
fn learner_solutions_fail_in_every_window_of_200_seeds() {
    const WINDOW: u64 = 200;
    let starts = SCRIPTED_EVERY * CHALLENGE_SCRIPTED.len() as u64;
    for (path, code, expect) in crate::challenge::solutions::read("testdata/saga-solutions") {
        if expect == "pass" {
            continue;
        }
        for offset in [0, 10_001] {
            let found = verdicts_of(script_hooks(&code), offset..offset + starts + WINDOW);
            for start in 0..starts as usize {
                let first = found[start..start + WINDOW as usize]
                    .iter()
                    .flatten()
                    .next();
                assert!(
                    first.is_some_and(|f| expect.split(" or ").any(|p| p == f)),
                    "{} from seed {}: {first:?}",
                    path.display(),
                    offset + start as u64
                );
            }
        }
    }
}
