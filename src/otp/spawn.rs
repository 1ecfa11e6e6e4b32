//! SPAWN_REQUEST from peers (Node.spawn, spawn_link/monitor, erpc): run the MFA as a Rust process and answer SPAWN_REPLY.

use super::rpc::{CallContext, Exception};
use crate::node::{Node, Origin};
use crate::proto::control::{Control, PidOrName, SPAWN_REPLY_LINK, SPAWN_REPLY_MONITOR};
use crate::term;
use crate::term::print;
use eetf::{Pid, Reference, Term};

pub(crate) struct SpawnRequest {
    pub req_id: Reference,
    pub from: Pid,
    pub group_leader: Pid,
    pub module: String,
    pub function: String,
    pub arity: i32,
    pub options: Term,
    pub args: Term,
}

#[derive(Default)]
struct Options {
    link: bool,
    monitor: bool,
}

/// How many links and monitors a spawn_request with `options` sets up for its sender.
pub(crate) fn ties_requested(options: &Term) -> usize {
    parse_options(options).map_or(0, |o| usize::from(o.link) + usize::from(o.monitor))
}

/// Reads a spawn_request option list; `None` for anything BEAM would refuse
/// (answered with the error result `badopt`).
fn parse_options(t: &Term) -> Option<Options> {
    let mut o = Options::default();
    for opt in term::as_list(t)? {
        match &opt {
            a if term::is_atom(a, "link") => o.link = true,
            a if term::is_atom(a, "monitor") => o.monitor = true,
            Term::Tuple(tu) if tu.elements.len() == 2 => {
                match tu.elements.first().and_then(term::as_atom)? {
                    "monitor" => o.monitor = true,
                    // Accepted and of no effect on this node.
                    "reply" | "reply_tag" | "priority" | "fullsweep_after" | "min_heap_size"
                    | "min_bin_vheap_size" | "max_heap_size" | "message_queue_data"
                    | "async_dist" => {}
                    _ => return None,
                }
            }
            _ => return None,
        }
    }
    Some(o)
}

impl Node {
    /// A SPAWN_REQUEST from connection `origin`, whose link and monitor options
    /// the caller has checked against the limits.
    pub(crate) fn spawn_request(&self, origin: &Origin, req: SpawnRequest) {
        let peer = origin.peer.as_str();
        let (req_id, requester) = (req.req_id.clone(), req.from.clone());
        let reply = |node: &Node, flags: i32, result: Term| {
            crate::node::connection::send_control(
                node,
                peer,
                &Control::SpawnReply {
                    req_id: req_id.clone(),
                    to: requester.clone(),
                    flags,
                    result,
                },
                None,
                false,
            );
        };
        let (Some(opts), Some(args)) = (parse_options(&req.options), term::as_list(&req.args))
        else {
            reply(self, 0, term::atom("badopt"));
            return;
        };
        if args.len() != usize::try_from(req.arity).unwrap_or(usize::MAX) {
            reply(self, 0, term::atom("badarg"));
            return;
        }
        let node = self.clone();
        let from = req.from.clone();
        let monitor_ref = req.req_id.clone();
        let (module, function) = (req.module.clone(), req.function.clone());
        let args_len = args.len();
        let gl = req.group_leader.clone();
        let pid = self.spawn_with(
            Some(gl.clone()),
            |pid| {
                // Err only if local processes took the room checked for since.
                if opts.link {
                    let _ = node.remote_link(origin, from.clone(), pid.clone());
                }
                if opts.monitor {
                    let _ = node.remote_monitor_request(
                        origin,
                        from.clone(),
                        PidOrName::Pid(pid.clone()),
                        monitor_ref.clone(),
                    );
                }
            },
            move |p| async move {
                let node = p.node().clone();
                let me = p.pid().clone();
                let ctx = CallContext::in_process(p, Some(gl.clone()));
                if module == "erpc" && function == "execute_call" && args.len() == 4 {
                    return erpc_execute_call(&node, ctx, &args).await;
                }
                let result = node.apply(&module, &function, args, ctx).await;
                match result {
                    Ok(_) => term::atom("normal"),
                    Err(ex) => {
                        let reason = ex.exit_reason();
                        let here = node.name();
                        tracing::info!(
                            "process {} spawned by {} running {} exited: {}",
                            print::shown_pid(&me, here),
                            print::shown_pid(&req.from, here),
                            print::mfa(&module, &function, args_len as i64),
                            print::shown(&reason, here)
                        );
                        // As on BEAM, exit/1 ends a process quietly; errors get a crash report.
                        if ex.class != super::rpc::Class::Exit {
                            super::io::error_report(&node, Some(&gl), &me, &reason).await;
                        }
                        reason
                    }
                }
            },
        );
        let mut flags = 0;
        if opts.link {
            flags |= SPAWN_REPLY_LINK;
        }
        if opts.monitor {
            flags |= SPAWN_REPLY_MONITOR;
        }
        reply(self, flags, term::pid(&pid));
    }
}

/// `erpc:execute_call(Ref, M, F, A)`: the result travels as the exit reason,
/// `{Ref, return, V}` or `{Ref, Class, Reason[, Stack]}`.
async fn erpc_execute_call(node: &Node, ctx: CallContext, args: &[Term]) -> Term {
    let reference = args[0].clone();
    let result = match (
        term::as_atom(&args[1]),
        term::as_atom(&args[2]),
        term::as_list(&args[3]),
    ) {
        (Some(m), Some(f), Some(a)) => node.apply(m, f, a, ctx).await,
        _ => Err(Exception::badarg()),
    };
    match result {
        Ok(v) => term::tuple(vec![reference, term::atom("return"), v]),
        Err(ex) => match ex.class {
            super::rpc::Class::Error => {
                term::tuple(vec![reference, term::atom("error"), ex.reason, ex.stack])
            }
            c => term::tuple(vec![reference, term::atom(c.as_str()), ex.reason]),
        },
    }
}
