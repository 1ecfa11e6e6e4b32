//! Hostile peers over loopback (with and without the cookie) while a real Elixir node keeps echoing through ours: the node, that connection and the node's memory stay unaffected.

mod common;

use common::*;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// A real Elixir node that connects to `target`, monitors it, and keeps sending
/// `{self(), i}` to its `echo` service, checking that each `i` comes back in order.
/// It prints `echoed=I` every 200 round trips and `NODEDOWN`/`ECHO LOST` if the
/// connection drops or a reply goes missing.
struct Echoer {
    ex: Proc,
    name: String,
}

impl Echoer {
    async fn start(target: &str, epmd: u16) -> Echoer {
        let alive = unique("echoer");
        let script = format!(
            r#"
            me = :"{target}"
            true = Node.connect(me)
            :erlang.monitor_node(me, true)
            IO.puts("connected")
            IO.puts("pid=#{{inspect(:erlang.term_to_binary(self()), limit: :infinity)}}")
            loop = fn loop, i ->
              send({{:echo, me}}, {{self(), i}})
              receive do
                ^i ->
                  if rem(i, 200) == 0, do: IO.puts("echoed=#{{i}}")
                  Process.sleep(1)
                  loop.(loop, i + 1)
                {{:nodedown, n}} ->
                  IO.puts("NODEDOWN #{{n}}")
                  System.halt(1)
                other ->
                  IO.puts("ECHO LOST: got #{{inspect other}} waiting for #{{i}}")
                  System.halt(1)
              after
                10_000 ->
                  IO.puts("ECHO LOST: #{{i}} never came back")
                  System.halt(1)
              end
            end
            loop.(loop, 1)
            "#
        );
        let ex = elixir("--sname", &alive, COOKIE, epmd, &script);
        ex.wait_for("echoed=", 30).await;
        Echoer {
            ex,
            name: sname(&alive),
        }
    }

    /// `term_to_binary(self())` of the echoing process, as that node printed it.
    fn pid_bytes(&self) -> Vec<u8> {
        let out = self.ex.output();
        let line = out
            .lines()
            .find_map(|l| l.strip_prefix("pid=<<"))
            .expect("the pid line");
        line.trim_end_matches(">>")
            .split(',')
            .map(|n| n.trim().parse().unwrap())
            .collect()
    }

    fn echoed(&self) -> usize {
        self.ex
            .out
            .lock()
            .unwrap()
            .iter()
            .filter(|l| l.starts_with("echoed="))
            .count()
    }

    /// Asserts that the node never went down for the Elixir node, and that echoes
    /// still come back now (two more reports).
    async fn still_echoing(&self) {
        let before = self.echoed();
        let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
        while self.echoed() < before + 2 {
            self.assert_never_down();
            assert!(
                tokio::time::Instant::now() < deadline,
                "echoes stopped:\n{}",
                self.ex.output()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        self.assert_never_down();
    }

    fn assert_never_down(&self) {
        let out = self.ex.output();
        assert!(
            !out.contains("NODEDOWN") && !out.contains("ECHO LOST"),
            "the Elixir node's connection was disturbed:\n{out}"
        );
    }
}

#[allow(dead_code)]
/// Resident memory of process `pid` (`self` for this one) in KiB.
fn rss_kib(pid: &str) -> u64 {
    let statm = std::fs::read_to_string(format!("/proc/{pid}/statm")).unwrap_or_default();
    let pages: u64 = statm
        .split_whitespace()
        .nth(1)
        .and_then(|p| p.parse().ok())
        .unwrap_or(0);
    pages * 4
}

/// A handshake packet: 2-byte length, then `body`.
fn packet(body: &[u8]) -> Vec<u8> {
    let mut out = (body.len() as u16).to_be_bytes().to_vec();
    out.extend_from_slice(body);
    out
}

/// A version-6 send_name for `name` with the flags of an OTP 25 node, and `extra`
/// bytes after the name (which OTP ignores).
fn send_name(name: &str, extra: &[u8]) -> Vec<u8> {
    let mut body = vec![b'N'];
    // DFLAG_* an OTP 25 node sends (captured: 0xd07df7fbd), with HANDSHAKE_23.
    body.extend_from_slice(&0x0000_000d_07df_7fbd_u64.to_be_bytes());
    body.extend_from_slice(&7u32.to_be_bytes());
    body.extend_from_slice(&(name.len() as u16).to_be_bytes());
    body.extend_from_slice(name.as_bytes());
    body.extend_from_slice(extra);
    packet(&body)
}

/// Reads one handshake packet body; None once the node closes the connection (or
/// after 10 s of silence, which fails the caller's expectations).
async fn read_packet(s: &mut TcpStream) -> Option<Vec<u8>> {
    tokio::time::timeout(Duration::from_secs(10), async {
        let mut len = [0u8; 2];
        s.read_exact(&mut len).await.ok()?;
        let mut body = vec![0u8; u16::from_be_bytes(len) as usize];
        s.read_exact(&mut body).await.ok()?;
        Some(body)
    })
    .await
    .ok()
    .flatten()
}

/// True once the node has closed `s` (within 10 s).
async fn closed(s: &mut TcpStream) -> bool {
    let mut rest = [0u8; 256];
    tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            match s.read(&mut rest).await {
                Ok(0) | Err(_) => return,
                Ok(_) => continue,
            }
        }
    })
    .await
    .is_ok()
}

