# Evaluate an expression on another node and print the result (see probe.sh).
[target, expr] = System.argv()
target = String.to_atom(target)

connected =
  Enum.reduce_while(1..20, false, fn _, _ ->
    if Node.connect(target) == true,
      do: {:halt, true},
      else: (Process.sleep(250); {:cont, false})
  end)

unless connected do
  IO.puts(:stderr, "probe: cannot connect to #{target}")
  System.halt(3)
end

case :rpc.call(target, Code, :eval_string, [expr], 120_000) do
  {:badrpc, reason} ->
    IO.puts(:stderr, "probe: badrpc " <> inspect(reason, limit: :infinity))
    System.halt(2)

  {value, _binding} ->
    IO.puts(inspect(value, limit: :infinity, printable_limit: :infinity))
end
