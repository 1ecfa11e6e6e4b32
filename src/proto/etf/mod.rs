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
//! [`encode`] does not use eetf's encoder, which silently writes wrong bytes for some
//! values a caller can build: a `List` such as `[-1, 2]` (negative numbers are cast to
//! bytes and sent as a string), a `ByteList` over 65535 bytes (its 16-bit length
//! wraps), and it panics on `BitBinary` tail sizes of 0 or over 8. Ours writes the same
//! tags OTP 25 uses with `UTF8_ATOMS` and returns [`EtfError::Encode`] for values OTP
//! would refuse (atoms over 255 characters, NaN and infinities, old `FUN_EXT` funs,
//! references with more than 5 words, inconsistent bit binaries).

use std::io::Read as _;

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

const WHY_ATOM_CACHE: &str =
    "atom cache reference: peer uses DIST_HDR_ATOM_CACHE which we did not negotiate";
const WHY_DIST_HEADER: &str = "distribution header (DIST_HDR_ATOM_CACHE / FRAGMENTS framing) where a term was expected; we did not negotiate it";
const WHY_FRAGMENT: &str =
    "distribution fragment header where a term was expected; we did not negotiate FRAGMENTS";
const WHY_NESTED_COMPRESSED: &str =
    "compressed term inside a term (only allowed right after the version byte)";
const WHY_UNKNOWN: &str = "unknown external term format tag";

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
    check(buf).map(|c| c.len)
}

/// Validate then decode one 131-prefixed term from the front of `buf`; returns the term
/// and the bytes consumed.
pub fn decode(buf: &[u8]) -> Result<(Term, usize), EtfError> {
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
        };
        // Nor do tuples, lists and maps of such leaves.
        if let Some(term) = builder.one_pass() {
            return Ok((term, builder.pos));
        }
    }
    let checked = check(buf)?;
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

/// Builds the term that fills `src` (131 first), which [`check`] has accepted with `facts`.
fn build(src: &[u8], facts: Facts) -> Result<Term, EtfError> {
    let mut builder = Builder {
        buf: src,
        pos: 1,
        map_entries: 0,
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
}

impl CheckedTerm {
    /// Checks that `buf` holds exactly one term, and keeps a copy of it.
    pub fn check_exact(buf: &[u8]) -> Result<CheckedTerm, EtfError> {
        let checked = check(buf)?;
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
        })
    }

    /// Builds the term.
    pub fn build(&self) -> Result<Term, EtfError> {
        let mut builder = Builder {
            buf: &self.bytes,
            pos: 1,
            map_entries: 0,
        };
        match builder.one_pass() {
            Some(term) if builder.pos == self.bytes.len() => Ok(term),
            _ => build(&self.bytes, self.facts),
        }
    }

    /// The term's bytes, 131 first (inflated if it came compressed).
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes
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
    // The commonest whole terms, in one write each.
    match term {
        Term::FixInteger(i) => {
            match u8::try_from(i.value) {
                Ok(b) => out.extend_from_slice(&[VERSION, SMALL_INTEGER_EXT, b]),
                Err(_) => {
                    let [a, b, c, d] = i.value.to_be_bytes();
                    out.extend_from_slice(&[VERSION, INTEGER_EXT, a, b, c, d]);
                }
            }
            return Ok(());
        }
        Term::Binary(bin) => {
            if let Ok(len) = u32::try_from(bin.bytes.len()) {
                let [a, b, c, d] = len.to_be_bytes();
                out.reserve(6 + bin.bytes.len());
                out.extend_from_slice(&[VERSION, BINARY_EXT, a, b, c, d]);
                out.extend_from_slice(&bin.bytes);
                return Ok(());
            }
        }
        _ => {}
    }
    let start = out.len();
    out.push(VERSION);
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

// ---------------------------------------------------------------------------
// Checking
// ---------------------------------------------------------------------------

/// What the scanner learnt about a term besides its length.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
struct Facts {
    /// Sum of the declared sizes of all maps.
    map_entries: usize,
    /// Some map declares two or more entries (so keys could collide).
    has_multi_entry_map: bool,
}

struct Checked {
    /// Bytes of `buf` the term takes.
    len: usize,
    /// For a compressed term: 131 followed by the inflated bytes.
    inflated: Option<Vec<u8>>,
    facts: Facts,
}

/// Validates the term at the front of `buf` without building it.
fn check(buf: &[u8]) -> Result<Checked, EtfError> {
    let (&version, _) = buf
        .split_first()
        .ok_or(EtfError::Truncated { needed: 1, at: 0 })?;
    if version != VERSION {
        return Err(EtfError::BadVersion(version));
    }
    let &tag = buf.get(1).ok_or(EtfError::Truncated { needed: 1, at: 1 })?;
    match tag {
        COMPRESSED => check_compressed(buf),
        DISTRIBUTION_HEADER => Err(EtfError::UnsupportedTag {
            tag,
            at: 1,
            why: WHY_DIST_HEADER,
        }),
        DIST_FRAG_HEADER => Err(EtfError::UnsupportedTag {
            tag,
            at: 1,
            why: WHY_FRAGMENT,
        }),
        _ => {
            let mut scanner = Scanner::new(buf);
            scanner.pos = 1;
            scanner.term()?;
            Ok(Checked {
                len: scanner.pos,
                inflated: None,
                facts: scanner.facts,
            })
        }
    }
}

/// `131, 80, UncompressedSize:32, zlib data`: inflates within the declared size, then
/// checks that the inflated bytes are exactly one term.
fn check_compressed(buf: &[u8]) -> Result<Checked, EtfError> {
    use flate2::{Decompress, FlushDecompress, Status};

    let size_field: [u8; 4] = buf
        .get(2..6)
        .and_then(|s| s.try_into().ok())
        .ok_or(EtfError::Truncated { needed: 4, at: 2 })?;
    let declared = u32::from_be_bytes(size_field) as usize;
    if declared > MAX_INFLATED_BYTES {
        return Err(EtfError::TooLarge {
            what: "declared uncompressed size",
            len: declared,
            limit: MAX_INFLATED_BYTES,
        });
    }
    let input = buf.get(6..).unwrap_or_default();
    // The version byte, the declared bytes, and one more to notice a stream that
    // inflates past its declared size.
    let cap = declared + 2;
    let mut out: Vec<u8> = Vec::with_capacity(cap.min(64 * 1024));
    out.push(VERSION);
    let mut z = Decompress::new(true);
    loop {
        if out.len() == out.capacity() {
            if out.len() >= cap {
                return Err(EtfError::Compressed(format!(
                    "inflates to more than the declared {declared} bytes"
                )));
            }
            out.reserve_exact(out.len().min(cap - out.len()));
        }
        let (in_before, out_before) = (z.total_in(), z.total_out());
        let consumed = usize::try_from(in_before).unwrap_or(usize::MAX);
        let rest = input.get(consumed..).unwrap_or_default();
        let status = z
            .decompress_vec(rest, &mut out, FlushDecompress::None)
            .map_err(|e| EtfError::Compressed(format!("bad zlib data: {e}")))?;
        if matches!(status, Status::StreamEnd) {
            break;
        }
        if z.total_in() == in_before && z.total_out() == out_before {
            if rest.is_empty() {
                return Err(EtfError::Truncated {
                    needed: 1,
                    at: buf.len(),
                });
            }
            return Err(EtfError::Compressed("zlib stream made no progress".into()));
        }
    }
    let inflated = out.len() - 1;
    if inflated != declared {
        return Err(EtfError::Compressed(format!(
            "declares {declared} uncompressed bytes but inflates to {inflated}"
        )));
    }
    let consumed = usize::try_from(z.total_in()).unwrap_or(usize::MAX);
    let len = consumed.saturating_add(6);
    if len > MAX_TERM_BYTES {
        return Err(EtfError::TooLarge {
            what: "term",
            len,
            limit: MAX_TERM_BYTES,
        });
    }
    let mut scanner = Scanner::new(&out);
    scanner.pos = 1;
    match scanner.term() {
        Ok(()) => {}
        Err(EtfError::Truncated { needed, at }) => {
            return Err(EtfError::Compressed(format!(
                "inflated data ends inside the term ({needed} byte(s) needed at offset {at})"
            )));
        }
        Err(e) => return Err(e),
    }
    if scanner.pos != out.len() {
        return Err(EtfError::Compressed(format!(
            "{} byte(s) left over after the inflated term",
            out.len() - scanner.pos
        )));
    }
    let facts = scanner.facts;
    Ok(Checked {
        len,
        inflated: Some(out),
        facts,
    })
}

/// How many `SMALL_INTEGER_EXT` / `INTEGER_EXT` terms (at most `max`) follow offset
/// `pos` of `buf`, and the offset after them.
fn count_ints(buf: &[u8], mut pos: usize, max: usize) -> (usize, usize) {
    let mut count = 0;
    while count < max {
        match buf.get(pos..) {
            Some([SMALL_INTEGER_EXT, _, ..]) => pos += 2,
            Some([INTEGER_EXT, _, _, _, _, ..]) => pos += 5,
            _ => break,
        }
        count += 1;
    }
    (count, pos)
}

/// A container being scanned: how many terms it still holds, and for a
/// `NEW_FUN_EXT` what to check when they are done.
#[derive(Debug, Clone, Copy)]
struct Level {
    remaining: usize,
    fun: Option<FunEnd>,
}

impl Level {
    const EMPTY: Level = Level {
        remaining: 0,
        fun: None,
    };
}

#[derive(Debug, Clone, Copy)]
struct FunEnd {
    /// Offset of the tag.
    at: usize,
    /// Offset of the `Size` field.
    size_at: usize,
    declared: usize,
}

/// Levels of the scanner's stack kept inline; deeper ones go to the heap.
const INLINE_LEVELS: usize = 6;

/// The scanner's stack of open containers: everyday terms need no allocation.
struct Levels {
    inline: [Level; INLINE_LEVELS],
    spill: Vec<Level>,
    len: usize,
}

impl Levels {
    fn new() -> Self {
        Levels {
            inline: [Level::EMPTY; INLINE_LEVELS],
            spill: Vec::new(),
            len: 0,
        }
    }

    fn top_mut(&mut self) -> Option<&mut Level> {
        let i = self.len.checked_sub(1)?;
        if i < INLINE_LEVELS {
            self.inline.get_mut(i)
        } else {
            self.spill.get_mut(i - INLINE_LEVELS)
        }
    }

    fn push(&mut self, level: Level) {
        if let Some(slot) = self.inline.get_mut(self.len) {
            *slot = level;
        } else {
            self.spill.push(level);
        }
        self.len += 1;
    }

    fn pop(&mut self) {
        if self.len > INLINE_LEVELS {
            self.spill.pop();
        }
        self.len = self.len.saturating_sub(1);
    }
}

/// Walks one encoded term without building it.
struct Scanner<'a> {
    buf: &'a [u8],
    pos: usize,
    terms: usize,
    facts: Facts,
}

impl<'a> Scanner<'a> {
    fn new(buf: &'a [u8]) -> Self {
        Scanner {
            buf,
            pos: 0,
            terms: 0,
            facts: Facts::default(),
        }
    }

    /// Checks that `n` more bytes are there (and within the size limit), without
    /// consuming them.
    fn need(&self, n: usize) -> Result<(), EtfError> {
        let end = self.pos.saturating_add(n);
        if end > MAX_TERM_BYTES {
            return Err(EtfError::TooLarge {
                what: "term",
                len: end,
                limit: MAX_TERM_BYTES,
            });
        }
        if end > self.buf.len() {
            return Err(EtfError::Truncated {
                needed: n,
                at: self.pos,
            });
        }
        Ok(())
    }

    /// Checks that `count` items of at least `min_size` bytes each can follow, before
    /// anyone loops over (or allocates for) them.
    fn need_items(&self, count: usize, min_size: usize) -> Result<(), EtfError> {
        self.need(count.saturating_mul(min_size))
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8], EtfError> {
        self.need(n)?;
        let end = self.pos + n;
        let bytes = self.buf.get(self.pos..end).ok_or(EtfError::Truncated {
            needed: n,
            at: self.pos,
        })?;
        self.pos = end;
        Ok(bytes)
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], EtfError> {
        let at = self.pos;
        self.take(N)?
            .try_into()
            .map_err(|_| EtfError::Truncated { needed: N, at })
    }

    fn u8(&mut self) -> Result<u8, EtfError> {
        let [b] = self.array::<1>()?;
        Ok(b)
    }

    fn u16(&mut self) -> Result<usize, EtfError> {
        Ok(usize::from(u16::from_be_bytes(self.array()?)))
    }

    fn u32(&mut self) -> Result<usize, EtfError> {
        let v = u32::from_be_bytes(self.array()?);
        usize::try_from(v).map_err(|_| EtfError::TooLarge {
            what: "length",
            len: usize::MAX,
            limit: MAX_TERM_BYTES,
        })
    }

    /// One complete term (with everything nested in it), starting at `self.pos`.
    ///
    /// Iterative, with an explicit stack of open containers: in debug builds a
    /// recursive version needs several KiB of stack per level.
    fn term(&mut self) -> Result<(), EtfError> {
        // The bottom level is the whole term; each one above it a container open inside.
        let mut stack = Levels::new();
        stack.push(Level {
            remaining: 1,
            fun: None,
        });
        loop {
            let depth = stack.len;
            let Some(level) = stack.top_mut() else {
                return Ok(());
            };
            if level.remaining == 0 {
                if let Some(fun) = level.fun.take() {
                    self.end_fun(fun)?;
                }
                stack.pop();
                if stack.len == 0 {
                    return Ok(());
                }
                continue;
            }
            // The term about to be read is at nesting level `depth`.
            if depth > MAX_DEPTH {
                return Err(EtfError::TooDeep { limit: MAX_DEPTH });
            }
            // Runs of integers (lists and tuples of numbers) skip the general path.
            let run = self.int_run(level.remaining);
            if run > 0 {
                level.remaining -= run;
                continue;
            }
            level.remaining -= 1;
            let open = self.head()?;
            if open.remaining > 0 || open.fun.is_some() {
                stack.push(open);
            }
        }
    }

