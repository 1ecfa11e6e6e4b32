//! Erlang values for the shell-fun interpreter: numbers, operators, term order and equality, and side-effect-free BIFs.

use super::forms::{error_atom, error_with};
use crate::otp::rpc::Exception;
use crate::term;
use crate::term::print::term_cmp;
use eetf::{BigInteger, Pid, Term};
use std::cmp::Ordering;

/// Largest integer the interpreter builds, in bits (BEAM's own limit is far
/// higher; this one keeps a hostile fun from exhausting memory).
pub(super) const MAX_INT_BITS: u64 = 1 << 20;
/// Most elements (list items, binary bytes) one operation may produce.
pub(super) const MAX_ELEMENTS: usize = 1 << 24;
/// Nesting beyond which comparisons and conversions stop descending.
const MAX_NEST: usize = 512;

/// What the pure built-ins need to know about the running process.
#[derive(Clone, Debug)]
pub(super) struct Pure {
    pub node: String,
    pub self_pid: Option<Pid>,
}

/// Deepest nesting a value built by the interpreter may have: what the
/// wire allows, and shallow enough for the recursive clone/drop of terms.
pub(super) const MAX_TERM_DEPTH: usize = crate::proto::etf::MAX_DEPTH;

/// Refuses (`system_limit`) a value nested deeper than [`MAX_TERM_DEPTH`]
/// (walked with an explicit stack).
pub(super) fn check_depth(t: &Term) -> Result<(), Exception> {
    let mut stack: Vec<(&Term, usize)> = vec![(t, 1)];
    while let Some((t, d)) = stack.pop() {
        if d > MAX_TERM_DEPTH {
            return Err(error_atom("system_limit"));
        }
        match t {
            Term::Tuple(x) => stack.extend(
                x.elements
                    .iter()
                    .filter(|e| compound(e))
                    .map(|e| (e, d + 1)),
            ),
            Term::List(l) => stack.extend(
                l.elements
                    .iter()
                    .filter(|e| compound(e))
                    .map(|e| (e, d + 1)),
            ),
            Term::ImproperList(l) => {
                stack.extend(
                    l.elements
                        .iter()
                        .filter(|e| compound(e))
                        .map(|e| (e, d + 1)),
                );
                stack.push((&l.last, d + 1));
            }
            Term::Map(m) => {
                for (k, v) in &m.map {
                    stack.push((k, d + 1));
                    stack.push((v, d + 1));
                }
            }
            Term::InternalFun(f) => match f.as_ref() {
                eetf::InternalFun::New { free_vars, .. }
                | eetf::InternalFun::Old { free_vars, .. } => {
                    stack.extend(free_vars.iter().map(|e| (e, d + 1)))
                }
            },
            _ => {}
        }
    }
    Ok(())
}

fn compound(t: &Term) -> bool {
    matches!(
        t,
        Term::Tuple(_)
            | Term::List(_)
            | Term::ImproperList(_)
            | Term::Map(_)
            | Term::InternalFun(_)
    )
}

// ------------------------------------------------------------------ numbers

#[derive(Clone, Debug)]
pub(super) enum Num {
    Int(i64),
    Big(BigInteger),
    Float(f64),
}

pub(super) fn num(t: &Term) -> Option<Num> {
    match t {
        Term::FixInteger(i) => Some(Num::Int(i64::from(i.value))),
        Term::BigInteger(b) => Some(match i64::try_from(&b.value) {
            Ok(v) => Num::Int(v),
            Err(_) => Num::Big(b.clone()),
        }),
        Term::Float(f) => Some(Num::Float(f.value)),
        _ => None,
    }
}

fn is_int(t: &Term) -> bool {
    matches!(t, Term::FixInteger(_) | Term::BigInteger(_))
}

fn to_big(n: &Num) -> Option<BigInteger> {
    match n {
        Num::Int(v) => Some(BigInteger::from(*v)),
        Num::Big(b) => Some(b.clone()),
        Num::Float(_) => None,
    }
}

fn to_f64(n: &Num) -> f64 {
    match n {
        Num::Int(v) => *v as f64,
        Num::Big(b) => b.value.to_string().parse().unwrap_or(f64::INFINITY),
        Num::Float(f) => *f,
    }
}

/// An integer term from a big value, refusing sizes over [`MAX_INT_BITS`].
pub(super) fn big_term(b: BigInteger) -> Result<Term, Exception> {
    if b.value.bits() > MAX_INT_BITS {
        return Err(error_atom("system_limit"));
    }
    Ok(match i64::try_from(&b.value) {
        Ok(v) => term::int(v),
        Err(_) => Term::BigInteger(b),
    })
}

