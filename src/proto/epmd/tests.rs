use super::*;

fn hex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

// All vectors below were captured from real traffic (OTP 25, erts 13):
// a logging TCP proxy (Python, one thread per direction, printing each
// chunk as hex) listened on 127.0.0.1:24370 and forwarded to a real
// `epmd -port 24369`. Clients were run with ERL_EPMD_PORT=24370:
//   erl -sname capx -noshell -eval '... halt().'        (twice: re-registration)
//   erl -sname caph -hidden -noshell -eval 'timer:sleep(8000)...'
//   erl -sname caph -noshell                            (duplicate, refused)
//   erl -noshell -eval 'erl_epmd:port_please("caph","127.0.0.1"),
//                       erl_epmd:port_please("nosuch","127.0.0.1")'
//   epmd -port 24370 -names
// The v5 ALIVE2 and DUMP vectors come from a Python socket client talking
// directly to the same real epmd.

/// `erl -sname capx`: ALIVE2_REQ, C>S.
const REAL_ALIVE2_CAPX: &str = "001178b2074d00000600050004636170780000";
/// `erl -sname caph -hidden`: ALIVE2_REQ, C>S (OTP 25 registers hidden nodes as 77).
const REAL_ALIVE2_CAPH: &str = "0011788f0f4d00000600050004636170680000";
/// epmd's reply to the first `capx` registration.
const REAL_ALIVE2_X_OK: &str = "76006b02f2f0";
/// epmd's reply to the second `capx` registration (creation bumped by one).
const REAL_ALIVE2_X_OK_AGAIN: &str = "76006b02f2f1";
/// epmd's reply to a second `caph` while the first was alive.
const REAL_ALIVE2_X_REFUSED: &str = "760100000063";
/// epmd's reply to an ALIVE2_REQ with highest version 5.
const REAL_ALIVE2_RESP_V5: &str = "79000001";
/// `erl_epmd:port_please("caph", ...)`: request and reply.
const REAL_PORT_PLEASE_CAPH: &str = "00057a63617068";
const REAL_PORT2_CAPH: &str = "77008f0f4d00000600050004636170680000";
/// `erl_epmd:port_please("nosuch", ...)` reply.
const REAL_PORT2_NOT_FOUND: &str = "7701";
/// `epmd -names` request and the epmd (port 24369) reply.
const REAL_NAMES_REQ: &str = "00016e";
const REAL_NAMES_RESP: &str = "00005f316e616d65206361706820617420706f72742033363632330a";

#[test]
fn decodes_real_alive2_req() {
    let buf = hex(REAL_ALIVE2_CAPX);
    let (req, used) = decode_request(&buf).unwrap().unwrap();
    assert_eq!(used, buf.len());
    let Request::Alive2(e) = req else {
        panic!("not ALIVE2: {req:?}")
    };
    assert_eq!(e.name, "capx");
    assert_eq!(e.port, 0xb207);
    assert_eq!(e.node_type, NODE_TYPE_VISIBLE);
    assert_eq!(e.protocol, 0);
    assert_eq!((e.highest, e.lowest), (6, 5));
    assert!(e.extra.is_empty());
}

#[test]
fn encodes_alive2_req_like_erl() {
    // Same fields as erl sent; erl (OTP 25) advertises lowest version 5.
    let mut e = NodeEntry::new("caph", 0x8f0f, false);
    e.lowest = 5;
    assert_eq!(encode_alive2_req(&e).unwrap(), hex(REAL_ALIVE2_CAPH));
    // Our own default: version 6 only; hidden uses type 72.
    let ours = encode_alive2_req(&NodeEntry::new("caph", 0x8f0f, true)).unwrap();
    assert_eq!(ours, hex("0011788f0f4800000600060004636170680000"));
}

#[test]
fn decodes_real_alive2_replies() {
    let (r, n) = decode_alive2_resp(&hex(REAL_ALIVE2_X_OK)).unwrap().unwrap();
    assert_eq!(n, 6);
    assert_eq!(
        r,
        Alive2Resp {
            result: 0,
            creation: 1_795_355_376,
            extended: true
        }
    );
    let (r2, _) = decode_alive2_resp(&hex(REAL_ALIVE2_X_OK_AGAIN))
        .unwrap()
        .unwrap();
    assert_eq!(r2.creation, r.creation + 1);
    let (r, _) = decode_alive2_resp(&hex(REAL_ALIVE2_X_REFUSED))
        .unwrap()
        .unwrap();
    assert_eq!((r.result, r.creation), (1, 99));
    let (r, n) = decode_alive2_resp(&hex(REAL_ALIVE2_RESP_V5))
        .unwrap()
        .unwrap();
    assert_eq!(n, 4);
    assert_eq!(
        r,
        Alive2Resp {
            result: 0,
            creation: 1,
            extended: false
        }
    );
}

