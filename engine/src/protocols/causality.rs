//! Lesson: without a shared clock, the order that matters is causal. Lamport (1978) defines
//! happened-before (→): program order on one process, a send before its receive, and
//! everything that follows transitively. Lamport clocks respect it (a → b implies
//! L(a) < L(b), not the converse); vector clocks (Fidge 1988, Mattern 1989) characterise it
//! (a → b exactly when V(a) < V(b)).
//!
//! Three processes each perform [`ACTIONS`] actions at random moments (seeded timers): a local
//! event or a send to a random other process. Every event — local, send or receive — is
//! recorded as a trace note `e<k> L=<lamport> V=[<vector>] <what>` where `k` is the event's
//! index on its process (1-based, equal to its own vector entry) and `<what>` is `local`,
//! `send to n<j>` or `recv from n<j>`; e.g. `e5 L=4 V=[2,1,0] send to n2`. The app's
//! space-time diagram reads these notes. The "Events" panel lists each process's events.

use std::fmt;

use crate::hash::{Canon, Fnv64};
use crate::sim::panel::{Cell, Grid, GridRow, Panel};
use crate::sim::protocol::{Ctx, MessageKind, NoRequest, NodeId, NodeView, Protocol};
use crate::sim::world::{LinkCfg, Property, Scenario, Status, WorldRef};

/// Actions (local events and sends) each process performs before it only receives.
pub const ACTIONS: u32 = 8;

/// The causality demo's configuration.
#[derive(Clone, Debug)]
pub struct Causality {
    /// Ticks between a process's actions, drawn uniformly from this range.
    pub gap_ticks: (u64, u64),
    /// Chance (in percent) that an action is a send rather than a local event.
    pub send_percent: u64,
}

/// A message carries its send event's timestamps.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Msg {
    /// Lamport timestamp of the send.
    pub lamport: u64,
    /// Vector timestamp of the send.
    pub vector: Vec<u64>,
}

fn show_vector(v: &[u64]) -> String {
    let parts: Vec<String> = v.iter().map(ToString::to_string).collect();
    format!("[{}]", parts.join(","))
}

impl fmt::Display for Msg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Msg{{L:{}, V:{}}}",
            self.lamport,
            show_vector(&self.vector)
        )
    }
}

impl Canon for Msg {
    fn canon(&self, h: &mut Fnv64) {
        h.u64(self.lamport);
        h.u64(self.vector.len() as u64);
        for x in &self.vector {
            h.u64(*x);
        }
    }
}

/// The one timer: the next action.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Act;

impl fmt::Display for Act {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("act")
    }
}

impl Canon for Act {
    fn canon(&self, h: &mut Fnv64) {
        h.u8(0);
    }
}

/// What an event was.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// No message.
    Local,
    /// Sent a message to this process.
    Send(NodeId),
    /// Received a message from this process, stamped with the send's Lamport time.
    Recv(NodeId, u64),
}

/// One event with its timestamps; also the trace note.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EventRec {
    /// Index on its process, from 1.
    pub k: u64,
    /// What it was.
    pub kind: Kind,
    /// Lamport timestamp.
    pub lamport: u64,
    /// Vector timestamp.
    pub vector: Vec<u64>,
}

impl fmt::Display for EventRec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "e{} L={} V={} ",
            self.k,
            self.lamport,
            show_vector(&self.vector)
        )?;
        match self.kind {
            Kind::Local => f.write_str("local"),
            Kind::Send(to) => write!(f, "send to n{to}"),
            Kind::Recv(from, _) => write!(f, "recv from n{from}"),
        }
    }
}

impl Canon for EventRec {
    fn canon(&self, h: &mut Fnv64) {
        h.u64(self.k);
        match self.kind {
            Kind::Local => h.u8(0),
            Kind::Send(to) => {
                h.u8(1);
                to.canon(h);
            }
            Kind::Recv(from, l) => {
                h.u8(2);
                from.canon(h);
                h.u64(l);
            }
        }
        h.u64(self.lamport);
        for x in &self.vector {
            h.u64(*x);
        }
    }
}

/// A process's state.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct State {
    /// Lamport clock.
    pub lamport: u64,
    /// Vector clock.
    pub vector: Vec<u64>,
    /// Every event so far, in order.
    pub events: Vec<EventRec>,
    /// Actions still to perform.
    pub actions_left: u32,
}

impl Causality {
    fn record(&self, s: &mut State, kind: Kind, ctx: &mut Ctx<'_, Self>) -> EventRec {
        let me = usize::from(ctx.id());
        s.vector[me] += 1;
        let event = EventRec {
            k: s.vector[me],
            kind,
            lamport: s.lamport,
            vector: s.vector.clone(),
        };
        s.events.push(event.clone());
        ctx.note(event.clone());
        event
    }
}

impl Protocol for Causality {
    type Msg = Msg;
    type Timer = Act;
    type Note = EventRec;
    type Request = NoRequest;
    type Reply = NoRequest;
    type State = State;
    type Durable = ();

