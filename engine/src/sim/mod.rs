//! The simulator: protocols as actors, a deterministic world, traces, run specs and the app
//! boundary.
//!
//! Invariant: nothing here reads a wall clock, spawns a thread or touches OS randomness; time is
//! the world's tick counter and randomness is the world's seeded [`Rng`](crate::rng::Rng).

pub mod check;
pub mod protocol;
pub mod session;
pub mod spec;
pub mod trace;
pub mod world;
