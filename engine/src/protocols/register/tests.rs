use super::scenarios::CHART_CONFIGS;
use super::view::{history_panel, recorded, stale_reads};
use super::*;
use crate::sim::panel::HistoryPanel;
use crate::sim::spec::{Action, Override, RunSpec};
use crate::sim::world::{Scenario, Sim, SimOptions};

fn run(scenario: Scenario<Register>, seed: u64, choices: &[(&str, &str)]) -> Sim<Register> {
    let mut spec = RunSpec::new(scenario.id, seed);
    spec.overrides = scenario.script.clone();
    for (name, choice) in choices {
        spec.overrides.push(Override::at(
            0,
            Action::Set((*name).into(), (*choice).into()),
        ));
    }
    let mut sim = Sim::new(scenario, spec, SimOptions::INTERACTIVE).expect("builds");
    sim.run_until_time(2_000, false).expect("runs");
    sim
}

fn verdict<'a>(panel: &'a HistoryPanel, model: &str) -> &'a str {
    &panel
        .verdicts
        .iter()
        .find(|v| v.model == model)
        .unwrap_or_else(|| panic!("no verdict for {model}"))
        .verdict
}

#[test]
fn follower_reads_under_async_replication_are_not_linearizable() {
    // The chapter's run (seed 1) and most others show the stale read the scenario is about.
    let mut stale = 0;
    for seed in 1..=10 {
        let sim = run(replication(), seed, &[]);
        let panel = history_panel(&sim.world_ref());
        assert_eq!(panel.ops.len(), 24, "seed {seed}: every operation ran");
        if verdict(&panel, "linearizable") == "violated" {
            stale += 1;
            let v = &panel.verdicts[0];
            assert!(
                !v.ops.is_empty(),
                "seed {seed}: the violation names operations"
            );
            assert!(v.ops.iter().all(|&i| i < panel.ops.len()));
        }
    }
    assert!(stale >= 8, "only {stale} of 10 runs broke linearizability");
    let panel = history_panel(&run(replication(), 1, &[]).world_ref());
    assert_eq!(verdict(&panel, "linearizable"), "violated");
}

#[test]
fn leader_writes_and_reads_with_sync_replication_are_linearizable_on_every_seed() {
    for seed in 0..20 {
        for replication_choice in ["sync", "quorum", "async"] {
            let sim = run(
                replication(),
                seed,
                &[("replication", replication_choice), ("reads", "leader")],
            );
            let panel = history_panel(&sim.world_ref());
            assert_eq!(
                verdict(&panel, "linearizable"),
                "holds",
                "seed {seed}, {replication_choice}: {:?}",
                panel.verdicts[0]
            );
            assert_eq!(verdict(&panel, "converged"), "holds", "seed {seed}");
        }
    }
}

#[test]
fn cp_makes_the_minority_time_out_and_ap_answers_it_but_loses_linearizability() {
    let b = 1; // B's lane
    for seed in 1..=5 {
        let cp = history_panel(&run(cap(), seed, &[]).world_ref());
        assert_eq!(verdict(&cp, "linearizable"), "holds", "seed {seed}");
        let during = |p: &HistoryPanel, outcome| {
            p.ops
                .iter()
                .filter(|o| o.lane == b && o.start > 160 && o.start < 440 && o.outcome == outcome)
                .count()
        };
        assert!(
            during(&cp, crate::sim::panel::BarOutcome::Unknown) >= 1,
            "seed {seed}: B times out in the minority under CP"
        );
        assert_eq!(
            during(&cp, crate::sim::panel::BarOutcome::Ok),
            0,
            "seed {seed}"
        );
        let ap = history_panel(&run(cap(), seed, &[("mode", "ap")]).world_ref());
        assert_eq!(verdict(&ap, "linearizable"), "violated", "seed {seed}");
        assert!(ap
            .ops
            .iter()
            .all(|o| o.outcome == crate::sim::panel::BarOutcome::Ok));
        assert_eq!(
            verdict(&ap, "converged"),
            "holds",
            "seed {seed}: heals and converges"
        );
    }
}

#[test]
fn convergence_is_judged_only_once_updates_stop() {
    let scenario = replication();
    let mut spec = RunSpec::new(scenario.id, 1);
    spec.overrides = scenario.script.clone();
    let mut sim = Sim::new(scenario, spec, SimOptions::INTERACTIVE).expect("builds");
    sim.run_until_time(200, false).expect("runs");
    let early = history_panel(&sim.world_ref());
    assert_eq!(verdict(&early, "converged"), "not-applicable");
    assert!(early
        .verdicts
        .iter()
        .any(|v| v.sentence.contains("updates stop")));
}

