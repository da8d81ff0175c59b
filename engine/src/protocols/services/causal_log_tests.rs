use super::*;
use crate::challenge::{challenge, check, CheckOptions, CheckReport, Verdict};

const ID: &str = "causal-log-order";
const WINDOW: u64 = 200;

fn run(source: &str, first_seed: u64, seeds: u64) -> CheckReport {
    check(
        challenge(ID).unwrap(),
        source,
        CheckOptions { seeds, first_seed },
        &mut |_, _| true,
    )
}

fn reference() -> String {
    challenge(ID).unwrap().reference.clone()
}

/// The property each case fails for `source`, if any.
fn verdicts(source: &str, cases: &[Logs]) -> Vec<Option<String>> {
    let installed = CausalLog.install(Script::compile(source, &REQUIRED).unwrap());
    cases
        .iter()
        .map(|case| {
            let found = CausalLog.judge(&installed, case).unwrap();
            assert!(!installed.failed(), "a script error on seed {}", case.seed);
            found.map(|f| f.property)
        })
        .collect()
}

fn line(node: NodeId, kind: Kind, wall: u64) -> LogLine {
    LogLine {
        node,
        kind,
        wall,
        text: String::new(),
    }
}

/// n0 sends m1 to n1; n1 logs, then receives it, then sends m2 to n2, which receives it;
/// n2 logged once before.
fn small() -> Logs {
    Logs {
        seed: 0,
        nodes: 3,
        scripted: false,
        lines: vec![
            line(0, Kind::Send { msg: 1, to: 1 }, 100),
            line(1, Kind::Local, 20),
            line(2, Kind::Local, 50),
            line(
                1,
                Kind::Recv {
                    msg: 1,
                    from: 0,
                    send: 0,
                },
                30,
            ),
            line(1, Kind::Send { msg: 2, to: 2 }, 31),
            line(
                2,
                Kind::Recv {
                    msg: 2,
                    from: 1,
                    send: 4,
                },
                60,
            ),
        ],
    }
}

/// Lamport 1978: program order plus send → receive, transitively.
#[test]
fn happened_before_follows_log_order_and_messages_transitively() {
    let logs = small();
    let before = logs.happened_before();
    let hb = |a: usize, b: usize| before[b] & (1 << a) != 0;
    assert!(
        hb(0, 3) && hb(0, 5),
        "n0's send precedes n2's receive through n1"
    );
    assert!(hb(1, 3) && hb(3, 4), "log order on n1");
    assert!(
        !hb(0, 1) && !hb(1, 0),
        "n1's first line is concurrent with n0's send"
    );
    assert!(!hb(2, 4) && !hb(4, 2) && hb(2, 5));
    assert_eq!(logs.ids(), ["n0.0", "n1.0", "n2.0", "n1.1", "n1.2", "n2.1"]);
    assert_eq!(logs.chain(0, 5), vec![0, 3, 4, 5]);
    // Removing the send m2 removes its receive.
    let smaller = logs.without(4);
    assert_eq!(smaller.lines.len(), 4);
    assert!(smaller
        .lines
        .iter()
        .all(|l| !matches!(l.kind, Kind::Recv { msg: 2, .. })));
}

#[test]
fn runs_are_deterministic_varied_and_within_limits() {
    assert_eq!(Logs::generate(7), Logs::generate(7));
    assert_ne!(Logs::generate(7), Logs::generate(8));
    let (mut duplicated, mut lost, mut total) = (0, 0, 0);
    for seed in 0..200 {
        let logs = Logs::generate(seed);
        let n = logs.lines.len();
        assert!(
            (40..=LINES_PER_RUN_MAX).contains(&n),
            "seed {seed}: {n} lines"
        );
        total += n;
        let mut receives = std::collections::BTreeMap::new();
        for (i, l) in logs.lines.iter().enumerate() {
            if let Kind::Recv { send, msg, from } = l.kind {
                assert!(send < i);
                assert!(
                    matches!(logs.lines[send].kind, Kind::Send { msg: m, to } if m == msg && to == l.node),
                    "seed {seed}: line {i}"
                );
                assert_eq!(logs.lines[send].node, from);
                *receives.entry(msg).or_insert(0) += 1;
            }
        }
        duplicated += receives.values().filter(|&&c| c > 1).count();
        // A send received by no line, long before the prefix ends: lost.
        lost += logs
            .lines
            .iter()
            .enumerate()
            .filter(|(i, l)| {
                *i + 40 < n
                    && matches!(l.kind, Kind::Send { msg, .. } if !receives.contains_key(&msg))
            })
            .count();
    }
    assert!(duplicated > 10, "{duplicated} duplicated messages");
    assert!(lost > 3, "{lost} lost messages");
    assert!(total > 200 * 70, "{total} lines");
}

