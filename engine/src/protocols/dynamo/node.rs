//! The handlers: storage nodes (store, hints, handoff, anti-entropy) and client coordinators
//! (quorum puts and gets, sloppy fallbacks, read repair), and the staleness measurement's
//! writer and reader on top of the coordinator.

use super::merkle::{build, children, leaf_keys, mask, Trail, LEAF_LEVEL};
use super::ring::{fallbacks, preference_list, shared_keys, successor};
use super::types::*;
use super::{
    is_storage, quorums, Dynamo, Quorums, Workload, ANTI_ENTROPY_TICKS, GIVE_UP_TIMEOUTS,
    HANDOFF_TICKS, KEYS, LINGER_TICKS, OPTIONS, STORAGE,
};
use crate::sim::protocol::{
    Ctx, MessageKind, NoRequest, NodeId, NodeView, Protocol, ProtocolOption,
};

/// The staleness measurement's writer.
pub const WRITER: NodeId = STORAGE;
/// The staleness measurement's reader.
pub const READER: NodeId = STORAGE + 1;
/// Ticks the writer's news of an acknowledgement takes to reach the reader (their link's
/// latency in the measurement's world).
pub const GO_LATENCY_TICKS: u64 = 1;

fn on(ctx: &Ctx<'_, Dynamo>, option: &str) -> bool {
    ctx.option(option) == "on"
}

fn current(ctx: &Ctx<'_, Dynamo>) -> Quorums {
    quorums(|name| ctx.option(name))
}

/// Stores `version` for `key` if it is newer; whether it changed anything.
fn merge(store: &mut [Version], key: Key, version: Version) -> bool {
    match store.get_mut(usize::from(key).wrapping_sub(1)) {
        Some(held) if *held < version => {
            *held = version;
            true
        }
        _ => false,
    }
}

fn held(store: &[Version], key: Key) -> Version {
    store
        .get(usize::from(key).wrapping_sub(1))
        .copied()
        .unwrap_or_default()
}

fn persist(s: &StorageState, ctx: &mut Ctx<'_, Dynamo>) {
    ctx.persist(Durable::Storage(s.store.clone(), s.hints.clone()));
}

/// `nodes` in a random order: the coordinator's sends race on equal latencies, and a random
/// order keeps ties from favouring the first home node.
fn shuffled(mut nodes: Vec<NodeId>, ctx: &mut Ctx<'_, Dynamo>) -> Vec<NodeId> {
    for i in (1..nodes.len()).rev() {
        let j = ctx.random_range(0, i as u64) as usize;
        nodes.swap(i, j);
    }
    nodes
}

impl Dynamo {
    fn give_up_ticks(&self) -> u64 {
        self.timeout_ticks * GIVE_UP_TIMEOUTS
    }

    // ---- storage nodes ----

