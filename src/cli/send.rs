//! `erlnode send NODE NAME TERM`: a message to a registered process from the command line.

use super::args::{ConnectArgs, parse_timeout};
use super::output;
use clap::Args;
use std::process::ExitCode;
use std::time::Duration;

/// Send TERM to the process registered as NAME on NODE (as `send({NAME, NODE}, TERM)`).
/// The name is looked up on NODE first: a name nobody registered is an error.
#[derive(Args, Debug)]
#[command(
    allow_negative_numbers = true,
    after_help = "Example: erlnode send one@vm shell '{:hi, [1, 2]}'"
)]
pub struct SendArgs {
    /// The node, NAME@HOST (e.g. one@vm).
    pub node: String,
    /// The registered name on NODE (e.g. shell, or :shell).
    #[arg(value_name = "NAME")]
    pub registered: String,
    /// The message, one Elixir term (e.g. '{:hi, 1}').
    pub term: String,
    /// Seconds to wait for the connection and the name's lookup.
    #[arg(long, value_name = "SECS", default_value = "10", value_parser = parse_timeout)]
    pub timeout: Duration,
    #[command(flatten)]
    pub conn: ConnectArgs,
}

pub async fn run(a: SendArgs) -> Result<ExitCode, Box<dyn std::error::Error>> {
    let msg = output::parse_terms(std::slice::from_ref(&a.term))?.remove(0);
    let name = output::function_atom(&a.registered)?;
    let node = &a.node;
    let me = a.conn.connected("send", node, a.timeout).await?;
    let lookup = me
        .call(
            node,
            "erlang",
            "whereis",
            vec![erlnode::term::atom(&name)],
            a.timeout,
        )
        .await;
    let result = match lookup {
        Ok(t) if erlnode::term::is_atom(&t, "undefined") => Err(format!(
            "no process is registered as {} on {node}",
            erlnode::term::print::atom_literal(&name)
        )),
        Ok(_) => {
            let p = me.process();
            match p.send_named_remote(node, &name, msg).await {
                // A ping after the send returns once the send has gone out on the
                // same connection, so shutting down cannot lose it.
                Ok(()) if me.ping(node, a.timeout).await => Ok(()),
                Ok(()) => Err(format!("the connection to {node} closed during the send")),
                Err(e) => Err(e.to_string()),
            }
        }
        Err(e) => Err(format!("cannot look up {name} on {node}: {e}")),
    };
    me.shutdown().await;
    result?;
    Ok(ExitCode::SUCCESS)
}
