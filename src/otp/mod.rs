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

/// Replies to a gen_server call made to the registered service `server`:
/// `From = {Pid, Tag}` gets `{Tag, Reply}`, as `gen:reply/2` sends it: to the
/// caller's alias for an OTP 24+ `[alias | Ref]` tag (so a reply after the
/// caller gave up is dropped instead of landing in its mailbox), else to the pid.
pub(crate) fn gen_reply(node: &Node, server: &str, from: &eetf::Term, reply: eetf::Term) {
    use crate::term;
    let Some([pid, tag]) = term::as_tuple(from) else {
        return;
    };
    let Some(pid) = term::as_pid(pid) else {
        return;
    };
    let msg = term::tuple(vec![tag.clone(), reply]);
    match (alias_of(tag), node.whereis(server)) {
        (Some(alias), Some(me)) => node.send_alias(&me, &alias, &msg, false),
        _ => node.send(pid, msg),
    }
}

/// The alias in a gen call's `[alias | Ref]` tag, or in `[[alias | Ref] | _]`
/// (the multi-call form).
pub(crate) fn alias_of(tag: &eetf::Term) -> Option<eetf::Reference> {
    use crate::term;
    let eetf::Term::ImproperList(l) = tag else {
        return None;
    };
    match (l.elements.as_slice(), &*l.last) {
        ([a], eetf::Term::Reference(r)) if term::is_atom(a, "alias") => Some((**r).clone()),
        ([inner, ..], _) => match inner {
            eetf::Term::ImproperList(_) => alias_of(inner),
            _ => None,
        },
        _ => None,
    }
}
