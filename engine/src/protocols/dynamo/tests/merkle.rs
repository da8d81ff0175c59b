//! Anti-entropy through Merkle trees, run by the storage nodes' own handlers.

use crate::protocols::dynamo::merkle::{build, leaf_keys, Trail, LEAVES, LEVELS};
use crate::protocols::dynamo::ring::{keys_in_ring_order, shared_keys};
use crate::protocols::dynamo::types::{Msg, Note, State, StorageState, Timer, Version};
use crate::protocols::dynamo::{leaderless_quorum, Dynamo, KEYS, OPTIONS};
use crate::rng::Rng;
use crate::sim::protocol::{Ctx, Effect, NodeId, Protocol};

/// The two nodes compared: neighbours on the ring, which share 7 keys under N=3.
const P: NodeId = 2;
const Q: NodeId = 3;

fn version(counter: u64) -> Version {
    Version { counter, client: 5 }
}

fn storage(store: Vec<Version>) -> State {
    State::Storage(StorageState {
        store,
        // The next round goes to the ring successor at distance 1.
        rounds: 1,
        ..StorageState::default()
    })
}

/// Runs one exchange that `P` starts with `Q`, delivering every message at once: the trail
/// the node that ends it records, and both stores afterwards.
fn exchange(p: Vec<Version>, q: Vec<Version>) -> (Trail, Vec<Version>, Vec<Version>) {
    let dynamo: Dynamo = leaderless_quorum().protocol;
    let choices: Vec<u8> = OPTIONS.iter().map(|o| o.default as u8).collect();
    let mut states = [storage(p), storage(q)];
    let mut rng = Rng::new(1);
    let mut effects: Vec<Effect<Dynamo>> = Vec::new();
    {
        let mut ctx = Ctx::new(P, 7, 0, &mut rng, &mut effects).with_options(OPTIONS, &choices);
        dynamo.on_timer(&mut states[0], Timer::AntiEntropy, &mut ctx);
    }
    let mut from = P;
    for _ in 0..2 * LEVELS + 2 {
        let mut trail = None;
        let mut sends: Vec<(NodeId, Msg)> = Vec::new();
        for e in effects.drain(..) {
            match e {
                Effect::Send(to, msg) => sends.push((to, msg)),
                Effect::Observe(Note::Exchanged(t)) => trail = Some(t),
                _ => {}
            }
        }
        if let Some(trail) = trail {
            let [State::Storage(a), State::Storage(b)] = states else {
                unreachable!("both are storage nodes")
            };
            return (trail, a.store, b.store);
        }
        assert_eq!(sends.len(), 1, "an exchange is one message at a time");
        let (to, msg) = sends.pop().unwrap();
        let i = usize::from(to == Q);
        let mut ctx = Ctx::new(to, 7, 0, &mut rng, &mut effects).with_options(OPTIONS, &choices);
        dynamo.on_message(&mut states[i], from, msg, &mut ctx);
        from = to;
    }
    panic!("the exchange did not end");
}

fn store_with(written: &[(u8, u64)]) -> Vec<Version> {
    let mut store = vec![Version::default(); usize::from(KEYS)];
    for &(k, c) in written {
        store[usize::from(k) - 1] = version(c);
    }
    store
}

fn shared() -> Vec<u8> {
    shared_keys(P, Q, 3)
}

#[test]
fn identical_replicas_exchange_one_hash() {
    let data: Vec<(u8, u64)> = shared().iter().map(|&k| (k, 4)).collect();
    let (trail, a, b) = exchange(store_with(&data), store_with(&data));
    assert_eq!(trail.hashes, 1, "{trail}");
    assert_eq!(trail.keys_sent, 0);
    assert_eq!(trail.shared, 7);
    assert_eq!(trail.compared, [1, 0, 0, 0]);
    assert_eq!(trail.differs, [0; LEVELS]);
    assert_eq!(a, b);
}

#[test]
fn one_differing_key_costs_one_hash_per_level_and_its_sibling_and_is_repaired() {
    // Dynamo §4.7: "Merkle trees minimize the amount of data that needs to be transferred for
    // synchronization": here the root, then two children per level down to the leaves.
    for &k in &shared() {
        let base: Vec<(u8, u64)> = shared().iter().map(|&x| (x, 2)).collect();
        let mut newer = base.clone();
        newer.retain(|(x, _)| *x != k);
        newer.push((k, 3));
        for (p, q) in [(&newer, &base), (&base, &newer)] {
            let (trail, a, b) = exchange(store_with(p), store_with(q));
            assert_eq!(trail.hashes, 1 + 2 * (LEVELS as u32 - 1), "k{k}: {trail}");
            let leaf = (0..LEAVES as u8)
                .find(|&l| leaf_keys(l).contains(&k))
                .unwrap();
            assert_eq!(trail.differs[LEVELS - 1], 1 << leaf, "k{k}");
            let in_leaf = leaf_keys(leaf)
                .iter()
                .filter(|x| shared().contains(x))
                .count();
            // The leaves are compared by the node that started (levels alternate), which sends
            // the leaf's shared keys; the newer one comes back if it held the older.
            let back = u32::from(p == &base);
            assert_eq!(trail.keys_sent, in_leaf as u32 + back, "k{k}: {trail}");
            assert_eq!(a, b, "k{k}: both hold the newer version afterwards");
            assert_eq!(a[usize::from(k) - 1], version(3));
        }
    }
}

#[test]
fn every_key_differing_opens_the_whole_tree() {
    let old: Vec<(u8, u64)> = shared().iter().map(|&k| (k, 1)).collect();
    let new: Vec<(u8, u64)> = shared().iter().map(|&k| (k, 2)).collect();
    let (trail, a, b) = exchange(store_with(&old), store_with(&new));
    // Only ranges holding a shared key can differ.
    let ranges_with_shared = (0..LEAVES as u8)
        .filter(|&l| leaf_keys(l).iter().any(|k| shared().contains(k)))
        .count() as u32;
    assert_eq!(trail.differs[LEVELS - 1].count_ones(), ranges_with_shared);
    assert!(trail.hashes > 1 + 2 * (LEVELS as u32 - 1));
    assert_eq!(a, b);
}

#[test]
fn keys_the_two_nodes_do_not_share_are_left_out_of_the_comparison() {
    let unshared: Vec<u8> = (1..=KEYS).filter(|k| !shared().contains(k)).collect();
    assert!(!unshared.is_empty());
    let (trail, a, b) = exchange(store_with(&[(unshared[0], 9)]), store_with(&[]));
    assert_eq!(
        trail.hashes, 1,
        "a key only one of them hosts is not theirs to compare"
    );
    assert_ne!(a, b);
    // The trees themselves: a difference outside `shared` changes no hash.
    let t1 = build(&store_with(&[(unshared[0], 9)]), &shared());
    let t2 = build(&store_with(&[]), &shared());
    assert_eq!(t1, t2);
    assert_eq!(keys_in_ring_order().len(), LEAVES * 2);
}
