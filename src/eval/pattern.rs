//! Pattern matching and guard evaluation for the shell-fun interpreter (synchronous, so `receive` can test messages in place).

use super::bits;
use super::forms::{Context, error_with, form, forms_list, unsupported};
use super::ops::{self, Pure};
use super::value::{MapValue, Value, exact_eq};
use super::{MAX_DEPTH, stack};
use crate::otp::rpc::Exception;
use crate::term;
use eetf::Term;
use std::collections::HashMap;

/// Variable bindings: Erlang variable name (Elixir's `x@1` style) to value.
pub(super) type Env = HashMap<String, Value>;

/// Why a guard expression did not produce a value.
#[derive(Debug)]
pub(super) enum GuardError {
    /// An exception inside the guard: the guard just fails.
    Fail,
    /// A construct the interpreter does not know: reported, never silent.
    Unsupported(Exception),
}

impl From<Exception> for GuardError {
    fn from(_: Exception) -> Self {
        GuardError::Fail
    }
}

fn too_deep(at: &Term, context: Context) -> Exception {
    unsupported("nesting", at, context)
}

/// Matches a literal form (integer, char, float, atom, string, nil) to its value.
pub(super) fn literal(tag: &str, rest: &[Term]) -> Option<Value> {
    match (tag, rest) {
        ("integer" | "char", [_, v @ (Term::FixInteger(_) | Term::BigInteger(_))]) => {
            Some(Value::leaf(v.clone()))
        }
        ("float", [_, v @ Term::Float(_)]) => Some(Value::leaf(v.clone())),
        ("atom", [_, v @ Term::Atom(_)]) => Some(Value::leaf(v.clone())),
        ("string", [_, s @ (Term::List(_) | Term::ByteList(_))]) => {
            Value::from_term(s).ok().filter(|v| v.list_len().is_some())
        }
        ("nil", [_]) => Some(Value::Nil),
        _ => None,
    }
}

/// Does `value` match pattern `p`? New bindings go into `env`, which holds
/// garbage after a failed match (callers match on a copy). `Err` only for a
/// pattern outside the subset.
pub(super) fn match_pattern(
    p: &Term,
    v: &Value,
    env: &mut Env,
    pure: &Pure,
    depth: usize,
) -> Result<bool, Exception> {
    if depth > MAX_DEPTH || stack::exhausted() {
        return Err(too_deep(p, Context::Pattern));
    }
    let d = depth + 1;
    let Some((tag, rest)) = form(p) else {
        return Err(unsupported("term", p, Context::Pattern));
    };
    if let Some(lit) = literal(tag, rest) {
        return Ok(exact_eq(&lit, v));
    }
    match (tag, rest) {
        ("var", [_, name]) => {
            let Some(name) = term::as_atom(name) else {
                return Err(unsupported("var", p, Context::Pattern));
            };
            if name == "_" {
                return Ok(true);
            }
            match env.get(name) {
                Some(bound) => Ok(exact_eq(bound, v)),
                None => {
                    env.insert(name.to_owned(), v.clone());
                    Ok(true)
                }
            }
        }
        ("tuple", [_, ps]) => {
            let Some(ps) = forms_list(ps) else {
                return Err(unsupported("tuple", p, Context::Pattern));
            };
            match v.as_tuple() {
                Some(vs) if vs.len() == ps.len() => {
                    for (q, x) in ps.iter().zip(vs) {
                        if !match_pattern(q, x, env, pure, d)? {
                            return Ok(false);
                        }
                    }
                    Ok(true)
                }
                _ => Ok(false),
            }
        }
        ("cons", _) => match_cons(p, v, env, pure, d),
        ("map", [_, fields]) => {
            let Some(fields) = forms_list(fields) else {
                return Err(unsupported("map", p, Context::Pattern));
            };
            let Value::Map(m) = v else { return Ok(false) };
            for f in fields {
                let Some(("map_field_exact", [_, k, vp])) = form(f) else {
                    return Err(unsupported(super::forms::tag_of(f), f, Context::Pattern));
                };
                let key = match guard_expr(k, env, pure, d) {
                    Ok(key) => key,
                    Err(GuardError::Unsupported(e)) => return Err(e),
                    Err(GuardError::Fail) => return Ok(false),
                };
                match m.get(&key) {
                    Some(x) => {
                        if !match_pattern(vp, x, env, pure, d)? {
                            return Ok(false);
                        }
                    }
                    None => return Ok(false),
                }
            }
            Ok(true)
        }
        ("match", [_, p1, p2]) => {
            Ok(match_pattern(p1, v, env, pure, d)? && match_pattern(p2, v, env, pure, d)?)
        }
        ("bin", [_, elems]) => bits::match_bin(p, elems, v, env, pure, d),
        ("op", [_, op, left, right]) if term::is_atom(op, "++") => {
            // "abc" ++ Rest: a literal prefix.
            let prefix = match guard_expr(left, env, pure, d) {
                Ok(t) => t.proper_vec(),
                Err(GuardError::Unsupported(e)) => return Err(e),
                Err(GuardError::Fail) => None,
            };
            let Some(prefix) = prefix else {
                return Err(unsupported("op", p, Context::Pattern));
            };
            if !v.is_list() {
                return Ok(false);
            }
            let mut elems = v.elems();
            for want in &prefix {
                match elems.next() {
                    Some(got) if exact_eq(want, got) => {}
                    _ => return Ok(false),
                }
            }
            match_pattern(right, elems.rest(), env, pure, d)
        }
        ("op", _) => {
            // A constant expression such as -1.
            match guard_expr(p, env, pure, d) {
                Ok(c) => Ok(exact_eq(&c, v)),
                Err(GuardError::Unsupported(e)) => Err(e),
                Err(GuardError::Fail) => Err(unsupported("op", p, Context::Pattern)),
            }
        }
        _ => Err(unsupported(tag, p, Context::Pattern)),
    }
}

