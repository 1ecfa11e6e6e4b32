//! Tests of distribution headers and atom cache references against frames captured from OTP 25.
//!
//! The frames were captured from Elixir 1.14 / OTP 25 (node `capex@vm`) talking to an
//! erlnode (`cap@vm`) that logged every frame it read: the first messages of a new
//! connection, then `send({:echo, node}, {self(), %{alpha: 1, beta: :two, gamma: [:three,
//! :alpha]}})` twice (the first names its atoms in full, the second by cache slot
//! only), then `{self(), {:big, :binary.copy(<<1,2,3,4>>, 50_000)}}`, which OTP sent in
//! four fragments.

use super::*;
use crate::proto::control::{
    CheckedMessage, Control, ControlError, Payload, decode_after_header,
    decode_message_after_header,
};
use crate::proto::etf::EtfError;
use crate::proto::fragments::Reassembly;
use eetf::{Binary, Term};

fn hex(parts: &[&str]) -> Vec<u8> {
    let s: String = parts.concat();
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

/// REG_SEND to rex of `{Pid, features_request}`: the connection's first message.
const FEATURES_REQUEST: &[&str] = &[
    "8344048fdc00dd08636170657840766d05007803726578081066656174757265735f7265717565737468046106585200",
    "0000003600000000f4c88c7d5201520268025852000000003600000000f4c88c7d5203",
];
/// global's `init_connect` cast (a map, a long atom list).
const INIT_CONNECT: &[&str] = &[
    "834409078ddd8d0edd055612676c6f62616c5f6e616d655f736572766572dc092467656e5f63617374640c696e69745f",
    "636f6e6e65637485066c6f636b6572e30f6e6f5f6c6f6e6765725f615f7069649a0d636f6e6e656374696f6e5f6964c2",
    "0663617040766d680461065852000000003700000000f4c88c7d520152026802520368045204680261086e0801feffff",
    "ffffffff075200680452055206740000000168025207520862009b0f6d5852000000003800000000f4c88c7d",
];
/// REG_SEND to echo of the map: `alpha`, `beta`, `gamma`, `two`, `three` sent as new cache entries.
const MAP_NEW: &[&str] = &[
    "83440807aaaaaa00dd0578046563686fcc05616c706861cd0462657461cf0567616d6d61ce0374776fd0057468726565",
    "680461065852000000006600000000f4c88c7d5201520268025852000000006600000000f4c88c7d7400000003520361",
    "015204520652056c00000002520752036a",
];
/// global's `init_connect_ack`.
const INIT_CONNECT_ACK: &[&str] = &[
    "83440407d500dd05566e10696e69745f636f6e6e6563745f61636b680461065852000000003700000000f4c88c7d5201",
    "520268045203520061026e0801feffffffffffff07",
];
/// The same map again: every atom a bare cache slot.
const MAP_CACHED: &[&str] = &[
    "8344080722222200dd0578cccdcfced0680461065852000000006600000000f4c88c7d52015202680258520000000066",
    "00000000f4c88c7d7400000003520361015204520652056c00000002520752036a",
];
/// The start fragment (131 69, fragment id 4) up to the 200000-byte binary's first data byte.
const FRAGMENT_START: &[&str] = &[
    "83450000033000000663000000000000000404078200dd05785903626967680461065852000000006600000000f4c88c",
    "7d5201520268025852000000006600000000f4c88c7d680252036d00030d40",
];
/// The continuation fragments' headers (131 70, fragment ids 3, 2, 1).
const FRAGMENT_HEADERS: [&str; 3] = [
    "834600000330000006630000000000000003",
    "834600000330000006630000000000000002",
    "834600000330000006630000000000000001",
];
/// Lengths of the four fragment frames as captured: after each header, the binary's
/// bytes (`1, 2, 3, 4` repeated) continue where the previous fragment stopped.
const FRAGMENT_LENGTHS: [usize; 4] = [65566, 65554, 65554, 3459];

/// The four captured fragment frames, rebuilt from their headers and the pattern.
fn fragments() -> Vec<Vec<u8>> {
    let pattern = [1u8, 2, 3, 4];
    let mut at = 0usize;
    let mut frames = Vec::new();
    let heads =
        std::iter::once(hex(FRAGMENT_START)).chain(FRAGMENT_HEADERS.iter().map(|h| hex(&[h])));
    for (mut frame, len) in heads.zip(FRAGMENT_LENGTHS) {
        while frame.len() < len {
            frame.push(pattern[at % 4]);
            at += 1;
        }
        frames.push(frame);
    }
    assert_eq!(at, 200_000);
    frames
}

fn message(body: &[u8], cache: &mut InCache) -> crate::proto::control::DistMessage {
    match parse(body, cache).unwrap() {
        Header::Message { atoms, rest } => decode_message_after_header(rest, &atoms).unwrap(),
        other => panic!("not a whole message: {other:?}"),
    }
}

fn echo_map() -> Term {
    let entries = [
        (
            Term::from(Atom::from("alpha")),
            Term::from(eetf::FixInteger::from(1)),
        ),
        (
            Term::from(Atom::from("beta")),
            Term::from(Atom::from("two")),
        ),
        (
            Term::from(Atom::from("gamma")),
            Term::from(eetf::List::from(vec![
                Term::from(Atom::from("three")),
                Term::from(Atom::from("alpha")),
            ])),
        ),
    ];
    Term::from(eetf::Map::from(entries))
}

#[test]
fn a_connection_s_messages_decode_with_its_atom_cache() {
    let mut cache = InCache::default();
    let first = message(&hex(FEATURES_REQUEST), &mut cache);
    match &first.control {
        Control::RegSend { from, to } => {
            assert_eq!(to.name, "rex");
            assert_eq!(from.node.name, "capex@vm");
        }
        other => panic!("{other:?}"),
    }
    let global = message(&hex(INIT_CONNECT), &mut cache);
    assert!(
        matches!(global.control, Control::RegSend { ref to, .. } if to.name == "global_name_server")
    );
    let new = message(&hex(MAP_NEW), &mut cache);
    message(&hex(INIT_CONNECT_ACK), &mut cache);
    let cached = message(&hex(MAP_CACHED), &mut cache);
    // The second map names no atom in full, yet decodes to the same message.
    assert!(hex(MAP_CACHED).len() < hex(MAP_NEW).len());
    assert_eq!(new, cached);
    let Some(Term::Tuple(t)) = &cached.payload else {
        panic!("{:?}", cached.payload)
    };
    assert_eq!(t.elements[1], echo_map());
    assert!(matches!(&cached.control, Control::RegSend { to, .. } if to.name == "echo"));
}

#[test]
fn the_cache_starts_empty_on_each_connection() {
    // A message naming slots filled on another connection refers to nothing here.
    let mut fresh = InCache::default();
    assert!(matches!(
        parse(&hex(MAP_CACHED), &mut fresh),
        Err(HeaderError::EmptySlot { .. })
    ));
}

#[test]
fn every_truncation_of_a_captured_frame_is_an_error_not_a_panic() {
    for frame in [FEATURES_REQUEST, INIT_CONNECT, MAP_NEW] {
        let bytes = hex(frame);
        for cut in 0..bytes.len() {
            let mut cache = InCache::default();
            let ok = match parse(&bytes[..cut], &mut cache) {
                Ok(Header::Message { atoms, rest }) => {
                    decode_message_after_header(rest, &atoms).is_ok()
                }
                Ok(_) => true,
                Err(_) => false,
            };
            assert!(!ok, "cut at {cut} of {}", bytes.len());
        }
    }
}

#[test]
fn hostile_headers_are_errors() {
    let mut cache = InCache::default();
    message(&hex(FEATURES_REQUEST), &mut cache);
    message(&hex(INIT_CONNECT), &mut cache);
    // A reference past the header's table: the list's last element, `82 3`, made `82 200`.
    let mut bytes = hex(MAP_NEW);
    let at = bytes.len() - 2;
    assert_eq!(bytes[at - 1..at + 1], [82, 3]);
    bytes[at] = 200;
    let Header::Message { atoms, rest } = parse(&bytes, &mut cache).unwrap() else {
        panic!()
    };
    assert!(decode_message_after_header(rest, &atoms).is_err());
    // A new entry that is not UTF-8, and one over 255 characters (long atoms).
    let mut cache = InCache::default();
    assert_eq!(
        parse(&[131, 68, 1, 0x08, 0, 2, 0xff, 0xfe], &mut cache),
        Err(HeaderError::BadUtf8 { index: 0 })
    );
    let mut long = vec![131, 68, 1, 0x18, 0, 1, 0];
    long.extend(std::iter::repeat_n(b'a', 256));
    assert_eq!(
        parse(&long, &mut cache),
        Err(HeaderError::AtomTooLong {
            index: 0,
            chars: 256
        })
    );
    // Fragment id 0, and headers cut anywhere.
    let mut zero = hex(&[FRAGMENT_HEADERS[2]]);
    zero[17] = 0;
    assert_eq!(parse(&zero, &mut cache), Err(HeaderError::ZeroFragmentId));
    for cut in 0..18 {
        assert!(parse(&hex(FRAGMENT_START)[..cut], &mut cache).is_err());
    }
    assert!(matches!(
        parse(&[112, 131], &mut cache),
        Err(HeaderError::NotHeader([112, 131]))
    ));
}

#[test]
fn otp_fragments_reassemble_into_the_message() {
    let mut cache = InCache::default();
    // The node names the start fragment refers to by slot are cached by earlier messages.
    message(&hex(FEATURES_REQUEST), &mut cache);
    message(&hex(INIT_CONNECT), &mut cache);
    message(&hex(MAP_NEW), &mut cache);
    let mut partial = Reassembly::new(1 << 20);
    let mut whole = None;
    for (i, frame) in fragments().iter().enumerate() {
        let done = match parse(frame, &mut cache).unwrap() {
            Header::FragmentStart {
                sequence,
                fragment,
                atoms,
                rest,
            } => {
                assert_eq!((i, fragment), (0, 4));
                partial.start(sequence, fragment, atoms, rest).unwrap()
            }
            Header::Fragment {
                sequence,
                fragment,
                rest,
            } => {
                assert_eq!(fragment, 4 - i as u64);
                partial.next(sequence, fragment, rest).unwrap()
            }
            other => panic!("{other:?}"),
        };
        assert_eq!(done.is_some(), i == 3);
        whole = done;
    }
    let whole = whole.unwrap();
    let m = decode_message_after_header(&whole.data, &whole.atoms).unwrap();
    let Some(Term::Tuple(t)) = m.payload else {
        panic!()
    };
    let expected = Term::from(eetf::Tuple::from(vec![
        Term::from(Atom::from("big")),
        Term::from(Binary::from([1u8, 2, 3, 4].repeat(50_000))),
    ]));
    assert_eq!(t.elements[1], expected);
    assert_eq!(partial.held(), 0);
    // Under a limit smaller than the message, the same fragments are refused.
    let mut small = Reassembly::new(100_000);
    let frames = fragments();
    let Header::FragmentStart {
        sequence,
        fragment,
        atoms,
        rest,
    } = parse(&frames[0], &mut cache).unwrap()
    else {
        panic!()
    };
    small.start(sequence, fragment, atoms, rest).unwrap();
    let Header::Fragment {
        sequence,
        fragment,
        rest,
    } = parse(&frames[1], &mut cache).unwrap()
    else {
        panic!()
    };
    assert!(small.next(sequence, fragment, rest).is_err());
}

#[test]
fn out_cache_sends_new_entries_once_then_bare_slots() {
    let mut out = OutCache::new();
    let mut theirs = InCache::default();
    let atoms = [Atom::from("alpha"), Atom::from("beta"), Atom::from("alpha")];
    for round in 0..2 {
        out.begin();
        let idx: Vec<u8> = atoms.iter().map(|a| out.reference(a).unwrap()).collect();
        assert_eq!(idx, [0, 1, 0]);
        let mut header = vec![131, 68];
        out.write_refs(&mut header);
        let Header::Message { atoms: got, rest } = parse(&header, &mut theirs).unwrap() else {
            panic!()
        };
        assert!(rest.is_empty());
        let got: Vec<Atom> = got.iter().map(|a| (**a).clone()).collect();
        assert_eq!(got, atoms[..2]);
        // Names go in full the first time only.
        assert_eq!(header.windows(5).any(|w| w == b"alpha"), round == 0);
    }
    // A message that is not sent leaves the cache as the peer knows it.
    out.begin();
    out.reference(&Atom::from("gamma")).unwrap();
    out.abort();
    out.begin();
    out.reference(&Atom::from("gamma")).unwrap();
    let mut header = vec![131, 68];
    out.write_refs(&mut header);
    assert!(header.windows(5).any(|w| w == b"gamma"));
}

/// `{6, Pid, '', sink}` (REG_SEND to `sink`, from a pid of `evil@h`) without version byte.
fn reg_send_to_sink() -> Vec<u8> {
    let mut t = vec![104, 4, 97, 6, 88, 119, 6];
    t.extend_from_slice(b"evil@h");
    t.extend_from_slice(&[0, 0, 0, 80, 0, 0, 0, 0, 0, 0, 0, 7, 119, 0, 119, 4]);
    t.extend_from_slice(b"sink");
    t
}

/// `LIST_EXT` of the references `indices`, then `[]`.
fn list_of_refs(indices: impl ExactSizeIterator<Item = u8>) -> Vec<u8> {
    let mut t = vec![108];
    t.extend((indices.len() as u32).to_be_bytes());
    for i in indices {
        t.extend([82, i]);
    }
    t.push(106);
    t
}

/// The longest atom there is: 255 characters of 4 bytes (1020 bytes), one per `seed`.
fn longest_atom(seed: u32) -> String {
    let c = char::from_u32(0x1F300 + seed).unwrap();
    std::iter::repeat_n(c, 255).collect()
}

/// What a connection's reader makes of one frame body: the header applied to the
/// cache, then the message checked (a plain send's payload of 17 to 16K bytes kept
/// unbuilt) or built.
fn read(body: &[u8], cache: &mut InCache) -> Result<CheckedMessage, ControlError> {
    match parse_in_place(body, cache).unwrap() {
        HeaderRef::Message { rest } => decode_after_header(rest, cache.table()),
        other => panic!("not a whole message: {other:?}"),
    }
}

/// A message kept unbuilt in a mailbox holds a pointer per atom cache reference, not a
/// copy of the atoms: 1000 messages whose headers reference 255 cached atoms of 1020
/// bytes each (they used to hold 255 KiB each, 600 bytes per byte received) hold under
/// 8 bytes per byte received, all sharing the cache's atoms.
#[test]
fn checked_messages_share_the_cached_atoms() {
    let texts: Vec<String> = (0..255).map(longest_atom).collect();
    let mut cache = InCache::default();
    // The first message caches the atoms (a 260 KB header), and names the first eight.
    let new: Vec<(u16, Option<&str>)> = (0..255)
        .map(|i| (i as u16, Some(texts[i].as_str())))
        .collect();
    let mut first = header_by_hand(&new);
    first.extend(reg_send_to_sink());
    first.extend(list_of_refs(0..8));
    let m = read(&first, &mut cache).unwrap();
    let Some(Payload::Checked(c)) = m.payload else {
        panic!("{:?}", m.payload)
    };
    let expected: Vec<Term> = texts[..8]
        .iter()
        .map(|t| Term::from(Atom::from(t.as_str())))
        .collect();
    assert_eq!(c.build().unwrap(), Term::from(eetf::List::from(expected)));
    drop(c);
    // Then messages whose headers reference all 255, payloads naming the last and others.
    let old: Vec<(u16, Option<&str>)> = (0..255).map(|i| (i as u16, None)).collect();
    let mut body = header_by_hand(&old);
    body.extend(reg_send_to_sink());
    body.extend(list_of_refs([254, 0, 1, 2, 3, 4, 5, 6].into_iter()));
    let mut kept = Vec::new();
    for _ in 0..1000 {
        let m = read(&body, &mut cache).unwrap();
        assert!(matches!(m.control, Control::RegSend { .. }));
        let Some(Payload::Checked(c)) = m.payload else {
            panic!("{:?}", m.payload)
        };
        kept.push(c);
    }
    let received = 1000 * (body.len() + 4);
    let held: usize = kept.iter().map(|c| c.held_bytes()).sum();
    assert!(held <= 8 * received, "{held} bytes held for {received}");
    // Every kept message points at the cache's atoms.
    let slot = |cache: &InCache, i: usize| cache.slots[i].clone().unwrap();
    assert_eq!(Arc::strong_count(&slot(&cache, 254)), 1 + 1000 + 1);
    assert_eq!(Arc::strong_count(&slot(&cache, 100)), 1 + 1000 + 1);
    let built = kept[999].build().unwrap();
    let Term::List(l) = built else { panic!() };
    assert_eq!(l.elements[0], Term::from(Atom::from(texts[254].as_str())));
    // A slot the peer replaces keeps its old atom for the messages that name it.
    let mut replace = header_by_hand(&[(254, Some("new"))]);
    replace.extend(reg_send_to_sink());
    replace.extend(list_of_refs(std::iter::repeat_n(0, 8)));
    read(&replace, &mut cache).unwrap();
    assert_eq!(slot(&cache, 254).name, "new");
    let Term::List(l) = kept[0].build().unwrap() else {
        panic!()
    };
    assert_eq!(l.elements[0], Term::from(Atom::from(texts[254].as_str())));
    drop(kept);
    assert_eq!(Arc::strong_count(&slot(&cache, 100)), 1 + 1);
}

/// A payload of references to long cached atoms would build about 500 bytes of atom
/// text per byte received; past 64 bytes per byte of the message it is refused, whether
/// it would wait in a mailbox unbuilt or be built at once, with an error naming the
/// limit. What real traffic sends stays well within: 10 000 records naming a
/// 31-character module, or the module alone 10 000 times (15 bytes per byte).
#[test]
fn references_standing_for_more_atom_text_than_the_message_allows_are_refused() {
    let long = longest_atom(0);
    let module = "Elixir.Inventory.Stock.Movement";
    assert_eq!(module.len(), 31);
    let mut cache = InCache::default();
    let mut first = header_by_hand(&[(0, Some(long.as_str())), (1, Some(module))]);
    first.extend(reg_send_to_sink());
    first.extend(list_of_refs(0..2));
    read(&first, &mut cache).unwrap();
    let refs = header_by_hand(&[(0, None), (1, None)]);
    // 8000 references (16 KB: checked and kept unbuilt) and 9000 (built at once) to the
    // 1020-byte atom.
    for n in [8000, 9000] {
        let mut body = refs.clone();
        body.extend(reg_send_to_sink());
        let payload = list_of_refs(std::iter::repeat_n(0, n));
        assert_eq!(payload.len() <= crate::proto::control::DEFER_MAX, n == 8000);
        body.extend(payload);
        let err = read(&body, &mut cache).unwrap_err();
        assert!(
            matches!(
                err,
                ControlError::Payload(EtfError::TooLarge {
                    what: crate::proto::etf::WHY_ATOM_TEXT,
                    ..
                })
            ),
            "{err}"
        );
        let text = err.to_string();
        assert!(
            text.starts_with(
                "bad message payload: atom text copied from atom cache references too large"
            ),
            "{text}"
        );
    }
    // 10 000 `{Movement, I}` records, and the module 10 000 times: built.
    let mut records = vec![108];
    records.extend(10_000u32.to_be_bytes());
    for i in 0..10_000u32 {
        records.extend([104, 2, 82, 1, 97, (i % 256) as u8]);
    }
    records.push(106);
    for payload in [records, list_of_refs(std::iter::repeat_n(1, 10_000))] {
        let mut body = refs.clone();
        body.extend(reg_send_to_sink());
        body.extend(&payload);
        let m = read(&body, &mut cache).unwrap();
        let Some(Payload::Term(Term::List(l))) = m.payload else {
            panic!()
        };
        assert_eq!(l.elements.len(), 10_000);
    }
}
