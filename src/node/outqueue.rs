//! A connection's outgoing queue: senders encode frames straight into one shared buffer, which the connection's writer takes whole; large messages go out a fragment at a time.

use super::lock;
use crate::proto::control::{
    Control, Framing, PidOrName, encode_frame_as, encode_frame_measured, encode_message_bare,
};
use crate::proto::dist_header::OutCache;
use crate::proto::etf::{EtfError, with_atom_cache};
use eetf::{Pid, Term};
use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use tokio::sync::Notify;

/// Largest fragment we send (the data after a fragment header), as BEAM.
pub(crate) const FRAGMENT_SIZE: usize = 64 * 1024;

/// Messages whose payload is expected to encode to more than this are sent in
/// fragments (when the peer takes them), so that ticks and other processes' messages
/// go out between the pieces; smaller ones go whole.
pub(crate) const FRAGMENT_ABOVE: usize = 4 * FRAGMENT_SIZE;

/// Messages whose payload is expected to encode to more than this go without atom
/// cache references: they are encoded straight into the queue's buffer, where a
/// cached message is first encoded aside to learn its references (one more copy).
const CACHE_PAYLOAD_MAX: usize = 4 * 1024;

/// Frames waiting for a connection's writer (or for a connection, while dialling).
///
/// A sender encodes its frame in place at the end of the buffer, so a frame costs no
/// allocation of its own and is never copied before the socket write; the writer swaps
/// the whole buffer out for its empty one and writes it in one go. A large message is
/// kept apart and handed to the writer a fragment at a time, after whatever small
/// frames are waiting; frames from its sender queued after it wait behind it, so each
/// process's messages still arrive in the order it sent them.
pub(crate) struct OutQueue {
    state: Mutex<OutState>,
    ready: Notify,
    /// Bytes the queue may hold before it overflows (see [`OutQueue::push`]).
    limit: usize,
}

/// How frames are encoded on the connection, once the handshake has said.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Wire {
    pub framing: Framing,
    /// The peer takes fragmented messages (`FRAGMENTS`).
    pub fragments: bool,
    /// The peer takes SEND_SENDER; without it a send goes as a plain SEND.
    pub send_sender: bool,
}

#[derive(Default)]
struct OutState {
    buf: Vec<u8>,
    /// Frames in `buf`.
    frames: usize,
    /// The peer's entry is gone: nothing more will be queued.
    closed: bool,
    /// Closed because a push took the queue past its limit, to this many bytes.
    overflowed: Option<usize>,
    /// Unknown until the handshake is done.
    wire: Option<Wire>,
    /// Messages sent before that, encoded once it is known.
    pending: Vec<(Control, Option<Term>)>,
    /// About how many bytes `pending` will encode to.
    pending_bytes: usize,
    /// Large messages going out a fragment at a time, oldest first.
    large: VecDeque<Large>,
    /// Bytes held by `large` (data and followers).
    large_bytes: usize,
    next_sequence: u64,
    /// The connection's outgoing atom cache (no slots without a distribution header).
    cache: OutCache,
    /// Where a message is encoded to learn its atom cache references.
    scratch: Vec<u8>,
}

/// A message sent in fragments.
struct Large {
    /// Whose message it is: later frames of the same sender wait behind it.
    sender: Option<Pid>,
    sequence: u64,
    /// The control message and payload, without version bytes.
    data: Vec<u8>,
    /// Bytes of `data` the start fragment carries (at least the control message).
    first: usize,
    /// Bytes of `data` handed to the writer so far.
    sent: usize,
    /// Fragments still to hand over; the next one carries this id.
    left: u64,
    /// Whole frames from the same sender queued after this message.
    followers: Vec<u8>,
    follower_frames: usize,
}

