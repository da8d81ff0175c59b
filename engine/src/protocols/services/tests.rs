//! The service graph: the planted causes really cause their symptoms, the reference
//! middleware keeps every propagation property, each wrong variant breaks its own, and the
//! panels carry what a backend would compute.

use super::scenarios::*;
use super::view::{record, traces_panel};
use super::*;
use crate::sim::panel::Panel;
use crate::sim::protocol::Protocol;
use crate::sim::spec::{Action, Override, RunSpec};
use crate::sim::world::{Scenario, Sim, SimOptions};

/// Where the tests stop a chapter run: every checkout answered or given up on.
const END_TICKS: u64 = 6_000;

fn spec_of(s: &Scenario<Services>, seed: u64) -> RunSpec {
    RunSpec {
        scenario: s.id.to_string(),
        seed,
        overrides: s.script.clone(),
    }
}

/// The symptoms of `s` at `seed`, with its planted cause and with that one override removed.
fn with_and_without(s: Scenario<Services>, seed: u64) -> (Symptoms, Symptoms) {
    let cause = planted(s.id).expect("a puzzle scenario");
    let spec = spec_of(&s, seed);
    assert!(spec.overrides.contains(&cause));
    let mut reverted = spec.clone();
    reverted.overrides.retain(|o| *o != cause);
    assert_eq!(reverted.overrides.len() + 1, spec.overrides.len());
    (
        symptoms(s.clone(), spec, END_TICKS).unwrap(),
        symptoms(s, reverted, END_TICKS).unwrap(),
    )
}

#[test]
fn a_timeout_below_the_databases_p99_retries_healthy_queries_and_multiplies_their_load() {
    for seed in 1..=6 {
        let (with, without) = with_and_without(retry_storm(), seed);
        assert!(
            with.timeouts >= 5 && without.timeouts == 0,
            "seed {seed}: {with:?} vs {without:?}"
        );
        assert!(
            with.queries_per_100 > without.queries_per_100,
            "seed {seed}: {with:?} vs {without:?}"
        );
    }
}

#[test]
fn a_slow_replica_disk_inflates_its_own_p99_and_the_checkouts_p99() {
    for seed in 1..=6 {
        let s = slow_disk();
        let (with, without) = with_and_without(s.clone(), seed);
        assert!(
            with.gateway_p99_ticks > without.gateway_p99_ticks,
            "seed {seed}: {with:?} vs {without:?}"
        );
        // The replica's own p99, read off RED, is where the slowness lives.
        let p99 = |overrides: Vec<Override>| {
            let spec = RunSpec {
                overrides,
                ..spec_of(&s, seed)
            };
            let mut sim = Sim::new(s.clone(), spec, SimOptions::FAST).unwrap();
            sim.run_until_time(END_TICKS, false).unwrap();
            let r = record(sim.world_ref().observed());
            (
                metrics::red(&r.spans, DB_REPLICA).total.p99_ticks,
                metrics::red(&r.spans, DB_PRIMARY).total.p99_ticks,
            )
        };
        let (slow_replica, primary) = p99(s.script.clone());
        let (calm_replica, _) = p99(Vec::new());
        assert!(
            slow_replica >= 2 * calm_replica && slow_replica >= 2 * primary,
            "seed {seed}: db-2 p99 {slow_replica} vs {calm_replica} calm, db-1 {primary}"
        );
    }
}

#[test]
fn a_clock_behind_puts_effects_before_causes_only_at_that_node() {
    for seed in 1..=4 {
        let s = skewed_clock();
        let (with, without) = with_and_without(s.clone(), seed);
        assert!(
            with.inversions > 0 && without.inversions == 0,
            "seed {seed}"
        );
        let mut sim = Sim::new(s.clone(), spec_of(&s, seed), SimOptions::FAST).unwrap();
        sim.run_until_time(1_000, false).unwrap();
        let r = record(sim.world_ref().observed());
        let pairs = logs::inversions(&r.lines, usize::MAX);
        assert!(!pairs.is_empty());
        for (cause, effect) in pairs {
            // Inventory's clock is behind: its lines are the effects stamped too early.
            assert_eq!(r.lines[effect].node, INVENTORY, "{:?}", r.lines[effect]);
            assert!(r.lines[cause].t <= r.lines[effect].t);
        }
        // The causal order never inverts a pair.
        let order = logs::causal_order(&r.lines);
        let pos: Vec<usize> = {
            let mut p = vec![0; order.len()];
            for (k, &i) in order.iter().enumerate() {
                p[i] = k;
            }
            p
        };
        for a in 0..r.lines.len() {
            for b in 0..r.lines.len() {
                if r.lines[a].vc.before(&r.lines[b].vc) {
                    assert!(pos[a] < pos[b]);
                }
            }
        }
    }
}

#[test]
fn every_puzzle_names_a_registered_scenario_with_a_planted_cause() {
    for p in PUZZLES {
        assert!(crate::scenarios::find(p.scenario).is_ok(), "{}", p.scenario);
        assert!(planted(p.scenario).is_some());
        assert!(p.answer < p.choices.len());
    }
    assert_eq!(PUZZLES[1].choices[PUZZLES[1].answer].text, "db-2");
    for p in PUZZLES {
        assert_eq!(super::scenarios::puzzle(p.scenario), Some(&p));
        for (i, c) in p.choices.iter().enumerate() {
            assert_eq!(
                c.feedback.starts_with("Right."),
                i == p.answer,
                "{}",
                c.text
            );
        }
    }
    assert_eq!(super::scenarios::puzzle("obs-checkout"), None);
}

