//! The runs a quorum-read check is made of: every run has skewed clocks (replicas hundreds of
//! ticks apart); a seed is either a *swarm* run (a random workload on both keys with random
//! crashes, cuts and message loss, then a heal) or one of the scripted runs that reach the
//! states each rule of a read exists for:
//!
//! - `quorum-stale-replica`: `a` is written nine times; n0, whose clock is 400 ticks ahead,
//!   misses the tenth write (counter 10); then n5 reads `a` while n2 is cut off and n1 answers
//!   slowly, so the first reply is n0's stale one, its timestamp is the latest, and its
//!   version `9.5` is the larger as text (first-reply, wall-clock and textual answers are
//!   stale; a read that waits for all three homes is never answered; n0 must be repaired).
//! - `quorum-sloppy`: n2 is cut off during two writes of `a`, whose copies for n2 go to the
//!   fallbacks n3 (the first) and n4 (the second) as hints; then n5, cut from n0, n1 and n4,
//!   reads `a`: the only replies are n2's empty copy and n3's old hint (a quorum that counts
//!   the hint is stale).
//! - `quorum-concurrent`: n5 and n6 write `b` at once, so both writes get counter 1 (n6's
//!   wins the tie) but n6's misses n3, whose clock is the fastest of `b`'s homes; n5 then reads
//!   `b` with n3's reply first (a comparison of counters alone, or of timestamps on a tie, is
//!   stale; a tie that is not repaired stays). Then n6 writes `a` while n5 reads it: the write reaches n2
//!   first, whose reply to the read is slow, and the read answers the older version from n0
//!   and n1 (correctly: the write is not yet acknowledged); a repair sent to n2, which did not
//!   reply, overwrites the write that is about to be acknowledged.
//!
//! Every run ends with a tail in which both clients write and read both keys, after the last
//! fault.

use std::rc::Rc;

use super::node::Quorum;
use super::properties::properties;
use super::rules::{ReadRules, Reference};
use super::{CLIENTS, READ_ANSWER_TICKS, REPAIR_TICKS, REPLICAS};
use crate::rng::Rng;
use crate::sim::protocol::NodeId;
use crate::sim::spec::{Action, Override, RunSpec, When};
use crate::sim::world::{LinkCfg, Scenario};

/// The swarm run's id (also the registry's scenario of the chapter).
pub const SWARM: &str = "quorum-read-repair";
/// The scripted runs, in the order seeds take them.
pub const SCRIPTED: [&str; 3] = ["quorum-stale-replica", "quorum-sloppy", "quorum-concurrent"];
/// Every this many seeds, one is a scripted run (in turn) instead of a swarm run.
pub const SCRIPTED_EVERY: u64 = 4;

/// Every link at the start: 2–5 ticks.
pub const NET: LinkCfg = LinkCfg::calm(2, 5);

/// A link made slow for a scripted run.
const SLOW_TICKS: (u64, u64) = (40, 50);

/// The clocks: (node, skew in ticks). The clients' clocks are off too: the history is kept in
/// true time, never a node's clock.
const SKEW: [(NodeId, i64); 6] = [(0, 400), (2, 200), (3, 300), (4, 100), (5, 37), (6, 91)];

/// When the swarm's faults stop: the heal comes here and the tail follows.
const SWARM_HEAL_AT: u64 = 520;

/// The client nodes.
pub fn clients() -> impl Iterator<Item = NodeId> {
    REPLICAS..REPLICAS + CLIENTS
}

/// The store with `rules` as every read's rules, as run `id` with `script` as its default run.
fn build(id: &'static str, rules: Rc<dyn ReadRules>, script: Vec<Override>) -> Scenario<Quorum> {
    Scenario {
        id,
        title: "Quorum reads with read repair",
        description: "Five replicas on a ring, keys on three homes each (N=3, R=2, W=2), \
                      sloppy quorums with hinted handoff; two clients coordinate their reads and \
                      writes.",
        nodes: REPLICAS + CLIENTS,
        protocol: Quorum { rules },
        net: NET,
        calm: NET,
        script,
        properties: properties(),
        workload: vec![
            (5, "ra"),
            (5, "rb"),
            (5, "wa1"),
            (5, "wb2"),
            (6, "ra"),
            (6, "rb"),
            (6, "wa3"),
            (6, "wb4"),
        ],
        faulty_nodes: (0..REPLICAS).collect(),
        safety_ticks: SWARM_HEAL_AT,
    }
}

/// Run `id` of the challenge with `rules`: its default run is the run's script at seed 0.
pub fn scenario(id: &'static str, rules: Rc<dyn ReadRules>) -> Scenario<Quorum> {
    let script = scripted(id, 0).unwrap_or_else(|| swarm(&mut Rng::new(GENERATOR_SALT)));
    build(id, rules, sorted(script))
}

/// Every run of the challenge with the reference rules, for the registry.
pub fn reference(id: &'static str) -> Scenario<Quorum> {
    scenario(id, Rc::new(Reference))
}

