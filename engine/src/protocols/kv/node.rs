//! The protocol: servers that run Raft and apply its log, clients that retry and follow
//! redirects.

use std::collections::VecDeque;
use std::fmt;
use std::rc::Rc;
use std::sync::Arc;

use super::rules::{
    ClientAction, ClientEvent, ClientView, KvClientHooks, KvHooks, KvReadHooks, ReadAction,
    ReadView, ServerRule,
};
use super::types::*;
use super::*;
use crate::protocols::raft::{self, Raft, Role};
use crate::sim::panel::Panel;
use crate::sim::protocol::{Ctx, Effect, MessageKind, NoRequest, NodeId, NodeView, Protocol};
use crate::sim::world::WorldRef;

/// The replicated store: `servers` Raft servers (n0 …) and clients after them.
#[derive(Clone)]
pub struct KvStore {
    /// How many servers (the rest of the nodes are clients).
    pub servers: u16,
    /// Raft, with its timing and its vote, append and commit decisions.
    pub raft: Raft,
    /// How the state machine applies an entry.
    pub hooks: Arc<dyn KvHooks>,
    /// How a server answers.
    pub server_rule: ServerRule,
    /// What a client does on a timeout or a redirect.
    pub client: Arc<dyn KvClientHooks>,
    /// How a leader serves a get, when not through the log by [`ServerRule`].
    pub reads: Option<Arc<dyn KvReadHooks>>,
    /// Operations each client draws at its start.
    pub ops_per_client: u32,
    /// A server whose first election starts early, so runs begin with a known leader.
    pub first_leader: Option<NodeId>,
}

impl fmt::Debug for KvStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KvStore")
            .field("servers", &self.servers)
            .field("raft", &self.raft)
            .field("hooks", &self.hooks.name())
            .field("server_rule", &self.server_rule)
            .field("client", &self.client.name())
            .field("reads", &self.reads.as_ref().map(|r| r.name().to_string()))
            .finish()
    }
}

impl KvStore {
    /// Whether `node` is a server.
    pub fn is_server(&self, node: NodeId) -> bool {
        node < self.servers
    }