    fn storage_message(
        &self,
        s: &mut StorageState,
        from: NodeId,
        msg: Msg,
        ctx: &mut Ctx<'_, Self>,
    ) {
        let me = ctx.id();
        match msg {
            Msg::Put {
                op,
                key,
                version,
                hint_for: Some(home),
            } if home != me => {
                self.store_hint(s, home, key, version, ctx);
                ctx.send(from, Msg::PutAck { op, holds: version });
            }
            Msg::Put {
                op, key, version, ..
            } => {
                if merge(&mut s.store, key, version) {
                    persist(s, ctx);
                }
                let holds = held(&s.store, key);
                ctx.send(from, Msg::PutAck { op, holds });
            }
            Msg::Get { op, key } => {
                let version = held(&s.store, key);
                ctx.send(from, Msg::GetReply { op, version });
            }
            Msg::Repair { key, version } => {
                if merge(&mut s.store, key, version) {
                    persist(s, ctx);
                }
            }
            Msg::Handoff { key, version } => {
                if merge(&mut s.store, key, version) {
                    persist(s, ctx);
                }
                ctx.send(from, Msg::HandoffAck { key, version });
            }
            Msg::HandoffAck { key, version } => {
                let before = s.hints.len();
                s.hints
                    .retain(|h| !(h.for_node == from && h.key == key && h.version <= version));
                if s.hints.len() < before {
                    persist(s, ctx);
                    ctx.observe(Note::HandedOff {
                        key,
                        version,
                        to: from,
                    });
                }
            }
            Msg::Tree {
                level,
                hashes,
                trail,
            } => self.compare_level(s, from, level, &hashes, trail, ctx),
            Msg::Keys {
                entries,
                answer,
                mut trail,
            } => {
                let back: Vec<(Key, Version)> = entries
                    .iter()
                    .map(|&(k, _)| (k, held(&s.store, k)))
                    .filter(|&(k, mine)| entries.iter().any(|&(x, v)| x == k && v < mine))
                    .collect();
                let mut changed = false;
                for (k, v) in entries {
                    changed |= merge(&mut s.store, k, v);
                }
                if changed {
                    persist(s, ctx);
                }
                if answer || back.is_empty() {
                    ctx.observe(Note::Exchanged(trail));
                } else {
                    trail.keys_sent += back.len() as u32;
                    ctx.send(
                        from,
                        Msg::Keys {
                            entries: back,
                            answer: true,
                            trail,
                        },
                    );
                }
            }
            Msg::PutAck { .. } | Msg::GetReply { .. } | Msg::Go { .. } | Msg::Done { .. } => {}
        }
    }

    fn store_hint(
        &self,
        s: &mut StorageState,
        home: NodeId,
        key: Key,
        version: Version,
        ctx: &mut Ctx<'_, Self>,
    ) {
        match s
            .hints
            .iter_mut()
            .find(|h| h.for_node == home && h.key == key)
        {
            Some(h) if h.version >= version => return,
            Some(h) => h.version = version,
            None => s.hints.push(Hint {
                for_node: home,
                key,
                version,
            }),
        }
        persist(s, ctx);
        ctx.observe(Note::Hinted {
            key,
            version,
            for_node: home,
        });
        Self::arm_handoff(s, ctx);
    }

    fn arm_handoff(s: &mut StorageState, ctx: &mut Ctx<'_, Self>) {
        if !s.handoff_armed {
            s.handoff_armed = true;
            ctx.set_timer(Timer::Handoff, HANDOFF_TICKS);
        }
    }

    /// One step down an anti-entropy exchange: compare the sender's hashes at `level` with
    /// this node's; end it, descend into the differing ranges, or at the leaves send their keys.
    fn compare_level(
        &self,
        s: &StorageState,
        from: NodeId,
        level: u8,
        hashes: &[(u8, u64)],
        mut trail: Trail,
        ctx: &mut Ctx<'_, Self>,
    ) {
        let shared = shared_keys(ctx.id(), from, current(ctx).n);
        let tree = build(&s.store, &shared);
        let differing = tree.differing(level, hashes);
        if let Some(d) = trail.differs.get_mut(usize::from(level)) {
            *d |= mask(&differing);
        }
        if differing.is_empty() {
            ctx.observe(Note::Exchanged(trail));
        } else if level < LEAF_LEVEL {
            let below = children(&differing);
            trail.compared[usize::from(level) + 1] |= mask(&below);
            trail.hashes += below.len() as u32;
            ctx.send(
                from,
                Msg::Tree {
                    level: level + 1,
                    hashes: tree.hashes(level + 1, &below),
                    trail,
                },
            );
        } else {
            let entries: Vec<(Key, Version)> = differing
                .iter()
                .flat_map(|&leaf| leaf_keys(leaf))
                .filter(|k| shared.contains(k))
                .map(|k| (k, held(&s.store, k)))
                .collect();
            trail.keys_sent += entries.len() as u32;
            ctx.send(
                from,
                Msg::Keys {
                    entries,
                    answer: false,
                    trail,
                },
            );
        }
    }

