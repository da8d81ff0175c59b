//! Every limit the simulator enforces, in one place.
//!
//! Invariant: each limit is a named constant with its unit last, and exceeding one is a
//! [`SimError::Limit`](crate::error::SimError::Limit) value naming the constant, never a panic
//! or an unbounded allocation.

/// Most nodes a scenario may have.
pub const NODES_MAX: usize = 64;
/// Most messages that may be in flight at once across the whole network.
pub const MESSAGES_IN_FLIGHT_MAX: usize = 100_000;
/// Most timers one node may have armed at once.
pub const TIMERS_PER_NODE_MAX: usize = 64;
/// Most effects (sends, timers, notes…) one handler call may record.
pub const EFFECTS_PER_HANDLER_MAX: usize = 10_000;
/// Most steps a run may take.
pub const STEPS_MAX: u64 = 20_000_000;
/// Most simulated ticks a run may reach.
pub const TIME_TICKS_MAX: u64 = 1 << 40;
/// Most trace events kept when the trace is recorded (the hash is always computed).
pub const TRACE_EVENTS_MAX: usize = 1_000_000;
/// Most trace lines a [`WorldView`](crate::sim::session::WorldView) carries.
pub const TRACE_WINDOW_LINES_MAX: usize = 1_000;
/// Most overrides in one [`RunSpec`](crate::sim::spec::RunSpec).
pub const OVERRIDES_MAX: usize = 1_000;
/// Longest URL token accepted by [`RunSpec::parse_url_token`](crate::sim::spec::RunSpec::parse_url_token).
pub const TOKEN_CHARS_MAX: usize = 16_000;
/// Most notes the outside observer's record of one run may hold (`Ctx::observe`).
pub const OBSERVED_MAX: usize = 100_000;
/// Longest client request text.
pub const REQUEST_TEXT_CHARS_MAX: usize = 64;
/// Largest one-way link latency.
pub const LATENCY_TICKS_MAX: u64 = 1_000_000;
/// Largest clock skew magnitude.
pub const CLOCK_SKEW_TICKS_MAX: i64 = 1_000_000;
/// Largest clock drift magnitude, in parts per million.
pub const CLOCK_DRIFT_PPM_MAX: i32 = 500_000;
/// A probability of one, in parts per million.
pub const PPM_ONE: u32 = 1_000_000;
/// Steps between two time-travel checkpoints: a seek replays at most this many steps.
pub const CHECKPOINT_INTERVAL_STEPS: u64 = 1_000;
/// Most seeds one swarm check may run.
pub const SWARM_SEEDS_MAX: u64 = 1_000_000;
/// Most candidate runs the shrinker may try.
pub const SHRINK_ATTEMPTS_MAX: usize = 2_000;
/// Most traces a trace panel carries (the latest).
pub const TRACES_PANEL_MAX: usize = 30;
/// Most spans one trace of a trace panel carries.
pub const SPANS_PER_TRACE_MAX: usize = 64;
/// Most log lines a merged-log panel carries (the latest).
pub const LOG_LINES_PANEL_MAX: usize = 200;
/// Most effect-before-cause pairs a merged-log panel flags.
pub const INVERSIONS_MAX: usize = 50;

/// Most search steps the replicated store's linearizability check may take on one run's
/// history before it answers unknown.
pub const KV_LIN_SEARCH_STEPS_MAX: u64 = 5_000_000;

/// Most operations a store client holds queued (requests beyond it are refused).
pub const KV_CLIENT_QUEUE_OPS_MAX: usize = 64;

/// Most gets a store leader holds waiting for their read index (more are not answered; their
/// clients retry).
pub const KV_PENDING_READS_MAX: usize = 64;

/// Longest a store client's script may ask to wait before its next attempt (`after`, ticks).
pub const KV_CLIENT_WAIT_TICKS_MAX: u64 = 1_000;

/// Most search steps the store's history panel spends on its verdict at one snapshot (the view
/// recomputes it as the run plays; a harder history shows "unknown" there).
pub const KV_PANEL_LIN_SEARCH_STEPS_MAX: u64 = 200_000;
