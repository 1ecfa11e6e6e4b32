//! Name clashes when two partitions meet: `exchange_names` (which side resolves, what it sends back) and `global:resolve_it/4` with OTP's resolvers.

use super::calls;
use super::order::cmp_atoms;
use super::tables::Tables;
use super::wire::{Op, RegEntry};
use crate::node::{CallContext, Node, Process};
use crate::term;
use eetf::{ExternalFun, InternalFun, Pid, Term};
use std::cmp::Ordering;
use std::sync::{Arc, Mutex};

/// The resolver this node passes when it registers: `fun global:random_exit_name/3`.
pub(super) fn default_method() -> Term {
    Term::from(ExternalFun::from(("global", "random_exit_name", 3)))
}

/// OTP's `register_name/2` passes `fun random_exit_name/3` written inside
/// module global: on the wire a local fun of module `global`, arity 3, with no
/// free variables. No other local fun of global has that shape.
pub(super) fn is_default_method(m: &Term) -> bool {
    match m {
        Term::InternalFun(f) => match &**f {
            InternalFun::New {
                module,
                arity,
                free_vars,
                ..
            } => module.name == "global" && *arity == 3 && free_vars.is_empty(),
            InternalFun::Old { .. } => false,
        },
        Term::ExternalFun(f) => {
            f.module.name == "global" && f.function.name == "random_exit_name" && f.arity == 3
        }
        _ => false,
    }
}

/// `minmax/2`: the pid on the node with the smaller name first.
fn minmax(a: &Pid, b: &Pid) -> (Pid, Pid) {
    if cmp_atoms(&a.node.name, &b.node.name) == Ordering::Less {
        (a.clone(), b.clone())
    } else {
        (b.clone(), a.clone())
    }
}

fn conflict(name: &Term) -> Term {
    term::tuple(vec![term::atom("global_name_conflict"), name.clone()])
}

/// `global:resolve_it(Method, Name, Pid1, Pid2)`, run on this node: OTP's
/// three resolvers, or a Rust function registered as the method's M:F/3.
/// `from` sends the kill of `random_exit_name`.
pub(super) async fn resolve_it(
    node: &Node,
    from: &Pid,
    method: &Term,
    name: &Term,
    p1: &Pid,
    p2: &Pid,
) -> Term {
    let (module, function) = match method {
        Term::ExternalFun(f) if f.arity == 3 => (f.module.name.as_str(), f.function.name.as_str()),
        m if is_default_method(m) => ("global", "random_exit_name"),
        _ => ("", ""),
    };
    match (module, function) {
        ("global", "random_exit_name") => {
            let (min, max) = minmax(p1, p2);
            tracing::info!(
                "global: Name conflict terminating {}",
                crate::term::print::shown(
                    &term::tuple(vec![name.clone(), term::pid(&max)]),
                    node.name()
                )
                .escape_debug()
            );
            node.exit_signal_to(&max, from, term::atom("kill"), false);
            term::pid(&min)
        }
        ("global", "random_notify_name") => {
            let (min, max) = minmax(p1, p2);
            node.send(&max, conflict(name));
            term::pid(&min)
        }
        ("global", "notify_all_name") => {
            let with = |other: &Pid| {
                term::tuple(vec![
                    term::atom("global_name_conflict"),
                    name.clone(),
                    term::pid(other),
                ])
            };
            node.send(p1, with(p2));
            node.send(p2, with(p1));
            term::atom("none")
        }
        (m, f) if !m.is_empty() && node.has_fn(m, f, 3) => {
            let args = vec![name.clone(), term::pid(p1), term::pid(p2)];
            match node
                .apply(m, f, args, CallContext::detached(node, None))
                .await
            {
                Ok(v) => v,
                Err(ex) => term::tuple(vec![term::atom("EXIT"), ex.exit_reason()]),
            }
        }
        _ => {
            tracing::warn!("global: cannot run resolve method {method} for name {name} here");
            term::tuple(vec![
                term::atom("EXIT"),
                term::tuple(vec![term::atom("undef"), method.clone()]),
            ])
        }
    }
}

