//! ETF encoding: writes terms as OTP 25 does with `UTF8_ATOMS`, refusing values OTP would refuse.

use super::*;

thread_local! {
    /// The connection's outgoing atom cache while [`with_atom_cache`] encodes a message.
    static ATOM_CACHE: std::cell::RefCell<Option<crate::proto::dist_header::OutCache>> =
        const { std::cell::RefCell::new(None) };
}

/// Runs `encode` with `cache` in force: every atom it encodes (but `''`) becomes an
/// `ATOM_CACHE_REF` into the message's reference table (see
/// [`crate::proto::dist_header::OutCache`]), until that table is full. The cache is
/// handed back when `encode` returns.
pub fn with_atom_cache<R>(
    cache: &mut crate::proto::dist_header::OutCache,
    encode: impl FnOnce() -> R,
) -> R {
    let mine = std::mem::take(cache);
    ATOM_CACHE.with(|c| *c.borrow_mut() = Some(mine));
    let result = encode();
    if let Some(back) = ATOM_CACHE.with(|c| c.borrow_mut().take()) {
        *cache = back;
    }
    result
}

/// Writes `atom` as a reference if a cache is in force and takes it.
#[inline]
fn cached_atom(atom: &Atom, out: &mut Vec<u8>) -> bool {
    ATOM_CACHE.with(|c| {
        let Ok(mut c) = c.try_borrow_mut() else {
            return false;
        };
        match c.as_mut().and_then(|cache| cache.reference(atom)) {
            Some(index) => {
                out.extend_from_slice(&[ATOM_CACHE_REF, index]);
                true
            }
            None => false,
        }
    })
}

pub(super) fn encode_error(msg: String) -> EtfError {
    EtfError::Encode(msg)
}

pub(super) fn len32(len: usize, what: &str) -> Result<[u8; 4], EtfError> {
    u32::try_from(len)
        .map(u32::to_be_bytes)
        .map_err(|_| encode_error(format!("{what} of {len} elements does not fit 32 bits")))
}

/// What is left to write, innermost last.
pub(super) enum Work<'t> {
    /// A term at a nesting level (the outermost term is level 1).
    Term(&'t Term, usize),
    /// A `NIL_EXT` closing a proper list.
    Nil,
    /// The end of a `NEW_FUN_EXT` whose `Size` field is at this offset.
    FunSize(usize),
}

/// Writes `term` without recursion (an explicit stack keeps deep terms off the call
/// stack), refusing terms nested deeper than [`MAX_DEPTH`].
pub(super) fn enc_term(term: &Term, out: &mut Vec<u8>, depth: usize) -> Result<(), EtfError> {
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
pub(super) fn enc_one<'t>(
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
pub(super) fn enc_leaves<'t>(
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
pub(super) fn enc_leaf<'t>(
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
                    if cached_atom(atom, out) {
                        return Ok(());
                    }
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
pub(super) fn enc_other_leaf<'t>(
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

pub(super) fn enc_binary(bytes: &[u8], out: &mut Vec<u8>) -> Result<(), EtfError> {
    let [a, b, c, d] = len32(bytes.len(), "binary")?;
    out.reserve(5 + bytes.len());
    out.extend_from_slice(&[BINARY_EXT, a, b, c, d]);
    out.extend_from_slice(bytes);
    Ok(())
}

pub(super) fn enc_float(value: f64, out: &mut Vec<u8>) -> Result<(), EtfError> {
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
pub(super) fn is_leaf(term: &Term) -> bool {
    match term {
        Term::List(l) => l.elements.is_empty(),
        Term::Tuple(t) => t.elements.is_empty(),
        Term::Map(m) => m.map.is_empty(),
        Term::ImproperList(_) | Term::InternalFun(_) => false,
        _ => true,
    }
}

pub(super) fn enc_int(value: i32, out: &mut Vec<u8>) {
    match u8::try_from(value) {
        Ok(b) => out.extend_from_slice(&[SMALL_INTEGER_EXT, b]),
        Err(_) => {
            out.push(INTEGER_EXT);
            out.extend_from_slice(&value.to_be_bytes());
        }
    }
}

pub(super) fn enc_atom(atom: &Atom, out: &mut Vec<u8>) -> Result<(), EtfError> {
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
    if cached_atom(atom, out) {
        return Ok(());
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

pub(super) fn enc_reference(
    reference: &eetf::Reference,
    out: &mut Vec<u8>,
) -> Result<(), EtfError> {
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

    pub(super) fn reader<'a>(buf: &'a [u8], pos: usize, atoms: AtomTable<'a>) -> Builder<'a> {
        Builder {
            buf,
            pos,
            map_entries: 0,
            atoms,
            atom_text: usize::MAX,
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
        let mut r = reader(buf, *pos, AtomTable::EMPTY);
        let v = r.fix_integer().ok()?;
        *pos = r.pos;
        Some(v)
    }

    /// An atom of at most 255 bytes (so at most 255 characters, within OTP's limit).
    pub(crate) fn read_atom(buf: &[u8], pos: &mut usize, atoms: AtomTable<'_>) -> Option<Atom> {
        let len = match *buf.get(*pos..)? {
            [ATOM_CACHE_REF, index, ..] => {
                let atom = atoms.get(usize::from(index))?.clone();
                *pos += 2;
                return Some(atom);
            }
            [SMALL_ATOM_UTF8_EXT | SMALL_ATOM_EXT, len, ..] => usize::from(len),
            [ATOM_UTF8_EXT | ATOM_EXT, a, b, ..] => usize::from(u16::from_be_bytes([a, b])),
            _ => return None,
        };
        if len > MAX_ATOM_CHARS {
            return None;
        }
        let mut r = reader(buf, *pos, atoms);
        let atom = r.atom().ok()?;
        *pos = r.pos;
        Some(atom)
    }

    pub(crate) fn read_pid(buf: &[u8], pos: &mut usize, atoms: AtomTable<'_>) -> Option<Pid> {
        let mut r = reader(buf, *pos, atoms);
        let tag = r.u8().ok()?;
        if tag != NEW_PID_EXT && tag != PID_EXT {
            return None;
        }
        let mut node_at = r.pos;
        let node = read_atom(buf, &mut node_at, atoms)?;
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
    pub(crate) fn read_reference(
        buf: &[u8],
        pos: &mut usize,
        atoms: AtomTable<'_>,
    ) -> Option<eetf::Reference> {
        let mut r = reader(buf, *pos, atoms);
        if r.u8().ok()? != NEWER_REFERENCE_EXT {
            return None;
        }
        let words = r.u16().ok()?;
        if words > MAX_REF_WORDS {
            return None;
        }
        let mut node_at = r.pos;
        let node = read_atom(buf, &mut node_at, atoms)?;
        r.pos = node_at;
        let creation = r.u32().ok()?;
        let id = (0..words)
            .map(|_| r.u32().ok())
            .collect::<Option<Vec<u32>>>()?;
        *pos = r.pos;
        Some(eetf::Reference { node, id, creation })
    }
}

pub(super) fn enc_pid(pid: &Pid, out: &mut Vec<u8>) -> Result<(), EtfError> {
    out.push(NEW_PID_EXT);
    enc_atom(&pid.node, out)?;
    out.extend_from_slice(&pid.id.to_be_bytes());
    out.extend_from_slice(&pid.serial.to_be_bytes());
    out.extend_from_slice(&pid.creation.to_be_bytes());
    Ok(())
}

pub(super) fn enc_bit_binary(
    bytes: &[u8],
    tail_bits: u8,
    out: &mut Vec<u8>,
) -> Result<(), EtfError> {
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
