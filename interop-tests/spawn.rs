//! Interop tests for Node.spawn onto our node: MFAs, spawn_link/spawn_monitor, undef, and output in the caller's group leader.

mod common;

use common::*;
use erlnode::Exception;
use erlnode::term;

#[tokio::test(flavor = "multi_thread")]
async fn node_spawn_of_mfas_with_output_in_the_callers_group_leader() {
    if !have_elixir("node_spawn_of_mfas_with_output_in_the_callers_group_leader") {
        return;
    }
    let epmd = free_port();
    let node = lib_node(&unique("rust"), epmd).await;
    node.register_fn("demo", "fail", 1, |_ctx, a| async move {
        Err(Exception::exit(a[0].clone()))
    });
    let me = node.name().to_owned();
    let script = format!(
        r#"
        rust = :"{me}"
        {{:ok, io}} = StringIO.open("")
        Process.group_leader(self(), io)
        Node.spawn(rust, IO, :puts, ["hi from rust"])
        Node.spawn(rust, IO, :write, ["no newline|"])
        Node.spawn(rust, IO, :inspect, [%{{list: [1, 2.5, "x"], atom: :"日本"}}])
        Node.spawn(rust, IO, :inspect, [{{:ok, 1}}, [label: "labelled"]])
        Node.spawn(rust, :io, :format, ["~p and ~s~n", [{{:a, 1}}, "str"]])
        Process.sleep(300)
        crash = Node.spawn(rust, :no_such_module, :no_such_fun, [1])
        IO.puts("crash_pid=#{{inspect crash}}")
        Node.spawn(rust, fn -> raise "boom" end)
        Process.sleep(500)
        {{_, out}} = StringIO.contents(io)
        Process.group_leader(self(), Process.whereis(:user))
        IO.puts("CAPTURED<<" <> out <> ">>")
        Process.flag(:trap_exit, true)
        pid = Node.spawn_link(rust, :no_such_module, :f, [])
        receive do {{:EXIT, ^pid, r}} -> IO.puts("link_exit=#{{inspect r}}") after 5000 -> IO.puts("link_exit=timeout") end
        pid = Node.spawn_link(rust, :demo, :fail, [:custom])
        receive do {{:EXIT, ^pid, r}} -> IO.puts("link_exit2=#{{inspect r}}") after 5000 -> IO.puts("link_exit2=timeout") end
        {{pid, ref}} = Node.spawn_monitor(rust, IO, :puts, ["monitored"])
        receive do {{:DOWN, ^ref, :process, ^pid, r}} -> IO.puts("down=#{{inspect r}}") after 5000 -> IO.puts("down=timeout") end
        {{pid, ref}} = Node.spawn_monitor(rust, :nope, :nope, [])
        receive do {{:DOWN, ^ref, :process, ^pid, r}} -> IO.puts("down2=#{{inspect r}}") after 5000 -> IO.puts("down2=timeout") end
        IO.puts("pid_node=#{{node(Node.spawn(rust, IO, :puts, [""]))}}")
        r = try do
          :erlang.spawn_opt(rust, IO, :puts, ["x"], [:bogus_option])
        catch
          c, r -> {{c, r}}
        end
        IO.puts("badopt=#{{inspect r}}")
        "#
    );
    let mut ex = elixir("--sname", &unique("one"), COOKIE, epmd, &script);
    assert!(ex.finish(60).await, "{}", ex.output());
    let out = ex.output();
    for want in [
        "hi from rust",
        "no newline|",
        "%{atom: :日本, list: [1, 2.5, \"x\"]}",
        "labelled: {:ok, 1}",
        "{a,1} and str",
        "** (UndefinedFunctionError) function :no_such_module.no_such_fun/1 is undefined (module :no_such_module is not available)",
        "link_exit={:undef, [{:no_such_module, :f, [], []}]}",
        "link_exit2=:custom",
        "down=:normal",
        "down2={:undef, [{:nope, :nope, [], []}]}",
        &format!("pid_node={me}"),
        "badopt={:error, :badarg}",
    ] {
        assert!(out.contains(want), "missing {want:?} in:\n{out}");
    }
    // Output went to the caller's group leader, not ours: it is inside CAPTURED<<...>>.
    let captured = out.split("CAPTURED<<").nth(1).unwrap_or("");
    assert!(captured.contains("hi from rust"), "{out}");
    // The crash report is Elixir's Logger line, the pid as the spawner prints it.
    let crash_pid = captured
        .lines()
        .find_map(|l| l.strip_prefix("crash_pid="))
        .expect("crash_pid line");
    assert!(crash_pid.starts_with("#PID<") && !crash_pid.starts_with("#PID<0."));
    let line = format!(
        "[error] Process {crash_pid} on node {} raised an exception",
        erlnode::term::print::atom_literal(&me)
    );
    assert!(captured.contains(&line), "missing {line:?} in:\n{out}");
    assert!(!captured.contains("ERROR REPORT"), "{out}");
    assert!(captured.contains("\n** (RuntimeError) boom\n"), "{out}");
    node.shutdown().await;
    let _ = term::nil();
}

/// An erl spawner gets OTP's report, the pid numbered as erl numbers it.
#[tokio::test(flavor = "multi_thread")]
async fn an_erl_spawner_gets_otps_crash_report_with_its_own_pid_numbers() {
    if !have_elixir("an_erl_spawner_gets_otps_crash_report_with_its_own_pid_numbers") {
        return;
    }
    let epmd = free_port();
    let node = lib_node(&unique("rust"), epmd).await;
    let me = node.name().to_owned();
    let script = format!(
        "P = spawn('{me}', no_such_module, f, [1]), io:format(\"crash_pid=~p~n\", [P]), timer:sleep(1500), halt()."
    );
    let mut erl = tokio::process::Command::new("erl");
    erl.args([
        "-sname",
        &unique("erl"),
        "-setcookie",
        COOKIE,
        "-noshell",
        "-eval",
        &script,
    ])
    .env("ERL_EPMD_PORT", epmd.to_string())
    .stdin(std::process::Stdio::null())
    .stdout(std::process::Stdio::piped())
    .stderr(std::process::Stdio::piped())
    .kill_on_drop(true);
    let mut p = Proc::collect_child(erl.spawn().unwrap());
    assert!(p.finish(30).await, "{}", p.output());
    let out = p.output();
    let pid = out
        .lines()
        .find_map(|l| l.strip_prefix("crash_pid="))
        .expect("crash_pid line");
    assert!(out.contains("=ERROR REPORT===="), "{out}");
    let line = format!("Error in process {pid} on node {me} with exit value:");
    assert!(out.contains(&line), "missing {line:?} in:\n{out}");
    assert!(out.contains("{undef,[{no_such_module,f,[1],[]}]}"), "{out}");
    node.shutdown().await;
}