    /// Runs one Raft handler on the server's Raft state and carries out its effects in the
    /// store's terms; then hands the machine what Raft newly applied.
    fn raft_step(
        &self,
        s: &mut ServerState,
        ctx: &mut Ctx<'_, Self>,
        handler: impl FnOnce(&Raft, &mut raft::NodeState, &mut Ctx<'_, Raft>),
    ) {
        let was_leader = s.raft.role == Role::Leader;
        let raft = &self.raft;
        let ((), effects) = ctx.nested(self.servers, |rc| handler(raft, &mut s.raft, rc));
        carry_out(effects, ctx);
        if !was_leader && s.raft.role == Role::Leader {
            s.acked_at = vec![0; usize::from(self.servers)];
            s.confirmed = vec![0; usize::from(self.servers)];
        }
        if s.raft.role != Role::Leader {
            // A server that no longer leads drops the reads it held; their clients retry.
            s.reads.clear();
        }
        self.hand_committed(s, ctx);
        self.serve_reads(s, ctx);
    }

    /// Whether an entry of this leader's term has committed (its commit index is then its
    /// own, Raft §5.4.2, §8).
    fn term_committed(s: &ServerState) -> bool {
        s.raft.persistent.term_at(s.raft.commit_index) == Some(s.raft.persistent.current_term)
    }

    /// Starts a confirmation round: every other server is asked whether this leader still
    /// leads its term.
    fn start_round(&self, s: &mut ServerState, ctx: &mut Ctx<'_, Self>) {
        s.round = (s.round.0 + 1, ctx.now());
        let (term, round) = (s.raft.persistent.current_term, s.round.0);
        for n in (0..self.servers).filter(|&n| n != s.raft.me) {
            ctx.send(n, Msg::ReadConfirm { term, round });
        }
    }

    /// The decision for gets at a leader, if gets are not simply appended: the installed
    /// hooks, or the read-index rules.
    fn read_hooks(&self) -> Option<&dyn KvReadHooks> {
        match (&self.reads, self.server_rule) {
            (Some(h), _) => Some(h.as_ref()),
            (None, ServerRule::ReadIndex | ServerRule::ReadIndexNoConfirm) => {
                Some(&self.server_rule)
            }
            _ => None,
        }
    }

    /// A leader asks its read decision about each pending get: answers it, appends it to the
    /// log, or keeps it; and starts a confirmation round when a kept get asked for one and
    /// none has started since it arrived, or the last is [`RESEND_TICKS`] old.
    fn serve_reads(&self, s: &mut ServerState, ctx: &mut Ctx<'_, Self>) {
        let Some(hooks) = self.read_hooks() else {
            return;
        };
        if s.reads.is_empty() || s.raft.role != Role::Leader {
            return;
        }
        let commit = Self::term_committed(s).then_some(s.raft.commit_index);
        let lease = self.lease_valid(s, ctx.now());
        let me = s.raft.me;
        let majority = s.raft.majority();
        let mut round = false;
        let mut via_log = Vec::new();
        let mut i = 0;
        while i < s.reads.len() {
            let r = &mut s.reads[i];
            if r.read_index.is_none() {
                r.read_index = commit;
            }
            let votes = 1 + s
                .confirmed
                .iter()
                .enumerate()
                .filter(|&(n, &c)| n != usize::from(me) && c >= r.from_round)
                .count();
            let view = ReadView {
                value: s
                    .machine
                    .data
                    .get(&r.key)
                    .cloned()
                    .unwrap_or_else(|| Rc::from("")),
                read_index: r.read_index,
                // The machine has been handed every entry up to here (no-ops included,
                // which it does not see).
                applied: s.handed as u64,
                commit_index: s.raft.commit_index,
                confirmed: votes >= majority,
                lease,
            };
            match hooks.serve_get(&view) {
                ReadAction::Answer(result) => {
                    let r = s.reads.remove(i);
                    ctx.send(r.client, Msg::Done { seq: r.seq, result });
                }
                ReadAction::ViaLog => via_log.push(s.reads.remove(i)),
                ReadAction::Confirm => {
                    round |= s.round.0 < r.from_round || ctx.now() >= s.round.1 + RESEND_TICKS;
                    i += 1;
                }
                ReadAction::Wait => i += 1,
            }
        }
        if round {
            self.start_round(s, ctx);
        }
        for r in via_log {
            self.append(s, r.client, r.seq, Op::Get(r.key), ctx);
        }
    }

    /// Hands the machine the entries Raft applied since the last time, together with the
    /// last [`REHANDED_ENTRIES`] it was handed before (as a retransmitted batch would), and
    /// answers the clients waiting here for any of them.
    fn hand_committed(&self, s: &mut ServerState, ctx: &mut Ctx<'_, Self>) {
        let applied = s.raft.applied.len();
        if applied <= s.handed {
            return;
        }
        let from = s.handed.saturating_sub(REHANDED_ENTRIES);
        s.handed = applied;
        for i in from..applied {
            let Some(command) = Command::decode(&s.raft.applied[i]) else {
                continue;
            };
            let index = i as u64 + 1;
            let result = self.hooks.apply(&mut s.machine, index, &command);
            ctx.note(Note::Applied {
                index,
                client: command.client,
                seq: command.seq,
                result: result.clone(),
            });
            let Some(result) = result else { continue };
            if s.waiting.get(&command.client) == Some(&command.seq) {
                s.waiting.remove(&command.client);
                if self.server_rule == ServerRule::VolatileDedup {
                    s.volatile_sessions.insert(
                        command.client,
                        Session {
                            seq: command.seq,
                            result: result.clone(),
                        },
                    );
                }
                ctx.send(
                    command.client,
                    Msg::Done {
                        seq: command.seq,
                        result,
                    },
                );
            }
        }
    }

    /// Whether a majority of servers acknowledged this leader within [`LEASE_TICKS`] of its
    /// clock (itself included).
    fn lease_valid(&self, s: &ServerState, now: u64) -> bool {
        let fresh = (0..self.servers)
            .filter(|&n| n == s.raft.me || now < s.acked_at[usize::from(n)] + LEASE_TICKS)
            .count();
        fresh >= s.raft.majority()
    }

    fn on_request(
        &self,
        s: &mut ServerState,
        client: NodeId,
        seq: Seq,
        op: Op,
        ctx: &mut Ctx<'_, Self>,
    ) {
        if s.raft.role != Role::Leader {
            let leader = s.raft.leader.filter(|&l| l != s.raft.me);
            ctx.send(client, Msg::NotLeader { seq, leader });
            return;
        }
        if let Op::Get(key) = &op {
            if self.read_hooks().is_some() {
                s.reads.retain(|r| r.client != client);
                if s.reads.len() < crate::limits::KV_PENDING_READS_MAX {
                    let read_index = Self::term_committed(s).then_some(s.raft.commit_index);
                    s.reads.push(PendingRead {
                        client,
                        seq,
                        key: key.clone(),
                        read_index,
                        from_round: s.round.0 + 1,
                    });
                    self.serve_reads(s, ctx);
                }
                return;
            }
            let local = match self.server_rule {
                ServerRule::LocalRead => true,
                ServerRule::LeaseRead => self.lease_valid(s, ctx.now()),
                _ => false,
            };
            if local {
                let result = s
                    .machine
                    .data
                    .get(key)
                    .cloned()
                    .unwrap_or_else(|| Rc::from(""));
                ctx.send(client, Msg::Done { seq, result });
                return;
            }
        }
        if self.server_rule == ServerRule::VolatileDedup {
            if let Some(session) = s.volatile_sessions.get(&client).filter(|x| x.seq == seq) {
                let result = session.result.clone();
                ctx.send(client, Msg::Done { seq, result });
                return;
            }
        }
        self.append(s, client, seq, op, ctx);
    }

    /// The leader appends a client's operation to its log and answers once it is applied
    /// (or at once, under [`ServerRule::AckBeforeCommit`]).
    fn append(
        &self,
        s: &mut ServerState,
        client: NodeId,
        seq: Seq,
        op: Op,
        ctx: &mut Ctx<'_, Self>,
    ) {
        let command = Command { client, seq, op };
        let early =
            self.server_rule == ServerRule::AckBeforeCommit && !matches!(command.op, Op::Get(_));
        let text = raft::Command(command.encode());
        // Waiting before the entry is appended: a Raft whose commit rule commits at once
        // (a wrong one) applies it within this step, and its client must still hear.
        if !early {
            s.waiting.insert(client, seq);
        }
        self.raft_step(s, ctx, |raft, ns, rc| raft.on_client_request(ns, text, rc));
        if early {
            ctx.send(
                client,
                Msg::Done {
                    seq,
                    result: Rc::from(""),
                },
            );
        }
    }

    fn server_message(&self, s: &mut ServerState, from: NodeId, msg: Msg, ctx: &mut Ctx<'_, Self>) {
        match msg {
            Msg::Raft(m) => {
                if let raft::Msg::AppendReply(r) = &m {
                    if s.raft.role == Role::Leader && r.term == s.raft.persistent.current_term {
                        s.acked_at[usize::from(from)] = ctx.now();
                    }
                }
                if self.is_server(from) {
                    self.raft_step(s, ctx, |raft, ns, rc| raft.on_message(ns, from, m, rc));
                }
            }
            Msg::Request { seq, op } => self.on_request(s, from, seq, op, ctx),
            Msg::ReadConfirm { round, .. } if self.is_server(from) => {
                let term = s.raft.persistent.current_term;
                ctx.send(from, Msg::ReadConfirmed { term, round });
            }
            Msg::ReadConfirmed { term, round } if self.is_server(from) => {
                if s.raft.role == Role::Leader && term == s.raft.persistent.current_term {
                    let c = &mut s.confirmed[usize::from(from)];
                    *c = (*c).max(round);
                    self.serve_reads(s, ctx);
                }
            }
            Msg::Done { .. }
            | Msg::NotLeader { .. }
            | Msg::ReadConfirm { .. }
            | Msg::ReadConfirmed { .. } => {}
        }
    }

    // ---------------------------------------------------------------------------------------
    // Clients.
    // ---------------------------------------------------------------------------------------

    fn send_attempt(&self, c: &ClientState, ctx: &mut Ctx<'_, Self>) {
        if let Some(r) = &c.running {
            ctx.send(
                c.leader,
                Msg::Request {
                    seq: r.sent_seq,
                    op: r.op.clone(),
                },
            );
            ctx.set_timer(
                Timer::Attempt(r.seq, r.attempts),
                self.client.attempt_ticks(),
            );
        }
    }

    fn start_next(&self, c: &mut ClientState, ctx: &mut Ctx<'_, Self>) {
        if c.running.is_some() {
            return;
        }
        let Some(op) = c.queue.pop_front() else {
            return;
        };
        c.seq += 1;
        ctx.observe(Note::Invoke {
            seq: c.seq,
            op: op.clone(),
        });
        c.running = Some(Running {
            seq: c.seq,
            op,
            attempts: 1,
            sent_seq: c.seq,
        });
        self.send_attempt(c, ctx);
    }

    /// The operation in progress ends (answered, given up or reported failed); the next one
    /// starts after a think time.
    fn finish(&self, c: &mut ClientState, note: Note, ctx: &mut Ctx<'_, Self>) {
        c.running = None;
        ctx.observe(note);
        let think = ctx.random_range(THINK_TICKS.0, THINK_TICKS.1);
        ctx.set_timer(Timer::Next, think);
    }

    /// Asks the client's hooks what to do after `event` at `server`, and does it.
    fn decide(
        &self,
        c: &mut ClientState,
        event: ClientEvent,
        server: NodeId,
        ctx: &mut Ctx<'_, Self>,
    ) {
        let Some(r) = c.running.as_ref() else { return };
        let view = ClientView {
            event,
            server,
            attempts: r.attempts,
            seq: r.sent_seq,
            servers: self.servers,
        };
        let seq = r.seq;
        match self.client.next_attempt(&view) {
            ClientAction::Send {
                to,
                seq: sent,
                after,
            } => {
                c.leader = to;
                c.seq = c.seq.max(sent);
                if let Some(r) = c.running.as_mut() {
                    r.sent_seq = sent;
                }
                if after == 0 {
                    self.attempt_again(c, ctx);
                } else {
                    ctx.set_timer(Timer::Resend(seq), after);
                }
            }
            ClientAction::GiveUp => {
                c.gave_up += 1;
                self.finish(c, Note::GaveUp { seq }, ctx);
            }
            ClientAction::Fail => {
                c.gave_up += 1;
                self.finish(c, Note::Failed { seq }, ctx);
            }
            ClientAction::Ok => {
                c.done += 1;
                let result = Rc::from("");
                self.finish(c, Note::Return { seq, result }, ctx);
            }
        }
    }

    /// Another attempt of the operation in progress, at `c.leader`.
    fn attempt_again(&self, c: &mut ClientState, ctx: &mut Ctx<'_, Self>) {
        let Some(r) = c.running.as_mut() else { return };
        r.attempts = r.attempts.saturating_add(1);
        self.send_attempt(c, ctx);
    }

    fn client_message(&self, c: &mut ClientState, from: NodeId, msg: Msg, ctx: &mut Ctx<'_, Self>) {
        let Some((seq, sent)) = c.running.as_ref().map(|r| (r.seq, r.sent_seq)) else {
            return;
        };
        match msg {
            Msg::Done { seq: s, result } if s == sent => {
                c.leader = from;
                c.done += 1;
                self.finish(c, Note::Return { seq, result }, ctx);
            }
            Msg::NotLeader { seq: s, leader } if s == sent => {
                self.decide(c, ClientEvent::NotLeader(leader), from, ctx);
            }
            _ => {}
        }
    }

    fn client_timer(&self, c: &mut ClientState, timer: Timer, ctx: &mut Ctx<'_, Self>) {
        let Some(r) = c.running.as_ref() else {
            if timer == Timer::Next {
                self.start_next(c, ctx);
            }
            return;
        };
        let (seq, attempts) = (r.seq, r.attempts);
        match timer {
            Timer::Attempt(s, k) if s == seq && k == attempts => {
                let server = c.leader;
                self.decide(c, ClientEvent::Timeout, server, ctx);
            }
            Timer::Resend(s) if s == seq => self.attempt_again(c, ctx),
            _ => {}
        }
    }

    /// A client's operations: gets, puts and appends on [`KEYS`], each put or append with a
    /// value no other operation writes (client letter and sequence number, e.g. `B3`).
    fn draw_workload(&self, client: NodeId, ctx: &mut Ctx<'_, Self>) -> VecDeque<Op> {
        let letter = client_letter(self.servers, client);
        (1..=self.ops_per_client)
            .map(|k| {
                let key: Rc<str> =
                    Rc::from(KEYS[ctx.random_range(0, KEYS.len() as u64 - 1) as usize]);
                let value: Rc<str> = Rc::from(format!("{letter}{k}"));
                match ctx.random_range(0, 9) {
                    0..=3 => Op::Get(key),
                    4..=5 => Op::Put(key, value),
                    _ => Op::Append(key, value),
                }
            })
            .collect()
    }
}

/// The letter naming client `node` in values and the history (`A` for the first client).
pub fn client_letter(servers: u16, node: NodeId) -> char {
    char::from(b'A' + u8::try_from(node.saturating_sub(servers) % 26).unwrap_or(0))
}

/// Raft's effects in the store's terms: its messages and timers wrapped, its durable state
/// and notes kept, its answers to a local client dropped (the store answers its clients
/// itself, from the state machine).
fn carry_out(effects: Vec<Effect<Raft>>, ctx: &mut Ctx<'_, KvStore>) {
    for effect in effects {
        match effect {
            Effect::Send(to, m) => ctx.send(to, Msg::Raft(m)),
            Effect::SetTimer(t, after) => ctx.set_timer(Timer::Raft(t), after),
            Effect::CancelTimer(t) => ctx.cancel_timer(Timer::Raft(t)),
            Effect::Persist(d) => ctx.persist(d),
            Effect::Note(n) => ctx.note(Note::Raft(n)),
            Effect::Observe(n) => ctx.observe(Note::Raft(n)),
            Effect::Reply(_) => {}
        }
    }
}

impl Protocol for KvStore {
    type Msg = Msg;
    type Timer = Timer;
    type Note = Note;
    type Request = Op;
    type Reply = NoRequest;
    type State = State;
    type Durable = raft::Durable;

