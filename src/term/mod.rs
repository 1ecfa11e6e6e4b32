//! Small constructors and matchers for the term shapes the node builds and reads all the time.

use eetf::{Atom, Binary, FixInteger, List, Pid, Reference, Term, Tuple};

pub fn atom(name: &str) -> Term {
    Term::Atom(Atom::from(name))
}

pub fn int(v: i64) -> Term {
    match i32::try_from(v) {
        Ok(small) => Term::FixInteger(FixInteger::from(small)),
        Err(_) => Term::BigInteger(eetf::BigInteger::from(v)),
    }
}

pub fn tuple(elements: Vec<Term>) -> Term {
    Term::Tuple(Tuple::from(elements))
}

pub fn list(elements: Vec<Term>) -> Term {
    Term::List(List::from(elements))
}

pub fn nil() -> Term {
    Term::List(List::nil())
}

pub fn binary(bytes: impl Into<Vec<u8>>) -> Term {
    Term::Binary(Binary::from(bytes.into()))
}

pub fn pid(p: &Pid) -> Term {
    Term::Pid(p.clone())
}

pub fn reference(r: &Reference) -> Term {
    Term::Reference(Box::new(r.clone()))
}

/// The name of an atom term.
pub fn as_atom(t: &Term) -> Option<&str> {
    match t {
        Term::Atom(a) => Some(a.name.as_str()),
        _ => None,
    }
}

pub fn is_atom(t: &Term, name: &str) -> bool {
    as_atom(t) == Some(name)
}

pub fn as_tuple(t: &Term) -> Option<&[Term]> {
    match t {
        Term::Tuple(Tuple { elements }) => Some(elements),
        _ => None,
    }
}

pub fn as_pid(t: &Term) -> Option<&Pid> {
    match t {
        Term::Pid(p) => Some(p),
        _ => None,
    }
}

/// A proper list's elements; a STRING_EXT charlist is widened to integers.
pub fn as_list(t: &Term) -> Option<Vec<Term>> {
    match t {
        Term::List(l) => Some(l.elements.clone()),
        Term::ByteList(b) => Some(
            b.bytes
                .iter()
                .map(|&c| Term::FixInteger(FixInteger::from(c)))
                .collect(),
        ),
        _ => None,
    }
}

pub fn as_int(t: &Term) -> Option<i64> {
    match t {
        Term::FixInteger(i) => Some(i64::from(i.value)),
        Term::BigInteger(b) => i64::try_from(&b.value).ok(),
        _ => None,
    }
}

pub mod parse;
pub mod print;
