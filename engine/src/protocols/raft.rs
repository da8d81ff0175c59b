//! Lesson: Raft (Ongaro and Ousterhout, "In Search of an Understandable Consensus Algorithm",
//! USENIX ATC 2014) — a replicated log that stays consistent through crashes, partitions, lost
//! and reordered messages, as long as a majority can eventually talk.
//!
//! The code follows Figure 2 of the paper rule by rule:
//!
//! * **State.** Persistent on all servers: `currentTerm`, `votedFor`, `log[]` ([`Persistent`],
//!   written with `persist` before the node answers or sends anything that depends on it).
//!   Volatile on all servers: `commitIndex`, `lastApplied`; on leaders: `nextIndex[]`,
//!   `matchIndex[]` ([`NodeState`]).
//! * **Rules for all servers** (§5.1): apply committed entries in log order; a request or
//!   response with a higher term makes a node adopt that term and become a follower
//!   ([`observe_term`]).
//! * **RequestVote** (§5.2, §5.4.1): [`handle_request_vote`].
//! * **AppendEntries** (§5.3): [`handle_append_entries`].
//! * **Leaders** (§5.3, §5.4.2): [`leader_commit_index`] — commit by counting replicas only for
//!   entries of the current term (Figure 8).
//!
//! Following §8, a new leader appends a no-op entry of its own term so that entries of earlier
//! terms commit without waiting for a client ([`RaftCfg::noop_on_election`]). A follower that
//! knows the leader forwards client commands to it (as etcd's raft does), so a client may talk
//! to any node.
//!
//! The three decisions a learner re-implements — granting a vote, accepting entries, advancing
//! the leader's commit index — are pure functions behind the [`RaftHooks`] trait; the
//! [`RaftVariant`] enum holds the reference and a catalogue of classic mistakes, each caught by
//! one of the properties below (see `engine/tests/raft.rs`). Every scenario constructor takes
//! either a variant or any `Arc<dyn RaftHooks>`, which is how a learner's script runs in the
//! same scenarios (`challenge::raft`).
//!
//! Properties (Figure 3): `election-safety`, `leader-append-only`, `log-matching`,
//! `leader-completeness`, `state-machine-safety`; liveness: `leader-elected` and
//! `log-committed` after the network heals, and, with servers down, the [`ProgressPhase`]s of
//! two scripted scenarios (`progress-minority-down`, `progress-leader-down`). Properties that speak of the past read *ghost*
//! state ([`Ghost`]): a record kept in the durable state for verification only, never read by
//! the protocol.

use std::fmt;
use std::rc::Rc;
use std::sync::Arc;

use crate::hash::{Canon, Fnv64};
use crate::sim::panel::{Cell, Grid, GridRow, Panel};
use crate::sim::protocol::{Ctx, NodeId, NodeView, Protocol};
use crate::sim::spec::{Action, Override, When};
use crate::sim::world::{LinkCfg, Property, Scenario, Status, WorldRef};

/// A term number (§5.1): a logical clock; each term has at most one leader.
pub type Term = u64;
/// A log index, starting at 1 (index 0 is the empty prefix, of term 0).
pub type Index = u64;

/// The command a no-op entry carries (§8).
pub const NOOP: &str = "noop";

/// One log entry: the term in which a leader created it and the state machine command.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    /// Term of the leader that created the entry.
    pub term: Term,
    /// The command, e.g. `put.x.1`.
    pub command: Rc<str>,
}

impl Canon for Entry {
    fn canon(&self, h: &mut Fnv64) {
        h.u64(self.term);
        h.str(&self.command);
    }
}

/// Persistent state on all servers (Figure 2), updated on stable storage before responding to
/// RPCs.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Persistent {
    /// Latest term the server has seen (0 on first boot, increases monotonically).
    pub current_term: Term,
    /// Candidate that received this server's vote in the current term.
    pub voted_for: Option<NodeId>,
    /// Log entries; `log[0]` has index 1.
    pub log: Vec<Entry>,
}

impl Persistent {
    /// Index of the last entry (0 when empty).
    pub fn last_index(&self) -> Index {
        self.log.len() as Index
    }
    /// Term of the last entry (0 when empty).
    pub fn last_term(&self) -> Term {
        self.log.last().map_or(0, |e| e.term)
    }
    /// Term of the entry at `index`: `Some(0)` for index 0, `None` past the end.
    pub fn term_at(&self, index: Index) -> Option<Term> {
        if index == 0 {
            return Some(0);
        }
        self.log.get(index as usize - 1).map(|e| e.term)
    }
    /// The entry at `index` (1-based).
    pub fn entry(&self, index: Index) -> Option<&Entry> {
        index.checked_sub(1).and_then(|i| self.log.get(i as usize))
    }
}

/// Where a leader declared an entry committed: in `term`, everything up to `index` (whose
/// entry has `entry_term`) was committed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CommitMark {
    /// The leader's term when it advanced its commit index.
    pub term: Term,
    /// The new commit index.
    pub index: Index,
    /// Term of the entry at `index`.
    pub entry_term: Term,
}

/// Ghost (verification-only) state: a history the properties read and the protocol never does.
/// It lives in the durable state so that it outlasts crashes.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Ghost {
    /// Terms in which this node became leader.
    pub led_terms: Vec<Term>,
    /// Commit points this node declared as leader, the latest per term.
    pub commits: Vec<CommitMark>,
    /// The longest sequence of commands this node's state machine ever applied.
    pub applied: Vec<Rc<str>>,
    /// Terms in which this node, while leader, deleted or overwrote entries of its own log.
    pub rewrote_as_leader: Vec<Term>,
}

/// What survives a crash: Figure 2's persistent state, plus the ghost record.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Durable {
    /// currentTerm, votedFor, log.
    pub raft: Persistent,
    /// Verification-only history.
    pub ghost: Ghost,
}

/// A server's role (§5.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Role {
    /// Passive: answers leaders and candidates.
    Follower,
    /// Asking for votes.
    Candidate,
    /// Handles clients and replicates the log.
    Leader,
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Role::Follower => "follower",
            Role::Candidate => "candidate",
            Role::Leader => "leader",
        })
    }
}

/// A server's whole state: the persistent part (mirrored to storage) and the volatile part.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NodeState {
    /// This server's id.
    pub me: NodeId,
    /// Cluster size.
    pub nodes: u16,
    /// currentTerm, votedFor, log.
    pub persistent: Persistent,
    /// Follower, candidate or leader.
    pub role: Role,
    /// Index of the highest entry known to be committed.
    pub commit_index: Index,
    /// Index of the highest entry applied to the state machine.
    pub last_applied: Index,
    /// The leader of the current term, when known.
    pub leader: Option<NodeId>,
    /// Candidates: who granted a vote in this term (index = node id).
    pub votes: Vec<bool>,
    /// Leaders: for each server, index of the next entry to send.
    pub next_index: Vec<Index>,
    /// Leaders: for each server, index of the highest entry known to be replicated there.
    pub match_index: Vec<Index>,
    /// The state machine: every applied command, in order.
    pub applied: Vec<Rc<str>>,
    /// Leaders: client commands awaiting commit, as (index, term).
    pub pending: Vec<(Index, Term)>,
    /// Verification-only history (see [`Ghost`]).
    pub ghost: Ghost,
}

impl NodeState {
    fn new(me: NodeId, nodes: u16, restored: Option<&Durable>) -> NodeState {
        let d = restored.cloned().unwrap_or_default();
        let n = usize::from(nodes);
        NodeState {
            me,
            nodes,
            persistent: d.raft,
            role: Role::Follower,
            commit_index: 0,
            last_applied: 0,
            leader: None,
            votes: vec![false; n],
            next_index: vec![1; n],
            match_index: vec![0; n],
            applied: Vec::new(),
            pending: Vec::new(),
            ghost: d.ghost,
        }
    }
    /// A majority of the cluster.
    pub fn majority(&self) -> usize {
        usize::from(self.nodes) / 2 + 1
    }
    fn durable(&self) -> Durable {
        Durable {
            raft: self.persistent.clone(),
            ghost: self.ghost.clone(),
        }
    }
}

/// RequestVote RPC arguments (Figure 2), sent by candidates (§5.2).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RequestVoteArgs {
    /// Candidate's term.
    pub term: Term,
    /// Candidate requesting the vote.
    pub candidate_id: NodeId,
    /// Index of the candidate's last log entry (§5.4).
    pub last_log_index: Index,
    /// Term of the candidate's last log entry (§5.4).
    pub last_log_term: Term,
}

/// RequestVote RPC results.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RequestVoteReply {
    /// currentTerm, for the candidate to update itself.
    pub term: Term,
    /// True means the candidate received the vote.
    pub vote_granted: bool,
}

/// AppendEntries RPC arguments (Figure 2), sent by leaders to replicate entries (§5.3) and as
/// heartbeats (§5.2).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AppendEntriesArgs {
    /// Leader's term.
    pub term: Term,
    /// So followers can redirect clients.
    pub leader_id: NodeId,
    /// Index of the log entry immediately preceding the new ones.
    pub prev_log_index: Index,
    /// Term of the `prev_log_index` entry.
    pub prev_log_term: Term,
    /// Entries to store (empty for a heartbeat).
    pub entries: Vec<Entry>,
    /// Leader's commitIndex.
    pub leader_commit: Index,
}

