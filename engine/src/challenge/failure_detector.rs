//! The failure-detector harness (chapter 1): the learner's timeout policy plugged into the
//! heartbeat monitor, judged for completeness and accuracy over seeded runs.
//!
//! Lesson: in an asynchronous network a timeout cannot tell a slow peer from a dead one, so a
//! failure detector trades *completeness* (every crashed peer is eventually suspected) against
//! *accuracy* (live peers are not suspected) — Chandra and Toueg (1996). A fixed timeout that
//! survives a congested network detects crashes slowly in a calm one; an adaptive timeout that
//! follows the spread of recent heartbeat gaps (as the phi accrual detector of Hayashibara et
//! al., 2004, does with a probability) can have both.
//!
//! Each run: a monitor (n0) and [`PEERS`] peers beating every [`INTERVAL_TICKS`]. Calm links
//! take 2–8 ticks (uniform). Once per run, starting at a random time in 150..=350, the network
//! goes through a congestion episode, a latency spike of 480 ticks: the latency's upper end
//! ramps up through [`RAMP`] (to 250 ticks) and back, [`PHASE_TICKS`] per step. 200 to 350
//! ticks after the network has calmed down again, one random peer crashes. The run ends
//! [`COMPLETENESS_TICKS`] plus a margin after the crash. The properties:
//! - `completeness`: the crashed peer is suspected within [`COMPLETENESS_TICKS`] (Y) of its
//!   crash;
//! - `accuracy`: at most [`FALSE_SUSPICIONS_MAX`] (X) suspicions of live peers per run.
//!
//! No fixed timeout passes both on all of the first 200 seeds (tested): surviving the
//! congestion's silences takes more than 64 ticks, detecting within Y in calm takes less.
//! Mean plus six mean absolute deviations plus 20 ticks passes them all.

use std::cell::RefCell;
use std::rc::Rc;

use rhai::Dynamic;

use super::{outcomes, Challenge, CheckOptions, CheckReport, Failure, Verdict};
use crate::error::SimError;
use crate::protocols::heartbeat::{self, Heartbeat, Note, Policy, State, MONITOR};
use crate::rng::Rng;
use crate::script::{RequiredFn, Sandbox, ScriptError, ScriptErrorKind};
use crate::sim::check::shrink_with;
use crate::sim::protocol::NodeId;
use crate::sim::spec::{Action, Override, RunSpec, When};
use crate::sim::trace::Event;
use crate::sim::world::{LinkCfg, PropKind, Property, Scenario, Sim, SimOptions, Violation};

/// Peers watched by the monitor (n1..=n3).
pub const PEERS: u16 = 3;
/// Peers send a heartbeat this often.
pub const INTERVAL_TICKS: u64 = 10;
/// The monitor checks its peers this often.
pub const CHECK_TICKS: u64 = 5;
/// The timeout before a peer's first gap is known.
pub const INITIAL_TIMEOUT_TICKS: u64 = 50;
/// How many recent gaps the learner's function sees.
pub const WINDOW: usize = 10;
/// Y: a crashed peer must be suspected within this many ticks of its crash.
pub const COMPLETENESS_TICKS: u64 = 60;
/// X: suspicions of live peers allowed per run.
pub const FALSE_SUSPICIONS_MAX: u64 = 2;
/// The congestion episode: the latency's upper end (ticks), one value per phase.
pub const RAMP: [u64; 12] = [15, 25, 40, 60, 90, 130, 180, 250, 250, 130, 60, 25];
/// Ticks per congestion phase.
pub const PHASE_TICKS: u64 = 40;
/// Ticks the run goes on after its last scripted event (the crash), beyond Y.
const TAIL_TICKS: u64 = 20;

/// The calm network: 2–8 ticks, 1% of messages delayed by up to 30 more.
pub const NET: LinkCfg = LinkCfg {
    latency_min_ticks: 2,
    latency_max_ticks: 8,
    loss_ppm: 0,
    dup_ppm: 0,
    spike_ppm: 0,
    spike_ticks_max: 0,
};

/// Mixed into the seed so that runs differ from other harnesses' runs of the same seed.
const GENERATOR_SALT: u64 = 0xFA11_DE7E_C70F_0001;

const REQUIRED: [RequiredFn; 1] = [RequiredFn {
    name: "timeout",
    params: &["intervals"],
}];

