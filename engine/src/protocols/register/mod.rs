//! Lesson: a consistency model is a property of the histories a replication design produces.
//!
//! Three replicas (n0 the leader, n1 and n2 followers) hold one register; two clients (n3 = A
//! near n1, n4 = B near n2) run a workload of reads and writes with unique values. How the store
//! replicates is a set of live [options](OPTIONS) a run may change at any moment:
//!
//! - `writes`: to the `leader`, or to the client's `nearest` replica (which then coordinates it);
//! - `replication`: the coordinator answers after `sync` (every other replica applied it),
//!   `quorum` (a majority, itself included, applied it) or `async` (at once; the others apply
//!   it later);
//! - `reads`: from the `leader`, the client's `nearest` replica, `any` replica (a random one each
//!   time) or a `quorum` (every replica is asked, the newest of the first two answers wins);
//! - `lag`: how long a follower holds an update before applying it (`none`, `short`, `long`).
//!
//! The CAP scenario has one switch instead, `mode` ([`CAP_OPTIONS`]): `cp` is leader writes
//! with quorum replication and quorum reads, `ap` is nearest-replica writes, asynchronous
//! replication and nearest reads.
//!
//! Versions are (counter, replica) pairs: a coordinator numbers a write one past the highest
//! version it holds; replicas keep the highest version they have seen (last writer wins) and,
//! every [`GOSSIP_TICKS`], gossip it to each replica not known to hold it (a replica that hears
//! older gossip answers with its own), so after a partition heals they converge and a
//! converged store is quiet. A client gives up
//! on an operation after [`OP_TIMEOUT_TICKS`]: its outcome is then unknown.
//!
//! What clients saw is recorded by an outside observer ([`Ctx::observe`]): the history that
//! [`view`] judges under every consistency model at every snapshot
//! ([`crate::consistency::classify`]), and the panel draws.

pub mod scenarios;
pub mod view;

use std::fmt;

use crate::hash::{Canon, Fnv64};
use crate::sim::protocol::{
    Ctx, MessageKind, NoRequest, NodeId, NodeView, Protocol, ProtocolOption,
};

pub use scenarios::{cap, replication, sweep_chart};

/// The leader (writes and reads go here under the `leader` choices).
pub const LEADER: NodeId = 0;
/// Replicas are nodes `0..REPLICAS`; clients come after.
pub const REPLICAS: u16 = 3;
/// Ticks between a replica's gossip of its version to the others.
pub const GOSSIP_TICKS: u64 = 60;
/// Ticks a client waits for an answer before it gives up (the outcome becomes unknown).
pub const OP_TIMEOUT_TICKS: u64 = 120;

/// The replicated register's live options.
pub const OPTIONS: &[ProtocolOption] = &[
    ProtocolOption {
        name: "writes",
        label: "Writes go to",
        choices: &["leader", "nearest"],
        default: 0,
        help: "leader: every write is coordinated by n0; nearest: by the client's own replica \
               (concurrent writes are ordered by version, last writer wins)",
    },
    ProtocolOption {
        name: "replication",
        label: "Replication",
        choices: &["sync", "quorum", "async"],
        default: 2,
        help: "sync: the write is acknowledged once every replica applied it; quorum: once a \
               majority did; async: at once, the others apply it later",
    },
    ProtocolOption {
        name: "reads",
        label: "Reads from",
        choices: &["leader", "nearest", "any", "quorum"],
        default: 1,
        help: "leader: n0; nearest: the client's own replica; any: a random replica each time; \
               quorum: the newest of the first two of three answers",
    },
    ProtocolOption {
        name: "lag",
        label: "Follower lag",
        choices: &["none", "short", "long"],
        default: 1,
        help: "how long a replica holds an update before applying it: 0, 30 or 150 ticks",
    },
];

