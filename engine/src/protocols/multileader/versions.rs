//! Versions of the cart and the two rules that decide which versions a replica keeps.
//!
//! Every version carries both a wall-clock [`Stamp`] and a [`VersionVector`], so the live
//! `resolve` option can switch rules mid-run; each rule reads only its own half:
//!
//! - [`lww`] keeps the one version with the highest stamp (wall clock, then datacenter):
//!   a total order, so replicas agree, but every other version is thrown away — concurrent
//!   or not, later in real time or not.
//! - [`vectors`] keeps every version that no other version descends from (Parker et al.
//!   1983): a version dominated by another is obsolete and goes; concurrent ones stay side by
//!   side as siblings until a client merges them.
//!
//! Both are join-semilattice merges (commutative, associative, idempotent), which is why
//! replicas that have received the same versions in any order hold the same siblings.

use std::collections::BTreeSet;
use std::fmt;

use crate::hash::{Canon, Fnv64};
use crate::sim::protocol::NodeId;

/// Datacenters (and leaders): n0, n1, n2.
pub const DCS: usize = 3;

/// The datacenters' names, by leader id.
pub const DC_NAMES: [&str; DCS] = ["us", "eu", "ap"];

/// The name of datacenter `dc` (`n<dc>` past the three).
pub fn dc_name(dc: NodeId) -> String {
    DC_NAMES
        .get(usize::from(dc))
        .map_or_else(|| format!("n{dc}"), ToString::to_string)
}

/// A shopping cart: a set of items.
pub type Cart = BTreeSet<String>;

/// The cart as `{book,pen}`.
pub fn show_cart(cart: &Cart) -> String {
    let items: Vec<&str> = cart.iter().map(String::as_str).collect();
    format!("{{{}}}", items.join(","))
}

/// Canonical bytes of a cart.
pub fn canon_cart(cart: &Cart, h: &mut Fnv64) {
    h.u64(cart.len() as u64);
    for item in cart {
        h.str(item);
    }
}

/// One counter per datacenter: entry `d` counts the writes datacenter `d` accepted that this
/// version has seen (its own included).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct VersionVector(pub [u32; DCS]);

/// How two version vectors are ordered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Order {
    /// The same counters: the same version.
    Equal,
    /// The first has seen everything the second has, and more: the second is obsolete.
    Dominates,
    /// The second dominates the first.
    DominatedBy,
    /// Each has seen a write the other has not: neither may be thrown away.
    Concurrent,
}

impl VersionVector {
    /// How `self` is ordered against `other`.
    pub fn compare(&self, other: &VersionVector) -> Order {
        match (self.descends(other), other.descends(self)) {
            (true, true) => Order::Equal,
            (true, false) => Order::Dominates,
            (false, true) => Order::DominatedBy,
            (false, false) => Order::Concurrent,
        }
    }

    /// Whether `self` has seen every write `other` has (entrywise `>=`; equal included).
    pub fn descends(&self, other: &VersionVector) -> bool {
        self.0.iter().zip(&other.0).all(|(a, b)| a >= b)
    }

    /// The entrywise maximum: everything either has seen.
    pub fn join(&self, other: &VersionVector) -> VersionVector {
        let mut out = *self;
        for (a, b) in out.0.iter_mut().zip(&other.0) {
            *a = (*a).max(*b);
        }
        out
    }

    /// The same vector with datacenter `dc`'s entry set to `counter`.
    pub fn with(&self, dc: NodeId, counter: u32) -> VersionVector {
        let mut out = *self;
        if let Some(entry) = out.0.get_mut(usize::from(dc)) {
            *entry = counter;
        }
        out
    }

    /// The counters alone, `2·1·0`, for a narrow cell.
    pub fn short(&self) -> String {
        let parts: Vec<String> = self.0.iter().map(ToString::to_string).collect();
        parts.join("·")
    }
}

impl fmt::Display for VersionVector {
    /// `[us:2 eu:1 ap:0]`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let parts: Vec<String> = self
            .0
            .iter()
            .zip(DC_NAMES)
            .map(|(n, dc)| format!("{dc}:{n}"))
            .collect();
        write!(f, "[{}]", parts.join(" "))
    }
}

/// A write's wall-clock timestamp as last-writer-wins orders it: the accepting leader's clock,
/// ties broken by datacenter.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct Stamp {
    /// The accepting leader's clock when it accepted the write (skewed: not the true time).
    pub wall: u64,
    /// The accepting datacenter.
    pub dc: NodeId,
}

impl fmt::Display for Stamp {
    /// `300@us`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}@{}", self.wall, dc_name(self.dc))
    }
}

