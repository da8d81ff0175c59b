//! The one boundary between the engine and the app: commands in, a [`WorldView`] out, both
//! plain serde data, for any protocol.
//!
//! Invariant: the app never sees a protocol type. [`DynSim`] erases the protocol, a
//! [`Session`] owns one, and everything it returns is serializable data the UI renders
//! generically.

use crate::error::SimError;
use crate::hash::hex;
use crate::limits::TRACE_WINDOW_LINES_MAX;
use crate::sim::protocol::{NodeId, NodeView, Protocol};
use crate::sim::scenario::{AnyScenario, ScenarioInfo};
use crate::sim::spec::{Action, RunSpec};
use crate::sim::trace::{Event, TraceEvent};
use crate::sim::world::{LinkCfg, PropKind, Sim, Status, Violation};

/// One node as the UI shows it.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct NodeInfo {
    /// Node id.
    pub id: NodeId,
    /// Up, down or paused.
    pub status: Status,
    /// The node's local clock now.
    pub local_time: u64,
    /// Clock skew in ticks.
    pub skew_ticks: i64,
    /// Clock drift in parts per million.
    pub drift_ppm: i32,
    /// Armed timers, the next to fire first.
    pub timers: Vec<TimerInfo>,
    /// The protocol's view of the node's state (`None` while down).
    pub view: Option<NodeView>,
}

/// A timer a node has armed.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct TimerInfo {
    /// Its label, e.g. `Election`.
    pub label: String,
    /// True time it was last (re-)armed.
    pub armed_at: u64,
    /// True time it fires.
    pub fires_at: u64,
}

/// A message in flight.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct MessageInfo {
    /// Message id (use it to deliver or drop by hand).
    pub id: u64,
    /// Sender.
    pub from: NodeId,
    /// Receiver.
    pub to: NodeId,
    /// True send time.
    pub sent_at: u64,
    /// True time it is due.
    pub deliver_at: u64,
    /// One-line label.
    pub label: String,
    /// Its kind: an index into the scenario's [`crate::sim::scenario::ScenarioInfo::kinds`],
    /// `None` when the protocol declares no kind of that name.
    #[serde(default)]
    pub kind: Option<u8>,
}

/// A directed link.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct LinkInfo {
    /// Sender side.
    pub from: NodeId,
    /// Receiver side.
    pub to: NodeId,
    /// True when cut by a partition.
    pub cut: bool,
    /// Latency, loss, duplication.
    pub config: LinkCfg,
}

/// A property's status.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct PropertyInfo {
    /// Name.
    pub name: String,
    /// Always or eventually.
    pub kind: PropKind,
    /// True when it is the violated one.
    pub violated: bool,
}

/// What an event is on a space-time (Lamport) diagram.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum SpacetimeKind {
    /// Sent message `id` to `to`.
    Send {
        /// Receiver.
        to: NodeId,
        /// Message id.
        id: u64,
    },
    /// Received message `id` from `from`.
    Recv {
        /// Sender.
        from: NodeId,
        /// Message id.
        id: u64,
    },
    /// Message `id` was lost on its way here.
    Drop {
        /// Message id.
        id: u64,
    },
    /// Anything else at the node: a timer, a note, a request, a crash.
    Local,
}

/// Where a trace line happened, so the view can act just before or just after it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct TraceMark {
    /// Steps completed before the line's step: seek here for the run just before it, one
    /// more for just after.
    pub step: u64,
    /// The node it happened at (a message's sender for a send, its receiver for a receive).
    pub node: Option<NodeId>,
    /// Whether the line is a message sent or received.
    pub message: bool,
}

/// One event of the trace window, placed on its node's line in time.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SpacetimeEvent {
    /// True time (ticks).
    pub t: u64,
    /// The node it happened at.
    pub node: NodeId,
    /// What it is.
    pub kind: SpacetimeKind,
    /// Its event-log line.
    pub line: String,
}

