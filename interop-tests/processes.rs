//! Interop tests for Rust processes as cluster citizens: sends, links, monitors and rpc both ways, against real Elixir.

mod common;

use common::*;
use erlnode::term;
use erlnode::{CallError, Class, Exception, Node};
use std::time::Duration;

/// A Rust process registered as `name` that exits with `{shutdown, bye}` when it gets `stop`.
fn stoppable(node: &Node, name: &str) -> eetf::Pid {
    let pid = node.spawn(|mut p| async move {
        loop {
            match p.receive().await {
                Ok(m) if term::is_atom(&m, "stop") => {
                    return term::tuple(vec![term::atom("shutdown"), term::atom("bye")]);
                }
                Ok(_) => continue,
                Err(_) => return term::atom("normal"),
            }
        }
    });
    node.register(name, &pid).unwrap();
    pid
}

#[tokio::test(flavor = "multi_thread")]
async fn rich_terms_round_trip_through_echo() {
    if !have_elixir("rich_terms_round_trip_through_echo") {
        return;
    }
    let epmd = free_port();
    let node = lib_node(&unique("rust"), epmd).await;
    start_echo(&node);
    let me = node.name().to_owned();
    let script = format!(
        r#"
        rust = :"{me}"
        f = fn x -> x + 1 end
        terms = [
          0, -1, 255, 256, 2147483647, -2147483648, 2147483648, Integer.pow(2, 100), -Integer.pow(2, 200),
          1.5, -0.0, 1.0e300, 3.14159, "", "héllo ☃", <<1, 2, 255>>, <<1::3>>, <<255, 7::5>>,
          :atom, :"日本語", :"with space", true, nil, [], [1, 2 | 3], ~c"charlist", [{{:a, 1}}, {{:b, 2}}],
          {{}}, {{1, {{2, {{3}}}}}}, %{{}}, %{{"b" => [2], {{:c}} => %{{d: 3.0}}, a: 1}},
          self(), make_ref(), f, &Enum.map/2, :lists.seq(1, 300), String.duplicate("x", 70000),
          Enum.into(1..100, %{{}}, fn i -> {{i, Integer.to_string(i)}} end)
        ]
        Enum.each(terms, fn t ->
          send({{:echo, rust}}, {{self(), t}})
          receive do
            ^t -> :ok
            other -> IO.puts("MISMATCH sent=#{{inspect t}} got=#{{inspect other}}")
          after 5000 -> IO.puts("TIMEOUT #{{inspect t}}")
          end
        end)
        IO.puts("done #{{length(terms)}}")
        "#
    );
    let mut ex = elixir("--sname", &unique("one"), COOKIE, epmd, &script);
    assert!(ex.finish(60).await, "{}", ex.output());
    let out = ex.output();
    assert!(out.contains("done 38"), "{out}");
    assert!(
        !out.contains("MISMATCH") && !out.contains("TIMEOUT"),
        "{out}"
    );
    node.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn beam_monitors_and_links_rust_processes() {
    if !have_elixir("beam_monitors_and_links_rust_processes") {
        return;
    }
    let epmd = free_port();
    let node = lib_node(&unique("rust"), epmd).await;
    for n in ["m1", "l1", "u1"] {
        stoppable(&node, n);
    }
    let me = node.name().to_owned();
    let script = format!(
        r#"
        rust = :"{me}"
        Node.connect(rust)
        w = fn n -> :rpc.call(rust, :erlang, :whereis, [n]) end
        # monitor by pid, DOWN carries the exit reason
        m1 = w.(:m1)
        ref = Process.monitor(m1)
        send(m1, :stop)
        receive do {{:DOWN, ^ref, :process, ^m1, r}} -> IO.puts("down1=#{{inspect r}}") after 5000 -> IO.puts("down1=timeout") end
        # monitor of a dead pid and of an unknown name: noproc
        ref = Process.monitor(m1)
        receive do {{:DOWN, ^ref, :process, _, r}} -> IO.puts("down2=#{{inspect r}}") after 5000 -> IO.puts("down2=timeout") end
        ref = Process.monitor({{:nope, rust}})
        receive do {{:DOWN, ^ref, :process, {{:nope, ^rust}}, r}} -> IO.puts("down3=#{{inspect r}}") after 5000 -> IO.puts("down3=timeout") end
        # demonitor: nothing arrives
        l1 = w.(:l1)
        ref = Process.monitor(l1)
        Process.demonitor(ref)
        # link with trap_exit: the exit reason arrives as a message
        Process.flag(:trap_exit, true)
        Process.link(l1)
        send(l1, :stop)
        receive do {{:EXIT, ^l1, r}} -> IO.puts("exit1=#{{inspect r}}") after 5000 -> IO.puts("exit1=timeout") end
        receive do {{:DOWN, ^ref, _, _, _}} -> IO.puts("demonitor=broken") after 300 -> IO.puts("demonitor=ok") end
        # unlink: no exit message
        u1 = w.(:u1)
        Process.link(u1)
        Process.unlink(u1)
        send(u1, :stop)
        receive do {{:EXIT, ^u1, r}} -> IO.puts("unlink=broken #{{inspect r}}") after 500 -> IO.puts("unlink=ok") end
        # link to a dead Rust pid: noproc
        Process.link(m1)
        receive do {{:EXIT, ^m1, r}} -> IO.puts("exit2=#{{inspect r}}") after 5000 -> IO.puts("exit2=timeout") end
        # exit signal to a Rust process kills it and our monitor sees the reason
        e1 = :rpc.call(rust, :erlang, :whereis, [:e1])
        ref = Process.monitor(e1)
        Process.exit(e1, :because)
        receive do {{:DOWN, ^ref, :process, _, r}} -> IO.puts("exit3=#{{inspect r}}") after 5000 -> IO.puts("exit3=timeout") end
        "#
    );
    stoppable(&node, "e1");
    let mut ex = elixir("--sname", &unique("one"), COOKIE, epmd, &script);
    assert!(ex.finish(60).await, "{}", ex.output());
    let out = ex.output();
    for want in [
        "down1={:shutdown, :bye}",
        "down2=:noproc",
        "down3=:noproc",
        "exit1={:shutdown, :bye}",
        "demonitor=ok",
        "unlink=ok",
        "exit2=:noproc",
        "exit3=:because",
    ] {
        assert!(out.contains(want), "missing {want}:\n{out}");
    }
    node.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn rust_monitors_and_links_beam_processes_and_sees_noconnection() {
    if !have_elixir("rust_monitors_and_links_beam_processes_and_sees_noconnection") {
        return;
    }
    let epmd = free_port();
    let node = lib_node(&unique("rust"), epmd).await;
    let peer = unique("one");
    let peer_node = sname(&peer);
    let script = r#"
        spawn_target = fn name, reason ->
          pid = spawn(fn -> receive do :go -> exit(reason) end end)
          Process.register(pid, name)
        end
        spawn_target.(:t1, :gone)
        spawn_target.(:t2, {:bad, 1})
        spawn_target.(:t3, :never)
        spawn_target.(:t4, :never)
        IO.puts("ready")
        Process.sleep(60_000)
    "#;
    let ex = elixir("--sname", &peer, COOKIE, epmd, script);
    ex.wait_for("ready", 30).await;
    let mut p = node.process();
    p.trap_exit(true);
    // Monitor by name; DOWN names the process as {Name, Node}.
    let r1 = p.monitor_name("t1", &peer_node);
    p.send_named_remote(&peer_node, "t1", term::atom("go"))
        .await
        .unwrap();
    let down = p.receive_timeout(Duration::from_secs(10)).await.unwrap();
    assert_eq!(
        down,
        term::tuple(vec![
            term::atom("DOWN"),
            term::reference(&r1),
            term::atom("process"),
            term::tuple(vec![term::atom("t1"), term::atom(&peer_node)]),
            term::atom("gone"),
        ])
    );
    // Link by pid (from rpc); the exit arrives as {'EXIT', Pid, Reason}.
    let t2 = node
        .call(
            &peer_node,
            "erlang",
            "whereis",
            vec![term::atom("t2")],
            Duration::from_secs(10),
        )
        .await
        .unwrap();
    let t2 = term::as_pid(&t2).unwrap().clone();
    p.link(&t2);
    tokio::time::sleep(Duration::from_millis(200)).await;
    p.send(&t2, term::atom("go"));
    let exit = p.receive_timeout(Duration::from_secs(10)).await.unwrap();
    assert_eq!(
        exit,
        term::tuple(vec![
            term::atom("EXIT"),
            term::pid(&t2),
            term::tuple(vec![term::atom("bad"), term::int(1)]),
        ])
    );
    // Monitor noproc on a name nobody has.
    let r = p.monitor_name("nobody", &peer_node);
    let down = p.receive_timeout(Duration::from_secs(10)).await.unwrap();
    assert!(format!("{down}").contains("noproc"), "{down} for {r:?}");
    // Link and monitor, then the node dies: noconnection for both.
    let t3 = node
        .call(
            &peer_node,
            "erlang",
            "whereis",
            vec![term::atom("t3")],
            Duration::from_secs(10),
        )
        .await
        .unwrap();
    let t3 = term::as_pid(&t3).unwrap().clone();
    let r3 = p.monitor(&t3);
    p.link(&t3);
    tokio::time::sleep(Duration::from_millis(200)).await;
    ex.signal("KILL");
    let mut got = Vec::new();
    for _ in 0..2 {
        got.push(p.receive_timeout(Duration::from_secs(20)).await.unwrap());
    }
    assert!(
        got.contains(&term::tuple(vec![
            term::atom("DOWN"),
            term::reference(&r3),
            term::atom("process"),
            term::pid(&t3),
            term::atom("noconnection"),
        ])),
        "{got:?}"
    );
    assert!(
        got.contains(&term::tuple(vec![
            term::atom("EXIT"),
            term::pid(&t3),
            term::atom("noconnection"),
        ])),
        "{got:?}"
    );
    node.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn beam_monitor_on_a_killed_rust_node_gets_noconnection() {
    if !have_elixir("beam_monitor_on_a_killed_rust_node_gets_noconnection") {
        return;
    }
    let epmd_node = lib_node(&unique("epmdholder"), free_port()).await;
    let _ = epmd_node; // the binary below runs its own embedded EPMD on its port
    let epmd = free_port();
    let rust = unique("rust");
    let bin = erlnode(&["--sname", &rust, "--cookie", COOKIE], epmd);
    bin.wait_for("is up", 30).await;
    let script = format!(
        r#"
        rust = :"{}"
        pid = :rpc.call(rust, :erlang, :whereis, [:echo])
        ref = Process.monitor(pid)
        ref2 = Process.monitor({{:inbox, rust}})
        IO.puts("monitoring")
        receive do {{:DOWN, ^ref, :process, ^pid, r}} -> IO.puts("down=#{{inspect r}}") after 20_000 -> IO.puts("down=timeout") end
        receive do {{:DOWN, ^ref2, :process, _, r}} -> IO.puts("down2=#{{inspect r}}") after 20_000 -> IO.puts("down2=timeout") end
        "#,
        sname(&rust)
    );
    // The binary's embedded EPMD dies with it, so the elixir node registers
    // with a real epmd on its own port instead.
    let mut ex = elixir("--sname", &unique("one"), COOKIE, epmd, &script);
    ex.wait_for("monitoring", 30).await;
    bin.signal("KILL");
    assert!(ex.finish(30).await, "{}", ex.output());
    let out = ex.output();
    assert!(out.contains("down=:noconnection"), "{out}");
    assert!(out.contains("down2=:noconnection"), "{out}");
}

#[tokio::test(flavor = "multi_thread")]
async fn rpc_and_erpc_into_rust_functions() {
    if !have_elixir("rpc_and_erpc_into_rust_functions") {
        return;
    }
    let epmd = free_port();
    let node = lib_node(&unique("rust"), epmd).await;
    node.register_fn("demo", "add", 2, |_ctx, a| async move {
        match (term::as_int(&a[0]), term::as_int(&a[1])) {
            (Some(x), Some(y)) => Ok(term::int(x + y)),
            _ => Err(Exception::badarg()),
        }
    });
    node.register_fn("demo", "fail", 0, |_ctx, _| async move {
        Err(Exception::error(term::atom("boom")))
    });
    node.register_fn("demo", "slow", 0, |_ctx, _| async move {
        tokio::time::sleep(Duration::from_millis(200)).await;
        Ok(term::atom("slept"))
    });
    let me = node.name().to_owned();
    let script = format!(
        r#"
        rust = :"{me}"
        IO.puts("rpc=#{{inspect :rpc.call(rust, :demo, :add, [40, 2])}}")
        IO.puts("erpc=#{{inspect :erpc.call(rust, :demo, :add, [Integer.pow(2, 40), 1])}}")
        IO.puts("slow=#{{inspect :erpc.call(rust, :demo, :slow, [])}}")
        IO.puts("node=#{{inspect :rpc.call(rust, :erlang, :node, [])}}")
        IO.puts("nodes=#{{inspect :erpc.call(rust, :erlang, :nodes, [])}}")
        IO.puts("registered=#{{inspect Enum.sort(:rpc.call(rust, :erlang, :registered, []))}}")
        IO.puts("time=#{{is_integer(:rpc.call(rust, :erlang, :system_time, [:millisecond]))}}")
        IO.puts("apply=#{{inspect :rpc.call(rust, :erlang, :apply, [:demo, :add, [1, 2]])}}")
        IO.puts("undef=#{{inspect :rpc.call(rust, :nope, :nope, [1])}}")
        IO.puts("badarg=#{{inspect :rpc.call(rust, :demo, :add, [:a, 1])}}")
        try do
          :erpc.call(rust, :nope, :nope, [])
        catch
          :error, {{:exception, r, [{{m, f, a, _}} | _]}} -> IO.puts("erpc_undef=#{{inspect {{r, m, f, a}}}}")
        end
        try do
          :erpc.call(rust, :demo, :fail, [])
        catch
          :error, {{:exception, r, _}} -> IO.puts("erpc_fail=#{{inspect r}}")
          c, r -> IO.puts("erpc_fail_other=#{{inspect {{c, r}}}}")
        end
        :erpc.cast(rust, :demo, :add, [1, 1])
        :rpc.cast(rust, :demo, :add, [1, 1])
        IO.puts("multicall=#{{inspect :erpc.multicall([rust, node()], :erlang, :node, [])}}")
        "#
    );
    let mut ex = elixir("--sname", &unique("one"), COOKIE, epmd, &script);
    assert!(ex.finish(60).await, "{}", ex.output());
    let out = ex.output();
    for want in [
        "rpc=42",
        "erpc=1099511627777",
        "slow=:slept",
        &format!("node=:{me}"),
        "nodes=[:one",
        "registered=[:echo", // not registered in this node: see below
    ]
    .iter()
    .filter(|w| !w.starts_with("registered"))
    {
        assert!(out.contains(*want), "missing {want}:\n{out}");
    }
    for want in [
        "registered=[:global_name_server, :net_kernel, :rex]",
        "time=true",
        "apply=3",
        "undef={:badrpc, {:EXIT, {:undef, [{:nope, :nope, [1], []}]}}}",
        "badarg={:badrpc, {:EXIT, {:badarg, []}}}",
        "erpc_undef={:undef, :nope, :nope, []}",
        "erpc_fail=:boom",
        "multicall=[ok: :",
    ] {
        assert!(out.contains(want), "missing {want}:\n{out}");
    }
    node.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn erl_call_reaches_the_rust_node() {
    if !have_elixir("erl_call_reaches_the_rust_node") {
        return;
    }
    let epmd = free_port();
    let alive = unique("rust");
    let node = lib_node(&alive, epmd).await;
    let erl_call = erl_call();
    let out = tokio::process::Command::new(&erl_call)
        .args(["-sname", &alive, "-c", COOKIE, "-a", "erlang node []"])
        .env("ERL_EPMD_PORT", epmd.to_string())
        .output()
        .await
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{text} {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(text.trim().trim_matches('\''), node.name());
    node.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn rust_calls_into_beam() {
    if !have_elixir("rust_calls_into_beam") {
        return;
    }
    let epmd = free_port();
    let node = lib_node(&unique("rust"), epmd).await;
    let peer = unique("one");
    let peer_node = sname(&peer);
    let mut ex = elixir(
        "--sname",
        &peer,
        COOKIE,
        epmd,
        r#"IO.puts("ready"); Process.sleep(60_000)"#,
    );
    ex.wait_for("ready", 30).await;
    let t = Duration::from_secs(10);
    let v = node
        .call(&peer_node, "erlang", "node", vec![], t)
        .await
        .unwrap();
    assert_eq!(v, term::atom(&peer_node));
    let list = term::list((1..=100).map(term::int).collect());
    let v = node
        .call(&peer_node, "Elixir.Enum", "sum", vec![list], t)
        .await
        .unwrap();
    assert_eq!(v, term::int(5050));
    let err = node
        .call(&peer_node, "erlang", "error", vec![term::atom("boom")], t)
        .await
        .unwrap_err();
    assert!(
        matches!(&err, CallError::Exception { class: Class::Error, reason, .. } if *reason == term::atom("boom")),
        "{err:?}"
    );
    let err = node
        .call(
            &peer_node,
            "Elixir.String",
            "to_integer",
            vec![term::binary("x")],
            t,
        )
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            CallError::Exception {
                class: Class::Error,
                ..
            }
        ),
        "{err:?}"
    );
    let err = node
        .call(&peer_node, "nope", "nope", vec![], t)
        .await
        .unwrap_err();
    assert!(format!("{err:?}").contains("undef"), "{err:?}");
    let err = node
        .call(
            &peer_node,
            "timer",
            "sleep",
            vec![term::int(5000)],
            Duration::from_millis(300),
        )
        .await
        .unwrap_err();
    assert_eq!(err, CallError::Timeout);
    let err = node
        .call(&sname("nobody"), "erlang", "node", vec![], t)
        .await
        .unwrap_err();
    assert!(matches!(err, CallError::NoConnection(_)), "{err:?}");
    ex.kill();
    node.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn hundred_thousand_messages_each_way_in_order() {
    if !have_elixir("hundred_thousand_messages_each_way_in_order") {
        return;
    }
    const N: i64 = 100_000;
    let epmd = free_port();
    let node = lib_node(&unique("rust"), epmd).await;
    // BEAM -> Rust: a registered Rust process checks the order and reports.
    let counter = node.spawn(|mut p| async move {
        let mut next = 1i64;
        let mut bad = 0i64;
        loop {
            let Ok(m) = p.receive().await else {
                return term::atom("normal");
            };
            match term::as_tuple(&m) {
                Some([tag, i]) if term::is_atom(tag, "seq") => {
                    if term::as_int(i) != Some(next) {
                        bad += 1;
                    }
                    next += 1;
                }
                Some([tag, from]) if term::is_atom(tag, "done") => {
                    let from = term::as_pid(from).unwrap().clone();
                    p.send(
                        &from,
                        term::tuple(vec![term::int(next - 1), term::int(bad)]),
                    );
                }
                _ => {}
            }
        }
    });
    node.register("counter", &counter).unwrap();
    let me = node.name().to_owned();
    let script = format!(
        r#"
        rust = :"{me}"
        Process.register(self(), :sink)
        for i <- 1..{N}, do: send({{:counter, rust}}, {{:seq, i}})
        send({{:counter, rust}}, {{:done, self()}})
        receive do {{n, bad}} -> IO.puts("to_rust=#{{n}} bad=#{{bad}}") after 60_000 -> IO.puts("to_rust=timeout") end
        IO.puts("ready")
        res = Enum.reduce_while(1..{N}, :ok, fn i, _ ->
          receive do
            {{:seq, ^i}} -> {{:cont, :ok}}
            other -> {{:halt, {{:out_of_order, i, other}}}}
          after 60_000 -> {{:halt, {{:timeout, i}}}}
          end
        end)
        IO.puts("from_rust=#{{inspect res}}")
        "#
    );
    let peer = unique("one");
    let mut ex = elixir("--sname", &peer, COOKIE, epmd, &script);
    ex.wait_for("ready", 120).await;
    let p = node.process();
    for i in 1..=N {
        p.send_named_remote(
            &sname(&peer),
            "sink",
            term::tuple(vec![term::atom("seq"), term::int(i)]),
        )
        .await
        .unwrap();
    }
    assert!(ex.finish(120).await, "{}", ex.output());
    let out = ex.output();
    assert!(out.contains(&format!("to_rust={N} bad=0")), "{out}");
    assert!(out.contains("from_rust=:ok"), "{out}");
    // The node's I/O statistics saw both streams.
    let io = node.io_stats();
    assert!(io.messages_in > N as u64, "{io:?}");
    assert!(io.messages_out >= N as u64, "{io:?}");
    assert!(
        io.bytes_in > 10 * N as u64 && io.bytes_out > 10 * N as u64,
        "{io:?}"
    );
    assert!(io.reads > 0 && io.writes > 0, "{io:?}");
    node.shutdown().await;
}

/// `send_ref` sends a borrowed term, remote and local, without giving it up.
#[tokio::test(flavor = "multi_thread")]
async fn send_ref_keeps_the_term_and_delivers_it() {
    if !have_elixir("send_ref_keeps_the_term_and_delivers_it") {
        return;
    }
    let epmd = free_port();
    let node = lib_node(&unique("rust"), epmd).await;
    let mut p = node.process();
    p.register("collector").unwrap();
    let me = node.name().to_owned();
    let script = format!(
        r#"
        send({{:collector, :"{me}"}}, {{:hello, self()}})
        want = %{{list: Enum.to_list(1..200), bin: "héllo", t: {{:ok, 1.5, -7}}}}
        res = Enum.map(1..3, fn _ ->
          receive do
            ^want -> :ok
            other -> {{:bad, other}}
          after 10_000 -> :timeout
          end
        end)
        IO.puts("send_ref=#{{inspect res}}")
        "#
    );
    let mut ex = elixir("--sname", &unique("one"), COOKIE, epmd, &script);
    let hello = p.receive_timeout(Duration::from_secs(60)).await.unwrap();
    let Some([_, eetf::Term::Pid(beam)]) = term::as_tuple(&hello) else {
        panic!("unexpected {hello}");
    };
    let msg = eetf::Term::Map(eetf::Map {
        map: [
            (
                term::atom("list"),
                term::list((1..=200).map(term::int).collect()),
            ),
            (term::atom("bin"), term::binary("héllo".as_bytes().to_vec())),
            (
                term::atom("t"),
                term::tuple(vec![
                    term::atom("ok"),
                    eetf::Term::Float(eetf::Float { value: 1.5 }),
                    term::int(-7),
                ]),
            ),
        ]
        .into_iter()
        .collect(),
    });
    for _ in 0..3 {
        p.send_ref(beam, &msg);
    }
    assert!(ex.finish(60).await, "{}", ex.output());
    let out = ex.output();
    assert!(out.contains("send_ref=[:ok, :ok, :ok]"), "{out}");
    // Locally: the mailbox gets a copy and the caller keeps the original.
    p.send_ref(&p.pid().clone(), &msg);
    let got = p.receive_timeout(Duration::from_secs(5)).await.unwrap();
    assert_eq!(got, msg);
    node.shutdown().await;
}
