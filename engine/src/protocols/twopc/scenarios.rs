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
use crate::sim::scenario::swarm_plan;
use crate::sim::spec::{Action, Override, RunSpec};
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

// ---- the runs of the `twopc-recovery` challenge ----
//
// Each scripted run puts t1 (a1→b1 30, participants n1 and n2) in the state one rule exists
// for. Its timing, whatever the latencies (10–14 ticks) and with the reference's other
// decisions: PREPARE leaves n0 at t=20 and arrives at 30–34; PREPARED is on disk and YES sent
// at 50–54 (a YES sent before the log write leaves at 30–34); the last YES reaches n0 at
// 60–68, where n0 decides; COMMIT is on n0's disk at 80–88 (a COMMIT sent before the write
// leaves at 60–68) and reaches the participants at 90–102; their ACKs reach n0 at 120–136.
// The next transfer starts at t=170, or 150 ticks after a restart of n0.

/// The challenge's swarm run: the bank under the swarm's random faults.
pub const RECOVERY_SWARM: &str = "2pc-recovery";
/// The challenge's scripted runs, in the order seeds take them.
pub const RECOVERY_SCRIPTED: [&str; 9] = [
    "2pc-long-outage",
    "2pc-crash-while-forcing",
    "2pc-prepared-restart",
    "2pc-vote-crash",
    "2pc-unended-in-doubt",
    "2pc-unended-acks-lost",
    "2pc-crash-collecting",
    "2pc-late-inquiry",
    "2pc-two-open",
];
/// Every this many seeds, one is a scripted run (in turn) instead of a swarm run.
pub const RECOVERY_SCRIPTED_EVERY: u64 = 4;
/// How long n0 stays down in `2pc-long-outage`: longer than any patience a participant could
/// be given, so that one that gives up on its own is seen to.
pub const LONG_OUTAGE_TICKS: u64 = 100_000;

/// How long a run of the challenge goes on after its last fault (the heal): the liveness
/// window, and two resend periods more, so that a node still waiting then is seen to at a step
/// of the run (its timers go on firing) and a replay shows it there.
pub const RECOVERY_TAIL_TICKS: u64 = properties::LIVENESS_TICKS + 2 * RESEND_TICKS;

/// When n0 crashes while forcing COMMIT t1 (decided at 60–68, on disk at 80–88).
const CRASH_WHILE_FORCING_AT: u64 = 70;
/// When a participant crashes after its YES (sent at 50–54) and before any COMMIT reaches it
/// (90 at the earliest; 70 for a COMMIT sent before it is logged).
const CRASH_AFTER_YES_AT: u64 = 56;
/// When n0 crashes with COMMIT t1 on disk (by 88) and sent, before any ACK (120 at the
/// earliest).
const CRASH_AFTER_COMMIT_AT: u64 = 95;

/// The scripted run `id`'s faults and requests, if `id` is one.
fn recovery_script(id: &str) -> Option<Vec<Override>> {
    let crash = |t, n| Override::at(t, Action::Crash(n));
    let restart = |t, n| Override::at(t, Action::Restart(n));
    let heal = |t| Override::at(t, Action::HealAll);
    Some(match id {
        // Both participants in doubt for the whole outage.
        "2pc-long-outage" => vec![
            crash(CRASH_WHILE_FORCING_AT, COORDINATOR),
            heal(CRASH_WHILE_FORCING_AT + LONG_OUTAGE_TICKS),
        ],
        // n2 is down when n0 crashes in the commit point's window; n1 is up.
        "2pc-crash-while-forcing" => vec![
            crash(CRASH_AFTER_YES_AT, 2),
            crash(CRASH_WHILE_FORCING_AT, COORDINATOR),
            restart(120, COORDINATOR),
            heal(200),
        ],
        // n1 is down from its YES on t1 until 400: n0 commits t1 without it, and t3 (c2→a2,
        // started at 320) never gets its vote, so n0's vote timeout decides t3 at 470.
        "2pc-prepared-restart" => vec![crash(CRASH_AFTER_YES_AT, 1), heal(400)],
        // n1 crashes while forcing PREPARED t1 (a YES sent before the write is out by then).
        "2pc-vote-crash" => vec![crash(40, 1), heal(100)],
        // n2 is down; n0 crashes with COMMIT t1 logged and restarts at 130, n2 at 250.
        "2pc-unended-in-doubt" => vec![
            crash(CRASH_AFTER_YES_AT, 2),
            crash(CRASH_AFTER_COMMIT_AT, COORDINATOR),
            restart(130, COORDINATOR),
            heal(250),
        ],
        // Both participants commit t1 while n0 is down: their ACKs are lost, and n0 restarts
        // at 150 with COMMIT t1 in its log and no END.
        "2pc-unended-acks-lost" => vec![crash(CRASH_AFTER_COMMIT_AT, COORDINATOR), heal(150)],
        // t1 is 500 from b2 to a1, which b2 cannot pay: n2 votes NO (at 30–34), n1 YES; n0
        // crashes at 36, before either vote reaches it, and restarts at 140, before n1's
        // first inquiry (150–154).
        "2pc-crash-collecting" => vec![
            Override::at(10, Action::Request(COORDINATOR, "b2-a1-500".to_string())),
            crash(36, COORDINATOR),
            heal(140),
        ],
        // n1 crashes right after its YES on t3 (c2→a2, participants n1 and n3; YES at
        // 350–354, COMMIT t3 on n0's disk at 380–388). n0 crashes at 420 and restarts at 470:
        // it must send COMMIT t3 to n1 and n3 again; n3 acknowledges, n1 cannot. n0 crashes
        // again at 600 and restarts at 650, its memory gone once more, and n1 restarts only at
        // 1,000 and asks about t3.
        "2pc-late-inquiry" => vec![
            crash(CRASH_AFTER_YES_AT + 300, 1),
            crash(420, COORDINATOR),
            restart(470, COORDINATOR),
            crash(600, COORDINATOR),
            restart(650, COORDINATOR),
            heal(1_000),
        ],
        // n2 crashes right after its YES on t1 and stays down: t1 commits without its ACK;
        // t2 (n2, n3) and t5 (n2, n1) get no vote from it and abort when their votes time out
        // (at 320 and 770), both waiting for its ACK; t3 and t4 (n1, n3) end in between. n0
        // crashes at 820 with COMMIT t1, ABORT t2 and ABORT t5 open and ENDs after them, and
        // restarts at 870; again at 1,000 and 1,050. n2 restarts at 1,400 and asks about t1.
        "2pc-two-open" => vec![
            crash(CRASH_AFTER_YES_AT, 2),
            crash(820, COORDINATOR),
            restart(870, COORDINATOR),
            crash(1_000, COORDINATOR),
            restart(1_050, COORDINATOR),
            heal(1_400),
        ],
        _ => return None,
    })
}

