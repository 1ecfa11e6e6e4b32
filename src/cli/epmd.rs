//! `erlnode names` (as `epmd -names`) and `erlnode epmd` (an EPMD server in the foreground).

use super::args::EpmdArgs;
use clap::Args;
use erlnode::epmd;
use std::process::ExitCode;

/// List the names registered with EPMD, like `epmd -names`.
#[derive(Args, Debug)]
pub struct NamesArgs {
    #[command(flatten)]
    pub epmd: EpmdArgs,
}

/// Run an EPMD server in the foreground.
#[derive(Args, Debug)]
pub struct ServeArgs {
    #[command(flatten)]
    pub epmd: EpmdArgs,
}

pub async fn names(a: NamesArgs) -> Result<ExitCode, Box<dyn std::error::Error>> {
    let port = a.epmd.port();
    let addr = std::net::SocketAddr::from(([127, 0, 0, 1], port));
    let list = epmd::names(addr).await.map_err(|e| match e {
        epmd::EpmdError::Connect { source, .. }
            if source.kind() == std::io::ErrorKind::ConnectionRefused =>
        {
            format!("no EPMD is running on port {port} (connection refused)")
        }
        e => format!("cannot list the names at EPMD on port {port}: {e}"),
    })?;
    println!("epmd: up and running on port {port} with data:");
    for (name, p) in list {
        println!("name {name} at port {p}");
    }
    Ok(ExitCode::SUCCESS)
}

pub async fn serve(a: ServeArgs) -> Result<ExitCode, Box<dyn std::error::Error>> {
    let port = a.epmd.port();
    let addr = std::net::SocketAddr::from(([0, 0, 0, 0], port));
    let server = epmd::EpmdServer::bind(addr).await.map_err(|e| match e.kind() {
        std::io::ErrorKind::AddrInUse => format!(
            "cannot listen on port {port}: the port is taken (is an EPMD already running? `erlnode names --epmd-port {port}` asks it)"
        ),
        std::io::ErrorKind::PermissionDenied => {
            format!("cannot listen on port {port}: permission denied (ports below 1024 need privileges)")
        }
        _ => format!("cannot listen on {addr}: {e}"),
    })?;
    tracing::info!(addr = %server.local_addr(), "EPMD listening");
    let handle = server.spawn();
    super::node::shutdown_signal().await;
    handle.stop().await;
    Ok(ExitCode::SUCCESS)
}
