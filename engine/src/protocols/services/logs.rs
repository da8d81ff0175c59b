//! Structured log lines from every node, merged two ways: by each node's wall clock, as a log
//! aggregator that sorts on timestamps does, and causally, by vector clocks.
//!
//! Every line carries the node's own clock reading (skewed: a node's clock may run ahead of
//! or behind the others), the correlation ids of the span it was written in, and the node's
//! vector clock (Fidge 1988, Mattern 1989): a node ticks its own entry at every line and every
//! send, and on a receive takes the entrywise maximum with the sender's clock first. Line `a`
//! happened before line `b` exactly when `vc(a) ≤ vc(b)` entrywise and they differ.
//!
//! Ordering by wall clock can put an effect before its cause: when the receiver's clock is
//! behind the sender's by more than the message's latency, "received" is stamped earlier than
//! "sent". [`inversions`] finds such pairs. Ordering by the sum of the vector clock's entries
//! never does: if `a` happened before `b`, every entry of `vc(b)` is at least `a`'s and one is
//! larger, so the sum is strictly larger — a topological order of happened-before.

use std::cmp::Ordering;
use std::fmt;

use crate::hash::{Canon, Fnv64};
use crate::sim::protocol::NodeId;

/// A vector clock: one counter per node.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Vc(pub Vec<u32>);

impl Vc {
    /// All zeros for `nodes` nodes.
    pub fn new(nodes: u16) -> Vc {
        Vc(vec![0; usize::from(nodes)])
    }
    /// Tick `node`'s entry.
    pub fn tick(&mut self, node: NodeId) {
        if let Some(c) = self.0.get_mut(usize::from(node)) {
            *c += 1;
        }
    }
    /// Entrywise maximum with `other`.
    pub fn merge(&mut self, other: &Vc) {
        for (a, b) in self.0.iter_mut().zip(&other.0) {
            *a = (*a).max(*b);
        }
    }
    /// The sum of the entries.
    pub fn sum(&self) -> u64 {
        self.0.iter().map(|&c| u64::from(c)).sum()
    }
    /// Whether `self` happened before `other`.
    pub fn before(&self, other: &Vc) -> bool {
        self.partial_cmp_vc(other) == Some(Ordering::Less)
    }
    /// The happened-before order: `Less`, `Greater`, `Equal`, or `None` for concurrent.
    pub fn partial_cmp_vc(&self, other: &Vc) -> Option<Ordering> {
        let (mut less, mut more) = (false, false);
        for (a, b) in self.0.iter().zip(&other.0) {
            less |= a < b;
            more |= a > b;
        }
        match (less, more) {
            (false, false) => Some(Ordering::Equal),
            (true, false) => Some(Ordering::Less),
            (false, true) => Some(Ordering::Greater),
            (true, true) => None,
        }
    }
}

impl fmt::Display for Vc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[")?;
        for (i, c) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            write!(f, "{c}")?;
        }
        f.write_str("]")
    }
}

impl Canon for Vc {
    fn canon(&self, h: &mut Fnv64) {
        h.u64(self.0.len() as u64);
        for c in &self.0 {
            h.u32(*c);
        }
    }
}

/// How serious a line is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Level {
    /// Normal operation.
    Info,
    /// A timeout or retry.
    Warn,
    /// A failed operation.
    Error,
}

impl Level {
    /// Its name in a log line.
    pub fn name(self) -> &'static str {
        match self {
            Level::Info => "INFO",
            Level::Warn => "WARN",
            Level::Error => "ERROR",
        }
    }
}

/// One structured log line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Line {
    /// The node that wrote it.
    pub node: NodeId,
    /// Its own clock's reading.
    pub wall: u64,
    /// Its vector clock after the line.
    pub vc: Vc,
    /// Trace id of the span it was written in (correlation id).
    pub trace_id: String,
    /// Span id it was written in.
    pub span_id: String,
    /// Severity.
    pub level: Level,
    /// The message.
    pub text: String,
    /// True time (what no node knows; for the drawing and the tests).
    pub t: u64,
    /// The step that wrote it.
    pub step: u64,
}

