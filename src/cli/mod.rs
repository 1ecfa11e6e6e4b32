//! The `erlnode` command line: run a node, ping, call, send, list EPMD names, run an EPMD server.
//!
//! Each subcommand lives in its own file with its own `Args` struct; the flags they share
//! are in [`args`]. Node flags given before the subcommand (`erlnode --cookie c ping n`)
//! are moved after it before clap parses, so they are accepted anywhere.

mod args;
mod call;
mod demo;
mod epmd;
mod eval;
mod node;
mod output;
mod ping;
mod pubsub;
mod send;
mod tls;

use clap::{CommandFactory, Parser, Subcommand};
use std::ffi::OsString;
use std::process::ExitCode;

#[derive(Parser, Debug)]
#[command(
    name = "erlnode",
    version,
    about = "A Rust node for Erlang/Elixir clusters"
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    node: args::NodeArgs,
}

#[derive(Subcommand, Debug)]
enum Command {
    Ping(ping::PingArgs),
    Call(call::CallArgs),
    Send(send::SendArgs),
    Eval(eval::EvalArgs),
    Names(epmd::NamesArgs),
    Epmd(epmd::ServeArgs),
    Pubsub(pubsub::PubSubArgs),
    Pg(pubsub::PgArgs),
}

/// Parses the command line, runs the command and returns its exit status.
pub fn main() -> ExitCode {
    let argv = flags_after_subcommand(std::env::args_os().collect());
    let cli = match Cli::try_parse_from(&argv) {
        Ok(cli) => cli,
        Err(e) => return usage_error(e, &argv),
    };
    // Servers (a node, epmd) log at info; one-shot commands only warn, so their output stays clean.
    let default_level = match cli.command {
        None | Some(Command::Epmd(_)) => "info",
        Some(_) => "warn",
    };
    tracing_subscriber::fmt()
        .with_env_filter(
            // An empty RUST_LOG counts as unset.
            std::env::var("RUST_LOG")
                .ok()
                .filter(|v| !v.trim().is_empty())
                .and_then(|v| tracing_subscriber::EnvFilter::try_new(v).ok())
                .unwrap_or_else(|| tracing_subscriber::EnvFilter::new(default_level)),
        )
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    let rt = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("erlnode: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    rt.block_on(async move {
        match run(cli).await {
            Ok(code) => code,
            Err(e) => {
                eprintln!("erlnode: {e}");
                ExitCode::FAILURE
            }
        }
    })
}

async fn run(cli: Cli) -> Result<ExitCode, Box<dyn std::error::Error>> {
    match cli.command {
        None => node::run(&cli.node).await,
        Some(Command::Ping(a)) => ping::run(a).await,
        Some(Command::Call(a)) => call::run(a).await,
        Some(Command::Send(a)) => send::run(a).await,
        Some(Command::Eval(a)) => eval::run(a).await,
        Some(Command::Names(a)) => epmd::names(a).await,
        Some(Command::Epmd(a)) => epmd::serve(a).await,
        Some(Command::Pubsub(a)) => pubsub::run_pubsub(a).await,
        Some(Command::Pg(a)) => pubsub::run_pg(a).await,
    }
}

/// Help and version print as clap writes them; a usage error prints one line
/// (arguments of more than [`SHOWN_ARG`] characters shortened) and exits 2.
fn usage_error(e: clap::Error, argv: &[OsString]) -> ExitCode {
    use clap::error::ErrorKind;
    if matches!(
        e.kind(),
        ErrorKind::DisplayHelp
            | ErrorKind::DisplayVersion
            | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
    ) {
        let _ = e.print();
        return ExitCode::SUCCESS;
    }
    let mut text = e.render().to_string();
    for arg in argv.iter().filter_map(|a| a.to_str()) {
        if arg.chars().count() > SHOWN_ARG {
            text = text.replace(arg, &shorten(arg));
        }
    }
    let first = text.lines().next().unwrap_or("invalid arguments");
    let first = first.strip_prefix("error: ").unwrap_or(first);
    eprintln!("erlnode: {first} (see erlnode --help)");
    ExitCode::from(2)
}

/// Longest argument repeated whole in an error message.
const SHOWN_ARG: usize = 60;

/// An argument as error messages quote it: whole when short, else its start
/// and how long it is.
pub fn shorten(arg: &str) -> String {
    let n = arg.chars().count();
    if n <= SHOWN_ARG {
        format!("{arg:?}")
    } else {
        let head: String = arg.chars().take(40).collect();
        format!("{head:?}... ({n} characters)")
    }
}

/// `erlnode --cookie c ping n` becomes `erlnode ping --cookie c n`: the top-level
/// options before the subcommand's name move after it, so that each subcommand
/// declares (and its `--help` lists) only the flags it takes, and they are still
/// accepted before it. Nothing after `--` is touched.
fn flags_after_subcommand(argv: Vec<OsString>) -> Vec<OsString> {
    let cmd = Cli::command();
    let subcommands: Vec<String> = cmd
        .get_subcommands()
        .flat_map(|s| {
            std::iter::once(s.get_name().to_owned()).chain(s.get_all_aliases().map(str::to_owned))
        })
        .collect();
    // Long options of the top level that take a value.
    let takes_value = |flag: &str| {
        let name = flag.trim_start_matches('-');
        cmd.get_arguments()
            .any(|a| a.get_long() == Some(name) && a.get_action().takes_values())
    };
    let mut leading = Vec::new();
    let mut i = 1;
    while i < argv.len() {
        let Some(s) = argv[i].to_str() else { break };
        if s == "--" || !s.starts_with("--") {
            break;
        }
        leading.push(argv[i].clone());
        if !s.contains('=') && takes_value(s) && i + 1 < argv.len() {
            i += 1;
            leading.push(argv[i].clone());
        }
        i += 1;
    }
    let is_subcommand = argv
        .get(i)
        .and_then(|a| a.to_str())
        .is_some_and(|s| subcommands.iter().any(|c| c == s));
    if leading.is_empty() || !is_subcommand {
        return argv;
    }
    let mut out = Vec::with_capacity(argv.len());
    out.push(argv[0].clone());
    out.push(argv[i].clone());
    out.extend(leading);
    out.extend(argv[i + 1..].iter().cloned());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn argv(s: &str) -> Vec<OsString> {
        s.split(' ').map(OsString::from).collect()
    }

    #[test]
    fn leading_flags_move_after_the_subcommand() {
        assert_eq!(
            flags_after_subcommand(argv("erlnode --cookie c --sname me ping one@vm")),
            argv("erlnode ping --cookie c --sname me one@vm")
        );
        assert_eq!(
            flags_after_subcommand(argv("erlnode --cookie=c names")),
            argv("erlnode names --cookie=c")
        );
        // A node run (no subcommand) and a value that looks like a subcommand stay as they are.
        assert_eq!(
            flags_after_subcommand(argv("erlnode --sname ping")),
            argv("erlnode --sname ping")
        );
        assert_eq!(
            flags_after_subcommand(argv("erlnode --hidden --sname x")),
            argv("erlnode --hidden --sname x")
        );
    }

    #[test]
    fn long_arguments_are_shortened() {
        assert_eq!(shorten("[1, 2"), "\"[1, 2\"");
        let long = "x".repeat(120_000);
        let s = shorten(&long);
        assert!(s.len() < 80 && s.ends_with("(120000 characters)"), "{s}");
    }

    #[test]
    fn the_command_line_is_well_formed() {
        Cli::command().debug_assert();
    }
}