    /// Skips up to `max` consecutive `SMALL_INTEGER_EXT` / `INTEGER_EXT` terms and
    /// returns how many. It stops short of the size and term-count limits, leaving the
    /// term that would cross one to [`Scanner::head`] and its error.
    fn int_run(&mut self, max: usize) -> usize {
        let max = max.min(MAX_TERMS.saturating_sub(self.terms));
        let end = self.buf.len().min(MAX_TERM_BYTES);
        let buf = self.buf.get(..end).unwrap_or_default();
        let (count, pos) = count_ints(buf, self.pos, max);
        self.terms += count;
        self.pos = pos;
        count
    }

    /// Reads one term's tag and fixed part; for a container, says how many terms
    /// follow inside it (which the caller then reads).
    fn head(&mut self) -> Result<Level, EtfError> {
        self.terms += 1;
        if self.terms > MAX_TERMS {
            return Err(EtfError::TooLarge {
                what: "number of terms",
                len: self.terms,
                limit: MAX_TERMS,
            });
        }
        let at = self.pos;
        let tag = self.u8()?;
        let leaf = match tag {
            SMALL_INTEGER_EXT => self.take(1).map(drop),
            INTEGER_EXT => self.take(4).map(drop),
            NEW_FLOAT_EXT => {
                let value = f64::from_be_bytes(self.array()?);
                if value.is_finite() {
                    Ok(())
                } else {
                    Err(EtfError::Invalid {
                        what: "float",
                        at,
                        why: "NaN or infinity",
                    })
                }
            }
            FLOAT_EXT => self.old_float(at),
            ATOM_EXT | SMALL_ATOM_EXT | ATOM_UTF8_EXT | SMALL_ATOM_UTF8_EXT => {
                self.atom_body(tag, at)
            }
            PID_EXT | NEW_PID_EXT => self.pid_body(tag),
            PORT_EXT => self.node_then(4 + 1),
            NEW_PORT_EXT => self.node_then(4 + 4),
            V4_PORT_EXT => self.node_then(8 + 4),
            REFERENCE_EXT => self.node_then(4 + 1),
            NEW_REFERENCE_EXT | NEWER_REFERENCE_EXT => {
                let words = self.u16()?;
                self.need_items(words, 4)?;
                let creation = if tag == NEW_REFERENCE_EXT { 1 } else { 4 };
                self.node_then(creation + 4 * words)
            }
            SMALL_TUPLE_EXT => {
                let arity = usize::from(self.u8()?);
                return self.children(arity, 1);
            }
            LARGE_TUPLE_EXT => {
                let arity = self.u32()?;
                return self.children(arity, 1);
            }
            NIL_EXT => Ok(()),
            STRING_EXT => {
                let len = self.u16()?;
                self.take(len).map(drop)
            }
            LIST_EXT => {
                let len = self.u32()?;
                // The elements, then the tail.
                return self.children(len.saturating_add(1), 1);
            }
            BINARY_EXT => {
                let len = self.u32()?;
                self.take(len).map(drop)
            }
            BIT_BINARY_EXT => {
                let len = self.u32()?;
                let bits = self.u8()?;
                if (bits == 0) != (len == 0) || bits > 8 {
                    return Err(EtfError::BadBits { at, len, bits });
                }
                self.take(len).map(drop)
            }
            SMALL_BIG_EXT => {
                let len = usize::from(self.u8()?);
                self.big_body(len, at)
            }
            LARGE_BIG_EXT => {
                let len = self.u32()?;
                if len > MAX_BIG_BYTES {
                    return Err(EtfError::TooLarge {
                        what: "big integer (bytes)",
                        len,
                        limit: MAX_BIG_BYTES,
                    });
                }
                self.big_body(len, at)
            }
            MAP_EXT => {
                let arity = self.u32()?;
                self.need_items(arity, 2)?;
                self.facts.map_entries = self.facts.map_entries.saturating_add(arity);
                if arity >= 2 {
                    self.facts.has_multi_entry_map = true;
                }
                return self.children(arity.saturating_mul(2), 1);
            }
            EXPORT_EXT => {
                self.atom()?;
                self.atom()?;
                self.arity()
            }
            FUN_EXT => {
                let free = self.u32()?;
                self.need_items(free, 1)?;
                self.pid()?;
                self.atom()?;
                self.fix_integer()?;
                self.fix_integer()?;
                return self.children(free, 1);
            }
            NEW_FUN_EXT => return self.new_fun(at),
            ATOM_CACHE_REF => Err(EtfError::UnsupportedTag {
                tag,
                at,
                why: WHY_ATOM_CACHE,
            }),
            DISTRIBUTION_HEADER => Err(EtfError::UnsupportedTag {
                tag,
                at,
                why: WHY_DIST_HEADER,
            }),
            COMPRESSED => Err(EtfError::UnsupportedTag {
                tag,
                at,
                why: WHY_NESTED_COMPRESSED,
            }),
            _ => Err(EtfError::UnsupportedTag {
                tag,
                at,
                why: WHY_UNKNOWN,
            }),
        };
        leaf.map(|()| Level::EMPTY)
    }

    /// A container holding `count` terms, each at least `min_size` bytes.
    fn children(&self, count: usize, min_size: usize) -> Result<Level, EtfError> {
        self.need_items(count, min_size)?;
        Ok(Level {
            remaining: count,
            fun: None,
        })
    }

    /// `FLOAT_EXT`: 31 bytes of `printf("%.20e")` text, NUL padded.
    fn old_float(&mut self, at: usize) -> Result<(), EtfError> {
        let text = self.take(31)?;
        let invalid = |why| EtfError::Invalid {
            what: "FLOAT_EXT float",
            at,
            why,
        };
        let end = text.iter().position(|&b| b == 0).unwrap_or(text.len());
        let digits = text.get(..end).unwrap_or_default();
        if text.get(end..).unwrap_or_default().iter().any(|&b| b != 0) {
            return Err(invalid("text after the NUL padding"));
        }
        let value: f64 = std::str::from_utf8(digits)
            .ok()
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| invalid("not a decimal float"))?;
        if !value.is_finite() {
            return Err(invalid("NaN or infinity"));
        }
        Ok(())
    }

    /// The rest of an atom whose tag (at `at`) has been read.
    fn atom_body(&mut self, tag: u8, at: usize) -> Result<(), EtfError> {
        let len = match tag {
            ATOM_EXT | ATOM_UTF8_EXT => self.u16()?,
            _ => usize::from(self.u8()?),
        };
        let name = self.take(len)?;
        if matches!(tag, ATOM_EXT | SMALL_ATOM_EXT) {
            // Latin-1: one byte per character.
            if len > MAX_ATOM_CHARS {
                return Err(EtfError::TooLarge {
                    what: "atom (characters)",
                    len,
                    limit: MAX_ATOM_CHARS,
                });
            }
        } else {
            let text = std::str::from_utf8(name).map_err(|_| EtfError::Invalid {
                what: "atom",
                at,
                why: "not UTF-8",
            })?;
            // No more characters than bytes: short atoms need no count.
            let chars = if len <= MAX_ATOM_CHARS {
                len
            } else {
                text.chars().count()
            };
            if chars > MAX_ATOM_CHARS {
                return Err(EtfError::TooLarge {
                    what: "atom (characters)",
                    len: chars,
                    limit: MAX_ATOM_CHARS,
                });
            }
        }
        Ok(())
    }

    /// An atom in a spot where only an atom may be (a pid's node, a fun's module...).
    fn atom(&mut self) -> Result<(), EtfError> {
        let at = self.pos;
        let tag = self.u8()?;
        match tag {
            ATOM_EXT | SMALL_ATOM_EXT | ATOM_UTF8_EXT | SMALL_ATOM_UTF8_EXT => {
                self.atom_body(tag, at)
            }
            ATOM_CACHE_REF => Err(EtfError::UnsupportedTag {
                tag,
                at,
                why: WHY_ATOM_CACHE,
            }),
            _ => Err(EtfError::UnexpectedTag {
                tag,
                at,
                expected: "an atom",
            }),
        }
    }

    /// A node atom followed by `rest` fixed bytes (ports and references).
    fn node_then(&mut self, rest: usize) -> Result<(), EtfError> {
        self.atom()?;
        self.take(rest).map(drop)
    }

    fn pid_body(&mut self, tag: u8) -> Result<(), EtfError> {
        let creation = if tag == PID_EXT { 1 } else { 4 };
        self.node_then(4 + 4 + creation)
    }

    fn pid(&mut self) -> Result<(), EtfError> {
        let at = self.pos;
        let tag = self.u8()?;
        match tag {
            PID_EXT | NEW_PID_EXT => self.pid_body(tag),
            _ => Err(EtfError::UnexpectedTag {
                tag,
                at,
                expected: "a pid",
            }),
        }
    }

    /// A 32-bit integer where eetf wants one (a fun's index and uniq).
    fn fix_integer(&mut self) -> Result<(), EtfError> {
        let at = self.pos;
        match self.u8()? {
            SMALL_INTEGER_EXT => self.take(1).map(drop),
            INTEGER_EXT => self.take(4).map(drop),
            tag => Err(EtfError::UnexpectedTag {
                tag,
                at,
                expected: "a small integer",
            }),
        }
    }

    /// An export fun's arity: an integer in 0..=255.
    fn arity(&mut self) -> Result<(), EtfError> {
        let at = self.pos;
        match self.u8()? {
            SMALL_INTEGER_EXT => self.take(1).map(drop),
            INTEGER_EXT => {
                let value = i32::from_be_bytes(self.array()?);
                if (0..=255).contains(&value) {
                    Ok(())
                } else {
                    Err(EtfError::Invalid {
                        what: "fun arity",
                        at,
                        why: "not in 0..=255",
                    })
                }
            }
            tag => Err(EtfError::UnexpectedTag {
                tag,
                at,
                expected: "an arity (small integer)",
            }),
        }
    }

    fn big_body(&mut self, len: usize, at: usize) -> Result<(), EtfError> {
        let sign = self.u8()?;
        if sign > 1 {
            return Err(EtfError::Invalid {
                what: "big integer",
                at,
                why: "sign byte is not 0 or 1",
            });
        }
        self.take(len).map(drop)
    }

    /// `NEW_FUN_EXT`: Size:32 (counting itself), Arity:8, Uniq:16 bytes, Index:32,
    /// NumFree:32, Module, OldIndex, OldUniq, Pid, free variables.
    fn new_fun(&mut self, at: usize) -> Result<Level, EtfError> {
        let size_at = self.pos;
        let declared = self.u32()?;
        self.take(1 + 16 + 4)?;
        let free = self.u32()?;
        self.need_items(free, 1)?;
        self.atom()?;
        self.fix_integer()?;
        self.fix_integer()?;
        self.pid()?;
        Ok(Level {
            remaining: free,
            fun: Some(FunEnd {
                at,
                size_at,
                declared,
            }),
        })
    }

    /// After a `NEW_FUN_EXT`'s free variables: checks its `Size`, and in the rewriting
    /// pass writes the new one.
    fn end_fun(&mut self, fun: FunEnd) -> Result<(), EtfError> {
        let FunEnd {
            at,
            size_at,
            declared,
        } = fun;
        let actual = self.pos - size_at;
        if actual != declared {
            return Err(EtfError::FunSize {
                at,
                declared,
                actual,
            });
        }
        Ok(())
    }
}

// ---------------------------------------------------------------------------
// Building
// ---------------------------------------------------------------------------

/// Why the builder failed on bytes the scanner accepted: a bug here, not in the peer.
fn unchecked(what: &str, at: usize) -> EtfError {
    EtfError::Decode(format!("{what} at offset {at} of a checked term"))
}

/// A container being built: its elements so far and how many are still to come.
enum Open {
    Tuple {
        elements: Vec<Term>,
        remaining: usize,
    },
    /// A `LIST_EXT`: `remaining` elements, then the tail.
    List {
        elements: Vec<Term>,
        remaining: usize,
    },
    Map {
        map: std::collections::HashMap<Term, Term>,
        key: Option<Term>,
        remaining: usize,
    },
    /// A fun whose free variables are being read.
    Fun {
        fun: Option<Box<InternalFun>>,
        remaining: usize,
    },
}

impl Open {
    /// Adds one finished term; returns the container's term once it is complete.
    fn add(&mut self, value: Term, map_entries: &mut usize) -> Option<Term> {
        match self {
            Open::Tuple {
                elements,
                remaining,
            } => {
                elements.push(value);
                *remaining -= 1;
                (*remaining == 0).then(|| Term::Tuple(eetf::Tuple::from(std::mem::take(elements))))
            }
            Open::List {
                elements,
                remaining,
            } => {
                if *remaining > 0 {
                    elements.push(value);
                    *remaining -= 1;
                    return None;
                }
                let elements = std::mem::take(elements);
                Some(match value {
                    Term::List(tail) if tail.elements.is_empty() => {
                        Term::List(eetf::List::from(elements))
                    }
                    last => Term::ImproperList(eetf::ImproperList {
                        elements,
                        last: Box::new(last),
                    }),
                })
            }
            Open::Map {
                map,
                key,
                remaining,
            } => {
                match key.take() {
                    None => {
                        *key = Some(value);
                        return None;
                    }
                    Some(k) => {
                        map.insert(k, value);
                        *remaining -= 1;
                    }
                }
                if *remaining > 0 {
                    return None;
                }
                let map = std::mem::take(map);
                *map_entries = map_entries.saturating_add(map.len());
                Some(Term::Map(eetf::Map { map }))
            }
            Open::Fun { fun, remaining } => {
                let (InternalFun::New { free_vars, .. } | InternalFun::Old { free_vars, .. }) =
                    &mut **fun.as_mut()?;
                free_vars.push(value);
                *remaining -= 1;
                if *remaining > 0 {
                    return None;
                }
                fun.take().map(Term::InternalFun)
            }
        }
    }
}

