//! Hand-written histories with known answers: each shows one rule of linearizability or of the
//! models, and most come in a linearizable and a non-linearizable variant.

use engine::lin::{
    check, check_text, parse, Budget, Checked, Format, KvModel, KvWholeModel, ModelKind, Operation,
    RegisterInput, RegisterModel, RegisterOutput, UnknownReason, Verdict,
};

fn run(text: &str) -> Checked {
    check_text(text, Format::Auto, &mut Budget::default()).expect("well-formed history")
}

fn is_linearizable(text: &str) -> bool {
    match run(text).report.verdict {
        Verdict::Linearizable { .. } => true,
        Verdict::NotLinearizable { .. } => false,
        Verdict::Unknown { reason } => panic!("unexpected unknown: {reason}"),
    }
}

/// Builds JSON lines from `(client, type, f, value)` tuples.
fn jsonl(events: &[(u64, &str, &str, &str)]) -> String {
    events
        .iter()
        .map(|(c, t, f, v)| {
            format!("{{\"client\": {c}, \"type\": \"{t}\", \"f\": \"{f}\", \"value\": {v}}}\n")
        })
        .collect()
}

#[test]
fn sequential_write_then_read_is_linearizable() {
    let h = jsonl(&[
        (0, "invoke", "write", "1"),
        (0, "ok", "write", "1"),
        (1, "invoke", "read", "null"),
        (1, "ok", "read", "1"),
    ]);
    assert!(is_linearizable(&h));
}

#[test]
fn stale_read_after_completed_write_is_not_and_the_explanation_names_the_read() {
    let text = include_str!("../testdata/lin/stale-read.jsonl");
    let checked = run(text);
    assert_eq!(checked.model, ModelKind::RegisterCas);
    let Verdict::NotLinearizable { explanation } = checked.report.verdict else {
        panic!("expected a violation")
    };
    assert_eq!(explanation.prefix.len(), 1);
    assert_eq!(explanation.prefix[0].description, "write(1)");
    assert_eq!(explanation.prefix[0].state_after, "1");
    assert_eq!(explanation.state, "1");
    assert_eq!(explanation.stuck.len(), 1);
    let stuck = &explanation.stuck[0];
    assert_eq!((stuck.client, stuck.line), (1, 3));
    assert_eq!(stuck.description, "read() -> nil");
    assert_eq!(stuck.required_state.as_deref(), Some("nil"));
    assert!(!stuck.accepted_in_state && stuck.returns_first);
    let text = explanation.render_text();
    assert!(text.contains("read() -> nil (line 3): needs nil"), "{text}");
}

#[test]
fn concurrent_reads_may_see_before_and_after_a_write() {
    let h = jsonl(&[
        (0, "invoke", "write", "1"),
        (1, "invoke", "read", "null"),
        (2, "invoke", "read", "null"),
        (1, "ok", "read", "1"),
        (2, "ok", "read", "null"),
        (0, "ok", "write", "1"),
    ]);
    assert!(is_linearizable(&h));
    // But once a read has seen 1 and returned, a later read cannot see nil again.
    let h = jsonl(&[
        (0, "invoke", "write", "1"),
        (1, "invoke", "read", "null"),
        (1, "ok", "read", "1"),
        (2, "invoke", "read", "null"),
        (2, "ok", "read", "null"),
        (0, "ok", "write", "1"),
    ]);
    assert!(!is_linearizable(&h));
}

#[test]
fn unknown_write_is_linearizable_if_it_took_effect() {
    let h = jsonl(&[
        (0, "invoke", "write", "1"),
        (0, "info", "write", "1"),
        (1, "invoke", "read", "null"),
        (1, "ok", "read", "1"),
    ]);
    assert!(is_linearizable(&h));
}

#[test]
fn unknown_write_is_linearizable_if_it_never_took_effect() {
    let h = jsonl(&[
        (0, "invoke", "write", "1"),
        (0, "info", "write", "1"),
        (1, "invoke", "read", "null"),
        (1, "ok", "read", "null"),
    ]);
    assert!(is_linearizable(&h));
}

#[test]
fn unknown_write_cannot_take_effect_and_then_be_undone() {
    let h = jsonl(&[
        (0, "invoke", "write", "1"),
        (0, "info", "write", "1"),
        (1, "invoke", "read", "null"),
        (1, "ok", "read", "1"),
        (1, "invoke", "read", "null"),
        (1, "ok", "read", "null"),
    ]);
    assert!(!is_linearizable(&h));
}

