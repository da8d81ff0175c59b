//! The actor shape every protocol takes: pure handlers that record effects into a context.
//!
//! Invariant: a handler sees only its own node's state, its configuration (`&self`), the event
//! and the [`Ctx`]; it cannot read the true time, other nodes or any outside source of
//! randomness, so the simulator alone decides what happens and a run replays exactly.
//! Node configuration lives in the protocol value (`&self`); node state is
//! [`Protocol::State`] (volatile, lost on a crash) plus [`Protocol::Durable`] (what the node
//! wrote with [`Ctx::persist`], handed back to [`Protocol::on_start`] after a restart).

use std::fmt;

use crate::hash::{Canon, Fnv64};
use crate::rng::Rng;

/// Index of a node, `0..nodes`.
pub type NodeId = u16;

/// Data that travels through the simulator: messages, timers, notes, requests and replies.
/// `Display` is the one-line label shown in the event log (e.g. `Ping{seq:4}`); [`Canon`] is its
/// canonical encoding for the trace hash.
pub trait Data: Clone + fmt::Debug + fmt::Display + Canon + 'static {}
impl<T: Clone + fmt::Debug + fmt::Display + Canon + 'static> Data for T {}

/// The request and reply type of a protocol that takes no client requests: it has no values,
/// so `on_client_request` is `match request {}`.
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

/// Per-node data for the UI: a role or status label plus named fields, rendered generically.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct NodeView {
    /// Role or status, e.g. `leader`, `client`, `monitor`.
    pub role: String,
    /// Named fields in display order, e.g. `("term", "3")`.
    pub fields: Vec<(String, String)>,
}

impl NodeView {
    /// A view with this role and no fields.
    pub fn new(role: impl Into<String>) -> NodeView {
        NodeView {
            role: role.into(),
            fields: Vec::new(),
        }
    }
    /// Add a field (builder style).
    pub fn field(mut self, name: impl Into<String>, value: impl fmt::Display) -> NodeView {
        self.fields.push((name.into(), value.to_string()));
        self
    }
}

/// A protocol: configuration in `self`, one state machine per node.
pub trait Protocol: Clone + 'static {
    /// Messages between nodes.
    type Msg: Data;
    /// Timer names; setting a timer equal to an armed one re-arms it.
    type Timer: Data + PartialEq;
    /// Typed trace notes (e.g. `suspect n3`, `applied inc`).
    type Note: Data;
    /// Client requests a node accepts.
    type Request: Data;
    /// Replies a node gives to its client.
    type Reply: Data;
    /// Volatile per-node state: lost on a crash.
    type State: Clone + 'static;
    /// Durable per-node state: written with [`Ctx::persist`], survives a crash.
    type Durable: Clone + 'static;

    /// A node starts (first boot, or a restart with what it last persisted).
    fn on_start(&self, restored: Option<&Self::Durable>, ctx: &mut Ctx<'_, Self>) -> Self::State;
    /// A message from `from` arrives.
    fn on_message(
        &self,
        state: &mut Self::State,
        from: NodeId,
        msg: Self::Msg,
        ctx: &mut Ctx<'_, Self>,
    );
    /// An armed timer fires.
    fn on_timer(&self, state: &mut Self::State, timer: Self::Timer, ctx: &mut Ctx<'_, Self>);
    /// A client hands this node a request.
    fn on_client_request(
        &self,
        state: &mut Self::State,
        request: Self::Request,
        ctx: &mut Ctx<'_, Self>,
    );
    /// Parse a client request from its text form (used by overrides and URL tokens).
    fn parse_request(&self, text: &str) -> Result<Self::Request, String>;
    /// The node's state as the UI shows it.
    fn view(&self, node: NodeId, state: &Self::State) -> NodeView;
    /// Panels drawn beside the cluster (e.g. a Raft log grid), from the whole world. Default:
    /// none. See [`crate::sim::panel`].
    fn panels(
        &self,
        _world: &crate::sim::world::WorldRef<'_, Self>,
    ) -> Vec<crate::sim::panel::Panel>
    where
        Self: Sized,
    {
        Vec::new()
    }
}

/// An effect recorded by a handler, carried out by the simulator after the handler returns.
#[derive(Clone, Debug)]
pub enum Effect<P: Protocol> {
    /// Send `msg` to `to`.
    Send(NodeId, P::Msg),
    /// Arm (or re-arm) `timer` to fire after this many local ticks.
    SetTimer(P::Timer, u64),
    /// Disarm `timer` if armed.
    CancelTimer(P::Timer),
    /// Replace the node's durable state.
    Persist(P::Durable),
    /// A typed trace note.
    Note(P::Note),
    /// Answer the node's client.
    Reply(P::Reply),
}

/// What a handler may do: read its id, the node count and its local clock, draw randomness
/// from the run's seeded generator, and record effects.
pub struct Ctx<'a, P: Protocol> {
    node: NodeId,
    nodes: u16,
    local_now: u64,
    rng: &'a mut Rng,
    effects: &'a mut Vec<Effect<P>>,
}

impl<'a, P: Protocol> Ctx<'a, P> {
    /// A context for `node`; used by the simulator and by unit tests of a single handler.
    pub fn new(
        node: NodeId,
        nodes: u16,
        local_now: u64,
        rng: &'a mut Rng,
        effects: &'a mut Vec<Effect<P>>,
    ) -> Self {
        Ctx {
            node,
            nodes,
            local_now,
            rng,
            effects,
        }
    }
    /// This node's id.
    pub fn id(&self) -> NodeId {
        self.node
    }
    /// How many nodes the scenario has.
    pub fn nodes(&self) -> u16 {
        self.nodes
    }
    /// This node's local clock (skewed and drifting; not the true time).
    pub fn now(&self) -> u64 {
        self.local_now
    }
    /// A uniform random value in `lo..=hi`, e.g. a randomized election timeout.
    pub fn random_range(&mut self, lo: u64, hi: u64) -> u64 {
        self.rng.range_inclusive(lo, hi)
    }
    /// Send `msg` to `to`.
    pub fn send(&mut self, to: NodeId, msg: P::Msg) {
        self.effects.push(Effect::Send(to, msg));
    }
    /// Send `msg` to every other node.
    pub fn broadcast(&mut self, msg: P::Msg) {
        for to in 0..self.nodes {
            if to != self.node {
                self.effects.push(Effect::Send(to, msg.clone()));
            }
        }
    }
    /// Arm `timer` to fire after `after_ticks` local ticks (at least one).
    pub fn set_timer(&mut self, timer: P::Timer, after_ticks: u64) {
        self.effects.push(Effect::SetTimer(timer, after_ticks));
    }
    /// Disarm `timer`.
    pub fn cancel_timer(&mut self, timer: P::Timer) {
        self.effects.push(Effect::CancelTimer(timer));
    }
    /// Replace this node's durable state; a restart hands it back to `on_start`.
    pub fn persist(&mut self, durable: P::Durable) {
        self.effects.push(Effect::Persist(durable));
    }
    /// Record a typed note in the trace.
    pub fn note(&mut self, note: P::Note) {
        self.effects.push(Effect::Note(note));
    }
    /// Reply to this node's client.
    pub fn reply(&mut self, reply: P::Reply) {
        self.effects.push(Effect::Reply(reply));
    }
}
