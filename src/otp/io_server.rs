//! An I/O server (the Erlang I/O protocol's server side) writing to this node's stdout, or to any writer.
//!
//! Every `{io_request, From, ReplyAs, Request}` is answered with
//! `{io_reply, ReplyAs, Reply}`, one request at a time, in arrival order:
//!
//! | request | reply |
//! |---|---|
//! | `{put_chars, unicode \| latin1, Chars}` (and the old `{put_chars, Chars}`) | `ok`, or `{error, put_chars}` for bad chardata or invalid UTF-8 |
//! | `{put_chars, Enc, io_lib, format \| fwrite, [Format, Args]}` | `ok`, or `{error, format}` when `io_lib:format/2` would raise |
//! | `{put_chars, Enc, M, F, A}` of a Rust function registered on the node | `ok`, or `{error, F}` (also for functions nobody registered) |
//! | `{requests, [Request]}` | the last reply; stops at the first `{error, _}` |
//! | `getopts` | `[{binary, Bool}, {encoding, unicode \| latin1}]` (binary by default for a client on an Elixir node, which sets its own standard I/O to binary; list for an Erlang one) |
//! | `{setopts, Opts}` (`binary`, `list`, `{binary, B}`, `{encoding, E}`, `{echo, B}`, `{expand_fun, F}`) | `ok`, or `{error, enotsup}` |
//! | `{get_line, Enc, Prompt}`, `{get_chars, Enc, Prompt, N}`, `{get_until, Enc, Prompt, io_lib, collect_line \| collect_chars, A}` and their old forms | the data (a list, or a binary in binary mode), or `eof` without input |
//! | `{get_geometry, columns \| rows}` | the size when known, else `{error, enotsup}` |
//! | anything else | `{error, request}` |
//!
//! Reply choices follow OTP 25's servers: `user` (the stdout server of
//! `erl -noshell`) for `put_chars` errors and `getopts`, the shell's `group`
//! for the io_lib form and unknown requests. The prompt of a get request is
//! written even when the answer is `eof`, as `user` does.
//!
//! Differences from OTP: input is read only when the server has an input
//! stream ([`start_stdout_server`] gives it stdin only when stdin is a
//! terminal); `get_until` takes only `io_lib:collect_line/collect_chars`
//! (others get `{error, request}`); `get_password` is `{error, enotsup}`;
//! line editing and echo control are the terminal's own; the geometry of a
//! terminal comes from `COLUMNS` / `LINES` (no ioctl); writes block the
//! server's task until the writer accepts the bytes.

use super::io_format::{self, PrintOpts};
use super::rpc::CallContext;
use crate::node::Node;
use crate::proto::etf::MapOrders;
use crate::term;
use eetf::{Pid, Term};
use std::borrow::Cow;
use std::collections::HashMap;
use std::io::{BufRead, IsTerminal, Write};
use std::sync::Arc;
use std::time::Duration;

/// Longest line or character count one get request may return.
const MAX_READ: usize = 16 * 1024 * 1024;
/// Deepest chardata nesting accepted in put_chars.
const MAX_NESTING: usize = 10_000;

/// What an I/O server writes to and reads from.
pub struct IoServerConfig {
    /// Where output requests (`put_chars`, `IO.puts`, `:io.format`) write.
    pub out: Box<dyn Write + Send>,
    /// Where get requests read; `None` answers them with `eof`.
    pub input: Option<Box<dyn BufRead + Send>>,
    /// `(columns, rows)` for `get_geometry`; `None` answers `{error, enotsup}`.
    pub geometry: Option<(u32, u32)>,
}

/// Starts an I/O server on this process's stdout. Get requests read stdin
/// when it is a terminal (else they answer `eof`); the geometry is known
/// when stdout is a terminal and `COLUMNS` / `LINES` are set.
pub fn start_stdout_server(node: &Node) -> Pid {
    let geometry = if std::io::stdout().is_terminal() {
        let env = |k: &str| std::env::var(k).ok().and_then(|v| v.trim().parse().ok());
        env("COLUMNS").zip(env("LINES"))
    } else {
        None
    };
    start_server_with(
        node,
        IoServerConfig {
            out: Box::new(std::io::stdout()),
            input: stdin_if(std::io::stdin().is_terminal()),
            geometry,
        },
    )
}

