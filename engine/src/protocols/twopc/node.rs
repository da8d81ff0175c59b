//! The protocol: the coordinator's and the participants' handlers, the disk each node forces
//! its records to, and recovery on restart. The decisions are the hooks' (see [`super::rules`]).

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::fmt;
use std::sync::Arc;

use super::rules::{InDoubt, TwoPcHooks};
use super::types::*;
use super::*;
use crate::sim::protocol::{Ctx, MessageKind, NoRequest, NodeId, NodeView, Protocol};
use crate::sim::world::WorldRef;

/// Two-phase commit over the bank: the workload the coordinator runs and the decisions.
#[derive(Clone)]
pub struct TwoPc {
    /// The transfers the coordinator starts, one every [`TRANSFER_SPACING_TICKS`].
    pub workload: Vec<Transfer>,
    /// The decisions (the reference, a known-wrong variant, or a learner's).
    pub hooks: Arc<dyn TwoPcHooks>,
}

impl fmt::Debug for TwoPc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TwoPc")
            .field("workload", &self.workload)
            .field("hooks", &self.hooks.name())
            .finish()
    }
}

impl TwoPc {
    /// The bank running `workload` with these decisions.
    pub fn new(workload: Vec<Transfer>, hooks: impl Into<Arc<dyn TwoPcHooks>>) -> TwoPc {
        TwoPc {
            workload,
            hooks: hooks.into(),
        }
    }

    // ---- the coordinator ----

    fn coordinator_start(
        &self,
        restored: Option<&CoordinatorDisk>,
        ctx: &mut Ctx<'_, Self>,
    ) -> Coordinator {
        let disk = restored.cloned().unwrap_or(CoordinatorDisk {
            log: Vec::new(),
            next_tx: 1,
            started: 0,
        });
        let mut c = Coordinator {
            disk,
            txs: BTreeMap::new(),
            requested: VecDeque::new(),
            queue: VecDeque::new(),
            writing: false,
        };
        if restored.is_some() {
            let known = self.hooks.recover_coordinator(&c.disk.log);
            let mut resend = Vec::new();
            for k in known {
                let phase = if k.ended {
                    Phase::Ended(k.outcome)
                } else {
                    resend.push(k.tx);
                    Phase::Announced(k.outcome)
                };
                c.txs.insert(
                    k.tx,
                    CoordTx {
                        transfer: None,
                        participants: k.participants,
                        votes: BTreeMap::new(),
                        acks: BTreeSet::new(),
                        phase,
                        since: ctx.now(),
                    },
                );
            }
            ctx.note(Note::Recovered {
                txs: resend.clone(),
            });
            for tx in resend {
                self.resend(&c, tx, ctx);
                ctx.set_timer(Timer::Resend(tx), RESEND_TICKS);
            }
        }
        if self.more_work(&c) {
            let first = if restored.is_some() {
                TRANSFER_SPACING_TICKS
            } else {
                FIRST_TRANSFER_TICKS
            };
            ctx.set_timer(Timer::NextTransfer, first);
        }
        c
    }

    fn more_work(&self, c: &Coordinator) -> bool {
        !c.requested.is_empty() || (c.disk.started as usize) < self.workload.len()
    }

    fn next_transfer(&self, c: &mut Coordinator, ctx: &mut Ctx<'_, Self>) {
        let transfer = match c.requested.pop_front() {
            Some(t) => t,
            None => match self.workload.get(c.disk.started as usize) {
                Some(t) => {
                    c.disk.started += 1;
                    *t
                }
                None => return,
            },
        };
        let tx = c.disk.next_tx;
        c.disk.next_tx += 1;
        // The number is on disk before any participant hears of it, so it is never reused;
        // no log record is needed (presumed abort).
        ctx.persist(Durable::Coordinator(c.disk.clone()));
        ctx.note(Note::Begin { tx, transfer });
        let participants = transfer.participants();
        for &p in &participants {
            ctx.send(
                p,
                Msg::Prepare {
                    tx,
                    ops: transfer.ops_at(p),
                },
            );
        }
        c.txs.insert(
            tx,
            CoordTx {
                transfer: Some(transfer),
                participants,
                votes: BTreeMap::new(),
                acks: BTreeSet::new(),
                phase: Phase::Collecting,
                since: ctx.now(),
            },
        );
        ctx.set_timer(Timer::Votes(tx), VOTE_TIMEOUT_TICKS);
    }

