use super::*;
use crate::term::print::{inspect, term_cmp};
use std::cmp::Ordering;

fn p(src: &str) -> Term {
    match parse_term(src) {
        Ok(t) => t,
        Err(e) => panic!("{src:?}: {e}"),
    }
}

fn err(src: &str) -> String {
    match parse_term(src) {
        Ok(t) => panic!("{src:?} parsed as {t:?}"),
        Err(e) => e.to_string(),
    }
}

fn int(v: i32) -> Term {
    small(v)
}

fn bin(b: &[u8]) -> Term {
    Term::from(eetf::Binary::from(b))
}

fn tuple(v: Vec<Term>) -> Term {
    Term::from(eetf::Tuple::from(v))
}

fn map(v: Vec<(Term, Term)>) -> Term {
    Term::from(eetf::Map {
        map: v.into_iter().collect(),
    })
}

#[test]
fn atoms_and_aliases() {
    assert_eq!(p(":foo"), atom("foo"));
    assert_eq!(p(":\"with space\""), atom("with space"));
    assert_eq!(p(":'single'"), atom("single"));
    assert_eq!(p("true"), atom("true"));
    assert_eq!(p("nil"), atom("nil"));
    assert_eq!(p("Foo.Bar"), atom("Elixir.Foo.Bar"));
    assert_eq!(p("Elixir"), atom("Elixir"));
    assert_eq!(p("Elixir.Foo"), atom("Elixir.Foo"));
    assert_eq!(p(":Foo"), atom("Foo"));
    assert_eq!(p(":+"), atom("+"));
    assert_eq!(p(":..//"), atom("..//"));
    assert_eq!(p(":..."), atom("..."));
    assert_eq!(p(":\\\\"), atom("\\\\"));
    assert_eq!(p(":a?"), atom("a?"));
    assert_eq!(p(":a@b"), atom("a@b"));
    assert_eq!(p(":日本"), atom("日本"));
    assert_eq!(p(":a·b"), atom("a·b"));
    assert_eq!(
        p(":\"\\x80\\u{FEFF}\\x{FFFE}\""),
        atom("\u{80}\u{FEFF}\u{FFFE}")
    );
}

#[test]
fn numbers() {
    assert_eq!(p("0"), int(0));
    assert_eq!(p("-5"), int(-5));
    assert_eq!(p("1_000"), int(1000));
    assert_eq!(p("0x1F"), int(31));
    assert_eq!(p("0o17"), int(15));
    assert_eq!(p("0b101"), int(5));
    assert_eq!(p("?a"), int(97));
    assert_eq!(p("?\\n"), int(10));
    assert_eq!(p("2147483647"), int(i32::MAX));
    assert_eq!(p("-2147483648"), int(i32::MIN));
    assert_eq!(
        p("2147483648"),
        Term::from(eetf::BigInteger::from(2147483648i64))
    );
    assert_eq!(
        p("-9223372036854775808"),
        Term::from(eetf::BigInteger::from(i64::MIN))
    );
    // 2^64, and a big negative one, checked through their printed form.
    assert_eq!(inspect(&p("18446744073709551616")), "18446744073709551616");
    assert_eq!(
        inspect(&p("-12_345_678_901_234_567_890_123")),
        "-12345678901234567890123"
    );
    assert_eq!(
        inspect(&p("0xFFFFFFFFFFFFFFFFFF")),
        "4722366482869645213695"
    );
    assert_eq!(p("1.5"), Term::from(eetf::Float { value: 1.5 }));
    assert_eq!(p("-2.0e3"), Term::from(eetf::Float { value: -2000.0 }));
    assert_eq!(p("1.0e-5"), Term::from(eetf::Float { value: 1.0e-5 }));
    assert_eq!(p("1_0.2_5"), Term::from(eetf::Float { value: 10.25 }));
}

