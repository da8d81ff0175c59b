//! The runs a session-token check is made of: every run has lag (n1 hears the leader n0 60–80
//! ticks late) and skewed clocks (n0 400 ticks ahead, n2 200, n1 on time); on top of that a
//! seed is either a *swarm* run (a random workload with random crashes and cuts, then a heal)
//! or one of the scripted runs that reach the states each rule of a session exists for:
//!
//! - `tokens-lag`: n3 writes, then reads at its home n1, which lags (read your writes); later
//!   n3, cut from n1, reads a fresh write at n2, then n1 again before n1 has it (monotonic
//!   reads).
//! - `tokens-failover`: n3's write reaches only the leader n0, which is cut off and crashes; a
//!   follower takes over. n4's home is n0 (a sticky session never gets an answer again); the
//!   new leader's clock is 400 ticks behind the old one's (wall-clock tokens go wrong); n0
//!   comes back with the write that was overtaken.
//! - `tokens-stale-leader`: n3 writes and at once reads at n1, which lags (read your
//!   writes); then n0 is cut from the other replicas and keeps accepting writes in its old
//!   epoch while n1 leads a later one. n4 writes at the new leader; n3, cut from n0, reads that write
//!   (a wall-clock token from n0 is ahead of the new leader's clock for longer than T), then,
//!   cut from the new epoch's replicas,
//!   reads at n0 (monotonic reads), and once it can reach them again writes to n0, the leader
//!   it knows (writes follow reads); last, n4, cut from the new epoch's replicas, writes at n0
//!   (monotonic writes).
//!
//! Every run ends with a tail in which both clients write and then read twice, more than T
//! after the last fault, so a session that waits for what no replica will ever hold is seen.

use super::node::Tokens;
use super::properties::properties;
use super::rules::SessionRules;
use super::{CLIENTS, READ_ANSWER_TICKS, REPLICAS};
use crate::rng::Rng;
use crate::sim::protocol::NodeId;
use crate::sim::spec::{Action, Override, RunSpec};
use crate::sim::world::{LinkCfg, Scenario};
use std::rc::Rc;

/// The swarm run's id.
pub const SWARM: &str = "tokens-swarm";
/// The scripted runs, in the order seeds take them.
pub const SCRIPTED: [&str; 3] = ["tokens-lag", "tokens-failover", "tokens-stale-leader"];
/// Every this many seeds, one is a scripted run (in turn) instead of a swarm run.
pub const SCRIPTED_EVERY: u64 = 4;

/// Client n3's home replica, and n4's.
pub const HOMES: [NodeId; CLIENTS as usize] = [1, 0];

/// Every link at the start: 2–6 ticks.
pub const NET: LinkCfg = LinkCfg::calm(2, 6);

/// The lagging replica's link from the first leader.
const LAG_TICKS: (u64, u64) = (60, 80);

/// The clocks: (node, skew in ticks). The clients' clocks are off too: the history is kept in
/// true time, never a node's clock.
const SKEW: [(NodeId, i64); 4] = [(0, 400), (2, 200), (3, 37), (4, 91)];

/// When the swarm's faults stop: the heal comes here and the tail follows.
const SWARM_HEAL_AT: u64 = 520;

/// The client nodes.
pub fn clients() -> impl Iterator<Item = NodeId> {
    REPLICAS..REPLICAS + CLIENTS
}

/// The store with `rules` as every session's rules, as run `id`.
pub fn scenario(id: &'static str, rules: Rc<dyn SessionRules>) -> Scenario<Tokens> {
    Scenario {
        id,
        title: "Session guarantees with session tokens",
        description: "Three replicas that lag and fail over; two client sessions with tokens.",
        nodes: REPLICAS + CLIENTS,
        protocol: Tokens {
            rules,
            homes: HOMES.to_vec(),
        },
        net: NET,
        calm: NET,
        script: Vec::new(),
        properties: properties(),
        workload: Vec::new(),
        faulty_nodes: (0..REPLICAS).collect(),
        safety_ticks: SWARM_HEAL_AT,
    }
}

/// Every run's start: lag and skew.
fn setup() -> Vec<Override> {
    let mut o: Vec<Override> = SKEW
        .iter()
        .map(|&(n, skew)| Override::at(0, Action::Clock(n, skew, 0)))
        .collect();
    o.push(Override::at(
        0,
        Action::Latency(Some((0, 1)), LAG_TICKS.0, LAG_TICKS.1),
    ));
    o
}

/// Values are unique in a run: client `n`'s `k`-th write writes `100 n + k`.
struct Values([u64; CLIENTS as usize]);

