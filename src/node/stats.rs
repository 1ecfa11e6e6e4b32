//! Node-wide counters of distribution traffic: socket reads and writes, bytes and messages each way.

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

/// Totals since the node started, over all its distribution connections
/// (handshakes and EPMD traffic are not counted).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct IoStats {
    /// Reads from peer sockets that returned data.
    pub reads: u64,
    /// Writes handed to peer sockets (one `write_all` each; the kernel may
    /// take a very large one in more than one system call).
    pub writes: u64,
    /// Bytes read from peer sockets.
    pub bytes_in: u64,
    /// Bytes written to peer sockets.
    pub bytes_out: u64,
    /// Distribution messages received and sent, ticks excluded.
    pub messages_in: u64,
    /// Distribution messages sent, ticks excluded.
    pub messages_out: u64,
}

/// The live counters behind [`IoStats`]; updated with relaxed atomics, so
/// counting costs no lock.
#[derive(Default)]
pub(crate) struct IoCounters {
    reads: AtomicU64,
    writes: AtomicU64,
    bytes_in: AtomicU64,
    bytes_out: AtomicU64,
    messages_in: AtomicU64,
    messages_out: AtomicU64,
}

impl IoCounters {
    pub(crate) fn read(&self, bytes: usize) {
        self.reads.fetch_add(1, Relaxed);
        self.bytes_in.fetch_add(bytes as u64, Relaxed);
    }

    pub(crate) fn wrote(&self, bytes: usize) {
        self.writes.fetch_add(1, Relaxed);
        self.bytes_out.fetch_add(bytes as u64, Relaxed);
    }

    pub(crate) fn messages_in(&self, n: u64) {
        self.messages_in.fetch_add(n, Relaxed);
    }

    pub(crate) fn messages_out(&self, n: u64) {
        self.messages_out.fetch_add(n, Relaxed);
    }

    pub(crate) fn snapshot(&self) -> IoStats {
        IoStats {
            reads: self.reads.load(Relaxed),
            writes: self.writes.load(Relaxed),
            bytes_in: self.bytes_in.load(Relaxed),
            bytes_out: self.bytes_out.load(Relaxed),
            messages_in: self.messages_in.load(Relaxed),
            messages_out: self.messages_out.load(Relaxed),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counters_add_up() {
        let c = IoCounters::default();
        c.read(10);
        c.read(5);
        c.wrote(7);
        c.messages_in(3);
        c.messages_out(1);
        assert_eq!(
            c.snapshot(),
            IoStats {
                reads: 2,
                writes: 1,
                bytes_in: 15,
                bytes_out: 7,
                messages_in: 3,
                messages_out: 1,
            }
        );
    }
}