/// What reading one tag gave: a whole term, or a container to fill.
enum Head {
    Done(Term),
    Open(Open),
}

/// Turns a checked term into a [`Term`]. It never recurses and never panics; as the
/// scanner has accepted the bytes, its errors can only come from a bug in this module.
struct Builder<'a> {
    buf: &'a [u8],
    pos: usize,
    /// Entries in all finished maps (fewer than declared means duplicate keys).
    map_entries: usize,
}

impl<'a> Builder<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], EtfError> {
        let end = self.pos.saturating_add(n);
        let bytes = self
            .buf
            .get(self.pos..end)
            .ok_or_else(|| unchecked("term ends early", self.pos))?;
        self.pos = end;
        Ok(bytes)
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], EtfError> {
        let at = self.pos;
        self.take(N)?
            .try_into()
            .map_err(|_| unchecked("short field", at))
    }

    fn u8(&mut self) -> Result<u8, EtfError> {
        let at = self.pos;
        let b = *self
            .buf
            .get(at)
            .ok_or_else(|| unchecked("term ends early", at))?;
        self.pos += 1;
        Ok(b)
    }

    fn u16(&mut self) -> Result<usize, EtfError> {
        Ok(usize::from(u16::from_be_bytes(self.array()?)))
    }

    fn u32(&mut self) -> Result<u32, EtfError> {
        Ok(u32::from_be_bytes(self.array()?))
    }

    fn len32(&mut self) -> Result<usize, EtfError> {
        let at = self.pos;
        usize::try_from(self.u32()?).map_err(|_| unchecked("length over usize", at))
    }

    fn atom(&mut self) -> Result<Atom, EtfError> {
        let tag = self.u8()?;
        self.atom_body(tag)
    }

    fn atom_body(&mut self, tag: u8) -> Result<Atom, EtfError> {
        let at = self.pos;
        let len = match tag {
            ATOM_EXT | ATOM_UTF8_EXT => self.u16()?,
            SMALL_ATOM_EXT | SMALL_ATOM_UTF8_EXT => usize::from(self.u8()?),
            _ => return Err(unchecked("not an atom", at)),
        };
        let bytes = self.take(len)?;
        let latin1 = matches!(tag, ATOM_EXT | SMALL_ATOM_EXT);
        let name = if latin1 && !bytes.is_ascii() {
            bytes.iter().map(|&b| char::from(b)).collect()
        } else {
            // UTF-8, or ASCII, which reads the same either way.
            std::str::from_utf8(bytes)
                .map_err(|_| unchecked("atom is not UTF-8", at))?
                .to_owned()
        };
        Ok(Atom { name })
    }

    fn pid_body(&mut self, tag: u8) -> Result<Pid, EtfError> {
        let node = self.atom()?;
        let id = self.u32()?;
        let serial = self.u32()?;
        let creation = if tag == PID_EXT {
            u32::from(self.u8()?)
        } else {
            self.u32()?
        };
        Ok(Pid {
            node,
            id,
            serial,
            creation,
        })
    }

    fn pid(&mut self) -> Result<Pid, EtfError> {
        let tag = self.u8()?;
        self.pid_body(tag)
    }

    /// `SMALL_INTEGER_EXT` or `INTEGER_EXT`.
    fn fix_integer(&mut self) -> Result<i32, EtfError> {
        let at = self.pos;
        match self.u8()? {
            SMALL_INTEGER_EXT => Ok(i32::from(self.u8()?)),
            INTEGER_EXT => Ok(i32::from_be_bytes(self.array()?)),
            _ => Err(unchecked("not a small integer", at)),
        }
    }

    /// The whole term at `self.pos`.
    fn term(&mut self) -> Result<Term, EtfError> {
        // Containers still open around the current one; flat terms never use it.
        let mut stack: Vec<Open> = Vec::new();
        loop {
            let mut value = match self.head()? {
                Head::Done(term) => term,
                Head::Open(mut open) => match self.fill(&mut open) {
                    Some(done) => done,
                    None => {
                        stack.push(open);
                        continue;
                    }
                },
            };
            // Hand the value to the innermost open container, closing those it completes.
            loop {
                let Some(top) = stack.last_mut() else {
                    return Ok(value);
                };
                match top.add(value, &mut self.map_entries) {
                    None => break,
                    Some(done) => {
                        stack.pop();
                        value = done;
                    }
                }
            }
        }
    }

    /// Reads the everyday leaves (small integers, floats, short atoms, binaries, `[]`)
    /// of a tuple, list or map straight into it, and stops at anything else. Returns
    /// the finished term when that was all it held (a list's tail being `[]`).
    fn fill(&mut self, open: &mut Open) -> Option<Term> {
        let (elements, remaining) = match open {
            Open::Tuple {
                elements,
                remaining,
            }
            | Open::List {
                elements,
                remaining,
            } => (elements, remaining),
            Open::Map {
                map,
                key,
                remaining,
            } => {
                while *remaining > 0 {
                    let k = self.simple_leaf()?;
                    let Some(v) = self.simple_leaf() else {
                        *key = Some(k);
                        return None;
                    };
                    map.insert(k, v);
                    *remaining -= 1;
                }
                let map = std::mem::take(map);
                self.map_entries = self.map_entries.saturating_add(map.len());
                return Some(Term::Map(eetf::Map { map }));
            }
            Open::Fun { .. } => return None,
        };
        while *remaining > 0 {
            let run = self.int_run(elements, *remaining);
            if run > 0 {
                *remaining -= run;
                continue;
            }
            elements.push(self.simple_leaf()?);
            *remaining -= 1;
        }
        match open {
            Open::Tuple { elements, .. } => {
                Some(Term::Tuple(eetf::Tuple::from(std::mem::take(elements))))
            }
            // A list is complete if its tail is `[]`; any other tail is read as a term.
            Open::List { elements, .. } if self.buf.get(self.pos) == Some(&NIL_EXT) => {
                self.pos += 1;
                Some(Term::List(eetf::List::from(std::mem::take(elements))))
            }
            _ => None,
        }
    }

    /// A tuple, list or map of nothing but the leaves [`Builder::fill`] reads, built in
    /// one pass. Everything it reads is checked (so it may run on unchecked bytes), and
    /// no vector or map is sized past what the bytes can hold. Nothing if the term is
    /// anything else, or is over a limit, or is a map with duplicate keys: then
    /// [`decode`] checks the term in full, and any error comes from there.
    fn flat_container(&mut self) -> Option<Term> {
        let rest = self.buf.get(self.pos..)?;
        if rest.len() > MAX_TERM_BYTES {
            return None;
        }
        let be = |a, b, c, d| usize::try_from(u32::from_be_bytes([a, b, c, d])).ok();
        let (tag, header, count) = match *rest {
            [SMALL_TUPLE_EXT, n, ..] => (SMALL_TUPLE_EXT, 2, usize::from(n)),
            [tag @ (LARGE_TUPLE_EXT | LIST_EXT | MAP_EXT), a, b, c, d, ..] => {
                (tag, 5, be(a, b, c, d)?)
            }
            _ => return None,
        };
        // Every element takes at least one byte; a map's pair two, and a list has a tail.
        let terms = if tag == MAP_EXT {
            count.checked_mul(2)?
        } else {
            count
        };
        if terms > rest.len() - header || terms >= MAX_TERMS - 1 {
            return None;
        }
        self.pos += header;
        let mut open = match tag {
            MAP_EXT => Open::Map {
                map: std::collections::HashMap::with_capacity(count),
                key: None,
                remaining: count,
            },
            LIST_EXT => Open::List {
                elements: Vec::with_capacity(count),
                remaining: count,
            },
            _ => Open::Tuple {
                elements: Vec::with_capacity(count),
                remaining: count,
            },
        };
        match self.fill(&mut open)? {
            Term::Map(m) if m.map.len() != count => None,
            term => Some(term),
        }
    }

    /// Appends the run of up to `max` integers at `self.pos` to `elements`; returns
    /// how many there were.
    ///
    /// The run is counted first so that `extend` over an exact-length iterator can
    /// write each `Term` straight into the vector: pushing them one at a time builds
    /// each on the stack first and stalls on the copy (store forwarding).
    fn int_run(&mut self, elements: &mut Vec<Term>, max: usize) -> usize {
        let buf = self.buf;
        let (count, end) = count_ints(buf, self.pos, max);
        if count == 0 {
            return 0;
        }
        let mut pos = self.pos;
        self.pos = end;
        elements.extend((0..count).map(|_| {
            let value = match buf.get(pos..) {
                Some(&[INTEGER_EXT, a, b, c, d, ..]) => {
                    pos += 5;
                    i32::from_be_bytes([a, b, c, d])
                }
                Some(&[_, b, ..]) => {
                    pos += 2;
                    i32::from(b)
                }
                // Not reached: these bytes were just counted as integers.
                _ => 0,
            };
            Term::FixInteger(eetf::FixInteger { value })
        }));
        count
    }

    /// The term at `self.pos` if one checked pass builds it: a simple leaf, or a
    /// tuple, list or map of them; else nothing is consumed.
    fn one_pass(&mut self) -> Option<Term> {
        match self.simple_leaf() {
            Some(term) => Some(term),
            None => self.flat_container(),
        }
    }

    /// The leaf at `self.pos` if it is one of the common, simple kinds; else nothing
    /// is consumed. It checks all it reads, so it may run on unchecked bytes.
    fn simple_leaf(&mut self) -> Option<Term> {
        let rest = self.buf.get(self.pos..)?;
        let (term, used) = match *rest {
            [SMALL_INTEGER_EXT, b, ..] => {
                (Term::FixInteger(eetf::FixInteger::from(i32::from(b))), 2)
            }
            [INTEGER_EXT, a, b, c, d, ..] => (
                Term::FixInteger(eetf::FixInteger::from(i32::from_be_bytes([a, b, c, d]))),
                5,
            ),
            [NEW_FLOAT_EXT, ..] => {
                let bytes: [u8; 8] = rest.get(1..9)?.try_into().ok()?;
                let value = f64::from_be_bytes(bytes);
                if !value.is_finite() {
                    return None;
                }
                (Term::Float(eetf::Float { value }), 9)
            }
            [NIL_EXT, ..] => (Term::List(eetf::List::nil()), 1),
            [SMALL_ATOM_UTF8_EXT, len, ..] => {
                let name = std::str::from_utf8(rest.get(2..2 + usize::from(len))?).ok()?;
                (
                    Term::Atom(Atom {
                        name: name.to_owned(),
                    }),
                    2 + usize::from(len),
                )
            }
            [BINARY_EXT, a, b, c, d, ..] => {
                let len = usize::try_from(u32::from_be_bytes([a, b, c, d])).ok()?;
                if len > MAX_TERM_BYTES {
                    return None;
                }
                let bytes = rest.get(5..5usize.checked_add(len)?)?;
                (Term::Binary(eetf::Binary::from(bytes.to_vec())), 5 + len)
            }
            _ => return None,
        };
        self.pos += used;
        Some(term)
    }

    /// One tag and its fixed part.
    fn head(&mut self) -> Result<Head, EtfError> {
        let at = self.pos;
        let tag = self.u8()?;
        let term = match tag {
            SMALL_INTEGER_EXT => Term::FixInteger(eetf::FixInteger::from(i32::from(self.u8()?))),
            INTEGER_EXT => {
                Term::FixInteger(eetf::FixInteger::from(i32::from_be_bytes(self.array()?)))
            }
            NEW_FLOAT_EXT => Term::Float(eetf::Float {
                value: f64::from_be_bytes(self.array()?),
            }),
            FLOAT_EXT => {
                let text = self.take(31)?;
                let end = text.iter().position(|&b| b == 0).unwrap_or(text.len());
                let value = std::str::from_utf8(text.get(..end).unwrap_or_default())
                    .ok()
                    .and_then(|s| s.parse::<f64>().ok())
                    .ok_or_else(|| unchecked("bad FLOAT_EXT", at))?;
                Term::Float(eetf::Float { value })
            }
            ATOM_EXT | SMALL_ATOM_EXT | ATOM_UTF8_EXT | SMALL_ATOM_UTF8_EXT => {
                Term::Atom(self.atom_body(tag)?)
            }
            PID_EXT | NEW_PID_EXT => Term::Pid(self.pid_body(tag)?),
            PORT_EXT | NEW_PORT_EXT | V4_PORT_EXT => {
                let node = self.atom()?;
                let id = if tag == V4_PORT_EXT {
                    u64::from_be_bytes(self.array()?)
                } else {
                    u64::from(self.u32()?)
                };
                let creation = if tag == PORT_EXT {
                    u32::from(self.u8()?)
                } else {
                    self.u32()?
                };
                Term::Port(eetf::Port { node, id, creation })
            }
            REFERENCE_EXT => {
                let node = self.atom()?;
                let id = vec![self.u32()?];
                let creation = u32::from(self.u8()?);
                Term::Reference(Box::new(eetf::Reference { node, id, creation }))
            }
            NEW_REFERENCE_EXT | NEWER_REFERENCE_EXT => {
                let words = self.u16()?;
                let node = self.atom()?;
                let creation = if tag == NEW_REFERENCE_EXT {
                    u32::from(self.u8()?)
                } else {
                    self.u32()?
                };
                let id = (0..words).map(|_| self.u32()).collect::<Result<_, _>>()?;
                Term::Reference(Box::new(eetf::Reference { node, id, creation }))
            }
            SMALL_TUPLE_EXT | LARGE_TUPLE_EXT => {
                let arity = if tag == SMALL_TUPLE_EXT {
                    usize::from(self.u8()?)
                } else {
                    self.len32()?
                };
                if arity == 0 {
                    Term::Tuple(eetf::Tuple::from(Vec::new()))
                } else {
                    return Ok(Head::Open(Open::Tuple {
                        elements: Vec::with_capacity(arity),
                        remaining: arity,
                    }));
                }
            }
            NIL_EXT => Term::List(eetf::List::nil()),
            STRING_EXT => {
                let len = self.u16()?;
                Term::ByteList(eetf::ByteList::from(self.take(len)?.to_vec()))
            }
            LIST_EXT => {
                let len = self.len32()?;
                return Ok(Head::Open(Open::List {
                    elements: Vec::with_capacity(len),
                    remaining: len,
                }));
            }
            BINARY_EXT => {
                let len = self.len32()?;
                Term::Binary(eetf::Binary::from(self.take(len)?.to_vec()))
            }
            BIT_BINARY_EXT => {
                let len = self.len32()?;
                let bits = self.u8()?;
                let mut bytes = self.take(len)?.to_vec();
                // The wire has the tail bits in the high end of the last byte; eetf keeps
                // them in the low end.
                if let Some(last) = bytes.last_mut() {
                    *last = last.checked_shr(8 - u32::from(bits.min(8))).unwrap_or(0);
                }
                Term::BitBinary(eetf::BitBinary::from((bytes, bits)))
            }
            SMALL_BIG_EXT | LARGE_BIG_EXT => {
                let len = if tag == SMALL_BIG_EXT {
                    usize::from(self.u8()?)
                } else {
                    self.len32()?
                };
                self.take(1 + len)?;
                let slice = self.buf.get(at..self.pos).unwrap_or_default();
                Term::decode((&[VERSION][..]).chain(slice))
                    .map_err(|e| EtfError::Decode(format!("big integer at offset {at}: {e}")))?
            }
            MAP_EXT => {
                let arity = self.len32()?;
                let map = std::collections::HashMap::with_capacity(arity);
                if arity == 0 {
                    Term::Map(eetf::Map { map })
                } else {
                    return Ok(Head::Open(Open::Map {
                        map,
                        key: None,
                        remaining: arity,
                    }));
                }
            }
            EXPORT_EXT => {
                let module = self.atom()?;
                let function = self.atom()?;
                let arity = u8::try_from(self.fix_integer()?)
                    .map_err(|_| unchecked("fun arity out of range", at))?;
                Term::ExternalFun(Box::new(eetf::ExternalFun {
                    module,
                    function,
                    arity,
                }))
            }
            FUN_EXT => {
                let free = self.len32()?;
                let pid = self.pid()?;
                let module = self.atom()?;
                let index = self.fix_integer()?;
                let uniq = self.fix_integer()?;
                let fun = InternalFun::Old {
                    module,
                    pid,
                    free_vars: Vec::with_capacity(free),
                    index,
                    uniq,
                };
                return Ok(self.fun(fun, free));
            }
            NEW_FUN_EXT => {
                self.take(4)?; // Size, checked by the scanner.
                let arity = self.u8()?;
                let uniq = self.array::<16>()?;
                let index = self.u32()?;
                let free = self.len32()?;
                let module = self.atom()?;
                let old_index = self.fix_integer()?;
                let old_uniq = self.fix_integer()?;
                let pid = self.pid()?;
                let fun = InternalFun::New {
                    module,
                    arity,
                    pid,
                    free_vars: Vec::with_capacity(free),
                    index,
                    uniq,
                    old_index,
                    old_uniq,
                };
                return Ok(self.fun(fun, free));
            }
            _ => return Err(unchecked("unexpected tag", at)),
        };
        Ok(Head::Done(term))
    }

    fn fun(&self, fun: InternalFun, free: usize) -> Head {
        if free == 0 {
            Head::Done(Term::InternalFun(Box::new(fun)))
        } else {
            Head::Open(Open::Fun {
                fun: Some(Box::new(fun)),
                remaining: free,
            })
        }
    }
}