    /// Starts an anti-entropy round with the next ring successor this node shares keys with.
    fn anti_entropy(&self, s: &mut StorageState, ctx: &mut Ctx<'_, Self>) {
        ctx.set_timer(Timer::AntiEntropy, ANTI_ENTROPY_TICKS);
        let n = current(ctx).n;
        if !on(ctx, "anti-entropy") || n < 2 {
            return;
        }
        s.rounds += 1;
        let me = ctx.id();
        let peer = successor(me, 1 + (s.rounds % (n as u32 - 1)) as u16);
        let shared = shared_keys(me, peer, n);
        let tree = build(&s.store, &shared);
        let trail = Trail {
            initiator: me,
            peer,
            compared: [1, 0, 0, 0],
            hashes: 1,
            shared: shared.len() as u32,
            ..Trail::default()
        };
        ctx.send(
            peer,
            Msg::Tree {
                level: 0,
                hashes: tree.hashes(0, &[0]),
                trail,
            },
        );
    }

    fn offer_hints(s: &mut StorageState, ctx: &mut Ctx<'_, Self>) {
        s.handoff_armed = false;
        for h in &s.hints {
            ctx.send(
                h.for_node,
                Msg::Handoff {
                    key: h.key,
                    version: h.version,
                },
            );
        }
        if !s.hints.is_empty() {
            Self::arm_handoff(s, ctx);
        }
    }

    // ---- coordinators ----

    /// Starts a put or get of `key`: its requests go to the key's home nodes.
    fn start(&self, c: &mut ClientState, request: Request, ctx: &mut Ctx<'_, Self>) {
        let q = current(ctx);
        let id = c.next_op;
        c.next_op += 1;
        let (key, kind, needed) = match request {
            Request::Put(key) => {
                c.lamport += 1;
                let version = Version {
                    counter: c.lamport,
                    client: ctx.id(),
                };
                ctx.observe(Note::PutStart {
                    op: id,
                    key,
                    version,
                });
                (key, OpKind::Put(version), q.w)
            }
            Request::Get(key) => {
                ctx.observe(Note::GetStart { op: id, key });
                (key, OpKind::Get, q.r)
            }
        };
        ctx.persist(Durable::Client(c.lamport, c.next_op));
        let homes = shuffled(preference_list(key, q.n), ctx);
        let mut op = Op {
            id,
            key,
            kind,
            targets: Vec::new(),
            replies: Vec::new(),
            needed,
            done: false,
        };
        for home in homes {
            ask(&mut op, home, home, ctx);
        }
        c.ops.push(op);
        ctx.set_timer(Timer::Retry(id), self.timeout_ticks);
        ctx.set_timer(Timer::GiveUp(id), self.give_up_ticks());
    }

    /// A request timeout: every home node that has not answered (through itself or a
    /// stand-in) is asked again, or, with sloppy quorums, replaced by the next fallback.
    fn retry(&self, c: &mut ClientState, id: u32, ctx: &mut Ctx<'_, Self>) {
        let sloppy = on(ctx, "sloppy");
        let Some(op) = c.ops.iter_mut().find(|o| o.id == id && !o.done) else {
            return;
        };
        let mut homes: Vec<NodeId> = Vec::new();
        for t in &op.targets {
            if !homes.contains(&t.home) {
                homes.push(t.home);
            }
        }
        let spare = fallbacks(op.key, homes.len());
        for home in homes {
            if op.targets.iter().any(|t| t.home == home && t.answered) {
                continue;
            }
            let fresh = spare
                .iter()
                .copied()
                .find(|f| op.targets.iter().all(|t| t.node != *f));
            let last = op
                .targets
                .iter()
                .rev()
                .find(|t| t.home == home)
                .map_or(home, |t| t.node);
            match fresh {
                Some(f) if sloppy => ask(op, f, home, ctx),
                _ => ask(op, last, home, ctx),
            }
        }
        ctx.set_timer(Timer::Retry(id), self.timeout_ticks);
    }

