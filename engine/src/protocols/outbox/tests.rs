use super::properties::{out_of_order, queue, shipping_db};
use super::*;
use crate::sim::check::{check_scenario, horizon, swarm_scenario};
use crate::sim::panel::{Grid, Panel};
use crate::sim::scenario::AnyScenario;
use crate::sim::spec::{Action, Override, RunSpec};
use crate::sim::trace::Event as TraceEvent;
use crate::sim::world::{Scenario, Sim, SimOptions, Violation};

/// Seeds of a scripted scenario a test goes through.
const SCRIPTED_SEEDS: std::ops::Range<u64> = 0..20;
/// Seeds of a swarm.
const SWARM_SEEDS: u64 = 200;

/// `spec` with the options set to `choices` before anything happens.
fn with_choices(mut spec: RunSpec, choices: &[(&str, &str)]) -> RunSpec {
    let sets = choices
        .iter()
        .map(|(n, c)| Override::at(0, Action::Set((*n).into(), (*c).into())));
    spec.overrides.splice(0..0, sets);
    spec
}

/// A run to its check horizon (the run ends sooner when nothing is left to do): the world,
/// and the check's verdict on the same spec.
fn run_spec(s: &Scenario<Outbox>, spec: RunSpec) -> (Sim<Outbox>, Option<Violation>) {
    let verdict = check_scenario(s, &spec).expect("checks");
    let until = horizon(s, &spec);
    let mut sim = Sim::new(s.clone(), spec, SimOptions::INTERACTIVE).expect("builds");
    sim.run_until_time(until, false).expect("runs");
    (sim, verdict)
}

/// The scenario's scripted run with `seed` and `choices`.
fn scripted(
    s: &Scenario<Outbox>,
    seed: u64,
    choices: &[(&str, &str)],
) -> (Sim<Outbox>, Option<Violation>) {
    run_spec(s, with_choices(s.default_spec(seed), choices))
}

fn property(v: &Option<Violation>) -> Option<&str> {
    v.as_ref().map(|v| v.property.as_str())
}

fn notes(sim: &Sim<Outbox>) -> Vec<(NodeId, Note)> {
    sim.trace()
        .iter()
        .filter_map(|ev| match &ev.event {
            TraceEvent::Note { node, note } => Some((*node, note.clone())),
            _ => None,
        })
        .collect()
}

fn events_panel(sim: &Sim<Outbox>) -> Grid {
    match view::panels(&sim.world_ref()).remove(0) {
        Panel::Grid(g) => g,
        other => panic!("the first panel is the counters: {other:?}"),
    }
}

fn row_note(g: &Grid, label: &str) -> String {
    g.rows
        .iter()
        .find(|r| r.label == label)
        .unwrap_or_else(|| panic!("no row {label}"))
        .note
        .clone()
}

fn client(sim: &Sim<Outbox>) -> ClientState {
    match sim.world_ref().state(CLIENT) {
        Some(State::Client(c)) => c.clone(),
        _ => panic!("the client is up"),
    }
}

#[test]
fn both_scenarios_place_every_order_and_come_to_rest() {
    for s in [dual_write(), relay()] {
        let (sim, _) = scripted(&s, 1, &[]);
        assert!(sim.is_quiescent(), "{}: something still runs", s.id);
        let c = client(&sim);
        assert_eq!(c.placed, ORDERS, "{}", s.id);
        assert_eq!(c.accepted + c.gave_up, ORDERS, "{}", s.id);
        // Orders placed while n0 was down were given up, and only those.
        let a = audit(&sim.world_ref());
        assert_eq!(a.committed.len() as u32, c.accepted, "{}", s.id);
        assert!(c.gave_up >= 1, "{}: no crash hit an order", s.id);
    }
}

