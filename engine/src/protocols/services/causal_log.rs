//! The causal-log harness (chapter 6): the learner merges the per-node logs of a checkout run
//! into one log that respects happened-before, and says which lines are concurrent.
//!
//! Lesson: a log aggregator that sorts on timestamps trusts every node's clock; when a
//! receiver's clock is behind its sender's by more than the message's latency, the effect is
//! stamped before its cause. Happened-before (Lamport 1978) is program order plus send →
//! receive, closed under transitivity; it needs no clock at all. Vector clocks (Fidge 1988,
//! Mattern 1989), rebuilt offline by replaying the logs, characterise it: sorting on them (by
//! the sum of the entries, say) gives an order no cause follows its effect in, and comparing
//! two of them entrywise says whether the lines are concurrent. A Lamport clock gives such an
//! order too, but cannot tell "concurrent" from "ordered" (`L(a) < L(b)` holds for both).
//!
//! A case is one run of the services graph ([`super::Services`]) under clock skew: each node's
//! lines as it wrote them — its log lines, and one line per message it sent or received (the
//! messages named by shuffled ids, so a name says nothing about time) — stamped with the
//! node's own clock. The truth is the run's structure, never a clock: the order of each node's
//! lines, and which send each receive delivered (a duplicated message is received twice, a
//! lost one never). Every [`SCRIPTED_EVERY`]-th seed is a scripted run whose inventory and
//! shipping clocks run far behind, so wall-clock order inverts both a call and the queue hop.

use std::rc::Rc;
use std::sync::Arc;

use rhai::{Array, Dynamic};

use super::rules::Reference;
use super::scenarios::NET;
use super::types::*;
use super::Services;
use crate::challenge::harness::{Found, Harness, Script, Shown};
use crate::rng::Rng;
use crate::script::convert::{int, map, shown};
use crate::script::RequiredFn;
use crate::sim::protocol::NodeId;
use crate::sim::spec::{Action, Override, RunSpec};
use crate::sim::trace::Event;
use crate::sim::world::{LinkCfg, Scenario, Sim, SimOptions};

/// Most lines in one case (happened-before sets are `u128` bit masks).
pub const LINES_PER_RUN_MAX: usize = 80;
/// Every this many seeds, one is the scripted run.
pub const SCRIPTED_EVERY: u64 = 4;
/// A case this small has `concurrent` judged on every ordered pair of lines.
pub const ALL_PAIRS_LINES_MAX: usize = 24;
/// Pairs of lines on different nodes drawn at random for `concurrent`, besides the pairs
/// every case judges (each message's send and receive, consecutive lines of a node).
pub const RANDOM_PAIRS: usize = 40;
/// What every wall clock reads at true time zero before its skew (so no reading is negative).
pub const WALL_BASE: u64 = 1_000;
/// How far behind the others inventory's and shipping's clocks run in the scripted run.
pub const SCRIPTED_SKEW_TICKS: i64 = -150;
/// Runs tried for a scripted seed until one shows the queue's hand-over inverted.
pub const SCRIPTED_ATTEMPTS: u64 = 4;
/// How long a run is simulated, ticks (the lines are a prefix of it).
pub const RUN_TICKS: u64 = 900;

/// Mixed into the seed so that runs differ from other harnesses' runs of the same seed.
const GENERATOR_SALT: u64 = 0xCA05_A110_6000_0D3B;

const REQUIRED: [RequiredFn; 3] = [
    RequiredFn {
        name: "stamp",
        params: &["logs"],
    },
    RequiredFn {
        name: "merge",
        params: &["logs"],
    },
    RequiredFn {
        name: "concurrent",
        params: &["a", "b"],
    },
];

const STAMPED: &str = "the logs in the same shape (one array per node, one map per line, in order)";
const IDS: &str = "an array of line ids (strings such as \"n2.5\")";

/// What a line records.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// A log line of the service's own.
    Local,
    /// Sent message `msg` to `to`.
    Send {
        /// The message's shown id.
        msg: u32,
        /// Recipient.
        to: NodeId,
    },
    /// Received message `msg` from `from`, sent by line `send`.
    Recv {
        /// The message's shown id.
        msg: u32,
        /// Sender.
        from: NodeId,
        /// Index of the sending line.
        send: usize,
    },
}

