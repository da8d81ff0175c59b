//! The four properties, as history monitors over the trace in true time (never a node's
//! clock), judged against the version order as an outside observer knows it.
//!
//! - `reads-see-acknowledged`: a read returns a version at least that of every write of its key
//!   acknowledged before the read was invoked (R + W > N makes this hold, §4.5).
//! - `acknowledged-writes-kept`: a home that has held an acknowledged write (or something
//!   newer) never holds anything older than it again. A home's copy only moves forward through
//!   puts; what can move it back is a repair.
//! - `repairs-converge`: a home whose reply to a read was older than the read's answer holds
//!   the answer (or newer) within [`REPAIR_TICKS`] of being reachable from the reader (up, links
//!   both ways delivering every message).
//! - `reads-answered`: a read is answered within [`READ_ANSWER_TICKS`] of R of its key's homes
//!   being reachable from its client (up, links both ways delivering every message).

use std::collections::VecDeque;

use super::types::{Done, Durable, Key, Msg, Note, Request, Version};
use super::{homes, is_replica, Quorum, KEYS, R, READ_ANSWER_TICKS, REPAIR_TICKS, REPLICAS};
use crate::sim::protocol::NodeId;
use crate::sim::spec::Action;
use crate::sim::trace::{Event, TraceEvent};
use crate::sim::world::{Monitor, PropKind, Property, Status, WorldRef};

/// An acknowledged write: its version, value and the true time of its acknowledgement.
#[derive(Clone, Copy, Debug)]
struct Acked {
    version: Version,
    value: u64,
    at: u64,
}

fn client_index(node: NodeId) -> usize {
    usize::from(node - REPLICAS)
}

fn slot<T: Default + Clone>(v: &mut Vec<T>, i: usize) -> &mut T {
    if v.len() <= i {
        v.resize(i + 1, T::default());
    }
    &mut v[i]
}

fn held(w: &WorldRef<'_, Quorum>, replica: NodeId, key: Key) -> Version {
    w.durable(replica)
        .map_or(Version::default(), |d: &Durable| d.data[key].version)
}

/// Whether `client` and `replica` can talk: the replica is up and both links deliver every
/// message (neither is cut nor loses messages). Over a lossy link a deadline is a matter of
/// luck, not of the code judged.
fn reachable(w: &WorldRef<'_, Quorum>, client: NodeId, replica: NodeId) -> bool {
    let delivers = |from, to| !w.is_cut(from, to) && w.link(from, to).loss_ppm == 0;
    w.status(replica) == Status::Up && delivers(client, replica) && delivers(replica, client)
}

/// A client's requests not yet completed, oldest first, each with when it was invoked and the
/// newest write of its key acknowledged by then.
type Pending = VecDeque<(Request, u64, Option<Acked>)>;

/// `reads-see-acknowledged`.
#[derive(Clone, Default)]
struct ReadsSeeAcknowledged {
    newest: [Option<Acked>; KEYS.len()],
    clients: Vec<Pending>,
}

impl ReadsSeeAcknowledged {
    fn judge(
        client: NodeId,
        done: &Done,
        invoked: u64,
        before: Option<Acked>,
        t: u64,
    ) -> Result<(), String> {
        let Some(a) = before else { return Ok(()) };
        if done.version >= a.version {
            return Ok(());
        }
        Err(format!(
            "reads-see-acknowledged: n{client}'s read of {} invoked at t={invoked} returned {} \
             (version {}) at t={t}, but the write of {} (version {}) had been acknowledged at \
             t={}, before the read began.",
            KEYS[done.request.key()],
            done.value,
            done.version,
            a.value,
            a.version,
            a.at
        ))
    }
}

impl Monitor<Quorum> for ReadsSeeAcknowledged {
    fn on_event(
        &mut self,
        ev: &TraceEvent<Quorum>,
        _: &WorldRef<'_, Quorum>,
    ) -> Result<(), String> {
        match &ev.event {
            Event::Request {
                node,
                request,
                lost: false,
            } if !is_replica(*node) => {
                let before = self.newest[request.key()];
                slot(&mut self.clients, client_index(*node)).push_back((*request, ev.t, before));
            }
            Event::Reply { node, reply } => {
                let pending = slot(&mut self.clients, client_index(*node)).pop_front();
                match reply.request {
                    Request::Read(_) => {
                        if let Some((_, invoked, before)) = pending {
                            Self::judge(*node, reply, invoked, before, ev.t)?;
                        }
                    }
                    Request::Write(key, _) => {
                        let acked = Acked {
                            version: reply.version,
                            value: reply.value,
                            at: ev.t,
                        };
                        let newest = &mut self.newest[key];
                        if newest.is_none_or(|n| n.version < acked.version) {
                            *newest = Some(acked);
                        }
                    }
                }
            }
            _ => {}
        }
        Ok(())
    }
    fn clone_box(&self) -> Box<dyn Monitor<Quorum>> {
        Box::new(self.clone())
    }
}

