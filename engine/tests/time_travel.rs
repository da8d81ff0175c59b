//! Time travel: `seek(k)` (backwards or forwards, from anywhere) gives exactly the world a fresh
//! run reaches at step `k`, and a hand-made override changes only the future.

use engine::rng::Rng;
use engine::scenarios::{build, default_spec, find};
use engine::sim::session::Command;
use engine::sim::spec::{Action, Override, When};
use engine::sim::world::SimOptions;

fn fresh_view(spec: &engine::sim::spec::RunSpec, steps: u64) -> engine::sim::session::WorldView {
    let mut sim = build(spec, SimOptions::INTERACTIVE).unwrap();
    sim.run_steps(steps).unwrap();
    sim.view(50)
}

#[test]
fn random_seeks_equal_fresh_runs() {
    for id in ["heartbeat-spikes", "retry-lossy"] {
        // A swarm plan so the seeks cross crashes, partitions and restarts.
        let spec = find(id).unwrap().swarm_spec(11);
        let mut sim = build(&spec, SimOptions::INTERACTIVE).unwrap();
        let end = sim.run_steps(4_500).unwrap();
        let mut rng = Rng::new(5);
        for _ in 0..40 {
            let k = rng.below(end + 1);
            sim.seek(k).unwrap();
            assert_eq!(sim.step_count(), k);
            assert_eq!(
                sim.view(50),
                fresh_view(&spec, k),
                "{id}: seek({k}) differs"
            );
            // Stepping on from a seek continues exactly like a fresh run.
            let ahead = (k + rng.below(1_500)).min(end);
            sim.run_steps(ahead - k).unwrap();
            assert_eq!(
                sim.view(50),
                fresh_view(&spec, ahead),
                "{id}: seek({k}) + steps to {ahead}"
            );
        }
    }
}

#[test]
fn seek_replays_at_most_one_checkpoint_interval() {
    let spec = default_spec("heartbeat-spikes", 3).unwrap();
    let mut sim = build(&spec, SimOptions::INTERACTIVE).unwrap();
    sim.run_steps(10_500).unwrap();
    assert_eq!(
        sim.checkpoint_count(),
        11,
        "one checkpoint per 1000 steps, plus step 0"
    );
    sim.seek(2_345).unwrap();
    assert_eq!(sim.step_count(), 2_345);
}

#[test]
fn an_override_changes_the_future_and_replays() {
    let mut session = engine::scenarios::open("heartbeat-spikes", 4).unwrap();
    session.set_trace_window(50);
    session.run(Command::Step(300)).unwrap();
    let before = session.view();
    let view = session.run(Command::Apply(Action::Crash(2))).unwrap();
    assert_eq!(view.step, 300);
    assert_eq!(view.nodes[2].status, engine::sim::world::Status::Down);
    assert!(
        view.trace.last().unwrap().ends_with("n2  crash"),
        "{:?}",
        view.trace.last()
    );
    assert_ne!(view.trace_hash, before.trace_hash);
    // The session's spec now carries the override, and replays to the same world.
    let spec = session.spec().clone();
    assert!(spec.overrides.contains(&Override {
        at: When::Step(300),
        action: Action::Crash(2)
    }));
    session.run(Command::Step(500)).unwrap();
    assert_eq!(session.view(), fresh_view(&spec, 800));
    // Going back before the override and applying another one drops the later override.
    session.run(Command::Seek(100)).unwrap();
    session.run(Command::Apply(Action::Crash(1))).unwrap();
    assert!(!session
        .spec()
        .overrides
        .iter()
        .any(|o| o.at == When::Step(300)));
    session.run(Command::Step(50)).unwrap();
    assert_eq!(session.view(), fresh_view(&session.spec().clone(), 150));
}

/// The event log's "crash before / after this message": each trace line knows the steps
/// before it, so seeking there (or one further) and crashing the line's node cuts the run just
/// before or just after the node handled it.
#[test]
fn trace_marks_place_a_crash_just_before_or_just_after_a_message() {
    use engine::sim::world::Status;
    let spec = default_spec("2pc-commit", 1).unwrap();
    let mut session = engine::scenarios::session(&spec).unwrap();
    let view = session.run(Command::Step(120)).unwrap();
    assert_eq!(view.trace.len(), view.trace_marks.len());
    // A PREPARE received by a participant, well inside the run.
    let (i, mark) = view
        .trace_marks
        .iter()
        .enumerate()
        .find(|(i, m)| {
            m.message && m.node != Some(0) && view.trace[*i].contains("recv") && m.step > 3
        })
        .map(|(i, m)| (i, *m))
        .expect("a participant receives a message");
    let line = view.trace[i].clone();
    let node = mark.node.unwrap();
    // Steps before the line only grow along the trace, and no line is ahead of the run.
    assert!(view.trace_marks.windows(2).all(|w| w[0].step <= w[1].step));
    assert!(view.trace_marks.iter().all(|m| m.step < view.step));

    // Before: the node is down when the message would arrive, so the line never happens.
    session.run(Command::Seek(mark.step)).unwrap();
    session.run(Command::Apply(Action::Crash(node))).unwrap();
    let before = session.run(Command::Step(60)).unwrap();
    assert_eq!(before.nodes[usize::from(node)].status, Status::Down);
    assert!(!before.trace.contains(&line), "{line} still happens");

    // After (on the original timeline: the crash above forked it): the line is in the run.
    let mut session = engine::scenarios::session(&spec).unwrap();
    session.run(Command::Step(120)).unwrap();
    session.run(Command::Seek(mark.step + 1)).unwrap();
    session.run(Command::Apply(Action::Crash(node))).unwrap();
    let after = session.run(Command::Step(60)).unwrap();
    assert!(after.trace.contains(&line), "{line} is lost");
    assert_eq!(after.nodes[usize::from(node)].status, Status::Down);
}
