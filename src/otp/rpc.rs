//! Rust functions callable from other nodes by `{Module, Function, Arity}`, the built-ins every node has, and exceptions.

use crate::node::{Node, Process, ReceiveError};
use crate::term;
use eetf::{Pid, Term};
use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, RwLock};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Exception classes, as in `try ... catch Class:Reason`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Class {
    /// `error`: a run-time error or `erlang:error/1`, `raise` in Elixir.
    Error,
    /// `exit`: `exit/1`.
    Exit,
    /// `throw`: a non-local return with `throw/1`.
    Throw,
}

impl Class {
    /// The class as Erlang writes it: `"error"`, `"exit"` or `"throw"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Class::Error => "error",
            Class::Exit => "exit",
            Class::Throw => "throw",
        }
    }
}

/// An exception raised by a called function.
#[derive(Debug, Clone, PartialEq)]
pub struct Exception {
    /// `error`, `exit` or `throw`.
    pub class: Class,
    /// The reason (for `throw`, the value thrown).
    pub reason: Term,
    /// The stack trace, a list of `{M, F, ArityOrArgs, Location}` (`[]` when none).
    pub stack: Term,
}

impl Exception {
    /// `erlang:error(Reason)`.
    ///
    /// ```
    /// use erlnode::{Class, Exception, term};
    /// let e = Exception::error(term::atom("badarith"));
    /// assert_eq!(e.class, Class::Error);
    /// ```
    pub fn error(reason: Term) -> Self {
        Exception {
            class: Class::Error,
            reason,
            stack: term::nil(),
        }
    }
    /// `exit(Reason)`.
    pub fn exit(reason: Term) -> Self {
        Exception {
            class: Class::Exit,
            reason,
            stack: term::nil(),
        }
    }
    /// `throw(Value)`.
    pub fn throw(value: Term) -> Self {
        Exception {
            class: Class::Throw,
            reason: value,
            stack: term::nil(),
        }
    }
    /// `error:undef` with the stack BEAM gives: `[{M, F, Args, []}]`.
    pub fn undef(module: &str, function: &str, args: &[Term]) -> Self {
        Exception {
            class: Class::Error,
            reason: term::atom("undef"),
            stack: term::list(vec![term::tuple(vec![
                term::atom(module),
                term::atom(function),
                term::list(args.to_vec()),
                term::nil(),
            ])]),
        }
    }
    /// `error:badarg`, what a function raises for an argument of the wrong type.
    pub fn badarg() -> Self {
        Self::error(term::atom("badarg"))
    }

    /// What `rpc:call` returns for this exception.
    pub fn to_badrpc(&self) -> Term {
        match self.class {
            Class::Throw => self.reason.clone(),
            Class::Exit => term::tuple(vec![
                term::atom("badrpc"),
                term::tuple(vec![term::atom("EXIT"), self.reason.clone()]),
            ]),
            Class::Error => term::tuple(vec![
                term::atom("badrpc"),
                term::tuple(vec![
                    term::atom("EXIT"),
                    term::tuple(vec![self.reason.clone(), self.stack.clone()]),
                ]),
            ]),
        }
    }

    /// The exit reason of a process that died of this exception.
    pub fn exit_reason(&self) -> Term {
        match self.class {
            Class::Exit => self.reason.clone(),
            Class::Error => term::tuple(vec![self.reason.clone(), self.stack.clone()]),
            Class::Throw => term::tuple(vec![
                term::tuple(vec![term::atom("nocatch"), self.reason.clone()]),
                self.stack.clone(),
            ]),
        }
    }
}

/// What a called function knows about its call.
#[derive(Clone)]
pub struct CallContext {
    /// The node the function runs on.
    pub node: Node,
    /// The group leader output should go to (the caller's), if any.
    pub group_leader: Option<Pid>,
    /// The pid the function runs as, when it runs as a process of its own.
    pub self_pid: Option<Pid>,
    /// That process's mailbox, for functions that receive.
    pub(crate) mailbox: Option<Arc<tokio::sync::Mutex<Process>>>,
}

impl CallContext {
    /// A context for a call that runs outside any process (rex, direct calls).
    pub fn detached(node: &Node, group_leader: Option<Pid>) -> Self {
        CallContext {
            node: node.clone(),
            group_leader,
            self_pid: None,
            mailbox: None,
        }
    }

