//! Frames: a control message and its payload read from, and written to, 'p' frames and the bytes after a distribution header.

use super::*;

/// Parses the body of one non-tick connected-phase frame: 'p', control, \[payload\].
pub fn decode_frame(body: &[u8]) -> Result<DistMessage, ControlError> {
    decode_frame_with(body, true)
}

/// A message payload: built, or checked and kept as bytes for its receiver to build.
#[derive(Debug, Clone, PartialEq)]
pub enum Payload {
    Term(Term),
    Checked(CheckedTerm),
}

/// A distribution message whose payload may be checked but not yet built.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckedMessage {
    pub control: Control,
    pub payload: Option<Payload>,
}

/// Largest payload [`decode_frame_deferred`] keeps as bytes; a larger one (such as a
/// big binary, whose building is one copy) is built at once rather than copied twice.
pub const DEFER_MAX: usize = 16 * 1024;

/// Smallest payload [`decode_frame_deferred`] keeps as bytes: a smaller one (a number,
/// a short atom) costs less to build than to copy.
pub const DEFER_MIN: usize = 17;

/// Most bytes of atom text the terms of a message after a distribution header may copy
/// from atom cache references, per byte of the message (its control message and payload,
/// and one per reference in its header, which takes at least that).
///
/// A reference is two bytes and stands for an atom of up to 255 characters (1020 bytes)
/// that the peer cached earlier; each one built is a copy of that text (an `eetf` atom
/// owns its `String`). Without this bound a payload of references would build about 500
/// bytes per byte received. Real traffic stays far below: a list of one 31-character
/// module atom repeated copies about 15 bytes per byte, and only an atom of more than 128
/// bytes repeated back to back, with nothing else in between, would come near it. Past it
/// the message is refused ([`etf::WHY_ATOM_TEXT`]) and its connection closed.
pub const ATOM_TEXT_PER_BYTE: usize = 64;

/// [`decode_frame`], except that the payload of a plain send (SEND, REG_SEND,
/// SEND_SENDER, ALIAS_SEND: the messages that go unchanged into a mailbox) of
/// [`DEFER_MIN`] to [`DEFER_MAX`] bytes is checked in full and kept as bytes, so that the receiving
/// process builds it. Every error `decode_frame` finds is found here too, except
/// duplicate keys in a map, which only building sees.
pub fn decode_frame_deferred(body: &[u8]) -> Result<CheckedMessage, ControlError> {
    let (&first, rest) = body.split_first().ok_or(ControlError::Empty)?;
    if first != 112 {
        return Err(ControlError::NotPassThrough(first));
    }
    decode_deferred(rest, Src::PASS_THROUGH)
}

/// [`decode_frame_deferred`] for the bytes after a distribution header (control, then
/// any payload, without version bytes), whose atom cache references stand for `atoms`.
pub fn decode_after_header<'a>(
    rest: &[u8],
    atoms: impl Into<AtomTable<'a>>,
) -> Result<CheckedMessage, ControlError> {
    let atoms = atoms.into();
    decode_deferred(
        rest,
        Src {
            versioned: false,
            atoms,
        },
    )
}

/// [`decode_frame`] for the bytes after a distribution header.
pub fn decode_message_after_header<'a>(
    rest: &[u8],
    atoms: impl Into<AtomTable<'a>>,
) -> Result<DistMessage, ControlError> {
    let atoms = atoms.into();
    decode_terms(
        rest,
        Src {
            versioned: false,
            atoms,
        },
        true,
    )
}

/// How a message's terms are written: each with its version byte (in a 'p' frame), or
/// without, after a distribution header whose atom cache references stand for `atoms`.
#[derive(Clone, Copy)]
pub(super) struct Src<'a> {
    versioned: bool,
    atoms: AtomTable<'a>,
}

