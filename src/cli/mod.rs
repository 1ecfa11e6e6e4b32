//! The `erlnode` command line: run a node, ping, call, send, list EPMD names, run an EPMD server.

mod demo;

use clap::{Args, Parser, Subcommand};
use erlnode::{Node, NodeBuilder, epmd, names};
use std::process::ExitCode;
use std::time::Duration;

#[derive(Parser, Debug)]
#[command(
    name = "erlnode",
    version,
    about = "A Rust node for Erlang/Elixir clusters"
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    node: NodeArgs,
}

#[derive(Args, Debug, Clone)]
struct NodeArgs {
    /// Short node name: NAME or NAME@HOST (host defaults to the short host name).
    #[arg(long, global = true, conflicts_with = "name")]
    sname: Option<String>,
    /// Long node name: NAME@HOST.DOMAIN or NAME@IP.
    #[arg(long, global = true)]
    name: Option<String>,
    /// The magic cookie (default: ~/.erlang.cookie, created when absent).
    #[arg(long, global = true)]
    cookie: Option<String>,
    /// Run as a hidden node (not in the peers' Node.list/0).
    #[arg(long, global = true)]
    hidden: bool,
    /// Nodes to connect to at start-up.
    #[arg(long, global = true, value_name = "NODE")]
    connect: Vec<String>,
    /// Distribution listen port (default: any free port).
    #[arg(long, global = true, default_value_t = 0)]
    port: u16,
    /// EPMD port (default: $ERL_EPMD_PORT, else 4369).
    #[arg(long, global = true)]
    epmd_port: Option<u16>,
    /// Register an I/O server on this node's stdout in :global under NAME, so that
    /// `IO.puts(:global.whereis_name(:NAME), "Hello")` prints here.
    #[arg(long, global = true, value_name = "NAME")]
    global_io: Option<String>,
    /// Seconds without traffic before a peer is declared down (ticks go every quarter of it).
    #[arg(long, global = true, default_value_t = 60, value_parser = clap::value_parser!(u64).range(1..=3600))]
    net_ticktime: u64,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Ping a node: prints pong or pang (exit status 0 or 1).
    Ping {
        node: String,
        /// Seconds to wait for the answer.
        #[arg(long, default_value_t = 10)]
        timeout: u64,
    },
    /// Call MOD:FUN(ARG...) on NODE and print the result as iex would.
    /// Arguments are Elixir terms: `42`, `:atom`, `"bin"`, `[1, 2]`, `%{a: 1}`, ...
    Call {
        node: String,
        module: String,
        function: String,
        args: Vec<String>,
        /// Seconds to wait for the result.
        #[arg(long, default_value_t = 30)]
        timeout: u64,
    },
    /// Send TERM (Elixir syntax) to the process registered as NAME on NODE.
    Send {
        node: String,
        #[arg(value_name = "NAME")]
        registered: String,
        term: String,
    },
    /// List the names registered with EPMD, like `epmd -names`.
    Names,
    /// Run an EPMD server in the foreground.
    Epmd,
}

/// Parses the command line, runs the command and returns its exit status.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    // Servers (a node, epmd) log at info; one-shot commands only warn, so their output stays clean.
    let default_level = match cli.command {
        None | Some(Command::Epmd) => "info",
        Some(_) => "warn",
    };
    tracing_subscriber::fmt()
        .with_env_filter(
            // An empty RUST_LOG counts as unset.
            std::env::var("RUST_LOG")
                .ok()
                .filter(|v| !v.trim().is_empty())
                .and_then(|v| tracing_subscriber::EnvFilter::try_new(v).ok())
                .unwrap_or_else(|| tracing_subscriber::EnvFilter::new(default_level)),
        )
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    let rt = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("erlnode: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    rt.block_on(async move {
        match run(cli).await {
            Ok(code) => code,
            Err(e) => {
                eprintln!("erlnode: {e}");
                ExitCode::FAILURE
            }
        }
    })
}

fn epmd_port(args: &NodeArgs) -> u16 {
    args.epmd_port.unwrap_or_else(epmd::epmd_port_from_env)
}

fn builder(
    args: &NodeArgs,
    default_sname: &str,
) -> Result<NodeBuilder, Box<dyn std::error::Error>> {
    let full = match (&args.sname, &args.name) {
        (Some(s), _) => names::short_name(s)?,
        (None, Some(n)) => names::long_name(n)?,
        (None, None) => names::short_name(default_sname)?,
    };
    let mut b = Node::builder(full)
        .hidden(args.hidden)
        .port(args.port)
        .epmd_port(epmd_port(args))
        .net_ticktime(Duration::from_secs(args.net_ticktime));
    if let Some(c) = &args.cookie {
        b = b.cookie(c.clone());
    }
    Ok(b)
}

