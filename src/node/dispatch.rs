//! Incoming control messages from a peer, applied to the local process table.

use super::mailbox::{Msg, Origin};
use super::table::TieLimit;
use super::{Node, peers};
use crate::proto::control::{CheckedMessage, Control, Payload, SigTarget, altact};
use crate::term;
use std::sync::Arc;

/// A payload for a mailbox: a checked one stays unbuilt, for the receiver to build.
fn mail(payload: Payload, origin: &Arc<Origin>) -> Msg {
    match payload {
        Payload::Term(term) => Msg::Term(term),
        Payload::Checked(checked) => Msg::Checked(checked, origin.clone()),
    }
}

/// The sending process of a signal that sets up or changes state on this node.
fn signal_sender(control: &Control) -> Option<&eetf::Pid> {
    match control {
        Control::Link { from, .. }
        | Control::Unlink { from, .. }
        | Control::UnlinkId { from, .. }
        | Control::UnlinkIdAck { from, .. }
        | Control::MonitorP { from, .. }
        | Control::DemonitorP { from, .. }
        | Control::Exit { from, .. }
        | Control::Exit2 { from, .. }
        | Control::SpawnRequest { from, .. } => Some(from),
        _ => None,
    }
}

/// A signal's name for a log line.
fn control_name(control: &Control) -> &'static str {
    match control {
        Control::Link { .. } => "LINK",
        Control::Unlink { .. } => "UNLINK",
        Control::UnlinkId { .. } => "UNLINK_ID",
        Control::UnlinkIdAck { .. } => "UNLINK_ID_ACK",
        Control::MonitorP { .. } => "MONITOR_P",
        Control::DemonitorP { .. } => "DEMONITOR_P",
        Control::Exit { .. } => "EXIT",
        Control::Exit2 { .. } => "EXIT2",
        Control::SpawnRequest { .. } => "SPAWN_REQUEST",
        _ => "control",
    }
}

impl Node {
    /// A link or monitor from `from` would take what the node holds for its peer
    /// past `limit`: the connection is closed (removing all it set up), with one line.
    fn over_tie_limit(&self, origin: &Origin, from: &eetf::Pid, limit: TieLimit) {
        let peer = origin.peer.as_str();
        let reason = match limit {
            TieLimit::PerPid { limit, .. } => format!(
                "limit max_signals_per_remote_pid: links and monitors held for {} would go over {limit}",
                crate::term::print::shown_pid(from, self.name())
            ),
            TieLimit::PerPeer { limit, .. } => format!(
                "limit max_signals_per_peer: links and monitors held for processes of {peer} would go over {limit}"
            ),
        };
        tracing::error!("closing the connection to {peer}: {reason}");
        peers::connection_down(self, peer, origin.id, reason);
    }

