//! Every limit trips with its own error value, and never with a panic.

use std::fmt;

use engine::error::SimError;
use engine::hash::{Canon, Fnv64};
use engine::limits::*;
use engine::scenarios::swarm;
use engine::sim::protocol::{Ctx, NodeId, NodeView, Protocol};
use engine::sim::spec::{Action, Override, RunSpec, When};
use engine::sim::world::{LinkCfg, Scenario, Sim, SimOptions};

/// A protocol that does as much as it is told: arm timers, send bursts, record notes.
#[derive(Clone)]
struct Flood {
    timers_on_start: u32,
    sends_per_tick: u32,
    notes_on_start: usize,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Tag(u32);
impl fmt::Display for Tag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "tag{}", self.0)
    }
}
impl Canon for Tag {
    fn canon(&self, h: &mut Fnv64) {
        h.u32(self.0);
    }
}

impl Protocol for Flood {
    type Msg = u64;
    type Timer = Tag;
    type Note = u64;
    type Request = u64;
    type Reply = u64;
    type State = ();
    type Durable = ();

    fn on_start(&self, _: Option<&()>, ctx: &mut Ctx<'_, Self>) {
        for t in 0..self.timers_on_start {
            ctx.set_timer(Tag(t), 1);
        }
        for i in 0..self.notes_on_start {
            ctx.note(i as u64);
        }
    }
    fn on_message(&self, _: &mut (), _: NodeId, _: u64, _: &mut Ctx<'_, Self>) {}
    fn on_timer(&self, _: &mut (), timer: Tag, ctx: &mut Ctx<'_, Self>) {
        let to = (ctx.id() + 1) % ctx.nodes();
        for i in 0..self.sends_per_tick {
            ctx.send(to, u64::from(i));
        }
        ctx.set_timer(timer, 1);
    }
    fn on_client_request(&self, _: &mut (), r: u64, ctx: &mut Ctx<'_, Self>) {
        ctx.reply(r);
    }
    fn parse_request(&self, text: &str) -> Result<u64, String> {
        text.parse().map_err(|_| "not a number".to_string())
    }
    fn view(&self, _: NodeId, _: &()) -> NodeView {
        NodeView::new("flood")
    }
}

fn flood(nodes: u16, protocol: Flood, net: LinkCfg) -> Scenario<Flood> {
    Scenario {
        id: "flood",
        title: "flood",
        description: "a protocol for tripping limits",
        nodes,
        protocol,
        net,
        calm: net,
        script: Vec::new(),
        properties: Vec::new(),
        workload: Vec::new(),
        faulty_nodes: Vec::new(),
        safety_ticks: 10,
    }
}

const QUIET: Flood = Flood {
    timers_on_start: 1,
    sends_per_tick: 1,
    notes_on_start: 0,
};

fn limit_of<T>(r: Result<T, SimError>) -> &'static str {
    match r {
        Err(SimError::Limit { limit, .. }) => limit,
        Err(other) => panic!("expected a limit error, got {other}"),
        Ok(_) => panic!("expected a limit error, got success"),
    }
}

fn spec() -> RunSpec {
    RunSpec::new("flood", 1)
}

#[test]
fn nodes_max() {
    let s = flood(NODES_MAX as u16 + 1, QUIET, LinkCfg::calm(1, 1));
    assert_eq!(limit_of(Sim::new(s, spec(), SimOptions::FAST)), "NODES_MAX");
    let ok = flood(NODES_MAX as u16, QUIET, LinkCfg::calm(1, 1));
    assert!(Sim::new(ok, spec(), SimOptions::FAST).is_ok());
}

#[test]
fn messages_in_flight_max() {
    let p = Flood {
        sends_per_tick: 1_000,
        ..QUIET
    };
    let s = flood(2, p, LinkCfg::calm(1_000, 1_000));
    let mut sim = Sim::new(s, spec(), SimOptions::INTERACTIVE).unwrap();
    assert_eq!(limit_of(sim.run_steps(1_000)), "MESSAGES_IN_FLIGHT_MAX");
    // The half-done step leaves the simulation halted until time travel restores a checkpoint.
    let failed_at = sim.step_count();
    assert_eq!(limit_of(sim.step()), "MESSAGES_IN_FLIGHT_MAX");
    sim.seek(failed_at - 1).unwrap();
    assert_eq!(sim.step_count(), failed_at - 1);
    assert!(sim.step().is_ok());
}

#[test]
fn timers_per_node_max() {
    let p = Flood {
        timers_on_start: TIMERS_PER_NODE_MAX as u32 + 1,
        ..QUIET
    };
    let s = flood(2, p, LinkCfg::calm(1, 1));
    assert_eq!(
        limit_of(Sim::new(s, spec(), SimOptions::FAST)),
        "TIMERS_PER_NODE_MAX"
    );
}

