//! Erlang External Term Format: bounded, panic-free decoding of peer bytes into eetf terms, and encoding.
//!
//! # Decoding: check, then build
//!
//! Terms are `eetf` values, but `eetf`'s own decoder is not used: it trusts the wire (it
//! aborts on the atom-cache and distribution-header tags with `unimplemented!()`,
//! allocates whatever a 32-bit length field asks for, panics on bit-binary tail sizes of 0
//! or more than 8, recurses without limit, inflates `COMPRESSED` terms without bound,
//! reads Latin-1 atoms as UTF-8, and narrows old-style `FLOAT_EXT` floats to `f32`), and
//! it is slow (one `io::Read` call per field, maps grown one insert at a time).
//!
//! So [`decode`] first walks the raw bytes with a scanner that allocates nothing for
//! everyday terms and checks every length, count, tag, nesting level and encoding against
//! the bytes that are really there and against the limits below. Only when the whole
//! term checks out does a builder turn exactly those bytes into a [`Term`], without
//! recursion, sizing every vector and map from its (checked) count. Latin-1 atoms are
//! read as Latin-1 and `FLOAT_EXT` floats as `f64`. Big integers are the one thing handed
//! to eetf (a checked slice with no nested terms), for its `BigInt` conversion.
//!
//! Offsets in errors are from the start of the buffer handed in (the 131 version byte);
//! inside a compressed term they are offsets into the inflated bytes.
//!
//! Where this differs from OTP 25's `binary_to_term`: we refuse a `NEW_FUN_EXT` whose
//! `Size` field is wrong (OTP ignores it), a big integer sign byte other than 0 or 1,
//! `LARGE_BIG_EXT` over [`MAX_BIG_BYTES`], nesting over [`MAX_DEPTH`], and the sizes over
//! the other limits below; we accept the old `FUN_EXT`, which OTP 23+ refuses. Like
//! OTP we refuse maps with duplicate keys, `COMPRESSED` anywhere but the top, pids,
//! ports and references whose node is not an atom, and atoms over 255 characters, and
//! we ignore bytes after a term (use [`decode_exact`] to refuse them).
//!
//! # Encoding
//!
//! [`encode`](fn@encode) does not use eetf's encoder, which silently writes wrong bytes for some
//! values a caller can build: a `List` such as `[-1, 2]` (negative numbers are cast to
//! bytes and sent as a string), a `ByteList` over 65535 bytes (its 16-bit length
//! wraps), and it panics on `BitBinary` tail sizes of 0 or over 8. Ours writes the same
//! tags OTP 25 uses with `UTF8_ATOMS` and returns [`EtfError::Encode`] for values OTP
//! would refuse (atoms over 255 characters, NaN and infinities, old `FUN_EXT` funs,
//! references with more than 5 words, inconsistent bit binaries).

use std::io::Read as _;
use std::sync::Arc;

use eetf::{Atom, InternalFun, Pid, Term};

#[cfg(test)]
mod vectors;

/// Deepest nesting accepted, counting the outermost term as level 1.
///
/// OTP itself decodes far deeper terms, but eetf's decoder recurses once per level and
/// needs about 1.4 KiB of stack per level in release builds and 1.7 KiB in debug builds
/// (measured with eetf 0.12 on Rust 1.95: a 2 MiB thread overflows at about 1500 and
/// 1200 levels; dropping, cloning, comparing and printing a `Term` recurse too, at no
/// more than that). 512 levels thus use under 0.9 MiB of a 2 MiB tokio worker stack,
/// leaving room for the caller and for code that walks the decoded term recursively.
/// The scanner and encoder in this module use explicit stacks, not recursion. Real
/// distribution traffic (erl_eval closures from the shell included) nests a few dozen
/// levels at most.
pub const MAX_DEPTH: usize = 512;

/// Largest encoded term accepted (the version byte included), matching the largest
/// message the framing layer accepts.
pub const MAX_TERM_BYTES: usize = 128 * 1024 * 1024;

