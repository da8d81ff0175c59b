use std::collections::BTreeSet;

use super::properties::{converged, missing_now, siblings_of};
use super::scenarios::{client_of, geography, STORY_END_TICKS};
use super::versions::{
    keep, lww, merge_all, merge_siblings, vectors, Cart, Order, Resolve, Stamp, Version,
    VersionVector,
};
use super::view::{counters_grid, versions_grid};
use super::*;
use crate::sim::check::check_scenario;
use crate::sim::spec::{Action, Override, RunSpec};
use crate::sim::world::{Scenario, Sim, SimOptions, Violation};

const SEEDS: u64 = 30;

fn vv(entries: [u32; 3]) -> VersionVector {
    VersionVector(entries)
}

fn cart(items: &[&str]) -> Cart {
    items.iter().map(ToString::to_string).collect()
}

fn version(items: &[&str], wall: u64, dc: NodeId, entries: [u32; 3]) -> Version {
    Version {
        stamp: Stamp { wall, dc },
        vv: vv(entries),
        cart: cart(items),
    }
}

fn with_option(mut overrides: Vec<Override>, choice: &str) -> Vec<Override> {
    overrides.insert(
        0,
        Override::at(0, Action::Set("resolve".into(), choice.into())),
    );
    overrides
}

fn spec(seed: u64, overrides: Vec<Override>) -> RunSpec {
    let mut spec = RunSpec::new("multileader-conflicts", seed);
    spec.overrides = overrides;
    spec
}

/// The default run under `choice`.
fn story(seed: u64, choice: &str) -> RunSpec {
    spec(seed, with_option(conflicts().script, choice))
}

fn check(spec: &RunSpec) -> Option<Violation> {
    check_scenario(&conflicts(), spec).expect("runs")
}

fn run_to(spec: &RunSpec, t: u64) -> Sim<MultiLeader> {
    let mut sim = Sim::new(conflicts(), spec.clone(), SimOptions::INTERACTIVE).expect("builds");
    sim.run_until_time(t, false).expect("runs");
    sim
}

fn final_carts(sim: &Sim<MultiLeader>) -> Vec<Cart> {
    let w = sim.world_ref();
    (0..LEADERS)
        .map(|n| merge_siblings(siblings_of(&w, n)).0)
        .collect()
}

// ---- version vectors ----

#[test]
fn a_vector_dominates_one_it_has_seen_all_of_and_more() {
    assert_eq!(vv([2, 1, 0]).compare(&vv([1, 1, 0])), Order::Dominates);
    assert_eq!(vv([1, 1, 0]).compare(&vv([2, 1, 0])), Order::DominatedBy);
    // Greater in every entry, or in one: both dominate.
    assert_eq!(vv([3, 3, 3]).compare(&vv([1, 1, 1])), Order::Dominates);
    assert_eq!(vv([0, 0, 1]).compare(&vv([0, 0, 0])), Order::Dominates);
}

#[test]
fn vectors_each_ahead_somewhere_are_concurrent() {
    assert_eq!(vv([1, 0, 0]).compare(&vv([0, 1, 0])), Order::Concurrent);
    assert_eq!(vv([0, 1, 0]).compare(&vv([1, 0, 0])), Order::Concurrent);
    // Far ahead in one entry does not make up for being behind in another.
    assert_eq!(vv([9, 0, 5]).compare(&vv([0, 1, 5])), Order::Concurrent);
}

#[test]
fn equal_vectors_are_equal_and_descend_from_each_other() {
    assert_eq!(vv([0, 0, 0]).compare(&vv([0, 0, 0])), Order::Equal);
    assert_eq!(vv([2, 1, 3]).compare(&vv([2, 1, 3])), Order::Equal);
    assert!(vv([2, 1, 3]).descends(&vv([2, 1, 3])));
    assert!(!vv([1, 0, 0]).descends(&vv([0, 1, 0])));
}

