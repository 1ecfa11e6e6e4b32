//! Printing ETF terms the way Elixir 1.14's `inspect/1` prints them.
//!
//! [`inspect`] renders an [`eetf::Term`] exactly as `inspect/1` with default
//! options (`limit: 50`, `printable_limit: 4096`, `pretty: false`) prints the
//! same value on an Elixir 1.14 / OTP 25 node. The rules were taken from the
//! behaviour of a real `elixir` 1.14.0 binary (see the tests, which quote the
//! command that produced each expected string).
//!
//! Known, deliberate differences from a real Elixir node:
//! - Structs (`%{__struct__: Mod}` with `Mod` an Elixir module name) print as
//!   `%Mod{...}`, as on a node where `Mod` is loaded, with the `Inspect` output
//!   of `Range`, `MapSet`, `Date`, `Time`, `NaiveDateTime`, `DateTime`
//!   (`~U[...]` in UTC, `#DateTime<...>` elsewhere) and `Regex`. The fields of
//!   other structs print in key order (Elixir uses the `defstruct` order, which
//!   the term does not carry; `URI`'s is built in), and other custom `Inspect`
//!   implementations are not reproduced.
//! - Maps with more than 32 keys: Elixir prints them in the VM's internal
//!   hash order, which we cannot reproduce; we print them in term order, like
//!   small maps.
//! - Local funs print as `#Function<Index.Uniq/Arity in Mod>`, which is what
//!   Elixir prints when `Mod` is not loaded; with the module loaded it also
//!   names the enclosing function (`in Mod.fun/1`).
//! - Remote pids, ports and references print `N` in `#PID<N.id.serial>` as a
//!   stable non-zero number derived from the node name (see [`node_index`]);
//!   Erlang uses an index into its own node table there. Terms whose node is
//!   [`InspectOpts::local_node`] print `0`, like local terms in iex.
//! - Atoms holding characters that Elixir's tokenizer would normalise
//!   (compatibility characters such as `µ`, or combining marks such as
//!   U+0301) always print quoted. Elixir prints some of those bare (when the
//!   atom starts with an uppercase letter or contains `@`, or when the mark
//!   does not compose with the character before it). The quoted form still
//!   reads back as the same atom. Everything else about atom quoting,
//!   including Unicode scripts, was checked against Elixir 1.14 on 20 000
//!   random atoms (literal, keyword-key and `&Mod.fun/1` forms).
//! - Terms nested deeper than [`MAX_DEPTH`] print `...` at that depth.
//! - Non-finite floats cannot come off the wire (eetf refuses them); if one is
//!   built by hand it prints as Rust prints it.

use std::cmp::Ordering;
use std::collections::HashMap;
use std::fmt::Write as _;
use std::rc::Rc;

use eetf::Term;

/// Nesting depth at which printing gives up and writes `...`.
pub const MAX_DEPTH: usize = 512;

/// Options for [`inspect_with`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InspectOpts {
    /// Name of the node whose pids, ports and references print with node
    /// number 0 (the node doing the printing, as iex does).
    pub local_node: Option<String>,
    /// Maximum number of items printed in a list, tuple, map or binary
    /// (Elixir's `:limit`, default 50).
    pub limit: usize,
    /// Maximum number of characters printed from a string or charlist
    /// (Elixir's `:printable_limit`, default 4096).
    pub printable_limit: usize,
}

impl Default for InspectOpts {
    fn default() -> Self {
        InspectOpts {
            local_node: None,
            limit: 50,
            printable_limit: 4096,
        }
    }
}

impl InspectOpts {
    /// Default options with `local_node` set.
    pub fn with_local_node(node: impl Into<String>) -> Self {
        InspectOpts {
            local_node: Some(node.into()),
            ..InspectOpts::default()
        }
    }
}

/// Print `term` as Elixir 1.14's `inspect/1` with default options would.
pub fn inspect(term: &Term) -> String {
    inspect_with(term, &InspectOpts::default())
}

/// Print `term` as Elixir 1.14's `inspect/2` would with the given options.
pub fn inspect_with(term: &Term, opts: &InspectOpts) -> String {
    let mut out = String::new();
    Printer {
        opts,
        out: &mut out,
        order: Order::default(),
    }
    .term(term, 0);
    out
}

/// `term` as iex on `local_node` would show it: the form log lines use.
pub fn shown(term: &Term, local_node: &str) -> String {
    inspect_with(term, &InspectOpts::with_local_node(local_node))
}

