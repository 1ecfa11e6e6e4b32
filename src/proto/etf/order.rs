//! The order a peer sent each map's keys in: a built term keeps maps as hash maps, so the
//! order `io_lib` prints them in on OTP 26+ (the sender's own) is read back from the bytes.

use std::collections::HashMap;

use eetf::Term;

use super::check::Scanner;
use super::{
    AtomTable, CheckedTerm, LARGE_TUPLE_EXT, LIST_EXT, MAP_EXT, MAX_DEPTH, NIL_EXT,
    SMALL_TUPLE_EXT, VERSION, decode_in,
};

/// For every map of one term, its entries in the order its encoding listed them.
///
/// Built from a term's bytes and the term built from those bytes; a map is found again by
/// its address, so the answers hold for that very term (not for a clone of it).
#[derive(Debug, Default)]
pub struct MapOrders {
    /// Map address → (entry count, the map's iteration indices in wire order).
    orders: HashMap<usize, (usize, Vec<u32>)>,
}

impl MapOrders {
    /// Reads the key order of every map in `term` from `bytes` (131 first), the encoding
    /// `term` was built from. A part of the bytes that does not match the term (which a
    /// checked term never has) is left out: its maps have no recorded order.
    pub fn of(bytes: &[u8], term: &Term) -> MapOrders {
        Self::of_in(bytes, AtomTable::EMPTY, term)
    }

    /// [`MapOrders::of`] for a checked message, whose atom cache references name the
    /// atoms it kept.
    pub fn of_checked(checked: &CheckedTerm, term: &Term) -> MapOrders {
        Self::of_in(checked.as_bytes(), AtomTable::Shared(&checked.atoms), term)
    }

    fn of_in(bytes: &[u8], atoms: AtomTable<'_>, term: &Term) -> MapOrders {
        let mut orders = MapOrders::default();
        if bytes.first() == Some(&VERSION) {
            let mut pos = 1;
            Walk {
                buf: bytes,
                atoms,
                orders: &mut orders,
            }
            .walk(&mut pos, term, 0);
        }
        orders
    }

    /// Whether no map order was recorded.
    pub fn is_empty(&self) -> bool {
        self.orders.is_empty()
    }

    /// The entries of `m` in the order they came in, when `m` is a map of the term this was
    /// built from.
    pub fn entries<'m>(&self, m: &'m eetf::Map) -> Option<Vec<(&'m Term, &'m Term)>> {
        let (len, order) = self.orders.get(&(std::ptr::from_ref(m) as usize))?;
        if *len != m.map.len() {
            return None;
        }
        let entries: Vec<(&Term, &Term)> = m.map.iter().collect();
        order
            .iter()
            .map(|&i| entries.get(i as usize).copied())
            .collect()
    }
}

/// One walk of a term's bytes alongside the term built from them.
struct Walk<'b, 'o> {
    buf: &'b [u8],
    atoms: AtomTable<'b>,
    orders: &'o mut MapOrders,
}

impl Walk<'_, '_> {
    /// Walks the term at `buf[*pos]` alongside `t`, leaving `*pos` after it. None when the
    /// bytes and the term part ways (then `*pos` is meaningless).
    fn walk(&mut self, pos: &mut usize, t: &Term, depth: usize) -> Option<()> {
        let buf = self.buf;
        if depth > MAX_DEPTH {
            return None;
        }
        match (*buf.get(*pos)?, t) {
            (SMALL_TUPLE_EXT, Term::Tuple(tuple)) => {
                let n = usize::from(*buf.get(*pos + 1)?);
                *pos += 2;
                self.walk_all(pos, &tuple.elements, n, depth)
            }
            (LARGE_TUPLE_EXT, Term::Tuple(tuple)) => {
                let n = u32_at(buf, *pos + 1)?;
                *pos += 5;
                self.walk_all(pos, &tuple.elements, n, depth)
            }
            (LIST_EXT, Term::List(list)) => {
                let n = u32_at(buf, *pos + 1)?;
                *pos += 5;
                self.walk_all(pos, &list.elements, n, depth)?;
                (buf.get(*pos) == Some(&NIL_EXT)).then(|| *pos += 1)
            }
            (LIST_EXT, Term::ImproperList(list)) => {
                let n = u32_at(buf, *pos + 1)?;
                *pos += 5;
                self.walk_all(pos, &list.elements, n, depth)?;
                self.walk(pos, &list.last, depth + 1)
            }
            (MAP_EXT, Term::Map(m)) => {
                let n = u32_at(buf, *pos + 1)?;
                *pos += 5;
                if n != m.map.len() {
                    return None;
                }
                self.walk_map(pos, m, depth)
            }
            _ => skip(buf, self.atoms, pos),
        }
    }

