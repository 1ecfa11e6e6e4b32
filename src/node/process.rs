//! Rust processes: a pid with a mailbox, spawned as a task or held as a handle, with receive, send, link and monitor.

use super::mailbox::{MailboxRx, Msg, Origin, mailbox};
use super::table::{ProcEntry, key};
use super::{Node, NodeError, lock, peers};
use crate::proto::control::{Control, PidOrName};
use crate::proto::etf::CheckedTerm;
use crate::term;
use eetf::{Pid, Reference, Term};
use futures_util::FutureExt;
use std::collections::VecDeque;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;
use thiserror::Error;

/// Why a receive returned no message.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum ReceiveError {
    /// Nothing matching arrived within the timeout.
    #[error("timed out waiting for a message")]
    Timeout,
    /// The process has ended (it was killed by an exit signal, or the node shut down).
    #[error("the process has exited")]
    Exited,
}

/// How a message came off the wire: its checked bytes and the connection it came on.
pub(crate) struct FromWire {
    pub checked: CheckedTerm,
    pub origin: Arc<Origin>,
}

/// A Rust process: its pid and mailbox. Dropping it ends the process with
/// reason `normal` (unless it was killed before).
pub struct Process {
    node: Node,
    pid: Pid,
    rx: MailboxRx,
    /// Messages taken out of the mailbox by a selective receive and not yet matched.
    /// Priority messages first (the first `saved_prio`), then ordinary ones.
    saved: VecDeque<Term>,
    /// Messages taken out of the mailbox in one go, after `saved` in order;
    /// the first `fetched_prio` are priority messages.
    fetched: VecDeque<Msg>,
    saved_prio: u32,
    fetched_prio: u32,
    /// Set when the process's end has already been handled (spawned tasks report their own reason).
    finished: bool,
}

impl Node {
    fn new_entry(&self, group_leader: Option<Pid>) -> (Pid, MailboxRx) {
        let (tx, rx) = mailbox();
        let mut t = lock(&self.inner.table);
        let (id, serial) = t.allocate();
        let pid = Pid {
            node: self.inner.atom.clone(),
            id,
            serial,
            creation: self.inner.creation,
        };
        t.procs
            .insert((id, serial), ProcEntry::new(tx, group_leader));
        (pid, rx)
    }

    /// A process owned by the caller (not a task): receive and send through the
    /// returned handle. It ends when the handle is dropped.
    pub fn process(&self) -> Process {
        let (pid, rx) = self.new_entry(None);
        Process {
            node: self.clone(),
            pid,
            rx,
            saved: VecDeque::new(),
            fetched: VecDeque::new(),
            saved_prio: 0,
            fetched_prio: 0,
            finished: false,
        }
    }

    /// Spawns a process running `f`; the term it returns is its exit reason
    /// (`normal` for a normal end). A panic ends it with `{panic, Message}`.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use erlnode::{Node, term};
    /// let node = Node::builder("doc_spawn@localhost").cookie("c").epmd_port(43692).start().await?;
    ///
    /// // A registered process answering {from, n} with {:double, 2 * n}.
    /// let doubler = node.spawn(|mut p| async move {
    ///     while let Ok(msg) = p.receive().await {
    ///         if let Some([from, n]) = term::as_tuple(&msg)
    ///             && let (Some(from), Some(n)) = (term::as_pid(from), term::as_int(n))
    ///         {
    ///             p.send(from, term::tuple(vec![term::atom("double"), term::int(2 * n)]));
    ///         }
    ///     }
    ///     term::atom("normal")
    /// });
    /// node.register("doubler", &doubler)?;
    ///
    /// let mut me = node.process();
    /// me.send_named("doubler", term::tuple(vec![term::pid(me.pid()), term::int(21)]));
    /// let reply = me.receive().await?;
    /// assert_eq!(term::print::inspect(&reply), "{:double, 42}");
    /// node.shutdown().await;
    /// # Ok(()) }
    /// ```
    pub fn spawn<F, Fut>(&self, f: F) -> Pid
    where
        F: FnOnce(Process) -> Fut + Send + 'static,
        Fut: Future<Output = Term> + Send + 'static,
    {
        self.spawn_opts(None, f)
    }

