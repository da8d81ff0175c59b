//! Lesson: with several leaders, two datacenters can accept writes to the same key at the same
//! time, and something must decide what survives.
//!
//! Three datacenters each run a leader — n0 `us`, n1 `eu`, n2 `ap` — that accepts writes
//! locally and replicates them asynchronously to the other two, tens of ticks away. Next to
//! each leader is a client (n3 next to us, n4 to eu, n5 to ap) that adds items to one shared
//! shopping cart (`add-book`) or reads it (`read`). An add is a read-modify-write: the client
//! reads the cart from its leader, adds the item and writes the whole cart back with the
//! context it read. How replicas resolve versions is the live option `resolve`:
//!
//! - `lww` — last writer wins. The leader stamps each write with its **wall clock**; every
//!   replica keeps the version with the highest (timestamp, datacenter) and throws the rest
//!   away. Replicas agree, but two concurrent adds keep only one item, and when a
//!   datacenter's clock runs behind, a write made *later in real time* — even one that read
//!   the cart first — loses to an earlier one. The leader acknowledged it all the same:
//!   Kingsbury's "Call me maybe: Riak" (2013) measured exactly this acknowledged-write loss
//!   under Riak's last-write-wins settings. Lamport (1978) is why: physical clocks need not
//!   respect happened-before, so "highest timestamp" is not "latest".
//! - `vectors` — version vectors (Parker et al. 1983, "Detection of mutual inconsistency in
//!   distributed systems"). Each version carries one counter per datacenter; the accepting
//!   leader numbers a write one past its own counter on top of the context the client read.
//!   A replica drops a version another one dominates (it has been seen and built upon) and
//!   keeps concurrent ones side by side as **siblings**. A client that reads siblings merges
//!   them — the union of the carts, as Dynamo's shopping cart does (DeCandia et al. 2007,
//!   §4.4: "an add to cart operation can never be lost") — and writes the merge back with the
//!   join of their vectors, which dominates every sibling and collapses them everywhere.
//!
//! Why the client reads right before it writes: two writes accepted by the same leader differ
//! only in that leader's entry, so a write built on a stale context would seem to dominate a
//! write of this leader it has never seen, and that write would be dropped (the problem
//! dotted version vectors solve, Preguiça et al. 2010). One client per datacenter, which
//! writes right after it reads with no other writer at its leader in between, builds every
//! write on a context that covers all the versions its leader keeps.
//!
//! Replication is anti-entropy on the whole sibling list: a leader sends its siblings to a
//! peer after every change and, every [`GOSSIP_TICKS`], to each peer not known to hold the
//! same list; a peer that ends with a different list answers with its own, one that agrees
//! answers [`Msg::Ack`]. Both rules are semilattice merges, so once messages stop, replicas
//! agree ([`properties`]: `replicas-converge`), and a converged store is quiet.
//!
//! An item is **lost** when a client was told its add succeeded and the item is in no
//! replica's cart and no message on the wire ([`properties`]: `no-lost-updates`): nothing can
//! bring it back. `lww` loses items; `vectors` never does (a dominating version was built on
//! the one it replaces, so its cart contains that cart).

pub mod properties;
pub mod scenarios;
pub mod versions;
pub mod view;

use std::collections::VecDeque;
use std::fmt;

use crate::hash::{Canon, Fnv64};
use crate::sim::protocol::{Ctx, MessageKind, NodeId, NodeView, Protocol, ProtocolOption};
use versions::{
    canon_cart, canon_versions, dc_name, keep, merge_all, merge_siblings, show_cart, show_carts,
    Cart, Kept, Resolve, Stamp, Version, VersionVector, DCS,
};

pub use scenarios::conflicts;

/// Leaders are nodes `0..LEADERS`; client `LEADERS + d` sits next to leader `d`.
pub const LEADERS: u16 = DCS as u16;
/// Ticks between a leader's anti-entropy rounds while a peer may be behind.
pub const GOSSIP_TICKS: u64 = 150;
/// Ticks a client waits for its leader before it gives up on an operation.
pub const OP_TIMEOUT_TICKS: u64 = 200;
/// Requests a client queues behind the one it runs.
pub const CLIENT_QUEUE_MAX: usize = 16;
/// Longest item name, in characters.
pub const ITEM_CHARS_MAX: usize = 8;

