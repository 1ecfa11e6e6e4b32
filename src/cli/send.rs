//! `erlnode send NODE NAME TERM`: a message to a registered process from the command line.

use super::args::ConnectArgs;
use super::output;
use clap::Args;
use std::process::ExitCode;
use std::time::Duration;

/// Send TERM (Elixir syntax) to the process registered as NAME on NODE.
#[derive(Args, Debug)]
pub struct SendArgs {
    /// The node, e.g. one@vm.
    pub node: String,
    /// The registered name on NODE, e.g. shell.
    #[arg(value_name = "NAME")]
    pub registered: String,
    /// The message, an Elixir term, e.g. '{:hi, 1}'.
    pub term: String,
    #[command(flatten)]
    pub conn: ConnectArgs,
}

pub async fn run(a: SendArgs) -> Result<ExitCode, Box<dyn std::error::Error>> {
    let msg = output::parse_terms(std::slice::from_ref(&a.term))?.remove(0);
    let me = a.conn.one_shot_node("send").await?;
    let node = &a.node;
    let ok = match me.connect(node).await {
        Ok(()) => {
            let p = me.process();
            p.send_named_remote(node, &a.registered, msg).await?;
            // A ping after the send returns once the send has gone out on the
            // same connection, so shutting down cannot lose it.
            me.ping(node, Duration::from_secs(10)).await
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
