//! Values of the shell-fun interpreter: lists as shared cons cells, tuples, maps, funs and binaries behind reference counts; made from terms where they enter the interpreter, turned back into terms where they leave it.
//!
//! `[h | t]` allocates one cell that points at `t`'s first cell, and
//! matching `[h | t]` hands out the head and that shared tail: both take
//! constant time, as on BEAM. Binding, passing or capturing a value copies a
//! pointer, never the value. Each cell records the length of its chain and
//! how deeply the list nests, so the limits on what a fun builds
//! ([`MAX_ELEMENTS`] cells, [`MAX_TERM_DEPTH`] levels) are checked as a value
//! is made, without walking it.
//!
//! Values become eetf [`Term`]s only where they leave the interpreter
//! (messages sent, calls of registered functions, the fun's result,
//! exceptions) and are made from terms where they enter it (the fun and its
//! arguments, messages received, results of registered functions).

use super::forms::{error_atom, forms_list};
use super::ops::{Num, bits_of, cmp_num, num};
use super::pattern::Env;
use crate::otp::rpc::Exception;
use crate::term;
use crate::term::print::term_cmp;
use eetf::{Atom, InternalFun, Pid, Term};
use std::cmp::Ordering;
use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

/// Most elements (list cells, binary bytes) one operation may produce.
pub(super) const MAX_ELEMENTS: usize = 1 << 24;

/// Deepest nesting a value built by the interpreter may have: what the wire
/// carries, and shallow enough for the recursion of comparisons,
/// conversions and drops.
pub(super) const MAX_TERM_DEPTH: usize = crate::proto::etf::MAX_DEPTH;

/// An Erlang value as the interpreter holds it.
#[derive(Clone)]
pub(super) enum Value {
    /// A value that holds no other and is cheap to copy: a small integer,
    /// float, atom, pid, port, reference or external fun. Made by
    /// [`Value::leaf`], never a list, tuple, map or binary.
    Leaf(Term),
    /// A leaf too big to copy on every use (binary, bitstring, big integer)
    /// or a fun this interpreter cannot run, kept whole: made by
    /// [`Value::leaf`].
    Shared(Arc<SharedLeaf>),
    /// `[]`.
    Nil,
    /// A list cell.
    Cons(Arc<Cons>),
    Tuple(Arc<Tuple>),
    Map(Arc<MapValue>),
    /// An `erl_eval` fun: one the interpreter can run.
    Fun(Arc<Closure>),
}

/// See [`Value::Shared`].
pub(super) struct SharedLeaf {
    term: Term,
    depth: u32,
}

/// One list cell; see [`Value::cons`].
pub(super) struct Cons {
    pub(super) head: Value,
    pub(super) tail: Value,
    /// Cells in the chain from this one on.
    len: usize,
    /// Whether the chain ends in `[]`.
    proper: bool,
    depth: u32,
}

/// See [`Value::tuple`].
pub(super) struct Tuple {
    pub(super) elems: Vec<Value>,
    depth: u32,
}

/// A map's entries, sorted by key in Erlang's exact term order (keys are
/// unique under `=:=`); see [`Value::map`].
pub(super) struct MapValue {
    entries: Vec<(Value, Value)>,
    depth: u32,
}

/// An `erl_eval` fun: its clauses (abstract format) and the bindings it captured.
pub(super) struct Closure {
    pub(super) arity: u8,
    /// The clause forms, a list term.
    pub(super) clauses: Term,
    /// The name a named fun calls itself by.
    pub(super) name: Option<String>,
    pub(super) env: Env,
    origin: Origin,
    depth: u32,
}

enum Origin {
    /// Came from a peer (or a registered function): handed back unchanged.
    Peer(Term),
    /// Made by the interpreter (`fn ... end` inside a fun).
    Made { anno: Term, pid: Pid },
}

/// Counts, per thread, the list cells made and the values turned into
/// terms: what tests check to see that lists are shared, not copied.
#[cfg(test)]
pub(super) mod counters {
    use std::cell::Cell;

    thread_local! {
        static CELLS: Cell<usize> = const { Cell::new(0) };
        static TERMS: Cell<usize> = const { Cell::new(0) };
    }

    pub(in crate::eval) fn cell() {
        CELLS.with(|c| c.set(c.get() + 1));
    }

    pub(in crate::eval) fn term() {
        TERMS.with(|c| c.set(c.get() + 1));
    }

    pub(in crate::eval) fn reset() {
        CELLS.with(|c| c.set(0));
        TERMS.with(|c| c.set(0));
    }

    /// Cells made and values turned into terms since the last [`reset`].
    pub(in crate::eval) fn get() -> (usize, usize) {
        (CELLS.with(Cell::get), TERMS.with(Cell::get))
    }
}

fn system_limit() -> Exception {
    error_atom("system_limit")
}

