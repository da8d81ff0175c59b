//! The handlers: the coordinator's three phases, the participants' automaton, and the
//! termination protocol a participant runs when it times out.

use std::collections::{BTreeMap, BTreeSet};

use super::types::*;
use super::*;
use crate::sim::protocol::{Ctx, MessageKind, NodeId, NodeView, Protocol};
use crate::sim::world::WorldRef;

/// Three-phase commit with its termination protocol: the coordinator's workload of
/// transactions.
#[derive(Clone, Debug)]
pub struct ThreePc {
    /// The transactions the coordinator starts, one every [`TX_SPACING_TICKS`].
    pub workload: Vec<Plan>,
}

/// Skeen's termination rule over the states a recovery coordinator could collect, its own
/// included: any aborted (or not yet voted) → abort; any committed → commit; any
/// pre-committed → commit (after pre-committing the uncertain ones); all uncertain → abort.
pub fn termination_rule(states: &BTreeMap<NodeId, PState>) -> Outcome {
    let any = |s: PState| states.values().any(|x| *x == s);
    if any(PState::Aborted) || any(PState::Initial) {
        Outcome::Abort
    } else if any(PState::Committed) || any(PState::PreCommitted) {
        Outcome::Commit
    } else {
        Outcome::Abort
    }
}

impl ThreePc {
    // ---- the coordinator ----

    fn more_work(&self, c: &Coordinator) -> bool {
        (c.disk.started as usize) < self.workload.len() || !c.requested.is_empty()
    }

    fn coordinator_start(
        &self,
        restored: Option<&CoordinatorDisk>,
        ctx: &mut Ctx<'_, Self>,
    ) -> Coordinator {
        let mut c = Coordinator {
            disk: restored.cloned().unwrap_or_default(),
            txs: BTreeMap::new(),
            requested: Vec::new(),
        };
        if restored.is_none() {
            if self.more_work(&c) {
                ctx.set_timer(Timer::NextTx, FIRST_TX_TICKS);
            }
            return c;
        }
        let mut open = Vec::new();
        for (tx, phase) in c.disk.phases.clone() {
            let phase = match phase {
                Phase::Decided(o) => Phase::Decided(o),
                // It sent no PRE-COMMIT, so no participant is pre-committed: abort is safe.
                Phase::Collecting => {
                    open.push(tx);
                    self.coordinator_decides(&mut c, tx, Outcome::Abort, true, ctx);
                    continue;
                }
                // A participant may have committed by the termination protocol: ask.
                Phase::PreCommitting | Phase::Inquiring => {
                    open.push(tx);
                    for p in participants() {
                        ctx.send(p, Msg::Inquire { tx });
                    }
                    ctx.set_timer(Timer::Inquire(tx), INQUIRE_TICKS);
                    Phase::Inquiring
                }
            };
            c.txs.insert(
                tx,
                CoordTx {
                    phase,
                    yes: BTreeSet::new(),
                    acks: BTreeSet::new(),
                },
            );
        }
        ctx.note(Note::Recovered { txs: open });
        if self.more_work(&c) {
            ctx.set_timer(Timer::NextTx, TX_SPACING_TICKS);
        }
        c
    }

    fn set_phase(c: &mut Coordinator, tx: TxId, phase: Phase, ctx: &mut Ctx<'_, Self>) {
        if let Some(t) = c.txs.get_mut(&tx) {
            t.phase = phase;
        }
        c.disk.phases.insert(tx, phase);
        ctx.persist(Durable::Coordinator(c.disk.clone()));
    }

    fn begin(&self, c: &mut Coordinator, plan: Plan, ctx: &mut Ctx<'_, Self>) {
        let tx = c.disk.next_tx.max(1);
        c.disk.next_tx = tx + 1;
        c.txs.insert(
            tx,
            CoordTx {
                phase: Phase::Collecting,
                yes: BTreeSet::new(),
                acks: BTreeSet::new(),
            },
        );
        Self::set_phase(c, tx, Phase::Collecting, ctx);
        ctx.note(Note::Begin { tx, plan });
        for p in participants() {
            ctx.send(
                p,
                Msg::CanCommit {
                    tx,
                    fails: !plan.vote_of(p),
                },
            );
        }
        ctx.set_timer(Timer::Votes(tx), VOTE_TIMEOUT_TICKS);
    }

