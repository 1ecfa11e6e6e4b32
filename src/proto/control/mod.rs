//! Distribution control messages (LINK, SEND, EXIT, MONITOR_P, SPAWN_REQUEST, ...) to and from ETF terms and 'p' frames.

use crate::proto::etf::{self, AtomTable, CheckedTerm, EtfError};
use eetf::{Atom, FixInteger, Pid, Reference, Term, Tuple};
use thiserror::Error;

#[derive(Debug, Error)]
pub enum ControlError {
    #[error("empty distribution message")]
    Empty,
    #[error(
        "distribution message starts with byte {0}, not 112 ('p'): the peer uses a distribution header we did not negotiate"
    )]
    NotPassThrough(u8),
    #[error("bad control term: {0}")]
    Etf(#[from] EtfError),
    #[error("bad message payload: {0}")]
    Payload(EtfError),
    #[error("control message {op} is malformed: {detail}")]
    Malformed { op: i32, detail: String },
    #[error("control message is not a tuple with an integer operation: {0}")]
    NotControl(String),
    #[error("control message {op} needs a message payload but none followed")]
    MissingPayload { op: i32 },
    #[error("{0} unexpected bytes after the message")]
    Trailing(usize),
}

/// Every message from a peer is decoded within these limits.
const WIRE: etf::Limits = etf::Limits::WIRE;

/// Control operation codes (the first element of the control tuple).
pub mod op {
    pub const LINK: i32 = 1;
    pub const SEND: i32 = 2;
    pub const EXIT: i32 = 3;
    pub const UNLINK: i32 = 4;
    pub const NODE_LINK: i32 = 5;
    pub const REG_SEND: i32 = 6;
    pub const GROUP_LEADER: i32 = 7;
    pub const EXIT2: i32 = 8;
    pub const SEND_TT: i32 = 12;
    pub const EXIT_TT: i32 = 13;
    pub const REG_SEND_TT: i32 = 16;
    pub const EXIT2_TT: i32 = 18;
    pub const MONITOR_P: i32 = 19;
    pub const DEMONITOR_P: i32 = 20;
    pub const MONITOR_P_EXIT: i32 = 21;
    pub const SEND_SENDER: i32 = 22;
    pub const SEND_SENDER_TT: i32 = 23;
    pub const PAYLOAD_EXIT: i32 = 24;
    pub const PAYLOAD_EXIT_TT: i32 = 25;
    pub const PAYLOAD_EXIT2: i32 = 26;
    pub const PAYLOAD_EXIT2_TT: i32 = 27;
    pub const PAYLOAD_MONITOR_P_EXIT: i32 = 28;
    pub const SPAWN_REQUEST: i32 = 29;
    pub const SPAWN_REQUEST_TT: i32 = 30;
    pub const SPAWN_REPLY: i32 = 31;
    pub const SPAWN_REPLY_TT: i32 = 32;
    pub const ALIAS_SEND: i32 = 33;
    pub const ALIAS_SEND_TT: i32 = 34;
    pub const UNLINK_ID: i32 = 35;
    pub const UNLINK_ID_ACK: i32 = 36;
    pub const ALTACT_SIG_SEND: i32 = 37;
}

/// The flags of ALTACT_SIG_SEND (OTP 28+; erts' `ERTS_DOP_ALTACT_SIG_FLG_*`).
pub mod altact {
    /// A priority signal.
    pub const PRIO: u32 = 1 << 0;
    /// The control tuple has a fifth element, a sequential trace token.
    pub const TOKEN: u32 = 1 << 1;
    /// The target is a process alias (a reference).
    pub const ALIAS: u32 = 1 << 2;
    /// The target is a registered name (an atom).
    pub const NAME: u32 = 1 << 3;
    /// The payload is an exit reason: an exit signal rather than a message.
    pub const EXIT: u32 = 1 << 4;
}

/// Where an ALTACT_SIG_SEND goes: a pid, a registered name or an alias.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum SigTarget {
    Pid(Pid),
    Name(Atom),
    Alias(Reference),
}

/// A process named either by pid or by registered name (monitors take both).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum PidOrName {
    Pid(Pid),
    Name(Atom),
}

impl PidOrName {
    fn to_term(&self) -> Term {
        match self {
            PidOrName::Pid(p) => Term::Pid(p.clone()),
            PidOrName::Name(a) => Term::Atom(a.clone()),
        }
    }
}

