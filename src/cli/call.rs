//! `erlnode call NODE MOD FUN ARG...`: an erpc call from the command line, the result printed as iex prints it.

use super::args::{ConnectArgs, parse_timeout};
use super::output::{self, OutputArgs, Printer, Syntax};
use clap::Args;
use std::process::ExitCode;
use std::time::Duration;

/// Call MOD.FUN(ARG...) on NODE (through erpc) and print the result as iex would.
#[derive(Args, Debug)]
#[command(
    allow_negative_numbers = true,
    after_help = "Examples:\n  erlnode call one@vm Enum sum '[1, 2, 3]'\n  erlnode call one@vm :erlang abs -5\n  erlnode call one@vm URI parse '\"http://x.org/a\"'\n\nA failed call prints the exception as iex does, `** (ArgumentError) argument error`, and exits 1."
)]
pub struct CallArgs {
    /// The node to call, NAME@HOST (e.g. one@vm).
    pub node: String,
    /// The module: an Elixir alias (Enum, Elixir.Enum) or an Erlang module (:lists or lists).
    pub module: String,
    /// The function name (e.g. sum, or :"odd name").
    pub function: String,
    /// The arguments, each one Elixir term (e.g. 42, -5, :ok, '"text"', '[1, 2]', '%{a: 1}').
    pub args: Vec<String>,
    /// Seconds to wait for the result.
    #[arg(long, value_name = "SECS", default_value = "30", value_parser = parse_timeout)]
    pub timeout: Duration,
    #[command(flatten)]
    pub output: OutputArgs,
    #[command(flatten)]
    pub conn: ConnectArgs,
}

pub async fn run(a: CallArgs) -> Result<ExitCode, Box<dyn std::error::Error>> {
    let args = output::parse_terms(&a.args)?;
    let module = output::module_atom(&a.module)?;
    let function = output::function_atom(&a.function)?;
    let printer = Printer::new(&a.output, Syntax::Elixir);
    let me = a.conn.connected("call", &a.node, a.timeout).await?;
    let result = me.call(&a.node, &module, &function, args, a.timeout).await;
    let code = match result {
        Ok(v) => {
            println!("{}", printer.result(&me, &a.node, &v).await);
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("{}", printer.call_error(&me, &a.node, &e).await);
            ExitCode::FAILURE
        }
    };
    me.shutdown().await;
    Ok(code)
}
