//! The services' handlers: a program per service (local work, calls, a fan-out, a publish),
//! calls with timeouts and retries, the database's queue, the message queue and its consumer,
//! and the tracing middleware ([`PropagationHooks`]) around every call. Every span and log
//! line is recorded for the outside observer, who stamps it with the true time.

use std::fmt;
use std::sync::Arc;

use super::context::{Fresh, SpanFields};
use super::logs::{Level, Vc};
use super::rules::PropagationHooks;
use super::spans::SpanKind;
use super::types::*;
use super::*;
use crate::sim::protocol::{Ctx, MessageKind, NodeId, NodeView, Protocol, ProtocolOption};

/// The service graph.
#[derive(Clone)]
pub struct Services {
    /// The tracing middleware every service runs.
    pub hooks: Arc<dyn PropagationHooks>,
    /// How many checkouts the client sends by itself.
    pub requests: u32,
    /// Whether the client sends a `traceparent` of its own (valid or not) with some requests.
    pub client_headers: bool,
    /// Time between the client's checkouts, ticks (uniform in the range).
    pub spacing_ticks: (u64, u64),
}

impl fmt::Debug for Services {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Services")
            .field("hooks", &self.hooks.name())
            .field("requests", &self.requests)
            .field("client_headers", &self.client_headers)
            .field("spacing_ticks", &self.spacing_ticks)
            .finish()
    }
}

/// One stage of a service's program.
#[derive(Clone, Copy, Debug)]
enum Stage {
    /// Local work, uniform in `lo..=hi` ticks.
    Work(u64, u64),
    /// Call one service and wait.
    Call(NodeId, Op),
    /// Call two services at once and wait for both.
    FanOut([(NodeId, Op); 2]),
    /// Fail with this probability (ppm), or [`FAULT_PPM`] when the `fault` option names the node.
    Fail(u32),
    /// Publish the order to the queue (no wait).
    Publish,
}

/// What a service does for a call.
fn program(node: NodeId, op: Op) -> &'static [Stage] {
    use Stage::*;
    match (node, op) {
        (GATEWAY, Op::Checkout) => &[Work(1, 3), Call(ORDERS, Op::Checkout)],
        (ORDERS, Op::Checkout) => &[
            Work(2, 6),
            FanOut([(INVENTORY, Op::Reserve), (PAYMENTS, Op::Charge)]),
            Call(DB_PRIMARY, Op::Write),
            Publish,
        ],
        (INVENTORY, Op::Reserve) => &[Work(1, 4), Call(DB_REPLICA, Op::Read)],
        (PAYMENTS, Op::Charge) => &[Work(10, 30), Fail(PAYMENTS_FAIL_PPM)],
        (SHIPPING, _) => &[Work(20, 80)],
        _ => &[],
    }
}

/// How long a caller waits for one attempt, and how many times it retries.
fn call_policy(to: NodeId, db_timeout_ticks: u64) -> (u64, u32) {
    match to {
        ORDERS => (GATEWAY_TIMEOUT_TICKS, 0),
        INVENTORY | PAYMENTS => (SERVICE_TIMEOUT_TICKS, SERVICE_RETRIES),
        _ => (db_timeout_ticks, DB_RETRIES),
    }
}

impl Services {
    /// The graph with this middleware, the client sending `requests` checkouts.
    pub fn new(hooks: Arc<dyn PropagationHooks>, requests: u32, client_headers: bool) -> Self {
        Services {
            hooks,
            requests,
            client_headers,
            spacing_ticks: SPACING_TICKS,
        }
    }

    fn slow_factor(&self, ctx: &Ctx<'_, Self>) -> u64 {
        if ctx.option("slow") == name(ctx.id()) {
            SLOW_FACTOR
        } else {
            1
        }
    }

    fn db_timeout(ctx: &Ctx<'_, Self>) -> u64 {
        ctx.option("timeout").parse().unwrap_or(DB_TIMEOUT_TICKS)
    }

    /// A new op number, persisted so that a restarted node never reuses one.
    fn next(s: &mut State, ctx: &mut Ctx<'_, Self>) -> u64 {
        s.next += 1;
        ctx.persist(s.next);
        u64::from(ctx.id()) << 40 | s.next
    }

