//! The vector-clock harness (chapter 1): random executions, the true happened-before relation,
//! and the learner's clocks checked against it.
//!
//! Lesson: Lamport (1978) defines happened-before (→) as the smallest relation containing
//! program order and send → receive, closed under transitivity. Vector clocks (Fidge 1988,
//! Mattern 1989) characterise it: a → b iff V(a) < V(b). The harness computes → directly from
//! the execution's structure, never from clocks, so it can judge any clock implementation.
//!
//! An execution has 2–4 processes and up to [`EVENTS_MAX`] events: local steps, sends, and
//! receives of in-flight messages in any order (the network reorders freely). Each seed draws
//! one execution from the engine's own PRNG.

use std::rc::Rc;

use rhai::Dynamic;

use super::harness::{Found, Harness, Script, Shown};
use crate::rng::Rng;
use crate::script::convert::{as_counts, ints, shown};
use crate::script::RequiredFn;

/// Most events in one generated execution (happened-before sets are `u64` bit masks).
pub const EVENTS_MAX: usize = 24;
/// Most processes in one generated execution.
pub const PROCESSES_MAX: usize = 4;

/// Mixed into the seed so that executions differ from other harnesses' runs of the same seed.
const GENERATOR_SALT: u64 = 0x5EC7_0C10_C4C1_0C45;

const REQUIRED: [RequiredFn; 4] = [
    RequiredFn {
        name: "on_local",
        params: &["clock", "me"],
    },
    RequiredFn {
        name: "on_send",
        params: &["clock", "me"],
    },
    RequiredFn {
        name: "on_receive",
        params: &["clock", "me", "message_clock"],
    },
    RequiredFn {
        name: "compare",
        params: &["a", "b"],
    },
];

/// What one event is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// A step with no message.
    Local,
    /// Sends message `message` to process `to`.
    Send {
        /// Recipient.
        to: usize,
        /// Message number, unique in the execution.
        message: usize,
    },
    /// Receives message `message`, sent by event `send`.
    Receive {
        /// Message number.
        message: usize,
        /// The index of the sending event.
        send: usize,
    },
}

/// One event of an execution.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Event {
    /// The process it happens on.
    pub process: usize,
    /// What it is.
    pub kind: Kind,
}

/// A generated execution: events in the order they happened in real time.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Execution {
    /// Number of processes.
    pub processes: usize,
    /// The events.
    pub events: Vec<Event>,
}

impl Execution {
    /// Draws an execution from `seed`.
    pub fn generate(seed: u64) -> Execution {
        let mut rng = Rng::new(seed ^ GENERATOR_SALT);
        let processes = rng.range_inclusive(2, PROCESSES_MAX as u64) as usize;
        let length = rng.range_inclusive(6, EVENTS_MAX as u64) as usize;
        let mut events = Vec::with_capacity(length);
        // (recipient, message, send event) for messages not yet received.
        let mut in_flight: Vec<(usize, usize, usize)> = Vec::new();
        let mut messages = 0;
        while events.len() < length {
            let process = rng.below(processes as u64) as usize;
            let waiting: Vec<usize> = (0..in_flight.len())
                .filter(|&i| in_flight[i].0 == process)
                .collect();
            let roll = rng.below(10);
            let kind = if !waiting.is_empty() && roll < 5 {
                let pick = waiting[rng.below(waiting.len() as u64) as usize];
                let (_, message, send) = in_flight.remove(pick);
                Kind::Receive { message, send }
            } else if roll < 8 {
                let to = (process + 1 + rng.below(processes as u64 - 1) as usize) % processes;
                messages += 1;
                in_flight.push((to, messages, events.len()));
                Kind::Send {
                    to,
                    message: messages,
                }
            } else {
                Kind::Local
            };
            events.push(Event { process, kind });
        }
        Execution { processes, events }
    }

    /// `before[i]`: the set of events that happened before event `i`, as a bit mask.
    pub fn happened_before(&self) -> Vec<u64> {
        let mut before = vec![0u64; self.events.len()];
        let mut last_on: Vec<Option<usize>> = vec![None; self.processes];
        for (i, event) in self.events.iter().enumerate() {
            let mut set = 0u64;
            if let Some(previous) = last_on[event.process] {
                set |= before[previous] | (1 << previous);
            }
            if let Kind::Receive { send, .. } = event.kind {
                set |= before[send] | (1 << send);
            }
            before[i] = set;
            last_on[event.process] = Some(i);
        }
        before
    }

