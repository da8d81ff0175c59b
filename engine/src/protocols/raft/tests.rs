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
