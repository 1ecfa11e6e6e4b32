//! Calls out of this node into other nodes: erpc (spawn_request of erpc:execute_call/4 with a monitor), with rex as the fallback.

use super::{Node, Process};
use crate::otp::rpc::Class;
use crate::proto::control::Control;
use crate::term;
use eetf::{Atom, Term};
use std::time::Duration;
use thiserror::Error;
use tokio::time::Instant;

/// Why a call into another node did not return a value.
#[derive(Debug, Error, Clone, PartialEq)]
pub enum CallError {
    /// `{badrpc, Reason}` from the rex form.
    #[error("badrpc: {}", crate::term::print::inspect(.0))]
    BadRpc(Term),
    /// The called function raised.
    #[error("exception {}: {}", class.as_str(), crate::term::print::inspect(reason))]
    Exception {
        /// `error`, `exit` or `throw`.
        class: Class,
        /// The reason (for `throw`, the value thrown).
        reason: Term,
        /// The stack trace the called node reported (`[]` when none).
        stack: Term,
    },
    /// No answer came within the timeout.
    #[error("timed out")]
    Timeout,
    /// The node could not be reached, or went down during the call; the text says why.
    #[error("noconnection: {0}")]
    NoConnection(String),
    /// Typed arguments with no term form, or a result not of the type asked for.
    #[error("typed call: {0}")]
    Type(crate::term::serde::Error),
}

impl Node {
    /// [`Node::call`] with typed values: `args` is a tuple (or a `Vec`) of
    /// the arguments, each converted with [`to_term`](crate::term::to_term),
    /// and the result is read with [`from_term`](crate::term::from_term).
    ///
    /// ```no_run
    /// # async fn f(node: erlnode::Node) -> Result<(), erlnode::CallError> {
    /// use std::time::Duration;
    /// let n: i64 = node
    ///     .call_as("iex@host", "Elixir.Enum", "sum", &(vec![1, 2, 3],), Duration::from_secs(5))
    ///     .await?;
    /// assert_eq!(n, 6);
    /// # Ok(()) }
    /// ```
    pub async fn call_as<R: serde::de::DeserializeOwned>(
        &self,
        node: &str,
        module: &str,
        function: &str,
        args: &(impl serde::Serialize + ?Sized),
        timeout: Duration,
    ) -> Result<R, CallError> {
        let args = match crate::term::to_term(args).map_err(CallError::Type)? {
            Term::Tuple(t) => t.elements,
            Term::List(l) => l.elements,
            other => vec![other],
        };
        let r = self.call(node, module, function, args, timeout).await?;
        crate::term::from_term(&r).map_err(CallError::Type)
    }

    /// Calls `module:function(args)` on `node`, as `erpc:call/5`: the value,
    /// or the exception it raised, or a timeout, or noconnection.
    ///
    /// Elixir modules are atoms with the `Elixir.` prefix:
    ///
    /// ```no_run
    /// # async fn f(node: erlnode::Node) -> Result<(), erlnode::CallError> {
    /// use erlnode::term;
    /// use std::time::Duration;
    /// let up = node
    ///     .call("iex@host", "Elixir.String", "upcase", vec![term::binary("hi")], Duration::from_secs(5))
    ///     .await?;
    /// assert_eq!(up, term::binary("HI"));
    /// # Ok(()) }
    /// ```
    pub async fn call(
        &self,
        node: &str,
        module: &str,
        function: &str,
        args: Vec<Term>,
        timeout: Duration,
    ) -> Result<Term, CallError> {
        let deadline = Instant::now() + timeout;
        tokio::time::timeout_at(deadline, self.connect(node))
            .await
            .map_err(|_| CallError::Timeout)?
            .map_err(|e| CallError::NoConnection(e.to_string()))?;
        let mut me = self.process();
        match self
            .erpc_call(&mut me, node, module, function, args.clone(), deadline)
            .await
        {
            Err(Fallback) => {
                self.rex_call(&mut me, node, module, function, args, deadline)
                    .await
            }
            Ok(r) => r,
        }
    }

