//! The Raft harness (chapter 4): the learner's Rhai script replaces one part of our Raft —
//! the RequestVote handler with the higher-term rule, the AppendEntries receiver, or the
//! leader's commit rule — and swarm runs check the cluster against Figure 3's properties.
//!
//! Lesson: Figure 2 of Ongaro and Ousterhout (2014) is a set of rules that are each small but
//! only safe together. The rest of the protocol (timers, elections, replication, applying) is
//! ours; the learner's functions decide one rule, and every property is judged on the whole
//! cluster's behaviour, so a mistake shows up as the failure the paper warns about.
//!
//! The script sees plain Rhai values: maps of integers, booleans, strings and `()` (none), and
//! arrays of them. It returns maps of the same kind; a result of the wrong type or shape stops
//! the check with a [`ScriptErrorKind::WrongResult`] at the function's definition.
//!
//! Runs: seed `s` runs the `raft-election` swarm plan of seed `s` (crashes, restarts,
//! partitions, pauses, loss, duplication, clock drift and client requests, then a heal), except
//! that every [`SCRIPTED_EVERY`]-th seed replays one of the chapter's scripted scenarios
//! (`raft-partitioned-leader`, `raft-log-repair`, `raft-figure8`, and the states behind the
//! classic mistakes: `raft-stale-candidate`, `raft-shorter-log`, `raft-stale-tail`,
//! `raft-minority-down`) with seed `s`, so the interleavings of the paper's figures are always
//! among those checked. The first violation is
//! shrunk (fewer faults, fewer requests) and reported with its event log and a replayable
//! [`RunSpec`].

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;
use std::sync::Arc;

use rhai::{Array, Dynamic};

use crate::challenge::harness::{Script, SimChallenge, TAIL_EVENTS_SHOWN};
use crate::protocols::raft::{
    self, AppendEntriesArgs, AppendEntriesReply, Entry, Index, Msg, NodeState, Raft, RaftCfg,
    RaftHooks, RequestVoteArgs, RequestVoteReply, Role, Term,
};
use crate::script::convert::{
    exact, get_array, get_bool, get_node, get_string, get_u64, int, map, node,
};
use crate::script::RequiredFn;
use crate::sim::protocol::NodeId;
use crate::sim::scenario::AnyScenario;
use crate::sim::spec::RunSpec;
use crate::sim::trace::{Event, TraceEvent};
use crate::sim::world::{Scenario, Sim, Status, Violation};

/// Every this many seeds, one replays a scripted scenario instead of a swarm plan.
pub const SCRIPTED_EVERY: u64 = 5;

/// The part of Raft a challenge replaces.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Part {
    /// `raft-request-vote`: the higher-term rule (§5.1) and the RequestVote receiver (§5.2,
    /// §5.4.1).
    RequestVote,
    /// `raft-append-entries`: the AppendEntries receiver (§5.3).
    AppendEntries,
    /// `raft-commit-rule`: the leader's commit rule (§5.3, §5.4.2).
    CommitRule,
    /// All three at once: the learner's chapter 4 Raft, as the capstone's store runs it
    /// (`kv-your-raft`).
    Whole,
}

const REQUEST_VOTE: [RequiredFn; 2] = [
    RequiredFn {
        name: "on_higher_term",
        params: &["state", "term"],
    },
    RequiredFn {
        name: "on_request_vote",
        params: &["state", "args"],
    },
];

const APPEND_ENTRIES: [RequiredFn; 1] = [RequiredFn {
    name: "on_append_entries",
    params: &["state", "args"],
}];

const COMMIT_RULE: [RequiredFn; 1] = [RequiredFn {
    name: "leader_commit",
    params: &["state"],
}];

const WHOLE: [RequiredFn; 4] = [
    REQUEST_VOTE[0],
    REQUEST_VOTE[1],
    APPEND_ENTRIES[0],
    COMMIT_RULE[0],
];

impl Part {
    /// The functions a script for this part defines.
    pub fn required(self) -> &'static [RequiredFn] {
        match self {
            Part::RequestVote => &REQUEST_VOTE,
            Part::AppendEntries => &APPEND_ENTRIES,
            Part::CommitRule => &COMMIT_RULE,
            Part::Whole => &WHOLE,
        }
    }

    /// Whether a script for this part decides `part`'s rule.
    fn decides(self, part: Part) -> bool {
        self == part || self == Part::Whole
    }
}

