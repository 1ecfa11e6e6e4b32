//! The process table: local pids, their mailboxes, registered names, links and monitors.
//!
//! Links and monitors are changed only through [`ProcessTable`]'s methods, which keep
//! count of those naming processes of other nodes ([`Ties`]): what the node holds on
//! behalf of each remote pid and each peer, checked against
//! `NodeBuilder::max_signals_per_remote_pid` and `max_signals_per_peer`.

use crate::proto::control::PidOrName;
use eetf::{Atom, Pid, Reference};
use std::collections::{HashMap, HashSet};
use tokio::task::AbortHandle;

/// One monitor held on a local process by some (local or remote) watcher.
#[derive(Debug, Clone)]
pub(crate) struct MonitorOnMe {
    pub watcher: Pid,
    /// How the watcher named us: the DOWN message names us the same way.
    pub target: PidOrName,
}

/// A monitor a local process holds on a process of another node.
#[derive(Debug, Clone)]
pub(crate) struct RemoteMonitor {
    pub watcher: Pid,
    pub target: PidOrName,
    pub node: String,
}

pub(crate) struct ProcEntry {
    pub tx: super::mailbox::MailboxTx,
    pub abort: Option<AbortHandle>,
    pub trap_exit: bool,
    /// What most processes never have, behind one pointer: the table's slot for
    /// an idle process stays at a few words (see `ProcEntry`'s size test).
    pub extra: Option<Box<Extra>>,
}

/// A process's registered name, links, monitors and group leader.
#[derive(Default)]
pub(crate) struct Extra {
    pub name: Option<String>,
    /// Changed through [`ProcessTable`] only, which counts the remote ones.
    links: HashSet<Pid>,
    /// Monitors held on this process, by reference; changed through
    /// [`ProcessTable`] only, which counts those of remote watchers.
    monitors: HashMap<Reference, MonitorOnMe>,
    pub group_leader: Option<Pid>,
    /// The process's active aliases (each also in [`ProcessTable::aliases`]).
    pub aliases: Vec<Reference>,
}

impl Extra {
    /// The processes this one is linked to.
    pub fn links(&self) -> &HashSet<Pid> {
        &self.links
    }

    /// The monitors held on this process.
    pub fn monitors(&self) -> &HashMap<Reference, MonitorOnMe> {
        &self.monitors
    }

    /// The links and monitors of a process taken out of the table
    /// ([`ProcessTable::remove`] has uncounted them).
    pub fn into_ties(self) -> (HashSet<Pid>, HashMap<Reference, MonitorOnMe>) {
        (self.links, self.monitors)
    }
}

impl ProcEntry {
    pub fn new(tx: super::mailbox::MailboxTx, group_leader: Option<Pid>) -> Self {
        ProcEntry {
            tx,
            abort: None,
            trap_exit: false,
            extra: group_leader.map(|gl| {
                Box::new(Extra {
                    group_leader: Some(gl),
                    ..Extra::default()
                })
            }),
        }
    }

    /// The entry's extra part, created empty if it had none.
    pub fn extra_mut(&mut self) -> &mut Extra {
        self.extra.get_or_insert_default()
    }

    pub fn name(&self) -> Option<&str> {
        self.extra.as_ref()?.name.as_deref()
    }

    pub fn group_leader(&self) -> Option<&Pid> {
        self.extra.as_ref()?.group_leader.as_ref()
    }
}

/// Local processes are keyed by (id, serial); the node and creation are ours.
pub(crate) type PidKey = (u32, u32);

pub(crate) fn key(pid: &Pid) -> PidKey {
    (pid.id, pid.serial)
}

/// The links and monitors local processes hold that name processes of other nodes
/// (links to them, monitors they hold here), counted per remote pid and per node.
#[derive(Default)]
pub(crate) struct Ties {
    nodes: HashMap<Atom, NodeTies>,
}

#[derive(Default)]
struct NodeTies {
    total: usize,
    /// By (id, serial, creation) of the node's pid.
    per_pid: HashMap<(u32, u32, u32), usize>,
}

