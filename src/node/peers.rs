//! The connection table: one entry per peer node, its outgoing queue, dialling on first send, simultaneous-connect rules.

use super::mailbox::Origin;
use super::outqueue::{OutQueue, QueueOwner};
use super::{Node, NodeEvent, lock};

use crate::proto::handshake::{Established, Status};

use std::collections::HashMap;
use std::sync::Arc;
use tokio::sync::oneshot;
use tokio::task::AbortHandle;

pub(crate) enum PeerState {
    /// We are dialling; sends queue until the handshake is done.
    Dialing { task: Option<AbortHandle> },
    Up {
        hidden: bool,
        /// The flags in force on the connection (ours AND the peer's).
        flags: crate::proto::flags::DistFlags,
        tasks: Vec<AbortHandle>,
        /// The connection as its reader and its messages know it; closed when it goes.
        origin: Arc<Origin>,
    },
}

pub(crate) struct PeerEntry {
    /// Identifies this connection attempt, so a stale task cannot remove a newer entry.
    pub id: u64,
    /// Frames for the peer, queued while dialling and then taken by the connection's
    /// writer; closed when the entry goes.
    pub queue: QueueOwner,
    /// A connection's writer has taken the queue.
    pub attached: bool,
    pub state: PeerState,
    pub waiters: Vec<oneshot::Sender<Result<(), String>>>,
}

pub(crate) struct Peers {
    pub(crate) map: HashMap<String, PeerEntry>,
    next_id: u64,
    /// Bytes a peer's outgoing queue may hold (see [`crate::node::NodeBuilder::max_send_queue`]).
    queue_limit: usize,
}

impl Peers {
    pub(crate) fn new(queue_limit: usize) -> Peers {
        Peers {
            map: HashMap::new(),
            next_id: 0,
            queue_limit,
        }
    }

    pub(crate) fn new_entry(&mut self, state: PeerState) -> PeerEntry {
        self.next_id += 1;
        PeerEntry {
            id: self.next_id,
            queue: QueueOwner::new(self.queue_limit),
            attached: false,
            state,
            waiters: Vec::new(),
        }
    }
}

/// A dial attempt failed: drop its entry (and queued frames) and tell waiters.
pub(crate) fn dial_failed(node: &Node, peer: &str, id: u64, reason: String) {
    let entry = {
        let mut peers = lock(&node.inner.peers);
        match peers.map.get(peer) {
            Some(e) if e.id == id && matches!(e.state, PeerState::Dialing { .. }) => {
                peers.map.remove(peer)
            }
            _ => None,
        }
    };
    if let Some(e) = entry {
        // Whoever waits for the connection reports the failure; said once.
        if e.waiters.is_empty() {
            tracing::warn!(%peer, "cannot connect: {reason}");
        } else {
            tracing::debug!(%peer, "cannot connect: {reason}");
        }
        for w in e.waiters {
            let _ = w.send(Err(reason.clone()));
        }
        // Monitors waiting on a connection that never came get noconnection.
        node.node_down_signals(peer);
    }
}

/// The acceptor's status for an incoming handshake from `peer`. With
/// `ok_simultaneous` our own dial is abandoned and the id of its entry is
/// returned: the incoming connection takes it over, or fails it.
pub(crate) fn accept_status(node: &Node, peer: &str) -> (Status, Option<u64>) {
    let mut peers = lock(&node.inner.peers);
    match peers.map.get_mut(peer) {
        None => (Status::Ok, None),
        Some(e) => match &mut e.state {
            PeerState::Up { .. } => (Status::Alive, None),
            PeerState::Dialing { task } => {
                // Both sides dial at once: the node with the greater name keeps its own attempt.
                if node.name() > peer {
                    (Status::Nok, None)
                } else {
                    if let Some(t) = task.take() {
                        t.abort();
                    }
                    (Status::OkSimultaneous, Some(e.id))
                }
            }
        },
    }
}

/// The peer answered `true` to our `alive` status: drop the old connection.
pub(crate) fn replace_old(node: &Node, peer: &str) {
    let id = lock(&node.inner.peers).map.get(peer).map(|e| e.id);
    if let Some(id) = id {
        connection_down(node, peer, id, "replaced by a new connection".into());
    }
}

/// What a new connection takes over from its entry.
pub(crate) struct Attached {
    pub id: u64,
    pub queue: Arc<OutQueue>,
    pub waiters: Vec<oneshot::Sender<Result<(), String>>>,
    /// The connection, for its reader.
    pub origin: Arc<Origin>,
}