/// One line, as its node wrote it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LogLine {
    /// The node that wrote it.
    pub node: NodeId,
    /// What it records.
    pub kind: Kind,
    /// The node's clock reading.
    pub wall: u64,
    /// The text.
    pub text: String,
}

/// A case: lines in the order they were written in true time (which no node knows).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Logs {
    /// The seed it was drawn from (for the random pairs `concurrent` is asked about).
    pub seed: u64,
    /// Nodes in the run.
    pub nodes: usize,
    /// Whether it is the scripted run.
    pub scripted: bool,
    /// The lines.
    pub lines: Vec<LogLine>,
}

/// The skew of each node's clock in the run of `seed`.
fn skews(rng: &mut Rng, scripted: bool) -> Vec<i64> {
    let n = usize::from(NODES);
    if scripted {
        let mut s = vec![0i64; n];
        s[usize::from(INVENTORY)] = SCRIPTED_SKEW_TICKS;
        s[usize::from(SHIPPING)] = SCRIPTED_SKEW_TICKS;
        s[usize::from(PAYMENTS)] = 40;
        s[usize::from(QUEUE)] = 25;
        return s;
    }
    // Small (NTP on a good day), large, or one node far off.
    let spread = [5, 60, 200][rng.below(3) as usize];
    let mut s: Vec<i64> = (0..n)
        .map(|_| rng.range_inclusive(0, 2 * spread) as i64 - spread as i64)
        .collect();
    if rng.below(3) == 0 {
        let far = rng.below(n as u64) as usize;
        s[far] = -(rng.range_inclusive(100, 300) as i64);
    }
    s
}

/// Whether some hand-over from the queue to shipping is received at an earlier wall clock
/// than it was sent.
fn inverts_hand_over(lines: &[LogLine]) -> bool {
    lines.iter().any(|l| match l.kind {
        Kind::Recv { send, from, .. } => {
            from == QUEUE && l.node == SHIPPING && l.wall < lines[send].wall
        }
        _ => false,
    })
}

fn text_of(msg: &Msg, sending: bool) -> String {
    match msg {
        Msg::Call { op, attempt, .. } => {
            let verb = if sending { "call" } else { "serve" };
            format!("{verb} {} (attempt {attempt})", op.route())
        }
        Msg::Reply { ok, .. } => {
            let verb = if sending { "reply" } else { "got reply" };
            format!("{verb} {}", if *ok { "ok" } else { "error" })
        }
        Msg::Publish { order, .. } => {
            let verb = if sending { "publish" } else { "enqueue" };
            format!("{verb} order {order}")
        }
        Msg::Deliver { order, .. } => {
            let verb = if sending { "hand over" } else { "consume" };
            format!("{verb} order {order}")
        }
    }
}

impl Logs {
    /// Runs the services graph for `seed` and takes the first [`LINES_PER_RUN_MAX`] lines.
    pub fn generate(seed: u64) -> Logs {
        let scripted = seed % SCRIPTED_EVERY == SCRIPTED_EVERY - 1;
        let mut rng = Rng::new(seed ^ GENERATOR_SALT);
        let skew = skews(&mut rng, scripted);
        let mut protocol = Services::new(Arc::new(Reference), 3, false);
        let mut overrides: Vec<Override> = skew
            .iter()
            .enumerate()
            .filter(|(_, s)| **s != 0)
            .map(|(n, s)| Override::at(0, Action::Clock(n as NodeId, *s, 0)))
            .collect();
        let mut net = NET;
        if scripted {
            protocol.spacing_ticks = (150, 170);
        } else {
            protocol.requests = rng.range_inclusive(2, 4) as u32;
            let lo = rng.range_inclusive(5, 40);
            protocol.spacing_ticks = (lo, lo + 30);
            net = LinkCfg {
                latency_max_ticks: rng.range_inclusive(4, 30),
                dup_ppm: [0, 0, 30_000][rng.below(3) as usize],
                loss_ppm: [0, 0, 20_000][rng.below(3) as usize],
                ..NET
            };
            match rng.below(4) {
                0 => overrides.push(Override::at(0, Action::Set("slow".into(), "db-2".into()))),
                1 => overrides.push(Override::at(
                    0,
                    Action::Set("fault".into(), "payments".into()),
                )),
                _ => {}
            }
        }
        let scenario = Scenario {
            id: "causal-log-order",
            title: "Checkouts under clock skew",
            description: "The checkout graph; every node logs with its own, skewed clock.",
            nodes: NODES,
            protocol,
            net,
            calm: net,
            script: Vec::new(),
            properties: Vec::new(),
            workload: Vec::new(),
            faulty_nodes: Vec::new(),
            safety_ticks: RUN_TICKS,
        };
        let spec = RunSpec {
            scenario: scenario.id.to_string(),
            seed,
            overrides,
        };
        let options = SimOptions {
            record_trace: true,
            checkpoints: false,
            check_properties: false,
        };
        // A scripted run must show the queue's hand-over inverted (a declined card publishes
        // nothing, a slow query can push it past the last line): the first of a few runs that
        // does, all drawn from the seed.
        let attempts = if scripted { SCRIPTED_ATTEMPTS } else { 1 };
        let mut lines = Vec::new();
        for attempt in 0..attempts {
            let spec = RunSpec {
                seed: seed.wrapping_add(attempt * 1_000_003),
                ..spec.clone()
            };
            let Ok(mut sim) = Sim::new(scenario.clone(), spec, options) else {
                break;
            };
            // The services graph stays within every simulator limit at this load.
            let _ = sim.run_until_time(RUN_TICKS, false);
            lines = Self::lines_of(sim.trace(), &skew, &mut rng);
            if !scripted || inverts_hand_over(&lines) {
                break;
            }
        }
        Logs {
            seed,
            nodes: usize::from(NODES),
            scripted,
            lines,
        }
    }