fn checked_depth(d: usize) -> Result<u32, Exception> {
    if d > MAX_TERM_DEPTH {
        return Err(system_limit());
    }
    u32::try_from(d).map_err(|_| system_limit())
}

/// Nesting depth of a term as the wire counts it (a scalar is 1, a container
/// one more than its deepest element), walked with an explicit stack; stops
/// counting past [`MAX_TERM_DEPTH`].
pub(super) fn term_depth(t: &Term) -> usize {
    fn visit<'t>(e: &'t Term, d: usize, stack: &mut Vec<(&'t Term, usize)>, max: &mut usize) {
        match e {
            Term::Tuple(_)
            | Term::List(_)
            | Term::ByteList(_)
            | Term::ImproperList(_)
            | Term::Map(_)
            | Term::InternalFun(_) => stack.push((e, d)),
            _ => *max = (*max).max(d),
        }
    }
    let mut max = 1;
    let mut stack: Vec<(&Term, usize)> = vec![(t, 1)];
    while let Some((t, d)) = stack.pop() {
        max = max.max(d);
        if d > MAX_TERM_DEPTH {
            break;
        }
        let inner = d + 1;
        match t {
            Term::Tuple(x) => {
                for e in &x.elements {
                    visit(e, inner, &mut stack, &mut max);
                }
            }
            Term::List(l) => {
                for e in &l.elements {
                    visit(e, inner, &mut stack, &mut max);
                }
            }
            Term::ByteList(b) if !b.bytes.is_empty() => max = max.max(inner),
            Term::ImproperList(l) => {
                for e in l.elements.iter().chain(std::iter::once(l.last.as_ref())) {
                    visit(e, inner, &mut stack, &mut max);
                }
            }
            Term::Map(m) => {
                for (k, v) in &m.map {
                    visit(k, inner, &mut stack, &mut max);
                    visit(v, inner, &mut stack, &mut max);
                }
            }
            Term::InternalFun(f) => match f.as_ref() {
                InternalFun::New { free_vars, .. } | InternalFun::Old { free_vars, .. } => {
                    for e in free_vars {
                        visit(e, inner, &mut stack, &mut max);
                    }
                }
            },
            _ => {}
        }
    }
    max
}

impl Value {
    /// A scalar term as a value (lists, tuples and maps go through
    /// [`Value::from_term`]).
    pub(super) fn leaf(t: Term) -> Value {
        debug_assert!(
            !matches!(
                t,
                Term::List(_)
                    | Term::ByteList(_)
                    | Term::ImproperList(_)
                    | Term::Tuple(_)
                    | Term::Map(_)
            ),
            "a container is not a leaf"
        );
        match t {
            Term::FixInteger(_)
            | Term::Float(_)
            | Term::Atom(_)
            | Term::Pid(_)
            | Term::Port(_)
            | Term::Reference(_)
            | Term::ExternalFun(_) => Value::Leaf(t),
            _ => {
                let depth = u32::try_from(term_depth(&t)).unwrap_or(u32::MAX);
                Value::Shared(Arc::new(SharedLeaf { term: t, depth }))
            }
        }
    }

    pub(super) fn atom(name: &str) -> Value {
        Value::Leaf(term::atom(name))
    }

    pub(super) fn int(v: i64) -> Value {
        Value::leaf(term::int(v))
    }

    pub(super) fn bool(b: bool) -> Value {
        Value::atom(if b { "true" } else { "false" })
    }

    /// Nesting depth: 1 for a scalar, one more than the deepest element for
    /// a container.
    pub(super) fn depth(&self) -> usize {
        let d = match self {
            Value::Leaf(_) | Value::Nil => 1,
            Value::Shared(s) => s.depth,
            Value::Cons(c) => c.depth,
            Value::Tuple(t) => t.depth,
            Value::Map(m) => m.depth,
            Value::Fun(f) => f.depth,
        };
        d as usize
    }

    /// `[head | tail]`; `system_limit` past [`MAX_ELEMENTS`] cells or
    /// [`MAX_TERM_DEPTH`] levels.
    pub(super) fn cons(head: Value, tail: Value) -> Result<Value, Exception> {
        let v = Value::cell(head, tail)?;
        match &v {
            Value::Cons(c) if c.len > MAX_ELEMENTS => Err(system_limit()),
            _ => Ok(v),
        }
    }

    /// A cell without the length limit: for lists that come from outside,
    /// which the frame size bounds.
    fn cell(head: Value, tail: Value) -> Result<Value, Exception> {
        let (len, proper, rest) = match &tail {
            Value::Cons(c) => (c.len.saturating_add(1), c.proper, c.depth as usize),
            Value::Nil => (1, true, 1),
            other => (1, false, 1 + other.depth()),
        };
        let depth = checked_depth((1 + head.depth()).max(rest))?;
        #[cfg(test)]
        counters::cell();
        Ok(Value::Cons(Arc::new(Cons {
            head,
            tail,
            len,
            proper,
            depth,
        })))
    }

