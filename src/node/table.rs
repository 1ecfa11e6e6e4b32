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
    pub tx: super::process::MailboxTx,
    pub abort: Option<AbortHandle>,
    pub name: Option<String>,
    pub links: HashSet<Pid>,
    pub monitors: HashMap<Reference, MonitorOnMe>,
    pub trap_exit: bool,
    pub group_leader: Option<Pid>,
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
        if let Some(name) = &entry.name {
            self.names.remove(name);
        }
        Some(entry)
    }
}