    /// The lines of a trace: log notes, sends and receives, up to [`LINES_PER_RUN_MAX`].
    fn lines_of(
        trace: &[crate::sim::trace::TraceEvent<Services>],
        skew: &[i64],
        rng: &mut Rng,
    ) -> Vec<LogLine> {
        // Shown message ids: a shuffled range, so that an id says nothing about when.
        let mut shown_ids: Vec<u32> = (10..10 + LINES_PER_RUN_MAX as u32).collect();
        for i in (1..shown_ids.len()).rev() {
            let j = rng.below(i as u64 + 1) as usize;
            shown_ids.swap(i, j);
        }
        // Trace message id (a duplicate's copy as its original) → (sending line, shown id).
        let mut sent: std::collections::BTreeMap<u64, (usize, u32)> = Default::default();
        let mut lines: Vec<LogLine> = Vec::new();
        let wall =
            |node: NodeId, t: u64| (WALL_BASE + t).saturating_add_signed(skew[usize::from(node)]);
        for e in trace {
            if lines.len() >= LINES_PER_RUN_MAX {
                break;
            }
            match &e.event {
                Event::Note {
                    node,
                    note: Note::Log { level, text, .. },
                } => lines.push(LogLine {
                    node: *node,
                    kind: Kind::Local,
                    wall: wall(*node, e.t),
                    text: format!("{} {text}", level.name()),
                }),
                Event::Send { from, to, id, msg } => {
                    let shown = shown_ids[sent.len() % shown_ids.len()];
                    sent.insert(*id, (lines.len(), shown));
                    lines.push(LogLine {
                        node: *from,
                        kind: Kind::Send {
                            msg: shown,
                            to: *to,
                        },
                        wall: wall(*from, e.t),
                        text: text_of(msg, true),
                    });
                }
                Event::Dup { id, of, .. } => {
                    if let Some(&original) = sent.get(of) {
                        sent.insert(*id, original);
                    }
                }
                Event::Recv { from, to, id, msg } => {
                    if let Some(&(send, shown)) = sent.get(id) {
                        lines.push(LogLine {
                            node: *to,
                            kind: Kind::Recv {
                                msg: shown,
                                from: *from,
                                send,
                            },
                            wall: wall(*to, e.t),
                            text: text_of(msg, false),
                        });
                    }
                }
                _ => {}
            }
        }
        lines
    }

    /// Each line's index in its node's log.
    fn seqs(&self) -> Vec<usize> {
        let mut count = vec![0usize; self.nodes];
        self.lines
            .iter()
            .map(|l| {
                let s = count[usize::from(l.node)];
                count[usize::from(l.node)] += 1;
                s
            })
            .collect()
    }

