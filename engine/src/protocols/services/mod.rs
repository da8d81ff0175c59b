//! Observability (chapter 6): a small service graph whose every request leaves traces, logs
//! and metrics — and the context propagation that makes those traces whole.
//!
//! Lesson: in a distributed system no single process sees a request. A checkout from the
//! client n0 enters at the **gateway** n1, which calls **orders** n2; orders calls
//! **inventory** n3 (which reads the read replica **db-2** n6) and **payments** n4 at once,
//! then writes the order to the primary **db-1** n5 and publishes it to the **queue** n7,
//! from which **shipping** n8 consumes it later. Calls have timeouts and retries; the
//! databases serve one query at a time, so load becomes queueing delay.
//!
//! Three signals tell what happened:
//!
//! - **Traces** (Dapper, Sigelman et al., 2010; W3C Trace Context, 2021). Every unit of work
//!   is a *span* with a 16-byte trace id shared by the whole request, its own 8-byte span id
//!   and its parent's. The ids travel in the `traceparent` header of every call
//!   ([`context`]); the middleware ([`rules::PropagationHooks`]) reads it, starts a child span,
//!   and writes the header on every outgoing attempt — a *client* span per attempt, so a retry
//!   is visible as a second attempt under the same parent. A message through the queue is not
//!   a call: nobody waits for the consumer, so its span starts a trace of its own with a
//!   *link* to the producer (OpenTelemetry's messaging conventions). A backend assembles the
//!   spans into a waterfall and computes the **critical path** ([`spans`]); head sampling
//!   keeps a share decided up front, tail sampling decides once the trace is complete.
//! - **Logs** ([`logs`]): structured lines stamped with the node's own clock, the correlation
//!   ids of the span they were written in, and a vector clock. Merged by wall clock, a node
//!   whose clock is behind shows effects before their causes; merged by vector clock, never.
//! - **Metrics** ([`metrics`]): rate, errors and duration (RED) per service over windows.
//!
//! Invariants: every id is drawn from the run's generator (a run is a pure function of its
//! seed); a span note carries ghost facts — the span that truly caused it and the request it
//! serves — that no service reads, so [`properties`] judge the spans against the true call
//! tree; the panels ([`view`]) are computed from the outside observer's record alone.
//!
//! The debugging scenarios ([`scenarios`]) each plant one cause — a timeout below the
//! database's p99, a slow disk on one replica, a skewed clock — and [`scenarios::PUZZLES`]
//! names it, with a test that reverting that one setting makes the symptom disappear.

pub mod causal_log;
pub mod challenge;
pub mod context;
pub mod logs;
pub mod metrics;
pub mod node;
pub mod properties;
pub mod rules;
pub mod scenarios;
pub mod spans;
#[cfg(test)]
mod tests;
pub mod types;
pub mod view;

pub use node::Services;
pub use rules::{PropagationHooks, PropagationVariant};
pub use types::*;

/// Head sampling keeps one new trace in this many.
pub const HEAD_SAMPLING_ONE_IN: u64 = 4;
/// A slow node's work takes this many times as long.
pub const SLOW_FACTOR: u64 = 3;
/// How often payments declines a card, ppm.
pub const PAYMENTS_FAIL_PPM: u32 = 20_000;
/// How often a faulty node fails a request, ppm.
pub const FAULT_PPM: u32 = 400_000;
/// How long the gateway waits for orders, ticks (no retry: the client would).
pub const GATEWAY_TIMEOUT_TICKS: u64 = 2_000;
/// How long orders waits for inventory or payments, ticks.
pub const SERVICE_TIMEOUT_TICKS: u64 = 1_200;
/// How many times orders retries inventory or payments.
pub const SERVICE_RETRIES: u32 = 1;
/// How long a service waits for a database query by default, ticks (the `timeout` option).
pub const DB_TIMEOUT_TICKS: u64 = 300;
/// How many times a service retries a database query.
pub const DB_RETRIES: u32 = 2;
/// Queries a database serves at once (its connection pool); the rest wait in line.
pub const DB_CONNECTIONS: u32 = 4;
/// A query's usual work, ticks (uniform).
pub const DB_WORK_TICKS: (u64, u64) = (2, 8);
/// The share of queries that take long (a cold cache, a lock), percent.
pub const DB_TAIL_PERCENT: u64 = 10;
/// How long a long query takes, ticks (uniform).
pub const DB_TAIL_TICKS: (u64, u64) = (60, 160);
/// How long the queue holds a message before it hands it to shipping, ticks.
pub const QUEUE_HOLD_TICKS: (u64, u64) = (10, 60);
/// How long the client waits before it gives up on a checkout, ticks.
pub const CLIENT_GIVE_UP_TICKS: u64 = 3_000;
/// Most checkouts the client has open at once (it refuses more: each holds a timer).
pub const CLIENT_OPEN_MAX: usize = 48;
/// Most requests a service handles at once; beyond, it rejects calls at once (load shedding),
/// so a node's timers stay within the simulator's limit.
pub const IN_PROGRESS_MAX: usize = 24;
/// Most queries waiting for a database connection; beyond, the database rejects queries.
pub const DB_QUEUE_MAX: usize = 64;
/// Most messages the queue holds; beyond, it drops new ones (and says so in its log).
pub const QUEUE_HELD_MAX: usize = 48;
/// When the client sends its first checkout.
pub const FIRST_REQUEST_TICKS: u64 = 10;
/// Time between the client's checkouts, ticks (uniform).
pub const SPACING_TICKS: (u64, u64) = (30, 50);
/// The instrumented client's header cases (see the challenge's runs), one per request in turn.
pub const CLIENT_HEADER_KINDS: u64 = 7;
