//! The store's scenarios: a calm run, the nemesis run the chapter shows with its history
//! panel, the store on any Raft, and the challenges' runs — swarm runs, and every fourth seed
//! a scripted run that reaches the state one rule exists for whatever the latencies.
//!
//! Scripted runs start from a known leader: n0's first election timeout is
//! [`FIRST_ELECTION_TICKS`] (the others draw 150–300), so n0 leads term 1 by t≈50. Their
//! clients run only the operations the script hands them, with values no other operation
//! writes, and end with reads of every key, so a write applied twice or lost shows in what a
//! read returns.

use std::sync::Arc;

use super::node::KvStore;
use super::rules::{ClientRule, KvClientHooks, KvHooks, KvReadHooks, KvVariant, ServerRule};
use super::*;
use crate::protocols::raft::{Raft, RaftCfg, RaftHooks, RaftVariant};
use crate::sim::protocol::NodeId;
use crate::sim::scenario::swarm_plan;
use crate::sim::spec::{Action, Override, RunSpec};
use crate::sim::world::{LinkCfg, Scenario};

/// Every link's latency, ticks.
pub const LATENCY: (u64, u64) = (5, 15);
/// Ticks of faults a swarm run has before its heal.
pub const SAFETY_TICKS: u64 = 2_000;
/// How long a run goes on after its last scheduled fault or request.
pub const RUN_TAIL_TICKS: u64 = ANSWER_TICKS + 2 * ATTEMPT_TICKS;

/// The decisions a store runs with.
#[derive(Clone)]
pub struct Setup {
    /// How the machine applies an entry.
    pub hooks: Arc<dyn KvHooks>,
    /// Raft's decisions.
    pub raft: Arc<dyn RaftHooks>,
    /// How servers answer.
    pub server: ServerRule,
    /// What clients do on a timeout or a redirect.
    pub client: Arc<dyn KvClientHooks>,
    /// How a leader serves a get, when not through the log by `server`.
    pub reads: Option<Arc<dyn KvReadHooks>>,
}

impl Setup {
    /// The reference everywhere.
    pub fn reference() -> Setup {
        Setup {
            hooks: Arc::new(KvVariant::Reference),
            raft: Arc::new(RaftVariant::Reference),
            server: ServerRule::Reference,
            client: Arc::new(ClientRule::Retry),
            reads: None,
        }
    }
    /// The reference with this apply decision.
    pub fn with_hooks(hooks: Arc<dyn KvHooks>) -> Setup {
        Setup {
            hooks,
            ..Setup::reference()
        }
    }
}

fn client(k: u16) -> NodeId {
    SERVERS + k
}

/// The store with `setup`, clients drawing `ops_per_client` operations, this first leader (if
/// any, see [`FIRST_ELECTION_TICKS`]) and this script.
pub fn store(
    id: &'static str,
    title: &'static str,
    description: &'static str,
    setup: Setup,
    ops_per_client: u32,
    first_leader: Option<NodeId>,
    script: Vec<Override>,
) -> Scenario<KvStore> {
    Scenario {
        id,
        title,
        description,
        nodes: SERVERS + CLIENTS,
        protocol: KvStore {
            servers: SERVERS,
            raft: Raft {
                cfg: RaftCfg::default(),
                hooks: setup.raft,
            },
            hooks: setup.hooks,
            server_rule: setup.server,
            client: setup.client,
            reads: setup.reads,
            ops_per_client,
            first_leader,
        },
        net: LinkCfg::calm(LATENCY.0, LATENCY.1),
        calm: LinkCfg::calm(LATENCY.0, LATENCY.1),
        script,
        properties: properties::properties(),
        workload: Vec::new(),
        faulty_nodes: (0..SERVERS).collect(),
        safety_ticks: SAFETY_TICKS,
    }
}