    /// The lines' ids, `n<node>.<seq>`.
    fn ids(&self) -> Vec<String> {
        self.seqs()
            .iter()
            .zip(&self.lines)
            .map(|(s, l)| format!("n{}.{s}", l.node))
            .collect()
    }

    /// The direct causes of each line: the node's previous line, and for a receive its send.
    fn edges(&self) -> Vec<Vec<usize>> {
        let mut last: Vec<Option<usize>> = vec![None; self.nodes];
        self.lines
            .iter()
            .enumerate()
            .map(|(i, l)| {
                let mut causes = Vec::new();
                if let Some(p) = last[usize::from(l.node)] {
                    causes.push(p);
                }
                if let Kind::Recv { send, .. } = l.kind {
                    causes.push(send);
                }
                last[usize::from(l.node)] = Some(i);
                causes
            })
            .collect()
    }

    /// `before[i]`: the lines that happened before line `i`, as a bit mask.
    pub fn happened_before(&self) -> Vec<u128> {
        let mut before = vec![0u128; self.lines.len()];
        for (i, causes) in self.edges().iter().enumerate() {
            before[i] = causes.iter().fold(0, |set, &c| set | before[c] | (1 << c));
        }
        before
    }

    /// The case without line `index` (and without the receives of a message it sent).
    fn without(&self, index: usize) -> Logs {
        let mut keep: Vec<bool> = vec![true; self.lines.len()];
        keep[index] = false;
        for (i, l) in self.lines.iter().enumerate() {
            if let Kind::Recv { send, .. } = l.kind {
                if !keep[send] {
                    keep[i] = false;
                }
            }
        }
        self.kept(&keep)
    }

    /// The first `len` lines (a prefix in true time holds the send of every receive in it).
    fn prefix(&self, len: usize) -> Logs {
        let keep: Vec<bool> = (0..self.lines.len()).map(|i| i < len).collect();
        self.kept(&keep)
    }

    fn kept(&self, keep: &[bool]) -> Logs {
        let mut new_index = vec![usize::MAX; self.lines.len()];
        let mut lines = Vec::new();
        for (i, l) in self.lines.iter().enumerate() {
            if keep[i] {
                new_index[i] = lines.len();
                lines.push(l.clone());
            }
        }
        for l in &mut lines {
            if let Kind::Recv { send, .. } = &mut l.kind {
                *send = new_index[*send];
            }
        }
        Logs {
            lines,
            ..self.clone()
        }
    }

    /// The logs as the script sees them: one array per node, one map per line.
    fn to_dynamic(&self) -> Dynamic {
        let ids = self.ids();
        let seqs = self.seqs();
        let mut logs: Vec<Array> = vec![Array::new(); self.nodes];
        for (i, l) in self.lines.iter().enumerate() {
            let (kind, msg, peer) = match l.kind {
                Kind::Local => ("local", String::new(), -1),
                Kind::Send { msg, to } => ("send", format!("m{msg}"), i64::from(to)),
                Kind::Recv { msg, from, .. } => ("recv", format!("m{msg}"), i64::from(from)),
            };
            logs[usize::from(l.node)].push(map([
                ("id", Dynamic::from(ids[i].clone())),
                ("node", Dynamic::from_int(i64::from(l.node))),
                ("seq", int(seqs[i] as u64)),
                ("wall", int(l.wall)),
                ("kind", Dynamic::from(kind.to_string())),
                ("msg", Dynamic::from(msg)),
                ("peer", Dynamic::from_int(peer)),
                ("text", Dynamic::from(l.text.clone())),
            ]));
        }
        Dynamic::from_array(logs.into_iter().map(Dynamic::from_array).collect())
    }

