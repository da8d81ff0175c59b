//! The store's nodes: replicas n0..n4, each a home of some keys and a fallback of the others,
//! and clients n5, n6, which coordinate their own reads and writes.
//!
//! A replica's rules, by message:
//! - **Get**: a home answers with its copy; a fallback answers with the newest hint it keeps
//!   for the key, flagged `hinted`, and not at all if it keeps none.
//! - **Put**: a home keeps the higher version (its own or the put's) and acknowledges.
//! - **Hint**: a fallback keeps the newest write per key and home, acknowledges, and every
//!   [`HANDOFF_TICKS`] puts each hint to its home; the home's acknowledgement ends the hint.
//! - **Repair**: a home replaces its copy with the repair's write if it still holds the version
//!   the repair expects (any version, when the repair expects none), and says what it holds.
//!
//! A client's operation, one at a time:
//! - **Write**: ask the key's homes (`Get`); once R have answered, put version
//!   `(highest counter + 1, me)` to every home; once W have acknowledged, the write is done, and
//!   each home that has not becomes an errand: the write is resent to it and, as a hint, to a
//!   fallback (the next one each time) until one of them acknowledges.
//! - **Read**: ask the whole preference list; after each new reply the rules decide. Once they
//!   answer, the read is done and each repair becomes an errand, resent until the home says it
//!   holds the answer or newer; a home that says it holds something else, older, is asked
//!   again on the condition of that.
//!
//! Everything unanswered is resent every [`RETRY_TICKS`].

use super::rules::{Decision, ReadRules, Reference};
use super::types::*;
use super::*;
use crate::sim::protocol::{Ctx, MessageKind, NodeView, Protocol};

/// The store: replicas n0..n4 and clients n5, n6.
#[derive(Clone)]
pub struct Quorum {
    /// The read coordinator's rules (the learner's script in the challenge).
    pub rules: Rc<dyn ReadRules>,
}

impl Quorum {
    fn decide(&self, replies: &[ReadReply]) -> Decision {
        self.rules
            .read_result(replies, R)
            .or_else(|| Reference.read_result(replies, R))
            .unwrap_or(Decision::Wait)
    }

    fn repair_list(&self, replies: &[ReadReply], chosen: &Stored) -> Vec<NodeId> {
        self.rules
            .repairs(replies, chosen)
            .or_else(|| Reference.repairs(replies, chosen))
            .unwrap_or_default()
    }
}

// ---------------------------------------------------------------------------------------
// Replicas.

fn store(d: &mut Durable, key: Key, stored: Stored, cause: Cause, ctx: &mut Ctx<'_, Quorum>) {
    let from = d.data[key].version;
    d.data[key] = stored.stored_at(ctx.now());
    ctx.persist(d.clone());
    ctx.note(Note::Stored {
        key,
        from,
        to: stored.version,
        cause,
    });
}

fn on_get(d: &Durable, from: NodeId, op: u64, key: Key, ctx: &mut Ctx<'_, Quorum>) {
    let me = ctx.id();
    let answer = if is_home(key, me) {
        Some((d.data[key], false))
    } else {
        d.hints
            .iter()
            .filter(|h| h.key == key)
            .map(|h| h.stored)
            .max_by_key(|s| s.version)
            .map(|s| (s, true))
    };
    if let Some((stored, hinted)) = answer {
        ctx.send(
            from,
            Msg::Value {
                op,
                key,
                stored,
                hinted,
            },
        );
    }
}

fn on_put(d: &mut Durable, from: NodeId, key: Key, stored: Stored, ctx: &mut Ctx<'_, Quorum>) {
    if !is_home(key, ctx.id()) {
        return;
    }
    if stored.version > d.data[key].version {
        store(d, key, stored, Cause::Put, ctx);
    }
    ctx.send(
        from,
        Msg::PutOk {
            key,
            version: stored.version,
        },
    );
}

