//! Interop tests: iex shell funs (erl_eval closures) spawned on our node by real Elixir, output captured in the caller's group leader.

mod common;

use common::*;

/// Elixir that points its group leader at a StringIO, runs `body` (which
/// spawns on our node `rust`), waits `wait_ms`, then prints what the spawned
/// processes wrote there between `CAPTURED<<` and `>>` on real stdout.
fn captured_script(rust: &str, body: &str, wait_ms: u32) -> String {
    format!(
        r#"
rust = :"{rust}"
true = Node.connect(rust)
{{:ok, io}} = StringIO.open("")
orig = Process.group_leader()
Process.group_leader(self(), io)
{body}
Process.sleep({wait_ms})
Process.group_leader(self(), orig)
{{_, out}} = StringIO.contents(io)
IO.puts("CAPTURED<<" <> out <> ">>")
"#
    )
}

fn captured(out: &str) -> &str {
    let start = out.find("CAPTURED<<").map(|i| i + "CAPTURED<<".len());
    let end = out.rfind(">>");
    match (start, end) {
        (Some(s), Some(e)) if e >= s => &out[s..e],
        _ => panic!("no captured output in:\n{out}"),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn shell_funs_print_in_the_callers_group_leader() {
    if !have_elixir("shell_funs_print_in_the_callers_group_leader") {
        return;
    }
    let epmd = free_port();
    let node = lib_node(&unique("rust"), epmd).await;
    let me = node.name().to_owned();
    let body = r#"
x = 20
Node.spawn(rust, fn -> IO.inspect Node.self end)
Process.sleep(200)
Node.spawn(rust, fn -> IO.puts "sum=#{x + 22}" end)
Process.sleep(200)
Node.spawn(rust, fn -> :io.format("fmt ~p ~s~n", [x, "abc"]) end)
Process.sleep(200)
Node.spawn(rust, fn ->
  m = %{a: 1, b: [1, 2.5, "s"]}
  %{a: a} = m
  <<h, rest::binary>> = "hello"
  case {x, a} do
    {20, n} when is_integer(n) and n > 0 -> IO.puts("case #{n} #{h} #{rest} #{inspect(m.b)}")
    _ -> IO.puts("no")
  end
end)
Process.sleep(200)
Node.spawn(rust, fn ->
  loop = fn loop, n, acc -> if n == 0, do: acc, else: loop.(loop, n - 1, acc + n) end
  IO.puts("loop=#{loop.(loop, 1000, 0)}")
end)
Process.sleep(200)
Node.spawn(rust, fn -> IO.inspect({self(), node(), Node.list()}, label: "who") end)
"#;
    let script = captured_script(&me, body, 1000);
    let mut ex = elixir("--sname", &unique("iex"), COOKIE, epmd, &script);
    assert!(ex.finish(60).await, "elixir failed:\n{}", ex.output());
    let out = ex.output();
    let got = captured(&out);
    let lines: Vec<&str> = got.lines().collect();
    assert_eq!(
        lines.first().copied(),
        Some(format!(":{me}").as_str()),
        "{got}"
    );
    for want in [
        "sum=42",
        "fmt 20 abc",
        "case 1 104 ello [1, 2.5, \"s\"]",
        "loop=500500",
    ] {
        assert!(lines.contains(&want), "missing {want:?} in:\n{got}");
    }
    // The pid is ours (printed relative to the caller's node), the node is us,
    // and the caller is in our node list.
    let who = lines
        .iter()
        .find(|l| l.starts_with("who: {#PID<"))
        .unwrap_or_else(|| panic!("no who line in:\n{got}"));
    assert!(who.contains(&format!(":{me}, [:")), "{who}");
    node.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn shell_funs_receive_send_and_answer_erpc() {
    if !have_elixir("shell_funs_receive_send_and_answer_erpc") {
        return;
    }
    let epmd = free_port();
    let node = lib_node(&unique("rust"), epmd).await;
    let me = node.name().to_owned();
    let script = format!(
        r#"
rust = :"{me}"
me = self()
pid = Node.spawn(rust, fn ->
  receive do
    {{:ping, from}} when is_pid(from) -> send(from, {{:pong, Node.self()}})
  after 5000 -> :timeout
  end
end)
send(pid, {{:ping, me}})
receive do
  m -> IO.puts("got=#{{inspect m}}")
after 5000 -> IO.puts("no pong")
end
{{_, ref}} = Node.spawn_monitor(rust, fn -> receive do _ -> :ok after 100 -> exit(:after_fired) end end)
receive do
  {{:DOWN, ^ref, _, _, reason}} -> IO.puts("after=#{{inspect reason}}")
after 5000 -> IO.puts("no down")
end
server = Node.spawn(rust, fn ->
  loop = fn loop, count ->
    receive do
      {{:add, n, from}} -> send(from, {{:sum, count + n}}); loop.(loop, count + n)
      :stop -> :ok
    end
  end
  loop.(loop, 0)
end)
for n <- [1, 2, 3], do: send(server, {{:add, n, me}})
sums = for _ <- 1..3, do: (receive do {{:sum, s}} -> s after 5000 -> :none end)
IO.puts("sums=#{{inspect sums}}")
send(server, :stop)
IO.puts("erpc=#{{inspect :erpc.call(rust, fn -> 1 + 2 end)}}")
{{spinner, sref}} = Node.spawn_monitor(rust, fn -> loop = fn l -> l.(l) end; loop.(loop) end)
Process.sleep(300)
Process.exit(spinner, :kill)
receive do
  {{:DOWN, ^sref, _, _, reason}} -> IO.puts("spinner=#{{inspect reason}}")
after 5000 -> IO.puts("spinner still running")
end
Node.spawn(rust, fn -> send(me, {{:fun, fn a, b -> a * b end}}) end)
receive do
  {{:fun, f}} -> IO.puts("backfun=#{{f.(6, 7)}}")
after 5000 -> IO.puts("no fun")
end
IO.puts("rpc=#{{inspect :rpc.call(rust, :erlang, :apply, [fn -> Node.self() end, []])}}")
"#
    );
    let mut ex = elixir("--sname", &unique("iex"), COOKIE, epmd, &script);
    assert!(ex.finish(60).await, "elixir failed:\n{}", ex.output());
    let out = ex.output();
    assert!(out.contains(&format!("got={{:pong, :{me}}}")), "{out}");
    assert!(out.contains("after=:after_fired"), "{out}");
    assert!(out.contains("sums=[1, 3, 6]"), "{out}");
    assert!(out.contains("erpc=3"), "{out}");
    // An endless loop yields and can be killed.
    assert!(out.contains("spinner=:killed"), "{out}");
    // A fun made on our node, sent back and called by BEAM's erl_eval.
    assert!(out.contains("backfun=42"), "{out}");
    assert!(out.contains(&format!("rpc=:{me}")), "{out}");
    node.shutdown().await;
}

/// A fun that builds a 200,000-element list with `[h | acc]`, takes it apart
/// with `[h | t]` and reverses it through an anonymous fun, then sends the
/// list back. Cons and matching take constant time, so this is done in
/// seconds even in a debug build; when each cons copied the list, the build
/// alone took minutes (about 7 in a release build), and the wait below ran out.
#[tokio::test(flavor = "multi_thread")]
async fn shell_funs_build_and_walk_long_lists() {
    if !have_elixir("shell_funs_build_and_walk_long_lists") {
        return;
    }
    let epmd = free_port();
    let node = lib_node(&unique("rust"), epmd).await;
    let me = node.name().to_owned();
    let script = format!(
        r#"
rust = :"{me}"
me = self()
n = 200_000
Node.spawn(rust, fn ->
  build = fn _b, 0, acc -> acc; b, k, acc -> b.(b, k - 1, [k | acc]) end
  sum = fn _s, [], a -> a; s, [h | t], a -> s.(s, t, a + h) end
  rev = fn _r, [], acc -> acc; r, [h | t], acc -> r.(r, t, [h | acc]) end
  l = build.(build, n, [])
  send(me, {{:built, l, length(l), sum.(sum, l, 0), hd(rev.(rev, l, []))}})
end)
receive do
  {{:built, l, len, sum, first}} ->
    IO.puts("here=#{{length(l)}},#{{Enum.sum(l)}} there=#{{len}},#{{sum}} reversed_first=#{{first}}")
after 60_000 -> IO.puts("no result")
end
"#
    );
    let mut ex = elixir("--sname", &unique("iex"), COOKIE, epmd, &script);
    assert!(ex.finish(90).await, "elixir failed:\n{}", ex.output());
    let out = ex.output();
    assert!(
        out.contains("here=200000,20000100000 there=200000,20000100000 reversed_first=200000"),
        "{out}"
    );
    node.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn unsupported_constructs_and_errors_end_only_the_process() {
    if !have_elixir("unsupported_constructs_and_errors_end_only_the_process") {
        return;
    }
    let epmd = free_port();
    let node = lib_node(&unique("rust"), epmd).await;
    let me = node.name().to_owned();
    let body = r#"
x = 20
down = fn f ->
  {_, ref} = Node.spawn_monitor(rust, f)
  receive do
    {:DOWN, ^ref, _, _, reason} -> IO.puts(:stderr, "reason=#{inspect reason}")
  after 5000 -> IO.puts(:stderr, "no down")
  end
end
down.(fn -> try do 1 after 2 end end)
down.(fn -> {:ok, v} = {:error, x}; v end)
down.(fn -> Enum.map([1], & &1) end)
down.(fn -> raise "boom" end)
down.(fn -> IO.puts("still alive") end)
IO.puts(:stderr, "ping=#{Node.ping(rust)}")
"#;
    let script = captured_script(&me, body, 300);
    let mut ex = elixir("--sname", &unique("iex"), COOKIE, epmd, &script);
    assert!(ex.finish(60).await, "elixir failed:\n{}", ex.output());
    let out = ex.output();
    assert!(
        old_charlists(&out).contains("reason={{:unsupported, :try, 'line 16'}, []}"),
        "{out}"
    );
    assert!(
        out.contains("reason={{:badmatch, {:error, 20}}, []}"),
        "{out}"
    );
    assert!(
        out.contains("reason={:undef, [{Enum, :map, [[1], "),
        "{out}"
    );
    assert!(
        out.contains("reason={%RuntimeError{message: \"boom\"}, []}"),
        "{out}"
    );
    assert!(out.contains("reason=:normal"), "{out}");
    // The crash reports were printed in the caller's group leader, as Elixir's
    // Logger prints them there.
    let got = captured(&out);
    assert!(
        got.contains("** (ErlangError) Erlang error: {:unsupported, :try, 'line 16'}"),
        "{got}"
    );
    assert!(
        got.contains("** (MatchError) no match of right hand side value: {:error, 20}"),
        "{got}"
    );
    assert!(got.contains("** (RuntimeError) boom"), "{got}");
    assert!(got.contains("still alive"), "{got}");
    // And our node is still up.
    assert!(out.contains("ping=pong"), "{out}");
    node.shutdown().await;
}