    /// The pairs `concurrent` is asked about, each `(a, b)` in the order passed: every ordered
    /// pair of a small case; otherwise each message's send and receive both ways, consecutive
    /// lines of a node (alternately either way) and [`RANDOM_PAIRS`] pairs of lines on
    /// different nodes drawn from the seed.
    fn pairs(&self) -> Vec<(usize, usize)> {
        let n = self.lines.len();
        if n <= ALL_PAIRS_LINES_MAX {
            return (0..n)
                .flat_map(|a| (0..n).filter(move |&b| b != a).map(move |b| (a, b)))
                .collect();
        }
        let mut pairs = Vec::new();
        for (i, l) in self.lines.iter().enumerate() {
            if let Kind::Recv { send, .. } = l.kind {
                pairs.push((send, i));
                pairs.push((i, send));
            }
        }
        let mut last: Vec<Option<usize>> = vec![None; self.nodes];
        for (i, l) in self.lines.iter().enumerate() {
            if let Some(p) = last[usize::from(l.node)] {
                pairs.push(if i % 2 == 0 { (p, i) } else { (i, p) });
            }
            last[usize::from(l.node)] = Some(i);
        }
        let mut rng = Rng::new(self.seed ^ GENERATOR_SALT.rotate_left(17));
        let mut drawn = 0;
        let mut tries = 0;
        while drawn < RANDOM_PAIRS && tries < RANDOM_PAIRS * 8 {
            tries += 1;
            let a = rng.below(n as u64) as usize;
            let b = rng.below(n as u64) as usize;
            if self.lines[a].node != self.lines[b].node {
                pairs.push((a, b));
                drawn += 1;
            }
        }
        pairs
    }

    /// A shortest chain of direct causes from `a` to `b` (`a` happened before `b`): the lines
    /// on it, `a` first.
    fn chain(&self, a: usize, b: usize) -> Vec<usize> {
        let edges = self.edges();
        // Walk back from b: the cause nearest to a first, by breadth-first search.
        let mut via: Vec<Option<usize>> = vec![None; self.lines.len()];
        let mut frontier = vec![b];
        let mut seen = vec![false; self.lines.len()];
        seen[b] = true;
        while !frontier.is_empty() && !seen[a] {
            let mut next = Vec::new();
            for &x in &frontier {
                for &c in &edges[x] {
                    if !seen[c] {
                        seen[c] = true;
                        via[c] = Some(x);
                        next.push(c);
                    }
                }
            }
            frontier = next;
        }
        let mut path = vec![a];
        let mut at = a;
        while let Some(x) = via[at] {
            path.push(x);
            at = x;
        }
        path
    }

    /// One line for a person: id, wall clock, what it records.
    fn describe(&self, ids: &[String], i: usize) -> String {
        let l = &self.lines[i];
        let what = match l.kind {
            Kind::Local => "      ".to_string(),
            Kind::Send { msg, to } => format!("send m{msg} → n{to}"),
            Kind::Recv { msg, from, .. } => format!("recv m{msg} ← n{from}"),
        };
        format!(
            "{:<6} wall {:<5} {:<16} {}",
            ids[i],
            l.wall,
            what.trim_end(),
            l.text
        )
    }

    /// Why `cause` directly precedes `effect`, in words.
    fn link(&self, ids: &[String], cause: usize, effect: usize) -> String {
        match self.lines[effect].kind {
            Kind::Recv { send, msg, .. } if send == cause => {
                format!("{} sends m{msg}, {} receives it", ids[cause], ids[effect])
            }
            _ => format!(
                "{} comes before {} in n{}'s own log",
                ids[cause], ids[effect], self.lines[cause].node
            ),
        }
    }
}

/// Why one case fails, with the lines that show it.
struct Violation {
    property: &'static str,
    message: String,
    shown: Vec<String>,
}

