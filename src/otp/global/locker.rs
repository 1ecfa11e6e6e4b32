//! global's locker: agrees with each new node's locker on the lock `{global, [LockerA, LockerB]}` over both partitions before their names are exchanged.

use super::calls::{self, GNS};
use super::order::{cmp_atoms, same, sort_pair};
use super::server::Cmd;
use super::tables::Tables;
use super::wire::{self, LockId, LockSet};
use crate::node::{Node, Process};
use crate::term;
use eetf::{Pid, Term};
use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::mpsc;
use tokio::time::Instant;

/// A node whose locker we are to meet (`#him{}` in global.erl).
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Him {
    pub node: String,
    pub locker: Pid,
    pub vsn: i64,
    pub my_tag: Term,
    pub his_tag: Term,
}

/// What the name server tells the locker.
#[derive(Debug)]
pub(super) enum LockerMsg {
    HisTheLocker(Him),
    /// Stop dealing with `node` for `tag`; `then` are casts `(node, msg)` to
    /// make before the lock is released (the new_nodes broadcast).
    Cancel {
        node: String,
        tag: Option<Term>,
        then: Vec<(String, Term)>,
    },
    LockSet(LockSet),
    AddToKnown(Vec<String>),
    RemoveFromKnown(String),
}

enum Next {
    Msg(LockerMsg),
    Timeout,
    Closed,
}

/// The locker's two inputs (the name server's channel, and its own mailbox,
/// where peers' lockers may write directly) with a selective receive.
struct Inbox {
    p: Process,
    rx: mpsc::UnboundedReceiver<LockerMsg>,
    queue: VecDeque<LockerMsg>,
}

/// `{lock_set, Pid, Bool, Known[, Tag]}` sent straight to this locker (what
/// OTP does when it answers `false` to a locker it does not know).
fn direct(t: &Term) -> Option<LockerMsg> {
    match wire::parse(&wire::gen_cast(t.clone())) {
        Ok(wire::Incoming::LockSet(ls)) => Some(LockerMsg::LockSet(ls)),
        _ => None,
    }
}

impl Inbox {
    async fn next(&mut self, deadline: Option<Instant>) -> Next {
        loop {
            let sleep = async {
                match deadline {
                    Some(d) => tokio::time::sleep_until(d).await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                biased;
                m = self.rx.recv() => return match m {
                    Some(m) => Next::Msg(m),
                    None => Next::Closed,
                },
                t = self.p.receive() => match t {
                    Ok(t) => match direct(&t) {
                        Some(m) => return Next::Msg(m),
                        None => tracing::debug!(
                            "global locker: dropping {}",
                            crate::term::print::inspect(&t).escape_debug()
                        ),
                    },
                    Err(_) => return Next::Closed,
                },
                _ = sleep => return Next::Timeout,
            }
        }
    }

    async fn recv_where(
        &mut self,
        pred: impl Fn(&LockerMsg) -> bool,
        deadline: Option<Instant>,
    ) -> Next {
        if let Some(i) = self.queue.iter().position(&pred)
            && let Some(m) = self.queue.remove(i)
        {
            return Next::Msg(m);
        }
        loop {
            match self.next(deadline).await {
                Next::Msg(m) if pred(&m) => return Next::Msg(m),
                Next::Msg(m) => self.queue.push_back(m),
                other => return other,
            }
        }
    }
}

pub(super) struct Locker {
    inbox: Inbox,
    node: Node,
    tables: Arc<Mutex<Tables>>,
    cmd: mpsc::UnboundedSender<Cmd>,
    local: Vec<Him>,
    remote: Vec<Him>,
    known: Vec<String>,
    boss: String,
    just_synced: bool,
}

fn host(node: &str) -> &str {
    node.split_once('@').map_or("", |(_, h)| h)
}

impl Locker {
    pub fn new(
        p: Process,
        rx: mpsc::UnboundedReceiver<LockerMsg>,
        tables: Arc<Mutex<Tables>>,
        cmd: mpsc::UnboundedSender<Cmd>,
    ) -> Self {
        let node = p.node().clone();
        Locker {
            boss: node.name().to_owned(),
            inbox: Inbox {
                p,
                rx,
                queue: VecDeque::new(),
            },
            node,
            tables,
            cmd,
            local: Vec::new(),
            remote: Vec::new(),
            known: Vec::new(),
            just_synced: false,
        }
    }

    fn me(&self) -> &str {
        self.node.name()
    }