    /// Fresh ids from the run's generator (never zero).
    fn fresh(ctx: &mut Ctx<'_, Self>) -> Fresh {
        let span_id = ctx.random_range(1, u64::MAX - 1);
        let hi = ctx.random_range(0, u64::MAX - 1);
        let lo = ctx.random_range(1, u64::MAX - 1);
        let sampled = ctx.random_range(1, HEAD_SAMPLING_ONE_IN) == 1;
        Fresh {
            span_id,
            trace_id: u128::from(hi) << 64 | u128::from(lo),
            sampled,
        }
    }

    /// Write a log line in `span`: the node's clock ticks.
    fn log(s: &mut State, ctx: &mut Ctx<'_, Self>, span: &SpanFields, level: Level, text: String) {
        s.vc.tick(ctx.id());
        ctx.observe(Note::Log {
            wall: ctx.now(),
            vc: s.vc.clone(),
            trace_id: span.trace_id.clone(),
            span_id: span.span_id.clone(),
            level,
            text,
        });
    }

    fn start_span(ctx: &mut Ctx<'_, Self>, start: SpanStart) {
        ctx.observe(Note::Span(Box::new(start)));
    }

    fn end_span(ctx: &mut Ctx<'_, Self>, op: u64, error: bool) {
        ctx.observe(Note::SpanEnd { op, error });
    }

    /// A call arrives: start the server span, then the program (or the database's queue).
    #[allow(clippy::too_many_arguments)]
    fn serve(
        &self,
        s: &mut State,
        from: NodeId,
        call: u64,
        attempt: u32,
        op: Op,
        traceparent: Option<String>,
        ghost: Ghost,
        ctx: &mut Ctx<'_, Self>,
    ) {
        if !s.taken.insert((from, call, attempt)) {
            let text = format!("duplicate of {} from {} ignored", op.route(), name(from));
            Self::log(s, ctx, &SpanFields::default(), Level::Warn, text);
            return;
        }
        let full = if matches!(op, Op::Read | Op::Write) {
            s.queries.len() >= DB_QUEUE_MAX
        } else {
            s.handlings.len() >= IN_PROGRESS_MAX
        };
        if full {
            // Load shedding: answer at once rather than queue work no one may wait for.
            let text = format!("{} from {} rejected: overloaded", op.route(), name(from));
            Self::log(s, ctx, &SpanFields::default(), Level::Warn, text);
            s.failed += 1;
            let vc = s.vc.clone();
            ctx.send(
                from,
                Msg::Reply {
                    call,
                    attempt,
                    ok: false,
                    vc,
                },
            );
            return;
        }
        let fresh = Self::fresh(ctx);
        let fields = self
            .hooks
            .server_span(traceparent.as_deref(), &fresh)
            .bounded();
        let span_op = Self::next(s, ctx);
        let decided = (from == CLIENT).then(|| {
            match traceparent
                .as_deref()
                .map(super::context::parse_traceparent)
            {
                Some(Ok(tp)) => format!("{:02x}", tp.flags),
                _ => fresh.flags_hex(),
            }
        });
        let cause = (ghost.cause != 0).then_some(ghost.cause);
        Self::start_span(
            ctx,
            SpanStart {
                op: span_op,
                cause,
                follows: None,
                request: ghost.request,
                kind: SpanKind::Server,
                name: op.route().to_string(),
                attempt,
                fields: fields.clone(),
                sent: None,
                decided_flags: decided,
            },
        );
        let text = format!("{} from {} (attempt {attempt})", op.route(), name(from));
        Self::log(s, ctx, &fields, Level::Info, text);
        let h = Self::next(s, ctx);
        s.handlings.insert(
            h,
            Handling {
                from,
                call,
                attempt,
                op,
                span: OpenSpan {
                    op: span_op,
                    fields,
                },
                request: ghost.request,
                stage: 0,
                waiting: 0,
                failed: false,
            },
        );
        if matches!(op, Op::Read | Op::Write) {
            let base = if ctx.random_range(1, 100) <= DB_TAIL_PERCENT {
                ctx.random_range(DB_TAIL_TICKS.0, DB_TAIL_TICKS.1)
            } else {
                ctx.random_range(DB_WORK_TICKS.0, DB_WORK_TICKS.1)
            };
            let work_ticks = base * self.slow_factor(ctx);
            s.queries.push_back(Query {
                handling: h,
                work_ticks,
            });
            Self::start_queries(s, ctx);
        } else {
            self.advance(s, h, ctx);
        }
    }

