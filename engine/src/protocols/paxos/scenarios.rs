//! The chapter's Paxos scenarios.

use super::*;

/// The seed each scenario's lesson is told with (content directives use these).
pub const DEFAULT_SEEDS: [(&str, u64); 4] = [
    ("paxos-basic", 1),
    ("paxos-dueling", 136),
    ("paxos-split-brain-safe", 1),
    ("paxos-crash-recovery", 1),
];

pub(super) fn req(t: u64, node: NodeId, text: &str) -> Override {
    Override::at(t, Action::Request(node, text.into()))
}

/// Links of 5–15 ticks: a phase (one round trip) takes 10–30.
pub(super) const NET: LinkCfg = LinkCfg::calm(5, 15);

pub(super) fn base(
    id: &'static str,
    title: &'static str,
    description: &'static str,
    script: Vec<Override>,
    variant: PaxosVariant,
) -> Scenario<Paxos> {
    Scenario {
        id,
        title,
        description,
        nodes: 5,
        protocol: Paxos::new(PaxosCfg::default(), variant),
        net: NET,
        calm: NET,
        script,
        properties: properties(),
        workload: vec![(0, "x"), (1, "y"), (0, "z"), (1, "w")],
        faulty_nodes: vec![0, 1, 2, 3, 4],
        safety_ticks: 400,
    }
}

/// `paxos-basic`: one proposer, two round trips, one acceptor down.
pub fn basic(variant: PaxosVariant) -> Scenario<Paxos> {
    base(
        "paxos-basic",
        "Paxos: one proposer, two phases",
        "Five nodes are acceptors and learners; n0 and n1 are also proposers. n1 and n4 crash \
         at t=5. At t=10 n0's client asks it to propose x: n0 sends Prepare for ballot 1.n0 \
         (phase 1a), the three live acceptors promise (1b) — three of five is a majority — \
         and n0 sends Accept 1.n0=x (2a). Each acceptor records the proposal and tells every \
         learner (2b); once three report 1.n0=x, x is chosen and they learn it. n1 and n4 \
         restart at t=200 knowing nothing. At t=300 n1's client asks it to propose y: any \
         majority of promises for ballot 1.n1 includes an acceptor that reports x accepted \
         in 1.n0, so n1 must propose x, not y — its client is told x was chosen, and n4 \
         learns x too.",
        vec![
            Override::at(5, Action::Crash(1)),
            Override::at(5, Action::Crash(4)),
            req(10, 0, "x"),
            Override::at(200, Action::Restart(1)),
            Override::at(200, Action::Restart(4)),
            req(300, 1, "y"),
        ],
        variant,
    )
}

/// `paxos-dueling`: two proposers pre-empt each other until backoff separates them.
pub fn dueling(variant: PaxosVariant) -> Scenario<Paxos> {
    base(
        "paxos-dueling",
        "Paxos: duelling proposers",
        "n0 and n1 are asked to propose x and y at almost the same time. Each Prepare \
         overtakes the other's ballot: acceptors that promised the higher ballot refuse the \
         lower one's Accept with a Nack, its proposer tries a higher round, and that Prepare \
         in turn pre-empts the other. This can go on forever — FLP says no deterministic \
         protocol can rule it out — but here a pre-empted proposer waits a random backoff \
         whose range doubles with each attempt, so after a few rounds one finishes both \
         phases while the other waits; the other learns the chosen value (or, if it tries \
         again, finds it in its promises and proposes it). Agreement holds at every step.",
        vec![req(0, 0, "x"), req(1, 1, "y")],
        variant,
    )
}

/// `paxos-split-brain-safe`: a proposer in a minority cannot get anything chosen.
pub fn split_brain(variant: PaxosVariant) -> Scenario<Paxos> {
    base(
        "paxos-split-brain-safe",
        "Paxos: a partitioned proposer cannot choose",
        "At t=0 the network splits into {n0, n3} and {n1, n2, n4}. n0 is asked to propose x \
         and n1 to propose y. n0 can gather only two promises, never a majority, so it times \
         out and retries with ever higher rounds; n1's side holds three of five acceptors and \
         chooses y. At t=800 the partition heals: n0's next Prepare reaches the majority, \
         whose promises report y, so n0 proposes y and its client learns y was chosen. Both \
         sides were busy; only one could choose.",
        vec![
            Override::at(0, Action::Partition(vec![vec![0, 3], vec![1, 2, 4]])),
            req(10, 0, "x"),
            req(20, 1, "y"),
            Override::at(800, Action::Heal),
        ],
        variant,
    )
}

/// `paxos-crash-recovery`: an acceptor crashes between promising a ballot and receiving a
/// delayed `Accept` of a lower one; only its stable storage keeps agreement.
pub fn crash_recovery(variant: PaxosVariant) -> Scenario<Paxos> {
    base(
        "paxos-crash-recovery",
        "Paxos: why an acceptor persists its promise",
        "n0 cannot reach n1 or n4, and its link to n2 takes 60 ticks. n0 is asked to propose \
         x at t=0: it gathers promises from n0, n3 and (late) n2 for ballot 1.n0 and sends \
         Accept 1.n0=x; n0 and n3 accept it soon, n2's copy is on the slow link. At t=62 n1, \
         which cannot reach n0 or n3, is asked to propose y: n1, n2 and n4 promise the higher \
         ballot 1.n1 and report nothing accepted, so n1 sends Accept 1.n1=y, its copy to n2 \
         slowed down too. n2 crashes at t=100 and restarts at t=110. When the delayed Accept \
         1.n0=x reaches it, the reference n2 still knows from stable storage that it promised \
         1.n1, and refuses with a Nack: only y is chosen, and n0 adopts y in its next ballot. \
         The forget-promises variant kept the promise in memory only: it accepts x (now \
         chosen by n0, n2, n3) and then y with the higher ballot (chosen by n1, n2, n4). \
         Agreement fails.",
        vec![
            Override::at(0, Action::Cut(0, 1)),
            Override::at(0, Action::Cut(0, 4)),
            Override::at(0, Action::Latency(Some((0, 2)), 60, 60)),
            req(0, 0, "x"),
            Override::at(61, Action::Cut(1, 0)),
            Override::at(61, Action::Cut(1, 3)),
            req(62, 1, "y"),
            Override::at(80, Action::Latency(Some((1, 2)), 90, 90)),
            Override::at(100, Action::Crash(2)),
            Override::at(110, Action::Restart(2)),
        ],
        variant,
    )
}

/// Every scenario of this module with one variant.
pub fn all(variant: PaxosVariant) -> Vec<Scenario<Paxos>> {
    vec![
        basic(variant),
        dueling(variant),
        split_brain(variant),
        crash_recovery(variant),
    ]
}