/// The monitor with `decide` as its timeout policy, in the challenge's network.
pub fn scenario(decide: heartbeat::Decide) -> Scenario<Heartbeat> {
    Scenario {
        id: "failure-detector",
        title: "Failure detector challenge",
        description: "A monitor and three peers; a congestion episode, then a crash.",
        nodes: PEERS + 1,
        protocol: Heartbeat {
            interval_ticks: INTERVAL_TICKS,
            timeout_ticks: INITIAL_TIMEOUT_TICKS,
            check_ticks: CHECK_TICKS,
            first_heartbeat_ticks: 0,
            policy: Some(Policy {
                window: WINDOW,
                decide,
            }),
        },
        net: NET,
        calm: NET,
        script: Vec::new(),
        properties: vec![Property {
            name: "completeness",
            kind: PropKind::Always,
            check: heartbeat::completeness_within::<COMPLETENESS_TICKS>,
        }],
        workload: Vec::new(),
        faulty_nodes: (1..=PEERS).collect(),
        safety_ticks: 0,
    }
}

fn at(t: u64, action: Action) -> Override {
    Override {
        at: When::Time(t),
        action,
    }
}

/// The run of `seed`: the congestion episode and the crash.
pub fn spec(seed: u64) -> RunSpec {
    let mut rng = Rng::new(seed ^ GENERATOR_SALT);
    let start = rng.range_inclusive(150, 350);
    let mut overrides = Vec::new();
    for (k, &hi) in RAMP.iter().enumerate() {
        let t = start + k as u64 * PHASE_TICKS;
        overrides.push(at(t, Action::Latency(None, NET.latency_min_ticks, hi)));
    }
    let calm = start + RAMP.len() as u64 * PHASE_TICKS;
    overrides.push(at(
        calm,
        Action::Latency(None, NET.latency_min_ticks, NET.latency_max_ticks),
    ));
    let crash = calm + 200 + rng.range_inclusive(0, 150);
    let victim = rng.range_inclusive(1, u64::from(PEERS)) as NodeId;
    overrides.push(at(crash, Action::Crash(victim)));
    RunSpec {
        scenario: "failure-detector".to_string(),
        seed,
        overrides,
    }
}

/// When a run of `spec` ends: Y plus a margin after its last scripted event.
fn horizon(spec: &RunSpec) -> u64 {
    let last = spec
        .overrides
        .iter()
        .filter_map(|o| match o.at {
            When::Time(t) => Some(t),
            When::Step(_) => None,
        })
        .max()
        .unwrap_or(0);
    last + COMPLETENESS_TICKS + TAIL_TICKS
}

/// A violation with the peer it is about.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Found {
    /// The property, step and time.
    pub violation: Violation,
    /// The peer wrongly suspected, or crashed and not suspected.
    pub peer: NodeId,
    /// What went wrong, in a sentence or two.
    pub message: String,
    /// Events in the run up to the violation.
    pub events: usize,
}

fn monitor_view(sim: &Sim<Heartbeat>, peer: NodeId) -> Option<(u64, Vec<u64>)> {
    match sim.world_ref().state(MONITOR) {
        Some(State::Monitor(m)) => {
            let i = usize::from(peer);
            Some((m.timeout[i], m.gaps[i].clone()))
        }
        _ => None,
    }
}

fn show_gaps(gaps: &[u64]) -> String {
    let parts: Vec<String> = gaps.iter().map(ToString::to_string).collect();
    format!("[{}]", parts.join(", "))
}

