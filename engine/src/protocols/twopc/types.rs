//! The bank's accounts and transfers, the write-ahead log's records, the messages, timers and
//! notes of two-phase commit, and each node's state (volatile and durable).

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::fmt;

use crate::hash::{Canon, Fnv64};
use crate::sim::protocol::NodeId;

/// A transaction's number: `t3` is 3. Numbers are never reused (the coordinator keeps the next
/// one on disk).
pub type TxId = u32;

/// The coordinator's node id.
pub const COORDINATOR: NodeId = 0;
/// Participants are nodes `1..=PARTICIPANTS`.
pub const PARTICIPANTS: u16 = 3;
/// Accounts each participant owns.
pub const ACCOUNTS_PER_PARTICIPANT: u8 = 2;
/// Every account's balance at the start.
pub const OPENING_BALANCE: i64 = 100;
/// The bank's total: what every committed state must add up to.
pub const TOTAL: i64 = OPENING_BALANCE * PARTICIPANTS as i64 * ACCOUNTS_PER_PARTICIPANT as i64;

/// Whether node `n` is a participant.
pub fn is_participant(n: NodeId) -> bool {
    (1..=PARTICIPANTS).contains(&n)
}

/// An account: participant n1 owns `a1`, `a2`; n2 owns `b1`, `b2`; n3 owns `c1`, `c2`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Account {
    /// The participant that owns it.
    pub owner: NodeId,
    /// Its number at the owner, from 1.
    pub number: u8,
}

impl Account {
    /// Account `number` (from 1) of participant `owner`.
    pub const fn new(owner: NodeId, number: u8) -> Account {
        Account { owner, number }
    }

    /// Parses `a1` … `c2`.
    pub fn parse(text: &str) -> Result<Account, String> {
        let b = text.as_bytes();
        let bad =
            || format!("'{text}' is no account (n1 owns a1, a2; n2 owns b1, b2; n3 owns c1, c2)");
        if b.len() != 2 {
            return Err(bad());
        }
        let owner = u16::from(b[0].wrapping_sub(b'a')) + 1;
        let number = b[1].wrapping_sub(b'0');
        if !is_participant(owner) || !(1..=ACCOUNTS_PER_PARTICIPANT).contains(&number) {
            return Err(bad());
        }
        Ok(Account { owner, number })
    }

    /// Its index in the owner's balances.
    pub fn slot(self) -> usize {
        usize::from(self.number - 1)
    }
}

impl fmt::Display for Account {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let letter = char::from(b'a' + (self.owner.saturating_sub(1) % 26) as u8);
        write!(f, "{letter}{}", self.number)
    }
}

impl Canon for Account {
    fn canon(&self, h: &mut Fnv64) {
        h.u64(u64::from(self.owner));
        h.u8(self.number);
    }
}

/// One participant's part of a transaction: add `delta` to `account` (a debit is negative).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Op {
    /// The account.
    pub account: Account,
    /// The change to its balance.
    pub delta: i64,
}

impl fmt::Display for Op {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{:+}", self.account, self.delta)
    }
}

impl Canon for Op {
    fn canon(&self, h: &mut Fnv64) {
        self.account.canon(h);
        self.delta.canon(h);
    }
}

/// `a1-30 b2+30`.
pub fn ops_text(ops: &[Op]) -> String {
    let parts: Vec<String> = ops.iter().map(ToString::to_string).collect();
    parts.join(" ")
}

/// A transfer: move `amount` from one account to another, on two different participants.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Transfer {
    /// The account debited.
    pub from: Account,
    /// The account credited.
    pub to: Account,
    /// How much, above zero.
    pub amount: i64,
}

impl Transfer {
    /// `amount` from `from` to `to`.
    pub const fn new(from: Account, to: Account, amount: i64) -> Transfer {
        Transfer { from, to, amount }
    }

