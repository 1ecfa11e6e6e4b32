//! Tests of the ETF codec against bytes printed by real OTP nodes (one file, over 1000 lines: the
//! cases share the vector tables of `vectors.rs` and the helpers at the top).

use std::collections::HashMap;

use eetf::{
    BigInteger, Binary, BitBinary, ByteList, ExternalFun, FixInteger, Float, ImproperList, List,
    Map, Port, Reference, Tuple,
};

use super::vectors as v;
use super::*;

// Pids, refs and ports in the vectors belong to `cap@vm`, creation 0x6B02F3AF.
const CAP: &str = "cap@vm";
const CAP_CREATION: u32 = 0x6B02_F3AF;

fn atom(name: &str) -> Term {
    Term::from(Atom::from(name))
}
fn int(value: i32) -> Term {
    Term::from(FixInteger::from(value))
}
fn tuple(elements: Vec<Term>) -> Term {
    Term::from(Tuple::from(elements))
}
fn list(elements: Vec<Term>) -> Term {
    Term::from(List::from(elements))
}
fn nil() -> Term {
    Term::from(List::nil())
}
fn bin(bytes: &[u8]) -> Term {
    Term::from(Binary::from(bytes))
}
fn map(pairs: Vec<(Term, Term)>) -> Term {
    Term::from(Map::from(pairs.into_iter().collect::<HashMap<_, _>>()))
}
fn float(value: f64) -> Term {
    Term::from(Float { value })
}
fn bits(bytes: &[u8], tail_bits_size: u8) -> Term {
    Term::from(BitBinary::from((bytes.to_vec(), tail_bits_size)))
}
/// 2^exp as a big integer.
fn pow2(exp: usize) -> Term {
    Term::from(BigInteger {
        value: BigInteger::from(1u64).value << exp,
    })
}
fn cap_pid(id: u32) -> Pid {
    Pid::new(CAP, id, 0, CAP_CREATION)
}

fn expect_ok(bytes: &[u8]) -> Term {
    match decode_exact(bytes) {
        Ok(term) => term,
        Err(e) => panic!("decode failed: {e}"),
    }
}

fn vector(name: &str) -> &'static [u8] {
    v::ALL
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, b)| *b)
        .unwrap()
}

/// `{a,1,<<"x">>,[1,2|3],#{k=>v},self(),make_ref(),1 bsl 100,1.5,fun erlang:node/0,<<1:3>>}`
fn mixed(ref_word0: u32) -> Term {
    tuple(vec![
        atom("a"),
        int(1),
        bin(b"x"),
        Term::from(ImproperList::from((vec![int(1), int(2)], int(3)))),
        map(vec![(atom("k"), atom("v"))]),
        Term::from(cap_pid(9)),
        Term::from(Reference {
            node: Atom::from(CAP),
            id: vec![ref_word0, 0xAAD0_0002, 0x264A_69FE],
            creation: CAP_CREATION,
        }),
        pow2(100),
        float(1.5),
        Term::from(ExternalFun::from(("erlang", "node", 0))),
        bits(&[1], 3),
    ])
}

fn new_fun(term: &Term) -> (&str, u8, &[Term], u32, &Pid) {
    match term {
        Term::InternalFun(fun) => match &**fun {
            InternalFun::New {
                module,
                arity,
                free_vars,
                index,
                pid,
                ..
            } => (&module.name, *arity, free_vars, *index, pid),
            other => panic!("not a new fun: {other:?}"),
        },
        other => panic!("not a fun: {other:?}"),
    }
}

// ----- real vectors ---------------------------------------------------------

#[test]
fn real_vectors_decode_to_expected_terms() {
    assert_eq!(expect_ok(v::MIXED), mixed(0x0001_40B2));
    assert_eq!(expect_ok(v::MIXED_UTF8), mixed(0x0001_40B3));
    assert_eq!(expect_ok(v::STRING), Term::from(ByteList::from("hello")));
    assert_eq!(expect_ok(v::ATOM_LATIN1), atom("héllo"));
    assert_eq!(expect_ok(v::ATOM_LATIN1_UTF8), atom("héllo"));
    assert_eq!(expect_ok(v::ATOM_JP), atom("日本"));
    assert_eq!(expect_ok(v::ATOM_LATIN1_255), atom(&"é".repeat(255)));
    assert_eq!(
        expect_ok(v::OLD_FLOATS),
        list(vec![
            float(0.1),
            float(1.5),
            float(-2.5e-300),
            float(1.0e300)
        ])
    );
    let neg_2_64 = Term::from(BigInteger {
        value: -(BigInteger::from(1u64).value << 64usize),
    });
    assert_eq!(
        expect_ok(v::INTEGERS),
        list(vec![
            int(0),
            int(255),
            int(256),
            int(-1),
            int(i32::MAX),
            int(i32::MIN),
            Term::from(BigInteger::from(2_147_483_648i64)),
            neg_2_64,
            pow2(3000),
        ])
    );
    assert!(v::INTEGERS.contains(&LARGE_BIG_EXT));
    assert_eq!(expect_ok(v::BIG_LIST), list((1..=1000).map(int).collect()));
    assert_eq!(expect_ok(v::COMPRESSED_ATOMS), list(vec![atom("a"); 100]));
    assert_eq!(
        expect_ok(v::COMPRESSED_SEQ),
        list((1..=2000).map(int).collect())
    );
    assert_eq!(expect_ok(v::COMPRESSED_ZEROS), bin(&[0; 100_000]));
    assert_eq!(
        expect_ok(v::PORT),
        Term::from(Port {
            node: Atom::from(CAP),
            id: 0,
            creation: CAP_CREATION
        })
    );
    assert_eq!(
        expect_ok(v::REF_UTF8),
        Term::from(Reference {
            node: Atom::from(CAP),
            id: vec![0x0001_40B8, 0xAAD0_0002, 0x264A_69FE],
            creation: CAP_CREATION,
        })
    );
    assert_eq!(expect_ok(v::PID_UTF8), Term::from(cap_pid(9)));
    assert_eq!(
        expect_ok(v::LARGE_TUPLE),
        tuple((1..=300).map(int).collect())
    );
    assert_eq!(
        expect_ok(v::MAP_TUPLE_KEYS),
        map(vec![
            (tuple(vec![atom("a"), int(1)]), list(vec![atom("x")])),
            (tuple(vec![atom("b"), int(2)]), map(vec![])),
        ])
    );
    assert_eq!(
        expect_ok(v::BIG_MAP),
        map((1..=40).map(|i| (int(i), int(i * i))).collect())
    );
    assert_eq!(
        expect_ok(v::EMPTIES),
        tuple(vec![nil(), tuple(vec![]), bin(b""), map(vec![]), nil()])
    );
    assert_eq!(
        expect_ok(v::BITS),
        list(vec![bits(&[1], 3), bits(&[255, 7], 5), bin(&[1])])
    );
    let mut nested = nil();
    for _ in 0..9 {
        nested = list(vec![nested]);
    }
    assert_eq!(expect_ok(v::NESTED), nested);
    assert_eq!(expect_ok(v::NEG_STRINGISH), list(vec![int(-1), int(2)]));
    assert_eq!(
        expect_ok(v::SMALL_STRING_LIST),
        Term::from(ByteList::from(vec![1, 2, 255]))
    );
}

