use super::properties::{ledger, saga_log};
use super::*;
use crate::rng::Rng;
use crate::sim::check::{check_scenario, horizon, swarm_scenario};
use crate::sim::panel::Panel;
use crate::sim::protocol::{Ctx, Effect, Protocol};
use crate::sim::scenario::AnyScenario;
use crate::sim::spec::{Action, Override, RunSpec};
use crate::sim::trace::Event;
use crate::sim::world::{Scenario, Sim, SimOptions, Violation};

/// Seeds of a scripted scenario a test goes through.
const SEEDS: std::ops::Range<u64> = 0..20;

/// A run to its check horizon, with the trace, and the check's verdict on the same spec.
fn run_spec(s: &Scenario<Shop>, spec: RunSpec) -> (Sim<Shop>, Option<Violation>) {
    let verdict = check_scenario(s, &spec).expect("checks");
    let until = horizon(s, &spec);
    let mut sim = Sim::new(s.clone(), spec, SimOptions::INTERACTIVE).expect("builds");
    sim.run_until_time(until, false).expect("runs");
    (sim, verdict)
}

fn notes(sim: &Sim<Shop>) -> Vec<(u64, Note)> {
    sim.trace()
        .iter()
        .filter_map(|ev| match &ev.event {
            Event::Note { note, .. } => Some((ev.t, note.clone())),
            _ => None,
        })
        .collect()
}

fn at(notes: &[(u64, Note)], wanted: &Note) -> Option<u64> {
    notes.iter().find(|(_, n)| n == wanted).map(|(t, _)| *t)
}

fn count(notes: &[(u64, Note)], wanted: impl Fn(&Note) -> bool) -> usize {
    notes.iter().filter(|(_, n)| wanted(n)).count()
}

fn ended(sim: &Sim<Shop>, order: u32) -> Option<End> {
    properties::ended(saga_log(&sim.world_ref()), order)
}

#[test]
fn happy_orders_all_complete_and_the_money_moves_to_the_shop() {
    let s = happy();
    for seed in SEEDS {
        let (sim, verdict) = run_spec(&s, s.default_spec(seed));
        assert_eq!(verdict, None, "seed {seed}");
        for o in 1..=4 {
            assert_eq!(ended(&sim, o), Some(End::Completed), "seed {seed}: o{o}");
        }
        let n = notes(&sim);
        assert_eq!(count(&n, |n| matches!(n, Note::Compensating(..))), 0);
        let w = sim.world_ref();
        let pay = ledger(&w, Step::Payment);
        assert_eq!(pay.takings, 30 + 50 + 40 + 50);
        assert_eq!(pay.balances, vec![120 - 80, 120 - 50, 120 - 40]);
        // Orders overlap: o2 is charged while o1's courier is being booked.
        assert!(at(&n, &Note::Applied(2, Step::Payment)) < at(&n, &Note::Ended(1, End::Completed)));
    }
}

/// Garcia-Molina & Salem §1: a saga that cannot finish runs "T1, T2, ..., Tj, Cj, ..., C1".
#[test]
fn a_failing_step_is_compensated_in_reverse_and_stock_held_pending_is_not_sold_twice() {
    let s = compensate();
    for seed in SEEDS {
        let (sim, verdict) = run_spec(&s, s.default_spec(seed));
        assert_eq!(verdict, None, "seed {seed}");
        let n = notes(&sim);
        // o1's two lamps are reserved, PENDING until o1 completes; o2's lamp is refused while
        // they are, and o2 is refunded.
        let refused = at(&n, &Note::Refused(2, Step::Inventory)).unwrap();
        assert!(at(&n, &Note::Applied(1, Step::Inventory)).unwrap() < refused);
        assert!(
            refused < at(&n, &Note::Ended(1, End::Completed)).unwrap(),
            "seed {seed}"
        );
        assert!(at(&n, &Note::Compensated(2, Step::Payment)).is_some());
        assert!(at(&n, &Note::Tombstone(2, Step::Inventory)).is_some());
        // o3 is refused at shipping: its restock comes before its refund.
        let plan = vec![Step::Shipping, Step::Inventory, Step::Payment];
        assert!(at(&n, &Note::Compensating(3, plan)).is_some());
        assert!(
            at(&n, &Note::Compensated(3, Step::Inventory))
                < at(&n, &Note::Compensated(3, Step::Payment))
        );
        // o4's card is declined.
        assert!(at(&n, &Note::Refused(4, Step::Payment)).is_some());
        let ends: Vec<Option<End>> = (1..=6).map(|o| ended(&sim, o)).collect();
        use End::*;
        assert_eq!(
            ends,
            [
                Completed,
                Compensated,
                Compensated,
                Compensated,
                Completed,
                Completed
            ]
            .map(Some)
        );
        let w = sim.world_ref();
        let pay = ledger(&w, Step::Payment);
        assert_eq!(pay.takings, 60 + 40 + 50);
        assert_eq!(pay.balances, vec![120 - 100, 120 - 50, 120]);
        let inv = ledger(&w, Step::Inventory);
        assert_eq!(inv.available, vec![0, 1, 1]);
    }
}

