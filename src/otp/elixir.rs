//! Whether a peer node runs Elixir (`:code.is_loaded(Elixir.Kernel)`, asked once per node incarnation), for output that Elixir and Erlang nodes expect in different forms.

use crate::node::Node;
use crate::term;
use eetf::Pid;
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

/// How long the question may take; without an answer the node counts as Erlang.
const ASK_TIMEOUT: Duration = Duration::from_secs(2);

/// (our node, peer node, peer creation): a restarted peer is asked again.
type Key = (String, String, u32);

/// The answers so far.
static ANSWERS: Mutex<Option<HashMap<Key, bool>>> = Mutex::new(None);

/// Whether the node of `pid` runs Elixir. Our own pids: no.
pub(crate) async fn runs_elixir(node: &Node, pid: &Pid) -> bool {
    if node.is_local(pid) {
        return false;
    }
    let key = (node.name().to_owned(), pid.node.name.clone(), pid.creation);
    if let Some(&known) = ANSWERS
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .as_ref()
        .and_then(|m| m.get(&key))
    {
        return known;
    }
    let answer = node
        .call(
            &pid.node.name,
            "code",
            "is_loaded",
            vec![term::atom("Elixir.Kernel")],
            ASK_TIMEOUT,
        )
        .await;
    let elixir = matches!(&answer, Ok(t) if !term::is_atom(t, "false"));
    // A failed question is not cached: the next one may get through.
    if answer.is_ok() {
        ANSWERS
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get_or_insert_with(HashMap::new)
            .insert(key, elixir);
    }
    elixir
}