#[test]
fn the_join_is_the_least_vector_that_descends_from_both() {
    let (a, b) = (vv([2, 0, 1]), vv([1, 3, 1]));
    let j = a.join(&b);
    assert_eq!(j, vv([2, 3, 1]));
    assert!(j.descends(&a) && j.descends(&b));
    assert_eq!(a.join(&a), a, "idempotent");
    assert_eq!(a.join(&b), b.join(&a), "commutative");
    assert_eq!(vv([0, 0, 0]).join(&a), a, "zero is the identity");
    // A write on top of a context dominates everything the context has seen.
    assert_eq!(j.with(0, 3).compare(&a), Order::Dominates);
    assert_eq!(j.with(0, 3).compare(&b), Order::Dominates);
    assert_eq!(vv([2, 1, 0]).to_string(), "[us:2 eu:1 ap:0]");
    assert_eq!(vv([2, 1, 0]).short(), "2·1·0");
}

// ---- the two rules ----

#[test]
fn lww_keeps_the_highest_timestamp_and_drops_the_concurrent_write() {
    let book = version(&["book"], 300, 0, [1, 0, 0]);
    let pen = version(&["pen"], 310, 1, [0, 1, 0]);
    let kept = lww(std::slice::from_ref(&book), &pen);
    assert_eq!(kept.siblings, vec![pen.clone()]);
    assert_eq!(kept.dropped, vec![book.clone()], "book is gone: no merge");
    // In either arrival order.
    assert_eq!(lww(std::slice::from_ref(&pen), &book).siblings, vec![pen]);
}

#[test]
fn with_a_clock_behind_lww_keeps_the_earlier_write_and_drops_the_later() {
    // pen was written 20 ticks after book in true time, at a datacenter whose clock runs 200
    // behind: its stamp is 120.
    let book = version(&["book"], 300, 0, [1, 0, 0]);
    let pen = version(&["pen"], 320 - 200, 1, [0, 1, 0]);
    let kept = lww(std::slice::from_ref(&book), &pen);
    assert_eq!(kept.siblings, vec![book]);
    assert_eq!(kept.dropped, vec![pen]);
    // Even a write that has seen the other (it dominates it) loses to a higher stamp.
    let later = version(&["book", "hat"], 250, 1, [1, 1, 0]);
    let earlier = version(&["book"], 300, 0, [1, 0, 0]);
    assert_eq!(
        lww(std::slice::from_ref(&earlier), &later).siblings,
        vec![earlier]
    );
}

#[test]
fn lww_breaks_equal_timestamps_by_datacenter() {
    let a = version(&["a"], 500, 1, [0, 1, 0]);
    let b = version(&["b"], 500, 2, [0, 0, 1]);
    assert_eq!(lww(std::slice::from_ref(&a), &b).siblings, vec![b.clone()]);
    assert_eq!(lww(std::slice::from_ref(&b), &a).siblings, vec![b]);
}

#[test]
fn vectors_keep_concurrent_versions_as_siblings_and_drop_dominated_ones() {
    let book = version(&["book"], 300, 0, [1, 0, 0]);
    let pen = version(&["pen"], 120, 1, [0, 1, 0]);
    let kept = vectors(std::slice::from_ref(&book), &pen);
    assert_eq!(kept.siblings.len(), 2, "concurrent: both stay");
    assert!(kept.dropped.is_empty());
    // A version built on both dominates them: they go, whatever its timestamp.
    let merged = version(&["book", "mug", "pen"], 5, 2, [1, 1, 1]);
    let kept = vectors(&kept.siblings, &merged);
    assert_eq!(kept.siblings, vec![merged.clone()]);
    assert_eq!(kept.dropped.len(), 2);
    // Old news and copies change nothing and drop nothing.
    for old in [book, merged.clone()] {
        let again = vectors(std::slice::from_ref(&merged), &old);
        assert_eq!(again.siblings, vec![merged.clone()]);
        assert!(again.dropped.is_empty());
    }
}

