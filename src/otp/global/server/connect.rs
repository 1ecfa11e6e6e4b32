//! The global name servers' connection handshake with a new node: init_connect, lock_is_set, exchange, resolved, and lost connections.

use super::*;
use crate::node::lock;
use crate::otp::gen_reply;
use crate::otp::global::calls::GNS;
use crate::otp::global::locker::{Him, LockerMsg};
use crate::otp::global::order::same;
use crate::otp::global::registrar::random_sleep;
use crate::otp::global::resolve;
use crate::otp::global::wire::{self, ExtEntry, KnownNode, Op, RegEntry};
use crate::proto::control::Control;
use crate::term;
use eetf::{Atom, Term};
use std::time::{Duration, Instant};

impl Server {
    pub(super) fn on_init_connect(&mut self, vsn: Term, node: String, init_msg: Term) {
        let Some((v, his_vsn, his_tag)) = wire::init_connect_vsn(&vsn) else {
            tracing::info!("Illegal global protocol version {vsn} Node: {node}");
            return;
        };
        if !self.visible.contains(&node) {
            tracing::warn!(
                "global: init_connect from {node}, not a connected visible node; ignored"
            );
            return;
        }
        if self.pending.contains_key(&node) {
            if his_vsn < 8 {
                tracing::error!(
                    "'global' at node {} got an out of sync connection attempt from old version {his_vsn} node {node}",
                    self.name()
                );
                return;
            }
            self.send_gns(&node, wire::cancel_connect(self.name(), &his_tag), false);
            let old = self.my_tag(&node);
            self.restart_connect(&node, old);
        }
        {
            let pn = self.pn(&node);
            pn.prot_vsn = Some(v);
            pn.his_tag = Some(his_tag.clone());
        }
        let Some(my_tag) = self.resolvers.get(&node).map(|r| r.tag.clone()) else {
            self.pn(&node).pre_connect = Some((vsn, init_msg));
            return;
        };
        let Some(his_locker) = wire::init_msg_locker(&init_msg) else {
            tracing::warn!("global: init_connect from {node} without a locker: {init_msg}");
            return;
        };
        let _ = self.locker.send(LockerMsg::HisTheLocker(Him {
            node: node.clone(),
            locker: his_locker,
            vsn: v,
            his_tag: his_tag.clone(),
            my_tag: my_tag.clone(),
        }));
        if his_vsn >= 8 {
            self.send_gns(
                &node,
                wire::init_connect_ack(self.name(), &his_tag, &my_tag),
                false,
            );
        }
        self.pending.insert(node, his_vsn);
    }

    pub(super) fn lock_is_set(&mut self, node: &str, lock_id: Term) {
        let names = lock(&self.tables).entries();
        let his = self
            .per_node
            .get(node)
            .and_then(|p| p.his_tag.clone())
            .unwrap_or_else(|| term::atom("undefined"));
        self.send_gns(node, wire::exchange(self.name(), &names, &his), true);
        let pn = self.pn(node);
        pn.lock_id = Some(lock_id);
        match pn.wait_lock.take() {
            Some(WaitLock::Exchange(list)) => {
                pn.wait_lock = Some(WaitLock::LockIsSet);
                self.exchange(node, list);
            }
            _ => pn.wait_lock = Some(WaitLock::LockIsSet),
        }
    }

    pub(super) fn exchange(&mut self, node: &str, names: Vec<RegEntry>) {
        match self.pn(node).wait_lock.take() {
            Some(WaitLock::LockIsSet) => {
                let Some(r) = self.resolvers.get_mut(node) else {
                    tracing::warn!("global: names from {node} with no resolver waiting");
                    return;
                };
                if r.task.is_some() {
                    tracing::warn!("global: a second exchange from {node} ignored");
                    return;
                }
                let tag = r.tag.clone();
                let (n, tables, cmd, peer) = (
                    self.node.clone(),
                    self.tables.clone(),
                    self.cmd.clone(),
                    node.to_owned(),
                );
                let task = tokio::spawn(async move {
                    let (ops, resolved) = resolve::exchange_names(&n, &tables, &peer, names).await;
                    let _ = cmd.send(Cmd::ExchangeOps {
                        node: peer,
                        tag,
                        ops,
                        resolved,
                    });
                });
                r.task = Some(task.abort_handle());
            }
            _ => self.pn(node).wait_lock = Some(WaitLock::Exchange(names)),
        }
    }