impl Src<'_> {
    const PASS_THROUGH: Src<'static> = Src {
        versioned: true,
        atoms: AtomTable::EMPTY,
    };

    /// Bytes of atom text the terms of `message` (control and payload) may copy from
    /// atom cache references: [`ATOM_TEXT_PER_BYTE`] per byte of it and per reference.
    fn atom_text_budget(&self, message: &[u8]) -> usize {
        if self.atoms.is_empty() {
            return 0;
        }
        ATOM_TEXT_PER_BYTE.saturating_mul(message.len().saturating_add(self.atoms.len()))
    }

    /// One term; atom text it copies from references is taken off `atom_text`.
    fn decode(&self, buf: &[u8], atom_text: &mut usize) -> Result<(Term, usize), EtfError> {
        if self.versioned {
            etf::decode_with(buf, WIRE)
        } else {
            etf::decode_in_within(buf, self.atoms, atom_text)
        }
    }

    fn check_exact(&self, buf: &[u8], atom_text: &mut usize) -> Result<CheckedTerm, EtfError> {
        if self.versioned {
            CheckedTerm::check_exact_with(buf, WIRE)
        } else {
            CheckedTerm::check_exact_in_within(buf, self.atoms, atom_text)
        }
    }

    fn direct(&self, buf: &[u8]) -> Option<(i32, Control, usize)> {
        if self.versioned {
            if buf.first() != Some(&etf::VERSION) {
                return None;
            }
            decode_control_direct(buf, 1, AtomTable::EMPTY)
        } else {
            decode_control_direct(buf, 0, self.atoms)
        }
    }
}

pub(super) fn decode_deferred(rest: &[u8], src: Src<'_>) -> Result<CheckedMessage, ControlError> {
    let mut atom_text = src.atom_text_budget(rest);
    if let Some((op, control, used)) = src.direct(rest)
        && matches!(
            op,
            op::SEND | op::REG_SEND | op::SEND_SENDER | op::ALIAS_SEND
        )
    {
        let payload = rest.get(used..).unwrap_or_default();
        if payload.is_empty() {
            return Err(ControlError::MissingPayload { op });
        }
        let payload = if (DEFER_MIN..=DEFER_MAX).contains(&payload.len()) {
            Payload::Checked(
                src.check_exact(payload, &mut atom_text)
                    .map_err(|e| match e {
                        EtfError::TrailingBytes { extra, .. } => ControlError::Trailing(extra),
                        e => ControlError::Payload(e),
                    })?,
            )
        } else {
            let (term, used) = src
                .decode(payload, &mut atom_text)
                .map_err(ControlError::Payload)?;
            if used != payload.len() {
                return Err(ControlError::Trailing(payload.len() - used));
            }
            Payload::Term(term)
        };
        return Ok(CheckedMessage {
            control,
            payload: Some(payload),
        });
    }
    let DistMessage { control, payload } = decode_terms(rest, src, true)?;
    Ok(CheckedMessage {
        control,
        payload: payload.map(Payload::Term),
    })
}

/// [`decode_frame`]; `direct` tries reading everyday control tuples field by field.
pub(super) fn decode_frame_with(body: &[u8], direct: bool) -> Result<DistMessage, ControlError> {
    let (&first, rest) = body.split_first().ok_or(ControlError::Empty)?;
    if first != 112 {
        return Err(ControlError::NotPassThrough(first));
    }
    decode_terms(rest, Src::PASS_THROUGH, direct)
}

/// The control term and any payload in `rest`.
pub(super) fn decode_terms(
    rest: &[u8],
    src: Src<'_>,
    direct: bool,
) -> Result<DistMessage, ControlError> {
    if rest.is_empty() {
        return Err(ControlError::Empty);
    }
    let mut atom_text = src.atom_text_budget(rest);
    let fast = if direct { src.direct(rest) } else { None };
    let (control, op, used) = match fast {
        Some((op, control, used)) => (Ok(control), op, used),
        None => {
            let (control_term, used) = src.decode(rest, &mut atom_text)?;
            let op = match &control_term {
                Term::Tuple(Tuple { elements }) => match elements.first() {
                    Some(Term::FixInteger(FixInteger { value })) => *value,
                    _ => return Err(ControlError::NotControl(short(&control_term))),
                },
                _ => return Err(ControlError::NotControl(short(&control_term))),
            };
            (Err(control_term), op, used)
        }
    };
    let rest = rest.get(used..).unwrap_or_default();
    let payload = if has_payload(op) {
        if rest.is_empty() {
            return Err(ControlError::MissingPayload { op });
        }
        let (payload, used) = src
            .decode(rest, &mut atom_text)
            .map_err(ControlError::Payload)?;
        if used != rest.len() {
            return Err(ControlError::Trailing(rest.len() - used));
        }
        Some(payload)
    } else {
        if !rest.is_empty() {
            return Err(ControlError::Trailing(rest.len()));
        }
        None
    };
    match control {
        Ok(control) => Ok(DistMessage { control, payload }),
        Err(control_term) => {
            // PAYLOAD_* forms fold their payload into the reason.
            let (control, payload) = Control::from_parts(control_term, payload)?;
            Ok(DistMessage { control, payload })
        }
    }
}

