//! One distribution connection: the handshake (both roles) over TCP or TLS, then a reader and a writer task with ticks.

use super::READ_BUFFER_ALLOWANCE;
use super::mailbox::Origin;
use super::outqueue::{OutQueue, Pushed, Taken, Wire};
use super::peers::{PeerState, Peers};
use super::stats::IoCounters;
use super::tls::{self, DistStream};
use super::{Node, NodeError, NodeEvent, epmd_client, lock, peers};
use crate::proto::control::{
    CheckedMessage, Control, ControlError, Framing as WireFraming, decode_after_header,
    decode_frame_deferred,
};
use crate::proto::dist_header::{self, HeaderRef, InCache};
use crate::proto::flags::DistFlags;
use crate::proto::fragments::Reassembly;
use crate::proto::framing::{self, TICK};
use crate::proto::handshake::{
    Accepted, Acceptor, Established, HandshakeError, Initiator, Status, Step,
};
use eetf::Term;
use std::net::SocketAddr;
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::oneshot;
use tokio::time::Instant;
use tracing::Instrument;

/// How handshake packets are framed: 2-byte lengths on plain TCP, 4-byte
/// lengths inside TLS (`inet_tls_dist` runs the handshake with `{packet, 4}`).
/// Connected-phase messages have 4-byte lengths either way.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Framing {
    Plain,
    Tls,
}

/// Reads one handshake packet body, keeping any bytes after it in `buf`.
async fn read_packet<S: AsyncRead + Unpin>(
    stream: &mut S,
    buf: &mut Vec<u8>,
    framing: Framing,
) -> Result<Vec<u8>, String> {
    loop {
        let checked = match framing {
            Framing::Plain => framing::check_packet2(buf),
            Framing::Tls => framing::check_packet4(buf),
        };
        match checked {
            Ok(Some(f)) => {
                let body = buf[f.body.clone()].to_vec();
                buf.drain(..f.consumed);
                return Ok(body);
            }
            Ok(None) => {}
            Err(_) if framing == Framing::Plain && tls::looks_like_tls(buf) => {
                return Err("the peer speaks TLS (it runs -proto_dist inet_tls); \
                            this node runs plain distribution"
                    .into());
            }
            Err(e) => return Err(e.to_string()),
        }
        let mut chunk = [0u8; 1024];
        let n = match stream.read(&mut chunk).await {
            // TLS peers (BEAM among them) close without close_notify.
            Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => 0,
            Err(e) => return Err(format!("read failed: {e}")),
            Ok(n) => n,
        };
        if n == 0 {
            return Err("connection closed during the handshake".into());
        }
        buf.extend_from_slice(&chunk[..n]);
    }
}

/// Writes handshake packets (built with 2-byte lengths) in the connection's framing.
async fn write<S: AsyncWrite + Unpin>(
    stream: &mut S,
    bytes: &[u8],
    framing: Framing,
) -> Result<(), String> {
    if bytes.is_empty() {
        return Ok(());
    }
    let repacked;
    let bytes = match framing {
        Framing::Plain => bytes,
        Framing::Tls => {
            repacked = framing::packet2_to_packet4(bytes);
            &repacked
        }
    };
    stream
        .write_all(bytes)
        .await
        .map_err(|e| format!("write failed: {e}"))?;
    stream
        .flush()
        .await
        .map_err(|e| format!("write failed: {e}"))
}

