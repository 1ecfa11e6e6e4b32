//! Global locks: setting and releasing `global:set_lock` locks, and dropping a dead holder's.

use super::*;
use crate::node::lock;
use crate::otp::global::order::same;
use crate::otp::global::tables::Lock;
use crate::otp::global::wire::LockId;
use crate::proto::control::PidOrName;
use crate::term;
use eetf::{Pid, Reference, Term};

impl Server {
    pub(super) fn handle_set_lock(&mut self, id: &LockId, pid: &Pid) -> bool {
        let holders = lock(&self.tables).can_set_lock(id);
        match holders {
            None => false,
            Some(h) if h.iter().any(|(p, _)| p == pid) => true,
            Some(_) => {
                let mref = self
                    .node
                    .monitor(&self.me, PidOrName::Pid(pid.clone()), None);
                let mut t = lock(&self.tables);
                match t.lock_mut(&id.resource) {
                    Some(l) => l.holders.insert(0, (pid.clone(), mref)),
                    None => t.locks.push(Lock {
                        key: crate::otp::global::order::canon(&id.resource),
                        resource: id.resource.clone(),
                        requester: id.requester.clone(),
                        holders: vec![(pid.clone(), mref)],
                    }),
                }
                true
            }
        }
    }

    pub(super) fn handle_del_lock(&mut self, id: &LockId, pid: &Pid) {
        let held = lock(&self.tables)
            .lock(&id.resource)
            .is_some_and(|l| same(&l.requester, &id.requester));
        if held {
            self.remove_lock(&id.resource, pid, false);
        }
    }

    pub(super) fn remove_lock(&mut self, resource: &Term, pid: &Pid, down: bool) {
        let mut t = lock(&self.tables);
        let Some(l) = t.lock_mut(resource) else {
            return;
        };
        if l.holders.len() == 1 && l.holders[0].0 == *pid {
            let mref = l.holders[0].1.clone();
            t.remove_lock(resource);
            drop(t);
            self.node.demonitor(&self.me, &mref);
            if term::is_atom(resource, "global") {
                self.global_lock_down = down;
            }
        } else if let Some(i) = l.holders.iter().position(|(p, _)| p == pid) {
            let (_, mref) = l.holders.remove(i);
            drop(t);
            self.node.demonitor(&self.me, &mref);
        }
    }

    pub(super) fn delete_lock_by_ref(&mut self, mref: &Reference) {
        let locks = lock(&self.tables).locks_by_ref(mref);
        for l in locks {
            if let Some((pid, _)) = l.holders.iter().find(|(_, r)| r == mref) {
                self.remove_lock(&l.resource, &pid.clone(), true);
            }
        }
    }
}