/// A script defining every function of [`Part::Whole`] as Raft's hooks: the learner's whole
/// chapter 4 Raft.
pub fn whole_raft(script: Rc<Script>) -> Arc<dyn RaftHooks> {
    ScriptHooks::shared(Part::Whole, script)
}

/// The scripted scenarios every [`SCRIPTED_EVERY`]-th seed replays, in turn.
const SCRIPTED: [&str; 7] = [
    "raft-partitioned-leader",
    "raft-log-repair",
    "raft-figure8",
    "raft-stale-candidate",
    "raft-shorter-log",
    "raft-stale-tail",
    "raft-minority-down",
];

/// The scenario and run of `seed` (see the module documentation).
pub fn run_of(hooks: &Arc<dyn RaftHooks>, seed: u64) -> (Scenario<Raft>, RunSpec) {
    if seed % SCRIPTED_EVERY == SCRIPTED_EVERY - 1 {
        let id = SCRIPTED[((seed / SCRIPTED_EVERY) % SCRIPTED.len() as u64) as usize];
        let scenario =
            raft::scenario(id, hooks.clone()).expect("the scripted scenarios are Raft's");
        let spec = scenario.default_spec(seed);
        (scenario, spec)
    } else {
        let scenario = raft::election(hooks.clone());
        let spec = scenario.swarm_spec(seed);
        (scenario, spec)
    }
}

/// The learner's script as Raft's hooks. The first error a call hits is kept and every later
/// call falls back to the reference, so the run ends normally and the harness reports the
/// error instead of the run.
///
/// A script function sees nothing but its arguments (Rhai functions cannot reach global
/// state), so the hot ones — the AppendEntries receiver and the commit rule, called on every
/// heartbeat and acknowledgement — are remembered by their exact inputs across the runs of one
/// check: the same inputs give the same answer without calling the script again.
struct ScriptHooks {
    part: Part,
    script: Rc<Script>,
    appends: RefCell<HashMap<AppendKey, AppendAnswer>>,
    commits: RefCell<HashMap<CommitKey, Index>>,
}

/// What `on_append_entries` decided: success, the new log, the new commit index.
type AppendAnswer = (bool, Vec<Entry>, Index);

/// Most remembered answers per function; the memory is emptied when full.
const REMEMBERED_MAX: usize = 20_000;

/// Everything `on_append_entries` sees.
#[derive(PartialEq, Eq, Hash)]
struct AppendKey {
    me: NodeId,
    role: Role,
    current_term: Term,
    commit_index: Index,
    log: Vec<(Term, Rc<str>)>,
    term: Term,
    leader_id: NodeId,
    prev: (Index, Term),
    entries: Vec<(Term, Rc<str>)>,
    leader_commit: Index,
}

/// Everything `leader_commit` sees.
#[derive(PartialEq, Eq, Hash)]
struct CommitKey {
    me: NodeId,
    current_term: Term,
    commit_index: Index,
    log_terms: Vec<Term>,
    match_index: Vec<Index>,
}

fn pairs(log: &[Entry]) -> Vec<(Term, Rc<str>)> {
    log.iter().map(|e| (e.term, e.command.clone())).collect()
}

fn remember<K: std::hash::Hash + Eq, V>(memory: &RefCell<HashMap<K, V>>, key: K, value: V) {
    let mut memory = memory.borrow_mut();
    if memory.len() >= REMEMBERED_MAX {
        memory.clear();
    }
    memory.insert(key, value);
}

fn role_name(role: Role) -> &'static str {
    match role {
        Role::Follower => "follower",
        Role::Candidate => "candidate",
        Role::Leader => "leader",
    }
}

fn entries(log: &[Entry]) -> Dynamic {
    Dynamic::from_array(
        log.iter()
            .map(|e| {
                map([
                    ("term", int(e.term)),
                    ("command", Dynamic::from(e.command.to_string())),
                ])
            })
            .collect(),
    )
}

fn get_role(m: &rhai::Map, key: &str) -> Option<Role> {
    match get_string(m, key)?.as_str() {
        "follower" => Some(Role::Follower),
        "candidate" => Some(Role::Candidate),
        "leader" => Some(Role::Leader),
        _ => None,
    }
}

