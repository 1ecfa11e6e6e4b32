//! Side-by-side benchmark against real BEAM nodes: one-way throughput, ping-pong RTT, sync calls, CPU per message, idle-process memory.
//!
//! `cargo bench --bench beam` starts two Elixir nodes (A and B) and one Rust
//! node on a private EPMD port and measures, per payload, the same scenario
//! BEAM<->BEAM and Rust<->BEAM in the same run. It prints one table with the
//! ratios and writes `target/bench/beam.json` and `target/bench/beam.md`.
//!
//! Started without `--bench` (as `cargo test --all-targets` does) it runs a
//! smoke version that takes seconds and still checks every scenario against
//! real BEAM. Without `erl`/`elixir` on PATH it skips loudly, except with
//! `CI=true`, where that is a failure.
//!
//! Environment: `BENCH_SCALE` multiplies the stream lengths and durations
//! (default 1); `BENCH_ERL_ARGS` replaces the emulator flags of the BEAM
//! peers (default `+sbwt none +sbwtdcpu none +sbwtdio none`, so that
//! scheduler busy-waiting does not count as work in the CPU figures);
//! `BENCH_ONLY` runs only the scenarios whose names it contains (`stream`,
//! `rtt`, `sync`, `pubsub`, `memory`, `bigrtt`, comma-separated); `BENCH_PAYLOADS` runs only the
//! listed payloads (`int`, `tuple5`, `map10`, `list200`, `bin1k`, `bin64k`);
//! `BENCH_DIRS` only the listed stream directions (`bb`, `br`, `rb`, and `bd`: BEAM to the raw drain, which
//! completes the handshake and then only drains the socket, the ceiling of BEAM->Rust);
//! `BENCH_REPS` sets how many interleaved repetitions each median is of
//! (default 3; at least 7 for RTT); `BENCH_RT=current` runs the Rust node on
//! a single-threaded tokio runtime instead of the multi-threaded one.
//!
//! `BENCH_TLS=1` runs every node on TLS distribution (`-proto_dist inet_tls`,
//! mutual TLS with certificates made at run time): BEAM<->BEAM over TLS next to
//! Rust<->BEAM over TLS (idle-process memory is left out; it does not depend on
//! the carrier). It writes `beam-tls.json` and `beam-tls.md`. The smoke run does
//! both, plain and TLS.
//!
//! The node runs on mimalloc, as the `erlnode` binary does (the default
//! `mimalloc` feature); `--no-default-features` runs it on the system allocator.

// The allocator the `erlnode` binary runs with (see Cargo.toml's `mimalloc` feature).
#[cfg(feature = "mimalloc")]
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[path = "support/tls.rs"]
mod tls;

use eetf::{Pid, Term};
use erlnode::term;
use erlnode::{Node, Process, gen_server};
use std::fmt::Write as _;
use std::net::{Ipv4Addr, TcpListener};
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

#[path = "beam/pubsub.rs"]
mod pubsub_fanout;

const COOKIE: &str = "bench_cookie";
const CALLERS: usize = 120;

/// The Elixir side: payloads, sinks, streams, echo, ping and a GenServer.
const AGENT: &str = r#"
defmodule Bench do
  def payload(:int), do: 42
  def payload(:tuple5), do: {:ok, 123_456, 1234.5678, "hello", :world}
  def payload(:map10), do: Map.new(1..10, fn i -> {String.to_atom("key#{i}"), i} end)
  def payload(:list200), do: Enum.map(1..200, &(&1 * 1000))
  def payload(:bin1k), do: :binary.copy(<<0xAB>>, 1024)
  def payload(:bin64k), do: :binary.copy(<<0xAB>>, 65536)

  def os_pid, do: List.to_integer(:os.getpid())

  def new_sink, do: spawn(&sink/0)

  def sink do
    receive do
      {:bench_start, from, n, every} ->
        drain(from, every, 0, n)
        send(from, {:bench_ack, n})
    end
  end

  # Counts n messages; with every > 0, tells the sender every `every` messages.
  defp drain(_from, _every, n, n), do: :ok
  defp drain(from, every, k, n) do
    receive do
      _ ->
        if every > 0 and rem(k + 1, every) == 0, do: send(from, {:bench_progress, k + 1})
        drain(from, every, k + 1, n)
    end
  end

  def stream(to, kind, n) do
    p = payload(kind)
    t0 = :erlang.monotonic_time(:nanosecond)
    send(to, {:bench_start, self(), n, 0})
    send_n(to, p, n)
    receive do
      {:bench_ack, ^n} -> :erlang.monotonic_time(:nanosecond) - t0
    after
      300_000 -> exit(:no_ack)
    end
  end

  # As stream/3, with this process registered as :bench_streamer, so that a receiver
  # that decodes nothing (the raw drain) can send the ack to it by name.
  def stream_named(to, kind, n) do
    Process.register(self(), :bench_streamer)
    try do
      stream(to, kind, n)
    after
      Process.unregister(:bench_streamer)
    end
  end

  # Round trips of a small message to `echo` while a `mb` MiB binary goes to `sink`
  # from another process on this node: {p50, max, pings done before the binary was
  # in, transfer ns}.
  def big_ping(sink, echo, mb, iters) do
    big = :binary.copy(<<7>>, mb * 1024 * 1024)
    parent = self()
    t0 = :erlang.monotonic_time(:nanosecond)
    spawn(fn -> send(sink, {:bench_start, parent, 1, 0}); send(sink, big) end)
    rtts = for _ <- 1..iters, do: ping_once(echo, :small)
    done = :erlang.monotonic_time(:nanosecond)
    receive do
      {:bench_ack, 1} ->
        t = :erlang.monotonic_time(:nanosecond) - t0
        # Pings that ended before the ack arrived ran while the binary was in flight.
        sorted = Enum.sort(rtts)
        {pct(sorted, iters, 50), List.last(sorted), (if done - t0 < t, do: iters, else: 0), t}
    after
      300_000 -> exit(:no_ack)
    end
  end

  defp send_n(_to, _p, 0), do: :ok
  defp send_n(to, p, n), do: (send(to, p); send_n(to, p, n - 1))

  def new_echo, do: spawn(&echo/0)

  def echo do
    receive do
      {from, m} ->
        send(from, {:pong, m})
        echo()
      :stop ->
        :ok
    end
  end

  def ping(to, kind, iters) do
    p = payload(kind)
    for _ <- 1..max(div(iters, 10), 1), do: ping_once(to, p)
    sorted = Enum.sort(for _ <- 1..iters, do: ping_once(to, p))
    {pct(sorted, iters, 50), pct(sorted, iters, 99)}
  end

  defp ping_once(to, p) do
    t0 = :erlang.monotonic_time(:nanosecond)
    send(to, {self(), p})
    receive do
      {:pong, ^p} -> :erlang.monotonic_time(:nanosecond) - t0
    after
      10_000 -> exit(:no_pong)
    end
  end

  defp pct(sorted, n, p), do: Enum.at(sorted, max(div(n * p + 99, 100) - 1, 0))

  def callers(server, kind, ncallers, ms) do
    p = payload(kind)
    parent = self()
    t0 = :erlang.monotonic_time(:nanosecond)
    deadline = t0 + ms * 1_000_000
    for _ <- 1..ncallers do
      spawn_link(fn -> send(parent, {:calls, call_loop(server, p, deadline, 0)}) end)
    end
    total = Enum.reduce(1..ncallers, 0, fn _, acc -> receive do {:calls, c} -> acc + c end end)
    {total, :erlang.monotonic_time(:nanosecond) - t0}
  end

  defp call_loop(server, p, deadline, c) do
    if :erlang.monotonic_time(:nanosecond) >= deadline do
      c
    else
      ^p = GenServer.call(server, p, 60_000)
      call_loop(server, p, deadline, c + 1)
    end
  end
end

defmodule BenchSrv do
  use GenServer
  def init(s), do: {:ok, s}
  def handle_call(req, _from, s), do: {:reply, req, s}
end