/// `exchange_names/4`: compares the peer's names with ours. Returns the ops
/// for us to apply and those resolved here for the peer. Clashes are resolved
/// by the node with the smaller name, on the node of our registration.
pub(super) async fn exchange_names(
    node: &Node,
    tables: &Arc<Mutex<Tables>>,
    peer: &str,
    names: Vec<RegEntry>,
) -> (Vec<Op>, Vec<Op>) {
    let mut ops = Vec::new();
    let mut res = Vec::new();
    let mut rpc_proc: Option<Process> = None;
    let resolve_here = cmp_atoms(node.name(), peer) == Ordering::Less;
    for e in names {
        let ours = crate::node::lock(tables)
            .name(&e.name)
            .map(|n| n.entry.clone());
        let Some(mine) = ours else {
            ops.push(Op::Insert(e));
            continue;
        };
        if mine.pid == e.pid || !resolve_here {
            continue;
        }
        let answer = if node.is_local(&mine.pid) {
            let from = rpc_proc.get_or_insert_with(|| node.process()).pid().clone();
            resolve_it(node, &from, &mine.method, &e.name, &e.pid, &mine.pid).await
        } else {
            let p = rpc_proc.get_or_insert_with(|| node.process());
            calls::rpc_call(
                p,
                &mine.pid.node.name,
                "global",
                "resolve_it",
                vec![
                    mine.method.clone(),
                    e.name.clone(),
                    term::pid(&e.pid),
                    term::pid(&mine.pid),
                ],
            )
            .await
        };
        match &answer {
            Term::Pid(p) if *p == e.pid => ops.push(Op::Insert(e)),
            Term::Pid(p) if *p == mine.pid => res.push(Op::Insert(mine)),
            a if term::is_atom(a, "none") => {
                ops.push(Op::Delete(e.name.clone()));
                res.push(Op::Delete(e.name));
            }
            a if matches!(term::as_tuple(a), Some([t, _]) if term::is_atom(t, "badrpc")) => {
                tracing::info!(
                    "global: badrpc {} received when conflicting name {} was found",
                    crate::term::print::shown(a, node.name()).escape_debug(),
                    crate::term::print::shown(&e.name, node.name()).escape_debug()
                );
                ops.push(Op::Insert(e));
            }
            a => {
                tracing::info!(
                    "global: Resolve method {} for conflicting name {} returned {}",
                    crate::term::print::shown(&mine.method, node.name()).escape_debug(),
                    crate::term::print::shown(&e.name, node.name()).escape_debug(),
                    crate::term::print::shown(a, node.name()).escape_debug()
                );
                ops.push(Op::Delete(e.name.clone()));
                res.push(Op::Delete(e.name));
            }
        }
    }
    (ops, res)
}

/// Makes `global:resolve_it/4` (what a peer's resolver rpc:calls when our
/// process holds a clashing name) and a few read-only `global` functions
/// callable on this node.
pub(super) fn register_functions(node: &Node) {
    node.register_fn("global", "resolve_it", 4, |ctx, a| async move {
        let (Some(p1), Some(p2)) = (term::as_pid(&a[2]), term::as_pid(&a[3])) else {
            return Ok(term::tuple(vec![term::atom("EXIT"), term::atom("badarg")]));
        };
        // The kill comes from the caller (rpc runs us as a process), else
        // from the name server, as a stand-in.
        let from = ctx
            .self_pid
            .clone()
            .or_else(|| ctx.node.whereis(calls::GNS))
            .unwrap_or_else(|| p1.clone());
        Ok(resolve_it(&ctx.node, &from, &a[0], &a[1], p1, p2).await)
    });
    node.register_fn("global", "whereis_name", 1, |ctx, a| async move {
        Ok(match super::whereis_name_term(&ctx.node, &a[0]) {
            Some(p) => term::pid(&p),
            None => term::atom("undefined"),
        })
    });
    node.register_fn("global", "registered_names", 0, |ctx, _| async move {
        Ok(term::list(super::registered_names(&ctx.node)))
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(node: &str, id: u32) -> Pid {
        Pid {
            node: eetf::Atom::from(node),
            id,
            serial: 0,
            creation: 1,
        }
    }

    #[test]
    fn minmax_by_node_name() {
        let (a, b) = (p("a@h", 9), p("b@h", 1));
        assert_eq!(minmax(&a, &b), (a.clone(), b.clone()));
        assert_eq!(minmax(&b, &a), (a.clone(), b.clone()));
        // Same node: the second argument counts as the smaller, as in OTP.
        let c = p("a@h", 10);
        assert_eq!(minmax(&a, &c), (c.clone(), a.clone()));
    }

    #[test]
    fn default_methods() {
        assert!(is_default_method(&default_method()));
        assert!(!is_default_method(&Term::from(ExternalFun::from((
            "global",
            "notify_all_name",
            3
        )))));
        assert!(!is_default_method(&term::atom("x")));
    }
}
