//! The scope process of `pg`: discover, sync, join and leave with the scopes of other nodes, member and peer monitors, and the membership view the API reads.

use super::{PgError, PgEvent};
use crate::node::{Node, NodeEvent, Process, lock};
use crate::proto::control::Control;
use crate::term;
use eetf::{Atom, Pid, Reference, Term};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use tokio::sync::{broadcast, mpsc, oneshot};

/// Every group with its members.
pub(super) type Snapshot = Vec<(Term, Vec<Pid>)>;

/// What the API asks of the scope process.
pub(super) enum Cmd {
    Join {
        group: Term,
        pids: Vec<Pid>,
        reply: oneshot::Sender<()>,
    },
    Leave {
        group: Term,
        pids: Vec<Pid>,
        reply: oneshot::Sender<bool>,
    },
    MonitorScope {
        events: mpsc::UnboundedSender<PgEvent>,
        reply: oneshot::Sender<(u64, Snapshot)>,
    },
    MonitorGroup {
        group: Term,
        events: mpsc::UnboundedSender<PgEvent>,
        reply: oneshot::Sender<(u64, Vec<Pid>)>,
    },
    Demonitor(u64),
    Stop(oneshot::Sender<()>),
}

#[derive(Default)]
struct Members {
    all: Vec<Pid>,
    local: Vec<Pid>,
}

/// What readers see without asking the scope process (OTP keeps it in ETS).
#[derive(Default)]
struct View {
    groups: HashMap<Term, Members>,
    peers: Vec<Pid>,
}

/// The part of a scope shared by the API handles and the scope process.
pub(super) struct Shared {
    pub name: Atom,
    pub pid: Pid,
    pub cmd: mpsc::UnboundedSender<Cmd>,
    /// Set when the scope process stops (before its channel closes).
    pub stopped: std::sync::atomic::AtomicBool,
    view: Mutex<View>,
}

impl Shared {
    /// The scope process still runs (or is starting).
    pub fn running(&self) -> bool {
        !self.cmd.is_closed() && !self.stopped.load(std::sync::atomic::Ordering::Acquire)
    }

    pub fn node_is_local(&self, pid: &Pid) -> bool {
        pid.node == self.pid.node && pid.creation == self.pid.creation
    }

    pub fn members(&self, group: &Term, local: bool) -> Vec<Pid> {
        let v = lock(&self.view);
        v.groups
            .get(group)
            .map(|m| {
                if local {
                    m.local.clone()
                } else {
                    m.all.clone()
                }
            })
            .unwrap_or_default()
    }

    pub fn groups(&self, local: bool) -> Vec<Term> {
        let v = lock(&self.view);
        v.groups
            .iter()
            .filter(|(_, m)| !local || !m.local.is_empty())
            .map(|(g, _)| g.clone())
            .collect()
    }

    pub fn peers(&self) -> Vec<Pid> {
        lock(&self.view).peers.clone()
    }
}

/// Spawns the scope process and registers it under `name`.
pub(super) fn spawn(node: &Node, name: Atom) -> Result<Arc<Shared>, PgError> {
    let (cmd_tx, cmd_rx) = mpsc::unbounded_channel();
    let (init_tx, init_rx) = oneshot::channel::<Arc<Shared>>();
    // Subscribed before anything runs, so that no node-up is missed.
    let events = node.subscribe();
    let n = node.clone();
    let pid = node.spawn(move |p| async move {
        let Ok(shared) = init_rx.await else {
            return term::atom("normal");
        };
        ScopeProc::new(n, p.pid().clone(), shared)
            .run(p, cmd_rx, events)
            .await
    });
    if node.register(&name.name, &pid).is_err() {
        // Dropping `init_tx` ends the process.
        return Err(PgError::NameTaken(name.name.clone()));
    }
    let shared = Arc::new(Shared {
        name,
        pid,
        cmd: cmd_tx,
        stopped: std::sync::atomic::AtomicBool::new(false),
        view: Mutex::new(View::default()),
    });
    let _ = init_tx.send(shared.clone());
    Ok(shared)
}