#[test]
fn siblings_collapse_after_a_merge_write() {
    let siblings = vec![
        version(&["book"], 300, 0, [1, 0, 0]),
        version(&["pen"], 120, 1, [0, 1, 0]),
        version(&["cup"], 400, 2, [0, 0, 1]),
    ];
    let (merged, context) = merge_siblings(&siblings);
    assert_eq!(
        merged,
        cart(&["book", "cup", "pen"]),
        "the union: no add lost"
    );
    assert_eq!(context, vv([1, 1, 1]));
    // eu writes the merge back, numbering it one past its own counter.
    let back = Version {
        stamp: Stamp { wall: 130, dc: 1 },
        vv: context.with(1, 2),
        cart: merged,
    };
    let kept = merge_all(Resolve::Vectors, &siblings, std::slice::from_ref(&back));
    assert_eq!(kept.siblings, vec![back]);
    assert_eq!(kept.dropped.len(), 3);
}

#[test]
fn both_rules_reach_the_same_siblings_in_any_arrival_order() {
    let versions = [
        version(&["a"], 10, 0, [1, 0, 0]),
        version(&["b"], 20, 1, [0, 1, 0]),
        version(&["a", "c"], 15, 2, [1, 0, 1]),
        version(&["a", "b", "d"], 5, 0, [2, 1, 0]),
    ];
    for rule in [Resolve::Lww, Resolve::Vectors] {
        let mut outcomes = BTreeSet::new();
        for perm in permutations(versions.len()) {
            let order: Vec<Version> = perm.iter().map(|&i| versions[i].clone()).collect();
            let once = merge_all(rule, &[], &order).siblings;
            let twice = merge_all(rule, &once, &order).siblings;
            assert_eq!(once, twice, "{rule:?}: idempotent");
            outcomes.insert(once);
        }
        assert_eq!(outcomes.len(), 1, "{rule:?}: {outcomes:?}");
    }
    // Under vectors: {a,c} and {a,b,d} are concurrent; both dominate {a}, {a,b,d} dominates {b}.
    let siblings = merge_all(Resolve::Vectors, &[], &versions).siblings;
    let carts: Vec<Cart> = siblings.into_iter().map(|v| v.cart).collect();
    assert_eq!(carts, vec![cart(&["a", "b", "d"]), cart(&["a", "c"])]);
    // Under lww: the highest stamp, {b}, alone.
    let winner = merge_all(Resolve::Lww, &[], &versions).siblings;
    assert_eq!(winner, vec![versions[1].clone()]);
    assert_eq!(keep(Resolve::Lww, &[], &versions[0]).siblings.len(), 1);
}

fn permutations(n: usize) -> Vec<Vec<usize>> {
    if n == 0 {
        return vec![Vec::new()];
    }
    let mut out = Vec::new();
    for p in permutations(n - 1) {
        for i in 0..=p.len() {
            let mut q = p.clone();
            q.insert(i, n - 1);
            out.push(q);
        }
    }
    out
}

// ---- requests ----

#[test]
fn requests_parse_and_mistakes_say_what_is_expected() {
    assert_eq!(parse_request("add-book"), Ok(Request::Add("book".into())));
    assert_eq!(parse_request("read"), Ok(Request::Read));
    for (text, says) in [
        ("buy-book", "not add-<item> or read"),
        ("add-", "1 to 8 lowercase letters"),
        ("add-Book", "lowercase"),
        ("add-book2", "lowercase"),
        ("add-encyclopedia", "1 to 8"),
    ] {
        let e = parse_request(text).unwrap_err();
        assert!(e.contains(says), "{text}: {e}");
    }
}