/// The live option: how replicas resolve concurrent versions.
pub const OPTIONS: &[ProtocolOption] = &[ProtocolOption {
    name: "resolve",
    label: "Conflicts",
    choices: &["lww", "vectors"],
    default: 0,
    help: "lww: every replica keeps the write with the highest wall-clock timestamp and drops \
           the rest; vectors: versions carry version vectors, concurrent ones are kept as \
           siblings and the next client to read them merges the carts",
}];

/// The multi-leader store (its configuration is the module's constants).
#[derive(Clone, Debug, Default)]
pub struct MultiLeader;

/// A client's request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Request {
    /// Add an item to the cart (`add-book`).
    Add(String),
    /// Read the cart, merging siblings if there are any (`read`).
    Read,
}

impl fmt::Display for Request {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Request::Add(item) => write!(f, "add-{item}"),
            Request::Read => f.write_str("read"),
        }
    }
}

impl Canon for Request {
    fn canon(&self, h: &mut Fnv64) {
        match self {
            Request::Add(item) => {
                h.u8(0);
                h.str(item);
            }
            Request::Read => h.u8(1),
        }
    }
}

/// What a client tells whoever handed it a request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Reply {
    /// The add was acknowledged.
    Added(String),
    /// The cart as read (after the merge, if there were siblings).
    Cart(Cart),
    /// The leader did not answer in time: the outcome is unknown.
    TimedOut,
    /// The client's queue was full; the request was not run.
    Busy,
    /// A leader was handed a request: its datacenter's client takes them.
    NotAClient {
        /// The client to hand it to.
        client: NodeId,
    },
}

impl fmt::Display for Reply {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Reply::Added(item) => write!(f, "added {item}"),
            Reply::Cart(cart) => write!(f, "cart {}", show_cart(cart)),
            Reply::TimedOut => f.write_str("timed out (outcome unknown)"),
            Reply::Busy => f.write_str("busy: queue full"),
            Reply::NotAClient { client } => {
                write!(
                    f,
                    "not run: a leader; hand requests to its client n{client}"
                )
            }
        }
    }
}

impl Canon for Reply {
    fn canon(&self, h: &mut Fnv64) {
        match self {
            Reply::Added(item) => {
                h.u8(0);
                h.str(item);
            }
            Reply::Cart(cart) => {
                h.u8(1);
                canon_cart(cart, h);
            }
            Reply::TimedOut => h.u8(2),
            Reply::Busy => h.u8(3),
            Reply::NotAClient { client } => {
                h.u8(4);
                client.canon(h);
            }
        }
    }
}

/// Messages.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Msg {
    /// Client → its leader: read the cart (operation `op`).
    Get {
        /// The client's operation.
        op: u32,
    },
    /// Leader → client: the versions the rule in force shows (one under `lww`, every sibling
    /// under `vectors`).
    GetOk {
        /// The operation.
        op: u32,
        /// The versions.
        versions: Vec<Version>,
    },
    /// Client → its leader: write this cart, built on `context`.
    Put {
        /// The operation.
        op: u32,
        /// The whole cart.
        cart: Cart,
        /// The join of the vectors the client read.
        context: VersionVector,
    },
    /// Leader → client: the write was accepted as `version`.
    PutOk {
        /// The operation.
        op: u32,
        /// The version the leader made.
        version: Version,
    },
    /// Leader → leader: my siblings (after a change, or as anti-entropy).
    Replicate {
        /// The sender's siblings.
        versions: Vec<Version>,
    },
    /// Leader → leader: I hold these siblings, the same you sent.
    Ack {
        /// The receiver's siblings after the merge.
        versions: Vec<Version>,
    },
}

