//! Spans as a tracing backend receives them, and what it computes from them: traces grouped by
//! trace id, each trace's critical path, and which traces head and tail sampling keep.
//!
//! **Critical path** (as Jaeger computes it, "Critical path in distributed traces", 2022): the
//! chain of work that determined when a request finished. Walk back from the root's end: the
//! child that finished last before that moment was what the parent waited for; its own
//! critical path is on the request's; then continue from that child's start with the child
//! that finished last before it, and so on. A child that outlives its parent (an attempt the
//! caller gave up on) counts only up to where the parent stopped waiting. A span that merely
//! *follows from* another across a queue (a link, not a parent) is never on the path: nobody
//! waited for it.
//!
//! **Sampling.** Head sampling decides when a trace starts (the sampled flag of `traceparent`,
//! inherited by every span), so it keeps a fixed share of traces, blind to how they turn out.
//! Tail sampling buffers every span and decides when the trace is complete: it keeps what head
//! sampling keeps, and also every trace with an error, a retry, or a root slower than
//! [`TAIL_SLOW_TICKS`] — so the slow request a learner is hunting survives.

use std::collections::BTreeMap;

use super::context::SpanFields;
use crate::sim::protocol::NodeId;

/// A tail sampler keeps every trace whose root took at least this long.
pub const TAIL_SLOW_TICKS: u64 = 400;

/// What side of a call a span records.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum SpanKind {
    /// The callee's handling of a request.
    Server,
    /// The caller's wait for one attempt of a call.
    Client,
    /// Handing a message to the queue.
    Producer,
    /// Handling a message from the queue (follows from its producer).
    Consumer,
}

impl SpanKind {
    /// Its name, as OpenTelemetry spells span kinds.
    pub fn name(self) -> &'static str {
        match self {
            SpanKind::Server => "server",
            SpanKind::Client => "client",
            SpanKind::Producer => "producer",
            SpanKind::Consumer => "consumer",
        }
    }
}

/// One span as exported: the middleware's fields, plus what the node measured (true time, so
/// a waterfall lines up across skewed clocks; a real backend would use each host's clock).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Span {
    /// Ids as the middleware made them.
    pub fields: SpanFields,
    /// Which side of a call.
    pub kind: SpanKind,
    /// The node that recorded it.
    pub service: NodeId,
    /// Operation name, e.g. `GET /checkout` or `db.query`.
    pub name: String,
    /// True time it started.
    pub start: u64,
    /// True time it ended (`None` while open).
    pub end: Option<u64>,
    /// The step that started it (seeking there shows the moment).
    pub step: u64,
    /// It ended in an error (or a timeout).
    pub error: bool,
    /// Attempt number of a call (1 = first try).
    pub attempt: u32,
}

impl Span {
    /// Its end, or `now` while open.
    pub fn end_or(&self, now: u64) -> u64 {
        self.end.unwrap_or(now).max(self.start)
    }
}

/// One span of a tree handed to [`critical_path`]: an index of its parent in the same slice
/// (`None` for the root or for a span that only follows from another), and its times.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TreeSpan {
    /// Index of its parent, if it is a child.
    pub parent: Option<usize>,
    /// Start.
    pub start: u64,
    /// End.
    pub end: u64,
}

/// The spans on the critical path of the tree rooted at `root`, in order of start (ties by
/// index). Pure; a span that is not a descendant of `root` is never on it.
pub fn critical_path(spans: &[TreeSpan], root: usize) -> Vec<usize> {
    let mut children: Vec<Vec<usize>> = vec![Vec::new(); spans.len()];
    for (i, s) in spans.iter().enumerate() {
        if let Some(p) = s.parent.filter(|&p| p < spans.len() && p != i) {
            children[p].push(i);
        }
    }
    let mut path = Vec::new();
    let mut on_path = vec![false; spans.len()];
    let mut stack = vec![(root, spans[root].end)];
    while let Some((s, limit)) = stack.pop() {
        if on_path[s] {
            continue;
        }
        on_path[s] = true;
        path.push(s);
        let end = spans[s].end.min(limit);
        let mut cursor = end;
        let mut chosen = Vec::new();
        loop {
            // The child that finished last before the cursor, counted up to the cursor.
            let next = children[s]
                .iter()
                .copied()
                .filter(|&c| spans[c].start < cursor)
                .max_by_key(|&c| (spans[c].end.min(cursor), spans[c].start, usize::MAX - c));
            let Some(c) = next else { break };
            let clipped = spans[c].end.min(cursor);
            chosen.push((c, clipped));
            cursor = spans[c].start;
            if cursor <= spans[s].start {
                break;
            }
        }
        stack.extend(chosen);
    }
    path.sort_by_key(|&i| (spans[i].start, i));
    path
}

