//! The deterministic simulator: one world of nodes, an event queue, a network and clocks, driven
//! one step (one event) at a time, with checkpoints for time travel.
//!
//! Invariants:
//! - A run is a pure function of (scenario, seed, overrides): the queue orders events by
//!   (time, sequence number), every random choice comes from the world's own [`Rng`], and all
//!   state lives in `Vec`s indexed by node id or message slot.
//! - The state at step `k` includes the overrides scheduled at step `k`, and `seek(k)` yields
//!   exactly the world a fresh run reaches at `k` (it restores the checkpoint at or before `k`
//!   and replays at most [`CHECKPOINT_INTERVAL_STEPS`] steps).
//! - The trace is append-only and deterministic: replaying a prefix reproduces the same events,
//!   so the recorded trace is shared between replays and only truncated when a new override
//!   changes the future.

use std::cmp::Ordering;
use std::collections::BinaryHeap;

use crate::error::SimError;
use crate::hash::{Canon, Fnv64};
use crate::limits::*;
use crate::rng::Rng;
use crate::sim::protocol::{check_option, Ctx, Effect, NodeId, Protocol};
use crate::sim::session::{LinkInfo, MessageInfo, NodeInfo, TimerInfo};
use crate::sim::spec::{validate_override, Action, LinkSel, Override, RunSpec, When};
use crate::sim::trace::{DropReason, Event, TraceEvent};

/// A link's behaviour. Latency is uniform in `latency_min_ticks..=latency_max_ticks`, plus with
/// probability `spike_ppm` an extra uniform `1..=spike_ticks_max` (a latency spike).
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct LinkCfg {
    /// Smallest one-way latency.
    pub latency_min_ticks: u64,
    /// Largest one-way latency before spikes.
    pub latency_max_ticks: u64,
    /// Loss probability.
    pub loss_ppm: u32,
    /// Duplication probability.
    pub dup_ppm: u32,
    /// Spike probability.
    pub spike_ppm: u32,
    /// Largest extra spike latency.
    pub spike_ticks_max: u64,
}

impl LinkCfg {
    /// A reliable link with latency `lo..=hi`.
    pub const fn calm(lo: u64, hi: u64) -> LinkCfg {
        LinkCfg {
            latency_min_ticks: lo,
            latency_max_ticks: hi,
            loss_ppm: 0,
            dup_ppm: 0,
            spike_ppm: 0,
            spike_ticks_max: 0,
        }
    }
}

/// Whether a node runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Status {
    /// Running.
    Up,
    /// Crashed: volatile state lost, messages to it dropped.
    Down,
    /// Frozen: events for it wait.
    Paused,
}

/// Whether a property must hold always or eventually.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum PropKind {
    /// Safety: checked after every step.
    Always,
    /// Liveness: after faults stop (a [`Action::HealAll`]), must hold at some step within this
    /// many ticks.
    EventuallyWithin(u64),
}

/// A named claim about a run: a predicate over the world checked after every step, or a
/// monitor that sees the trace as it grows.
pub struct Property<P: Protocol> {
    /// Name, e.g. `no-duplicate-effects`.
    pub name: &'static str,
    /// Always or eventually. A monitor decides its own deadlines; an eventually-monitor only
    /// lengthens the horizon a checked run goes to.
    pub kind: PropKind,
    /// How the claim is judged.
    pub check: Check<P>,
}

