//! Leader-follower replication, failover and fencing (chapter 3).
//!
//! Lesson: with one leader, what an acknowledgement promises depends on whom the leader waited
//! for, and a failover keeps only what the promoted follower had. Three replicas hold a log of
//! writes; n0 leads first, n1 is the near follower and n2 the far one. Clients write `w1`, `w2`,
//! … to the replica they believe leads; a follower redirects them to its leader.
//!
//! - `replication` ([`OPTIONS`]): the leader acknowledges a write once it is in its own log
//!   (`async`, shipping its log to the followers in batches every [`BATCH_TICKS`]), once one follower also holds it (`semisync`, MySQL's semi-synchronous
//!   replication), or once every follower does (`sync`). A synchronous leader whose follower is
//!   down or cut off stops acknowledging.
//! - Failover: a follower that hears nothing from its leader for its timeout ([`TIMEOUTS`]:
//!   the near follower first) takes over the next **epoch** that is its own (epoch `e` belongs
//!   to replica `(e - 1) mod 3`, so no two leaders share one) with the log it has. Acknowledged writes
//!   the old leader had not shipped to it are **lost**: the new leader's log is the history, and
//!   a replica that joins it (the old leader too, when it comes back) replaces its log with the
//!   leader's, discarding what the new history lacks.
//! - `fencing`: the epoch is a fencing token (Kleppmann, "How to do distributed locking",
//!   2016; Raft's term, Ongaro & Ousterhout 2014, §5.1). With it on, every append carries its
//!   leader's epoch and a replica refuses one from an epoch older than the newest it has seen,
//!   telling the sender, which steps down. With it off nobody compares epochs: a replica takes
//!   appends from whoever sends them, and an old leader that never heard of its successor keeps
//!   leading — **split brain**.
//!
//! What fencing does not do: a deposed leader cut off from everyone still acknowledges writes
//! under `async`, and they are lost when it learns the truth. Only waiting for a follower (the
//! follower that refuses it) keeps such a leader from promising anything.
//!
//! The properties: `acknowledged-writes-survive` (every acknowledged write is in the log of the
//! newest leader that is up), `no-deposed-writes` (no replica takes an append from an epoch
//! older than one it has already seen) and `replicas-converge` (after the faults end, the
//! replicas that are up hold one log under one leader).

pub mod scenarios;
pub mod view;

use std::fmt;

use crate::hash::{Canon, Fnv64};
use crate::sim::protocol::{
    Ctx, MessageKind, NoRequest, NodeId, NodeView, Protocol, ProtocolOption,
};
use crate::sim::world::{Property, Status, WorldRef};

pub use scenarios::{failover, split_brain};

/// Replicas are nodes `0..REPLICAS`; clients come after.
pub const REPLICAS: u16 = 3;
/// A leader that waits for followers ships its log at once after each write, and this often
/// besides (a heartbeat).
pub const HEARTBEAT_TICKS: u64 = 20;
/// An asynchronous leader ships its log in batches, this often: what it acknowledged since
/// the last batch exists only on the leader.
pub const BATCH_TICKS: u64 = 50;
/// How long each replica waits without hearing its leader before it takes over: n1 first.
pub const TIMEOUTS: [u64; REPLICAS as usize] = [120, 90, 250];
/// A client that gets no answer within this many ticks tries the next replica.
pub const RETRY_TICKS: u64 = 120;

/// The failover scenario's options (fencing on).
pub const OPTIONS: &[ProtocolOption] = &[REPLICATION, fencing(1)];
/// The split-brain scenario's options (fencing off).
pub const SPLIT_OPTIONS: &[ProtocolOption] = &[REPLICATION, fencing(0)];

const REPLICATION: ProtocolOption = ProtocolOption {
    name: "replication",
    label: "Replication",
    choices: &["sync", "semisync", "async"],
    default: 2,
    help: "sync: a write is acknowledged once every follower holds it; semisync: once one \
           follower does; async: once the leader does",
};