impl Msg {
    /// Every item the message carries (what could still reach a replica).
    pub fn items(&self) -> Cart {
        match self {
            Msg::GetOk { versions, .. } | Msg::Replicate { versions } | Msg::Ack { versions } => {
                versions
                    .iter()
                    .flat_map(|v| v.cart.iter().cloned())
                    .collect()
            }
            Msg::Put { cart, .. } => cart.clone(),
            // The client only learns that its write was accepted; it builds nothing on it.
            Msg::PutOk { .. } | Msg::Get { .. } => Cart::new(),
        }
    }
}

impl fmt::Display for Msg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Msg::Get { op } => write!(f, "Get{{op:{op}}}"),
            Msg::GetOk { op, versions } => {
                write!(f, "GetOk{{op:{op},{}}}", show_carts(versions))
            }
            Msg::Put { op, cart, context } => {
                write!(f, "Put{{op:{op},{},{}}}", show_cart(cart), context.short())
            }
            Msg::PutOk { op, version } => write!(f, "PutOk{{op:{op},{}}}", version.stamp),
            Msg::Replicate { versions } => write!(f, "Replicate{{{}}}", show_carts(versions)),
            Msg::Ack { versions } => write!(f, "Ack{{{}}}", show_carts(versions)),
        }
    }
}

impl Canon for Msg {
    fn canon(&self, h: &mut Fnv64) {
        match self {
            Msg::Get { op } => {
                h.u8(0);
                h.u32(*op);
            }
            Msg::GetOk { op, versions } => {
                h.u8(1);
                h.u32(*op);
                canon_versions(versions, h);
            }
            Msg::Put { op, cart, context } => {
                h.u8(2);
                h.u32(*op);
                canon_cart(cart, h);
                for n in context.0 {
                    h.u32(n);
                }
            }
            Msg::PutOk { op, version } => {
                h.u8(3);
                h.u32(*op);
                version.canon(h);
            }
            Msg::Replicate { versions } => {
                h.u8(4);
                canon_versions(versions, h);
            }
            Msg::Ack { versions } => {
                h.u8(5);
                canon_versions(versions, h);
            }
        }
    }
}

/// Timers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Timer {
    /// Client: give up on operation `op`.
    GiveUp(u32),
    /// Leader: an anti-entropy round.
    Gossip,
}

impl fmt::Display for Timer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Timer::GiveUp(op) => write!(f, "give-up(op:{op})"),
            Timer::Gossip => f.write_str("gossip"),
        }
    }
}

impl Canon for Timer {
    fn canon(&self, h: &mut Fnv64) {
        match self {
            Timer::GiveUp(op) => {
                h.u8(0);
                h.u32(*op);
            }
            Timer::Gossip => h.u8(1),
        }
    }
}

/// Trace notes: the leaders' decisions, and (observed) what clients were told.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Note {
    /// A leader accepted a write as `version`.
    Wrote {
        /// The new version.
        version: Version,
    },
    /// A replica threw `version` away under `rule`.
    Dropped {
        /// The version thrown away.
        version: Version,
        /// The rule that decided.
        rule: Resolve,
    },
    /// A client invoked operation `op` (observed).
    Invoke {
        /// The client's operation.
        op: u32,
        /// What it does.
        request: Request,
    },
    /// A client read `siblings` versions and merged them into `cart` (observed).
    Merged {
        /// The operation.
        op: u32,
        /// How many siblings it merged.
        siblings: u32,
        /// The merged cart.
        cart: Cart,
    },
    /// A client's add of `item` was acknowledged (observed).
    Acked {
        /// The operation.
        op: u32,
        /// The item.
        item: String,
    },
    /// A client's read returned `cart` (observed).
    Read {
        /// The operation.
        op: u32,
        /// The cart.
        cart: Cart,
    },
    /// A client gave up on operation `op`: its outcome is unknown (observed).
    GaveUp {
        /// The operation.
        op: u32,
    },
}