    /// Parses a request `a1-b2-30`: 30 from a1 to b2.
    pub fn parse(text: &str) -> Result<Transfer, String> {
        let parts: Vec<&str> = text.split('-').collect();
        let [from, to, amount] = parts[..] else {
            return Err(format!(
                "'{text}': a transfer is FROM-TO-AMOUNT, e.g. a1-b2-30"
            ));
        };
        let (from, to) = (Account::parse(from)?, Account::parse(to)?);
        let amount: i64 = amount
            .parse()
            .ok()
            .filter(|a| (1..=1_000).contains(a))
            .ok_or_else(|| format!("'{amount}': the amount is a whole number in 1..=1000"))?;
        if from.owner == to.owner {
            return Err(format!(
                "{from} and {to} are both n{}'s: a distributed transfer spans two participants",
                from.owner
            ));
        }
        Ok(Transfer { from, to, amount })
    }

    /// The participants it involves, in id order.
    pub fn participants(&self) -> Vec<NodeId> {
        let mut p = vec![self.from.owner, self.to.owner];
        p.sort_unstable();
        p.dedup();
        p
    }

    /// Participant `p`'s ops.
    pub fn ops_at(&self, p: NodeId) -> Vec<Op> {
        let mut ops = Vec::new();
        if self.from.owner == p {
            ops.push(Op {
                account: self.from,
                delta: -self.amount,
            });
        }
        if self.to.owner == p {
            ops.push(Op {
                account: self.to,
                delta: self.amount,
            });
        }
        ops
    }
}

impl fmt::Display for Transfer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}→{} {}", self.from, self.to, self.amount)
    }
}

impl Canon for Transfer {
    fn canon(&self, h: &mut Fnv64) {
        self.from.canon(h);
        self.to.canon(h);
        self.amount.canon(h);
    }
}

/// A participant's vote.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Vote {
    /// Prepared: it can commit, and has promised to.
    Yes,
    /// It cannot commit (and has aborted).
    No,
}

impl fmt::Display for Vote {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Vote::Yes => "YES",
            Vote::No => "NO",
        })
    }
}

/// A transaction's outcome.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Outcome {
    /// Every participant applies its ops.
    Commit,
    /// No participant applies anything.
    Abort,
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Outcome::Commit => "COMMIT",
            Outcome::Abort => "ABORT",
        })
    }
}

impl Canon for Outcome {
    fn canon(&self, h: &mut Fnv64) {
        h.u8(match self {
            Outcome::Commit => 0,
            Outcome::Abort => 1,
        });
    }
}

/// One record of a node's write-ahead log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Record {
    /// Participant: it has validated and locked `ops` and votes YES; from here on it may not
    /// abort on its own.
    Prepared {
        /// The transaction.
        tx: TxId,
        /// Its ops at this participant.
        ops: Vec<Op>,
    },
    /// The decision (at the coordinator, with the participants to tell) or the outcome learnt
    /// (at a participant, with no participants).
    Decision {
        /// The transaction.
        tx: TxId,
        /// COMMIT or ABORT.
        outcome: Outcome,
        /// Coordinator: the participants to tell.
        participants: Vec<NodeId>,
    },
    /// Coordinator: every participant acknowledged the decision; the transaction is forgotten.
    End {
        /// The transaction.
        tx: TxId,
    },
}

impl Record {
    /// The transaction it is about.
    pub fn tx(&self) -> TxId {
        match self {
            Record::Prepared { tx, .. } | Record::Decision { tx, .. } | Record::End { tx } => *tx,
        }
    }
}

impl fmt::Display for Record {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Record::Prepared { tx, .. } => write!(f, "PREPARED t{tx}"),
            Record::Decision { tx, outcome, .. } => write!(f, "{outcome} t{tx}"),
            Record::End { tx } => write!(f, "END t{tx}"),
        }
    }
}