/// The CAP scenario's one switch.
pub const CAP_OPTIONS: &[ProtocolOption] = &[ProtocolOption {
    name: "mode",
    label: "Mode",
    choices: &["cp", "ap"],
    default: 0,
    help: "cp: leader writes, quorum replication and quorum reads (the minority side cannot \
           answer); ap: every replica answers from its own copy and accepts writes (last writer \
           wins, replicas converge after the heal)",
}];

/// Which option set a store uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Knobs {
    /// [`OPTIONS`]: every choice separately.
    Full,
    /// [`CAP_OPTIONS`]: one CP / AP switch.
    Cap,
}

/// The replicated register's configuration.
#[derive(Clone, Debug)]
pub struct Register {
    /// The option set.
    pub knobs: Knobs,
    /// Clients (nodes `REPLICAS..REPLICAS + clients`).
    pub clients: u16,
    /// Operations each client runs.
    pub ops_per_client: u32,
}

/// How the store behaves now: the options resolved.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Config {
    /// Writes to the leader (else to the nearest replica).
    pub writes_to_leader: bool,
    /// Acknowledgements from other replicas a write waits for.
    pub acks: Acks,
    /// Where reads go.
    pub reads: Reads,
    /// Ticks a replica holds an update before applying it.
    pub lag_ticks: u64,
}

/// How many other replicas must apply a write before it is acknowledged.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Acks {
    /// Every other replica.
    All,
    /// Enough for a majority with the coordinator.
    Majority,
    /// None.
    None,
}

/// Where a read goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reads {
    /// n0.
    Leader,
    /// The client's own replica.
    Nearest,
    /// A random replica.
    Any,
    /// Every replica; the newest of the first majority of answers wins.
    Quorum,
}

/// A write's version: ordered by counter, then by the coordinating replica.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct Version {
    /// One past the highest counter the coordinator held.
    pub counter: u64,
    /// The coordinating replica.
    pub origin: NodeId,
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "v{}.{}", self.counter, self.origin)
    }
}

impl Canon for Version {
    fn canon(&self, h: &mut Fnv64) {
        h.u64(self.counter);
        self.origin.canon(h);
    }
}

/// A register value: `None` is the initial value (drawn `nil`, as the checkers say).
pub type Value = Option<u64>;

fn show(value: Value) -> String {
    value.map_or_else(|| "nil".to_string(), |v| v.to_string())
}

fn canon_value(value: Value, h: &mut Fnv64) {
    match value {
        None => h.u8(0),
        Some(v) => {
            h.u8(1);
            h.u64(v);
        }
    }
}

/// Messages.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Msg {
    /// Client → replica: write `value` (the client's operation `op`).
    Write {
        /// The client's operation number.
        op: u32,
        /// The value, unique in the run.
        value: u64,
    },
    /// Replica → client: operation `op` is done at `version`.
    WriteOk {
        /// The operation.
        op: u32,
        /// The write's version.
        version: Version,
    },
    /// Client → replica: read.
    Read {
        /// The client's operation number.
        op: u32,
    },
    /// Replica → client: the replica's value and version.
    ReadOk {
        /// The operation.
        op: u32,
        /// The value read.
        value: Value,
        /// Its version.
        version: Version,
    },
    /// Coordinator → replica: apply this write.
    Replicate {
        /// The write's version.
        version: Version,
        /// Its value.
        value: u64,
    },
    /// Replica → coordinator: applied `version` (or something newer).
    Ack {
        /// The version applied.
        version: Version,
    },
    /// Replica → replica: the newest write I hold (anti-entropy).
    Gossip {
        /// Its version.
        version: Version,
        /// Its value.
        value: Value,
    },
}

impl fmt::Display for Msg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Msg::Write { op, value } => write!(f, "Write{{op:{op},{value}}}"),
            Msg::WriteOk { op, version } => write!(f, "WriteOk{{op:{op},{version}}}"),
            Msg::Read { op } => write!(f, "Read{{op:{op}}}"),
            Msg::ReadOk { op, value, version } => {
                write!(f, "ReadOk{{op:{op},{},{version}}}", show(*value))
            }
            Msg::Replicate { version, value } => write!(f, "Replicate{{{version},{value}}}"),
            Msg::Ack { version } => write!(f, "Ack{{{version}}}"),
            Msg::Gossip { version, value } => write!(f, "Gossip{{{version},{}}}", show(*value)),
        }
    }
}