    /// The proper list of `elems`.
    pub(super) fn list(elems: Vec<Value>) -> Result<Value, Exception> {
        Value::list_with_tail(elems, Value::Nil)
    }

    /// `[E1, ..., En | tail]`.
    pub(super) fn list_with_tail(elems: Vec<Value>, tail: Value) -> Result<Value, Exception> {
        let mut acc = tail;
        for e in elems.into_iter().rev() {
            acc = Value::cons(e, acc)?;
        }
        Ok(acc)
    }

    pub(super) fn tuple(elems: Vec<Value>) -> Result<Value, Exception> {
        let inner = elems.iter().map(Value::depth).max().unwrap_or(0);
        let depth = checked_depth(1 + inner)?;
        Ok(Value::Tuple(Arc::new(Tuple { elems, depth })))
    }

    /// A map of `entries`; of keys equal under `=:=`, the last one stays.
    pub(super) fn map(mut entries: Vec<(Value, Value)>) -> Result<Value, Exception> {
        // Sorted once (stable, so equal keys keep their order), not inserted
        // one by one: a map from a peer may be large.
        entries.sort_by(|a, b| exact_order(&a.0, &b.0));
        let mut sorted: Vec<(Value, Value)> = Vec::with_capacity(entries.len());
        for (k, v) in entries {
            match sorted.last_mut() {
                Some(last) if exact_eq(&last.0, &k) => *last = (k, v),
                _ => sorted.push((k, v)),
            }
        }
        Value::map_of(MapValue {
            entries: sorted,
            depth: 1,
        })
    }

    /// The map `m`, once its nesting is checked.
    pub(super) fn map_of(mut m: MapValue) -> Result<Value, Exception> {
        let inner = m
            .entries
            .iter()
            .map(|(k, v)| k.depth().max(v.depth()))
            .max()
            .unwrap_or(0);
        m.depth = checked_depth(1 + inner)?;
        Ok(Value::Map(Arc::new(m)))
    }

    /// The term for a scalar value.
    pub(super) fn as_leaf(&self) -> Option<&Term> {
        match self {
            Value::Leaf(t) => Some(t),
            Value::Shared(s) => Some(&s.term),
            _ => None,
        }
    }

    pub(super) fn as_atom(&self) -> Option<&str> {
        self.as_leaf().and_then(term::as_atom)
    }

    pub(super) fn is_atom(&self, name: &str) -> bool {
        self.as_atom() == Some(name)
    }

    pub(super) fn as_int(&self) -> Option<i64> {
        self.as_leaf().and_then(term::as_int)
    }

    /// `true` or `false` as a boolean.
    pub(super) fn as_bool(&self) -> Option<bool> {
        match self.as_atom() {
            Some("true") => Some(true),
            Some("false") => Some(false),
            _ => None,
        }
    }

    pub(super) fn as_tuple(&self) -> Option<&[Value]> {
        match self {
            Value::Tuple(t) => Some(&t.elems),
            _ => None,
        }
    }

    pub(super) fn as_map(&self) -> Option<&MapValue> {
        match self {
            Value::Map(m) => Some(m),
            _ => None,
        }
    }

    /// `[]` or a list cell.
    pub(super) fn is_list(&self) -> bool {
        matches!(self, Value::Nil | Value::Cons(_))
    }

    /// The heads of a list, first to last (none for a non-list).
    pub(super) fn elems(&self) -> Elems<'_> {
        Elems { cur: self }
    }

    /// A proper list's length; constant time.
    pub(super) fn list_len(&self) -> Option<usize> {
        match self {
            Value::Nil => Some(0),
            Value::Cons(c) if c.proper => Some(c.len),
            _ => None,
        }
    }

    /// A proper list's elements.
    pub(super) fn proper_vec(&self) -> Option<Vec<Value>> {
        let len = self.list_len()?;
        let mut out = Vec::with_capacity(len);
        out.extend(self.elems().cloned());
        Some(out)
    }

    /// The value of a term: lists become cells, a runnable `erl_eval` fun a
    /// [`Closure`]. `system_limit` for a term nested deeper than
    /// [`MAX_TERM_DEPTH`].
    pub(super) fn from_term(t: &Term) -> Result<Value, Exception> {
        from_term(t)
    }

    /// The term for this value.
    pub(super) fn to_term(&self) -> Term {
        to_term(self)
    }
}

// The conversions walk with explicit stacks: a value may nest
// MAX_TERM_DEPTH levels, too many for recursion on a small stack.

/// Work of [`from_term`]: terms to convert, and containers to assemble from
/// the values converted last.
enum In<'t> {
    Term(&'t Term, usize),
    /// A list of this many elements, then an improper tail when `true`.
    List(usize, bool),
    Tuple(usize),
    /// This many keys and values, alternating.
    Map(usize),
    /// A runnable fun, its bindings' values converted last.
    Fun(&'t Term, PeerFun<'t>),
}

