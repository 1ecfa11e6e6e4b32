//! Fuzz target: distribution message frames (control tuple and payload), through both decode paths.
#![no_main]

use erlnode::proto::control::{Payload, decode_frame, decode_frame_deferred};
use erlnode::term::print::term_cmp;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let full = decode_frame(data);
    let deferred = decode_frame_deferred(data);
    match (&full, &deferred) {
        (Ok(msg), Ok(d)) => {
            assert_eq!(msg.control, d.control, "the paths read different controls");
            match (&msg.payload, &d.payload) {
                // Compared as Erlang terms (eetf's equality misses equal map keys).
                (Some(p), Some(Payload::Term(t))) => assert!(term_cmp(p, t).is_eq()),
                (Some(p), Some(Payload::Checked(c))) => {
                    let built = c.build().expect("decode_frame built it");
                    assert!(term_cmp(p, &built).is_eq());
                }
                (None, None) => {}
                other => panic!("payloads differ: {other:?}"),
            }
        }
        // A deferred payload with duplicate map keys is only refused when built.
        (Err(_), Ok(d)) => match &d.payload {
            Some(Payload::Checked(c)) => assert!(c.build().is_err()),
            _ => panic!("only the deferred path accepted {data:?}"),
        },
        (Ok(_), Err(e)) => panic!("only decode_frame accepted it: {e}"),
        (Err(_), Err(_)) => {}
    }
});