/// `acknowledged-writes-kept`: the acknowledged writes of each key, and the highest version
/// each home has held of each key.
#[derive(Clone, Default)]
struct AcknowledgedWritesKept {
    acked: [Vec<Acked>; KEYS.len()],
    peak: [[Version; KEYS.len()]; REPLICAS as usize],
}

impl AcknowledgedWritesKept {
    fn judge(&mut self, w: &WorldRef<'_, Quorum>, t: u64) -> Result<(), String> {
        for (key, acked) in self.acked.iter().enumerate() {
            for home in homes(key) {
                let now = held(w, home, key);
                let peak = &mut self.peak[usize::from(home)][key];
                *peak = (*peak).max(now);
                let lost = acked
                    .iter()
                    .filter(|a| a.version <= *peak && a.version > now)
                    .max_by_key(|a| a.version);
                if let Some(a) = lost {
                    return Err(format!(
                        "acknowledged-writes-kept: at t={t} n{home} holds {} at version {now}, \
                         older than the write of {} (version {}) it had held, acknowledged at \
                         t={}: the acknowledged write was overwritten.",
                        KEYS[key], a.value, a.version, a.at
                    ));
                }
            }
        }
        Ok(())
    }
}

impl Monitor<Quorum> for AcknowledgedWritesKept {
    fn on_event(
        &mut self,
        ev: &TraceEvent<Quorum>,
        w: &WorldRef<'_, Quorum>,
    ) -> Result<(), String> {
        match &ev.event {
            Event::Reply { reply, .. } => {
                if let Request::Write(key, _) = reply.request {
                    self.acked[key].push(Acked {
                        version: reply.version,
                        value: reply.value,
                        at: ev.t,
                    });
                }
                self.judge(w, ev.t)
            }
            // A home's copy changes only where it notes so, after it persisted the change.
            Event::Note {
                note: Note::Stored { .. },
                ..
            } => self.judge(w, ev.t),
            _ => Ok(()),
        }
    }
    fn clone_box(&self) -> Box<dyn Monitor<Quorum>> {
        Box::new(self.clone())
    }
}

/// A home a read found stale, and what it must come to hold.
#[derive(Clone, Debug)]
struct Owed {
    client: NodeId,
    home: NodeId,
    key: Key,
    version: Version,
    value: u64,
    read_at: u64,
    /// Since when the home has been reachable from the client without holding the answer.
    since: Option<u64>,
}

/// The replies a client's operations have had so far: (operation, replica, version, hinted).
type Replies = Vec<(u64, NodeId, Version, bool)>;

/// `repairs-converge`.
#[derive(Clone, Default)]
struct RepairsConverge {
    replies: Vec<Replies>,
    done_through: Vec<u64>,
    owed: Vec<Owed>,
}

impl RepairsConverge {
    fn late(&mut self, w: &WorldRef<'_, Quorum>, now: u64) -> Result<(), String> {
        self.owed.retain(|o| held(w, o.home, o.key) < o.version);
        for o in &mut self.owed {
            if !reachable(w, o.client, o.home) {
                o.since = None;
                continue;
            }
            let since = *o.since.get_or_insert(now);
            if now > since + REPAIR_TICKS {
                return Err(format!(
                    "repairs-converge: n{}'s read of {} answered {} (version {}) at t={}, and \
                     n{} had replied with an older version; at t={now} n{} still holds {}, \
                     though it has been reachable since t={since}, more than {REPAIR_TICKS} \
                     ticks.",
                    o.client,
                    KEYS[o.key],
                    o.value,
                    o.version,
                    o.read_at,
                    o.home,
                    o.home,
                    held(w, o.home, o.key)
                ));
            }
        }
        Ok(())
    }

    fn on_reply(&mut self, client: NodeId, done: &Done, t: u64) {
        let i = client_index(client);
        let replies = std::mem::take(slot(&mut self.replies, i));
        *slot(&mut self.done_through, i) = done.op;
        let Request::Read(key) = done.request else {
            return;
        };
        let mut seen: Vec<NodeId> = Vec::new();
        for (op, replica, version, hinted) in replies {
            if op != done.op || seen.contains(&replica) {
                continue;
            }
            seen.push(replica);
            if !hinted && version < done.version && homes(key).contains(&replica) {
                self.owed.push(Owed {
                    client,
                    home: replica,
                    key,
                    version: done.version,
                    value: done.value,
                    read_at: t,
                    since: None,
                });
            }
        }
    }
}