    /// A context for a call running as process `process`.
    pub fn in_process(process: Process, group_leader: Option<Pid>) -> Self {
        CallContext {
            node: process.node().clone(),
            group_leader,
            self_pid: Some(process.pid().clone()),
            mailbox: Some(Arc::new(tokio::sync::Mutex::new(process))),
        }
    }

    /// Selective receive in the calling process: the first message `pred`
    /// accepts, waiting at most `timeout` (forever with `None`). Without a
    /// process of its own the call never receives anything.
    pub async fn receive_match(
        &self,
        pred: impl FnMut(&Term) -> bool,
        timeout: Option<Duration>,
    ) -> Result<Term, ReceiveError> {
        let Some(mb) = &self.mailbox else {
            return match timeout {
                Some(t) => {
                    tokio::time::sleep(t).await;
                    Err(ReceiveError::Timeout)
                }
                None => std::future::pending().await,
            };
        };
        let mut p = mb.lock().await;
        match timeout {
            Some(t) => p.receive_match_timeout(pred, t).await,
            None => p.receive_match(pred).await,
        }
    }

    /// This call's own pid, or an error when it has none.
    pub fn pid(&self) -> Result<Pid, Exception> {
        self.self_pid.clone().ok_or_else(Exception::badarg)
    }
}

/// The future a function registered with [`Node::register_fn`] returns.
pub type RpcFuture = Pin<Box<dyn Future<Output = Result<Term, Exception>> + Send>>;
/// A registered function, as the node stores it.
pub type RpcFn = Arc<dyn Fn(CallContext, Vec<Term>) -> RpcFuture + Send + Sync>;

type Key = (String, String, usize);

/// The functions registered on a node.
#[derive(Default)]
pub struct Registry(RwLock<HashMap<Key, RpcFn>>);

impl Registry {
    fn get(&self, m: &str, f: &str, arity: usize) -> Option<RpcFn> {
        self.0
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .get(&(m.to_owned(), f.to_owned(), arity))
            .cloned()
    }
    /// Whether any function of module `m` is registered.
    pub(crate) fn has_module(&self, m: &str) -> bool {
        self.0
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .keys()
            .any(|(module, _, _)| module == m)
    }
    fn insert(&self, m: &str, f: &str, arity: usize, func: RpcFn) {
        self.0
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .insert((m.to_owned(), f.to_owned(), arity), func);
    }
}

impl Node {
    /// Makes `module:function/arity` callable by rpc, erpc and spawn from any node.
    ///
    /// From iex, `:erpc.call(:"rust@host", :math_rs, :add, [1, 2])` then returns `3`.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use erlnode::{Exception, Node, term};
    /// let node = Node::builder("doc_fn@localhost").cookie("c").epmd_port(43693).start().await?;
    /// node.register_fn("math_rs", "add", 2, |_ctx, args| async move {
    ///     match (term::as_int(&args[0]), term::as_int(&args[1])) {
    ///         (Some(a), Some(b)) => Ok(term::int(a + b)),
    ///         _ => Err(Exception::badarg()),
    ///     }
    /// });
    /// assert!(node.has_fn("math_rs", "add", 2));
    /// node.shutdown().await;
    /// # Ok(()) }
    /// ```
    pub fn register_fn<F, Fut>(&self, module: &str, function: &str, arity: usize, func: F)
    where
        F: Fn(CallContext, Vec<Term>) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<Term, Exception>> + Send + 'static,
    {
        let func: RpcFn = Arc::new(move |ctx, args| Box::pin(func(ctx, args)));
        self.inner.functions.insert(module, function, arity, func);
    }

    /// Is `module:function/arity` registered?
    pub fn has_fn(&self, module: &str, function: &str, arity: usize) -> bool {
        self.inner.functions.get(module, function, arity).is_some()
    }

    /// Calls a registered function; `undef` when there is none.
    pub async fn apply(
        &self,
        module: &str,
        function: &str,
        args: Vec<Term>,
        ctx: CallContext,
    ) -> Result<Term, Exception> {
        match self.inner.functions.get(module, function, args.len()) {
            Some(f) => f(ctx, args).await,
            None => Err(Exception::undef(module, function, &args)),
        }
    }
}