impl Large {
    fn new(sender: Option<Pid>, sequence: u64, data: Vec<u8>, ctl_len: usize) -> Large {
        let first = ctl_len.max(FRAGMENT_SIZE.min(data.len()));
        let rest = data.len() - first;
        let left = 1 + rest.div_ceil(FRAGMENT_SIZE) as u64;
        Large {
            sender,
            sequence,
            data,
            first,
            sent: 0,
            left,
            followers: Vec::new(),
            follower_frames: 0,
        }
    }

    /// Appends the next fragment as a whole frame; true when it was the last.
    fn next_fragment(&mut self, out: &mut Vec<u8>) -> bool {
        let end = if self.sent == 0 {
            self.first
        } else {
            (self.sent + FRAGMENT_SIZE).min(self.data.len())
        };
        let chunk = self.data.get(self.sent..end).unwrap_or_default();
        let header_len = if self.sent == 0 {
            2 + 8 + 8 + 1
        } else {
            2 + 8 + 8
        };
        let len = (header_len + chunk.len()) as u32;
        out.reserve(4 + header_len + chunk.len());
        out.extend_from_slice(&len.to_be_bytes());
        out.extend_from_slice(&[131, if self.sent == 0 { 69 } else { 70 }]);
        out.extend_from_slice(&self.sequence.to_be_bytes());
        out.extend_from_slice(&self.left.to_be_bytes());
        if self.sent == 0 {
            // No atom cache references: the atoms are written in full.
            out.push(0);
        }
        out.extend_from_slice(chunk);
        self.sent = end;
        self.left = self.left.saturating_sub(1);
        self.left == 0
    }

    fn held(&self) -> usize {
        self.data.len() + self.followers.len()
    }
}

/// Buffer capacity kept by [`OutQueue::trim`].
const KEEP: usize = 64 * 1024;

/// What became of a pushed frame.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Pushed {
    Queued,
    /// The queue was already closed: the frame was dropped.
    Closed,
    /// The frame took the queue past the limit, to this many bytes: the peer is not
    /// taking what is sent. The queue is now closed, with what it held dropped.
    Overflowed(usize),
}

/// What the writer found: frames to write, or the end of the queue.
pub(crate) enum Taken {
    Frames(usize),
    /// Closed; with the bytes it held if a push took it past its limit.
    Closed(Option<usize>),
}

/// The process a control message is sent on behalf of, if it names one.
fn sender(ctl: &Control) -> Option<&Pid> {
    match ctl {
        Control::Link { from, .. }
        | Control::Exit { from, .. }
        | Control::Unlink { from, .. }
        | Control::RegSend { from, .. }
        | Control::GroupLeader { from, .. }
        | Control::Exit2 { from, .. }
        | Control::MonitorP { from, .. }
        | Control::DemonitorP { from, .. }
        | Control::SendSender { from, .. }
        | Control::SpawnRequest { from, .. }
        | Control::AliasSend { from, .. }
        | Control::UnlinkId { from, .. }
        | Control::UnlinkIdAck { from, .. }
        | Control::AltactSigSend { from, .. }
        | Control::MonitorPExit {
            from: PidOrName::Pid(from),
            ..
        } => Some(from),
        _ => None,
    }
}

/// About how many bytes a payload encodes to, at least: binaries and strings count
/// their bytes, other terms a byte or so each; only the first few hundred terms are
/// looked at.
fn payload_hint(payload: Option<&Term>) -> usize {
    let mut todo: Vec<&Term> = payload.into_iter().collect();
    let mut size = 0usize;
    let mut budget = 256;
    while let Some(t) = todo.pop() {
        budget -= 1;
        if budget == 0 {
            break;
        }
        size += match t {
            Term::Binary(b) => b.bytes.len(),
            Term::BitBinary(b) => b.bytes.len(),
            Term::ByteList(b) => b.bytes.len(),
            Term::List(l) => {
                todo.extend(l.elements.iter().take(budget));
                l.elements.len()
            }
            Term::ImproperList(l) => {
                todo.extend(l.elements.iter().take(budget));
                l.elements.len()
            }
            Term::Tuple(t) => {
                todo.extend(t.elements.iter().take(budget));
                t.elements.len()
            }
            Term::Map(m) => {
                todo.extend(m.map.iter().take(budget).flat_map(|(k, v)| [k, v]));
                2 * m.map.len()
            }
            _ => 1,
        };
    }
    size
}

