//! Lesson: physical clocks disagree. Every node's clock starts a little off (skew) and runs a
//! little fast or slow (drift), so the disagreement grows without bound unless nodes
//! synchronise — and synchronising over a network with variable delay can only ever be as good
//! as half the round trip.
//!
//! Node n0 is a time server with an accurate clock; n1.. are clients whose clocks the scenario
//! skews and drifts at the start (exaggerated: thousands of ppm, so the drift shows within a few
//! thousand ticks). Every client asks the server for the time every `poll_ticks` local ticks.
//! In `clocks-drift` it ignores the answer; in `clocks-sync` it applies Cristian's algorithm
//! (Cristian 1989, the core of NTP's offset estimate): it records the request's send time `t0`
//! and the reply's arrival time `t3` on its own clock, takes the server's time `ts` from the
//! reply, and estimates that the true time at `t3` is `ts + RTT/2` with `RTT = t3 - t0`, give or
//! take `RTT/2` (the reply left the server somewhere between `t0` and `t3`). A node cannot set
//! the simulator's clock, so the synchronised clock is the local clock plus a correction kept in
//! the node's state.
//!
//! The honest bound ([`error_within_bound`]): after a sync whose request left at true time `T0`,
//! at true time `t` the corrected clock is off by at most `ceil(RTT/2)` plus the drift the
//! client's clock accumulates over `t - T0` plus 2 ticks of integer rounding. The drift term is
//! the part a node cannot see: its bound says `±RTT/2`, yet its error keeps growing until the
//! next sync. Asymmetric delays (a slow request, a fast reply) push the error towards the edge
//! of `±RTT/2`.

use std::fmt;

use crate::hash::{Canon, Fnv64};
use crate::limits::PPM_ONE;
use crate::sim::panel::{Cell, Grid, GridRow, Panel};
use crate::sim::protocol::{Ctx, MessageKind, NoRequest, NodeId, NodeView, Protocol};
use crate::sim::spec::{Action, Override};
use crate::sim::world::{LinkCfg, Property, Scenario, Status, WorldRef};

/// The time server is always node 0.
pub const SERVER: NodeId = 0;

/// How far apart (in ticks) the clocks in `clocks-drift` may be before `clocks-agree-within-10`
/// fails.
pub const AGREE_TICKS: u64 = 10;

/// Integer rounding the bound allows for: one tick when reading the clock at the reply and one
/// over the round trip (see the module documentation).
pub const ROUNDING_TICKS: u64 = 2;

/// The clients' clocks in both scenarios: (node, skew ticks, drift ppm).
pub const CLIENT_CLOCKS: [(NodeId, i64, i32); 3] =
    [(1, 4, 20_000), (2, -3, -15_000), (3, 1, 8_000)];

/// The clock protocol's configuration.
#[derive(Clone, Debug)]
pub struct Clocks {
    /// Whether clients apply the server's answer (`clocks-sync`) or ignore it (`clocks-drift`).
    pub sync: bool,
    /// A client asks the server for the time this often (local ticks).
    pub poll_ticks: u64,
    /// Whether the estimate adds half the round trip to the server's time. Both scenarios do;
    /// `false` is the mistake of forgetting the reply's travel time, which the tests use to
    /// show that `error-within-bound` catches it.
    pub add_half_rtt: bool,
}

/// Messages.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Msg {
    /// A client asks for the time.
    TimeRequest {
        /// Matches the reply to the request.
        seq: u64,
    },
    /// The server's clock when it answered.
    TimeReply {
        /// The request's sequence number.
        seq: u64,
        /// The server's clock.
        server_time: u64,
    },
}

impl fmt::Display for Msg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Msg::TimeRequest { seq } => write!(f, "TimeRequest{{seq:{seq}}}"),
            Msg::TimeReply { seq, server_time } => {
                write!(f, "TimeReply{{seq:{seq}, ts:{server_time}}}")
            }
        }
    }
}

impl Canon for Msg {
    fn canon(&self, h: &mut Fnv64) {
        match self {
            Msg::TimeRequest { seq } => {
                h.u8(0);
                h.u64(*seq);
            }
            Msg::TimeReply { seq, server_time } => {
                h.u8(1);
                h.u64(*seq);
                h.u64(*server_time);
            }
        }
    }
}

/// The one timer: a client's poll.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Poll;

impl fmt::Display for Poll {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("poll")
    }
}

impl Canon for Poll {
    fn canon(&self, h: &mut Fnv64) {
        h.u8(0);
    }
}

/// What a client learnt from a reply.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Note {
    /// Local round-trip time.
    pub rtt: u64,
    /// The server's estimated time minus the local clock at the reply.
    pub offset: i64,
    /// Whether the client applied the offset.
    pub applied: bool,
}