impl Canon for Record {
    fn canon(&self, h: &mut Fnv64) {
        match self {
            Record::Prepared { tx, ops } => {
                h.u8(0);
                h.u32(*tx);
                h.u64(ops.len() as u64);
                ops.iter().for_each(|o| o.canon(h));
            }
            Record::Decision {
                tx,
                outcome,
                participants,
            } => {
                h.u8(1);
                h.u32(*tx);
                outcome.canon(h);
                h.u64(participants.len() as u64);
                participants.iter().for_each(|p| h.u64(u64::from(*p)));
            }
            Record::End { tx } => {
                h.u8(2);
                h.u32(*tx);
            }
        }
    }
}

/// Messages (the names of Gray's and Bernstein et al.'s presentations).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Msg {
    /// Coordinator → participant: can you commit these ops?
    Prepare {
        /// The transaction.
        tx: TxId,
        /// The participant's ops.
        ops: Vec<Op>,
    },
    /// Participant → coordinator: its vote.
    Vote {
        /// The transaction.
        tx: TxId,
        /// YES or NO.
        vote: Vote,
    },
    /// Coordinator → participant: the outcome (a decision, a resend, or an answer to an
    /// inquiry).
    Decision {
        /// The transaction.
        tx: TxId,
        /// COMMIT or ABORT.
        outcome: Outcome,
    },
    /// Participant → coordinator: it has logged the outcome.
    Ack {
        /// The transaction.
        tx: TxId,
    },
    /// In-doubt participant → coordinator: what became of this transaction?
    Inquire {
        /// The transaction.
        tx: TxId,
    },
}

impl fmt::Display for Msg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Msg::Prepare { tx, ops } => write!(f, "PREPARE{{t{tx},{}}}", ops_text(ops)),
            Msg::Vote { tx, vote } => write!(f, "VOTE{{t{tx},{vote}}}"),
            Msg::Decision { tx, outcome } => write!(f, "{outcome}{{t{tx}}}"),
            Msg::Ack { tx } => write!(f, "ACK{{t{tx}}}"),
            Msg::Inquire { tx } => write!(f, "INQUIRE{{t{tx}}}"),
        }
    }
}

impl Canon for Msg {
    fn canon(&self, h: &mut Fnv64) {
        match self {
            Msg::Prepare { tx, ops } => {
                h.u8(0);
                h.u32(*tx);
                h.u64(ops.len() as u64);
                ops.iter().for_each(|o| o.canon(h));
            }
            Msg::Vote { tx, vote } => {
                h.u8(1);
                h.u32(*tx);
                h.u8(u8::from(*vote == Vote::Yes));
            }
            Msg::Decision { tx, outcome } => {
                h.u8(2);
                h.u32(*tx);
                outcome.canon(h);
            }
            Msg::Ack { tx } => {
                h.u8(3);
                h.u32(*tx);
            }
            Msg::Inquire { tx } => {
                h.u8(4);
                h.u32(*tx);
            }
        }
    }
}

/// Timers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Timer {
    /// Coordinator: start the next transfer of the workload.
    NextTransfer,
    /// Coordinator: the votes of this transaction are late; abort it.
    Votes(TxId),
    /// Coordinator: not every participant has acknowledged the decision; send it again.
    Resend(TxId),
    /// Participant: still in doubt about this transaction; ask again.
    InDoubt(TxId),
    /// The log record being forced has reached the disk.
    Disk,
}

impl fmt::Display for Timer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Timer::NextTransfer => f.write_str("next-transfer"),
            Timer::Votes(tx) => write!(f, "votes t{tx}"),
            Timer::Resend(tx) => write!(f, "resend t{tx}"),
            Timer::InDoubt(tx) => write!(f, "in-doubt t{tx}"),
            Timer::Disk => f.write_str("disk"),
        }
    }
}

impl Canon for Timer {
    fn canon(&self, h: &mut Fnv64) {
        match self {
            Timer::NextTransfer => h.u8(0),
            Timer::Votes(tx) => {
                h.u8(1);
                h.u32(*tx);
            }
            Timer::Resend(tx) => {
                h.u8(2);
                h.u32(*tx);
            }
            Timer::InDoubt(tx) => {
                h.u8(3);
                h.u32(*tx);
            }
            Timer::Disk => h.u8(4),
        }
    }
}