    /// As [`Node::spawn`], with a group leader.
    pub fn spawn_opts<F, Fut>(&self, group_leader: Option<Pid>, f: F) -> Pid
    where
        F: FnOnce(Process) -> Fut + Send + 'static,
        Fut: Future<Output = Term> + Send + 'static,
    {
        self.spawn_with(group_leader, |_| {}, f)
    }

    /// Spawns with a hook that runs on the new pid before the task starts (to
    /// set up links or monitors atomically with the spawn).
    pub(crate) fn spawn_with<F, Fut>(
        &self,
        group_leader: Option<Pid>,
        setup: impl FnOnce(&Pid),
        f: F,
    ) -> Pid
    where
        F: FnOnce(Process) -> Fut + Send + 'static,
        Fut: Future<Output = Term> + Send + 'static,
    {
        let (pid, rx) = self.new_entry(group_leader);
        setup(&pid);
        let mut process = Process {
            node: self.clone(),
            pid: pid.clone(),
            rx,
            saved: VecDeque::new(),
            fetched: VecDeque::new(),
            saved_prio: 0,
            fetched_prio: 0,
            finished: true,
        };
        let node = self.clone();
        let me = pid.clone();
        // The task body: run, then report the reason. Lock the table before
        // starting so the abort handle is in place before the task can end.
        let mut t = lock(&self.inner.table);
        let handle = tokio::spawn(async move {
            process.finished = true;
            let result = std::panic::AssertUnwindSafe(f(process))
                .catch_unwind()
                .await;
            let reason = match result {
                Ok(reason) => reason,
                Err(panic) => {
                    let msg = panic
                        .downcast_ref::<&str>()
                        .map(|s| s.to_string())
                        .or_else(|| panic.downcast_ref::<String>().cloned())
                        .unwrap_or_else(|| "panic".into());
                    tracing::error!(
                        pid = %crate::term::print::shown_pid(&me, node.name()),
                        "process panicked: {}",
                        msg.escape_debug()
                    );
                    term::tuple(vec![term::atom("panic"), term::binary(msg)])
                }
            };
            node.process_exited(&me, reason);
        });
        if let Some(e) = t.get_mut(&pid) {
            e.abort = Some(handle.abort_handle());
        }
        drop(t);
        pid
    }

    /// Delivers `msg` to a local pid's mailbox; dropped if the process is gone.
    pub(crate) fn deliver(&self, to: &Pid, msg: Term) {
        self.deliver_msg(to, Msg::Term(msg));
    }

    /// [`Node::deliver`] for a term or a checked message.
    pub(crate) fn deliver_msg(&self, to: &Pid, msg: Msg) {
        if !self.is_local(to) {
            return;
        }
        let t = lock(&self.inner.table);
        if let Some(e) = t.procs.get(&key(to)) {
            let _ = e.tx.send(msg);
        }
    }

    /// The group leader of a local process (where its I/O goes), if it has one.
    pub fn group_leader_of(&self, pid: &Pid) -> Option<Pid> {
        lock(&self.inner.table)
            .get(pid)
            .and_then(|e| e.group_leader().cloned())
    }

    /// Sets the group leader of a local process, as `Process.group_leader/2`.
    pub fn set_group_leader(&self, pid: &Pid, gl: Pid) {
        if let Some(e) = lock(&self.inner.table).get_mut(pid) {
            e.extra_mut().group_leader = Some(gl);
        }
    }

    /// Whether `pid` is a live process of this node, as `Process.alive?/1`.
    pub fn is_alive(&self, pid: &Pid) -> bool {
        self.is_local(pid) && lock(&self.inner.table).get(pid).is_some()
    }

    /// How many processes run on this node.
    pub fn process_count(&self) -> usize {
        lock(&self.inner.table).procs.len()
    }

    /// How many links and monitors tie local processes to processes of `node`: the
    /// state that node has set up here. It drops to 0 when the connection goes.
    pub fn ties_with(&self, node: &str) -> usize {
        let t = lock(&self.inner.table);
        let on_procs: usize = t
            .procs
            .values()
            .filter_map(|e| e.extra.as_deref())
            .map(|e| {
                e.links().iter().filter(|p| p.node.name == node).count()
                    + e.monitors()
                        .values()
                        .filter(|m| m.watcher.node.name == node)
                        .count()
            })
            .sum();
        on_procs
            + t.remote_monitors
                .values()
                .filter(|m| m.node == node)
                .count()
    }
}