    /// The coordinator decides `tx`; `announce`: it tells every participant.
    fn coordinator_decides(
        &self,
        c: &mut Coordinator,
        tx: TxId,
        outcome: Outcome,
        announce: bool,
        ctx: &mut Ctx<'_, Self>,
    ) {
        c.txs.entry(tx).or_insert_with(|| CoordTx {
            phase: Phase::Decided(outcome),
            yes: BTreeSet::new(),
            acks: BTreeSet::new(),
        });
        Self::set_phase(c, tx, Phase::Decided(outcome), ctx);
        ctx.note(Note::Decided { tx, outcome });
        for timer in [Timer::Votes(tx), Timer::Acks(tx), Timer::Inquire(tx)] {
            ctx.cancel_timer(timer);
        }
        if announce {
            for p in participants() {
                ctx.send(p, Msg::decision(tx, outcome));
            }
        }
    }

    fn coordinator_message(
        &self,
        c: &mut Coordinator,
        from: NodeId,
        msg: Msg,
        ctx: &mut Ctx<'_, Self>,
    ) {
        let tx = msg.tx();
        let Some(phase) = c.txs.get(&tx).map(|t| t.phase) else {
            return;
        };
        match msg {
            Msg::Vote { yes: false, .. } if phase == Phase::Collecting => {
                self.coordinator_decides(c, tx, Outcome::Abort, true, ctx);
            }
            Msg::Vote { yes: true, .. } if phase == Phase::Collecting => {
                let Some(t) = c.txs.get_mut(&tx) else {
                    return;
                };
                t.yes.insert(from);
                if t.yes.len() == usize::from(PARTICIPANTS) {
                    // Phase two: every vote is YES; nobody commits before everyone knows.
                    Self::set_phase(c, tx, Phase::PreCommitting, ctx);
                    ctx.cancel_timer(Timer::Votes(tx));
                    for p in participants() {
                        ctx.send(p, Msg::PreCommit { tx });
                    }
                    ctx.set_timer(Timer::Acks(tx), ACK_RESEND_TICKS);
                }
            }
            Msg::Ack { .. } if phase == Phase::PreCommitting => {
                let Some(t) = c.txs.get_mut(&tx) else {
                    return;
                };
                t.acks.insert(from);
                if t.acks.len() == usize::from(PARTICIPANTS) {
                    // Phase three: every participant is pre-committed.
                    self.coordinator_decides(c, tx, Outcome::Commit, true, ctx);
                }
            }
            Msg::DoCommit { .. } | Msg::DoAbort { .. } if !matches!(phase, Phase::Decided(_)) => {
                // A recovery coordinator decided, or a participant answers an inquiry.
                let outcome = if matches!(msg, Msg::DoCommit { .. }) {
                    Outcome::Commit
                } else {
                    Outcome::Abort
                };
                self.coordinator_decides(c, tx, outcome, false, ctx);
            }
            _ => {}
        }
    }

    fn coordinator_timer(&self, c: &mut Coordinator, timer: Timer, ctx: &mut Ctx<'_, Self>) {
        let phase = |c: &Coordinator, tx| c.txs.get(&tx).map(|t| t.phase);
        match timer {
            Timer::NextTx => {
                let plan = if (c.disk.started as usize) < self.workload.len() {
                    c.disk.started += 1;
                    Some(self.workload[c.disk.started as usize - 1])
                } else if c.requested.is_empty() {
                    None
                } else {
                    Some(c.requested.remove(0))
                };
                if let Some(plan) = plan {
                    self.begin(c, plan, ctx);
                }
                if self.more_work(c) {
                    ctx.set_timer(Timer::NextTx, TX_SPACING_TICKS);
                }
            }
            Timer::Votes(tx) if phase(c, tx) == Some(Phase::Collecting) => {
                self.coordinator_decides(c, tx, Outcome::Abort, true, ctx);
            }
            Timer::Acks(tx) if phase(c, tx) == Some(Phase::PreCommitting) => {
                let acked = c.txs.get(&tx).map(|t| t.acks.clone()).unwrap_or_default();
                for p in participants().into_iter().filter(|p| !acked.contains(p)) {
                    ctx.send(p, Msg::PreCommit { tx });
                }
                ctx.set_timer(Timer::Acks(tx), ACK_RESEND_TICKS);
            }
            Timer::Inquire(tx) if phase(c, tx) == Some(Phase::Inquiring) => {
                for p in participants() {
                    ctx.send(p, Msg::Inquire { tx });
                }
                ctx.set_timer(Timer::Inquire(tx), INQUIRE_TICKS);
            }
            _ => {}
        }
    }