/// AppendEntries RPC results. `match_index` is the index up to which the follower's log now
/// matches the leader's (valid when `success`); it lets the leader handle reordered replies.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AppendEntriesReply {
    /// currentTerm, for the leader to update itself.
    pub term: Term,
    /// True if the follower contained an entry matching `prev_log_index` and `prev_log_term`.
    pub success: bool,
    /// `prev_log_index + entries.len()` on success.
    pub match_index: Index,
}

/// Messages between servers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Msg {
    /// RequestVote RPC.
    RequestVote(RequestVoteArgs),
    /// RequestVote response.
    VoteReply(RequestVoteReply),
    /// AppendEntries RPC.
    AppendEntries(AppendEntriesArgs),
    /// AppendEntries response.
    AppendReply(AppendEntriesReply),
    /// A follower hands a client command to the leader it knows.
    Forward(Rc<str>),
}

impl fmt::Display for Msg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Msg::RequestVote(a) => write!(
                f,
                "RequestVote{{t:{},last:{}/{}}}",
                a.term, a.last_log_index, a.last_log_term
            ),
            Msg::VoteReply(r) => write!(
                f,
                "VoteReply{{t:{},{}}}",
                r.term,
                if r.vote_granted { "granted" } else { "denied" }
            ),
            Msg::AppendEntries(a) => write!(
                f,
                "AppendEntries{{t:{},prev:{}/{},n:{},c:{}}}",
                a.term,
                a.prev_log_index,
                a.prev_log_term,
                a.entries.len(),
                a.leader_commit
            ),
            Msg::AppendReply(r) if r.success => {
                write!(f, "AppendReply{{t:{},ok,match:{}}}", r.term, r.match_index)
            }
            Msg::AppendReply(r) => write!(f, "AppendReply{{t:{},fail}}", r.term),
            Msg::Forward(c) => write!(f, "Forward{{{c}}}"),
        }
    }
}

impl Canon for Msg {
    fn canon(&self, h: &mut Fnv64) {
        match self {
            Msg::RequestVote(a) => {
                h.u8(0);
                h.u64(a.term);
                a.candidate_id.canon(h);
                h.u64(a.last_log_index);
                h.u64(a.last_log_term);
            }
            Msg::VoteReply(r) => {
                h.u8(1);
                h.u64(r.term);
                r.vote_granted.canon(h);
            }
            Msg::AppendEntries(a) => {
                h.u8(2);
                h.u64(a.term);
                a.leader_id.canon(h);
                h.u64(a.prev_log_index);
                h.u64(a.prev_log_term);
                h.u64(a.entries.len() as u64);
                for e in &a.entries {
                    e.canon(h);
                }
                h.u64(a.leader_commit);
            }
            Msg::AppendReply(r) => {
                h.u8(3);
                h.u64(r.term);
                r.success.canon(h);
                h.u64(r.match_index);
            }
            Msg::Forward(c) => {
                h.u8(4);
                h.str(c);
            }
        }
    }
}

/// Timers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Timer {
    /// Followers and candidates: no leader heard from — start an election (§5.2).
    Election,
    /// Leaders: send AppendEntries (heartbeats) to every follower.
    Heartbeat,
}

impl fmt::Display for Timer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Timer::Election => "election",
            Timer::Heartbeat => "heartbeat",
        })
    }
}

impl Canon for Timer {
    fn canon(&self, h: &mut Fnv64) {
        h.u8(*self as u8);
    }
}

/// Trace notes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Note {
    /// Election timeout: a new election in this term.
    Candidate(Term),
    /// Won the election of this term.
    Leader(Term),
    /// Saw a higher term and became a follower.
    StepDown(Term),
    /// A conflicting suffix from this index on was deleted.
    Truncated(Index),
    /// The commit index advanced to this index.
    Commit(Index),
}

impl fmt::Display for Note {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Note::Candidate(t) => write!(f, "election timeout: candidate in term {t}"),
            Note::Leader(t) => write!(f, "leader of term {t}"),
            Note::StepDown(t) => write!(f, "saw term {t}: follower"),
            Note::Truncated(i) => write!(f, "conflict: log truncated from {i}"),
            Note::Commit(i) => write!(f, "commit index {i}"),
        }
    }
}

impl Canon for Note {
    fn canon(&self, h: &mut Fnv64) {
        let (tag, v) = match self {
            Note::Candidate(t) => (0, *t),
            Note::Leader(t) => (1, *t),
            Note::StepDown(t) => (2, *t),
            Note::Truncated(i) => (3, *i),
            Note::Commit(i) => (4, *i),
        };
        h.u8(tag);
        h.u64(v);
    }
}

/// A client command: its text, e.g. `put.x.1`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Command(pub Rc<str>);

impl fmt::Display for Command {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl Canon for Command {
    fn canon(&self, h: &mut Fnv64) {
        h.str(&self.0);
    }
}

/// What a node tells its client.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reply {
    /// The command committed and was applied at this index.
    Committed(Index),
    /// Not the leader: the command was forwarded to this leader (no reply will follow here).
    Forwarded(NodeId),
    /// No leader known: try again later.
    NoLeader,
    /// The leader lost its office before the command at this index committed: the outcome is
    /// unknown (it may still commit under a later leader).
    Unknown(Index),
}

impl fmt::Display for Reply {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Reply::Committed(i) => write!(f, "committed at {i}"),
            Reply::Forwarded(n) => write!(f, "forwarded to leader n{n}"),
            Reply::NoLeader => f.write_str("no leader known, retry"),
            Reply::Unknown(i) => write!(f, "outcome unknown (index {i})"),
        }
    }
}

impl Canon for Reply {
    fn canon(&self, h: &mut Fnv64) {
        match self {
            Reply::Committed(i) => {
                h.u8(0);
                h.u64(*i);
            }
            Reply::Forwarded(n) => {
                h.u8(1);
                n.canon(h);
            }
            Reply::NoLeader => h.u8(2),
            Reply::Unknown(i) => {
                h.u8(3);
                h.u64(*i);
            }
        }
    }
}

/// Timing and batching.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RaftCfg {
    /// Election timeouts are drawn uniformly from `election_min_ticks..=election_max_ticks`
    /// (§5.2: randomized to make split votes rare).
    pub election_min_ticks: u64,
    /// Upper end of the election timeout.
    pub election_max_ticks: u64,
    /// A leader sends AppendEntries to every follower this often (well below the election
    /// timeout: broadcastTime ≪ electionTimeout, §5.6).
    pub heartbeat_ticks: u64,
    /// Most entries in one AppendEntries.
    pub max_entries_per_append: usize,
    /// A new leader appends a no-op entry of its term (§8).
    pub noop_on_election: bool,
}

