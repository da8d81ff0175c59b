//! The network and node model: duplication, pauses, crashes, clocks — each visible in the trace
//! and the view exactly as the curriculum's chapter 1 describes it.

use engine::scenarios::build;
use engine::sim::session::{Command, Session};
use engine::sim::spec::Action;
use engine::sim::world::{SimOptions, Status};

fn session(token: &str) -> Session {
    engine::scenarios::session(&engine::scenarios::spec_from_token(token).unwrap()).unwrap()
}

fn all_lines(s: &Session) -> Vec<String> {
    s.sim().trace_lines(0, usize::MAX)
}

#[test]
fn every_message_is_duplicated_at_one_million_ppm() {
    let mut s = session("1~retry-dedup~1~t0l0~t0q1000000~t1R1.inc");
    s.run(Command::RunUntil(200)).unwrap();
    let lines = all_lines(&s);
    let sends = lines.iter().filter(|l| l.contains(" send ")).count();
    let dups = lines.iter().filter(|l| l.contains("copy of #")).count();
    assert!(sends > 0 && sends == dups, "{sends} sends, {dups} copies");
    assert!(lines.iter().any(|l| l.contains("repeat n1/0: not applied")));
}

#[test]
fn a_paused_node_receives_its_messages_after_resuming() {
    let mut s = session("1~retry-dedup~1~t0l0~t0z0~t1R1.inc~t300u0");
    let view = s.run(Command::RunUntil(299)).unwrap();
    assert_eq!(view.nodes[0].status, Status::Paused);
    assert!(!all_lines(&s)
        .iter()
        .any(|l| l.contains("recv") && l.contains(" n0 ")));
    assert!(
        view.messages.iter().any(|m| m.to == 0),
        "requests wait in flight"
    );
    let view = s.run(Command::RunUntil(400)).unwrap();
    assert!(view.messages.iter().all(|m| m.to != 0 || m.sent_at >= 300));
    assert!(all_lines(&s)
        .iter()
        .any(|l| l.starts_with("t=   300  n0  recv")));
}

#[test]
fn messages_to_a_crashed_node_are_dropped_on_arrival() {
    let mut s = session("1~retry-lossy~1~t0l0~t0c0~t1R1.inc");
    s.run(Command::RunUntil(100)).unwrap();
    let lines = all_lines(&s);
    assert!(lines.iter().any(|l| l.contains("(down)")), "{lines:#?}");
    assert!(lines.iter().any(|l| l.contains("timeout: resend")));
}

#[test]
fn clocks_skew_and_drift() {
    // n1 runs 10% fast and 50 ticks ahead; its local clock and its timers show it.
    let mut s = session("1~heartbeat-spikes~1~t0k1.50.100000");
    let view = s.run(Command::RunUntil(1_000)).unwrap();
    let t = view.time;
    assert_eq!(view.nodes[1].local_time, t + 50 + t / 10);
    assert_eq!(view.nodes[2].local_time, t);
    let seq = |i: usize| {
        view.nodes[i].view.as_ref().unwrap().fields[0]
            .1
            .parse::<u64>()
            .unwrap()
    };
    assert!(
        seq(1) > seq(2) + 5,
        "the fast clock beats more often: {} vs {}",
        seq(1),
        seq(2)
    );
}

#[test]
fn a_partition_drops_messages_across_it() {
    let spec =
        engine::scenarios::spec_from_token("1~heartbeat-spikes~1~t0l0~t50p0.1_2.3.4").unwrap();
    let mut sim = build(&spec, SimOptions::INTERACTIVE).unwrap();
    sim.run_until_time(200, false).unwrap();
    let lines = sim.trace_lines(0, usize::MAX);
    let after: Vec<&String> = lines
        .iter()
        .skip_while(|l| !l.contains("partition"))
        .collect();
    assert!(after
        .iter()
        .any(|l| l.contains("from n2") && l.contains("(partition)")));
    assert!(!after
        .iter()
        .any(|l| l.contains("recv") && l.contains("from n3")));
    assert!(after
        .iter()
        .any(|l| l.contains("recv") && l.contains("from n1")));
    assert!(after.iter().any(|l| l.contains("suspect n2")));
}

#[test]
fn trace_lines_and_json_have_the_documented_shape() {
    let mut s = session("1~retry-lossy~1~t0l0~t0R1.inc");
    s.run(Command::Step(3)).unwrap();
    let lines = all_lines(&s);
    assert_eq!(lines[0], "t=     0  --  net   loss 0ppm");
    assert_eq!(lines[1], "t=     0  n1  req   inc");
    assert_eq!(lines[2], "t=     0  n1  send  Req{id:0,inc} to n0 #0");
    let json = s.sim().trace_json(2, 3);
    assert_eq!(
        json[0].to_string(),
        r#"{"d":"Req{id:0,inc} to n0 #0","k":"send","n":1,"t":0}"#
    );
    let _ = s.run(Command::Apply(Action::Heal)).unwrap();
    assert!(all_lines(&s).last().unwrap().ends_with("--  net   heal"));
}
