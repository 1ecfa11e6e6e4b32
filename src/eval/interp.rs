//! The shell-fun interpreter proper: expressions, clauses, receive, calls and funs, evaluated as the calling Rust process.

use super::bits;
use super::forms::{Context, error_atom, error_with, form, forms_list, tag_of, unsupported};
use super::ops::{self, Pure};
use super::pattern::{Env, badmatch, literal, match_clause, match_pattern};
use super::value::{Closure, MapValue, Value};
use super::{MAX_DEPTH, stack};
use crate::node::{Process, ReceiveError};
use crate::otp::io::error_report;
use crate::otp::rpc::{CallContext, Class, Exception};
use crate::term;
use eetf::{Atom, InternalFun, Pid, Term};
use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

pub(super) type BoxFut<'a, T> = Pin<Box<dyn Future<Output = Result<T, Exception>> + Send + 'a>>;

fn ready<'a, T: Send + 'a>(r: Result<T, Exception>) -> BoxFut<'a, T> {
    Box::pin(std::future::ready(r))
}

/// What evaluating an expression in tail position gives: a value, or a call
/// of an interpreted fun still to make (so loops written as tail-recursive
/// funs run in constant space).
pub(super) enum Flow {
    Value(Value),
    Tail(Value, Vec<Value>),
}

/// An interpreter bound to the process it runs as.
pub(super) struct Interp {
    ctx: CallContext,
    pure: Pure,
}

/// `args` as a list term (for error reasons).
fn args_term(args: &[Value]) -> Term {
    term::list(args.iter().map(Value::to_term).collect())
}

fn unsupported_env() -> Exception {
    super::forms::unsupported_at("fun_env", None, Context::Expr)
}

impl Interp {
    pub(super) fn new(ctx: CallContext) -> Self {
        let pure = Pure {
            node: ctx.node.name().to_owned(),
            self_pid: ctx.self_pid.clone(),
        };
        Interp { ctx, pure }
    }

