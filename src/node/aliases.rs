//! Process aliases (OTP 24+): references that route messages to the process that made them, sent as ALIAS_SEND or ALTACT_SIG_SEND.

use super::mailbox::Msg;
use super::{Node, lock, peers};
use crate::proto::control::{Control, SigTarget, altact};
use crate::proto::flags::DistFlags;
use eetf::{Pid, Reference, Term};

impl Node {
    /// A new alias of the local process `owner`: messages sent to it reach
    /// `owner` until [`Node::unalias`] or the process's end. `None` if `owner`
    /// is not alive.
    /// With `priority`, a priority message sent to it (OTP 28's
    /// `erlang:send(Alias, Msg, [priority])`) goes ahead of `owner`'s ordinary
    /// messages.
    pub(crate) fn alias(&self, owner: &Pid, priority: bool) -> Option<Reference> {
        let alias = self.make_ref();
        self.add_alias(owner, &alias, priority).then_some(alias)
    }

    /// Makes `alias` (a reference of this node) an alias of `owner`.
    pub(crate) fn add_alias(&self, owner: &Pid, alias: &Reference, priority: bool) -> bool {
        let mut t = lock(&self.inner.table);
        let Some(e) = t.get_mut(owner) else {
            return false;
        };
        e.extra_mut().aliases.push(alias.clone());
        t.aliases.insert(alias.clone(), (owner.clone(), priority));
        true
    }

    /// Deactivates `alias` of `owner`; false if it was not one of its active aliases.
    pub(crate) fn unalias(&self, owner: &Pid, alias: &Reference) -> bool {
        let mut t = lock(&self.inner.table);
        if t.aliases.get(alias).map(|(o, _)| o) != Some(owner) {
            return false;
        }
        t.aliases.remove(alias);
        if let Some(x) = t.get_mut(owner).and_then(|e| e.extra.as_mut()) {
            x.aliases.retain(|a| a != alias);
        }
        true
    }

    /// Is `r` a reference made by this node (this incarnation)?
    fn is_local_ref(&self, r: &Reference) -> bool {
        r.node == *self.atom() && r.creation == self.creation()
    }

    /// Sends `msg` from `from` to the process alias `alias`, on this node or
    /// another. As on BEAM, a message to an inactive alias is dropped, as is
    /// one towards a node that does not take alias sends. With `priority`, an
    /// OTP 28+ peer gets it as a priority message (ALTACT_SIG_SEND with PRIO).
    pub(crate) fn send_alias(&self, from: &Pid, alias: &Reference, msg: &Term, priority: bool) {
        if self.is_local_ref(alias) {
            self.deliver_alias(alias, msg.clone(), priority);
            return;
        }
        let peer = alias.node.name.as_str();
        // Not connected yet: the alias's owner is on a node we have not talked
        // to since; ALIAS_SEND is what OTP 24 to 29 all take.
        let flags = peers::flags(self, peer).unwrap_or(DistFlags::ALIAS);
        let ctl = if flags.contains(DistFlags::ALTACT_SIG) {
            Control::AltactSigSend {
                flags: altact::ALIAS | if priority { altact::PRIO } else { 0 },
                from: from.clone(),
                to: SigTarget::Alias(alias.clone()),
                token: None,
            }
        } else if flags.contains(DistFlags::ALIAS) {
            Control::AliasSend {
                from: from.clone(),
                alias: alias.clone(),
            }
        } else {
            tracing::debug!(%peer, "alias send to a node without DFLAG_ALIAS dropped");
            return;
        };
        super::connection::send_control(self, peer, &ctl, Some(msg), true);
    }

    /// A message sent to a local alias: to its owner if the alias is active,
    /// else dropped (a late reply to a finished call, for one). A `priority`
    /// message to a priority alias goes ahead of the owner's ordinary
    /// messages; to any other alias it is an ordinary message, as on BEAM.
    pub(crate) fn deliver_alias(&self, alias: &Reference, msg: Term, priority: bool) {
        let t = lock(&self.inner.table);
        let Some((owner, prio_alias)) = t.aliases.get(alias) else {
            drop(t);
            tracing::debug!(?alias, "message to an inactive alias dropped");
            return;
        };
        if let Some(e) = t.get(owner) {
            let msg = Msg::Term(msg);
            let _ = if priority && *prio_alias {
                e.tx.send_priority(msg)
            } else {
                e.tx.send(msg)
            };
        }
    }

    /// The owner of an active local alias.
    pub(crate) fn alias_owner(&self, alias: &Reference) -> Option<Pid> {
        lock(&self.inner.table)
            .aliases
            .get(alias)
            .map(|(owner, _)| owner.clone())
    }
}

#[cfg(test)]
mod tests {
    use crate::Node;
    use crate::term;

    async fn node() -> Node {
        let epmd = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        Node::builder(format!("aliasunit{}", std::process::id()))
            .cookie("aliastest")
            .epmd_port(epmd)
            .start()
            .await
            .unwrap()
    }

    #[tokio::test]
    async fn priority_messages_to_a_priority_alias_go_ahead_of_waiting_ones() {
        let node = node().await;
        let mut p = node.process();
        let sender = node.process();
        let urgent = p.alias_priority();
        let plain = p.alias();
        node.send(p.pid(), term::atom("o1"));
        node.send(p.pid(), term::atom("o2"));
        // Priority to a plain alias is an ordinary message.
        sender.send_priority(&plain, term::atom("o3"));
        sender.send_priority(&urgent, term::atom("u1"));
        // An ordinary send to a priority alias is ordinary too.
        sender.send_alias(&urgent, term::atom("o4"));
        sender.send_priority(&urgent, term::atom("u2"));
        // A selective receive that skips messages keeps the priority ones ahead.
        let got = p.receive_match(|m| term::is_atom(m, "o2")).await.unwrap();
        assert_eq!(got, term::atom("o2"));
        sender.send_priority(&urgent, term::atom("u3"));
        let mut order = Vec::new();
        for _ in 0..6 {
            let m = p.receive().await.unwrap();
            order.push(term::as_atom(&m).unwrap().to_owned());
        }
        assert_eq!(order, ["u1", "u2", "u3", "o1", "o3", "o4"]);
        node.shutdown().await;
    }

    #[tokio::test]
    async fn flushing_keeps_the_priority_messages_it_does_not_remove_ahead() {
        let node = node().await;
        let mut p = node.process();
        let urgent = p.alias_priority();
        node.send(p.pid(), term::atom("o1"));
        p.send_priority(&urgent, term::atom("drop"));
        p.send_priority(&urgent, term::atom("u1"));
        p.flush_matching(|m| term::is_atom(m, "drop"));
        assert_eq!(p.receive().await.unwrap(), term::atom("u1"));
        assert_eq!(p.receive().await.unwrap(), term::atom("o1"));
        node.shutdown().await;
    }
}