    fn on_start(&self, _restored: Option<&()>, ctx: &mut Ctx<'_, Self>) -> State {
        let first = ctx.random_range(self.gap_ticks.0, self.gap_ticks.1);
        ctx.set_timer(Act, first);
        State {
            lamport: 0,
            vector: vec![0; usize::from(ctx.nodes())],
            events: Vec::new(),
            actions_left: ACTIONS,
        }
    }

    fn on_message(&self, s: &mut State, from: NodeId, msg: Msg, ctx: &mut Ctx<'_, Self>) {
        s.lamport = s.lamport.max(msg.lamport) + 1;
        for (mine, theirs) in s.vector.iter_mut().zip(&msg.vector) {
            *mine = (*mine).max(*theirs);
        }
        self.record(s, Kind::Recv(from, msg.lamport), ctx);
    }

    fn on_timer(&self, s: &mut State, _timer: Act, ctx: &mut Ctx<'_, Self>) {
        if s.actions_left == 0 {
            return;
        }
        s.actions_left -= 1;
        s.lamport += 1;
        let nodes = ctx.nodes();
        if nodes > 1 && ctx.random_range(1, 100) <= self.send_percent {
            let pick = ctx.random_range(1, u64::from(nodes) - 1) as NodeId;
            let to = (ctx.id() + pick) % nodes;
            let event = self.record(s, Kind::Send(to), ctx);
            ctx.send(
                to,
                Msg {
                    lamport: event.lamport,
                    vector: event.vector,
                },
            );
        } else {
            self.record(s, Kind::Local, ctx);
        }
        if s.actions_left > 0 {
            let gap = ctx.random_range(self.gap_ticks.0, self.gap_ticks.1);
            ctx.set_timer(Act, gap);
        }
    }

    fn on_client_request(&self, _: &mut State, request: NoRequest, _: &mut Ctx<'_, Self>) {
        match request {}
    }

    fn parse_request(&self, _text: &str) -> Result<NoRequest, String> {
        Err("the causality demo takes no client requests".into())
    }

    fn message_kinds(&self) -> &'static [MessageKind] {
        &[MessageKind {
            name: "Msg",
            reply: false,
            meaning: "an application message with its Lamport and vector timestamps",
        }]
    }
    fn view(&self, _node: NodeId, s: &State) -> NodeView {
        NodeView::new("process")
            .field("Lamport clock", s.lamport)
            .field("vector clock", show_vector(&s.vector))
            .field("events", s.events.len())
            .field("actions left", s.actions_left)
    }

    fn panels(&self, w: &WorldRef<'_, Causality>) -> Vec<Panel> {
        let rows = (0..w.nodes())
            .map(|n| {
                let events = w.state(n).map(|s| s.events.as_slice()).unwrap_or_default();
                GridRow {
                    label: format!("n{n}"),
                    note: w.state(n).map_or_else(
                        || "down".to_string(),
                        |s| format!("L={} V={}", s.lamport, show_vector(&s.vector)),
                    ),
                    cells: events
                        .iter()
                        .map(|e| Cell {
                            text: format!("L{}", e.lamport),
                            detail: e.to_string(),
                            group: match e.kind {
                                Kind::Local => 0,
                                Kind::Send(_) => 1,
                                Kind::Recv(..) => 2,
                            },
                        })
                        .collect(),
                    marked_below: 0,
                    down: w.status(n) == Status::Down,
                }
            })
            .collect();
        vec![Panel::Grid(Grid {
            title: "Events".into(),
            column_label: "event".into(),
            first_column: 0,
            legend: "One row per process, one cell per event in order: its Lamport time (hover \
                     for the vector time). Colour: local event, send, receive."
                .into(),
            rows,
        })]
    }
}

/// The clock condition on one process's events: every receive is stamped later (Lamport) than
/// the send it received, and every event is stamped later than the one before it.
pub fn consistent(events: &[EventRec]) -> bool {
    let by_message = events.iter().all(|e| match e.kind {
        Kind::Recv(_, sent) => sent < e.lamport,
        _ => true,
    });
    let in_order = events.windows(2).all(|p| p[0].lamport < p[1].lamport);
    by_message && in_order
}

/// Safety: if a → b (by message or on one process) then L(a) < L(b), on every live process.
pub fn lamport_consistent(w: &WorldRef<'_, Causality>) -> bool {
    (0..w.nodes()).all(|n| w.state(n).is_none_or(|s| consistent(&s.events)))
}

/// The `causality` scenario.
pub fn causality() -> Scenario<Causality> {
    Scenario {
        id: "causality",
        title: "Happened-before, Lamport clocks and vector clocks",
        description: "Three processes each perform 8 actions at random moments: a local event \
                      or a message to another process (2-20 ticks on the wire). Every event is \
                      stamped with a Lamport clock and a vector clock. Click an event in the \
                      space-time diagram to see what happened before it and what is concurrent \
                      with it.",
        nodes: 3,
        protocol: Causality {
            gap_ticks: (5, 30),
            send_percent: 60,
        },
        net: LinkCfg::calm(2, 20),
        calm: LinkCfg::calm(2, 20),
        script: Vec::new(),
        properties: vec![Property::always("lamport-consistent", lamport_consistent)],
        workload: Vec::new(),
        faulty_nodes: vec![0, 1, 2],
        safety_ticks: 300,
    }
}