/// Runs `spec` with `scenario` and judges both properties: completeness as the run goes,
/// accuracy by counting suspicions of peers that are up.
pub fn judge(scenario: &Scenario<Heartbeat>, spec: &RunSpec) -> Result<Option<Found>, SimError> {
    let options = SimOptions {
        record_trace: true,
        checkpoints: false,
        check_properties: true,
    };
    let end = horizon(spec);
    let mut sim = Sim::new(scenario.clone(), spec.clone(), options)?;
    let nodes = usize::from(scenario.nodes);
    let mut down = vec![false; nodes];
    let mut crashed_at = vec![0u64; nodes];
    let mut wrong = 0u64;
    let mut seen = 0;
    while sim.time() <= end && sim.step()? {
        let trace = sim.trace();
        let mut suspected_live = None;
        for ev in &trace[seen..] {
            match &ev.event {
                Event::Action(Action::Crash(n)) => {
                    down[usize::from(*n)] = true;
                    crashed_at[usize::from(*n)] = ev.t;
                }
                Event::Action(Action::Restart(n)) => down[usize::from(*n)] = false,
                Event::Note {
                    note: Note::Suspect(p),
                    ..
                } if !down[usize::from(*p)] => {
                    wrong += 1;
                    suspected_live = Some(*p);
                }
                _ => {}
            }
        }
        seen = trace.len();
        let step = sim.step_count();
        let time = sim.time();
        if let (Some(peer), true) = (suspected_live, wrong > FALSE_SUSPICIONS_MAX) {
            let (timeout, gaps) = monitor_view(&sim, peer).unwrap_or_default();
            return Ok(Some(Found {
                violation: Violation {
                    property: "accuracy".into(),
                    step,
                    time,
                },
                peer,
                message: format!(
                    "At t={time} the monitor suspected n{peer}, which was up: false suspicion \
                     {wrong} in this run, more than the {FALSE_SUSPICIONS_MAX} allowed. n{peer}'s \
                     timeout was {timeout} ticks; its recent gaps were {}.",
                    show_gaps(&gaps)
                ),
                events: seen,
            }));
        }
        if let Some(v) = sim.violation().cloned() {
            let w = sim.world_ref();
            let peer = (1..scenario.nodes)
                .find(|&p| {
                    down[usize::from(p)]
                        && !matches!(w.state(MONITOR), Some(State::Monitor(m)) if m.suspected[usize::from(p)])
                })
                .unwrap_or(1);
            let (timeout, gaps) = monitor_view(&sim, peer).unwrap_or_default();
            let crash = crashed_at[usize::from(peer)];
            return Ok(Some(Found {
                violation: v,
                peer,
                message: format!(
                    "n{peer} crashed at t={crash} and was still trusted at t={time}, more than \
                     {COMPLETENESS_TICKS} ticks later. Its timeout was {timeout} ticks after its \
                     last heartbeat; its last gaps were {}.",
                    show_gaps(&gaps)
                ),
                events: seen,
            }));
        }
    }
    Ok(None)
}

/// The event log of a run up to its violation, kept to the lines about `peer` (its heartbeats,
/// the monitor's verdicts on it, the scripted network changes and crash), the last
/// [`COUNTEREXAMPLE_LINES_MAX`] of them.
fn render(scenario: &Scenario<Heartbeat>, spec: &RunSpec, found: &Found) -> Vec<String> {
    let options = SimOptions {
        record_trace: true,
        checkpoints: false,
        check_properties: false,
    };
    let Ok(mut sim) = Sim::new(scenario.clone(), spec.clone(), options) else {
        return Vec::new();
    };
    if sim.run_steps(found.violation.step).is_err() {
        return Vec::new();
    }
    let peer = found.peer;
    let lines: Vec<String> = sim
        .trace()
        .iter()
        .filter(|ev| match &ev.event {
            Event::Send { from, to, .. }
            | Event::Recv { from, to, .. }
            | Event::Drop { from, to, .. }
            | Event::Dup { from, to, .. } => *from == peer || *to == peer,
            Event::Note {
                note: Note::Suspect(p) | Note::Trust(p),
                ..
            } => *p == peer,
            Event::Action(_) => true,
            _ => false,
        })
        .map(|ev| ev.line())
        .collect();
    let skip = lines.len().saturating_sub(COUNTEREXAMPLE_LINES_MAX);
    let mut out = Vec::with_capacity(lines.len() - skip + 1);
    if skip > 0 {
        out.push(format!("… {skip} earlier lines about n{peer}"));
    }
    out.extend(lines.into_iter().skip(skip));
    out
}

/// Most lines a counterexample shows.
pub const COUNTEREXAMPLE_LINES_MAX: usize = 40;

/// The first mistake a script made while deciding a timeout, kept while the run goes on (a
/// handler cannot stop the simulation) and reported once it ends.
type FirstError = Rc<RefCell<Option<ScriptError>>>;

/// The learner's `timeout(intervals)` as a policy. A script error or a value that is not a
/// non-negative integer is recorded in `error` and the initial timeout is used meanwhile.
fn script_policy(sandbox: Rc<Sandbox>, error: FirstError) -> heartbeat::Decide {
    Rc::new(move |gaps: &[u64]| {
        if error.borrow().is_some() {
            return INITIAL_TIMEOUT_TICKS;
        }
        let intervals: rhai::Array = gaps
            .iter()
            .map(|&g| Dynamic::from_int(i64::try_from(g).unwrap_or(i64::MAX)))
            .collect();
        let result = sandbox.call("timeout", (intervals,)).and_then(|value| {
            let shown = value.to_string();
            let kind = value.type_name();
            match value.as_int() {
                Ok(t) if t >= 0 => Ok(t as u64),
                Ok(t) => Err(wrong_result(
                    &sandbox,
                    format!("`timeout` returned {t}: a timeout is a number of ticks, 0 or more."),
                )),
                Err(_) => Err(wrong_result(
                    &sandbox,
                    format!(
                        "`timeout` returned {shown} (a {kind}): it must return an integer number of ticks."
                    ),
                )),
            }
        });
        match result {
            Ok(t) => t,
            Err(e) => {
                *error.borrow_mut() = Some(e);
                INITIAL_TIMEOUT_TICKS
            }
        }
    })
}

