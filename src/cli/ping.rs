//! `erlnode ping NODE`: `net_adm:ping/1` from the command line, printing pong or why not.

use super::args::{ConnectArgs, parse_timeout, seconds};
use clap::Args;
use std::process::ExitCode;
use std::time::Duration;

/// Ping a node: prints pong (exit status 0), or pang and why on stderr (exit status 1).
#[derive(Args, Debug)]
#[command(after_help = "Example: erlnode ping one@vm --cookie secret")]
pub struct PingArgs {
    /// The node to ping, NAME@HOST (e.g. one@vm).
    pub node: String,
    /// Seconds to wait for the answer.
    #[arg(long, value_name = "SECS", default_value = "10", value_parser = parse_timeout)]
    pub timeout: Duration,
    #[command(flatten)]
    pub conn: ConnectArgs,
}

pub async fn run(a: PingArgs) -> Result<ExitCode, Box<dyn std::error::Error>> {
    let start = tokio::time::Instant::now();
    let deadline = start + a.timeout;
    erlnode::names::check_remote(&a.node)?;
    super::args::look_up(&a.node, a.conn.epmd.port(), a.timeout)
        .await
        .map_err(|e| format!("pang: {e}"))?;
    let me = a.conn.one_shot_node("ping").await?;
    if let Err(e) = super::args::connect(&me, &a.node, deadline, a.timeout).await {
        me.shutdown().await;
        return Err(format!("pang: {e}").into());
    }
    let left = a.timeout.saturating_sub(start.elapsed());
    let pong = me.ping(&a.node, left).await;
    me.shutdown().await;
    if pong {
        println!("pong");
        Ok(ExitCode::SUCCESS)
    } else {
        Err(format!(
            "pang: {} did not answer net_kernel's is_auth within {}",
            a.node,
            seconds(a.timeout)
        )
        .into())
    }
}
