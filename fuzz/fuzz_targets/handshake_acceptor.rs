//! Fuzz target: the accepting side of the handshake, fed 2-byte-framed packets from the input.
#![no_main]

use erlnode::proto::flags::DistFlags;
use erlnode::proto::framing::check_packet2;
use erlnode::proto::handshake::{Accepted, Acceptor, HandshakeConfig, Status};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&choice, mut rest)) = data.split_first() else {
        return;
    };
    let cfg = HandshakeConfig {
        node_name: "fuzz@host".into(),
        flags: DistFlags::ours(false),
        creation: 1,
        cookie: b"cookie".to_vec(),
    };
    let mut acc = Acceptor::new(cfg, 0x1122_3344);
    let status = [
        Status::Ok,
        Status::OkSimultaneous,
        Status::Nok,
        Status::NotAllowed,
        Status::Alive,
    ][usize::from(choice) % 5];
    while let Ok(Some(f)) = check_packet2(rest) {
        let packet = &rest[f.body.clone()];
        rest = &rest[f.consumed..];
        match acc.handle(packet) {
            Ok(Accepted::Decide(sn)) => {
                assert!(erlnode::proto::handshake::check_node_name(&sn.name).is_ok());
                if acc.decide(status).is_err() {
                    return;
                }
            }
            Ok(Accepted::Step(_)) => {}
            Err(_) => return,
        }
    }
});
