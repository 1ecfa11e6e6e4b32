//! Links, monitors and exit signals: local bookkeeping, their control messages to peers, and noconnection on node-down.

use super::mailbox::Origin;
use super::table::{MonitorOnMe, RemoteMonitor, TieLimit};
use super::{Node, lock, peers};
use crate::proto::control::{Control, PidOrName};
use crate::term;
use eetf::{Atom, Pid, Reference, Term};

/// An exit signal to deliver to a local process.
struct ExitSignal {
    to: Pid,
    from: Pid,
    reason: Term,
    /// Link exits remove the link; exit/2 signals do not, and `kill` is untrappable for them.
    link: bool,
}

fn down_message(reference: &Reference, object: Term, reason: Term) -> Term {
    term::tuple(vec![
        term::atom("DOWN"),
        term::reference(reference),
        term::atom("process"),
        object,
        reason,
    ])
}

impl Node {
    /// How a DOWN message names the monitored process.
    fn down_object(&self, target: &PidOrName, node: &str) -> Term {
        match target {
            PidOrName::Pid(p) => term::pid(p),
            PidOrName::Name(a) => term::tuple(vec![Term::Atom(a.clone()), term::atom(node)]),
        }
    }

    /// Links local process `a` to `b` (local or remote).
    pub(crate) fn link(&self, a: &Pid, b: &Pid) {
        if a == b {
            return;
        }
        if !lock(&self.inner.table).add_link(a, b) {
            return;
        }
        if self.is_local(b) {
            let linked = lock(&self.inner.table).add_link(b, a);
            if !linked {
                // Linking to a dead process: the linker gets noproc.
                self.apply_exit_signals(vec![ExitSignal {
                    to: a.clone(),
                    from: b.clone(),
                    reason: term::atom("noproc"),
                    link: true,
                }]);
            }
        } else {
            super::connection::send_control(
                self,
                &b.node.name,
                &Control::Link {
                    from: a.clone(),
                    to: b.clone(),
                },
                None,
                true,
            );
        }
    }

    pub(crate) fn unlink(&self, a: &Pid, b: &Pid) {
        for (x, y) in [(a, b), (b, a)] {
            lock(&self.inner.table).remove_link(x, y);
        }
        if !self.is_local(b) {
            let id = term::int(i64::from(rand::random::<u32>()) + 1);
            super::connection::send_control(
                self,
                &b.node.name,
                &Control::UnlinkId {
                    id,
                    from: a.clone(),
                    to: b.clone(),
                },
                None,
                false,
            );
        }
    }

    /// `watcher` (local) monitors `target`, a pid or a name on `node` (default:
    /// the pid's node, or this node for a name).
    pub(crate) fn monitor(
        &self,
        watcher: &Pid,
        target: PidOrName,
        node: Option<&str>,
    ) -> Reference {
        let reference = self.make_ref();
        let target_node = match (&target, node) {
            (_, Some(n)) => n.to_owned(),
            (PidOrName::Pid(p), None) => p.node.name.clone(),
            (PidOrName::Name(_), None) => self.name().to_owned(),
        };
        if target_node == self.name() {
            if !self.add_local_monitor(watcher, &target, &reference) {
                let obj = self.down_object(&target, &target_node);
                self.deliver(watcher, down_message(&reference, obj, term::atom("noproc")));
            }
            return reference;
        }
        let connected = peers::is_up(self, &target_node);
        lock(&self.inner.table).remote_monitors.insert(
            reference.clone(),
            RemoteMonitor {
                watcher: watcher.clone(),
                target: target.clone(),
                node: target_node.clone(),
            },
        );
        let ctl = Control::MonitorP {
            from: watcher.clone(),
            to: target,
            reference: reference.clone(),
        };
        super::connection::send_control(self, &target_node, &ctl, None, true);
        if !connected {
            // The connection attempt's failure (or later loss) reports noconnection.
            tracing::debug!(node = %target_node, "monitor on a node not yet connected");
        }
        reference
    }

    /// The local process a monitor's target names, if it is one of ours.
    fn local_target(&self, target: &PidOrName) -> Option<Pid> {
        match target {
            PidOrName::Pid(p) if self.is_local(p) => Some(p.clone()),
            PidOrName::Pid(_) => None,
            PidOrName::Name(a) => self.whereis(&a.name),
        }
    }

    /// Records `watcher`'s monitor on a local pid or name; false when no such
    /// process is alive (the caller then reports noproc).
    fn add_local_monitor(&self, watcher: &Pid, target: &PidOrName, reference: &Reference) -> bool {
        let Some(pid) = self.local_target(target) else {
            return false;
        };
        lock(&self.inner.table).add_monitor(
            &pid,
            reference.clone(),
            MonitorOnMe {
                watcher: watcher.clone(),
                target: target.clone(),
            },
        )
    }