    fn on_start(&self, restored: Option<&raft::Durable>, ctx: &mut Ctx<'_, Self>) -> State {
        let me = ctx.id();
        if !self.is_server(me) {
            let queue = self.draw_workload(me, ctx);
            let start = ctx.random_range(THINK_TICKS.0, THINK_TICKS.1);
            ctx.set_timer(Timer::Next, start);
            return State::Client(ClientState {
                queue,
                running: None,
                seq: 0,
                leader: self.first_leader.unwrap_or(0),
                done: 0,
                gave_up: 0,
            });
        }
        let raft = &self.raft;
        let (node, effects) = ctx.nested(self.servers, |rc| raft.on_start(restored, rc));
        carry_out(effects, ctx);
        if restored.is_none() && self.first_leader == Some(me) {
            ctx.set_timer(Timer::Raft(raft::Timer::Election), FIRST_ELECTION_TICKS);
        }
        State::Server(Box::new(ServerState {
            raft: node,
            machine: Machine::default(),
            handed: 0,
            waiting: Default::default(),
            volatile_sessions: Default::default(),
            acked_at: vec![0; usize::from(self.servers)],
            reads: Vec::new(),
            round: (0, 0),
            confirmed: vec![0; usize::from(self.servers)],
        }))
    }

    fn on_message(&self, state: &mut State, from: NodeId, msg: Msg, ctx: &mut Ctx<'_, Self>) {
        match state {
            State::Server(s) => self.server_message(s, from, msg, ctx),
            State::Client(c) => self.client_message(c, from, msg, ctx),
        }
    }

