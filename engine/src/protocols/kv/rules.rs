//! The state machine's one decision — how a committed entry is applied — behind [`KvHooks`],
//! with the reference and the known-wrong variants; the client's decision — what to do when an
//! attempt gets no answer in time or a `NotLeader` — behind [`KvClientHooks`], with
//! [`ClientRule`] as the reference and its known-wrong variants; and the server's rules
//! ([`ServerRule`]), whose wrong choices the chapter shows.

use std::rc::Rc;

use super::types::{Command, Machine, Op, Seq, Session};
use crate::protocols::raft::Index;
use crate::sim::protocol::NodeId;

/// How the state machine applies one committed log entry.
pub trait KvHooks {
    /// A short name, e.g. `reference`.
    fn name(&self) -> &str;
    /// Applies `command`, the entry at `index`, to `machine`, and returns the answer for its
    /// client; `None` when the machine must not apply it (it has applied `index` already).
    /// Entries come in index order, but the last ones already applied may be handed again.
    fn apply(&self, machine: &mut Machine, index: Index, command: &Command) -> Option<Rc<str>>;
}

/// The operation alone on the data: a get's value, `""` for the others.
pub fn run_op(machine: &mut Machine, op: &Op) -> Rc<str> {
    match op {
        Op::Get(k) => machine.data.get(k).cloned().unwrap_or_else(|| Rc::from("")),
        Op::Put(k, v) => {
            machine.data.insert(k.clone(), v.clone());
            Rc::from("")
        }
        Op::Append(k, v) => {
            let old = machine.data.get(k).map_or("", |s| s);
            let new: Rc<str> = Rc::from(format!("{old}{v}"));
            machine.data.insert(k.clone(), new);
            Rc::from("")
        }
    }
}

/// The reference: skip an entry at or below `last_applied`; answer a request the client's
/// session has already seen with its first answer, without running it again; otherwise run
/// it and remember the answer in the client's session.
pub fn apply_reference(machine: &mut Machine, index: Index, command: &Command) -> Option<Rc<str>> {
    if index <= machine.last_applied {
        return None;
    }
    machine.last_applied = index;
    if let Some(s) = machine.sessions.get(&command.client) {
        if command.seq <= s.seq {
            return Some(s.result.clone());
        }
    }
    let result = run_op(machine, &command.op);
    machine.sessions.insert(
        command.client,
        Session {
            seq: command.seq,
            result: result.clone(),
        },
    );
    Some(result)
}

/// The reference and the classic mistakes of applying a log.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KvVariant {
    /// Exactly once per entry, de-duplicated per client.
    Reference,
    /// Applies every entry it is handed, so an entry handed again is applied twice.
    ApplyRedelivered,
    /// Treats an append as a put.
    AppendOverwrites,
    /// Exactly once per entry, but no de-duplication: a retried request that was committed
    /// twice runs twice.
    NoDedup,
    /// De-duplicates, but answers a duplicate with `""` instead of its first answer.
    DedupForgetsResult,
    /// De-duplicates on the sequence number alone, across clients: another client's request
    /// with a lower number is dropped.
    DedupIgnoresClient,
}

impl KvVariant {
    /// Every variant, the reference first.
    pub const ALL: [KvVariant; 6] = [
        KvVariant::Reference,
        KvVariant::ApplyRedelivered,
        KvVariant::AppendOverwrites,
        KvVariant::NoDedup,
        KvVariant::DedupForgetsResult,
        KvVariant::DedupIgnoresClient,
    ];
}

impl KvHooks for KvVariant {
    fn name(&self) -> &str {
        match self {
            KvVariant::Reference => "reference",
            KvVariant::ApplyRedelivered => "apply-redelivered",
            KvVariant::AppendOverwrites => "append-overwrites",
            KvVariant::NoDedup => "no-dedup",
            KvVariant::DedupForgetsResult => "dedup-forgets-result",
            KvVariant::DedupIgnoresClient => "dedup-ignores-client",
        }
    }