    pub(crate) fn demonitor(&self, watcher: &Pid, reference: &Reference) {
        let remote = lock(&self.inner.table).remote_monitors.remove(reference);
        if let Some(m) = remote {
            super::connection::send_control(
                self,
                &m.node,
                &Control::DemonitorP {
                    from: watcher.clone(),
                    to: m.target,
                    reference: reference.clone(),
                },
                None,
                false,
            );
            return;
        }
        lock(&self.inner.table).remove_monitor_anywhere(reference);
    }

    /// Sends an exit signal from `from` to `to` (either may be remote).
    pub(crate) fn exit_signal_to(&self, to: &Pid, from: &Pid, reason: Term, link: bool) {
        if self.is_local(to) {
            self.apply_exit_signals(vec![ExitSignal {
                to: to.clone(),
                from: from.clone(),
                reason,
                link,
            }]);
        } else {
            let ctl = if link {
                Control::Exit {
                    from: from.clone(),
                    to: to.clone(),
                    reason,
                }
            } else {
                Control::Exit2 {
                    from: from.clone(),
                    to: to.clone(),
                    reason,
                }
            };
            super::connection::send_control(self, &to.node.name, &ctl, None, !link);
        }
    }

    /// A local process has ended with `reason`: tell its links and monitors.
    pub(crate) fn process_exited(&self, pid: &Pid, reason: Term) {
        self.apply_exit_signals(self.end_process(pid, reason));
    }

    /// Removes a process and sends what its end causes; returns the exit
    /// signals that fall on other local processes.
    fn end_process(&self, pid: &Pid, reason: Term) -> Vec<ExitSignal> {
        let Some(entry) = lock(&self.inner.table).remove(pid) else {
            return Vec::new();
        };
        if let Some(a) = &entry.abort {
            a.abort();
        }
        tracing::debug!(
            pid = %crate::term::print::shown_pid(pid, self.name()),
            reason = %crate::term::print::shown(&reason, self.name()),
            "process exited"
        );
        let mut local = Vec::new();
        let Some(extra) = entry.extra else {
            return local;
        };
        let (links, monitors) = extra.into_ties();
        for other in links {
            if self.is_local(&other) {
                local.push(ExitSignal {
                    to: other,
                    from: pid.clone(),
                    reason: reason.clone(),
                    link: true,
                });
            } else {
                self.exit_signal_to(&other, pid, reason.clone(), true);
            }
        }
        for (reference, m) in monitors {
            if self.is_local(&m.watcher) {
                let obj = self.down_object(&m.target, self.name());
                self.deliver(&m.watcher, down_message(&reference, obj, reason.clone()));
            } else {
                super::connection::send_control(
                    self,
                    &m.watcher.node.name,
                    &Control::MonitorPExit {
                        from: m.target,
                        to: m.watcher.clone(),
                        reference,
                        reason: reason.clone(),
                    },
                    None,
                    false,
                );
            }
        }
        local
    }

    fn apply_exit_signals(&self, mut work: Vec<ExitSignal>) {
        while let Some(sig) = work.pop() {
            let is_kill = term::is_atom(&sig.reason, "kill") && !sig.link;
            let is_normal = term::is_atom(&sig.reason, "normal");
            let verdict = {
                let mut t = lock(&self.inner.table);
                if sig.link && !t.remove_link(&sig.to, &sig.from) {
                    // Already unlinked (or gone): the signal is stale.
                    continue;
                }
                let Some(e) = t.get_mut(&sig.to) else {
                    continue;
                };
                if is_kill {
                    Some(term::atom("killed"))
                } else if e.trap_exit {
                    let _ = e.tx.send(super::mailbox::Msg::Term(term::tuple(vec![
                        term::atom("EXIT"),
                        term::pid(&sig.from),
                        sig.reason.clone(),
                    ])));
                    None
                } else if is_normal {
                    None
                } else {
                    Some(sig.reason.clone())
                }
            };
            if let Some(reason) = verdict {
                work.extend(self.end_process(&sig.to, reason));
            }
        }
    }