// ---------------------------------------------------------------------------
// Encoding
// ---------------------------------------------------------------------------

fn encode_error(msg: String) -> EtfError {
    EtfError::Encode(msg)
}

fn len32(len: usize, what: &str) -> Result<[u8; 4], EtfError> {
    u32::try_from(len)
        .map(u32::to_be_bytes)
        .map_err(|_| encode_error(format!("{what} of {len} elements does not fit 32 bits")))
}

/// What is left to write, innermost last.
enum Work<'t> {
    /// A term at a nesting level (the outermost term is level 1).
    Term(&'t Term, usize),
    /// A `NIL_EXT` closing a proper list.
    Nil,
    /// The end of a `NEW_FUN_EXT` whose `Size` field is at this offset.
    FunSize(usize),
}

/// Writes `term` without recursion (an explicit stack keeps deep terms off the call
/// stack), refusing terms nested deeper than [`MAX_DEPTH`].
fn enc_term(term: &Term, out: &mut Vec<u8>, depth: usize) -> Result<(), EtfError> {
    // A leaf term pushes no work, so allocates nothing here.
    let mut work = Vec::new();
    enc_one(term, depth, out, &mut work)?;
    while let Some(item) = work.pop() {
        match item {
            Work::Term(term, depth) => enc_one(term, depth, out, &mut work)?,
            Work::Nil => out.push(NIL_EXT),
            Work::FunSize(size_at) => {
                let size = len32(out.len() - size_at, "fun")?;
                if let Some(field) = out.get_mut(size_at..size_at + 4) {
                    field.copy_from_slice(&size);
                }
            }
        }
    }
    Ok(())
}

/// Writes one term's head; pushes what it contains onto `work` (last first).
fn enc_one<'t>(
    term: &'t Term,
    depth: usize,
    out: &mut Vec<u8>,
    work: &mut Vec<Work<'t>>,
) -> Result<(), EtfError> {
    if depth > MAX_DEPTH {
        return Err(EtfError::TooDeep { limit: MAX_DEPTH });
    }
    let inner = depth + 1;
    match term {
        Term::Atom(atom) => enc_atom(atom, out),
        Term::FixInteger(i) => {
            enc_int(i.value, out);
            Ok(())
        }
        Term::BigInteger(big) => {
            if let Ok(small) = i32::try_from(&big.value) {
                enc_int(small, out);
                return Ok(());
            }
            let negative = big.value < Default::default();
            let (_, digits) = big.value.to_bytes_le();
            match u8::try_from(digits.len()) {
                Ok(n) => out.extend_from_slice(&[SMALL_BIG_EXT, n]),
                Err(_) => {
                    out.push(LARGE_BIG_EXT);
                    out.extend_from_slice(&len32(digits.len(), "big integer")?);
                }
            }
            out.push(u8::from(negative));
            out.extend_from_slice(&digits);
            Ok(())
        }
        Term::Float(f) => enc_float(f.value, out),
        Term::Pid(pid) => enc_pid(pid, out),
        Term::Port(port) => {
            match u32::try_from(port.id) {
                Ok(id) => {
                    out.push(NEW_PORT_EXT);
                    enc_atom(&port.node, out)?;
                    out.extend_from_slice(&id.to_be_bytes());
                }
                Err(_) => {
                    out.push(V4_PORT_EXT);
                    enc_atom(&port.node, out)?;
                    out.extend_from_slice(&port.id.to_be_bytes());
                }
            }
            out.extend_from_slice(&port.creation.to_be_bytes());
            Ok(())
        }
        Term::Reference(reference) => enc_reference(reference, out),
        Term::ExternalFun(fun) => {
            out.push(EXPORT_EXT);
            enc_atom(&fun.module, out)?;
            enc_atom(&fun.function, out)?;
            out.extend_from_slice(&[SMALL_INTEGER_EXT, fun.arity]);
            Ok(())
        }
        Term::InternalFun(fun) => match &**fun {
            InternalFun::Old { module, .. } => Err(encode_error(format!(
                "old-style FUN_EXT fun (module {}); OTP 23 and later refuse it",
                module.name
            ))),
            InternalFun::New {
                module,
                arity,
                pid,
                free_vars,
                index,
                uniq,
                old_index,
                old_uniq,
            } => {
                out.push(NEW_FUN_EXT);
                let size_at = out.len();
                out.extend_from_slice(&[0; 4]);
                out.push(*arity);
                out.extend_from_slice(uniq);
                out.extend_from_slice(&index.to_be_bytes());
                out.extend_from_slice(&len32(free_vars.len(), "fun environment")?);
                enc_atom(module, out)?;
                enc_int(*old_index, out);
                enc_int(*old_uniq, out);
                enc_pid(pid, out)?;
                work.push(Work::FunSize(size_at));
                work.extend(free_vars.iter().rev().map(|v| Work::Term(v, inner)));
                Ok(())
            }
        },
        Term::Binary(bin) => enc_binary(&bin.bytes, out),
        Term::BitBinary(bits) => enc_bit_binary(&bits.bytes, bits.tail_bits_size, out),
        Term::ByteList(list) => {
            let bytes = &list.bytes;
            if bytes.is_empty() {
                out.push(NIL_EXT);
            } else if let Ok(len) = u16::try_from(bytes.len()) {
                out.push(STRING_EXT);
                out.extend_from_slice(&len.to_be_bytes());
                out.extend_from_slice(bytes);
            } else {
                // Too long for STRING_EXT: a plain list of small integers.
                out.push(LIST_EXT);
                out.extend_from_slice(&len32(bytes.len(), "list")?);
                for &b in bytes {
                    out.extend_from_slice(&[SMALL_INTEGER_EXT, b]);
                }
                out.push(NIL_EXT);
            }
            Ok(())
        }
        Term::List(list) => {
            let elements = &list.elements;
            if elements.is_empty() {
                out.push(NIL_EXT);
                return Ok(());
            }
            let as_byte = |t: &Term| match t {
                Term::FixInteger(i) => u8::try_from(i.value).ok(),
                _ => None,
            };
            if let Ok(len) = u16::try_from(elements.len())
                && elements.iter().all(|t| as_byte(t).is_some())
            {
                // OTP sends lists of bytes as STRING_EXT.
                out.push(STRING_EXT);
                out.extend_from_slice(&len.to_be_bytes());
                out.extend(elements.iter().filter_map(as_byte));
                return Ok(());
            }
            out.push(LIST_EXT);
            out.extend_from_slice(&len32(elements.len(), "list")?);
            if elements.iter().all(is_leaf) {
                enc_leaves(elements, inner, out, work)?;
                out.push(NIL_EXT);
                return Ok(());
            }
            work.push(Work::Nil);
            work.extend(elements.iter().rev().map(|e| Work::Term(e, inner)));
            Ok(())
        }
        Term::ImproperList(list) => {
            if list.elements.is_empty() {
                // `[ | Tail]` with no elements is just the tail.
                work.push(Work::Term(&list.last, depth));
                return Ok(());
            }
            out.push(LIST_EXT);
            out.extend_from_slice(&len32(list.elements.len(), "list")?);
            work.push(Work::Term(&list.last, inner));
            work.extend(list.elements.iter().rev().map(|e| Work::Term(e, inner)));
            Ok(())
        }
        Term::Tuple(tuple) => {
            let elements = &tuple.elements;
            match u8::try_from(elements.len()) {
                Ok(n) => out.extend_from_slice(&[SMALL_TUPLE_EXT, n]),
                Err(_) => {
                    out.push(LARGE_TUPLE_EXT);
                    out.extend_from_slice(&len32(elements.len(), "tuple")?);
                }
            }
            if elements.iter().all(is_leaf) {
                return enc_leaves(elements, inner, out, work);
            }
            work.extend(elements.iter().rev().map(|e| Work::Term(e, inner)));
            Ok(())
        }
        Term::Map(map) => {
            out.push(MAP_EXT);
            out.extend_from_slice(&len32(map.map.len(), "map")?);
            // Leaf pairs are written at once; from the first pair that is not,
            // the rest go on the work stack, each popped key first, then (after
            // the key's insides) its value. A map's pairs may come in any order.
            let mut pairs = map.map.iter();
            while let Some((key, value)) = pairs.next() {
                if is_leaf(key) && is_leaf(value) {
                    enc_leaf(key, inner, out, work)?;
                    enc_leaf(value, inner, out, work)?;
                    continue;
                }
                for (key, value) in std::iter::once((key, value)).chain(pairs) {
                    work.push(Work::Term(value, inner));
                    work.push(Work::Term(key, inner));
                }
                break;
            }
            Ok(())
        }
    }
}

/// Writes terms for which [`is_leaf`] holds, at nesting level `depth`, in order.
fn enc_leaves<'t>(
    terms: &'t [Term],
    depth: usize,
    out: &mut Vec<u8>,
    work: &mut Vec<Work<'t>>,
) -> Result<(), EtfError> {
    if depth > MAX_DEPTH {
        return Err(EtfError::TooDeep { limit: MAX_DEPTH });
    }
    out.reserve(terms.len() * 2);
    let mut rest = terms;
    while let Some((first, tail)) = rest.split_first() {
        match (first, tail.first()) {
            (Term::FixInteger(_), Some(Term::FixInteger(_))) => {}
            (Term::FixInteger(i), _) => {
                enc_int(i.value, out);
                rest = tail;
                continue;
            }
            _ => {
                enc_leaf(first, depth, out, work)?;
                rest = tail;
                continue;
            }
        }
        // The most common leaf: a run of integers is written into a small buffer on
        // the stack and appended in one go, rather than one append per integer.
        let mut chunk = [0u8; 5 * 32];
        let mut used = 0;
        while let Some((Term::FixInteger(i), tail)) = rest.split_first() {
            let Some(slot) = chunk.get_mut(used..used + 5) else {
                break;
            };
            used += match u8::try_from(i.value) {
                Ok(b) => {
                    slot[..2].copy_from_slice(&[SMALL_INTEGER_EXT, b]);
                    2
                }
                Err(_) => {
                    let [a, b, c, d] = i.value.to_be_bytes();
                    slot.copy_from_slice(&[INTEGER_EXT, a, b, c, d]);
                    5
                }
            };
            rest = tail;
        }
        out.extend_from_slice(&chunk[..used]);
    }
    Ok(())
}