impl Monitor<Quorum> for RepairsConverge {
    fn on_event(
        &mut self,
        ev: &TraceEvent<Quorum>,
        w: &WorldRef<'_, Quorum>,
    ) -> Result<(), String> {
        match &ev.event {
            Event::Recv {
                from,
                to,
                msg: Msg::Value {
                    op, stored, hinted, ..
                },
                ..
            } if !is_replica(*to) => {
                let i = client_index(*to);
                if *op > *slot(&mut self.done_through, i) {
                    slot(&mut self.replies, i).push((*op, *from, stored.version, *hinted));
                }
            }
            Event::Reply { node, reply } => self.on_reply(*node, reply, ev.t),
            // A client that crashes forgets its repairs; nothing is owed for its reads.
            Event::Action(Action::Crash(node)) if !is_replica(*node) => {
                self.owed.retain(|o| o.client != *node)
            }
            _ => {}
        }
        self.late(w, ev.t)
    }
    fn at_end(&mut self, w: &WorldRef<'_, Quorum>) -> Result<(), String> {
        self.late(w, w.time())
    }
    fn clone_box(&self) -> Box<dyn Monitor<Quorum>> {
        Box::new(self.clone())
    }
}

/// One client's operations as the liveness monitor follows them.
#[derive(Clone, Debug, Default)]
struct Waiting {
    /// Requests not yet completed, oldest first (the first is in progress).
    queue: VecDeque<Request>,
    /// When the operation in progress began.
    since: u64,
    /// Since when R of the current read's homes have been reachable.
    ready: Option<u64>,
}

/// `reads-answered`.
#[derive(Clone, Default)]
struct ReadsAnswered {
    clients: Vec<Waiting>,
}

impl ReadsAnswered {
    fn late(&mut self, w: &WorldRef<'_, Quorum>, now: u64) -> Result<(), String> {
        for (i, c) in self.clients.iter_mut().enumerate() {
            let client = REPLICAS + i as NodeId;
            let Some(Request::Read(key)) = c.queue.front().copied() else {
                c.ready = None;
                continue;
            };
            let up: Vec<NodeId> = homes(key)
                .into_iter()
                .filter(|&h| reachable(w, client, h))
                .collect();
            if up.len() < R {
                c.ready = None;
                continue;
            }
            let from = *c.ready.get_or_insert(now.max(c.since));
            if now > from + READ_ANSWER_TICKS {
                let names: Vec<String> = up.iter().map(|h| format!("n{h}")).collect();
                return Err(format!(
                    "reads-answered: n{client}'s read of {}, in progress since t={}, was still \
                     unanswered at t={now}, though since t={from}, more than \
                     {READ_ANSWER_TICKS} ticks, at least R = {R} of its homes were reachable \
                     (now {}).",
                    KEYS[key],
                    c.since,
                    names.join(", ")
                ));
            }
        }
        Ok(())
    }
}

impl Monitor<Quorum> for ReadsAnswered {
    fn on_event(
        &mut self,
        ev: &TraceEvent<Quorum>,
        w: &WorldRef<'_, Quorum>,
    ) -> Result<(), String> {
        match &ev.event {
            Event::Request {
                node,
                request,
                lost: false,
            } if !is_replica(*node) => {
                let c = slot(&mut self.clients, client_index(*node));
                if c.queue.is_empty() {
                    c.since = ev.t;
                }
                c.queue.push_back(*request);
            }
            Event::Reply { node, .. } => {
                let c = slot(&mut self.clients, client_index(*node));
                c.queue.pop_front();
                c.since = ev.t;
                c.ready = None;
            }
            _ => {}
        }
        self.late(w, ev.t)
    }
    fn at_end(&mut self, w: &WorldRef<'_, Quorum>) -> Result<(), String> {
        self.late(w, w.time())
    }
    fn clone_box(&self) -> Box<dyn Monitor<Quorum>> {
        Box::new(self.clone())
    }
}

/// The four properties, in the order they are judged.
pub fn properties() -> Vec<Property<Quorum>> {
    vec![
        Property::monitor("reads-see-acknowledged", PropKind::Always, || {
            Box::new(ReadsSeeAcknowledged::default())
        }),
        Property::monitor("acknowledged-writes-kept", PropKind::Always, || {
            Box::new(AcknowledgedWritesKept::default())
        }),
        Property::monitor("repairs-converge", PropKind::Always, || {
            Box::new(RepairsConverge::default())
        }),
        Property::monitor("reads-answered", PropKind::Always, || {
            Box::new(ReadsAnswered::default())
        }),
    ]
}
