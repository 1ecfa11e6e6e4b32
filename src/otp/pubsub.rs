//! Phoenix.PubSub's PG2 adapter on this node: workers joined to the PubSub's groups in the `Phoenix.PubSub` pg scope, local subscribers, and the broadcast forms.
//!
//! What goes over the wire is what the PG2 adapter sends: a broadcast sends
//! `{:forward_to_local, Topic, Message, Dispatcher}` to one worker of the PubSub
//! on every other node (the members of the adapter's groups in the pg scope
//! `Phoenix.PubSub`), and that worker hands `Message` to its node's subscribers
//! of `Topic`. The workers here are registered under the group names
//! (`MyApp.PubSub.Adapter`, then `MyApp.PubSub.Adapter_2`... for a `pool_size`
//! above 1) and joined to those groups, so BEAM nodes reach the Rust
//! subscribers exactly as they reach their own.

use super::pg::{self, PgError};
use crate::node::{Inner, Node, lock};
use crate::proto::control::{Control, PidOrName};
use crate::term;
use eetf::{Atom, Pid, Reference, Term};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, Weak};
use thiserror::Error;

/// The pg scope the PG2 adapter uses.
pub const PG_SCOPE: &str = "Elixir.Phoenix.PubSub";

/// The dispatcher Phoenix.PubSub uses unless given another (`Phoenix.PubSub` itself).
pub const DEFAULT_DISPATCHER: &str = "Elixir.Phoenix.PubSub";

/// What can go wrong with a PubSub.
#[derive(Debug, Error)]
pub enum PubSubError {
    /// The pg scope could not be started.
    #[error(transparent)]
    Pg(#[from] PgError),
    /// A worker's name is taken by a process that is not ours.
    #[error("the name {0} is already taken by another process")]
    NameTaken(String),
    /// Only processes of this node can subscribe.
    #[error("{0} is not a process of this node")]
    NotLocal(Pid),
    /// A typed message could not be turned into a term.
    #[error("cannot encode the message: {0}")]
    Encode(#[from] crate::term::serde::Error),
    /// `pool_size` must be at least 1 and at least `broadcast_pool_size`.
    #[error(
        "pool_size {pool_size} with broadcast_pool_size {broadcast_pool_size}: both must be at least 1, and pool_size not below broadcast_pool_size"
    )]
    PoolSize {
        /// The workers (groups) on this node.
        pool_size: usize,
        /// The groups broadcasts go through.
        broadcast_pool_size: usize,
    },
}

/// How a PubSub runs; the same `pool_size` as the Elixir nodes' PubSub.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Options {
    /// Workers on this node, one per group (Phoenix's `:pool_size`, default 1).
    pub pool_size: usize,
    /// Groups broadcasts go through (Phoenix's `:broadcast_pool_size`,
    /// default `pool_size`).
    pub broadcast_pool_size: Option<usize>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            pool_size: 1,
            broadcast_pool_size: None,
        }
    }
}

/// The atom an Elixir name stands for: `MyApp.PubSub` is `Elixir.MyApp.PubSub`,
/// `:my_pubsub` (or `my_pubsub`) is `my_pubsub`, `Elixir.X` stays as it is.
pub fn elixir_atom(name: &str) -> String {
    if let Some(plain) = name.strip_prefix(':') {
        plain.trim_matches('"').to_owned()
    } else if name.starts_with("Elixir.") || !name.starts_with(|c: char| c.is_ascii_uppercase()) {
        name.to_owned()
    } else {
        format!("Elixir.{name}")
    }
}

/// The adapter's group names for a PubSub named `pubsub` (an atom's text):
/// `Module.concat(pubsub, "Adapter")`, then `<that>_2` .. `<that>_N`.
pub fn group_names(pubsub: &str, pool_size: usize) -> Vec<String> {
    let base = format!(
        "Elixir.{}.Adapter",
        pubsub.strip_prefix("Elixir.").unwrap_or(pubsub)
    );
    (1..=pool_size.max(1))
        .map(|n| {
            if n == 1 {
                base.clone()
            } else {
                format!("{base}_{n}")
            }
        })
        .collect()
}

/// Local subscriptions: topic to subscribers, and per subscriber its monitor and topics.
#[derive(Default)]
struct Subs {
    topics: HashMap<Vec<u8>, Vec<Pid>>,
    by_pid: HashMap<Pid, (Reference, Vec<Vec<u8>>)>,
}

impl Subs {
    fn remove(&mut self, pid: &Pid, topic: &[u8]) -> bool {
        let Some(list) = self.topics.get_mut(topic) else {
            return false;
        };
        let Some(i) = list.iter().position(|p| p == pid) else {
            return false;
        };
        list.swap_remove(i);
        if list.is_empty() {
            self.topics.remove(topic);
        }
        true
    }
}