const fn fencing(default: usize) -> ProtocolOption {
    ProtocolOption {
        name: "fencing",
        label: "Fencing",
        choices: &["off", "on"],
        default,
        help: "on: appends carry the leader's epoch and a replica refuses an older epoch than \
               it has seen; off: replicas take appends from anyone",
    }
}

/// The store's configuration.
#[derive(Clone, Debug)]
pub struct Failover {
    /// Its live options ([`OPTIONS`] or [`SPLIT_OPTIONS`]).
    pub options: &'static [ProtocolOption],
    /// Clients (nodes `REPLICAS..REPLICAS + clients`).
    pub clients: u16,
    /// Writes each client makes.
    pub writes_per_client: u32,
}

/// One write in a log: the write's id and the epoch whose leader appended it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Entry {
    /// The epoch of the leader that appended it.
    pub epoch: u32,
    /// The write, e.g. 17 for `w17`.
    pub write: u32,
    /// The appending leader's clock then (for the lag shown per follower).
    pub at: u64,
}

impl Canon for Entry {
    fn canon(&self, h: &mut Fnv64) {
        h.u32(self.epoch);
        h.u32(self.write);
        h.u64(self.at);
    }
}

/// Messages.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Msg {
    /// Client → replica: append this write.
    Write {
        /// The write.
        write: u32,
    },
    /// Leader → client: the write is acknowledged.
    WriteOk {
        /// The write.
        write: u32,
    },
    /// Replica → client: I do not lead; try `leader` (if I know one).
    Redirect {
        /// The write.
        write: u32,
        /// The leader the replica follows.
        leader: Option<NodeId>,
    },
    /// Leader → replica: my log (which the replica adopts).
    Append {
        /// The leader's epoch: the fencing token.
        epoch: u32,
        /// The leader's whole log.
        log: Vec<Entry>,
    },
    /// Replica → leader: I hold your log's first `len` entries.
    AppendOk {
        /// The epoch of the append answered.
        epoch: u32,
        /// Entries held.
        len: usize,
    },
    /// Replica → sender: refused, I have seen a newer epoch.
    Fenced {
        /// The newest epoch the replica has seen.
        epoch: u32,
    },
}

impl fmt::Display for Msg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Msg::Write { write } => write!(f, "Write{{w{write}}}"),
            Msg::WriteOk { write } => write!(f, "WriteOk{{w{write}}}"),
            Msg::Redirect {
                write,
                leader: Some(l),
            } => write!(f, "Redirect{{w{write},n{l}}}"),
            Msg::Redirect {
                write,
                leader: None,
            } => write!(f, "Redirect{{w{write},?}}"),
            Msg::Append { epoch, log } => match log.last() {
                Some(last) => write!(f, "Append{{e{epoch},{} ..w{}}}", log.len(), last.write),
                None => write!(f, "Append{{e{epoch},0}}"),
            },
            Msg::AppendOk { epoch, len } => write!(f, "AppendOk{{e{epoch},{len}}}"),
            Msg::Fenced { epoch } => write!(f, "Fenced{{e{epoch}}}"),
        }
    }
}

impl Canon for Msg {
    fn canon(&self, h: &mut Fnv64) {
        match self {
            Msg::Write { write } => {
                h.u8(0);
                h.u32(*write);
            }
            Msg::WriteOk { write } => {
                h.u8(1);
                h.u32(*write);
            }
            Msg::Redirect { write, leader } => {
                h.u8(2);
                h.u32(*write);
                h.u64(leader.map_or(u64::MAX, u64::from));
            }
            Msg::Append { epoch, log } => {
                h.u8(3);
                h.u32(*epoch);
                h.u64(log.len() as u64);
                log.iter().for_each(|e| e.canon(h));
            }
            Msg::AppendOk { epoch, len } => {
                h.u8(4);
                h.u32(*epoch);
                h.u64(*len as u64);
            }
            Msg::Fenced { epoch } => {
                h.u8(5);
                h.u32(*epoch);
            }
        }
    }
}

/// Timers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Timer {
    /// Leader: send the log to the followers.
    Heartbeat,
    /// Follower: the leader has been silent too long; take over.
    Election,
    /// Client: start the next write.
    Think,
    /// Client: no answer yet; try the next replica.
    Retry,
}