    /// Run handling `h`'s program from its current stage until it must wait or is done.
    fn advance(&self, s: &mut State, h: u64, ctx: &mut Ctx<'_, Self>) {
        loop {
            let Some(hd) = s.handlings.get(&h) else {
                return;
            };
            let stages = program(ctx.id(), hd.op);
            if hd.failed || hd.stage >= stages.len() {
                self.finish(s, h, ctx);
                return;
            }
            let stage = stages[hd.stage];
            if let Some(hd) = s.handlings.get_mut(&h) {
                hd.stage += 1;
            }
            match stage {
                Stage::Work(lo, hi) => {
                    let ticks = ctx.random_range(lo, hi) * self.slow_factor(ctx);
                    ctx.set_timer(Timer::Work(h), ticks);
                    return;
                }
                Stage::Call(to, op) => {
                    self.call(s, h, to, op, ctx);
                    return;
                }
                Stage::FanOut(calls) => {
                    for (to, op) in calls {
                        self.call(s, h, to, op, ctx);
                    }
                    return;
                }
                Stage::Fail(ppm) => {
                    let ppm = if ctx.option("fault") == name(ctx.id()) {
                        FAULT_PPM
                    } else {
                        ppm
                    };
                    if ctx.random_range(1, 1_000_000) <= u64::from(ppm) {
                        if let Some(hd) = s.handlings.get_mut(&h) {
                            hd.failed = true;
                            let span = hd.span.fields.clone();
                            Self::log(s, ctx, &span, Level::Error, "card declined".into());
                        }
                    }
                }
                Stage::Publish => self.publish(s, h, ctx),
            }
        }
    }

    /// Handling `h` is done: end its span and answer the caller.
    fn finish(&self, s: &mut State, h: u64, ctx: &mut Ctx<'_, Self>) {
        let Some(hd) = s.handlings.remove(&h) else {
            return;
        };
        s.served += 1;
        s.failed += u64::from(hd.failed);
        Self::end_span(ctx, hd.span.op, hd.failed);
        if ctx.id() == SHIPPING {
            let text = "shipment booked".to_string();
            Self::log(s, ctx, &hd.span.fields, Level::Info, text);
            return;
        }
        let (level, word) = if hd.failed {
            (Level::Error, "error")
        } else {
            (Level::Info, "ok")
        };
        let text = format!("{} {word} → {}", hd.op.route(), name(hd.from));
        Self::log(s, ctx, &hd.span.fields, level, text);
        ctx.send(
            hd.from,
            Msg::Reply {
                call: hd.call,
                attempt: hd.attempt,
                ok: !hd.failed,
                vc: s.vc.clone(),
            },
        );
    }

    /// Start a call from handling `h` to `to` (its first attempt).
    fn call(&self, s: &mut State, h: u64, to: NodeId, op: Op, ctx: &mut Ctx<'_, Self>) {
        let call = Self::next(s, ctx);
        if let Some(hd) = s.handlings.get_mut(&h) {
            hd.waiting += 1;
        }
        self.attempt(s, h, call, to, op, 1, ctx);
    }

    /// Send attempt `attempt` of `call`: a client span, the header, the timeout.
    #[allow(clippy::too_many_arguments)]
    fn attempt(
        &self,
        s: &mut State,
        h: u64,
        call: u64,
        to: NodeId,
        op: Op,
        attempt: u32,
        ctx: &mut Ctx<'_, Self>,
    ) {
        let Some(hd) = s.handlings.get(&h) else {
            return;
        };
        let (parent, request) = (hd.span.clone(), hd.request);
        let fresh = Self::fresh(ctx);
        let fields = self
            .hooks
            .client_span(&parent.fields, attempt, &fresh)
            .bounded();
        let mut header = self.hooks.inject(&fields);
        super::context::cut(&mut header);
        let span_op = Self::next(s, ctx);
        Self::start_span(
            ctx,
            SpanStart {
                op: span_op,
                cause: Some(parent.op),
                follows: None,
                request,
                kind: SpanKind::Client,
                name: format!("{} {}", name(to), op.route()),
                attempt,
                fields: fields.clone(),
                sent: Some(header.clone()),
                decided_flags: None,
            },
        );
        let text = format!("call {} {} (attempt {attempt})", name(to), op.route());
        Self::log(s, ctx, &fields, Level::Info, text);
        ctx.send(
            to,
            Msg::Call {
                call,
                attempt,
                op,
                traceparent: Some(header),
                vc: s.vc.clone(),
                ghost: Ghost {
                    request,
                    cause: span_op,
                },
            },
        );
        let (timeout, _) = call_policy(to, Self::db_timeout(ctx));
        ctx.set_timer(Timer::Timeout { call, attempt }, timeout);
        s.calls.insert(
            call,
            Pending {
                handling: h,
                to,
                op,
                attempt,
                span: OpenSpan {
                    op: span_op,
                    fields,
                },
            },
        );
    }

