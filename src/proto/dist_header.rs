//! Distribution headers (`131 68`, and the fragment headers `131 69` / `131 70`) with their atom cache updates, read and written.
//!
//! With `DIST_HDR_ATOM_CACHE` negotiated, every connected-phase message starts with a
//! distribution header instead of the pass-through byte 112. The header lists up to 255
//! atom cache references, each either a new entry (slot and text, which the receiver
//! stores) or a slot the sender filled in an earlier message; `ATOM_CACHE_REF` (82) in
//! the terms that follow indexes this list. The cache has 2048 slots (8 segments of 256),
//! one per direction of each connection, and starts empty on every new connection.
//! Terms after a header have no version byte of their own.

use eetf::Atom;
use std::sync::Arc;
use thiserror::Error;

/// Slots in a connection's atom cache (8 segments of 256).
pub const ATOM_CACHE_SIZE: usize = 2048;

/// Most atom cache references one header may carry (the reference index is one byte).
pub const MAX_REFS: usize = 255;

/// Largest atom, in characters.
const MAX_ATOM_CHARS: usize = 255;

const VERSION: u8 = 131;
/// `131 68`: a whole message.
pub const DIST_HEADER: u8 = 68;
/// `131 69`: the first fragment of a message.
pub const DIST_FRAG_HEADER: u8 = 69;
/// `131 70`: a later fragment.
pub const DIST_FRAG_CONT: u8 = 70;

/// Why a distribution header was refused (the connection is then closed).
#[derive(Debug, Error, PartialEq, Eq)]
pub enum HeaderError {
    #[error("distribution header truncated at offset {at}")]
    Truncated { at: usize },
    #[error("message starts with {0:?}, not a distribution header (131 68/69/70)")]
    NotHeader([u8; 2]),
    #[error("atom cache reference {index} names empty slot {slot}")]
    EmptySlot { index: usize, slot: usize },
    #[error("new atom cache entry {index} is not valid UTF-8")]
    BadUtf8 { index: usize },
    #[error("new atom cache entry {index} has {chars} characters, over 255")]
    AtomTooLong { index: usize, chars: usize },
    #[error("fragment header with fragment id 0")]
    ZeroFragmentId,
}

/// The receiving half of a connection's atom cache: what the peer stored in each slot.
///
/// Each atom is stored once and shared: a message that keeps its references (a checked
/// message waiting in a mailbox, a fragmented one being reassembled) holds a pointer per
/// reference ([`crate::proto::etf::AtomTable::to_shared`]), and the text lives while
/// anything points to it.
pub struct InCache {
    slots: Vec<Option<Arc<Atom>>>,
    /// The length in bytes of each slot's atom.
    slot_lens: Vec<u16>,
    /// The last header's references: a slot each.
    refs: Vec<u16>,
    /// The length of the last header's longest atom.
    longest: usize,
}

impl Default for InCache {
    fn default() -> Self {
        InCache {
            slots: vec![None; ATOM_CACHE_SIZE],
            slot_lens: vec![0; ATOM_CACHE_SIZE],
            refs: Vec::with_capacity(MAX_REFS),
            longest: 0,
        }
    }
}

impl InCache {
    /// What the last parsed header's references stand for, read in place.
    pub fn table(&self) -> crate::proto::etf::AtomTable<'_> {
        crate::proto::etf::AtomTable::Slots {
            refs: &self.refs,
            cache: &self.slots,
            longest: self.longest,
        }
    }
}

/// [`Header`] without the atoms: they stay in the cache, see [`InCache::table`].
#[derive(Debug, PartialEq)]
pub enum HeaderRef<'a> {
    /// `131 68`: a whole message follows.
    Message { rest: &'a [u8] },
    /// `131 69`: the start of a message sent in `fragment` fragments.
    FragmentStart {
        sequence: u64,
        fragment: u64,
        rest: &'a [u8],
    },
    /// `131 70`: fragment number `fragment` of `sequence`.
    Fragment {
        sequence: u64,
        fragment: u64,
        rest: &'a [u8],
    },
}