/// A peer scope: the monitor on it and the members it told us of, per group.
struct Peer {
    mref: Reference,
    groups: HashMap<Term, Vec<Pid>>,
}

type Watchers = Vec<(u64, mpsc::UnboundedSender<PgEvent>)>;

struct ScopeProc {
    node: Node,
    me: Pid,
    shared: Arc<Shared>,
    /// Local members: the monitor on each and the groups it joined (a group
    /// joined twice is listed twice).
    local: HashMap<Pid, (Reference, Vec<Term>)>,
    remote: HashMap<Pid, Peer>,
    scope_watchers: Watchers,
    group_watchers: HashMap<Term, Watchers>,
    next_watch: u64,
}

async fn next_event(events: &mut broadcast::Receiver<NodeEvent>) -> Option<Result<NodeEvent, u64>> {
    match events.recv().await {
        Ok(e) => Some(Ok(e)),
        Err(broadcast::error::RecvError::Lagged(n)) => Some(Err(n)),
        Err(broadcast::error::RecvError::Closed) => None,
    }
}

impl ScopeProc {
    fn new(node: Node, me: Pid, shared: Arc<Shared>) -> Self {
        ScopeProc {
            node,
            me,
            shared,
            local: HashMap::new(),
            remote: HashMap::new(),
            scope_watchers: Vec::new(),
            group_watchers: HashMap::new(),
            next_watch: 1,
        }
    }

    async fn run(
        mut self,
        mut p: Process,
        mut cmds: mpsc::UnboundedReceiver<Cmd>,
        mut events: broadcast::Receiver<NodeEvent>,
    ) -> Term {
        for n in self.node.connected_nodes() {
            self.discover_node(&n);
        }
        let mut events_open = true;
        loop {
            tokio::select! {
                cmd = cmds.recv() => match cmd {
                    Some(Cmd::Stop(reply)) => {
                        // Free the name before answering, so the scope can be started again at once.
                        self.shared.stopped.store(true, std::sync::atomic::Ordering::Release);
                        self.node.unregister(&self.shared.name.name);
                        let _ = reply.send(());
                        break;
                    }
                    Some(c) => self.command(&p, c),
                    None => break,
                },
                ev = next_event(&mut events), if events_open => match ev {
                    Some(Ok(NodeEvent::Up { node, .. })) => self.discover_node(&node),
                    Some(Ok(NodeEvent::Down { node, .. })) => self.node_down(&node),
                    Some(Err(missed)) => {
                        tracing::warn!(scope = %self.shared.name.name, missed, "missed node events; discovering again");
                        let up = self.node.connected_nodes();
                        let gone: Vec<Pid> = self.remote.keys()
                            .filter(|p| !up.contains(&p.node.name))
                            .cloned()
                            .collect();
                        for peer in gone {
                            self.peer_down(&p, &peer);
                        }
                        for n in up {
                            self.discover_node(&n);
                        }
                    }
                    None => events_open = false,
                },
                msg = p.receive() => match msg {
                    Ok(m) => self.message(&p, &m),
                    Err(_) => break,
                },
            }
        }
        term::atom("normal")
    }

    // ---- sending ----

    /// A send that never dials: a peer that is not connected gets nothing (OTP's `noconnect`).
    fn send_pid(&self, to: &Pid, msg: &Term) {
        let ctl = Control::Send { to: to.clone() };
        crate::node::connection::send_control(&self.node, &to.node.name, &ctl, Some(msg), false);
    }

    fn discover_node(&self, node: &str) {
        if node == self.node.name() {
            return;
        }
        // The two-element form: OTP 25's scope crashes on `{discover, Pid, Vsn}`.
        let msg = term::tuple(vec![term::atom("discover"), term::pid(&self.me)]);
        let ctl = Control::RegSend {
            from: self.me.clone(),
            to: self.shared.name.clone(),
        };
        crate::node::connection::send_control(&self.node, node, &ctl, Some(&msg), false);
    }

