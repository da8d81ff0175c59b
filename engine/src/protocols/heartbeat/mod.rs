//! Lesson: a heartbeat failure detector can be complete but not accurate in an asynchronous
//! network — a timeout cannot tell a slow node from a dead one.
//!
//! Every peer sends `Heartbeat{seq}` to the monitor every `interval_ticks`. The monitor checks
//! every `check_ticks` and suspects a peer it has not heard from for more than `timeout_ticks`
//! (on its own, possibly drifting, clock); a heartbeat from a suspected peer makes it trusted
//! again. *Completeness* (Chandra and Toueg, 1996): a crashed peer is eventually suspected, here
//! within a bound of [`COMPLETENESS_TICKS`]. *Accuracy*: a live peer is never suspected — which a
//! latency spike longer than the timeout breaks, so the `accuracy` property fails in
//! `heartbeat-spikes`: these are the false suspicions. After the network calms down, suspicions
//! of live peers stop (`eventual-accuracy`, the ◇P "eventually perfect" detector).
//! Node n0 is the monitor; n1.. are peers.
//!
//! The timeout decision is replaceable: by default it is the fixed `timeout_ticks`; a
//! [`Policy`] instead computes each peer's timeout from the recent gaps between its heartbeats'
//! arrivals (an adaptive detector, as in the `failure-detector` challenge and the phi accrual
//! detector of Hayashibara et al., 2004). [`sweep`] runs the scenario over a range of fixed
//! timeouts: the trade-off between false suspicions and detection time. The chapter 1
//! challenge's adapter is [`challenge`].

pub mod challenge;

use std::fmt;
use std::rc::Rc;

use crate::hash::{Canon, Fnv64};
use crate::sim::protocol::{Ctx, MessageKind, NoRequest, NodeId, NodeView, Protocol};
use crate::sim::spec::{Action, Override};
use crate::sim::trace::{Event, TraceEvent};
use crate::sim::world::{LinkCfg, Property, Scenario, Status, WorldRef};

/// The monitor is always node 0.
pub const MONITOR: NodeId = 0;

/// A crashed peer must be suspected within this many ticks of crashing, once the monitor has
/// been up that long: the timeout and a check period (with 10% for clock drift), plus the
/// latest a heartbeat sent just before the crash can arrive (largest swarm latency and spike).
pub const COMPLETENESS_TICKS: u64 = 160;

/// The heartbeat detector's configuration.
#[derive(Clone, Debug)]
pub struct Heartbeat {
    /// Peers send a heartbeat this often (local ticks).
    pub interval_ticks: u64,
    /// The monitor suspects a peer silent for longer than this (local ticks); with a
    /// [`Policy`], only until the peer's first gap between heartbeats is known.
    pub timeout_ticks: u64,
    /// The monitor checks this often (local ticks).
    pub check_ticks: u64,
    /// A peer the monitor has never heard from is suspected only after this long (local
    /// ticks), if longer than its timeout: the grace its first heartbeat needs to arrive.
    pub first_heartbeat_ticks: u64,
    /// An adaptive timeout replacing the fixed one, or `None`.
    pub policy: Option<Policy>,
}

/// A timeout decision: recent gaps in, timeout out (see [`Policy`]).
pub type Decide = Rc<dyn Fn(&[u64]) -> u64>;

/// An adaptive timeout: called whenever a heartbeat arrives with the gaps (local ticks) between
/// the peer's latest arrivals, oldest first and at most `window` of them (never empty); the
/// peer is suspected once it has been silent for longer than the returned number of ticks.
#[derive(Clone)]
pub struct Policy {
    /// How many recent gaps the policy sees.
    pub window: usize,
    /// The decision.
    pub decide: Decide,
}

impl fmt::Debug for Policy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Policy")
            .field("window", &self.window)
            .finish_non_exhaustive()
    }
}

/// The one message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Msg {
    /// Sequence number of the heartbeat.
    pub seq: u64,
}

impl fmt::Display for Msg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Heartbeat{{seq:{}}}", self.seq)
    }
}

impl Canon for Msg {
    fn canon(&self, h: &mut Fnv64) {
        h.u64(self.seq);
    }
}

/// Timers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Timer {
    /// A peer's send timer.
    Beat,
    /// The monitor's check timer.
    Check,
}

impl fmt::Display for Timer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Timer::Beat => "beat",
            Timer::Check => "check",
        })
    }
}

impl Canon for Timer {
    fn canon(&self, h: &mut Fnv64) {
        h.u8(*self as u8);
    }
}