impl Default for RaftCfg {
    fn default() -> Self {
        RaftCfg {
            election_min_ticks: 150,
            election_max_ticks: 300,
            heartbeat_ticks: 50,
            max_entries_per_append: 8,
            noop_on_election: true,
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The three replaceable decisions, and the step-down rule.
// ---------------------------------------------------------------------------------------------

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
fn replicas(s: &NodeState, index: Index) -> usize {
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

// ---------------------------------------------------------------------------------------------
// The protocol: message dispatch, timers, clients.
// ---------------------------------------------------------------------------------------------

/// Raft with its timing and the implementation of its replaceable parts.
#[derive(Clone)]
pub struct Raft {
    /// Timing and batching.
    pub cfg: RaftCfg,
    /// The vote, append and commit decisions (the reference: [`RaftVariant::Reference`]).
    pub hooks: Arc<dyn RaftHooks>,
}

impl fmt::Debug for Raft {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Raft")
            .field("cfg", &self.cfg)
            .field("hooks", &self.hooks.name())
            .finish()
    }
}

impl Raft {
    /// Raft with these timings and one of the built-in variants.
    pub fn new(cfg: RaftCfg, variant: RaftVariant) -> Raft {
        Raft {
            cfg,
            hooks: Arc::new(variant),
        }
    }

    fn election_timeout(&self, ctx: &mut Ctx<'_, Self>) -> u64 {
        ctx.random_range(self.cfg.election_min_ticks, self.cfg.election_max_ticks)
    }

    fn reset_election_timer(&self, ctx: &mut Ctx<'_, Self>) {
        let t = self.election_timeout(ctx);
        ctx.set_timer(Timer::Election, t);
    }

    /// Apply the higher-term rule to a term seen in any request or response.
    fn see_term(&self, s: &mut NodeState, term: Term, ctx: &mut Ctx<'_, Self>) {
        let was = s.role;
        if self.hooks.observe_term(s, term) {
            if was == Role::Leader && s.role != Role::Leader {
                ctx.cancel_timer(Timer::Heartbeat);
                self.reset_election_timer(ctx);
                for (index, _) in std::mem::take(&mut s.pending) {
                    ctx.reply(Reply::Unknown(index));
                }
            }
            if was != Role::Follower && s.role == Role::Follower {
                ctx.note(Note::StepDown(term));
            }
        }
    }

    /// Persist if Figure 2's persistent state or the ghost record changed since `before`.
    fn persist_if_changed(&self, s: &NodeState, before: &Durable, ctx: &mut Ctx<'_, Self>) {
        if s.persistent != before.raft || s.ghost != before.ghost {
            ctx.persist(s.durable());
        }
    }

    /// §5.2: on election timeout, increment currentTerm, vote for self, and send RequestVote
    /// to all other servers.
    fn start_election(&self, s: &mut NodeState, ctx: &mut Ctx<'_, Self>) {
        s.persistent.current_term += 1;
        s.persistent.voted_for = Some(s.me);
        s.role = Role::Candidate;
        s.leader = None;
        s.votes.iter_mut().for_each(|v| *v = false);
        s.votes[usize::from(s.me)] = true;
        ctx.persist(s.durable());
        ctx.note(Note::Candidate(s.persistent.current_term));
        self.reset_election_timer(ctx);
        if s.votes.iter().filter(|v| **v).count() >= s.majority() {
            self.become_leader(s, ctx);
            return;
        }
        ctx.broadcast(Msg::RequestVote(RequestVoteArgs {
            term: s.persistent.current_term,
            candidate_id: s.me,
            last_log_index: s.persistent.last_index(),
            last_log_term: s.persistent.last_term(),
        }));
    }

    /// §5.2: votes from a majority make the candidate leader; it initializes `nextIndex` to
    /// its last log index + 1 and `matchIndex` to 0, then sends heartbeats.
    fn become_leader(&self, s: &mut NodeState, ctx: &mut Ctx<'_, Self>) {
        let term = s.persistent.current_term;
        s.role = Role::Leader;
        s.leader = Some(s.me);
        s.ghost.led_terms.push(term);
        let next = s.persistent.last_index() + 1;
        s.next_index.iter_mut().for_each(|n| *n = next);
        s.match_index.iter_mut().for_each(|m| *m = 0);
        if self.cfg.noop_on_election {
            // §8: the no-op goes out with the first AppendEntries.
            s.persistent.log.push(Entry {
                term,
                command: Rc::from(NOOP),
            });
        }
        s.match_index[usize::from(s.me)] = s.persistent.last_index();
        ctx.persist(s.durable());
        ctx.note(Note::Leader(term));
        ctx.cancel_timer(Timer::Election);
        self.replicate_all(s, ctx);
        ctx.set_timer(Timer::Heartbeat, self.cfg.heartbeat_ticks);
        self.advance_commit(s, ctx);
    }

    /// Send AppendEntries to `peer` with the entries from `nextIndex[peer]` on.
    fn replicate(&self, s: &NodeState, peer: NodeId, ctx: &mut Ctx<'_, Self>) {
        let p = &s.persistent;
        let next = s.next_index[usize::from(peer)].clamp(1, p.last_index() + 1);
        let prev = next - 1;
        let end = p
            .log
            .len()
            .min(prev as usize + self.cfg.max_entries_per_append);
        ctx.send(
            peer,
            Msg::AppendEntries(AppendEntriesArgs {
                term: p.current_term,
                leader_id: s.me,
                prev_log_index: prev,
                prev_log_term: p.term_at(prev).unwrap_or(0),
                entries: p.log[prev as usize..end].to_vec(),
                leader_commit: s.commit_index,
            }),
        );
    }

    fn replicate_all(&self, s: &NodeState, ctx: &mut Ctx<'_, Self>) {
        for peer in 0..s.nodes {
            if peer != s.me {
                self.replicate(s, peer, ctx);
            }
        }
    }

    /// Leaders: ask the commit rule for a new commit index, record it, and apply.
    fn advance_commit(&self, s: &mut NodeState, ctx: &mut Ctx<'_, Self>) {
        let n = self
            .hooks
            .leader_commit(&self.cfg, s)
            .min(s.persistent.last_index());
        if n <= s.commit_index {
            return;
        }
        s.commit_index = n;
        let mark = CommitMark {
            term: s.persistent.current_term,
            index: n,
            entry_term: s.persistent.term_at(n).unwrap_or(0),
        };
        match s.ghost.commits.last_mut() {
            Some(last) if last.term == mark.term => *last = mark,
            _ => s.ghost.commits.push(mark),
        }
        ctx.note(Note::Commit(n));
        self.apply(s, ctx);
    }

    /// §5.3, "Rules for all servers": while `commitIndex > lastApplied`, increment
    /// `lastApplied` and apply `log[lastApplied]` to the state machine. Persists the ghost
    /// record; leaders answer the clients whose commands committed.
    fn apply(&self, s: &mut NodeState, ctx: &mut Ctx<'_, Self>) {
        let commit = s.commit_index.min(s.persistent.last_index());
        if s.last_applied >= commit {
            return;
        }
        while s.last_applied < commit {
            s.last_applied += 1;
            let e = s.persistent.log[s.last_applied as usize - 1].clone();
            s.applied.push(e.command.clone());
            if s.ghost.applied.len() < s.applied.len() {
                s.ghost.applied.push(e.command);
            }
            if let Some(k) = s.pending.iter().position(|(i, _)| *i == s.last_applied) {
                let (index, term) = s.pending.remove(k);
                ctx.reply(if term == e.term {
                    Reply::Committed(index)
                } else {
                    Reply::Unknown(index)
                });
            }
        }
        ctx.persist(s.durable());
    }

    /// A leader appends a client command to its log (§5.3) and replicates it at once.
    fn append_command(&self, s: &mut NodeState, command: Rc<str>, ctx: &mut Ctx<'_, Self>) {
        s.persistent.log.push(Entry {
            term: s.persistent.current_term,
            command,
        });
        let last = s.persistent.last_index();
        s.match_index[usize::from(s.me)] = last;
        ctx.persist(s.durable());
        self.replicate_all(s, ctx);
        self.advance_commit(s, ctx);
    }

    fn on_request_vote(
        &self,
        s: &mut NodeState,
        from: NodeId,
        a: RequestVoteArgs,
        ctx: &mut Ctx<'_, Self>,
    ) {
        let before = s.durable();
        self.see_term(s, a.term, ctx);
        let reply = self.hooks.request_vote(&self.cfg, s, &a);
        self.persist_if_changed(s, &before, ctx);
        if reply.vote_granted {
            self.reset_election_timer(ctx);
        }
        ctx.send(from, Msg::VoteReply(reply));
    }

    fn on_vote_reply(
        &self,
        s: &mut NodeState,
        from: NodeId,
        r: RequestVoteReply,
        ctx: &mut Ctx<'_, Self>,
    ) {
        let before = s.durable();
        self.see_term(s, r.term, ctx);
        self.persist_if_changed(s, &before, ctx);
        if s.role != Role::Candidate || r.term != s.persistent.current_term || !r.vote_granted {
            return;
        }
        s.votes[usize::from(from)] = true;
        if s.votes.iter().filter(|v| **v).count() >= s.majority() {
            self.become_leader(s, ctx);
        }
    }

    fn on_append_entries(
        &self,
        s: &mut NodeState,
        from: NodeId,
        a: AppendEntriesArgs,
        ctx: &mut Ctx<'_, Self>,
    ) {
        let before = s.durable();
        self.see_term(s, a.term, ctx);
        if a.term == s.persistent.current_term {
            // §5.2: a candidate that hears from the leader of its term becomes a follower.
            if s.role == Role::Candidate {
                s.role = Role::Follower;
                ctx.note(Note::StepDown(a.term));
            }
            s.leader = Some(a.leader_id);
            if s.role == Role::Follower {
                self.reset_election_timer(ctx);
            }
        }
        let led = (s.role == Role::Leader).then_some(s.persistent.current_term);
        let reply = self.hooks.append_entries(&self.cfg, s, &a);
        let (old, new) = (&before.raft.log, &s.persistent.log);
        if !new.starts_with(old) {
            let k = old.iter().zip(new).take_while(|(x, y)| x == y).count();
            ctx.note(Note::Truncated(k as Index + 1));
            if led.is_some() && led == (s.role == Role::Leader).then_some(s.persistent.current_term)
            {
                s.ghost.rewrote_as_leader.push(s.persistent.current_term);
            }
        }
        self.persist_if_changed(s, &before, ctx);
        ctx.send(from, Msg::AppendReply(reply));
        self.apply(s, ctx);
    }

    fn on_append_reply(
        &self,
        s: &mut NodeState,
        from: NodeId,
        r: AppendEntriesReply,
        ctx: &mut Ctx<'_, Self>,
    ) {
        let before = s.durable();
        self.see_term(s, r.term, ctx);
        self.persist_if_changed(s, &before, ctx);
        if s.role != Role::Leader || r.term != s.persistent.current_term {
            return;
        }
        let i = usize::from(from);
        if r.success {
            // Replies may arrive out of order: indices only move forward.
            s.match_index[i] = s.match_index[i].max(r.match_index.min(s.persistent.last_index()));
            s.next_index[i] = s.next_index[i].max(s.match_index[i] + 1);
            self.advance_commit(s, ctx);
            if s.next_index[i] <= s.persistent.last_index() {
                self.replicate(s, from, ctx);
            }
        } else {
            // §5.3: after a rejection, decrement nextIndex and retry. A stale or duplicated
            // rejection that cannot lower it further waits for the next heartbeat.
            let next = s.next_index[i].saturating_sub(1).max(s.match_index[i] + 1);
            if next < s.next_index[i] {
                s.next_index[i] = next;
                self.replicate(s, from, ctx);
            }
        }
    }
}

impl Protocol for Raft {
    type Msg = Msg;
    type Timer = Timer;
    type Note = Note;
    type Request = Command;
    type Reply = Reply;
    type State = NodeState;
    type Durable = Durable;

    /// §5.2: servers start as followers; §5.5: a restarted server recovers its persistent
    /// state and starts with `commitIndex = lastApplied = 0`.
    fn on_start(&self, restored: Option<&Durable>, ctx: &mut Ctx<'_, Self>) -> NodeState {
        self.reset_election_timer(ctx);
        NodeState::new(ctx.id(), ctx.nodes(), restored)
    }

    fn on_message(&self, s: &mut NodeState, from: NodeId, msg: Msg, ctx: &mut Ctx<'_, Self>) {
        match msg {
            Msg::RequestVote(a) => self.on_request_vote(s, from, a, ctx),
            Msg::VoteReply(r) => self.on_vote_reply(s, from, r, ctx),
            Msg::AppendEntries(a) => self.on_append_entries(s, from, a, ctx),
            Msg::AppendReply(r) => self.on_append_reply(s, from, r, ctx),
            Msg::Forward(command) => {
                if s.role == Role::Leader {
                    self.append_command(s, command, ctx);
                }
            }
        }
    }

    fn on_timer(&self, s: &mut NodeState, timer: Timer, ctx: &mut Ctx<'_, Self>) {
        match (timer, s.role) {
            (Timer::Election, Role::Follower | Role::Candidate) => self.start_election(s, ctx),
            (Timer::Heartbeat, Role::Leader) => {
                self.replicate_all(s, ctx);
                ctx.set_timer(Timer::Heartbeat, self.cfg.heartbeat_ticks);
            }
            _ => {}
        }
    }

    fn on_client_request(&self, s: &mut NodeState, request: Command, ctx: &mut Ctx<'_, Self>) {
        match (s.role, s.leader) {
            (Role::Leader, _) => {
                s.pending
                    .push((s.persistent.last_index() + 1, s.persistent.current_term));
                self.append_command(s, request.0, ctx);
            }
            (_, Some(leader)) => {
                ctx.send(leader, Msg::Forward(request.0));
                ctx.reply(Reply::Forwarded(leader));
            }
            (_, None) => ctx.reply(Reply::NoLeader),
        }
    }

    fn parse_request(&self, text: &str) -> Result<Command, String> {
        let text = text.trim();
        if text.is_empty() || text.chars().any(char::is_whitespace) {
            return Err(format!(
                "'{text}' is not a command: one word such as put.x.1 (no spaces)"
            ));
        }
        Ok(Command(Rc::from(text)))
    }

    fn view(&self, _node: NodeId, s: &NodeState) -> NodeView {
        let p = &s.persistent;
        let mut v = NodeView::new(s.role.to_string())
            .field("term", p.current_term)
            .field(
                "voted for",
                p.voted_for.map_or("-".into(), |n| format!("n{n}")),
            )
            .field("leader", s.leader.map_or("-".into(), |n| format!("n{n}")))
            .field("log", compact_log(&p.log))
            .field("commit", s.commit_index)
            .field("applied", compact_applied(&s.applied));
        if s.role == Role::Leader {
            let per_peer = |xs: &[Index]| {
                (0..s.nodes)
                    .filter(|&i| i != s.me)
                    .map(|i| format!("n{i}:{}", xs[usize::from(i)]))
                    .collect::<Vec<_>>()
                    .join(" ")
            };
            v = v
                .field("nextIndex", per_peer(&s.next_index))
                .field("matchIndex", per_peer(&s.match_index));
        }
        v
    }

    /// Every server's log as a grid (column = index, colour = term, marked = committed), the
    /// picture RaftScope and the paper's figures draw. A crashed server shows the log it
    /// persisted.
    fn panels(&self, w: &WorldRef<'_, Raft>) -> Vec<Panel> {
        let logs: Vec<(Option<&NodeState>, &[Entry])> = (0..w.nodes())
            .map(|n| {
                let live = up_state(w, n);
                let log = live
                    .map(|s| s.persistent.log.as_slice())
                    .or_else(|| durable(w, n).map(|d| d.raft.log.as_slice()))
                    .unwrap_or_default();
                (live, log)
            })
            .collect();
        // The same columns for every row: the latest GRID_ENTRIES_MAX indexes.
        let longest = logs.iter().map(|(_, l)| l.len()).max().unwrap_or(0);
        let skip = longest.saturating_sub(GRID_ENTRIES_MAX);
        let rows = logs
            .iter()
            .enumerate()
            .map(|(n, (live, log))| {
                let (note, committed) = match live {
                    Some(s) => (
                        format!("{} · term {}", s.role, s.persistent.current_term),
                        usize::try_from(s.commit_index).unwrap_or(usize::MAX),
                    ),
                    None => ("down".to_string(), 0),
                };
                GridRow {
                    label: format!("n{n}"),
                    note,
                    cells: log
                        .iter()
                        .skip(skip)
                        .map(|e| Cell {
                            text: e.term.to_string(),
                            detail: format!("term {}: {}", e.term, e.command),
                            group: u32::try_from(e.term).unwrap_or(u32::MAX),
                        })
                        .collect(),
                    marked_below: committed.saturating_sub(skip),
                    down: live.is_none(),
                }
            })
            .collect();
        vec![Panel::Grid(Grid {
            title: "Logs".into(),
            column_label: "index".into(),
            first_column: skip,
            legend: "One row per server, one cell per entry: the number is the entry's term \
                     (colour too); a solid cell is committed on that server."
                .into(),
            rows,
        })]
    }
}

/// Most log entries the log grid draws per server (the latest ones).
const GRID_ENTRIES_MAX: usize = 40;

/// Most log entries a view spells out; earlier ones are elided.
const VIEW_ENTRIES_MAX: usize = 10;

/// `1:put.x.1|1:noop|2:put.y.2`, the last [`VIEW_ENTRIES_MAX`] entries.
fn compact_log(log: &[Entry]) -> String {
    let skip = log.len().saturating_sub(VIEW_ENTRIES_MAX);
    let mut out = if skip > 0 {
        format!("…{skip}|")
    } else {
        String::new()
    };
    let parts: Vec<String> = log[skip..]
        .iter()
        .map(|e| format!("{}:{}", e.term, e.command))
        .collect();
    out.push_str(&parts.join("|"));
    out
}

/// `3: put.x.1 put.y.2`, the count and the last few commands (no-ops left out).
fn compact_applied(applied: &[Rc<str>]) -> String {
    let cmds: Vec<&str> = applied
        .iter()
        .map(|c| &**c)
        .filter(|c| *c != NOOP)
        .collect();
    let skip = cmds.len().saturating_sub(4);
    let mut out = format!("{}", applied.len());
    if !cmds.is_empty() {
        out.push(':');
        if skip > 0 {
            out.push_str(" …");
        }
        for c in &cmds[skip..] {
            out.push(' ');
            out.push_str(c);
        }
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Properties (Figure 3).
// ---------------------------------------------------------------------------------------------

fn durable<'a>(w: &WorldRef<'a, Raft>, n: NodeId) -> Option<&'a Durable> {
    w.durable(n)
}

fn up_state<'a>(w: &WorldRef<'a, Raft>, n: NodeId) -> Option<&'a NodeState> {
    w.state(n).filter(|_| w.status(n) != Status::Down)
}

/// Election Safety: at most one leader can be elected in a given term (§5.2). Reads every
/// node's ghost record of the terms it led, and the current role and term of live nodes.
pub fn election_safety(w: &WorldRef<'_, Raft>) -> bool {
    let mut claims: Vec<(Term, NodeId)> = Vec::new();
    for n in 0..w.nodes() {
        if let Some(d) = durable(w, n) {
            claims.extend(d.ghost.led_terms.iter().map(|&t| (t, n)));
        }
        if let Some(s) = up_state(w, n) {
            claims.extend(s.ghost.led_terms.iter().map(|&t| (t, n)));
            if s.role == Role::Leader {
                claims.push((s.persistent.current_term, n));
            }
        }
    }
    claims.sort_unstable();
    claims.dedup();
    claims.windows(2).all(|p| p[0].0 != p[1].0)
}

/// Leader Append-Only: a leader never overwrites or deletes entries in its log; it only
/// appends (§5.3). The ghost record notes every handler in which a node that was leader
/// before and after it changed an existing entry of its own log.
pub fn leader_append_only(w: &WorldRef<'_, Raft>) -> bool {
    (0..w.nodes()).all(|n| {
        durable(w, n).is_none_or(|d| d.ghost.rewrote_as_leader.is_empty())
            && up_state(w, n).is_none_or(|s| s.ghost.rewrote_as_leader.is_empty())
    })
}

/// Log Matching: if two logs contain an entry with the same index and term, then the logs are
/// identical in all entries up through that index (§5.3). Checked over the durable logs of all
/// nodes, up or down.
pub fn log_matching(w: &WorldRef<'_, Raft>) -> bool {
    let logs: Vec<&[Entry]> = (0..w.nodes())
        .filter_map(|n| durable(w, n).map(|d| &d.raft.log[..]))
        .collect();
    for (i, a) in logs.iter().enumerate() {
        for b in &logs[i + 1..] {
            let common = a.len().min(b.len());
            if let Some(k) = (0..common).rev().find(|&k| a[k].term == b[k].term) {
                if a[..=k] != b[..=k] {
                    return false;
                }
            }
        }
    }
    true
}

/// Leader Completeness: if a log entry is committed in a given term, then that entry will be
/// present in the logs of the leaders for all higher-numbered terms (§5.4). A commit is what a
/// leader declared (its ghost commit marks); by Log Matching the mark's entry stands for the
/// whole prefix.
pub fn leader_completeness(w: &WorldRef<'_, Raft>) -> bool {
    let marks: Vec<CommitMark> = (0..w.nodes())
        .filter_map(|n| durable(w, n))
        .flat_map(|d| d.ghost.commits.iter().copied())
        .collect();
    (0..w.nodes()).all(|n| {
        let Some(s) = up_state(w, n) else { return true };
        if s.role != Role::Leader {
            return true;
        }
        let t = s.persistent.current_term;
        marks
            .iter()
            .filter(|m| m.term < t)
            .all(|m| s.persistent.term_at(m.index) == Some(m.entry_term))
    })
}

/// State Machine Safety: if a server has applied a log entry at a given index to its state
/// machine, no other server will ever apply a different log entry for the same index (§5.4.3).
/// Every applied sequence — live state machines and every node's ghost history — must be a
/// prefix of the longest one.
pub fn state_machine_safety(w: &WorldRef<'_, Raft>) -> bool {
    let mut seqs: Vec<&[Rc<str>]> = Vec::new();
    for n in 0..w.nodes() {
        if let Some(d) = durable(w, n) {
            seqs.push(&d.ghost.applied);
        }
        if let Some(s) = up_state(w, n) {
            seqs.push(&s.applied);
            seqs.push(&s.ghost.applied);
        }
    }
    let Some(longest) = seqs.iter().max_by_key(|s| s.len()).copied() else {
        return true;
    };
    seqs.iter().all(|s| longest[..s.len()] == **s)
}

/// The up leader whose term is the highest term among up nodes, if any.
fn current_leader<'a>(w: &WorldRef<'a, Raft>) -> Option<&'a NodeState> {
    let up: Vec<&NodeState> = (0..w.nodes()).filter_map(|n| up_state(w, n)).collect();
    let top = up.iter().map(|s| s.persistent.current_term).max()?;
    up.into_iter()
        .find(|s| s.role == Role::Leader && s.persistent.current_term == top)
}

