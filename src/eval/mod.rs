//! iex/erl shell funs spawned on this node: `erlang:apply/2` on `erl_eval` closures, interpreting their Erlang abstract format.
//!
//! ## Shell funs (`Node.spawn(node, fn -> ... end)` from iex)
//!
//! A fun typed in iex (or in `erl`, or passed to `elixir -e`) is not compiled
//! code: it is a closure of the `erl_eval` module whose environment carries
//! the captured variables and the fun's clauses in Erlang abstract format.
//! `Node.spawn(:"rust@host", fn -> ... end)` sends it in a SPAWN_REQUEST of
//! `erlang:apply(Fun, [])`; this node runs it by interpreting those clauses,
//! as the spawned process, with the caller's group leader, so
//! `Node.spawn(:"rust@vm", fn -> IO.inspect Node.self end)` prints
//! `:rust@vm` (iex's spelling of that atom) in the calling iex. `:erpc.call(node, fun)` and
//! `:rpc.call(node, :erlang, :apply, [fun, []])` work the same way.
//!
//! ### The interpreted subset
//!
//! - Literals: integers (any size), floats, atoms, charlists, strings,
//!   `nil`/`true`/`false`; binaries and bitstrings built with `<<...>>` and
//!   `"...#{interpolation}..."` (integer, float, binary, bitstring,
//!   utf8/16/32 segments, sizes, units, signed/little).
//! - Variables captured from the shell, and variables bound inside the fun.
//! - `=` matches with patterns: variables, `_`, pinned variables, literals,
//!   tuples, lists (`[h | t]`), maps (`%{a: x}`), binaries
//!   (`<<a, rest::binary>>`, `"ab" <> r`), nested `=`. A failed match ends the
//!   process with `{:badmatch, value}`.
//! - Tuples, lists, maps (`%{k => v}`, `%{m | k: v}`, `m.k`).
//! - Operators: `+ - * / div rem`, `band bor bxor bsl bsr bnot`, comparisons
//!   (`== != === !== < > <= >=`, Erlang term order), `and or not xor`,
//!   `&& || !`, `++ --`, `<>`.
//! - `case`, `if`/`unless`, `cond`, `with` (Elixir compiles them to `case`),
//!   with guards (`when`) built from comparisons, `and`/`or`, type tests
//!   (`is_integer/1`, `is_atom/1`, ...) and guard BIFs (`elem`,
//!   `tuple_size`, `map_size`, `hd`, `length`, `is_map_key`, ...).
//! - `receive` with clauses, guards and `after` (timeouts in ms or
//!   `:infinity`), selective: messages no clause matches stay in the mailbox.
//! - Funs inside the fun (`fn x -> ... end`, `&Mod.fun/arity`, `f.(x)`,
//!   `apply/2,3`), including tail-recursive loops
//!   (`loop = fn loop, n -> ... loop.(loop, n + 1) end`), which run in
//!   constant space.
//! - Calls: `IO.puts/1,2`, `IO.write/1,2`, `IO.inspect/1,2,3`,
//!   `:io.format/1,2,3`, `Node.self/0`, `Node.list/0,1`, `node/0`,
//!   `self/0`, `send/2` and `!`, `spawn/1` and `spawn_link/1` (of a fun, on
//!   this node), `Process.sleep/1`, `:timer.sleep/1`, `inspect/1,2` (options
//!   ignored), `to_string` (interpolation), `make_ref/0`, `raise "msg"`
//!   (RuntimeError and ArgumentError), `throw/1`, `exit/1`,
//!   `:erlang.error/1,2`, the pure `:erlang` BIFs (conversions, `elem`, `hd`,
//!   `abs`, `round`, ...), and any function registered on the node with
//!   `Node::register_fn`.
//!
//! ### Limits
//!
//! - No exception handling: `try`/`rescue`/`catch`/`after` and Erlang
//!   `catch Expr` end the process with `{:unsupported, :try, 'line N'}`
//!   (`:catch` for the latter).
//! - Only functions registered on this node can be called; the Elixir and
//!   Erlang standard libraries are not here. `Enum.map(...)`,
//!   `String.upcase(...)`, `for` comprehensions (they call `Enum.reduce`) end
//!   the process with `undef`, exactly as calling a missing module does on
//!   BEAM.
//! - Funs created inside an interpreted fun are `erl_eval` closures again
//!   (callable here, and by an OTP 25 node they are sent to). Funs compiled
//!   into BEAM modules (not typed in a shell) cannot run here:
//!   `{:unsupported, :compiled_fun, Module}`.
//! - Records, list/binary/map comprehensions, `maybe` and named funs (Erlang
//!   only) are unsupported constructs; a local call (`f(x)` in an Erlang
//!   shell fun) is taken as a call of the BIF `erlang:f`, so shell-defined
//!   local functions end with `undef`.
//! - Nesting is bounded by stack, not by a count alone: expressions and
//!   non-tail calls may use 640 KiB of stack below the entry, about 100
//!   levels of non-tail recursion in a release build (about 25 in a debug
//!   build); beyond that the process ends with
//!   `{:unsupported, :nesting, 'line N'}`. Tail calls do not count.
//! - Values the fun builds may nest at most 512 deep (what the wire
//!   carries), integers are capped at 2^20 bits, and one list or binary
//!   operation at 16M elements: beyond those, `system_limit`.
//! - Values are shared, never copied on use (`value.rs`): `[h | t]`,
//!   matching `[h | t]`, `hd`, `tl` and `length` take constant time, so a
//!   loop that builds or walks a list is linear, as on BEAM. As on BEAM,
//!   `a ++ b` copies `a` and `a -- b` compares every pair. Unlike BEAM, a map
//!   update copies the map's entries (large maps are not shared trees), and a
//!   list cell takes about 144 bytes.
//!
//! Anything outside the subset ends the spawned process (never the node)
//! with `{:unsupported, Construct, 'line N'}`, where `Construct` is the
//! abstract-format tag (`:try`, `:catch`, `:lc`, ...); the crash report is
//! printed at the caller's group leader, i.e. in the iex that spawned it.

