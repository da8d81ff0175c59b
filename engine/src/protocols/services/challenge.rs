//! The trace-context harness (chapter 6): the learner's script is the tracing middleware every
//! service runs — the span it starts for an incoming call, the client span of each attempt of
//! an outgoing call, the `traceparent` it sends, and the span a queue consumer starts —
//! installed as [`PropagationHooks`] in the checkout graph with an instrumented client.
//!
//! The script sees strings and maps: a span is `#{ trace_id, span_id, parent_id, flags }`
//! (ids as lowercase hex, `""` for no parent), a consumer span adds `link`; a header is a
//! string, or `()` when the call carried none; fresh ids come as
//! `#{ span_id, trace_id, flags }`, drawn from the run's generator (so a run replays), where
//! `flags` is the head-sampling decision for a trace that starts here. A result of the wrong
//! shape stops the check with a wrong-result error at the function's definition.
//!
//! Runs: seed `s` is a swarm run (crashes, pauses, partitions, loss, duplication, clock skew)
//! of 14 checkouts, whose client sends, in turn, no header, its own sampled and unsampled
//! headers, and four malformed ones; every [`SCRIPTED_EVERY`]-th seed is the scripted run
//! `trace-context-retries`, which pauses the primary database and then payments long enough
//! that calls to both time out and are retried — so a rule about retries is judged in every
//! window of four seeds, whatever the swarm draws.

use std::rc::Rc;
use std::sync::Arc;

use rhai::{Dynamic, Map};

use super::context::{Fresh, SpanFields};
use super::properties::Claim;
use super::rules::PropagationHooks;
use super::scenarios::NET;
use super::types::*;
use super::Services;
use crate::challenge::harness::{last_override_time, Script, SimChallenge};
use crate::script::convert::map;
use crate::script::RequiredFn;
use crate::sim::scenario::swarm_plan;
use crate::sim::spec::{Action, Override, RunSpec};
use crate::sim::trace::{Event, TraceEvent};
use crate::sim::world::Scenario;

/// The swarm run's id.
pub const SWARM: &str = "trace-context";
/// The scripted run's id.
pub const RETRIES: &str = "trace-context-retries";
/// Every this many seeds, one is the scripted run.
pub const SCRIPTED_EVERY: u64 = 4;
/// Checkouts the client sends in a challenge run (two of each header case).
pub const CHALLENGE_REQUESTS: u32 = 14;
/// Ticks of faults a swarm run has before it heals.
pub const CHALLENGE_SAFETY_TICKS: u64 = 700;
/// How long a run goes on after its last fault: every checkout answered or given up on, every
/// order shipped.
pub const CHALLENGE_TAIL_TICKS: u64 = 3_500;

const REQUIRED: [RequiredFn; 4] = [
    RequiredFn {
        name: "server_span",
        params: &["traceparent", "fresh"],
    },
    RequiredFn {
        name: "client_span",
        params: &["current", "attempt", "fresh"],
    },
    RequiredFn {
        name: "inject",
        params: &["span"],
    },
    RequiredFn {
        name: "consumer_span",
        params: &["traceparent", "fresh"],
    },
];

/// What a span function must return.
const SPAN: &str = "a span map #{ trace_id, span_id, parent_id, flags } of strings";
/// What `consumer_span` must return.
const CONSUMER: &str = "a span map #{ trace_id, span_id, parent_id, flags, link } of strings";

fn text(s: &str) -> Dynamic {
    Dynamic::from(s.to_string())
}

fn fresh_map(f: &Fresh) -> Dynamic {
    map([
        ("span_id", text(&f.span_hex())),
        ("trace_id", text(&f.trace_hex())),
        ("flags", text(&f.flags_hex())),
    ])
}

fn span_map(s: &SpanFields) -> Dynamic {
    map([
        ("trace_id", text(&s.trace_id)),
        ("span_id", text(&s.span_id)),
        ("parent_id", text(&s.parent_id)),
        ("flags", text(&s.flags)),
    ])
}

/// A span from a script's map: the four (or, with `link`, five) string fields; extra keys
/// are ignored.
fn as_span(value: &Dynamic, link: bool) -> Option<SpanFields> {
    let m: Map = value.clone().try_cast()?;
    let get = |k: &str| m.get(k)?.clone().into_string().ok();
    Some(SpanFields {
        trace_id: get("trace_id")?,
        span_id: get("span_id")?,
        parent_id: get("parent_id")?,
        flags: get("flags")?,
        link: if link { get("link")? } else { String::new() },
    })
}

/// The learner's script as the middleware. After a mistake the reference stands in, so the run
/// ends normally and the check reports the mistake.
pub struct ScriptHooks {
    script: Rc<Script>,
}

impl ScriptHooks {
    /// The graph holds its middleware in an `Arc`; a check runs on one thread, and the script
    /// engine is not `Send`.
    #[allow(clippy::arc_with_non_send_sync)]
    fn shared(script: Rc<Script>) -> Arc<dyn PropagationHooks> {
        Arc::new(ScriptHooks { script })
    }

    fn span(&self, name: &str, value: Option<Dynamic>, link: bool) -> Option<SpanFields> {
        let value = value?;
        let span = as_span(&value, link);
        if span.is_none() {
            self.script
                .wrong(name, &value, if link { CONSUMER } else { SPAN });
        }
        span
    }
}