/// A log: an array of `#{term, command}` maps, at most `max` long.
fn get_log(m: &rhai::Map, key: &str, max: usize) -> Option<Vec<Entry>> {
    let array: Array = get_array(m, key)?;
    if array.len() > max {
        return None;
    }
    array
        .into_iter()
        .map(|e| {
            let e = exact(e, &["term", "command"])?;
            Some(Entry {
                term: get_u64(&e, "term")?,
                command: Rc::from(get_string(&e, "command")?.as_str()),
            })
        })
        .collect()
}

impl ScriptHooks {
    /// Raft holds its hooks in an `Arc`; a check runs on one thread, and the script engine
    /// is not `Send`.
    #[allow(clippy::arc_with_non_send_sync)]
    fn shared(part: Part, script: Rc<Script>) -> Arc<ScriptHooks> {
        Arc::new(ScriptHooks {
            part,
            script,
            appends: RefCell::new(HashMap::new()),
            commits: RefCell::new(HashMap::new()),
        })
    }

    fn failed(&self) -> bool {
        self.script.failed()
    }

    fn call(&self, name: &str, args: impl rhai::FuncArgs) -> Option<Dynamic> {
        self.script.call(name, args)
    }

    fn wrong(&self, name: &str, value: &Dynamic, expected: &str) {
        self.script.wrong(name, value, expected);
    }

    fn vote_state(s: &NodeState) -> Dynamic {
        let p = &s.persistent;
        map([
            ("me", Dynamic::from_int(i64::from(s.me))),
            ("nodes", Dynamic::from_int(i64::from(s.nodes))),
            ("current_term", int(p.current_term)),
            ("voted_for", node(p.voted_for)),
            ("role", Dynamic::from(role_name(s.role).to_string())),
            ("last_log_index", int(p.last_index())),
            ("last_log_term", int(p.last_term())),
        ])
    }
}

impl RaftHooks for ScriptHooks {
    fn name(&self) -> &str {
        "script"
    }

    fn observe_term(&self, s: &mut NodeState, term: Term) -> bool {
        const NAME: &str = "on_higher_term";
        if !self.part.decides(Part::RequestVote) || self.failed() {
            return raft::observe_term(s, term);
        }
        if term <= s.persistent.current_term {
            return false;
        }
        let Some(value) = self.call(NAME, (Self::vote_state(s), int(term))) else {
            return raft::observe_term(s, term);
        };
        let shown = value.clone();
        let parsed = exact(value, &["current_term", "voted_for", "role"]).and_then(|m| {
            let role = get_role(&m, "role")?;
            (role == Role::Follower || role == s.role).then_some((
                get_u64(&m, "current_term")?,
                get_node(&m, "voted_for", s.nodes)?,
                role,
            ))
        });
        let Some((current_term, voted_for, role)) = parsed else {
            self.wrong(
                NAME,
                &shown,
                &format!(
                    "#{{current_term: integer ≥ 0, voted_for: () or a node id 0 to {}, role: {}}}",
                    s.nodes - 1,
                    match s.role {
                        Role::Follower => "\"follower\"".to_string(),
                        role => format!("\"follower\" or the node's role \"{}\"", role_name(role)),
                    }
                ),
            );
            return raft::observe_term(s, term);
        };
        let changed = current_term != s.persistent.current_term || role != s.role;
        if current_term != s.persistent.current_term {
            s.leader = None;
        }
        s.persistent.current_term = current_term;
        s.persistent.voted_for = voted_for;
        s.role = role;
        changed
    }

    fn request_vote(
        &self,
        cfg: &RaftCfg,
        s: &mut NodeState,
        args: &RequestVoteArgs,
    ) -> RequestVoteReply {
        const NAME: &str = "on_request_vote";
        if !self.part.decides(Part::RequestVote) || self.failed() {
            return raft::handle_request_vote(cfg, s, args);
        }
        let a = map([
            ("term", int(args.term)),
            (
                "candidate_id",
                Dynamic::from_int(i64::from(args.candidate_id)),
            ),
            ("last_log_index", int(args.last_log_index)),
            ("last_log_term", int(args.last_log_term)),
        ]);
        let Some(value) = self.call(NAME, (Self::vote_state(s), a)) else {
            return raft::handle_request_vote(cfg, s, args);
        };
        let shown = value.clone();
        let parsed = exact(value, &["granted", "voted_for"]).and_then(|m| {
            Some((
                get_bool(&m, "granted")?,
                get_node(&m, "voted_for", s.nodes)?,
            ))
        });
        let Some((granted, voted_for)) = parsed else {
            self.wrong(
                NAME,
                &shown,
                &format!(
                    "#{{granted: true or false, voted_for: () or a node id 0 to {}}}",
                    s.nodes - 1
                ),
            );
            return raft::handle_request_vote(cfg, s, args);
        };
        s.persistent.voted_for = voted_for;
        RequestVoteReply {
            term: s.persistent.current_term,
            vote_granted: granted,
        }
    }