/// The erlnode binary, with its echo service, on a private EPMD port.
async fn binary_node(epmd: u16) -> (Proc, String, u16) {
    let alive = unique("rust");
    let bin = erlnode(&["--sname", &alive, "--cookie", COOKIE], epmd);
    let line = bin.wait_for("is up (port ", 30).await;
    let port = line
        .split("(port ")
        .nth(1)
        .and_then(|r| r.split(')').next())
        .and_then(|p| p.parse().ok())
        .expect("port in the banner");
    (bin, sname(&alive), port)
}

/// The issue's first finding: send_name with a connected peer's name, `true` to the
/// `alive` status, and a wrong challenge reply (or none) used to make the node drop
/// the connection that was up before the cookie was checked.
#[tokio::test(flavor = "multi_thread")]
async fn a_peer_without_the_cookie_cannot_cut_off_a_connected_node() {
    if !have_elixir("a_peer_without_the_cookie_cannot_cut_off_a_connected_node") {
        return;
    }
    let epmd = free_port();
    let (bin, me, port) = binary_node(epmd).await;
    let echo = Echoer::start(&me, epmd).await;
    for attempt in 0..40 {
        let mut s = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
        s.write_all(&send_name(&echo.name, b"")).await.unwrap();
        assert_eq!(read_packet(&mut s).await.as_deref(), Some(&b"salive"[..]));
        s.write_all(&packet(b"strue")).await.unwrap();
        let challenge = read_packet(&mut s).await.expect("a challenge");
        assert_eq!(challenge.first(), Some(&b'N'));
        if attempt % 4 == 3 {
            // Some attempts just hang up instead of answering.
            drop(s);
            continue;
        }
        let mut reply = vec![b'r'];
        reply.extend_from_slice(&[0, 0, 0, 1]);
        reply.extend_from_slice(&[0x55; 16]);
        s.write_all(&packet(&reply)).await.unwrap();
        assert!(
            closed(&mut s).await,
            "a wrong digest left the connection open"
        );
    }
    echo.still_echoing().await;
    let log = bin.output();
    assert!(
        !log.contains(&format!("node down: {}", echo.name)),
        "the node dropped the Elixir node:\n{log}"
    );
    // Each refusal says once what was wrong, naming the peer.
    let line = bin
        .wait_for(
            &format!("connection attempt from node {} rejected", echo.name),
            5,
        )
        .await;
    assert!(line.contains("invalid challenge reply"), "{line}");
    assert_eq!(line.matches("rejected").count(), 1, "{line}");
}

/// A peer that announces our own node name gets `nok` (as from OTP 25) and is closed.
#[tokio::test(flavor = "multi_thread")]
async fn a_peer_using_our_own_name_gets_nok() {
    if !have_elixir("a_peer_using_our_own_name_gets_nok") {
        return;
    }
    let epmd = free_port();
    let (bin, me, port) = binary_node(epmd).await;
    let echo = Echoer::start(&me, epmd).await;
    let mut s = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
    s.write_all(&send_name(&me, b"")).await.unwrap();
    assert_eq!(read_packet(&mut s).await.as_deref(), Some(&b"snok"[..]));
    assert!(closed(&mut s).await);
    bin.wait_for("uses our own node name", 10).await;
    echo.still_echoing().await;
}