    /// `{'$gen_cast', {sync, Me, [{Group, Pids}]}}` with every local membership.
    fn send_sync(&self, to: &Pid) {
        let mut by_group: HashMap<&Term, Vec<Term>> = HashMap::new();
        for (pid, (_, groups)) in &self.local {
            for g in groups {
                by_group.entry(g).or_default().push(term::pid(pid));
            }
        }
        let groups = by_group
            .into_iter()
            .map(|(g, pids)| term::tuple(vec![g.clone(), term::list(pids)]))
            .collect();
        let msg = term::tuple(vec![
            term::atom("$gen_cast"),
            term::tuple(vec![
                term::atom("sync"),
                term::pid(&self.me),
                term::list(groups),
            ]),
        ]);
        self.send_pid(to, &msg);
    }

    fn broadcast(&self, msg: &Term) {
        for peer in self.remote.keys() {
            self.send_pid(peer, msg);
        }
    }

    // ---- the view and its watchers ----

    fn notify(&mut self, event: PgEvent) {
        let group = match &event {
            PgEvent::Join { group, .. } | PgEvent::Leave { group, .. } => group.clone(),
        };
        self.scope_watchers
            .retain(|(_, tx)| tx.send(event.clone()).is_ok());
        if let Some(w) = self.group_watchers.get_mut(&group) {
            w.retain(|(_, tx)| tx.send(event.clone()).is_ok());
            if w.is_empty() {
                self.group_watchers.remove(&group);
            }
        }
    }

    fn view_add(&mut self, group: &Term, pids: &[Pid], local: bool) {
        if pids.is_empty() {
            return;
        }
        {
            let mut v = lock(&self.shared.view);
            let m = v.groups.entry(group.clone()).or_default();
            m.all.extend_from_slice(pids);
            if local {
                m.local.extend_from_slice(pids);
            }
        }
        self.notify(PgEvent::Join {
            group: group.clone(),
            pids: pids.to_vec(),
        });
    }

    fn view_remove(&mut self, group: &Term, pids: &[Pid], local: bool) {
        if pids.is_empty() {
            return;
        }
        {
            let mut v = lock(&self.shared.view);
            if let Some(m) = v.groups.get_mut(group) {
                for p in pids {
                    remove_one(&mut m.all, p);
                    if local {
                        remove_one(&mut m.local, p);
                    }
                }
                if m.all.is_empty() {
                    v.groups.remove(group);
                }
            }
        }
        self.notify(PgEvent::Leave {
            group: group.clone(),
            pids: pids.to_vec(),
        });
    }

    fn publish_peers(&self) {
        lock(&self.shared.view).peers = self.remote.keys().cloned().collect();
    }

    // ---- API commands ----

    fn command(&mut self, p: &Process, cmd: Cmd) {
        match cmd {
            Cmd::Join { group, pids, reply } => {
                self.join_local(p, group, pids);
                let _ = reply.send(());
            }
            Cmd::Leave { group, pids, reply } => {
                let _ = reply.send(self.leave_local(p, group, pids));
            }
            Cmd::MonitorScope { events, reply } => {
                let id = self.next_watch;
                self.next_watch += 1;
                let snapshot = lock(&self.shared.view)
                    .groups
                    .iter()
                    .map(|(g, m)| (g.clone(), m.all.clone()))
                    .collect();
                self.scope_watchers.push((id, events));
                let _ = reply.send((id, snapshot));
            }
            Cmd::MonitorGroup {
                group,
                events,
                reply,
            } => {
                let id = self.next_watch;
                self.next_watch += 1;
                let members = self.shared.members(&group, false);
                self.group_watchers
                    .entry(group)
                    .or_default()
                    .push((id, events));
                let _ = reply.send((id, members));
            }
            Cmd::Demonitor(id) => {
                self.scope_watchers.retain(|(i, _)| *i != id);
                self.group_watchers.retain(|_, w| {
                    w.retain(|(i, _)| *i != id);
                    !w.is_empty()
                });
            }
            Cmd::Stop(_) => {}
        }
    }