#[test]
fn real_funs_decode() {
    let f1 = expect_ok(v::COMPILED_FUN);
    let (module, arity, free, index, pid) = new_fun(&f1);
    assert_eq!((module, arity, free, index), ("cap", 0, &[][..], 0));
    assert_eq!(pid, &cap_pid(9));

    let f2 = expect_ok(v::COMPILED_CLOSURE);
    let (module, arity, free, index, _) = new_fun(&f2);
    assert_eq!((module, arity, free, index), ("cap", 1, &[int(42)][..], 1));

    // A Latin-1 atom inside a fun: rewritten to UTF-8, so the fun's Size changes too.
    let f3 = expect_ok(v::FUN_LATIN1_FREE_VAR);
    let (module, arity, free, _, _) = new_fun(&f3);
    assert_eq!((module, arity), ("cap", 0));
    assert_eq!(free, &[atom(&"é".repeat(255))][..]);

    // erl_eval closure from `erl -eval`: one free variable, the OTP 25 6-tuple
    // {Line, Bindings, LocalHandler, ExternalHandler, UsedVars, Clauses}.
    let shell = expect_ok(v::SHELL_FUN);
    let (module, arity, free, _, _) = new_fun(&shell);
    assert_eq!((module, arity), ("erl_eval", 0));
    let clause = tuple(vec![
        atom("clause"),
        int(1),
        nil(),
        nil(),
        list(vec![tuple(vec![atom("integer"), int(1), int(1)])]),
    ]);
    assert_eq!(
        free,
        &[tuple(vec![
            int(1),
            nil(),
            atom("none"),
            atom("none"),
            map(vec![]),
            list(vec![clause]),
        ])][..]
    );

    // Elixir 1.14 `fn -> IO.inspect(Node.self()) end`, evaluated by erl_eval too.
    let ex = expect_ok(v::ELIXIR_FUN);
    let (module, arity, free, _, pid) = new_fun(&ex);
    assert_eq!((module, arity, free.len()), ("erl_eval", 0, 1));
    assert_eq!(pid.node.name, "capex@vm");
    let Term::Tuple(env) = &free[0] else {
        panic!("not a tuple: {:?}", free[0]);
    };
    assert_eq!(env.elements.len(), 6);
    let clauses = env.elements[5].to_string();
    assert!(clauses.contains("'Elixir.IO'") && clauses.contains("'Elixir.Node'"));
}

/// The builder gives exactly what eetf's own decoder gives, wherever eetf reads the
/// real bytes right (it refuses Latin-1 atoms over 0x7F and narrows FLOAT_EXT).
#[test]
fn builder_agrees_with_eetf_on_every_real_vector() {
    let mut compared = 0;
    for (name, bytes) in v::ALL {
        if *name == "OLD_FLOATS" {
            continue;
        }
        let ours = expect_ok(bytes);
        match Term::decode(*bytes) {
            Ok(theirs) => {
                assert_eq!(ours, theirs, "{name}");
                compared += 1;
            }
            Err(_) => assert!(
                name.contains("LATIN1") && *name != "ATOM_LATIN1_UTF8",
                "eetf refused {name}"
            ),
        }
    }
    assert!(compared >= 20, "only {compared} vectors compared");
}

#[test]
fn term_len_matches_every_vector_and_ignores_what_follows() {
    for (name, bytes) in v::ALL {
        assert_eq!(term_len(bytes).unwrap(), bytes.len(), "{name}");
        let mut longer = bytes.to_vec();
        longer.extend_from_slice(&[131, 97, 1]);
        let (term, len) = decode(&longer).unwrap();
        assert_eq!(len, bytes.len(), "{name}");
        assert_eq!(term, expect_ok(bytes), "{name}");
        assert!(matches!(
            decode_exact(&longer),
            Err(EtfError::TrailingBytes { extra: 3, .. })
        ));
    }
}

#[test]
fn whole_integers_and_binaries_encode_as_otp_does() {
    // Bytes from OTP 25's term_to_binary/1 for 5, -1, 300, <<1,2,3>> and <<>>.
    for (term, otp) in [
        (int(5), &[131, 97, 5][..]),
        (int(-1), &[131, 98, 255, 255, 255, 255][..]),
        (int(300), &[131, 98, 0, 0, 1, 44][..]),
        (bin(&[1, 2, 3]), &[131, 109, 0, 0, 0, 3, 1, 2, 3][..]),
        (bin(&[]), &[131, 109, 0, 0, 0, 0][..]),
    ] {
        let mut out = vec![9];
        encode(&term, &mut out).unwrap();
        assert_eq!(&out[1..], otp, "{term}");
        assert_eq!(decode_exact(otp).unwrap(), term);
    }
}

#[test]
fn integer_runs_encode_as_otp_does() {
    // OTP 25: term_to_binary([I*37 - 500 || I <- lists:seq(1,70)] ++ [<<"x">>, 7, 8]):
    // negative, byte-sized and larger integers in one run of more than one chunk,
    // then a binary, then a run of two.
    let otp: String = [
        "836C0000004962FFFFFE3162FFFFFE5662FFFFFE7B62FFFFFEA062FFFFFEC562FFFFFEEA62FFFFFF0F62FFFFFF3462FF",
        "FFFF5962FFFFFF7E62FFFFFFA362FFFFFFC862FFFFFFED61126137615C618161A661CB61F06200000115620000013A62",
        "0000015F620000018462000001A962000001CE62000001F36200000218620000023D6200000262620000028762000002",
        "AC62000002D162000002F6620000031B62000003406200000365620000038A62000003AF62000003D462000003F96200",
        "00041E62000004436200000468620000048D62000004B262000004D762000004FC62000005216200000546620000056B",
        "620000059062000005B562000005DA62000005FF62000006246200000649620000066E620000069362000006B8620000",
        "06DD62000007026200000727620000074C6200000771620000079662000007BB62000007E06200000805620000082A6D",
        "0000000178610761086A",
    ]
    .concat();
    let otp: Vec<u8> = (0..otp.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&otp[i..i + 2], 16).unwrap())
        .collect();
    let mut elements: Vec<Term> = (1..=70).map(|i| int(i * 37 - 500)).collect();
    elements.extend([bin(b"x"), int(7), int(8)]);
    let term = list(elements);
    assert_eq!(to_vec(&term).unwrap(), otp);
    assert_eq!(decode_exact(&otp).unwrap(), term);
}

#[test]
fn checked_terms_build_what_decode_gives() {
    for (name, bytes) in v::ALL {
        let checked = CheckedTerm::check_exact(bytes).unwrap();
        assert_eq!(checked.build().unwrap(), expect_ok(bytes), "{name}");
        let mut longer = bytes.to_vec();
        longer.push(0);
        assert!(matches!(
            CheckedTerm::check_exact(&longer),
            Err(EtfError::TrailingBytes { extra: 1, .. })
        ));
        for cut in 0..bytes.len() {
            assert!(CheckedTerm::check_exact(&bytes[..cut]).is_err(), "{name}");
        }
    }
    // A compressed term is kept inflated.
    let inner = v::BIG_LIST;
    let packed = compressed((inner.len() - 1) as u32, &inner[1..]);
    let checked = CheckedTerm::check_exact(&packed).unwrap();
    assert_eq!(checked.as_bytes(), inner);
    assert_eq!(checked.build().unwrap(), expect_ok(inner));
    // Duplicate keys pass the check and are refused by building, flat or nested.
    for dup in [
        &[131, 116, 0, 0, 0, 2, 97, 1, 97, 2, 97, 1, 97, 3][..],
        &[131, 104, 1, 116, 0, 0, 0, 2, 97, 1, 106, 97, 1, 106][..],
    ] {
        assert!(decode(dup).is_err());
        let checked = CheckedTerm::check_exact(dup).unwrap();
        assert!(matches!(
            checked.build(),
            Err(EtfError::DuplicateMapKeys { .. })
        ));
    }
}

#[test]
fn reencoded_vectors_decode_to_the_same_term() {
    for (name, bytes) in v::ALL {
        let term = expect_ok(bytes);
        let ours = to_vec(&term).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(expect_ok(&ours), term, "{name}");
    }
}