    /// Hand the order to the queue in a producer span (no wait for the consumer).
    fn publish(&self, s: &mut State, h: u64, ctx: &mut Ctx<'_, Self>) {
        let Some(hd) = s.handlings.get(&h) else {
            return;
        };
        let (parent, request) = (hd.span.clone(), hd.request);
        let fresh = Self::fresh(ctx);
        let fields = self.hooks.client_span(&parent.fields, 1, &fresh).bounded();
        let mut header = self.hooks.inject(&fields);
        super::context::cut(&mut header);
        let span_op = Self::next(s, ctx);
        Self::start_span(
            ctx,
            SpanStart {
                op: span_op,
                cause: Some(parent.op),
                follows: None,
                request,
                kind: SpanKind::Producer,
                name: "publish orders".into(),
                attempt: 1,
                fields: fields.clone(),
                sent: Some(header.clone()),
                decided_flags: None,
            },
        );
        let text = format!("publish order {request} to queue");
        Self::log(s, ctx, &fields, Level::Info, text);
        ctx.send(
            QUEUE,
            Msg::Publish {
                order: request,
                traceparent: header,
                vc: s.vc.clone(),
                ghost: Ghost {
                    request,
                    cause: span_op,
                },
            },
        );
        Self::end_span(ctx, span_op, false);
    }

    /// An answer to attempt `attempt` of `call`.
    fn answered(&self, s: &mut State, call: u64, attempt: u32, ok: bool, ctx: &mut Ctx<'_, Self>) {
        let Some(p) = s.calls.get(&call) else {
            return;
        };
        if p.attempt != attempt {
            // The answer to an attempt the caller gave up on: the retry's answer counts.
            let span = p.span.fields.clone();
            let text = format!("late answer to attempt {attempt} ignored");
            Self::log(s, ctx, &span, Level::Warn, text);
            return;
        }
        let Some(p) = s.calls.remove(&call) else {
            return;
        };
        ctx.cancel_timer(Timer::Timeout { call, attempt });
        Self::end_span(ctx, p.span.op, !ok);
        let (level, word) = if ok {
            (Level::Info, "ok")
        } else {
            (Level::Error, "error")
        };
        let text = format!("{} {} answered {word}", name(p.to), p.op.route());
        Self::log(s, ctx, &p.span.fields, level, text);
        self.call_done(s, p.handling, ok, ctx);
    }

    fn call_done(&self, s: &mut State, h: u64, ok: bool, ctx: &mut Ctx<'_, Self>) {
        let Some(hd) = s.handlings.get_mut(&h) else {
            return;
        };
        hd.waiting = hd.waiting.saturating_sub(1);
        hd.failed |= !ok;
        if hd.waiting == 0 {
            self.advance(s, h, ctx);
        }
    }

    /// Attempt `attempt` of `call` waited too long: retry, or give up with an error.
    fn timed_out(&self, s: &mut State, call: u64, attempt: u32, ctx: &mut Ctx<'_, Self>) {
        let Some(p) = s.calls.get(&call).filter(|p| p.attempt == attempt).cloned() else {
            return;
        };
        s.timeouts += 1;
        Self::end_span(ctx, p.span.op, true);
        let (_, retries) = call_policy(p.to, Self::db_timeout(ctx));
        if attempt <= retries {
            let text = format!("{} {} timed out, retrying", name(p.to), p.op.route());
            Self::log(s, ctx, &p.span.fields, Level::Warn, text);
            self.attempt(s, p.handling, call, p.to, p.op, attempt + 1, ctx);
        } else {
            s.calls.remove(&call);
            let text = format!("{} {} timed out, giving up", name(p.to), p.op.route());
            Self::log(s, ctx, &p.span.fields, Level::Error, text);
            self.call_done(s, p.handling, false, ctx);
        }
    }

