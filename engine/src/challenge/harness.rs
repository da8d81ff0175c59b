//! One harness for every challenge: the seed loop, progress and cancel, the first script error,
//! shrinking and the report are written once, here; a challenge says only what is its own.
//!
//! A [`Harness`] says what one seed runs (a *case*), how a case is judged, which smaller cases
//! to try when one fails, and how a failure is shown. [`run`] owns everything else:
//!
//! 1. compile the learner's script ([`Sandbox::compile`]) with the functions the harness needs;
//! 2. [`Harness::install`] it (say, as a protocol's hooks);
//! 3. for each seed: the case, judged; the first [`ScriptError`] the script hits during a judge
//!    stops the check with that seed (the [`Script`] latch keeps it while the run finishes);
//! 4. the first failing case is shrunk greedily: the first of [`Harness::smaller`] that still
//!    fails the same property, no larger, replaces it, until none does or the budget
//!    ([`SHRINK_ATTEMPTS_MAX`]) is spent; then [`Harness::show`] renders it.
//!
//! A challenge whose learner code runs inside a simulated protocol implements the smaller
//! [`SimChallenge`] and gets a harness from [`Simulated`]: cases are [`RunSpec`]s, shrinking
//! removes overrides (faults, requests), the counterexample is the trace up to the violation,
//! and "Replay this run" opens it in the simulation view with the learner's code in place.
//!
//! Invariant: a check is a pure function of (challenge, script, seeds): the same report natively
//! and in the browser.

use std::cell::RefCell;
use std::rc::Rc;

use rhai::Dynamic;

use super::{
    Challenge, CheckOptions, CheckReport, Cost, Efficiency, Failure, PropertyOutcome,
    PropertyStatus, Verdict,
};
use crate::error::SimError;
use crate::limits::SHRINK_ATTEMPTS_MAX;
use crate::script::convert::wrong_result;
use crate::script::{RequiredFn, Sandbox, ScriptError, ScriptErrorKind};
use crate::sim::check::horizon;
use crate::sim::protocol::Protocol;
use crate::sim::session::Session;
use crate::sim::spec::{RunSpec, When};
use crate::sim::trace::TraceEvent;
use crate::sim::world::{Scenario, Sim, SimOptions, Violation};

/// The learner's compiled script as the harness calls it: the first mistake is latched, every
/// later call answers `None` so the protocol falls back to its own code and the run ends
/// normally, and the loop reports the mistake instead of the run.
pub struct Script {
    sandbox: Sandbox,
    error: RefCell<Option<ScriptError>>,
}

impl Script {
    fn new(sandbox: Sandbox) -> Rc<Script> {
        Rc::new(Script {
            sandbox,
            error: RefCell::new(None),
        })
    }

    /// Compiles `source` for `required` (used where a run is replayed outside a check).
    pub fn compile(source: &str, required: &[RequiredFn]) -> Result<Rc<Script>, ScriptError> {
        Sandbox::compile(source, required).map(Script::new)
    }

    /// Whether a mistake has been latched since the last judge began.
    pub fn failed(&self) -> bool {
        self.error.borrow().is_some()
    }

    /// Latches `error` unless an earlier one is there.
    pub fn fail(&self, error: ScriptError) {
        let mut slot = self.error.borrow_mut();
        if slot.is_none() {
            *slot = Some(error);
        }
    }

    /// Calls `name`; `None` (after latching the error) when it fails or an earlier call did.
    pub fn call(&self, name: &str, args: impl rhai::FuncArgs) -> Option<Dynamic> {
        if self.failed() {
            return None;
        }
        match self.sandbox.call(name, args) {
            Ok(value) => Some(value),
            Err(error) => {
                self.fail(error);
                None
            }
        }
    }

    /// Latches the one wording of a wrong result: `name` returned `value`, not `expected`.
    pub fn wrong(&self, name: &str, value: &Dynamic, expected: &str) {
        self.fail(wrong_result(&self.sandbox, name, value, expected));
    }

    /// Lines the script printed, and how many more were dropped.
    pub fn printed(&self) -> (Vec<String>, usize) {
        self.sandbox.printed()
    }