impl fmt::Display for Timer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Timer::Heartbeat => "heartbeat",
            Timer::Election => "election",
            Timer::Think => "think",
            Timer::Retry => "retry",
        })
    }
}

impl Canon for Timer {
    fn canon(&self, h: &mut Fnv64) {
        h.u8(match self {
            Timer::Heartbeat => 0,
            Timer::Election => 1,
            Timer::Think => 2,
            Timer::Retry => 3,
        });
    }
}

/// Notes: what the observer saw clients do, and replica events.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Note {
    /// A client started a write.
    Invoke {
        /// The write.
        write: u32,
    },
    /// A client received the write's acknowledgement.
    Acked {
        /// The write.
        write: u32,
    },
    /// A replica took over as leader.
    TookOver {
        /// Its epoch.
        epoch: u32,
    },
    /// A replica stepped down on learning of a newer epoch.
    SteppedDown {
        /// The newer epoch.
        epoch: u32,
    },
    /// A replica replaced its log with its leader's and dropped these writes.
    Discarded {
        /// The writes dropped.
        writes: Vec<u32>,
    },
    /// A replica refused an append from an older epoch.
    Refused {
        /// The append's epoch.
        epoch: u32,
    },
}

impl fmt::Display for Note {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Note::Invoke { write } => write!(f, "invoke write w{write}"),
            Note::Acked { write } => write!(f, "w{write} acknowledged"),
            Note::TookOver { epoch } => write!(f, "takes over: epoch {epoch}"),
            Note::SteppedDown { epoch } => write!(f, "steps down: epoch {epoch} is newer"),
            Note::Discarded { writes } => write!(f, "discards {}", writes_list(writes)),
            Note::Refused { epoch } => write!(f, "refuses an append from epoch {epoch}"),
        }
    }
}

impl Canon for Note {
    fn canon(&self, h: &mut Fnv64) {
        match self {
            Note::Invoke { write } => {
                h.u8(0);
                h.u32(*write);
            }
            Note::Acked { write } => {
                h.u8(1);
                h.u32(*write);
            }
            Note::TookOver { epoch } => {
                h.u8(2);
                h.u32(*epoch);
            }
            Note::SteppedDown { epoch } => {
                h.u8(3);
                h.u32(*epoch);
            }
            Note::Discarded { writes } => {
                h.u8(4);
                h.u64(writes.len() as u64);
                writes.iter().for_each(|w| h.u32(*w));
            }
            Note::Refused { epoch } => {
                h.u8(5);
                h.u32(*epoch);
            }
        }
    }
}

/// `w17, w18`.
pub fn writes_list(writes: &[u32]) -> String {
    let names: Vec<String> = writes.iter().map(|w| format!("w{w}")).collect();
    names.join(", ")
}

/// A replica's role.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// Accepts writes and ships its log.
    Leader,
    /// Adopts its leader's log.
    Follower,
}

/// A write the leader holds and has not acknowledged yet.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Pending {
    /// The client.
    pub client: NodeId,
    /// The write.
    pub write: u32,
    /// Its index in the leader's log.
    pub index: usize,
}

/// A replica's state.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReplicaState {
    /// Its role.
    pub role: Role,
    /// The newest epoch it has seen (its own, if it leads).
    pub epoch: u32,
    /// The replica it follows (itself, if it leads).
    pub leader: Option<NodeId>,
    /// Its log.
    pub log: Vec<Entry>,
    /// Leader: how much of its log each replica holds.
    pub matched: Vec<usize>,
    /// Leader: writes waiting for followers before their acknowledgement.
    pub pending: Vec<Pending>,
    /// Follower: the epoch of the last append it took (a shorter log of that epoch is an
    /// older append that arrived late).
    pub adopted: Option<u32>,
    /// Ghost (not part of the protocol, for the properties): appends taken from an epoch older
    /// than one already seen.
    pub took_deposed: u32,
}