impl Canon for Msg {
    fn canon(&self, h: &mut Fnv64) {
        match self {
            Msg::Write { op, value } => {
                h.u8(0);
                h.u32(*op);
                h.u64(*value);
            }
            Msg::WriteOk { op, version } => {
                h.u8(1);
                h.u32(*op);
                version.canon(h);
            }
            Msg::Read { op } => {
                h.u8(2);
                h.u32(*op);
            }
            Msg::ReadOk { op, value, version } => {
                h.u8(3);
                h.u32(*op);
                canon_value(*value, h);
                version.canon(h);
            }
            Msg::Replicate { version, value } => {
                h.u8(4);
                version.canon(h);
                h.u64(*value);
            }
            Msg::Ack { version } => {
                h.u8(5);
                version.canon(h);
            }
            Msg::Gossip { version, value } => {
                h.u8(6);
                version.canon(h);
                canon_value(*value, h);
            }
        }
    }
}

/// Timers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Timer {
    /// Client: start the next operation.
    Think,
    /// Client: give up on operation `op`.
    GiveUp(u32),
    /// Replica: apply the held update with this sequence number.
    Apply(u64),
    /// Replica: gossip.
    Gossip,
}

impl fmt::Display for Timer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Timer::Think => f.write_str("think"),
            Timer::GiveUp(op) => write!(f, "give-up(op:{op})"),
            Timer::Apply(seq) => write!(f, "apply(#{seq})"),
            Timer::Gossip => f.write_str("gossip"),
        }
    }
}

impl Canon for Timer {
    fn canon(&self, h: &mut Fnv64) {
        match self {
            Timer::Think => h.u8(0),
            Timer::GiveUp(op) => {
                h.u8(1);
                h.u32(*op);
            }
            Timer::Apply(seq) => {
                h.u8(2);
                h.u64(*seq);
            }
            Timer::Gossip => h.u8(3),
        }
    }
}

/// What a client operation does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OpKind {
    /// Read the register.
    Read,
    /// Write this value.
    Write(u64),
}

/// Notes: the observer's record of client operations, and replica events.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Note {
    /// A client invoked operation `op`.
    Invoke {
        /// The client's operation number.
        op: u32,
        /// What it does.
        kind: OpKind,
    },
    /// Operation `op` returned: a read's value, or a write's acknowledgement.
    Return {
        /// The operation.
        op: u32,
        /// A read's value (`None` for a write or the initial value).
        value: Value,
        /// The version the store reported.
        version: Version,
    },
    /// The client gave up on operation `op`: its outcome is unknown.
    GaveUp {
        /// The operation.
        op: u32,
    },
    /// A replica applied a write.
    Applied {
        /// Its version.
        version: Version,
        /// Its value.
        value: u64,
    },
}

impl fmt::Display for Note {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Note::Invoke {
                op,
                kind: OpKind::Read,
            } => write!(f, "invoke op {op}: read"),
            Note::Invoke {
                op,
                kind: OpKind::Write(v),
            } => write!(f, "invoke op {op}: write {v}"),
            Note::Return {
                op,
                value: Some(v),
                version,
            } => write!(f, "return op {op}: {v} ({version})"),
            Note::Return { op, version, .. } => write!(f, "return op {op}: ok ({version})"),
            Note::GaveUp { op } => write!(f, "give up op {op}: outcome unknown"),
            Note::Applied { version, value } => write!(f, "applied {value} at {version}"),
        }
    }
}

