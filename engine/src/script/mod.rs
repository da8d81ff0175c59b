//! The sandbox for learner code: Rhai scripts that replace one or a few functions of a protocol.
//!
//! A challenge compiles the learner's script once ([`Sandbox::compile`]) and then calls its
//! functions for every event of every seeded run ([`Sandbox::call`]). The sandbox keeps three
//! promises:
//!
//! - **Nothing a learner types can hang or crash the host.** Every call has an operation budget,
//!   call depth, expression depth and string/array/map size limits (the named constants below);
//!   Rhai's `unchecked` feature, which removes those checks, is never enabled.
//! - **Scripts are deterministic.** The engine is built with `Engine::new_raw()` plus only the
//!   packages a handler needs: no time, no I/O, no randomness, no floats (integer arithmetic is
//!   identical natively and in wasm). Everything a script knows arrives as arguments.
//! - **Every mistake is a value.** Syntax errors, runtime errors, budget exhaustion and missing or
//!   mistyped functions come back as a [`ScriptError`] with a line, a column and a
//!   plain-language message. A limit names itself and where it was crossed: Rhai reports an
//!   exhausted budget without a place, so the failing call is run once more (scripts are
//!   deterministic) under a tracer that remembers the last statement and loop it stepped
//!   through ([`Place`]), and the error points there: the `push` that grew an array, the loop
//!   that never ended, the call that recursed too deep.

pub mod convert;

use std::cell::RefCell;
use std::fmt;
use std::rc::Rc;
use std::sync::{Arc, Mutex};

use rhai::debugger::{DebuggerCommand, DebuggerEvent};
use rhai::packages::{
    BasicArrayPackage, BasicMapPackage, CorePackage, LogicPackage, MoreStringPackage, Package,
};
use rhai::{
    ASTNode, Dynamic, Engine, EvalAltResult, Expr, FuncArgs, ParseError, Position, Scope, Stmt, AST,
};
use serde::{Deserialize, Serialize};

/// Operations one call of a learner function may perform before it is stopped.
pub const SCRIPT_OPERATIONS_PER_CALL_MAX: u64 = 100_000;
/// How deeply learner functions may call each other (recursion included).
pub const SCRIPT_CALL_DEPTH_MAX: usize = 48;
/// How deeply expressions may nest, at the top level and inside functions.
pub const SCRIPT_EXPRESSION_DEPTH_MAX: usize = 64;
/// The longest string a script may build, in bytes.
pub const SCRIPT_STRING_BYTES_MAX: usize = 16 * 1024;
/// The longest array a script may build, in elements.
pub const SCRIPT_ARRAY_LENGTH_MAX: usize = 4_096;
/// The largest object map a script may build, in entries.
pub const SCRIPT_MAP_ENTRIES_MAX: usize = 1_024;
/// The largest script the sandbox compiles, in bytes.
pub const SCRIPT_SOURCE_BYTES_MAX: usize = 64 * 1024;
/// Lines of `print`/`debug` output kept per sandbox; later lines are counted, not stored.
pub const SCRIPT_PRINT_LINES_MAX: usize = 200;

/// What kind of mistake a [`ScriptError`] reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ScriptErrorKind {
    /// The script does not parse.
    Syntax,
    /// The script failed while running (bad index, wrong type, unknown function, …).
    Runtime,
    /// The script used more than its budget (operations, depth or data size).
    Budget,
    /// A function the challenge needs is missing or takes the wrong number of parameters.
    MissingFunction,
    /// A function returned a value of the wrong type or shape.
    WrongResult,
}

/// A learner mistake, located in their script.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScriptError {
    /// What kind of mistake.
    pub kind: ScriptErrorKind,
    /// 1-based line, when the mistake has a place.
    pub line: Option<usize>,
    /// 1-based column, when the mistake has a place.
    pub column: Option<usize>,
    /// A plain-language message.
    pub message: String,
}

impl ScriptError {
    fn at(kind: ScriptErrorKind, position: Position, message: impl Into<String>) -> Self {
        ScriptError {
            kind,
            line: position.line(),
            column: position.position(),
            message: message.into(),
        }
    }

    /// An error without a place in the script.
    pub fn new(kind: ScriptErrorKind, message: impl Into<String>) -> Self {
        ScriptError {
            kind,
            line: None,
            column: None,
            message: message.into(),
        }
    }
}