/// The pairs of the run of `seed` whose wall clocks put the effect first.
fn inverted_messages(logs: &Logs) -> Vec<(NodeId, NodeId, String)> {
    logs.lines
        .iter()
        .filter_map(|l| match l.kind {
            Kind::Recv { send, from, .. } if l.wall < logs.lines[send].wall => {
                Some((from, l.node, logs.lines[send].text.clone()))
            }
            _ => None,
        })
        .collect()
}

#[test]
fn every_fourth_run_is_scripted_and_inverts_a_call_and_the_queue_hop() {
    for seed in 0..40 {
        let logs = Logs::generate(seed);
        assert_eq!(logs.scripted, seed % 4 == 3, "seed {seed}");
        if !logs.scripted {
            continue;
        }
        let inverted = inverted_messages(&logs);
        assert!(
            inverted
                .iter()
                .any(|(from, to, _)| (*from, *to) == (ORDERS, INVENTORY)),
            "seed {seed}: {inverted:?}"
        );
        assert!(
            inverted
                .iter()
                .any(|(from, to, text)| (*from, *to) == (QUEUE, SHIPPING)
                    && text.starts_with("hand over")),
            "seed {seed}: {inverted:?}"
        );
    }
    // Swarm runs invert messages too, most of the time.
    let swarm_inverting = (0..200)
        .filter(|s| s % 4 != 3)
        .filter(|&s| !inverted_messages(&Logs::generate(s)).is_empty())
        .count();
    assert!(swarm_inverting > 100, "{swarm_inverting} of 150");
}

#[test]
fn the_reference_passes_from_another_first_seed() {
    assert_eq!(run(&reference(), 10_001, 100).verdict, Verdict::Passed);
}

/// A wall-clock merge is shown as the two lines, cause and effect, with their clocks.
#[test]
fn a_wall_clock_merge_is_shrunk_to_a_send_and_its_receive() {
    let c = challenge(ID).unwrap();
    let wall = &c
        .wrong
        .iter()
        .find(|w| w.name.contains("wall clock"))
        .unwrap()
        .code;
    let Verdict::Failed(failure) = run(wall, 0, 20).verdict else {
        panic!("must fail")
    };
    assert_eq!(failure.property, "order-respects-causality");
    assert!(
        failure.message.contains("sends m") && failure.message.contains("wall clocks say"),
        "{}",
        failure.message
    );
    let marked: Vec<&String> = failure
        .counterexample
        .iter()
        .filter(|l| l.ends_with('◀'))
        .collect();
    assert_eq!(marked.len(), 2, "{:#?}", failure.counterexample);
    assert!(marked[0].contains("recv m") && marked[1].contains("send m"));
    assert!(
        failure.counterexample.len() <= 6,
        "{:#?}",
        failure.counterexample
    );
}

/// The Lamport variant's failure names a pair the clocks order and the run does not.
#[test]
fn a_lamport_concurrent_is_shown_a_concurrent_pair_with_its_stamps() {
    let c = challenge(ID).unwrap();
    let lamport = &c
        .wrong
        .iter()
        .find(|w| w.name.starts_with("Lamport"))
        .unwrap()
        .code;
    let Verdict::Failed(failure) = run(lamport, 0, 20).verdict else {
        panic!("must fail")
    };
    assert_eq!(failure.property, "concurrency-detected");
    assert!(
        failure
            .message
            .contains("returned false, but neither happened before the other"),
        "{}",
        failure.message
    );
    assert!(
        failure.message.contains("Your stamps: "),
        "{}",
        failure.message
    );
}

