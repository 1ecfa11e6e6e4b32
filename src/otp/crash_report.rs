//! Crash reports of processes spawned here by other nodes, written as the spawner's side writes them: Elixir's Logger form when the group leader's node runs Elixir, OTP's `=ERROR REPORT====` otherwise, with the pid as that node numbers it.

use super::io_format;
use crate::node::Node;
use crate::term;
use crate::term::print::{self, InspectOpts};
use eetf::{Pid, Term};
use std::time::Duration;

/// How long the questions to the reader's node may take before the report is
/// written with what we know.
const ASK_TIMEOUT: Duration = Duration::from_secs(2);

/// The report for `pid` (ours), dead of `reason` (`{Reason, Stack}` for an error,
/// `{{nocatch, V}, Stack}` for a throw), to be written to `group_leader`.
pub(crate) async fn report(
    node: &Node,
    group_leader: Option<&Pid>,
    pid: &Pid,
    reason: &Term,
) -> String {
    let reader = match group_leader {
        Some(gl) if !node.is_local(gl) => Some((
            super::elixir::runs_elixir(node, gl).await,
            pid_index(node, &gl.node.name, pid).await,
        )),
        _ => None,
    };
    let pid_text = |index: Option<&String>| match index {
        Some(n) => format!("<{n}.{}.{}>", pid.id, pid.serial),
        None => io_format::write_term(
            &term::pid(pid),
            -1,
            io_format::Encoding::Latin1,
            &io_format::PrintOpts::default(),
        ),
    };
    match reader {
        Some((true, index)) => elixir_report(node, &pid_text(index.as_ref()), reason),
        Some((false, index)) => {
            io_format::crash_report_for(node.name(), &pid_text(index.as_ref()), reason)
        }
        None => io_format::crash_report(node.name(), pid, reason),
    }
}

/// The node number `peer` prints for our pids (`N` in `<N.id.serial>`), from
/// `:erlang.pid_to_list/1` on that node.
async fn pid_index(node: &Node, peer: &str, pid: &Pid) -> Option<String> {
    let t = node
        .call(
            peer,
            "erlang",
            "pid_to_list",
            vec![term::pid(pid)],
            ASK_TIMEOUT,
        )
        .await
        .ok()?;
    let text: String = term::as_list(&t)?
        .iter()
        .map(|c| match c {
            Term::FixInteger(i) => u32::try_from(i.value).ok().and_then(char::from_u32),
            _ => None,
        })
        .collect::<Option<String>>()?;
    let n = text.strip_prefix('<')?.split('.').next()?;
    n.chars().all(|c| c.is_ascii_digit()).then(|| n.to_owned())
}

/// Elixir's Logger line for the crash (Logger.Translator's "raised an exception"
/// with `Exception.format/3`), in Elixir 1.14's default console format:
///
/// ```text
///
/// 12:04:59.077 [error] Process #PID<10909.106.0> on node :bb@vm raised an exception
/// ** (RuntimeError) boom
///     (stdlib 4.2) erl_eval.erl:742: :erl_eval.do_apply/7
/// ```
fn elixir_report(node: &Node, pid_text: &str, reason: &Term) -> String {
    let opts = InspectOpts::default();
    let (error, stack) = match term::as_tuple(reason) {
        Some([r, s]) if term::as_list(s).is_some() => (r.clone(), s.clone()),
        _ => (reason.clone(), term::nil()),
    };
    let module_loaded =
        undefined_module(&error, &stack).is_none_or(|m| node.inner.functions.has_module(&m));
    let banner = print::format_banner("error", &error, &stack, module_loaded, &opts);
    format!(
        "\n{} [error] Process #PID{pid_text} on node {} raised an exception\n{banner}\n{}",
        clock(),
        print::atom_literal(node.name()),
        print::format_stacktrace(&stack)
    )
}

/// The module of the function an `undef` names (the top of the stacktrace).
fn undefined_module(error: &Term, stack: &Term) -> Option<String> {
    if !term::is_atom(error, "undef") {
        return None;
    }
    let first = term::as_list(stack)?.into_iter().next()?;
    term::as_atom(term::as_tuple(&first)?.first()?).map(str::to_owned)
}

/// `HH:MM:SS.mmm` (UTC), as Logger's `$time`.
fn clock() -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    let s = now.as_secs() % 86_400;
    format!(
        "{:02}:{:02}:{:02}.{:03}",
        s / 3600,
        s / 60 % 60,
        s % 60,
        now.subsec_millis()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The lines a real Elixir 1.14 spawner printed for `Node.spawn(:"bb@vm", :nosuch, :fun, [])`
    /// and `Node.spawn(:"bb@vm", :erlang, :error, [:badarg])` (after the timestamp).
    #[test]
    fn banner_and_stack_lines_as_logger_prints_them() {
        let stack = crate::term::parse::parse_term("[{:nosuch, :fun, [], []}]").unwrap();
        let text = print::format_banner(
            "error",
            &term::atom("undef"),
            &stack,
            false,
            &InspectOpts::default(),
        );
        assert_eq!(
            text,
            "** (UndefinedFunctionError) function :nosuch.fun/0 is undefined (module :nosuch is not available)"
        );
        assert_eq!(print::format_stacktrace(&stack), "    :nosuch.fun()\n");
        let stack = crate::term::parse::parse_term(
            "[{:erts_internal, :dist_spawn_init, 1, []}, {:erl_eval, :do_apply, 7, [file: 'erl_eval.erl', line: 742]}]",
        )
        .unwrap();
        assert_eq!(
            print::format_stacktrace(&stack),
            "    :erts_internal.dist_spawn_init/1\n    erl_eval.erl:742: :erl_eval.do_apply/7\n"
        );
    }
}
