//! Interop tests for the foundation: real Elixir nodes connect to, ping, and are dialled by our node; hidden mode; cookies; ticks; node-down.

mod common;

use common::*;
use std::time::Duration;

/// A real Elixir node connects to ours, lists visible and hidden nodes, and pings.
/// Returns what it printed and our node's name.
async fn connect_list_and_ping(hidden: bool) -> Option<(String, String)> {
    if !have_elixir(&format!("connect_list_and_ping(hidden: {hidden})")) {
        return None;
    }
    let epmd = free_port();
    let node = erlnode::Node::builder(sname(&unique("rust")))
        .cookie(COOKIE)
        .hidden(hidden)
        .epmd_port(epmd)
        .start()
        .await
        .unwrap();
    let me = node.name().to_owned();
    let script = format!(
        r#"
        IO.puts("connect=#{{Node.connect(:"{me}")}}")
        IO.puts("list=#{{inspect Node.list()}}")
        IO.puts("hidden=#{{inspect Node.list(:hidden)}}")
        IO.puts("ping=#{{Node.ping(:"{me}")}}")
        "#
    );
    let mut ex = elixir("--sname", &unique("one"), COOKIE, epmd, &script);
    assert!(ex.finish(30).await, "elixir failed:\n{}", ex.output());
    node.shutdown().await;
    Some((ex.output(), me))
}

#[tokio::test(flavor = "multi_thread")]
async fn iex_connects_sees_us_in_node_list_and_pings() {
    let Some((out, me)) = connect_list_and_ping(false).await else {
        return;
    };
    assert!(out.contains("connect=true"), "{out}");
    assert!(out.contains(&format!("list=[:{me}]")), "{out}");
    assert!(out.contains("hidden=[]"), "{out}");
    assert!(out.contains("ping=pong"), "{out}");
}

#[tokio::test(flavor = "multi_thread")]
async fn hidden_node_shows_only_in_hidden_list() {
    let Some((out, me)) = connect_list_and_ping(true).await else {
        return;
    };
    assert!(out.contains("connect=true"), "{out}");
    assert!(out.contains("list=[]"), "{out}");
    assert!(out.contains(&format!("hidden=[:{me}]")), "{out}");
    assert!(out.contains("ping=pong"), "{out}");
}

