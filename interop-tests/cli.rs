//! Interop tests for the command line: `erlnode call`, `erlnode send`, and the running node's `echo` and `inbox`, against real Elixir.

mod common;

use common::*;

#[tokio::test(flavor = "multi_thread")]
async fn call_and_send_from_the_command_line() {
    if !have_elixir("call_and_send_from_the_command_line") {
        return;
    }
    let epmd = free_port();
    let rust = unique("rust");
    let mut bin = erlnode(&["--sname", &rust, "--cookie", COOKIE], epmd);
    bin.wait_for("is up", 30).await;
    let peer = unique("one");
    let script = r#"
        Process.register(self(), :shell)
        IO.puts("ready")
        receive do m -> IO.puts("shell got #{inspect m}") after 30_000 -> IO.puts("nothing") end
        Process.sleep(30_000)
    "#;
    let ex = elixir("--sname", &peer, COOKIE, epmd, script);
    ex.wait_for("ready", 30).await;
    let peer_node = sname(&peer);
    let call = |args: &[&str]| {
        let mut v = vec!["call"];
        v.extend_from_slice(args);
        v.extend_from_slice(&["--cookie", COOKIE]);
        erlnode(&v, epmd)
    };
    for (args, want) in [
        (
            vec![peer_node.as_str(), "Enum", "sum", "[1, 2, 3, 4]"],
            "10",
        ),
        (
            vec![peer_node.as_str(), ":lists", "seq", "1", "3"],
            "[1, 2, 3]",
        ),
        (
            vec![peer_node.as_str(), "Map", "put", "%{a: 1}", ":b", "\"two\""],
            "%{a: 1, b: \"two\"}",
        ),
        (
            vec![
                peer_node.as_str(),
                ":erlang",
                "+",
                "123456789012345678901234567890",
                "1",
            ],
            "123456789012345678901234567891",
        ),
        (
            vec![peer_node.as_str(), "String", "upcase", "\"héllo\""],
            "\"HÉLLO\"",
        ),
        (
            vec![
                peer_node.as_str(),
                ":erlang",
                "list_to_tuple",
                "[:a, 1.5, 'cl']",
            ],
            "{:a, 1.5, 'cl'}",
        ),
    ] {
        let mut p = call(&args);
        assert!(p.finish(30).await, "{args:?}: {}", p.output());
        assert_eq!(p.output().trim(), want, "{args:?}");
    }
    // A call that raises, and a syntax error reported with its position.
    let mut p = call(&[&peer_node, ":erlang", "error", ":boom"]);
    assert!(!p.finish(30).await);
    assert!(
        p.output().contains("exception error: :boom"),
        "{}",
        p.output()
    );
    let mut p = call(&[&peer_node, "Enum", "sum", "[1, 2"]);
    assert!(!p.finish(30).await);
    assert!(
        p.output().contains("argument 1") && p.output().contains("1:6"),
        "{}",
        p.output()
    );
    // send to a registered BEAM process, and to our own inbox (printed by the node).
    let mut s = erlnode(
        &[
            "send",
            &peer_node,
            "shell",
            "{:hi, [1, 2], %{k: \"v\"}}",
            "--cookie",
            COOKIE,
        ],
        epmd,
    );
    assert!(s.finish(30).await, "{}", s.output());
    ex.wait_for("shell got {:hi, [1, 2], %{k: \"v\"}}", 10)
        .await;
    let mut s = erlnode(
        &[
            "send",
            &sname(&rust),
            "inbox",
            "{:from_cli, 42, :\"日本\"}",
            "--cookie",
            COOKIE,
        ],
        epmd,
    );
    assert!(s.finish(30).await, "{}", s.output());
    bin.wait_for("{:from_cli, 42, :日本}", 10).await;
    bin.kill();
}

#[tokio::test(flavor = "multi_thread")]
async fn erlnode_epmd_serves_real_erl_and_names_lists_it() {
    if !have_elixir("erlnode_epmd_serves_real_erl_and_names_lists_it") {
        return;
    }
    let epmd = free_port();
    let mut server = erlnode(&["epmd"], epmd);
    server.wait_for("EPMD listening", 30).await;
    let alive = unique("erl");
    let mut erl = tokio::process::Command::new("erl")
        .args(["-sname", &alive, "-noshell", "-start_epmd", "false"])
        .env("ERL_EPMD_PORT", epmd.to_string())
        .stdin(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    // Real epmd's own client and ours both list the erl node.
    let mut listed = false;
    for _ in 0..100 {
        let out = tokio::process::Command::new("epmd")
            .args(["-port", &epmd.to_string(), "-names"])
            .output()
            .await
            .unwrap();
        if String::from_utf8_lossy(&out.stdout).contains(&format!("name {alive} at port")) {
            listed = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(listed, "epmd -names does not list {alive}");
    let mut names = erlnode(&["names"], epmd);
    assert!(names.finish(30).await);
    assert!(
        names.output().contains(&format!("name {alive} at port")),
        "{}",
        names.output()
    );
    let _ = erl.start_kill();
    server.kill();
}

#[tokio::test(flavor = "multi_thread")]
async fn ctrl_c_stops_the_node_cleanly_and_its_epmd_registration_goes() {
    if !have_elixir("ctrl_c_stops_the_node_cleanly_and_its_epmd_registration_goes") {
        return;
    }
    let epmd = free_port();
    // A real epmd, so the registration outlives nothing but our connection to it.
    let mut real_epmd = tokio::process::Command::new("epmd")
        .args(["-port", &epmd.to_string()])
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let names = || async {
        let out = tokio::process::Command::new("epmd")
            .args(["-port", &epmd.to_string(), "-names"])
            .output()
            .await
            .unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let alive = unique("rust");
    let mut bin = erlnode(&["--sname", &alive, "--cookie", COOKIE], epmd);
    bin.wait_for("is up", 30).await;
    assert!(names().await.contains(&format!("name {alive} at port")));
    bin.signal("INT");
    assert!(bin.finish(10).await, "exit status not 0:\n{}", bin.output());
    assert!(bin.output().contains("node stopped"), "{}", bin.output());
    let mut gone = false;
    for _ in 0..50 {
        if !names().await.contains(&format!("name {alive} ")) {
            gone = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(gone, "still registered:\n{}", names().await);
    let _ = real_epmd.start_kill();
}