/// An `erl_eval` fun term this interpreter can run, read.
struct PeerFun<'t> {
    arity: u8,
    clauses: &'t Term,
    name: Option<&'t str>,
    bindings: Vec<(&'t str, &'t Term)>,
}

fn peer_fun(t: &Term) -> Option<PeerFun<'_>> {
    let Term::InternalFun(f) = t else { return None };
    let InternalFun::New {
        module,
        arity,
        free_vars,
        ..
    } = f.as_ref()
    else {
        return None;
    };
    if module.name != "erl_eval" {
        return None;
    }
    let fe = fun_env(free_vars)?;
    Some(PeerFun {
        arity: *arity,
        clauses: fe.clauses,
        name: fe.name,
        bindings: bindings(fe.bindings)?,
    })
}

/// The last `n` values converted.
fn take_last(out: &mut Vec<Value>, n: usize) -> Result<Vec<Value>, Exception> {
    let at = out.len().checked_sub(n).ok_or_else(system_limit)?;
    Ok(out.split_off(at))
}

fn from_term(t: &Term) -> Result<Value, Exception> {
    let mut work = vec![In::Term(t, 1)];
    let mut out: Vec<Value> = Vec::new();
    while let Some(w) = work.pop() {
        match w {
            In::Term(t, depth) => {
                if depth > MAX_TERM_DEPTH {
                    return Err(system_limit());
                }
                let d = depth + 1;
                match t {
                    Term::List(l) => {
                        work.push(In::List(l.elements.len(), false));
                        work.extend(l.elements.iter().rev().map(|e| In::Term(e, d)));
                    }
                    Term::ByteList(b) => {
                        let mut acc = Value::Nil;
                        for &c in b.bytes.iter().rev() {
                            acc = Value::cell(Value::int(i64::from(c)), acc)?;
                        }
                        out.push(acc);
                    }
                    Term::ImproperList(l) => {
                        work.push(In::List(l.elements.len(), true));
                        work.push(In::Term(&l.last, d));
                        work.extend(l.elements.iter().rev().map(|e| In::Term(e, d)));
                    }
                    Term::Tuple(x) => {
                        work.push(In::Tuple(x.elements.len()));
                        work.extend(x.elements.iter().rev().map(|e| In::Term(e, d)));
                    }
                    Term::Map(m) => {
                        work.push(In::Map(m.map.len()));
                        for (k, v) in &m.map {
                            work.push(In::Term(v, d));
                            work.push(In::Term(k, d));
                        }
                    }
                    Term::InternalFun(_) => match peer_fun(t) {
                        Some(f) => {
                            // Fun, free-variable tuple, bindings map, values.
                            let values: Vec<In<'_>> = f
                                .bindings
                                .iter()
                                .rev()
                                .map(|(_, v)| In::Term(v, depth + 3))
                                .collect();
                            work.push(In::Fun(t, f));
                            work.extend(values);
                        }
                        None => out.push(Value::leaf(t.clone())),
                    },
                    other => out.push(Value::leaf(other.clone())),
                }
            }
            In::List(n, improper) => {
                let tail = if improper {
                    out.pop().ok_or_else(system_limit)?
                } else {
                    Value::Nil
                };
                let mut acc = tail;
                for v in take_last(&mut out, n)?.into_iter().rev() {
                    acc = Value::cell(v, acc)?;
                }
                out.push(acc);
            }
            In::Tuple(n) => {
                let elems = take_last(&mut out, n)?;
                out.push(Value::tuple(elems)?);
            }
            In::Map(n) => {
                let flat = take_last(&mut out, n.saturating_mul(2))?;
                let mut entries = Vec::with_capacity(n);
                let mut it = flat.into_iter();
                while let (Some(k), Some(v)) = (it.next(), it.next()) {
                    entries.push((k, v));
                }
                out.push(Value::map(entries)?);
            }
            In::Fun(t, f) => {
                let values = take_last(&mut out, f.bindings.len())?;
                let env: Env = f
                    .bindings
                    .iter()
                    .map(|(k, _)| (*k).to_owned())
                    .zip(values)
                    .collect();
                out.push(Value::Fun(Arc::new(Closure {
                    arity: f.arity,
                    clauses: f.clauses.clone(),
                    name: f.name.map(str::to_owned),
                    env,
                    depth: checked_depth(term_depth(t))?,
                    origin: Origin::Peer(t.clone()),
                })));
            }
        }
    }
    match (out.pop(), out.is_empty()) {
        (Some(v), true) => Ok(v),
        _ => Err(system_limit()),
    }
}

