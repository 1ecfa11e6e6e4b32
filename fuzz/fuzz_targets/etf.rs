//! Fuzz target: the ETF decoder; its two paths (decode, check-then-build) must agree, and what decodes must re-encode to the same term.
#![no_main]

use erlnode::proto::etf::{self, CheckedTerm, Limits};
use libfuzzer_sys::fuzz_target;

/// Equal as Erlang terms.
fn same(a: &erlnode::Term, b: &erlnode::Term) -> bool {
    erlnode::term::print::term_cmp(a, b).is_eq()
}

fuzz_target!(|data: &[u8]| {
    let direct = etf::decode(data);
    // The second path: check the bytes of exactly that term, then build it.
    if let Ok((term, len)) = &direct {
        let checked = CheckedTerm::check_exact(&data[..*len]).expect("decode accepted it");
        // Compared as Erlang terms: eetf's own equality misses equal maps used as map
        // keys (it hashes a map in its HashMap's iteration order).
        let built = checked.build().expect("decode built it");
        assert!(
            same(&built, term),
            "the two paths differ: {built:?} vs {term:?}"
        );
        // Re-encoded, it decodes to the same Erlang term (the encoder may refuse values
        // OTP would refuse, such as old FUN_EXT funs, but never write wrong bytes). Equal
        // as Erlang terms: eetf has two forms of some lists ([12] as List or ByteList).
        if let Ok(bytes) = etf::to_vec(term) {
            let again = etf::decode_exact(&bytes).expect("our own encoding decodes");
            assert!(
                same(&again, term),
                "re-encoding changed the term: {term:?} became {again:?}"
            );
        }
        assert_eq!(etf::term_len(data).ok(), Some(*len));
    } else if let Ok(checked) = CheckedTerm::check_exact(data) {
        // The check may accept what only building refuses (duplicate map keys).
        assert!(
            checked.build().is_err(),
            "check-and-build accepted what decode refused"
        );
    }
    // The wire limits only ever refuse more.
    if let Ok((term, len)) = etf::decode_with(data, Limits::WIRE) {
        let (t2, l2) = direct.expect("wire limits accepted what decode refused");
        assert!(same(&term, &t2) && len == l2);
    }
});