    fn take_error(&self) -> Option<ScriptError> {
        self.error.borrow_mut().take()
    }
}

/// A property failure in one case.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Found {
    /// The property violated.
    pub property: String,
    /// What went wrong, when the judge can say more than the property's explanation.
    pub message: Option<String>,
    /// How big the failing case is, in events up to the failure: shrinking never accepts a
    /// larger one.
    pub size: usize,
    /// The step it failed at (simulated cases).
    pub step: Option<u64>,
    /// Not a failure: the judge could not decide the property on this case (its search ran
    /// out of budget), and says why. The check goes on and, if nothing fails, ends unknown.
    pub unknown: Option<String>,
}

/// A failure as the learner sees it.
pub struct Shown {
    /// What went wrong, in a sentence or two.
    pub message: String,
    /// The counterexample, one line per event.
    pub counterexample: Vec<String>,
    /// The run, for "Replay this run" (simulated cases).
    pub replay: Option<RunSpec>,
}

/// What is particular to one challenge (see the module documentation).
pub trait Harness: Sync {
    /// What the script is installed into for a check (e.g. a scenario with it as the hooks).
    type Installed;
    /// What one seed runs.
    type Case: Clone;
    /// The functions the script must define.
    fn required(&self) -> &'static [RequiredFn];
    /// The ids of the properties it judges (the challenge file lists exactly these).
    fn properties(&self) -> Vec<&'static str>;
    /// Installs the compiled script.
    fn install(&self, script: Rc<Script>) -> Self::Installed;
    /// The case of `seed`.
    fn case(&self, installed: &Self::Installed, seed: u64) -> Self::Case;
    /// Judges a case. `Err` is a run the harness could not finish (a simulation limit the script
    /// drove it into), reported like a script error.
    fn judge(
        &self,
        installed: &Self::Installed,
        case: &Self::Case,
    ) -> Result<Option<Found>, String>;
    /// [`Harness::judge`], with what the run cost for a harness that measures it.
    fn judge_costed(
        &self,
        installed: &Self::Installed,
        case: &Self::Case,
    ) -> (Result<Option<Found>, String>, Option<Cost>) {
        (self.judge(installed, case), None)
    }
    /// Smaller variants of a failing case, in the order to try.
    fn smaller(&self, case: &Self::Case) -> Vec<Self::Case>;
    /// Renders the (shrunk) failing case; `explanation` is the property's, from the challenge.
    fn show(
        &self,
        installed: &Self::Installed,
        case: &Self::Case,
        found: &Found,
        explanation: &str,
    ) -> Shown;
    /// An interactive session on `spec` with the learner's `source` in place, for "Replay this
    /// run"; `Err` says why there is none.
    fn replay(&self, source: &str, spec: &RunSpec) -> Result<Session, String> {
        let _ = (source, spec);
        Err("Runs of this challenge are not simulations and cannot be replayed.".to_string())
    }
}

/// A harness with its types erased, as the challenge table holds it.
pub trait DynHarness: Sync {
    /// Checks `source` (see [`run`]).
    fn check(
        &self,
        challenge: &Challenge,
        source: &str,
        options: CheckOptions,
        progress: &mut dyn FnMut(u64, u64) -> bool,
    ) -> CheckReport;
    /// See [`Harness::replay`].
    fn replay(&self, source: &str, spec: &RunSpec) -> Result<Session, String>;
    /// See [`Harness::properties`].
    fn properties(&self) -> Vec<&'static str>;
}

impl<H: Harness> DynHarness for H {
    fn check(
        &self,
        challenge: &Challenge,
        source: &str,
        options: CheckOptions,
        progress: &mut dyn FnMut(u64, u64) -> bool,
    ) -> CheckReport {
        run(self, challenge, source, options, progress)
    }
    fn replay(&self, source: &str, spec: &RunSpec) -> Result<Session, String> {
        Harness::replay(self, source, spec)
    }
    fn properties(&self) -> Vec<&'static str> {
        Harness::properties(self)
    }
}

