//! The memo of explored configurations and the byte account that bounds the search's memory.
//!
//! A configuration is (set of linearized operations, model state). The set is stored in the form
//! the search keeps it: a *frontier* `k` (every operation whose return ranks below `k` is
//! linearized, the one ranked `k` is not), the bitset words from `k`'s to the highest linearized
//! rank, and the bitset of the operations that never returned. An operation is linearized only
//! after its call was reached, and the search never walks past a return whose operation is not
//! linearized, so the returned operations above the frontier all overlap one instant (the
//! frontier's return): the window spans about as many ranks as operations were open then. A
//! sequential history keeps one word, and an entry costs a few words whatever the history's
//! length.
//!
//! Invariant: every allocation the memo makes is accounted in [`Bytes`] *before* it is made, old
//! and new buffer together while a vector moves, and refused when it would pass the limit; the
//! memo then answers [`Insert::Full`] and the search gives up honestly.

use super::hash::{fx_hash, mix64};

/// Bytes held by the checker's own structures (memos, search stacks and lists) against a limit.
#[derive(Debug)]
pub(crate) struct Bytes {
    /// Bytes held now.
    pub used: usize,
    /// Most bytes that may be held at once.
    pub max: usize,
    /// Most bytes held at once so far, counting both buffers of a vector while it moves.
    pub peak: usize,
}

/// Items a vector first grows to (so that tiny memos do not reallocate at every insert).
const VEC_ITEMS_FIRST: usize = 64;

impl Bytes {
    /// A fresh account with limit `max` (bytes).
    pub fn new(max: usize) -> Self {
        Bytes {
            used: 0,
            max,
            peak: 0,
        }
    }

    /// Takes `bytes` for a structure about to be allocated, if they fit.
    pub fn take(&mut self, bytes: usize) -> bool {
        match self.used.checked_add(bytes) {
            Some(total) if total <= self.max => {
                self.used = total;
                self.peak = self.peak.max(total);
                true
            }
            _ => false,
        }
    }

    /// Gives back `bytes` of a structure that was freed.
    pub fn release(&mut self, bytes: usize) {
        self.used -= bytes;
    }

    /// Makes room in `items` for `extra` more, doubling it (or, near the limit, growing by half or
    /// by an eighth) if the grown buffer fits beside what is held; `false` if it does not.
    #[inline(always)]
    pub fn reserve<T>(&mut self, items: &mut Vec<T>, extra: usize) -> bool {
        // The room is almost always there: only a growth goes out of line.
        items.len() + extra <= items.capacity() || self.reserve_grow(items, extra, usize::MAX)
    }

    /// [`Bytes::reserve`] for a vector that never grows past `capacity_max` items (at least
    /// its length plus `extra`).
    #[cold]
    #[inline(never)]
    fn reserve_grow<T>(&mut self, items: &mut Vec<T>, extra: usize, capacity_max: usize) -> bool {
        let needed = items.len() + extra;
        let size = std::mem::size_of::<T>().max(1);
        let old_bytes = items.capacity() * size;
        let fits = |capacity: usize| {
            capacity
                .checked_mul(size)
                .and_then(|b| b.checked_add(self.used))
                .is_some_and(|total| total <= self.max)
        };
        let grown = |step: usize| {
            (items.capacity() + step)
                .max(needed)
                .max(VEC_ITEMS_FIRST)
                .min(capacity_max)
        };
        // Doubling copies each item about once over the vector's life (growing by half, twice).
        let Some(capacity) = [
            grown(items.capacity()),
            grown(items.capacity() / 2),
            grown(items.capacity() / 8),
        ]
        .into_iter()
        .find(|&capacity| fits(capacity)) else {
            return false;
        };
        items.reserve_exact(capacity - items.len());
        let new_bytes = items.capacity() * size;
        // While the buffer moves, the old one and the new one both exist.
        self.peak = self.peak.max(self.used + new_bytes);
        self.used = self.used - old_bytes + new_bytes;
        true
    }
}