#[test]
fn effects_per_handler_max() {
    let p = Flood {
        notes_on_start: EFFECTS_PER_HANDLER_MAX + 1,
        ..QUIET
    };
    let s = flood(2, p, LinkCfg::calm(1, 1));
    assert_eq!(
        limit_of(Sim::new(s, spec(), SimOptions::FAST)),
        "EFFECTS_PER_HANDLER_MAX"
    );
}

#[test]
fn trace_events_max() {
    // Every send is lost at once: two events per message, one step per burst.
    let p = Flood {
        sends_per_tick: 5_000,
        ..QUIET
    };
    let net = LinkCfg {
        loss_ppm: PPM_ONE,
        ..LinkCfg::calm(1, 1)
    };
    let options = SimOptions {
        checkpoints: false,
        ..SimOptions::INTERACTIVE
    };
    let mut sim = Sim::new(flood(1, p, net), spec(), options).unwrap();
    assert_eq!(limit_of(sim.run_steps(1_000)), "TRACE_EVENTS_MAX");
    assert_eq!(sim.trace().len(), TRACE_EVENTS_MAX);
}

#[test]
fn steps_max() {
    let mut sim = Sim::new(
        flood(2, QUIET, LinkCfg::calm(1, 1)),
        spec(),
        SimOptions::INTERACTIVE,
    )
    .unwrap();
    assert_eq!(limit_of(sim.seek(STEPS_MAX + 1)), "STEPS_MAX");
    let late = RunSpec {
        overrides: vec![Override {
            at: When::Step(STEPS_MAX + 1),
            action: Action::Heal,
        }],
        ..spec()
    };
    assert_eq!(
        limit_of(Sim::new(
            flood(2, QUIET, LinkCfg::calm(1, 1)),
            late,
            SimOptions::FAST
        )),
        "STEPS_MAX"
    );
}

#[test]
fn time_ticks_max() {
    let late = RunSpec {
        overrides: vec![Override {
            at: When::Time(TIME_TICKS_MAX + 1),
            action: Action::Heal,
        }],
        ..spec()
    };
    let s = flood(2, QUIET, LinkCfg::calm(1, 1));
    assert_eq!(
        limit_of(Sim::new(s, late, SimOptions::FAST)),
        "TIME_TICKS_MAX"
    );
}

#[test]
fn overrides_max() {
    let mut token = "1~retry-lossy~1".to_string();
    for t in 0..=OVERRIDES_MAX {
        token.push_str(&format!("~t{t}h"));
    }
    assert_eq!(
        limit_of(engine::scenarios::spec_from_token(&token)),
        "OVERRIDES_MAX"
    );
    let many = RunSpec {
        overrides: vec![
            Override {
                at: When::Time(1),
                action: Action::Heal
            };
            OVERRIDES_MAX + 1
        ],
        ..spec()
    };
    let s = flood(2, QUIET, LinkCfg::calm(1, 1));
    assert_eq!(
        limit_of(Sim::new(s, many, SimOptions::FAST)),
        "OVERRIDES_MAX"
    );
}

#[test]
fn token_chars_max() {
    let token = format!("1~retry-lossy~1~{}", "h".repeat(TOKEN_CHARS_MAX));
    assert_eq!(
        limit_of(engine::scenarios::spec_from_token(&token)),
        "TOKEN_CHARS_MAX"
    );
}

#[test]
fn swarm_seeds_max() {
    assert_eq!(
        limit_of(swarm("retry-dedup", 0, SWARM_SEEDS_MAX + 1)),
        "SWARM_SEEDS_MAX"
    );
}

#[test]
fn value_ranges_are_bad_overrides() {
    let s = || flood(2, QUIET, LinkCfg::calm(1, 1));
    let bad = [
        Action::Latency(None, 1, LATENCY_TICKS_MAX + 1),
        Action::Latency(None, 5, 4),
        Action::Loss(None, PPM_ONE + 1),
        Action::Clock(0, CLOCK_SKEW_TICKS_MAX + 1, 0),
        Action::Clock(0, 0, CLOCK_DRIFT_PPM_MAX + 1),
        Action::Request(0, "9".repeat(REQUEST_TEXT_CHARS_MAX + 1)),
        Action::Crash(2),
        Action::Partition(vec![vec![0, 1], vec![1]]),
    ];
    for action in bad {
        let spec = RunSpec {
            overrides: vec![Override {
                at: When::Time(0),
                action: action.clone(),
            }],
            ..spec()
        };
        match Sim::new(s(), spec, SimOptions::FAST) {
            Err(SimError::BadOverride(why)) => assert!(!why.is_empty()),
            Err(other) => panic!("{action:?}: expected BadOverride, got {other}"),
            Ok(_) => panic!("{action:?}: expected BadOverride, got success"),
        }
    }
}