/// The learner's three functions over one case. `None`: nothing failed (or a script mistake
/// was latched, which the harness reports instead).
fn judge(script: &Script, logs: &Logs) -> Option<Violation> {
    let n = logs.lines.len();
    let ids = logs.ids();
    let seqs = logs.seqs();
    let stamped = script.call("stamp", (logs.to_dynamic(),))?;
    let per_node = |s: &Dynamic| -> Option<Vec<Array>> {
        let outer: Array = s.clone().try_cast()?;
        if outer.len() != logs.nodes {
            return None;
        }
        let inner: Vec<Array> = outer
            .into_iter()
            .map(|v| v.try_cast::<Array>())
            .collect::<Option<_>>()?;
        let mut count = vec![0usize; logs.nodes];
        for l in &logs.lines {
            count[usize::from(l.node)] += 1;
        }
        let fits = inner
            .iter()
            .zip(&count)
            .all(|(a, &c)| a.len() == c && a.iter().all(|v| v.is_map()));
        fits.then_some(inner)
    };
    let Some(stamped_lines) = per_node(&stamped) else {
        script.wrong("stamp", &stamped, STAMPED);
        return None;
    };
    let line_value = |i: usize| stamped_lines[usize::from(logs.lines[i].node)][seqs[i]].clone();

    // every-line-once
    let merged = script.call("merge", (stamped.clone(),))?;
    let Some(order) = merged.clone().try_cast::<Array>().and_then(|a| {
        a.into_iter()
            .map(|v| v.into_string().ok())
            .collect::<Option<Vec<String>>>()
    }) else {
        script.wrong("merge", &merged, IDS);
        return None;
    };
    let index: std::collections::BTreeMap<&str, usize> = ids
        .iter()
        .enumerate()
        .map(|(i, id)| (id.as_str(), i))
        .collect();
    let mut position: Vec<Option<usize>> = vec![None; n];
    for (p, id) in order.iter().enumerate() {
        let Some(&i) = index.get(id.as_str()) else {
            return Some(Violation {
                property: "every-line-once",
                message: format!(
                    "Your merge lists \"{}\" (position {}), which is no line of the logs: ids are \
                     \"n<node>.<seq>\", as each line's `id` says.",
                    shown_text(id),
                    p + 1
                ),
                shown: merged_lines(logs, &ids, &order, &index, &[]),
            });
        };
        if let Some(first) = position[i] {
            return Some(Violation {
                property: "every-line-once",
                message: format!(
                    "Your merge lists {} twice, at positions {} and {}.",
                    ids[i],
                    first + 1,
                    p + 1
                ),
                shown: merged_lines(logs, &ids, &order, &index, &[i]),
            });
        }
        position[i] = Some(p);
    }
    if let Some(missing) = (0..n).find(|&i| position[i].is_none()) {
        let left = position.iter().filter(|p| p.is_none()).count();
        return Some(Violation {
            property: "every-line-once",
            message: format!(
                "Your merge has {} of the {n} lines: {} (and {} more) is missing.",
                n - left,
                ids[missing],
                left - 1
            ),
            shown: vec![logs.describe(&ids, missing)],
        });
    }
    let pos = |i: usize| position[i].expect("every line is placed");

    // order-respects-causality: a linear extension of happened-before places every direct
    // cause first (an inverted pair a → b has an inverted direct step on every chain).
    let edges = logs.edges();
    let inverted = edges
        .iter()
        .enumerate()
        .flat_map(|(effect, causes)| causes.iter().map(move |&c| (c, effect)))
        .filter(|&(c, e)| pos(e) < pos(c))
        .min_by_key(|&(c, e)| (pos(e), pos(c)));
    if let Some((cause, effect)) = inverted {
        let (lc, le) = (&logs.lines[cause], &logs.lines[effect]);
        let clocks = if le.wall < lc.wall {
            format!(
                " Their wall clocks say the opposite ({} < {}): n{}'s clock is behind n{}'s.",
                le.wall, lc.wall, le.node, lc.node
            )
        } else {
            String::new()
        };
        return Some(Violation {
            property: "order-respects-causality",
            message: format!(
                "Your merge puts {} (position {}) before {} (position {}), but {} happened before \
                 it: {}.{clocks}",
                ids[effect],
                pos(effect) + 1,
                ids[cause],
                pos(cause) + 1,
                ids[cause],
                logs.link(&ids, cause, effect)
            ),
            shown: merged_lines(logs, &ids, &order, &index, &[cause, effect]),
        });
    }

    // concurrency-detected
    let before = logs.happened_before();
    for (a, b) in logs.pairs() {
        let answer = script.call("concurrent", (line_value(a), line_value(b)))?;
        let Ok(said) = answer.as_bool() else {
            script.wrong("concurrent", &answer, "true or false");
            return None;
        };
        let ordered = if before[b] & (1 << a) != 0 {
            Some((a, b))
        } else if before[a] & (1 << b) != 0 {
            Some((b, a))
        } else {
            None
        };
        if said == ordered.is_none() {
            continue;
        }
        let stamps = format!(
            "Your stamps: {} and {}.",
            stamp_of(&line_value(a)),
            stamp_of(&line_value(b))
        );
        let (message, lines) = match ordered {
            Some((x, y)) => {
                let chain = logs.chain(x, y);
                let steps: Vec<String> = chain
                    .windows(2)
                    .map(|w| logs.link(&ids, w[0], w[1]))
                    .collect();
                (
                    format!(
                        "concurrent({}, {}) returned true, but {} happened before {}: {}. {stamps}",
                        ids[a],
                        ids[b],
                        ids[x],
                        ids[y],
                        steps.join("; ")
                    ),
                    chain.iter().map(|&i| logs.describe(&ids, i)).collect(),
                )
            }
            None => (
                format!(
                    "concurrent({}, {}) returned false, but neither happened before the other: \
                     no chain of log order and messages leads from one to the other. {stamps}",
                    ids[a], ids[b]
                ),
                vec![logs.describe(&ids, a), logs.describe(&ids, b)],
            ),
        };
        return Some(Violation {
            property: "concurrency-detected",
            message,
            shown: lines,
        });
    }
    None
}