/// The checkout graph with an instrumented client and `hooks`, `requests` checkouts.
fn instrumented(v: PropagationVariant) -> Scenario<Services> {
    let mut s = checkout();
    s.protocol = Services::new(v.hooks(), 30, true);
    s
}

fn first_violation(s: Scenario<Services>, overrides: Vec<Override>, seed: u64) -> Option<String> {
    let spec = RunSpec {
        scenario: s.id.to_string(),
        seed,
        overrides,
    };
    let mut sim = Sim::new(s, spec, SimOptions::CHECK).unwrap();
    sim.run_until_time(END_TICKS, true).unwrap();
    sim.violation().map(|v| v.property.clone())
}

#[test]
fn the_reference_middleware_keeps_every_propagation_property() {
    let retries = vec![Override::at(0, Action::Set("timeout".into(), "100".into()))];
    for seed in 1..=4 {
        let s = instrumented(PropagationVariant::Reference);
        assert_eq!(first_violation(s.clone(), Vec::new(), seed), None);
        assert_eq!(first_violation(s, retries.clone(), seed), None);
    }
}

#[test]
fn each_wrong_middleware_breaks_its_own_property() {
    let expected = [
        (
            PropagationVariant::NewTracePerService,
            "one-trace-per-request",
        ),
        (PropagationVariant::ReusesParentSpanId, "unique-span-ids"),
        (
            PropagationVariant::LosesContextOnRetry,
            "one-trace-per-request",
        ),
        (PropagationVariant::ConsumerAsChild, "queue-hop-is-link"),
        (PropagationVariant::FlagsNotInherited, "sampling-inherited"),
        (PropagationVariant::UppercaseHex, "headers-well-formed"),
    ];
    // A lowered timeout makes retries certain, so a retry's context is judged.
    let retries = vec![Override::at(0, Action::Set("timeout".into(), "100".into()))];
    for (v, property) in expected {
        let s = instrumented(v);
        assert_eq!(
            first_violation(s, retries.clone(), 1).as_deref(),
            Some(property),
            "{v:?}"
        );
    }
}

#[test]
fn a_run_is_a_pure_function_of_its_seed() {
    let s = retry_storm();
    let hash = |seed| {
        let mut sim = Sim::new(s.clone(), spec_of(&s, seed), SimOptions::FAST).unwrap();
        sim.run_until_time(2_000, false).unwrap();
        sim.trace_hash()
    };
    assert_eq!(hash(7), hash(7));
    assert_ne!(hash(7), hash(8));
}

#[test]
fn the_trace_panel_shows_whole_waterfalls_with_critical_paths_and_sampling() {
    let s = checkout();
    let mut sim = Sim::new(s.clone(), spec_of(&s, 2), SimOptions::FAST).unwrap();
    sim.run_until_time(END_TICKS, false).unwrap();
    let w = sim.world_ref();
    let panels = s.protocol.panels(&w);
    let Panel::Traces(t) = &panels[0] else {
        panic!("the traces panel first")
    };
    assert_eq!(t.traces.len(), crate::limits::TRACES_PANEL_MAX);
    assert_eq!(t.sampling.traces, CHAPTER_REQUESTS);
    assert!(
        t.sampling.head_kept < t.sampling.tail_kept && t.sampling.tail_kept < t.sampling.traces
    );
    assert!(t.sampling.slowest_tail_kept);
    for trace in &t.traces {
        assert_eq!(trace.roots, 1, "{}", trace.trace_id);
        let root = &trace.spans[0];
        assert!(root.critical && root.parent_id.is_empty() && root.label == "POST /checkout");
        // Orders is on the path, and so is the order's write unless the checkout failed first.
        let critical: Vec<usize> = trace
            .spans
            .iter()
            .filter(|b| b.critical)
            .map(|b| b.lane)
            .collect();
        assert!(critical.contains(&usize::from(ORDERS)), "{critical:?}");
        assert!(trace.error || critical.contains(&usize::from(DB_PRIMARY)));
        // A successful checkout is shipped: its consumer follows from it and is never critical.
        if !trace.error {
            let consumer: Vec<_> = trace.spans.iter().filter(|b| b.linked).collect();
            assert_eq!(consumer.len(), 1, "{}", trace.trace_id);
            assert!(!consumer[0].critical && consumer[0].kind == "consumer");
        }
    }
    // Tail sampling keeps every trace with a retry or an error; head sampling, 1 in 4 blind.
    let r = record(w.observed());
    let all = traces_panel(&r.spans, w.time(), "tail");
    assert!(all
        .traces
        .iter()
        .all(|t| !(t.error || t.retried) || t.tail_kept));
    let Panel::Logs(logs) = &panels[1] else {
        panic!("the logs panel second")
    };
    assert_eq!(logs.lines.len(), crate::limits::LOG_LINES_PANEL_MAX);
    let mut sorted = logs.causal_order.clone();
    sorted.sort_unstable();
    assert_eq!(sorted, (0..logs.lines.len() as u32).collect::<Vec<_>>());
    assert!(logs.inversions.is_empty());
    let Panel::Metrics(m) = &panels[2] else {
        panic!("the metrics panel third")
    };
    let gateway = &m.rows[0];
    assert_eq!(
        (gateway.service.as_str(), gateway.requests),
        ("gateway", CHAPTER_REQUESTS)
    );
    assert!(gateway.p50_ticks <= gateway.p99_ticks);
}