{:ok, _} = GenServer.start(BenchSrv, nil, name: :bench_srv)
IO.puts("bench_ready")
Process.sleep(:infinity)
"#;

#[derive(Clone, Copy, Debug)]
enum Payload {
    Int,
    Tuple5,
    Map10,
    List200,
    Bin1k,
    Bin64k,
}

impl Payload {
    const ALL: [Payload; 6] = [
        Payload::Int,
        Payload::Tuple5,
        Payload::Map10,
        Payload::List200,
        Payload::Bin1k,
        Payload::Bin64k,
    ];

    /// The atom `Bench.payload/1` knows it by.
    fn key(self) -> &'static str {
        match self {
            Payload::Int => "int",
            Payload::Tuple5 => "tuple5",
            Payload::Map10 => "map10",
            Payload::List200 => "list200",
            Payload::Bin1k => "bin1k",
            Payload::Bin64k => "bin64k",
        }
    }

    fn label(self) -> &'static str {
        match self {
            Payload::Int => "small int",
            Payload::Tuple5 => "5-tuple",
            Payload::Map10 => "10-key map",
            Payload::List200 => "200-int list",
            Payload::Bin1k => "1 KiB bin",
            Payload::Bin64k => "64 KiB bin",
        }
    }

    /// The same term `Bench.payload/1` builds.
    fn term(self) -> Term {
        match self {
            Payload::Int => term::int(42),
            Payload::Tuple5 => term::tuple(vec![
                term::atom("ok"),
                term::int(123_456),
                Term::Float(eetf::Float { value: 1234.5678 }),
                term::binary(b"hello".to_vec()),
                term::atom("world"),
            ]),
            Payload::Map10 => Term::Map(eetf::Map {
                map: (1..=10)
                    .map(|i| (term::atom(&format!("key{i}")), term::int(i)))
                    .collect(),
            }),
            Payload::List200 => term::list((1..=200).map(|i| term::int(i * 1000)).collect()),
            Payload::Bin1k => term::binary(vec![0xAB; 1024]),
            Payload::Bin64k => term::binary(vec![0xAB; 65536]),
        }
    }

    /// Messages per one-way stream in the full run (about a second or two each).
    fn stream_len(self) -> usize {
        match self {
            Payload::Int => 400_000,
            Payload::Tuple5 => 400_000,
            Payload::Map10 => 300_000,
            Payload::List200 => 200_000,
            Payload::Bin1k => 300_000,
            Payload::Bin64k => 40_000,
        }
    }
}

/// How much of everything to do.
#[derive(Clone, Copy)]
struct Plan {
    full: bool,
    scale: f64,
    /// Every measurement is taken this many times, interleaved; the median is kept.
    reps: usize,
    rtt_iters: usize,
    sync_ms: u64,
    mem_procs: usize,
}

impl Plan {
    fn stream_len(&self, p: Payload) -> usize {
        if self.full {
            ((p.stream_len() as f64 * self.scale) as usize).max(10)
        } else if matches!(p, Payload::Bin64k) {
            50
        } else {
            500
        }
    }
}

// ---------------------------------------------------------------------------
// BEAM peers
// ---------------------------------------------------------------------------

struct Beam {
    name: String,
    os_pid: u32,
    _child: Child,
    out: Arc<Mutex<Vec<String>>>,
}

fn have_beam() -> bool {
    let found = |tool: &str| {
        std::env::var_os("PATH")
            .is_some_and(|path| std::env::split_paths(&path).any(|dir| dir.join(tool).is_file()))
    };
    if found("erl") && found("elixir") {
        return true;
    }
    if std::env::var("CI").as_deref() == Ok("true") {
        eprintln!("bench beam: `erl`/`elixir` not found on PATH, and CI=true requires them");
        std::process::exit(1);
    }
    eprintln!(
        "\n*** SKIPPING bench beam: `erl`/`elixir` not on PATH (with CI=true this fails) ***\n"
    );
    false
}

fn host() -> String {
    let h = gethostname::gethostname()
        .into_string()
        .unwrap_or_else(|_| "localhost".into());
    h.split('.').next().unwrap_or("localhost").to_owned()
}

fn free_port() -> u16 {
    let l = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).expect("a free port");
    l.local_addr().expect("local addr").port()
}

fn erl_args() -> String {
    std::env::var("BENCH_ERL_ARGS")
        .unwrap_or_else(|_| "+sbwt none +sbwtdcpu none +sbwtdio none".into())
}

async fn start_beam(
    alive: &str,
    epmd_port: u16,
    tls: Option<&tls::BenchTls>,
) -> (String, Child, Arc<Mutex<Vec<String>>>) {
    let mut erl = erl_args();
    if let Some(t) = tls {
        erl = format!("{erl} {}", t.erl_args());
    }
    let mut cmd = Command::new("elixir");
    cmd.arg("--sname")
        .arg(alive)
        .arg("--cookie")
        .arg(COOKIE)
        .arg("--erl")
        .arg(erl)
        .arg("-e")
        .arg(AGENT)
        .env("ERL_EPMD_PORT", epmd_port.to_string())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    let mut child = cmd.spawn().expect("cannot start elixir");
    let out = Arc::new(Mutex::new(Vec::new()));
    for stream in [
        child
            .stdout
            .take()
            .map(|s| Box::new(s) as Box<dyn tokio::io::AsyncRead + Unpin + Send>),
        child
            .stderr
            .take()
            .map(|s| Box::new(s) as Box<dyn tokio::io::AsyncRead + Unpin + Send>),
    ]
    .into_iter()
    .flatten()
    {
        let out = out.clone();
        tokio::spawn(async move {
            let mut lines = BufReader::new(stream).lines();
            while let Ok(Some(line)) = lines.next_line().await {
                if line != "bench_ready" {
                    eprintln!("    | {line}");
                }
                out.lock().unwrap().push(line);
            }
        });
    }
    (format!("{alive}@{}", host()), child, out)
}

async fn wait_ready(out: &Arc<Mutex<Vec<String>>>, name: &str) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while !out.lock().unwrap().iter().any(|l| l == "bench_ready") {
        assert!(
            Instant::now() < deadline,
            "BEAM node {name} did not start; output:\n{}",
            out.lock().unwrap().join("\n")
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// `Bench.f(args)` on `peer` through erpc.
async fn bench_call(node: &Node, peer: &str, f: &str, args: Vec<Term>) -> Term {
    node.call(peer, "Elixir.Bench", f, args, Duration::from_secs(600))
        .await
        .unwrap_or_else(|e| panic!("Bench.{f} on {peer} failed: {e}"))
}

fn int_of(t: &Term, what: &str) -> i64 {
    term::as_int(t).unwrap_or_else(|| panic!("{what}: expected an integer, got {t}"))
}

fn pid_of(t: &Term, what: &str) -> Pid {
    term::as_pid(t)
        .cloned()
        .unwrap_or_else(|| panic!("{what}: expected a pid, got {t}"))
}

fn pair_of(t: &Term, what: &str) -> (i64, i64) {
    match term::as_tuple(t) {
        Some([a, b]) => (int_of(a, what), int_of(b, what)),
        _ => panic!("{what}: expected a pair, got {t}"),
    }
}

// ---------------------------------------------------------------------------
// CPU and memory from /proc
// ---------------------------------------------------------------------------

fn clock_ticks() -> f64 {
    std::process::Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(100.0)
}

/// User + system CPU seconds of OS process `pid` (all its threads).
fn cpu_secs(pid: u32, tck: f64) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let after = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or("");
    let f: Vec<&str> = after.split_whitespace().collect();
    // After the command name: state is field 3, utime 14, stime 15.
    let get = |i: usize| f.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    (get(11) + get(12)) / tck
}

/// Write-family system calls (write, writev, sendmsg...) made so far by OS process `pid`.
fn write_calls(pid: u32) -> f64 {
    std::fs::read_to_string(format!("/proc/{pid}/io"))
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("syscw:"))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0.0)
}

fn rss_bytes() -> u64 {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
    let pages: u64 = statm
        .split_whitespace()
        .nth(1)
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    pages * 4096
}

