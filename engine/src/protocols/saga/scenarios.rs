//! The saga's scenarios: orders that all complete, orders that fail at each step and are
//! compensated, calls that time out although they succeeded; and the runs of the
//! `saga-compensations` challenge.
//!
//! Timing, whatever the latencies (10–14 ticks): order `k` (from 0) begins at
//! `FIRST_ORDER_TICKS + k × ORDER_SPACING_TICKS`. For o1 (begun at 20): its charge is applied
//! at 30–34 and answered at n0 by 40–48; the reservation is applied at 50–62 and answered by
//! 60–76; the booking is applied at 70–90 and answered 80 ticks later, by 160–184. o2 (begun
//! at 100) is charged at 110–114 and reaches the inventory at 130–142, while o1 is still
//! booking its courier.

use std::rc::Rc;

use super::properties;
use super::rules::SagaHooks;
use super::types::*;
use super::{SagaVariant, Shop};
use crate::sim::scenario::swarm_plan;
use crate::sim::spec::{Action, Override, RunSpec};
use crate::sim::world::{LinkCfg, Scenario};

/// Every link's latency, ticks.
pub const LATENCY: (u64, u64) = (10, 14);

fn order(id: u32, customer: usize, item: usize, quantity: u32, price: i64) -> Order {
    Order {
        id,
        customer,
        item,
        quantity,
        price,
        remote: false,
    }
}

/// Four orders the store can fill.
pub fn happy_workload() -> Vec<Order> {
    vec![
        order(1, 1, 0, 1, 30),
        order(2, 2, 1, 1, 50),
        order(3, 3, 2, 2, 40),
        order(4, 1, 1, 1, 50),
    ]
}

/// Six orders, three of which fail, one at each step: o2's lamp is PENDING for o1 (inventory
/// refuses), o3 goes to a remote address (shipping refuses), o4 costs more than c3 has
/// (payment declines).
pub fn store_workload() -> Vec<Order> {
    vec![
        order(1, 1, 0, 2, 60),
        order(2, 2, 0, 1, 30),
        Order {
            remote: true,
            ..order(3, 3, 1, 1, 50)
        },
        order(4, 3, 2, 1, 150),
        order(5, 1, 2, 2, 40),
        order(6, 2, 1, 1, 50),
    ]
}

/// The store with these orders, decisions and script.
pub fn shop(
    id: &'static str,
    title: &'static str,
    description: &'static str,
    workload: Vec<Order>,
    hooks: Rc<dyn SagaHooks>,
    script: Vec<Override>,
) -> Scenario<Shop> {
    Scenario {
        id,
        title,
        description,
        nodes: NODES,
        protocol: Shop { workload, hooks },
        net: LinkCfg::calm(LATENCY.0, LATENCY.1),
        calm: LinkCfg::calm(LATENCY.0, LATENCY.1),
        script,
        properties: properties::properties(),
        workload: Vec::new(),
        faulty_nodes: vec![ORCHESTRATOR, PAYMENT, INVENTORY, SHIPPING],
        safety_ticks: 1_200,
    }
}

fn reference() -> Rc<dyn SagaHooks> {
    Rc::new(SagaVariant::Reference)
}

/// `saga-happy`: four orders, every step succeeds.
pub fn happy() -> Scenario<Shop> {
    shop(
        "saga-happy",
        "A saga: charge, reserve, ship",
        "n0 orchestrates four orders. For each it registers the step's compensation in its saga \
         log, then calls n1 (charge the customer), n2 (reserve the items) and n3 (book a \
         courier, 80 ticks), one after the other. Orders overlap: while o1's courier is being \
         booked, o2 is charged. Watch the Sagas panel: every step done, every order completed; \
         the Services panel: the money moves from the customers to the shop's takings, and the \
         stock reserved stays PENDING until its saga completes.",
        happy_workload(),
        reference(),
        Vec::new(),
    )
}

/// `saga-compensate`: a step fails at each service, and the steps before it are undone.
pub fn compensate() -> Scenario<Shop> {
    shop(
        "saga-compensate",
        "Compensations: refund, restock, cancel",
        "o1 reserves both lamps. o2 wants a lamp: n1 charges c2 30, but n2 refuses — o1's \
         lamps are PENDING, not sold, yet no other order may take them (a semantic lock). n0 \
         compensates o2 in reverse order: restock (nothing to undo: n2 keeps a tombstone), then \
         refund. o3 goes to an address no courier serves: charged and reserved, refused at \
         shipping, so restock then refund. o4 costs more than c3 has: the card is declined and \
         only the refund's tombstone is left. Set the courier option to down to see every saga \
         compensated at its last step.",
        store_workload(),
        reference(),
        Vec::new(),
    )
}

/// `saga-timeout`: the inventory's answers are lost from t=45 to t=300.
pub fn timeout() -> Scenario<Shop> {
    shop(
        "saga-timeout",
        "A call times out, but it succeeded",
        "From t=45 to 300 every answer from n2 to n0 is lost. o1's reservation is made, but n0 \
         never hears so: at t≈195 the call times out, and n0 cannot know whether it took \
         effect. Because it registered the restock before calling, it compensates anyway: \
         restock (retried every 60 ticks with the same idempotency key while the answers are \
         lost — n2 applies it once and answers the repeats as before), then refund. o2 and \
         o3 time out at the inventory too; o4 onwards go through after the link heals.",
        store_workload(),
        reference(),
        vec![
            Override::at(45, Action::Cut(INVENTORY, ORCHESTRATOR)),
            Override::at(300, Action::Mend(INVENTORY, ORCHESTRATOR)),
        ],
    )
}

