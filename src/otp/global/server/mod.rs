//! The `global_name_server` process: node up/down, the init_connect / exchange / resolved handshake with each new node, name and lock tables, sync.

use super::calls::GNS;
use super::locker::LockerMsg;
use super::order::same;
use super::tables::Tables;
use super::wire::{self, CallReq, ExtEntry, Incoming, KnownNode, Op, RegEntry};
use crate::node::{Node, NodeEvent, Process, lock};
use crate::otp::gen_reply;
use crate::proto::control::Control;
use crate::term;
use eetf::{Atom, Pid, Reference, Term};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::{broadcast, mpsc, oneshot};
use tokio::task::AbortHandle;

mod connect;
mod known;
mod locks;
mod names;

/// What the name server's own helpers (API, locker, resolvers) tell it.
pub(super) enum Cmd {
    Sync {
        nodes: Option<Vec<String>>,
        reply: oneshot::Sender<()>,
    },
    /// The locker holds `{global, [L1, L2]}` for `node`: exchange names.
    LockIsSet {
        node: String,
        tag: Term,
        lock_id: Term,
    },
    /// A resolver is done with the names `node` sent.
    ExchangeOps {
        node: String,
        tag: Term,
        ops: Vec<Op>,
        resolved: Vec<Op>,
    },
    /// A node we were told to sync with could not be reached.
    ExtraNodedown(String),
    WhereisAgain {
        name: Term,
        from: Term,
    },
    /// Another look at a name whose monitor saw noconnection before its node
    /// was ever up here.
    Remonitor {
        name: Term,
        mref: Reference,
    },
}

enum WaitLock {
    LockIsSet,
    Exchange(Vec<RegEntry>),
}

enum SaveOps {
    Ops(Vec<Op>),
    Resolved {
        his_known: Vec<KnownNode>,
        names_ext: Vec<ExtEntry>,
        his_resolved: Vec<Op>,
    },
}

/// What global keeps per node in its process dictionary while connecting.
#[derive(Default)]
struct PerNode {
    my_tag: Option<Term>,
    his_tag: Option<Term>,
    prot_vsn: Option<i64>,
    wait_lock: Option<WaitLock>,
    save_ops: Option<SaveOps>,
    pre_connect: Option<(Term, Term)>,
    lock_id: Option<Term>,
}

struct Resolver {
    tag: Term,
    task: Option<AbortHandle>,
}

enum SyncReply {
    Rust(oneshot::Sender<()>),
    Call(Term),
}

