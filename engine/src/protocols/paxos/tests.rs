use super::*;
use crate::rng::Rng;
use crate::sim::protocol::Effect;

fn b(round: u64, proposer: NodeId) -> Ballot {
    Ballot { round, proposer }
}

fn acceptor(variant: PaxosVariant) -> (Paxos, NodeState) {
    (
        Paxos::new(PaxosCfg::default(), variant),
        NodeState::new(2, 5, false, None),
    )
}

/// Run `f` as a handler of node 2 and return what it did.
fn handle<T>(f: impl FnOnce(&mut Ctx<'_, Paxos>) -> T) -> (T, Vec<Effect<Paxos>>) {
    let mut rng = Rng::new(1);
    let mut effects = Vec::new();
    let out = f(&mut Ctx::new(2, 5, 0, &mut rng, &mut effects));
    (out, effects)
}

fn persisted(effects: &[Effect<Paxos>]) -> Option<&Durable> {
    effects.iter().rev().find_map(|e| match e {
        Effect::Persist(d) => Some(d),
        _ => None,
    })
}

#[test]
fn s2_2_an_acceptor_promises_only_higher_ballots_and_reports_what_it_accepted() {
    let (p, mut s) = acceptor(PaxosVariant::Reference);
    let (r, fx) = handle(|ctx| p.on_prepare(&mut s, b(2, 0), ctx));
    assert_eq!(
        r,
        Msg::Promise {
            ballot: b(2, 0),
            accepted: None
        }
    );
    // §2.5: the promise is on stable storage, in the same step as the reply.
    assert_eq!(persisted(&fx).unwrap().acceptor.promised, Some(b(2, 0)));
    let (r, _) = handle(|ctx| p.on_prepare(&mut s, b(1, 1), ctx));
    assert_eq!(
        r,
        Msg::Nack {
            ballot: b(1, 1),
            promised: b(2, 0)
        }
    );
    let (r, fx) = handle(|ctx| p.on_accept(&mut s, b(2, 0), "x".into(), ctx));
    assert_eq!(r, None);
    assert_eq!(
        persisted(&fx).unwrap().acceptor.accepted,
        Some((b(2, 0), "x".into()))
    );
    // Every learner hears of it.
    let told = fx
        .iter()
        .filter(|e| matches!(e, Effect::Send(_, Msg::Accepted { .. })))
        .count();
    assert_eq!(told, 4);
    let (r, _) = handle(|ctx| p.on_prepare(&mut s, b(3, 1), ctx));
    assert_eq!(
        r,
        Msg::Promise {
            ballot: b(3, 1),
            accepted: Some((b(2, 0), "x".into()))
        }
    );
    // An Accept below the promise is refused.
    let (r, _) = handle(|ctx| p.on_accept(&mut s, b(2, 0), "z".into(), ctx));
    assert_eq!(
        r,
        Some(Msg::Nack {
            ballot: b(2, 0),
            promised: b(3, 1)
        })
    );
    assert_eq!(s.acceptor.accepted, Some((b(2, 0), "x".into())));
}

#[test]
fn s2_2_the_proposer_adopts_the_value_of_the_highest_numbered_proposal() {
    let own: Value = "mine".into();
    assert_eq!(&*choose_value(None, &own), "mine");
    assert_eq!(&*choose_value(Some(&(b(4, 1), "x".into())), &own), "x");
}

#[test]
fn the_wrong_variants_break_exactly_their_rule() {
    // Accepting below the promise.
    let (p, mut s) = acceptor(PaxosVariant::AcceptBelowPromise);
    handle(|ctx| p.on_prepare(&mut s, b(3, 1), ctx));
    let (r, _) = handle(|ctx| p.on_accept(&mut s, b(2, 0), "x".into(), ctx));
    assert_eq!(r, None);
    assert_eq!(s.acceptor.accepted, Some((b(2, 0), "x".into())));
    // Forgetting promises: the promise is kept in memory, never written.
    let (p, mut s) = acceptor(PaxosVariant::ForgetPromises);
    let (r, fx) = handle(|ctx| p.on_prepare(&mut s, b(3, 1), ctx));
    assert!(matches!(r, Msg::Promise { .. }));
    assert!(persisted(&fx).is_none());
    let restarted = NodeState::new(2, 5, false, Some(&s.disk));
    assert_eq!(restarted.acceptor.promised, None);
    // The reference restarts with its promise.
    let (p, mut s) = acceptor(PaxosVariant::Reference);
    handle(|ctx| p.on_prepare(&mut s, b(3, 1), ctx));
    let restarted = NodeState::new(2, 5, false, Some(&s.disk));
    assert_eq!(restarted.acceptor.promised, Some(b(3, 1)));
}

#[test]
fn a_learner_learns_once_a_majority_accepted_the_same_ballot() {
    let (p, mut s) = acceptor(PaxosVariant::Reference);
    let hear = |s: &mut NodeState, from, ballot, v: &str| {
        handle(|ctx| p.on_accepted(s, from, ballot, v.into(), ctx)).1
    };
    hear(&mut s, 0, b(1, 0), "x");
    hear(&mut s, 1, b(2, 1), "y");
    hear(&mut s, 3, b(1, 0), "x");
    // Three acceptors, but in two ballots: nothing learned yet.
    assert_eq!(s.learned, None);
    let fx = hear(&mut s, 4, b(1, 0), "x");
    assert_eq!(s.learned.as_deref(), Some("x"));
    assert!(fx
        .iter()
        .any(|e| matches!(e, Effect::Note(Note::Learned { .. }))));
    assert_eq!(persisted(&fx).unwrap().learned.as_deref(), Some("x"));
}

#[test]
fn ballots_are_unique_and_above_anything_seen() {
    let p = Paxos::new(PaxosCfg::default(), PaxosVariant::Reference);
    let mut s = NodeState::new(1, 5, true, None);
    s.value = Some("y".into());
    s.max_seen = 7;
    let (_, fx) = handle(|ctx| p.start_ballot(&mut s, ctx));
    assert_eq!(s.round, 8);
    // The round is on stable storage before the Prepare leaves (§2.5).
    assert_eq!(persisted(&fx).unwrap().round, 8);
    assert!(fx
        .iter()
        .any(|e| matches!(e, Effect::Send(0, Msg::Prepare(bb)) if *bb == b(8, 1))));
}