fn wrong_result(sandbox: &Sandbox, message: String) -> ScriptError {
    let mut error = ScriptError::new(ScriptErrorKind::WrongResult, message);
    error.line = sandbox.definition_line("timeout");
    error.column = error.line.map(|_| 1);
    error
}

/// Checks a learner's timeout policy over `options.seeds` runs.
pub fn check(
    challenge: &Challenge,
    source: &str,
    options: CheckOptions,
    progress: &mut dyn FnMut(u64, u64) -> bool,
) -> CheckReport {
    let report = |seeds_run, properties, verdict, printed| CheckReport {
        challenge: challenge.id.clone(),
        seeds_total: options.seeds,
        seeds_run,
        properties,
        verdict,
        printed,
    };
    let sandbox = match Sandbox::compile(source, &REQUIRED) {
        Ok(sandbox) => Rc::new(sandbox),
        Err(error) => {
            return report(
                0,
                outcomes(challenge, None, false),
                Verdict::ScriptError { error, seed: None },
                Vec::new(),
            )
        }
    };
    let error: FirstError = Rc::new(RefCell::new(None));
    let world = scenario(script_policy(sandbox.clone(), error.clone()));
    // A judged run and whether the script failed in it.
    let run = |spec: &RunSpec| -> Result<Option<Found>, Result<ScriptError, SimError>> {
        let found = judge(&world, spec).map_err(Err)?;
        match error.borrow_mut().take() {
            Some(e) => Err(Ok(e)),
            None => Ok(found),
        }
    };
    let script_error = |done, error, seed| {
        report(
            done,
            outcomes(challenge, None, false),
            Verdict::ScriptError {
                error,
                seed: Some(seed),
            },
            sandbox.printed().0,
        )
    };
    for done in 0..options.seeds {
        let seed = options.first_seed + done;
        let spec = spec(seed);
        let found = match run(&spec) {
            Ok(found) => found,
            Err(Ok(e)) => return script_error(done, e, seed),
            Err(Err(e)) => {
                // The runs are small and well formed: a limit here is our bug, reported
                // rather than hidden.
                let e = ScriptError::new(
                    ScriptErrorKind::Runtime,
                    format!("The simulation stopped: {e}"),
                );
                return script_error(done, e, seed);
            }
        };
        if let Some(found) = found {
            let property = found.violation.property.clone();
            let shrunk = shrink_with(&spec, &property, |candidate| {
                Ok(run(candidate).ok().flatten().map(|f| f.violation))
            });
            let (small_spec, small) = match shrunk {
                Ok(s) => match run(&s.spec) {
                    Ok(Some(f)) if f.violation.property == property => (s.spec, f),
                    _ => (spec.clone(), found.clone()),
                },
                Err(_) => (spec.clone(), found.clone()),
            };
            let failure = Failure {
                property: property.clone(),
                seed,
                message: small.message.clone(),
                events_before_shrinking: found.events,
                counterexample: render(&world, &small_spec, &small),
                replay: None,
                step: None,
            };
            return report(
                done + 1,
                outcomes(challenge, Some(&property), false),
                Verdict::Failed(failure),
                sandbox.printed().0,
            );
        }
        if !progress(done + 1, options.seeds) {
            return report(
                done + 1,
                outcomes(challenge, None, false),
                Verdict::Cancelled,
                sandbox.printed().0,
            );
        }
    }
    report(
        options.seeds,
        outcomes(challenge, None, true),
        Verdict::Passed,
        sandbox.printed().0,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::challenge::challenge;
    use crate::script::ScriptErrorKind;

    /// Seeds (of 0..200) on which `decide` fails completeness and accuracy.
    fn failures(decide: impl Fn(&[u64]) -> u64 + 'static) -> (Vec<u64>, Vec<u64>) {
        let world = scenario(Rc::new(decide));
        let (mut completeness, mut accuracy) = (Vec::new(), Vec::new());
        for seed in 0..200 {
            match judge(&world, &spec(seed)).unwrap() {
                Some(f) if f.violation.property == "completeness" => completeness.push(seed),
                Some(_) => accuracy.push(seed),
                None => {}
            }
        }
        (completeness, accuracy)
    }

    fn mean(g: &[u64]) -> u64 {
        g.iter().sum::<u64>() / g.len() as u64
    }

    fn deviation(g: &[u64]) -> u64 {
        let m = mean(g);
        g.iter().map(|&x| x.abs_diff(m)).sum::<u64>() / g.len() as u64
    }

    fn run(source: &str, seeds: u64) -> CheckReport {
        check(
            challenge("failure-detector").unwrap(),
            source,
            CheckOptions {
                seeds,
                first_seed: 0,
            },
            &mut |_, _| true,
        )
    }

    #[test]
    fn no_fixed_timeout_passes_and_an_adaptive_one_does() {
        for t in (10..=100).step_by(3) {
            let (completeness, accuracy) = failures(move |_| t);
            assert!(
                !completeness.is_empty() || !accuracy.is_empty(),
                "fixed {t} passes"
            );
            if t <= 30 {
                assert!(accuracy.len() > 100, "fixed {t}: {accuracy:?}");
            }
            if t >= 70 {
                assert_eq!(completeness.len(), 200, "fixed {t}");
            }
        }
        assert_eq!(
            failures(|g| mean(g) + 6 * deviation(g) + 20),
            (Vec::new(), Vec::new())
        );
        let (_, accuracy) = failures(mean);
        assert_eq!(accuracy.len(), 200, "the mean alone suspects in every run");
    }

    #[test]
    fn runs_are_deterministic_and_varied() {
        assert_eq!(spec(5), spec(5));
        assert_ne!(spec(5), spec(6));
        let world = scenario(Rc::new(|_: &[u64]| 30));
        assert_eq!(
            judge(&world, &spec(3)).unwrap(),
            judge(&world, &spec(3)).unwrap()
        );
        let c = challenge("failure-detector").unwrap();
        assert_eq!(run(&c.wrong[0].code, 40), run(&c.wrong[0].code, 40));
        assert_eq!(run(&c.reference, 20), run(&c.reference, 20));
    }

    #[test]
    fn a_string_instead_of_an_integer_is_a_clear_script_error() {
        let report = run("fn timeout(intervals) {\n    \"soon\"\n}", 5);
        let Verdict::ScriptError {
            error,
            seed: Some(0),
        } = report.verdict
        else {
            panic!("{:?}", report.verdict)
        };
        assert_eq!(error.kind, ScriptErrorKind::WrongResult);
        assert_eq!(error.line, Some(1));
        assert!(
            error.message.contains("soon") && error.message.contains("integer"),
            "{}",
            error.message
        );
    }

    #[test]
    fn a_negative_timeout_is_a_script_error() {
        let source = "fn timeout(intervals) {\n    let t = 25;\n    if intervals.len() > 5 { t = -1; }\n    t\n}";
        let report = run(source, 5);
        let Verdict::ScriptError {
            error,
            seed: Some(0),
        } = report.verdict
        else {
            panic!("{:?}", report.verdict)
        };
        assert_eq!(error.kind, ScriptErrorKind::WrongResult);
        assert!(error.message.contains("-1"), "{}", error.message);
    }

    #[test]
    fn a_runtime_error_in_the_script_is_reported_with_its_line() {
        let report = run("fn timeout(intervals) {\n    intervals[99]\n}", 3);
        let Verdict::ScriptError { error, .. } = report.verdict else {
            panic!("{:?}", report.verdict)
        };
        assert_eq!(
            (error.kind, error.line),
            (ScriptErrorKind::Runtime, Some(2))
        );
    }

    #[test]
    fn a_failure_is_shrunk_and_shown_as_the_event_log() {
        let c = challenge("failure-detector").unwrap();
        let huge = c
            .wrong
            .iter()
            .find(|w| w.violates == "completeness")
            .unwrap();
        let Verdict::Failed(failure) = run(&huge.code, 20).verdict else {
            panic!()
        };
        assert_eq!(failure.property, "completeness");
        // Only the crash is needed: the congestion overrides are shrunk away.
        assert!(
            failure
                .counterexample
                .iter()
                .all(|l| !l.contains("latency")),
            "{:#?}",
            failure.counterexample
        );
        assert!(
            failure.counterexample.iter().any(|l| l.contains("crash")),
            "{:#?}",
            failure.counterexample
        );
        assert!(failure.counterexample.len() <= COUNTEREXAMPLE_LINES_MAX + 1);
        assert!(failure.message.contains("crashed"), "{}", failure.message);
    }
}