/// The report's per-property list when `violated` failed (or nothing did) after some seeds.
fn outcomes(challenge: &Challenge, violated: Option<&str>, complete: bool) -> Vec<PropertyOutcome> {
    challenge
        .properties
        .iter()
        .map(|p| PropertyOutcome {
            id: p.id.clone(),
            title: p.title.clone(),
            explanation: p.explanation.clone(),
            status: if violated == Some(p.id.as_str()) {
                PropertyStatus::Violated
            } else if complete {
                PropertyStatus::Held
            } else {
                PropertyStatus::Inconclusive
            },
        })
        .collect()
}

/// Judges `case` with a clean latch: a script mistake wins over the run's verdict.
fn judged<H: Harness>(
    harness: &H,
    installed: &H::Installed,
    script: &Script,
    case: &H::Case,
) -> Result<Option<Found>, ScriptError> {
    judged_costed(harness, installed, script, case, &mut None)
}

/// [`judged`], adding the run's cost to `cost` when the harness measures it (and setting
/// `cost` to `None` when it does not).
fn judged_costed<H: Harness>(
    harness: &H,
    installed: &H::Installed,
    script: &Script,
    case: &H::Case,
    cost: &mut Option<Cost>,
) -> Result<Option<Found>, ScriptError> {
    script.take_error();
    let (result, spent) = harness.judge_costed(installed, case);
    match (cost.as_mut(), spent) {
        (Some(total), Some(spent)) => total.add(spent),
        _ => *cost = None,
    }
    if let Some(error) = script.take_error() {
        return Err(error);
    }
    result.map_err(|why| {
        ScriptError::new(
            ScriptErrorKind::Runtime,
            format!("The simulation stopped: {why}"),
        )
    })
}

/// Shrinks a failing case: the first smaller variant that still fails the same property, no
/// larger, replaces it, until none does (so no single step of [`Harness::smaller`] keeps it
/// failing) or [`SHRINK_ATTEMPTS_MAX`] candidates have been tried.
fn shrink<H: Harness>(
    harness: &H,
    installed: &H::Installed,
    script: &Script,
    case: H::Case,
    found: Found,
) -> (H::Case, Found) {
    let (mut case, mut found) = (case, found);
    let mut attempts = 0;
    'smaller: loop {
        for candidate in harness.smaller(&case) {
            if attempts >= SHRINK_ATTEMPTS_MAX {
                break 'smaller;
            }
            attempts += 1;
            if let Ok(Some(f)) = judged(harness, installed, script, &candidate) {
                if f.unknown.is_none() && f.property == found.property && f.size <= found.size {
                    (case, found) = (candidate, f);
                    continue 'smaller;
                }
            }
        }
        break;
    }
    (case, found)
}