/// Work of [`to_term`]: values to convert, and containers to assemble from
/// the terms converted last.
enum Out<'v> {
    Value(&'v Value),
    /// A list of this many elements, then an improper tail when `true`.
    List(usize, bool),
    Tuple(usize),
    Map(usize),
    /// A fun made here (with its annotation and creator), its bindings'
    /// values converted last.
    Fun(&'v Closure, &'v Term, &'v Pid),
}

fn to_term(v: &Value) -> Term {
    let mut work = vec![Out::Value(v)];
    let mut out: Vec<Term> = Vec::new();
    let take = |out: &mut Vec<Term>, n: usize| out.split_off(out.len().saturating_sub(n));
    while let Some(w) = work.pop() {
        match w {
            Out::Value(v) => {
                #[cfg(test)]
                counters::term();
                match v {
                    Value::Leaf(t) => out.push(t.clone()),
                    Value::Shared(s) => out.push(s.term.clone()),
                    Value::Nil => out.push(term::nil()),
                    Value::Cons(c) => {
                        let at = work.len();
                        let mut it = v.elems();
                        work.extend(it.by_ref().map(Out::Value));
                        let improper = !matches!(it.rest(), Value::Nil);
                        if improper {
                            work.push(Out::Value(it.rest()));
                        }
                        // Converted first to last, tail last; assembled after.
                        work[at..].reverse();
                        work.insert(at, Out::List(c.len, improper));
                    }
                    Value::Tuple(t) => {
                        work.push(Out::Tuple(t.elems.len()));
                        work.extend(t.elems.iter().rev().map(Out::Value));
                    }
                    Value::Map(m) => {
                        work.push(Out::Map(m.entries.len()));
                        for (k, v) in m.entries.iter().rev() {
                            work.push(Out::Value(v));
                            work.push(Out::Value(k));
                        }
                    }
                    Value::Fun(f) => match &f.origin {
                        Origin::Peer(t) => out.push(t.clone()),
                        Origin::Made { anno, pid } => {
                            work.push(Out::Fun(f, anno, pid));
                            work.extend(f.env.values().map(Out::Value));
                        }
                    },
                }
            }
            Out::List(n, improper) => {
                let tail = if improper { out.pop() } else { None };
                let elems = take(&mut out, n);
                out.push(match tail {
                    None => term::list(elems),
                    Some(tail) => Term::ImproperList(eetf::ImproperList::from((elems, tail))),
                });
            }
            Out::Tuple(n) => {
                let elems = take(&mut out, n);
                out.push(term::tuple(elems));
            }
            Out::Map(n) => {
                let flat = take(&mut out, n.saturating_mul(2));
                let mut map = HashMap::with_capacity(n);
                let mut it = flat.into_iter();
                while let (Some(k), Some(v)) = (it.next(), it.next()) {
                    map.insert(k, v);
                }
                out.push(Term::Map(eetf::Map::from(map)));
            }
            Out::Fun(f, anno, pid) => {
                // The values were pushed in `env.values()` order and so
                // converted in reverse.
                let mut values = take(&mut out, f.env.len());
                values.reverse();
                out.push(f.made_term(anno, pid, values));
            }
        }
    }
    out.pop().unwrap_or_else(term::nil)
}

/// The heads of a list; see [`Value::elems`].
pub(super) struct Elems<'a> {
    cur: &'a Value,
}

impl<'a> Elems<'a> {
    /// What follows the heads taken so far: the rest of the list, `[]`, or
    /// an improper tail.
    pub(super) fn rest(&self) -> &'a Value {
        self.cur
    }
}

impl<'a> Iterator for Elems<'a> {
    type Item = &'a Value;

    fn next(&mut self) -> Option<&'a Value> {
        match self.cur {
            Value::Cons(c) => {
                self.cur = &c.tail;
                Some(&c.head)
            }
            _ => None,
        }
    }
}

impl Drop for Cons {
    /// Frees a chain of cells no one else holds one by one, rather than by
    /// recursing once per cell.
    fn drop(&mut self) {
        let mut next = std::mem::replace(&mut self.tail, Value::Nil);
        while let Value::Cons(cell) = next {
            match Arc::try_unwrap(cell) {
                Ok(mut c) => next = std::mem::replace(&mut c.tail, Value::Nil),
                Err(_) => break,
            }
        }
    }
}

impl fmt::Debug for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.to_term())
    }
}

impl PartialEq for Value {
    /// `=:=`.
    fn eq(&self, other: &Value) -> bool {
        exact_eq(self, other)
    }
}

// ------------------------------------------------------------------- maps

impl MapValue {
    pub(super) fn len(&self) -> usize {
        self.entries.len()
    }

    fn find(&self, k: &Value) -> Result<usize, usize> {
        self.entries.binary_search_by(|(mk, _)| exact_order(mk, k))
    }

    /// The value for `k` (keys compared with `=:=`).
    pub(super) fn get(&self, k: &Value) -> Option<&Value> {
        self.find(k).ok().map(|i| &self.entries[i].1)
    }

    /// Puts `k => v`, replacing a key that is `=:=` to `k`.
    pub(super) fn put(&mut self, k: Value, v: Value) {
        match self.find(&k) {
            Ok(i) => self.entries[i] = (k, v),
            Err(i) => self.entries.insert(i, (k, v)),
        }
    }

