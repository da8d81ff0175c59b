//! The protocol: the proposer, acceptor and learner handlers, timers and clients.

use super::*;
use crate::sim::protocol::MessageKind;

/// Single-decree Paxos: configuration and the implementation of its replaceable rules.
#[derive(Clone)]
pub struct Paxos {
    /// Timing and layout.
    pub cfg: PaxosCfg,
    /// Which ballot an acceptor accepts, which value a proposer proposes, what stable storage
    /// keeps (the reference: [`PaxosVariant::Reference`]).
    pub hooks: Arc<dyn PaxosHooks>,
}

impl fmt::Debug for Paxos {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Paxos")
            .field("cfg", &self.cfg)
            .field("hooks", &self.hooks.name())
            .finish()
    }
}

impl Paxos {
    /// Paxos with these timings and one of the variants, or any implementation of the hooks.
    pub fn new(cfg: PaxosCfg, hooks: impl Into<Arc<dyn PaxosHooks>>) -> Paxos {
        Paxos {
            cfg,
            hooks: hooks.into(),
        }
    }

    /// Write the node's state to stable storage (of the acceptor, what the hooks keep: all of
    /// it in the reference).
    fn persist(&self, s: &mut NodeState, ctx: &mut Ctx<'_, Self>) {
        let acceptor = self.hooks.stored_acceptor(&s.acceptor, &s.disk.acceptor);
        let d = Durable {
            acceptor,
            round: s.round,
            value: s.value.clone(),
            learned: s.learned.clone(),
            ghost: s.ghost.clone(),
        };
        if d != s.disk {
            s.disk = d.clone();
            ctx.persist(d);
        }
    }

    /// A random wait that doubles its range with each attempt (§2.4: randomness breaks the
    /// symmetry of duelling proposers).
    fn backoff(&self, s: &NodeState, ctx: &mut Ctx<'_, Self>) -> u64 {
        let doublings = s.attempts.min(self.cfg.backoff_max_doublings);
        let hi = self.cfg.backoff_base_ticks.max(1) << doublings;
        ctx.random_range(1, hi)
    }

    fn see_round(s: &mut NodeState, b: Ballot) {
        s.max_seen = s.max_seen.max(b.round);
    }

    /// §2.2 phase 1a: pick a ballot above any round tried or seen, record it on stable storage
    /// (§2.5), and send `Prepare` to every acceptor (this node's own acceptor included).
    pub(super) fn start_ballot(&self, s: &mut NodeState, ctx: &mut Ctx<'_, Self>) {
        let round = s.round.max(s.max_seen) + 1;
        s.round = round;
        s.max_seen = round;
        s.attempts = s.attempts.saturating_add(1);
        let ballot = Ballot {
            round,
            proposer: s.me,
        };
        s.phase = Phase::Preparing {
            ballot,
            promised_by: vec![false; usize::from(s.nodes)],
            highest: None,
        };
        self.persist(s, ctx);
        let wait = self.cfg.phase_timeout_ticks + self.backoff(s, ctx);
        ctx.set_timer(Retry, wait);
        ctx.broadcast(Msg::Prepare(ballot));
        let reply = self.on_prepare(s, ballot, ctx);
        self.to_proposer(s, s.me, reply, ctx);
    }

    /// §2.2 phase 1b, the acceptor: promise `ballot` unless a higher ballot was promised, and
    /// report the highest-numbered proposal accepted. The promise is on stable storage before
    /// the reply leaves (§2.5).
    pub fn on_prepare(&self, s: &mut NodeState, ballot: Ballot, ctx: &mut Ctx<'_, Self>) -> Msg {
        Self::see_round(s, ballot);
        match s.acceptor.promised {
            Some(p) if p > ballot => Msg::Nack {
                ballot,
                promised: p,
            },
            _ => {
                s.acceptor.promised = Some(ballot);
                self.persist(s, ctx);
                Msg::Promise {
                    ballot,
                    accepted: s.acceptor.accepted.clone(),
                }
            }
        }
    }

    /// §2.2 phase 2b, the acceptor: accept unless a higher ballot was promised; record the
    /// proposal on stable storage (§2.5), then tell every learner (§2.3).
    pub fn on_accept(
        &self,
        s: &mut NodeState,
        ballot: Ballot,
        value: Value,
        ctx: &mut Ctx<'_, Self>,
    ) -> Option<Msg> {
        Self::see_round(s, ballot);
        if let Some(p) = s.acceptor.promised {
            if !self.hooks.may_accept(p, ballot) {
                return Some(Msg::Nack {
                    ballot,
                    promised: p,
                });
            }
        }
        s.acceptor.promised = s.acceptor.promised.max(Some(ballot));
        s.acceptor.accepted = Some((ballot, value.clone()));
        let proposal = (ballot, value.clone());
        if !s.ghost.accepted.contains(&proposal) {
            s.ghost.accepted.push(proposal);
        }
        self.persist(s, ctx);
        ctx.broadcast(Msg::Accepted {
            ballot,
            value: value.clone(),
        });
        self.on_accepted(s, s.me, ballot, value, ctx);
        None
    }