/// A parsed distribution header and the bytes after it; its atoms are shared with the
/// cache.
#[derive(Debug, PartialEq)]
pub enum Header<'a> {
    /// `131 68`: a whole message (control, then any payload) follows.
    Message {
        atoms: Vec<Arc<Atom>>,
        rest: &'a [u8],
    },
    /// `131 69`: the start of a message sent in `fragment` fragments (this one included).
    FragmentStart {
        sequence: u64,
        fragment: u64,
        atoms: Vec<Arc<Atom>>,
        rest: &'a [u8],
    },
    /// `131 70`: fragment number `fragment` (counting down to 1) of `sequence`.
    Fragment {
        sequence: u64,
        fragment: u64,
        rest: &'a [u8],
    },
}

struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], HeaderError> {
        let end = self.pos.saturating_add(n);
        let bytes = self
            .buf
            .get(self.pos..end)
            .ok_or(HeaderError::Truncated { at: self.pos })?;
        self.pos = end;
        Ok(bytes)
    }

    fn u8(&mut self) -> Result<u8, HeaderError> {
        Ok(self.take(1)?[0])
    }

    fn u64(&mut self) -> Result<u64, HeaderError> {
        let b = self.take(8)?;
        let mut a = [0u8; 8];
        a.copy_from_slice(b);
        Ok(u64::from_be_bytes(a))
    }

    fn rest(&self) -> &'a [u8] {
        self.buf.get(self.pos..).unwrap_or_default()
    }
}

/// Reads the distribution header at the front of `frame` (a connected-phase message
/// body), applying its new atom cache entries to `cache`.
pub fn parse<'a>(frame: &'a [u8], cache: &mut InCache) -> Result<Header<'a>, HeaderError> {
    Ok(match parse_in_place(frame, cache)? {
        HeaderRef::Message { rest } => Header::Message {
            atoms: shared(cache),
            rest,
        },
        HeaderRef::FragmentStart {
            sequence,
            fragment,
            rest,
        } => Header::FragmentStart {
            sequence,
            fragment,
            atoms: shared(cache),
            rest,
        },
        HeaderRef::Fragment {
            sequence,
            fragment,
            rest,
        } => Header::Fragment {
            sequence,
            fragment,
            rest,
        },
    })
}

/// The last header's references, shared (each names a stored atom: `read_refs` checked).
fn shared(cache: &InCache) -> Vec<Arc<Atom>> {
    cache.table().to_shared(usize::MAX).unwrap_or_default()
}

/// [`parse`], leaving the header's references in `cache` (read them with
/// [`InCache::table`] before the next header is parsed): no atom is copied.
pub fn parse_in_place<'a>(
    frame: &'a [u8],
    cache: &mut InCache,
) -> Result<HeaderRef<'a>, HeaderError> {
    let mut r = Reader { buf: frame, pos: 0 };
    let head = r.take(2).map_err(|_| {
        let mut h = [0; 2];
        h[..frame.len().min(2)].copy_from_slice(&frame[..frame.len().min(2)]);
        HeaderError::NotHeader(h)
    })?;
    match [head[0], head[1]] {
        [VERSION, DIST_HEADER] => {
            read_refs(&mut r, cache)?;
            Ok(HeaderRef::Message { rest: r.rest() })
        }
        [VERSION, DIST_FRAG_HEADER] => {
            let sequence = r.u64()?;
            let fragment = r.u64()?;
            if fragment == 0 {
                return Err(HeaderError::ZeroFragmentId);
            }
            read_refs(&mut r, cache)?;
            Ok(HeaderRef::FragmentStart {
                sequence,
                fragment,
                rest: r.rest(),
            })
        }
        [VERSION, DIST_FRAG_CONT] => {
            let sequence = r.u64()?;
            let fragment = r.u64()?;
            if fragment == 0 {
                return Err(HeaderError::ZeroFragmentId);
            }
            cache.refs.clear();
            cache.longest = 0;
            Ok(HeaderRef::Fragment {
                sequence,
                fragment,
                rest: r.rest(),
            })
        }
        [a, b] => Err(HeaderError::NotHeader([a, b])),
    }
}