/// `kv-store`: no faults.
pub fn calm(setup: Setup) -> Scenario<KvStore> {
    store(
        "kv-store",
        "A replicated key-value store on Raft",
        "Three Raft servers (n0–n2) and three clients (A, B, C on n3–n5) that run gets, puts \
         and appends on keys x and y. A client sends its operation to the server it believes \
         leads; a follower answers NotLeader with the leader it knows, and the client goes \
         there. The leader appends the operation to its log; once a majority stores it, it \
         commits, every server applies it to its state machine, and the leader answers. Reads \
         go through the log too. The history panel checks the clients' history for \
         linearizability, key by key, as it grows.",
        setup,
        OPS_PER_CLIENT,
        None,
        Vec::new(),
    )
}

/// The nemesis of `kv-nemesis`: the leader isolated, random halves, a crash and restart, a
/// pause, clock skew, loss and duplication, then a heal.
fn nemesis_script() -> Vec<Override> {
    let at = Override::at;
    vec![
        at(0, Action::Loss(None, 50_000)),
        at(0, Action::Dup(None, 50_000)),
        at(300, Action::Partition(vec![vec![0], vec![1, 2, 3, 4, 5]])),
        at(700, Action::Heal),
        at(800, Action::Clock(1, 40, -100_000)),
        at(900, Action::Crash(1)),
        at(1_200, Action::Partition(vec![vec![0, 3], vec![1, 2, 4, 5]])),
        at(1_300, Action::Restart(1)),
        at(1_500, Action::Pause(2)),
        at(1_700, Action::Resume(2)),
        at(1_800, Action::Heal),
        at(SAFETY_TICKS, Action::HealAll),
    ]
}

/// `kv-nemesis`: the store under faults.
pub fn nemesis(setup: Setup) -> Scenario<KvStore> {
    store(
        "kv-nemesis",
        "The store under a nemesis",
        "The same store while a nemesis works: 5% of messages lost and 5% duplicated; at \
         t=300 the first leader is cut off alone (it keeps its office until it hears a higher \
         term, but can commit nothing); the others elect a leader; at t=900 a server crashes \
         and restarts at 1300, rebuilding its state machine from its log; clients are cut off \
         with a minority; a server pauses; one clock runs 10% slow. Clients retry with the \
         same sequence number, so the machine's de-duplication table answers a retry of a \
         request that was already applied with its first answer. The history stays \
         linearizable: every client sees one copy of the data.",
        setup,
        OPS_PER_CLIENT,
        None,
        nemesis_script(),
    )
}

/// The store on any Raft (a learner's chapter 4 code): the nemesis run with these Raft
/// decisions and the reference everywhere else. A Raft bug shows as a history that is not
/// linearizable, or operations that never complete.
pub fn on_raft(raft: Arc<dyn RaftHooks>) -> Scenario<KvStore> {
    nemesis(Setup {
        raft,
        ..Setup::reference()
    })
}

/// `kv-deposed-leader`'s faults and requests.
fn deposed_script() -> Vec<Override> {
    let at = Override::at;
    vec![
        req(100, 0, "put.x.A1"),
        at(
            300,
            Action::Partition(vec![vec![0, client(0)], vec![1, 2, client(1), client(2)]]),
        ),
        req(310, 1, "put.x.B1"),
        req(900, 0, "get.x"),
        at(1_200, Action::HealAll),
        req(1_900, 0, "get.x"),
        req(1_900, 1, "get.x"),
    ]
}

/// `kv-lease-skew`'s faults and requests.
fn lease_skew_script() -> Vec<Override> {
    let at = Override::at;
    vec![
        req(100, 0, "put.x.A1"),
        at(
            300,
            Action::Partition(vec![vec![0, client(0)], vec![1, 2, client(1), client(2)]]),
        ),
        at(300, Action::Clock(0, 0, -500_000)),
        at(300, Action::Clock(1, 0, 500_000)),
        at(300, Action::Clock(2, 0, 500_000)),
        at(300, Action::Clock(client(1), 0, 500_000)),
        req(305, 1, "put.x.B1"),
        req(700, 0, "get.x"),
        at(1_200, Action::HealAll),
        req(1_900, 0, "get.x"),
        req(1_900, 1, "get.x"),
    ]
}

