//! Interop tests: OTP `pg` scopes on two real BEAM nodes and ours (default and named scope, visible and hidden Rust node): joins, leaves, member deaths, a Rust node killed with SIGKILL, the BEAM scopes never crashing.

mod common;

use common::*;
use eetf::{Pid, Term};
use erlnode::pg::{self, PgEvent};
use erlnode::{Node, term};
use std::process::Stdio;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, BufReader};

fn init_tracing() {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_test_writer()
        .try_init();
}

/// An Elixir node running the pg scope `scope`, idle until killed.
fn beam(epmd: u16, scope: &str) -> (Proc, String) {
    let alive = unique("pgbeam");
    let script = format!(
        r#"
        {{:ok, _}} = :pg.start(:"{scope}")
        IO.puts("ready")
        Process.sleep(:infinity)
        "#
    );
    (
        elixir("--sname", &alive, COOKIE, epmd, &script),
        sname(&alive),
    )
}

async fn rpc(node: &Node, on: &str, m: &str, f: &str, args: Vec<Term>) -> Term {
    node.call(on, m, f, args, Duration::from_secs(10))
        .await
        .unwrap_or_else(|e| panic!("rpc {m}:{f} on {on}: {e}"))
}

fn sorted(mut v: Vec<Pid>) -> Vec<Pid> {
    v.sort_by(|a, b| (&a.node.name, a.id, a.serial).cmp(&(&b.node.name, b.id, b.serial)));
    v
}

fn pids_of(t: &Term) -> Vec<Pid> {
    sorted(
        term::as_list(t)
            .unwrap_or_default()
            .iter()
            .filter_map(term::as_pid)
            .cloned()
            .collect(),
    )
}

/// `pg:get_members(Scope, Group)` on a BEAM node.
async fn members_on(node: &Node, on: &str, scope: &str, group: &Term) -> Vec<Pid> {
    let t = rpc(
        node,
        on,
        "pg",
        "get_members",
        vec![term::atom(scope), group.clone()],
    )
    .await;
    pids_of(&t)
}