impl Process {
    /// This process's pid.
    pub fn pid(&self) -> &Pid {
        &self.pid
    }
    /// The node this process runs on.
    pub fn node(&self) -> &Node {
        &self.node
    }

    /// The next message (priority messages first, see [`Process::alias_priority`]).
    pub async fn receive(&mut self) -> Result<Term, ReceiveError> {
        self.receive_from_wire().await.map(|(term, _)| term)
    }

    /// The next message, with the bytes it came in as and the peer that sent it, for a
    /// message that came from a peer (the I/O server reads map key order from them).
    pub(crate) async fn receive_from_wire(
        &mut self,
    ) -> Result<(Term, Option<FromWire>), ReceiveError> {
        self.absorb_priority();
        if self.saved_prio > 0 {
            self.saved_prio -= 1;
        } else if self.fetched_prio > 0 {
            return self.next_with_wire().await.map(|(t, w, _)| (t, w));
        }
        if let Some(m) = self.saved.pop_front() {
            return Ok((m, None));
        }
        self.next_with_wire().await.map(|(t, w, _)| (t, w))
    }

    /// Moves priority messages waiting in the mailbox to the front of
    /// `fetched`, after the priority messages already there.
    fn absorb_priority(&mut self) {
        if !self.rx.has_priority() {
            return;
        }
        for m in self.rx.take_priority() {
            self.fetched.insert(self.fetched_prio as usize, m);
            self.fetched_prio += 1;
        }
    }

    /// Keeps a message a selective receive did not take: a priority one after
    /// the priority messages kept, an ordinary one at the end.
    fn save(&mut self, m: Term, priority: bool) {
        if priority {
            self.saved.insert(self.saved_prio as usize, m);
            self.saved_prio += 1;
        } else {
            self.saved.push_back(m);
        }
    }

    /// The next message after `saved`: from `fetched`, refilled from the mailbox,
    /// and whether it is a priority message. Cancel-safe: a message is only
    /// taken when it is returned.
    ///
    /// A checked message from a peer is built here; one that cannot be (a map with
    /// duplicate keys) is dropped, and the connection it came on is closed, as a
    /// connection that sent an undecodable message is.
    async fn next_with_wire(&mut self) -> Result<(Term, Option<FromWire>, bool), ReceiveError> {
        loop {
            self.absorb_priority();
            if self.fetched.is_empty() {
                let (rx, fetched) = (&self.rx, &mut self.fetched);
                match std::future::poll_fn(|cx| rx.poll_take_all(fetched, cx)).await {
                    Some(prio) => self.fetched_prio = prio,
                    None => return Err(ReceiveError::Exited),
                }
                continue;
            }
            let priority = self.fetched_prio > 0;
            if priority {
                self.fetched_prio -= 1;
            }
            match self.fetched.pop_front() {
                None => return Err(ReceiveError::Exited),
                Some(m) => {
                    if let Some((term, wire)) = self.build_with_wire(m) {
                        return Ok((term, wire, priority));
                    }
                }
            }
        }
    }

    /// A mailbox message as a term; `None` (and the connection it came on
    /// closed) for a checked message that cannot be built.
    fn build(&self, m: Msg) -> Option<Term> {
        self.build_with_wire(m).map(|(term, _)| term)
    }

    /// [`Process::build`], keeping a checked message's bytes and origin.
    fn build_with_wire(&self, m: Msg) -> Option<(Term, Option<FromWire>)> {
        match m {
            Msg::Term(term) => Some((term, None)),
            Msg::Checked(checked, origin) => match checked.build() {
                Ok(term) => Some((term, Some(FromWire { checked, origin }))),
                Err(e) => {
                    let Origin { peer, id, .. } = &*origin;
                    tracing::error!(pid = %self.pid, "undecodable message from {peer}: {e}");
                    peers::connection_down(
                        &self.node,
                        peer,
                        *id,
                        format!("undecodable message: {e}"),
                    );
                    None
                }
            },
        }
    }

