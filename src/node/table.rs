//! The process table: local pids, their mailboxes, registered names, links and monitors.

use crate::proto::control::PidOrName;
use eetf::{Pid, Reference};
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
    pub links: HashSet<Pid>,
    pub monitors: HashMap<Reference, MonitorOnMe>,
    pub group_leader: Option<Pid>,
    /// The process's active aliases (each also in [`ProcessTable::aliases`]).
    pub aliases: Vec<Reference>,
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

    /// Removes the link to `other`; false if there was none.
    pub fn remove_link(&mut self, other: &Pid) -> bool {
        self.extra.as_mut().is_some_and(|x| x.links.remove(other))
    }

    /// Removes the monitor `reference` held on this process; false if there was none.
    pub fn remove_monitor(&mut self, reference: &Reference) -> bool {
        self.extra
            .as_mut()
            .is_some_and(|x| x.monitors.remove(reference).is_some())
    }
}

/// Local processes are keyed by (id, serial); the node and creation are ours.
pub(crate) type PidKey = (u32, u32);

pub(crate) fn key(pid: &Pid) -> PidKey {
    (pid.id, pid.serial)
}

pub(crate) struct ProcessTable {
    pub procs: HashMap<PidKey, ProcEntry>,
    pub names: HashMap<String, Pid>,
    pub remote_monitors: HashMap<Reference, RemoteMonitor>,
    /// Active process aliases of local processes: alias -> owner, and whether
    /// the alias takes priority messages (OTP 28's `alias([priority])`).
    pub aliases: HashMap<Reference, (Pid, bool)>,
    next_id: u32,
    serial: u32,
}

/// Pid numbers stay within the 15-bit id / 13-bit serial that every OTP
/// version prints and accepts.
const MAX_ID: u32 = 0x7fff;
const MAX_SERIAL: u32 = 0x1fff;

impl ProcessTable {
    pub fn new() -> Self {
        ProcessTable {
            procs: HashMap::new(),
            names: HashMap::new(),
            remote_monitors: HashMap::new(),
            aliases: HashMap::new(),
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

    /// Removes a process and its name; returns its entry.
    pub fn remove(&mut self, pid: &Pid) -> Option<ProcEntry> {
        let entry = self.procs.remove(&key(pid))?;
        if let Some(name) = entry.name() {
            self.names.remove(name);
        }
        if let Some(x) = entry.extra.as_ref() {
            for a in &x.aliases {
                self.aliases.remove(a);
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

    #[test]
    fn names_links_and_monitors_live_in_the_extra_part_made_on_first_use() {
        let (tx, _rx) = super::super::mailbox::test_mailbox();
        let mut e = ProcEntry::new(tx, None);
        assert!(e.extra.is_none());
        assert!(!e.remove_link(&Pid::new("a@h", 1, 0, 1)));
        assert!(e.extra.is_none(), "a removal does not make the extra part");
        e.extra_mut().links.insert(Pid::new("a@h", 1, 0, 1));
        assert!(e.remove_link(&Pid::new("a@h", 1, 0, 1)));
        assert_eq!(e.name(), None);
        let gl = Pid::new("b@h", 2, 0, 1);
        let e = ProcEntry::new(e.tx, Some(gl.clone()));
        assert_eq!(e.group_leader(), Some(&gl));
    }
}
