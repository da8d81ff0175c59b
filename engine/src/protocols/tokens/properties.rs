//! The session guarantees and the liveness of reads, as history monitors.
//!
//! Each monitor reads the clients' history off the trace: an operation is invoked when its
//! request reaches the client (`Event::Request`) and completes when the client reports it
//! (`Event::Reply`), both at the true time of the trace, never a node's skewed clock.
//!
//! Why not [`crate::consistency::session::check`] on that history: it asks whether *some*
//! arbitration order of the writes explains what every session saw, so it can only catch a
//! session whose constraints form a cycle. A session that writes 5 and then reads an older
//! write 3 of another client is explained by the order "5 before 3" — yet this store arbitrates
//! by version, and 3's version is lower: the session stepped back. The store's arbitration is
//! known (the version each answer carries), so the monitors judge the guarantees' axioms
//! (Viotti & Vukolić 2016) with it: a read must return a version at least that of every earlier
//! write (read your writes) and read (monotonic reads) of its session; a write must get a
//! version above every earlier write (monotonic writes) and read (writes follow reads) of its
//! session. Monotonic writes and writes-follow-reads are about the arbitration, which reads
//! alone do not show: the versions are that arbitration. (The tests check that the existential
//! checker accepts every history of the reference too.)

use super::types::{Done, Request, State, Version};
use super::{Tokens, READ_ANSWER_TICKS, REPLICAS};
use crate::sim::protocol::NodeId;
use crate::sim::spec::Action;
use crate::sim::trace::{Event, TraceEvent};
use crate::sim::world::{Monitor, PropKind, Property, Status, WorldRef};

/// A session guarantee.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Guarantee {
    ReadYourWrites,
    MonotonicReads,
    MonotonicWrites,
    WritesFollowReads,
}

/// The highest version a session read or wrote, with the value and when it completed.
#[derive(Clone, Copy, Debug)]
struct Seen {
    version: Version,
    value: u64,
    at: u64,
}

/// What one session has read and written so far.
#[derive(Clone, Debug, Default)]
struct Session {
    wrote: Option<Seen>,
    read: Option<Seen>,
}

fn bump(slot: &mut Option<Seen>, seen: Seen) {
    if slot.is_none_or(|s| s.version < seen.version) {
        *slot = Some(seen);
    }
}

/// One session guarantee, judged at each completed operation.
#[derive(Clone)]
struct GuaranteeMonitor {
    guarantee: Guarantee,
    sessions: Vec<Session>,
}

impl GuaranteeMonitor {
    fn new(guarantee: Guarantee) -> GuaranteeMonitor {
        GuaranteeMonitor {
            guarantee,
            sessions: Vec::new(),
        }
    }

    fn judge(&self, client: NodeId, done: &Done, t: u64, s: &Session) -> Result<(), String> {
        let is_read = done.request == Request::Read;
        let (earlier, rule) = match (self.guarantee, is_read) {
            (Guarantee::ReadYourWrites, true) => (s.wrote, "its own write of"),
            (Guarantee::MonotonicReads, true) => (s.read, "it had read"),
            (Guarantee::MonotonicWrites, false) => (s.wrote, "its own write of"),
            (Guarantee::WritesFollowReads, false) => (s.read, "it had read"),
            _ => return Ok(()),
        };
        let Some(e) = earlier else { return Ok(()) };
        let stale = if is_read {
            done.version < e.version
        } else {
            done.version <= e.version
        };
        if !stale {
            return Ok(());
        }
        let what = if is_read {
            format!(
                "n{client} read {} (version {}) from n{} at t={t}",
                done.value, done.version, done.replica
            )
        } else {
            format!(
                "n{client}'s write of {} got version {} at n{} at t={t}",
                done.value, done.version, done.replica
            )
        };
        let why = match self.guarantee {
            Guarantee::ReadYourWrites => "it does not see the session's write",
            Guarantee::MonotonicReads => "it is older than what the session had read",
            Guarantee::MonotonicWrites => "it is ordered before the session's earlier write",
            Guarantee::WritesFollowReads => "it is ordered before a write the session had read",
        };
        Err(format!(
            "{}: {what}, after {rule} {} (version {}) completed at t={}: {why}.",
            name(self.guarantee),
            e.value,
            e.version,
            e.at
        ))
    }
}

