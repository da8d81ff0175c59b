//! Probabilistically bounded staleness, measured on the running store.
//!
//! Bailis, Venkataraman, Franklin, Hellerstein and Stoica ("Probabilistically Bounded
//! Staleness for Practical Partial Quorums", VLDB 2012) ask of a partial quorum (R + W ≤ N):
//! how likely is a read that starts `t` after a write was acknowledged to return it? At t = 0
//! only the W replicas that acknowledged are sure to hold the write, and a read meets one of
//! them unless its R replies all come from the other N − W (§3):
//! `1 − C(N−W, R) / C(N, R)`. As t grows, the write's remaining deliveries land and the chance
//! rises to 1 (their WARS model, §4). Here the same curve is *measured*: the store's own
//! handlers run in a headless world, pair after pair.
//!
//! The world ([`world`]): client n5 writes, client n6 reads. The writer is near n0 and far from
//! n4: its link to storage node `i` takes `20·i + 1 ..= 20·i + 14` ticks ([`BAND_TICKS`]), so a
//! write reaches a key's home nodes one band after another and is acknowledged (over 1-tick
//! links back) by the first W while the others are still on the wire. The reader is near every
//! node (1–4 ticks each way) and asks the home nodes in a random order, so its R replies come
//! from a uniformly chosen R of the N. The gap between two bands (7 ticks) is wider than the
//! news of the acknowledgement (1 tick) plus a read request (at most 4), so at t = 0 a read
//! reaches a replica that did not acknowledge before the write does: the closed form holds,
//! and the tests check it within three standard deviations. Each pair writes a fresh version of
//! the next key (keys cycle), waits for W acknowledgements, tells the reader, which reads `t`
//! ticks after the acknowledgement (one tick after it at t = 0: the news takes a tick) and
//! counts the read fresh if it returned that version or a newer one; then the next pair starts.
//! Sloppy quorums, read repair and anti-entropy are off.

use super::node::{READER, WRITER};
use super::types::State;
use super::{Dynamo, Workload, STORAGE};
use crate::sim::spec::{Action, Override, RunSpec};
use crate::sim::world::{LinkCfg, Scenario, Sim, SimOptions};

/// One (N, R, W) configuration of the staleness chart.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Quorum {
    /// Replicas per key.
    pub n: u8,
    /// Read quorum.
    pub r: u8,
    /// Write quorum.
    pub w: u8,
}

/// The chart's measured point: of `pairs` write-then-read pairs where the read starts `t` ticks
/// after the write was acknowledged, how many reads returned that write (or a newer one).
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Point {
    /// Ticks from the write's acknowledgement to the read.
    pub t: u64,
    /// Reads that returned the pair's write or a newer one.
    pub fresh: u32,
    /// Pairs measured.
    pub pairs: u32,
}

impl std::fmt::Display for Quorum {
    /// `N=3 R=2 W=1`, as the chart's legend and table name a curve.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "N={} R={} W={}", self.n, self.r, self.w)
    }
}

impl Point {
    /// The share of fresh reads, in percent (0 for a point without pairs).
    pub fn fresh_percent(&self) -> f64 {
        if self.pairs == 0 {
            0.0
        } else {
            f64::from(self.fresh) * 100.0 / f64::from(self.pairs)
        }
    }
}

/// The configurations and delays the chapter's chart draws, and the pairs per point.
pub const CHART: &[Quorum] = &[
    Quorum { n: 3, r: 1, w: 1 },
    Quorum { n: 3, r: 1, w: 2 },
    Quorum { n: 3, r: 2, w: 1 },
    Quorum { n: 3, r: 2, w: 2 },
];
/// The delays `t` of the chart, ticks: 0, 5, … 95.
pub const DELAYS: &[u64] = &[
    0, 5, 10, 15, 20, 25, 30, 35, 40, 45, 50, 55, 60, 65, 70, 75, 80, 85, 90, 95,
];
/// Pairs per point of the chart.
pub const PAIRS: u32 = 1_000;

/// Most pairs one measurement runs (more are not run; the point says how many were).
pub const PAIRS_MAX: u32 = 20_000;
/// The writer's link to storage node `i` takes `BAND_TICKS.0 + 20·i ..= BAND_TICKS.1 + 20·i`.
pub const BAND_TICKS: (u64, u64) = (1, 14);
/// The step between two storage nodes' bands.
pub const BAND_STEP_TICKS: u64 = 20;
/// The reader's links, both ways, to every storage node.
pub const READER_TICKS: (u64, u64) = (1, 4);
/// The request timeout in the measurement: longer than any write's acknowledgement, so no
/// request is ever retried.
pub const TIMEOUT_TICKS: u64 = 1_000;
/// Steps run between two looks at the reader's progress.
const STEPS_PER_LOOK: u64 = 4_096;
/// Most steps a pair may take (about 30 are enough; a pair whose operation gave up is never
/// counted, so the run stops at this budget instead of waiting for it).
const STEPS_PER_PAIR_MAX: u64 = 200;