    // ---- the participants ----

    fn participant_start(
        &self,
        restored: Option<&ParticipantDisk>,
        ctx: &mut Ctx<'_, Self>,
    ) -> Participant {
        let mut p = Participant {
            txs: BTreeMap::new(),
        };
        let Some(disk) = restored else {
            return p;
        };
        let mut open = Vec::new();
        for (tx, state) in &disk.states {
            p.txs.insert(
                *tx,
                PartTx {
                    state: *state,
                    term: Term::Waiting,
                },
            );
            if !state.is_final() {
                // It cannot know what the others did meanwhile: it waits, then terminates.
                open.push(*tx);
                ctx.set_timer(Timer::Wait(*tx), WAIT_TICKS);
            }
        }
        ctx.note(Note::Recovered { txs: open });
        p
    }

    fn persist(p: &Participant, ctx: &mut Ctx<'_, Self>) {
        let states = p.txs.iter().map(|(tx, t)| (*tx, t.state)).collect();
        ctx.persist(Durable::Participant(ParticipantDisk { states }));
    }

    fn set_state(p: &mut Participant, tx: TxId, state: PState, ctx: &mut Ctx<'_, Self>) {
        p.txs
            .entry(tx)
            .or_insert(PartTx {
                state,
                term: Term::Waiting,
            })
            .state = state;
        Self::persist(p, ctx);
    }

    fn stop_terminating(p: &mut Participant, tx: TxId, ctx: &mut Ctx<'_, Self>) {
        if let Some(t) = p.txs.get_mut(&tx) {
            t.term = Term::Waiting;
        }
        for timer in [
            Timer::Elect(tx),
            Timer::Collect(tx),
            Timer::RecoveryAcks(tx),
        ] {
            ctx.cancel_timer(timer);
        }
    }

    /// The participant reaches a final state (told, or as recovery coordinator).
    fn participant_decides(
        p: &mut Participant,
        tx: TxId,
        outcome: Outcome,
        ctx: &mut Ctx<'_, Self>,
    ) {
        Self::set_state(p, tx, PState::of(outcome), ctx);
        Self::stop_terminating(p, tx, ctx);
        ctx.cancel_timer(Timer::Wait(tx));
        ctx.note(Note::Decided { tx, outcome });
    }

    /// A transaction it has no record of: it never voted, so it may abort on its own.
    fn abort_unvoted(p: &mut Participant, tx: TxId, ctx: &mut Ctx<'_, Self>) {
        if !p.txs.contains_key(&tx) {
            Self::participant_decides(p, tx, Outcome::Abort, ctx);
        }
    }

    fn state_of(p: &Participant, tx: TxId) -> PState {
        p.txs.get(&tx).map_or(PState::Initial, |t| t.state)
    }

    /// Timed out: the lowest live participant takes over, so first ask the lower ones.
    fn start_election(p: &mut Participant, tx: TxId, ctx: &mut Ctx<'_, Self>) {
        let me = ctx.id();
        let lower: Vec<NodeId> = (1..me).collect();
        if lower.is_empty() {
            Self::take_over(p, tx, ctx);
            return;
        }
        if let Some(t) = p.txs.get_mut(&tx) {
            t.term = Term::Electing { answered: false };
        }
        for q in lower {
            ctx.send(q, Msg::Elect { tx });
        }
        ctx.set_timer(Timer::Elect(tx), ELECT_TICKS);
    }

