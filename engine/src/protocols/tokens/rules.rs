//! The client's session logic, behind [`SessionRules`]: what the token becomes after a write
//! and after a read, which replica a read goes to, and whether a replica may answer a request
//! now. The challenge installs the learner's script here; [`Reference`] is the answer.

use rhai::Dynamic;

use super::types::{Held, Token};
use crate::sim::protocol::NodeId;

/// What a replica tells its rule about itself when a request arrives or waits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ReplicaInfo {
    /// Its id.
    pub id: NodeId,
    /// Whether it leads its epoch.
    pub leader: bool,
    /// What it holds.
    pub held: Held,
    /// Its wall clock now (skewed).
    pub clock: u64,
}

/// A read or a write.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OpKind {
    /// A read.
    Read,
    /// A write.
    Write,
}

impl OpKind {
    /// `"read"` or `"write"`, as the script sees it.
    pub fn name(self) -> &'static str {
        match self {
            OpKind::Read => "read",
            OpKind::Write => "write",
        }
    }
}

/// The four decisions of a session (see the module documentation). Each returns `None` when
/// it cannot decide (a script that failed): the store then keeps the token, reads at home, or
/// answers as [`Reference`] would, and the check reports the script's error instead of the run.
pub trait SessionRules {
    /// The token after a write was accepted (`reply`: what the leader wrote, from `replica`).
    fn after_write(
        &self,
        token: &Token,
        reply: &Held,
        clock: u64,
        replica: NodeId,
    ) -> Option<Token>;
    /// The token after a read was answered (`reply`: what the replica held).
    fn after_read(&self, token: &Token, reply: &Held, clock: u64, replica: NodeId)
        -> Option<Token>;
    /// The replica a read's `attempt`-th try (from 0) goes to; `home` is the client's usual one.
    fn pick(&self, token: &Token, home: NodeId, attempt: u64) -> Option<NodeId>;
    /// Whether `replica` may answer a request with `token` now (else it waits).
    fn may_serve(&self, token: &Token, op: OpKind, replica: &ReplicaInfo) -> Option<bool>;
}

/// The reference: the token is the highest version the session has seen, read or written; a
/// read tries its home replica, then the next ones in turn; a replica serves a request once it
/// holds at least the token's version.
pub struct Reference;

/// The integer a token holds (0 for anything else).
fn as_version(token: &Token) -> i64 {
    token.0.as_int().unwrap_or(0)
}

fn max_token(token: &Token, version: u64) -> Token {
    let v = i64::try_from(version).unwrap_or(i64::MAX);
    Token(Dynamic::from_int(as_version(token).max(v)))
}

impl SessionRules for Reference {
    fn after_write(&self, token: &Token, reply: &Held, _: u64, _: NodeId) -> Option<Token> {
        Some(max_token(token, reply.version))
    }
    fn after_read(&self, token: &Token, reply: &Held, _: u64, _: NodeId) -> Option<Token> {
        Some(max_token(token, reply.version))
    }
    fn pick(&self, _: &Token, home: NodeId, attempt: u64) -> Option<NodeId> {
        Some(((u64::from(home) + attempt) % u64::from(super::REPLICAS)) as NodeId)
    }
    fn may_serve(&self, token: &Token, _: OpKind, replica: &ReplicaInfo) -> Option<bool> {
        Some(i64::try_from(replica.held.version).unwrap_or(i64::MAX) >= as_version(token))
    }
}
