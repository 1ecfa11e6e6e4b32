//! `erlnode call NODE MOD FUN ARG...`: an erpc call from the command line, the result printed as iex prints it.

use super::args::ConnectArgs;
use super::output;
use clap::Args;
use std::process::ExitCode;
use std::time::Duration;

/// Call MOD:FUN(ARG...) on NODE and print the result as iex would.
/// Arguments are Elixir terms: `42`, `:atom`, `"bin"`, `[1, 2]`, `%{a: 1}`, ...
#[derive(Args, Debug)]
pub struct CallArgs {
    /// The node to call, e.g. one@vm.
    pub node: String,
    /// The module, e.g. Enum or :lists.
    pub module: String,
    /// The function, e.g. sum.
    pub function: String,
    /// The arguments, each an Elixir term, e.g. '[1, 2, 3]'.
    pub args: Vec<String>,
    /// Seconds to wait for the result.
    #[arg(long, default_value_t = 30)]
    pub timeout: u64,
    #[command(flatten)]
    pub conn: ConnectArgs,
}

pub async fn run(a: CallArgs) -> Result<ExitCode, Box<dyn std::error::Error>> {
    let args = output::parse_terms(&a.args)?;
    let me = a.conn.one_shot_node("call").await?;
    let module = output::module_atom(&a.module);
    let result = me
        .call(
            &a.node,
            &module,
            &a.function,
            args,
            Duration::from_secs(a.timeout),
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