/// One trace as the backend assembles it: the spans sharing a trace id, its root, the spans
/// on its critical path, and the traces that follow from it across the queue.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Trace {
    /// The trace id as the spans carry it.
    pub trace_id: String,
    /// Indices into the span list, by start time.
    pub spans: Vec<usize>,
    /// The roots among them (spans with no parent among the trace's spans): one when
    /// propagation is right.
    pub roots: Vec<usize>,
    /// The spans on the critical path from the first root.
    pub critical: Vec<usize>,
    /// Spans of other traces that link to a span of this one (a consumer).
    pub linked: Vec<usize>,
    /// Whether head sampling keeps it (its first root is sampled).
    pub head_kept: bool,
    /// Whether tail sampling keeps it.
    pub tail_kept: bool,
    /// True start and end of the whole trace.
    pub start: u64,
    /// End (now, for a trace still open).
    pub end: u64,
    /// Any span in error.
    pub error: bool,
    /// Any retried call.
    pub retried: bool,
}

/// Group `spans` into traces by trace id, in order of first start; compute each one's roots,
/// critical path, links and sampling verdicts. `now` ends spans still open.
pub fn assemble(spans: &[Span], now: u64) -> Vec<Trace> {
    let mut by_trace: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (i, s) in spans.iter().enumerate() {
        by_trace
            .entry(s.fields.trace_id.as_str())
            .or_default()
            .push(i);
    }
    let mut traces: Vec<Trace> = by_trace
        .into_iter()
        .map(|(id, members)| one_trace(spans, id, members, now))
        .collect();
    traces.sort_by_key(|t| (t.start, t.trace_id.clone()));
    // Links: a consumer's link is its producer's traceparent, naming trace and span.
    let mut by_span: BTreeMap<(&str, &str), usize> = BTreeMap::new();
    for (i, s) in spans.iter().enumerate() {
        by_span.insert((s.fields.trace_id.as_str(), s.fields.span_id.as_str()), i);
    }
    let position: BTreeMap<String, usize> = traces
        .iter()
        .enumerate()
        .map(|(k, t)| (t.trace_id.clone(), k))
        .collect();
    for (i, s) in spans.iter().enumerate() {
        let Ok(tp) = super::context::parse_traceparent(&s.fields.link) else {
            continue;
        };
        let (trace, parent) = (
            format!("{:032x}", tp.trace_id),
            format!("{:016x}", tp.parent_id),
        );
        if by_span.contains_key(&(trace.as_str(), parent.as_str())) {
            if let Some(&k) = position.get(&trace) {
                traces[k].linked.push(i);
            }
        }
    }
    traces
}