fn on_hint(d: &mut Durable, from: NodeId, hint: Hint, ctx: &mut Ctx<'_, Quorum>) {
    let hint = Hint {
        stored: hint.stored.stored_at(ctx.now()),
        ..hint
    };
    let same = |h: &Hint| h.key == hint.key && h.home == hint.home;
    let newer = d
        .hints
        .iter()
        .find(|h| same(h))
        .is_none_or(|h| h.stored.version < hint.stored.version);
    if newer {
        d.hints.retain(|h| !same(h));
        if d.hints.len() >= HINTS_MAX {
            d.hints.remove(0);
        }
        d.hints.push(hint);
        ctx.persist(d.clone());
        ctx.set_timer(Timer::Handoff, HANDOFF_TICKS);
    }
    ctx.send(
        from,
        Msg::HintOk {
            key: hint.key,
            home: hint.home,
            version: hint.stored.version,
        },
    );
}

/// A home acknowledged a handed-over hint: the fallback forgets it (unless it has a newer one).
fn on_handed_over(
    d: &mut Durable,
    home: NodeId,
    key: Key,
    version: Version,
    ctx: &mut Ctx<'_, Quorum>,
) {
    let before = d.hints.len();
    d.hints
        .retain(|h| !(h.key == key && h.home == home && h.stored.version <= version));
    if d.hints.len() != before {
        ctx.persist(d.clone());
    }
}

fn on_repair(
    d: &mut Durable,
    from: NodeId,
    key: Key,
    stored: Stored,
    expect: Option<Version>,
    ctx: &mut Ctx<'_, Quorum>,
) {
    if !is_home(key, ctx.id()) {
        return;
    }
    let held = d.data[key].version;
    if expect.is_none_or(|e| e == held) && stored.version != held {
        store(d, key, stored, Cause::Repair, ctx);
    }
    ctx.send(
        from,
        Msg::Repaired {
            key,
            version: stored.version,
            held: d.data[key].version,
        },
    );
}

fn handoff(d: &Durable, ctx: &mut Ctx<'_, Quorum>) {
    for h in &d.hints {
        ctx.send(
            h.home,
            Msg::Put {
                key: h.key,
                stored: h.stored,
            },
        );
    }
    if !d.hints.is_empty() {
        ctx.set_timer(Timer::Handoff, HANDOFF_TICKS);
    }
}

fn replica_message(d: &mut Durable, from: NodeId, msg: Msg, ctx: &mut Ctx<'_, Quorum>) {
    match msg {
        Msg::Get { op, key } => on_get(d, from, op, key, ctx),
        Msg::Put { key, stored } => on_put(d, from, key, stored, ctx),
        Msg::Hint { key, home, stored } => on_hint(d, from, Hint { key, home, stored }, ctx),
        Msg::PutOk { key, version } if is_replica(from) => {
            on_handed_over(d, from, key, version, ctx)
        }
        Msg::Repair {
            key,
            stored,
            expect,
        } => on_repair(d, from, key, stored, expect, ctx),
        _ => {}
    }
}

// ---------------------------------------------------------------------------------------
// Clients.

fn push_errand(c: &mut Client, errand: Errand) {
    if c.outbox.len() >= OUTBOX_MAX {
        c.outbox.remove(0);
    }
    c.outbox.push(errand);
}

/// The next version after the highest of `seen`, written by `me`.
fn next_version(seen: &[(NodeId, Version)], me: NodeId) -> Version {
    let counter = seen.iter().map(|(_, v)| v.counter).max().unwrap_or(0);
    Version {
        counter: counter + 1,
        writer: me,
    }
}

impl Quorum {
    /// Sends what the current operation still waits for.
    fn send_current(cur: &Current, ctx: &mut Ctx<'_, Self>) {
        let key = cur.request.key();
        let (targets, msg): (Vec<NodeId>, Msg) = match &cur.phase {
            Phase::Read(replies) => (
                preference_list(key)
                    .into_iter()
                    .filter(|n| replies.iter().all(|r| r.replica != *n))
                    .collect(),
                Msg::Get { op: cur.op, key },
            ),
            Phase::Query(seen) => (
                homes(key)
                    .into_iter()
                    .filter(|n| seen.iter().all(|(r, _)| r != n))
                    .collect(),
                Msg::Get { op: cur.op, key },
            ),
            Phase::Put(stored, acked) => (
                homes(key)
                    .into_iter()
                    .filter(|n| !acked.contains(n))
                    .collect(),
                Msg::Put {
                    key,
                    stored: *stored,
                },
            ),
        };
        for to in targets {
            ctx.send(to, msg.clone());
        }
    }

