//! ETF building: turns bytes the checker accepted into `eetf` terms, without recursion.

use super::*;

/// Why the builder failed on bytes the scanner accepted: a bug here, not in the peer.
pub(super) fn unchecked(what: &str, at: usize) -> EtfError {
    EtfError::Decode(format!("{what} at offset {at} of a checked term"))
}

/// A container being built: its elements so far and how many are still to come.
pub(super) enum Open {
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
    pub(super) fn add(&mut self, value: Term, map_entries: &mut usize) -> Option<Term> {
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
                if elements.is_empty() {
                    // LIST_EXT with no elements is its tail, as OTP reads it.
                    return Some(value);
                }
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
                *map_entries = map_entries.saturating_add(distinct_keys(&map));
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

/// How many of `map`'s keys are distinct as Erlang terms.
///
/// A `HashMap` insert finds equal keys only when they hash alike, and eetf hashes a
/// map in its `HashMap`'s iteration order, so two equal maps used as keys (the same
/// entries, inserted in another order) may both be kept. Keys holding a map are
/// therefore compared again in Erlang's term order, which does not depend on any
/// iteration order ([`crate::term::print::term_cmp`]): sorted, equal keys are
/// neighbours.
pub(super) fn distinct_keys(map: &std::collections::HashMap<Term, Term>) -> usize {
    if map.len() < 2 || !map.keys().any(holds_map) {
        return map.len();
    }
    let mut keys: Vec<&Term> = map.keys().collect();
    keys.sort_by(|a, b| crate::term::print::term_cmp(a, b));
    let equal = keys
        .windows(2)
        .filter(|w| crate::term::print::term_cmp(w[0], w[1]).is_eq())
        .count();
    map.len() - equal
}

/// Whether `term` is or contains a map (walked with a stack, not recursion).
fn holds_map(term: &Term) -> bool {
    let mut stack = vec![term];
    while let Some(t) = stack.pop() {
        match t {
            Term::Map(_) => return true,
            Term::Tuple(x) => stack.extend(x.elements.iter()),
            Term::List(x) => stack.extend(x.elements.iter()),
            Term::ImproperList(x) => {
                stack.extend(x.elements.iter());
                stack.push(&x.last);
            }
            Term::InternalFun(f) => match f.as_ref() {
                InternalFun::New { free_vars, .. } | InternalFun::Old { free_vars, .. } => {
                    stack.extend(free_vars.iter())
                }
            },
            _ => {}
        }
    }
    false
}

/// What reading one tag gave: a whole term, or a container to fill.
pub(super) enum Head {
    Done(Term),
    Open(Open),
}

/// Turns a checked term into a [`Term`]. It never recurses and never panics; as the
/// scanner has accepted the bytes, its errors can only come from a bug in this module.
pub(super) struct Builder<'a> {
    pub(super) buf: &'a [u8],
    pub(super) pos: usize,
    /// Entries in all finished maps (fewer than declared means duplicate keys).
    pub(super) map_entries: usize,
    /// What the distribution header's atom cache references stand for.
    pub(super) atoms: AtomTable<'a>,
    /// Bytes of atom text [`Builder::simple_leaf`] may still copy from atom cache
    /// references, on bytes not checked yet (it gives up past it, for the check to
    /// refuse the term); checked bytes need no count.
    pub(super) atom_text: usize,
}

impl<'a> Builder<'a> {
    pub(super) fn take(&mut self, n: usize) -> Result<&'a [u8], EtfError> {
        let end = self.pos.saturating_add(n);
        let bytes = self
            .buf
            .get(self.pos..end)
            .ok_or_else(|| unchecked("term ends early", self.pos))?;
        self.pos = end;
        Ok(bytes)
    }

    pub(super) fn array<const N: usize>(&mut self) -> Result<[u8; N], EtfError> {
        let at = self.pos;
        self.take(N)?
            .try_into()
            .map_err(|_| unchecked("short field", at))
    }

    pub(super) fn u8(&mut self) -> Result<u8, EtfError> {
        let at = self.pos;
        let b = *self
            .buf
            .get(at)
            .ok_or_else(|| unchecked("term ends early", at))?;
        self.pos += 1;
        Ok(b)
    }

