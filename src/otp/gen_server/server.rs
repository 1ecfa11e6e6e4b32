//! The server side: the `GenServer` trait and the process loop that answers `$gen_call`, `$gen_cast` and `system` messages.

use crate::node::{Node, Process};
use crate::term;
use eetf::{Pid, Term};
use futures_util::FutureExt;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use thiserror::Error;

/// What `handle_call` does with a call.
#[derive(Debug, Clone, PartialEq)]
pub enum CallReply {
    /// Reply now (`{:reply, reply, state}`).
    Reply(Term),
    /// No reply now: the [`ReplyTo`] handle replies later, from here or from
    /// another task (`{:noreply, state}`).
    NoReply,
    /// Stop the server with `reason`, replying first if `reply` is given
    /// (`{:stop, reason, reply, state}` / `{:stop, reason, state}`).
    Stop {
        /// The server's exit reason (`normal` for a quiet stop).
        reason: Term,
        /// The reply to send before stopping.
        reply: Option<Term>,
    },
}

impl CallReply {
    /// Reply now with a typed value (converted with [`to_term`](crate::term::to_term)).
    pub fn reply_as<T: serde::Serialize + ?Sized>(
        value: &T,
    ) -> Result<CallReply, crate::term::serde::Error> {
        crate::term::to_term(value).map(CallReply::Reply)
    }
}

/// What `handle_cast` and `handle_info` do next.
#[derive(Debug, Clone, PartialEq)]
pub enum Flow {
    /// Go on serving (`{:noreply, state}`).
    Continue,
    /// Stop with this exit reason (`{:stop, reason, state}`).
    Stop(Term),
}

/// Where a call's reply goes (OTP's `From`): clone it, keep it, and reply from
/// anywhere with [`ReplyTo::reply`]. It holds the caller's pid and tag, and
/// replies to the caller's alias when the tag is `[alias | ref]` (OTP 24+).
#[derive(Clone)]
pub struct ReplyTo {
    node: Node,
    server: Pid,
    caller: Pid,
    tag: Term,
}

impl std::fmt::Debug for ReplyTo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ReplyTo({}, {})", self.caller, self.tag)
    }
}

impl ReplyTo {
    /// Reads a `From` (`{pid, tag}`) as BEAM callers send it.
    pub(crate) fn from_term(node: &Node, server: &Pid, from: &Term) -> Option<ReplyTo> {
        let [caller, tag] = term::as_tuple(from)? else {
            return None;
        };
        Some(ReplyTo {
            node: node.clone(),
            server: server.clone(),
            caller: term::as_pid(caller)?.clone(),
            tag: tag.clone(),
        })
    }

    /// The calling process.
    pub fn caller(&self) -> &Pid {
        &self.caller
    }

    /// [`ReplyTo::reply`] with a typed value (converted with [`to_term`](crate::term::to_term)).
    pub fn reply_as<T: serde::Serialize + ?Sized>(
        &self,
        value: &T,
    ) -> Result<(), crate::term::serde::Error> {
        self.reply(crate::term::to_term(value)?);
        Ok(())
    }

    /// Sends `{tag, reply}` as `gen:reply/2` does: to the caller's alias for a
    /// `[alias | ref]` tag (so a reply after the caller gave up is dropped),
    /// else to the caller's pid.
    pub fn reply(&self, reply: Term) {
        let msg = term::tuple(vec![self.tag.clone(), reply]);
        if let Some(alias) = crate::otp::alias_of(&self.tag) {
            self.node.send_alias(&self.server, &alias, &msg, false);
        } else {
            self.node.send(&self.caller, msg);
        }
    }
}