    /// Calls a fun value with `args`: interpreted for `erl_eval` funs,
    /// dispatched for external funs (`&Mod.fun/arity`).
    pub(super) fn call_fun<'a>(
        &'a self,
        fun: &'a Value,
        args: Vec<Value>,
        depth: usize,
    ) -> BoxFut<'a, Value> {
        Box::pin(async move {
            if depth > MAX_DEPTH || stack::exhausted() {
                return Err(super::forms::unsupported_at("nesting", None, Context::Expr));
            }
            let mut fun = fun.clone();
            let mut args = args;
            loop {
                // Let other tasks run, and let an exit signal abort a loop.
                tokio::task::consume_budget().await;
                match self.call_once(&fun, args, depth + 1).await? {
                    Flow::Value(v) => return Ok(v),
                    Flow::Tail(f, a) => {
                        fun = f;
                        args = a;
                    }
                }
            }
        })
    }

    async fn call_once(&self, fun: &Value, args: Vec<Value>, d: usize) -> Result<Flow, Exception> {
        let badarity = |args: &[Value]| {
            error_with(
                "badarity",
                term::tuple(vec![fun.to_term(), args_term(args)]),
            )
        };
        match fun {
            Value::Fun(c) => {
                if usize::from(c.arity) != args.len() {
                    return Err(badarity(&args));
                }
                let mut base = c.env.clone();
                if let Some(name) = &c.name {
                    base.insert(name.clone(), fun.clone());
                }
                let clauses = forms_list(&c.clauses).ok_or_else(unsupported_env)?;
                for cl in clauses {
                    if let Some((mut env, body)) = match_clause(cl, &args, &base, &self.pure, d)? {
                        return self.body(body, &mut env, d, true).await;
                    }
                }
                Err(Exception {
                    class: Class::Error,
                    reason: term::atom("function_clause"),
                    stack: term::list(vec![term::tuple(vec![
                        term::atom("erl_eval"),
                        term::atom("-inside-an-interpreted-fun-"),
                        args_term(&args),
                    ])]),
                })
            }
            _ => match fun.as_leaf() {
                Some(Term::InternalFun(f)) => match f.as_ref() {
                    // An erl_eval fun whose environment could not be read.
                    InternalFun::New { module, arity, .. } if module.name == "erl_eval" => {
                        if usize::from(*arity) != args.len() {
                            return Err(badarity(&args));
                        }
                        Err(unsupported_env())
                    }
                    InternalFun::New { module, .. } | InternalFun::Old { module, .. } => {
                        // A fun compiled into a module only its own node can run.
                        Err(Exception::error(term::tuple(vec![
                            term::atom("unsupported"),
                            term::atom("compiled_fun"),
                            Term::Atom(module.clone()),
                        ])))
                    }
                },
                Some(Term::ExternalFun(f)) => {
                    if usize::from(f.arity) != args.len() {
                        return Err(badarity(&args));
                    }
                    self.call_mfa(&f.module.name, &f.function.name, args, d)
                        .await
                        .map(Flow::Value)
                }
                _ => Err(error_with("badfun", fun.to_term())),
            },
        }
    }

    /// `M:F(Args)`: the `erlang` functions the interpreter handles itself
    /// (apply, error/exit/throw, send, the pure BIFs), then anything
    /// registered on the node (`undef` otherwise), whose arguments and
    /// result cross as terms.
    pub(super) fn call_mfa<'a>(
        &'a self,
        m: &'a str,
        f: &'a str,
        args: Vec<Value>,
        d: usize,
    ) -> BoxFut<'a, Value> {
        Box::pin(async move {
            if m == "erlang" {
                match (f, args.as_slice()) {
                    ("apply", [fun, a]) => {
                        let a = a.proper_vec().ok_or_else(Exception::badarg)?;
                        let fun = fun.clone();
                        return self.call_fun(&fun, a, d).await;
                    }
                    ("apply", [m2, f2, a]) => {
                        let (Some(m2), Some(f2), Some(a)) =
                            (m2.as_atom(), f2.as_atom(), a.proper_vec())
                        else {
                            return Err(Exception::badarg());
                        };
                        let (m2, f2) = (m2.to_owned(), f2.to_owned());
                        return self.call_mfa(&m2, &f2, a, d).await;
                    }
                    ("error", [r, ..]) if args.len() <= 3 => {
                        return Err(Exception::error(r.to_term()));
                    }
                    ("exit", [r]) => return Err(Exception::exit(r.to_term())),
                    ("throw", [r]) => return Err(Exception::throw(r.to_term())),
                    ("raise", [class, r, stack]) => {
                        let class = match class.as_atom() {
                            Some("error") => Class::Error,
                            Some("exit") => Class::Exit,
                            Some("throw") => Class::Throw,
                            _ => return Err(Exception::badarg()),
                        };
                        return Err(Exception {
                            class,
                            reason: r.to_term(),
                            stack: stack.to_term(),
                        });
                    }
                    ("send" | "!", [to, msg]) => return send(&self.ctx, to, msg.clone()).await,
                    ("make_ref", []) => {
                        return Ok(Value::leaf(term::reference(&self.ctx.node.make_ref())));
                    }
                    ("spawn" | "spawn_link", [fun]) => {
                        return self.spawn(fun.clone(), f == "spawn_link").await;
                    }
                    _ => {
                        if let Some(r) = ops::bif(f, &args, &self.pure) {
                            return r;
                        }
                    }
                }
            }
            let args = args.iter().map(Value::to_term).collect();
            let r = self.ctx.node.apply(m, f, args, self.ctx.clone()).await?;
            Value::from_term(&r)
        })
    }

    /// A clause body; the last expression is in tail position when `tail`.
    fn body<'a>(
        &'a self,
        es: &'a [Term],
        env: &'a mut Env,
        depth: usize,
        tail: bool,
    ) -> BoxFut<'a, Flow> {
        Box::pin(async move {
            let Some((last, init)) = es.split_last() else {
                return Err(super::forms::unsupported_at("body", None, Context::Expr));
            };
            for e in init {
                self.expr(e, env, depth).await?;
            }
            self.expr_t(last, env, depth, tail).await
        })
    }

    /// An expression's value.
    pub(super) fn expr<'a>(
        &'a self,
        e: &'a Term,
        env: &'a mut Env,
        depth: usize,
    ) -> BoxFut<'a, Value> {
        Box::pin(async move {
            match self.expr_t(e, env, depth, false).await? {
                Flow::Value(v) => Ok(v),
                Flow::Tail(f, a) => self.call_fun(&f, a, depth).await,
            }
        })
    }

    async fn values(
        &self,
        es: &Term,
        env: &mut Env,
        d: usize,
        at: &Term,
    ) -> Result<Vec<Value>, Exception> {
        let es = forms_list(es).ok_or_else(|| unsupported(tag_of(at), at, Context::Expr))?;
        let mut out = Vec::with_capacity(es.len());
        for x in es {
            out.push(self.expr(x, env, d).await?);
        }
        Ok(out)
    }

    /// Dispatches one expression to its handler. Kept free of `async` state
    /// of its own (and each handler small) so deep nesting costs little stack.
    fn expr_t<'a>(
        &'a self,
        e: &'a Term,
        env: &'a mut Env,
        depth: usize,
        tail: bool,
    ) -> BoxFut<'a, Flow> {
        if depth > MAX_DEPTH || stack::exhausted() {
            return ready(Err(unsupported("nesting", e, Context::Expr)));
        }
        let d = depth + 1;
        let Some((tag, rest)) = form(e) else {
            return ready(Err(unsupported("term", e, Context::Expr)));
        };
        if let Some(lit) = literal(tag, rest) {
            return ready(Ok(Flow::Value(lit)));
        }
        let bad = || unsupported(tag, e, Context::Expr);
        match (tag, rest) {
            ("var", [_, name]) => ready(match term::as_atom(name) {
                Some(name) => env
                    .get(name)
                    .cloned()
                    .map(Flow::Value)
                    .ok_or_else(|| error_with("unbound", term::atom(name))),
                None => Err(bad()),
            }),
            ("cons", _) => Box::pin(self.cons(e, env, d)),
            ("tuple", [_, es]) => Box::pin(async move {
                Ok(Flow::Value(Value::tuple(
                    self.values(es, env, d, e).await?,
                )?))
            }),
            ("map", [_, fields]) => Box::pin(self.map_new(None, fields, env, d, e)),
            ("map", [_, base, fields]) => Box::pin(self.map_new(Some(base), fields, env, d, e)),
            ("bin", [_, elems]) => Box::pin(self.bin(elems, env, d, e)),
            ("block", [_, es]) => match forms_list(es) {
                Some(es) => self.body(es, env, d, tail),
                None => ready(Err(bad())),
            },
            ("match", [_, p, rhs]) => Box::pin(self.match_expr(p, rhs, env, d)),
            ("op", [_, op, a]) => match term::as_atom(op) {
                Some(op) => Box::pin(self.unary_op(op, a, env, d, e)),
                None => ready(Err(bad())),
            },
            ("op", [_, op, a, b]) => match term::as_atom(op) {
                Some(op) => Box::pin(self.binary_op(op, a, b, env, d, tail, e)),
                None => ready(Err(bad())),
            },
            ("case", [_, scrutinee, clauses]) => match forms_list(clauses) {
                Some(cs) => Box::pin(self.case(scrutinee, cs, env, d, tail)),
                None => ready(Err(bad())),
            },
            ("if", [_, clauses]) => match forms_list(clauses) {
                Some(cs) => Box::pin(self.if_expr(cs, env, d, tail)),
                None => ready(Err(bad())),
            },
            ("receive", [_, clauses]) => match forms_list(clauses) {
                Some(cs) => Box::pin(self.receive(cs, None, env, d, tail)),
                None => ready(Err(bad())),
            },
            ("receive", [_, clauses, after, after_body]) => {
                match (forms_list(clauses), forms_list(after_body)) {
                    (Some(cs), Some(ab)) => {
                        Box::pin(self.receive(cs, Some((after, ab)), env, d, tail))
                    }
                    _ => ready(Err(bad())),
                }
            }
            ("call", [_, target, args]) => Box::pin(self.call(target, args, env, d, tail, e)),
            ("fun", [anno, spec]) => {
                Box::pin(
                    async move { Ok(Flow::Value(self.make_fun(anno, spec, env, d, e).await?)) },
                )
            }
            _ => ready(Err(bad())),
        }
    }

    async fn cons(&self, e: &Term, env: &mut Env, d: usize) -> Result<Flow, Exception> {
        let mut heads = Vec::new();
        let mut cur = e;
        while let Some(("cons", rest)) = form(cur) {
            let [_, h, t] = rest else {
                return Err(unsupported("cons", cur, Context::Expr));
            };
            heads.push(self.expr(h, env, d).await?);
            cur = t;
        }
        let tail_v = self.expr(cur, env, d).await?;
        Ok(Flow::Value(Value::list_with_tail(heads, tail_v)?))
    }

    async fn map_new(
        &self,
        base: Option<&Term>,
        fields: &Term,
        env: &mut Env,
        d: usize,
        e: &Term,
    ) -> Result<Flow, Exception> {
        let mut m = match base {
            None => MapValue::empty(),
            Some(b) => match self.expr(b, env, d).await? {
                Value::Map(m) => m.to_owned_map(),
                other => return Err(error_with("badmap", other.to_term())),
            },
        };
        self.map_fields(&mut m, fields, env, d, e).await?;
        Ok(Flow::Value(Value::map_of(m)?))
    }

    async fn match_expr(
        &self,
        p: &Term,
        rhs: &Term,
        env: &mut Env,
        d: usize,
    ) -> Result<Flow, Exception> {
        let v = self.expr(rhs, env, d).await?;
        let mut e2 = env.clone();
        if !match_pattern(p, &v, &mut e2, &self.pure, d)? {
            return Err(badmatch(&v));
        }
        *env = e2;
        Ok(Flow::Value(v))
    }

    async fn unary_op(
        &self,
        op: &str,
        a: &Term,
        env: &mut Env,
        d: usize,
        e: &Term,
    ) -> Result<Flow, Exception> {
        let a = self.expr(a, env, d).await?;
        match ops::eval_unary(op, &a) {
            Some(r) => r.map(Flow::Value),
            None => Err(unsupported("op", e, Context::Expr)),
        }
    }

    #[allow(clippy::too_many_arguments)]
    async fn binary_op(
        &self,
        op: &str,
        a: &Term,
        b: &Term,
        env: &mut Env,
        d: usize,
        tail: bool,
        e: &Term,
    ) -> Result<Flow, Exception> {
        match op {
            "andalso" | "orelse" => {
                let l = self.expr(a, env, d).await?;
                match l.as_bool() {
                    Some(x) if x == (op == "orelse") => Ok(Flow::Value(l)),
                    Some(_) => self.expr_t(b, env, d, tail).await,
                    None => Err(error_with("badarg", l.to_term())),
                }
            }
            "!" => {
                let to = self.expr(a, env, d).await?;
                let msg = self.expr(b, env, d).await?;
                send(&self.ctx, &to, msg).await.map(Flow::Value)
            }
            _ => {
                let x = self.expr(a, env, d).await?;
                let y = self.expr(b, env, d).await?;
                match ops::eval_binary(op, &x, &y) {
                    Some(r) => r.map(Flow::Value),
                    None => Err(unsupported("op", e, Context::Expr)),
                }
            }
        }
    }

    async fn case(
        &self,
        scrutinee: &Term,
        clauses: &[Term],
        env: &mut Env,
        d: usize,
        tail: bool,
    ) -> Result<Flow, Exception> {
        let v = self.expr(scrutinee, env, d).await?;
        for c in clauses {
            if let Some((new_env, body)) =
                match_clause(c, std::slice::from_ref(&v), env, &self.pure, d)?
            {
                *env = new_env;
                return self.body(body, env, d, tail).await;
            }
        }
        Err(error_with("case_clause", v.to_term()))
    }

    async fn if_expr(
        &self,
        clauses: &[Term],
        env: &mut Env,
        d: usize,
        tail: bool,
    ) -> Result<Flow, Exception> {
        for c in clauses {
            if let Some((new_env, body)) = match_clause(c, &[], env, &self.pure, d)? {
                *env = new_env;
                return self.body(body, env, d, tail).await;
            }
        }
        Err(error_atom("if_clause"))
    }

    async fn call(
        &self,
        target: &Term,
        args: &Term,
        env: &mut Env,
        d: usize,
        tail: bool,
        at: &Term,
    ) -> Result<Flow, Exception> {
        match form(target) {
            Some(("remote", [_, m, f])) => {
                let m = self.expr(m, env, d).await?;
                let f = self.expr(f, env, d).await?;
                let args = self.values(args, env, d, at).await?;
                match (m.as_atom(), f.as_atom()) {
                    (Some(m), Some(f)) => self.call_mfa(m, f, args, d).await.map(Flow::Value),
                    _ => Err(error_with(
                        "badfun",
                        term::tuple(vec![m.to_term(), f.to_term()]),
                    )),
                }
            }
            // A local call in a shell fun is an auto-imported BIF.
            Some(("atom", [_, f])) => {
                let f = term::as_atom(f).ok_or_else(|| unsupported("call", at, Context::Expr))?;
                let args = self.values(args, env, d, at).await?;
                self.call_mfa("erlang", f, args, d).await.map(Flow::Value)
            }
            _ => {
                let fun = self.expr(target, env, d).await?;
                let args = self.values(args, env, d, at).await?;
                if tail && matches!(fun, Value::Fun(_)) {
                    return Ok(Flow::Tail(fun, args));
                }
                self.call_fun(&fun, args, d).await.map(Flow::Value)
            }
        }
    }

    async fn map_fields(
        &self,
        m: &mut MapValue,
        fields: &Term,
        env: &mut Env,
        d: usize,
        at: &Term,
    ) -> Result<(), Exception> {
        let fields = forms_list(fields).ok_or_else(|| unsupported("map", at, Context::Expr))?;
        for f in fields {
            match form(f) {
                Some((kind @ ("map_field_assoc" | "map_field_exact"), [_, k, v])) => {
                    let k = self.expr(k, env, d).await?;
                    let v = self.expr(v, env, d).await?;
                    if kind == "map_field_exact" && m.get(&k).is_none() {
                        return Err(error_with("badkey", k.to_term()));
                    }
                    m.put(k, v);
                }
                _ => return Err(unsupported(tag_of(f), f, Context::Expr)),
            }
        }
        Ok(())
    }

    async fn bin(
        &self,
        elems: &Term,
        env: &mut Env,
        d: usize,
        at: &Term,
    ) -> Result<Flow, Exception> {
        let elems = forms_list(elems).ok_or_else(|| unsupported("bin", at, Context::Expr))?;
        let mut buf = bits::BitBuf::default();
        for el in elems {
            let seg = bits::parse_element(el, Context::Expr)?;
            let chars = seg.string_literal();
            let v = match chars {
                Some(_) => None,
                None => Some(self.expr(seg.value, env, d).await?),
            };
            let size = match seg.size {
                Some(s) => {
                    let n = self.expr(s, env, d).await?;
                    Some(n.as_int().ok_or_else(Exception::badarg)?)
                }
                None => None,
            };
            match (chars, v) {
                (Some(chars), _) => bits::push_string(&mut buf, &chars, size, &seg.spec)?,
                (None, Some(v)) => {
                    let v = v.as_leaf().ok_or_else(Exception::badarg)?;
                    bits::push(&mut buf, v, size, &seg.spec)?
                }
                (None, None) => {}
            }
        }
        Ok(Flow::Value(Value::leaf(buf.into_term())))
    }

    async fn make_fun(
        &self,
        anno: &Term,
        spec: &Term,
        env: &mut Env,
        d: usize,
        at: &Term,
    ) -> Result<Value, Exception> {
        match form(spec) {
            Some(("clauses", [cs])) => {
                let Some(first) = forms_list(cs).and_then(|c| c.first()) else {
                    return Err(unsupported("fun", at, Context::Expr));
                };
                let arity = match form(first) {
                    Some(("clause", [_, pats, ..])) => forms_list(pats).map(|p| p.len()),
                    _ => None,
                };
                let arity = arity
                    .and_then(|a| u8::try_from(a).ok())
                    .ok_or_else(|| unsupported("fun", at, Context::Expr))?;
                let pid = self
                    .ctx
                    .self_pid
                    .clone()
                    .unwrap_or_else(|| Pid::new(self.ctx.node.name(), 0, 0, 0));
                Closure::made(anno, cs, arity, env.clone(), pid)
            }
            Some(("function", [m, f, a])) => {
                let m = self.expr(m, env, d).await?;
                let f = self.expr(f, env, d).await?;
                let a = self.expr(a, env, d).await?;
                match (
                    m.as_leaf(),
                    f.as_leaf(),
                    a.as_int().and_then(|a| u8::try_from(a).ok()),
                ) {
                    (Some(Term::Atom(module)), Some(Term::Atom(function)), Some(arity)) => Ok(
                        Value::leaf(Term::ExternalFun(Box::new(eetf::ExternalFun {
                            module: module.clone(),
                            function: function.clone(),
                            arity,
                        }))),
                    ),
                    _ => Err(Exception::badarg()),
                }
            }
            Some(("function", [f, a])) => {
                match (f, term::as_int(a).and_then(|a| u8::try_from(a).ok())) {
                    (Term::Atom(function), Some(arity)) => Ok(Value::leaf(Term::ExternalFun(
                        Box::new(eetf::ExternalFun {
                            module: Atom::from("erlang"),
                            function: function.clone(),
                            arity,
                        }),
                    ))),
                    _ => Err(unsupported("fun", at, Context::Expr)),
                }
            }
            _ => Err(unsupported("fun", at, Context::Expr)),
        }
    }

    async fn receive(
        &self,
        clauses: &[Term],
        after: Option<(&Term, &[Term])>,
        env: &mut Env,
        d: usize,
        tail: bool,
    ) -> Result<Flow, Exception> {
        let timeout = match after {
            Some((t, _)) => {
                let t = self.expr(t, env, d).await?;
                if t.is_atom("infinity") {
                    None
                } else {
                    match t.as_int().and_then(|ms| u64::try_from(ms).ok()) {
                        Some(ms) => Some(Duration::from_millis(ms)),
                        None => return Err(error_atom("timeout_value")),
                    }
                }
            }
            None => None,
        };
        let mut bad: Option<Exception> = None;
        // The accepted message as a value (the predicate's last `true`).
        let mut taken: Option<Value> = None;
        let got = {
            let snapshot: &Env = env;
            let pure = &self.pure;
            let bad = &mut bad;
            let taken = &mut taken;
            self.ctx
                .receive_match(
                    |m| {
                        let m = match Value::from_term(m) {
                            Ok(m) => m,
                            Err(e) => {
                                bad.get_or_insert(e);
                                return true;
                            }
                        };
                        for c in clauses {
                            match match_clause(c, std::slice::from_ref(&m), snapshot, pure, d) {
                                Ok(Some(_)) => {
                                    *taken = Some(m);
                                    return true;
                                }
                                Ok(None) => {}
                                Err(e) => {
                                    // Take the message so the error surfaces now.
                                    bad.get_or_insert(e);
                                    return true;
                                }
                            }
                        }
                        false
                    },
                    timeout,
                )
                .await
        };
        if let Some(e) = bad {
            return Err(e);
        }
        match got {
            Ok(m) => {
                let m = match taken {
                    Some(v) => v,
                    None => Value::from_term(&m)?,
                };
                for c in clauses {
                    if let Some((new_env, body)) =
                        match_clause(c, std::slice::from_ref(&m), env, &self.pure, d)?
                    {
                        *env = new_env;
                        return self.body(body, env, d, tail).await;
                    }
                }
                // The predicate accepted it, so a clause matches; unreachable in practice.
                Err(error_with("case_clause", m.to_term()))
            }
            Err(ReceiveError::Timeout) => match after {
                Some((_, body)) => self.body(body, env, d, tail).await,
                None => Err(error_atom("timeout_value")),
            },
            Err(ReceiveError::Exited) => Err(Exception::exit(term::atom("killed"))),
        }
    }
}

