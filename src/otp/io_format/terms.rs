//! The pieces io_lib writes terms from: list shapes, atoms and their quoting, strings, and floats.

use super::*;

pub(super) enum Tail<'a> {
    Nil,
    Improper(&'a Term),
}

/// A list's elements (a STRING_EXT widened to integers) and its tail; None if
/// `t` is not a list.
pub(super) fn list_parts(t: &Term) -> Option<(Vec<Cow<'_, Term>>, Tail<'_>)> {
    let mut items = Vec::new();
    let mut cur = t;
    loop {
        match cur {
            Term::List(l) => {
                items.extend(l.elements.iter().map(Cow::Borrowed));
                return Some((items, Tail::Nil));
            }
            Term::ByteList(b) => {
                items.extend(
                    b.bytes
                        .iter()
                        .map(|&c| Cow::Owned(Term::FixInteger(i32::from(c).into()))),
                );
                return Some((items, Tail::Nil));
            }
            Term::ImproperList(l) => {
                items.extend(l.elements.iter().map(Cow::Borrowed));
                cur = &l.last;
            }
            other if std::ptr::eq(other, t) => return None,
            other => return Some((items, Tail::Improper(other))),
        }
    }
}

pub(super) fn is_list(t: &Term) -> bool {
    matches!(t, Term::List(_) | Term::ByteList(_) | Term::ImproperList(_))
}

pub(super) fn is_nil(t: &Term) -> bool {
    match t {
        Term::List(l) => l.elements.is_empty(),
        Term::ByteList(b) => b.bytes.is_empty(),
        _ => false,
    }
}

pub(super) fn small_int(t: &Term) -> Option<i64> {
    term::as_int(t)
}

/// The bytes of a bitstring and the number of bits used in the last byte
/// (8 for a binary). None for other terms.
pub(super) fn bits(t: &Term) -> Option<(&[u8], u8)> {
    match t {
        Term::Binary(b) => Some((&b.bytes, 8)),
        Term::BitBinary(b) if b.tail_bits_size == 0 => {
            Some((&b.bytes[..b.bytes.len().saturating_sub(1)], 8))
        }
        Term::BitBinary(b) if b.bytes.is_empty() => Some((&b.bytes, 8)),
        Term::BitBinary(b) => Some((&b.bytes, b.tail_bits_size.min(8))),
        _ => None,
    }
}

pub(super) fn sorted_map(m: &eetf::Map) -> Vec<(&Term, &Term)> {
    let mut v: Vec<(&Term, &Term)> = m.map.iter().collect();
    v.sort_by(|a, b| term_cmp(a.0, b.0));
    v
}

// ------------------------------------------------------------ atoms, strings

pub(super) const RESERVED: [&str; 28] = [
    "after", "and", "andalso", "band", "begin", "bnot", "bor", "bsl", "bsr", "bxor", "case",
    "catch", "cond", "div", "end", "fun", "if", "let", "not", "of", "or", "orelse", "receive",
    "rem", "try", "when", "xor", "query",
];

pub(super) fn lower_start(c: char) -> bool {
    c.is_ascii_lowercase() || (('\u{df}'..='\u{ff}').contains(&c) && c != '\u{f7}')
}

pub(super) fn name_char(c: char) -> bool {
    lower_start(c)
        || c.is_ascii_uppercase()
        || (('\u{c0}'..='\u{de}').contains(&c) && c != '\u{d7}')
        || c.is_ascii_digit()
        || c == '_'
        || c == '@'
}

/// Words reserved from OTP 27 on, where the `maybe` expression is on by default.
pub(super) const RESERVED_SINCE_27: [&str; 2] = ["maybe", "else"];

pub(super) fn needs_quotes(name: &str, release: u32) -> bool {
    // `query` stopped being reserved long ago; OTP 25 leaves it bare.
    if RESERVED[..27].contains(&name) || (release >= 27 && RESERVED_SINCE_27.contains(&name)) {
        return true;
    }
    let mut cs = name.chars();
    match cs.next() {
        Some(c) if lower_start(c) => !cs.all(name_char),
        _ => true,
    }
}

/// An atom as Erlang writes it, quoted when needed. With `Latin1`, code
/// points above 255 are written `\x{...}` (as `~p` does); with `Unicode`
/// (`~tp`) they are written as they are.
pub fn write_atom(name: &str, enc: Encoding) -> String {
    write_atom_for(name, enc, 25)
}

