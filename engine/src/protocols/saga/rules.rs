//! The orchestrator's compensation logic behind [`SagaHooks`]: what it registers before a call,
//! what it does with each answer, the idempotency keys it sends, the order its compensations
//! run in, how long it retries them, and what a restarted orchestrator resumes from its log.
//! The [`SagaVariant::Reference`] is the textbook policy; the others are the mistakes the
//! checker must catch, each with the property it breaks.

use super::types::{Key, Kind, Outcome, Record, Step};

/// What the orchestrator does after an answer (or a timeout).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Then {
    /// The step is done: go on with the next one, or complete the saga after the last.
    Next,
    /// Call the step again (attempt + 1).
    Retry,
    /// Abandon the saga: run the registered compensations.
    Compensate,
}

/// The decision on an answer: whether to register the step's compensation now, then what.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Decision {
    /// Register the step's compensation in the saga log (if it is not already).
    pub register: bool,
    /// What next.
    pub then: Then,
}

/// The orchestrator's decisions.
pub trait SagaHooks {
    /// A name for traces and messages.
    fn name(&self) -> &str;
    /// Before each call of `step`: whether to register its compensation in the saga log
    /// first (the record is on disk before the call leaves).
    fn register_first(&self, step: Step) -> bool;
    /// After an answer to attempt `attempt` of `step`, or its timeout.
    fn on_reply(&self, step: Step, outcome: Outcome, attempt: u32) -> Decision;
    /// The idempotency key of attempt `attempt` of a call or compensation of `step` for
    /// order `order`.
    fn key(&self, order: u32, step: Step, kind: Kind, attempt: u32) -> Key;
    /// The compensations to run, in order, given the registered steps in registration order.
    fn compensations(&self, registered: &[Step]) -> Vec<Step>;
    /// After attempt `attempt` of a compensation went unanswered: whether to send it again.
    fn retry_compensation(&self, step: Step, attempt: u32) -> bool;
    /// On a restart: the orders whose sagas to resume, from the saga log.
    fn recover(&self, log: &[Record]) -> Vec<u32>;
}

/// The reference policy and the known-wrong ones.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SagaVariant {
    /// Register before every call; on a refusal or a timeout compensate; one key per order,
    /// step and kind; compensate in reverse order; retry compensations forever; resume every
    /// saga begun and not ended.
    Reference,
    /// Registers a compensation only once the step's success reply is in: a call that timed
    /// out but succeeded is never undone.
    RegisterAfterSuccess,
    /// Sends refunds (every compensation) without an idempotency key: a retried or
    /// duplicated refund pays twice.
    KeylessCompensation,
    /// Compensates in the order the steps ran, refund before restock.
    ForwardOrder,
    /// Retries a timed-out call without an idempotency key: a call that succeeded is done
    /// twice.
    KeylessRetry,
    /// Resumes nothing on a restart: sagas in progress are stuck forever.
    ForgetLog,
    /// Gives a compensation up after ten unanswered attempts.
    GiveUp,
}

impl SagaVariant {
    /// Every variant, the reference first.
    pub const ALL: [SagaVariant; 7] = [
        SagaVariant::Reference,
        SagaVariant::RegisterAfterSuccess,
        SagaVariant::KeylessCompensation,
        SagaVariant::ForwardOrder,
        SagaVariant::KeylessRetry,
        SagaVariant::ForgetLog,
        SagaVariant::GiveUp,
    ];

    /// The property a wrong variant breaks (`None` for the reference).
    pub fn breaks(self) -> Option<&'static str> {
        match self {
            SagaVariant::Reference => None,
            SagaVariant::RegisterAfterSuccess | SagaVariant::GiveUp => Some("all-or-nothing"),
            SagaVariant::KeylessCompensation => Some("compensation-once"),
            SagaVariant::ForwardOrder => Some("reverse-order"),
            SagaVariant::KeylessRetry => Some("step-once"),
            SagaVariant::ForgetLog => Some("all-settled"),
        }
    }
}

/// The reference's key: one per order, step and kind, the same on every attempt.
pub fn key(order: u32, step: Step, kind: Kind) -> Key {
    Some(format!("o{order}-{}-{}", step.name(), kind.name()))
}

/// The reference's recovery: every order begun whose saga has not ended, in log order.
pub fn recover(log: &[Record]) -> Vec<u32> {
    let mut open: Vec<u32> = Vec::new();
    for r in log {
        match r {
            Record::Begin(o) => open.push(*o),
            Record::End(o, _) => open.retain(|x| x != o),
            _ => {}
        }
    }
    open
}

/// The reference's answer to an outcome: go on after a success, compensate otherwise.
pub fn on_reply(outcome: Outcome) -> Decision {
    Decision {
        register: false,
        then: if outcome == Outcome::Ok {
            Then::Next
        } else {
            Then::Compensate
        },
    }
}

impl SagaHooks for SagaVariant {
    fn name(&self) -> &str {
        match self {
            SagaVariant::Reference => "reference",
            SagaVariant::RegisterAfterSuccess => "register after success",
            SagaVariant::KeylessCompensation => "keyless compensation",
            SagaVariant::ForwardOrder => "forward-order compensation",
            SagaVariant::KeylessRetry => "keyless retry",
            SagaVariant::ForgetLog => "forget the saga log",
            SagaVariant::GiveUp => "give compensations up",
        }
    }

    fn register_first(&self, _step: Step) -> bool {
        *self != SagaVariant::RegisterAfterSuccess
    }

    fn on_reply(&self, _step: Step, outcome: Outcome, attempt: u32) -> Decision {
        match self {
            SagaVariant::RegisterAfterSuccess => Decision {
                register: outcome == Outcome::Ok,
                ..on_reply(outcome)
            },
            SagaVariant::KeylessRetry if outcome == Outcome::Timeout && attempt < 3 => Decision {
                register: false,
                then: Then::Retry,
            },
            _ => on_reply(outcome),
        }
    }

    fn key(&self, order: u32, step: Step, kind: Kind, _attempt: u32) -> Key {
        match (self, kind) {
            (SagaVariant::KeylessCompensation, Kind::Compensate)
            | (SagaVariant::KeylessRetry, Kind::Call) => None,
            _ => key(order, step, kind),
        }
    }

    fn compensations(&self, registered: &[Step]) -> Vec<Step> {
        let mut plan = registered.to_vec();
        if *self != SagaVariant::ForwardOrder {
            plan.reverse();
        }
        plan
    }

    fn retry_compensation(&self, _step: Step, attempt: u32) -> bool {
        *self != SagaVariant::GiveUp || attempt < 10
    }

    fn recover(&self, log: &[Record]) -> Vec<u32> {
        if *self == SagaVariant::ForgetLog {
            Vec::new()
        } else {
            recover(log)
        }
    }
}
