//! The scenario registry: every runnable simulation by id, and how to build one.
//!
//! Invariant: a scenario id names exactly one scenario, and every scenario builds from any
//! [`RunSpec`] that [`validate`] accepts. A new protocol slots in by adding its module's
//! `scenarios()` to [`registry`].

use crate::error::SimError;
use crate::limits::SWARM_SEEDS_MAX;
use crate::protocols::paxos::PaxosVariant;
use crate::protocols::raft::RaftVariant;
use crate::protocols::twopc::TwoPcVariant;
use crate::protocols::{
    causality, clocks, dynamo, failover, heartbeat, kv, multileader, outbox, paxos, quorum, raft,
    register, retry, saga, services, threepc, twopc,
};
use crate::sim::check::{check_dyn, shrink_with, swarm_with, Shrunk, SwarmReport};
use crate::sim::panel::Sweep;
use crate::sim::session::{DynSim, Session};
use crate::sim::spec::{validate_override, Action, RunSpec, When};
use crate::sim::world::SimOptions;
use crate::sim::world::Violation;

pub use crate::sim::scenario::{
    AnyScenario, OptionInfo, ScenarioInfo, SWARM_FAULTS_MAX, SWARM_REQUESTS_MAX,
};

/// One runnable scenario: its id, how to build it, and the parameter sweep it declares (drawn
/// as a chart beside the simulation), if any.
pub struct Entry {
    /// The id it is found by (a test checks it is the built scenario's).
    pub id: &'static str,
    /// Builds it.
    pub build: fn() -> Box<dyn AnyScenario>,
    /// Its parameter sweep for a seed.
    pub sweep: Option<fn(u64) -> Sweep>,
}

/// A scenario without a sweep.
macro_rules! entry {
    ($id:literal, $build:expr) => {
        Entry {
            id: $id,
            build: || Box::new($build),
            sweep: None,
        }
    };
}