/// Starts an I/O server writing to `out`. With `interactive`, get requests
/// read this process's stdin; otherwise input is at end of file.
pub fn start_server(node: &Node, out: Box<dyn Write + Send>, interactive: bool) -> Pid {
    start_server_with(
        node,
        IoServerConfig {
            out,
            input: stdin_if(interactive),
            geometry: None,
        },
    )
}

fn stdin_if(yes: bool) -> Option<Box<dyn BufRead + Send>> {
    yes.then(|| Box::new(std::io::BufReader::new(std::io::stdin())) as Box<dyn BufRead + Send>)
}

/// Starts an I/O server with its output, input and geometry given.
pub fn start_server_with(node: &Node, config: IoServerConfig) -> Pid {
    node.spawn(move |mut p| async move {
        let mut server = Server {
            node: p.node().clone(),
            out: config.out,
            input: config.input,
            geometry: config.geometry,
            binary: None,
            client_binary: false,
            encoding: Enc::Unicode,
            releases: HashMap::new(),
        };
        while let Ok((msg, wire)) = p.receive_from_wire().await {
            let Some([tag, from, reply_as, req]) = term::as_tuple(&msg) else {
                tracing::debug!(
                    "I/O server: ignoring {}",
                    crate::term::print::shown(&msg, p.node().name()).escape_debug()
                );
                continue;
            };
            if !term::is_atom(tag, "io_request") {
                tracing::debug!(
                    "I/O server: ignoring {}",
                    crate::term::print::shown(&msg, p.node().name()).escape_debug()
                );
                continue;
            }
            let Some(from) = term::as_pid(from) else {
                continue;
            };
            // Elixir sets its standard I/O to binary mode; an Erlang node's is in
            // list mode. Until a setopts chooses, each client gets its node's.
            server.client_binary = match server.binary {
                Some(b) => b,
                None => super::elixir::runs_elixir(&server.node, from).await,
            };
            // Formatting requests print maps in the order the requester sent their keys,
            // read from the bytes of this message (its maps are known by address: `msg`
            // stays put until the reply is sent).
            let peer = match wire {
                Some(w) if formats(req, 0) => Some(Requester {
                    orders: Arc::new(MapOrders::of_checked(&w.checked, &msg)),
                    node: w.origin.peer.clone(),
                    connection: w.origin.id,
                }),
                _ => None,
            };
            let reply = server.request(req, peer.as_ref(), 0).await;
            p.send(
                from,
                term::tuple(vec![term::atom("io_reply"), reply_as.clone(), reply]),
            );
        }
        term::atom("normal")
    })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Enc {
    Unicode,
    Latin1,
}

impl Enc {
    fn of(t: &Term) -> Option<Enc> {
        match term::as_atom(t)? {
            "unicode" | "utf8" => Some(Enc::Unicode),
            "latin1" => Some(Enc::Latin1),
            _ => None,
        }
    }
    fn atom(self) -> Term {
        term::atom(match self {
            Enc::Unicode => "unicode",
            Enc::Latin1 => "latin1",
        })
    }
}

struct Server {
    node: Node,
    out: Box<dyn Write + Send>,
    input: Option<Box<dyn BufRead + Send>>,
    geometry: Option<(u32, u32)>,
    /// The mode a setopts chose; `None`: each client's node's default.
    binary: Option<bool>,
    /// The mode for the request being answered.
    client_binary: bool,
    encoding: Enc,
    /// The OTP release of each peer node that asked for formatting, by connection.
    releases: HashMap<String, (u64, Option<u32>)>,
}

/// The peer node a request came from, and the key order of the maps it sent.
struct Requester {
    orders: Arc<MapOrders>,
    node: String,
    connection: u64,
}

/// Most peers whose release the server remembers (it forgets them all past this).
const MAX_KNOWN_RELEASES: usize = 1024;
/// How long the server waits for a peer to say its release.
const RELEASE_TIMEOUT: Duration = Duration::from_secs(5);

/// Whether `req` (or one of `{requests, [...]}`) formats with `io_lib`.
fn formats(req: &Term, depth: usize) -> bool {
    match term::as_tuple(req) {
        Some([op, _, m, _, _] | [op, m, _, _]) if term::is_atom(op, "put_chars") => {
            term::is_atom(m, "io_lib")
        }
        Some([op, Term::List(reqs)]) if term::is_atom(op, "requests") && depth < 16 => {
            reqs.elements.iter().any(|r| formats(r, depth + 1))
        }
        _ => false,
    }
}

/// The major release in `erlang:system_info(otp_release)`'s answer (`"27"`).
fn parse_release(t: &Term) -> Option<u32> {
    let text: String = term::as_list(t)?
        .iter()
        .map(|c| term::as_int(c).and_then(|c| char::from_u32(u32::try_from(c).ok()?)))
        .collect::<Option<_>>()?;
    text.parse().ok()
}

fn error(reason: &str) -> Term {
    term::tuple(vec![term::atom("error"), term::atom(reason)])
}

fn is_error(t: &Term) -> bool {
    matches!(term::as_tuple(t), Some([e, _]) if term::is_atom(e, "error"))
}

/// Chardata in `enc` as UTF-8 text: with `Unicode` binaries must be UTF-8
/// and integers code points; with `Latin1` binaries are Latin-1 bytes and
/// integers below 256. Lists nest and may end in a binary.
fn chardata_to_utf8(t: &Term, enc: Enc) -> Option<String> {
    let mut out = String::new();
    chars_into(t, enc, &mut out, 0)?;
    Some(out)
}

fn chars_into(t: &Term, enc: Enc, out: &mut String, nest: usize) -> Option<()> {
    if nest > MAX_NESTING {
        return None;
    }
    let code_point = |t: &Term| -> Option<Option<char>> {
        match term::as_int(t) {
            Some(c) if enc == Enc::Latin1 && !(0..=255).contains(&c) => Some(None),
            Some(c) => Some(u32::try_from(c).ok().and_then(char::from_u32)),
            None => None,
        }
    };
    match t {
        Term::Binary(b) => match enc {
            Enc::Unicode => out.push_str(std::str::from_utf8(&b.bytes).ok()?),
            Enc::Latin1 => out.extend(b.bytes.iter().map(|&c| char::from(c))),
        },
        Term::ByteList(b) => out.extend(b.bytes.iter().map(|&c| char::from(c))),
        Term::List(l) => {
            for e in &l.elements {
                match code_point(e) {
                    Some(c) => out.push(c?),
                    None => chars_into(e, enc, out, nest + 1)?,
                }
            }
        }
        Term::ImproperList(l) => {
            for e in &l.elements {
                match code_point(e) {
                    Some(c) => out.push(c?),
                    None => chars_into(e, enc, out, nest + 1)?,
                }
            }
            if !matches!(*l.last, Term::Binary(_)) {
                return None;
            }
            chars_into(&l.last, enc, out, nest + 1)?;
        }
        _ => return None,
    }
    Some(())
}

/// `io_lib:format_prompt/2`: chardata and atoms as they are, `{format, F, A}`
/// formatted, anything else as `~p` would print it.
fn prompt_text(node: &Node, prompt: &Term, enc: Enc) -> String {
    if let Some([tag, f, a]) = term::as_tuple(prompt)
        && term::is_atom(tag, "format")
    {
        return match io_format::format_with(f, a, &PrintOpts::local(node.name())) {
            Ok(b) => String::from_utf8_lossy(&b).into_owned(),
            Err(_) => "???".to_owned(),
        };
    }
    if let Term::Atom(a) = prompt {
        return a.name.clone();
    }
    if let Some(s) = chardata_to_utf8(prompt, enc) {
        return s;
    }
    let e = match enc {
        Enc::Unicode => io_format::Encoding::Unicode,
        Enc::Latin1 => io_format::Encoding::Latin1,
    };
    io_format::print_term(prompt, -1, 1, 80, e, true, &PrintOpts::local(node.name()))
}

/// What a get request reads.
enum Read {
    Line,
    Chars(usize),
}

impl Server {
    fn write(&mut self, text: &str) -> Term {
        match self
            .out
            .write_all(text.as_bytes())
            .and_then(|_| self.out.flush())
        {
            Ok(()) => term::atom("ok"),
            Err(e) => {
                tracing::warn!("I/O server: cannot write: {e}");
                error("terminated")
            }
        }
    }

    fn put_chars(&mut self, enc: Enc, chars: &Term) -> Term {
        match chardata_to_utf8(chars, enc) {
            Some(text) => self.write(&text),
            None => error("put_chars"),
        }
    }

    /// The OTP release of the requester's node, asked once per connection: the handshake
    /// flags of OTP 25 and 27 are the same, and their `io_lib` prints differently. None when
    /// the node does not answer (a C node without `rex`, say).
    async fn release_of(&mut self, peer: &Requester) -> Option<u32> {
        if let Some((conn, release)) = self.releases.get(&peer.node)
            && *conn == peer.connection
        {
            return *release;
        }
        let answer = self
            .node
            .call(
                &peer.node,
                "erlang",
                "system_info",
                vec![term::atom("otp_release")],
                RELEASE_TIMEOUT,
            )
            .await;
        let release = answer.ok().as_ref().and_then(parse_release);
        if release.is_none() {
            tracing::debug!(peer = %peer.node, "I/O server: the peer did not say its OTP release");
        }
        if self.releases.len() >= MAX_KNOWN_RELEASES {
            self.releases.clear();
        }
        self.releases
            .insert(peer.node.clone(), (peer.connection, release));
        release
    }

    /// The io_lib form: `{put_chars, Enc, M, F, A}`.
    async fn put_chars_mfa(
        &mut self,
        enc: Enc,
        (m, f, a): (&Term, &Term, &Term),
        peer: Option<&Requester>,
    ) -> Term {
        // The arguments are borrowed where they can be: the requester's map orders know
        // its maps by address.
        let args: Cow<'_, [Term]> = match a {
            Term::List(l) => Cow::Borrowed(&l.elements),
            other => match term::as_list(other) {
                Some(v) => Cow::Owned(v),
                None => return error("request"),
            },
        };
        let (Some(m), Some(f)) = (term::as_atom(m), term::as_atom(f)) else {
            return error("request");
        };
        let text = if m == "io_lib" && (f == "format" || f == "fwrite") && args.len() == 2 {
            let mut opts = PrintOpts::local(self.node.name());
            if let Some(peer) = peer {
                opts.otp_release = self.release_of(peer).await;
                opts.wire = Some(peer.orders.clone());
            }
            io_format::format_with(&args[0], &args[1], &opts)
                .ok()
                .and_then(|b| String::from_utf8(b).ok())
        } else if self.node.has_fn(m, f, args.len()) {
            let args = args.into_owned();
            let ctx = CallContext::detached(&self.node, None);
            match self.node.apply(m, f, args, ctx).await {
                Ok(result) => chardata_to_utf8(&result, Enc::Unicode),
                Err(_) => None,
            }
        } else {
            None
        };
        match text {
            Some(t) if enc == Enc::Latin1 && t.chars().any(|c| u32::from(c) > 255) => error(f),
            Some(t) => self.write(&t),
            None => error(f),
        }
    }

    fn setopts(&mut self, opts: &Term) -> Term {
        let Some(opts) = term::as_list(opts) else {
            return error("request");
        };
        let (mut binary, mut encoding) = (self.binary, self.encoding);
        for o in &opts {
            match (term::as_atom(o), term::as_tuple(o)) {
                (Some("binary"), _) => binary = Some(true),
                (Some("list"), _) => binary = Some(false),
                (_, Some([k, v])) if term::is_atom(k, "binary") => match term::as_atom(v) {
                    Some("true") => binary = Some(true),
                    Some("false") => binary = Some(false),
                    _ => return error("enotsup"),
                },
                (_, Some([k, v])) if term::is_atom(k, "encoding") => match Enc::of(v) {
                    Some(e) => encoding = e,
                    None => return error("enotsup"),
                },
                (_, Some([k, _])) if term::is_atom(k, "echo") || term::is_atom(k, "expand_fun") => {
                }
                _ => return error("enotsup"),
            }
        }
        self.binary = binary;
        self.client_binary = binary.unwrap_or(self.client_binary);
        self.encoding = encoding;
        term::atom("ok")
    }

    fn getopts(&self) -> Term {
        term::list(vec![
            term::tuple(vec![
                term::atom("binary"),
                term::atom(if self.client_binary { "true" } else { "false" }),
            ]),
            term::tuple(vec![term::atom("encoding"), self.encoding.atom()]),
        ])
    }

    /// A get request: write the prompt, read, and answer in the request's
    /// encoding as a list or (in binary mode) a binary.
    async fn get(&mut self, enc: Enc, prompt: &Term, what: Read) -> Term {
        let p = prompt_text(&self.node, prompt, enc);
        if !p.is_empty() {
            self.write(&p);
        }
        let Some(mut input) = self.input.take() else {
            return term::atom("eof");
        };
        let res = tokio::task::spawn_blocking(move || {
            let r = read_input(&mut *input, &what, enc);
            (input, r)
        })
        .await;
        let text = match res {
            Ok((input, r)) => {
                self.input = Some(input);
                match r {
                    Ok(Some(t)) => t,
                    Ok(None) => return term::atom("eof"),
                    Err(e) => {
                        tracing::warn!("I/O server: cannot read: {e}");
                        return error("terminated");
                    }
                }
            }
            Err(_) => return error("terminated"),
        };
        if enc == Enc::Latin1 && text.chars().any(|c| u32::from(c) > 255) {
            return term::tuple(vec![
                term::atom("error"),
                term::tuple(vec![
                    term::atom("no_translation"),
                    term::atom("unicode"),
                    term::atom("latin1"),
                ]),
            ]);
        }
        if self.client_binary {
            match enc {
                Enc::Unicode => term::binary(text.into_bytes()),
                Enc::Latin1 => term::binary(
                    text.chars()
                        .map(|c| u32::from(c) as u8)
                        .collect::<Vec<u8>>(),
                ),
            }
        } else {
            term::list(
                text.chars()
                    .map(|c| term::int(i64::from(u32::from(c))))
                    .collect(),
            )
        }
    }

    fn request<'a>(
        &'a mut self,
        req: &'a Term,
        peer: Option<&'a Requester>,
        depth: usize,
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = Term> + Send + 'a>> {
        Box::pin(async move {
            if term::is_atom(req, "getopts") {
                return self.getopts();
            }
            let Some(t) = term::as_tuple(req) else {
                return error("request");
            };
            let Some(op) = term::as_atom(&t[0]) else {
                return error("request");
            };
            match (op, &t[1..]) {
                ("put_chars", [enc, chars]) => match Enc::of(enc) {
                    Some(e) => self.put_chars(e, chars),
                    None => error("request"),
                },
                ("put_chars", [chars]) => self.put_chars(Enc::Latin1, chars),
                ("put_chars", [enc, m, f, a]) => match Enc::of(enc) {
                    Some(e) => self.put_chars_mfa(e, (m, f, a), peer).await,
                    None => error("request"),
                },
                ("put_chars", [m, f, a]) => self.put_chars_mfa(Enc::Latin1, (m, f, a), peer).await,
                ("requests", [reqs]) if depth < 16 => {
                    // Borrowed, not copied: the requester's map orders know its maps by address.
                    let reqs: Cow<'_, [Term]> = match reqs {
                        Term::List(l) => Cow::Borrowed(&l.elements),
                        other => match term::as_list(other) {
                            Some(v) => Cow::Owned(v),
                            None => return error("request"),
                        },
                    };
                    let mut last = term::atom("ok");
                    for r in reqs.iter() {
                        last = self.request(r, peer, depth + 1).await;
                        if is_error(&last) {
                            break;
                        }
                    }
                    last
                }
                ("setopts", [opts]) => self.setopts(opts),
                ("get_geometry", [what]) => match (term::as_atom(what), self.geometry) {
                    (Some("columns"), Some((c, _))) => term::int(i64::from(c)),
                    (Some("rows"), Some((_, r))) => term::int(i64::from(r)),
                    (Some("columns" | "rows"), None) => error("enotsup"),
                    _ => error("request"),
                },
                ("get_line", [enc, prompt]) => match Enc::of(enc) {
                    Some(e) => self.get(e, prompt, Read::Line).await,
                    None => error("request"),
                },
                ("get_line", [prompt]) => self.get(Enc::Latin1, prompt, Read::Line).await,
                ("get_chars", [enc, prompt, n]) => match (Enc::of(enc), count(n)) {
                    (Some(e), Some(n)) => self.get(e, prompt, Read::Chars(n)).await,
                    _ => error("request"),
                },
                ("get_chars", [prompt, n]) => match count(n) {
                    Some(n) => self.get(Enc::Latin1, prompt, Read::Chars(n)).await,
                    None => error("request"),
                },
                ("get_until", [enc, prompt, m, f, a]) => match (Enc::of(enc), until(m, f, a)) {
                    (Some(e), Some(what)) => self.get(e, prompt, what).await,
                    _ => error("request"),
                },
                ("get_until", [prompt, m, f, a]) => match until(m, f, a) {
                    Some(what) => self.get(Enc::Latin1, prompt, what).await,
                    None => error("request"),
                },
                ("get_password", _) => error("enotsup"),
                _ => error("request"),
            }
        })
    }
}

