//! Calling and casting to gen_servers (BEAM's or ours) from Rust: monitor, alias-tagged `$gen_call`, reply or DOWN.

use crate::node::{Node, Process, ReceiveError};
use crate::term;
use eetf::{Pid, Reference, Term};
use std::time::Duration;
use thiserror::Error;

/// A server to call or cast to: a pid, a name registered on this node, or a
/// name registered on some node (`{name, node}` in Elixir).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ServerRef {
    /// A process, local or remote.
    Pid(Pid),
    /// A name registered on this node.
    Local(String),
    /// A name registered on `node` (this node or another).
    Remote {
        /// The registered name.
        name: String,
        /// The node it is registered on.
        node: String,
    },
}

impl From<Pid> for ServerRef {
    fn from(p: Pid) -> Self {
        ServerRef::Pid(p)
    }
}
impl From<&Pid> for ServerRef {
    fn from(p: &Pid) -> Self {
        ServerRef::Pid(p.clone())
    }
}
impl From<&str> for ServerRef {
    fn from(name: &str) -> Self {
        ServerRef::Local(name.to_owned())
    }
}
impl From<String> for ServerRef {
    fn from(name: String) -> Self {
        ServerRef::Local(name)
    }
}
impl From<(&str, &str)> for ServerRef {
    fn from((name, node): (&str, &str)) -> Self {
        ServerRef::Remote {
            name: name.to_owned(),
            node: node.to_owned(),
        }
    }
}
impl From<(String, String)> for ServerRef {
    fn from((name, node): (String, String)) -> Self {
        ServerRef::Remote { name, node }
    }
}

/// Why a gen_server call returned no reply.
#[derive(Debug, Error, Clone, PartialEq)]
pub enum GenCallError {
    /// No reply within the timeout (a late reply is dropped, never left in the mailbox).
    #[error("timed out")]
    Timeout,
    /// The server is not alive, or no process has that name.
    #[error("no such process")]
    NoProc,
    /// The server's node is down or could not be reached.
    #[error("no connection to {0}")]
    NoConnection(String),
    /// The server exited during the call, with this reason.
    #[error("server exited: {}", crate::term::print::inspect(.0))]
    Exit(Term),
    /// The calling process itself has ended.
    #[error("the calling process has exited")]
    CallerExited,
    /// The typed request has no term form.
    #[error("request: {0}")]
    Encode(crate::term::serde::Error),
    /// The reply does not have the type asked for.
    #[error("reply: {0}")]
    Decode(crate::term::serde::Error),
}

/// `[alias | Ref]`: the tag OTP 24+ callers put in `From` and find in the reply.
fn alias_tag(mref: &Reference) -> Term {
    Term::ImproperList(eetf::ImproperList::from((
        vec![term::atom("alias")],
        term::reference(mref),
    )))
}

/// Where the `$gen_call` goes once the monitor is set up.
enum Dest {
    Pid(Pid),
    Name { name: String, node: String },
}

impl Process {
    /// Calls a gen_server (`GenServer.call/3`): the reply, or why there is none.
    ///
    /// The server is monitored for the call and the request is tagged with an
    /// alias, as OTP 24+ does: a reply after the timeout (or after a DOWN) goes
    /// to an alias that is no longer active and is dropped, so nothing is left
    /// behind in this process's mailbox.
    pub async fn call(
        &mut self,
        server: impl Into<ServerRef>,
        request: Term,
        timeout: Duration,
    ) -> Result<Term, GenCallError> {
        let server = server.into();
        let me = self.pid().clone();
        let node = self.node().clone();
        let (dest, mref) = match server {
            ServerRef::Pid(p) => {
                if p == me {
                    return Err(GenCallError::Exit(term::atom("calling_self")));
                }
                let mref = self.monitor(&p);
                (Dest::Pid(p), mref)
            }
            ServerRef::Local(name) => local(self, &node, &name)?,
            ServerRef::Remote { name, node: n } if n == node.name() => local(self, &node, &name)?,
            ServerRef::Remote { name, node: n } => {
                let mref = self.monitor_name(&name, &n);
                (Dest::Name { name, node: n }, mref)
            }
        };
        node.add_alias(&me, &mref, false);
        let tag = alias_tag(&mref);
        let msg = term::tuple(vec![
            term::atom("$gen_call"),
            term::tuple(vec![term::pid(&me), tag.clone()]),
            request,
        ]);
        match &dest {
            Dest::Pid(p) => self.send(p, msg),
            Dest::Name { name, node: n } => {
                // Never fails: an unreachable node fires the monitor instead.
                let _ = self.send_named_remote(n, name, msg).await;
            }
        }
        let mref_t = term::reference(&mref);
        let is_reply = |m: &Term| term::as_tuple(m).is_some_and(|t| t.len() == 2 && t[0] == tag);
        let is_down = |m: &Term| {
            term::as_tuple(m)
                .is_some_and(|t| t.len() == 5 && term::is_atom(&t[0], "DOWN") && t[1] == mref_t)
        };
        let got = self
            .receive_match_timeout(|m| is_reply(m) || is_down(m), timeout)
            .await;
        node.unalias(&me, &mref);
        match got {
            Ok(m) if is_reply(&m) => {
                self.demonitor(&mref);
                self.flush_matching(is_down);
                Ok(reply_of(m))
            }
            Ok(m) => {
                // DOWN: the monitor is gone; a reply sent before the DOWN came first.
                let reason = term::as_tuple(&m)
                    .and_then(|t| t.get(4).cloned())
                    .unwrap_or_else(|| term::atom("noproc"));
                Err(down_error(reason, &dest, &node))
            }
            Err(ReceiveError::Timeout) => {
                self.demonitor(&mref);
                self.flush_matching(|m| is_reply(m) || is_down(m));
                Err(GenCallError::Timeout)
            }
            Err(ReceiveError::Exited) => Err(GenCallError::CallerExited),
        }
    }

