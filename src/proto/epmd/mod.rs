//! EPMD wire messages (ALIVE2, PORT_PLEASE2, NAMES): encoding and check-then-parse decoding.
//!
//! Everything here is sans-IO: functions take and return bytes. Client-side
//! requests are built with the `encode_*_req` functions and replies read with
//! the `decode_*` functions; the embedded server does the reverse with
//! [`decode_request`] and the `encode_*_resp` functions.
//!
//! Decoders follow check-then-parse: `Ok(None)` means "need more bytes",
//! `Ok(Some((value, consumed)))` a complete message, `Err` garbage. Every
//! length read from the wire is bounded before it is used.
//!
//! Facts (from OTP's `erl_dist_protocol.md` and `epmd_srv.c`; all integers
//! big-endian):
//! - requests carry a 2-byte length prefix; epmd refuses a length of 0 and any
//!   length that does not fit its 3060-byte input buffer (so at most 3057);
//! - node names are UTF-8, at most 255 characters (1020 bytes), no NUL;
//!   the extra field is at most 1020 bytes;
//! - ALIVE2_REQ with highest version >= 6 is answered with ALIVE2_X_RESP
//!   (32-bit creation), older ones with ALIVE2_RESP (16-bit creation); a
//!   refused registration carries result 1 and creation 99;
//! - PORT2_RESP and NAMES_RESP are not length-prefixed; epmd closes after them.

use std::fmt;

/// `ALIVE2_REQ`: register a node.
pub const ALIVE2_REQ: u8 = 120;
/// `ALIVE2_X_RESP`: registration reply with a 32-bit creation.
pub const ALIVE2_X_RESP: u8 = 118;
/// `ALIVE2_RESP`: registration reply with a 16-bit creation (highest version < 6).
pub const ALIVE2_RESP: u8 = 121;
/// `PORT_PLEASE2_REQ`: look a node up by name.
pub const PORT_PLEASE2_REQ: u8 = 122;
/// `PORT2_RESP`: reply to `PORT_PLEASE2_REQ`.
pub const PORT2_RESP: u8 = 119;
/// `NAMES_REQ`: list registered names.
pub const NAMES_REQ: u8 = 110;
/// `DUMP_REQ`: debug dump of the registry.
pub const DUMP_REQ: u8 = 100;
/// `KILL_REQ`: ask epmd to exit.
pub const KILL_REQ: u8 = 107;
/// `STOP_REQ`: forcibly unregister a name.
pub const STOP_REQ: u8 = 115;

/// Node type of a normal (visible) node.
pub const NODE_TYPE_VISIBLE: u8 = 77;
/// Node type of a hidden node (C node).
pub const NODE_TYPE_HIDDEN: u8 = 72;
/// Protocol field value for TCP/IPv4.
pub const PROTOCOL_TCP_IPV4: u8 = 0;
/// Distribution protocol version spoken by OTP 23 and later.
pub const DIST_VERSION_6: u16 = 6;
/// The standard EPMD port.
pub const DEFAULT_EPMD_PORT: u16 = 4369;

/// Longest node name in characters (an atom's limit).
pub const MAX_NAME_CHARS: usize = 255;
/// Longest node name in bytes (255 characters of up to 4 UTF-8 bytes).
pub const MAX_NAME_BYTES: usize = 255 * 4;
/// Longest `Extra` field in bytes.
pub const MAX_EXTRA_BYTES: usize = 255 * 4;
/// Longest request body a real epmd accepts (its input buffer is 3060 bytes,
/// including the 2-byte length and a terminating NUL it adds).
pub const MAX_REQUEST_LEN: usize = 3 * MAX_NAME_BYTES - 3;
/// Result code epmd sends when a registration is refused.
pub const RESULT_REFUSED: u8 = 1;
/// Creation epmd reports alongside a refused registration.
pub const REFUSED_CREATION: u32 = 99;