impl fmt::Display for ScriptError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.line, self.column) {
            (Some(line), Some(column)) => write!(f, "{line}:{column}: {}", self.message),
            (Some(line), None) => write!(f, "{line}: {}", self.message),
            _ => f.write_str(&self.message),
        }
    }
}

impl std::error::Error for ScriptError {}

/// A function a challenge expects the learner's script to define.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RequiredFn {
    /// Its name.
    pub name: &'static str,
    /// Its parameter names, in order (shown in messages).
    pub params: &'static [&'static str],
}

/// A compiled learner script with its limits, ready to be called.
pub struct Sandbox {
    engine: Engine,
    ast: AST,
    source: String,
    printed: Arc<Mutex<Printed>>,
}

#[derive(Default)]
struct Printed {
    lines: Vec<String>,
    dropped: usize,
}

impl fmt::Debug for Sandbox {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sandbox").finish_non_exhaustive()
    }
}

/// Where a traced run last was: the last statement or function call it stepped through and
/// the last loop it entered (a loop that never ends is the last one entered).
#[derive(Clone, Copy, Debug, Default)]
struct Place {
    statement: Option<Position>,
    looping: Option<Position>,
}

fn engine(printed: &Arc<Mutex<Printed>>, tracer: Option<Rc<RefCell<Place>>>) -> Engine {
    let mut engine = Engine::new_raw();
    for module in [
        CorePackage::new().as_shared_module(),
        LogicPackage::new().as_shared_module(),
        BasicArrayPackage::new().as_shared_module(),
        BasicMapPackage::new().as_shared_module(),
        MoreStringPackage::new().as_shared_module(),
    ] {
        engine.register_global_module(module);
    }
    engine
        .set_max_operations(SCRIPT_OPERATIONS_PER_CALL_MAX)
        .set_max_call_levels(SCRIPT_CALL_DEPTH_MAX)
        .set_max_expr_depths(SCRIPT_EXPRESSION_DEPTH_MAX, SCRIPT_EXPRESSION_DEPTH_MAX)
        .set_max_string_size(SCRIPT_STRING_BYTES_MAX)
        .set_max_array_size(SCRIPT_ARRAY_LENGTH_MAX)
        .set_max_map_size(SCRIPT_MAP_ENTRIES_MAX)
        .set_strict_variables(true)
        .set_fail_on_invalid_map_property(true)
        // `eval` would compile code at run time, beyond the checks `compile` reports.
        .disable_symbol("eval");
    for (sink, prefix) in [(printed.clone(), ""), (printed.clone(), "debug: ")] {
        let record = move |text: &str| {
            let mut printed = sink.lock().expect("the print buffer is never poisoned");
            if printed.lines.len() < SCRIPT_PRINT_LINES_MAX {
                printed.lines.push(format!("{prefix}{text}"));
            } else {
                printed.dropped += 1;
            }
        };
        if prefix.is_empty() {
            engine.on_print(record);
        } else {
            engine.on_debug(move |text, _, _| record(text));
        }
    }
    if let Some(place) = tracer {
        // Rhai marks its debugger interface volatile; it is used only to place a limit error.
        #[allow(deprecated)]
        engine.register_debugger(
            |_, debugger| debugger,
            move |_, event, node, _, _| {
                if !matches!(event, DebuggerEvent::Step) {
                    return Ok(DebuggerCommand::StepInto);
                }
                let mut place = place.borrow_mut();
                match node {
                    ASTNode::Stmt(Stmt::Block(..) | Stmt::Noop(..)) => {}
                    ASTNode::Stmt(stmt) if !stmt.position().is_none() => {
                        place.statement = Some(stmt.position());
                        if matches!(stmt, Stmt::While(..) | Stmt::Do(..) | Stmt::For(..)) {
                            place.looping = Some(stmt.position());
                        }
                    }
                    ASTNode::Expr(call @ (Expr::FnCall(..) | Expr::MethodCall(..)))
                        if !call.position().is_none() =>
                    {
                        place.statement = Some(call.position());
                    }
                    _ => {}
                }
                Ok(DebuggerCommand::StepInto)
            },
        );
    }
    engine
}