    /// A copy to update (the entries are shared, not copied deeply).
    pub(super) fn to_owned_map(&self) -> MapValue {
        MapValue {
            entries: self.entries.clone(),
            depth: self.depth,
        }
    }

    /// An empty map to fill.
    pub(super) fn empty() -> MapValue {
        MapValue {
            entries: Vec::new(),
            depth: 1,
        }
    }
}

// ------------------------------------------------------------------- funs

/// The parts of an `erl_eval` fun's environment.
struct FunEnv<'a> {
    bindings: &'a Term,
    clauses: &'a Term,
    name: Option<&'a str>,
}

/// Reads the single free variable of an `erl_eval` fun: OTP 25+
/// `{Anno, Bindings, Lf, Ef, UsedVars, Clauses[, Name]}`, or the older
/// `{Bindings, Lf, Ef, Clauses[, Name]}`.
fn fun_env(free_vars: &[Term]) -> Option<FunEnv<'_>> {
    let [env] = free_vars else { return None };
    let elems = term::as_tuple(env)?;
    let (bindings, clauses, name) = match elems {
        [_, bs, _, _, _, cs] => (bs, cs, None),
        [_, bs, _, _, _, cs, name] => (bs, cs, Some(name)),
        [bs, _, _, cs] => (bs, cs, None),
        [bs, _, _, cs, name] => (bs, cs, Some(name)),
        _ => return None,
    };
    let name = match name {
        Some(n) => Some(term::as_atom(n)?),
        None => None,
    };
    forms_list(clauses)?;
    Some(FunEnv {
        bindings,
        clauses,
        name,
    })
}

/// Bindings as a map (`%{x@1: 20}`) or an orddict (`[{'X', 20}]`).
fn bindings(bs: &Term) -> Option<Vec<(&str, &Term)>> {
    let mut out = Vec::new();
    match bs {
        Term::Map(m) => {
            for (k, v) in &m.map {
                out.push((term::as_atom(k)?, v));
            }
        }
        Term::ByteList(b) if b.bytes.is_empty() => {}
        Term::List(l) => {
            for kv in &l.elements {
                let [k, v] = term::as_tuple(kv)? else {
                    return None;
                };
                out.push((term::as_atom(k)?, v));
            }
        }
        _ => return None,
    }
    Some(out)
}

impl Closure {
    /// A fun made by `fn ... end` inside an interpreted fun: `clauses` with
    /// the bindings `env`, created by `pid`.
    pub(super) fn made(
        anno: &Term,
        clauses: &Term,
        arity: u8,
        env: Env,
        pid: Pid,
    ) -> Result<Value, Exception> {
        // As a term: the fun, its free-variable tuple, and in that the
        // annotation, the bindings map (atom keys) and the clauses.
        let bindings = 1 + env.values().map(Value::depth).max().unwrap_or(0);
        let inner = term_depth(anno).max(term_depth(clauses)).max(bindings);
        Ok(Value::Fun(Arc::new(Closure {
            arity,
            clauses: clauses.clone(),
            name: None,
            env,
            depth: checked_depth(2 + inner)?,
            origin: Origin::Made {
                anno: anno.clone(),
                pid,
            },
        })))
    }

    /// The term of a fun made here, `values` being its bindings' values as
    /// terms in `env.values()` order: an `erl_eval` fun BEAM's `erl_eval` runs.
    fn made_term(&self, anno: &Term, pid: &Pid, values: Vec<Term>) -> Term {
        let bindings: HashMap<Term, Term> =
            self.env.keys().map(|k| term::atom(k)).zip(values).collect();
        let fun_env = term::tuple(vec![
            anno.clone(),
            Term::Map(eetf::Map::from(bindings)),
            term::atom("none"),
            term::atom("none"),
            Term::Map(eetf::Map::from(HashMap::<Term, Term>::new())),
            self.clauses.clone(),
        ]);
        Term::InternalFun(Box::new(InternalFun::New {
            module: Atom::from("erl_eval"),
            arity: self.arity,
            pid: pid.clone(),
            free_vars: vec![fun_env],
            index: 0,
            uniq: [0; 16],
            old_index: 0,
            old_uniq: 0,
        }))
    }
}

// ----------------------------------------------------- order and equality

/// Equality of two scalars under `=:=`.
pub(super) fn leaf_eq(a: &Term, b: &Term) -> bool {
    if let (Some(x), Some(y)) = (num(a), num(b)) {
        return match (&x, &y) {
            (Num::Float(p), Num::Float(q)) => p == q,
            (Num::Float(_), _) | (_, Num::Float(_)) => false,
            _ => cmp_num(&x, &y) == Ordering::Equal,
        };
    }
    match (a, b) {
        (Term::Atom(x), Term::Atom(y)) => x.name == y.name,
        _ => match (bits_of(a), bits_of(b)) {
            (Some(_), Some(_)) => term_cmp(a, b) == Ordering::Equal,
            (None, None) => a == b,
            _ => false,
        },
    }
}