/// send_name with bytes after the name completes the handshake (OTP ignores them);
/// a name with a newline is refused and logged escaped, on one line.
#[tokio::test(flavor = "multi_thread")]
async fn send_name_extra_bytes_are_ignored_and_names_are_logged_escaped() {
    if !have_elixir("send_name_extra_bytes_are_ignored_and_names_are_logged_escaped") {
        return;
    }
    let epmd = free_port();
    let (bin, me, port) = binary_node(epmd).await;
    let echo = Echoer::start(&me, epmd).await;

    // With the cookie and trailing bytes: the whole handshake.
    let peer = sname(&unique("extra"));
    let mut s = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
    s.write_all(&send_name(&peer, b"\x00future extension"))
        .await
        .unwrap();
    assert_eq!(read_packet(&mut s).await.as_deref(), Some(&b"sok"[..]));
    let ch = read_packet(&mut s).await.expect("challenge");
    assert_eq!(ch[0], b'N');
    let challenge = u32::from_be_bytes([ch[9], ch[10], ch[11], ch[12]]);
    let mut reply = vec![b'r'];
    reply.extend_from_slice(&7u32.to_be_bytes());
    reply.extend_from_slice(&erlnode::proto::digest::digest(
        challenge,
        COOKIE.as_bytes(),
    ));
    s.write_all(&packet(&reply)).await.unwrap();
    let ack = read_packet(&mut s).await.expect("challenge ack");
    assert_eq!(ack[0], b'a');
    assert_eq!(
        &ack[1..],
        erlnode::proto::digest::digest(7, COOKIE.as_bytes())
    );
    bin.wait_for(&format!("node up: {peer}"), 10).await;

    // A name with a newline that would forge a log line.
    let forged = format!("x\nERROR forged line@{}", short_host());
    let mut s = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
    s.write_all(&send_name(&forged, b"")).await.unwrap();
    assert!(closed(&mut s).await);
    let line = bin.wait_for("forged line", 10).await;
    assert!(line.contains(r"x\nERROR forged line"), "{line}");
    assert!(
        !bin.output()
            .lines()
            .any(|l| l.trim_start().starts_with("ERROR forged")),
        "a forged log line:\n{}",
        bin.output()
    );
    echo.still_echoing().await;
}

/// A frame whose payload (not its control tuple) is bad is reported as such.
#[tokio::test(flavor = "multi_thread")]
async fn a_bad_payload_is_logged_as_a_bad_payload() {
    if !have_elixir("a_bad_payload_is_logged_as_a_bad_payload") {
        return;
    }
    let epmd = free_port();
    let (bin, me, port) = binary_node(epmd).await;
    let echo = Echoer::start(&me, epmd).await;
    let (mut s, _) = authenticated(port, &me).await;
    // {6, From, :"", :echo} as OTP 25 encodes a REG_SEND control (term_to_binary),
    // then a payload that is an atom cache reference.
    let mut frame = vec![112];
    frame.extend_from_slice(&reg_send_control_to_echo());
    frame.extend_from_slice(&[131, 82, 0]);
    let mut framed = (frame.len() as u32).to_be_bytes().to_vec();
    framed.extend_from_slice(&frame);
    s.write_all(&framed).await.unwrap();
    assert!(closed(&mut s).await);
    let line = bin.wait_for("undecodable message", 10).await;
    assert!(line.contains("bad message payload"), "{line}");
    assert!(!line.contains("bad control term"), "{line}");
    echo.still_echoing().await;
}

/// `{6, #PID<0.80.0> on :"evil@h" (creation 7), :"", :echo}` as OTP 25's
/// `term_to_binary` writes it:
/// `:erlang.term_to_binary({6, :erlang.list_to_pid(...), :"", :echo})` on a node
/// named evil@h gives these bytes (NEW_PID_EXT with SMALL_ATOM_UTF8_EXT node).
fn reg_send_control_to_echo() -> Vec<u8> {
    let mut t = vec![131, 104, 4, 97, 6];
    t.extend_from_slice(&[88, 119, 6]);
    t.extend_from_slice(b"evil@h");
    t.extend_from_slice(&[0, 0, 0, 80, 0, 0, 0, 0, 0, 0, 0, 7]);
    t.extend_from_slice(&[119, 0]);
    t.extend_from_slice(&[119, 4]);
    t.extend_from_slice(b"echo");
    t
}