fn count(n: &Term) -> Option<usize> {
    term::as_int(n)
        .and_then(|n| usize::try_from(n).ok())
        .filter(|&n| n <= MAX_READ)
}

/// The `get_until` callbacks we know: `io_lib:collect_line` and
/// `io_lib:collect_chars` (with the count as its argument).
fn until(m: &Term, f: &Term, a: &Term) -> Option<Read> {
    if !term::is_atom(m, "io_lib") {
        return None;
    }
    let args = term::as_list(a)?;
    match (term::as_atom(f)?, args.as_slice()) {
        ("collect_line", []) => Some(Read::Line),
        ("collect_chars", [n]) => count(n).map(Read::Chars),
        _ => None,
    }
}

/// Reads a line (with its `\n`; `\r\n` becomes `\n`) or `n` characters.
/// `Ok(None)` at end of input with nothing read. Input that is not UTF-8
/// is taken as Latin-1; with a `Latin1` request every byte is a character.
fn read_input(input: &mut dyn BufRead, what: &Read, enc: Enc) -> std::io::Result<Option<String>> {
    let decode = |bytes: Vec<u8>| -> String {
        match (enc, String::from_utf8(bytes)) {
            (Enc::Unicode, Ok(s)) => s,
            (_, Ok(s)) if s.is_ascii() => s,
            (_, Ok(s)) => s.bytes().map(char::from).collect(),
            (_, Err(e)) => e.into_bytes().into_iter().map(char::from).collect(),
        }
    };
    match what {
        Read::Line => {
            let mut buf = Vec::new();
            let n =
                std::io::Read::take(&mut *input, MAX_READ as u64).read_until(b'\n', &mut buf)?;
            if n == 0 {
                return Ok(None);
            }
            if buf.ends_with(b"\r\n") {
                buf.truncate(buf.len() - 2);
                buf.push(b'\n');
            }
            Ok(Some(decode(buf)))
        }
        Read::Chars(0) => Ok(Some(String::new())),
        Read::Chars(n) => {
            let mut buf = Vec::new();
            let mut chars = 0;
            while chars < *n {
                let mut byte = [0u8; 1];
                if input.read(&mut byte)? == 0 {
                    break;
                }
                buf.push(byte[0]);
                // A character ends at a byte that is not a UTF-8 continuation
                // of a still incomplete sequence.
                if enc == Enc::Latin1 || complete_utf8(&buf) {
                    chars += 1;
                }
            }
            if buf.is_empty() {
                return Ok(None);
            }
            Ok(Some(decode(buf)))
        }
    }
}

