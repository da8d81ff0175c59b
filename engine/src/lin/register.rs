//! One register with read, write and compare-and-set, as Jepsen's etcd test uses it.
//!
//! The register starts as nil. A read must return the current value (nil if never written); a
//! write sets it; `cas(from, to)` succeeds iff the current value is `from`, and then sets `to`.
//! A cas that returned false (`:fail`) is a cas whose compare failed: it is linearized at a point
//! where the value was not `from`, and changed nothing. A read or write that failed did not take
//! effect and is left out. With an unknown outcome, a read accepts any value and a cas takes
//! effect iff its compare would succeed.

use super::fast::{decide_register, FastVerdict};
use super::parse::{quote, quote_value, ParseError, RawHistory, RawOperation, Status};
use super::{Model, Operation};
use serde_json::Value;

/// A register operation's input.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RegisterInput {
    /// Read the value.
    Read,
    /// Set the value.
    Write(i64),
    /// Set `to` if the value is `from`.
    Cas {
        /// Expected value.
        from: i64,
        /// New value.
        to: i64,
    },
}

/// What a register operation returned.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RegisterOutput {
    /// A read's value; `None` is nil.
    Read(Option<i64>),
    /// A write completed.
    Written,
    /// Whether a cas succeeded.
    Cas(bool),
}

/// The register-with-cas model; its state is the value (`None` = nil).
#[derive(Clone, Copy, Debug, Default)]
pub struct RegisterModel;

impl Model for RegisterModel {
    type State = Option<i64>;
    type Input = RegisterInput;
    type Output = RegisterOutput;

    fn init(&self) -> Option<i64> {
        None
    }

    #[inline(always)]
    fn step(
        &self,
        state: &Option<i64>,
        input: &RegisterInput,
        output: Option<&RegisterOutput>,
    ) -> Option<Option<i64>> {
        match (*input, output) {
            (RegisterInput::Read, None) => Some(*state),
            (RegisterInput::Read, Some(RegisterOutput::Read(seen))) => {
                (seen == state).then_some(*state)
            }
            (RegisterInput::Write(value), _) => Some(Some(value)),
            (RegisterInput::Cas { from, to }, output) => {
                let compare = *state == Some(from);
                match output {
                    None => Some(if compare { Some(to) } else { *state }),
                    Some(RegisterOutput::Cas(true)) => compare.then_some(Some(to)),
                    Some(RegisterOutput::Cas(false)) => (!compare).then_some(*state),
                    Some(_) => None,
                }
            }
            (RegisterInput::Read, Some(_)) => None,
        }
    }

    fn decide_fast(
        &self,
        history: &[Operation<RegisterInput, RegisterOutput>],
        indices: &[usize],
    ) -> Option<FastVerdict> {
        decide_register(history, indices)
    }

    fn describe_operation(&self, input: &RegisterInput, output: Option<&RegisterOutput>) -> String {
        match (input, output) {
            (RegisterInput::Read, Some(RegisterOutput::Read(v))) => {
                format!("read() -> {}", show(*v))
            }
            (RegisterInput::Read, _) => "read() -> ?".to_string(),
            (RegisterInput::Write(v), None) => format!("write({v}) -> ?"),
            (RegisterInput::Write(v), Some(_)) => format!("write({v})"),
            (RegisterInput::Cas { from, to }, output) => {
                let result = match output {
                    Some(RegisterOutput::Cas(true)) => "ok",
                    Some(RegisterOutput::Cas(false)) => "fail",
                    _ => "?",
                };
                format!("cas({from}, {to}) -> {result}")
            }
        }
    }

    fn describe_state(&self, state: &Option<i64>) -> String {
        show(*state)
    }

    fn required_state(
        &self,
        input: &RegisterInput,
        output: Option<&RegisterOutput>,
    ) -> Option<String> {
        match (input, output) {
            (RegisterInput::Read, Some(RegisterOutput::Read(v))) => Some(show(*v)),
            (RegisterInput::Cas { from, .. }, Some(RegisterOutput::Cas(true))) => {
                Some(from.to_string())
            }
            (RegisterInput::Cas { from, .. }, Some(RegisterOutput::Cas(false))) => {
                Some(format!("anything but {from}"))
            }
            _ => None,
        }
    }
}

fn show(value: Option<i64>) -> String {
    value.map_or_else(|| "nil".to_string(), |v| v.to_string())
}

impl RegisterModel {
    /// Gives a raw history's values their register meaning. Failed reads and writes did not take
    /// effect and are dropped; everything else becomes one [`Operation`].
    pub fn lower(
        raw: &RawHistory,
    ) -> Result<Vec<Operation<RegisterInput, RegisterOutput>>, ParseError> {
        let mut history = Vec::with_capacity(raw.operations.len());
        for op in &raw.operations {
            if let Some(key) = &op.key {
                return Err(ParseError::new(
                    op.invoke_line,
                    format!(
                        "register operations take no key (got key \"{}\")",
                        quote(key)
                    ),
                ));
            }
            let input = match op.f.as_str() {
                "read" => RegisterInput::Read,
                "write" => {
                    RegisterInput::Write(integer(&op.input, op.invoke_line, "write's value")?)
                }
                "cas" => cas_argument(op)?,
                other => {
                    return Err(ParseError::new(
                        op.invoke_line,
                        format!("unknown register f '{}'", quote(other)),
                    ))
                }
            };
            let output = match (op.status, input) {
                (Status::Unknown, _) => None,
                (Status::Fail, RegisterInput::Cas { .. }) => Some(RegisterOutput::Cas(false)),
                (Status::Fail, _) => continue,
                (Status::Ok, RegisterInput::Read) => Some(RegisterOutput::Read(match &op.output {
                    Value::Null => None,
                    v => Some(integer(
                        v,
                        op.return_line.unwrap_or(op.invoke_line),
                        "read's result",
                    )?),
                })),
                (Status::Ok, RegisterInput::Write(_)) => Some(RegisterOutput::Written),
                (Status::Ok, RegisterInput::Cas { .. }) => Some(RegisterOutput::Cas(true)),
            };
            history.push(Operation {
                client: op.client,
                input,
                output,
                call: op.call,
                ret: op.ret,
                line: op.invoke_line,
            });
        }
        Ok(history)
    }
}

fn integer(value: &Value, line: usize, what: &str) -> Result<i64, ParseError> {
    value.as_i64().ok_or_else(|| {
        ParseError::new(
            line,
            format!("{what} must be an integer, not {}", quote_value(value)),
        )
    })
}

fn cas_argument(op: &RawOperation) -> Result<RegisterInput, ParseError> {
    match &op.input {
        Value::Array(pair) if pair.len() == 2 => Ok(RegisterInput::Cas {
            from: integer(&pair[0], op.invoke_line, "cas's from")?,
            to: integer(&pair[1], op.invoke_line, "cas's to")?,
        }),
        other => Err(ParseError::new(
            op.invoke_line,
            format!("cas's value must be [from, to], not {}", quote_value(other)),
        )),
    }
}
