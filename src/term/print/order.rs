//! Erlang term order (`number < atom < reference < fun < port < pid < tuple < map < nil < list < bitstring`), used for printing maps and for comparing terms.

use super::*;

/// Erlang's term order as used to sort map keys (`number < atom < reference
/// < fun < port < pid < tuple < map < nil < list < bitstring`), with exact
/// number comparison: every integer sorts before every float, as in a map.
///
/// Pids, ports, references and funs from different nodes compare by node
/// name first; the VM's own order for those depends on internal tables.
/// Levels nested deeper than [`MAX_DEPTH`] compare equal.
pub fn term_cmp(a: &Term, b: &Term) -> Ordering {
    Order::default().cmp(a, b, 0)
}

/// Rank of a term's kind in Erlang's term order: `number < atom < reference < fun <
/// port < pid < tuple < map < nil < list < bitstring`.
pub(crate) fn rank(t: &Term) -> u8 {
    match t {
        Term::FixInteger(_) | Term::BigInteger(_) | Term::Float(_) => 0,
        Term::Atom(_) => 1,
        Term::Reference(_) => 2,
        Term::ExternalFun(_) | Term::InternalFun(_) => 3,
        Term::Port(_) => 4,
        Term::Pid(_) => 5,
        Term::Tuple(_) => 6,
        Term::Map(_) => 7,
        Term::List(l) if l.elements.is_empty() => 8,
        Term::ByteList(l) if l.bytes.is_empty() => 8,
        Term::List(_) | Term::ByteList(_) | Term::ImproperList(_) => 9,
        Term::Binary(_) | Term::BitBinary(_) => 10,
    }
}

/// Term comparison that sorts each map's entries once: comparing maps needs
/// them in key order, and re-sorting nested maps on every comparison would
/// take time exponential in the nesting of maps used as keys.
#[derive(Default)]
pub(super) struct Order<'t> {
    sorted: HashMap<*const eetf::Map, Rc<[(&'t Term, &'t Term)]>>,
}

impl<'t> Order<'t> {
    /// `m`'s entries in key order.
    pub(super) fn entries(&mut self, m: &'t eetf::Map, depth: usize) -> Rc<[(&'t Term, &'t Term)]> {
        let id: *const eetf::Map = m;
        if let Some(v) = self.sorted.get(&id) {
            return Rc::clone(v);
        }
        let mut v: Vec<(&'t Term, &'t Term)> = m.map.iter().collect();
        v.sort_by(|a, b| self.cmp(a.0, b.0, depth));
        let v: Rc<[(&'t Term, &'t Term)]> = v.into();
        self.sorted.insert(id, Rc::clone(&v));
        v
    }

    fn cmp(&mut self, a: &'t Term, b: &'t Term, depth: usize) -> Ordering {
        if depth >= MAX_DEPTH {
            return Ordering::Equal;
        }
        let (ra, rb) = (rank(a), rank(b));
        if ra != rb {
            return ra.cmp(&rb);
        }
        let d = depth + 1;
        match (a, b) {
            (Term::Float(x), Term::Float(y)) => {
                x.value.partial_cmp(&y.value).unwrap_or(Ordering::Equal)
            }
            (Term::Float(_), _) => Ordering::Greater,
            (_, Term::Float(_)) => Ordering::Less,
            (Term::FixInteger(x), _) => cmp_int(i64::from(x.value), b),
            (_, Term::FixInteger(y)) => cmp_int(i64::from(y.value), a).reverse(),
            (Term::BigInteger(x), Term::BigInteger(y)) => x.value.cmp(&y.value),
            (Term::Atom(x), Term::Atom(y)) => x.name.as_bytes().cmp(y.name.as_bytes()),
            (Term::Reference(x), Term::Reference(y)) => {
                let ids = |r: &eetf::Reference| r.id.iter().rev().copied().collect::<Vec<_>>();
                (x.node.name.as_bytes(), ids(x), x.creation).cmp(&(
                    y.node.name.as_bytes(),
                    ids(y),
                    y.creation,
                ))
            }
            (Term::Port(x), Term::Port(y)) => (x.node.name.as_bytes(), x.id, x.creation).cmp(&(
                y.node.name.as_bytes(),
                y.id,
                y.creation,
            )),
            (Term::Pid(x), Term::Pid(y)) => (x.node.name.as_bytes(), x.serial, x.id, x.creation)
                .cmp(&(y.node.name.as_bytes(), y.serial, y.id, y.creation)),
            (Term::Tuple(x), Term::Tuple(y)) => match x.elements.len().cmp(&y.elements.len()) {
                Ordering::Equal => self.seq(&x.elements, &y.elements, d),
                o => o,
            },
            (Term::Map(x), Term::Map(y)) => self.maps(x, y, d),
            (Term::Binary(_) | Term::BitBinary(_), _) => cmp_bits(a, b),
            (Term::ExternalFun(_) | Term::InternalFun(_), _) => self.funs(a, b, d),
            _ if ra == 9 => self.lists(a, b, d),
            _ => Ordering::Equal,
        }
    }

    fn seq(&mut self, a: &'t [Term], b: &'t [Term], depth: usize) -> Ordering {
        for (x, y) in a.iter().zip(b) {
            let o = self.cmp(x, y, depth);
            if o != Ordering::Equal {
                return o;
            }
        }
        a.len().cmp(&b.len())
    }