#[test]
fn results_of_the_wrong_shape_are_wrong_results_at_their_function() {
    let reference = reference();
    let shapes = [
        (reference.replace("    logs\n}", "    logs[0]\n}"), "stamp"),
        (
            reference.replace("all.map(|line| line.id)", "all.map(|line| line.sum)"),
            "merge",
        ),
        (
            reference.replace(
                "!a_le_b && !b_le_a\n",
                "if !a_le_b && !b_le_a { 1 } else { 0 }\n",
            ),
            "concurrent",
        ),
    ];
    for (code, name) in shapes {
        assert_ne!(code, reference, "{name}: the edit applies");
        match run(&code, 0, 3).verdict {
            Verdict::ScriptError { error, .. } => {
                let text = error.to_string();
                assert!(text.contains(&format!("`{name}` returned")), "{text}");
            }
            other => panic!("{name}: {other:?}"),
        }
    }
}

/// Solutions a learner might write from the statement alone
/// (`engine/testdata/causal-log-solutions/`, each opening with `// expect: pass` or the
/// property it must fail): correct ones pass here and from another first seed, wrong ones fail
/// with the property named.
#[test]
fn learner_solutions_are_judged_as_their_files_expect() {
    let c = challenge(ID).unwrap();
    let (mut passing, mut failing) = (0, 0);
    for (path, code, expect) in crate::challenge::solutions::read("testdata/causal-log-solutions") {
        let report = run(&code, 0, c.seeds);
        match (&report.verdict, expect.as_str()) {
            (Verdict::Passed, "pass") => {
                passing += 1;
                let later = run(&code, 10_001, c.seeds).verdict;
                assert_eq!(later, Verdict::Passed, "{}", path.display());
            }
            (Verdict::Failed(f), property)
                if crate::challenge::solutions::names(property, &f.property) =>
            {
                failing += 1
            }
            (other, _) => panic!("{}: expected {expect}, got {other:?}", path.display()),
        }
    }
    assert!(
        passing >= 4 && failing >= 9,
        "{passing} pass, {failing} fail"
    );
}

/// Every wrong solution (the learner's and the file's) fails in every window of 200 seeds
/// with its property: its first failure from any first seed is the one it names.
#[test]
fn wrong_solutions_fail_in_every_window_of_200_seeds() {
    let c = challenge(ID).unwrap();
    let mut cases: Vec<(String, String)> = c
        .wrong
        .iter()
        .map(|w| (w.violates.clone(), w.code.clone()))
        .collect();
    for (_, code, expect) in crate::challenge::solutions::read("testdata/causal-log-solutions") {
        if expect != "pass" {
            cases.push((expect, code));
        }
    }
    let runs: Vec<Logs> = (0..SCRIPTED_EVERY + WINDOW).map(Logs::generate).collect();
    for (property, code) in cases {
        let found = verdicts(&code, &runs);
        for start in 0..SCRIPTED_EVERY as usize {
            let first = found[start..start + WINDOW as usize]
                .iter()
                .flatten()
                .next();
            assert!(
                first.is_some_and(|f| crate::challenge::solutions::names(&property, f)),
                "{property} from seed {start}: {first:?}\n{code}"
            );
        }
    }
}

/// Each property is what fails a variant on a scripted run alone: the verdicts do not depend on
/// which swarm runs were drawn.
#[test]
fn scripted_runs_alone_catch_every_wrong_variant() {
    let c = challenge(ID).unwrap();
    let scripted: Vec<Logs> = (0..8).map(|k| Logs::generate(4 * k + 3)).collect();
    for w in &c.wrong {
        let found = verdicts(&w.code, &scripted);
        assert!(
            found
                .iter()
                .all(|f| f.as_deref() == Some(w.violates.as_str())),
            "{}: {found:?}",
            w.name
        );
    }
    assert!(verdicts(&reference(), &scripted)
        .iter()
        .all(Option::is_none));
}