impl fmt::Display for Note {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Note::Wrote { version } => write!(f, "accept {version}"),
            Note::Dropped {
                version,
                rule: Resolve::Lww,
            } => write!(
                f,
                "lww drops {} {} (older timestamp)",
                show_cart(&version.cart),
                version.stamp
            ),
            Note::Dropped {
                version,
                rule: Resolve::Vectors,
            } => write!(
                f,
                "drops {} {} (dominated)",
                show_cart(&version.cart),
                version.vv
            ),
            Note::Invoke { op, request } => write!(f, "invoke op {op}: {request}"),
            Note::Merged { op, siblings, cart } => {
                write!(
                    f,
                    "op {op}: merge {siblings} siblings into {}",
                    show_cart(cart)
                )
            }
            Note::Acked { op, item } => write!(f, "op {op}: add {item} acknowledged"),
            Note::Read { op, cart } => write!(f, "op {op}: read {}", show_cart(cart)),
            Note::GaveUp { op } => write!(f, "op {op}: give up (outcome unknown)"),
        }
    }
}

impl Canon for Note {
    fn canon(&self, h: &mut Fnv64) {
        match self {
            Note::Wrote { version } => {
                h.u8(0);
                version.canon(h);
            }
            Note::Dropped { version, rule } => {
                h.u8(1);
                version.canon(h);
                h.u8(u8::from(*rule == Resolve::Vectors));
            }
            Note::Invoke { op, request } => {
                h.u8(2);
                h.u32(*op);
                request.canon(h);
            }
            Note::Merged { op, siblings, cart } => {
                h.u8(3);
                h.u32(*op);
                h.u32(*siblings);
                canon_cart(cart, h);
            }
            Note::Acked { op, item } => {
                h.u8(4);
                h.u32(*op);
                h.str(item);
            }
            Note::Read { op, cart } => {
                h.u8(5);
                h.u32(*op);
                canon_cart(cart, h);
            }
            Note::GaveUp { op } => {
                h.u8(6);
                h.u32(*op);
            }
        }
    }
}

/// A leader's state.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LeaderState {
    /// The cart's versions this replica keeps (one under `lww`), in [`Version`] order.
    pub siblings: Vec<Version>,
    /// Writes this leader has accepted (its own vector entry in its newest write).
    pub counter: u32,
    /// Per leader, the siblings it last said it holds (`None`: not known, e.g. after a
    /// restart); anti-entropy goes to peers whose list differs from ours.
    pub known: Vec<Option<Vec<Version>>>,
    /// Whether the gossip timer is armed (it is while a peer may be behind).
    pub gossip_armed: bool,
}

/// The operation a client runs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Running {
    /// Its number.
    pub op: u32,
    /// What it does.
    pub request: Request,
    /// The cart it wrote, once it has sent its write.
    pub wrote: Option<Cart>,
}

/// A client's state.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ClientState {
    /// Operations started so far (persisted: a restarted client never reuses a number).
    pub ops: u32,
    /// The operation in progress.
    pub running: Option<Running>,
    /// Requests waiting their turn.
    pub queue: VecDeque<Request>,
}

/// A node's state.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum State {
    /// n0..n2.
    Leader(LeaderState),
    /// n3..n5.
    Client(ClientState),
}

/// What survives a crash.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Durable {
    /// A leader's siblings and counter.
    Leader(Vec<Version>, u32),
    /// A client's operation count.
    Client(u32),
}

/// The leader next to client `node`.
pub fn home(node: NodeId) -> NodeId {
    node.saturating_sub(LEADERS) % LEADERS
}

/// Whether `node` is a leader.
pub fn is_leader(node: NodeId) -> bool {
    node < LEADERS
}

/// Parses `add-<item>` or `read`.
pub fn parse_request(text: &str) -> Result<Request, String> {
    if text == "read" {
        return Ok(Request::Read);
    }
    let item = text
        .strip_prefix("add-")
        .ok_or_else(|| format!("'{text}' is not add-<item> or read"))?;
    if item.is_empty()
        || item.len() > ITEM_CHARS_MAX
        || !item.bytes().all(|b| b.is_ascii_lowercase())
    {
        return Err(format!(
            "'{item}' is not an item: 1 to {ITEM_CHARS_MAX} lowercase letters, e.g. add-book"
        ));
    }
    Ok(Request::Add(item.to_string()))
}