    /// Applies one message from the peer `origin` names. Never fails: what cannot be
    /// applied is logged and dropped.
    pub(crate) fn dispatch(&self, origin: &Arc<Origin>, msg: CheckedMessage) {
        let CheckedMessage { control, payload } = msg;
        let peer = origin.peer.as_str();
        tracing::debug!(?control, "received");
        if origin.is_closed() {
            return;
        }
        // As OTP's dist.c: links, monitors, exits and spawns come from the sending
        // node's own processes, else the connection is closed. Whatever they set up
        // is then undone when that connection goes (node_down_signals).
        if let Some(from) = signal_sender(&control)
            && from.node.name != peer
        {
            let reason = format!(
                "a {} signal from {from}, a process of another node",
                control_name(&control)
            );
            tracing::error!("invalid message from {peer}: {reason}");
            peers::connection_down(self, peer, origin.id, reason);
            return;
        }
        // Only plain sends carry a payload that was left unbuilt.
        let payload = match (payload, &control) {
            (Some(p), Control::Send { to } | Control::SendSender { to, .. }) => {
                self.deliver_msg(to, mail(p, origin));
                return;
            }
            (Some(p), Control::RegSend { to, from }) => {
                if !self.send_local_named_msg(&to.name, mail(p, origin)) {
                    tracing::debug!(
                        name = %crate::term::print::atom_literal(&to.name).escape_debug(),
                        from = %crate::term::print::shown_pid(from, self.name()),
                        "send to an unregistered name dropped"
                    );
                }
                return;
            }
            (Some(Payload::Checked(checked)), _) => match checked.build() {
                Ok(term) => Some(term),
                Err(e) => {
                    tracing::error!("undecodable message from {peer}: {e}");
                    peers::connection_down(
                        self,
                        peer,
                        origin.id,
                        format!("undecodable message: {e}"),
                    );
                    return;
                }
            },
            (Some(Payload::Term(term)), _) => Some(term),
            (None, _) => None,
        };
        match control {
            // A send without a payload cannot be decoded, so never gets here.
            Control::Send { .. } | Control::SendSender { .. } | Control::RegSend { .. } => {}
            Control::AliasSend { alias, .. } => {
                if let Some(m) = payload {
                    self.deliver_alias(&alias, m, false);
                }
            }
            Control::AltactSigSend {
                flags, from, to, ..
            } => {
                let Some(payload) = payload else { return };
                if flags & altact::EXIT != 0 {
                    // An exit signal (as exit/2 sends it) to a pid, name or alias.
                    let target = match to {
                        SigTarget::Pid(p) => Some(p),
                        SigTarget::Name(n) => self.whereis(&n.name),
                        SigTarget::Alias(a) => self.alias_owner(&a),
                    };
                    if let Some(to) = target {
                        self.remote_exit(from, to, payload, false);
                    }
                } else {
                    // A priority message jumps the queue only when sent to a
                    // priority alias; to a pid or a name (whose priority
                    // reception a Rust process cannot enable) it is ordinary.
                    match to {
                        SigTarget::Pid(p) => self.deliver(&p, payload),
                        SigTarget::Name(n) => {
                            self.send_local_named(&n.name, payload);
                        }
                        SigTarget::Alias(a) => {
                            self.deliver_alias(&a, payload, flags & altact::PRIO != 0)
                        }
                    }
                }
            }
            Control::Link { from, to } => {
                let sender = from.clone();
                if let Err(limit) = self.remote_link(origin, from, to) {
                    self.over_tie_limit(origin, &sender, limit);
                }
            }
            Control::Unlink { from, to } => self.remote_unlink(&from, &to),
            Control::UnlinkId { id, from, to } => {
                self.remote_unlink(&from, &to);
                super::connection::send_control(
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
            } => {
                let sender = from.clone();
                if let Err(limit) = self.remote_monitor_request(origin, from, to, reference) {
                    self.over_tie_limit(origin, &sender, limit);
                }
            }
            Control::DemonitorP { reference, to, .. } => {
                let pid = match &to {
                    crate::proto::control::PidOrName::Pid(p) => Some(p.clone()),
                    crate::proto::control::PidOrName::Name(a) => self.whereis(&a.name),
                };
                if let Some(p) = pid {
                    super::lock(&self.inner.table).remove_monitor(&p, &reference);
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
                // The link and monitor it asks for are counted before anything is spawned.
                let ties = crate::otp::spawn::ties_requested(&options);
                let room = match ties {
                    0 => Ok(()),
                    n => {
                        super::lock(&self.inner.table)
                            .ties()
                            .room(&from, n, self.inner.tie_limits)
                    }
                };
                if let Err(limit) = room {
                    self.over_tie_limit(origin, &from, limit);
                    return;
                }
                let args = payload.unwrap_or_else(term::nil);
                self.spawn_request(
                    origin,
                    crate::otp::spawn::SpawnRequest {
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
                    term::tuple(vec![
                        term::atom("spawn_reply"),
                        term::reference(&req_id),
                        term::int(i64::from(flags)),
                        result,
                    ]),
                );
            }
            Control::Unknown(term) => {
                tracing::warn!(
                    %peer,
                    "ignoring an unknown control message: {}",
                    crate::term::print::shown(&term, self.name()).escape_debug()
                );
            }
        }
    }
}