impl Sandbox {
    /// Compiles a script and checks that it defines every required function with the right
    /// number of parameters. Top-level statements are not run.
    pub fn compile(source: &str, required: &[RequiredFn]) -> Result<Sandbox, ScriptError> {
        if source.len() > SCRIPT_SOURCE_BYTES_MAX {
            return Err(ScriptError::new(
                ScriptErrorKind::Budget,
                format!("The script is longer than {SCRIPT_SOURCE_BYTES_MAX} bytes."),
            ));
        }
        let printed = Arc::new(Mutex::new(Printed::default()));
        let engine = engine(&printed, None);
        let ast = engine.compile(source).map_err(syntax_error)?;
        for function in required {
            let found: Vec<usize> = ast
                .iter_functions()
                .filter(|f| f.name == function.name)
                .map(|f| f.params.len())
                .collect();
            let signature = format!("fn {}({})", function.name, function.params.join(", "));
            if !found.contains(&function.params.len()) {
                let message = match found.first() {
                    None => format!("Define `{signature}`: the challenge calls it."),
                    Some(n) => format!(
                        "`{}` takes {n} parameter(s) here, but the challenge calls `{signature}`.",
                        function.name
                    ),
                };
                return Err(ScriptError::new(ScriptErrorKind::MissingFunction, message));
            }
        }
        Ok(Sandbox {
            engine,
            ast,
            source: source.to_string(),
            printed,
        })
    }

    /// Calls a learner function. Each call gets a fresh operation budget. An exhausted limit
    /// is placed where it was crossed (see [`Sandbox::locate`]); any other error with no place
    /// of its own is placed at the function's definition.
    pub fn call(&self, name: &str, args: impl FuncArgs) -> Result<Dynamic, ScriptError> {
        let mut values: Vec<Dynamic> = Vec::new();
        args.parse(&mut values);
        let again = values.clone();
        let mut scope = Scope::new();
        self.engine
            .call_fn::<Dynamic>(&mut scope, &self.ast, name, values)
            .map_err(|err| {
                if let Some(error) = self.limit_error(&err, name, again) {
                    return error;
                }
                let mut error = runtime_error(*err);
                if error.line.is_none() {
                    error.line = self.definition_line(name);
                    error.column = error.line.map(|_| 1);
                    error.message = format!("In `{name}`: {}", error.message);
                }
                error
            })
    }

    /// Runs `name(args)` again under a tracer: the place the run last was when it failed.
    /// Scripts are deterministic, so the second run fails at the same step as the first.
    fn locate(&self, name: &str, args: Vec<Dynamic>) -> Place {
        let place = Rc::new(RefCell::new(Place::default()));
        let discard = Arc::new(Mutex::new(Printed::default()));
        let tracer = engine(&discard, Some(place.clone()));
        let _ = tracer.call_fn::<Dynamic>(&mut Scope::new(), &self.ast, name, args);
        let found = *place.borrow();
        found
    }

    /// The function whose body holds `line`: the last `fn` defined at or above it.
    fn function_at(&self, line: usize) -> Option<String> {
        self.source
            .lines()
            .take(line)
            .filter_map(|l| l.trim_start().strip_prefix("fn "))
            .filter_map(|rest| rest.split('(').next())
            .map(|name| name.trim().to_string())
            .last()
    }

