use std::collections::BTreeMap;

use super::*;
use crate::challenge::harness::{Harness, Simulated};
use crate::challenge::{challenge, check, CheckOptions, CheckReport, Verdict};
use crate::protocols::outbox::scenarios::{
    CONSUMER_CRASHES_TICKS, GAP_BROKER_RESTART, GAP_CRASH_AT, SLOW_COMMIT_GAP_TICKS,
};
use crate::script::ScriptErrorKind;
use crate::sim::protocol::NodeId;
use crate::sim::spec::Action;
use crate::sim::trace::Event as TraceKind;
use crate::sim::world::{Sim, SimOptions};

fn run(source: &str, first_seed: u64, seeds: u64) -> CheckReport {
    check(
        challenge("outbox-exactly-once").unwrap(),
        source,
        CheckOptions { seeds, first_seed },
        &mut |_, _| true,
    )
}

/// The verdict of every seed in `seeds` for `hooks`: the property it fails, if any.
fn verdicts_of(hooks: Rc<dyn OutboxHooks>, seeds: std::ops::Range<u64>) -> Vec<Option<String>> {
    let harness = Simulated(OutboxExactlyOnce);
    seeds
        .map(|seed| {
            harness
                .judge(&hooks, &challenge_run(seed))
                .unwrap()
                .map(|f| f.property)
        })
        .collect()
}

fn script_hooks(source: &str) -> Rc<dyn OutboxHooks> {
    OutboxExactlyOnce.install(Script::compile(source, &REQUIRED).unwrap())
}