    fn apply(&self, machine: &mut Machine, index: Index, command: &Command) -> Option<Rc<str>> {
        match self {
            KvVariant::Reference => apply_reference(machine, index, command),
            KvVariant::ApplyRedelivered => {
                machine.last_applied = machine.last_applied.max(index);
                Some(run_op(machine, &command.op))
            }
            KvVariant::AppendOverwrites => {
                let op = match &command.op {
                    Op::Append(k, v) => Op::Put(k.clone(), v.clone()),
                    other => other.clone(),
                };
                let command = Command {
                    op,
                    ..command.clone()
                };
                apply_reference(machine, index, &command)
            }
            KvVariant::NoDedup => {
                if index <= machine.last_applied {
                    return None;
                }
                machine.last_applied = index;
                Some(run_op(machine, &command.op))
            }
            KvVariant::DedupForgetsResult => {
                if index <= machine.last_applied {
                    return None;
                }
                if machine
                    .sessions
                    .get(&command.client)
                    .is_some_and(|s| command.seq <= s.seq)
                {
                    machine.last_applied = index;
                    return Some(Rc::from(""));
                }
                apply_reference(machine, index, command)
            }
            KvVariant::DedupIgnoresClient => {
                if index <= machine.last_applied {
                    return None;
                }
                machine.last_applied = index;
                let highest = machine.sessions.values().map(|s| s.seq).max().unwrap_or(0);
                if command.seq <= highest {
                    return Some(Rc::from(""));
                }
                let result = run_op(machine, &command.op);
                machine.sessions.insert(
                    command.client,
                    Session {
                        seq: command.seq,
                        result: result.clone(),
                    },
                );
                Some(result)
            }
        }
    }
}

/// How a server answers: the reference and the mistakes of replicated services.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ServerRule {
    /// Every operation, reads included, goes through the log; the answer is sent once the
    /// entry is applied.
    Reference,
    /// A leader answers a write as soon as it appended it, with the answer its own machine
    /// would give, before the entry commits.
    AckBeforeCommit,
    /// A leader answers a get from its own machine at once: a deposed leader that has not
    /// heard of its successor answers stale values.
    LocalRead,
    /// A leader answers a get from its own machine while a majority acknowledged it within
    /// [`super::LEASE_TICKS`] of its clock: safe only if clocks run at the same rate.
    LeaseRead,
    /// A leader keeps the de-duplication table in its own memory rather than in the
    /// replicated machine, and runs every committed entry: a new leader does not know which
    /// requests were already applied.
    VolatileDedup,
    /// Read index (Ongaro's thesis §6.4): a leader notes its commit index as the get's read
    /// index (once an entry of its term has committed), confirms it still leads with a round
    /// of [`super::types::Msg::ReadConfirm`] answered by a majority, waits until its machine
    /// applied up to the read index, and answers from its machine — no log entry.
    ReadIndex,
    /// Read index without the confirmation round: a deposed leader that has not heard of its
    /// successor answers from its machine.
    ReadIndexNoConfirm,
}

/// Why a client must decide what to do with its operation in progress.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ClientEvent {
    /// The last attempt got no answer within the client's attempt timeout.
    Timeout,
    /// The server answered `NotLeader`, naming the leader it knows, if any.
    NotLeader(Option<NodeId>),
}

/// What a client knows when it decides: plain values, no history.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClientView {
    /// What happened.
    pub event: ClientEvent,
    /// The server the last attempt went to (the one that answered `NotLeader`).
    pub server: NodeId,
    /// Attempts made so far for this operation (the first is 1).
    pub attempts: u32,
    /// The sequence number the last attempt carried.
    pub seq: Seq,
    /// How many servers there are (n0 …).
    pub servers: u16,
}

/// What a client does next with its operation in progress.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ClientAction {
    /// Send the request to server `to` under sequence number `seq`, `after` ticks from now.
    Send {
        /// The server.
        to: NodeId,
        /// The sequence number (the reference keeps the operation's).
        seq: Seq,
        /// Ticks to wait first (0: at once).
        after: u64,
    },
    /// Stop and tell the caller the outcome is unknown (Jepsen's `:info`).
    GiveUp,
    /// Stop and tell the caller the operation failed (did not take effect).
    Fail,
    /// Stop and tell the caller the operation succeeded, with the answer `""`.
    Ok,
}

/// The client's decision.
pub trait KvClientHooks {
    /// A short name, e.g. `reference`.
    fn name(&self) -> &str;
    /// How long (local ticks) an attempt waits for an answer.
    fn attempt_ticks(&self) -> u64 {
        super::ATTEMPT_TICKS
    }
    /// What to do now.
    fn next_attempt(&self, view: &ClientView) -> ClientAction;
}

/// The reference client: after [`super::ATTEMPTS_MAX`] attempts give up (unknown); on a
/// timeout try the next server; on `NotLeader` go to the leader named, or, with no leader
/// known, wait [`super::RESEND_TICKS`] and try the next server; always with the same
/// sequence number.
pub fn next_attempt_reference(v: &ClientView) -> ClientAction {
    if v.attempts >= super::ATTEMPTS_MAX {
        return ClientAction::GiveUp;
    }
    let next = (v.server + 1) % v.servers;
    let (to, after) = match v.event {
        ClientEvent::Timeout => (next, 0),
        ClientEvent::NotLeader(Some(l)) => (l, 0),
        ClientEvent::NotLeader(None) => (next, super::RESEND_TICKS),
    };
    ClientAction::Send {
        to,
        seq: v.seq,
        after,
    }
}