impl Canon for Note {
    fn canon(&self, h: &mut Fnv64) {
        match self {
            Note::Invoke { op, kind } => {
                h.u8(0);
                h.u32(*op);
                match kind {
                    OpKind::Read => h.u8(0),
                    OpKind::Write(v) => {
                        h.u8(1);
                        h.u64(*v);
                    }
                }
            }
            Note::Return { op, value, version } => {
                h.u8(1);
                h.u32(*op);
                canon_value(*value, h);
                version.canon(h);
            }
            Note::GaveUp { op } => {
                h.u8(2);
                h.u32(*op);
            }
            Note::Applied { version, value } => {
                h.u8(3);
                version.canon(h);
                h.u64(*value);
            }
        }
    }
}

/// A write a coordinator has applied and waits to acknowledge.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Waiting {
    /// The client.
    pub client: NodeId,
    /// Its operation.
    pub op: u32,
    /// The write's version.
    pub version: Version,
    /// Other replicas that applied it.
    pub acked: Vec<NodeId>,
    /// How many it needs.
    pub needed: usize,
}

/// A replica's state.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ReplicaState {
    /// The newest write applied.
    pub version: Version,
    /// Its value.
    pub value: Value,
    /// Updates received and not yet applied (lag): (sequence, from, version, value).
    pub held: Vec<(u64, NodeId, Version, u64)>,
    /// Next sequence number for `held`.
    pub next_seq: u64,
    /// Writes awaiting acknowledgements.
    pub waiting: Vec<Waiting>,
    /// Per replica, the newest version it is known to hold (from its acks and gossip): gossip
    /// goes only to replicas that may be behind.
    pub known: Vec<Version>,
    /// Whether the gossip timer is armed (it is while some replica may be behind).
    pub gossip_armed: bool,
}

/// An operation a client is running.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Running {
    /// Its number.
    pub op: u32,
    /// What it does.
    pub kind: OpKind,
    /// For a quorum read: the answers so far.
    pub answers: Vec<(Version, Value)>,
    /// Answers a read needs (1, or a majority for a quorum read).
    pub needed: usize,
}

/// A client's state.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ClientState {
    /// Operations started so far (persisted: a restarted client never reuses a number).
    pub started: u32,
    /// Writes started so far (values are unique per client).
    pub writes: u32,
    /// The operation in progress.
    pub running: Option<Running>,
}

/// A node's state.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum State {
    /// n0..n2.
    Replica(ReplicaState),
    /// The clients.
    Client(ClientState),
}

/// What survives a crash.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Durable {
    /// A replica's applied write.
    Replica(Version, Value),
    /// A client's counters: (operations started, writes started).
    Client(u32, u32),
}

/// The client's letter: n3 is A, n4 is B, …
pub fn client_name(node: NodeId) -> char {
    char::from(b'A' + (node.saturating_sub(REPLICAS) % 26) as u8)
}

/// The replica nearest to client `node`: A → n1, B → n2, then round the followers.
pub fn nearest(node: NodeId) -> NodeId {
    1 + (node.saturating_sub(REPLICAS)) % (REPLICAS - 1)
}

/// The value of client `node`'s `k`-th write (from 1): A writes 1, 2, …; B 101, 102, …
pub fn write_value(node: NodeId, k: u32) -> u64 {
    u64::from(node.saturating_sub(REPLICAS)) * 100 + u64::from(k)
}

const MAJORITY: usize = (REPLICAS as usize) / 2 + 1;

impl Register {
    /// The current configuration, from the options.
    pub fn config(&self, choice: impl Fn(&str) -> &'static str) -> Config {
        match self.knobs {
            Knobs::Cap => {
                let cp = choice("mode") == "cp";
                Config {
                    writes_to_leader: cp,
                    acks: if cp { Acks::Majority } else { Acks::None },
                    reads: if cp { Reads::Quorum } else { Reads::Nearest },
                    lag_ticks: 30,
                }
            }
            Knobs::Full => Config {
                writes_to_leader: choice("writes") == "leader",
                acks: match choice("replication") {
                    "sync" => Acks::All,
                    "quorum" => Acks::Majority,
                    _ => Acks::None,
                },
                reads: match choice("reads") {
                    "leader" => Reads::Leader,
                    "nearest" => Reads::Nearest,
                    "any" => Reads::Any,
                    _ => Reads::Quorum,
                },
                lag_ticks: match choice("lag") {
                    "none" => 0,
                    "short" => 30,
                    _ => 150,
                },
            },
        }
    }

