//! `erlnode ping NODE`: `net_adm:ping/1` from the command line, printing pong or pang.

use super::args::ConnectArgs;
use clap::Args;
use std::process::ExitCode;
use std::time::Duration;

/// Ping a node: prints pong or pang (exit status 0 or 1).
#[derive(Args, Debug)]
pub struct PingArgs {
    /// The node to ping, e.g. one@vm.
    pub node: String,
    /// Seconds to wait for the answer.
    #[arg(long, default_value_t = 10)]
    pub timeout: u64,
    #[command(flatten)]
    pub conn: ConnectArgs,
}

pub async fn run(a: PingArgs) -> Result<ExitCode, Box<dyn std::error::Error>> {
    let me = a.conn.one_shot_node("ping").await?;
    let pong = me.ping(&a.node, Duration::from_secs(a.timeout)).await;
    me.shutdown().await;
    println!("{}", if pong { "pong" } else { "pang" });
    Ok(if pong {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