fn spacetime_event<P: Protocol>(event: &TraceEvent<P>) -> Option<SpacetimeEvent> {
    let (node, kind) = match &event.event {
        Event::Send { from, to, id, .. } | Event::Dup { from, to, id, .. } => {
            (*from, SpacetimeKind::Send { to: *to, id: *id })
        }
        Event::Recv { from, to, id, .. } => (
            *to,
            SpacetimeKind::Recv {
                from: *from,
                id: *id,
            },
        ),
        Event::Drop { to, id, .. } => (*to, SpacetimeKind::Drop { id: *id }),
        _ => (event.node()?, SpacetimeKind::Local),
    };
    Some(SpacetimeEvent {
        t: event.t,
        node,
        kind,
        line: event.line(),
    })
}

/// A snapshot of the world for the UI.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct WorldView {
    /// Scenario id.
    pub scenario: String,
    /// Seed.
    pub seed: u64,
    /// Steps run.
    pub step: u64,
    /// True simulated time.
    pub time: u64,
    /// Nodes by id.
    pub nodes: Vec<NodeInfo>,
    /// Messages in flight by id.
    pub messages: Vec<MessageInfo>,
    /// Every ordered link.
    pub links: Vec<LinkInfo>,
    /// Properties and whether one failed.
    pub properties: Vec<PropertyInfo>,
    /// The first violation, if any.
    pub violation: Option<Violation>,
    /// Trace events so far.
    pub trace_len: usize,
    /// Index of the first line in `trace`.
    pub trace_start: usize,
    /// A window of trace lines ending at the current step.
    pub trace: Vec<String>,
    /// For each line of `trace`, where it happened: the steps before it and its node.
    pub trace_marks: Vec<TraceMark>,
    /// The trace hash so far, 16 hex digits.
    pub trace_hash: String,
    /// True when nothing is left to happen.
    pub quiescent: bool,
    /// The spec as a URL token, to share the run.
    pub token: String,
    /// The trace window's events for the space-time diagram (same window as `trace`).
    pub spacetime: Vec<SpacetimeEvent>,
    /// The protocol's panels (e.g. a Raft log grid).
    pub panels: Vec<crate::sim::panel::Panel>,
    /// Every live option's current choice: (name, choice), in the protocol's order.
    pub options: Vec<(String, String)>,
    /// A client request this run sends (its first), as an example for the view's request box;
    /// `None` when the scenario's nodes take no requests in this run.
    pub example_request: Option<String>,
}

/// A simulation with its protocol erased.
pub trait DynSim {
    /// One step; false when the run has ended.
    fn step(&mut self) -> Result<bool, SimError>;
    /// Up to `steps` steps; returns how many ran.
    fn run_steps(&mut self, steps: u64) -> Result<u64, SimError>;
    /// Run until the next event is later than `time`.
    fn run_until_time(&mut self, time: u64, stop_on_violation: bool) -> Result<(), SimError>;
    /// Go to a step (backwards too).
    fn seek(&mut self, step: u64) -> Result<(), SimError>;
    /// Apply an action by hand at the current step.
    fn apply_now(&mut self, action: Action) -> Result<(), SimError>;
    /// Report eventually-properties that never held after the heal.
    fn finish_liveness(&mut self);
    /// Steps run.
    fn step_count(&self) -> u64;
    /// True time.
    fn time(&self) -> u64;
    /// Trace hash so far.
    fn trace_hash(&self) -> u64;
    /// Trace events so far.
    fn trace_len(&self) -> usize;
    /// Text lines of recorded trace events `from..to`.
    fn trace_lines(&self, from: usize, to: usize) -> Vec<String>;
    /// JSON forms of recorded trace events `from..to`.
    fn trace_json(&self, from: usize, to: usize) -> Vec<serde_json::Value>;
    /// First violation.
    fn violation(&self) -> Option<Violation>;
    /// Time of the heal-all, if any.
    fn healed_at(&self) -> Option<u64>;
    /// The spec.
    fn spec(&self) -> &RunSpec;
    /// A snapshot with up to `window` trace lines.
    fn view(&self, window: usize) -> WorldView;
    /// Rough bytes per checkpoint.
    fn checkpoint_bytes(&self) -> usize;
    /// Checkpoints held.
    fn checkpoint_count(&self) -> usize;
    /// Nothing left to happen.
    fn is_quiescent(&self) -> bool;
    /// The scenario's listing (its title, description and properties).
    fn info(&self) -> ScenarioInfo;
}

