//! The store's nodes: replicas (n0..n2) that order writes by leader and version and replicate
//! them lazily, and clients whose sessions route requests with the rules' token.
//!
//! A replica's rules, in order of the messages it handles:
//! - **Epochs.** Epoch `e` is led by replica `e mod 3`. A replica that knows a later epoch
//!   than a message's sender answers with its own `Sync`; one that learns of a later epoch
//!   adopts it and follows (a leader steps down).
//! - **Newest version wins.** A replica applies any `Sync` whose version is higher than what
//!   it holds, whoever sent it, and answers a `Sync` carrying less than it holds with its own,
//!   so a version known anywhere spreads everywhere reachable.
//! - **Failover.** A follower that has heard nothing from its epoch's leader for
//!   `TAKEOVER_TICKS` times its rank after the leader (1 for the next replica, 2 for the one
//!   after) takes over the next epoch that is its own, with what it holds. The silence is
//!   counted in timer ticks, not read off the clock, so a clock that is set forward or back
//!   does not make a follower take over.
//! - **Serving.** A request waits at the replica until the rules allow it; a write needs the
//!   leader (a follower redirects it); what waits is re-examined whenever the replica's state
//!   changes.

use super::rules::{OpKind, ReplicaInfo, SessionRules};
use super::types::*;
use super::*;
use crate::sim::protocol::{Ctx, MessageKind, NodeId, NodeView, Protocol};

/// The store: replicas n0..n2 and clients after them.
#[derive(Clone)]
pub struct Tokens {
    /// The sessions' rules (the learner's script in the challenge).
    pub rules: Rc<dyn SessionRules>,
    /// Each client's home replica, in client order (n3, n4, …).
    pub homes: Vec<NodeId>,
}

/// The leader of epoch `e`.
pub fn leader_of(epoch: u64) -> NodeId {
    (epoch % u64::from(REPLICAS)) as NodeId
}

/// The first epoch after `epoch` that `me` leads.
pub fn next_epoch_of(epoch: u64, me: NodeId) -> u64 {
    let mut e = epoch + 1;
    while leader_of(e) != me {
        e += 1;
    }
    e
}

fn is_replica(n: NodeId) -> bool {
    n < REPLICAS
}

impl Tokens {
    fn info(r: &Replica, me: NodeId, clock: u64) -> ReplicaInfo {
        ReplicaInfo {
            id: me,
            leader: r.role == Role::Leader,
            held: r.durable.held,
            clock,
        }
    }

    fn sync_all(r: &Replica, ctx: &mut Ctx<'_, Self>) {
        for to in 0..REPLICAS {
            if to != ctx.id() {
                ctx.send(
                    to,
                    Msg::Sync {
                        epoch: r.durable.epoch,
                        held: r.durable.held,
                    },
                );
            }
        }
    }

    fn become_leader(r: &mut Replica, ctx: &mut Ctx<'_, Self>) {
        r.role = Role::Leader;
        ctx.cancel_timer(Timer::Check);
        ctx.set_timer(Timer::Heartbeat, HEARTBEAT_TICKS);
    }

    fn become_follower(r: &mut Replica, ctx: &mut Ctx<'_, Self>) {
        r.role = Role::Follower;
        r.silent_ticks = 0;
        ctx.cancel_timer(Timer::Heartbeat);
        ctx.set_timer(Timer::Check, CHECK_TICKS);
    }

    /// Serves what waits and may be served now; redirects waiting writes if no longer leader.
    fn serve_waiting(&self, r: &mut Replica, ctx: &mut Ctx<'_, Self>) {
        let mut i = 0;
        while i < r.pending.len() {
            if self.try_serve(r, i, ctx) {
                r.pending.remove(i);
            } else {
                i += 1;
            }
        }
    }

