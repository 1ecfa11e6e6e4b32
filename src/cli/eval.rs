//! `erlnode eval NODE CODE`: Elixir (or Erlang) code evaluated on a BEAM node, as `erl_call -e` does, the result printed as iex prints it.

use super::args::{ConnectArgs, parse_timeout};
use super::output::{OutputArgs, Printer, Syntax};
use clap::Args;
use erlnode::{CallError, Node, Term, term};
use std::process::ExitCode;
use std::time::Duration;

/// Evaluate CODE on NODE and print the result: Elixir code through
/// `Code.eval_string/1`, Erlang code (with --erlang) through `erl_eval`.
#[derive(Args, Debug)]
#[command(
    after_help = "Examples:\n  erlnode eval one@vm 'Enum.map(1..3, &(&1 * 2))'\n  erlnode eval one@vm --erlang 'lists:seq(1, 3).'"
)]
pub struct EvalArgs {
    /// The node, NAME@HOST (e.g. one@vm).
    pub node: String,
    /// The code (e.g. 'Node.self()', or with --erlang 'node().').
    pub code: String,
    /// CODE is Erlang (expressions, the last `.` optional); results print in Erlang syntax
    /// unless --format says otherwise.
    #[arg(long)]
    pub erlang: bool,
    /// Seconds to wait for the result.
    #[arg(long, value_name = "SECS", default_value = "30", value_parser = parse_timeout)]
    pub timeout: Duration,
    #[command(flatten)]
    pub output: OutputArgs,
    #[command(flatten)]
    pub conn: ConnectArgs,
}

pub async fn run(a: EvalArgs) -> Result<ExitCode, Box<dyn std::error::Error>> {
    let default = if a.erlang {
        Syntax::Erlang
    } else {
        Syntax::Elixir
    };
    let printer = Printer::new(&a.output, default);
    let me = a.conn.connected("eval", &a.node, a.timeout).await?;
    let result = if a.erlang {
        eval_erlang(&me, &a.node, &a.code, a.timeout).await
    } else {
        me.call(
            &a.node,
            "Elixir.Code",
            "eval_string",
            vec![term::binary(a.code.as_bytes())],
            a.timeout,
        )
        .await
        .map(|r| match term::as_tuple(&r) {
            Some([value, _binding]) => Ok(value.clone()),
            _ => Err(format!("Code.eval_string/1 answered {}", printer.value(&r))),
        })
    };
    let code = match result {
        Ok(Ok(v)) => {
            println!("{}", printer.result(&me, &a.node, &v).await);
            ExitCode::SUCCESS
        }
        Ok(Err(why)) => {
            eprintln!("erlnode: {why}");
            ExitCode::FAILURE
        }
        Err(e) => {
            eprintln!("{}", printer.call_error(&me, &a.node, &e).await);
            ExitCode::FAILURE
        }
    };
    me.shutdown().await;
    Ok(code)
}

/// `erl_scan:string/1`, `erl_parse:parse_exprs/1`, `erl_eval:exprs/2` on `node`.
async fn eval_erlang(
    me: &Node,
    node: &str,
    code: &str,
    timeout: Duration,
) -> Result<Result<Term, String>, CallError> {
    let mut src = code.trim_end().to_owned();
    if !src.ends_with('.') {
        src.push('.');
    }
    let chars = term::list(
        src.chars()
            .map(|c| term::int(i64::from(u32::from(c))))
            .collect(),
    );
    let scanned = me
        .call(node, "erl_scan", "string", vec![chars], timeout)
        .await?;
    let tokens = match term::as_tuple(&scanned) {
        Some([ok, tokens, _]) if term::is_atom(ok, "ok") => tokens.clone(),
        _ => {
            return Ok(Err(format!(
                "cannot scan the code: {}",
                describe(me, node, &scanned, timeout).await
            )));
        }
    };
    let parsed = me
        .call(node, "erl_parse", "parse_exprs", vec![tokens], timeout)
        .await?;
    let exprs = match term::as_tuple(&parsed) {
        Some([ok, exprs]) if term::is_atom(ok, "ok") => exprs.clone(),
        _ => {
            return Ok(Err(format!(
                "cannot parse the code: {}",
                describe(me, node, &parsed, timeout).await
            )));
        }
    };
    let bindings = me
        .call(node, "erl_eval", "new_bindings", vec![], timeout)
        .await?;
    let r = me
        .call(node, "erl_eval", "exprs", vec![exprs, bindings], timeout)
        .await?;
    Ok(match term::as_tuple(&r) {
        Some([value, v, _]) if term::is_atom(value, "value") => Ok(v.clone()),
        _ => Err(format!(
            "erl_eval:exprs/2 answered {}",
            erlnode::term::print::inspect_erlang(&r, None, None)
        )),
    })
}

/// `{error, {Line, Mod, Desc}, _}` as erl says it: `Mod:format_error(Desc)` on the node.
async fn describe(me: &Node, node: &str, err: &Term, timeout: Duration) -> String {
    let info = match term::as_tuple(err) {
        Some([_, info, ..]) => info.clone(),
        _ => return erlnode::term::print::inspect_erlang(err, None, None),
    };
    if let Some([loc, module, desc]) = term::as_tuple(&info)
        && let Some(m) = term::as_atom(module)
        && let Ok(text) = me
            .call(node, m, "format_error", vec![desc.clone()], timeout)
            .await
        && let Ok(chars) = me
            .call(node, "unicode", "characters_to_binary", vec![text], timeout)
            .await
        && let Term::Binary(b) = chars
    {
        let at = erlnode::term::print::inspect_erlang(loc, None, None);
        return format!("{}: {}", at, String::from_utf8_lossy(&b.bytes));
    }
    erlnode::term::print::inspect_erlang(&info, None, None)
}
