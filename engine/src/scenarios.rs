//! The scenario registry: every runnable simulation by id, and how to build one.
//!
//! Invariant: a scenario id names exactly one scenario, and every scenario builds from any
//! [`RunSpec`] that [`validate`] accepts. A new protocol slots in by adding its module's
//! `scenarios()` to [`registry`].

use crate::error::SimError;
use crate::limits::PPM_ONE;
use crate::protocols::{causality, clocks, heartbeat, paxos, raft, retry};
use crate::rng::Rng;
use crate::sim::protocol::{NodeId, Protocol};
use crate::sim::session::DynSim;
use crate::sim::spec::{validate_override, Action, Override, RunSpec, When};
use crate::sim::world::{LinkCfg, PropKind, Scenario, Sim, SimOptions};

/// What the app and the CLI list about a scenario.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ScenarioInfo {
    /// Id, e.g. `retry-lossy`.
    pub id: String,
    /// One-line title.
    pub title: String,
    /// What it shows.
    pub description: String,
    /// Node count.
    pub nodes: u16,
    /// Properties: (name, kind).
    pub properties: Vec<(String, PropKind)>,
    /// Every link's behaviour at the start.
    pub net: LinkCfg,
}

/// A scenario with its protocol erased.
pub trait AnyScenario {
    /// Its id.
    fn id(&self) -> &'static str;
    /// Its listing.
    fn info(&self) -> ScenarioInfo;
    /// Build a simulation of `spec`.
    fn build(&self, spec: &RunSpec, options: SimOptions) -> Result<Box<dyn DynSim>, SimError>;
    /// The default run: the scenario's script with `seed`.
    fn default_spec(&self, seed: u64) -> RunSpec;
    /// A swarm run: faults and workload randomized from `seed`, then a heal-all.
    fn swarm_spec(&self, seed: u64) -> RunSpec;
    /// Ticks after the heal-all that eventually-properties may take.
    fn liveness_ticks(&self) -> u64;
    /// Node count.
    fn nodes(&self) -> u16;
    /// Check a request text parses.
    fn check_request(&self, text: &str) -> Result<(), String>;
}

/// Most faults the swarm generates per run.
pub const SWARM_FAULTS_MAX: u64 = 12;
/// Most client requests the swarm generates per run.
pub const SWARM_REQUESTS_MAX: u64 = 8;

impl<P: Protocol> AnyScenario for Scenario<P> {
    fn id(&self) -> &'static str {
        self.id
    }
    fn info(&self) -> ScenarioInfo {
        ScenarioInfo {
            id: self.id.to_string(),
            title: self.title.to_string(),
            description: self.description.to_string(),
            nodes: self.nodes,
            properties: self
                .properties
                .iter()
                .map(|p| (p.name.to_string(), p.kind))
                .collect(),
            net: self.net,
        }
    }
    fn build(&self, spec: &RunSpec, options: SimOptions) -> Result<Box<dyn DynSim>, SimError> {
        Ok(Box::new(Sim::new(self.clone(), spec.clone(), options)?))
    }
    fn default_spec(&self, seed: u64) -> RunSpec {
        RunSpec {
            scenario: self.id.to_string(),
            seed,
            overrides: self.script.clone(),
        }
    }
    fn swarm_spec(&self, seed: u64) -> RunSpec {
        swarm_plan(self, seed)
    }
    fn liveness_ticks(&self) -> u64 {
        self.properties
            .iter()
            .filter_map(|p| match p.kind {
                PropKind::EventuallyWithin(t) => Some(t),
                PropKind::Always => None,
            })
            .max()
            .unwrap_or(0)
            + 1
    }
    fn nodes(&self) -> u16 {
        self.nodes
    }
    fn check_request(&self, text: &str) -> Result<(), String> {
        self.protocol.parse_request(text).map(|_| ())
    }
}

fn at(t: u64, action: Action) -> Override {
    Override {
        at: When::Time(t),
        action,
    }
}

