//! `erlnode pubsub subscribe|broadcast` and `erlnode pg members`: Phoenix.PubSub and `:pg` from the command line.

use super::args::{ConnectArgs, connect, look_up, parse_timeout};
use super::output;
use clap::{Args, Subcommand};
use erlnode::{Node, Pid, Term, pg, pubsub, term};
use std::process::ExitCode;
use std::time::Duration;

/// Phoenix.PubSub: subscribe to topics, or broadcast on one.
#[derive(Args, Debug)]
pub struct PubSubArgs {
    #[command(subcommand)]
    pub command: PubSubCommand,
    #[command(flatten)]
    pub conn: ConnectArgs,
}

/// What `erlnode pubsub` does.
#[derive(Subcommand, Debug)]
pub enum PubSubCommand {
    Subscribe(SubscribeArgs),
    Broadcast(BroadcastArgs),
}

/// Print every message broadcast on TOPIC..., one per line in Elixir syntax, until Ctrl-C.
#[derive(Args, Debug)]
#[command(
    after_help = "Example: erlnode pubsub subscribe MyApp.PubSub \"room:lobby\" --connect one@vm"
)]
pub struct SubscribeArgs {
    /// The PubSub's name as Elixir writes it (e.g. MyApp.PubSub).
    pub pubsub: String,
    /// Topics (binaries, e.g. room:lobby).
    #[arg(required = true)]
    pub topics: Vec<String>,
    /// Nodes of the cluster to join (their connected nodes are joined too).
    #[arg(long, value_name = "NODE", required = true)]
    pub connect: Vec<String>,
    /// The PubSub's pool_size on the Elixir nodes.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u16).range(1..=1024))]
    pub pool_size: u16,
    /// Seconds to wait for each connection.
    #[arg(long, value_name = "SECS", default_value = "10", value_parser = parse_timeout)]
    pub timeout: Duration,
    #[command(flatten)]
    pub conn: ConnectArgs,
}

/// Join the cluster through NODE, broadcast TERM on TOPIC once (as
/// `Phoenix.PubSub.broadcast/3`), and exit.
#[derive(Args, Debug)]
#[command(
    allow_negative_numbers = true,
    after_help = "Example: erlnode pubsub broadcast one@vm MyApp.PubSub \"room:lobby\" '{:new_msg, \"hi\"}'"
)]
pub struct BroadcastArgs {
    /// A node of the cluster, NAME@HOST.
    pub node: String,
    /// The PubSub's name as Elixir writes it (e.g. MyApp.PubSub).
    pub pubsub: String,
    /// The topic (a binary).
    pub topic: String,
    /// The message, one Elixir term.
    pub term: String,
    /// The PubSub's pool_size on the Elixir nodes.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u16).range(1..=1024))]
    pub pool_size: u16,
    /// Seconds to wait for the connection and for NODE's PubSub.
    #[arg(long, value_name = "SECS", default_value = "10", value_parser = parse_timeout)]
    pub timeout: Duration,
    #[command(flatten)]
    pub conn: ConnectArgs,
}

/// `:pg` process groups.
#[derive(Args, Debug)]
pub struct PgArgs {
    #[command(subcommand)]
    pub command: PgCommand,
    #[command(flatten)]
    pub conn: ConnectArgs,
}

/// What `erlnode pg` does.
#[derive(Subcommand, Debug)]
pub enum PgCommand {
    Members(MembersArgs),
}

/// Print the members of GROUP in SCOPE on every node of NODE's cluster, one pid a
/// line (`#PID<...>` then the pid's node).
#[derive(Args, Debug)]
#[command(
    allow_negative_numbers = true,
    after_help = "Example: erlnode pg members one@vm pg ':workers'"
)]
pub struct MembersArgs {
    /// A node of the cluster, NAME@HOST.
    pub node: String,
    /// The scope as Elixir writes it (pg, Phoenix.PubSub, :my_scope).
    pub scope: String,
    /// The group, one Elixir term (e.g. :workers or '{:room, "lobby"}').
    pub group: String,
    /// Seconds to wait for the connection and for NODE's scope.
    #[arg(long, value_name = "SECS", default_value = "10", value_parser = parse_timeout)]
    pub timeout: Duration,
    #[command(flatten)]
    pub conn: ConnectArgs,
}

/// Flags given before the inner subcommand (`erlnode pubsub --cookie c broadcast ...`,
/// where the top level puts them) count unless given again after it.
fn merged(outer: &ConnectArgs, inner: &ConnectArgs) -> ConnectArgs {
    let mut c = inner.clone();
    if c.sname.is_none() && c.name.is_none() {
        c.sname = outer.sname.clone();
        c.name = outer.name.clone();
    }
    c.cookie = c.cookie.or_else(|| outer.cookie.clone());
    c.epmd.epmd_port = c.epmd.epmd_port.or(outer.epmd.epmd_port);
    c
}

pub async fn run_pubsub(a: PubSubArgs) -> Result<ExitCode, Box<dyn std::error::Error>> {
    match a.command {
        PubSubCommand::Subscribe(s) => subscribe(merged(&a.conn, &s.conn), s).await,
        PubSubCommand::Broadcast(b) => broadcast(merged(&a.conn, &b.conn), b).await,
    }
}

pub async fn run_pg(a: PgArgs) -> Result<ExitCode, Box<dyn std::error::Error>> {
    match a.command {
        PgCommand::Members(m) => members(merged(&a.conn, &m.conn), m).await,
    }
}