/// The monitor's verdicts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Note {
    /// The monitor now suspects this peer.
    Suspect(NodeId),
    /// The monitor trusts this peer again.
    Trust(NodeId),
}

impl fmt::Display for Note {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Note::Suspect(n) => write!(f, "suspect n{n}"),
            Note::Trust(n) => write!(f, "trust n{n}"),
        }
    }
}

impl Canon for Note {
    fn canon(&self, h: &mut Fnv64) {
        match self {
            Note::Suspect(n) => {
                h.u8(0);
                n.canon(h);
            }
            Note::Trust(n) => {
                h.u8(1);
                n.canon(h);
            }
        }
    }
}

/// The monitor's state.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MonitorState {
    /// Local time each peer was last heard from (index = node id; n0 unused).
    pub last_heard: Vec<u64>,
    /// Whether each peer has been heard from since the monitor started.
    pub heard: Vec<bool>,
    /// The latest gaps between each peer's heartbeat arrivals, oldest first (only kept with a
    /// [`Policy`]).
    pub gaps: Vec<Vec<u64>>,
    /// Each peer's current timeout (local ticks of silence before it is suspected).
    pub timeout: Vec<u64>,
    /// Whether each peer is suspected.
    pub suspected: Vec<bool>,
    /// Suspicions raised since the monitor started.
    pub suspicions: u64,
}

/// A node's state.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum State {
    /// n0.
    Monitor(MonitorState),
    /// A peer and its next heartbeat sequence number.
    Peer(u64),
}

impl Protocol for Heartbeat {
    type Msg = Msg;
    type Timer = Timer;
    type Note = Note;
    type Request = NoRequest;
    type Reply = NoRequest;
    type State = State;
    type Durable = ();

    fn on_start(&self, _restored: Option<&()>, ctx: &mut Ctx<'_, Self>) -> State {
        if ctx.id() == MONITOR {
            // A fresh monitor gives every peer a full timeout before suspecting it.
            let n = usize::from(ctx.nodes());
            ctx.set_timer(Timer::Check, self.check_ticks);
            State::Monitor(MonitorState {
                last_heard: vec![ctx.now(); n],
                heard: vec![false; n],
                gaps: vec![Vec::new(); n],
                timeout: vec![self.timeout_ticks; n],
                suspected: vec![false; n],
                suspicions: 0,
            })
        } else {
            ctx.send(MONITOR, Msg { seq: 0 });
            ctx.set_timer(Timer::Beat, self.interval_ticks);
            State::Peer(1)
        }
    }

    fn on_message(&self, state: &mut State, from: NodeId, _msg: Msg, ctx: &mut Ctx<'_, Self>) {
        let State::Monitor(m) = state else { return };
        let i = usize::from(from);
        let now = ctx.now();
        if let Some(policy) = &self.policy {
            if m.heard[i] {
                let gaps = &mut m.gaps[i];
                gaps.push(now.saturating_sub(m.last_heard[i]));
                if gaps.len() > policy.window.max(1) {
                    gaps.remove(0);
                }
                m.timeout[i] = (policy.decide)(gaps);
            }
        }
        m.heard[i] = true;
        m.last_heard[i] = now;
        if m.suspected[i] {
            m.suspected[i] = false;
            ctx.note(Note::Trust(from));
        }
    }

    fn on_timer(&self, state: &mut State, timer: Timer, ctx: &mut Ctx<'_, Self>) {
        match (state, timer) {
            (State::Peer(seq), Timer::Beat) => {
                ctx.send(MONITOR, Msg { seq: *seq });
                *seq += 1;
                ctx.set_timer(Timer::Beat, self.interval_ticks);
            }
            (State::Monitor(m), Timer::Check) => {
                let now = ctx.now();
                for peer in 1..ctx.nodes() {
                    let i = usize::from(peer);
                    let limit = if m.heard[i] {
                        m.timeout[i]
                    } else {
                        m.timeout[i].max(self.first_heartbeat_ticks)
                    };
                    if !m.suspected[i] && now.saturating_sub(m.last_heard[i]) > limit {
                        m.suspected[i] = true;
                        m.suspicions += 1;
                        ctx.note(Note::Suspect(peer));
                    }
                }
                ctx.set_timer(Timer::Check, self.check_ticks);
            }
            _ => {}
        }
    }

    fn on_client_request(&self, _: &mut State, request: NoRequest, _: &mut Ctx<'_, Self>) {
        match request {}
    }

    fn parse_request(&self, _text: &str) -> Result<NoRequest, String> {
        Err("the heartbeat detector takes no client requests".into())
    }