    fn send_errand(errand: &mut Errand, ctx: &mut Ctx<'_, Self>) {
        match errand {
            Errand::Deliver {
                key,
                home,
                stored,
                sent,
            } => {
                let list = fallbacks(*key);
                let to = list[(*sent as usize) % list.len()];
                *sent += 1;
                ctx.send(
                    *home,
                    Msg::Put {
                        key: *key,
                        stored: *stored,
                    },
                );
                ctx.send(
                    to,
                    Msg::Hint {
                        key: *key,
                        home: *home,
                        stored: *stored,
                    },
                );
                ctx.note(Note::Hinted {
                    key: *key,
                    version: stored.version,
                    home: *home,
                    to,
                });
            }
            Errand::Repair {
                key,
                home,
                stored,
                expect,
            } => ctx.send(
                *home,
                Msg::Repair {
                    key: *key,
                    stored: *stored,
                    expect: *expect,
                },
            ),
        }
    }

    fn start_next(c: &mut Client, ctx: &mut Ctx<'_, Self>) {
        if c.current.is_some() {
            return;
        }
        let Some(request) = c.queue.pop_front() else {
            return;
        };
        c.ops += 1;
        let phase = match request {
            Request::Read(_) => Phase::Read(Vec::new()),
            Request::Write(..) => Phase::Query(Vec::new()),
        };
        let cur = Current {
            op: c.ops,
            request,
            phase,
        };
        Self::send_current(&cur, ctx);
        c.current = Some(cur);
        ctx.set_timer(Timer::Retry, RETRY_TICKS);
    }

    fn finish(c: &mut Client, done: Done, ctx: &mut Ctx<'_, Self>) {
        ctx.reply(done);
        c.current = None;
        Self::start_next(c, ctx);
    }

    /// A reply to the current read: the rules decide; an answer ends the read and starts its
    /// repairs.
    fn on_read_reply(&self, c: &mut Client, reply: ReadReply, ctx: &mut Ctx<'_, Self>) {
        let Some(cur) = &mut c.current else { return };
        let Phase::Read(replies) = &mut cur.phase else {
            return;
        };
        if replies.iter().any(|r| r.replica == reply.replica) {
            return;
        }
        replies.push(reply);
        let Decision::Answer(chosen) = self.decide(replies) else {
            return;
        };
        let replies = replies.clone();
        let done = Done {
            op: cur.op,
            request: cur.request,
            version: chosen.version,
            value: chosen.value,
        };
        let key = reply.key;
        let mut repairs = self.repair_list(&replies, &chosen);
        repairs.retain(|&n| is_home(key, n));
        repairs.sort_unstable();
        repairs.dedup();
        ctx.note(Note::Decided {
            key,
            version: chosen.version,
            repairs: repairs.clone(),
        });
        for home in repairs {
            let expect = replies
                .iter()
                .find(|r| r.replica == home && !r.hinted)
                .map(|r| r.stored.version);
            let mut errand = Errand::Repair {
                key,
                home,
                stored: chosen,
                expect,
            };
            Self::send_errand(&mut errand, ctx);
            push_errand(c, errand);
        }
        Self::finish(c, done, ctx);
    }

    /// A home's version for the current write's first phase.
    fn on_query_reply(c: &mut Client, from: NodeId, version: Version, ctx: &mut Ctx<'_, Self>) {
        let me = ctx.id();
        let Some(cur) = &mut c.current else { return };
        let (Phase::Query(seen), Request::Write(key, value)) = (&mut cur.phase, cur.request) else {
            return;
        };
        if !is_home(key, from) || seen.iter().any(|(n, _)| *n == from) {
            return;
        }
        seen.push((from, version));
        if seen.len() < R {
            return;
        }
        let stored = Stored {
            version: next_version(seen, me),
            value,
            written_at: 0,
        };
        cur.phase = Phase::Put(stored, Vec::new());
        Self::send_current(cur, ctx);
    }