    /// The database gives free connections to the queries waiting longest.
    fn start_queries(s: &mut State, ctx: &mut Ctx<'_, Self>) {
        while s.serving < DB_CONNECTIONS {
            let Some(q) = s.queries.pop_front() else {
                return;
            };
            s.serving += 1;
            ctx.set_timer(Timer::Query(q.handling), q.work_ticks);
        }
    }

    /// The database finished handling `h`'s query.
    fn query_done(&self, s: &mut State, h: u64, ctx: &mut Ctx<'_, Self>) {
        s.serving = s.serving.saturating_sub(1);
        self.finish(s, h, ctx);
        Self::start_queries(s, ctx);
    }

    /// The client sends checkout `request`, with a header of its own if it sends them.
    fn send_checkout(&self, s: &mut State, ctx: &mut Ctx<'_, Self>) {
        if s.open.len() >= CLIENT_OPEN_MAX {
            let text = "checkout refused: too many open".to_string();
            Self::log(s, ctx, &SpanFields::default(), Level::Warn, text);
            return;
        }
        let request = Self::next(s, ctx) & ((1 << 40) - 1);
        let (header, root) = if self.client_headers {
            self.client_header(s, request, ctx)
        } else {
            (None, None)
        };
        let span = root.as_ref().map(|r| r.fields.clone()).unwrap_or_default();
        Self::log(s, ctx, &span, Level::Info, format!("checkout r{request}"));
        ctx.send(
            GATEWAY,
            Msg::Call {
                call: request,
                attempt: 1,
                op: Op::Checkout,
                traceparent: header,
                vc: s.vc.clone(),
                ghost: Ghost {
                    request,
                    cause: root.as_ref().map_or(0, |r| r.op),
                },
            },
        );
        ctx.set_timer(Timer::GiveUp(request), CLIENT_GIVE_UP_TICKS);
        s.open.insert(request, root);
    }

    /// An instrumented client's header, by the request's number in turn: none, its own root
    /// span's (sampled, then not), or a malformed one as a buggy proxy might send (uppercase,
    /// an all-zero trace id, a short trace id, an unknown version). Every
    /// [`CLIENT_HEADER_KINDS`] requests bring each case once.
    fn client_header(
        &self,
        s: &mut State,
        request: u64,
        ctx: &mut Ctx<'_, Self>,
    ) -> (Option<String>, Option<OpenSpan>) {
        let mut fresh = Self::fresh(ctx);
        let (trace, span) = (fresh.trace_hex(), fresh.span_hex());
        s.sent += 1;
        match (s.sent - 1) % CLIENT_HEADER_KINDS {
            0 => (None, None),
            kind @ (1 | 2) => {
                fresh.sampled = kind == 1;
                let fields = super::rules::Reference.server_span(None, &fresh);
                let op = Self::next(s, ctx);
                let header = super::rules::Reference.inject(&fields);
                Self::start_span(
                    ctx,
                    SpanStart {
                        op,
                        cause: None,
                        follows: None,
                        request,
                        kind: SpanKind::Client,
                        name: "browser checkout".into(),
                        attempt: 1,
                        fields: fields.clone(),
                        sent: Some(header.clone()),
                        decided_flags: Some(fields.flags.clone()),
                    },
                );
                (Some(header), Some(OpenSpan { op, fields }))
            }
            3 => (
                Some(format!("00-A{}-{span}-01", trace[1..].to_uppercase())),
                None,
            ),
            4 => (Some(format!("00-{}-{span}-01", "0".repeat(32))), None),
            5 => (Some(format!("00-{}-{span}-01", &trace[..31])), None),
            _ => (Some(format!("ff-{trace}-{span}-01")), None),
        }
    }
}

impl Protocol for Services {
    type Msg = Msg;
    type Timer = Timer;
    type Note = Note;
    type Request = Op;
    type Reply = Done;
    type State = State;
    type Durable = u64;

    fn on_start(&self, restored: Option<&u64>, ctx: &mut Ctx<'_, Self>) -> State {
        let mut s = State {
            vc: Vc::new(ctx.nodes()),
            next: restored.copied().unwrap_or(0),
            ..State::default()
        };
        if ctx.id() == CLIENT && restored.is_none() {
            s.to_send = self.requests;
            if s.to_send > 0 {
                ctx.set_timer(Timer::NextRequest, FIRST_REQUEST_TICKS);
            }
        }
        s
    }