    fn on_timer(&self, state: &mut State, timer: Timer, ctx: &mut Ctx<'_, Self>) {
        match (state, timer) {
            (State::Server(s), Timer::Raft(t)) => {
                self.raft_step(s, ctx, |raft, ns, rc| raft.on_timer(ns, t, rc));
            }
            (State::Client(c), t) => self.client_timer(c, t, ctx),
            _ => {}
        }
    }

    fn on_client_request(&self, state: &mut State, op: Op, ctx: &mut Ctx<'_, Self>) {
        if let State::Client(c) = state {
            if c.queue.len() >= crate::limits::KV_CLIENT_QUEUE_OPS_MAX {
                return;
            }
            c.queue.push_back(op);
            if c.running.is_none() {
                ctx.set_timer(Timer::Next, 1);
            }
        }
    }

    fn parse_request(&self, text: &str) -> Result<Op, String> {
        Op::parse(text)
    }

    fn view(&self, node: NodeId, state: &State) -> NodeView {
        view::node_view(self, node, state)
    }

    fn message_kinds(&self) -> &'static [MessageKind] {
        MESSAGE_KINDS
    }

    fn panels(&self, world: &WorldRef<'_, KvStore>) -> Vec<Panel> {
        vec![Panel::History(view::history_panel(world))]
    }
}