async fn run(cli: Cli) -> Result<ExitCode, Box<dyn std::error::Error>> {
    match cli.command {
        None => run_node(&cli.node).await,
        Some(Command::Ping { node, timeout }) => {
            let me = builder(&cli.node, &format!("erlnode_ping_{}", std::process::id()))?
                .hidden(true)
                .start()
                .await?;
            let pong = me.ping(&node, Duration::from_secs(timeout)).await;
            me.shutdown().await;
            println!("{}", if pong { "pong" } else { "pang" });
            Ok(if pong {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            })
        }
        Some(Command::Call {
            node,
            module,
            function,
            args,
            timeout,
        }) => {
            let args = parse_terms(&args)?;
            let me = builder(&cli.node, &format!("erlnode_call_{}", std::process::id()))?
                .hidden(true)
                .start()
                .await?;
            let module = module_atom(&module);
            let result = me
                .call(
                    &node,
                    &module,
                    &function,
                    args,
                    Duration::from_secs(timeout),
                )
                .await;
            me.shutdown().await;
            match result {
                Ok(v) => {
                    println!("{}", erlnode::term::print::inspect(&v));
                    Ok(ExitCode::SUCCESS)
                }
                Err(e) => {
                    eprintln!("erlnode: call failed: {e}");
                    Ok(ExitCode::FAILURE)
                }
            }
        }
        Some(Command::Send {
            node,
            registered,
            term,
        }) => {
            let msg = parse_terms(std::slice::from_ref(&term))?.remove(0);
            let me = builder(&cli.node, &format!("erlnode_send_{}", std::process::id()))?
                .hidden(true)
                .start()
                .await?;
            let ok = match me.connect(&node).await {
                Ok(()) => {
                    let p = me.process();
                    p.send_named_remote(&node, &registered, msg).await?;
                    // A ping after the send returns once the send has gone out on the
                    // same connection, so shutting down cannot lose it.
                    me.ping(&node, Duration::from_secs(10)).await
                }
                Err(e) => {
                    eprintln!("erlnode: {e}");
                    false
                }
            };
            me.shutdown().await;
            Ok(if ok {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            })
        }
        Some(Command::Names) => {
            let port = epmd_port(&cli.node);
            let addr = std::net::SocketAddr::from(([127, 0, 0, 1], port));
            let list = epmd::names(addr).await?;
            println!("epmd: up and running on port {port} with data:");
            for (name, p) in list {
                println!("name {name} at port {p}");
            }
            Ok(ExitCode::SUCCESS)
        }
        Some(Command::Epmd) => {
            let port = epmd_port(&cli.node);
            let server =
                epmd::EpmdServer::bind(std::net::SocketAddr::from(([0, 0, 0, 0], port))).await?;
            tracing::info!(addr = %server.local_addr(), "EPMD listening");
            let handle = server.spawn();
            shutdown_signal().await;
            handle.stop().await;
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// Parses command-line terms in Elixir syntax; an error names the argument and position.
fn parse_terms(args: &[String]) -> Result<Vec<erlnode::Term>, Box<dyn std::error::Error>> {
    args.iter()
        .enumerate()
        .map(|(i, a)| {
            erlnode::term::parse::parse_term(a)
                .map_err(|e| format!("argument {} ({a:?}): {e}", i + 1).into())
        })
        .collect()
}

/// `Enum` means the Elixir module `Elixir.Enum`, `:lists` or `lists` the Erlang one.
fn module_atom(m: &str) -> String {
    if let Some(erl) = m.strip_prefix(':') {
        erl.to_owned()
    } else if m.starts_with(|c: char| c.is_ascii_uppercase()) {
        format!("Elixir.{m}")
    } else {
        m.to_owned()
    }
}

async fn run_node(args: &NodeArgs) -> Result<ExitCode, Box<dyn std::error::Error>> {
    let node = builder(args, "erlnode")?.start().await?;
    demo::start(&node);
    if let Some(name) = &args.global_io {
        let io = erlnode::io::start_stdout_server(&node);
        match erlnode::global::register_name(&node, name, &io).await {
            Ok(true) => tracing::info!("I/O server registered in :global as {name}"),
            Ok(false) => tracing::error!("the :global name {name} is already taken"),
            Err(e) => tracing::error!("cannot register {name} in :global: {e}"),
        }
    }
    println!(
        "{} is up (port {}){}",
        node.name(),
        node.port(),
        if node.hidden() { ", hidden" } else { "" }
    );
    for peer in &args.connect {
        match node.connect(peer).await {
            Ok(()) => tracing::info!("connected to {peer}"),
            Err(e) => tracing::error!("{e}"),
        }
    }
    shutdown_signal().await;
    node.shutdown().await;
    Ok(ExitCode::SUCCESS)
}

async fn shutdown_signal() {
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok();
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = async { match term.as_mut() { Some(s) => { s.recv().await; } None => std::future::pending::<()>().await } } => {}
    }
}
