//! The state machine's one decision — how a committed entry is applied — behind [`KvHooks`],
//! with the reference and the known-wrong variants; and the server's and the client's rules
//! ([`ServerRule`], [`ClientRule`]), whose wrong choices the chapter shows.

use std::rc::Rc;

use super::types::{Command, Machine, Op, Session};
use crate::protocols::raft::Index;

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
}

/// What a client does when an attempt gets no answer in time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ClientRule {
    /// Retry the same request (same sequence number) at the next server, and give up after
    /// [`super::ATTEMPTS_MAX`] attempts, recording the outcome as unknown.
    Retry,
    /// Give up at the first timeout, recording the outcome as unknown (safe without
    /// de-duplication: a request is never sent again once it may have been appended).
    GiveUp,
    /// Report a timeout as a failure ("it did not happen") and move on.
    TimeoutIsFailure,
}