struct State {
    node: Node,
    name: String,
    groups: Vec<Atom>,
    broadcast_groups: usize,
    scope: pg::Scope,
    subs: Arc<Mutex<Subs>>,
    workers: Vec<Pid>,
    watcher: Pid,
}

/// A Phoenix.PubSub on this node. Cheap to clone; every clone is the same PubSub.
#[derive(Clone)]
pub struct PubSub {
    state: Arc<State>,
}

impl std::fmt::Debug for PubSub {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PubSub")
            .field("name", &self.state.name)
            .field("groups", &self.state.groups)
            .finish()
    }
}

struct Entry {
    node: Weak<Inner>,
    pubsub: PubSub,
}

static RUNNING: Mutex<Vec<Entry>> = Mutex::new(Vec::new());

/// Starts the PubSub `name` (as Elixir writes it: `MyApp.PubSub`) on `node`
/// with `pool_size` 1, or returns it if it is already running.
pub async fn start(node: &Node, name: &str) -> Result<PubSub, PubSubError> {
    start_with(node, name, Options::default()).await
}

/// [`start`] with options (use the Elixir nodes' `pool_size`).
pub async fn start_with(node: &Node, name: &str, opts: Options) -> Result<PubSub, PubSubError> {
    let name = elixir_atom(name);
    let broadcast = opts.broadcast_pool_size.unwrap_or(opts.pool_size);
    if opts.pool_size == 0 || broadcast == 0 || broadcast > opts.pool_size {
        return Err(PubSubError::PoolSize {
            pool_size: opts.pool_size,
            broadcast_pool_size: broadcast,
        });
    }
    {
        let mut all = lock(&RUNNING);
        all.retain(|e| e.node.strong_count() > 0);
        if let Some(e) = all.iter().find(|e| {
            std::ptr::eq(e.node.as_ptr(), Arc::as_ptr(&node.inner)) && e.pubsub.state.name == name
        }) {
            return Ok(e.pubsub.clone());
        }
    }
    let scope = pg::start(node, PG_SCOPE)?;
    let names = group_names(&name, opts.pool_size);
    if let Some(taken) = names.iter().find(|n| node.whereis(n).is_some()) {
        return Err(PubSubError::NameTaken(taken.clone()));
    }
    let subs = Arc::new(Mutex::new(Subs::default()));
    let watcher = spawn_watcher(node, subs.clone());
    let mut workers = Vec::new();
    for group in &names {
        let worker = spawn_worker(node, subs.clone());
        if node.register(group, &worker).is_err() {
            node.send(&worker, term::atom("stop"));
            for w in &workers {
                node.send(w, term::atom("stop"));
            }
            return Err(PubSubError::NameTaken(group.clone()));
        }
        scope.join(&term::atom(group), &worker).await?;
        workers.push(worker);
    }
    let pubsub = PubSub {
        state: Arc::new(State {
            node: node.clone(),
            name,
            groups: names.iter().map(|n| Atom::from(n.as_str())).collect(),
            broadcast_groups: broadcast,
            scope,
            subs,
            workers,
            watcher,
        }),
    };
    lock(&RUNNING).push(Entry {
        node: Arc::downgrade(&node.inner),
        pubsub: pubsub.clone(),
    });
    Ok(pubsub)
}

/// A worker: hands every `{:forward_to_local, Topic, Message, Dispatcher}` to
/// this node's subscribers of `Topic`.
fn spawn_worker(node: &Node, subs: Arc<Mutex<Subs>>) -> Pid {
    node.spawn(move |mut p| async move {
        while let Ok(m) = p.receive().await {
            match term::as_tuple(&m) {
                Some([tag, Term::Binary(topic), message, dispatcher])
                    if term::is_atom(tag, "forward_to_local") =>
                {
                    if !term::is_atom(dispatcher, DEFAULT_DISPATCHER) {
                        tracing::debug!(
                            "dispatching with the default dispatcher in place of {}",
                            term::print::inspect(dispatcher).escape_debug()
                        );
                    }
                    dispatch(p.node(), &subs, &topic.bytes, message, None);
                }
                _ if term::is_atom(&m, "stop") => break,
                // Anything else is ignored, as Phoenix's worker does.
                _ => {}
            }
        }
        term::atom("normal")
    })
}

/// The watcher: drops the subscriptions of subscribers that exit.
fn spawn_watcher(node: &Node, subs: Arc<Mutex<Subs>>) -> Pid {
    node.spawn(move |mut p| async move {
        while let Ok(m) = p.receive().await {
            if let Some([tag, Term::Reference(r), _, pid, _]) = term::as_tuple(&m)
                && term::is_atom(tag, "DOWN")
                && let Some(pid) = term::as_pid(pid)
            {
                let mut s = lock(&subs);
                if s.by_pid.get(pid).is_some_and(|(mref, _)| **r == *mref)
                    && let Some((_, topics)) = s.by_pid.remove(pid)
                {
                    for t in topics {
                        s.remove(pid, &t);
                    }
                }
            }
        }
        term::atom("normal")
    })
}

