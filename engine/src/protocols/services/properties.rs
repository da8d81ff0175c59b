//! What correct context propagation guarantees, judged against the run's true call tree.
//!
//! Every span note carries ghost facts no service reads: the span that truly caused it (for a
//! server span, the caller's client span of that attempt; for a client or producer span, the
//! server span it was made in), the producer a consumer truly follows, and the request it
//! serves. Each property is a history monitor over the span notes, failing at the step that
//! records the first bad span, with a sentence that names it.

use std::collections::{BTreeMap, BTreeSet};

use super::context::{check_span, parse_traceparent, SpanFields};
use super::spans::SpanKind;
use super::types::*;
use super::Services;
use crate::sim::protocol::NodeId;
use crate::sim::trace::{Event, TraceEvent};
use crate::sim::world::{Monitor, PropKind, Property, WorldRef};

/// The claims, in the order a run checks them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Claim {
    /// `headers-well-formed`.
    WellFormed,
    /// `one-trace-per-request`.
    OneTrace,
    /// `parent-is-caller`.
    ParentIsCaller,
    /// `unique-span-ids`.
    UniqueSpanIds,
    /// `queue-hop-is-link`.
    QueueLink,
    /// `sampling-inherited`.
    SamplingInherited,
}

impl Claim {
    /// Every claim, in checking order.
    pub const ALL: [Claim; 6] = [
        Claim::WellFormed,
        Claim::OneTrace,
        Claim::ParentIsCaller,
        Claim::UniqueSpanIds,
        Claim::QueueLink,
        Claim::SamplingInherited,
    ];
    /// The property's id.
    pub fn id(self) -> &'static str {
        match self {
            Claim::WellFormed => "headers-well-formed",
            Claim::OneTrace => "one-trace-per-request",
            Claim::ParentIsCaller => "parent-is-caller",
            Claim::UniqueSpanIds => "unique-span-ids",
            Claim::QueueLink => "queue-hop-is-link",
            Claim::SamplingInherited => "sampling-inherited",
        }
    }
}

/// What a monitor remembers of a span.
#[derive(Clone, Debug)]
struct Seen {
    fields: SpanFields,
    sent: Option<String>,
}

/// One claim's monitor.
#[derive(Clone, Debug)]
struct Watch {
    claim: Claim,
    spans: BTreeMap<u64, Seen>,
    /// Request → the trace id of its first span.
    trace_of: BTreeMap<u64, String>,
    /// Trace id → the request that started it.
    owner: BTreeMap<String, u64>,
    ids: BTreeSet<String>,
}

fn describe(s: &SpanStart, node: NodeId) -> String {
    format!(
        "the {} span '{}' at {} (request r{}{})",
        s.kind.name(),
        s.name,
        name(node),
        s.request,
        if s.attempt > 1 {
            format!(", attempt {}", s.attempt)
        } else {
            String::new()
        }
    )
}