/// A client's state.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClientState {
    /// Writes started so far.
    pub started: u32,
    /// The write in progress.
    pub current: Option<u32>,
    /// The replica it believes leads.
    pub leader: NodeId,
    /// Writes acknowledged to it.
    pub acked: u32,
}

/// A node's state.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum State {
    /// n0..n2.
    Replica(ReplicaState),
    /// The clients.
    Client(ClientState),
}

/// What survives a crash: a replica's epoch, log and ghost; a client's progress.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Durable {
    /// A replica's epoch, log and ghost count.
    Replica(u32, Vec<Entry>, u32),
    /// A client's writes started.
    Client(u32),
}

/// The write id of client `node`'s `k`-th write (from 1): A writes w1, w2, …; B w101, …
pub fn write_id(node: NodeId, k: u32) -> u32 {
    u32::from(node.saturating_sub(REPLICAS)) * 100 + k
}

/// The epoch n0 leads first.
pub const FIRST_EPOCH: u32 = 1;

/// The smallest epoch above `seen` that replica `me` owns (epoch `e` is replica
/// `(e - 1) mod 3`'s: n0 leads 1, 4, …; n1 2, 5, …; n2 3, 6, …).
pub fn next_epoch(seen: u32, me: NodeId) -> u32 {
    let n = u32::from(REPLICAS);
    let base = seen + 1;
    base + (u32::from(me) + 1 + n - base % n) % n
}

impl Failover {
    fn fencing(ctx: &Ctx<'_, Self>) -> bool {
        ctx.option("fencing") == "on"
    }

    /// Followers that must hold a write before the leader acknowledges it.
    fn needed(ctx: &Ctx<'_, Self>) -> usize {
        match ctx.option("replication") {
            "sync" => usize::from(REPLICAS) - 1,
            "semisync" => 1,
            _ => 0,
        }
    }

    /// How often the leader ships its log.
    fn period(ctx: &Ctx<'_, Self>) -> u64 {
        if Self::needed(ctx) == 0 {
            BATCH_TICKS
        } else {
            HEARTBEAT_TICKS
        }
    }

    fn persist(r: &ReplicaState, ctx: &mut Ctx<'_, Self>) {
        ctx.persist(Durable::Replica(r.epoch, r.log.clone(), r.took_deposed));
    }

    fn ship(r: &ReplicaState, ctx: &mut Ctx<'_, Self>) {
        let me = ctx.id();
        for to in (0..REPLICAS).filter(|&to| to != me) {
            ctx.send(
                to,
                Msg::Append {
                    epoch: r.epoch,
                    log: r.log.clone(),
                },
            );
        }
    }

    /// Acknowledges every pending write enough followers hold.
    fn release(r: &mut ReplicaState, ctx: &mut Ctx<'_, Self>) {
        let me = usize::from(ctx.id());
        let needed = Self::needed(ctx);
        let matched = r.matched.clone();
        let held = |index: usize| {
            matched
                .iter()
                .enumerate()
                .filter(|&(n, &len)| n != me && len > index)
                .count()
        };
        let mut done = Vec::new();
        r.pending.retain(|p| {
            let ok = held(p.index) >= needed;
            if ok {
                done.push(*p);
            }
            !ok
        });
        for p in done {
            ctx.send(p.client, Msg::WriteOk { write: p.write });
        }
    }

    fn take_over(r: &mut ReplicaState, ctx: &mut Ctx<'_, Self>) {
        let me = ctx.id();
        r.role = Role::Leader;
        r.epoch = next_epoch(r.epoch, me);
        r.leader = Some(me);
        r.matched = vec![0; usize::from(REPLICAS)];
        r.matched[usize::from(me)] = r.log.len();
        r.pending.clear();
        Self::persist(r, ctx);
        ctx.note(Note::TookOver { epoch: r.epoch });
        Self::ship(r, ctx);
        ctx.set_timer(Timer::Heartbeat, Self::period(ctx));
    }