/// Reads the control tuples of everyday messages field by field, without
/// building a tuple term: the operation, the control, and the bytes used.
/// `None` for any other shape, which the general path then reads (or refuses). The
/// tuple starts at `start`; atom cache references index `atoms`.
pub(super) fn decode_control_direct(
    buf: &[u8],
    start: usize,
    atoms: AtomTable<'_>,
) -> Option<(i32, Control, usize)> {
    use etf::fields::{read_int, read_small_tuple};
    let read_atom = |buf: &[u8], p: &mut usize| etf::fields::read_atom(buf, p, atoms);
    let read_pid = |buf: &[u8], p: &mut usize| etf::fields::read_pid(buf, p, atoms);
    let read_reference = |buf: &[u8], p: &mut usize| etf::fields::read_reference(buf, p, atoms);
    let mut pos = start;
    let p = &mut pos;
    let arity = read_small_tuple(buf, p)?;
    let op = read_int(buf, p)?;
    let control = match (op, arity) {
        (op::SEND, 3) => {
            read_atom(buf, p)?;
            Control::Send {
                to: read_pid(buf, p)?,
            }
        }
        (op::REG_SEND, 4) => {
            let from = read_pid(buf, p)?;
            read_atom(buf, p)?;
            Control::RegSend {
                from,
                to: read_atom(buf, p)?,
            }
        }
        (op::SEND_SENDER, 3) => Control::SendSender {
            from: read_pid(buf, p)?,
            to: read_pid(buf, p)?,
        },
        (op::LINK, 3) => Control::Link {
            from: read_pid(buf, p)?,
            to: read_pid(buf, p)?,
        },
        (op::MONITOR_P | op::DEMONITOR_P, 4) => {
            let from = read_pid(buf, p)?;
            let mut at = *p;
            let to = match read_pid(buf, &mut at) {
                Some(pid) => PidOrName::Pid(pid),
                None => PidOrName::Name(read_atom(buf, &mut at)?),
            };
            *p = at;
            let reference = read_reference(buf, p)?;
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
        (op::ALIAS_SEND, 3) => Control::AliasSend {
            from: read_pid(buf, p)?,
            alias: read_reference(buf, p)?,
        },
        _ => return None,
    };
    Some((op, control, pos))
}

/// Writes the control tuples of everyday messages field by field (131 first with
/// `version`), without building a tuple term. False (nothing written) for the others.
pub(super) fn encode_control_direct(
    control: &Control,
    out: &mut Vec<u8>,
    version: bool,
) -> Result<bool, EtfError> {
    use etf::fields;
    let head = |arity: u8, op: i32, out: &mut Vec<u8>| {
        if version {
            out.push(etf::VERSION);
        }
        fields::small_tuple(arity, out);
        fields::int(op, out);
    };
    match control {
        Control::Send { to } => {
            head(3, op::SEND, out);
            fields::empty_atom(out);
            fields::pid(to, out)?;
        }
        Control::RegSend { from, to } => {
            head(4, op::REG_SEND, out);
            fields::pid(from, out)?;
            fields::empty_atom(out);
            fields::atom(to, out)?;
        }
        Control::SendSender { from, to }
        | Control::Link { from, to }
        | Control::Unlink { from, to }
        | Control::GroupLeader { from, to } => {
            let op = match control {
                Control::SendSender { .. } => op::SEND_SENDER,
                Control::Link { .. } => op::LINK,
                Control::Unlink { .. } => op::UNLINK,
                _ => op::GROUP_LEADER,
            };
            head(3, op, out);
            fields::pid(from, out)?;
            fields::pid(to, out)?;
        }
        Control::MonitorP {
            from,
            to,
            reference,
        }
        | Control::DemonitorP {
            from,
            to,
            reference,
        } => {
            let op = if matches!(control, Control::MonitorP { .. }) {
                op::MONITOR_P
            } else {
                op::DEMONITOR_P
            };
            head(4, op, out);
            fields::pid(from, out)?;
            match to {
                PidOrName::Pid(p) => fields::pid(p, out)?,
                PidOrName::Name(a) => fields::atom(a, out)?,
            }
            fields::reference(reference, out)?;
        }
        Control::AliasSend { from, alias } => {
            head(3, op::ALIAS_SEND, out);
            fields::pid(from, out)?;
            fields::reference(alias, out)?;
        }
        _ => return Ok(false),
    }
    Ok(true)
}

/// About how many bytes `term` encodes to, from its top level only: exact for
/// binaries, and for containers an allowance per element that covers small
/// integers and short atoms (a nested term may need more; the buffer then grows).
pub(super) fn size_hint(term: &Term) -> usize {
    match term {
        Term::Binary(b) => 5 + b.bytes.len(),
        Term::BitBinary(b) => 6 + b.bytes.len(),
        Term::ByteList(b) => 6 + 2 * b.bytes.len(),
        Term::List(l) => 6 + 5 * l.elements.len(),
        Term::Tuple(t) => 5 + 9 * t.elements.len(),
        Term::Map(m) => 5 + 18 * m.map.len(),
        _ => 16,
    }
}

/// How a connection's messages are framed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Framing {
    /// `112` ('p'), then each term with its version byte: the peer did not negotiate
    /// `DIST_HDR_ATOM_CACHE`.
    PassThrough,
    /// A distribution header (`131 68`, no atom cache references), then the terms
    /// without version bytes.
    Header,
}