/// Also connects to the nodes `via` is connected to (hidden ones included), so
/// that the scope meets the whole cluster (a hidden node is not introduced to
/// them by anyone). Best effort.
async fn join_cluster(me: &Node, via: &str, timeout: Duration) {
    let args = vec![term::atom("connected")];
    let Ok(t) = me.call(via, "erlang", "nodes", args, timeout).await else {
        return;
    };
    for n in term::as_list(&t).unwrap_or_default() {
        if let Some(n) = term::as_atom(&n)
            && n != me.name()
        {
            let _ = tokio::time::timeout(timeout, me.connect(n)).await;
        }
    }
}

/// Waits until `known()` includes `first` (false if it never does within
/// `timeout`), then briefly for every other connected node.
async fn await_peers(
    me: &Node,
    first: &str,
    timeout: Duration,
    known: impl Fn() -> Vec<String>,
) -> bool {
    let deadline = tokio::time::Instant::now() + timeout;
    while !known().iter().any(|n| n == first) {
        if tokio::time::Instant::now() >= deadline {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // The other scopes answer the same discover at about the same time.
    let grace = tokio::time::Instant::now() + Duration::from_millis(500);
    while tokio::time::Instant::now() < grace.min(deadline) {
        let k = known();
        if me.connected_nodes().iter().all(|n| k.contains(n)) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    true
}

fn pubsub_opts(pool_size: u16) -> pubsub::Options {
    pubsub::Options {
        pool_size: usize::from(pool_size),
        broadcast_pool_size: None,
    }
}

async fn subscribe(
    conn: ConnectArgs,
    a: SubscribeArgs,
) -> Result<ExitCode, Box<dyn std::error::Error>> {
    let name = output::module_atom(&a.pubsub)?;
    for n in &a.connect {
        erlnode::names::check_remote(n)?;
        look_up(n, conn.epmd.port(), a.timeout).await?;
    }
    let me = conn.one_shot_node("subscribe").await?;
    for n in &a.connect {
        let deadline = tokio::time::Instant::now() + a.timeout;
        if let Err(e) = connect(&me, n, deadline, a.timeout).await {
            me.shutdown().await;
            return Err(e.into());
        }
        join_cluster(&me, n, a.timeout).await;
    }
    let ps = pubsub::start_with(&me, &name, pubsub_opts(a.pool_size)).await?;
    let mut inbox = me.process();
    for t in &a.topics {
        ps.subscribe(inbox.pid(), t)?;
    }
    if !await_peers(&me, &a.connect[0], a.timeout, || ps.remote_nodes()).await {
        eprintln!(
            "erlnode: warning: {} runs no PubSub named {} (yet); waiting for one",
            a.connect[0],
            term::print::atom_literal(&name)
        );
    }
    eprintln!(
        "erlnode: subscribed to {} on {} ({} nodes); Ctrl-C to stop",
        a.topics.join(", "),
        term::print::atom_literal(&name),
        ps.remote_nodes().len()
    );
    loop {
        tokio::select! {
            _ = tokio::signal::ctrl_c() => break,
            m = inbox.receive() => match m {
                Ok(m) => println!("{}", term::print::inspect(&m)),
                Err(_) => break,
            },
        }
    }
    me.shutdown().await;
    Ok(ExitCode::SUCCESS)
}

async fn broadcast(
    conn: ConnectArgs,
    a: BroadcastArgs,
) -> Result<ExitCode, Box<dyn std::error::Error>> {
    let msg = output::parse_terms(std::slice::from_ref(&a.term))?.remove(0);
    let name = output::module_atom(&a.pubsub)?;
    let me = conn.connected("broadcast", &a.node, a.timeout).await?;
    join_cluster(&me, &a.node, a.timeout).await;
    let ps = pubsub::start_with(&me, &name, pubsub_opts(a.pool_size)).await?;
    if !await_peers(&me, &a.node, a.timeout, || ps.remote_nodes()).await {
        me.shutdown().await;
        return Err(format!(
            "{} runs no PubSub named {} (no worker of it in the Phoenix.PubSub pg scope)",
            a.node,
            term::print::atom_literal(&name)
        )
        .into());
    }
    ps.broadcast(a.topic.as_bytes(), msg);
    // A ping returns once what was sent before it on the same connection has
    // gone out, so shutting down cannot lose the broadcast.
    for n in ps.remote_nodes() {
        me.ping(&n, a.timeout).await;
    }
    me.shutdown().await;
    Ok(ExitCode::SUCCESS)
}

async fn members(
    conn: ConnectArgs,
    a: MembersArgs,
) -> Result<ExitCode, Box<dyn std::error::Error>> {
    let group = output::parse_terms(std::slice::from_ref(&a.group))?.remove(0);
    let scope_name = output::module_atom(&a.scope)?;
    let me = conn.connected("pg", &a.node, a.timeout).await?;
    join_cluster(&me, &a.node, a.timeout).await;
    let scope = pg::start(&me, &scope_name)?;
    let peers = || -> Vec<String> {
        scope
            .peers()
            .into_iter()
            .map(|p: Pid| p.node.name)
            .collect()
    };
    if !await_peers(&me, &a.node, a.timeout, peers).await {
        me.shutdown().await;
        return Err(format!(
            "{} runs no pg scope {}",
            a.node,
            term::print::atom_literal(&scope_name)
        )
        .into());
    }
    let mut members = scope.get_members(&group);
    members.sort_by(|x, y| (&x.node.name, x.id, x.serial).cmp(&(&y.node.name, y.id, y.serial)));
    for p in members {
        println!(
            "{} {}",
            term::print::inspect(&Term::Pid(p.clone())),
            p.node.name
        );
    }
    me.shutdown().await;
    Ok(ExitCode::SUCCESS)
}
