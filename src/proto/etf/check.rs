//! ETF checking: walks peer bytes and validates every tag, length, count and limit without building anything.

use super::*;

/// What the scanner learnt about a term besides its length.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(super) struct Facts {
    /// Sum of the declared sizes of all maps.
    pub(super) map_entries: usize,
    /// Some map declares two or more entries (so keys could collide).
    pub(super) has_multi_entry_map: bool,
    /// The term holds atom cache references.
    pub(super) atom_refs: bool,
    /// Bytes of atom text its atom cache references stand for (what building copies),
    /// when counted ([`Scanner::count_atom_text`]); else 0, the table's atoms being too
    /// short for the references to go over what was allowed.
    pub(super) atom_text: usize,
}

pub(super) struct Checked {
    /// Bytes of `buf` the term takes.
    pub(super) len: usize,
    /// For a compressed term: 131 followed by the inflated bytes.
    pub(super) inflated: Option<Vec<u8>>,
    pub(super) facts: Facts,
}

/// Validates the term at the front of `buf` without building it.
pub(super) fn check(buf: &[u8], limits: Limits) -> Result<Checked, EtfError> {
    let (&version, _) = buf
        .split_first()
        .ok_or(EtfError::Truncated { needed: 1, at: 0 })?;
    if version != VERSION {
        return Err(EtfError::BadVersion(version));
    }
    let &tag = buf.get(1).ok_or(EtfError::Truncated { needed: 1, at: 1 })?;
    match tag {
        COMPRESSED => check_compressed(buf, limits),
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
        _ => check_in(buf, 1, AtomTable::EMPTY, 0),
    }
}

/// Validates the term at `start` in `buf` (the byte after 131, or 0 for a term after a
/// distribution header), which may hold references to the cached `atoms` standing for at
/// most `max_atom_text` bytes of atom text in all.
pub(super) fn check_in<'a>(
    buf: &'a [u8],
    start: usize,
    atoms: AtomTable<'a>,
    max_atom_text: usize,
) -> Result<Checked, EtfError> {
    let mut scanner = Scanner::new(buf);
    scanner.pos = start;
    scanner.refs = atoms.len();
    scanner.atoms = atoms;
    scanner.max_atom_text = max_atom_text;
    // A reference takes two bytes: the text they stand for needs counting only when
    // the table's longest atom could make it more than allowed (so everyday traffic,
    // whose atoms are short, is not counted at all).
    let most_refs = buf.len().saturating_sub(start) / 2;
    scanner.count_atom_text = MAX_ATOM_BYTES.saturating_mul(most_refs) > max_atom_text
        && atoms.longest().saturating_mul(most_refs) > max_atom_text;
    scanner.term()?;
    Ok(Checked {
        len: scanner.pos,
        inflated: None,
        facts: scanner.facts,
    })
}

