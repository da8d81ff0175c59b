//! The decisions a learner could get wrong, behind [`PaxosHooks`], and the known-wrong
//! variants, each breaking one rule of "Paxos Made Simple".

use super::*;

/// The reference implementation and known-wrong variants, each breaking one rule.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PaxosVariant {
    /// "Paxos Made Simple" as written.
    Reference,
    /// An acceptor accepts any `Accept`, even for a ballot below the one it promised: the
    /// promise of phase 1 means nothing (breaks agreement).
    AcceptBelowPromise,
    /// A proposer ignores the proposals reported in promises and proposes its own value: a
    /// chosen value is overwritten by a later ballot (breaks agreement).
    IgnorePromisedValues,
    /// An acceptor keeps its promises in memory only (its accepted proposal is persisted): after
    /// a restart it accepts a ballot it had promised to ignore (breaks agreement).
    ForgetPromises,
}

impl PaxosVariant {
    /// Every variant, the reference first.
    pub const ALL: [PaxosVariant; 4] = [
        PaxosVariant::Reference,
        PaxosVariant::AcceptBelowPromise,
        PaxosVariant::IgnorePromisedValues,
        PaxosVariant::ForgetPromises,
    ];

    /// Its name.
    pub fn name(self) -> &'static str {
        match self {
            PaxosVariant::Reference => "reference",
            PaxosVariant::AcceptBelowPromise => "accept-below-promise",
            PaxosVariant::IgnorePromisedValues => "ignore-promised-values",
            PaxosVariant::ForgetPromises => "forget-promises",
        }
    }
}

/// §2.2, phase 2a: the value to propose with a majority of promises — the value of the
/// highest-numbered proposal reported, or the proposer's own if none was.
pub fn choose_value(highest: Option<&Proposal>, own: &Value) -> Value {
    highest.map_or_else(|| own.clone(), |(_, v)| v.clone())
}

/// §2.2 phase 2b: an acceptor may accept a proposal numbered `ballot` unless it has promised
/// a higher-numbered one.
pub fn may_accept(promised: Ballot, ballot: Ballot) -> bool {
    ballot >= promised
}

/// The replaceable parts of Paxos. Each method defaults to the reference; a known-wrong
/// variant (or a learner's code) overrides some of them.
pub trait PaxosHooks {
    /// A short name, e.g. `reference`.
    fn name(&self) -> &str {
        "custom"
    }
    /// Phase 2b: may an acceptor that promised `promised` accept `ballot`? (See
    /// [`may_accept`].)
    fn may_accept(&self, promised: Ballot, ballot: Ballot) -> bool {
        may_accept(promised, ballot)
    }
    /// Phase 2a: the value to propose, given the highest-numbered proposal the promises
    /// reported (see [`choose_value`]).
    fn choose_value(&self, highest: Option<&Proposal>, own: &Value) -> Value {
        choose_value(highest, own)
    }
    /// §2.5: what stable storage keeps of the acceptor, given its state in memory and what is
    /// on disk now. The reference keeps all of it.
    fn stored_acceptor(&self, acceptor: &Acceptor, _on_disk: &Acceptor) -> Acceptor {
        acceptor.clone()
    }
}

/// Scenarios take either a built-in variant or any implementation of the hooks.
impl From<PaxosVariant> for Arc<dyn PaxosHooks> {
    fn from(variant: PaxosVariant) -> Self {
        Arc::new(variant)
    }
}

impl PaxosHooks for PaxosVariant {
    fn name(&self) -> &str {
        PaxosVariant::name(*self)
    }

    fn may_accept(&self, promised: Ballot, ballot: Ballot) -> bool {
        *self == PaxosVariant::AcceptBelowPromise || may_accept(promised, ballot)
    }

    fn choose_value(&self, highest: Option<&Proposal>, own: &Value) -> Value {
        match self {
            PaxosVariant::IgnorePromisedValues => own.clone(),
            _ => choose_value(highest, own),
        }
    }

    fn stored_acceptor(&self, acceptor: &Acceptor, on_disk: &Acceptor) -> Acceptor {
        let mut stored = acceptor.clone();
        if *self == PaxosVariant::ForgetPromises {
            stored.promised = on_disk.promised;
        }
        stored
    }
}
