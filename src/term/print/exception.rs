//! Exceptions as Elixir 1.14 prints them: `Exception.format_banner/3` (`** (RuntimeError) boom`) and `Exception.format_stacktrace/1`.

use super::{InspectOpts, atom_literal, atom_remote_call, inspect_with};
use eetf::Term;

/// The exception module and message Elixir shows for an error `reason` (a raised
/// exception struct, or an Erlang error term that `Exception.normalize/3` turns into
/// one, such as `:undef` into `UndefinedFunctionError`). `stack` is the stacktrace
/// (`[{mod, fun, arity_or_args, location}]`), from which `:undef` and
/// `:function_clause` take the function. `module_loaded` says whether the module of
/// an undefined function is loaded on the node that raised it (Elixir then says
/// "undefined or private", else "module ... is not available").
///
/// `None` when `reason` is an exception struct with no `message` field whose message
/// Elixir computes with code this crate does not have (ask the node for
/// `Exception.message/1` then).
pub fn error_banner(
    reason: &Term,
    stack: &Term,
    module_loaded: bool,
    opts: &InspectOpts,
) -> Option<(String, String)> {
    let show = |t: &Term| inspect_with(t, opts);
    if let Some((module, fields)) = exception_struct(reason) {
        let field = |n: &str| fields.map.get(&Term::from(eetf::Atom::from(n)));
        let name = atom_literal(module);
        if let Some(Term::Binary(b)) = field("message") {
            return Some((name, String::from_utf8_lossy(&b.bytes).into_owned()));
        }
        let message = match module {
            "Elixir.Protocol.UndefinedError" => {
                let (protocol, value) = (field("protocol")?, field("value")?);
                let mut m = format!(
                    "protocol {} not implemented for {} of type {}",
                    show(protocol),
                    show(value),
                    type_name(value)
                );
                if let Some(Term::Binary(d)) = field("description")
                    && !d.bytes.is_empty()
                {
                    m.push_str(", ");
                    m.push_str(&String::from_utf8_lossy(&d.bytes));
                }
                m
            }
            "Elixir.KeyError" => match field("term") {
                Some(t) if !is_nil(t) => {
                    format!("key {} not found in: {}", show(field("key")?), show(t))
                }
                _ => format!("key {} not found", show(field("key")?)),
            },
            "Elixir.MatchError" => format!(
                "no match of right hand side value: {}",
                show(field("term")?)
            ),
            "Elixir.CaseClauseError" => {
                format!("no case clause matching: {}", show(field("term")?))
            }
            "Elixir.TryClauseError" => format!("no try clause matching: {}", show(field("term")?)),
            "Elixir.BadMapError" => format!("expected a map, got: {}", show(field("term")?)),
            "Elixir.BadBooleanError" => format!(
                "expected a boolean on left-side of \"{}\", got: {}",
                field("operator").and_then(atom_name)?,
                show(field("term")?)
            ),
            "Elixir.BadFunctionError" => {
                format!("expected a function, got: {}", show(field("term")?))
            }
            "Elixir.ErlangError" => format!("Erlang error: {}", show(field("original")?)),
            "Elixir.UndefinedFunctionError" => undefined_function(
                field("module").and_then(atom_name)?,
                field("function").and_then(atom_name)?,
                int(field("arity")?)?,
                module_loaded,
            ),
            "Elixir.FunctionClauseError" => format!(
                "no function clause matching in {}",
                mfa(
                    field("module").and_then(atom_name)?,
                    field("function").and_then(atom_name)?,
                    int(field("arity")?)?
                )
            ),
            _ => return None,
        };
        return Some((name, message));
    }
    let top = stack_top(stack);
    let (module, message) = match reason {
        Term::Atom(a) => match a.name.as_str() {
            "undef" => match top {
                Some((m, f, arity)) => (
                    "UndefinedFunctionError",
                    undefined_function(m, f, arity, module_loaded),
                ),
                None => ("UndefinedFunctionError", "undefined function".to_owned()),
            },
            "badarg" => ("ArgumentError", "argument error".to_owned()),
            "badarith" => (
                "ArithmeticError",
                "bad argument in arithmetic expression".to_owned(),
            ),
            "system_limit" => (
                "SystemLimitError",
                "a system limit has been reached".to_owned(),
            ),
            "function_clause" => match top {
                Some((m, f, arity)) => (
                    "FunctionClauseError",
                    format!("no function clause matching in {}", mfa(m, f, arity)),
                ),
                None => (
                    "FunctionClauseError",
                    "no function clause matches".to_owned(),
                ),
            },
            _ => ("ErlangError", format!("Erlang error: {}", show(reason))),
        },
        Term::Tuple(t) => match t.elements.as_slice() {
            [Term::Atom(tag), v] => match tag.name.as_str() {
                "badmatch" => (
                    "MatchError",
                    format!("no match of right hand side value: {}", show(v)),
                ),
                "case_clause" => (
                    "CaseClauseError",
                    format!("no case clause matching: {}", show(v)),
                ),
                "try_clause" => (
                    "TryClauseError",
                    format!("no try clause matching: {}", show(v)),
                ),
                "badmap" => ("BadMapError", format!("expected a map, got: {}", show(v))),
                "badfun" => (
                    "BadFunctionError",
                    format!("expected a function, got: {}", show(v)),
                ),
                "badkey" => match map_in_stack(stack) {
                    Some(m) => (
                        "KeyError",
                        format!("key {} not found in: {}", show(v), show(m)),
                    ),
                    None => ("KeyError", format!("key {} not found", show(v))),
                },
                _ => ("ErlangError", format!("Erlang error: {}", show(reason))),
            },
            [Term::Atom(tag), k, m] if tag.name == "badkey" => (
                "KeyError",
                format!("key {} not found in: {}", show(k), show(m)),
            ),
            _ => ("ErlangError", format!("Erlang error: {}", show(reason))),
        },
        _ => ("ErlangError", format!("Erlang error: {}", show(reason))),
    };
    Some((module.to_owned(), message))
}