    /// Leaves the lead (a newer epoch exists): pending writes are redirected.
    fn step_down(
        r: &mut ReplicaState,
        epoch: u32,
        leader: Option<NodeId>,
        ctx: &mut Ctx<'_, Self>,
    ) {
        r.role = Role::Follower;
        r.epoch = epoch;
        r.leader = leader;
        for p in std::mem::take(&mut r.pending) {
            ctx.send(
                p.client,
                Msg::Redirect {
                    write: p.write,
                    leader,
                },
            );
        }
        r.matched.clear();
        ctx.cancel_timer(Timer::Heartbeat);
        ctx.note(Note::SteppedDown { epoch });
        Self::persist(r, ctx);
        ctx.set_timer(Timer::Election, TIMEOUTS[usize::from(ctx.id())]);
    }

    /// Takes `from`'s log as its own.
    fn adopt(
        r: &mut ReplicaState,
        from: NodeId,
        epoch: u32,
        log: Vec<Entry>,
        ctx: &mut Ctx<'_, Self>,
    ) {
        if r.adopted == Some(epoch) && log.len() < r.log.len() {
            // Overtaken by a later append of the same leader.
            ctx.send(
                from,
                Msg::AppendOk {
                    epoch,
                    len: log.len(),
                },
            );
            return;
        }
        if epoch < r.epoch {
            r.took_deposed += 1;
        }
        r.adopted = Some(epoch);
        let dropped: Vec<u32> = r
            .log
            .iter()
            .filter(|e| !log.contains(e))
            .map(|e| e.write)
            .collect();
        if !dropped.is_empty() {
            ctx.note(Note::Discarded { writes: dropped });
        }
        r.epoch = r.epoch.max(epoch);
        r.leader = Some(from);
        r.log = log;
        Self::persist(r, ctx);
        ctx.send(
            from,
            Msg::AppendOk {
                epoch,
                len: r.log.len(),
            },
        );
        ctx.set_timer(Timer::Election, TIMEOUTS[usize::from(ctx.id())]);
    }

    fn replica_message(
        &self,
        r: &mut ReplicaState,
        from: NodeId,
        msg: Msg,
        ctx: &mut Ctx<'_, Self>,
    ) {
        let fencing = Self::fencing(ctx);
        match msg {
            Msg::Write { write } => {
                if r.role != Role::Leader {
                    ctx.send(
                        from,
                        Msg::Redirect {
                            write,
                            leader: r.leader,
                        },
                    );
                    return;
                }
                let index = match r.log.iter().position(|e| e.write == write) {
                    Some(i) => i,
                    None => {
                        r.log.push(Entry {
                            epoch: r.epoch,
                            write,
                            at: ctx.now(),
                        });
                        Self::persist(r, ctx);
                        let me = usize::from(ctx.id());
                        r.matched[me] = r.log.len();
                        if Self::needed(ctx) > 0 {
                            Self::ship(r, ctx);
                        }
                        r.log.len() - 1
                    }
                };
                r.pending.retain(|p| p.write != write);
                r.pending.push(Pending {
                    client: from,
                    write,
                    index,
                });
                Self::release(r, ctx);
            }
            Msg::Append { epoch, log } => {
                if fencing && epoch < r.epoch {
                    ctx.note(Note::Refused { epoch });
                    ctx.send(from, Msg::Fenced { epoch: r.epoch });
                    return;
                }
                if r.role == Role::Leader {
                    if !fencing || epoch == r.epoch {
                        // Without fencing a leader never compares epochs: it keeps leading.
                        return;
                    }
                    Self::step_down(r, epoch, Some(from), ctx);
                }
                Self::adopt(r, from, epoch, log, ctx);
            }
            Msg::AppendOk { epoch, len } => {
                if r.role == Role::Leader && epoch == r.epoch {
                    if let Some(m) = r.matched.get_mut(usize::from(from)) {
                        *m = (*m).max(len);
                    }
                    Self::release(r, ctx);
                }
            }
            Msg::Fenced { epoch } => {
                if r.role == Role::Leader && epoch > r.epoch {
                    Self::step_down(r, epoch, None, ctx);
                }
            }
            Msg::WriteOk { .. } | Msg::Redirect { .. } => {}
        }
    }