    /// Whether pending request `i` was answered (served or redirected).
    fn try_serve(&self, r: &mut Replica, i: usize, ctx: &mut Ctx<'_, Self>) -> bool {
        let p = r.pending[i].clone();
        let me = ctx.id();
        if p.write.is_some() && r.role != Role::Leader {
            let leader = leader_of(r.durable.epoch);
            ctx.send(p.client, Msg::Redirect { op: p.op, leader });
            return true;
        }
        if p.write.is_some() && Self::epoch_full(r) {
            // The epoch has numbered all the writes it can: the write waits for a new leader.
            return false;
        }
        let kind = if p.write.is_some() {
            OpKind::Write
        } else {
            OpKind::Read
        };
        let info = Self::info(r, me, ctx.now());
        let allowed = self
            .rules
            .may_serve(&p.token, kind, &info)
            .unwrap_or_else(|| {
                super::rules::Reference
                    .may_serve(&p.token, kind, &info)
                    .unwrap_or(true)
            });
        if !allowed {
            return false;
        }
        match p.write {
            None => ctx.send(
                p.client,
                Msg::ReadOk(Served {
                    op: p.op,
                    held: r.durable.held,
                    clock: ctx.now(),
                }),
            ),
            Some(value) => self.accept(r, &p, value, ctx),
        }
        true
    }

    /// Whether the leader's epoch has numbered [`SEQ_PER_EPOCH`] − 1 writes already.
    fn epoch_full(r: &Replica) -> bool {
        let held = r.durable.held.version;
        epoch_of(held) == r.durable.epoch && held % SEQ_PER_EPOCH >= SEQ_PER_EPOCH - 1
    }

    /// The leader accepts a write: the next version of its epoch.
    fn accept(&self, r: &mut Replica, p: &Pending, value: u64, ctx: &mut Ctx<'_, Self>) {
        let epoch = r.durable.epoch;
        let held = r.durable.held;
        let seq = if epoch_of(held.version) == epoch {
            held.version % SEQ_PER_EPOCH + 1
        } else {
            1
        };
        let written = Held {
            version: epoch * SEQ_PER_EPOCH + seq,
            value,
            written_at: ctx.now(),
        };
        r.durable.held = written;
        ctx.persist(r.durable);
        ctx.note(Note::Accepted(written.version, value));
        r.accepted.retain(|(c, _, _)| *c != p.client);
        r.accepted.push((p.client, p.op, written));
        ctx.send(
            p.client,
            Msg::WriteOk(Served {
                op: p.op,
                held: written,
                clock: ctx.now(),
            }),
        );
        Self::sync_all(r, ctx);
    }

    fn on_request(&self, r: &mut Replica, from: NodeId, pending: Pending, ctx: &mut Ctx<'_, Self>) {
        if pending.write.is_some() {
            let done = r
                .accepted
                .iter()
                .find(|(c, op, _)| *c == from && *op == pending.op)
                .map(|(_, _, h)| *h);
            if let Some(held) = done {
                ctx.send(
                    from,
                    Msg::WriteOk(Served {
                        op: pending.op,
                        held,
                        clock: ctx.now(),
                    }),
                );
                return;
            }
        }
        r.pending
            .retain(|p| !(p.client == pending.client && p.op == pending.op));
        if r.pending.len() >= PENDING_MAX {
            r.pending.remove(0);
        }
        r.pending.push(pending);
        let last = r.pending.len() - 1;
        if self.try_serve(r, last, ctx) {
            r.pending.pop();
        }
    }

    fn on_sync(
        &self,
        r: &mut Replica,
        from: NodeId,
        epoch: u64,
        held: Held,
        ctx: &mut Ctx<'_, Self>,
    ) {
        let mut changed = false;
        if epoch > r.durable.epoch {
            r.durable.epoch = epoch;
            if r.role == Role::Leader {
                ctx.note(Note::StepDown(epoch));
            }
            Self::become_follower(r, ctx);
            changed = true;
        }
        if epoch == r.durable.epoch && from == leader_of(epoch) && r.role == Role::Follower {
            r.silent_ticks = 0;
        }
        if held.version > r.durable.held.version {
            r.durable.held = held;
            changed = true;
        }
        if changed {
            ctx.persist(r.durable);
        }
        if r.durable.epoch > epoch || r.durable.held.version > held.version {
            ctx.send(
                from,
                Msg::Sync {
                    epoch: r.durable.epoch,
                    held: r.durable.held,
                },
            );
        }
        if changed {
            self.serve_waiting(r, ctx);
        }
    }

