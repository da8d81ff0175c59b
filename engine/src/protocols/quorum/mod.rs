//! Quorum reads with read repair (chapter 3): a Dynamo-style leaderless store whose clients
//! coordinate their own reads and writes, with sloppy quorums and hinted handoff.
//!
//! Lesson: DeCandia et al., "Dynamo: Amazon's highly available key-value store" (SOSP 2007),
//! §4.5–4.7. Each key lives on its **N = 3 home replicas**, the first three nodes of its
//! *preference list* on a ring of five; the two nodes after them are its *fallbacks*. A write is
//! acknowledged once **W = 2** homes hold it, and a read answers from **R = 2** homes: because
//! R + W > N, every read quorum meets every acknowledged write's quorum in at least one home,
//! so the newest version among R home replies is at least every write acknowledged before the
//! read began. Three things break that argument when they are got wrong, and they are the
//! learner's part (see [`rules`]):
//!
//! - **Which reply is newest.** Versions order writes (see [`types::Version`]); the replicas'
//!   wall clocks do not: they are hundreds of ticks apart, and a replica's timestamp of a write
//!   says only when *that* replica stored it.
//! - **Which replies count.** When a home is unreachable the write's copy for it goes to a
//!   fallback as a *hint* (§4.6, hinted handoff), and a fallback answers reads with the hints it
//!   keeps. A hint is not a home's copy: a quorum that counts it need not meet the write quorum.
//! - **Read repair** (§5: the coordinator updates "the nodes that returned stale versions with
//!   the latest version. This process is called read repair"): a home whose reply was older
//!   than the answer is sent the answer. A repair replaces what the home
//!   holds only if the home still holds the version it replied with, so a repair never undoes a
//!   write that reached the home in the meantime — unless it is sent to a home that did not
//!   reply, which the coordinator knows nothing about: such a repair is a plain overwrite.
//!
//! The store (see [`node`]): replicas n0..n4, clients n5 and n6, keys `a` (homes n0 n1 n2,
//! fallbacks n3 n4) and `b` (homes n2 n3 n4, fallbacks n0 n1). Where Dynamo versions with
//! vector clocks and keeps concurrent siblings, this store orders every write totally, as the
//! two-phase write of Attiya, Bar-Noy and Dolev ("Sharing memory robustly in message-passing
//! systems", JACM 1995) does: a write first asks the homes for their versions and, once R have
//! answered, writes the next version (the highest counter plus one, with the writer's id) to
//! every home; homes keep the higher version. A home that
//! has not acknowledged a write when the write completes gets it through a fallback, which hands
//! it over when it can reach the home. Every message is retried until answered.
//!
//! What the store guarantees without the learner: a home never replaces a version with an
//! older one on its own; a write that starts after another was acknowledged gets a higher
//! version. The properties (see [`properties`]) judge what clients observe against that version
//! order, as an outside observer in true time.

pub mod challenge;
pub mod node;
pub mod properties;
pub mod rules;
pub mod scenarios;
pub mod types;

use std::rc::Rc;

pub use node::Quorum;
pub use rules::*;
pub use types::*;

use crate::sim::protocol::NodeId;

/// Replicas: n0..n4, on a ring in id order.
pub const REPLICAS: u16 = 5;
/// Clients: n5, n6.
pub const CLIENTS: u16 = 2;
/// N: the home replicas of a key.
pub const N: usize = 3;
/// W: home acknowledgements a write needs.
pub const W: usize = 2;
/// R: home replies a read needs.
pub const R: usize = 2;
/// The keys, by index.
pub const KEYS: [&str; 2] = ["a", "b"];
/// A key's preference list starts this many ring positions further than the previous key's.
const KEY_STRIDE: u16 = 2;
/// A client resends what is unanswered this often.
pub const RETRY_TICKS: u64 = 20;
/// A fallback tries to hand its hints over this often.
pub const HANDOFF_TICKS: u64 = 20;
/// Most requests a client queues behind its current operation.
pub const QUEUE_MAX: usize = 64;
/// Most repairs and hinted deliveries a client keeps resending (the oldest is dropped beyond).
pub const OUTBOX_MAX: usize = 64;
/// Most hints a fallback keeps (one per key and home).
pub const HINTS_MAX: usize = 2 * N;
/// T: a read is answered within this many ticks once R of its key's homes are reachable.
pub const READ_ANSWER_TICKS: u64 = 100;
/// A home a read found stale holds the answer within this many ticks of being reachable.
pub const REPAIR_TICKS: u64 = 100;

// Read and write quorums intersect (§4.5: "Setting R and W such that R + W > N yields a
// quorum-like system").
const _: () = assert!(R + W > N);

/// The preference list of key `key`: its N homes, then its fallbacks.
pub fn preference_list(key: usize) -> [NodeId; REPLICAS as usize] {
    let first = (key as u16 * KEY_STRIDE) % REPLICAS;
    std::array::from_fn(|i| (first + i as u16) % REPLICAS)
}

/// The N home replicas of `key`.
pub fn homes(key: usize) -> [NodeId; N] {
    let list = preference_list(key);
    std::array::from_fn(|i| list[i])
}

/// Whether `node` is a home of `key`.
pub fn is_home(key: usize, node: NodeId) -> bool {
    homes(key).contains(&node)
}

/// The fallbacks of `key`, in the order hints go to them.
pub fn fallbacks(key: usize) -> [NodeId; REPLICAS as usize - N] {
    let list = preference_list(key);
    std::array::from_fn(|i| list[N + i])
}

/// Whether `node` is a replica (not a client).
pub fn is_replica(node: NodeId) -> bool {
    node < REPLICAS
}

#[cfg(test)]
mod tests {
    use super::*;

    /// §4.5: "A read or write operation involves the first N healthy nodes in the preference
    /// list"; §4.6: "a replica that would normally have lived on A will now be sent to node D",
    /// the next node on the ring.
    #[test]
    fn each_key_has_three_homes_then_two_fallbacks_on_the_ring() {
        assert_eq!(homes(0), [0, 1, 2]);
        assert_eq!(fallbacks(0), [3, 4]);
        assert_eq!(homes(1), [2, 3, 4]);
        assert_eq!(fallbacks(1), [0, 1]);
        assert!(is_home(1, 4) && !is_home(1, 0));
    }
}
