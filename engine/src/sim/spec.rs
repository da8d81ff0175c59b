//! What a run is: a scenario id, a seed and the overrides a person (or the swarm) made by hand.
//!
//! Invariant: a [`RunSpec`] determines its run completely, and its URL token decodes to an equal
//! spec (`parse_url_token(to_url_token(s)) == s`); anything else in a token is a
//! [`SimError::BadToken`], never a panic.
//!
//! Token format (all characters URL-safe: letters, digits, `-`, `.`, `_`, `~`):
//! `1~<scenario>~<seed>[~<override>]*`, where an override is `<when><action>`:
//! `when` is `t<ticks>` (at a true time) or `s<step>` (right after that many steps), and
//! `action` is one of `c<n>` crash, `r<n>` restart, `z<n>` pause, `u<n>` resume,
//! `p<a>.<b>_<c>.<d>` partition into groups, `x<a>.<b>` cut the link a→b, `m<a>.<b>` mend
//! it, `h` heal links,
//! `H` heal everything (links, nodes, network back to calm), `d<id>` deliver message now,
//! `D<id>` drop message, `l<ppm>` / `l<a>.<b>.<ppm>` loss, `q<ppm>` / `q<a>.<b>.<ppm>`
//! duplication, `L<min>.<max>` / `L<a>.<b>.<min>.<max>` latency, `k<n>.<skew>.<drift_ppm>`
//! clock, `R<n>.<text>` client request, `o<name>.<choice>` set a protocol option. Example: `1~retry-lossy~7~t120c0~t300r0~s5d12`.

use std::fmt;

use crate::error::SimError;
use crate::limits::{OVERRIDES_MAX, REQUEST_TEXT_CHARS_MAX, TOKEN_CHARS_MAX};
use crate::sim::protocol::NodeId;

/// When an override takes effect.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
pub enum When {
    /// As an event at this true time (ticks); timed overrides are queued when the run starts,
    /// so they come before protocol events due at the same tick, in spec order.
    Time(u64),
    /// Right after this many steps have run (0 = before the first step).
    Step(u64),
}

/// A directed link, or all links.
pub type LinkSel = Option<(NodeId, NodeId)>;

/// One hand-made choice or fault.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Action {
    /// Crash a node: its volatile state, timers and held events are lost.
    Crash(NodeId),
    /// Restart a crashed node from its durable state.
    Restart(NodeId),
    /// Freeze a node: events for it wait until it resumes.
    Pause(NodeId),
    /// Unfreeze a paused node.
    Resume(NodeId),
    /// Cut every link between different groups (both ways).
    Partition(Vec<Vec<NodeId>>),
    /// Cut the one-way link `from → to`.
    Cut(NodeId, NodeId),
    /// Repair the one-way link `from → to`.
    Mend(NodeId, NodeId),
    /// Repair every cut link.
    Heal,
    /// End of faults: heal links, restart crashed and resume paused nodes, calm network.
    HealAll,
    /// Deliver this in-flight message as the next step.
    Deliver(u64),
    /// Drop this in-flight message.
    Drop(u64),
    /// Set the loss probability (parts per million).
    Loss(LinkSel, u32),
    /// Set the duplication probability (parts per million).
    Dup(LinkSel, u32),
    /// Set the latency range in ticks.
    Latency(LinkSel, u64, u64),
    /// Set a node's clock skew (ticks) and drift (parts per million).
    Clock(NodeId, i64, i32),
    /// A client hands a request (text form) to a node.
    Request(NodeId, String),
    /// Set one of the protocol's live options (see
    /// [`Protocol::options`](crate::sim::protocol::Protocol::options)) to one of its choices,
    /// e.g. the replication mode of a replicated register.
    Set(String, String),
}

/// An action at a moment.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Override {
    /// When it takes effect.
    pub at: When,
    /// What it does.
    pub action: Action,
}