/// [`enc_one`] for a leaf, with the commonest leaves (short atoms, small
/// integers) written here rather than through its general dispatch.
#[inline]
fn enc_leaf<'t>(
    term: &'t Term,
    depth: usize,
    out: &mut Vec<u8>,
    work: &mut Vec<Work<'t>>,
) -> Result<(), EtfError> {
    if depth <= MAX_DEPTH {
        match term {
            Term::Atom(atom) => {
                let name = atom.name.as_bytes();
                if let Ok(len) = u8::try_from(name.len()) {
                    out.reserve(2 + name.len());
                    out.extend_from_slice(&[SMALL_ATOM_UTF8_EXT, len]);
                    out.extend_from_slice(name);
                    return Ok(());
                }
            }
            Term::FixInteger(i) => {
                enc_int(i.value, out);
                return Ok(());
            }
            _ => return enc_other_leaf(term, depth, out, work),
        }
    }
    enc_one(term, depth, out, work)
}

/// The next commonest leaves (binaries, floats), kept out of [`enc_leaf`] so that
/// it stays small enough to inline.
#[inline(never)]
fn enc_other_leaf<'t>(
    term: &'t Term,
    depth: usize,
    out: &mut Vec<u8>,
    work: &mut Vec<Work<'t>>,
) -> Result<(), EtfError> {
    match term {
        Term::Binary(bin) => enc_binary(&bin.bytes, out),
        Term::Float(f) => enc_float(f.value, out),
        _ => enc_one(term, depth, out, work),
    }
}

fn enc_binary(bytes: &[u8], out: &mut Vec<u8>) -> Result<(), EtfError> {
    let [a, b, c, d] = len32(bytes.len(), "binary")?;
    out.reserve(5 + bytes.len());
    out.extend_from_slice(&[BINARY_EXT, a, b, c, d]);
    out.extend_from_slice(bytes);
    Ok(())
}

fn enc_float(value: f64, out: &mut Vec<u8>) -> Result<(), EtfError> {
    if !value.is_finite() {
        return Err(encode_error(format!(
            "float {value} is not finite; OTP has no NaN or infinity"
        )));
    }
    let mut bytes = [NEW_FLOAT_EXT; 9];
    bytes[1..].copy_from_slice(&value.to_be_bytes());
    out.extend_from_slice(&bytes);
    Ok(())
}

/// Does `enc_one` write this term whole, pushing no work? (Containers written
/// inline must hold only such terms, so that the output stays in order.)
fn is_leaf(term: &Term) -> bool {
    match term {
        Term::List(l) => l.elements.is_empty(),
        Term::Tuple(t) => t.elements.is_empty(),
        Term::Map(m) => m.map.is_empty(),
        Term::ImproperList(_) | Term::InternalFun(_) => false,
        _ => true,
    }
}

fn enc_int(value: i32, out: &mut Vec<u8>) {
    match u8::try_from(value) {
        Ok(b) => out.extend_from_slice(&[SMALL_INTEGER_EXT, b]),
        Err(_) => {
            out.push(INTEGER_EXT);
            out.extend_from_slice(&value.to_be_bytes());
        }
    }
}

fn enc_atom(atom: &Atom, out: &mut Vec<u8>) -> Result<(), EtfError> {
    let name = atom.name.as_bytes();
    // Never more characters than bytes: only long names need counting.
    if name.len() > MAX_ATOM_CHARS {
        let chars = atom.name.chars().count();
        if chars > MAX_ATOM_CHARS {
            return Err(encode_error(format!(
                "atom of {chars} characters; OTP allows at most {MAX_ATOM_CHARS}"
            )));
        }
    }
    match u8::try_from(name.len()) {
        Ok(len) => out.extend_from_slice(&[SMALL_ATOM_UTF8_EXT, len]),
        Err(_) => {
            // At most 255 characters of at most 4 bytes: fits in 16 bits.
            out.push(ATOM_UTF8_EXT);
            out.extend_from_slice(&(name.len() as u16).to_be_bytes());
        }
    }
    out.extend_from_slice(name);
    Ok(())
}

fn enc_reference(reference: &eetf::Reference, out: &mut Vec<u8>) -> Result<(), EtfError> {
    let words = reference.id.len();
    if words > MAX_REF_WORDS {
        return Err(encode_error(format!(
            "reference of {words} words; OTP accepts at most {MAX_REF_WORDS}"
        )));
    }
    out.push(NEWER_REFERENCE_EXT);
    out.extend_from_slice(&(words as u16).to_be_bytes());
    enc_atom(&reference.node, out)?;
    out.extend_from_slice(&reference.creation.to_be_bytes());
    for word in &reference.id {
        out.extend_from_slice(&word.to_be_bytes());
    }
    Ok(())
}

/// Writers of single fields without the version byte, for control tuples that
/// [`crate::proto::control`] writes field by field instead of building a tuple term.
pub(crate) mod fields {
    use super::*;

    /// `SMALL_TUPLE_EXT` with `arity` elements to follow.
    pub(crate) fn small_tuple(arity: u8, out: &mut Vec<u8>) {
        out.extend_from_slice(&[SMALL_TUPLE_EXT, arity]);
    }
    pub(crate) fn int(value: i32, out: &mut Vec<u8>) {
        enc_int(value, out);
    }
    pub(crate) fn atom(atom: &Atom, out: &mut Vec<u8>) -> Result<(), EtfError> {
        enc_atom(atom, out)
    }
    /// The empty atom `''` (the unused cookie field of SEND and REG_SEND).
    pub(crate) fn empty_atom(out: &mut Vec<u8>) {
        out.extend_from_slice(&[SMALL_ATOM_UTF8_EXT, 0]);
    }
    pub(crate) fn pid(pid: &Pid, out: &mut Vec<u8>) -> Result<(), EtfError> {
        enc_pid(pid, out)
    }
    pub(crate) fn reference(r: &eetf::Reference, out: &mut Vec<u8>) -> Result<(), EtfError> {
        enc_reference(r, out)
    }

    // Readers of single fields from unchecked bytes, for control tuples read field
    // by field. Each gives `None`, having consumed nothing that matters, when the
    // bytes are not the plain form expected; the caller then takes the general,
    // fully checked path, which reports what is wrong.

    fn reader(buf: &[u8], pos: usize) -> Builder<'_> {
        Builder {
            buf,
            pos,
            map_entries: 0,
        }
    }

    /// `SMALL_TUPLE_EXT`: its arity.
    pub(crate) fn read_small_tuple(buf: &[u8], pos: &mut usize) -> Option<u8> {
        match buf.get(*pos..*pos + 2)? {
            [SMALL_TUPLE_EXT, arity] => {
                *pos += 2;
                Some(*arity)
            }
            _ => None,
        }
    }

    /// `SMALL_INTEGER_EXT` or `INTEGER_EXT`.
    pub(crate) fn read_int(buf: &[u8], pos: &mut usize) -> Option<i32> {
        let mut r = reader(buf, *pos);
        let v = r.fix_integer().ok()?;
        *pos = r.pos;
        Some(v)
    }

    /// An atom of at most 255 bytes (so at most 255 characters, within OTP's limit).
    pub(crate) fn read_atom(buf: &[u8], pos: &mut usize) -> Option<Atom> {
        let len = match *buf.get(*pos..)? {
            [SMALL_ATOM_UTF8_EXT | SMALL_ATOM_EXT, len, ..] => usize::from(len),
            [ATOM_UTF8_EXT | ATOM_EXT, a, b, ..] => usize::from(u16::from_be_bytes([a, b])),
            _ => return None,
        };
        if len > MAX_ATOM_CHARS {
            return None;
        }
        let mut r = reader(buf, *pos);
        let atom = r.atom().ok()?;
        *pos = r.pos;
        Some(atom)
    }

    pub(crate) fn read_pid(buf: &[u8], pos: &mut usize) -> Option<Pid> {
        let mut r = reader(buf, *pos);
        let tag = r.u8().ok()?;
        if tag != NEW_PID_EXT && tag != PID_EXT {
            return None;
        }
        let mut node_at = r.pos;
        let node = read_atom(buf, &mut node_at)?;
        r.pos = node_at;
        let id = r.u32().ok()?;
        let serial = r.u32().ok()?;
        let creation = if tag == PID_EXT {
            u32::from(r.u8().ok()?)
        } else {
            r.u32().ok()?
        };
        *pos = r.pos;
        Some(Pid {
            node,
            id,
            serial,
            creation,
        })
    }

    /// `NEWER_REFERENCE_EXT` of at most 5 words.
    pub(crate) fn read_reference(buf: &[u8], pos: &mut usize) -> Option<eetf::Reference> {
        let mut r = reader(buf, *pos);
        if r.u8().ok()? != NEWER_REFERENCE_EXT {
            return None;
        }
        let words = r.u16().ok()?;
        if words > MAX_REF_WORDS {
            return None;
        }
        let mut node_at = r.pos;
        let node = read_atom(buf, &mut node_at)?;
        r.pos = node_at;
        let creation = r.u32().ok()?;
        let id = (0..words)
            .map(|_| r.u32().ok())
            .collect::<Option<Vec<u32>>>()?;
        *pos = r.pos;
        Some(eetf::Reference { node, id, creation })
    }
}

fn enc_pid(pid: &Pid, out: &mut Vec<u8>) -> Result<(), EtfError> {
    out.push(NEW_PID_EXT);
    enc_atom(&pid.node, out)?;
    out.extend_from_slice(&pid.id.to_be_bytes());
    out.extend_from_slice(&pid.serial.to_be_bytes());
    out.extend_from_slice(&pid.creation.to_be_bytes());
    Ok(())
}