/// CPU seconds and write calls of several OS processes over a piece of work.
struct CpuWatch {
    pids: Vec<u32>,
    start: Vec<(f64, f64)>,
    tck: f64,
}

impl CpuWatch {
    fn start(pids: &[u32], tck: f64) -> Self {
        CpuWatch {
            pids: pids.to_vec(),
            start: pids
                .iter()
                .map(|&p| (cpu_secs(p, tck), write_calls(p)))
                .collect(),
            tck,
        }
    }
    /// (CPU seconds, write calls) of each process since `start`.
    fn stop(self) -> Vec<(f64, f64)> {
        self.pids
            .iter()
            .zip(&self.start)
            .map(|(&p, (c, w))| (cpu_secs(p, self.tck) - c, write_calls(p) - w))
            .collect()
    }
}

// ---------------------------------------------------------------------------
// Rust-side actors
// ---------------------------------------------------------------------------

fn tuple_parts(t: Term) -> Option<Vec<Term>> {
    match t {
        Term::Tuple(eetf::Tuple { elements }) => Some(elements),
        _ => None,
    }
}

/// Counts `n` messages after `{bench_start, From, N}` and acks to From.
async fn rust_sink(mut p: Process) -> Term {
    let Ok(start) = p.receive().await else {
        return term::atom("normal");
    };
    let (from, n) = match term::as_tuple(&start) {
        Some([tag, from, n, _every]) if term::is_atom(tag, "bench_start") => {
            (pid_of(from, "sink start"), int_of(n, "sink start"))
        }
        _ => panic!("sink: unexpected first message {start}"),
    };
    for _ in 0..n {
        if p.receive().await.is_err() {
            return term::atom("normal");
        }
    }
    p.send(
        &from,
        term::tuple(vec![term::atom("bench_ack"), term::int(n)]),
    );
    term::atom("normal")
}

/// Answers `{From, M}` with `{pong, M}`.
async fn rust_echo(mut p: Process) -> Term {
    while let Ok(m) = p.receive().await {
        if term::is_atom(&m, "stop") {
            break;
        }
        if let Some(mut parts) = tuple_parts(m)
            && parts.len() == 2
        {
            let msg = parts.pop().unwrap_or_else(term::nil);
            if let Term::Pid(from) = &parts[0] {
                p.send(from, term::tuple(vec![term::atom("pong"), msg]));
            }
        }
    }
    term::atom("normal")
}

/// A gen_server that replies to every call with the request.
struct EchoServer;

impl gen_server::GenServer for EchoServer {
    async fn handle_call(
        &mut self,
        req: Term,
        _from: gen_server::ReplyTo,
        _ctx: &mut Process,
    ) -> gen_server::CallReply {
        gen_server::CallReply::Reply(req)
    }
}

/// `GenServer.call({name, node}, req)` through the public API (monitor, alias tag,
/// reply, demonitor).
async fn gen_call(p: &mut Process, node: &str, name: &str, req: Term) -> Term {
    p.call((name, node), req, Duration::from_secs(60))
        .await
        .expect("a reply within 60 s")
}

// ---------------------------------------------------------------------------
// Scenarios
// ---------------------------------------------------------------------------

struct Ctx {
    node: Node,
    a: String,
    b: String,
    a_pid: u32,
    b_pid: u32,
    me_pid: u32,
    tck: f64,
    plan: Plan,
}

#[derive(Default, Clone, Copy)]
struct Stream {
    msgs: usize,
    secs: f64,
    /// CPU seconds per message of the sending and the receiving OS process.
    cpu_send: f64,
    cpu_recv: f64,
    /// Writes per message made by the sender: for BEAM its OS process's
    /// write system calls (`/proc/PID/io`), for Rust the node's own count
    /// ([`Node::io_stats`]; Rust sends with `send(2)`, which `/proc` does not count).
    writes_send: f64,
    /// Socket reads per message made by a Rust receiver (0 when BEAM receives).
    reads_recv: f64,
}

impl Stream {
    fn rate(&self) -> f64 {
        self.msgs as f64 / self.secs
    }
}

#[derive(Default, Clone, Copy)]
struct Rtt {
    p50_us: f64,
    p99_us: f64,
}

#[derive(Default, Clone)]
struct Row {
    payload: Option<Payload>,
    bb: Stream,
    br: Stream,
    rb: Stream,
    /// BEAM A to the raw drain: the ceiling of BEAM->Rust.
    bd: Stream,
    rtt_bb: Rtt,
    rtt_rb: Rtt,
    rtt_br: Rtt,
    sync_bb: f64,
    sync_br: f64,
    sync_rb: f64,
    /// Phoenix.PubSub broadcasts per second from A, the subscriber on B / on Rust.
    fanout_bb: f64,
    fanout_br: f64,
}

async fn stream_bb(c: &Ctx, p: Payload, n: usize) -> Stream {
    let sink = bench_call(&c.node, &c.b, "new_sink", vec![]).await;
    let w = CpuWatch::start(&[c.a_pid, c.b_pid], c.tck);
    let ns = bench_call(
        &c.node,
        &c.a,
        "stream",
        vec![sink, term::atom(p.key()), term::int(n as i64)],
    )
    .await;
    let cpu = w.stop();
    Stream {
        msgs: n,
        secs: int_of(&ns, "stream") as f64 / 1e9,
        cpu_send: cpu[0].0 / n as f64,
        cpu_recv: cpu[1].0 / n as f64,
        writes_send: cpu[0].1 / n as f64,
        reads_recv: 0.0,
    }
}

async fn stream_br(c: &Ctx, p: Payload, n: usize) -> Stream {
    let sink = c.node.spawn(rust_sink);
    let io0 = c.node.io_stats();
    let w = CpuWatch::start(&[c.a_pid, c.me_pid], c.tck);
    let ns = bench_call(
        &c.node,
        &c.a,
        "stream",
        vec![Term::Pid(sink), term::atom(p.key()), term::int(n as i64)],
    )
    .await;
    let cpu = w.stop();
    Stream {
        msgs: n,
        secs: int_of(&ns, "stream") as f64 / 1e9,
        cpu_send: cpu[0].0 / n as f64,
        cpu_recv: cpu[1].0 / n as f64,
        writes_send: cpu[0].1 / n as f64,
        reads_recv: (c.node.io_stats().reads - io0.reads) as f64 / n as f64,
    }
}

async fn stream_rb(c: &Ctx, p: Payload, n: usize) -> Stream {
    let sink = pid_of(&bench_call(&c.node, &c.a, "new_sink", vec![]).await, "sink");
    let payload = p.term();
    let size = erlnode::proto::etf::to_vec(&payload).map_or(64, |v| v.len());
    let window = (16 * 1024 * 1024 / (size + 64)).clamp(256, 65536);
    let every = window / 4;
    let node = c.node.clone();
    let io0 = c.node.io_stats();
    let w = CpuWatch::start(&[c.me_pid, c.a_pid], c.tck);
    let secs = tokio::spawn(async move {
        let mut me = node.process();
        let t0 = Instant::now();
        me.send(
            &sink,
            term::tuple(vec![
                term::atom("bench_start"),
                term::pid(me.pid()),
                term::int(n as i64),
                term::int(every as i64),
            ]),
        );
        // Our sends never block (past the node's `max_send_queue` the peer is
        // dropped), so keep at most `window` messages in flight (BEAM senders
        // are held back by the dist buffer busy limit).
        let mut acked = 0usize;
        for i in 0..n {
            while i >= acked + window {
                let m = me
                    .receive_timeout(Duration::from_secs(300))
                    .await
                    .expect("progress from the BEAM sink");
                match term::as_tuple(&m) {
                    Some([t, k]) if term::is_atom(t, "bench_progress") => {
                        acked = term::as_int(k).unwrap_or(0) as usize;
                    }
                    _ => panic!("unexpected message {m}"),
                }
            }
            me.send_ref(&sink, &payload);
        }
        let ack = loop {
            let m = me
                .receive_timeout(Duration::from_secs(300))
                .await
                .expect("ack from the BEAM sink");
            if !matches!(term::as_tuple(&m), Some([t, _]) if term::is_atom(t, "bench_progress")) {
                break m;
            }
        };
        assert!(
            matches!(term::as_tuple(&ack), Some([t, k]) if term::is_atom(t, "bench_ack") && term::as_int(k) == Some(n as i64)),
            "unexpected ack {ack}"
        );
        t0.elapsed().as_secs_f64()
    })
    .await
    .expect("the Rust sender");
    let cpu = w.stop();
    Stream {
        msgs: n,
        secs,
        cpu_send: cpu[0].0 / n as f64,
        cpu_recv: cpu[1].0 / n as f64,
        writes_send: (c.node.io_stats().writes - io0.writes) as f64 / n as f64,
        reads_recv: 0.0,
    }
}