#[test]
#[ignore = "a survey: cargo test -p engine outbox_survey -- --ignored --nocapture"]
fn outbox_survey() {
    let c = challenge("outbox-exactly-once").unwrap();
    let mut all: Vec<(String, Rc<dyn OutboxHooks>)> = OutboxVariant::ALL
        .into_iter()
        .map(|v| {
            (
                format!("rust {}", v.name()),
                Rc::new(v) as Rc<dyn OutboxHooks>,
            )
        })
        .collect();
    all.push(("toml reference".into(), script_hooks(&c.reference)));
    for w in &c.wrong {
        all.push((format!("toml {}", w.name), script_hooks(&w.code)));
    }
    for (path, code, expect) in crate::challenge::solutions::read("testdata/outbox-solutions") {
        all.push((
            format!("{} ({expect})", path.display()),
            script_hooks(&code),
        ));
    }
    for (name, hooks) in all {
        let mut tally: BTreeMap<String, usize> = BTreeMap::new();
        let mut by_run: BTreeMap<String, BTreeMap<String, usize>> = BTreeMap::new();
        for (seed, v) in (0..480).zip(verdicts_of(hooks, 0..480)) {
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

fn reference() -> Rc<dyn OutboxHooks> {
    Rc::new(OutboxVariant::Reference)
}

/// The run of `seed` with `hooks`, traced to its horizon (or to `until`, if sooner).
fn traced_until(hooks: Rc<dyn OutboxHooks>, seed: u64, until: Option<u64>) -> Sim<Outbox> {
    let spec = challenge_run(seed);
    let scenario = OutboxExactlyOnce.scenario(&hooks, &spec.scenario).unwrap();
    let end = OutboxExactlyOnce.horizon(&scenario, &spec);
    let options = SimOptions {
        record_trace: true,
        ..SimOptions::CHECK
    };
    let mut sim = Sim::new(scenario, spec, options).unwrap();
    sim.run_until_time(until.unwrap_or(end).min(end), true)
        .unwrap();
    if until.is_none() {
        sim.finish_liveness();
    }
    sim
}

fn traced(hooks: Rc<dyn OutboxHooks>, seed: u64) -> Sim<Outbox> {
    traced_until(hooks, seed, None)
}

/// The notes of a run: (time, node, note).
fn notes(sim: &Sim<Outbox>) -> Vec<(u64, NodeId, Note)> {
    sim.trace()
        .iter()
        .filter_map(|e| match &e.event {
            TraceKind::Note { node, note } => Some((e.t, *node, note.clone())),
            _ => None,
        })
        .collect()
}

/// When each copy of `order` was queued at the broker.
fn queued_at(notes: &[(u64, NodeId, Note)], order: u32) -> Vec<u64> {
    notes
        .iter()
        .filter(|(_, _, n)| matches!(n, Note::Queued { order: o, .. } if *o == order))
        .map(|(t, _, _)| *t)
        .collect()
}

/// Orders queued at the broker more than once, with the times of their copies.
fn republished(notes: &[(u64, NodeId, Note)]) -> Vec<(u32, Vec<u64>)> {
    (1..=ORDERS)
        .map(|o| (o, queued_at(notes, o)))
        .filter(|(_, at)| at.len() > 1)
        .collect()
}

#[test]
fn every_fourth_seed_is_a_scripted_run_in_turn_and_every_28_seeds_hold_each() {
    let kinds: Vec<String> = (0..28).map(|s| challenge_run(s).scenario).collect();
    assert_eq!(kinds[3], "outbox-relay-crash");
    assert_eq!(kinds[7], "outbox-ack-lost");
    assert_eq!(kinds[23], "outbox-one-customer");
    assert_eq!(kinds[27], "outbox-commit-gap");
    assert_eq!(kinds.iter().filter(|id| *id == CHALLENGE_SWARM).count(), 21);
    for first in 0..500 {
        let window: Vec<String> = (first..first + 28)
            .map(|s| challenge_run(s).scenario)
            .collect();
        for id in CHALLENGE_SCRIPTED {
            assert!(window.iter().any(|w| w == id), "{id} from seed {first}");
        }
    }
    assert_eq!(scripted_seeds("outbox-duplicates", 0, 60), vec![15, 43]);
    let swarm = challenge_run(1);
    assert_eq!(swarm.scenario, CHALLENGE_SWARM);
    assert!(swarm.overrides.len() > 1);
    for id in ids() {
        let s = super::scenarios::challenge(id, reference()).unwrap();
        assert_eq!(s.id, id);
        assert!(!s.description.is_empty());
        // The learner's code decides: no live option to contradict it.
        assert!(s.protocol.options.is_empty(), "{id}");
        assert_eq!(
            s.protocol.customers,
            if id == "outbox-one-customer" {
                1
            } else {
                CUSTOMERS
            }
        );
        assert_eq!(
            s.protocol.commit_gap,
            if id == "outbox-commit-gap" {
                SLOW_COMMIT_GAP_TICKS
            } else {
                COMMIT_GAP_TICKS
            }
        );
    }
    assert!(super::scenarios::challenge("outbox-relay", reference()).is_none());
}

/// The script's reference is the Rust reference, event for event; a run is a pure function of
/// its seed and code.
#[test]
fn runs_are_deterministic_and_the_script_reference_is_the_rust_one() {
    let c = challenge("outbox-exactly-once").unwrap();
    for seed in [0, 1, 3, 7, 11, 15, 19, 23, 42] {
        let a = traced(script_hooks(&c.reference), seed);
        let b = traced(script_hooks(&c.reference), seed);
        let rust = traced(reference(), seed);
        assert_eq!(a.violation(), None, "seed {seed}");
        assert_eq!(a.trace_hash(), b.trace_hash(), "seed {seed}");
        assert_eq!(a.trace_hash(), rust.trace_hash(), "seed {seed}");
        assert_eq!(
            properties::audit(&a.world_ref()).committed,
            properties::audit(&rust.world_ref()).committed
        );
    }
    for w in &c.wrong {
        assert_eq!(run(&w.code, 0, 30), run(&w.code, 0, 30), "{}", w.name);
    }
}

/// The first failure in each window of 200 seeds starting at `offset + 0 .. offset + 28`
/// (a whole rotation of the scripted runs), for `hooks`.
fn first_failures(hooks: Rc<dyn OutboxHooks>, offset: u64) -> Vec<Option<String>> {
    const WINDOW: u64 = 200;
    let starts = SCRIPTED_EVERY * CHALLENGE_SCRIPTED.len() as u64;
    let found = verdicts_of(hooks, offset..offset + starts + WINDOW);
    (0..starts as usize)
        .map(|start| {
            found[start..start + WINDOW as usize]
                .iter()
                .flatten()
                .next()
                .cloned()
        })
        .collect()
}

/// A verdict does not depend on the seeds a check draws: from every first seed of a whole
/// rotation of the scripted runs (and from far away), the first failure of each Rust variant
/// in 200 seeds is the property it breaks, and the reference passes them all.
#[test]
fn every_window_of_200_seeds_catches_every_variant_with_its_property() {
    for variant in OutboxVariant::ALL {
        for offset in [0, 10_001] {
            for (start, first) in first_failures(Rc::new(variant), offset).iter().enumerate() {
                assert_eq!(
                    first.as_deref(),
                    variant.violates(),
                    "{} from seed {}",
                    variant.name(),
                    offset + start as u64
                );
            }
        }
    }
}

/// The same for the challenge file's wrong variants, in the learner's language.
#[test]
fn every_window_of_200_seeds_catches_every_wrong_variant_of_the_file() {
    let c = challenge("outbox-exactly-once").unwrap();
    for w in &c.wrong {
        for offset in [0, 10_001] {
            for (start, first) in first_failures(script_hooks(&w.code), offset)
                .iter()
                .enumerate()
            {
                assert_eq!(
                    first.as_deref(),
                    Some(w.violates.as_str()),
                    "'{}' from seed {}",
                    w.name,
                    offset + start as u64
                );
            }
        }
    }
}

/// Each wrong variant fails the scripted runs designed for it on every seed of those runs.
#[test]
fn each_variant_fails_its_scripted_runs_on_every_seed() {
    let cases = [
        (OutboxVariant::MarkBeforePublish, "outbox-acks-delayed"),
        (OutboxVariant::MarkBeforePublish, "outbox-one-customer"),
        (OutboxVariant::TwoRelays, "outbox-one-customer"),
        (OutboxVariant::AckBeforeProcessing, "outbox-consumer-crash"),
        (OutboxVariant::DedupByCustomer, "outbox-duplicates"),
        (OutboxVariant::DedupByOffset, "outbox-relay-crash"),
        (OutboxVariant::DedupByOffset, "outbox-duplicates"),
        (OutboxVariant::DedupByOffset, "outbox-acks-delayed"),
    ];
    let harness = Simulated(OutboxExactlyOnce);
    for (variant, id) in cases {
        let hooks: Rc<dyn OutboxHooks> = Rc::new(variant);
        for seed in scripted_seeds(id, 0, 480) {
            let found = harness.judge(&hooks, &challenge_run(seed)).unwrap();
            assert_eq!(
                found.map(|f| f.property).as_deref(),
                variant.violates(),
                "{} on {id}, seed {seed}",
                variant.name()
            );
        }
    }
    // A consumer that commits the key and the shipment in two transactions fails the run that
    // crashes it between them, on every seed, with the property its order of the two breaks.
    for (part, property) in [
        ("Records the event id, then ships", "no-lost-events"),
        ("Ships, then records", "no-duplicate-effects"),
    ] {
        let hooks = script_hooks(&c_wrong(part));
        for seed in scripted_seeds("outbox-commit-gap", 0, 480) {
            let found = harness.judge(&hooks, &challenge_run(seed)).unwrap();
            assert_eq!(
                found.map(|f| f.property).as_deref(),
                Some(property),
                "'{part}' on outbox-commit-gap, seed {seed}"
            );
        }
    }
    // A consumer that ships every delivery fails each run that repeats a delivery.
    let naive = script_hooks(&c_wrong("ships every delivery"));
    for id in [
        "outbox-relay-crash",
        "outbox-ack-lost",
        "outbox-duplicates",
        "outbox-acks-delayed",
    ] {
        for seed in scripted_seeds(id, 0, 480) {
            let found = harness.judge(&naive, &challenge_run(seed)).unwrap();
            assert_eq!(
                found.map(|f| f.property).as_deref(),
                Some("no-duplicate-effects"),
                "naive on {id}, seed {seed}"
            );
        }
    }
}

/// The code of the file's wrong variant whose name contains `part`.
fn c_wrong(part: &str) -> String {
    let c = challenge("outbox-exactly-once").unwrap();
    c.wrong
        .iter()
        .find(|w| w.name.contains(part))
        .unwrap_or_else(|| panic!("no variant '{part}'"))
        .code
        .clone()
}

/// Each scripted run reaches, with the reference and whatever the latencies, the state it
/// exists for.
#[test]
fn the_scripted_runs_reach_their_states() {
    let seeds = |id| scripted_seeds(id, 0, 480);
    for seed in seeds("outbox-relay-crash") {
        let sim = traced(reference(), seed);
        let n = notes(&sim);
        // A row queued before n0's crash at 160 and never marked is queued again after its
        // restart at 200: the relay published it twice, and the consumer skipped the copy.
        let again = republished(&n);
        assert!(
            again
                .iter()
                .any(|(_, at)| at[0] < 160 && at[1..].iter().any(|&t| t >= 200)),
            "seed {seed}: {again:?}"
        );
        assert!(n.iter().any(|(_, _, x)| matches!(x, Note::Skipped { .. })));
        assert!(sim.violation().is_none(), "seed {seed}");
    }
    for seed in seeds("outbox-ack-lost") {
        let n = notes(&traced(reference(), seed));
        // A message shipped is delivered again (its acknowledgement lost) and skipped.
        let shipped: Vec<u64> = n
            .iter()
            .filter_map(|(_, _, x)| match x {
                Note::Shipped { offset, .. } => Some(*offset),
                _ => None,
            })
            .collect();
        assert!(
            n.iter().any(|(t, _, x)| *t >= 100
                && matches!(x, Note::Skipped { offset, .. } if shipped.contains(offset))),
            "seed {seed}"
        );
        assert!(republished(&n).is_empty(), "seed {seed}: only redeliveries");
    }
    for seed in seeds("outbox-consumer-crash") {
        let sim = traced(reference(), seed);
        let (from, to) = CONSUMER_CRASHES_TICKS;
        // n2 took deliveries while it crashed over and over, and processed none until the
        // crashes ended; it shipped everything afterwards.
        let taken = sim
            .trace()
            .iter()
            .filter(|e| {
                (from..to).contains(&e.t)
                    && matches!(
                        &e.event,
                        TraceKind::Recv {
                            to: SHIPPING,
                            msg: Msg::Deliver { .. },
                            ..
                        }
                    )
            })
            .count();
        assert!(taken >= 1, "seed {seed}");
        let n = notes(&sim);
        assert!(
            !n.iter().any(|(t, _, x)| (from..to).contains(t)
                && matches!(x, Note::Shipped { .. } | Note::Skipped { .. })),
            "seed {seed}"
        );
        assert!(sim.violation().is_none(), "seed {seed}");
    }
    for seed in seeds("outbox-duplicates") {
        let sim = traced(reference(), seed);
        let n = notes(&sim);
        // Publishes were duplicated into two offsets; deliveries to n2 were duplicated.
        assert!(!republished(&n).is_empty(), "seed {seed}");
        assert!(sim.trace().iter().any(|e| matches!(
            &e.event,
            TraceKind::Dup {
                to: SHIPPING,
                msg: Msg::Deliver { .. },
                ..
            }
        )));
    }
    for seed in seeds("outbox-acks-delayed") {
        let sim = traced(reference(), seed);
        let n = notes(&sim);
        // With no crash at all, a publish timed out and its row was queued again at least
        // the relay's timeout later; and a publish was lost in the full partition.
        assert!(
            republished(&n)
                .iter()
                .any(|(_, at)| at[1] >= at[0] + PUBLISH_TIMEOUT_TICKS),
            "seed {seed}"
        );
        assert!(sim.trace().iter().any(|e| (250..400).contains(&e.t)
            && matches!(
                &e.event,
                TraceKind::Drop {
                    msg: Msg::Publish { .. },
                    ..
                }
            )));
    }
    for seed in seeds("outbox-one-customer") {
        // Every order is c1's, and when the publishes get through again several rows are
        // waiting: enough for two to be in flight together.
        let sim = traced_until(reference(), seed, Some(250));
        let Some(State::Service(s)) = sim.world_ref().state(SERVICE) else {
            panic!("n0 is up");
        };
        let unsent = s.db.outbox.iter().filter(|r| !r.sent).count();
        assert!(unsent >= 3, "seed {seed}: {unsent} unsent rows");
        let sim = traced(reference(), seed);
        let a = properties::audit(&sim.world_ref());
        assert!(a.committed.iter().all(|e| e.customer == 1));
        assert!(a.committed.len() >= 15, "seed {seed}");
        assert!(sim.violation().is_none(), "seed {seed}");
    }
    for seed in seeds("outbox-commit-gap") {
        // With the reference, the head n1 delivers on its restart is shipped, in one
        // transaction, before n2's crash.
        let n = notes(&traced(reference(), seed));
        assert!(
            n.iter()
                .any(|(t, _, x)| (GAP_BROKER_RESTART..GAP_CRASH_AT).contains(t)
                    && matches!(x, Note::Shipped { .. })),
            "seed {seed}"
        );
        // Record, then ship: a crash of n2 falls after a key is recorded and before the
        // shipment it precedes (at GAP_CRASH_AT, unless the crash at 100 already did), and
        // the order is lost.
        let sim = traced(
            script_hooks(&c_wrong("Records the event id, then ships")),
            seed,
        );
        let gaps = crashes_between(&sim, |x| match x {
            Note::Recorded { order, .. } => Some(*order),
            _ => None,
        });
        assert!(!gaps.is_empty(), "seed {seed}");
        for &(order, _) in &gaps {
            assert!(
                !notes(&sim)
                    .iter()
                    .any(|(_, _, x)| matches!(x, Note::Shipped { order: o, .. } if *o == order)),
                "seed {seed}: o{order} shipped after all"
            );
        }
        assert_eq!(
            sim.violation().map(|v| v.property.as_str()),
            Some("no-lost-events"),
            "seed {seed}"
        );
        // Ship, then record: a crash of n2 falls after a shipment and before the key it
        // precedes, and the broker's redelivery reaches n2 and ships the order again.
        let sim = traced(script_hooks(&c_wrong("Ships, then records")), seed);
        let gaps = crashes_between(&sim, |x| match x {
            Note::Shipped { order, .. } => Some(*order),
            _ => None,
        });
        assert!(!gaps.is_empty(), "seed {seed}");
        let n = notes(&sim);
        assert!(
            gaps.iter()
                .any(|&(order, crash)| n.iter().any(|(t, _, x)| *t > crash
                    && matches!(x, Note::Shipped { order: o, .. } if *o == order))),
            "seed {seed}: {gaps:?}"
        );
        assert_eq!(
            sim.violation().map(|v| v.property.as_str()),
            Some("no-duplicate-effects"),
            "seed {seed}"
        );
    }
    // The swarm runs crash every faulty node now and then.
    let crashed: Vec<NodeId> = (0..100)
        .flat_map(|s| challenge_run(s).overrides)
        .filter_map(|o| match o.action {
            Action::Crash(n) => Some(n),
            _ => None,
        })
        .collect();
    for node in [SERVICE, BROKER, SHIPPING] {
        assert!(crashed.contains(&node), "n{node} never crashes");
    }
}

/// The crashes of n2 that fell between the first and the second transaction of one answer:
/// for each, the order and the time of the crash, where `first` names the order of the first
/// transaction's note and the second is the other of `Recorded` and `Shipped` for the order.
fn crashes_between(sim: &Sim<Outbox>, first: impl Fn(&Note) -> Option<u32>) -> Vec<(u32, u64)> {
    let mut open: Vec<u32> = Vec::new();
    let mut found = Vec::new();
    for e in sim.trace() {
        match &e.event {
            TraceKind::Note {
                node: SHIPPING,
                note,
            } => {
                let order = match note {
                    Note::Recorded { order, .. } | Note::Shipped { order, .. } => *order,
                    _ => continue,
                };
                if first(note).is_some() {
                    open.push(order);
                } else {
                    open.retain(|&o| o != order);
                }
            }
            TraceKind::Action(Action::Crash(SHIPPING)) => {
                found.extend(open.drain(..).map(|o| (o, e.t)));
            }
            _ => {}
        }
    }
    found
}

fn script_error(report: &CheckReport) -> &crate::script::ScriptError {
    match &report.verdict {
        Verdict::ScriptError { error, .. } => error,
        other => panic!("expected a script error, got {other:?}"),
    }
}

#[test]
fn results_of_the_wrong_shape_are_located_errors_that_say_what_is_wrong() {
    let c = challenge("outbox-exactly-once").unwrap();
    let cases = [
        (
            "            return [#{ publish: row.order }];",
            "            return [row.order];",
            "#{ publish: order }",
        ),
        (
            "            return [#{ publish: row.order }];",
            "            return [#{ publish: row.order, mark: row.order }];",
            "#{ publish: order }",
        ),
        (
            "    [#{ mark: order }]",
            "    [#{ mark: `o${order}` }]",
            "order an integer",
        ),
        ("    [\"process\"]", "    [\"take\"]", "\"process\""),
        (
            "        [\"ack\"]\n    } else {",
            "        [\"process\"]\n    } else {",
            "\"process\" only in on_delivery",
        ),
        (
            "[#{ ship: true, record: key }, \"ack\"]",
            "[#{ ship: true, record: d.order }, \"ack\"]",
            "a string of 1 to 64 bytes",
        ),
        (
            "[#{ ship: true, record: key }, \"ack\"]",
            "[#{ ship: \"yes\", record: key }, \"ack\"]",
            "#{ ship: true, record: key }",
        ),
        (
            "[#{ ship: true, record: key }, \"ack\"]",
            "[#{ shipped: true, record: key }, \"ack\"]",
            "#{ ship: true, record: key }",
        ),
    ];
    for (from, to, says) in cases {
        assert!(c.reference.contains(from), "{from}");
        let code = c.reference.replacen(from, to, 1);
        let report = run(&code, 0, 40);
        let error = script_error(&report);
        assert_eq!(error.kind, ScriptErrorKind::WrongResult, "{to}");
        assert!(error.message.contains(says), "{to}: {}", error.message);
        let fn_line = |name: &str| {
            code.lines()
                .position(|l| l.starts_with(&format!("fn {name}(")))
                .map(|i| i + 1)
        };
        let name = ["relay_poll", "relay_acked", "on_delivery", "on_processed"]
            .into_iter()
            .find(|n| error.message.starts_with(&format!("`{n}`")))
            .unwrap_or_else(|| panic!("{to}: the message names no function: {}", error.message));
        assert_eq!(error.line, fn_line(name), "{to}: {}", error.message);
    }
    // Too many steps in one answer.
    let code = c.reference.replacen(
        "    [#{ mark: order }]",
        "    let s = [];\n    for i in 0..65 { s.push(#{ mark: order }); }\n    s",
        1,
    );
    let report = run(&code, 0, 40);
    assert_eq!(script_error(&report).kind, ScriptErrorKind::WrongResult);
}

/// Solutions written from the statement alone, correct ones in several styles and plausible
/// mistakes, each judged as its file expects.
#[test]
fn learner_solutions_are_judged_as_their_files_expect() {
    let c = challenge("outbox-exactly-once").unwrap();
    let (mut passing, mut failing) = (0, 0);
    for (path, code, expect) in crate::challenge::solutions::read("testdata/outbox-solutions") {
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
        passing >= 6 && failing >= 10,
        "{passing} pass, {failing} fail"
    );
}

/// Every learner solution keeps its verdict in every window of 200 seeds: a passing one
/// passes each, a wrong one fails each with the property its file names.
#[test]
fn learner_solutions_keep_their_verdicts_in_every_window_of_200_seeds() {
    for (path, code, expect) in crate::challenge::solutions::read("testdata/outbox-solutions") {
        for offset in [0, 10_001] {
            for (start, first) in first_failures(script_hooks(&code), offset)
                .iter()
                .enumerate()
            {
                assert!(
                    match first.as_deref() {
                        None => expect == "pass",
                        Some(f) => crate::challenge::solutions::names(&expect, f),
                    },
                    "{} from seed {}: {first:?}",
                    path.display(),
                    offset + start as u64
                );
            }
        }
    }
}