/// `kv-deposed-leader`: the first leader n0 is cut off with client A and keeps believing it
/// leads; B writes x through the new leader; then A reads x at n0.
pub fn deposed_leader(setup: Setup) -> Scenario<KvStore> {
    store(
        "kv-deposed-leader",
        "A deposed leader must not answer reads",
        "n0 leads term 1. At t=300 it is cut off with client A: it hears of no higher term, so \
         it still thinks it leads. n1 and n2 elect a leader of term 2, and B's put x=B1 \
         commits there. At t=900 A reads x at n0. Read through the log, the get cannot commit \
         in n0's minority: A hears nothing, retries, and after the heal at t=1200 reads B1 \
         from the new leader. A leader that answered from its own state machine would say \
         x is empty — after B's write had returned: not linearizable.",
        setup,
        0,
        Some(0),
        deposed_script(),
    )
}

/// `kv-lease-skew`: the leader's clock falls behind when it is cut off, so its lease outlives
/// its office.
pub fn lease_skew(setup: Setup) -> Scenario<KvStore> {
    store(
        "kv-lease-skew",
        "A leader's lease under clock skew",
        "A lease read answers a get from the leader's own state machine while a majority has \
         acknowledged it within 110 ticks of its clock — less than the shortest election \
         timeout, so with clocks at one rate no successor can exist yet. At t=300 n0 is cut \
         off with client A, and its clock falls behind (it reads half the true time from then \
         on) while n1's and n2's run 50% fast: n1 or n2 is elected and B's put commits while \
         n0, by its own clock, still holds its lease, and at t=700 it answers A's read with \
         the old value. Read through the log, A's get waits for the heal and reads B1.",
        setup,
        0,
        Some(0),
        lease_skew_script(),
    )
}

// -------------------------------------------------------------------------------------------
// The challenges' runs.
// -------------------------------------------------------------------------------------------

/// Which challenge a run is for: it decides the clients' rule and the scripted runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Step {
    /// `kv-apply`: clients give up at the first timeout, the network does not duplicate.
    Apply,
    /// `kv-dedup`: clients retry with the same sequence number.
    Dedup,
    /// `kv-client`: the learner's client decides retries, redirects and giving up, on the
    /// reference machine.
    Client,
    /// `kv-reads`: the learner's leader decides how it serves each get.
    Reads,
    /// `kv-your-raft`: the reference store on the learner's chapter 4 Raft.
    Raft,
}

/// Every this many seeds, one is a scripted run (in turn) instead of a swarm run.
pub const SCRIPTED_EVERY: u64 = 4;

/// The swarm run's id of a step.
pub fn swarm_id(step: Step) -> &'static str {
    match step {
        Step::Apply => "kv-apply-swarm",
        Step::Dedup => "kv-dedup-swarm",
        Step::Client => "kv-client-swarm",
        Step::Reads => "kv-reads-swarm",
        Step::Raft => "kv-raft-swarm",
    }
}

/// The scripted runs of a step, in the order seeds take them.
pub fn scripted_ids(step: Step) -> &'static [&'static str] {
    match step {
        Step::Apply => &["kv-apply-appends", "kv-apply-restart"],
        Step::Dedup => &["kv-dedup-lost-answers", "kv-dedup-duplicates"],
        Step::Client => &[
            "kv-client-lost-answers",
            "kv-client-moved-leader",
            "kv-client-dead-leader",
        ],
        Step::Reads => &["kv-reads-deposed-leader", "kv-reads-lease-skew"],
        Step::Raft => &[
            "kv-raft-restart",
            "kv-raft-minority-write",
            "kv-raft-lost-answers",
            "kv-raft-stale-candidate",
        ],
    }
}

fn req(t: u64, k: u16, op: &str) -> Override {
    Override::at(t, Action::Request(client(k), op.to_string()))
}

/// Every client reads every key, from `t` on: what the history's last word on the data is.
fn final_reads(t: u64) -> Vec<Override> {
    (0..CLIENTS)
        .flat_map(|k| {
            KEYS.iter()
                .map(move |key| req(t + u64::from(k) * 10, k, &format!("get.{key}")))
        })
        .collect()
}