    async fn erpc_call(
        &self,
        me: &mut Process,
        node: &str,
        module: &str,
        function: &str,
        args: Vec<Term>,
        deadline: Instant,
    ) -> Result<Result<Term, CallError>, Fallback> {
        let req_id = self.make_ref();
        let erpc_ref = term::reference(&self.make_ref());
        // The spawned process is monitored with the request id as reference.
        self.expect_remote_down(me.pid(), &req_id, node);
        let ctl = Control::SpawnRequest {
            req_id: req_id.clone(),
            from: me.pid().clone(),
            group_leader: me.pid().clone(),
            module: Atom::from("erpc"),
            function: Atom::from("execute_call"),
            arity: 4,
            options: term::list(vec![term::atom("monitor")]),
        };
        let call_args = term::list(vec![
            erpc_ref.clone(),
            term::atom(module),
            term::atom(function),
            term::list(args),
        ]);
        super::connection::send_control(self, node, &ctl, Some(&call_args), true);
        let req_t = term::reference(&req_id);
        let mut spawned = None;
        loop {
            let msg = match me
                .receive_match_timeout(|_| true, deadline.saturating_duration_since(Instant::now()))
                .await
            {
                Ok(m) => m,
                Err(_) => {
                    self.forget_remote_down(&req_id);
                    if let Some(pid) = &spawned {
                        self.exit_signal_to(pid, me.pid(), term::atom("kill"), false);
                    }
                    return Ok(Err(CallError::Timeout));
                }
            };
            let Some(t) = term::as_tuple(&msg) else {
                continue;
            };
            match t {
                [tag, r, _flags, result] if term::is_atom(tag, "spawn_reply") && *r == req_t => {
                    match result {
                        Term::Pid(p) => spawned = Some(p.clone()),
                        // The peer cannot spawn erpc:execute_call: use rex.
                        _ => {
                            self.forget_remote_down(&req_id);
                            return Err(Fallback);
                        }
                    }
                }
                [tag, r, _, _, reason] if term::is_atom(tag, "DOWN") && *r == req_t => {
                    return Ok(erpc_result(&erpc_ref, reason));
                }
                // Output of the called function (we are its group leader): print it.
                [tag, from, reply_as, req] if term::is_atom(tag, "io_request") => {
                    if let Some(from) = term::as_pid(from) {
                        let reply = answer_io(req);
                        me.send(
                            from,
                            term::tuple(vec![term::atom("io_reply"), reply_as.clone(), reply]),
                        );
                    }
                }
                _ => {}
            }
        }
    }

    async fn rex_call(
        &self,
        me: &mut Process,
        node: &str,
        module: &str,
        function: &str,
        args: Vec<Term>,
        deadline: Instant,
    ) -> Result<Term, CallError> {
        let tag = term::reference(&self.make_ref());
        let req = term::tuple(vec![
            term::atom("$gen_call"),
            term::tuple(vec![term::pid(me.pid()), tag.clone()]),
            term::tuple(vec![
                term::atom("call"),
                term::atom(module),
                term::atom(function),
                term::list(args),
                term::pid(me.pid()),
            ]),
        ]);
        me.send_named_remote(node, "rex", req)
            .await
            .map_err(|e| CallError::NoConnection(e.to_string()))?;
        let mon = me.monitor_name("rex", node);
        let mon_t = term::reference(&mon);
        let msg = me
            .receive_match_timeout(
                |m| match term::as_tuple(m) {
                    Some([t, _]) => *t == tag,
                    Some([d, r, ..]) => term::is_atom(d, "DOWN") && *r == mon_t,
                    _ => false,
                },
                deadline.saturating_duration_since(Instant::now()),
            )
            .await
            .map_err(|_| CallError::Timeout)?;
        me.demonitor(&mon);
        match term::as_tuple(&msg) {
            Some([_, reply]) => match term::as_tuple(reply) {
                Some([b, reason]) if term::is_atom(b, "badrpc") => {
                    Err(CallError::BadRpc(reason.clone()))
                }
                _ => Ok(reply.clone()),
            },
            Some([.., reason]) if term::is_atom(reason, "noconnection") => {
                Err(CallError::NoConnection(node.to_owned()))
            }
            Some([.., reason]) => Err(CallError::BadRpc(reason.clone())),
            _ => Err(CallError::BadRpc(msg.clone())),
        }
    }
}

/// The erpc call could not be made; try the rex form.
struct Fallback;

fn erpc_result(erpc_ref: &Term, reason: &Term) -> Result<Term, CallError> {
    match term::as_tuple(reason) {
        Some([r, kind, v]) if r == erpc_ref && term::is_atom(kind, "return") => Ok(v.clone()),
        Some([r, kind, v]) if r == erpc_ref && term::is_atom(kind, "throw") => {
            Err(CallError::Exception {
                class: Class::Throw,
                reason: v.clone(),
                stack: term::nil(),
            })
        }
        Some([r, kind, v]) if r == erpc_ref && term::is_atom(kind, "exit") => {
            Err(CallError::Exception {
                class: Class::Exit,
                reason: v.clone(),
                stack: term::nil(),
            })
        }
        Some([r, kind, v, stack]) if r == erpc_ref && term::is_atom(kind, "error") => {
            Err(CallError::Exception {
                class: Class::Error,
                reason: v.clone(),
                stack: stack.clone(),
            })
        }
        _ if term::is_atom(reason, "noconnection") => Err(CallError::NoConnection(
            "connection lost during the call".into(),
        )),
        // The process died some other way (killed, ...): erpc reports it as an exit.
        _ => Err(CallError::Exception {
            class: Class::Exit,
            reason: reason.clone(),
            stack: term::nil(),
        }),
    }
}

/// Answers an I/O request sent to a calling process acting as group leader:
/// output is printed on our stdout, input is at end of file.
fn answer_io(req: &Term) -> Term {
    match term::as_tuple(req) {
        Some([op, _enc, chars]) if term::is_atom(op, "put_chars") => {
            let mut out = Vec::new();
            if crate::otp::io::chardata(chars, &mut out).is_ok() {
                use std::io::Write;
                let _ = std::io::stdout().write_all(&out);
                term::atom("ok")
            } else {
                term::tuple(vec![term::atom("error"), term::atom("put_chars")])
            }
        }
        Some([op, ..]) if term::is_atom(op, "put_chars") => {
            term::tuple(vec![term::atom("error"), term::atom("request")])
        }
        _ => term::atom("eof"),
    }
}