impl fmt::Display for Note {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let bound = self.rtt.div_ceil(2);
        if self.applied {
            write!(
                f,
                "sync rtt={} offset={:+} bound=±{bound}",
                self.rtt, self.offset
            )
        } else {
            write!(
                f,
                "offset seen {:+} (rtt={}), not applied",
                self.offset, self.rtt
            )
        }
    }
}

impl Canon for Note {
    fn canon(&self, h: &mut Fnv64) {
        h.u64(self.rtt);
        self.offset.canon(h);
        self.applied.canon(h);
    }
}

/// The last synchronisation a client applied.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Synced {
    /// Local time the request left (`t0`).
    pub t0: u64,
    /// Local round-trip time.
    pub rtt: u64,
    /// The error bound the client believes: `ceil(rtt / 2)`.
    pub bound: u64,
}

/// A client's state.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Client {
    /// Sequence number of the outstanding request and its local send time.
    pub pending: Option<(u64, u64)>,
    /// The next request's sequence number.
    pub next_seq: u64,
    /// Added to the local clock to give the corrected clock.
    pub correction: i64,
    /// The last applied synchronisation.
    pub synced: Option<Synced>,
    /// The last round trip measured (applied or not).
    pub last_rtt: Option<u64>,
    /// The last offset seen (applied or not).
    pub last_offset: Option<i64>,
    /// The local clock at the client's last event (handlers see the clock only then).
    pub seen_local: u64,
}

impl Client {
    /// The corrected clock when the local clock reads `local`.
    pub fn corrected(&self, local: u64) -> u64 {
        local.saturating_add_signed(self.correction)
    }
}

/// A node's state.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum State {
    /// n0: replies counted.
    Server(u64),
    /// n1..
    Client(Client),
}

impl Protocol for Clocks {
    type Msg = Msg;
    type Timer = Poll;
    type Note = Note;
    type Request = NoRequest;
    type Reply = NoRequest;
    type State = State;
    type Durable = ();

    fn on_start(&self, _restored: Option<&()>, ctx: &mut Ctx<'_, Self>) -> State {
        if ctx.id() == SERVER {
            return State::Server(0);
        }
        // Spread the clients' first polls so their round trips do not line up.
        let first = ctx.random_range(1, self.poll_ticks.max(1));
        ctx.set_timer(Poll, first);
        State::Client(Client {
            pending: None,
            next_seq: 0,
            correction: 0,
            synced: None,
            last_rtt: None,
            last_offset: None,
            seen_local: ctx.now(),
        })
    }

    fn on_message(&self, state: &mut State, from: NodeId, msg: Msg, ctx: &mut Ctx<'_, Self>) {
        match (state, msg) {
            (State::Server(replies), Msg::TimeRequest { seq }) => {
                *replies += 1;
                ctx.send(
                    from,
                    Msg::TimeReply {
                        seq,
                        server_time: ctx.now(),
                    },
                );
            }
            (State::Client(c), Msg::TimeReply { seq, server_time }) => {
                let t3 = ctx.now();
                c.seen_local = t3;
                // A reply to an older request (delayed or duplicated) is ignored.
                let Some((want, t0)) = c.pending else { return };
                if seq != want || from != SERVER {
                    return;
                }
                c.pending = None;
                let rtt = t3.saturating_sub(t0);
                let half = if self.add_half_rtt { rtt / 2 } else { 0 };
                let estimate = i128::from(server_time) + i128::from(half);
                let offset = (estimate - i128::from(t3)).clamp(i64::MIN.into(), i64::MAX.into());
                let offset = offset as i64;
                c.last_rtt = Some(rtt);
                c.last_offset = Some(offset);
                if self.sync {
                    c.correction = offset;
                    c.synced = Some(Synced {
                        t0,
                        rtt,
                        bound: rtt.div_ceil(2),
                    });
                }
                ctx.note(Note {
                    rtt,
                    offset,
                    applied: self.sync,
                });
            }
            _ => {}
        }
    }

    fn on_timer(&self, state: &mut State, _timer: Poll, ctx: &mut Ctx<'_, Self>) {
        let State::Client(c) = state else { return };
        let now = ctx.now();
        c.seen_local = now;
        // A request still unanswered is given up: its reply, if it comes, is ignored.
        let seq = c.next_seq;
        c.next_seq += 1;
        c.pending = Some((seq, now));
        ctx.send(SERVER, Msg::TimeRequest { seq });
        ctx.set_timer(Poll, self.poll_ticks);
    }