    fn client_message(&self, c: &mut ClientState, from: NodeId, msg: Msg, ctx: &mut Ctx<'_, Self>) {
        match msg {
            Msg::PutAck { op, holds } => {
                c.lamport = c.lamport.max(holds.counter);
                self.put_acked(c, op, from, ctx);
            }
            Msg::GetReply { op, version } => {
                c.lamport = c.lamport.max(version.counter);
                self.get_replied(c, op, from, version, ctx);
            }
            Msg::Go {
                pair,
                key,
                version,
                wait_ticks,
            } => {
                c.pairs.reading = Some((pair, key, version));
                if wait_ticks == 0 {
                    self.start(c, Request::Get(key), ctx);
                } else {
                    ctx.set_timer(Timer::Read(pair), wait_ticks);
                }
            }
            Msg::Done { .. } => self.next_pair(c, ctx),
            _ => {}
        }
    }

    fn put_acked(&self, c: &mut ClientState, id: u32, from: NodeId, ctx: &mut Ctx<'_, Self>) {
        let Some(i) = c.ops.iter().position(|o| o.id == id && !o.done) else {
            return;
        };
        let op = &mut c.ops[i];
        op.targets
            .iter_mut()
            .filter(|t| t.node == from)
            .for_each(|t| t.answered = true);
        let acks = ackers(op);
        let OpKind::Put(version) = op.kind else {
            return;
        };
        if acks.len() < op.needed {
            return;
        }
        let key = op.key;
        c.ops.remove(i);
        ctx.cancel_timer(Timer::Retry(id));
        ctx.cancel_timer(Timer::GiveUp(id));
        ctx.observe(Note::PutOk {
            op: id,
            key,
            version,
            acks,
        });
        if let Workload::Pairs { delay_ticks, .. } = self.workload {
            ctx.send(
                READER,
                Msg::Go {
                    pair: c.pairs.started.saturating_sub(1),
                    key,
                    version,
                    wait_ticks: delay_ticks.saturating_sub(GO_LATENCY_TICKS),
                },
            );
        }
    }

    fn get_replied(
        &self,
        c: &mut ClientState,
        id: u32,
        from: NodeId,
        version: Version,
        ctx: &mut Ctx<'_, Self>,
    ) {
        let repair = on(ctx, "repair");
        let Some(op) = c.ops.iter_mut().find(|o| o.id == id) else {
            return;
        };
        if op.kind != OpKind::Get || op.replies.iter().any(|(n, _)| *n == from) {
            return;
        }
        op.targets
            .iter_mut()
            .filter(|t| t.node == from)
            .for_each(|t| t.answered = true);
        op.replies.push((from, version));
        if op.done {
            if repair {
                repair_stale(op, ctx);
            }
            return;
        }
        if op.replies.len() < op.needed {
            return;
        }
        op.done = true;
        let newest = newest(op);
        let (key, repliers) = (op.key, op.replies.iter().map(|(n, _)| *n).collect());
        if repair {
            repair_stale(op, ctx);
        }
        ctx.cancel_timer(Timer::Retry(id));
        ctx.cancel_timer(Timer::GiveUp(id));
        ctx.set_timer(Timer::Linger(id), LINGER_TICKS);
        ctx.observe(Note::GetOk {
            op: id,
            key,
            version: newest,
            from: repliers,
        });
        self.pair_read(c, Some(newest), ctx);
    }

    fn client_timer(&self, c: &mut ClientState, timer: Timer, ctx: &mut Ctx<'_, Self>) {
        match timer {
            Timer::Retry(id) => self.retry(c, id, ctx),
            Timer::GiveUp(id) => {
                let Some(i) = c.ops.iter().position(|o| o.id == id && !o.done) else {
                    return;
                };
                let op = c.ops.remove(i);
                ctx.cancel_timer(Timer::Retry(id));
                ctx.observe(Note::GaveUp {
                    op: id,
                    key: op.key,
                });
                match op.kind {
                    OpKind::Get => self.pair_read(c, None, ctx),
                    OpKind::Put(_) => self.next_pair(c, ctx),
                }
            }
            Timer::Linger(id) => c.ops.retain(|o| o.id != id),
            Timer::NextPair => self.next_pair(c, ctx),
            Timer::Read(pair) => {
                if let Some((p, key, _)) = c.pairs.reading {
                    if p == pair {
                        self.start(c, Request::Get(key), ctx);
                    }
                }
            }
            Timer::AntiEntropy | Timer::Handoff => {}
        }
    }

