//! The protocol: message dispatch, timers, clients.

use super::*;
use crate::sim::protocol::MessageKind;

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

    // -----------------------------------------------------------------------------------------
    // Every message: the term rule once, then the handler of the node's role.
    // -----------------------------------------------------------------------------------------

    /// One message. §5.1 first, once for every request and response: a higher term makes the
    /// node adopt it and become a follower. Then the node's role decides what the message
    /// means. Every handler persists what changed (`before` is the durable state the message
    /// found) before it sends anything that depends on it.
    fn step(&self, s: &mut NodeState, from: NodeId, msg: Msg, ctx: &mut Ctx<'_, Self>) {
        let before = s.durable();
        if let Some(term) = msg.term() {
            self.observe_term(s, term, ctx);
        }
        match s.role {
            Role::Follower => self.step_follower(s, from, msg, &before, ctx),
            Role::Candidate => self.step_candidate(s, from, msg, &before, ctx),
            Role::Leader => self.step_leader(s, from, msg, &before, ctx),
        }
    }

    /// A follower votes and accepts entries; replies are stale (it neither campaigns nor
    /// leads), and a forwarded command waits for the client to find the leader.
    fn step_follower(
        &self,
        s: &mut NodeState,
        from: NodeId,
        msg: Msg,
        before: &Durable,
        ctx: &mut Ctx<'_, Self>,
    ) {
        match msg {
            Msg::RequestVote(a) => self.vote(s, from, &a, before, ctx),
            Msg::AppendEntries(a) => self.accept(s, from, &a, before, ctx),
            Msg::VoteReply(_) | Msg::AppendReply(_) => self.persist_if_changed(s, before, ctx),
            Msg::Forward(_) => {}
        }
    }

    /// A candidate counts votes of its term; an AppendEntries of its own term means another
    /// server won, so it becomes a follower first (§5.2).
    fn step_candidate(
        &self,
        s: &mut NodeState,
        from: NodeId,
        msg: Msg,
        before: &Durable,
        ctx: &mut Ctx<'_, Self>,
    ) {
        match msg {
            Msg::RequestVote(a) => self.vote(s, from, &a, before, ctx),
            Msg::AppendEntries(a) => {
                if a.term == s.persistent.current_term {
                    self.become_follower(s, a.term, ctx);
                }
                self.accept(s, from, &a, before, ctx);
            }
            Msg::VoteReply(r) => {
                self.persist_if_changed(s, before, ctx);
                if r.term == s.persistent.current_term && r.vote_granted {
                    s.votes[usize::from(from)] = true;
                    if s.votes.iter().filter(|v| **v).count() >= s.majority() {
                        self.become_leader(s, ctx);
                    }
                }
            }
            Msg::AppendReply(_) => self.persist_if_changed(s, before, ctx),
            Msg::Forward(_) => {}
        }
    }

    /// A leader tracks its followers' replies and appends forwarded commands. It still
    /// answers RequestVote and AppendEntries of lower terms (refusing them); one of its own
    /// term can only come from a second leader, which the properties report.
    fn step_leader(
        &self,
        s: &mut NodeState,
        from: NodeId,
        msg: Msg,
        before: &Durable,
        ctx: &mut Ctx<'_, Self>,
    ) {
        match msg {
            Msg::RequestVote(a) => self.vote(s, from, &a, before, ctx),
            Msg::AppendEntries(a) => self.accept(s, from, &a, before, ctx),
            Msg::VoteReply(_) => self.persist_if_changed(s, before, ctx),
            Msg::AppendReply(r) => {
                self.persist_if_changed(s, before, ctx);
                if r.term == s.persistent.current_term {
                    self.on_append_reply(s, from, &r, ctx);
                }
            }
            Msg::Forward(command) => self.append_command(s, command, ctx),
        }
    }

    // -----------------------------------------------------------------------------------------
    // Transitions.
    // -----------------------------------------------------------------------------------------

    /// §5.1, "Rules for all servers": the hooks apply the higher-term rule (a learner's code
    /// may get it wrong); the node then does what leaving its old role takes.
    fn observe_term(&self, s: &mut NodeState, term: Term, ctx: &mut Ctx<'_, Self>) {
        let was = s.role;
        if self.hooks.observe_term(s, term) {
            self.left(s, was, term, ctx);
        }
    }

    /// §5.2: a candidate that hears from the leader of its term becomes a follower.
    fn become_follower(&self, s: &mut NodeState, term: Term, ctx: &mut Ctx<'_, Self>) {
        let was = s.role;
        s.role = Role::Follower;
        self.left(s, was, term, ctx);
    }

    /// What leaving role `was` takes: a former leader stops its heartbeats, restarts its
    /// election timer and tells waiting clients their command's fate is unknown; a node that
    /// became a follower in `term` notes it.
    fn left(&self, s: &mut NodeState, was: Role, term: Term, ctx: &mut Ctx<'_, Self>) {
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

    /// Persist if Figure 2's persistent state or the ghost record changed since `before`.
    fn persist_if_changed(&self, s: &NodeState, before: &Durable, ctx: &mut Ctx<'_, Self>) {
        if s.persistent != before.raft || s.ghost != before.ghost {
            ctx.persist(s.durable());
        }
    }

    /// §5.2: on election timeout, increment currentTerm, vote for self, and send RequestVote
    /// to all other servers.
    fn become_candidate(&self, s: &mut NodeState, ctx: &mut Ctx<'_, Self>) {
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

    // -----------------------------------------------------------------------------------------
    // Handlers any role runs.
    // -----------------------------------------------------------------------------------------

    /// RequestVote: the hooks decide (§5.2, §5.4.1); a granted vote is persisted before the
    /// reply and restarts the election timer.
    fn vote(
        &self,
        s: &mut NodeState,
        from: NodeId,
        a: &RequestVoteArgs,
        before: &Durable,
        ctx: &mut Ctx<'_, Self>,
    ) {
        let reply = self.hooks.request_vote(&self.cfg, s, a);
        self.persist_if_changed(s, before, ctx);
        if reply.vote_granted {
            self.reset_election_timer(ctx);
        }
        ctx.send(from, Msg::VoteReply(reply));
    }

    /// AppendEntries: a message of the current term names the leader and, on a follower,
    /// restarts the election timer; the hooks decide what to keep (§5.3). The new log is
    /// persisted before the reply, then newly committed entries are applied.
    fn accept(
        &self,
        s: &mut NodeState,
        from: NodeId,
        a: &AppendEntriesArgs,
        before: &Durable,
        ctx: &mut Ctx<'_, Self>,
    ) {
        if a.term == s.persistent.current_term {
            s.leader = Some(a.leader_id);
            if s.role == Role::Follower {
                self.reset_election_timer(ctx);
            }
        }
        let led = (s.role == Role::Leader).then_some(s.persistent.current_term);
        let reply = self.hooks.append_entries(&self.cfg, s, a);
        let (old, new) = (&before.raft.log, &s.persistent.log);
        if !new.starts_with(old) {
            let k = old.iter().zip(new).take_while(|(x, y)| x == y).count();
            ctx.note(Note::Truncated(k as Index + 1));
            if led.is_some() && led == (s.role == Role::Leader).then_some(s.persistent.current_term)
            {
                s.ghost.rewrote_as_leader.push(s.persistent.current_term);
            }
        }
        self.persist_if_changed(s, before, ctx);
        ctx.send(from, Msg::AppendReply(reply));
        self.apply(s, ctx);
    }

    /// A leader's AppendEntries reply of its term: move the follower's indices forward, or
    /// back off and retry.
    fn on_append_reply(
        &self,
        s: &mut NodeState,
        from: NodeId,
        r: &AppendEntriesReply,
        ctx: &mut Ctx<'_, Self>,
    ) {
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
        self.step(s, from, msg, ctx);
    }

    fn on_timer(&self, s: &mut NodeState, timer: Timer, ctx: &mut Ctx<'_, Self>) {
        match (timer, s.role) {
            (Timer::Election, Role::Follower | Role::Candidate) => self.become_candidate(s, ctx),
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

    fn message_kinds(&self) -> &'static [MessageKind] {
        &[
            MessageKind {
                name: "RequestVote",
                reply: false,
                meaning: "a candidate asks for a vote (term, last log index and term)",
            },
            MessageKind {
                name: "VoteReply",
                reply: true,
                meaning: "granted or refused, with the voter's term",
            },
            MessageKind {
                name: "AppendEntries",
                reply: false,
                meaning:
                    "the leader's entries after prevIndex, or a heartbeat, with its commit index",
            },
            MessageKind {
                name: "AppendReply",
                reply: true,
                meaning: "ok with the follower's match index, or fail",
            },
            MessageKind {
                name: "Forward",
                reply: false,
                meaning: "a follower passes a client command to its leader",
            },
        ]
    }
    fn view(&self, _node: NodeId, s: &NodeState) -> NodeView {
        view::node_view(s)
    }

    fn panels(&self, w: &WorldRef<'_, Raft>) -> Vec<Panel> {
        view::log_grid(w)
    }
}
