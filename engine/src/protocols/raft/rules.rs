//! The three replaceable decisions (vote, accept entries, commit), the step-down rule, and the
//! known-wrong variants, each breaking one rule of Figure 2.

use super::*;

/// §5.1, "Rules for all servers": if an RPC request or response contains term `T >
/// currentTerm`, set `currentTerm = T` (forgetting the vote of the old term) and convert to
/// follower. Returns whether the term changed.
pub fn observe_term(s: &mut NodeState, term: Term) -> bool {
    if term <= s.persistent.current_term {
        return false;
    }
    s.persistent.current_term = term;
    s.persistent.voted_for = None;
    s.role = Role::Follower;
    s.leader = None;
    true
}

/// RequestVote receiver implementation (Figure 2; §5.2, §5.4.1). Called after
/// [`observe_term`], so `args.term <= currentTerm`.
///
/// 1. Reply false if `term < currentTerm` (§5.1).
/// 2. If `votedFor` is null or `candidateId`, and the candidate's log is at least as
///    up-to-date as the receiver's log, grant the vote (§5.2, §5.4): the log whose last entry
///    has the later term is more up-to-date; with equal last terms, the longer log is.
///
/// Granting records `votedFor`; the caller persists it before replying and resets the
/// election timer.
pub fn handle_request_vote(
    _cfg: &RaftCfg,
    s: &mut NodeState,
    args: &RequestVoteArgs,
) -> RequestVoteReply {
    let p = &mut s.persistent;
    let deny = RequestVoteReply {
        term: p.current_term,
        vote_granted: false,
    };
    if args.term < p.current_term {
        return deny;
    }
    let free = p.voted_for.is_none_or(|v| v == args.candidate_id);
    let up_to_date = (args.last_log_term, args.last_log_index) >= (p.last_term(), p.last_index());
    if !(free && up_to_date) {
        return deny;
    }
    p.voted_for = Some(args.candidate_id);
    RequestVoteReply {
        term: p.current_term,
        vote_granted: true,
    }
}

/// AppendEntries receiver implementation (Figure 2; §5.3). Called after [`observe_term`] and
/// after a candidate of the same term has become a follower, so `args.term <= currentTerm`.
///
/// 1. Reply false if `term < currentTerm` (§5.1).
/// 2. Reply false if the log does not contain an entry at `prevLogIndex` whose term matches
///    `prevLogTerm` (§5.3) — the consistency check behind Log Matching.
/// 3. If an existing entry conflicts with a new one (same index, different terms), delete the
///    existing entry and all that follow it (§5.3). An entry that matches is kept, and so is
///    everything after it: a delayed AppendEntries must never cut off entries a later one
///    added.
/// 4. Append any new entries not already in the log.
/// 5. If `leaderCommit > commitIndex`, set `commitIndex = min(leaderCommit, index of last new
///    entry)` (never lowering it).
pub fn handle_append_entries(
    _cfg: &RaftCfg,
    s: &mut NodeState,
    args: &AppendEntriesArgs,
) -> AppendEntriesReply {
    let term = s.persistent.current_term;
    let fail = AppendEntriesReply {
        term,
        success: false,
        match_index: 0,
    };
    if args.term < term {
        return fail;
    }
    if s.persistent.term_at(args.prev_log_index) != Some(args.prev_log_term) {
        return fail;
    }
    let log = &mut s.persistent.log;
    for (k, e) in args.entries.iter().enumerate() {
        let index = args.prev_log_index as usize + 1 + k;
        match log.get(index - 1) {
            Some(mine) if mine.term == e.term => {}
            Some(_) => {
                log.truncate(index - 1);
                log.push(e.clone());
            }
            None => log.push(e.clone()),
        }
    }
    let last_new = args.prev_log_index + args.entries.len() as Index;
    if args.leader_commit > s.commit_index {
        s.commit_index = s.commit_index.max(args.leader_commit.min(last_new));
    }
    AppendEntriesReply {
        term,
        success: true,
        match_index: last_new,
    }
}

/// The leader's commit rule (Figure 2, "Rules for servers: leaders"; §5.3, §5.4.2): if there
/// exists an `N > commitIndex` such that a majority of `matchIndex[i] ≥ N` (the leader counts
/// itself) and `log[N].term == currentTerm`, then `commitIndex = N`. Returns the new commit
/// index (the old one if no such `N`).
///
/// The term condition is the point of Figure 8: an entry from an earlier term may be stored
/// on a majority and still be overwritten by a later leader, so it is committed only
/// indirectly, when an entry of the current term above it commits.
pub fn leader_commit_index(_cfg: &RaftCfg, s: &NodeState) -> Index {
    let p = &s.persistent;
    let mut n = p.last_index();
    while n > s.commit_index {
        if p.term_at(n) == Some(p.current_term) && replicas(s, n) >= s.majority() {
            return n;
        }
        n -= 1;
    }
    s.commit_index
}

