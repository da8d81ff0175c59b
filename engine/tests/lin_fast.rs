//! The polynomial decision for unique-write registers agrees with the full search.
//!
//! Small random read/write histories whose writes are unique (the case the decision covers) are
//! generated from a simulated register, with timed-out writes (open to the end, taking effect or
//! not), reads with unknown outcome, and then some reads corrupted, so both answers occur. On
//! each, the decision (`RegisterModel::decide_fast`) and the search alone must agree, and a
//! "linearizable" order must respect real time and replay through the model.

use engine::lin::{
    check, Budget, FastVerdict, Model, Operation, RegisterInput, RegisterModel, RegisterOutput,
    Verdict, RETURN_NEVER,
};
use engine::rng::Rng;
use proptest::prelude::*;

type Op = Operation<RegisterInput, RegisterOutput>;

fn random_history(seed: u64) -> Vec<Op> {
    let mut rng = Rng::new(seed);
    let total = 1 + rng.below(8) as usize;
    let clients = 1 + rng.below(4) as usize;
    let mut ops: Vec<Op> = Vec::new();
    // Per client: (operation, applied?) in flight.
    let mut busy: Vec<Option<(usize, bool)>> = vec![None; clients];
    let mut register = None;
    let mut written = 0;
    let mut time = 0;
    while ops.len() < total || busy.iter().any(Option::is_some) {
        time += 10;
        let c = rng.below(clients as u64) as usize;
        busy[c] = match busy[c] {
            None if ops.len() < total => {
                let input = if rng.below(2) == 0 {
                    RegisterInput::Read
                } else {
                    written += 1;
                    RegisterInput::Write(written)
                };
                ops.push(Operation {
                    client: c as u64,
                    input,
                    output: None,
                    call: time,
                    ret: RETURN_NEVER,
                    line: ops.len() + 1,
                });
                Some((ops.len() - 1, false))
            }
            None => None,
            Some((i, false)) => {
                match ops[i].input {
                    RegisterInput::Write(v) => {
                        // A write that will time out took effect only sometimes.
                        if rng.below(3) != 0 {
                            register = Some(v);
                            ops[i].output = Some(RegisterOutput::Written);
                        }
                    }
                    _ => ops[i].output = Some(RegisterOutput::Read(register)),
                }
                Some((i, true))
            }
            Some((i, true)) => {
                let times_out = rng.below(5) == 0;
                if times_out && matches!(ops[i].input, RegisterInput::Write(_)) {
                    ops[i].output = None;
                } else if times_out {
                    ops[i].output = None;
                    ops[i].ret = time;
                } else {
                    ops[i].ret = time;
                    if matches!(ops[i].input, RegisterInput::Write(_)) {
                        ops[i].output = Some(RegisterOutput::Written);
                    }
                }
                None
            }
        };
    }
    // Corrupt some reads: a stale, future or unwritten value.
    for op in &mut ops {
        if op.input == RegisterInput::Read && op.output.is_some() && rng.below(4) == 0 {
            let v = rng.below(written as u64 + 2) as i64;
            op.output = Some(RegisterOutput::Read((v > 0).then_some(v)));
        }
    }
    ops
}

fn assert_valid_order(ops: &[Op], order: &[usize]) {
    let mut sorted = order.to_vec();
    sorted.sort();
    assert_eq!(
        sorted,
        (0..ops.len()).collect::<Vec<_>>(),
        "every operation once"
    );
    for (k, &a) in order.iter().enumerate() {
        for &b in &order[k + 1..] {
            assert!(
                ops[b].ret >= ops[a].call,
                "{b} returned before {a} was invoked"
            );
        }
    }
    let mut state = None;
    for &i in order {
        state = RegisterModel
            .step(&state, &ops[i].input, ops[i].output.as_ref())
            .expect("model accepts the order");
    }
}

fn search_alone(ops: &[Op]) -> bool {
    let mut budget = Budget {
        fast_path_operations_min: usize::MAX,
        ..Budget::default()
    };
    match check(&RegisterModel, ops, &mut budget).verdict {
        Verdict::Linearizable { .. } => true,
        Verdict::NotLinearizable { .. } => false,
        Verdict::Unknown { reason } => panic!("search gave up: {reason}"),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(4_000))]

    #[test]
    fn the_unique_writes_decision_agrees_with_the_search(seed in any::<u64>()) {
        let ops = random_history(seed);
        let indices: Vec<usize> = (0..ops.len()).collect();
        let expected = search_alone(&ops);
        match RegisterModel.decide_fast(&ops, &indices) {
            Some(FastVerdict::Linearizable(order)) => {
                prop_assert!(expected, "decision: linearizable, search: not; {ops:#?}");
                assert_valid_order(&ops, &order);
            }
            Some(FastVerdict::NotLinearizable(conflict)) => {
                prop_assert!(!expected, "decision: not ({}), search: linearizable; {ops:#?}", conflict.note);
                prop_assert!(!conflict.operations.is_empty());
            }
            None => prop_assert!(false, "unique writes, yet no decision: {ops:#?}"),
        }
    }
}

/// Both answers are well represented among the generated histories, or the property proves
/// little.
#[test]
fn the_generated_histories_have_both_answers() {
    let (mut yes, mut no) = (0, 0);
    for seed in 0..2_000 {
        if search_alone(&random_history(seed)) {
            yes += 1;
        } else {
            no += 1;
        }
    }
    assert!(yes > 400 && no > 400, "linearizable {yes}, not {no}");
}