/// Liveness (§5.2): once the network heals, a leader is elected (an up node leads in the
/// highest term any up node has seen).
pub fn leader_elected(w: &WorldRef<'_, Raft>) -> bool {
    current_leader(w).is_some()
}

/// Liveness (§5.3, §8): once the network heals, the leader's whole log — every client command
/// it holds and its no-op — is committed, and every up node has the same log and has applied
/// all of it.
pub fn log_committed(w: &WorldRef<'_, Raft>) -> bool {
    let Some(l) = current_leader(w) else {
        return false;
    };
    let last = l.persistent.last_index();
    l.commit_index == last
        && (0..w.nodes()).all(|n| match up_state(w, n) {
            Some(s) => s.persistent.log == l.persistent.log && s.last_applied == last,
            None => w.status(n) == Status::Down,
        })
}

/// Every property, in the order they are checked.
pub fn properties() -> Vec<Property<Raft>> {
    vec![
        Property::always("election-safety", election_safety),
        Property::always("leader-append-only", leader_append_only),
        Property::always("log-matching", log_matching),
        Property::always("leader-completeness", leader_completeness),
        Property::always("state-machine-safety", state_machine_safety),
        Property::eventually("leader-elected", LIVENESS_TICKS, leader_elected),
        Property::eventually("log-committed", LIVENESS_TICKS, log_committed),
    ]
}