/// How a [`Property`] is judged.
pub enum Check<P: Protocol> {
    /// A predicate over the world, checked after every step (or, for an eventually-property,
    /// after the heal-all until it holds once).
    State(fn(&WorldRef<'_, P>) -> bool),
    /// A history monitor, made fresh for each run (see [`Monitor`]).
    Monitor(fn() -> Box<dyn Monitor<P>>),
}

impl<P: Protocol> Clone for Check<P> {
    fn clone(&self) -> Self {
        match self {
            Check::State(f) => Check::State(*f),
            Check::Monitor(make) => Check::Monitor(*make),
        }
    }
}

impl<P: Protocol> Clone for Property<P> {
    fn clone(&self) -> Self {
        Property {
            name: self.name,
            kind: self.kind,
            check: self.check.clone(),
        }
    }
}

impl<P: Protocol> Property<P> {
    /// Safety: `holds` after every step.
    pub fn always(name: &'static str, holds: fn(&WorldRef<'_, P>) -> bool) -> Self {
        Property {
            name,
            kind: PropKind::Always,
            check: Check::State(holds),
        }
    }

    /// Liveness: once faults stop (a heal-all), `holds` at some step within `within_ticks`.
    pub fn eventually(
        name: &'static str,
        within_ticks: u64,
        holds: fn(&WorldRef<'_, P>) -> bool,
    ) -> Self {
        Property {
            name,
            kind: PropKind::EventuallyWithin(within_ticks),
            check: Check::State(holds),
        }
    }

    /// A history monitor (see [`Monitor`]): `kind` says what it claims, `make` builds one for a
    /// run.
    pub fn monitor(name: &'static str, kind: PropKind, make: fn() -> Box<dyn Monitor<P>>) -> Self {
        Property {
            name,
            kind,
            check: Check::Monitor(make),
        }
    }
}

/// A property judged on the run's *history*: it sees every trace event in order, as it is
/// recorded (whether or not the trace is kept), and may fail at any event or at the end of the
/// run. What a predicate over one world state cannot say — "at most two false suspicions per
/// run", "every crashed peer is suspected within Y ticks of its crash", "the money moved by
/// committed transfers adds up" — a monitor can, keeping whatever it needs as it goes.
///
/// A monitor is part of the world's state: it is cloned into checkpoints, so seeking back and
/// forth in a run gives the same verdicts as the first pass. It must be deterministic.
///
/// ```
/// use engine::protocols::heartbeat::{Heartbeat, Note};
/// use engine::sim::spec::Action;
/// use engine::sim::trace::{Event, TraceEvent};
/// use engine::sim::world::{Monitor, PropKind, Property, WorldRef};
///
/// /// Fails the run at the third suspicion of any peer.
/// #[derive(Clone, Default)]
/// struct AtMostTwoSuspicions(u32);
///
/// impl Monitor<Heartbeat> for AtMostTwoSuspicions {
///     fn on_event(&mut self, ev: &TraceEvent<Heartbeat>, _: &WorldRef<'_, Heartbeat>) -> Result<(), String> {
///         if let Event::Note { note: Note::Suspect(p), .. } = &ev.event {
///             self.0 += 1;
///             if self.0 > 2 {
///                 return Err(format!("n{p} is suspicion number {} of this run", self.0));
///             }
///         }
///         Ok(())
///     }
///     fn clone_box(&self) -> Box<dyn Monitor<Heartbeat>> {
///         Box::new(self.clone())
///     }
/// }
///
/// let property = Property::monitor("few-suspicions", PropKind::Always, || {
///     Box::new(AtMostTwoSuspicions::default())
/// });
/// # let _ = property;
/// ```
pub trait Monitor<P: Protocol>: 'static {
    /// Sees one trace event, with the world as it is when the event is recorded. `Err` fails
    /// the property at this step, with the message saying what went wrong.
    fn on_event(&mut self, event: &TraceEvent<P>, world: &WorldRef<'_, P>) -> Result<(), String>;
    /// Sees the world at the end of each step, once the monitor has seen all of the step's
    /// events: for a claim about the state a step leaves, judged with what the events taught
    /// (e.g. what the messages on the wire carry). `Err` fails the property at this step.
    fn after_step(&mut self, _world: &WorldRef<'_, P>) -> Result<(), String> {
        Ok(())
    }
    /// Sees the end of the run (its horizon in a check). `Err` fails the property there.
    fn at_end(&mut self, _world: &WorldRef<'_, P>) -> Result<(), String> {
        Ok(())
    }
    /// After [`Monitor::at_end`] passed: why the monitor could not decide (a search that ran
    /// out of budget), if it could not. A run whose monitor is undecided has not shown the
    /// property holds; a check reports it as unknown, never as passed. Default: decided.
    fn undecided(&self) -> Option<String> {
        None
    }
    /// A copy, for checkpoints.
    fn clone_box(&self) -> Box<dyn Monitor<P>>;
}

/// One monitor's state in the world.
struct Watch<P: Protocol> {
    /// The property's index in the scenario.
    property: usize,
    monitor: Box<dyn Monitor<P>>,
}

impl<P: Protocol> Clone for Watch<P> {
    fn clone(&self) -> Self {
        Watch {
            property: self.property,
            monitor: self.monitor.clone_box(),
        }
    }
}

/// A property that failed.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Violation {
    /// Property name.
    pub property: String,
    /// Step after which it was seen to fail.
    pub step: u64,
    /// True time then.
    pub time: u64,
    /// What a monitor said went wrong (predicates say nothing beyond their name).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

/// How much to record.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SimOptions {
    /// Keep trace events (otherwise only the hash is computed).
    pub record_trace: bool,
    /// Keep checkpoints for time travel.
    pub checkpoints: bool,
    /// Check properties after every step.
    pub check_properties: bool,
}

impl SimOptions {
    /// Interactive use: trace, checkpoints and properties.
    pub const INTERACTIVE: SimOptions = SimOptions {
        record_trace: true,
        checkpoints: true,
        check_properties: true,
    };
    /// Checking: properties only.
    pub const CHECK: SimOptions = SimOptions {
        record_trace: false,
        checkpoints: false,
        check_properties: true,
    };
    /// Benchmarking and hashing: nothing but the hash.
    pub const FAST: SimOptions = SimOptions {
        record_trace: false,
        checkpoints: false,
        check_properties: false,
    };
}

/// A runnable scenario for protocol `P`: configuration, network, properties.
#[derive(Clone)]
pub struct Scenario<P: Protocol> {
    /// Scenario id, e.g. `retry-lossy`.
    pub id: &'static str,
    /// One-line title.
    pub title: &'static str,
    /// What it shows.
    pub description: &'static str,
    /// Node count.
    pub nodes: u16,
    /// The protocol and its configuration.
    pub protocol: P,
    /// Every link's behaviour at the start.
    pub net: LinkCfg,
    /// Every link's behaviour after [`Action::HealAll`].
    pub calm: LinkCfg,
    /// Overrides of the scenario's default run (workload, scripted faults).
    pub script: Vec<Override>,
    /// Properties checked as the run goes.
    pub properties: Vec<Property<P>>,
    /// Client requests the swarm may generate: (node, request text).
    pub workload: Vec<(NodeId, &'static str)>,
    /// Nodes the swarm may crash, pause or partition.
    pub faulty_nodes: Vec<NodeId>,
    /// Ticks of faults the swarm runs before healing.
    pub safety_ticks: u64,
}

#[derive(Clone)]
struct Node<P: Protocol> {
    state: Option<P::State>,
    durable: Option<P::Durable>,
    status: Status,
    since: u64,
    skew_ticks: i64,
    drift_ppm: i32,
    clock_since: u64,
    timers: Vec<Armed<P::Timer>>,
    held: Vec<QEntry>,
}

/// A timer a node has armed.
#[derive(Clone, Debug)]
struct Armed<T> {
    timer: T,
    /// Generation: a queue entry fires the timer only while this matches.
    gen: u64,
    /// True time it was (re-)armed.
    armed_at: u64,
    /// True time it fires.
    deadline: u64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum QKind {
    Deliver { slot: u32, id: u64 },
    Timer { node: NodeId, gen: u64 },
    Script { index: u32 },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct QEntry {
    time: u64,
    seq: u64,
    kind: QKind,
}

impl Ord for QEntry {
    fn cmp(&self, other: &Self) -> Ordering {
        // Reversed: BinaryHeap is a max-heap and we want the earliest (time, seq) first.
        (other.time, other.seq).cmp(&(self.time, self.seq))
    }
}
impl PartialOrd for QEntry {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// A message on the wire.
#[derive(Clone, Debug)]
struct InFlight<M> {
    id: u64,
    from: NodeId,
    to: NodeId,
    sent_at: u64,
    deliver_at: u64,
    msg: M,
}

/// Everything that changes as a run goes; cloned whole for a checkpoint.
#[derive(Clone)]
struct World<P: Protocol> {
    time: u64,
    step: u64,
    rng: Rng,
    nodes: Vec<Node<P>>,
    queue: BinaryHeap<QEntry>,
    slab: Vec<Option<InFlight<P::Msg>>>,
    free: Vec<u32>,
    in_flight: usize,
    links: Vec<LinkCfg>,
    cut: Vec<bool>,
    next_msg_id: u64,
    next_seq: u64,
    next_gen: u64,
    hash: Fnv64,
    trace_len: usize,
    step_cursor: usize,
    forced: Option<u32>,
    healed_at: Option<u64>,
    eventually_ok: Vec<bool>,
    violation: Option<Violation>,
    /// The scenario's monitors, when properties are checked.
    watches: Vec<Watch<P>>,
    /// A monitor's failure during the current step: (property index, message), made the
    /// violation once the step is complete, so that it carries the step that shows it.
    watch_failed: Option<(usize, String)>,
    /// The current choice of each of the protocol's options (indices into its choices).
    choices: Vec<u8>,
    /// The outside observer's record: every [`Ctx::observe`] note with its true time and step.
    observed: Vec<Observed<P::Note>>,
}

/// One note of the outside observer's record (see [`Ctx::observe`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Observed<N> {
    /// True time it was recorded.
    pub t: u64,
    /// The step that recorded it (seeking to it shows the world right after).
    pub step: u64,
    /// The node whose handler recorded it.
    pub node: NodeId,
    /// What was recorded.
    pub note: N,
}

/// Read-only access to the world for properties and views.
pub struct WorldRef<'a, P: Protocol> {
    world: &'a World<P>,
    protocol: &'a P,
}

impl<'a, P: Protocol> WorldRef<'a, P> {
    /// True simulated time.
    pub fn time(&self) -> u64 {
        self.world.time
    }
    /// Steps run so far.
    pub fn step(&self) -> u64 {
        self.world.step
    }
    /// Node count.
    pub fn nodes(&self) -> u16 {
        self.world.nodes.len() as u16
    }
    /// A node's volatile state (`None` while it is down).
    pub fn state(&self, node: NodeId) -> Option<&'a P::State> {
        self.world.nodes[usize::from(node)].state.as_ref()
    }
    /// A node's durable state.
    pub fn durable(&self, node: NodeId) -> Option<&'a P::Durable> {
        self.world.nodes[usize::from(node)].durable.as_ref()
    }
    /// A node's status.
    pub fn status(&self, node: NodeId) -> Status {
        self.world.nodes[usize::from(node)].status
    }
    /// True time of the node's last status change.
    pub fn status_since(&self, node: NodeId) -> u64 {
        self.world.nodes[usize::from(node)].since
    }
    /// What a node's clock reads now (skewed and drifting). Properties and panels may compare
    /// it with [`WorldRef::time`]; handlers never see the true time.
    pub fn local_time(&self, node: NodeId) -> u64 {
        let n = &self.world.nodes[usize::from(node)];
        local_time(n.skew_ticks, n.drift_ppm, self.world.time)
    }
    /// A node's clock configuration: (skew in ticks, drift in ppm, true time it was last set;
    /// 0 when it was set at the start or never).
    pub fn clock(&self, node: NodeId) -> (i64, i32, u64) {
        let n = &self.world.nodes[usize::from(node)];
        (n.skew_ticks, n.drift_ppm, n.clock_since)
    }
    /// The protocol configuration.
    pub fn protocol(&self) -> &'a P {
        self.protocol
    }
    /// The current choice of the protocol's option `name`, if it declares one.
    pub fn option(&self, name: &str) -> Option<&'static str> {
        let options = self.protocol.options();
        let i = options.iter().position(|o| o.name == name)?;
        let c = self
            .world
            .choices
            .get(i)
            .map_or(options[i].default, |c| usize::from(*c));
        Some(options[i].choices[c])
    }
    /// Every option's current choice, in declaration order: (name, choice).
    pub fn option_choices(&self) -> Vec<(&'static str, &'static str)> {
        self.protocol
            .options()
            .iter()
            .filter_map(|o| Some((o.name, self.option(o.name)?)))
            .collect()
    }
    /// The outside observer's record so far (see [`Ctx::observe`]), in the order recorded.
    pub fn observed(&self) -> &'a [Observed<P::Note>] {
        &self.world.observed
    }
    /// Whether the one-way link `from → to` is cut now.
    pub fn is_cut(&self, from: NodeId, to: NodeId) -> bool {
        self.world.cut[self.link_index(from, to)]
    }
    /// The one-way link `from → to`'s behaviour now (latency, loss, duplication).
    pub fn link(&self, from: NodeId, to: NodeId) -> LinkCfg {
        self.world.links[self.link_index(from, to)]
    }
    /// Every message on the wire now (sent, neither delivered nor dropped yet, held ones for a
    /// paused node included), as (from, to, message), in no order a caller may rely on: for a
    /// property that asks whether something still travels ("is this event anywhere?").
    pub fn in_flight(&self) -> impl Iterator<Item = (NodeId, NodeId, &'a P::Msg)> + 'a {
        self.world
            .slab
            .iter()
            .flatten()
            .map(|m| (m.from, m.to, &m.msg))
    }
    fn link_index(&self, from: NodeId, to: NodeId) -> usize {
        usize::from(from) * self.world.nodes.len() + usize::from(to)
    }
}

