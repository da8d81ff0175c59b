//! Three-phase commit's scenarios: the coordinator crashing after it pre-committed (the
//! survivors terminate on their own and commit), and the partition that makes the two sides
//! decide differently.
//!
//! The timing is designed, not found: links take 10–14 ticks and every node acts at once (no
//! disk latency). The workload starts transaction `k` (from 0) at
//! `FIRST_TX_TICKS + k × TX_SPACING_TICKS`, so t3 starts at t=320, when t1 and t2 are long
//! decided. For t3, whatever the latencies: CAN-COMMIT arrives at 330–334 and the votes are
//! sent then; the last YES reaches n0 at 340–348, where it sends PRE-COMMIT, which arrives at
//! 350–362. So a fault at t=349 falls after every vote and before any PRE-COMMIT is delivered,
//! for every seed.

use super::types::*;
use super::*;
use crate::sim::protocol::NodeId;
use crate::sim::spec::{Action, Override};
use crate::sim::world::{LinkCfg, Scenario};

/// Every link's latency, ticks.
pub const LATENCY: (u64, u64) = (10, 14);

/// The workload of both scenarios: t1 commits, C cannot commit its part of t2, t3 is the one
/// the faults hit.
pub fn workload() -> Vec<Plan> {
    vec![Plan::ALL_YES, Plan::veto(3), Plan::ALL_YES]
}

/// Transactions the swarm may request besides.
const SWARM_REQUESTS: &[(NodeId, &str)] = &[(COORDINATOR, "yes"), (COORDINATOR, "no-b")];

/// The moment of t3 between the last vote and the first PRE-COMMIT's delivery.
pub const AFTER_PRECOMMIT_SENT_AT: u64 = 349;

/// The cluster with this script.
pub fn cluster(
    id: &'static str,
    title: &'static str,
    description: &'static str,
    script: Vec<Override>,
) -> Scenario<ThreePc> {
    Scenario {
        id,
        title,
        description,
        nodes: 1 + PARTICIPANTS,
        protocol: ThreePc {
            workload: workload(),
        },
        net: LinkCfg::calm(LATENCY.0, LATENCY.1),
        calm: LinkCfg::calm(LATENCY.0, LATENCY.1),
        script,
        properties: properties::properties(),
        workload: SWARM_REQUESTS.to_vec(),
        faulty_nodes: (0..=PARTICIPANTS).collect(),
        safety_ticks: 1_200,
    }
}

/// When n0 comes back in `3pc-coordinator-crash`.
pub const COORDINATOR_RESTART_AT: u64 = 800;

/// `3pc-coordinator-crash`: n0 crashes with PRE-COMMIT t3 sent to all, before any
/// acknowledgement, and stays down until t=800.
pub fn coordinator_crash() -> Scenario<ThreePc> {
    cluster(
        "3pc-coordinator-crash",
        "3PC: the coordinator crashes after pre-committing",
        "t1 commits; C cannot commit its part of t2 and votes NO, so t2 aborts. For t3 every \
         vote is YES; n0 sends PRE-COMMIT to A, B and C and crashes at t=349, before any \
         acknowledgement — the moment 2PC's coordinator crash leaves everyone in doubt. Here \
         the PRE-COMMITs arrive, and about 100 ticks later each participant times out. The \
         lowest live participant, A, becomes recovery coordinator, collects B's and C's \
         states — all pre-committed — and by the termination rule commits, telling the \
         others. Everyone decides t3 while n0 is down; at t=800 n0 restarts, asks, and \
         learns COMMIT.",
        vec![
            Override::at(AFTER_PRECOMMIT_SENT_AT, Action::Crash(COORDINATOR)),
            Override::at(COORDINATOR_RESTART_AT, Action::HealAll),
        ],
    )
}

/// When n0 crashes in `3pc-partition` (just after the partition).
pub const PARTITION_CRASH_AT: u64 = AFTER_PRECOMMIT_SENT_AT + 1;
/// When the partition heals and n0 restarts.
pub const PARTITION_HEAL_AT: u64 = 900;

/// `3pc-partition`: PRE-COMMIT t3 reaches A only; {n0, A} | {B, C}; n0 crashes.
pub fn partition() -> Scenario<ThreePc> {
    cluster(
        "3pc-partition",
        "3PC is unsafe under a partition",
        "t3: every vote is YES and n0 sends PRE-COMMIT; at t=349, before any is delivered, \
         the network splits into {n0, A} and {B, C}, so only A's arrives, and at t=350 n0 \
         crashes. Each side times out and runs the termination protocol correctly. A has no \
         lower participant, takes over, reaches nobody, and sees itself pre-committed: \
         COMMIT. B gets no answer from A, takes over, and sees B and C uncertain: ABORT. \
         atomic-outcome fails when the second side decides. At t=900 the partition heals, \
         n0 restarts and asks, and the two sides' answers disagree.",
        vec![
            Override::at(
                AFTER_PRECOMMIT_SENT_AT,
                Action::Partition(vec![vec![COORDINATOR, 1], vec![2, 3]]),
            ),
            Override::at(PARTITION_CRASH_AT, Action::Crash(COORDINATOR)),
            Override::at(PARTITION_HEAL_AT, Action::HealAll),
        ],
    )
}