    fn send_current(c: &ClientState, ctx: &mut Ctx<'_, Self>) {
        if let Some(write) = c.current {
            ctx.send(c.leader, Msg::Write { write });
            ctx.set_timer(Timer::Retry, RETRY_TICKS);
        }
    }

    fn client_message(&self, c: &mut ClientState, from: NodeId, msg: Msg, ctx: &mut Ctx<'_, Self>) {
        match msg {
            Msg::WriteOk { write } if c.current == Some(write) => {
                c.current = None;
                c.acked += 1;
                c.leader = from;
                ctx.cancel_timer(Timer::Retry);
                ctx.observe(Note::Acked { write });
                let pause = ctx.random_range(6, 12);
                ctx.set_timer(Timer::Think, pause);
            }
            Msg::Redirect { write, leader } if c.current == Some(write) => {
                // A redirect to the replica that sent it, or to nobody, waits for the retry.
                if let Some(l) = leader.filter(|&l| l != from && l != c.leader) {
                    c.leader = l;
                    Self::send_current(c, ctx);
                }
            }
            _ => {}
        }
    }
}

impl Protocol for Failover {
    type Msg = Msg;
    type Timer = Timer;
    type Note = Note;
    type Request = NoRequest;
    type Reply = NoRequest;
    type State = State;
    type Durable = Durable;

    fn options(&self) -> &'static [ProtocolOption] {
        self.options
    }

    fn on_start(&self, restored: Option<&Durable>, ctx: &mut Ctx<'_, Self>) -> State {
        let me = ctx.id();
        if me < REPLICAS {
            let (epoch, log, took_deposed) = match restored {
                Some(Durable::Replica(e, l, g)) => (*e, l.clone(), *g),
                _ => (FIRST_EPOCH, Vec::new(), 0),
            };
            let mut r = ReplicaState {
                role: Role::Follower,
                epoch,
                leader: None,
                log,
                matched: Vec::new(),
                pending: Vec::new(),
                adopted: None,
                took_deposed,
            };
            if restored.is_none() && me == 0 {
                // The first leader, of the first epoch.
                r.role = Role::Leader;
                r.leader = Some(0);
                r.matched = vec![0; usize::from(REPLICAS)];
                ctx.set_timer(Timer::Heartbeat, Self::period(ctx));
            } else {
                // A restarted replica comes back as a follower and waits to hear a leader.
                if restored.is_none() {
                    r.leader = Some(0);
                }
                ctx.set_timer(Timer::Election, TIMEOUTS[usize::from(me)]);
            }
            State::Replica(r)
        } else {
            let started = match restored {
                Some(Durable::Client(s)) => *s,
                _ => 0,
            };
            let first = ctx.random_range(5, 15);
            ctx.set_timer(Timer::Think, first);
            State::Client(ClientState {
                started,
                current: None,
                leader: 0,
                acked: 0,
            })
        }
    }

    fn on_message(&self, state: &mut State, from: NodeId, msg: Msg, ctx: &mut Ctx<'_, Self>) {
        match state {
            State::Replica(r) => self.replica_message(r, from, msg, ctx),
            State::Client(c) => self.client_message(c, from, msg, ctx),
        }
    }

    fn on_timer(&self, state: &mut State, timer: Timer, ctx: &mut Ctx<'_, Self>) {
        match (state, timer) {
            (State::Replica(r), Timer::Heartbeat) if r.role == Role::Leader => {
                Self::ship(r, ctx);
                ctx.set_timer(Timer::Heartbeat, Self::period(ctx));
            }
            (State::Replica(r), Timer::Election) if r.role == Role::Follower => {
                Self::take_over(r, ctx);
            }
            (State::Client(c), Timer::Think)
                if c.current.is_none() && c.started < self.writes_per_client =>
            {
                c.started += 1;
                let write = write_id(ctx.id(), c.started);
                c.current = Some(write);
                ctx.persist(Durable::Client(c.started));
                ctx.observe(Note::Invoke { write });
                Self::send_current(c, ctx);
            }
            (State::Client(c), Timer::Retry) if c.current.is_some() => {
                c.leader = (c.leader + 1) % REPLICAS;
                Self::send_current(c, ctx);
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
                meaning: "a client write",
            },
            MessageKind {
                name: "WriteOk",
                reply: true,
                meaning: "the leader acknowledges the write",
            },
            MessageKind {
                name: "Redirect",
                reply: true,
                meaning: "not the leader: try this one",
            },
            MessageKind {
                name: "Append",
                reply: false,
                meaning: "the leader ships its log, with its epoch",
            },
            MessageKind {
                name: "AppendOk",
                reply: true,
                meaning: "a follower holds the log up to this length",
            },
            MessageKind {
                name: "Fenced",
                reply: true,
                meaning: "refused: a newer epoch exists",
            },
        ]
    }
    fn view(&self, node: NodeId, state: &State) -> NodeView {
        view::node_view(node, state)
    }

    fn panels(&self, world: &WorldRef<'_, Self>) -> Vec<crate::sim::panel::Panel> {
        view::panels(world)
    }
}