    // ---- the staleness measurement ----

    /// Writer: starts the next pair's write, of a fresh version of the next key.
    fn next_pair(&self, c: &mut ClientState, ctx: &mut Ctx<'_, Self>) {
        let Workload::Pairs { pairs, .. } = self.workload else {
            return;
        };
        if ctx.id() != WRITER || c.pairs.started >= pairs {
            return;
        }
        let key = (c.pairs.started % u32::from(KEYS)) as Key + 1;
        c.pairs.started += 1;
        self.start(c, Request::Put(key), ctx);
    }

    /// Reader: pair done (`returned` is `None` when the read gave up); tell the writer.
    fn pair_read(&self, c: &mut ClientState, returned: Option<Version>, ctx: &mut Ctx<'_, Self>) {
        if !matches!(self.workload, Workload::Pairs { .. }) {
            return;
        }
        let Some((pair, _, written)) = c.pairs.reading.take() else {
            return;
        };
        c.pairs.read += 1;
        if returned.is_some_and(|v| v >= written) {
            c.pairs.fresh += 1;
        }
        ctx.send(WRITER, Msg::Done { pair });
    }
}

/// Sends `op`'s request to `node`, standing for `home`.
fn ask(op: &mut Op, node: NodeId, home: NodeId, ctx: &mut Ctx<'_, Dynamo>) {
    let msg = match op.kind {
        OpKind::Put(version) => Msg::Put {
            op: op.id,
            key: op.key,
            version,
            hint_for: (node != home).then_some(home),
        },
        OpKind::Get => Msg::Get {
            op: op.id,
            key: op.key,
        },
    };
    ctx.send(node, msg);
    if !op.targets.iter().any(|t| t.node == node && t.home == home) {
        op.targets.push(Target {
            node,
            home,
            answered: false,
        });
    }
}

/// The distinct nodes that acknowledged a put, with the home each stood for if a fallback.
fn ackers(op: &Op) -> Vec<Acker> {
    let mut acks: Vec<Acker> = Vec::new();
    for t in op.targets.iter().filter(|t| t.answered) {
        if acks.iter().all(|(n, _)| *n != t.node) {
            acks.push((t.node, (t.node != t.home).then_some(t.home)));
        }
    }
    acks
}

fn newest(op: &Op) -> Version {
    op.replies.iter().map(|(_, v)| *v).max().unwrap_or_default()
}

/// Read repair: every replier that answered with an older version than the newest seen is
/// sent the newest (and counted as holding it, so it is repaired once).
fn repair_stale(op: &mut Op, ctx: &mut Ctx<'_, Dynamo>) {
    let newest = newest(op);
    for (node, version) in op.replies.iter_mut() {
        if *version < newest {
            *version = newest;
            ctx.send(
                *node,
                Msg::Repair {
                    key: op.key,
                    version: newest,
                },
            );
            ctx.observe(Note::RepairSent {
                key: op.key,
                version: newest,
                to: *node,
            });
        }
    }
}

/// Parses `put-k3` / `get-k3`.
pub fn parse_request(text: &str) -> Result<Request, String> {
    let Some((verb, key)) = text.split_once('-') else {
        return Err(format!("'{text}': expected 'put-k<key>' or 'get-k<key>'"));
    };
    let key = key
        .strip_prefix('k')
        .and_then(|k| k.parse::<Key>().ok())
        .filter(|k| (1..=KEYS).contains(k))
        .ok_or_else(|| format!("'{key}': the keys are k1 … k{KEYS}"))?;
    match verb {
        "put" => Ok(Request::Put(key)),
        "get" => Ok(Request::Get(key)),
        _ => Err(format!("'{verb}': the requests are put and get")),
    }
}

impl Protocol for Dynamo {
    type Msg = Msg;
    type Timer = Timer;
    type Note = Note;
    type Request = Request;
    type Reply = NoRequest;
    type State = State;
    type Durable = Durable;