impl<P: Protocol> DynSim for Sim<P> {
    fn step(&mut self) -> Result<bool, SimError> {
        Sim::step(self)
    }
    fn run_steps(&mut self, steps: u64) -> Result<u64, SimError> {
        Sim::run_steps(self, steps)
    }
    fn run_until_time(&mut self, time: u64, stop: bool) -> Result<(), SimError> {
        Sim::run_until_time(self, time, stop)
    }
    fn seek(&mut self, step: u64) -> Result<(), SimError> {
        Sim::seek(self, step)
    }
    fn apply_now(&mut self, action: Action) -> Result<(), SimError> {
        Sim::apply_now(self, action)
    }
    fn finish_liveness(&mut self) {
        Sim::finish_liveness(self)
    }
    fn step_count(&self) -> u64 {
        Sim::step_count(self)
    }
    fn time(&self) -> u64 {
        Sim::time(self)
    }
    fn trace_hash(&self) -> u64 {
        Sim::trace_hash(self)
    }
    fn trace_len(&self) -> usize {
        Sim::trace_len(self)
    }
    fn trace_lines(&self, from: usize, to: usize) -> Vec<String> {
        let t = self.trace();
        let to = to.min(t.len());
        t[from.min(to)..to].iter().map(|e| e.line()).collect()
    }
    fn trace_json(&self, from: usize, to: usize) -> Vec<serde_json::Value> {
        let t = self.trace();
        let to = to.min(t.len());
        t[from.min(to)..to].iter().map(|e| e.json()).collect()
    }
    fn violation(&self) -> Option<Violation> {
        Sim::violation(self).cloned()
    }
    fn healed_at(&self) -> Option<u64> {
        Sim::healed_at(self)
    }
    fn spec(&self) -> &RunSpec {
        Sim::spec(self)
    }
    fn checkpoint_bytes(&self) -> usize {
        Sim::checkpoint_bytes(self)
    }
    fn checkpoint_count(&self) -> usize {
        Sim::checkpoint_count(self)
    }
    fn is_quiescent(&self) -> bool {
        Sim::is_quiescent(self)
    }
    fn info(&self) -> ScenarioInfo {
        AnyScenario::info(self.scenario())
    }
    fn view(&self, window: usize) -> WorldView {
        let window = window.min(TRACE_WINDOW_LINES_MAX);
        let recorded = self.trace().len();
        let start = recorded.saturating_sub(window);
        let violation = Sim::violation(self).cloned();
        WorldView {
            scenario: self.spec().scenario.clone(),
            seed: self.spec().seed,
            step: Sim::step_count(self),
            time: Sim::time(self),
            nodes: self.node_views(),
            messages: self.messages(),
            links: self.links(),
            properties: self
                .scenario()
                .properties
                .iter()
                .map(|p| PropertyInfo {
                    name: p.name.to_string(),
                    kind: p.kind,
                    violated: violation.as_ref().is_some_and(|v| v.property == p.name),
                })
                .collect(),
            violation,
            trace_len: Sim::trace_len(self),
            trace_start: start,
            trace: self.trace_lines(start, recorded),
            trace_marks: self.trace()[start..]
                .iter()
                .zip(&self.trace_steps()[start..])
                .map(|(e, &step)| TraceMark {
                    step,
                    node: e.node(),
                    message: matches!(e.event, Event::Send { .. } | Event::Recv { .. }),
                })
                .collect(),
            trace_hash: hex(Sim::trace_hash(self)),
            quiescent: Sim::is_quiescent(self),
            token: self.spec().to_url_token(),
            spacetime: self.trace()[start..]
                .iter()
                .filter_map(spacetime_event)
                .collect(),
            panels: self.scenario().protocol.panels(&self.world_ref()),
            options: self
                .world_ref()
                .option_choices()
                .into_iter()
                .map(|(n, c)| (n.to_string(), c.to_string()))
                .collect(),
            example_request: self.spec().overrides.iter().find_map(|o| match &o.action {
                crate::sim::spec::Action::Request(_, text) => Some(text.clone()),
                _ => None,
            }),
        }
    }
}