/// `=:=`: equal values of equal types (`1 =:= 1.0` is false).
pub(super) fn exact_eq(a: &Value, b: &Value) -> bool {
    let (mut a, mut b) = (a, b);
    loop {
        match (a, b) {
            (Value::Nil, Value::Nil) => return true,
            (Value::Cons(x), Value::Cons(y)) => {
                if Arc::ptr_eq(x, y) {
                    return true;
                }
                if x.len != y.len || !exact_eq(&x.head, &y.head) {
                    return false;
                }
                a = &x.tail;
                b = &y.tail;
            }
            (Value::Tuple(x), Value::Tuple(y)) => {
                if Arc::ptr_eq(x, y) {
                    return true;
                }
                if x.elems.len() != y.elems.len() {
                    return false;
                }
                for (p, q) in x.elems.iter().zip(&y.elems) {
                    if !exact_eq(p, q) {
                        return false;
                    }
                }
                return true;
            }
            (Value::Map(x), Value::Map(y)) => {
                if Arc::ptr_eq(x, y) {
                    return true;
                }
                if x.entries.len() != y.entries.len() {
                    return false;
                }
                for ((ka, va), (kb, vb)) in x.entries.iter().zip(&y.entries) {
                    if !exact_eq(ka, kb) || !exact_eq(va, vb) {
                        return false;
                    }
                }
                return true;
            }
            (Value::Fun(x), Value::Fun(y)) => {
                return Arc::ptr_eq(x, y) || to_term(a) == to_term(b);
            }
            _ => {
                return match (a.as_leaf(), b.as_leaf()) {
                    (Some(x), Some(y)) => leaf_eq(x, y),
                    _ => false,
                };
            }
        }
    }
}

/// Erlang's term order as the comparison operators see it: numbers compare
/// by value (`1 == 1.0`), also inside tuples, lists and map values.
pub(super) fn compare(a: &Value, b: &Value) -> Ordering {
    order(a, b, false)
}

/// The exact term order map keys sort in: every integer before every float.
pub(super) fn exact_order(a: &Value, b: &Value) -> Ordering {
    order(a, b, true)
}

/// Rank in Erlang's term order: `number < atom < reference < fun < port <
/// pid < tuple < map < nil < list < bitstring`.
fn rank(v: &Value) -> u8 {
    let leaf = crate::term::print::rank;
    match v {
        Value::Leaf(t) => leaf(t),
        Value::Shared(s) => leaf(&s.term),
        Value::Fun(_) => 3,
        Value::Tuple(_) => 6,
        Value::Map(_) => 7,
        Value::Nil => 8,
        Value::Cons(_) => 9,
    }
}

