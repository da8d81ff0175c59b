//! The chapter's scenarios, each scripted from the paper's figures, and their table.

use super::*;

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