#[test]
fn a_dual_write_loses_the_events_of_orders_committed_just_before_a_crash() {
    for seed in SCRIPTED_SEEDS {
        let (sim, v) = scripted(&dual_write(), seed, &[]);
        let a = audit(&sim.world_ref());
        assert!(!a.lost.is_empty(), "seed {seed}: nothing lost");
        assert!(
            a.duplicated.is_empty() && a.phantom.is_empty(),
            "seed {seed}"
        );
        let v = v.expect("a violation");
        assert_eq!(v.property, "no-lost-events", "seed {seed}");
        // It fails at a crash, naming what it lost.
        assert!(
            scenarios::CRASHES_AT.contains(&v.time),
            "seed {seed}: at t={}",
            v.time
        );
        let message = v.message.expect("the monitor says what");
        assert!(message.contains(&format!("o{}", a.lost[0])), "{message}");
        // The client was told each lost order was placed.
        let accepted: Vec<u32> = sim
            .world_ref()
            .observed()
            .iter()
            .filter_map(|o| match o.note {
                Note::Accepted { order } => Some(order),
                _ => None,
            })
            .collect();
        assert!(a.lost.iter().all(|o| accepted.contains(o)), "seed {seed}");
        // The panel counts and names them.
        let note = row_note(&events_panel(&sim), "LOST");
        assert_eq!(
            note,
            format!("{} · {}", a.lost.len(), orders_list(&a.lost)),
            "seed {seed}"
        );
    }
    // The default run, pinned.
    let (sim, _) = scripted(&dual_write(), 1, &[]);
    assert_eq!(audit(&sim.world_ref()).lost, vec![4, 7, 9, 11]);
}

#[test]
fn an_order_between_the_two_writes_is_in_flight_until_the_crash_makes_it_lost() {
    let s = dual_write();
    let mut sim = Sim::new(s.clone(), s.default_spec(1), SimOptions::INTERACTIVE).unwrap();
    let crash = scenarios::CRASHES_AT[0];
    sim.run_until_time(crash - 1, false).unwrap();
    let before = audit(&sim.world_ref());
    assert!(before.lost.is_empty());
    let Some(State::Service(service)) = sim.world_ref().state(SERVICE) else {
        panic!("n0 is up");
    };
    let between: Vec<u32> = service.after_commit.iter().map(|p| p.event.order).collect();
    assert!(!between.is_empty(), "n0 holds an event only in memory");
    assert!(between.iter().all(|o| before.in_flight.contains(o)));
    assert_eq!(row_note(&events_panel(&sim), "LOST"), "none");
    sim.run_until_time(crash, false).unwrap();
    let after = audit(&sim.world_ref());
    for o in &between {
        assert!(after.lost.contains(o), "o{o} survived the crash");
    }
}

#[test]
fn the_outbox_loses_nothing_but_a_relay_crash_republishes_and_a_naive_consumer_ships_twice() {
    let mut duplicating = 0;
    for seed in SCRIPTED_SEEDS {
        let (sim, v) = scripted(&relay(), seed, &[]);
        let w = sim.world_ref();
        let a = audit(&w);
        assert!(a.lost.is_empty() && a.phantom.is_empty() && a.unshipped().is_empty());
        assert!(a.out_of_order.is_empty(), "seed {seed}");
        if a.duplicated.is_empty() {
            assert_eq!(v, None, "seed {seed}");
            continue;
        }
        duplicating += 1;
        assert_eq!(property(&v), Some("no-duplicate-effects"), "seed {seed}");
        // Each duplicate was published twice: the relay crashed before its mark.
        for o in &a.duplicated {
            let copies = queue(&w).iter().filter(|m| m.event.order == *o).count();
            assert!(copies >= 2, "seed {seed}: o{o} queued {copies} times");
        }
    }
    assert!(
        duplicating >= 15,
        "only {duplicating} of 20 seeds duplicated"
    );
    let (sim, _) = scripted(&relay(), 1, &[]);
    let note = row_note(&events_panel(&sim), "DUPLICATED");
    assert_eq!(note, "2 · o4, o11");
}