/// The scripted run `id`'s faults and requests, if `id` is one.
fn script(id: &str) -> Option<Vec<Override>> {
    let at = Override::at;
    let mut s = match id {
        // Appends from every client to both keys, interleaved, and reads between them, with
        // no faults: an entry applied twice or an append that overwrites shows in a read.
        "kv-apply-appends" => vec![
            req(100, 0, "append.x.A1"),
            req(100, 1, "append.x.B1"),
            req(100, 2, "append.y.C1"),
            req(250, 0, "get.x"),
            req(250, 1, "append.y.B2"),
            req(250, 2, "append.x.C2"),
            req(400, 0, "append.y.A3"),
            req(400, 1, "get.y"),
            req(400, 2, "put.x.C3"),
            req(550, 0, "append.x.A4"),
            req(550, 1, "append.x.B4"),
            at(600, Action::HealAll),
        ],
        // A follower (n1) crashes with entries applied and restarts: its machine starts empty
        // and Raft applies the whole log again from index 1. Then the leader crashes with
        // operations in flight (their clients give up, outcome unknown), and n1 or n2 leads.
        "kv-apply-restart" | "kv-raft-restart" => vec![
            req(100, 0, "append.x.A1"),
            req(100, 1, "put.y.B1"),
            req(200, 2, "append.x.C1"),
            at(300, Action::Crash(1)),
            req(350, 0, "append.y.A2"),
            at(500, Action::Restart(1)),
            req(600, 1, "append.x.B2"),
            req(650, 2, "append.y.C2"),
            at(660, Action::Crash(0)),
            req(1_000, 0, "append.x.A3"),
            at(1_300, Action::Restart(0)),
            at(1_400, Action::HealAll),
        ],
        // C writes y = C1 and is answered. Then n0's answers to the clients are lost (links
        // n0 → A, B, C cut): A's and B's appends and C's read are committed and applied, but
        // they hear nothing and retry — at n0 again (each retry appends the same request
        // again), then, after n0 crashes, at the new leader. The retry of an applied request
        // lands after a leader change, and C's retried read must be answered "C1".
        "kv-dedup-lost-answers" | "kv-client-lost-answers" | "kv-raft-lost-answers" => vec![
            req(100, 2, "put.y.C1"),
            at(250, Action::Cut(0, client(0))),
            at(250, Action::Cut(0, client(1))),
            at(250, Action::Cut(0, client(2))),
            req(300, 0, "append.x.A1"),
            req(300, 1, "append.x.B1"),
            req(300, 2, "get.y"),
            at(750, Action::Crash(0)),
            req(1_300, 2, "append.y.C2"),
            at(1_400, Action::Restart(0)),
            at(1_500, Action::HealAll),
        ],
        // Every message may arrive twice: a request duplicated on its way to the leader is
        // appended twice, and a retry may race its own first attempt.
        "kv-dedup-duplicates" => vec![
            at(0, Action::Dup(None, 500_000)),
            req(100, 0, "append.x.A1"),
            req(100, 1, "append.y.B1"),
            req(100, 2, "append.x.C1"),
            req(300, 0, "append.y.A2"),
            req(300, 1, "append.x.B2"),
            req(300, 2, "put.y.C2"),
            req(500, 0, "append.x.A3"),
            at(700, Action::HealAll),
        ],
        // n0 is cut off alone while the clients are idle but for B, whose append meets the
        // election; the others elect a leader, and after the heal n0 follows it. The clients'
        // final reads go first to n0, where they last had an answer: each gets `NotLeader`
        // naming the new leader.
        "kv-client-moved-leader" => vec![
            req(100, 0, "put.x.A1"),
            req(100, 1, "append.y.B1"),
            req(100, 2, "append.x.C1"),
            at(250, Action::Partition(vec![vec![0], vec![1, 2, 3, 4, 5]])),
            req(500, 1, "append.x.B2"),
            at(800, Action::HealAll),
        ],
        // The leader n0 crashes for good while every client has a request in flight to it;
        // the two others elect a leader. Until they do, their hints may still name n0.
        "kv-client-dead-leader" => vec![
            req(100, 0, "append.x.A1"),
            req(100, 1, "append.y.B1"),
            req(100, 2, "put.x.C1"),
            req(300, 0, "append.x.A2"),
            req(300, 1, "get.x"),
            req(300, 2, "append.y.C2"),
            at(310, Action::Crash(0)),
            req(700, 0, "append.x.A3"),
        ],
        "kv-reads-deposed-leader" => deposed_script(),
        // n0 leads term 1 and is cut off with client A, whose put reaches n0 alone: Raft
        // commits it only on a majority, so it cannot commit (nor be answered) before the
        // heal. B reads x on the majority side.
        "kv-raft-minority-write" => vec![
            req(100, 0, "put.x.A1"),
            at(
                300,
                Action::Partition(vec![vec![0, client(0)], vec![1, 2, client(1), client(2)]]),
            ),
            req(310, 0, "put.x.A2"),
            req(800, 1, "get.x"),
            at(1_200, Action::HealAll),
        ],
        // n2 is cut off alone from the start and keeps starting elections, so its term runs
        // ahead while its log stays empty. A's put commits on n0 and n1. n0 crashes; n2
        // rejoins with the higher term and the shorter log: only n1 may win (§5.4.1), and
        // B's read must see A1.
        "kv-raft-stale-candidate" => vec![
            at(30, Action::Partition(vec![vec![2], vec![0, 1, 3, 4, 5]])),
            req(100, 0, "put.x.A1"),
            at(600, Action::Crash(0)),
            at(610, Action::Heal),
            req(1_100, 1, "get.x"),
            at(1_400, Action::Restart(0)),
            at(1_500, Action::HealAll),
        ],
        "kv-reads-lease-skew" => lease_skew_script(),
        _ => return None,
    };
    // The final reads begin once the last fault (or heal) is [`SETTLE_TICKS`] old.
    let healed = s
        .iter()
        .filter_map(|o| match (&o.at, &o.action) {
            (crate::sim::spec::When::Time(t), a) if !matches!(a, Action::Request(..)) => Some(*t),
            _ => None,
        })
        .max()
        .unwrap_or(0);
    s.extend(final_reads(healed + SETTLE_TICKS));
    Some(s)
}