    fn append_entries(
        &self,
        cfg: &RaftCfg,
        s: &mut NodeState,
        args: &AppendEntriesArgs,
    ) -> AppendEntriesReply {
        if !self.part.decides(Part::AppendEntries) || self.failed() {
            return raft::handle_append_entries(cfg, s, args);
        }
        let key = AppendKey {
            me: s.me,
            role: s.role,
            current_term: s.persistent.current_term,
            commit_index: s.commit_index,
            log: pairs(&s.persistent.log),
            term: args.term,
            leader_id: args.leader_id,
            prev: (args.prev_log_index, args.prev_log_term),
            entries: pairs(&args.entries),
            leader_commit: args.leader_commit,
        };
        let known = self.appends.borrow().get(&key).cloned();
        let (success, log, commit_index) = match known {
            Some(answer) => answer,
            None => match self.call_append_entries(s, args) {
                Some(answer) => {
                    remember(&self.appends, key, answer.clone());
                    answer
                }
                None => return raft::handle_append_entries(cfg, s, args),
            },
        };
        s.persistent.log = log;
        s.commit_index = commit_index;
        AppendEntriesReply {
            term: s.persistent.current_term,
            success,
            match_index: if success {
                args.prev_log_index + args.entries.len() as Index
            } else {
                0
            },
        }
    }

    fn leader_commit(&self, cfg: &RaftCfg, s: &NodeState) -> Index {
        if !self.part.decides(Part::CommitRule) || self.failed() {
            return raft::leader_commit_index(cfg, s);
        }
        let last = s.persistent.last_index();
        let key = CommitKey {
            me: s.me,
            current_term: s.persistent.current_term,
            commit_index: s.commit_index,
            log_terms: s.persistent.log.iter().map(|e| e.term).collect(),
            match_index: (0..s.nodes)
                .map(|i| {
                    if i == s.me {
                        last
                    } else {
                        s.match_index[usize::from(i)]
                    }
                })
                .collect(),
        };
        if let Some(&n) = self.commits.borrow().get(&key) {
            return n;
        }
        match self.call_leader_commit(s.nodes, &key) {
            Some(n) => {
                remember(&self.commits, key, n);
                n
            }
            None => raft::leader_commit_index(cfg, s),
        }
    }
}

impl ScriptHooks {
    /// Calls `on_append_entries`; `None` after recording an error.
    fn call_append_entries(&self, s: &NodeState, args: &AppendEntriesArgs) -> Option<AppendAnswer> {
        const NAME: &str = "on_append_entries";
        let p = &s.persistent;
        let state = map([
            ("me", Dynamic::from_int(i64::from(s.me))),
            ("nodes", Dynamic::from_int(i64::from(s.nodes))),
            ("current_term", int(p.current_term)),
            ("role", Dynamic::from(role_name(s.role).to_string())),
            ("commit_index", int(s.commit_index)),
            ("log", entries(&p.log)),
        ]);
        let a = map([
            ("term", int(args.term)),
            ("leader_id", Dynamic::from_int(i64::from(args.leader_id))),
            ("prev_log_index", int(args.prev_log_index)),
            ("prev_log_term", int(args.prev_log_term)),
            ("entries", entries(&args.entries)),
            ("leader_commit", int(args.leader_commit)),
        ]);
        let value = self.call(NAME, (state, a))?;
        let max = p.log.len() + args.entries.len();
        let shown = value.clone();
        let parsed = exact(value, &["success", "log", "commit_index"]).and_then(|m| {
            Some((
                get_bool(&m, "success")?,
                get_log(&m, "log", max)?,
                get_u64(&m, "commit_index")?,
            ))
        });
        if parsed.is_none() {
            self.wrong(
                NAME,
                &shown,
                &format!(
                    "#{{success: true or false, log: an array of at most {max} #{{term, command}} maps (the log plus the entries sent), commit_index: integer ≥ 0}}"
                ),
            );
        }
        parsed
    }