#[test]
fn a_timed_out_call_that_succeeded_is_compensated_once_though_retried() {
    let s = timeout();
    for seed in SEEDS {
        let (sim, verdict) = run_spec(&s, s.default_spec(seed));
        assert_eq!(verdict, None, "seed {seed}");
        let n = notes(&sim);
        let reserved = at(&n, &Note::Applied(1, Step::Inventory)).unwrap();
        let timed_out = at(&n, &Note::Outcome(1, Step::Inventory, Outcome::Timeout)).unwrap();
        assert!(reserved < timed_out);
        // The restock is sent again while its answers are lost, and applied once.
        assert_eq!(
            count(&n, |x| *x == Note::Compensated(1, Step::Inventory)),
            1
        );
        assert!(count(&n, |x| matches!(x, Note::Repeat(1, Step::Inventory, _))) >= 1);
        assert!(
            at(&n, &Note::Compensated(1, Step::Inventory))
                < at(&n, &Note::Compensated(1, Step::Payment))
        );
        assert_eq!(ended(&sim, 1), Some(End::Compensated));
    }
}

#[test]
fn with_the_courier_down_every_saga_reaching_shipping_is_compensated() {
    let s = happy();
    let mut spec = s.default_spec(3);
    spec.overrides.push(Override::at(
        0,
        Action::Set("courier".into(), "down".into()),
    ));
    let (sim, verdict) = run_spec(&s, spec);
    assert_eq!(verdict, None);
    for o in 1..=4 {
        assert_eq!(ended(&sim, o), Some(End::Compensated), "o{o}");
    }
    let w = sim.world_ref();
    assert_eq!(ledger(&w, Step::Payment).takings, 0);
    assert_eq!(ledger(&w, Step::Inventory).available, vec![2, 2, 3]);
}

/// One handler call of a service: its notes and the messages it sends.
fn serve(shop: &Shop, state: &mut State, msg: Msg) -> (Vec<Note>, Vec<Msg>) {
    let mut rng = Rng::new(1);
    let mut effects = Vec::new();
    let mut ctx = Ctx::new(PAYMENT, NODES, 0, &mut rng, &mut effects).with_options(OPTIONS, &[0]);
    shop.on_message(state, ORCHESTRATOR, msg, &mut ctx);
    let mut notes = Vec::new();
    let mut sent = Vec::new();
    for e in effects {
        match e {
            Effect::Note(n) => notes.push(n),
            Effect::Send(_, m) => sent.push(m),
            _ => {}
        }
    }
    (notes, sent)
}