fn pid_key(pid: &Pid) -> (u32, u32, u32) {
    (pid.id, pid.serial, pid.creation)
}

/// Which limit a link or monitor would take a peer past.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum TieLimit {
    /// `max_signals_per_remote_pid`: `held` already held for that pid.
    PerPid { held: usize, limit: usize },
    /// `max_signals_per_peer`: `held` already held for all the node's pids.
    PerPeer { held: usize, limit: usize },
}

/// The limits on [`Ties`] for one peer.
#[derive(Debug, Clone, Copy)]
pub(crate) struct TieLimits {
    pub per_pid: usize,
    pub per_peer: usize,
}

impl Ties {
    fn add(&mut self, pid: &Pid) {
        let n = self.nodes.entry(pid.node.clone()).or_default();
        n.total += 1;
        *n.per_pid.entry(pid_key(pid)).or_default() += 1;
    }

    fn sub(&mut self, pid: &Pid) {
        let Some(n) = self.nodes.get_mut(&pid.node) else {
            return;
        };
        n.total = n.total.saturating_sub(1);
        if let Some(c) = n.per_pid.get_mut(&pid_key(pid)) {
            *c = c.saturating_sub(1);
            if *c == 0 {
                n.per_pid.remove(&pid_key(pid));
            }
        }
        if n.total == 0 {
            self.nodes.remove(&pid.node);
        }
    }

    /// Links and monitors held for `pid`.
    pub fn of_pid(&self, pid: &Pid) -> usize {
        self.nodes
            .get(&pid.node)
            .and_then(|n| n.per_pid.get(&pid_key(pid)))
            .copied()
            .unwrap_or(0)
    }

    /// Links and monitors held for all processes of `node`.
    pub fn of_node(&self, node: &Atom) -> usize {
        self.nodes.get(node).map_or(0, |n| n.total)
    }

    /// Whether `more` links or monitors for `pid` stay within `limits`.
    pub fn room(&self, pid: &Pid, more: usize, limits: TieLimits) -> Result<(), TieLimit> {
        let held = self.of_pid(pid);
        if held.saturating_add(more) > limits.per_pid {
            return Err(TieLimit::PerPid {
                held,
                limit: limits.per_pid,
            });
        }
        let held = self.of_node(&pid.node);
        if held.saturating_add(more) > limits.per_peer {
            return Err(TieLimit::PerPeer {
                held,
                limit: limits.per_peer,
            });
        }
        Ok(())
    }
}

pub(crate) struct ProcessTable {
    pub procs: HashMap<PidKey, ProcEntry>,
    pub names: HashMap<String, Pid>,
    pub remote_monitors: HashMap<Reference, RemoteMonitor>,
    /// Active process aliases of local processes: alias -> owner, and whether
    /// the alias takes priority messages (OTP 28's `alias([priority])`).
    pub aliases: HashMap<Reference, (Pid, bool)>,
    /// Links and monitors for processes of other nodes, counted.
    ties: Ties,
    /// This node's name: pids of any other node are counted in `ties`.
    own: Atom,
    next_id: u32,
    serial: u32,
}

/// Pid numbers stay within the 15-bit id / 13-bit serial that every OTP
/// version prints and accepts.
const MAX_ID: u32 = 0x7fff;
const MAX_SERIAL: u32 = 0x1fff;

impl ProcessTable {
    /// The table of the node named `own`.
    pub fn new(own: Atom) -> Self {
        ProcessTable {
            procs: HashMap::new(),
            names: HashMap::new(),
            remote_monitors: HashMap::new(),
            aliases: HashMap::new(),
            ties: Ties::default(),
            own,
            // <0.0.0> .. <0.N.0> are system processes on BEAM; start above them.
            next_id: 64,
            serial: 0,
        }
    }

