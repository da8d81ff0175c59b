//! The actor shape every protocol takes: pure handlers that record effects into a context.
//!
//! Invariant: a handler sees only its own node's state, its configuration (`&self`), the event
//! and the [`Ctx`]; it cannot read the true time, other nodes or any outside source of
//! randomness, so the simulator alone decides what happens and a run replays exactly.
//! Node configuration lives in the protocol value (`&self`); node state is
//! [`Protocol::State`] (volatile, lost on a crash) plus [`Protocol::Durable`] (what the node
//! wrote with [`Ctx::persist`], handed back to [`Protocol::on_start`] after a restart).
//! A protocol may declare live [options](ProtocolOption) (e.g. a replication mode) that a run
//! changes with `Action::Set`; a handler reads the current choice with [`Ctx::option`]. A
//! handler that wants an outside observer's record of what its node did (a client history,
//! stamped with the true time as a test harness such as Jepsen's would) records it with
//! [`Ctx::observe`]; the handler itself never learns that time.

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

/// How the cluster drawing marks a node's role: a leader is unmistakable, a candidate stands out,
/// a client looks unlike a server.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Emphasis {
    /// The node others follow: a Raft leader, a 2PC coordinator, a primary.
    Lead,
    /// A node trying to lead: a Raft candidate, a Paxos proposer in phase 1.
    Contend,
    /// A server among equals: a follower, a replica, an acceptor.
    #[default]
    Peer,
    /// A client of the service.
    Client,
}

impl Emphasis {
    /// The emphasis a role's first word suggests: `leader`, `coordinator` and `primary` lead,
    /// `candidate` contends, `client` is a client, anything else is a peer.
    pub fn of_role(role: &str) -> Emphasis {
        match role.split_whitespace().next().unwrap_or("") {
            "leader" | "coordinator" | "primary" => Emphasis::Lead,
            "candidate" => Emphasis::Contend,
            "client" => Emphasis::Client,
            _ => Emphasis::Peer,
        }
    }
}

/// Per-node data for the UI: a role or status label plus named fields, rendered generically.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct NodeView {
    /// Role or status, e.g. `leader`, `client`, `monitor`.
    pub role: String,
    /// Named fields in display order, e.g. `("term", "3")`.
    pub fields: Vec<(String, String)>,
    /// How the drawing marks the role (by default, from the role's first word).
    #[serde(default)]
    pub emphasis: Emphasis,
    /// A short tag drawn on the node, e.g. `T3` for a Raft term.
    #[serde(default)]
    pub badge: Option<String>,
}

impl NodeView {
    /// A view with this role, the emphasis its first word suggests, and no fields.
    pub fn new(role: impl Into<String>) -> NodeView {
        let role = role.into();
        NodeView {
            emphasis: Emphasis::of_role(&role),
            role,
            fields: Vec::new(),
            badge: None,
        }
    }
    /// Add a field (builder style).
    pub fn field(mut self, name: impl Into<String>, value: impl fmt::Display) -> NodeView {
        self.fields.push((name.into(), value.to_string()));
        self
    }
    /// Set how the drawing marks the role (builder style).
    pub fn emphasis(mut self, emphasis: Emphasis) -> NodeView {
        self.emphasis = emphasis;
        self
    }
    /// Set the tag drawn on the node (builder style).
    pub fn badge(mut self, badge: impl fmt::Display) -> NodeView {
        self.badge = Some(badge.to_string());
        self
    }
}

/// A kind of message a protocol sends, for the drawing's colours and legend. A message is of
/// the kind whose `name` is the identifier its one-line label starts with (`AppendEntries{…}`
/// is an `AppendEntries`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MessageKind {
    /// The label's leading identifier, e.g. `AppendEntries`.
    pub name: &'static str,
    /// True for an answer to a request (drawn hollow).
    pub reply: bool,
    /// A few words on what it carries, for the legend's tooltip.
    pub meaning: &'static str,
}

/// The identifier a message label starts with: `AppendEntries{t:2}` → `AppendEntries`.
pub fn label_kind(label: &str) -> &str {
    let end = label
        .find(|c: char| !c.is_ascii_alphanumeric() && c != '_')
        .unwrap_or(label.len());
    &label[..end]
}

