//! The global name and lock tables (OTP's `global_names`, `global_names_ext`, `global_locks`): written by the name server, read by everyone.

use super::order::canon;
use super::wire::{ExtEntry, LockId, RegEntry};
use eetf::{Pid, Reference, Term};

#[derive(Debug, Clone)]
pub(super) struct NameEntry {
    /// `canon(name)`, the key.
    pub key: Term,
    pub entry: RegEntry,
    /// Our monitor on the registered process.
    pub mref: Reference,
}

#[derive(Debug, Clone)]
pub(super) struct Lock {
    /// `canon(resource)`, the key.
    pub key: Term,
    pub resource: Term,
    pub requester: Term,
    /// The processes holding the lock, with our monitor on each.
    pub holders: Vec<(Pid, Reference)>,
}

/// Small tables, scanned linearly: terms holding maps cannot be hashed
/// reliably, and a node registers few global names.
#[derive(Debug, Default)]
pub(super) struct Tables {
    pub names: Vec<NameEntry>,
    pub names_ext: Vec<(Term, ExtEntry)>,
    pub locks: Vec<Lock>,
}

impl Tables {
    pub fn name(&self, name: &Term) -> Option<&NameEntry> {
        let k = canon(name);
        self.names.iter().find(|e| e.key == k)
    }

    pub fn remove_name(&mut self, name: &Term) -> Option<NameEntry> {
        let k = canon(name);
        let i = self.names.iter().position(|e| e.key == k)?;
        Some(self.names.swap_remove(i))
    }

    pub fn insert_name(&mut self, entry: RegEntry, mref: Reference) {
        let key = canon(&entry.name);
        self.names.retain(|e| e.key != key);
        self.names.push(NameEntry { key, entry, mref });
    }

    /// The name whose monitor is `mref`.
    pub fn name_by_ref(&self, mref: &Reference) -> Option<Term> {
        self.names
            .iter()
            .find(|e| &e.mref == mref)
            .map(|e| e.entry.name.clone())
    }

    pub fn names_of_pid(&self, pid: &Pid) -> Vec<Term> {
        self.names
            .iter()
            .filter(|e| &e.entry.pid == pid)
            .map(|e| e.entry.name.clone())
            .collect()
    }

    /// Every registration, as an exchange sends them.
    pub fn entries(&self) -> Vec<RegEntry> {
        self.names.iter().map(|e| e.entry.clone()).collect()
    }

    pub fn ext(&self, name: &Term) -> Option<&ExtEntry> {
        let k = canon(name);
        self.names_ext
            .iter()
            .find(|(key, _)| *key == k)
            .map(|(_, e)| e)
    }

    pub fn remove_ext(&mut self, name: &Term) -> Option<ExtEntry> {
        let k = canon(name);
        let i = self.names_ext.iter().position(|(key, _)| *key == k)?;
        Some(self.names_ext.swap_remove(i).1)
    }

    pub fn insert_ext(&mut self, e: ExtEntry) {
        let key = canon(&e.name);
        self.names_ext.retain(|(k, _)| *k != key);
        self.names_ext.push((key, e));
    }

    pub fn ext_entries(&self) -> Vec<ExtEntry> {
        self.names_ext.iter().map(|(_, e)| e.clone()).collect()
    }

    pub fn lock(&self, resource: &Term) -> Option<&Lock> {
        let k = canon(resource);
        self.locks.iter().find(|l| l.key == k)
    }

    pub fn lock_mut(&mut self, resource: &Term) -> Option<&mut Lock> {
        let k = canon(resource);
        self.locks.iter_mut().find(|l| l.key == k)
    }

    pub fn remove_lock(&mut self, resource: &Term) -> Option<Lock> {
        let k = canon(resource);
        let i = self.locks.iter().position(|l| l.key == k)?;
        Some(self.locks.swap_remove(i))
    }

    /// `can_set_lock/1`: `Some(holders)` when `id` may be taken (free, or held
    /// by the same requester), `None` when someone else holds the resource.
    pub fn can_set_lock(&self, id: &LockId) -> Option<Vec<(Pid, Reference)>> {
        match self.lock(&id.resource) {
            None => Some(Vec::new()),
            Some(l) if canon(&l.requester) == canon(&id.requester) => Some(l.holders.clone()),
            Some(_) => None,
        }
    }

    pub fn is_global_lock_set(&self) -> bool {
        self.lock(&crate::term::atom("global")).is_some()
    }

    /// Locks one of whose holders we watch with `mref`.
    pub fn locks_by_ref(&self, mref: &Reference) -> Vec<Lock> {
        self.locks
            .iter()
            .filter(|l| l.holders.iter().any(|(_, r)| r == mref))
            .cloned()
            .collect()
    }

    /// Whether `pid` holds some lock.
    pub fn pid_holds_lock(&self, pid: &Pid) -> bool {
        self.locks
            .iter()
            .any(|l| l.holders.iter().any(|(p, _)| p == pid))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::term;

    fn pid(id: u32) -> Pid {
        Pid {
            node: eetf::Atom::from("a@b"),
            id,
            serial: 0,
            creation: 1,
        }
    }

    fn mref(n: u32) -> Reference {
        Reference {
            node: eetf::Atom::from("a@b"),
            id: vec![n, 0, 0],
            creation: 1,
        }
    }

    #[test]
    fn names_by_any_spelling() {
        let mut t = Tables::default();
        let name = Term::ByteList(eetf::ByteList::from(b"ab"));
        t.insert_name(
            RegEntry {
                name: name.clone(),
                pid: pid(1),
                method: term::atom("m"),
            },
            mref(1),
        );
        let other = term::list(vec![term::int(97), term::int(98)]);
        assert!(t.name(&other).is_some());
        assert_eq!(t.name_by_ref(&mref(1)), Some(name.clone()));
        assert_eq!(t.names_of_pid(&pid(1)).len(), 1);
        assert!(t.remove_name(&other).is_some());
        assert!(t.names.is_empty());
    }

    #[test]
    fn locks_follow_the_requester() {
        let mut t = Tables::default();
        let id = LockId::global(term::int(1));
        assert_eq!(t.can_set_lock(&id), Some(vec![]));
        t.locks.push(Lock {
            key: canon(&id.resource),
            resource: id.resource.clone(),
            requester: id.requester.clone(),
            holders: vec![(pid(1), mref(1))],
        });
        assert!(t.is_global_lock_set());
        assert_eq!(t.can_set_lock(&id).map(|h| h.len()), Some(1));
        assert_eq!(t.can_set_lock(&LockId::global(term::int(2))), None);
        assert_eq!(t.locks_by_ref(&mref(1)).len(), 1);
        assert!(t.pid_holds_lock(&pid(1)));
    }
}