    /// By size, then keys in order, then values in key order.
    fn maps(&mut self, x: &'t eetf::Map, y: &'t eetf::Map, depth: usize) -> Ordering {
        let size = x.map.len().cmp(&y.map.len());
        if size != Ordering::Equal {
            return size;
        }
        let (xs, ys) = (self.entries(x, depth), self.entries(y, depth));
        for ((ka, _), (kb, _)) in xs.iter().zip(ys.iter()) {
            let o = self.cmp(ka, kb, depth);
            if o != Ordering::Equal {
                return o;
            }
        }
        for ((_, va), (_, vb)) in xs.iter().zip(ys.iter()) {
            let o = self.cmp(va, vb, depth);
            if o != Ordering::Equal {
                return o;
            }
        }
        Ordering::Equal
    }

    fn funs(&mut self, a: &'t Term, b: &'t Term, depth: usize) -> Ordering {
        fn key(t: &Term) -> (u8, &str, i64, i64, &[Term]) {
            match t {
                Term::ExternalFun(f) => (0, &f.module.name, 0, i64::from(f.arity), &[]),
                Term::InternalFun(f) => match f.as_ref() {
                    eetf::InternalFun::New {
                        module,
                        old_index,
                        old_uniq,
                        free_vars,
                        ..
                    } => (
                        1,
                        &module.name,
                        i64::from(*old_uniq),
                        i64::from(*old_index),
                        free_vars,
                    ),
                    eetf::InternalFun::Old {
                        module,
                        index,
                        uniq,
                        free_vars,
                        ..
                    } => (
                        1,
                        &module.name,
                        i64::from(*uniq),
                        i64::from(*index),
                        free_vars,
                    ),
                },
                _ => (2, "", 0, 0, &[]),
            }
        }
        let (ka, kb) = (key(a), key(b));
        let o = (ka.0, ka.1.as_bytes(), ka.2, ka.3).cmp(&(kb.0, kb.1.as_bytes(), kb.2, kb.3));
        if o != Ordering::Equal {
            return o;
        }
        match (a, b) {
            (Term::ExternalFun(x), Term::ExternalFun(y)) => {
                x.function.name.as_bytes().cmp(y.function.name.as_bytes())
            }
            _ => self.seq(ka.4, kb.4, depth),
        }
    }

    fn lists(&mut self, a: &'t Term, b: &'t Term, depth: usize) -> Ordering {
        let (va, vb) = (ListView::of(a), ListView::of(b));
        let (mut ia, mut ib) = (va.iter(), vb.iter());
        loop {
            match (ia.next(), ib.next()) {
                (Some(x), Some(y)) => {
                    let o = match (x, y) {
                        (Elem::Byte(x), Elem::Byte(y)) => x.cmp(&y),
                        (Elem::Term(x), Elem::Term(y)) => self.cmp(x, y, depth),
                        (Elem::Byte(x), Elem::Term(y)) => cmp_int(i64::from(x), y),
                        (Elem::Term(x), Elem::Byte(y)) => cmp_int(i64::from(y), x).reverse(),
                    };
                    if o != Ordering::Equal {
                        return o;
                    }
                }
                // What follows on each side is either more cells (a list),
                // the improper tail, or nil.
                (Some(_), None) => return 9.cmp(&end_rank(vb.tail)),
                (None, Some(_)) => return end_rank(va.tail).cmp(&9),
                (None, None) => {
                    return match (va.tail, vb.tail) {
                        (None, None) => Ordering::Equal,
                        (Some(x), None) => rank(x).cmp(&8),
                        (None, Some(y)) => 8.cmp(&rank(y)),
                        (Some(x), Some(y)) => self.cmp(x, y, depth),
                    };
                }
            }
        }
    }
}

/// An integer against any term (integers sort below floats and non-numbers).
pub(super) fn cmp_int(x: i64, other: &Term) -> Ordering {
    match other {
        Term::FixInteger(y) => x.cmp(&i64::from(y.value)),
        Term::BigInteger(y) => eetf::BigInteger::from(x).value.cmp(&y.value),
        _ => Ordering::Less,
    }
}

/// The rank of what ends a list: nil, or its improper tail.
pub(super) fn end_rank(tail: Option<&Term>) -> u8 {
    tail.map_or(8, rank)
}

/// Bit-by-bit comparison; a proper prefix sorts first.
pub(super) fn cmp_bits(a: &Term, b: &Term) -> Ordering {
    fn bits(t: &Term) -> (&[u8], Option<(u8, u8)>) {
        match t {
            Term::Binary(b) => (&b.bytes, None),
            Term::BitBinary(b) => bitstring_parts(b),
            _ => (&[], None),
        }
    }
    let (abytes, atail) = bits(a);
    let (bbytes, btail) = bits(b);
    let n = abytes.len().min(bbytes.len());
    let o = abytes[..n].cmp(&bbytes[..n]);
    if o != Ordering::Equal {
        return o;
    }
    // Past the common whole bytes at most one side has whole bytes left and
    // the other at most 7 bits, so only a few bits need comparing.
    let bit = |bytes: &[u8], tail: Option<(u8, u8)>, i: usize| -> bool {
        match bytes.get(n + i / 8) {
            Some(byte) => byte >> (7 - i % 8) & 1 == 1,
            None => tail.is_some_and(|(value, len)| {
                let j = i - (bytes.len() - n) * 8;
                value >> (usize::from(len) - 1 - j) & 1 == 1
            }),
        }
    };
    let len = |bytes: &[u8], tail: Option<(u8, u8)>| {
        (bytes.len() - n) * 8 + tail.map_or(0, |(_, l)| usize::from(l))
    };
    let (la, lb) = (len(abytes, atail), len(bbytes, btail));
    for i in 0..la.min(lb) {
        let o = bit(abytes, atail, i).cmp(&bit(bbytes, btail, i));
        if o != Ordering::Equal {
            return o;
        }
    }
    la.cmp(&lb)
}