#[tokio::test(flavor = "multi_thread")]
async fn we_dial_a_running_iex_and_it_sees_nodeup() {
    if !have_elixir("we_dial_a_running_iex_and_it_sees_nodeup") {
        return;
    }
    let epmd = free_port();
    let node = lib_node(&unique("rust"), epmd).await;
    let peer_alive = unique("one");
    let script = r#"
        :net_kernel.monitor_nodes(true)
        IO.puts("ready")
        receive do
          {:nodeup, n} -> IO.puts("nodeup=#{n} list=#{inspect Node.list()}")
        after 20_000 -> IO.puts("no nodeup")
        end
    "#;
    let mut ex = elixir("--sname", &peer_alive, COOKIE, epmd, script);
    ex.wait_for("ready", 30).await;
    node.connect(&sname(&peer_alive)).await.expect("connects");
    assert_eq!(node.nodes(), vec![sname(&peer_alive)]);
    assert!(ex.finish(30).await);
    let out = ex.output();
    assert!(out.contains(&format!("nodeup={}", node.name())), "{out}");
    node.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn long_names_with_ip_addresses() {
    if !have_elixir("long_names_with_ip_addresses") {
        return;
    }
    let epmd = free_port();
    let node = erlnode::Node::builder(format!("{}@127.0.0.1", unique("rust")))
        .cookie(COOKIE)
        .epmd_port(epmd)
        .start()
        .await
        .unwrap();
    let me = node.name().to_owned();
    let script = format!(
        r#"
        IO.puts("connect=#{{Node.connect(:"{me}")}}")
        IO.puts("ping=#{{Node.ping(:"{me}")}} list=#{{inspect Node.list()}}")
        "#
    );
    let mut ex = elixir(
        "--name",
        &format!("{}@127.0.0.1", unique("one")),
        COOKIE,
        epmd,
        &script,
    );
    assert!(ex.finish(30).await, "{}", ex.output());
    let out = ex.output();
    assert!(out.contains("connect=true"), "{out}");
    assert!(
        out.contains(&format!("ping=pong list=[:\"{me}\"]")),
        "{out}"
    );
    node.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn binary_answers_ping_and_pings_back() {
    if !have_elixir("binary_answers_ping_and_pings_back") {
        return;
    }
    let epmd = free_port();
    let rust = unique("rust");
    let mut bin = erlnode(&["--sname", &rust, "--cookie", COOKIE], epmd);
    bin.wait_for("is up", 30).await;
    let peer = unique("one");
    let script = format!(
        r#"
        IO.puts("ping=#{{Node.ping(:"{}")}}")
        Process.sleep(30_000)
        "#,
        sname(&rust)
    );
    let mut ex = elixir("--sname", &peer, COOKIE, epmd, &script);
    ex.wait_for("ping=pong", 30).await;
    // And the other way: `erlnode ping` from a second (hidden) binary node.
    let mut ping = erlnode(&["ping", &sname(&peer), "--cookie", COOKIE], epmd);
    assert!(ping.finish(30).await, "{}", ping.output());
    assert!(ping.output().contains("pong"));
    let mut pang = erlnode(
        &[
            "ping",
            &sname("nobody"),
            "--cookie",
            COOKIE,
            "--timeout",
            "5",
        ],
        epmd,
    );
    assert!(!pang.finish(30).await);
    assert!(pang.output().contains("pang"));
    ex.kill();
    bin.kill();
}

#[tokio::test(flavor = "multi_thread")]
async fn wrong_cookie_is_refused_both_ways_without_leaking_it() {
    if !have_elixir("wrong_cookie_is_refused_both_ways_without_leaking_it") {
        return;
    }
    let epmd = free_port();
    let rust = unique("rust");
    let mut bin = erlnode(&["--sname", &rust, "--cookie", "right_cookie_xyz"], epmd);
    bin.wait_for("is up", 30).await;
    let peer = unique("one");
    let script = format!(
        r#"
        IO.puts("connect=#{{Node.connect(:"{}")}}")
        IO.puts("ready")
        Process.sleep(30_000)
        "#,
        sname(&rust)
    );
    let mut ex = elixir("--sname", &peer, "wrong_cookie_abc", epmd, &script);
    ex.wait_for("connect=false", 30).await;
    // The accepting side names the node it refused, and why.
    let line = bin
        .wait_for(
            &format!("connection attempt from node {} rejected", sname(&peer)),
            10,
        )
        .await;
    assert!(line.contains("cookie"), "{line}");
    // The initiating side: our binary dialling with the wrong cookie gets pang and a clear error.
    let mut ping = erlnode(
        &["ping", &sname(&peer), "--cookie", "right_cookie_xyz"],
        epmd,
    );
    assert!(!ping.finish(30).await);
    let out = ping.output();
    assert!(out.contains("pang"), "{out}");
    assert!(out.contains("did not accept our cookie"), "{out}");
    for text in [bin.output(), out] {
        assert!(!text.contains("right_cookie_xyz") && !text.contains("wrong_cookie_abc"));
    }
    ex.kill();
    bin.kill();
}

#[tokio::test(flavor = "multi_thread")]
async fn killing_the_iex_node_is_logged_as_node_down() {
    if !have_elixir("killing_the_iex_node_is_logged_as_node_down") {
        return;
    }
    let epmd = free_port();
    let rust = unique("rust");
    let mut bin = erlnode(&["--sname", &rust, "--cookie", COOKIE], epmd);
    bin.wait_for("is up", 30).await;
    let peer = unique("one");
    let script = format!(
        r#"
        IO.puts("connect=#{{Node.connect(:"{}")}}")
        Process.sleep(60_000)
        "#,
        sname(&rust)
    );
    let ex = elixir("--sname", &peer, COOKIE, epmd, &script);
    ex.wait_for("connect=true", 30).await;
    bin.wait_for(&format!("node up: {}", sname(&peer)), 10)
        .await;
    ex.signal("KILL");
    bin.wait_for(&format!("node down: {}", sname(&peer)), 20)
        .await;
    bin.kill();
}

#[tokio::test(flavor = "multi_thread")]
async fn ticks_keep_an_idle_connection_up_and_a_frozen_peer_is_dropped() {
    if !have_elixir("ticks_keep_an_idle_connection_up_and_a_frozen_peer_is_dropped") {
        return;
    }
    let epmd = free_port();
    let rust = unique("rust");
    // A 4 s ticktime on both sides: each side ticks every second when idle.
    let mut bin = erlnode(
        &["--sname", &rust, "--cookie", COOKIE, "--net-ticktime", "4"],
        epmd,
    );
    bin.wait_for("is up", 30).await;
    let peer = unique("one");
    let script = format!(
        r#"
        :net_kernel.monitor_nodes(true)
        IO.puts("connect=#{{Node.connect(:"{rust}")}}")
        receive do
          {{:nodedown, n}} -> IO.puts("nodedown=#{{n}}")
        after 12_000 -> IO.puts("still=#{{inspect Node.list()}}")
        end
        Process.sleep(60_000)
        "#,
        rust = sname(&rust)
    );
    let mut ex = elixir_with(
        "--sname",
        &peer,
        COOKIE,
        epmd,
        &script,
        &["-kernel net_ticktime 4"],
    );
    ex.wait_for("connect=true", 30).await;
    // Idle for three ticktimes: our ticks must keep the peer from dropping us.
    let line = ex.wait_for("still=", 30).await;
    assert!(line.contains(&sname(&rust)), "{line}");
    assert!(!bin.output().contains("node down"));
    // Freeze the peer: nothing arrives any more, so we declare it down.
    ex.signal("STOP");
    let down = bin
        .wait_for(&format!("node down: {}", sname(&peer)), 20)
        .await;
    assert!(down.contains("net_tick_timeout"), "{down}");
    ex.signal("CONT");
    ex.kill();
    bin.kill();
}

/// A connection to `node` that has completed a real handshake with our own
/// initiator, from a made-up node, ready for hostile frames.
async fn evil_peer(node: &erlnode::Node) -> tokio::net::TcpStream {
    use erlnode::proto::flags::DistFlags;
    use erlnode::proto::framing::check_packet2;
    use erlnode::proto::handshake::{HandshakeConfig, Initiator, Step};
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    let mut s = tokio::net::TcpStream::connect(("127.0.0.1", node.port()))
        .await
        .unwrap();
    let cfg = HandshakeConfig {
        node_name: sname(&unique("evil")),
        flags: DistFlags::ours(true),
        creation: 1,
        cookie: COOKIE.as_bytes().to_vec(),
    };
    let mut ini = Initiator::new(cfg, node.name().to_owned(), 42);
    s.write_all(&ini.start().unwrap()).await.unwrap();
    let mut buf = Vec::new();
    loop {
        let mut chunk = [0u8; 512];
        let n = s.read(&mut chunk).await.unwrap();
        assert!(n > 0, "closed during handshake");
        buf.extend_from_slice(&chunk[..n]);
        while let Some(f) = check_packet2(&buf).unwrap() {
            let packet = buf[f.body.clone()].to_vec();
            buf.drain(..f.consumed);
            match ini.handle(&packet).unwrap() {
                Step::Send(b) => s.write_all(&b).await.unwrap(),
                Step::Done(..) => return s,
            }
        }
    }
}

/// A real Elixir node, started afresh, pings `node` and gets `pong`.
async fn a_real_node_pings(node: &erlnode::Node, epmd: u16) {
    let me = node.name().to_owned();
    let script = format!(r#"IO.puts("ping=#{{Node.ping(:"{me}")}}")"#);
    let mut ex = elixir("--sname", &unique("one"), COOKIE, epmd, &script);
    assert!(ex.finish(30).await);
    assert!(ex.output().contains("ping=pong"), "{}", ex.output());
}

/// Reads and discards until the other end closes `s`; false if it is still open after 10 s.
async fn closed_within_10s(s: &mut tokio::net::TcpStream) -> bool {
    use tokio::io::AsyncReadExt;
    let mut rest = [0u8; 64];
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

#[tokio::test(flavor = "multi_thread")]
async fn a_garbage_speaking_peer_is_dropped_and_the_node_goes_on() {
    if !have_elixir("a_garbage_speaking_peer_is_dropped_and_the_node_goes_on") {
        return;
    }
    use tokio::io::AsyncWriteExt;

    let epmd = free_port();
    let node = lib_node(&unique("rust"), epmd).await;
    // Complete a real handshake with our own initiator, then send hostile frames.
    for garbage in [
        &[0u8, 0, 0, 3, 112, 131, 82][..],               // atom cache ref
        &[0, 0, 0, 4, 112, 131, 68, 0][..],              // distribution header
        &[0, 0, 0, 6, 112, 131, 108, 255, 255, 255][..], // truncated huge list
        &[0xff, 0xff, 0xff, 0xff][..],                   // 4 GiB frame
        &[0, 0, 0, 2, 9, 9][..],                         // not 'p'
    ] {
        let mut s = evil_peer(&node).await;
        s.write_all(garbage).await.unwrap();
        // The node closes this connection...
        assert!(
            closed_within_10s(&mut s).await,
            "connection not closed after {garbage:?}"
        );
    }
    // A map with a duplicate key passes the reader's check (only building sees it),
    // so the receiving process finds it: the message is dropped and the connection
    // it came on is closed all the same.
    let mut sink = node.process();
    sink.register("sink").unwrap();
    let mut s = evil_peer(&node).await;
    let ctl = erlnode::proto::control::Control::RegSend {
        from: sink.pid().clone(),
        to: eetf::Atom::from("sink"),
    };
    let mut frame = Vec::new();
    erlnode::proto::control::encode_frame(
        &ctl,
        Some(&eetf::Term::from(eetf::Atom::from("x"))),
        &mut frame,
    )
    .unwrap();
    // Swap the payload `x` (131, 119, 1, 'x') for #{1 => 2, 1 => 3, <<"paddings">> => 0}.
    frame.truncate(frame.len() - 4);
    frame.extend_from_slice(&[
        131, 116, 0, 0, 0, 3, 97, 1, 97, 2, 97, 1, 97, 3, 109, 0, 0, 0, 8, b'p', b'a', b'd', b'd',
        b'i', b'n', b'g', b's', 97, 0,
    ]);
    let len = (frame.len() - 4) as u32;
    frame[..4].copy_from_slice(&len.to_be_bytes());
    s.write_all(&frame).await.unwrap();
    assert_eq!(
        sink.receive_timeout(Duration::from_secs(2)).await,
        Err(erlnode::ReceiveError::Timeout)
    );
    assert!(
        closed_within_10s(&mut s).await,
        "connection not closed after a duplicate-key map"
    );
    node.send(sink.pid(), eetf::Term::from(eetf::Atom::from("after")));
    assert_eq!(
        sink.receive_timeout(Duration::from_secs(5)).await,
        Ok(eetf::Term::from(eetf::Atom::from("after")))
    );
    // ...and still serves a real node.
    a_real_node_pings(&node, epmd).await;
    node.shutdown().await;
}

/// A peer that completes the handshake and then never reads: what we send it piles
/// up until the queue's limit, then the connection is closed and the peer goes down.
#[tokio::test(flavor = "multi_thread")]
async fn a_peer_that_never_reads_is_dropped_at_the_send_queue_limit() {
    if !have_elixir("a_peer_that_never_reads_is_dropped_at_the_send_queue_limit") {
        return;
    }
    use erlnode::NodeEvent;
    let epmd = free_port();
    let node = erlnode::Node::builder(sname(&unique("rust")))
        .cookie(COOKIE)
        .epmd_port(epmd)
        .max_send_queue(1024 * 1024)
        .start()
        .await
        .unwrap();
    let mut events = node.subscribe();
    let mut s = evil_peer(&node).await;
    let evil = match tokio::time::timeout(Duration::from_secs(5), events.recv()).await {
        Ok(Ok(NodeEvent::Up { node, .. })) => node,
        other => panic!("no node-up for the peer: {other:?}"),
    };
    let to = eetf::Pid::new(evil.as_str(), 1, 0, 1);
    let chunk = eetf::Term::from(eetf::Binary::from(vec![7u8; 64 * 1024]));
    // 64 MiB at most: far past the 1 MiB limit and what the kernel's buffers hold.
    let mut down = None;
    for _ in 0..1024 {
        node.send_ref(&to, &chunk);
        if let Ok(NodeEvent::Down { node: n, reason }) = events.try_recv() {
            down = Some((n, reason));
            break;
        }
        tokio::task::yield_now().await;
    }
    let (n, reason) = match down {
        Some(d) => d,
        None => match tokio::time::timeout(Duration::from_secs(10), events.recv()).await {
            Ok(Ok(NodeEvent::Down { node, reason })) => (node, reason),
            other => panic!("the peer never went down: {other:?}"),
        },
    };
    assert_eq!(n, evil);
    assert!(reason.contains("outgoing queue over its limit"), "{reason}");
    assert!(!node.nodes().contains(&evil));
    assert!(
        closed_within_10s(&mut s).await,
        "connection not closed at the limit"
    );
    // The node goes on.
    a_real_node_pings(&node, epmd).await;
    node.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_silent_peer_is_dropped_after_the_handshake_timeout() {
    if !have_elixir("a_silent_peer_is_dropped_after_the_handshake_timeout") {
        return;
    }
    use tokio::io::AsyncReadExt;
    let epmd = free_port();
    let node = erlnode::Node::builder(sname(&unique("rust")))
        .cookie(COOKIE)
        .epmd_port(epmd)
        .handshake_timeout(Duration::from_secs(1))
        .start()
        .await
        .unwrap();
    let mut silent = tokio::net::TcpStream::connect(("127.0.0.1", node.port()))
        .await
        .unwrap();
    let mut buf = [0u8; 16];
    let closed = tokio::time::timeout(Duration::from_secs(10), silent.read(&mut buf)).await;
    assert!(matches!(closed, Ok(Ok(0)) | Ok(Err(_))), "{closed:?}");
    // The node still serves real peers.
    a_real_node_pings(&node, epmd).await;
    node.shutdown().await;
}

/// A native record (OTP 29's `RECORD_EXT`) cannot be carried by our terms. OTP 29 sends it
/// even to a peer without `NATIVE_RECORDS` (OTP 25 and 27 then log a corrupted external term
/// and close the connection); we close the connection too, with a log saying why, and the
/// node goes on: the peer reconnects and echoes work again.
#[tokio::test(flavor = "multi_thread")]
async fn a_native_record_closes_the_connection_as_otp_27_does_and_the_node_goes_on() {
    if !have_elixir("a_native_record_closes_the_connection_as_otp_27_does_and_the_node_goes_on") {
        return;
    }
    let epmd = free_port();
    let node = lib_node(&unique("rust"), epmd).await;
    start_echo(&node);
    let me = node.name().to_owned();
    let script = format!(
        r#"
        rust = :"{me}"
        true = Node.connect(rust)
        :net_kernel.monitor_nodes(true)
        echo = fn tag ->
          send({{:echo, rust}}, {{self(), tag}})
          receive do ^tag -> "ok" after 5000 -> "none" end
        end
        IO.puts("before=#{{echo.(:before)}}")
        if String.to_integer(List.to_string(:erlang.system_info(:otp_release))) >= 29 do
          r = :records.create(:test, :a, [x: 1], %{{is_exported: true}})
          send({{:echo, rust}}, {{self(), r}})
          receive do
            {{:nodedown, ^rust}} -> IO.puts("record=nodedown")
            other -> IO.puts("record=#{{inspect other}}")
          after 5000 -> IO.puts("record=no answer")
          end
        else
          IO.puts("record=no native records before OTP 29")
        end
        IO.puts("ping=#{{Node.ping(rust)}}")
        IO.puts("after=#{{echo.(:after)}}")
        "#
    );
    let mut ex = elixir("--sname", &unique("rec"), COOKIE, epmd, &script);
    assert!(ex.finish(60).await, "{}", ex.output());
    let out = ex.output();
    assert!(out.contains("before=ok"), "{out}");
    assert!(
        out.contains("record=nodedown") || out.contains("record=no native records before OTP 29"),
        "{out}"
    );
    assert!(out.contains("ping=pong"), "{out}");
    assert!(out.contains("after=ok"), "{out}");
    node.shutdown().await;
}
