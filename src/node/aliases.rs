//! Process aliases (OTP 24+): references that route messages to the process that made them, sent as ALIAS_SEND or ALTACT_SIG_SEND.

use super::{Node, lock, peers};
use crate::proto::control::{Control, SigTarget, altact};
use crate::proto::flags::DistFlags;
use eetf::{Pid, Reference, Term};

impl Node {
    /// A new alias of the local process `owner`: messages sent to it reach
    /// `owner` until [`Node::unalias`] or the process's end. `None` if `owner`
    /// is not alive.
    pub(crate) fn alias(&self, owner: &Pid) -> Option<Reference> {
        let alias = self.make_ref();
        self.add_alias(owner, &alias).then_some(alias)
    }

    /// Makes `alias` (a reference of this node) an alias of `owner`.
    pub(crate) fn add_alias(&self, owner: &Pid, alias: &Reference) -> bool {
        let mut t = lock(&self.inner.table);
        let Some(e) = t.get_mut(owner) else {
            return false;
        };
        e.extra_mut().aliases.push(alias.clone());
        t.aliases.insert(alias.clone(), owner.clone());
        true
    }

    /// Deactivates `alias` of `owner`; false if it was not one of its active aliases.
    pub(crate) fn unalias(&self, owner: &Pid, alias: &Reference) -> bool {
        let mut t = lock(&self.inner.table);
        if t.aliases.get(alias) != Some(owner) {
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
            self.deliver_alias(alias, msg.clone());
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
    /// else dropped (a late reply to a finished call, for one).
    pub(crate) fn deliver_alias(&self, alias: &Reference, msg: Term) {
        let owner = lock(&self.inner.table).aliases.get(alias).cloned();
        match owner {
            Some(pid) => self.deliver(&pid, msg),
            None => tracing::debug!(?alias, "message to an inactive alias dropped"),
        }
    }

    /// The owner of an active local alias.
    pub(crate) fn alias_owner(&self, alias: &Reference) -> Option<Pid> {
        lock(&self.inner.table).aliases.get(alias).cloned()
    }
}
