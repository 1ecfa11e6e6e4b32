//! Interop tests for the connected-phase wire format against real Elixir: distribution headers with the atom cache, and fragmented messages both ways.

mod common;

use common::*;
use erlnode::{NodeEvent, term};
use std::time::Duration;

/// A Rust process registered as `sink` that reports what it receives on a channel.
fn sink(node: &erlnode::Node) -> tokio::sync::mpsc::UnboundedReceiver<eetf::Term> {
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    let pid = node.spawn(|mut p| async move {
        while let Ok(m) = p.receive().await {
            if tx.send(m).is_err() {
                break;
            }
        }
        term::atom("normal")
    });
    node.register("sink", &pid).unwrap();
    rx
}

/// What the Elixir side sends: a map of ten atom keys twice (the second time its
/// atoms go as bare cache slots), a 4 MB binary (sent in 64 KiB fragments), then `done`.
fn beam_sender_script(rust: &str) -> String {
    format!(
        r#"
        rust = :"{rust}"
        true = Node.connect(rust)
        m = Map.new(~w(k0 k1 k2 k3 k4 k5 k6 k7 k8 k9)a, fn k -> {{k, :v}} end)
        send({{:sink, rust}}, m)
        send({{:sink, rust}}, m)
        send({{:sink, rust}}, {{:big, :binary.copy(<<1, 2, 3, 4>>, 1_000_000)}})
        send({{:sink, rust}}, :done)
        Process.sleep(2000)
        "#
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn beam_messages_with_cached_atoms_and_fragments_arrive_whole() {
    if !have_elixir("beam_messages_with_cached_atoms_and_fragments_arrive_whole") {
        return;
    }
    let epmd = free_port();
    let node = lib_node(&unique("rust"), epmd).await;
    let mut rx = sink(&node);
    let script = beam_sender_script(node.name());
    let mut ex = elixir("--sname", &unique("snd"), COOKIE, epmd, &script);
    let mut got = Vec::new();
    while got.len() < 4 {
        match tokio::time::timeout(Duration::from_secs(30), rx.recv()).await {
            Ok(Some(m)) => got.push(m),
            other => panic!("only {} messages: {other:?}\n{}", got.len(), ex.output()),
        }
    }
    let map = eetf::Term::from(eetf::Map::from(
        (0..10)
            .map(|i| (term::atom(&format!("k{i}")), term::atom("v")))
            .collect::<std::collections::HashMap<_, _>>(),
    ));
    assert_eq!(got[0], map);
    assert_eq!(got[1], map);
    assert_eq!(
        got[2],
        term::tuple(vec![
            term::atom("big"),
            term::binary([1u8, 2, 3, 4].repeat(1_000_000))
        ])
    );
    assert!(term::is_atom(&got[3], "done"));
    assert!(ex.finish(30).await, "{}", ex.output());
    node.shutdown().await;
}

/// Fragments are held against the node's reassembly limit: a peer whose message
/// would take more is disconnected, and the node goes on.
#[tokio::test(flavor = "multi_thread")]
async fn fragments_past_the_reassembly_limit_drop_the_peer() {
    if !have_elixir("fragments_past_the_reassembly_limit_drop_the_peer") {
        return;
    }
    let epmd = free_port();
    let node = erlnode::Node::builder(sname(&unique("rust")))
        .cookie(COOKIE)
        .epmd_port(epmd)
        .max_reassembly(1024 * 1024)
        .start()
        .await
        .unwrap();
    let mut events = node.subscribe();
    let mut rx = sink(&node);
    let script = beam_sender_script(node.name());
    let mut ex = elixir("--sname", &unique("snd"), COOKIE, epmd, &script);
    let reason = loop {
        match tokio::time::timeout(Duration::from_secs(30), events.recv()).await {
            Ok(Ok(NodeEvent::Down { reason, .. })) => break reason,
            Ok(Ok(_)) => continue,
            other => panic!("the peer never went down: {other:?}\n{}", ex.output()),
        }
    };
    assert!(reason.contains("fragmented"), "{reason}");
    // The two maps came before the large message; nothing after it did.
    let mut got = Vec::new();
    while let Ok(m) = rx.try_recv() {
        got.push(m);
    }
    assert_eq!(got.len(), 2, "{got:?}");
    ex.kill();
    // The node goes on: a new connection works.
    let mut ping = elixir(
        "--sname",
        &unique("png"),
        COOKIE,
        epmd,
        &format!(r#"IO.puts(Node.ping(:"{}"))"#, node.name()),
    );
    assert!(ping.finish(30).await, "{}", ping.output());
    assert!(ping.output().contains("pong"), "{}", ping.output());
    node.shutdown().await;
}

/// A large message from one Rust process goes out in fragments: another process's
/// message sent after it arrives first, while the sender's own next message still
/// comes after it (each sender's order is kept).
#[tokio::test(flavor = "multi_thread")]
async fn a_large_send_does_not_hold_back_other_processes() {
    if !have_elixir("a_large_send_does_not_hold_back_other_processes") {
        return;
    }
    let epmd = free_port();
    let node = lib_node(&unique("rust"), epmd).await;
    let mut rx = sink(&node);
    let script = format!(
        r#"
        rust = :"{rust}"
        true = Node.connect(rust)
        send({{:sink, rust}}, self())
        tags = for _ <- 1..3 do
          receive do
            {{:big, b}} -> "big:#{{byte_size(b)}}"
            other -> inspect(other)
          after 60_000 -> "timeout"
          end
        end
        IO.puts("ORDER " <> Enum.join(tags, " "))
        "#,
        rust = node.name()
    );
    let mut ex = elixir("--sname", &unique("rcv"), COOKIE, epmd, &script);
    let collector = match tokio::time::timeout(Duration::from_secs(30), rx.recv()).await {
        Ok(Some(eetf::Term::Pid(p))) => p,
        other => panic!("no pid from elixir: {other:?}\n{}", ex.output()),
    };
    let big = term::tuple(vec![term::atom("big"), term::binary(vec![9u8; 32 << 20])]);
    let a = node.process();
    let b = node.process();
    a.send_ref(&collector, &big);
    b.send(&collector, term::atom("small"));
    a.send(&collector, term::atom("after"));
    assert!(ex.finish(90).await, "{}", ex.output());
    let out = ex.output();
    assert!(
        out.contains(&format!("ORDER :small big:{} :after", 32 << 20)),
        "{out}"
    );
    node.shutdown().await;
}

/// Our messages carry a distribution header with atom cache references as BEAM's do:
/// after the first message, repeated atoms (map keys, node names) go as one-byte
/// references, and BEAM decodes them to the same terms.
#[tokio::test(flavor = "multi_thread")]
async fn our_repeated_atoms_go_as_cache_references() {
    if !have_elixir("our_repeated_atoms_go_as_cache_references") {
        return;
    }
    const N: usize = 200;
    let epmd = free_port();
    let node = lib_node(&unique("rust"), epmd).await;
    let mut rx = sink(&node);
    let script = format!(
        r#"
        rust = :"{rust}"
        true = Node.connect(rust)
        expected = Map.new(0..9, fn i -> {{String.to_atom("a_rather_long_key_name_#{{i}}"), :a_rather_long_value}} end)
        send({{:sink, rust}}, self())
        ok = Enum.count(1..{N}, fn _ ->
          receive do
            ^expected -> true
            other -> IO.puts("MISMATCH #{{inspect(other)}}"); false
          after 30_000 -> false
          end
        end)
        IO.puts("OK #{{ok}}")
        "#,
        rust = node.name()
    );
    let mut ex = elixir("--sname", &unique("rcv"), COOKIE, epmd, &script);
    let collector = match tokio::time::timeout(Duration::from_secs(30), rx.recv()).await {
        Ok(Some(eetf::Term::Pid(p))) => p,
        other => panic!("no pid from elixir: {other:?}\n{}", ex.output()),
    };
    let map = eetf::Term::from(eetf::Map::from(
        (0..10)
            .map(|i| {
                (
                    term::atom(&format!("a_rather_long_key_name_{i}")),
                    term::atom("a_rather_long_value"),
                )
            })
            .collect::<std::collections::HashMap<_, _>>(),
    ));
    // The payload alone, atoms in full, as a message without the cache carries it.
    let plain = erlnode::proto::etf::to_vec(&map).unwrap().len() as u64;
    let p = node.process();
    p.send_ref(&collector, &map);
    tokio::time::sleep(Duration::from_millis(200)).await;
    let before = node.io_stats().bytes_out;
    for _ in 1..N {
        p.send_ref(&collector, &map);
    }
    assert!(ex.finish(60).await, "{}", ex.output());
    assert!(ex.output().contains(&format!("OK {N}")), "{}", ex.output());
    let per_msg = (node.io_stats().bytes_out - before) / (N as u64 - 1);
    assert!(
        per_msg < plain / 2,
        "{per_msg} bytes per message, the payload alone is {plain} with its atoms in full"
    );
    node.shutdown().await;
}