    fn current(&self, ctx: &Ctx<'_, Self>) -> Config {
        self.config(|name| ctx.option(name))
    }

    fn is_replica(node: NodeId) -> bool {
        node < REPLICAS
    }

    fn think(&self, c: &mut ClientState, ctx: &mut Ctx<'_, Self>) {
        if c.started >= self.ops_per_client || c.running.is_some() {
            return;
        }
        let me = ctx.id();
        let cfg = self.current(ctx);
        let op = c.started;
        c.started += 1;
        let kind = if ctx.random_range(0, 1) == 0 {
            c.writes += 1;
            OpKind::Write(write_value(me, c.writes))
        } else {
            OpKind::Read
        };
        ctx.persist(Durable::Client(c.started, c.writes));
        ctx.observe(Note::Invoke { op, kind });
        let mut needed = 1;
        match kind {
            OpKind::Write(value) => {
                let to = if cfg.writes_to_leader {
                    LEADER
                } else {
                    nearest(me)
                };
                ctx.send(to, Msg::Write { op, value });
            }
            OpKind::Read => match cfg.reads {
                Reads::Leader => ctx.send(LEADER, Msg::Read { op }),
                Reads::Nearest => ctx.send(nearest(me), Msg::Read { op }),
                Reads::Any => {
                    let to = ctx.random_range(0, u64::from(REPLICAS) - 1) as NodeId;
                    ctx.send(to, Msg::Read { op });
                }
                Reads::Quorum => {
                    needed = MAJORITY;
                    for to in 0..REPLICAS {
                        ctx.send(to, Msg::Read { op });
                    }
                }
            },
        }
        c.running = Some(Running {
            op,
            kind,
            answers: Vec::new(),
            needed,
        });
        ctx.set_timer(Timer::GiveUp(op), OP_TIMEOUT_TICKS);
    }

    fn finish(&self, c: &mut ClientState, note: Note, ctx: &mut Ctx<'_, Self>) {
        if let Some(r) = c.running.take() {
            ctx.cancel_timer(Timer::GiveUp(r.op));
        }
        ctx.observe(note);
        let pause = ctx.random_range(10, 40);
        ctx.set_timer(Timer::Think, pause);
    }

    fn client_message(&self, c: &mut ClientState, msg: Msg, ctx: &mut Ctx<'_, Self>) {
        let Some(running) = c.running.as_mut() else {
            return;
        };
        match msg {
            Msg::WriteOk { op, version } if op == running.op => {
                self.finish(
                    c,
                    Note::Return {
                        op,
                        value: None,
                        version,
                    },
                    ctx,
                );
            }
            Msg::ReadOk { op, value, version }
                if op == running.op && running.kind == OpKind::Read =>
            {
                running.answers.push((version, value));
                if running.answers.len() >= running.needed {
                    let (version, value) = running
                        .answers
                        .iter()
                        .copied()
                        .max_by_key(|(v, _)| *v)
                        .expect("at least one answer");
                    self.finish(c, Note::Return { op, value, version }, ctx);
                }
            }
            _ => {}
        }
    }

    fn apply(&self, r: &mut ReplicaState, version: Version, value: u64, ctx: &mut Ctx<'_, Self>) {
        if version > r.version {
            r.version = version;
            r.value = Some(value);
            ctx.persist(Durable::Replica(r.version, r.value));
            ctx.note(Note::Applied { version, value });
            Self::arm_gossip(r, ctx);
        }
    }