    /// No lower participant answered: collect the states of the higher ones.
    fn take_over(p: &mut Participant, tx: TxId, ctx: &mut Ctx<'_, Self>) {
        let me = ctx.id();
        let mine = Self::state_of(p, tx);
        if let Some(t) = p.txs.get_mut(&tx) {
            t.term = Term::Collecting {
                states: BTreeMap::from([(me, mine)]),
            };
        }
        ctx.note(Note::TakesOver { tx });
        for q in me + 1..=PARTICIPANTS {
            ctx.send(q, Msg::StateReq { tx });
        }
        ctx.set_timer(Timer::Collect(tx), COLLECT_TICKS);
    }

    /// The recovery coordinator decides and tells everyone (those cut off never hear).
    fn lead_decides(p: &mut Participant, tx: TxId, outcome: Outcome, ctx: &mut Ctx<'_, Self>) {
        let me = ctx.id();
        Self::participant_decides(p, tx, outcome, ctx);
        for q in (0..=PARTICIPANTS).filter(|q| *q != me) {
            ctx.send(q, Msg::decision(tx, outcome));
        }
    }

    fn participant_message(
        &self,
        p: &mut Participant,
        from: NodeId,
        msg: Msg,
        ctx: &mut Ctx<'_, Self>,
    ) {
        let me = ctx.id();
        let tx = msg.tx();
        let state = Self::state_of(p, tx);
        match msg {
            Msg::CanCommit { fails, .. } => match state {
                PState::Initial if fails => {
                    Self::set_state(p, tx, PState::Aborted, ctx);
                    ctx.note(Note::Voted { tx, yes: false });
                    ctx.send(from, Msg::Vote { tx, yes: false });
                    ctx.note(Note::Decided {
                        tx,
                        outcome: Outcome::Abort,
                    });
                }
                PState::Initial => {
                    Self::set_state(p, tx, PState::Uncertain, ctx);
                    ctx.note(Note::Voted { tx, yes: true });
                    ctx.send(from, Msg::Vote { tx, yes: true });
                    ctx.set_timer(Timer::Wait(tx), WAIT_TICKS);
                }
                // Aborted before it voted (a state request came first): its vote is NO.
                PState::Aborted => ctx.send(from, Msg::Vote { tx, yes: false }),
                _ => {}
            },
            Msg::PreCommit { .. } => match state {
                PState::Uncertain | PState::PreCommitted => {
                    if state == PState::Uncertain {
                        Self::set_state(p, tx, PState::PreCommitted, ctx);
                        ctx.note(Note::PreCommitted { tx });
                    }
                    ctx.send(from, Msg::Ack { tx });
                    if from < me {
                        Self::stop_terminating(p, tx, ctx);
                    }
                    ctx.set_timer(Timer::Wait(tx), WAIT_TICKS);
                }
                PState::Committed => ctx.send(from, Msg::Ack { tx }),
                PState::Aborted => ctx.send(from, Msg::DoAbort { tx }),
                PState::Initial => {}
            },
            Msg::DoCommit { .. } | Msg::DoAbort { .. } => {
                let outcome = if matches!(msg, Msg::DoCommit { .. }) {
                    Outcome::Commit
                } else {
                    Outcome::Abort
                };
                match state {
                    PState::Uncertain | PState::PreCommitted => {
                        Self::participant_decides(p, tx, outcome, ctx);
                    }
                    PState::Initial if outcome == Outcome::Abort => {
                        Self::participant_decides(p, tx, outcome, ctx);
                    }
                    // Final already (if differently, atomicity is already lost); or a COMMIT
                    // for a transaction it never voted on, which it cannot carry out.
                    _ => {}
                }
            }
            Msg::Elect { .. } => {
                Self::abort_unvoted(p, tx, ctx);
                ctx.send(from, Msg::Alive { tx });
                let t = p.txs.get(&tx).map(|t| (t.state, t.term.clone()));
                match t {
                    Some((s, _)) if s.is_final() => {
                        if let Some(o) = s.outcome() {
                            ctx.send(from, Msg::decision(tx, o));
                        }
                    }
                    // A higher participant timed out first: the lowest live one takes over.
                    Some((_, Term::Waiting)) => {
                        ctx.cancel_timer(Timer::Wait(tx));
                        Self::start_election(p, tx, ctx);
                    }
                    _ => {}
                }
            }
            Msg::Alive { .. } => {
                if let Some(t) = p.txs.get_mut(&tx) {
                    if let Term::Electing { answered } = &mut t.term {
                        *answered = true;
                    }
                }
            }
            Msg::StateReq { .. } => {
                Self::abort_unvoted(p, tx, ctx);
                let state = Self::state_of(p, tx);
                ctx.send(from, Msg::State { tx, state });
                if !state.is_final() && from < me {
                    // A lower participant leads: wait for its decision.
                    Self::stop_terminating(p, tx, ctx);
                    ctx.set_timer(Timer::Wait(tx), WAIT_TICKS);
                }
            }
            Msg::State { state: theirs, .. } => {
                if let Some(t) = p.txs.get_mut(&tx) {
                    if let Term::Collecting { states } = &mut t.term {
                        states.insert(from, theirs);
                    }
                }
            }
            Msg::Ack { .. } => {
                let done = match p.txs.get_mut(&tx).map(|t| &mut t.term) {
                    Some(Term::PreCommitting { waiting, .. }) => {
                        waiting.remove(&from);
                        waiting.is_empty()
                    }
                    _ => false,
                };
                if done {
                    Self::lead_decides(p, tx, Outcome::Commit, ctx);
                }
            }
            Msg::Inquire { .. } => {
                if let Some(o) = state.outcome() {
                    ctx.send(from, Msg::decision(tx, o));
                }
            }
            Msg::Vote { .. } => {}
        }
    }