/// `** (Mod) message` for an error, `** (exit) reason` and `** (throw) value` for the
/// other classes, as `Exception.format_banner/3` writes them (see [`error_banner`];
/// an exception without a message Elixir could compute here prints its struct).
pub fn format_banner(
    class: &str,
    reason: &Term,
    stack: &Term,
    module_loaded: bool,
    opts: &InspectOpts,
) -> String {
    match class {
        "error" => match error_banner(reason, stack, module_loaded, opts) {
            Some((module, message)) => format!("** ({module}) {message}"),
            None => match exception_struct(reason) {
                Some((module, _)) => {
                    format!(
                        "** ({}) {}",
                        atom_literal(module),
                        inspect_with(reason, opts)
                    )
                }
                None => format!(
                    "** (ErlangError) Erlang error: {}",
                    inspect_with(reason, opts)
                ),
            },
        },
        other => format!("** ({other}) {}", inspect_with(reason, opts)),
    }
}

/// The lines of `Exception.format_stacktrace/1`, each indented by four spaces:
/// `    lib/foo.ex:12: Foo.bar/2`, `    :lists.seq/2`. The `(app vsn)` prefix
/// Elixir adds for modules of a known application is left out (that needs the
/// application's metadata).
pub fn format_stacktrace(stack: &Term) -> String {
    let mut out = String::new();
    for entry in list_elements(stack) {
        let Term::Tuple(t) = entry else { continue };
        let (m, f, a, loc) = match t.elements.as_slice() {
            [m, f, a, loc] => (m, f, a, Some(loc)),
            [m, f, a] => (m, f, a, None),
            _ => continue,
        };
        let (Some(m), Some(f)) = (atom_name(m), atom_name(f)) else {
            continue;
        };
        out.push_str("    ");
        if let Some(loc) = loc {
            let file = keyword(loc, "file").and_then(|f| match f {
                Term::ByteList(b) => Some(String::from_utf8_lossy(&b.bytes).into_owned()),
                Term::List(l) => l
                    .elements
                    .iter()
                    .map(|c| int(c).and_then(|c| char::from_u32(c as u32)))
                    .collect(),
                _ => None,
            });
            match (file, keyword(loc, "line").and_then(int)) {
                (Some(file), Some(line)) => out.push_str(&format!("{file}:{line}: ")),
                (Some(file), None) => out.push_str(&format!("{file}: ")),
                _ => {}
            }
        }
        match a {
            // `Mod.fun(arg, ...)` when the entry carries the arguments.
            Term::List(_) | Term::ByteList(_) => {
                let args: Vec<String> = crate::term::as_list(a)
                    .unwrap_or_default()
                    .iter()
                    .map(super::inspect)
                    .collect();
                out.push_str(&format!(
                    "{}.{}({})",
                    atom_literal(m),
                    atom_remote_call(f),
                    args.join(", ")
                ));
            }
            other => out.push_str(&mfa(m, f, int(other).unwrap_or(0))),
        }
        out.push('\n');
    }
    out
}

