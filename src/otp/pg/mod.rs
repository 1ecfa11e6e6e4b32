//! OTP's `pg` process groups on this node: scope processes that speak `pg`'s protocol with every connected node's scope, and the Rust API.
//!
//! A scope is a process registered under the scope's name (`pg` for the default
//! scope, `'Elixir.Phoenix.PubSub'` for Phoenix.PubSub, any atom) that keeps the
//! cluster-wide membership of its groups. It discovers the scopes of the same
//! name on every connected node (at start and on each node-up, hidden nodes
//! included), exchanges its local members with them (`sync`), tells them of every
//! `join` and `leave`, and forgets a peer's members when that peer's scope goes
//! down. Local members that exit leave their groups on every node.
//!
//! The messages sent to BEAM scopes are the ones every OTP from 25 on accepts
//! (`{discover, Pid}`, never the three-element form OTP 25 crashes on), and a
//! `leave` only ever names groups and members the receiving scope holds for this
//! node, since OTP's scope crashes on any other (dropping every membership on its
//! node).

mod scope;

use crate::node::{Inner, Node};
use eetf::{Atom, Pid, Term};
use scope::{Cmd, Shared};
use std::sync::{Arc, Mutex, Weak};
use thiserror::Error;
use tokio::sync::{mpsc, oneshot};

/// The default scope's name, as OTP's `pg` names it.
pub const DEFAULT_SCOPE: &str = "pg";

/// What can go wrong with a scope.
#[derive(Debug, Error)]
pub enum PgError {
    /// Another process already has the scope's name on this node.
    #[error("the name {0} is already taken by another process")]
    NameTaken(String),
    /// Only processes of this node can join or leave (as on BEAM).
    #[error("{0} is not a process of this node")]
    NotLocal(Pid),
    /// The scope process has stopped.
    #[error("scope {0} has stopped")]
    Stopped(String),
}

/// A join or a leave seen by a [`Monitor`], as OTP's `{Ref, join | leave, Group, Pids}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PgEvent {
    /// `pids` joined `group`.
    Join {
        /// The group.
        group: Term,
        /// The processes that joined (a process joined twice appears twice).
        pids: Vec<Pid>,
    },
    /// `pids` left `group` (by a leave, by exiting, or with their node's scope).
    Leave {
        /// The group.
        group: Term,
        /// The processes that left.
        pids: Vec<Pid>,
    },
}

/// One pid or many, as `pg:join/3` and `pg:leave/3` take them: `&pid`, `pid`,
/// `&[pid1, pid2]`, a `Vec<Pid>`, ...
pub trait PidOrPids {
    /// The pids, in order.
    fn into_pids(self) -> Vec<Pid>;
}

impl PidOrPids for Pid {
    fn into_pids(self) -> Vec<Pid> {
        vec![self]
    }
}
impl PidOrPids for &Pid {
    fn into_pids(self) -> Vec<Pid> {
        vec![self.clone()]
    }
}
impl PidOrPids for &[Pid] {
    fn into_pids(self) -> Vec<Pid> {
        self.to_vec()
    }
}
impl PidOrPids for Vec<Pid> {
    fn into_pids(self) -> Vec<Pid> {
        self
    }
}
impl PidOrPids for &Vec<Pid> {
    fn into_pids(self) -> Vec<Pid> {
        self.clone()
    }
}
impl<const N: usize> PidOrPids for [Pid; N] {
    fn into_pids(self) -> Vec<Pid> {
        self.into()
    }
}
impl<const N: usize> PidOrPids for &[Pid; N] {
    fn into_pids(self) -> Vec<Pid> {
        self.to_vec()
    }
}

/// A running scope on this node. Cheap to clone; every clone is the same scope.
#[derive(Clone)]
pub struct Scope {
    shared: Arc<Shared>,
}

impl std::fmt::Debug for Scope {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Scope")
            .field("name", &self.shared.name.name)
            .field("pid", &self.shared.pid)
            .finish()
    }
}

/// Join and leave events of a whole scope or of one group, until dropped.
pub struct Monitor {
    id: u64,
    rx: mpsc::UnboundedReceiver<PgEvent>,
    cmd: mpsc::UnboundedSender<Cmd>,
}

impl Monitor {
    /// The next event; `None` once the scope has stopped.
    pub async fn next(&mut self) -> Option<PgEvent> {
        self.rx.recv().await
    }
    /// An event already waiting, if any.
    pub fn try_next(&mut self) -> Option<PgEvent> {
        self.rx.try_recv().ok()
    }
}

impl Drop for Monitor {
    fn drop(&mut self) {
        let _ = self.cmd.send(Cmd::Demonitor(self.id));
    }
}

struct Entry {
    node: Weak<Inner>,
    shared: Arc<Shared>,
}

static SCOPES: Mutex<Vec<Entry>> = Mutex::new(Vec::new());

fn same_node(e: &Entry, node: &Node) -> bool {
    std::ptr::eq(e.node.as_ptr(), Arc::as_ptr(&node.inner))
}

/// The scope named `scope` running on `node`, if any.
pub fn scope(node: &Node, scope: &str) -> Option<Scope> {
    let mut all = crate::node::lock(&SCOPES);
    all.retain(|e| e.node.strong_count() > 0 && e.shared.running());
    all.iter()
        .find(|e| same_node(e, node) && e.shared.name.name == scope)
        .map(|e| Scope {
            shared: e.shared.clone(),
        })
}