/// Every scenario, in listing order: adding one is one line.
pub const TABLE: &[Entry] = &[
    entry!("clocks-drift", clocks::drift()),
    entry!("clocks-sync", clocks::sync()),
    entry!("causality", causality::causality()),
    entry!("retry-lossy", retry::lossy()),
    entry!("retry-dedup", retry::dedup()),
    Entry {
        id: "heartbeat-spikes",
        build: || Box::new(heartbeat::spikes()),
        sweep: Some(heartbeat::sweep_chart),
    },
    entry!("heartbeat-wan", heartbeat::wan()),
    Entry {
        id: "register-replication",
        build: || Box::new(register::replication()),
        sweep: Some(register::sweep_chart),
    },
    entry!("register-cap", register::cap()),
    entry!("replication-failover", failover::failover()),
    entry!("replication-split-brain", failover::split_brain()),
    entry!("multileader-conflicts", multileader::conflicts()),
    entry!("leaderless-quorum", dynamo::leaderless_quorum()),
    entry!("leaderless-partial-quorum", dynamo::partial_quorum()),
    entry!(
        "quorum-read-repair",
        quorum::scenarios::reference("quorum-read-repair")
    ),
    entry!(
        "quorum-stale-replica",
        quorum::scenarios::reference("quorum-stale-replica")
    ),
    entry!(
        "quorum-sloppy",
        quorum::scenarios::reference("quorum-sloppy")
    ),
    entry!(
        "quorum-concurrent",
        quorum::scenarios::reference("quorum-concurrent")
    ),
    entry!("raft-election", raft::election(RaftVariant::Reference)),
    entry!(
        "raft-partitioned-leader",
        raft::partitioned_leader(RaftVariant::Reference)
    ),
    entry!("raft-log-repair", raft::log_repair(RaftVariant::Reference)),
    entry!("raft-figure8", raft::figure8(RaftVariant::Reference)),
    entry!(
        "raft-stale-candidate",
        raft::stale_candidate(RaftVariant::Reference)
    ),
    entry!(
        "raft-shorter-log",
        raft::shorter_log(RaftVariant::Reference)
    ),
    entry!("raft-stale-tail", raft::stale_tail(RaftVariant::Reference)),
    entry!(
        "raft-minority-down",
        raft::minority_down(RaftVariant::Reference)
    ),
    entry!("paxos-basic", paxos::basic(PaxosVariant::Reference)),
    entry!("paxos-dueling", paxos::dueling(PaxosVariant::Reference)),
    entry!(
        "paxos-split-brain-safe",
        paxos::split_brain(PaxosVariant::Reference)
    ),
    entry!(
        "paxos-crash-recovery",
        paxos::crash_recovery(PaxosVariant::Reference)
    ),
    entry!("2pc-commit", twopc::commit(TwoPcVariant::Reference)),
    entry!(
        "2pc-coordinator-crash",
        twopc::coordinator_crash(TwoPcVariant::Reference)
    ),
    entry!(
        "2pc-participant-crash",
        twopc::participant_crash(TwoPcVariant::Reference)
    ),
    entry!("3pc-coordinator-crash", threepc::coordinator_crash()),
    entry!("3pc-partition", threepc::partition()),
    entry!("outbox-dual-write", outbox::dual_write()),
    entry!("outbox-relay", outbox::relay()),
    entry!("saga-happy", saga::happy()),
    entry!("saga-compensate", saga::compensate()),
    entry!("saga-timeout", saga::timeout()),
    entry!("obs-checkout", services::scenarios::checkout()),
    entry!("obs-retry-storm", services::scenarios::retry_storm()),
    entry!("obs-slow-disk", services::scenarios::slow_disk()),
    entry!("obs-skewed-clock", services::scenarios::skewed_clock()),
    entry!(
        "kv-store",
        kv::scenarios::calm(kv::scenarios::Setup::reference())
    ),
    entry!(
        "kv-nemesis",
        kv::scenarios::nemesis(kv::scenarios::Setup::reference())
    ),
    entry!(
        "kv-deposed-leader",
        kv::scenarios::deposed_leader(kv::scenarios::Setup::reference())
    ),
    entry!(
        "kv-lease-skew",
        kv::scenarios::lease_skew(kv::scenarios::Setup::reference())
    ),
];

/// A part of the simulation view a scenario can put first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Part {
    /// The cluster drawing with the inspector.
    Cluster,
    /// The protocol's panels (a log grid, a client history).
    Panels,
    /// The scenario's parameter sweep chart, when it has one.
    Chart,
    /// Messages sent per time bucket.
    Traffic,
    /// The space-time diagram.
    SpaceTime,
    /// The network's latency, loss and duplication.
    Network,
    /// The event log.
    Log,
}

impl Part {
    /// Every part, in the order they are folded behind "More".
    pub const ALL: [Part; 7] = [
        Part::Cluster,
        Part::Panels,
        Part::Chart,
        Part::SpaceTime,
        Part::Log,
        Part::Traffic,
        Part::Network,
    ];

    /// Its name in the "More" summary.
    pub fn label(self) -> &'static str {
        match self {
            Part::Cluster => "cluster",
            Part::Panels => "panels",
            Part::Chart => "chart",
            Part::Traffic => "traffic",
            Part::SpaceTime => "space-time diagram",
            Part::Network => "network",
            Part::Log => "event log",
        }
    }
}

/// The parts a scenario is about, in the order its view shows them; the others are folded
/// behind "More". Causality is read off the space-time diagram, a failure detector off its
/// chart, Raft and Paxos off their logs, a replicated register off its client history.
pub fn layout(id: &str) -> &'static [Part] {
    use Part::*;
    let family = id.split('-').next().unwrap_or(id);
    match family {
        "causality" => &[SpaceTime, Cluster, Panels, Log],
        "clocks" => &[Cluster, Panels, SpaceTime, Log],
        "retry" => &[Cluster, Log, SpaceTime, Traffic],
        "heartbeat" => &[Cluster, Chart, Panels, Log],
        "raft" | "paxos" | "kv" | "3pc" => &[Cluster, Panels, Log],
        "register" => &[Panels, Cluster, Chart, Log],
        "obs" => &[Panels, Cluster, Log, SpaceTime],
        _ => &[Cluster, Panels, Chart, Log],
    }
}