    fn walk_all(
        &mut self,
        pos: &mut usize,
        elements: &[Term],
        n: usize,
        depth: usize,
    ) -> Option<()> {
        if n != elements.len() {
            return None;
        }
        elements
            .iter()
            .try_for_each(|e| self.walk(pos, e, depth + 1))
    }

    fn walk_map(&mut self, pos: &mut usize, m: &eetf::Map, depth: usize) -> Option<()> {
        let buf = self.buf;
        let entries: Vec<(&Term, &Term)> = m.map.iter().collect();
        let index: HashMap<&Term, usize> = entries
            .iter()
            .enumerate()
            .map(|(i, (k, _))| (*k, i))
            .collect();
        let mut order = Vec::with_capacity(entries.len());
        for _ in 0..entries.len() {
            let start = *pos;
            skip(buf, self.atoms, pos)?;
            let (key, _) = decode_in(buf.get(start..*pos)?, self.atoms).ok()?;
            // eetf hashes a map key by its own iteration order, so a key that holds a map
            // may miss in `index`; look for it by equality then.
            let i = match index.get(&key) {
                Some(&i) => i,
                None => entries.iter().position(|(k, _)| **k == key)?,
            };
            let (k, v) = entries[i];
            let mut at = start;
            self.walk(&mut at, k, depth + 1)?;
            self.walk(pos, v, depth + 1)?;
            order.push(u32::try_from(i).ok()?);
        }
        self.orders
            .orders
            .insert(std::ptr::from_ref(m) as usize, (entries.len(), order));
        Some(())
    }
}

fn u32_at(buf: &[u8], at: usize) -> Option<usize> {
    let b: [u8; 4] = buf.get(at..at + 4)?.try_into().ok()?;
    usize::try_from(u32::from_be_bytes(b)).ok()
}

/// Moves `*pos` past the term that starts there.
fn skip<'a>(buf: &'a [u8], atoms: AtomTable<'a>, pos: &mut usize) -> Option<()> {
    let mut scanner = Scanner::new(buf);
    scanner.pos = *pos;
    scanner.refs = atoms.len();
    scanner.atoms = atoms;
    scanner.term().ok()?;
    *pos = scanner.pos;
    Some(())
}

#[cfg(test)]
mod tests {
    use super::super::decode;
    use super::*;

    fn keys(orders: &MapOrders, m: &Term) -> Vec<String> {
        let Term::Map(m) = m else { panic!("not a map") };
        orders
            .entries(m)
            .expect("order recorded")
            .into_iter()
            .map(|(k, _)| k.to_string())
            .collect()
    }

    /// `term_to_binary(#{b => 1, a => 2})` on OTP 29.1, where `b` came first.
    const B_A: &[u8] = &[131, 116, 0, 0, 0, 2, 119, 1, 98, 97, 1, 119, 1, 97, 97, 2];

    #[test]
    fn a_map_keeps_the_order_it_came_in() {
        let t = decode(B_A).unwrap().0;
        let orders = MapOrders::of(B_A, &t);
        assert_eq!(keys(&orders, &t), ["'b'", "'a'"]);
        // A clone is another map: no order for it.
        let Term::Map(copy) = t.clone() else { panic!() };
        assert!(orders.entries(&copy).is_none());
    }

    #[test]
    fn maps_inside_tuples_lists_keys_and_values() {
        // OTP 29.1: M = #{b => 1, a => 2}, term_to_binary({[M], #{M => M}}), with the atoms
        // made in the order b, a.
        let bytes = [
            131, 104, 2, 108, 0, 0, 0, 1, 116, 0, 0, 0, 2, 119, 1, 98, 97, 1, 119, 1, 97, 97, 2,
            106, 116, 0, 0, 0, 1, 116, 0, 0, 0, 2, 119, 1, 98, 97, 1, 119, 1, 97, 97, 2, 116, 0, 0,
            0, 2, 119, 1, 98, 97, 1, 119, 1, 97, 97, 2,
        ];
        let t = decode(&bytes).unwrap().0;
        let orders = MapOrders::of(&bytes, &t);
        let Term::Tuple(top) = &t else { panic!() };
        let Term::List(l) = &top.elements[0] else {
            panic!()
        };
        assert_eq!(keys(&orders, &l.elements[0]), ["'b'", "'a'"]);
        let Term::Map(outer) = &top.elements[1] else {
            panic!()
        };
        let (k, v) = outer.map.iter().next().unwrap();
        assert_eq!(keys(&orders, k), ["'b'", "'a'"]);
        assert_eq!(keys(&orders, v), ["'b'", "'a'"]);
    }

    #[test]
    fn bytes_that_do_not_match_record_nothing() {
        let t = decode(B_A).unwrap().0;
        assert!(MapOrders::of(&[131, 106], &t).is_empty());
        assert!(MapOrders::of(&B_A[..10], &t).is_empty());
        assert!(MapOrders::of(&[], &t).is_empty());
    }
}