/// The median of `v` by `key` (the upper one of an even count).
fn median_by<T: Copy>(v: &[T], key: impl Fn(&T) -> f64) -> T {
    let mut sorted = v.to_vec();
    sorted.sort_by(|a, b| key(a).total_cmp(&key(b)));
    sorted[sorted.len() / 2]
}

fn rtt_of(ns: (i64, i64)) -> Rtt {
    Rtt {
        p50_us: ns.0 as f64 / 1e3,
        p99_us: ns.1 as f64 / 1e3,
    }
}

async fn rtt_beam_pings(c: &Ctx, from: &str, echo: Term, p: Payload) -> Rtt {
    let r = bench_call(
        &c.node,
        from,
        "ping",
        vec![
            echo,
            term::atom(p.key()),
            term::int(c.plan.rtt_iters as i64),
        ],
    )
    .await;
    rtt_of(pair_of(&r, "ping"))
}

async fn rtt_rust_pings(c: &Ctx, p: Payload) -> Rtt {
    let echo = pid_of(&bench_call(&c.node, &c.a, "new_echo", vec![]).await, "echo");
    let payload = p.term();
    let iters = c.plan.rtt_iters;
    // The pinger is a spawned process, as a Rust service's processes are (a handle
    // driven from the bench's own thread would add a thread hop each way).
    let (tx, rx) = tokio::sync::oneshot::channel();
    c.node.spawn(move |mut me| async move {
        let mut times = Vec::with_capacity(iters);
        for i in 0..iters + (iters / 10).max(1) {
            let t0 = Instant::now();
            me.send(
                &echo,
                term::tuple(vec![term::pid(me.pid()), payload.clone()]),
            );
            let reply = me
                .receive_timeout(Duration::from_secs(10))
                .await
                .expect("pong");
            let dt = t0.elapsed();
            match term::as_tuple(&reply) {
                Some([t, m]) if term::is_atom(t, "pong") && *m == payload => {}
                _ => panic!("unexpected pong {reply}"),
            }
            if i >= (iters / 10).max(1) {
                times.push(dt.as_nanos() as i64);
            }
        }
        me.send(&echo, term::atom("stop"));
        let _ = tx.send(times);
        term::atom("normal")
    });
    let mut times = rx.await.expect("the pinger reports");
    times.sort_unstable();
    let pct = |p: usize| times[((iters * p).div_ceil(100)).max(1) - 1];
    rtt_of((pct(50), pct(99)))
}

// ---------------------------------------------------------------------------
// The ceiling: a receiver that only drains the socket
// ---------------------------------------------------------------------------

/// A distribution connection from a node of ours to BEAM node A that completes the
/// handshake (advertising what the Rust node does) and then only drains the socket:
/// it counts whole messages by their 4-byte lengths and header kinds and decodes
/// nothing, so a BEAM->drain stream is what A's sender can do at all on this machine.
/// At the end of a stream it acks by name to `:bench_streamer` on A.
struct Drain {
    /// The pid BEAM streams to (nothing runs behind it).
    pid: Pid,
    /// Streams to count: the number of messages after `bench_start`.
    tx: tokio::sync::mpsc::UnboundedSender<usize>,
}

async fn start_drain(peer: &str, epmd_port: u16, tag: u32) -> Drain {
    use erlnode::proto::control::{Control, Framing, encode_frame_as};
    use erlnode::proto::flags::DistFlags;
    use erlnode::proto::framing::{TICK, check_packet2};
    use erlnode::proto::handshake::{HandshakeConfig, Initiator, Step};
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    let name = format!("benchdrain{tag}@{}", host());
    let alive = peer.split('@').next().unwrap_or(peer);
    let epmd = std::net::SocketAddr::from((Ipv4Addr::LOCALHOST, epmd_port));
    let entry = erlnode::epmd::port_please(epmd, alive)
        .await
        .expect("epmd answers")
        .expect("A is registered");
    let mut sock = tokio::net::TcpStream::connect((Ipv4Addr::LOCALHOST, entry.port))
        .await
        .expect("connect to A");
    let _ = sock.set_nodelay(true);
    let creation = 7;
    let mut ini = Initiator::new(
        HandshakeConfig {
            node_name: name.clone(),
            flags: DistFlags::ours(false),
            creation,
            cookie: COOKIE.as_bytes().to_vec(),
        },
        peer.to_owned(),
        0x1234_5678,
    );
    sock.write_all(&ini.start().expect("handshake start"))
        .await
        .expect("write");
    let mut buf: Vec<u8> = Vec::new();
    loop {
        let f = loop {
            if let Some(f) = check_packet2(&buf).expect("handshake packet") {
                break f;
            }
            let mut chunk = [0u8; 1024];
            let n = sock.read(&mut chunk).await.expect("handshake read");
            assert!(n > 0, "A closed the drain's handshake");
            buf.extend_from_slice(&chunk[..n]);
        };
        let packet = buf[f.body.clone()].to_vec();
        buf.drain(..f.consumed);
        match ini.handle(&packet).expect("handshake step") {
            Step::Send(b) => sock.write_all(&b).await.expect("write"),
            Step::Done(b, _) => {
                sock.write_all(&b).await.expect("write");
                break;
            }
        }
    }
    let pid = Pid::new(name.as_str(), 1, 0, creation);
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<usize>();
    let me = pid.clone();
    tokio::spawn(async move {
        let (mut r, mut w) = sock.into_split();
        buf.reserve(1 << 20);
        // Messages seen since the last ack, and how many the current stream has.
        let mut seen = 0usize;
        let mut want: Option<usize> = None;
        let mut tick = tokio::time::interval(Duration::from_secs(10));
        loop {
            // Whole frames buffered so far.
            let mut at = 0;
            while let Some(&[a, b, c, d]) = buf.get(at..at + 4) {
                let len = u32::from_be_bytes([a, b, c, d]) as usize;
                let Some(body) = buf.get(at + 4..at + 4 + len) else {
                    break;
                };
                let last_fragment =
                    |body: &[u8]| body.get(10..18) == Some(&[0, 0, 0, 0, 0, 0, 0, 1]);
                seen += match body {
                    [] => 0,
                    [131, 69, ..] | [131, 70, ..] => usize::from(last_fragment(body)),
                    _ => 1,
                };
                at += 4 + len;
            }
            buf.drain(..at);
            if let Some(n) = want
                && seen > n
            {
                // `bench_start` and the n messages: ack by name.
                let mut out = Vec::new();
                let ack = term::tuple(vec![term::atom("bench_ack"), term::int(n as i64)]);
                let ctl = Control::RegSend {
                    from: me.clone(),
                    to: eetf::Atom::from("bench_streamer"),
                };
                encode_frame_as(&ctl, Some(&ack), Framing::Header, &mut out).expect("ack");
                if w.write_all(&out).await.is_err() {
                    return;
                }
                seen -= n + 1;
                want = None;
            }
            if want.is_none() {
                want = rx.try_recv().ok();
            }
            if buf.capacity() - buf.len() < 64 * 1024 {
                buf.reserve(1 << 20);
            }
            tokio::select! {
                read = r.read_buf(&mut buf) => match read {
                    Ok(0) | Err(_) => return,
                    Ok(_) => {}
                },
                n = rx.recv(), if want.is_none() => match n {
                    Some(n) => want = Some(n),
                    None => return,
                },
                _ = tick.tick() => {
                    if w.write_all(&TICK).await.is_err() {
                        return;
                    }
                }
            }
        }
    });
    Drain { pid, tx }
}

