//! The CLI node's own registered processes: `echo` (sends `term` back for `{pid, term}`) and `inbox` (prints what it gets).

use erlnode::Node;
use erlnode::term;

/// Registers `echo` and `inbox` on `node`.
pub fn start(node: &Node) {
    let echo = node.spawn(|mut p| async move {
        while let Ok(msg) = p.receive().await {
            if let Some([from, term]) = term::as_tuple(&msg)
                && let Some(pid) = term::as_pid(from)
            {
                p.send(pid, term.clone());
            }
        }
        term::atom("normal")
    });
    let local = node.name().to_owned();
    let inbox = node.spawn(move |mut p| async move {
        let opts = erlnode::term::print::InspectOpts::with_local_node(local);
        while let Ok(msg) = p.receive().await {
            println!("{}", erlnode::term::print::inspect_with(&msg, &opts));
        }
        term::atom("normal")
    });
    for (name, pid) in [("echo", echo), ("inbox", inbox)] {
        if let Err(e) = node.register(name, &pid) {
            tracing::error!("cannot register {name}: {e}");
        }
    }
}
