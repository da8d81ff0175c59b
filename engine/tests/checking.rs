//! Properties, swarm and shrinking: a known-broken protocol is caught and shrunk, the fixed one
//! passes, and the failure detector's properties say what the lesson says.

use engine::protocols::heartbeat::{self, suspicion_counts};
use engine::scenarios::{check_spec, shrink, swarm};
use engine::scenarios::{default_spec, find};
use engine::sim::spec::{Action, When};
use engine::sim::world::{Sim, SimOptions};

#[test]
fn retry_without_dedup_is_caught_and_shrunk() {
    let report = swarm("retry-lossy", 0, 200).unwrap();
    let failure = report.failure.expect("retry-lossy must violate a property");
    assert_eq!(failure.property, "no-duplicate-effects");
    // The failing spec reproduces the failure.
    let v = check_spec(&failure.spec).unwrap().unwrap();
    assert_eq!(
        (v.property.as_str(), v.step),
        ("no-duplicate-effects", failure.step)
    );

    let shrunk = shrink(&failure.spec, &failure.property).unwrap();
    assert!(shrunk.spec.overrides.len() < failure.spec.overrides.len());
    assert!(shrunk.violation.step <= failure.step);
    let again = check_spec(&shrunk.spec).unwrap().unwrap();
    assert_eq!(
        again, shrunk.violation,
        "the shrunk run still fails the same way"
    );
    // Shrinking is deterministic.
    assert_eq!(shrink(&failure.spec, &failure.property).unwrap(), shrunk);
}

#[test]
fn retry_with_dedup_holds_under_faults() {
    let report = swarm("retry-dedup", 0, 300).unwrap();
    assert_eq!(report.failure, None);
    assert_eq!(report.seeds_run, 300);
}

#[test]
fn default_runs_show_the_lesson() {
    let lossy = check_spec(&default_spec("retry-lossy", 1).unwrap()).unwrap();
    assert_eq!(
        lossy.map(|v| v.property),
        Some("no-duplicate-effects".to_string())
    );
    assert_eq!(
        check_spec(&default_spec("retry-dedup", 1).unwrap()).unwrap(),
        None
    );
}

#[test]
fn shrinking_a_passing_run_is_an_error() {
    let spec = default_spec("retry-dedup", 1).unwrap();
    assert!(shrink(&spec, "no-duplicate-effects").is_err());
}

#[test]
fn liveness_fails_when_the_network_never_heals() {
    // Cut the server off, send a request, and "heal" only in name: the request is never
    // answered.
    let mut spec = default_spec("retry-dedup", 2).unwrap();
    let at = |t, action| engine::sim::spec::Override {
        at: When::Time(t),
        action,
    };
    spec.overrides.extend([
        at(650, Action::Partition(vec![vec![0], vec![1, 2]])),
        at(660, Action::Request(1, "inc".into())),
        at(700, Action::HealAll),
        at(700, Action::Partition(vec![vec![0], vec![1, 2]])),
    ]);
    let v = check_spec(&spec).unwrap().expect("liveness must fail");
    assert_eq!(v.property, "all-answered");
}

/// Runs `seeds` swarm runs of a heartbeat scenario without its strong-accuracy property
/// (swarms pause peers and partition the monitor) and asserts that none violates the rest.
fn complete_and_eventually_accurate(
    scenario: fn() -> engine::sim::world::Scenario<heartbeat::Heartbeat>,
    seeds: u64,
) {
    let s = find(scenario().id).unwrap();
    for seed in 0..seeds {
        let spec = s.swarm_spec(seed);
        let mut checked = scenario();
        checked.properties.retain(|p| p.name != "accuracy");
        let horizon = checked.safety_ticks;
        let mut sim = Sim::new(checked, spec, SimOptions::CHECK).unwrap();
        sim.run_until_time(horizon + s.liveness_ticks(), true)
            .unwrap();
        sim.finish_liveness();
        assert_eq!(sim.violation(), None, "{} seed {seed}", s.id());
    }
}

/// Completeness (Chandra–Toueg): every crashed peer is suspected within the bound, in every
/// swarm run; and after faults stop, live peers are trusted again.
#[test]
fn heartbeat_is_complete_and_eventually_accurate() {
    complete_and_eventually_accurate(heartbeat::spikes, 150);
}

/// Accuracy: latency spikes longer than the timeout make the monitor suspect live peers.
#[test]
fn heartbeat_spikes_cause_false_suspicions() {
    let report = swarm("heartbeat-spikes", 0, 50).unwrap();
    assert_eq!(
        report.failure.map(|f| f.property),
        Some("accuracy".to_string())
    );

    let spec = default_spec("heartbeat-spikes", 1).unwrap();
    let mut sim = Sim::new(heartbeat::spikes(), spec, SimOptions::INTERACTIVE).unwrap();
    sim.run_until_time(5_000, false).unwrap();
    let (all, wrong) = suspicion_counts(sim.trace(), 5);
    assert!(all > wrong, "the crash of n3 is a true suspicion");
    assert!(
        wrong > 0,
        "spikes cause false suspicions: {all} suspicions, {wrong} false"
    );
}

/// Across a slow link the detector stays complete and (after faults stop) accurate, in every
/// swarm run.
#[test]
fn heartbeat_wan_is_complete_and_eventually_accurate() {
    complete_and_eventually_accurate(heartbeat::wan, 60);
}

/// The lesson of `heartbeat-wan`: about 35 heartbeats per peer are in flight, the 60-tick
/// timeout raises no false suspicion, and the crash of n4 at t=600 is noticed only after the
/// heartbeats already on their way (320–380 ticks) have arrived: detection time is latency
/// plus timeout, not timeout alone.
#[test]
fn heartbeat_wan_detection_takes_latency_plus_timeout() {
    for seed in 0..20 {
        let spec = default_spec("heartbeat-wan", seed).unwrap();
        let mut sim = Sim::new(heartbeat::wan(), spec, SimOptions::INTERACTIVE).unwrap();
        sim.run_until_time(500, false).unwrap();
        let in_flight = sim.messages().len();
        assert!(
            (190..=230).contains(&in_flight),
            "seed {seed}: {in_flight} in flight"
        );
        sim.run_until_time(1_190, false).unwrap();
        assert_eq!(sim.violation(), None, "seed {seed}");
        let (all, wrong) = suspicion_counts(sim.trace(), 7);
        assert_eq!((all, wrong), (1, 0), "seed {seed}: only n4 is suspected");
        let detected = sim
            .trace()
            .iter()
            .find(|ev| {
                matches!(
                    ev.event,
                    engine::sim::trace::Event::Note {
                        note: heartbeat::Note::Suspect(4),
                        ..
                    }
                )
            })
            .map(|ev| ev.t - 600)
            .unwrap();
        assert!(
            (320 + 60..=380 + 60 + 5 + 10).contains(&detected),
            "seed {seed}: detected {detected} ticks after the crash"
        );
    }
}
