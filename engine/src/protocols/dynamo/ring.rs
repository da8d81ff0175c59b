//! Consistent hashing (Karger et al. 1997; Dynamo §4.2) and quorum arithmetic.
//!
//! The ring is the positions `0..RING_POSITIONS`, read clockwise (increasing, wrapping). Each
//! storage node has one token, evenly spaced: node `i` at `i * RING_POSITIONS / STORAGE`. A
//! key's position is a hash of its name; its *preference list* is the first `n` nodes whose
//! tokens follow it clockwise (the first is the node whose range holds the key), and the nodes
//! after them, in ring order, are its fallbacks for a sloppy quorum. Pure functions only.

use super::types::Key;
use super::{KEYS, STORAGE};
use crate::hash::Fnv64;
use crate::sim::protocol::NodeId;

/// Positions on the ring.
pub const RING_POSITIONS: u32 = 1 << 16;

/// Node `node`'s token.
pub fn token(node: NodeId) -> u32 {
    (u64::from(node) * u64::from(RING_POSITIONS) / u64::from(STORAGE)) as u32
}

/// Key `key`'s position: the stable hash of its name, `k3`, on the ring. FNV-1a spreads
/// short names poorly in its low bits, so the hash is mixed (MurmurHash3's finalizer) first.
pub fn key_position(key: Key) -> u32 {
    let mut h = Fnv64::new();
    h.str(&format!("k{key}"));
    let mut x = h.finish();
    x ^= x >> 33;
    x = x.wrapping_mul(0xff51_afd7_ed55_8ccd);
    x ^= x >> 33;
    (x % u64::from(RING_POSITIONS)) as u32
}

/// The node whose range holds `position`: the first token at or after it, clockwise.
fn owner(position: u32) -> NodeId {
    (0..STORAGE).find(|&n| token(n) >= position).unwrap_or(0)
}

/// Every storage node in ring order from `key`'s owner: its preference list for any `n` is
/// the first `n`, its fallbacks the rest.
pub fn ring_from(key: Key) -> Vec<NodeId> {
    let first = owner(key_position(key));
    (0..STORAGE).map(|i| (first + i) % STORAGE).collect()
}

/// `key`'s preference list: its `n` home nodes, clockwise from its position.
pub fn preference_list(key: Key, n: usize) -> Vec<NodeId> {
    let mut ring = ring_from(key);
    ring.truncate(n.clamp(1, usize::from(STORAGE)));
    ring
}

/// `key`'s fallbacks under `n` homes: the nodes after its preference list, in ring order.
pub fn fallbacks(key: Key, n: usize) -> Vec<NodeId> {
    ring_from(key)
        .into_iter()
        .skip(n.clamp(1, usize::from(STORAGE)))
        .collect()
}

/// Whether `node` is one of `key`'s `n` homes.
pub fn is_home(node: NodeId, key: Key, n: usize) -> bool {
    preference_list(key, n).contains(&node)
}

/// The keys both `a` and `b` are homes of: the key ranges they host in common, which their
/// anti-entropy compares.
pub fn shared_keys(a: NodeId, b: NodeId, n: usize) -> Vec<Key> {
    (1..=KEYS)
        .filter(|&k| is_home(a, k, n) && is_home(b, k, n))
        .collect()
}

/// The keys in ring order (by position): the leaves of the Merkle tree cover them in runs.
pub fn keys_in_ring_order() -> Vec<Key> {
    let mut keys: Vec<Key> = (1..=KEYS).collect();
    keys.sort_by_key(|&k| (key_position(k), k));
    keys
}

/// The node `distance` steps clockwise of `node`.
pub fn successor(node: NodeId, distance: u16) -> NodeId {
    (node + distance) % STORAGE
}

/// Whether every read quorum of `r` meets every write quorum of `w` among `n` replicas
/// (Gifford 1979): `r + w > n`.
pub fn quorums_overlap(n: usize, r: usize, w: usize) -> bool {
    r + w > n
}
