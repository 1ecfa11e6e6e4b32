//! A connection's outgoing queue: senders encode frames straight into one shared buffer, which the connection's writer takes whole.

use super::lock;
use std::sync::{Arc, Mutex};
use tokio::sync::Notify;

/// Frames waiting for a connection's writer (or for a connection, while dialling).
///
/// A sender encodes its frame in place at the end of the buffer, so a frame costs no
/// allocation of its own and is never copied before the socket write; the writer swaps
/// the whole buffer out for its empty one and writes it in one go.
pub(crate) struct OutQueue {
    state: Mutex<OutState>,
    ready: Notify,
    /// Bytes the buffer may hold before the queue overflows (see [`OutQueue::push`]).
    limit: usize,
}

#[derive(Default)]
struct OutState {
    buf: Vec<u8>,
    /// Frames in `buf`.
    frames: usize,
    /// The peer's entry is gone: nothing more will be queued.
    closed: bool,
}

/// Buffer capacity kept by [`OutQueue::trim`].
const KEEP: usize = 64 * 1024;

/// What became of a pushed frame.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Pushed {
    Queued,
    /// The queue was already closed: the frame was dropped.
    Closed,
    /// The frame took the buffer past the limit, to this many bytes: the peer is not
    /// taking what is sent. The queue is now closed, with what it held dropped.
    Overflowed(usize),
}

/// What the writer found: frames to write, or the end of the queue.
pub(crate) enum Taken {
    Frames(usize),
    Closed,
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

    /// Appends one frame written by `encode`, which must leave the buffer as it was
    /// when it fails. Nothing is queued once the queue is closed; a frame that takes
    /// the buffer past the limit closes it.
    pub(crate) fn push<E>(
        &self,
        encode: impl FnOnce(&mut Vec<u8>) -> Result<(), E>,
    ) -> Result<Pushed, E> {
        let wake = {
            let mut s = lock(&self.state);
            if s.closed {
                return Ok(Pushed::Closed);
            }
            // Checked before encoding too: a queue already at its limit does not
            // first take one more (possibly huge) frame.
            let held = s.buf.len();
            if held >= self.limit {
                drop(s);
                self.close();
                return Ok(Pushed::Overflowed(held));
            }
            let was_empty = s.frames == 0;
            encode(&mut s.buf)?;
            s.frames += 1;
            let held = s.buf.len();
            if held > self.limit {
                drop(s);
                self.close();
                return Ok(Pushed::Overflowed(held));
            }
            // A non-empty buffer has already woken the writer, which has yet to take it.
            was_empty
        };
        if wake {
            self.ready.notify_one();
        }
        Ok(Pushed::Queued)
    }

    /// Waits for frames, then swaps them into `into` (which must be empty).
    pub(crate) async fn take(&self, into: &mut Vec<u8>) -> Taken {
        loop {
            {
                let mut s = lock(&self.state);
                if s.frames > 0 {
                    std::mem::swap(&mut s.buf, into);
                    return Taken::Frames(std::mem::take(&mut s.frames));
                }
                if s.closed {
                    return Taken::Closed;
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

    #[tokio::test]
    async fn frames_are_taken_whole_in_order_and_a_failed_encode_queues_nothing() {
        let q = Arc::new(OutQueue::new(usize::MAX));
        q.push(|b| {
            b.extend_from_slice(b"one");
            Ok::<_, ()>(())
        })
        .unwrap();
        assert_eq!(q.push(|_| Err("no")), Err("no"));
        q.push(|b| {
            b.extend_from_slice(b"two");
            Ok::<_, ()>(())
        })
        .unwrap();
        let mut batch = Vec::new();
        assert!(matches!(q.take(&mut batch).await, Taken::Frames(2)));
        assert_eq!(batch, b"onetwo");
        // A writer waiting on an empty queue is woken by a push from another task.
        let waiter = {
            let q = q.clone();
            tokio::spawn(async move {
                let mut batch = Vec::new();
                let n = q.take(&mut batch).await;
                (matches!(n, Taken::Frames(1)), batch)
            })
        };
        tokio::task::yield_now().await;
        q.push(|b| {
            b.extend_from_slice(b"three");
            Ok::<_, ()>(())
        })
        .unwrap();
        assert_eq!(waiter.await.unwrap(), (true, b"three".to_vec()));
        // Taking does not shrink: a large buffer keeps its room while frames flow.
        q.push(|b| {
            b.extend_from_slice(&vec![1; 4 * KEEP]);
            Ok::<_, ()>(())
        })
        .unwrap();
        let mut batch = Vec::new();
        assert!(matches!(q.take(&mut batch).await, Taken::Frames(1)));
        assert_eq!(batch.len(), 4 * KEEP);
        batch.clear();
        for byte in [2, 3] {
            q.push(|b| {
                b.push(byte);
                Ok::<_, ()>(())
            })
            .unwrap();
            // The first take hands the large buffer to the queue, the second gets it back.
            batch.clear();
            assert!(matches!(q.take(&mut batch).await, Taken::Frames(1)));
            assert_eq!(batch, [byte]);
        }
        assert!(batch.capacity() >= 4 * KEEP);
        // Trimming gives back large empty buffers and leaves queued frames alone.
        q.push(|b| {
            b.extend_from_slice(&vec![4; 4 * KEEP]);
            Ok::<_, ()>(())
        })
        .unwrap();
        batch.clear();
        q.trim(&mut batch);
        assert!(batch.capacity() <= KEEP);
        assert!(matches!(q.take(&mut batch).await, Taken::Frames(1)));
        assert_eq!(batch, vec![4; 4 * KEEP]);
        batch.clear();
        q.trim(&mut batch);
        assert!(batch.capacity() <= KEEP);
        // Closed: the waiting writer hears of it, and later pushes are dropped.
        q.close();
        let late = q.push(|b| {
            b.extend_from_slice(b"late");
            Ok::<_, ()>(())
        });
        assert_eq!(late, Ok(Pushed::Closed));
        assert!(matches!(q.take(&mut Vec::new()).await, Taken::Closed));
    }

    #[tokio::test]
    async fn a_frame_past_the_limit_closes_the_queue_and_drops_what_it_held() {
        let q = OutQueue::new(10);
        let frame = |n: usize| {
            move |b: &mut Vec<u8>| {
                b.extend(std::iter::repeat_n(7, n));
                Ok::<_, ()>(())
            }
        };
        assert_eq!(q.push(frame(6)), Ok(Pushed::Queued));
        assert_eq!(
            q.push(frame(4)),
            Ok(Pushed::Queued),
            "at the limit is not past it"
        );
        // A queue at its limit overflows before encoding the next frame (any frame
        // takes it past), so the frame is never written: 10 bytes were held.
        assert_eq!(q.push(frame(1)), Ok(Pushed::Overflowed(10)));
        assert_eq!(q.push(frame(1)), Ok(Pushed::Closed));
        assert!(matches!(q.take(&mut Vec::new()).await, Taken::Closed));
        // A frame larger than the limit on its own overflows an empty queue.
        let q = OutQueue::new(10);
        assert_eq!(q.push(frame(11)), Ok(Pushed::Overflowed(11)));
    }
}