/// Largest uncompressed size a `COMPRESSED` term may declare (and inflate to).
pub const MAX_INFLATED_BYTES: usize = 64 * 1024 * 1024;

/// Inflated bytes a `COMPRESSED` term may always have, however short its input.
pub const MIN_INFLATE_ALLOWANCE: usize = 1024;

/// What a decode may build per byte it is given, beyond the absolute limits above.
///
/// An uncompressed term cannot hold more than one term per byte (each takes at least
/// one); only `COMPRESSED` terms can stand for more, as zlib inflates up to about
/// 1000 times. [`Limits::WIRE`] holds them to what came in, so that what a peer
/// sends bounds what it makes the node hold; [`Limits::LOCAL`] (used by [`decode`])
/// allows what OTP's `term_to_binary(T, [compressed])` writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Most inflated bytes per byte of the buffer the compressed term came in (with
    /// at least [`MIN_INFLATE_ALLOWANCE`]).
    pub inflate_ratio: usize,
    /// Most terms built per byte of the buffer a compressed term came in.
    pub terms_per_byte: usize,
}

impl Limits {
    /// For bytes from a peer: a compressed term inflates to at most 16 bytes per byte
    /// received and builds at most one term per byte received (a term costs eetf
    /// about 56 bytes: a 16 KB frame can no longer build 8 Mi terms).
    pub const WIRE: Limits = Limits {
        inflate_ratio: 16,
        terms_per_byte: 1,
    };
    /// Only the absolute limits ([`MAX_INFLATED_BYTES`], [`MAX_TERMS`]).
    pub const LOCAL: Limits = Limits {
        inflate_ratio: usize::MAX,
        terms_per_byte: usize::MAX,
    };
}

/// Most digit bytes in a `LARGE_BIG_EXT` integer (a 524288-bit number).
pub const MAX_BIG_BYTES: usize = 64 * 1024;

/// Most terms (every list element, tuple element, map key and value, ...) in one term.
///
/// A term costs eetf about 48 bytes of memory however small it is on the wire (an
/// empty list is one byte), so without this bound a 128 MiB message could need 6 GiB.
/// 8 Mi terms cap that at about 400 MiB while still allowing, for example, a list of
/// several million integers.
pub const MAX_TERMS: usize = 8 * 1024 * 1024;

/// Most characters in an atom, as in OTP.
pub const MAX_ATOM_CHARS: usize = 255;

/// Most bytes in an atom's UTF-8 text (255 characters of 4 bytes).
const MAX_ATOM_BYTES: usize = 4 * MAX_ATOM_CHARS;

/// Most 32-bit words in a reference that OTP 25 accepts.
const MAX_REF_WORDS: usize = 5;

/// The version byte that starts every external term.
pub const VERSION: u8 = 131;

// External term format tags (erl_ext_dist).
const NEW_FLOAT_EXT: u8 = 70;
const BIT_BINARY_EXT: u8 = 77;
const COMPRESSED: u8 = 80;
const DISTRIBUTION_HEADER: u8 = 68;
const DIST_FRAG_HEADER: u8 = 69;
const RECORD_EXT: u8 = 67;
const ATOM_CACHE_REF: u8 = 82;
const NEW_PID_EXT: u8 = 88;
const NEW_PORT_EXT: u8 = 89;
const NEWER_REFERENCE_EXT: u8 = 90;
const SMALL_INTEGER_EXT: u8 = 97;
const INTEGER_EXT: u8 = 98;
const FLOAT_EXT: u8 = 99;
const ATOM_EXT: u8 = 100;
const REFERENCE_EXT: u8 = 101;
const PORT_EXT: u8 = 102;
const PID_EXT: u8 = 103;
const SMALL_TUPLE_EXT: u8 = 104;
const LARGE_TUPLE_EXT: u8 = 105;
const NIL_EXT: u8 = 106;
const STRING_EXT: u8 = 107;
const LIST_EXT: u8 = 108;
const BINARY_EXT: u8 = 109;
const SMALL_BIG_EXT: u8 = 110;
const LARGE_BIG_EXT: u8 = 111;
const NEW_FUN_EXT: u8 = 112;
const EXPORT_EXT: u8 = 113;
const NEW_REFERENCE_EXT: u8 = 114;
const SMALL_ATOM_EXT: u8 = 115;
const MAP_EXT: u8 = 116;
const FUN_EXT: u8 = 117;
const ATOM_UTF8_EXT: u8 = 118;
const SMALL_ATOM_UTF8_EXT: u8 = 119;
const V4_PORT_EXT: u8 = 120;