/// TigerBeetle-style swarm plan: the seed picks the fault *probabilities* as well as the faults,
/// so some runs are calm, some are storms, and some hammer one kind of fault.
fn swarm_plan<P: Protocol>(s: &Scenario<P>, seed: u64) -> RunSpec {
    let mut rng = Rng::new(seed ^ 0x5357_4152_4D5F_504C);
    let horizon = s.safety_ticks.max(2);
    let mut overrides = Vec::new();
    let loss = [0, 10_000, 100_000, 300_000][rng.below(4) as usize];
    let dup = [0, 0, 20_000, 100_000][rng.below(4) as usize];
    if loss != s.net.loss_ppm {
        overrides.push(at(0, Action::Loss(None, loss.min(PPM_ONE))));
    }
    if dup != s.net.dup_ppm {
        overrides.push(at(0, Action::Dup(None, dup)));
    }
    if rng.below(2) == 1 {
        let hi = s.net.latency_max_ticks * (1 + rng.below(3));
        overrides.push(at(0, Action::Latency(None, s.net.latency_min_ticks, hi)));
    }
    let weights = [rng.below(4), rng.below(4), rng.below(3), rng.below(3)];
    let faults = rng.below(SWARM_FAULTS_MAX + 1);
    let mut times: Vec<u64> = (0..faults)
        .map(|_| rng.range_inclusive(1, horizon - 1))
        .collect();
    times.sort_unstable();
    let n = usize::from(s.nodes);
    let mut down = vec![false; n];
    let mut paused = vec![false; n];
    let mut partitioned = false;
    for t in times {
        let total: u64 = weights.iter().sum::<u64>().max(1);
        let mut pick = rng.below(total);
        let mut kind = 0;
        for (k, w) in weights.iter().enumerate() {
            if pick < *w {
                kind = k;
                break;
            }
            pick -= w;
        }
        let up: Vec<NodeId> = s
            .faulty_nodes
            .iter()
            .copied()
            .filter(|&x| !down[usize::from(x)] && !paused[usize::from(x)])
            .collect();
        let downs: Vec<NodeId> = (0..s.nodes).filter(|&x| down[usize::from(x)]).collect();
        let pauses: Vec<NodeId> = (0..s.nodes).filter(|&x| paused[usize::from(x)]).collect();
        let choose = |rng: &mut Rng, v: &[NodeId]| v[rng.below(v.len() as u64) as usize];
        let action = match kind {
            0 if !downs.is_empty() && rng.below(2) == 0 => {
                let x = choose(&mut rng, &downs);
                down[usize::from(x)] = false;
                Action::Restart(x)
            }
            0 if !up.is_empty() => {
                let x = choose(&mut rng, &up);
                down[usize::from(x)] = true;
                Action::Crash(x)
            }
            1 if partitioned && rng.below(2) == 0 => {
                partitioned = false;
                Action::Heal
            }
            1 => {
                let mut groups = vec![Vec::new(), Vec::new()];
                for x in 0..s.nodes {
                    groups[rng.below(2) as usize].push(x);
                }
                if groups.iter().any(Vec::is_empty) {
                    continue;
                }
                partitioned = true;
                Action::Partition(groups)
            }
            2 if !pauses.is_empty() => {
                let x = choose(&mut rng, &pauses);
                paused[usize::from(x)] = false;
                Action::Resume(x)
            }
            2 if !up.is_empty() => {
                let x = choose(&mut rng, &up);
                paused[usize::from(x)] = true;
                Action::Pause(x)
            }
            3 => {
                let x = rng.below(u64::from(s.nodes)) as NodeId;
                let skew = rng.range_inclusive(0, 100) as i64 - 50;
                let drift = rng.range_inclusive(0, 100_000) as i32 - 50_000;
                Action::Clock(x, skew, drift)
            }
            _ => continue,
        };
        overrides.push(at(t, action));
    }
    if !s.workload.is_empty() {
        let requests = rng.range_inclusive(1, SWARM_REQUESTS_MAX);
        let mut reqs: Vec<(u64, Action)> = (0..requests)
            .map(|_| {
                let (node, text) = s.workload[rng.below(s.workload.len() as u64) as usize];
                (
                    rng.range_inclusive(0, horizon - 1),
                    Action::Request(node, text.to_string()),
                )
            })
            .collect();
        reqs.sort_by_key(|(t, _)| *t);
        overrides.extend(reqs.into_iter().map(|(t, a)| at(t, a)));
    }
    overrides.push(at(horizon, Action::HealAll));
    RunSpec {
        scenario: s.id.to_string(),
        seed,
        overrides,
    }
}

/// Every scenario, in listing order.
pub fn registry() -> Vec<Box<dyn AnyScenario>> {
    let mut all: Vec<Box<dyn AnyScenario>> = Vec::new();
    all.extend(clocks::scenarios());
    all.extend(causality::scenarios());
    all.extend(retry::scenarios());
    all.extend(heartbeat::scenarios());
    all.extend(raft::scenarios());
    all.extend(paxos::scenarios());
    all
}

/// The listing of every scenario.
pub fn scenarios() -> Vec<ScenarioInfo> {
    registry().iter().map(|s| s.info()).collect()
}

/// Every scenario id.
pub fn scenario_ids() -> Vec<&'static str> {
    registry().iter().map(|s| s.id()).collect()
}

/// The scenario with this id.
pub fn find(id: &str) -> Result<Box<dyn AnyScenario>, SimError> {
    registry()
        .into_iter()
        .find(|s| s.id() == id)
        .ok_or_else(|| SimError::UnknownScenario(id.to_string()))
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
pub fn sweep(id: &str, seed: u64) -> Option<crate::sim::panel::Sweep> {
    match id {
        "heartbeat-spikes" => Some(heartbeat::sweep_chart(seed)),
        _ => None,
    }
}

#[cfg(test)]
mod sweep_tests {
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