/// A simulation of one scenario, one spec.
pub struct Sim<P: Protocol> {
    scenario: Scenario<P>,
    spec: RunSpec,
    options: SimOptions,
    script: Vec<Action>,
    step_overrides: Vec<(u64, Action)>,
    world: World<P>,
    trace: Vec<TraceEvent<P>>,
    /// For each recorded trace event, the steps completed before it: the event belongs to
    /// step `n + 1`, so seeking to `n` shows the run just before it and to `n + 1` just after.
    trace_steps: Vec<u64>,
    checkpoints: Vec<World<P>>,
    effects: Vec<Effect<P>>,
    /// Set when a step failed part-way (a limit, an override that does not apply): the world
    /// may be half-updated, so it refuses to step on until a seek restores a checkpoint.
    halted: Option<SimError>,
}

fn local_time(node_skew: i64, drift_ppm: i32, t: u64) -> u64 {
    if drift_ppm == 0 {
        // The common case, without 128-bit division on the hot path.
        return t.saturating_add_signed(node_skew);
    }
    let t = i128::from(t);
    let local = t + i128::from(node_skew) + t * i128::from(drift_ppm) / i128::from(PPM_ONE);
    local.clamp(0, i128::from(u64::MAX)) as u64
}

/// When a timer of `after_local` local ticks fires, in true time: the duration scaled by the
/// clock's rate and rounded to the nearest tick (at least one), so a clock 10% fast fires a
/// 10-tick timer every 9 true ticks. Skew shifts what a clock reads, not how fast it runs, so it
/// does not change durations.
fn true_deadline(now: u64, drift_ppm: i32, after_local: u64) -> u64 {
    let after_local = after_local.max(1);
    if drift_ppm == 0 {
        return now.saturating_add(after_local);
    }
    let rate = i128::from(PPM_ONE) + i128::from(drift_ppm);
    let scaled = (i128::from(after_local) * i128::from(PPM_ONE) + rate / 2) / rate;
    now.saturating_add(scaled.clamp(1, i128::from(u64::MAX)) as u64)
}