fn enc_bit_binary(bytes: &[u8], tail_bits: u8, out: &mut Vec<u8>) -> Result<(), EtfError> {
    let Some((&last, whole)) = bytes.split_last() else {
        // An empty bit string; eetf's `BitBinary::from(Binary)` gives it 8 tail bits.
        if tail_bits != 0 && tail_bits != 8 {
            return Err(encode_error(format!(
                "empty bit binary with {tail_bits} tail bits"
            )));
        }
        out.extend_from_slice(&[BIT_BINARY_EXT, 0, 0, 0, 0, 0]);
        return Ok(());
    };
    if !(1..=8).contains(&tail_bits) {
        return Err(encode_error(format!(
            "bit binary with {tail_bits} tail bits (must be 1..=8)"
        )));
    }
    // eetf keeps the tail bits in the low end of the last byte; the wire has them
    // in the high end.
    if tail_bits < 8 && last >> tail_bits != 0 {
        return Err(encode_error(format!(
            "bit binary's last byte {last:#04x} has more than {tail_bits} bits"
        )));
    }
    out.push(BIT_BINARY_EXT);
    out.extend_from_slice(&len32(bytes.len(), "bit binary")?);
    out.push(tail_bits);
    out.extend_from_slice(whole);
    out.push(((u32::from(last) << (8 - u32::from(tail_bits))) & 0xFF) as u8);
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use eetf::{
        BigInteger, Binary, BitBinary, ByteList, ExternalFun, FixInteger, Float, ImproperList,
        List, Map, Port, Reference, Tuple,
    };

    use super::vectors as v;
    use super::*;

    // Pids, refs and ports in the vectors belong to `cap@vm`, creation 0x6B02F3AF.
    const CAP: &str = "cap@vm";
    const CAP_CREATION: u32 = 0x6B02_F3AF;

    fn atom(name: &str) -> Term {
        Term::from(Atom::from(name))
    }
    fn int(value: i32) -> Term {
        Term::from(FixInteger::from(value))
    }
    fn tuple(elements: Vec<Term>) -> Term {
        Term::from(Tuple::from(elements))
    }
    fn list(elements: Vec<Term>) -> Term {
        Term::from(List::from(elements))
    }
    fn nil() -> Term {
        Term::from(List::nil())
    }
    fn bin(bytes: &[u8]) -> Term {
        Term::from(Binary::from(bytes))
    }
    fn map(pairs: Vec<(Term, Term)>) -> Term {
        Term::from(Map::from(pairs.into_iter().collect::<HashMap<_, _>>()))
    }
    fn float(value: f64) -> Term {
        Term::from(Float { value })
    }
    fn bits(bytes: &[u8], tail_bits_size: u8) -> Term {
        Term::from(BitBinary::from((bytes.to_vec(), tail_bits_size)))
    }
    /// 2^exp as a big integer.
    fn pow2(exp: usize) -> Term {
        Term::from(BigInteger {
            value: BigInteger::from(1u64).value << exp,
        })
    }
    fn cap_pid(id: u32) -> Pid {
        Pid::new(CAP, id, 0, CAP_CREATION)
    }

    fn expect_ok(bytes: &[u8]) -> Term {
        match decode_exact(bytes) {
            Ok(term) => term,
            Err(e) => panic!("decode failed: {e}"),
        }
    }

    fn vector(name: &str) -> &'static [u8] {
        v::ALL
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, b)| *b)
            .unwrap()
    }

    /// `{a,1,<<"x">>,[1,2|3],#{k=>v},self(),make_ref(),1 bsl 100,1.5,fun erlang:node/0,<<1:3>>}`
    fn mixed(ref_word0: u32) -> Term {
        tuple(vec![
            atom("a"),
            int(1),
            bin(b"x"),
            Term::from(ImproperList::from((vec![int(1), int(2)], int(3)))),
            map(vec![(atom("k"), atom("v"))]),
            Term::from(cap_pid(9)),
            Term::from(Reference {
                node: Atom::from(CAP),
                id: vec![ref_word0, 0xAAD0_0002, 0x264A_69FE],
                creation: CAP_CREATION,
            }),
            pow2(100),
            float(1.5),
            Term::from(ExternalFun::from(("erlang", "node", 0))),
            bits(&[1], 3),
        ])
    }

    fn new_fun(term: &Term) -> (&str, u8, &[Term], u32, &Pid) {
        match term {
            Term::InternalFun(fun) => match &**fun {
                InternalFun::New {
                    module,
                    arity,
                    free_vars,
                    index,
                    pid,
                    ..
                } => (&module.name, *arity, free_vars, *index, pid),
                other => panic!("not a new fun: {other:?}"),
            },
            other => panic!("not a fun: {other:?}"),
        }
    }

    // ----- real vectors ---------------------------------------------------------

    #[test]
    fn real_vectors_decode_to_expected_terms() {
        assert_eq!(expect_ok(v::MIXED), mixed(0x0001_40B2));
        assert_eq!(expect_ok(v::MIXED_UTF8), mixed(0x0001_40B3));
        assert_eq!(expect_ok(v::STRING), Term::from(ByteList::from("hello")));
        assert_eq!(expect_ok(v::ATOM_LATIN1), atom("héllo"));
        assert_eq!(expect_ok(v::ATOM_LATIN1_UTF8), atom("héllo"));
        assert_eq!(expect_ok(v::ATOM_JP), atom("日本"));
        assert_eq!(expect_ok(v::ATOM_LATIN1_255), atom(&"é".repeat(255)));
        assert_eq!(
            expect_ok(v::OLD_FLOATS),
            list(vec![
                float(0.1),
                float(1.5),
                float(-2.5e-300),
                float(1.0e300)
            ])
        );
        let neg_2_64 = Term::from(BigInteger {
            value: -(BigInteger::from(1u64).value << 64usize),
        });
        assert_eq!(
            expect_ok(v::INTEGERS),
            list(vec![
                int(0),
                int(255),
                int(256),
                int(-1),
                int(i32::MAX),
                int(i32::MIN),
                Term::from(BigInteger::from(2_147_483_648i64)),
                neg_2_64,
                pow2(3000),
            ])
        );
        assert!(v::INTEGERS.contains(&LARGE_BIG_EXT));
        assert_eq!(expect_ok(v::BIG_LIST), list((1..=1000).map(int).collect()));
        assert_eq!(expect_ok(v::COMPRESSED_ATOMS), list(vec![atom("a"); 100]));
        assert_eq!(
            expect_ok(v::COMPRESSED_SEQ),
            list((1..=2000).map(int).collect())
        );
        assert_eq!(expect_ok(v::COMPRESSED_ZEROS), bin(&[0; 100_000]));
        assert_eq!(
            expect_ok(v::PORT),
            Term::from(Port {
                node: Atom::from(CAP),
                id: 0,
                creation: CAP_CREATION
            })
        );
        assert_eq!(
            expect_ok(v::REF_UTF8),
            Term::from(Reference {
                node: Atom::from(CAP),
                id: vec![0x0001_40B8, 0xAAD0_0002, 0x264A_69FE],
                creation: CAP_CREATION,
            })
        );
        assert_eq!(expect_ok(v::PID_UTF8), Term::from(cap_pid(9)));
        assert_eq!(
            expect_ok(v::LARGE_TUPLE),
            tuple((1..=300).map(int).collect())
        );
        assert_eq!(
            expect_ok(v::MAP_TUPLE_KEYS),
            map(vec![
                (tuple(vec![atom("a"), int(1)]), list(vec![atom("x")])),
                (tuple(vec![atom("b"), int(2)]), map(vec![])),
            ])
        );
        assert_eq!(
            expect_ok(v::BIG_MAP),
            map((1..=40).map(|i| (int(i), int(i * i))).collect())
        );
        assert_eq!(
            expect_ok(v::EMPTIES),
            tuple(vec![nil(), tuple(vec![]), bin(b""), map(vec![]), nil()])
        );
        assert_eq!(
            expect_ok(v::BITS),
            list(vec![bits(&[1], 3), bits(&[255, 7], 5), bin(&[1])])
        );
        let mut nested = nil();
        for _ in 0..9 {
            nested = list(vec![nested]);
        }
        assert_eq!(expect_ok(v::NESTED), nested);
        assert_eq!(expect_ok(v::NEG_STRINGISH), list(vec![int(-1), int(2)]));
        assert_eq!(
            expect_ok(v::SMALL_STRING_LIST),
            Term::from(ByteList::from(vec![1, 2, 255]))
        );
    }

    #[test]
    fn real_funs_decode() {
        let f1 = expect_ok(v::COMPILED_FUN);
        let (module, arity, free, index, pid) = new_fun(&f1);
        assert_eq!((module, arity, free, index), ("cap", 0, &[][..], 0));
        assert_eq!(pid, &cap_pid(9));

        let f2 = expect_ok(v::COMPILED_CLOSURE);
        let (module, arity, free, index, _) = new_fun(&f2);
        assert_eq!((module, arity, free, index), ("cap", 1, &[int(42)][..], 1));

        // A Latin-1 atom inside a fun: rewritten to UTF-8, so the fun's Size changes too.
        let f3 = expect_ok(v::FUN_LATIN1_FREE_VAR);
        let (module, arity, free, _, _) = new_fun(&f3);
        assert_eq!((module, arity), ("cap", 0));
        assert_eq!(free, &[atom(&"é".repeat(255))][..]);

        // erl_eval closure from `erl -eval`: one free variable, the OTP 25 6-tuple
        // {Line, Bindings, LocalHandler, ExternalHandler, UsedVars, Clauses}.
        let shell = expect_ok(v::SHELL_FUN);
        let (module, arity, free, _, _) = new_fun(&shell);
        assert_eq!((module, arity), ("erl_eval", 0));
        let clause = tuple(vec![
            atom("clause"),
            int(1),
            nil(),
            nil(),
            list(vec![tuple(vec![atom("integer"), int(1), int(1)])]),
        ]);
        assert_eq!(
            free,
            &[tuple(vec![
                int(1),
                nil(),
                atom("none"),
                atom("none"),
                map(vec![]),
                list(vec![clause]),
            ])][..]
        );

        // Elixir 1.14 `fn -> IO.inspect(Node.self()) end`, evaluated by erl_eval too.
        let ex = expect_ok(v::ELIXIR_FUN);
        let (module, arity, free, _, pid) = new_fun(&ex);
        assert_eq!((module, arity, free.len()), ("erl_eval", 0, 1));
        assert_eq!(pid.node.name, "capex@vm");
        let Term::Tuple(env) = &free[0] else {
            panic!("not a tuple: {:?}", free[0]);
        };
        assert_eq!(env.elements.len(), 6);
        let clauses = env.elements[5].to_string();
        assert!(clauses.contains("'Elixir.IO'") && clauses.contains("'Elixir.Node'"));
    }

    /// The builder gives exactly what eetf's own decoder gives, wherever eetf reads the
    /// real bytes right (it refuses Latin-1 atoms over 0x7F and narrows FLOAT_EXT).
    #[test]
    fn builder_agrees_with_eetf_on_every_real_vector() {
        let mut compared = 0;
        for (name, bytes) in v::ALL {
            if *name == "OLD_FLOATS" {
                continue;
            }
            let ours = expect_ok(bytes);
            match Term::decode(*bytes) {
                Ok(theirs) => {
                    assert_eq!(ours, theirs, "{name}");
                    compared += 1;
                }
                Err(_) => assert!(
                    name.contains("LATIN1") && *name != "ATOM_LATIN1_UTF8",
                    "eetf refused {name}"
                ),
            }
        }
        assert!(compared >= 20, "only {compared} vectors compared");
    }

    #[test]
    fn term_len_matches_every_vector_and_ignores_what_follows() {
        for (name, bytes) in v::ALL {
            assert_eq!(term_len(bytes).unwrap(), bytes.len(), "{name}");
            let mut longer = bytes.to_vec();
            longer.extend_from_slice(&[131, 97, 1]);
            let (term, len) = decode(&longer).unwrap();
            assert_eq!(len, bytes.len(), "{name}");
            assert_eq!(term, expect_ok(bytes), "{name}");
            assert!(matches!(
                decode_exact(&longer),
                Err(EtfError::TrailingBytes { extra: 3, .. })
            ));
        }
    }

    #[test]
    fn whole_integers_and_binaries_encode_as_otp_does() {
        // Bytes from OTP 25's term_to_binary/1 for 5, -1, 300, <<1,2,3>> and <<>>.
        for (term, otp) in [
            (int(5), &[131, 97, 5][..]),
            (int(-1), &[131, 98, 255, 255, 255, 255][..]),
            (int(300), &[131, 98, 0, 0, 1, 44][..]),
            (bin(&[1, 2, 3]), &[131, 109, 0, 0, 0, 3, 1, 2, 3][..]),
            (bin(&[]), &[131, 109, 0, 0, 0, 0][..]),
        ] {
            let mut out = vec![9];
            encode(&term, &mut out).unwrap();
            assert_eq!(&out[1..], otp, "{term}");
            assert_eq!(decode_exact(otp).unwrap(), term);
        }
    }

    #[test]
    fn integer_runs_encode_as_otp_does() {
        // OTP 25: term_to_binary([I*37 - 500 || I <- lists:seq(1,70)] ++ [<<"x">>, 7, 8]):
        // negative, byte-sized and larger integers in one run of more than one chunk,
        // then a binary, then a run of two.
        let otp: String = [
            "836C0000004962FFFFFE3162FFFFFE5662FFFFFE7B62FFFFFEA062FFFFFEC562FFFFFEEA62FFFFFF0F62FFFFFF3462FF",
            "FFFF5962FFFFFF7E62FFFFFFA362FFFFFFC862FFFFFFED61126137615C618161A661CB61F06200000115620000013A62",
            "0000015F620000018462000001A962000001CE62000001F36200000218620000023D6200000262620000028762000002",
            "AC62000002D162000002F6620000031B62000003406200000365620000038A62000003AF62000003D462000003F96200",
            "00041E62000004436200000468620000048D62000004B262000004D762000004FC62000005216200000546620000056B",
            "620000059062000005B562000005DA62000005FF62000006246200000649620000066E620000069362000006B8620000",
            "06DD62000007026200000727620000074C6200000771620000079662000007BB62000007E06200000805620000082A6D",
            "0000000178610761086A",
        ]
        .concat();
        let otp: Vec<u8> = (0..otp.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&otp[i..i + 2], 16).unwrap())
            .collect();
        let mut elements: Vec<Term> = (1..=70).map(|i| int(i * 37 - 500)).collect();
        elements.extend([bin(b"x"), int(7), int(8)]);
        let term = list(elements);
        assert_eq!(to_vec(&term).unwrap(), otp);
        assert_eq!(decode_exact(&otp).unwrap(), term);
    }

    #[test]
    fn checked_terms_build_what_decode_gives() {
        for (name, bytes) in v::ALL {
            let checked = CheckedTerm::check_exact(bytes).unwrap();
            assert_eq!(checked.build().unwrap(), expect_ok(bytes), "{name}");
            let mut longer = bytes.to_vec();
            longer.push(0);
            assert!(matches!(
                CheckedTerm::check_exact(&longer),
                Err(EtfError::TrailingBytes { extra: 1, .. })
            ));
            for cut in 0..bytes.len() {
                assert!(CheckedTerm::check_exact(&bytes[..cut]).is_err(), "{name}");
            }
        }
        // A compressed term is kept inflated.
        let inner = v::BIG_LIST;
        let packed = compressed((inner.len() - 1) as u32, &inner[1..]);
        let checked = CheckedTerm::check_exact(&packed).unwrap();
        assert_eq!(checked.as_bytes(), inner);
        assert_eq!(checked.build().unwrap(), expect_ok(inner));
        // Duplicate keys pass the check and are refused by building, flat or nested.
        for dup in [
            &[131, 116, 0, 0, 0, 2, 97, 1, 97, 2, 97, 1, 97, 3][..],
            &[131, 104, 1, 116, 0, 0, 0, 2, 97, 1, 106, 97, 1, 106][..],
        ] {
            assert!(decode(dup).is_err());
            let checked = CheckedTerm::check_exact(dup).unwrap();
            assert!(matches!(
                checked.build(),
                Err(EtfError::DuplicateMapKeys { .. })
            ));
        }
    }

    #[test]
    fn reencoded_vectors_decode_to_the_same_term() {
        for (name, bytes) in v::ALL {
            let term = expect_ok(bytes);
            let ours = to_vec(&term).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(expect_ok(&ours), term, "{name}");
        }
    }

    /// Maps whose leaf pairs are written inline and whose other pairs go through the
    /// work stack, in every order a `HashMap` may give them: each pair stays a pair.
    #[test]
    fn maps_mixing_leaf_and_nested_pairs_encode_whole() {
        let pairs = || {
            let mut pairs: Vec<(Term, Term)> = (0..12)
                .map(|i| (atom(&format!("k{i}")), int(i * 1000)))
                .collect();
            pairs.push((
                atom("t"),
                tuple(vec![atom("x"), list(vec![int(1), bin(b"ab")])]),
            ));
            pairs.push((tuple(vec![int(1), int(2)]), float(0.5)));
            pairs.push((bin(b"key"), map(vec![(int(1), list(vec![nil()]))])));
            pairs.push((int(-5), list(vec![])));
            pairs
        };
        // Each map gets its own hasher keys, so its own iteration order.
        for _ in 0..64 {
            let term = map(pairs());
            let bytes = to_vec(&term).unwrap();
            assert_eq!(expect_ok(&bytes), term);
            assert_eq!(Term::decode(&bytes[..]).unwrap(), term, "eetf reads it too");
        }
        // A map of leaf pairs at the depth limit: written only where it would be read.
        let mut verdicts = Vec::new();
        for wraps in [MAX_DEPTH - 3, MAX_DEPTH - 2, MAX_DEPTH - 1, MAX_DEPTH] {
            let mut term = map(vec![(atom("a"), int(1)), (int(2), bin(b"b"))]);
            for _ in 0..wraps {
                term = list(vec![term]);
            }
            let mut plain = Vec::new();
            term.encode(&mut plain).unwrap();
            let read = decode(&plain).is_ok();
            assert_eq!(to_vec(&term).is_ok(), read, "{wraps} lists deep");
            verdicts.push(read);
        }
        assert_eq!(verdicts, [true, true, false, false]);
    }

    /// OTP 25 with `{minor_version, 2}` (UTF-8 atoms, as on the distribution) picks
    /// the same tags as our encoder, so these come out byte for byte.
    #[test]
    fn reencoding_is_byte_identical_to_otp_where_otp_uses_utf8_atoms() {
        for name in [
            "MIXED_UTF8",
            "PID_UTF8",
            "REF_UTF8",
            "ATOM_LATIN1_UTF8",
            "ATOM_JP",
            "EMPTIES",
            "BITS",
            "NEG_STRINGISH",
            "SMALL_STRING_LIST",
            "STRING",
            "BIG_LIST",
            "LARGE_TUPLE",
            "INTEGERS",
            "NESTED",
        ] {
            let bytes = vector(name);
            assert_eq!(to_vec(&expect_ok(bytes)).unwrap(), bytes, "{name}");
        }
    }

    /// Writes each vector and our re-encoding of it to `$ETF_DUMP_DIR` so that a real
    /// node can check them; run with
    /// `ETF_DUMP_DIR=/tmp/etfdump cargo test --lib etf::tests::dump -- --ignored`, then
    /// in erl: for each NAME, `binary_to_term(Ours) =:= binary_to_term(Otp)`.
    #[test]
    #[ignore = "writes files for a manual check against erl"]
    fn dump_reencoded_vectors_for_erl() {
        let dir = std::env::var("ETF_DUMP_DIR").unwrap();
        std::fs::create_dir_all(&dir).unwrap();
        for (name, bytes) in v::ALL {
            let ours = to_vec(&expect_ok(bytes)).unwrap();
            std::fs::write(format!("{dir}/{name}.ours"), ours).unwrap();
            std::fs::write(format!("{dir}/{name}.otp"), bytes).unwrap();
        }
        // Encoder-only cases (no OTP original): erl must accept them.
        let mut deep = nil();
        for _ in 0..MAX_DEPTH - 1 {
            deep = list(vec![deep]);
        }
        let extras = [
            (
                "EXTRA_LONG_BYTELIST",
                Term::from(ByteList::from(vec![7; 70_000])),
            ),
            (
                "EXTRA_V4_PORT",
                Term::from(Port {
                    node: Atom::from(CAP),
                    id: 1 << 40,
                    creation: CAP_CREATION,
                }),
            ),
            ("EXTRA_WIDE_ATOM", atom(&"日".repeat(255))),
            (
                "EXTRA_EMPTY_BITS",
                Term::from(BitBinary::from(Binary::from(vec![]))),
            ),
            ("EXTRA_BIG_IN_I32", Term::from(BigInteger::from(-70_000))),
            ("EXTRA_DEEP", deep),
        ];
        for (name, term) in extras {
            std::fs::write(format!("{dir}/{name}.ours"), to_vec(&term).unwrap()).unwrap();
        }
    }

    // ----- hostile input --------------------------------------------------------

    #[test]
    fn every_prefix_of_every_vector_is_truncated() {
        for (name, bytes) in v::ALL {
            for cut in 0..bytes.len() {
                let prefix = &bytes[..cut];
                match term_len(prefix) {
                    Err(EtfError::Truncated { .. }) => {}
                    other => panic!("{name} cut at {cut}: {other:?}"),
                }
                assert!(decode(prefix).is_err(), "{name} cut at {cut}");
            }
        }
    }

    #[test]
    fn huge_u32_lengths_are_refused_before_allocating() {
        let ff = [255, 255, 255, 255];
        for tag in [
            LIST_EXT,
            LARGE_TUPLE_EXT,
            MAP_EXT,
            BINARY_EXT,
            LARGE_BIG_EXT,
            FUN_EXT,
        ] {
            let mut bytes = vec![131, tag];
            bytes.extend_from_slice(&ff);
            bytes.extend_from_slice(&[0, 97, 1, 106]);
            let err = decode(&bytes).unwrap_err();
            assert!(matches!(err, EtfError::TooLarge { .. }), "tag {tag}: {err}");
        }
        let err = decode(&[131, BIT_BINARY_EXT, 255, 255, 255, 255, 8, 0]).unwrap_err();
        assert!(matches!(err, EtfError::TooLarge { .. }), "{err}");
        let err = decode(&[131, COMPRESSED, 255, 255, 255, 255, 0x78, 0x9c]).unwrap_err();
        assert!(matches!(err, EtfError::TooLarge { .. }), "{err}");
        // 16-bit lengths past the end of the buffer are plain truncation.
        let err = decode(&[131, STRING_EXT, 255, 255, 1]).unwrap_err();
        assert!(matches!(err, EtfError::Truncated { .. }), "{err}");
        let err = decode(&[131, NEWER_REFERENCE_EXT, 255, 255, 119, 1, 97]).unwrap_err();
        assert!(matches!(err, EtfError::Truncated { .. }), "{err}");

        // NEW_FUN_EXT: NumFree and Size fields of a real fun set to 0xFFFFFFFF.
        let mut fun = v::COMPILED_FUN.to_vec();
        fun[27..31].copy_from_slice(&ff);
        let err = decode(&fun).unwrap_err();
        assert!(matches!(err, EtfError::TooLarge { .. }), "{err}");
        let mut fun = v::COMPILED_FUN.to_vec();
        fun[2..6].copy_from_slice(&ff);
        let err = decode(&fun).unwrap_err();
        assert!(matches!(err, EtfError::FunSize { .. }), "{err}");
    }

    #[test]
    fn atom_cache_refs_and_dist_headers_are_refused() {
        for bytes in [
            &[131, 82, 0][..],
            &[131, 104, 2, 97, 1, 82, 3],
            // A pid whose node is an atom cache reference.
            &[131, 88, 82, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0],
        ] {
            let err = decode(bytes).unwrap_err();
            assert!(
                matches!(err, EtfError::UnsupportedTag { tag: 82, .. }),
                "{err}"
            );
            assert!(err.to_string().contains("DIST_HDR_ATOM_CACHE"), "{err}");
        }
        for bytes in [&[131, 68, 0, 0][..], &[131, 104, 1, 68, 0]] {
            let err = decode(bytes).unwrap_err();
            assert!(
                matches!(err, EtfError::UnsupportedTag { tag: 68, .. }),
                "{err}"
            );
        }
        let err = decode(&[131, 69, 0, 0, 0, 0]).unwrap_err();
        assert!(matches!(err, EtfError::UnsupportedTag { tag: 69, .. }));
        let err = decode(&[131, 121, 0]).unwrap_err();
        assert!(matches!(err, EtfError::UnsupportedTag { tag: 121, .. }));
        assert!(matches!(
            decode(&[130, 97, 1]),
            Err(EtfError::BadVersion(130))
        ));
        assert!(matches!(
            decode(&[]),
            Err(EtfError::Truncated { needed: 1, at: 0 })
        ));
    }

    #[test]
    fn bit_binaries_need_one_to_eight_tail_bits() {
        for bytes in [
            &[131, 77, 0, 0, 0, 1, 0, 255][..],
            &[131, 77, 0, 0, 0, 1, 9, 255],
            &[131, 77, 0, 0, 0, 0, 3],
        ] {
            let err = decode(bytes).unwrap_err();
            assert!(matches!(err, EtfError::BadBits { .. }), "{err}");
        }
        // OTP 25 accepts an empty bit string with 0 bits (binary_to_term gives <<>>).
        assert_eq!(expect_ok(&[131, 77, 0, 0, 0, 0, 0]), bits(&[], 0));
        // Junk below the tail bits is ignored, as OTP does (<<255:8>> with 3 bits is 7:3).
        assert_eq!(expect_ok(&[131, 77, 0, 0, 0, 1, 3, 255]), bits(&[7], 3));
    }

    fn nested(open: &[u8], close: &[u8], leaf: &[u8], levels: usize) -> Vec<u8> {
        let mut bytes = vec![131];
        for _ in 0..levels {
            bytes.extend_from_slice(open);
        }
        bytes.extend_from_slice(leaf);
        for _ in 0..levels {
            bytes.extend_from_slice(close);
        }
        bytes
    }

    /// Runs `f` on a thread with a 2 MiB stack, like a tokio worker.
    fn on_small_stack(f: impl FnOnce() + Send + 'static) {
        std::thread::Builder::new()
            .stack_size(2 * 1024 * 1024)
            .spawn(f)
            .unwrap()
            .join()
            .unwrap();
    }

    #[test]
    fn deep_nesting_is_too_deep_not_a_stack_overflow() {
        on_small_stack(|| {
            let shapes: [(&[u8], &[u8]); 4] = [
                (&[LIST_EXT, 0, 0, 0, 1], &[NIL_EXT]),
                (&[SMALL_TUPLE_EXT, 1], &[]),
                (&[MAP_EXT, 0, 0, 0, 1, SMALL_INTEGER_EXT, 1], &[]),
                // [ | [ | [ | ...]]]: LIST_EXT with no elements, nesting through the tail.
                (&[LIST_EXT, 0, 0, 0, 0], &[]),
            ];
            for (open, close) in shapes {
                let bytes = nested(open, close, &[NIL_EXT], 100_000);
                let err = decode(&bytes).unwrap_err();
                assert!(
                    matches!(err, EtfError::TooDeep { limit: MAX_DEPTH }),
                    "{err}"
                );
                assert!(term_len(&bytes).is_err());
            }
        });
    }

    #[test]
    fn max_depth_terms_decode_encode_and_drop_on_a_2_mib_stack() {
        on_small_stack(|| {
            let shapes: [(&[u8], &[u8]); 3] = [
                (&[LIST_EXT, 0, 0, 0, 1], &[NIL_EXT]),
                (&[SMALL_TUPLE_EXT, 1], &[]),
                (&[MAP_EXT, 0, 0, 0, 1, SMALL_INTEGER_EXT, 1], &[]),
            ];
            for (open, close) in shapes {
                // The outermost term is level 1, the innermost leaf level MAX_DEPTH.
                let ok = nested(open, close, &[NIL_EXT], MAX_DEPTH - 1);
                let term = expect_ok(&ok);
                let again = to_vec(&term).unwrap();
                assert_eq!(expect_ok(&again), term);
                let deeper = nested(open, close, &[NIL_EXT], MAX_DEPTH);
                assert!(matches!(decode(&deeper), Err(EtfError::TooDeep { .. })));
                let too_deep = list(vec![term]);
                assert!(matches!(to_vec(&too_deep), Err(EtfError::TooDeep { .. })));
            }
        });
    }

    #[test]
    fn term_count_is_bounded() {
        let mut bytes = vec![131, LIST_EXT];
        bytes.extend_from_slice(&(MAX_TERMS as u32).to_be_bytes());
        bytes.resize(bytes.len() + MAX_TERMS + 1, NIL_EXT);
        let err = term_len(&bytes).unwrap_err();
        assert!(
            matches!(
                err,
                EtfError::TooLarge {
                    what: "number of terms",
                    ..
                }
            ),
            "{err}"
        );
        // Two fewer elements fit (checked without decoding 8 Mi terms).
        let mut bytes = vec![131, LIST_EXT];
        bytes.extend_from_slice(&(MAX_TERMS as u32 - 2).to_be_bytes());
        bytes.resize(bytes.len() + MAX_TERMS - 1, NIL_EXT);
        assert_eq!(term_len(&bytes).unwrap(), bytes.len());
    }

    /// Tuples, lists and maps of plain leaves are built in one pass, without the
    /// scanner: whatever that pass cannot vouch for still gets the full check.
    #[test]
    fn flat_containers_are_checked_like_the_rest() {
        let nan = f64::NAN.to_be_bytes();
        let mut bad_float = vec![131, SMALL_TUPLE_EXT, 2, 97, 1, NEW_FLOAT_EXT];
        bad_float.extend_from_slice(&nan);
        assert!(matches!(decode(&bad_float), Err(EtfError::Invalid { .. })));
        // More elements declared than the bytes hold; a count near u32::MAX.
        let short = [131, LIST_EXT, 0, 0, 0, 9, 97, 1, 97, 2, NIL_EXT];
        assert!(matches!(decode(&short), Err(EtfError::Truncated { .. })));
        let huge = [131, MAP_EXT, 255, 255, 255, 255, 97, 1, 97, 2];
        assert!(decode(&huge).is_err());
        // Atoms that are not UTF-8.
        let bad_atom = [131, SMALL_TUPLE_EXT, 1, SMALL_ATOM_UTF8_EXT, 1, 0xff];
        assert!(matches!(decode(&bad_atom), Err(EtfError::Invalid { .. })));
        // A flat list whose tail is not [].
        let improper = [131, LIST_EXT, 0, 0, 0, 1, 119, 1, b'a', 119, 1, b'b'];
        assert_eq!(
            decode_exact(&improper).unwrap(),
            Term::ImproperList(eetf::ImproperList {
                elements: vec![atom("a")],
                last: Box::new(atom("b")),
            })
        );
        // Empty containers, and a real vector (a 300-integer tuple).
        assert_eq!(
            decode_exact(&[131, SMALL_TUPLE_EXT, 0]).unwrap(),
            tuple(vec![])
        );
        assert_eq!(
            decode_exact(&[131, MAP_EXT, 0, 0, 0, 0]).unwrap(),
            map(vec![])
        );
        assert_eq!(
            decode_exact(v::LARGE_TUPLE).unwrap(),
            tuple((1..=300).map(int).collect())
        );
    }

    /// Lists of integers take the scanner's fast path: the limit holds there too.
    #[test]
    fn term_count_is_bounded_for_integer_runs() {
        let ints = |count: usize| {
            let mut bytes = vec![131, LIST_EXT];
            bytes.extend_from_slice(&(count as u32).to_be_bytes());
            for i in 0..count {
                bytes.extend_from_slice(&[SMALL_INTEGER_EXT, i as u8]);
            }
            bytes.push(NIL_EXT);
            bytes
        };
        let err = term_len(&ints(MAX_TERMS)).unwrap_err();
        assert!(
            matches!(
                err,
                EtfError::TooLarge {
                    what: "number of terms",
                    len,
                    ..
                } if len == MAX_TERMS + 1
            ),
            "{err}"
        );
        let fits = ints(MAX_TERMS - 2);
        assert_eq!(term_len(&fits).unwrap(), fits.len());
    }

    /// Runs of integers end at the container's end, at a list's tail, at the end of
    /// the bytes, and at anything that is not an integer.
    #[test]
    fn integer_runs_stop_where_they_should() {
        // {1, 300, {2}, 3} then trailing bytes that look like integers.
        let bytes = [
            131,
            SMALL_TUPLE_EXT,
            4,
            97,
            1,
            98,
            0,
            0,
            1,
            44,
            104,
            1,
            97,
            2,
            97,
            3,
            97,
            9,
            97,
            9,
        ];
        let (term, len) = decode(&bytes).unwrap();
        assert_eq!(len, bytes.len() - 4);
        assert_eq!(
            term,
            tuple(vec![int(1), int(300), tuple(vec![int(2)]), int(3)])
        );
        // [1, 2 | 3] as OTP writes it (the tail is an integer too).
        let improper = [131, LIST_EXT, 0, 0, 0, 2, 97, 1, 97, 2, 97, 3];
        let term = decode_exact(&improper).unwrap();
        assert_eq!(
            term,
            Term::ImproperList(eetf::ImproperList {
                elements: vec![int(1), int(2)],
                last: Box::new(int(3)),
            })
        );
        // A list that claims more integers than the bytes hold, cut inside one.
        let mut cut = vec![131, LIST_EXT, 0, 0, 0, 3, 97, 1, 98, 0, 0];
        assert!(matches!(decode(&cut), Err(EtfError::Truncated { .. })));
        cut.truncate(8);
        assert!(matches!(decode(&cut), Err(EtfError::Truncated { .. })));
        // Negative INTEGER_EXT values, and a run broken by an atom.
        let mixed = [
            131, LIST_EXT, 0, 0, 0, 3, 98, 255, 255, 255, 255, 119, 1, b'a', 97, 7, NIL_EXT,
        ];
        assert_eq!(
            decode_exact(&mixed).unwrap(),
            list(vec![int(-1), atom("a"), int(7)])
        );
    }

    #[test]
    fn atoms_floats_bigs_pids_and_maps_are_validated() {
        let mut long = vec![131, ATOM_EXT, 1, 0];
        long.extend_from_slice(&[b'a'; 256]);
        assert!(matches!(
            decode(&long),
            Err(EtfError::TooLarge { len: 256, .. })
        ));
        let mut long = vec![131, ATOM_UTF8_EXT, 1, 0];
        long.extend_from_slice(&[b'a'; 256]);
        assert!(matches!(
            decode(&long),
            Err(EtfError::TooLarge { len: 256, .. })
        ));
        // 255 three-byte characters is a legal atom (OTP 25 accepts it).
        let mut wide = vec![131, ATOM_UTF8_EXT, 2, 253];
        wide.extend_from_slice("日".repeat(255).as_bytes());
        assert_eq!(expect_ok(&wide), atom(&"日".repeat(255)));
        assert!(matches!(
            decode(&[131, SMALL_ATOM_UTF8_EXT, 1, 255]),
            Err(EtfError::Invalid { what: "atom", .. })
        ));
        // NaN, and FLOAT_EXT text that is not a number.
        assert!(matches!(
            decode(&[131, NEW_FLOAT_EXT, 127, 248, 0, 0, 0, 0, 0, 0]),
            Err(EtfError::Invalid { .. })
        ));
        let mut junk = vec![131, FLOAT_EXT];
        junk.extend_from_slice(b"1.5abc");
        junk.resize(2 + 31, 0);
        assert!(matches!(decode(&junk), Err(EtfError::Invalid { .. })));
        // Big integer sign byte 2; LARGE_BIG over the limit.
        assert!(matches!(
            decode(&[131, SMALL_BIG_EXT, 1, 2, 5]),
            Err(EtfError::Invalid { .. })
        ));
        let mut big = vec![131, LARGE_BIG_EXT];
        big.extend_from_slice(&(MAX_BIG_BYTES as u32 + 1).to_be_bytes());
        big.push(0);
        big.resize(big.len() + MAX_BIG_BYTES + 1, 1);
        assert!(matches!(decode(&big), Err(EtfError::TooLarge { .. })));
        // A pid whose node is not an atom (OTP refuses it too).
        assert!(matches!(
            decode(&[131, NEW_PID_EXT, 97, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0]),
            Err(EtfError::UnexpectedTag { tag: 97, .. })
        ));
        // Export arity out of range.
        let mut export = vec![131, EXPORT_EXT, 119, 1, b'm', 119, 1, b'f', INTEGER_EXT];
        export.extend_from_slice(&256i32.to_be_bytes());
        assert!(matches!(decode(&export), Err(EtfError::Invalid { .. })));
        // #{1 => 2, 1 => 3}: OTP's binary_to_term refuses it; eetf would keep one entry.
        let dup = [131, MAP_EXT, 0, 0, 0, 2, 97, 1, 97, 2, 97, 1, 97, 3];
        assert!(matches!(
            decode(&dup),
            Err(EtfError::DuplicateMapKeys {
                declared: 2,
                distinct: 1
            })
        ));
        // A real fun with its Size field off by one.
        let mut fun = v::COMPILED_FUN.to_vec();
        fun[5] += 1;
        assert!(matches!(decode(&fun), Err(EtfError::FunSize { .. })));
        // A compressed term anywhere but the top.
        assert!(matches!(
            decode(&[131, SMALL_TUPLE_EXT, 1, COMPRESSED, 0, 0, 0, 1]),
            Err(EtfError::UnsupportedTag { tag: 80, .. })
        ));
    }

    fn zlib(data: &[u8]) -> Vec<u8> {
        use std::io::Write;
        let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
        z.write_all(data).unwrap();
        z.finish().unwrap()
    }

    fn compressed(declared: u32, inflated: &[u8]) -> Vec<u8> {
        let mut bytes = vec![131, COMPRESSED];
        bytes.extend_from_slice(&declared.to_be_bytes());
        bytes.extend_from_slice(&zlib(inflated));
        bytes
    }

    #[test]
    fn compressed_terms_are_bounded_and_checked() {
        // Declared size must be exact.
        let body = [SMALL_TUPLE_EXT, 2, 97, 1, 97, 2];
        assert_eq!(
            expect_ok(&compressed(6, &body)),
            tuple(vec![int(1), int(2)])
        );
        for declared in [5, 7] {
            let err = decode(&compressed(declared, &body)).unwrap_err();
            assert!(matches!(err, EtfError::Compressed(_)), "{err}");
        }
        // A bomb: 8 MiB of zeros claiming to be 1 KiB stops after 1 KiB.
        let mut zeros = vec![BINARY_EXT];
        zeros.extend_from_slice(&(8u32 << 20).to_be_bytes());
        zeros.resize(5 + (8 << 20), 0);
        let bomb = compressed(1024, &zeros);
        assert!(bomb.len() < 64 * 1024);
        let err = decode(&bomb).unwrap_err();
        assert!(matches!(err, EtfError::Compressed(_)), "{err}");
        // The inflated bytes must be exactly one term.
        let err = decode(&compressed(4, &[97, 1, 97, 2])).unwrap_err();
        assert!(matches!(err, EtfError::Compressed(_)), "{err}");
        let err = decode(&compressed(4, &[104, 2, 97, 1])).unwrap_err();
        assert!(matches!(err, EtfError::Compressed(_)), "{err}");
        // ...and not a compressed term or a dist header again.
        let inner = compressed(2, &[97, 1]);
        let err = decode(&compressed(inner.len() as u32 - 1, &inner[1..])).unwrap_err();
        assert!(
            matches!(err, EtfError::UnsupportedTag { tag: 80, .. }),
            "{err}"
        );
        // A corrupt Adler-32 checksum in a real compressed term.
        let mut bad = v::COMPRESSED_ATOMS.to_vec();
        *bad.last_mut().unwrap() ^= 1;
        let err = decode(&bad).unwrap_err();
        assert!(matches!(err, EtfError::Compressed(_)), "{err}");
        // Over the inflated-size limit.
        let err = decode(&compressed(MAX_INFLATED_BYTES as u32 + 1, &body)).unwrap_err();
        assert!(matches!(err, EtfError::TooLarge { .. }), "{err}");
    }

    /// A small deterministic generator (xorshift64*), so failures reproduce.
    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
        }
        fn below(&mut self, n: usize) -> usize {
            (self.next() % n as u64) as usize
        }
    }

    /// Decodes hostile bytes; whatever comes out must re-encode without panicking,
    /// and what we encode must decode again.
    fn poke(bytes: &[u8]) {
        let _ = term_len(bytes);
        if let Ok((term, len)) = decode(bytes) {
            assert!(len <= bytes.len());
            if let Ok(again) = to_vec(&term) {
                match decode_exact(&again) {
                    // eetf tells apart terms that OTP (and our encoder) do not, e.g. a
                    // STRING_EXT and a LIST_EXT of the same bytes used as two map keys.
                    Ok(_) | Err(EtfError::DuplicateMapKeys { .. }) => {}
                    Err(e) => panic!("our encoding of {term:?} does not decode: {e}"),
                }
            }
        }
    }

    #[test]
    fn random_garbage_never_panics() {
        const TAGS: &[u8] = &[
            68, 69, 70, 77, 80, 82, 88, 89, 90, 97, 98, 99, 100, 101, 102, 103, 104, 105, 106, 107,
            108, 109, 110, 111, 112, 113, 114, 115, 116, 117, 118, 119, 120,
        ];
        let mut rng = Rng(0x00C0_FFEE_D15E_A5E5);
        for _ in 0..20_000 {
            let len = rng.below(48);
            let mut bytes = Vec::with_capacity(len + 1);
            if rng.below(8) != 0 {
                bytes.push(VERSION);
            }
            for _ in 0..len {
                let b = match rng.below(4) {
                    0 | 1 => TAGS[rng.below(TAGS.len())],
                    2 => [0, 1, 2, 3, 255][rng.below(5)],
                    _ => rng.next() as u8,
                };
                bytes.push(b);
            }
            poke(&bytes);
        }
    }

    #[test]
    fn flipped_bytes_in_real_vectors_never_panic() {
        let mut rng = Rng(0x5EED_0FF1);
        for (_, bytes) in v::ALL {
            let step = bytes.len() / 400 + 1;
            let mut copy = bytes.to_vec();
            for pos in (1..bytes.len()).step_by(step) {
                let original = copy[pos];
                for b in [original ^ 0x01, original ^ 0x80, 0, 255, rng.next() as u8] {
                    copy[pos] = b;
                    poke(&copy);
                }
                copy[pos] = original;
            }
        }
    }

    // ----- encoding ---------------------------------------------------------------

    #[test]
    fn encoder_fixes_what_eetf_gets_wrong() {
        // [-1, 2]: eetf's encoder sends STRING_EXT [255, 2]; ours matches OTP's bytes.
        let neg = list(vec![int(-1), int(2)]);
        let mut eetf_bytes = Vec::new();
        neg.encode(&mut eetf_bytes).unwrap();
        assert_ne!(eetf_bytes, v::NEG_STRINGISH);
        assert_eq!(to_vec(&neg).unwrap(), v::NEG_STRINGISH);

        // A byte list too long for STRING_EXT's 16-bit length.
        let long: Vec<u8> = (0..70_000u32).map(|i| i as u8).collect();
        let encoded = to_vec(&Term::from(ByteList::from(long.clone()))).unwrap();
        assert_eq!(
            expect_ok(&encoded),
            list(long.iter().map(|&b| int(i32::from(b))).collect())
        );

        // Big integers that fit 32 bits go out as OTP would send them.
        assert_eq!(
            to_vec(&Term::from(BigInteger::from(5))).unwrap(),
            [131, 97, 5]
        );
        assert_eq!(
            to_vec(&Term::from(BigInteger::from(-70_000))).unwrap(),
            to_vec(&int(-70_000)).unwrap()
        );

        // Ports with 64-bit ids use V4_PORT_EXT.
        let port = Term::from(Port {
            node: Atom::from(CAP),
            id: 1 << 40,
            creation: CAP_CREATION,
        });
        let encoded = to_vec(&port).unwrap();
        assert_eq!(encoded[1], V4_PORT_EXT);
        assert_eq!(expect_ok(&encoded), port);

        // `[ | Tail]` with no elements is the tail itself.
        let bare = Term::from(ImproperList::from((vec![], atom("x"))));
        assert_eq!(expect_ok(&to_vec(&bare).unwrap()), atom("x"));

        // An empty bit string built from an empty Binary (8 tail bits in eetf).
        let empty = Term::from(BitBinary::from(Binary::from(vec![])));
        assert_eq!(to_vec(&empty).unwrap(), [131, 77, 0, 0, 0, 0, 0]);
    }

    #[test]
    fn encoder_refuses_what_otp_would_refuse() {
        let refused = [
            atom(&"a".repeat(256)),
            float(f64::NAN),
            float(f64::INFINITY),
            bits(&[1], 0),
            bits(&[1], 9),
            bits(&[0xFF], 3),
            bits(&[], 3),
            Term::from(Reference {
                node: Atom::from(CAP),
                id: vec![1; 6],
                creation: 0,
            }),
            Term::from(InternalFun::Old {
                module: Atom::from("m"),
                pid: cap_pid(1),
                free_vars: vec![],
                index: 0,
                uniq: 0,
            }),
        ];
        for term in refused {
            let mut out = vec![1, 2, 3];
            let err = encode(&tuple(vec![term.clone()]), &mut out).unwrap_err();
            assert!(matches!(err, EtfError::Encode(_)), "{term:?}: {err}");
            assert_eq!(out, [1, 2, 3], "output left as it was");
        }
        // 255 characters is fine, even at 3 bytes each.
        let wide = atom(&"日".repeat(255));
        assert_eq!(expect_ok(&to_vec(&wide).unwrap()), wide);
    }
}