/// Trace notes: what each node did, which the properties judge.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Note {
    /// Coordinator: started transaction `tx` for `transfer`.
    Begin {
        /// The transaction.
        tx: TxId,
        /// What it moves.
        transfer: Transfer,
    },
    /// Participant: sent its vote.
    Voted {
        /// The transaction.
        tx: TxId,
        /// YES or NO.
        vote: Vote,
    },
    /// A node decided the outcome: the coordinator once its decision record is on disk (the
    /// commit point), a participant once its outcome record is (or when it votes NO).
    Decided {
        /// The transaction.
        tx: TxId,
        /// COMMIT or ABORT.
        outcome: Outcome,
    },
    /// A record reached the node's log on disk.
    Logged {
        /// The record.
        record: Record,
    },
    /// A restarted node read its log: the transactions it must finish.
    Recovered {
        /// Coordinator: decisions to send again; participant: transactions in doubt.
        txs: Vec<TxId>,
    },
    /// A participant was told to commit a transaction it has no record of.
    Unknown {
        /// The transaction.
        tx: TxId,
    },
}

impl fmt::Display for Note {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Note::Begin { tx, transfer } => write!(f, "begin t{tx}: {transfer}"),
            Note::Voted { tx, vote } => write!(f, "votes {vote} on t{tx}"),
            Note::Decided { tx, outcome } => write!(f, "decides {outcome} t{tx}"),
            Note::Logged { record } => write!(f, "logged {record}"),
            Note::Recovered { txs } => {
                let names: Vec<String> = txs.iter().map(|t| format!("t{t}")).collect();
                if names.is_empty() {
                    f.write_str("recovers: nothing to finish")
                } else {
                    write!(f, "recovers: {}", names.join(", "))
                }
            }
            Note::Unknown { tx } => write!(f, "told to commit t{tx}, of which it has no record"),
        }
    }
}

impl Canon for Note {
    fn canon(&self, h: &mut Fnv64) {
        match self {
            Note::Begin { tx, transfer } => {
                h.u8(0);
                h.u32(*tx);
                transfer.canon(h);
            }
            Note::Voted { tx, vote } => {
                h.u8(1);
                h.u32(*tx);
                h.u8(u8::from(*vote == Vote::Yes));
            }
            Note::Decided { tx, outcome } => {
                h.u8(2);
                h.u32(*tx);
                outcome.canon(h);
            }
            Note::Logged { record } => {
                h.u8(3);
                record.canon(h);
            }
            Note::Recovered { txs } => {
                h.u8(4);
                h.u64(txs.len() as u64);
                txs.iter().for_each(|t| h.u32(*t));
            }
            Note::Unknown { tx } => {
                h.u8(5);
                h.u32(*tx);
            }
        }
    }
}

/// One step of what a node does about a transaction, in order: the hooks return these, and
/// the order is the point. A [`Step::Log`] is a forced write: the steps after it wait until
/// the record is on disk ([`super::LOG_FORCE_TICKS`] later), so a crash in between loses the
/// record and the steps after it, but not what was sent before it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Step {
    /// Force this record to the log.
    Log(Record),
    /// Send this message.
    Send(NodeId, Msg),
}

impl fmt::Display for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Step::Log(r) => write!(f, "log {r}"),
            Step::Send(to, m) => write!(f, "send {m} to n{to}"),
        }
    }
}

/// Where a coordinator's transaction is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Phase {
    /// PREPARE sent; votes so far.
    Collecting,
    /// Decided; the decision is being carried out (its record forced, then sent).
    Deciding(Outcome),
    /// The decision is on disk and sent; waiting for every ACK.
    Announced(Outcome),
    /// Every participant acknowledged (END logged or being logged).
    Ended(Outcome),
}