    fn participant_timer(&self, p: &mut Participant, timer: Timer, ctx: &mut Ctx<'_, Self>) {
        match timer {
            Timer::Wait(tx) => {
                let state = Self::state_of(p, tx);
                if state.is_final() || state == PState::Initial {
                    return;
                }
                ctx.note(Note::TimedOut { tx, state });
                Self::start_election(p, tx, ctx);
            }
            Timer::Elect(tx) => {
                let answered = match p.txs.get(&tx).map(|t| &t.term) {
                    Some(Term::Electing { answered }) => *answered,
                    _ => return,
                };
                if answered {
                    // A lower participant is alive and takes over; wait for its decision.
                    Self::stop_terminating(p, tx, ctx);
                    ctx.set_timer(Timer::Wait(tx), WAIT_TICKS);
                } else {
                    Self::take_over(p, tx, ctx);
                }
            }
            Timer::Collect(tx) => {
                let states = match p.txs.get(&tx).map(|t| &t.term) {
                    Some(Term::Collecting { states }) => states.clone(),
                    _ => return,
                };
                let outcome = termination_rule(&states);
                ctx.note(Note::Rule {
                    tx,
                    states: states.clone(),
                    outcome,
                });
                let uncertain: BTreeSet<NodeId> = states
                    .iter()
                    .filter(|(_, s)| **s == PState::Uncertain)
                    .map(|(n, _)| *n)
                    .collect();
                if outcome == Outcome::Abort || uncertain.is_empty() {
                    Self::lead_decides(p, tx, outcome, ctx);
                    return;
                }
                // Commit, but first move every uncertain participant it reached (itself
                // included) to pre-committed, so that nobody is uncertain when anyone commits.
                let me = ctx.id();
                if uncertain.contains(&me) {
                    Self::set_state(p, tx, PState::PreCommitted, ctx);
                    ctx.note(Note::PreCommitted { tx });
                }
                let waiting: BTreeSet<NodeId> =
                    uncertain.into_iter().filter(|n| *n != me).collect();
                if waiting.is_empty() {
                    Self::lead_decides(p, tx, Outcome::Commit, ctx);
                    return;
                }
                for q in &waiting {
                    ctx.send(*q, Msg::PreCommit { tx });
                }
                if let Some(t) = p.txs.get_mut(&tx) {
                    t.term = Term::PreCommitting { waiting };
                }
                ctx.set_timer(Timer::RecoveryAcks(tx), COLLECT_TICKS);
            }
            Timer::RecoveryAcks(tx) => {
                if matches!(
                    p.txs.get(&tx).map(|t| &t.term),
                    Some(Term::PreCommitting { .. })
                ) {
                    // A participant that did not acknowledge is presumed crashed; it will
                    // learn the outcome when it recovers.
                    Self::lead_decides(p, tx, Outcome::Commit, ctx);
                }
            }
            Timer::NextTx | Timer::Votes(_) | Timer::Acks(_) | Timer::Inquire(_) => {}
        }
    }
}