#[test]
fn an_idempotent_consumer_keeps_the_duplicate_counter_at_zero() {
    let mut skipped = 0;
    for seed in SCRIPTED_SEEDS {
        let (sim, v) = scripted(&relay(), seed, &[("consumer", "idempotent")]);
        assert_eq!(v, None, "seed {seed}");
        let w = sim.world_ref();
        let a = audit(&w);
        // Every committed order shipped exactly once, and its id recorded with it.
        let db = shipping_db(&w).expect("n2 shipped");
        let mut shipped: Vec<u32> = db.shipments.iter().map(|s| s.order).collect();
        shipped.sort_unstable();
        let mut committed: Vec<u32> = a.committed.iter().map(|e| e.order).collect();
        committed.sort_unstable();
        assert_eq!(shipped, committed, "seed {seed}");
        let mut keys = db.processed.clone();
        keys.sort_unstable();
        assert_eq!(
            keys,
            committed.iter().map(|&o| Key::Event(o)).collect::<Vec<_>>()
        );
        assert_eq!(row_note(&events_panel(&sim), "DUPLICATED"), "none");
        skipped += notes(&sim)
            .iter()
            .filter(|(n, note)| *n == SHIPPING && matches!(note, Note::Skipped { .. }))
            .count();
    }
    assert!(
        skipped > 0,
        "no republished event ever reached the consumer"
    );
}

#[test]
fn publishing_first_ships_orders_that_never_committed() {
    for seed in SCRIPTED_SEEDS {
        let (sim, v) = scripted(&dual_write(), seed, &[("write", "publish-first")]);
        let a = audit(&sim.world_ref());
        assert!(!a.phantom.is_empty(), "seed {seed}");
        assert!(a.lost.is_empty(), "seed {seed}");
        assert_eq!(property(&v), Some("no-phantom-events"), "seed {seed}");
        assert!(row_note(&events_panel(&sim), "PHANTOM").contains(&orders_list(&a.phantom)));
    }
}

/// The swarm plan of `s` with `choices`, for seed `seed`.
fn swarm_spec(s: &Scenario<Outbox>, seed: u64, choices: &[(&str, &str)]) -> RunSpec {
    with_choices(s.swarm_spec(seed), choices)
}

#[test]
fn the_outbox_with_an_idempotent_consumer_survives_a_swarm_of_crashes_and_loss() {
    let s = relay();
    let choices = [("consumer", "idempotent")];
    let (mut crashed, mut lossy, mut repeated) = (0, 0, 0);
    for seed in 0..SWARM_SEEDS {
        let spec = swarm_spec(&s, seed, &choices);
        let crashes: Vec<NodeId> = spec
            .overrides
            .iter()
            .filter_map(|o| match o.action {
                Action::Crash(n) => Some(n),
                _ => None,
            })
            .collect();
        crashed += usize::from(!crashes.is_empty());
        lossy += usize::from(
            spec.overrides
                .iter()
                .any(|o| matches!(o.action, Action::Loss(_, ppm) if ppm > 0)),
        );
        let (sim, v) = run_spec(&s, spec);
        assert_eq!(v, None, "seed {seed}");
        let a = audit(&sim.world_ref());
        assert!(a.lost.is_empty() && a.duplicated.is_empty() && a.phantom.is_empty());
        assert!(a.unshipped().is_empty(), "seed {seed}");
        repeated += usize::from(a.published > a.committed.len());
    }
    // The swarm did what it is for: crashes, loss, and events published more than once.
    assert!(crashed >= 100, "{crashed} seeds crashed a node");
    assert!(lossy >= 100, "{lossy} seeds lost messages");
    assert!(repeated >= 60, "{repeated} seeds republished an event");
}

#[test]
fn a_swarm_finds_lost_events_in_a_dual_write() {
    let s = dual_write();
    let failing = (0..40)
        .filter(|&seed| {
            let v = check_scenario(&s, &swarm_spec(&s, seed, &[])).unwrap();
            property(&v) == Some("no-lost-events")
        })
        .count();
    assert!(failing >= 10, "{failing} of 40 seeds lost an event");
}