impl MultiLeader {
    fn rule(ctx: &Ctx<'_, Self>) -> Resolve {
        match ctx.option("resolve") {
            "vectors" => Resolve::Vectors,
            _ => Resolve::Lww,
        }
    }

    /// The versions a read shows: the one winner under `lww`, every sibling under `vectors`.
    fn visible(rule: Resolve, siblings: &[Version]) -> Vec<Version> {
        match rule {
            Resolve::Lww => siblings.iter().max().cloned().into_iter().collect(),
            Resolve::Vectors => siblings.to_vec(),
        }
    }

    // ---- clients ----

    fn start_next(c: &mut ClientState, ctx: &mut Ctx<'_, Self>) {
        if c.running.is_some() {
            return;
        }
        let Some(request) = c.queue.pop_front() else {
            return;
        };
        let op = c.ops;
        c.ops += 1;
        ctx.persist(Durable::Client(c.ops));
        ctx.observe(Note::Invoke {
            op,
            request: request.clone(),
        });
        ctx.send(home(ctx.id()), Msg::Get { op });
        ctx.set_timer(Timer::GiveUp(op), OP_TIMEOUT_TICKS);
        c.running = Some(Running {
            op,
            request,
            wrote: None,
        });
    }

    fn finish(c: &mut ClientState, note: Note, reply: Reply, ctx: &mut Ctx<'_, Self>) {
        if let Some(r) = c.running.take() {
            ctx.cancel_timer(Timer::GiveUp(r.op));
        }
        ctx.observe(note);
        ctx.reply(reply);
        Self::start_next(c, ctx);
    }

    /// The read half of an operation: merge siblings, then write (an add always; a read only
    /// to collapse siblings).
    fn on_read(c: &mut ClientState, op: u32, versions: &[Version], ctx: &mut Ctx<'_, Self>) {
        let Some(request) = c.running.as_ref().map(|r| r.request.clone()) else {
            return;
        };
        let (mut cart, context) = merge_siblings(versions);
        if versions.len() > 1 {
            ctx.observe(Note::Merged {
                op,
                siblings: versions.len() as u32,
                cart: cart.clone(),
            });
        }
        match request {
            Request::Add(item) => {
                cart.insert(item);
            }
            Request::Read if versions.len() <= 1 => {
                let note = Note::Read {
                    op,
                    cart: cart.clone(),
                };
                Self::finish(c, note, Reply::Cart(cart), ctx);
                return;
            }
            Request::Read => {}
        }
        if let Some(running) = c.running.as_mut() {
            running.wrote = Some(cart.clone());
        }
        ctx.send(home(ctx.id()), Msg::Put { op, cart, context });
    }

    fn on_written(c: &mut ClientState, op: u32, ctx: &mut Ctx<'_, Self>) {
        let Some(running) = c.running.as_ref() else {
            return;
        };
        let (note, reply) = match (&running.request, &running.wrote) {
            (Request::Add(item), _) => (
                Note::Acked {
                    op,
                    item: item.clone(),
                },
                Reply::Added(item.clone()),
            ),
            (Request::Read, wrote) => {
                let cart = wrote.clone().unwrap_or_default();
                (
                    Note::Read {
                        op,
                        cart: cart.clone(),
                    },
                    Reply::Cart(cart),
                )
            }
        };
        Self::finish(c, note, reply, ctx);
    }

    fn client_message(c: &mut ClientState, msg: Msg, ctx: &mut Ctx<'_, Self>) {
        let Some(running) = c.running.as_ref() else {
            return;
        };
        match msg {
            Msg::GetOk { op, versions } if op == running.op && running.wrote.is_none() => {
                Self::on_read(c, op, &versions, ctx);
            }
            Msg::PutOk { op, .. } if op == running.op && running.wrote.is_some() => {
                Self::on_written(c, op, ctx);
            }
            _ => {}
        }
    }

    // ---- leaders ----