/// What [`EtfError::TooLarge`] names for atom text copied from atom cache references
/// over the budget ([`decode_in_within`]).
pub const WHY_ATOM_TEXT: &str = "atom text copied from atom cache references";
const WHY_ATOM_CACHE: &str = "atom cache reference outside a message with a distribution header";
const WHY_DIST_HEADER: &str = "distribution header where a term was expected";
const WHY_FRAGMENT: &str = "distribution fragment header where a term was expected";
const WHY_NESTED_COMPRESSED: &str =
    "compressed term inside a term (only allowed right after the version byte)";
const WHY_UNKNOWN: &str = "unknown external term format tag";
const WHY_NATIVE_RECORD: &str = "native record (RECORD_EXT, OTP 29+), which erlnode does not support; OTP 29 sends them even to peers without NATIVE_RECORDS, and OTP 25 to 28 close the connection then too";

/// Why a term could not be decoded or encoded.
#[derive(Debug, thiserror::Error)]
pub enum EtfError {
    /// The buffer ends inside the term: `needed` bytes are needed from offset `at`.
    /// For a prefix of a valid term this is always the error, so a caller reading a
    /// stream may wait for more bytes.
    #[error("term truncated: {needed} byte(s) needed at offset {at}")]
    Truncated { needed: usize, at: usize },
    /// The first byte is not 131.
    #[error("external term format version byte is {0}, expected 131")]
    BadVersion(u8),
    /// A tag we do not accept here, e.g. an atom cache reference (82).
    #[error("{why} (tag {tag} at offset {at})")]
    UnsupportedTag {
        tag: u8,
        at: usize,
        why: &'static str,
    },
    /// An `ATOM_CACHE_REF` past the end of the distribution header's reference table.
    #[error("atom cache reference {index} at offset {at}, but the distribution header has {refs}")]
    AtomRef {
        index: usize,
        at: usize,
        refs: usize,
    },
    /// A known tag where the format requires another kind (e.g. a pid's node not an atom).
    #[error("expected {expected} at offset {at}, found tag {tag}")]
    UnexpectedTag {
        tag: u8,
        at: usize,
        expected: &'static str,
    },
    /// Nested deeper than `limit` levels.
    #[error("term nested deeper than {limit} levels")]
    TooDeep { limit: usize },
    /// A length, count or total over one of this module's limits.
    #[error("{what} too large: {len} is over the limit of {limit}")]
    TooLarge {
        what: &'static str,
        len: usize,
        limit: usize,
    },
    /// A `BIT_BINARY_EXT` whose tail-bit count does not fit its length.
    #[error(
        "bit binary at offset {at}: {bits} tail bits with {len} byte(s) (need 1..=8 bits, or 0 bits and 0 bytes)"
    )]
    BadBits { at: usize, len: usize, bits: u8 },
    /// A malformed value: bad UTF-8 in an atom, a NaN float, a bad sign byte...
    #[error("invalid {what} at offset {at}: {why}")]
    Invalid {
        what: &'static str,
        at: usize,
        why: &'static str,
    },
    /// A `NEW_FUN_EXT` whose `Size` field disagrees with the bytes it spans.
    #[error("NEW_FUN_EXT at offset {at} declares {declared} bytes but spans {actual}")]
    FunSize {
        at: usize,
        declared: usize,
        actual: usize,
    },
    /// A `COMPRESSED` term that is not valid zlib or does not inflate to one whole term
    /// of its declared size.
    #[error("compressed term: {0}")]
    Compressed(String),
    /// Some map had the same key twice (OTP refuses such terms; eetf would drop entries).
    #[error("maps declare {declared} entries but only {distinct} have distinct keys")]
    DuplicateMapKeys { declared: usize, distinct: usize },
    /// [`decode_exact`] found bytes after the term.
    #[error("{extra} trailing byte(s) after a {len}-byte term")]
    TrailingBytes { len: usize, extra: usize },
    /// eetf refused a term the scanner had accepted (a bug here, not in the peer).
    #[error("eetf failed on a checked term: {0}")]
    Decode(String),
    /// The term cannot be encoded so that OTP would accept it.
    #[error("cannot encode term: {0}")]
    Encode(String),
}