impl Watch {
    fn judge(&self, s: &SpanStart, node: NodeId) -> Result<(), String> {
        let what = || describe(s, node);
        let cause = s.cause.and_then(|c| self.spans.get(&c));
        let producer = s.follows.and_then(|c| self.spans.get(&c));
        match self.claim {
            Claim::WellFormed => {
                check_span(&s.fields).map_err(|e| format!("{}: {e}", what()))?;
                if let Some(h) = &s.sent {
                    parse_traceparent(h)
                        .map_err(|e| format!("{} sent a bad header: {e}", what()))?;
                }
                Ok(())
            }
            Claim::OneTrace if s.kind != SpanKind::Consumer => {
                if let Some(t) = self.trace_of.get(&s.request) {
                    if *t != s.fields.trace_id {
                        return Err(format!(
                            "{} has trace id {}, but its request's trace is {}",
                            what(),
                            s.fields.trace_id,
                            t
                        ));
                    }
                } else if let Some(r) = self.owner.get(&s.fields.trace_id) {
                    return Err(format!(
                        "{} starts request r{}'s trace, but trace {} is request r{r}'s",
                        what(),
                        s.request,
                        s.fields.trace_id
                    ));
                }
                Ok(())
            }
            Claim::ParentIsCaller if s.kind != SpanKind::Consumer => match (s.cause, cause) {
                (None, _) if !s.fields.parent_id.is_empty() => Err(format!(
                    "{} is its request's first span, so it must be the trace's root, but it \
                     has parent {}",
                    what(),
                    s.fields.parent_id
                )),
                (Some(_), Some(c)) if c.fields.span_id != s.fields.parent_id => Err(format!(
                    "{} has parent {}, but its caller's span is {}",
                    what(),
                    if s.fields.parent_id.is_empty() {
                        "none (a second root)".to_string()
                    } else {
                        s.fields.parent_id.clone()
                    },
                    c.fields.span_id
                )),
                _ => Ok(()),
            },
            Claim::UniqueSpanIds if self.ids.contains(&s.fields.span_id) => Err(format!(
                "{} has span id {}, which an earlier span already has",
                what(),
                s.fields.span_id
            )),
            Claim::QueueLink if s.kind == SpanKind::Consumer => {
                let Some(p) = producer else { return Ok(()) };
                if !s.fields.parent_id.is_empty() {
                    return Err(format!(
                        "{} has parent {}: a consumer is not a child of the producer (nobody \
                         waits for it); it starts a trace of its own with a link",
                        what(),
                        s.fields.parent_id
                    ));
                }
                if s.fields.trace_id == p.fields.trace_id {
                    return Err(format!(
                        "{} is a second root in the producer's trace {}: it must start a new \
                         trace",
                        what(),
                        s.fields.trace_id
                    ));
                }
                let sent = p.sent.as_deref().unwrap_or("");
                if s.fields.link != sent {
                    return Err(format!(
                        "{} links to '{}', not to the producer's traceparent '{sent}'",
                        what(),
                        s.fields.link
                    ));
                }
                Ok(())
            }
            Claim::SamplingInherited => {
                let expected = match (s.kind, cause, producer) {
                    (SpanKind::Consumer, _, Some(p)) => Some(&p.fields.flags),
                    (_, Some(c), _) => Some(&c.fields.flags),
                    _ => s.decided_flags.as_ref(),
                };
                match expected {
                    Some(f) if *f != s.fields.flags => Err(format!(
                        "{} has flags {}, but the decision it inherits is {f}",
                        what(),
                        s.fields.flags
                    )),
                    _ => Ok(()),
                }
            }
            _ => Ok(()),
        }
    }

    fn learn(&mut self, s: &SpanStart) {
        if s.kind != SpanKind::Consumer && !self.trace_of.contains_key(&s.request) {
            self.trace_of.insert(s.request, s.fields.trace_id.clone());
            self.owner.insert(s.fields.trace_id.clone(), s.request);
        }
        self.ids.insert(s.fields.span_id.clone());
        self.spans.insert(
            s.op,
            Seen {
                fields: s.fields.clone(),
                sent: s.sent.clone(),
            },
        );
    }
}

impl Monitor<Services> for Watch {
    fn on_event(
        &mut self,
        ev: &TraceEvent<Services>,
        _: &WorldRef<'_, Services>,
    ) -> Result<(), String> {
        if let Event::Note {
            node,
            note: Note::Span(s),
        } = &ev.event
        {
            self.judge(s, *node)?;
            self.learn(s);
        }
        Ok(())
    }
    fn clone_box(&self) -> Box<dyn Monitor<Services>> {
        Box::new(self.clone())
    }
}

fn watch(claim: Claim) -> Box<dyn Monitor<Services>> {
    Box::new(Watch {
        claim,
        spans: BTreeMap::new(),
        trace_of: BTreeMap::new(),
        owner: BTreeMap::new(),
        ids: BTreeSet::new(),
    })
}

/// The six propagation properties, in checking order.
pub fn properties() -> Vec<Property<Services>> {
    vec![
        Property::monitor(Claim::WellFormed.id(), PropKind::Always, || {
            watch(Claim::WellFormed)
        }),
        Property::monitor(Claim::OneTrace.id(), PropKind::Always, || {
            watch(Claim::OneTrace)
        }),
        Property::monitor(Claim::ParentIsCaller.id(), PropKind::Always, || {
            watch(Claim::ParentIsCaller)
        }),
        Property::monitor(Claim::UniqueSpanIds.id(), PropKind::Always, || {
            watch(Claim::UniqueSpanIds)
        }),
        Property::monitor(Claim::QueueLink.id(), PropKind::Always, || {
            watch(Claim::QueueLink)
        }),
        Property::monitor(Claim::SamplingInherited.id(), PropKind::Always, || {
            watch(Claim::SamplingInherited)
        }),
    ]
}