/// A generic server, as Elixir's `GenServer` behaviour: the value is the
/// server's state, and each callback gets the server's own [`Process`] (to
/// send, call other servers, link, monitor).
///
/// Every callback but `handle_call` has a default. A callback that panics
/// stops the server with reason `{panic, Message}` after `terminate` runs.
pub trait GenServer: Send + 'static {
    /// Runs first, in the new process; an `Err` stops it with that reason and
    /// [`start`] returns [`StartError::Init`].
    fn init(&mut self, ctx: &mut Process) -> impl Future<Output = Result<(), Term>> + Send {
        let _ = ctx;
        async { Ok(()) }
    }

    /// A `GenServer.call`: reply now, later through `from`, or stop.
    fn handle_call(
        &mut self,
        request: Term,
        from: ReplyTo,
        ctx: &mut Process,
    ) -> impl Future<Output = CallReply> + Send;

    /// A `GenServer.cast`. The default ignores it.
    fn handle_cast(
        &mut self,
        request: Term,
        ctx: &mut Process,
    ) -> impl Future<Output = Flow> + Send {
        let _ = (ctx, &request);
        tracing::debug!("unhandled cast {request}");
        async { Flow::Continue }
    }

    /// Any other message. The default ignores it.
    fn handle_info(&mut self, msg: Term, ctx: &mut Process) -> impl Future<Output = Flow> + Send {
        let _ = (ctx, &msg);
        tracing::debug!("unhandled message {msg}");
        async { Flow::Continue }
    }

    /// Runs once before the server exits with `reason` (after a stop or a panic).
    fn terminate(&mut self, reason: &Term, ctx: &mut Process) -> impl Future<Output = ()> + Send {
        let _ = (reason, ctx);
        async {}
    }

    /// The state as `:sys.get_state/1` and `:sys.get_status/1` show it. The
    /// default is the atom `undefined`.
    fn state_term(&self) -> Term {
        term::atom("undefined")
    }
}

/// How to start a server.
#[derive(Debug, Clone, Default)]
pub struct Options {
    name: Option<String>,
    link: Option<Pid>,
}

impl Options {
    /// Default options: not registered, not linked.
    pub fn new() -> Self {
        Self::default()
    }
    /// Registers the server under `name` on its node (before `init`, as OTP does).
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }
    /// Links the server to `pid` (`GenServer.start_link`).
    pub fn link(mut self, pid: &Pid) -> Self {
        self.link = Some(pid.clone());
        self
    }
}

/// Why a server did not start.
#[derive(Debug, Error, Clone, PartialEq)]
pub enum StartError {
    /// The name is registered already (`{:error, {:already_started, pid}}`).
    #[error("name {0} is already registered")]
    AlreadyStarted(String),
    /// `init` returned an error, or panicked: the reason the server exited with.
    #[error("init failed: {}", crate::term::print::inspect(.0))]
    Init(Term),
}

/// Starts `server` as a new process on `node`; returns once `init` has run.
pub async fn start<S: GenServer>(node: &Node, server: S) -> Result<Pid, StartError> {
    start_with(node, server, Options::new()).await
}

/// [`start`] with a name and/or a link.
pub async fn start_with<S: GenServer>(
    node: &Node,
    server: S,
    options: Options,
) -> Result<Pid, StartError> {
    let (tx, rx) = tokio::sync::oneshot::channel();
    let Options { name, link } = options;
    let pid = node.spawn_with(
        None,
        |pid| {
            if let Some(other) = &link {
                node.link(pid, other);
            }
        },
        move |p| run(server, p, name, tx),
    );
    match rx.await {
        Ok(Ok(())) => Ok(pid),
        Ok(Err(e)) => Err(e),
        Err(_) => Err(StartError::Init(term::atom("killed"))),
    }
}

type Started = tokio::sync::oneshot::Sender<Result<(), StartError>>;

/// The panic message of a caught panic, as the exit reason `{panic, Message}`.
fn panic_reason(panic: Box<dyn std::any::Any + Send>) -> Term {
    let msg = panic
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "panic".into());
    term::tuple(vec![term::atom("panic"), term::binary(msg)])
}

