//! The beam bench's Phoenix.PubSub fan-out case: A broadcasts through a PG2-style PubSub and one subscriber counts, on B (BEAM to BEAM) or on the Rust node (BEAM to Rust).
//!
//! Both BEAM nodes run a minimal PG2 adapter (`BenchPS`, loaded with
//! `Code.eval_string`): a worker registered as `BenchPS.Adapter` and joined to
//! that group in the pg scope `Phoenix.PubSub`, handing each
//! `{:forward_to_local, topic, message, dispatcher}` to the local subscribers of
//! `topic`. The Rust node runs `erlnode::pubsub` with the same name. A broadcast
//! from A goes to the worker of every other node (B and Rust) either way, as the
//! adapter sends it; only the node with the subscriber hands it on.

use super::{Ctx, Payload, int_of};
use erlnode::{Node, Process, Term, pubsub, term};

use std::time::Duration;

/// The Elixir side. Subscribers of a node sit in a pg scope of that node only
/// (`bench_local`, never discovered by others), so no Registry is needed.
const BENCH_PS: &str = r#"
defmodule BenchPS do
  @scope Phoenix.PubSub
  @group BenchPS.Adapter

  def start do
    me = self()
    spawn(fn ->
      case :pg.start(@scope) do
        {:ok, _} -> :ok
        {:error, {:already_started, _}} -> :ok
      end
      {:ok, _} = :pg.start(:"bench_local_#{node()}")
      Process.register(self(), @group)
      :ok = :pg.join(@scope, @group, self())
      send(me, :started)
      worker()
    end)
    receive do :started -> :ok end
  end

  defp worker do
    receive do
      {:forward_to_local, topic, message, _dispatcher} -> dispatch(topic, message)
      _ -> :ok
    end
    worker()
  end

  defp dispatch(topic, message) do
    for pid <- :pg.get_local_members(:"bench_local_#{node()}", topic), do: send(pid, message)
    :ok
  end

  def workers, do: length(:pg.get_members(@scope, @group))

  def new_counter(topic, n, ack_to) do
    me = self()
    spawn(fn ->
      :ok = :pg.join(:"bench_local_#{node()}", topic, self())
      send(me, :joined)
      count(n, ack_to)
    end)
    receive do :joined -> :ok end
  end

  defp count(0, ack_to), do: send(ack_to, :fanout_ack)
  defp count(k, ack_to), do: (receive do _ -> count(k - 1, ack_to) end)

  # n broadcasts of the payload on topic, as the PG2 adapter sends them;
  # returns the nanoseconds until the subscriber has counted them all.
  def fanout(topic, kind, n) do
    Process.register(self(), :bench_fanout)
    p = Bench.payload(kind)
    msg = {:forward_to_local, topic, p, Phoenix.PubSub}
    peers = for pid <- :pg.get_members(@scope, @group), node(pid) != node(), do: pid
    t0 = :erlang.monotonic_time(:nanosecond)
    send_n(peers, msg, n)
    receive do
      :fanout_ack -> :ok
    after
      300_000 -> exit(:no_fanout_ack)
    end
    Process.unregister(:bench_fanout)
    :erlang.monotonic_time(:nanosecond) - t0
  end

  defp send_n(_peers, _msg, 0), do: :ok
  defp send_n(peers, msg, n) do
    for pid <- peers, do: send(pid, msg)
    send_n(peers, msg, n - 1)
  end
end
"#;

/// The PubSub on the Rust node, kept running for the whole bench.
pub struct FanOut {
    ps: pubsub::PubSub,
}

async fn call(node: &Node, peer: &str, m: &str, f: &str, args: Vec<Term>) -> Term {
    node.call(peer, m, f, args, Duration::from_secs(600))
        .await
        .unwrap_or_else(|e| panic!("{m}.{f} on {peer} failed: {e}"))
}

/// Loads and starts `BenchPS` on A and B, starts the Rust PubSub, and waits
/// until A knows all three workers.
pub async fn setup(c: &Ctx) -> FanOut {
    for peer in [&c.a, &c.b] {
        call(
            &c.node,
            peer,
            "Elixir.Code",
            "eval_string",
            vec![term::binary(BENCH_PS)],
        )
        .await;
        call(&c.node, peer, "Elixir.BenchPS", "start", vec![]).await;
    }
    let ps = pubsub::start(&c.node, "BenchPS")
        .await
        .expect("the Rust PubSub starts");
    for _ in 0..600 {
        let n = call(&c.node, &c.a, "Elixir.BenchPS", "workers", vec![]).await;
        if int_of(&n, "workers") == 3 {
            return FanOut { ps };
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("A never saw the three PubSub workers");
}

fn ack_to(c: &Ctx) -> Term {
    term::tuple(vec![term::atom("bench_fanout"), term::atom(&c.a)])
}

/// Broadcasts per second from A with the one subscriber on B.
pub async fn beam_subscriber(c: &Ctx, p: Payload, n: usize) -> f64 {
    let topic = term::binary("fanout_b");
    call(
        &c.node,
        &c.b,
        "Elixir.BenchPS",
        "new_counter",
        vec![topic.clone(), term::int(n as i64), ack_to(c)],
    )
    .await;
    let ns = call(
        &c.node,
        &c.a,
        "Elixir.BenchPS",
        "fanout",
        vec![topic, term::atom(p.key()), term::int(n as i64)],
    )
    .await;
    n as f64 / (int_of(&ns, "fanout") as f64 / 1e9)
}

/// Broadcasts per second from A with the one subscriber on the Rust node.
pub async fn rust_subscriber(c: &Ctx, f: &FanOut, p: Payload, n: usize) -> f64 {
    let sub = c.node.process();
    f.ps.subscribe(sub.pid(), "fanout_r")
        .expect("the Rust subscriber subscribes");
    let a = c.a.clone();
    let counter = tokio::spawn(count(sub, n, a));
    let ns = call(
        &c.node,
        &c.a,
        "Elixir.BenchPS",
        "fanout",
        vec![
            term::binary("fanout_r"),
            term::atom(p.key()),
            term::int(n as i64),
        ],
    )
    .await;
    counter.await.expect("the Rust subscriber");
    n as f64 / (int_of(&ns, "fanout") as f64 / 1e9)
}

/// Counts `n` messages, then acks to `{:bench_fanout, A}`; the subscription
/// ends with the process.
async fn count(mut sub: Process, n: usize, a: String) {
    for _ in 0..n {
        sub.receive_timeout(Duration::from_secs(300))
            .await
            .expect("a broadcast");
    }
    sub.send_named_remote(&a, "bench_fanout", term::atom("fanout_ack"))
        .await
        .expect("the ack goes out");
}
