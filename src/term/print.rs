//! Printing ETF terms the way Elixir 1.14's `inspect/1` prints them.
//!
//! [`inspect`] renders an [`eetf::Term`] exactly as `inspect/1` with default
//! options (`limit: 50`, `printable_limit: 4096`, `pretty: false`) prints the
//! same value on an Elixir 1.14 / OTP 25 node. The rules were taken from the
//! behaviour of a real `elixir` 1.14.0 binary (see the tests, which quote the
//! command that produced each expected string).
//!
//! Known, deliberate differences from a real Elixir node:
//! - Structs (`%{__struct__: Mod}`) print as plain maps, which is what Elixir
//!   itself does when `Mod` is not loaded; a node that has `Mod` loaded would
//!   print `%Mod{...}` or a custom `Inspect` implementation.
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

// ---------------------------------------------------------------- strings

/// Elixir 1.14's `String.printable?/2` on a binary: the longest prefix of at
/// most `limit` code points, if all of them are printable and the binary is
/// printable up to there. `None` if the binary prints as `<<...>>`.
fn printable_prefix(bytes: &[u8], limit: usize) -> Option<&str> {
    let valid = match std::str::from_utf8(bytes) {
        Ok(s) => s,
        Err(e) => std::str::from_utf8(&bytes[..e.valid_up_to()]).ok()?,
    };
    let mut count = 0;
    for (i, c) in valid.char_indices() {
        if count == limit {
            return Some(&valid[..i]);
        }
        if !is_printable(c) {
            return None;
        }
        count += 1;
    }
    // Either the whole binary was valid and printable, or exactly `limit`
    // printable characters precede the first invalid byte.
    (valid.len() == bytes.len() || count == limit).then_some(valid)
}

/// The code points `String.printable?/1` accepts in Elixir 1.14.
fn is_printable(c: char) -> bool {
    matches!(c as u32,
        0x20..=0x7E | 0xA0..=0xD7FF | 0xE000..=0xFFFD | 0x10000..=0x10FFFF)
        || matches!(
            c,
            '\n' | '\r' | '\t' | '\x0B' | '\x08' | '\x0C' | '\x1B' | '\x7F' | '\x07'
        )
}

/// Escape `text` for use between `quote` characters, as Elixir's
/// `Code.Identifier.escape/2` does.
fn escape_into(out: &mut String, text: &str, quote: char) {
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            _ if c == quote => {
                out.push('\\');
                out.push(c);
            }
            '\\' => out.push_str("\\\\"),
            '#' if chars.peek() == Some(&'{') => out.push_str("\\#"),
            '\0' => out.push_str("\\0"),
            '\x07' => out.push_str("\\a"),
            '\x08' => out.push_str("\\b"),
            '\x7F' => out.push_str("\\d"),
            '\x1B' => out.push_str("\\e"),
            '\x0C' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\x0B' => out.push_str("\\v"),
            '\u{FEFF}' => out.push_str("\\uFEFF"),
            _ if is_printable(c) => out.push(c),
            _ if (c as u32) < 0x100 => {
                let _ = write!(out, "\\x{:02X}", c as u32);
            }
            _ => {
                let _ = write!(out, "\\x{{{:X}}}", c as u32);
            }
        }
    }
}

fn quoted(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    escape_into(&mut out, text, '"');
    out.push('"');
    out
}

// ------------------------------------------------------------------ atoms

/// Operators that print bare as atoms (`:+`) and keyword keys (`+:`).
pub(crate) const LITERAL_OPERATORS: &[&str] = &[
    "!", "^", "+", "-", "&", "@", "*", "/", "++", "--", "+++", "---", "..", "<>", "|>", "<<<",
    ">>>", "<<~", "~>>", "<~", "~>", "<~>", "<", ">", "<=", ">=", "==", "!=", "=~", "===", "!==",
    "&&", "&&&", "||", "|||", "=", "|", "<-", "\\\\", "**", "..//", "...", "->", "%", ".", "<<>>",
    "{}", "%{}",
];

/// Operators that print bare after `Mod.` in `&Mod.fun/arity`.
const REMOTE_CALL_OPERATORS: &[&str] = &[
    "!", "^", "~~~", "+", "-", "&", "@", "*", "/", "++", "--", "+++", "---", "<>", "^^^", "|>",
    "<<<", ">>>", "<<~", "~>>", "<~", "~>", "<~>", "<|>", "<", ">", "<=", ">=", "==", "!=", "=~",
    "===", "!==", "&&", "&&&", "||", "|||", "=", "|", "::", "<-", "\\\\", "**",
];

/// An atom as Elixir writes it in code: `:foo`, `:"a b"`, `Foo.Bar`, `nil`.
pub fn atom_literal(name: &str) -> String {
    if matches!(name, "nil" | "true" | "false") {
        return name.to_string();
    }
    if let Some(alias) = alias_form(name) {
        return alias.to_string();
    }
    if LITERAL_OPERATORS.contains(&name) || is_identifier_atom(name) {
        return format!(":{name}");
    }
    format!(":{}", quoted(name))
}

/// An atom as a keyword-list or map key: `foo:`, `"a b":`, `+:`.
fn atom_key(name: &str) -> String {
    if alias_form(name).is_none()
        && (matches!(name, "nil" | "true" | "false")
            || LITERAL_OPERATORS.contains(&name)
            || is_identifier_atom(name))
    {
        format!("{name}:")
    } else {
        format!("{}:", quoted(name))
    }
}

/// A function name after `&Mod.`: `map`, `+`, `"with space"`.
fn atom_remote_call(name: &str) -> String {
    let callable = is_identifier_atom(name)
        && !name.contains('@')
        && !name.chars().next().is_some_and(char::is_uppercase);
    if callable || REMOTE_CALL_OPERATORS.contains(&name) {
        name.to_string()
    } else {
        quoted(name)
    }
}

/// `Elixir.Foo.Bar` prints as `Foo.Bar` and `Elixir` as `Elixir`, as long
/// as every segment is an ASCII alias (and the first is not `Elixir`).
fn alias_form(name: &str) -> Option<&str> {
    if name == "Elixir" {
        return Some(name);
    }
    let rest = name.strip_prefix("Elixir.")?;
    let valid = rest.split('.').all(|seg| {
        let mut cs = seg.chars();
        cs.next().is_some_and(|c| c.is_ascii_uppercase())
            && cs.all(|c| c.is_ascii_alphanumeric() || c == '_')
    });
    let first_is_elixir = rest.split('.').next() == Some("Elixir");
    if !valid {
        None
    } else if first_is_elixir {
        Some(name)
    } else {
        Some(rest)
    }
}

/// Whether `:name` needs no quotes: an Elixir identifier (ASCII or Unicode
/// following Elixir 1.14's tokenizer rules), optionally ending in `?`/`!`,
/// possibly containing `@` after the first character.
fn is_identifier_atom(name: &str) -> bool {
    let body = name
        .strip_suffix('?')
        .or_else(|| name.strip_suffix('!'))
        .unwrap_or(name);
    let mut chars = body.chars();
    let Some(first) = chars.next() else {
        return false;
    };
    let mut classes: u64 = 0;
    let mut all_ascii = true;
    let mut note = |c: char, start: bool| -> bool {
        if c.is_ascii() {
            if c.is_ascii_alphabetic() {
                classes |= 1 << ASCII_LETTER_CLASS;
                return true;
            }
            return c == '_' || (!start && (c.is_ascii_digit() || c == '@'));
        }
        all_ascii = false;
        match unicode_class(c) {
            Some(k) if !start || UNI_CLASS_START[k] => {
                classes |= 1 << k;
                true
            }
            _ => false,
        }
    };
    if !note(first, true) {
        return false;
    }
    for c in chars {
        if !note(c, false) {
            return false;
        }
    }
    if all_ascii {
        return true;
    }
    // Every pair of script classes present must be allowed together.
    let mut rest = classes;
    while rest != 0 {
        let k = rest.trailing_zeros() as usize;
        rest &= rest - 1;
        if UNI_COMPAT[k] & classes != classes {
            return false;
        }
    }
    true
}