/// `NumberOfAtomCacheRefs`, `Flags`, `AtomCacheRefs`: the slots of the references, left
/// in `cache.refs`, with new entries stored.
fn read_refs(r: &mut Reader<'_>, cache: &mut InCache) -> Result<(), HeaderError> {
    cache.refs.clear();
    cache.longest = 0;
    let n = usize::from(r.u8()?);
    if n == 0 {
        return Ok(());
    }
    let flags = r.take(n / 2 + 1)?;
    let nibble = |i: usize| {
        let byte = flags.get(i / 2).copied().unwrap_or(0);
        if i.is_multiple_of(2) {
            byte & 0x0f
        } else {
            byte >> 4
        }
    };
    let long_atoms = nibble(n) & 1 != 0;
    for index in 0..n {
        let flag = nibble(index);
        let slot = usize::from(flag & 7) * 256 + usize::from(r.u8()?);
        if flag & 8 != 0 {
            let len = if long_atoms {
                let b = r.take(2)?;
                usize::from(u16::from_be_bytes([b[0], b[1]]))
            } else {
                usize::from(r.u8()?)
            };
            let text =
                std::str::from_utf8(r.take(len)?).map_err(|_| HeaderError::BadUtf8 { index })?;
            let chars = text.chars().count();
            if chars > MAX_ATOM_CHARS {
                return Err(HeaderError::AtomTooLong { index, chars });
            }
            // Slot is < 8 * 256 = ATOM_CACHE_SIZE by construction.
            if let (Some(s), Some(l)) = (cache.slots.get_mut(slot), cache.slot_lens.get_mut(slot)) {
                *s = Some(Arc::new(Atom::from(text)));
                // At most 255 characters of 4 bytes.
                *l = len as u16;
            }
        } else if cache.slots.get(slot).is_none_or(Option::is_none) {
            return Err(HeaderError::EmptySlot { index, slot });
        }
        cache.refs.push(slot as u16);
        let len = usize::from(cache.slot_lens.get(slot).copied().unwrap_or_default());
        cache.longest = cache.longest.max(len);
    }
    Ok(())
}

/// The sending half of a connection's atom cache, and the references of the message
/// being encoded.
///
/// Slot choice follows BEAM: an atom goes in the slot its hash picks, replacing whatever
/// was there; an atom already in its slot is sent as a bare reference.
pub struct OutCache {
    slots: Vec<Option<Atom>>,
    /// This message's references: slot and whether it is new.
    refs: Vec<(u16, bool)>,
    /// Slot -> index in `refs` for this message, [`NOT_IN_MSG`] if none.
    in_msg: Vec<u8>,
    /// What this message's new entries replaced, to put back if it is not sent.
    undo: Vec<(u16, Option<Atom>)>,
}

/// `in_msg` for a slot this message has no reference to.
const NOT_IN_MSG: u8 = u8::MAX;

/// A cache with no slots, which references nothing (what [`std::mem::take`] leaves).
impl Default for OutCache {
    fn default() -> Self {
        OutCache {
            slots: Vec::new(),
            refs: Vec::new(),
            in_msg: Vec::new(),
            undo: Vec::new(),
        }
    }
}

/// FNV-1a over the atom's text: a slot for it.
fn slot_of(text: &str) -> u16 {
    let mut h: u32 = 0x811c_9dc5;
    for &b in text.as_bytes() {
        h ^= u32::from(b);
        h = h.wrapping_mul(0x0100_0193);
    }
    (h % ATOM_CACHE_SIZE as u32) as u16
}

impl OutCache {
    /// An empty cache of [`ATOM_CACHE_SIZE`] slots, as on a new connection.
    pub fn new() -> OutCache {
        OutCache {
            slots: vec![None; ATOM_CACHE_SIZE],
            refs: Vec::with_capacity(MAX_REFS),
            in_msg: vec![NOT_IN_MSG; ATOM_CACHE_SIZE],
            undo: Vec::new(),
        }
    }

    fn forget_refs(&mut self) {
        for &(slot, _) in &self.refs {
            if let Some(i) = self.in_msg.get_mut(usize::from(slot)) {
                *i = NOT_IN_MSG;
            }
        }
        self.refs.clear();
    }

    /// Starts a new message: no references yet.
    pub fn begin(&mut self) {
        self.forget_refs();
        self.undo.clear();
    }

    /// The message being encoded will not be sent: forget its new entries, which the
    /// peer will never see.
    pub fn abort(&mut self) {
        for (slot, old) in self.undo.drain(..).rev() {
            if let Some(s) = self.slots.get_mut(usize::from(slot)) {
                *s = old;
            }
        }
        self.forget_refs();
    }

