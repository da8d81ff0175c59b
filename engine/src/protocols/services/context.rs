//! W3C Trace Context (Recommendation, 2021, §3.2): the `traceparent` header a service reads
//! from an incoming call and writes on every outgoing one.
//!
//! `traceparent: 00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01` is four fields
//! joined by `-`: the version (`00`), the 16-byte trace id as 32 lowercase hex digits, the
//! 8-byte parent id (the caller's span) as 16, and the trace flags as 2 (bit 0 = sampled).
//! An id of all zeros is invalid, and so is uppercase hex (§3.2.2.3: "lowercase hex"). A
//! receiver that cannot parse the header must start a new trace (§3.2.2: "If the vendor
//! failed to parse traceparent, it MUST NOT attempt to parse tracestate … and it SHOULD
//! create a new traceparent").
//!
//! The span fields here are strings because the middleware that fills them may be a
//! learner's script: the checks ([`check_span`], [`parse_traceparent`]) say what is wrong with
//! one, and nothing here panics on a malformed value.

use std::fmt;

use crate::hash::{Canon, Fnv64};

/// Hex digits of a trace id.
pub const TRACE_ID_HEX: usize = 32;
/// Hex digits of a span id.
pub const SPAN_ID_HEX: usize = 16;
/// Length of a version-00 `traceparent` value.
pub const TRACEPARENT_CHARS: usize = 55;
/// Longest header or id text a span record keeps (longer ones are cut, and judged as written).
pub const FIELD_CHARS_MAX: usize = 80;

/// A span as the middleware made it: ids as hex text, the empty string for "none".
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SpanFields {
    /// The trace it belongs to, 32 lowercase hex digits.
    pub trace_id: String,
    /// Its own id, 16 lowercase hex digits.
    pub span_id: String,
    /// Its parent's span id, or empty for a root.
    pub parent_id: String,
    /// Trace flags, 2 hex digits (`01` sampled, `00` not).
    pub flags: String,
    /// For a span that follows another across a queue: that span's `traceparent`; else empty.
    pub link: String,
}

impl SpanFields {
    /// Whether the sampled bit of its flags is set (false for flags that do not parse).
    pub fn sampled(&self) -> bool {
        u8::from_str_radix(&self.flags, 16).is_ok_and(|f| f & 1 == 1)
    }
    /// The same fields with every text cut to [`FIELD_CHARS_MAX`].
    pub fn bounded(mut self) -> SpanFields {
        for f in [
            &mut self.trace_id,
            &mut self.span_id,
            &mut self.parent_id,
            &mut self.flags,
            &mut self.link,
        ] {
            cut(f);
        }
        self
    }
}

/// Cut `text` to [`FIELD_CHARS_MAX`] characters.
pub fn cut(text: &mut String) {
    if let Some((i, _)) = text.char_indices().nth(FIELD_CHARS_MAX) {
        text.truncate(i);
    }
}

impl Canon for SpanFields {
    fn canon(&self, h: &mut Fnv64) {
        h.str(&self.trace_id);
        h.str(&self.span_id);
        h.str(&self.parent_id);
        h.str(&self.flags);
        h.str(&self.link);
    }
}

/// A parsed, valid `traceparent`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TraceParent {
    /// Trace id.
    pub trace_id: u128,
    /// The caller's span id.
    pub parent_id: u64,
    /// Trace flags.
    pub flags: u8,
}

impl TraceParent {
    /// Whether the sampled flag is set.
    pub fn sampled(&self) -> bool {
        self.flags & 1 == 1
    }
}

impl fmt::Display for TraceParent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "00-{:032x}-{:016x}-{:02x}",
            self.trace_id, self.parent_id, self.flags
        )
    }
}

/// Fresh ids for one span, drawn from the run's random generator before the middleware runs,
/// so a run stays a pure function of its seed: a span id, a trace id (used only if the span
/// starts a trace) and the head-sampling decision for a new trace.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Fresh {
    /// A new span id (never zero).
    pub span_id: u64,
    /// A new trace id (never zero).
    pub trace_id: u128,
    /// Whether a trace started here is sampled.
    pub sampled: bool,
}

impl Fresh {
    /// The span id as 16 lowercase hex digits.
    pub fn span_hex(&self) -> String {
        format!("{:016x}", self.span_id)
    }
    /// The trace id as 32 lowercase hex digits.
    pub fn trace_hex(&self) -> String {
        format!("{:032x}", self.trace_id)
    }
    /// The sampling decision as trace flags.
    pub fn flags_hex(&self) -> String {
        if self.sampled { "01" } else { "00" }.to_string()
    }
}

