//! Embedded EPMD server: the in-process port mapper started when none answers.
//!
//! It speaks the same wire protocol as OTP's `epmd` (see
//! [`crate::proto::epmd`]): ALIVE2 registration kept for as long as the
//! registering connection stays open, PORT_PLEASE2, NAMES and DUMP, each
//! answered and then closed. Behaviour copied from `epmd_srv.c` (facts, not
//! code):
//! - a name that is already registered is refused with result 1, creation 99;
//! - a name registered again after its node went away gets the previous
//!   creation plus one (never below 4); a new name starts at an arbitrary
//!   value (epmd uses the clock, we use a random number);
//! - clients speaking only distribution version 5 get the 16-bit reply with
//!   creation in 1..=3;
//! - ALIVE2 and DUMP are only served to local peers (loopback or our own
//!   address); KILL is refused with "NO"; STOP (forced unregister) is ignored;
//! - anything sent on a registration connection after the reply, or its
//!   closing, removes the registration;
//! - a bad length, an unknown request or a malformed body closes the
//!   connection without a reply; idle connections are closed after a timeout.
//!   (One difference: epmd answers an ALIVE2_REQ whose name is not valid
//!   UTF-8 or longer than 255 characters with result 1; we just close.)

use std::collections::VecDeque;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;
use tokio::task::{JoinHandle, JoinSet};
use tracing::{debug, info, warn};

use crate::proto::epmd::{
    self, DIST_VERSION_6, EpmdError, KILL_REFUSED, NodeEntry, REFUSED_CREATION, RESULT_REFUSED,
    Request,
};

/// How long a client may take to send its request (epmd's default is 60 s).
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
/// How long writing a reply may take.
pub const WRITE_TIMEOUT: Duration = Duration::from_secs(10);
/// Most client connections served at once; more are dropped on accept.
pub const MAX_CONNECTIONS: usize = 1024;
/// How many unregistered names are remembered (to bump their creation);
/// epmd keeps 1000.
pub const MAX_REMEMBERED_NAMES: usize = 1000;

/// A bound, not yet running, embedded EPMD.
pub struct EpmdServer {
    listener: TcpListener,
    local_addr: SocketAddr,
    registry: Arc<Mutex<Registry>>,
}

/// A running embedded EPMD; dropping the handle stops it (and with it every
/// registration it holds).
#[derive(Debug)]
pub struct EpmdServerHandle {
    local_addr: SocketAddr,
    task: JoinHandle<()>,
}

impl EpmdServerHandle {
    /// The address the server listens on.
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// Whether the server task has ended (it only ends when stopped or on a
    /// panic).
    pub fn is_finished(&self) -> bool {
        self.task.is_finished()
    }

    /// Stops the server and waits until it has stopped.
    pub async fn stop(mut self) {
        self.task.abort();
        // The result is the cancellation we just asked for (or a panic that
        // has already been reported); either way the server is gone.
        let _ = (&mut self.task).await;
    }
}

impl Drop for EpmdServerHandle {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl EpmdServer {
    /// Binds the listening socket (`0.0.0.0:4369` for a real deployment,
    /// `127.0.0.1:0` in tests).
    pub async fn bind(addr: SocketAddr) -> io::Result<EpmdServer> {
        let listener = TcpListener::bind(addr).await?;
        let local_addr = listener.local_addr()?;
        Ok(EpmdServer {
            listener,
            local_addr,
            registry: Arc::new(Mutex::new(Registry::default())),
        })
    }

