//! How the CLI reads terms and module names from its arguments and prints results and exceptions, as iex (or erl) prints them.

use clap::{Args, ValueEnum};
use erlnode::term::print::{self, InspectOpts};
use erlnode::{CallError, Node, Term};
use std::time::Duration;

/// Syntax of printed results.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Syntax {
    /// As iex prints: `%{a: 1}`, `"text"`, `** (ArgumentError) argument error`.
    Elixir,
    /// As erl prints: `#{a => 1}`, `<<"text">>`, `** exception error: bad argument`.
    Erlang,
}

/// How much of a result to print.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Limit {
    Items(usize),
    Infinity,
}

fn parse_limit(s: &str) -> Result<Limit, String> {
    if s == "infinity" {
        return Ok(Limit::Infinity);
    }
    match s.parse::<usize>() {
        Ok(n) if n > 0 => Ok(Limit::Items(n)),
        _ => Err("expected a positive number or `infinity`".into()),
    }
}

/// The output flags of the commands that print a result.
#[derive(Args, Debug, Clone)]
pub struct OutputArgs {
    /// Items printed of each list, tuple, map or binary before `...`, as inspect's
    /// `:limit` (in Erlang syntax: the `~P` depth); `infinity` prints everything.
    #[arg(long, value_name = "N|infinity", default_value = "50", value_parser = parse_limit)]
    pub limit: Limit,
    /// Print results in Elixir (default) or Erlang syntax.
    #[arg(long, value_enum, value_name = "SYNTAX")]
    pub format: Option<Syntax>,
}

/// Prints values and exceptions for one command.
pub struct Printer {
    pub syntax: Syntax,
    opts: InspectOpts,
    depth: Option<usize>,
}

impl Printer {
    pub fn new(args: &OutputArgs, default: Syntax) -> Self {
        let (limit, depth) = match args.limit {
            Limit::Items(n) => (n, Some(n)),
            Limit::Infinity => (usize::MAX, None),
        };
        Printer {
            syntax: args.format.unwrap_or(default),
            opts: InspectOpts {
                limit,
                printable_limit: if depth.is_none() { usize::MAX } else { 4096 },
                ..InspectOpts::default()
            },
            depth,
        }
    }

    /// A result of a call on `node`, as iex there prints it: on an Elixir node the
    /// node's own `inspect(t, pretty: true, width: 80, limit: ...)` (lines broken at
    /// 80 columns, its own `Inspect` implementations and struct field order); on
    /// another node, or if that fails, our printer's one-line form.
    pub async fn result(&self, me: &Node, node: &str, t: &Term) -> String {
        use erlnode::term::{atom, tuple};
        if self.syntax == Syntax::Elixir {
            let bound = |n: usize| {
                if n == usize::MAX {
                    atom("infinity")
                } else {
                    erlnode::term::int(i64::try_from(n).unwrap_or(i64::MAX))
                }
            };
            let opts = erlnode::term::list(vec![
                tuple(vec![atom("pretty"), atom("true")]),
                tuple(vec![atom("width"), erlnode::term::int(80)]),
                tuple(vec![atom("limit"), bound(self.opts.limit)]),
                tuple(vec![
                    atom("printable_limit"),
                    bound(self.opts.printable_limit),
                ]),
            ]);
            if let Ok(Term::Binary(b)) = me
                .call(
                    node,
                    "Elixir.Kernel",
                    "inspect",
                    vec![t.clone(), opts],
                    Duration::from_secs(10),
                )
                .await
                && let Ok(text) = String::from_utf8(b.bytes)
            {
                return text;
            }
        }
        self.value(t)
    }

    /// A value, as iex (or erl) prints a result, on one line.
    pub fn value(&self, t: &Term) -> String {
        match self.syntax {
            Syntax::Elixir => print::inspect_with(t, &self.opts),
            Syntax::Erlang => print::inspect_erlang(t, self.depth, None),
        }
    }

