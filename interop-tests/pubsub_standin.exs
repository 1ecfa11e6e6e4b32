# A stand-in for Phoenix.PubSub's PG2 adapter (hex is not reachable from the tests), written
# from the adapter's wire behaviour only: workers registered under the group names, joined to
# those groups in the pg scope Phoenix.PubSub; broadcasts send
# {:forward_to_local, topic, message, dispatcher} to the group members on other nodes.
defmodule StandIn.PubSub do
  @scope Phoenix.PubSub

  def start(name, pool_size \\ 1) do
    case :pg.start(@scope) do
      {:ok, _} -> :ok
      {:error, {:already_started, _}} -> :ok
    end

    {:ok, _} = Registry.start_link(keys: :duplicate, name: name)
    groups = groups(name, pool_size)
    :persistent_term.put({__MODULE__, name}, List.to_tuple(groups))

    for g <- groups do
      me = self()

      spawn(fn ->
        Process.register(self(), g)
        :ok = :pg.join(@scope, g, self())
        send(me, {:joined, g})
        worker(name)
      end)

      receive do
        {:joined, ^g} -> :ok
      end
    end

    :ok
  end

  def groups(name, pool_size) do
    adapter = Module.concat(name, "Adapter")
    [adapter | for(n <- 2..pool_size//1, do: :"#{adapter}_#{n}")]
  end

  defp worker(name) do
    receive do
      {:forward_to_local, topic, message, _dispatcher} -> dispatch(name, :none, topic, message)
      _ -> :ok
    end

    worker(name)
  end

  def subscribe(name, topic) do
    {:ok, _} = Registry.register(name, topic, nil)
    :ok
  end

  defp group(name) do
    groups = :persistent_term.get({__MODULE__, name})
    elem(groups, :erlang.phash2(self(), tuple_size(groups)))
  end

  defp remote(name, topic, message) do
    for pid <- :pg.get_members(@scope, group(name)), node(pid) != node() do
      send(pid, {:forward_to_local, topic, message, Phoenix.PubSub})
    end

    :ok
  end

  def broadcast(name, topic, message) do
    remote(name, topic, message)
    dispatch(name, :none, topic, message)
  end

  def broadcast_from(name, from, topic, message) do
    remote(name, topic, message)
    dispatch(name, from, topic, message)
  end

  def local_broadcast(name, topic, message), do: dispatch(name, :none, topic, message)

  def direct_broadcast(node, name, topic, message) do
    send({group(name), node}, {:forward_to_local, topic, message, Phoenix.PubSub})
    :ok
  end

  defp dispatch(name, from, topic, message) do
    Registry.dispatch(name, topic, fn entries ->
      for {pid, _} <- entries, pid != from, do: send(pid, message)
    end)

    :ok
  end
end