    fn message_kinds(&self) -> &'static [MessageKind] {
        &[MessageKind {
            name: "Heartbeat",
            reply: false,
            meaning: "a peer's periodic \"I am alive\", numbered",
        }]
    }
    fn view(&self, _node: NodeId, state: &State) -> NodeView {
        match state {
            State::Monitor(m) => {
                let suspected: Vec<String> = (0..m.suspected.len())
                    .filter(|&i| m.suspected[i])
                    .map(|i| format!("n{i}"))
                    .collect();
                let heard: Vec<String> = m
                    .last_heard
                    .iter()
                    .enumerate()
                    .skip(1)
                    .map(|(i, t)| format!("n{i}@{t}"))
                    .collect();
                let view = NodeView::new("monitor")
                    .field("suspected", suspected.join(" "))
                    .field("last heard", heard.join(" "))
                    .field("suspicions", m.suspicions);
                if self.policy.is_none() {
                    return view;
                }
                let timeouts: Vec<String> = m
                    .timeout
                    .iter()
                    .enumerate()
                    .skip(1)
                    .map(|(i, t)| format!("n{i}:{t}"))
                    .collect();
                view.field("timeouts", timeouts.join(" "))
            }
            State::Peer(seq) => NodeView::new("peer").field("next seq", seq),
        }
    }
}

fn monitor<'a>(w: &WorldRef<'a, Heartbeat>) -> Option<&'a MonitorState> {
    match w.state(MONITOR) {
        Some(State::Monitor(m)) if w.status(MONITOR) == Status::Up => Some(m),
        _ => None,
    }
}

/// Safety (completeness with a bound): a peer down for [`COMPLETENESS_TICKS`] is suspected by
/// a monitor that has been up at least that long.
pub fn completeness(w: &WorldRef<'_, Heartbeat>) -> bool {
    completeness_within::<COMPLETENESS_TICKS>(w)
}

/// Completeness with bound `Y`: a peer down for `Y` ticks is suspected by a monitor that has
/// been up at least that long.
pub fn completeness_within<const Y: u64>(w: &WorldRef<'_, Heartbeat>) -> bool {
    let Some(m) = monitor(w) else { return true };
    if w.time() < w.status_since(MONITOR) + Y {
        return true;
    }
    (1..w.nodes()).all(|p| {
        let long_dead = w.status(p) == Status::Down && w.time() >= w.status_since(p) + Y;
        !long_dead || m.suspected[usize::from(p)]
    })
}

/// Safety (strong accuracy): no peer that has been alive for [`COMPLETENESS_TICKS`] is
/// suspected. Latency spikes break it: that is the lesson.
pub fn accuracy(w: &WorldRef<'_, Heartbeat>) -> bool {
    accuracy_after::<COMPLETENESS_TICKS>(w)
}

/// Strong accuracy for peers alive for at least `Y` ticks (long enough for their first
/// heartbeat to arrive).
pub fn accuracy_after<const Y: u64>(w: &WorldRef<'_, Heartbeat>) -> bool {
    let Some(m) = monitor(w) else { return true };
    (1..w.nodes()).all(|p| {
        let settled_alive = w.status(p) != Status::Down && w.time() >= w.status_since(p) + Y;
        !settled_alive || !m.suspected[usize::from(p)]
    })
}

/// Liveness (eventual accuracy): once faults stop, no live peer is suspected.
pub fn no_live_peer_suspected(w: &WorldRef<'_, Heartbeat>) -> bool {
    let Some(m) = monitor(w) else { return false };
    (1..w.nodes()).all(|p| w.status(p) == Status::Down || !m.suspected[usize::from(p)])
}

/// Accuracy counts from a trace: (suspicions, false suspicions — of a peer that was not down).
pub fn suspicion_counts(trace: &[TraceEvent<Heartbeat>], nodes: u16) -> (u64, u64) {
    let mut down = vec![false; usize::from(nodes)];
    let (mut all, mut wrong) = (0, 0);
    for ev in trace {
        match &ev.event {
            Event::Action(Action::Crash(n)) => down[usize::from(*n)] = true,
            Event::Action(Action::Restart(n)) => down[usize::from(*n)] = false,
            Event::Note {
                note: Note::Suspect(p),
                ..
            } => {
                all += 1;
                if !down[usize::from(*p)] {
                    wrong += 1;
                }
            }
            _ => {}
        }
    }
    (all, wrong)
}

