//! The leaderless store's scenarios.

use super::properties::properties;
use super::{Dynamo, Workload, STORAGE};
use crate::sim::spec::{Action, Override};
use crate::sim::world::{LinkCfg, Scenario};

/// Client A is n5, client B n6.
const CLIENTS: u16 = 2;
/// Latency of every link, ticks.
const LATENCY: (u64, u64) = (5, 15);
/// Ticks a coordinator waits for a node before retrying or going to a fallback.
const TIMEOUT_TICKS: u64 = 40;

/// `leaderless-quorum`.
pub fn leaderless_quorum() -> Scenario<Dynamo> {
    Scenario {
        id: "leaderless-quorum",
        title: "A leaderless store: quorums, sloppy quorums and repair",
        description: "",
        nodes: STORAGE + CLIENTS,
        protocol: Dynamo {
            clients: CLIENTS,
            timeout_ticks: TIMEOUT_TICKS,
            workload: Workload::Requests,
        },
        net: LinkCfg::calm(LATENCY.0, LATENCY.1),
        calm: LinkCfg::calm(LATENCY.0, LATENCY.1),
        script: vec![Override::at(0, Action::Set("sloppy".into(), "on".into()))],
        properties: properties(),
        workload: vec![(5, "put k1"), (6, "get k1")],
        faulty_nodes: (0..STORAGE).collect(),
        safety_ticks: 800,
    }
}