/// `Enum.map/2`, `:lists.seq/2`, `Mod."odd name"/0`.
pub fn mfa(module: &str, function: &str, arity: i64) -> String {
    format!(
        "{}.{}/{arity}",
        atom_literal(module),
        atom_remote_call(function)
    )
}

fn undefined_function(module: &str, function: &str, arity: i64, loaded: bool) -> String {
    if loaded {
        format!(
            "function {} is undefined or private",
            mfa(module, function, arity)
        )
    } else {
        format!(
            "function {} is undefined (module {} is not available)",
            mfa(module, function, arity),
            atom_literal(module)
        )
    }
}

/// `(module, fields)` of a map with `__exception__: true` and an atom `__struct__`.
fn exception_struct(t: &Term) -> Option<(&str, &eetf::Map)> {
    let Term::Map(m) = t else { return None };
    let get = |n: &str| m.map.get(&Term::from(eetf::Atom::from(n)));
    match (get("__exception__"), get("__struct__")) {
        (Some(Term::Atom(e)), Some(Term::Atom(s))) if e.name == "true" => Some((&s.name, m)),
        _ => None,
    }
}

/// Module, function and arity of the first stacktrace entry.
fn stack_top(stack: &Term) -> Option<(&str, &str, i64)> {
    let Term::Tuple(t) = list_elements(stack).first()? else {
        return None;
    };
    let (m, f, a) = match t.elements.as_slice() {
        [m, f, a, _] | [m, f, a] => (m, f, a),
        _ => return None,
    };
    let arity = match a {
        Term::List(l) => l.elements.len() as i64,
        Term::ByteList(l) => l.bytes.len() as i64,
        other => int(other)?,
    };
    Some((atom_name(m)?, atom_name(f)?, arity))
}

/// The map a `{:badkey, key}` came from, found in the arguments of the call
/// that raised it, where `Exception.normalize/3` looks for it.
fn map_in_stack(stack: &Term) -> Option<&Term> {
    let Term::Tuple(t) = list_elements(stack).first()? else {
        return None;
    };
    let [m, f, Term::List(args), ..] = t.elements.as_slice() else {
        return None;
    };
    let at = match (atom_name(m)?, atom_name(f)?, args.elements.len()) {
        ("Elixir.Map", "get_and_update!" | "update!", 3) => 0,
        ("maps", "update", 3) => 2,
        ("maps", "get", 2) | ("erlang", "map_get", 2) => 1,
        _ => return None,
    };
    args.elements.get(at)
}

fn list_elements(t: &Term) -> &[Term] {
    match t {
        Term::List(l) => &l.elements,
        _ => &[],
    }
}

fn keyword<'a>(list: &'a Term, key: &str) -> Option<&'a Term> {
    list_elements(list).iter().find_map(|e| match e {
        Term::Tuple(t) => match t.elements.as_slice() {
            [Term::Atom(k), v] if k.name == key => Some(v),
            _ => None,
        },
        _ => None,
    })
}

fn atom_name(t: &Term) -> Option<&str> {
    match t {
        Term::Atom(a) => Some(&a.name),
        _ => None,
    }
}

fn is_nil(t: &Term) -> bool {
    matches!(t, Term::Atom(a) if a.name == "nil")
}

fn int(t: &Term) -> Option<i64> {
    match t {
        Term::FixInteger(i) => Some(i64::from(i.value)),
        Term::BigInteger(i) => i.value.to_string().parse().ok(),
        _ => None,
    }
}

/// The type Protocol.UndefinedError names (`Inspect` of `Protocol.UndefinedError`).
fn type_name(t: &Term) -> &'static str {
    match t {
        Term::Atom(_) => "Atom",
        Term::FixInteger(_) | Term::BigInteger(_) => "Integer",
        Term::Float(_) => "Float",
        Term::Binary(_) | Term::BitBinary(_) => "BitString",
        Term::List(_) | Term::ByteList(_) | Term::ImproperList(_) => "List",
        Term::Tuple(_) => "Tuple",
        Term::Map(_) => "Map",
        Term::Pid(_) => "PID",
        Term::Port(_) => "Port",
        Term::Reference(_) => "Reference",
        Term::ExternalFun(_) | Term::InternalFun(_) => "Function",
    }
}
