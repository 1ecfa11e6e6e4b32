//! Interop tests: Phoenix.PubSub (PG2 adapter) between two real Elixir nodes and ours: subscribe, every broadcast form, pool_size 2, a Rust subscriber that exits.
//!
//! hex is not reachable here, so the Elixir nodes run `pubsub_standin.exs`, a stand-in that
//! does on the wire what the PG2 adapter does.

mod common;

use common::*;
use eetf::{Pid, Term};
use erlnode::pubsub::{self, Options};
use erlnode::{Node, Process, term};
use std::time::Duration;

fn init_tracing() {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_test_writer()
        .try_init();
}

const PUBSUB: &str = "Elixir.MyApp.PubSub";

/// An Elixir node running the stand-in PubSub `MyApp.PubSub` with one
/// subscriber of "t" that prints `got <node> <message>` for each message.
fn beam(epmd: u16, pool_size: usize) -> (Proc, String) {
    let alive = unique("psbeam");
    let standin = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/interop-tests/pubsub_standin.exs"
    );
    let script = format!(
        r#"
        Code.require_file("{standin}")
        :ok = StandIn.PubSub.start(MyApp.PubSub, {pool_size})
        me = self()
        spawn(fn ->
          :ok = StandIn.PubSub.subscribe(MyApp.PubSub, "t")
          send(me, :subscribed)
          Stream.repeatedly(fn -> receive do m -> IO.puts("got #{{node()}} #{{inspect(m)}}") end end)
          |> Stream.run()
        end)
        receive do :subscribed -> :ok end
        IO.puts("ready")
        Process.sleep(:infinity)
        "#
    );
    (
        elixir("--sname", &alive, COOKIE, epmd, &script),
        sname(&alive),
    )
}

async fn rpc(node: &Node, on: &str, f: &str, args: Vec<Term>) -> Term {
    node.call(
        on,
        "Elixir.StandIn.PubSub",
        f,
        args,
        Duration::from_secs(10),
    )
    .await
    .unwrap_or_else(|e| panic!("StandIn.PubSub.{f} on {on}: {e}"))
}

async fn expect(p: &mut Process, want: &Term) {
    let got = p
        .receive_timeout(Duration::from_secs(30))
        .await
        .unwrap_or_else(|e| panic!("waiting for {want}: {e}"));
    assert_eq!(&got, want);
}

/// How many output lines of `p` are exactly `line`.
fn count(p: &Proc, line: &str) -> usize {
    p.out
        .lock()
        .unwrap()
        .iter()
        .filter(|l| l.trim() == line)
        .count()
}