    /// Calls `leader_commit` with the leader's state `key`; `None` after recording an error.
    fn call_leader_commit(&self, nodes: u16, key: &CommitKey) -> Option<Index> {
        const NAME: &str = "leader_commit";
        let ints = |xs: &[u64]| Dynamic::from_array(xs.iter().map(|&x| int(x)).collect());
        let state = map([
            ("me", Dynamic::from_int(i64::from(key.me))),
            ("nodes", Dynamic::from_int(i64::from(nodes))),
            ("current_term", int(key.current_term)),
            ("commit_index", int(key.commit_index)),
            ("log_terms", ints(&key.log_terms)),
            ("match_index", ints(&key.match_index)),
        ]);
        let value = self.call(NAME, (state,))?;
        let last = key.log_terms.len() as Index;
        let n = value
            .as_int()
            .ok()
            .and_then(|i| u64::try_from(i).ok())
            .filter(|&n| n <= last);
        if n.is_none() {
            self.wrong(
                NAME,
                &value,
                &format!("an index between 0 and the log's length ({last})"),
            );
        }
        n
    }
}

/// One of the Raft challenges: the learner's script as the part's hooks, one run per seed
/// (see the module documentation).
pub struct RaftChallenge(pub Part);

impl SimChallenge for RaftChallenge {
    type P = Raft;
    type Installed = Arc<dyn RaftHooks>;

    fn required(&self) -> &'static [RequiredFn] {
        self.0.required()
    }
    fn install(&self, script: Rc<Script>) -> Arc<dyn RaftHooks> {
        ScriptHooks::shared(self.0, script)
    }
    fn scenario(&self, hooks: &Arc<dyn RaftHooks>, id: &str) -> Option<Scenario<Raft>> {
        raft::scenario(id, hooks.clone())
    }
    fn run_of(&self, seed: u64) -> RunSpec {
        run_of(&raft::RaftVariant::Reference.into(), seed).1
    }
    /// Every property of the scenarios its seeds run (the swarm's and the scripted ones).
    /// For a liveness failure: every server's role, term and log at the deadline, so the
    /// message names who did not make progress and what was left uncommitted.
    fn describe(&self, sim: &Sim<Raft>, violation: &Violation) -> Option<String> {
        if !violation.property.starts_with("leader-")
            && !violation.property.starts_with("log-")
            && !violation.property.starts_with("progress-")
        {
            return None;
        }
        let w = sim.world_ref();
        let servers: Vec<String> = (0..w.nodes())
            .map(
                |n| match w.state(n).filter(|_| w.status(n) != Status::Down) {
                    None => format!("n{n} down"),
                    Some(s) => format!(
                        "n{n} {} of term {} with {} entries, {} committed",
                        role_name(s.role),
                        s.persistent.current_term,
                        s.persistent.last_index(),
                        s.commit_index
                    ),
                },
            )
            .collect();
        Some(format!("At t={}: {}.", w.time(), servers.join("; ")))
    }
    /// What a Raft counterexample shows: faults and client requests, every note (elections,
    /// leaders, step-downs, truncations, commits), granted votes as they arrive, and
    /// AppendEntries that carry entries, with their answers. Heartbeats, RequestVote sends,
    /// empty AppendEntries and their acknowledgements, refusals and drops are folded.
    fn matters(&self, event: &TraceEvent<Raft>) -> bool {
        match &event.event {
            Event::Action(_) | Event::Request { .. } | Event::Reply { .. } | Event::Note { .. } => {
                true
            }
            Event::Recv { msg, .. } => match msg {
                Msg::VoteReply(r) => r.vote_granted,
                Msg::AppendEntries(a) => !a.entries.is_empty(),
                Msg::Forward(_) => true,
                Msg::RequestVote(_) | Msg::AppendReply(_) => false,
            },
            _ => false,
        }
    }
    /// The events that [`matter`](SimChallenge::matters) and the last [`TAIL_EVENTS_SHOWN`],
    /// as by default, except that a long run of failed election rounds — election timeouts
    /// and step-downs with nothing else that matters between them, as a liveness failure
    /// repeats until its deadline — shows its first and last [`ROUND_LINES_SHOWN`] and one
    /// line counting the rest and the terms they span.
    fn lines(&self, sim: &Sim<Raft>, _violation: &Violation) -> Vec<String> {
        rounds_folded(sim.trace(), |e| self.matters(e))
    }
    fn properties(&self) -> Vec<&'static str> {
        let mut names: Vec<&'static str> = Vec::new();
        for (_, build) in raft::SCENARIOS {
            for p in build(raft::RaftVariant::Reference.into()).properties {
                if !names.contains(&p.name) {
                    names.push(p.name);
                }
            }
        }
        names
    }
}