/// A connection that has completed the handshake with the cookie, as node `name`.
pub async fn authenticated_as(port: u16, target: &str, name: &str) -> TcpStream {
    use erlnode::proto::flags::DistFlags;
    use erlnode::proto::framing::check_packet2;
    use erlnode::proto::handshake::{HandshakeConfig, Initiator, Step};
    let mut s = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
    let cfg = HandshakeConfig {
        node_name: name.to_owned(),
        flags: DistFlags::ours(true),
        creation: 7,
        cookie: COOKIE.as_bytes().to_vec(),
    };
    let mut ini = Initiator::new(cfg, target.to_owned(), 42);
    s.write_all(&ini.start().unwrap()).await.unwrap();
    let mut buf = Vec::new();
    loop {
        let mut chunk = [0u8; 512];
        let n = s.read(&mut chunk).await.unwrap();
        assert!(n > 0, "closed during handshake");
        buf.extend_from_slice(&chunk[..n]);
        while let Some(f) = check_packet2(&buf).unwrap() {
            let p = buf[f.body.clone()].to_vec();
            buf.drain(..f.consumed);
            match ini.handle(&p).unwrap() {
                Step::Send(b) => s.write_all(&b).await.unwrap(),
                Step::Done(..) => return s,
            }
        }
    }
}

/// [`authenticated_as`] a fresh name; returns the stream and that name.
pub async fn authenticated(port: u16, target: &str) -> (TcpStream, String) {
    let name = sname(&unique("evil"));
    (authenticated_as(port, target, &name).await, name)
}

/// `#{#{a=>1,b=>2} => x, #{b=>2,a=>1} => y}` spliced from OTP 25's `term_to_binary` of
/// its parts (see the etf unit tests): OTP's `binary_to_term` refuses it.
const DUP_MAP_KEYS: &[u8] = &[
    131, 116, 0, 0, 0, 2, 116, 0, 0, 0, 2, 100, 0, 1, 97, 97, 1, 100, 0, 1, 98, 97, 2, 100, 0, 1,
    120, 116, 0, 0, 0, 2, 100, 0, 1, 98, 97, 2, 100, 0, 1, 97, 97, 1, 100, 0, 1, 121,
];

/// A REG_SEND to `echo` from `evil@h` with `payload` (131 first), as a framed message.
fn to_echo(payload: &[u8]) -> Vec<u8> {
    let mut frame = vec![112];
    frame.extend_from_slice(&reg_send_control_to_echo());
    frame.extend_from_slice(payload);
    let mut framed = (frame.len() as u32).to_be_bytes().to_vec();
    framed.extend_from_slice(&frame);
    framed
}

/// A map with two equal map keys (entries in different orders) sent to `echo` with the
/// Elixir node's pid as the reply address: were it accepted, echo would relay a term
/// that node's `binary_to_term` refuses ("corrupted external term"), and it would drop
/// its connection to us. Refused every time, the connection that sent it is closed.
#[tokio::test(flavor = "multi_thread")]
async fn maps_with_equal_keys_are_never_relayed() {
    if !have_elixir("maps_with_equal_keys_are_never_relayed") {
        return;
    }
    let epmd = free_port();
    let (bin, me, port) = binary_node(epmd).await;
    let echo = Echoer::start(&me, epmd).await;
    let pid = echo.pid_bytes();
    // {BeamPid, DupMap}
    let mut payload = vec![131, 104, 2];
    payload.extend_from_slice(&pid[1..]);
    payload.extend_from_slice(&DUP_MAP_KEYS[1..]);
    for _ in 0..30 {
        let (mut s, _) = authenticated(port, &me).await;
        s.write_all(&to_echo(&payload)).await.unwrap();
        assert!(closed(&mut s).await, "a duplicate-key map was let through");
    }
    echo.still_echoing().await;
    assert!(!bin.output().contains(&format!("node down: {}", echo.name)));
}