    fn join_local(&mut self, p: &Process, group: Term, pids: Vec<Pid>) {
        if pids.is_empty() {
            return;
        }
        for pid in &pids {
            match self.local.get_mut(pid) {
                Some((_, groups)) => groups.push(group.clone()),
                None => {
                    // A process that is already gone reports DOWN at once, and leaves again.
                    let mref = p.monitor(pid);
                    self.local.insert(pid.clone(), (mref, vec![group.clone()]));
                }
            }
        }
        self.view_add(&group, &pids, true);
        let msg = term::tuple(vec![
            term::atom("join"),
            term::pid(&self.me),
            group,
            pid_or_pids(&pids),
        ]);
        self.broadcast(&msg);
    }

    fn leave_local(&mut self, p: &Process, group: Term, pids: Vec<Pid>) -> bool {
        let mut left = Vec::new();
        for pid in &pids {
            let Some((mref, groups)) = self.local.get_mut(pid) else {
                continue;
            };
            let Some(i) = groups.iter().position(|g| *g == group) else {
                continue;
            };
            groups.remove(i);
            if groups.is_empty() {
                p.demonitor(mref);
                self.local.remove(pid);
            }
            left.push(pid.clone());
        }
        if left.is_empty() {
            return false;
        }
        self.view_remove(&group, &left, true);
        // Every peer holds exactly our local memberships (it got our sync before
        // anything else), so this names only a group and members it has.
        let msg = term::tuple(vec![
            term::atom("leave"),
            term::pid(&self.me),
            pid_or_pids(&left),
            term::list(vec![group]),
        ]);
        self.broadcast(&msg);
        true
    }

    // ---- messages from peers and monitors ----

    fn message(&mut self, p: &Process, m: &Term) {
        let Some(t) = term::as_tuple(m) else {
            return self.unexpected(m);
        };
        match t {
            [tag, peer] if term::is_atom(tag, "discover") => self.discover(p, peer),
            // Sent by OTP 28 and later; accepted by OTP 26 and later.
            [tag, peer, _vsn] if term::is_atom(tag, "discover") => self.discover(p, peer),
            [tag, req] if term::is_atom(tag, "$gen_cast") => match term::as_tuple(req) {
                Some([s, peer, groups]) if term::is_atom(s, "sync") => self.sync(p, peer, groups),
                _ => self.unexpected(m),
            },
            [tag, peer, group, pids] if term::is_atom(tag, "join") => {
                self.join_remote(peer, group, pids)
            }
            [tag, peer, pids, groups] if term::is_atom(tag, "leave") => {
                self.leave_remote(peer, pids, groups)
            }
            [tag, mref, kind, pid, _reason]
                if term::is_atom(tag, "DOWN") && term::is_atom(kind, "process") =>
            {
                if let (Term::Reference(r), Some(pid)) = (mref, term::as_pid(pid)) {
                    self.down(p, r, pid);
                }
            }
            _ => self.unexpected(m),
        }
    }

    fn unexpected(&self, m: &Term) {
        tracing::debug!(scope = %self.shared.name.name, "ignoring an unexpected message: {}",
            term::print::inspect(m).escape_debug());
    }

