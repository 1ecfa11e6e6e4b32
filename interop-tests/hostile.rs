//! Hostile peers over loopback (with and without the cookie) while a real Elixir node keeps echoing through ours: the node, that connection and the node's memory stay unaffected.

mod common;

use common::*;
use erlnode::proto::dist_header::header_by_hand;
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

// ---------------------------------------------------------------------------------
// Memory bounded by what a peer sends (docs/limits.md)
// ---------------------------------------------------------------------------------

/// A library node with `echo`, and a real Elixir node echoing through it.
async fn lib_node_with_echoer(b: erlnode::NodeBuilder, epmd: u16) -> (erlnode::Node, Echoer) {
    let node = b.cookie(COOKIE).epmd_port(epmd).start().await.unwrap();
    start_echo(&node);
    let echo = Echoer::start(node.name(), epmd).await;
    (node, echo)
}

/// One framed distribution message.
fn frame(ctl: &erlnode::proto::control::Control, payload: Option<&eetf::Term>) -> Vec<u8> {
    let mut out = Vec::new();
    erlnode::proto::control::encode_frame(ctl, payload, &mut out).unwrap();
    out
}

/// `term_to_binary(T, [compressed])` of the Erlang expression `expr`, from a real OTP.
async fn otp_compressed(expr: &str) -> Vec<u8> {
    let out = tokio::process::Command::new("erl")
        .args(["-noshell", "-eval"])
        .arg(format!(
            "io:format(\"~w\", [binary_to_list(term_to_binary({expr}, [compressed]))]), halt()."
        ))
        .output()
        .await
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    text.trim()
        .trim_start_matches('[')
        .trim_end_matches(']')
        .split(',')
        .map(|n| n.trim().parse().unwrap())
        .collect()
}

/// Writes `bytes` in the background: the node may close the connection before it
/// has read them all.
fn write_all_bg(mut s: TcpStream, bytes: Vec<u8>) -> tokio::task::JoinHandle<TcpStream> {
    tokio::spawn(async move {
        let _ = s.write_all(&bytes).await;
        s
    })
}