async fn until(what: &str, mut f: impl FnMut() -> bool) {
    for _ in 0..300 {
        if f() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("timed out waiting until {what}");
}

async fn cluster(pool_size: usize) -> (Proc, String, Proc, String, Node, pubsub::PubSub) {
    init_tracing();
    let epmd = free_port();
    let (ea, a) = beam(epmd, pool_size);
    let (eb, b) = beam(epmd, pool_size);
    ea.wait_for("ready", 30).await;
    eb.wait_for("ready", 30).await;
    let node = lib_node(&unique("psrust"), epmd).await;
    node.connect(&a).await.unwrap();
    node.connect(&b).await.unwrap();
    let t = node
        .call(
            &a,
            "net_kernel",
            "connect_node",
            vec![term::atom(&b)],
            Duration::from_secs(10),
        )
        .await
        .unwrap();
    assert_eq!(t, term::atom("true"));
    let ps = pubsub::start_with(
        &node,
        "MyApp.PubSub",
        Options {
            pool_size,
            broadcast_pool_size: None,
        },
    )
    .await
    .unwrap();
    until("both BEAM PubSubs known", || ps.remote_nodes().len() == 2).await;
    (ea, a, eb, b, node, ps)
}

fn msg(tag: &str, n: i64) -> Term {
    term::tuple(vec![term::atom(tag), term::int(n)])
}

#[tokio::test(flavor = "multi_thread")]
async fn subscribe_and_every_broadcast_form() {
    if !have_elixir("subscribe_and_every_broadcast_form") {
        return;
    }
    let (ea, a, eb, b, node, ps) = cluster(1).await;
    let mut sub = node.process();
    ps.subscribe(sub.pid(), "t").unwrap();
    let mut other = node.process();
    ps.subscribe(other.pid(), "t").unwrap();

    // BEAM broadcasts from both nodes reach both Rust subscribers.
    for (on, n) in [(&a, 1), (&b, 2)] {
        rpc(
            &node,
            on,
            "broadcast",
            vec![term::atom(PUBSUB), term::binary("t"), msg("from_beam", n)],
        )
        .await;
        expect(&mut sub, &msg("from_beam", n)).await;
        expect(&mut other, &msg("from_beam", n)).await;
    }
    // A BEAM direct_broadcast to us.
    rpc(
        &node,
        &a,
        "direct_broadcast",
        vec![
            term::atom(node.name()),
            term::atom(PUBSUB),
            term::binary("t"),
            msg("direct_to_rust", 3),
        ],
    )
    .await;
    expect(&mut sub, &msg("direct_to_rust", 3)).await;
    expect(&mut other, &msg("direct_to_rust", 3)).await;

    // broadcast from Rust: both BEAM subscribers and ours.
    assert_eq!(ps.broadcast("t", msg("from_rust", 4)), 2);
    for (e, n) in [(&ea, &a), (&eb, &b)] {
        e.wait_for(&format!("got {n} {{:from_rust, 4}}"), 30).await;
    }
    expect(&mut sub, &msg("from_rust", 4)).await;
    expect(&mut other, &msg("from_rust", 4)).await;

    // broadcast_from: everyone but the sender.
    ps.broadcast_from(sub.pid(), "t", msg("from_sub", 5));
    for (e, n) in [(&ea, &a), (&eb, &b)] {
        e.wait_for(&format!("got {n} {{:from_sub, 5}}"), 30).await;
    }
    expect(&mut other, &msg("from_sub", 5)).await;

    // direct_broadcast to B only, local_broadcast to us only; then a marker
    // broadcast that, sent after them on the same connections, shows neither
    // reached the wrong node.
    ps.direct_broadcast(&b, "t", msg("direct", 6));
    ps.local_broadcast("t", msg("local", 7));
    ps.local_broadcast_from(sub.pid(), "t", msg("local_from", 8));
    expect(&mut sub, &msg("local", 7)).await;
    expect(&mut other, &msg("local", 7)).await;
    expect(&mut other, &msg("local_from", 8)).await;
    ps.broadcast("t", msg("marker", 9));
    for (e, n) in [(&ea, &a), (&eb, &b)] {
        e.wait_for(&format!("got {n} {{:marker, 9}}"), 30).await;
        assert_eq!(count(e, &format!("got {n} {{:local, 7}}")), 0);
    }
    assert_eq!(count(&eb, &format!("got {b} {{:direct, 6}}")), 1);
    assert_eq!(count(&ea, &format!("got {a} {{:direct, 6}}")), 0);
    expect(&mut sub, &msg("marker", 9)).await;
    expect(&mut other, &msg("marker", 9)).await;
    // Each BEAM message was printed once: no broadcast was delivered twice.
    for (e, n) in [(&ea, &a), (&eb, &b)] {
        assert_eq!(count(e, &format!("got {n} {{:from_rust, 4}}")), 1);
    }

    // A Rust subscriber that exits is dropped; the other still gets BEAM broadcasts.
    let gone = sub.pid().clone();
    drop(sub);
    until("the exited subscriber is dropped", || {
        !ps.subscribers("t").contains(&gone)
    })
    .await;
    assert_eq!(ps.subscribers("t"), vec![other.pid().clone()]);
    rpc(
        &node,
        &b,
        "broadcast",
        vec![term::atom(PUBSUB), term::binary("t"), msg("after_exit", 10)],
    )
    .await;
    expect(&mut other, &msg("after_exit", 10)).await;
    // Unsubscribed: nothing more arrives.
    ps.unsubscribe(other.pid(), "t");
    rpc(
        &node,
        &a,
        "broadcast",
        vec![
            term::atom(PUBSUB),
            term::binary("t"),
            msg("unsubscribed", 11),
        ],
    )
    .await;
    eb.wait_for("{:unsubscribed, 11}", 30).await;
    assert!(
        other
            .receive_timeout(Duration::from_millis(300))
            .await
            .is_err()
    );
    node.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn pool_size_two() {
    if !have_elixir("pool_size_two") {
        return;
    }
    let (ea, a, eb, b, node, ps) = cluster(2).await;
    assert_eq!(
        ps.groups(),
        vec![format!("{PUBSUB}.Adapter"), format!("{PUBSUB}.Adapter_2")]
    );
    // Our workers are members of both groups as A sees them.
    for g in ps.groups() {
        let t = node
            .call(
                &a,
                "pg",
                "get_members",
                vec![term::atom(pubsub::PG_SCOPE), term::atom(&g)],
                Duration::from_secs(10),
            )
            .await
            .unwrap();
        let members: Vec<Pid> = term::as_list(&t)
            .unwrap()
            .iter()
            .filter_map(term::as_pid)
            .cloned()
            .collect();
        assert!(
            members.iter().any(|p| p.node.name == node.name()),
            "{g}: {members:?}"
        );
    }
    let mut sub = node.process();
    ps.subscribe(sub.pid(), "t").unwrap();
    // Each rpc runs in a new process, so the stand-in's phash2(self()) picks
    // either group: all of them arrive, once each.
    for n in 0..20 {
        rpc(
            &node,
            &a,
            "broadcast",
            vec![term::atom(PUBSUB), term::binary("t"), msg("pooled", n)],
        )
        .await;
    }
    let mut got = Vec::new();
    for _ in 0..20 {
        got.push(sub.receive_timeout(Duration::from_secs(30)).await.unwrap());
    }
    for n in 0..20 {
        assert_eq!(got.iter().filter(|m| **m == msg("pooled", n)).count(), 1);
    }
    // Rust broadcasts from many senders (both groups): each BEAM subscriber gets each once.
    let senders: Vec<Process> = (0..8).map(|_| node.process()).collect();
    for (i, s) in senders.iter().enumerate() {
        ps.broadcast_from(s.pid(), "t", msg("rust_pooled", i as i64));
    }
    for i in 0..8 {
        for (e, n) in [(&ea, &a), (&eb, &b)] {
            let line = format!("got {n} {{:rust_pooled, {i}}}");
            e.wait_for(&line, 30).await;
        }
    }
    ps.broadcast("t", msg("end", 0));
    for (e, n) in [(&ea, &a), (&eb, &b)] {
        e.wait_for(&format!("got {n} {{:end, 0}}"), 30).await;
        for i in 0..8 {
            assert_eq!(count(e, &format!("got {n} {{:rust_pooled, {i}}}")), 1);
        }
    }
    node.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn cli_subscribe_broadcast_and_pg_members() {
    if !have_elixir("cli_subscribe_broadcast_and_pg_members") {
        return;
    }
    init_tracing();
    let epmd = free_port();
    let alive = unique("pscli");
    let standin = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/interop-tests/pubsub_standin.exs"
    );
    let script = format!(
        r#"
        Code.require_file("{standin}")
        :ok = StandIn.PubSub.start(MyApp.PubSub, 1)
        me = self()
        spawn(fn ->
          :ok = StandIn.PubSub.subscribe(MyApp.PubSub, "room:1")
          send(me, :subscribed)
          Stream.repeatedly(fn -> receive do m -> IO.puts("got #{{inspect(m)}}") end end)
          |> Stream.run()
        end)
        receive do :subscribed -> :ok end
        {{:ok, _}} = :pg.start(:pg)
        w = spawn(fn -> Process.sleep(:infinity) end)
        :ok = :pg.join(:pg, {{:workers, 1}}, [w, w])
        IO.puts("ready #{{inspect(w)}}")
        Process.sleep(:infinity)
        "#
    );
    let ex = elixir("--sname", &alive, COOKIE, epmd, &script);
    ex.wait_for("ready", 30).await;
    let a = sname(&alive);

    let mut sub = erlnode(
        &[
            "pubsub",
            "subscribe",
            "MyApp.PubSub",
            "room:1",
            "room:2",
            "--connect",
            &a,
            "--cookie",
            COOKIE,
        ],
        epmd,
    );
    sub.wait_for("subscribed to room:1, room:2", 30).await;

    // What a BEAM node broadcasts is printed, one message a line, in Elixir syntax.
    let node = lib_node(&unique("psdriver"), epmd).await;
    rpc(
        &node,
        &a,
        "broadcast",
        vec![
            term::atom(PUBSUB),
            term::binary("room:2"),
            term::tuple(vec![term::atom("from_beam"), term::binary("hi")]),
        ],
    )
    .await;
    sub.wait_for(r#"{:from_beam, "hi"}"#, 30).await;

    // A one-shot broadcast reaches the BEAM subscriber and the CLI subscriber.
    let mut b = erlnode(
        &[
            "pubsub",
            "broadcast",
            &a,
            "MyApp.PubSub",
            "room:1",
            r#"{:from_cli, [1, 2.5], %{"k" => :v}}"#,
            "--cookie",
            COOKIE,
        ],
        epmd,
    );
    assert!(b.finish(30).await, "broadcast failed:\n{}", b.output());
    ex.wait_for(r#"got {:from_cli, [1, 2.5], %{"k" => :v}}"#, 30)
        .await;
    sub.wait_for(r#"{:from_cli, [1, 2.5], %{"k" => :v}}"#, 30)
        .await;

    // An unreachable node: non-zero, with the reason.
    let mut bad = erlnode(
        &[
            "pubsub",
            "broadcast",
            &sname("nosuchnode"),
            "MyApp.PubSub",
            "room:1",
            ":x",
            "--cookie",
            COOKIE,
        ],
        epmd,
    );
    assert!(!bad.finish(30).await);
    assert!(bad.output().contains("cannot connect"), "{}", bad.output());

    // pg members: cluster-wide, one pid a line (the member joined twice is listed twice).
    let mut m = erlnode(
        &[
            "pg",
            "members",
            &a,
            "pg",
            "{:workers, 1}",
            "--cookie",
            COOKIE,
        ],
        epmd,
    );
    assert!(m.finish(30).await, "pg members failed:\n{}", m.output());
    let lines: Vec<String> = m
        .out
        .lock()
        .unwrap()
        .iter()
        .filter(|l| l.starts_with("#PID<"))
        .cloned()
        .collect();
    assert_eq!(lines.len(), 2, "{}", m.output());
    assert!(lines.iter().all(|l| l.ends_with(&a)), "{lines:?}");

    // Ctrl-C ends the subscriber cleanly.
    sub.signal("INT");
    assert!(sub.finish(30).await, "{}", sub.output());
    node.shutdown().await;
}

/// Typed messages: a struct broadcast from Rust arrives in Elixir as a map with
/// atom keys, and a map broadcast from Elixir reads back into the struct.
#[tokio::test(flavor = "multi_thread")]
async fn typed_messages_both_ways() {
    if !have_elixir("typed_messages_both_ways") {
        return;
    }
    #[derive(Debug, PartialEq, serde::Serialize, serde::Deserialize)]
    struct Chat {
        id: i64,
        body: String,
        tags: Vec<String>,
    }
    let (ea, a, eb, b, node, ps) = cluster(1).await;
    let mut sub = node.process();
    ps.subscribe(sub.pid(), "t").unwrap();
    let out = Chat {
        id: 7,
        body: "hello".into(),
        tags: vec!["a".into()],
    };
    assert_eq!(ps.broadcast_typed("t", &out).unwrap(), 2);
    // Map keys print in an order that differs between OTP releases.
    for (e, n) in [(&ea, &a), (&eb, &b)] {
        let line = e.wait_for(&format!("got {n} %{{"), 30).await;
        for part in ["id: 7", r#"body: "hello""#, r#"tags: ["a"]"#] {
            assert!(line.contains(part), "{line}");
        }
    }
    let _ = sub.receive_timeout(Duration::from_secs(30)).await.unwrap();
    // From Elixir: %{id: 8, body: "from beam", tags: []}.
    let m = Term::Map(eetf::Map {
        map: [
            (term::atom("id"), term::int(8)),
            (term::atom("body"), term::binary("from beam")),
            (term::atom("tags"), term::nil()),
        ]
        .into_iter()
        .collect(),
    });
    rpc(
        &node,
        &a,
        "broadcast",
        vec![term::atom(PUBSUB), term::binary("t"), m],
    )
    .await;
    let got = sub.receive_timeout(Duration::from_secs(30)).await.unwrap();
    let chat: Chat = erlnode::term::from_term(&got).unwrap();
    assert_eq!(
        chat,
        Chat {
            id: 8,
            body: "from beam".into(),
            tags: vec![]
        }
    );
    node.shutdown().await;
}
