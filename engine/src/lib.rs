//! DistSys Lab's protocol engine.
//!
//! Everything a learner runs in the browser — simulations, checkers, challenge checks — is
//! computed here, and the same code runs natively under `cargo test` and the `dslab` CLI.
//!
//! Invariant: the engine never touches the DOM, wall clocks, threads or OS randomness. A run is a
//! pure function of its inputs, so the same inputs give the same result on every target.
#![deny(missing_docs)]

pub mod catalog;
pub mod lin;