/// Starts the scope `scope` on `node` (as `pg:start_link(Scope)`), or returns
/// it if it is already running. The scope process is registered under the
/// scope's name, and discovers the scopes of that name on every connected node.
pub fn start(node: &Node, scope_name: &str) -> Result<Scope, PgError> {
    let mut all = crate::node::lock(&SCOPES);
    all.retain(|e| e.node.strong_count() > 0 && e.shared.running());
    if let Some(e) = all
        .iter()
        .find(|e| same_node(e, node) && e.shared.name.name == scope_name)
    {
        return Ok(Scope {
            shared: e.shared.clone(),
        });
    }
    if node.whereis(scope_name).is_some() {
        return Err(PgError::NameTaken(scope_name.to_owned()));
    }
    let shared = scope::spawn(node, Atom::from(scope_name))?;
    all.push(Entry {
        node: Arc::downgrade(&node.inner),
        shared: shared.clone(),
    });
    Ok(Scope { shared })
}

/// Starts the default scope `pg` on `node` (or returns it if running).
pub fn start_default(node: &Node) -> Result<Scope, PgError> {
    start(node, DEFAULT_SCOPE)
}

impl Scope {
    /// The scope's name.
    pub fn name(&self) -> &str {
        &self.shared.name.name
    }

    /// The scope process's pid.
    pub fn pid(&self) -> &Pid {
        &self.shared.pid
    }

    fn stopped(&self) -> PgError {
        PgError::Stopped(self.name().to_owned())
    }

    async fn ask<R>(&self, make: impl FnOnce(oneshot::Sender<R>) -> Cmd) -> Result<R, PgError> {
        let (tx, rx) = oneshot::channel();
        self.shared.cmd.send(make(tx)).map_err(|_| self.stopped())?;
        rx.await.map_err(|_| self.stopped())
    }

    fn check_local(&self, pids: &[Pid]) -> Result<(), PgError> {
        match pids.iter().find(|p| !self.shared.node_is_local(p)) {
            Some(p) => Err(PgError::NotLocal(p.clone())),
            None => Ok(()),
        }
    }

    /// `pg:join(Scope, Group, Pids)`: the local processes `pids` join `group`
    /// (a process may join a group more than once, and must then leave it as
    /// often). Returns once the membership is visible here and sent to every peer.
    pub async fn join(&self, group: &Term, pids: impl PidOrPids) -> Result<(), PgError> {
        let pids = pids.into_pids();
        self.check_local(&pids)?;
        let group = crate::term::parse::normalize(group);
        self.ask(|reply| Cmd::Join { group, pids, reply }).await
    }

    /// `pg:leave(Scope, Group, Pids)`: `true` for `ok`, `false` for
    /// `not_joined` (none of `pids` was in `group`).
    pub async fn leave(&self, group: &Term, pids: impl PidOrPids) -> Result<bool, PgError> {
        let pids = pids.into_pids();
        self.check_local(&pids)?;
        let group = crate::term::parse::normalize(group);
        self.ask(|reply| Cmd::Leave { group, pids, reply }).await
    }

    /// `pg:get_members(Scope, Group)`: the members on every node this scope
    /// knows of, in no particular order.
    pub fn get_members(&self, group: &Term) -> Vec<Pid> {
        self.shared
            .members(&crate::term::parse::normalize(group), false)
    }

    /// `pg:get_local_members(Scope, Group)`: the members on this node.
    pub fn get_local_members(&self, group: &Term) -> Vec<Pid> {
        self.shared
            .members(&crate::term::parse::normalize(group), true)
    }

    /// `pg:which_groups(Scope)`: every group with a member on some node.
    pub fn which_groups(&self) -> Vec<Term> {
        self.shared.groups(false)
    }

    /// `pg:which_local_groups(Scope)`: every group with a member on this node.
    pub fn which_local_groups(&self) -> Vec<Term> {
        self.shared.groups(true)
    }

    /// The scope processes of other nodes this scope exchanges memberships with.
    pub fn peers(&self) -> Vec<Pid> {
        self.shared.peers()
    }

    /// `pg:monitor_scope(Scope)`: every group with its members now, and a
    /// [`Monitor`] of every join and leave from then on.
    pub async fn monitor_scope(&self) -> Result<(Monitor, Vec<(Term, Vec<Pid>)>), PgError> {
        let (tx, rx) = mpsc::unbounded_channel();
        let (id, groups) = self
            .ask(|reply| Cmd::MonitorScope { events: tx, reply })
            .await?;
        Ok((self.monitor_handle(id, rx), groups))
    }

    /// `pg:monitor(Scope, Group)`: the group's members now, and a [`Monitor`]
    /// of its joins and leaves from then on.
    pub async fn monitor(&self, group: &Term) -> Result<(Monitor, Vec<Pid>), PgError> {
        let (tx, rx) = mpsc::unbounded_channel();
        let group = crate::term::parse::normalize(group);
        let (id, members) = self
            .ask(|reply| Cmd::MonitorGroup {
                group,
                events: tx,
                reply,
            })
            .await?;
        Ok((self.monitor_handle(id, rx), members))
    }

    fn monitor_handle(&self, id: u64, rx: mpsc::UnboundedReceiver<PgEvent>) -> Monitor {
        Monitor {
            id,
            rx,
            cmd: self.shared.cmd.clone(),
        }
    }

    /// Stops the scope process: its peers drop this node's members of the scope.
    pub async fn stop(&self) {
        let _ = self.ask(Cmd::Stop).await;
    }
}