/// A stamped line as a message shows it: its `clock` if it has one, else the whole line.
fn stamp_of(line: &Dynamic) -> String {
    line.read_lock::<rhai::Map>()
        .and_then(|m| m.get("clock").map(shown))
        .unwrap_or_else(|| shown(line))
}

/// A string from the script, cut for a message.
fn shown_text(s: &str) -> String {
    shown(&Dynamic::from(s.to_string()))
        .trim_matches('"')
        .to_string()
}

/// The learner's merged order as lines, the `marked` ones flagged.
fn merged_lines(
    logs: &Logs,
    ids: &[String],
    order: &[String],
    index: &std::collections::BTreeMap<&str, usize>,
    marked: &[usize],
) -> Vec<String> {
    order
        .iter()
        .enumerate()
        .map(|(p, id)| match index.get(id.as_str()) {
            Some(&i) => {
                let flag = if marked.contains(&i) { "  ◀" } else { "" };
                format!("{:>3}. {}{flag}", p + 1, logs.describe(ids, i))
            }
            None => format!("{:>3}. \"{}\" (no such line)", p + 1, shown_text(id)),
        })
        .collect()
}

/// The causal-log harness: a case is the logs of one services run.
pub struct CausalLog;

impl Harness for CausalLog {
    type Installed = Rc<Script>;
    type Case = Logs;

    fn required(&self) -> &'static [RequiredFn] {
        &REQUIRED
    }
    fn properties(&self) -> Vec<&'static str> {
        vec![
            "every-line-once",
            "order-respects-causality",
            "concurrency-detected",
        ]
    }
    fn install(&self, script: Rc<Script>) -> Rc<Script> {
        script
    }
    fn case(&self, _: &Rc<Script>, seed: u64) -> Logs {
        Logs::generate(seed)
    }
    fn judge(&self, script: &Rc<Script>, logs: &Logs) -> Result<Option<Found>, String> {
        Ok(judge(script, logs).map(|v| Found {
            property: v.property.to_string(),
            message: Some(v.message),
            size: logs.lines.len(),
            step: None,
            unknown: None,
        }))
    }
    /// Shorter prefixes first (halves, quarters, …), then the case without one line (and the
    /// receives of a message it sent), from the last line to the first.
    fn smaller(&self, logs: &Logs) -> Vec<Logs> {
        let n = logs.lines.len();
        let mut out = Vec::new();
        let mut len = n / 2;
        while len >= 2 {
            out.push(logs.prefix(len));
            len /= 2;
        }
        out.extend(
            (0..n)
                .rev()
                .map(|i| logs.without(i))
                .filter(|c| !c.lines.is_empty()),
        );
        out
    }
    fn show(&self, script: &Rc<Script>, logs: &Logs, found: &Found, _: &str) -> Shown {
        let (message, counterexample) = match judge(script, logs) {
            Some(v) => (v.message, v.shown),
            None => (found.message.clone().unwrap_or_default(), Vec::new()),
        };
        let ids = logs.ids();
        let mut lines = counterexample;
        let count = logs.lines.len();
        lines.push(format!(
            "The {count} line{} of this run, node by node (ids n<node>.<seq>; each wall clock is its node's own):",
            if count == 1 { "" } else { "s" }
        ));
        for node in 0..logs.nodes {
            for (i, l) in logs.lines.iter().enumerate() {
                if usize::from(l.node) == node {
                    lines.push(format!("  {}", logs.describe(&ids, i)));
                }
            }
        }
        Shown {
            message,
            counterexample: lines,
            replay: None,
        }
    }
}

#[cfg(test)]
#[path = "causal_log_tests.rs"]
mod causal_log_tests;