    /// Adopts `kept` (noting what went); if the siblings changed, persists them and arms
    /// anti-entropy. Whether they changed.
    fn adopt(r: &mut LeaderState, kept: Kept, rule: Resolve, ctx: &mut Ctx<'_, Self>) -> bool {
        for version in kept.dropped {
            ctx.note(Note::Dropped { version, rule });
        }
        if kept.siblings == r.siblings {
            return false;
        }
        r.siblings = kept.siblings;
        Self::persist(r, ctx);
        Self::arm_gossip(r, ctx);
        true
    }

    fn persist(r: &LeaderState, ctx: &mut Ctx<'_, Self>) {
        ctx.persist(Durable::Leader(r.siblings.clone(), r.counter));
    }

    /// Arms the gossip timer unless it is armed (re-arming would postpone it).
    fn arm_gossip(r: &mut LeaderState, ctx: &mut Ctx<'_, Self>) {
        if !r.gossip_armed {
            r.gossip_armed = true;
            ctx.set_timer(Timer::Gossip, GOSSIP_TICKS);
        }
    }

    fn replicate(r: &LeaderState, ctx: &mut Ctx<'_, Self>) {
        let me = ctx.id();
        for to in (0..LEADERS).filter(|&p| p != me) {
            ctx.send(
                to,
                Msg::Replicate {
                    versions: r.siblings.clone(),
                },
            );
        }
    }

    fn accept_put(
        r: &mut LeaderState,
        from: NodeId,
        op: u32,
        cart: Cart,
        context: VersionVector,
        ctx: &mut Ctx<'_, Self>,
    ) {
        let rule = Self::rule(ctx);
        let me = ctx.id();
        r.counter += 1;
        let version = Version {
            stamp: Stamp {
                wall: ctx.now(),
                dc: me,
            },
            vv: context.with(me, r.counter),
            cart,
        };
        ctx.note(Note::Wrote {
            version: version.clone(),
        });
        // The counter moved even if lww drops the write at once.
        Self::persist(r, ctx);
        let kept = keep(rule, &r.siblings, &version);
        if Self::adopt(r, kept, rule, ctx) {
            Self::replicate(r, ctx);
        }
        ctx.send(from, Msg::PutOk { op, version });
    }

    fn leader_message(r: &mut LeaderState, from: NodeId, msg: Msg, ctx: &mut Ctx<'_, Self>) {
        match msg {
            Msg::Get { op } => {
                let versions = Self::visible(Self::rule(ctx), &r.siblings);
                ctx.send(from, Msg::GetOk { op, versions });
            }
            Msg::Put { op, cart, context } => {
                Self::accept_put(r, from, op, cart, context, ctx);
            }
            Msg::Replicate { versions } => {
                let rule = Self::rule(ctx);
                let kept = merge_all(rule, &r.siblings, &versions);
                Self::adopt(r, kept, rule, ctx);
                let mine = r.siblings.clone();
                if mine == versions {
                    ctx.send(from, Msg::Ack { versions: mine });
                } else {
                    // The sender lacks something this replica holds.
                    ctx.send(from, Msg::Replicate { versions: mine });
                }
                Self::learn(r, from, versions);
            }
            Msg::Ack { versions } => {
                let rule = Self::rule(ctx);
                let kept = merge_all(rule, &r.siblings, &versions);
                Self::adopt(r, kept, rule, ctx);
                Self::learn(r, from, versions);
            }
            Msg::GetOk { .. } | Msg::PutOk { .. } => {}
        }
    }

    fn learn(r: &mut LeaderState, peer: NodeId, versions: Vec<Version>) {
        if let Some(k) = r.known.get_mut(usize::from(peer)) {
            *k = Some(versions);
        }
    }

    fn gossip(r: &mut LeaderState, ctx: &mut Ctx<'_, Self>) {
        r.gossip_armed = false;
        let me = ctx.id();
        let behind: Vec<NodeId> = (0..LEADERS)
            .filter(|&p| p != me)
            .filter(|&p| {
                r.known.get(usize::from(p)).and_then(|k| k.as_deref())
                    != Some(r.siblings.as_slice())
            })
            .collect();
        for &to in &behind {
            ctx.send(
                to,
                Msg::Replicate {
                    versions: r.siblings.clone(),
                },
            );
        }
        if !behind.is_empty() {
            Self::arm_gossip(r, ctx);
        }
    }
}

