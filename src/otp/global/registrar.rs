//! global's registrar: registers and unregisters names under the lock `{global, Registrar}` taken on every known node (`trans_all_known`).

use super::calls::{self, GNS};
use super::locker::{del_lock, delete_global_lock, set_lock_on_nodes};
use super::order::cmp_atoms;
use super::tables::Tables;
use super::wire::LockId;
use crate::node::Process;
use crate::term;
use eetf::{Pid, Term};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{mpsc, oneshot};

pub(super) enum RegReq {
    Register {
        name: Term,
        pid: Pid,
        method: Term,
        reply: oneshot::Sender<bool>,
    },
    ReRegister {
        name: Term,
        pid: Pid,
        method: Term,
        reply: oneshot::Sender<()>,
    },
    Unregister {
        name: Term,
        reply: oneshot::Sender<()>,
    },
}

pub(super) async fn run(
    mut p: Process,
    mut rx: mpsc::UnboundedReceiver<RegReq>,
    tables: Arc<Mutex<Tables>>,
) -> Term {
    while let Some(req) = rx.recv().await {
        let id = LockId::global(term::pid(p.pid()));
        let nodes = set_lock_known(&mut p, &tables, &id).await;
        match req {
            RegReq::Register {
                name,
                pid,
                method,
                reply,
            } => {
                let free = super::where_in(p.node(), &tables, &name).is_none();
                let ok = free && check_dupname(&tables, &name, &pid);
                if ok {
                    let req =
                        term::tuple(vec![term::atom("register"), name, term::pid(&pid), method]);
                    let _ = calls::multi_call(&mut p, &nodes, GNS, &req).await;
                }
                let _ = reply.send(ok);
            }
            RegReq::ReRegister {
                name,
                pid,
                method,
                reply,
            } => {
                let req = term::tuple(vec![term::atom("register"), name, term::pid(&pid), method]);
                let _ = calls::multi_call(&mut p, &nodes, GNS, &req).await;
                let _ = reply.send(());
            }
            RegReq::Unregister { name, reply } => {
                let req = term::tuple(vec![term::atom("unregister"), name]);
                let _ = calls::multi_call(&mut p, &nodes, GNS, &req).await;
                let _ = reply.send(());
            }
        }
        delete_global_lock(&mut p, &id, &nodes).await;
    }
    term::atom("normal")
}

/// A process registered under one name may not take another (OTP's default
/// `global_multi_name_action`).
fn check_dupname(tables: &Arc<Mutex<Tables>>, name: &Term, pid: &Pid) -> bool {
    let names = crate::node::lock(tables).names_of_pid(pid);
    if names.is_empty() {
        return true;
    }
    tracing::error!(
        "global: {} registered under several names: {}",
        crate::term::print::inspect(&term::pid(pid)),
        crate::term::print::inspect(&term::list(
            std::iter::once(name.clone()).chain(names).collect()
        ))
        .escape_debug()
    );
    false
}

async fn get_known(p: &mut Process) -> Vec<String> {
    let me = p.node().name().to_owned();
    match calls::call(p, &me, GNS, term::atom("get_known")).await {
        Some(l) => term::as_list(&l)
            .unwrap_or_default()
            .iter()
            .filter_map(|n| term::as_atom(n).map(str::to_owned))
            .collect(),
        None => Vec::new(),
    }
}

/// `set_lock_known/2`: the lock on the boss, then on every known node, until
/// the set of known nodes holds still. Returns the nodes locked.
async fn set_lock_known(p: &mut Process, tables: &Arc<Mutex<Tables>>, id: &LockId) -> Vec<String> {
    let me = p.node().name().to_owned();
    let mut times: u32 = 0;
    loop {
        let known = get_known(p).await;
        let mut nodes = vec![me.clone()];
        nodes.extend(known.iter().cloned());
        let boss = nodes
            .iter()
            .max_by(|a, b| cmp_atoms(a, b))
            .cloned()
            .unwrap_or_else(|| me.clone());
        if set_lock_on_nodes(p, tables, id, std::slice::from_ref(&boss)).await {
            if set_lock_on_nodes(p, tables, id, &nodes).await {
                let now = get_known(p).await;
                if now.iter().all(|n| known.contains(n)) {
                    return nodes;
                }
            }
            del_lock(p, id, &[boss]).await;
        }
        random_sleep(times).await;
        times = times.saturating_add(1);
    }
}

/// `random_sleep/1`: up to 1/8 s doubling per attempt, 8 s at most.
pub(super) async fn random_sleep(times: u32) {
    let max_ms: u64 = if times > 5 {
        8000
    } else {
        (1u64 << times) * 1000 / 8
    };
    let ms = 1 + rand::random::<u64>() % max_ms.max(1);
    tokio::time::sleep(Duration::from_millis(ms)).await;
}