#[test]
fn an_option_changed_mid_run_takes_effect_from_then_and_replays_the_same() {
    let scenario = replication();
    let mut spec = RunSpec::new(scenario.id, 4);
    spec.overrides = scenario.script.clone();
    spec.overrides.push(Override::at(
        300,
        Action::Set("reads".into(), "leader".into()),
    ));
    let token = spec.to_url_token();
    assert!(token.contains("~t300oreads.leader"), "{token}");
    assert_eq!(crate::scenarios::spec_from_token(&token).unwrap(), spec);
    let run = |spec: &RunSpec| {
        let mut sim = Sim::new(replication(), spec.clone(), SimOptions::INTERACTIVE).unwrap();
        sim.run_until_time(2_000, false).unwrap();
        let w = sim.world_ref();
        assert_eq!(w.option("reads"), Some("leader"));
        (sim.trace_hash(), stale_reads(&recorded(&w)))
    };
    let (hash, _) = run(&spec);
    assert_eq!(run(&spec).0, hash, "the same spec gives the same run");
    // After the switch no read is stale: reads go to the leader, which applies every write
    // before acknowledging it.
    let mut sim = Sim::new(replication(), spec.clone(), SimOptions::INTERACTIVE).unwrap();
    sim.run_until_time(2_000, false).unwrap();
    let trace: Vec<String> = sim.trace().iter().map(|e| e.line()).collect();
    assert!(
        trace.iter().any(|l| l.contains("set reads=leader")),
        "the switch is in the log"
    );
}

#[test]
fn unknown_options_and_choices_are_refused_with_what_exists() {
    let bad = |name: &str, choice: &str| {
        let mut spec = RunSpec::new("register-replication", 1);
        spec.overrides
            .push(Override::at(0, Action::Set(name.into(), choice.into())));
        crate::scenarios::validate(&spec).unwrap_err().to_string()
    };
    let e = bad("replicaton", "sync");
    assert!(
        e.contains("no option 'replicaton'") && e.contains("replication"),
        "{e}"
    );
    let e = bad("reads", "nearby");
    assert!(
        e.contains("no choice 'nearby'") && e.contains("nearest"),
        "{e}"
    );
    let mut spec = RunSpec::new("retry-lossy", 1);
    spec.overrides.push(Override::at(
        0,
        Action::Set("reads".into(), "leader".into()),
    ));
    let e = crate::scenarios::validate(&spec).unwrap_err().to_string();
    assert!(e.contains("has no options"), "{e}");
}

#[test]
fn waiting_for_more_replicas_costs_latency_and_answering_nearby_costs_stale_reads() {
    let chart = sweep_chart(1);
    let latency = &chart.series[0].points;
    let stale = &chart.series[1].points;
    assert_eq!(latency.len(), CHART_CONFIGS.len());
    assert_eq!(chart.names.len(), CHART_CONFIGS.len());
    // async · nearest is the fastest and the only one with stale reads after a completed write.
    let fastest = latency.iter().min_by_key(|p| p.1).unwrap().0;
    assert_eq!(fastest, 1, "{latency:?}");
    assert!(stale[0].1 >= 10, "{stale:?}");
    assert!(latency[4].1 > latency[0].1 * 2, "{latency:?}");
    assert_eq!(sweep_chart(1), chart, "the chart is deterministic");
}

#[test]
fn a_converged_store_stops_gossiping() {
    for seed in 0..5 {
        let sim = run(cap(), seed, &[("mode", "ap")]);
        let late_gossip = sim
            .trace()
            .iter()
            .filter(|e| e.t > 1_500)
            .filter(|e| e.line().contains("send  Gossip"))
            .count();
        assert_eq!(
            late_gossip, 0,
            "seed {seed}: replicas that agree stay quiet"
        );
        let early_gossip = sim
            .trace()
            .iter()
            .filter(|e| e.t > 450 && e.t < 700 && e.line().contains("Gossip"))
            .count();
        assert!(
            early_gossip > 0,
            "seed {seed}: after the heal, gossip repairs the replicas"
        );
    }
}

#[test]
fn a_run_ends_once_the_workload_is_done_and_the_replicas_agree() {
    for seed in 0..5 {
        for (scenario, choices) in [
            (replication(), vec![]),
            (cap(), vec![]),
            (cap(), vec![("mode", "ap")]),
        ] {
            let sim = run(scenario, seed, &choices);
            assert!(
                sim.is_quiescent(),
                "seed {seed}: nothing is left to happen at t={}",
                sim.time()
            );
        }
    }
}