fn step_text(id: &str) -> (&'static str, &'static str) {
    match id {
        "kv-apply-swarm" | "kv-dedup-swarm" | "kv-client-swarm" | "kv-reads-swarm"
        | "kv-raft-swarm" => (
            "The store under a random nemesis",
            "Each seed draws its own faults (crashes and restarts of servers, partitions, \
             pauses, clock skew, loss) and their rates; clients run a random workload and, \
             once the faults end, read every key.",
        ),
        "kv-apply-appends" => (
            "Appends and reads, no faults",
            "Clients append to x and y, interleaved with reads; nothing fails.",
        ),
        "kv-apply-restart" | "kv-raft-restart" => (
            "A follower restarts, then the leader crashes",
            "n1 crashes and restarts with an empty machine (Raft applies its log again from \
             index 1); later the leader n0 crashes with operations in flight.",
        ),
        "kv-dedup-lost-answers" | "kv-client-lost-answers" | "kv-raft-lost-answers" => (
            "Answers lost, retries after a leader change",
            "The links from n0 to the clients are cut: n0 applies their requests but its \
             answers never arrive; the clients retry, and after n0 crashes their retries \
             reach a new leader.",
        ),
        "kv-client-moved-leader" => (
            "The leader moves while the clients are idle",
            "n0 is cut off alone from t=250 to 800 and a new leader is elected; the clients' \
             next requests go to n0, which answers NotLeader naming the new leader.",
        ),
        "kv-client-dead-leader" => (
            "The leader crashes for good",
            "n0 crashes at t=310 with a request from every client in flight and never \
             restarts; n1 and n2 elect a leader and must answer everything after.",
        ),
        "kv-raft-minority-write" => (
            "A write reaches a cut-off leader",
            "n0 is cut off with client A at t=300; A's put x=A2 reaches n0 alone, which \
             cannot commit it without a majority; B reads x on the majority side at t=800.",
        ),
        "kv-raft-stale-candidate" => (
            "A candidate with a higher term and a shorter log",
            "n2 is cut off alone from t=30 while A's put commits on n0 and n1; n0 crashes at \
             t=600 and n2 rejoins with a higher term and an empty log; B reads x at t=1100.",
        ),
        "kv-reads-deposed-leader" => (
            "A deposed leader is asked to read",
            "n0 is cut off with client A at t=300 and still believes it leads; B's put x=B1 \
             commits on the majority side; at t=900 A reads x at n0.",
        ),
        "kv-reads-lease-skew" => (
            "A leader's clock falls behind",
            "n0 is cut off with client A at t=300 and its clock runs at half speed while the \
             others run fast; B's put x=B1 commits on the majority side; at t=700 A reads x \
             at n0, whose lease by its own clock has not run out.",
        ),
        _ => (
            "Duplicated messages",
            "Half of all messages are delivered twice, requests included.",
        ),
    }
}

