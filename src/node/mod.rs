//! The tokio runtime of a node: configuration, start-up, and the handle that embeds a node in a program.

mod aliases;
pub(crate) mod connection;
pub(crate) mod cookie;
mod dispatch;
pub(crate) mod epmd_client;
pub(crate) mod epmd_server;
mod mailbox;
pub(crate) mod names;
mod outqueue;
pub(crate) mod peers;
mod process;
mod rpc_client;
mod signals;
mod stats;
mod table;
mod tls;
pub(crate) mod tls_config;
mod tls_optfile;

pub use crate::otp::rpc::CallContext;
pub use cookie::{Cookie, CookieError};
pub(crate) use mailbox::Origin;
pub use process::{Process, ReceiveError};
pub use rpc_client::CallError;
pub use stats::IoStats;
pub use tls_config::{TlsConfig, TlsError, TlsSide, TlsVerify, TlsVersion};

use crate::proto::flags::DistFlags;
use crate::term;
use eetf::{Atom, Pid, Reference, Term};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::atomic::{AtomicU32, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;
use thiserror::Error;
use tokio::sync::broadcast;

/// Why a node operation failed.
#[derive(Debug, Error)]
pub enum NodeError {
    /// The node name is malformed.
    #[error(transparent)]
    Name(#[from] names::NameError),
    /// The cookie could not be had.
    #[error(transparent)]
    Cookie(#[from] cookie::CookieError),
    /// TLS distribution settings that cannot be used.
    #[error("TLS: {0}")]
    Tls(#[from] tls_config::TlsError),
    /// EPMD refused the registration or could not be reached.
    #[error("cannot register with EPMD: {0}")]
    Epmd(#[from] crate::proto::epmd::EpmdError),
    #[error("cannot listen for distribution connections on {addr}: {source}")]
    /// The distribution port could not be opened.
    Listen {
        /// The address asked for.
        addr: SocketAddr,
        /// What the operating system said.
        source: std::io::Error,
    },
    #[error("cannot connect to {node}: {reason}")]
    /// A connection to another node failed.
    Connect {
        /// The node dialled.
        node: String,
        /// Why it failed.
        reason: String,
    },
    /// Another process is registered under that name.
    #[error("name {0} is already registered")]
    NameTaken(String),
    /// The process is not alive.
    #[error("process {0} is not alive")]
    NoProc(String),
    /// No answer came in time.
    #[error("timed out")]
    Timeout,
    /// The node has been shut down.
    #[error("the node has shut down")]
    Shutdown,
}

/// A node coming up or going down, as seen by this node.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NodeEvent {
    /// A connection to `node` completed its handshake (`{nodeup, Node}`).
    Up {
        /// The peer's name.
        node: String,
        /// Whether the peer is hidden (not in `Node.list/0`).
        hidden: bool,
    },
    /// The connection to `node` closed (`{nodedown, Node}`).
    Down {
        /// The peer's name.
        node: String,
        /// Why: a tick timeout, the peer closing, a protocol error, ...
        reason: String,
    },
}

/// The default of [`NodeBuilder::max_reassembly`]: 128 MiB.
pub const DEFAULT_MAX_REASSEMBLY: usize = 128 * 1024 * 1024;

/// The default of [`NodeBuilder::max_send_queue`]: 256 MiB.
pub const DEFAULT_MAX_SEND_QUEUE: usize = 256 * 1024 * 1024;

/// The default of [`NodeBuilder::max_frame`]: 128 MiB.
pub const DEFAULT_MAX_FRAME: usize = crate::proto::framing::DEFAULT_MAX_MESSAGE;

/// The default of [`NodeBuilder::max_incoming_buffered`]: 256 MiB.
pub const DEFAULT_MAX_INCOMING_BUFFERED: usize = 256 * 1024 * 1024;

/// The default of [`NodeBuilder::max_signals_per_remote_pid`]: 100 000 links and
/// monitors held for one process of another node.
pub const DEFAULT_MAX_SIGNALS_PER_REMOTE_PID: usize = 100_000;

/// The default of [`NodeBuilder::max_signals_per_peer`]: 1 000 000 links and monitors
/// held for the processes of one node.
pub const DEFAULT_MAX_SIGNALS_PER_PEER: usize = 1_000_000;

/// Bytes of read buffer each connection may hold without counting towards
/// [`NodeBuilder::max_incoming_buffered`].
pub const READ_BUFFER_ALLOWANCE: usize = 256 * 1024;

/// Everything needed to start a node.
#[derive(Debug, Clone)]
pub struct NodeBuilder {
    name: String,
    cookie: Option<Cookie>,
    hidden: bool,
    listen_ip: IpAddr,
    port: u16,
    epmd_port: Option<u16>,
    net_ticktime: Duration,
    handshake_timeout: Duration,
    max_send_queue: usize,
    tls: Option<TlsConfig>,
    max_frame: usize,
    max_incoming_buffered: usize,
    max_reassembly: usize,
    max_signals_per_remote_pid: usize,
    max_signals_per_peer: usize,
}

impl NodeBuilder {
    /// `name` is the full node name, `alive@host` (see [`names::short_name`]
    /// and [`names::long_name`] to form one).
    pub fn new(name: impl Into<String>) -> Self {
        NodeBuilder {
            name: name.into(),
            cookie: None,
            hidden: false,
            listen_ip: IpAddr::V4(Ipv4Addr::UNSPECIFIED),
            port: 0,
            epmd_port: None,
            net_ticktime: Duration::from_secs(60),
            handshake_timeout: Duration::from_secs(7),
            max_send_queue: DEFAULT_MAX_SEND_QUEUE,
            tls: None,
            max_frame: DEFAULT_MAX_FRAME,
            max_incoming_buffered: DEFAULT_MAX_INCOMING_BUFFERED,
            max_reassembly: DEFAULT_MAX_REASSEMBLY,
            max_signals_per_remote_pid: DEFAULT_MAX_SIGNALS_PER_REMOTE_PID,
            max_signals_per_peer: DEFAULT_MAX_SIGNALS_PER_PEER,
        }
    }
    /// The cookie; without one, `~/.erlang.cookie` is read (and created if absent).
    pub fn cookie(mut self, cookie: impl Into<String>) -> Self {
        self.cookie = Some(Cookie::new(cookie));
        self
    }
    /// Starts as a hidden node (`erl -hidden`): not in the peers' `Node.list/0`, and
    /// `:global` and `rex` leave it alone. Default: visible.
    pub fn hidden(mut self, hidden: bool) -> Self {
        self.hidden = hidden;
        self
    }
    /// The distribution listen port; 0 (the default) picks a free one.
    pub fn port(mut self, port: u16) -> Self {
        self.port = port;
        self
    }
    /// The address distribution connections are accepted on (default: all, `0.0.0.0`).
    pub fn listen_ip(mut self, ip: IpAddr) -> Self {
        self.listen_ip = ip;
        self
    }
    /// EPMD's port; default `ERL_EPMD_PORT`, else 4369.
    pub fn epmd_port(mut self, port: u16) -> Self {
        self.epmd_port = Some(port);
        self
    }
    /// `net_ticktime` (default 60 s, at least 1 s): a peer silent for this long is declared
    /// down, and the node ticks every quarter of it. Use the cluster's own value.
    pub fn net_ticktime(mut self, ticktime: Duration) -> Self {
        self.net_ticktime = ticktime.max(Duration::from_secs(1));
        self
    }
    /// How long a handshake may take, as `net_setuptime` (default 7 s).
    pub fn handshake_timeout(mut self, t: Duration) -> Self {
        self.handshake_timeout = t;
        self
    }
    /// Bytes of encoded messages that may wait for one peer's socket (default
    /// [`DEFAULT_MAX_SEND_QUEUE`]). Sends never block; a send that takes the queue
    /// past this closes the connection as a peer that is not taking what it is
    /// sent, and the peer goes down, as it does on a tick timeout.
    pub fn max_send_queue(mut self, bytes: usize) -> Self {
        self.max_send_queue = bytes;
        self
    }
    /// Largest distribution message a peer may send, in bytes (default
    /// [`DEFAULT_MAX_FRAME`]). A peer that announces a longer one is disconnected.
    pub fn max_frame(mut self, bytes: usize) -> Self {
        self.max_frame = bytes;
        self
    }
    /// Bytes that partly received messages may hold across all connections, beyond
    /// [`READ_BUFFER_ALLOWANCE`] per connection (default
    /// [`DEFAULT_MAX_INCOMING_BUFFERED`]). The connection whose read would take the
    /// total past it is disconnected, so that peers announcing large messages and
    /// sending them slowly cannot together hold more than this.
    pub fn max_incoming_buffered(mut self, bytes: usize) -> Self {
        self.max_incoming_buffered = bytes;
        self
    }
    /// Bytes one peer's incomplete fragmented messages may hold while they arrive
    /// (default [`DEFAULT_MAX_REASSEMBLY`]). A peer whose fragments would go past it
    /// is disconnected; what a connection held is freed when it closes.
    pub fn max_reassembly(mut self, bytes: usize) -> Self {
        self.max_reassembly = bytes;
        self
    }
    /// Links and monitors the node may hold for one process of another node
    /// (default [`DEFAULT_MAX_SIGNALS_PER_REMOTE_PID`]): links between it and local
    /// processes, and monitors it holds on local processes (by pid or by name). A
    /// peer whose `LINK`, `MONITOR_P` or `spawn_request` (with `link` or `monitor`)
    /// would go past it is disconnected, which removes all it set up.
    pub fn max_signals_per_remote_pid(mut self, n: usize) -> Self {
        self.max_signals_per_remote_pid = n;
        self
    }
    /// Links and monitors the node may hold for all the processes of one node
    /// together, counted as for [`NodeBuilder::max_signals_per_remote_pid`] (default
    /// [`DEFAULT_MAX_SIGNALS_PER_PEER`]), so that a peer cannot use many pids to get
    /// around that limit. A peer that would go past it is disconnected.
    pub fn max_signals_per_peer(mut self, n: usize) -> Self {
        self.max_signals_per_peer = n;
        self
    }

    /// Runs distribution over TLS, as BEAM nodes started with
    /// `-proto_dist inet_tls` do: every connection, accepted or dialled, is TLS
    /// (EPMD stays plain TCP), and a peer without TLS is refused. The
    /// certificate and key files are read by [`NodeBuilder::start`].
    ///
    /// ```no_run
    /// # async fn run() -> Result<(), erlnode::NodeError> {
    /// use erlnode::{Node, TlsConfig};
    /// // The same file BEAM nodes take with -ssl_dist_optfile:
    /// let tls = TlsConfig::from_optfile("/etc/erlang/ssl_dist.conf")?;
    /// // Or mutual TLS from three files:
    /// let _tls = TlsConfig::new("node.pem", "node.key").ca("ca.pem");
    /// let node = Node::builder("rust@host1").tls(tls).start().await?;
    /// # Ok(()) }
    /// ```
    pub fn tls(mut self, tls: TlsConfig) -> Self {
        self.tls = Some(tls);
        self
    }

    /// Listens, registers with EPMD (starting an embedded one when none
    /// answers), and starts the node's services.
    pub async fn start(self) -> Result<Node, NodeError> {
        let name = names::full_name(&self.name)?;
        let cookie = match self.cookie {
            Some(c) => c.checked()?,
            None => cookie::load_or_create(&cookie::default_path()?)?,
        };
        let tls = match &self.tls {
            Some(cfg) => Some(Arc::new(tls::Tls::load(cfg)?)),
            None => None,
        };
        let epmd_port = self
            .epmd_port
            .unwrap_or_else(epmd_client::epmd_port_from_env);
        let addr = SocketAddr::new(self.listen_ip, self.port);
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .map_err(|source| NodeError::Listen { addr, source })?;
        let port = listener
            .local_addr()
            .map_err(|source| NodeError::Listen { addr, source })?
            .port();
        let alive = name.split('@').next().unwrap_or(&name).to_owned();
        let (registration, epmd_server) =
            epmd_client::register_or_serve(epmd_port, &alive, port, self.hidden).await?;
        let creation = registration.creation();
        let (events, _) = broadcast::channel(256);
        let table = table::ProcessTable::new(Atom::from(name.as_str()));
        let inner = Arc::new(Inner {
            atom: Atom::from(name.as_str()),
            name,
            creation,
            cookie,
            hidden: self.hidden,
            flags: DistFlags::ours(self.hidden),
            net_ticktime: self.net_ticktime,
            handshake_timeout: self.handshake_timeout,
            tls,
            max_frame: self.max_frame,
            max_incoming_buffered: self.max_incoming_buffered,
            incoming_buffered: AtomicUsize::new(0),
            max_reassembly: self.max_reassembly,
            tie_limits: table::TieLimits {
                per_pid: self.max_signals_per_remote_pid,
                per_peer: self.max_signals_per_peer,
            },
            epmd_port,
            listen_port: port,
            table: Mutex::new(table),
            peers: Mutex::new(peers::Peers::new(self.max_send_queue)),
            events,
            next_ref: AtomicU32::new(1),
            io: Default::default(),
            functions: Default::default(),
            background: Mutex::new(Vec::new()),
            epmd: Mutex::new(Some((registration, epmd_server))),
        });
        let node = Node { inner };
        let accept = tokio::spawn(connection::accept_loop(node.clone(), listener));
        node.keep_task(accept.abort_handle());
        crate::otp::start(&node);
        tracing::info!(
            node = %node.name(),
            port,
            hidden = node.inner.hidden,
            tls = node.inner.tls.is_some(),
            "node started"
        );
        Ok(node)
    }
}

pub(crate) struct Inner {
    name: String,
    atom: Atom,
    creation: u32,
    cookie: Cookie,
    hidden: bool,
    flags: DistFlags,
    net_ticktime: Duration,
    handshake_timeout: Duration,
    /// Set when distribution runs over TLS.
    tls: Option<Arc<tls::Tls>>,
    max_frame: usize,
    max_incoming_buffered: usize,
    /// Read-buffer bytes over [`READ_BUFFER_ALLOWANCE`] held by all connections.
    incoming_buffered: AtomicUsize,
    pub(crate) max_reassembly: usize,
    /// `max_signals_per_remote_pid` and `max_signals_per_peer`.
    tie_limits: table::TieLimits,
    epmd_port: u16,
    listen_port: u16,
    table: Mutex<table::ProcessTable>,
    peers: Mutex<peers::Peers>,
    events: broadcast::Sender<NodeEvent>,
    next_ref: AtomicU32,
    pub(crate) io: stats::IoCounters,
    pub(crate) functions: crate::otp::rpc::Registry,
    background: Mutex<Vec<tokio::task::AbortHandle>>,
    epmd: Mutex<
        Option<(
            epmd_client::Registration,
            Option<epmd_server::EpmdServerHandle>,
        )>,
    >,
}

/// A running node. Cheap to clone; every clone is the same node.
#[derive(Clone)]
pub struct Node {
    pub(crate) inner: Arc<Inner>,
}

/// Locks a mutex, carrying on with the data if a holder panicked: no lock here
/// guards an invariant that a panic half-way could break dangerously.
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl Node {
    /// A [`NodeBuilder`] for the node named `name` (`alive@host`).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), erlnode::NodeError> {
    /// use erlnode::Node;
    /// let node = Node::builder("doc_builder@localhost")
    ///     .cookie("secret")
    ///     .hidden(true)
    ///     .epmd_port(43691) // a private EPMD; the node starts one when none answers
    ///     .start()
    ///     .await?;
    /// assert_eq!(node.name(), "doc_builder@localhost");
    /// assert!(node.nodes().is_empty());
    /// node.shutdown().await;
    /// # Ok(()) }
    /// ```
    pub fn builder(name: impl Into<String>) -> NodeBuilder {
        NodeBuilder::new(name)
    }

    /// The full node name, `alive@host`.
    pub fn name(&self) -> &str {
        &self.inner.name
    }
    /// The node name as an atom, as it appears in pids and references.
    pub fn atom(&self) -> &Atom {
        &self.inner.atom
    }
    /// This incarnation's creation number, given by EPMD at registration.
    pub fn creation(&self) -> u32 {
        self.inner.creation
    }
    /// Whether the node runs hidden.
    pub fn hidden(&self) -> bool {
        self.inner.hidden
    }
    /// Bytes that partly received messages hold across all connections now, over
    /// each connection's [`READ_BUFFER_ALLOWANCE`] (bounded by
    /// [`NodeBuilder::max_incoming_buffered`]).
    pub fn incoming_buffered(&self) -> usize {
        self.inner.incoming_buffered.load(Ordering::Relaxed)
    }
    /// The TCP port distribution connections are accepted on.
    pub fn port(&self) -> u16 {
        self.inner.listen_port
    }
    /// The `net_ticktime` the node runs with.
    pub fn net_ticktime(&self) -> Duration {
        self.inner.net_ticktime
    }

    /// Node events (up/down) from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<NodeEvent> {
        self.inner.events.subscribe()
    }

    /// Connected visible nodes, as `erlang:nodes()` lists them.
    pub fn nodes(&self) -> Vec<String> {
        self.peers_snapshot(Some(false))
    }
    /// Connected hidden nodes, as `erlang:nodes(hidden)` lists them.
    pub fn hidden_nodes(&self) -> Vec<String> {
        self.peers_snapshot(Some(true))
    }
    /// Distribution traffic so far: socket reads and writes, bytes, messages.
    pub fn io_stats(&self) -> IoStats {
        self.inner.io.snapshot()
    }
    /// Every connected node.
    pub fn connected_nodes(&self) -> Vec<String> {
        self.peers_snapshot(None)
    }

    /// Connects to `node` unless already connected.
    pub async fn connect(&self, node: &str) -> Result<(), NodeError> {
        connection::connect(self, node).await
    }

    /// Closes the connection to `node` (as `erlang:disconnect_node/1`); links
    /// and monitors across it see `noconnection`. False if it was not connected.
    pub fn disconnect(&self, node: &str) -> bool {
        peers::disconnect(self, node, "disconnected by this node")
    }

    /// As `net_adm:ping/1`: connect, then ask the peer's net_kernel whether
    /// we are authorised. `true` for pong.
    pub async fn ping(&self, node: &str, timeout: Duration) -> bool {
        if node == self.name() {
            return true;
        }
        let work = async {
            if self.connect(node).await.is_err() {
                return false;
            }
            let mut me = self.process();
            let tag = self.make_ref();
            let call = term::tuple(vec![
                term::atom("$gen_call"),
                term::tuple(vec![term::pid(me.pid()), term::reference(&tag)]),
                term::tuple(vec![term::atom("is_auth"), term::atom(self.name())]),
            ]);
            if me
                .send_named_remote(node, "net_kernel", call)
                .await
                .is_err()
            {
                return false;
            }
            let tag_term = term::reference(&tag);
            matches!(
                me.receive_match(|m| term::as_tuple(m)
                    .is_some_and(|t| t.len() == 2 && t[0] == tag_term))
                    .await,
                Ok(reply) if term::as_tuple(&reply).is_some_and(|t| term::is_atom(&t[1], "yes"))
            )
        };
        tokio::time::timeout(timeout, work).await.unwrap_or(false)
    }

    /// A new reference of this node.
    pub fn make_ref(&self) -> Reference {
        let n = self.inner.next_ref.fetch_add(1, Ordering::Relaxed);
        let r: u32 = rand::random();
        Reference {
            node: self.inner.atom.clone(),
            id: vec![n & 0x3ffff, r, rand::random()],
            creation: self.inner.creation,
        }
    }

    /// Is `pid` a process of this node (this incarnation)?
    pub fn is_local(&self, pid: &Pid) -> bool {
        pid.node == self.inner.atom && pid.creation == self.inner.creation
    }

    /// The local process registered as `name`, as `Process.whereis/1`.
    pub fn whereis(&self, name: &str) -> Option<Pid> {
        lock(&self.inner.table).whereis(name)
    }

    /// The name `pid` (a local process) is registered under, if any.
    pub fn registered_name(&self, pid: &Pid) -> Option<String> {
        lock(&self.inner.table)
            .get(pid)
            .and_then(|e| e.name().map(str::to_owned))
    }

    /// The locally registered names, sorted, as `Process.registered/0`.
    pub fn registered(&self) -> Vec<String> {
        let mut v: Vec<String> = lock(&self.inner.table).names.keys().cloned().collect();
        v.sort();
        v
    }

    /// Registers `pid` (a live local process) under `name`.
    pub fn register(&self, name: &str, pid: &Pid) -> Result<(), NodeError> {
        let mut t = lock(&self.inner.table);
        if t.names.contains_key(name) {
            return Err(NodeError::NameTaken(name.into()));
        }
        let entry = t
            .get_mut(pid)
            .ok_or_else(|| NodeError::NoProc(format!("{pid}")))?;
        if entry.name().is_some() {
            return Err(NodeError::NameTaken(name.into()));
        }
        entry.extra_mut().name = Some(name.to_owned());
        t.names.insert(name.to_owned(), pid.clone());
        Ok(())
    }

    /// Removes the registration `name`; false when nothing was registered under it.
    pub fn unregister(&self, name: &str) -> bool {
        let mut t = lock(&self.inner.table);
        match t.names.remove(name) {
            Some(pid) => {
                if let Some(x) = t.get_mut(&pid).and_then(|e| e.extra.as_mut()) {
                    x.name = None;
                }
                true
            }
            None => false,
        }
    }

    /// Sends `msg` to `to`, local or remote (connecting first if needed). As on
    /// BEAM, a send to a dead process or unreachable node is silently dropped.
    pub fn send(&self, to: &Pid, msg: Term) {
        if self.is_local(to) {
            self.deliver(to, msg);
        } else {
            let ctl = crate::proto::control::Control::Send { to: to.clone() };
            connection::send_control(self, &to.node.name, &ctl, Some(&msg), true);
        }
    }

    /// [`Node::send`] without taking the message: a remote send encodes it from the
    /// reference, a local one clones it for the mailbox.
    pub fn send_ref(&self, to: &Pid, msg: &Term) {
        if self.is_local(to) {
            self.deliver(to, msg.clone());
        } else {
            let ctl = crate::proto::control::Control::Send { to: to.clone() };
            connection::send_control(self, &to.node.name, &ctl, Some(msg), true);
        }
    }

    /// A send from process `from`: remote, it goes as SEND_SENDER, so the peer knows
    /// the sender (and its large messages hold back only that sender's later ones).
    pub(crate) fn send_from(&self, from: &Pid, to: &Pid, msg: &Term) {
        if self.is_local(to) {
            self.deliver(to, msg.clone());
        } else {
            let ctl = crate::proto::control::Control::SendSender {
                from: from.clone(),
                to: to.clone(),
            };
            connection::send_control(self, &to.node.name, &ctl, Some(msg), true);
        }
    }

    /// Sends to a locally registered name; false if nothing has that name.
    pub fn send_local_named(&self, name: &str, msg: Term) -> bool {
        self.send_local_named_msg(name, mailbox::Msg::Term(msg))
    }

    /// [`Node::send_local_named`] for a term or a checked message.
    pub(crate) fn send_local_named_msg(&self, name: &str, msg: mailbox::Msg) -> bool {
        match self.whereis(name) {
            Some(pid) => {
                self.deliver_msg(&pid, msg);
                true
            }
            None => false,
        }
    }

    /// Stops the node: closes every connection and unregisters from EPMD.
    pub async fn shutdown(&self) {
        for h in lock(&self.inner.background).drain(..) {
            h.abort();
        }
        peers::close_all(self, "shutdown");
        let epmd = lock(&self.inner.epmd).take();
        drop(epmd);
        tracing::info!(node = %self.name(), "node stopped");
    }

    pub(crate) fn keep_task(&self, h: tokio::task::AbortHandle) {
        lock(&self.inner.background).push(h);
    }

    fn peers_snapshot(&self, hidden: Option<bool>) -> Vec<String> {
        let mut v = peers::up_nodes(self, hidden);
        v.sort();
        v
    }

    pub(crate) fn handshake_config(&self) -> crate::proto::handshake::HandshakeConfig {
        crate::proto::handshake::HandshakeConfig {
            node_name: self.inner.name.clone(),
            flags: self.inner.flags,
            creation: self.inner.creation,
            cookie: self.inner.cookie.as_bytes().to_vec(),
        }
    }
}
