//! OTP 25's `global` on this node: `global_name_server` with its locker and registrar, and the Rust API for global names.
//!
//! With the node visible, it takes part in global's protocol (version 8) like
//! a BEAM node: every new visible node is greeted with `init_connect`, the two
//! lockers lock both partitions, names are exchanged and clashes resolved, and
//! the result spreads with `new_nodes`. So `:global.sync()` on a BEAM node
//! returns, names registered on any node are seen on all, and they vanish
//! with their process or node. A hidden node keeps its tables local and never
//! talks to peers, as on BEAM; hidden peers are ignored.
//!
//! Known differences from OTP: no global groups; a request from a peer to drop
//! our connection to it (prevent_overlapping_partitions) only stops syncing
//! with that node, as this node cannot close a single connection; funs passed
//! as resolve methods run here only when they are OTP's three resolvers, the
//! local fun `register_name/2` sends, or a Rust function registered under the
//! fun's `Module:Function/3`.

mod calls;
mod locker;
mod order;
mod registrar;
mod resolve;
mod server;
mod tables;
mod wire;

use crate::node::{Inner, Node};
use crate::term;
use eetf::{Pid, Term};
use registrar::RegReq;
use server::Cmd;
use std::sync::{Arc, Mutex, Weak};
use tables::Tables;
use thiserror::Error;
use tokio::sync::{mpsc, oneshot};

/// Why a `:global` operation could not be done.
#[derive(Debug, Error)]
pub enum GlobalError {
    /// This node's global name server is not running (the node is shutting down).
    #[error("global is not running on node {0}")]
    NotRunning(String),
    /// The global name server stopped while the operation was under way.
    #[error("the global name server of node {0} stopped")]
    Stopped(String),
    /// No process is registered under the name.
    #[error("no process is registered globally as {0}")]
    NotRegistered(String),
}

/// One node's global: its tables and the channels to its processes.
struct Handle {
    node: Weak<Inner>,
    tables: Arc<Mutex<Tables>>,
    registrar: mpsc::UnboundedSender<RegReq>,
    server: mpsc::UnboundedSender<Cmd>,
}

static HANDLES: Mutex<Vec<Handle>> = Mutex::new(Vec::new());

fn with_handle<R>(node: &Node, f: impl FnOnce(&Handle) -> R) -> Option<R> {
    let mut all = crate::node::lock(&HANDLES);
    all.retain(|h| h.node.strong_count() > 0);
    all.iter()
        .find(|h| std::ptr::eq(h.node.as_ptr(), Arc::as_ptr(&node.inner)))
        .map(f)
}

/// Starts `global_name_server`, its locker and its registrar on `node`.
pub(crate) fn start(node: &Node) {
    let tables = Arc::new(Mutex::new(Tables::default()));
    let (cmd_tx, cmd_rx) = mpsc::unbounded_channel();
    let (lk_tx, lk_rx) = mpsc::unbounded_channel();
    let (reg_tx, reg_rx) = mpsc::unbounded_channel();
    // Subscribe before anything runs, so that no node-up is missed.
    let events = (!node.hidden()).then(|| node.subscribe());

    let (t, c) = (tables.clone(), cmd_tx.clone());
    let locker_pid =
        node.spawn(move |p| async move { locker::Locker::new(p, lk_rx, t, c).run().await });
    let t = tables.clone();
    let _registrar = node.spawn(move |p| registrar::run(p, reg_rx, t));

    let (n, t, c, lp) = (node.clone(), tables.clone(), cmd_tx.clone(), locker_pid);
    let gns = node.spawn(move |p| async move {
        let me = p.pid().clone();
        server::Server::new(&n, me, t, lk_tx, lp, c)
            .run(p, cmd_rx, events)
            .await
    });
    if let Err(e) = node.register(calls::GNS, &gns) {
        tracing::error!("cannot register {}: {e}", calls::GNS);
    }
    crate::node::lock(&HANDLES).push(Handle {
        node: Arc::downgrade(&node.inner),
        tables,
        registrar: reg_tx,
        server: cmd_tx,
    });
    resolve::register_functions(node);
}

/// `global:where/1`: the registered pid; a local one only while it lives.
fn where_in(node: &Node, tables: &Arc<Mutex<Tables>>, name: &Term) -> Option<Pid> {
    let pid = crate::node::lock(tables)
        .name(name)
        .map(|e| e.entry.pid.clone())?;
    if node.is_local(&pid) && !node.is_alive(&pid) {
        return None;
    }
    Some(pid)
}