    fn on_put_ok(
        c: &mut Client,
        from: NodeId,
        key: Key,
        version: Version,
        ctx: &mut Ctx<'_, Self>,
    ) {
        c.outbox.retain(|e| {
            !matches!(e, Errand::Deliver { key: k, home, stored, .. }
                if *k == key && *home == from && stored.version == version)
        });
        let Some(cur) = &mut c.current else { return };
        let Phase::Put(stored, acked) = &mut cur.phase else {
            return;
        };
        if stored.version != version || cur.request.key() != key || acked.contains(&from) {
            return;
        }
        acked.push(from);
        if acked.len() < W {
            return;
        }
        let (stored, acked) = (*stored, acked.clone());
        let done = Done {
            op: cur.op,
            request: cur.request,
            version: stored.version,
            value: stored.value,
        };
        for home in homes(key) {
            if !acked.contains(&home) {
                push_errand(
                    c,
                    Errand::Deliver {
                        key,
                        home,
                        stored,
                        sent: 0,
                    },
                );
            }
        }
        Self::finish(c, done, ctx);
    }

    fn on_repaired(
        c: &mut Client,
        from: NodeId,
        key: Key,
        version: Version,
        held: Version,
        ctx: &mut Ctx<'_, Self>,
    ) {
        let Some(i) = c.outbox.iter().position(|e| {
            matches!(e, Errand::Repair { key: k, home, stored, .. }
                if *k == key && *home == from && stored.version == version)
        }) else {
            return;
        };
        if held >= version {
            c.outbox.remove(i);
            return;
        }
        if let Errand::Repair { expect, .. } = &mut c.outbox[i] {
            *expect = Some(held);
        }
        Self::send_errand(&mut c.outbox[i], ctx);
    }

    fn client_message(&self, c: &mut Client, from: NodeId, msg: Msg, ctx: &mut Ctx<'_, Self>) {
        match msg {
            Msg::Value {
                op,
                key,
                stored,
                hinted,
            } if c.current.as_ref().is_some_and(|cur| cur.op == op) => {
                let reading = c
                    .current
                    .as_ref()
                    .is_some_and(|cur| matches!(cur.phase, Phase::Read(_)));
                if reading {
                    let reply = ReadReply {
                        replica: from,
                        key,
                        stored,
                        hinted,
                    };
                    self.on_read_reply(c, reply, ctx);
                } else if !hinted {
                    Self::on_query_reply(c, from, stored.version, ctx);
                }
            }
            Msg::PutOk { key, version } => Self::on_put_ok(c, from, key, version, ctx),
            Msg::HintOk { key, home, version } => c.outbox.retain(|e| {
                !matches!(e, Errand::Deliver { key: k, home: h, stored, .. }
                    if *k == key && *h == home && stored.version == version)
            }),
            Msg::Repaired { key, version, held } => {
                Self::on_repaired(c, from, key, version, held, ctx)
            }
            _ => {}
        }
    }

    fn client_retry(c: &mut Client, ctx: &mut Ctx<'_, Self>) {
        if let Some(cur) = &c.current {
            Self::send_current(cur, ctx);
        }
        for errand in &mut c.outbox {
            Self::send_errand(errand, ctx);
        }
        if c.current.is_some() || !c.outbox.is_empty() {
            ctx.set_timer(Timer::Retry, RETRY_TICKS);
        }
    }
}

fn parse_key(text: &str) -> Result<(Key, &str), String> {
    let mut chars = text.chars();
    let name = chars.next().map(String::from).unwrap_or_default();
    let key = KEYS
        .iter()
        .position(|k| *k == name)
        .ok_or_else(|| format!("'{name}' is not a key (keys: {})", KEYS.join(", ")))?;
    Ok((key, chars.as_str()))
}

impl Protocol for Quorum {
    type Msg = Msg;
    type Timer = Timer;
    type Note = Note;
    type Request = Request;
    type Reply = Done;
    type State = State;
    type Durable = Durable;

    fn on_start(&self, restored: Option<&Durable>, ctx: &mut Ctx<'_, Self>) -> State {
        if !is_replica(ctx.id()) {
            return State::Client(Client::default());
        }
        let d = restored.cloned().unwrap_or_default();
        if !d.hints.is_empty() {
            ctx.set_timer(Timer::Handoff, HANDOFF_TICKS);
        }
        State::Replica(d)
    }