impl OutState {
    fn held(&self) -> usize {
        self.buf.len() + self.large_bytes + self.pending_bytes
    }

    /// Encodes one message for a known wire: into the shared buffer, behind a large
    /// message of the same sender, or as a large message of its own.
    fn encode(
        &mut self,
        wire: Wire,
        ctl: &Control,
        payload: Option<&Term>,
    ) -> Result<(), EtfError> {
        let plain;
        let ctl = match ctl {
            Control::SendSender { to, .. } if !wire.send_sender => {
                plain = Control::Send { to: to.clone() };
                &plain
            }
            _ => ctl,
        };
        if wire.fragments && payload_hint(payload) > FRAGMENT_ABOVE {
            let mut data = Vec::new();
            let ctl_len = encode_message_bare(ctl, payload, &mut data)?;
            if data.len() > FRAGMENT_ABOVE {
                self.push_large(ctl, data, ctl_len);
                return Ok(());
            }
        }
        if !self.large.is_empty() {
            let key = sender(ctl);
            if let Some(l) = self
                .large
                .iter_mut()
                .rev()
                .find(|l| l.sender.as_ref() == key)
            {
                let before = l.followers.len();
                encode_frame_as(ctl, payload, wire.framing, &mut l.followers)?;
                if wire.fragments && l.followers.len() - before > 4 + FRAGMENT_ABOVE {
                    // Larger than it looked: it goes in fragments after this one.
                    let data = l.followers[before + 7..].to_vec();
                    l.followers.truncate(before);
                    let ctl_len = encode_message_bare(ctl, None, &mut Vec::new())?;
                    self.push_large(ctl, data, ctl_len);
                    return Ok(());
                }
                l.follower_frames += 1;
                self.large_bytes += l.followers.len() - before;
                return Ok(());
            }
        }
        if wire.framing == Framing::Header && payload_hint(payload) <= CACHE_PAYLOAD_MAX {
            return self.encode_cached(wire, ctl, payload);
        }
        let start = self.buf.len();
        let ctl_len = encode_frame_measured(ctl, payload, wire.framing, &mut self.buf)?;
        if wire.fragments && self.buf.len() - start > 4 + FRAGMENT_ABOVE {
            // Larger than it looked: take it back out (past the length and the
            // `131 68 0` header) and send it in fragments.
            let data = self.buf[start + 7..].to_vec();
            self.buf.truncate(start);
            self.push_large(ctl, data, ctl_len);
            return Ok(());
        }
        self.frames += 1;
        Ok(())
    }

    /// Encodes a message into the shared buffer with its atoms as atom cache
    /// references. Only frames in the shared buffer use the cache: they are written in
    /// the order they are encoded, so the peer sees each new entry before its use.
    fn encode_cached(
        &mut self,
        wire: Wire,
        ctl: &Control,
        payload: Option<&Term>,
    ) -> Result<(), EtfError> {
        let (cache, scratch) = (&mut self.cache, &mut self.scratch);
        scratch.clear();
        cache.begin();
        if let Err(e) = with_atom_cache(cache, || encode_message_bare(ctl, payload, scratch)) {
            cache.abort();
            return Err(e);
        }
        if wire.fragments && scratch.len() > FRAGMENT_ABOVE {
            // Large after all: it goes in fragments, without references.
            cache.abort();
            let mut data = Vec::new();
            let ctl_len = encode_message_bare(ctl, payload, &mut data)?;
            self.push_large(ctl, data, ctl_len);
            return Ok(());
        }
        let buf = &mut self.buf;
        let start = buf.len();
        buf.extend_from_slice(&[0, 0, 0, 0, 131, 68]);
        cache.write_refs(buf);
        buf.extend_from_slice(scratch);
        let len = (buf.len() - start - 4) as u32;
        buf[start..start + 4].copy_from_slice(&len.to_be_bytes());
        self.frames += 1;
        Ok(())
    }