/// Checks `source` against `challenge` with `harness` over `options.seeds` seeds.
/// `progress(done, total)` is called after every seed; returning `false` cancels the check.
pub fn run<H: Harness>(
    harness: &H,
    challenge: &Challenge,
    source: &str,
    options: CheckOptions,
    progress: &mut dyn FnMut(u64, u64) -> bool,
) -> CheckReport {
    let report = |seeds_run, violated: Option<&str>, complete, verdict, printed| CheckReport {
        challenge: challenge.id.clone(),
        seeds_total: options.seeds,
        seeds_run,
        properties: outcomes(challenge, violated, complete),
        verdict,
        printed,
        efficiency: None,
    };
    let script = match Sandbox::compile(source, harness.required()) {
        Ok(sandbox) => Script::new(sandbox),
        Err(error) => {
            let verdict = Verdict::ScriptError { error, seed: None };
            return report(0, None, false, verdict, Vec::new());
        }
    };
    let installed = harness.install(script.clone());
    let mut undecided: Option<(String, u64, String)> = None;
    let mut cost = Some(Cost::default());
    for done in 0..options.seeds {
        let seed = options.first_seed + done;
        let case = harness.case(&installed, seed);
        match judged_costed(harness, &installed, &script, &case, &mut cost) {
            Ok(None) => {}
            Ok(Some(Found {
                property,
                unknown: Some(reason),
                ..
            })) => {
                undecided.get_or_insert((property, seed, reason));
            }
            Err(error) => {
                let verdict = Verdict::ScriptError {
                    error,
                    seed: Some(seed),
                };
                return report(done, None, false, verdict, script.printed().0);
            }
            Ok(Some(found)) => {
                let events_before_shrinking = found.size;
                let (small, found) = shrink(harness, &installed, &script, case, found);
                let explanation = challenge
                    .properties
                    .iter()
                    .find(|p| p.id == found.property)
                    .map_or("", |p| p.explanation.as_str());
                let shown = harness.show(&installed, &small, &found, explanation);
                let failure = Failure {
                    property: found.property.clone(),
                    seed,
                    message: shown.message,
                    events_before_shrinking,
                    counterexample: shown.counterexample,
                    replay: shown.replay.map(Box::new),
                    step: found.step,
                };
                let verdict = Verdict::Failed(failure);
                return report(
                    done + 1,
                    Some(&found.property),
                    false,
                    verdict,
                    script.printed().0,
                );
            }
        }
        if !progress(done + 1, options.seeds) {
            return report(
                done + 1,
                None,
                false,
                Verdict::Cancelled,
                script.printed().0,
            );
        }
    }
    if let Some((property, seed, reason)) = undecided {
        let mut done = report(
            options.seeds,
            None,
            true,
            Verdict::Unknown {
                property: property.clone(),
                seed,
                reason,
            },
            script.printed().0,
        );
        for p in done.properties.iter_mut().filter(|p| p.id == property) {
            p.status = PropertyStatus::Inconclusive;
        }
        return done;
    }
    let mut passed = report(
        options.seeds,
        None,
        true,
        Verdict::Passed,
        script.printed().0,
    );
    if let Some(yours) = cost {
        if let Some(reference) =
            reference_cost(harness, challenge, source, &yours, options, progress)
        {
            passed.efficiency = Some(Box::new(Efficiency {
                yours: yours.summary(),
                reference: reference.summary(),
            }));
        }
    }
    passed
}

/// The reference solution's cost on the seeds `source` passed; `None` when it cannot be
/// measured (the reference does not pass them, which its tests rule out) or the learner
/// cancelled meanwhile (the check has passed; only the comparison is left out). Progress
/// stays at its end meanwhile.
fn reference_cost<H: Harness>(
    harness: &H,
    challenge: &Challenge,
    source: &str,
    yours: &Cost,
    options: CheckOptions,
    progress: &mut dyn FnMut(u64, u64) -> bool,
) -> Option<Cost> {
    if challenge.reference.trim().is_empty() {
        return None;
    }
    if challenge.reference.trim() == source.trim() {
        // Yours is the reference: the same runs, so the same cost.
        return Some(yours.clone());
    }
    let sandbox = Sandbox::compile(&challenge.reference, harness.required()).ok()?;
    let script = Script::new(sandbox);
    let installed = harness.install(script.clone());
    let mut cost = Some(Cost::default());
    for done in 0..options.seeds {
        let case = harness.case(&installed, options.first_seed + done);
        if !matches!(
            judged_costed(harness, &installed, &script, &case, &mut cost),
            Ok(None)
        ) || !progress(options.seeds, options.seeds)
        {
            return None;
        }
    }
    cost
}