impl<P: Protocol> Sim<P> {
    /// Build a simulation of `spec` (whose scenario must be `scenario`).
    pub fn new(
        scenario: Scenario<P>,
        spec: RunSpec,
        options: SimOptions,
    ) -> Result<Self, SimError> {
        let n = usize::from(scenario.nodes);
        if n == 0 || n > NODES_MAX {
            return Err(SimError::limit("NODES_MAX", NODES_MAX));
        }
        if spec.overrides.len() > OVERRIDES_MAX {
            return Err(SimError::limit("OVERRIDES_MAX", OVERRIDES_MAX));
        }
        let mut script = Vec::new();
        let mut step_overrides = Vec::new();
        for o in &spec.overrides {
            validate_override(o, scenario.nodes)?;
            if let Action::Request(_, text) = &o.action {
                scenario
                    .protocol
                    .parse_request(text)
                    .map_err(|why| SimError::BadOverride(format!("request '{text}': {why}")))?;
            }
            if let Action::Set(name, choice) = &o.action {
                check_option(scenario.protocol.options(), name, choice)
                    .map_err(SimError::BadOverride)?;
            }
            match o.at {
                When::Time(t) => {
                    if t > TIME_TICKS_MAX {
                        return Err(SimError::limit("TIME_TICKS_MAX", TIME_TICKS_MAX));
                    }
                    script.push((t, o.action.clone()))
                }
                When::Step(s) => {
                    if s > STEPS_MAX {
                        return Err(SimError::limit("STEPS_MAX", STEPS_MAX));
                    }
                    step_overrides.push((s, o.action.clone()))
                }
            }
        }
        step_overrides.sort_by_key(|(s, _)| *s);
        let eventually = scenario.properties.len();
        let world = World {
            time: 0,
            step: 0,
            rng: Rng::new(spec.seed),
            nodes: (0..n)
                .map(|_| Node {
                    state: None,
                    durable: None,
                    status: Status::Up,
                    since: 0,
                    skew_ticks: 0,
                    drift_ppm: 0,
                    clock_since: 0,
                    timers: Vec::new(),
                    held: Vec::new(),
                })
                .collect(),
            queue: BinaryHeap::new(),
            slab: Vec::new(),
            free: Vec::new(),
            in_flight: 0,
            links: vec![scenario.net; n * n],
            cut: vec![false; n * n],
            next_msg_id: 0,
            next_seq: 0,
            next_gen: 0,
            hash: Fnv64::new(),
            trace_len: 0,
            step_cursor: 0,
            forced: None,
            healed_at: None,
            eventually_ok: vec![false; eventually],
            violation: None,
            watches: if options.check_properties {
                scenario
                    .properties
                    .iter()
                    .enumerate()
                    .filter_map(|(property, p)| match p.check {
                        Check::Monitor(make) => Some(Watch {
                            property,
                            monitor: make(),
                        }),
                        Check::State(_) => None,
                    })
                    .collect()
            } else {
                Vec::new()
            },
            watch_failed: None,
            choices: scenario
                .protocol
                .options()
                .iter()
                .map(|o| o.default as u8)
                .collect(),
            observed: Vec::new(),
        };
        let mut sim = Sim {
            scenario,
            spec,
            options,
            script: Vec::new(),
            step_overrides,
            world,
            trace: Vec::new(),
            trace_steps: Vec::new(),
            checkpoints: Vec::new(),
            effects: Vec::new(),
            halted: None,
        };
        for (index, (t, action)) in script.into_iter().enumerate() {
            let seq = sim.next_seq();
            sim.world.queue.push(QEntry {
                time: t,
                seq,
                kind: QKind::Script {
                    index: index as u32,
                },
            });
            sim.script.push(action);
        }
        for node in 0..sim.scenario.nodes {
            sim.start_node(node)?;
        }
        sim.after_step()?;
        Ok(sim)
    }

    fn next_seq(&mut self) -> u64 {
        let s = self.world.next_seq;
        self.world.next_seq += 1;
        s
    }

    /// The spec this simulation runs.
    pub fn spec(&self) -> &RunSpec {
        &self.spec
    }
    /// The scenario.
    pub fn scenario(&self) -> &Scenario<P> {
        &self.scenario
    }
    /// Steps run so far.
    pub fn step_count(&self) -> u64 {
        self.world.step
    }
    /// True simulated time.
    pub fn time(&self) -> u64 {
        self.world.time
    }
    /// The trace hash so far.
    pub fn trace_hash(&self) -> u64 {
        self.world.hash.finish()
    }
    /// Messages sent so far (each `Send` effect, whether or not it was delivered).
    pub fn messages_sent(&self) -> u64 {
        self.world.next_msg_id
    }
    /// Number of trace events so far (recorded or not).
    pub fn trace_len(&self) -> usize {
        self.world.trace_len
    }
    /// The recorded trace up to the current step (empty unless recording).
    pub fn trace(&self) -> &[TraceEvent<P>] {
        let end = self.world.trace_len.min(self.trace.len());
        &self.trace[..end]
    }
    /// For each event of [`Sim::trace`], the steps completed before it (see `trace_steps`).
    pub fn trace_steps(&self) -> &[u64] {
        let end = self.world.trace_len.min(self.trace_steps.len());
        &self.trace_steps[..end]
    }
    /// A monitor that could not decide its property (see [`Monitor::undecided`]): the
    /// property's name and why.
    pub fn undecided(&self) -> Option<(String, String)> {
        self.world.watches.iter().find_map(|w| {
            w.monitor.undecided().map(|reason| {
                (
                    self.scenario.properties[w.property].name.to_string(),
                    reason,
                )
            })
        })
    }