pub(crate) fn unicode_class(c: char) -> Option<usize> {
    let cp = c as u32;
    let i = UNI_RANGES.partition_point(|&(_, last, _)| last < cp);
    match UNI_RANGES.get(i) {
        Some(&(first, _, class)) if first <= cp => Some(usize::from(class)),
        _ => None,
    }
}

// ----------------------------------------------------------------- floats

/// A float as Elixir 1.14 prints it (`:erlang.float_to_binary(f, [:short])`):
/// the shortest digits that read back to the same float, in decimal
/// notation when the exponent is below 16 and (for negative exponents) the
/// decimal form is no longer than the scientific one.
pub fn format_float(v: f64) -> String {
    if !v.is_finite() {
        return format!("{v}");
    }
    // `{:e}` gives the shortest digits that read back, but breaks an exact
    // tie between two such candidates upwards; OTP rounds ties to even, as
    // the correctly rounded `{:.N$e}` does.
    let shortest = format!("{v:e}");
    let n = shortest
        .trim_start_matches('-')
        .split('e')
        .next()
        .unwrap_or("")
        .len()
        .saturating_sub(2);
    let rounded = format!("{v:.n$e}");
    let sci = if rounded.parse::<f64>() == Ok(v) {
        rounded
    } else {
        shortest
    };
    let (sign, sci) = match sci.strip_prefix('-') {
        Some(s) => ("-", s),
        None => ("", sci.as_str()),
    };
    let (mantissa, exp) = sci.split_once('e').unwrap_or((sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let digits: String = mantissa.chars().filter(|c| *c != '.').collect();
    let scientific = {
        let (head, tail) = digits.split_at(1);
        let tail = if tail.is_empty() { "0" } else { tail };
        format!("{sign}{head}.{tail}e{exp}")
    };
    if exp >= 16 {
        return scientific;
    }
    if exp >= 0 {
        let int_len = exp as usize + 1;
        return if digits.len() <= int_len {
            let zeros = "0".repeat(int_len - digits.len());
            format!("{sign}{digits}{zeros}.0")
        } else {
            let (int, frac) = digits.split_at(int_len);
            format!("{sign}{int}.{frac}")
        };
    }
    let zeros = "0".repeat((-exp - 1) as usize);
    let decimal = format!("{sign}0.{zeros}{digits}");
    if decimal.len() <= scientific.len() {
        decimal
    } else {
        scientific
    }
}

// ------------------------------------------------------------- term order

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

fn rank(t: &Term) -> u8 {
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
struct Order<'t> {
    sorted: HashMap<*const eetf::Map, Rc<[(&'t Term, &'t Term)]>>,
}

impl<'t> Order<'t> {
    /// `m`'s entries in key order.
    fn entries(&mut self, m: &'t eetf::Map, depth: usize) -> Rc<[(&'t Term, &'t Term)]> {
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
fn cmp_int(x: i64, other: &Term) -> Ordering {
    match other {
        Term::FixInteger(y) => x.cmp(&i64::from(y.value)),
        Term::BigInteger(y) => eetf::BigInteger::from(x).value.cmp(&y.value),
        _ => Ordering::Less,
    }
}

/// The rank of what ends a list: nil, or its improper tail.
fn end_rank(tail: Option<&Term>) -> u8 {
    tail.map_or(8, rank)
}

/// Bit-by-bit comparison; a proper prefix sorts first.
fn cmp_bits(a: &Term, b: &Term) -> Ordering {
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

// ------------------------------------------------------ Unicode atom tables
//
// Generated from Elixir 1.14.0 itself: for every code point 0x80..=0x3FFFF,
// `String.Tokenizer.tokenize/1` was asked whether `[c]` (and `[r, c]`,
// `[c, r]` for one representative `r` of each script group) is an identifier
// it keeps unchanged; code points with the same answers form a class.
// UNI_COMPAT then records, per pair of classes, whether a two- (or, for two
// continuation classes, three-) character identifier mixing them is kept.
// Left out (so atoms holding them are always quoted): code points above
// 0x3FFFF, and the 111 code points that end a canonical composition (such as
// U+0301 or U+3099), since whether Elixir quotes those depends on the
// character before them.

/// (first, last, class) for every non-ASCII code point that may appear in an unquoted atom.
const UNI_RANGES: &[(u32, u32, u8)] = &[
    (0xB7, 0xB7, 1),
    (0xC0, 0xD6, 0),
    (0xD8, 0xF6, 0),
    (0xF8, 0x131, 0),
    (0x134, 0x13E, 0),
    (0x141, 0x148, 0),
    (0x14A, 0x17E, 0),
    (0x18F, 0x18F, 0),
    (0x1A0, 0x1A1, 0),
    (0x1AF, 0x1B0, 0),
    (0x1CD, 0x1DC, 0),
    (0x1DE, 0x1E3, 0),
    (0x1E6, 0x1F0, 0),
    (0x1F4, 0x1F5, 0),
    (0x1F8, 0x21B, 0),
    (0x21E, 0x21F, 0),
    (0x226, 0x233, 0),
    (0x259, 0x259, 0),
    (0x2BB, 0x2BC, 2),
    (0x2EC, 0x2EC, 2),
    (0x310, 0x310, 1),
    (0x335, 0x335, 1),
    (0x339, 0x339, 1),
    (0x37B, 0x37D, 3),
    (0x386, 0x386, 3),
    (0x388, 0x38A, 3),
    (0x38C, 0x38C, 3),
    (0x38E, 0x3A1, 3),
    (0x3A3, 0x3BB, 3),
    (0x3BC, 0x3BC, 2),
    (0x3BD, 0x3CE, 3),
    (0x3FC, 0x3FF, 3),
    (0x400, 0x45F, 4),
    (0x48A, 0x4FF, 4),
    (0x510, 0x529, 4),
    (0x52E, 0x52F, 4),
    (0x531, 0x556, 5),
    (0x559, 0x559, 5),
    (0x561, 0x586, 5),
    (0x5B4, 0x5B4, 6),
    (0x5D0, 0x5EA, 7),
    (0x5EF, 0x5F2, 7),
    (0x620, 0x63F, 8),
    (0x641, 0x64A, 8),
    (0x64B, 0x652, 9),
    (0x660, 0x669, 10),
    (0x670, 0x670, 9),
    (0x671, 0x672, 8),
    (0x674, 0x674, 8),
    (0x679, 0x68D, 8),
    (0x68F, 0x6A0, 8),
    (0x6A2, 0x6D3, 8),
    (0x6D5, 0x6D5, 8),
    (0x6E5, 0x6E6, 8),
    (0x6EE, 0x6EF, 8),
    (0x6F0, 0x6F9, 9),
    (0x6FA, 0x6FC, 8),
    (0x6FF, 0x6FF, 8),
    (0x750, 0x77F, 8),
    (0x780, 0x7A5, 11),
    (0x7A6, 0x7B0, 12),
    (0x7B1, 0x7B1, 11),
    (0x870, 0x887, 8),
    (0x889, 0x88E, 8),
    (0x8A0, 0x8AC, 8),
    (0x8B2, 0x8B2, 8),
    (0x8B5, 0x8C9, 8),
    (0x901, 0x903, 13),
    (0x904, 0x939, 14),
    (0x93A, 0x93B, 13),
    (0x93D, 0x93D, 14),
    (0x93E, 0x94D, 13),
    (0x94F, 0x94F, 13),
    (0x950, 0x950, 14),
    (0x956, 0x957, 13),
    (0x960, 0x961, 14),
    (0x962, 0x963, 13),
    (0x966, 0x96F, 13),
    (0x971, 0x977, 14),
    (0x979, 0x97F, 14),
    (0x981, 0x983, 15),
    (0x985, 0x98C, 16),
    (0x98F, 0x990, 16),
    (0x993, 0x9A8, 16),
    (0x9AA, 0x9B0, 16),
    (0x9B2, 0x9B2, 16),
    (0x9B6, 0x9B9, 16),
    (0x9BC, 0x9BC, 15),
    (0x9BD, 0x9BD, 16),
    (0x9BF, 0x9C4, 15),
    (0x9C7, 0x9C8, 15),
    (0x9CD, 0x9CD, 15),
    (0x9CE, 0x9CE, 16),
    (0x9E0, 0x9E1, 16),
    (0x9E2, 0x9E3, 15),
    (0x9E6, 0x9EF, 15),
    (0x9F0, 0x9F1, 16),
    (0x9FE, 0x9FE, 15),
    (0xA01, 0xA03, 17),
    (0xA05, 0xA0A, 18),
    (0xA0F, 0xA10, 18),
    (0xA13, 0xA28, 18),
    (0xA2A, 0xA30, 18),
    (0xA32, 0xA32, 18),
    (0xA35, 0xA35, 18),
    (0xA38, 0xA39, 18),
    (0xA3C, 0xA3C, 17),
    (0xA3E, 0xA42, 17),
    (0xA47, 0xA48, 17),
    (0xA4B, 0xA4D, 17),
    (0xA5C, 0xA5C, 18),
    (0xA66, 0xA71, 17),
    (0xA72, 0xA74, 18),
    (0xA81, 0xA83, 19),
    (0xA85, 0xA8D, 20),
    (0xA8F, 0xA91, 20),
    (0xA93, 0xAA8, 20),
    (0xAAA, 0xAB0, 20),
    (0xAB2, 0xAB3, 20),
    (0xAB5, 0xAB9, 20),
    (0xABC, 0xABC, 19),
    (0xABD, 0xABD, 20),
    (0xABE, 0xAC5, 19),
    (0xAC7, 0xAC9, 19),
    (0xACB, 0xACD, 19),
    (0xAD0, 0xAD0, 20),
    (0xAE0, 0xAE1, 20),
    (0xAE2, 0xAE3, 19),
    (0xAE6, 0xAEF, 19),
    (0xAFA, 0xAFF, 19),
    (0xB01, 0xB03, 21),
    (0xB05, 0xB0C, 22),
    (0xB0F, 0xB10, 22),
    (0xB13, 0xB28, 22),
    (0xB2A, 0xB30, 22),
    (0xB32, 0xB33, 22),
    (0xB35, 0xB39, 22),
    (0xB3C, 0xB3C, 21),
    (0xB3D, 0xB3D, 22),
    (0xB3F, 0xB43, 21),
    (0xB47, 0xB47, 21),
    (0xB4D, 0xB4D, 21),
    (0xB55, 0xB55, 21),
    (0xB5F, 0xB61, 22),
    (0xB66, 0xB6F, 21),
    (0xB71, 0xB71, 22),
    (0xB82, 0xB82, 23),
    (0xB83, 0xB83, 24),
    (0xB85, 0xB8A, 24),
    (0xB8E, 0xB90, 24),
    (0xB92, 0xB95, 24),
    (0xB99, 0xB9A, 24),
    (0xB9C, 0xB9C, 24),
    (0xB9E, 0xB9F, 24),
    (0xBA3, 0xBA4, 24),
    (0xBA8, 0xBAA, 24),
    (0xBAE, 0xBB9, 24),
    (0xBBF, 0xBC2, 23),
    (0xBC6, 0xBC8, 23),
    (0xBCD, 0xBCD, 23),
    (0xBD0, 0xBD0, 24),
    (0xBE6, 0xBEF, 23),
    (0xC01, 0xC04, 25),
    (0xC05, 0xC0C, 26),
    (0xC0E, 0xC10, 26),
    (0xC12, 0xC28, 26),
    (0xC2A, 0xC33, 26),
    (0xC35, 0xC39, 26),
    (0xC3C, 0xC3C, 25),
    (0xC3D, 0xC3D, 26),
    (0xC3E, 0xC44, 25),
    (0xC46, 0xC47, 25),
    (0xC4A, 0xC4D, 25),
    (0xC55, 0xC55, 25),
    (0xC5D, 0xC5D, 26),
    (0xC60, 0xC61, 26),
    (0xC66, 0xC6F, 25),
    (0xC80, 0xC80, 27),
    (0xC82, 0xC83, 28),
    (0xC85, 0xC8C, 27),
    (0xC8E, 0xC90, 27),
    (0xC92, 0xCA8, 27),
    (0xCAA, 0xCB3, 27),
    (0xCB5, 0xCB9, 27),
    (0xCBC, 0xCBC, 28),
    (0xCBD, 0xCBD, 27),
    (0xCBE, 0xCBF, 28),
    (0xCC1, 0xCC1, 28),
    (0xCC3, 0xCC4, 28),
    (0xCC6, 0xCC6, 28),
    (0xCCC, 0xCCD, 28),
    (0xCDD, 0xCDD, 27),
    (0xCE0, 0xCE1, 27),
    (0xCE2, 0xCE3, 28),
    (0xCE6, 0xCEF, 28),
    (0xCF1, 0xCF2, 27),
    (0xD00, 0xD00, 29),
    (0xD02, 0xD03, 29),
    (0xD05, 0xD0C, 30),
    (0xD0E, 0xD10, 30),
    (0xD12, 0xD3A, 30),
    (0xD3D, 0xD3D, 30),
    (0xD3F, 0xD43, 29),
    (0xD46, 0xD48, 29),
    (0xD4D, 0xD4D, 29),
    (0xD4E, 0xD4E, 30),
    (0xD54, 0xD56, 30),
    (0xD60, 0xD61, 30),
    (0xD66, 0xD6F, 29),
    (0xD7A, 0xD7F, 30),
    (0xD82, 0xD83, 31),
    (0xD85, 0xD8E, 32),
    (0xD91, 0xD96, 32),
    (0xD9A, 0xDA5, 32),
    (0xDA7, 0xDB1, 32),
    (0xDB3, 0xDBB, 32),
    (0xDBD, 0xDBD, 32),
    (0xDC0, 0xDC6, 32),
    (0xDD0, 0xDD4, 31),
    (0xDD6, 0xDD6, 31),
    (0xDD8, 0xDD9, 31),
    (0xDDB, 0xDDB, 31),
    (0xDF2, 0xDF2, 31),
    (0xE01, 0xE30, 33),
    (0xE31, 0xE31, 34),
    (0xE32, 0xE32, 33),
    (0xE34, 0xE3A, 34),
    (0xE40, 0xE46, 33),
    (0xE47, 0xE4E, 34),
    (0xE50, 0xE59, 34),
    (0xE81, 0xE82, 35),
    (0xE84, 0xE84, 35),
    (0xE86, 0xE8A, 35),
    (0xE8C, 0xEA3, 35),
    (0xEA5, 0xEA5, 35),
    (0xEA7, 0xEB0, 35),
    (0xEB1, 0xEB1, 36),
    (0xEB2, 0xEB2, 35),
    (0xEB4, 0xEBC, 36),
    (0xEBD, 0xEBD, 35),
    (0xEC0, 0xEC4, 35),
    (0xEC6, 0xEC6, 35),
    (0xEC8, 0xECD, 36),
    (0xED0, 0xED9, 36),
    (0xEDE, 0xEDF, 35),
    (0xF00, 0xF00, 37),
    (0xF20, 0xF29, 38),
    (0xF35, 0xF35, 38),
    (0xF37, 0xF37, 38),
    (0xF3E, 0xF3F, 38),
    (0xF40, 0xF42, 37),
    (0xF44, 0xF47, 37),
    (0xF49, 0xF4C, 37),
    (0xF4E, 0xF51, 37),
    (0xF53, 0xF56, 37),
    (0xF58, 0xF5B, 37),
    (0xF5D, 0xF68, 37),
    (0xF6A, 0xF6C, 37),
    (0xF71, 0xF72, 38),
    (0xF74, 0xF74, 38),
    (0xF7A, 0xF80, 38),
    (0xF82, 0xF84, 38),
    (0xF86, 0xF87, 38),
    (0xF88, 0xF8C, 37),
    (0xF8D, 0xF92, 38),
    (0xF94, 0xF97, 38),
    (0xF99, 0xF9C, 38),
    (0xF9E, 0xFA1, 38),
    (0xFA3, 0xFA6, 38),
    (0xFA8, 0xFAB, 38),
    (0xFAD, 0xFB8, 38),
    (0xFBA, 0xFBC, 38),
    (0xFC6, 0xFC6, 38),
    (0x1000, 0x102A, 39),
    (0x102B, 0x102D, 40),
    (0x102F, 0x103E, 40),
    (0x103F, 0x103F, 39),
    (0x1040, 0x1049, 40),
    (0x1050, 0x1055, 39),
    (0x1056, 0x1059, 40),
    (0x105A, 0x105D, 39),
    (0x105E, 0x1060, 40),
    (0x1061, 0x1061, 39),
    (0x1062, 0x1064, 40),
    (0x1065, 0x1066, 39),
    (0x1067, 0x106D, 40),
    (0x106E, 0x1070, 39),
    (0x1071, 0x1074, 40),
    (0x1075, 0x1081, 39),
    (0x1082, 0x108D, 40),
    (0x108E, 0x108E, 39),
    (0x108F, 0x109D, 40),
    (0x10C7, 0x10C7, 41),
    (0x10CD, 0x10CD, 41),
    (0x10D0, 0x10F0, 41),
    (0x10F7, 0x10FA, 41),
    (0x10FD, 0x10FF, 41),
    (0x1200, 0x1248, 42),
    (0x124A, 0x124D, 42),
    (0x1250, 0x1256, 42),
    (0x1258, 0x1258, 42),
    (0x125A, 0x125D, 42),
    (0x1260, 0x1288, 42),
    (0x128A, 0x128D, 42),
    (0x1290, 0x12B0, 42),
    (0x12B2, 0x12B5, 42),
    (0x12B8, 0x12BE, 42),
    (0x12C0, 0x12C0, 42),
    (0x12C2, 0x12C5, 42),
    (0x12C8, 0x12D6, 42),
    (0x12D8, 0x1310, 42),
    (0x1312, 0x1315, 42),
    (0x1318, 0x135A, 42),
    (0x135D, 0x135F, 43),
    (0x1380, 0x138F, 42),
    (0x1780, 0x17A2, 44),
    (0x17A5, 0x17A7, 44),
    (0x17A9, 0x17B3, 44),
    (0x17B6, 0x17CD, 45),
    (0x17D0, 0x17D0, 45),
    (0x17D2, 0x17D2, 45),
    (0x17D7, 0x17D7, 44),
    (0x17DC, 0x17DC, 44),
    (0x17E0, 0x17E9, 45),
    (0x1C90, 0x1CBA, 41),
    (0x1CBD, 0x1CBF, 41),
    (0x1E00, 0x1E99, 0),
    (0x1E9E, 0x1E9E, 0),
    (0x1EA0, 0x1EF9, 0),
    (0x1F00, 0x1F15, 3),
    (0x1F18, 0x1F1D, 3),
    (0x1F20, 0x1F45, 3),
    (0x1F48, 0x1F4D, 3),
    (0x1F50, 0x1F57, 3),
    (0x1F59, 0x1F59, 3),
    (0x1F5B, 0x1F5B, 3),
    (0x1F5D, 0x1F5D, 3),
    (0x1F5F, 0x1F70, 3),
    (0x1F72, 0x1F72, 3),
    (0x1F74, 0x1F74, 3),
    (0x1F76, 0x1F76, 3),
    (0x1F78, 0x1F78, 3),
    (0x1F7A, 0x1F7A, 3),
    (0x1F7C, 0x1F7C, 3),
    (0x1F80, 0x1FB4, 3),
    (0x1FB6, 0x1FBA, 3),
    (0x1FBC, 0x1FBC, 3),
    (0x1FC2, 0x1FC4, 3),
    (0x1FC6, 0x1FC8, 3),
    (0x1FCA, 0x1FCA, 3),
    (0x1FCC, 0x1FCC, 3),
    (0x1FD0, 0x1FD2, 3),
    (0x1FD6, 0x1FDA, 3),
    (0x1FE0, 0x1FE2, 3),
    (0x1FE4, 0x1FEA, 3),
    (0x1FEC, 0x1FEC, 3),
    (0x1FF2, 0x1FF4, 3),
    (0x1FF6, 0x1FF8, 3),
    (0x1FFA, 0x1FFA, 3),
    (0x1FFC, 0x1FFC, 3),
    (0x2D27, 0x2D27, 41),
    (0x2D2D, 0x2D2D, 41),
    (0x2D80, 0x2D96, 42),
    (0x2DA0, 0x2DA6, 42),
    (0x2DA8, 0x2DAE, 42),
    (0x2DB0, 0x2DB6, 42),
    (0x2DB8, 0x2DBE, 42),
    (0x2DC0, 0x2DC6, 42),
    (0x2DC8, 0x2DCE, 42),
    (0x2DD0, 0x2DD6, 42),
    (0x2DD8, 0x2DDE, 42),
    (0x3005, 0x3007, 0),
    (0x3041, 0x3096, 46),
    (0x309D, 0x309E, 46),
    (0x30A1, 0x30FA, 46),
    (0x30FC, 0x30FE, 46),
    (0x3105, 0x312D, 47),
    (0x312F, 0x312F, 47),
    (0x31A0, 0x31BF, 47),
    (0x3400, 0x4DBF, 0),
    (0x4E00, 0x9FFF, 0),
    (0xA67F, 0xA67F, 4),
    (0xA717, 0xA71F, 2),
    (0xA788, 0xA788, 2),
    (0xA78D, 0xA78D, 0),
    (0xA792, 0xA793, 0),
    (0xA7AA, 0xA7AA, 0),
    (0xA7AE, 0xA7AE, 0),
    (0xA7B8, 0xA7B9, 0),
    (0xA7C0, 0xA7CA, 0),
    (0xA7D0, 0xA7D1, 0),
    (0xA7D3, 0xA7D3, 0),
    (0xA7D5, 0xA7D9, 0),
    (0xA9E7, 0xA9EF, 39),
    (0xA9F0, 0xA9F9, 40),
    (0xA9FA, 0xA9FE, 39),
    (0xAA60, 0xAA76, 39),
    (0xAA7A, 0xAA7A, 39),
    (0xAA7B, 0xAA7D, 40),
    (0xAA7E, 0xAA7F, 39),
    (0xAB01, 0xAB06, 42),
    (0xAB09, 0xAB0E, 42),
    (0xAB11, 0xAB16, 42),
    (0xAB20, 0xAB26, 42),
    (0xAB28, 0xAB2E, 42),
    (0xAB66, 0xAB67, 0),
    (0xAC00, 0xD7A3, 48),
    (0xFA0E, 0xFA0F, 0),
    (0xFA11, 0xFA11, 0),
    (0xFA13, 0xFA14, 0),
    (0xFA1F, 0xFA1F, 0),
    (0xFA21, 0xFA21, 0),
    (0xFA23, 0xFA24, 0),
    (0xFA27, 0xFA29, 0),
    (0x11301, 0x11301, 23),
    (0x11303, 0x11303, 23),
    (0x1133B, 0x1133C, 23),
    (0x16FF0, 0x16FF1, 49),
    (0x1B11F, 0x1B122, 46),
    (0x1B150, 0x1B152, 46),
    (0x1B164, 0x1B167, 46),
    (0x1DF00, 0x1DF1E, 0),
    (0x1E7E0, 0x1E7E6, 42),
    (0x1E7E8, 0x1E7EB, 42),
    (0x1E7ED, 0x1E7EE, 42),
    (0x1E7F0, 0x1E7FE, 42),
    (0x20000, 0x2A6DF, 0),
    (0x2A700, 0x2B738, 0),
    (0x2B740, 0x2B81D, 0),
    (0x2B820, 0x2CEA1, 0),
    (0x2CEB0, 0x2EBE0, 0),
    (0x30000, 0x3134A, 0),
];
/// Whether characters of each class may start an atom.
const UNI_CLASS_START: [bool; 50] = [
    true, false, true, true, true, true, false, true, true, false, false, true, false, false, true,
    false, true, false, true, false, true, false, true, false, true, false, true, true, false,
    false, true, false, true, true, false, true, false, true, false, true, false, true, true,
    false, true, false, true, true, true, false,
];
/// Bit j of entry i: classes i and j may share an unquoted atom.
const UNI_COMPAT: [u64; 50] = [
    0x3C00000000007,
    0x3FFFFFFFFFFFF,
    0x3FFFFFFFFFFFF,
    0xE,
    0x16,
    0x26,
    0xC6,
    0xC6,
    0x706,
    0x706,
    0x1F06,
    0x1C06,
    0x1C06,
    0x6006,
    0x6006,
    0x18006,
    0x18006,
    0x60006,
    0x60006,
    0x180006,
    0x180006,
    0x600006,
    0x600006,
    0x1800006,
    0x1800006,
    0x6000006,
    0x6000006,
    0x18000006,
    0x18000006,
    0x60000006,
    0x60000006,
    0x180000006,
    0x180000006,
    0x600000006,
    0x600000006,
    0x1800000006,
    0x1800000006,
    0x6000000006,
    0x6000000006,
    0x18000000006,
    0x18000000006,
    0x20000000006,
    0xC0000000006,
    0xC0000000006,
    0x300000000006,
    0x300000000006,
    0x2400000000007,
    0x2800000000007,
    0x3000000000007,
    0x3C00000000007,
];
/// Class of ASCII letters.
const ASCII_LETTER_CLASS: u8 = 0;

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub(crate) fn decode_hex(hex: &str) -> Term {
        let bytes: Vec<u8> = (0..hex.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
            .collect();
        Term::decode(&bytes[..]).unwrap()
    }

    fn local() -> InspectOpts {
        InspectOpts::with_local_node("nonode@nohost")
    }

    /// (term_to_binary hex, inspect/1 output), both printed by Elixir 1.14.0
    /// on OTP 25 (`elixir vectors.exs`, which runs
    /// `Base.encode16(:erlang.term_to_binary(v, minor_version: 2))` and
    /// `inspect(v)` over
    /// a list of values; pids, refs and ports are the script's own, on node
    /// `nonode@nohost`).
    pub(crate) const VECTORS: &[(&str, &str)] = &[
        ("837703666f6f", ":foo"),
        ("83770a77697468207370616365", ":\"with space\""),
        ("83770a456c697869722e466f6f", "Foo"),
        ("83770e456c697869722e466f6f2e426172", "Foo.Bar"),
        ("837706456c69786972", "Elixir"),
        ("83770a456c697869722e666f6f", ":\"Elixir.foo\""),
        ("837703466f6f", ":Foo"),
        ("8377036e696c", "nil"),
        ("83770474727565", "true"),
        ("83770566616c7365", "false"),
        ("8377012b", ":+"),
        ("8377023a3a", ":\"::\""),
        ("8377022f2f", ":\"//\""),
        ("8377023d3e", ":\"=>\""),
        ("8377035e5e5e", ":\"^^^\""),
        ("837700", ":\"\""),
        ("837703612262", ":\"a\\\"b\""),
        ("837703610a62", ":\"a\\nb\""),
        ("8377015c", ":\"\\\\\""),
        ("83770101", ":\"\\x01\""),
        ("83770100", ":\"\\0\""),
        ("837702c2a0", ":\"\u{A0}\""),
        ("837703efbbbf", ":\"\\uFEFF\""),
        ("837703efbfbe", ":\"\\x{FFFE}\""),
        ("837702237b", ":\"\\#{\""),
        ("837702613f", ":a?"),
        ("8377026121", ":a!"),
        ("837703613f62", ":\"a?b\""),
        ("837703614062", ":a@b"),
        ("8377046f6cc3a1", ":olá"),
        ("837706e697a5e69cac", ":日本"),
        ("83770361ceb2", ":\"aβ\""),
        ("837706cea96d656761", ":\"Ωmega\""),
        ("83770dd0bfd180d0b8d0b2d0b5d18261", ":\"приветa\""),
        ("837702c3a9", ":é"),
        ("837703efac81", ":\"ﬁ\""),
        ("83770461c2b762", ":a\u{B7}b"),
        ("83770361d9a3", ":\"a٣\""),
        ("837709e382abe382bfed959c", ":\"カタ한\""),
        ("83770ce697a5e69cace382abe382bf", ":日本カタ"),
        ("837703c38961", ":Éa"),
        ("83770d456c697869722e456c69786972", "Elixir.Elixir"),
        (
            "837711456c697869722e456c697869722e466f6f",
            "Elixir.Elixir.Foo",
        ),
        ("837710456c697869722e456c69786972466f6f", "ElixirFoo"),
        ("83770b456c697869722e466f6f2e", ":\"Elixir.Foo.\""),
        ("8377042e2e2f2f", ":..//"),
        ("8377033c7c3e", ":\"<|>\""),
        ("837703257b7d", ":%{}"),
        ("8377025c5c", ":\\\\"),
        ("836100", "0"),
        ("836101", "1"),
        ("8362ffffffff", "-1"),
        ("8361ff", "255"),
        ("836200000100", "256"),
        ("83627fffffff", "2147483647"),
        ("836280000000", "-2147483648"),
        ("836e040000000080", "2147483648"),
        ("836e040101000080", "-2147483649"),
        ("836e0a00cb444271764eb6429d02", "12345678901234567890123"),
        ("836e0a01cb444271764eb6429d02", "-12345678901234567890123"),
        ("836e0900000000000000000001", "18446744073709551616"),
        ("83463ff0000000000000", "1.0"),
        ("83463fb999999999999a", "0.1"),
        ("83464415af1d78b58c40", "1.0e20"),
        ("83463ee4f8b588e368f1", "1.0e-5"),
        ("8346430c6bf526340000", "1000000000000000.0"),
        ("83464341c37937e08000", "1.0e16"),
        ("83463f1a36e2eb1c432d", "0.0001"),
        ("83463f202e85be180b74", "1.2345678901234567e-4"),
        ("83463f543a272d9e0e51", "0.0012345678901234567"),
        ("83468000000000000000", "-0.0"),
        ("83460000000000000000", "0.0"),
        ("83460000000000000001", "5.0e-324"),
        ("83467fefffffffffffff", "1.7976931348623157e308"),
        ("83464340000000000000", "9007199254740992.0"),
        ("83463fd3333333333334", "0.30000000000000004"),
        ("83463e8421f5f40d8376", "1.5e-7"),
        ("8346405edd2f1a9fbe77", "123.456"),
        ("8346bdf12e0be826d695", "-2.5e-10"),
        ("83463f40624dd2f1a9fc", "0.0005"),
        ("83463f23a92a30553261", "1.5e-4"),
        ("834654b249ad2594c37d", "1.0e100"),
        ("836d00000000", "\"\""),
        ("836d00000003616263", "\"abc\""),
        (
            "836d00000011610a6209630d641b65076608670c680b69",
            "\"a\\nb\\tc\\rd\\ee\\af\\bg\\fh\\vi\"",
        ),
        ("836d0000000371225c", "\"q\\\"\\\\\""),
        ("836d00000004237b787d", "\"\\#{x}\""),
        ("836d0000000323617b", "\"#a{\""),
        ("836d000000017f", "\"\\d\""),
        ("836d0000000cc3a9e697a5e69cacf09f9880", "\"é日本😀\""),
        ("836d00000003efbbbf", "\"\\uFEFF\""),
        ("836d00000008c2a0e280a8e2808b", "\"\u{A0}\u{2028}\u{200B}\""),
        ("836d00000001ff", "<<255>>"),
        ("836d00000004616263ff", "<<97, 98, 99, 255>>"),
        ("836d00000003610062", "<<97, 0, 98>>"),
        ("836d00000002c280", "<<194, 128>>"),
        ("836d00000003efbfbf", "<<239, 191, 191>>"),
        ("836d00000003eda080", "<<237, 160, 128>>"),
        ("836d00000004f09fbfbe", "\"\u{1FFFE}\""),
        ("836d00000003010203", "<<1, 2, 3>>"),
        ("834d000000010320", "<<1::size(3)>>"),
        ("834d00000002040120", "<<1, 2::size(4)>>"),
        ("834d000000040161626380", "<<97, 98, 99, 1::size(1)>>"),
        ("834d0000000203ffe0", "<<255, 7::size(3)>>"),
        ("834d000000010100", "<<0::size(1)>>"),
        ("836b0003616263", "'abc'"),
        ("836b0003616200", "[97, 98, 0]"),
        ("836b0003610a62", "'a\\nb'"),
        ("836b00080708090a0b0c0d1b", "'\\a\\b\\t\\n\\v\\f\\r\\e'"),
        ("836b00017f", "[127]"),
        ("836b0001e9", "[233]"),
        ("836c0000000162000065e56a", "[26085]"),
        ("836b0003612762", "'a\\'b'"),
        ("836b0003612262", "'a\"b'"),
        ("836b0002237b", "'\\#{'"),
        ("836a", "[]"),
        ("836b0003010203", "[1, 2, 3]"),
        ("836b00011f", "[31]"),
        ("836b000120", "' '"),
        ("836b0003615c62", "'a\\\\b'"),
        ("836c0000000161616162", "[97 | 98]"),
        ("836c00000002616161626d0000000163", "[97, 98 | \"c\"]"),
        ("836c0000000361016b00020203680161046a", "[1, [2, 3], {4}]"),
        ("836c0000000161016102", "[1 | 2]"),
        ("836c000000026101610246400c000000000000", "[1, 2 | 3.5]"),
        (
            "836c000000036b000201026b0002030461056a",
            "[[1, 2], [3, 4], 5]",
        ),
        ("836c0000000268027701616101680277016261026a", "[a: 1, b: 2]"),
        (
            "836c00000003680277016161016802770162610268026d000000016361036a",
            "[{:a, 1}, {:b, 2}, {\"c\", 3}]",
        ),
        (
            "836c000000016802770a456c697869722e466f6f61016a",
            "[{Foo, 1}]",
        ),
        (
            "836c000000016802770a456c697869722e666f6f61016a",
            "[{:\"Elixir.foo\", 1}]",
        ),
        (
            "836c000000016802770161610168027701626102",
            "[{:a, 1} | {:b, 2}]",
        ),
        ("836c000000016803770161610161026a", "[{:a, 1, 2}]"),
        ("836c0000000168027706456c6978697261016a", "[\"Elixir\": 1]"),
        (
            "836c0000000b6802770a776974682073706163656101680277036e696c610268027704747275656103680277012b610468027702613f6105680277023a3a610668027703466f6f6107680277046f6cc3a16108680277027c7c6109680277032e2e2e610a68027700610b6a",
            "[\"with space\": 1, nil: 2, true: 3, +: 4, a?: 5, \"::\": 6, Foo: 7, olá: 8, ||: 9, ...: 10, \"\": 11]",
        ),
        ("836800", "{}"),
        ("836801770161", "{:a}"),
        (
            "83680561016d0000000374776f770574687265656b00010468016105",
            "{1, \"two\", :three, [4], {5}}",
        ),
        ("837400000000", "%{}"),
        ("83740000000277016161017701626102", "%{a: 1, b: 2}"),
        (
            "83740000000277016261026d00000001616101",
            "%{:b => 2, \"a\" => 1}",
        ),
        (
            "837400000002770a456c697869722e466f6f610177027a7a6102",
            "%{Foo => 1, :zz => 2}",
        ),
        ("8374000000017706456c697869726101", "%{\"Elixir\": 1}"),
        (
            "83740000000377012b610377036e696c6102770a776974682073706163656101",
            "%{+: 3, nil: 2, \"with space\": 1}",
        ),
        (
            "83740000000562ffffffff77016561017701626102770163463ff0000000000000770164463ff8000000000000770161",
            "%{-1 => :e, 1 => :b, 2 => :c, 1.0 => :d, 1.5 => :a}",
        ),
        (
            "837400000003616477016146c014000000000000770163463ff8000000000000770162",
            "%{100 => :a, -5.0 => :c, 1.5 => :b}",
        ),
        (
            "83740000000861016107770161610668006103740000000061086a61016b00010161026d0000000061044d0000000101806105",
            "%{1 => 7, :a => 6, {} => 3, %{} => 8, [] => 1, [1] => 2, \"\" => 4, <<1::size(1)>> => 5}",
        ),
        (
            "8374000000046d000000010061016d00000002000161024d00000001018061056d00000001806103",
            "%{<<0>> => 1, <<0, 1>> => 2, <<1::size(1)>> => 5, <<128>> => 3}",
        ),
        (
            "837400000003680261016102610368026101463ff000000000000061016802463ff000000000000061016102",
            "%{{1, 2} => 3, {1, 1.0} => 1, {1.0, 1} => 2}",
        ),
        (
            "8374000000047400000001770161610061047400000001770161610161017400000001770162610061027400000002770161610177016261026103",
            "%{%{a: 0} => 4, %{a: 1} => 1, %{b: 0} => 2, %{a: 1, b: 2} => 3}",
        ),
        (
            "8374000000056c000000016101610261026b00010161036b0002010261016b000301020361046c0000000161016d00000001616105",
            "%{[1 | 2] => 2, [1] => 3, [1, 2] => 1, [1, 2, 3] => 4, [1 | \"a\"] => 5}",
        ),
        (
            "83740000000a61016107770161610277016261015a0003770d6e6f6e6f6465406e6f686f73740000000000014d541ad80001cc0b0050610959770d6e6f6e6f6465406e6f686f73740000000500000000610a58770d6e6f6e6f6465406e6f686f73740000006000000000000000006108680161016104740000000061066b00010161056d00000001786103",
            "%{1 => 7, :a => 2, :b => 1, #Reference<0.3423273040.450363393.85332> => 9, #Port<0.5> => 10, #PID<0.96.0> => 8, {1} => 4, %{} => 6, [1] => 5, \"x\" => 3}",
        ),
        (
            "837400000002770a5f5f7374727563745f5f770a456c697869722e466f6f7701616101",
            "%{__struct__: Foo, a: 1}",
        ),
        (
            "83740000000377027a7a610277027c7c61037706e697a5e69cac6101",
            "%{zz: 2, ||: 3, 日本: 1}",
        ),
        (
            "8358770d6e6f6e6f6465406e6f686f7374000000600000000000000000",
            "#PID<0.96.0>",
        ),
        (
            "835a0003770d6e6f6e6f6465406e6f686f73740000000000014d541ad80001cc0b0050",
            "#Reference<0.3423273040.450363393.85332>",
        ),
        (
            "8359770d6e6f6e6f6465406e6f686f73740000000500000000",
            "#Port<0.5>",
        ),
        (
            "836c0000000358770d6e6f6e6f6465406e6f686f73740000006000000000000000005a0003770d6e6f6e6f6465406e6f686f73740000000000014d541ad80001cc0b005059770d6e6f6e6f6465406e6f686f737400000005000000006a",
            "[#PID<0.96.0>, #Reference<0.3423273040.450363393.85332>, #Port<0.5>]",
        ),
        (
            "8371770b456c697869722e456e756d77036d61706102",
            "&Enum.map/2",
        ),
        ("837177056c6973747377036d61706102", "&:lists.map/2"),
        ("8371770665726c616e6777012b6102", "&:erlang.+/2"),
        (
            "837177097765697264206d6f647701786100",
            "&:\"weird mod\".x/0",
        ),
        (
            "8371770b456c697869722e456e756d770a776974682073706163656101",
            "&Enum.\"with space\"/1",
        ),
        (
            "8371770b456c697869722e456e756d7703466f6f6101",
            "&Enum.\"Foo\"/1",
        ),
        (
            "8371770b456c697869722e456e756d77022e2e6101",
            "&Enum.\"..\"/1",
        ),
        ("8371770b456c697869722e456e756d77023a3a6101", "&Enum.::/1"),
        (
            "8371770b456c697869722e456e756d77036e696c6101",
            "&Enum.nil/1",
        ),
        (
            "8371770b456c697869722e456e756d77036140626101",
            "&Enum.\"a@b\"/1",
        ),
        (
            "8371770a456c697869722e666f6f7701786101",
            "&:\"Elixir.foo\".x/1",
        ),
        ("83717706456c697869727701786101", "&Elixir.x/1"),
        (
            "8371770b456c697869722e456e756d7703c389616101",
            "&Enum.\"Éa\"/1",
        ),
        (
            "8371770b456c697869722e456e756d77046f6cc3a16101",
            "&Enum.olá/1",
        ),
        (
            "836b00320102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f303132",
            "[1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40, 41, 42, 43, 44, 45, 46, 47, 48, 49, 50]",
        ),
        (
            "836b00330102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f30313233",
            "[1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40, 41, 42, 43, 44, 45, 46, 47, 48, 49, 50, ...]",
        ),
        (
            "836c00000032610161026103610461056106610761086109610a610b610c610d610e610f6110611161126113611461156116611761186119611a611b611c611d611e611f6120612161226123612461256126612761286129612a612b612c612d612e612f6130613161326133",
            "[1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40, 41, 42, 43, 44, 45, 46, 47, 48, 49, 50 | 51]",
        ),
        (
            "836c00000033610161026103610461056106610761086109610a610b610c610d610e610f6110611161126113611461156116611761186119611a611b611c611d611e611f6120612161226123612461256126612761286129612a612b612c612d612e612f61306131613261336134",
            "[1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40, 41, 42, 43, 44, 45, 46, 47, 48, 49, 50, ...]",
        ),
        (
            "836833610161026103610461056106610761086109610a610b610c610d610e610f6110611161126113611461156116611761186119611a611b611c611d611e611f6120612161226123612461256126612761286129612a612b612c612d612e612f6130613161326133",
            "{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40, 41, 42, 43, 44, 45, 46, 47, 48, 49, 50, ...}",
        ),
        (
            "83740000001f610161016102610261036103610461046105610561066106610761076108610861096109610a610a610b610b610c610c610d610d610e610e610f610f61106110611161116112611261136113611461146115611561166116611761176118611861196119611a611a611b611b611c611c611d611d611e611e7701616101",
            "%{1 => 1, 2 => 2, 3 => 3, 4 => 4, 5 => 5, 6 => 6, 7 => 7, 8 => 8, 9 => 9, 10 => 10, 11 => 11, 12 => 12, 13 => 13, 14 => 14, 15 => 15, 16 => 16, 17 => 17, 18 => 18, 19 => 19, 20 => 20, 21 => 21, 22 => 22, 23 => 23, 24 => 24, 25 => 25, 26 => 26, 27 => 27, 28 => 28, 29 => 29, 30 => 30, :a => 1}",
        ),
        (
            "836d000000320101010101010101010101010101010101010101010101010101010101010101010101010101010101010101010101010101",
            "<<1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1>>",
        ),
        (
            "836d00000033010101010101010101010101010101010101010101010101010101010101010101010101010101010101010101010101010101",
            "<<1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, ...>>",
        ),
        (
            "834d00000032030101010101010101010101010101010101010101010101010101010101010101010101010101010101010101010101010120",
            "<<1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1::size(3)>>",
        ),
        (
            "834d0000003303010101010101010101010101010101010101010101010101010101010101010101010101010101010101010101010101010120",
            "<<1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, ...>>",
        ),
        (
            "836c00000033680277026b316101680277026b326102680277026b336103680277026b346104680277026b356105680277026b366106680277026b376107680277026b386108680277026b396109680277036b3130610a680277036b3131610b680277036b3132610c680277036b3133610d680277036b3134610e680277036b3135610f680277036b31366110680277036b31376111680277036b31386112680277036b31396113680277036b32306114680277036b32316115680277036b32326116680277036b32336117680277036b32346118680277036b32356119680277036b3236611a680277036b3237611b680277036b3238611c680277036b3239611d680277036b3330611e680277036b3331611f680277036b33326120680277036b33336121680277036b33346122680277036b33356123680277036b33366124680277036b33376125680277036b33386126680277036b33396127680277036b34306128680277036b34316129680277036b3432612a680277036b3433612b680277036b3434612c680277036b3435612d680277036b3436612e680277036b3437612f680277036b34386130680277036b34396131680277036b35306132680277036b353161336a",
            "[k1: 1, k2: 2, k3: 3, k4: 4, k5: 5, k6: 6, k7: 7, k8: 8, k9: 9, k10: 10, k11: 11, k12: 12, k13: 13, k14: 14, k15: 15, k16: 16, k17: 17, k18: 18, k19: 19, k20: 20, k21: 21, k22: 22, k23: 23, k24: 24, k25: 25, k26: 26, k27: 27, k28: 28, k29: 29, k30: 30, k31: 31, k32: 32, k33: 33, k34: 34, k35: 35, k36: 36, k37: 37, k38: 38, k39: 39, k40: 40, k41: 41, k42: 42, k43: 43, k44: 44, k45: 45, k46: 46, k47: 47, k48: 48, k49: 49, k50: 50, ...]",
        ),
        (
            "836c000000026b001e0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e6b001e0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e6a",
            "[[1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30], [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30]]",
        ),
        (
            "83680277026f6b740000000277046d65746177036e696c6d0000000575736572736c0000000174000000037703616765611e77046e616d656d00000003616e6e7704746167736c000000026b0001786d00000001796a6a",
            "{:ok, %{:meta => nil, \"users\" => [%{age: 30, name: \"ann\", tags: ['x', \"y\"]}]}}",
        ),
    ];

    #[test]
    fn matches_elixir_vectors() {
        let mut failures = Vec::new();
        for (hex, want) in VECTORS {
            let got = inspect_with(&decode_hex(hex), &local());
            if got != *want {
                failures.push(format!("{hex}\n  want {want}\n  got  {got}"));
            }
        }
        assert!(failures.is_empty(), "{}", failures.join("\n"));
    }

    /// (IEEE bits, inspect output) from Elixir 1.14.0: `<<f::float>> =
    /// <<bits::64>>; inspect(f)` over 100 000 random bit patterns (all of
    /// which matched while this was written); kept here: the exact-tie cases
    /// (OTP rounds those to even) and a sample.
    const FLOATS: &[(u64, &str)] = &[
        (0x3E60000000000000, "2.9802322387695312e-8"),
        (0x3EA4000000000000, "5.960464477539062e-7"),
        (0x42B1086264E7BD50, "18727708190653.312"),
        (0x4305ED97D79D8BCA, "771526365524345.2"),
        (0xC2B6BB40F2381690, "-24993504311318.562"),
        (0x3F6C000000000000, "0.00341796875"),
        (0x2EBF12DA557515D6, "1.5995337205441216e-83"),
        (0x3E1862C466FE37B2, "1.4194409224157952e-9"),
        (0xA4F948D7A6729606, "-1.4248756247403956e-130"),
        (0x415B7F80B6980D65, "7208450.853030537"),
        (0x4228000000000000, "51539607552.0"),
        (0xC121A9FAB72BE828, "-578813.3577568578"),
        (0x4018000000000000, "6.0"),
        (0x3E24000000000000, "2.3283064365386963e-9"),
        (0xC0C02A8976635AEC, "-8277.073925418277"),
        (0x3F58000000000000, "0.00146484375"),
        (0xBFE70CF0D2E24AEC, "-0.7203296774699459"),
        (0x43AF29C41644893B, "1.1227707445695359e18"),
        (0x403C000000000000, "28.0"),
        (0x269ED5F658B02375, "1.1661565606448928e-122"),
        (0x3F50000000000000, "9.765625e-4"),
        (0xF91B57D24490BB6D, "-2.36669909935405e275"),
        (0xBEBEA612D82B31E9, "-1.8268063689984982e-6"),
        (0x42A8000000000000, "13194139533312.0"),
        (0xB3259D6C3A859976, "-2.6271495379608253e-62"),
        (0x411CA0E131F0DFA1, "469048.2987704222"),
        (0xC224F6888B703712, "-45017744824.10756"),
        (0x40A8000000000000, "3072.0"),
        (0xECD676BE0CA45E0B, "-1.9359799331655094e216"),
    ];

    #[test]
    fn floats_match_elixir() {
        for (bits, want) in FLOATS {
            assert_eq!(format_float(f64::from_bits(*bits)), *want, "{bits:#x}");
        }
    }

    #[test]
    fn printable_limit_on_strings_and_charlists() {
        // Elixir 1.14.0: `inspect(String.duplicate("é", 5000))` is 4105
        // characters: the first 4096 code points, then `" <> ...`; the limit
        // counts code points, not bytes or output characters ("\n" x 5000
        // gives 8201 characters).
        let bin = Term::from(eetf::Binary::from("é".repeat(5000).into_bytes()));
        assert_eq!(inspect(&bin), format!("\"{}\" <> ...", "é".repeat(4096)));
        let nl = Term::from(eetf::Binary::from(vec![b'\n'; 5000]));
        assert_eq!(inspect(&nl), format!("\"{}\" <> ...", "\\n".repeat(4096)));
        // 4096 printable code points followed by an invalid byte still print
        // as a string; with 4095 they print as bytes (limited to 50).
        let mut bytes = vec![b'a'; 4096];
        bytes.push(0xFF);
        let t = Term::from(eetf::Binary::from(bytes));
        assert_eq!(inspect(&t), format!("\"{}\" <> ...", "a".repeat(4096)));
        let mut bytes = vec![b'a'; 4095];
        bytes.push(0xFF);
        let t = Term::from(eetf::Binary::from(bytes));
        let want = format!("<<{}, ...>>", vec!["97"; 50].join(", "));
        assert_eq!(inspect(&t), want);
        // `inspect(String.to_charlist(String.duplicate("a", 5000)))`, and
        // 4096 'a's `++ [0]`: both print `'aaa…' ++ ...`.
        let cl = Term::from(eetf::ByteList::from(vec![b'a'; 5000]));
        assert_eq!(inspect(&cl), format!("'{}' ++ ...", "a".repeat(4096)));
        let mut v = vec![b'a'; 4096];
        v.push(0);
        let cl = Term::from(eetf::ByteList::from(v));
        assert_eq!(inspect(&cl), format!("'{}' ++ ...", "a".repeat(4096)));
    }

    #[test]
    fn local_fun_without_its_module() {
        // `M.f(1)` from `defmodule M do def f(x), do: fn y -> x + y end end`,
        // term_to_binary'd by Elixir 1.14.0; a fresh `elixir` that has no `M`
        // prints the decoded fun as below.
        let hex = concat!(
            "83700000004e01dfb9aec587f7761f81fc6d15550286980000000000000001",
            "640008456c697869722e4d61006206fdcd765864000d6e6f6e6f6465406e6f",
            "686f73740000006000000000000000006101"
        );
        assert_eq!(inspect(&decode_hex(hex)), "#Function<0.117296502/1 in M>");
    }

    #[test]
    fn remote_nodes_get_a_stable_nonzero_index() {
        let pid = Term::from(eetf::Pid::new("b@vm", 110, 0, 1));
        let opts = InspectOpts::with_local_node("a@vm");
        let n = node_index("b@vm", &opts);
        assert!((1..=65535).contains(&n));
        assert_eq!(inspect_with(&pid, &opts), format!("#PID<{n}.110.0>"));
        let here = InspectOpts::with_local_node("b@vm");
        assert_eq!(inspect_with(&pid, &here), "#PID<0.110.0>");
        let port = Term::from(eetf::Port {
            node: eetf::Atom::from("b@vm"),
            id: 5,
            creation: 1,
        });
        assert_eq!(inspect_with(&port, &here), "#Port<0.5>");
    }

    #[test]
    fn bitstring_tail_sizes() {
        // eetf keeps the trailing bits right-aligned; stray high bits are
        // ignored, 8 means a whole byte and 0 means the last byte is absent.
        let t = |bytes: Vec<u8>, tail| Term::from(eetf::BitBinary::from((bytes, tail)));
        assert_eq!(inspect(&t(vec![1, 0xFA], 3)), "<<1, 2::size(3)>>");
        assert_eq!(inspect(&t(vec![97, 98], 8)), "\"ab\"");
        assert_eq!(inspect(&t(vec![97, 98], 0)), "\"a\"");
        assert_eq!(inspect(&t(vec![], 0)), "\"\"");
    }

    #[test]
    fn deep_nesting_is_cut_off_not_overflowed() {
        let mut t = Term::from(eetf::List::nil());
        for _ in 0..5000 {
            t = Term::from(eetf::Tuple::from(vec![t]));
        }
        let s = inspect(&t);
        assert!(s.starts_with("{{{{"));
        assert!(s.contains("..."));
        // Leak rather than drop 5000 levels recursively on a test thread.
        std::mem::forget(t);
    }

    #[test]
    fn map_key_order_is_term_order() {
        // The keys of `%{1.5 => :a, 1 => :b, 2 => :c, 1.0 => :d, -1 => :e}`
        // (see VECTORS), built by hand with a BigInteger thrown in.
        let atom = |s: &str| Term::from(eetf::Atom::from(s));
        let m = eetf::Map::from([
            (Term::from(eetf::Float { value: 1.5 }), atom("a")),
            (Term::from(eetf::FixInteger::from(1)), atom("b")),
            (Term::from(eetf::BigInteger::from(2)), atom("c")),
            (Term::from(eetf::Float { value: 1.0 }), atom("d")),
            (Term::from(eetf::FixInteger::from(-1)), atom("e")),
        ]);
        assert_eq!(
            inspect(&Term::from(m)),
            "%{-1 => :e, 1 => :b, 2 => :c, 1.0 => :d, 1.5 => :a}"
        );
    }
}