/// Every scenario, built, in listing order.
pub fn registry() -> Vec<Box<dyn AnyScenario>> {
    TABLE.iter().map(|e| (e.build)()).collect()
}

/// Runs `spec` of a registered scenario with property checks up to its horizon; the first
/// violation, if any.
pub fn check_spec(spec: &RunSpec) -> Result<Option<Violation>, SimError> {
    check_dyn(find(&spec.scenario)?.as_ref(), spec)
}

/// Swarm-tests the registered `scenario` over seeds `first..first + count`: each seed gets its
/// own fault plan and fault probabilities; stops at the first violation.
pub fn swarm(scenario: &str, first: u64, count: u64) -> Result<SwarmReport, SimError> {
    if count > SWARM_SEEDS_MAX {
        return Err(SimError::limit("SWARM_SEEDS_MAX", SWARM_SEEDS_MAX));
    }
    let s = find(scenario)?;
    swarm_with(
        scenario,
        first,
        count,
        |seed| s.swarm_spec(seed),
        |spec| check_dyn(s.as_ref(), spec),
    )
}

/// Shrinks a failing `spec` of a registered scenario to a smaller one failing the same
/// `property` (see [`shrink_with`]).
pub fn shrink(spec: &RunSpec, property: &str) -> Result<Shrunk, SimError> {
    shrink_with(spec, property, check_spec)
}

/// Decodes a run token ([`RunSpec::parse_url_token`]) and checks that its scenario exists and
/// every override is well formed for it.
pub fn spec_from_token(token: &str) -> Result<RunSpec, SimError> {
    let spec = RunSpec::parse_url_token(token)?;
    validate(&spec)?;
    Ok(spec)
}

/// The scenario id a mistyped `id` most likely meant (see [`crate::catalog::closest`]).
pub fn closest(id: &str) -> Option<&'static str> {
    crate::catalog::closest(id, TABLE.iter().map(|e| e.id))
}

/// A shared run whose token names no scenario, corrected to the scenario it most likely
/// meant: the same seed and overrides under the [`closest`] id, if they are valid there.
pub fn corrected_spec(token: &str) -> Option<RunSpec> {
    let mut spec = RunSpec::parse_url_token(token).ok()?;
    if find(&spec.scenario).is_ok() {
        return None;
    }
    spec.scenario = closest(&spec.scenario)?.to_string();
    validate(&spec).ok()?;
    Some(spec)
}

/// An interactive session on `spec` of a registered scenario (trace, checkpoints and
/// properties on).
pub fn session(spec: &RunSpec) -> Result<Session, SimError> {
    Ok(Session::from_sim(build(spec, SimOptions::INTERACTIVE)?))
}

/// An interactive session on the default run of `scenario` with `seed`.
pub fn open(scenario: &str, seed: u64) -> Result<Session, SimError> {
    session(&default_spec(scenario, seed)?)
}

/// The listing of every scenario.
pub fn scenarios() -> Vec<ScenarioInfo> {
    registry().iter().map(|s| s.info()).collect()
}

/// Every scenario id.
pub fn scenario_ids() -> Vec<&'static str> {
    TABLE.iter().map(|e| e.id).collect()
}

/// The scenario with this id.
pub fn find(id: &str) -> Result<Box<dyn AnyScenario>, SimError> {
    TABLE
        .iter()
        .find(|e| e.id == id)
        .map(|e| (e.build)())
        .ok_or_else(|| SimError::UnknownScenario {
            id: id.to_string(),
            known: scenario_ids().iter().map(ToString::to_string).collect(),
        })
}

