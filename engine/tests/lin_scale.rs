//! The checker at scale: long and highly concurrent register histories generated from a seed,
//! the byte limit on the search's memory, and the decisions without search.

use engine::lin::generate::{json_lines, register_history, RegisterWorkload};
use engine::lin::{
    check, check_text, Budget, CheckReport, FastVerdict, Format, Model, Operation, RegisterInput,
    RegisterModel, RegisterOutput, UnknownReason, Verdict,
};

type Op = Operation<RegisterInput, RegisterOutput>;

const MIB: usize = 1 << 20;

fn history(operations: usize, processes: usize, info_writes_ppm: u32) -> Vec<Op> {
    register_history(&RegisterWorkload {
        seed: 7,
        operations,
        processes,
        info_writes_ppm,
        values: None,
    })
}

fn search_alone() -> Budget<'static> {
    Budget {
        fast_path_operations_min: usize::MAX,
        ..Budget::default()
    }
}

fn assert_linearizable(report: &CheckReport) {
    match &report.verdict {
        Verdict::Linearizable { .. } => {}
        Verdict::NotLinearizable { explanation } => panic!("{}", explanation.render_text()),
        Verdict::Unknown { reason } => panic!("unknown: {reason}"),
    }
}

#[test]
fn a_generated_history_is_deterministic_and_overlaps_as_asked() {
    let a = history(2_000, 20, 250_000);
    assert_eq!(a, history(2_000, 20, 250_000));
    assert_eq!(a.len(), 2_000);
    let overlapping = a.windows(2).filter(|w| w[1].call < w[0].ret).count();
    assert!(overlapping > 1_000, "{overlapping}");
    let sequential = history(2_000, 1, 0);
    assert!(sequential.windows(2).all(|w| w[0].ret < w[1].call));
}

#[test]
fn a_sequential_history_of_200_000_operations_is_searched_in_little_memory() {
    let report = check(&RegisterModel, &history(200_000, 1, 0), &mut search_alone());
    assert_linearizable(&report);
    assert_eq!(report.fast_partitions, 0);
    assert!(
        report.memo_bytes_peak < 100 * MIB,
        "{} bytes",
        report.memo_bytes_peak
    );
}

#[test]
fn the_search_at_fixed_concurrency_holds_bytes_in_proportion_to_the_history() {
    let bytes_per_op = |operations: usize| {
        let report = check(
            &RegisterModel,
            &history(operations, 5, 0),
            &mut search_alone(),
        );
        assert_linearizable(&report);
        report.memo_bytes_peak / operations
    };
    let (small, large) = (bytes_per_op(5_000), bytes_per_op(40_000));
    assert!(large < 500, "{large} bytes per operation");
    assert!(
        2 * large < 3 * small,
        "{small} then {large} bytes per operation"
    );
}

#[test]
fn past_the_byte_limit_the_answer_is_unknown_memo_full() {
    let limit = 2 * MIB;
    let mut budget = Budget {
        memo_bytes_max: limit,
        ..search_alone()
    };
    let report = check(&RegisterModel, &history(3_000, 50, 0), &mut budget);
    let Verdict::Unknown {
        reason: reason @ UnknownReason::MemoFull { .. },
    } = &report.verdict
    else {
        panic!("{:?}", report.verdict)
    };
    assert!(
        reason.to_string().starts_with("memo full at 2 MiB"),
        "{reason}"
    );
    assert!(
        report.memo_bytes_peak <= limit,
        "{}",
        report.memo_bytes_peak
    );
}

#[test]
fn the_search_structures_alone_past_the_limit_give_unknown_at_once() {
    let mut budget = Budget {
        memo_bytes_max: 1_000,
        ..search_alone()
    };
    let report = check(&RegisterModel, &history(1_000, 1, 0), &mut budget);
    assert!(
        matches!(
            report.verdict,
            Verdict::Unknown {
                reason: UnknownReason::MemoFull { .. }
            }
        ),
        "{:?}",
        report.verdict
    );
    assert_eq!(report.steps, 0);
}

#[test]
fn the_large_concurrent_histories_are_decided() {
    for (operations, processes, info) in [(10_000, 50, 0), (50_000, 100, 0), (5_000, 20, 250_000)] {
        let report = check(
            &RegisterModel,
            &history(operations, processes, info),
            &mut Budget::default(),
        );
        assert_linearizable(&report);
        assert_eq!(report.fast_partitions, 1);
    }
}

/// Adds a stale read at the end: it reads the value of a write that completed before another
/// write was invoked, after that other write completed.
fn with_stale_read(mut ops: Vec<Op>) -> Vec<Op> {
    let returned = |op: &Op| op.output == Some(RegisterOutput::Written);
    let later = ops.iter().rposition(returned).expect("a completed write");
    let earlier = ops[..later]
        .iter()
        .rposition(|op| returned(op) && op.ret < ops[later].call)
        .expect("a write before it");
    let RegisterInput::Write(old) = ops[earlier].input else {
        unreachable!()
    };
    let end = ops
        .iter()
        .map(|op| op.ret)
        .filter(|&t| t != engine::lin::RETURN_NEVER)
        .max();
    let after = end.unwrap() + 1;
    ops.push(Operation {
        client: 1_000_000,
        input: RegisterInput::Read,
        output: Some(RegisterOutput::Read(Some(old))),
        call: after,
        ret: after + 1,
        line: 0,
    });
    ops
}

#[test]
fn a_stale_read_in_a_large_concurrent_history_is_found() {
    let ops = with_stale_read(history(10_000, 50, 0));
    let report = check(&RegisterModel, &ops, &mut Budget::default());
    let Verdict::NotLinearizable { explanation } = &report.verdict else {
        panic!("{}", report.verdict.name())
    };
    assert!(
        explanation
            .stuck
            .iter()
            .any(|s| s.operation == ops.len() - 1),
        "{}",
        explanation.render_text()
    );
}

#[test]
fn a_read_of_a_value_nothing_writes_is_refuted_without_search() {
    let mut ops = history(2_000, 20, 0);
    let r = ops
        .iter()
        .rposition(|op| matches!(op.output, Some(RegisterOutput::Read(_))))
        .unwrap();
    ops[r].output = Some(RegisterOutput::Read(Some(-5)));
    let indices: Vec<usize> = (0..ops.len()).collect();
    let Some(FastVerdict::NotLinearizable(conflict)) = RegisterModel.decide_fast(&ops, &indices)
    else {
        panic!("expected a conflict")
    };
    assert_eq!(conflict.operations, vec![r]);
    assert!(
        conflict
            .note
            .contains("needs the value -5, which no operation writes"),
        "{}",
        conflict.note
    );
}

#[test]
fn a_conflict_explains_the_answer_when_the_search_cannot() {
    // 50 clients: the search's capped attempt does not finish, so the conflict explains.
    let mut ops = history(10_000, 50, 0);
    let r = ops
        .iter()
        .rposition(|op| matches!(op.output, Some(RegisterOutput::Read(_))))
        .unwrap();
    ops[r].output = Some(RegisterOutput::Read(Some(-5)));
    let checked = check_text(&json_lines(&ops), Format::Auto, &mut Budget::default()).unwrap();
    let Verdict::NotLinearizable { explanation } = &checked.report.verdict else {
        panic!("{:?}", checked.report.verdict)
    };
    let text = explanation.render_text();
    assert!(text.contains("found without search"), "{text}");
    assert!(text.contains("read() -> -5"), "{text}");
}
