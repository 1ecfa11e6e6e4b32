//! Handshake state machines driven with packets captured from real OTP 25 nodes.
//!
//! Captured on this project's dev machine (host `vm`, cookie `secret`) with a
//! small Python peer: a real `erl -sname cap1` dialled it (acceptor vectors),
//! and it dialled a real `erl -sname cap2` (initiator vectors).

use super::*;

fn hex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

fn framed(body: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    put_packet2(&mut out, body);
    out
}

// erl -sname cap1 dialling py@vm: its send_name, and its reply to our challenge 0x11223344.
const ERL_SEND_NAME: &str = "4e0000000d07df7fbd6b02f33600076361703140766d";
const ERL_CHALLENGE_REPLY: &str = "72353fe5f9a7182292ae22911e70b4da2163f5baf6";
const PY_CHALLENGE: u32 = 0x1122_3344;

// py2@vm dialling erl -sname cap2: cap2's status, challenge and ack to our challenge 0x55667788.
const ERL_STATUS: &str = "736f6b";
const ERL_CHALLENGE: &str = "4e0000000d07df7fbd83a1f9726b02f38400076361703240766d";
const ERL_ACK: &str = "618c51548cf33cb8616361214250054792";
const PY_SEND_NAME: &str = "4e0000000403070f9d00000005000670793240766d";
const PY_REPLY: &str = "7255667788c35e3cc4cb4de2e96473b4d0e15bf26f";
const PY2_CHALLENGE: u32 = 0x5566_7788;

fn cfg(name: &str, cookie: &str) -> HandshakeConfig {
    HandshakeConfig {
        node_name: name.into(),
        flags: DistFlags(0x4_0307_0F9D),
        creation: 5,
        cookie: cookie.as_bytes().to_vec(),
    }
}

#[test]
fn parses_real_send_name() {
    let sn = parse_send_name(&hex(ERL_SEND_NAME)).unwrap();
    assert_eq!(sn.name, "cap1@vm");
    assert_eq!(sn.flags, DistFlags(0xd_07df_7fbd));
    assert_eq!(sn.creation, 0x6b02_f336);
    assert!(sn.flags.contains(DistFlags::OTP25_MANDATORY));
}

#[test]
fn acceptor_completes_with_real_initiator() {
    let mut acc = Acceptor::new(cfg("py@vm", "secret"), PY_CHALLENGE);
    let Accepted::Decide(sn) = acc.handle(&hex(ERL_SEND_NAME)).unwrap() else {
        panic!("expected a decision request");
    };
    assert_eq!(sn.name, "cap1@vm");
    let out = acc.decide(Status::Ok).unwrap();
    // status "ok", then our challenge carrying our name and challenge.
    assert_eq!(&out[..5], &framed(b"sok")[..]);
    let ch = parse_challenge(&out[7..]).unwrap();
    assert_eq!(ch.challenge, PY_CHALLENGE);
    assert_eq!(ch.name, "py@vm");
    let Accepted::Step(Step::Done(ack, est)) = acc.handle(&hex(ERL_CHALLENGE_REPLY)).unwrap()
    else {
        panic!("expected the handshake to finish");
    };
    // The ack proves the cookie against the challenge erl chose (0x353fe5f9).
    let mut body = vec![b'a'];
    body.extend_from_slice(&digest::digest(0x353f_e5f9, b"secret"));
    assert_eq!(ack, framed(&body));
    assert_eq!(est.peer_name, "cap1@vm");
    assert!(!est.peer_hidden());
    assert_eq!(
        est.flags,
        DistFlags(0xd_07df_7fbd) & DistFlags(0x4_0307_0F9D)
    );
}

#[test]
fn acceptor_rejects_wrong_cookie() {
    let mut acc = Acceptor::new(cfg("py@vm", "not-the-cookie"), PY_CHALLENGE);
    acc.handle(&hex(ERL_SEND_NAME)).unwrap();
    acc.decide(Status::Ok).unwrap();
    let err = acc.handle(&hex(ERL_CHALLENGE_REPLY)).unwrap_err();
    assert_eq!(
        err,
        HandshakeError::BadChallengeReply {
            peer: "cap1@vm".into()
        }
    );
    let text = err.to_string();
    // The connection's log line names the peer and says "rejected"; the error
    // itself says each thing once.
    assert_eq!(
        text,
        "invalid challenge reply (the peer has another cookie?)"
    );
    assert!(!text.contains("not-the-cookie"));
}

#[test]
fn initiator_completes_with_real_acceptor() {
    let mut ini = Initiator::new(cfg("py2@vm", "secret"), "cap2@vm".into(), PY2_CHALLENGE);
    assert_eq!(ini.start().unwrap(), framed(&hex(PY_SEND_NAME)));
    assert_eq!(ini.handle(&hex(ERL_STATUS)).unwrap(), Step::Send(vec![]));
    // Our reply to erl's challenge is exactly what erl accepted in the capture.
    assert_eq!(
        ini.handle(&hex(ERL_CHALLENGE)).unwrap(),
        Step::Send(framed(&hex(PY_REPLY)))
    );
    let Step::Done(rest, est) = ini.handle(&hex(ERL_ACK)).unwrap() else {
        panic!("expected the handshake to finish");
    };
    assert!(rest.is_empty());
    assert_eq!(est.peer_name, "cap2@vm");
    assert_eq!(est.peer_creation, 0x6b02_f384);
}