impl Values {
    fn next(&mut self, client: NodeId) -> String {
        let i = usize::from(client - REPLICAS);
        self.0[i] += 1;
        format!("w{}", 100 * u64::from(client) + self.0[i])
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

/// The tail from `t`: each client writes, then reads twice.
fn tail(t: u64, values: &mut Values) -> Vec<Override> {
    let mut o = Vec::new();
    for (i, c) in clients().enumerate() {
        let t = t + 5 * i as u64;
        o.push(request(t, c, values.next(c)));
        o.push(request(t + 40, c, "r".to_string()));
        o.push(request(t + 80, c, "r".to_string()));
    }
    o
}

/// `tokens-lag` (see the module documentation), shifted by `d` ticks.
fn lag(d: u64, v: &mut Values) -> Vec<Override> {
    let mut o = setup();
    o.push(request(60 + d, 3, v.next(3)));
    o.push(request(64 + d, 3, "r".into()));
    o.push(request(120 + d, 4, "r".into()));
    o.extend(cut_both(200 + d, 3, 1));
    o.push(request(210 + d, 4, v.next(4)));
    o.push(request(225 + d, 3, "r".into()));
    o.extend(mend_both(255 + d, 3, 1));
    o.push(request(262 + d, 3, "r".into()));
    o.push(request(300 + d, 4, "r".into()));
    o.push(Override::at(340 + d, Action::Heal));
    o.extend(tail(360 + d, v));
    o
}

/// `tokens-failover`.
fn failover(d: u64, v: &mut Values) -> Vec<Override> {
    let mut o = setup();
    o.push(request(40 + d, 4, v.next(4)));
    o.push(request(60 + d, 4, "r".into()));
    o.push(Override::at(100 + d, Action::Cut(0, 1)));
    o.push(Override::at(100 + d, Action::Cut(0, 2)));
    o.push(request(110 + d, 3, v.next(3)));
    o.push(Override::at(125 + d, Action::Crash(0)));
    o.push(request(130 + d, 4, "r".into()));
    o.push(request(160 + d, 3, "r".into()));
    o.push(request(300 + d, 4, v.next(4)));
    o.push(Override::at(360 + d, Action::Heal));
    o.push(Override::at(370 + d, Action::Restart(0)));
    o.push(request(390 + d, 4, "r".into()));
    o.push(request(400 + d, 3, "r".into()));
    o.extend(tail(440 + d, v));
    o
}

/// `tokens-stale-leader`.
fn stale_leader(d: u64, v: &mut Values) -> Vec<Override> {
    let mut o = setup();
    o.push(request(30 + d, 3, v.next(3)));
    o.push(request(34 + d, 3, "r".into()));
    for r in [1, 2] {
        o.extend(cut_both(80 + d, 0, r));
    }
    o.extend(cut_both(150 + d, 4, 0));
    o.push(request(280 + d, 4, v.next(4)));
    o.extend(cut_both(300 + d, 3, 0));
    o.push(request(320 + d, 3, "r".into()));
    o.extend(mend_both(440 + d, 3, 0));
    o.extend(cut_both(440 + d, 3, 1));
    o.extend(cut_both(440 + d, 3, 2));
    o.push(request(445 + d, 3, "r".into()));
    o.extend(mend_both(500 + d, 3, 1));
    o.extend(mend_both(500 + d, 3, 2));
    o.push(request(510 + d, 3, v.next(3)));
    o.extend(mend_both(540 + d, 4, 0));
    o.extend(cut_both(540 + d, 4, 1));
    o.extend(cut_both(540 + d, 4, 2));
    o.push(request(550 + d, 4, v.next(4)));
    o.push(Override::at(660 + d, Action::Heal));
    o.extend(tail(680 + d, v));
    o
}

/// A swarm run: a random workload of 6–12 operations per client over 20..480, and up to six
/// faults (a replica crashes and later restarts; a client and a replica, or two replicas, are
/// cut apart and later mended), then a heal-all at 520 and the tail.
fn swarm(rng: &mut Rng, v: &mut Values) -> Vec<Override> {
    let mut o = setup();
    for c in clients() {
        let ops = rng.range_inclusive(6, 12);
        let mut times: Vec<u64> = (0..ops).map(|_| rng.range_inclusive(20, 480)).collect();
        times.sort_unstable();
        for t in times {
            let text = if rng.below(2) == 0 {
                v.next(c)
            } else {
                "r".to_string()
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
                let b = (a + 1 + rng.below(2) as NodeId) % REPLICAS;
                o.extend(cut_both(t, a, b));
                o.extend(mend_both(until, a, b));
            }
        }
    }
    o.push(Override::at(SWARM_HEAL_AT, Action::HealAll));
    o.extend(tail(SWARM_HEAL_AT + 20, v));
    o
}

/// Mixed into the seed so that runs differ from other generators' runs of the same seed.
const GENERATOR_SALT: u64 = 0x5E55_104E_70CE_0002;

/// The run of `seed`: every [`SCRIPTED_EVERY`]-th a scripted run (in turn, shifted by 0–9
/// ticks), the others swarm runs. Overrides are in time order.
pub fn run_of(seed: u64) -> RunSpec {
    let mut rng = Rng::new(seed ^ GENERATOR_SALT);
    let mut values = Values([0; CLIENTS as usize]);
    let (scenario, mut overrides) = if seed % SCRIPTED_EVERY == SCRIPTED_EVERY - 1 {
        let k = ((seed / SCRIPTED_EVERY) % SCRIPTED.len() as u64) as usize;
        let d = rng.range_inclusive(0, 9);
        let o = match k {
            0 => lag(d, &mut values),
            1 => failover(d, &mut values),
            _ => stale_leader(d, &mut values),
        };
        (SCRIPTED[k], o)
    } else {
        (SWARM, swarm(&mut rng, &mut values))
    };
    overrides.sort_by_key(|o| match o.at {
        crate::sim::spec::When::Time(t) => t,
        crate::sim::spec::When::Step(s) => s,
    });
    RunSpec {
        scenario: scenario.to_string(),
        seed,
        overrides,
    }
}

/// Ticks a run goes on after its last override: T and a margin.
pub const TAIL_TICKS: u64 = READ_ANSWER_TICKS + 60;