/// A replica's state if it is up.
pub fn replica<'a>(w: &WorldRef<'a, Failover>, n: NodeId) -> Option<&'a ReplicaState> {
    match w.state(n) {
        Some(State::Replica(r)) if w.status(n) != Status::Down => Some(r),
        _ => None,
    }
}

/// The newest leader that is up, if any: its log is the history.
pub fn newest_leader<'a>(w: &WorldRef<'a, Failover>) -> Option<(NodeId, &'a ReplicaState)> {
    (0..REPLICAS)
        .filter_map(|n| replica(w, n).map(|r| (n, r)))
        .filter(|(_, r)| r.role == Role::Leader)
        .max_by_key(|(_, r)| r.epoch)
}

/// Writes acknowledged to clients so far, in the order the observer saw them.
pub fn acknowledged(w: &WorldRef<'_, Failover>) -> Vec<u32> {
    w.observed()
        .iter()
        .filter_map(|o| match o.note {
            Note::Acked { write } => Some(write),
            _ => None,
        })
        .collect()
}

/// Acknowledged writes the newest leader's log lacks: lost (a leader's log only loses entries
/// when it adopts a newer leader's). Empty while no leader is up.
pub fn lost(w: &WorldRef<'_, Failover>) -> Vec<u32> {
    let Some((_, leader)) = newest_leader(w) else {
        return Vec::new();
    };
    acknowledged(w)
        .into_iter()
        .filter(|&a| !leader.log.iter().any(|e| e.write == a))
        .collect()
}

/// Every acknowledged write is in the newest leader's log.
pub fn acknowledged_writes_survive(w: &WorldRef<'_, Failover>) -> bool {
    lost(w).is_empty()
}

/// No replica, up or down, has taken an append from an epoch older than one it had seen.
pub fn no_deposed_writes(w: &WorldRef<'_, Failover>) -> bool {
    (0..REPLICAS).all(|n| {
        let live = match w.state(n) {
            Some(State::Replica(r)) => r.took_deposed,
            _ => 0,
        };
        let durable = match w.durable(n) {
            Some(Durable::Replica(_, _, g)) => *g,
            _ => 0,
        };
        live == 0 && durable == 0
    })
}

/// Every replica that is up follows one leader, which leads, and holds its log.
pub fn replicas_converge(w: &WorldRef<'_, Failover>) -> bool {
    let Some((l, leader)) = newest_leader(w) else {
        return false;
    };
    (0..REPLICAS).all(|n| match replica(w, n) {
        None => w.status(n) == Status::Down,
        Some(r) => r.leader == Some(l) && r.log == leader.log,
    })
}

/// The store's properties.
pub fn properties() -> Vec<Property<Failover>> {
    vec![
        Property::always("acknowledged-writes-survive", acknowledged_writes_survive),
        Property::always("no-deposed-writes", no_deposed_writes),
        Property::eventually("replicas-converge", 400, replicas_converge),
    ]
}

#[cfg(test)]
mod tests;
