//! The replicated register's scenarios and its latency/consistency chart.

use super::view::{recorded, stale_reads};
use super::*;
use crate::sim::panel::{Sweep, SweepSeries};
use crate::sim::spec::{Action, Override, RunSpec};
use crate::sim::world::{LinkCfg, Scenario, Sim, SimOptions};

/// Client A is n3, client B n4.
const CLIENTS: u16 = 2;
/// Operations each client runs.
const OPS_PER_CLIENT: u32 = 12;
/// Latency between regions (replica to replica, client to a far replica), ticks.
const FAR: (u64, u64) = (10, 20);
/// Latency between a client and its nearest replica, ticks.
const NEAR: (u64, u64) = (1, 3);

/// Each client sits next to its nearest replica; everything else is a region away.
fn geography() -> Vec<Override> {
    let mut script = Vec::new();
    for c in REPLICAS..REPLICAS + CLIENTS {
        let r = nearest(c);
        for (a, b) in [(c, r), (r, c)] {
            script.push(Override::at(
                0,
                Action::Latency(Some((a, b)), NEAR.0, NEAR.1),
            ));
        }
    }
    script
}

fn store(
    id: &'static str,
    title: &'static str,
    description: &'static str,
    knobs: Knobs,
    script: Vec<Override>,
) -> Scenario<Register> {
    Scenario {
        id,
        title,
        description,
        nodes: REPLICAS + CLIENTS,
        protocol: Register {
            knobs,
            clients: CLIENTS,
            ops_per_client: OPS_PER_CLIENT,
        },
        net: LinkCfg::calm(FAR.0, FAR.1),
        calm: LinkCfg::calm(FAR.0, FAR.1),
        script,
        properties: Vec::new(),
        workload: Vec::new(),
        faulty_nodes: (0..REPLICAS).collect(),
        safety_ticks: 600,
    }
}

/// `register-replication`: every replication choice live, starting with asynchronous
/// replication and reads from the nearest replica.
pub fn replication() -> Scenario<Register> {
    store(
        "register-replication",
        "A replicated register you configure",
        "Three replicas (n0 leads) and two clients, A next to n1 and B next to n2, read and \
         write one register. Change where writes and reads go, how replication acknowledges \
         and how far followers lag, and watch which consistency models the history keeps.",
        Knobs::Full,
        geography(),
    )
}

/// `register-cap`: one CP / AP switch, and a partition that cuts B and its replica off.
pub fn cap() -> Scenario<Register> {
    let mut script = geography();
    script.push(Override::at(
        150,
        Action::Partition(vec![vec![0, 1, 3], vec![2, 4]]),
    ));
    script.push(Override::at(450, Action::Heal));
    store(
        "register-cap",
        "CAP: the same store, CP or AP",
        "The same store with one switch. At t=150 a partition cuts n2 and client B off from \
         the rest until t=450. CP keeps the history linearizable and B's operations time out; \
         AP answers B from n2 and the history stops being linearizable; after the heal the \
         replicas converge.",
        Knobs::Cap,
        script,
    )
}

/// The configurations the latency/consistency chart compares: (name, replication, reads).
pub const CHART_CONFIGS: [(&str, &str, &str); 5] = [
    ("async · nearest", "async", "nearest"),
    ("async · leader", "async", "leader"),
    ("quorum · nearest", "quorum", "nearest"),
    ("sync · nearest", "sync", "nearest"),
    ("quorum · quorum", "quorum", "quorum"),
];

/// Runs per configuration in the chart (seeds `seed..seed + CHART_RUNS`).
pub const CHART_RUNS: u64 = 8;

/// One configuration's outcome over the chart's runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ChartPoint {
    /// Mean latency of the operations that returned, ticks.
    pub mean_latency: u64,
    /// Stale reads per hundred reads that returned.
    pub stale_percent: u64,
}

/// Runs the `register-replication` workload with no faults under one configuration.
pub fn measure(replication_choice: &str, reads: &str, seed: u64) -> ChartPoint {
    let scenario = super::replication();
    let (mut latency, mut returned, mut stale, mut reads_done) = (0u64, 0u64, 0usize, 0usize);
    for s in seed..seed + CHART_RUNS {
        let mut spec = RunSpec::new(scenario.id, s);
        spec.overrides = scenario.script.clone();
        spec.overrides.push(Override::at(
            0,
            Action::Set("replication".into(), replication_choice.into()),
        ));
        spec.overrides
            .push(Override::at(0, Action::Set("reads".into(), reads.into())));
        let Ok(mut sim) = Sim::new(scenario.clone(), spec, SimOptions::FAST) else {
            continue;
        };
        let _ = sim.run_until_time(3_000, false);
        let ops = recorded(&sim.world_ref());
        for r in &ops {
            if let (crate::sim::panel::BarOutcome::Ok, Some(end)) = (r.outcome, r.end) {
                latency += end.0 - r.start.0;
                returned += 1;
            }
        }
        let (s, n) = stale_reads(&ops);
        stale += s;
        reads_done += n;
    }
    ChartPoint {
        mean_latency: latency.checked_div(returned).unwrap_or(0),
        stale_percent: (stale as u64 * 100)
            .checked_div(reads_done as u64)
            .unwrap_or(0),
    }
}

/// The "else" half of PACELC as a chart: mean operation latency and the share of stale reads
/// for each configuration in [`CHART_CONFIGS`], over [`CHART_RUNS`] fault-free runs from `seed`.
pub fn sweep_chart(seed: u64) -> Sweep {
    let points: Vec<(u64, ChartPoint)> = CHART_CONFIGS
        .iter()
        .enumerate()
        .map(|(i, (_, rep, reads))| (i as u64 + 1, measure(rep, reads, seed)))
        .collect();
    Sweep {
        title: "Latency or consistency (PACELC's else)".into(),
        x_label: "replication · reads".into(),
        current: 1,
        legend: format!(
            "The same workload without faults ({CHART_RUNS} runs from seed {seed}), writes to \
             the leader, short lag, under each configuration: waiting for more replicas costs \
             latency; answering from a nearby copy costs stale reads. The dashed line is the \
             scenario's starting configuration."
        ),
        series: vec![
            SweepSeries {
                name: "mean latency (ticks)".into(),
                points: points.iter().map(|(x, p)| (*x, p.mean_latency)).collect(),
            },
            SweepSeries {
                name: "stale reads (%)".into(),
                points: points.iter().map(|(x, p)| (*x, p.stale_percent)).collect(),
            },
        ],
        names: CHART_CONFIGS.iter().map(|c| c.0.to_string()).collect(),
    }
}