/// Lines shown at each end of a run of failed election rounds in a counterexample.
pub const ROUND_LINES_SHOWN: usize = 4;

/// The term of an election timeout or a step-down: the notes a failed election round is made
/// of.
fn round_term(event: &TraceEvent<Raft>) -> Option<Term> {
    match &event.event {
        Event::Note {
            note: raft::Note::Candidate(t) | raft::Note::StepDown(t),
            ..
        } => Some(*t),
        _ => None,
    }
}

/// See [`RaftChallenge::lines`].
fn rounds_folded(
    trace: &[TraceEvent<Raft>],
    matters: impl Fn(&TraceEvent<Raft>) -> bool,
) -> Vec<String> {
    let tail = trace.len().saturating_sub(TAIL_EVENTS_SHOWN);
    let kept: Vec<(usize, &TraceEvent<Raft>)> = trace
        .iter()
        .enumerate()
        .filter(|(i, e)| *i >= tail || matters(e))
        .collect();
    let mut lines = Vec::with_capacity(kept.len() + 1);
    let mut i = 0;
    while i < kept.len() {
        let mut j = i;
        while j < kept.len() && kept[j].0 < tail && round_term(kept[j].1).is_some() {
            j += 1;
        }
        if j - i > 2 * ROUND_LINES_SHOWN + 1 {
            let run = &kept[i..j];
            let middle = &run[ROUND_LINES_SHOWN..run.len() - ROUND_LINES_SHOWN];
            let terms: Vec<Term> = middle.iter().filter_map(|(_, e)| round_term(e)).collect();
            let (first, last) = (middle[0].1, middle[middle.len() - 1].1);
            lines.extend(run[..ROUND_LINES_SHOWN].iter().map(|(_, e)| e.line()));
            lines.push(format!(
                "… {} more election timeouts and step-downs from t={} to t={} (terms {} to {}), no leader elected",
                middle.len(),
                first.t,
                last.t,
                terms.iter().min().copied().unwrap_or(0),
                terms.iter().max().copied().unwrap_or(0),
            ));
            lines.extend(
                run[run.len() - ROUND_LINES_SHOWN..]
                    .iter()
                    .map(|(_, e)| e.line()),
            );
            i = j;
        } else if j > i {
            lines.extend(kept[i..j].iter().map(|(_, e)| e.line()));
            i = j;
        } else {
            lines.push(kept[i].1.line());
            i += 1;
        }
    }
    let hidden = trace.len() - kept.len();
    if hidden > 0 {
        lines.insert(
            0,
            format!(
                "… {hidden} routine events of {} not shown (Replay this run shows every one)",
                trace.len()
            ),
        );
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::challenge::harness::{Found, Harness, Simulated};
    use crate::challenge::{challenge, CheckOptions, CheckReport, PropertyStatus, Verdict};
    use crate::script::{ScriptError, ScriptErrorKind};

    /// Runs `spec` with `source` in place of `part`: the failure it finds, if any.
    fn replay(part: Part, source: &str, spec: &RunSpec) -> Option<Found> {
        let harness = Simulated(RaftChallenge(part));
        let script = Script::compile(source, Harness::required(&harness)).unwrap();
        let installed = harness.install(script);
        harness.judge(&installed, spec).unwrap()
    }

    fn part_of(id: &str) -> Part {
        match id {
            "raft-request-vote" => Part::RequestVote,
            "raft-append-entries" => Part::AppendEntries,
            _ => Part::CommitRule,
        }
    }

    fn run(id: &str, source: &str, seeds: u64) -> CheckReport {
        let c = challenge(id).unwrap();
        crate::challenge::check(
            c,
            source,
            CheckOptions {
                seeds,
                first_seed: 0,
            },
            &mut |_, _| true,
        )
    }

    fn script_error(report: &CheckReport) -> (&ScriptError, Option<u64>) {
        match &report.verdict {
            Verdict::ScriptError { error, seed } => (error, *seed),
            other => panic!("expected a script error, got {other:?}"),
        }
    }

    /// The 1-based line of `needle` in `source`.
    fn line_of(source: &str, needle: &str) -> usize {
        source.lines().position(|l| l.contains(needle)).unwrap() + 1
    }

    #[test]
    fn results_of_the_wrong_shape_are_wrong_results_at_the_function() {
        let reference = &challenge("raft-request-vote").unwrap().reference;
        let cases = [
            // A bare boolean instead of the map.
            (
                "raft-request-vote",
                reference.replace(
                    "#{ granted: true, voted_for: args.candidate_id }",
                    "true",
                ),
                "fn on_request_vote",
            ),
            // A follower cannot make itself leader here.
            (
                "raft-request-vote",
                reference.replace("role: \"follower\"", "role: \"leader\""),
                "fn on_higher_term",
            ),
            // A vote for a server that does not exist.
            (
                "raft-request-vote",
                reference.replace("voted_for: args.candidate_id", "voted_for: 7"),
                "fn on_request_vote",
            ),
            // A misspelt key.
            (
                "raft-request-vote",
                reference.replace("granted: false", "vote_granted: false"),
                "fn on_request_vote",
            ),
            // A log of terms instead of entries.
            (
                "raft-append-entries",
                "// log of terms\nfn on_append_entries(state, args) {\n    #{ success: true, log: [1, 2], commit_index: 0 }\n}".to_string(),
                "fn on_append_entries",
            ),
            // An index past the end of the log.
            (
                "raft-commit-rule",
                "fn leader_commit(state) {\n    state.log_terms.len() + 1\n}".to_string(),
                "fn leader_commit",
            ),
            // A string.
            (
                "raft-commit-rule",
                "fn leader_commit(state) {\n    \"3\"\n}".to_string(),
                "fn leader_commit",
            ),
        ];
        for (id, source, function) in cases {
            let report = run(id, &source, 20);
            let (error, seed) = script_error(&report);
            assert_eq!(error.kind, ScriptErrorKind::WrongResult, "{id}: {error}");
            assert_eq!(
                error.line,
                Some(line_of(&source, function)),
                "{id}: {error}"
            );
            assert!(seed.is_some(), "{id}: found while running");
            let name = function.trim_start_matches("fn ");
            assert!(error.message.contains(name), "{error}");
            assert!(error.message.contains("expected"), "{error}");
            assert!(report
                .properties
                .iter()
                .all(|p| p.status == PropertyStatus::Inconclusive));
        }
    }

    #[test]
    fn runtime_errors_and_budget_overruns_in_a_hook_abort_the_check_with_their_seed() {
        let c = challenge("raft-append-entries").unwrap();
        let throws = c.reference.replace(
            "    // 1. A stale leader.",
            "    if args.entries.len() > 0 && args.prev_log_index > 0 { throw \"boom\"; }\n    // 1. A stale leader.",
        );
        let report = run(c.id.as_str(), &throws, 20);
        let (error, seed) = script_error(&report);
        assert_eq!(error.kind, ScriptErrorKind::Runtime, "{error}");
        assert!(error.message.contains("boom"), "{error}");
        assert_eq!(error.line, Some(line_of(&throws, "throw")));
        let seed = seed.expect("the seed of the failing run");
        assert_eq!(
            report.seeds_run, seed,
            "the failing seed is not counted as run"
        );
        let endless = "fn leader_commit(state) {\n    loop { }\n}";
        let report = run("raft-commit-rule", endless, 20);
        let (error, seed) = script_error(&report);
        assert_eq!(error.kind, ScriptErrorKind::Budget, "{error}");
        assert_eq!(seed, Some(0));
        let missing = run(
            "raft-request-vote",
            "fn on_request_vote(state, args) { 1 }",
            20,
        );
        let (error, seed) = script_error(&missing);
        assert_eq!((error.kind, seed), (ScriptErrorKind::MissingFunction, None));
        assert!(error.message.contains("on_higher_term"), "{error}");
    }

    #[test]
    fn a_check_is_deterministic_and_its_replay_reproduces_the_violation() {
        for id in [
            "raft-request-vote",
            "raft-append-entries",
            "raft-commit-rule",
        ] {
            let c = challenge(id).unwrap();
            let wrong = &c.wrong[0];
            let report = run(id, &wrong.code, 30);
            assert_eq!(report, run(id, &wrong.code, 30), "{id}: same report twice");
            let Verdict::Failed(failure) = &report.verdict else {
                panic!("{id}: {:?}", report.verdict)
            };
            let spec = failure.replay.as_ref().expect("a replayable run");
            let part = part_of(id);
            let again = replay(part, &wrong.code, spec).expect("it fails again");
            assert_eq!(again.property, failure.property, "{id}");
            assert_eq!(again.step, failure.step, "{id}");
            assert!(
                failure.message.starts_with("Violated at step "),
                "{}",
                failure.message
            );
            // The reference runs the same spec without a violation.
            assert_eq!(replay(part, &c.reference, spec), None, "{id}");
            let original = run_of(&reference(), failure.seed).1;
            assert!(spec.overrides.len() <= original.overrides.len());
            assert_eq!(
                (spec.scenario.as_str(), spec.seed),
                (original.scenario.as_str(), original.seed)
            );
        }
    }

    /// A liveness failure's endless failed elections are folded to their first and last
    /// rounds, with a line counting the rest; the run shown still ends at the deadline.
    #[test]
    fn failed_election_rounds_are_folded() {
        let c = challenge("raft-request-vote").unwrap();
        let wrong = c
            .wrong
            .iter()
            .find(|w| w.name.starts_with("keeps the old term's vote"))
            .unwrap();
        let Verdict::Failed(failure) = run(&c.id, &wrong.code, 20).verdict else {
            panic!()
        };
        assert_eq!(failure.property, "leader-elected");
        let folds: Vec<&String> = failure
            .counterexample
            .iter()
            .filter(|l| l.contains("more election timeouts and step-downs"))
            .collect();
        assert!(!folds.is_empty(), "{:#?}", failure.counterexample);
        assert!(folds.iter().all(|l| l.ends_with("no leader elected")));
        assert!(
            failure.counterexample.len() <= 100,
            "{:#?}",
            failure.counterexample
        );
        let deadline = format!(
            "t={:>6}",
            failure
                .message
                .split("(t=")
                .nth(1)
                .unwrap()
                .split(')')
                .next()
                .unwrap()
        );
        assert!(
            failure
                .counterexample
                .last()
                .unwrap()
                .starts_with(&deadline),
            "{deadline}: {:#?}",
            failure.counterexample
        );
    }

    /// The reference hooks, to rebuild a seed's run.
    fn reference() -> Arc<dyn RaftHooks> {
        raft::RaftVariant::Reference.into()
    }

    #[test]
    fn every_fifth_seed_replays_a_scripted_scenario_in_turn() {
        let ids: Vec<String> = (0..15)
            .map(|seed| run_of(&reference(), seed).1.scenario)
            .collect();
        assert_eq!(ids[4], "raft-partitioned-leader");
        assert_eq!(ids[9], "raft-log-repair");
        assert_eq!(ids[14], "raft-figure8");
        assert_eq!(ids.iter().filter(|id| *id == "raft-election").count(), 12);
    }

    /// Native timing of every reference and what each wrong variant violates:
    /// `cargo test -p engine --release --lib raft_challenge_survey -- --ignored --nocapture`.
    #[test]
    #[ignore]
    fn raft_challenge_survey() {
        for id in [
            "raft-request-vote",
            "raft-append-entries",
            "raft-commit-rule",
        ] {
            let c = challenge(id).unwrap();
            let start = std::time::Instant::now();
            let report = run(id, &c.reference, c.seeds);
            println!(
                "{id}: reference {:?} over {} seeds in {:.2?}",
                report.verdict,
                report.seeds_run,
                start.elapsed()
            );
            for w in &c.wrong {
                let start = std::time::Instant::now();
                let report = run(id, &w.code, c.seeds);
                match &report.verdict {
                    Verdict::Failed(f) => println!(
                        "  {}: {} at seed {} step {:?} ({} -> {} events) in {:.2?}",
                        w.name,
                        f.property,
                        f.seed,
                        f.step,
                        f.events_before_shrinking,
                        f.counterexample.len(),
                        start.elapsed()
                    ),
                    other => println!("  {}: {other:?}", w.name),
                }
            }
        }
    }
}