/// The `heartbeat-spikes` scenario.
pub fn spikes() -> Scenario<Heartbeat> {
    Scenario {
        id: "heartbeat-spikes",
        title: "A heartbeat failure detector under latency spikes",
        description: "A monitor and four peers beating every 10 ticks. Heartbeats usually \
                      take 2-6 ticks, but 3% of them are delayed by up to 80 ticks and 1% are \
                      lost; with an 18-tick timeout the monitor then suspects live peers. n3 crashes at t=400 and is suspected within \
                      the completeness bound; it restarts at t=800 and is trusted again.",
        nodes: 5,
        protocol: Heartbeat {
            interval_ticks: 10,
            timeout_ticks: 18,
            check_ticks: 5,
            first_heartbeat_ticks: 0,
            policy: None,
        },
        net: LinkCfg {
            latency_min_ticks: 2,
            latency_max_ticks: 6,
            loss_ppm: 10_000,
            dup_ppm: 0,
            spike_ppm: 30_000,
            spike_ticks_max: 80,
        },
        calm: LinkCfg::calm(2, 6),
        script: vec![Override::at(400, Action::Crash(3)), Override::at(800, Action::Restart(3))],
        properties: vec![
            Property::always("completeness", completeness),
            Property::always("accuracy", accuracy),
            Property::eventually("eventual-accuracy", 200, no_live_peer_suspected),
        ],
        workload: Vec::new(),
        faulty_nodes: vec![1, 2, 3, 4],
        safety_ticks: 1_000,
    }
}

/// Completeness bound of `heartbeat-wan`: the longest latency a swarm run may set (three
/// times the scenario's 380 ticks), the timeout with 10% clock drift, a check period and the
/// largest clock step a swarm run may make (50 ticks), rounded up.
pub const WAN_COMPLETENESS_TICKS: u64 = 1_300;

/// The `heartbeat-wan` scenario: the same detector with the monitor far away. Heartbeats take
/// 320–380 ticks but leave every 10, so about 35 from each peer are in flight at once;
/// the timeout only has to cover the *jitter* between arrivals, yet a crash is noticed no
/// sooner than one latency after it happens. A fresh monitor waits 500 ticks for a peer's
/// first heartbeat instead of suspecting every peer before any heartbeat could arrive.
pub fn wan() -> Scenario<Heartbeat> {
    Scenario {
        id: "heartbeat-wan",
        title: "A failure detector across a slow link",
        description: "A monitor in another region watches six peers beating every 10 ticks \
                      (and gives each 500 ticks for its first heartbeat to arrive); \
                      each heartbeat takes 320-380 ticks, so about 200 are in flight at once. \
                      A 60-tick timeout covers the jitter between arrivals, but when n4 \
                      crashes at t=600 the monitor learns it only after the heartbeats already \
                      on the way have arrived: detection takes latency plus timeout. n4 \
                      restarts at t=1200.",
        nodes: 7,
        protocol: Heartbeat {
            interval_ticks: 10,
            timeout_ticks: 60,
            check_ticks: 5,
            first_heartbeat_ticks: 500,
            policy: None,
        },
        net: LinkCfg {
            latency_min_ticks: 320,
            latency_max_ticks: 380,
            loss_ppm: 10_000,
            dup_ppm: 0,
            spike_ppm: 0,
            spike_ticks_max: 0,
        },
        calm: LinkCfg::calm(320, 380),
        script: vec![
            Override::at(600, Action::Crash(4)),
            Override::at(1_200, Action::Restart(4)),
        ],
        properties: vec![
            Property::always(
                "completeness",
                completeness_within::<WAN_COMPLETENESS_TICKS>,
            ),
            Property::always("accuracy", accuracy_after::<WAN_COMPLETENESS_TICKS>),
            Property::eventually(
                "eventual-accuracy",
                WAN_COMPLETENESS_TICKS,
                no_live_peer_suspected,
            ),
        ],
        workload: Vec::new(),
        faulty_nodes: vec![1, 2, 3, 4, 5, 6],
        safety_ticks: 2_000,
    }
}

/// One point of a [`sweep`]: how a fixed timeout fared.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SweepPoint {
    /// The fixed timeout (ticks).
    pub timeout: u64,
    /// Suspicions of a peer that was up.
    pub false_suspicions: u64,
    /// Ticks from the crash to its suspicion (the one crash of the run); a crash never
    /// suspected counts as the rest of the run, [`SWEEP_END`] − [`SWEEP_CRASH_AT`].
    pub mean_detection_ticks: u64,
}

/// When the sweep's one crash (of n3) happens.
pub const SWEEP_CRASH_AT: u64 = 400;
/// When each sweep run ends.
pub const SWEEP_END: u64 = 1_200;
/// The peer the sweep crashes.
pub const SWEEP_CRASHED: NodeId = 3;

