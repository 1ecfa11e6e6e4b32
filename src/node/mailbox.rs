//! Mailboxes: the queue between a process's senders and the process, with its waker.

use super::lock;
use crate::proto::etf::CheckedTerm;
use eetf::Term;
use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};

/// A mailbox: the messages sent and not yet taken, and the waiting receiver.
///
/// An idle one is a few dozen bytes (an empty queue allocates nothing), which
/// is what lets a node hold many idle processes; a channel from tokio would
/// allocate a block of 32 message slots up front.
#[derive(Default)]
pub(crate) struct MailboxState {
    /// Priority messages first (the first `prio`), then ordinary ones.
    queue: VecDeque<Msg>,
    waker: Option<Waker>,
    /// The sending side is gone: the process has ended.
    closed: bool,
    /// Priority messages (OTP 28's `erlang:send(Alias, Msg, [priority])` to a
    /// priority alias) at the front of `queue`.
    prio: u32,
}

/// A message in a mailbox: a term, or a peer's message checked by the connection's
/// reader and built by the receiving process when it takes it (so the building, and
/// later the freeing, happen on the receiver's task rather than the reader's).
pub(crate) enum Msg {
    Term(Term),
    Checked(CheckedTerm, Arc<Origin>),
}

/// A connection in its connected phase: what its messages came on (closed if one
/// cannot be built), and whether it has gone.
#[derive(Debug)]
pub(crate) struct Origin {
    pub peer: String,
    pub id: u64,
    /// Set by `peers::connection_down` before it removes what the connection set
    /// up: from then on its reader applies nothing more.
    closed: AtomicBool,
}

impl Origin {
    pub(crate) fn new(peer: String, id: u64) -> Origin {
        Origin {
            peer,
            id,
            closed: AtomicBool::new(false),
        }
    }

    /// Marks the connection gone.
    pub(crate) fn close(&self) {
        self.closed.store(true, Ordering::Release);
    }

    /// Whether the connection has gone.
    pub(crate) fn is_closed(&self) -> bool {
        self.closed.load(Ordering::Acquire)
    }
}

/// What both ends of a mailbox share.
#[derive(Default)]
pub(crate) struct Shared {
    state: Mutex<MailboxState>,
    /// Set while `state.queue` starts with priority messages: the receiver checks it (without
    /// the lock) before each message it takes.
    has_prio: AtomicBool,
}

/// The process table's end of a mailbox. Dropping it (when the process leaves
/// the table) closes the mailbox: the receiver then sees [`ReceiveError::Exited`].
pub(crate) struct MailboxTx(Arc<Shared>);

/// The process's end of its mailbox.
pub(crate) struct MailboxRx(Arc<Shared>);

/// Message slots a waiting mailbox may keep allocated from an earlier burst.
const IDLE_KEEP: usize = 4096;

/// A mailbox for tests of the process table: the sending end, and the receiving end kept alive.
#[cfg(test)]
pub(crate) fn test_mailbox() -> (MailboxTx, impl Sized) {
    mailbox()
}

pub(crate) fn mailbox() -> (MailboxTx, MailboxRx) {
    let shared = Arc::new(Shared::default());
    (MailboxTx(shared.clone()), MailboxRx(shared))
}

impl MailboxTx {
    /// Queues `msg`; gives it back if the process has ended.
    pub(crate) fn send(&self, msg: Msg) -> Result<(), Msg> {
        self.push(msg, false)
    }

    /// Queues a priority message: the receiver takes it before every ordinary
    /// message still waiting (priority messages keep their order among themselves).
    pub(crate) fn send_priority(&self, msg: Msg) -> Result<(), Msg> {
        self.push(msg, true)
    }

    fn push(&self, msg: Msg, priority: bool) -> Result<(), Msg> {
        let waker = {
            let mut s = lock(&self.0.state);
            if s.closed {
                return Err(msg);
            }
            if priority {
                let at = s.prio as usize;
                s.queue.insert(at, msg);
                s.prio += 1;
                self.0.has_prio.store(true, Ordering::Release);
            } else {
                s.queue.push_back(msg);
            }
            s.waker.take()
        };
        if let Some(w) = waker {
            w.wake();
        }
        Ok(())
    }
}

impl Drop for MailboxTx {
    fn drop(&mut self) {
        let waker = {
            let mut s = lock(&self.0.state);
            s.closed = true;
            s.waker.take()
        };
        if let Some(w) = waker {
            w.wake();
        }
    }
}

impl MailboxRx {
    /// Whether priority messages are waiting (see [`MailboxRx::take_priority`]).
    pub(crate) fn has_priority(&self) -> bool {
        self.0.has_prio.load(Ordering::Acquire)
    }