/// After the heal, a leader must be elected and the log committed everywhere within this many
/// ticks: several election timeouts (split votes are possible) plus the repair of a follower
/// far behind, one AppendEntries round trip per batch.
pub const LIVENESS_TICKS: u64 = 3_000;

// ---------------------------------------------------------------------------------------------
// Scenarios.
// ---------------------------------------------------------------------------------------------

/// The seed each scenario's lesson is told with (content directives use these).
pub const DEFAULT_SEEDS: [(&str, u64); 8] = [
    ("raft-election", 1),
    ("raft-partitioned-leader", 1),
    ("raft-log-repair", 1),
    ("raft-figure8", 1),
    ("raft-stale-candidate", 1),
    ("raft-shorter-log", 1),
    ("raft-stale-tail", 1),
    ("raft-minority-down", 1),
];

fn at(t: u64, action: Action) -> Override {
    Override {
        at: When::Time(t),
        action,
    }
}

fn req(t: u64, node: NodeId, text: &str) -> Override {
    at(t, Action::Request(node, text.into()))
}

/// Links of 5–15 ticks: an election round trip fits well inside the 150–300 tick timeout.
const NET: LinkCfg = LinkCfg::calm(5, 15);

fn base(
    id: &'static str,
    title: &'static str,
    description: &'static str,
    script: Vec<Override>,
    hooks: Arc<dyn RaftHooks>,
) -> Scenario<Raft> {
    Scenario {
        id,
        title,
        description,
        nodes: 5,
        protocol: Raft {
            cfg: RaftCfg::default(),
            hooks,
        },
        net: NET,
        calm: NET,
        script,
        properties: properties(),
        workload: vec![
            (0, "put.x.1"),
            (1, "put.y.2"),
            (2, "put.x.3"),
            (3, "del.y"),
            (4, "put.z.5"),
            (0, "put.w.6"),
            (2, "put.v.7"),
        ],
        faulty_nodes: vec![0, 1, 2, 3, 4],
        safety_ticks: 3_000,
    }
}

/// `raft-election`: a clean start; a leader emerges and replicates client commands.
pub fn election(hooks: impl Into<Arc<dyn RaftHooks>>) -> Scenario<Raft> {
    base(
        "raft-election",
        "Raft: leader election and replication",
        "Five servers start as followers with randomized election timeouts (150-300 ticks; \
         links take 5-15). The first to time out becomes a candidate for term 1, votes for \
         itself and asks the others; a majority of votes makes it leader (§5.2), and it \
         appends a no-op of its term (§8). From t=600 clients hand commands to any server; \
         followers forward them to the leader, which appends, replicates with AppendEntries \
         and commits once a majority stores them (§5.3). Watch nextIndex/matchIndex on the \
         leader and the commit index follow on the followers with the next heartbeat.",
        vec![
            req(600, 1, "put.x.1"),
            req(650, 3, "put.y.2"),
            req(700, 0, "put.x.3"),
            req(900, 4, "del.y"),
        ],
        hooks.into(),
    )
}

/// `raft-partitioned-leader`: the leader is cut off in a minority.
pub fn partitioned_leader(hooks: impl Into<Arc<dyn RaftHooks>>) -> Scenario<Raft> {
    base(
        "raft-partitioned-leader",
        "Raft: a leader partitioned into the minority",
        "With seed 1, n3 is the leader of term 1 when, at t=600, it and n4 are cut off from \
         n0-n2. n3 still believes it leads: it accepts put.a.1 and put.b.2 (t=650-700) but can \
         reach only n4, so they never commit. The majority side times out, elects a leader for \
         a higher term (§5.2) and commits put.c.3 and put.d.4. At t=1800 the partition heals: \
         the first message n3 sees carries the higher term, so it steps down (§5.1); the new \
         leader's AppendEntries fail the consistency check on n3 and n4, nextIndex walks back, \
         and their uncommitted entries are truncated and replaced (§5.3). The old leader's \
         clients are told the outcome is unknown.",
        vec![
            req(300, 2, "put.init.0"),
            at(600, Action::Partition(vec![vec![3, 4], vec![0, 1, 2]])),
            req(650, 3, "put.a.1"),
            req(700, 3, "put.b.2"),
            req(1300, 0, "put.c.3"),
            req(1350, 1, "put.d.4"),
            at(1800, Action::Heal),
        ],
        hooks.into(),
    )
}

/// `raft-log-repair`: a follower misses entries and is repaired by a new leader.
pub fn log_repair(hooks: impl Into<Arc<dyn RaftHooks>>) -> Scenario<Raft> {
    base(
        "raft-log-repair",
        "Raft: repairing a follower's log",
        "n1 crashes at t=400 and misses six commands. At t=1200 the leader (n3 with seed 1) \
         crashes too, and the remaining three elect a new leader, which knows nothing of its \
         followers' logs: it sets nextIndex for every follower to its own last index + 1 (§5.3). n1 restarts \
         at t=1500 from its durable log (§5.5). Its first AppendEntries fails the prevLogIndex/ \
         prevLogTerm check, and the leader decrements nextIndex and retries, one rejection \
         per round trip, until the logs agree; then the missing entries flow in batches and n1 \
         applies them. n3 restarts at t=1700 and catches up the same way.",
        vec![
            req(300, 2, "put.a.1"),
            at(400, Action::Crash(1)),
            req(500, 2, "put.b.2"),
            req(600, 0, "put.c.3"),
            req(700, 4, "put.d.4"),
            req(800, 2, "put.e.5"),
            req(900, 0, "put.f.6"),
            req(1000, 4, "put.g.7"),
            at(1200, Action::Crash(3)),
            at(1500, Action::Restart(1)),
            at(1700, Action::Restart(3)),
        ],
        hooks.into(),
    )
}

/// One-way cuts at `t` between every two servers of `among` other than `keep`: the others
/// can reach `keep` but not one another, so only `keep` can gather a majority of votes.
fn cut_all_but(t: u64, keep: NodeId, among: &[NodeId]) -> Vec<Override> {
    let mut v = Vec::new();
    for &a in among {
        for &b in among {
            if a != b && a != keep && b != keep {
                v.push(at(t, Action::Cut(a, b)));
            }
        }
    }
    v
}