/// A handshake succeeded: attach the entry's queue (frames sent while we
/// dialled) to the new connection, replacing any older connection.
pub(crate) fn connection_up(node: &Node, info: &Established) -> Attached {
    let mut peers = lock(&node.inner.peers);
    let peer = info.peer_name.clone();
    let reusable = peers
        .map
        .get(&peer)
        .is_some_and(|e| matches!(e.state, PeerState::Dialing { .. }) && !e.attached);
    if !reusable {
        if let Some(PeerEntry {
            state: PeerState::Up { tasks, origin, .. },
            ..
        }) = peers.map.remove(&peer)
        {
            origin.close();
            tasks.iter().for_each(AbortHandle::abort);
        }
        let fresh = peers.new_entry(PeerState::Dialing { task: None });
        peers.map.insert(peer.clone(), fresh);
    }
    let fresh = peers.new_entry(PeerState::Dialing { task: None });
    let e = peers.map.entry(peer.clone()).or_insert(fresh);
    e.attached = true;
    let queue = e.queue.queue().clone();
    let origin = Arc::new(Origin::new(peer, e.id));
    e.state = PeerState::Up {
        hidden: info.peer_hidden(),
        flags: info.flags,
        tasks: Vec::new(),
        origin: origin.clone(),
    };
    Attached {
        id: e.id,
        queue,
        waiters: std::mem::take(&mut e.waiters),
        origin,
    }
}

/// Records the reader/writer tasks of connection `id` so they can be stopped.
pub(crate) fn attach_tasks(node: &Node, peer: &str, id: u64, handles: Vec<AbortHandle>) {
    let mut peers = lock(&node.inner.peers);
    match peers.map.get_mut(peer) {
        Some(PeerEntry {
            id: eid,
            state: PeerState::Up { tasks, .. },
            ..
        }) if *eid == id => tasks.extend(handles),
        _ => handles.iter().for_each(AbortHandle::abort),
    }
}

/// Connection `id` to `peer` is gone: remove it, log, and send noconnection.
pub(crate) fn connection_down(node: &Node, peer: &str, id: u64, reason: String) {
    let entry = {
        let mut peers = lock(&node.inner.peers);
        match peers.map.get(peer) {
            Some(e) if e.id == id && matches!(e.state, PeerState::Up { .. }) => {
                peers.map.remove(peer)
            }
            _ => None,
        }
    };
    let Some(entry) = entry else { return };
    if let PeerState::Up { tasks, origin, .. } = entry.state {
        // Before the sweep of node_down_signals: the reader (which may be running
        // the rest of what it read) adds no link or monitor after it.
        origin.close();
        tasks.iter().for_each(AbortHandle::abort);
    }
    tracing::info!("node down: {peer} ({reason})");
    node.node_down_signals(peer);
    let _ = node.inner.events.send(NodeEvent::Down {
        node: peer.to_owned(),
        reason,
    });
}

/// The flags in force on the connection to `peer`, if one is up.
pub(crate) fn flags(node: &Node, peer: &str) -> Option<crate::proto::flags::DistFlags> {
    match lock(&node.inner.peers).map.get(peer) {
        Some(PeerEntry {
            state: PeerState::Up { flags, .. },
            ..
        }) => Some(*flags),
        _ => None,
    }
}

pub(crate) fn is_up(node: &Node, peer: &str) -> bool {
    matches!(
        lock(&node.inner.peers).map.get(peer),
        Some(PeerEntry {
            state: PeerState::Up { .. },
            ..
        })
    )
}

/// Names of nodes with a connection up; `hidden` filters on the peer's kind.
pub(crate) fn up_nodes(node: &Node, hidden: Option<bool>) -> Vec<String> {
    lock(&node.inner.peers)
        .map
        .iter()
        .filter_map(|(name, e)| match &e.state {
            // On a hidden node every connection is hidden, as on BEAM.
            PeerState::Up { hidden: h, .. }
                if hidden.is_none_or(|want| want == (*h || node.hidden())) =>
            {
                Some(name.clone())
            }
            _ => None,
        })
        .collect()
}

/// Closes the connection to `peer`, as `erlang:disconnect_node/1`. False if none was up.
pub(crate) fn disconnect(node: &Node, peer: &str, reason: &str) -> bool {
    let id = match lock(&node.inner.peers).map.get(peer) {
        Some(PeerEntry {
            id,
            state: PeerState::Up { .. },
            ..
        }) => *id,
        _ => return false,
    };
    connection_down(node, peer, id, reason.to_owned());
    true
}

/// Closes every connection (at shutdown).
pub(crate) fn close_all(node: &Node, reason: &str) {
    let all: Vec<(String, u64)> = lock(&node.inner.peers)
        .map
        .iter()
        .map(|(n, e)| (n.clone(), e.id))
        .collect();
    for (peer, id) in all {
        connection_down(node, &peer, id, reason.to_owned());
    }
    let mut peers = lock(&node.inner.peers);
    for (_, e) in peers.map.drain() {
        if let PeerState::Dialing { task: Some(t) } = e.state {
            t.abort();
        }
    }
}
