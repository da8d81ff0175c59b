use std::sync::Arc;

use super::properties::{check_history, recorded, LinAnswer};
use super::scenarios::*;
use super::*;
use crate::challenge::harness::last_override_time;
use crate::sim::world::{Sim, SimOptions, Violation};

/// Runs the challenge run of `seed` for `step` with `setup`; the simulator at the end.
fn run(step: Step, seed: u64, setup: Setup) -> Sim<KvStore> {
    let spec = challenge_run(step, seed);
    let scenario = challenge_scenario(step, &spec.scenario, setup).expect("a run of the step");
    let end = last_override_time(&spec) + RUN_TAIL_TICKS;
    let mut sim = Sim::new(scenario, spec, SimOptions::CHECK).expect("it builds");
    sim.run_until_time(end, true).expect("it runs");
    sim.finish_liveness();
    sim
}

#[test]
fn history_sizes() {
    for seed in 0..8 {
        let sim = run(Step::Apply, seed, Setup::reference());
        let ops = recorded(&sim.world_ref());
        let unknown = ops
            .iter()
            .filter(|r| r.outcome != crate::sim::panel::BarOutcome::Ok)
            .count();
        let answer = check_history(&ops, SERVERS);
        println!(
            "seed {seed}: {} ops, {unknown} unknown, {:?} {:?}",
            ops.len(),
            std::mem::discriminant(&answer),
            sim.violation().map(|v: &Violation| v.property.clone())
        );
        if let LinAnswer::Unknown(_) = answer {
            for r in &ops {
                println!(
                    "  {:?}",
                    (r.client, r.seq, r.op.to_string(), r.outcome, r.start, r.end)
                );
            }
        }
    }
    let _ = Arc::new(0);
}
