//! The store's two claims, judged against what an observer outside it sees.
//!
//! - `reads-see-acknowledged-writes` (a history monitor): a get returns a version at least
//!   that of every put of its key acknowledged, in true time, before the get began. It holds
//!   with strict quorums when R + W > N (every read quorum meets every write quorum), and fails
//!   when R + W ≤ N, or with sloppy quorums during a partition (the write's acknowledgements
//!   came from fallbacks the read does not ask).
//! - `replicas-converge` (eventually, after faults stop): every key's home nodes hold the same
//!   version and no node holds a hint. Hinted handoff, read repair and anti-entropy are what
//!   make it true; without them a write that reached only some home nodes stays there.

use super::ring::preference_list;
use super::types::{Acker, Durable, Key, Note, State, Version};
use super::{quorums, Dynamo, KEYS, STORAGE};
use crate::sim::protocol::NodeId;
use crate::sim::trace::{Event, TraceEvent};
use crate::sim::world::{Monitor, PropKind, Property, WorldRef};

/// Ticks after the faults stop within which the replicas must agree.
pub const CONVERGE_TICKS: u64 = 1_200;

/// The newest acknowledged put of a key: its version, when, and who acknowledged it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Acked {
    /// The version.
    pub version: Version,
    /// True time of the acknowledgement.
    pub at: u64,
    /// The nodes whose acknowledgements made the quorum.
    pub acks: Vec<Acker>,
}

/// A get that returned less than an acknowledged write.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StaleRead {
    /// The client.
    pub client: NodeId,
    /// The key.
    pub key: Key,
    /// What it returned.
    pub returned: Version,
    /// The nodes it heard from.
    pub from: Vec<NodeId>,
    /// True time it returned.
    pub at: u64,
    /// The write it missed.
    pub missed: Acked,
}

impl StaleRead {
    /// One sentence on what went wrong.
    pub fn sentence(&self) -> String {
        let nodes = |ns: &[NodeId]| {
            ns.iter()
                .map(|n| format!("n{n}"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let acks: Vec<String> = self
            .missed
            .acks
            .iter()
            .map(|(n, h)| match h {
                Some(h) => format!("n{n} (a hint for n{h})"),
                None => format!("n{n}"),
            })
            .collect();
        format!(
            "n{}'s get of k{} returned {} (from {}) at t={}, but {} had been acknowledged at \
             t={} by {}: the read quorum did not meet the write's.",
            self.client,
            self.key,
            self.returned,
            nodes(&self.from),
            self.at,
            self.missed.version,
            self.missed.at,
            acks.join(", ")
        )
    }
}

/// The index of `key` in a per-key vector (keys count from 1).
fn index(key: Key) -> Option<usize> {
    usize::from(key).checked_sub(1)
}

/// Follows the client history note by note: the newest acknowledged write of each key, and
/// for each running get the write it must see.
#[derive(Clone, Debug, Default)]
pub struct Freshness {
    acked: Vec<Acked>,
    running: Vec<(NodeId, u32, Acked)>,
    /// Gets that returned.
    pub reads: u32,
}

impl Freshness {
    /// A tracker with nothing seen.
    pub fn new() -> Freshness {
        Freshness {
            acked: vec![Acked::default(); usize::from(KEYS)],
            running: Vec::new(),
            reads: 0,
        }
    }

    /// Sees one note by `node` at true time `t`: a stale read, if this note returned one.
    pub fn see(&mut self, node: NodeId, note: &Note, t: u64) -> Option<StaleRead> {
        match note {
            Note::PutOk {
                key, version, acks, ..
            } => {
                let slot = self.acked.get_mut(index(*key)?)?;
                if *version > slot.version {
                    *slot = Acked {
                        version: *version,
                        at: t,
                        acks: acks.clone(),
                    };
                }
                None
            }
            Note::GetStart { op, key } => {
                let must = self.acked.get(index(*key)?)?.clone();
                self.running.push((node, *op, must));
                None
            }
            Note::GetOk {
                op,
                key,
                version,
                from,
            } => {
                let i = self
                    .running
                    .iter()
                    .position(|(n, o, _)| *n == node && o == op)?;
                let (_, _, must) = self.running.swap_remove(i);
                self.reads += 1;
                (*version < must.version).then(|| StaleRead {
                    client: node,
                    key: *key,
                    returned: *version,
                    from: from.clone(),
                    at: t,
                    missed: must,
                })
            }
            Note::GaveUp { op, .. } => {
                self.running.retain(|(n, o, _)| !(*n == node && o == op));
                None
            }
            _ => None,
        }
    }
}

/// The monitor behind `reads-see-acknowledged-writes`.
#[derive(Clone)]
struct ReadsSeeWrites(Freshness);

impl Monitor<Dynamo> for ReadsSeeWrites {
    fn on_event(
        &mut self,
        ev: &TraceEvent<Dynamo>,
        _: &WorldRef<'_, Dynamo>,
    ) -> Result<(), String> {
        if let Event::Note { node, note } = &ev.event {
            if let Some(stale) = self.0.see(*node, note, ev.t) {
                return Err(stale.sentence());
            }
        }
        Ok(())
    }
    fn clone_box(&self) -> Box<dyn Monitor<Dynamo>> {
        Box::new(self.clone())
    }
}

/// A storage node's store and hint count, from its durable copy while it is down.
pub fn stored(world: &WorldRef<'_, Dynamo>, node: NodeId) -> (Vec<Version>, usize) {
    match (world.state(node), world.durable(node)) {
        (Some(State::Storage(s)), _) => (s.store.clone(), s.hints.len()),
        (_, Some(Durable::Storage(store, hints))) => (store.clone(), hints.len()),
        _ => (vec![Version::default(); usize::from(KEYS)], 0),
    }
}

/// Whether every key's home nodes hold one version and no hint is left.
pub fn converged(world: &WorldRef<'_, Dynamo>) -> bool {
    let n = quorums(|name| world.option(name).unwrap_or("1")).n;
    let nodes: Vec<(Vec<Version>, usize)> = (0..STORAGE).map(|i| stored(world, i)).collect();
    nodes.iter().all(|(_, hints)| *hints == 0)
        && (1..=KEYS).all(|k| {
            let mut versions = preference_list(k, n)
                .into_iter()
                .map(|h| nodes[usize::from(h)].0[usize::from(k) - 1]);
            let first = versions.next();
            versions.all(|v| Some(v) == first)
        })
}

/// The store's properties.
pub fn properties() -> Vec<Property<Dynamo>> {
    vec![
        Property::monitor("reads-see-acknowledged-writes", PropKind::Always, || {
            Box::new(ReadsSeeWrites(Freshness::new()))
        }),
        Property::eventually("replicas-converge", CONVERGE_TICKS, converged),
    ]
}