pub(super) fn float_term(f: f64) -> Result<Term, Exception> {
    eetf::Float::try_from(f)
        .map(Term::Float)
        .map_err(|_| error_atom("badarith"))
}

fn badarith() -> Exception {
    error_atom("badarith")
}

fn arith(op: &str, a: &Term, b: &Term) -> Result<Term, Exception> {
    let (Some(x), Some(y)) = (num(a), num(b)) else {
        return Err(badarith());
    };
    let float = matches!(x, Num::Float(_)) || matches!(y, Num::Float(_));
    match op {
        "+" | "-" | "*" if float => {
            let (p, q) = (to_f64(&x), to_f64(&y));
            float_term(match op {
                "+" => p + q,
                "-" => p - q,
                _ => p * q,
            })
        }
        "+" | "-" | "*" => {
            if let (Num::Int(p), Num::Int(q)) = (&x, &y) {
                let r = match op {
                    "+" => p.checked_add(*q),
                    "-" => p.checked_sub(*q),
                    _ => p.checked_mul(*q),
                };
                if let Some(r) = r {
                    return Ok(term::int(r));
                }
            }
            let (p, q) = (
                to_big(&x).ok_or_else(badarith)?,
                to_big(&y).ok_or_else(badarith)?,
            );
            if op == "*" && p.value.bits() + q.value.bits() > MAX_INT_BITS + 1 {
                return Err(error_atom("system_limit"));
            }
            big_term(BigInteger {
                value: match op {
                    "+" => &p.value + &q.value,
                    "-" => &p.value - &q.value,
                    _ => &p.value * &q.value,
                },
            })
        }
        "/" => {
            let q = to_f64(&y);
            if q == 0.0 {
                return Err(badarith());
            }
            float_term(to_f64(&x) / q)
        }
        "div" | "rem" | "band" | "bor" | "bxor" | "bsl" | "bsr" if float => Err(badarith()),
        "div" | "rem" => {
            if let (Num::Int(p), Num::Int(q)) = (&x, &y) {
                if *q == 0 {
                    return Err(badarith());
                }
                let r = if op == "div" {
                    p.checked_div(*q)
                } else {
                    p.checked_rem(*q)
                };
                if let Some(r) = r {
                    return Ok(term::int(r));
                }
            }
            let (p, q) = (
                to_big(&x).ok_or_else(badarith)?,
                to_big(&y).ok_or_else(badarith)?,
            );
            if q.value == BigInteger::from(0i64).value {
                return Err(badarith());
            }
            big_term(BigInteger {
                value: if op == "div" {
                    &p.value / &q.value
                } else {
                    &p.value % &q.value
                },
            })
        }
        "band" | "bor" | "bxor" => {
            let (p, q) = (
                to_big(&x).ok_or_else(badarith)?,
                to_big(&y).ok_or_else(badarith)?,
            );
            big_term(BigInteger {
                value: match op {
                    "band" => &p.value & &q.value,
                    "bor" => &p.value | &q.value,
                    _ => &p.value ^ &q.value,
                },
            })
        }
        "bsl" | "bsr" => {
            let p = to_big(&x).ok_or_else(badarith)?;
            let shift = match y {
                Num::Int(s) => s,
                // A huge shift: everything shifts out (or the result is too big).
                _ => return Err(error_atom("system_limit")),
            };
            let left = (op == "bsl") == (shift >= 0);
            let n = shift.unsigned_abs();
            if left {
                if p.value.bits().saturating_add(n) > MAX_INT_BITS {
                    return Err(error_atom("system_limit"));
                }
                let n = usize::try_from(n).map_err(|_| error_atom("system_limit"))?;
                big_term(BigInteger {
                    value: &p.value << n,
                })
            } else {
                let n = usize::try_from(n.min(MAX_INT_BITS + 1)).unwrap_or(usize::MAX);
                big_term(BigInteger {
                    value: &p.value >> n,
                })
            }
        }
        _ => Err(badarith()),
    }
}

fn unary(op: &str, a: &Term) -> Option<Result<Term, Exception>> {
    Some(match op {
        "-" => match num(a) {
            Some(Num::Int(v)) => match v.checked_neg() {
                Some(n) => Ok(term::int(n)),
                None => big_term(BigInteger {
                    value: -BigInteger::from(v).value,
                }),
            },
            Some(Num::Big(b)) => big_term(BigInteger { value: -b.value }),
            Some(Num::Float(f)) => float_term(-f),
            None => Err(badarith()),
        },
        "+" => match num(a) {
            Some(_) => Ok(a.clone()),
            None => Err(badarith()),
        },
        "bnot" => match num(a) {
            Some(Num::Int(v)) => Ok(term::int(!v)),
            Some(Num::Big(b)) => big_term(BigInteger { value: !b.value }),
            _ => Err(badarith()),
        },
        "not" => match as_bool(a) {
            Some(v) => Ok(bool_term(!v)),
            None => Err(Exception::badarg()),
        },
        _ => return None,
    })
}