    pub(super) fn on_exchange_ops(
        &mut self,
        node: &str,
        tag: &Term,
        ops: Vec<Op>,
        resolved: Vec<Op>,
    ) {
        if !self.tag_matches(node, tag) {
            self.cancel_locker(node, Some(tag.clone()), Vec::new());
            return;
        }
        let known = self.known_list(self.node_vsn(node));
        let his = self
            .per_node
            .get(node)
            .and_then(|p| p.his_tag.clone())
            .unwrap_or_else(|| term::atom("undefined"));
        let ext = lock(&self.tables).ext_entries();
        self.send_gns(
            node,
            wire::resolved(self.name(), &resolved, known, &ext, &his),
            true,
        );
        match self.pn(node).save_ops.take() {
            Some(SaveOps::Resolved {
                his_known,
                names_ext,
                his_resolved,
            }) => {
                self.pn(node).save_ops = Some(SaveOps::Ops(ops));
                self.resolved(node, his_resolved, his_known, names_ext);
            }
            _ => self.pn(node).save_ops = Some(SaveOps::Ops(ops)),
        }
    }

    /// Both halves of the exchange with `node` are in: apply them, tell our
    /// partition, and count `node` as synced.
    pub(super) fn resolved(
        &mut self,
        node: &str,
        his_resolved: Vec<Op>,
        his_known: Vec<KnownNode>,
        names_ext: Vec<ExtEntry>,
    ) {
        let mut ops = match self.pn(node).save_ops.take() {
            Some(SaveOps::Ops(o)) => o,
            _ => Vec::new(),
        };
        ops.extend(his_resolved);
        let mut listed = vec![KnownNode {
            node: node.to_owned(),
            vsn: None,
        }];
        listed.extend(his_known.iter().cloned());
        let new_nodes = self.node_vsn_list(&listed);
        let his_known_nodes: Vec<String> = his_known.iter().map(|k| k.node.clone()).collect();
        self.sync_others(&his_known_nodes);
        let (vsn, lock_id) = self
            .per_node
            .get(node)
            .map(|p| (p.prot_vsn, p.lock_id.clone()))
            .unwrap_or((None, None));
        let extra = wire::extra_info(vsn, lock_id.as_ref());
        self.do_ops(&ops, &extra, &names_ext);
        self.synced_nodes(&[node.to_owned()]);
        for n in &his_known_nodes {
            self.cancel_resolved_locker(n, Vec::new());
        }
        let msg_new = wire::new_nodes(
            self.name(),
            &ops,
            &names_ext,
            term::list(new_nodes.iter().map(wire::known_term).collect()),
            extra.clone(),
        );
        let msg_old = wire::new_nodes(
            self.name(),
            &ops,
            &names_ext,
            term::list(new_nodes.iter().map(|k| term::atom(&k.node)).collect()),
            extra,
        );
        let casts: Vec<(String, Term)> = self
            .known
            .iter()
            .map(|(n, v)| {
                (
                    n.clone(),
                    if *v >= 7 {
                        msg_new.clone()
                    } else {
                        msg_old.clone()
                    },
                )
            })
            .collect();
        self.cancel_resolved_locker(node, casts);
        let added = self.add_to_known(&new_nodes);
        tracing::debug!(%node, ?added, "global: synced");
        let _ = self.locker.send(LockerMsg::AddToKnown(added));
        if !self.synced.iter().any(|n| n == node) {
            self.synced.push(node.to_owned());
        }
    }

    pub(super) fn cancel_resolved_locker(&mut self, node: &str, then: Vec<(String, Term)>) {
        let tag = self.my_tag(node);
        self.pending.remove(node);
        self.cancel_locker(node, tag, then);
        self.reset_node_state(node);
    }