    pub async fn run(mut self) -> Term {
        loop {
            match self.inbox.recv_where(|_| true, Some(Instant::now())).await {
                Next::Msg(m) => {
                    if !self.handle(m).await {
                        break;
                    }
                    continue;
                }
                Next::Closed => break,
                Next::Timeout => {}
            }
            let timeout = if self.local.is_empty() && self.remote.is_empty() {
                None
            } else if self.just_synced {
                Some(Duration::ZERO)
            } else if self.known.is_empty() {
                Some(Duration::from_millis(200))
            } else {
                let n = u64::try_from(self.known.len()).unwrap_or(u64::MAX);
                Some(Duration::from_millis(
                    1000u64.saturating_add(n.saturating_mul(100)).min(3000),
                ))
            };
            self.just_synced = false;
            match self
                .inbox
                .recv_where(|_| true, timeout.map(|t| Instant::now() + t))
                .await
            {
                Next::Msg(m) => {
                    if !self.handle(m).await {
                        break;
                    }
                }
                Next::Timeout => {
                    let set = crate::node::lock(&self.tables).is_global_lock_set();
                    if !set && !self.select_node().await {
                        break;
                    }
                }
                Next::Closed => break,
            }
        }
        term::atom("normal")
    }

    /// One message in the main loop; false when the locker must stop.
    async fn handle(&mut self, m: LockerMsg) -> bool {
        match m {
            LockerMsg::HisTheLocker(him) => {
                if host(&him.node) == host(self.me()) {
                    self.local.insert(0, him);
                } else {
                    self.remote.insert(0, him);
                }
            }
            LockerMsg::Cancel { node, tag, then } => match tag {
                Some(tag) if then.is_empty() => self.remove_node(&node, &tag),
                Some(_) => {
                    tracing::debug!(%node, "global locker: cancel with work outside a lock, ignored")
                }
                None => {}
            },
            LockerMsg::LockSet(LockSet { set: false, .. }) => {}
            LockerMsg::LockSet(LockSet {
                pid,
                tag: Some(tag),
                ..
            }) => return self.lock_set_true(pid, tag).await,
            LockerMsg::LockSet(LockSet { pid, tag: None, .. }) => {
                match self.find_node_tag(&pid.node.name) {
                    Some(him) => return self.lock_set_true(pid, him.my_tag).await,
                    None => self.send_lock_set(false, &pid, 5, None).await,
                }
            }
            LockerMsg::AddToKnown(nodes) => self.add_known(nodes),
            LockerMsg::RemoveFromKnown(n) => self.remove_known(&n),
        }
        true
    }

    fn add_known(&mut self, nodes: Vec<String>) {
        let mut k = nodes;
        k.append(&mut self.known);
        self.known = k;
        self.update_boss();
    }

    fn remove_known(&mut self, node: &str) {
        if let Some(i) = self.known.iter().position(|n| n == node) {
            self.known.remove(i);
        }
        self.update_boss();
    }

    fn update_boss(&mut self) {
        self.boss = std::iter::once(self.me())
            .chain(self.known.iter().map(String::as_str))
            .max_by(|a, b| cmp_atoms(a, b))
            .unwrap_or(self.me())
            .to_owned();
    }

    /// Applies the add/remove-known messages already waiting.
    async fn update_known_now(&mut self) -> bool {
        loop {
            match self.inbox.next(Some(Instant::now())).await {
                Next::Msg(m) => self.inbox.queue.push_back(m),
                Next::Timeout => break,
                Next::Closed => return false,
            }
        }
        let mut rest = VecDeque::new();
        while let Some(m) = self.inbox.queue.pop_front() {
            match m {
                LockerMsg::AddToKnown(n) => self.add_known(n),
                LockerMsg::RemoveFromKnown(n) => self.remove_known(&n),
                other => rest.push_back(other),
            }
        }
        self.inbox.queue = rest;
        true
    }

    fn find_node_tag(&self, node: &str) -> Option<Him> {
        self.local
            .iter()
            .chain(self.remote.iter())
            .find(|h| h.node == node)
            .cloned()
    }

    fn remove_node(&mut self, node: &str, tag: &Term) {
        let keep = |h: &Him| !(h.node == node && same(&h.my_tag, tag));
        self.local.retain(keep);
        self.remote.retain(keep);
    }

    fn lock_id(&self, other: &Pid) -> LockId {
        let [a, b] = sort_pair(self.inbox.p.pid(), other);
        LockId::global(term::list(vec![term::pid(&a), term::pid(&b)]))
    }