    fn on_client_request(&self, _: &mut State, request: NoRequest, _: &mut Ctx<'_, Self>) {
        match request {}
    }

    fn parse_request(&self, _text: &str) -> Result<NoRequest, String> {
        Err("the clock protocol takes no client requests".into())
    }

    fn message_kinds(&self) -> &'static [MessageKind] {
        &[
            MessageKind {
                name: "TimeRequest",
                reply: false,
                meaning: "a client asks the time server for the time",
            },
            MessageKind {
                name: "TimeReply",
                reply: true,
                meaning: "the server's clock reading",
            },
        ]
    }
    fn view(&self, _node: NodeId, state: &State) -> NodeView {
        match state {
            State::Server(replies) => NodeView::new("time server")
                .field("clock", "accurate")
                .field("replies", replies),
            State::Client(c) => {
                let show = |v: Option<u64>| v.map_or_else(|| "-".to_string(), |v| v.to_string());
                NodeView::new(if self.sync {
                    "client"
                } else {
                    "client (no sync)"
                })
                .field("local clock (last event)", c.seen_local)
                .field("corrected clock (last event)", c.corrected(c.seen_local))
                .field("correction", format!("{:+}", c.correction))
                .field("last RTT", show(c.last_rtt))
                .field(
                    "error bound",
                    match c.synced {
                        Some(s) => format!("±{}", s.bound),
                        None if self.sync => "none yet".to_string(),
                        None => "none (never synced)".to_string(),
                    },
                )
            }
        }
    }

    fn panels(&self, w: &WorldRef<'_, Clocks>) -> Vec<Panel> {
        let now = w.time();
        let rows = (0..w.nodes())
            .map(|n| {
                let local = w.local_time(n);
                let (skew, drift, _) = w.clock(n);
                let client = match w.state(n) {
                    Some(State::Client(c)) => Some(c),
                    _ => None,
                };
                let corrected = client.map_or(local, |c| c.corrected(local));
                let error = i128::from(corrected) - i128::from(now);
                let bound = client.and_then(|c| c.synced).map(|s| s.bound);
                let within = match bound {
                    Some(b) => error.unsigned_abs() <= u128::from(b),
                    None => error == 0,
                };
                let cell = |text: String, detail: String, group: u32| Cell {
                    text,
                    detail,
                    group,
                };
                let cells = vec![
                    cell(
                        now.to_string(),
                        "true time (only the simulator knows it)".into(),
                        0,
                    ),
                    cell(local.to_string(), "the node's own clock".into(), 0),
                    cell(
                        corrected.to_string(),
                        "local clock + correction from the last sync".into(),
                        0,
                    ),
                    cell(
                        format!("{error:+}"),
                        "corrected − true".into(),
                        if within { 1 } else { 2 },
                    ),
                    cell(
                        bound.map_or_else(|| "-".to_string(), |b| format!("±{b}")),
                        "±RTT/2 of the last sync".into(),
                        0,
                    ),
                ];
                GridRow {
                    label: format!("n{n}"),
                    note: if n == SERVER {
                        "time server".to_string()
                    } else {
                        format!("skew {skew:+} · drift {drift:+} ppm")
                    },
                    cells,
                    marked_below: 0,
                    down: w.status(n) == Status::Down,
                }
            })
            .collect();
        vec![Panel::Grid(Grid {
            title: "Clocks".into(),
            column_label: "column".into(),
            first_column: 0,
            legend: "Columns: true time, local clock, corrected clock, actual error (corrected − \
                     true), the node's own error bound. The error is coloured by whether it is \
                     within that bound."
                .into(),
            rows,
        })]
    }
}

fn client<'a>(w: &WorldRef<'a, Clocks>, n: NodeId) -> Option<&'a Client> {
    match w.state(n) {
        Some(State::Client(c)) if w.status(n) != Status::Down => Some(c),
        _ => None,
    }
}

/// The drift a clock running `drift_ppm` off can accumulate while it advances `local_elapsed`
/// ticks, rounded up (see the module documentation): the true elapsed time is at most
/// `(local_elapsed + 1) · 10⁶ / (10⁶ − |drift|)`.
pub fn drift_allowance(local_elapsed: u64, drift_ppm: i32) -> u64 {
    let d = u128::from(drift_ppm.unsigned_abs());
    let one = u128::from(PPM_ONE);
    if d >= one {
        return u64::MAX;
    }
    let num = (u128::from(local_elapsed) + 1) * d;
    u64::try_from(num.div_ceil(one - d)).unwrap_or(u64::MAX)
}