    fn replica_timer(&self, r: &mut Replica, timer: Timer, ctx: &mut Ctx<'_, Self>) {
        match timer {
            Timer::Heartbeat if r.role == Role::Leader => {
                Self::sync_all(r, ctx);
                ctx.set_timer(Timer::Heartbeat, HEARTBEAT_TICKS);
            }
            Timer::Check if r.role == Role::Follower => {
                let me = ctx.id();
                let leader = leader_of(r.durable.epoch);
                let rank =
                    (u64::from(me) + u64::from(REPLICAS) - u64::from(leader)) % u64::from(REPLICAS);
                r.silent_ticks += CHECK_TICKS;
                if r.silent_ticks > TAKEOVER_TICKS * rank.max(1) {
                    r.durable.epoch = next_epoch_of(r.durable.epoch, me);
                    ctx.persist(r.durable);
                    ctx.note(Note::TakeOver(r.durable.epoch));
                    Self::become_leader(r, ctx);
                    Self::sync_all(r, ctx);
                    self.serve_waiting(r, ctx);
                } else {
                    ctx.set_timer(Timer::Check, CHECK_TICKS);
                }
            }
            _ => {}
        }
    }

    fn home_of(&self, me: NodeId) -> NodeId {
        self.homes
            .get(usize::from(me - REPLICAS))
            .copied()
            .unwrap_or(0)
    }

    /// Sends the current operation's next attempt.
    fn send_current(&self, c: &mut Client, ctx: &mut Ctx<'_, Self>) {
        let Some(cur) = &c.current else { return };
        match cur.request {
            Request::Read => {
                let to = self
                    .rules
                    .pick(&c.token, c.home, cur.attempt)
                    .filter(|&n| is_replica(n))
                    .unwrap_or(c.home);
                ctx.send(
                    to,
                    Msg::Read {
                        op: cur.op,
                        token: c.token.clone(),
                    },
                );
            }
            Request::Write(value) => ctx.send(
                c.leader,
                Msg::Write {
                    op: cur.op,
                    token: c.token.clone(),
                    value,
                },
            ),
        }
        ctx.set_timer(Timer::Retry, RETRY_TICKS);
    }

    fn start_next(&self, c: &mut Client, ctx: &mut Ctx<'_, Self>) {
        if c.current.is_some() {
            return;
        }
        let Some(request) = c.queue.pop_front() else {
            ctx.cancel_timer(Timer::Retry);
            return;
        };
        c.ops += 1;
        c.current = Some(Current {
            op: c.ops,
            request,
            attempt: 0,
        });
        self.send_current(c, ctx);
    }

    fn client_message(&self, c: &mut Client, from: NodeId, msg: Msg, ctx: &mut Ctx<'_, Self>) {
        let Some(cur) = c.current.clone() else { return };
        match msg {
            Msg::ReadOk(s) | Msg::WriteOk(s) if s.op == cur.op => {
                let read = matches!(cur.request, Request::Read);
                let token = if read {
                    self.rules.after_read(&c.token, &s.held, s.clock, from)
                } else {
                    self.rules.after_write(&c.token, &s.held, s.clock, from)
                };
                if let Some(token) = token {
                    c.token = token;
                }
                if !read {
                    c.leader = from;
                    c.avoid = None;
                }
                ctx.reply(Done {
                    request: cur.request,
                    version: s.held.version,
                    value: s.held.value,
                    replica: from,
                });
                c.current = None;
                self.start_next(c, ctx);
            }
            Msg::Redirect { op, leader } if op == cur.op => {
                // A redirect back to the replica that just timed out goes on to the next one.
                c.leader = if leader == from || Some(leader) == c.avoid {
                    (from + 1) % REPLICAS
                } else {
                    leader
                };
                if let Some(cur) = &mut c.current {
                    cur.attempt += 1;
                }
                self.send_current(c, ctx);
            }
            _ => {}
        }
    }
}

impl Protocol for Tokens {
    type Msg = Msg;
    type Timer = Timer;
    type Note = Note;
    type Request = Request;
    type Reply = Done;
    type State = State;
    type Durable = Durable;