impl Override {
    /// `action` at true time `t`.
    pub fn at(t: u64, action: Action) -> Override {
        Override {
            at: When::Time(t),
            action,
        }
    }
}

/// A complete, replayable description of a run.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct RunSpec {
    /// Scenario id, e.g. `retry-lossy`.
    pub scenario: String,
    /// Seed of the scheduler's random choices.
    pub seed: u64,
    /// Hand-made choices and faults, in addition to the scenario's own script.
    pub overrides: Vec<Override>,
}

fn link_prefix(f: &mut fmt::Formatter<'_>, link: &LinkSel) -> fmt::Result {
    match link {
        Some((a, b)) => write!(f, "{a}.{b}."),
        None => Ok(()),
    }
}

impl fmt::Display for When {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            When::Time(t) => write!(f, "t{t}"),
            When::Step(s) => write!(f, "s{s}"),
        }
    }
}

/// The token form of an action (see the module doc).
impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Action::Crash(n) => write!(f, "c{n}"),
            Action::Restart(n) => write!(f, "r{n}"),
            Action::Pause(n) => write!(f, "z{n}"),
            Action::Resume(n) => write!(f, "u{n}"),
            Action::Partition(groups) => {
                f.write_str("p")?;
                for (i, g) in groups.iter().enumerate() {
                    if i > 0 {
                        f.write_str("_")?;
                    }
                    for (j, n) in g.iter().enumerate() {
                        if j > 0 {
                            f.write_str(".")?;
                        }
                        write!(f, "{n}")?;
                    }
                }
                Ok(())
            }
            Action::Cut(a, b) => write!(f, "x{a}.{b}"),
            Action::Mend(a, b) => write!(f, "m{a}.{b}"),
            Action::Heal => f.write_str("h"),
            Action::HealAll => f.write_str("H"),
            Action::Deliver(id) => write!(f, "d{id}"),
            Action::Drop(id) => write!(f, "D{id}"),
            Action::Loss(link, ppm) => {
                f.write_str("l")?;
                link_prefix(f, link)?;
                write!(f, "{ppm}")
            }
            Action::Dup(link, ppm) => {
                f.write_str("q")?;
                link_prefix(f, link)?;
                write!(f, "{ppm}")
            }
            Action::Latency(link, lo, hi) => {
                f.write_str("L")?;
                link_prefix(f, link)?;
                write!(f, "{lo}.{hi}")
            }
            Action::Clock(n, skew, drift) => write!(f, "k{n}.{skew}.{drift}"),
            Action::Request(n, text) => write!(f, "R{n}.{text}"),
            Action::Set(name, choice) => write!(f, "o{name}.{choice}"),
        }
    }
}

impl Action {
    /// A human description for the event log, e.g. `partition {0,1}|{2,3,4}`.
    pub fn describe(&self) -> String {
        match self {
            Action::Crash(n) => format!("crash n{n}"),
            Action::Restart(n) => format!("restart n{n}"),
            Action::Pause(n) => format!("pause n{n}"),
            Action::Resume(n) => format!("resume n{n}"),
            Action::Partition(groups) => {
                let parts: Vec<String> = groups
                    .iter()
                    .map(|g| {
                        let ids: Vec<String> = g.iter().map(|n| n.to_string()).collect();
                        format!("{{{}}}", ids.join(","))
                    })
                    .collect();
                format!("partition {}", parts.join("|"))
            }
            Action::Cut(a, b) => format!("cut n{a}->n{b}"),
            Action::Mend(a, b) => format!("mend n{a}->n{b}"),
            Action::Heal => "heal".to_string(),
            Action::HealAll => "heal-all".to_string(),
            Action::Deliver(id) => format!("deliver #{id} now"),
            Action::Drop(id) => format!("drop #{id}"),
            Action::Loss(link, ppm) => format!("loss{} {ppm}ppm", describe_link(link)),
            Action::Dup(link, ppm) => format!("dup{} {ppm}ppm", describe_link(link)),
            Action::Latency(link, lo, hi) => {
                format!("latency{} {lo}..{hi} ticks", describe_link(link))
            }
            Action::Clock(n, skew, drift) => format!("clock n{n} skew={skew} drift={drift}ppm"),
            Action::Request(n, text) => format!("request n{n} {text}"),
            Action::Set(name, choice) => format!("set {name}={choice}"),
        }
    }
}