#[test]
fn a_swarm_finds_a_duplicate_with_a_naive_consumer() {
    let report = swarm_scenario(&relay(), 0, SWARM_SEEDS).unwrap();
    let failure = report.failure.expect("a duplicate");
    assert_eq!(failure.property, "no-duplicate-effects");
}

#[test]
fn every_wrong_variant_fails_its_named_property() {
    // The options the reference is correct in; the variants ignore them.
    let choices = [("consumer", "idempotent")];
    for variant in OutboxVariant::ALL {
        let s = scenarios::scenario("outbox-relay", Rc::new(variant));
        let failure = (0..SWARM_SEEDS).find_map(|seed| {
            check_scenario(&s, &swarm_spec(&s, seed, &choices))
                .unwrap()
                .map(|v| (seed, v.property))
        });
        match (variant.violates(), failure) {
            (None, None) => {}
            (Some(named), Some((seed, property))) => {
                assert_eq!(property, named, "{} at seed {seed}", variant.name());
            }
            (named, failure) => panic!("{}: expected {named:?}, got {failure:?}", variant.name()),
        }
    }
}

#[test]
fn the_variants_ignore_the_options_and_the_reference_follows_them() {
    // Acknowledging first is an option of the reference and a variant: the same runs.
    let choices = [("consumer", "idempotent"), ("ack", "before-processing")];
    let reference = relay();
    let variant = scenarios::scenario("outbox-relay", Rc::new(OutboxVariant::AckBeforeProcessing));
    for seed in [3, 8, 11] {
        let spec = swarm_spec(&reference, seed, &choices);
        let (a, _) = run_spec(&reference, spec.clone());
        let (b, _) = run_spec(&variant, spec);
        assert_eq!(a.trace_hash(), b.trace_hash(), "seed {seed}");
    }
    // A variant run with a naive consumer still de-duplicates; the reference does not.
    let (sim, v) = scripted(&variant, 1, &[]);
    assert!(audit(&sim.world_ref()).duplicated.is_empty());
    assert_eq!(v, None);
}

#[test]
fn acknowledging_before_processing_loses_what_a_crashed_consumer_was_processing() {
    // The consumer crashes every 70 ticks for 20; it processes about a third of the time.
    let s = relay();
    let spec = |seed, ack| {
        let mut spec = with_choices(
            RunSpec::new(s.id, seed),
            &[("consumer", "idempotent"), ("ack", ack)],
        );
        for k in 1..=8 {
            spec.overrides
                .push(Override::at(70 * k, Action::Crash(SHIPPING)));
            spec.overrides
                .push(Override::at(70 * k + 20, Action::Restart(SHIPPING)));
        }
        spec
    };
    let mut failing = 0;
    for seed in SCRIPTED_SEEDS {
        let safe = spec(seed, "after-processing");
        assert_eq!(
            check_scenario(&s, &safe).unwrap(),
            None,
            "seed {seed}, ack after"
        );
        let v = check_scenario(&s, &spec(seed, "before-processing")).unwrap();
        if v.is_some() {
            assert_eq!(property(&v), Some("no-lost-events"), "seed {seed}");
            failing += 1;
        }
    }
    assert_eq!(failing, SCRIPTED_SEEDS.count(), "seeds that lost an event");
}

/// A relay that never publishes: nothing is lost (the rows stay), nothing is shipped.
struct StuckRelay;

impl OutboxHooks for StuckRelay {
    fn relay_poll(&self, _outbox: &[OutboxRow], _in_flight: &[u32]) -> Vec<RelayStep> {
        Vec::new()
    }
}