    /// An exhausted limit (operations, call depth, string, array or map size) as an error
    /// naming the limit and the place it was crossed; `None` for every other error.
    fn limit_error(
        &self,
        err: &EvalAltResult,
        name: &str,
        args: Vec<Dynamic>,
    ) -> Option<ScriptError> {
        use EvalAltResult as E;
        let limit = match err {
            E::ErrorTooManyOperations(..) => Limit::Operations,
            E::ErrorStackOverflow(..) => Limit::CallDepth,
            E::ErrorDataTooLarge(what, ..) if what.contains("string") => Limit::String,
            E::ErrorDataTooLarge(what, ..) if what.contains("map") => Limit::Map,
            E::ErrorDataTooLarge(..) => Limit::Array,
            _ => return None,
        };
        let place = self.locate(name, args);
        let at = match limit {
            Limit::Operations => place.looping.or(place.statement),
            _ => place.statement,
        };
        let line = at.and_then(|p| p.line());
        let function = line
            .and_then(|l| self.function_at(l))
            .unwrap_or_else(|| name.to_string());
        let what = match (limit, at.is_some() && place.looping == at) {
            (Limit::Operations, true) => format!(
                "The loop in `{function}` ran past {SCRIPT_OPERATIONS_PER_CALL_MAX} operations in one call (the operations limit): does it never end?"
            ),
            (Limit::Operations, false) => format!(
                "`{function}` ran past {SCRIPT_OPERATIONS_PER_CALL_MAX} operations in one call (the operations limit): is there a loop that never ends?"
            ),
            (Limit::CallDepth, _) => format!(
                "This call in `{function}` nested function calls more than {SCRIPT_CALL_DEPTH_MAX} deep (the call depth limit): is there a recursion without a base case?"
            ),
            (Limit::String, _) => format!(
                "A string in `{function}` grew past {SCRIPT_STRING_BYTES_MAX} bytes here (the string size limit): does a loop add to it forever?"
            ),
            (Limit::Array, _) => format!(
                "An array in `{function}` grew past {SCRIPT_ARRAY_LENGTH_MAX} elements here (the array size limit): does a loop add to it forever?"
            ),
            (Limit::Map, _) => format!(
                "An object map in `{function}` grew past {SCRIPT_MAP_ENTRIES_MAX} entries here (the map size limit): does a loop add to it forever?"
            ),
        };
        let mut error = ScriptError::new(ScriptErrorKind::Budget, what);
        match at {
            Some(p) if p.line().is_some() => {
                error.line = p.line();
                error.column = p.position();
            }
            _ => {
                error.line = self.definition_line(name);
                error.column = error.line.map(|_| 1);
            }
        }
        Some(error)
    }

    /// The 1-based line where `fn name(` is defined: where a mistake with no place of its own
    /// (a wrong return value, an exhausted budget) is shown.
    pub fn definition_line(&self, name: &str) -> Option<usize> {
        let needle = format!("fn {name}(");
        self.source
            .lines()
            .position(|line| line.trim_start().starts_with(&needle))
            .map(|index| index + 1)
    }

    /// What the script printed so far (`print` and `debug`), and how many lines were dropped.
    pub fn printed(&self) -> (Vec<String>, usize) {
        let printed = self
            .printed
            .lock()
            .expect("the print buffer is never poisoned");
        (printed.lines.clone(), printed.dropped)
    }
}

/// The limits a call can exhaust.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Limit {
    Operations,
    CallDepth,
    String,
    Array,
    Map,
}

fn syntax_error(err: ParseError) -> ScriptError {
    let position = err.position();
    let mut message = err.err_type().to_string();
    if let Some(first) = message.get(..1) {
        message = first.to_uppercase() + &message[1..];
    }
    ScriptError::at(ScriptErrorKind::Syntax, position, format!("{message}."))
}