    fn on_message(&self, s: &mut State, from: NodeId, msg: Msg, ctx: &mut Ctx<'_, Self>) {
        s.vc.merge(msg.vc());
        match msg {
            Msg::Call {
                call,
                attempt,
                op,
                traceparent,
                ghost,
                ..
            } => self.serve(s, from, call, attempt, op, traceparent, ghost, ctx),
            Msg::Reply {
                call, attempt, ok, ..
            } if ctx.id() == CLIENT => {
                if let Some(root) = s.open.remove(&call) {
                    ctx.cancel_timer(Timer::GiveUp(call));
                    let span = root.as_ref().map(|r| r.fields.clone()).unwrap_or_default();
                    if let Some(r) = &root {
                        Self::end_span(ctx, r.op, !ok);
                    }
                    let text = format!("r{call} {}", if ok { "ok" } else { "failed" });
                    Self::log(s, ctx, &span, Level::Info, text);
                    ctx.reply(Done { request: call, ok });
                }
                let _ = attempt;
            }
            Msg::Reply {
                call, attempt, ok, ..
            } => self.answered(s, call, attempt, ok, ctx),
            Msg::Publish {
                order,
                traceparent,
                ghost,
                ..
            } => {
                let span = SpanFields::default();
                let text = format!("order {order} queued");
                Self::log(s, ctx, &span, Level::Info, text);
                if s.queued.len() >= QUEUE_HELD_MAX {
                    let text = format!("order {order} dropped: queue full");
                    Self::log(s, ctx, &span, Level::Error, text);
                    return;
                }
                s.queued.insert(order, Queued { traceparent, ghost });
                let ticks = ctx.random_range(QUEUE_HOLD_TICKS.0, QUEUE_HOLD_TICKS.1);
                ctx.set_timer(Timer::Hand(order), ticks);
            }
            Msg::Deliver {
                order,
                traceparent,
                ghost,
                ..
            } => self.consume(s, order, traceparent, ghost, ctx),
        }
    }

    fn on_timer(&self, s: &mut State, timer: Timer, ctx: &mut Ctx<'_, Self>) {
        match timer {
            Timer::NextRequest => {
                if s.to_send > 0 {
                    s.to_send -= 1;
                    self.send_checkout(s, ctx);
                    if s.to_send > 0 {
                        let (lo, hi) = self.spacing_ticks;
                        let ticks = ctx.random_range(lo, hi);
                        ctx.set_timer(Timer::NextRequest, ticks);
                    }
                }
            }
            Timer::Work(h) => self.advance(s, h, ctx),
            Timer::Timeout { call, attempt } => self.timed_out(s, call, attempt, ctx),
            Timer::Query(h) => self.query_done(s, h, ctx),
            Timer::Hand(order) => {
                if let Some(q) = s.queued.remove(&order) {
                    let text = format!("order {order} handed to shipping");
                    Self::log(s, ctx, &SpanFields::default(), Level::Info, text);
                    ctx.send(
                        SHIPPING,
                        Msg::Deliver {
                            order,
                            traceparent: q.traceparent,
                            vc: s.vc.clone(),
                            ghost: q.ghost,
                        },
                    );
                }
            }
            Timer::GiveUp(request) => {
                if let Some(root) = s.open.remove(&request) {
                    if let Some(r) = &root {
                        Self::end_span(ctx, r.op, true);
                    }
                    let span = root.map(|r| r.fields).unwrap_or_default();
                    let text = format!("r{request} gave up");
                    Self::log(s, ctx, &span, Level::Error, text);
                    ctx.reply(Done { request, ok: false });
                }
            }
        }
    }

    fn on_client_request(&self, s: &mut State, _request: Op, ctx: &mut Ctx<'_, Self>) {
        if ctx.id() == CLIENT {
            self.send_checkout(s, ctx);
        }
    }

    fn parse_request(&self, text: &str) -> Result<Op, String> {
        match text {
            "checkout" => Ok(Op::Checkout),
            _ => Err(format!(
                "'{text}' is not a request the client sends (checkout)"
            )),
        }
    }