/// Length in bytes of the version-prefixed (131) term at the start of `buf`, after
/// validating it. Err(Truncated) if buf is too short.
///
/// For a `COMPRESSED` term this inflates it (within [`MAX_INFLATED_BYTES`]) to check it.
pub fn term_len(buf: &[u8]) -> Result<usize, EtfError> {
    check(buf, Limits::LOCAL).map(|c| c.len)
}

/// Validate then decode one 131-prefixed term from the front of `buf`; returns the term
/// and the bytes consumed.
pub fn decode(buf: &[u8]) -> Result<(Term, usize), EtfError> {
    decode_with(buf, Limits::LOCAL)
}

/// [`decode`] within `limits` (use [`Limits::WIRE`] for bytes from a peer).
pub fn decode_with(buf: &[u8], limits: Limits) -> Result<(Term, usize), EtfError> {
    // The commonest whole term first.
    if let [VERSION, SMALL_INTEGER_EXT, b, ..] = *buf {
        return Ok((Term::FixInteger(eetf::FixInteger::from(i32::from(b))), 3));
    }
    // Small integers, floats, short atoms and binaries need no separate check.
    if buf.first() == Some(&VERSION) {
        let mut builder = Builder {
            buf,
            pos: 1,
            map_entries: 0,
            atoms: AtomTable::EMPTY,
            atom_text: usize::MAX,
        };
        // Nor do tuples, lists and maps of such leaves.
        if let Some(term) = builder.one_pass() {
            return Ok((term, builder.pos));
        }
    }
    let checked = check(buf, limits)?;
    let src: &[u8] = match &checked.inflated {
        Some(inflated) => inflated,
        None => buf.get(..checked.len).ok_or(EtfError::Truncated {
            needed: checked.len,
            at: 0,
        })?,
    };
    let term = build(src, checked.facts)?;
    Ok((term, checked.len))
}