/// Raft's message kinds and the client protocol's.
const MESSAGE_KINDS: &[MessageKind] = &[
    MessageKind {
        name: "RequestVote",
        reply: false,
        meaning: "a candidate asks for a vote (term, last log index and term)",
    },
    MessageKind {
        name: "VoteReply",
        reply: true,
        meaning: "granted or refused, with the voter's term",
    },
    MessageKind {
        name: "AppendEntries",
        reply: false,
        meaning: "the leader's entries after prevIndex, or a heartbeat, with its commit index",
    },
    MessageKind {
        name: "AppendReply",
        reply: true,
        meaning: "ok with the follower's match index, or fail",
    },
    MessageKind {
        name: "Request",
        reply: false,
        meaning: "a client's operation with its sequence number",
    },
    MessageKind {
        name: "Done",
        reply: true,
        meaning: "the operation was applied: a get's value",
    },
    MessageKind {
        name: "NotLeader",
        reply: true,
        meaning: "not the leader: try the one named, if any",
    },
    MessageKind {
        name: "ReadConfirm",
        reply: false,
        meaning: "a leader serving a read by read index asks: do I still lead this term?",
    },
    MessageKind {
        name: "ReadConfirmed",
        reply: true,
        meaning: "the follower's current term, for the round asked",
    },
];
