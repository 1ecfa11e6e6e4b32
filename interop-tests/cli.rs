//! Interop tests for the command line: `erlnode call`, `eval`, `send`, `ping`, `epmd`, their output as iex prints it and their one-line errors, against real Elixir.

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
            // OTP 26+ keeps atom keys in creation order, and Elixir 1.15+ inspects a
            // map in its own order.
            "%{a: 1, b: \"two\"}|%{b: \"two\", a: 1}",
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
            // Elixir 1.15+ spells the charlist ~c"cl".
            "{:a, 1.5, 'cl'}|{:a, 1.5, ~c\"cl\"}",
        ),
    ] {
        let mut p = call(&args);
        assert!(p.finish(30).await, "{args:?}: {}", p.output());
        let out = p.output();
        assert!(
            want.split('|').any(|w| w == out.trim()),
            "{args:?}: {out:?} is not {want:?}"
        );
    }
    // A call that raises, and a syntax error reported with its position.
    let mut p = call(&[&peer_node, ":erlang", "error", ":boom"]);
    assert!(!p.finish(30).await);
    assert_eq!(p.output(), "** (ErlangError) Erlang error: :boom");
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
            // The name as an Elixir atom names the same process as `inbox`.
            ":inbox",
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

/// Our binary with `args` as given (EPMD's port from `ERL_EPMD_PORT`, so that no
/// flag is appended after a `--`).
fn erlnode_env(args: &[&str], epmd_port: u16) -> Proc {
    let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_erlnode"));
    cmd.args(args)
        .env("ERL_EPMD_PORT", epmd_port.to_string())
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true);
    Proc::collect_child(cmd.spawn().expect("cannot start erlnode"))
}

/// Runs `erlnode ARGS`, expecting failure with exit status `code` and exactly one
/// line of output that contains every one of `needles`.
async fn fails_with_one_line(args: &[&str], epmd: u16, code: i32, needles: &[&str]) {
    let mut p = erlnode_env(args, epmd);
    let status = p.status(30).await;
    let out = p.output();
    assert_eq!(status, Some(code), "{args:?}: {out}");
    assert_eq!(out.lines().count(), 1, "{args:?}: not one line:\n{out}");
    for n in needles {
        assert!(out.contains(n), "{args:?}: {out:?} lacks {n:?}");
    }
}