    fn on_start(&self, restored: Option<&Durable>, ctx: &mut Ctx<'_, Self>) -> State {
        let me = ctx.id();
        if !is_replica(me) {
            return State::Client(Client {
                home: self.home_of(me),
                token: Token::initial(),
                leader: 0,
                avoid: None,
                current: None,
                queue: Default::default(),
                ops: 0,
            });
        }
        let durable = restored.copied().unwrap_or_default();
        let mut r = Replica {
            durable,
            role: Role::Follower,
            silent_ticks: 0,
            pending: Vec::new(),
            accepted: Vec::new(),
        };
        if leader_of(durable.epoch) == me {
            Self::become_leader(&mut r, ctx);
        } else {
            Self::become_follower(&mut r, ctx);
        }
        State::Replica(r)
    }

    fn on_message(&self, state: &mut State, from: NodeId, msg: Msg, ctx: &mut Ctx<'_, Self>) {
        match state {
            State::Client(c) => self.client_message(c, from, msg, ctx),
            State::Replica(r) => match msg {
                Msg::Read { op, token } => self.on_request(
                    r,
                    from,
                    Pending {
                        client: from,
                        op,
                        token,
                        write: None,
                    },
                    ctx,
                ),
                Msg::Write { op, token, value } => self.on_request(
                    r,
                    from,
                    Pending {
                        client: from,
                        op,
                        token,
                        write: Some(value),
                    },
                    ctx,
                ),
                Msg::Sync { epoch, held } if is_replica(from) => {
                    self.on_sync(r, from, epoch, held, ctx)
                }
                _ => {}
            },
        }
    }

    fn on_timer(&self, state: &mut State, timer: Timer, ctx: &mut Ctx<'_, Self>) {
        match state {
            State::Replica(r) => self.replica_timer(r, timer, ctx),
            State::Client(c) => {
                if timer != Timer::Retry {
                    return;
                }
                let Some(cur) = &mut c.current else { return };
                cur.attempt += 1;
                if matches!(cur.request, Request::Write(_)) {
                    c.avoid = Some(c.leader);
                    c.leader = (c.leader + 1) % REPLICAS;
                }
                self.send_current(c, ctx);
            }
        }
    }

    fn on_client_request(&self, state: &mut State, request: Request, ctx: &mut Ctx<'_, Self>) {
        if let State::Client(c) = state {
            if c.queue.len() < QUEUE_MAX {
                c.queue.push_back(request);
            }
            self.start_next(c, ctx);
        }
    }

    fn parse_request(&self, text: &str) -> Result<Request, String> {
        match text {
            "r" | "read" => Ok(Request::Read),
            _ => {
                let digits = text
                    .strip_prefix("write ")
                    .or_else(|| text.strip_prefix('w'))
                    .ok_or_else(|| format!("'{text}' is not r (read) or w<value> (write)"))?;
                digits
                    .parse::<u64>()
                    .ok()
                    .filter(|&v| v > 0)
                    .map(Request::Write)
                    .ok_or_else(|| format!("'{digits}' is not a value of 1 or more"))
            }
        }
    }

    fn message_kinds(&self) -> &'static [MessageKind] {
        &[
            MessageKind {
                name: "Read",
                reply: false,
                meaning: "a client reads, with its session token",
            },
            MessageKind {
                name: "Write",
                reply: false,
                meaning: "a client writes, with its session token",
            },
            MessageKind {
                name: "ReadOk",
                reply: true,
                meaning: "the value and the replica's state",
            },
            MessageKind {
                name: "WriteOk",
                reply: true,
                meaning: "the write and its version",
            },
            MessageKind {
                name: "Redirect",
                reply: true,
                meaning: "not the leader: try this one",
            },
            MessageKind {
                name: "Sync",
                reply: false,
                meaning: "replicas ship what they hold",
            },
        ]
    }
    fn view(&self, _: NodeId, state: &State) -> NodeView {
        match state {
            State::Replica(r) => NodeView::new(match r.role {
                Role::Leader => "leader",
                Role::Follower => "follower",
            })
            .badge(format_args!("e{}", r.durable.epoch))
            .field("epoch", r.durable.epoch)
            .field("version", r.durable.held.version)
            .field("value", r.durable.held.value)
            .field("waiting", r.pending.len()),
            State::Client(c) => NodeView::new("client")
                .field("home", format!("n{}", c.home))
                .field("token", &c.token)
                .field("leader?", format!("n{}", c.leader))
                .field(
                    "doing",
                    c.current
                        .as_ref()
                        .map_or("nothing".to_string(), |cur| cur.request.to_string()),
                ),
        }
    }
}