    /// [`Process::call`] with typed values: the request is converted with
    /// [`to_term`](crate::term::to_term) and the reply read with
    /// [`from_term`](crate::term::from_term).
    pub async fn call_as<R: serde::de::DeserializeOwned>(
        &mut self,
        server: impl Into<ServerRef>,
        request: &(impl serde::Serialize + ?Sized),
        timeout: Duration,
    ) -> Result<R, GenCallError> {
        let request = crate::term::to_term(request).map_err(GenCallError::Encode)?;
        let reply = self.call(server, request, timeout).await?;
        crate::term::from_term(&reply).map_err(GenCallError::Decode)
    }

    /// Casts to a gen_server (`GenServer.cast/2`): sends `{:"$gen_cast", request}`
    /// and returns at once, whether or not the server exists.
    pub fn cast(&self, server: impl Into<ServerRef>, request: Term) {
        let msg = term::tuple(vec![term::atom("$gen_cast"), request]);
        match server.into() {
            ServerRef::Pid(p) => self.send(&p, msg),
            ServerRef::Local(name) => {
                self.send_named(&name, msg);
            }
            ServerRef::Remote { name, node } => self.send_to_name(&node, &name, msg),
        }
    }
}

/// Monitors a locally registered name; NoProc at once when nothing has it.
fn local(p: &Process, node: &Node, name: &str) -> Result<(Dest, Reference), GenCallError> {
    let pid = node.whereis(name).ok_or(GenCallError::NoProc)?;
    if &pid == p.pid() {
        return Err(GenCallError::Exit(term::atom("calling_self")));
    }
    let mref = p.monitor(&pid);
    Ok((Dest::Pid(pid), mref))
}

fn reply_of(m: Term) -> Term {
    match m {
        Term::Tuple(mut t) if t.elements.len() == 2 => t.elements.pop().unwrap_or_else(term::nil),
        other => other,
    }
}

fn down_error(reason: Term, dest: &Dest, node: &Node) -> GenCallError {
    if term::is_atom(&reason, "noproc") {
        GenCallError::NoProc
    } else if term::is_atom(&reason, "noconnection") {
        let peer = match dest {
            Dest::Pid(p) => p.node.name.clone(),
            Dest::Name { node: n, .. } => n.clone(),
        };
        if peer == node.name() {
            GenCallError::Exit(reason)
        } else {
            GenCallError::NoConnection(peer)
        }
    } else {
        GenCallError::Exit(reason)
    }
}

impl Node {
    /// [`Process::call`] from a short-lived process of its own: calls a
    /// gen_server from anywhere. (`Node::call` is the erpc call of a function.)
    pub async fn gen_call(
        &self,
        server: impl Into<ServerRef>,
        request: Term,
        timeout: Duration,
    ) -> Result<Term, GenCallError> {
        self.process().call(server, request, timeout).await
    }

    /// [`Process::call_as`] from a short-lived process of its own.
    pub async fn gen_call_as<R: serde::de::DeserializeOwned>(
        &self,
        server: impl Into<ServerRef>,
        request: &(impl serde::Serialize + ?Sized),
        timeout: Duration,
    ) -> Result<R, GenCallError> {
        self.process().call_as(server, request, timeout).await
    }

    /// [`Process::cast`] from a short-lived process of its own.
    pub fn gen_cast(&self, server: impl Into<ServerRef>, request: Term) {
        self.process().cast(server, request);
    }
}
