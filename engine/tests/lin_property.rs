//! The checker agrees with brute force on small random register histories.
//!
//! Brute force tries every order of the operations that respects real time (a before b whenever
//! a returned before b was invoked) and runs it through the model. Histories are generated from
//! a seeded PRNG (no OS randomness): clients invoke and return in a random interleaving, each
//! operation takes effect at a random point inside its interval, outputs come from that run, and
//! some are then corrupted, so both answers occur. Some operations end with unknown outcome.

use engine::lin::{
    check, Budget, Model, Operation, RegisterInput, RegisterModel, RegisterOutput, Verdict,
    RETURN_NEVER,
};

type Op = Operation<RegisterInput, RegisterOutput>;

/// SplitMix64: a tiny deterministic PRNG.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

fn random_history(rng: &mut Rng) -> Vec<Op> {
    let total = 1 + rng.below(7) as usize;
    let clients = 1 + rng.below(3);
    let mut ops: Vec<Op> = Vec::new();
    let mut busy: Vec<Option<usize>> = vec![None; clients as usize];
    let mut time = 0u64;
    while ops.len() < total || busy.iter().any(Option::is_some) {
        time += 10;
        let c = rng.below(clients) as usize;
        match busy[c] {
            Some(i) => {
                // 1 in 6 operations end with unknown outcome and stay open.
                ops[i].ret = if rng.below(6) == 0 {
                    RETURN_NEVER
                } else {
                    time
                };
                busy[c] = None;
            }
            None if ops.len() < total => {
                let input = match rng.below(3) {
                    0 => RegisterInput::Read,
                    1 => RegisterInput::Write(rng.below(3) as i64),
                    _ => RegisterInput::Cas {
                        from: rng.below(3) as i64,
                        to: rng.below(3) as i64,
                    },
                };
                busy[c] = Some(ops.len());
                ops.push(Operation {
                    client: c as u64,
                    input,
                    output: None,
                    call: time,
                    ret: 0,
                    line: 0,
                });
            }
            None => {}
        }
    }
    // Run the operations in the order of random points inside their intervals.
    let end = time + 10;
    let mut points: Vec<(u64, usize)> = ops
        .iter()
        .enumerate()
        .map(|(i, op)| {
            let ret = op.ret.min(end);
            (op.call + 1 + rng.below(ret - op.call - 1), i)
        })
        .collect();
    points.sort();
    let mut state = None;
    for &(_, i) in &points {
        let output = match ops[i].input {
            RegisterInput::Read => RegisterOutput::Read(state),
            RegisterInput::Write(v) => {
                state = Some(v);
                RegisterOutput::Written
            }
            RegisterInput::Cas { from, to } => {
                let hit = state == Some(from);
                if hit {
                    state = Some(to);
                }
                RegisterOutput::Cas(hit)
            }
        };
        ops[i].output = Some(output);
    }
    for op in &mut ops {
        if op.ret == RETURN_NEVER {
            op.output = None;
        } else if rng.below(4) == 0 {
            op.output = match op.input {
                RegisterInput::Read => Some(RegisterOutput::Read(
                    [None, Some(0), Some(1), Some(2)][rng.below(4) as usize],
                )),
                RegisterInput::Cas { .. } => Some(RegisterOutput::Cas(rng.below(2) == 0)),
                RegisterInput::Write(_) => op.output,
            };
        }
    }
    ops
}

/// Is there an order respecting real time that the model accepts?
fn brute_force(ops: &[Op]) -> bool {
    fn extend(ops: &[Op], used: &mut Vec<bool>, state: Option<i64>, placed: usize) -> bool {
        if placed == ops.len() {
            return true;
        }
        for i in 0..ops.len() {
            // `i` may go next only if no unplaced operation returned before `i` was invoked.
            if used[i] || (0..ops.len()).any(|j| !used[j] && j != i && ops[j].ret < ops[i].call) {
                continue;
            }
            if let Some(next) = RegisterModel.step(&state, &ops[i].input, ops[i].output.as_ref()) {
                used[i] = true;
                if extend(ops, used, next, placed + 1) {
                    return true;
                }
                used[i] = false;
            }
        }
        false
    }
    extend(ops, &mut vec![false; ops.len()], None, 0)
}

/// A reported order is a permutation that respects real time and the model accepts.
fn assert_valid_order(ops: &[Op], order: &[usize]) {
    let mut sorted = order.to_vec();
    sorted.sort();
    assert_eq!(sorted, (0..ops.len()).collect::<Vec<_>>());
    for (k, &a) in order.iter().enumerate() {
        for &b in &order[k + 1..] {
            assert!(
                ops[b].ret >= ops[a].call,
                "{b} returned before {a} was invoked, yet is ordered after it"
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

#[test]
fn checker_agrees_with_brute_force_on_random_register_histories() {
    let mut rng = Rng(0x5eed);
    let (mut yes, mut no) = (0, 0);
    for case in 0..3_000 {
        let ops = random_history(&mut rng);
        let expected = brute_force(&ops);
        match check(&RegisterModel, &ops, &mut Budget::default()).verdict {
            Verdict::Linearizable { order } => {
                assert!(
                    expected,
                    "case {case}: checker says linearizable, brute force says not: {ops:#?}"
                );
                assert_valid_order(&ops, &order[0]);
                yes += 1;
            }
            Verdict::NotLinearizable { .. } => {
                assert!(!expected, "case {case}: checker says not linearizable, brute force found an order: {ops:#?}");
                no += 1;
            }
            Verdict::Unknown { reason } => panic!("case {case}: unknown: {reason}"),
        }
    }
    // Both answers must be well represented, or the property proves little.
    assert!(yes > 500 && no > 500, "linearizable {yes}, not {no}");
}
