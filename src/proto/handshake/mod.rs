//! The version 6 distribution handshake (send_name, status, challenge, reply, ack) as two sans-IO state machines.
//!
//! Both machines take whole handshake packets (the body of one 2-byte-length
//! frame, see [`crate::proto::framing::check_packet2`]) and tell the caller what
//! to write next. Randomness (our challenge) is passed in; nothing here touches
//! a socket or a clock.

use crate::proto::digest;
use crate::proto::flags::DistFlags;
use crate::proto::framing::put_packet2;
use thiserror::Error;

/// Longest node name we accept (`name@host`): OTP bounds the alive part at 255
/// bytes and host names are shorter still.
pub const MAX_NODE_NAME: usize = 1023;

#[derive(Debug, Error, PartialEq, Eq)]
pub enum HandshakeError {
    #[error("malformed {what} from peer: {detail}")]
    Malformed { what: &'static str, detail: String },
    #[error("unexpected packet tag {tag:?} while waiting for {expected}")]
    UnexpectedTag { tag: char, expected: &'static str },
    #[error(
        "peer uses the old handshake ('n', distribution version 5); only version 6 (OTP 23+) is supported"
    )]
    OldHandshake,
    #[error("peer {peer} lacks required distribution flags: {missing}")]
    MissingFlags { peer: String, missing: DistFlags },
    /// The caller's log line names the peer; the message does not repeat it.
    #[error("invalid challenge reply (the peer has another cookie?)")]
    BadChallengeReply { peer: String },
    #[error("node {peer} did not accept our cookie (invalid challenge ack)")]
    BadChallengeAck { peer: String },
    #[error("node {peer} refused the connection: status {status}")]
    Refused { peer: String, status: String },
    #[error("dialled {expected} but the node there is {actual}")]
    WrongNode { expected: String, actual: String },
    #[error("invalid node name \"{}\": {why}", Escaped(name))]
    BadNodeName { name: String, why: &'static str },
    /// A peer announced our own node name (OTP answers `nok` too).
    #[error("the peer uses our own node name")]
    OwnName,
    #[error("handshake step called in the wrong state: {0}")]
    State(&'static str),
}

/// Our side of a handshake.
#[derive(Clone)]
pub struct HandshakeConfig {
    pub node_name: String,
    pub flags: DistFlags,
    pub creation: u32,
    pub cookie: Vec<u8>,
}

impl std::fmt::Debug for HandshakeConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HandshakeConfig")
            .field("node_name", &self.node_name)
            .field("flags", &self.flags)
            .field("creation", &self.creation)
            .field("cookie", &"<hidden>")
            .finish()
    }
}

/// What both sides know once the handshake has succeeded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Established {
    pub peer_name: String,
    pub peer_flags: DistFlags,
    pub peer_creation: u32,
    /// The flags in force on this connection: ours AND theirs.
    pub flags: DistFlags,
}

impl Established {
    /// A peer is hidden when it did not set PUBLISHED.
    pub fn peer_hidden(&self) -> bool {
        !self.peer_flags.contains(DistFlags::PUBLISHED)
    }
}

/// The status an acceptor answers a send_name with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Ok,
    /// We were dialling the same peer; theirs wins and ours is abandoned.
    OkSimultaneous,
    /// We were dialling the same peer; ours wins and theirs is refused.
    Nok,
    NotAllowed,
    /// A connection to that node is already up; the peer says whether to replace it.
    Alive,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Ok => "ok",
            Status::OkSimultaneous => "ok_simultaneous",
            Status::Nok => "nok",
            Status::NotAllowed => "not_allowed",
            Status::Alive => "alive",
        }
    }
}

/// Peer-supplied text for a log line or error message: control characters, quotes
/// and backslashes escaped (`\n`, `\u{1b}`, ...), so it can never end the line or
/// forge another one.
pub struct Escaped<'a>(pub &'a str);

impl std::fmt::Display for Escaped<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        use std::fmt::Write as _;
        for c in self.0.chars() {
            if c.is_control() || c == '"' || c == '\\' {
                for e in c.escape_debug() {
                    f.write_char(e)?;
                }
            } else {
                f.write_char(c)?;
            }
        }
        Ok(())
    }
}

/// Checks that `name` looks like `alive@host` with sane lengths and no control
/// characters (a name ends up in log lines and atoms).
pub fn check_node_name(name: &str) -> Result<(), HandshakeError> {
    let bad = |why| HandshakeError::BadNodeName {
        name: name.chars().take(80).collect(),
        why,
    };
    if name.len() > MAX_NODE_NAME {
        return Err(bad("too long"));
    }
    if name.chars().any(char::is_control) {
        return Err(bad("it contains control characters"));
    }
    match name.split_once('@') {
        Some((alive, host)) if !alive.is_empty() && !host.is_empty() && !host.contains('@') => {
            if alive.len() > 255 {
                Err(bad("the part before @ is over 255 bytes"))
            } else {
                Ok(())
            }
        }
        _ => Err(bad("expected name@host")),
    }
}

