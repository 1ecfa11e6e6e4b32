//! The global name table: inserting, deleting and looking up names, with the monitors that remove a dead process's names.

use super::*;
use crate::node::lock;
use crate::otp::global::order::same;
use crate::otp::global::wire::{self, ExtEntry, Op, RegEntry};
use crate::proto::control::PidOrName;
use crate::term;
use eetf::{Reference, Term};
use std::time::Duration;

impl Server {
    pub(super) fn do_ops(&mut self, ops: &[Op], extra: &Term, names_ext: &[ExtEntry]) {
        let origin = Origin::Exchange(extra);
        let mut ext_names: Vec<Term> = Vec::new();
        for x in names_ext {
            for op in ops {
                if let Op::Insert(e) = op
                    && same(&e.name, &x.name)
                    && e.pid == x.pid
                {
                    ext_names.push(e.name.clone());
                    self.ins_name_ext(e.clone(), x.reg_node.clone(), &origin);
                }
            }
        }
        for op in ops {
            if let Op::Insert(e) = op
                && !ext_names.iter().any(|n| same(n, &e.name))
            {
                self.ins_name(e.clone(), &origin);
            }
        }
        for op in ops {
            if let Op::Delete(name) = op {
                self.delete_global_name(name);
            }
        }
    }

    pub(super) fn ins_name(&mut self, e: RegEntry, origin: &Origin) {
        self.delete_global_name(&e.name);
        self.insert_global_name(e, origin);
    }

    pub(super) fn ins_name_ext(&mut self, e: RegEntry, reg_node: String, origin: &Origin) {
        self.delete_global_name(&e.name);
        if reg_node == self.name() {
            self.node.link(&self.me, &e.pid);
        }
        lock(&self.tables).insert_ext(ExtEntry {
            name: e.name.clone(),
            pid: e.pid.clone(),
            reg_node,
        });
        self.insert_global_name(e, origin);
    }

    pub(super) fn insert_global_name(&mut self, e: RegEntry, origin: &Origin) {
        let mref = self
            .node
            .monitor(&self.me, PidOrName::Pid(e.pid.clone()), None);
        let name = e.name.clone();
        tracing::debug!(%name, pid = %e.pid, "global: name inserted");
        lock(&self.tables).insert_name(e, mref);
        if !self.lock_still_set(origin) {
            tracing::debug!(%name, "global: the lock is gone; name dropped");
            self.delete_global_name(&name);
        }
    }

    /// Is the lock that covers this insertion still held here?
    pub(super) fn lock_still_set(&self, origin: &Origin) -> bool {
        let t = lock(&self.tables);
        match t.lock(&term::atom("global")) {
            Some(l) => match origin {
                Origin::Pid(p) => l.holders.iter().any(|(h, _)| h == *p),
                Origin::Exchange(extra) => match wire::extra_lock(extra) {
                    Some(id) => match term::as_tuple(&id) {
                        Some([g, req]) if term::is_atom(g, "global") => same(req, &l.requester),
                        _ => false,
                    },
                    None => false,
                },
            },
            None => !self.global_lock_down,
        }
    }

    pub(super) fn delete_global_name(&mut self, name: &Term) {
        let Some(ne) = lock(&self.tables).remove_name(name) else {
            return;
        };
        tracing::debug!(%name, pid = %ne.entry.pid, "global: name deleted");
        self.node.demonitor(&self.me, &ne.mref);
        let ext = {
            let mut t = lock(&self.tables);
            match t.ext(name) {
                Some(x) if x.pid == ne.entry.pid => t.remove_ext(name),
                _ => None,
            }
        };
        if let Some(x) = ext
            && x.reg_node == self.name()
        {
            let busy = {
                let t = lock(&self.tables);
                !t.names_of_pid(&x.pid).is_empty() || t.pid_holds_lock(&x.pid)
            };
            if !busy {
                self.node.unlink(&self.me, &x.pid);
            }
        }
    }

    /// A monitor on a registered process got noconnection although its node
    /// was never up here: our dial lost a simultaneous connect while the
    /// node's own connection to us is still coming (OTP never reports that as
    /// a node-down). Look again once the node is up, or give up after a while.
    pub(super) fn defer_name_down(&mut self, mref: &Reference) -> bool {
        let entry = {
            let t = lock(&self.tables);
            t.names
                .iter()
                .find(|e| &e.mref == mref)
                .map(|e| e.entry.clone())
        };
        let Some(e) = entry else {
            return false;
        };
        let peer = e.pid.node.name.clone();
        if self.node.is_local(&e.pid) || self.visible.contains(&peer) {
            return false;
        }
        let (node, cmd, mref) = (self.node.clone(), self.cmd.clone(), mref.clone());
        tokio::spawn(async move {
            let deadline = tokio::time::Instant::now() + SYNC_OTHER_PATIENCE;
            while !node.nodes().contains(&peer) && tokio::time::Instant::now() < deadline {
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            let _ = cmd.send(Cmd::Remonitor { name: e.name, mref });
        });
        true
    }

    pub(super) fn remonitor(&mut self, name: &Term, old: &Reference) {
        let pid = match lock(&self.tables).name(name) {
            Some(e) if &e.mref == old => e.entry.pid.clone(),
            _ => return,
        };
        if !self.node.nodes().contains(&pid.node.name) {
            self.delete_global_name(name);
            return;
        }
        let mref = self
            .node
            .monitor(&self.me, PidOrName::Pid(pid.clone()), None);
        let mut t = lock(&self.tables);
        if let Some(e) = t.names.iter_mut().find(|e| &e.mref == old) {
            e.mref = mref;
        }
    }

    pub(super) fn del_name_by_ref(&mut self, mref: &Reference) {
        let name = lock(&self.tables).name_by_ref(mref);
        if let Some(name) = name {
            self.delete_global_name(&name);
        }
    }
}
