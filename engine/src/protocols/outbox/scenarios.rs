//! The scenarios: a dual write, and the outbox with its relay, under the same scripted crashes
//! of the order service.

use super::*;
use crate::sim::spec::{Action, Override};
use crate::sim::world::{LinkCfg, Scenario};

/// Every link's latency, ticks.
const NET: LinkCfg = LinkCfg::calm(4, 12);
/// When the scripted crashes of the order service happen.
pub const CRASHES_AT: [u64; 4] = [150, 330, 510, 690];
/// How long the order service stays down after each scripted crash, ticks.
pub const DOWN_TICKS: u64 = 40;
/// Ticks of faults the swarm runs before it heals everything.
const SWARM_SAFETY_TICKS: u64 = 800;

/// The order service crashes at [`CRASHES_AT`] and restarts [`DOWN_TICKS`] later.
fn crashes() -> Vec<Override> {
    CRASHES_AT
        .iter()
        .flat_map(|&t| {
            [
                Override::at(t, Action::Crash(SERVICE)),
                Override::at(t + DOWN_TICKS, Action::Restart(SERVICE)),
            ]
        })
        .collect()
}

/// The system with `hooks` as the relay's and consumer's rules, as scenario `id` (its options
/// and description by id).
pub fn scenario(id: &'static str, hooks: Rc<dyn OutboxHooks>) -> Scenario<Outbox> {
    let (title, description, options) = match id {
        "outbox-dual-write" => (
            "Dual write: commit, then publish",
            "The order service n0 commits each order, answers the client, works for a while \
             and then publishes OrderPlaced to the broker n1; the shipping service n2 ships \
             each order it hears of. n0 crashes at t=150, 330, 510 and 690. Watch the Events \
             panel: an order committed just before a crash never reaches the broker and is \
             lost, although the client was told it was placed (and the consumer is \
             idempotent). Try write = publish-first (phantom shipments) and write = outbox.",
            DUAL_OPTIONS,
        ),
        _ => (
            "Transactional outbox and its relay",
            "n0 writes each order and its OrderPlaced row to its outbox in one transaction; a \
             relay in n0 publishes unsent rows to the broker n1 and marks them sent once the \
             broker acknowledges. n0 crashes at t=150, 330, 510 and 690: nothing is lost, but a \
             crash after a publish and before its mark republishes the row, and the naive \
             consumer ships that order twice. Set consumer = idempotent at the start and the \
             duplicate counter stays at zero; set ack = before-processing and crash n2 while \
             it processes to lose an event.",
            OPTIONS,
        ),
    };
    Scenario {
        id,
        title,
        description,
        nodes: NODES,
        protocol: Outbox { options, hooks },
        net: NET,
        calm: NET,
        script: crashes(),
        properties: properties(),
        workload: Vec::new(),
        faulty_nodes: vec![SERVICE, BROKER, SHIPPING],
        safety_ticks: SWARM_SAFETY_TICKS,
    }
}

/// `outbox-dual-write`, with the reference rules.
pub fn dual_write() -> Scenario<Outbox> {
    scenario("outbox-dual-write", Rc::new(OutboxVariant::Reference))
}

/// `outbox-relay`, with the reference rules.
pub fn relay() -> Scenario<Outbox> {
    scenario("outbox-relay", Rc::new(OutboxVariant::Reference))
}