/// What is particular to a challenge whose learner code runs inside a simulated protocol.
pub trait SimChallenge: Sync {
    /// The protocol.
    type P: Protocol;
    /// What the script is installed as (e.g. the protocol's hooks).
    type Installed;
    /// The functions the script must define.
    fn required(&self) -> &'static [RequiredFn];
    /// Installs the compiled script.
    fn install(&self, script: Rc<Script>) -> Self::Installed;
    /// The scenario `id` with the script in place; `None` when `id` is not one of this
    /// challenge's.
    fn scenario(&self, installed: &Self::Installed, id: &str) -> Option<Scenario<Self::P>>;
    /// The run of `seed`.
    fn run_of(&self, seed: u64) -> RunSpec;
    /// The ids of the properties the challenge judges, as its scenarios name them.
    fn properties(&self) -> Vec<&'static str>;
    /// The true time up to which a run is checked (by default its last timed override plus the
    /// scenario's liveness window).
    fn horizon(&self, scenario: &Scenario<Self::P>, spec: &RunSpec) -> u64 {
        horizon(scenario, spec)
    }
    /// What a passing run cost (messages, operations, latencies), for a challenge whose
    /// report compares it with the reference's; `None` for one that does not measure.
    fn cost(&self, sim: &Sim<Self::P>) -> Option<Cost> {
        let _ = sim;
        None
    }
    /// What the world looked like when a property without a message of its own failed (a
    /// liveness property: which servers and what state did not make progress), if the
    /// challenge can say.
    fn describe(&self, sim: &Sim<Self::P>, violation: &Violation) -> Option<String> {
        let _ = (sim, violation);
        None
    }
    /// Whether an event belongs in the counterexample: the rest (heartbeats, their
    /// acknowledgements, dropped messages, …) is folded into a count. By default every event
    /// matters.
    fn matters(&self, event: &TraceEvent<Self::P>) -> bool {
        let _ = event;
        true
    }
    /// The counterexample's lines, from the run's trace up to the violation: the events that
    /// [`matter`](SimChallenge::matters), and the last [`TAIL_EVENTS_SHOWN`] events whatever
    /// they are; a first line counts what was folded.
    fn lines(&self, sim: &Sim<Self::P>, violation: &Violation) -> Vec<String> {
        let _ = violation;
        folded(sim.trace(), |e| self.matters(e))
    }
}

/// Events just before a violation that a counterexample always shows, routine or not.
pub const TAIL_EVENTS_SHOWN: usize = 8;

/// The lines of the events in `trace` that `matters` keeps, plus the last
/// [`TAIL_EVENTS_SHOWN`], after a line counting the ones left out.
fn folded<P: Protocol>(
    trace: &[TraceEvent<P>],
    matters: impl Fn(&TraceEvent<P>) -> bool,
) -> Vec<String> {
    let tail = trace.len().saturating_sub(TAIL_EVENTS_SHOWN);
    let kept: Vec<String> = trace
        .iter()
        .enumerate()
        .filter(|(i, e)| *i >= tail || matters(e))
        .map(|(_, e)| e.line())
        .collect();
    let hidden = trace.len() - kept.len();
    if hidden == 0 {
        return kept;
    }
    let mut out = Vec::with_capacity(kept.len() + 1);
    out.push(format!(
        "… {hidden} routine events of {} not shown (Replay this run shows every one)",
        trace.len()
    ));
    out.extend(kept);
    out
}

/// What a finished run found: its violation, else a property it could not decide.
fn found<P: Protocol>(sim: &Sim<P>, violation: Option<Violation>) -> Option<Found> {
    if violation.is_none() {
        if let Some((property, reason)) = sim.undecided() {
            return Some(Found {
                property,
                message: None,
                size: sim.trace_len(),
                step: None,
                unknown: Some(reason),
            });
        }
    }
    violation.map(|v| Found {
        property: v.property,
        message: v.message,
        size: sim.trace_len(),
        step: Some(v.step),
        unknown: None,
    })
}

/// The harness of a [`SimChallenge`]: cases are run specs.
pub struct Simulated<S>(pub S);

impl<S: SimChallenge> Simulated<S> {
    fn sim(
        &self,
        installed: &S::Installed,
        spec: &RunSpec,
        options: SimOptions,
    ) -> Result<(Sim<S::P>, Option<Violation>), String> {
        let scenario = self
            .0
            .scenario(installed, &spec.scenario)
            .ok_or_else(|| format!("'{}' is not a scenario of this challenge.", spec.scenario))?;
        let end = self.0.horizon(&scenario, spec);
        let mut sim = Sim::new(scenario, spec.clone(), options).map_err(|e| e.to_string())?;
        sim.run_until_time(end, true)
            .map_err(|e: SimError| e.to_string())?;
        sim.finish_liveness();
        let violation = sim.violation().cloned();
        Ok((sim, violation))
    }
}

impl<S: SimChallenge> Harness for Simulated<S> {
    type Installed = S::Installed;
    type Case = RunSpec;