/// What each run of the challenge shows.
fn recovery_text(id: &str) -> (&'static str, &'static str) {
    match id {
        "2pc-long-outage" => (
            "The coordinator is down for a long time",
            "n0 crashes at t=70 while forcing COMMIT t1 and stays down 100,000 ticks; n1 and \
             n2, having voted YES, are in doubt the whole time.",
        ),
        "2pc-crash-while-forcing" => (
            "The coordinator crashes at the commit point, a participant down",
            "n2 crashes right after its YES on t1; n0 crashes at t=70, after deciding and \
             before COMMIT t1 is on its disk; n0 restarts at 120, n2 at 200.",
        ),
        "2pc-prepared-restart" => (
            "A prepared participant is down for long",
            "n1 crashes right after its YES on t1 and restarts at 400: t1 commits without it, \
             and t3, which needs it, gets no vote.",
        ),
        "2pc-vote-crash" => (
            "A participant crashes while forcing PREPARED",
            "n1 crashes at t=40, while forcing PREPARED t1, and restarts at 100.",
        ),
        "2pc-unended-in-doubt" => (
            "The coordinator restarts with a decision not every participant knows",
            "n2 crashes right after its YES on t1; n0 crashes at t=95 with COMMIT t1 on its \
             disk; n0 restarts at 130, n2 at 250, in doubt.",
        ),
        "2pc-unended-acks-lost" => (
            "The coordinator restarts with a decision whose ACKs it lost",
            "n0 crashes at t=95 with COMMIT t1 on its disk; both participants commit and \
             acknowledge while it is down; it restarts at 150.",
        ),
        "2pc-crash-collecting" => (
            "The coordinator crashes while collecting votes",
            "t1 moves 500 from b2, which holds 100: n2 votes NO, n1 YES; n0 crashes at t=36 \
             before either vote arrives and restarts at 140.",
        ),
        "2pc-late-inquiry" => (
            "A participant asks long after the coordinator restarted",
            "n1 crashes right after its YES on t3; n0 crashes at t=420 with COMMIT t3 on its \
             disk and restarts at 470, crashes again at 600 and restarts at 650; n1 restarts \
             at 1,000, in doubt.",
        ),
        "2pc-two-open" => (
            "The coordinator restarts with several decisions open",
            "n2 crashes right after its YES on t1: t1 commits, t2 and t5 abort, none ends; t3 \
             and t4 end. n0 crashes at t=820 and restarts at 870, crashes at 1,000 and \
             restarts at 1,050; n2 restarts at 1,400, in doubt about t1.",
        ),
        _ => (
            "Two-phase commit under random faults",
            "n0 coordinates the six transfers and any requested while the swarm crashes and \
             restarts nodes, partitions, pauses and loses messages; then every fault heals.",
        ),
    }
}

/// Run `id` of the `twopc-recovery` challenge with `hooks` (its default run is the run's
/// script; the swarm run's is fault-free): the properties of [`properties::properties`], with
/// `all-decided` judged to the end of the run as well, and `no-needless-abort`.
pub fn recovery(id: &str, hooks: Arc<dyn TwoPcHooks>) -> Option<Scenario<TwoPc>> {
    let id = std::iter::once(RECOVERY_SWARM)
        .chain(RECOVERY_SCRIPTED)
        .find(|&known| known == id)?;
    let (title, description) = recovery_text(id);
    let mut s = bank(
        id,
        title,
        description,
        hooks,
        recovery_script(id).unwrap_or_default(),
    );
    for p in &mut s.properties {
        if p.name == "all-decided" {
            *p = properties::all_decided_to_the_end();
        }
    }
    s.properties.push(properties::no_needless_abort());
    Some(s)
}

/// The run of `seed` in the challenge: every [`RECOVERY_SCRIPTED_EVERY`]-th seed one of the
/// scripted runs in turn, the others the swarm's plan of that seed.
pub fn recovery_run(seed: u64) -> RunSpec {
    if seed % RECOVERY_SCRIPTED_EVERY == RECOVERY_SCRIPTED_EVERY - 1 {
        let k = (seed / RECOVERY_SCRIPTED_EVERY) % RECOVERY_SCRIPTED.len() as u64;
        let id = RECOVERY_SCRIPTED[k as usize];
        RunSpec {
            scenario: id.to_string(),
            seed,
            overrides: recovery_script(id).unwrap_or_default(),
        }
    } else {
        let s = recovery(RECOVERY_SWARM, Arc::new(TwoPcVariant::Reference))
            .expect("the swarm run is one of the challenge's");
        swarm_plan(&s, seed)
    }
}