/// `:global.whereis_name(name)` for an atom name.
pub fn whereis_name(node: &Node, name: &str) -> Option<Pid> {
    whereis_name_term(node, &term::atom(name))
}

/// `:global.whereis_name(name)` for any term.
pub fn whereis_name_term(node: &Node, name: &Term) -> Option<Pid> {
    with_handle(node, |h| h.tables.clone()).and_then(|t| where_in(node, &t, name))
}

/// `:global.registered_names()`.
pub fn registered_names(node: &Node) -> Vec<Term> {
    with_handle(node, |h| {
        crate::node::lock(&h.tables)
            .names
            .iter()
            .map(|e| e.entry.name.clone())
            .collect()
    })
    .unwrap_or_default()
}

fn registrar(node: &Node) -> Result<mpsc::UnboundedSender<RegReq>, GlobalError> {
    with_handle(node, |h| h.registrar.clone())
        .ok_or_else(|| GlobalError::NotRunning(node.name().to_owned()))
}

/// `:global.register_name(name, pid)` for an atom name: `true` for `yes`.
/// Takes the global lock on every known node, as OTP does; a clash on a
/// later partition merge is resolved with `global:random_exit_name/3`.
pub async fn register_name(node: &Node, name: &str, pid: &Pid) -> Result<bool, GlobalError> {
    register_name_term(node, term::atom(name), pid).await
}

/// `:global.register_name(name, pid)` for any term.
pub async fn register_name_term(node: &Node, name: Term, pid: &Pid) -> Result<bool, GlobalError> {
    let (tx, rx) = oneshot::channel();
    registrar(node)?
        .send(RegReq::Register {
            name,
            pid: pid.clone(),
            method: resolve::default_method(),
            reply: tx,
        })
        .map_err(|_| GlobalError::Stopped(node.name().to_owned()))?;
    rx.await
        .map_err(|_| GlobalError::Stopped(node.name().to_owned()))
}

/// `:global.re_register_name(name, pid)`: registers even if the name is taken.
pub async fn re_register_name(node: &Node, name: &str, pid: &Pid) -> Result<(), GlobalError> {
    let (tx, rx) = oneshot::channel();
    registrar(node)?
        .send(RegReq::ReRegister {
            name: term::atom(name),
            pid: pid.clone(),
            method: resolve::default_method(),
            reply: tx,
        })
        .map_err(|_| GlobalError::Stopped(node.name().to_owned()))?;
    rx.await
        .map_err(|_| GlobalError::Stopped(node.name().to_owned()))
}

/// `:global.unregister_name(name)` for an atom name.
pub async fn unregister_name(node: &Node, name: &str) -> Result<(), GlobalError> {
    unregister_name_term(node, term::atom(name)).await
}

/// `:global.unregister_name(name)` for any term.
pub async fn unregister_name_term(node: &Node, name: Term) -> Result<(), GlobalError> {
    if whereis_name_term(node, &name).is_none() {
        return Ok(());
    }
    let (tx, rx) = oneshot::channel();
    registrar(node)?
        .send(RegReq::Unregister { name, reply: tx })
        .map_err(|_| GlobalError::Stopped(node.name().to_owned()))?;
    rx.await
        .map_err(|_| GlobalError::Stopped(node.name().to_owned()))
}

/// `:global.send(name, msg)`: the pid the message went to.
pub fn send(node: &Node, name: &str, msg: Term) -> Result<Pid, GlobalError> {
    let pid =
        whereis_name(node, name).ok_or_else(|| GlobalError::NotRegistered(name.to_owned()))?;
    node.send(&pid, msg);
    Ok(pid)
}

/// `:global.sync()`: waits until global has synced with every connected
/// visible node (or they went down).
pub async fn sync(node: &Node) -> Result<(), GlobalError> {
    let (tx, rx) = oneshot::channel();
    with_handle(node, |h| h.server.clone())
        .ok_or_else(|| GlobalError::NotRunning(node.name().to_owned()))?
        .send(Cmd::Sync {
            nodes: None,
            reply: tx,
        })
        .map_err(|_| GlobalError::Stopped(node.name().to_owned()))?;
    rx.await
        .map_err(|_| GlobalError::Stopped(node.name().to_owned()))
}