#[test]
fn a_service_relies_on_keys_and_keeps_a_tombstone_for_a_compensation_that_came_first() {
    let shop = happy().protocol;
    let order = shop.workload[0];
    let fresh = || {
        State::Service(Service {
            step: Step::Payment,
            ledger: node::opening(Step::Payment),
            booking: Vec::new(),
        })
    };
    let call = |key: Option<&str>| Msg::Call {
        order,
        step: Step::Payment,
        key: key.map(String::from),
    };
    let refund = |key: Option<&str>| Msg::Compensate {
        order,
        step: Step::Payment,
        key: key.map(String::from),
    };
    // A refund before the charge leaves a tombstone, and the late charge is refused.
    let mut s = fresh();
    let (n, _) = serve(&shop, &mut s, refund(Some("r")));
    assert_eq!(n, vec![Note::Tombstone(1, Step::Payment)]);
    let (n, sent) = serve(&shop, &mut s, call(Some("c")));
    assert_eq!(n, vec![Note::Refused(1, Step::Payment)]);
    assert!(matches!(sent[..], [Msg::Reply { ok: false, .. }]));
    // Without keys, the service charges and refunds as often as it is asked.
    let mut s = fresh();
    serve(&shop, &mut s, call(None));
    serve(&shop, &mut s, refund(None));
    let (n, _) = serve(&shop, &mut s, refund(None));
    assert_eq!(n, vec![Note::Compensated(1, Step::Payment)]);
    let State::Service(svc) = &s else { panic!() };
    assert_eq!(svc.ledger.balances[0], OPENING_BALANCE + order.price);
    // With a key, a repeat is answered as before and changes nothing.
    let mut s = fresh();
    serve(&shop, &mut s, call(Some("c")));
    serve(&shop, &mut s, refund(Some("r")));
    let (n, sent) = serve(&shop, &mut s, refund(Some("r")));
    assert_eq!(n, vec![Note::Repeat(1, Step::Payment, "r".into())]);
    assert!(matches!(sent[..], [Msg::Undone { .. }]));
    let State::Service(svc) = &s else { panic!() };
    assert_eq!(svc.ledger.balances[0], OPENING_BALANCE);
    assert_eq!(svc.ledger.net(1), 0);
}

#[test]
fn the_reference_survives_the_swarm_and_the_panels_name_what_is_wrong() {
    let s = compensate();
    let report = swarm_scenario(&s, 0, 100).expect("swarms");
    assert_eq!(report.failure, None);
    // A variant that registers after success leaves a charge standing: the counters say so.
    let wrong = scenarios::challenge(
        "saga-reply-lost",
        std::rc::Rc::new(SagaVariant::RegisterAfterSuccess),
    )
    .unwrap();
    let spec = wrong.default_spec(3);
    let mut sim = Sim::new(wrong.clone(), spec, SimOptions::INTERACTIVE).unwrap();
    sim.run_until_time(2_000, false).unwrap();
    let w = sim.world_ref();
    let panels = wrong.protocol.panels(&w);
    let Some(Panel::Grid(counters)) = panels.last() else {
        panic!("the counters are the last panel")
    };
    let all = counters.rows.last().unwrap();
    assert!(
        all.note
            .starts_with("NO: o1 is compensated, but n1 still holds its charge"),
        "{}",
        all.note
    );
    let Some(Panel::Grid(sagas)) = panels.first() else {
        panic!("the sagas are the first panel")
    };
    assert_eq!(sagas.rows[0].label, "o1");
    assert!(sagas.rows[0].note.ends_with("compensated"));
    // An orchestrator that forgets its log leaves o1 stuck after its restart.
    let forgetful = scenarios::challenge(
        "saga-orchestrator-crash",
        std::rc::Rc::new(SagaVariant::ForgetLog),
    )
    .unwrap();
    let mut sim = Sim::new(
        forgetful.clone(),
        forgetful.default_spec(1),
        SimOptions::INTERACTIVE,
    )
    .unwrap();
    sim.run_until_time(1_000, false).unwrap();
    let panels = forgetful.protocol.panels(&sim.world_ref());
    let Some(Panel::Grid(counters)) = panels.last() else {
        panic!("the counters are the last panel")
    };
    let stuck = counters.rows.iter().find(|r| r.label == "stuck").unwrap();
    assert!(stuck.note.starts_with("1 · o1"), "{}", stuck.note);
    let Some(Panel::Grid(sagas)) = panels.first() else {
        panic!("the sagas are the first panel")
    };
    assert!(
        sagas.rows[0].note.ends_with("STUCK: not resumed"),
        "{}",
        sagas.rows[0].note
    );
}

#[test]
fn runs_are_deterministic() {
    for s in [happy(), compensate(), timeout()] {
        let spec = s.default_spec(7);
        let mut a = Sim::new(s.clone(), spec.clone(), SimOptions::INTERACTIVE).unwrap();
        let mut b = Sim::new(s.clone(), spec, SimOptions::INTERACTIVE).unwrap();
        a.run_until_time(1_000, false).unwrap();
        b.run_until_time(1_000, false).unwrap();
        assert_eq!(a.trace_hash(), b.trace_hash(), "{}", s.id);
    }
}