    /// A peer scope pid: a pid of another node.
    /// A peer scope pid: a pid of another node that is connected now (a message
    /// naming a scope elsewhere never makes this node dial out or keep state past
    /// a connection).
    fn peer_pid<'a>(&self, t: &'a Term) -> Option<&'a Pid> {
        term::as_pid(t).filter(|p| {
            p.node.name != self.node.name() && crate::node::peers::is_up(&self.node, &p.node.name)
        })
    }

    fn discover(&mut self, p: &Process, peer: &Term) {
        let Some(peer) = self.peer_pid(peer).cloned() else {
            return self.unexpected(peer);
        };
        self.send_sync(&peer);
        if !self.remote.contains_key(&peer) {
            let mref = p.monitor(&peer);
            let msg = term::tuple(vec![term::atom("discover"), term::pid(&self.me)]);
            self.send_pid(&peer, &msg);
            self.remote.insert(
                peer,
                Peer {
                    mref,
                    groups: HashMap::new(),
                },
            );
            self.publish_peers();
        }
    }

    fn sync(&mut self, p: &Process, peer: &Term, groups: &Term) {
        let Some(peer) = self.peer_pid(peer).cloned() else {
            return self.unexpected(peer);
        };
        let Some(list) = term::as_list(groups) else {
            return self.unexpected(groups);
        };
        let mut new: HashMap<Term, Vec<Pid>> = HashMap::new();
        for entry in &list {
            if let Some([g, pids]) = term::as_tuple(entry)
                && let Some(pids) = members_of(pids, &peer)
            {
                new.entry(term::parse::normalize(g))
                    .or_default()
                    .extend(pids);
            }
        }
        new.retain(|_, pids| !pids.is_empty());
        let old = match self.remote.get_mut(&peer) {
            Some(known) => std::mem::take(&mut known.groups),
            None => {
                let mref = p.monitor(&peer);
                // Our own memberships go to it now: from here on it holds
                // exactly them, so every later join and leave applies cleanly.
                self.send_sync(&peer);
                self.remote.insert(
                    peer.clone(),
                    Peer {
                        mref,
                        groups: HashMap::new(),
                    },
                );
                self.publish_peers();
                HashMap::new()
            }
        };
        for (g, old_pids) in &old {
            let now = new.get(g).map(Vec::as_slice).unwrap_or(&[]);
            let gone = minus(old_pids, now);
            self.view_remove(g, &gone, false);
        }
        for (g, new_pids) in &new {
            let before = old.get(g).map(Vec::as_slice).unwrap_or(&[]);
            let added = minus(new_pids, before);
            self.view_add(g, &added, false);
        }
        if let Some(known) = self.remote.get_mut(&peer) {
            known.groups = new;
        }
    }

    fn join_remote(&mut self, peer: &Term, group: &Term, pids: &Term) {
        let Some(peer) = self.peer_pid(peer).cloned() else {
            return self.unexpected(peer);
        };
        if !self.remote.contains_key(&peer) {
            // A join from a scope we do not know (yet, or any more): its sync covers it.
            return;
        }
        let Some(pids) = members_of(pids, &peer) else {
            return self.unexpected(pids);
        };
        let group = term::parse::normalize(group);
        if let Some(known) = self.remote.get_mut(&peer) {
            known
                .groups
                .entry(group.clone())
                .or_default()
                .extend(pids.iter().cloned());
        }
        self.view_add(&group, &pids, false);
    }

    fn leave_remote(&mut self, peer: &Term, pids: &Term, groups: &Term) {
        let Some(peer) = self.peer_pid(peer).cloned() else {
            return self.unexpected(peer);
        };
        if !self.remote.contains_key(&peer) {
            return;
        }
        let (Some(pids), Some(groups)) = (members_of(pids, &peer), term::as_list(groups)) else {
            return self.unexpected(groups);
        };
        for g in groups {
            let g = term::parse::normalize(&g);
            let Some(known) = self.remote.get_mut(&peer) else {
                return;
            };
            // Unlike OTP's scope, a leave for a group the peer never told us of is ignored.
            let Some(held) = known.groups.get_mut(&g) else {
                continue;
            };
            let mut gone = Vec::new();
            for p in &pids {
                if remove_one(held, p) {
                    gone.push(p.clone());
                }
            }
            if held.is_empty() {
                known.groups.remove(&g);
            }
            self.view_remove(&g, &gone, false);
        }
    }

    fn down(&mut self, p: &Process, mref: &Reference, pid: &Pid) {
        if self.node.is_local(pid) {
            let Some((known, _)) = self.local.get(pid) else {
                return;
            };
            if known != mref {
                return;
            }
            let Some((_, groups)) = self.local.remove(pid) else {
                return;
            };
            for g in &groups {
                self.view_remove(g, std::slice::from_ref(pid), true);
            }
            let msg = term::tuple(vec![
                term::atom("leave"),
                term::pid(&self.me),
                term::pid(pid),
                term::list(groups),
            ]);
            self.broadcast(&msg);
        } else if self.remote.get(pid).is_some_and(|peer| peer.mref == *mref) {
            self.peer_down(p, pid);
        }
    }

    /// A peer scope is gone (its process or its node): its members leave.
    fn peer_down(&mut self, p: &Process, peer: &Pid) {
        let Some(gone) = self.remote.remove(peer) else {
            return;
        };
        p.demonitor(&gone.mref);
        self.publish_peers();
        for (g, pids) in gone.groups {
            self.view_remove(&g, &pids, false);
        }
    }

    fn node_down_peers(&self, node: &str) -> Vec<Pid> {
        self.remote
            .keys()
            .filter(|p| p.node.name == node)
            .cloned()
            .collect()
    }

    fn node_down(&mut self, node: &str) {
        // The monitors report noconnection too; acting on the node-down as well
        // keeps the view right even if a DOWN were lost with the connection.
        let gone = self.node_down_peers(node);
        if gone.is_empty() {
            return;
        }
        for peer in gone {
            if let Some(g) = self.remote.remove(&peer) {
                for (group, pids) in g.groups {
                    self.view_remove(&group, &pids, false);
                }
            }
        }
        self.publish_peers();
    }
}

