# Soak driver, run by interop-tests/soak.sh on the BEAM side:
#   elixir --name ... driver.exs RUST_NODE COUNT
# Sends {self(), {epoch, seq}} to the Rust node's `echo` (at most WINDOW unanswered)
# and checks that every reply comes back in order, counting COUNT replies. A
# nodedown starts a new epoch: what was unanswered is sent again once reconnected,
# and any gap or reordering inside an epoch (while connected) fails the run.
[target, count] = System.argv()
target = String.to_atom(target)
total = String.to_integer(count)
window = 1000

defmodule Soak do
  def now, do: System.system_time(:millisecond)

  def connect(t) do
    if Node.connect(t) == true do
      :erlang.monitor_node(t, true)
    else
      Process.sleep(100)
      connect(t)
    end
  end

  def loop(s) do
    s = fill(s)
    epoch = s.epoch

    receive do
      {:nodedown, n} ->
        IO.puts("NODEDOWN #{n} t=#{now()} unanswered=#{s.sent - s.expected}")
        t0 = now()
        connect(s.target)
        IO.puts("RECONNECTED after #{now() - t0} ms t=#{now()}")
        loop(%{s | epoch: s.epoch + 1, sent: s.expected})

      {^epoch, i} ->
        e = epoch
        if i != s.expected do
          IO.puts("ORDER ERROR epoch=#{e} expected=#{s.expected} got=#{i}")
          System.halt(1)
        end
        s = %{s | expected: i + 1}
        if rem(s.expected, 50_000) == 0, do: IO.puts("progress=#{s.expected} t=#{now()}")
        if s.expected == s.total do
          IO.puts("DONE replies=#{s.total} epochs=#{s.epoch + 1} stale=#{s.stale}")
          System.halt(0)
        end
        loop(s)

      {_old_epoch, _i} ->
        loop(%{s | stale: s.stale + 1})
    after
      30_000 ->
        IO.puts("STALL: no reply for 30 s, expected=#{s.expected} sent=#{s.sent}")
        System.halt(1)
    end
  end

  defp fill(s) do
    if s.sent < s.total and s.sent - s.expected < s.window do
      send({:echo, s.target}, {self(), {s.epoch, s.sent}})
      fill(%{s | sent: s.sent + 1})
    else
      s
    end
  end
end

Soak.connect(target)
IO.puts("CONNECTED t=#{Soak.now()}")
Soak.loop(%{target: target, total: total, window: window, epoch: 0, sent: 0, expected: 0, stale: 0})
