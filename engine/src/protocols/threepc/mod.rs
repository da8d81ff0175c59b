//! Three-phase commit (chapter 5): non-blocking atomic commitment, and why it is unsafe under a
//! partition.
//!
//! Lesson: 2PC blocks because a participant that voted YES is *uncertain* — adjacent to both
//! commit and abort — so survivors of a coordinator crash cannot infer the outcome. Skeen
//! ("Nonblocking Commit Protocols", 1981) removes that state's adjacency to commit with an extra
//! round, and adds a termination protocol that lets the survivors decide without the
//! coordinator. It is non-blocking *because of timeouts*: a participant that hears nothing
//! suspects the coordinator and terminates. Under crash failures with accurate suspicion that
//! is safe; under a partition both sides suspect each other, each side terminates on its own,
//! and the sides decide differently.
//!
//! A coordinator n0 and three participants A, B, C (n1..n3); every transaction t1, t2, …
//! involves all three, and the workload says which participant, if any, cannot commit its
//! part (a request `yes` or `no-b` adds one).
//!
//! 1. **CanCommit.** n0 asks every participant; each votes YES (and is *uncertain*) or NO (and
//!    aborts at once). A NO, or votes later than [`VOTE_TIMEOUT_TICKS`], aborts the transaction.
//! 2. **PreCommit.** Once every vote is YES, n0 sends PRE-COMMIT; a participant moves to
//!    *pre-committed* and acknowledges. n0 resends to the silent ones every
//!    [`ACK_RESEND_TICKS`].
//! 3. **DoCommit.** Only once every participant has acknowledged does n0 commit and tell
//!    them. So while anyone is uncertain, nobody has committed.
//!
//! **Termination.** A participant that has voted YES and hears nothing for [`WAIT_TICKS`]
//! suspects the coordinator. The reachable participants elect the lowest-id live one: the one
//! that timed out sends ELECT to each lower participant, and if none answers within
//! [`ELECT_TICKS`] it takes over (a lower one that is asked starts its own election). The
//! recovery coordinator collects the states of the participants it can reach within
//! [`COLLECT_TICKS`] and applies Skeen's rule ([`termination_rule`]): any aborted (or not yet
//! voted) → abort; any committed → commit; any pre-committed → pre-commit the uncertain ones,
//! then commit; all uncertain → abort. A participant cut off alone follows the same rule on
//! what it reaches: itself. A participant that has not voted may abort on its own, and does so
//! when asked about a transaction it never heard of. A restarted participant that was
//! uncertain or pre-committed waits and terminates again; a restarted coordinator aborts what
//! was still collecting votes and asks the participants about what it was pre-committing.
//! (Skeen's recovery protocol is stricter: a participant that recovers undecided may not
//! terminate on its own and must learn the outcome from an operational one. Here it terminates
//! like any participant, which is unsafe even without a partition in one cascade: it comes
//! back while every participant that decided is down, and decides alone.)
//!
//! The timeouts are sized for the scenarios' links (10–14 ticks each way): an election's
//! round trip fits in [`ELECT_TICKS`], a state request's in [`COLLECT_TICKS`]. On slower or
//! lossy links the suspicions are wrong, and the swarm's random partitions, losses and pauses
//! split a transaction in some runs; they never make it commit without every YES or leave it
//! undecided after the heal (the tests check both over 200 swarm seeds).
//!
//! The rule treats an unreachable participant as crashed. Under a partition it is alive and
//! deciding too: `3pc-partition` lets PRE-COMMIT reach A only, cuts {n0, A} from {B, C} and
//! crashes n0; A, alone and pre-committed, commits, while B, electing itself, sees B and C
//! uncertain and aborts.
//!
//! Properties ([`properties`]): `atomic-outcome` (no transaction committed at one participant
//! and aborted at another), `commit-needs-all-yes`, and, once the faults end, `all-decided`.
//!
//! Files: [`types`] (plans, states, messages, timers, notes, node state), [`node`] (the
//! handlers and the termination rule), [`properties`], [`scenarios`] and [`view`] (each
//! participant's state per transaction, and every transaction's outcomes side by side).

pub mod node;
pub mod properties;
pub mod scenarios;
#[cfg(test)]
mod tests;
pub mod types;
pub mod view;

pub use node::{termination_rule, ThreePc};
pub use scenarios::{coordinator_crash, partition};
pub use types::*;

/// When the coordinator starts the first transaction of its workload.
pub const FIRST_TX_TICKS: u64 = 20;
/// How far apart it starts the next ones.
pub const TX_SPACING_TICKS: u64 = 150;
/// How long the coordinator waits for the votes before it aborts.
pub const VOTE_TIMEOUT_TICKS: u64 = 60;
/// How often the coordinator resends PRE-COMMIT to participants that have not acknowledged.
pub const ACK_RESEND_TICKS: u64 = 60;
/// How long a participant that voted YES waits for the next message before it suspects the
/// coordinator and starts the termination protocol.
pub const WAIT_TICKS: u64 = 100;
/// How long a participant that timed out waits for a lower participant's ALIVE.
pub const ELECT_TICKS: u64 = 40;
/// How long a recovery coordinator collects states (and, later, acknowledgements).
pub const COLLECT_TICKS: u64 = 40;
/// How often a restarted coordinator asks again what became of a transaction.
pub const INQUIRE_TICKS: u64 = 100;
/// Most requested transactions the coordinator holds before it refuses more.
pub const REQUESTED_MAX: usize = 16;