/// Whether `text` is `digits` lowercase hex digits, not all zero; `Err` says why not, naming
/// the field as `what`.
pub fn check_id(text: &str, digits: usize, what: &str) -> Result<(), String> {
    if text.len() != digits {
        return Err(format!(
            "{what} '{text}' has {} characters, not {digits} hex digits",
            text.chars().count()
        ));
    }
    if let Some(c) = text.chars().find(|c| !matches!(c, '0'..='9' | 'a'..='f')) {
        return Err(format!(
            "{what} '{text}' has '{c}', not a lowercase hex digit"
        ));
    }
    if text.bytes().all(|b| b == b'0') {
        return Err(format!(
            "{what} is all zeros, which W3C Trace Context forbids"
        ));
    }
    Ok(())
}

/// Whether `text` is two hex digits of trace flags.
pub fn check_flags(text: &str) -> Result<u8, String> {
    if text.len() != 2 || !text.chars().all(|c| matches!(c, '0'..='9' | 'a'..='f')) {
        return Err(format!("flags '{text}' are not 2 lowercase hex digits"));
    }
    u8::from_str_radix(text, 16).map_err(|e| e.to_string())
}

/// Parse a version-00 `traceparent` strictly (§3.2.2): `Err` says what is wrong with it.
pub fn parse_traceparent(text: &str) -> Result<TraceParent, String> {
    let parts: Vec<&str> = text.split('-').collect();
    let [version, trace, parent, flags] = parts.as_slice() else {
        return Err(format!(
            "traceparent '{text}' has {} fields, not 4 (version-traceid-parentid-flags)",
            parts.len()
        ));
    };
    if *version != "00" {
        return Err(format!(
            "traceparent '{text}' has version '{version}', not 00"
        ));
    }
    check_id(trace, TRACE_ID_HEX, "trace id")?;
    check_id(parent, SPAN_ID_HEX, "parent id")?;
    let flags = check_flags(flags)?;
    Ok(TraceParent {
        trace_id: u128::from_str_radix(trace, 16).map_err(|e| e.to_string())?,
        parent_id: u64::from_str_radix(parent, 16).map_err(|e| e.to_string())?,
        flags,
    })
}

/// Whether a span's own fields are well formed: trace id, span id, parent id (empty or an
/// id), flags. `Err` names the first field that is not.
pub fn check_span(span: &SpanFields) -> Result<(), String> {
    check_id(&span.trace_id, TRACE_ID_HEX, "trace id")?;
    check_id(&span.span_id, SPAN_ID_HEX, "span id")?;
    if !span.parent_id.is_empty() {
        check_id(&span.parent_id, SPAN_ID_HEX, "parent id")?;
    }
    check_flags(&span.flags)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_recommendations_example_parses_and_prints_back() {
        // W3C Trace Context §3.2.4, "Examples of HTTP traceparent Headers".
        let text = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
        let tp = parse_traceparent(text).unwrap();
        assert_eq!(tp.trace_id, 0x4bf92f3577b34da6a3ce929d0e0e4736);
        assert_eq!(tp.parent_id, 0x00f067aa0ba902b7);
        assert!(tp.sampled());
        assert_eq!(tp.to_string(), text);
    }

    #[test]
    fn malformed_headers_are_rejected_with_the_reason() {
        let bad = [
            (
                "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",
                "lowercase",
            ),
            (
                "00-4bf92f3577b34da6a3ce929d0e0e473-00f067aa0ba902b7-01",
                "31 characters",
            ),
            (
                "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
                "all zeros",
            ),
            (
                "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",
                "all zeros",
            ),
            (
                "01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
                "version",
            ),
            (
                "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-1",
                "flags",
            ),
            (
                "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7",
                "3 fields",
            ),
            ("", "1 fields"),
        ];
        for (text, why) in bad {
            let err = parse_traceparent(text).unwrap_err();
            assert!(err.contains(why), "{text}: {err}");
        }
    }

    #[test]
    fn a_root_span_has_no_parent_and_a_child_needs_a_valid_one() {
        let mut span = SpanFields {
            trace_id: "4bf92f3577b34da6a3ce929d0e0e4736".into(),
            span_id: "00f067aa0ba902b7".into(),
            parent_id: String::new(),
            flags: "01".into(),
            link: String::new(),
        };
        assert_eq!(check_span(&span), Ok(()));
        span.parent_id = "00f067aa0ba902".into();
        assert!(check_span(&span).unwrap_err().contains("parent id"));
        span.parent_id = "b7ad6b7169203331".into();
        span.flags = "1".into();
        assert!(check_span(&span).unwrap_err().contains("flags"));
    }
}
