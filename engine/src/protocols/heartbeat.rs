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

use std::fmt;

use crate::hash::{Canon, Fnv64};
use crate::scenarios::AnyScenario;
use crate::sim::protocol::{Ctx, NodeId, NodeView, Protocol};
use crate::sim::spec::{Action, Override, When};
use crate::sim::trace::{Event, TraceEvent};
use crate::sim::world::{LinkCfg, PropKind, Property, Scenario, Status, WorldRef};

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
    /// The monitor suspects a peer silent for longer than this (local ticks).
    pub timeout_ticks: u64,
    /// The monitor checks this often (local ticks).
    pub check_ticks: u64,
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

/// This protocol takes no client requests.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NoRequest {}

impl fmt::Display for NoRequest {
    fn fmt(&self, _: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {}
    }
}

impl Canon for NoRequest {
    fn canon(&self, _: &mut Fnv64) {
        match *self {}
    }
}

/// The monitor's state.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MonitorState {
    /// Local time each peer was last heard from (index = node id; n0 unused).
    pub last_heard: Vec<u64>,
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
        m.last_heard[i] = ctx.now();
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
                    if !m.suspected[i] && now.saturating_sub(m.last_heard[i]) > self.timeout_ticks {
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
                NodeView::new("monitor")
                    .field("suspected", suspected.join(" "))
                    .field("last heard", heard.join(" "))
                    .field("suspicions", m.suspicions)
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
    let Some(m) = monitor(w) else { return true };
    if w.time() < w.status_since(MONITOR) + COMPLETENESS_TICKS {
        return true;
    }
    (1..w.nodes()).all(|p| {
        let long_dead =
            w.status(p) == Status::Down && w.time() >= w.status_since(p) + COMPLETENESS_TICKS;
        !long_dead || m.suspected[usize::from(p)]
    })
}

/// Safety (strong accuracy): no peer that has been alive for [`COMPLETENESS_TICKS`] is
/// suspected. Latency spikes break it: that is the lesson.
pub fn accuracy(w: &WorldRef<'_, Heartbeat>) -> bool {
    let Some(m) = monitor(w) else { return true };
    (1..w.nodes()).all(|p| {
        let settled_alive =
            w.status(p) != Status::Down && w.time() >= w.status_since(p) + COMPLETENESS_TICKS;
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

fn at(t: u64, action: Action) -> Override {
    Override {
        at: When::Time(t),
        action,
    }
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
        script: vec![at(400, Action::Crash(3)), at(800, Action::Restart(3))],
        properties: vec![
            Property {
                name: "completeness",
                kind: PropKind::Always,
                check: completeness,
            },
            Property {
                name: "accuracy",
                kind: PropKind::Always,
                check: accuracy,
            },
            Property {
                name: "eventual-accuracy",
                kind: PropKind::EventuallyWithin(200),
                check: no_live_peer_suspected,
            },
        ],
        workload: Vec::new(),
        faulty_nodes: vec![1, 2, 3, 4],
        safety_ticks: 1_000,
    }
}

/// The scenarios of this module.
pub fn scenarios() -> Vec<Box<dyn AnyScenario>> {
    vec![Box::new(spikes())]
}
