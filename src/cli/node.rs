//! `erlnode` without a subcommand: run a node until Ctrl-C, with its `echo` and `inbox` processes.

use super::args::NodeArgs;
use super::demo;
use std::process::ExitCode;

/// Runs the node until SIGINT or SIGTERM.
pub async fn run(args: &NodeArgs) -> Result<ExitCode, Box<dyn std::error::Error>> {
    let node = args.builder()?.start().await?;
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

/// Returns on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok();
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = async { match term.as_mut() { Some(s) => { s.recv().await; } None => std::future::pending::<()>().await } } => {}
    }
}