/// `[P1, P2 | T]` patterns, walked without recursing per element; `T`
/// matches the list's own (shared) tail.
fn match_cons(
    p: &Term,
    v: &Value,
    env: &mut Env,
    pure: &Pure,
    d: usize,
) -> Result<bool, Exception> {
    let mut cur = p;
    let mut rest = v;
    while let Some(("cons", parts)) = form(cur) {
        let [_, h, t] = parts else {
            return Err(unsupported("cons", cur, Context::Pattern));
        };
        let Value::Cons(cell) = rest else {
            return Ok(false);
        };
        if !match_pattern(h, &cell.head, env, pure, d)? {
            return Ok(false);
        }
        cur = t;
        rest = &cell.tail;
    }
    match_pattern(cur, rest, env, pure, d)
}

/// A guard sequence `[[G11, G12], [G21]]`: some alternative whose every
/// expression is `true`. An empty sequence holds.
pub(super) fn guard_seq(
    guards: &Term,
    env: &Env,
    pure: &Pure,
    depth: usize,
) -> Result<bool, Exception> {
    let Some(alts) = forms_list(guards) else {
        return Err(unsupported("guard", guards, Context::Guard));
    };
    if alts.is_empty() {
        return Ok(true);
    }
    'alts: for alt in alts {
        let Some(tests) = forms_list(alt) else {
            return Err(unsupported("guard", alt, Context::Guard));
        };
        for g in tests {
            match guard_expr(g, env, pure, depth) {
                Ok(t) if t.is_atom("true") => {}
                Ok(_) | Err(GuardError::Fail) => continue 'alts,
                Err(GuardError::Unsupported(e)) => return Err(e),
            }
        }
        return Ok(true);
    }
    Ok(false)
}

/// Matches a clause `{clause, A, Patterns, Guards, Body}` against `values`:
/// the bindings it makes and its body, or `None`.
pub(super) fn match_clause<'c>(
    clause: &'c Term,
    values: &[Value],
    env: &Env,
    pure: &Pure,
    depth: usize,
) -> Result<Option<(Env, &'c [Term])>, Exception> {
    let Some(("clause", [_, pats, guards, body])) = form(clause) else {
        return Err(unsupported(
            super::forms::tag_of(clause),
            clause,
            Context::Expr,
        ));
    };
    let (Some(pats), Some(body)) = (forms_list(pats), forms_list(body)) else {
        return Err(unsupported("clause", clause, Context::Expr));
    };
    if pats.len() != values.len() {
        return Ok(None);
    }
    let mut e = env.clone();
    for (p, v) in pats.iter().zip(values) {
        if !match_pattern(p, v, &mut e, pure, depth)? {
            return Ok(None);
        }
    }
    if !guard_seq(guards, &e, pure, depth)? {
        return Ok(None);
    }
    Ok(Some((e, body)))
}