/// What a message's atom cache references (`ATOM_CACHE_REF`) stand for: the atoms in
/// reference order, shared atoms in reference order, or the reference order's slots in
/// a connection's cache.
#[derive(Clone, Copy, Debug)]
pub enum AtomTable<'a> {
    /// The atoms themselves.
    List(&'a [Atom]),
    /// Atoms shared with a connection's cache (what a checked message keeps).
    Shared(&'a [Arc<Atom>]),
    /// Slot per reference, into a cache's slots, and the length in bytes of the longest
    /// of their atoms.
    Slots {
        refs: &'a [u16],
        cache: &'a [Option<Arc<Atom>>],
        longest: usize,
    },
}

impl<'a> AtomTable<'a> {
    /// No references.
    pub const EMPTY: AtomTable<'static> = AtomTable::List(&[]);

    /// Number of references.
    pub fn len(&self) -> usize {
        match self {
            AtomTable::List(l) => l.len(),
            AtomTable::Shared(l) => l.len(),
            AtomTable::Slots { refs, .. } => refs.len(),
        }
    }

    /// No references at all.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The atom reference `index` stands for.
    #[inline]
    pub fn get(&self, index: usize) -> Option<&'a Atom> {
        match *self {
            AtomTable::List(l) => l.get(index),
            AtomTable::Shared(l) => l.get(index).map(|a| &**a),
            AtomTable::Slots { refs, cache, .. } => {
                cache.get(usize::from(*refs.get(index)?))?.as_deref()
            }
        }
    }

    /// The length in bytes of the longest atom of the table.
    pub fn longest(&self) -> usize {
        match *self {
            AtomTable::Slots { longest, .. } => longest,
            AtomTable::List(l) => l.iter().map(|a| a.name.len()).max().unwrap_or(0),
            AtomTable::Shared(l) => l.iter().map(|a| a.name.len()).max().unwrap_or(0),
        }
    }

    /// The atoms, owned (each a copy of its text).
    pub fn to_vec(&self) -> Vec<Atom> {
        (0..self.len())
            .filter_map(|i| self.get(i).cloned())
            .collect()
    }

    /// The first `n` atoms (at most [`AtomTable::len`]), shared: a pointer each, the
    /// text not copied (atoms of a [`AtomTable::List`] are copied once into their own
    /// `Arc`). `None` if one of them is missing.
    pub fn to_shared(&self, n: usize) -> Option<Vec<Arc<Atom>>> {
        let n = n.min(self.len());
        let mut out = Vec::with_capacity(n);
        for i in 0..n {
            out.push(match *self {
                AtomTable::List(l) => Arc::new(l.get(i)?.clone()),
                AtomTable::Shared(l) => l.get(i)?.clone(),
                AtomTable::Slots { refs, cache, .. } => {
                    cache.get(usize::from(*refs.get(i)?))?.clone()?
                }
            });
        }
        Some(out)
    }
}

impl<'a> From<&'a [Atom]> for AtomTable<'a> {
    fn from(l: &'a [Atom]) -> Self {
        AtomTable::List(l)
    }
}

impl<'a> From<&'a Vec<Atom>> for AtomTable<'a> {
    fn from(l: &'a Vec<Atom>) -> Self {
        AtomTable::List(l)
    }
}

impl<'a> From<&'a [Arc<Atom>]> for AtomTable<'a> {
    fn from(l: &'a [Arc<Atom>]) -> Self {
        AtomTable::Shared(l)
    }
}

impl<'a> From<&'a Vec<Arc<Atom>>> for AtomTable<'a> {
    fn from(l: &'a Vec<Arc<Atom>>) -> Self {
        AtomTable::Shared(l)
    }
}

/// Validate then decode one term written after a distribution header (no version byte)
/// from the front of `buf`, its atom cache references indexing `atoms`; returns the
/// term and the bytes consumed.
pub fn decode_in(buf: &[u8], atoms: AtomTable<'_>) -> Result<(Term, usize), EtfError> {
    let mut unlimited = usize::MAX;
    decode_in_within(buf, atoms, &mut unlimited)
}

/// [`decode_in`], copying at most `*atom_text` bytes of atom text from atom cache
/// references (each reference built is a copy of its atom's text); what it copied is
/// taken off `*atom_text`. Past it the term is refused ([`EtfError::TooLarge`]), so
/// that a few bytes of references cannot stand for much more memory than they took.
pub fn decode_in_within(
    buf: &[u8],
    atoms: AtomTable<'_>,
    atom_text: &mut usize,
) -> Result<(Term, usize), EtfError> {
    let mut builder = Builder {
        buf,
        pos: 0,
        map_entries: 0,
        atoms,
        atom_text: *atom_text,
    };
    if let Some(term) = builder.one_pass() {
        *atom_text = builder.atom_text;
        return Ok((term, builder.pos));
    }
    let checked = check_in(buf, 0, atoms, *atom_text)?;
    let src = buf.get(..checked.len).ok_or(EtfError::Truncated {
        needed: checked.len,
        at: 0,
    })?;
    let term = build_in(src, 0, checked.facts, atoms)?;
    *atom_text = atom_text.saturating_sub(checked.facts.atom_text);
    Ok((term, checked.len))
}

/// Builds the term that fills `src` (131 first), which [`check`] has accepted with `facts`.
fn build(src: &[u8], facts: Facts) -> Result<Term, EtfError> {
    build_in(src, 1, facts, AtomTable::EMPTY)
}