    /// The address the server is bound to.
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// Serves clients until the returned future is dropped. Every client
    /// runs in its own task; those tasks end when this future is dropped.
    pub async fn run(self) -> io::Result<()> {
        debug!(addr = %self.local_addr, "EPMD listening");
        let permits = Arc::new(Semaphore::new(MAX_CONNECTIONS));
        let mut clients = JoinSet::new();
        let mut next_conn: u64 = 0;
        loop {
            tokio::select! {
                accepted = self.listener.accept() => {
                    let (stream, peer) = match accepted {
                        Ok(x) => x,
                        Err(e) => {
                            // EMFILE and friends: back off instead of spinning.
                            warn!(error = %e, "EPMD accept failed");
                            tokio::time::sleep(Duration::from_millis(100)).await;
                            continue;
                        }
                    };
                    let Ok(permit) = permits.clone().try_acquire_owned() else {
                        warn!(%peer, "EPMD connection limit reached; dropping client");
                        continue;
                    };
                    next_conn += 1;
                    let conn = Conn {
                        id: next_conn,
                        peer,
                        epmd_port: self.local_addr.port(),
                        registry: self.registry.clone(),
                    };
                    clients.spawn(async move {
                        conn.serve(stream).await;
                        drop(permit);
                    });
                }
                Some(done) = clients.join_next(), if !clients.is_empty() => {
                    if let Err(e) = done
                        && e.is_panic()
                    {
                        warn!(error = %e, "EPMD client task panicked");
                    }
                }
            }
        }
    }

    /// Runs the server on the current tokio runtime.
    pub fn spawn(self) -> EpmdServerHandle {
        let local_addr = self.local_addr;
        let task = tokio::spawn(async move {
            if let Err(e) = self.run().await {
                warn!(error = %e, "embedded EPMD stopped");
            }
        });
        EpmdServerHandle { local_addr, task }
    }
}

// ---------------------------------------------------------------------------
// Registry
// ---------------------------------------------------------------------------

struct Active {
    entry: NodeEntry,
    conn: u64,
    counter: u32,
}

struct Unused {
    name: String,
    port: u16,
    conn: u64,
    counter: u32,
}

#[derive(Default)]
struct Registry {
    /// Registered nodes, oldest first (NAMES lists newest first, like epmd).
    active: Vec<Active>,
    /// Names that were registered once, oldest first, bounded.
    unused: VecDeque<Unused>,
}

/// Next creation counter: one more than before, never in the old 0..=3 range.
fn bump(counter: u32) -> u32 {
    counter.wrapping_add(1).max(4)
}

/// Creation as reported to a client: the counter for version 6, 1..=3 for
/// version 5 clients (whose creation field is 2 bits wide).
fn creation_for(entry: &NodeEntry, counter: u32) -> u32 {
    if entry.highest >= DIST_VERSION_6 {
        counter
    } else {
        counter % 3 + 1
    }
}

impl Registry {
    /// Registers `entry` for connection `conn`; `None` if the name is taken.
    fn register(&mut self, entry: NodeEntry, conn: u64) -> Option<u32> {
        if self.active.iter().any(|a| a.entry.name == entry.name) {
            return None;
        }
        let counter = match self.unused.iter().position(|u| u.name == entry.name) {
            Some(i) => self
                .unused
                .remove(i)
                .map_or_else(|| bump(rand::random()), |u| bump(u.counter)),
            None => bump(rand::random()),
        };
        let creation = creation_for(&entry, counter);
        self.active.push(Active {
            entry,
            conn,
            counter,
        });
        Some(creation)
    }

    /// Removes whatever connection `conn` registered; returns its name.
    fn unregister(&mut self, conn: u64) -> Option<String> {
        let i = self.active.iter().position(|a| a.conn == conn)?;
        let a = self.active.remove(i);
        if self.unused.len() >= MAX_REMEMBERED_NAMES {
            self.unused.pop_front();
        }
        let name = a.entry.name.clone();
        self.unused.push_back(Unused {
            name: a.entry.name,
            port: a.entry.port,
            conn,
            counter: a.counter,
        });
        Some(name)
    }