/// Does `buf` end at a character boundary (taking invalid bytes as one
/// character each)?
fn complete_utf8(buf: &[u8]) -> bool {
    let start = buf.iter().rposition(|b| b & 0xc0 != 0x80).unwrap_or(0);
    let need = match buf[start] {
        0x00..=0x7f => 1,
        0xc2..=0xdf => 2,
        0xe0..=0xef => 3,
        0xf0..=0xf4 => 4,
        _ => 1,
    };
    buf.len() - start >= need
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b(s: &str) -> Term {
        term::binary(s.as_bytes().to_vec())
    }

    #[test]
    fn chardata_in_both_encodings() {
        // {put_chars, latin1, <<"caf", 233>>} prints "café" on OTP 25's `user`.
        let latin1 = term::binary(vec![b'c', b'a', b'f', 233]);
        assert_eq!(
            chardata_to_utf8(&latin1, Enc::Latin1).as_deref(),
            Some("café")
        );
        // ... and {put_chars, unicode, <<"caf", 233>>} is {error, put_chars} there.
        assert_eq!(chardata_to_utf8(&latin1, Enc::Unicode), None);
        let mixed = term::list(vec![b("caf"), term::int(233), term::int(960)]);
        assert_eq!(
            chardata_to_utf8(&mixed, Enc::Unicode).as_deref(),
            Some("café\u{3c0}")
        );
        // {put_chars, latin1, [960]}: {error, put_chars}.
        assert_eq!(chardata_to_utf8(&mixed, Enc::Latin1), None);
        assert_eq!(
            chardata_to_utf8(&term::list(vec![term::int(-1)]), Enc::Unicode),
            None
        );
        assert_eq!(chardata_to_utf8(&term::atom("bad"), Enc::Unicode), None);
        let improper = Term::ImproperList(eetf::ImproperList::from((vec![term::int(97)], b("b"))));
        assert_eq!(
            chardata_to_utf8(&improper, Enc::Unicode).as_deref(),
            Some("ab")
        );
        let bad_tail = Term::ImproperList(eetf::ImproperList::from((
            vec![term::int(97)],
            term::int(98),
        )));
        assert_eq!(chardata_to_utf8(&bad_tail, Enc::Unicode), None);
    }

    #[test]
    fn reads_lines_and_chars() {
        let mut input = std::io::Cursor::new("ab\r\nπxy\nlast".as_bytes().to_vec());
        let line =
            |i: &mut std::io::Cursor<Vec<u8>>| read_input(i, &Read::Line, Enc::Unicode).unwrap();
        assert_eq!(line(&mut input).as_deref(), Some("ab\n"));
        assert_eq!(
            read_input(&mut input, &Read::Chars(2), Enc::Unicode)
                .unwrap()
                .as_deref(),
            Some("πx")
        );
        assert_eq!(line(&mut input).as_deref(), Some("y\n"));
        assert_eq!(line(&mut input).as_deref(), Some("last"));
        assert_eq!(line(&mut input), None);
        assert_eq!(
            read_input(&mut input, &Read::Chars(3), Enc::Unicode).unwrap(),
            None
        );
        let mut latin = std::io::Cursor::new(vec![0xcf, 0x80, b'\n']);
        assert_eq!(
            read_input(&mut latin, &Read::Chars(1), Enc::Latin1)
                .unwrap()
                .as_deref(),
            Some("\u{cf}")
        );
    }

    #[test]
    fn utf8_boundaries() {
        assert!(complete_utf8(b"a"));
        assert!(!complete_utf8(&[0xcf]));
        assert!(complete_utf8(&[0xcf, 0x80]));
        assert!(!complete_utf8(&[0xe2, 0x98]));
        assert!(complete_utf8(&[0xff]));
    }
}
