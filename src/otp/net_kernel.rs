//! The `net_kernel` registered process: answers `is_auth` (what `Node.ping` waits for) and other calls peers make.

use super::gen_reply;
use crate::node::Node;
use crate::term;

pub(crate) fn start(node: &Node) {
    let n = node.clone();
    let pid = node.spawn(move |mut p| async move {
        while let Ok(msg) = p.receive().await {
            let Some(t) = term::as_tuple(&msg) else {
                continue;
            };
            match t {
                [tag, from, request] if term::is_atom(tag, "$gen_call") => {
                    let reply = match term::as_tuple(request) {
                        Some([op, _node]) if term::is_atom(op, "is_auth") => term::atom("yes"),
                        _ => {
                            tracing::debug!(
                                "net_kernel: unsupported call {}",
                                crate::term::print::shown(request, n.name()).escape_debug()
                            );
                            term::tuple(vec![term::atom("error"), term::atom("not_supported")])
                        }
                    };
                    gen_reply(&n, "net_kernel", from, reply);
                }
                _ => tracing::debug!(
                    "net_kernel: ignoring {}",
                    crate::term::print::shown(&msg, n.name()).escape_debug()
                ),
            }
        }
        term::atom("normal")
    });
    if let Err(e) = node.register("net_kernel", &pid) {
        tracing::error!("cannot register net_kernel: {e}");
    }
}