/// A pid as iex on `local_node` shows it: `#PID<0.77.0>` for its own.
pub fn shown_pid(pid: &eetf::Pid, local_node: &str) -> String {
    shown(&Term::Pid(pid.clone()), local_node)
}

/// Erlang syntax, as the erl shell prints a value (`io_lib_pretty` at 80 columns,
/// lines broken as OTP 25 breaks them); `depth` is `~P`'s depth (`None`: all of it).
pub fn inspect_erlang(term: &Term, depth: Option<usize>, local_node: Option<&str>) -> String {
    let depth = depth.map_or(-1, |d| i64::try_from(d).unwrap_or(i64::MAX));
    let opts = crate::otp::io_format::PrintOpts {
        local_node: local_node.map(str::to_owned),
        ..Default::default()
    };
    crate::otp::io_format::print_term(
        term,
        depth,
        1,
        80,
        crate::otp::io_format::Encoding::Unicode,
        true,
        &opts,
    )
}

/// The number printed in place of `N` in `#PID<N.id.serial>` for a term
/// living on `node`: 0 for the local node, otherwise a stable number in
/// `1..=65535` derived from the node name (FNV-1a).
pub fn node_index(node: &str, opts: &InspectOpts) -> u32 {
    if opts.local_node.as_deref() == Some(node) {
        return 0;
    }
    let mut hash: u32 = 0x811c_9dc5;
    for b in node.bytes() {
        hash ^= u32::from(b);
        hash = hash.wrapping_mul(0x0100_0193);
    }
    1 + hash % 65535
}

struct Printer<'a, 't> {
    opts: &'a InspectOpts,
    out: &'a mut String,
    /// Shared so each map's keys are sorted once.
    order: Order<'t>,
}