    fn push_large(&mut self, ctl: &Control, data: Vec<u8>, ctl_len: usize) {
        self.next_sequence += 1;
        let large = Large::new(sender(ctl).cloned(), self.next_sequence, data, ctl_len);
        self.large_bytes += large.held();
        self.large.push_back(large);
    }

    fn has_work(&self) -> bool {
        self.frames > 0 || !self.large.is_empty()
    }
}

impl OutQueue {
    /// An empty queue that overflows past `limit` bytes.
    pub(crate) fn new(limit: usize) -> OutQueue {
        OutQueue {
            state: Mutex::default(),
            ready: Notify::new(),
            limit,
        }
    }

    /// Queues one message. Nothing is queued once the queue is closed; a message that
    /// takes the queue past the limit closes it. Before the handshake is done the
    /// message is kept as it is, to be encoded once the wire format is known.
    pub(crate) fn push(&self, ctl: &Control, payload: Option<&Term>) -> Result<Pushed, EtfError> {
        let wake = {
            let mut s = lock(&self.state);
            if s.closed {
                return Ok(Pushed::Closed);
            }
            // Checked before encoding too: a queue already at its limit does not
            // first take one more (possibly huge) message.
            let held = s.held();
            if held >= self.limit {
                s.overflowed = Some(held);
                drop(s);
                self.close();
                return Ok(Pushed::Overflowed(held));
            }
            let was_idle = !s.has_work();
            match s.wire {
                Some(wire) => s.encode(wire, ctl, payload)?,
                None => {
                    s.pending.push((ctl.clone(), payload.cloned()));
                    s.pending_bytes += 64 + payload_hint(payload);
                }
            }
            let held = s.held();
            if held > self.limit {
                s.overflowed = Some(held);
                drop(s);
                self.close();
                return Ok(Pushed::Overflowed(held));
            }
            was_idle && s.has_work()
        };
        if wake {
            self.ready.notify_one();
        }
        Ok(Pushed::Queued)
    }

    /// The handshake is done: encode what was queued meanwhile, and what comes later,
    /// for `wire`. A message that cannot be encoded is dropped and logged.
    pub(crate) fn set_wire(&self, wire: Wire) {
        let wake = {
            let mut s = lock(&self.state);
            s.wire = Some(wire);
            if wire.framing == Framing::Header {
                s.cache = OutCache::new();
            }
            let pending = std::mem::take(&mut s.pending);
            s.pending_bytes = 0;
            for (ctl, payload) in pending {
                if let Err(e) = s.encode(wire, &ctl, payload.as_ref()) {
                    tracing::warn!("cannot encode a message: {e}");
                }
            }
            s.has_work()
        };
        if wake {
            self.ready.notify_one();
        }
    }

    /// Waits for frames, then swaps them into `into` (which must be empty), followed by
    /// the next fragment of the oldest large message, if any.
    pub(crate) async fn take(&self, into: &mut Vec<u8>) -> Taken {
        loop {
            {
                let mut s = lock(&self.state);
                if s.has_work() {
                    let mut frames = 0;
                    if s.frames > 0 {
                        std::mem::swap(&mut s.buf, into);
                        frames = std::mem::take(&mut s.frames);
                    }
                    let s = &mut *s;
                    if let Some(l) = s.large.front_mut() {
                        let before = l.held();
                        let last = l.next_fragment(into);
                        frames += 1;
                        if last {
                            into.extend_from_slice(&l.followers);
                            frames += l.follower_frames;
                            s.large_bytes -= before;
                            s.large.pop_front();
                        }
                    }
                    return Taken::Frames(frames);
                }
                if s.closed {
                    return Taken::Closed(s.overflowed);
                }
            }
            self.ready.notified().await;
        }
    }