/// Every value and exception is printed as the Elixir node itself inspects it:
/// the node prints `want KEY TEXT` lines (its own `inspect/2` and
/// `Exception.format_banner/3`), and the CLI's output must equal TEXT.
#[tokio::test(flavor = "multi_thread")]
async fn results_and_exceptions_print_as_iex_prints_them() {
    if !have_elixir("results_and_exceptions_print_as_iex_prints_them") {
        return;
    }
    let epmd = free_port();
    let peer = unique("one");
    let script = r#"
        w = fn k, v -> IO.puts("want #{k} #{Base.encode16(v)}") end
        b = fn k, f -> try do f.() catch c, r -> w.(k, Exception.format_banner(c, r, __STACKTRACE__)) end end
        # What iex prints for a result: inspect with pretty: true at 80 columns.
        i = fn v, o -> inspect(v, [pretty: true, width: 80] ++ o) end
        w.("uri", i.(URI.parse("http://u@x.org:8080/a?q=1#f"), []))
        w.("range", i.(Range.new(1, 10, 2), []))
        w.("mapset", i.(MapSet.new([3, 1, 2]), []))
        w.("date", i.(Date.new!(2024, 1, 2), []))
        w.("utc", i.(DateTime.from_unix!(1_700_000_000_123, :millisecond), []))
        w.("naive", i.(NaiveDateTime.new!(2024, 1, 2, 3, 4, 5), []))
        w.("time", i.(Time.new!(3, 4, 5, {12000, 3}), []))
        w.("regex", i.(Regex.compile!("a/b+", "i"), []))
        w.("limit3", i.(Enum.to_list(1..100), limit: 3))
        w.("limitinf", i.(Enum.to_list(1..60), limit: :infinity))
        # The command line prints a map's keys in term order: OTP 26+ prints them so with
        # `~kp` (its own `~p` follows the map's internal order, which a result that crossed
        # the wire no longer carries).
        fmt = if :erlang.system_info(:otp_release) >= ~c"26", do: ~c"~tkp", else: ~c"~tp"
        w.("erlang", :erlang.iolist_to_binary(:io_lib.format(fmt, [%{a: [1, 2], b: "x"}])))
        b.("protocol", fn -> apply(Enum, :sum, ["abc"]) end)
        b.("undef", fn -> apply(Enum, :nosuch, []) end)
        b.("nomodule", fn -> apply(:nosuch, :fun, []) end)
        b.("badarg", fn -> apply(:erlang, :error, [:badarg]) end)
        b.("badarith", fn -> apply(:erlang, :+, [1, :a]) end)
        b.("clause", fn -> apply(String, :upcase, [1]) end)
        b.("badmatch", fn -> apply(:erlang, :error, [{:badmatch, [1]}]) end)
        b.("keyerror", fn -> apply(Map, :fetch!, [%{}, :k]) end)
        b.("raise", fn -> raise "boom" end)
        b.("exit", fn -> exit(:bye) end)
        IO.puts("ready")
        Process.sleep(60_000)
    "#;
    let ex = elixir("--sname", &peer, COOKIE, epmd, script);
    ex.wait_for("ready", 30).await;
    let node = sname(&peer);
    let want = |k: &str| {
        let k = format!("want {k} ");
        let line = ex
            .out
            .lock()
            .unwrap()
            .iter()
            .find(|l| l.starts_with(&k))
            .cloned()
            .unwrap_or_default();
        let hex = &line[k.len()..];
        let bytes: Vec<u8> = (0..hex.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
            .collect();
        String::from_utf8(bytes).unwrap()
    };
    let run = |args: Vec<&str>| {
        let mut v = args;
        v.extend_from_slice(&["--cookie", COOKIE]);
        let v: Vec<String> = v.iter().map(|s| s.to_string()).collect();
        async move {
            let refs: Vec<&str> = v.iter().map(String::as_str).collect();
            let mut p = erlnode_env(&refs, epmd);
            let ok = p.finish(30).await;
            (ok, p.output())
        }
    };
    let n = node.as_str();
    for (args, key) in [
        (
            vec!["call", n, "URI", "parse", "\"http://u@x.org:8080/a?q=1#f\""],
            "uri",
        ),
        (vec!["call", n, "Range", "new", "1", "10", "2"], "range"),
        (vec!["call", n, "MapSet", "new", "[3, 1, 2]"], "mapset"),
        (vec!["call", n, "Date", "new!", "2024", "1", "2"], "date"),
        (
            vec![
                "call",
                n,
                "DateTime",
                "from_unix!",
                "1700000000123",
                ":millisecond",
            ],
            "utc",
        ),
        (
            vec![
                "call",
                n,
                "NaiveDateTime",
                "new!",
                "2024",
                "1",
                "2",
                "3",
                "4",
                "5",
            ],
            "naive",
        ),
        (
            vec!["call", n, "Time", "new!", "3", "4", "5", "{12000, 3}"],
            "time",
        ),
        (
            vec!["call", n, "Regex", "compile!", "\"a/b+\"", "\"i\""],
            "regex",
        ),
        (
            vec!["call", n, ":lists", "seq", "1", "100", "--limit", "3"],
            "limit3",
        ),
        (
            vec!["call", n, ":lists", "seq", "1", "60", "--limit", "infinity"],
            "limitinf",
        ),
        (
            vec![
                "call",
                n,
                "Map",
                "new",
                "[a: [1, 2], b: \"x\"]",
                "--format",
                "erlang",
            ],
            "erlang",
        ),
    ] {
        let (ok, out) = run(args.clone()).await;
        assert!(ok, "{args:?}: {out}");
        assert_eq!(out.trim_end(), want(key).trim_end(), "{args:?}");
    }
    for (args, key) in [
        (vec!["call", n, "Enum", "sum", "\"abc\""], "protocol"),
        (vec!["call", n, "Enum", "nosuch"], "undef"),
        (vec!["call", n, ":nosuch", "fun"], "nomodule"),
        (vec!["call", n, ":erlang", "error", ":badarg"], "badarg"),
        (vec!["call", n, ":erlang", "+", "1", ":a"], "badarith"),
        (vec!["call", n, "String", "upcase", "1"], "clause"),
        (
            vec!["call", n, ":erlang", "error", "{:badmatch, [1]}"],
            "badmatch",
        ),
        (vec!["call", n, "Map", "fetch!", "%{}", ":k"], "keyerror"),
        (vec!["eval", n, "raise \"boom\""], "raise"),
        (vec!["eval", n, "exit(:bye)"], "exit"),
    ] {
        let (ok, out) = run(args.clone()).await;
        assert!(!ok, "{args:?}: {out}");
        assert!(out.starts_with("** ("), "{args:?}: {out}");
        assert_eq!(out.trim_end(), want(key).trim_end(), "{args:?}");
    }
    // One module, three spellings; a negative number is a term, also after `--`.
    for args in [
        vec!["call", n, "Elixir.Enum", "sum", "[1, 2]"],
        vec!["call", n, ":\"Elixir.Enum\"", "sum", "[1, 2]"],
        vec!["call", n, "Enum", "sum", "[1, 2]"],
    ] {
        assert_eq!(run(args).await, (true, "3".to_owned()));
    }
    assert_eq!(
        run(vec!["call", n, ":erlang", "abs", "-5"]).await,
        (true, "5".into())
    );
    let mut p = erlnode_env(
        &["--cookie", COOKIE, "call", n, ":erlang", "abs", "--", "-5"],
        epmd,
    );
    assert!(p.finish(30).await, "{}", p.output());
    assert_eq!(p.output(), "5");
    // After `--` nothing is a flag: a `--cookie` there is a term, and the error says so.
    fails_with_one_line(
        &[
            "--cookie", COOKIE, "call", n, ":erlang", "abs", "--", "-5", "--cookie", COOKIE,
        ],
        epmd,
        1,
        &["argument 2", "flags after `--` are read as terms"],
    )
    .await;
    // eval: Elixir through Code.eval_string, Erlang through erl_eval.
    assert_eq!(
        run(vec!["eval", n, "Enum.map(1..3, &(&1 * 2))"]).await,
        (true, "[2, 4, 6]".into())
    );
    assert_eq!(
        run(vec!["eval", n, "--erlang", "X = 2, lists:seq(1, X)."]).await,
        (true, "[1,2]".into())
    );
    assert_eq!(
        run(vec!["eval", n, "--erlang", "nosuch:f(1)"]).await,
        (
            false,
            "** exception error: undefined function nosuch:f/1".into()
        )
    );
}

/// Each failing command prints one line saying what failed and why, and exits non-zero.
#[tokio::test(flavor = "multi_thread")]
async fn failing_commands_say_what_and_why_in_one_line() {
    if !have_elixir("failing_commands_say_what_and_why_in_one_line") {
        return;
    }
    let epmd = free_port();
    let peer = unique("one");
    let ex = elixir(
        "--sname",
        &peer,
        COOKIE,
        epmd,
        "IO.puts(\"ready\"); Process.sleep(60_000)",
    );
    ex.wait_for("ready", 30).await;
    let n = sname(&peer);
    let host = short_host();
    // Malformed node names, ours and theirs, in erl's words where erl has some.
    fails_with_one_line(
        &["ping", "one"],
        epmd,
        1,
        &["invalid node name \"one\": expected NAME@HOST"],
    )
    .await;
    fails_with_one_line(
        &["ping", "@vm"],
        epmd,
        1,
        &["invalid node name \"@vm\"", "name before @ is empty"],
    )
    .await;
    fails_with_one_line(&["ping", "one@"], epmd, 1, &["host after @ is empty"]).await;
    fails_with_one_line(
        &["ping", &n, "--sname", "foo@vm.example.com"],
        epmd,
        1,
        &["Can't set short node name!"],
    )
    .await;
    if !erlnode::names::hostname().unwrap().contains('.')
        && !std::fs::read_to_string("/etc/resolv.conf")
            .unwrap_or_default()
            .lines()
            .any(|l| l.starts_with("domain") || l.starts_with("search"))
    {
        fails_with_one_line(
            &["ping", &n, "--name", "foo"],
            epmd,
            1,
            &["Can't set long node name!"],
        )
        .await;
    }
    fails_with_one_line(
        &["ping", &n, "--cookie", ""],
        epmd,
        2,
        &["the cookie is empty"],
    )
    .await;
    fails_with_one_line(&["ping", &n, "--timeout", "0"], epmd, 2, &["--timeout"]).await;
    // No such node, no EPMD, a server that is no EPMD, a wrong cookie.
    fails_with_one_line(
        &["ping", &format!("nosuch@{host}"), "--cookie", COOKIE],
        epmd,
        1,
        &["pang", "no node named nosuch is registered with EPMD"],
    )
    .await;
    let dead = free_port();
    fails_with_one_line(
        &[
            "ping",
            &n,
            "--cookie",
            COOKIE,
            "--epmd-port",
            &dead.to_string(),
        ],
        epmd,
        1,
        &["no EPMD is running"],
    )
    .await;
    let http = tokio::net::TcpListener::bind("0.0.0.0:0").await.unwrap();
    let http_port = http.local_addr().unwrap().port();
    tokio::spawn(async move {
        while let Ok((mut s, _)) = http.accept().await {
            use tokio::io::AsyncWriteExt;
            let _ = s.write_all(b"HTTP/1.1 400 Bad Request\r\n\r\n").await;
        }
    });
    fails_with_one_line(
        &[
            "ping",
            &n,
            "--cookie",
            COOKIE,
            "--epmd-port",
            &http_port.to_string(),
        ],
        epmd,
        1,
        &["does not speak EPMD", "'H'"],
    )
    .await;
    fails_with_one_line(
        &["ping", &n, "--cookie", "not_the_cookie"],
        epmd,
        1,
        &["pang", "did not accept our cookie"],
    )
    .await;
    // A node in EPMD whose port refuses connections, and one whose port never answers.
    let epmd_addr = std::net::SocketAddr::from(([127, 0, 0, 1], epmd));
    let closed = free_port();
    let _ghost = erlnode::epmd::register(epmd_addr, "ghost", closed, false)
        .await
        .unwrap();
    fails_with_one_line(
        &["ping", &format!("ghost@{host}"), "--cookie", COOKIE],
        epmd,
        1,
        &["refuses TCP"],
    )
    .await;
    let silent = tokio::net::TcpListener::bind("0.0.0.0:0").await.unwrap();
    let silent_port = silent.local_addr().unwrap().port();
    let _mute = erlnode::epmd::register(epmd_addr, "mute", silent_port, false)
        .await
        .unwrap();
    fails_with_one_line(
        &[
            "ping",
            &format!("mute@{host}"),
            "--cookie",
            COOKIE,
            "--timeout",
            "1",
        ],
        epmd,
        1,
        &["pang", "no answer within 1 s"],
    )
    .await;
    // A send to a name nobody registered there.
    fails_with_one_line(
        &["send", &n, ":nobody", ":hi", "--cookie", COOKIE],
        epmd,
        1,
        &["no process is registered as :nobody on"],
    )
    .await;
    // A parse error quotes a huge argument shortened.
    let huge = format!("[{}", "1, ".repeat(40_000));
    let mut p = erlnode_env(
        &["call", &n, "Enum", "sum", &huge, "--cookie", COOKIE],
        epmd,
    );
    assert!(!p.finish(30).await);
    assert!(
        p.output().len() < 300 && p.output().contains("characters)"),
        "{}",
        p.output()
    );
    let mut p = erlnode_env(&["ping", &n, &huge], epmd);
    assert_eq!(p.status(30).await, Some(2));
    assert!(
        p.output().len() < 300 && p.output().contains("characters)"),
        "{}",
        p.output()
    );
    // erlnode epmd on a taken port; and its start logged once.
    fails_with_one_line(&["epmd"], epmd, 1, &["port", "is taken"]).await;
    let free = free_port();
    let server = erlnode_env(&["epmd"], free);
    server.wait_for("EPMD listening", 30).await;
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(
        server.output().matches("EPMD listening").count(),
        1,
        "{}",
        server.output()
    );
    assert_eq!(server.output().lines().count(), 1, "{}", server.output());
}

#[tokio::test(flavor = "multi_thread")]
async fn subcommand_help_lists_only_its_own_options() {
    let mut p = erlnode_env(&["ping", "--help"], free_port());
    assert!(p.finish(30).await);
    let help = p.output();
    for want in [
        "<NODE>",
        "NAME@HOST",
        "--timeout",
        "--cookie",
        "Example: erlnode ping",
    ] {
        assert!(help.contains(want), "{want}: {help}");
    }
    for unwanted in [
        "--global-io",
        "--connect",
        "--net-ticktime",
        "--port <",
        "--hidden",
    ] {
        assert!(!help.contains(unwanted), "{unwanted}: {help}");
    }
    let mut p = erlnode_env(&["call", "--help"], free_port());
    assert!(p.finish(30).await);
    let help = p.output();
    for want in [
        "<MODULE>",
        "<FUNCTION>",
        "[ARGS]...",
        "--limit",
        "--format",
        "erlnode call one@vm :erlang abs -5",
    ] {
        assert!(help.contains(want), "{want}: {help}");
    }
    // Node flags are accepted before the subcommand too.
    let mut p = erlnode_env(&["--cookie", "", "ping", "one@vm"], free_port());
    assert_eq!(p.status(30).await, Some(2));
    assert!(p.output().contains("the cookie is empty"), "{}", p.output());
}

/// The running node's log lines show terms in Elixir syntax, pids as iex on this node shows them.
#[tokio::test(flavor = "multi_thread")]
async fn log_lines_show_terms_in_elixir_syntax() {
    if !have_elixir("log_lines_show_terms_in_elixir_syntax") {
        return;
    }
    let epmd = free_port();
    let rust = unique("rust");
    let bin = erlnode(&["--sname", &rust, "--cookie", COOKIE], epmd);
    bin.wait_for("is up", 30).await;
    let script = format!(
        r#"
        Node.spawn(:"{}", :nosuch, :f, [1])
        Process.sleep(1000)
        "#,
        sname(&rust)
    );
    let mut ex = elixir("--sname", &unique("one"), COOKIE, epmd, &script);
    assert!(ex.finish(30).await, "{}", ex.output());
    let line = bin.wait_for("exited:", 10).await;
    assert!(
        line.contains("process #PID<0.")
            && line.contains("running :nosuch.f/1 exited: {:undef, [{:nosuch, :f, [1], []}]}"),
        "{line}"
    );
    assert!(!line.contains('\''), "{line}");
}

/// On a node without Elixir, results print with erlnode's own printer (one line).
#[tokio::test(flavor = "multi_thread")]
async fn results_from_an_erlang_node_print_with_erlnodes_printer() {
    if !have_elixir("results_from_an_erlang_node_print_with_erlnodes_printer") {
        return;
    }
    let epmd = free_port();
    let alive = unique("erl");
    let mut erl = tokio::process::Command::new("erl");
    erl.args([
        "-sname",
        &alive,
        "-setcookie",
        COOKIE,
        "-noshell",
        "-eval",
        "io:format(\"ready~n\"), timer:sleep(60000).",
    ])
    .env("ERL_EPMD_PORT", epmd.to_string())
    .stdin(std::process::Stdio::null())
    .stdout(std::process::Stdio::piped())
    .stderr(std::process::Stdio::piped())
    .kill_on_drop(true);
    let p = Proc::collect_child(erl.spawn().unwrap());
    p.wait_for("ready", 30).await;
    let n = sname(&alive);
    for (args, want) in [
        (vec!["call", &n, ":lists", "seq", "1", "3"], "[1, 2, 3]"),
        (
            vec![
                "call",
                &n,
                ":maps",
                "from_list",
                "[__struct__: URI, host: \"x\", port: 80]",
            ],
            "%URI{host: \"x\", port: 80}",
        ),
        (
            vec![
                "call",
                &n,
                ":maps",
                "from_list",
                "[__struct__: Range, first: 1, last: 9, step: 2]",
            ],
            "1..9//2",
        ),
        (
            vec!["call", &n, ":lists", "seq", "1", "60", "--limit", "2"],
            "[1, 2, ...]",
        ),
        (
            vec!["call", &n, ":lists", "seq", "1", "3", "--format", "erlang"],
            "[1,2,3]",
        ),
    ] {
        let mut v = args.clone();
        v.extend_from_slice(&["--cookie", COOKIE]);
        let mut c = erlnode_env(&v, epmd);
        assert!(c.finish(30).await, "{args:?}: {}", c.output());
        assert_eq!(c.output(), want, "{args:?}");
    }
}