/// The challenge scenario `id` of `step` with these decisions, if `id` is one of its runs.
pub fn challenge_scenario(step: Step, id: &str, setup: Setup) -> Option<Scenario<KvStore>> {
    let id = std::iter::once(swarm_id(step))
        .chain(scripted_ids(step).iter().copied())
        .find(|&known| known == id)?;
    let (title, description) = step_text(id);
    let setup = Setup {
        client: match step {
            Step::Apply => Arc::new(ClientRule::GiveUp),
            Step::Dedup | Step::Client | Step::Reads | Step::Raft => setup.client,
        },
        ..setup
    };
    let scripted = id != swarm_id(step);
    Some(store(
        id,
        title,
        description,
        setup,
        0,
        scripted.then_some(0),
        script(id).unwrap_or_default(),
    ))
}

/// The run of `seed` in a step's challenge: every [`SCRIPTED_EVERY`]-th seed one of the
/// scripted runs in turn, the others the swarm plan of that seed (without duplication for
/// `kv-apply`, whose clients never resend a request), ending with reads of every key.
pub fn challenge_run(step: Step, seed: u64) -> RunSpec {
    let scripted = scripted_ids(step);
    if seed % SCRIPTED_EVERY == SCRIPTED_EVERY - 1 {
        let k = (seed / SCRIPTED_EVERY) % scripted.len() as u64;
        let id = scripted[k as usize];
        return RunSpec {
            scenario: id.to_string(),
            seed,
            overrides: script(id).unwrap_or_default(),
        };
    }
    let s = challenge_scenario(step, swarm_id(step), Setup::reference())
        .expect("the swarm run is one of the step's");
    let mut spec = swarm_plan(&s, seed);
    if step == Step::Apply {
        spec.overrides
            .retain(|o| !matches!(o.action, Action::Dup(..)));
    }
    spec.overrides.extend(workload(seed));
    spec.overrides.sort_by_key(|o| match o.at {
        crate::sim::spec::When::Time(t) => t,
        crate::sim::spec::When::Step(_) => 0,
    });
    spec.overrides
        .extend(final_reads(SAFETY_TICKS + SETTLE_TICKS));
    spec
}

/// A swarm run's workload as requests (so that shrinking a failure removes operations too):
/// [`OPS_PER_CLIENT`] operations per client at random times during the faults — gets, puts
/// and appends on random keys, each write with a value no other writes (`B3`: client B's
/// third).
pub fn workload(seed: u64) -> Vec<Override> {
    let mut rng = crate::rng::Rng::new(seed ^ 0x4B56_5F57_4F52_4B4C);
    let mut out = Vec::new();
    for k in 0..CLIENTS {
        let letter = super::node::client_letter(SERVERS, client(k));
        for i in 1..=OPS_PER_CLIENT {
            let t = rng.range_inclusive(0, SAFETY_TICKS - 1);
            let key = KEYS[rng.below(KEYS.len() as u64) as usize];
            let op = match rng.below(10) {
                0..=3 => format!("get.{key}"),
                4..=5 => format!("put.{key}.{letter}{i}"),
                _ => format!("append.{key}.{letter}{i}"),
            };
            out.push(req(t, k, &op));
        }
    }
    out
}