#[test]
fn encodes_alive2_replies_like_epmd() {
    assert_eq!(
        encode_alive2_resp(6, 0, 1_795_355_376),
        hex(REAL_ALIVE2_X_OK)
    );
    assert_eq!(
        encode_alive2_resp(6, RESULT_REFUSED, REFUSED_CREATION),
        hex(REAL_ALIVE2_X_REFUSED)
    );
    assert_eq!(encode_alive2_resp(5, 0, 1), hex(REAL_ALIVE2_RESP_V5));
}

#[test]
fn port_please_round_trip_with_real_bytes() {
    assert_eq!(
        encode_port_please2_req("caph").unwrap(),
        hex(REAL_PORT_PLEASE_CAPH)
    );
    let (req, _) = decode_request(&hex(REAL_PORT_PLEASE_CAPH))
        .unwrap()
        .unwrap();
    assert_eq!(
        req,
        Request::PortPlease2 {
            name: "caph".into()
        }
    );
    let buf = hex(REAL_PORT2_CAPH);
    let (resp, used) = decode_port2_resp(&buf).unwrap().unwrap();
    assert_eq!(used, buf.len());
    let Port2Resp::Found(e) = resp else {
        panic!("not found")
    };
    assert_eq!(e.port, 36623);
    assert_eq!(e.name, "caph");
    assert_eq!((e.node_type, e.highest, e.lowest), (77, 6, 5));
    assert_eq!(encode_port2_resp(Some(&e)).unwrap(), buf);

    let nf = hex(REAL_PORT2_NOT_FOUND);
    assert_eq!(
        decode_port2_resp(&nf).unwrap(),
        Some((Port2Resp::NotFound(1), 2))
    );
    assert_eq!(encode_port2_resp(None).unwrap(), nf);
}

#[test]
fn names_with_real_bytes() {
    assert_eq!(encode_names_req(), hex(REAL_NAMES_REQ));
    assert_eq!(
        decode_request(&hex(REAL_NAMES_REQ)).unwrap(),
        Some((Request::Names, 3))
    );
    let buf = hex(REAL_NAMES_RESP);
    let names = decode_names_resp(&buf).unwrap().unwrap();
    assert_eq!(names.epmd_port, 24369);
    assert_eq!(names.nodes, vec![("caph".to_string(), 36623)]);
    assert_eq!(encode_names_resp(24369, [("caph", 36623)]), buf);
    assert_eq!(
        decode_names_resp(&hex("00005f31")).unwrap().unwrap().nodes,
        vec![]
    );
}

#[test]
fn dump_matches_real_epmd() {
    // DUMP_REQ (00 01 64) sent to the real epmd on port 24369 after the
    // session above plus two direct registrations (hid6 and old).
    let real: &[u8] = b"\x00\x00_1active name     <hid6> at port 5556, fd = 6\n\x00\
active name     <old> at port 5555, fd = 5\n\x00\
old/unused name <capx>, port = 37279, fd = 5 \n\x00\
old/unused name <caph>, port = 36623, fd = 5 \n\x00";
    let ours = encode_dump_resp(
        24369,
        [("hid6", 5556, 6), ("old", 5555, 5)],
        [("capx", 37279, 5), ("caph", 36623, 5)],
    );
    assert_eq!(ours, real);
    assert_eq!(
        decode_request(&hex("000164")).unwrap(),
        Some((Request::Dump, 3))
    );
}

#[test]
fn port_please_with_trailing_nul() {
    // Old clients NUL-terminate; real epmd answered this like "hid6".
    let (req, _) = decode_request(&hex("00067a6869643600")).unwrap().unwrap();
    assert_eq!(
        req,
        Request::PortPlease2 {
            name: "hid6".into()
        }
    );
}

#[test]
fn every_truncation_of_a_request_is_incomplete() {
    for v in [REAL_ALIVE2_CAPX, REAL_PORT_PLEASE_CAPH, REAL_NAMES_REQ] {
        let buf = hex(v);
        for cut in 0..buf.len() {
            assert!(
                decode_request(&buf[..cut]).unwrap().is_none(),
                "{v} cut at {cut}"
            );
        }
    }
}

#[test]
fn every_truncation_of_a_reply_is_incomplete() {
    for v in [REAL_ALIVE2_X_OK, REAL_ALIVE2_RESP_V5] {
        let buf = hex(v);
        for cut in 0..buf.len() {
            assert!(decode_alive2_resp(&buf[..cut]).unwrap().is_none());
        }
    }
    let buf = hex(REAL_PORT2_CAPH);
    for cut in 0..buf.len() {
        assert!(
            decode_port2_resp(&buf[..cut]).unwrap().is_none(),
            "cut {cut}"
        );
    }
    for cut in 0..4 {
        assert!(
            decode_names_resp(&hex(REAL_NAMES_RESP)[..cut])
                .unwrap()
                .is_none()
        );
    }
}