/// One version of the cart. The order (stamp first) is last-writer-wins' order; it also
/// keeps sibling lists canonical.
#[derive(Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct Version {
    /// When and where it was written, by the wall clock.
    pub stamp: Stamp,
    /// Which writes it has seen.
    pub vv: VersionVector,
    /// The cart.
    pub cart: Cart,
}

impl fmt::Display for Version {
    /// `{book,pen} 300@us [us:1 eu:1 ap:0]`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {} {}", show_cart(&self.cart), self.stamp, self.vv)
    }
}

impl Canon for Version {
    fn canon(&self, h: &mut Fnv64) {
        h.u64(self.stamp.wall);
        self.stamp.dc.canon(h);
        for n in self.vv.0 {
            h.u32(n);
        }
        canon_cart(&self.cart, h);
    }
}

/// Canonical bytes of a sibling list.
pub fn canon_versions(versions: &[Version], h: &mut Fnv64) {
    h.u64(versions.len() as u64);
    for v in versions {
        v.canon(h);
    }
}

/// The carts of a sibling list, `{book}|{pen}`.
pub fn show_carts(versions: &[Version]) -> String {
    let carts: Vec<String> = versions.iter().map(|v| show_cart(&v.cart)).collect();
    carts.join("|")
}

/// How a replica resolves versions of one key: the live option `resolve`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Resolve {
    /// Last writer wins, by wall-clock stamp.
    Lww,
    /// Version vectors with siblings.
    Vectors,
}

/// What a replica holds after a version arrives, and what it threw away.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Kept {
    /// The siblings now, in [`Version`] order.
    pub siblings: Vec<Version>,
    /// Versions thrown away: held ones that lost, and under `lww` an arriving one that lost
    /// (under `vectors` an arriving version that a held one descends from is old news, not
    /// a loss: its items are in the version that descends from it).
    pub dropped: Vec<Version>,
}

/// The siblings after `incoming` arrives at a replica holding `siblings`, under `rule`.
pub fn keep(rule: Resolve, siblings: &[Version], incoming: &Version) -> Kept {
    match rule {
        Resolve::Lww => lww(siblings, incoming),
        Resolve::Vectors => vectors(siblings, incoming),
    }
}

/// Last writer wins: the one version with the highest stamp survives.
pub fn lww(siblings: &[Version], incoming: &Version) -> Kept {
    let mut all: Vec<Version> = siblings.to_vec();
    if !all.contains(incoming) {
        all.push(incoming.clone());
    }
    all.sort();
    let winner = all.pop().into_iter().collect();
    Kept {
        siblings: winner,
        dropped: all,
    }
}

/// Version vectors: `incoming` is ignored if a sibling descends from it; otherwise it joins
/// the siblings and every sibling it dominates goes.
pub fn vectors(siblings: &[Version], incoming: &Version) -> Kept {
    if siblings.iter().any(|s| s.vv == incoming.vv) {
        return Kept {
            siblings: siblings.to_vec(),
            dropped: Vec::new(),
        };
    }
    if siblings.iter().any(|s| s.vv.descends(&incoming.vv)) {
        // Old news: something held has already seen it.
        return Kept {
            siblings: siblings.to_vec(),
            dropped: Vec::new(),
        };
    }
    let (dropped, mut kept): (Vec<Version>, Vec<Version>) = siblings
        .iter()
        .cloned()
        .partition(|s| incoming.vv.compare(&s.vv) == Order::Dominates);
    kept.push(incoming.clone());
    kept.sort();
    Kept {
        siblings: kept,
        dropped,
    }
}

/// Every version of `incoming` merged into `siblings`, one at a time (the order does not
/// matter); the dropped versions in the order they went.
pub fn merge_all(rule: Resolve, siblings: &[Version], incoming: &[Version]) -> Kept {
    let mut out = Kept {
        siblings: siblings.to_vec(),
        dropped: Vec::new(),
    };
    for v in incoming {
        let next = keep(rule, &out.siblings, v);
        out.siblings = next.siblings;
        out.dropped.extend(next.dropped);
    }
    out
}

/// What a client makes of the siblings it read: the union of their carts (the Dynamo
/// shopping cart's merge: an added item is never lost) and the join of their vectors (the
/// context its write-back carries, which dominates every sibling it merged).
pub fn merge_siblings(siblings: &[Version]) -> (Cart, VersionVector) {
    siblings
        .iter()
        .fold((Cart::new(), VersionVector::default()), |(cart, vv), s| {
            (cart.union(&s.cart).cloned().collect(), vv.join(&s.vv))
        })
}