#[test]
fn an_order_never_shipped_fails_no_lost_events_at_the_end_of_the_run() {
    let s = scenarios::scenario("outbox-relay", Rc::new(StuckRelay));
    let spec = RunSpec::new(s.id, 1);
    let mut sim = Sim::new(s.clone(), spec.clone(), SimOptions::CHECK).unwrap();
    sim.run_until_time(horizon(&s, &spec), true).unwrap();
    // Unsent rows are on their way: no verdict during the run.
    assert_eq!(sim.violation(), None);
    let a = audit(&sim.world_ref());
    assert_eq!(a.in_flight.len(), ORDERS as usize);
    sim.finish_liveness();
    let v = sim.violation().expect("fails at the end").clone();
    assert_eq!(v.property, "no-lost-events");
    assert!(v
        .message
        .unwrap()
        .contains("never shipped by the end of the run"));
}

#[test]
fn out_of_order_names_a_customers_order_shipped_after_a_later_one() {
    let ship = |order, customer| Shipment {
        order,
        customer,
        offset: 0,
    };
    // Committed o1, o2, o3 in that order; o1 and o2 are c1's.
    let position = |o: u32| (1..=3).contains(&o).then(|| o as usize - 1);
    assert_eq!(
        out_of_order(&[ship(1, 1), ship(2, 1), ship(3, 2)], &position),
        Vec::<u32>::new()
    );
    assert_eq!(
        out_of_order(&[ship(2, 1), ship(3, 2), ship(1, 1)], &position),
        vec![1]
    );
    // Another customer's order in between is no reorder, nor is a repeat of an earlier one.
    assert_eq!(
        out_of_order(&[ship(3, 2), ship(1, 1), ship(2, 1)], &position),
        Vec::<u32>::new()
    );
    assert_eq!(
        out_of_order(&[ship(1, 1), ship(2, 1), ship(1, 1)], &position),
        Vec::<u32>::new()
    );
    // A shipment of an order not committed has no place in the order.
    assert_eq!(
        out_of_order(&[ship(2, 1), ship(9, 1), ship(1, 1)], &position),
        vec![1]
    );
}

#[test]
fn options_round_trip_through_a_run_token_and_reach_the_world() {
    for (option, choice) in [
        ("write", "dual-write"),
        ("write", "publish-first"),
        ("write", "outbox"),
        ("consumer", "naive"),
        ("consumer", "idempotent"),
        ("ack", "after-processing"),
        ("ack", "before-processing"),
    ] {
        let mut spec = RunSpec::new("outbox-relay", 4);
        spec.overrides
            .push(Override::at(30, Action::Set(option.into(), choice.into())));
        let token = spec.to_url_token();
        assert_eq!(crate::scenarios::spec_from_token(&token).unwrap(), spec);
        let mut sim = Sim::new(relay(), spec, SimOptions::INTERACTIVE).unwrap();
        sim.run_until_time(30, false).unwrap();
        assert_eq!(sim.world_ref().option(option), Some(choice));
    }
    let s = relay();
    assert!(s.check_option("write", "two-phase").is_err());
    assert!(s.check_option("relay", "cdc").is_err());
}

#[test]
fn switching_to_the_outbox_mid_run_keeps_every_later_order() {
    let s = dual_write();
    let mut spec = s.default_spec(1);
    spec.overrides.push(Override::at(
        400,
        Action::Set("write".into(), "outbox".into()),
    ));
    let (sim, _) = run_spec(&s, spec);
    let w = sim.world_ref();
    let a = audit(&w);
    assert!(!a.lost.is_empty());
    // Only orders committed before the switch are lost; the later ones have outbox rows.
    let first_row = w.state(SERVICE).and_then(|st| match st {
        State::Service(s) => s.db.outbox.first().map(|r| r.event.order),
        _ => None,
    });
    let first_row = first_row.expect("orders after the switch have outbox rows");
    assert!(
        a.lost.iter().all(|&o| o < first_row),
        "{:?} vs o{first_row}",
        a.lost
    );
}

