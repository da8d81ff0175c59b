//! Two-phase commit's scenarios: transfers that commit (and one that cannot), the coordinator
//! crashing at the commit point, and a participant crashing while prepared.
//!
//! The timing is designed, not found: links take 10–14 ticks and a forced write
//! [`LOG_FORCE_TICKS`] = 20, and the workload starts transfer `k` (from 0) at
//! `FIRST_TRANSFER_TICKS + k × TRANSFER_SPACING_TICKS` (t3 at t=320), so every disk is idle
//! when a transfer starts. For t3, whatever the latencies: PREPARE arrives at 330–334,
//! PREPARED is on disk and YES sent at 350–354, the last YES reaches n0 at 360–368, COMMIT is
//! on n0's disk at 380–388 and reaches the participants at 390–402.

use std::sync::Arc;

use super::rules::TwoPcHooks;
use super::types::*;
use super::*;
use crate::sim::protocol::NodeId;
use crate::sim::spec::{Action, Override};
use crate::sim::world::{LinkCfg, Scenario};

/// Every link's latency, ticks.
pub const LATENCY: (u64, u64) = (10, 14);

/// The workload of every scenario: t4 cannot commit (a1 holds 70 by then).
pub fn workload() -> Vec<Transfer> {
    let a = |owner, number| Account::new(owner, number);
    vec![
        Transfer::new(a(1, 1), a(2, 1), 30),
        Transfer::new(a(2, 2), a(3, 1), 50),
        Transfer::new(a(3, 2), a(1, 2), 20),
        Transfer::new(a(1, 1), a(3, 2), 150),
        Transfer::new(a(2, 1), a(1, 1), 40),
        Transfer::new(a(3, 1), a(2, 2), 25),
    ]
}

/// Transfers the swarm may request besides (one that always overdraws).
const SWARM_REQUESTS: &[(NodeId, &str)] = &[
    (COORDINATOR, "a2-c1-60"),
    (COORDINATOR, "c1-b1-30"),
    (COORDINATOR, "b2-a1-500"),
    (COORDINATOR, "b1-c2-10"),
];

/// The bank with these decisions and this script.
pub fn bank(
    id: &'static str,
    title: &'static str,
    description: &'static str,
    hooks: Arc<dyn TwoPcHooks>,
    script: Vec<Override>,
) -> Scenario<TwoPc> {
    Scenario {
        id,
        title,
        description,
        nodes: 1 + PARTICIPANTS,
        protocol: TwoPc {
            workload: workload(),
            hooks,
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

/// `2pc-commit`: no faults.
pub fn commit(hooks: impl Into<Arc<dyn TwoPcHooks>>) -> Scenario<TwoPc> {
    bank(
        "2pc-commit",
        "Two-phase commit: six transfers, one refused",
        "n0 coordinates six transfers between accounts on n1, n2 and n3 (each starts with \
         two accounts of 100). For each, n0 sends PREPARE; a participant locks the account, \
         forces PREPARED to its log and votes YES; once every vote is YES n0 forces COMMIT — \
         the commit point — and tells them; they log COMMIT, apply it, unlock and acknowledge; \
         n0 logs END. Watch the write-ahead logs fill. t4 asks a1 for 150 when it holds 70: \
         n1 votes NO and t4 aborts everywhere. The Bank panel's total stays 600.",
        hooks.into(),
        Vec::new(),
    )
}

/// When n0 crashes in `2pc-coordinator-crash`: both YES votes for t3 are in, COMMIT t3 is
/// still being forced.
pub const COORDINATOR_CRASH_AT: u64 = 374;
/// When it comes back.
pub const COORDINATOR_RESTART_AT: u64 = 774;

/// `2pc-coordinator-crash`: n0 crashes at t3's commit point and stays down 400 ticks.
pub fn coordinator_crash(hooks: impl Into<Arc<dyn TwoPcHooks>>) -> Scenario<TwoPc> {
    bank(
        "2pc-coordinator-crash",
        "The coordinator crashes at the commit point",
        "t3 moves 20 from c2 (on n3) to a2 (on n1). Both vote YES; at t=374, while n0 is \
         forcing COMMIT t3 to its log, it crashes. n1 and n3 are in doubt: having voted YES \
         they may not abort, and they cannot commit without n0, so they keep a2 and c2 \
         locked and ask n0 every 100 ticks — watch the Locks panel count. This is 2PC's \
         blocking problem. At t=774 n0 restarts and reads its log: no decision for t3, so \
         it presumes abort and answers ABORT; the locks go and the workload goes on.",
        hooks.into(),
        vec![
            Override::at(COORDINATOR_CRASH_AT, Action::Crash(COORDINATOR)),
            Override::at(COORDINATOR_RESTART_AT, Action::HealAll),
        ],
    )
}

/// When n1 crashes in `2pc-participant-crash`: PREPARED t3 is on its disk and its YES sent;
/// COMMIT has not reached it.
pub const PARTICIPANT_CRASH_AT: u64 = 370;
/// When it comes back.
pub const PARTICIPANT_RESTART_AT: u64 = 570;

/// `2pc-participant-crash`: n1 crashes while prepared for t3 and restarts 200 ticks later.
pub fn participant_crash(hooks: impl Into<Arc<dyn TwoPcHooks>>) -> Scenario<TwoPc> {
    bank(
        "2pc-participant-crash",
        "A participant crashes while prepared",
        "t3 moves 20 from c2 (on n3) to a2 (on n1). n1 forces PREPARED t3, votes YES and \
         crashes at t=370, losing its memory and its locks. n0 has both YES votes and \
         commits; n3 applies its part; n0's COMMIT to n1 is lost and it keeps resending. \
         Meanwhile t4 needs n1 and gets no vote from it, so n0 aborts t4 when its votes \
         time out. At t=570 n1 restarts, finds PREPARED t3 without an outcome in its log, \
         locks a2 again and is in doubt until n0 tells it COMMIT; then it applies +20.",
        hooks.into(),
        vec![
            Override::at(PARTICIPANT_CRASH_AT, Action::Crash(1)),
            Override::at(PARTICIPANT_RESTART_AT, Action::HealAll),
        ],
    )
}