/// Check that the spec's scenario exists and every override is well formed for it.
pub fn validate(spec: &RunSpec) -> Result<(), SimError> {
    let s = find(&spec.scenario)?;
    for o in &spec.overrides {
        validate_override(o, s.nodes())?;
        if let Action::Request(_, text) = &o.action {
            s.check_request(text)
                .map_err(|why| SimError::BadOverride(format!("request '{text}': {why}")))?;
        }
        if let Action::Set(name, choice) = &o.action {
            s.check_option(name, choice)
                .map_err(SimError::BadOverride)?;
        }
    }
    Ok(())
}

/// Build a simulation of `spec`.
pub fn build(spec: &RunSpec, options: SimOptions) -> Result<Box<dyn DynSim>, SimError> {
    find(&spec.scenario)?.build(spec, options)
}

/// The default run of a scenario with `seed`.
pub fn default_spec(scenario: &str, seed: u64) -> Result<RunSpec, SimError> {
    Ok(find(scenario)?.default_spec(seed))
}

/// Events each simulator benchmark times, natively and in the browser.
pub const BENCH_EVENTS: u64 = 2_000_000;
/// Events run (and discarded) before timing, so that the browser has compiled the hot code
/// with its optimizing tier (and natively, so that caches are warm) before the clock starts.
pub const BENCH_WARMUP_EVENTS: u64 = 500_000;

/// The benchmark workload, the same natively (`dslab bench`) and in the browser: a swarm run
/// of `scenario` stretched so that every measured event happens under faults (crashes,
/// partitions, loss, duplication, clock drift) and never healed. Pauses are left out: a node
/// paused for the whole run would collect messages until the in-flight limit stops it.
pub fn bench_spec(scenario: &str) -> Result<RunSpec, SimError> {
    /// How much the swarm plan's fault times are stretched.
    const STRETCH: u64 = 5_000;
    let mut spec = find(scenario)?.swarm_spec(3);
    spec.overrides.retain(|o| {
        !matches!(
            o.action,
            Action::HealAll | Action::Pause(_) | Action::Resume(_)
        )
    });
    for o in &mut spec.overrides {
        if let When::Time(t) = &mut o.at {
            *t *= STRETCH;
        }
    }
    Ok(spec)
}

/// The trace hash of the default run of `scenario` with `seed` after `steps` steps (fewer if
/// the run ends). The same value natively and in WebAssembly.
pub fn trace_hash_of(scenario: &str, seed: u64, steps: u64) -> Result<u64, SimError> {
    let spec = default_spec(scenario, seed)?;
    let mut sim = build(&spec, SimOptions::FAST)?;
    sim.run_steps(steps)?;
    Ok(sim.trace_hash())
}

/// The parameter sweep scenario `id` declares for its run with `seed`, if any (drawn as a chart
/// beside the simulation).
pub fn sweep(id: &str, seed: u64) -> Option<Sweep> {
    TABLE.iter().find(|e| e.id == id)?.sweep.map(|f| f(seed))
}

#[cfg(test)]
mod layout_tests {
    use super::{layout, Part, TABLE};

    #[test]
    fn every_scenario_puts_the_cluster_or_its_diagram_first_and_names_each_part_once() {
        for e in TABLE {
            let parts = layout(e.id);
            assert!(
                matches!(
                    parts.first(),
                    Some(Part::Cluster | Part::SpaceTime | Part::Panels)
                ),
                "{}: {parts:?}",
                e.id
            );
            assert!(
                parts.contains(&Part::Cluster),
                "{}: the cluster is shown",
                e.id
            );
            for (i, p) in parts.iter().enumerate() {
                assert!(!parts[i + 1..].contains(p), "{}: {p:?} twice", e.id);
            }
        }
        assert_eq!(layout("causality")[0], Part::SpaceTime);
        assert_eq!(layout("register-cap")[0], Part::Panels);
        assert!(layout("heartbeat-wan").contains(&Part::Chart));
        assert!(!layout("raft-election").contains(&Part::Network), "folded");
    }
}