    fn on_message(&self, state: &mut State, from: NodeId, msg: Msg, ctx: &mut Ctx<'_, Self>) {
        match state {
            State::Replica(d) => replica_message(d, from, msg, ctx),
            State::Client(c) => {
                if is_replica(from) {
                    self.client_message(c, from, msg, ctx);
                }
            }
        }
    }

    fn on_timer(&self, state: &mut State, timer: Timer, ctx: &mut Ctx<'_, Self>) {
        match (state, timer) {
            (State::Replica(d), Timer::Handoff) => handoff(d, ctx),
            (State::Client(c), Timer::Retry) => Self::client_retry(c, ctx),
            _ => {}
        }
    }

    fn on_client_request(&self, state: &mut State, request: Request, ctx: &mut Ctx<'_, Self>) {
        if let State::Client(c) = state {
            if c.queue.len() < QUEUE_MAX {
                c.queue.push_back(request);
            }
            Self::start_next(c, ctx);
        }
    }

    /// `r<key>` reads a key, `w<key><value>` writes a value of 1 or more: `ra`, `wb12`.
    fn parse_request(&self, text: &str) -> Result<Request, String> {
        let bad =
            || format!("'{text}' is not r<key> (read) or w<key><value> (write), e.g. ra, wb12");
        if let Some(rest) = text.strip_prefix('r') {
            let (key, tail) = parse_key(rest)?;
            return if tail.is_empty() {
                Ok(Request::Read(key))
            } else {
                Err(bad())
            };
        }
        let rest = text.strip_prefix('w').ok_or_else(bad)?;
        let (key, digits) = parse_key(rest)?;
        digits
            .parse::<u64>()
            .ok()
            .filter(|&v| v > 0)
            .map(|v| Request::Write(key, v))
            .ok_or_else(|| format!("'{digits}' is not a value of 1 or more"))
    }