    fn votes_of(t: &CoordTx) -> Vec<(NodeId, Option<Vote>)> {
        t.participants
            .iter()
            .map(|p| (*p, t.votes.get(p).copied()))
            .collect()
    }

    fn consider(&self, c: &mut Coordinator, tx: TxId, timed_out: bool, ctx: &mut Ctx<'_, Self>) {
        let Some(t) = c.txs.get_mut(&tx) else {
            return;
        };
        if t.phase != Phase::Collecting {
            return;
        }
        match self.hooks.decide(&Self::votes_of(t), timed_out) {
            Some(outcome) => {
                let steps = self.hooks.announce(tx, outcome, &t.participants);
                // A decision its steps never log is carried out once they are out: the
                // acknowledgements count at once (presumed abort needs no ABORT record).
                let logs = steps.iter().any(
                    |s| matches!(s, Step::Log(Record::Decision { tx: logged, .. }) if *logged == tx),
                );
                t.phase = if logs {
                    Phase::Deciding(outcome)
                } else {
                    Phase::Announced(outcome)
                };
                ctx.cancel_timer(Timer::Votes(tx));
                ctx.set_timer(Timer::Resend(tx), RESEND_TICKS);
                c.queue.extend(steps);
                self.coordinator_pump(c, ctx);
            }
            None if timed_out => ctx.set_timer(Timer::Votes(tx), VOTE_TIMEOUT_TICKS),
            None => {}
        }
    }

    fn resend(&self, c: &Coordinator, tx: TxId, ctx: &mut Ctx<'_, Self>) {
        let Some(t) = c.txs.get(&tx) else {
            return;
        };
        let outcome = match t.phase {
            Phase::Deciding(o) | Phase::Announced(o) => o,
            _ => return,
        };
        for &p in t.participants.iter().filter(|p| !t.acks.contains(p)) {
            ctx.send(p, Msg::Decision { tx, outcome });
        }
    }

    /// The answer to a participant asking about `tx`, if the coordinator has one now.
    fn answer(&self, c: &Coordinator, tx: TxId) -> Option<Outcome> {
        match c.txs.get(&tx).map(|t| &t.phase) {
            Some(Phase::Announced(o) | Phase::Ended(o)) => Some(*o),
            // Still deciding: the participant asks again.
            Some(Phase::Collecting | Phase::Deciding(_)) => None,
            None => Some(self.hooks.presume()),
        }
    }

    fn coordinator_message(
        &self,
        c: &mut Coordinator,
        from: NodeId,
        msg: Msg,
        ctx: &mut Ctx<'_, Self>,
    ) {
        match msg {
            Msg::Vote { tx, vote } => match c.txs.get_mut(&tx) {
                Some(t) if t.phase == Phase::Collecting && t.participants.contains(&from) => {
                    t.votes.insert(from, vote);
                    self.consider(c, tx, false, ctx);
                }
                // A late or duplicate vote.
                Some(_) => {}
                // A vote for a transaction it has no record of (it restarted since): the
                // presumption answers it.
                None if vote == Vote::Yes => {
                    let outcome = self.hooks.presume();
                    ctx.send(from, Msg::Decision { tx, outcome });
                }
                None => {}
            },
            Msg::Ack { tx } => {
                let Some(t) = c.txs.get_mut(&tx) else {
                    return;
                };
                let outcome = match t.phase {
                    Phase::Deciding(o) | Phase::Announced(o) => o,
                    _ => return,
                };
                t.acks.insert(from);
                let all = t.participants.iter().all(|p| t.acks.contains(p));
                if all && t.phase == Phase::Announced(outcome) {
                    t.phase = Phase::Ended(outcome);
                    ctx.cancel_timer(Timer::Resend(tx));
                    c.queue.push_back(Step::Log(Record::End { tx }));
                    self.coordinator_pump(c, ctx);
                }
            }
            Msg::Inquire { tx } => {
                if let Some(outcome) = self.answer(c, tx) {
                    ctx.send(from, Msg::Decision { tx, outcome });
                }
            }
            Msg::Prepare { .. } | Msg::Decision { .. } => {}
        }
    }