mod bits;
mod forms;
mod interp;
mod ops;
mod pattern;
mod stack;
mod value;

#[cfg(test)]
mod tests;

use crate::node::Node;
use crate::otp::io;
use crate::otp::rpc::{CallContext, Exception};
use crate::term;
use crate::term::print::{InspectOpts, inspect_with};
use eetf::Term;
use std::collections::HashMap;
use std::time::Duration;

/// How deep expressions (and non-tail fun calls) may nest at most; the
/// stack budget (`stack.rs`) usually stops them first.
pub(crate) const MAX_DEPTH: usize = 1000;

/// Calls `fun` with `args` as the process of `ctx`: interprets `erl_eval`
/// funs, dispatches external funs (`&Mod.fun/arity`) to registered functions.
pub async fn apply_fun(ctx: CallContext, fun: &Term, args: Vec<Term>) -> Result<Term, Exception> {
    let fun = value::Value::from_term(fun)?;
    let args = args
        .iter()
        .map(value::Value::from_term)
        .collect::<Result<Vec<_>, _>>()?;
    Ok(apply_value(ctx, fun, args).await?.to_term())
}

/// [`apply_fun`] on values.
async fn apply_value(
    ctx: CallContext,
    fun: value::Value,
    args: Vec<value::Value>,
) -> Result<value::Value, Exception> {
    let interp = interp::Interp::new(ctx);
    stack::Rooted::new(interp.call_fun(&fun, args, 0)).await
}

fn exception_struct(module: &str, arg: &Term) -> Result<Term, Exception> {
    let message = match arg {
        Term::Binary(_) => arg.clone(),
        other => {
            let kv = term::as_list(other).ok_or_else(Exception::badarg)?;
            kv.iter()
                .find_map(|p| match term::as_tuple(p) {
                    Some([k, v]) if term::is_atom(k, "message") => Some(v.clone()),
                    _ => None,
                })
                .ok_or_else(Exception::badarg)?
        }
    };
    let mut m = HashMap::new();
    m.insert(term::atom("__struct__"), term::atom(module));
    m.insert(term::atom("__exception__"), term::atom("true"));
    m.insert(term::atom("message"), message);
    Ok(Term::Map(eetf::Map::from(m)))
}

/// Registers `erlang:apply/2` and the built-ins shell funs (and spawned
/// MFAs) call: `Node.self/0`, `Node.list/0,1`, `Process.sleep/1`,
/// `:timer.sleep/1`, `send/2`,
/// `String.Chars.to_string/1`, `Kernel.inspect/1,2`, `RuntimeError` and
/// `ArgumentError` `exception/1`.
pub(crate) fn register(node: &Node) {
    node.register_fn("erlang", "apply", 2, |ctx, a| async move {
        let args = term::as_list(&a[1]).ok_or_else(Exception::badarg)?;
        apply_fun(ctx, &a[0], args).await
    });
    for m in ["erlang", "Elixir.Kernel"] {
        node.register_fn(m, "send", 2, |ctx, a| async move {
            interp::send_term(&ctx, &a[0], a[1].clone()).await
        });
    }
    node.register_fn("Elixir.Node", "self", 0, |ctx, _| async move {
        Ok(term::atom(ctx.node.name()))
    });
    node.register_fn("Elixir.Node", "list", 0, |ctx, _| async move {
        let node = ctx.node.clone();
        node.apply("erlang", "nodes", vec![], ctx).await
    });
    node.register_fn("Elixir.Node", "list", 1, |ctx, a| async move {
        let node = ctx.node.clone();
        node.apply("erlang", "nodes", a, ctx).await
    });
    for (m, f) in [("Elixir.Process", "sleep"), ("timer", "sleep")] {
        node.register_fn(m, f, 1, |_, a| async move {
            if term::is_atom(&a[0], "infinity") {
                std::future::pending::<()>().await;
            }
            let ms = term::as_int(&a[0])
                .and_then(|ms| u64::try_from(ms).ok())
                .ok_or_else(Exception::badarg)?;
            tokio::time::sleep(Duration::from_millis(ms)).await;
            Ok(term::atom("ok"))
        });
    }
    node.register_fn("Elixir.String.Chars", "to_string", 1, |_, a| async move {
        Ok(term::binary(io::to_string(&a[0])?))
    });
    for arity in [1, 2] {
        node.register_fn("Elixir.Kernel", "inspect", arity, |ctx, a| async move {
            let opts = InspectOpts {
                local_node: Some(ctx.node.name().to_owned()),
                ..InspectOpts::default()
            };
            Ok(term::binary(inspect_with(&a[0], &opts).into_bytes()))
        });
    }
    for module in ["Elixir.RuntimeError", "Elixir.ArgumentError"] {
        node.register_fn(module, "exception", 1, move |_, a| async move {
            exception_struct(module, &a[0])
        });
    }
}