/// Errors of the EPMD protocol and of talking to an EPMD over TCP.
#[derive(Debug, thiserror::Error)]
pub enum EpmdError {
    /// A request length prefix outside what epmd accepts.
    #[error("EPMD request length {len} is outside 1..={max}")]
    BadLength { len: usize, max: usize },
    /// A request whose first byte is no known request.
    #[error("unknown EPMD request tag {tag}")]
    UnknownRequest { tag: u8 },
    /// A reply whose first byte is not what the request expects.
    #[error("{}", unexpected_reply(expected, *tag))]
    UnexpectedReply { expected: &'static str, tag: u8 },
    /// A field runs past the end of a (length-delimited) message.
    #[error("truncated {what}: needs {need} bytes, has {have}")]
    Truncated {
        what: &'static str,
        need: usize,
        have: usize,
    },
    /// Bytes left over after a complete message.
    #[error("{extra} unexpected trailing bytes after {what}")]
    TrailingBytes { what: &'static str, extra: usize },
    /// A node name that epmd would not accept.
    #[error("invalid node name {name:?}: {reason}")]
    InvalidName { name: String, reason: &'static str },
    /// An `Extra` field longer than epmd accepts.
    #[error("EPMD extra field of {len} bytes exceeds {max}")]
    ExtraTooLong { len: usize, max: usize },
    /// A NAMES reply line that is not `name X at port N`.
    #[error("malformed line in EPMD names reply: {line:?}")]
    BadNamesLine { line: String },
    /// A reply larger than the client is willing to buffer.
    #[error("reply from EPMD at {addr} exceeds {max} bytes")]
    ReplyTooLarge { addr: String, max: usize },
    /// Could not connect to the EPMD.
    #[error("cannot connect to EPMD at {addr}: {source}")]
    Connect {
        addr: String,
        #[source]
        source: std::io::Error,
    },
    /// A read or write on an EPMD connection failed.
    #[error("I/O error talking to EPMD at {addr} ({during}): {source}")]
    Io {
        addr: String,
        during: &'static str,
        #[source]
        source: std::io::Error,
    },
    /// The EPMD did not answer in time.
    #[error("EPMD at {addr} did not answer in time ({during})")]
    Timeout { addr: String, during: &'static str },
    /// The EPMD closed the connection before a complete reply.
    #[error("EPMD at {addr} closed the connection before replying ({during})")]
    Closed { addr: String, during: &'static str },
    /// The EPMD refused our registration, which almost always means the name
    /// is already taken by a running node.
    #[error(
        "EPMD at {addr} refused to register {name:?} (result {result}): \
         the name is in use by another node on this host"
    )]
    NameInUse {
        name: String,
        addr: String,
        result: u8,
    },
    /// Starting the embedded EPMD failed.
    #[error("cannot start an embedded EPMD on {addr}: {source}")]
    Serve {
        addr: String,
        #[source]
        source: std::io::Error,
    },
}

/// A first byte no EPMD would send: most likely another service on that port
/// (`H` is how an HTTP server starts, `S` an SSH server).
fn unexpected_reply(expected: &str, tag: u8) -> String {
    let shown = if tag.is_ascii_graphic() {
        format!("{:?} ({tag})", char::from(tag))
    } else {
        format!("byte {tag}")
    };
    format!("the server does not speak EPMD: it answered {shown} where EPMD sends {expected}")
}

/// One registered node as epmd stores it: what ALIVE2_REQ carries and what
/// PORT2_RESP returns.
#[derive(Clone, PartialEq, Eq)]
pub struct NodeEntry {
    /// Distribution listen port.
    pub port: u16,
    /// 77 visible, 72 hidden.
    pub node_type: u8,
    /// 0 = TCP/IPv4.
    pub protocol: u8,
    /// Highest distribution version supported.
    pub highest: u16,
    /// Lowest distribution version supported.
    pub lowest: u16,
    /// Node name without `@host`.
    pub name: String,
    /// Opaque extra field.
    pub extra: Vec<u8>,
}

impl NodeEntry {
    /// The entry this crate registers: TCP/IPv4, distribution version 6 only.
    pub fn new(name: &str, port: u16, hidden: bool) -> Self {
        NodeEntry {
            port,
            node_type: if hidden {
                NODE_TYPE_HIDDEN
            } else {
                NODE_TYPE_VISIBLE
            },
            protocol: PROTOCOL_TCP_IPV4,
            highest: DIST_VERSION_6,
            lowest: DIST_VERSION_6,
            name: name.to_owned(),
            extra: Vec::new(),
        }
    }

    /// Whether the node registered itself as hidden.
    pub fn is_hidden(&self) -> bool {
        self.node_type == NODE_TYPE_HIDDEN
    }
}

impl fmt::Debug for NodeEntry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NodeEntry")
            .field("name", &self.name)
            .field("port", &self.port)
            .field("node_type", &self.node_type)
            .field("protocol", &self.protocol)
            .field("highest", &self.highest)
            .field("lowest", &self.lowest)
            .field("extra_len", &self.extra.len())
            .finish()
    }
}

/// Reply to ALIVE2_REQ (either the 32-bit or the 16-bit form).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Alive2Resp {
    /// 0 = registered; anything else = refused.
    pub result: u8,
    /// Creation assigned to the node (99 on refusal).
    pub creation: u32,
    /// `true` for ALIVE2_X_RESP (118), `false` for ALIVE2_RESP (121).
    pub extended: bool,
}

