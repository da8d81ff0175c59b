//! Raft's state (Figure 2), messages, timers, notes, client requests and configuration.

use super::*;

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
    pub(super) fn new(me: NodeId, nodes: u16, restored: Option<&Durable>) -> NodeState {
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
    pub(super) fn durable(&self) -> Durable {
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

impl Msg {
    /// The sender's term, which every request and response carries (§5.1); none for a
    /// forwarded command.
    pub fn term(&self) -> Option<Term> {
        match self {
            Msg::RequestVote(a) => Some(a.term),
            Msg::VoteReply(r) => Some(r.term),
            Msg::AppendEntries(a) => Some(a.term),
            Msg::AppendReply(r) => Some(r.term),
            Msg::Forward(_) => None,
        }
    }
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