async fn stream_bd(c: &Ctx, drain: &Drain, p: Payload, n: usize) -> Stream {
    let _ = drain.tx.send(n);
    let w = CpuWatch::start(&[c.a_pid, c.me_pid], c.tck);
    let ns = bench_call(
        &c.node,
        &c.a,
        "stream_named",
        vec![
            Term::Pid(drain.pid.clone()),
            term::atom(p.key()),
            term::int(n as i64),
        ],
    )
    .await;
    let cpu = w.stop();
    Stream {
        msgs: n,
        secs: int_of(&ns, "stream") as f64 / 1e9,
        cpu_send: cpu[0].0 / n as f64,
        cpu_recv: cpu[1].0 / n as f64,
        writes_send: cpu[0].1 / n as f64,
        reads_recv: 0.0,
    }
}

// ---------------------------------------------------------------------------
// A small message's round trip while a large one is in flight
// ---------------------------------------------------------------------------

#[derive(Default, Clone, Copy)]
struct BigRtt {
    p50_us: f64,
    max_us: f64,
    /// The pings all ended before the large message was in.
    during: bool,
    transfer_s: f64,
}

/// MiB of the large message.
const BIG_MB: usize = 100;
/// Round trips measured while it travels.
const BIG_PINGS: usize = 20;

/// BEAM: a process on A sends the binary to a sink on B while another pings an echo on B.
async fn big_rtt_beam(c: &Ctx) -> BigRtt {
    let sink = bench_call(&c.node, &c.b, "new_sink", vec![]).await;
    let echo = bench_call(&c.node, &c.b, "new_echo", vec![]).await;
    let r = bench_call(
        &c.node,
        &c.a,
        "big_ping",
        vec![
            sink,
            echo.clone(),
            term::int(BIG_MB as i64),
            term::int(BIG_PINGS as i64),
        ],
    )
    .await;
    c.node.send(&pid_of(&echo, "echo"), term::atom("stop"));
    match term::as_tuple(&r) {
        Some([p50, max, during, t]) => BigRtt {
            p50_us: int_of(p50, "p50") as f64 / 1e3,
            max_us: int_of(max, "max") as f64 / 1e3,
            during: int_of(during, "during") as usize == BIG_PINGS,
            transfer_s: int_of(t, "t") as f64 / 1e9,
        },
        _ => panic!("unexpected big_ping result {r}"),
    }
}

/// Rust: one Rust process sends the binary to a sink on B while another pings an echo on B.
async fn big_rtt_rust(c: &Ctx) -> BigRtt {
    let sink = pid_of(&bench_call(&c.node, &c.b, "new_sink", vec![]).await, "sink");
    let echo = pid_of(&bench_call(&c.node, &c.b, "new_echo", vec![]).await, "echo");
    let big = term::binary(vec![7u8; BIG_MB * 1024 * 1024]);
    let (tx, rx) = tokio::sync::oneshot::channel();
    let sender = c.node.process();
    c.node.spawn(move |mut me| async move {
        let t0 = Instant::now();
        sender.send(
            &sink,
            term::tuple(vec![
                term::atom("bench_start"),
                term::pid(me.pid()),
                term::int(1),
                term::int(0),
            ]),
        );
        sender.send_ref(&sink, &big);
        let mut times = Vec::with_capacity(BIG_PINGS);
        for _ in 0..BIG_PINGS {
            let t = Instant::now();
            me.send(
                &echo,
                term::tuple(vec![term::pid(me.pid()), term::atom("small")]),
            );
            let reply = me
                .receive_match_timeout(
                    |m| matches!(term::as_tuple(m), Some([t, _]) if term::is_atom(t, "pong")),
                    Duration::from_secs(300),
                )
                .await
                .expect("pong");
            drop(reply);
            times.push(t.elapsed().as_secs_f64() * 1e6);
        }
        let done = t0.elapsed();
        me.receive_match_timeout(
            |m| matches!(term::as_tuple(m), Some([t, _]) if term::is_atom(t, "bench_ack")),
            Duration::from_secs(300),
        )
        .await
        .expect("ack from the sink");
        let transfer = t0.elapsed();
        me.send(&echo, term::atom("stop"));
        times.sort_by(f64::total_cmp);
        let _ = tx.send(BigRtt {
            p50_us: times[(BIG_PINGS * 50).div_ceil(100) - 1],
            max_us: times[BIG_PINGS - 1],
            during: done < transfer,
            transfer_s: transfer.as_secs_f64(),
        });
        drop(sender);
        term::atom("normal")
    });
    rx.await.expect("the pinger reports")
}

async fn sync_beam_callers(c: &Ctx, server_node: &str, p: Payload) -> f64 {
    let server = term::tuple(vec![term::atom("bench_srv"), term::atom(server_node)]);
    let r = bench_call(
        &c.node,
        &c.a,
        "callers",
        vec![
            server,
            term::atom(p.key()),
            term::int(CALLERS as i64),
            term::int(c.plan.sync_ms as i64),
        ],
    )
    .await;
    let (calls, ns) = pair_of(&r, "callers");
    assert!(calls > 0, "no sync call completed");
    calls as f64 / (ns as f64 / 1e9)
}

async fn sync_rust_callers(c: &Ctx, p: Payload) -> f64 {
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let t0 = Instant::now();
    let deadline = t0 + Duration::from_millis(c.plan.sync_ms);
    for _ in 0..CALLERS {
        let tx = tx.clone();
        let server_node = c.a.clone();
        let payload = p.term();
        c.node.spawn(move |mut me| async move {
            let mut calls = 0u64;
            while Instant::now() < deadline {
                let reply = gen_call(&mut me, &server_node, "bench_srv", payload.clone()).await;
                assert!(reply == payload, "reply differs from the request");
                calls += 1;
            }
            let _ = tx.send(calls);
            term::atom("normal")
        });
    }
    drop(tx);
    let mut total = 0;
    while let Some(n) = rx.recv().await {
        total += n;
    }
    let secs = t0.elapsed().as_secs_f64();
    assert!(total > 0, "no sync call completed");
    total as f64 / secs
}

// ---------------------------------------------------------------------------
// Memory: a child process with a fresh node
// ---------------------------------------------------------------------------

/// The Rust node's runtime: multi-threaded, or single-threaded with `BENCH_RT=current`.
fn runtime() -> tokio::runtime::Runtime {
    let mut b = if std::env::var("BENCH_RT").as_deref() == Ok("current") {
        tokio::runtime::Builder::new_current_thread()
    } else {
        tokio::runtime::Builder::new_multi_thread()
    };
    b.enable_all().build().expect("runtime")
}

/// In the child: start a node, spawn `n` idle processes, print RSS before and after.
fn memory_child(n: usize, epmd_port: u16) {
    let rt = runtime();
    rt.block_on(async {
        let node = Node::builder(format!("benchmem{}@{}", std::process::id(), host()))
            .cookie(COOKIE)
            .epmd_port(epmd_port)
            .start()
            .await
            .expect("memory node starts");
        tokio::time::sleep(Duration::from_millis(200)).await;
        let before = rss_bytes();
        for _ in 0..n {
            node.spawn(|mut p| async move {
                let _ = p.receive().await;
                term::atom("normal")
            });
        }
        // Let every task run to its first await.
        tokio::time::sleep(Duration::from_millis(500)).await;
        let after = rss_bytes();
        println!("memory {n} {before} {after}");
    });
}

struct Memory {
    procs: usize,
    before: u64,
    after: u64,
}

impl Memory {
    fn per_proc(&self) -> f64 {
        (self.after.saturating_sub(self.before)) as f64 / self.procs as f64
    }
}