/// The bytes `items` holds (its capacity).
pub(crate) fn vec_bytes<T>(items: &Vec<T>) -> usize {
    items.capacity() * std::mem::size_of::<T>()
}

/// A vector kept in segments of `1 << bits` items that never move: growing it copies nothing
/// it holds (a grown vector copies its items, and a large copy misses the cache all the way).
/// The first segment grows like a vector up to the segment size, so that a small memo stays
/// small; later ones are allocated whole. A run of items pushed together lies in one segment;
/// item `i` of segment `s` has index `s << bits | i`.
struct Segments<T> {
    segments: Vec<Vec<T>>,
    bits: u32,
}

impl<T> Segments<T> {
    fn new(bits: u32) -> Self {
        Segments {
            segments: Vec::new(),
            bits,
        }
    }

    fn bytes(&self) -> usize {
        vec_bytes(&self.segments) + self.segments.iter().map(vec_bytes).sum::<usize>()
    }

    #[inline(always)]
    fn get(&self, index: usize) -> &T {
        &self.segments[index >> self.bits][index & ((1 << self.bits) - 1)]
    }

    /// The run of `len` items at `index`, if they are there.
    #[inline(always)]
    fn run(&self, index: usize, len: usize) -> Option<&[T]> {
        let at = index & ((1 << self.bits) - 1);
        self.segments.get(index >> self.bits)?.get(at..at + len)
    }

    /// The index the next item pushed will have (room for it made by [`Segments::reserve`]).
    #[inline(always)]
    fn next_index(&self) -> usize {
        match self.segments.last() {
            Some(last) => (self.segments.len() - 1) << self.bits | last.len(),
            None => 0,
        }
    }

    /// Makes room for a run of `extra` items (at most a segment) in one segment, within `bytes`.
    #[inline(always)]
    fn reserve(&mut self, extra: usize, bytes: &mut Bytes) -> bool {
        // The room is almost always there: only a new segment goes out of line.
        matches!(self.segments.last(), Some(last) if last.len() + extra <= last.capacity())
            || self.reserve_segment(extra, bytes)
    }

    #[cold]
    #[inline(never)]
    fn reserve_segment(&mut self, extra: usize, bytes: &mut Bytes) -> bool {
        let size = 1usize << self.bits;
        debug_assert!(extra <= size, "a run longer than a segment");
        let grown = match &mut self.segments[..] {
            [] => {
                if !bytes.reserve(&mut self.segments, 1) {
                    return false;
                }
                self.segments.push(Vec::new());
                bytes.reserve_grow(&mut self.segments[0], extra, size)
            }
            [first] if first.len() + extra <= size => bytes.reserve_grow(first, extra, size),
            _ => {
                if !bytes.reserve(&mut self.segments, 1)
                    || !bytes.take(size * std::mem::size_of::<T>())
                {
                    return false;
                }
                // `with_capacity` allocates exactly the bytes taken.
                self.segments.push(Vec::with_capacity(size));
                true
            }
        };
        debug_assert!(self.segments.iter().all(|s| s.capacity() <= size));
        grown
    }

    /// Pushes one item of a run (room made by [`Segments::reserve`]).
    #[inline(always)]
    fn push(&mut self, item: T) {
        let last = self.segments.last_mut().expect("room was made");
        debug_assert!(last.len() < last.capacity());
        last.push(item);
    }

    /// Every item, by index.
    fn iter(&self) -> impl Iterator<Item = &T> {
        self.segments.iter().flatten()
    }
}

pub(crate) enum Insert {
    New,
    Seen,
    Full,
}