/// Maps whose leaf pairs are written inline and whose other pairs go through the
/// work stack, in every order a `HashMap` may give them: each pair stays a pair.
#[test]
fn maps_mixing_leaf_and_nested_pairs_encode_whole() {
    let pairs = || {
        let mut pairs: Vec<(Term, Term)> = (0..12)
            .map(|i| (atom(&format!("k{i}")), int(i * 1000)))
            .collect();
        pairs.push((
            atom("t"),
            tuple(vec![atom("x"), list(vec![int(1), bin(b"ab")])]),
        ));
        pairs.push((tuple(vec![int(1), int(2)]), float(0.5)));
        pairs.push((bin(b"key"), map(vec![(int(1), list(vec![nil()]))])));
        pairs.push((int(-5), list(vec![])));
        pairs
    };
    // Each map gets its own hasher keys, so its own iteration order.
    for _ in 0..64 {
        let term = map(pairs());
        let bytes = to_vec(&term).unwrap();
        assert_eq!(expect_ok(&bytes), term);
        assert_eq!(Term::decode(&bytes[..]).unwrap(), term, "eetf reads it too");
    }
    // A map of leaf pairs at the depth limit: written only where it would be read.
    let mut verdicts = Vec::new();
    for wraps in [MAX_DEPTH - 3, MAX_DEPTH - 2, MAX_DEPTH - 1, MAX_DEPTH] {
        let mut term = map(vec![(atom("a"), int(1)), (int(2), bin(b"b"))]);
        for _ in 0..wraps {
            term = list(vec![term]);
        }
        let mut plain = Vec::new();
        term.encode(&mut plain).unwrap();
        let read = decode(&plain).is_ok();
        assert_eq!(to_vec(&term).is_ok(), read, "{wraps} lists deep");
        verdicts.push(read);
    }
    assert_eq!(verdicts, [true, true, false, false]);
}

/// OTP 25 with `{minor_version, 2}` (UTF-8 atoms, as on the distribution) picks
/// the same tags as our encoder, so these come out byte for byte.
#[test]
fn reencoding_is_byte_identical_to_otp_where_otp_uses_utf8_atoms() {
    for name in [
        "MIXED_UTF8",
        "PID_UTF8",
        "REF_UTF8",
        "ATOM_LATIN1_UTF8",
        "ATOM_JP",
        "EMPTIES",
        "BITS",
        "NEG_STRINGISH",
        "SMALL_STRING_LIST",
        "STRING",
        "BIG_LIST",
        "LARGE_TUPLE",
        "INTEGERS",
        "NESTED",
    ] {
        let bytes = vector(name);
        assert_eq!(to_vec(&expect_ok(bytes)).unwrap(), bytes, "{name}");
    }
}

/// Writes each vector and our re-encoding of it to `$ETF_DUMP_DIR` so that a real
/// node can check them; run with
/// `ETF_DUMP_DIR=/tmp/etfdump cargo test --lib etf::tests::dump -- --ignored`, then
/// in erl: for each NAME, `binary_to_term(Ours) =:= binary_to_term(Otp)`.
#[test]
#[ignore = "writes files for a manual check against erl"]
fn dump_reencoded_vectors_for_erl() {
    let dir = std::env::var("ETF_DUMP_DIR").unwrap();
    std::fs::create_dir_all(&dir).unwrap();
    for (name, bytes) in v::ALL {
        let ours = to_vec(&expect_ok(bytes)).unwrap();
        std::fs::write(format!("{dir}/{name}.ours"), ours).unwrap();
        std::fs::write(format!("{dir}/{name}.otp"), bytes).unwrap();
    }
    // Encoder-only cases (no OTP original): erl must accept them.
    let mut deep = nil();
    for _ in 0..MAX_DEPTH - 1 {
        deep = list(vec![deep]);
    }
    let extras = [
        (
            "EXTRA_LONG_BYTELIST",
            Term::from(ByteList::from(vec![7; 70_000])),
        ),
        (
            "EXTRA_V4_PORT",
            Term::from(Port {
                node: Atom::from(CAP),
                id: 1 << 40,
                creation: CAP_CREATION,
            }),
        ),
        ("EXTRA_WIDE_ATOM", atom(&"日".repeat(255))),
        (
            "EXTRA_EMPTY_BITS",
            Term::from(BitBinary::from(Binary::from(vec![]))),
        ),
        ("EXTRA_BIG_IN_I32", Term::from(BigInteger::from(-70_000))),
        ("EXTRA_DEEP", deep),
    ];
    for (name, term) in extras {
        std::fs::write(format!("{dir}/{name}.ours"), to_vec(&term).unwrap()).unwrap();
    }
}

// ----- hostile input --------------------------------------------------------

#[test]
fn every_prefix_of_every_vector_is_truncated() {
    for (name, bytes) in v::ALL {
        for cut in 0..bytes.len() {
            let prefix = &bytes[..cut];
            match term_len(prefix) {
                Err(EtfError::Truncated { .. }) => {}
                other => panic!("{name} cut at {cut}: {other:?}"),
            }
            assert!(decode(prefix).is_err(), "{name} cut at {cut}");
        }
    }
}

#[test]
fn huge_u32_lengths_are_refused_before_allocating() {
    let ff = [255, 255, 255, 255];
    for tag in [
        LIST_EXT,
        LARGE_TUPLE_EXT,
        MAP_EXT,
        BINARY_EXT,
        LARGE_BIG_EXT,
        FUN_EXT,
    ] {
        let mut bytes = vec![131, tag];
        bytes.extend_from_slice(&ff);
        bytes.extend_from_slice(&[0, 97, 1, 106]);
        let err = decode(&bytes).unwrap_err();
        assert!(matches!(err, EtfError::TooLarge { .. }), "tag {tag}: {err}");
    }
    let err = decode(&[131, BIT_BINARY_EXT, 255, 255, 255, 255, 8, 0]).unwrap_err();
    assert!(matches!(err, EtfError::TooLarge { .. }), "{err}");
    let err = decode(&[131, COMPRESSED, 255, 255, 255, 255, 0x78, 0x9c]).unwrap_err();
    assert!(matches!(err, EtfError::TooLarge { .. }), "{err}");
    // 16-bit lengths past the end of the buffer are plain truncation.
    let err = decode(&[131, STRING_EXT, 255, 255, 1]).unwrap_err();
    assert!(matches!(err, EtfError::Truncated { .. }), "{err}");
    let err = decode(&[131, NEWER_REFERENCE_EXT, 255, 255, 119, 1, 97]).unwrap_err();
    assert!(matches!(err, EtfError::Truncated { .. }), "{err}");

    // NEW_FUN_EXT: NumFree and Size fields of a real fun set to 0xFFFFFFFF.
    let mut fun = v::COMPILED_FUN.to_vec();
    fun[27..31].copy_from_slice(&ff);
    let err = decode(&fun).unwrap_err();
    assert!(matches!(err, EtfError::TooLarge { .. }), "{err}");
    let mut fun = v::COMPILED_FUN.to_vec();
    fun[2..6].copy_from_slice(&ff);
    let err = decode(&fun).unwrap_err();
    assert!(matches!(err, EtfError::FunSize { .. }), "{err}");
}