/// Safety (`clocks-sync`): after a client's first sync, its corrected clock is within
/// `ceil(RTT/2) + drift allowance since the request left + 2` of the true time. It speaks of
/// clocks set at the start only: a client or server clock changed by hand later is a step
/// change no bound covers, so such a node is not judged.
pub fn error_within_bound(w: &WorldRef<'_, Clocks>) -> bool {
    let (server_skew, server_drift, server_since) = w.clock(SERVER);
    if server_skew != 0 || server_drift != 0 || server_since != 0 {
        return true;
    }
    (1..w.nodes()).all(|n| {
        let Some(c) = client(w, n) else { return true };
        let Some(s) = c.synced else { return true };
        let (_, drift, since) = w.clock(n);
        if since != 0 {
            return true;
        }
        let local = w.local_time(n);
        let error = (i128::from(c.corrected(local)) - i128::from(w.time())).unsigned_abs();
        let allowed = u128::from(s.bound)
            + u128::from(drift_allowance(local.saturating_sub(s.t0), drift))
            + u128::from(ROUNDING_TICKS);
        error <= allowed
    })
}

/// Safety, meant to fail in `clocks-drift`: every live node's (corrected) clock is within
/// [`AGREE_TICKS`] of every other's.
pub fn clocks_agree(w: &WorldRef<'_, Clocks>) -> bool {
    let readings: Vec<u64> = (0..w.nodes())
        .filter(|&n| w.status(n) != Status::Down)
        .map(|n| {
            let local = w.local_time(n);
            client(w, n).map_or(local, |c| c.corrected(local))
        })
        .collect();
    match (readings.iter().min(), readings.iter().max()) {
        (Some(lo), Some(hi)) => hi - lo <= AGREE_TICKS,
        _ => true,
    }
}

fn clock_script() -> Vec<Override> {
    CLIENT_CLOCKS
        .iter()
        .map(|&(n, skew, drift)| Override::at(0, Action::Clock(n, skew, drift)))
        .collect()
}

/// The network of both scenarios: 2–12 ticks one way, 5% of messages delayed by up to 30 more.
pub const NET: LinkCfg = LinkCfg {
    latency_min_ticks: 2,
    latency_max_ticks: 12,
    loss_ppm: 0,
    dup_ppm: 0,
    spike_ppm: 50_000,
    spike_ticks_max: 30,
};

/// The `clocks-drift` scenario.
pub fn drift() -> Scenario<Clocks> {
    Scenario {
        id: "clocks-drift",
        title: "Clocks drift apart",
        description: "A time server n0 with an accurate clock and three clients whose clocks \
                      start a few ticks off and run 2% fast, 1.5% slow and 0.8% fast. The \
                      clients ask the server for the time every 200 ticks but ignore the answer: \
                      the gap between the clocks grows linearly, and within a few hundred ticks \
                      they no longer agree within 10 ticks.",
        nodes: 4,
        protocol: Clocks {
            sync: false,
            poll_ticks: 200,
            add_half_rtt: true,
        },
        net: NET,
        calm: LinkCfg::calm(2, 12),
        script: {
            let mut s = clock_script();
            s.push(Override::at(4_000, Action::HealAll));
            s
        },
        properties: vec![Property::always("clocks-agree-within-10", clocks_agree)],
        workload: Vec::new(),
        faulty_nodes: vec![1, 2, 3],
        safety_ticks: 2_000,
    }
}

/// The `clocks-sync` scenario.
pub fn sync() -> Scenario<Clocks> {
    Scenario {
        id: "clocks-sync",
        title: "Synchronising clocks with Cristian's algorithm",
        description: "The clocks of clocks-drift, but every 200 ticks each client asks n0 for \
                      the time and sets its clock to the server's time plus half the round trip, \
                      believing itself within ±RTT/2. Between syncs drift creeps back in. From \
                      t=2000 to t=4000 requests from n3 take 20-30 ticks while replies take 2-3: \
                      the asymmetry pushes n3's error to the edge of its bound.",
        nodes: 4,
        protocol: Clocks {
            sync: true,
            poll_ticks: 200,
            add_half_rtt: true,
        },
        net: NET,
        calm: LinkCfg::calm(2, 12),
        script: {
            let mut s = clock_script();
            s.push(Override::at(
                2_000,
                Action::Latency(Some((3, SERVER)), 20, 30),
            ));
            s.push(Override::at(
                2_000,
                Action::Latency(Some((SERVER, 3)), 2, 3),
            ));
            s.push(Override::at(4_000, Action::HealAll));
            s
        },
        properties: vec![Property::always("error-within-bound", error_within_bound)],
        workload: Vec::new(),
        faulty_nodes: vec![1, 2, 3],
        safety_ticks: 2_000,
    }
}