    pub(super) fn u16(&mut self) -> Result<usize, EtfError> {
        Ok(usize::from(u16::from_be_bytes(self.array()?)))
    }

    pub(super) fn u32(&mut self) -> Result<u32, EtfError> {
        Ok(u32::from_be_bytes(self.array()?))
    }

    pub(super) fn len32(&mut self) -> Result<usize, EtfError> {
        let at = self.pos;
        usize::try_from(self.u32()?).map_err(|_| unchecked("length over usize", at))
    }

    pub(super) fn atom(&mut self) -> Result<Atom, EtfError> {
        let tag = self.u8()?;
        self.atom_body(tag)
    }

    pub(super) fn atom_body(&mut self, tag: u8) -> Result<Atom, EtfError> {
        let at = self.pos;
        if tag == ATOM_CACHE_REF {
            let index = usize::from(self.u8()?);
            return self
                .atoms
                .get(index)
                .cloned()
                .ok_or_else(|| unchecked("atom cache reference out of range", at));
        }
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

    pub(super) fn pid_body(&mut self, tag: u8) -> Result<Pid, EtfError> {
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

    pub(super) fn pid(&mut self) -> Result<Pid, EtfError> {
        let tag = self.u8()?;
        self.pid_body(tag)
    }

    /// `SMALL_INTEGER_EXT` or `INTEGER_EXT`.
    pub(super) fn fix_integer(&mut self) -> Result<i32, EtfError> {
        let at = self.pos;
        match self.u8()? {
            SMALL_INTEGER_EXT => Ok(i32::from(self.u8()?)),
            INTEGER_EXT => Ok(i32::from_be_bytes(self.array()?)),
            _ => Err(unchecked("not a small integer", at)),
        }
    }

    /// The whole term at `self.pos`.
    pub(super) fn term(&mut self) -> Result<Term, EtfError> {
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
    pub(super) fn fill(&mut self, open: &mut Open) -> Option<Term> {
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
    pub(super) fn flat_container(&mut self) -> Option<Term> {
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
    pub(super) fn int_run(&mut self, elements: &mut Vec<Term>, max: usize) -> usize {
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
    pub(super) fn one_pass(&mut self) -> Option<Term> {
        match self.simple_leaf() {
            Some(term) => Some(term),
            None => self.flat_container(),
        }
    }

    /// The leaf at `self.pos` if it is one of the common, simple kinds; else nothing
    /// is consumed. It checks all it reads, so it may run on unchecked bytes.
    pub(super) fn simple_leaf(&mut self) -> Option<Term> {
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
            [ATOM_CACHE_REF, index, ..] => {
                let atom = self.atoms.get(usize::from(index))?;
                self.atom_text = self.atom_text.checked_sub(atom.name.len())?;
                (Term::Atom(atom.clone()), 2)
            }
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
    pub(super) fn head(&mut self) -> Result<Head, EtfError> {
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
            ATOM_EXT | SMALL_ATOM_EXT | ATOM_UTF8_EXT | SMALL_ATOM_UTF8_EXT | ATOM_CACHE_REF => {
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
                match self.take(len)? {
                    // An empty STRING_EXT is `[]` (OTP never writes one, but reads it as
                    // `[]`, and so re-encodes it as NIL_EXT).
                    [] => Term::List(eetf::List::nil()),
                    bytes => Term::ByteList(eetf::ByteList::from(bytes.to_vec())),
                }
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
                let big = Term::decode((&[VERSION][..]).chain(slice))
                    .map_err(|e| EtfError::Decode(format!("big integer at offset {at}: {e}")))?;
                // A big integer whose value fits 32 bits is that small integer, as OTP
                // reads it (and as it is written back).
                match &big {
                    Term::BigInteger(b) => match i32::try_from(&b.value) {
                        Ok(value) => Term::FixInteger(eetf::FixInteger { value }),
                        Err(_) => big,
                    },
                    _ => big,
                }
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

    pub(super) fn fun(&self, fun: InternalFun, free: usize) -> Head {
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