/// A live option of a protocol: one named choice among a few, which a run may change at any
/// moment (`Action::Set`, token `o<name>.<choice>`), e.g. `replication` = `sync` / `quorum` /
/// `async`. Every node reads the same current choice.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ProtocolOption {
    /// Name in tokens and the trace, `[a-z0-9-]`, e.g. `replication`.
    pub name: &'static str,
    /// Label in the view, e.g. `Replication`.
    pub label: &'static str,
    /// The choices, `[a-z0-9-]` each, e.g. `["sync", "quorum", "async"]`.
    pub choices: &'static [&'static str],
    /// Index in `choices` of the choice a run starts with.
    pub default: usize,
    /// One sentence on what each choice does, for the view's tooltip.
    pub help: &'static str,
}

impl ProtocolOption {
    /// Index of `choice`, if it is one of this option's.
    pub fn index_of(&self, choice: &str) -> Option<usize> {
        self.choices.iter().position(|c| *c == choice)
    }
}

/// Whether `name=choice` names an option of `options` and one of its choices; the error says
/// what exists.
pub fn check_option(
    options: &[ProtocolOption],
    name: &str,
    choice: &str,
) -> Result<(usize, usize), String> {
    let Some(i) = options.iter().position(|o| o.name == name) else {
        let known: Vec<&str> = options.iter().map(|o| o.name).collect();
        return Err(if known.is_empty() {
            format!("this scenario has no options (asked for '{name}')")
        } else {
            format!("no option '{name}' (known: {})", known.join(", "))
        });
    };
    let option = &options[i];
    let c = option.index_of(choice).ok_or_else(|| {
        format!(
            "option '{name}' has no choice '{choice}' (choices: {})",
            option.choices.join(", ")
        )
    })?;
    Ok((i, c))
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
    /// The kinds of message this protocol sends, in legend order (colours follow the order).
    fn message_kinds(&self) -> &'static [MessageKind] {
        &[]
    }
    /// The protocol's live options. Default: none.
    fn options(&self) -> &'static [ProtocolOption] {
        &[]
    }
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
    /// A note for the outside observer's record (see [`Ctx::observe`]).
    Observe(P::Note),
}

/// What a handler may do: read its id, the node count and its local clock, draw randomness
/// from the run's seeded generator, and record effects.
pub struct Ctx<'a, P: Protocol> {
    node: NodeId,
    nodes: u16,
    local_now: u64,
    rng: &'a mut Rng,
    effects: &'a mut Vec<Effect<P>>,
    options: &'a [ProtocolOption],
    choices: &'a [u8],
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
            options: &[],
            choices: &[],
        }
    }
    /// The same context with the protocol's options at these choices (indices, one per
    /// option); without it every option reads as its default.
    pub fn with_options(mut self, options: &'a [ProtocolOption], choices: &'a [u8]) -> Self {
        self.options = options;
        self.choices = choices;
        self
    }
    /// The current choice of option `name` (one of the protocol's [`Protocol::options`]).
    ///
    /// # Panics
    /// If the protocol declares no option `name`: a programming error in the protocol.
    pub fn option(&self, name: &str) -> &'static str {
        let (i, option) = self
            .options
            .iter()
            .enumerate()
            .find(|(_, o)| o.name == name)
            .unwrap_or_else(|| panic!("the protocol declares no option '{name}'"));
        let c = self
            .choices
            .get(i)
            .map_or(option.default, |c| usize::from(*c));
        option.choices[c]
    }
    /// Runs `handler` for another protocol `Q` embedded in this one (a replicated store's Raft,
    /// say) on the same node, with the same local clock and the same seeded generator, as if
    /// the cluster had `nodes` nodes (so the embedded protocol's majorities and broadcasts
    /// count only its own servers). Returns the handler's result and the effects it recorded,
    /// for the embedding protocol to carry out in its own terms. The embedded protocol sees no
    /// options.
    pub fn nested<Q: Protocol, R>(
        &mut self,
        nodes: u16,
        handler: impl FnOnce(&mut Ctx<'_, Q>) -> R,
    ) -> (R, Vec<Effect<Q>>) {
        let mut effects = Vec::new();
        let result = {
            let mut ctx = Ctx::new(self.node, nodes, self.local_now, self.rng, &mut effects);
            handler(&mut ctx)
        };
        (result, effects)
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
    /// Record `note` in the trace and in the outside observer's record of the run, which the
    /// simulator stamps with the true time and step (read it with `WorldRef::observed`): how a
    /// client history is recorded, as a test harness outside the system would.
    pub fn observe(&mut self, note: P::Note) {
        self.effects.push(Effect::Observe(note));
    }
}
