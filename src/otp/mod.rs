//! Node services every BEAM node runs and peers expect answers from: net_kernel, rex, spawn handling.

pub(crate) mod crash_report;
pub(crate) mod elixir;
pub mod gen_server;
pub mod global;
pub mod io;
pub mod io_format;
pub mod io_server;
pub(crate) mod net_kernel;
pub mod pg;
pub mod pubsub;
pub(crate) mod rex;
pub mod rpc;
pub(crate) mod spawn;

use crate::node::Node;

/// Starts the built-in registered processes.
pub(crate) fn start(node: &Node) {
    net_kernel::start(node);
    rex::start(node);
    global::start(node);
    rpc::register_builtins(node);
    io::register_builtins(node);
    crate::eval::register(node);
}

/// Replies to a gen_server call: `From = {Pid, Tag}` gets `{Tag, Reply}`.
/// The tag is echoed as it came (OTP 24+ sends `[alias | Ref]`).
pub(crate) fn gen_reply(node: &Node, from: &eetf::Term, reply: eetf::Term) {
    use crate::term;
    if let Some([pid, tag]) = term::as_tuple(from)
        && let Some(pid) = term::as_pid(pid)
    {
        node.send(pid, term::tuple(vec![tag.clone(), reply]));
    }
}