fn describe_link(link: &LinkSel) -> String {
    match link {
        Some((a, b)) => format!(" n{a}->n{b}"),
        None => String::new(),
    }
}

impl RunSpec {
    /// A run of `scenario` with `seed` and no overrides.
    pub fn new(scenario: impl Into<String>, seed: u64) -> RunSpec {
        RunSpec {
            scenario: scenario.into(),
            seed,
            overrides: Vec::new(),
        }
    }

    /// The compact URL-safe form described in the module doc.
    pub fn to_url_token(&self) -> String {
        let mut out = format!("1~{}~{}", self.scenario, self.seed);
        for o in &self.overrides {
            out.push_str(&format!("~{}{}", o.at, o.action));
        }
        out
    }

    /// Decodes a token made by [`RunSpec::to_url_token`]. Only its form is checked: whether
    /// the scenario exists and the overrides fit it is the registry's
    /// (`crate::scenarios::spec_from_token`).
    pub fn parse_url_token(token: &str) -> Result<RunSpec, SimError> {
        if token.len() > TOKEN_CHARS_MAX {
            return Err(SimError::limit("TOKEN_CHARS_MAX", TOKEN_CHARS_MAX));
        }
        let mut parts = token.split('~');
        match parts.next() {
            Some("1") => {}
            Some(v) => {
                return Err(SimError::BadToken(format!(
                    "unknown version '{v}' (expected a token starting with '1~')"
                )))
            }
            None => return Err(SimError::BadToken("empty token".into())),
        }
        let scenario = parts
            .next()
            .filter(|s| !s.is_empty())
            .ok_or_else(|| SimError::BadToken("missing scenario id".into()))?;
        let seed_text = parts
            .next()
            .ok_or_else(|| SimError::BadToken("missing seed".into()))?;
        let seed = num::<u64>(seed_text, "seed")?;
        let mut overrides = Vec::new();
        for part in parts {
            if overrides.len() >= OVERRIDES_MAX {
                return Err(SimError::limit("OVERRIDES_MAX", OVERRIDES_MAX));
            }
            overrides.push(parse_override(part)?);
        }
        Ok(RunSpec {
            scenario: scenario.to_string(),
            seed,
            overrides,
        })
    }
}

fn num<T: std::str::FromStr>(text: &str, what: &str) -> Result<T, SimError> {
    text.parse::<T>()
        .map_err(|_| SimError::BadToken(format!("'{text}' is not a valid {what}")))
}

fn nums<T: std::str::FromStr>(text: &str, what: &str) -> Result<Vec<T>, SimError> {
    text.split('.').map(|p| num::<T>(p, what)).collect()
}

fn parse_override(part: &str) -> Result<Override, SimError> {
    let bad = || SimError::BadToken(format!("override '{part}' is not <t|s><number><action>"));
    let kind = part.chars().next().ok_or_else(bad)?;
    let rest = &part[1..];
    let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
    if digits == 0 {
        return Err(bad());
    }
    let at_value = num::<u64>(&rest[..digits], "override time or step")?;
    let at = match kind {
        't' => When::Time(at_value),
        's' => When::Step(at_value),
        _ => return Err(bad()),
    };
    let action_text = &rest[digits..];
    let action = parse_action(action_text)
        .map_err(|why| SimError::BadToken(format!("override '{part}': {why}")))?;
    Ok(Override { at, action })
}