/// Builds the term that fills `src` from `start` on, which the scanner has accepted with
/// `facts`; atom cache references index `atoms`.
fn build_in(
    src: &[u8],
    start: usize,
    facts: Facts,
    atoms: AtomTable<'_>,
) -> Result<Term, EtfError> {
    let mut builder = Builder {
        buf: src,
        pos: start,
        map_entries: 0,
        atoms,
        // Checked: what it copies is within what the check allowed.
        atom_text: usize::MAX,
    };
    let term = builder.term()?;
    if builder.pos != src.len() {
        return Err(EtfError::Decode(format!(
            "built a term of {} bytes from a checked term of {}",
            builder.pos,
            src.len()
        )));
    }
    if facts.has_multi_entry_map {
        let distinct = builder.map_entries;
        if distinct != facts.map_entries {
            return Err(EtfError::DuplicateMapKeys {
                declared: facts.map_entries,
                distinct,
            });
        }
    }
    Ok(term)
}

/// One whole term whose bytes have been checked and kept, to be built later: a
/// connection's reader checks a message, and the process receiving it builds it.
///
/// Building can still fail on a map with duplicate keys, which only building sees;
/// no other error is possible for checked bytes.
#[derive(Clone, PartialEq, Eq)]
pub struct CheckedTerm {
    /// 131 and the term (inflated if it came compressed).
    bytes: Box<[u8]>,
    facts: Facts,
    /// The atoms its atom cache references (`ATOM_CACHE_REF`) stand for (none if it
    /// uses none): shared with the connection's cache, so a message waiting in a
    /// mailbox holds a pointer per reference of its header, not the atoms' text.
    atoms: Box<[Arc<Atom>]>,
}

impl CheckedTerm {
    /// Checks that `buf` holds exactly one term, and keeps a copy of it.
    pub fn check_exact(buf: &[u8]) -> Result<CheckedTerm, EtfError> {
        Self::check_exact_with(buf, Limits::LOCAL)
    }

    /// [`CheckedTerm::check_exact`] within `limits`.
    pub fn check_exact_with(buf: &[u8], limits: Limits) -> Result<CheckedTerm, EtfError> {
        let checked = check(buf, limits)?;
        if checked.len != buf.len() {
            return Err(EtfError::TrailingBytes {
                len: checked.len,
                extra: buf.len() - checked.len,
            });
        }
        let bytes = match checked.inflated {
            Some(inflated) => inflated.into_boxed_slice(),
            None => buf.into(),
        };
        Ok(CheckedTerm {
            bytes,
            facts: checked.facts,
            atoms: Box::default(),
        })
    }

    /// Checks that `buf` holds exactly one term written after a distribution header
    /// (no version byte), whose atom cache references index `atoms`, and keeps a copy.
    pub fn check_exact_in(buf: &[u8], atoms: AtomTable<'_>) -> Result<CheckedTerm, EtfError> {
        let mut unlimited = usize::MAX;
        Self::check_exact_in_within(buf, atoms, &mut unlimited)
    }

    /// [`CheckedTerm::check_exact_in`] for a term whose building may copy at most
    /// `*atom_text` bytes of atom text from atom cache references (what it will copy is
    /// taken off `*atom_text`), as [`decode_in_within`].
    pub fn check_exact_in_within(
        buf: &[u8],
        atoms: AtomTable<'_>,
        atom_text: &mut usize,
    ) -> Result<CheckedTerm, EtfError> {
        let checked = check_in(buf, 0, atoms, *atom_text)?;
        if checked.len != buf.len() {
            return Err(EtfError::TrailingBytes {
                len: checked.len,
                extra: buf.len() - checked.len,
            });
        }
        let shared = if checked.facts.atom_refs {
            atoms
                .to_shared(usize::MAX)
                .ok_or_else(|| unchecked("atom cache reference to a missing atom", 0))?
                .into_boxed_slice()
        } else {
            Box::default()
        };
        let mut bytes = Vec::with_capacity(buf.len() + 1);
        bytes.push(VERSION);
        bytes.extend_from_slice(buf);
        *atom_text = atom_text.saturating_sub(checked.facts.atom_text);
        Ok(CheckedTerm {
            bytes: bytes.into_boxed_slice(),
            facts: checked.facts,
            atoms: shared,
        })
    }