impl Interp {
    /// `spawn/1`, `spawn_link/1`: a new process on this node running the
    /// fun, with the caller's group leader; crash reports go there too.
    async fn spawn(&self, fun: Value, link: bool) -> Result<Value, Exception> {
        let node = self.ctx.node.clone();
        let gl = self.ctx.group_leader.clone();
        let body = {
            let node = node.clone();
            let gl = gl.clone();
            move |p: Process| async move {
                let me = p.pid().clone();
                let ctx = CallContext::in_process(p, gl.clone());
                match super::apply_value(ctx, fun, vec![]).await {
                    Ok(_) => term::atom("normal"),
                    Err(ex) => {
                        let reason = ex.exit_reason();
                        // As on BEAM, exit/1 ends a process quietly.
                        if ex.class != Class::Exit {
                            error_report(&node, gl.as_ref(), &me, &reason).await;
                        }
                        reason
                    }
                }
            }
        };
        let pid = if link {
            let Some(mb) = &self.ctx.mailbox else {
                return Err(Exception::badarg());
            };
            let parent = mb.lock().await;
            node.spawn_with(gl, |pid| parent.link(pid), body)
        } else {
            node.spawn_opts(gl, body)
        };
        Ok(Value::leaf(term::pid(&pid)))
    }
}