#[test]
fn unknown_write_cannot_take_effect_before_its_invoke() {
    let h = jsonl(&[
        (1, "invoke", "read", "null"),
        (1, "ok", "read", "1"),
        (0, "invoke", "write", "1"),
        (0, "info", "write", "1"),
    ]);
    assert!(!is_linearizable(&h));
}

#[test]
fn operation_with_no_return_stays_open_with_unknown_outcome() {
    let h = jsonl(&[
        (0, "invoke", "write", "7"),
        (1, "invoke", "read", "null"),
        (1, "ok", "read", "7"),
    ]);
    assert!(is_linearizable(&h));
}

#[test]
fn failed_cas_means_the_compare_failed() {
    // The register holds 1, so cas(1, 2) would have succeeded: it cannot have failed.
    let h = jsonl(&[
        (0, "invoke", "write", "1"),
        (0, "ok", "write", "1"),
        (1, "invoke", "cas", "[1, 2]"),
        (1, "fail", "cas", "[1, 2]"),
    ]);
    assert!(!is_linearizable(&h));
    // cas(0, 2) failed and changed nothing: a later read still sees 1...
    let h = jsonl(&[
        (0, "invoke", "write", "1"),
        (0, "ok", "write", "1"),
        (1, "invoke", "cas", "[0, 2]"),
        (1, "fail", "cas", "[0, 2]"),
        (1, "invoke", "read", "null"),
        (1, "ok", "read", "1"),
    ]);
    assert!(is_linearizable(&h));
    // ...and never 2.
    let h = jsonl(&[
        (0, "invoke", "write", "1"),
        (0, "ok", "write", "1"),
        (1, "invoke", "cas", "[0, 2]"),
        (1, "fail", "cas", "[0, 2]"),
        (1, "invoke", "read", "null"),
        (1, "ok", "read", "2"),
    ]);
    assert!(!is_linearizable(&h));
}

#[test]
fn successful_cas_needs_its_from_value() {
    let ok = jsonl(&[
        (0, "invoke", "write", "1"),
        (0, "ok", "write", "1"),
        (1, "invoke", "cas", "[1, 2]"),
        (1, "ok", "cas", "[1, 2]"),
    ]);
    assert!(is_linearizable(&ok));
    let bad = jsonl(&[
        (0, "invoke", "write", "3"),
        (0, "ok", "write", "3"),
        (1, "invoke", "cas", "[1, 2]"),
        (1, "ok", "cas", "[1, 2]"),
    ]);
    let Verdict::NotLinearizable { explanation } = run(&bad).report.verdict else {
        panic!("expected a violation")
    };
    assert_eq!(explanation.stuck[0].description, "cas(1, 2) -> ok");
    assert_eq!(explanation.stuck[0].required_state.as_deref(), Some("1"));
}

#[test]
fn jepsen_log_with_noise_timeouts_and_info() {
    let text = include_str!("../testdata/lin/etcd-small.log");
    let checked = run(text);
    assert_eq!(checked.format, Format::Jepsen);
    assert_eq!(checked.operations, 5);
    // The last read sees 2: only the timed-out cas(1, 2) can have written it.
    assert!(matches!(
        checked.report.verdict,
        Verdict::Linearizable { .. }
    ));
    let worse = text.replace(":ok\t:read\t2", ":ok\t:read\t3");
    assert!(matches!(
        run(&worse).report.verdict,
        Verdict::NotLinearizable { .. }
    ));
}

#[test]
fn kv_violation_is_reported_in_its_key() {
    let checked = run(include_str!("../testdata/lin/kv-bad.txt"));
    assert_eq!(
        (checked.format, checked.model, checked.report.partitions),
        (Format::Kv, ModelKind::KvGetPutAppend, 2)
    );
    let Verdict::NotLinearizable { explanation } = checked.report.verdict else {
        panic!("expected a violation")
    };
    assert_eq!(explanation.partition, "key \"x\"");
    assert_eq!(explanation.state, "\"a\"");
    assert_eq!(explanation.stuck[0].description, "get(\"x\") -> \"ab\"");
}