/// `131, 80, UncompressedSize:32, zlib data`: inflates within the declared size, then
/// checks that the inflated bytes are exactly one term.
pub(super) fn check_compressed(buf: &[u8], limits: Limits) -> Result<Checked, EtfError> {
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
    // What a peer sends bounds what it makes us hold: a few compressed bytes may not
    // stand for megabytes (zlib inflates up to about 1000 times).
    let ratio_limit = buf
        .len()
        .saturating_mul(limits.inflate_ratio)
        .max(MIN_INFLATE_ALLOWANCE);
    if declared > ratio_limit {
        return Err(EtfError::TooLarge {
            what: "declared uncompressed size for the compressed bytes given",
            len: declared,
            limit: ratio_limit,
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
    // An uncompressed term holds at most one term per byte; a compressed one is held
    // to the limits' number of terms per byte that came.
    scanner.max_terms = MAX_TERMS.min(len.saturating_mul(limits.terms_per_byte));
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
pub(super) fn count_ints(buf: &[u8], mut pos: usize, max: usize) -> (usize, usize) {
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
pub(super) struct Level {
    pub(super) remaining: usize,
    pub(super) fun: Option<FunEnd>,
}

impl Level {
    const EMPTY: Level = Level {
        remaining: 0,
        fun: None,
    };
}

#[derive(Debug, Clone, Copy)]
pub(super) struct FunEnd {
    /// Offset of the tag.
    pub(super) at: usize,
    /// Offset of the `Size` field.
    pub(super) size_at: usize,
    pub(super) declared: usize,
}

/// Levels of the scanner's stack kept inline; deeper ones go to the heap.
pub(super) const INLINE_LEVELS: usize = 6;

/// The scanner's stack of open containers: everyday terms need no allocation.
pub(super) struct Levels {
    pub(super) inline: [Level; INLINE_LEVELS],
    pub(super) spill: Vec<Level>,
    pub(super) len: usize,
}

impl Levels {
    pub(super) fn new() -> Self {
        Levels {
            inline: [Level::EMPTY; INLINE_LEVELS],
            spill: Vec::new(),
            len: 0,
        }
    }

    pub(super) fn top_mut(&mut self) -> Option<&mut Level> {
        let i = self.len.checked_sub(1)?;
        if i < INLINE_LEVELS {
            self.inline.get_mut(i)
        } else {
            self.spill.get_mut(i - INLINE_LEVELS)
        }
    }

    pub(super) fn push(&mut self, level: Level) {
        if let Some(slot) = self.inline.get_mut(self.len) {
            *slot = level;
        } else {
            self.spill.push(level);
        }
        self.len += 1;
    }

    pub(super) fn pop(&mut self) {
        if self.len > INLINE_LEVELS {
            self.spill.pop();
        }
        self.len = self.len.saturating_sub(1);
    }
}

/// Walks one encoded term without building it.
pub(super) struct Scanner<'a> {
    pub(super) buf: &'a [u8],
    pub(super) pos: usize,
    pub(super) terms: usize,
    /// Most terms this scan accepts ([`MAX_TERMS`] unless a compressed term's input
    /// bounds it lower).
    pub(super) max_terms: usize,
    pub(super) facts: Facts,
    /// The distribution header's atom cache reference table (empty: none allowed).
    pub(super) atoms: AtomTable<'a>,
    /// Entries in `atoms`.
    pub(super) refs: usize,
    /// Whether to count the text the references stand for ([`Facts::atom_text`])
    /// against `max_atom_text`.
    pub(super) count_atom_text: bool,
    /// Most bytes of atom text the term's references may stand for in all.
    pub(super) max_atom_text: usize,
}

impl<'a> Scanner<'a> {
    pub(super) fn new(buf: &'a [u8]) -> Self {
        Scanner {
            buf,
            pos: 0,
            terms: 0,
            max_terms: MAX_TERMS,
            facts: Facts::default(),
            atoms: AtomTable::EMPTY,
            refs: 0,
            count_atom_text: false,
            max_atom_text: 0,
        }
    }

    /// The index byte of an `ATOM_CACHE_REF` whose tag (at `at`) has been read.
    ///
    /// Building the reference copies its atom's text: what the term's references copy in
    /// all is held to [`Scanner::max_atom_text`].
    fn atom_ref(&mut self, at: usize) -> Result<(), EtfError> {
        if self.refs == 0 {
            return Err(EtfError::UnsupportedTag {
                tag: ATOM_CACHE_REF,
                at,
                why: WHY_ATOM_CACHE,
            });
        }
        let index = usize::from(self.u8()?);
        if index >= self.refs {
            return Err(EtfError::AtomRef {
                index,
                at,
                refs: self.refs,
            });
        }
        self.facts.atom_refs = true;
        if self.count_atom_text {
            return self.count_text(index);
        }
        Ok(())
    }

    /// Counts the text of the atom reference `index` stands for.
    #[cold]
    fn count_text(&mut self, index: usize) -> Result<(), EtfError> {
        let len = self.atoms.get(index).map_or(0, |a| a.name.len());
        let text = self.facts.atom_text.saturating_add(len);
        if text > self.max_atom_text {
            return Err(EtfError::TooLarge {
                what: WHY_ATOM_TEXT,
                len: text,
                limit: self.max_atom_text,
            });
        }
        self.facts.atom_text = text;
        Ok(())
    }

    /// Checks that `n` more bytes are there (and within the size limit), without
    /// consuming them.
    pub(super) fn need(&self, n: usize) -> Result<(), EtfError> {
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
    pub(super) fn need_items(&self, count: usize, min_size: usize) -> Result<(), EtfError> {
        self.need(count.saturating_mul(min_size))
    }

    pub(super) fn take(&mut self, n: usize) -> Result<&'a [u8], EtfError> {
        self.need(n)?;
        let end = self.pos + n;
        let bytes = self.buf.get(self.pos..end).ok_or(EtfError::Truncated {
            needed: n,
            at: self.pos,
        })?;
        self.pos = end;
        Ok(bytes)
    }

    pub(super) fn array<const N: usize>(&mut self) -> Result<[u8; N], EtfError> {
        let at = self.pos;
        self.take(N)?
            .try_into()
            .map_err(|_| EtfError::Truncated { needed: N, at })
    }

    pub(super) fn u8(&mut self) -> Result<u8, EtfError> {
        let [b] = self.array::<1>()?;
        Ok(b)
    }

    pub(super) fn u16(&mut self) -> Result<usize, EtfError> {
        Ok(usize::from(u16::from_be_bytes(self.array()?)))
    }

    pub(super) fn u32(&mut self) -> Result<usize, EtfError> {
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
    pub(super) fn term(&mut self) -> Result<(), EtfError> {
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
    pub(super) fn int_run(&mut self, max: usize) -> usize {
        let max = max.min(self.max_terms.saturating_sub(self.terms));
        let end = self.buf.len().min(MAX_TERM_BYTES);
        let buf = self.buf.get(..end).unwrap_or_default();
        let (count, pos) = count_ints(buf, self.pos, max);
        self.terms += count;
        self.pos = pos;
        count
    }

    /// Reads one term's tag and fixed part; for a container, says how many terms
    /// follow inside it (which the caller then reads).
    pub(super) fn head(&mut self) -> Result<Level, EtfError> {
        self.terms += 1;
        if self.terms > self.max_terms {
            return Err(EtfError::TooLarge {
                what: "number of terms",
                len: self.terms,
                limit: self.max_terms,
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
            ATOM_CACHE_REF => self.atom_ref(at),
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
            RECORD_EXT => Err(EtfError::UnsupportedTag {
                tag,
                at,
                why: WHY_NATIVE_RECORD,
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
    pub(super) fn children(&self, count: usize, min_size: usize) -> Result<Level, EtfError> {
        self.need_items(count, min_size)?;
        Ok(Level {
            remaining: count,
            fun: None,
        })
    }

    /// `FLOAT_EXT`: 31 bytes of `printf("%.20e")` text, NUL padded.
    pub(super) fn old_float(&mut self, at: usize) -> Result<(), EtfError> {
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
    pub(super) fn atom_body(&mut self, tag: u8, at: usize) -> Result<(), EtfError> {
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
    pub(super) fn atom(&mut self) -> Result<(), EtfError> {
        let at = self.pos;
        let tag = self.u8()?;
        match tag {
            ATOM_EXT | SMALL_ATOM_EXT | ATOM_UTF8_EXT | SMALL_ATOM_UTF8_EXT => {
                self.atom_body(tag, at)
            }
            ATOM_CACHE_REF => self.atom_ref(at),
            _ => Err(EtfError::UnexpectedTag {
                tag,
                at,
                expected: "an atom",
            }),
        }
    }

    /// A node atom followed by `rest` fixed bytes (ports and references).
    pub(super) fn node_then(&mut self, rest: usize) -> Result<(), EtfError> {
        self.atom()?;
        self.take(rest).map(drop)
    }

    pub(super) fn pid_body(&mut self, tag: u8) -> Result<(), EtfError> {
        let creation = if tag == PID_EXT { 1 } else { 4 };
        self.node_then(4 + 4 + creation)
    }

    pub(super) fn pid(&mut self) -> Result<(), EtfError> {
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
    pub(super) fn fix_integer(&mut self) -> Result<(), EtfError> {
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
    pub(super) fn arity(&mut self) -> Result<(), EtfError> {
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

    pub(super) fn big_body(&mut self, len: usize, at: usize) -> Result<(), EtfError> {
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
    pub(super) fn new_fun(&mut self, at: usize) -> Result<Level, EtfError> {
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
    pub(super) fn end_fun(&mut self, fun: FunEnd) -> Result<(), EtfError> {
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
