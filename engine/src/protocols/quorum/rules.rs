//! The read coordinator's two decisions, behind [`ReadRules`]: when the replies gathered so
//! far are enough and which one is the answer, and which homes to repair with it. The challenge
//! installs the learner's script here; [`Reference`] is the answer.

use super::types::{ReadReply, Stored};
use crate::sim::protocol::NodeId;

/// A read's decision after a reply arrives.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decision {
    /// Not enough replies yet.
    Wait,
    /// Answer with this write (one of the replies).
    Answer(Stored),
}

/// The read coordinator's rules. Each returns `None` when it cannot decide (a script that
/// failed): the store then decides as [`Reference`] would, and the check reports the script's
/// error instead of the run.
pub trait ReadRules {
    /// After each reply: the replies so far, in arrival order, and R.
    fn read_result(&self, replies: &[ReadReply], r: usize) -> Option<Decision>;
    /// Once the read is answered with `chosen`: the replicas to repair (the store sends only
    /// to homes of the key).
    fn repairs(&self, replies: &[ReadReply], chosen: &Stored) -> Option<Vec<NodeId>>;
}

/// The reference: only homes' replies count; once R have replied, the answer is the one with
/// the highest version; the homes that replied with an older version are repaired.
pub struct Reference;

impl ReadRules for Reference {
    fn read_result(&self, replies: &[ReadReply], r: usize) -> Option<Decision> {
        let homes: Vec<Stored> = replies
            .iter()
            .filter(|x| !x.hinted)
            .map(|x| x.stored)
            .collect();
        if homes.len() < r {
            return Some(Decision::Wait);
        }
        // The first of the newest: replies of one version differ only in `written_at`.
        let newest = homes
            .into_iter()
            .reduce(|best, x| if x.version > best.version { x } else { best });
        Some(newest.map_or(Decision::Wait, Decision::Answer))
    }
    fn repairs(&self, replies: &[ReadReply], chosen: &Stored) -> Option<Vec<NodeId>> {
        Some(
            replies
                .iter()
                .filter(|x| !x.hinted && x.stored.version < chosen.version)
                .map(|x| x.replica)
                .collect(),
        )
    }
}