/// The set of explored configurations: an open-addressing hash table with linear probing whose
/// 32-bit slots pack an 8-bit tag of the entry's hash with its index, so the table stays small
/// enough to cache well and a probe reads the stored configuration only when the tags agree (a
/// false match 1 time in 256). Each entry's 32-bit hash (its home slot is the top bits, its tag
/// the low byte) is kept in a vector of its own, so growing the table reads the hashes in order
/// and hashes no state again. An entry is one record (frontier, where its set words are, state),
/// so a probe that matches a tag reads one record and, if the set has words, one run of the
/// shared arena. Entries, hashes and words are kept in [`Segments`]: an insert allocates
/// nothing but now and then a segment, and growing copies nothing already stored.
pub(crate) struct Memo<S> {
    /// Slots: `0` when empty, else `tag << INDEX_BITS | (entry + 1)`; the length is a power of
    /// two.
    table: Vec<u32>,
    /// log2 of the table's length.
    table_bits: u32,
    /// Number of entries.
    len: usize,
    /// Per entry: its hash (see [`Memo::home`] and [`Memo::tag`]).
    hashes: Segments<u32>,
    entries: Segments<Entry<S>>,
    /// The entries' set words (window, then never-returned operations), one run per entry.
    words: Segments<u64>,
}

struct Entry<S> {
    frontier: u32,
    words_start: u32,
    words_len: u32,
    state: S,
}

/// log2 of the number of slots in a new memo table.
const MEMO_SLOTS_FIRST_BITS: u32 = 10;

/// log2 of the entries (and their hashes) in one segment of a memo.
const ENTRY_SEGMENT_BITS: u32 = 12;

/// log2 of the set words in one segment of a memo, at least (a segment holds the longest set).
const WORD_SEGMENT_BITS: u32 = 13;

/// Bits of a slot that hold the entry index (plus one); the rest hold the tag.
const INDEX_BITS: u32 = 24;
const INDEX_MASK: u32 = (1 << INDEX_BITS) - 1;

/// Most entries one memo can index: more than [`super::MEMO_BYTES_MAX`] holds at the smallest
/// entry size.
pub(crate) const MEMO_INDEX_MAX: usize = INDEX_MASK as usize - 1;

impl<S: Clone + Eq + std::hash::Hash> Memo<S> {
    /// Bytes a new memo allocates at once (its first table).
    pub fn first_bytes() -> usize {
        (1usize << MEMO_SLOTS_FIRST_BITS) * std::mem::size_of::<u32>()
    }

    /// A new memo for sets of at most `set_words_max` words; its [`Memo::first_bytes`] must
    /// already be accounted.
    pub fn new(set_words_max: usize) -> Self {
        Memo {
            table: vec![0; 1 << MEMO_SLOTS_FIRST_BITS],
            table_bits: MEMO_SLOTS_FIRST_BITS,
            len: 0,
            hashes: Segments::new(ENTRY_SEGMENT_BITS),
            entries: Segments::new(ENTRY_SEGMENT_BITS),
            words: Segments::new(WORD_SEGMENT_BITS.max(set_words_max.next_power_of_two().ilog2())),
        }
    }

    pub fn len(&self) -> usize {
        self.len
    }

    /// Bytes the memo holds (a state's own heap data, such as the whole-store model's shared
    /// per-key array, is not counted).
    pub fn bytes(&self) -> usize {
        vec_bytes(&self.table) + self.hashes.bytes() + self.entries.bytes() + self.words.bytes()
    }

    /// The first slot to probe for an entry with hash `hash`: its top `table_bits` bits.
    #[inline(always)]
    fn home(hash: u32, table_bits: u32) -> usize {
        (hash >> (32 - table_bits)) as usize
    }

    /// The tag of an entry with hash `hash`, in place in a slot: its low byte, which the home
    /// slot leaves out while the table has at most 2^24 slots (past that, the two share bits
    /// and tags match a little more often; answers never depend on it).
    #[inline(always)]
    fn tag(hash: u32) -> u32 {
        hash << INDEX_BITS
    }