    fn view(&self, node: NodeId, s: &State) -> NodeView {
        let role = match node {
            CLIENT => "client".to_string(),
            QUEUE => "queue".to_string(),
            DB_PRIMARY => "database primary".to_string(),
            DB_REPLICA => "database replica".to_string(),
            _ => format!("service {}", name(node)),
        };
        let mut v = NodeView::new(role);
        match node {
            CLIENT => {
                v = v
                    .field("open requests", s.open.len())
                    .field("to send", s.to_send);
            }
            QUEUE => v = v.field("held", s.queued.len()),
            DB_PRIMARY | DB_REPLICA => {
                v = v
                    .field("queue length", s.queries.len())
                    .field("connections busy", s.serving)
                    .field("served", s.served)
                    .badge(format!("q{}", s.queries.len()));
            }
            _ => {
                v = v
                    .field("in progress", s.handlings.len())
                    .field("calls waiting", s.calls.len())
                    .field("served", s.served)
                    .field("failed", s.failed)
                    .field("timeouts", s.timeouts);
            }
        }
        v.field("vector clock", &s.vc)
            .field("middleware", self.hooks.name())
    }

    fn message_kinds(&self) -> &'static [MessageKind] {
        &[
            MessageKind {
                name: "Call",
                reply: false,
                meaning: "a call (one attempt) with its traceparent header",
            },
            MessageKind {
                name: "Reply",
                reply: true,
                meaning: "the answer to one attempt: ok or error",
            },
            MessageKind {
                name: "Publish",
                reply: false,
                meaning: "an order handed to the queue, with the producer's traceparent",
            },
            MessageKind {
                name: "Deliver",
                reply: false,
                meaning: "the queue hands the order to shipping",
            },
        ]
    }

    fn options(&self) -> &'static [ProtocolOption] {
        &OPTIONS
    }

    fn panels(
        &self,
        world: &crate::sim::world::WorldRef<'_, Self>,
    ) -> Vec<crate::sim::panel::Panel> {
        super::view::panels(world)
    }
}

impl Services {
    /// A message from the queue: the consumer span follows from the producer's.
    fn consume(
        &self,
        s: &mut State,
        order: u64,
        traceparent: String,
        ghost: Ghost,
        ctx: &mut Ctx<'_, Self>,
    ) {
        if s.handlings.len() >= IN_PROGRESS_MAX {
            let text = format!("order {order} dropped: shipping overloaded");
            Self::log(s, ctx, &SpanFields::default(), Level::Error, text);
            return;
        }
        let fresh = Self::fresh(ctx);
        let fields = self.hooks.consumer_span(&traceparent, &fresh).bounded();
        let span_op = Self::next(s, ctx);
        Self::start_span(
            ctx,
            SpanStart {
                op: span_op,
                cause: None,
                follows: Some(ghost.cause),
                request: ghost.request,
                kind: SpanKind::Consumer,
                name: "ship order".into(),
                attempt: 1,
                fields: fields.clone(),
                sent: None,
                decided_flags: None,
            },
        );
        Self::log(
            s,
            ctx,
            &fields,
            Level::Info,
            format!("shipping order {order}"),
        );
        let h = Self::next(s, ctx);
        s.handlings.insert(
            h,
            Handling {
                from: QUEUE,
                call: order,
                attempt: 1,
                op: Op::Checkout,
                span: OpenSpan {
                    op: span_op,
                    fields,
                },
                request: ghost.request,
                stage: 0,
                waiting: 0,
                failed: false,
            },
        );
        self.advance(s, h, ctx);
    }
}

/// The live options: a slow node, a faulty node, the database call timeout, and which
/// sampler the trace panel shows.
pub static OPTIONS: [ProtocolOption; 4] = [
    ProtocolOption {
        name: "slow",
        label: "Slow node",
        choices: &["none", "inventory", "db-2"],
        default: 0,
        help: "none: every node at its usual speed; inventory or db-2: that node's work takes three times as long.",
    },
    ProtocolOption {
        name: "fault",
        label: "Faulty node",
        choices: &["none", "payments"],
        default: 0,
        help: "none: payments declines 2% of cards; payments: it fails 40% of charges.",
    },
    ProtocolOption {
        name: "timeout",
        label: "DB timeout",
        choices: &["300", "100"],
        default: 0,
        help: "How long a service waits for one database query before it retries (twice at most), in ticks.",
    },
    ProtocolOption {
        name: "sampling",
        label: "Sampling",
        choices: &["head", "tail"],
        default: 0,
        help: "head: keep the traces the gateway sampled when they started (1 in 4); tail: also keep every trace with an error, a retry or a slow root.",
    },
];