impl Protocol for ThreePc {
    type Msg = Msg;
    type Timer = Timer;
    type Note = Note;
    type Request = Plan;
    type Reply = crate::sim::protocol::NoRequest;
    type State = State;
    type Durable = Durable;

    fn on_start(&self, restored: Option<&Durable>, ctx: &mut Ctx<'_, Self>) -> State {
        if ctx.id() == COORDINATOR {
            let restored = match restored {
                Some(Durable::Coordinator(d)) => Some(d),
                _ => None,
            };
            State::Coordinator(self.coordinator_start(restored, ctx))
        } else {
            let restored = match restored {
                Some(Durable::Participant(d)) => Some(d),
                _ => None,
            };
            State::Participant(self.participant_start(restored, ctx))
        }
    }

    fn on_message(&self, state: &mut State, from: NodeId, msg: Msg, ctx: &mut Ctx<'_, Self>) {
        match state {
            State::Coordinator(c) => self.coordinator_message(c, from, msg, ctx),
            State::Participant(p) => self.participant_message(p, from, msg, ctx),
        }
    }

    fn on_timer(&self, state: &mut State, timer: Timer, ctx: &mut Ctx<'_, Self>) {
        match state {
            State::Coordinator(c) => self.coordinator_timer(c, timer, ctx),
            State::Participant(p) => self.participant_timer(p, timer, ctx),
        }
    }

    fn on_client_request(&self, state: &mut State, request: Plan, ctx: &mut Ctx<'_, Self>) {
        // Only the coordinator starts transactions; it starts one in its next slot.
        let State::Coordinator(c) = state else {
            return;
        };
        if c.requested.len() < REQUESTED_MAX {
            let idle = !self.more_work(c);
            c.requested.push(request);
            if idle {
                ctx.set_timer(Timer::NextTx, 1);
            }
        }
    }

    fn parse_request(&self, text: &str) -> Result<Plan, String> {
        Plan::parse(text)
    }

    fn message_kinds(&self) -> &'static [MessageKind] {
        &[
            MessageKind {
                name: "CanCommit",
                reply: false,
                meaning: "phase one: the coordinator asks whether a participant can commit",
            },
            MessageKind {
                name: "Vote",
                reply: true,
                meaning: "YES (now uncertain) or NO (aborted)",
            },
            MessageKind {
                name: "PreCommit",
                reply: false,
                meaning: "phase two: every vote was YES; move to pre-committed",
            },
            MessageKind {
                name: "Ack",
                reply: true,
                meaning: "the participant is pre-committed",
            },
            MessageKind {
                name: "DoCommit",
                reply: false,
                meaning: "phase three, or a recovery coordinator's decision: commit",
            },
            MessageKind {
                name: "DoAbort",
                reply: false,
                meaning: "the decision: abort",
            },
            MessageKind {
                name: "Elect",
                reply: false,
                meaning:
                    "termination: a participant that timed out asks a lower one if it is alive",
            },
            MessageKind {
                name: "Alive",
                reply: true,
                meaning: "the lower participant is alive and takes over",
            },
            MessageKind {
                name: "StateReq",
                reply: false,
                meaning: "the recovery coordinator asks for a participant's state",
            },
            MessageKind {
                name: "State",
                reply: true,
                meaning: "initial, uncertain, pre-committed, committed or aborted",
            },
            MessageKind {
                name: "Inquire",
                reply: false,
                meaning: "a restarted coordinator asks what became of a transaction",
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
