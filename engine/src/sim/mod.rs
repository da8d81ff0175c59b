//! The simulator: protocols as actors, a deterministic world, traces, run specs and the app
//! boundary.
//!
//! Invariant: nothing here reads a wall clock, spawns a thread or touches OS randomness; time is
//! the world's tick counter and randomness is the world's seeded [`Rng`](crate::rng::Rng).
//!
//! Code map:
//! - [`protocol`]: the actor trait ([`protocol::Protocol`]), its effect context and node views.
//! - [`world`]: the simulator ([`world::Sim`]): event queue ordered by (time, sequence number),
//!   network (latency range plus spikes, loss, duplication, partitions, one-way cuts), crashes,
//!   restarts, pauses, clocks, properties and checkpoints.
//! - [`spec`]: [`spec::RunSpec`] and the closed set of hand-made choices ([`spec::Action`]) with
//!   the URL token format.
//! - [`trace`]: typed events, their text lines, JSON and hash encoding.
//! - [`session`]: the app boundary ([`session::Session`], [`session::WorldView`]).
//! - [`check`]: swarm testing and shrinking.
//!
//! Where the nondeterminism is: the order of events is fixed by the queue, so the only free
//! choices are the seeded draws the world makes for each send (lost? duplicated? which latency,
//! spiked?) and the draws a protocol asks for through
//! [`Ctx::random_range`](protocol::Ctx::random_range). A person (or the swarm) overrides them
//! with an [`Action`](spec::Action): deliver a message now, drop it, crash, partition, change
//! loss or latency, send a client request.

pub mod check;
pub mod panel;
pub mod protocol;
pub mod scenario;
pub mod session;
pub mod spec;
pub mod trace;
pub mod world;