    /// Arms the gossip timer unless it is armed (re-arming would postpone it).
    fn arm_gossip(r: &mut ReplicaState, ctx: &mut Ctx<'_, Self>) {
        if !r.gossip_armed {
            r.gossip_armed = true;
            ctx.set_timer(Timer::Gossip, GOSSIP_TICKS);
        }
    }

    fn replica_message(
        &self,
        r: &mut ReplicaState,
        from: NodeId,
        msg: Msg,
        ctx: &mut Ctx<'_, Self>,
    ) {
        if let (
            Msg::Replicate { version, .. } | Msg::Ack { version } | Msg::Gossip { version, .. },
            Some(k),
        ) = (&msg, r.known.get_mut(usize::from(from)))
        {
            *k = (*k).max(*version);
        }
        match msg {
            Msg::Write { op, value } => {
                let cfg = self.current(ctx);
                let version = Version {
                    counter: r.version.counter + 1,
                    origin: ctx.id(),
                };
                self.apply(r, version, value, ctx);
                let needed = match cfg.acks {
                    Acks::All => usize::from(REPLICAS) - 1,
                    Acks::Majority => MAJORITY - 1,
                    Acks::None => 0,
                };
                for to in 0..REPLICAS {
                    if to != ctx.id() {
                        ctx.send(to, Msg::Replicate { version, value });
                    }
                }
                if needed == 0 {
                    ctx.send(from, Msg::WriteOk { op, version });
                } else {
                    r.waiting.push(Waiting {
                        client: from,
                        op,
                        version,
                        acked: Vec::new(),
                        needed,
                    });
                }
            }
            Msg::Read { op } => ctx.send(
                from,
                Msg::ReadOk {
                    op,
                    value: r.value,
                    version: r.version,
                },
            ),
            Msg::Replicate { version, value } => {
                let lag = self.current(ctx).lag_ticks;
                if lag == 0 {
                    self.apply(r, version, value, ctx);
                    ctx.send(from, Msg::Ack { version });
                } else {
                    let seq = r.next_seq;
                    r.next_seq += 1;
                    r.held.push((seq, from, version, value));
                    ctx.set_timer(Timer::Apply(seq), lag);
                }
            }
            Msg::Ack { version } => {
                let mut done = Vec::new();
                r.waiting.retain_mut(|w| {
                    if w.version <= version && !w.acked.contains(&from) {
                        w.acked.push(from);
                    }
                    if w.acked.len() >= w.needed {
                        done.push((w.client, w.op, w.version));
                        false
                    } else {
                        true
                    }
                });
                for (client, op, version) in done {
                    ctx.send(client, Msg::WriteOk { op, version });
                }
            }
            Msg::Gossip { version, value } => {
                if let Some(value) = value {
                    self.apply(r, version, value, ctx);
                }
                // Tell the sender what this replica now holds: newer news, or that it has
                // caught up (so the sender stops gossiping to it).
                if r.version > version {
                    let (version, value) = (r.version, r.value);
                    ctx.send(from, Msg::Gossip { version, value });
                } else {
                    ctx.send(from, Msg::Ack { version: r.version });
                }
            }
            Msg::WriteOk { .. } | Msg::ReadOk { .. } => {}
        }
    }
}

impl Protocol for Register {
    type Msg = Msg;
    type Timer = Timer;
    type Note = Note;
    type Request = NoRequest;
    type Reply = NoRequest;
    type State = State;
    type Durable = Durable;

