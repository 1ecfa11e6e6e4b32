//! Interop tests for GenServer both ways and process aliases, against real Elixir nodes.

mod common;

use common::*;
use erlnode::gen_server::{self, CallReply, Flow, GenCallError, GenServer, Options, ReplyTo};
use erlnode::{Node, Process, Term, term};
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

/// The test server: a key-value map, plus requests that sleep, reply later,
/// panic or stop.
#[derive(Default)]
struct Kv {
    map: BTreeMap<String, Term>,
}

fn key(t: &Term) -> String {
    term::print::inspect(t)
}

impl GenServer for Kv {
    async fn handle_call(&mut self, req: Term, from: ReplyTo, _ctx: &mut Process) -> CallReply {
        let t = term::as_tuple(&req).unwrap_or(&[]).to_vec();
        match (t.first().and_then(term::as_atom), t.as_slice()) {
            (Some("put"), [_, k, v]) => {
                self.map.insert(key(k), v.clone());
                CallReply::Reply(term::atom("ok"))
            }
            (Some("get"), [_, k]) => CallReply::Reply(match self.map.get(&key(k)) {
                Some(v) => term::tuple(vec![term::atom("ok"), v.clone()]),
                None => term::atom("error"),
            }),
            (Some("sleep"), [_, ms]) => {
                let ms = term::as_int(ms).unwrap_or(0) as u64;
                tokio::time::sleep(Duration::from_millis(ms)).await;
                CallReply::Reply(term::atom("slept"))
            }
            (Some("later"), [_, x]) => {
                let x = x.clone();
                tokio::spawn(async move {
                    tokio::time::sleep(Duration::from_millis(20)).await;
                    from.reply(term::tuple(vec![term::atom("later"), x]));
                });
                CallReply::NoReply
            }
            _ if term::is_atom(&req, "crash") => panic!("boom"),
            _ if term::is_atom(&req, "stop_me") => CallReply::Stop {
                reason: term::atom("normal"),
                reply: Some(term::atom("stopping")),
            },
            _ => CallReply::Reply(term::tuple(vec![term::atom("unknown"), req])),
        }
    }

    async fn handle_cast(&mut self, req: Term, _ctx: &mut Process) -> Flow {
        if let Some([tag, k]) = term::as_tuple(&req)
            && term::is_atom(tag, "delete")
        {
            self.map.remove(&key(k));
        }
        Flow::Continue
    }

    fn state_term(&self) -> Term {
        term::atom(&format!("size_{}", self.map.len()))
    }
}

fn line<'a>(out: &'a str, prefix: &str) -> &'a str {
    out.lines()
        .find_map(|l| l.strip_prefix(prefix))
        .unwrap_or_else(|| panic!("no line {prefix:?} in:\n{out}"))
}