    /// Removes, without waiting, every message already in the mailbox for
    /// which `pred` holds (the others stay, in order).
    pub(crate) fn flush_matching(&mut self, mut pred: impl FnMut(&Term) -> bool) {
        loop {
            self.absorb_priority();
            while let Some(m) = self.fetched.pop_front() {
                let priority = self.fetched_prio > 0;
                if priority {
                    self.fetched_prio -= 1;
                }
                if let Some(t) = self.build(m) {
                    self.save(t, priority);
                }
            }
            let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
            let (rx, fetched) = (&self.rx, &mut self.fetched);
            match rx.poll_take_all(fetched, &mut cx) {
                std::task::Poll::Ready(Some(prio)) => self.fetched_prio = prio,
                _ => break,
            }
        }
        let mut i = 0;
        let mut prio_left = self.saved_prio;
        self.saved.retain(|m| {
            let is_prio = i < self.saved_prio;
            i += 1;
            let keep = !pred(m);
            if is_prio && !keep {
                prio_left -= 1;
            }
            keep
        });
        self.saved_prio = prio_left;
    }

    /// The next message, or `Timeout`.
    pub async fn receive_timeout(&mut self, timeout: Duration) -> Result<Term, ReceiveError> {
        match tokio::time::timeout(timeout, self.receive()).await {
            Ok(r) => r,
            Err(_) => Err(ReceiveError::Timeout),
        }
    }

    /// Selective receive: the first message for which `pred` holds; the
    /// messages before it stay in the mailbox, in order.
    pub async fn receive_match(
        &mut self,
        mut pred: impl FnMut(&Term) -> bool,
    ) -> Result<Term, ReceiveError> {
        // Priority messages already fetched are looked at before the ordinary
        // messages kept from earlier receives.
        self.absorb_priority();
        while self.fetched_prio > 0 {
            self.fetched_prio -= 1;
            if let Some(m) = self.fetched.pop_front()
                && let Some(t) = self.build(m)
            {
                self.save(t, true);
            }
        }
        if let Some(i) = self.saved.iter().position(&mut pred) {
            if (i as u32) < self.saved_prio {
                self.saved_prio -= 1;
            }
            return self.saved.remove(i).ok_or(ReceiveError::Exited);
        }
        loop {
            let (m, _, priority) = self.next_with_wire().await?;
            if pred(&m) {
                return Ok(m);
            }
            self.save(m, priority);
        }
    }

    /// Selective receive with a timeout.
    pub async fn receive_match_timeout(
        &mut self,
        pred: impl FnMut(&Term) -> bool,
        timeout: Duration,
    ) -> Result<Term, ReceiveError> {
        match tokio::time::timeout(timeout, self.receive_match(pred)).await {
            Ok(r) => r,
            Err(_) => Err(ReceiveError::Timeout),
        }
    }

    /// Sends `msg` to `to`, local or remote.
    pub fn send(&self, to: &Pid, msg: Term) {
        if self.node.is_local(to) {
            self.node.send(to, msg);
        } else {
            self.node.send_from(&self.pid, to, &msg);
        }
    }

    /// Sends `msg` to `to` without taking it: a remote send is encoded straight
    /// from the reference, so a term that is kept or sent again is never cloned (a
    /// local send clones it, as the receiving mailbox needs its own).
    pub fn send_ref(&self, to: &Pid, msg: &Term) {
        self.node.send_from(&self.pid, to, msg);
    }

    /// Sends to a name registered on this node.
    pub fn send_named(&self, name: &str, msg: Term) -> bool {
        self.node.send_local_named(name, msg)
    }

    /// Sends to `{name, node}`, connecting first if needed.
    pub async fn send_named_remote(
        &self,
        node: &str,
        name: &str,
        msg: Term,
    ) -> Result<(), NodeError> {
        self.send_to_name(node, name, msg);
        Ok(())
    }

    /// Sends to `{name, node}` (this node or another, connecting first if
    /// needed) without waiting: as on BEAM, a send to a name nobody has is dropped.
    pub fn send_to_name(&self, node: &str, name: &str, msg: Term) {
        if node == self.node.name() {
            self.node.send_local_named(name, msg);
            return;
        }
        let ctl = Control::RegSend {
            from: self.pid.clone(),
            to: eetf::Atom::from(name),
        };
        super::connection::send_control(&self.node, node, &ctl, Some(&msg), true);
    }