/// Clock drift from `t` on: the `fast` servers' timers run 40% fast and the `slow` ones' 40%
/// slow, so a fast server times out (and campaigns) first. Together with [`cut_all_but`] this
/// is how a script chooses an election's winner whatever the seed.
fn clocks(t: u64, fast: &[NodeId], slow: &[NodeId]) -> Vec<Override> {
    let mut v: Vec<Override> = fast
        .iter()
        .map(|&n| at(t, Action::Clock(n, 0, 400_000)))
        .collect();
    v.extend(slow.iter().map(|&n| at(t, Action::Clock(n, 0, -400_000))));
    v
}

/// The end of a script's faults at `t`: every server up, links calm, clocks true.
fn heal_all(t: u64) -> Vec<Override> {
    let mut v = vec![at(t, Action::HealAll)];
    v.extend((0..5).map(|n| at(t, Action::Clock(n, 0, 0))));
    v
}

/// Term 1 of most scripts: only n0 can win the first election, then it commits `put.x.1`
/// everywhere. The cuts stay until the script's next partition or heal.
fn n0_leads_first() -> Vec<Override> {
    let mut v = clocks(0, &[0], &[1, 2, 3, 4]);
    v.extend(cut_all_but(0, 0, &[0, 1, 2, 3, 4]));
    v.push(req(600, 0, "put.x.1"));
    v
}

/// `raft-figure8`: the situation of Figure 8, scripted with partitions and one-way cuts that
/// leave exactly one server able to win each election.
pub fn figure8(hooks: impl Into<Arc<dyn RaftHooks>>) -> Scenario<Raft> {
    let mut script = Vec::new();
    // (a) Only n0 can gather a majority: n1-n4 cannot reach one another.
    script.extend(clocks(0, &[0], &[1, 2, 3, 4]));
    script.extend(cut_all_but(0, 0, &[0, 1, 2, 3, 4]));
    script.push(req(600, 0, "put.x.1"));
    // (b) Among n2-n4 only n4 can win: n2 and n3 cannot reach each other, and n4's clock
    // runs fast from before the partition, so the timer its last heartbeat arms is fast too.
    script.extend(clocks(700, &[4], &[2, 3]));
    script.push(at(800, Action::Partition(vec![vec![0, 1], vec![2, 3, 4]])));
    script.push(at(800, Action::Cut(2, 3)));
    script.push(at(800, Action::Cut(3, 2)));
    script.push(req(810, 0, "put.a.2"));
    script.push(at(
        1300,
        Action::Partition(vec![vec![0, 1], vec![2, 3], vec![4]]),
    ));
    script.push(req(1310, 4, "put.b.3"));
    // (c) n4 is cut off; n0 rejoins n2 and n3 (n1 cannot reach them, so only n0 can win) and
    // replicates its old entry to them. Then it takes put.c.4 in its own term, which goes no
    // further: its links out are cut.
    script.push(at(1400, Action::Partition(vec![vec![0, 1, 2, 3], vec![4]])));
    script.push(at(1400, Action::Cut(1, 2)));
    script.push(at(1400, Action::Cut(1, 3)));
    script.extend(clocks(1400, &[0], &[1, 2, 3]));
    script.extend((1..4).map(|n| at(2300, Action::Cut(0, n))));
    script.push(req(2310, 0, "put.c.4"));
    // (d) n0 crashes; n4 returns, and only n4 can win (n1-n3 cannot reach one another).
    script.push(at(2400, Action::Crash(0)));
    script.push(at(2400, Action::Heal));
    script.extend(cut_all_but(2400, 4, &[1, 2, 3, 4]));
    script.extend(clocks(2400, &[4], &[1, 2, 3]));
    // (e) Everything heals.
    script.push(at(3600, Action::Heal));
    script.extend((0..5).map(|n| at(3600, Action::Clock(n, 0, 0))));
    script.push(at(3700, Action::Restart(0)));
    let mut s = base(
        "raft-figure8",
        "Raft: Figure 8 — why old-term entries are not committed by counting",
        "The paper's Figure 8, played with partitions and one-way cuts that leave one \
         possible winner per election (n0-n4 are S1-S5; leaders add no no-op here, as in the \
         figure). (a) n0 leads, commits put.x.1, then is cut off with n1 and takes put.a.2, \
         which reaches only n1. (b) n4 wins a later term with votes from n2 and n3 and takes \
         put.b.3, which reaches no one. (c) n0 rejoins n2 and n3, wins a still later term and \
         replicates put.a.2: it is now on a majority. Watch n0's commit index: the reference \
         does not move it, because the entry is not from n0's current term (§5.4.2) — not even \
         when n0 appends put.c.4 of its own term at t=2310, which its cut links keep from \
         anyone else. (d) n0 crashes; n4 returns and, with a last log term higher than \
         n1-n3's, wins and overwrites put.a.2 everywhere with put.b.3 — safe, since it never \
         committed. Had n0 committed it by counting replicas (variant commit-old-term), or by \
         checking only that its last entry is of its term, a committed entry would now be \
         lost: leader-completeness fails.",
        script,
        hooks.into(),
    );
    s.protocol.cfg.noop_on_election = false;
    // Without the no-op, entries of earlier terms commit only when a client writes in the
    // new term (that is the figure's point), so the log-committed liveness check is left out.
    s.properties.retain(|p| p.name != "log-committed");
    s
}

/// `raft-stale-candidate`: a former leader with a longer log of an older term campaigns
/// against a majority that committed an entry of a later term (§5.4.1).
///
/// The state it builds: n0 leads the first term and is cut off with n1; it appends three
/// commands that reach only n1, so n0 and n1 hold five entries whose last term is n0's. The
/// majority n2-n4 elects n2 (the only one of them that can win), which commits its no-op and
/// put.d.5: four entries, the last of a later term. Then n2 crashes, the partition heals and
/// n0, whose clock runs fast, campaigns first. Its log is longer but less up-to-date: a voter
/// that compares lengths first, or lengths only, elects it, and it overwrites the committed
/// entries (leader-completeness).
pub fn stale_candidate(hooks: impl Into<Arc<dyn RaftHooks>>) -> Scenario<Raft> {
    let mut script = n0_leads_first();
    script.extend(clocks(700, &[0, 2], &[1, 3, 4]));
    script.push(at(800, Action::Partition(vec![vec![0, 1], vec![2, 3, 4]])));
    script.push(at(800, Action::Cut(3, 4)));
    script.push(at(800, Action::Cut(4, 3)));
    script.push(req(850, 0, "put.a.2"));
    script.push(req(900, 0, "put.b.3"));
    script.push(req(950, 0, "put.c.4"));
    script.push(req(1300, 2, "put.d.5"));
    script.push(at(PROGRESS_PHASES[1].since, Action::Crash(2)));
    script.push(at(1600, Action::Heal));
    // Once n0 has campaigned, n3 is the first of the majority side to time out.
    script.extend(clocks(1800, &[3], &[0, 1, 4]));
    script.extend(heal_all(2800));
    let mut s = base(
        "raft-stale-candidate",
        "Raft: a longer log is not a more up-to-date one",
        "n0 leads the first term and commits put.x.1. At t=800 it is cut off with n1 and \
         takes put.a.2, put.b.3 and put.c.4, which reach only n1: they never commit. The \
         other three elect n2 (n3 and n4 cannot reach each other), which commits its no-op \
         and put.d.5 — a log one entry shorter than n0's, but ending in a later term. At \
         t=1600 n2 crashes and the partition heals; n0's clock runs fast, so it campaigns \
         first, with the longer log. §5.4.1: the log whose last entry has the later term is \
         more up-to-date, whatever the lengths, so n3 and n4 refuse it (n1, whose log is \
         n0's, grants), and the next leader comes from the majority side. A voter that \
         compares lengths would elect n0, which would overwrite the committed put.d.5. With \
         n2 down, the four others must still elect a leader and commit its log by t=2600 \
         (progress-leader-down).",
        script,
        hooks.into(),
    );
    s.properties.push(ProgressPhase::property::<1>());
    s
}

/// `raft-shorter-log`: a candidate whose last entry has the same term as the voters' but whose
/// log is shorter (§5.4.1).
///
/// The state it builds: n0 leads the first term; its links to n3 and n4 are cut, and two
/// commands commit on n0-n2 only. n0 crashes; n3 (fast clock) campaigns with a log that ends
/// in the same term as n1's and n2's but lacks the two committed entries. A voter that
/// compares last terms only, or takes equal terms as enough, elects it (leader-completeness).
pub fn shorter_log(hooks: impl Into<Arc<dyn RaftHooks>>) -> Scenario<Raft> {
    let mut script = n0_leads_first();
    script.push(at(800, Action::Heal));
    script.push(at(800, Action::Cut(0, 3)));
    script.push(at(800, Action::Cut(0, 4)));
    script.push(req(810, 0, "put.y.2"));
    script.push(req(820, 0, "put.z.3"));
    script.push(at(1000, Action::Crash(0)));
    script.extend(clocks(1000, &[3], &[1, 2, 4]));
    script.extend(heal_all(2200));
    base(
        "raft-shorter-log",
        "Raft: the same last term, but a shorter log",
        "n0 leads the first term and commits put.x.1 everywhere. At t=800 its links to n3 \
         and n4 are cut: put.y.2 and put.z.3 reach n1 and n2 only, a majority, and commit. At \
         t=1000 n0 crashes, and n3 — whose log stops at put.x.1 — times out first. Its last \
         entry has the same term as n1's and n2's, so the lengths decide (§5.4.1): theirs is \
         longer, they refuse, and only n4 votes for n3. Soon n1 or n2 campaigns, wins with \
         n3's and n4's votes and brings them up to date. A voter that looks at the last term \
         only would elect n3 and lose the two committed commands.",
        script,
        hooks.into(),
    )
}

