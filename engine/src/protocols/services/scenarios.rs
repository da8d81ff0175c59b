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
        "Debug: the databases got busy after a config change",
        "Since a configuration change, calls to the databases time out and are retried, and \
         the databases serve more queries than the checkouts need. Find the change.",
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

/// A debugging puzzle: a scenario with one planted cause, as a multiple-choice question the
/// chapter asks under the simulation (a ```puzzle block), answered after the learner has tested a
/// hypothesis by changing one setting on the same seed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Puzzle {
    /// The scenario id.
    pub scenario: &'static str,
    /// The question.
    pub question: &'static str,
    /// The choices, each with what the learner is told on choosing it.
    pub choices: &'static [Choice],
    /// Index of the right choice.
    pub answer: usize,
}

/// One answer of a [`Puzzle`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Choice {
    /// The answer.
    pub text: &'static str,
    /// For the right answer, why and how the signals show it; for a wrong one, which signal
    /// rules it out and how to test it.
    pub feedback: &'static str,
}

/// The puzzles, one per debugging scenario.
pub const PUZZLES: [Puzzle; 3] = [
    Puzzle {
        scenario: "obs-retry-storm",
        question: "Why do the databases serve more queries than the checkouts need?",
        choices: &[
            Choice {
                text: "db-1 is slow",
                feedback: "No. \u{201c}Slow node\u{201d} is none in this run. What grows is \
                           the number of queries db-1 serves per checkout, not the time one \
                           query takes on its own.",
            },
            Choice {
                text: "the database timeout was lowered below the queries' p99, so healthy \
                       slow queries are retried",
                feedback: "Right. The traces show \u{21bb} retries of INSERT order and SELECT \
                           stock whose first attempts were still running when they timed out; \
                           RED shows the databases serving more queries than the checkouts \
                           need (one on each per checkout), and the abandoned attempts are work \
                           nobody waits for, which makes the next queries wait longer. Setting \
                           the timeout back to 300 on the same seed ends every retry.",
            },
            Choice {
                text: "payments declines cards",
                feedback: "No. A declined card fails a checkout without touching the \
                           databases again; RED's errors column stays near zero, and no retry \
                           in the traces is a call to payments.",
            },
            Choice {
                text: "the queue loses messages",
                feedback: "No. The queue is after the database writes: losing messages would \
                           show as checkouts with no shipping span, not as extra queries.",
            },
        ],
        answer: 1,
    },
    Puzzle {
        scenario: "obs-slow-disk",
        question: "Which node makes the slowest checkouts slow?",
        choices: &[
            Choice {
                text: "gateway",
                feedback: "No. The gateway's span encloses the whole checkout; its own work \
                           between its children is a few ticks. It is slow because what it \
                           waits for is.",
            },
            Choice {
                text: "orders",
                feedback: "No. On the slow traces orders' span is long only while it waits for \
                           inventory; its own share of the critical path is small.",
            },
            Choice {
                text: "inventory",
                feedback: "Close, but no. Inventory's p99 is high because it waits for db-2: \
                           its span encloses db-2's SELECT stock, which takes nearly all of it. \
                           Setting \u{201c}Slow node\u{201d} to none on the same seed brings \
                           inventory's p99 down with db-2's.",
            },
            Choice {
                text: "db-1",
                feedback: "No. db-1 serves the INSERT order, which is not on the slow traces' \
                           critical path: those end in db-2's SELECT stock.",
            },
            Choice {
                text: "db-2",
                feedback: "Right. Every span on the critical path of a slow trace encloses the \
                           next, down to db-2's SELECT stock: inventory looks slow only because \
                           it waits for db-2. Its RED duration p99 is the one far above the \
                           others' own work, and setting \u{201c}Slow node\u{201d} to none on \
                           the same seed removes it.",
            },
        ],
        answer: 4,
    },
    Puzzle {
        scenario: "obs-skewed-clock",
        question: "Why does the merged log show inventory answering before orders calls it?",
        choices: &[
            Choice {
                text: "orders sends its calls twice",
                feedback: "No. Each flagged receive matches exactly one send in the causal \
                           merge; a second send would be a second line at orders.",
            },
            Choice {
                text: "inventory's clock runs 120 ticks behind the others",
                feedback: "Right. Every flagged pair has its effect at inventory and its cause \
                           elsewhere, stamped later by a clock that is ahead of inventory's. \
                           Vector clocks order the same lines causally, with no inversion; \
                           resetting inventory's skew to zero on the same seed removes every \
                           flag.",
            },
            Choice {
                text: "the network reorders messages",
                feedback: "No. Reordering changes which message arrives first, never makes a \
                           message arrive before it was sent; the causal merge of the same \
                           lines has no flagged pair.",
            },
            Choice {
                text: "the log aggregator drops lines",
                feedback: "No. Both merges show the same lines, only in different orders; a \
                           dropped line would be missing from both.",
            },
        ],
        answer: 1,
    },
];

/// The puzzle asked under `scenario`, if it has one.
pub fn puzzle(scenario: &str) -> Option<&'static Puzzle> {
    PUZZLES.iter().find(|p| p.scenario == scenario)
}

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