pub(super) fn as_bool(t: &Term) -> Option<bool> {
    match term::as_atom(t) {
        Some("true") => Some(true),
        Some("false") => Some(false),
        _ => None,
    }
}

pub(super) fn bool_term(b: bool) -> Term {
    term::atom(if b { "true" } else { "false" })
}

/// A unary operator applied to a value; `None` for an unknown operator.
pub(super) fn eval_unary(op: &str, a: &Term) -> Option<Result<Term, Exception>> {
    unary(op, a)
}

/// A binary operator (other than the short-circuit `andalso`/`orelse` and
/// send `!`) applied to two values; `None` for an unknown operator.
pub(super) fn eval_binary(op: &str, a: &Term, b: &Term) -> Option<Result<Term, Exception>> {
    Some(match op {
        "+" | "-" | "*" | "/" | "div" | "rem" | "band" | "bor" | "bxor" | "bsl" | "bsr" => {
            arith(op, a, b)
        }
        "==" => Ok(bool_term(compare(a, b) == Ordering::Equal)),
        "/=" => Ok(bool_term(compare(a, b) != Ordering::Equal)),
        "=:=" => Ok(bool_term(exact_eq(a, b))),
        "=/=" => Ok(bool_term(!exact_eq(a, b))),
        "<" => Ok(bool_term(compare(a, b) == Ordering::Less)),
        ">" => Ok(bool_term(compare(a, b) == Ordering::Greater)),
        "=<" => Ok(bool_term(compare(a, b) != Ordering::Greater)),
        ">=" => Ok(bool_term(compare(a, b) != Ordering::Less)),
        "and" | "or" | "xor" => match (as_bool(a), as_bool(b)) {
            (Some(x), Some(y)) => Ok(bool_term(match op {
                "and" => x && y,
                "or" => x || y,
                _ => x ^ y,
            })),
            _ => Err(Exception::badarg()),
        },
        "++" => append(a, b),
        "--" => subtract(a, b),
        _ => return None,
    })
}

// ------------------------------------------------------------------- lists

/// A list's elements and its tail (`[]` for a proper list); `None` for a non-list.
pub(super) fn list_parts(t: &Term) -> Option<(Vec<Term>, Term)> {
    match t {
        Term::List(l) => Some((l.elements.clone(), term::nil())),
        Term::ByteList(_) => Some((term::as_list(t)?, term::nil())),
        Term::ImproperList(l) => {
            let (mut elems, tail) =
                list_parts(&l.last).unwrap_or_else(|| (Vec::new(), (*l.last).clone()));
            let mut all = l.elements.clone();
            all.append(&mut elems);
            Some((all, tail))
        }
        _ => None,
    }
}

pub(super) fn is_nil(t: &Term) -> bool {
    match t {
        Term::List(l) => l.elements.is_empty(),
        Term::ByteList(b) => b.bytes.is_empty(),
        _ => false,
    }
}

fn is_cons(t: &Term) -> bool {
    match t {
        Term::List(l) => !l.elements.is_empty(),
        Term::ByteList(b) => !b.bytes.is_empty(),
        Term::ImproperList(l) => !l.elements.is_empty(),
        _ => false,
    }
}

/// A proper list's elements.
pub(super) fn proper(t: &Term) -> Option<Vec<Term>> {
    term::as_list(t)
}

/// `[H1, ..., Hn | Tail]` built the way BEAM would: proper when the tail is a
/// proper list.
pub(super) fn make_list(mut elems: Vec<Term>, tail: Term) -> Result<Term, Exception> {
    if elems.is_empty() {
        return Ok(tail);
    }
    match list_parts(&tail) {
        Some((rest, t)) if is_nil(&t) => {
            if elems.len().saturating_add(rest.len()) > MAX_ELEMENTS {
                return Err(error_atom("system_limit"));
            }
            elems.extend(rest);
            Ok(term::list(elems))
        }
        _ => Ok(Term::ImproperList(eetf::ImproperList::from((elems, tail)))),
    }
}

fn append(a: &Term, b: &Term) -> Result<Term, Exception> {
    let elems = proper(a).ok_or_else(Exception::badarg)?;
    make_list(elems, b.clone())
}