/// Every run's start: skewed clocks.
fn setup() -> Vec<Override> {
    SKEW.iter()
        .map(|&(n, skew)| Override::at(0, Action::Clock(n, skew, 0)))
        .collect()
}

/// Values are unique in a run: client `n`'s `k`-th write writes `100 n + k`.
struct Values([u64; CLIENTS as usize]);

impl Values {
    fn next(&mut self, client: NodeId, key: &str) -> String {
        let i = usize::from(client - REPLICAS);
        self.0[i] += 1;
        format!("w{key}{}", 100 * u64::from(client) + self.0[i])
    }
}

fn request(t: u64, client: NodeId, text: String) -> Override {
    Override::at(t, Action::Request(client, text))
}

fn cut_both(t: u64, a: NodeId, b: NodeId) -> [Override; 2] {
    [
        Override::at(t, Action::Cut(a, b)),
        Override::at(t, Action::Cut(b, a)),
    ]
}

fn mend_both(t: u64, a: NodeId, b: NodeId) -> [Override; 2] {
    [
        Override::at(t, Action::Mend(a, b)),
        Override::at(t, Action::Mend(b, a)),
    ]
}

fn latency(t: u64, from: NodeId, to: NodeId, (lo, hi): (u64, u64)) -> Override {
    Override::at(t, Action::Latency(Some((from, to)), lo, hi))
}

/// The tail from `t`: each client writes both keys, then reads both.
fn tail(t: u64, v: &mut Values) -> Vec<Override> {
    let mut o = Vec::new();
    for (i, c) in clients().enumerate() {
        let t = t + 5 * i as u64;
        o.push(request(t, c, v.next(c, "a")));
        o.push(request(t + 1, c, v.next(c, "b")));
        o.push(request(t + 2, c, "ra".to_string()));
        o.push(request(t + 3, c, "rb".to_string()));
    }
    o
}

/// Writes of `a` before the stale replica falls behind: the counter reaches 9, so that the
/// next write's counter has one digit more.
const WRITES_BEFORE_STALE: usize = 9;

/// `quorum-stale-replica` (see the module documentation), shifted by `d` ticks.
fn stale_replica(d: u64, v: &mut Values) -> Vec<Override> {
    let mut o = setup();
    for _ in 0..WRITES_BEFORE_STALE {
        o.push(request(20 + d, 5, v.next(5, "a")));
    }
    for n in [5, 3, 4] {
        o.extend(cut_both(220 + d, n, 0));
    }
    o.push(request(230 + d, 5, v.next(5, "a")));
    o.extend(mend_both(290 + d, 5, 0));
    o.extend(cut_both(290 + d, 5, 2));
    o.push(latency(290 + d, 1, 5, SLOW_TICKS));
    o.push(request(300 + d, 5, "ra".into()));
    o.push(Override::at(560 + d, Action::HealAll));
    o.extend(tail(580 + d, v));
    o
}

/// `quorum-sloppy`.
fn sloppy(d: u64, v: &mut Values) -> Vec<Override> {
    let mut o = setup();
    for n in [5, 3, 4] {
        o.extend(cut_both(10 + d, n, 2));
    }
    o.push(request(20 + d, 5, v.next(5, "a")));
    o.extend(cut_both(80 + d, 5, 3));
    o.push(request(90 + d, 5, v.next(5, "a")));
    for n in [0, 1, 4] {
        o.extend(cut_both(180 + d, 5, n));
    }
    o.extend(mend_both(180 + d, 5, 2));
    o.extend(mend_both(180 + d, 5, 3));
    o.push(request(190 + d, 5, "ra".into()));
    o.push(Override::at(330 + d, Action::HealAll));
    o.extend(tail(350 + d, v));
    o
}

/// `quorum-concurrent`.
fn concurrent(d: u64, v: &mut Values) -> Vec<Override> {
    let mut o = setup();
    // Key b (homes n2 n3 n4): two writes at once; n6's misses n3, and neither n6 nor the
    // fallbacks n0, n1 can reach n3 with it.
    for n in [3, 0, 1] {
        o.extend(cut_both(10 + d, 6, n));
    }
    for n in [0, 1] {
        o.extend(cut_both(10 + d, n, 3));
    }
    o.push(request(20 + d, 5, v.next(5, "b")));
    o.push(request(20 + d, 6, v.next(6, "b")));
    o.extend(cut_both(60 + d, 5, 2));
    o.push(latency(60 + d, 4, 5, SLOW_TICKS));
    o.push(request(70 + d, 5, "rb".into()));
    o.extend(mend_both(130 + d, 5, 2));
    o.push(latency(
        130 + d,
        4,
        5,
        (NET.latency_min_ticks, NET.latency_max_ticks),
    ));
    // Key a (homes n0 n1 n2): n5 writes it; later n6 writes it while n5 reads it.
    o.push(request(135 + d, 5, v.next(5, "a")));
    for n in [0, 1] {
        o.extend(mend_both(140 + d, 6, n));
        o.push(latency(140 + d, 6, n, SLOW_TICKS));
    }
    o.push(latency(140 + d, 2, 5, SLOW_TICKS));
    o.push(request(150 + d, 6, v.next(6, "a")));
    o.push(request(215 + d, 5, "ra".into()));
    o.push(Override::at(300 + d, Action::HealAll));
    o.extend(tail(320 + d, v));
    o
}