/// Waits (up to 20 s) until `f` holds.
async fn eventually(what: &str, mut f: impl FnMut() -> bool) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while !f() {
        assert!(tokio::time::Instant::now() < deadline, "never: {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// LINK and MONITOR_P from pids of a node that never connects used to be kept
/// forever (+118 MB for 1M links); as in OTP, they close the connection. What a
/// peer sets up with its own pids goes when its connection goes.
#[tokio::test(flavor = "multi_thread")]
async fn signals_from_other_nodes_pids_close_the_connection_and_nothing_outlives_it() {
    if !have_elixir("signals_from_other_nodes_pids_close_the_connection_and_nothing_outlives_it") {
        return;
    }
    use erlnode::proto::control::{Control, PidOrName};
    let epmd = free_port();
    let (node, echo) =
        lib_node_with_echoer(erlnode::Node::builder(sname(&unique("rust"))), epmd).await;
    let target = node.whereis("echo").unwrap();
    let ghost = format!("ghost@{}", short_host());
    let rss_before = rss_kib("self");
    for kind in 0..2 {
        let (s, _) = authenticated(node.port(), node.name()).await;
        let mut bytes = Vec::new();
        for i in 0..100_000u32 {
            let from = eetf::Pid::new(ghost.as_str(), i, 0, 1);
            let ctl = if kind == 0 {
                Control::Link {
                    from,
                    to: target.clone(),
                }
            } else {
                Control::MonitorP {
                    from,
                    to: PidOrName::Pid(target.clone()),
                    reference: node.make_ref(),
                }
            };
            bytes.extend_from_slice(&frame(&ctl, None));
        }
        let mut s = write_all_bg(s, bytes).await.unwrap();
        assert!(
            closed(&mut s).await,
            "a signal from another node's pid was accepted"
        );
        assert_eq!(node.ties_with(&ghost), 0);
    }
    let grown = rss_kib("self").saturating_sub(rss_before);
    assert!(grown < 40 * 1024, "the node grew by {grown} KiB");

    // With its own pids a peer may link and monitor; all of it goes with it.
    let (s, evil) = authenticated(node.port(), node.name()).await;
    let mut bytes = Vec::new();
    for i in 0..20_000u32 {
        let from = eetf::Pid::new(evil.as_str(), i, 0, 7);
        bytes.extend_from_slice(&frame(
            &Control::MonitorP {
                from,
                to: PidOrName::Pid(target.clone()),
                reference: node.make_ref(),
            },
            None,
        ));
    }
    let s = write_all_bg(s, bytes).await.unwrap();
    eventually("20000 monitors set up", || node.ties_with(&evil) == 20_000).await;
    drop(s);
    eventually("the monitors gone with the connection", || {
        node.ties_with(&evil) == 0
    })
    .await;
    echo.still_echoing().await;
    node.shutdown().await;
}

/// A compressed payload may inflate to 16 bytes per byte received and build one term
/// per byte received: 3.9 KB standing for a 4 MB binary, or 16 KB for 8M integers, close
/// the connection instead of growing the node (seven 65 KB frames grew it by 650 MB).
#[tokio::test(flavor = "multi_thread")]
async fn compressed_payloads_are_bounded_by_the_bytes_received() {
    if !have_elixir("compressed_payloads_are_bounded_by_the_bytes_received") {
        return;
    }
    use erlnode::proto::control::Control;
    let epmd = free_port();
    let (node, echo) =
        lib_node_with_echoer(erlnode::Node::builder(sname(&unique("rust"))), epmd).await;
    // A process that never reads: whatever reaches it stays.
    let mut sink = node.process();
    sink.register("sink").unwrap();
    let bin = otp_compressed("binary:copy(<<7>>, 4000000)").await;
    let ints = otp_compressed("lists:duplicate(8000000, 1)").await;
    assert!(
        bin.len() < 5000 && ints.len() < 20_000,
        "{} {}",
        bin.len(),
        ints.len()
    );
    let rss_before = rss_kib("self");
    for payload in [&bin, &ints] {
        let (s, evil) = authenticated(node.port(), node.name()).await;
        let ctl = Control::RegSend {
            from: eetf::Pid::new(evil.as_str(), 1, 0, 7),
            to: eetf::Atom::from("sink"),
        };
        let mut f = frame(&ctl, Some(&eetf::Term::from(eetf::Atom::from("x"))));
        // Swap the payload `x` (131, 119, 1, 'x') for OTP's compressed bytes.
        f.truncate(f.len() - 4);
        f.extend_from_slice(payload);
        let len = (f.len() - 4) as u32;
        f[..4].copy_from_slice(&len.to_be_bytes());
        let mut bytes = Vec::new();
        for _ in 0..50 {
            bytes.extend_from_slice(&f);
        }
        let mut s = write_all_bg(s, bytes).await.unwrap();
        assert!(closed(&mut s).await, "a compressed bomb was accepted");
    }
    assert_eq!(
        sink.receive_timeout(Duration::from_millis(500)).await,
        Err(erlnode::ReceiveError::Timeout)
    );
    let grown = rss_kib("self").saturating_sub(rss_before);
    assert!(grown < 40 * 1024, "the node grew by {grown} KiB");
    echo.still_echoing().await;
    node.shutdown().await;
}

/// Peers announcing large messages and sending them slowly hold no more than
/// max_incoming_buffered together; one announcing more than max_frame is closed.
#[tokio::test(flavor = "multi_thread")]
async fn partly_received_messages_are_bounded_across_connections() {
    if !have_elixir("partly_received_messages_are_bounded_across_connections") {
        return;
    }
    let epmd = free_port();
    let limit = 4 * 1024 * 1024;
    let b = erlnode::Node::builder(sname(&unique("rust")))
        .max_frame(8 * 1024 * 1024)
        .max_incoming_buffered(limit);
    let (node, echo) = lib_node_with_echoer(b, epmd).await;
    // Over max_frame: closed at once.
    let (mut s, _) = authenticated(node.port(), node.name()).await;
    s.write_all(&(9u32 * 1024 * 1024).to_be_bytes())
        .await
        .unwrap();
    assert!(closed(&mut s).await, "a frame over max_frame was accepted");
    // Six peers each sending 3 MB of a 7 MB message: they cannot all be held.
    let mut peers = Vec::new();
    for _ in 0..6 {
        let (s, _) = authenticated(node.port(), node.name()).await;
        let mut bytes = (7u32 * 1024 * 1024).to_be_bytes().to_vec();
        bytes.extend_from_slice(&[112]);
        bytes.resize(3 * 1024 * 1024, 0);
        peers.push(write_all_bg(s, bytes));
    }
    let mut streams = Vec::new();
    for p in peers {
        streams.push(p.await.unwrap());
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(
        node.incoming_buffered() <= limit,
        "{}",
        node.incoming_buffered()
    );
    let mut closed_count = 0;
    for s in &mut streams {
        let mut b = [0u8; 1];
        if let Ok(Ok(0) | Err(_)) =
            tokio::time::timeout(Duration::from_millis(200), s.read(&mut b)).await
        {
            closed_count += 1;
        }
    }
    assert!(closed_count >= 3, "only {closed_count} of 6 closed");
    drop(streams);
    eventually("nothing buffered once they are gone", || {
        node.incoming_buffered() == 0
    })
    .await;
    echo.still_echoing().await;
    node.shutdown().await;
}

/// Processes spawned for a peer that name a group leader which never answers I/O
/// (here `echo`) used to wait forever to print their crash report (+105 MB for 20k):
/// the report now times out and they end.
#[tokio::test(flavor = "multi_thread")]
async fn spawned_processes_do_not_wait_forever_on_a_silent_group_leader() {
    if !have_elixir("spawned_processes_do_not_wait_forever_on_a_silent_group_leader") {
        return;
    }
    use erlnode::proto::control::Control;
    let epmd = free_port();
    let (node, echo) =
        lib_node_with_echoer(erlnode::Node::builder(sname(&unique("rust"))), epmd).await;
    let baseline = node.process_count();
    let gl = node.whereis("echo").unwrap();
    let (s, evil) = authenticated(node.port(), node.name()).await;
    let mut bytes = Vec::new();
    for i in 0..2000u32 {
        let ctl = Control::SpawnRequest {
            req_id: node.make_ref(),
            from: eetf::Pid::new(evil.as_str(), i, 0, 7),
            group_leader: gl.clone(),
            module: eetf::Atom::from("no_such_module"),
            function: eetf::Atom::from("crash"),
            arity: 0,
            options: eetf::Term::from(eetf::List::nil()),
        };
        bytes.extend_from_slice(&frame(&ctl, Some(&eetf::Term::from(eetf::List::nil()))));
    }
    let _s = write_all_bg(s, bytes).await.unwrap();
    eventually("the spawned processes started", || {
        node.process_count() > baseline + 100
    })
    .await;
    eventually("the spawned processes ended", || {
        node.process_count() <= baseline + 1
    })
    .await;
    echo.still_echoing().await;
    node.shutdown().await;
}

/// The `Down` event of `peer`, whose reason names what closed it (within 20 s).
async fn down_reason(
    events: &mut tokio::sync::broadcast::Receiver<erlnode::NodeEvent>,
    peer: &str,
) -> String {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        let left = deadline.saturating_duration_since(tokio::time::Instant::now());
        match tokio::time::timeout(left, events.recv()).await {
            Ok(Ok(erlnode::NodeEvent::Down { node, reason })) if node == peer => return reason,
            Ok(Ok(_)) | Ok(Err(tokio::sync::broadcast::error::RecvError::Lagged(_))) => {}
            other => panic!("no node down for {peer}: {other:?}"),
        }
    }
}

/// A peer (with the cookie) making the node hold links and monitors for its pids
/// without end: one pid past max_signals_per_remote_pid (monitors by pid and by name, a
/// link, a spawn_request with `monitor`), or many pids together past
/// max_signals_per_peer, is disconnected, naming the limit; everything it set up goes
/// with it (also what it sent after the frame that went over), and the Elixir node's
/// connection is untouched.
#[tokio::test(flavor = "multi_thread")]
async fn links_and_monitors_per_remote_pid_and_per_peer_are_limited() {
    if !have_elixir("links_and_monitors_per_remote_pid_and_per_peer_are_limited") {
        return;
    }
    use erlnode::proto::control::{Control, PidOrName};
    let epmd = free_port();
    let b = erlnode::Node::builder(sname(&unique("rust")))
        .max_signals_per_remote_pid(1000)
        .max_signals_per_peer(5000);
    let (node, echo) = lib_node_with_echoer(b, epmd).await;
    let target = node.whereis("echo").unwrap();
    let mut events = node.subscribe();
    let monitor = |from: &eetf::Pid, to: PidOrName| {
        frame(
            &Control::MonitorP {
                from: from.clone(),
                to,
                reference: node.make_ref(),
            },
            None,
        )
    };
    for kind in ["by pid", "by name", "link", "spawn", "many pids"] {
        let (s, evil) = authenticated(node.port(), node.name()).await;
        let one = eetf::Pid::new(evil.as_str(), 1, 0, 7);
        let other = eetf::Pid::new(evil.as_str(), 2, 0, 7);
        let mut bytes = Vec::new();
        if kind == "many pids" {
            // 900 each (under the per-pid limit) from 6 pids: 5400 in all.
            for i in 0..5400u32 {
                let from = eetf::Pid::new(evil.as_str(), 100 + i / 900, 0, 7);
                bytes.extend_from_slice(&monitor(&from, PidOrName::Pid(target.clone())));
            }
        } else {
            // 1000 (the limit) from one pid, half of them by name.
            for i in 0..1000 {
                let to = if i % 2 == 0 {
                    PidOrName::Pid(target.clone())
                } else {
                    PidOrName::Name(eetf::Atom::from("echo"))
                };
                bytes.extend_from_slice(&monitor(&one, to));
            }
            // Then the one too many.
            let over = match kind {
                "by pid" => monitor(&one, PidOrName::Pid(target.clone())),
                "by name" => monitor(&one, PidOrName::Name(eetf::Atom::from("echo"))),
                "link" => frame(
                    &Control::Link {
                        from: one.clone(),
                        to: target.clone(),
                    },
                    None,
                ),
                _ => frame(
                    &Control::SpawnRequest {
                        req_id: node.make_ref(),
                        from: one.clone(),
                        group_leader: target.clone(),
                        module: eetf::Atom::from("erlang"),
                        function: eetf::Atom::from("self"),
                        arity: 0,
                        options: eetf::Term::from(eetf::List::from(vec![eetf::Term::from(
                            eetf::Atom::from("monitor"),
                        )])),
                    },
                    Some(&eetf::Term::from(eetf::List::nil())),
                ),
            };
            bytes.extend_from_slice(&over);
        }
        // What follows the frame that went over is not applied either.
        for _ in 0..500 {
            bytes.extend_from_slice(&monitor(&other, PidOrName::Pid(target.clone())));
        }
        let mut s = write_all_bg(s, bytes).await.unwrap();
        assert!(closed(&mut s).await, "{kind}: the connection stayed open");
        let reason = down_reason(&mut events, &evil).await;
        let limit = if kind == "many pids" {
            "limit max_signals_per_peer"
        } else {
            "limit max_signals_per_remote_pid"
        };
        assert!(reason.starts_with(limit), "{kind}: {reason}");
        eventually("nothing held for the peer once it is gone", || {
            node.ties_with(&evil) == 0
        })
        .await;
        assert!(node.connected_nodes().iter().all(|n| *n != evil), "{kind}");
    }
    echo.still_echoing().await;
    node.shutdown().await;
}

/// `NEW_PID_EXT` of pid `<id>` on node `node` (creation 7).
fn pid_ext(node: &str, id: u32) -> Vec<u8> {
    let mut t = vec![88, 119, node.len() as u8];
    t.extend_from_slice(node.as_bytes());
    t.extend_from_slice(&id.to_be_bytes());
    t.extend_from_slice(&[0, 0, 0, 0, 0, 0, 0, 7]);
    t
}

/// `{6, From, '', To}` (REG_SEND) without version byte, as after a distribution header.
fn bare_reg_send(from_node: &str, to: &str) -> Vec<u8> {
    let mut t = vec![104, 4, 97, 6];
    t.extend(pid_ext(from_node, 1));
    t.extend_from_slice(&[119, 0, 119, to.len() as u8]);
    t.extend_from_slice(to.as_bytes());
    t
}

/// `LIST_EXT` of the atom cache references `indices`, then `[]`.
fn list_of_refs(indices: impl ExactSizeIterator<Item = u8>) -> Vec<u8> {
    let mut t = vec![108];
    t.extend((indices.len() as u32).to_be_bytes());
    for i in indices {
        t.extend([82, i]);
    }
    t.push(106);
    t
}

/// A frame: 4-byte length, then `parts`.
fn framed(parts: &[&[u8]]) -> Vec<u8> {
    let body = parts.concat();
    let mut out = (body.len() as u32).to_be_bytes().to_vec();
    out.extend(body);
    out
}

/// The longest atom: 255 characters of 4 bytes (1020 bytes), one per `seed`.
fn longest_atom(seed: u32) -> String {
    let c = char::from_u32(0x1F300 + seed).unwrap();
    std::iter::repeat_n(c, 255).collect()
}

/// Messages through the atom cache to a process that never reads, whose headers
/// reference 255 cached atoms of 1020 bytes: each used to keep a copy of all 255 (890
/// KB of them held 512 MiB); now each holds a pointer per reference, and the node grows
/// by at most 64 times what was sent. A payload of references standing for more atom
/// text than 64 bytes per byte of its message is refused, naming the limit, whether it
/// would wait unbuilt (16 KB) or be built at once. The Elixir node echoes throughout.
#[tokio::test(flavor = "multi_thread")]
async fn cached_atoms_are_shared_by_waiting_messages_and_bounded_when_built() {
    if !have_elixir("cached_atoms_are_shared_by_waiting_messages_and_bounded_when_built") {
        return;
    }
    let epmd = free_port();
    let (node, echo) =
        lib_node_with_echoer(erlnode::Node::builder(sname(&unique("rust"))), epmd).await;
    let mut sink = node.process();
    sink.register("sink").unwrap();
    let mut events = node.subscribe();
    let texts: Vec<String> = (0..255).map(longest_atom).collect();
    let rss_before = rss_kib("self");

    let (s, evil) = authenticated(node.port(), node.name()).await;
    let to_sink = bare_reg_send(&evil, "sink");
    // One frame caching the 255 atoms, then 2000 small messages (22-byte payloads,
    // kept unbuilt) whose headers reference all 255 and whose payloads name the last.
    let new: Vec<(u16, Option<&str>)> = (0..255)
        .map(|i| (i as u16, Some(texts[i].as_str())))
        .collect();
    let mut bytes = framed(&[&header_by_hand(&new), &to_sink, &list_of_refs(0..8)]);
    let old: Vec<(u16, Option<&str>)> = (0..255).map(|i| (i as u16, None)).collect();
    let small = framed(&[
        &header_by_hand(&old),
        &to_sink,
        &list_of_refs([254, 0, 1, 2, 3, 4, 5, 6].into_iter()),
    ]);
    for _ in 0..2000 {
        bytes.extend_from_slice(&small);
    }
    // Then `{EvilPid, marker}` to echo, which comes back once all before it is delivered.
    let marker = "all_sink_messages_delivered";
    let mut payload = vec![104, 2];
    payload.extend(pid_ext(&evil, 2));
    payload.extend_from_slice(&[119, marker.len() as u8]);
    payload.extend_from_slice(marker.as_bytes());
    bytes.extend(framed(&[
        &header_by_hand(&[]),
        &bare_reg_send(&evil, "echo"),
        &payload,
    ]));
    let sent = bytes.len() as u64;
    let mut s = write_all_bg(s, bytes).await.unwrap();
    let mut seen = Vec::new();
    tokio::time::timeout(Duration::from_secs(60), async {
        while !seen.windows(marker.len()).any(|w| w == marker.as_bytes()) {
            let mut chunk = [0u8; 4096];
            let n = s.read(&mut chunk).await.unwrap();
            assert!(n > 0, "the node closed the connection");
            seen.extend_from_slice(&chunk[..n]);
        }
    })
    .await
    .expect("echo's reply to the marker");
    let grown = rss_kib("self").saturating_sub(rss_before);
    let allowance = 32 * 1024;
    assert!(
        grown <= 64 * sent / 1024 + allowance,
        "the node grew by {grown} KiB for {sent} bytes sent"
    );
    // What waits in the mailbox is the atoms themselves.
    let got = sink.receive_timeout(Duration::from_secs(5)).await.unwrap();
    let first: Vec<eetf::Term> = texts[..8]
        .iter()
        .map(|t| eetf::Term::from(eetf::Atom::from(t.as_str())))
        .collect();
    assert_eq!(got, eetf::Term::from(eetf::List::from(first)));
    drop(s);

    // 8000 and 9000 references to a 1020-byte atom: 8 MB and 9 MB of atom text from
    // 16 KB and 18 KB messages.
    for n in [8000, 9000] {
        let (s, evil) = authenticated(node.port(), node.name()).await;
        let long = longest_atom(0);
        let bytes = framed(&[
            &header_by_hand(&[(0, Some(long.as_str()))]),
            &bare_reg_send(&evil, "sink"),
            &list_of_refs(std::iter::repeat_n(0, n)),
        ]);
        let mut s = write_all_bg(s, bytes).await.unwrap();
        assert!(closed(&mut s).await, "{n} references were accepted");
        let reason = down_reason(&mut events, &evil).await;
        assert!(
            reason.contains("atom text copied from atom cache references too large"),
            "{n}: {reason}"
        );
    }
    echo.still_echoing().await;
    node.shutdown().await;
}