fn subtract(a: &Term, b: &Term) -> Result<Term, Exception> {
    let (Some(mut left), Some(right)) = (proper(a), proper(b)) else {
        return Err(Exception::badarg());
    };
    if left.len().saturating_mul(right.len()) > MAX_ELEMENTS.saturating_mul(4) {
        return Err(error_atom("system_limit"));
    }
    for r in &right {
        if let Some(i) = left.iter().position(|l| exact_eq(l, r)) {
            left.remove(i);
        }
    }
    Ok(term::list(left))
}

// ----------------------------------------------------- order and equality

/// Erlang's term order as the comparison operators see it: numbers compare
/// by value (`1 == 1.0`), recursively inside tuples, lists and map values.
pub(super) fn compare(a: &Term, b: &Term) -> Ordering {
    cmp_depth(a, b, 0)
}

fn cmp_num(x: &Num, y: &Num) -> Ordering {
    match (x, y) {
        (Num::Int(p), Num::Int(q)) => p.cmp(q),
        (Num::Float(_), _) | (_, Num::Float(_)) => {
            to_f64(x).partial_cmp(&to_f64(y)).unwrap_or(Ordering::Equal)
        }
        _ => match (to_big(x), to_big(y)) {
            (Some(p), Some(q)) => p.value.cmp(&q.value),
            _ => Ordering::Equal,
        },
    }
}

fn cmp_depth(a: &Term, b: &Term, depth: usize) -> Ordering {
    if depth > MAX_NEST {
        return Ordering::Equal;
    }
    if let (Some(x), Some(y)) = (num(a), num(b)) {
        return cmp_num(&x, &y);
    }
    let d = depth + 1;
    match (a, b) {
        (Term::Tuple(x), Term::Tuple(y)) => {
            x.elements.len().cmp(&y.elements.len()).then_with(|| {
                for (p, q) in x.elements.iter().zip(&y.elements) {
                    let o = cmp_depth(p, q, d);
                    if o != Ordering::Equal {
                        return o;
                    }
                }
                Ordering::Equal
            })
        }
        (Term::Map(x), Term::Map(y)) => {
            let size = x.map.len().cmp(&y.map.len());
            if size != Ordering::Equal {
                return size;
            }
            let (xs, ys) = (sorted_entries(x), sorted_entries(y));
            for ((ka, _), (kb, _)) in xs.iter().zip(&ys) {
                let o = term_cmp(ka, kb);
                if o != Ordering::Equal {
                    return o;
                }
            }
            for ((_, va), (_, vb)) in xs.iter().zip(&ys) {
                let o = cmp_depth(va, vb, d);
                if o != Ordering::Equal {
                    return o;
                }
            }
            Ordering::Equal
        }
        _ if is_cons(a) && is_cons(b) => cmp_lists(a, b, d),
        _ => term_cmp(a, b),
    }
}

fn sorted_entries(m: &eetf::Map) -> Vec<(&Term, &Term)> {
    let mut v: Vec<(&Term, &Term)> = m.map.iter().collect();
    v.sort_by(|p, q| term_cmp(p.0, q.0));
    v
}

fn cmp_lists(a: &Term, b: &Term, depth: usize) -> Ordering {
    let (Some((ae, at)), Some((be, bt))) = (list_parts(a), list_parts(b)) else {
        return term_cmp(a, b);
    };
    for (x, y) in ae.iter().zip(&be) {
        let o = cmp_depth(x, y, depth);
        if o != Ordering::Equal {
            return o;
        }
    }
    let n = ae.len().min(be.len());
    let rest = |elems: &[Term], tail: &Term| {
        make_list(elems[n..].to_vec(), tail.clone()).unwrap_or_else(|_| tail.clone())
    };
    match ae.len().cmp(&be.len()) {
        Ordering::Equal => cmp_depth(&at, &bt, depth),
        Ordering::Less => cmp_depth(&at, &rest(&be, &bt), depth),
        Ordering::Greater => cmp_depth(&rest(&ae, &at), &bt, depth),
    }
}

/// `=:=`: equal values of equal types (`1 =:= 1.0` is false).
pub(super) fn exact_eq(a: &Term, b: &Term) -> bool {
    eq_depth(a, b, 0)
}

pub(super) fn bits_of(t: &Term) -> Option<(&[u8], usize)> {
    match t {
        Term::Binary(b) => Some((&b.bytes, b.bytes.len() * 8)),
        Term::BitBinary(b) => {
            let full = b.bytes.len().saturating_sub(1) * 8;
            Some((&b.bytes, full + usize::from(b.tail_bits_size)))
        }
        _ => None,
    }
}