/// A cursor over one handshake packet's body that never reads out of bounds.
struct Reader<'a> {
    buf: &'a [u8],
    what: &'static str,
}

impl<'a> Reader<'a> {
    fn new(buf: &'a [u8], what: &'static str) -> Self {
        Reader { buf, what }
    }
    fn err(&self, detail: impl Into<String>) -> HandshakeError {
        HandshakeError::Malformed {
            what: self.what,
            detail: detail.into(),
        }
    }
    fn take(&mut self, n: usize) -> Result<&'a [u8], HandshakeError> {
        if self.buf.len() < n {
            return Err(self.err(format!(
                "truncated: needed {n} more bytes, had {}",
                self.buf.len()
            )));
        }
        let (head, rest) = self.buf.split_at(n);
        self.buf = rest;
        Ok(head)
    }
    fn u16(&mut self) -> Result<u16, HandshakeError> {
        let b = self.take(2)?;
        Ok(u16::from_be_bytes([b[0], b[1]]))
    }
    fn u32(&mut self) -> Result<u32, HandshakeError> {
        let b = self.take(4)?;
        Ok(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }
    fn u64(&mut self) -> Result<u64, HandshakeError> {
        let b = self.take(8)?;
        let mut a = [0u8; 8];
        a.copy_from_slice(b);
        Ok(u64::from_be_bytes(a))
    }
    fn digest(&mut self) -> Result<[u8; 16], HandshakeError> {
        let b = self.take(16)?;
        let mut d = [0u8; 16];
        d.copy_from_slice(b);
        Ok(d)
    }
    fn name(&mut self) -> Result<String, HandshakeError> {
        let len = usize::from(self.u16()?);
        let bytes = self.take(len)?;
        let name = std::str::from_utf8(bytes)
            .map_err(|_| self.err("node name is not UTF-8"))?
            .to_owned();
        check_node_name(&name)?;
        Ok(name)
    }
    fn end(&self) -> Result<(), HandshakeError> {
        if self.buf.is_empty() {
            Ok(())
        } else {
            Err(self.err(format!("{} unexpected trailing bytes", self.buf.len())))
        }
    }
}

fn tag_of(packet: &[u8], expected: &'static str) -> Result<u8, HandshakeError> {
    packet.first().copied().ok_or(HandshakeError::Malformed {
        what: expected,
        detail: "empty packet".into(),
    })
}

/// A reader over the body of a packet that must carry `tag`. The old
/// version 5 'n' where a version 6 'N' belongs gets its own clear error.
fn body<'a>(packet: &'a [u8], tag: u8, what: &'static str) -> Result<Reader<'a>, HandshakeError> {
    match tag_of(packet, what)? {
        t if t == tag => Ok(Reader::new(&packet[1..], what)),
        b'n' if tag == b'N' => Err(HandshakeError::OldHandshake),
        t => Err(HandshakeError::UnexpectedTag {
            tag: t as char,
            expected: what,
        }),
    }
}

/// send_name / challenge share one layout after their tag: flags, [challenge,] creation, name.
fn put_name_packet(
    out: &mut Vec<u8>,
    flags: DistFlags,
    challenge: Option<u32>,
    cfg: &HandshakeConfig,
) {
    let mut body = Vec::with_capacity(32 + cfg.node_name.len());
    body.push(b'N');
    body.extend_from_slice(&flags.0.to_be_bytes());
    if let Some(c) = challenge {
        body.extend_from_slice(&c.to_be_bytes());
    }
    body.extend_from_slice(&cfg.creation.to_be_bytes());
    let name = cfg.node_name.as_bytes();
    let name = &name[..name.len().min(MAX_NODE_NAME)];
    body.extend_from_slice(&(name.len() as u16).to_be_bytes());
    body.extend_from_slice(name);
    put_packet2(out, &body);
}

/// A parsed send_name ('N'): the first packet of an incoming connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SendName {
    pub flags: DistFlags,
    pub creation: u32,
    pub name: String,
}

pub fn parse_send_name(packet: &[u8]) -> Result<SendName, HandshakeError> {
    let mut r = body(packet, b'N', "send_name")?;
    let flags = DistFlags(r.u64()?);
    let creation = r.u32()?;
    let name = r.name()?;
    // Bytes after the name are ignored, as OTP's dist_util does (room for extensions).
    Ok(SendName {
        flags,
        creation,
        name,
    })
}

/// A parsed challenge ('N' with a challenge): the acceptor's second packet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Challenge {
    pub flags: DistFlags,
    pub challenge: u32,
    pub creation: u32,
    pub name: String,
}