fn run_memory(n: usize, epmd_port: u16) -> Memory {
    let exe = std::env::current_exe().expect("own executable");
    let out = std::process::Command::new(exe)
        .args(["--memory-child", &n.to_string(), &epmd_port.to_string()])
        .stderr(Stdio::inherit())
        .output()
        .expect("memory child runs");
    assert!(out.status.success(), "memory child failed");
    let text = String::from_utf8_lossy(&out.stdout);
    let line = text
        .lines()
        .find(|l| l.starts_with("memory "))
        .unwrap_or_else(|| panic!("memory child printed no result: {text}"));
    let v: Vec<u64> = line
        .split_whitespace()
        .skip(1)
        .filter_map(|x| x.parse().ok())
        .collect();
    assert_eq!(v.len(), 3, "bad memory line {line}");
    Memory {
        procs: v[0] as usize,
        before: v[1],
        after: v[2],
    }
}

// ---------------------------------------------------------------------------
// Report
// ---------------------------------------------------------------------------

fn si(v: f64) -> String {
    if v >= 1e6 {
        format!("{:.2}M", v / 1e6)
    } else if v >= 1e3 {
        format!("{:.1}k", v / 1e3)
    } else {
        format!("{v:.0}")
    }
}

fn us(v: f64) -> String {
    if v >= 100.0 {
        format!("{v:.0}")
    } else {
        format!("{v:.1}")
    }
}

fn ratio(a: f64, b: f64) -> String {
    if b > 0.0 && a.is_finite() {
        format!("{:.2}x", a / b)
    } else {
        "-".into()
    }
}

fn table(rows: &[Row], mem: Option<&Memory>, only: &dyn Fn(&str) -> bool) -> String {
    let mut s = String::new();
    let _ = write!(s, "| metric (target) |");
    for r in rows {
        let _ = write!(s, " {} |", r.payload.map(|p| p.label()).unwrap_or("?"));
    }
    s.push('\n');
    let _ = write!(s, "|---|");
    for _ in rows {
        s.push_str("---:|");
    }
    s.push('\n');
    let mut line = |name: &str, cell: &dyn Fn(&Row) -> String| {
        let _ = write!(s, "| {name} |");
        for r in rows {
            let _ = write!(s, " {} |", cell(r));
        }
        s.push('\n');
    };
    if only("stream") {
        line("one-way msg/s BEAM->BEAM", &|r| si(r.bb.rate()));
        line("one-way msg/s BEAM->raw drain (the ceiling)", &|r| {
            format!("{} ({})", si(r.bd.rate()), ratio(r.bd.rate(), r.bb.rate()))
        });
        line("one-way msg/s BEAM->Rust (>=1.0x)", &|r| {
            format!("{} ({})", si(r.br.rate()), ratio(r.br.rate(), r.bb.rate()))
        });
        line("BEAM->Rust vs BEAM->raw drain (>=0.9x)", &|r| {
            ratio(r.br.rate(), r.bd.rate())
        });
        line("one-way msg/s Rust->BEAM (>=1.3x)", &|r| {
            format!("{} ({})", si(r.rb.rate()), ratio(r.rb.rate(), r.bb.rate()))
        });
        let cpu = |v: f64| format!("{:.2}", v * 1e6);
        line("CPU µs/msg BEAM->BEAM: sender A / receiver B", &|r| {
            format!("{} / {}", cpu(r.bb.cpu_send), cpu(r.bb.cpu_recv))
        });
        line("CPU µs/msg BEAM->drain: BEAM sender", &|r| {
            cpu(r.bd.cpu_send)
        });
        line(
            "CPU µs/msg BEAM->Rust: Rust receiver / BEAM sender (<=0.35x)",
            &|r| {
                format!(
                    "{} / {} ({})",
                    cpu(r.br.cpu_recv),
                    cpu(r.br.cpu_send),
                    ratio(r.br.cpu_recv, r.br.cpu_send)
                )
            },
        );
        line(
            "CPU µs/msg Rust->BEAM: Rust sender / BEAM receiver (<=0.25x)",
            &|r| {
                format!(
                    "{} / {} ({})",
                    cpu(r.rb.cpu_send),
                    cpu(r.rb.cpu_recv),
                    ratio(r.rb.cpu_send, r.rb.cpu_recv)
                )
            },
        );
        // CPU per message times messages per second: how much of a core each side
        // kept busy. The side near 1.0 is the one that bounds the stream.
        let cores = |v: f64, s: &Stream| format!("{:.2}", v * s.rate());
        line("cores busy BEAM->BEAM: sender A / receiver B", &|r| {
            format!(
                "{} / {}",
                cores(r.bb.cpu_send, &r.bb),
                cores(r.bb.cpu_recv, &r.bb)
            )
        });
        line("cores busy BEAM->Rust: Rust receiver / BEAM sender", &|r| {
            format!(
                "{} / {}",
                cores(r.br.cpu_recv, &r.br),
                cores(r.br.cpu_send, &r.br)
            )
        });
        line("cores busy Rust->BEAM: Rust sender / BEAM receiver", &|r| {
            format!(
                "{} / {}",
                cores(r.rb.cpu_send, &r.rb),
                cores(r.rb.cpu_recv, &r.rb)
            )
        });
        line("sender writes per msg: B->B / B->R / R->B", &|r| {
            format!(
                "{:.2} / {:.2} / {:.3}",
                r.bb.writes_send, r.br.writes_send, r.rb.writes_send
            )
        });
        line("Rust receiver socket reads per msg (B->R)", &|r| {
            format!("{:.2}", r.br.reads_recv)
        });
        line("Rust receiver vs BEAM receiver CPU/msg", &|r| {
            ratio(r.br.cpu_recv, r.bb.cpu_recv)
        });
        line("Rust sender vs BEAM sender CPU/msg", &|r| {
            ratio(r.rb.cpu_send, r.bb.cpu_send)
        });
    }
    if only("rtt") {
        line("RTT p50 µs BEAM<->BEAM", &|r| us(r.rtt_bb.p50_us));
        line("RTT p50 µs Rust pings BEAM (<=1x)", &|r| {
            format!(
                "{} ({})",
                us(r.rtt_rb.p50_us),
                ratio(r.rtt_rb.p50_us, r.rtt_bb.p50_us)
            )
        });
        line("RTT p50 µs BEAM pings Rust (<=1x)", &|r| {
            format!(
                "{} ({})",
                us(r.rtt_br.p50_us),
                ratio(r.rtt_br.p50_us, r.rtt_bb.p50_us)
            )
        });
        line("RTT p99 µs BEAM<->BEAM", &|r| us(r.rtt_bb.p99_us));
        line("RTT p99 µs Rust pings BEAM", &|r| {
            format!(
                "{} ({})",
                us(r.rtt_rb.p99_us),
                ratio(r.rtt_rb.p99_us, r.rtt_bb.p99_us)
            )
        });
        line("RTT p99 µs BEAM pings Rust", &|r| {
            format!(
                "{} ({})",
                us(r.rtt_br.p99_us),
                ratio(r.rtt_br.p99_us, r.rtt_bb.p99_us)
            )
        });
    }
    if only("sync") {
        line("sync calls/s, 120 callers, BEAM->BEAM", &|r| si(r.sync_bb));
        line("sync calls/s BEAM callers -> Rust server", &|r| {
            format!("{} ({})", si(r.sync_br), ratio(r.sync_br, r.sync_bb))
        });
        line("sync calls/s Rust callers -> BEAM server", &|r| {
            format!("{} ({})", si(r.sync_rb), ratio(r.sync_rb, r.sync_bb))
        });
    }
    if only("pubsub") {
        line("PubSub broadcasts/s A -> subscriber on B", &|r| {
            si(r.fanout_bb)
        });
        line("PubSub broadcasts/s A -> subscriber on Rust", &|r| {
            format!("{} ({})", si(r.fanout_br), ratio(r.fanout_br, r.fanout_bb))
        });
    }
    if let Some(m) = mem {
        let _ = writeln!(
            s,
            "\nIdle Rust processes: {} processes, RSS {:.1} MiB -> {:.1} MiB, {:.0} bytes per process (target <= 1024).",
            m.procs,
            m.before as f64 / 1048576.0,
            m.after as f64 / 1048576.0,
            m.per_proc()
        );
    }
    s
}