/// Evaluates a guard expression (also used for map keys and segment sizes in
/// patterns): variables, literals, data constructors, operators and the
/// pure BIFs.
pub(super) fn guard_expr(
    e: &Term,
    env: &Env,
    pure: &Pure,
    depth: usize,
) -> Result<Value, GuardError> {
    if depth > MAX_DEPTH || stack::exhausted() {
        return Err(GuardError::Unsupported(too_deep(e, Context::Guard)));
    }
    let d = depth + 1;
    let unsup = |tag: &str| GuardError::Unsupported(unsupported(tag, e, Context::Guard));
    let Some((tag, rest)) = form(e) else {
        return Err(unsup("term"));
    };
    if let Some(lit) = literal(tag, rest) {
        return Ok(lit);
    }
    match (tag, rest) {
        ("var", [_, name]) => term::as_atom(name)
            .and_then(|n| env.get(n))
            .cloned()
            .ok_or(GuardError::Fail),
        ("tuple", [_, es]) => {
            let es = forms_list(es).ok_or_else(|| unsup("tuple"))?;
            let mut out = Vec::with_capacity(es.len());
            for x in es {
                out.push(guard_expr(x, env, pure, d)?);
            }
            Ok(Value::tuple(out)?)
        }
        ("cons", _) => {
            let mut heads = Vec::new();
            let mut cur = e;
            while let Some(("cons", rest)) = form(cur) {
                let [_, h, t] = rest else {
                    return Err(unsup("cons"));
                };
                heads.push(guard_expr(h, env, pure, d)?);
                cur = t;
            }
            let tail = guard_expr(cur, env, pure, d)?;
            Ok(Value::list_with_tail(heads, tail)?)
        }
        ("map", [_, fields]) => {
            let mut m = MapValue::empty();
            guard_map_fields(&mut m, fields, env, pure, d, e)?;
            Ok(Value::map_of(m)?)
        }
        ("map", [_, base, fields]) => match guard_expr(base, env, pure, d)? {
            Value::Map(base) => {
                let mut m = base.to_owned_map();
                guard_map_fields(&mut m, fields, env, pure, d, e)?;
                Ok(Value::map_of(m)?)
            }
            _ => Err(GuardError::Fail),
        },
        ("bin", [_, elems]) => {
            let elems = forms_list(elems).ok_or_else(|| unsup("bin"))?;
            let mut buf = bits::BitBuf::default();
            for el in elems {
                let seg =
                    bits::parse_element(el, Context::Guard).map_err(GuardError::Unsupported)?;
                if let Some(chars) = seg.string_literal() {
                    let size = match seg.size {
                        Some(s) => Some(guard_int(s, env, pure, d)?),
                        None => None,
                    };
                    bits::push_string(&mut buf, &chars, size, &seg.spec)?;
                } else {
                    let v = guard_expr(seg.value, env, pure, d)?;
                    let size = match seg.size {
                        Some(s) => Some(guard_int(s, env, pure, d)?),
                        None => None,
                    };
                    let v = v.as_leaf().ok_or(GuardError::Fail)?;
                    bits::push(&mut buf, v, size, &seg.spec)?;
                }
            }
            Ok(Value::leaf(buf.into_term()))
        }
        ("op", [_, op, a]) => {
            let op = term::as_atom(op).ok_or_else(|| unsup("op"))?;
            let a = guard_expr(a, env, pure, d)?;
            match ops::eval_unary(op, &a) {
                Some(r) => Ok(r?),
                None => Err(unsup("op")),
            }
        }
        ("op", [_, op, a, b]) => {
            let op = term::as_atom(op).ok_or_else(|| unsup("op"))?;
            match op {
                "andalso" | "orelse" => {
                    let l = guard_expr(a, env, pure, d)?
                        .as_bool()
                        .ok_or(GuardError::Fail)?;
                    if l == (op == "orelse") {
                        return Ok(Value::bool(l));
                    }
                    guard_expr(b, env, pure, d)
                }
                _ => {
                    let (x, y) = (guard_expr(a, env, pure, d)?, guard_expr(b, env, pure, d)?);
                    match ops::eval_binary(op, &x, &y) {
                        Some(r) => Ok(r?),
                        None => Err(unsup("op")),
                    }
                }
            }
        }
        ("call", [_, target, args]) => {
            let name = match form(target) {
                Some(("remote", [_, m, f])) => {
                    let m = guard_expr(m, env, pure, d)?;
                    if !m.is_atom("erlang") {
                        return Err(unsup("call"));
                    }
                    guard_expr(f, env, pure, d)?
                }
                Some(("atom", [_, f @ Term::Atom(_)])) => Value::leaf(f.clone()),
                _ => return Err(unsup("call")),
            };
            let name = name.as_atom().ok_or_else(|| unsup("call"))?;
            let args = forms_list(args).ok_or_else(|| unsup("call"))?;
            let mut vals = Vec::with_capacity(args.len());
            for x in args {
                vals.push(guard_expr(x, env, pure, d)?);
            }
            match ops::bif(name, &vals, pure) {
                Some(r) => Ok(r?),
                None => Err(unsup("call")),
            }
        }
        _ => Err(unsup(tag)),
    }
}

fn guard_int(e: &Term, env: &Env, pure: &Pure, d: usize) -> Result<i64, GuardError> {
    guard_expr(e, env, pure, d)?
        .as_int()
        .ok_or(GuardError::Fail)
}

fn guard_map_fields(
    m: &mut MapValue,
    fields: &Term,
    env: &Env,
    pure: &Pure,
    d: usize,
    at: &Term,
) -> Result<(), GuardError> {
    let fields = forms_list(fields)
        .ok_or_else(|| GuardError::Unsupported(unsupported("map", at, Context::Guard)))?;
    for f in fields {
        match form(f) {
            Some((kind @ ("map_field_assoc" | "map_field_exact"), [_, k, v])) => {
                let k = guard_expr(k, env, pure, d)?;
                let v = guard_expr(v, env, pure, d)?;
                if kind == "map_field_exact" && m.get(&k).is_none() {
                    return Err(GuardError::Fail);
                }
                m.put(k, v);
            }
            _ => {
                return Err(GuardError::Unsupported(unsupported(
                    super::forms::tag_of(f),
                    f,
                    Context::Guard,
                )));
            }
        }
    }
    Ok(())
}

/// `error:{badmatch, V}`.
pub(super) fn badmatch(v: &Value) -> Exception {
    error_with("badmatch", v.to_term())
}
