//! Lesson: a leaderless store trades consistency for availability one knob at a time.
//!
//! Dynamo (DeCandia et al., "Dynamo: Amazon's highly available key-value store", SOSP 2007)
//! has no leader. Five storage nodes n0..n4 sit on a consistent-hashing ring ([`ring`], §4.2);
//! each of the [`KEYS`] keys is stored on its *preference list*, the first N nodes clockwise
//! from its position. The clients (n5 = A, n6 = B) coordinate their own requests, as
//! Dynamo's client-driven coordination does (§6.4): a put sends the new version to the key's N
//! home nodes and succeeds after W acknowledgements; a get asks the N home nodes and returns
//! the newest of the first R replies (§4.5). Versions are Lamport timestamps with the client
//! as tie-break ([`types::Version`]), and the newest wins everywhere (last writer wins; Dynamo
//! itself keeps vector clocks and siblings, §4.4, which chapter 3's CRDTs take up).
//!
//! Every mechanism is a live [option](OPTIONS), read when a request starts or a round begins:
//!
//! - `n`, `r`, `w`: when `r + w > n` every read quorum meets every write quorum (Gifford 1979),
//!   so a read sees the latest acknowledged write; when `r + w ≤ n` it may not.
//! - `sloppy` (§4.6): a home node that does not answer within the request timeout is replaced
//!   by the next node on the ring beyond the preference list, which stores the write as a
//!   *hint* for it, counts toward W, and hands it off when the home node answers again
//!   (*hinted handoff*). Puts stay available during a partition, and R + W > N stops meaning
//!   overlap: the W acknowledgements may come from fallbacks the next read does not ask.
//!   Gets go to fallbacks the same way, which answer from their own store.
//! - `repair` (§5): after a get returns, the coordinator sends the newest version to every
//!   replier that answered with an older one, late repliers included (*read repair*).
//! - `anti-entropy` (§4.7): every [`ANTI_ENTROPY_TICKS`] each storage node compares the keys
//!   it shares with one of its ring successors through a Merkle tree ([`merkle`]): equal roots
//!   cost one hash, a difference is found by descending into differing subtrees only.
//!
//! The properties ([`properties`]): `reads-see-acknowledged-writes` (a get returns a version at
//! least that of every put acknowledged before it began) and `replicas-converge` (once faults
//! stop, every key's home nodes agree and no hint is left). The staleness measurement
//! ([`pbs`]) runs this same store for Bailis et al.'s probabilistically bounded staleness.

pub mod merkle;
pub mod node;
pub mod pbs;
pub mod properties;
pub mod ring;
pub mod scenarios;
pub mod types;
pub mod view;

use crate::sim::protocol::{NodeId, ProtocolOption};

pub use scenarios::{leaderless_quorum, partial_quorum};

/// Storage nodes are `0..STORAGE`; clients come after.
pub const STORAGE: u16 = 5;
/// Keys are `1..=KEYS`.
pub const KEYS: u8 = 16;
/// Ticks between a storage node's anti-entropy rounds.
pub const ANTI_ENTROPY_TICKS: u64 = 150;
/// Ticks between a hint holder's offers to the home nodes.
pub const HANDOFF_TICKS: u64 = 60;
/// Ticks a finished get keeps waiting for late replies to repair.
pub const LINGER_TICKS: u64 = 60;
/// A give-up comes after this many request timeouts.
pub const GIVE_UP_TIMEOUTS: u64 = 5;

/// Replica counts and quorum sizes a run may choose.
const COUNTS: &[&str] = &["1", "2", "3", "4", "5"];

/// The store's live options.
pub const OPTIONS: &[ProtocolOption] = &[
    ProtocolOption {
        name: "n",
        label: "N (replicas)",
        choices: COUNTS,
        default: 2,
        help: "how many nodes, clockwise from the key, are its home nodes (its preference list)",
    },
    ProtocolOption {
        name: "r",
        label: "R (read quorum)",
        choices: COUNTS,
        default: 1,
        help: "a get returns the newest of the first R replies (at most N)",
    },
    ProtocolOption {
        name: "w",
        label: "W (write quorum)",
        choices: COUNTS,
        default: 1,
        help: "a put succeeds after W acknowledgements (at most N)",
    },
    ProtocolOption {
        name: "sloppy",
        label: "Sloppy quorum",
        choices: &["off", "on"],
        default: 0,
        help: "off: only home nodes count; on: a home node that does not answer in time is \
               replaced by the next node on the ring, which keeps the write as a hint and \
               hands it off later",
    },
    ProtocolOption {
        name: "repair",
        label: "Read repair",
        choices: &["off", "on"],
        default: 1,
        help: "on: after a get, replicas that answered with an older version are sent the \
               newest",
    },
    ProtocolOption {
        name: "anti-entropy",
        label: "Anti-entropy",
        choices: &["off", "on"],
        default: 1,
        help: "on: storage nodes periodically compare the keys they share through Merkle \
               trees and exchange the differing ones",
    },
];

/// What the clients do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Workload {
    /// Each client runs the requests it is handed (`put-k3`, `get-k3`).
    Requests,
    /// The staleness measurement: the first client writes a fresh version, and once it is
    /// acknowledged the second reads it `delay_ticks` later; `pairs` times, one pair at a time.
    Pairs {
        /// Write/read pairs.
        pairs: u32,
        /// Ticks from a write's acknowledgement to the read.
        delay_ticks: u64,
    },
}

/// The leaderless store's configuration. Nodes from [`STORAGE`] on are clients.
#[derive(Clone, Debug)]
pub struct Dynamo {
    /// Ticks a coordinator waits for a node before it retries (or, sloppy, goes to a
    /// fallback).
    pub timeout_ticks: u64,
    /// What the clients do.
    pub workload: Workload,
}

/// The quorum in force: (N, R, W), with R and W at most N.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Quorums {
    /// Home nodes per key.
    pub n: usize,
    /// Replies a get waits for.
    pub r: usize,
    /// Acknowledgements a put waits for.
    pub w: usize,
}

/// The quorum the options choose (`choice` reads an option): R and W are capped at N.
pub fn quorums(choice: impl Fn(&str) -> &'static str) -> Quorums {
    let count = |name: &str| choice(name).parse::<usize>().unwrap_or(1);
    let n = count("n").clamp(1, usize::from(STORAGE));
    Quorums {
        n,
        r: count("r").clamp(1, n),
        w: count("w").clamp(1, n),
    }
}

/// Whether `node` is a storage node.
pub fn is_storage(node: NodeId) -> bool {
    node < STORAGE
}

#[cfg(test)]
mod tests;