#[test]
fn a_request_handed_to_a_leader_is_refused_with_where_it_goes() {
    let run = spec(
        1,
        vec![Override::at(5, Action::Request(1, "add-pen".into()))],
    );
    let sim = run_to(&run, 100);
    let lines: Vec<String> = sim.trace().iter().map(|e| e.line()).collect();
    assert!(
        lines
            .iter()
            .any(|l| l.contains("not run: a leader; hand requests to its client n4")),
        "{lines:?}"
    );
    assert!(siblings_of(&sim.world_ref(), 1).is_empty());
}

// ---- the default run ----

#[test]
fn under_lww_the_default_run_loses_acknowledged_adds_on_every_seed() {
    for seed in 0..SEEDS {
        let v = check(&story(seed, "lww")).expect("an add is lost");
        assert_eq!(v.property, "no-lost-updates", "seed {seed}");
        let message = v.message.unwrap_or_default();
        assert!(
            message.starts_with("add(pen)@eu was acknowledged"),
            "seed {seed}: {message}"
        );
        let sim = run_to(&story(seed, "lww"), STORY_END_TICKS + 200);
        let lost: Vec<String> = missing_now(&sim.world_ref())
            .iter()
            .map(|a| a.label())
            .collect();
        // pen: concurrent with book and stamped by eu's slow clock; hat: written after mug
        // (eu had read it) but stamped earlier; cup: concurrent with tea, whose stamp is later.
        assert_eq!(
            lost,
            ["add(pen)@eu", "add(hat)@eu", "add(cup)@us"],
            "seed {seed}"
        );
        let finals = final_carts(&sim);
        assert!(finals.iter().all(|c| *c == cart(&["book", "mug", "tea"])));
    }
}

#[test]
fn an_item_is_lost_when_the_last_replica_drops_it_and_no_message_carries_it() {
    let sim = run_to(&story(1, "lww"), STORY_END_TICKS + 200);
    let drops: Vec<u64> = sim
        .trace()
        .iter()
        .filter(|e| e.line().contains("lww drops {pen}"))
        .map(|e| e.t)
        .collect();
    assert_eq!(drops.len(), 3, "each replica drops pen: {drops:?}");
    let v = check(&story(1, "lww")).expect("violated");
    // Not when eu (the first) drops it: the replication messages still carry it. Exactly
    // when the last one arrives and its replica drops pen too.
    assert_eq!(Some(&v.time), drops.iter().max());
    assert!(drops.iter().min() < Some(&v.time));
}

#[test]
fn under_vectors_the_same_run_keeps_every_add_and_merges_the_siblings() {
    for seed in 0..SEEDS {
        let run = story(seed, "vectors");
        assert_eq!(check(&run), None, "seed {seed}");
        // Between the heal and eu's read, every replica holds cup's and tea's versions.
        let sim = run_to(&run, 1_240);
        let w = sim.world_ref();
        for n in 0..LEADERS {
            assert_eq!(siblings_of(&w, n).len(), 2, "seed {seed}: n{n}");
        }
        let sim = run_to(&run, STORY_END_TICKS + 200);
        let everything = cart(&["book", "cup", "hat", "mug", "pen", "tea"]);
        assert!(final_carts(&sim).iter().all(|c| *c == everything));
        let w = sim.world_ref();
        assert!(converged(&w));
        assert_eq!(
            siblings_of(&w, 0).len(),
            1,
            "the read's merge collapsed them"
        );
        assert!(missing_now(&w).is_empty());
    }
}

