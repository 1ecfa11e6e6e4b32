//! gen_server calls made from a Rust process the way OTP makes them: `call`, `multi_call` (tag `{Ref, Node}`) and `rpc:call` through `rex`.

use super::wire;
use crate::node::{Process, ReceiveError};
use crate::term;
use eetf::{Reference, Term};
use std::time::Duration;

/// The registered name of the global name server on every node.
pub(super) const GNS: &str = "global_name_server";

/// OTP waits forever for these calls (a node that goes away answers with a
/// DOWN); this bound only keeps a wedged peer from wedging us for good.
pub(super) const CALL_TIMEOUT: Duration = Duration::from_secs(60);

fn is_down_for(m: &Term, refs: &[Reference]) -> Option<usize> {
    match term::as_tuple(m) {
        Some([tag, Term::Reference(r), _, _, _]) if term::is_atom(tag, "DOWN") => {
            refs.iter().position(|x| x == &**r)
        }
        _ => None,
    }
}

/// Drops a DOWN for `mref` that may have arrived before the demonitor.
async fn flush_down(p: &mut Process, mref: &Reference) {
    let refs = [mref.clone()];
    let _ = p
        .receive_match_timeout(|m| is_down_for(m, &refs).is_some(), Duration::ZERO)
        .await;
}

/// `gen_server:multi_call(Nodes, Name, Req)`: the replies of the servers that
/// answered, and the nodes whose server was missing or went away.
pub(super) async fn multi_call(
    p: &mut Process,
    nodes: &[String],
    name: &str,
    req: &Term,
) -> (Vec<(String, Term)>, Vec<String>) {
    let tag = term::reference(&p.node().make_ref());
    let me = term::pid(p.pid());
    let mut pending: Vec<String> = Vec::new();
    let mut mrefs: Vec<Reference> = Vec::new();
    for n in nodes {
        if pending.contains(n) {
            continue;
        }
        let mref = p.monitor_name(name, n);
        let from = term::tuple(vec![
            me.clone(),
            term::tuple(vec![tag.clone(), term::atom(n)]),
        ]);
        let msg = wire::gen_call(from, req.clone());
        if p.send_named_remote(n, name, msg).await.is_err() {
            tracing::debug!(node = %n, "global: multi_call send failed");
        }
        pending.push(n.clone());
        mrefs.push(mref);
    }
    let mut replies = Vec::new();
    let mut bad = Vec::new();
    let deadline = tokio::time::Instant::now() + CALL_TIMEOUT;
    while !pending.is_empty() {
        let left = deadline.saturating_duration_since(tokio::time::Instant::now());
        let got = p
            .receive_match_timeout(
                |m| {
                    is_down_for(m, &mrefs).is_some()
                        || reply_node(m, &tag).is_some_and(|n| pending.contains(&n))
                },
                left,
            )
            .await;
        match got {
            Ok(m) => {
                if let Some(i) = is_down_for(&m, &mrefs) {
                    bad.push(pending.remove(i));
                    mrefs.remove(i);
                } else if let Some(n) = reply_node(&m, &tag)
                    && let Some(i) = pending.iter().position(|x| *x == n)
                {
                    let mref = mrefs.remove(i);
                    pending.remove(i);
                    p.demonitor(&mref);
                    flush_down(p, &mref).await;
                    let reply = term::as_tuple(&m)
                        .and_then(|t| t.get(1).cloned())
                        .unwrap_or_else(term::nil);
                    replies.push((n, reply));
                }
            }
            Err(ReceiveError::Timeout) => {
                tracing::warn!(
                    "global: no answer to {} from {pending:?} in {CALL_TIMEOUT:?}; treating them as down",
                    crate::term::print::shown(req, p.node().name()).escape_debug()
                );
                for (n, mref) in pending.drain(..).zip(mrefs.drain(..)) {
                    p.demonitor(&mref);
                    bad.push(n);
                }
            }
            Err(ReceiveError::Exited) => {
                bad.append(&mut pending);
            }
        }
    }
    (replies, bad)
}

/// `{{Tag, Node}, Reply}` -> Node.
fn reply_node(m: &Term, tag: &Term) -> Option<String> {
    match term::as_tuple(m) {
        Some([t, _reply]) => match term::as_tuple(t) {
            Some([tg, n]) if tg == tag => term::as_atom(n).map(str::to_owned),
            _ => None,
        },
        _ => None,
    }
}

/// `gen_server:call({Name, Node}, Req)`: the reply, or `None` when the server
/// is missing, went away or did not answer in time.
pub(super) async fn call(p: &mut Process, node: &str, name: &str, req: Term) -> Option<Term> {
    let tag = term::reference(&p.node().make_ref());
    let mref = p.monitor_name(name, node);
    let from = term::tuple(vec![term::pid(p.pid()), tag.clone()]);
    let msg = wire::gen_call(from, req);
    if p.send_named_remote(node, name, msg).await.is_err() {
        p.demonitor(&mref);
        return None;
    }
    let refs = [mref.clone()];
    let got = p
        .receive_match_timeout(
            |m| {
                is_down_for(m, &refs).is_some()
                    || matches!(term::as_tuple(m), Some([t, _]) if *t == tag)
            },
            CALL_TIMEOUT,
        )
        .await;
    match got {
        Ok(m) if is_down_for(&m, &refs).is_some() => None,
        Ok(m) => {
            p.demonitor(&mref);
            flush_down(p, &mref).await;
            term::as_tuple(&m).and_then(|t| t.get(1).cloned())
        }
        Err(_) => {
            p.demonitor(&mref);
            None
        }
    }
}

/// `rpc:call(Node, M, F, A)` through the node's `rex` server; `{badrpc, R}`
/// when it cannot be made.
pub(super) async fn rpc_call(
    p: &mut Process,
    node: &str,
    m: &str,
    f: &str,
    args: Vec<Term>,
) -> Term {
    let req = term::tuple(vec![
        term::atom("call"),
        term::atom(m),
        term::atom(f),
        term::list(args),
        term::pid(p.pid()),
    ]);
    match call(p, node, "rex", req).await {
        Some(v) => v,
        None => term::tuple(vec![term::atom("badrpc"), term::atom("nodedown")]),
    }
}