fn name(g: Guarantee) -> &'static str {
    match g {
        Guarantee::ReadYourWrites => "read-your-writes",
        Guarantee::MonotonicReads => "monotonic-reads",
        Guarantee::MonotonicWrites => "monotonic-writes",
        Guarantee::WritesFollowReads => "writes-follow-reads",
    }
}

fn session_of(sessions: &mut Vec<Session>, client: NodeId) -> &mut Session {
    let i = usize::from(client - REPLICAS);
    if sessions.len() <= i {
        sessions.resize(i + 1, Session::default());
    }
    &mut sessions[i]
}

impl Monitor<Tokens> for GuaranteeMonitor {
    fn on_event(
        &mut self,
        ev: &TraceEvent<Tokens>,
        _: &WorldRef<'_, Tokens>,
    ) -> Result<(), String> {
        let Event::Reply { node, reply } = &ev.event else {
            return Ok(());
        };
        let s = session_of(&mut self.sessions, *node).clone();
        self.judge(*node, reply, ev.t, &s)?;
        let seen = Seen {
            version: reply.version,
            value: reply.value,
            at: ev.t,
        };
        let s = session_of(&mut self.sessions, *node);
        match reply.request {
            Request::Read => bump(&mut s.read, seen),
            Request::Write(_) => bump(&mut s.wrote, seen),
        }
        Ok(())
    }
    fn clone_box(&self) -> Box<dyn Monitor<Tokens>> {
        Box::new(self.clone())
    }
}

/// Which links are cut, mirrored from the trace's actions as the simulator applies them.
#[derive(Clone, Debug)]
struct Links {
    nodes: usize,
    cut: Vec<bool>,
}

impl Links {
    fn new(nodes: usize) -> Links {
        Links {
            nodes,
            cut: vec![false; nodes * nodes],
        }
    }
    fn apply(&mut self, action: &Action) {
        let n = self.nodes;
        match action {
            Action::Cut(a, b) => self.cut[usize::from(*a) * n + usize::from(*b)] = true,
            Action::Mend(a, b) => self.cut[usize::from(*a) * n + usize::from(*b)] = false,
            Action::Heal | Action::HealAll => self.cut.iter_mut().for_each(|c| *c = false),
            Action::Partition(groups) => {
                self.cut.iter_mut().for_each(|c| *c = false);
                let mut group = vec![usize::MAX; n];
                for (g, members) in groups.iter().enumerate() {
                    for &m in members {
                        group[usize::from(m)] = g;
                    }
                }
                for a in 0..n {
                    for b in 0..n {
                        if group[a] != usize::MAX && group[b] != usize::MAX && group[a] != group[b]
                        {
                            self.cut[a * n + b] = true;
                        }
                    }
                }
            }
            _ => {}
        }
    }
    fn both_ways(&self, a: NodeId, b: NodeId) -> bool {
        let (a, b) = (usize::from(a), usize::from(b));
        !self.cut[a * self.nodes + b] && !self.cut[b * self.nodes + a]
    }
}

/// One session's read in progress, as the liveness monitor follows it.
#[derive(Clone, Debug, Default)]
struct Waiting {
    /// Requests not yet completed, oldest first (the first is in progress).
    queue: std::collections::VecDeque<Request>,
    /// When the operation in progress began.
    since: u64,
    /// The highest version the session has read or written.
    seen: Version,
    /// Since when a replica the client can reach has held `seen` (while a read waits).
    caught_up: Option<(u64, NodeId)>,
}

/// `reads-answered`: a read is answered within T ticks of a replica the client can reach (up,
/// links both ways) holding every version the session has seen.
#[derive(Clone)]
struct ReadsAnswered {
    links: Option<Links>,
    clients: Vec<Waiting>,
}