fn eq_depth(a: &Term, b: &Term, depth: usize) -> bool {
    if depth > MAX_NEST {
        return false;
    }
    let d = depth + 1;
    if let (Some(x), Some(y)) = (num(a), num(b)) {
        return match (&x, &y) {
            (Num::Float(p), Num::Float(q)) => p == q,
            (Num::Float(_), _) | (_, Num::Float(_)) => false,
            _ => cmp_num(&x, &y) == Ordering::Equal,
        };
    }
    match (a, b) {
        (Term::Atom(x), Term::Atom(y)) => x.name == y.name,
        (Term::Tuple(x), Term::Tuple(y)) => {
            x.elements.len() == y.elements.len()
                && x.elements
                    .iter()
                    .zip(&y.elements)
                    .all(|(p, q)| eq_depth(p, q, d))
        }
        (Term::Map(x), Term::Map(y)) => {
            x.map.len() == y.map.len()
                && x.map.iter().all(|(k, v)| match map_get(y, k) {
                    Some(w) => eq_depth(v, w, d),
                    None => false,
                })
        }
        _ if is_nil(a) || is_nil(b) => is_nil(a) && is_nil(b),
        _ if is_cons(a) && is_cons(b) => match (list_parts(a), list_parts(b)) {
            (Some((ae, at)), Some((be, bt))) => {
                ae.len() == be.len()
                    && ae.iter().zip(&be).all(|(p, q)| eq_depth(p, q, d))
                    && eq_depth(&at, &bt, d)
            }
            _ => false,
        },
        _ => match (bits_of(a), bits_of(b)) {
            (Some(x), Some(y)) => x == y,
            (None, None) => a == b,
            _ => false,
        },
    }
}

// ------------------------------------------------------------------- maps

/// A map's value for `k` (keys compared with `=:=`).
pub(super) fn map_get<'a>(m: &'a eetf::Map, k: &Term) -> Option<&'a Term> {
    m.map
        .get(k)
        .or_else(|| m.map.iter().find(|(mk, _)| exact_eq(mk, k)).map(|(_, v)| v))
}

/// Puts `k => v`, replacing a key that is `=:=` to `k`.
pub(super) fn map_put(m: &mut eetf::Map, k: Term, v: Term) {
    if !m.map.contains_key(&k)
        && let Some(old) = m.map.keys().find(|mk| exact_eq(mk, &k)).cloned()
    {
        m.map.remove(&old);
    }
    m.map.insert(k, v);
}

pub(super) fn map_has(m: &eetf::Map, k: &Term) -> bool {
    map_get(m, k).is_some()
}

// --------------------------------------------------------------- pure BIFs

fn arg_int(t: &Term) -> Result<i64, Exception> {
    term::as_int(t).ok_or_else(Exception::badarg)
}

fn fun_arity(t: &Term) -> Option<u8> {
    match t {
        Term::ExternalFun(f) => Some(f.arity),
        Term::InternalFun(f) => match f.as_ref() {
            eetf::InternalFun::New { arity, .. } => Some(*arity),
            eetf::InternalFun::Old { .. } => None,
        },
        _ => None,
    }
}

fn iolist(t: &Term, out: &mut Vec<u8>, depth: usize) -> Result<(), Exception> {
    if depth > MAX_NEST || out.len() > MAX_ELEMENTS {
        return Err(error_atom("system_limit"));
    }
    match t {
        Term::Binary(b) => out.extend_from_slice(&b.bytes),
        Term::ByteList(b) => out.extend_from_slice(&b.bytes),
        Term::FixInteger(i) => out.push(u8::try_from(i.value).map_err(|_| Exception::badarg())?),
        Term::List(l) => {
            for e in &l.elements {
                iolist(e, out, depth + 1)?;
            }
        }
        Term::ImproperList(l) => {
            for e in &l.elements {
                iolist(e, out, depth + 1)?;
            }
            match &*l.last {
                Term::Binary(b) => out.extend_from_slice(&b.bytes),
                _ => return Err(Exception::badarg()),
            }
        }
        _ => return Err(Exception::badarg()),
    }
    Ok(())
}

fn text_of(t: &Term) -> Result<String, Exception> {
    match t {
        Term::Binary(b) => String::from_utf8(b.bytes.clone()).map_err(|_| Exception::badarg()),
        _ => {
            let codes = proper(t).ok_or_else(Exception::badarg)?;
            codes
                .iter()
                .map(|c| {
                    term::as_int(c)
                        .and_then(|c| u32::try_from(c).ok())
                        .and_then(char::from_u32)
                        .ok_or_else(Exception::badarg)
                })
                .collect()
        }
    }
}