#[test]
fn strings_and_charlists() {
    assert_eq!(p("\"\""), bin(b""));
    assert_eq!(p("\"héllo\""), bin("héllo".as_bytes()));
    assert_eq!(
        p(r#""\n\t\"\\\u{1F600}\xFF\e\#{x}\s""#),
        bin(b"\n\t\"\\\xF0\x9F\x98\x80\xFF\x1B#{x} ")
    );
    assert_eq!(p("\"a\\\nb\""), bin(b"ab"));
    assert_eq!(p("\"\\x{FF}\""), bin("\u{FF}".as_bytes()));
    assert_eq!(p("'abc'"), list_of(vec![int(97), int(98), int(99)]));
    assert_eq!(p("'é'"), list_of(vec![int(233)]));
    assert_eq!(p("''"), list_of(vec![]));
}

#[test]
fn collections() {
    assert_eq!(p("{}"), tuple(vec![]));
    assert_eq!(p("{:a, 1}"), tuple(vec![atom("a"), int(1)]));
    assert_eq!(p("[1, 2,]"), list_of(vec![int(1), int(2)]));
    assert_eq!(p("[1 | 2]"), improper(vec![int(1)], int(2)));
    assert_eq!(p("[1 | [2, 3]]"), list_of(vec![int(1), int(2), int(3)]));
    assert_eq!(p("[1 | [2 | 3]]"), improper(vec![int(1), int(2)], int(3)));
    assert_eq!(
        p("[a: 1, b: \"x\"]"),
        list_of(vec![
            tuple(vec![atom("a"), int(1)]),
            tuple(vec![atom("b"), bin(b"x")])
        ])
    );
    assert_eq!(
        p("[1, \"with space\": 2, nil: 3, +: 4, Foo: 5]"),
        list_of(vec![
            int(1),
            tuple(vec![atom("with space"), int(2)]),
            tuple(vec![atom("nil"), int(3)]),
            tuple(vec![atom("+"), int(4)]),
            tuple(vec![atom("Foo"), int(5)]),
        ])
    );
    assert_eq!(
        p("%{a: 1, \"k\" => 2, {1,2} => [3]}"),
        map(vec![
            (atom("a"), int(1)),
            (bin(b"k"), int(2)),
            (tuple(vec![int(1), int(2)]), list_of(vec![int(3)])),
        ])
    );
    assert_eq!(p("%{}"), map(vec![]));
    assert_eq!(p("%{a: 1, a: 2}"), map(vec![(atom("a"), int(2))]));
    assert_eq!(
        p(" # comment\n {:ok,\n  # another\n  :x} # trailing\n"),
        tuple(vec![atom("ok"), atom("x")])
    );
}

#[test]
fn binaries() {
    assert_eq!(p("<<>>"), bin(b""));
    assert_eq!(p("<<1, 2, 255>>"), bin(&[1, 2, 255]));
    assert_eq!(p("<<\"ab\", 0, \"c\"::binary>>"), bin(b"ab\0c"));
    assert_eq!(p("<<1::16>>"), bin(&[0, 1]));
    assert_eq!(p("<<?a, 1::size(8)>>"), bin(&[97, 1]));
    // eetf keeps trailing bits right-aligned in the last byte.
    assert_eq!(
        p("<<1::size(3)>>"),
        Term::from(eetf::BitBinary::from((vec![1], 3)))
    );
    assert_eq!(
        p("<<255, 2::size(4)>>"),
        Term::from(eetf::BitBinary::from((vec![255, 2], 4)))
    );
    assert_eq!(
        p("<<1::1, 1::8>>"),
        Term::from(eetf::BitBinary::from((vec![0x80, 1], 1)))
    );
}

#[test]
fn error_positions_and_messages() {
    assert_eq!(err("%{ab: }"), "1:7: unexpected `}`, expected a term");
    assert_eq!(
        err("{:a, :b"),
        "1:8: unexpected end of input, expected `,` or `}`"
    );
    assert_eq!(
        err("[1, 2}"),
        "1:6: unexpected `}`, expected `,`, `|` or `]`"
    );
    assert_eq!(err(":a :b"), "1:4: unexpected `:` after the term");
    assert_eq!(
        err("{\n  1,\n  @\n}"),
        "3:3: unexpected `@`, expected a term"
    );
    assert_eq!(err(""), "1:1: unexpected end of input, expected a term");
    assert_eq!(
        err("foo"),
        "1:1: unexpected identifier `foo`, expected a term (atoms are written `:foo`)"
    );
    assert_eq!(
        err("[1, \"abc"),
        "1:5: missing terminator `\"` for the string starting here"
    );
    assert_eq!(
        err("\"a#{b}\""),
        "1:3: string interpolation is not supported (write `\\#{` for a literal `#{`)"
    );
    assert_eq!(err("%{1 2}"), "1:5: unexpected `2`, expected `=>`");
    assert_eq!(
        err("[a: 1, 2]"),
        "1:8: unexpected term after a keyword pair; keyword pairs must come last in a list"
    );
    assert_eq!(err("1_"), "1:2: unexpected `_`, expected a digit");
    assert_eq!(err("0xG"), "1:3: unexpected `G`, expected a digit");
    assert_eq!(err("<<256>>"), "1:3: 256 does not fit in 8 bits");
    assert_eq!(
        err("<<1::size(99999999)>>"),
        "1:3: segment size is larger than 1048576 bits"
    );
    assert_eq!(err("%Foo[]"), "1:5: expected `{` after the struct's name");
    assert_eq!(err("%[]"), "1:2: expected `{` or a struct name after `%`");
    assert_eq!(
        parse_term("%URI{host: \"x\"}").unwrap(),
        parse_term("%{__struct__: URI, host: \"x\"}").unwrap()
    );
    assert_eq!(err("1.0e999"), "1:1: float `1.0e999` is out of range");
    assert_eq!(
        err("foo.Bar"),
        "1:1: unexpected identifier `foo`, expected a term (atoms are written `:foo`)"
    );
    assert_eq!(err("Foo.bar"), "1:4: unexpected `.` after the term");
    assert_eq!(err(":\"\\u{D800}\""), "1:3: invalid code point U+D800");
    // Positions count characters, not bytes.
    assert_eq!(err("\"é\" }"), "1:5: unexpected `}` after the term");
}

#[test]
fn limits() {
    let ok = format!("{}{}", "[".repeat(MAX_DEPTH), "]".repeat(MAX_DEPTH));
    assert!(parse_term(&ok).is_ok());
    let deep = format!("{}{}", "[".repeat(MAX_DEPTH + 1), "]".repeat(MAX_DEPTH + 1));
    assert_eq!(
        parse_term(&deep).unwrap_err().to_string(),
        format!("1:{}: nesting deeper than 256", MAX_DEPTH + 1)
    );
    // Unbalanced openers far beyond the limit stop at the limit too.
    assert!(parse_term(&"{".repeat(100_000)).is_err());
    let digits = "9".repeat(MAX_INTEGER_DIGITS + 1);
    assert_eq!(
        parse_term(&digits).unwrap_err().to_string(),
        "1:1: number has more than 4096 digits"
    );
    assert!(parse_term(&"9".repeat(MAX_INTEGER_DIGITS)).is_ok());
    let huge = " ".repeat(MAX_INPUT + 1);
    assert!(parse_term(&huge).is_err());
    assert!(parse_term(&format!(":\"{}\"", "a".repeat(256))).is_err());
}

/// Every `inspect/1` output Elixir 1.14 printed in the inspect vectors
/// (except pids, references, ports, funs and `...`-truncated ones) reads
/// back to the term Elixir encoded.
#[test]
fn reads_what_elixir_prints() {
    use crate::term::print::tests::{VECTORS, decode_hex};
    let mut checked = 0;
    for (hex, printed) in VECTORS {
        let skip = ["#PID", "#Reference", "#Port", "#Function", "&", "..."];
        if skip.iter().any(|s| printed.contains(s)) && !printed.starts_with(":") {
            continue;
        }
        // term_cmp, not ==: eetf hashes maps in iteration order, so
        // maps used as map keys do not reliably compare equal with ==.
        let want = decode_hex(hex);
        let got = p(printed);
        assert_eq!(term_cmp(&got, &want), Ordering::Equal, "{printed}");
        checked += 1;
    }
    assert!(checked > 150, "{checked}");
}

/// A tiny deterministic generator (xorshift64*), so the round trip test
/// needs no extra dependency.
struct Gen(u64);

impl Gen {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    fn pick<'a, T>(&mut self, xs: &'a [T]) -> &'a T {
        &xs[self.below(xs.len() as u64) as usize]
    }

    fn atom_name(&mut self) -> String {
        const NAMES: &[&str] = &[
            "foo",
            "with space",
            "Elixir.Foo",
            "Elixir.Foo.Bar",
            "Elixir",
            "Elixir.foo",
            "Elixir.Elixir",
            "Foo",
            "nil",
            "true",
            "false",
            "+",
            "::",
            "//",
            "=>",
            "..//",
            "...",
            "\\\\",
            "<<>>",
            "%{}",
            "a?",
            "b!",
            "a@b",
            "olá",
            "日本",
            "Ωmega",
            "",
            "\"",
            "'",
            "a\nb",
            "\u{80}",
            "\u{FEFF}",
            "\u{FFFE}",
            "#{",
            "x\u{300}",
            "µ",
            "Yµ",
            "a·b",
            "__struct__",
            "1a",
            "é",
            "한국a",
        ];
        if self.below(4) == 0 {
            let pool: Vec<char> = "aZ_9@?!. \"\\#{}éß日ひ한ωж·\u{300}\u{1}\u{7F}\u{A0}"
                .chars()
                .collect();
            (0..self.below(6)).map(|_| *self.pick(&pool)).collect()
        } else {
            self.pick(NAMES).to_string()
        }
    }

    fn bytes(&mut self) -> Vec<u8> {
        let n = self.below(12) as usize;
        match self.below(3) {
            0 => (0..n).map(|_| self.next() as u8).collect(),
            1 => {
                let pool: Vec<char> = "ab \n\t\"\\#{é日😀\u{7F}\u{FEFF}\u{2028}'"
                    .chars()
                    .collect();
                let s: String = (0..n).map(|_| *self.pick(&pool)).collect();
                s.into_bytes()
            }
            _ => b"hello".to_vec(),
        }
    }

    fn term(&mut self, depth: u32, key: bool) -> Term {
        let leaf = depth == 0 || self.below(3) == 0;
        // No maps inside map keys: eetf hashes a map in its HashMap's
        // iteration order, so equal maps used as keys may not compare
        // equal.
        let kind = match (leaf, key) {
            (true, _) => self.below(8),
            (false, false) => 8 + self.below(6),
            (false, true) => 8 + self.below(4),
        };
        match kind {
            0 => atom(self.atom_name()),
            1 => small(self.next() as i32 >> self.below(31)),
            2 => {
                let v = self.next() as i64;
                if i32::try_from(v).is_ok() {
                    small(v as i32)
                } else {
                    Term::from(eetf::BigInteger::from(v))
                }
            }
            3 => loop {
                let v = f64::from_bits(self.next());
                if v.is_finite() {
                    break Term::from(eetf::Float { value: v });
                }
            },
            4 => bin(&self.bytes()),
            5 => {
                let mut bytes = self.bytes();
                let bits = 1 + self.below(7) as u8;
                bytes.push(self.next() as u8 & ((1 << bits) - 1));
                Term::from(eetf::BitBinary::from((bytes, bits)))
            }
            6 if !key => Term::from(eetf::ByteList::from(self.bytes())),
            6 | 7 => list_of(vec![]),
            8 => tuple(
                (0..self.below(4))
                    .map(|_| self.term(depth - 1, key))
                    .collect(),
            ),
            9 => list_of(
                (0..self.below(4))
                    .map(|_| self.term(depth - 1, key))
                    .collect(),
            ),
            10 => {
                let elements: Vec<Term> = (0..1 + self.below(3))
                    .map(|_| self.term(depth - 1, key))
                    .collect();
                let mut last = self.term(depth - 1, key);
                while matches!(
                    last,
                    Term::List(_) | Term::ByteList(_) | Term::ImproperList(_)
                ) {
                    last = small(0);
                }
                improper(elements, last)
            }
            11 => list_of(
                (0..self.below(4))
                    .map(|_| tuple(vec![atom(self.atom_name()), self.term(depth - 1, key)]))
                    .collect(),
            ),
            12 => {
                let n = self.below(5);
                let entries = (0..n)
                    .map(|_| (self.term(depth - 1, true), self.term(depth - 1, key)))
                    .collect();
                map(entries)
            }
            _ => map((0..self.below(4))
                .map(|_| (atom(self.atom_name()), self.term(depth - 1, key)))
                .collect()),
        }
    }
}

#[test]
fn round_trips_through_inspect() {
    let mut g = Gen(0x9E37_79B9_7F4A_7C15);
    for _ in 0..3000 {
        let t = g.term(4, false);
        let printed = inspect(&t);
        let back = match parse_term(&printed) {
            Ok(b) => b,
            Err(e) => panic!("{printed}\n{e}\n{t:?}"),
        };
        assert_eq!(normalize(&back), normalize(&t), "{printed}");
        assert_eq!(term_cmp(&back, &t), Ordering::Equal, "{printed}");
    }
}