/// SPAWN_REPLY flags.
pub const SPAWN_REPLY_LINK: i32 = 1;
pub const SPAWN_REPLY_MONITOR: i32 = 2;

/// One control message. Exit reasons that travel as a payload (the PAYLOAD_*
/// forms) are folded into `reason` by [`decode_frame`].
#[derive(Debug, Clone, PartialEq)]
pub enum Control {
    Link {
        from: Pid,
        to: Pid,
    },
    Send {
        to: Pid,
    },
    Exit {
        from: Pid,
        to: Pid,
        reason: Term,
    },
    /// The pre-OTP 26 unlink without an id; still accepted.
    Unlink {
        from: Pid,
        to: Pid,
    },
    RegSend {
        from: Pid,
        to: Atom,
    },
    GroupLeader {
        from: Pid,
        to: Pid,
    },
    Exit2 {
        from: Pid,
        to: Pid,
        reason: Term,
    },
    MonitorP {
        from: Pid,
        to: PidOrName,
        reference: Reference,
    },
    DemonitorP {
        from: Pid,
        to: PidOrName,
        reference: Reference,
    },
    MonitorPExit {
        from: PidOrName,
        to: Pid,
        reference: Reference,
        reason: Term,
    },
    SendSender {
        from: Pid,
        to: Pid,
    },
    SpawnRequest {
        req_id: Reference,
        from: Pid,
        group_leader: Pid,
        module: Atom,
        function: Atom,
        arity: i32,
        options: Term,
    },
    SpawnReply {
        req_id: Reference,
        to: Pid,
        flags: i32,
        result: Term,
    },
    AliasSend {
        from: Pid,
        alias: Reference,
    },
    UnlinkId {
        id: Term,
        from: Pid,
        to: Pid,
    },
    UnlinkIdAck {
        id: Term,
        from: Pid,
        to: Pid,
    },
    /// `{37, Flags, From, To[, Token]}` followed by the message, or by the exit
    /// reason when `flags` has [`altact::EXIT`] (OTP 28+, DFLAG_ALTACT_SIG).
    AltactSigSend {
        flags: u32,
        from: Pid,
        to: SigTarget,
        token: Option<Term>,
    },
    /// Anything else; logged and ignored by the node.
    Unknown(Term),
}

/// A whole distribution message: control plus, for sends and spawns, the payload.
#[derive(Debug, Clone, PartialEq)]
pub struct DistMessage {
    pub control: Control,
    pub payload: Option<Term>,
}

fn malformed(op: i32, detail: impl Into<String>) -> ControlError {
    ControlError::Malformed {
        op,
        detail: detail.into(),
    }
}

/// Moves element `i` out of a control tuple (whose length has been checked),
/// leaving `[]` behind.
fn take(e: &mut [Term], i: usize) -> Term {
    e.get_mut(i)
        .map(|t| std::mem::replace(t, Term::List(eetf::List::nil())))
        .unwrap_or_else(|| Term::List(eetf::List::nil()))
}

fn pid(op: i32, t: Term, what: &str) -> Result<Pid, ControlError> {
    match t {
        Term::Pid(p) => Ok(p),
        other => Err(malformed(op, format!("{what} is not a pid: {other}"))),
    }
}

fn atom(op: i32, t: Term, what: &str) -> Result<Atom, ControlError> {
    match t {
        Term::Atom(a) => Ok(a),
        other => Err(malformed(op, format!("{what} is not an atom: {other}"))),
    }
}

fn reference(op: i32, t: Term, what: &str) -> Result<Reference, ControlError> {
    match t {
        Term::Reference(r) => Ok(*r),
        other => Err(malformed(op, format!("{what} is not a reference: {other}"))),
    }
}

fn int(op: i32, t: &Term, what: &str) -> Result<i32, ControlError> {
    match t {
        Term::FixInteger(i) => Ok(i.value),
        other => Err(malformed(
            op,
            format!("{what} is not a small integer: {other}"),
        )),
    }
}

fn pid_or_name(op: i32, t: Term) -> Result<PidOrName, ControlError> {
    match t {
        Term::Pid(p) => Ok(PidOrName::Pid(p)),
        Term::Atom(a) => Ok(PidOrName::Name(a)),
        other => Err(malformed(op, format!("not a pid or name: {other}"))),
    }
}

