//! The errors a user (a learner, a URL, a command) can cause.
//!
//! Invariant: everything a user can get wrong comes back as a [`SimError`] with a message that
//! says what was wrong and what is allowed; panics are reserved for the engine's own bugs.

use std::fmt;

/// An error a user of the simulator can cause.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum SimError {
    /// No scenario has this id.
    UnknownScenario {
        /// The id asked for.
        id: String,
        /// The ids that exist.
        known: Vec<String>,
    },
    /// A URL token could not be decoded.
    BadToken(String),
    /// An override is malformed (bad node id, bad range…) before the run starts.
    BadOverride(String),
    /// An override was well formed but does not apply to the world when it is reached.
    OverrideNotApplicable {
        /// Step at which it was applied.
        step: u64,
        /// True simulated time at which it was applied.
        time: u64,
        /// What was wrong.
        reason: String,
    },
    /// A limit was exceeded.
    Limit {
        /// Name of the limit constant, e.g. `NODES_MAX`.
        limit: &'static str,
        /// Its value.
        max: u64,
    },
    /// A session command was malformed.
    BadCommand(String),
}

impl SimError {
    /// A limit error for `limit` whose value is `max`.
    pub fn limit(limit: &'static str, max: impl TryInto<u64>) -> SimError {
        SimError::Limit {
            limit,
            max: max.try_into().unwrap_or(u64::MAX),
        }
    }
}

impl fmt::Display for SimError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SimError::UnknownScenario { id, known } => {
                write!(f, "unknown scenario '{id}' (known: {})", known.join(", "))
            }
            SimError::BadToken(why) => write!(f, "bad run token: {why}"),
            SimError::BadOverride(why) => write!(f, "bad override: {why}"),
            SimError::OverrideNotApplicable { step, time, reason } => {
                write!(
                    f,
                    "override at step {step} (t={time}) does not apply: {reason}"
                )
            }
            SimError::Limit { limit, max } => write!(f, "limit {limit} ({max}) exceeded"),
            SimError::BadCommand(why) => write!(f, "bad command: {why}"),
        }
    }
}

impl std::error::Error for SimError {}
