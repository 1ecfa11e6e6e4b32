//! Incoming control messages from a peer, applied to the local process table.

use super::{Node, peers};
use crate::proto::control::{Control, DistMessage};
use crate::terms;

impl Node {
    /// Applies one message from `peer`. Never fails: what cannot be applied is logged and dropped.
    pub(crate) fn dispatch(&self, peer: &str, msg: DistMessage) {
        let DistMessage { control, payload } = msg;
        tracing::debug!(?control, "received");
        match control {
            Control::Send { to } | Control::SendSender { to, .. } => {
                if let Some(m) = payload {
                    self.deliver(&to, m);
                }
            }
            Control::RegSend { to, from } => {
                let Some(m) = payload else { return };
                if !self.send_local_named(&to.name, m) {
                    tracing::debug!(name = %to.name, %from, "send to an unregistered name dropped");
                }
            }
            Control::AliasSend { alias, .. } => {
                if let Some(m) = payload {
                    self.deliver_alias(&alias, m);
                }
            }
            Control::Link { from, to } => self.remote_link(from, to),
            Control::Unlink { from, to } => self.remote_unlink(&from, &to),
            Control::UnlinkId { id, from, to } => {
                self.remote_unlink(&from, &to);
                peers::send_control(
                    self,
                    peer,
                    &Control::UnlinkIdAck {
                        id,
                        from: to,
                        to: from,
                    },
                    None,
                    false,
                );
            }
            Control::UnlinkIdAck { .. } => {}
            Control::Exit { from, to, reason } => self.remote_exit(from, to, reason, true),
            Control::Exit2 { from, to, reason } => self.remote_exit(from, to, reason, false),
            Control::MonitorP {
                from,
                to,
                reference,
            } => self.remote_monitor_request(from, to, reference),
            Control::DemonitorP { reference, to, .. } => {
                let pid = match &to {
                    crate::proto::control::PidOrName::Pid(p) => Some(p.clone()),
                    crate::proto::control::PidOrName::Name(a) => self.whereis(&a.name),
                };
                if let Some(p) = pid
                    && let Some(e) = super::lock(&self.inner.table).get_mut(&p)
                {
                    e.monitors.remove(&reference);
                }
            }
            Control::MonitorPExit {
                reference, reason, ..
            } => self.remote_monitor_fired(&reference, reason),
            // GROUP_LEADER's "from" is the new group leader of "to".
            Control::GroupLeader { from, to } => self.set_group_leader(&to, from),
            Control::SpawnRequest {
                req_id,
                from,
                group_leader,
                module,
                function,
                arity,
                options,
            } => {
                let args = payload.unwrap_or_else(terms::nil);
                self.spawn_request(
                    peer,
                    super::services::spawn::SpawnRequest {
                        req_id,
                        from,
                        group_leader,
                        module: module.name,
                        function: function.name,
                        arity,
                        options,
                        args,
                    },
                );
            }
            Control::SpawnReply {
                req_id,
                to,
                flags,
                result,
            } => {
                self.deliver(
                    &to,
                    terms::tuple(vec![
                        terms::atom("spawn_reply"),
                        terms::reference(&req_id),
                        terms::int(i64::from(flags)),
                        result,
                    ]),
                );
            }
            Control::Unknown(term) => {
                tracing::warn!(%peer, "ignoring an unknown control message: {term}");
            }
        }
    }
}

impl Node {
    /// A message sent to an alias. This node creates no aliases, so there is
    /// nobody to deliver it to.
    fn deliver_alias(&self, alias: &eetf::Reference, _msg: eetf::Term) {
        tracing::debug!(?alias, "message to an unknown alias dropped");
    }
}