/// A pid or a list of pids, as a peer names members: only its own node's pids count.
fn members_of(t: &Term, peer: &Pid) -> Option<Vec<Pid>> {
    let own = |p: &Pid| p.node == peer.node;
    match t {
        Term::Pid(p) => Some(if own(p) { vec![p.clone()] } else { Vec::new() }),
        _ => term::as_list(t).map(|l| {
            l.iter()
                .filter_map(term::as_pid)
                .filter(|p| own(p))
                .cloned()
                .collect()
        }),
    }
}

fn pid_or_pids(pids: &[Pid]) -> Term {
    match pids {
        [one] => term::pid(one),
        many => term::list(many.iter().map(term::pid).collect()),
    }
}

fn remove_one(v: &mut Vec<Pid>, p: &Pid) -> bool {
    match v.iter().position(|x| x == p) {
        Some(i) => {
            v.swap_remove(i);
            true
        }
        None => false,
    }
}

/// `a -- b` on lists of pids (each element of `b` removes one occurrence).
fn minus(a: &[Pid], b: &[Pid]) -> Vec<Pid> {
    let mut out = a.to_vec();
    for p in b {
        remove_one(&mut out, p);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pid(node: &str, id: u32) -> Pid {
        Pid::new(node, id, 0, 1)
    }

    #[test]
    fn list_difference_removes_one_occurrence_per_element() {
        let (a, b) = (pid("a@h", 1), pid("a@h", 2));
        let mut got = minus(&[a.clone(), a.clone(), b.clone()], std::slice::from_ref(&a));
        got.sort_by_key(|p| p.id);
        assert_eq!(got, vec![a.clone(), b.clone()]);
        assert!(minus(std::slice::from_ref(&a), &[a.clone(), b]).is_empty());
    }

    #[test]
    fn a_peer_names_only_its_own_pids() {
        let peer = pid("a@h", 50);
        let mine = pid("a@h", 7);
        let other = pid("b@h", 7);
        let list = term::list(vec![
            term::pid(&mine),
            term::pid(&other),
            term::atom("junk"),
        ]);
        assert_eq!(members_of(&list, &peer), Some(vec![mine.clone()]));
        assert_eq!(members_of(&term::pid(&other), &peer), Some(vec![]));
        assert_eq!(members_of(&term::atom("x"), &peer), None);
        assert_eq!(pid_or_pids(std::slice::from_ref(&mine)), term::pid(&mine));
    }
}