    /// Carries out queued steps until the next forced write.
    fn coordinator_pump(&self, c: &mut Coordinator, ctx: &mut Ctx<'_, Self>) {
        while !c.writing {
            match c.queue.front() {
                Some(Step::Log(_)) => {
                    c.writing = true;
                    ctx.set_timer(Timer::Disk, LOG_FORCE_TICKS);
                }
                Some(Step::Send(..)) => {
                    if let Some(Step::Send(to, msg)) = c.queue.pop_front() {
                        ctx.send(to, msg);
                    }
                }
                None => return,
            }
        }
    }

    /// The forced write at the front of the queue is on disk.
    fn coordinator_logged(&self, c: &mut Coordinator, ctx: &mut Ctx<'_, Self>) {
        c.writing = false;
        let Some(Step::Log(record)) = c.queue.pop_front() else {
            return;
        };
        c.disk.log.push(record.clone());
        ctx.persist(Durable::Coordinator(c.disk.clone()));
        ctx.note(Note::Logged {
            record: record.clone(),
        });
        if let Record::Decision { tx, outcome, .. } = record {
            // The commit point (or the abort's): the decision is durable.
            ctx.note(Note::Decided { tx, outcome });
            if let Some(t) = c.txs.get_mut(&tx) {
                if t.phase == Phase::Deciding(outcome) {
                    t.phase = Phase::Announced(outcome);
                    if t.participants.iter().all(|p| t.acks.contains(p)) {
                        t.phase = Phase::Ended(outcome);
                        ctx.cancel_timer(Timer::Resend(tx));
                        c.queue.push_back(Step::Log(Record::End { tx }));
                    }
                }
            }
        }
        self.coordinator_pump(c, ctx);
    }

    fn coordinator_timer(&self, c: &mut Coordinator, timer: Timer, ctx: &mut Ctx<'_, Self>) {
        match timer {
            Timer::NextTransfer => {
                self.next_transfer(c, ctx);
                if self.more_work(c) {
                    ctx.set_timer(Timer::NextTransfer, TRANSFER_SPACING_TICKS);
                }
            }
            Timer::Votes(tx) => self.consider(c, tx, true, ctx),
            Timer::Resend(tx) => {
                let waiting = c
                    .txs
                    .get(&tx)
                    .is_some_and(|t| matches!(t.phase, Phase::Deciding(_) | Phase::Announced(_)));
                if waiting {
                    self.resend(c, tx, ctx);
                    ctx.set_timer(Timer::Resend(tx), RESEND_TICKS);
                }
            }
            Timer::Disk => self.coordinator_logged(c, ctx),
            Timer::InDoubt(_) => {}
        }
    }

    // ---- the participants ----

    fn participant_start(
        &self,
        restored: Option<&ParticipantDisk>,
        ctx: &mut Ctx<'_, Self>,
    ) -> Participant {
        let disk = restored.cloned().unwrap_or_default();
        let mut p = Participant {
            disk,
            txs: BTreeMap::new(),
            locks: BTreeMap::new(),
            queue: VecDeque::new(),
            writing: false,
        };
        if restored.is_none() {
            return p;
        }
        let doubt = self.hooks.recover_participant(&p.disk.log);
        let mut txs: BTreeSet<TxId> = p.disk.log.iter().map(Record::tx).collect();
        txs.extend(doubt.iter().copied());
        for tx in txs {
            let (ops, outcome) = logged(&p.disk.log, tx);
            let ops = ops.map(<[Op]>::to_vec).unwrap_or_default();
            let status = match outcome {
                Some(o) => PartStatus::Done(o),
                None if doubt.contains(&tx) => PartStatus::InDoubt,
                None => {
                    // PREPARED, and the hooks say it is not in doubt: it aborts on its own.
                    p.queue.push_back(Step::Log(Record::Decision {
                        tx,
                        outcome: Outcome::Abort,
                        participants: Vec::new(),
                    }));
                    PartStatus::Finishing(Outcome::Abort)
                }
            };
            if matches!(status, PartStatus::InDoubt | PartStatus::Finishing(_)) {
                for op in &ops {
                    p.locks.insert(op.account, tx);
                }
            }
            p.txs.insert(
                tx,
                PartTx {
                    ops,
                    status,
                    since: ctx.now(),
                },
            );
        }
        ctx.note(Note::Recovered { txs: doubt.clone() });
        for tx in doubt {
            if p.txs
                .get(&tx)
                .is_some_and(|t| t.status == PartStatus::InDoubt)
            {
                ctx.send(COORDINATOR, Msg::Inquire { tx });
                ctx.set_timer(Timer::InDoubt(tx), IN_DOUBT_TICKS);
            }
        }
        self.participant_pump(&mut p, ctx);
        p
    }