/// Accepts distribution connections until the node stops.
pub(crate) async fn accept_loop(node: Node, listener: tokio::net::TcpListener) {
    loop {
        match listener.accept().await {
            Ok((stream, addr)) => {
                let _ = stream.set_nodelay(true);
                let span = tracing::info_span!("conn", %addr, dir = "in");
                tokio::spawn(accept_conn(node.clone(), stream, addr).instrument(span));
            }
            Err(e) => {
                tracing::warn!("accept failed: {e}");
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    }
}

/// One accepted connection: TLS first when the node runs TLS distribution.
async fn accept_conn(node: Node, tcp: TcpStream, addr: SocketAddr) {
    let Some(tls) = node.inner.tls.clone() else {
        return accept_one(node, tcp, addr, Framing::Plain).await;
    };
    let timeout = node.inner.handshake_timeout;
    match tokio::time::timeout(timeout, tls.accept(tcp, addr)).await {
        Ok(Ok(stream)) => accept_one(node, stream, addr, Framing::Tls).await,
        Ok(Err(reason)) => tracing::warn!("TLS connection refused: {reason}"),
        Err(_) => tracing::warn!("TLS handshake timed out after {timeout:?}"),
    }
}

async fn accept_one<S: DistStream>(node: Node, mut stream: S, addr: SocketAddr, framing: Framing) {
    let mut acceptor = Acceptor::new(node.handshake_config(), rand::random());
    let mut buf = Vec::new();
    let timeout = node.inner.handshake_timeout;
    let mut adopted = None;
    let result = tokio::time::timeout(timeout, async {
        // The status was `alive` and the peer answered `true`: the connection that is
        // up is replaced, but only once this one has proved the cookie (as OTP's
        // dist_util waits for the challenge reply before it kills the old one), so
        // nobody without the cookie can cut off a connected peer.
        let mut replace = false;
        loop {
            let packet = read_packet(&mut stream, &mut buf, framing).await?;
            let step = match acceptor.handle(&packet) {
                Ok(Accepted::Decide(sn)) => {
                    let own = sn.name == node.name();
                    let (status, abandoned_dial) = if own {
                        // OTP finds no connection id for itself and answers nok.
                        (Status::Nok, None)
                    } else {
                        peers::accept_status(&node, &sn.name)
                    };
                    adopted = abandoned_dial;
                    replace = status == Status::Alive;
                    match acceptor.decide(status) {
                        Ok(bytes) => {
                            write(&mut stream, &bytes, framing).await?;
                            continue;
                        }
                        Err((bytes, e)) => {
                            let _ = write(&mut stream, &bytes, framing).await;
                            return Err(explain(if own { HandshakeError::OwnName } else { e }));
                        }
                    }
                }
                Ok(Accepted::Step(step)) => step,
                Err(e @ HandshakeError::BadChallengeReply { .. }) => {
                    return Err(explain(e));
                }
                Err(e) => {
                    if let HandshakeError::MissingFlags { .. } = e {
                        let mut out = Vec::new();
                        framing::put_packet2(&mut out, b"snot_allowed");
                        let _ = write(&mut stream, &out, framing).await;
                    }
                    return Err(explain(e));
                }
            };
            match step {
                Step::Send(bytes) => write(&mut stream, &bytes, framing).await?,
                Step::Done(bytes, est) => {
                    if replace {
                        // The cookie is proved: now the old connection goes.
                        peers::replace_old(&node, &est.peer_name);
                    }
                    write(&mut stream, &bytes, framing).await?;
                    return Ok(est);
                }
            }
        }
    })
    .await;
    let reason = match result {
        Ok(Ok(est)) => return run_connection(node, stream, buf, est).await,
        Ok(Err(reason)) => {
            match acceptor.peer_name() {
                // A name that parsed has no control characters (check_node_name).
                Some(peer) => {
                    tracing::error!("connection attempt from node {peer} rejected: {reason}")
                }
                None => tracing::warn!(%addr, "incoming handshake failed: {reason}"),
            }
            reason
        }
        Err(_) => {
            tracing::warn!(
                peer = acceptor.peer_name().unwrap_or("?"),
                "handshake timed out after {timeout:?}"
            );
            format!("handshake timed out after {timeout:?}")
        }
    };
    // We gave up our own dial for this one: its queue and waiters fail with it.
    if let (Some(id), Some(peer)) = (adopted, acceptor.peer_name()) {
        peers::dial_failed(&node, peer, id, reason);
    }
}

fn explain(e: HandshakeError) -> String {
    e.to_string()
}

/// Dials `peer` (EPMD lookup, TCP, TLS when configured, handshake) for the
/// connection entry `id`.
pub(crate) async fn dial(node: Node, peer: String, id: u64) {
    let span = tracing::info_span!("conn", node = %peer, dir = "out");
    async {
        let timeout = node.inner.handshake_timeout;
        let deadline = Instant::now() + timeout;
        let timed_out = || format!("connection setup timed out after {timeout:?}");
        let tcp = match tokio::time::timeout_at(deadline, connect_tcp(&node, &peer)).await {
            Ok(Ok(tcp)) => tcp,
            Ok(Err(reason)) => return peers::dial_failed(&node, &peer, id, reason),
            Err(_) => return peers::dial_failed(&node, &peer, id, timed_out()),
        };
        let Some(tls) = node.inner.tls.clone() else {
            return dial_over(node, peer, id, deadline, tcp, Framing::Plain).await;
        };
        let host = peer.split_once('@').map_or("", |(_, h)| h).to_owned();
        match tokio::time::timeout_at(deadline, tls.connect(&host, tcp)).await {
            Ok(Ok(stream)) => dial_over(node, peer, id, deadline, stream, Framing::Tls).await,
            Ok(Err(reason)) => peers::dial_failed(&node, &peer, id, reason),
            Err(_) => {
                let reason = format!(
                    "TLS handshake timed out after {timeout:?} (does {peer} run TLS distribution, -proto_dist inet_tls?)"
                );
                peers::dial_failed(&node, &peer, id, reason)
            }
        }
    }
    .instrument(span)
    .await
}

/// The distribution handshake on a connected stream, then the connected phase.
async fn dial_over<S: DistStream>(
    node: Node,
    peer: String,
    id: u64,
    deadline: Instant,
    stream: S,
    framing: Framing,
) {
    let timeout = node.inner.handshake_timeout;
    let attempt = tokio::time::timeout_at(deadline, handshake(&node, &peer, stream, framing)).await;
    match attempt {
        Ok(Ok((stream, buf, est))) => run_connection(node, stream, buf, est).await,
        Ok(Err(DialError::LostRace)) => {
            // Both sides dialled at once and the peer's attempt wins: its
            // incoming connection takes over our entry (and queued frames).
            tracing::debug!("simultaneous connect: waiting for the peer's connection");
            let deadline = tokio::time::Instant::now() + timeout;
            while tokio::time::Instant::now() < deadline {
                if peers::is_up(&node, &peer) {
                    return;
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            peers::dial_failed(
                &node,
                &peer,
                id,
                "simultaneous connect: the peer's connection never came".into(),
            );
        }
        Ok(Err(DialError::Failed(reason))) => peers::dial_failed(&node, &peer, id, reason),
        Err(_) => peers::dial_failed(
            &node,
            &peer,
            id,
            format!("connection setup timed out after {timeout:?}"),
        ),
    }
}

enum DialError {
    /// The peer answered `nok`: it is dialling us too and its attempt wins.
    LostRace,
    Failed(String),
}

impl From<String> for DialError {
    fn from(s: String) -> Self {
        DialError::Failed(s)
    }
}

/// EPMD lookup and TCP connection to `peer`'s distribution port.
async fn connect_tcp(node: &Node, peer: &str) -> Result<TcpStream, String> {
    let (alive, host) = peer
        .split_once('@')
        .ok_or_else(|| format!("invalid node name {peer}"))?;
    let epmd_addr = tokio::net::lookup_host((host, node.inner.epmd_port))
        .await
        .map_err(|e| format!("cannot resolve host {host}: {e}"))?
        .next()
        .ok_or_else(|| format!("host {host} has no address"))?;
    let entry = epmd_client::port_please(epmd_addr, alive)
        .await
        .map_err(|e| format!("epmd on {host}: {e}"))?
        .ok_or_else(|| format!("no node named {alive} is registered with epmd on {host}"))?;
    let addr = SocketAddr::new(epmd_addr.ip(), entry.port);
    let stream = TcpStream::connect(addr)
        .await
        .map_err(|e| format!("{addr}, the port EPMD gives for {alive}, refuses TCP: {e}"))?;
    let _ = stream.set_nodelay(true);
    Ok(stream)
}

/// The initiator's side of the distribution handshake.
async fn handshake<S: DistStream>(
    node: &Node,
    peer: &str,
    mut stream: S,
    framing: Framing,
) -> Result<(S, Vec<u8>, Established), DialError> {
    let mut ini = Initiator::new(node.handshake_config(), peer.to_owned(), rand::random());
    let mut buf = Vec::new();
    let first = ini.start().map_err(explain)?;
    write(&mut stream, &first, framing).await?;
    loop {
        let packet = match read_packet(&mut stream, &mut buf, framing).await {
            Ok(p) => p,
            Err(e) if ini.awaiting_ack() => {
                // A clean close is the refusal itself; anything else is worth saying.
                let how = if e == "connection closed during the handshake" {
                    String::new()
                } else {
                    format!(": {e}")
                };
                return Err(DialError::Failed(format!(
                    "node {peer} did not accept our cookie (it closed the connection after our challenge reply{how})"
                )));
            }
            Err(e) if framing == Framing::Plain && !ini.awaiting_ack() && buf.is_empty() => {
                return Err(DialError::Failed(format!(
                    "{e} (if {peer} runs TLS distribution, this node needs it too: --proto-dist inet_tls)"
                )));
            }
            Err(e) => return Err(e.into()),
        };
        match ini.handle(&packet) {
            Ok(Step::Send(bytes)) => write(&mut stream, &bytes, framing).await?,
            Ok(Step::Done(bytes, est)) => {
                write(&mut stream, &bytes, framing).await?;
                return Ok((stream, buf, est));
            }
            Err(HandshakeError::Refused { status, .. }) if status == "nok" => {
                return Err(DialError::LostRace);
            }
            Err(e) => return Err(DialError::Failed(explain(e))),
        }
    }
}

/// The connected phase: register the connection, then run reader and writer
/// until either ends.
async fn run_connection<S: DistStream>(node: Node, stream: S, leftover: Vec<u8>, est: Established) {
    let peer = est.peer_name.clone();
    let peers::Attached {
        id,
        queue,
        waiters,
        origin,
    } = peers::connection_up(&node, &est);
    tracing::info!(hidden = est.peer_hidden(), "node up: {peer}");
    tracing::debug!(flags = %est.flags, "negotiated flags");
    let _ = node.inner.events.send(NodeEvent::Up {
        node: peer.clone(),
        hidden: est.peer_hidden(),
    });
    // With the atom cache negotiated, BEAM takes only messages with a distribution
    // header; fragments come with it.
    let header = est.flags.contains(DistFlags::DIST_HDR_ATOM_CACHE);
    queue.set_wire(Wire {
        framing: if header {
            WireFraming::Header
        } else {
            WireFraming::PassThrough
        },
        fragments: header && est.flags.contains(DistFlags::FRAGMENTS),
        send_sender: est.flags.contains(DistFlags::SEND_SENDER),
    });
    for w in waiters {
        let _ = w.send(Ok(()));
    }
    let (r, w) = stream.split();
    let ticktime = node.inner.net_ticktime;
    let writer = tokio::spawn(
        writer(node.clone(), peer.clone(), id, w, queue, ticktime / 4).in_current_span(),
    );
    let reader =
        tokio::spawn(reader(node.clone(), origin, r, leftover, ticktime).in_current_span());
    peers::attach_tasks(
        &node,
        &peer,
        id,
        vec![writer.abort_handle(), reader.abort_handle()],
    );
    // Services that greet a new node (global, rex) hear of it through the event.
}

async fn writer<W: AsyncWrite + Unpin>(
    node: Node,
    peer: String,
    id: u64,
    mut w: W,
    queue: std::sync::Arc<OutQueue>,
    tick_every: Duration,
) {
    let io = &node.inner.io;
    // Swapped with the queue's buffer: the senders fill one while this writes the other.
    let mut batch: Vec<u8> = Vec::with_capacity(64 * 1024);
    // One timer for ticks: when it fires, a tick goes out only if nothing was
    // written since it last fired (so no clock is read per message).
    let tick = tokio::time::sleep(tick_every);
    tokio::pin!(tick);
    let mut wrote = false;
    let reason = loop {
        tokio::select! {
            taken = queue.take(&mut batch) => {
                let frames = match taken {
                    Taken::Frames(frames) => frames,
                    Taken::Closed(Some(held)) => break overflow_reason(held),
                    Taken::Closed(None) => break "outgoing queue closed".to_string(),
                };
                io.messages_out(frames as u64);
                if let Err(e) = write_counted(&mut w, &batch, io).await {
                    break format!("write failed: {e}");
                }
                // Its capacity is kept for the next batch, until the connection idles.
                batch.clear();
                wrote = true;
            }
            () = &mut tick => {
                if !wrote {
                    // Idle for a tick interval: give back what a burst grew.
                    queue.trim(&mut batch);
                    if let Err(e) = write_counted(&mut w, &TICK, io).await {
                        break format!("write failed: {e}");
                    }
                }
                wrote = false;
                tick.as_mut().reset(Instant::now() + tick_every);
            }
        }
    };
    peers::connection_down(&node, &peer, id, reason);
}

/// `write_all` and flush (TLS may hold back a record until flushed; on TCP a
/// flush does nothing), counted in the node's I/O statistics.
async fn write_counted<W: AsyncWrite + Unpin>(
    w: &mut W,
    bytes: &[u8],
    io: &IoCounters,
) -> std::io::Result<()> {
    w.write_all(bytes).await?;
    w.flush().await?;
    io.wrote(bytes.len());
    Ok(())
}

async fn reader<R: AsyncRead + Unpin>(
    node: Node,
    origin: std::sync::Arc<Origin>,
    mut r: R,
    leftover: Vec<u8>,
    ticktime: Duration,
) {
    let mut buf = bytes::BytesMut::with_capacity(64 * 1024);
    buf.extend_from_slice(&leftover);
    let (peer, id) = (origin.peer.as_str(), origin.id);
    // One timer for the tick timeout, re-armed from the time of the last read
    // only when it fires, rather than a new timer around every read.
    let mut last_read = Instant::now();
    let timeout = tokio::time::sleep_until(last_read + ticktime);
    tokio::pin!(timeout);
    let io = &node.inner.io;
    let max_frame = node.inner.max_frame;
    let mut held = Buffered::new(&node);
    // What the peer put in its atom cache, and its fragmented messages still coming in.
    let mut cache = InCache::default();
    let mut partial = Reassembly::new(node.inner.max_reassembly);
    let reason = 'conn: loop {
        // Parse every whole frame buffered so far.
        let mut messages = 0;
        loop {
            match framing::check_frame4(&buf, max_frame) {
                Ok(Some(f)) => {
                    if !f.is_tick() {
                        let body = &buf[f.body.clone()];
                        tracing::trace!(frame = %Hex(body), "raw frame");
                        messages += 1;
                        match read_message(body, &mut cache, &mut partial) {
                            Ok(Some(msg)) => {
                                node.dispatch(&origin, msg);
                                // Closed by what it sent, or meanwhile by another
                                // task: the frames after it are not applied.
                                if origin.is_closed() {
                                    break 'conn "closed while its frames were applied".to_string();
                                }
                            }
                            Ok(None) => {}
                            Err(e) => {
                                tracing::error!("undecodable message from {peer}: {e}");
                                break 'conn format!("undecodable message: {e}");
                            }
                        }
                    }
                    bytes::Buf::advance(&mut buf, f.consumed);
                }
                Ok(None) => break,
                Err(e) => {
                    tracing::error!("bad frame from {peer} (limit max_frame): {e}");
                    break 'conn e.to_string();
                }
            }
        }
        io.messages_in(messages);
        // What a large message grew is given back once it has been handled.
        if buf.is_empty() && buf.capacity() > READ_BUFFER_ALLOWANCE {
            buf = bytes::BytesMut::with_capacity(64 * 1024);
        }
        // Room for the rest of a partly read frame (its length was checked
        // against the limit above; past 1 MiB the buffer grows as bytes come),
        // and for a good-sized read.
        let want = match buf.get(..4) {
            Some(&[a, b, c, d]) => (u32::from_be_bytes([a, b, c, d]) as usize + 4)
                .saturating_sub(buf.len())
                .clamp(READ_ROOM, 1024 * 1024),
            _ => READ_ROOM,
        };
        if buf.capacity() - buf.len() < want {
            buf.reserve(want);
        }
        if let Err(total) = held.set(buf.capacity()) {
            let reason = format!(
                "limit max_incoming_buffered: partly received messages would hold {total} bytes across connections, over the {}-byte limit",
                node.inner.max_incoming_buffered
            );
            tracing::error!("closing the connection to {peer}: {reason}");
            break reason;
        }
        tokio::select! {
            read = r.read_buf(&mut buf) => match read {
                Ok(0) => break "connection closed by peer".to_string(),
                Ok(n) => {
                    io.read(n);
                    last_read = Instant::now();
                }
                // A peer closing without TLS close_notify, as BEAM nodes do.
                Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => {
                    break "connection closed by peer".to_string()
                }
                Err(e) => break format!("read failed: {e}"),
            },
            () = &mut timeout => {
                if last_read.elapsed() >= ticktime {
                    break "net_tick_timeout".to_string();
                }
                timeout.as_mut().reset(last_read + ticktime);
            }
        }
    };
    drop(held);
    peers::connection_down(&node, peer, id, reason);
}

/// A reader's share of the node's count of buffered incoming bytes (its buffer's
/// capacity over [`READ_BUFFER_ALLOWANCE`]), given back when the reader ends.
struct Buffered<'a> {
    node: &'a Node,
    counted: usize,
}

impl<'a> Buffered<'a> {
    fn new(node: &'a Node) -> Self {
        Buffered { node, counted: 0 }
    }

    /// Counts a buffer of `capacity` bytes; Err(total) if that takes the node's
    /// total past its limit (nothing more is counted then).
    fn set(&mut self, capacity: usize) -> Result<(), usize> {
        use std::sync::atomic::Ordering::Relaxed;
        let want = capacity.saturating_sub(READ_BUFFER_ALLOWANCE);
        let total = &self.node.inner.incoming_buffered;
        if want <= self.counted {
            total.fetch_sub(self.counted - want, Relaxed);
            self.counted = want;
            return Ok(());
        }
        let more = want - self.counted;
        let after = total.fetch_add(more, Relaxed).saturating_add(more);
        if after > self.node.inner.max_incoming_buffered {
            total.fetch_sub(more, Relaxed);
            return Err(after);
        }
        self.counted = want;
        Ok(())
    }
}

impl Drop for Buffered<'_> {
    fn drop(&mut self) {
        let total = &self.node.inner.incoming_buffered;
        total.fetch_sub(self.counted, std::sync::atomic::Ordering::Relaxed);
    }
}

/// Why a connected-phase message could not be read.
#[derive(Debug, thiserror::Error)]
enum ReadError {
    #[error(transparent)]
    Header(#[from] dist_header::HeaderError),
    #[error(transparent)]
    Fragment(#[from] crate::proto::fragments::FragmentError),
    #[error(transparent)]
    Control(#[from] ControlError),
}

/// One message frame: 'p', or a distribution header (whole message or fragment).
/// `None` for a fragment that does not complete its message.
fn read_message(
    body: &[u8],
    cache: &mut InCache,
    partial: &mut Reassembly,
) -> Result<Option<CheckedMessage>, ReadError> {
    if body.first() != Some(&131) {
        return Ok(Some(decode_frame_deferred(body)?));
    }
    match dist_header::parse_in_place(body, cache)? {
        HeaderRef::Message { rest } => Ok(Some(decode_after_header(rest, cache.table())?)),
        HeaderRef::FragmentStart {
            sequence,
            fragment,
            rest,
        } => {
            if fragment == 1 {
                return Ok(Some(decode_after_header(rest, cache.table())?));
            }
            // The references, shared with the cache (a pointer each); every one was
            // checked to name a stored atom when the header was read.
            let atoms = cache.table().to_shared(usize::MAX).unwrap_or_default();
            partial.start(sequence, fragment, atoms, rest)?;
            Ok(None)
        }
        HeaderRef::Fragment {
            sequence,
            fragment,
            rest,
        } => match partial.next(sequence, fragment, rest)? {
            Some(whole) => Ok(Some(decode_after_header(&whole.data, &whole.atoms)?)),
            None => Ok(None),
        },
    }
}

/// Free buffer space the reader wants before each read.
const READ_ROOM: usize = 32 * 1024;

/// Lower-case hex of a byte slice, for trace logs of raw frames.
struct Hex<'a>(&'a [u8]);

impl std::fmt::Display for Hex<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.iter().try_for_each(|b| write!(f, "{b:02x}"))
    }
}

/// Starts dialling `node` (under the peers lock); returns nothing, the entry holds the queue.
fn start_dial(node: &Node, peers: &mut Peers, name: &str) {
    let mut entry = peers.new_entry(PeerState::Dialing { task: None });
    let id = entry.id;
    let task = tokio::spawn(dial(node.clone(), name.to_owned(), id));
    entry.state = PeerState::Dialing {
        task: Some(task.abort_handle()),
    };
    peers.map.insert(name.to_owned(), entry);
}

/// Encodes a control message (and payload) and queues it for `peer`. With
/// `connect`, a missing connection is dialled first (the frame waits in the
/// queue); without, the frame is dropped when no connection is up or coming.
pub(crate) fn send_control(
    node: &Node,
    peer: &str,
    ctl: &Control,
    payload: Option<&Term>,
    connect: bool,
) {
    if peer == node.name() {
        return;
    }
    let (queue, id) = {
        let mut peers = lock(&node.inner.peers);
        if !peers.map.contains_key(peer) {
            if !connect {
                return;
            }
            if crate::proto::handshake::check_node_name(peer).is_err() {
                tracing::debug!(%peer, "dropping a send to an invalid node name");
                return;
            }
            start_dial(node, &mut peers, peer);
        }
        match peers.map.get(peer) {
            Some(e) => (e.queue.queue().clone(), e.id),
            None => return,
        }
    };
    // Encoded in place at the end of the queue, outside the connection table's lock.
    match queue.push(ctl, payload) {
        Ok(Pushed::Queued | Pushed::Closed) => {}
        Ok(Pushed::Overflowed(held)) => {
            let reason = overflow_reason(held);
            tracing::warn!(%peer, "{reason}");
            // The closed queue stops the writer of a connection still dialling.
            peers::connection_down(node, peer, id, reason);
        }
        Err(e) => tracing::warn!(%peer, "cannot encode a message: {e}"),
    }
}

/// Why a connection whose outgoing queue went past its limit is closed (the same
/// whether the sender or the writer reports it first).
fn overflow_reason(held: usize) -> String {
    format!(
        "outgoing queue over its limit ({held} bytes queued): the peer is not taking what is sent"
    )
}

/// Connects to `peer` unless already connected, waiting for the outcome.
pub(crate) async fn connect(node: &Node, peer: &str) -> Result<(), NodeError> {
    if peer == node.name() {
        return Ok(());
    }
    crate::proto::handshake::check_node_name(peer).map_err(|e| NodeError::Connect {
        node: peer.into(),
        reason: e.to_string(),
    })?;
    let rx = {
        let mut peers = lock(&node.inner.peers);
        if !peers.map.contains_key(peer) {
            start_dial(node, &mut peers, peer);
        }
        let Some(e) = peers.map.get_mut(peer) else {
            return Err(NodeError::Connect {
                node: peer.into(),
                reason: "connection table changed".into(),
            });
        };
        if matches!(e.state, PeerState::Up { .. }) {
            return Ok(());
        }
        let (tx, rx) = oneshot::channel();
        e.waiters.push(tx);
        rx
    };
    match rx.await {
        Ok(Ok(())) => Ok(()),
        Ok(Err(reason)) => Err(NodeError::Connect {
            node: peer.into(),
            reason,
        }),
        Err(_) => Err(NodeError::Connect {
            node: peer.into(),
            reason: "connection attempt abandoned".into(),
        }),
    }
}