/// Line indices ordered by wall-clock timestamp (ties: node, then the order written).
pub fn wall_order(lines: &[Line]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..lines.len()).collect();
    order.sort_by_key(|&i| (lines[i].wall, lines[i].node, i));
    order
}

/// Line indices in a topological order of happened-before: by the sum of the vector clock
/// (ties, which are always concurrent lines: by wall clock, node, order written).
pub fn causal_order(lines: &[Line]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..lines.len()).collect();
    order.sort_by_key(|&i| (lines[i].vc.sum(), lines[i].wall, lines[i].node, i));
    order
}

/// Pairs `(cause, effect)` of lines on different nodes where the cause happened before the
/// effect but carries a later wall-clock timestamp: in a log sorted by time the effect shows
/// first. For each effect, the latest-stamped such cause; at most `max` pairs, by effect.
pub fn inversions(lines: &[Line], max: usize) -> Vec<(usize, usize)> {
    let mut pairs = Vec::new();
    for (b, effect) in lines.iter().enumerate() {
        let cause = lines
            .iter()
            .enumerate()
            .filter(|(_, a)| a.node != effect.node && a.wall > effect.wall)
            .filter(|(_, a)| a.vc.before(&effect.vc))
            .max_by_key(|(a, line)| (line.wall, *a));
        if let Some((a, _)) = cause {
            pairs.push((a, b));
            if pairs.len() >= max {
                break;
            }
        }
    }
    pairs
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(node: NodeId, wall: u64, vc: &[u32], text: &str) -> Line {
        Line {
            node,
            wall,
            vc: Vc(vc.to_vec()),
            trace_id: String::new(),
            span_id: String::new(),
            level: Level::Info,
            text: text.into(),
            t: 0,
            step: 0,
        }
    }

    #[test]
    fn vector_clocks_order_a_send_before_its_receive_and_leave_concurrent_lines_unordered() {
        let mut a = Vc::new(2);
        a.tick(0);
        let mut b = Vc::new(2);
        b.tick(1);
        assert_eq!(a.partial_cmp_vc(&b), None);
        let mut r = b.clone();
        r.merge(&a);
        r.tick(1);
        assert!(a.before(&r) && b.before(&r) && !r.before(&a));
        assert_eq!(r.to_string(), "[1,2]");
    }

    #[test]
    fn a_receiver_whose_clock_is_behind_logs_the_effect_before_its_cause() {
        // n0 sends at its 100; n1's clock is 80 behind, so it stamps the receive 30.
        let lines = vec![
            line(0, 100, &[1, 0], "calling n1"),
            line(1, 30, &[1, 1], "received call"),
            line(1, 35, &[1, 2], "replied"),
            line(0, 20, &[0, 0], "unrelated, earlier"),
        ];
        let wall = wall_order(&lines);
        assert_eq!(wall, vec![3, 1, 2, 0]);
        let causal = causal_order(&lines);
        let pos = |i: usize| causal.iter().position(|&k| k == i).unwrap();
        assert!(pos(0) < pos(1) && pos(1) < pos(2), "{causal:?}");
        // Both of n1's lines follow n0's send yet are stamped earlier; the unrelated line is
        // concurrent with nothing that inverts.
        assert_eq!(inversions(&lines, 10), vec![(0, 1), (0, 2)]);
        assert_eq!(inversions(&lines, 1), vec![(0, 1)]);
    }

    #[test]
    fn synchronised_clocks_show_no_inversion() {
        let lines = vec![
            line(0, 100, &[1, 0], "calling n1"),
            line(1, 104, &[1, 1], "received call"),
        ];
        assert!(inversions(&lines, 10).is_empty());
    }
}