/// Reply to PORT_PLEASE2_REQ.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Port2Resp {
    /// The name is registered.
    Found(NodeEntry),
    /// Not registered (or epmd failed); carries the nonzero result code.
    NotFound(u8),
}

/// Reply to NAMES_REQ.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NamesResp {
    /// The port the answering epmd listens on.
    pub epmd_port: u32,
    /// Registered names and their distribution ports, in epmd's order.
    pub nodes: Vec<(String, u16)>,
}

/// A request a client sends to epmd, as decoded by the server side.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Request {
    /// ALIVE2_REQ.
    Alive2(NodeEntry),
    /// PORT_PLEASE2_REQ for this name.
    PortPlease2 { name: String },
    /// NAMES_REQ.
    Names,
    /// DUMP_REQ.
    Dump,
    /// KILL_REQ.
    Kill,
    /// STOP_REQ for this name.
    Stop { name: String },
}

// ---------------------------------------------------------------------------
// Validation helpers
// ---------------------------------------------------------------------------

/// Checks a node name the way epmd does: 1..=255 UTF-8 characters, no NUL.
pub fn validate_name(name: &str) -> Result<(), EpmdError> {
    let bad = |reason| EpmdError::InvalidName {
        name: printable(name.as_bytes()),
        reason,
    };
    if name.is_empty() {
        return Err(bad("empty"));
    }
    if name.len() > MAX_NAME_BYTES || name.chars().count() > MAX_NAME_CHARS {
        return Err(bad("longer than 255 characters"));
    }
    if name.contains('\0') {
        return Err(bad("contains a NUL byte"));
    }
    Ok(())
}

fn name_from_wire(bytes: &[u8]) -> Result<String, EpmdError> {
    let name = std::str::from_utf8(bytes).map_err(|_| EpmdError::InvalidName {
        name: printable(bytes),
        reason: "not valid UTF-8",
    })?;
    validate_name(name)?;
    Ok(name.to_owned())
}

/// A short, printable rendering of untrusted bytes for error messages.
fn printable(bytes: &[u8]) -> String {
    const SHOW: usize = 64;
    let mut s = String::from_utf8_lossy(&bytes[..bytes.len().min(SHOW)]).into_owned();
    if bytes.len() > SHOW {
        s.push_str("...");
    }
    s
}

/// A cursor over a length-delimited body: any overrun is an error.
struct Body<'a> {
    buf: &'a [u8],
    pos: usize,
    what: &'static str,
}

impl<'a> Body<'a> {
    fn new(buf: &'a [u8], what: &'static str) -> Self {
        Body { buf, pos: 0, what }
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8], EpmdError> {
        let have = self.buf.len() - self.pos;
        if n > have {
            return Err(EpmdError::Truncated {
                what: self.what,
                need: self.pos + n,
                have: self.buf.len(),
            });
        }
        let out = &self.buf[self.pos..self.pos + n];
        self.pos += n;
        Ok(out)
    }

    fn u8(&mut self) -> Result<u8, EpmdError> {
        Ok(self.take(1)?[0])
    }

    fn u16(&mut self) -> Result<u16, EpmdError> {
        let b = self.take(2)?;
        Ok(u16::from_be_bytes([b[0], b[1]]))
    }
}

