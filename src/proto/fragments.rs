//! Reassembly of fragmented distribution messages (`FRAGMENTS`: `131 69` then `131 70` headers), bounded in memory per connection.
//!
//! A message too large for one fragment arrives as a start fragment (with the atom
//! cache references and the control message) and continuation fragments, numbered down
//! to 1. Fragments of different sequences (different sending processes) may interleave.
//! Every byte held for incomplete sequences counts against one per-connection limit; a
//! peer that goes past it, numbers fragments out of order or continues a sequence it
//! never started is in error, and the connection is closed. Everything held dies with
//! the connection (the reassembly state lives in its reader), and a sequence started
//! again under the id of an incomplete one replaces it (its sender died before
//! finishing it).

use eetf::Atom;
use std::collections::HashMap;
use std::sync::Arc;
use thiserror::Error;

/// Bytes charged per incomplete sequence on top of its data, for its bookkeeping.
const SEQUENCE_OVERHEAD: usize = 256;

/// Most fragments whose room is reserved when a sequence starts (the rest grow it).
const MAX_RESERVED_FRAGMENTS: usize = 16;

#[derive(Debug, Error, PartialEq, Eq)]
pub enum FragmentError {
    #[error("fragment {fragment} of sequence {sequence}, which was never started")]
    UnknownSequence { sequence: u64, fragment: u64 },
    #[error("fragment {got} of sequence {sequence} where fragment {expected} was due")]
    OutOfOrder {
        sequence: u64,
        expected: u64,
        got: u64,
    },
    #[error(
        "incomplete fragmented messages would hold {held} bytes, over the {limit}-byte limit per connection"
    )]
    TooLarge { held: usize, limit: usize },
}

/// A whole message put back together: its atom cache references (shared with the
/// connection's cache) and its bytes (control message, then any payload, no version
/// bytes).
#[derive(Debug, PartialEq)]
pub struct Reassembled {
    pub atoms: Vec<Arc<Atom>>,
    pub data: Vec<u8>,
}

struct Partial {
    atoms: Vec<Arc<Atom>>,
    data: Vec<u8>,
    /// The fragment id due next.
    next: u64,
    /// What this sequence counts against the limit.
    charged: usize,
}

/// A connection's incomplete fragmented messages.
pub struct Reassembly {
    partial: HashMap<u64, Partial>,
    held: usize,
    limit: usize,
}

impl Reassembly {
    /// No sequence may make the incomplete ones hold more than `limit` bytes in all.
    pub fn new(limit: usize) -> Reassembly {
        Reassembly {
            partial: HashMap::new(),
            held: 0,
            limit,
        }
    }

    /// Bytes held for incomplete sequences.
    pub fn held(&self) -> usize {
        self.held
    }

    /// Sequences in progress.
    pub fn sequences(&self) -> usize {
        self.partial.len()
    }

    fn charge(&mut self, more: usize) -> Result<(), FragmentError> {
        let held = self.held.saturating_add(more);
        if held > self.limit {
            return Err(FragmentError::TooLarge {
                held,
                limit: self.limit,
            });
        }
        self.held = held;
        Ok(())
    }

    /// A start fragment (`131 69`) of `fragments` fragments in all. With `fragments == 1`
    /// the message is whole and is handed straight back (the caller may rather decode
    /// `rest` in place).
    pub fn start(
        &mut self,
        sequence: u64,
        fragments: u64,
        atoms: Vec<Arc<Atom>>,
        rest: &[u8],
    ) -> Result<Option<Reassembled>, FragmentError> {
        if let Some(old) = self.partial.remove(&sequence) {
            self.held -= old.charged;
        }
        if fragments <= 1 {
            return Ok(Some(Reassembled {
                atoms,
                data: rest.to_vec(),
            }));
        }
        // The atoms are shared with the connection's cache: a pointer each.
        let atom_bytes = atoms.len() * std::mem::size_of::<Arc<Atom>>();
        let charged = SEQUENCE_OVERHEAD + atom_bytes + rest.len();
        self.charge(charged)?;
        // Room for the fragments to come, as far as the first one tells (OTP's are all
        // the size of the first's data, the last shorter), so that joining them does not
        // copy what came before again; a few only, and within the limit: the count is
        // the peer's word.
        let coming = usize::try_from(fragments - 1)
            .unwrap_or(usize::MAX)
            .min(MAX_RESERVED_FRAGMENTS)
            .saturating_mul(rest.len())
            .min(self.limit - self.held);
        let mut data = Vec::with_capacity(rest.len() + coming);
        data.extend_from_slice(rest);
        self.partial.insert(
            sequence,
            Partial {
                atoms,
                data,
                next: fragments - 1,
                charged,
            },
        );
        Ok(None)
    }