impl Protocol for MultiLeader {
    type Msg = Msg;
    type Timer = Timer;
    type Note = Note;
    type Request = Request;
    type Reply = Reply;
    type State = State;
    type Durable = Durable;

    fn options(&self) -> &'static [ProtocolOption] {
        OPTIONS
    }

    fn on_start(&self, restored: Option<&Durable>, ctx: &mut Ctx<'_, Self>) -> State {
        if !is_leader(ctx.id()) {
            let ops = match restored {
                Some(Durable::Client(ops)) => *ops,
                _ => 0,
            };
            return State::Client(ClientState {
                ops,
                ..ClientState::default()
            });
        }
        let (siblings, counter) = match restored {
            Some(Durable::Leader(s, c)) => (s.clone(), *c),
            _ => (Vec::new(), 0),
        };
        let mut r = LeaderState {
            siblings,
            counter,
            known: vec![None; usize::from(LEADERS)],
            gossip_armed: false,
        };
        if !r.siblings.is_empty() {
            // After a restart: tell the others what survived, and learn what they hold.
            Self::arm_gossip(&mut r, ctx);
        }
        State::Leader(r)
    }

    fn on_message(&self, state: &mut State, from: NodeId, msg: Msg, ctx: &mut Ctx<'_, Self>) {
        match state {
            State::Leader(r) => Self::leader_message(r, from, msg, ctx),
            State::Client(c) => Self::client_message(c, msg, ctx),
        }
    }

    fn on_timer(&self, state: &mut State, timer: Timer, ctx: &mut Ctx<'_, Self>) {
        match (state, timer) {
            (State::Leader(r), Timer::Gossip) => Self::gossip(r, ctx),
            (State::Client(c), Timer::GiveUp(op))
                if c.running.as_ref().is_some_and(|r| r.op == op) =>
            {
                Self::finish(c, Note::GaveUp { op }, Reply::TimedOut, ctx);
            }
            _ => {}
        }
    }

    fn on_client_request(&self, state: &mut State, request: Request, ctx: &mut Ctx<'_, Self>) {
        let State::Client(c) = state else {
            let client = ctx.id() + LEADERS;
            ctx.reply(Reply::NotAClient { client });
            return;
        };
        if c.queue.len() >= CLIENT_QUEUE_MAX {
            ctx.reply(Reply::Busy);
            return;
        }
        c.queue.push_back(request);
        Self::start_next(c, ctx);
    }

    fn parse_request(&self, text: &str) -> Result<Request, String> {
        parse_request(text)
    }

    fn message_kinds(&self) -> &'static [MessageKind] {
        &[
            MessageKind {
                name: "Get",
                reply: false,
                meaning: "a client reads its cart",
            },
            MessageKind {
                name: "GetOk",
                reply: true,
                meaning: "the versions the replica holds",
            },
            MessageKind {
                name: "Put",
                reply: false,
                meaning: "a client writes a cart, with the context it read",
            },
            MessageKind {
                name: "PutOk",
                reply: true,
                meaning: "the write is stored, with its version",
            },
            MessageKind {
                name: "Replicate",
                reply: false,
                meaning: "a leader ships its versions to another data centre",
            },
            MessageKind {
                name: "Ack",
                reply: true,
                meaning: "the other leader holds them",
            },
        ]
    }
    fn view(&self, node: NodeId, state: &State) -> NodeView {
        view::node_view(node, state)
    }

    fn panels(
        &self,
        world: &crate::sim::world::WorldRef<'_, Self>,
    ) -> Vec<crate::sim::panel::Panel> {
        view::panels(world)
    }
}

/// The name of client `node`'s datacenter, e.g. `eu` for n4.
pub fn client_dc(node: NodeId) -> String {
    dc_name(home(node))
}

#[cfg(test)]
mod tests;