    /// `sync_other/2` for each: make sure we are connected, then tell the
    /// node we are in sync with it.
    pub(super) fn sync_others(&self, nodes: &[String]) {
        for n in nodes {
            if n == self.name() {
                continue;
            }
            let (node, me, cmd, n) = (
                self.node.clone(),
                self.me.clone(),
                self.cmd.clone(),
                n.clone(),
            );
            tokio::spawn(async move {
                // A dial can lose a simultaneous connect (status nok) while the
                // peer's own connection to us is coming up: give it time.
                let deadline = tokio::time::Instant::now() + SYNC_OTHER_PATIENCE;
                let connected = loop {
                    match node.connect(&n).await {
                        Ok(()) => break Ok(()),
                        Err(e) => {
                            tokio::time::sleep(Duration::from_millis(250)).await;
                            if node.nodes().contains(&n) {
                                break Ok(());
                            }
                            if tokio::time::Instant::now() >= deadline {
                                break Err(e);
                            }
                        }
                    }
                };
                match connected {
                    Ok(()) => {
                        let ctl = Control::RegSend {
                            from: me,
                            to: Atom::from(GNS),
                        };
                        crate::node::connection::send_control(
                            &node,
                            &n,
                            &ctl,
                            Some(&wire::in_sync(node.name())),
                            true,
                        );
                    }
                    Err(e) => {
                        tracing::warn!("'global' at {} failed to connect to {n}: {e}", node.name());
                        let _ = cmd.send(Cmd::ExtraNodedown(n));
                    }
                }
            });
        }
    }

    pub(super) fn on_lost_connection(
        &mut self,
        msg: &Term,
        node_a: String,
        xcreation: Term,
        op_id: Term,
        node_b: String,
    ) {
        if !(self.connect_all && self.prevent_over_part) {
            return;
        }
        let Some(op) = term::as_int(&op_id) else {
            tracing::warn!(
                "global: lost_connection with a bad operation id: {}",
                crate::term::print::shown(msg, self.name()).escape_debug()
            );
            return;
        };
        let now = Instant::now();
        self.lost
            .retain(|_, (_, _, at)| now.duration_since(*at) < LOST_CONNECTION_TTL);
        let key = (node_a.clone(), node_b.clone());
        if let Some((x, seen, _)) = self.lost.get(&key)
            && same(x, &xcreation)
            && op <= *seen
        {
            return;
        }
        self.volatile_multicast(msg, &node_a);
        self.lost.insert(key, (xcreation, op, now));
        let rm = if node_b == self.name() {
            node_a
        } else {
            node_b
        };
        if !self.is_potentially_known(&rm) {
            return;
        }
        let vsn = self.node_vsn(&rm);
        let what = if vsn < 7 {
            "cannot disconnect old"
        } else {
            let m = term::tuple(vec![
                term::atom("remove_connection"),
                term::atom(self.name()),
            ]);
            self.send_gns(&rm, m, false);
            "requested disconnect from"
        };
        tracing::warn!(
            "'global' at node {} {what} node {rm} in order to prevent overlapping partitions",
            self.name()
        );
        self.handle_nodedown(&rm, NodeDown::RemoveConnection);
    }

    pub(super) fn is_potentially_known(&self, node: &str) -> bool {
        self.known.contains_key(node) || self.pending.contains_key(node)
    }

    pub(super) fn do_whereis(&mut self, name: Term, from: Term) {
        if lock(&self.tables).is_global_lock_set() {
            let cmd = self.cmd.clone();
            tokio::spawn(async move {
                random_sleep(5).await;
                let _ = cmd.send(Cmd::WhereisAgain { name, from });
            });
            return;
        }
        let r = match crate::otp::global::where_in(&self.node, &self.tables, &name) {
            Some(p) => term::pid(&p),
            None => term::atom("undefined"),
        };
        gen_reply(&self.node, GNS, &from, r);
    }
}