#[test]
fn runs_are_deterministic() {
    let s = relay();
    let run = |seed| {
        let (sim, _) = run_spec(&s, swarm_spec(&s, seed, &[("consumer", "idempotent")]));
        sim.trace_hash()
    };
    assert_eq!(run(5), run(5));
    assert_ne!(run(5), run(6));
}

fn row(order: u32, sent: bool) -> OutboxRow {
    OutboxRow {
        event: Event { order, customer: 1 },
        sent,
    }
}

fn delivery(order: u32, customer: u32, offset: u64) -> Delivery {
    Delivery {
        offset,
        event: Event { order, customer },
    }
}

/// Richardson (2018), ch. 3, the transactional outbox: a message relay publishes the messages
/// inserted into the outbox table, and may publish one more than once (the consumer must be
/// idempotent).
#[test]
fn the_reference_relay_publishes_the_oldest_unsent_row_one_at_a_time_and_marks_it_on_the_ack() {
    let outbox = [row(1, true), row(2, false), row(3, false)];
    let r = OutboxVariant::Reference;
    assert_eq!(r.relay_poll(&outbox, &[]), vec![RelayStep::Publish(2)]);
    assert_eq!(r.relay_poll(&outbox, &[2]), Vec::new());
    assert_eq!(r.relay_acked(&outbox, 2), vec![RelayStep::Mark(2)]);
    assert_eq!(r.relay_poll(&[row(1, true)], &[]), Vec::new());
    // The wrong relays: two publishes racing, and a mark before the publish.
    assert_eq!(
        OutboxVariant::TwoRelays.relay_poll(&outbox, &[]),
        vec![RelayStep::Publish(2), RelayStep::Publish(3)]
    );
    assert_eq!(
        OutboxVariant::MarkBeforePublish.relay_poll(&outbox, &[]),
        vec![RelayStep::Mark(2), RelayStep::Publish(2)]
    );
    assert_eq!(
        OutboxVariant::MarkBeforePublish.relay_acked(&outbox, 2),
        Vec::new()
    );
}

#[test]
fn the_reference_consumer_records_the_event_id_with_the_shipment_and_skips_a_repeat() {
    let r = OutboxVariant::Reference;
    let fresh = ShippingDb::default();
    let seen = ShippingDb {
        shipments: Vec::new(),
        processed: vec![Key::Event(5)],
    };
    let d = delivery(5, 2, 7);
    let apply = |key| ConsumerStep::Apply { record: key };
    assert_eq!(
        r.on_delivery(Mode::SAFE, &fresh, &d),
        vec![ConsumerStep::Process]
    );
    assert_eq!(
        r.on_processed(Mode::SAFE, &fresh, &d),
        vec![apply(Some(Key::Event(5))), ConsumerStep::Ack]
    );
    assert_eq!(
        r.on_processed(Mode::SAFE, &seen, &d),
        vec![ConsumerStep::Ack]
    );
    // The options: naive ships every delivery; acknowledging first moves the ack.
    let naive = Mode {
        idempotent: false,
        ack_before_processing: false,
    };
    assert_eq!(
        r.on_processed(naive, &seen, &d),
        vec![apply(None), ConsumerStep::Ack]
    );
    let first = Mode {
        idempotent: true,
        ack_before_processing: true,
    };
    assert_eq!(
        r.on_delivery(first, &fresh, &d),
        vec![ConsumerStep::Ack, ConsumerStep::Process]
    );
    assert_eq!(
        r.on_processed(first, &fresh, &d),
        vec![apply(Some(Key::Event(5)))]
    );
    // The wrong keys: the customer repeats across events, the offset changes with a republish.
    let c2 = ShippingDb {
        shipments: Vec::new(),
        processed: vec![Key::Customer(2)],
    };
    assert_eq!(
        OutboxVariant::DedupByCustomer.on_processed(Mode::SAFE, &c2, &delivery(9, 2, 8)),
        vec![ConsumerStep::Ack]
    );
    assert_eq!(
        OutboxVariant::DedupByOffset.on_processed(Mode::SAFE, &seen, &delivery(5, 2, 9)),
        vec![apply(Some(Key::Offset(9))), ConsumerStep::Ack]
    );
}

