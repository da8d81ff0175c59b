//! `multileader-conflicts`: three datacenters, one cart, concurrent adds, and eu's clock
//! [`EU_SKEW_TICKS`] behind.
//!
//! The default run tells one story in about 1,400 ticks; every time below is true time:
//!
//! | t | what happens | `lww` | `vectors` |
//! | --- | --- | --- | --- |
//! | 300 | us adds book | stamped 300@us | `[1·0·0]` |
//! | 320 | eu adds pen, before book reaches eu | stamped ~120@eu: **pen lost** (book is "later") | sibling `[0·1·0]` |
//! | 500 | ap adds mug | {book,mug} ~500@ap | ap merges the two siblings: `[1·1·1]` {book,pen,mug} |
//! | 650 | eu adds hat, after reading mug | stamped ~450@eu: **hat lost** though written after mug | `[1·2·1]` |
//! | 800 | ap is cut off from us and eu | | |
//! | 850, 870 | us adds cup, ap adds tea, concurrently | tea's later stamp wins at the heal: **cup lost** | two siblings everywhere after the heal |
//! | 1000 | the partition heals; anti-entropy catches up | | |
//! | 1250 | eu reads | {book,mug,tea} | eu merges the siblings and writes back: one version |
//! | 1400 | faults end (heal-all): replicas must agree | | |
//!
//! The margins hold on every seed: eu's stamps trail the true time by 200 ticks while a
//! message between datacenters takes 30–50, so each losing write loses by over 100 ticks.
//!
//! The swarm run is a random workload of adds and reads with partitions between
//! datacenters, crashes, pauses, loss, duplication and clock skew, then a heal-all.

use super::properties::properties;
use super::{MultiLeader, LEADERS};
use crate::sim::protocol::NodeId;
use crate::sim::spec::{Action, Override};
use crate::sim::world::{LinkCfg, Scenario};

/// Latency between datacenters (and between a client and another datacenter), ticks.
pub const DC_LATENCY_TICKS: (u64, u64) = (30, 50);
/// Latency between a client and its own leader, ticks.
pub const NEAR_LATENCY_TICKS: (u64, u64) = (1, 3);
/// How far eu's wall clock runs behind the true time in the default run, ticks.
pub const EU_SKEW_TICKS: i64 = -200;
/// When the default run's faults end (the heal-all).
pub const STORY_END_TICKS: u64 = 1_400;

/// The datacenters.
const US: NodeId = 0;
const EU: NodeId = 1;
const AP: NodeId = 2;

/// The client next to leader `dc`.
pub fn client_of(dc: NodeId) -> NodeId {
    LEADERS + dc
}

/// Each client sits next to its leader: a few ticks both ways.
pub fn geography() -> Vec<Override> {
    (0..LEADERS)
        .flat_map(|dc| {
            let c = client_of(dc);
            [(c, dc), (dc, c)].map(|link| {
                Override::at(
                    0,
                    Action::Latency(Some(link), NEAR_LATENCY_TICKS.0, NEAR_LATENCY_TICKS.1),
                )
            })
        })
        .collect()
}

fn request(t: u64, dc: NodeId, text: &str) -> Override {
    Override::at(t, Action::Request(client_of(dc), text.to_string()))
}

/// The default run's script (see the module documentation).
pub fn story() -> Vec<Override> {
    let mut script = vec![Override::at(0, Action::Clock(EU, EU_SKEW_TICKS, 0))];
    script.extend(geography());
    script.extend([
        request(300, US, "add-book"),
        request(320, EU, "add-pen"),
        request(500, AP, "add-mug"),
        request(650, EU, "add-hat"),
        Override::at(
            800,
            Action::Partition(vec![
                vec![US, EU, client_of(US), client_of(EU)],
                vec![AP, client_of(AP)],
            ]),
        ),
        request(850, US, "add-cup"),
        request(870, AP, "add-tea"),
        Override::at(1_000, Action::Heal),
        request(1_250, EU, "read"),
        Override::at(STORY_END_TICKS, Action::HealAll),
    ]);
    script
}

/// The swarm's requests: each client adds its own two items or reads.
const WORKLOAD: [(NodeId, &str); 9] = [
    (3, "add-book"),
    (3, "add-cup"),
    (3, "read"),
    (4, "add-pen"),
    (4, "add-hat"),
    (4, "read"),
    (5, "add-mug"),
    (5, "add-tea"),
    (5, "read"),
];

/// `multileader-conflicts`.
pub fn conflicts() -> Scenario<MultiLeader> {
    Scenario {
        id: "multileader-conflicts",
        title: "Multi-leader: last writer wins or siblings",
        description: "Three datacenters (us n0, eu n1, ap n2) each accept writes to one \
                      shopping cart and replicate asynchronously; a client next to each adds \
                      items. eu's clock runs 200 ticks behind. Under lww the write with the \
                      highest timestamp wins and acknowledged adds vanish — even ones made \
                      later in real time; under vectors concurrent versions are kept as \
                      siblings and the next read merges them.",
        nodes: 2 * LEADERS,
        protocol: MultiLeader,
        net: LinkCfg::calm(DC_LATENCY_TICKS.0, DC_LATENCY_TICKS.1),
        calm: LinkCfg::calm(DC_LATENCY_TICKS.0, DC_LATENCY_TICKS.1),
        script: story(),
        properties: properties(),
        workload: WORKLOAD.to_vec(),
        faulty_nodes: (0..LEADERS).collect(),
        safety_ticks: 1_200,
    }
}