#[tokio::test(flavor = "multi_thread")]
async fn elixir_calls_and_casts_a_rust_gen_server() {
    if !have_elixir("elixir_calls_and_casts_a_rust_gen_server") {
        return;
    }
    let epmd = free_port();
    let node = lib_node(&unique("rust"), epmd).await;
    gen_server::start_with(&node, Kv::default(), Options::new().name("kv"))
        .await
        .unwrap();
    gen_server::start_with(&node, Kv::default(), Options::new().name("st"))
        .await
        .unwrap();
    gen_server::start_with(&node, Kv::default(), Options::new().name("st2"))
        .await
        .unwrap();
    gen_server::start_with(&node, Kv::default(), Options::new().name("crashy"))
        .await
        .unwrap();
    let me = node.name().to_owned();
    let script = format!(
        r#"
        rust = :"{me}"
        s = {{:kv, rust}}
        IO.puts("put=#{{inspect GenServer.call(s, {{:put, :a, 1}})}}")
        IO.puts("get=#{{inspect GenServer.call(s, {{:get, :a}})}}")
        IO.puts("erl=#{{inspect :gen_server.call(s, {{:get, :a}}, 5000)}}")
        IO.puts("inf=#{{inspect :gen_server.call(s, {{:get, :a}}, :infinity)}}")
        GenServer.cast(s, {{:delete, :a}})
        IO.puts("get2=#{{inspect GenServer.call(s, {{:get, :a}})}}")
        IO.puts("later=#{{inspect GenServer.call(s, {{:later, 5}})}}")
        r = try do GenServer.call(s, {{:sleep, 400}}, 100) catch :exit, e -> e end
        IO.puts("timeout=#{{inspect r}}")
        receive do m -> IO.puts("stray=#{{inspect m}}") after 800 -> IO.puts("stray=none") end
        t0 = System.monotonic_time(:millisecond)
        r = try do GenServer.call({{:nope, rust}}, :x, 5000) catch :exit, e -> e end
        IO.puts("noproc=#{{inspect r}} fast=#{{System.monotonic_time(:millisecond) - t0 < 2000}}")
        pid = :rpc.call(rust, :erlang, :whereis, [:kv])
        IO.puts("bypid=#{{inspect GenServer.call(pid, {{:put, :b, 2}})}}")
        ref = make_ref()
        send(pid, {{:"$gen_call", {{self(), ref}}, {{:get, :b}}}})
        receive do {{^ref, r}} -> IO.puts("oldtag=#{{inspect r}}") after 2000 -> IO.puts("oldtag=timeout") end
        IO.puts("state=#{{inspect :sys.get_state(s)}}")
        {{:status, ^pid, {{:module, :gen_server}}, [_, :running, _, _, items]}} = :sys.get_status(s)
        IO.puts("status=#{{inspect Enum.at(items, 0)}}")
        tasks = for i <- 1..1000, do: Task.async(fn -> GenServer.call(s, {{:put, i, i}}, 30000) end)
        IO.puts("concurrent=#{{Enum.count(Task.await_many(tasks, 60000), &(&1 == :ok))}}")
        IO.puts("erpc=#{{inspect :erpc.call(node(), GenServer, :call, [s, {{:get, 7}}])}}")
        ref = Process.monitor({{:st, rust}})
        IO.puts("stop=#{{inspect GenServer.stop({{:st, rust}}, :bye)}}")
        receive do {{:DOWN, ^ref, _, _, r}} -> IO.puts("stopdown=#{{inspect r}}") after 3000 -> IO.puts("stopdown=timeout") end
        ref = Process.monitor({{:st2, rust}})
        IO.puts("stopme=#{{inspect GenServer.call({{:st2, rust}}, :stop_me)}}")
        receive do {{:DOWN, ^ref, _, _, r}} -> IO.puts("stopmedown=#{{inspect r}}") after 3000 -> IO.puts("stopmedown=timeout") end
        r = try do GenServer.call({{:crashy, rust}}, :crash) catch :exit, e -> e end
        IO.puts("crash=#{{inspect r}}")
        IO.puts("done")
        "#
    );
    let mut ex = elixir("--sname", &unique("caller"), COOKIE, epmd, &script);
    assert!(ex.finish(120).await, "{}", ex.output());
    let out = ex.output();
    assert_eq!(line(&out, "put="), ":ok");
    assert_eq!(line(&out, "get="), "{:ok, 1}");
    assert_eq!(line(&out, "erl="), "{:ok, 1}");
    assert_eq!(line(&out, "inf="), "{:ok, 1}");
    assert_eq!(line(&out, "get2="), ":error");
    assert_eq!(line(&out, "later="), "{:later, 5}");
    assert!(
        line(&out, "timeout=").starts_with("{:timeout, {GenServer, :call,"),
        "{out}"
    );
    assert_eq!(
        line(&out, "stray="),
        "none",
        "a late reply reached the caller"
    );
    assert!(
        line(&out, "noproc=").starts_with("{:noproc, {GenServer, :call,"),
        "{out}"
    );
    assert!(line(&out, "noproc=").ends_with("fast=true"), "{out}");
    assert_eq!(line(&out, "bypid="), ":ok");
    assert_eq!(line(&out, "oldtag="), "{:ok, 2}");
    assert_eq!(line(&out, "state="), ":size_1");
    assert!(
        line(&out, "status=").contains("Status for generic server kv"),
        "{out}"
    );
    assert_eq!(line(&out, "concurrent="), "1000");
    assert_eq!(line(&out, "erpc="), "{:ok, 7}");
    assert_eq!(line(&out, "stop="), ":ok");
    assert_eq!(line(&out, "stopdown="), ":bye");
    assert_eq!(line(&out, "stopme="), ":stopping");
    assert_eq!(line(&out, "stopmedown="), ":normal");
    assert!(
        line(&out, "crash=").starts_with("{{:panic, \"boom\"}, {GenServer, :call,"),
        "{out}"
    );
    assert!(node.whereis("st").is_none() && node.whereis("crashy").is_none());
    node.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_call_to_a_rust_node_that_goes_down_exits_with_nodedown() {
    if !have_elixir("a_call_to_a_rust_node_that_goes_down_exits_with_nodedown") {
        return;
    }
    let epmd = free_port();
    let node = lib_node(&unique("rust"), epmd).await;
    gen_server::start_with(&node, Kv::default(), Options::new().name("kv"))
        .await
        .unwrap();
    let me = node.name().to_owned();
    let script = format!(
        r#"
        rust = :"{me}"
        true = Node.connect(rust)
        IO.puts("calling")
        r = try do GenServer.call({{:kv, rust}}, {{:sleep, 20000}}, 30000) catch :exit, e -> e end
        IO.puts("down=#{{inspect r}}")
        "#
    );
    let mut ex = elixir("--sname", &unique("caller"), COOKIE, epmd, &script);
    ex.wait_for("calling", 30).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let t0 = Instant::now();
    node.shutdown().await;
    assert!(ex.finish(30).await, "{}", ex.output());
    let out = ex.output();
    assert!(
        line(&out, "down=").starts_with(&format!("{{{{:nodedown, :{me}}}, {{GenServer, :call,")),
        "{out}"
    );
    assert!(t0.elapsed() < Duration::from_secs(10));
}

/// An Elixir node running `Srv`, registered as `srv`, until killed.
fn elixir_server(epmd: u16, alive: &str) -> Proc {
    let script = r#"
        defmodule Srv do
          use GenServer
          def init(x), do: {:ok, x}
          def handle_call({:echo, x}, _from, s), do: {:reply, x, s}
          def handle_call({:sleep, ms, x}, _from, s) do
            Process.sleep(ms)
            {:reply, x, s}
          end
          def handle_call(:get, _from, s), do: {:reply, s, s}
          def handle_call(:die, _from, s), do: {:stop, :boom, s}
          def handle_cast({:set, v}, _s), do: {:noreply, v}
        end
        defmodule MyApp.User do
          defstruct [:name]
        end
        {:ok, _} = GenServer.start(Srv, :initial, name: :srv)
        IO.puts("ready")
        Process.sleep(:infinity)
        "#;
    elixir("--sname", alive, COOKIE, epmd, script)
}

#[tokio::test(flavor = "multi_thread")]
async fn rust_calls_an_elixir_gen_server() {
    if !have_elixir("rust_calls_an_elixir_gen_server") {
        return;
    }
    let epmd = free_port();
    let node = lib_node(&unique("rust"), epmd).await;
    let alive = unique("srv");
    let ex = elixir_server(epmd, &alive);
    ex.wait_for("ready", 30).await;
    let peer = sname(&alive);
    let srv = ("srv", peer.as_str());
    let t = Duration::from_secs(5);
    let mut p = node.process();
    let echo = term::tuple(vec![term::atom("echo"), term::int(42)]);
    assert_eq!(p.call(srv, echo.clone(), t).await, Ok(term::int(42)));
    // From the node too, and by pid.
    assert_eq!(node.gen_call(srv, echo.clone(), t).await, Ok(term::int(42)));
    // Cast, then a call sees its effect.
    p.cast(srv, term::tuple(vec![term::atom("set"), term::atom("v2")]));
    assert_eq!(
        p.call(srv, term::atom("get"), t).await,
        Ok(term::atom("v2"))
    );
    // Timeout: the late reply goes to a dropped alias and never reaches the mailbox.
    let slow = term::tuple(vec![
        term::atom("sleep"),
        term::int(300),
        term::atom("late"),
    ]);
    assert_eq!(
        p.call(srv, slow, Duration::from_millis(50)).await,
        Err(GenCallError::Timeout)
    );
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert_eq!(
        p.receive_timeout(Duration::from_millis(200)).await,
        Err(erlnode::ReceiveError::Timeout),
        "a late reply or DOWN was left in the mailbox"
    );
    // Unknown name: noproc, at once.
    let t0 = Instant::now();
    assert_eq!(
        p.call(("nope", peer.as_str()), term::atom("x"), t).await,
        Err(GenCallError::NoProc)
    );
    assert!(t0.elapsed() < Duration::from_secs(2));
    // Locally unknown name: noproc without any message.
    assert_eq!(
        p.call("nope", term::atom("x"), t).await,
        Err(GenCallError::NoProc)
    );
    // The server exits during the call.
    assert_eq!(
        p.call(srv, term::atom("die"), t).await,
        Err(GenCallError::Exit(term::atom("boom")))
    );
    assert_eq!(
        p.call(srv, term::atom("get"), t).await,
        Err(GenCallError::NoProc)
    );
    assert_eq!(
        p.receive_timeout(Duration::from_millis(200)).await,
        Err(erlnode::ReceiveError::Timeout)
    );
    node.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_call_to_a_killed_peer_fails_with_noconnection() {
    if !have_elixir("a_call_to_a_killed_peer_fails_with_noconnection") {
        return;
    }
    let epmd = free_port();
    let node = lib_node(&unique("rust"), epmd).await;
    let alive = unique("srv");
    let ex = elixir_server(epmd, &alive);
    ex.wait_for("ready", 30).await;
    let peer = sname(&alive);
    let call = {
        let node = node.clone();
        let peer = peer.clone();
        tokio::spawn(async move {
            let slow = term::tuple(vec![term::atom("sleep"), term::int(20000), term::atom("x")]);
            node.gen_call(("srv", peer.as_str()), slow, Duration::from_secs(30))
                .await
        })
    };
    tokio::time::sleep(Duration::from_millis(800)).await;
    ex.signal("KILL");
    let r = tokio::time::timeout(Duration::from_secs(15), call)
        .await
        .expect("the call ends when the peer dies")
        .unwrap();
    assert_eq!(r, Err(GenCallError::NoConnection(peer)));
    node.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn aliases_both_ways() {
    if !have_elixir("aliases_both_ways") {
        return;
    }
    let epmd = free_port();
    let node = lib_node(&unique("rust"), epmd).await;
    // A Rust process that gives Elixir an alias, then deactivates it on request.
    let ready = tokio::sync::oneshot::channel::<()>();
    let (got_tx, mut got_rx) = tokio::sync::mpsc::unbounded_channel::<Term>();
    let holder = node.spawn(move |mut p| async move {
        let _ = ready.1.await;
        let alias = p.alias();
        // Wait for the Elixir side's pid, then give it our alias.
        while let Ok(m) = p.receive().await {
            if let Some([tag, who]) = term::as_tuple(&m)
                && term::is_atom(tag, "hello")
                && let Some(who) = term::as_pid(who)
            {
                p.send(
                    who,
                    term::tuple(vec![term::atom("alias"), term::reference(&alias)]),
                );
            } else if term::is_atom(&m, "unalias") {
                assert!(p.unalias(&alias));
            } else if let Some([tag, a]) = term::as_tuple(&m)
                && term::is_atom(tag, "their_alias")
                && let Term::Reference(a) = a
            {
                // Rust -> Elixir: send to the Elixir process's alias.
                p.send_alias(a, term::atom("via_alias"));
            } else {
                let _ = got_tx.send(m);
            }
        }
        term::atom("normal")
    });
    node.register("holder", &holder).unwrap();
    let _ = ready.0.send(());
    let me = node.name().to_owned();
    let script = format!(
        r#"
        rust = :"{me}"
        h = {{:holder, rust}}
        send(h, {{:hello, self()}})
        a = receive do {{:alias, a}} -> a after 5000 -> raise "no alias" end
        send(a, :first)
        send(h, :unalias)
        Process.sleep(300)
        send(a, :second)
        send(h, :third)
        mine = :erlang.alias()
        send(h, {{:their_alias, mine}})
        receive do :via_alias -> IO.puts("got_alias=yes") after 5000 -> IO.puts("got_alias=no") end
        :erlang.unalias(mine)
        send(h, {{:their_alias, mine}})
        receive do m -> IO.puts("after_unalias=#{{inspect m}}") after 800 -> IO.puts("after_unalias=none") end
        "#
    );
    let mut ex = elixir("--sname", &unique("al"), COOKIE, epmd, &script);
    assert!(ex.finish(60).await, "{}", ex.output());
    let out = ex.output();
    assert_eq!(line(&out, "got_alias="), "yes");
    assert_eq!(line(&out, "after_unalias="), "none");
    // Elixir -> Rust: :first through the alias, :second dropped (inactive alias), :third by name.
    let mut got = Vec::new();
    while let Ok(Some(m)) = tokio::time::timeout(Duration::from_millis(500), got_rx.recv()).await {
        got.push(m);
    }
    assert_eq!(got, vec![term::atom("first"), term::atom("third")]);
    node.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn rust_calls_a_rust_server_on_the_same_node() {
    let node = Node::builder(format!("{}@localhost", unique("solo")))
        .cookie("c")
        .epmd_port(free_port())
        .start()
        .await
        .unwrap();
    let pid = gen_server::start_with(&node, Kv::default(), Options::new().name("kv"))
        .await
        .unwrap();
    let t = Duration::from_secs(5);
    let put = term::tuple(vec![term::atom("put"), term::atom("k"), term::int(1)]);
    assert_eq!(node.gen_call("kv", put, t).await, Ok(term::atom("ok")));
    let get = term::tuple(vec![term::atom("get"), term::atom("k")]);
    let mut p = node.process();
    assert_eq!(
        p.call(&pid, get.clone(), t).await,
        Ok(term::tuple(vec![term::atom("ok"), term::int(1)]))
    );
    assert_eq!(
        p.call(
            (("kv"), node.name()),
            term::tuple(vec![term::atom("later"), term::int(3)]),
            t
        )
        .await,
        Ok(term::tuple(vec![term::atom("later"), term::int(3)]))
    );
    let slow = term::tuple(vec![term::atom("sleep"), term::int(200)]);
    assert_eq!(
        p.call("kv", slow, Duration::from_millis(20)).await,
        Err(GenCallError::Timeout)
    );
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(
        p.receive_timeout(Duration::from_millis(100)).await,
        Err(erlnode::ReceiveError::Timeout)
    );
    // Already started under that name.
    assert!(matches!(
        gen_server::start_with(&node, Kv::default(), Options::new().name("kv")).await,
        Err(gen_server::StartError::AlreadyStarted(_))
    ));
    // A panic in a call: the caller sees the exit reason.
    assert_eq!(
        p.call("kv", term::atom("crash"), t).await,
        Err(GenCallError::Exit(term::tuple(vec![
            term::atom("panic"),
            term::binary("boom")
        ])))
    );
    assert!(!node.is_alive(&pid));
    node.shutdown().await;
}

mod typed {
    use serde::{Deserialize, Serialize};
    use std::collections::BTreeMap;

    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
    #[serde(rename_all = "snake_case")]
    pub enum Shape {
        Dot,
        Circle(f64),
        Rect(i64, i64),
        Named { label: String },
    }

    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
    pub struct Item {
        pub id: u64,
        pub big: i128,
        pub name: String,
        pub price: Option<f64>,
        pub missing: Option<String>,
        pub tags: Vec<String>,
        pub shape: Shape,
        pub pair: (i32, bool),
        pub counts: BTreeMap<String, i32>,
        #[serde(with = "erlnode::term::serde::pid")]
        pub owner: erlnode::Pid,
    }

    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
    pub struct User {
        #[serde(rename = "__struct__", with = "erlnode::term::serde::atom")]
        pub kind: String,
        pub name: String,
    }

    #[derive(Debug, Serialize)]
    #[serde(rename_all = "snake_case")]
    pub enum Req {
        Echo(Item),
    }

    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    pub struct Line {
        pub id: u32,
    }

    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    pub struct Order {
        pub items: Vec<Line>,
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn typed_terms_round_trip_through_a_real_node() {
    use typed::*;
    if !have_elixir("typed_terms_round_trip_through_a_real_node") {
        return;
    }
    let epmd = free_port();
    let node = lib_node(&unique("rust"), epmd).await;
    let alive = unique("srv");
    let ex = elixir_server(epmd, &alive);
    ex.wait_for("ready", 30).await;
    let peer = sname(&alive);
    let t = Duration::from_secs(5);
    let me = node.process();
    let item = Item {
        id: u64::MAX,
        big: -(1i128 << 100),
        name: "héllo ☃".into(),
        price: Some(9.5),
        missing: None,
        tags: vec!["a".into(), "b".into()],
        shape: Shape::Rect(3, -4),
        pair: (-1, true),
        counts: BTreeMap::from([("x".into(), 1), ("y".into(), 2)]),
        owner: me.pid().clone(),
    };
    // Through BEAM and back: hd([x]) returns the term as BEAM re-encodes it.
    for shape in [
        Shape::Dot,
        Shape::Circle(1.5),
        Shape::Rect(1, 2),
        Shape::Named { label: "l".into() },
    ] {
        let back: Shape = node
            .call_as(&peer, "erlang", "hd", &(vec![shape.clone()],), t)
            .await
            .unwrap();
        assert_eq!(back, shape);
    }
    let back: Item = node
        .call_as(&peer, "erlang", "hd", &(vec![item.clone()],), t)
        .await
        .unwrap();
    assert_eq!(back, item);
    // What iex prints is what term::display prints.
    let user = User {
        kind: "Elixir.MyApp.User".into(),
        name: "ada".into(),
    };
    for v in [
        erlnode::term::to_term(&user).unwrap(),
        erlnode::term::to_term(&Shape::Named { label: "x".into() }).unwrap(),
        erlnode::term::to_term(&(1u8, "two", [3.5f64])).unwrap(),
        erlnode::term::to_term(&BTreeMap::from([("k", vec![Some(1), None])])).unwrap(),
    ] {
        let shown = node
            .call(&peer, "Elixir.Kernel", "inspect", vec![v.clone()], t)
            .await
            .unwrap();
        let shown: String = erlnode::term::from_term(&shown).unwrap();
        assert_eq!(shown, erlnode::term::display(&v).to_string());
    }
    let back: User = node
        .call_as(&peer, "erlang", "hd", &(vec![user.clone()],), t)
        .await
        .unwrap();
    assert_eq!(back, user);
    // Typed GenServer call into Elixir.
    let mut p = node.process();
    let echoed: Item = p
        .call_as(("srv", peer.as_str()), &Req::Echo(item.clone()), t)
        .await
        .unwrap();
    assert_eq!(echoed, item);
    // A term built by Elixir that does not fit: the error names the path.
    let built = node
        .call(
            &peer,
            "Elixir.Code",
            "eval_string",
            vec![term::binary(
                r#"%{items: [%{id: 1}, %{id: 2}, %{id: 3}, %{id: "7"}]}"#,
            )],
            t,
        )
        .await
        .unwrap();
    let value = term::as_tuple(&built).unwrap()[0].clone();
    let err = erlnode::term::from_term::<Order>(&value).unwrap_err();
    assert_eq!(
        err.to_string(),
        r#"expected integer at .items[3].id, got "7""#
    );
    let echo = term::tuple(vec![term::atom("echo"), value]);
    let reply = p.call(("srv", peer.as_str()), echo, t).await.unwrap();
    let err = erlnode::term::from_term::<Order>(&reply).unwrap_err();
    assert_eq!(err.path(), Some(".items[3].id"));
    node.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_examples_work_against_elixir() {
    if !have_elixir("the_examples_work_against_elixir") {
        return;
    }
    let epmd = free_port();
    let kv_alive = unique("kv");
    let kv = example(
        "kv_server",
        &["--sname", &kv_alive, "--cookie", COOKIE],
        epmd,
    );
    kv.wait_for("kv ready on", 30).await;
    let kv_node = sname(&kv_alive);
    let script = format!(
        r#"
        s = {{:kv, :"{kv_node}"}}
        IO.puts("put=#{{inspect GenServer.call(s, {{:put, :color, "blue"}})}}")
        IO.puts("get=#{{inspect GenServer.call(s, {{:get, :color}})}}")
        GenServer.cast(s, {{:delete, :color}})
        IO.puts("get2=#{{inspect GenServer.call(s, {{:get, :color}})}}")
        IO.puts("bad=#{{inspect GenServer.call(s, :what)}}")
        GenServer.call(s, {{:put, {{1, 2}}, [3]}})
        IO.puts("state=#{{inspect :sys.get_state(s)}}")
        "#
    );
    let mut ex = elixir("--sname", &unique("one"), COOKIE, epmd, &script);
    assert!(ex.finish(60).await, "{}", ex.output());
    let out = ex.output();
    assert_eq!(line(&out, "put="), ":ok");
    assert_eq!(line(&out, "get="), "{:ok, \"blue\"}");
    assert_eq!(line(&out, "get2="), ":error");
    assert!(line(&out, "bad=").starts_with("{:error, \""), "{out}");
    assert_eq!(line(&out, "state="), "%{{1, 2} => [3]}");

    // call_elixir against the Inventory server of its docs.
    let shop = unique("shop");
    let script = r#"
        defmodule Inventory do
          use GenServer
          def init(stock), do: {:ok, stock}
          def handle_call({:add, %{sku: sku, qty: qty}}, _from, stock) when qty > 0 do
            stock = Map.update(stock, sku, qty, &(&1 + qty))
            {:reply, {:ok, %{sku: sku, total: stock[sku]}}, stock}
          end
          def handle_call({:add, _}, _from, stock), do: {:reply, {:error, "qty must be positive"}, stock}
        end
        GenServer.start(Inventory, %{}, name: :inventory)
        IO.puts("ready")
        Process.sleep(:infinity)
        "#;
    let inv = elixir("--sname", &shop, COOKIE, epmd, script);
    inv.wait_for("ready", 30).await;
    let peer = sname(&shop);
    let mut ce = example(
        "call_elixir",
        &[
            "--sname",
            &unique("ce"),
            "--cookie",
            COOKIE,
            "--peer",
            &peer,
        ],
        epmd,
    );
    assert!(ce.finish(60).await, "{}", ce.output());
    let out = ce.output();
    assert!(out.contains("apple: 3 in stock"), "{out}");
    assert!(out.contains("apple: 5 in stock"), "{out}");
    assert!(out.contains("refused: qty must be positive"), "{out}");
    assert!(
        out.contains("Ok(Stock { sku: \"plum\", total: 1 })"),
        "{out}"
    );
}

/// OTP 28+ sends alias, name and pid messages with `[priority]`, and exit
/// signals to an alias, as ALTACT_SIG_SEND; Rust sends priority messages back.
/// On an older OTP the script says so and only the version is checked.
#[tokio::test(flavor = "multi_thread")]
async fn priority_messages_and_exits_to_aliases_otp28() {
    if !have_elixir("priority_messages_and_exits_to_aliases_otp28") {
        return;
    }
    let epmd = free_port();
    let node = lib_node(&unique("rust"), epmd).await;
    let (got_tx, mut got_rx) = tokio::sync::mpsc::unbounded_channel::<Term>();
    let holder = node.spawn(move |mut p| async move {
        let alias = p.alias();
        while let Ok(m) = p.receive().await {
            if let Some([tag, who]) = term::as_tuple(&m)
                && term::is_atom(tag, "hello")
                && let Some(who) = term::as_pid(who)
            {
                p.send(
                    who,
                    term::tuple(vec![term::atom("alias"), term::reference(&alias)]),
                );
            } else if let Some([tag, Term::Reference(a)]) = term::as_tuple(&m)
                && term::is_atom(tag, "their_alias")
            {
                p.send_priority(a, term::atom("via_prio"));
            } else {
                let _ = got_tx.send(m);
            }
        }
        term::atom("normal")
    });
    node.register("pholder", &holder).unwrap();
    let me = node.name().to_owned();
    let script = format!(
        r#"
        rust = :"{me}"
        h = {{:pholder, rust}}
        rel = List.to_integer(:erlang.system_info(:otp_release))
        if rel >= 28 do
          send(h, {{:hello, self()}})
          a = receive do {{:alias, a}} -> a after 5000 -> raise "no alias" end
          :erlang.send(a, :prio_alias, [:priority])
          :erlang.send(h, :prio_name, [:priority])
          pid = :rpc.call(rust, :erlang, :whereis, [:pholder])
          :erlang.send(pid, :prio_pid, [:priority])
          pa = :erlang.alias([:priority])
          send(h, {{:their_alias, pa}})
          receive do :via_prio -> IO.puts("got_prio=yes") after 5000 -> IO.puts("got_prio=no") end
          Process.sleep(300)
          ref = Process.monitor(pid)
          r = try do :erlang.exit(a, :prio_exit, [:priority]) catch k, e -> {{k, e}} end
          IO.puts("exit_call=#{{inspect r}}")
          receive do {{:DOWN, ^ref, _, _, why}} -> IO.puts("down=#{{inspect why}}") after 5000 -> IO.puts("down=timeout") end
        else
          IO.puts("otp=#{{rel}}")
        end
        "#
    );
    let mut ex = elixir("--sname", &unique("pr"), COOKIE, epmd, &script);
    assert!(ex.finish(60).await, "{}", ex.output());
    let out = ex.output();
    if let Some(rel) = out.lines().find_map(|l| l.strip_prefix("otp=")) {
        assert!(rel.parse::<u32>().unwrap() < 28, "{out}");
        eprintln!("OTP {rel}: priority messages need OTP 28 or later; only checked on OTP 28+");
        node.shutdown().await;
        return;
    }
    assert_eq!(line(&out, "got_prio="), "yes");
    assert_eq!(line(&out, "exit_call="), "true");
    assert_eq!(line(&out, "down="), ":prio_exit");
    let mut got = Vec::new();
    while let Ok(Some(m)) = tokio::time::timeout(Duration::from_millis(500), got_rx.recv()).await {
        got.push(m);
    }
    assert_eq!(
        got,
        vec![
            term::atom("prio_alias"),
            term::atom("prio_name"),
            term::atom("prio_pid")
        ]
    );
    node.shutdown().await;
}

/// OTP 28+: priority messages a BEAM process sends to a Rust process's
/// priority alias are received before the ordinary messages already waiting;
/// a priority send to a plain alias, and an ordinary send to the priority
/// alias, keep their place.
#[tokio::test(flavor = "multi_thread")]
async fn priority_messages_jump_the_queue_of_a_rust_process_otp28() {
    if !have_elixir("priority_messages_jump_the_queue_of_a_rust_process_otp28") {
        return;
    }
    let epmd = free_port();
    let node = lib_node(&unique("rust"), epmd).await;
    let (go_tx, go_rx) = tokio::sync::oneshot::channel::<()>();
    let (got_tx, mut got_rx) = tokio::sync::mpsc::unbounded_channel::<Vec<String>>();
    let holder = node.spawn(move |mut p| async move {
        let hello = p.receive().await.unwrap();
        let Some([_, who]) = term::as_tuple(&hello) else {
            return term::atom("bad_hello");
        };
        let who = term::as_pid(who).unwrap().clone();
        let aliases = term::tuple(vec![
            term::atom("aliases"),
            term::reference(&p.alias_priority()),
            term::reference(&p.alias()),
        ]);
        p.send(&who, aliases);
        // Everything the script sends is queued before the process looks.
        let _ = go_rx.await;
        let mut order = Vec::new();
        for _ in 0..6 {
            let m = p.receive().await.unwrap();
            order.push(term::as_atom(&m).unwrap_or("?").to_owned());
        }
        let _ = got_tx.send(order);
        term::atom("normal")
    });
    node.register("pq", &holder).unwrap();
    let go = std::sync::Mutex::new(Some(go_tx));
    node.register_fn("pq", "go", 0, move |_ctx, _args| {
        if let Some(tx) = go.lock().unwrap().take() {
            let _ = tx.send(());
        }
        async { Ok(term::atom("ok")) }
    });
    let me = node.name().to_owned();
    let script = format!(
        r#"
        rust = :"{me}"
        rel = List.to_integer(:erlang.system_info(:otp_release))
        if rel >= 28 do
          send({{:pq, rust}}, {{:hello, self()}})
          {{urgent, plain}} = receive do {{:aliases, u, p}} -> {{u, p}} after 5000 -> raise "no aliases" end
          pid = :rpc.call(rust, :erlang, :whereis, [:pq])
          send(pid, :o1)
          send(pid, :o2)
          :erlang.send(plain, :o3, [:priority])
          :erlang.send(urgent, :u1, [:priority])
          send(urgent, :o4)
          :erlang.send(urgent, :u2, [:priority])
          IO.puts("go=#{{inspect :erpc.call(rust, :pq, :go, [])}}")
        else
          IO.puts("otp=#{{rel}}")
        end
        "#
    );
    let mut ex = elixir("--sname", &unique("pq"), COOKIE, epmd, &script);
    assert!(ex.finish(60).await, "{}", ex.output());
    let out = ex.output();
    if let Some(rel) = out.lines().find_map(|l| l.strip_prefix("otp=")) {
        assert!(rel.parse::<u32>().unwrap() < 28, "{out}");
        eprintln!("OTP {rel}: priority messages need OTP 28 or later; only checked on OTP 28+");
        node.shutdown().await;
        return;
    }
    assert_eq!(line(&out, "go="), ":ok", "{out}");
    let order = tokio::time::timeout(Duration::from_secs(10), got_rx.recv())
        .await
        .expect("the holder reports its order")
        .unwrap();
    assert_eq!(order, ["u1", "u2", "o1", "o2", "o3", "o4"], "{out}");
    node.shutdown().await;
}

/// A `gen_server:call` to the Rust node's `rex` that times out: the reply the
/// service sends later goes to the caller's alias, which the call dropped, so
/// it never reaches the caller's mailbox (as with any BEAM gen_server).
#[tokio::test(flavor = "multi_thread")]
async fn a_late_reply_from_a_built_in_service_is_dropped_by_the_callers_alias() {
    if !have_elixir("a_late_reply_from_a_built_in_service_is_dropped_by_the_callers_alias") {
        return;
    }
    let epmd = free_port();
    let node = lib_node(&unique("rust"), epmd).await;
    node.register_fn("slow", "answer", 0, |_ctx, _args| async {
        tokio::time::sleep(Duration::from_millis(600)).await;
        Ok(term::atom("late"))
    });
    let me = node.name().to_owned();
    let script = format!(
        r#"
        rust = :"{me}"
        r = try do
          :gen_server.call({{:rex, rust}}, {{:call, :slow, :answer, [], self()}}, 100)
        catch :exit, {{reason, _}} -> {{:exit, reason}}
        end
        IO.puts("first=#{{inspect r}}")
        left = receive do m -> inspect(m) after 1500 -> "none" end
        IO.puts("left=#{{left}}")
        IO.puts("again=#{{inspect :gen_server.call({{:rex, rust}}, {{:call, :slow, :answer, [], self()}}, 5000)}}")
        "#
    );
    let mut ex = elixir("--sname", &unique("late"), COOKIE, epmd, &script);
    assert!(ex.finish(60).await, "{}", ex.output());
    let out = ex.output();
    assert_eq!(line(&out, "first="), "{:exit, :timeout}", "{out}");
    assert_eq!(line(&out, "left="), "none", "{out}");
    assert_eq!(line(&out, "again="), ":late", "{out}");
    node.shutdown().await;
}

/// The Rust node (the kv_server example, its own OS process) is killed with
/// SIGKILL while Elixir calls it in a loop: the caller exits with nodedown.
#[tokio::test(flavor = "multi_thread")]
async fn a_rust_node_killed_during_calls_gives_the_caller_nodedown() {
    if !have_elixir("a_rust_node_killed_during_calls_gives_the_caller_nodedown") {
        return;
    }
    let epmd = free_port();
    let kv_alive = unique("kv");
    let kv = example(
        "kv_server",
        &["--sname", &kv_alive, "--cookie", COOKIE],
        epmd,
    );
    kv.wait_for("kv ready on", 30).await;
    let kv_node = sname(&kv_alive);
    let script = format!(
        r#"
        s = {{:kv, :"{kv_node}"}}
        :ok = GenServer.call(s, {{:put, :n, 0}})
        IO.puts("calling")
        loop = fn loop, n ->
          case GenServer.call(s, {{:get, :n}}, 10000) do
            {{:ok, _}} -> loop.(loop, n + 1)
          end
        end
        r = try do loop.(loop, 0) catch :exit, e -> e end
        IO.puts("down=#{{inspect r}}")
        "#
    );
    let mut ex = elixir("--sname", &unique("caller"), COOKIE, epmd, &script);
    ex.wait_for("calling", 30).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    kv.signal("KILL");
    assert!(ex.finish(30).await, "{}", ex.output());
    let out = ex.output();
    let down = line(&out, "down=");
    assert!(
        down.starts_with(&format!("{{{{:nodedown, :{kv_node}}}, {{GenServer, :call,")),
        "{out}"
    );
}