    /// The next free (id, serial).
    pub fn allocate(&mut self) -> PidKey {
        loop {
            let k = (self.next_id, self.serial);
            self.next_id += 1;
            if self.next_id > MAX_ID {
                self.next_id = 64;
                self.serial = (self.serial + 1) & MAX_SERIAL;
            }
            if !self.procs.contains_key(&k) {
                return k;
            }
        }
    }

    pub fn get(&self, pid: &Pid) -> Option<&ProcEntry> {
        self.procs.get(&key(pid))
    }

    pub fn get_mut(&mut self, pid: &Pid) -> Option<&mut ProcEntry> {
        self.procs.get_mut(&key(pid))
    }

    pub fn whereis(&self, name: &str) -> Option<Pid> {
        self.names.get(name).cloned()
    }

    /// The counts of links and monitors for processes of other nodes.
    pub fn ties(&self) -> &Ties {
        &self.ties
    }

    fn remote(&self, pid: &Pid) -> bool {
        pid.node != self.own
    }

    /// Whether local process `pid` is linked to `other`.
    pub fn linked(&self, pid: &Pid, other: &Pid) -> bool {
        self.get(pid)
            .and_then(|e| e.extra.as_deref())
            .is_some_and(|x| x.links.contains(other))
    }

    /// Links local process `pid` to `other` (one direction); false when `pid` is
    /// not alive.
    pub fn add_link(&mut self, pid: &Pid, other: &Pid) -> bool {
        let remote = self.remote(other);
        let Some(e) = self.procs.get_mut(&key(pid)) else {
            return false;
        };
        if e.extra_mut().links.insert(other.clone()) && remote {
            self.ties.add(other);
        }
        true
    }

    /// Removes the link from local process `pid` to `other`; false if there was none.
    pub fn remove_link(&mut self, pid: &Pid, other: &Pid) -> bool {
        let removed = self
            .procs
            .get_mut(&key(pid))
            .and_then(|e| e.extra.as_mut())
            .is_some_and(|x| x.links.remove(other));
        if removed && self.remote(other) {
            self.ties.sub(other);
        }
        removed
    }

    /// Records a monitor held on local process `pid`; false when it is not alive.
    pub fn add_monitor(&mut self, pid: &Pid, reference: Reference, m: MonitorOnMe) -> bool {
        let remote = self.remote(&m.watcher);
        let Some(e) = self.procs.get_mut(&key(pid)) else {
            return false;
        };
        let watcher = m.watcher.clone();
        let old = e.extra_mut().monitors.insert(reference, m);
        if let Some(old) = old
            && self.remote(&old.watcher)
        {
            self.ties.sub(&old.watcher);
        }
        if remote {
            self.ties.add(&watcher);
        }
        true
    }

    /// Removes the monitor `reference` held on local process `pid`; false if there was none.
    pub fn remove_monitor(&mut self, pid: &Pid, reference: &Reference) -> bool {
        let old = self
            .procs
            .get_mut(&key(pid))
            .and_then(|e| e.extra.as_mut())
            .and_then(|x| x.monitors.remove(reference));
        match old {
            Some(m) => {
                if self.remote(&m.watcher) {
                    self.ties.sub(&m.watcher);
                }
                true
            }
            None => false,
        }
    }

    /// Removes the monitor `reference` from whichever local process holds it.
    pub fn remove_monitor_anywhere(&mut self, reference: &Reference) {
        let holder = self.procs.iter().find_map(|(k, e)| {
            e.extra
                .as_deref()
                .is_some_and(|x| x.monitors.contains_key(reference))
                .then_some(*k)
        });
        let Some(k) = holder else { return };
        let old = self
            .procs
            .get_mut(&k)
            .and_then(|e| e.extra.as_mut())
            .and_then(|x| x.monitors.remove(reference));
        if let Some(m) = old
            && self.remote(&m.watcher)
        {
            self.ties.sub(&m.watcher);
        }
    }

