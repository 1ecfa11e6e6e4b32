//! Erlang term order for what `global` compares (node atoms, pids), and a canonical form for term keys.

use eetf::{FixInteger, List, Map, Pid, Term, Tuple};
use std::cmp::Ordering;

/// Pids in Erlang term order: the pid number data (serial, then id) first,
/// then the node name, then the creation. Verified on OTP 25 with pids built
/// by `binary_to_term` (see the module tests).
pub(super) fn cmp_pids(a: &Pid, b: &Pid) -> Ordering {
    (a.serial, a.id)
        .cmp(&(b.serial, b.id))
        .then_with(|| cmp_atoms(&a.node.name, &b.node.name))
        .then(a.creation.cmp(&b.creation))
}

/// Atoms compare by their text, character by character; on UTF-8 bytes that is
/// the same order.
pub(super) fn cmp_atoms(a: &str, b: &str) -> Ordering {
    a.as_bytes().cmp(b.as_bytes())
}

/// `lists:sort([A, B])` of two pids.
pub(super) fn sort_pair(a: &Pid, b: &Pid) -> [Pid; 2] {
    if cmp_pids(a, b) == Ordering::Greater {
        [b.clone(), a.clone()]
    } else {
        [a.clone(), b.clone()]
    }
}

/// One spelling per Erlang value: byte strings become lists of integers and
/// big integers that fit become small ones, all the way down, so that `==` on
/// the result is Erlang's `=:=` for the terms global keys on.
pub(super) fn canon(t: &Term) -> Term {
    match t {
        Term::ByteList(b) => Term::List(List::from(
            b.bytes
                .iter()
                .map(|&c| Term::FixInteger(FixInteger::from(i32::from(c))))
                .collect::<Vec<_>>(),
        )),
        Term::BigInteger(b) => match i32::try_from(&b.value) {
            Ok(v) => Term::FixInteger(FixInteger::from(v)),
            Err(_) => t.clone(),
        },
        Term::List(l) => Term::List(List::from(l.elements.iter().map(canon).collect::<Vec<_>>())),
        Term::ImproperList(l) => Term::ImproperList(eetf::ImproperList {
            elements: l.elements.iter().map(canon).collect(),
            last: Box::new(canon(&l.last)),
        }),
        Term::Tuple(tu) => Term::Tuple(Tuple::from(
            tu.elements.iter().map(canon).collect::<Vec<_>>(),
        )),
        Term::Map(m) => Term::Map(Map::from(
            m.map
                .iter()
                .map(|(k, v)| (canon(k), canon(v)))
                .collect::<std::collections::HashMap<_, _>>(),
        )),
        _ => t.clone(),
    }
}

/// Erlang `=:=`. (Terms holding maps are compared with `==`, never hashed:
/// eetf's map hash depends on iteration order.)
pub(super) fn same(a: &Term, b: &Term) -> bool {
    a == b || canon(a) == canon(b)
}

#[cfg(test)]
mod tests {
    use super::*;
    use eetf::Atom;

    fn p(node: &str, id: u32, serial: u32, creation: u32) -> Pid {
        Pid {
            node: Atom::from(node),
            id,
            serial,
            creation,
        }
    }

    // Order checked on OTP 25 (erl -sname zz) with pids made by
    // binary_to_term(<<131,88,119,Len,Node/binary,Id:32,Serial:32,Creation:32>>):
    //   lists:sort([A,B,C,D,E]) with A=a@vm/100/0/1, B=b@vm/50/0/1, C=b@vm/50/1/1,
    //   D=b@vm/49/2/1, E=b@vm/50/0/2 gave [B,E,A,C,D];
    //   a@vm/50/0/9 < b@vm/50/0/1 is true; zz@vm/50/0/5 < a@vm/50/0/1 is false.
    #[test]
    fn pid_order_matches_otp() {
        let a = p("a@vm", 100, 0, 1);
        let b = p("b@vm", 50, 0, 1);
        let c = p("b@vm", 50, 1, 1);
        let d = p("b@vm", 49, 2, 1);
        let e = p("b@vm", 50, 0, 2);
        let mut v = vec![a.clone(), b.clone(), c.clone(), d.clone(), e.clone()];
        v.sort_by(cmp_pids);
        assert_eq!(v, vec![b, e, a, c, d]);
        assert_eq!(
            cmp_pids(&p("a@vm", 50, 0, 9), &p("b@vm", 50, 0, 1)),
            Ordering::Less
        );
        assert_eq!(
            cmp_pids(&p("zz@vm", 50, 0, 5), &p("a@vm", 50, 0, 1)),
            Ordering::Greater
        );
    }

    // The lock id two OTP 25 lockers agreed on, seen in a trace of ga@vm:
    // {set_lock,{global,[<0.56.0>,<8608.56.0>]}} with <8608.56.0> on gb@vm.
    #[test]
    fn locker_pair_sorted_like_otp() {
        let ga = p("ga@vm", 56, 0, 1);
        let gb = p("gb@vm", 56, 0, 1);
        assert_eq!(sort_pair(&gb, &ga), [ga.clone(), gb.clone()]);
        assert_eq!(sort_pair(&ga, &gb), [ga, gb]);
    }

    #[test]
    fn canon_equates_spellings() {
        let s = Term::ByteList(eetf::ByteList::from(b"ab"));
        let l = crate::term::list(vec![crate::term::int(97), crate::term::int(98)]);
        assert!(same(&s, &l));
        let big = Term::BigInteger(eetf::BigInteger::from(5));
        assert!(same(&big, &crate::term::int(5)));
        assert!(!same(&crate::term::atom("a"), &crate::term::atom("b")));
    }
}