/// Does a message with this operation carry a payload term after the control term?
fn has_payload(op: i32) -> bool {
    matches!(
        op,
        op::SEND
            | op::REG_SEND
            | op::SEND_TT
            | op::REG_SEND_TT
            | op::SEND_SENDER
            | op::SEND_SENDER_TT
            | op::PAYLOAD_EXIT
            | op::PAYLOAD_EXIT_TT
            | op::PAYLOAD_EXIT2
            | op::PAYLOAD_EXIT2_TT
            | op::PAYLOAD_MONITOR_P_EXIT
            | op::SPAWN_REQUEST
            | op::SPAWN_REQUEST_TT
            | op::ALIAS_SEND
            | op::ALIAS_SEND_TT
            | op::ALTACT_SIG_SEND
    )
}

impl Control {
    /// Reads a control tuple. `payload` is the term that followed it, which the
    /// PAYLOAD_* forms use as their reason.
    pub fn from_term(term: &Term, payload: Option<&Term>) -> Result<Control, ControlError> {
        Self::from_parts(term.clone(), payload.cloned()).map(|(control, _)| control)
    }

    /// As [`Control::from_term`], taking the terms apart instead of copying them.
    /// Returns the payload too, unless a PAYLOAD_* form used it as its reason.
    fn from_parts(
        term: Term,
        payload: Option<Term>,
    ) -> Result<(Control, Option<Term>), ControlError> {
        let mut e = match term {
            Term::Tuple(Tuple { elements })
                if matches!(elements.first(), Some(Term::FixInteger(_))) =>
            {
                elements
            }
            other => return Err(ControlError::NotControl(short(&other))),
        };
        let op = match e.first() {
            Some(Term::FixInteger(FixInteger { value })) => *value,
            _ => return Err(ControlError::NotControl(String::new())),
        };
        let len = e.len();
        let need = |n: usize| -> Result<(), ControlError> {
            if len < n {
                Err(malformed(op, format!("{len} elements, need {n}")))
            } else {
                Ok(())
            }
        };
        let mut payload = payload;
        let mut reason_payload = || -> Result<Term, ControlError> {
            payload.take().ok_or(ControlError::MissingPayload { op })
        };
        let e = &mut e;
        let control = match op {
            op::LINK => {
                need(3)?;
                Control::Link {
                    from: pid(op, take(e, 1), "from")?,
                    to: pid(op, take(e, 2), "to")?,
                }
            }
            op::SEND | op::SEND_TT => {
                need(3)?;
                Control::Send {
                    to: pid(op, take(e, 2), "to")?,
                }
            }
            op::EXIT | op::EXIT_TT | op::EXIT2 | op::EXIT2_TT => {
                need(4)?;
                let from = pid(op, take(e, 1), "from")?;
                let to = pid(op, take(e, 2), "to")?;
                let at = if op == op::EXIT_TT || op == op::EXIT2_TT {
                    4
                } else {
                    3
                };
                let reason = take(e, at.min(len - 1));
                if op == op::EXIT || op == op::EXIT_TT {
                    Control::Exit { from, to, reason }
                } else {
                    Control::Exit2 { from, to, reason }
                }
            }
            op::PAYLOAD_EXIT | op::PAYLOAD_EXIT_TT => {
                need(3)?;
                Control::Exit {
                    from: pid(op, take(e, 1), "from")?,
                    to: pid(op, take(e, 2), "to")?,
                    reason: reason_payload()?,
                }
            }
            op::PAYLOAD_EXIT2 | op::PAYLOAD_EXIT2_TT => {
                need(3)?;
                Control::Exit2 {
                    from: pid(op, take(e, 1), "from")?,
                    to: pid(op, take(e, 2), "to")?,
                    reason: reason_payload()?,
                }
            }
            op::UNLINK => {
                need(3)?;
                Control::Unlink {
                    from: pid(op, take(e, 1), "from")?,
                    to: pid(op, take(e, 2), "to")?,
                }
            }
            op::REG_SEND | op::REG_SEND_TT => {
                need(4)?;
                Control::RegSend {
                    from: pid(op, take(e, 1), "from")?,
                    to: atom(op, take(e, 3), "to")?,
                }
            }
            op::GROUP_LEADER => {
                need(3)?;
                Control::GroupLeader {
                    from: pid(op, take(e, 1), "from")?,
                    to: pid(op, take(e, 2), "to")?,
                }
            }
            op::MONITOR_P | op::DEMONITOR_P => {
                need(4)?;
                let from = pid(op, take(e, 1), "from")?;
                let to = pid_or_name(op, take(e, 2))?;
                let reference = reference(op, take(e, 3), "ref")?;
                if op == op::MONITOR_P {
                    Control::MonitorP {
                        from,
                        to,
                        reference,
                    }
                } else {
                    Control::DemonitorP {
                        from,
                        to,
                        reference,
                    }
                }
            }
            op::MONITOR_P_EXIT => {
                need(5)?;
                Control::MonitorPExit {
                    from: pid_or_name(op, take(e, 1))?,
                    to: pid(op, take(e, 2), "to")?,
                    reference: reference(op, take(e, 3), "ref")?,
                    reason: take(e, 4),
                }
            }
            op::PAYLOAD_MONITOR_P_EXIT => {
                need(4)?;
                Control::MonitorPExit {
                    from: pid_or_name(op, take(e, 1))?,
                    to: pid(op, take(e, 2), "to")?,
                    reference: reference(op, take(e, 3), "ref")?,
                    reason: reason_payload()?,
                }
            }
            op::SEND_SENDER | op::SEND_SENDER_TT => {
                need(3)?;
                Control::SendSender {
                    from: pid(op, take(e, 1), "from")?,
                    to: pid(op, take(e, 2), "to")?,
                }
            }
            op::SPAWN_REQUEST | op::SPAWN_REQUEST_TT => {
                need(6)?;
                let Term::Tuple(Tuple { elements: mut mfa }) = take(e, 4) else {
                    return Err(malformed(op, "MFA is not a tuple"));
                };
                if mfa.len() != 3 {
                    return Err(malformed(op, "MFA is not a 3-tuple"));
                }
                let mfa = &mut mfa;
                Control::SpawnRequest {
                    req_id: reference(op, take(e, 1), "request id")?,
                    from: pid(op, take(e, 2), "from")?,
                    group_leader: pid(op, take(e, 3), "group leader")?,
                    arity: int(op, &mfa[2], "arity")?,
                    module: atom(op, take(mfa, 0), "module")?,
                    function: atom(op, take(mfa, 1), "function")?,
                    options: take(e, 5),
                }
            }
            op::SPAWN_REPLY | op::SPAWN_REPLY_TT => {
                need(5)?;
                Control::SpawnReply {
                    req_id: reference(op, take(e, 1), "request id")?,
                    to: pid(op, take(e, 2), "to")?,
                    flags: int(op, &e[3], "flags")?,
                    result: take(e, 4),
                }
            }
            op::ALIAS_SEND | op::ALIAS_SEND_TT => {
                need(3)?;
                Control::AliasSend {
                    from: pid(op, take(e, 1), "from")?,
                    alias: reference(op, take(e, 2), "alias")?,
                }
            }
            op::UNLINK_ID | op::UNLINK_ID_ACK => {
                need(4)?;
                let id = take(e, 1);
                let from = pid(op, take(e, 2), "from")?;
                let to = pid(op, take(e, 3), "to")?;
                if op == op::UNLINK_ID {
                    Control::UnlinkId { id, from, to }
                } else {
                    Control::UnlinkIdAck { id, from, to }
                }
            }
            op::ALTACT_SIG_SEND => {
                if len != 4 && len != 5 {
                    return Err(malformed(op, format!("{len} elements, need 4 or 5")));
                }
                let flags = u32::try_from(int(op, &e[1], "flags")?)
                    .map_err(|_| malformed(op, "negative flags"))?;
                let from = pid(op, take(e, 2), "from")?;
                let to = match take(e, 3) {
                    Term::Pid(p) => SigTarget::Pid(p),
                    Term::Atom(a) => SigTarget::Name(a),
                    Term::Reference(r) => SigTarget::Alias(*r),
                    other => {
                        return Err(malformed(
                            op,
                            format!("target is not a pid, name or alias: {}", short(&other)),
                        ));
                    }
                };
                let token = (len == 5).then(|| take(e, 4));
                Control::AltactSigSend {
                    flags,
                    from,
                    to,
                    token,
                }
            }
            _ => Control::Unknown(Term::Tuple(Tuple::from(std::mem::take(e)))),
        };
        Ok((control, payload))
    }

