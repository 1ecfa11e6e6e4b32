//! EPMD client over TCP: register (and keep the registration open), PORT_PLEASE2, NAMES.
//!
//! Each call opens its own connection, as OTP does. A registration lives as
//! long as its connection: [`Registration`] owns the socket and dropping it
//! unregisters the node. [`register_or_serve`] starts the embedded EPMD
//! ([`crate::node::epmd_server`]) when nothing listens on the EPMD port.

use std::io;
use std::net::{Ipv4Addr, SocketAddr};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tracing::{debug, info, warn};

use crate::node::epmd_server::{EpmdServer, EpmdServerHandle};
use crate::proto::epmd::{self, DEFAULT_EPMD_PORT, EpmdError, NodeEntry, Port2Resp};

/// Limit on connecting to an EPMD.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// Limit on waiting for a complete reply.
pub const REPLY_TIMEOUT: Duration = Duration::from_secs(5);
/// Largest NAMES reply we buffer.
pub const MAX_NAMES_REPLY: usize = 1 << 20;
/// Largest PORT2_RESP / ALIVE2 reply we buffer (a PORT2_RESP with the longest
/// legal name and extra is 2054 bytes).
const MAX_SHORT_REPLY: usize = 4096;
/// How often [`register_or_serve`] retries when another process wins the race
/// to start an EPMD.
const SERVE_ATTEMPTS: usize = 5;

/// The EPMD port from `ERL_EPMD_PORT`, else 4369.
pub fn epmd_port_from_env() -> u16 {
    match std::env::var("ERL_EPMD_PORT") {
        Ok(v) => match v.trim().parse::<u16>() {
            Ok(p) if p != 0 => p,
            _ => {
                warn!(value = %v, "ignoring invalid ERL_EPMD_PORT; using {DEFAULT_EPMD_PORT}");
                DEFAULT_EPMD_PORT
            }
        },
        Err(_) => DEFAULT_EPMD_PORT,
    }
}

/// A live registration with an EPMD. The node stays registered while this
/// value exists; dropping it closes the connection, which unregisters it.
#[derive(Debug)]
pub struct Registration {
    stream: TcpStream,
    epmd: SocketAddr,
    name: String,
    creation: u32,
}

impl Registration {
    /// The creation EPMD assigned to this incarnation of the node.
    pub fn creation(&self) -> u32 {
        self.creation
    }

    /// The registered name (without `@host`).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The EPMD holding the registration.
    pub fn epmd_addr(&self) -> SocketAddr {
        self.epmd
    }

    /// Resolves when the EPMD drops the registration connection (for example
    /// because it was killed); the node is then no longer registered.
    pub async fn closed(&mut self) {
        let mut buf = [0u8; 64];
        loop {
            match self.stream.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                // epmd never sends anything here; ignore it if one does.
                Ok(_) => continue,
            }
        }
    }
}

async fn connect(epmd: SocketAddr) -> Result<TcpStream, EpmdError> {
    match tokio::time::timeout(CONNECT_TIMEOUT, TcpStream::connect(epmd)).await {
        Ok(Ok(s)) => {
            // Requests are tiny; don't let Nagle hold them back.
            let _ = s.set_nodelay(true);
            Ok(s)
        }
        Ok(Err(source)) => Err(EpmdError::Connect {
            addr: epmd.to_string(),
            source,
        }),
        Err(_) => Err(EpmdError::Timeout {
            addr: epmd.to_string(),
            during: "connect",
        }),
    }
}

async fn send(stream: &mut TcpStream, epmd: SocketAddr, bytes: &[u8]) -> Result<(), EpmdError> {
    let io_err = |source| EpmdError::Io {
        addr: epmd.to_string(),
        during: "sending request",
        source,
    };
    match tokio::time::timeout(REPLY_TIMEOUT, stream.write_all(bytes)).await {
        Ok(r) => r.map_err(io_err),
        Err(_) => Err(EpmdError::Timeout {
            addr: epmd.to_string(),
            during: "sending request",
        }),
    }
}

/// Reads until `decode` yields a value, within [`REPLY_TIMEOUT`] and
/// `max` bytes.
async fn read_reply<T>(
    stream: &mut TcpStream,
    epmd: SocketAddr,
    during: &'static str,
    max: usize,
    mut decode: impl FnMut(&[u8]) -> Result<Option<T>, EpmdError>,
) -> Result<T, EpmdError> {
    let read = async {
        let mut buf = Vec::with_capacity(64);
        let mut chunk = [0u8; 1024];
        loop {
            if let Some(v) = decode(&buf)? {
                return Ok(v);
            }
            if buf.len() > max {
                return Err(EpmdError::ReplyTooLarge {
                    addr: epmd.to_string(),
                    max,
                });
            }
            let n = stream
                .read(&mut chunk)
                .await
                .map_err(|source| EpmdError::Io {
                    addr: epmd.to_string(),
                    during,
                    source,
                })?;
            if n == 0 {
                return Err(EpmdError::Closed {
                    addr: epmd.to_string(),
                    during,
                });
            }
            buf.extend_from_slice(&chunk[..n]);
        }
    };
    tokio::time::timeout(REPLY_TIMEOUT, read)
        .await
        .map_err(|_| EpmdError::Timeout {
            addr: epmd.to_string(),
            during,
        })?
}

