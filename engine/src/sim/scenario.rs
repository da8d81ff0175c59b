//! Scenarios with their protocol erased, and the swarm plan that randomizes a scenario's faults.
//!
//! Invariant: nothing here knows a protocol or the registry. [`AnyScenario`] is what the
//! registry (`crate::scenarios`), the checker ([`super::check`]) and the app boundary
//! ([`super::session`]) hold; [`swarm_plan`] derives a run from a scenario and a seed alone.

use crate::error::SimError;
use crate::limits::PPM_ONE;
use crate::rng::Rng;
use crate::sim::protocol::{NodeId, Protocol};
use crate::sim::session::DynSim;
use crate::sim::spec::{Action, Override, RunSpec};
use crate::sim::world::{LinkCfg, PropKind, Scenario, Sim, SimOptions};

/// What the app and the CLI list about a scenario.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ScenarioInfo {
    /// Id, e.g. `retry-lossy`.
    pub id: String,
    /// One-line title.
    pub title: String,
    /// What it shows.
    pub description: String,
    /// Node count.
    pub nodes: u16,
    /// Properties: (name, kind).
    pub properties: Vec<(String, PropKind)>,
    /// Every link's behaviour at the start.
    pub net: LinkCfg,
    /// The protocol's live options, which the view offers as choices.
    pub options: Vec<OptionInfo>,
    /// The kinds of message its protocol sends, in legend order.
    #[serde(default)]
    pub kinds: Vec<KindInfo>,
}

/// A kind of message as the view's legend lists it (see
/// [`crate::sim::protocol::MessageKind`]).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct KindInfo {
    /// The label's leading identifier, e.g. `AppendEntries`.
    pub name: String,
    /// True for a reply.
    pub reply: bool,
    /// What it carries.
    pub meaning: String,
}

/// A live option as the app lists it (see [`crate::sim::protocol::ProtocolOption`]).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct OptionInfo {
    /// Name in tokens, e.g. `replication`.
    pub name: String,
    /// Label, e.g. `Replication`.
    pub label: String,
    /// The choices.
    pub choices: Vec<String>,
    /// The choice a run starts with.
    pub default: String,
    /// What the choices do.
    pub help: String,
}

/// A scenario with its protocol erased.
pub trait AnyScenario {
    /// Its id.
    fn id(&self) -> &'static str;
    /// Its listing.
    fn info(&self) -> ScenarioInfo;
    /// Build a simulation of `spec`.
    fn build(&self, spec: &RunSpec, options: SimOptions) -> Result<Box<dyn DynSim>, SimError>;
    /// The default run: the scenario's script with `seed`.
    fn default_spec(&self, seed: u64) -> RunSpec;
    /// A swarm run: faults and workload randomized from `seed`, then a heal-all.
    fn swarm_spec(&self, seed: u64) -> RunSpec;
    /// Ticks after the heal-all that eventually-properties may take.
    fn liveness_ticks(&self) -> u64;
    /// Node count.
    fn nodes(&self) -> u16;
    /// Check a request text parses.
    fn check_request(&self, text: &str) -> Result<(), String>;
    /// Check that `name=choice` is one of the protocol's live options.
    fn check_option(&self, name: &str, choice: &str) -> Result<(), String>;
}

/// Most faults the swarm generates per run.
pub const SWARM_FAULTS_MAX: u64 = 12;
/// Most client requests the swarm generates per run.
pub const SWARM_REQUESTS_MAX: u64 = 8;

impl<P: Protocol> AnyScenario for Scenario<P> {
    fn id(&self) -> &'static str {
        self.id
    }
    fn info(&self) -> ScenarioInfo {
        ScenarioInfo {
            id: self.id.to_string(),
            title: self.title.to_string(),
            description: self.description.to_string(),
            nodes: self.nodes,
            properties: self
                .properties
                .iter()
                .map(|p| (p.name.to_string(), p.kind))
                .collect(),
            net: self.net,
            options: self
                .protocol
                .options()
                .iter()
                .map(|o| OptionInfo {
                    name: o.name.to_string(),
                    label: o.label.to_string(),
                    choices: o.choices.iter().map(ToString::to_string).collect(),
                    default: o.choices[o.default].to_string(),
                    help: o.help.to_string(),
                })
                .collect(),
            kinds: self
                .protocol
                .message_kinds()
                .iter()
                .map(|k| KindInfo {
                    name: k.name.to_string(),
                    reply: k.reply,
                    meaning: k.meaning.to_string(),
                })
                .collect(),
        }
    }
    fn build(&self, spec: &RunSpec, options: SimOptions) -> Result<Box<dyn DynSim>, SimError> {
        Ok(Box::new(Sim::new(self.clone(), spec.clone(), options)?))
    }
    fn default_spec(&self, seed: u64) -> RunSpec {
        RunSpec {
            scenario: self.id.to_string(),
            seed,
            overrides: self.script.clone(),
        }
    }
    fn swarm_spec(&self, seed: u64) -> RunSpec {
        swarm_plan(self, seed)
    }
    fn liveness_ticks(&self) -> u64 {
        self.properties
            .iter()
            .filter_map(|p| match p.kind {
                PropKind::EventuallyWithin(t) => Some(t),
                PropKind::Always => None,
            })
            .max()
            .unwrap_or(0)
            + 1
    }
    fn nodes(&self) -> u16 {
        self.nodes
    }
    fn check_request(&self, text: &str) -> Result<(), String> {
        self.protocol.parse_request(text).map(|_| ())
    }
    fn check_option(&self, name: &str, choice: &str) -> Result<(), String> {
        crate::sim::protocol::check_option(self.protocol.options(), name, choice).map(|_| ())
    }
}