fn json(rows: &[Row], mem: Option<&Memory>, plan: &Plan) -> String {
    fn stream(s: &Stream) -> String {
        format!(
            "{{\"msgs\": {}, \"secs\": {:.6}, \"msgs_per_sec\": {:.1}, \"cpu_sec_per_msg_sender\": {:.3e}, \"cpu_sec_per_msg_receiver\": {:.3e}, \"cores_busy_sender\": {:.3}, \"cores_busy_receiver\": {:.3}, \"sender_writes_per_msg\": {:.4}, \"rust_receiver_reads_per_msg\": {:.4}}}",
            s.msgs,
            s.secs,
            s.rate(),
            s.cpu_send,
            s.cpu_recv,
            s.cpu_send * s.rate(),
            s.cpu_recv * s.rate(),
            s.writes_send,
            s.reads_recv
        )
    }
    fn rtt(r: &Rtt) -> String {
        format!(
            "{{\"p50_us\": {:.2}, \"p99_us\": {:.2}}}",
            r.p50_us, r.p99_us
        )
    }
    let mut s = String::from("{\n");
    let _ = writeln!(
        s,
        "  \"mode\": \"{}\",\n  \"reps_median_of\": {},\n  \"erl_args\": \"{}\",\n  \"cores\": {},\n  \"sync_callers\": {CALLERS},\n  \"sync_ms\": {},\n  \"rtt_iters\": {},",
        if plan.full { "full" } else { "smoke" },
        plan.reps,
        erl_args(),
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        plan.sync_ms,
        plan.rtt_iters
    );
    s.push_str("  \"payloads\": [\n");
    for (i, r) in rows.iter().enumerate() {
        let p = r.payload.map(|p| p.key()).unwrap_or("?");
        let _ = write!(
            s,
            "    {{\"payload\": \"{p}\",\n     \"stream_beam_beam\": {},\n     \"stream_beam_rust\": {},\n     \"stream_rust_beam\": {},\n     \"stream_beam_drain\": {},\n     \"throughput_ratio_beam_rust\": {:.3}, \"throughput_ratio_rust_beam\": {:.3},\n     \"rtt_beam_beam\": {}, \"rtt_rust_pings_beam\": {}, \"rtt_beam_pings_rust\": {},\n     \"sync_calls_per_sec\": {{\"beam_beam\": {:.1}, \"beam_callers_rust_server\": {:.1}, \"rust_callers_beam_server\": {:.1}}},\n     \"pubsub_broadcasts_per_sec\": {{\"subscriber_on_beam\": {:.1}, \"subscriber_on_rust\": {:.1}}}}}{}\n",
            stream(&r.bb),
            stream(&r.br),
            stream(&r.rb),
            stream(&r.bd),
            r.br.rate() / r.bb.rate(),
            r.rb.rate() / r.bb.rate(),
            rtt(&r.rtt_bb),
            rtt(&r.rtt_rb),
            rtt(&r.rtt_br),
            r.sync_bb,
            r.sync_br,
            r.sync_rb,
            r.fanout_bb,
            r.fanout_br,
            if i + 1 < rows.len() { "," } else { "" }
        );
    }
    s.push_str("  ]");
    if let Some(m) = mem {
        let _ = write!(
            s,
            ",\n  \"memory\": {{\"idle_processes\": {}, \"rss_before\": {}, \"rss_after\": {}, \"bytes_per_process\": {:.1}}}",
            m.procs,
            m.before,
            m.after,
            m.per_proc()
        );
    }
    s.push_str("\n}\n");
    // NaN/inf are not JSON.
    s.replace("NaN", "null").replace("inf", "null")
}

// ---------------------------------------------------------------------------
// Main
// ---------------------------------------------------------------------------

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(i) = args.iter().position(|a| a == "--memory-child") {
        let n = args.get(i + 1).and_then(|v| v.parse().ok()).unwrap_or(1000);
        let port = args.get(i + 2).and_then(|v| v.parse().ok()).unwrap_or(4369);
        memory_child(n, port);
        return;
    }
    // `cargo bench` passes --bench; `cargo test` runs this without it.
    let full = args.iter().any(|a| a == "--bench");
    if !have_beam() {
        return;
    }
    let _ = tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .with_writer(std::io::stderr)
        .try_init();
    let scale: f64 = std::env::var("BENCH_SCALE")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1.0);
    let plan = if full {
        Plan {
            full,
            scale,
            reps: std::env::var("BENCH_REPS")
                .ok()
                .and_then(|v| v.parse().ok())
                .unwrap_or(3usize)
                .max(1),
            rtt_iters: ((2000.0 * scale) as usize).max(10),
            sync_ms: ((1500.0 * scale) as u64).max(100),
            mem_procs: 100_000,
        }
    } else {
        Plan {
            full,
            scale,
            reps: 1,
            rtt_iters: 20,
            sync_ms: 150,
            mem_procs: 2000,
        }
    };
    let only_env = std::env::var("BENCH_ONLY").unwrap_or_default();
    let only = move |what: &str| only_env.is_empty() || only_env.split(',').any(|w| w == what);
    let rt = runtime();
    // The smoke run checks both carriers; a full run measures the one asked for.
    let carriers: &[bool] = if !full {
        &[false, true]
    } else if std::env::var("BENCH_TLS").as_deref() == Ok("1") {
        &[true]
    } else {
        &[false]
    };
    for &over_tls in carriers {
        let started = Instant::now();
        let tls = over_tls.then(|| tls::BenchTls::new(&host()));
        // Over TLS: the message scenarios (memory, pub/sub fan-out and the
        // 100 MiB round trip do not depend on the carrier).
        let only_here = |what: &str| {
            only(what) && !(over_tls && matches!(what, "memory" | "pubsub" | "bigrtt"))
        };
        let (rows, mem, big) = rt.block_on(run(plan, &only_here, tls.as_ref()));
        let report = table(&rows, mem.as_ref(), &only_here) + &big;
        println!(
            "\nerlnode vs BEAM{} ({} run, {:.0} s; ratios are Rust / BEAM<->BEAM)\n\n{report}",
            if over_tls {
                " over TLS (every node on -proto_dist inet_tls)"
            } else {
                ""
            },
            if full { "full" } else { "smoke" },
            started.elapsed().as_secs_f64()
        );
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/bench");
        let _ = std::fs::create_dir_all(&dir);
        let stem = match (full, over_tls) {
            (true, false) => "beam",
            (true, true) => "beam-tls",
            (false, false) => "beam-smoke",
            (false, true) => "beam-smoke-tls",
        };
        let json_path = dir.join(format!("{stem}.json"));
        let md_path = dir.join(format!("{stem}.md"));
        if let Err(e) = std::fs::write(&json_path, json(&rows, mem.as_ref(), &plan)) {
            eprintln!("cannot write {}: {e}", json_path.display());
        }
        if let Err(e) = std::fs::write(&md_path, &report) {
            eprintln!("cannot write {}: {e}", md_path.display());
        }
        println!("written: {} and {}", json_path.display(), md_path.display());
    }
}