#[test]
fn atom_cache_refs_and_dist_headers_are_refused() {
    for bytes in [
        &[131, 82, 0][..],
        &[131, 104, 2, 97, 1, 82, 3],
        // A pid whose node is an atom cache reference.
        &[131, 88, 82, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0],
    ] {
        let err = decode(bytes).unwrap_err();
        assert!(
            matches!(err, EtfError::UnsupportedTag { tag: 82, .. }),
            "{err}"
        );
        assert!(err.to_string().contains("distribution header"), "{err}");
    }
    // After a header, references index its table, and no further.
    let atoms = [Atom::from("a"), Atom::from("b")];
    let (t, used) = decode_in(&[104, 2, 82, 1, 82, 0], AtomTable::List(&atoms)).unwrap();
    assert_eq!(used, 6);
    assert_eq!(
        t,
        Term::from(eetf::Tuple::from(vec![
            Term::from(atoms[1].clone()),
            Term::from(atoms[0].clone())
        ]))
    );
    for bytes in [
        &[82, 2][..],
        &[104, 1, 82, 2],
        &[88, 82, 9, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
    ] {
        let err = decode_in(bytes, AtomTable::List(&atoms)).unwrap_err();
        assert!(matches!(err, EtfError::AtomRef { refs: 2, .. }), "{err}");
        assert!(CheckedTerm::check_exact_in(bytes, AtomTable::List(&atoms)).is_err());
    }
    // Checked terms keep the atoms their references stand for.
    let c = CheckedTerm::check_exact_in(&[108, 0, 0, 0, 1, 82, 1, 106], AtomTable::List(&atoms))
        .unwrap();
    assert_eq!(
        c.build().unwrap(),
        Term::from(eetf::List::from(vec![Term::from(atoms[1].clone())]))
    );
    for bytes in [&[131, 68, 0, 0][..], &[131, 104, 1, 68, 0]] {
        let err = decode(bytes).unwrap_err();
        assert!(
            matches!(err, EtfError::UnsupportedTag { tag: 68, .. }),
            "{err}"
        );
    }
    let err = decode(&[131, 69, 0, 0, 0, 0]).unwrap_err();
    assert!(matches!(err, EtfError::UnsupportedTag { tag: 69, .. }));
    let err = decode(&[131, 121, 0]).unwrap_err();
    assert!(matches!(err, EtfError::UnsupportedTag { tag: 121, .. }));
    assert!(matches!(
        decode(&[130, 97, 1]),
        Err(EtfError::BadVersion(130))
    ));
    assert!(matches!(
        decode(&[]),
        Err(EtfError::Truncated { needed: 1, at: 0 })
    ));
}

/// Each atom cache reference built is a copy of its atom's text (up to 1020 bytes for 2
/// bytes of reference): a decode copies at most the text its caller allows, on the
/// one-pass path (a flat list) and the checked one (references inside tuples and pids)
/// alike, and takes what it copied off the allowance; a checked term counts what its
/// building will copy, and keeps a pointer per atom up to the highest it uses.
#[test]
fn atom_text_from_cache_references_is_held_to_the_budget() {
    // The longest atom: 255 characters of 4 bytes.
    let long = Atom::from("\u{1F600}".repeat(255));
    assert_eq!(long.name.len(), 1020);
    let atoms = [Atom::from("cap@vm"), long.clone(), Atom::from("ok")];
    // [long, ...] of 100 references: 206 bytes standing for 102 000 bytes of text.
    let mut flat = vec![108, 0, 0, 0, 100];
    for _ in 0..100 {
        flat.extend_from_slice(&[82, 1]);
    }
    flat.push(106);
    // [{long, <pid on node cap@vm, a reference>}, ...] of 100.
    let mut nested = vec![108, 0, 0, 0, 100];
    for _ in 0..100 {
        nested.extend_from_slice(&[104, 2, 82, 1, 88, 82, 0]);
        nested.extend_from_slice(&[0, 0, 0, 80, 0, 0, 0, 0, 0, 0, 0, 7]);
    }
    nested.push(106);
    for (bytes, text) in [(&flat, 102_000), (&nested, 102_600)] {
        let table = AtomTable::List(&atoms);
        let mut left = text + 5;
        let (term, used) = decode_in_within(bytes, table, &mut left).unwrap();
        assert_eq!((used, left), (bytes.len(), 5));
        assert_eq!(decode_in(bytes, table).unwrap().0, term);
        let mut left = text + 5;
        let checked = CheckedTerm::check_exact_in_within(bytes, table, &mut left).unwrap();
        assert_eq!(left, 5);
        assert_eq!(checked.build().unwrap(), term);
        // One byte short: refused, naming the limit, and nothing is taken off.
        let mut left = text - 1;
        let err = decode_in_within(bytes, table, &mut left).unwrap_err();
        assert!(
            matches!(err, EtfError::TooLarge { what: WHY_ATOM_TEXT, limit, .. } if limit == text - 1),
            "{err}"
        );
        assert!(
            err.to_string()
                .starts_with("atom text copied from atom cache references too large"),
            "{err}"
        );
        assert_eq!(left, text - 1);
        let err = CheckedTerm::check_exact_in_within(bytes, table, &mut left).unwrap_err();
        assert!(
            matches!(
                err,
                EtfError::TooLarge {
                    what: WHY_ATOM_TEXT,
                    ..
                }
            ),
            "{err}"
        );
    }
    // A lone reference (the one-pass builder's first leaf) is counted too.
    let mut left = 1019;
    assert!(decode_in_within(&[82, 1], AtomTable::List(&atoms), &mut left).is_err());
    let mut left = 1020;
    assert_eq!(
        decode_in_within(&[82, 1], AtomTable::List(&atoms), &mut left).unwrap(),
        (Term::from(long.clone()), 2)
    );
    assert_eq!(left, 0);

    // Text is counted only where the table's atoms could go over: 206 bytes hold at
    // most 103 references, which with atoms of 2 bytes stand for 206 bytes at most.
    let short = [Atom::from("ok"), Atom::from("no")];
    for (allowed, left_after) in [(206, Some(206)), (205, Some(5)), (199, None)] {
        let mut left = allowed;
        let checked = CheckedTerm::check_exact_in_within(&flat, (&short[..]).into(), &mut left);
        assert_eq!(checked.is_ok().then_some(left), left_after);
    }

    // A checked term shares the atoms instead of copying them: [ok, ok] holds its 11
    // bytes and three pointers.
    let shared: Vec<Arc<Atom>> = atoms.iter().cloned().map(Arc::new).collect();
    let mut left = usize::MAX;
    let with_refs = CheckedTerm::check_exact_in_within(
        &[108, 0, 0, 0, 2, 82, 2, 82, 2, 106],
        AtomTable::Shared(&shared),
        &mut left,
    )
    .unwrap();
    assert!(shared.iter().all(|a| Arc::strong_count(a) == 2));
    assert_eq!(
        with_refs.held_bytes(),
        std::mem::size_of::<CheckedTerm>() + 11 + 3 * std::mem::size_of::<Arc<Atom>>()
    );
    assert_eq!(
        with_refs.build().unwrap(),
        list(vec![atom("ok"), atom("ok")])
    );
    // A term without references keeps none.
    let without =
        CheckedTerm::check_exact_in(&[108, 0, 0, 0, 1, 97, 0, 106], (&shared).into()).unwrap();
    assert!(shared.iter().all(|a| Arc::strong_count(a) == 2));
    assert_eq!(without.held_bytes(), std::mem::size_of::<CheckedTerm>() + 9);
    drop(with_refs);
    assert!(shared.iter().all(|a| Arc::strong_count(a) == 1));
}

#[test]
fn bit_binaries_need_one_to_eight_tail_bits() {
    for bytes in [
        &[131, 77, 0, 0, 0, 1, 0, 255][..],
        &[131, 77, 0, 0, 0, 1, 9, 255],
        &[131, 77, 0, 0, 0, 0, 3],
    ] {
        let err = decode(bytes).unwrap_err();
        assert!(matches!(err, EtfError::BadBits { .. }), "{err}");
    }
    // OTP 25 accepts an empty bit string with 0 bits (binary_to_term gives <<>>).
    assert_eq!(expect_ok(&[131, 77, 0, 0, 0, 0, 0]), bits(&[], 0));
    // Junk below the tail bits is ignored, as OTP does (<<255:8>> with 3 bits is 7:3).
    assert_eq!(expect_ok(&[131, 77, 0, 0, 0, 1, 3, 255]), bits(&[7], 3));
}

fn nested(open: &[u8], close: &[u8], leaf: &[u8], levels: usize) -> Vec<u8> {
    let mut bytes = vec![131];
    for _ in 0..levels {
        bytes.extend_from_slice(open);
    }
    bytes.extend_from_slice(leaf);
    for _ in 0..levels {
        bytes.extend_from_slice(close);
    }
    bytes
}

/// Runs `f` on a thread with a 2 MiB stack, like a tokio worker.
fn on_small_stack(f: impl FnOnce() + Send + 'static) {
    std::thread::Builder::new()
        .stack_size(2 * 1024 * 1024)
        .spawn(f)
        .unwrap()
        .join()
        .unwrap();
}

#[test]
fn deep_nesting_is_too_deep_not_a_stack_overflow() {
    on_small_stack(|| {
        let shapes: [(&[u8], &[u8]); 4] = [
            (&[LIST_EXT, 0, 0, 0, 1], &[NIL_EXT]),
            (&[SMALL_TUPLE_EXT, 1], &[]),
            (&[MAP_EXT, 0, 0, 0, 1, SMALL_INTEGER_EXT, 1], &[]),
            // [ | [ | [ | ...]]]: LIST_EXT with no elements, nesting through the tail.
            (&[LIST_EXT, 0, 0, 0, 0], &[]),
        ];
        for (open, close) in shapes {
            let bytes = nested(open, close, &[NIL_EXT], 100_000);
            let err = decode(&bytes).unwrap_err();
            assert!(
                matches!(err, EtfError::TooDeep { limit: MAX_DEPTH }),
                "{err}"
            );
            assert!(term_len(&bytes).is_err());
        }
    });
}

#[test]
fn max_depth_terms_decode_encode_and_drop_on_a_2_mib_stack() {
    on_small_stack(|| {
        let shapes: [(&[u8], &[u8]); 3] = [
            (&[LIST_EXT, 0, 0, 0, 1], &[NIL_EXT]),
            (&[SMALL_TUPLE_EXT, 1], &[]),
            (&[MAP_EXT, 0, 0, 0, 1, SMALL_INTEGER_EXT, 1], &[]),
        ];
        for (open, close) in shapes {
            // The outermost term is level 1, the innermost leaf level MAX_DEPTH.
            let ok = nested(open, close, &[NIL_EXT], MAX_DEPTH - 1);
            let term = expect_ok(&ok);
            let again = to_vec(&term).unwrap();
            assert_eq!(expect_ok(&again), term);
            let deeper = nested(open, close, &[NIL_EXT], MAX_DEPTH);
            assert!(matches!(decode(&deeper), Err(EtfError::TooDeep { .. })));
            let too_deep = list(vec![term]);
            assert!(matches!(to_vec(&too_deep), Err(EtfError::TooDeep { .. })));
        }
    });
}

#[test]
fn term_count_is_bounded() {
    let mut bytes = vec![131, LIST_EXT];
    bytes.extend_from_slice(&(MAX_TERMS as u32).to_be_bytes());
    bytes.resize(bytes.len() + MAX_TERMS + 1, NIL_EXT);
    let err = term_len(&bytes).unwrap_err();
    assert!(
        matches!(
            err,
            EtfError::TooLarge {
                what: "number of terms",
                ..
            }
        ),
        "{err}"
    );
    // Two fewer elements fit (checked without decoding 8 Mi terms).
    let mut bytes = vec![131, LIST_EXT];
    bytes.extend_from_slice(&(MAX_TERMS as u32 - 2).to_be_bytes());
    bytes.resize(bytes.len() + MAX_TERMS - 1, NIL_EXT);
    assert_eq!(term_len(&bytes).unwrap(), bytes.len());
}

/// Tuples, lists and maps of plain leaves are built in one pass, without the
/// scanner: whatever that pass cannot vouch for still gets the full check.
#[test]
fn flat_containers_are_checked_like_the_rest() {
    let nan = f64::NAN.to_be_bytes();
    let mut bad_float = vec![131, SMALL_TUPLE_EXT, 2, 97, 1, NEW_FLOAT_EXT];
    bad_float.extend_from_slice(&nan);
    assert!(matches!(decode(&bad_float), Err(EtfError::Invalid { .. })));
    // More elements declared than the bytes hold; a count near u32::MAX.
    let short = [131, LIST_EXT, 0, 0, 0, 9, 97, 1, 97, 2, NIL_EXT];
    assert!(matches!(decode(&short), Err(EtfError::Truncated { .. })));
    let huge = [131, MAP_EXT, 255, 255, 255, 255, 97, 1, 97, 2];
    assert!(decode(&huge).is_err());
    // Atoms that are not UTF-8.
    let bad_atom = [131, SMALL_TUPLE_EXT, 1, SMALL_ATOM_UTF8_EXT, 1, 0xff];
    assert!(matches!(decode(&bad_atom), Err(EtfError::Invalid { .. })));
    // A flat list whose tail is not [].
    let improper = [131, LIST_EXT, 0, 0, 0, 1, 119, 1, b'a', 119, 1, b'b'];
    assert_eq!(
        decode_exact(&improper).unwrap(),
        Term::ImproperList(eetf::ImproperList {
            elements: vec![atom("a")],
            last: Box::new(atom("b")),
        })
    );
    // Empty containers, and a real vector (a 300-integer tuple).
    assert_eq!(
        decode_exact(&[131, SMALL_TUPLE_EXT, 0]).unwrap(),
        tuple(vec![])
    );
    assert_eq!(
        decode_exact(&[131, MAP_EXT, 0, 0, 0, 0]).unwrap(),
        map(vec![])
    );
    assert_eq!(
        decode_exact(v::LARGE_TUPLE).unwrap(),
        tuple((1..=300).map(int).collect())
    );
}

/// Lists of integers take the scanner's fast path: the limit holds there too.
#[test]
fn term_count_is_bounded_for_integer_runs() {
    let ints = |count: usize| {
        let mut bytes = vec![131, LIST_EXT];
        bytes.extend_from_slice(&(count as u32).to_be_bytes());
        for i in 0..count {
            bytes.extend_from_slice(&[SMALL_INTEGER_EXT, i as u8]);
        }
        bytes.push(NIL_EXT);
        bytes
    };
    let err = term_len(&ints(MAX_TERMS)).unwrap_err();
    assert!(
        matches!(
            err,
            EtfError::TooLarge {
                what: "number of terms",
                len,
                ..
            } if len == MAX_TERMS + 1
        ),
        "{err}"
    );
    let fits = ints(MAX_TERMS - 2);
    assert_eq!(term_len(&fits).unwrap(), fits.len());
}

/// Runs of integers end at the container's end, at a list's tail, at the end of
/// the bytes, and at anything that is not an integer.
#[test]
fn integer_runs_stop_where_they_should() {
    // {1, 300, {2}, 3} then trailing bytes that look like integers.
    let bytes = [
        131,
        SMALL_TUPLE_EXT,
        4,
        97,
        1,
        98,
        0,
        0,
        1,
        44,
        104,
        1,
        97,
        2,
        97,
        3,
        97,
        9,
        97,
        9,
    ];
    let (term, len) = decode(&bytes).unwrap();
    assert_eq!(len, bytes.len() - 4);
    assert_eq!(
        term,
        tuple(vec![int(1), int(300), tuple(vec![int(2)]), int(3)])
    );
    // [1, 2 | 3] as OTP writes it (the tail is an integer too).
    let improper = [131, LIST_EXT, 0, 0, 0, 2, 97, 1, 97, 2, 97, 3];
    let term = decode_exact(&improper).unwrap();
    assert_eq!(
        term,
        Term::ImproperList(eetf::ImproperList {
            elements: vec![int(1), int(2)],
            last: Box::new(int(3)),
        })
    );
    // A list that claims more integers than the bytes hold, cut inside one.
    let mut cut = vec![131, LIST_EXT, 0, 0, 0, 3, 97, 1, 98, 0, 0];
    assert!(matches!(decode(&cut), Err(EtfError::Truncated { .. })));
    cut.truncate(8);
    assert!(matches!(decode(&cut), Err(EtfError::Truncated { .. })));
    // Negative INTEGER_EXT values, and a run broken by an atom.
    let mixed = [
        131, LIST_EXT, 0, 0, 0, 3, 98, 255, 255, 255, 255, 119, 1, b'a', 97, 7, NIL_EXT,
    ];
    assert_eq!(
        decode_exact(&mixed).unwrap(),
        list(vec![int(-1), atom("a"), int(7)])
    );
}

#[test]
fn atoms_floats_bigs_pids_and_maps_are_validated() {
    let mut long = vec![131, ATOM_EXT, 1, 0];
    long.extend_from_slice(&[b'a'; 256]);
    assert!(matches!(
        decode(&long),
        Err(EtfError::TooLarge { len: 256, .. })
    ));
    let mut long = vec![131, ATOM_UTF8_EXT, 1, 0];
    long.extend_from_slice(&[b'a'; 256]);
    assert!(matches!(
        decode(&long),
        Err(EtfError::TooLarge { len: 256, .. })
    ));
    // 255 three-byte characters is a legal atom (OTP 25 accepts it).
    let mut wide = vec![131, ATOM_UTF8_EXT, 2, 253];
    wide.extend_from_slice("日".repeat(255).as_bytes());
    assert_eq!(expect_ok(&wide), atom(&"日".repeat(255)));
    assert!(matches!(
        decode(&[131, SMALL_ATOM_UTF8_EXT, 1, 255]),
        Err(EtfError::Invalid { what: "atom", .. })
    ));
    // NaN, and FLOAT_EXT text that is not a number.
    assert!(matches!(
        decode(&[131, NEW_FLOAT_EXT, 127, 248, 0, 0, 0, 0, 0, 0]),
        Err(EtfError::Invalid { .. })
    ));
    let mut junk = vec![131, FLOAT_EXT];
    junk.extend_from_slice(b"1.5abc");
    junk.resize(2 + 31, 0);
    assert!(matches!(decode(&junk), Err(EtfError::Invalid { .. })));
    // Big integer sign byte 2; LARGE_BIG over the limit.
    assert!(matches!(
        decode(&[131, SMALL_BIG_EXT, 1, 2, 5]),
        Err(EtfError::Invalid { .. })
    ));
    let mut big = vec![131, LARGE_BIG_EXT];
    big.extend_from_slice(&(MAX_BIG_BYTES as u32 + 1).to_be_bytes());
    big.push(0);
    big.resize(big.len() + MAX_BIG_BYTES + 1, 1);
    assert!(matches!(decode(&big), Err(EtfError::TooLarge { .. })));
    // A pid whose node is not an atom (OTP refuses it too).
    assert!(matches!(
        decode(&[131, NEW_PID_EXT, 97, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0]),
        Err(EtfError::UnexpectedTag { tag: 97, .. })
    ));
    // Export arity out of range.
    let mut export = vec![131, EXPORT_EXT, 119, 1, b'm', 119, 1, b'f', INTEGER_EXT];
    export.extend_from_slice(&256i32.to_be_bytes());
    assert!(matches!(decode(&export), Err(EtfError::Invalid { .. })));
    // #{1 => 2, 1 => 3}: OTP's binary_to_term refuses it; eetf would keep one entry.
    let dup = [131, MAP_EXT, 0, 0, 0, 2, 97, 1, 97, 2, 97, 1, 97, 3];
    assert!(matches!(
        decode(&dup),
        Err(EtfError::DuplicateMapKeys {
            declared: 2,
            distinct: 1
        })
    ));
    // A real fun with its Size field off by one.
    let mut fun = v::COMPILED_FUN.to_vec();
    fun[5] += 1;
    assert!(matches!(decode(&fun), Err(EtfError::FunSize { .. })));
    // A compressed term anywhere but the top.
    assert!(matches!(
        decode(&[131, SMALL_TUPLE_EXT, 1, COMPRESSED, 0, 0, 0, 1]),
        Err(EtfError::UnsupportedTag { tag: 80, .. })
    ));
}

fn zlib(data: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
    z.write_all(data).unwrap();
    z.finish().unwrap()
}

fn compressed(declared: u32, inflated: &[u8]) -> Vec<u8> {
    let mut bytes = vec![131, COMPRESSED];
    bytes.extend_from_slice(&declared.to_be_bytes());
    bytes.extend_from_slice(&zlib(inflated));
    bytes
}

#[test]
fn compressed_terms_are_bounded_and_checked() {
    // Declared size must be exact.
    let body = [SMALL_TUPLE_EXT, 2, 97, 1, 97, 2];
    assert_eq!(
        expect_ok(&compressed(6, &body)),
        tuple(vec![int(1), int(2)])
    );
    for declared in [5, 7] {
        let err = decode(&compressed(declared, &body)).unwrap_err();
        assert!(matches!(err, EtfError::Compressed(_)), "{err}");
    }
    // A bomb: 8 MiB of zeros claiming to be 1 KiB stops after 1 KiB.
    let mut zeros = vec![BINARY_EXT];
    zeros.extend_from_slice(&(8u32 << 20).to_be_bytes());
    zeros.resize(5 + (8 << 20), 0);
    let bomb = compressed(1024, &zeros);
    assert!(bomb.len() < 64 * 1024);
    let err = decode(&bomb).unwrap_err();
    assert!(matches!(err, EtfError::Compressed(_)), "{err}");
    // The inflated bytes must be exactly one term.
    let err = decode(&compressed(4, &[97, 1, 97, 2])).unwrap_err();
    assert!(matches!(err, EtfError::Compressed(_)), "{err}");
    let err = decode(&compressed(4, &[104, 2, 97, 1])).unwrap_err();
    assert!(matches!(err, EtfError::Compressed(_)), "{err}");
    // ...and not a compressed term or a dist header again.
    let inner = compressed(2, &[97, 1]);
    let err = decode(&compressed(inner.len() as u32 - 1, &inner[1..])).unwrap_err();
    assert!(
        matches!(err, EtfError::UnsupportedTag { tag: 80, .. }),
        "{err}"
    );
    // A corrupt Adler-32 checksum in a real compressed term.
    let mut bad = v::COMPRESSED_ATOMS.to_vec();
    *bad.last_mut().unwrap() ^= 1;
    let err = decode(&bad).unwrap_err();
    assert!(matches!(err, EtfError::Compressed(_)), "{err}");
    // Over the inflated-size limit.
    let err = decode(&compressed(MAX_INFLATED_BYTES as u32 + 1, &body)).unwrap_err();
    assert!(matches!(err, EtfError::TooLarge { .. }), "{err}");
}

/// A small deterministic generator (xorshift64*), so failures reproduce.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// Decodes hostile bytes; whatever comes out must re-encode without panicking,
/// and what we encode must decode again.
fn poke(bytes: &[u8]) {
    let _ = term_len(bytes);
    if let Ok((term, len)) = decode(bytes) {
        assert!(len <= bytes.len());
        if let Ok(again) = to_vec(&term) {
            match decode_exact(&again) {
                // eetf tells apart terms that OTP (and our encoder) do not, e.g. a
                // STRING_EXT and a LIST_EXT of the same bytes used as two map keys.
                Ok(_) | Err(EtfError::DuplicateMapKeys { .. }) => {}
                Err(e) => panic!("our encoding of {term:?} does not decode: {e}"),
            }
        }
    }
}

#[test]
fn random_garbage_never_panics() {
    const TAGS: &[u8] = &[
        68, 69, 70, 77, 80, 82, 88, 89, 90, 97, 98, 99, 100, 101, 102, 103, 104, 105, 106, 107,
        108, 109, 110, 111, 112, 113, 114, 115, 116, 117, 118, 119, 120,
    ];
    let mut rng = Rng(0x00C0_FFEE_D15E_A5E5);
    for _ in 0..20_000 {
        let len = rng.below(48);
        let mut bytes = Vec::with_capacity(len + 1);
        if rng.below(8) != 0 {
            bytes.push(VERSION);
        }
        for _ in 0..len {
            let b = match rng.below(4) {
                0 | 1 => TAGS[rng.below(TAGS.len())],
                2 => [0, 1, 2, 3, 255][rng.below(5)],
                _ => rng.next() as u8,
            };
            bytes.push(b);
        }
        poke(&bytes);
    }
}

#[test]
fn flipped_bytes_in_real_vectors_never_panic() {
    let mut rng = Rng(0x5EED_0FF1);
    for (_, bytes) in v::ALL {
        let step = bytes.len() / 400 + 1;
        let mut copy = bytes.to_vec();
        for pos in (1..bytes.len()).step_by(step) {
            let original = copy[pos];
            for b in [original ^ 0x01, original ^ 0x80, 0, 255, rng.next() as u8] {
                copy[pos] = b;
                poke(&copy);
            }
            copy[pos] = original;
        }
    }
}

// ----- encoding ---------------------------------------------------------------

#[test]
fn encoder_fixes_what_eetf_gets_wrong() {
    // [-1, 2]: eetf's encoder sends STRING_EXT [255, 2]; ours matches OTP's bytes.
    let neg = list(vec![int(-1), int(2)]);
    let mut eetf_bytes = Vec::new();
    neg.encode(&mut eetf_bytes).unwrap();
    assert_ne!(eetf_bytes, v::NEG_STRINGISH);
    assert_eq!(to_vec(&neg).unwrap(), v::NEG_STRINGISH);

    // A byte list too long for STRING_EXT's 16-bit length.
    let long: Vec<u8> = (0..70_000u32).map(|i| i as u8).collect();
    let encoded = to_vec(&Term::from(ByteList::from(long.clone()))).unwrap();
    assert_eq!(
        expect_ok(&encoded),
        list(long.iter().map(|&b| int(i32::from(b))).collect())
    );

    // Big integers that fit 32 bits go out as OTP would send them.
    assert_eq!(
        to_vec(&Term::from(BigInteger::from(5))).unwrap(),
        [131, 97, 5]
    );
    assert_eq!(
        to_vec(&Term::from(BigInteger::from(-70_000))).unwrap(),
        to_vec(&int(-70_000)).unwrap()
    );

    // Ports with 64-bit ids use V4_PORT_EXT.
    let port = Term::from(Port {
        node: Atom::from(CAP),
        id: 1 << 40,
        creation: CAP_CREATION,
    });
    let encoded = to_vec(&port).unwrap();
    assert_eq!(encoded[1], V4_PORT_EXT);
    assert_eq!(expect_ok(&encoded), port);

    // `[ | Tail]` with no elements is the tail itself.
    let bare = Term::from(ImproperList::from((vec![], atom("x"))));
    assert_eq!(expect_ok(&to_vec(&bare).unwrap()), atom("x"));

    // An empty bit string built from an empty Binary (8 tail bits in eetf).
    let empty = Term::from(BitBinary::from(Binary::from(vec![])));
    assert_eq!(to_vec(&empty).unwrap(), [131, 77, 0, 0, 0, 0, 0]);
}

#[test]
fn encoder_refuses_what_otp_would_refuse() {
    let refused = [
        atom(&"a".repeat(256)),
        float(f64::NAN),
        float(f64::INFINITY),
        bits(&[1], 0),
        bits(&[1], 9),
        bits(&[0xFF], 3),
        bits(&[], 3),
        Term::from(Reference {
            node: Atom::from(CAP),
            id: vec![1; 6],
            creation: 0,
        }),
        Term::from(InternalFun::Old {
            module: Atom::from("m"),
            pid: cap_pid(1),
            free_vars: vec![],
            index: 0,
            uniq: 0,
        }),
    ];
    for term in refused {
        let mut out = vec![1, 2, 3];
        let err = encode(&tuple(vec![term.clone()]), &mut out).unwrap_err();
        assert!(matches!(err, EtfError::Encode(_)), "{term:?}: {err}");
        assert_eq!(out, [1, 2, 3], "output left as it was");
    }
    // 255 characters is fine, even at 3 bytes each.
    let wide = atom(&"日".repeat(255));
    assert_eq!(expect_ok(&to_vec(&wide).unwrap()), wide);
}

/// `#{#{a=>1,b=>2} => x, #{b=>2,a=>1} => y}`: the key `#{a=>1,b=>2}` twice, its entries
/// in two orders, spliced from OTP 25's `term_to_binary` of each part (OTP itself never
/// writes such a map). OTP 25's `binary_to_term` refuses it with badarg, every time.
const OTP_DUP_MAP_KEYS: &[u8] = &[
    131, 116, 0, 0, 0, 2, 116, 0, 0, 0, 2, 100, 0, 1, 97, 97, 1, 100, 0, 1, 98, 97, 2, 100, 0, 1,
    120, 116, 0, 0, 0, 2, 100, 0, 1, 98, 97, 2, 100, 0, 1, 97, 97, 1, 100, 0, 1, 121,
];
/// The same with both keys' entries in OTP's order (also refused by OTP 25).
const OTP_DUP_MAP_KEYS_SAME_ORDER: &[u8] = &[
    131, 116, 0, 0, 0, 2, 116, 0, 0, 0, 2, 100, 0, 1, 97, 97, 1, 100, 0, 1, 98, 97, 2, 100, 0, 1,
    120, 116, 0, 0, 0, 2, 100, 0, 1, 97, 97, 1, 100, 0, 1, 98, 97, 2, 100, 0, 1, 121,
];
/// `term_to_binary(#{#{a=>1,b=>2} => x, #{a=>1,b=>3} => y})` (OTP 25): distinct keys.
const OTP_MAP_KEYS: &[u8] = &[
    131, 116, 0, 0, 0, 2, 116, 0, 0, 0, 2, 100, 0, 1, 97, 97, 1, 100, 0, 1, 98, 97, 2, 100, 0, 1,
    120, 116, 0, 0, 0, 2, 100, 0, 1, 97, 97, 1, 100, 0, 1, 98, 97, 3, 100, 0, 1, 121,
];
/// `#{0.0 => x, -0.0 => y}` (NEW_FLOAT_EXT keys): OTP 25 refuses it (0.0 =:= -0.0).
const OTP_DUP_ZERO_KEYS: &[u8] = &[
    131, 116, 0, 0, 0, 2, 70, 0, 0, 0, 0, 0, 0, 0, 0, 100, 0, 1, 120, 70, 128, 0, 0, 0, 0, 0, 0, 0,
    100, 0, 1, 121,
];

/// Equal maps used as keys are found whatever order a `HashMap` keeps their entries
/// in (eetf hashes a map in iteration order, so a hash-based check missed about half).
#[test]
fn maps_with_equal_map_keys_are_refused_every_time() {
    for dup in [
        OTP_DUP_MAP_KEYS,
        OTP_DUP_MAP_KEYS_SAME_ORDER,
        OTP_DUP_ZERO_KEYS,
    ] {
        // Each decode builds new HashMaps with new random hash keys.
        for _ in 0..300 {
            assert!(
                matches!(decode(dup), Err(EtfError::DuplicateMapKeys { .. })),
                "{dup:?}"
            );
            let checked = CheckedTerm::check_exact(dup).unwrap();
            assert!(matches!(
                checked.build(),
                Err(EtfError::DuplicateMapKeys { .. })
            ));
        }
    }
    // Nested one level deeper, inside a tuple, the same.
    let mut nested = vec![131, 104, 1];
    nested.extend_from_slice(&OTP_DUP_MAP_KEYS[1..]);
    for _ in 0..300 {
        assert!(decode(&nested).is_err());
    }
    let ok = decode_exact(OTP_MAP_KEYS).unwrap();
    let Term::Map(m) = ok else { panic!() };
    assert_eq!(m.map.len(), 2);
}

/// `term_to_binary(lists:duplicate(100000, 1), [compressed])` (OTP 25): 232 bytes that
/// build 100001 terms (5.6 MB of eetf terms). Bytes 32..225 are all zero.
fn otp_compressed_ones() -> Vec<u8> {
    let mut v = vec![
        131, 80, 0, 3, 13, 70, 120, 156, 237, 194, 49, 13, 0, 48, 8, 0, 176, 33, 117, 47, 65, 7,
        58, 144, 138, 6, 254, 166, 173, 23, 61, 63,
    ];
    v.resize(225, 0);
    v.extend_from_slice(&[128, 171, 92, 129, 55, 147, 249]);
    v
}

/// From a peer, a compressed term builds no more than one term and inflates to no
/// more than 16 bytes per byte received; locally, OTP's compressed terms decode.
#[test]
fn wire_limits_bound_compressed_terms_by_the_bytes_received() {
    let ones = otp_compressed_ones();
    assert_eq!(ones.len(), 232);
    let (term, _) = decode(&ones).unwrap();
    assert!(matches!(&term, Term::List(l) if l.elements.len() == 100_000));
    match decode_with(&ones, Limits::WIRE) {
        Err(EtfError::TooLarge {
            len: 200_006,
            limit,
            ..
        }) => assert_eq!(limit, 232 * 16),
        other => panic!("{other:?}"),
    }
    assert!(CheckedTerm::check_exact_with(&ones, Limits::WIRE).is_err());
    // Within the inflate ratio but with more terms than bytes: 101 terms in 28 bytes.
    assert!(decode(v::COMPRESSED_ATOMS).is_ok());
    match decode_with(v::COMPRESSED_ATOMS, Limits::WIRE) {
        Err(EtfError::TooLarge {
            what: "number of terms",
            limit,
            ..
        }) => assert_eq!(limit, v::COMPRESSED_ATOMS.len()),
        other => panic!("{other:?}"),
    }
    // Uncompressed terms are never affected: each term takes a byte at least.
    for (name, bytes) in v::ALL {
        if bytes.get(1) != Some(&80) {
            assert_eq!(
                decode_with(bytes, Limits::WIRE).ok().map(|t| t.0),
                decode(bytes).ok().map(|t| t.0),
                "{name}"
            );
        }
    }
}

#[test]
fn a_native_record_is_refused_with_its_own_reason() {
    // OTP 29.1: R = records:create(test, a, [{x,1},{y,2}], #{is_exported => true}),
    // term_to_binary(R); OTP 29 sends a record so to any peer.
    let rec = [
        131, 67, 0, 0, 0, 2, 1, 119, 4, 116, 101, 115, 116, 119, 1, 97, 119, 1, 120, 119, 1, 121,
        97, 1, 97, 2,
    ];
    let err = decode(&rec).unwrap_err();
    assert!(
        matches!(err, EtfError::UnsupportedTag { tag: 67, at: 1, .. }),
        "{err}"
    );
    assert!(err.to_string().contains("native record"), "{err}");
    // term_to_binary({rec, R}) of the same record.
    let in_tuple = [
        131, 104, 2, 119, 3, 114, 101, 99, 67, 0, 0, 0, 2, 1, 119, 4, 116, 101, 115, 116, 119, 1,
        97, 119, 1, 120, 119, 1, 121, 97, 1, 97, 2,
    ];
    let err = CheckedTerm::check_exact(&in_tuple).unwrap_err();
    assert!(
        matches!(err, EtfError::UnsupportedTag { tag: 67, .. }),
        "{err}"
    );
}

/// Found by the `etf` fuzz target: an empty STRING_EXT decoded to an empty `ByteList`,
/// which re-encodes as NIL_EXT and so decodes to another value. OTP 25 reads
/// `<<131,107,0,0>>` as `[]` and writes `[]` back as `<<131,106>>`.
#[test]
fn an_empty_string_ext_is_nil() {
    assert_eq!(
        decode_exact(&[131, 107, 0, 0]).unwrap(),
        Term::List(eetf::List::nil())
    );
    let checked = CheckedTerm::check_exact(&[131, 107, 0, 0]).unwrap();
    assert_eq!(checked.build().unwrap(), Term::List(eetf::List::nil()));
    assert_eq!(
        to_vec(&decode_exact(&[131, 107, 0, 0]).unwrap()).unwrap(),
        [131, 106]
    );
}

/// Found by the `etf` fuzz target: a big integer holding a small value decoded to a
/// `BigInteger`, which re-encodes as a small integer and so decodes to another value.
/// OTP 25: `binary_to_term(<<131,110,1,0,5>>)` is `5`, `<<131,110,0,0>>` is written back as
/// `<<131,97,0>>`, and `<<131,110,4,1,0,0,0,128>>` is `-2147483648`.
#[test]
fn a_big_integer_with_a_small_value_is_a_small_integer() {
    let int = |value| Term::FixInteger(eetf::FixInteger { value });
    assert_eq!(decode_exact(&[131, 110, 1, 0, 5]).unwrap(), int(5));
    assert_eq!(decode_exact(&[131, 110, 0, 0]).unwrap(), int(0));
    assert_eq!(
        decode_exact(&[131, 110, 4, 1, 0, 0, 0, 128]).unwrap(),
        int(i32::MIN)
    );
    assert_eq!(
        to_vec(&decode_exact(&[131, 110, 0, 0]).unwrap()).unwrap(),
        [131, 97, 0]
    );
    // One past i32 stays big.
    assert!(matches!(
        decode_exact(&[131, 110, 4, 0, 0, 0, 0, 128]).unwrap(),
        Term::BigInteger(_)
    ));
}

/// Found by the `etf` fuzz target: a LIST_EXT with no elements and a tail that is not `[]`
/// decoded to an improper list with no elements. OTP 25 reads
/// `<<131,108,0,0,0,0,100,0,0>>` as `''` and `<<131,108,0,0,0,0,97,5>>` as `5`.
#[test]
fn a_list_ext_with_no_elements_is_its_tail() {
    assert_eq!(
        decode_exact(&[131, 108, 0, 0, 0, 0, 100, 0, 0]).unwrap(),
        Term::Atom(eetf::Atom::from(""))
    );
    assert_eq!(
        decode_exact(&[131, 108, 0, 0, 0, 0, 97, 5]).unwrap(),
        Term::FixInteger(eetf::FixInteger { value: 5 })
    );
}