#[test]
fn bad_lengths_are_refused() {
    assert!(matches!(
        decode_request(&[0, 0]),
        Err(EpmdError::BadLength { len: 0, .. })
    ));
    assert!(matches!(
        decode_request(&[0xff, 0xff, b'n']),
        Err(EpmdError::BadLength { len: 65535, .. })
    ));
    let too_big = (MAX_REQUEST_LEN + 1) as u16;
    assert!(decode_request(&too_big.to_be_bytes()).is_err());
    // The largest legal length is only "incomplete" until it arrives.
    let max = (MAX_REQUEST_LEN as u16).to_be_bytes();
    assert!(decode_request(&max).unwrap().is_none());
}

#[test]
fn garbage_requests_are_errors() {
    // Unknown tag.
    assert!(matches!(
        decode_request(&[0, 3, 1, 2, 3]),
        Err(EpmdError::UnknownRequest { tag: 1 })
    ));
    // ALIVE2 bodies built field by field: (nlen field, name, elen field,
    // extra, trailing bytes), each framed with its true length.
    let alive = |nlen: u16, name: &[u8], elen: u16, extra: &[u8], tail: &[u8]| {
        let mut body = hex("7800504d0000060006");
        body.extend_from_slice(&nlen.to_be_bytes());
        body.extend_from_slice(name);
        body.extend_from_slice(&elen.to_be_bytes());
        body.extend_from_slice(extra);
        body.extend_from_slice(tail);
        framed(body)
    };
    // Sanity: the builder makes a valid request.
    assert!(decode_request(&alive(1, b"a", 0, b"", b"")).is_ok());
    // Name length runs past the packet / beyond any legal name.
    assert!(decode_request(&alive(5, b"abc", 0, b"", b"")).is_err());
    assert!(decode_request(&alive(0xffff, b"abc", 0, b"", b"")).is_err());
    // Extra length runs past the packet / beyond the limit.
    assert!(decode_request(&alive(1, b"a", 9, b"", b"")).is_err());
    assert!(decode_request(&alive(1, b"a", 0xffff, b"xy", b"")).is_err());
    // Bytes after the extra field.
    assert!(decode_request(&alive(1, b"a", 0, b"", b"\0")).is_err());
    // Shorter than the fixed fields.
    assert!(decode_request(&hex("0003780050")).is_err());
    // Empty name, NUL in name, invalid UTF-8.
    assert!(decode_request(&alive(0, b"", 0, b"", b"")).is_err());
    assert!(decode_request(&alive(2, b"a\0", 0, b"", b"")).is_err());
    assert!(decode_request(&alive(2, b"a\xff", 0, b"", b"")).is_err());
    // PORT_PLEASE2 with an empty name, an inner NUL, bad UTF-8.
    assert!(decode_request(&hex("00017a")).is_err());
    assert!(decode_request(&hex("00047a610062")).is_err());
    assert!(decode_request(&hex("00037ac328")).is_err());
}

#[test]
fn name_limits() {
    let long: String = "é".repeat(256);
    assert!(validate_name(&long).is_err());
    assert!(validate_name(&"é".repeat(255)).is_ok());
    assert!(encode_port_please2_req("").is_err());
    let mut e = NodeEntry::new("x", 1, false);
    e.extra = vec![0; MAX_EXTRA_BYTES + 1];
    assert!(encode_alive2_req(&e).is_err());
    // The biggest legal ALIVE2_REQ still fits epmd's buffer.
    let mut e = NodeEntry::new(&"𝄞".repeat(255), 1, false);
    e.extra = vec![7; MAX_EXTRA_BYTES];
    let buf = encode_alive2_req(&e).unwrap();
    let (req, _) = decode_request(&buf).unwrap().unwrap();
    assert_eq!(req, Request::Alive2(e));
}

#[test]
fn hostile_replies_are_errors() {
    assert!(decode_alive2_resp(&[b'x', 0, 0, 0, 0, 0]).is_err());
    assert!(decode_port2_resp(&[120, 0]).is_err());
    // PORT2_RESP with a name length beyond any legal name.
    assert!(decode_port2_resp(&hex("770000504d0000060006ffff")).is_err());
    // PORT2_RESP with an oversized extra.
    assert!(decode_port2_resp(&hex("770000504d00000600060001610fff")).is_err());
    // NAMES lines that are not "name X at port N".
    assert!(decode_names_resp(&hex("0000111168656c6c6f0a")).is_err());
    let mut buf = hex("00001111");
    buf.extend_from_slice(b"name a at port 99999\n");
    assert!(decode_names_resp(&buf).is_err());
    let mut buf = hex("00001111");
    buf.extend_from_slice(b"name \xff at port 1\n");
    assert!(decode_names_resp(&buf).is_err());
}