    /// What iex prints for an exception a call on `node` raised: `** (Mod) message`
    /// (erl: `** exception error: ...`). Asks `node` what only it knows: whether
    /// the module of an undefined function is loaded, and the message of an
    /// exception struct without a `message` field.
    pub async fn exception(
        &self,
        me: &Node,
        node: &str,
        class: &str,
        reason: &Term,
        stack: &Term,
    ) -> String {
        if self.syntax == Syntax::Erlang {
            return format!(
                "** exception {class}: {}",
                erlang_reason(class, reason, stack, self)
            );
        }
        let ask = |m: &'static str, f: &'static str, args: Vec<Term>| async move {
            me.call(node, m, f, args, Duration::from_secs(5)).await.ok()
        };
        // The node's own `Exception.format_banner/3` says it as that node's iex would:
        // Elixir rewords banners between releases (1.18 and 1.20 reworded
        // Protocol.UndefinedError and MatchError). The local wording below is for a
        // node that does not answer (no Elixir there, say).
        if let Some(Term::Binary(banner)) = ask(
            "Elixir.Exception",
            "format_banner",
            vec![erlnode::term::atom(class), reason.clone(), stack.clone()],
        )
        .await
        {
            return String::from_utf8_lossy(&banner.bytes).into_owned();
        }
        let mut loaded = true;
        if class == "error"
            && erlnode::term::is_atom(reason, "undef")
            && let Some(m) = stack_module(stack)
        {
            loaded = !matches!(
                ask("code", "is_loaded", vec![erlnode::term::atom(&m)]).await,
                Some(t) if erlnode::term::is_atom(&t, "false")
            );
        }
        if class == "error"
            && print::error_banner(reason, stack, loaded, &self.opts).is_none()
            && let Some(Term::Binary(msg)) =
                ask("Elixir.Exception", "message", vec![reason.clone()]).await
            && let Term::Map(m) = reason
            && let Some(Term::Atom(module)) =
                m.map.get(&Term::from(erlnode::Atom::from("__struct__")))
        {
            return format!(
                "** ({}) {}",
                print::atom_literal(&module.name),
                String::from_utf8_lossy(&msg.bytes)
            );
        }
        print::format_banner(class, reason, stack, loaded, &self.opts)
    }

    /// The one line for a failed call.
    pub async fn call_error(&self, me: &Node, node: &str, e: &CallError) -> String {
        match e {
            CallError::Exception {
                class,
                reason,
                stack,
            } => {
                self.exception(me, node, class.as_str(), reason, stack)
                    .await
            }
            CallError::BadRpc(r) => {
                format!("erlnode: the call to {node} failed: {}", self.value(r))
            }
            CallError::Timeout => format!("erlnode: no answer from {node} in time (see --timeout)"),
            CallError::NoConnection(why) => format!("erlnode: {why}"),
            CallError::Type(e) => format!("erlnode: {e}"),
        }
    }
}

/// The module of the first stacktrace entry.
fn stack_module(stack: &Term) -> Option<String> {
    let first = erlnode::term::as_list(stack)?.into_iter().next()?;
    let t = erlnode::term::as_tuple(&first)?;
    erlnode::term::as_atom(t.first()?).map(str::to_owned)
}

