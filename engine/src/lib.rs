//! DistSys Lab's protocol engine.
//!
//! Everything a learner runs in the browser — simulations, checkers, challenge checks — is
//! computed here, and the same code runs natively under `cargo test` and the `dslab` CLI.
//!
//! Invariant: the engine never touches the DOM, wall clocks, threads or OS randomness. A run is a
//! pure function of its inputs, so the same inputs give the same result on every target.
//!
//! ```
//! use engine::scenarios::{default_spec, trace_hash_of};
//! use engine::sim::session::Command;
//!
//! let mut session = engine::scenarios::open("retry-lossy", 7).unwrap();
//! let view = session.run(Command::Step(20)).unwrap();
//! assert_eq!(view.step, 20);
//! let back = session.run(Command::Seek(10)).unwrap();
//! assert_eq!(back.step, 10);
//! // A run is a pure function of (scenario, seed, overrides).
//! assert_eq!(trace_hash_of("retry-lossy", 7, 50).unwrap(), trace_hash_of("retry-lossy", 7, 50).unwrap());
//! let token = default_spec("retry-lossy", 7).unwrap().to_url_token();
//! assert!(token.starts_with("1~retry-lossy~7~"));
//! ```
#![deny(missing_docs)]

pub mod catalog;
pub mod challenge;
pub mod consistency;
pub mod error;
pub mod hash;
pub mod limits;
pub mod lin;
pub mod protocols;
pub mod rng;
pub mod scenarios;
pub mod script;
pub mod sim;
pub mod worker;

pub use error::SimError;
pub use scenarios::trace_hash_of;