pub fn parse_challenge(packet: &[u8]) -> Result<Challenge, HandshakeError> {
    let mut r = body(packet, b'N', "challenge")?;
    let flags = DistFlags(r.u64()?);
    let challenge = r.u32()?;
    let creation = r.u32()?;
    let name = r.name()?;
    // Bytes after the name are ignored, as for send_name.
    Ok(Challenge {
        flags,
        challenge,
        creation,
        name,
    })
}

/// What the I/O layer does next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// Write these bytes (already framed), then wait for the next packet.
    Send(Vec<u8>),
    /// Write these bytes (possibly none), then the connection is up.
    Done(Vec<u8>, Established),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum InitState {
    Start,
    AwaitStatus,
    AwaitChallenge,
    AwaitAck,
    Finished,
}

/// The dialling side.
pub struct Initiator {
    cfg: HandshakeConfig,
    peer: String,
    our_challenge: u32,
    state: InitState,
    peer_info: Option<Challenge>,
}

impl Initiator {
    /// `peer` is the full name we dialled; `our_challenge` must be random.
    pub fn new(cfg: HandshakeConfig, peer: String, our_challenge: u32) -> Self {
        Initiator {
            cfg,
            peer,
            our_challenge,
            state: InitState::Start,
            peer_info: None,
        }
    }

    /// The framed send_name to write first.
    pub fn start(&mut self) -> Result<Vec<u8>, HandshakeError> {
        if self.state != InitState::Start {
            return Err(HandshakeError::State("start called twice"));
        }
        self.state = InitState::AwaitStatus;
        let mut out = Vec::new();
        put_name_packet(&mut out, self.cfg.flags, None, &self.cfg);
        Ok(out)
    }

    /// True once our challenge reply is sent: a peer that closes now has
    /// refused our cookie (OTP closes without a word on a bad digest).
    pub fn awaiting_ack(&self) -> bool {
        self.state == InitState::AwaitAck
    }

    pub fn handle(&mut self, packet: &[u8]) -> Result<Step, HandshakeError> {
        match self.state {
            InitState::AwaitStatus => self.on_status(packet),
            InitState::AwaitChallenge => self.on_challenge(packet),
            InitState::AwaitAck => self.on_ack(packet),
            InitState::Start | InitState::Finished => {
                Err(HandshakeError::State("no packet expected now"))
            }
        }
    }

    /// A status packet may be followed, in the same read, by the challenge; the
    /// caller feeds packets one by one, so `Send(vec![])` means "nothing to write,
    /// read on".
    fn on_status(&mut self, packet: &[u8]) -> Result<Step, HandshakeError> {
        let status = body(packet, b's', "status")?.buf;
        match status {
            b"ok" | b"ok_simultaneous" => {
                self.state = InitState::AwaitChallenge;
                Ok(Step::Send(Vec::new()))
            }
            b"alive" => {
                // The acceptor thinks a connection to us is still up; we are
                // dialling because we have none, so tell it to replace it.
                self.state = InitState::AwaitChallenge;
                let mut out = Vec::new();
                put_packet2(&mut out, b"strue");
                Ok(Step::Send(out))
            }
            other => Err(HandshakeError::Refused {
                peer: self.peer.clone(),
                status: Escaped(&String::from_utf8_lossy(&other[..other.len().min(64)]))
                    .to_string(),
            }),
        }
    }

    fn on_challenge(&mut self, packet: &[u8]) -> Result<Step, HandshakeError> {
        let ch = parse_challenge(packet)?;
        if ch.name != self.peer {
            return Err(HandshakeError::WrongNode {
                expected: self.peer.clone(),
                actual: ch.name,
            });
        }
        let missing = ch.flags.missing(DistFlags::REQUIRED);
        if !missing.is_empty() {
            return Err(HandshakeError::MissingFlags {
                peer: ch.name,
                missing,
            });
        }
        let mut body = Vec::with_capacity(21);
        body.push(b'r');
        body.extend_from_slice(&self.our_challenge.to_be_bytes());
        body.extend_from_slice(&digest::digest(ch.challenge, &self.cfg.cookie));
        let mut out = Vec::new();
        put_packet2(&mut out, &body);
        self.peer_info = Some(ch);
        self.state = InitState::AwaitAck;
        Ok(Step::Send(out))
    }