#[test]
fn kv_whole_and_per_key_agree() {
    let good = "{:process 0, :type :invoke, :f :append, :key \"x\", :value \"a\"}\n\
                {:process 1, :type :invoke, :f :append, :key \"x\", :value \"b\"}\n\
                {:process 0, :type :ok, :f :append, :key \"x\", :value \"a\"}\n\
                {:process 1, :type :ok, :f :append, :key \"x\", :value \"b\"}\n\
                {:process 2, :type :invoke, :f :put, :key \"y\", :value \"ba\"}\n\
                {:process 2, :type :ok, :f :put, :key \"y\", :value \"ba\"}\n\
                {:process 0, :type :invoke, :f :get, :key \"x\", :value nil}\n\
                {:process 0, :type :ok, :f :get, :key \"x\", :value \"ba\"}\n";
    // The two appends overlap, so either order is fine; a get after both must see both.
    for (read, expected) in [("ba", true), ("ab", true), ("aa", false), ("a", false)] {
        let text = good.replace(
            ":key \"x\", :value \"ba\"",
            &format!(":key \"x\", :value \"{read}\""),
        );
        let raw = parse(&text, Format::Kv).unwrap();
        let (model, ops) = KvModel::lower(&raw).unwrap();
        let per_key = matches!(
            check(&model, &ops, &mut Budget::default()).verdict,
            Verdict::Linearizable { .. }
        );
        let whole = matches!(
            check(&KvWholeModel(&model), &ops, &mut Budget::default()).verdict,
            Verdict::Linearizable { .. }
        );
        assert_eq!((per_key, whole), (expected, expected), "{text}");
    }
}

#[test]
fn linearizable_order_is_reported_per_partition() {
    let h = jsonl(&[
        (0, "invoke", "write", "1"),
        (1, "invoke", "write", "2"),
        (0, "ok", "write", "1"),
        (1, "ok", "write", "2"),
        (0, "invoke", "read", "null"),
        (0, "ok", "read", "1"),
    ]);
    let Verdict::Linearizable { order } = run(&h).report.verdict else {
        panic!("expected linearizable")
    };
    assert_eq!(order, vec![vec![1, 0, 2]]);
}

/// `n` overlapping writes of distinct values followed by reads no order can explain: the search
/// must try many subsets before giving up.
fn pathological(n: u64) -> Vec<Operation<RegisterInput, RegisterOutput>> {
    let mut ops: Vec<_> = (0..n)
        .map(|i| Operation {
            client: i,
            input: RegisterInput::Write(i as i64),
            output: Some(RegisterOutput::Written),
            call: i,
            ret: 1_000 + i,
            line: 0,
        })
        .collect();
    ops.push(Operation {
        client: n,
        input: RegisterInput::Read,
        output: Some(RegisterOutput::Read(Some(-1))),
        call: 500,
        ret: 2_000,
        line: 0,
    });
    ops
}

#[test]
fn tiny_step_budget_gives_unknown() {
    let report = check(&RegisterModel, &pathological(24), &mut Budget::steps(1_000));
    assert_eq!(
        report.verdict,
        Verdict::Unknown {
            reason: UnknownReason::StepBudgetExhausted { steps: 1_000 }
        }
    );
}

#[test]
fn full_memo_gives_unknown() {
    let mut budget = Budget {
        memo_entries_max: 100,
        ..Budget::default()
    };
    let report = check(&RegisterModel, &pathological(24), &mut budget);
    assert!(
        matches!(
            report.verdict,
            Verdict::Unknown {
                reason: UnknownReason::MemoFull { entries: 100, .. }
            }
        ),
        "{:?}",
        report.verdict
    );
    assert_eq!(report.memo_entries_peak, 100);
}

#[test]
fn should_stop_callback_gives_unknown() {
    let mut polls = 0;
    let mut stop = || {
        polls += 1;
        polls >= 3
    };
    let report = check(
        &RegisterModel,
        &pathological(24),
        &mut Budget::with_stop(&mut stop),
    );
    assert!(
        matches!(
            report.verdict,
            Verdict::Unknown {
                reason: UnknownReason::Stopped { .. }
            }
        ),
        "{:?}",
        report.verdict
    );
    assert_eq!(polls, 3);
}

#[test]
fn empty_history_is_linearizable() {
    assert!(is_linearizable(""));
}