/// `erlang:send/2` (`send/2`, `!`) of a value: the message leaves as a term.
async fn send(ctx: &CallContext, to: &Value, msg: Value) -> Result<Value, Exception> {
    send_term(ctx, &to.to_term(), msg.to_term()).await?;
    Ok(msg)
}

/// `erlang:send/2` (`send/2`, `!`) from the calling process.
pub(super) async fn send_term(ctx: &CallContext, to: &Term, msg: Term) -> Result<Term, Exception> {
    match to {
        Term::Pid(p) => ctx.node.send(p, msg.clone()),
        Term::Atom(name) => {
            let pid = ctx.node.whereis(&name.name).ok_or_else(Exception::badarg)?;
            ctx.node.send(&pid, msg.clone());
        }
        Term::Tuple(t) => {
            let [Term::Atom(name), Term::Atom(node)] = t.elements.as_slice() else {
                return Err(Exception::badarg());
            };
            if node.name == ctx.node.name() {
                // BEAM drops a send to an unregistered {Name, node()}.
                ctx.node.send_local_named(&name.name, msg.clone());
            } else {
                let sent = match &ctx.mailbox {
                    Some(mb) => {
                        let p = mb.lock().await;
                        p.send_named_remote(&node.name, &name.name, msg.clone())
                            .await
                    }
                    None => {
                        let p = ctx.node.process();
                        p.send_named_remote(&node.name, &name.name, msg.clone())
                            .await
                    }
                };
                if let Err(e) = sent {
                    tracing::debug!("send to {{{}, {}}} failed: {e}", name.name, node.name);
                }
            }
        }
        _ => return Err(Exception::badarg()),
    }
    Ok(msg)
}
