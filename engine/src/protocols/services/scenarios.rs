//! The service graph's scenarios: a calm checkout workload, three debugging puzzles each with
//! one planted cause, and the runs of the `trace-context` challenge.
//!
//! A puzzle ([`PUZZLES`]) is data the chapter's prose and self-check can use: the scenario,
//! the question, the choices, the answer and why. Its planted cause is one override of the
//! scenario's script ([`planted`]); the tests run the same seed with and without it and
//! measure the symptom ([`symptoms`]).

use std::sync::Arc;

use super::properties::properties;
use super::rules::{PropagationHooks, Reference};
use super::types::*;
use super::Services;
use crate::error::SimError;
use crate::sim::protocol::NodeId;
use crate::sim::spec::{Action, Override, RunSpec};
use crate::sim::world::{LinkCfg, Scenario, Sim, SimOptions};

/// How many checkouts the client sends in the chapter's scenarios.
pub const CHAPTER_REQUESTS: u32 = 60;
/// How long a chapter scenario's faults last (its swarm's safety window), ticks.
pub const CHAPTER_TICKS: u64 = 3_000;
/// How many ticks behind the others the skewed node's clock runs in `obs-skewed-clock`.
pub const SKEW_TICKS: i64 = -120;

/// Time between checkouts at the busy hour of `obs-retry-storm`, ticks.
pub const BUSY_SPACING_TICKS: (u64, u64) = (4, 8);

/// How many checkouts the client sends in the busy hour of `obs-retry-storm`.
pub const BUSY_REQUESTS: u32 = 80;

/// The network between services: a datacenter's, quick and reliable.
pub const NET: LinkCfg = LinkCfg::calm(2, 10);

fn scenario(
    id: &'static str,
    title: &'static str,
    description: &'static str,
    hooks: Arc<dyn PropagationHooks>,
    requests: u32,
    client_headers: bool,
    script: Vec<Override>,
) -> Scenario<Services> {
    Scenario {
        id,
        title,
        description,
        nodes: NODES,
        protocol: Services::new(hooks, requests, client_headers),
        net: NET,
        calm: NET,
        script,
        properties: properties(),
        workload: vec![(CLIENT, "checkout")],
        faulty_nodes: (GATEWAY..NODES).collect(),
        safety_ticks: CHAPTER_TICKS,
    }
}

/// `obs-checkout`: the graph serving checkouts, nothing wrong.
pub fn checkout() -> Scenario<Services> {
    scenario(
        "obs-checkout",
        "A checkout across seven services",
        "The client sends checkouts to the gateway; orders fans out to inventory and \
         payments, writes to the primary and publishes to the queue, which shipping \
         consumes. Every request leaves a trace, log lines and metrics.",
        Arc::new(Reference),
        CHAPTER_REQUESTS,
        false,
        Vec::new(),
    )
}

/// `obs-retry-storm`: the database timeout lowered below the database's p99, at a busy hour.
pub fn retry_storm() -> Scenario<Services> {
    let mut s = scenario(
        "obs-retry-storm",
        "Debug: checkouts fail after a config change",
        "Since a configuration change, checkouts time out and the databases are busier \
         than the traffic explains. Find the change.",
        Arc::new(Reference),
        CHAPTER_REQUESTS,
        false,
        vec![planted("obs-retry-storm").expect("a planted cause")],
    );
    s.protocol.spacing_ticks = BUSY_SPACING_TICKS;
    s.protocol.requests = BUSY_REQUESTS;
    s
}

/// `obs-slow-disk`: the read replica's disk is slow.
pub fn slow_disk() -> Scenario<Services> {
    scenario(
        "obs-slow-disk",
        "Debug: checkout p99 is high",
        "Checkouts are mostly fine, but the slowest are very slow. Find the node that \
         makes them slow.",
        Arc::new(Reference),
        CHAPTER_REQUESTS,
        false,
        vec![planted("obs-slow-disk").expect("a planted cause")],
    )
}

/// `obs-skewed-clock`: inventory's clock runs behind.
pub fn skewed_clock() -> Scenario<Services> {
    scenario(
        "obs-skewed-clock",
        "Debug: the merged log shows answers before questions",
        "In the aggregated log, inventory seems to answer calls before orders makes them. \
         Find out why, and which order of the log to trust.",
        Arc::new(Reference),
        CHAPTER_REQUESTS,
        false,
        vec![planted("obs-skewed-clock").expect("a planted cause")],
    )
}