/// TigerBeetle-style swarm plan: the seed picks the fault *probabilities* as well as the faults,
/// so some runs are calm, some are storms, and some hammer one kind of fault.
pub fn swarm_plan<P: Protocol>(s: &Scenario<P>, seed: u64) -> RunSpec {
    let mut rng = Rng::new(seed ^ 0x5357_4152_4D5F_504C);
    let horizon = s.safety_ticks.max(2);
    let mut overrides = Vec::new();
    let loss = [0, 10_000, 100_000, 300_000][rng.below(4) as usize];
    let dup = [0, 0, 20_000, 100_000][rng.below(4) as usize];
    if loss != s.net.loss_ppm {
        overrides.push(Override::at(0, Action::Loss(None, loss.min(PPM_ONE))));
    }
    if dup != s.net.dup_ppm {
        overrides.push(Override::at(0, Action::Dup(None, dup)));
    }
    if rng.below(2) == 1 {
        let hi = s.net.latency_max_ticks * (1 + rng.below(3));
        overrides.push(Override::at(
            0,
            Action::Latency(None, s.net.latency_min_ticks, hi),
        ));
    }
    let weights = [rng.below(4), rng.below(4), rng.below(3), rng.below(3)];
    let faults = rng.below(SWARM_FAULTS_MAX + 1);
    let mut times: Vec<u64> = (0..faults)
        .map(|_| rng.range_inclusive(1, horizon - 1))
        .collect();
    times.sort_unstable();
    let n = usize::from(s.nodes);
    let mut down = vec![false; n];
    let mut paused = vec![false; n];
    let mut partitioned = false;
    for t in times {
        let total: u64 = weights.iter().sum::<u64>().max(1);
        let mut pick = rng.below(total);
        let mut kind = 0;
        for (k, w) in weights.iter().enumerate() {
            if pick < *w {
                kind = k;
                break;
            }
            pick -= w;
        }
        let up: Vec<NodeId> = s
            .faulty_nodes
            .iter()
            .copied()
            .filter(|&x| !down[usize::from(x)] && !paused[usize::from(x)])
            .collect();
        let downs: Vec<NodeId> = (0..s.nodes).filter(|&x| down[usize::from(x)]).collect();
        let pauses: Vec<NodeId> = (0..s.nodes).filter(|&x| paused[usize::from(x)]).collect();
        let choose = |rng: &mut Rng, v: &[NodeId]| v[rng.below(v.len() as u64) as usize];
        let action = match kind {
            0 if !downs.is_empty() && rng.below(2) == 0 => {
                let x = choose(&mut rng, &downs);
                down[usize::from(x)] = false;
                Action::Restart(x)
            }
            0 if !up.is_empty() => {
                let x = choose(&mut rng, &up);
                down[usize::from(x)] = true;
                Action::Crash(x)
            }
            1 if partitioned && rng.below(2) == 0 => {
                partitioned = false;
                Action::Heal
            }
            1 => {
                let mut groups = vec![Vec::new(), Vec::new()];
                for x in 0..s.nodes {
                    groups[rng.below(2) as usize].push(x);
                }
                if groups.iter().any(Vec::is_empty) {
                    continue;
                }
                partitioned = true;
                Action::Partition(groups)
            }
            2 if !pauses.is_empty() => {
                let x = choose(&mut rng, &pauses);
                paused[usize::from(x)] = false;
                Action::Resume(x)
            }
            2 if !up.is_empty() => {
                let x = choose(&mut rng, &up);
                paused[usize::from(x)] = true;
                Action::Pause(x)
            }
            3 => {
                let x = rng.below(u64::from(s.nodes)) as NodeId;
                let skew = rng.range_inclusive(0, 100) as i64 - 50;
                let drift = rng.range_inclusive(0, 100_000) as i32 - 50_000;
                Action::Clock(x, skew, drift)
            }
            _ => continue,
        };
        overrides.push(Override::at(t, action));
    }
    if !s.workload.is_empty() {
        let requests = rng.range_inclusive(1, SWARM_REQUESTS_MAX);
        let mut reqs: Vec<(u64, Action)> = (0..requests)
            .map(|_| {
                let (node, text) = s.workload[rng.below(s.workload.len() as u64) as usize];
                (
                    rng.range_inclusive(0, horizon - 1),
                    Action::Request(node, text.to_string()),
                )
            })
            .collect();
        reqs.sort_by_key(|(t, _)| *t);
        overrides.extend(reqs.into_iter().map(|(t, a)| Override::at(t, a)));
    }
    overrides.push(Override::at(horizon, Action::HealAll));
    RunSpec {
        scenario: s.id.to_string(),
        seed,
        overrides,
    }
}
