//! Register histories generated from a seed, for benchmarks and tests at scale.
//!
//! A simulated *linearizable* register serves `processes` clients. Each tick one client, chosen
//! at random, moves one step through invoke → take effect → return, so operations overlap as
//! much as the number of clients allows (one client gives a sequential history). An operation's
//! effect happens at one instant inside its interval, so the history is linearizable by
//! construction. A fraction of writes (`info_writes_ppm`, parts per million) time out instead of
//! returning, as Jepsen's `:info`: half of them took effect, half never did, they stay open to
//! the end, and the client is replaced by a fresh process id (Jepsen's rule after `:info`).
//!
//! Invariant: the history is a pure function of the [`RegisterWorkload`] (the engine's own
//! [`Rng`]), the same on every target.

use super::{Operation, RegisterInput, RegisterOutput, RETURN_NEVER};
use crate::rng::Rng;

/// What to generate.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RegisterWorkload {
    /// The seed of the random choices.
    pub seed: u64,
    /// Operations in the history.
    pub operations: usize,
    /// Clients running at once (1 gives a sequential history).
    pub processes: usize,
    /// Parts per million of writes that time out (`:info`).
    pub info_writes_ppm: u32,
    /// `None`: every write writes a new value (1, 2, 3, …); `Some(k)`: values drawn from `0..k`.
    pub values: Option<u64>,
}

/// Where one client stands.
#[derive(Clone, Copy)]
enum Client {
    Idle,
    /// Invoked operation `op`; whether it took effect; whether it will time out.
    Running {
        op: usize,
        applied: bool,
        times_out: bool,
    },
}

/// Generates the history of `workload`, operations in invoke order, times the tick numbers.
pub fn register_history(
    workload: &RegisterWorkload,
) -> Vec<Operation<RegisterInput, RegisterOutput>> {
    let mut rng = Rng::new(workload.seed);
    let processes = workload.processes.max(1);
    let mut clients = vec![Client::Idle; processes];
    let mut ids: Vec<u64> = (0..processes as u64).collect();
    let mut next_id = processes as u64;
    let mut ops: Vec<Operation<RegisterInput, RegisterOutput>> =
        Vec::with_capacity(workload.operations);
    let mut register: Option<i64> = None;
    let mut written = 0i64;
    let mut tick = 0u64;
    let mut running = 0usize;
    while ops.len() < workload.operations || running > 0 {
        tick += 1;
        let c = rng.below(processes as u64) as usize;
        clients[c] = match clients[c] {
            Client::Idle if ops.len() < workload.operations => {
                let input = if rng.below(2) == 0 {
                    RegisterInput::Read
                } else {
                    written += 1;
                    RegisterInput::Write(match workload.values {
                        None => written,
                        Some(k) => rng.below(k.max(1)) as i64,
                    })
                };
                let times_out = matches!(input, RegisterInput::Write(_))
                    && rng.chance_ppm(workload.info_writes_ppm);
                ops.push(Operation {
                    client: ids[c],
                    input,
                    output: None,
                    call: tick,
                    ret: RETURN_NEVER,
                    line: 0,
                });
                running += 1;
                Client::Running {
                    op: ops.len() - 1,
                    applied: false,
                    times_out,
                }
            }
            Client::Idle => Client::Idle,
            Client::Running {
                op,
                applied: false,
                times_out,
            } => {
                // A write that times out took effect only half of the time.
                let takes_effect = !times_out || rng.below(2) == 0;
                match ops[op].input {
                    RegisterInput::Write(v) if takes_effect => register = Some(v),
                    RegisterInput::Read => ops[op].output = Some(RegisterOutput::Read(register)),
                    _ => {}
                }
                Client::Running {
                    op,
                    applied: true,
                    times_out,
                }
            }
            Client::Running { op, times_out, .. } => {
                running -= 1;
                if times_out {
                    ids[c] = next_id;
                    next_id += 1;
                } else {
                    ops[op].ret = tick;
                    if let RegisterInput::Write(_) = ops[op].input {
                        ops[op].output = Some(RegisterOutput::Written);
                    }
                }
                Client::Idle
            }
        };
    }
    ops
}

/// The history as JSON lines (the format [`super::parse`] reads), events in time order.
pub fn json_lines(ops: &[Operation<RegisterInput, RegisterOutput>]) -> String {
    let mut events: Vec<(u64, bool, usize)> = Vec::with_capacity(2 * ops.len());
    for (i, op) in ops.iter().enumerate() {
        events.push((op.call, false, i));
        if op.ret != RETURN_NEVER {
            events.push((op.ret, true, i));
        }
    }
    events.sort_unstable();
    let mut out = String::new();
    for (_, is_return, i) in events {
        let op = &ops[i];
        let (f, invoke_value) = match op.input {
            RegisterInput::Read => ("read", "null".to_string()),
            RegisterInput::Write(v) => ("write", v.to_string()),
            RegisterInput::Cas { from, to } => ("cas", format!("[{from}, {to}]")),
        };
        let (kind, value) = match (is_return, op.output) {
            (false, _) => ("invoke", invoke_value),
            (true, Some(RegisterOutput::Read(v))) => (
                "ok",
                v.map_or_else(|| "null".to_string(), |v| v.to_string()),
            ),
            (true, Some(RegisterOutput::Cas(false))) => ("fail", invoke_value),
            (true, Some(_)) => ("ok", invoke_value),
            (true, None) => ("info", invoke_value),
        };
        out.push_str(&format!(
            "{{\"client\": {}, \"type\": \"{kind}\", \"f\": \"{f}\", \"value\": {value}}}\n",
            op.client
        ));
    }
    out
}