    fn options(&self) -> &'static [ProtocolOption] {
        OPTIONS
    }

    fn on_start(&self, restored: Option<&Durable>, ctx: &mut Ctx<'_, Self>) -> State {
        if is_storage(ctx.id()) {
            let (store, hints) = match restored {
                Some(Durable::Storage(store, hints)) => (store.clone(), hints.clone()),
                _ => (vec![Version::default(); usize::from(KEYS)], Vec::new()),
            };
            let mut s = StorageState {
                store,
                hints,
                ..StorageState::default()
            };
            let phase = ctx.random_range(1, ANTI_ENTROPY_TICKS);
            ctx.set_timer(Timer::AntiEntropy, phase);
            if !s.hints.is_empty() {
                Self::arm_handoff(&mut s, ctx);
            }
            State::Storage(s)
        } else {
            let (lamport, next_op) = match restored {
                Some(Durable::Client(l, n)) => (*l, *n),
                _ => (0, 0),
            };
            if ctx.id() == WRITER && matches!(self.workload, Workload::Pairs { .. }) {
                // After the run's opening settings (links, options) are in place.
                ctx.set_timer(Timer::NextPair, 1);
            }
            State::Client(ClientState {
                lamport,
                next_op,
                ..ClientState::default()
            })
        }
    }

    fn on_message(&self, state: &mut State, from: NodeId, msg: Msg, ctx: &mut Ctx<'_, Self>) {
        match state {
            State::Storage(s) => self.storage_message(s, from, msg, ctx),
            State::Client(c) => self.client_message(c, from, msg, ctx),
        }
    }

    fn on_timer(&self, state: &mut State, timer: Timer, ctx: &mut Ctx<'_, Self>) {
        match (state, timer) {
            (State::Storage(s), Timer::AntiEntropy) => self.anti_entropy(s, ctx),
            (State::Storage(s), Timer::Handoff) => Self::offer_hints(s, ctx),
            (State::Client(c), timer) => self.client_timer(c, timer, ctx),
            (State::Storage(_), _) => {}
        }
    }

    fn on_client_request(&self, state: &mut State, request: Request, ctx: &mut Ctx<'_, Self>) {
        // Clients coordinate their own requests; a storage node is not a client.
        if let State::Client(c) = state {
            self.start(c, request, ctx);
        }
    }

    fn parse_request(&self, text: &str) -> Result<Request, String> {
        parse_request(text)
    }

    fn message_kinds(&self) -> &'static [MessageKind] {
        &[
            MessageKind {
                name: "Put",
                reply: false,
                meaning:
                    "the coordinator stores a version on a replica (or a stand-in, with a hint)",
            },
            MessageKind {
                name: "PutAck",
                reply: true,
                meaning: "stored",
            },
            MessageKind {
                name: "Get",
                reply: false,
                meaning: "the coordinator asks a replica for a key",
            },
            MessageKind {
                name: "GetReply",
                reply: true,
                meaning: "the replica's version",
            },
            MessageKind {
                name: "Repair",
                reply: false,
                meaning: "read repair: a newer version for a stale replica",
            },
            MessageKind {
                name: "Handoff",
                reply: false,
                meaning: "a stand-in hands a hinted write to its home",
            },
            MessageKind {
                name: "HandoffAck",
                reply: true,
                meaning: "the home holds it",
            },
            MessageKind {
                name: "Tree",
                reply: false,
                meaning: "anti-entropy: Merkle tree hashes at one level",
            },
            MessageKind {
                name: "Keys",
                reply: false,
                meaning: "anti-entropy: the keys under differing hashes",
            },
            MessageKind {
                name: "KeysBack",
                reply: true,
                meaning: "anti-entropy: the other side's keys",
            },
            MessageKind {
                name: "Go",
                reply: false,
                meaning: "the measurement starts a write/read pair",
            },
            MessageKind {
                name: "Done",
                reply: true,
                meaning: "the pair is done",
            },
        ]
    }
    fn view(&self, node: NodeId, state: &State) -> NodeView {
        super::view::node_view(node, state)
    }

    fn panels(
        &self,
        world: &crate::sim::world::WorldRef<'_, Self>,
    ) -> Vec<crate::sim::panel::Panel> {
        super::view::panels(world)
    }
}