    /// Takes the waiting priority messages, oldest first.
    pub(crate) fn take_priority(&self) -> VecDeque<Msg> {
        let mut s = lock(&self.0.state);
        self.0.has_prio.store(false, Ordering::Release);
        let n = std::mem::take(&mut s.prio) as usize;
        s.queue.drain(..n).collect()
    }

    /// Moves everything queued into `into` (which must be empty), swapping
    /// buffers so that neither side allocates: `Ready(Some(n))` with the first
    /// `n` of them priority messages, `Ready(None)` once closed and drained.
    pub(crate) fn poll_take_all(
        &self,
        into: &mut VecDeque<Msg>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<u32>> {
        let mut s = lock(&self.0.state);
        if !s.queue.is_empty() {
            std::mem::swap(&mut s.queue, into);
            self.0.has_prio.store(false, Ordering::Release);
            return Poll::Ready(Some(std::mem::take(&mut s.prio)));
        }
        if s.closed {
            return Poll::Ready(None);
        }
        // Going idle: do not keep what a burst grew (while busy, the two
        // buffers are swapped back and forth and reused).
        if into.capacity() > IDLE_KEEP {
            *into = VecDeque::new();
        }
        if s.queue.capacity() > IDLE_KEEP {
            s.queue = VecDeque::new();
        }
        match &mut s.waker {
            Some(w) if w.will_wake(cx.waker()) => {}
            slot => *slot = Some(cx.waker().clone()),
        }
        Poll::Pending
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::term;

    async fn take_all(rx: &MailboxRx) -> Option<Vec<Term>> {
        let mut into = VecDeque::new();
        std::future::poll_fn(|cx| rx.poll_take_all(&mut into, cx))
            .await
            .map(|_| into.into_iter().map(term).collect())
    }

    fn term(m: Msg) -> Term {
        match m {
            Msg::Term(t) => t,
            Msg::Checked(c, _) => c.build().unwrap(),
        }
    }

    fn send(tx: &MailboxTx, t: Term) -> Result<(), Term> {
        tx.send(Msg::Term(t)).map_err(term)
    }

    #[tokio::test]
    async fn mailbox_hands_over_in_order_wakes_the_receiver_and_closes_on_drop() {
        let (tx, rx) = mailbox();
        send(&tx, term::int(1)).unwrap();
        send(&tx, term::int(2)).unwrap();
        assert_eq!(take_all(&rx).await, Some(vec![term::int(1), term::int(2)]));
        // A receiver waiting on an empty mailbox is woken by a send from another task.
        let waiter = tokio::spawn(async move { (take_all(&rx).await, rx) });
        tokio::task::yield_now().await;
        send(&tx, term::int(3)).unwrap();
        let (got, rx) = waiter.await.unwrap();
        assert_eq!(got, Some(vec![term::int(3)]));
        // Dropping the table's end closes it: what was queued is still taken, then nothing.
        send(&tx, term::int(4)).unwrap();
        drop(tx);
        assert_eq!(take_all(&rx).await, Some(vec![term::int(4)]));
        assert_eq!(take_all(&rx).await, None);
    }

    #[tokio::test]
    async fn priority_messages_are_taken_first_and_counted() {
        let (tx, rx) = mailbox();
        send(&tx, term::atom("o1")).unwrap();
        assert!(tx.send_priority(Msg::Term(term::atom("p1"))).is_ok());
        send(&tx, term::atom("o2")).unwrap();
        assert!(tx.send_priority(Msg::Term(term::atom("p2"))).is_ok());
        assert!(rx.has_priority());
        let mut into = VecDeque::new();
        let got = std::future::poll_fn(|cx| rx.poll_take_all(&mut into, cx)).await;
        assert_eq!(got, Some(2));
        assert!(!rx.has_priority());
        let order: Vec<Term> = into.into_iter().map(term).collect();
        assert_eq!(order, ["p1", "p2", "o1", "o2"].map(term::atom).to_vec());
        // Taken on their own, the ordinary ones stay queued.
        assert!(tx.send_priority(Msg::Term(term::atom("p3"))).is_ok());
        send(&tx, term::atom("o3")).unwrap();
        let prio: Vec<Term> = rx.take_priority().into_iter().map(term).collect();
        assert_eq!(prio, vec![term::atom("p3")]);
        assert_eq!(take_all(&rx).await, Some(vec![term::atom("o3")]));
    }

    #[tokio::test]
    async fn a_send_after_close_gives_the_message_back() {
        let (tx, rx) = mailbox();
        lock(&rx.0.state).closed = true;
        assert_eq!(send(&tx, term::atom("late")), Err(term::atom("late")));
    }
}