    fn message_kinds(&self) -> &'static [MessageKind] {
        &[
            MessageKind {
                name: "Get",
                reply: false,
                meaning: "a read asks a replica",
            },
            MessageKind {
                name: "Value",
                reply: true,
                meaning: "the replica's version and value",
            },
            MessageKind {
                name: "Put",
                reply: false,
                meaning: "a write stores a version",
            },
            MessageKind {
                name: "PutOk",
                reply: true,
                meaning: "stored",
            },
            MessageKind {
                name: "Hint",
                reply: false,
                meaning: "a stand-in keeps a write for its home",
            },
            MessageKind {
                name: "HintOk",
                reply: true,
                meaning: "the stand-in holds it",
            },
            MessageKind {
                name: "Repair",
                reply: false,
                meaning: "read repair: a newer version",
            },
            MessageKind {
                name: "Repaired",
                reply: true,
                meaning: "the replica holds it",
            },
        ]
    }
    fn view(&self, node: NodeId, state: &State) -> NodeView {
        match state {
            State::Replica(d) => {
                let mut view = NodeView::new("replica");
                for (key, name) in KEYS.iter().enumerate() {
                    if is_home(key, node) {
                        let s = d.data[key];
                        view = view.field(*name, format!("{} (version {})", s.value, s.version));
                    }
                }
                view.field("hints", d.hints.len())
            }
            State::Client(c) => NodeView::new("client")
                .field(
                    "doing",
                    c.current
                        .as_ref()
                        .map_or("nothing".to_string(), |cur| cur.request.to_string()),
                )
                .field("queued", c.queue.len())
                .field("errands", c.outbox.len()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::Rng;
    use crate::sim::protocol::Effect;

    fn quorum() -> Quorum {
        Quorum {
            rules: Rc::new(Reference),
        }
    }

    fn at(node: NodeId, state: &mut State, from: NodeId, msg: Msg) -> Vec<Effect<Quorum>> {
        let mut rng = Rng::new(1);
        let mut effects = Vec::new();
        let mut ctx = Ctx::new(node, REPLICAS + CLIENTS, 500, &mut rng, &mut effects);
        quorum().on_message(state, from, msg, &mut ctx);
        effects
    }

    fn write(counter: u64, writer: NodeId, value: u64) -> Stored {
        Stored {
            version: Version { counter, writer },
            value,
            written_at: 0,
        }
    }

    fn held(state: &State, key: Key) -> Version {
        match state {
            State::Replica(d) => d.data[key].version,
            State::Client(_) => unreachable!("a replica"),
        }
    }

    /// A home keeps the newer of two versions (counter, then writer) and never goes back.
    #[test]
    fn a_home_keeps_the_higher_version_of_a_put() {
        let mut s = State::Replica(Durable::default());
        at(
            0,
            &mut s,
            5,
            Msg::Put {
                key: 0,
                stored: write(2, 5, 20),
            },
        );
        let effects = at(
            0,
            &mut s,
            6,
            Msg::Put {
                key: 0,
                stored: write(1, 6, 10),
            },
        );
        assert_eq!(
            held(&s, 0),
            Version {
                counter: 2,
                writer: 5
            }
        );
        assert!(effects
            .iter()
            .any(|e| matches!(e, Effect::Send(6, Msg::PutOk { .. }))));
        at(
            0,
            &mut s,
            6,
            Msg::Put {
                key: 0,
                stored: write(2, 6, 30),
            },
        );
        assert_eq!(
            held(&s, 0),
            Version {
                counter: 2,
                writer: 6
            },
            "the writer breaks ties"
        );
    }

    /// A repair is conditional on what the home replied with; with no condition it overwrites.
    #[test]
    fn a_repair_applies_only_if_the_home_still_holds_what_it_replied() {
        let mut s = State::Replica(Durable::default());
        at(
            1,
            &mut s,
            5,
            Msg::Put {
                key: 0,
                stored: write(3, 6, 30),
            },
        );
        let stale = Some(Version {
            counter: 1,
            writer: 5,
        });
        at(
            1,
            &mut s,
            5,
            Msg::Repair {
                key: 0,
                stored: write(2, 5, 20),
                expect: stale,
            },
        );
        assert_eq!(
            held(&s, 0).counter,
            3,
            "a newer write arrived since: the repair is refused"
        );
        at(
            1,
            &mut s,
            5,
            Msg::Repair {
                key: 0,
                stored: write(2, 5, 20),
                expect: None,
            },
        );
        assert_eq!(
            held(&s, 0).counter,
            2,
            "a repair without a condition overwrites"
        );
    }

    /// §4.6: "Upon detecting that A has recovered, D will attempt to deliver the replica to A.
    /// Once the transfer succeeds, D may delete the object from its local store" — and until
    /// then a fallback answers reads with it, flagged.
    #[test]
    fn a_fallback_keeps_a_hint_answers_with_it_flagged_and_forgets_it_once_handed_over() {
        let mut s = State::Replica(Durable::default());
        let hint = Msg::Hint {
            key: 0,
            home: 2,
            stored: write(1, 5, 10),
        };
        at(3, &mut s, 5, hint);
        let effects = at(3, &mut s, 6, Msg::Get { op: 1, key: 0 });
        assert!(effects.iter().any(|e| matches!(e,
            Effect::Send(6, Msg::Value { hinted: true, stored, .. }) if stored.value == 10)));
        at(
            3,
            &mut s,
            2,
            Msg::PutOk {
                key: 0,
                version: Version {
                    counter: 1,
                    writer: 5,
                },
            },
        );
        let State::Replica(d) = &s else {
            unreachable!()
        };
        assert!(d.hints.is_empty());
        assert!(
            at(3, &mut s, 6, Msg::Get { op: 2, key: 0 }).is_empty(),
            "no hint, no reply"
        );
    }

    #[test]
    fn requests_parse_and_bad_ones_say_why() {
        let q = quorum();
        assert_eq!(q.parse_request("ra"), Ok(Request::Read(0)));
        assert_eq!(q.parse_request("wb12"), Ok(Request::Write(1, 12)));
        assert!(q.parse_request("rc").unwrap_err().contains("not a key"));
        assert!(q.parse_request("wa0").unwrap_err().contains("1 or more"));
        assert!(q.parse_request("x").is_err());
        assert!(q.parse_request("rab").is_err());
    }
}