    /// Cuts the queue's buffer, if it holds no frames, and the writer's empty `batch`
    /// back to a small capacity: what a burst of large messages grew. The writer calls
    /// it once the connection has been idle for a while, not after each write: a
    /// buffer shrunk while frames keep coming grows again by reallocations, each of
    /// which faults in fresh pages (a 64 KiB binary stream spent 2/3 of its sending
    /// time so).
    pub(crate) fn trim(&self, batch: &mut Vec<u8>) {
        let mut s = lock(&self.state);
        if s.scratch.capacity() > KEEP {
            s.scratch = Vec::new();
        }
        for buf in [&mut s.buf, batch] {
            if buf.is_empty() && buf.capacity() > KEEP {
                buf.shrink_to(KEEP);
            }
        }
    }

    /// Ends the queue: what is queued is dropped and the writer is told.
    pub(crate) fn close(&self) {
        {
            let mut s = lock(&self.state);
            s.closed = true;
            s.buf = Vec::new();
            s.frames = 0;
            s.pending = Vec::new();
            s.pending_bytes = 0;
            s.large = VecDeque::new();
            s.large_bytes = 0;
        }
        self.ready.notify_one();
    }
}

/// The connection table's hold on a queue: dropping it (with the peer's entry)
/// closes the queue, which stops the writer that took it.
pub(crate) struct QueueOwner(Arc<OutQueue>);

impl QueueOwner {
    pub(crate) fn new(limit: usize) -> QueueOwner {
        QueueOwner(Arc::new(OutQueue::new(limit)))
    }

    pub(crate) fn queue(&self) -> &Arc<OutQueue> {
        &self.0
    }
}

