//! The leaderless store's scenarios: the sloppy-quorum story, and a partial quorum on slow
//! links.

use super::properties::properties;
use super::{Dynamo, Workload, STORAGE};
use crate::sim::protocol::NodeId;
use crate::sim::spec::{Action, Override};
use crate::sim::world::{LinkCfg, Scenario};

/// Client A.
pub const A: NodeId = STORAGE;
/// Client B.
pub const B: NodeId = STORAGE + 1;
/// Clients per scenario.
const CLIENTS: u16 = 2;
/// Latency of every link, ticks.
const LATENCY: (u64, u64) = (5, 15);
/// Ticks a coordinator waits for a node before retrying or going to a fallback.
pub const TIMEOUT_TICKS: u64 = 40;

/// When `leaderless-quorum`'s partition starts.
pub const PARTITION_AT: u64 = 250;
/// When `leaderless-quorum`'s faults end.
pub const HEAL_AT: u64 = 700;
/// The side of the partition with client A (n1 is k1's only home node here).
pub const SIDE_A: [NodeId; 4] = [0, 1, 4, A];
/// The side with client B and two of k1's home nodes.
pub const SIDE_B: [NodeId; 3] = [2, 3, B];

/// Requests the swarm hands the clients.
const SWARM_WORKLOAD: &[(NodeId, &str)] = &[
    (A, "put-k1"),
    (A, "get-k1"),
    (B, "put-k1"),
    (B, "get-k1"),
    (A, "put-k4"),
    (B, "get-k4"),
    (A, "get-k10"),
    (B, "put-k10"),
];

fn request(t: u64, client: NodeId, text: &str) -> Override {
    Override::at(t, Action::Request(client, text.to_string()))
}

fn set(name: &str, choice: &str) -> Override {
    Override::at(0, Action::Set(name.to_string(), choice.to_string()))
}

fn store(
    id: &'static str,
    title: &'static str,
    description: &'static str,
    script: Vec<Override>,
) -> Scenario<Dynamo> {
    Scenario {
        id,
        title,
        description,
        nodes: STORAGE + CLIENTS,
        protocol: Dynamo {
            timeout_ticks: TIMEOUT_TICKS,
            workload: Workload::Requests,
        },
        net: LinkCfg::calm(LATENCY.0, LATENCY.1),
        calm: LinkCfg::calm(LATENCY.0, LATENCY.1),
        script,
        properties: properties(),
        workload: SWARM_WORKLOAD.to_vec(),
        faulty_nodes: (0..STORAGE).collect(),
        safety_ticks: 800,
    }
}

/// `leaderless-quorum`: N=3, R=W=2 with sloppy quorums on. k1's home nodes are n1, n2, n3;
/// k10's and k14's are n2, n3, n4.
///
/// Before the partition, puts and gets of k1 and k4 stay consistent. At [`PARTITION_AT`] the
/// network splits into [`SIDE_A`] and [`SIDE_B`]: A's put of k1 reaches only n1, and after the
/// timeout n4 and n0 take it as hints for n2 and n3, so it is acknowledged; B's get of k1 then
/// hears n2 and n3 and returns the old version (the stale read the property catches). B's
/// puts of k10 and k14 are acknowledged by n2 and n3 and never reach n4. At [`HEAL_AT`] the
/// faults end: the hints are handed off, A's get of k10 repairs n4 (it answers before any
/// anti-entropy exchange can reach it), and anti-entropy brings k14 to n4.
pub fn leaderless_quorum() -> Scenario<Dynamo> {
    let script = vec![
        set("sloppy", "on"),
        request(10, A, "put-k1"),
        request(60, B, "get-k1"),
        request(100, B, "put-k4"),
        request(150, A, "get-k4"),
        Override::at(
            PARTITION_AT,
            Action::Partition(vec![SIDE_A.to_vec(), SIDE_B.to_vec()]),
        ),
        request(300, A, "put-k1"),
        request(420, B, "get-k1"),
        request(460, B, "put-k10"),
        request(520, B, "put-k14"),
        Override::at(HEAL_AT, Action::HealAll),
        request(HEAL_AT + 5, A, "get-k10"),
        request(800, B, "get-k1"),
        request(1_100, A, "get-k14"),
    ];
    store(
        "leaderless-quorum",
        "A leaderless store: sloppy quorums, hinted handoff, read repair, anti-entropy",
        "Five storage nodes on a hash ring (N=3, R=W=2) and two clients that coordinate their \
         own puts and gets. At t=250 a partition leaves A with only n1 of k1's home nodes: \
         with sloppy quorums on, n4 and n0 take A's put as hints and it is acknowledged, yet B's \
         read of k1 returns the old version. After the heal at t=700, hinted handoff, read \
         repair and anti-entropy bring every replica up to date. Switch sloppy quorums off to \
         see the put refused instead, or change N, R and W.",
        script,
    )
}

/// The latency of A's links to n2 and n3 and of B's link to n1 in `leaderless-partial-quorum`.
pub const SLOW: (u64, u64) = (250, 300);

/// `leaderless-partial-quorum`: N=3, R=W=1, anti-entropy off (so only the write's own
/// deliveries spread it). A's links to n2 and n3 and B's link to n1 are slow, so A's put of k1
/// is acknowledged by n1 alone while it is still on its way to n2 and n3, and B's get of k1 at
/// t=100 hears n2 or n3 first: stale, on every seed. Raising W to 2 makes the put wait for a
/// slow home node; raising R alone to 2 does not help (R + W = N).
pub fn partial_quorum() -> Scenario<Dynamo> {
    let mut script = vec![set("r", "1"), set("w", "1"), set("anti-entropy", "off")];
    for link in [(A, 2), (A, 3), (B, 1)] {
        script.push(Override::at(0, Action::Latency(Some(link), SLOW.0, SLOW.1)));
    }
    script.extend([
        request(10, A, "put-k1"),
        request(100, B, "get-k1"),
        request(450, B, "get-k1"),
    ]);
    store(
        "leaderless-partial-quorum",
        "A partial quorum: R + W ≤ N reads stale",
        "N=3, R=W=1, anti-entropy off, and slow links from A to n2 and n3 and from B to n1. \
         A's put of k1 is acknowledged by n1 alone; B's get at t=100 asks all three homes and takes the first \
         answer, from n2 or n3, which the write has not reached yet. Later reads see it. Raise W \
         or R until R + W > N.",
        script,
    )
}