/// Appends one whole frame (4-byte length, 'p', control, payload) to `out`.
pub fn encode_frame(
    control: &Control,
    payload: Option<&Term>,
    out: &mut Vec<u8>,
) -> Result<(), EtfError> {
    encode_frame_as(control, payload, Framing::PassThrough, out)
}

/// Appends one whole frame (4-byte length, the framing's prefix, control, payload)
/// to `out`. On error `out` is left as it was.
pub fn encode_frame_as(
    control: &Control,
    payload: Option<&Term>,
    framing: Framing,
    out: &mut Vec<u8>,
) -> Result<(), EtfError> {
    encode_frame_measured(control, payload, framing, out).map(drop)
}

/// [`encode_frame_as`], returning how many bytes the control message took.
pub fn encode_frame_measured(
    control: &Control,
    payload: Option<&Term>,
    framing: Framing,
    out: &mut Vec<u8>,
) -> Result<usize, EtfError> {
    let start = out.len();
    // Room for the control tuple and, in one go, for what the payload will likely
    // take (growing a frame by doubling copied it several times over).
    out.reserve(128 + payload.map_or(0, size_hint));
    match framing {
        Framing::PassThrough => out.extend_from_slice(&[0, 0, 0, 0, 112]),
        Framing::Header => out.extend_from_slice(&[0, 0, 0, 0, 131, 68, 0]),
    }
    let terms_at = out.len();
    let mut ctl_end = 0;
    if let Err(e) = encode_terms_with(
        control,
        payload,
        framing == Framing::PassThrough,
        out,
        &mut ctl_end,
    ) {
        out.truncate(start);
        return Err(e);
    }
    let len = (out.len() - start - 4) as u32;
    out[start..start + 4].copy_from_slice(&len.to_be_bytes());
    Ok(ctl_end - terms_at)
}

/// Appends the control message and any payload without version bytes (what follows a
/// distribution header); returns how many bytes the control message took. On error
/// `out` is left as it was.
pub fn encode_message_bare(
    control: &Control,
    payload: Option<&Term>,
    out: &mut Vec<u8>,
) -> Result<usize, EtfError> {
    let start = out.len();
    out.reserve(128 + payload.map_or(0, size_hint));
    let mut ctl_len = 0;
    let result = encode_terms_with(control, payload, false, out, &mut ctl_len);
    if let Err(e) = result {
        out.truncate(start);
        return Err(e);
    }
    Ok(ctl_len - start)
}

/// The control term then the payload (or a PAYLOAD_* form's reason); `ctl_end` is set
/// to where the control term ends in `out`.
pub(super) fn encode_terms_with(
    control: &Control,
    payload: Option<&Term>,
    version: bool,
    out: &mut Vec<u8>,
    ctl_end: &mut usize,
) -> Result<(), EtfError> {
    let enc = |t: &Term, out: &mut Vec<u8>| {
        if version {
            etf::encode(t, out)
        } else {
            etf::encode_bare(t, out)
        }
    };
    let folded = if encode_control_direct(control, out, version)? {
        None
    } else {
        let (ctl, folded) = control.to_term();
        enc(&ctl, out)?;
        folded
    };
    *ctl_end = out.len();
    if let Some(reason) = folded.as_ref() {
        enc(reason, out)?;
    } else if let Some(msg) = payload {
        enc(msg, out)?;
    }
    Ok(())
}