    /// Builds the term.
    pub fn build(&self) -> Result<Term, EtfError> {
        let mut builder = Builder {
            buf: &self.bytes,
            pos: 1,
            map_entries: 0,
            atoms: AtomTable::Shared(&self.atoms),
            atom_text: usize::MAX,
        };
        match builder.one_pass() {
            Some(term) if builder.pos == self.bytes.len() => Ok(term),
            _ => build_in(&self.bytes, 1, self.facts, AtomTable::Shared(&self.atoms)),
        }
    }

    /// The term's bytes, 131 first (inflated if it came compressed).
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// Bytes this term holds, itself included: its bytes and a pointer per atom cache
    /// reference kept (the atoms are shared with the connection's cache, and counted
    /// there).
    pub fn held_bytes(&self) -> usize {
        std::mem::size_of::<Self>()
            + self.bytes.len()
            + std::mem::size_of_val::<[Arc<Atom>]>(&self.atoms)
    }
}

impl std::fmt::Debug for CheckedTerm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "CheckedTerm({} bytes)", self.bytes.len())
    }
}

/// Decode exactly one term filling all of `buf` (error on trailing bytes).
pub fn decode_exact(buf: &[u8]) -> Result<Term, EtfError> {
    let (term, len) = decode(buf)?;
    if len != buf.len() {
        return Err(EtfError::TrailingBytes {
            len,
            extra: buf.len() - len,
        });
    }
    Ok(term)
}

/// Append 131 + the encoding of `term` to `out`.
///
/// On error `out` is left as it was.
pub fn encode(term: &Term, out: &mut Vec<u8>) -> Result<(), EtfError> {
    encode_with(term, out, true)
}

/// Append the encoding of `term` without the version byte, as terms are written after
/// a distribution header. On error `out` is left as it was.
pub fn encode_bare(term: &Term, out: &mut Vec<u8>) -> Result<(), EtfError> {
    encode_with(term, out, false)
}

fn encode_with(term: &Term, out: &mut Vec<u8>, version: bool) -> Result<(), EtfError> {
    let v = usize::from(!version);
    // The commonest whole terms, in one write each.
    match term {
        Term::FixInteger(i) => {
            match u8::try_from(i.value) {
                Ok(b) => out.extend_from_slice(&[VERSION, SMALL_INTEGER_EXT, b][v..]),
                Err(_) => {
                    let [a, b, c, d] = i.value.to_be_bytes();
                    out.extend_from_slice(&[VERSION, INTEGER_EXT, a, b, c, d][v..]);
                }
            }
            return Ok(());
        }
        Term::Binary(bin) => {
            if let Ok(len) = u32::try_from(bin.bytes.len()) {
                let [a, b, c, d] = len.to_be_bytes();
                out.reserve(6 + bin.bytes.len());
                out.extend_from_slice(&[VERSION, BINARY_EXT, a, b, c, d][v..]);
                out.extend_from_slice(&bin.bytes);
                return Ok(());
            }
        }
        _ => {}
    }
    let start = out.len();
    if version {
        out.push(VERSION);
    }
    let result = enc_term(term, out, 1);
    if result.is_err() {
        out.truncate(start);
    }
    result
}

/// The encoding of `term`, 131 first.
pub fn to_vec(term: &Term) -> Result<Vec<u8>, EtfError> {
    let mut out = Vec::new();
    encode(term, &mut out)?;
    Ok(out)
}

mod build;
mod check;
mod encode;
mod order;

use build::*;
use check::*;
pub(crate) use encode::fields;
pub use encode::with_atom_cache;
use encode::*;
pub use order::MapOrders;

#[cfg(test)]
mod tests;