struct Syncer {
    waiting: BTreeSet<String>,
    reply: Option<SyncReply>,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum NodeDown {
    Disconnected,
    RemoveConnection,
}

/// Who asked for a name to be inserted: a registrar (by pid) or a node
/// passing on the ops of an exchange (with its ExtraInfo).
enum Origin<'a> {
    Pid(&'a Pid),
    Exchange(&'a Term),
}

/// How long `sync_others` keeps trying to reach a node it was told about.
const SYNC_OTHER_PATIENCE: Duration = Duration::from_secs(7);

/// How long a lost_connection report is remembered (OTP: one hour).
const LOST_CONNECTION_TTL: Duration = Duration::from_secs(3600);

pub(super) struct Server {
    node: Node,
    me: Pid,
    tables: Arc<Mutex<Tables>>,
    locker: mpsc::UnboundedSender<LockerMsg>,
    locker_pid: Pid,
    cmd: mpsc::UnboundedSender<Cmd>,
    known: BTreeMap<String, i64>,
    pending: BTreeMap<String, i64>,
    removing: BTreeSet<String>,
    /// Visible nodes with a connection up, as this server has heard of them.
    visible: BTreeSet<String>,
    synced: Vec<String>,
    resolvers: HashMap<String, Resolver>,
    syncers: Vec<Syncer>,
    per_node: HashMap<String, PerNode>,
    global_lock_down: bool,
    connect_all: bool,
    prevent_over_part: bool,
    lost: HashMap<(String, String), (Term, i64, Instant)>,
    next_tag: i64,
    next_op: i64,
    xcreation: i64,
}

impl Server {
    pub fn new(
        node: &Node,
        me: Pid,
        tables: Arc<Mutex<Tables>>,
        locker: mpsc::UnboundedSender<LockerMsg>,
        locker_pid: Pid,
        cmd: mpsc::UnboundedSender<Cmd>,
    ) -> Self {
        // OTP: a random 60-bit creation extension with the low 32 bits clear,
        // plus the node's creation, offset to be positive.
        let ext = (rand::random::<i64>() >> 5) & !0xffff_ffff;
        Server {
            node: node.clone(),
            me,
            tables,
            locker,
            locker_pid,
            cmd,
            known: BTreeMap::new(),
            pending: BTreeMap::new(),
            removing: BTreeSet::new(),
            visible: BTreeSet::new(),
            synced: Vec::new(),
            resolvers: HashMap::new(),
            syncers: Vec::new(),
            per_node: HashMap::new(),
            global_lock_down: false,
            connect_all: true,
            prevent_over_part: true,
            lost: HashMap::new(),
            next_tag: 1,
            next_op: 1,
            xcreation: ext
                .saturating_add(i64::from(node.creation()))
                .saturating_add(1 << 59),
        }
    }

    fn name(&self) -> &str {
        self.node.name()
    }

    pub async fn run(
        mut self,
        mut p: Process,
        mut cmds: mpsc::UnboundedReceiver<Cmd>,
        mut events: Option<broadcast::Receiver<NodeEvent>>,
    ) -> Term {
        p.trap_exit(true);
        if events.is_some() {
            for n in self.node.nodes() {
                self.nodeup(n);
            }
        }
        loop {
            tokio::select! {
                biased;
                ev = next_event(&mut events) => match ev {
                    Ok(NodeEvent::Up { node, hidden: false }) => self.nodeup(node),
                    Ok(NodeEvent::Up { .. }) => {}
                    Ok(NodeEvent::Down { node, .. }) => self.nodedown(&node),
                    Err(broadcast::error::RecvError::Lagged(n)) => {
                        tracing::warn!("global: missed {n} node events; re-reading the node list");
                        self.resync_nodes();
                    }
                    Err(broadcast::error::RecvError::Closed) => events = None,
                },
                Some(cmd) = cmds.recv() => self.handle_cmd(cmd),
                msg = p.receive() => match msg {
                    Ok(m) => self.handle_msg(&m),
                    Err(_) => break,
                },
            }
        }
        term::atom("normal")
    }

    fn resync_nodes(&mut self) {
        let now: BTreeSet<String> = self.node.nodes().into_iter().collect();
        let gone: Vec<String> = self.visible.difference(&now).cloned().collect();
        for n in gone {
            self.nodedown(&n);
        }
        let new: Vec<String> = now.difference(&self.visible).cloned().collect();
        for n in new {
            self.nodeup(n);
        }
    }

    // ---- sending ----------------------------------------------------------

    /// To `{global_name_server, node}`; `connect` as gen_server:cast does,
    /// without it as OTP's "volatile" sends (noconnect).
    fn send_gns(&self, node: &str, msg: Term, connect: bool) {
        if node == self.name() {
            self.node.send_local_named(GNS, msg);
            return;
        }
        let ctl = Control::RegSend {
            from: self.me.clone(),
            to: Atom::from(GNS),
        };
        crate::node::connection::send_control(&self.node, node, &ctl, Some(&msg), connect);
    }

    fn pn(&mut self, node: &str) -> &mut PerNode {
        self.per_node.entry(node.to_owned()).or_default()
    }

    fn my_tag(&self, node: &str) -> Option<Term> {
        self.per_node.get(node).and_then(|p| p.my_tag.clone())
    }

    fn tag_matches(&self, node: &str, tag: &Term) -> bool {
        self.my_tag(node).is_some_and(|t| same(&t, tag))
    }

    fn new_tag(&mut self) -> Term {
        self.next_tag += 1;
        term::int(self.next_tag)
    }

    // ---- node up / down ---------------------------------------------------

    fn nodeup(&mut self, node: String) {
        if node == self.name() {
            return;
        }
        self.visible.insert(node.clone());
        if self.connect_all {
            self.handle_nodeup(&node);
        }
    }

    fn nodedown(&mut self, node: &str) {
        if !self.visible.remove(node) {
            return;
        }
        for s in &mut self.syncers {
            s.waiting.remove(node);
        }
        self.finish_syncers();
        self.handle_nodedown(node, NodeDown::Disconnected);
    }

    fn handle_nodeup(&mut self, node: &str) {
        if self.known.contains_key(node) || self.resolvers.contains_key(node) {
            return;
        }
        let pre = self.pn(node).pre_connect.take();
        let tag = self.new_tag();
        self.pn(node).my_tag = Some(tag.clone());
        let known = Term::Map(eetf::Map::from(
            self.known
                .iter()
                .map(|(n, v)| (term::atom(n), term::int(*v)))
                .collect::<HashMap<_, _>>(),
        ));
        let msg = wire::init_connect(&tag, self.name(), known, &self.locker_pid);
        tracing::debug!(%node, "global: init_connect");
        self.send_gns(node, msg, true);
        self.resolvers
            .insert(node.to_owned(), Resolver { tag, task: None });
        if let Some((vsn, init_msg)) = pre {
            self.on_init_connect(vsn, node.to_owned(), init_msg);
        }
    }

    fn handle_nodedown(&mut self, node: &str, what: NodeDown) {
        tracing::debug!(%node, ?what, "global: node down");
        let tag = self.my_tag(node);
        self.cancel_locker(node, tag, Vec::new());
        let _ = self
            .locker
            .send(LockerMsg::RemoveFromKnown(node.to_owned()));
        self.reset_node_state(node);
        match what {
            NodeDown::RemoveConnection => {
                self.removing.insert(node.to_owned());
            }
            NodeDown::Disconnected => {
                if !self.removing.remove(node) {
                    self.inform_connection_loss(node);
                }
            }
        }
        self.pending.remove(node);
        self.known.remove(node);
        self.synced.retain(|n| n != node);
    }

    fn inform_connection_loss(&mut self, node: &str) {
        if !(self.connect_all && self.prevent_over_part) {
            return;
        }
        self.next_op += 1;
        let msg = term::tuple(vec![
            term::atom("lost_connection"),
            term::atom(self.name()),
            term::int(self.xcreation),
            term::int(self.next_op),
            term::atom(node),
        ]);
        self.volatile_multicast(&msg, node);
    }

    /// To every known or pending node of version 7 or later but `ignore`.
    fn volatile_multicast(&self, msg: &Term, ignore: &str) {
        let targets: BTreeSet<&String> = self
            .known
            .iter()
            .chain(self.pending.iter())
            .filter(|(n, v)| n.as_str() != ignore && **v >= 7)
            .map(|(n, _)| n)
            .collect();
        for n in targets {
            self.send_gns(n, msg.clone(), false);
        }
    }

    fn reset_node_state(&mut self, node: &str) {
        self.per_node.remove(node);
    }

    /// Tells the locker to stop dealing with `node`, kills its resolver, and
    /// cancels the peer's half if it is pending.
    fn cancel_locker(&mut self, node: &str, tag: Option<Term>, then: Vec<(String, Term)>) {
        let _ = self.locker.send(LockerMsg::Cancel {
            node: node.to_owned(),
            tag: tag.clone(),
            then,
        });
        self.send_cancel_connect(node, tag.as_ref());
        let stale = match (self.resolvers.get(node), &tag) {
            (Some(r), Some(t)) => same(&r.tag, t),
            _ => false,
        };
        if stale
            && let Some(r) = self.resolvers.remove(node)
            && let Some(task) = r.task
        {
            task.abort();
        }
    }

    fn send_cancel_connect(&self, node: &str, my_tag: Option<&Term>) {
        match self.pending.get(node) {
            Some(v) if *v >= 8 => {}
            _ => return,
        }
        let current = self.per_node.get(node).and_then(|p| p.my_tag.as_ref());
        match (current, my_tag) {
            (Some(a), Some(b)) if same(a, b) => {}
            _ => return,
        }
        let his = self
            .per_node
            .get(node)
            .and_then(|p| p.his_tag.clone())
            .unwrap_or_else(|| term::atom("undefined"));
        self.send_gns(node, wire::cancel_connect(self.name(), &his), false);
    }

    fn restart_connect(&mut self, node: &str, my_tag: Option<Term>) {
        self.cancel_locker(node, my_tag.clone(), Vec::new());
        self.reset_node_state(node);
        self.pending.remove(node);
        if my_tag.as_ref().is_some_and(|t| term::as_int(t).is_some()) {
            self.handle_nodeup(node);
        }
    }

    // ---- commands from our helpers ----------------------------------------

    fn handle_cmd(&mut self, cmd: Cmd) {
        match cmd {
            Cmd::Sync { nodes, reply } => {
                let nodes = nodes.unwrap_or_else(|| self.visible.iter().cloned().collect());
                self.start_sync(nodes, SyncReply::Rust(reply));
            }
            Cmd::LockIsSet { node, tag, lock_id } => {
                if self.tag_matches(&node, &tag) {
                    self.lock_is_set(&node, lock_id);
                } else {
                    self.cancel_locker(&node, Some(tag), Vec::new());
                }
            }
            Cmd::ExchangeOps {
                node,
                tag,
                ops,
                resolved,
            } => self.on_exchange_ops(&node, &tag, ops, resolved),
            Cmd::ExtraNodedown(node) => {
                for s in &mut self.syncers {
                    s.waiting.remove(&node);
                }
                self.finish_syncers();
                self.handle_nodedown(&node, NodeDown::Disconnected);
            }
            Cmd::WhereisAgain { name, from } => self.do_whereis(name, from),
            Cmd::Remonitor { name, mref } => self.remonitor(&name, &mref),
        }
    }

    fn start_sync(&mut self, nodes: Vec<String>, reply: SyncReply) {
        let waiting: BTreeSet<String> = nodes
            .into_iter()
            .filter(|n| n != self.name() && !self.synced.contains(n) && self.visible.contains(n))
            .collect();
        self.syncers.push(Syncer {
            waiting,
            reply: Some(reply),
        });
        self.finish_syncers();
    }

    fn synced_nodes(&mut self, nodes: &[String]) {
        for s in &mut self.syncers {
            for n in nodes {
                s.waiting.remove(n);
            }
        }
        self.finish_syncers();
    }

    fn finish_syncers(&mut self) {
        let node = self.node.clone();
        self.syncers.retain_mut(|s| {
            if !s.waiting.is_empty() {
                return true;
            }
            match s.reply.take() {
                Some(SyncReply::Rust(tx)) => {
                    let _ = tx.send(());
                }
                Some(SyncReply::Call(from)) => gen_reply(&node, GNS, &from, term::atom("ok")),
                None => {}
            }
            false
        });
    }

    // ---- messages ---------------------------------------------------------

    fn handle_msg(&mut self, msg: &Term) {
        let parsed = match wire::parse(msg) {
            Ok(p) => p,
            Err(e) => {
                tracing::warn!("global_name_server: {e}");
                return;
            }
        };
        match parsed {
            Incoming::Call {
                from,
                from_pid,
                req,
            } => self.handle_call(from, &from_pid, req),
            Incoming::InitConnect {
                vsn,
                node,
                init_msg,
            } => self.on_init_connect(vsn, node, init_msg),
            Incoming::LockSet(ls) => {
                let node = ls.pid.node.name.clone();
                let forward = match &ls.tag {
                    Some(t) => self.tag_matches(&node, t),
                    None => true,
                };
                if forward {
                    let _ = self.locker.send(LockerMsg::LockSet(ls));
                }
            }
            Incoming::Exchange { node, names, tag } => {
                if self.tag_matches(&node, &tag) {
                    self.exchange(&node, names);
                } else {
                    self.cancel_locker(&node, Some(tag), Vec::new());
                }
            }
            Incoming::Resolved {
                node,
                his_resolved,
                his_known,
                names_ext,
                tag,
            } => {
                if !self.tag_matches(&node, &tag) {
                    self.cancel_locker(&node, Some(tag), Vec::new());
                    return;
                }
                match self.pn(&node).save_ops.take() {
                    Some(SaveOps::Ops(ops)) => {
                        self.pn(&node).save_ops = Some(SaveOps::Ops(ops));
                        self.resolved(&node, his_resolved, his_known, names_ext);
                    }
                    _ => {
                        self.pn(&node).save_ops = Some(SaveOps::Resolved {
                            his_known,
                            names_ext,
                            his_resolved,
                        });
                    }
                }
            }
            Incoming::NewNodes {
                node,
                ops,
                names_ext,
                nodes,
                extra_info,
            } => {
                let added = self.add_to_known(&nodes);
                self.sync_others(&added);
                self.do_ops(&ops, &extra_info, &names_ext);
                tracing::debug!(from = %node, ?added, "global: new_nodes");
                let _ = self.locker.send(LockerMsg::AddToKnown(added));
            }
            Incoming::InSync { node } => {
                self.synced_nodes(std::slice::from_ref(&node));
                if !self.synced.contains(&node) {
                    self.synced.push(node.clone());
                }
                self.pending.remove(&node);
                let tag = self.my_tag(&node);
                self.cancel_locker(&node, tag, Vec::new());
                self.reset_node_state(&node);
            }
            Incoming::Obsolete | Incoming::Exit => {}
            Incoming::InitConnectAck {
                node,
                his_my_tag,
                his_his_tag,
            } => {
                let mine = self.my_tag(&node);
                let his = self.per_node.get(&node).and_then(|p| p.his_tag.clone());
                let ok = mine.as_ref().is_some_and(|m| same(m, &his_my_tag))
                    && his.as_ref().is_some_and(|h| same(h, &his_his_tag));
                if !ok {
                    self.send_gns(
                        &node,
                        wire::cancel_connect(self.name(), &his_his_tag),
                        false,
                    );
                    self.restart_connect(&node, mine);
                }
            }
            Incoming::CancelConnect { node, tag } => {
                if self.tag_matches(&node, &tag) {
                    self.cancel_locker(&node, Some(tag.clone()), Vec::new());
                    self.reset_node_state(&node);
                    self.pending.remove(&node);
                    self.restart_connect(&node, Some(tag));
                }
            }
            Incoming::LostConnection {
                node_a,
                xcreation,
                op_id,
                node_b,
            } => self.on_lost_connection(msg, node_a, xcreation, op_id, node_b),
            Incoming::RemoveConnection { node } => {
                if self.is_potentially_known(&node) {
                    tracing::warn!(
                        "'global' at node {} was asked by {node} to disconnect from it in order to prevent overlapping partitions",
                        self.name()
                    );
                    self.handle_nodedown(&node, NodeDown::RemoveConnection);
                    self.node.disconnect(&node);
                }
            }
            Incoming::Whereis { name, from } => self.do_whereis(name, from),
            Incoming::PrepareShutdown { from, reference } => {
                self.connect_all = false;
                self.prevent_over_part = false;
                self.node
                    .send(&from, term::tuple(vec![reference, term::atom("ok")]));
            }
            Incoming::Down { reference, reason } => {
                self.delete_lock_by_ref(&reference);
                if term::is_atom(&reason, "noconnection") && self.defer_name_down(&reference) {
                    return;
                }
                self.del_name_by_ref(&reference);
            }
        }
    }

    fn handle_call(&mut self, from: Term, from_pid: &Pid, req: CallReq) {
        let reply = match req {
            CallReq::Register(e) => {
                self.ins_name(e, &Origin::Pid(from_pid));
                term::atom("yes")
            }
            CallReq::Unregister(name) => {
                self.delete_global_name(&name);
                term::atom("ok")
            }
            CallReq::RegisterExt { entry, reg_node } => {
                self.ins_name_ext(entry, reg_node, &Origin::Pid(from_pid));
                term::atom("yes")
            }
            CallReq::SetLock(id) => term::atom(if self.handle_set_lock(&id, from_pid) {
                "true"
            } else {
                "false"
            }),
            CallReq::DelLock(id) => {
                self.handle_del_lock(&id, from_pid);
                term::atom("true")
            }
            CallReq::GetKnown => self.known_list(0),
            CallReq::GetSynced => term::list(self.synced.iter().map(|n| term::atom(n)).collect()),
            CallReq::GetProtocolVersion => term::int(wire::VSN),
            CallReq::GetNamesExt => term::list(
                lock(&self.tables)
                    .ext_entries()
                    .iter()
                    .map(wire::ext_term)
                    .collect(),
            ),
            CallReq::Sync(nodes) => {
                self.start_sync(nodes, SyncReply::Call(from));
                return;
            }
            CallReq::Unsupported(req) => {
                tracing::warn!(
                    "The global_name_server received an unexpected message: handle_call({}, {}, _)",
                    crate::term::print::shown(&req, self.name()).escape_debug(),
                    crate::term::print::shown(&from, self.name()).escape_debug()
                );
                return;
            }
        };
        gen_reply(&self.node, GNS, &from, reply);
    }
}

async fn next_event(
    events: &mut Option<broadcast::Receiver<NodeEvent>>,
) -> Result<NodeEvent, broadcast::error::RecvError> {
    match events {
        Some(rx) => rx.recv().await,
        None => std::future::pending().await,
    }
}