    /// Whether participant `me` can commit `ops`: its own accounts, none locked, no overdraft.
    pub fn can_commit(p: &Participant, me: NodeId, ops: &[Op]) -> bool {
        !ops.is_empty()
            && ops.iter().all(|op| {
                op.account.owner == me
                    && op.account.number >= 1
                    && op.account.number <= ACCOUNTS_PER_PARTICIPANT
                    && !p.locks.contains_key(&op.account)
                    && p.disk.balances[op.account.slot()] + op.delta >= 0
            })
    }

    fn participant_message(
        &self,
        p: &mut Participant,
        from: NodeId,
        msg: Msg,
        ctx: &mut Ctx<'_, Self>,
    ) {
        match msg {
            Msg::Prepare { tx, ops } => {
                if p.txs.contains_key(&tx) {
                    // A duplicate, or a PREPARE for a transaction already decided here.
                    return;
                }
                let ok = Self::can_commit(p, ctx.id(), &ops);
                if ok {
                    for op in &ops {
                        p.locks.insert(op.account, tx);
                    }
                }
                let steps = self.hooks.prepare(tx, &ops, ok, from);
                p.txs.insert(
                    tx,
                    PartTx {
                        ops,
                        status: PartStatus::Preparing,
                        since: ctx.now(),
                    },
                );
                p.queue.extend(steps);
                self.participant_pump(p, ctx);
            }
            Msg::Decision { tx, outcome } => {
                let Some(t) = p.txs.get_mut(&tx) else {
                    // Presumed abort: no record here means nothing to undo. A COMMIT for a
                    // transaction it never prepared cannot be carried out.
                    if outcome == Outcome::Commit {
                        ctx.note(Note::Unknown { tx });
                    }
                    ctx.send(from, Msg::Ack { tx });
                    return;
                };
                match t.status {
                    PartStatus::Done(_) => ctx.send(from, Msg::Ack { tx }),
                    PartStatus::Finishing(_) => {}
                    PartStatus::Preparing | PartStatus::InDoubt => {
                        t.status = PartStatus::Finishing(outcome);
                        ctx.cancel_timer(Timer::InDoubt(tx));
                        p.queue.extend(self.hooks.finish(tx, outcome, from));
                        self.participant_pump(p, ctx);
                    }
                }
            }
            Msg::Vote { .. } | Msg::Ack { .. } | Msg::Inquire { .. } => {}
        }
    }

    fn release(p: &mut Participant, tx: TxId) {
        p.locks.retain(|_, holder| *holder != tx);
    }

    /// Carries out queued steps until the next forced write.
    fn participant_pump(&self, p: &mut Participant, ctx: &mut Ctx<'_, Self>) {
        while !p.writing {
            match p.queue.front() {
                Some(Step::Log(_)) => {
                    p.writing = true;
                    ctx.set_timer(Timer::Disk, LOG_FORCE_TICKS);
                }
                Some(Step::Send(..)) => {
                    if let Some(Step::Send(to, msg)) = p.queue.pop_front() {
                        Self::participant_sends(p, &msg, ctx);
                        ctx.send(to, msg);
                    }
                }
                None => return,
            }
        }
    }

    /// What sending `msg` means for the participant: a YES puts it in doubt, a NO aborts.
    fn participant_sends(p: &mut Participant, msg: &Msg, ctx: &mut Ctx<'_, Self>) {
        let Msg::Vote { tx, vote } = *msg else {
            return;
        };
        ctx.note(Note::Voted { tx, vote });
        let Some(t) = p.txs.get_mut(&tx) else {
            return;
        };
        match vote {
            Vote::Yes => {
                if t.status == PartStatus::Preparing {
                    t.status = PartStatus::InDoubt;
                    t.since = ctx.now();
                    ctx.set_timer(Timer::InDoubt(tx), IN_DOUBT_TICKS);
                }
            }
            Vote::No => {
                if !matches!(t.status, PartStatus::Done(_)) {
                    t.status = PartStatus::Done(Outcome::Abort);
                    ctx.cancel_timer(Timer::InDoubt(tx));
                    Self::release(p, tx);
                    ctx.note(Note::Decided {
                        tx,
                        outcome: Outcome::Abort,
                    });
                }
            }
        }
    }

