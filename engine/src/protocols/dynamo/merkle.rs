//! Merkle trees for anti-entropy (Merkle 1987; Dynamo §4.7).
//!
//! Two replicas compare the keys they host in common without sending them: each hashes its
//! versions into a binary tree whose leaves are runs of keys in ring order ([`LEAVES`] ranges of
//! [`KEYS_PER_LEAF`] keys) and whose inner nodes hash their two children. Equal roots mean equal
//! data: one hash exchanged. Otherwise the replicas descend level by level into the differing
//! subtrees only, and at the leaves exchange the keys of the differing ranges. One differing key
//! costs one hash per level on the way down plus its sibling's: `1 + 2 × (LEVELS − 1)` hashes,
//! O(log keys), where sending every shared key would cost one entry per key.
//!
//! A [`Trail`] records an exchange as it goes (which ranges were compared, which differed, how
//! many hashes and keys were sent) and travels in its messages, so the exchange needs no state
//! at either node and the node that ends it holds the whole story.

use std::fmt;

use super::ring::keys_in_ring_order;
use super::types::{Key, Version};
use super::KEYS;
use crate::hash::{Canon, Fnv64};
use crate::sim::protocol::NodeId;

/// Tree levels: the root (level 0) down to the leaves.
pub const LEVELS: usize = 4;
/// Leaves: ranges of keys in ring order.
pub const LEAVES: usize = 1 << (LEVELS - 1);
/// Keys per leaf range.
pub const KEYS_PER_LEAF: usize = KEYS as usize / LEAVES;
/// The leaf level.
pub const LEAF_LEVEL: u8 = (LEVELS - 1) as u8;

/// One anti-entropy exchange so far, carried in its messages.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Trail {
    /// The node that started it.
    pub initiator: NodeId,
    /// The node it compared with.
    pub peer: NodeId,
    /// Per level, the ranges compared (bit `i` = range `i`).
    pub compared: [u8; LEVELS],
    /// Per level, the ranges found to differ.
    pub differs: [u8; LEVELS],
    /// Hashes sent so far.
    pub hashes: u32,
    /// Key entries sent so far.
    pub keys_sent: u32,
    /// Keys the two nodes host in common (what sending every key would cost).
    pub shared: u32,
}

impl Trail {
    /// Whether range `index` at `level` was compared.
    pub fn was_compared(&self, level: usize, index: usize) -> bool {
        self.compared[level] & (1 << index) != 0
    }
    /// Whether range `index` at `level` differed.
    pub fn differed(&self, level: usize, index: usize) -> bool {
        self.differs[level] & (1 << index) != 0
    }
}

impl fmt::Display for Trail {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "n{}↔n{}: {} hashes, {} keys sent ({} shared)",
            self.initiator, self.peer, self.hashes, self.keys_sent, self.shared
        )
    }
}

impl Canon for Trail {
    fn canon(&self, h: &mut Fnv64) {
        self.initiator.canon(h);
        self.peer.canon(h);
        for l in 0..LEVELS {
            h.u8(self.compared[l]);
            h.u8(self.differs[l]);
        }
        h.u32(self.hashes);
        h.u32(self.keys_sent);
        h.u32(self.shared);
    }
}

/// A Merkle tree: `levels[l]` holds the `2^l` hashes of level `l`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Tree {
    levels: Vec<Vec<u64>>,
}

/// The keys of leaf range `leaf`, in ring order.
pub fn leaf_keys(leaf: u8) -> Vec<Key> {
    keys_in_ring_order()
        .into_iter()
        .skip(usize::from(leaf) * KEYS_PER_LEAF)
        .take(KEYS_PER_LEAF)
        .collect()
}

/// The tree of `store` (versions by `key - 1`) over the keys in `shared`; other keys hash as
/// never written, so two nodes compare exactly the ranges they host in common.
pub fn build(store: &[Version], shared: &[Key]) -> Tree {
    let version = |k: Key| {
        if shared.contains(&k) {
            store.get(usize::from(k) - 1).copied().unwrap_or_default()
        } else {
            Version::default()
        }
    };
    let leaves: Vec<u64> = (0..LEAVES as u8)
        .map(|leaf| {
            let mut h = Fnv64::new();
            for k in leaf_keys(leaf) {
                h.u8(k);
                version(k).canon(&mut h);
            }
            h.finish()
        })
        .collect();
    let mut levels = vec![leaves];
    while levels[0].len() > 1 {
        let parents = levels[0]
            .chunks(2)
            .map(|pair| {
                let mut h = Fnv64::new();
                pair.iter().for_each(|x| h.u64(*x));
                h.finish()
            })
            .collect();
        levels.insert(0, parents);
    }
    Tree { levels }
}

impl Tree {
    /// This tree's hashes at `level` for the ranges `indices`.
    pub fn hashes(&self, level: u8, indices: &[u8]) -> Vec<(u8, u64)> {
        indices
            .iter()
            .filter_map(|&i| {
                Some((
                    i,
                    *self.levels.get(usize::from(level))?.get(usize::from(i))?,
                ))
            })
            .collect()
    }

    /// The ranges among `theirs` (another tree's hashes at `level`) whose hash differs here.
    pub fn differing(&self, level: u8, theirs: &[(u8, u64)]) -> Vec<u8> {
        theirs
            .iter()
            .filter(|(i, x)| {
                self.levels
                    .get(usize::from(level))
                    .and_then(|l| l.get(usize::from(*i)))
                    != Some(x)
            })
            .map(|(i, _)| *i)
            .collect()
    }
}

/// The children of ranges `indices` one level down.
pub fn children(indices: &[u8]) -> Vec<u8> {
    indices.iter().flat_map(|&i| [2 * i, 2 * i + 1]).collect()
}

/// A bitmask of `indices`.
pub fn mask(indices: &[u8]) -> u8 {
    indices.iter().fold(0, |m, &i| m | (1 << i))
}
