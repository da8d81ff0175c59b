//! Consistent hashing and quorum arithmetic.

use crate::protocols::dynamo::ring::*;
use crate::protocols::dynamo::{quorums, KEYS, STORAGE};

#[test]
fn a_keys_preference_list_is_the_first_n_nodes_clockwise_from_it() {
    // Dynamo §4.2: "the first N successor positions, walking the ring clockwise".
    for key in 1..=KEYS {
        let p = key_position(key);
        let list = preference_list(key, 3);
        assert_eq!(list.len(), 3);
        let first = list[0];
        // The first home is the first token at or after the key's position, wrapping.
        let clockwise = |node| (token(node) + RING_POSITIONS - p) % RING_POSITIONS;
        assert!(
            (0..STORAGE).all(|other| clockwise(first) <= clockwise(other)),
            "k{key} at {p}: n{first} is not the first node clockwise"
        );
        assert_eq!(list, vec![first, successor(first, 1), successor(first, 2)]);
        // More replicas extend the same walk; the fallbacks continue it.
        assert_eq!(preference_list(key, 2), list[..2].to_vec());
        let mut whole = list.clone();
        whole.extend(fallbacks(key, 3));
        assert_eq!(whole, preference_list(key, 5));
        assert_eq!(whole.len(), usize::from(STORAGE));
        assert!(fallbacks(key, 5).is_empty());
    }
    // The scenarios rely on these.
    assert_eq!(preference_list(1, 3), vec![1, 2, 3]);
    assert_eq!(preference_list(10, 3), vec![2, 3, 4]);
    assert_eq!(preference_list(14, 3), vec![2, 3, 4]);
    assert_eq!(fallbacks(1, 3), vec![4, 0]);
    // Out-of-range replica counts are capped.
    assert_eq!(preference_list(1, 0), vec![1]);
    assert_eq!(preference_list(1, 9).len(), usize::from(STORAGE));
}

#[test]
fn two_nodes_share_the_keys_whose_preference_lists_hold_both() {
    for a in 0..STORAGE {
        for b in 0..STORAGE {
            assert_eq!(shared_keys(a, b, 3), shared_keys(b, a, 3));
            for k in shared_keys(a, b, 3) {
                assert!(is_home(a, k, 3) && is_home(b, k, 3));
            }
        }
        assert!(shared_keys(a, successor(a, 1), 1).is_empty());
        assert_eq!(shared_keys(a, a, 5).len(), usize::from(KEYS));
    }
    // With N=2, nodes two steps apart share nothing.
    assert!(shared_keys(0, 2, 2).is_empty());
    assert_eq!(keys_in_ring_order().len(), usize::from(KEYS));
}

/// Whether every `r`-subset of `n` replicas meets every `w`-subset, by enumeration.
fn every_pair_of_quorums_meets(n: usize, r: usize, w: usize) -> bool {
    let subsets = |size: usize| (0u32..1 << n).filter(move |s| s.count_ones() as usize == size);
    subsets(r).all(|read| subsets(w).all(|write| read & write != 0))
}

#[test]
fn quorums_overlap_exactly_when_r_plus_w_exceeds_n() {
    // Gifford 1979; Dynamo §4.5: "Setting R and W such that R + W > N yields a quorum-like
    // system."
    for n in 1..=5 {
        for r in 1..=n {
            for w in 1..=n {
                assert_eq!(
                    quorums_overlap(n, r, w),
                    every_pair_of_quorums_meets(n, r, w),
                    "N={n} R={r} W={w}"
                );
            }
        }
    }
    assert!(quorums_overlap(3, 2, 2));
    assert!(!quorums_overlap(3, 1, 2));
    assert!(!quorums_overlap(3, 1, 1));
    // The options cap R and W at N.
    let q = quorums(|name| match name {
        "n" => "2",
        _ => "5",
    });
    assert_eq!((q.n, q.r, q.w), (2, 2, 2));
}