// ---- the runs of the `saga-compensations` challenge ----

/// The challenge's swarm run.
pub const CHALLENGE_SWARM: &str = "saga-swarm";
/// The challenge's scripted runs, in the order seeds take them.
pub const CHALLENGE_SCRIPTED: [&str; 6] = [
    "saga-reply-lost",
    "saga-call-lost",
    "saga-duplicates",
    "saga-orchestrator-crash",
    "saga-crash-compensating",
    "saga-payment-down",
];
/// Every this many seeds, one is a scripted run (in turn) instead of a swarm run.
pub const SCRIPTED_EVERY: u64 = 4;
/// How long a run of the challenge goes on after its last fault: the liveness window, and
/// five compensation retries more.
pub const CHALLENGE_TAIL_TICKS: u64 =
    properties::LIVENESS_TICKS + 5 * super::COMPENSATION_TIMEOUT_TICKS;
/// How long the payment service is down in `saga-payment-down`.
pub const PAYMENT_OUTAGE_TICKS: u64 = 1_850;

/// The scripted run `id`'s faults, if `id` is one.
fn script(id: &str) -> Option<Vec<Override>> {
    let at = Override::at;
    Some(match id {
        // o1's charge (applied at 30–34) is answered into a cut link: n0 times out at 170.
        "saga-reply-lost" => vec![
            at(25, Action::Cut(PAYMENT, ORCHESTRATOR)),
            at(250, Action::HealAll),
        ],
        // o1's reservation call (sent at 40–48) is lost: nothing is reserved.
        "saga-call-lost" => vec![
            at(35, Action::Cut(ORCHESTRATOR, INVENTORY)),
            at(250, Action::HealAll),
        ],
        // Every message is delivered twice until t=600.
        "saga-duplicates" => vec![
            at(0, Action::Dup(None, 1_000_000)),
            at(600, Action::HealAll),
        ],
        // n0 crashes with o1's reservation call out (sent at 40–48, answered at 60–76).
        "saga-orchestrator-crash" => vec![
            at(50, Action::Crash(ORCHESTRATOR)),
            at(250, Action::HealAll),
        ],
        // n0 crashes while compensating o2 (refused at 130–142, its restock acknowledged at
        // 160 at the earliest) and while o1's courier is being booked.
        "saga-crash-compensating" => vec![
            at(158, Action::Crash(ORCHESTRATOR)),
            at(300, Action::HealAll),
        ],
        // n1 crashes after charging o2 (at 110–114) and before its refund arrives.
        "saga-payment-down" => vec![
            at(150, Action::Crash(PAYMENT)),
            at(150 + PAYMENT_OUTAGE_TICKS, Action::HealAll),
        ],
        _ => return None,
    })
}

/// What each run of the challenge shows.
fn text(id: &str) -> (&'static str, &'static str) {
    match id {
        "saga-reply-lost" => (
            "A charge succeeds, its answer is lost",
            "From t=25 to 250 every answer from n1 is lost: o1 is charged, and n0's call times \
             out; refunds are answered into the cut link too.",
        ),
        "saga-call-lost" => (
            "A reservation call is lost",
            "From t=35 to 250 every message from n0 to n2 is lost: o1's reservation never \
             arrives, nor do the first restocks.",
        ),
        "saga-duplicates" => (
            "Every message twice",
            "Until t=600 the network delivers every message twice: calls, answers, \
             compensations.",
        ),
        "saga-orchestrator-crash" => (
            "The orchestrator crashes mid-saga",
            "n0 crashes at t=50 with o1 charged and its reservation call out, and restarts \
             at 250.",
        ),
        "saga-crash-compensating" => (
            "The orchestrator crashes while compensating",
            "n0 crashes at t=158 while compensating o2 and while o1's courier is being \
             booked, and restarts at 300.",
        ),
        "saga-payment-down" => (
            "The payment service is down for long",
            "n1 crashes at t=150, after charging o2 and before o2's refund, and restarts at \
             2,000.",
        ),
        _ => (
            "Sagas under random faults",
            "n0 runs the six orders while the swarm crashes and restarts nodes, partitions, \
             pauses, loses and duplicates messages; then every fault heals.",
        ),
    }
}

/// Run `id` of the `saga-compensations` challenge with `hooks`.
pub fn challenge(id: &str, hooks: Rc<dyn SagaHooks>) -> Option<Scenario<Shop>> {
    let id = std::iter::once(CHALLENGE_SWARM)
        .chain(CHALLENGE_SCRIPTED)
        .find(|&known| known == id)?;
    let (title, description) = text(id);
    Some(shop(
        id,
        title,
        description,
        store_workload(),
        hooks,
        script(id).unwrap_or_default(),
    ))
}

/// The run of `seed`: every [`SCRIPTED_EVERY`]-th seed one of the scripted runs in turn, the
/// others the swarm's plan of that seed.
pub fn challenge_run(seed: u64) -> RunSpec {
    if seed % SCRIPTED_EVERY == SCRIPTED_EVERY - 1 {
        let k = (seed / SCRIPTED_EVERY) % CHALLENGE_SCRIPTED.len() as u64;
        let id = CHALLENGE_SCRIPTED[k as usize];
        RunSpec {
            scenario: id.to_string(),
            seed,
            overrides: script(id).unwrap_or_default(),
        }
    } else {
        let s = challenge(CHALLENGE_SWARM, reference()).expect("the swarm run is the challenge's");
        swarm_plan(&s, seed)
    }
}