/// `raft-stale-tail`: a follower whose log matches the leader's up to a point and then holds
/// stale entries of an older term, repaired one entry per AppendEntries (§5.3).
///
/// The state it builds: n0 leads the first term and is cut off with n4; four commands reach
/// only n4. The majority elects n1, which commits put.d.6; n1 crashes, n0 rejoins n2 and n3,
/// and n2 wins a later term with a log longer than n4's matching prefix (n0's stale entries
/// are repaired). n4 restarts at t=2000 with its stale tail and the leader walks nextIndex
/// back one rejection at a time, sending one entry per message; heartbeats overlapping the
/// walk make it overshoot, so n4 receives AppendEntries whose entries match its prefix and
/// end before its stale tail, with a leaderCommit beyond them. `commitIndex = leaderCommit`
/// there commits and applies the stale entries (state-machine-safety); keeping the rest of
/// a conflicting log leaves old entries after new ones (log-matching).
pub fn stale_tail(hooks: impl Into<Arc<dyn RaftHooks>>) -> Scenario<Raft> {
    let mut script = n0_leads_first();
    script.push(req(650, 0, "put.w.2"));
    script.extend(clocks(700, &[1], &[0, 2, 3, 4]));
    script.push(at(800, Action::Partition(vec![vec![0, 4], vec![1, 2, 3]])));
    script.push(at(800, Action::Cut(2, 3)));
    script.push(at(800, Action::Cut(3, 2)));
    for (k, cmd) in ["put.s.3", "put.t.4", "put.u.5", "put.v.6"]
        .into_iter()
        .enumerate()
    {
        script.push(req(850 + 20 * k as u64, 0, cmd));
    }
    script.push(req(1300, 1, "put.d.7"));
    script.push(req(1320, 1, "put.f.8"));
    script.push(at(1400, Action::Crash(1)));
    script.push(at(1400, Action::Crash(4)));
    script.push(at(1400, Action::Heal));
    script.extend(cut_all_but(1400, 2, &[0, 2, 3]));
    script.extend(clocks(1400, &[2], &[0, 3, 4]));
    script.extend(rough_repair(1400, 2, 0));
    script.push(req(1900, 2, "put.e.9"));
    script.push(req(1920, 2, "put.g.10"));
    script.push(at(2000, Action::Heal));

    script.push(at(2000, Action::Restart(4)));
    script.extend(rough_repair(2000, 2, 4));
    script.extend(heal_all(3000));
    let mut s = base(
        "raft-stale-tail",
        "Raft: a follower with a stale tail",
        "Leaders here send one entry per AppendEntries. n0 leads the first term; at t=800 it \
         is cut off with n4 and takes four commands that reach only n4. The other side elects \
         n1, which commits put.d.6, and crashes at t=1400 together with n4; n0 rejoins n2 and \
         n3, and n2 wins a later term, repairs n0's log and commits put.e.7. At t=2000 n4 \
         restarts with its old log: the first two entries match the leader's, the four after \
         them are stale. The leader walks nextIndex back, one rejection per round trip; \
         heartbeats sent during the walk add rejections, so it may step past the match point \
         and send an entry n4 already has, with leaderCommit 7. That entry vouches only for \
         itself: the commit index becomes min(leaderCommit, index of last new entry), 2 here, \
         never 7 — n4's entries 3 to 6 are still the stale ones, and are truncated by the next \
         AppendEntries (§5.3).",
        script,
        hooks.into(),
    );
    s.protocol.cfg.max_entries_per_append = 1;
    s
}

/// From `t`, the link between `leader` and `follower` makes a log repair overshoot: every reply
/// of the follower arrives twice (each rejection lowers nextIndex), and the leader's messages
/// take 5-60 ticks or are lost (30%), so they arrive out of order.
fn rough_repair(t: u64, leader: NodeId, follower: NodeId) -> Vec<Override> {
    vec![
        at(t, Action::Dup(Some((follower, leader)), 1_000_000)),
        at(t, Action::Latency(Some((leader, follower)), 5, 60)),
        at(t, Action::Loss(Some((leader, follower)), 300_000)),
    ]
}

/// A liveness phase with failures (§5.2, §5.3): from `since` on, the servers `down` stay down
/// and the others up (a majority); by `deadline_ticks` one of them must lead in the highest
/// term and have committed its whole log (its no-op and every client command it took), and
/// every server up must have applied it. A script's phase is recognised by its crashes at
/// exactly `since`, so it says nothing about a run that does not follow the script. It is
/// judged only at moments when the servers up agree on the current term: a server cut off from
/// the others falls behind in term, so a run whose partition never heals (a script shrunk
/// without its heal) is not held to it; and it asks for no particular command, so a run shrunk
/// to fewer requests is judged fairly.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ProgressPhase {
    /// The property's name.
    pub name: &'static str,
    /// Servers crashed at `since` and still down.
    pub down: &'static [NodeId],
    /// True time of the crashes.
    pub since: u64,
    /// True time by which the servers up must have made progress.
    pub deadline_ticks: u64,
}

impl ProgressPhase {
    /// Whether the phase's promise holds in `w` (vacuously outside the phase).
    fn holds(&self, w: &WorldRef<'_, Raft>) -> bool {
        let in_phase = (0..w.nodes()).all(|n| {
            if self.down.contains(&n) {
                w.status(n) == Status::Down && w.status_since(n) == self.since
            } else {
                w.status(n) == Status::Up
            }
        });
        let mut terms = (0..w.nodes())
            .filter_map(|n| up_state(w, n))
            .map(|s| s.persistent.current_term);
        let first = terms.next();
        let one_term = terms.all(|t| Some(t) == first);
        !in_phase || !one_term || w.time() < self.deadline_ticks || log_committed(w)
    }

    /// The phase as a property of scenario `K` in [`PROGRESS_PHASES`].
    fn property<const K: usize>() -> Property<Raft> {
        Property::always(PROGRESS_PHASES[K].name, |w| PROGRESS_PHASES[K].holds(w))
    }
}

/// The scripted liveness phases: `raft-minority-down`, then `raft-stale-candidate`.
pub const PROGRESS_PHASES: [ProgressPhase; 2] = [
    ProgressPhase {
        name: "progress-minority-down",
        down: &[3, 4],
        since: 0,
        deadline_ticks: 2_400,
    },
    ProgressPhase {
        name: "progress-leader-down",
        down: &[2],
        since: 1_600,
        deadline_ticks: 2_600,
    },
];

/// `raft-minority-down`: liveness with failures — two of five servers are down from the start,
/// and the three others, a majority, must elect a leader and commit (§5.2, §5.3).
///
/// The state it builds: n3 and n4 crash at t=0 and stay down until the heal at t=2600; a
/// client sends put.m.1 at t=600 (and, in case no leader was known yet, again at t=1000 and
/// t=1400). The `progress-minority-down` phase requires the leader's log, the command
/// included, committed and applied on n0-n2 by t=2400: a commit rule that waits for more than
/// a majority never commits it.
pub fn minority_down(hooks: impl Into<Arc<dyn RaftHooks>>) -> Scenario<Raft> {
    let phase = PROGRESS_PHASES[0];
    let mut script: Vec<Override> = phase
        .down
        .iter()
        .map(|&n| at(phase.since, Action::Crash(n)))
        .collect();
    for (t, n) in [(600, 0), (1000, 1), (1400, 2)] {
        script.push(req(t, n, "put.m.1"));
    }
    script.push(at(2600, Action::HealAll));
    let mut s = base(
        "raft-minority-down",
        "Raft: progress with two servers down",
        "n3 and n4 are down from the start. Three servers are a majority of five, so n0-n2 \
         elect a leader among themselves (§5.2: a candidate needs three votes, its own \
         included) and commit its no-op and the client's put.m.1 (sent at t=600 to n0, and \
         again at t=1000 and t=1400 in case no leader was known) once three servers store \
         them (§5.3). By t=2400 every server up must have applied it (progress-minority-down). \
         At t=2600 n3 and n4 restart and catch up from the leader.",
        script,
        hooks.into(),
    );
    s.properties.push(ProgressPhase::property::<0>());
    s
}

/// A Raft scenario built with a given set of hooks.
pub type Build = fn(Arc<dyn RaftHooks>) -> Scenario<Raft>;

/// Every Raft scenario by id: the registry builds them with the reference hooks, the chapter 4
/// challenges with the learner's.
pub const SCENARIOS: [(&str, Build); 8] = [
    ("raft-election", |h| election(h)),
    ("raft-partitioned-leader", |h| partitioned_leader(h)),
    ("raft-log-repair", |h| log_repair(h)),
    ("raft-figure8", |h| figure8(h)),
    ("raft-stale-candidate", |h| stale_candidate(h)),
    ("raft-shorter-log", |h| shorter_log(h)),
    ("raft-stale-tail", |h| stale_tail(h)),
    ("raft-minority-down", |h| minority_down(h)),
];