    /// A reply to this node as a proposer: a promise, or a refusal.
    fn to_proposer(&self, s: &mut NodeState, from: NodeId, msg: Msg, ctx: &mut Ctx<'_, Self>) {
        match msg {
            Msg::Promise { ballot, accepted } => self.on_promise(s, from, ballot, accepted, ctx),
            Msg::Nack { ballot, promised } => self.on_nack(s, ballot, promised, ctx),
            _ => {}
        }
    }

    /// §2.2 phase 2a, the proposer: count promises for the current ballot; with a majority,
    /// send `Accept` with the value [`choose_value`] picks.
    fn on_promise(
        &self,
        s: &mut NodeState,
        from: NodeId,
        ballot: Ballot,
        accepted: Option<Proposal>,
        ctx: &mut Ctx<'_, Self>,
    ) {
        let majority = s.majority();
        let Phase::Preparing {
            ballot: current,
            promised_by,
            highest,
        } = &mut s.phase
        else {
            return;
        };
        if *current != ballot {
            return;
        }
        if let Some(slot) = promised_by.get_mut(usize::from(from)) {
            *slot = true;
        }
        if let Some(p) = accepted {
            if highest.as_ref().is_none_or(|h| p.0 > h.0) {
                *highest = Some(p);
            }
        }
        if promised_by.iter().filter(|p| **p).count() < majority {
            return;
        }
        let Some(own) = s.value.clone() else { return };
        let highest = highest.take();
        let value = self.hooks.choose_value(highest.as_ref(), &own);
        if let Some((from, v)) = &highest {
            if *v != own && value == *v {
                ctx.note(Note::Adopted {
                    ballot,
                    value: value.clone(),
                    from: *from,
                });
            }
        }
        s.phase = Phase::Accepting {
            ballot,
            value: value.clone(),
        };
        let wait = self.cfg.phase_timeout_ticks + self.backoff(s, ctx);
        ctx.set_timer(Retry, wait);
        ctx.broadcast(Msg::Accept {
            ballot,
            value: value.clone(),
        });
        if let Some(reply) = self.on_accept(s, ballot, value, ctx) {
            self.to_proposer(s, s.me, reply, ctx);
        }
    }

    /// §2.2 (the optimisation) and §2.4: a refusal means a higher ballot is about; abandon this
    /// one and back off for a random time before trying above it.
    fn on_nack(
        &self,
        s: &mut NodeState,
        ballot: Ballot,
        promised: Ballot,
        ctx: &mut Ctx<'_, Self>,
    ) {
        Self::see_round(s, promised);
        let current = match &s.phase {
            Phase::Preparing { ballot, .. } | Phase::Accepting { ballot, .. } => *ballot,
            _ => return,
        };
        if current != ballot {
            return;
        }
        ctx.note(Note::Preempted {
            ballot,
            by: promised,
        });
        s.phase = Phase::Backoff;
        let wait = self.backoff(s, ctx);
        ctx.set_timer(Retry, wait);
    }

    /// §2.3, the learner: remember the latest proposal each acceptor reports; once a majority
    /// report the same ballot, its value is chosen and this node learns it.
    pub fn on_accepted(
        &self,
        s: &mut NodeState,
        from: NodeId,
        ballot: Ballot,
        value: Value,
        ctx: &mut Ctx<'_, Self>,
    ) {
        let Some(slot) = s.heard.get_mut(usize::from(from)) else {
            return;
        };
        if slot.as_ref().is_some_and(|(b, _)| *b >= ballot) {
            return;
        }
        *slot = Some((ballot, value.clone()));
        let votes = s
            .heard
            .iter()
            .filter(|h| h.as_ref().is_some_and(|(b, _)| *b == ballot))
            .count();
        if votes < s.majority() {
            return;
        }
        match &s.learned {
            Some(v) if *v == value => return,
            Some(_) => {
                // A second value on a majority means agreement is already broken (only a
                // wrong variant gets here). The node keeps what it learned first; the ghost
                // record notes the second value for the properties.
                if !s.ghost.learned.contains(&value) {
                    s.ghost.learned.push(value);
                    self.persist(s, ctx);
                }
                return;
            }
            None => {}
        }
        s.learned = Some(value.clone());
        s.ghost.learned.push(value.clone());
        self.persist(s, ctx);
        ctx.note(Note::Learned {
            ballot,
            value: value.clone(),
        });
        if s.proposer && s.phase != Phase::Idle && s.phase != Phase::Done {
            s.phase = Phase::Done;
            ctx.cancel_timer(Retry);
            ctx.reply(Reply::Chosen(value));
        }
    }
}