fn order(a: &Value, b: &Value, exact: bool) -> Ordering {
    let (mut a, mut b) = (a, b);
    loop {
        if let (Some(x), Some(y)) = (a.as_leaf(), b.as_leaf()) {
            if !exact && let (Some(p), Some(q)) = (num(x), num(y)) {
                return cmp_num(&p, &q);
            }
            return term_cmp(x, y);
        }
        let (ra, rb) = (rank(a), rank(b));
        if ra != rb {
            return ra.cmp(&rb);
        }
        match (a, b) {
            (Value::Cons(x), Value::Cons(y)) => {
                if Arc::ptr_eq(x, y) {
                    return Ordering::Equal;
                }
                let o = order(&x.head, &y.head, exact);
                if o != Ordering::Equal {
                    return o;
                }
                // Past the heads: more cells, `[]` or an improper tail on
                // each side, compared the same way.
                a = &x.tail;
                b = &y.tail;
            }
            (Value::Tuple(x), Value::Tuple(y)) => {
                return x.elems.len().cmp(&y.elems.len()).then_with(|| {
                    for (p, q) in x.elems.iter().zip(&y.elems) {
                        let o = order(p, q, exact);
                        if o != Ordering::Equal {
                            return o;
                        }
                    }
                    Ordering::Equal
                });
            }
            (Value::Map(x), Value::Map(y)) => {
                // By size, then keys in order, then values in key order.
                let size = x.entries.len().cmp(&y.entries.len());
                if size != Ordering::Equal {
                    return size;
                }
                for ((ka, _), (kb, _)) in x.entries.iter().zip(&y.entries) {
                    let o = exact_order(ka, kb);
                    if o != Ordering::Equal {
                        return o;
                    }
                }
                for ((_, va), (_, vb)) in x.entries.iter().zip(&y.entries) {
                    let o = order(va, vb, exact);
                    if o != Ordering::Equal {
                        return o;
                    }
                }
                return Ordering::Equal;
            }
            (Value::Nil, Value::Nil) => return Ordering::Equal,
            // Funs (rare enough to compare as terms).
            _ => return term_cmp(&a.to_term(), &b.to_term()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ints(v: &[i64]) -> Value {
        Value::list(v.iter().map(|&i| Value::int(i)).collect()).unwrap()
    }

    #[test]
    fn cons_shares_its_tail() {
        let tail = ints(&[2, 3]);
        let l = Value::cons(Value::int(1), tail.clone()).unwrap();
        let Value::Cons(c) = &l else { panic!() };
        let (Value::Cons(t1), Value::Cons(t2)) = (&c.tail, &tail) else {
            panic!()
        };
        assert!(Arc::ptr_eq(t1, t2), "the tail is shared, not copied");
        assert_eq!(l.list_len(), Some(3));
        assert_eq!(l, ints(&[1, 2, 3]));
    }

    #[test]
    fn terms_round_trip() {
        let t = term::tuple(vec![
            term::list(vec![term::int(1), term::atom("a")]),
            Term::ImproperList(eetf::ImproperList::from((vec![term::int(1)], term::int(2)))),
            Term::ByteList(eetf::ByteList::from("ab")),
            term::binary(b"bin".to_vec()),
            term::nil(),
            Term::Map(eetf::Map::from(HashMap::from([(
                term::atom("k"),
                term::list(vec![term::int(1)]),
            )]))),
        ]);
        let v = Value::from_term(&t).unwrap();
        let back = v.to_term();
        assert_eq!(Value::from_term(&back).unwrap(), v);
        let [_, improper, bytes, ..] = v.as_tuple().unwrap() else {
            panic!()
        };
        assert_eq!(improper.list_len(), None);
        assert_eq!(bytes, &ints(&[97, 98]));
    }

    #[test]
    fn depth_and_length_limits() {
        let mut v = Value::Nil;
        for _ in 0..MAX_TERM_DEPTH - 1 {
            v = Value::tuple(vec![v]).unwrap();
        }
        assert_eq!(v.depth(), MAX_TERM_DEPTH);
        assert!(Value::tuple(vec![v.clone()]).is_err());
        assert!(Value::cons(v.clone(), Value::Nil).is_err());
        // Appending to a list nested 511 deep keeps its depth.
        let l = Value::cons(Value::int(1), Value::Nil).unwrap();
        assert_eq!(l.depth(), 2);
        let deep = Value::from_term(&term_nested(MAX_TERM_DEPTH + 1));
        assert!(deep.is_err());
    }

    #[test]
    fn deepest_values_convert_and_compare_on_a_worker_stack() {
        std::thread::Builder::new()
            .stack_size(2048 * 1024)
            .spawn(|| {
                // Every level a list, a map and a tuple in turn.
                let mut v = Value::Nil;
                for i in 0..MAX_TERM_DEPTH - 1 {
                    v = match i % 3 {
                        0 => Value::list(vec![Value::int(1), v]).unwrap(),
                        1 => Value::map(vec![(v, Value::int(2))]).unwrap(),
                        _ => Value::tuple(vec![v]).unwrap(),
                    };
                }
                assert_eq!(v.depth(), MAX_TERM_DEPTH);
                let t = v.to_term();
                let w = Value::from_term(&t).unwrap();
                assert!(exact_eq(&v, &w));
                assert_eq!(compare(&v, &w), Ordering::Equal);
                std::mem::forget(t);
            })
            .unwrap()
            .join()
            .unwrap();
    }

    fn term_nested(n: usize) -> Term {
        let mut t = term::nil();
        for _ in 1..n {
            t = term::tuple(vec![t]);
        }
        t
    }

    #[test]
    fn long_chains_drop_without_recursing() {
        // Deep enough to overflow a recursive drop on any stack.
        let mut l = Value::Nil;
        for i in 0..1_000_000 {
            l = Value::cell(Value::int(i), l).unwrap();
        }
        drop(l);
    }

    #[test]
    fn order_and_maps() {
        let f = |x: f64| Value::leaf(eetf::Term::Float(eetf::Float::try_from(x).unwrap()));
        assert_eq!(compare(&Value::int(1), &f(1.0)), Ordering::Equal);
        assert_eq!(exact_order(&Value::int(2), &f(1.0)), Ordering::Less);
        assert_eq!(compare(&ints(&[1]), &ints(&[1, 2])), Ordering::Less);
        assert_eq!(compare(&Value::Nil, &ints(&[1])), Ordering::Less);
        let m = Value::map(vec![
            (f(1.0), Value::atom("float")),
            (Value::int(1), Value::atom("int")),
            (Value::int(1), Value::atom("again")),
        ])
        .unwrap();
        let m = m.as_map().unwrap();
        assert_eq!(m.len(), 2);
        assert_eq!(m.get(&Value::int(1)), Some(&Value::atom("again")));
        assert_eq!(m.get(&f(1.0)), Some(&Value::atom("float")));
    }
}