    /// The execution without event `index` (and without the receive of a message it sent).
    fn without(&self, index: usize) -> Execution {
        let removed_message = match self.events[index].kind {
            Kind::Send { message, .. } => Some(message),
            _ => None,
        };
        let mut kept = Vec::with_capacity(self.events.len());
        let mut new_index = vec![usize::MAX; self.events.len()];
        for (i, event) in self.events.iter().enumerate() {
            let dropped = i == index
                || matches!(event.kind, Kind::Receive { message, .. } if Some(message) == removed_message);
            if !dropped {
                new_index[i] = kept.len();
                kept.push(*event);
            }
        }
        for event in &mut kept {
            if let Kind::Receive { send, .. } = &mut event.kind {
                *send = new_index[*send];
            }
        }
        Execution {
            processes: self.processes,
            events: kept,
        }
    }
}

/// The relation between two events (or clocks).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Relation {
    /// The first happened before the second.
    Before,
    /// The second happened before the first.
    After,
    /// The same event.
    Equal,
    /// Neither happened before the other.
    Concurrent,
}

impl Relation {
    fn as_str(self) -> &'static str {
        match self {
            Relation::Before => "before",
            Relation::After => "after",
            Relation::Equal => "equal",
            Relation::Concurrent => "concurrent",
        }
    }

    fn of_clocks(a: &[i64], b: &[i64]) -> Relation {
        let a_le_b = a.iter().zip(b).all(|(x, y)| x <= y);
        let b_le_a = a.iter().zip(b).all(|(x, y)| y <= x);
        match (a_le_b, b_le_a) {
            (true, true) => Relation::Equal,
            (true, false) => Relation::Before,
            (false, true) => Relation::After,
            (false, false) => Relation::Concurrent,
        }
    }

    fn of_events(before: &[u64], a: usize, b: usize) -> Relation {
        if a == b {
            Relation::Equal
        } else if before[b] & (1 << a) != 0 {
            Relation::Before
        } else if before[a] & (1 << b) != 0 {
            Relation::After
        } else {
            Relation::Concurrent
        }
    }
}

/// Correct clocks for an execution: the yardstick `compare` is judged with.
fn reference_clocks(execution: &Execution) -> Vec<Vec<i64>> {
    let mut clocks = vec![vec![0i64; execution.processes]; execution.processes];
    let mut stamps: Vec<Vec<i64>> = Vec::with_capacity(execution.events.len());
    for event in &execution.events {
        let p = event.process;
        if let Kind::Receive { send, .. } = event.kind {
            for (mine, theirs) in clocks[p].iter_mut().zip(&stamps[send]) {
                *mine = (*mine).max(*theirs);
            }
        }
        clocks[p][p] += 1;
        stamps.push(clocks[p].clone());
    }
    stamps
}

/// Why one execution fails. A script error is latched in the [`Script`] and reported by the
/// harness, whatever this says.
enum Outcome {
    Ok,
    Violation {
        property: &'static str,
        message: String,
        stamps: Vec<Vec<i64>>,
    },
}

fn to_dynamic(clock: &[i64]) -> Dynamic {
    ints(clock.iter().copied())
}

fn label(event: &Event) -> String {
    match event.kind {
        Kind::Local => "local step".to_string(),
        Kind::Send { to, message } => format!("send m{message} to P{to}"),
        Kind::Receive { message, .. } => format!("receive m{message}"),
    }
}

fn show(clock: &[i64]) -> String {
    let parts: Vec<String> = clock.iter().map(ToString::to_string).collect();
    format!("[{}]", parts.join(", "))
}

