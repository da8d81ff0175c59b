//! Plain Rhai values to and from Rust: what every challenge harness hands a learner's script
//! and reads back.
//!
//! Scripts see integers, booleans, strings, `()` for "none", arrays and object maps. Readers
//! return `None` for a value of the wrong type or shape, and the harness reports it once, in one
//! wording, through [`wrong_result`]: "`f` returned X; expected Y." at the function's line.

use rhai::{Array, Dynamic, Map};

use super::{Sandbox, ScriptError, ScriptErrorKind};

/// Most characters of a wrong result quoted in its error.
pub const SHOWN_CHARS_MAX: usize = 160;

/// A non-negative integer as a Rhai integer (saturating at `i64::MAX`).
pub fn int(x: u64) -> Dynamic {
    Dynamic::from_int(i64::try_from(x).unwrap_or(i64::MAX))
}

/// A node id, or `()` for none.
pub fn node(n: Option<u16>) -> Dynamic {
    n.map_or(Dynamic::UNIT, |n| Dynamic::from_int(i64::from(n)))
}

/// An array of integers.
pub fn ints(values: impl IntoIterator<Item = i64>) -> Dynamic {
    Dynamic::from_array(values.into_iter().map(Dynamic::from_int).collect())
}

/// An object map with these fields.
pub fn map<const N: usize>(fields: [(&str, Dynamic); N]) -> Dynamic {
    let mut m = Map::new();
    for (k, v) in fields {
        m.insert(k.into(), v);
    }
    Dynamic::from_map(m)
}

/// The map's fields, when `value` is a map with exactly these keys.
pub fn exact(value: Dynamic, keys: &[&str]) -> Option<Map> {
    let m: Map = value.try_cast()?;
    (m.len() == keys.len() && keys.iter().all(|k| m.contains_key(*k))).then_some(m)
}

/// A non-negative integer field.
pub fn get_u64(m: &Map, key: &str) -> Option<u64> {
    m.get(key)?
        .as_int()
        .ok()
        .and_then(|i| u64::try_from(i).ok())
}

/// A boolean field.
pub fn get_bool(m: &Map, key: &str) -> Option<bool> {
    m.get(key)?.as_bool().ok()
}

/// A string field.
pub fn get_string(m: &Map, key: &str) -> Option<String> {
    m.get(key)?.clone().into_string().ok()
}

/// `()` for none, or a node id below `nodes`.
pub fn get_node(m: &Map, key: &str, nodes: u16) -> Option<Option<u16>> {
    let v = m.get(key)?;
    if v.is_unit() {
        return Some(None);
    }
    let n = u16::try_from(v.as_int().ok()?).ok()?;
    (n < nodes).then_some(Some(n))
}

/// An array field.
pub fn get_array(m: &Map, key: &str) -> Option<Array> {
    m.get(key)?.clone().try_cast()
}

/// An array of exactly `len` non-negative integers.
pub fn as_counts(value: Dynamic, len: usize) -> Option<Vec<i64>> {
    let array: Array = value.try_cast()?;
    let values: Vec<i64> = array
        .into_iter()
        .map(|v| v.as_int().ok())
        .collect::<Option<_>>()?;
    (values.len() == len && values.iter().all(|&c| c >= 0)).then_some(values)
}

/// How a value is shown in an error: its Rhai form, `()` for unit, cut to [`SHOWN_CHARS_MAX`].
pub fn shown(value: &Dynamic) -> String {
    let text = if value.is_unit() {
        "()".to_string()
    } else {
        format!("{value:?}")
    };
    let mut out: String = text.chars().take(SHOWN_CHARS_MAX).collect();
    if out.len() < text.len() {
        out.push('…');
    }
    out
}

/// The one wording of a wrong result: "`name` returned X; expected Y." at `name`'s line.
pub fn wrong_result(sandbox: &Sandbox, name: &str, value: &Dynamic, expected: &str) -> ScriptError {
    let line = sandbox.definition_line(name);
    ScriptError {
        kind: ScriptErrorKind::WrongResult,
        line,
        column: line.map(|_| 1),
        message: format!("`{name}` returned {}; expected {expected}.", shown(value)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::script::RequiredFn;

    #[test]
    fn readers_take_exactly_the_shape_asked_for() {
        let m = exact(map([("a", int(3)), ("b", Dynamic::TRUE)]), &["a", "b"]).unwrap();
        assert_eq!(get_u64(&m, "a"), Some(3));
        assert_eq!(get_bool(&m, "b"), Some(true));
        assert_eq!(get_bool(&m, "a"), None, "an integer is not a boolean");
        assert!(
            exact(map([("a", int(3))]), &["a", "b"]).is_none(),
            "a key missing"
        );
        assert!(
            exact(map([("a", int(3)), ("c", int(1))]), &["a"]).is_none(),
            "a key extra"
        );
        assert!(exact(int(3), &["a"]).is_none(), "not a map");
        let m = exact(
            map([("n", node(Some(2))), ("none", node(None))]),
            &["n", "none"],
        )
        .unwrap();
        assert_eq!(get_node(&m, "n", 3), Some(Some(2)));
        assert_eq!(get_node(&m, "n", 2), None, "no node 2 in a cluster of two");
        assert_eq!(get_node(&m, "none", 3), Some(None));
        assert_eq!(as_counts(ints([1, 0]), 2), Some(vec![1, 0]));
        assert_eq!(as_counts(ints([1, -1]), 2), None);
        assert_eq!(as_counts(ints([1]), 2), None);
    }

    #[test]
    fn a_wrong_result_names_the_function_the_value_and_what_was_expected() {
        let source = "// a comment\nfn f(x) {\n    x\n}";
        let sandbox = Sandbox::compile(
            source,
            &[RequiredFn {
                name: "f",
                params: &["x"],
            }],
        )
        .unwrap();
        let e = wrong_result(&sandbox, "f", &Dynamic::UNIT, "an integer");
        assert_eq!(e.kind, ScriptErrorKind::WrongResult);
        assert_eq!((e.line, e.column), (Some(2), Some(1)));
        assert_eq!(e.message, "`f` returned (); expected an integer.");
        let long = Dynamic::from("x".repeat(500));
        let e = wrong_result(&sandbox, "f", &long, "an integer");
        assert!(
            e.message.contains('…') && e.message.len() < 300,
            "{}",
            e.message
        );
    }
}