fn parse_link_values<T: std::str::FromStr + Copy>(
    args: &str,
    values: usize,
) -> Result<(LinkSel, Vec<T>), String> {
    let parts: Vec<&str> = args.split('.').collect();
    let parse_all = |ps: &[&str]| -> Result<Vec<T>, String> {
        ps.iter()
            .map(|p| p.parse::<T>().map_err(|_| format!("'{p}' is not a number")))
            .collect()
    };
    if parts.len() == values {
        Ok((None, parse_all(&parts)?))
    } else if parts.len() == values + 2 {
        let a = parts[0]
            .parse::<NodeId>()
            .map_err(|_| "bad node id".to_string())?;
        let b = parts[1]
            .parse::<NodeId>()
            .map_err(|_| "bad node id".to_string())?;
        Ok((Some((a, b)), parse_all(&parts[2..])?))
    } else {
        Err(format!(
            "expected {values} value(s), optionally after <from>.<to>"
        ))
    }
}

fn parse_action(text: &str) -> Result<Action, String> {
    let code = text.chars().next().ok_or("missing action")?;
    let args = &text[code.len_utf8()..];
    let node = || {
        args.parse::<NodeId>()
            .map_err(|_| format!("'{args}' is not a node id"))
    };
    let none = || {
        if args.is_empty() {
            Ok(())
        } else {
            Err(format!("unexpected '{args}'"))
        }
    };
    Ok(match code {
        'c' => Action::Crash(node()?),
        'r' => Action::Restart(node()?),
        'z' => Action::Pause(node()?),
        'u' => Action::Resume(node()?),
        'p' => {
            let groups = args
                .split('_')
                .map(|g| nums::<NodeId>(g, "node id").map_err(|e| e.to_string()))
                .collect::<Result<Vec<_>, _>>()?;
            Action::Partition(groups)
        }
        'x' => {
            let ids = nums::<NodeId>(args, "node id").map_err(|e| e.to_string())?;
            match ids.as_slice() {
                [a, b] => Action::Cut(*a, *b),
                _ => return Err("cut needs <from>.<to>".into()),
            }
        }
        'm' => {
            let ids = nums::<NodeId>(args, "node id").map_err(|e| e.to_string())?;
            match ids.as_slice() {
                [a, b] => Action::Mend(*a, *b),
                _ => return Err("mend needs <from>.<to>".into()),
            }
        }
        'h' => {
            none()?;
            Action::Heal
        }
        'H' => {
            none()?;
            Action::HealAll
        }
        'd' => Action::Deliver(args.parse().map_err(|_| "bad message id")?),
        'D' => Action::Drop(args.parse().map_err(|_| "bad message id")?),
        'l' => {
            let (link, v) = parse_link_values::<u32>(args, 1)?;
            Action::Loss(link, v[0])
        }
        'q' => {
            let (link, v) = parse_link_values::<u32>(args, 1)?;
            Action::Dup(link, v[0])
        }
        'L' => {
            let (link, v) = parse_link_values::<u64>(args, 2)?;
            Action::Latency(link, v[0], v[1])
        }
        'k' => {
            let parts: Vec<&str> = args.split('.').collect();
            match parts.as_slice() {
                [n, skew, drift] => Action::Clock(
                    n.parse().map_err(|_| "bad node id")?,
                    skew.parse().map_err(|_| "bad skew")?,
                    drift.parse().map_err(|_| "bad drift")?,
                ),
                _ => return Err("clock needs <node>.<skew>.<drift_ppm>".into()),
            }
        }
        'R' => {
            let (n, req) = args.split_once('.').ok_or("request needs <node>.<text>")?;
            Action::Request(n.parse().map_err(|_| "bad node id")?, req.to_string())
        }
        'o' => {
            let (name, choice) = args.split_once('.').ok_or("option needs <name>.<choice>")?;
            Action::Set(name.to_string(), choice.to_string())
        }
        other => return Err(format!("unknown action '{other}'")),
    })
}