    fn lookup(&self, name: &str) -> Option<&NodeEntry> {
        self.active
            .iter()
            .find(|a| a.entry.name == name)
            .map(|a| &a.entry)
    }
}

fn lock(registry: &Mutex<Registry>) -> MutexGuard<'_, Registry> {
    // A panic while holding the lock cannot leave the registry half-updated
    // in a way that matters more than stopping service would.
    registry
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

// ---------------------------------------------------------------------------
// One client connection
// ---------------------------------------------------------------------------

struct Conn {
    id: u64,
    peer: SocketAddr,
    epmd_port: u16,
    registry: Arc<Mutex<Registry>>,
}

/// Why a connection was closed without (or after) serving it.
#[derive(Debug, thiserror::Error)]
enum ConnError {
    #[error("bad request: {0}")]
    Protocol(#[from] EpmdError),
    #[error("I/O error: {0}")]
    Io(#[from] io::Error),
    #[error("no complete request within {0:?}")]
    Timeout(Duration),
    #[error("closed after {0} bytes of a partial request")]
    Partial(usize),
    #[error("{0} bytes after the request")]
    Trailing(usize),
}

impl Conn {
    async fn serve(self, mut stream: TcpStream) {
        let local = is_local_peer(&stream, self.peer);
        let req = match read_request(&mut stream).await {
            Ok(Some(req)) => req,
            Ok(None) => {
                debug!(peer = %self.peer, "EPMD client closed without a request");
                return;
            }
            Err(e) => {
                warn!(peer = %self.peer, error = %e, "closing malformed EPMD client");
                return;
            }
        };
        if let Err(e) = self.handle(&mut stream, req, local).await {
            warn!(peer = %self.peer, error = %e, "EPMD client error");
        }
    }

    async fn handle(
        &self,
        stream: &mut TcpStream,
        req: Request,
        local: bool,
    ) -> Result<(), ConnError> {
        match req {
            Request::Alive2(entry) => {
                if !local {
                    warn!(peer = %self.peer, name = %entry.name, "ALIVE2_REQ from a non-local address refused");
                    return Ok(());
                }
                self.alive(stream, entry).await
            }
            Request::PortPlease2 { name } => {
                let reply = {
                    let reg = lock(&self.registry);
                    epmd::encode_port2_resp(reg.lookup(&name))?
                };
                debug!(peer = %self.peer, %name, found = reply.len() > 2, "PORT_PLEASE2");
                write_reply(stream, &reply).await
            }
            Request::Names => {
                let reply = {
                    let reg = lock(&self.registry);
                    epmd::encode_names_resp(
                        self.epmd_port,
                        reg.active
                            .iter()
                            .rev()
                            .map(|a| (a.entry.name.as_str(), a.entry.port)),
                    )
                };
                debug!(peer = %self.peer, "NAMES");
                write_reply(stream, &reply).await
            }
            Request::Dump => {
                if !local {
                    warn!(peer = %self.peer, "DUMP_REQ from a non-local address refused");
                    return Ok(());
                }
                let reply = {
                    let reg = lock(&self.registry);
                    epmd::encode_dump_resp(
                        self.epmd_port,
                        reg.active
                            .iter()
                            .rev()
                            .map(|a| (a.entry.name.as_str(), a.entry.port, a.conn)),
                        reg.unused.iter().map(|u| (u.name.as_str(), u.port, u.conn)),
                    )
                };
                write_reply(stream, &reply).await
            }
            Request::Kill => {
                info!(peer = %self.peer, "KILL_REQ refused: the embedded EPMD lives as long as its node");
                write_reply(stream, KILL_REFUSED).await
            }
            Request::Stop { name } => {
                info!(peer = %self.peer, %name, "STOP_REQ ignored (forced unregistration is disabled)");
                Ok(())
            }
        }
    }

    async fn alive(&self, stream: &mut TcpStream, entry: NodeEntry) -> Result<(), ConnError> {
        let highest = entry.highest;
        let name = entry.name.clone();
        let port = entry.port;
        let registered = lock(&self.registry).register(entry, self.id);
        let Some(creation) = registered else {
            info!(peer = %self.peer, %name, "ALIVE2_REQ refused: name in use");
            return write_reply(
                stream,
                &epmd::encode_alive2_resp(highest, RESULT_REFUSED, REFUSED_CREATION),
            )
            .await;
        };
        info!(%name, port, creation, "node registered");
        let result = self.hold_registration(stream, highest, creation).await;
        if let Some(name) = lock(&self.registry).unregister(self.id) {
            info!(%name, "node unregistered");
        }
        result
    }

    /// Replies to a successful registration, then waits for the connection to
    /// end. Any byte received also ends it, as with epmd.
    async fn hold_registration(
        &self,
        stream: &mut TcpStream,
        highest: u16,
        creation: u32,
    ) -> Result<(), ConnError> {
        write_reply(stream, &epmd::encode_alive2_resp(highest, 0, creation)).await?;
        let mut byte = [0u8; 64];
        match stream.read(&mut byte).await {
            Ok(0) => Ok(()),
            Ok(n) => Err(ConnError::Trailing(n)),
            Err(e) => Err(ConnError::Io(e)),
        }
    }
}

/// Reads one length-prefixed request. `Ok(None)` if the client closed before
/// sending anything.
async fn read_request(stream: &mut TcpStream) -> Result<Option<Request>, ConnError> {
    let read = async {
        let mut buf = Vec::with_capacity(64);
        let mut chunk = [0u8; 512];
        loop {
            if let Some((req, used)) = epmd::decode_request(&buf)? {
                if used != buf.len() {
                    return Err(ConnError::Trailing(buf.len() - used));
                }
                return Ok(Some(req));
            }
            // decode_request bounds the length, so `buf` stays under
            // MAX_REQUEST_LEN + 2 plus one chunk.
            let n = stream.read(&mut chunk).await?;
            if n == 0 {
                return if buf.is_empty() {
                    Ok(None)
                } else {
                    Err(ConnError::Partial(buf.len()))
                };
            }
            buf.extend_from_slice(&chunk[..n]);
        }
    };
    tokio::time::timeout(REQUEST_TIMEOUT, read)
        .await
        .map_err(|_| ConnError::Timeout(REQUEST_TIMEOUT))?
}

async fn write_reply(stream: &mut TcpStream, reply: &[u8]) -> Result<(), ConnError> {
    tokio::time::timeout(WRITE_TIMEOUT, stream.write_all(reply))
        .await
        .map_err(|_| ConnError::Timeout(WRITE_TIMEOUT))??;
    Ok(())
}

/// Local peers are loopback addresses or our own address, as in epmd.
fn is_local_peer(stream: &TcpStream, peer: SocketAddr) -> bool {
    let canon = |ip: IpAddr| ip.to_canonical();
    let peer_ip = canon(peer.ip());
    if peer_ip.is_loopback() {
        return true;
    }
    stream
        .local_addr()
        .map(|local| canon(local.ip()) == peer_ip)
        .unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(name: &str, highest: u16) -> NodeEntry {
        let mut e = NodeEntry::new(name, 4000, false);
        e.highest = highest;
        e
    }

    #[test]
    fn duplicate_names_are_refused() {
        let mut reg = Registry::default();
        assert!(reg.register(entry("a", 6), 1).is_some());
        assert!(reg.register(entry("a", 6), 2).is_none());
        assert!(reg.register(entry("b", 6), 2).is_some());
    }

    #[test]
    fn reregistration_bumps_creation() {
        let mut reg = Registry::default();
        let c1 = reg.register(entry("a", 6), 1).unwrap();
        assert!(c1 >= 4);
        assert_eq!(reg.unregister(1).as_deref(), Some("a"));
        let c2 = reg.register(entry("a", 6), 2).unwrap();
        assert_eq!(c2, bump(c1));
        // Only the owning connection removes a registration.
        assert_eq!(reg.unregister(1), None);
        assert!(reg.lookup("a").is_some());
    }

    #[test]
    fn creation_rules() {
        assert_eq!(bump(0), 4);
        assert_eq!(bump(u32::MAX), 4);
        assert_eq!(bump(1_795_355_376), 1_795_355_377);
        // Version 5 clients get 1..=3, as epmd (counter % 3 + 1).
        let v5 = entry("old", 5);
        for c in [4, 5, 6, 1_795_355_376] {
            let cr = creation_for(&v5, c);
            assert!((1..=3).contains(&cr));
        }
    }

    #[test]
    fn remembered_names_are_bounded() {
        let mut reg = Registry::default();
        for i in 0..(MAX_REMEMBERED_NAMES as u64 + 10) {
            reg.register(entry(&format!("n{i}"), 6), i).unwrap();
            reg.unregister(i).unwrap();
        }
        assert_eq!(reg.unused.len(), MAX_REMEMBERED_NAMES);
        assert!(reg.active.is_empty());
    }
}