/// Sends `message` to this node's subscribers of `topic`, except `from`.
fn dispatch(node: &Node, subs: &Mutex<Subs>, topic: &[u8], message: &Term, from: Option<&Pid>) {
    let targets = lock(subs).topics.get(topic).cloned().unwrap_or_default();
    for pid in targets.iter().filter(|p| Some(*p) != from) {
        node.send_ref(pid, message);
    }
}

impl PubSub {
    /// The PubSub's name as an atom's text (`Elixir.MyApp.PubSub`).
    pub fn name(&self) -> &str {
        &self.state.name
    }

    /// The pg scope the PubSub's workers are in (`Phoenix.PubSub`).
    pub fn scope(&self) -> &pg::Scope {
        &self.state.scope
    }

    /// The adapter's groups this node has a worker in.
    pub fn groups(&self) -> Vec<String> {
        self.state.groups.iter().map(|g| g.name.clone()).collect()
    }

    /// `Phoenix.PubSub.subscribe/2` for the local process `pid`: from now on it
    /// receives every message broadcast on `topic`, as it was broadcast. A
    /// process subscribed twice receives each message twice, as in Phoenix;
    /// its subscriptions end when it exits.
    pub fn subscribe(&self, pid: &Pid, topic: impl AsRef<[u8]>) -> Result<(), PubSubError> {
        let s = &self.state;
        if !s.node.is_local(pid) {
            return Err(PubSubError::NotLocal(pid.clone()));
        }
        let topic = topic.as_ref().to_vec();
        let mut subs = lock(&s.subs);
        if !subs.by_pid.contains_key(pid) {
            // A process already gone reports DOWN at once; the watcher waits for this lock.
            let mref = s
                .node
                .monitor(&s.watcher, PidOrName::Pid(pid.clone()), None);
            subs.by_pid.insert(pid.clone(), (mref, Vec::new()));
        }
        if let Some((_, topics)) = subs.by_pid.get_mut(pid) {
            topics.push(topic.clone());
        }
        subs.topics.entry(topic).or_default().push(pid.clone());
        Ok(())
    }

    /// `Phoenix.PubSub.unsubscribe/2`: `pid` no longer receives `topic`.
    pub fn unsubscribe(&self, pid: &Pid, topic: impl AsRef<[u8]>) {
        let s = &self.state;
        let topic = topic.as_ref();
        let mut subs = lock(&s.subs);
        while subs.remove(pid, topic) {}
        let now_idle = match subs.by_pid.get_mut(pid) {
            Some((_, topics)) => {
                topics.retain(|t| t.as_slice() != topic);
                topics.is_empty()
            }
            None => false,
        };
        if now_idle && let Some((mref, _)) = subs.by_pid.remove(pid) {
            s.node.demonitor(&s.watcher, &mref);
        }
    }

    /// This node's subscribers of `topic`.
    pub fn subscribers(&self, topic: impl AsRef<[u8]>) -> Vec<Pid> {
        lock(&self.state.subs)
            .topics
            .get(topic.as_ref())
            .cloned()
            .unwrap_or_default()
    }

    /// The nodes whose PubSub of this name this node knows (through the pg scope).
    pub fn remote_nodes(&self) -> Vec<String> {
        let mut nodes: Vec<String> = self
            .state
            .groups
            .iter()
            .flat_map(|g| self.state.scope.get_members(&Term::Atom(g.clone())))
            .filter(|p| !self.state.node.is_local(p))
            .map(|p| p.node.name)
            .collect();
        nodes.sort();
        nodes.dedup();
        nodes
    }

    /// The group broadcasts from `from` go through: Phoenix hashes the
    /// sender, so that one sender's broadcasts keep their order.
    fn group_for(&self, from: Option<&Pid>) -> usize {
        match from {
            Some(p) if self.state.broadcast_groups > 1 => {
                use std::hash::{Hash, Hasher};
                let mut h = std::collections::hash_map::DefaultHasher::new();
                p.hash(&mut h);
                (h.finish() % self.state.broadcast_groups as u64) as usize
            }
            _ => 0,
        }
    }

    fn forward(&self, topic: &[u8], message: Term) -> Term {
        term::tuple(vec![
            term::atom("forward_to_local"),
            term::binary(topic.to_vec()),
            message,
            term::atom(DEFAULT_DISPATCHER),
        ])
    }