/// The closed form for t = 0 (Bailis et al. 2012, §3): 1 − C(N−W, R) / C(N, R), the chance a
/// read quorum meets the write quorum, as (numerator, denominator) or f64.
pub fn fresh_at_zero(q: Quorum) -> f64 {
    let (n, r, w) = clamped(q);
    let miss = binomial(n - w, r) as f64 / binomial(n, r) as f64;
    1.0 - miss
}

/// `C(n, k)`, 0 when `k > n`.
fn binomial(n: u64, k: u64) -> u64 {
    if k > n {
        return 0;
    }
    (0..k).fold(1, |c, i| c * (n - i) / (i + 1))
}

/// (N, R, W) within what the store offers: N in 1..=5, R and W in 1..=N.
fn clamped(q: Quorum) -> (u64, u64, u64) {
    let n = u64::from(q.n).clamp(1, u64::from(STORAGE));
    (n, u64::from(q.r).clamp(1, n), u64::from(q.w).clamp(1, n))
}

/// The measurement's world for `q` and delay `t`: the store with `pairs` write/read pairs.
pub fn world(q: Quorum, t: u64, pairs: u32) -> Scenario<Dynamo> {
    Scenario {
        id: "pbs",
        title: "Probabilistically bounded staleness",
        description: "A writer far from most replicas and a reader near all of them, pair after \
                      pair: how often does a read t ticks after a write's acknowledgement see it?",
        nodes: STORAGE + 2,
        protocol: Dynamo {
            timeout_ticks: TIMEOUT_TICKS,
            workload: Workload::Pairs {
                pairs: pairs.min(PAIRS_MAX),
                delay_ticks: t,
            },
        },
        net: LinkCfg::calm(1, 1),
        calm: LinkCfg::calm(1, 1),
        script: opening(q),
        properties: Vec::new(),
        workload: Vec::new(),
        faulty_nodes: Vec::new(),
        safety_ticks: 0,
    }
}

/// The links and options the measurement starts with.
fn opening(q: Quorum) -> Vec<Override> {
    let (n, r, w) = clamped(q);
    let mut script = Vec::new();
    for i in 0..STORAGE {
        let base = BAND_STEP_TICKS * u64::from(i);
        script.push(Action::Latency(
            Some((WRITER, i)),
            BAND_TICKS.0 + base,
            BAND_TICKS.1 + base,
        ));
        for link in [(READER, i), (i, READER)] {
            script.push(Action::Latency(Some(link), READER_TICKS.0, READER_TICKS.1));
        }
    }
    for (name, choice) in [
        ("n", n.to_string()),
        ("r", r.to_string()),
        ("w", w.to_string()),
        ("sloppy", "off".to_string()),
        ("repair", "off".to_string()),
        ("anti-entropy", "off".to_string()),
    ] {
        script.push(Action::Set(name.to_string(), choice));
    }
    script.into_iter().map(|a| Override::at(0, a)).collect()
}

/// Runs the leaderless store (the real protocol, in a headless world) for `pairs` write/read
/// pairs at delay `t`, deterministically from `seed`. At most [`PAIRS_MAX`] pairs run; the
/// point's `pairs` is how many were measured.
pub fn measure(q: Quorum, t: u64, pairs: u32, seed: u64) -> Point {
    let scenario = world(q, t, pairs);
    let wanted = pairs.min(PAIRS_MAX);
    let mut spec = RunSpec::new(scenario.id, seed);
    spec.overrides = scenario.script.clone();
    let mut point = Point {
        t,
        fresh: 0,
        pairs: 0,
    };
    let Ok(mut sim) = Sim::new(scenario, spec, SimOptions::FAST) else {
        return point;
    };
    let budget = u64::from(wanted) * STEPS_PER_PAIR_MAX + STEPS_PER_LOOK;
    loop {
        if let Some(State::Client(c)) = sim.world_ref().state(READER) {
            point.fresh = c.pairs.fresh;
            point.pairs = c.pairs.read;
        }
        if point.pairs >= wanted || sim.step_count() >= budget {
            return point;
        }
        match sim.run_steps(STEPS_PER_LOOK) {
            Ok(ran) if ran > 0 => {}
            _ => return point,
        }
    }
}
