//! The app's boundary: commands in, plain serde views out, for every scenario.

use engine::scenarios::{scenario_ids, scenarios};
use engine::sim::session::{Command, WorldView};
use engine::sim::spec::Action;
use engine::sim::world::Status;

#[test]
fn every_scenario_opens_steps_and_serializes() {
    assert_eq!(scenarios().len(), scenario_ids().len());
    assert_eq!(engine::catalog::scenario_ids(), scenario_ids());
    for id in scenario_ids() {
        let mut session = engine::scenarios::open(id, 1).unwrap();
        let view = session.run(Command::Step(25)).unwrap();
        assert_eq!(view.step, 25, "{id}");
        assert!(!view.nodes.is_empty());
        // Every node has a view except those down (a scenario may script an early crash).
        assert!(
            view.nodes
                .iter()
                .all(|n| n.view.is_some() == (n.status != Status::Down)),
            "{id}"
        );
        let json = serde_json::to_string(&view).unwrap();
        let back: WorldView = serde_json::from_str(&json).unwrap();
        assert_eq!(back, view);
        assert_eq!(view.trace.len(), view.trace_len.min(200));
        assert!(view.trace[0].starts_with("t="));
    }
}

#[test]
fn deliver_and_drop_by_hand() {
    let mut session = engine::scenarios::open("retry-lossy", 3).unwrap();
    let view = session.run(Command::Step(2)).unwrap();
    let first = view
        .messages
        .first()
        .expect("a request is in flight")
        .clone();
    let view = session
        .run(Command::Apply(Action::Deliver(first.id)))
        .unwrap();
    assert!(view
        .trace
        .last()
        .unwrap()
        .contains(&format!("deliver #{} now", first.id)));
    let view = session.run(Command::Step(1)).unwrap();
    assert!(view
        .trace
        .iter()
        .any(|l| l.contains("recv") && l.contains(&format!("#{}", first.id))));
    assert!(view.messages.iter().all(|m| m.id != first.id));
    if let Some(m) = view.messages.first().cloned() {
        let view = session.run(Command::Apply(Action::Drop(m.id))).unwrap();
        assert!(view.messages.iter().all(|x| x.id != m.id));
        assert!(view.trace.last().unwrap().contains("(by hand)"));
    }
}

#[test]
fn mending_one_link_leaves_the_others_cut() {
    let mut session = engine::scenarios::open("heartbeat-spikes", 1).unwrap();
    session.run(Command::Step(10)).unwrap();
    for (a, b) in [(0, 2), (2, 0), (1, 0)] {
        session.run(Command::Apply(Action::Cut(a, b))).unwrap();
    }
    let cut = |v: &WorldView, a: u16, b: u16| {
        v.links
            .iter()
            .find(|l| l.from == a && l.to == b)
            .unwrap()
            .cut
    };
    let view = session.run(Command::Apply(Action::Mend(0, 2))).unwrap();
    assert!(!cut(&view, 0, 2) && cut(&view, 2, 0) && cut(&view, 1, 0));
    let view = session.run(Command::Apply(Action::Mend(2, 0))).unwrap();
    assert!(!cut(&view, 2, 0) && cut(&view, 1, 0));
    assert!(view.trace.last().unwrap().contains("mend n2->n0"));
    let view = session.run(Command::Apply(Action::Heal)).unwrap();
    assert!(!cut(&view, 1, 0));
}

#[test]
fn partitions_pauses_and_params_show_in_the_view() {
    let mut session = engine::scenarios::open("heartbeat-spikes", 1).unwrap();
    session.run(Command::Step(10)).unwrap();
    let view = session
        .run(Command::Apply(Action::Partition(vec![
            vec![0, 1],
            vec![2, 3, 4],
        ])))
        .unwrap();
    let cut = |v: &WorldView, a: u16, b: u16| {
        v.links
            .iter()
            .find(|l| l.from == a && l.to == b)
            .unwrap()
            .cut
    };
    assert!(cut(&view, 0, 2) && cut(&view, 2, 0) && !cut(&view, 0, 1) && !cut(&view, 3, 4));
    let view = session.run(Command::Apply(Action::Cut(1, 0))).unwrap();
    assert!(cut(&view, 1, 0) && !cut(&view, 0, 1), "a one-way cut");
    let view = session.run(Command::Apply(Action::Pause(4))).unwrap();
    assert_eq!(view.nodes[4].status, Status::Paused);
    let view = session
        .run(Command::SetParam {
            name: "loss_ppm".into(),
            value: 250_000,
        })
        .unwrap();
    assert!(view.links.iter().all(|l| l.config.loss_ppm == 250_000));
    assert!(session
        .run(Command::SetParam {
            name: "speed".into(),
            value: 1
        })
        .is_err());
    // Peers cut off from the monitor get suspected; healing restores trust.
    let view = session.run(Command::RunUntil(400)).unwrap();
    let monitor = view.nodes[0].view.as_ref().unwrap();
    let suspected = &monitor
        .fields
        .iter()
        .find(|(k, _)| k == "suspected")
        .unwrap()
        .1;
    assert!(suspected.contains("n2"), "suspected: {suspected}");
    session.run(Command::Apply(Action::HealAll)).unwrap();
    let view = session.run(Command::RunUntil(600)).unwrap();
    assert!(view.nodes.iter().all(|n| n.status == Status::Up));
    let monitor = view.nodes[0].view.as_ref().unwrap();
    assert_eq!(monitor.fields[0], ("suspected".to_string(), String::new()));
    let all = session.sim().trace_lines(0, usize::MAX);
    assert!(all.iter().any(|l| l.contains("trust n2")));
}

#[test]
fn crash_loses_volatile_state_and_keeps_durable_state() {
    let mut session = engine::scenarios::open("retry-dedup", 5).unwrap();
    session.run(Command::RunUntil(300)).unwrap();
    let counter = |v: &WorldView| v.nodes[0].view.as_ref().unwrap().fields[0].1.clone();
    let before = counter(&session.view());
    session.run(Command::Apply(Action::Crash(0))).unwrap();
    assert_eq!(session.view().nodes[0].view, None);
    let view = session.run(Command::Apply(Action::Restart(0))).unwrap();
    assert_eq!(counter(&view), before, "the server persisted its counter");
    // A client's pending requests are volatile, its next request id is durable.
    session
        .run(Command::Apply(Action::Request(1, "inc".into())))
        .unwrap();
    session.run(Command::Apply(Action::Crash(1))).unwrap();
    let view = session.run(Command::Apply(Action::Restart(1))).unwrap();
    let client = view.nodes[1].view.as_ref().unwrap();
    assert_eq!(client.fields[1].1, "", "pending requests are lost");
    assert_ne!(client.fields[0].1, "0");
}