impl PropagationHooks for ScriptHooks {
    fn name(&self) -> &str {
        "your middleware"
    }
    fn server_span(&self, traceparent: Option<&str>, fresh: &Fresh) -> SpanFields {
        const NAME: &str = "server_span";
        let header = traceparent.map_or(Dynamic::UNIT, text);
        let value = self.script.call(NAME, (header, fresh_map(fresh)));
        self.span(NAME, value, false)
            .unwrap_or_else(|| super::rules::Reference.server_span(traceparent, fresh))
    }
    fn client_span(&self, current: &SpanFields, attempt: u32, fresh: &Fresh) -> SpanFields {
        const NAME: &str = "client_span";
        let args = (
            span_map(current),
            Dynamic::from_int(i64::from(attempt)),
            fresh_map(fresh),
        );
        let value = self.script.call(NAME, args);
        self.span(NAME, value, false)
            .unwrap_or_else(|| super::rules::Reference.client_span(current, attempt, fresh))
    }
    fn inject(&self, span: &SpanFields) -> String {
        const NAME: &str = "inject";
        let Some(value) = self.script.call(NAME, (span_map(span),)) else {
            return super::rules::Reference.inject(span);
        };
        value.clone().into_string().unwrap_or_else(|_| {
            self.script.wrong(
                NAME,
                &value,
                "a string such as \"00-<trace_id>-<span_id>-01\"",
            );
            super::rules::Reference.inject(span)
        })
    }
    fn consumer_span(&self, traceparent: &str, fresh: &Fresh) -> SpanFields {
        const NAME: &str = "consumer_span";
        let value = self
            .script
            .call(NAME, (text(traceparent), fresh_map(fresh)));
        self.span(NAME, value, true)
            .unwrap_or_else(|| super::rules::Reference.consumer_span(traceparent, fresh))
    }
}

/// The challenge's graph with `hooks`: the instrumented client, 14 checkouts.
pub fn challenge_scenario(
    id: &str,
    hooks: Arc<dyn PropagationHooks>,
) -> Option<Scenario<Services>> {
    let (id, title, description) = match id {
        SWARM => (
            SWARM,
            "Trace context under faults",
            "The checkout graph with your middleware in every service, under crashes, \
             pauses, partitions, loss and clock skew.",
        ),
        RETRIES => (
            RETRIES,
            "Trace context across retries",
            "The primary database and then payments pause long enough that calls to both \
             time out and are retried.",
        ),
        _ => return None,
    };
    Some(Scenario {
        id,
        title,
        description,
        nodes: NODES,
        protocol: Services::new(hooks, CHALLENGE_REQUESTS, true),
        net: NET,
        calm: NET,
        script: retries_script(id),
        properties: super::properties::properties(),
        workload: vec![(CLIENT, "checkout")],
        faulty_nodes: (GATEWAY..NODES).collect(),
        safety_ticks: CHALLENGE_SAFETY_TICKS,
    })
}

/// The scripted run's faults: db-1 paused 400 ticks (its queries time out after 300 and are
/// retried) and payments, from a little later, 1,400 (longer than orders' 1,200-tick wait).
fn retries_script(id: &str) -> Vec<Override> {
    if id != RETRIES {
        return Vec::new();
    }
    vec![
        Override::at(100, Action::Pause(DB_PRIMARY)),
        Override::at(500, Action::Resume(DB_PRIMARY)),
        Override::at(300, Action::Pause(PAYMENTS)),
        Override::at(1_700, Action::Resume(PAYMENTS)),
    ]
}

/// The run of `seed`: every [`SCRIPTED_EVERY`]-th the scripted run, the others swarm runs.
pub fn run_of(seed: u64) -> RunSpec {
    if seed % SCRIPTED_EVERY == SCRIPTED_EVERY - 1 {
        return RunSpec {
            scenario: RETRIES.to_string(),
            seed,
            overrides: retries_script(RETRIES),
        };
    }
    let s = challenge_scenario(SWARM, Arc::new(super::rules::Reference))
        .expect("the swarm run is one of the challenge's");
    swarm_plan(&s, seed)
}

/// The trace-context challenge.
pub struct TraceContext;

impl SimChallenge for TraceContext {
    type P = Services;
    type Installed = Arc<dyn PropagationHooks>;

    fn required(&self) -> &'static [RequiredFn] {
        &REQUIRED
    }
    fn install(&self, script: Rc<Script>) -> Arc<dyn PropagationHooks> {
        ScriptHooks::shared(script)
    }
    fn scenario(&self, hooks: &Arc<dyn PropagationHooks>, id: &str) -> Option<Scenario<Services>> {
        challenge_scenario(id, hooks.clone())
    }
    fn run_of(&self, seed: u64) -> RunSpec {
        run_of(seed)
    }
    fn horizon(&self, _: &Scenario<Services>, spec: &RunSpec) -> u64 {
        last_override_time(spec).max(CHALLENGE_SAFETY_TICKS) + CHALLENGE_TAIL_TICKS
    }
    fn properties(&self) -> Vec<&'static str> {
        Claim::ALL.iter().map(|c| c.id()).collect()
    }
    fn matters(&self, event: &TraceEvent<Services>) -> bool {
        match &event.event {
            Event::Note { note, .. } => matches!(note, Note::Span(_)),
            Event::Action(_) | Event::Request { .. } | Event::Reply { .. } => true,
            _ => false,
        }
    }
}

#[cfg(test)]
#[path = "challenge_tests.rs"]
mod challenge_tests;
