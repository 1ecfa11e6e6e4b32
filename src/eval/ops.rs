//! Operators and side-effect-free built-ins of the shell-fun interpreter: numbers, arithmetic, comparisons, list operators and the pure `erlang` BIFs.

use super::forms::{error_atom, error_with};
use super::value::{MAX_ELEMENTS, MAX_TERM_DEPTH, Value, compare, exact_eq};
use crate::otp::rpc::Exception;
use crate::term;
use eetf::{BigInteger, Pid, Term};
use std::cmp::Ordering;

/// Largest integer the interpreter builds, in bits (BEAM's own limit is far
/// higher; this one keeps a hostile fun from exhausting memory).
pub(super) const MAX_INT_BITS: u64 = 1 << 20;

/// What the pure built-ins need to know about the running process.
#[derive(Clone, Debug)]
pub(super) struct Pure {
    pub node: String,
    pub self_pid: Option<Pid>,
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

fn as_bool(t: &Term) -> Option<bool> {
    match term::as_atom(t) {
        Some("true") => Some(true),
        Some("false") => Some(false),
        _ => None,
    }
}

fn bool_term(b: bool) -> Term {
    term::atom(if b { "true" } else { "false" })
}

pub(super) fn cmp_num(x: &Num, y: &Num) -> Ordering {
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

/// A bitstring's bytes and its length in bits.
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

// -------------------------------------------------------------- operators

/// A unary operator applied to a value; `None` for an unknown operator.
pub(super) fn eval_unary(op: &str, a: &Value) -> Option<Result<Value, Exception>> {
    match (op, a.as_leaf()) {
        (_, Some(t)) => unary(op, t).map(|r| r.map(Value::leaf)),
        ("-" | "+" | "bnot", None) => Some(Err(badarith())),
        ("not", None) => Some(Err(Exception::badarg())),
        _ => None,
    }
}

/// A binary operator (other than the short-circuit `andalso`/`orelse` and
/// send `!`) applied to two values; `None` for an unknown operator.
pub(super) fn eval_binary(op: &str, a: &Value, b: &Value) -> Option<Result<Value, Exception>> {
    Some(match op {
        "+" | "-" | "*" | "/" | "div" | "rem" | "band" | "bor" | "bxor" | "bsl" | "bsr" => {
            match (a.as_leaf(), b.as_leaf()) {
                (Some(x), Some(y)) => arith(op, x, y).map(Value::leaf),
                _ => Err(badarith()),
            }
        }
        "==" => Ok(Value::bool(compare(a, b) == Ordering::Equal)),
        "/=" => Ok(Value::bool(compare(a, b) != Ordering::Equal)),
        "=:=" => Ok(Value::bool(exact_eq(a, b))),
        "=/=" => Ok(Value::bool(!exact_eq(a, b))),
        "<" => Ok(Value::bool(compare(a, b) == Ordering::Less)),
        ">" => Ok(Value::bool(compare(a, b) == Ordering::Greater)),
        "=<" => Ok(Value::bool(compare(a, b) != Ordering::Greater)),
        ">=" => Ok(Value::bool(compare(a, b) != Ordering::Less)),
        "and" | "or" | "xor" => match (a.as_bool(), b.as_bool()) {
            (Some(x), Some(y)) => Ok(Value::bool(match op {
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

/// `A ++ B`: copies `A`'s cells, shares `B`.
fn append(a: &Value, b: &Value) -> Result<Value, Exception> {
    let elems = a.proper_vec().ok_or_else(Exception::badarg)?;
    Value::list_with_tail(elems, b.clone())
}

fn subtract(a: &Value, b: &Value) -> Result<Value, Exception> {
    let (Some(mut left), Some(right)) = (a.proper_vec(), b.proper_vec()) else {
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
    Value::list(left)
}

/// The list of `codes` as integers.
fn int_list(codes: impl Iterator<Item = i64>) -> Result<Value, Exception> {
    Value::list(codes.map(Value::int).collect())
}

// --------------------------------------------------------------- pure BIFs

fn arg_int(v: &Value) -> Result<i64, Exception> {
    v.as_int().ok_or_else(Exception::badarg)
}

fn fun_arity(v: &Value) -> Option<u8> {
    match v {
        Value::Fun(f) => Some(f.arity),
        _ => match v.as_leaf()? {
            Term::ExternalFun(f) => Some(f.arity),
            Term::InternalFun(f) => match f.as_ref() {
                eetf::InternalFun::New { arity, .. } => Some(*arity),
                eetf::InternalFun::Old { .. } => None,
            },
            _ => None,
        },
    }
}

fn iolist(v: &Value, out: &mut Vec<u8>, depth: usize) -> Result<(), Exception> {
    if depth > MAX_TERM_DEPTH || out.len() > MAX_ELEMENTS {
        return Err(error_atom("system_limit"));
    }
    match v {
        Value::Nil => {}
        Value::Cons(_) => {
            let mut it = v.elems();
            for e in it.by_ref() {
                iolist(e, out, depth + 1)?;
                if out.len() > MAX_ELEMENTS {
                    return Err(error_atom("system_limit"));
                }
            }
            match it.rest() {
                Value::Nil => {}
                tail => match tail.as_leaf() {
                    Some(Term::Binary(b)) => out.extend_from_slice(&b.bytes),
                    _ => return Err(Exception::badarg()),
                },
            }
        }
        _ => match v.as_leaf() {
            Some(Term::Binary(b)) => out.extend_from_slice(&b.bytes),
            Some(Term::FixInteger(i)) => {
                out.push(u8::try_from(i.value).map_err(|_| Exception::badarg())?)
            }
            _ => return Err(Exception::badarg()),
        },
    }
    Ok(())
}

fn text_of(v: &Value) -> Result<String, Exception> {
    match v.as_leaf() {
        Some(Term::Binary(b)) => {
            String::from_utf8(b.bytes.clone()).map_err(|_| Exception::badarg())
        }
        Some(_) => Err(Exception::badarg()),
        None => {
            if v.list_len().is_none() {
                return Err(Exception::badarg());
            }
            v.elems()
                .map(|c| {
                    c.as_int()
                        .and_then(|c| u32::try_from(c).ok())
                        .and_then(char::from_u32)
                        .ok_or_else(Exception::badarg)
                })
                .collect()
        }
    }
}

fn make_atom(name: String) -> Result<Value, Exception> {
    if name.chars().count() > 255 {
        return Err(error_atom("system_limit"));
    }
    Ok(Value::atom(&name))
}

fn node_of(t: &Term) -> Option<Term> {
    Some(Term::Atom(match t {
        Term::Pid(p) => p.node.clone(),
        Term::Port(p) => p.node.clone(),
        Term::Reference(r) => r.node.clone(),
        _ => return None,
    }))
}

/// The one-argument BIFs of a scalar: `abs`, `round`, `byte_size`, ...
fn scalar_bif(f: &str, a: &Term) -> Result<Term, Exception> {
    match f {
        "abs" => match num(a) {
            Some(Num::Int(v)) if v < 0 => unary("-", a).unwrap_or_else(|| Err(badarith())),
            Some(Num::Big(b)) if b.value < BigInteger::from(0i64).value => {
                unary("-", a).unwrap_or_else(|| Err(badarith()))
            }
            Some(Num::Float(f)) => float_term(f.abs()),
            Some(_) => Ok(a.clone()),
            None => Err(Exception::badarg()),
        },
        "float" => match num(a) {
            Some(n) => float_term(to_f64(&n)),
            None => Err(Exception::badarg()),
        },
        "trunc" | "round" | "ceil" | "floor" => match num(a) {
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
        },
        "byte_size" | "size" | "bit_size" => match bits_of(a) {
            Some((_, bits)) => Ok(term::int(if f == "bit_size" {
                bits as i64
            } else {
                bits.div_ceil(8) as i64
            })),
            None => Err(Exception::badarg()),
        },
        "node" => node_of(a).ok_or_else(Exception::badarg),
        "atom_to_binary" => match a {
            Term::Atom(x) => Ok(term::binary(x.name.as_bytes().to_vec())),
            _ => Err(Exception::badarg()),
        },
        "integer_to_binary" => match num(a) {
            Some(Num::Int(v)) => Ok(term::binary(v.to_string().into_bytes())),
            Some(Num::Big(b)) => Ok(term::binary(b.value.to_string().into_bytes())),
            _ => Err(Exception::badarg()),
        },
        _ => Err(Exception::badarg()),
    }
}

/// `erlang:F(Args)` for the side-effect-free BIFs (every guard BIF, the
/// operators by name, and a few conversions); `None` when `F/Arity` is not one.
pub(super) fn bif(f: &str, args: &[Value], pure: &Pure) -> Option<Result<Value, Exception>> {
    match args {
        [] => match f {
            "node" => Some(Ok(Value::atom(&pure.node))),
            "self" => Some(
                pure.self_pid
                    .as_ref()
                    .map(|p| Value::leaf(term::pid(p)))
                    .ok_or_else(Exception::badarg),
            ),
            _ => None,
        },
        [a] => bif1(f, a),
        [a, b] => bif2(f, a, b, pure),
        [a, b, c] => match f {
            "setelement" => Some(match (a.as_int(), b.as_tuple()) {
                (Some(i), Some(t)) if i >= 1 && usize::try_from(i).is_ok_and(|i| i <= t.len()) => {
                    let mut v = t.to_vec();
                    if let Some(slot) = usize::try_from(i - 1).ok().and_then(|i| v.get_mut(i)) {
                        *slot = c.clone();
                    }
                    Value::tuple(v)
                }
                _ => Err(Exception::badarg()),
            }),
            _ => None,
        },
        _ => None,
    }
}

fn bif1(f: &str, a: &Value) -> Option<Result<Value, Exception>> {
    let bool_ok = |b: bool| Some(Ok(Value::bool(b)));
    let t = a.as_leaf();
    match f {
        "is_atom" => bool_ok(matches!(t, Some(Term::Atom(_)))),
        "is_binary" => bool_ok(matches!(t, Some(Term::Binary(_)))),
        "is_bitstring" => bool_ok(matches!(t, Some(Term::Binary(_) | Term::BitBinary(_)))),
        "is_boolean" => bool_ok(a.as_bool().is_some()),
        "is_float" => bool_ok(matches!(t, Some(Term::Float(_)))),
        "is_function" => bool_ok(
            matches!(a, Value::Fun(_))
                || matches!(t, Some(Term::ExternalFun(_) | Term::InternalFun(_))),
        ),
        "is_integer" => bool_ok(t.is_some_and(is_int)),
        "is_list" => bool_ok(a.is_list()),
        "is_map" => bool_ok(matches!(a, Value::Map(_))),
        "is_number" => bool_ok(t.and_then(num).is_some()),
        "is_pid" => bool_ok(matches!(t, Some(Term::Pid(_)))),
        "is_port" => bool_ok(matches!(t, Some(Term::Port(_)))),
        "is_reference" => bool_ok(matches!(t, Some(Term::Reference(_)))),
        "is_tuple" => bool_ok(matches!(a, Value::Tuple(_))),
        "size" | "tuple_size" if matches!(a, Value::Tuple(_)) => {
            Some(Ok(Value::int(a.as_tuple().map_or(0, |t| t.len()) as i64)))
        }
        "tuple_size" => Some(Err(Exception::badarg())),
        "abs" | "float" | "trunc" | "round" | "ceil" | "floor" | "byte_size" | "size"
        | "bit_size" | "node" | "atom_to_binary" | "integer_to_binary" => Some(match t {
            Some(t) => scalar_bif(f, t).map(Value::leaf),
            None => Err(Exception::badarg()),
        }),
        "not" | "bnot" | "-" | "+" => eval_unary(f, a),
        "hd" => Some(match a {
            Value::Cons(c) => Ok(c.head.clone()),
            _ => Err(Exception::badarg()),
        }),
        "tl" => Some(match a {
            Value::Cons(c) => Ok(c.tail.clone()),
            _ => Err(Exception::badarg()),
        }),
        "length" => Some(
            a.list_len()
                .map(|n| Value::int(n as i64))
                .ok_or_else(Exception::badarg),
        ),
        "map_size" => Some(match a.as_map() {
            Some(m) => Ok(Value::int(m.len() as i64)),
            None => Err(error_with("badmap", a.to_term())),
        }),
        "tuple_to_list" => Some(match a.as_tuple() {
            Some(t) => Value::list(t.to_vec()),
            None => Err(Exception::badarg()),
        }),
        "list_to_tuple" => Some(match a.proper_vec() {
            Some(l) => Value::tuple(l),
            None => Err(Exception::badarg()),
        }),
        "atom_to_list" => Some(match t {
            Some(Term::Atom(x)) => int_list(x.name.chars().map(|c| i64::from(u32::from(c)))),
            _ => Err(Exception::badarg()),
        }),
        "binary_to_atom" | "list_to_atom" => Some(text_of(a).and_then(make_atom)),
        "integer_to_list" => Some(match t.and_then(num) {
            Some(Num::Int(v)) => int_list(v.to_string().bytes().map(i64::from)),
            Some(Num::Big(b)) => int_list(b.value.to_string().bytes().map(i64::from)),
            _ => Err(Exception::badarg()),
        }),
        "binary_to_list" => Some(match t {
            Some(Term::Binary(b)) => int_list(b.bytes.iter().map(|&c| i64::from(c))),
            _ => Err(Exception::badarg()),
        }),
        "list_to_binary" | "iolist_to_binary" => Some({
            let mut out = Vec::new();
            iolist(a, &mut out, 0).map(|()| Value::leaf(term::binary(out)))
        }),
        _ => None,
    }
}

fn bif2(f: &str, a: &Value, b: &Value, pure: &Pure) -> Option<Result<Value, Exception>> {
    match f {
        "element" => Some(match (a.as_int(), b.as_tuple()) {
            (Some(i), Some(t)) if i >= 1 => usize::try_from(i - 1)
                .ok()
                .and_then(|i| t.get(i))
                .cloned()
                .ok_or_else(Exception::badarg),
            _ => Err(Exception::badarg()),
        }),
        "is_function" => Some(match arg_int(b) {
            Ok(n) => Ok(Value::bool(fun_arity(a).is_some_and(|x| i64::from(x) == n))),
            Err(e) => Err(e),
        }),
        "is_map_key" => Some(match b.as_map() {
            Some(m) => Ok(Value::bool(m.get(a).is_some())),
            None => Err(error_with("badmap", b.to_term())),
        }),
        "map_get" => Some(match b.as_map() {
            Some(m) => m
                .get(a)
                .cloned()
                .ok_or_else(|| error_with("badkey", a.to_term())),
            None => Err(error_with("badmap", b.to_term())),
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
        "atom_to_binary" | "binary_to_atom" => bif(f, std::slice::from_ref(a), pure),
        _ => eval_binary(f, a, b),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f(v: f64) -> Value {
        Value::leaf(float_term(v).unwrap())
    }

    fn i(v: i64) -> Value {
        Value::int(v)
    }

    fn l(v: &[i64]) -> Value {
        Value::list(v.iter().map(|&x| i(x)).collect()).unwrap()
    }

    #[test]
    fn arithmetic_like_beam() {
        let p = |op, a: Value, b: Value| eval_binary(op, &a, &b).unwrap();
        assert_eq!(p("+", i(20), i(22)), Ok(i(42)));
        assert_eq!(p("/", i(1), i(2)), Ok(f(0.5)));
        assert_eq!(p("div", i(-7), i(2)), Ok(i(-3)));
        assert_eq!(p("rem", i(-7), i(2)), Ok(i(-1)));
        assert_eq!(p("div", i(1), i(0)), Err(badarith()));
        assert_eq!(p("/", i(1), f(0.0)), Err(badarith()));
        assert_eq!(p("+", Value::atom("a"), i(1)), Err(badarith()));
        assert_eq!(p("+", l(&[1]), i(1)), Err(badarith()));
        assert_eq!(p("div", f(1.0), i(1)), Err(badarith()));
        // Overflow goes to big integers and back.
        let big = p("*", i(i64::MAX), i(4)).unwrap();
        assert!(matches!(big.as_leaf(), Some(Term::BigInteger(_))));
        assert_eq!(p("div", big, i(4)), Ok(i(i64::MAX)));
        assert_eq!(
            p("bsl", i(1), i(70)).map(|t| matches!(t.as_leaf(), Some(Term::BigInteger(_)))),
            Ok(true)
        );
        assert_eq!(p("bsr", i(-8), i(1)), Ok(i(-4)));
        assert_eq!(p("bsl", i(1), i(1 << 40)), Err(error_atom("system_limit")));
        assert_eq!(
            eval_unary("-", &i(i64::MIN))
                .unwrap()
                .map(|t| matches!(t.as_leaf(), Some(Term::BigInteger(_)))),
            Ok(true)
        );
    }

    #[test]
    fn comparisons_follow_term_order() {
        let p = |op, a: Value, b: Value| eval_binary(op, &a, &b).unwrap().unwrap();
        let t = Value::bool(true);
        assert_eq!(p("==", i(1), f(1.0)), t);
        assert_eq!(p("=:=", i(1), f(1.0)), Value::bool(false));
        assert_eq!(p("<", i(1), Value::atom("a")), t);
        assert_eq!(p("<", Value::atom("a"), Value::tuple(vec![]).unwrap()), t);
        assert_eq!(p("<", Value::Nil, l(&[1])), t);
        assert_eq!(p("<", l(&[1]), Value::leaf(term::binary(vec![]))), t);
        assert_eq!(
            p(
                "==",
                Value::tuple(vec![i(1)]).unwrap(),
                Value::tuple(vec![f(1.0)]).unwrap()
            ),
            t
        );
        // A charlist as STRING_EXT equals the same list of integers.
        assert_eq!(
            p(
                "=:=",
                Value::from_term(&Term::ByteList(eetf::ByteList::from("ab"))).unwrap(),
                l(&[97, 98])
            ),
            t
        );
        // Lists compare element by element, then by what ends them.
        assert_eq!(p("<", l(&[1, 2]), l(&[1, 3])), t);
        assert_eq!(p("<", l(&[1]), l(&[1, 0])), t);
        assert_eq!(
            p("<", Value::cons(i(1), i(5)).unwrap(), l(&[1, 0])),
            t,
            "an improper tail (a number) sorts before more cells"
        );
        assert_eq!(p("and", t.clone(), Value::bool(false)), Value::bool(false));
        assert!(eval_binary("and", &t, &i(1)).unwrap().is_err());
    }

    #[test]
    fn list_operators() {
        assert_eq!(
            eval_binary("++", &l(&[1]), &l(&[2])).unwrap(),
            Ok(l(&[1, 2]))
        );
        assert_eq!(
            eval_binary("--", &l(&[1, 2, 1]), &l(&[1])).unwrap(),
            Ok(l(&[2, 1]))
        );
        let improper = eval_binary("++", &l(&[1]), &i(2)).unwrap().unwrap();
        assert!(matches!(improper.to_term(), Term::ImproperList(_)));
        assert!(eval_binary("++", &i(1), &l(&[])).unwrap().is_err());
    }

    #[test]
    fn pure_bifs() {
        let pure = Pure {
            node: "a@b".into(),
            self_pid: None,
        };
        let t = Value::tuple(vec![i(1), i(2)]).unwrap();
        assert_eq!(bif("element", &[i(2), t.clone()], &pure), Some(Ok(i(2))));
        assert_eq!(
            bif("element", &[i(3), t.clone()], &pure),
            Some(Err(Exception::badarg()))
        );
        assert_eq!(bif("tuple_size", &[t], &pure), Some(Ok(i(2))));
        assert_eq!(
            bif("tuple_size", &[Value::Nil], &pure),
            Some(Err(Exception::badarg()))
        );
        assert_eq!(
            bif("size", &[Value::leaf(term::binary(vec![1, 2]))], &pure),
            Some(Ok(i(2)))
        );
        assert_eq!(bif("node", &[], &pure), Some(Ok(Value::atom("a@b"))));
        assert_eq!(bif("self", &[], &pure), Some(Err(Exception::badarg())));
        assert_eq!(bif("round", &[f(2.5)], &pure), Some(Ok(i(3))));
        assert_eq!(bif("hd", &[l(&[7, 8])], &pure), Some(Ok(i(7))));
        assert_eq!(bif("tl", &[l(&[7, 8])], &pure), Some(Ok(l(&[8]))));
        assert_eq!(bif("length", &[l(&[7, 8])], &pure), Some(Ok(i(2))));
        assert_eq!(
            bif("length", &[Value::cons(i(1), i(2)).unwrap()], &pure),
            Some(Err(Exception::badarg()))
        );
        assert_eq!(bif("nonesuch", &[], &pure), None);
    }
}