/// The one override that plants a puzzle's cause.
pub fn planted(id: &str) -> Option<Override> {
    Some(match id {
        "obs-retry-storm" => Override::at(0, Action::Set("timeout".into(), "100".into())),
        "obs-slow-disk" => Override::at(0, Action::Set("slow".into(), "db-2".into())),
        "obs-skewed-clock" => Override::at(0, Action::Clock(INVENTORY, SKEW_TICKS, 0)),
        _ => return None,
    })
}

/// A debugging puzzle: a scenario with one planted cause, as a multiple-choice question.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Puzzle {
    /// The scenario id.
    pub scenario: &'static str,
    /// The question.
    pub question: &'static str,
    /// The choices.
    pub choices: &'static [&'static str],
    /// Index of the right choice.
    pub answer: usize,
    /// Why, and how the signals show it.
    pub explanation: &'static str,
}

/// The puzzles, one per debugging scenario.
pub const PUZZLES: [Puzzle; 3] = [
    Puzzle {
        scenario: "obs-retry-storm",
        question: "What makes checkouts fail?",
        choices: &[
            "db-1 is slow",
            "the database timeout was lowered below the queries' p99, so retries multiply the load",
            "payments declines cards",
            "the queue loses messages",
        ],
        answer: 1,
        explanation: "The traces show ↻ retries of INSERT order and SELECT stock whose first \
                      attempts were still running when they timed out; RED shows the databases \
                      serving more queries than the checkouts need (two each), and the abandoned \
                      attempts are work nobody waits for, which makes the next queries wait \
                      longer. A timeout below the queries' p99 retries healthy slow queries. \
                      Setting the timeout back to 300 ends every retry.",
    },
    Puzzle {
        scenario: "obs-slow-disk",
        question: "Which node makes the slowest checkouts slow?",
        choices: &["gateway", "orders", "inventory", "db-1", "db-2"],
        answer: 4,
        explanation: "Every span on the critical path of a slow trace encloses the next, down \
                      to db-2's SELECT stock: inventory looks slow only because it waits for \
                      db-2. Its RED duration p99 is the one far above the others' own work.",
    },
    Puzzle {
        scenario: "obs-skewed-clock",
        question: "Why does the merged log show inventory answering before orders calls it?",
        choices: &[
            "orders sends its calls twice",
            "inventory's clock runs 120 ticks behind the others",
            "the network reorders messages",
            "the log aggregator drops lines",
        ],
        answer: 1,
        explanation: "Every flagged pair has its effect at inventory and its cause elsewhere, \
                      stamped later by a clock that is ahead of inventory's. Vector clocks \
                      order the same lines causally, with no inversion; resetting inventory's \
                      skew to zero removes every flag.",
    },
];

/// What a puzzle's symptom measures, from one finished run.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Symptoms {
    /// Checkouts the client finished.
    pub checkouts: u32,
    /// Of which failed or were given up on.
    pub failed: u32,
    /// Database queries served (both databases) per 100 checkouts: 200 without retries.
    pub queries_per_100: u64,
    /// The gateway's p99 duration, ticks.
    pub gateway_p99_ticks: u64,
    /// Effect-before-cause pairs in the merged log (all lines).
    pub inversions: u32,
    /// Call attempts that timed out (every service).
    pub timeouts: u64,
}

/// Run `spec` of `scenario` to `until` and measure the symptoms; `Err` when the run is not
/// one the scenario accepts or leaves the simulator's limits.
pub fn symptoms(
    scenario: Scenario<Services>,
    spec: RunSpec,
    until: u64,
) -> Result<Symptoms, SimError> {
    let mut sim = Sim::new(scenario, spec, SimOptions::FAST)?;
    sim.run_until_time(until, false)?;
    let world = sim.world_ref();
    let r = super::view::record(world.observed());
    let served = |n: NodeId| match world.state(n) {
        Some(s) => s.served,
        None => 0,
    };
    let (mut checkouts, mut failed) = (0, 0);
    for o in world.observed() {
        if let Note::Log { text, .. } = &o.note {
            if o.node == CLIENT && text.starts_with('r') {
                checkouts += 1;
                failed += u32::from(!text.ends_with(" ok"));
            }
        }
    }
    Ok(Symptoms {
        checkouts,
        failed,
        queries_per_100: (served(DB_PRIMARY) + served(DB_REPLICA)) * 100
            / u64::from(checkouts.max(1)),
        gateway_p99_ticks: super::metrics::red(&r.spans, GATEWAY).total.p99_ticks,
        inversions: super::logs::inversions(&r.lines, usize::MAX).len() as u32,
        timeouts: (0..NODES)
            .filter_map(|n| world.state(n))
            .map(|s| s.timeouts)
            .sum(),
    })
}