#[test]
fn initiator_reports_cookie_not_accepted() {
    let mut ini = Initiator::new(cfg("py2@vm", "wrong"), "cap2@vm".into(), PY2_CHALLENGE);
    ini.start().unwrap();
    ini.handle(&hex(ERL_STATUS)).unwrap();
    ini.handle(&hex(ERL_CHALLENGE)).unwrap();
    let err = ini.handle(&hex(ERL_ACK)).unwrap_err();
    assert!(matches!(err, HandshakeError::BadChallengeAck { .. }));
    assert!(err.to_string().contains("did not accept our cookie"));
}

#[test]
fn initiator_checks_the_name_it_dialled() {
    let mut ini = Initiator::new(cfg("py2@vm", "secret"), "other@vm".into(), 1);
    ini.start().unwrap();
    ini.handle(&hex(ERL_STATUS)).unwrap();
    assert_eq!(
        ini.handle(&hex(ERL_CHALLENGE)).unwrap_err(),
        HandshakeError::WrongNode {
            expected: "other@vm".into(),
            actual: "cap2@vm".into()
        }
    );
}

#[test]
fn initiator_statuses() {
    for refused in [&b"snok"[..], b"snot_allowed", b"snamed:"] {
        let mut ini = Initiator::new(cfg("a@b", "c"), "x@y".into(), 1);
        ini.start().unwrap();
        assert!(matches!(
            ini.handle(refused),
            Err(HandshakeError::Refused { .. })
        ));
    }
    let mut ini = Initiator::new(cfg("a@b", "c"), "x@y".into(), 1);
    ini.start().unwrap();
    assert_eq!(ini.handle(b"salive").unwrap(), Step::Send(framed(b"strue")));
    let mut ini = Initiator::new(cfg("a@b", "c"), "x@y".into(), 1);
    ini.start().unwrap();
    assert_eq!(ini.handle(b"sok_simultaneous").unwrap(), Step::Send(vec![]));
}

#[test]
fn acceptor_refusals() {
    // The old version 5 form.
    let mut old = hex(ERL_SEND_NAME);
    old[0] = b'n';
    let mut acc = Acceptor::new(cfg("py@vm", "secret"), 1);
    assert_eq!(acc.handle(&old).unwrap_err(), HandshakeError::OldHandshake);
    // A peer without MAP_TAG: the error names the missing flag.
    let mut sn = hex(ERL_SEND_NAME);
    sn[6] &= !0x02; // clear 0x20000 (MAP_TAG) in the 8-byte flags
    let mut acc = Acceptor::new(cfg("py@vm", "secret"), 1);
    let err = acc.handle(&sn).unwrap_err();
    assert!(err.to_string().contains("MAP_TAG"), "{err}");
    // nok is written, then the connection closes.
    let mut acc = Acceptor::new(cfg("py@vm", "secret"), 1);
    acc.handle(&hex(ERL_SEND_NAME)).unwrap();
    let (bytes, err) = acc.decide(Status::Nok).unwrap_err();
    assert_eq!(bytes, framed(b"snok"));
    assert!(matches!(err, HandshakeError::Refused { .. }));
    // alive: the peer answers whether to replace the old connection.
    let mut acc = Acceptor::new(cfg("py@vm", "secret"), 1);
    acc.handle(&hex(ERL_SEND_NAME)).unwrap();
    assert_eq!(acc.decide(Status::Alive).unwrap(), framed(b"salive"));
    assert!(matches!(
        acc.handle(b"strue").unwrap(),
        Accepted::Step(Step::Send(_))
    ));
    let mut acc = Acceptor::new(cfg("py@vm", "secret"), 1);
    acc.handle(&hex(ERL_SEND_NAME)).unwrap();
    acc.decide(Status::Alive).unwrap();
    assert!(acc.handle(b"sfalse").is_err());
}

#[test]
fn truncated_and_garbage_packets_are_errors() {
    for vector in [ERL_SEND_NAME, ERL_CHALLENGE, ERL_CHALLENGE_REPLY, ERL_ACK] {
        let bytes = hex(vector);
        for cut in 0..bytes.len() {
            let p = &bytes[..cut];
            assert!(parse_send_name(p).is_err() || cut == bytes.len());
            assert!(parse_challenge(p).is_err());
            let mut acc = Acceptor::new(cfg("py@vm", "secret"), 1);
            let _ = acc.handle(p);
            let mut ini = Initiator::new(cfg("py2@vm", "secret"), "cap2@vm".into(), 1);
            ini.start().unwrap();
            let _ = ini.handle(p);
        }
    }
    // Bytes after the name are ignored, as OTP's dist_util ignores them.
    let mut long = hex(ERL_SEND_NAME);
    let want = parse_send_name(&long).unwrap();
    long.extend_from_slice(b"\0extension");
    assert_eq!(parse_send_name(&long).unwrap(), want);
    let mut long = hex(ERL_CHALLENGE);
    let want = parse_challenge(&long).unwrap();
    long.push(7);
    assert_eq!(parse_challenge(&long).unwrap(), want);
    // Name length pointing past the end, bad names.
    let mut sn = hex(ERL_SEND_NAME);
    let n = sn.len();
    sn[n - 8] = 0xff;
    assert!(parse_send_name(&sn).is_err());
    for bad in [
        "",
        "noat",
        "@host",
        "name@",
        "a@b@c",
        "a\nERROR forged@h",
        "a@h\r",
        "a\u{1b}[2J@h",
    ] {
        assert!(check_node_name(bad).is_err(), "{bad}");
    }
    // Its error shows the name escaped, on one line.
    let e = check_node_name("x\nERROR forged line@h")
        .unwrap_err()
        .to_string();
    assert!(!e.contains('\n') && e.contains("x\\nERROR"), "{e}");
}