/// A transaction at the coordinator.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CoordTx {
    /// What it moves (unknown for a transaction recovered from the log).
    pub transfer: Option<Transfer>,
    /// The participants.
    pub participants: Vec<NodeId>,
    /// Their votes so far.
    pub votes: BTreeMap<NodeId, Vote>,
    /// The participants that acknowledged the decision.
    pub acks: BTreeSet<NodeId>,
    /// Where it is.
    pub phase: Phase,
    /// The coordinator's clock when it started (or was recovered).
    pub since: u64,
}

/// The coordinator's volatile state.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Coordinator {
    /// What is on its disk (a copy: the durable state is what it last persisted).
    pub disk: CoordinatorDisk,
    /// Transactions it knows.
    pub txs: BTreeMap<TxId, CoordTx>,
    /// Transfers requested by hand, waiting for the next slot.
    pub requested: VecDeque<Transfer>,
    /// Steps waiting for the disk, in order.
    pub queue: VecDeque<Step>,
    /// Whether a forced write is under way (the front of `queue`).
    pub writing: bool,
}

/// The coordinator's durable state.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct CoordinatorDisk {
    /// Its write-ahead log.
    pub log: Vec<Record>,
    /// The next transaction number (never reused).
    pub next_tx: TxId,
    /// How many of the workload's transfers it has started.
    pub started: u32,
}

/// A transaction at a participant.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PartTx {
    /// Its ops here.
    pub ops: Vec<Op>,
    /// Where it is.
    pub status: PartStatus,
    /// The participant's clock when it locked the accounts, then when it voted YES (in doubt
    /// since), or when it recovered them from its log.
    pub since: u64,
}

/// Where a participant's transaction is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PartStatus {
    /// Validated and locked; forcing PREPARED before it votes.
    Preparing,
    /// PREPARED is on disk and YES sent: it must wait for the coordinator.
    InDoubt,
    /// Told the outcome; forcing its record.
    Finishing(Outcome),
    /// Decided (and, on COMMIT, applied).
    Done(Outcome),
}

/// A participant's volatile state.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Participant {
    /// What is on its disk (a copy of the durable state).
    pub disk: ParticipantDisk,
    /// Transactions it knows.
    pub txs: BTreeMap<TxId, PartTx>,
    /// Locked accounts: the transaction holding each.
    pub locks: BTreeMap<Account, TxId>,
    /// Steps waiting for the disk, in order.
    pub queue: VecDeque<Step>,
    /// Whether a forced write is under way (the front of `queue`).
    pub writing: bool,
}

/// A participant's durable state: its log and the balances of its accounts, written together.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParticipantDisk {
    /// Its write-ahead log.
    pub log: Vec<Record>,
    /// Committed balances, by account number.
    pub balances: Vec<i64>,
}

impl Default for ParticipantDisk {
    fn default() -> Self {
        ParticipantDisk {
            log: Vec::new(),
            balances: vec![OPENING_BALANCE; usize::from(ACCOUNTS_PER_PARTICIPANT)],
        }
    }
}

/// A node's volatile state.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum State {
    /// n0.
    Coordinator(Coordinator),
    /// n1..n3.
    Participant(Participant),
}

/// A node's durable state.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Durable {
    /// n0's.
    Coordinator(CoordinatorDisk),
    /// A participant's.
    Participant(ParticipantDisk),
}

impl Durable {
    /// Its log.
    pub fn log(&self) -> &[Record] {
        match self {
            Durable::Coordinator(d) => &d.log,
            Durable::Participant(d) => &d.log,
        }
    }
}

/// What a participant's log says of `tx`: its PREPARED ops, and the outcome it logged.
pub fn logged(log: &[Record], tx: TxId) -> (Option<&[Op]>, Option<Outcome>) {
    let mut ops = None;
    let mut outcome = None;
    for r in log.iter().filter(|r| r.tx() == tx) {
        match r {
            Record::Prepared { ops: o, .. } => ops = Some(o.as_slice()),
            Record::Decision { outcome: o, .. } => outcome = Some(*o),
            Record::End { .. } => {}
        }
    }
    (ops, outcome)
}