    fn required(&self) -> &'static [RequiredFn] {
        self.0.required()
    }
    fn properties(&self) -> Vec<&'static str> {
        self.0.properties()
    }
    fn install(&self, script: Rc<Script>) -> S::Installed {
        self.0.install(script)
    }
    fn case(&self, _: &S::Installed, seed: u64) -> RunSpec {
        self.0.run_of(seed)
    }
    fn judge(&self, installed: &S::Installed, spec: &RunSpec) -> Result<Option<Found>, String> {
        self.sim(installed, spec, SimOptions::CHECK)
            .map(|(sim, violation)| found(&sim, violation))
    }
    fn judge_costed(
        &self,
        installed: &S::Installed,
        spec: &RunSpec,
    ) -> (Result<Option<Found>, String>, Option<Cost>) {
        match self.sim(installed, spec, SimOptions::CHECK) {
            Ok((sim, violation)) => {
                let found = found(&sim, violation);
                let cost = if found.is_none() {
                    self.0.cost(&sim)
                } else {
                    Some(Cost::default())
                };
                (Ok(found), cost)
            }
            Err(why) => (Err(why), Some(Cost::default())),
        }
    }
    /// Fewer overrides: every half, quarter, … of them removed in turn, down to each one alone
    /// — so a shrunk run is one from which no single fault or request can be removed.
    fn smaller(&self, spec: &RunSpec) -> Vec<RunSpec> {
        let n = spec.overrides.len();
        let mut out = Vec::new();
        let mut chunk = n.div_ceil(2);
        while chunk >= 1 {
            let mut start = 0;
            while start < n {
                let mut candidate = spec.clone();
                candidate.overrides.drain(start..(start + chunk).min(n));
                out.push(candidate);
                start += chunk;
            }
            if chunk == 1 {
                break;
            }
            chunk = chunk.div_ceil(2);
        }
        out
    }
    fn show(
        &self,
        installed: &S::Installed,
        spec: &RunSpec,
        found: &Found,
        explanation: &str,
    ) -> Shown {
        let options = SimOptions {
            record_trace: true,
            ..SimOptions::CHECK
        };
        let (counterexample, described, violation) = match self.sim(installed, spec, options) {
            Ok((sim, Some(v))) => (self.0.lines(&sim, &v), self.0.describe(&sim, &v), Some(v)),
            Ok((sim, None)) => (sim.trace().iter().map(|e| e.line()).collect(), None, None),
            Err(_) => (Vec::new(), None, None),
        };
        let faults = spec.overrides.len();
        let time = violation.as_ref().map_or(0, |v| v.time);
        let message = match &found.message {
            // The report's verdict names the property (by its title); the message says when.
            Some(said) => format!("Violated at t={time}: {said}"),
            None => format!(
                "Violated at step {} (t={time}) of a {} run with {faults} scheduled fault(s) and request(s): {explanation}{}",
                found.step.unwrap_or(0),
                spec.scenario,
                described.map(|d| format!(" {d}")).unwrap_or_default(),
            ),
        };
        Shown {
            message,
            counterexample,
            replay: Some(spec.clone()),
        }
    }
    fn replay(&self, source: &str, spec: &RunSpec) -> Result<Session, String> {
        let script = Script::compile(source, self.0.required()).map_err(|e| e.to_string())?;
        let installed = self.0.install(script);
        let scenario = self
            .0
            .scenario(&installed, &spec.scenario)
            .ok_or_else(|| format!("'{}' is not a scenario of this challenge.", spec.scenario))?;
        let sim =
            Sim::new(scenario, spec.clone(), SimOptions::INTERACTIVE).map_err(|e| e.to_string())?;
        Ok(Session::from_sim(Box::new(sim)))
    }
}

/// The last timed override of `spec` (0 when there is none).
pub fn last_override_time(spec: &RunSpec) -> u64 {
    spec.overrides
        .iter()
        .filter_map(|o| match o.at {
            When::Time(t) => Some(t),
            When::Step(_) => None,
        })
        .max()
        .unwrap_or(0)
}