async fn run<S: GenServer>(
    mut s: S,
    mut p: Process,
    name: Option<String>,
    started: Started,
) -> Term {
    if let Some(name) = &name
        && p.register(name).is_err()
    {
        let _ = started.send(Err(StartError::AlreadyStarted(name.clone())));
        return term::atom("normal");
    }
    match AssertUnwindSafe(s.init(&mut p)).catch_unwind().await {
        Ok(Ok(())) => {
            let _ = started.send(Ok(()));
        }
        Ok(Err(reason)) => {
            let _ = started.send(Err(StartError::Init(reason.clone())));
            return reason;
        }
        Err(panic) => {
            let reason = panic_reason(panic);
            let _ = started.send(Err(StartError::Init(reason.clone())));
            return reason;
        }
    }
    let reason = serve(&mut s, &mut p).await;
    if let Err(panic) = AssertUnwindSafe(s.terminate(&reason, &mut p))
        .catch_unwind()
        .await
    {
        return panic_reason(panic);
    }
    reason
}

/// The receive loop; returns the exit reason.
async fn serve<S: GenServer>(s: &mut S, p: &mut Process) -> Term {
    let node = p.node().clone();
    let me = p.pid().clone();
    loop {
        let Ok(msg) = p.receive().await else {
            return term::atom("killed");
        };
        let flow = match classify(msg) {
            Incoming::Call(from, request) => {
                let Some(from) = ReplyTo::from_term(&node, &me, &from) else {
                    continue;
                };
                match AssertUnwindSafe(s.handle_call(request, from.clone(), p))
                    .catch_unwind()
                    .await
                {
                    Ok(CallReply::Reply(r)) => {
                        from.reply(r);
                        Flow::Continue
                    }
                    Ok(CallReply::NoReply) => Flow::Continue,
                    Ok(CallReply::Stop { reason, reply }) => {
                        if let Some(r) = reply {
                            from.reply(r);
                        }
                        Flow::Stop(reason)
                    }
                    Err(panic) => Flow::Stop(panic_reason(panic)),
                }
            }
            Incoming::Cast(request) => AssertUnwindSafe(s.handle_cast(request, p))
                .catch_unwind()
                .await
                .unwrap_or_else(|panic| Flow::Stop(panic_reason(panic))),
            Incoming::System(from, request) => {
                let Some(from) = ReplyTo::from_term(&node, &me, &from) else {
                    continue;
                };
                system(s, p, &from, request)
            }
            Incoming::Info(msg) => AssertUnwindSafe(s.handle_info(msg, p))
                .catch_unwind()
                .await
                .unwrap_or_else(|panic| Flow::Stop(panic_reason(panic))),
        };
        if let Flow::Stop(reason) = flow {
            return reason;
        }
    }
}

enum Incoming {
    Call(Term, Term),
    Cast(Term),
    System(Term, Term),
    Info(Term),
}

fn classify(msg: Term) -> Incoming {
    match msg {
        Term::Tuple(t) => {
            let mut e = t.elements;
            match (e.len(), e.first().and_then(term::as_atom)) {
                (3, Some("$gen_call")) => {
                    let request = e.pop().unwrap_or_else(term::nil);
                    let from = e.pop().unwrap_or_else(term::nil);
                    Incoming::Call(from, request)
                }
                (2, Some("$gen_cast")) => Incoming::Cast(e.pop().unwrap_or_else(term::nil)),
                (3, Some("system")) => {
                    let request = e.pop().unwrap_or_else(term::nil);
                    let from = e.pop().unwrap_or_else(term::nil);
                    Incoming::System(from, request)
                }
                _ => Incoming::Info(term::tuple(e)),
            }
        }
        other => Incoming::Info(other),
    }
}