async fn run(
    plan: Plan,
    only: &dyn Fn(&str) -> bool,
    tls: Option<&tls::BenchTls>,
) -> (Vec<Row>, Option<Memory>, String) {
    let mut big = String::new();
    let epmd_port = free_port();
    let tag = format!(
        "{}{}",
        std::process::id(),
        if tls.is_some() { "t" } else { "" }
    );
    let mut builder = Node::builder(format!("benchrust{tag}@{}", host()))
        .cookie(COOKIE)
        .epmd_port(epmd_port);
    if let Some(t) = tls {
        builder =
            builder.tls(erlnode::TlsConfig::from_optfile(t.optfile()).expect("bench optfile"));
    }
    let node = builder.start().await.expect("Rust node starts");
    // Memory first, in a fresh child process, before anything else runs.
    let mem = only("memory").then(|| run_memory(plan.mem_procs, epmd_port));
    let (a, child_a, out_a) = start_beam(&format!("bencha{tag}"), epmd_port, tls).await;
    let (b, child_b, out_b) = start_beam(&format!("benchb{tag}"), epmd_port, tls).await;
    wait_ready(&out_a, &a).await;
    wait_ready(&out_b, &b).await;
    let os_pid = |t: Term| int_of(&t, "os_pid") as u32;
    let a_pid = os_pid(bench_call(&node, &a, "os_pid", vec![]).await);
    let b_pid = os_pid(bench_call(&node, &b, "os_pid", vec![]).await);
    let beams = [
        Beam {
            name: a.clone(),
            os_pid: a_pid,
            _child: child_a,
            out: out_a,
        },
        Beam {
            name: b.clone(),
            os_pid: b_pid,
            _child: child_b,
            out: out_b,
        },
    ];
    for beam in &beams {
        assert!(
            std::path::Path::new(&format!("/proc/{}/stat", beam.os_pid)).exists(),
            "no /proc entry for BEAM node {} (os pid {}); output:\n{}",
            beam.name,
            beam.os_pid,
            beam.out.lock().unwrap().join("\n")
        );
    }
    gen_server::start_with(
        &node,
        EchoServer,
        gen_server::Options::new().name("bench_srv"),
    )
    .await
    .expect("start bench_srv");
    let c = Ctx {
        node: node.clone(),
        a: a.clone(),
        b: b.clone(),
        a_pid,
        b_pid,
        me_pid: std::process::id(),
        tck: clock_ticks(),
        plan,
    };
    // The raw drain speaks the plain handshake itself: not over TLS.
    let drain = if only("stream") && tls.is_none() {
        Some(start_drain(&a, epmd_port, std::process::id()).await)
    } else {
        None
    };
    // Warm up: connect A<->B and A->Rust, load code paths.
    let _ = stream_bb(&c, Payload::Int, 100).await;
    let _ = stream_br(&c, Payload::Int, 100).await;
    let _ = stream_rb(&c, Payload::Int, 100).await;

    let fanout = if only("pubsub") {
        Some(pubsub_fanout::setup(&c).await)
    } else {
        None
    };

    let payloads = std::env::var("BENCH_PAYLOADS").unwrap_or_default();
    let mut rows = Vec::new();
    for p in Payload::ALL {
        if !payloads.is_empty() && !payloads.split(',').any(|k| k == p.key()) {
            continue;
        }
        let mut r = Row {
            payload: Some(p),
            ..Row::default()
        };
        let n = plan.stream_len(p);
        if only("stream") {
            let (mut bb, mut br, mut rb, mut bd) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
            let dirs = std::env::var("BENCH_DIRS").unwrap_or_default();
            let dir = |d: &str| dirs.is_empty() || dirs.split(',').any(|x| x == d);
            for _ in 0..plan.reps {
                if dir("bb") {
                    bb.push(stream_bb(&c, p, n).await);
                }
                if dir("br") {
                    br.push(stream_br(&c, p, n).await);
                }
                if dir("rb") {
                    rb.push(stream_rb(&c, p, n).await);
                }
                if dir("bd")
                    && let Some(d) = &drain
                {
                    bd.push(stream_bd(&c, d, p, n).await);
                }
            }
            let med = |v: &[Stream]| {
                if v.is_empty() {
                    Stream::default()
                } else {
                    median_by(v, Stream::rate)
                }
            };
            r.bb = med(&bb);
            r.br = med(&br);
            r.rb = med(&rb);
            r.bd = med(&bd);
            eprintln!(
                "{:>12} stream msg/s  B->B {:>10}  B->R {:>10}  R->B {:>10}  B->drain {:>10}",
                p.label(),
                si(r.bb.rate()),
                si(r.br.rate()),
                si(r.rb.rate()),
                si(r.bd.rate())
            );
        }
        if only("rtt") {
            let (mut bb, mut rb, mut br) = (Vec::new(), Vec::new(), Vec::new());
            // Single round trips on a shared 2-core VM are bimodal (same core or
            // not), so take the median of more, short, interleaved runs.
            let reps = if plan.full {
                plan.reps.max(7)
            } else {
                plan.reps
            };
            for _ in 0..reps {
                let echo_b = bench_call(&node, &b, "new_echo", vec![]).await;
                bb.push(rtt_beam_pings(&c, &a, echo_b.clone(), p).await);
                node.send(&pid_of(&echo_b, "echo"), term::atom("stop"));
                rb.push(rtt_rust_pings(&c, p).await);
                let echo_r = node.spawn(rust_echo);
                br.push(rtt_beam_pings(&c, &a, Term::Pid(echo_r.clone()), p).await);
                node.send(&echo_r, term::atom("stop"));
            }
            let med = |v: &[Rtt]| Rtt {
                p50_us: median_by(v, |r| r.p50_us).p50_us,
                p99_us: median_by(v, |r| r.p99_us).p99_us,
            };
            r.rtt_bb = med(&bb);
            r.rtt_rb = med(&rb);
            r.rtt_br = med(&br);
            eprintln!(
                "{:>12} RTT p50 µs    B<>B {:>10}  R>B> {:>10}  B>R> {:>10}",
                p.label(),
                us(r.rtt_bb.p50_us),
                us(r.rtt_rb.p50_us),
                us(r.rtt_br.p50_us)
            );
        }
        if only("sync") {
            let (mut bb, mut br, mut rb) = (Vec::new(), Vec::new(), Vec::new());
            for _ in 0..plan.reps {
                bb.push(sync_beam_callers(&c, &b, p).await);
                br.push(sync_beam_callers(&c, node.name(), p).await);
                rb.push(sync_rust_callers(&c, p).await);
            }
            r.sync_bb = median_by(&bb, |v| *v);
            r.sync_br = median_by(&br, |v| *v);
            r.sync_rb = median_by(&rb, |v| *v);
            eprintln!(
                "{:>12} sync calls/s  B->B {:>10}  B->R {:>10}  R->B {:>10}",
                p.label(),
                si(r.sync_bb),
                si(r.sync_br),
                si(r.sync_rb)
            );
        }
        if let Some(f) = &fanout {
            let (mut bb, mut br) = (Vec::new(), Vec::new());
            for _ in 0..plan.reps {
                bb.push(pubsub_fanout::beam_subscriber(&c, p, n).await);
                br.push(pubsub_fanout::rust_subscriber(&c, f, p, n).await);
            }
            r.fanout_bb = median_by(&bb, |v| *v);
            r.fanout_br = median_by(&br, |v| *v);
            eprintln!(
                "{:>12} pubsub bcast/s A->sub on B {:>10}  A->sub on Rust {:>10}",
                p.label(),
                si(r.fanout_bb),
                si(r.fanout_br)
            );
        }
        rows.push(r);
    }
    if only("bigrtt") {
        let (mut bb, mut rb) = (Vec::new(), Vec::new());
        for _ in 0..plan.reps {
            bb.push(big_rtt_beam(&c).await);
            rb.push(big_rtt_rust(&c).await);
        }
        let (bb, rb) = (median_by(&bb, |r| r.p50_us), median_by(&rb, |r| r.p50_us));
        let show = |who: &str, r: &BigRtt| {
            format!(
                "{who}: p50 {} µs, max {} µs, {} MiB in {:.2} s{}",
                us(r.p50_us),
                us(r.max_us),
                BIG_MB,
                r.transfer_s,
                if r.during {
                    ""
                } else {
                    " (some pings ended after the transfer)"
                }
            )
        };
        let line = format!(
            "\nSmall-message round trip while a {BIG_MB} MiB binary is in flight on the same connection (<=1x): {} ; {} ; p50 ratio {}\n",
            show("BEAM A->B", &bb),
            show("Rust->B", &rb),
            ratio(rb.p50_us, bb.p50_us)
        );
        eprintln!("{line}");
        big.push_str(&line);
    }
    node.shutdown().await;
    drop(beams);
    (rows, mem, big)
}