/// Reads the node-entry fields that follow a tag (ALIVE2_REQ) or a tag and
/// result (PORT2_RESP). Returns `Ok(None)` if `buf` ends early and `strict`
/// is false (unframed reply), an error if it ends early and `strict` is true.
fn parse_entry_fields(
    buf: &[u8],
    what: &'static str,
    strict: bool,
) -> Result<Option<(NodeEntry, usize)>, EpmdError> {
    // PortNo:16 NodeType:8 Protocol:8 Highest:16 Lowest:16 Nlen:16
    const FIXED: usize = 10;
    let short = |need: usize| {
        if strict {
            Err(EpmdError::Truncated {
                what,
                need,
                have: buf.len(),
            })
        } else {
            Ok(None)
        }
    };
    if buf.len() < FIXED {
        return short(FIXED);
    }
    let mut b = Body::new(buf, what);
    let port = b.u16()?;
    let node_type = b.u8()?;
    let protocol = b.u8()?;
    let highest = b.u16()?;
    let lowest = b.u16()?;
    let nlen = usize::from(b.u16()?);
    if nlen > MAX_NAME_BYTES {
        return Err(EpmdError::InvalidName {
            name: format!("<{nlen} bytes>"),
            reason: "longer than 255 characters",
        });
    }
    if buf.len() < FIXED + nlen + 2 {
        return short(FIXED + nlen + 2);
    }
    let name = name_from_wire(b.take(nlen)?)?;
    let elen = usize::from(b.u16()?);
    if elen > MAX_EXTRA_BYTES {
        return Err(EpmdError::ExtraTooLong {
            len: elen,
            max: MAX_EXTRA_BYTES,
        });
    }
    if buf.len() < FIXED + nlen + 2 + elen {
        return short(FIXED + nlen + 2 + elen);
    }
    let extra = b.take(elen)?.to_vec();
    Ok(Some((
        NodeEntry {
            port,
            node_type,
            protocol,
            highest,
            lowest,
            name,
            extra,
        },
        b.pos,
    )))
}

fn put_entry_fields(out: &mut Vec<u8>, e: &NodeEntry) -> Result<(), EpmdError> {
    validate_name(&e.name)?;
    if e.extra.len() > MAX_EXTRA_BYTES {
        return Err(EpmdError::ExtraTooLong {
            len: e.extra.len(),
            max: MAX_EXTRA_BYTES,
        });
    }
    out.extend_from_slice(&e.port.to_be_bytes());
    out.push(e.node_type);
    out.push(e.protocol);
    out.extend_from_slice(&e.highest.to_be_bytes());
    out.extend_from_slice(&e.lowest.to_be_bytes());
    // Both lengths are bounded by 1020 above, so they fit in u16.
    out.extend_from_slice(&(e.name.len() as u16).to_be_bytes());
    out.extend_from_slice(e.name.as_bytes());
    out.extend_from_slice(&(e.extra.len() as u16).to_be_bytes());
    out.extend_from_slice(&e.extra);
    Ok(())
}

/// Prefixes a request body with its 2-byte length.
fn framed(body: Vec<u8>) -> Vec<u8> {
    // Callers only build bodies well under MAX_REQUEST_LEN.
    let mut out = Vec::with_capacity(body.len() + 2);
    out.extend_from_slice(&(body.len() as u16).to_be_bytes());
    out.extend_from_slice(&body);
    out
}

// ---------------------------------------------------------------------------
// Client side: requests out, replies in
// ---------------------------------------------------------------------------

/// Encodes a length-prefixed ALIVE2_REQ registering `entry`.
pub fn encode_alive2_req(entry: &NodeEntry) -> Result<Vec<u8>, EpmdError> {
    let mut body = vec![ALIVE2_REQ];
    put_entry_fields(&mut body, entry)?;
    Ok(framed(body))
}

/// Encodes a length-prefixed PORT_PLEASE2_REQ for `name` (without `@host`).
pub fn encode_port_please2_req(name: &str) -> Result<Vec<u8>, EpmdError> {
    validate_name(name)?;
    let mut body = vec![PORT_PLEASE2_REQ];
    body.extend_from_slice(name.as_bytes());
    Ok(framed(body))
}

/// Encodes a length-prefixed NAMES_REQ.
pub fn encode_names_req() -> Vec<u8> {
    framed(vec![NAMES_REQ])
}