#[test]
fn the_counters_tell_the_story_in_both_modes() {
    let note = |g: &crate::sim::panel::Grid, row: &str| {
        g.rows
            .iter()
            .find(|r| r.label == row)
            .map(|r| r.note.clone())
            .unwrap_or_default()
    };
    let lww_run = run_to(&story(1, "lww"), STORY_END_TICKS + 200);
    let g = counters_grid(&lww_run.world_ref());
    assert_eq!(note(&g, "acked"), "6");
    assert_eq!(note(&g, "lost"), "3");
    assert_eq!(note(&g, "merges"), "0");
    let lost = g.rows.iter().find(|r| r.label == "lost").unwrap();
    let cells: Vec<&str> = lost.cells.iter().map(|c| c.text.as_str()).collect();
    assert_eq!(cells, ["pen@eu", "hat@eu", "cup@us"]);

    let vectors_run = run_to(&story(1, "vectors"), STORY_END_TICKS + 200);
    let g = counters_grid(&vectors_run.world_ref());
    assert_eq!(note(&g, "acked"), "6");
    assert_eq!(note(&g, "lost"), "0");
    assert_eq!(note(&g, "merges"), "2", "ap's add at t=500 and eu's read");
    assert_eq!(note(&g, "siblings"), "1");

    let mid = run_to(&story(1, "vectors"), 1_240);
    let grid = versions_grid(&mid.world_ref());
    assert!(grid.rows.iter().all(|r| r.note == "2 siblings"), "{grid:?}");
    let row = &grid.rows[0];
    assert_eq!(row.cells[0].text, "2·2·1 book,cup,hat,mug,pen");
    assert_eq!(row.cells[1].text, "1·2·2 book,hat,mug,pen,tea");
    // Every cell stays short enough for a narrow screen.
    for run in [&lww_run, &vectors_run, &mid] {
        for g in [
            versions_grid(&run.world_ref()),
            counters_grid(&run.world_ref()),
        ] {
            for r in &g.rows {
                assert!(r.label.len() + r.note.len() <= 24, "{r:?}");
                for c in &r.cells {
                    assert!(c.text.chars().count() <= 32, "{}", c.text);
                }
            }
        }
    }
}

#[test]
fn switching_to_vectors_mid_run_keeps_every_add_from_then_on() {
    let mut overrides = conflicts().script;
    overrides.push(Override::at(
        700,
        Action::Set("resolve".into(), "vectors".into()),
    ));
    for seed in 0..5 {
        let sim = run_to(&spec(seed, overrides.clone()), STORY_END_TICKS + 200);
        let w = sim.world_ref();
        assert_eq!(w.option("resolve"), Some("vectors"));
        // pen and hat went under lww; cup and tea, concurrent after the switch, both stay.
        let lost: Vec<String> = missing_now(&w).iter().map(|a| a.label()).collect();
        assert_eq!(lost, ["add(pen)@eu", "add(hat)@eu"], "seed {seed}");
        assert!(final_carts(&sim)
            .iter()
            .all(|c| *c == cart(&["book", "cup", "mug", "tea"])));
    }
}

// ---- convergence ----

/// A partition between datacenters in the middle of concurrent adds, then the heal-all.
fn partitioned(choice: &str) -> Vec<Override> {
    let mut o = geography();
    o.extend([
        Override::at(100, Action::Partition(vec![vec![0, 3], vec![1, 2, 4, 5]])),
        Override::at(150, Action::Request(client_of(0), "add-book".into())),
        Override::at(160, Action::Request(client_of(1), "add-pen".into())),
        Override::at(170, Action::Request(client_of(2), "add-mug".into())),
        Override::at(400, Action::HealAll),
    ]);
    with_option(o, choice)
}

#[test]
fn replicas_converge_after_a_partition_heals_in_both_modes() {
    for seed in 0..SEEDS {
        for choice in ["lww", "vectors"] {
            let run = spec(seed, partitioned(choice));
            let v = check(&run);
            assert!(
                v.as_ref().is_none_or(|v| v.property != "replicas-converge"),
                "seed {seed} {choice}: {v:?}"
            );
            let before = run_to(&run, 390);
            assert!(!converged(&before.world_ref()), "seed {seed}: split");
            let sim = run_to(&run, 400 + GOSSIP_TICKS * 3);
            assert!(converged(&sim.world_ref()), "seed {seed} {choice}");
            assert!(
                sim.is_quiescent(),
                "seed {seed} {choice}: converged and quiet"
            );
        }
    }
    let sim = run_to(&spec(1, partitioned("vectors")), 400 + GOSSIP_TICKS * 3);
    // Under vectors, the three concurrent adds are three siblings after the heal.
    let w = sim.world_ref();
    let carts: Vec<Cart> = siblings_of(&w, 2).iter().map(|v| v.cart.clone()).collect();
    assert_eq!(carts, [cart(&["book"]), cart(&["pen"]), cart(&["mug"])]);
}