/// How many servers (the leader included) hold the entry at `index`.
pub(super) fn replicas(s: &NodeState, index: Index) -> usize {
    (0..s.nodes)
        .filter(|&i| i == s.me || s.match_index[usize::from(i)] >= index)
        .count()
}

/// The replaceable parts of Raft. Each method defaults to the reference implementation; a
/// learner's code (or a known-wrong variant) overrides some of them.
pub trait RaftHooks {
    /// A short name, e.g. `reference`.
    fn name(&self) -> &str {
        "custom"
    }
    /// Decide a RequestVote (see [`handle_request_vote`]).
    fn request_vote(
        &self,
        cfg: &RaftCfg,
        s: &mut NodeState,
        args: &RequestVoteArgs,
    ) -> RequestVoteReply {
        handle_request_vote(cfg, s, args)
    }
    /// Handle an AppendEntries (see [`handle_append_entries`]).
    fn append_entries(
        &self,
        cfg: &RaftCfg,
        s: &mut NodeState,
        args: &AppendEntriesArgs,
    ) -> AppendEntriesReply {
        handle_append_entries(cfg, s, args)
    }
    /// The leader's new commit index (see [`leader_commit_index`]).
    fn leader_commit(&self, cfg: &RaftCfg, s: &NodeState) -> Index {
        leader_commit_index(cfg, s)
    }
    /// The higher-term rule (see [`observe_term`]).
    fn observe_term(&self, s: &mut NodeState, term: Term) -> bool {
        observe_term(s, term)
    }
}

/// The reference implementation and known-wrong variants, each breaking one rule of Figure 2.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RaftVariant {
    /// Figure 2 as written.
    Reference,
    /// Grants votes without the up-to-date check of §5.4.1: a candidate missing committed
    /// entries can win and overwrite them (breaks leader completeness).
    NoUpToDateCheck,
    /// Grants a vote to every up-to-date candidate, ignoring `votedFor`: two leaders in one
    /// term (breaks election safety).
    VoteTwice,
    /// A leader that sees a higher term adopts it but stays leader (breaks election safety).
    NoStepDown,
    /// Accepts entries without the `prevLogIndex`/`prevLogTerm` check (breaks log matching).
    NoPrevLogCheck,
    /// Deletes everything after `prevLogIndex` before appending, even entries that match: a
    /// delayed AppendEntries erases acknowledged entries.
    TruncateMatching,
    /// Commits any entry stored on a majority, whatever its term (Figure 8).
    CommitOldTerm,
    /// Judges "at least as up-to-date" by log length alone (§5.4.1): a stale server with a
    /// longer log of an older term wins and overwrites committed entries (breaks leader
    /// completeness).
    UpToDateByLength,
    /// Checks the current term only for its last entry, then commits the highest entry on a
    /// majority: Figure 8 (c), where the leader's own entry is on no one else (breaks leader
    /// completeness).
    CommitIfLastEntryCurrent,
    /// Commits only what four of five servers store: safe, but with two servers down nothing
    /// commits (breaks progress with failures).
    CommitOnFourOfFive,
    /// A follower sets `commitIndex = leaderCommit`, even past the entries the message vouches
    /// for: a stale tail gets applied (breaks state machine safety).
    CommitToLeaderCommit,
}

impl RaftVariant {
    /// Every variant, the reference first.
    pub const ALL: [RaftVariant; 11] = [
        RaftVariant::Reference,
        RaftVariant::NoUpToDateCheck,
        RaftVariant::VoteTwice,
        RaftVariant::NoStepDown,
        RaftVariant::NoPrevLogCheck,
        RaftVariant::TruncateMatching,
        RaftVariant::CommitOldTerm,
        RaftVariant::UpToDateByLength,
        RaftVariant::CommitIfLastEntryCurrent,
        RaftVariant::CommitOnFourOfFive,
        RaftVariant::CommitToLeaderCommit,
    ];
}

/// Scenarios take either a built-in variant or any implementation of the hooks (a learner's).
impl From<RaftVariant> for Arc<dyn RaftHooks> {
    fn from(variant: RaftVariant) -> Self {
        Arc::new(variant)
    }
}

impl RaftHooks for RaftVariant {
    fn name(&self) -> &str {
        match self {
            RaftVariant::Reference => "reference",
            RaftVariant::NoUpToDateCheck => "no-up-to-date-check",
            RaftVariant::VoteTwice => "vote-twice",
            RaftVariant::NoStepDown => "no-step-down",
            RaftVariant::NoPrevLogCheck => "no-prev-log-check",
            RaftVariant::TruncateMatching => "truncate-matching",
            RaftVariant::CommitOldTerm => "commit-old-term",
            RaftVariant::UpToDateByLength => "up-to-date-by-length",
            RaftVariant::CommitIfLastEntryCurrent => "commit-if-last-entry-current",
            RaftVariant::CommitOnFourOfFive => "commit-on-four-of-five",
            RaftVariant::CommitToLeaderCommit => "commit-to-leader-commit",
        }
    }