    fn on_ack(&mut self, packet: &[u8]) -> Result<Step, HandshakeError> {
        let mut r = body(packet, b'a', "challenge_ack")?;
        let d = r.digest()?;
        r.end()?;
        if !digest::verify(self.our_challenge, &self.cfg.cookie, &d) {
            return Err(HandshakeError::BadChallengeAck {
                peer: self.peer.clone(),
            });
        }
        let ch = self
            .peer_info
            .take()
            .ok_or(HandshakeError::State("ack before challenge"))?;
        self.state = InitState::Finished;
        Ok(Step::Done(
            Vec::new(),
            Established {
                peer_name: ch.name,
                peer_flags: ch.flags,
                peer_creation: ch.creation,
                flags: ch.flags & self.cfg.flags,
            },
        ))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum AccState {
    AwaitName,
    AwaitDecision,
    AwaitAliveAnswer,
    AwaitReply,
    Finished,
}

/// What the acceptor learnt from send_name; the node decides the status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Accepted {
    /// The node must call [`Acceptor::decide`] with a status for this peer.
    Decide(SendName),
    /// Write these bytes and wait for more.
    Step(Step),
}

/// The listening side.
pub struct Acceptor {
    cfg: HandshakeConfig,
    our_challenge: u32,
    state: AccState,
    peer: Option<SendName>,
}

impl Acceptor {
    pub fn new(cfg: HandshakeConfig, our_challenge: u32) -> Self {
        Acceptor {
            cfg,
            our_challenge,
            state: AccState::AwaitName,
            peer: None,
        }
    }

    /// The peer's name, once its send_name has been read.
    pub fn peer_name(&self) -> Option<&str> {
        self.peer.as_ref().map(|p| p.name.as_str())
    }

    pub fn handle(&mut self, packet: &[u8]) -> Result<Accepted, HandshakeError> {
        match self.state {
            AccState::AwaitName => {
                let sn = parse_send_name(packet)?;
                let missing = sn.flags.missing(DistFlags::REQUIRED);
                self.peer = Some(sn.clone());
                if !missing.is_empty() {
                    return Err(HandshakeError::MissingFlags {
                        peer: sn.name,
                        missing,
                    });
                }
                self.state = AccState::AwaitDecision;
                Ok(Accepted::Decide(sn))
            }
            AccState::AwaitAliveAnswer => match packet {
                b"strue" => Ok(Accepted::Step(Step::Send(self.challenge_packet()))),
                _ => Err(HandshakeError::Refused {
                    peer: self.peer_name().unwrap_or("?").to_owned(),
                    status: "peer answered false to alive".into(),
                }),
            },
            AccState::AwaitReply => self.on_reply(packet).map(Accepted::Step),
            AccState::AwaitDecision | AccState::Finished => {
                Err(HandshakeError::State("no packet expected now"))
            }
        }
    }

    /// The framed status packet for `status`, followed by our challenge when the
    /// handshake goes on. For a refusing status the caller writes the bytes and
    /// closes; the returned error says why.
    pub fn decide(&mut self, status: Status) -> Result<Vec<u8>, (Vec<u8>, HandshakeError)> {
        if self.state != AccState::AwaitDecision {
            return Err((
                Vec::new(),
                HandshakeError::State("decide called out of turn"),
            ));
        }
        let mut out = Vec::new();
        let mut body = vec![b's'];
        body.extend_from_slice(status.as_str().as_bytes());
        put_packet2(&mut out, &body);
        match status {
            Status::Ok | Status::OkSimultaneous => {
                out.extend(self.challenge_packet());
                Ok(out)
            }
            Status::Alive => {
                self.state = AccState::AwaitAliveAnswer;
                Ok(out)
            }
            Status::Nok | Status::NotAllowed => {
                self.state = AccState::Finished;
                let peer = self.peer_name().unwrap_or("?").to_owned();
                Err((
                    out,
                    HandshakeError::Refused {
                        peer,
                        status: status.as_str().into(),
                    },
                ))
            }
        }
    }

    fn challenge_packet(&mut self) -> Vec<u8> {
        self.state = AccState::AwaitReply;
        let mut out = Vec::new();
        put_name_packet(
            &mut out,
            self.cfg.flags,
            Some(self.our_challenge),
            &self.cfg,
        );
        out
    }

    fn on_reply(&mut self, packet: &[u8]) -> Result<Step, HandshakeError> {
        let peer = self
            .peer
            .clone()
            .ok_or(HandshakeError::State("reply before name"))?;
        let mut r = body(packet, b'r', "challenge_reply")?;
        let their_challenge = r.u32()?;
        let d = r.digest()?;
        r.end()?;
        if !digest::verify(self.our_challenge, &self.cfg.cookie, &d) {
            self.state = AccState::Finished;
            return Err(HandshakeError::BadChallengeReply { peer: peer.name });
        }
        let mut body = Vec::with_capacity(17);
        body.push(b'a');
        body.extend_from_slice(&digest::digest(their_challenge, &self.cfg.cookie));
        let mut out = Vec::new();
        put_packet2(&mut out, &body);
        self.state = AccState::Finished;
        Ok(Step::Done(
            out,
            Established {
                flags: peer.flags & self.cfg.flags,
                peer_name: peer.name,
                peer_flags: peer.flags,
                peer_creation: peer.creation,
            },
        ))
    }
}

#[cfg(test)]
mod tests;
