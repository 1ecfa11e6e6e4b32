//! The `rex` registered process: rpc:call / rpc:cast into the node, and the features_request OTP sends on nodeup.

use super::{gen_reply, rpc};
use crate::node::Node;
use crate::term;

pub(crate) fn start(node: &Node) {
    let n = node.clone();
    let pid = node.spawn(move |mut p| async move {
        while let Ok(msg) = p.receive().await {
            handle(&n, msg);
        }
        term::atom("normal")
    });
    if let Err(e) = node.register("rex", &pid) {
        tracing::error!("cannot register rex: {e}");
    }
}

fn handle(node: &Node, msg: eetf::Term) {
    let Some(t) = term::as_tuple(&msg) else {
        tracing::debug!(
            "rex: ignoring {}",
            crate::term::print::shown(&msg, node.name()).escape_debug()
        );
        return;
    };
    match t {
        // {ObserverPid, features_request}: the peer's rex asks what we support.
        [from, req] if term::is_atom(req, "features_request") => {
            if let Some(pid) = term::as_pid(from) {
                node.send(
                    pid,
                    term::tuple(vec![
                        term::atom("features_reply"),
                        term::atom(node.name()),
                        term::list(vec![term::atom("erpc")]),
                    ]),
                );
            }
        }
        // The old form erl_call (ei's rpc) sends: {Pid, {call, M, F, A, GroupLeader}},
        // answered with {rex, Reply}.
        [from, req] if term::as_pid(from).is_some() && is_call(req) => {
            if let (Some(pid), Some([_, m, f, a, gl])) = (term::as_pid(from), term::as_tuple(req)) {
                let (node, pid) = (node.clone(), pid.clone());
                let (m, f, a, gl) = (m.clone(), f.clone(), a.clone(), gl.clone());
                tokio::spawn(async move {
                    let reply =
                        match rpc::apply_terms(&node, &m, &f, &a, term::as_pid(&gl).cloned()).await
                        {
                            Ok(v) => v,
                            Err(ex) => ex.to_badrpc(),
                        };
                    node.send(&pid, term::tuple(vec![term::atom("rex"), reply]));
                });
            }
        }
        // {'$gen_call', From, {call, M, F, A, GroupLeader}}
        [tag, from, req] if term::is_atom(tag, "$gen_call") => match term::as_tuple(req) {
            Some([op, m, f, a, gl]) if term::is_atom(op, "call") => {
                let (node, from) = (node.clone(), from.clone());
                let (m, f, a, gl) = (m.clone(), f.clone(), a.clone(), gl.clone());
                tokio::spawn(async move {
                    let reply =
                        match rpc::apply_terms(&node, &m, &f, &a, term::as_pid(&gl).cloned()).await
                        {
                            Ok(v) => v,
                            Err(ex) => ex.to_badrpc(),
                        };
                    gen_reply(&node, "rex", &from, reply);
                });
            }
            _ => {
                tracing::debug!(
                    "rex: unsupported call {}",
                    crate::term::print::shown(req, node.name()).escape_debug()
                );
                gen_reply(
                    node,
                    "rex",
                    from,
                    term::tuple(vec![term::atom("badrpc"), term::atom("unsupported")]),
                );
            }
        },
        // {'$gen_cast', {cast, M, F, A, GroupLeader}}
        [tag, req] if term::is_atom(tag, "$gen_cast") => {
            if let Some([op, m, f, a, gl]) = term::as_tuple(req)
                && term::is_atom(op, "cast")
            {
                let node = node.clone();
                let (m, f, a, gl) = (m.clone(), f.clone(), a.clone(), gl.clone());
                tokio::spawn(async move {
                    let _ = rpc::apply_terms(&node, &m, &f, &a, term::as_pid(&gl).cloned()).await;
                });
            }
        }
        _ => tracing::debug!(
            "rex: ignoring {}",
            crate::term::print::shown(&msg, node.name()).escape_debug()
        ),
    }
}

fn is_call(req: &eetf::Term) -> bool {
    matches!(term::as_tuple(req), Some([op, _, _, _, _]) if term::is_atom(op, "call"))
}