/// A swarm run: a random workload of 5–10 operations per client on both keys over 20..480, a
/// random loss rate, and up to six faults (a replica crashes and later restarts; a client and
/// a replica, or two replicas, are cut apart and later mended), then a heal-all at 520 and the
/// tail.
fn swarm(rng: &mut Rng) -> Vec<Override> {
    let mut v = Values([0; CLIENTS as usize]);
    let mut o = setup();
    let loss = [0, 0, 20_000, 50_000][rng.below(4) as usize];
    if loss > 0 {
        o.push(Override::at(0, Action::Loss(None, loss)));
    }
    for c in clients() {
        let ops = rng.range_inclusive(5, 10);
        let mut times: Vec<u64> = (0..ops).map(|_| rng.range_inclusive(20, 480)).collect();
        times.sort_unstable();
        for t in times {
            let key = if rng.below(2) == 0 { "a" } else { "b" };
            let text = if rng.below(2) == 0 {
                v.next(c, key)
            } else {
                format!("r{key}")
            };
            o.push(request(t, c, text));
        }
    }
    let faults = rng.below(7);
    let mut starts: Vec<u64> = (0..faults).map(|_| rng.range_inclusive(30, 420)).collect();
    starts.sort_unstable();
    // A replica crashes again only after its restart.
    let mut up_again = [0u64; REPLICAS as usize];
    for t in starts {
        let until = (t + rng.range_inclusive(30, 200)).min(SWARM_HEAL_AT - 10);
        match rng.below(3) {
            0 => {
                let r = rng.below(u64::from(REPLICAS)) as NodeId;
                if t > up_again[usize::from(r)] {
                    o.push(Override::at(t, Action::Crash(r)));
                    o.push(Override::at(until, Action::Restart(r)));
                    up_again[usize::from(r)] = until;
                }
            }
            1 => {
                let c = REPLICAS + rng.below(u64::from(CLIENTS)) as NodeId;
                let r = rng.below(u64::from(REPLICAS)) as NodeId;
                o.extend(cut_both(t, c, r));
                o.extend(mend_both(until, c, r));
            }
            _ => {
                let a = rng.below(u64::from(REPLICAS)) as NodeId;
                let b = (a + 1 + rng.below(u64::from(REPLICAS) - 1) as NodeId) % REPLICAS;
                o.extend(cut_both(t, a, b));
                o.extend(mend_both(until, a, b));
            }
        }
    }
    o.push(Override::at(SWARM_HEAL_AT, Action::HealAll));
    o.extend(tail(SWARM_HEAL_AT + 20, &mut v));
    o
}

/// The scripted run `id` shifted by `d` ticks, if `id` is one.
fn scripted(id: &str, d: u64) -> Option<Vec<Override>> {
    let mut v = Values([0; CLIENTS as usize]);
    match id {
        "quorum-stale-replica" => Some(stale_replica(d, &mut v)),
        "quorum-sloppy" => Some(sloppy(d, &mut v)),
        "quorum-concurrent" => Some(concurrent(d, &mut v)),
        _ => None,
    }
}

/// Overrides in time order (stable: same-time overrides keep their order).
fn sorted(mut overrides: Vec<Override>) -> Vec<Override> {
    overrides.sort_by_key(|o| match o.at {
        When::Time(t) => t,
        When::Step(s) => s,
    });
    overrides
}

/// Mixed into the seed so that runs differ from other generators' runs of the same seed.
const GENERATOR_SALT: u64 = 0x0A0B_0C0D_D1A3_0003;

/// The run of `seed`: every [`SCRIPTED_EVERY`]-th a scripted run (in turn, shifted by 0–9
/// ticks), the others swarm runs. Overrides are in time order.
pub fn run_of(seed: u64) -> RunSpec {
    let mut rng = Rng::new(seed ^ GENERATOR_SALT);
    let (scenario, overrides) = if seed % SCRIPTED_EVERY == SCRIPTED_EVERY - 1 {
        let id = SCRIPTED[((seed / SCRIPTED_EVERY) % SCRIPTED.len() as u64) as usize];
        let d = rng.range_inclusive(0, 9);
        (id, scripted(id, d).unwrap_or_default())
    } else {
        (SWARM, swarm(&mut rng))
    };
    RunSpec {
        scenario: scenario.to_string(),
        seed,
        overrides: sorted(overrides),
    }
}

/// Ticks a run goes on after its last override: the longer of T and the repair window, and a
/// margin.
pub const TAIL_TICKS: u64 = if READ_ANSWER_TICKS > REPAIR_TICKS {
    READ_ANSWER_TICKS
} else {
    REPAIR_TICKS
} + 60;