impl<'t> Printer<'_, 't> {
    fn term(&mut self, term: &'t Term, depth: usize) {
        if depth >= MAX_DEPTH {
            self.out.push_str("...");
            return;
        }
        match term {
            Term::Atom(a) => self.out.push_str(&atom_literal(&a.name)),
            Term::FixInteger(i) => {
                let _ = write!(self.out, "{}", i.value);
            }
            Term::BigInteger(i) => {
                let _ = write!(self.out, "{}", i.value);
            }
            Term::Float(f) => self.out.push_str(&format_float(f.value)),
            Term::Pid(p) => {
                let n = node_index(&p.node.name, self.opts);
                let _ = write!(self.out, "#PID<{}.{}.{}>", n, p.id, p.serial);
            }
            Term::Port(p) => {
                let n = node_index(&p.node.name, self.opts);
                let _ = write!(self.out, "#Port<{}.{}>", n, p.id);
            }
            Term::Reference(r) => {
                let n = node_index(&r.node.name, self.opts);
                let _ = write!(self.out, "#Reference<{n}");
                for id in r.id.iter().rev() {
                    let _ = write!(self.out, ".{id}");
                }
                self.out.push('>');
            }
            Term::ExternalFun(f) => {
                let _ = write!(
                    self.out,
                    "&{}.{}/{}",
                    atom_literal(&f.module.name),
                    atom_remote_call(&f.function.name),
                    f.arity
                );
            }
            Term::InternalFun(f) => match f.as_ref() {
                eetf::InternalFun::New {
                    module,
                    arity,
                    old_index,
                    old_uniq,
                    ..
                } => {
                    let _ = write!(
                        self.out,
                        "#Function<{}.{}/{} in {}>",
                        old_index,
                        old_uniq,
                        arity,
                        atom_literal(&module.name)
                    );
                }
                eetf::InternalFun::Old {
                    module,
                    index,
                    uniq,
                    ..
                } => {
                    let _ = write!(
                        self.out,
                        "#Function<{}.{} in {}>",
                        index,
                        uniq,
                        atom_literal(&module.name)
                    );
                }
            },
            Term::Binary(b) => self.binary(&b.bytes),
            Term::BitBinary(b) => match bitstring_parts(b) {
                (bytes, None) => self.binary(bytes),
                (bytes, tail) => self.bitstring(bytes, tail),
            },
            Term::ByteList(_) | Term::List(_) | Term::ImproperList(_) => self.list(term, depth),
            Term::Tuple(t) => {
                self.out.push('{');
                self.items(t.elements.iter(), depth, |p, e, d| p.term(e, d));
                self.out.push('}');
            }
            Term::Map(m) => self.map(m, depth),
        }
    }

    /// Write `items` separated by `, `, stopping after `limit` with `...`.
    fn items<I, T, F>(&mut self, items: I, depth: usize, mut each: F)
    where
        I: Iterator<Item = T>,
        F: FnMut(&mut Self, T, usize),
    {
        let limit = self.opts.limit;
        for (i, item) in items.enumerate() {
            if i > 0 {
                self.out.push_str(", ");
            }
            if i >= limit {
                self.out.push_str("...");
                return;
            }
            each(self, item, depth + 1);
        }
    }

    fn binary(&mut self, bytes: &[u8]) {
        match printable_prefix(bytes, self.opts.printable_limit) {
            Some(text) => {
                self.out.push('"');
                escape_into(self.out, text, '"');
                self.out.push('"');
                if text.len() < bytes.len() {
                    self.out.push_str(" <> ...");
                }
            }
            None => self.bitstring(bytes, None),
        }
    }

    /// `<<1, 2, 3::size(3)>>`: the bytes, then the trailing bits if any.
    fn bitstring(&mut self, bytes: &[u8], tail: Option<(u8, u8)>) {
        if bytes.is_empty() && tail.is_none() {
            self.out.push_str("<<>>");
            return;
        }
        self.out.push_str("<<");
        let limit = self.opts.limit;
        let total = bytes.len() + usize::from(tail.is_some());
        for i in 0..total {
            if i > 0 {
                self.out.push_str(", ");
            }
            if i >= limit {
                self.out.push_str("...");
                break;
            }
            match bytes.get(i) {
                Some(b) => {
                    let _ = write!(self.out, "{b}");
                }
                None => {
                    if let Some((value, bits)) = tail {
                        let _ = write!(self.out, "{value}::size({bits})");
                    }
                }
            }
        }
        self.out.push_str(">>");
    }

    fn list(&mut self, term: &'t Term, depth: usize) {
        let view = ListView::of(term);
        if view.is_empty() {
            self.out.push_str("[]");
            return;
        }
        if let Some(text) = view.ascii_printable(self.opts.printable_limit) {
            self.out.push('\'');
            escape_into(self.out, &text, '\'');
            self.out.push('\'');
            if text.chars().count() < view.len() || view.tail.is_some() {
                self.out.push_str(" ++ ...");
            }
            return;
        }
        self.out.push('[');
        if view.is_keyword() {
            self.items(view.iter(), depth, |p, e, d| p.keyword_pair(e, d));
        } else {
            self.items(view.iter(), depth, |p, e, d| p.elem(e, d));
            if let Some(tail) = view.tail
                && view.len() <= self.opts.limit
            {
                self.out.push_str(" | ");
                self.term(tail, depth + 1);
            }
        }
        self.out.push(']');
    }

    fn elem(&mut self, e: Elem<'t>, depth: usize) {
        match e {
            Elem::Term(t) => self.term(t, depth),
            Elem::Byte(b) => {
                let _ = write!(self.out, "{b}");
            }
        }
    }

    /// `key: value` for an element already known to be `{atom, value}`.
    fn keyword_pair(&mut self, e: Elem<'t>, depth: usize) {
        if let Elem::Term(Term::Tuple(t)) = e
            && let [Term::Atom(k), v] = t.elements.as_slice()
        {
            self.out.push_str(&atom_key(&k.name));
            self.out.push(' ');
            self.term(v, depth);
            return;
        }
        self.elem(e, depth);
    }

    fn map(&mut self, m: &'t eetf::Map, depth: usize) {
        if self.struct_(m, depth) {
            return;
        }
        let entries = self.order.entries(m, 0);
        let keyword = entries.iter().all(|(k, _)| match k {
            Term::Atom(a) => !a.name.starts_with("Elixir."),
            _ => false,
        });
        self.out.push_str("%{");
        self.items(entries.iter(), depth, |p, (k, v), d| {
            match k {
                Term::Atom(a) if keyword => p.out.push_str(&atom_key(&a.name)),
                _ => {
                    p.term(k, d);
                    p.out.push_str(" =>");
                }
            }
            p.out.push(' ');
            p.term(v, d);
        });
        self.out.push('}');
    }
}

/// One list element: eetf keeps `STRING_EXT` lists as bytes.
#[derive(Clone, Copy)]
enum Elem<'a> {
    Term(&'a Term),
    Byte(u8),
}

