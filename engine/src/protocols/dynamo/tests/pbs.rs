//! The staleness measurement: the closed form at t = 0, and the curve measured on the store.

use crate::protocols::dynamo::pbs::{fresh_at_zero, measure, Point, Quorum, CHART, DELAYS, PAIRS};

fn share(p: Point) -> f64 {
    f64::from(p.fresh) / f64::from(p.pairs)
}

/// Three standard deviations of a share measured over `pairs` pairs with chance `p`.
fn three_sigma(p: f64, pairs: u32) -> f64 {
    3.0 * (p * (1.0 - p) / f64::from(pairs)).sqrt()
}

#[test]
fn the_closed_form_is_the_chance_a_read_quorum_meets_the_write_quorum() {
    // Bailis et al. 2012, §3: 1 − C(N−W, R) / C(N, R).
    let close = |n, r, w, expected: f64| {
        let got = fresh_at_zero(Quorum { n, r, w });
        assert!((got - expected).abs() < 1e-12, "({n},{r},{w}): {got}");
    };
    close(3, 1, 1, 1.0 / 3.0);
    close(3, 1, 2, 2.0 / 3.0);
    close(3, 2, 1, 2.0 / 3.0);
    close(3, 2, 2, 1.0);
    close(5, 1, 1, 0.2);
    close(5, 2, 2, 1.0 - 3.0 / 10.0);
    close(1, 1, 1, 1.0);
    // R + W > N: every read quorum meets every write quorum.
    close(5, 3, 3, 1.0);
    // Out-of-range quorums are capped at N, as the store's options are.
    close(3, 9, 0, fresh_at_zero(Quorum { n: 3, r: 3, w: 1 }));
}

#[test]
fn at_t_zero_the_measured_store_matches_the_closed_form_for_every_chart_config() {
    const PAIRS_AT_ZERO: u32 = 2_000;
    for &q in CHART {
        for seed in [1, 2] {
            let point = measure(q, 0, PAIRS_AT_ZERO, seed);
            assert_eq!(point.pairs, PAIRS_AT_ZERO, "{q:?}: every pair ran");
            let expected = fresh_at_zero(q);
            let got = share(point);
            let tolerance = three_sigma(expected, PAIRS_AT_ZERO);
            assert!(
                (got - expected).abs() <= tolerance,
                "{q:?} seed {seed}: measured {got:.4}, closed form {expected:.4} ± {tolerance:.4}"
            );
            if expected == 1.0 {
                assert_eq!(point.fresh, point.pairs, "{q:?}: R + W > N is never stale");
            }
        }
    }
}

#[test]
fn a_partial_quorum_is_stale_at_first_and_fresh_once_the_write_has_landed() {
    for &q in CHART {
        let curve: Vec<Point> = DELAYS.iter().map(|&t| measure(q, t, PAIRS, 7)).collect();
        let tolerance = three_sigma(0.5, PAIRS);
        for pair in curve.windows(2) {
            assert!(
                share(pair[1]) + tolerance >= share(pair[0]),
                "{q:?}: staleness rose from t={} to t={}: {curve:?}",
                pair[0].t,
                pair[1].t
            );
        }
        let last = curve[curve.len() - 1];
        assert_eq!(
            last.fresh, last.pairs,
            "{q:?}: every read is fresh at t={}",
            last.t
        );
        if fresh_at_zero(q) < 1.0 {
            assert!(
                share(curve[0]) < 0.9,
                "{q:?}: stale reads at t=0: {curve:?}"
            );
            assert!(
                share(curve[curve.len() / 2]) > share(curve[0]) + tolerance,
                "{q:?}: fresher by t={}: {curve:?}",
                curve[curve.len() / 2].t
            );
        }
    }
}

#[test]
fn a_measurement_is_a_function_of_its_inputs() {
    let q = CHART[0];
    assert_eq!(measure(q, 10, 300, 4), measure(q, 10, 300, 4));
    assert_ne!(measure(q, 10, 300, 4), measure(q, 10, 300, 5));
    // Quorums beyond N are capped at N, like the store's options.
    let capped = measure(Quorum { n: 3, r: 7, w: 1 }, 0, 200, 3);
    assert_eq!(capped, measure(Quorum { n: 3, r: 3, w: 1 }, 0, 200, 3));
    assert_eq!(capped.fresh, capped.pairs, "R = N reads every replica");
}