#[test]
fn replicas_converge_fails_when_a_datacenter_stays_cut_off() {
    // us accepts book while cut off; faults "end", but the cut returns before book arrives.
    let cut = || Action::Partition(vec![vec![0, 3], vec![1, 2, 4, 5]]);
    let mut o = geography();
    o.extend([
        Override::at(0, cut()),
        Override::at(10, Action::Request(client_of(0), "add-book".into())),
        Override::at(40, Action::HealAll),
        Override::at(41, cut()),
    ]);
    for choice in ["lww", "vectors"] {
        let v = check(&spec(1, with_option(o.clone(), choice))).expect("never converges");
        assert_eq!(v.property, "replicas-converge", "{choice}");
    }
}

#[test]
fn a_crashed_replica_keeps_its_acknowledged_write_and_hands_it_on_after_restart() {
    let mut o = geography();
    o.extend([
        Override::at(0, Action::Partition(vec![vec![0, 3], vec![1, 2, 4, 5]])),
        Override::at(100, Action::Request(client_of(0), "add-book".into())),
        Override::at(150, Action::Crash(0)),
        Override::at(400, Action::HealAll),
    ]);
    for choice in ["lww", "vectors"] {
        let run = spec(3, with_option(o.clone(), choice));
        assert_eq!(
            check(&run),
            None,
            "{choice}: book lives on in n0's durable copy"
        );
        let sim = run_to(&run, 400 + GOSSIP_TICKS * 3);
        assert!(final_carts(&sim).iter().all(|c| *c == cart(&["book"])));
    }
}

// ---- swarm ----

#[test]
fn under_vectors_no_swarm_run_loses_an_add_or_fails_to_converge() {
    let scenario = conflicts();
    for seed in 0..150 {
        let mut run = scenario_swarm(&scenario, seed);
        run.overrides = with_option(run.overrides, "vectors");
        assert_eq!(check(&run), None, "seed {seed}: {}", run.to_url_token());
    }
}

#[test]
fn under_lww_swarm_runs_lose_adds_but_always_converge() {
    let scenario = conflicts();
    let mut lost = 0;
    for seed in 0..150 {
        let run = scenario_swarm(&scenario, seed);
        match check(&run) {
            None => {}
            Some(v) if v.property == "no-lost-updates" => lost += 1,
            Some(v) => panic!("seed {seed}: {v:?}"),
        }
    }
    assert!(lost >= 10, "only {lost} of 150 swarm runs lost an add");
}

fn scenario_swarm(s: &Scenario<MultiLeader>, seed: u64) -> RunSpec {
    crate::sim::scenario::swarm_plan(s, seed)
}

// ---- determinism ----

#[test]
fn the_same_seed_gives_the_same_trace_and_verdict() {
    for choice in ["lww", "vectors"] {
        let run = story(7, choice);
        let a = run_to(&run, STORY_END_TICKS + 200);
        let b = run_to(&run, STORY_END_TICKS + 200);
        assert_eq!(a.trace_hash(), b.trace_hash(), "{choice}");
        let lines = |s: &Sim<MultiLeader>| s.trace().iter().map(|e| e.line()).collect::<Vec<_>>();
        assert_eq!(lines(&a), lines(&b));
        assert_eq!(check(&run), check(&run));
        let other = run_to(&story(8, choice), STORY_END_TICKS + 200);
        assert_ne!(a.trace_hash(), other.trace_hash(), "{choice}: seeds differ");
    }
}