/// The trade-off chart: the `heartbeat-spikes` world with seed `seed` and one crash (n3 at
/// [`SWEEP_CRASH_AT`], never restarted), run to [`SWEEP_END`] once per fixed timeout. The
/// monitor draws no randomness and sends nothing, so every run sees the same heartbeat
/// latencies: only the timeout differs.
pub fn sweep(seed: u64, timeouts: &[u64]) -> Vec<SweepPoint> {
    timeouts
        .iter()
        .map(|&timeout| {
            let mut scenario = spikes();
            scenario.protocol.timeout_ticks = timeout;
            let spec = crate::sim::spec::RunSpec {
                scenario: scenario.id.to_string(),
                seed,
                overrides: vec![Override::at(SWEEP_CRASH_AT, Action::Crash(SWEEP_CRASHED))],
            };
            let options = crate::sim::world::SimOptions {
                record_trace: true,
                checkpoints: false,
                check_properties: false,
            };
            // The spec is well formed and the run short, far inside every limit: a failure
            // here would be a bug, and it shows as a point with the worst values.
            let trace = crate::sim::world::Sim::new(scenario, spec, options)
                .and_then(|mut sim| sim.run_until_time(SWEEP_END, false).map(|()| sim))
                .map(|sim| sim.trace().to_vec())
                .unwrap_or_default();
            let (_, false_suspicions) = suspicion_counts(&trace, 5);
            let detected = trace.iter().find_map(|ev| match &ev.event {
                Event::Note {
                    note: Note::Suspect(p),
                    ..
                } if *p == SWEEP_CRASHED && ev.t >= SWEEP_CRASH_AT => Some(ev.t - SWEEP_CRASH_AT),
                _ => None,
            });
            SweepPoint {
                timeout,
                false_suspicions,
                mean_detection_ticks: detected.unwrap_or(SWEEP_END - SWEEP_CRASH_AT),
            }
        })
        .collect()
}

/// Timeouts the `heartbeat-spikes` chart sweeps (ticks).
pub const SWEEP_TIMEOUTS: [u64; 13] = [10, 12, 14, 16, 18, 21, 25, 30, 40, 50, 60, 80, 100];

/// The `heartbeat-spikes` trade-off as a chart: false suspicions and detection time against
/// the timeout, for the run with `seed`.
pub fn sweep_chart(seed: u64) -> crate::sim::panel::Sweep {
    let points = sweep(seed, &SWEEP_TIMEOUTS);
    crate::sim::panel::Sweep {
        title: "The timeout trade-off".into(),
        x_label: "timeout (ticks)".into(),
        current: spikes().protocol.timeout_ticks,
        legend: format!(
            "The same heartbeats (seed {seed}) judged with each timeout, with n{SWEEP_CRASHED} crashing at t={SWEEP_CRASH_AT}: a short timeout suspects live peers during latency spikes (accuracy), a long one takes longer to notice the crash (completeness). The dashed line is this run's timeout."
        ),
        series: vec![
            crate::sim::panel::SweepSeries {
                name: "false suspicions".into(),
                points: points
                    .iter()
                    .map(|p| (p.timeout, p.false_suspicions))
                    .collect(),
            },
            crate::sim::panel::SweepSeries {
                name: "detection time (ticks)".into(),
                points: points
                    .iter()
                    .map(|p| (p.timeout, p.mean_detection_ticks))
                    .collect(),
            },
        ],
        names: Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sweep_trades_false_suspicions_for_detection_time() {
        let timeouts = [12, 18, 25, 40, 60, 100, 150];
        for seed in 0..5 {
            let points = sweep(seed, &timeouts);
            assert_eq!(points.len(), timeouts.len());
            let (first, last) = (points[0], points[points.len() - 1]);
            assert!(
                first.false_suspicions > last.false_suspicions,
                "seed {seed}: {points:?}"
            );
            assert!(
                last.mean_detection_ticks > first.mean_detection_ticks,
                "seed {seed}: {points:?}"
            );
            // Every run sees the same latencies, so a longer timeout never suspects more and
            // never detects sooner.
            for pair in points.windows(2) {
                assert!(
                    pair[1].false_suspicions <= pair[0].false_suspicions,
                    "{points:?}"
                );
                assert!(
                    pair[1].mean_detection_ticks >= pair[0].mean_detection_ticks,
                    "{points:?}"
                );
            }
            // A crash is detected no sooner than the timeout after the last heartbeat.
            for p in &points {
                assert!(p.mean_detection_ticks + 10 >= p.timeout, "{p:?}");
            }
        }
        assert_eq!(sweep(3, &timeouts), sweep(3, &timeouts));
    }
}