#[cfg(test)]
mod kind_tests {
    use super::{open, TABLE};
    use crate::sim::session::Command;

    /// Every message a default run sends is of a kind its protocol declares, so the drawing
    /// colours it and the legend names it; kinds are named once.
    #[test]
    fn every_message_of_every_scenario_has_a_declared_kind() {
        for e in TABLE {
            let mut session = open(e.id, 1).expect("opens");
            let kinds = session.info().kinds;
            for (i, k) in kinds.iter().enumerate() {
                assert!(
                    !kinds[i + 1..].iter().any(|o| o.name == k.name),
                    "{}: {} twice",
                    e.id,
                    k.name
                );
            }
            let mut seen = 0;
            for _ in 0..60 {
                let view = session.run(Command::Step(5)).expect("steps");
                for m in &view.messages {
                    assert!(m.kind.is_some(), "{}: no kind for {}", e.id, m.label);
                    let k = &kinds[usize::from(m.kind.unwrap_or(0))];
                    assert!(
                        m.label.starts_with(&k.name),
                        "{}: {} as {}",
                        e.id,
                        m.label,
                        k.name
                    );
                    seen += 1;
                }
            }
            assert!(seen > 0, "{}: some message was in flight", e.id);
        }
    }
}

#[cfg(test)]
mod sweep_tests {
    #[test]
    fn a_mistyped_id_finds_the_scenario_it_meant_and_nonsense_finds_none() {
        use super::{closest, corrected_spec};
        use crate::catalog::edit_distance;
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(closest("raft-electoin"), Some("raft-election"));
        assert_eq!(closest("raft-election"), Some("raft-election"));
        assert_eq!(closest("heartbeat-spike"), Some("heartbeat-spikes"));
        assert_eq!(closest("no-such-scenario"), None);
        assert_eq!(closest("x"), None);
        let token = crate::sim::spec::RunSpec::new("retry-lossy", 3).to_url_token();
        let typo = token.replace("retry-lossy", "retry-lossyy");
        let fixed = corrected_spec(&typo).expect("one extra letter is corrected");
        assert_eq!(fixed.scenario, "retry-lossy");
        assert_eq!(fixed.seed, 3);
        assert_eq!(
            corrected_spec(&token),
            None,
            "a valid link needs no correction"
        );
        assert_eq!(corrected_spec("garbage"), None);
    }

    #[test]
    fn every_entry_builds_the_scenario_it_is_found_by() {
        let mut seen = std::collections::BTreeSet::new();
        for entry in super::TABLE {
            assert_eq!((entry.build)().id(), entry.id);
            assert!(seen.insert(entry.id), "{} is listed twice", entry.id);
        }
        // The chapter 4 challenges find Raft's scenarios in Raft's own table: the same ids.
        let listed: Vec<&str> = seen
            .into_iter()
            .filter(|id| id.starts_with("raft-"))
            .collect();
        let mut raft: Vec<&str> = crate::protocols::raft::SCENARIOS
            .iter()
            .map(|(id, _)| *id)
            .collect();
        raft.sort_unstable();
        assert_eq!(listed, raft);
    }

    #[test]
    fn the_heartbeat_chart_shows_both_sides_of_the_trade_off() {
        let chart = super::sweep("heartbeat-spikes", 5).expect("heartbeat-spikes declares one");
        assert_eq!(chart.series.len(), 2);
        let (suspicions, detection) = (&chart.series[0].points, &chart.series[1].points);
        assert_eq!(suspicions.len(), detection.len());
        // A short timeout falsely suspects live peers; a long one does not, but detects later.
        assert!(suspicions[0].1 > suspicions[suspicions.len() - 1].1);
        assert!(detection[0].1 < detection[detection.len() - 1].1);
        let xs: Vec<u64> = suspicions.iter().map(|p| p.0).collect();
        assert!(
            xs.contains(&chart.current),
            "the run's own timeout is a point"
        );
        assert!(super::sweep("retry-lossy", 5).is_none());
    }
}
