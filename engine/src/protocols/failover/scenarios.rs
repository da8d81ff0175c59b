//! The leader-follower store's scenarios: a failover that loses writes, and a split brain.

use super::*;
use crate::sim::spec::{Action, Override};
use crate::sim::world::{LinkCfg, Scenario};

/// Latency between the leader n0 and the near follower n1, ticks.
const NEAR_FOLLOWER: (u64, u64) = (10, 20);
/// Latency to and from the far follower n2, ticks.
const FAR_FOLLOWER: (u64, u64) = (30, 50);
/// Latency between a client and the replicas next to it, ticks.
const NEXT_TO: (u64, u64) = (2, 4);
/// Latency between a client and a replica in another region, ticks.
const ACROSS: (u64, u64) = (10, 16);

/// Both directions of the link `a`–`b` at latency `range`.
fn link(a: NodeId, b: NodeId, range: (u64, u64)) -> [Override; 2] {
    [
        Override::at(0, Action::Latency(Some((a, b)), range.0, range.1)),
        Override::at(0, Action::Latency(Some((b, a)), range.0, range.1)),
    ]
}

/// The replicas' links, and each client next to `homes[k]` (and to n1 in the one-client
/// store, so that it reaches the new leader quickly).
fn geography(homes: &[NodeId]) -> Vec<Override> {
    let mut script: Vec<Override> = Vec::new();
    script.extend(link(0, 1, NEAR_FOLLOWER));
    script.extend(link(0, 2, FAR_FOLLOWER));
    script.extend(link(1, 2, FAR_FOLLOWER));
    for (k, &home) in homes.iter().enumerate() {
        let client = REPLICAS + k as u16;
        for r in 0..REPLICAS {
            let near = r == home || (homes.len() == 1 && r == 1);
            let range = match (near, r) {
                (true, _) => NEXT_TO,
                (false, 2) => FAR_FOLLOWER,
                (false, _) => ACROSS,
            };
            script.extend(link(client, r, range));
        }
    }
    script
}

fn store(
    id: &'static str,
    title: &'static str,
    description: &'static str,
    options: &'static [ProtocolOption],
    homes: &[NodeId],
    writes_per_client: u32,
    faults: Vec<Override>,
) -> Scenario<Failover> {
    let clients = homes.len() as u16;
    let mut script = geography(homes);
    for fault in faults {
        let heal_all = (fault.action == Action::HealAll).then_some(fault.at);
        script.push(fault);
        // The end of faults calms every link; the geography stays.
        if let Some(at) = heal_all {
            script.extend(geography(homes).into_iter().map(|o| Override { at, ..o }));
        }
    }
    Scenario {
        id,
        title,
        description,
        nodes: REPLICAS + clients,
        protocol: Failover {
            options,
            clients,
            writes_per_client,
        },
        net: LinkCfg::calm(ACROSS.0, ACROSS.1),
        calm: LinkCfg::calm(ACROSS.0, ACROSS.1),
        script,
        properties: properties(),
        workload: Vec::new(),
        faulty_nodes: (0..REPLICAS).collect(),
        safety_ticks: 600,
    }
}

/// `replication-failover`: the leader crashes at t=300 and comes back at t=600.
pub fn failover() -> Scenario<Failover> {
    store(
        "replication-failover",
        "Failover: what the new leader never had",
        "n0 leads; n1 is the near follower and n2 the far one. Client A writes w1, w2, … \
         At t=300 n0 crashes; n1 takes over with epoch 2 and the log it has. At t=600 n0 \
         comes back as a follower and discards what the new history lacks. Set replication \
         to semisync or sync to keep every acknowledged write.",
        OPTIONS,
        &[0],
        45,
        vec![
            Override::at(300, Action::Crash(0)),
            Override::at(600, Action::HealAll),
        ],
    )
}

/// `replication-split-brain`: a partition cuts n0 and client A off from t=200 to t=500.
pub fn split_brain() -> Scenario<Failover> {
    store(
        "replication-split-brain",
        "Split brain, and the fencing token",
        "Client A sits next to n0 and B next to n1. At t=200 a partition cuts n0 and A off \
         from the rest; n1 takes over with epoch 2 while n0 still leads epoch 1 and keeps \
         acknowledging A. The partition heals at t=500. Without fencing both keep leading \
         and n2 takes whichever log came last; with fencing n0 is refused and steps down.",
        SPLIT_OPTIONS,
        &[0, 1],
        30,
        vec![
            Override::at(200, Action::Partition(vec![vec![0, 3], vec![1, 2, 4]])),
            Override::at(500, Action::HealAll),
        ],
    )
}