/// The Raft scenario `id` with these hooks.
pub fn scenario(id: &str, hooks: Arc<dyn RaftHooks>) -> Option<Scenario<Raft>> {
    SCENARIOS
        .iter()
        .find(|(name, _)| *name == id)
        .map(|(_, build)| build(hooks))
}

/// Every Raft scenario with one variant's hooks.
pub fn all(variant: RaftVariant) -> Vec<Scenario<Raft>> {
    SCENARIOS
        .iter()
        .map(|(_, build)| build(variant.into()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(term: Term, command: &str) -> Entry {
        Entry {
            term,
            command: Rc::from(command),
        }
    }

    /// A follower of term `term` with entries of these terms.
    fn follower(term: Term, log_terms: &[Term]) -> NodeState {
        let mut s = NodeState::new(1, 5, None);
        s.persistent.current_term = term;
        s.persistent.log = log_terms
            .iter()
            .enumerate()
            .map(|(i, &t)| entry(t, &format!("c{}", i + 1)))
            .collect();
        s
    }

    fn append(prev: (Index, Term), entries: Vec<Entry>, commit: Index) -> AppendEntriesArgs {
        AppendEntriesArgs {
            term: 3,
            leader_id: 0,
            prev_log_index: prev.0,
            prev_log_term: prev.1,
            entries,
            leader_commit: commit,
        }
    }

    fn vote(term: Term, candidate: NodeId, last: (Index, Term)) -> RequestVoteArgs {
        RequestVoteArgs {
            term,
            candidate_id: candidate,
            last_log_index: last.0,
            last_log_term: last.1,
        }
    }

    const CFG: RaftCfg = RaftCfg {
        election_min_ticks: 150,
        election_max_ticks: 300,
        heartbeat_ticks: 50,
        max_entries_per_append: 8,
        noop_on_election: true,
    };

    #[test]
    fn s5_4_1_votes_go_only_to_candidates_at_least_as_up_to_date() {
        // Last entry of term 2 at index 3.
        let mut s = follower(3, &[1, 2, 2]);
        let r = handle_request_vote(&CFG, &mut s, &vote(3, 2, (5, 1)));
        assert!(
            !r.vote_granted,
            "a longer log with an older last term is behind"
        );
        let r = handle_request_vote(&CFG, &mut s, &vote(3, 2, (2, 2)));
        assert!(!r.vote_granted, "same last term, shorter log");
        let r = handle_request_vote(&CFG, &mut s, &vote(3, 2, (1, 3)));
        assert!(r.vote_granted, "a later last term wins whatever the length");
        assert_eq!(s.persistent.voted_for, Some(2));
        // One vote per term (§5.2); asking again is fine.
        assert!(!handle_request_vote(&CFG, &mut s, &vote(3, 4, (9, 3))).vote_granted);
        assert!(handle_request_vote(&CFG, &mut s, &vote(3, 2, (1, 3))).vote_granted);
        // A stale term is refused (§5.1).
        assert!(!handle_request_vote(&CFG, &mut s, &vote(2, 4, (9, 3))).vote_granted);
    }

    #[test]
    fn the_wrong_variants_break_exactly_their_rule() {
        let mut s = follower(3, &[1, 2, 2]);
        let behind = vote(3, 2, (1, 1));
        assert!(
            RaftVariant::NoUpToDateCheck
                .request_vote(&CFG, &mut s, &behind)
                .vote_granted
        );
        let mut s = follower(3, &[1]);
        assert!(
            RaftVariant::VoteTwice
                .request_vote(&CFG, &mut s, &vote(3, 2, (1, 1)))
                .vote_granted
        );
        assert!(
            RaftVariant::VoteTwice
                .request_vote(&CFG, &mut s, &vote(3, 4, (1, 1)))
                .vote_granted
        );
        let mut s = follower(3, &[1]);
        s.role = Role::Leader;
        assert!(RaftVariant::NoStepDown.observe_term(&mut s, 4));
        assert_eq!((s.role, s.persistent.current_term), (Role::Leader, 4));
        assert!(RaftVariant::Reference.observe_term(&mut s, 5));
        assert_eq!(s.role, Role::Follower);
    }

    #[test]
    fn s5_3_the_consistency_check_rejects_a_missing_or_different_prev_entry() {
        let mut s = follower(3, &[1, 1]);
        let r = handle_append_entries(&CFG, &mut s, &append((3, 1), vec![entry(3, "x")], 0));
        assert!(!r.success, "no entry at index 3");
        let r = handle_append_entries(&CFG, &mut s, &append((2, 2), vec![entry(3, "x")], 0));
        assert!(!r.success, "entry 2 has term 1, not 2");
        assert_eq!(s.persistent.last_index(), 2);
        let r = handle_append_entries(&CFG, &mut s, &append((2, 1), vec![entry(3, "x")], 0));
        assert!(r.success);
        assert_eq!(r.match_index, 3);
        // Without the check, the entry lands at the wrong index and is acknowledged.
        let mut s = follower(3, &[1]);
        let r = RaftVariant::NoPrevLogCheck.append_entries(
            &CFG,
            &mut s,
            &append((3, 1), vec![entry(3, "x")], 0),
        );
        assert!(r.success);
        assert_eq!(s.persistent.last_index(), 2);
    }

    #[test]
    fn s5_3_only_a_real_conflict_truncates() {
        let mut s = follower(3, &[1, 1, 2, 2]);
        // A delayed AppendEntries carrying entry 2 only: it matches, nothing after it goes.
        let old = s.persistent.log.clone();
        let delayed = append((1, 1), vec![old[1].clone()], 0);
        let r = handle_append_entries(&CFG, &mut s, &delayed);
        assert!(r.success);
        assert_eq!(r.match_index, 2);
        assert_eq!(s.persistent.log, old);
        // The known-wrong variant cuts entries 3 and 4.
        let mut wrong = follower(3, &[1, 1, 2, 2]);
        RaftVariant::TruncateMatching.append_entries(&CFG, &mut wrong, &delayed);
        assert_eq!(wrong.persistent.last_index(), 2);
        // A real conflict at index 3: entries 3.. are replaced.
        let r = handle_append_entries(
            &CFG,
            &mut s,
            &append((2, 1), vec![entry(3, "y"), entry(3, "z")], 0),
        );
        assert!(r.success);
        let terms: Vec<Term> = s.persistent.log.iter().map(|e| e.term).collect();
        assert_eq!(terms, [1, 1, 3, 3]);
    }

    #[test]
    fn s5_3_commit_index_is_min_of_leader_commit_and_last_new_entry() {
        let mut s = follower(3, &[1, 1, 1, 1, 1]);
        // Entries past those this message vouches for may be stale: commit stops at 2.
        handle_append_entries(&CFG, &mut s, &append((1, 1), vec![entry(1, "c2")], 4));
        assert_eq!(s.commit_index, 2);
        handle_append_entries(&CFG, &mut s, &append((5, 1), vec![], 4));
        assert_eq!(s.commit_index, 4);
        // Never lowered by an older message.
        handle_append_entries(&CFG, &mut s, &append((1, 1), vec![], 5));
        assert_eq!(s.commit_index, 4);
    }

    #[test]
    fn s5_4_2_figure8_a_leader_commits_only_entries_of_its_term_by_counting() {
        // S1 leads term 4 with log [1, 2, 4]; entry 2 is on S1, S2, S3 (a majority).
        let mut s = follower(4, &[1, 2, 4]);
        s.me = 0;
        s.role = Role::Leader;
        s.commit_index = 1;
        s.match_index = vec![3, 2, 2, 1, 1];
        assert_eq!(leader_commit_index(&CFG, &s), 1);
        assert_eq!(RaftVariant::CommitOldTerm.leader_commit(&CFG, &s), 2);
        // Once entry 3 (term 4) is on a majority, both entries commit.
        s.match_index = vec![3, 3, 3, 1, 1];
        assert_eq!(leader_commit_index(&CFG, &s), 3);
    }

    #[test]
    fn messages_and_views_read_like_the_paper() {
        let m = Msg::RequestVote(vote(3, 1, (5, 2)));
        assert_eq!(m.to_string(), "RequestVote{t:3,last:5/2}");
        let m = Msg::AppendEntries(append((4, 2), vec![entry(3, "x")], 4));
        assert_eq!(m.to_string(), "AppendEntries{t:3,prev:4/2,n:1,c:4}");
        let m = Msg::VoteReply(RequestVoteReply {
            term: 3,
            vote_granted: true,
        });
        assert_eq!(m.to_string(), "VoteReply{t:3,granted}");
        let raft = Raft::new(CFG, RaftVariant::Reference);
        let mut s = follower(2, &[1, 1, 2]);
        s.role = Role::Leader;
        s.me = 1;
        s.next_index = vec![4, 4, 3, 4, 1];
        let v = raft.view(1, &s);
        assert_eq!(v.role, "leader");
        let field = |name: &str| v.fields.iter().find(|f| f.0 == name).unwrap().1.clone();
        assert_eq!(field("log"), "1:c1|1:c2|2:c3");
        assert_eq!(field("nextIndex"), "n0:4 n2:3 n3:4 n4:1");
        assert!(raft.parse_request("put.x.1").is_ok());
        assert!(raft.parse_request("put x").is_err());
    }
}