/// Runs the learner's functions over one execution and checks the three properties.
fn judge(script: &Script, execution: &Execution) -> Outcome {
    let n = execution.processes;
    let mut clocks = vec![vec![0i64; n]; n];
    let mut stamps: Vec<Vec<i64>> = Vec::with_capacity(execution.events.len());
    for (i, event) in execution.events.iter().enumerate() {
        let p = event.process;
        let me = p as i64;
        let current = to_dynamic(&clocks[p]);
        let (function, result) = match event.kind {
            Kind::Local => ("on_local", script.call("on_local", (current, me))),
            Kind::Send { .. } => ("on_send", script.call("on_send", (current, me))),
            Kind::Receive { send, .. } => (
                "on_receive",
                script.call("on_receive", (current, me, to_dynamic(&stamps[send]))),
            ),
        };
        let Some(value) = result else {
            return Outcome::Ok;
        };
        let shown = shown(&value);
        let Some(clock) = as_counts(value, n) else {
            return Outcome::Violation {
                property: "well-formed",
                message: format!(
                    "e{} (P{p}, {}): `{function}` returned {shown}, not an array of {n} non-negative integers.",
                    i + 1,
                    label(event)
                ),
                stamps,
            };
        };
        clocks[p] = clock.clone();
        stamps.push(clock);
    }
    let before = execution.happened_before();
    let len = execution.events.len();
    for a in 0..len {
        for b in 0..len {
            if a == b {
                continue;
            }
            let truth = Relation::of_events(&before, a, b);
            let claimed = Relation::of_clocks(&stamps[a], &stamps[b]);
            if (truth == Relation::Before) != (claimed == Relation::Before) {
                let message = if truth == Relation::Before {
                    format!(
                        "e{} happened before e{}, but their clocks {} and {} say {}.",
                        a + 1,
                        b + 1,
                        show(&stamps[a]),
                        show(&stamps[b]),
                        claimed.as_str()
                    )
                } else {
                    format!(
                        "e{} and e{} are {} in happened-before terms, but their clocks {} < {} claim e{} came first.",
                        a + 1,
                        b + 1,
                        truth.as_str(),
                        show(&stamps[a]),
                        show(&stamps[b]),
                        a + 1
                    )
                };
                return Outcome::Violation {
                    property: "characterises-causality",
                    message,
                    stamps,
                };
            }
        }
    }
    let reference = reference_clocks(execution);
    for a in 0..len {
        for b in 0..len {
            let truth = Relation::of_events(&before, a, b);
            let Some(answer) = script.call(
                "compare",
                (to_dynamic(&reference[a]), to_dynamic(&reference[b])),
            ) else {
                return Outcome::Ok;
            };
            if answer.clone().into_string().ok().as_deref() != Some(truth.as_str()) {
                return Outcome::Violation {
                    property: "compare-is-exact",
                    message: format!(
                        "compare({}, {}) returned {answer}, but e{} and e{} are {}.",
                        show(&reference[a]),
                        show(&reference[b]),
                        a + 1,
                        b + 1,
                        truth.as_str()
                    ),
                    stamps,
                };
            }
        }
    }
    Outcome::Ok
}

/// The event log of an execution with the learner's clocks, one line per event.
fn render(execution: &Execution, stamps: &[Vec<i64>]) -> Vec<String> {
    execution
        .events
        .iter()
        .enumerate()
        .map(|(i, event)| {
            let clock = stamps
                .get(i)
                .map_or_else(|| "(not stamped)".to_string(), |c| show(c));
            format!(
                "e{:<3} P{}  {:<20} clock {clock}",
                i + 1,
                event.process,
                label(event)
            )
        })
        .collect()
}

/// The vector-clock harness: a case is a generated execution.
pub struct VectorClocks;

impl Harness for VectorClocks {
    type Installed = Rc<Script>;
    type Case = Execution;

