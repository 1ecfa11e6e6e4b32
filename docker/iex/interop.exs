# Helpers loaded into every iex node of the docker interop tests (docker/iex/entry.sh).
# The test script drives them through interop-probe, which evaluates an expression on a
# node with :rpc, e.g. `Interop.echo(:"rust@host3")`.
defmodule Interop do
  @moduledoc false
  import Bitwise

  def now, do: System.os_time(:millisecond)

  def log(line), do: IO.puts(:stderr, "[interop #{node()}] " <> line)

  # Start a registered process unless one with that name is alive already.
  def ensure(name, fun) do
    case Process.whereis(name) do
      nil ->
        pid = spawn(fun)
        Process.register(pid, name)
        pid

      pid ->
        pid
    end
  end

  def call(name, msg, timeout \\ 5_000) do
    ref = make_ref()
    send(name, {msg, self(), ref})

    receive do
      {^ref, reply} -> reply
    after
      timeout -> {:error, :timeout}
    end
  end

  ## Boot

  def boot do
    ensure(:interop_events, &events_init/0)

    if System.get_env("STANDIN") == "1", do: standin()

    for n <- String.split(System.get_env("CONNECT", "")) do
      spawn(fn -> connect(String.to_atom(n), 30_000) end)
    end

    :ok
  end

  ## Node events: every nodeup/nodedown (visible and hidden), with wall-clock times.
  ## Logged like erlnode logs them: "node up: N" / "node down: N (reason)".

  defp events_init do
    :ok = :net_kernel.monitor_nodes(true, [{:node_type, :all}, :nodedown_reason])
    events_loop([])
  end

  defp events_loop(acc) do
    receive do
      {:nodeup, n, info} ->
        log("node up: #{n} (#{info[:node_type]})")
        events_loop([{now(), :up, n, info[:node_type]} | acc])

      {:nodedown, n, info} ->
        log("node down: #{n} (#{inspect(info[:nodedown_reason])})")
        events_loop([{now(), :down, n, info[:nodedown_reason]} | acc])

      {:get, from, ref} ->
        send(from, {ref, Enum.reverse(acc)})
        events_loop(acc)
    end
  end

  def events, do: call(:interop_events, :get)

  # Wait for an event of `kind` (:up or :down) about `n` at or after `since` (ms, wall
  # clock).  Returns {:ok, at_ms, info} or {:timeout, events_seen_about_n}.
  def wait_event(n, kind, since, timeout_ms \\ 20_000) do
    deadline = now() + timeout_ms
    wait_event_loop(n, kind, since, deadline)
  end

  defp wait_event_loop(n, kind, since, deadline) do
    evs = events()

    case Enum.find(evs, fn {t, k, nn, _} -> nn == n and k == kind and t >= since end) do
      {t, _, _, info} ->
        {:ok, t, info}

      nil ->
        if now() > deadline do
          {:timeout, Enum.filter(evs, fn {_, _, nn, _} -> nn == n end)}
        else
          Process.sleep(100)
          wait_event_loop(n, kind, since, deadline)
        end
    end
  end

  ## Connections

  # Node.connect, retried until true or the timeout passes.
  def connect(n, timeout_ms \\ 10_000) do
    deadline = now() + timeout_ms
    connect_loop(n, deadline)
  end

  defp connect_loop(n, deadline) do
    cond do
      Node.connect(n) == true -> true
      now() > deadline -> false
      true -> Process.sleep(250) && connect_loop(n, deadline)
    end
  end

  # Wait until `n` is (or is not) in Node.list(type).
  def wait_listed(n, type, want \\ true, timeout_ms \\ 10_000) do
    deadline = now() + timeout_ms
    wait_listed_loop(n, type, want, deadline)
  end

  defp wait_listed_loop(n, type, want, deadline) do
    cond do
      (n in Node.list(type)) == want -> true
      now() > deadline -> false
      true -> Process.sleep(100) && wait_listed_loop(n, type, want, deadline)
    end
  end

  def lists, do: %{visible: Node.list(:visible), hidden: Node.list(:hidden)}

  ## Registered sends

  # A term using most of the external term format: small/big integers, floats, atoms
  # (also non-latin1), binaries, strings, lists, improper lists, tuples, maps, pid, ref.
  def rich_term(ref) do
    {:interop, ref, self(), 42, -7, 1 <<< 70, -(1 <<< 70), 3.25, :atom, :"åtom ✓",
     "binary ✓", <<0, 255, 1>>, ~c"chars", [1, [2, [3]], :x], [1 | 2], {}, [],
     %{:a => 1, "b" => [2.5], {:k} => %{}}}
  end

  # Send {self(), term} to {:echo, n} and wait for the same term back.
  def echo(n, kind \\ :simple, timeout_ms \\ 5_000) do
    ref = make_ref()
    term = if kind == :rich, do: rich_term(ref), else: {:ping, ref}
    send({:echo, n}, {self(), term})

    receive do
      ^term -> :ok
    after
      timeout_ms ->
        receive do
          other -> {:error, {:unexpected, other}}
        after
          0 -> {:error, :timeout}
        end
    end
  end

  def inbox(n, atom), do: send({:inbox, n}, atom) && :ok

  # Run spawner.(marker) in a process whose group leader is a StringIO here, and wait
  # until `marker` shows up in that StringIO: the process spawned elsewhere (Node.spawn
  # with an MFA or with a shell fun) must write to the caller's group leader.
  # Returns {:ok, node_of_spawned_pid, output} or {:error, reason, output}.
  def capture(spawner, timeout_ms \\ 5_000) do
    {:ok, io} = StringIO.open("")
    me = self()
    marker = "spawned-#{System.unique_integer([:positive])}"

    spawn(fn ->
      Process.group_leader(self(), io)
      send(me, {:spawned, marker, spawner.(marker)})
    end)

    receive do
      {:spawned, ^marker, pid} when is_pid(pid) ->
        wait_output(io, marker, node(pid), now() + timeout_ms)

      {:spawned, ^marker, other} ->
        {:error, {:spawn_returned, other}, ""}
    after
      timeout_ms -> {:error, :spawn_timeout, ""}
    end
  end

  defp wait_output(io, marker, where, deadline) do
    {_, out} = StringIO.contents(io)

    cond do
      String.contains?(out, marker) ->
        {:ok, where, out}

      now() > deadline ->
        {:error, :no_output, out}

      true ->
        Process.sleep(100)
        wait_output(io, marker, where, deadline)
    end
  end

  # Print `text` through the IO server globally registered as `name`, waiting up to
  # `timeout_ms` for the name to appear.  (No :global.sync/0 here: it waits for every
  # connected node's global server, and a node without one would block it for good.)
  def global_io(name, text, timeout_ms \\ 10_000) do
    deadline = now() + timeout_ms
    global_io_loop(name, text, deadline)
  end

  defp global_io_loop(name, text, deadline) do
    case :global.whereis_name(name) do
      :undefined ->
        if now() > deadline do
          {:error, :not_registered, :global.registered_names()}
        else
          Process.sleep(200)
          global_io_loop(name, text, deadline)
        end

      pid ->
        {IO.puts(pid, text), node(pid)}
    end
  end

  ## Monitors that outlive the probe: start_monitor(target) then monitor_result().

  def start_monitor(target) do
    if old = Process.whereis(:interop_mon), do: Process.exit(old, :kill)
    Process.sleep(10)

    pid =
      spawn(fn ->
        ref = Process.monitor(target)
        mon_loop(ref, nil)
      end)

    Process.register(pid, :interop_mon)
    :ok
  end

  defp mon_loop(ref, result) do
    receive do
      {:DOWN, ^ref, _, _, reason} -> mon_loop(ref, {:down, reason, now()})
      {:get, from, r} -> send(from, {r, result}) && mon_loop(ref, result)
    end
  end

  def monitor_result, do: call(:interop_mon, :get)

  # Wait until the monitor started by start_monitor/1 has fired; nil on timeout.
  def wait_monitor(timeout_ms \\ 10_000) do
    deadline = now() + timeout_ms
    wait_monitor_loop(deadline)
  end

  defp wait_monitor_loop(deadline) do
    case monitor_result() do
      {:down, _, _} = down ->
        down

      _ ->
        if now() > deadline, do: nil, else: Process.sleep(100) && wait_monitor_loop(deadline)
    end
  end

  ## Stand-in for erlnode (STANDIN=1): the same registered processes and options.

  defp standin do
    ensure(:echo, &echo_loop/0)
    ensure(:inbox, &inbox_loop/0)

    case System.get_env("GLOBAL_IO", "") do
      "" -> :ok
      name -> :yes = :global.register_name(String.to_atom(name), Process.whereis(:user))
    end
  end

  defp echo_loop do
    receive do
      {pid, term} when is_pid(pid) -> send(pid, term)
      _ -> :ok
    end

    echo_loop()
  end

  defp inbox_loop do
    receive do
      msg -> log("inbox: " <> inspect(msg))
    end

    inbox_loop()
  end
end

Interop.boot()