    /// Sends to one worker on every other node: the member of the chosen group,
    /// or else of the first group (a node running a smaller pool has that one).
    fn remote_broadcast(&self, from: Option<&Pid>, topic: &[u8], message: &Term) -> usize {
        let s = &self.state;
        let pick = self.group_for(from);
        let mut per_node: HashMap<Atom, Pid> = HashMap::new();
        for g in [pick, 0] {
            for p in s.scope.get_members(&Term::Atom(s.groups[g].clone())) {
                if !s.node.is_local(&p) {
                    per_node.entry(p.node.clone()).or_insert(p);
                }
            }
        }
        let msg = self.forward(topic, message.clone());
        for p in per_node.values() {
            s.node.send_ref(p, &msg);
        }
        per_node.len()
    }

    /// `Phoenix.PubSub.broadcast/3`: every subscriber of `topic` on every node
    /// gets `message`. Returns the number of other nodes it was sent to.
    pub fn broadcast(&self, topic: impl AsRef<[u8]>, message: Term) -> usize {
        let topic = topic.as_ref();
        let n = self.remote_broadcast(None, topic, &message);
        dispatch(&self.state.node, &self.state.subs, topic, &message, None);
        n
    }

    /// [`PubSub::broadcast`] of a typed message, turned into a term by
    /// [`crate::term::to_term`] (a struct becomes a map with atom keys, an enum
    /// variant an atom or a tagged tuple). Subscribers read it back with
    /// [`crate::term::from_term`].
    pub fn broadcast_typed<T: serde::Serialize + ?Sized>(
        &self,
        topic: impl AsRef<[u8]>,
        message: &T,
    ) -> Result<usize, PubSubError> {
        Ok(self.broadcast(topic, crate::term::to_term(message)?))
    }

    /// [`PubSub::direct_broadcast`] of a typed message (see [`PubSub::broadcast_typed`]).
    pub fn direct_broadcast_typed<T: serde::Serialize + ?Sized>(
        &self,
        node: &str,
        topic: impl AsRef<[u8]>,
        message: &T,
    ) -> Result<(), PubSubError> {
        self.direct_broadcast(node, topic, crate::term::to_term(message)?);
        Ok(())
    }

    /// `Phoenix.PubSub.broadcast_from/4`: as [`PubSub::broadcast`], except
    /// that `from` itself (if subscribed here) does not get it.
    pub fn broadcast_from(&self, from: &Pid, topic: impl AsRef<[u8]>, message: Term) -> usize {
        let topic = topic.as_ref();
        let n = self.remote_broadcast(Some(from), topic, &message);
        dispatch(
            &self.state.node,
            &self.state.subs,
            topic,
            &message,
            Some(from),
        );
        n
    }

    /// `Phoenix.PubSub.local_broadcast/3`: this node's subscribers only.
    pub fn local_broadcast(&self, topic: impl AsRef<[u8]>, message: Term) {
        dispatch(
            &self.state.node,
            &self.state.subs,
            topic.as_ref(),
            &message,
            None,
        );
    }

    /// `Phoenix.PubSub.local_broadcast_from/4`: this node's subscribers but `from`.
    pub fn local_broadcast_from(&self, from: &Pid, topic: impl AsRef<[u8]>, message: Term) {
        dispatch(
            &self.state.node,
            &self.state.subs,
            topic.as_ref(),
            &message,
            Some(from),
        );
    }

    /// `Phoenix.PubSub.direct_broadcast/4`: the subscribers on `node` only
    /// (sent to the PubSub's worker registered there, connecting if needed).
    pub fn direct_broadcast(&self, node: &str, topic: impl AsRef<[u8]>, message: Term) {
        let s = &self.state;
        let topic = topic.as_ref();
        if node == s.node.name() {
            return dispatch(&s.node, &s.subs, topic, &message, None);
        }
        let ctl = Control::RegSend {
            from: s.workers[0].clone(),
            to: s.groups[self.group_for(None)].clone(),
        };
        let msg = self.forward(topic, message);
        crate::node::connection::send_control(&s.node, node, &ctl, Some(&msg), true);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_as_phoenix_forms_them() {
        // Checked with `Module.concat(MyApp.PubSub, "Adapter")` and
        // `Module.concat(:my_pubsub, "Adapter")` on Elixir 1.14.
        assert_eq!(elixir_atom("MyApp.PubSub"), "Elixir.MyApp.PubSub");
        assert_eq!(elixir_atom("Elixir.MyApp.PubSub"), "Elixir.MyApp.PubSub");
        assert_eq!(elixir_atom(":my_pubsub"), "my_pubsub");
        assert_eq!(elixir_atom("pg"), "pg");
        assert_eq!(
            group_names("Elixir.MyApp.PubSub", 2),
            vec![
                "Elixir.MyApp.PubSub.Adapter",
                "Elixir.MyApp.PubSub.Adapter_2"
            ]
        );
        assert_eq!(
            group_names("my_pubsub", 1),
            vec!["Elixir.my_pubsub.Adapter"]
        );
    }
}