impl Elem<'_> {
    fn small_int(self) -> Option<i64> {
        match self {
            Elem::Byte(b) => Some(i64::from(b)),
            Elem::Term(Term::FixInteger(i)) => Some(i64::from(i.value)),
            Elem::Term(Term::BigInteger(i)) => i.value.to_string().parse().ok(),
            Elem::Term(_) => None,
        }
    }
}

/// A list flattened into its elements and its improper tail (if any).
/// Improper lists whose tail is itself a list are joined, as Erlang would.
struct ListView<'a> {
    parts: Vec<Part<'a>>,
    len: usize,
    tail: Option<&'a Term>,
}

enum Part<'a> {
    Terms(&'a [Term]),
    Bytes(&'a [u8]),
}

impl<'a> ListView<'a> {
    fn of(mut term: &'a Term) -> Self {
        let mut parts = Vec::new();
        let mut len = 0;
        let tail = loop {
            match term {
                Term::List(l) => {
                    len += l.elements.len();
                    parts.push(Part::Terms(&l.elements));
                    break None;
                }
                Term::ByteList(l) => {
                    len += l.bytes.len();
                    parts.push(Part::Bytes(&l.bytes));
                    break None;
                }
                Term::ImproperList(l) => {
                    len += l.elements.len();
                    parts.push(Part::Terms(&l.elements));
                    term = &l.last;
                }
                other => break Some(other),
            }
        };
        ListView { parts, len, tail }
    }

    fn len(&self) -> usize {
        self.len
    }

    fn is_empty(&self) -> bool {
        self.len == 0 && self.tail.is_none()
    }

    fn iter(&self) -> impl Iterator<Item = Elem<'a>> + '_ {
        self.parts
            .iter()
            .flat_map(|p| -> Box<dyn Iterator<Item = Elem<'a>>> {
                match *p {
                    Part::Terms(ts) => Box::new(ts.iter().map(Elem::Term)),
                    Part::Bytes(bs) => Box::new(bs.iter().map(|&b| Elem::Byte(b))),
                }
            })
    }

    /// Elixir 1.14's `List.ascii_printable?(list, limit)`: the first `limit`
    /// elements are printable ASCII (or the list ends properly before).
    /// Returns the text of those elements.
    fn ascii_printable(&self, limit: usize) -> Option<String> {
        let mut text = String::new();
        let mut n = 0;
        for e in self.iter() {
            if n == limit {
                return Some(text);
            }
            let c = e.small_int()?;
            let printable = (32..=126).contains(&c) || matches!(c, 7..=13 | 27);
            if !printable {
                return None;
            }
            text.push(char::from(c as u8));
            n += 1;
        }
        if self.tail.is_some() && n < limit {
            return None;
        }
        Some(text)
    }

    /// Elixir's `Inspect.List.keyword?/1`: a proper list of `{atom, _}`
    /// whose atoms do not start with `Elixir.`.
    fn is_keyword(&self) -> bool {
        self.tail.is_none()
            && self.iter().all(|e| match e {
                Elem::Term(Term::Tuple(t)) => match t.elements.as_slice() {
                    [Term::Atom(k), _] => !k.name.starts_with("Elixir."),
                    _ => false,
                },
                _ => false,
            })
    }
}

/// The bytes of a bitstring that are whole, and the trailing partial byte
/// as `(value, bits)` when there is one. eetf keeps the trailing bits
/// right-aligned in the last byte; `tail_bits_size` 0 or 8 means "whole".
fn bitstring_parts(b: &eetf::BitBinary) -> (&[u8], Option<(u8, u8)>) {
    match b.bytes.split_last() {
        None => (&[], None),
        Some((&last, whole)) => match b.tail_bits_size {
            0 => (whole, None),
            bits @ 1..=7 => (whole, Some((last & ((1u8 << bits) - 1), bits))),
            _ => (&b.bytes, None),
        },
    }
}

mod atoms;
mod exception;
mod float;
mod order;
mod structs;
mod text;
mod unicode;

pub use atoms::atom_literal;
use atoms::*;
pub(crate) use atoms::{LITERAL_OPERATORS, unicode_class};
pub use exception::{error_banner, format_banner, format_stacktrace, mfa};
pub use float::format_float;
pub(crate) use order::rank;
pub use order::term_cmp;
use order::*;
use text::*;
use unicode::*;

#[cfg(test)]
pub(crate) mod tests;