/// What a client does when an attempt gets no answer in time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ClientRule {
    /// Retry the same request (same sequence number) at the next server, and give up after
    /// [`super::ATTEMPTS_MAX`] attempts, recording the outcome as unknown
    /// ([`next_attempt_reference`]).
    Retry,
    /// Give up at the first timeout, recording the outcome as unknown (safe without
    /// de-duplication: a request is never sent again once it may have been appended).
    GiveUp,
    /// Report a timeout as a failure ("it did not happen") and move on.
    TimeoutIsFailure,
}

impl KvClientHooks for ClientRule {
    fn name(&self) -> &str {
        match self {
            ClientRule::Retry => "reference",
            ClientRule::GiveUp => "give-up",
            ClientRule::TimeoutIsFailure => "timeout-is-failure",
        }
    }

    fn attempt_ticks(&self) -> u64 {
        match self {
            ClientRule::GiveUp => super::GIVE_UP_TICKS,
            _ => super::ATTEMPT_TICKS,
        }
    }

    fn next_attempt(&self, v: &ClientView) -> ClientAction {
        match (self, v.event) {
            (ClientRule::GiveUp, ClientEvent::Timeout) => ClientAction::GiveUp,
            (ClientRule::TimeoutIsFailure, ClientEvent::Timeout) => ClientAction::Fail,
            _ => next_attempt_reference(v),
        }
    }
}

/// What a leader knows when it decides how to serve a get: plain values.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReadView {
    /// The key's value in the leader's machine now (`""` if never written).
    pub value: Rc<str>,
    /// The read index: the commit index when the get arrived, or, if no entry of the
    /// leader's term had committed then, when the first one did; `None` until then.
    pub read_index: Option<Index>,
    /// The index up to which the machine has been handed the log.
    pub applied: Index,
    /// The leader's commit index now.
    pub commit_index: Index,
    /// Whether a majority (the leader included) confirmed, in a round started after the get
    /// arrived, that it still leads its term.
    pub confirmed: bool,
    /// Whether a majority acknowledged this leader's AppendEntries within
    /// [`super::LEASE_TICKS`] of its own clock.
    pub lease: bool,
}

/// How a leader serves a get now.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ReadAction {
    /// Append it to the log and answer once it is applied.
    ViaLog,
    /// Ask the followers to confirm this leader still leads (a round, if none is under way
    /// for this get), and decide again when something changes.
    Confirm,
    /// Decide again when something changes (a confirmation, a commit, a timer).
    Wait,
    /// Answer now with this value.
    Answer(Rc<str>),
}

/// A leader's decision for a get (called on its arrival, then on every confirmation, commit
/// and leader timer until it answers or goes through the log).
pub trait KvReadHooks {
    /// A short name.
    fn name(&self) -> &str;
    /// What to do with the get now.
    fn serve_get(&self, view: &ReadView) -> ReadAction;
}

/// The reference: read index — confirm, wait for the read index to be known and applied,
/// then answer from the machine.
pub fn serve_get_reference(v: &ReadView) -> ReadAction {
    if !v.confirmed {
        return ReadAction::Confirm;
    }
    match v.read_index {
        Some(ri) if v.applied >= ri => ReadAction::Answer(v.value.clone()),
        _ => ReadAction::Wait,
    }
}

impl KvReadHooks for ServerRule {
    fn name(&self) -> &str {
        match self {
            ServerRule::ReadIndex => "read-index",
            ServerRule::ReadIndexNoConfirm => "read-index-no-confirm",
            ServerRule::LocalRead => "local-read",
            ServerRule::LeaseRead => "lease-read",
            _ => "via-log",
        }
    }

    fn serve_get(&self, v: &ReadView) -> ReadAction {
        match self {
            ServerRule::ReadIndex => serve_get_reference(v),
            ServerRule::ReadIndexNoConfirm => match v.read_index {
                Some(ri) if v.applied >= ri => ReadAction::Answer(v.value.clone()),
                _ => ReadAction::Wait,
            },
            ServerRule::LocalRead => ReadAction::Answer(v.value.clone()),
            ServerRule::LeaseRead if v.lease => ReadAction::Answer(v.value.clone()),
            _ => ReadAction::ViaLog,
        }
    }
}
