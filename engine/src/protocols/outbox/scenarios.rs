//! The scenarios: a dual write, and the outbox with its relay, under the same scripted crashes
//! of the order service.

use super::*;
use crate::sim::scenario::swarm_plan;
use crate::sim::spec::{Action, Override, RunSpec};
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
        protocol: Outbox {
            options,
            hooks,
            customers: CUSTOMERS,
            commit_gap: COMMIT_GAP_TICKS,
        },
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

// ---- the runs of the `outbox-exactly-once` challenge ----

/// The challenge's swarm run.
pub const CHALLENGE_SWARM: &str = "outbox-swarm";
/// The challenge's scripted runs, in the order seeds take them.
pub const CHALLENGE_SCRIPTED: [&str; 7] = [
    "outbox-relay-crash",
    "outbox-ack-lost",
    "outbox-consumer-crash",
    "outbox-duplicates",
    "outbox-acks-delayed",
    "outbox-one-customer",
    "outbox-commit-gap",
];
/// Every this many seeds, one is a scripted run (in turn) instead of a swarm run.
pub const SCRIPTED_EVERY: u64 = 4;
/// How long a run of the challenge goes on after its last fault: the drain window, and room
/// for the orders still to be placed.
pub const CHALLENGE_TAIL_TICKS: u64 = properties::DRAIN_TICKS + 500;
/// `outbox-consumer-crash`: n2 crashes every this many ticks, from [`CONSUMER_CRASHES_TICKS`]`.0`
/// to `.1`, and restarts one tick later, so it is never up as long as processing takes.
pub const CONSUMER_CRASH_EVERY_TICKS: u64 = 8;
/// `outbox-consumer-crash`: when n2's crashes begin and end.
pub const CONSUMER_CRASHES_TICKS: (u64, u64) = (100, 420);
/// `outbox-one-customer`: the one-way latency from n0 to n1 while the relay drains its backlog.
pub const SPREAD_LATENCY_TICKS: (u64, u64) = (1, 70);

/// `outbox-commit-gap`: n2's slow database — the gap between two local transactions of one
/// answer of its handler, ticks. Wider than the spread of the first commit's time, so that
/// n2's crash at [`GAP_CRASH_AT`] falls between the two.
pub const SLOW_COMMIT_GAP_TICKS: (u64, u64) = (20, 30);
/// `outbox-commit-gap`: n2 is down from t=100; n1 crashes at 250 (the queue holds what was
/// published meanwhile, unacknowledged); n2 restarts at 265, when every delivery sent before
/// 250 has arrived and been lost; n1 restarts at [`GAP_BROKER_RESTART`] and at once delivers
/// its head, the only delivery until its redelivery 100 ticks later.
pub const GAP_BROKER_RESTART: u64 = 270;
/// `outbox-commit-gap`: n2 crashes here. The head delivered at [`GAP_BROKER_RESTART`] arrives
/// 4 to 12 ticks later and is processed 8 to 14 ticks after that, so a handler's first
/// transaction commits at 282..=296, before this crash, and its second at least 20 ticks
/// after the first, after it.
pub const GAP_CRASH_AT: u64 = GAP_BROKER_RESTART + 27;

/// The scripted run `id`'s faults, if `id` is one.
fn challenge_script(id: &str) -> Option<Vec<Override>> {
    let at = Override::at;
    Some(match id {
        // The broker's acknowledgements to n0 are lost from t=100: a row published after that
        // is queued and never marked; n0 crashes at 160 (before the publish times out) and
        // restarts at 200, and the relay publishes the row again.
        "outbox-relay-crash" => vec![
            at(100, Action::Cut(BROKER, SERVICE)),
            at(160, Action::Crash(SERVICE)),
            at(200, Action::HealAll),
        ],
        // n2's acknowledgements are lost from t=100 to 350, as if it crashed after each
        // commit: the broker delivers every shipped event again, every 100 ticks.
        "outbox-ack-lost" => vec![
            at(100, Action::Cut(SHIPPING, BROKER)),
            at(350, Action::HealAll),
        ],
        // n2 is never up for 8 ticks in a row: every delivery it takes is interrupted by a
        // crash before it is processed.
        "outbox-consumer-crash" => {
            let (from, to) = CONSUMER_CRASHES_TICKS;
            let mut script = Vec::new();
            let mut t = from;
            while t < to {
                script.push(at(t, Action::Crash(SHIPPING)));
                script.push(at(t + 1, Action::Restart(SHIPPING)));
                t += CONSUMER_CRASH_EVERY_TICKS;
            }
            script.push(at(to, Action::HealAll));
            script
        }
        // Every message is delivered twice until t=600: publishes (two copies in the queue,
        // two offsets), deliveries and acknowledgements.
        "outbox-duplicates" => vec![
            at(0, Action::Dup(None, 1_000_000)),
            at(600, Action::HealAll),
        ],
        // n1's acknowledgements to n0 are lost from t=100: each publish times out after 80
        // ticks and is sent again, and queued again; from 250 n0's publishes are lost too.
        "outbox-acks-delayed" => vec![
            at(100, Action::Cut(BROKER, SERVICE)),
            at(250, Action::Cut(SERVICE, BROKER)),
            at(400, Action::HealAll),
        ],
        // Every order is c1's. n0's publishes are lost from t=100 to 250, so unsent rows pile
        // up; then each publish takes anything from 1 to 70 ticks until t=700.
        "outbox-one-customer" => vec![
            at(100, Action::Cut(SERVICE, BROKER)),
            at(250, Action::Mend(SERVICE, BROKER)),
            at(
                250,
                Action::Latency(
                    Some((SERVICE, BROKER)),
                    SPREAD_LATENCY_TICKS.0,
                    SPREAD_LATENCY_TICKS.1,
                ),
            ),
            at(700, Action::HealAll),
        ],
        // See GAP_BROKER_RESTART and GAP_CRASH_AT: n2 crashes between the first and the
        // second local transaction of its answer to the head delivered at 270, and restarts;
        // the broker delivers that message again at 370.
        "outbox-commit-gap" => vec![
            at(100, Action::Crash(SHIPPING)),
            at(250, Action::Crash(BROKER)),
            at(265, Action::Restart(SHIPPING)),
            at(GAP_BROKER_RESTART, Action::Restart(BROKER)),
            at(GAP_CRASH_AT, Action::Crash(SHIPPING)),
            at(GAP_CRASH_AT + 3, Action::Restart(SHIPPING)),
        ],
        _ => return None,
    })
}