/// Decodes ALIVE2_X_RESP (118) or ALIVE2_RESP (121) from the start of `buf`.
pub fn decode_alive2_resp(buf: &[u8]) -> Result<Option<(Alive2Resp, usize)>, EpmdError> {
    let Some(&tag) = buf.first() else {
        return Ok(None);
    };
    match tag {
        ALIVE2_X_RESP => {
            if buf.len() < 6 {
                return Ok(None);
            }
            let creation = u32::from_be_bytes([buf[2], buf[3], buf[4], buf[5]]);
            Ok(Some((
                Alive2Resp {
                    result: buf[1],
                    creation,
                    extended: true,
                },
                6,
            )))
        }
        ALIVE2_RESP => {
            if buf.len() < 4 {
                return Ok(None);
            }
            let creation = u32::from(u16::from_be_bytes([buf[2], buf[3]]));
            Ok(Some((
                Alive2Resp {
                    result: buf[1],
                    creation,
                    extended: false,
                },
                4,
            )))
        }
        tag => Err(EpmdError::UnexpectedReply {
            expected: "ALIVE2_X_RESP (118) or ALIVE2_RESP (121)",
            tag,
        }),
    }
}

/// Decodes PORT2_RESP (119) from the start of `buf`.
pub fn decode_port2_resp(buf: &[u8]) -> Result<Option<(Port2Resp, usize)>, EpmdError> {
    let Some(&tag) = buf.first() else {
        return Ok(None);
    };
    if tag != PORT2_RESP {
        return Err(EpmdError::UnexpectedReply {
            expected: "PORT2_RESP (119)",
            tag,
        });
    }
    let Some(&result) = buf.get(1) else {
        return Ok(None);
    };
    if result != 0 {
        return Ok(Some((Port2Resp::NotFound(result), 2)));
    }
    match parse_entry_fields(&buf[2..], "PORT2_RESP", false)? {
        None => Ok(None),
        Some((entry, used)) => Ok(Some((Port2Resp::Found(entry), 2 + used))),
    }
}

/// Parses a complete NAMES reply (everything epmd sent before closing).
///
/// Returns `Ok(None)` if not even the 4-byte port has arrived. The buffer
/// must be the whole reply (epmd closes the connection after it); a last line
/// without its newline is parsed like the others.
pub fn decode_names_resp(buf: &[u8]) -> Result<Option<NamesResp>, EpmdError> {
    if buf.len() < 4 {
        return Ok(None);
    }
    let epmd_port = u32::from_be_bytes([buf[0], buf[1], buf[2], buf[3]]);
    let mut nodes = Vec::new();
    let text = &buf[4..];
    for raw in text.split(|&b| b == b'\n') {
        if raw.is_empty() {
            continue;
        }
        nodes.push(parse_names_line(raw)?);
    }
    Ok(Some(NamesResp { epmd_port, nodes }))
}

fn parse_names_line(raw: &[u8]) -> Result<(String, u16), EpmdError> {
    let bad = || EpmdError::BadNamesLine {
        line: printable(raw),
    };
    let line = std::str::from_utf8(raw).map_err(|_| bad())?;
    let rest = line.strip_prefix("name ").ok_or_else(bad)?;
    let (name, port) = rest.rsplit_once(" at port ").ok_or_else(bad)?;
    let port: u16 = port.parse().map_err(|_| bad())?;
    validate_name(name).map_err(|_| bad())?;
    Ok((name.to_owned(), port))
}

// ---------------------------------------------------------------------------
// Server side: requests in, replies out
// ---------------------------------------------------------------------------

/// Decodes one length-prefixed request from the start of `buf`.
///
/// `Ok(None)`: more bytes are needed. `Ok(Some((req, consumed)))`: a complete
/// request. `Err`: the length is out of bounds or the body is malformed
/// (real epmd closes such connections without replying).
pub fn decode_request(buf: &[u8]) -> Result<Option<(Request, usize)>, EpmdError> {
    if buf.len() < 2 {
        return Ok(None);
    }
    let len = usize::from(u16::from_be_bytes([buf[0], buf[1]]));
    if len == 0 || len > MAX_REQUEST_LEN {
        return Err(EpmdError::BadLength {
            len,
            max: MAX_REQUEST_LEN,
        });
    }
    if buf.len() < 2 + len {
        return Ok(None);
    }
    let req = decode_request_body(&buf[2..2 + len])?;
    Ok(Some((req, 2 + len)))
}