/// The `sys` protocol (`{system, From, Request}`), as `sys:handle_system_msg`
/// answers it: `get_state`, `get_status`, `{terminate, Reason}`; suspend and
/// resume are acknowledged; anything else gets `{error, {unknown_system_msg, _}}`.
fn system<S: GenServer>(s: &S, p: &Process, from: &ReplyTo, request: Term) -> Flow {
    match &request {
        r if term::is_atom(r, "get_state") => {
            // OTP 26.1 and later expect `{ok, State}`, OTP 25 the bare state
            // (an OTP fix for states that look like `{error, _}`): ask the
            // caller's node its release, once per node incarnation.
            let state = s.state_term();
            let from = from.clone();
            tokio::spawn(async move {
                let reply = if sys_wants_ok_tuple(&from).await {
                    term::tuple(vec![term::atom("ok"), state])
                } else {
                    state
                };
                from.reply(reply);
            });
        }
        r if term::is_atom(r, "get_status") => from.reply(status(s, p)),
        r if term::is_atom(r, "suspend") || term::is_atom(r, "resume") => {
            from.reply(term::atom("ok"))
        }
        Term::Tuple(t) if t.elements.len() == 2 && term::is_atom(&t.elements[0], "terminate") => {
            from.reply(term::atom("ok"));
            return Flow::Stop(t.elements[1].clone());
        }
        _ => from.reply(term::tuple(vec![
            term::atom("error"),
            term::tuple(vec![term::atom("unknown_system_msg"), request.clone()]),
        ])),
    }
    Flow::Continue
}

/// The OTP release (major) of each caller node incarnation seen by `get_state`.
static RELEASES: std::sync::Mutex<Option<std::collections::HashMap<(String, u32), u32>>> =
    std::sync::Mutex::new(None);

/// Whether the `sys:get_state` that sent this request wants `{ok, State}`
/// (OTP 26 and later; 26.0 itself wanted the bare state) rather than the bare state.
async fn sys_wants_ok_tuple(from: &ReplyTo) -> bool {
    let caller = &from.caller;
    if from.node.is_local(caller) {
        return true;
    }
    let key = (caller.node.name.clone(), caller.creation);
    let known = crate::node::lock(&RELEASES)
        .as_ref()
        .and_then(|m| m.get(&key).copied());
    let release = match known {
        Some(r) => r,
        None => {
            let asked = from
                .node
                .call(
                    &key.0,
                    "erlang",
                    "system_info",
                    vec![term::atom("otp_release")],
                    std::time::Duration::from_secs(5),
                )
                .await;
            let Ok(text) = asked
                .map_err(|_| ())
                .and_then(|t| crate::term::from_term::<String>(&t).map_err(|_| ()))
            else {
                return true;
            };
            let r = text.trim().parse::<u32>().unwrap_or(u32::MAX);
            let mut cache = crate::node::lock(&RELEASES);
            let m = cache.get_or_insert_default();
            if m.len() >= 1024 {
                // Bounded: node incarnations come and go.
                m.clear();
            }
            m.insert(key, r);
            r
        }
    };
    release >= 26
}

/// `{status, Pid, {module, gen_server}, [PDict, running, Parent, Debug, Items]}`,
/// the shape `:sys.get_status/1` returns for a gen_server.
fn status<S: GenServer>(s: &S, p: &Process) -> Term {
    let text = |s: &str| Term::ByteList(eetf::ByteList::from(s.to_owned()));
    let name = p
        .node()
        .registered_name(p.pid())
        .map(|n| term::atom(&n))
        .unwrap_or_else(|| term::pid(p.pid()));
    let header = format!(
        "Status for generic server {}",
        crate::term::print::inspect(&name).trim_start_matches(':')
    );
    let items = term::list(vec![
        term::tuple(vec![term::atom("header"), text(&header)]),
        term::tuple(vec![
            term::atom("data"),
            term::list(vec![
                term::tuple(vec![text("Status"), term::atom("running")]),
                term::tuple(vec![text("Parent"), term::pid(p.pid())]),
                term::tuple(vec![text("Logged events"), term::nil()]),
            ]),
        ]),
        term::tuple(vec![
            term::atom("data"),
            term::list(vec![term::tuple(vec![text("State"), s.state_term()])]),
        ]),
    ]);
    term::tuple(vec![
        term::atom("status"),
        term::pid(p.pid()),
        term::tuple(vec![term::atom("module"), term::atom("gen_server")]),
        term::list(vec![
            term::nil(),
            term::atom("running"),
            term::pid(p.pid()),
            term::nil(),
            items,
        ]),
    ])
}