    fn options(&self) -> &'static [ProtocolOption] {
        match self.knobs {
            Knobs::Full => OPTIONS,
            Knobs::Cap => CAP_OPTIONS,
        }
    }

    fn on_start(&self, restored: Option<&Durable>, ctx: &mut Ctx<'_, Self>) -> State {
        if Self::is_replica(ctx.id()) {
            let (version, value) = match restored {
                Some(Durable::Replica(v, x)) => (*v, *x),
                _ => (Version::default(), None),
            };
            let mut r = ReplicaState {
                version,
                value,
                known: vec![Version::default(); usize::from(REPLICAS)],
                ..ReplicaState::default()
            };
            if version > Version::default() {
                // After a restart: tell the others what survived, and learn what they hold.
                Self::arm_gossip(&mut r, ctx);
            }
            State::Replica(r)
        } else {
            let (started, writes) = match restored {
                Some(Durable::Client(s, w)) => (*s, *w),
                _ => (0, 0),
            };
            let first = ctx.random_range(5, 30);
            ctx.set_timer(Timer::Think, first);
            State::Client(ClientState {
                started,
                writes,
                running: None,
            })
        }
    }

    fn on_message(&self, state: &mut State, from: NodeId, msg: Msg, ctx: &mut Ctx<'_, Self>) {
        match state {
            State::Replica(r) => self.replica_message(r, from, msg, ctx),
            State::Client(c) => self.client_message(c, msg, ctx),
        }
    }

    fn on_timer(&self, state: &mut State, timer: Timer, ctx: &mut Ctx<'_, Self>) {
        match (state, timer) {
            (State::Client(c), Timer::Think) => self.think(c, ctx),
            (State::Client(c), Timer::GiveUp(op))
                if c.running.as_ref().is_some_and(|r| r.op == op) =>
            {
                self.finish(c, Note::GaveUp { op }, ctx);
            }
            (State::Replica(r), Timer::Apply(seq)) => {
                if let Some(i) = r.held.iter().position(|h| h.0 == seq) {
                    let (_, from, version, value) = r.held.remove(i);
                    self.apply(r, version, value, ctx);
                    ctx.send(from, Msg::Ack { version });
                }
            }
            (State::Replica(r), Timer::Gossip) => {
                r.gossip_armed = false;
                let me = ctx.id();
                let behind: Vec<NodeId> = (0..REPLICAS)
                    .filter(|&to| to != me)
                    .filter(|&to| r.known.get(usize::from(to)).is_some_and(|k| *k < r.version))
                    .collect();
                for &to in &behind {
                    let (version, value) = (r.version, r.value);
                    ctx.send(to, Msg::Gossip { version, value });
                }
                if !behind.is_empty() {
                    Self::arm_gossip(r, ctx);
                }
            }
            _ => {}
        }
    }

    fn on_client_request(&self, _state: &mut State, request: NoRequest, _ctx: &mut Ctx<'_, Self>) {
        match request {}
    }

    fn parse_request(&self, text: &str) -> Result<NoRequest, String> {
        Err(format!(
            "'{text}': the clients run their own workload; this store takes no requests"
        ))
    }

    fn message_kinds(&self) -> &'static [MessageKind] {
        &[
            MessageKind {
                name: "Write",
                reply: false,
                meaning: "a client writes a value",
            },
            MessageKind {
                name: "WriteOk",
                reply: true,
                meaning: "the write is acknowledged, with its version",
            },
            MessageKind {
                name: "Read",
                reply: false,
                meaning: "a client reads",
            },
            MessageKind {
                name: "ReadOk",
                reply: true,
                meaning: "the value read and its version",
            },
            MessageKind {
                name: "Replicate",
                reply: false,
                meaning: "the leader ships a version to a follower",
            },
            MessageKind {
                name: "Ack",
                reply: true,
                meaning: "a follower holds that version",
            },
            MessageKind {
                name: "Gossip",
                reply: false,
                meaning: "replicas exchange their newest version",
            },
        ]
    }
    fn view(&self, node: NodeId, state: &State) -> NodeView {
        view::node_view(node, state)
    }

    fn panels(
        &self,
        world: &crate::sim::world::WorldRef<'_, Self>,
    ) -> Vec<crate::sim::panel::Panel> {
        vec![crate::sim::panel::Panel::History(view::history_panel(
            world,
        ))]
    }
}
#[cfg(test)]
mod tests;