/// [`write_atom`] as OTP `release` writes it.
pub(super) fn write_atom_for(name: &str, enc: Encoding, release: u32) -> String {
    if needs_quotes(name, release) {
        let mut s = String::with_capacity(name.len() + 2);
        quote_into(&mut s, name.chars(), '\'', enc);
        s
    } else {
        name.to_owned()
    }
}

pub(super) fn quote_into(
    out: &mut String,
    chars: impl Iterator<Item = char>,
    q: char,
    enc: Encoding,
) {
    out.push(q);
    for c in chars {
        string_char(out, c, q, enc);
    }
    out.push(q);
}

pub(super) fn string_char(out: &mut String, c: char, q: char, enc: Encoding) {
    let n = u32::from(c);
    match c {
        _ if c == q => {
            out.push('\\');
            out.push(c);
        }
        '\\' => out.push_str("\\\\"),
        ' '..='~' => out.push(c),
        _ if n >= 0xa0 && (n <= 0xff || enc == Encoding::Unicode) => out.push(c),
        _ if n > 0xff => {
            let _ = write!(out, "\\x{{{n:X}}}");
        }
        '\n' => out.push_str("\\n"),
        '\r' => out.push_str("\\r"),
        '\t' => out.push_str("\\t"),
        '\u{b}' => out.push_str("\\v"),
        '\u{8}' => out.push_str("\\b"),
        '\u{c}' => out.push_str("\\f"),
        '\u{1b}' => out.push_str("\\e"),
        '\u{7f}' => out.push_str("\\d"),
        _ => {
            let _ = write!(out, "\\{:o}{:o}{:o}", n >> 6, (n >> 3) & 7, n & 7);
        }
    }
}

pub(super) fn printable_latin1(c: i64) -> bool {
    (0x20..=0x7e).contains(&c) || (0xa0..=0xff).contains(&c) || matches!(c, 8..=13 | 27)
}

/// The characters of a flat list of printable Latin-1 code points.
pub(super) fn printable_list(items: &[Cow<'_, Term>]) -> Option<Vec<char>> {
    items
        .iter()
        .map(|t| {
            small_int(t)
                .filter(|&c| printable_latin1(c))
                .and_then(|c| char::from_u32(c as u32))
        })
        .collect()
}

pub(super) fn quoted_string(chars: &[char], enc: Encoding) -> String {
    let mut s = String::with_capacity(chars.len() + 2);
    quote_into(&mut s, chars.iter().copied(), '"', enc);
    s
}

// ------------------------------------------------------------------ floats

/// A float as `io_lib:write/1` prints it (`float_to_list(F, [short])`): the
/// shortest digits that read back to it, in decimal notation unless the
/// scientific form is shorter or the magnitude is 2^53 or more.
pub fn format_float(v: f64) -> String {
    if !v.is_finite() {
        return format!("{v}");
    }
    let mut sci = format!("{v:e}");
    // Rust's shortest digits break an exact tie upwards, OTP's to the even
    // digit: the correctly rounded (half-even) digits of the same length win
    // when they read back to the same float.
    let n = sci
        .split('e')
        .next()
        .unwrap_or("")
        .bytes()
        .filter(u8::is_ascii_digit)
        .count();
    let even = format!("{:.*e}", n.saturating_sub(1), v);
    if even.parse::<f64>().ok() == Some(v) {
        sci = even;
    }
    let (sign, sci) = match sci.strip_prefix('-') {
        Some(s) => ("-", s),
        None => ("", sci.as_str()),
    };
    let (mantissa, exp) = sci.split_once('e').unwrap_or((sci, "0"));
    let exp: i64 = exp.parse().unwrap_or(0);
    let digits: String = mantissa.chars().filter(|c| *c != '.').collect();
    let scientific = {
        let (head, tail) = digits.split_at(1);
        let tail = if tail.is_empty() { "0" } else { tail };
        format!("{sign}{head}.{tail}e{exp}")
    };
    let decimal = if exp >= 0 {
        let int_len = exp as usize + 1;
        if digits.len() <= int_len {
            format!("{sign}{digits}{}.0", "0".repeat(int_len - digits.len()))
        } else {
            let (int, frac) = digits.split_at(int_len);
            format!("{sign}{int}.{frac}")
        }
    } else {
        format!("{sign}0.{}{digits}", "0".repeat((-exp - 1) as usize))
    };
    if decimal.len() <= scientific.len() && v.abs() < 9_007_199_254_740_992.0 {
        decimal
    } else {
        scientific
    }
}