/// Decodes a request body (the bytes after the 2-byte length).
pub fn decode_request_body(body: &[u8]) -> Result<Request, EpmdError> {
    let Some((&tag, rest)) = body.split_first() else {
        return Err(EpmdError::BadLength {
            len: 0,
            max: MAX_REQUEST_LEN,
        });
    };
    match tag {
        ALIVE2_REQ => {
            let (entry, used) =
                parse_entry_fields(rest, "ALIVE2_REQ", true)?.ok_or(EpmdError::Truncated {
                    what: "ALIVE2_REQ",
                    need: 10,
                    have: rest.len(),
                })?;
            if used != rest.len() {
                return Err(EpmdError::TrailingBytes {
                    what: "ALIVE2_REQ",
                    extra: rest.len() - used,
                });
            }
            Ok(Request::Alive2(entry))
        }
        PORT_PLEASE2_REQ => Ok(Request::PortPlease2 {
            name: name_from_wire(strip_nul(rest))?,
        }),
        STOP_REQ => Ok(Request::Stop {
            name: name_from_wire(strip_nul(rest))?,
        }),
        // epmd ignores anything after the tag of these.
        NAMES_REQ => Ok(Request::Names),
        DUMP_REQ => Ok(Request::Dump),
        KILL_REQ => Ok(Request::Kill),
        tag => Err(EpmdError::UnknownRequest { tag }),
    }
}

/// Old clients NUL-terminate names; epmd drops one trailing NUL.
fn strip_nul(name: &[u8]) -> &[u8] {
    name.strip_suffix(&[0]).unwrap_or(name)
}

/// Encodes the reply to an ALIVE2_REQ whose highest version was `highest`:
/// ALIVE2_X_RESP for version 6 and up, ALIVE2_RESP (16-bit creation) below.
pub fn encode_alive2_resp(highest: u16, result: u8, creation: u32) -> Vec<u8> {
    if highest >= DIST_VERSION_6 {
        let mut out = vec![ALIVE2_X_RESP, result];
        out.extend_from_slice(&creation.to_be_bytes());
        out
    } else {
        let mut out = vec![ALIVE2_RESP, result];
        // The 16-bit form carries only the low half, as epmd does.
        out.extend_from_slice(&((creation & 0xffff) as u16).to_be_bytes());
        out
    }
}

/// Encodes PORT2_RESP: the entry if found, else `[119, 1]`.
pub fn encode_port2_resp(entry: Option<&NodeEntry>) -> Result<Vec<u8>, EpmdError> {
    match entry {
        None => Ok(vec![PORT2_RESP, RESULT_REFUSED]),
        Some(e) => {
            let mut out = vec![PORT2_RESP, 0];
            put_entry_fields(&mut out, e)?;
            Ok(out)
        }
    }
}

/// Encodes a NAMES reply: the epmd port as 4 bytes, then one
/// `name <name> at port <port>\n` line per node.
pub fn encode_names_resp<'a>(
    epmd_port: u16,
    nodes: impl IntoIterator<Item = (&'a str, u16)>,
) -> Vec<u8> {
    let mut out = u32::from(epmd_port).to_be_bytes().to_vec();
    for (name, port) in nodes {
        out.extend_from_slice(format!("name {name} at port {port}\n").as_bytes());
    }
    out
}

/// Encodes a DUMP reply the way epmd formats it: the epmd port as 4 bytes,
/// then for each active node `active name     <N> at port P, fd = F\n\0`, then
/// for each remembered unregistered name `old/unused name <N>, port = P, fd = F \n\0`.
pub fn encode_dump_resp<'a>(
    epmd_port: u16,
    active: impl IntoIterator<Item = (&'a str, u16, u64)>,
    unused: impl IntoIterator<Item = (&'a str, u16, u64)>,
) -> Vec<u8> {
    let mut out = u32::from(epmd_port).to_be_bytes().to_vec();
    for (name, port, fd) in active {
        out.extend_from_slice(
            format!("active name     <{name}> at port {port}, fd = {fd}\n\0").as_bytes(),
        );
    }
    for (name, port, fd) in unused {
        out.extend_from_slice(
            format!("old/unused name <{name}>, port = {port}, fd = {fd} \n\0").as_bytes(),
        );
    }
    out
}

/// The reply epmd gives a KILL_REQ it refuses.
pub const KILL_REFUSED: &[u8] = b"NO";

#[cfg(test)]
mod tests;