/// Polls `f` until it returns `want` (30 s at most).
async fn until_eq<F, Fut>(what: &str, want: Vec<Pid>, mut f: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Vec<Pid>>,
{
    let want = sorted(want);
    let mut got = Vec::new();
    for _ in 0..300 {
        got = f().await;
        if got == want {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{what}: wanted {want:?}, got {got:?}");
}

/// A Rust process that lives until sent `stop`.
fn idle(node: &Node) -> Pid {
    node.spawn(|mut p| async move {
        while let Ok(m) = p.receive().await {
            if term::is_atom(&m, "stop") {
                break;
            }
        }
        term::atom("normal")
    })
}

/// A process on a BEAM node that sleeps until killed.
async fn beam_process(node: &Node, on: &str) -> Pid {
    let t = rpc(
        node,
        on,
        "erlang",
        "spawn",
        vec![
            term::atom("timer"),
            term::atom("sleep"),
            term::list(vec![term::atom("infinity")]),
        ],
    )
    .await;
    term::as_pid(&t).expect("a pid").clone()
}

async fn whereis(node: &Node, on: &str, name: &str) -> Pid {
    let t = rpc(node, on, "erlang", "whereis", vec![term::atom(name)]).await;
    term::as_pid(&t)
        .unwrap_or_else(|| panic!("{name} is not running on {on}"))
        .clone()
}

async fn next_event(mon: &mut pg::Monitor) -> PgEvent {
    tokio::time::timeout(Duration::from_secs(30), mon.next())
        .await
        .expect("an event in time")
        .expect("the scope runs")
}

/// Runs the child node of [`child_node_for_kill9`]: it joins `group` in `scope`
/// through a node connected to `peers`, and says `child ready`.
async fn spawn_child(
    epmd: u16,
    scope: &str,
    hidden: bool,
    peers: &[&str],
) -> tokio::process::Child {
    let exe = std::env::current_exe().unwrap();
    let cfg = format!(
        "{};{epmd};{scope};{hidden};{}",
        unique("pgchild"),
        peers.join(",")
    );
    let mut child = tokio::process::Command::new(exe)
        .args(["child_node_for_kill9", "--exact", "--nocapture"])
        .env("ERLNODE_PG_CHILD", cfg)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let out = child.stdout.take().unwrap();
    let mut lines = BufReader::new(out).lines();
    tokio::time::timeout(Duration::from_secs(60), async {
        while let Ok(Some(l)) = lines.next_line().await {
            if l.contains("child ready") {
                return;
            }
        }
        panic!("the child node ended before it was ready");
    })
    .await
    .expect("the child node gets ready");
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    child
}

/// Not a test of its own: the body of the child node the kill -9 scenarios
/// start (it does nothing unless `ERLNODE_PG_CHILD` is set).
#[tokio::test(flavor = "multi_thread")]
async fn child_node_for_kill9() {
    let Ok(cfg) = std::env::var("ERLNODE_PG_CHILD") else {
        return;
    };
    let parts: Vec<&str> = cfg.split(';').collect();
    let [alive, epmd, scope, hidden, peers] = parts[..] else {
        panic!("bad ERLNODE_PG_CHILD {cfg}");
    };
    let node = Node::builder(sname(alive))
        .cookie(COOKIE)
        .epmd_port(epmd.parse().unwrap())
        .hidden(hidden == "true")
        .start()
        .await
        .unwrap();
    for p in peers.split(',') {
        node.connect(p).await.unwrap();
    }
    let s = pg::start(&node, scope).unwrap();
    let member = idle(&node);
    s.join(&term::atom("kill9"), member).await.unwrap();
    println!("child ready");
    std::future::pending::<()>().await;
}

/// Two BEAM nodes and ours in one scope: everything the issue lists.
async fn scenario(scope: &str, hidden: bool) {
    init_tracing();
    let epmd = free_port();
    let (ea, a) = beam(epmd, scope);
    let (eb, b) = beam(epmd, scope);
    ea.wait_for("ready", 30).await;
    eb.wait_for("ready", 30).await;
    let node = Node::builder(sname(&unique("pgrust")))
        .cookie(COOKIE)
        .epmd_port(epmd)
        .hidden(hidden)
        .start()
        .await
        .unwrap();
    node.connect(&a).await.unwrap();
    node.connect(&b).await.unwrap();
    assert_eq!(
        rpc(
            &node,
            &a,
            "net_kernel",
            "connect_node",
            vec![term::atom(&b)]
        )
        .await,
        term::atom("true")
    );
    let scope_a = whereis(&node, &a, scope).await;
    let scope_b = whereis(&node, &b, scope).await;

    let s = pg::start(&node, scope).unwrap();
    let started = std::time::Instant::now();
    while s.peers().len() < 2 {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "peers: {:?}",
            s.peers()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let g = term::tuple(vec![term::atom("chat"), term::binary("room")]);
    let g2 = term::atom("other");

    // Malformed and unexpected messages from a BEAM node leave our scope running.
    let pa_scope = term::pid(&scope_a);
    let garbage = [
        term::atom("junk"),
        term::tuple(vec![term::atom("discover"), term::int(42)]),
        // A scope on a node we are not connected to: not dialled, not a peer.
        term::tuple(vec![
            term::atom("discover"),
            term::pid(&Pid::new("ghost@nowhere", 1, 0, 1)),
        ]),
        term::tuple(vec![term::atom("$gen_cast"), term::atom("junk")]),
        term::tuple(vec![
            term::atom("$gen_cast"),
            term::tuple(vec![
                term::atom("sync"),
                pa_scope.clone(),
                term::atom("notalist"),
            ]),
        ]),
        term::tuple(vec![
            term::atom("join"),
            pa_scope.clone(),
            g.clone(),
            term::atom("x"),
        ]),
        term::tuple(vec![
            term::atom("leave"),
            pa_scope.clone(),
            term::list(vec![]),
            term::atom("notalist"),
        ]),
        term::tuple(vec![
            term::atom("leave"),
            pa_scope.clone(),
            pa_scope.clone(),
            term::list(vec![term::atom("never_joined")]),
        ]),
        term::tuple(vec![
            term::atom("$gen_call"),
            term::tuple(vec![pa_scope.clone(), term::atom("tag")]),
            term::atom("monitor"),
        ]),
    ];
    let dest = term::tuple(vec![term::atom(scope), term::atom(node.name())]);
    for m in garbage {
        rpc(&node, &a, "erlang", "send", vec![dest.clone(), m]).await;
    }
    let (mut mon_scope, snapshot) = s.monitor_scope().await.unwrap();
    assert!(snapshot.is_empty(), "{snapshot:?}");
    let (mut mon_g2, now) = s.monitor(&g2).await.unwrap();
    assert!(now.is_empty());

    // Rust joins two processes in one call: both BEAM nodes see them.
    let (r1, r2) = (idle(&node), idle(&node));
    s.join(&g, &[r1.clone(), r2.clone()]).await.unwrap();
    assert_eq!(
        next_event(&mut mon_scope).await,
        PgEvent::Join {
            group: g.clone(),
            pids: vec![r1.clone(), r2.clone()]
        }
    );
    for on in [&a, &b] {
        until_eq(
            "rust joins seen on BEAM",
            vec![r1.clone(), r2.clone()],
            || members_on(&node, on, scope, &g),
        )
        .await;
    }
    assert_eq!(
        sorted(s.get_local_members(&g)),
        sorted(vec![r1.clone(), r2.clone()])
    );
    assert_eq!(s.peers().len(), 2, "{:?}", s.peers());
    assert!(!node.connected_nodes().iter().any(|n| n == "ghost@nowhere"));

    // A BEAM process on A joins: we and B see it.
    let pa = beam_process(&node, &a).await;
    rpc(
        &node,
        &a,
        "pg",
        "join",
        vec![term::atom(scope), g.clone(), term::pid(&pa)],
    )
    .await;
    let all = vec![r1.clone(), r2.clone(), pa.clone()];
    until_eq("A's join seen here", all.clone(), || async {
        sorted(s.get_members(&g))
    })
    .await;
    until_eq("A's join seen on B", all.clone(), || {
        members_on(&node, &b, scope, &g)
    })
    .await;
    assert_eq!(
        sorted(s.get_local_members(&g)),
        sorted(vec![r1.clone(), r2.clone()])
    );

    // B joins another group: the group monitor here reports it.
    let pb = beam_process(&node, &b).await;
    rpc(
        &node,
        &b,
        "pg",
        "join",
        vec![term::atom(scope), g2.clone(), term::pid(&pb)],
    )
    .await;
    assert_eq!(
        next_event(&mut mon_g2).await,
        PgEvent::Join {
            group: g2.clone(),
            pids: vec![pb.clone()]
        }
    );
    let mut groups = s.which_groups();
    groups.sort_by_key(|t| format!("{t:?}"));
    assert_eq!(groups.len(), 2, "{groups:?}");
    assert_eq!(s.which_local_groups(), vec![g.clone()]);

    // Rust leaves (one pid), and leaving again is `not_joined`.
    assert!(s.leave(&g, &r1).await.unwrap());
    assert!(!s.leave(&g, &r1).await.unwrap());
    for on in [&a, &b] {
        until_eq(
            "rust leave seen on BEAM",
            vec![r2.clone(), pa.clone()],
            || members_on(&node, on, scope, &g),
        )
        .await;
    }

    // A's process leaves.
    rpc(
        &node,
        &a,
        "pg",
        "leave",
        vec![term::atom(scope), g.clone(), term::pid(&pa)],
    )
    .await;
    until_eq("A's leave seen here", vec![r2.clone()], || async {
        sorted(s.get_members(&g))
    })
    .await;

    // A Rust member joined twice, and one joined through a list of many, then dies.
    s.join(&g, &r2).await.unwrap();
    for on in [&a, &b] {
        until_eq("double join on BEAM", vec![r2.clone(), r2.clone()], || {
            members_on(&node, on, scope, &g)
        })
        .await;
    }
    node.send(&r2, term::atom("stop"));
    for on in [&a, &b] {
        until_eq("dead rust member gone on BEAM", vec![], || {
            members_on(&node, on, scope, &g)
        })
        .await;
    }
    assert!(s.get_members(&g).is_empty());

    // A BEAM member dies: gone here, and the group monitor says so.
    rpc(
        &node,
        &b,
        "erlang",
        "exit",
        vec![term::pid(&pb), term::atom("kill")],
    )
    .await;
    until_eq("dead BEAM member gone here", vec![], || async {
        s.get_members(&g2)
    })
    .await;
    assert_eq!(
        next_event(&mut mon_g2).await,
        PgEvent::Leave {
            group: g2.clone(),
            pids: vec![pb.clone()]
        }
    );

    // A Rust node killed with SIGKILL: its members vanish on both BEAM nodes.
    let mut child = spawn_child(epmd, scope, hidden, &[&a, &b]).await;
    for on in [&a, &b] {
        let got = {
            let mut got = Vec::new();
            for _ in 0..300 {
                got = members_on(&node, on, scope, &term::atom("kill9")).await;
                if !got.is_empty() {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            got
        };
        assert_eq!(got.len(), 1, "the child's member on {on}");
    }
    let kill9 = term::atom("kill9");
    child.start_kill().unwrap();
    let _ = child.wait().await;
    for on in [&a, &b] {
        until_eq("a killed node's members gone", vec![], || {
            members_on(&node, on, scope, &kill9)
        })
        .await;
    }

    // Our scope stopping takes our members away on both BEAM nodes.
    let r3 = idle(&node);
    s.join(&g, &r3).await.unwrap();
    for on in [&a, &b] {
        until_eq("r3 seen", vec![r3.clone()], || {
            members_on(&node, on, scope, &g)
        })
        .await;
    }
    s.stop().await;
    for on in [&a, &b] {
        until_eq("a stopped scope's members gone", vec![], || {
            members_on(&node, on, scope, &g)
        })
        .await;
    }

    // The BEAM scope processes never crashed.
    assert_eq!(whereis(&node, &a, scope).await, scope_a);
    assert_eq!(whereis(&node, &b, scope).await, scope_b);
    drop((ea, eb));
    node.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn default_scope_with_two_beam_nodes() {
    if !have_elixir("default_scope_with_two_beam_nodes") {
        return;
    }
    scenario("pg", false).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn named_scope_with_two_beam_nodes() {
    if !have_elixir("named_scope_with_two_beam_nodes") {
        return;
    }
    scenario("my_scope", false).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn hidden_rust_node_in_the_default_scope() {
    if !have_elixir("hidden_rust_node_in_the_default_scope") {
        return;
    }
    scenario("pg", true).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn hidden_rust_node_in_a_named_scope() {
    if !have_elixir("hidden_rust_node_in_a_named_scope") {
        return;
    }
    scenario("Elixir.MyApp.Scope", true).await;
}

/// The window OTP's own scopes leave open: a peer scope that has our discover
/// but not yet our sync holds nothing for us, and OTP 25/27 crash on a leave
/// for a group they do not hold. Our scope sends its sync to every scope it
/// learns of first, so a leave right after the peer's sync arrives is safe.
/// 300 scopes are started (the window is narrow: 300 catch the fault every time
/// here, 40 did not), each joining then leaving as soon as the peer is
/// known; the BEAM scope must keep its pid and end with no members.
#[tokio::test(flavor = "multi_thread")]
async fn leave_right_after_meeting_a_peer_never_crashes_it() {
    if !have_elixir("leave_right_after_meeting_a_peer_never_crashes_it") {
        return;
    }
    init_tracing();
    let epmd = free_port();
    let (ea, a) = beam(epmd, "race_scope");
    ea.wait_for("ready", 30).await;
    let node = lib_node(&unique("pgrace"), epmd).await;
    node.connect(&a).await.unwrap();
    let scope_a = whereis(&node, &a, "race_scope").await;
    let g = term::atom("race");
    for _ in 0..300 {
        let s = pg::start(&node, "race_scope").unwrap();
        let r = idle(&node);
        s.join(&g, &r).await.unwrap();
        let t0 = std::time::Instant::now();
        while s.peers().is_empty() {
            // A crashed BEAM scope never answers our discover.
            assert!(
                t0.elapsed() < Duration::from_secs(10),
                "the BEAM scope never answered (crashed?)"
            );
            tokio::task::yield_now().await;
        }
        assert!(s.leave(&g, &r).await.unwrap());
        s.stop().await;
        node.send(&r, term::atom("stop"));
    }
    assert_eq!(whereis(&node, &a, "race_scope").await, scope_a);
    until_eq("no members left on the BEAM node", vec![], || {
        members_on(&node, &a, "race_scope", &g)
    })
    .await;
    drop(ea);
    node.shutdown().await;
}