impl ReadsAnswered {
    fn late(&mut self, now: u64, w: &WorldRef<'_, Tokens>) -> Result<(), String> {
        let links = self
            .links
            .get_or_insert_with(|| Links::new(usize::from(w.nodes())));
        for (i, c) in self.clients.iter_mut().enumerate() {
            let client = REPLICAS + i as NodeId;
            if c.queue.front() != Some(&Request::Read) {
                c.caught_up = None;
                continue;
            }
            let ready = (0..REPLICAS).find(|&r| {
                w.status(r) == Status::Up
                    && links.both_ways(client, r)
                    && matches!(w.state(r), Some(State::Replica(s)) if s.durable.held.version >= c.seen)
            });
            let Some(r) = ready else {
                c.caught_up = None;
                continue;
            };
            // The window runs while *some* reachable replica is caught up; the message names
            // the one that is now.
            let from = c.caught_up.map_or(now.max(c.since), |(from, _)| from);
            c.caught_up = Some((from, r));
            let replica = r;
            if now > from + READ_ANSWER_TICKS {
                let token = match w.state(client) {
                    Some(State::Client(s)) => s.token.to_string(),
                    _ => "?".to_string(),
                };
                return Err(format!(
                    "reads-answered: n{client}'s read, waiting since t={}, was still unanswered \
                     at t={now}, though since t={from}, more than {READ_ANSWER_TICKS} ticks, \
                     some replica n{client} could reach had held all the session had seen \
                     (version {} or later); now n{replica} does. The session's token was {token}.",
                    c.since, c.seen
                ));
            }
        }
        Ok(())
    }
}

impl Monitor<Tokens> for ReadsAnswered {
    fn on_event(
        &mut self,
        ev: &TraceEvent<Tokens>,
        w: &WorldRef<'_, Tokens>,
    ) -> Result<(), String> {
        match &ev.event {
            Event::Action(a) => {
                let links = self
                    .links
                    .get_or_insert_with(|| Links::new(usize::from(w.nodes())));
                links.apply(a);
            }
            Event::Request {
                node,
                request,
                lost: false,
            } if *node >= REPLICAS => {
                let i = usize::from(*node - REPLICAS);
                if self.clients.len() <= i {
                    self.clients.resize(i + 1, Waiting::default());
                }
                let c = &mut self.clients[i];
                if c.queue.is_empty() {
                    c.since = ev.t;
                }
                c.queue.push_back(*request);
            }
            Event::Reply { node, reply } => {
                if let Some(c) = self.clients.get_mut(usize::from(*node - REPLICAS)) {
                    c.queue.pop_front();
                    c.since = ev.t;
                    c.seen = c.seen.max(reply.version);
                    c.caught_up = None;
                }
            }
            _ => {}
        }
        self.late(ev.t, w)
    }
    fn at_end(&mut self, w: &WorldRef<'_, Tokens>) -> Result<(), String> {
        self.late(w.time(), w)
    }
    fn clone_box(&self) -> Box<dyn Monitor<Tokens>> {
        Box::new(self.clone())
    }
}

/// The five properties, in the order they are judged.
pub fn properties() -> Vec<Property<Tokens>> {
    vec![
        Property::monitor("read-your-writes", PropKind::Always, || {
            Box::new(GuaranteeMonitor::new(Guarantee::ReadYourWrites))
        }),
        Property::monitor("monotonic-reads", PropKind::Always, || {
            Box::new(GuaranteeMonitor::new(Guarantee::MonotonicReads))
        }),
        Property::monitor("monotonic-writes", PropKind::Always, || {
            Box::new(GuaranteeMonitor::new(Guarantee::MonotonicWrites))
        }),
        Property::monitor("writes-follow-reads", PropKind::Always, || {
            Box::new(GuaranteeMonitor::new(Guarantee::WritesFollowReads))
        }),
        Property::monitor("reads-answered", PropKind::Always, || {
            Box::new(ReadsAnswered {
                links: None,
                clients: Vec::new(),
            })
        }),
    ]
}