impl Protocol for Paxos {
    type Msg = Msg;
    type Timer = Retry;
    type Note = Note;
    type Request = Propose;
    type Reply = Reply;
    type State = NodeState;
    type Durable = Durable;

    /// A restarted node recovers its acceptor state, highest round and value from stable
    /// storage; a proposer that had not learned the outcome starts a new ballot after a
    /// random wait.
    fn on_start(&self, restored: Option<&Durable>, ctx: &mut Ctx<'_, Self>) -> NodeState {
        let proposer = ctx.id() < self.cfg.proposers;
        let s = NodeState::new(ctx.id(), ctx.nodes(), proposer, restored);
        if s.phase == Phase::Backoff {
            let wait = self.backoff(&s, ctx);
            ctx.set_timer(Retry, wait);
        }
        s
    }

    fn on_message(&self, s: &mut NodeState, from: NodeId, msg: Msg, ctx: &mut Ctx<'_, Self>) {
        match msg {
            Msg::Prepare(ballot) => {
                let reply = self.on_prepare(s, ballot, ctx);
                ctx.send(from, reply);
            }
            Msg::Accept { ballot, value } => {
                if let Some(reply) = self.on_accept(s, ballot, value, ctx) {
                    ctx.send(from, reply);
                }
            }
            Msg::Accepted { ballot, value } => self.on_accepted(s, from, ballot, value, ctx),
            reply @ (Msg::Promise { .. } | Msg::Nack { .. }) => {
                self.to_proposer(s, from, reply, ctx)
            }
        }
    }

    fn on_timer(&self, s: &mut NodeState, _timer: Retry, ctx: &mut Ctx<'_, Self>) {
        match &s.phase {
            Phase::Preparing { ballot, .. } | Phase::Accepting { ballot, .. } => {
                ctx.note(Note::TimedOut(*ballot));
                self.start_ballot(s, ctx);
            }
            Phase::Backoff => self.start_ballot(s, ctx),
            Phase::Idle | Phase::Done => {}
        }
    }

    fn on_client_request(&self, s: &mut NodeState, request: Propose, ctx: &mut Ctx<'_, Self>) {
        if !s.proposer {
            ctx.reply(Reply::NotProposer);
            return;
        }
        if let Some(v) = &s.learned {
            ctx.reply(Reply::Chosen(v.clone()));
            return;
        }
        if let Some(v) = &s.value {
            ctx.reply(Reply::AlreadyProposing(v.clone()));
            return;
        }
        s.value = Some(request.0.clone());
        s.ghost.requested.push(request.0);
        s.attempts = 0;
        self.start_ballot(s, ctx);
    }

    fn parse_request(&self, text: &str) -> Result<Propose, String> {
        let text = text.trim();
        if text.is_empty() || text.chars().any(char::is_whitespace) {
            return Err(format!(
                "'{text}' is not a value: one word such as x or put.x.1 (no spaces)"
            ));
        }
        Ok(Propose(Rc::from(text)))
    }

    fn message_kinds(&self) -> &'static [MessageKind] {
        &[
            MessageKind {
                name: "Prepare",
                reply: false,
                meaning: "phase 1a: a proposer asks acceptors to promise a ballot",
            },
            MessageKind {
                name: "Promise",
                reply: true,
                meaning: "phase 1b: a promise, with the highest proposal accepted so far",
            },
            MessageKind {
                name: "Accept",
                reply: false,
                meaning: "phase 2a: accept this value in this ballot",
            },
            MessageKind {
                name: "Accepted",
                reply: true,
                meaning: "phase 2b: the acceptor accepted it",
            },
            MessageKind {
                name: "Nack",
                reply: true,
                meaning: "refused: the acceptor promised a higher ballot",
            },
        ]
    }
    fn view(&self, _node: NodeId, s: &NodeState) -> NodeView {
        view::node_view(s)
    }

    fn panels(&self, w: &WorldRef<'_, Paxos>) -> Vec<Panel> {
        view::acceptor_grid(w)
    }
}
