//! Two-phase commit (chapter 5): atomic commitment of transfers between bank accounts held by
//! different nodes.
//!
//! Lesson: a transaction that touches several nodes must commit at all of them or at none,
//! although any of them may crash at any moment. Two-phase commit (Gray, "Notes on Data Base
//! Operating Systems", 1978; Bernstein, Hadzilacos & Goodman, "Concurrency Control and
//! Recovery in Database Systems", 1987, chapter 7) gets there with one rule: **nobody may
//! forget a promise**. Every promise is forced to a write-ahead log before it is sent.
//!
//! The bank: a coordinator n0 and three participants, n1 (accounts a1, a2), n2 (b1, b2) and
//! n3 (c1, c2), each account opening at 100. The coordinator runs a workload of transfers
//! t1, t2, … (and any a learner requests, `a1-b2-30`), each a debit on one participant and
//! a credit on another.
//!
//! 1. **Phase one.** The coordinator sends `PREPARE(t, ops)` to each participant involved. A
//!    participant checks that it can commit its part — the accounts are not locked by another
//!    transaction and no debit overdraws — and if so locks them, forces `PREPARED t` (with its
//!    ops) to its log and votes YES. Otherwise it votes NO and aborts at once. A transaction
//!    that needs a locked account does not wait: the participant votes NO (no-wait locking,
//!    so no deadlock is possible and a blocked transaction costs one abort).
//! 2. **The commit point.** Once every vote is YES, the coordinator forces `COMMIT t`; the
//!    transaction is committed the moment that record is on disk. On a NO, or when the votes
//!    are late ([`VOTE_TIMEOUT_TICKS`]), it forces `ABORT t` instead. Then it tells every
//!    participant, and resends ([`RESEND_TICKS`]) until each has acknowledged.
//! 3. **Phase two.** A participant forces the outcome to its log, applies a COMMIT to its
//!    balances (the record and the balances reach the disk together), releases its locks and
//!    sends ACK. When every participant has acknowledged, the coordinator logs `END t` and
//!    forgets the transaction.
//!
//! Between its YES and the outcome a participant is **in doubt**: it promised to commit if
//! asked, so it may not abort on its own, and it cannot commit without knowing the others
//! voted YES. It keeps its locks and asks the coordinator every [`IN_DOUBT_TICKS`]. If the
//! coordinator is down, it waits — that is 2PC's blocking problem, and why a coordinator
//! crash at the commit point holds locks for as long as the outage lasts. (Cooperative
//! termination, asking the other participants, would help only when one of them has heard
//! the outcome; it is not modelled here.)
//!
//! **Presumed abort** (Mohan, Lindsay & Obermarck, 1986): a transaction with no decision in
//! the coordinator's log is aborted. So the coordinator logs nothing before PREPARE (it only
//! keeps its next transaction number on disk, so that numbers are never reused), a NO needs
//! no forced record, and an inquiry about a transaction the coordinator has no record of is
//! answered ABORT.
//!
//! **Recovery.** A crash loses a node's memory — its locks, its transactions in progress, the
//! records it had not yet forced — and a restart hands it its disk (`on_start` with the
//! durable state). A restarted coordinator resends every decision it logged without END, and
//! answers inquiries from its log. A restarted participant re-takes the locks of every
//! transaction PREPARED without an outcome in its log, and is in doubt again.
//!
//! A forced write takes time ([`LOG_FORCE_TICKS`]): the steps a node takes after it wait until
//! the record is on disk. So the order in which a node logs and sends is visible — and what
//! goes wrong when it is reversed is what the known-wrong variants show ([`rules`]).
//!
//! Properties ([`properties`]): `commit-needs-all-yes`, `no-unilateral-abort`,
//! `atomic-outcome`, `money-conserved` and, once faults end, `all-decided`; the challenge adds
//! `no-needless-abort` (AC4: aborting everything would satisfy the others) and judges
//! `all-decided` to the end of the run.
//!
//! Files: [`types`] (accounts, records, messages, state), [`rules`] (the decisions behind
//! [`TwoPcHooks`], the reference and the wrong variants), [`node`] (the handlers, the disk,
//! recovery), [`properties`], [`scenarios`] (the chapter's and the challenge's runs), [`view`]
//! (the log, lock and bank panels) and [`challenge`] (the `twopc-recovery` adapter: the
//! learner's script as the hooks).

pub mod challenge;
pub mod node;
pub mod properties;
pub mod rules;
pub mod scenarios;
#[cfg(test)]
mod tests;
pub mod types;
pub mod view;

pub use node::TwoPc;
pub use rules::{InDoubt, Known, TwoPcHooks, TwoPcVariant};
pub use scenarios::{commit, coordinator_crash, participant_crash};
pub use types::*;

/// How long forcing one record to the log takes, ticks.
pub const LOG_FORCE_TICKS: u64 = 20;
/// How long the coordinator waits for the votes before it aborts, ticks.
pub const VOTE_TIMEOUT_TICKS: u64 = 150;
/// How often the coordinator resends a decision not every participant has acknowledged.
pub const RESEND_TICKS: u64 = 100;
/// How often a participant in doubt asks the coordinator.
pub const IN_DOUBT_TICKS: u64 = 100;
/// When the coordinator starts the first transfer of its workload.
pub const FIRST_TRANSFER_TICKS: u64 = 20;
/// How far apart it starts the next ones.
pub const TRANSFER_SPACING_TICKS: u64 = 150;
/// Most requested transfers the coordinator holds before it refuses more.
pub const REQUESTED_MAX: usize = 16;