    /// `node` is gone: drops the monitors its processes held here, and returns the
    /// links to its processes as (local key, remote pid), left for the exits that
    /// remove them.
    pub fn node_gone(&mut self, node: &Atom) -> Vec<(PidKey, Pid)> {
        let mut links = Vec::new();
        let (ties, own) = (&mut self.ties, &self.own);
        for (k, e) in self.procs.iter_mut() {
            let Some(x) = e.extra.as_deref_mut() else {
                continue;
            };
            for other in x.links.iter().filter(|p| p.node == *node) {
                links.push((*k, other.clone()));
            }
            x.monitors.retain(|_, m| {
                let keep = m.watcher.node != *node;
                if !keep && m.watcher.node != *own {
                    ties.sub(&m.watcher);
                }
                keep
            });
        }
        links
    }

    /// Removes a process and its name; returns its entry, its links and
    /// monitors no longer counted.
    pub fn remove(&mut self, pid: &Pid) -> Option<ProcEntry> {
        let entry = self.procs.remove(&key(pid))?;
        if let Some(name) = entry.name() {
            self.names.remove(name);
        }
        if let Some(x) = entry.extra.as_ref() {
            for a in &x.aliases {
                self.aliases.remove(a);
            }
            for other in &x.links {
                if self.remote(other) {
                    self.ties.sub(other);
                }
            }
            for m in x.monitors.values() {
                if self.remote(&m.watcher) {
                    self.ties.sub(&m.watcher);
                }
            }
        }
        Some(entry)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 100k idle processes hold 100k table slots: a slot of four words (mailbox,
    /// abort handle, trap_exit, extra) rather than the ~190 bytes of an inline
    /// name, link set, monitor map and group leader.
    #[test]
    fn an_idle_process_slot_is_four_words() {
        assert!(
            std::mem::size_of::<ProcEntry>() <= 4 * std::mem::size_of::<usize>(),
            "ProcEntry is {} bytes",
            std::mem::size_of::<ProcEntry>()
        );
    }

    /// A table of node `me@h` holding process `<0.64.0>`.
    fn table_with_one() -> (ProcessTable, Pid, impl Sized) {
        let mut t = ProcessTable::new(Atom::from("me@h"));
        let (tx, rx) = super::super::mailbox::test_mailbox();
        let k = t.allocate();
        t.procs.insert(k, ProcEntry::new(tx, None));
        (t, Pid::new("me@h", k.0, k.1, 1), rx)
    }

    fn monitor_by(watcher: &Pid, target: &Pid) -> MonitorOnMe {
        MonitorOnMe {
            watcher: watcher.clone(),
            target: PidOrName::Pid(target.clone()),
        }
    }

    fn reference(n: u32) -> Reference {
        Reference {
            node: Atom::from("a@h"),
            id: vec![n, 0, 0],
            creation: 1,
        }
    }

    #[test]
    fn names_links_and_monitors_live_in_the_extra_part_made_on_first_use() {
        let (mut t, me, _rx) = table_with_one();
        let other = Pid::new("a@h", 1, 0, 1);
        assert!(t.get(&me).unwrap().extra.is_none());
        assert!(!t.remove_link(&me, &other));
        assert!(
            t.get(&me).unwrap().extra.is_none(),
            "a removal does not make the extra part"
        );
        assert!(t.add_link(&me, &other));
        assert!(t.linked(&me, &other));
        assert!(t.remove_link(&me, &other));
        assert_eq!(t.get(&me).unwrap().name(), None);
        let gl = Pid::new("b@h", 2, 0, 1);
        let (tx, _rx) = super::super::mailbox::test_mailbox();
        let e = ProcEntry::new(tx, Some(gl.clone()));
        assert_eq!(e.group_leader(), Some(&gl));
    }

    /// Every way a link or monitor comes and goes keeps the counts per remote pid
    /// and per node; local pids are not counted.
    #[test]
    fn ties_are_counted_per_remote_pid_and_per_node() {
        let (mut t, me, _rx) = table_with_one();
        let a1 = Pid::new("a@h", 1, 0, 1);
        let a2 = Pid::new("a@h", 2, 0, 1);
        let b1 = Pid::new("b@h", 1, 0, 1);
        let local = Pid::new("me@h", 99, 0, 1);
        let a = Atom::from("a@h");
        assert!(t.add_link(&me, &a1));
        assert!(t.add_link(&me, &a1), "linking twice is one link");
        assert!(t.add_link(&me, &local));
        assert!(t.add_monitor(&me, reference(1), monitor_by(&a1, &me)));
        assert!(t.add_monitor(&me, reference(2), monitor_by(&a2, &me)));
        assert!(t.add_monitor(&me, reference(3), monitor_by(&b1, &me)));
        assert!(t.add_monitor(&me, reference(4), monitor_by(&local, &me)));
        assert_eq!(t.ties().of_pid(&a1), 2);
        assert_eq!(t.ties().of_pid(&a2), 1);
        assert_eq!(t.ties().of_node(&a), 3);
        assert_eq!(t.ties().of_pid(&local), 0);
        // A reference used again replaces its monitor.
        assert!(t.add_monitor(&me, reference(2), monitor_by(&a1, &me)));
        assert_eq!((t.ties().of_pid(&a1), t.ties().of_pid(&a2)), (3, 0));
        assert!(t.remove_monitor(&me, &reference(2)));
        assert!(!t.remove_monitor(&me, &reference(2)));
        t.remove_monitor_anywhere(&reference(1));
        assert_eq!(t.ties().of_pid(&a1), 1);
        assert!(t.remove_link(&me, &a1));
        assert_eq!(t.ties().of_node(&a), 0);
        assert!(!t.ties().nodes.contains_key(&a), "an empty node is dropped");

        // A node going: its monitors go at once, its links are handed back.
        t.add_link(&me, &a1);
        t.add_monitor(&me, reference(5), monitor_by(&a2, &me));
        let links = t.node_gone(&a);
        assert_eq!(links, vec![((me.id, me.serial), a1.clone())]);
        assert_eq!(t.ties().of_node(&a), 1);
        assert!(t.remove_link(&me, &a1));
        assert_eq!(t.ties().of_node(&a), 0);

        // A process ending takes its ties with it.
        t.add_link(&me, &a1);
        t.add_monitor(&me, reference(6), monitor_by(&a2, &me));
        assert_eq!(t.ties().of_node(&Atom::from("b@h")), 1);
        assert!(t.remove(&me).is_some());
        assert!(t.ties().nodes.is_empty());
        assert!(!t.add_link(&me, &a1), "no link to a process that is gone");
        assert!(!t.add_monitor(&me, reference(7), monitor_by(&a2, &me)));
        assert!(t.ties().nodes.is_empty());
    }

    #[test]
    fn room_names_the_limit_that_would_be_passed() {
        let (mut t, me, _rx) = table_with_one();
        let limits = TieLimits {
            per_pid: 2,
            per_peer: 3,
        };
        let a1 = Pid::new("a@h", 1, 0, 1);
        let a2 = Pid::new("a@h", 2, 0, 1);
        assert_eq!(t.ties().room(&a1, 2, limits), Ok(()));
        assert_eq!(
            t.ties().room(&a1, 3, limits),
            Err(TieLimit::PerPid { held: 0, limit: 2 })
        );
        t.add_link(&me, &a1);
        t.add_monitor(&me, reference(1), monitor_by(&a1, &me));
        assert_eq!(
            t.ties().room(&a1, 1, limits),
            Err(TieLimit::PerPid { held: 2, limit: 2 })
        );
        assert_eq!(t.ties().room(&a2, 1, limits), Ok(()));
        t.add_link(&me, &a2);
        assert_eq!(
            t.ties().room(&a2, 1, limits),
            Err(TieLimit::PerPeer { held: 3, limit: 3 })
        );
        assert_eq!(t.ties().room(&Pid::new("b@h", 1, 0, 1), 1, limits), Ok(()));
    }
}