    fn request_vote(
        &self,
        cfg: &RaftCfg,
        s: &mut NodeState,
        args: &RequestVoteArgs,
    ) -> RequestVoteReply {
        let p = &mut s.persistent;
        let term = p.current_term;
        match self {
            RaftVariant::NoUpToDateCheck => {
                let free = p.voted_for.is_none_or(|v| v == args.candidate_id);
                let grant = args.term == term && free;
                if grant {
                    p.voted_for = Some(args.candidate_id);
                }
                RequestVoteReply {
                    term,
                    vote_granted: grant,
                }
            }
            RaftVariant::VoteTwice => {
                let up_to_date =
                    (args.last_log_term, args.last_log_index) >= (p.last_term(), p.last_index());
                let grant = args.term == term && up_to_date;
                if grant {
                    p.voted_for = Some(args.candidate_id);
                }
                RequestVoteReply {
                    term,
                    vote_granted: grant,
                }
            }
            RaftVariant::UpToDateByLength => {
                let free = p.voted_for.is_none_or(|v| v == args.candidate_id);
                let grant = args.term == term && free && args.last_log_index >= p.last_index();
                if grant {
                    p.voted_for = Some(args.candidate_id);
                }
                RequestVoteReply {
                    term,
                    vote_granted: grant,
                }
            }
            _ => handle_request_vote(cfg, s, args),
        }
    }

    fn append_entries(
        &self,
        cfg: &RaftCfg,
        s: &mut NodeState,
        args: &AppendEntriesArgs,
    ) -> AppendEntriesReply {
        let term = s.persistent.current_term;
        let ok = |match_index| AppendEntriesReply {
            term,
            success: true,
            match_index,
        };
        match self {
            RaftVariant::NoPrevLogCheck if args.term == term => {
                // Writes the entries at their indices, or at the end of a shorter log.
                let log = &mut s.persistent.log;
                for (k, e) in args.entries.iter().enumerate() {
                    let index = args.prev_log_index as usize + k;
                    match log.get(index) {
                        Some(mine) if mine.term == e.term => {}
                        Some(_) => {
                            log.truncate(index);
                            log.push(e.clone());
                        }
                        None => log.push(e.clone()),
                    }
                }
                let last_new = args.prev_log_index + args.entries.len() as Index;
                if args.leader_commit > s.commit_index {
                    s.commit_index = s
                        .commit_index
                        .max(args.leader_commit.min(last_new))
                        .min(s.persistent.last_index());
                }
                ok(last_new)
            }
            RaftVariant::TruncateMatching
                if args.term == term
                    && s.persistent.term_at(args.prev_log_index) == Some(args.prev_log_term) =>
            {
                let log = &mut s.persistent.log;
                log.truncate(args.prev_log_index as usize);
                log.extend(args.entries.iter().cloned());
                let last_new = args.prev_log_index + args.entries.len() as Index;
                if args.leader_commit > s.commit_index {
                    s.commit_index = s.commit_index.max(args.leader_commit.min(last_new));
                }
                ok(last_new)
            }
            RaftVariant::CommitToLeaderCommit => {
                let commit = s.commit_index;
                let reply = handle_append_entries(cfg, s, args);
                if reply.success {
                    s.commit_index = commit.max(args.leader_commit);
                }
                reply
            }
            _ => handle_append_entries(cfg, s, args),
        }
    }

    fn leader_commit(&self, cfg: &RaftCfg, s: &NodeState) -> Index {
        match self {
            RaftVariant::CommitOldTerm => {
                let mut n = s.persistent.last_index();
                while n > s.commit_index {
                    if replicas(s, n) >= s.majority() {
                        return n;
                    }
                    n -= 1;
                }
                s.commit_index
            }
            RaftVariant::CommitIfLastEntryCurrent => {
                let p = &s.persistent;
                if p.last_term() != p.current_term {
                    return s.commit_index;
                }
                let mut n = p.last_index();
                while n > s.commit_index && replicas(s, n) < s.majority() {
                    n -= 1;
                }
                n
            }
            RaftVariant::CommitOnFourOfFive => {
                let p = &s.persistent;
                let mut n = p.last_index();
                while n > s.commit_index {
                    if p.term_at(n) == Some(p.current_term) && replicas(s, n) > s.majority() {
                        return n;
                    }
                    n -= 1;
                }
                s.commit_index
            }
            _ => leader_commit_index(cfg, s),
        }
    }

    fn observe_term(&self, s: &mut NodeState, term: Term) -> bool {
        match self {
            RaftVariant::NoStepDown if s.role == Role::Leader => {
                if term <= s.persistent.current_term {
                    return false;
                }
                s.persistent.current_term = term;
                s.persistent.voted_for = None;
                true
            }
            _ => observe_term(s, term),
        }
    }
}