    /// A peer's locker says it has the lock for us both: take it on our side.
    async fn lock_set_true(&mut self, pid: Pid, tag: Term) -> bool {
        let node = pid.node.name.clone();
        let him = match self.find_node_tag(&node) {
            Some(h) if same(&h.my_tag, &tag) => h,
            _ => {
                self.send_lock_set(false, &pid, 5, None).await;
                return true;
            }
        };
        let lock_id = self.lock_id(&pid);
        tracing::debug!(%node, "global locker: the peer holds the lock; taking our side");
        let Some(set) = self.lock_nodes_safely(&lock_id, &[]).await else {
            return false;
        };
        self.send_lock_set(set, &pid, him.vsn, Some(&him.his_tag))
            .await;
        if set {
            let mut known2 = vec![self.me().to_owned()];
            known2.extend(self.known.iter().cloned());
            let _ = self.cmd.send(Cmd::LockIsSet {
                node: node.clone(),
                tag: tag.clone(),
                lock_id: lock_id.to_term(),
            });
            if !self.wait_cancel_lock(&node, &lock_id, &tag, &known2).await {
                return false;
            }
            self.just_synced = true;
            self.remove_node(&node, &tag);
        } else {
            self.just_synced = false;
        }
        true
    }

    /// Picks a waiting node and tries to lock both partitions for it.
    async fn select_node(&mut self) -> bool {
        let use_remote = self.local.is_empty();
        let known = self.known.clone();
        let list = if use_remote {
            &mut self.remote
        } else {
            &mut self.local
        };
        list.retain(|h| !known.contains(&h.node));
        if list.is_empty() {
            return true;
        }
        let i = usize::try_from(rand::random::<u64>() % list.len() as u64).unwrap_or(0);
        let him = list[i].clone();
        let lock_id = self.lock_id(&him.locker);
        tracing::debug!(node = %him.node, "global locker: locking both partitions");
        let Some(set) = self
            .lock_nodes_safely(&lock_id, std::slice::from_ref(&him.node))
            .await
        else {
            return false;
        };
        if !set {
            return true;
        }
        let mut known1 = vec![self.me().to_owned(), him.node.clone()];
        known1.extend(self.known.iter().cloned());
        self.send_lock_set(true, &him.locker, him.vsn, Some(&him.his_tag))
            .await;
        self.lock_is_set(him, known1, lock_id).await
    }

    /// Waits for the peer's locker to answer our lock_set.
    async fn lock_is_set(&mut self, him: Him, known1: Vec<String>, lock_id: LockId) -> bool {
        let node = him.node.clone();
        let my_tag = him.my_tag.clone();
        loop {
            let m = self
                .inbox
                .recv_where(
                    |m| match m {
                        LockerMsg::LockSet(ls) => ls.pid.node.name == node,
                        LockerMsg::Cancel {
                            node: n,
                            tag: Some(t),
                            ..
                        } => *n == node && same(t, &my_tag),
                        _ => false,
                    },
                    None,
                )
                .await;
            let m = match m {
                Next::Msg(m) => m,
                _ => return false,
            };
            match m {
                LockerMsg::LockSet(ls) => {
                    let current = ls.tag.as_ref().is_none_or(|t| same(t, &my_tag));
                    if !current {
                        continue;
                    }
                    if ls.set {
                        let _ = self.cmd.send(Cmd::LockIsSet {
                            node: node.clone(),
                            tag: my_tag.clone(),
                            lock_id: lock_id.to_term(),
                        });
                        if !self
                            .wait_cancel_lock(&node, &lock_id, &my_tag, &known1)
                            .await
                        {
                            return false;
                        }
                        self.just_synced = true;
                        self.local.retain(|h| *h != him);
                        self.remote.retain(|h| *h != him);
                    } else {
                        self.delete_global_lock(&lock_id, &known1).await;
                    }
                    return true;
                }
                LockerMsg::Cancel { then, .. } => {
                    self.casts(then).await;
                    self.delete_global_lock(&lock_id, &known1).await;
                    self.remove_node(&node, &my_tag);
                    return true;
                }
                _ => return true,
            }
        }
    }

    /// Holds the lock until the name server is done with `node`.
    async fn wait_cancel_lock(
        &mut self,
        node: &str,
        lock_id: &LockId,
        tag: &Term,
        known: &[String],
    ) -> bool {
        let m = self
            .inbox
            .recv_where(
                |m| matches!(m, LockerMsg::Cancel { node: n, tag: Some(t), .. } if n == node && same(t, tag)),
                None,
            )
            .await;
        match m {
            Next::Msg(LockerMsg::Cancel { then, .. }) => {
                self.casts(then).await;
                self.delete_global_lock(lock_id, known).await;
                true
            }
            _ => false,
        }
    }