impl Drop for QueueOwner {
    fn drop(&mut self) {
        self.0.close();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proto::control::{Payload, decode_after_header, decode_frame};
    use crate::proto::dist_header::{self, Header, InCache};
    use crate::proto::fragments::Reassembly;
    use eetf::{Atom, Binary};

    fn pid(id: u32) -> Pid {
        Pid::new("a@b", id, 0, 1)
    }

    fn send(from: u32, to: u32) -> Control {
        Control::SendSender {
            from: pid(from),
            to: pid(to),
        }
    }

    /// Splits a batch into frame bodies.
    fn frames(mut batch: &[u8]) -> Vec<Vec<u8>> {
        let mut out = Vec::new();
        while let [a, b, c, d, rest @ ..] = batch {
            let len = u32::from_be_bytes([*a, *b, *c, *d]) as usize;
            out.push(rest[..len].to_vec());
            batch = &rest[len..];
        }
        out
    }

    /// Decodes frame bodies as a BEAM peer would, joining fragments.
    fn decode_all(bodies: &[Vec<u8>]) -> Vec<(Control, Term)> {
        let mut cache = InCache::default();
        let mut partial = Reassembly::new(usize::MAX);
        let mut out = Vec::new();
        for body in bodies {
            let whole = match dist_header::parse(body, &mut cache).unwrap() {
                Header::Message { atoms, rest } => Some((atoms, rest.to_vec())),
                Header::FragmentStart {
                    sequence,
                    fragment,
                    atoms,
                    rest,
                } => partial
                    .start(sequence, fragment, atoms, rest)
                    .unwrap()
                    .map(|r| (r.atoms, r.data)),
                Header::Fragment {
                    sequence,
                    fragment,
                    rest,
                } => partial
                    .next(sequence, fragment, rest)
                    .unwrap()
                    .map(|r| (r.atoms, r.data)),
            };
            if let Some((atoms, data)) = whole {
                let m = decode_after_header(&data, &atoms).unwrap();
                let payload = match m.payload.unwrap() {
                    Payload::Term(t) => t,
                    Payload::Checked(c) => c.build().unwrap(),
                };
                out.push((m.control, payload));
            }
        }
        out
    }

    const HEADER: Wire = Wire {
        framing: Framing::Header,
        fragments: true,
        send_sender: true,
    };

    #[tokio::test]
    async fn messages_sent_while_dialling_are_encoded_for_the_negotiated_framing() {
        for (wire, first) in [
            (
                Wire {
                    framing: Framing::PassThrough,
                    fragments: false,
                    send_sender: false,
                },
                112,
            ),
            (HEADER, 131),
        ] {
            let q = OutQueue::new(usize::MAX);
            q.push(&send(1, 2), Some(&Term::from(Atom::from("early"))))
                .unwrap();
            q.set_wire(wire);
            q.push(&send(1, 2), Some(&Term::from(Atom::from("late"))))
                .unwrap();
            let mut batch = Vec::new();
            assert!(matches!(q.take(&mut batch).await, Taken::Frames(2)));
            let bodies = frames(&batch);
            assert!(bodies.iter().all(|b| b[0] == first));
            if first == 112 {
                let m = decode_frame(&bodies[0]).unwrap();
                assert_eq!(m.payload, Some(Term::from(Atom::from("early"))));
                // A peer without SEND_SENDER gets a plain SEND.
                assert_eq!(m.control, Control::Send { to: pid(2) });
            } else {
                let got = decode_all(&bodies);
                assert_eq!(got[0].1, Term::from(Atom::from("early")));
                assert_eq!(got[1].1, Term::from(Atom::from("late")));
            }
        }
    }

    #[tokio::test]
    async fn a_large_message_goes_in_fragments_with_other_senders_between_and_its_own_behind() {
        let q = OutQueue::new(usize::MAX);
        q.set_wire(HEADER);
        let big = Term::from(Binary::from(vec![5u8; 3 * FRAGMENT_ABOVE + 17]));
        q.push(&send(1, 9), Some(&big)).unwrap();
        q.push(&send(1, 9), Some(&Term::from(Atom::from("after_big"))))
            .unwrap();
        q.push(&send(2, 9), Some(&Term::from(Atom::from("other"))))
            .unwrap();
        // Looks small from its first elements, is large when encoded.
        let list = Term::from(eetf::List::from(vec![
            Term::from(Binary::from(vec![
                1u8;
                100
            ]));
            10_000
        ]));
        q.push(&send(4, 9), Some(&list)).unwrap();
        let mut bodies = Vec::new();
        let mut batches = 0;
        loop {
            let mut batch = Vec::new();
            assert!(matches!(q.take(&mut batch).await, Taken::Frames(_)));
            batches += 1;
            bodies.extend(frames(&batch));
            if lock(&q.state).large.is_empty() && !lock(&q.state).has_work() {
                break;
            }
            if batches == 1 {
                // Another sender's message pushed mid-transfer goes out before the rest.
                q.push(&send(3, 9), Some(&Term::from(Atom::from("mid"))))
                    .unwrap();
            }
        }
        // Every fragment is at most FRAGMENT_SIZE bytes of data, plus its header.
        assert!(bodies.iter().all(|b| b.len() <= FRAGMENT_SIZE + 64));
        let got: Vec<Term> = decode_all(&bodies).into_iter().map(|(_, t)| t).collect();
        assert_eq!(got.len(), 5);
        assert_eq!(got[0], Term::from(Atom::from("other")));
        assert_eq!(got[1], Term::from(Atom::from("mid")));
        assert_eq!(got[2], big);
        assert_eq!(got[3], Term::from(Atom::from("after_big")));
        assert_eq!(got[4], list);
        assert_eq!(lock(&q.state).large_bytes, 0);
    }

    #[tokio::test]
    async fn atoms_go_as_cache_references_once_the_peer_has_them() {
        let q = OutQueue::new(usize::MAX);
        q.set_wire(HEADER);
        let map = |extra: Term| {
            Term::from(eetf::Map::from(
                [
                    (
                        Term::from(Atom::from("alpha")),
                        Term::from(Atom::from("beta")),
                    ),
                    (Term::from(Atom::from("gamma")), extra),
                ]
                .into_iter()
                .collect::<std::collections::HashMap<_, _>>(),
            ))
        };
        let first = map(Term::from(Atom::from("delta")));
        q.push(&send(1, 2), Some(&first)).unwrap();
        q.push(&send(1, 2), Some(&first)).unwrap();
        // A message that fails to encode after naming a new atom leaves no trace.
        let nan = Term::from(eetf::Float { value: f64::NAN });
        assert!(q.push(&send(1, 2), Some(&map(nan))).is_err());
        let again = map(Term::from(Atom::from("delta")));
        q.push(&send(1, 2), Some(&again)).unwrap();
        let mut batch = Vec::new();
        assert!(matches!(q.take(&mut batch).await, Taken::Frames(3)));
        let bodies = frames(&batch);
        let named = |b: &[u8], name: &[u8]| b.windows(name.len()).any(|w| w == name);
        assert!(named(&bodies[0], b"alpha") && named(&bodies[0], b"delta"));
        assert!(!named(&bodies[1], b"alpha") && !named(&bodies[1], b"a@b"));
        assert!(bodies[1].len() < bodies[0].len());
        assert!(!named(&bodies[2], b"delta"));
        let got = decode_all(&bodies);
        assert!(got.iter().all(|(_, t)| *t == first));
        assert_eq!(got[0].0, send(1, 2));
    }

    #[tokio::test]
    async fn trimming_gives_back_large_empty_buffers_and_close_stops_the_writer() {
        let q = OutQueue::new(usize::MAX);
        q.set_wire(HEADER);
        let chunk = Term::from(Binary::from(vec![4u8; 3 * KEEP]));
        q.push(&send(1, 2), Some(&chunk)).unwrap();
        let mut batch = Vec::new();
        q.trim(&mut batch);
        assert!(matches!(q.take(&mut batch).await, Taken::Frames(1)));
        assert!(batch.len() > 3 * KEEP);
        batch.clear();
        q.trim(&mut batch);
        assert!(batch.capacity() <= KEEP);
        q.close();
        assert_eq!(q.push(&send(1, 2), Some(&chunk)).ok(), Some(Pushed::Closed));
        assert!(matches!(q.take(&mut Vec::new()).await, Taken::Closed(_)));
    }

    #[tokio::test]
    async fn a_message_past_the_limit_closes_the_queue_and_drops_what_it_held() {
        let small = Term::from(Binary::from(vec![7u8; 100]));
        for wire in [None, Some(HEADER)] {
            let q = OutQueue::new(1000);
            if let Some(w) = wire {
                q.set_wire(w);
            }
            for _ in 0..5 {
                assert_eq!(q.push(&send(1, 2), Some(&small)).ok(), Some(Pushed::Queued));
            }
            let big = Term::from(Binary::from(vec![7u8; 1000]));
            assert!(matches!(
                q.push(&send(1, 2), Some(&big)),
                Ok(Pushed::Overflowed(_))
            ));
            assert_eq!(q.push(&send(1, 2), Some(&small)).ok(), Some(Pushed::Closed));
            assert!(matches!(
                q.take(&mut Vec::new()).await,
                Taken::Closed(Some(_))
            ));
        }
        // A queue at its limit overflows before encoding the next message (any
        // message takes it past), so that message is never encoded.
        // (Before the handshake a message counts 64 bytes plus its payload's.)
        let q = OutQueue::new(1000);
        let fill = Term::from(Binary::from(vec![7u8; 936]));
        assert_eq!(q.push(&send(1, 2), Some(&fill)).ok(), Some(Pushed::Queued));
        assert_eq!(
            q.push(&send(1, 2), Some(&small)).ok(),
            Some(Pushed::Overflowed(1000))
        );
    }
}
