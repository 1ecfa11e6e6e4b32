//! Terms as Rust values: constructors and matchers for the shapes used all the time, and
//! Elixir-syntax printing ([`print`](mod@print)) and parsing ([`parse`]).
//!
//! ```
//! use erlnode::term;
//!
//! // {:ok, [1, "two", :three]}
//! let t = term::tuple(vec![
//!     term::atom("ok"),
//!     term::list(vec![term::int(1), term::binary("two"), term::atom("three")]),
//! ]);
//! assert_eq!(term::print::inspect(&t), r#"{:ok, [1, "two", :three]}"#);
//! assert_eq!(term::parse::parse_term(r#"{:ok, [1, "two", :three]}"#).unwrap(), t);
//!
//! if let Some([tag, _]) = term::as_tuple(&t) {
//!     assert!(term::is_atom(tag, "ok"));
//! }
//! ```

use eetf::{Atom, Binary, FixInteger, List, Pid, Reference, Term, Tuple};

/// The atom `name` (`:name` in Elixir).
pub fn atom(name: &str) -> Term {
    Term::Atom(Atom::from(name))
}

/// An integer, encoded small or big as its value needs.
pub fn int(v: i64) -> Term {
    match i32::try_from(v) {
        Ok(small) => Term::FixInteger(FixInteger::from(small)),
        Err(_) => Term::BigInteger(eetf::BigInteger::from(v)),
    }
}

/// A tuple of `elements`.
pub fn tuple(elements: Vec<Term>) -> Term {
    Term::Tuple(Tuple::from(elements))
}

/// A proper list of `elements`.
pub fn list(elements: Vec<Term>) -> Term {
    Term::List(List::from(elements))
}

/// The empty list, `[]`.
pub fn nil() -> Term {
    Term::List(List::nil())
}

/// A binary; an Elixir string is a UTF-8 binary: `binary("héllo")`.
pub fn binary(bytes: impl Into<Vec<u8>>) -> Term {
    Term::Binary(Binary::from(bytes.into()))
}

/// A pid as a term.
pub fn pid(p: &Pid) -> Term {
    Term::Pid(p.clone())
}

/// A reference as a term.
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

/// Whether `t` is the atom `name`.
pub fn is_atom(t: &Term, name: &str) -> bool {
    as_atom(t) == Some(name)
}

/// A tuple's elements; match a fixed size with `if let Some([a, b]) = as_tuple(t)`.
pub fn as_tuple(t: &Term) -> Option<&[Term]> {
    match t {
        Term::Tuple(Tuple { elements }) => Some(elements),
        _ => None,
    }
}

/// The pid in a pid term.
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

/// An integer term's value, when it fits an `i64`.
pub fn as_int(t: &Term) -> Option<i64> {
    match t {
        Term::FixInteger(i) => Some(i64::from(i.value)),
        Term::BigInteger(b) => i64::try_from(&b.value).ok(),
        _ => None,
    }
}

pub mod parse;
pub mod print;
pub mod serde;

pub use self::serde::{from_term, to_term};

/// A term shown as iex shows it: `println!("{}", term::display(&t))` prints
/// `%{name: "ada", tags: [:a]}`. (`Term`'s own `Display`, from the eetf crate,
/// prints an Erlang-like form instead; this is the one to show Elixir users.)
pub fn display(t: &Term) -> Display<'_> {
    Display(t)
}

/// The Elixir-syntax view of a term that [`display`] returns.
#[derive(Debug, Clone, Copy)]
pub struct Display<'a>(pub &'a Term);

impl std::fmt::Display for Display<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&print::inspect(self.0))
    }
}
