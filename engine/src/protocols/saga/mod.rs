//! Sagas (chapter 5): a long-lived business transaction across services with no distributed
//! transaction, kept atomic by compensation.
//!
//! Lesson: a saga (Garcia-Molina & Salem, "Sagas", SIGMOD 1987) is a sequence of local
//! transactions T1..Tn, each committed at once in its own service, with a compensating
//! transaction Ci for each that semantically undoes Ti. The guarantee (§1) is that either
//! T1..Tn all run, or T1..Tj, Cj..C1 do: the compensations of the steps that ran, **in reverse
//! order**. There is no isolation: other sagas see T1's effect before Tn runs, so a service
//! marks what a saga in progress holds — a **semantic lock** (Richardson, *Microservices
//! Patterns*, 2018, ch. 4): here the inventory holds reserved stock as PENDING, which no other
//! order can buy, until its saga ends.
//!
//! The store: an **orchestrator** n0 runs each order's saga — `payment` (n1 charges the
//! customer; compensation: refund), `inventory` (n2 reserves the items; restock) and
//! `shipping` (n3 books a courier, which takes [`SHIP_WORK_TICKS`]; cancel). A service may
//! refuse (a declined card, stock that is sold or PENDING, an address no courier serves, or
//! the `courier` option set to `down`); a call may also go unanswered for
//! [`CALL_TIMEOUT_TICKS`] — and then the orchestrator cannot know whether it took effect.
//! (In **choreography**, the alternative, there is no orchestrator: each service reacts to
//! the previous one's event and emits its own, and the compensation logic is spread over
//! them. The rules below are the same; only who holds them differs.)
//!
//! What makes an orchestrator correct under crashes, loss and duplication:
//!
//! 1. **Register before you call.** The orchestrator writes "this step may need undoing" to
//!    its durable saga log *before* the call leaves. A call that times out may have succeeded;
//!    if its compensation is registered only on a success reply, it is never undone.
//! 2. **Idempotency keys.** Every call and compensation carries a key that is the same on
//!    every retry; a service answers a key it has seen with the answer it gave, and does
//!    nothing. Without one, a retried or duplicated refund pays twice. A service also keeps a
//!    **tombstone** when asked to undo a step it never did, so that the late call is refused
//!    instead of taking effect after its compensation.
//! 3. **Compensate in reverse order, one at a time**, each retried until acknowledged: a
//!    compensation may not fail for good (it is the saga's only way back), so it is retried
//!    forever with the same key.
//! 4. **Recover from the log.** A restarted orchestrator resumes every saga begun and not
//!    ended: one that was compensating goes on; one that was calling a step treats the call as
//!    timed out.
//!
//! The **pivot transaction** is the step after which a saga can only go forward: here the
//! booking of the shipment is last, so once it succeeds the saga completes; a saga with steps
//! after a pivot must make those retriable until they succeed.
//!
//! The orchestrator's decisions are behind [`SagaHooks`] ([`rules`]: the reference and the
//! known-wrong variants). Properties ([`properties`]): `step-once`, `compensation-once`,
//! `reverse-order`, `no-needless-compensation`, `all-or-nothing` and, once the faults heal,
//! `all-settled`.
//!
//! Files: [`types`] (steps, orders, the saga log, messages, state), [`rules`], [`node`] (the
//! orchestrator and the services), [`properties`], [`scenarios`] (the chapter's runs and the
//! challenge's), [`view`] (the sagas, the services' ledgers, the counters) and [`challenge`]
//! (the `saga-compensations` adapter).

pub mod challenge;
pub mod node;
pub mod properties;
pub mod rules;
pub mod scenarios;
#[cfg(test)]
mod tests;
pub mod types;
pub mod view;

pub use node::Shop;
pub use rules::{Decision, SagaHooks, SagaVariant, Then};
pub use scenarios::{compensate, happy, timeout};
pub use types::*;

use crate::sim::protocol::ProtocolOption;

/// When the orchestrator begins the first order.
pub const FIRST_ORDER_TICKS: u64 = 20;
/// How far apart it begins the next ones (so that sagas overlap).
pub const ORDER_SPACING_TICKS: u64 = 80;
/// How long booking a courier takes, ticks.
pub const SHIP_WORK_TICKS: u64 = 80;
/// A call unanswered for this long has timed out (longer than a booking and a round trip).
pub const CALL_TIMEOUT_TICKS: u64 = 150;
/// A compensation unanswered for this long is due for a retry.
pub const COMPENSATION_TIMEOUT_TICKS: u64 = 60;

/// The live options.
pub const OPTIONS: &[ProtocolOption] = &[ProtocolOption {
    name: "courier",
    label: "Courier",
    choices: &["up", "down"],
    default: 0,
    help: "up: the shipping service books couriers; down: it refuses every booking, so every \
           saga reaching shipping is compensated",
}];