/// Turns Rhai's error into a learner-facing one, located at the innermost failing place.
fn runtime_error(err: EvalAltResult) -> ScriptError {
    use EvalAltResult as E;
    use ScriptErrorKind::{Budget, Runtime};
    match err {
        // Budget errors carry no place of their own: fall back to the enclosing call's.
        E::ErrorInFunctionCall(_, _, inner, position) => {
            let mut error = runtime_error(*inner);
            if error.line.is_none() {
                error.line = position.line();
                error.column = position.position();
            }
            error
        }
        E::ErrorTooManyOperations(pos) => ScriptError::at(
            Budget,
            pos,
            format!(
                "Stopped after {SCRIPT_OPERATIONS_PER_CALL_MAX} operations in one call: is there a loop that never ends?"
            ),
        ),
        E::ErrorStackOverflow(pos) => ScriptError::at(
            Budget,
            pos,
            format!("Function calls nested more than {SCRIPT_CALL_DEPTH_MAX} deep: is there a recursion without a base case?"),
        ),
        E::ErrorDataTooLarge(what, pos) => ScriptError::at(
            Budget,
            pos,
            format!(
                "{what} grew past its limit (strings {SCRIPT_STRING_BYTES_MAX} bytes, arrays {SCRIPT_ARRAY_LENGTH_MAX} elements, maps {SCRIPT_MAP_ENTRIES_MAX} entries)."
            ),
        ),
        E::ErrorTooManyVariables(pos) => ScriptError::at(Budget, pos, "Too many variables."),
        E::ErrorParsing(kind, pos) => ScriptError::at(ScriptErrorKind::Syntax, pos, format!("{kind}.")),
        E::ErrorFunctionNotFound(signature, pos) => ScriptError::at(
            Runtime,
            pos,
            format!("No function `{signature}`: check the name and the types of the arguments."),
        ),
        E::ErrorVariableNotFound(name, pos) => {
            ScriptError::at(Runtime, pos, format!("Variable `{name}` is not defined."))
        }
        E::ErrorArrayBounds(len, index, pos) => ScriptError::at(
            Runtime,
            pos,
            format!("Index {index} is out of bounds for an array of length {len}."),
        ),
        E::ErrorMismatchDataType(expected, actual, pos) => ScriptError::at(
            Runtime,
            pos,
            format!("Expected a value of type {expected}, found {actual}."),
        ),
        E::ErrorPropertyNotFound(name, pos) => {
            ScriptError::at(Runtime, pos, format!("This map has no property `{name}`."))
        }
        E::ErrorArithmetic(message, pos) => ScriptError::at(Runtime, pos, format!("Arithmetic error: {message}.")),
        E::ErrorRuntime(value, pos) => ScriptError::at(Runtime, pos, format!("The script threw: {value}")),
        other => {
            let position = other.position();
            let mut message = other.to_string();
            // Rhai appends " (line L, position C)"; the error carries the place separately.
            if let Some(cut) = message.find(" (line ") {
                message.truncate(cut);
            }
            ScriptError::at(Runtime, position, message)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ADD: RequiredFn = RequiredFn {
        name: "add",
        params: &["a", "b"],
    };

    fn run(source: &str) -> Result<Dynamic, ScriptError> {
        Sandbox::compile(source, &[ADD])?.call("add", (1_i64, 2_i64))
    }

    #[test]
    fn a_correct_script_runs() {
        let value = run("fn add(a, b) { a + b }").unwrap();
        assert_eq!(value.as_int(), Ok(3));
    }

    #[test]
    fn syntax_errors_have_line_and_column() {
        let err = run("fn add(a, b) {\n  let x = ;\n  a + b\n}").unwrap_err();
        assert_eq!(err.kind, ScriptErrorKind::Syntax);
        assert_eq!((err.line, err.column), (Some(2), Some(11)));
        let undefined = run("fn add(a, b) {\n  a + c\n}").unwrap_err();
        assert_eq!(undefined.kind, ScriptErrorKind::Syntax);
        assert_eq!(undefined.line, Some(2));
        assert!(undefined.message.contains('c'), "{undefined}");
    }

    #[test]
    fn missing_or_misshapen_functions_are_named() {
        let missing = run("fn plus(a, b) { a + b }").unwrap_err();
        assert_eq!(missing.kind, ScriptErrorKind::MissingFunction);
        assert!(missing.message.contains("fn add(a, b)"), "{missing}");
        let arity = run("fn add(a) { a }").unwrap_err();
        assert!(arity.message.contains("takes 1 parameter"), "{arity}");
    }

    /// The hostile corpus: each script must end with a clear diagnostic, within the budget.
    #[test]
    fn hostile_scripts_end_with_a_diagnostic() {
        let cases: [(&str, ScriptErrorKind, &str, usize); 8] = [
            (
                "fn add(a, b) {\n  loop { }\n}",
                ScriptErrorKind::Budget,
                "operations limit",
                2,
            ),
            (
                "fn add(a, b) {\n  while true { a += 1; }\n  a\n}",
                ScriptErrorKind::Budget,
                "operations limit",
                2,
            ),
            (
                "fn add(a, b) {\n  add(a, b)\n}",
                ScriptErrorKind::Budget,
                "recursion",
                2,
            ),
            (
                "fn add(a, b) {\n  let s = \"x\";\n  loop { s += s; }\n}",
                ScriptErrorKind::Budget,
                "grew past",
                3,
            ),
            (
                "fn add(a, b) {\n  let v = [];\n  loop { v.push(1); }\n}",
                ScriptErrorKind::Budget,
                "grew past",
                3,
            ),
            (
                "fn add(a, b) {\n  a + \"text\" * 2\n}",
                ScriptErrorKind::Runtime,
                "No function",
                2,
            ),
            (
                "fn add(a, b) {\n  launch_missiles(a)\n}",
                ScriptErrorKind::Runtime,
                "launch_missiles",
                2,
            ),
            (
                "fn add(a, b) {\n  let v = [1];\n  v[5]\n}",
                ScriptErrorKind::Runtime,
                "out of bounds",
                3,
            ),
        ];
        for (source, kind, needle, line) in cases {
            let err = run(source).unwrap_err();
            assert_eq!(err.kind, kind, "{source}: {err}");
            assert!(err.message.contains(needle), "{source}: {err}");
            assert!(err.line.is_some_and(|l| l <= line), "{source}: {err}");
        }
    }

    /// Each exhausted limit names itself, the function and the line and column of the
    /// statement that crossed it.
    #[test]
    fn limit_errors_name_the_limit_and_the_place() {
        let cases: [(&str, (usize, usize), &[&str]); 8] = [
            (
                "fn helper(n) {\n  loop { }\n}\nfn add(a, b) {\n  helper(a)\n}",
                (2, 3),
                &["loop", "operations limit", "`helper`"],
            ),
            (
                "fn helper(n) {\n  let v = [];\n  loop { v.push(n); }\n}\nfn add(a, b) {\n  helper(a)\n}",
                (3, 12),
                &["array size limit", "`helper`"],
            ),
            (
                "fn add(a, b) {\n  let v = [];\n  loop { v.push(1); }\n}",
                (3, 12),
                &["array", "4096 elements", "array size limit", "`add`"],
            ),
            (
                "fn add(a, b) {\n  add(a, b)\n}",
                (2, 3),
                &["48 deep", "call depth limit", "`add`", "recursion"],
            ),
            (
                "fn helper(n) {\n  let m = n + 1;\n  helper(m)\n}\nfn add(a, b) {\n  helper(a)\n}",
                (3, 3),
                &["call depth limit", "`helper`"],
            ),
            (
                "fn add(a, b) {\n  let s = \"x\";\n  loop {\n    s += s;\n  }\n}",
                (4, 7),
                &["string", "16384 bytes", "string size limit"],
            ),
            (
                "fn add(a, b) {\n  let x = 0;\n  loop { }\n}",
                (3, 3),
                &["loop", "100000 operations", "operations limit", "`add`"],
            ),
            (
                "fn add(a, b) {\n  let x = 0;\n  for i in 0..3 { x += i; }\n  while x > 0 {\n    x += 1;\n  }\n  x\n}",
                (4, 3),
                &["loop", "operations limit"],
            ),
        ];
        for (source, (line, column), needles) in cases {
            let err = run(source).unwrap_err();
            assert_eq!(err.kind, ScriptErrorKind::Budget, "{source}: {err}");
            assert_eq!(
                (err.line, err.column),
                (Some(line), Some(column)),
                "{source}: {err}"
            );
            for needle in needles {
                assert!(err.message.contains(needle), "{source}: {err}");
            }
        }
        // The same call fails the same way again: the sandbox keeps no state from the tracer.
        let sandbox = Sandbox::compile("fn add(a, b) {\n  loop { }\n}", &[ADD]).unwrap();
        let first = sandbox.call("add", (1_i64, 2_i64)).unwrap_err();
        assert_eq!(sandbox.call("add", (1_i64, 2_i64)).unwrap_err(), first);
    }

    #[test]
    fn no_time_io_or_randomness_is_available() {
        for call in ["timestamp()", "rand()", "eval(\"1\")", "import \"x\" as y;"] {
            let source = format!("fn add(a, b) {{ {call} }}");
            assert!(run(&source).is_err(), "{call} must not be available");
        }
    }

    #[test]
    fn print_is_captured_and_bounded() {
        let sandbox = Sandbox::compile(
            "fn add(a, b) { for i in 0..300 { print(i); } debug(\"done\"); a + b }",
            &[ADD],
        )
        .unwrap();
        let sum = sandbox.call("add", (1_i64, 2_i64)).unwrap();
        assert_eq!(sum.as_int(), Ok(3));
        let (lines, dropped) = sandbox.printed();
        assert_eq!(lines.len(), SCRIPT_PRINT_LINES_MAX);
        assert_eq!(lines[0], "0");
        assert_eq!(dropped, 101);
    }

    #[test]
    fn oversized_sources_are_refused() {
        let source = format!(
            "fn add(a, b) {{ a + b }}\n//{}",
            "x".repeat(SCRIPT_SOURCE_BYTES_MAX)
        );
        assert_eq!(run(&source).unwrap_err().kind, ScriptErrorKind::Budget);
    }
}
