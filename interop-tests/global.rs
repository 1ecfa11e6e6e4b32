//! Interop tests: :global names across real Elixir nodes and ours (sync, register both ways, names dying with processes and nodes, clashes, hidden mode, bad peers).

mod common;

use common::*;
use eetf::{Pid, Term};
use erlnode::global;
use erlnode::term;
use erlnode::{Node, Process};
use std::time::Duration;

fn init_tracing() {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_test_writer()
        .try_init();
}

/// A Rust process that lives until killed or sent `stop`.
fn idle_process(node: &Node) -> Pid {
    node.spawn(|mut p| async move {
        loop {
            match p.receive().await {
                Ok(m) if term::is_atom(&m, "stop") => break,
                Ok(_) => {}
                Err(_) => break,
            }
        }
        term::atom("normal")
    })
}

/// A mailbox registered locally as `rust_inbox`, for Elixir to send pids to.
fn inbox(node: &Node) -> Process {
    let p = node.process();
    p.register("rust_inbox").unwrap();
    p
}

/// Waits for `{tag, Value}` in `p`'s mailbox.
async fn expect(p: &mut Process, tag: &str) -> Term {
    let m = p
        .receive_match_timeout(
            |m| matches!(term::as_tuple(m), Some([t, _]) if term::is_atom(t, tag)),
            Duration::from_secs(30),
        )
        .await
        .unwrap_or_else(|e| panic!("no {tag} message: {e}"));
    term::as_tuple(&m).unwrap()[1].clone()
}

/// Sends `msg` to the process registered as `ctl` on `to`.
async fn to_ctl(node: &Node, to: &str, msg: Term) {
    let p = node.process();
    p.send_named_remote(to, "ctl", msg).await.unwrap();
    // Keep the sender alive a moment: nothing depends on it, but a clean order helps logs.
    tokio::time::sleep(Duration::from_millis(20)).await;
}