/// Registers `name` (without `@host`) with the EPMD at `epmd`, announcing
/// distribution port `listen_port`. A refusal (the name is taken) is
/// [`EpmdError::NameInUse`].
pub async fn register(
    epmd: SocketAddr,
    name: &str,
    listen_port: u16,
    hidden: bool,
) -> Result<Registration, EpmdError> {
    let req = epmd::encode_alive2_req(&NodeEntry::new(name, listen_port, hidden))?;
    let mut stream = connect(epmd).await?;
    send(&mut stream, epmd, &req).await?;
    let resp = read_reply(
        &mut stream,
        epmd,
        "waiting for ALIVE2 reply",
        MAX_SHORT_REPLY,
        |b| Ok(epmd::decode_alive2_resp(b)?.map(|(r, _)| r)),
    )
    .await?;
    if resp.result != 0 {
        return Err(EpmdError::NameInUse {
            name: name.to_owned(),
            addr: epmd.to_string(),
            result: resp.result,
        });
    }
    info!(%epmd, name, listen_port, hidden, creation = resp.creation, "registered with EPMD");
    Ok(Registration {
        stream,
        epmd,
        name: name.to_owned(),
        creation: resp.creation,
    })
}

/// Looks `name` (without `@host`) up; `None` if it is not registered.
pub async fn port_please(epmd: SocketAddr, name: &str) -> Result<Option<NodeEntry>, EpmdError> {
    let req = epmd::encode_port_please2_req(name)?;
    let mut stream = connect(epmd).await?;
    send(&mut stream, epmd, &req).await?;
    let resp = read_reply(
        &mut stream,
        epmd,
        "waiting for PORT2_RESP",
        MAX_SHORT_REPLY,
        |b| Ok(epmd::decode_port2_resp(b)?.map(|(r, _)| r)),
    )
    .await?;
    debug!(%epmd, name, ?resp, "PORT_PLEASE2");
    Ok(match resp {
        Port2Resp::Found(entry) => Some(entry),
        Port2Resp::NotFound(_) => None,
    })
}

/// Lists the names registered at `epmd` with their distribution ports.
pub async fn names(epmd: SocketAddr) -> Result<Vec<(String, u16)>, EpmdError> {
    let mut stream = connect(epmd).await?;
    send(&mut stream, epmd, &epmd::encode_names_req()).await?;
    let during = "reading NAMES reply";
    let read = async {
        let mut buf = Vec::with_capacity(256);
        let mut chunk = [0u8; 4096];
        loop {
            let n = stream
                .read(&mut chunk)
                .await
                .map_err(|source| EpmdError::Io {
                    addr: epmd.to_string(),
                    during,
                    source,
                })?;
            if n == 0 {
                return Ok(buf);
            }
            if buf.len() + n > MAX_NAMES_REPLY {
                return Err(EpmdError::ReplyTooLarge {
                    addr: epmd.to_string(),
                    max: MAX_NAMES_REPLY,
                });
            }
            buf.extend_from_slice(&chunk[..n]);
        }
    };
    let buf = tokio::time::timeout(REPLY_TIMEOUT, read)
        .await
        .map_err(|_| EpmdError::Timeout {
            addr: epmd.to_string(),
            during,
        })??;
    match epmd::decode_names_resp(&buf)? {
        Some(resp) => Ok(resp.nodes),
        None => Err(EpmdError::Closed {
            addr: epmd.to_string(),
            during,
        }),
    }
}

fn is_refused(e: &EpmdError) -> bool {
    matches!(e, EpmdError::Connect { source, .. } if source.kind() == io::ErrorKind::ConnectionRefused)
}

/// Registers with the EPMD on `127.0.0.1:epmd_port`, first starting the
/// embedded EPMD on that port if nothing listens there.
///
/// The returned handle (if any) is the embedded server: keep it for as long
/// as the node lives, since dropping it stops the server and with it every
/// registration it holds, including nodes that registered with it later.
pub async fn register_or_serve(
    epmd_port: u16,
    name: &str,
    listen_port: u16,
    hidden: bool,
) -> Result<(Registration, Option<EpmdServerHandle>), EpmdError> {
    let epmd = SocketAddr::from((Ipv4Addr::LOCALHOST, epmd_port));
    let bind_addr = SocketAddr::from((Ipv4Addr::UNSPECIFIED, epmd_port));
    let mut last_err = None;
    for attempt in 0..SERVE_ATTEMPTS {
        match register(epmd, name, listen_port, hidden).await {
            Ok(reg) => return Ok((reg, None)),
            Err(e) if is_refused(&e) => last_err = Some(e),
            Err(e) => return Err(e),
        }
        match EpmdServer::bind(bind_addr).await {
            Ok(server) => {
                info!(addr = %server.local_addr(), "no EPMD running; started the embedded one");
                let handle = server.spawn();
                let reg = register(epmd, name, listen_port, hidden).await?;
                return Ok((reg, Some(handle)));
            }
            Err(e) if e.kind() == io::ErrorKind::AddrInUse => {
                // Someone started an EPMD between our connect and our bind;
                // give it a moment to start accepting, then register with it.
                debug!(attempt, "EPMD port taken meanwhile; retrying registration");
                tokio::time::sleep(Duration::from_millis(100 * (attempt as u64 + 1))).await;
            }
            Err(source) => {
                return Err(EpmdError::Serve {
                    addr: bind_addr.to_string(),
                    source,
                });
            }
        }
    }
    Err(last_err.unwrap_or(EpmdError::Timeout {
        addr: epmd.to_string(),
        during: "registering or starting an EPMD",
    }))
}
