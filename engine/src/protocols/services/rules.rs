//! The tracing middleware's decisions behind [`PropagationHooks`]: what span a service starts
//! for an incoming call, what span it starts for each attempt of an outgoing call, what
//! `traceparent` it sends, and what span a queue consumer starts. The reference follows W3C
//! Trace Context and OpenTelemetry's conventions; the known-wrong variants each break one rule.

use std::sync::Arc;

use super::context::{parse_traceparent, Fresh, SpanFields};

/// The middleware every service runs. Ids are hex text (the learner's script fills them);
/// fresh ids come drawn from the run's generator ([`Fresh`]).
pub trait PropagationHooks {
    /// Its name in the inspector.
    fn name(&self) -> &str;
    /// A call arrives with this `traceparent` (`None`: no header): the server span to start.
    fn server_span(&self, traceparent: Option<&str>, fresh: &Fresh) -> SpanFields;
    /// The caller, in `current`, makes attempt `attempt` (1 = first) of a call: the client span
    /// for that attempt.
    fn client_span(&self, current: &SpanFields, attempt: u32, fresh: &Fresh) -> SpanFields;
    /// The `traceparent` to send on a call (or a queue message) made in `span`.
    fn inject(&self, span: &SpanFields) -> String;
    /// A queue consumer takes a message that carried `traceparent`: the consumer span.
    fn consumer_span(&self, traceparent: &str, fresh: &Fresh) -> SpanFields;
}

/// A new trace: the root span, sampled as `fresh` decides.
fn root(fresh: &Fresh) -> SpanFields {
    SpanFields {
        trace_id: fresh.trace_hex(),
        span_id: fresh.span_hex(),
        parent_id: String::new(),
        flags: fresh.flags_hex(),
        link: String::new(),
    }
}

/// A child of `parent` (same trace, same flags, a new span id).
fn child(parent: &SpanFields, fresh: &Fresh) -> SpanFields {
    SpanFields {
        trace_id: parent.trace_id.clone(),
        span_id: fresh.span_hex(),
        parent_id: parent.span_id.clone(),
        flags: parent.flags.clone(),
        link: String::new(),
    }
}

/// The reference middleware.
#[derive(Clone, Copy, Debug, Default)]
pub struct Reference;

impl PropagationHooks for Reference {
    fn name(&self) -> &str {
        "reference"
    }
    fn server_span(&self, traceparent: Option<&str>, fresh: &Fresh) -> SpanFields {
        // A header that does not parse is ignored: the request starts a new trace (§3.2.2).
        match traceparent.map(parse_traceparent) {
            Some(Ok(tp)) => SpanFields {
                trace_id: format!("{:032x}", tp.trace_id),
                span_id: fresh.span_hex(),
                parent_id: format!("{:016x}", tp.parent_id),
                flags: format!("{:02x}", tp.flags),
                link: String::new(),
            },
            _ => root(fresh),
        }
    }
    fn client_span(&self, current: &SpanFields, _attempt: u32, fresh: &Fresh) -> SpanFields {
        child(current, fresh)
    }
    fn inject(&self, span: &SpanFields) -> String {
        format!("00-{}-{}-{}", span.trace_id, span.span_id, span.flags)
    }
    fn consumer_span(&self, traceparent: &str, fresh: &Fresh) -> SpanFields {
        // Nobody waits for the consumer: it starts its own trace and links to the producer,
        // keeping the producer's sampling decision.
        let mut span = root(fresh);
        if let Ok(tp) = parse_traceparent(traceparent) {
            span.flags = format!("{:02x}", tp.flags);
            span.link = traceparent.to_string();
        }
        span
    }
}

/// Which middleware a scenario runs: the reference or one known-wrong variant.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PropagationVariant {
    /// W3C Trace Context, done right.
    Reference,
    /// Every service starts a new trace for every call (the header is never read).
    NewTracePerService,
    /// A server span reuses the caller's span id instead of drawing its own.
    ReusesParentSpanId,
    /// A retry sends no context: the retried attempt starts a trace of its own.
    LosesContextOnRetry,
    /// The consumer's span is a child of the producer's, as if the caller waited for it.
    ConsumerAsChild,
    /// Every span is sampled: the caller's decision is not inherited.
    FlagsNotInherited,
    /// Ids in uppercase hex.
    UppercaseHex,
}

impl PropagationVariant {
    /// Every variant, the reference first.
    pub const ALL: [PropagationVariant; 7] = [
        PropagationVariant::Reference,
        PropagationVariant::NewTracePerService,
        PropagationVariant::ReusesParentSpanId,
        PropagationVariant::LosesContextOnRetry,
        PropagationVariant::ConsumerAsChild,
        PropagationVariant::FlagsNotInherited,
        PropagationVariant::UppercaseHex,
    ];
    /// The middleware.
    pub fn hooks(self) -> Arc<dyn PropagationHooks> {
        Arc::new(Variant(self))
    }
}

/// A known-wrong middleware: the reference with one rule broken.
#[derive(Clone, Copy, Debug)]
struct Variant(PropagationVariant);

impl PropagationHooks for Variant {
    fn name(&self) -> &str {
        match self.0 {
            PropagationVariant::Reference => "reference",
            PropagationVariant::NewTracePerService => "new trace per service",
            PropagationVariant::ReusesParentSpanId => "reuses the parent's span id",
            PropagationVariant::LosesContextOnRetry => "context lost on retries",
            PropagationVariant::ConsumerAsChild => "queue consumer as child",
            PropagationVariant::FlagsNotInherited => "flags not inherited",
            PropagationVariant::UppercaseHex => "uppercase hex",
        }
    }
    fn server_span(&self, traceparent: Option<&str>, fresh: &Fresh) -> SpanFields {
        match self.0 {
            PropagationVariant::NewTracePerService => root(fresh),
            PropagationVariant::ReusesParentSpanId => {
                let mut span = Reference.server_span(traceparent, fresh);
                if !span.parent_id.is_empty() {
                    span.span_id = span.parent_id.clone();
                }
                span
            }
            PropagationVariant::FlagsNotInherited => {
                let mut span = Reference.server_span(traceparent, fresh);
                span.flags = "01".into();
                span
            }
            PropagationVariant::UppercaseHex => {
                let mut span = Reference.server_span(traceparent, fresh);
                span.span_id = span.span_id.to_uppercase();
                span.trace_id = span.trace_id.to_uppercase();
                span
            }
            _ => Reference.server_span(traceparent, fresh),
        }
    }
    fn client_span(&self, current: &SpanFields, attempt: u32, fresh: &Fresh) -> SpanFields {
        match self.0 {
            PropagationVariant::LosesContextOnRetry if attempt > 1 => root(fresh),
            PropagationVariant::FlagsNotInherited => {
                let mut span = child(current, fresh);
                span.flags = "01".into();
                span
            }
            _ => child(current, fresh),
        }
    }
    fn inject(&self, span: &SpanFields) -> String {
        Reference.inject(span)
    }
    fn consumer_span(&self, traceparent: &str, fresh: &Fresh) -> SpanFields {
        match self.0 {
            PropagationVariant::ConsumerAsChild => Reference.server_span(Some(traceparent), fresh),
            PropagationVariant::NewTracePerService => root(fresh),
            PropagationVariant::FlagsNotInherited => {
                let mut span = Reference.consumer_span(traceparent, fresh);
                span.flags = "01".into();
                span
            }
            _ => Reference.consumer_span(traceparent, fresh),
        }
    }
}
