//! Fuzz target: the dialling side of the handshake, fed 2-byte-framed packets from the input.
#![no_main]

use erlnode::proto::flags::DistFlags;
use erlnode::proto::framing::check_packet2;
use erlnode::proto::handshake::{HandshakeConfig, Initiator, Step};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let cfg = HandshakeConfig {
        node_name: "fuzz@host".into(),
        flags: DistFlags::ours(false),
        creation: 1,
        cookie: b"cookie".to_vec(),
    };
    // The peer name of the captured OTP 25 challenge in the seeds.
    let mut ini = Initiator::new(cfg, "cap2@vm".into(), 0x5566_7788);
    if ini.start().is_err() {
        return;
    }
    let mut rest = data;
    while let Ok(Some(f)) = check_packet2(rest) {
        let packet = &rest[f.body.clone()];
        rest = &rest[f.consumed..];
        match ini.handle(packet) {
            Ok(Step::Send(_)) => {}
            Ok(Step::Done(_, est)) => {
                assert_eq!(est.peer_name, "cap2@vm");
                return;
            }
            Err(_) => return,
        }
    }
});