/// `apply(M, F, A)` with M, F and A as terms off the wire.
pub(crate) async fn apply_terms(
    node: &Node,
    m: &Term,
    f: &Term,
    a: &Term,
    group_leader: Option<Pid>,
) -> Result<Term, Exception> {
    let (Some(m), Some(f), Some(args)) = (term::as_atom(m), term::as_atom(f), term::as_list(a))
    else {
        return Err(Exception::badarg());
    };
    node.apply(m, f, args, CallContext::detached(node, group_leader))
        .await
}

fn now_in(unit: &Term) -> Result<i64, Exception> {
    let d = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_err(|_| Exception::error(term::atom("system_time")))?;
    let nanos = i64::try_from(d.as_nanos()).unwrap_or(i64::MAX);
    let per_sec: i64 = match term::as_atom(unit) {
        Some("second" | "seconds") => 1,
        Some("millisecond" | "milli_seconds") => 1_000,
        Some("microsecond" | "micro_seconds") => 1_000_000,
        Some("nanosecond" | "nano_seconds" | "native") => 1_000_000_000,
        Some("perf_counter") => 1_000_000_000,
        _ => match term::as_int(unit) {
            Some(n) if n > 0 => n,
            _ => return Err(Exception::badarg()),
        },
    };
    Ok((i128::from(nanos) * i128::from(per_sec) / 1_000_000_000) as i64)
}

fn node_list(node: &Node, which: &Term) -> Result<Term, Exception> {
    let kinds: Vec<Term> = match term::as_list(which) {
        Some(l) => l,
        None => vec![which.clone()],
    };
    let mut out = Vec::new();
    for k in &kinds {
        match term::as_atom(k) {
            Some("visible") => out.extend(node.nodes()),
            Some("hidden") => out.extend(node.hidden_nodes()),
            Some("connected") => out.extend(node.connected_nodes()),
            Some("this") => out.push(node.name().to_owned()),
            Some("known") => {
                out.push(node.name().to_owned());
                out.extend(node.connected_nodes());
            }
            _ => return Err(Exception::badarg()),
        }
    }
    out.dedup();
    Ok(term::list(out.iter().map(|n| term::atom(n)).collect()))
}

/// The `erlang` functions every node answers.
pub(crate) fn register_builtins(node: &Node) {
    node.register_fn("erlang", "node", 0, |ctx, _| async move {
        Ok(term::atom(ctx.node.name()))
    });
    node.register_fn("erlang", "nodes", 0, |ctx, _| async move {
        Ok(term::list(
            ctx.node.nodes().iter().map(|n| term::atom(n)).collect(),
        ))
    });
    node.register_fn("erlang", "nodes", 1, |ctx, a| async move {
        node_list(&ctx.node, &a[0])
    });
    node.register_fn("erlang", "whereis", 1, |ctx, a| async move {
        let name = term::as_atom(&a[0]).ok_or_else(Exception::badarg)?;
        Ok(match ctx.node.whereis(name) {
            Some(p) => term::pid(&p),
            None => term::atom("undefined"),
        })
    });
    node.register_fn("erlang", "registered", 0, |ctx, _| async move {
        Ok(term::list(
            ctx.node
                .registered()
                .iter()
                .map(|n| term::atom(n))
                .collect(),
        ))
    });
    node.register_fn("erlang", "system_time", 0, |_, _| async move {
        Ok(term::int(now_in(&term::atom("native"))?))
    });
    node.register_fn("erlang", "system_time", 1, |_, a| async move {
        Ok(term::int(now_in(&a[0])?))
    });
    node.register_fn("erlang", "self", 0, |ctx, _| async move {
        ctx.self_pid
            .as_ref()
            .map(term::pid)
            .ok_or_else(Exception::badarg)
    });
    // erpc:cast/4 spawns erpc:execute_cast(M, F, A) on the target node.
    node.register_fn("erpc", "execute_cast", 3, |ctx, a| async move {
        let node = ctx.node.clone();
        let gl = ctx.group_leader.clone();
        apply_terms(&node, &a[0], &a[1], &a[2], gl).await
    });
    node.register_fn("erlang", "apply", 3, |ctx, a| async move {
        let (Some(m), Some(f), Some(args)) = (
            term::as_atom(&a[0]),
            term::as_atom(&a[1]),
            term::as_list(&a[2]),
        ) else {
            return Err(Exception::badarg());
        };
        let (m, f) = (m.to_owned(), f.to_owned());
        let node = ctx.node.clone();
        node.apply(&m, &f, args, ctx).await
    });
}