fn one_trace(spans: &[Span], id: &str, mut members: Vec<usize>, now: u64) -> Trace {
    members.sort_by_key(|&i| (spans[i].start, i));
    let local: BTreeMap<&str, usize> = members
        .iter()
        .enumerate()
        .map(|(k, &i)| (spans[i].fields.span_id.as_str(), k))
        .collect();
    let tree: Vec<TreeSpan> = members
        .iter()
        .map(|&i| {
            let s = &spans[i];
            TreeSpan {
                parent: local.get(s.fields.parent_id.as_str()).copied(),
                start: s.start,
                end: s.end_or(now),
            }
        })
        .collect();
    let roots: Vec<usize> = (0..members.len())
        .filter(|&k| tree[k].parent.is_none_or(|p| p == k))
        .collect();
    let critical = roots
        .first()
        .map(|&r| {
            critical_path(&tree, r)
                .into_iter()
                .map(|k| members[k])
                .collect()
        })
        .unwrap_or_default();
    let start = tree.iter().map(|t| t.start).min().unwrap_or(0);
    let end = tree.iter().map(|t| t.end).max().unwrap_or(start);
    let error = members.iter().any(|&i| spans[i].error);
    let retried = members.iter().any(|&i| spans[i].attempt > 1);
    let head_kept = roots
        .first()
        .is_some_and(|&r| spans[members[r]].fields.sampled());
    let root_ticks = roots
        .first()
        .map_or(0, |&r| tree[r].end.saturating_sub(tree[r].start));
    let tail_kept = head_kept || error || retried || root_ticks >= TAIL_SLOW_TICKS;
    Trace {
        trace_id: id.to_string(),
        roots: roots.iter().map(|&k| members[k]).collect(),
        spans: members,
        critical,
        linked: Vec::new(),
        head_kept,
        tail_kept,
        start,
        end,
        error,
        retried,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tree(spec: &[(Option<usize>, u64, u64)]) -> Vec<TreeSpan> {
        spec.iter()
            .map(|&(parent, start, end)| TreeSpan { parent, start, end })
            .collect()
    }

    #[test]
    fn sequential_children_are_all_on_the_path() {
        // root calls a, then b, one after the other.
        let t = tree(&[(None, 0, 100), (Some(0), 10, 40), (Some(0), 50, 90)]);
        assert_eq!(critical_path(&t, 0), vec![0, 1, 2]);
    }

    #[test]
    fn a_parallel_fan_out_puts_only_the_slowest_branch_on_the_path() {
        // root calls a and b at once; b is slower, and b itself waits on its child c.
        let t = tree(&[
            (None, 0, 100),
            (Some(0), 10, 60),
            (Some(0), 10, 90),
            (Some(2), 20, 85),
        ]);
        assert_eq!(critical_path(&t, 0), vec![0, 2, 3]);
    }

    #[test]
    fn a_retry_puts_both_attempts_on_the_path_and_clips_the_abandoned_work() {
        // root's call times out at 110 (attempt 1, whose server span runs on to 150), the
        // retry answers at 170, root ends at 200. Waiting for attempt 1 until its timeout was
        // on the path, and so was the server's work, up to the moment the caller gave up.
        let t = tree(&[
            (None, 0, 200),
            (Some(0), 10, 110),
            (Some(1), 12, 150),
            (Some(0), 110, 170),
            (Some(3), 115, 165),
        ]);
        assert_eq!(critical_path(&t, 0), vec![0, 1, 2, 3, 4]);
    }

    #[test]
    fn work_that_follows_from_the_request_across_a_queue_is_not_on_the_path() {
        // root publishes at 60–65 (producer, its child) and answers at 100; the consumer
        // runs 70–300 and follows from the producer: not a child, so never on the path,
        // although it ends last.
        let t = tree(&[
            (None, 0, 100),
            (Some(0), 60, 65),
            (None, 70, 300),
            (Some(0), 10, 50),
        ]);
        let path = critical_path(&t, 0);
        assert_eq!(path, vec![0, 3, 1]);
        assert!(!path.contains(&2));
    }

    #[test]
    fn an_idle_gap_ends_at_the_last_child_that_finished_before_it() {
        // root waits on nothing between 40 and 100: only a's chain is on the path, b started
        // after a ended but before root ended, so b is the latest finisher.
        let t = tree(&[
            (None, 0, 100),
            (Some(0), 0, 40),
            (Some(0), 45, 60),
            (Some(0), 5, 30),
        ]);
        // b (45–60) finished last; before its start, a (0–40) did; c overlaps a and ends
        // before a's end, so it is not what root waited for.
        assert_eq!(critical_path(&t, 0), vec![0, 1, 2]);
    }
}