/// A consumer that records the key in one transaction and ships in a second, then
/// acknowledges.
struct RecordThenShip;

impl OutboxHooks for RecordThenShip {
    fn on_processed(&self, _mode: Mode, db: &ShippingDb, d: &Delivery) -> Vec<ConsumerStep> {
        let key = Key::Event(d.event.order);
        if db.processed.contains(&key) {
            return vec![ConsumerStep::Ack];
        }
        vec![
            ConsumerStep::Record(key),
            ConsumerStep::Apply { record: None },
            ConsumerStep::Ack,
        ]
    }
}

/// Two transactions of one answer commit apart: the shipment [`COMMIT_GAP_TICKS`] after the
/// key, the acknowledgement with it; meanwhile the order is on its way, and a crash in the
/// gap loses the rest of the answer.
#[test]
fn a_second_transaction_of_one_answer_commits_after_a_gap_and_a_crash_in_it_loses_it() {
    let mut s = relay();
    s.protocol.hooks = Rc::new(RecordThenShip);
    s.protocol.options = &[];
    s.script = Vec::new();
    let (gap_lo, gap_hi) = COMMIT_GAP_TICKS;
    for seed in SCRIPTED_SEEDS {
        let spec = s.default_spec(seed);
        let mut sim = Sim::new(s.clone(), spec.clone(), SimOptions::INTERACTIVE).unwrap();
        sim.run_until_time(horizon(&s, &spec), false).unwrap();
        assert_eq!(sim.violation(), None, "seed {seed}: no crash, nothing lost");
        let timed: Vec<(u64, Note)> = sim
            .trace()
            .iter()
            .filter_map(|e| match &e.event {
                TraceEvent::Note {
                    node: SHIPPING,
                    note,
                } => Some((e.t, note.clone())),
                _ => None,
            })
            .collect();
        let mut pairs = 0;
        for (t, note) in &timed {
            let Note::Recorded { order, .. } = note else {
                continue;
            };
            let shipped = timed
                .iter()
                .find(|(_, n)| matches!(n, Note::Shipped { order: o, .. } if o == order))
                .map(|(t, _)| *t)
                .unwrap_or_else(|| panic!("seed {seed}: o{order} never shipped"));
            assert!(
                (t + gap_lo..=t + gap_hi).contains(&shipped),
                "seed {seed}: o{order} recorded at {t}, shipped at {shipped}"
            );
            pairs += 1;
        }
        assert_eq!(pairs, ORDERS as usize, "seed {seed}");
    }
    // Crash n2 right after the first transaction of an answer: the key stays recorded, the
    // shipment never comes, and the redelivery is skipped: the order is lost.
    let spec = s.default_spec(1);
    let mut sim = Sim::new(s.clone(), spec.clone(), SimOptions::INTERACTIVE).unwrap();
    let mut crashed = false;
    while sim.step().unwrap() {
        let between = matches!(
            sim.world_ref().state(SHIPPING),
            Some(State::Shipping(c)) if !c.deferred.is_empty()
        );
        if between {
            let a = properties::audit(&sim.world_ref());
            assert!(a.lost.is_empty(), "the deferred shipment is on its way");
            sim.apply_now(Action::Crash(SHIPPING)).unwrap();
            crashed = true;
            break;
        }
    }
    assert!(crashed);
    let t = sim.time();
    sim.run_until_time(t + 5, false).unwrap();
    sim.apply_now(Action::Restart(SHIPPING)).unwrap();
    sim.run_until_time(t + 2 * REDELIVER_TICKS, false).unwrap();
    assert_eq!(property(&sim.violation().cloned()), Some("no-lost-events"));
}