async fn until(what: &str, mut f: impl FnMut() -> bool) {
    for _ in 0..200 {
        if f() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("timed out waiting until {what}");
}

/// Elixir helpers every script starts with.
const PRELUDE: &str = r#"
  wait_until = fn f ->
    Enum.find_value(1..200, false, fn _ -> if f.(), do: true, else: (Process.sleep(50); nil) end)
  end
  Process.register(self(), :ctl)
"#;

#[tokio::test(flavor = "multi_thread")]
async fn sync_returns_promptly_with_the_rust_node_connected() {
    if !have_elixir("sync_returns_promptly_with_the_rust_node_connected") {
        return;
    }
    init_tracing();
    let epmd = free_port();
    let node = lib_node(&unique("rust"), epmd).await;
    let me = node.name().to_owned();
    let script = format!(
        r#"
        true = Node.connect(:"{me}")
        t0 = System.monotonic_time(:millisecond)
        :ok = :global.sync()
        IO.puts("synced_ms=#{{System.monotonic_time(:millisecond) - t0}}")
        IO.puts("names=#{{inspect :global.registered_names()}}")
        "#
    );
    let mut ex = elixir("--sname", &unique("one"), COOKIE, epmd, &script);
    assert!(ex.finish(30).await, "elixir failed:\n{}", ex.output());
    let out = ex.output();
    let line = ex.wait_for("synced_ms=", 1).await;
    let ms: u64 = line
        .trim()
        .trim_start_matches("synced_ms=")
        .parse()
        .unwrap();
    eprintln!("global:sync() took {ms} ms");
    // The issue's bar: with the Rust node connected, sync returns in under a second.
    assert!(ms < 1000, "{out}");
    assert!(out.contains("names=[]"), "{out}");
    tokio::time::timeout(Duration::from_secs(5), global::sync(&node))
        .await
        .expect("our sync returns")
        .unwrap();
    node.shutdown().await;
}

/// Two BEAM nodes already synced with each other, then both meet the Rust node.
#[tokio::test(flavor = "multi_thread")]
async fn sync_with_two_beam_nodes_and_us() {
    if !have_elixir("sync_with_two_beam_nodes_and_us") {
        return;
    }
    init_tracing();
    let epmd = free_port();
    let node = lib_node(&unique("rust"), epmd).await;
    let me = node.name().to_owned();
    let b = sname(&unique("two"));
    let mut exb = elixir(
        "--sname",
        b.split('@').next().unwrap(),
        COOKIE,
        epmd,
        &format!(
            r#"{PRELUDE}
            :yes = :global.register_name(:from_b, self())
            IO.puts("b ready")
            receive do :stop -> :ok after 60_000 -> :ok end
            "#
        ),
    );
    exb.wait_for("b ready", 30).await;
    let script = format!(
        r#"{PRELUDE}
        true = Node.connect(:"{b}")
        :ok = :global.sync()
        true = Node.connect(:"{me}")
        t0 = System.monotonic_time(:millisecond)
        :ok = :global.sync()
        IO.puts("synced_ms=#{{System.monotonic_time(:millisecond) - t0}}")
        IO.puts("nodes=#{{length(Node.list())}}")
        :ok = :rpc.call(:"{b}", :global, :sync, [])
        IO.puts("b synced")
        receive do :done -> :ok after 30_000 -> :ok end
        send({{:ctl, :"{b}"}}, :stop)
        "#
    );
    let a_alive = unique("one");
    let mut ex = elixir("--sname", &a_alive, COOKIE, epmd, &script);
    ex.wait_for("b synced", 30).await;
    let out = ex.output();
    let line = ex.wait_for("synced_ms=", 1).await;
    let ms: u64 = line
        .trim()
        .trim_start_matches("synced_ms=")
        .parse()
        .unwrap();
    eprintln!("global:sync() with three nodes took {ms} ms");
    assert!(ms < 5000, "{out}");
    assert!(out.contains("b synced"), "{out}");
    // The Rust node learnt B's name through the exchange.
    let bpid = global::whereis_name(&node, "from_b").expect("from_b known here");
    assert_eq!(bpid.node.name, b);
    tokio::time::timeout(Duration::from_secs(5), global::sync(&node))
        .await
        .unwrap()
        .unwrap();
    to_ctl(&node, &sname(&a_alive), term::atom("done")).await;
    assert!(ex.finish(30).await, "{}", ex.output());
    assert!(exb.finish(30).await);
    node.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn rust_pid_registered_from_elixir_and_dies_with_its_process() {
    if !have_elixir("rust_pid_registered_from_elixir_and_dies_with_its_process") {
        return;
    }
    init_tracing();
    let epmd = free_port();
    let node = lib_node(&unique("rust"), epmd).await;
    let me = node.name().to_owned();
    let worker = idle_process(&node);
    node.register("rust_worker", &worker).unwrap();
    let script = format!(
        r#"{PRELUDE}
        true = Node.connect(:"{me}")
        :ok = :global.sync()
        pid = :rpc.call(:"{me}", :erlang, :whereis, [:rust_worker])
        IO.puts("register=#{{:global.register_name(:rust_proc, pid)}}")
        IO.puts("same=#{{:global.whereis_name(:rust_proc) == pid}} node=#{{node(pid)}}")
        IO.puts("names=#{{inspect :global.registered_names()}}")
        IO.puts("again=#{{:global.register_name(:rust_proc, self())}}")
        receive do :stopped -> :ok after 30_000 -> IO.puts("no stop") end
        IO.puts("gone=#{{wait_until.(fn -> :global.whereis_name(:rust_proc) == :undefined end)}}")
        "#
    );
    let mut ex = elixir("--sname", &unique("one"), COOKIE, epmd, &script);
    ex.wait_for("again=", 30).await;
    let out = ex.output();
    assert!(out.contains("register=yes"), "{out}");
    assert!(out.contains(&format!("same=true node={me}")), "{out}");
    assert!(out.contains("names=[:rust_proc]"), "{out}");
    assert!(out.contains("again=no"), "{out}");
    assert_eq!(
        global::whereis_name(&node, "rust_proc"),
        Some(worker.clone())
    );
    assert_eq!(
        global::registered_names(&node),
        vec![term::atom("rust_proc")]
    );
    // The process ends: every node drops the name.
    node.send(&worker, term::atom("stop"));
    until("the name is gone here", || {
        global::whereis_name(&node, "rust_proc").is_none()
    })
    .await;
    to_ctl(&node, &sname_of(&ex, &node), term::atom("stopped")).await;
    assert!(ex.finish(30).await, "{}", ex.output());
    assert!(ex.output().contains("gone=true"), "{}", ex.output());
    node.shutdown().await;
}

/// The name of the single Elixir node connected to `node`.
fn sname_of(_ex: &Proc, node: &Node) -> String {
    node.nodes().into_iter().next().expect("a connected node")
}

#[tokio::test(flavor = "multi_thread")]
async fn registered_from_rust_seen_by_elixir_and_unregistered() {
    if !have_elixir("registered_from_rust_seen_by_elixir_and_unregistered") {
        return;
    }
    init_tracing();
    let epmd = free_port();
    let node = lib_node(&unique("rust"), epmd).await;
    let me = node.name().to_owned();
    let mut inbox = inbox(&node);
    let worker = node.process();
    let wpid = worker.pid().clone();
    let script = format!(
        r#"{PRELUDE}
        true = Node.connect(:"{me}")
        :ok = :global.sync()
        send({{:rust_inbox, :"{me}"}}, {{:elixir_pid, self()}})
        pid = receive do {{:go, p}} -> p after 30_000 -> nil end
        w = :global.whereis_name(:from_rust)
        IO.puts("same=#{{w == pid}} node=#{{node(w)}}")
        IO.puts("beam=#{{:global.whereis_name(:beam_by_rust) == self()}}")
        :global.send(:from_rust, {{:hello, self()}})
        receive do :unregistered -> :ok after 30_000 -> :ok end
        IO.puts("after=#{{inspect :global.whereis_name(:from_rust)}} beam_after=#{{inspect :global.whereis_name(:beam_by_rust)}}")
        "#
    );
    let mut ex = elixir("--sname", &unique("one"), COOKIE, epmd, &script);
    let epid = expect(&mut inbox, "elixir_pid").await;
    let epid = term::as_pid(&epid).unwrap().clone();
    tokio::time::timeout(Duration::from_secs(10), global::sync(&node))
        .await
        .unwrap()
        .unwrap();
    assert!(
        global::register_name(&node, "from_rust", &wpid)
            .await
            .unwrap()
    );
    assert!(
        !global::register_name(&node, "from_rust", &epid)
            .await
            .unwrap()
    );
    // A BEAM pid registered from Rust.
    assert!(
        global::register_name(&node, "beam_by_rust", &epid)
            .await
            .unwrap()
    );
    assert_eq!(
        global::whereis_name(&node, "beam_by_rust"),
        Some(epid.clone())
    );
    to_ctl(
        &node,
        &epid.node.name,
        term::tuple(vec![term::atom("go"), term::pid(&wpid)]),
    )
    .await;
    ex.wait_for("beam=", 30).await;
    let out = ex.output();
    assert!(out.contains(&format!("same=true node={me}")), "{out}");
    assert!(out.contains("beam=true"), "{out}");
    // :global.send from Elixir reaches the Rust process.
    let mut worker = worker;
    let hello = worker
        .receive_timeout(Duration::from_secs(10))
        .await
        .unwrap();
    assert!(matches!(term::as_tuple(&hello), Some([t, _]) if term::is_atom(t, "hello")));
    global::unregister_name(&node, "from_rust").await.unwrap();
    global::unregister_name(&node, "beam_by_rust")
        .await
        .unwrap();
    assert_eq!(global::whereis_name(&node, "from_rust"), None);
    to_ctl(&node, &epid.node.name, term::atom("unregistered")).await;
    assert!(ex.finish(30).await, "{}", ex.output());
    let out = ex.output();
    assert!(
        out.contains("after=:undefined beam_after=:undefined"),
        "{out}"
    );
    node.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn beam_names_vanish_when_their_node_dies() {
    if !have_elixir("beam_names_vanish_when_their_node_dies") {
        return;
    }
    init_tracing();
    let epmd = free_port();
    let node = lib_node(&unique("rust"), epmd).await;
    let me = node.name().to_owned();
    let script = format!(
        r#"{PRELUDE}
        true = Node.connect(:"{me}")
        :ok = :global.sync()
        IO.puts("register=#{{:global.register_name(:beam_name, self())}}")
        receive do :never -> :ok end
        "#
    );
    let mut ex = elixir("--sname", &unique("one"), COOKIE, epmd, &script);
    ex.wait_for("register=yes", 30).await;
    let peer = node.nodes().into_iter().next().unwrap();
    let pid = global::whereis_name(&node, "beam_name").expect("seen here");
    assert_eq!(pid.node.name, peer);
    ex.kill();
    until("the dead node's name is gone", || {
        global::whereis_name(&node, "beam_name").is_none()
    })
    .await;
    assert!(global::registered_names(&node).is_empty());
    node.shutdown().await;
}

/// Our node (smaller name) holds `clash` for a Rust process; a BEAM node
/// with the same name for its own process joins. We resolve: OTP's
/// random_exit_name keeps the pid on the node with the smaller name.
#[tokio::test(flavor = "multi_thread")]
async fn clash_resolved_here_keeps_the_rust_pid() {
    if !have_elixir("clash_resolved_here_keeps_the_rust_pid") {
        return;
    }
    init_tracing();
    let epmd = free_port();
    let node = lib_node(&unique("a_rust"), epmd).await;
    let me = node.name().to_owned();
    let worker = idle_process(&node);
    assert!(
        global::register_name(&node, "clash", &worker)
            .await
            .unwrap()
    );
    let script = format!(
        r#"{PRELUDE}
        mine = spawn(fn -> receive do :never -> :ok end end)
        ref = Process.monitor(mine)
        IO.puts("register=#{{:global.register_name(:clash, mine)}}")
        true = Node.connect(:"{me}")
        :ok = :global.sync()
        reason = receive do {{:DOWN, ^ref, _, _, r}} -> r after 10_000 -> :alive end
        w = :global.whereis_name(:clash)
        IO.puts("mine_died=#{{inspect reason}} winner_node=#{{node(w)}}")
        "#
    );
    let mut ex = elixir("--sname", &unique("z_ex"), COOKIE, epmd, &script);
    assert!(ex.finish(30).await, "{}", ex.output());
    let out = ex.output();
    assert!(out.contains("register=yes"), "{out}");
    assert!(
        out.contains(&format!("mine_died=:killed winner_node={me}")),
        "{out}"
    );
    assert_eq!(global::whereis_name(&node, "clash"), Some(worker.clone()));
    assert!(node.is_alive(&worker));
    node.shutdown().await;
}

/// The BEAM node has the smaller name: it resolves, and kills our process.
#[tokio::test(flavor = "multi_thread")]
async fn clash_resolved_there_kills_the_rust_pid() {
    if !have_elixir("clash_resolved_there_kills_the_rust_pid") {
        return;
    }
    init_tracing();
    let epmd = free_port();
    let node = lib_node(&unique("z_rust"), epmd).await;
    let me = node.name().to_owned();
    let worker = idle_process(&node);
    assert!(
        global::register_name(&node, "clash", &worker)
            .await
            .unwrap()
    );
    let script = format!(
        r#"{PRELUDE}
        mine = spawn(fn -> receive do :never -> :ok end end)
        IO.puts("register=#{{:global.register_name(:clash, mine)}}")
        true = Node.connect(:"{me}")
        :ok = :global.sync()
        Process.sleep(300)
        w = :global.whereis_name(:clash)
        IO.puts("kept_mine=#{{w == mine}} alive=#{{Process.alive?(mine)}}")
        receive do :done -> :ok after 30_000 -> :ok end
        "#
    );
    let alive = unique("a_ex");
    let mut ex = elixir("--sname", &alive, COOKIE, epmd, &script);
    ex.wait_for("kept_mine=", 30).await;
    let out = ex.output();
    assert!(out.contains("kept_mine=true alive=true"), "{out}");
    until("our process is killed", || !node.is_alive(&worker)).await;
    let w = global::whereis_name(&node, "clash").expect("a winner");
    assert_eq!(w.node.name, sname(&alive));
    to_ctl(&node, &sname(&alive), term::atom("done")).await;
    assert!(ex.finish(30).await, "{}", ex.output());
    node.shutdown().await;
}

/// Two BEAM partitions clash while the Rust node sits in one of them: the
/// outcome reaches us through new_nodes, and every node agrees.
#[tokio::test(flavor = "multi_thread")]
async fn clash_between_beam_nodes_reaches_us() {
    if !have_elixir("clash_between_beam_nodes_reaches_us") {
        return;
    }
    init_tracing();
    let epmd = free_port();
    let node = lib_node(&unique("m_rust"), epmd).await;
    let me = node.name().to_owned();
    let b = sname(&unique("b_ex"));
    let mut exb = elixir(
        "--sname",
        b.split('@').next().unwrap(),
        COOKIE,
        epmd,
        &format!(
            r#"{PRELUDE}
            mine = spawn(fn -> receive do :never -> :ok end end)
            IO.puts("b register=#{{:global.register_name(:clash, mine)}}")
            receive do :stop -> :ok after 60_000 -> :ok end
            IO.puts("b view=#{{node(:global.whereis_name(:clash))}} b_alive=#{{Process.alive?(mine)}}")
            "#
        ),
    );
    exb.wait_for("b register=yes", 30).await;
    let script = format!(
        r#"{PRELUDE}
        mine = spawn(fn -> receive do :never -> :ok end end)
        IO.puts("register=#{{:global.register_name(:clash, mine)}}")
        true = Node.connect(:"{me}")
        :ok = :global.sync()
        true = Node.connect(:"{b}")
        :ok = :global.sync()
        Process.sleep(500)
        IO.puts("a view=#{{node(:global.whereis_name(:clash))}} a_alive=#{{Process.alive?(mine)}}")
        receive do :done -> :ok after 30_000 -> :ok end
        send({{:ctl, :"{b}"}}, :stop)
        "#
    );
    let a_alive = unique("c_ex");
    let mut ex = elixir("--sname", &a_alive, COOKIE, epmd, &script);
    ex.wait_for("a view=", 30).await;
    let w = global::whereis_name(&node, "clash").expect("known here");
    assert_eq!(w.node.name, b);
    to_ctl(&node, &sname(&a_alive), term::atom("done")).await;
    assert!(ex.finish(30).await, "{}", ex.output());
    assert!(exb.finish(30).await, "{}", exb.output());
    let (out_a, out_b) = (ex.output(), exb.output());
    // b_ex < c_ex: the pid on b_ex wins everywhere.
    assert!(
        out_a.contains(&format!("a view={b} a_alive=false")),
        "{out_a}"
    );
    assert!(
        out_b.contains(&format!("b view={b} b_alive=true")),
        "{out_b}"
    );
    node.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn hidden_node_takes_no_part() {
    if !have_elixir("hidden_node_takes_no_part") {
        return;
    }
    init_tracing();
    let epmd = free_port();
    let node = Node::builder(sname(&unique("rusth")))
        .cookie(COOKIE)
        .hidden(true)
        .epmd_port(epmd)
        .start()
        .await
        .unwrap();
    let me = node.name().to_owned();
    let worker = idle_process(&node);
    assert!(
        global::register_name(&node, "hidden_only", &worker)
            .await
            .unwrap()
    );
    let script = format!(
        r#"
        true = Node.connect(:"{me}")
        t0 = System.monotonic_time(:millisecond)
        :ok = :global.sync()
        IO.puts("synced_ms=#{{System.monotonic_time(:millisecond) - t0}}")
        IO.puts("register=#{{:global.register_name(:beam_side, self())}}")
        IO.puts("sees_ours=#{{inspect :global.whereis_name(:hidden_only)}}")
        Process.sleep(300)
        "#
    );
    let mut ex = elixir("--sname", &unique("one"), COOKIE, epmd, &script);
    assert!(ex.finish(30).await, "{}", ex.output());
    let out = ex.output();
    assert!(out.contains("register=yes"), "{out}");
    assert!(out.contains("sees_ours=:undefined"), "{out}");
    assert_eq!(global::whereis_name(&node, "beam_side"), None);
    assert_eq!(global::whereis_name(&node, "hidden_only"), Some(worker));
    node.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_peer_speaking_nonsense_is_logged_not_fatal() {
    if !have_elixir("a_peer_speaking_nonsense_is_logged_not_fatal") {
        return;
    }
    init_tracing();
    let epmd = free_port();
    let node = lib_node(&unique("rust"), epmd).await;
    let me = node.name().to_owned();
    let script = format!(
        r#"
        true = Node.connect(:"{me}")
        :ok = :global.sync()
        gns = {{:global_name_server, :"{me}"}}
        send(gns, :garbage)
        send(gns, {{:"$gen_cast", {{:exchange, :bogus}}}})
        send(gns, {{:"$gen_cast", {{:init_connect, :bad_vsn, node(), :x}}}})
        send(gns, {{:"$gen_cast", {{:init_connect, {{8, 1}}, :"nobody@nowhere", {{:locker, 1, 2, 3}}}}}})
        send(gns, {{:"$gen_cast", {{:resolved, node(), :x, :y, :unused, :z, 1}}}})
        send(gns, {{:"$gen_cast", {{:new_nodes, node(), [:bad_op], [], [], []}}}})
        send(gns, {{:"$gen_call", :no_from, :get_known}})
        send(gns, {{:lock_set, self(), :maybe, []}})
        IO.puts("unknown_call=#{{inspect GenServer.call(gns, :get_protocol_version)}}")
        IO.puts("register=#{{:global.register_name(:still_works, self())}}")
        IO.puts("trans=#{{:global.trans({{:my_res, self()}}, fn -> :inside end)}}")
        other = spawn(fn -> receive do :x -> :ok end end)
        IO.puts("lock=#{{:global.set_lock({{:r, self()}}, [node(), :"{me}"], 0)}}")
        IO.puts("taken=#{{:rpc.call(node(), :global, :set_lock, [{{:r, other}}, [:"{me}"], 0])}}")
        IO.puts("del=#{{:global.del_lock({{:r, self()}}, [node(), :"{me}"])}}")
        IO.puts("free=#{{:global.set_lock({{:r, other}}, [:"{me}"], 0)}}")
        "#
    );
    let mut ex = elixir("--sname", &unique("one"), COOKIE, epmd, &script);
    assert!(ex.finish(30).await, "{}", ex.output());
    let out = ex.output();
    assert!(out.contains("unknown_call=8"), "{out}");
    assert!(out.contains("register=yes"), "{out}");
    // User locks through global's lock protocol, held on our node too.
    assert!(out.contains("trans=inside"), "{out}");
    assert!(out.contains("lock=true"), "{out}");
    assert!(out.contains("taken=false"), "{out}");
    assert!(out.contains("del=true"), "{out}");
    assert!(out.contains("free=true"), "{out}");
    node.shutdown().await;
}

/// A name registered while the Rust node is alone (as `--global-io` does)
/// reaches a BEAM node once they connect; here we dial, and the BEAM node's
/// name reaches us.
#[tokio::test(flavor = "multi_thread")]
async fn we_dial_and_names_flow_both_ways() {
    if !have_elixir("we_dial_and_names_flow_both_ways") {
        return;
    }
    init_tracing();
    let epmd = free_port();
    let node = lib_node(&unique("rust"), epmd).await;
    let worker = idle_process(&node);
    assert!(
        global::register_name(&node, "early", &worker)
            .await
            .unwrap()
    );
    let alive = unique("one");
    let script = format!(
        r#"{PRELUDE}
        :yes = :global.register_name(:ex_name, self())
        IO.puts("ready")
        receive do :go -> :ok after 30_000 -> :ok end
        :ok = :global.sync()
        w = :global.whereis_name(:early)
        IO.puts("early_node=#{{node(w)}}")
        send(w, {{:from_elixir, self()}})
        receive do :done -> :ok after 30_000 -> :ok end
        "#
    );
    let mut ex = elixir("--sname", &alive, COOKIE, epmd, &script);
    ex.wait_for("ready", 30).await;
    let peer = sname(&alive);
    node.connect(&peer).await.unwrap();
    tokio::time::timeout(Duration::from_secs(5), global::sync(&node))
        .await
        .expect("our sync returns")
        .unwrap();
    let p = global::whereis_name(&node, "ex_name").expect("their name here");
    assert_eq!(p.node.name, peer);
    to_ctl(&node, &peer, term::atom("go")).await;
    ex.wait_for("early_node=", 30).await;
    assert!(
        ex.output().contains(&format!("early_node={}", node.name())),
        "{}",
        ex.output()
    );
    to_ctl(&node, &peer, term::atom("done")).await;
    assert!(ex.finish(30).await, "{}", ex.output());
    node.shutdown().await;
}