    /// Adds the configuration (`frontier`, `window`, `open`, `state`), whose set hashes to
    /// `set_hash`, unless it is already there. When `entries_full`, or when the growth it needs
    /// does not fit in `bytes`, only looks.
    #[inline(always)]
    #[allow(clippy::too_many_arguments)]
    pub fn insert(
        &mut self,
        set_hash: u64,
        frontier: u32,
        window: &[u64],
        open: &[u64],
        state: &S,
        entries_full: bool,
        bytes: &mut Bytes,
    ) -> Insert {
        let hash = (mix64(set_hash ^ fx_hash(state)) >> 32) as u32;
        let tag = Self::tag(hash);
        let mask = self.table.len() - 1;
        let set_len = window.len() + open.len();
        let mut slot = Self::home(hash, self.table_bits);
        loop {
            let packed = self.table[slot];
            if packed == 0 {
                break;
            }
            if packed & !INDEX_MASK == tag {
                let entry = self.entries.get((packed & INDEX_MASK) as usize - 1);
                if entry.frontier == frontier
                    && entry.words_len as usize == set_len
                    && entry.state == *state
                    && self.words_equal(entry.words_start as usize, window, open)
                {
                    return Insert::Seen;
                }
            }
            slot = (slot + 1) & mask;
        }
        if entries_full || self.len() >= MEMO_INDEX_MAX || !self.make_room(set_len, bytes) {
            return Insert::Full;
        }
        if self.table.len() - 1 != mask {
            slot = self.empty_slot(hash);
        }
        self.len += 1;
        self.table[slot] = tag | self.len as u32;
        self.hashes.push(hash);
        self.entries.push(Entry {
            frontier,
            words_start: self.words.next_index() as u32,
            words_len: (window.len() + open.len()) as u32,
            state: state.clone(),
        });
        // Word by word: the slices are a few words, and a call to `memmove` costs more.
        for &word in window.iter().chain(open) {
            self.words.push(word);
        }
        Insert::New
    }

    /// Whether the stored run of words at `start` is `window` then `open` (its length is
    /// already known to agree).
    #[inline(always)]
    fn words_equal(&self, start: usize, window: &[u64], open: &[u64]) -> bool {
        // Word by word: the runs are a few words, and a call to `memcmp` costs more.
        let same = |stored: &[u64], words: &[u64]| stored.iter().zip(words).all(|(a, b)| a == b);
        let Some(stored) = self.words.run(start, window.len() + open.len()) else {
            return false;
        };
        let (stored_window, stored_open) = stored.split_at(window.len());
        same(stored_window, window) && same(stored_open, open)
    }

    /// Grows what one more entry with `set_len` words needs, within `bytes`.
    #[inline(always)]
    fn make_room(&mut self, set_len: usize, bytes: &mut Bytes) -> bool {
        // Keep the load factor at most one half so probe runs stay short.
        if (self.len() + 1) * 2 > self.table.len() && !self.grow(bytes) {
            return false;
        }
        // Room for at least one word, so that an empty run too starts inside a segment.
        self.hashes.reserve(1, bytes)
            && self.entries.reserve(1, bytes)
            && self.words.reserve(set_len.max(1), bytes)
    }

    fn empty_slot(&self, hash: u32) -> usize {
        let mask = self.table.len() - 1;
        let mut slot = Self::home(hash, self.table_bits);
        while self.table[slot] != 0 {
            slot = (slot + 1) & mask;
        }
        slot
    }

    #[cold]
    fn grow(&mut self, bytes: &mut Bytes) -> bool {
        let new_bytes = self.table.len() * 2 * std::mem::size_of::<u32>();
        if !bytes.take(new_bytes) {
            return false;
        }
        let slots = self.table.len() * 2;
        let old = std::mem::replace(&mut self.table, vec![0; slots]);
        self.table_bits += 1;
        // In entry order: the hashes are read in sequence, not at random through the old table.
        for (i, &hash) in self.hashes.iter().enumerate() {
            let slot = self.empty_slot(hash);
            self.table[slot] = Self::tag(hash) | (i as u32 + 1);
        }
        bytes.release(vec_bytes(&old));
        true
    }
}
