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
    let list = epmd::names(addr).await?;
    println!("epmd: up and running on port {port} with data:");
    for (name, p) in list {
        println!("name {name} at port {p}");
    }
    Ok(ExitCode::SUCCESS)
}

pub async fn serve(a: ServeArgs) -> Result<ExitCode, Box<dyn std::error::Error>> {
    let port = a.epmd.port();
    let server = epmd::EpmdServer::bind(std::net::SocketAddr::from(([0, 0, 0, 0], port))).await?;
    tracing::info!(addr = %server.local_addr(), "EPMD listening");
    let handle = server.spawn();
    super::node::shutdown_signal().await;
    handle.stop().await;
    Ok(ExitCode::SUCCESS)
}