/// A command from the app.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Command {
    /// Run this many steps forward.
    Step(u64),
    /// Go this many steps back.
    StepBack(u64),
    /// Go to this step.
    Seek(u64),
    /// Run until true time reaches this.
    RunUntil(u64),
    /// Apply a hand-made action at the current step.
    Apply(Action),
    /// Set a network parameter on every link: `loss_ppm`, `dup_ppm`, `latency_min_ticks` or
    /// `latency_max_ticks`.
    SetParam {
        /// Parameter name.
        name: String,
        /// New value.
        value: u64,
    },
}

/// An interactive simulation: the app's handle.
pub struct Session {
    sim: Box<dyn DynSim>,
    window: usize,
}

impl Session {
    /// A session on a simulation: a registered scenario's (`crate::scenarios::session`) or one
    /// built elsewhere (e.g. a challenge's run with the learner's code in place).
    pub fn from_sim(sim: Box<dyn DynSim>) -> Session {
        Session { sim, window: 200 }
    }

    /// How many trace lines views carry (at most [`TRACE_WINDOW_LINES_MAX`]).
    pub fn set_trace_window(&mut self, lines: usize) {
        self.window = lines.min(TRACE_WINDOW_LINES_MAX);
    }

    /// Carry out a command and return the new snapshot.
    pub fn run(&mut self, command: Command) -> Result<WorldView, SimError> {
        match command {
            Command::Step(n) => {
                self.sim.run_steps(n)?;
            }
            Command::StepBack(n) => {
                let target = self.sim.step_count().saturating_sub(n);
                self.sim.seek(target)?;
            }
            Command::Seek(s) => self.sim.seek(s)?,
            Command::RunUntil(t) => self.sim.run_until_time(t, false)?,
            Command::Apply(action) => self.sim.apply_now(action)?,
            Command::SetParam { name, value } => {
                let action = param_action(&name, value, &self.view())?;
                self.sim.apply_now(action)?;
            }
        }
        Ok(self.view())
    }

    /// The listing of the scenario this session runs (registered or not).
    pub fn info(&self) -> ScenarioInfo {
        self.sim.info()
    }

    /// The current snapshot.
    pub fn view(&self) -> WorldView {
        self.sim.view(self.window)
    }

    /// Trace lines `from..to` (clamped to what is recorded), for scrolling the event log.
    pub fn trace_lines(&self, from: usize, to: usize) -> Vec<String> {
        self.sim.trace_lines(from, to)
    }

    /// The run so far as a spec (share it with [`RunSpec::to_url_token`]).
    pub fn spec(&self) -> &RunSpec {
        self.sim.spec()
    }

    /// The erased simulation, for tools that need more than views.
    pub fn sim(&self) -> &dyn DynSim {
        self.sim.as_ref()
    }
}

fn param_action(name: &str, value: u64, view: &WorldView) -> Result<Action, SimError> {
    let ppm = || {
        u32::try_from(value)
            .ok()
            .filter(|v| *v <= crate::limits::PPM_ONE)
            .ok_or_else(|| SimError::BadCommand(format!("{name} must be 0..=1000000")))
    };
    let first = view.links.first().map(|l| l.config);
    let (lo, hi) = first.map_or((1, 1), |c| (c.latency_min_ticks, c.latency_max_ticks));
    Ok(match name {
        "loss_ppm" => Action::Loss(None, ppm()?),
        "dup_ppm" => Action::Dup(None, ppm()?),
        "latency_min_ticks" => Action::Latency(None, value, hi.max(value)),
        "latency_max_ticks" => Action::Latency(None, lo.min(value), value),
        other => {
            return Err(SimError::BadCommand(format!(
                "unknown parameter '{other}' (known: loss_ppm, dup_ppm, latency_min_ticks, latency_max_ticks)"
            )))
        }
    })
}