    /// Registers this process under `name`.
    pub fn register(&self, name: &str) -> Result<(), NodeError> {
        self.node.register(name, &self.pid)
    }

    /// While set, exit signals arrive as `{'EXIT', From, Reason}` messages.
    pub fn trap_exit(&self, on: bool) {
        if let Some(e) = lock(&self.node.inner.table).get_mut(&self.pid) {
            e.trap_exit = on;
        }
    }

    /// Links this process to `other`.
    pub fn link(&self, other: &Pid) {
        self.node.link(&self.pid, other);
    }

    /// Removes the link to `other`, if any.
    pub fn unlink(&self, other: &Pid) {
        self.node.unlink(&self.pid, other);
    }

    /// Monitors a process (by pid); DOWN arrives as
    /// `{'DOWN', Ref, process, Pid, Reason}`.
    pub fn monitor(&self, target: &Pid) -> Reference {
        self.node
            .monitor(&self.pid, PidOrName::Pid(target.clone()), None)
    }

    /// Monitors a registered name on `node`.
    pub fn monitor_name(&self, name: &str, node: &str) -> Reference {
        self.node.monitor(
            &self.pid,
            PidOrName::Name(eetf::Atom::from(name)),
            Some(node),
        )
    }

    /// Removes a monitor made by [`Process::monitor`] or [`Process::monitor_name`].
    pub fn demonitor(&self, reference: &Reference) {
        self.node.demonitor(&self.pid, reference);
    }

    /// A new process alias (OTP 24+ `alias()`): a reference that other
    /// processes, here or on BEAM nodes, can send to; the message arrives in
    /// this process's mailbox until [`Process::unalias`] or the process's end.
    pub fn alias(&self) -> Reference {
        // The process is alive while its handle exists, so this always succeeds.
        self.node
            .alias(&self.pid, false)
            .unwrap_or_else(|| self.node.make_ref())
    }

    /// A new priority alias, as OTP 28's `alias([priority])`: a priority
    /// message sent to it (`erlang:send(Alias, Msg, [priority])`, or
    /// [`Process::send_priority`]) is received before every ordinary message
    /// waiting in this process's mailbox; an ordinary message sent to it is
    /// queued as usual.
    ///
    /// ```no_run
    /// # async fn demo(mut p: erlnode::Process) {
    /// let urgent = p.alias_priority();
    /// // ... hand `urgent` to a peer; its `:erlang.send(urgent, :stop, [:priority])`
    /// // is the next message received, however many are queued.
    /// let next = p.receive().await;
    /// # let _ = (urgent, next);
    /// # }
    /// ```
    pub fn alias_priority(&self) -> Reference {
        self.node
            .alias(&self.pid, true)
            .unwrap_or_else(|| self.node.make_ref())
    }

    /// Deactivates one of this process's aliases: what is sent to it from now
    /// on is dropped. False if it was not an active alias of this process.
    pub fn unalias(&self, alias: &Reference) -> bool {
        self.node.unalias(&self.pid, alias)
    }

    /// Sends `msg` to a process alias, here or on another node (ALIAS_SEND, or
    /// ALTACT_SIG_SEND to an OTP 28+ node). Dropped if the alias is inactive.
    pub fn send_alias(&self, alias: &Reference, msg: Term) {
        self.node.send_alias(&self.pid, alias, &msg, false);
    }

    /// Sends `msg` to a priority alias as a priority message (OTP 28
    /// `erlang:send(Alias, Msg, [priority])`); to a node older than OTP 28 it
    /// goes as an ordinary alias send.
    pub fn send_priority(&self, alias: &Reference, msg: Term) {
        self.node.send_alias(&self.pid, alias, &msg, true);
    }

    /// Ends this process now with `reason`.
    pub fn exit(mut self, reason: Term) {
        self.finished = true;
        self.node.process_exited(&self.pid, reason);
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        if !self.finished {
            self.node.process_exited(&self.pid, term::atom("normal"));
        }
    }
}