/// Check an override's shape against a scenario with `nodes` nodes (node ids, ranges, text).
pub fn validate_override(o: &Override, nodes: u16) -> Result<(), SimError> {
    let node_ok = |n: NodeId| {
        if n < nodes {
            Ok(())
        } else {
            Err(SimError::BadOverride(format!(
                "{}: node n{n} does not exist (nodes are n0..n{})",
                o.action.describe(),
                nodes - 1
            )))
        }
    };
    let link_ok = |link: &LinkSel| match link {
        Some((a, b)) if a == b => Err(SimError::BadOverride(format!("link n{a}->n{b} is a loop"))),
        Some((a, b)) => node_ok(*a).and(node_ok(*b)),
        None => Ok(()),
    };
    let ppm_ok = |ppm: u32| {
        if ppm <= crate::limits::PPM_ONE {
            Ok(())
        } else {
            Err(SimError::BadOverride(format!(
                "{ppm}ppm is above 1000000ppm"
            )))
        }
    };
    match &o.action {
        Action::Crash(n) | Action::Restart(n) | Action::Pause(n) | Action::Resume(n) => node_ok(*n),
        Action::Partition(groups) => {
            let mut seen = vec![false; usize::from(nodes)];
            for &n in groups.iter().flatten() {
                node_ok(n)?;
                if std::mem::replace(&mut seen[usize::from(n)], true) {
                    return Err(SimError::BadOverride(format!(
                        "partition lists n{n} more than once"
                    )));
                }
            }
            if groups.len() < 2 {
                return Err(SimError::BadOverride(
                    "partition needs two groups or more".into(),
                ));
            }
            Ok(())
        }
        Action::Cut(a, b) | Action::Mend(a, b) => link_ok(&Some((*a, *b))),
        Action::Heal | Action::HealAll | Action::Deliver(_) | Action::Drop(_) => Ok(()),
        Action::Loss(link, ppm) | Action::Dup(link, ppm) => link_ok(link).and(ppm_ok(*ppm)),
        Action::Latency(link, lo, hi) => {
            link_ok(link)?;
            if lo > hi || *lo == 0 || *hi > crate::limits::LATENCY_TICKS_MAX {
                return Err(SimError::BadOverride(format!(
                    "latency {lo}..{hi} must satisfy 1 <= min <= max <= LATENCY_TICKS_MAX"
                )));
            }
            Ok(())
        }
        Action::Clock(n, skew, drift) => {
            node_ok(*n)?;
            if skew.abs() > crate::limits::CLOCK_SKEW_TICKS_MAX
                || drift.abs() > crate::limits::CLOCK_DRIFT_PPM_MAX
            {
                return Err(SimError::BadOverride(format!(
                    "clock skew {skew} / drift {drift}ppm out of range"
                )));
            }
            Ok(())
        }
        Action::Request(n, text) => {
            node_ok(*n)?;
            let ok = !text.is_empty()
                && text.len() <= REQUEST_TEXT_CHARS_MAX
                && text
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.');
            if ok {
                Ok(())
            } else {
                Err(SimError::BadOverride(format!(
                    "request text '{text}' must be 1..={REQUEST_TEXT_CHARS_MAX} of [A-Za-z0-9._-]"
                )))
            }
        }
        Action::Set(name, choice) => {
            let word = |w: &str| {
                !w.is_empty()
                    && w.len() <= OPTION_WORD_CHARS_MAX
                    && w.bytes()
                        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            };
            if word(name) && word(choice) {
                Ok(())
            } else {
                Err(SimError::BadOverride(format!(
                    "option '{name}={choice}': a name and a choice are 1..={OPTION_WORD_CHARS_MAX} of [a-z0-9-]"
                )))
            }
        }
    }
}

/// Longest option name or choice in a token.
pub const OPTION_WORD_CHARS_MAX: usize = 32;