    /// The forced write at the front of the queue is on disk.
    fn participant_logged(&self, p: &mut Participant, ctx: &mut Ctx<'_, Self>) {
        p.writing = false;
        let Some(Step::Log(record)) = p.queue.pop_front() else {
            return;
        };
        p.disk.log.push(record.clone());
        ctx.note(Note::Logged {
            record: record.clone(),
        });
        if let Record::Decision { tx, outcome, .. } = record {
            if let Some(t) = p.txs.get_mut(&tx) {
                if !matches!(t.status, PartStatus::Done(_)) {
                    t.status = PartStatus::Done(outcome);
                    if outcome == Outcome::Commit {
                        for op in &t.ops {
                            p.disk.balances[op.account.slot()] += op.delta;
                        }
                    }
                    ctx.cancel_timer(Timer::InDoubt(tx));
                    Self::release(p, tx);
                    ctx.note(Note::Decided { tx, outcome });
                }
            }
        }
        // The record and the balances it changes reach the disk together.
        ctx.persist(Durable::Participant(p.disk.clone()));
        self.participant_pump(p, ctx);
    }

    fn participant_timer(&self, p: &mut Participant, timer: Timer, ctx: &mut Ctx<'_, Self>) {
        match timer {
            Timer::Disk => self.participant_logged(p, ctx),
            Timer::InDoubt(tx) => {
                let Some(t) = p.txs.get_mut(&tx) else {
                    return;
                };
                if t.status != PartStatus::InDoubt {
                    return;
                }
                let waited = ctx.now().saturating_sub(t.since);
                match self.hooks.in_doubt(tx, waited) {
                    InDoubt::Ask => {
                        ctx.send(COORDINATOR, Msg::Inquire { tx });
                        ctx.set_timer(Timer::InDoubt(tx), IN_DOUBT_TICKS);
                    }
                    InDoubt::Abort => {
                        t.status = PartStatus::Finishing(Outcome::Abort);
                        p.queue.push_back(Step::Log(Record::Decision {
                            tx,
                            outcome: Outcome::Abort,
                            participants: Vec::new(),
                        }));
                        self.participant_pump(p, ctx);
                    }
                }
            }
            Timer::NextTransfer | Timer::Votes(_) | Timer::Resend(_) => {}
        }
    }
}

impl Protocol for TwoPc {
    type Msg = Msg;
    type Timer = Timer;
    type Note = Note;
    type Request = Transfer;
    type Reply = NoRequest;
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

    fn on_client_request(&self, state: &mut State, request: Transfer, ctx: &mut Ctx<'_, Self>) {
        // Only the coordinator takes transfers; it starts them in its next slot.
        let State::Coordinator(c) = state else {
            return;
        };
        if c.requested.len() < REQUESTED_MAX {
            let idle = !self.more_work(c);
            c.requested.push_back(request);
            if idle {
                ctx.set_timer(Timer::NextTransfer, 1);
            }
        }
    }

    fn parse_request(&self, text: &str) -> Result<Transfer, String> {
        Transfer::parse(text)
    }

    fn message_kinds(&self) -> &'static [MessageKind] {
        &[
            MessageKind {
                name: "PREPARE",
                reply: false,
                meaning: "the coordinator asks a participant to prepare its part of a transfer",
            },
            MessageKind {
                name: "VOTE",
                reply: true,
                meaning: "YES (PREPARED is on disk) or NO",
            },
            MessageKind {
                name: "COMMIT",
                reply: false,
                meaning: "the decision: commit",
            },
            MessageKind {
                name: "ACK",
                reply: true,
                meaning: "the participant has logged the decision",
            },
            MessageKind {
                name: "ABORT",
                reply: false,
                meaning: "the decision: abort",
            },
            MessageKind {
                name: "INQUIRE",
                reply: false,
                meaning: "a participant in doubt asks for the outcome",
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