    /// Handles the loss of the connection to `node`: noconnection to every
    /// link and monitor across it.
    pub(crate) fn node_down_signals(&self, node: &str) {
        let atom = Atom::from(node);
        let mut exits = Vec::new();
        let mut downs = Vec::new();
        {
            let mut t = lock(&self.inner.table);
            for ((id, serial), other) in t.node_gone(&atom) {
                exits.push(ExitSignal {
                    to: Pid {
                        node: self.inner.atom.clone(),
                        id,
                        serial,
                        creation: self.inner.creation,
                    },
                    from: other,
                    reason: term::atom("noconnection"),
                    link: true,
                });
            }
            let gone: Vec<Reference> = t
                .remote_monitors
                .iter()
                .filter(|(_, m)| m.node == node)
                .map(|(r, _)| r.clone())
                .collect();
            for r in gone {
                if let Some(m) = t.remote_monitors.remove(&r) {
                    downs.push((r, m));
                }
            }
        }
        for (r, m) in downs {
            let obj = self.down_object(&m.target, &m.node);
            self.deliver(
                &m.watcher,
                down_message(&r, obj, term::atom("noconnection")),
            );
        }
        self.apply_exit_signals(exits);
    }

    /// Records a monitor that a peer set up for us (spawn_request's `monitor`
    /// option), so its DOWN (or noconnection) reaches `watcher`.
    pub(crate) fn expect_remote_down(&self, watcher: &Pid, reference: &Reference, node: &str) {
        lock(&self.inner.table).remote_monitors.insert(
            reference.clone(),
            RemoteMonitor {
                watcher: watcher.clone(),
                target: PidOrName::Pid(watcher.clone()),
                node: node.to_owned(),
            },
        );
    }

    pub(crate) fn forget_remote_down(&self, reference: &Reference) {
        lock(&self.inner.table).remote_monitors.remove(reference);
    }

    /// Incoming MONITOR_P_EXIT: the remote target of one of our monitors ended.
    pub(crate) fn remote_monitor_fired(&self, reference: &Reference, reason: Term) {
        let m = lock(&self.inner.table).remote_monitors.remove(reference);
        if let Some(m) = m {
            let obj = self.down_object(&m.target, &m.node);
            self.deliver(&m.watcher, down_message(reference, obj, reason));
        }
    }

    /// Incoming MONITOR_P on connection `origin`: a remote `watcher` monitors a local
    /// pid or name. Err when the monitor would take what the node holds for that
    /// peer past a limit (nothing is recorded then); nothing is recorded either once
    /// the connection is closed, since what it set up has been removed.
    pub(crate) fn remote_monitor_request(
        &self,
        origin: &Origin,
        watcher: Pid,
        target: PidOrName,
        reference: Reference,
    ) -> Result<(), TieLimit> {
        let added = match self.local_target(&target) {
            None => false,
            Some(pid) => {
                let mut t = lock(&self.inner.table);
                // Checked under the table's lock, which node_down_signals takes after
                // the connection is marked closed: nothing is added after its sweep.
                if origin.is_closed() {
                    return Ok(());
                }
                if t.get(&pid).is_some() {
                    t.ties().room(&watcher, 1, self.inner.tie_limits)?;
                }
                t.add_monitor(
                    &pid,
                    reference.clone(),
                    MonitorOnMe {
                        watcher: watcher.clone(),
                        target: target.clone(),
                    },
                )
            }
        };
        if !added {
            super::connection::send_control(
                self,
                &watcher.node.name,
                &Control::MonitorPExit {
                    from: target,
                    to: watcher.clone(),
                    reference,
                    reason: term::atom("noproc"),
                },
                None,
                false,
            );
        }
        Ok(())
    }

    /// Incoming LINK on connection `origin` from a remote process to a local one.
    /// Err when the link would take what the node holds for that peer past a limit
    /// (it is not made then); nothing is made once the connection is closed.
    pub(crate) fn remote_link(&self, origin: &Origin, from: Pid, to: Pid) -> Result<(), TieLimit> {
        let alive = {
            let mut t = lock(&self.inner.table);
            // As in remote_monitor_request: checked under the table's lock.
            if origin.is_closed() {
                return Ok(());
            }
            if t.get(&to).is_some() && !t.linked(&to, &from) {
                t.ties().room(&from, 1, self.inner.tie_limits)?;
            }
            t.add_link(&to, &from)
        };
        if !alive {
            super::connection::send_control(
                self,
                &from.node.name,
                &Control::Exit {
                    from: to,
                    to: from.clone(),
                    reason: term::atom("noproc"),
                },
                None,
                false,
            );
        }
        Ok(())
    }

    /// Incoming UNLINK / UNLINK_ID from a remote process.
    pub(crate) fn remote_unlink(&self, from: &Pid, to: &Pid) {
        lock(&self.inner.table).remove_link(to, from);
    }

    /// Incoming EXIT (link) or EXIT2 from a remote process.
    pub(crate) fn remote_exit(&self, from: Pid, to: Pid, reason: Term, link: bool) {
        self.apply_exit_signals(vec![ExitSignal {
            to,
            from,
            reason,
            link,
        }]);
    }
}
