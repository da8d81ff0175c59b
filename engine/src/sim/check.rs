//! Checking: run specs against their properties, swarm over seeds, shrink a failure.
//!
//! Invariants: a check is deterministic (same spec → same verdict), a swarm stops at the first
//! violation and reports a [`RunSpec`] that reproduces it, and the shrinker only ever returns a
//! spec that still fails the same property.

use crate::error::SimError;
use crate::limits::{SHRINK_ATTEMPTS_MAX, SWARM_SEEDS_MAX};
use crate::sim::protocol::Protocol;
use crate::sim::scenario::AnyScenario;
use crate::sim::spec::{RunSpec, When};
use crate::sim::world::{Scenario, Sim, SimOptions, Violation};

/// A property failure found by a swarm.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Failure {
    /// Property name.
    pub property: String,
    /// Seed of the failing run.
    pub seed: u64,
    /// Step at which it failed.
    pub step: u64,
    /// True time at which it failed.
    pub time: u64,
    /// The failing run, replayable.
    pub spec: RunSpec,
}

/// What a swarm found.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SwarmReport {
    /// Scenario id.
    pub scenario: String,
    /// Seeds run (up to and including the failing one).
    pub seeds_run: u64,
    /// The first failure, if any.
    pub failure: Option<Failure>,
}

/// The true time up to which a spec is checked: its last timed override plus the liveness
/// window.
pub fn horizon(scenario: &dyn AnyScenario, spec: &RunSpec) -> u64 {
    let last = spec
        .overrides
        .iter()
        .filter_map(|o| match o.at {
            When::Time(t) => Some(t),
            When::Step(_) => None,
        })
        .max()
        .unwrap_or(0);
    last + scenario.liveness_ticks()
}

/// Runs `spec` of a scenario whose protocol is erased with property checks up to its horizon:
/// the first violation, if any.
pub fn check_dyn(
    scenario: &dyn AnyScenario,
    spec: &RunSpec,
) -> Result<Option<Violation>, SimError> {
    let mut sim = scenario.build(spec, SimOptions::CHECK)?;
    sim.run_until_time(horizon(scenario, spec), true)?;
    sim.finish_liveness();
    Ok(sim.violation())
}

/// Runs `spec` of `scenario` with property checks up to its horizon (its last timed override
/// plus the liveness window): the first violation, if any.
pub fn check_scenario<P: Protocol>(
    scenario: &Scenario<P>,
    spec: &RunSpec,
) -> Result<Option<Violation>, SimError> {
    let mut sim = Sim::new(scenario.clone(), spec.clone(), SimOptions::CHECK)?;
    sim.run_until_time(horizon(scenario, spec), true)?;
    sim.finish_liveness();
    Ok(sim.violation().cloned())
}

/// Runs `spec` of `scenario` like [`check_scenario`], recording its trace: the first
/// violation and the event log up to it, one line per event as the event log shows it.
pub fn trace_scenario<P: Protocol>(
    scenario: &Scenario<P>,
    spec: &RunSpec,
) -> Result<(Option<Violation>, Vec<String>), SimError> {
    let options = SimOptions {
        record_trace: true,
        ..SimOptions::CHECK
    };
    let mut sim = Sim::new(scenario.clone(), spec.clone(), options)?;
    sim.run_until_time(horizon(scenario, spec), true)?;
    sim.finish_liveness();
    let lines = sim.trace().iter().map(|e| e.line()).collect();
    Ok((sim.violation().cloned(), lines))
}

/// Swarm-tests a scenario value: the swarm plans of `scenario` over seeds
/// `first..first + count`, stopping at the first violation.
pub fn swarm_scenario<P: Protocol>(
    scenario: &Scenario<P>,
    first: u64,
    count: u64,
) -> Result<SwarmReport, SimError> {
    if count > SWARM_SEEDS_MAX {
        return Err(SimError::limit("SWARM_SEEDS_MAX", SWARM_SEEDS_MAX));
    }
    swarm_with(
        scenario.id,
        first,
        count,
        |seed| scenario.swarm_spec(seed),
        |spec| check_scenario(scenario, spec),
    )
}

/// The swarm loop shared by registered and unregistered scenarios: the first seed whose spec
/// fails its check, or none.
pub fn swarm_with(
    scenario: &str,
    first: u64,
    count: u64,
    spec_of: impl Fn(u64) -> RunSpec,
    check: impl Fn(&RunSpec) -> Result<Option<Violation>, SimError>,
) -> Result<SwarmReport, SimError> {
    for (i, seed) in (first..first.saturating_add(count)).enumerate() {
        let spec = spec_of(seed);
        if let Some(v) = check(&spec)? {
            return Ok(SwarmReport {
                scenario: scenario.to_string(),
                seeds_run: i as u64 + 1,
                failure: Some(Failure {
                    property: v.property,
                    seed,
                    step: v.step,
                    time: v.time,
                    spec,
                }),
            });
        }
    }
    Ok(SwarmReport {
        scenario: scenario.to_string(),
        seeds_run: count,
        failure: None,
    })
}

/// A shrunk failure.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Shrunk {
    /// The smaller failing run.
    pub spec: RunSpec,
    /// Its violation (same property as the original).
    pub violation: Violation,
    /// Candidate runs tried.
    pub attempts: usize,
}

/// Shrinks a failing `spec` of a scenario value (see [`shrink_with`]).
pub fn shrink_scenario<P: Protocol>(
    scenario: &Scenario<P>,
    spec: &RunSpec,
    property: &str,
) -> Result<Shrunk, SimError> {
    shrink_with(spec, property, |s| check_scenario(scenario, s))
}

/// Shrink a failing `spec` to a smaller one failing the same `property`, judged by any
/// deterministic `check` (an unregistered scenario, or a harness judging properties outside the
/// world, e.g. a count over the trace):
/// delta debugging over its overrides (fewer faults, fewer client requests), keeping a
/// candidate only when it fails the same property no later than before, so the failing prefix
/// never grows. A candidate whose check errs counts as not failing.
pub fn shrink_with(
    spec: &RunSpec,
    property: &str,
    check: impl Fn(&RunSpec) -> Result<Option<Violation>, SimError>,
) -> Result<Shrunk, SimError> {
    let first = check(spec)?
        .filter(|v| v.property == property)
        .ok_or_else(|| {
            SimError::BadCommand(format!("the run does not fail property '{property}'"))
        })?;
    let mut best = spec.clone();
    let mut best_v = first;
    let mut attempts = 0;
    let mut try_candidate = |candidate: &RunSpec, best_v: &Violation| -> Option<Violation> {
        attempts += 1;
        match check(candidate) {
            Ok(Some(v)) if v.property == property && v.step <= best_v.step => Some(v),
            _ => None,
        }
    };
    let mut chunk = best.overrides.len().div_ceil(2).max(1);
    let mut budget = SHRINK_ATTEMPTS_MAX;
    while !best.overrides.is_empty() && budget > 0 {
        let mut progressed = false;
        let mut i = 0;
        while i < best.overrides.len() && budget > 0 {
            budget -= 1;
            let mut candidate = best.clone();
            let end = (i + chunk).min(candidate.overrides.len());
            candidate.overrides.drain(i..end);
            if let Some(v) = try_candidate(&candidate, &best_v) {
                best = candidate;
                best_v = v;
                progressed = true;
            } else {
                i += chunk;
            }
        }
        if chunk == 1 && !progressed {
            break;
        }
        if !progressed {
            chunk = chunk.div_ceil(2);
        }
    }
    Ok(Shrunk {
        spec: best,
        violation: best_v,
        attempts,
    })
}