fn make_atom(name: String) -> Result<Term, Exception> {
    if name.chars().count() > 255 {
        return Err(error_atom("system_limit"));
    }
    Ok(term::atom(&name))
}

fn node_of(t: &Term) -> Option<Term> {
    Some(Term::Atom(match t {
        Term::Pid(p) => p.node.clone(),
        Term::Port(p) => p.node.clone(),
        Term::Reference(r) => r.node.clone(),
        _ => return None,
    }))
}

/// `erlang:F(Args)` for the side-effect-free BIFs (every guard BIF, the
/// operators by name, and a few conversions); `None` when `F/Arity` is not one.
pub(super) fn bif(f: &str, args: &[Term], pure: &Pure) -> Option<Result<Term, Exception>> {
    let bool_ok = |b: bool| Some(Ok(bool_term(b)));
    match args {
        [] => match f {
            "node" => Some(Ok(term::atom(&pure.node))),
            "self" => Some(
                pure.self_pid
                    .as_ref()
                    .map(term::pid)
                    .ok_or_else(Exception::badarg),
            ),
            _ => None,
        },
        [a] => match f {
            "is_atom" => bool_ok(matches!(a, Term::Atom(_))),
            "is_binary" => bool_ok(matches!(a, Term::Binary(_))),
            "is_bitstring" => bool_ok(matches!(a, Term::Binary(_) | Term::BitBinary(_))),
            "is_boolean" => bool_ok(as_bool(a).is_some()),
            "is_float" => bool_ok(matches!(a, Term::Float(_))),
            "is_function" => bool_ok(matches!(a, Term::ExternalFun(_) | Term::InternalFun(_))),
            "is_integer" => bool_ok(is_int(a)),
            "is_list" => bool_ok(matches!(
                a,
                Term::List(_) | Term::ByteList(_) | Term::ImproperList(_)
            )),
            "is_map" => bool_ok(matches!(a, Term::Map(_))),
            "is_number" => bool_ok(num(a).is_some()),
            "is_pid" => bool_ok(matches!(a, Term::Pid(_))),
            "is_port" => bool_ok(matches!(a, Term::Port(_))),
            "is_reference" => bool_ok(matches!(a, Term::Reference(_))),
            "is_tuple" => bool_ok(matches!(a, Term::Tuple(_))),
            "abs" => Some(match num(a) {
                Some(Num::Int(v)) if v < 0 => unary("-", a)?,
                Some(Num::Big(b)) if b.value < BigInteger::from(0i64).value => unary("-", a)?,
                Some(Num::Float(f)) => float_term(f.abs()),
                Some(_) => Ok(a.clone()),
                None => Err(Exception::badarg()),
            }),
            "float" => Some(match num(a) {
                Some(n) => float_term(to_f64(&n)),
                None => Err(Exception::badarg()),
            }),
            "trunc" | "round" | "ceil" | "floor" => Some(match num(a) {
                Some(Num::Float(x)) => {
                    let r = match f {
                        "trunc" => x.trunc(),
                        "round" => x.round(),
                        "ceil" => x.ceil(),
                        _ => x.floor(),
                    };
                    if r.abs() < 9.0e18 {
                        Ok(term::int(r as i64))
                    } else {
                        format!("{r:.0}")
                            .parse::<i128>()
                            .ok()
                            .and_then(|v| i64::try_from(v).ok())
                            .map(term::int)
                            .ok_or_else(|| error_atom("system_limit"))
                    }
                }
                Some(_) => Ok(a.clone()),
                None => Err(Exception::badarg()),
            }),
            "hd" | "tl" => Some(match list_parts(a) {
                Some((elems, tail)) if !elems.is_empty() => {
                    if f == "hd" {
                        Ok(elems[0].clone())
                    } else {
                        make_list(elems[1..].to_vec(), tail)
                    }
                }
                _ => Err(Exception::badarg()),
            }),
            "length" => Some(
                proper(a)
                    .map(|l| term::int(l.len() as i64))
                    .ok_or_else(Exception::badarg),
            ),
            "tuple_size" | "size" if matches!(a, Term::Tuple(_)) => Some(Ok(term::int(
                term::as_tuple(a).map_or(0, |t| t.len()) as i64,
            ))),
            "tuple_size" => Some(Err(Exception::badarg())),
            "map_size" => Some(match a {
                Term::Map(m) => Ok(term::int(m.map.len() as i64)),
                _ => Err(error_with("badmap", a.clone())),
            }),
            "byte_size" | "size" | "bit_size" => Some(match bits_of(a) {
                Some((_, bits)) => Ok(term::int(if f == "bit_size" {
                    bits as i64
                } else {
                    bits.div_ceil(8) as i64
                })),
                None => Err(Exception::badarg()),
            }),
            "node" => Some(node_of(a).ok_or_else(Exception::badarg)),
            "not" | "bnot" | "-" | "+" => unary(f, a),
            "tuple_to_list" => Some(match term::as_tuple(a) {
                Some(t) => Ok(term::list(t.to_vec())),
                None => Err(Exception::badarg()),
            }),
            "list_to_tuple" => Some(proper(a).map(term::tuple).ok_or_else(Exception::badarg)),
            "atom_to_binary" => Some(match a {
                Term::Atom(x) => Ok(term::binary(x.name.as_bytes().to_vec())),
                _ => Err(Exception::badarg()),
            }),
            "atom_to_list" => Some(match a {
                Term::Atom(x) => Ok(term::list(
                    x.name
                        .chars()
                        .map(|c| term::int(i64::from(u32::from(c))))
                        .collect(),
                )),
                _ => Err(Exception::badarg()),
            }),
            "binary_to_atom" | "list_to_atom" => Some(text_of(a).and_then(make_atom)),
            "integer_to_binary" | "integer_to_list" => Some(
                match num(a) {
                    Some(Num::Int(v)) => Ok(v.to_string()),
                    Some(Num::Big(b)) => Ok(b.value.to_string()),
                    _ => Err(Exception::badarg()),
                }
                .map(|s| {
                    if f == "integer_to_binary" {
                        term::binary(s.into_bytes())
                    } else {
                        term::list(s.bytes().map(|c| term::int(i64::from(c))).collect())
                    }
                }),
            ),
            "binary_to_list" => Some(match a {
                Term::Binary(b) => Ok(term::list(
                    b.bytes.iter().map(|&c| term::int(i64::from(c))).collect(),
                )),
                _ => Err(Exception::badarg()),
            }),
            "list_to_binary" | "iolist_to_binary" => Some({
                let mut out = Vec::new();
                iolist(a, &mut out, 0).map(|()| term::binary(out))
            }),
            _ => None,
        },
        [a, b] => match f {
            "element" => Some(match (term::as_int(a), term::as_tuple(b)) {
                (Some(i), Some(t)) if i >= 1 => usize::try_from(i - 1)
                    .ok()
                    .and_then(|i| t.get(i))
                    .cloned()
                    .ok_or_else(Exception::badarg),
                _ => Err(Exception::badarg()),
            }),
            "is_function" => Some(match arg_int(b) {
                Ok(n) => Ok(bool_term(fun_arity(a).is_some_and(|x| i64::from(x) == n))),
                Err(e) => Err(e),
            }),
            "is_map_key" => Some(match b {
                Term::Map(m) => Ok(bool_term(map_has(m, a))),
                _ => Err(error_with("badmap", b.clone())),
            }),
            "map_get" => Some(match b {
                Term::Map(m) => map_get(m, a)
                    .cloned()
                    .ok_or_else(|| error_with("badkey", a.clone())),
                _ => Err(error_with("badmap", b.clone())),
            }),
            "min" => Some(Ok(if compare(b, a) == Ordering::Less {
                b
            } else {
                a
            }
            .clone())),
            "max" => Some(Ok(if compare(b, a) == Ordering::Greater {
                b
            } else {
                a
            }
            .clone())),
            "atom_to_binary" => bif("atom_to_binary", std::slice::from_ref(a), pure),
            "binary_to_atom" => bif("binary_to_atom", std::slice::from_ref(a), pure),
            _ => eval_binary(f, a, b),
        },
        [a, b, c] => match f {
            "setelement" => Some(match (term::as_int(a), term::as_tuple(b)) {
                (Some(i), Some(t)) if i >= 1 && usize::try_from(i).is_ok_and(|i| i <= t.len()) => {
                    let mut v = t.to_vec();
                    if let Some(slot) = usize::try_from(i - 1).ok().and_then(|i| v.get_mut(i)) {
                        *slot = c.clone();
                    }
                    Ok(term::tuple(v))
                }
                _ => Err(Exception::badarg()),
            }),
            _ => None,
        },
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f(v: f64) -> Term {
        float_term(v).unwrap()
    }

    #[test]
    fn arithmetic_like_beam() {
        let p = |op, a: Term, b: Term| eval_binary(op, &a, &b).unwrap();
        assert_eq!(p("+", term::int(20), term::int(22)), Ok(term::int(42)));
        assert_eq!(p("/", term::int(1), term::int(2)), Ok(f(0.5)));
        assert_eq!(p("div", term::int(-7), term::int(2)), Ok(term::int(-3)));
        assert_eq!(p("rem", term::int(-7), term::int(2)), Ok(term::int(-1)));
        assert_eq!(p("div", term::int(1), term::int(0)), Err(badarith()));
        assert_eq!(p("/", term::int(1), f(0.0)), Err(badarith()));
        assert_eq!(p("+", term::atom("a"), term::int(1)), Err(badarith()));
        assert_eq!(p("div", f(1.0), term::int(1)), Err(badarith()));
        // Overflow goes to big integers and back.
        let big = p("*", term::int(i64::MAX), term::int(4)).unwrap();
        assert!(matches!(big, Term::BigInteger(_)));
        assert_eq!(p("div", big, term::int(4)), Ok(term::int(i64::MAX)));
        assert_eq!(
            p("bsl", term::int(1), term::int(70)).map(|t| matches!(t, Term::BigInteger(_))),
            Ok(true)
        );
        assert_eq!(p("bsr", term::int(-8), term::int(1)), Ok(term::int(-4)));
        assert_eq!(
            p("bsl", term::int(1), term::int(1 << 40)),
            Err(error_atom("system_limit"))
        );
        assert_eq!(
            unary("-", &term::int(i64::MIN))
                .unwrap()
                .map(|t| matches!(t, Term::BigInteger(_))),
            Ok(true)
        );
    }

    #[test]
    fn comparisons_follow_term_order() {
        let p = |op, a: Term, b: Term| eval_binary(op, &a, &b).unwrap().unwrap();
        let t = bool_term(true);
        assert_eq!(p("==", term::int(1), f(1.0)), t);
        assert_eq!(p("=:=", term::int(1), f(1.0)), bool_term(false));
        assert_eq!(p("<", term::int(1), term::atom("a")), t);
        assert_eq!(p("<", term::atom("a"), term::tuple(vec![])), t);
        assert_eq!(p("<", term::nil(), term::list(vec![term::int(1)])), t);
        assert_eq!(
            p("<", term::list(vec![term::int(1)]), term::binary(vec![])),
            t
        );
        assert_eq!(
            p(
                "==",
                term::tuple(vec![term::int(1)]),
                term::tuple(vec![f(1.0)])
            ),
            t
        );
        // A charlist as STRING_EXT equals the same list of integers.
        assert_eq!(
            p(
                "=:=",
                Term::ByteList(eetf::ByteList::from("ab")),
                term::list(vec![term::int(97), term::int(98)])
            ),
            t
        );
        assert_eq!(p("and", t.clone(), bool_term(false)), bool_term(false));
        assert!(eval_binary("and", &t, &term::int(1)).unwrap().is_err());
    }

    #[test]
    fn list_operators() {
        let l = |v: &[i64]| term::list(v.iter().map(|&i| term::int(i)).collect());
        assert_eq!(
            eval_binary("++", &l(&[1]), &l(&[2])).unwrap(),
            Ok(l(&[1, 2]))
        );
        assert_eq!(
            eval_binary("--", &l(&[1, 2, 1]), &l(&[1])).unwrap(),
            Ok(l(&[2, 1]))
        );
        let improper = eval_binary("++", &l(&[1]), &term::int(2)).unwrap().unwrap();
        assert!(matches!(improper, Term::ImproperList(_)));
        assert!(eval_binary("++", &term::int(1), &l(&[])).unwrap().is_err());
    }

    #[test]
    fn pure_bifs() {
        let pure = Pure {
            node: "a@b".into(),
            self_pid: None,
        };
        let t = term::tuple(vec![term::int(1), term::int(2)]);
        assert_eq!(
            bif("element", &[term::int(2), t.clone()], &pure),
            Some(Ok(term::int(2)))
        );
        assert_eq!(
            bif("element", &[term::int(3), t.clone()], &pure),
            Some(Err(Exception::badarg()))
        );
        assert_eq!(bif("tuple_size", &[t], &pure), Some(Ok(term::int(2))));
        assert_eq!(
            bif("tuple_size", &[term::nil()], &pure),
            Some(Err(Exception::badarg()))
        );
        assert_eq!(
            bif("size", &[term::binary(vec![1, 2])], &pure),
            Some(Ok(term::int(2)))
        );
        assert_eq!(bif("node", &[], &pure), Some(Ok(term::atom("a@b"))));
        assert_eq!(bif("self", &[], &pure), Some(Err(Exception::badarg())));
        assert_eq!(bif("round", &[f(2.5)], &pure), Some(Ok(term::int(3))));
        assert_eq!(bif("nonesuch", &[], &pure), None);
    }
}