    /// The reference index for `atom` in the message being encoded, or `None` when the
    /// message already has [`MAX_REFS`] references (the atom is then written in full),
    /// or when the atom's slot is taken by another atom of this same message.
    pub fn reference(&mut self, atom: &Atom) -> Option<u8> {
        if self.slots.is_empty() {
            return None;
        }
        let slot = slot_of(&atom.name);
        let index = *self.in_msg.get(usize::from(slot))?;
        if index != NOT_IN_MSG {
            let same = self
                .slots
                .get(usize::from(slot))
                .and_then(Option::as_ref)
                .is_some_and(|a| a.name == atom.name);
            return same.then_some(index);
        }
        if self.refs.len() >= MAX_REFS {
            return None;
        }
        let entry = self.slots.get_mut(usize::from(slot))?;
        let new = entry.as_ref().is_none_or(|a| a.name != atom.name);
        if new {
            let old = entry.replace(atom.clone());
            self.undo.push((slot, old));
        }
        let index = u8::try_from(self.refs.len()).ok()?;
        self.refs.push((slot, new));
        if let Some(i) = self.in_msg.get_mut(usize::from(slot)) {
            *i = index;
        }
        Some(index)
    }

    /// Number of references in the message being encoded.
    pub fn len(&self) -> usize {
        self.refs.len()
    }

    /// Whether the message being encoded has no references.
    pub fn is_empty(&self) -> bool {
        self.refs.is_empty()
    }

    /// Appends `NumberOfAtomCacheRefs`, `Flags` and `AtomCacheRefs` for the message
    /// being encoded (after `131 68`, or after a `131 69` header's ids).
    pub fn write_refs(&self, out: &mut Vec<u8>) {
        let n = self.refs.len();
        out.push(n as u8);
        if n == 0 {
            return;
        }
        let long = self.refs.iter().any(|&(slot, new)| {
            new && self
                .slots
                .get(usize::from(slot))
                .and_then(Option::as_ref)
                .is_some_and(|a| a.name.len() > 255)
        });
        let flags_at = out.len();
        out.resize(flags_at + n / 2 + 1, 0);
        let mut set = |i: usize, nibble: u8| {
            if let Some(b) = out.get_mut(flags_at + i / 2) {
                *b |= if i.is_multiple_of(2) {
                    nibble
                } else {
                    nibble << 4
                };
            }
        };
        for (i, &(slot, new)) in self.refs.iter().enumerate() {
            set(i, ((slot >> 8) as u8 & 7) | if new { 8 } else { 0 });
        }
        set(n, u8::from(long));
        for &(slot, new) in &self.refs {
            out.push((slot & 0xff) as u8);
            if new {
                let text = self
                    .slots
                    .get(usize::from(slot))
                    .and_then(Option::as_ref)
                    .map_or("", |a| a.name.as_str());
                if long {
                    out.extend_from_slice(&(text.len() as u16).to_be_bytes());
                } else {
                    out.push(text.len() as u8);
                }
                out.extend_from_slice(text.as_bytes());
            }
        }
    }
}

/// Test support: a `131 68` header written by hand from the documented layout
/// (erl_ext_dist), independently of [`OutCache`]'s writer, for tests that need the
/// header forms no real node sends (a hostile peer's). `refs` are `(slot, Some(text))`
/// for a new cache entry, `(slot, None)` for a slot cached by an earlier message;
/// lengths take two bytes (the long-atoms flag) when a new text is over 255 bytes.
#[doc(hidden)]
pub fn header_by_hand(refs: &[(u16, Option<&str>)]) -> Vec<u8> {
    let n = refs.len();
    let mut out = vec![131, 68, n as u8];
    if n == 0 {
        return out;
    }
    let long = refs.iter().any(|(_, t)| t.is_some_and(|t| t.len() > 255));
    let mut flags = vec![0u8; n / 2 + 1];
    let mut set = |i: usize, nibble: u8| flags[i / 2] |= nibble << (4 * (i % 2));
    for (i, (slot, text)) in refs.iter().enumerate() {
        set(
            i,
            (slot >> 8) as u8 & 7 | if text.is_some() { 8 } else { 0 },
        );
    }
    set(n, u8::from(long));
    out.extend(flags);
    for (slot, text) in refs {
        out.push((slot & 0xff) as u8);
        if let Some(t) = text {
            if long {
                out.extend((t.len() as u16).to_be_bytes());
            } else {
                out.push(t.len() as u8);
            }
            out.extend(t.as_bytes());
        }
    }
    out
}

#[cfg(test)]
mod tests;