    /// A continuation fragment (`131 70`); the whole message once its last fragment is in.
    pub fn next(
        &mut self,
        sequence: u64,
        fragment: u64,
        rest: &[u8],
    ) -> Result<Option<Reassembled>, FragmentError> {
        let expected = match self.partial.get(&sequence) {
            Some(p) => p.next,
            None => return Err(FragmentError::UnknownSequence { sequence, fragment }),
        };
        if fragment != expected {
            return Err(FragmentError::OutOfOrder {
                sequence,
                expected,
                got: fragment,
            });
        }
        self.charge(rest.len())?;
        let Some(p) = self.partial.get_mut(&sequence) else {
            return Err(FragmentError::UnknownSequence { sequence, fragment });
        };
        p.data.extend_from_slice(rest);
        p.charged += rest.len();
        p.next -= 1;
        if p.next > 0 {
            return Ok(None);
        }
        let Some(done) = self.partial.remove(&sequence) else {
            return Err(FragmentError::UnknownSequence { sequence, fragment });
        };
        self.held -= done.charged;
        Ok(Some(Reassembled {
            atoms: done.atoms,
            data: done.data,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fragments_join_in_order_and_interleaved() {
        let mut r = Reassembly::new(1 << 20);
        let a = Arc::new(Atom::from("a"));
        assert_eq!(r.start(7, 3, vec![a.clone()], b"ab").unwrap(), None);
        assert_eq!(r.start(9, 2, vec![], b"x").unwrap(), None);
        assert_eq!(r.next(7, 2, b"cd").unwrap(), None);
        let nine = r.next(9, 1, b"y").unwrap().unwrap();
        assert_eq!(nine.data, b"xy");
        let seven = r.next(7, 1, b"e").unwrap().unwrap();
        assert_eq!(seven.data, b"abcde");
        // Room for the two later fragments was reserved when the sequence started.
        assert!(seven.data.capacity() >= 6);
        assert_eq!(seven.atoms, vec![a]);
        assert_eq!((r.held(), r.sequences()), (0, 0));
        // A single-fragment sequence is whole at once.
        assert_eq!(r.start(1, 1, vec![], b"z").unwrap().unwrap().data, b"z");
    }

    #[test]
    fn hostile_sequences_are_errors_and_memory_stays_bounded() {
        let mut r = Reassembly::new(SEQUENCE_OVERHEAD + 10);
        assert!(matches!(
            r.next(1, 1, b"x"),
            Err(FragmentError::UnknownSequence { .. })
        ));
        r.start(1, u64::MAX, vec![], b"12345").unwrap();
        assert!(matches!(
            r.next(1, 5, b"x"),
            Err(FragmentError::OutOfOrder { .. })
        ));
        r.next(1, u64::MAX - 1, b"12345").unwrap();
        assert!(matches!(
            r.next(1, u64::MAX - 2, b"1"),
            Err(FragmentError::TooLarge { .. })
        ));
        // A second sequence is charged too.
        assert!(matches!(
            r.start(2, 2, vec![], b""),
            Err(FragmentError::TooLarge { .. })
        ));
        // Restarting a sequence frees what the old one held.
        r.start(1, 2, vec![], b"").unwrap();
        assert_eq!(r.held(), SEQUENCE_OVERHEAD);
        assert_eq!(r.next(1, 1, b"ok").unwrap().unwrap().data, b"ok");
        assert_eq!(r.held(), 0);
    }
}