    /// The control tuple and, for the forms that carry one, the reason moved to
    /// the payload position (we always send EXIT reasons as PAYLOAD_* forms).
    pub fn to_term(&self) -> (Term, Option<Term>) {
        fn t(v: Vec<Term>) -> Term {
            Term::Tuple(Tuple::from(v))
        }
        fn i(v: i32) -> Term {
            Term::FixInteger(FixInteger::from(v))
        }
        fn p(p: &Pid) -> Term {
            Term::Pid(p.clone())
        }
        fn r(r: &Reference) -> Term {
            Term::Reference(Box::new(r.clone()))
        }
        let empty = || Term::Atom(Atom::from(""));
        match self {
            Control::Link { from, to } => (t(vec![i(op::LINK), p(from), p(to)]), None),
            Control::Send { to } => (t(vec![i(op::SEND), empty(), p(to)]), None),
            Control::Exit { from, to, reason } => (
                t(vec![i(op::PAYLOAD_EXIT), p(from), p(to)]),
                Some(reason.clone()),
            ),
            Control::Unlink { from, to } => (t(vec![i(op::UNLINK), p(from), p(to)]), None),
            Control::RegSend { from, to } => (
                t(vec![
                    i(op::REG_SEND),
                    p(from),
                    empty(),
                    Term::Atom(to.clone()),
                ]),
                None,
            ),
            Control::GroupLeader { from, to } => {
                (t(vec![i(op::GROUP_LEADER), p(from), p(to)]), None)
            }
            Control::Exit2 { from, to, reason } => (
                t(vec![i(op::PAYLOAD_EXIT2), p(from), p(to)]),
                Some(reason.clone()),
            ),
            Control::MonitorP {
                from,
                to,
                reference,
            } => (
                t(vec![i(op::MONITOR_P), p(from), to.to_term(), r(reference)]),
                None,
            ),
            Control::DemonitorP {
                from,
                to,
                reference,
            } => (
                t(vec![
                    i(op::DEMONITOR_P),
                    p(from),
                    to.to_term(),
                    r(reference),
                ]),
                None,
            ),
            Control::MonitorPExit {
                from,
                to,
                reference,
                reason,
            } => (
                t(vec![
                    i(op::PAYLOAD_MONITOR_P_EXIT),
                    from.to_term(),
                    p(to),
                    r(reference),
                ]),
                Some(reason.clone()),
            ),
            Control::SendSender { from, to } => (t(vec![i(op::SEND_SENDER), p(from), p(to)]), None),
            Control::SpawnRequest {
                req_id,
                from,
                group_leader,
                module,
                function,
                arity,
                options,
            } => (
                t(vec![
                    i(op::SPAWN_REQUEST),
                    r(req_id),
                    p(from),
                    p(group_leader),
                    t(vec![
                        Term::Atom(module.clone()),
                        Term::Atom(function.clone()),
                        i(*arity),
                    ]),
                    options.clone(),
                ]),
                None,
            ),
            Control::SpawnReply {
                req_id,
                to,
                flags,
                result,
            } => (
                t(vec![
                    i(op::SPAWN_REPLY),
                    r(req_id),
                    p(to),
                    i(*flags),
                    result.clone(),
                ]),
                None,
            ),
            Control::AliasSend { from, alias } => {
                (t(vec![i(op::ALIAS_SEND), p(from), r(alias)]), None)
            }
            Control::UnlinkId { id, from, to } => {
                (t(vec![i(op::UNLINK_ID), id.clone(), p(from), p(to)]), None)
            }
            Control::UnlinkIdAck { id, from, to } => (
                t(vec![i(op::UNLINK_ID_ACK), id.clone(), p(from), p(to)]),
                None,
            ),
            Control::AltactSigSend {
                flags,
                from,
                to,
                token,
            } => {
                let mut v = vec![
                    i(op::ALTACT_SIG_SEND),
                    i(*flags as i32),
                    p(from),
                    match to {
                        SigTarget::Pid(pid) => p(pid),
                        SigTarget::Name(a) => Term::Atom(a.clone()),
                        SigTarget::Alias(a) => r(a),
                    },
                ];
                v.extend(token.clone());
                (t(v), None)
            }
            Control::Unknown(term) => (term.clone(), None),
        }
    }
}

fn short(t: &Term) -> String {
    let s = t.to_string();
    if s.len() > 120 {
        let mut end = 120;
        while !s.is_char_boundary(end) {
            end -= 1;
        }
        format!("{}...", &s[..end])
    } else {
        s
    }
}

mod frame;

pub use frame::*;

#[cfg(test)]
mod tests;
#[cfg(test)]
mod vectors;