    /// The first property violation seen, if any.
    pub fn violation(&self) -> Option<&Violation> {
        self.world.violation.as_ref()
    }
    /// True once a [`Action::HealAll`] has happened, with its time.
    pub fn healed_at(&self) -> Option<u64> {
        self.world.healed_at
    }
    /// Read-only access for properties and views.
    pub fn world_ref(&self) -> WorldRef<'_, P> {
        WorldRef {
            world: &self.world,
            protocol: &self.scenario.protocol,
        }
    }
    /// Number of checkpoints held.
    pub fn checkpoint_count(&self) -> usize {
        self.checkpoints.len()
    }

    fn record(&mut self, event: Event<P>) -> Result<(), SimError> {
        let ev = TraceEvent {
            t: self.world.time,
            event,
        };
        ev.canon(&mut self.world.hash);
        if !self.world.watches.is_empty() && self.world.watch_failed.is_none() {
            self.watch(&ev);
        }
        if self.options.record_trace && self.world.trace_len >= self.trace.len() {
            if self.trace.len() >= TRACE_EVENTS_MAX {
                return Err(SimError::limit("TRACE_EVENTS_MAX", TRACE_EVENTS_MAX));
            }
            self.trace.push(ev);
            self.trace_steps.push(self.world.step);
        }
        self.world.trace_len += 1;
        Ok(())
    }

    /// Shows `ev` to every monitor; the first that fails is kept for the end of the step.
    fn watch(&mut self, ev: &TraceEvent<P>) {
        if self.world.violation.is_none() {
            self.world.watch_failed = self.ask_monitors(|m, view| m.on_event(ev, view));
        }
    }

    /// Asks every monitor in turn (`ask` is `on_event`, `after_step` or `at_end`): the first failure, with
    /// its property's index.
    fn ask_monitors(
        &mut self,
        mut ask: impl FnMut(&mut dyn Monitor<P>, &WorldRef<'_, P>) -> Result<(), String>,
    ) -> Option<(usize, String)> {
        let mut watches = std::mem::take(&mut self.world.watches);
        let view = WorldRef {
            world: &self.world,
            protocol: &self.scenario.protocol,
        };
        let failed = watches.iter_mut().find_map(|w| {
            ask(w.monitor.as_mut(), &view)
                .err()
                .map(|message| (w.property, message))
        });
        self.world.watches = watches;
        failed
    }

    /// Records the violation of property `index`.
    fn fail(&mut self, index: usize, message: Option<String>) {
        self.world.violation = Some(Violation {
            property: self.scenario.properties[index].name.to_string(),
            step: self.world.step,
            time: self.world.time,
            message,
        });
    }

    fn idx(&self, a: NodeId, b: NodeId) -> usize {
        usize::from(a) * usize::from(self.scenario.nodes) + usize::from(b)
    }

    fn start_node(&mut self, node: NodeId) -> Result<(), SimError> {
        let i = usize::from(node);
        let mut effects = std::mem::take(&mut self.effects);
        let state = {
            let w = &mut self.world;
            let n = &w.nodes[i];
            let local = local_time(n.skew_ticks, n.drift_ppm, w.time);
            let restored = n.durable.clone();
            let mut ctx = Ctx::new(node, self.scenario.nodes, local, &mut w.rng, &mut effects)
                .with_options(self.scenario.protocol.options(), &w.choices);
            self.scenario.protocol.on_start(restored.as_ref(), &mut ctx)
        };
        let node_ref = &mut self.world.nodes[i];
        node_ref.state = Some(state);
        node_ref.status = Status::Up;
        node_ref.since = self.world.time;
        let result = self.apply_effects(node, &mut effects);
        self.effects = effects;
        result
    }

    fn run_handler(
        &mut self,
        node: NodeId,
        f: impl FnOnce(&P, &mut P::State, &mut Ctx<'_, P>),
    ) -> Result<(), SimError> {
        let i = usize::from(node);
        let mut effects = std::mem::take(&mut self.effects);
        {
            let w = &mut self.world;
            let n = &mut w.nodes[i];
            let local = local_time(n.skew_ticks, n.drift_ppm, w.time);
            let state = n.state.as_mut().expect("handlers run only on up nodes");
            let mut ctx = Ctx::new(node, self.scenario.nodes, local, &mut w.rng, &mut effects)
                .with_options(self.scenario.protocol.options(), &w.choices);
            f(&self.scenario.protocol, state, &mut ctx);
        }
        let result = self.apply_effects(node, &mut effects);
        self.effects = effects;
        result
    }

    fn apply_effects(
        &mut self,
        node: NodeId,
        effects: &mut Vec<Effect<P>>,
    ) -> Result<(), SimError> {
        if effects.len() > EFFECTS_PER_HANDLER_MAX {
            effects.clear();
            return Err(SimError::limit(
                "EFFECTS_PER_HANDLER_MAX",
                EFFECTS_PER_HANDLER_MAX,
            ));
        }
        let mut result = Ok(());
        for effect in effects.drain(..) {
            if result.is_err() {
                continue;
            }
            result = match effect {
                Effect::Send(to, msg) => self.send(node, to, msg),
                Effect::SetTimer(timer, after) => self.set_timer(node, timer, after),
                Effect::CancelTimer(timer) => {
                    self.world.nodes[usize::from(node)]
                        .timers
                        .retain(|a| a.timer != timer);
                    Ok(())
                }
                Effect::Persist(d) => {
                    self.world.nodes[usize::from(node)].durable = Some(d);
                    Ok(())
                }
                Effect::Note(note) => self.record(Event::Note { node, note }),
                Effect::Reply(reply) => self.record(Event::Reply { node, reply }),
                Effect::Observe(note) => {
                    if self.world.observed.len() >= OBSERVED_MAX {
                        Err(SimError::limit("OBSERVED_MAX", OBSERVED_MAX))
                    } else {
                        self.world.observed.push(Observed {
                            t: self.world.time,
                            step: self.world.step,
                            node,
                            note: note.clone(),
                        });
                        self.record(Event::Note { node, note })
                    }
                }
            };
        }
        result
    }

    fn set_timer(&mut self, node: NodeId, timer: P::Timer, after: u64) -> Result<(), SimError> {
        let gen = self.world.next_gen;
        self.world.next_gen += 1;
        let n = &mut self.world.nodes[usize::from(node)];
        let deadline = true_deadline(self.world.time, n.drift_ppm, after);
        let armed_at = self.world.time;
        if let Some(slot) = n.timers.iter_mut().find(|a| a.timer == timer) {
            slot.gen = gen;
            slot.armed_at = armed_at;
            slot.deadline = deadline;
        } else {
            if n.timers.len() >= TIMERS_PER_NODE_MAX {
                return Err(SimError::limit("TIMERS_PER_NODE_MAX", TIMERS_PER_NODE_MAX));
            }
            n.timers.push(Armed {
                timer,
                gen,
                armed_at,
                deadline,
            });
        }
        let seq = self.next_seq();
        self.world.queue.push(QEntry {
            time: deadline,
            seq,
            kind: QKind::Timer { node, gen },
        });
        Ok(())
    }

    fn send(&mut self, from: NodeId, to: NodeId, msg: P::Msg) -> Result<(), SimError> {
        let id = self.world.next_msg_id;
        self.world.next_msg_id += 1;
        if to >= self.scenario.nodes {
            return self.record(Event::Drop {
                from,
                to,
                id,
                msg,
                reason: DropReason::NoSuchNode,
            });
        }
        self.record(Event::Send {
            from,
            to,
            id,
            msg: msg.clone(),
        })?;
        let li = self.idx(from, to);
        let link = self.world.links[li];
        if self.world.cut[li] {
            return self.record(Event::Drop {
                from,
                to,
                id,
                msg,
                reason: DropReason::Partition,
            });
        }
        if self.world.rng.chance_ppm(link.loss_ppm) {
            return self.record(Event::Drop {
                from,
                to,
                id,
                msg,
                reason: DropReason::Loss,
            });
        }
        if self.world.rng.chance_ppm(link.dup_ppm) {
            let copy = self.world.next_msg_id;
            self.world.next_msg_id += 1;
            self.record(Event::Dup {
                from,
                to,
                id: copy,
                of: id,
                msg: msg.clone(),
            })?;
            self.schedule(from, to, copy, msg.clone(), &link)?;
        }
        self.schedule(from, to, id, msg, &link)
    }

    fn schedule(
        &mut self,
        from: NodeId,
        to: NodeId,
        id: u64,
        msg: P::Msg,
        link: &LinkCfg,
    ) -> Result<(), SimError> {
        if self.world.in_flight >= MESSAGES_IN_FLIGHT_MAX {
            return Err(SimError::limit(
                "MESSAGES_IN_FLIGHT_MAX",
                MESSAGES_IN_FLIGHT_MAX,
            ));
        }
        let rng = &mut self.world.rng;
        let mut latency = rng.range_inclusive(link.latency_min_ticks, link.latency_max_ticks);
        if rng.chance_ppm(link.spike_ppm) {
            latency += rng.range_inclusive(1, link.spike_ticks_max.max(1));
        }
        let deliver_at = self.world.time + latency.max(1);
        let entry = InFlight {
            id,
            from,
            to,
            sent_at: self.world.time,
            deliver_at,
            msg,
        };
        let slot = match self.world.free.pop() {
            Some(s) => {
                self.world.slab[s as usize] = Some(entry);
                s
            }
            None => {
                self.world.slab.push(Some(entry));
                (self.world.slab.len() - 1) as u32
            }
        };
        self.world.in_flight += 1;
        let seq = self.next_seq();
        self.world.queue.push(QEntry {
            time: deliver_at,
            seq,
            kind: QKind::Deliver { slot, id },
        });
        Ok(())
    }

    fn take_message(&mut self, slot: u32) -> InFlight<P::Msg> {
        let m = self.world.slab[slot as usize]
            .take()
            .expect("taken slot holds a message");
        self.world.free.push(slot);
        self.world.in_flight -= 1;
        m
    }

    fn slot_of(&self, id: u64) -> Option<u32> {
        self.world
            .slab
            .iter()
            .position(|m| m.as_ref().is_some_and(|m| m.id == id))
            .map(|p| p as u32)
    }

    /// Run one step (one event). Returns false when nothing is left to happen. After an error
    /// the simulation stays halted (every step returns the same error) until a seek restores a
    /// checkpoint.
    pub fn step(&mut self) -> Result<bool, SimError> {
        if let Some(e) = &self.halted {
            return Err(e.clone());
        }
        let result = self.step_inner();
        if let Err(e) = &result {
            self.halted = Some(e.clone());
        }
        result
    }

    fn step_inner(&mut self) -> Result<bool, SimError> {
        if self.world.step >= STEPS_MAX {
            return Err(SimError::limit("STEPS_MAX", STEPS_MAX));
        }
        loop {
            let entry = match self.world.forced.take() {
                Some(slot) => {
                    let id = self.world.slab[slot as usize].as_ref().map_or(0, |m| m.id);
                    QEntry {
                        time: self.world.time,
                        seq: 0,
                        kind: QKind::Deliver { slot, id },
                    }
                }
                None => match self.world.queue.pop() {
                    Some(e) => e,
                    None => return Ok(false),
                },
            };
            if entry.time > TIME_TICKS_MAX {
                return Err(SimError::limit("TIME_TICKS_MAX", TIME_TICKS_MAX));
            }
            if self.process(entry)? {
                break;
            }
        }
        self.world.step += 1;
        self.after_step()?;
        Ok(true)
    }

    /// Carry out one queue entry; false when it was stale or deferred (not a step).
    fn process(&mut self, entry: QEntry) -> Result<bool, SimError> {
        match entry.kind {
            QKind::Deliver { slot, id } => {
                let live = self.world.slab[slot as usize]
                    .as_ref()
                    .is_some_and(|m| m.id == id);
                if !live {
                    return Ok(false);
                }
                let to = self.world.slab[slot as usize].as_ref().map_or(0, |m| m.to);
                if self.world.nodes[usize::from(to)].status == Status::Paused {
                    self.world.nodes[usize::from(to)].held.push(entry);
                    return Ok(false);
                }
                self.world.time = self.world.time.max(entry.time);
                let m = self.take_message(slot);
                let reason = if self.world.nodes[usize::from(to)].status == Status::Down {
                    Some(DropReason::Down)
                } else if self.world.cut[self.idx(m.from, to)] {
                    Some(DropReason::Partition)
                } else {
                    None
                };
                if let Some(reason) = reason {
                    self.record(Event::Drop {
                        from: m.from,
                        to,
                        id,
                        msg: m.msg,
                        reason,
                    })?;
                } else {
                    self.record(Event::Recv {
                        from: m.from,
                        to,
                        id,
                        msg: m.msg.clone(),
                    })?;
                    let from = m.from;
                    self.run_handler(to, |p, s, ctx| p.on_message(s, from, m.msg, ctx))?;
                }
                Ok(true)
            }
            QKind::Timer { node, gen } => {
                let n = &mut self.world.nodes[usize::from(node)];
                let Some(pos) = n.timers.iter().position(|a| a.gen == gen) else {
                    return Ok(false);
                };
                if n.status == Status::Paused {
                    n.held.push(entry);
                    return Ok(false);
                }
                let timer = n.timers.swap_remove(pos).timer;
                self.world.time = self.world.time.max(entry.time);
                self.record(Event::Timer {
                    node,
                    timer: timer.clone(),
                })?;
                self.run_handler(node, |p, s, ctx| p.on_timer(s, timer, ctx))?;
                Ok(true)
            }
            QKind::Script { index } => {
                self.world.time = self.world.time.max(entry.time);
                let action = self.script[index as usize].clone();
                self.apply_action(action)?;
                Ok(true)
            }
        }
    }

    fn after_step(&mut self) -> Result<(), SimError> {
        while let Some((s, action)) = self.step_overrides.get(self.world.step_cursor) {
            if *s != self.world.step {
                break;
            }
            let action = action.clone();
            self.world.step_cursor += 1;
            self.apply_action(action)?;
        }
        if self.options.check_properties {
            self.check_properties();
        }
        if self.options.checkpoints && self.world.step.is_multiple_of(CHECKPOINT_INTERVAL_STEPS) {
            let k = (self.world.step / CHECKPOINT_INTERVAL_STEPS) as usize;
            match self.checkpoints.get(k) {
                None if self.checkpoints.len() == k => self.checkpoints.push(self.world.clone()),
                // A replay must retrace the first pass exactly: our bug if not.
                Some(cp) => debug_assert_eq!(cp.hash, self.world.hash, "replay diverged"),
                None => {}
            }
        }
        Ok(())
    }

    fn check_properties(&mut self) {
        if self.world.violation.is_some() {
            return;
        }
        if let Some((property, message)) = self.world.watch_failed.take() {
            self.fail(property, Some(message));
            return;
        }
        if !self.world.watches.is_empty() {
            if let Some((property, message)) = self.ask_monitors(|m, view| m.after_step(view)) {
                self.fail(property, Some(message));
                return;
            }
        }
        let view = WorldRef {
            world: &self.world,
            protocol: &self.scenario.protocol,
        };
        let mut found = None;
        let mut satisfied = Vec::new();
        for (i, p) in self.scenario.properties.iter().enumerate() {
            let Check::State(holds) = p.check else {
                continue;
            };
            match p.kind {
                PropKind::Always => {
                    if !holds(&view) {
                        found = Some(i);
                        break;
                    }
                }
                PropKind::EventuallyWithin(within) => {
                    let Some(healed) = self.world.healed_at else {
                        continue;
                    };
                    if self.world.eventually_ok[i] {
                        continue;
                    }
                    if holds(&view) {
                        satisfied.push(i);
                    } else if self.world.time > healed.saturating_add(within) {
                        found = Some(i);
                        break;
                    }
                }
            }
        }
        for i in satisfied {
            self.world.eventually_ok[i] = true;
        }
        if let Some(i) = found {
            self.fail(i, None);
        }
    }

    /// After the run has ended (or reached its horizon): report eventually-properties that
    /// never held after the heal, and let every monitor judge the end of the run.
    pub fn finish_liveness(&mut self) {
        if self.world.violation.is_some() {
            return;
        }
        if let Some((property, message)) = self.world.watch_failed.take() {
            self.fail(property, Some(message));
            return;
        }
        if self.world.healed_at.is_some() {
            let never = self
                .scenario
                .properties
                .iter()
                .enumerate()
                .position(|(i, p)| {
                    matches!(
                        (&p.check, p.kind),
                        (Check::State(_), PropKind::EventuallyWithin(_))
                    ) && !self.world.eventually_ok[i]
                });
            if let Some(i) = never {
                self.fail(i, None);
                return;
            }
        }
        let failed = self.ask_monitors(|m, view| m.at_end(view));
        if let Some((property, message)) = failed {
            self.fail(property, Some(message));
        }
    }

    fn not_applicable(&self, reason: String) -> SimError {
        SimError::OverrideNotApplicable {
            step: self.world.step,
            time: self.world.time,
            reason,
        }
    }

    fn set_links(&mut self, link: LinkSel, f: impl Fn(&mut LinkCfg)) {
        match link {
            Some((a, b)) => {
                let i = self.idx(a, b);
                f(&mut self.world.links[i]);
            }
            None => self.world.links.iter_mut().for_each(f),
        }
    }

    fn release_held(&mut self, node: NodeId) {
        let held = std::mem::take(&mut self.world.nodes[usize::from(node)].held);
        for mut entry in held {
            entry.time = self.world.time;
            entry.seq = self.next_seq();
            if let QKind::Deliver { slot, .. } = entry.kind {
                if let Some(m) = self.world.slab[slot as usize].as_mut() {
                    m.deliver_at = entry.time;
                }
            }
            self.world.queue.push(entry);
        }
    }

    /// Carry out a hand-made action on the current world.
    fn apply_action(&mut self, action: Action) -> Result<(), SimError> {
        let status = |s: &Self, n: NodeId| s.world.nodes[usize::from(n)].status;
        match &action {
            Action::Crash(n) => {
                if status(self, *n) == Status::Down {
                    return Err(self.not_applicable(format!("n{n} is already down")));
                }
                self.record(Event::Action(action.clone()))?;
                self.release_held(*n);
                let node = &mut self.world.nodes[usize::from(*n)];
                node.state = None;
                node.timers.clear();
                node.status = Status::Down;
                node.since = self.world.time;
            }
            Action::Restart(n) => {
                if status(self, *n) != Status::Down {
                    return Err(self.not_applicable(format!("n{n} is not down")));
                }
                self.record(Event::Action(action.clone()))?;
                self.start_node(*n)?;
            }
            Action::Pause(n) => {
                if status(self, *n) != Status::Up {
                    return Err(self.not_applicable(format!("n{n} is not up")));
                }
                self.record(Event::Action(action.clone()))?;
                let node = &mut self.world.nodes[usize::from(*n)];
                node.status = Status::Paused;
                node.since = self.world.time;
            }
            Action::Resume(n) => {
                if status(self, *n) != Status::Paused {
                    return Err(self.not_applicable(format!("n{n} is not paused")));
                }
                self.record(Event::Action(action.clone()))?;
                let node = &mut self.world.nodes[usize::from(*n)];
                node.status = Status::Up;
                node.since = self.world.time;
                self.release_held(*n);
            }
            Action::Partition(groups) => {
                self.record(Event::Action(action.clone()))?;
                self.world.cut.iter_mut().for_each(|c| *c = false);
                let mut group_of = vec![usize::MAX; usize::from(self.scenario.nodes)];
                for (g, members) in groups.iter().enumerate() {
                    for &m in members {
                        group_of[usize::from(m)] = g;
                    }
                }
                for a in 0..self.scenario.nodes {
                    for b in 0..self.scenario.nodes {
                        let (ga, gb) = (group_of[usize::from(a)], group_of[usize::from(b)]);
                        if ga != usize::MAX && gb != usize::MAX && ga != gb {
                            let i = self.idx(a, b);
                            self.world.cut[i] = true;
                        }
                    }
                }
            }
            Action::Cut(a, b) => {
                self.record(Event::Action(action.clone()))?;
                let i = self.idx(*a, *b);
                self.world.cut[i] = true;
            }
            Action::Mend(a, b) => {
                self.record(Event::Action(action.clone()))?;
                let i = self.idx(*a, *b);
                self.world.cut[i] = false;
            }
            Action::Heal => {
                self.record(Event::Action(action.clone()))?;
                self.world.cut.iter_mut().for_each(|c| *c = false);
            }
            Action::HealAll => {
                self.record(Event::Action(action.clone()))?;
                self.world.cut.iter_mut().for_each(|c| *c = false);
                let calm = self.scenario.calm;
                self.world.links.iter_mut().for_each(|l| *l = calm);
                for n in 0..self.scenario.nodes {
                    match status(self, n) {
                        Status::Down => {
                            self.record(Event::Action(Action::Restart(n)))?;
                            self.start_node(n)?;
                        }
                        Status::Paused => {
                            self.record(Event::Action(Action::Resume(n)))?;
                            let node = &mut self.world.nodes[usize::from(n)];
                            node.status = Status::Up;
                            node.since = self.world.time;
                            self.release_held(n);
                        }
                        Status::Up => {}
                    }
                }
                self.world.healed_at = Some(self.world.time);
                self.world
                    .eventually_ok
                    .iter_mut()
                    .for_each(|ok| *ok = false);
            }
            Action::Deliver(id) => {
                let slot = self.slot_of(*id).ok_or_else(|| {
                    self.not_applicable(format!("message #{id} is not in flight"))
                })?;
                self.record(Event::Action(action.clone()))?;
                self.world.forced = Some(slot);
            }
            Action::Drop(id) => {
                let slot = self.slot_of(*id).ok_or_else(|| {
                    self.not_applicable(format!("message #{id} is not in flight"))
                })?;
                let m = self.take_message(slot);
                if self.world.forced == Some(slot) {
                    self.world.forced = None;
                }
                self.record(Event::Drop {
                    from: m.from,
                    to: m.to,
                    id: m.id,
                    msg: m.msg,
                    reason: DropReason::Override,
                })?;
            }
            Action::Loss(link, ppm) => {
                self.record(Event::Action(action.clone()))?;
                self.set_links(*link, |l| l.loss_ppm = *ppm);
            }
            Action::Dup(link, ppm) => {
                self.record(Event::Action(action.clone()))?;
                self.set_links(*link, |l| l.dup_ppm = *ppm);
            }
            Action::Latency(link, lo, hi) => {
                self.record(Event::Action(action.clone()))?;
                self.set_links(*link, |l| {
                    l.latency_min_ticks = *lo;
                    l.latency_max_ticks = *hi;
                });
            }
            Action::Clock(n, skew, drift) => {
                self.record(Event::Action(action.clone()))?;
                let node = &mut self.world.nodes[usize::from(*n)];
                node.skew_ticks = *skew;
                node.drift_ppm = *drift;
                node.clock_since = self.world.time;
            }
            Action::Set(name, choice) => {
                let (i, c) = check_option(self.scenario.protocol.options(), name, choice)
                    .map_err(|why| self.not_applicable(why))?;
                self.record(Event::Action(action.clone()))?;
                self.world.choices[i] = c as u8;
            }
            Action::Request(n, text) => {
                let request = self
                    .scenario
                    .protocol
                    .parse_request(text)
                    .map_err(|why| self.not_applicable(format!("request '{text}': {why}")))?;
                let up = status(self, *n) == Status::Up;
                self.record(Event::Request {
                    node: *n,
                    request: request.clone(),
                    lost: !up,
                })?;
                if up {
                    self.run_handler(*n, |p, s, ctx| p.on_client_request(s, request, ctx))?;
                }
            }
        }
        Ok(())
    }

    /// Run up to `steps` steps; returns how many ran (fewer when the run ends).
    pub fn run_steps(&mut self, steps: u64) -> Result<u64, SimError> {
        let mut ran = 0;
        while ran < steps && self.step()? {
            ran += 1;
        }
        Ok(ran)
    }

    /// Run until the next event would be later than `time`, or a property fails when
    /// `stop_on_violation`.
    pub fn run_until_time(&mut self, time: u64, stop_on_violation: bool) -> Result<(), SimError> {
        loop {
            if stop_on_violation && self.world.violation.is_some() {
                return Ok(());
            }
            let next = match self.world.forced {
                Some(_) => self.world.time,
                None => match self.world.queue.peek() {
                    Some(e) => e.time,
                    None => return Ok(()),
                },
            };
            if next > time {
                return Ok(());
            }
            if !self.step()? {
                return Ok(());
            }
        }
    }

    /// Go to step `target`, backwards or forwards, restoring the nearest checkpoint at or before
    /// it when that saves work. Stops early when the run ends before `target`.
    pub fn seek(&mut self, target: u64) -> Result<(), SimError> {
        if target > STEPS_MAX {
            return Err(SimError::limit("STEPS_MAX", STEPS_MAX));
        }
        if target == self.world.step && self.halted.is_none() {
            return Ok(());
        }
        if !self.checkpoints.is_empty() {
            let ci =
                ((target / CHECKPOINT_INTERVAL_STEPS) as usize).min(self.checkpoints.len() - 1);
            let cp_step = ci as u64 * CHECKPOINT_INTERVAL_STEPS;
            if target < self.world.step || cp_step > self.world.step || self.halted.is_some() {
                self.world = self.checkpoints[ci].clone();
                self.halted = None;
            }
        } else if target < self.world.step {
            return Err(SimError::BadCommand(
                "this simulation keeps no checkpoints, so it cannot go back".into(),
            ));
        }
        while self.world.step < target {
            if !self.step()? {
                break;
            }
        }
        Ok(())
    }

    /// Apply `action` by hand at the current step: it becomes an override at this step in the
    /// spec, overrides at later steps are dropped (the future changed), and the world is
    /// recomputed. On error the spec and world are left as they were.
    pub fn apply_now(&mut self, action: Action) -> Result<(), SimError> {
        let step = self.world.step;
        let o = Override {
            at: When::Step(step),
            action,
        };
        validate_override(&o, self.scenario.nodes)?;
        if self.spec.overrides.len() >= OVERRIDES_MAX {
            return Err(SimError::limit("OVERRIDES_MAX", OVERRIDES_MAX));
        }
        let old_spec = self.spec.clone();
        let mut spec = self.spec.clone();
        spec.overrides
            .retain(|o| !matches!(o.at, When::Step(s) if s > step));
        spec.overrides.push(o);
        match self.rebuild(spec, step) {
            Ok(()) => Ok(()),
            Err(e) => {
                self.rebuild(old_spec, step)?;
                Err(e)
            }
        }
    }

    fn rebuild(&mut self, spec: RunSpec, step: u64) -> Result<(), SimError> {
        let mut fresh = Sim::new(self.scenario.clone(), spec, self.options)?;
        // Checkpoints strictly before `step` are still valid: reuse them and the trace prefix.
        let keep = if step == 0 {
            0
        } else {
            ((step - 1) / CHECKPOINT_INTERVAL_STEPS + 1) as usize
        };
        self.checkpoints.truncate(keep.min(self.checkpoints.len()));
        if let Some(last) = self.checkpoints.last() {
            let mut trace = std::mem::take(&mut self.trace);
            trace.truncate(last.trace_len);
            fresh.trace = trace;
            let mut steps = std::mem::take(&mut self.trace_steps);
            steps.truncate(last.trace_len);
            fresh.trace_steps = steps;
            fresh.world = last.clone();
            // The step overrides up to this checkpoint are unchanged, so its cursor is valid.
            fresh.checkpoints = std::mem::take(&mut self.checkpoints);
        }
        fresh.seek(step)?;
        if fresh.world.step != step {
            return Err(SimError::BadCommand(format!(
                "the run ends at step {} before step {step}",
                fresh.world.step
            )));
        }
        *self = fresh;
        Ok(())
    }

    /// Bytes held by one checkpoint of the current world: the world's own size plus what its
    /// vectors hold (capacity), not counting heap data inside protocol states.
    pub fn checkpoint_bytes(&self) -> usize {
        use std::mem::size_of;
        let w = &self.world;
        let nodes: usize = w
            .nodes
            .iter()
            .map(|n| {
                size_of::<Node<P>>()
                    + n.timers.capacity() * size_of::<Armed<P::Timer>>()
                    + n.held.capacity() * size_of::<QEntry>()
            })
            .sum();
        size_of::<World<P>>()
            + nodes
            + w.queue.capacity() * size_of::<QEntry>()
            + w.slab.capacity() * size_of::<Option<InFlight<P::Msg>>>()
            + w.free.capacity() * size_of::<u32>()
            + w.links.capacity() * size_of::<LinkCfg>()
            + w.cut.capacity()
            + w.eventually_ok.capacity()
            + w.choices.capacity()
            + w.observed.capacity() * size_of::<Observed<P::Note>>()
    }

    /// The per-node views, statuses and clocks.
    pub fn node_views(&self) -> Vec<NodeInfo> {
        self.world
            .nodes
            .iter()
            .enumerate()
            .map(|(i, n)| {
                let mut timers: Vec<TimerInfo> = n
                    .timers
                    .iter()
                    .map(|a| TimerInfo {
                        label: a.timer.to_string(),
                        armed_at: a.armed_at,
                        fires_at: a.deadline,
                    })
                    .collect();
                timers.sort_by(|a, b| (a.fires_at, &a.label).cmp(&(b.fires_at, &b.label)));
                NodeInfo {
                    id: i as NodeId,
                    status: n.status,
                    local_time: local_time(n.skew_ticks, n.drift_ppm, self.world.time),
                    skew_ticks: n.skew_ticks,
                    drift_ppm: n.drift_ppm,
                    timers,
                    view: n
                        .state
                        .as_ref()
                        .map(|s| self.scenario.protocol.view(i as NodeId, s)),
                }
            })
            .collect()
    }

    /// Messages in flight, by id.
    pub fn messages(&self) -> Vec<MessageInfo> {
        let kinds = self.scenario.protocol.message_kinds();
        let mut out: Vec<MessageInfo> = self
            .world
            .slab
            .iter()
            .flatten()
            .map(|m| {
                let label = m.msg.to_string();
                let name = crate::sim::protocol::label_kind(&label);
                let kind = kinds.iter().position(|k| k.name == name).map(|i| i as u8);
                MessageInfo {
                    id: m.id,
                    from: m.from,
                    to: m.to,
                    sent_at: m.sent_at,
                    deliver_at: m.deliver_at,
                    label,
                    kind,
                }
            })
            .collect();
        out.sort_by_key(|m| m.id);
        out
    }

    /// Every ordered link between two different nodes.
    pub fn links(&self) -> Vec<LinkInfo> {
        let n = self.scenario.nodes;
        let mut out = Vec::new();
        for from in 0..n {
            for to in (0..n).filter(|&to| to != from) {
                let i = self.idx(from, to);
                out.push(LinkInfo {
                    from,
                    to,
                    cut: self.world.cut[i],
                    config: self.world.links[i],
                });
            }
        }
        out
    }

    /// True when nothing is left in the queue.
    pub fn is_quiescent(&self) -> bool {
        self.world.forced.is_none() && self.world.queue.is_empty()
    }
}