/// The erl shell's wording (`erl_error:format_exception/3`) for the common errors.
fn erlang_reason(class: &str, reason: &Term, stack: &Term, p: &Printer) -> String {
    use erlnode::term::{as_atom, as_tuple, is_atom};
    if class == "error" {
        let top = erlnode::term::as_list(stack)
            .and_then(|l| l.into_iter().next())
            .and_then(|e| as_tuple(&e).map(<[Term]>::to_vec));
        let mfa = |with_args: bool| -> Option<String> {
            let t = top.as_ref()?;
            let (m, f) = (as_atom(t.first()?)?, as_atom(t.get(1)?)?);
            let a = t.get(2)?;
            let q = |s: &str| print::inspect_erlang(&erlnode::term::atom(s), None, None);
            Some(match erlnode::term::as_list(a) {
                Some(args) if with_args => format!(
                    "{}:{}({})",
                    q(m),
                    q(f),
                    args.iter()
                        .map(|x| print::inspect_erlang(x, None, None))
                        .collect::<Vec<_>>()
                        .join(",")
                ),
                Some(args) => format!("{}:{}/{}", q(m), q(f), args.len()),
                None => format!("{}:{}/{}", q(m), q(f), p.value(a)),
            })
        };
        if is_atom(reason, "undef")
            && let Some(f) = mfa(false)
        {
            return format!("undefined function {f}");
        }
        if is_atom(reason, "function_clause")
            && let Some(f) = mfa(true)
        {
            return format!("no function clause matching {f}");
        }
        if is_atom(reason, "badarg") {
            return "bad argument".into();
        }
        if is_atom(reason, "badarith") {
            return "an error occurred when evaluating an arithmetic expression".into();
        }
        if let Some([tag, v]) = as_tuple(reason)
            && is_atom(tag, "badmatch")
        {
            return format!("no match of right hand side value {}", p.value(v));
        }
    }
    p.value(reason)
}

/// Parses command-line terms in Elixir syntax; an error names the argument and position.
pub fn parse_terms(args: &[String]) -> Result<Vec<Term>, String> {
    args.iter()
        .enumerate()
        .map(|(i, a)| {
            erlnode::term::parse::parse_term(a).map_err(|e| {
                let hint = if a.starts_with("--") {
                    " (flags after `--` are read as terms; put them before `--`)"
                } else {
                    ""
                };
                format!("argument {} ({}): {e}{hint}", i + 1, super::shorten(a))
            })
        })
        .collect()
}

/// The module atom an argument names: `Enum`, `Elixir.Enum` and `:"Elixir.Enum"`
/// all name `Elixir.Enum`; `:lists` and `lists` name `lists`.
pub fn module_atom(m: &str) -> Result<String, String> {
    if let Some(bare) = m.strip_prefix(':') {
        return match erlnode::term::parse::parse_term(m) {
            Ok(Term::Atom(a)) => Ok(a.name),
            // `:Elixir.Enum` is an atom in Elixir too.
            _ if !bare.is_empty()
                && bare
                    .chars()
                    .all(|c| c.is_alphanumeric() || matches!(c, '_' | '.' | '@')) =>
            {
                Ok(bare.to_owned())
            }
            _ => Err(format!("invalid module name {}", super::shorten(m))),
        };
    }
    if m.starts_with("Elixir.") || !m.starts_with(|c: char| c.is_ascii_uppercase()) {
        Ok(m.to_owned())
    } else {
        Ok(format!("Elixir.{m}"))
    }
}

/// The function atom an argument names: `sum`, `:sum` or `:"odd name"`.
pub fn function_atom(f: &str) -> Result<String, String> {
    if f.starts_with(':') {
        return match erlnode::term::parse::parse_term(f) {
            Ok(Term::Atom(a)) => Ok(a.name),
            _ => Err(format!("invalid function name {}", super::shorten(f))),
        };
    }
    Ok(f.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn module_names() {
        for m in ["Enum", "Elixir.Enum", ":\"Elixir.Enum\"", ":Elixir.Enum"] {
            assert_eq!(module_atom(m).unwrap(), "Elixir.Enum", "{m}");
        }
        assert_eq!(module_atom(":lists").unwrap(), "lists");
        assert_eq!(module_atom("lists").unwrap(), "lists");
        assert_eq!(module_atom("String.Chars").unwrap(), "Elixir.String.Chars");
        assert_eq!(function_atom(":\"a b\"").unwrap(), "a b");
    }

    #[test]
    fn limits() {
        assert_eq!(parse_limit("infinity"), Ok(Limit::Infinity));
        assert_eq!(parse_limit("3"), Ok(Limit::Items(3)));
        assert!(parse_limit("0").is_err());
        assert!(parse_limit("-1").is_err());
    }
}
