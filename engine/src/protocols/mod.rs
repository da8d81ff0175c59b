//! Protocols the simulator runs, each a pure state machine with its scenarios and properties.
//!
//! Invariant: a protocol module only implements [`Protocol`](crate::sim::protocol::Protocol)
//! and lists its scenarios; it never reaches into the simulator.

pub mod causality;
pub mod clocks;
pub mod dynamo;
pub mod failover;
pub mod heartbeat;
pub mod kv;
pub mod multileader;
pub mod outbox;
pub mod paxos;
pub mod quorum;
pub mod raft;
pub mod register;
pub mod retry;
pub mod saga;
pub mod services;
pub mod threepc;
pub mod tokens;
pub mod twopc;