    fn required(&self) -> &'static [RequiredFn] {
        &REQUIRED
    }
    fn properties(&self) -> Vec<&'static str> {
        vec!["well-formed", "characterises-causality", "compare-is-exact"]
    }
    fn install(&self, script: Rc<Script>) -> Rc<Script> {
        script
    }
    fn case(&self, _: &Rc<Script>, seed: u64) -> Execution {
        Execution::generate(seed)
    }
    fn judge(&self, script: &Rc<Script>, execution: &Execution) -> Result<Option<Found>, String> {
        Ok(match judge(script, execution) {
            Outcome::Ok => None,
            Outcome::Violation {
                property, message, ..
            } => Some(Found {
                property: property.to_string(),
                message: Some(message),
                size: execution.events.len(),
                step: None,
                unknown: None,
            }),
        })
    }
    /// The execution without one event (and the receive of a message it sent), from the last
    /// event to the first.
    fn smaller(&self, execution: &Execution) -> Vec<Execution> {
        (0..execution.events.len())
            .rev()
            .map(|index| execution.without(index))
            .filter(|candidate| !candidate.events.is_empty())
            .collect()
    }
    fn show(&self, script: &Rc<Script>, execution: &Execution, found: &Found, _: &str) -> Shown {
        let (message, stamps) = match judge(script, execution) {
            Outcome::Violation {
                message, stamps, ..
            } => (message, stamps),
            Outcome::Ok => (found.message.clone().unwrap_or_default(), Vec::new()),
        };
        Shown {
            message,
            counterexample: render(execution, &stamps),
            replay: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::challenge::{CheckOptions, Verdict};

    /// Lamport 1978: happened-before is program order plus send → receive, transitively.
    #[test]
    fn happened_before_follows_program_order_and_messages_transitively() {
        // P0: e0 send m1 to P1; P1: e1 local, e2 receive m1, e3 send m2 to P2; P2: e4 receive m2.
        let execution = Execution {
            processes: 3,
            events: vec![
                Event {
                    process: 0,
                    kind: Kind::Send { to: 1, message: 1 },
                },
                Event {
                    process: 1,
                    kind: Kind::Local,
                },
                Event {
                    process: 1,
                    kind: Kind::Receive {
                        message: 1,
                        send: 0,
                    },
                },
                Event {
                    process: 1,
                    kind: Kind::Send { to: 2, message: 2 },
                },
                Event {
                    process: 2,
                    kind: Kind::Receive {
                        message: 2,
                        send: 3,
                    },
                },
            ],
        };
        let before = execution.happened_before();
        assert_eq!(
            Relation::of_events(&before, 0, 4),
            Relation::Before,
            "transitive through P1"
        );
        assert_eq!(Relation::of_events(&before, 0, 1), Relation::Concurrent);
        assert_eq!(Relation::of_events(&before, 4, 1), Relation::After);
        let clocks = reference_clocks(&execution);
        assert_eq!(clocks[4], vec![1, 3, 1]);
        for a in 0..5 {
            for b in 0..5 {
                assert_eq!(
                    Relation::of_clocks(&clocks[a], &clocks[b]),
                    Relation::of_events(&before, a, b),
                    "reference clocks characterise causality ({a}, {b})"
                );
            }
        }
    }

    #[test]
    fn generated_executions_are_deterministic_varied_and_within_limits() {
        assert_eq!(Execution::generate(7), Execution::generate(7));
        assert_ne!(Execution::generate(7), Execution::generate(8));
        for seed in 0..500 {
            let execution = Execution::generate(seed);
            assert!(execution.events.len() <= EVENTS_MAX);
            assert!((2..=PROCESSES_MAX).contains(&execution.processes));
            for (i, event) in execution.events.iter().enumerate() {
                if let Kind::Receive { send, message } = event.kind {
                    assert!(send < i);
                    assert!(
                        matches!(execution.events[send].kind, Kind::Send { message: m, to } if m == message && to == event.process)
                    );
                }
            }
        }
        let receives = (0..200)
            .flat_map(|seed| Execution::generate(seed).events)
            .filter(|e| matches!(e.kind, Kind::Receive { .. }))
            .count();
        assert!(
            receives > 200,
            "executions exchange messages ({receives} receives)"
        );
    }

    #[test]
    fn removing_a_send_removes_its_receive() {
        let execution = Execution::generate(3);
        let send = execution
            .events
            .iter()
            .position(|e| matches!(e.kind, Kind::Send { .. }))
            .unwrap();
        let smaller = execution.without(send);
        for (i, event) in smaller.events.iter().enumerate() {
            if let Kind::Receive { send, .. } = event.kind {
                assert!(send < i && matches!(smaller.events[send].kind, Kind::Send { .. }));
            }
        }
    }

    #[test]
    fn a_function_that_returns_nothing_is_shown_as_unit() {
        let challenge = super::super::challenge("vector-clocks").unwrap();
        let forgot = challenge.reference.replacen("    clock\n}", "}", 1);
        assert_ne!(
            forgot, challenge.reference,
            "the reference ends on_local with `clock`"
        );
        let report = super::super::check(
            challenge,
            &forgot,
            CheckOptions {
                seeds: 5,
                first_seed: 0,
            },
            &mut |_, _| true,
        );
        let Verdict::Failed(failure) = report.verdict else {
            panic!("{:?}", report.verdict)
        };
        assert_eq!(failure.property, "well-formed");
        assert!(
            failure.message.contains("returned (), not an array"),
            "{}",
            failure.message
        );
    }

    #[test]
    fn a_failure_is_shrunk_to_a_few_events_and_explained() {
        let challenge = super::super::challenge("vector-clocks").unwrap();
        let no_merge = &challenge.wrong[0].code;
        let report = super::super::check(
            challenge,
            no_merge,
            CheckOptions {
                seeds: 50,
                first_seed: 0,
            },
            &mut |_, _| true,
        );
        let Verdict::Failed(failure) = report.verdict else {
            panic!("{:?}", report.verdict)
        };
        assert_eq!(failure.property, "characterises-causality");
        // Smallest witness: a send and its receive (the receive's clock ignores the sender).
        assert_eq!(
            failure.counterexample.len(),
            2,
            "{:#?}",
            failure.counterexample
        );
        assert!(
            failure.message.contains("happened before"),
            "{}",
            failure.message
        );
        assert!(
            failure.counterexample[0].contains("send m"),
            "{:?}",
            failure.counterexample
        );
    }
}