/// What each run of the challenge shows.
fn challenge_text(id: &str) -> (&'static str, &'static str) {
    match id {
        "outbox-relay-crash" => (
            "The relay crashes between publish and mark",
            "From t=100 n1's acknowledgements to n0 are lost; n0 crashes at 160 with a row \
             published and not marked, and restarts at 200: the relay publishes it again.",
        ),
        "outbox-ack-lost" => (
            "The consumer's acknowledgements are lost",
            "From t=100 to 350 every acknowledgement from n2 to the broker is lost, as if n2 \
             crashed after each commit: the broker delivers each shipped event again.",
        ),
        "outbox-consumer-crash" => (
            "The consumer crashes while processing",
            "From t=100 to 420 n2 crashes every 8 ticks and restarts a tick later: every \
             delivery it takes is interrupted before it is processed.",
        ),
        "outbox-duplicates" => (
            "Every message twice",
            "Until t=600 the network delivers every message twice: publishes, deliveries and \
             acknowledgements.",
        ),
        "outbox-acks-delayed" => (
            "Publish acknowledgements are delayed",
            "From t=100 n1's acknowledgements to n0 are lost, so the relay's publishes time \
             out and are sent again; from 250 to 400 its publishes are lost too.",
        ),
        "outbox-one-customer" => (
            "One customer's events in flight together",
            "Every order is c1's. From t=100 to 250 n0's publishes are lost and unsent rows \
             pile up; then, until 700, a publish takes from 1 to 70 ticks to reach n1.",
        ),
        "outbox-commit-gap" => (
            "The consumer crashes between two transactions",
            "n2's database is slow: the second transaction of one answer commits 20 to 30 \
             ticks after the first. n2 is down from t=100 to 265 and n1 from 250 to 270, which \
             then delivers its oldest message; n2 commits its first transaction for it by 296 \
             and crashes at 297, and n1 delivers the message again at 370.",
        ),
        _ => (
            "The outbox under random faults",
            "The client places 20 orders while the swarm crashes and restarts n0, n1 and n2, \
             partitions, pauses, loses and duplicates messages; then every fault heals.",
        ),
    }
}

/// Run `id` of the `outbox-exactly-once` challenge with `hooks` as the relay and consumer:
/// the outbox, no live options (the script decides), the scripted run's faults.
pub fn challenge(id: &str, hooks: Rc<dyn OutboxHooks>) -> Option<Scenario<Outbox>> {
    let id = std::iter::once(CHALLENGE_SWARM)
        .chain(CHALLENGE_SCRIPTED)
        .find(|&known| known == id)?;
    let (title, description) = challenge_text(id);
    let mut s = scenario("outbox-relay", hooks);
    s.id = id;
    s.title = title;
    s.description = description;
    s.protocol.options = &[];
    if id == "outbox-one-customer" {
        s.protocol.customers = 1;
    }
    if id == "outbox-commit-gap" {
        s.protocol.commit_gap = SLOW_COMMIT_GAP_TICKS;
    }
    s.script = challenge_script(id).unwrap_or_default();
    Some(s)
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
            overrides: challenge_script(id).unwrap_or_default(),
        }
    } else {
        let s = challenge(CHALLENGE_SWARM, Rc::new(OutboxVariant::Reference))
            .expect("the swarm run is the challenge's");
        swarm_plan(&s, seed)
    }
}