    async fn casts(&mut self, casts: Vec<(String, Term)>) {
        for (n, msg) in casts {
            let _ = self.inbox.p.send_named_remote(&n, GNS, msg).await;
        }
    }

    async fn send_lock_set(
        &mut self,
        set: bool,
        his_locker: &Pid,
        vsn: i64,
        his_tag: Option<&Term>,
    ) {
        let tag = if vsn < 8 { None } else { his_tag };
        let msg = wire::lock_set(self.inbox.p.pid(), set, &self.known, tag);
        if vsn < 6 {
            self.inbox.p.send(his_locker, msg);
        } else {
            let _ = self
                .inbox
                .p
                .send_named_remote(&his_locker.node.name, GNS, wire::gen_cast(msg))
                .await;
        }
    }

    /// `lock_nodes_safely/3`: the boss first, then us and `extra`, then the
    /// rest of our partition. `None` when the locker must stop.
    async fn lock_nodes_safely(&mut self, id: &LockId, extra: &[String]) -> Option<bool> {
        let first = vec![self.boss.clone()];
        let free_here = crate::node::lock(&self.tables).can_set_lock(id).is_some();
        if !(first == [self.me()] || free_here) {
            return Some(false);
        }
        if !self.set_lock_on_nodes(id, &first).await {
            return Some(false);
        }
        if !self.update_known_now().await {
            return None;
        }
        let mut second = vec![self.me().to_owned()];
        second.extend(extra.iter().cloned());
        second.retain(|n| !first.contains(n));
        if !self.set_lock_on_nodes(id, &second).await {
            self.del_lock(id, &first).await;
            return Some(false);
        }
        let rest: Vec<String> = self
            .known
            .iter()
            .filter(|n| !first.contains(n))
            .cloned()
            .collect();
        if !self.set_lock_on_nodes(id, &rest).await {
            let mut so_far = first;
            so_far.extend(second);
            self.del_lock(id, &so_far).await;
            return Some(false);
        }
        Some(true)
    }

    async fn set_lock_on_nodes(&mut self, id: &LockId, nodes: &[String]) -> bool {
        set_lock_on_nodes(&mut self.inbox.p, &self.tables, id, nodes).await
    }

    async fn del_lock(&mut self, id: &LockId, nodes: &[String]) {
        del_lock(&mut self.inbox.p, id, nodes).await;
    }

    async fn delete_global_lock(&mut self, id: &LockId, nodes: &[String]) {
        delete_global_lock(&mut self.inbox.p, id, nodes).await;
    }
}

/// `set_lock_on_nodes/2`: one attempt on `nodes`; a refusal anywhere undoes
/// the lock where it was granted.
pub(super) async fn set_lock_on_nodes(
    p: &mut Process,
    tables: &Arc<Mutex<Tables>>,
    id: &LockId,
    nodes: &[String],
) -> bool {
    if nodes.is_empty() {
        return true;
    }
    let me = p.node().name().to_owned();
    let local_ok = nodes.len() == 1
        || !nodes.contains(&me)
        || crate::node::lock(tables).can_set_lock(id).is_some();
    if !local_ok {
        return false;
    }
    let req = term::tuple(vec![term::atom("set_lock"), id.to_term()]);
    let (replies, _bad) = calls::multi_call(p, nodes, GNS, &req).await;
    if replies.iter().all(|(_, r)| term::is_atom(r, "true")) {
        return true;
    }
    if replies.len() > 1 {
        let granted: Vec<String> = replies
            .iter()
            .filter(|(_, r)| term::is_atom(r, "true"))
            .map(|(n, _)| n.clone())
            .collect();
        del_lock(p, id, &granted).await;
    }
    false
}

pub(super) async fn del_lock(p: &mut Process, id: &LockId, nodes: &[String]) {
    if nodes.is_empty() {
        return;
    }
    let req = term::tuple(vec![term::atom("del_lock"), id.to_term()]);
    let _ = calls::multi_call(p, nodes, GNS, &req).await;
}

/// Releases a lock everywhere, the boss last.
pub(super) async fn delete_global_lock(p: &mut Process, id: &LockId, nodes: &[String]) {
    let Some(boss) = nodes.iter().max_by(|a, b| cmp_atoms(a, b)).cloned() else {
        return;
    };
    let others: Vec<String> = nodes.iter().filter(|n| **n != boss).cloned().collect();
    del_lock(p, id, &others).await;
    del_lock(p, id, &[boss]).await;
}
