//! Erlang's `io_lib:format` control sequences and Erlang-syntax term printing (`~w`, `~p`), as OTP 25 prints them.
//!
//! - [`write_term`] is `io_lib:write/2` (`~w`, `~W`): one line, no string detection.
//! - [`print_term`] is `io_lib_pretty:print/2` (`~p`, `~P`): strings and printable
//!   binaries detected, and terms longer than the line broken over lines the way
//!   OTP 25 lays them out (lists packed while atomic elements fit, tagged tuples
//!   indented past the tag, map values under their key, binaries wrapped).
//! - [`format`] / [`format_with`] are `io_lib:format/2`: `~p ~P ~w ~W ~s ~c ~e ~f ~g
//!   ~b ~B ~x ~X ~+ ~# ~i ~n ~~` with field width, precision, pad character, `*`
//!   arguments and the `t` / `l` modifiers; any error is `error:badarg`, as in OTP.
//! - [`crash_report`] is the error report BEAM prints for a process that died of
//!   an error after a remote spawn.
//!
//! Every expected output in the tests was printed by a real OTP 25 node.
//!
//! Known differences from OTP 25:
//! - The printable range is always `latin1` (OTP's default, `+pc latin1`): a
//!   list or binary with code points above 255 never prints as a string, also
//!   under `~tp`. A node started with `+pc unicode` would print it as one.
//! - Records are not known, so tuples never print as `#rec{...}` (as from
//!   `io_lib:format`, which has no record definitions either).
//! - Maps print in term order, which is what OTP 25 does for maps of up to 32
//!   keys; bigger maps print there in internal hash order.
//! - `chars_limit` (`io_lib:format/3`) is not implemented.
//! - Pids, ports and references of other nodes print their node as a stable
//!   number derived from the node name ([`crate::term::print::node_index`]); OTP
//!   prints an index into its own node table there.
//! - Terms nested deeper than [`MAX_NESTING`] print `...` below that level.
//! - Truncation of `~s` with a precision counts code points, not grapheme
//!   clusters (OTP's `string:slice/3` keeps combining marks with their base).
//! - Timestamps in [`crash_report`] are in UTC (OTP uses local time; the same
//!   when the host's zone is UTC).

use super::rpc::Exception;
use crate::proto::etf::MapOrders;
use crate::term;
use crate::term::print::{InspectOpts, node_index, term_cmp};
use eetf::Term;
use std::borrow::Cow;
use std::fmt::Write as _;
use std::sync::Arc;

/// Deepest nesting printed; below it a term prints as `...`.
pub const MAX_NESTING: usize = 512;

/// Longest output a single `format` call may produce (guards `~999999999c`).
const MAX_OUTPUT_CHARS: usize = 64 * 1024 * 1024;

/// Character encoding of a control sequence (`~p` is latin1, `~tp` unicode).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    Latin1,
    Unicode,
}

/// How pids, ports and references name their node, and how maps order their keys.
#[derive(Debug, Clone, Default)]
pub struct PrintOpts {
    /// Terms of this node print node number 0, as on the node itself.
    pub local_node: Option<String>,
    /// The order the keys of each map came in, when the term came from a peer: the order
    /// the sender itself iterates (and prints) that map in.
    pub wire: Option<Arc<MapOrders>>,
    /// The OTP release of the node the output is for, when known: before OTP 26 the `k` and
    /// `K` modifiers are refused, as that node's own `io_lib` refuses them; from OTP 27 on
    /// the atoms `maybe` and `else` are quoted. Unknown: OTP 25's output, with `k` and `K`.
    pub otp_release: Option<u32>,
    /// `maps:iterator_order()` of the control sequence (`k`, `K`).
    pub maps_order: MapsOrder,
}

impl PrintOpts {
    pub fn local(node: &str) -> Self {
        PrintOpts {
            local_node: Some(node.to_owned()),
            ..PrintOpts::default()
        }
    }

    /// An atom as that node writes it (OTP 27 and later also quote `maybe` and `else`).
    fn atom(&self, name: &str, enc: Encoding) -> String {
        write_atom_for(name, enc, self.otp_release.unwrap_or(25))
    }
}

/// How `~p` and `~w` order a map's keys (OTP 26's `maps:iterator_order()`): `undefined`
/// unless a control sequence has the `k` (`ordered`) or `K` modifier.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum MapsOrder {
    /// The map's own order: for a map from a peer the order the peer iterates it in (the
    /// order it sent the keys in, reversed for maps over 32 keys, as OTP 25 to 29 do);
    /// otherwise term order.
    #[default]
    Undefined,
    /// Keys in term order, integers before floats (`ordered`, `~kp`).
    Ordered,
    /// Keys in reverse term order (`~Kp` with `reversed`).
    Reversed,
    /// An order this node cannot apply (`~Kp` with a fun, or not an order): printing a
    /// map under it fails, as the fun or `maps:iterator/2` would on the node itself.
    Unusable,
}

/// Maps with more keys than this are hash maps in OTP, iterated in the reverse of the
/// order their encoding lists them in (seen on OTP 25.2, 27.3 and 29.1).
const FLATMAP_MAX_KEYS: usize = 32;

/// The entries of `m` in the order `opts` asks for.
fn map_entries<'m>(m: &'m eetf::Map, opts: &PrintOpts) -> Vec<(&'m Term, &'m Term)> {
    match opts.maps_order {
        // An unusable order never gets here (see `Formatter::opts_for`).
        MapsOrder::Ordered | MapsOrder::Unusable => sorted_map(m),
        MapsOrder::Reversed => {
            let mut v = sorted_map(m);
            v.reverse();
            v
        }
        MapsOrder::Undefined => match opts.wire.as_ref().and_then(|w| w.entries(m)) {
            Some(mut v) => {
                if v.len() > FLATMAP_MAX_KEYS {
                    v.reverse();
                }
                v
            }
            None => sorted_map(m),
        },
    }
}

/// Erlang syntax for a term, as `io_lib:format("~p", [T])` prints it at
/// column 1 (one line when it fits in 80 columns).
#[cfg(test)]
pub fn erlang_term(t: &Term) -> String {
    print_term(t, -1, 1, 80, Encoding::Latin1, true, &PrintOpts::default())
}

/// Formats `fmt` with `args` as `io_lib:format/2` does; the result is UTF-8.
/// Pids of every node print with a non-zero node number (see [`format_with`]).
#[cfg(test)]
pub fn format(fmt: &Term, args: &Term) -> Result<Vec<u8>, Exception> {
    format_with(fmt, args, &PrintOpts::default())
}

/// [`format`] with `opts` saying which node is local.
pub fn format_with(fmt: &Term, args: &Term, opts: &PrintOpts) -> Result<Vec<u8>, Exception> {
    let fail = || Exception {
        stack: term::list(vec![term::tuple(vec![
            term::atom("io_lib"),
            term::atom("format"),
            term::list(vec![fmt.clone(), args.clone()]),
            term::nil(),
        ])]),
        ..Exception::badarg()
    };
    let pieces = scan_format(fmt).ok_or_else(fail)?;
    // The arguments are borrowed, not copied: `opts.wire` knows their maps by address.
    let args = match list_parts(args) {
        Some((items, Tail::Nil)) => items,
        _ => return Err(fail()),
    };
    let mut f = Formatter {
        out: String::new(),
        col: 0,
        opts,
    };
    f.run(&pieces, &args).map_err(|()| fail())?;
    Ok(f.out.into_bytes())
}

/// The report BEAM's logger prints on the spawner's node for a process that a
/// remote node spawned here and that died of an error:
///
/// ```text
/// =ERROR REPORT==== 22-Nov-2026::14:14:01.718972 ===
/// Error in process <8605.90.0> on node bb@vm with exit value:
/// {undef,[{nope,nope,[],[]}]}
///
/// ```
///
/// `node_name` is the node the process ran on (ours); the pid prints as the
/// spawner sees it, a pid of another node.
pub fn crash_report(node_name: &str, pid: &eetf::Pid, reason: &Term) -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    crash_report_at(node_name, pid, reason, now)
}

/// [`crash_report`] with the pid already written as the reader's node writes it.
pub fn crash_report_for(node_name: &str, pid_text: &str, reason: &Term) -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    crash_report_text(node_name, pid_text, reason, now)
}

fn crash_report_at(
    node_name: &str,
    pid: &eetf::Pid,
    reason: &Term,
    since_epoch: std::time::Duration,
) -> String {
    let pid_text = write_term(&term::pid(pid), -1, Encoding::Latin1, &PrintOpts::default());
    crash_report_text(node_name, &pid_text, reason, since_epoch)
}

fn crash_report_text(
    node_name: &str,
    pid_text: &str,
    reason: &Term,
    since_epoch: std::time::Duration,
) -> String {
    let opts = PrintOpts::default();
    let mut s = String::new();
    let _ = writeln!(s, "=ERROR REPORT==== {} ===", timestamp(since_epoch));
    let _ = writeln!(
        s,
        "Error in process {pid_text} on node {} with exit value:",
        write_atom(node_name, Encoding::Latin1),
    );
    s.push_str(&print_term(
        reason,
        -1,
        1,
        80,
        Encoding::Latin1,
        true,
        &opts,
    ));
    s.push_str("\n\n");
    s
}

/// `DD-Mon-YYYY::HH:MM:SS.micro` in UTC, as logger's legacy header prints it.
fn timestamp(since_epoch: std::time::Duration) -> String {
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let secs = since_epoch.as_secs();
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    // Civil date from days since 1970-01-01 (proleptic Gregorian calendar).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{:02}-{}-{}::{:02}:{:02}:{:02}.{:06}",
        day,
        MONTHS[(month - 1) as usize],
        year,
        rem / 3600,
        rem / 60 % 60,
        rem % 60,
        since_epoch.subsec_micros()
    )
}

// ------------------------------------------------------------------ lists

enum Tail<'a> {
    Nil,
    Improper(&'a Term),
}

/// A list's elements (a STRING_EXT widened to integers) and its tail; None if
/// `t` is not a list.
fn list_parts(t: &Term) -> Option<(Vec<Cow<'_, Term>>, Tail<'_>)> {
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

fn is_list(t: &Term) -> bool {
    matches!(t, Term::List(_) | Term::ByteList(_) | Term::ImproperList(_))
}

fn is_nil(t: &Term) -> bool {
    match t {
        Term::List(l) => l.elements.is_empty(),
        Term::ByteList(b) => b.bytes.is_empty(),
        _ => false,
    }
}

fn small_int(t: &Term) -> Option<i64> {
    term::as_int(t)
}

/// The bytes of a bitstring and the number of bits used in the last byte
/// (8 for a binary). None for other terms.
fn bits(t: &Term) -> Option<(&[u8], u8)> {
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

fn sorted_map(m: &eetf::Map) -> Vec<(&Term, &Term)> {
    let mut v: Vec<(&Term, &Term)> = m.map.iter().collect();
    v.sort_by(|a, b| term_cmp(a.0, b.0));
    v
}

// ------------------------------------------------------------ atoms, strings

const RESERVED: [&str; 28] = [
    "after", "and", "andalso", "band", "begin", "bnot", "bor", "bsl", "bsr", "bxor", "case",
    "catch", "cond", "div", "end", "fun", "if", "let", "not", "of", "or", "orelse", "receive",
    "rem", "try", "when", "xor", "query",
];

fn lower_start(c: char) -> bool {
    c.is_ascii_lowercase() || (('\u{df}'..='\u{ff}').contains(&c) && c != '\u{f7}')
}

fn name_char(c: char) -> bool {
    lower_start(c)
        || c.is_ascii_uppercase()
        || (('\u{c0}'..='\u{de}').contains(&c) && c != '\u{d7}')
        || c.is_ascii_digit()
        || c == '_'
        || c == '@'
}

/// Words reserved from OTP 27 on, where the `maybe` expression is on by default.
const RESERVED_SINCE_27: [&str; 2] = ["maybe", "else"];

fn needs_quotes(name: &str, release: u32) -> bool {
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
fn write_atom_for(name: &str, enc: Encoding, release: u32) -> String {
    if needs_quotes(name, release) {
        let mut s = String::with_capacity(name.len() + 2);
        quote_into(&mut s, name.chars(), '\'', enc);
        s
    } else {
        name.to_owned()
    }
}

fn quote_into(out: &mut String, chars: impl Iterator<Item = char>, q: char, enc: Encoding) {
    out.push(q);
    for c in chars {
        string_char(out, c, q, enc);
    }
    out.push(q);
}

fn string_char(out: &mut String, c: char, q: char, enc: Encoding) {
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

fn printable_latin1(c: i64) -> bool {
    (0x20..=0x7e).contains(&c) || (0xa0..=0xff).contains(&c) || matches!(c, 8..=13 | 27)
}

/// The characters of a flat list of printable Latin-1 code points.
fn printable_list(items: &[Cow<'_, Term>]) -> Option<Vec<char>> {
    items
        .iter()
        .map(|t| {
            small_int(t)
                .filter(|&c| printable_latin1(c))
                .and_then(|c| char::from_u32(c as u32))
        })
        .collect()
}

fn quoted_string(chars: &[char], enc: Encoding) -> String {
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

// -------------------------------------------------------------- io_lib:write

/// A term as `io_lib:write(T, [{depth, Depth}, {encoding, Enc}])` writes it
/// (`~w` / `~W`); `depth` < 0 is unlimited.
pub fn write_term(t: &Term, depth: i64, enc: Encoding, opts: &PrintOpts) -> String {
    let mut out = String::new();
    Writer { enc, opts }.write(&mut out, t, depth, 0);
    out
}

struct Writer<'a> {
    enc: Encoding,
    opts: &'a PrintOpts,
}

impl Writer<'_> {
    fn node_number(&self, node: &str) -> u32 {
        node_index(
            node,
            &InspectOpts {
                local_node: self.opts.local_node.clone(),
                ..InspectOpts::default()
            },
        )
    }

    fn write(&self, out: &mut String, t: &Term, d: i64, nest: usize) {
        if d == 0 || nest >= MAX_NESTING {
            out.push_str("...");
            return;
        }
        match t {
            Term::FixInteger(i) => {
                let _ = write!(out, "{}", i.value);
            }
            Term::BigInteger(i) => {
                let _ = write!(out, "{}", i.value);
            }
            Term::Float(f) => out.push_str(&format_float(f.value)),
            Term::Atom(a) => out.push_str(&self.opts.atom(&a.name, self.enc)),
            Term::Pid(p) => {
                let n = self.node_number(&p.node.name);
                let _ = write!(out, "<{}.{}.{}>", n, p.id, p.serial);
            }
            Term::Port(p) => {
                let n = self.node_number(&p.node.name);
                let _ = write!(out, "#Port<{}.{}>", n, p.id);
            }
            Term::Reference(r) => {
                let _ = write!(out, "#Ref<{}", self.node_number(&r.node.name));
                for id in r.id.iter().rev() {
                    let _ = write!(out, ".{id}");
                }
                out.push('>');
            }
            Term::ExternalFun(f) => {
                let _ = write!(
                    out,
                    "fun {}:{}/{}",
                    self.opts.atom(&f.module.name, self.enc),
                    self.opts.atom(&f.function.name, self.enc),
                    f.arity
                );
            }
            Term::InternalFun(f) => match f.as_ref() {
                eetf::InternalFun::New {
                    module,
                    index,
                    old_uniq,
                    ..
                } => {
                    let _ = write!(out, "#Fun<{}.{}.{}>", module.name, index, old_uniq);
                }
                eetf::InternalFun::Old {
                    module,
                    index,
                    uniq,
                    ..
                } => {
                    let _ = write!(out, "#Fun<{}.{}.{}>", module.name, index, uniq);
                }
            },
            Term::Binary(_) | Term::BitBinary(_) => {
                let items = binary_items(t, d);
                out.push_str("<<");
                out.push_str(&items.join(","));
                out.push_str(">>");
            }
            Term::List(_) | Term::ByteList(_) | Term::ImproperList(_) => {
                let Some((items, tail)) = list_parts(t) else {
                    return;
                };
                if items.is_empty() {
                    out.push_str("[]");
                    return;
                }
                if d == 1 {
                    out.push_str("[...]");
                    return;
                }
                out.push('[');
                let mut d = d - 1;
                for (i, e) in items.iter().enumerate() {
                    if i > 0 {
                        if d == 1 {
                            out.push_str("|...");
                            out.push(']');
                            return;
                        }
                        out.push(',');
                        self.write(out, e, d - 1, nest + 1);
                        d -= 1;
                    } else {
                        self.write(out, e, d, nest + 1);
                    }
                }
                if let Tail::Improper(last) = tail {
                    if d == 1 {
                        out.push_str("|...");
                    } else {
                        out.push('|');
                        self.write(out, last, d - 1, nest + 1);
                    }
                }
                out.push(']');
            }
            Term::Tuple(tu) => {
                if tu.elements.is_empty() {
                    out.push_str("{}");
                    return;
                }
                if d == 1 {
                    out.push_str("{...}");
                    return;
                }
                out.push('{');
                let mut d = d - 1;
                self.write(out, &tu.elements[0], d, nest + 1);
                for e in &tu.elements[1..] {
                    if d == 1 {
                        out.push_str(",...");
                        break;
                    }
                    out.push(',');
                    self.write(out, e, d - 1, nest + 1);
                    d -= 1;
                }
                out.push('}');
            }
            // OTP 25 writes a map at depth 1 as `#{}`, and `,...` whenever
            // the depth runs out after the first pair, even at the last one.
            Term::Map(_) if d == 1 => out.push_str("#{}"),
            Term::Map(m) => {
                out.push_str("#{");
                let d0 = d - 1;
                let mut d = d0;
                for (i, (k, v)) in map_entries(m, self.opts).into_iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    self.write(out, k, d0, nest + 1);
                    out.push_str(" => ");
                    self.write(out, v, d0, nest + 1);
                    if i > 0 {
                        d -= 1;
                    }
                    if d == 1 {
                        out.push_str(",...");
                        break;
                    }
                }
                out.push('}');
            }
        }
    }
}

/// `io_lib:write_binary/2`'s pieces: one decimal per byte, `Value:Bits` for a
/// partial last byte, `...` where the depth runs out.
fn binary_items(t: &Term, d: i64) -> Vec<String> {
    let Some((bytes, last_bits)) = bits(t) else {
        return Vec::new();
    };
    let mut items = Vec::new();
    let mut d = d;
    let n = bytes.len();
    for (i, &b) in bytes.iter().enumerate() {
        if d == 1 {
            items.push("...".to_owned());
            break;
        }
        if i + 1 == n && last_bits < 8 {
            // eetf keeps the last byte's bits right-aligned.
            items.push(format!("{b}:{last_bits}"));
        } else {
            items.push(b.to_string());
        }
        d -= 1;
    }
    items
}

// ------------------------------------------------------- io_lib_pretty:print

/// The intermediate form: each piece knows its one-line length.
struct If {
    kind: Kind,
    len: i64,
}

enum Kind {
    Leaf(String),
    /// A non-printable bitstring, as `io_lib:write_binary` pieces.
    Bin(Vec<String>),
    List(Seq),
    Tuple(bool, Seq),
    Map(Seq),
    Pair(Box<If>, Box<If>),
}

enum SeqTail {
    Nil,
    Dots,
    Improper(Box<If>),
}

struct Seq {
    items: Vec<If>,
    tail: SeqTail,
}

impl Seq {
    /// The one-line length with `open_close` bracket characters.
    fn len(&self, open_close: i64) -> i64 {
        let mut len = open_close;
        let mut n = 0;
        for e in &self.items {
            len += e.len;
            n += 1;
        }
        match &self.tail {
            SeqTail::Nil => {}
            SeqTail::Dots => {
                len += 3;
                n += 1;
            }
            SeqTail::Improper(e) => {
                len += e.len;
                n += 1;
            }
        }
        len + (n - 1).max(0)
    }
}

fn leaf(s: String) -> If {
    let len = s.chars().count() as i64;
    If {
        kind: Kind::Leaf(s),
        len,
    }
}

impl If {
    /// `?ATM`: written as plain characters (not a container, not a binary).
    fn atomic(&self) -> bool {
        matches!(self.kind, Kind::Leaf(_))
    }
    fn atomic_pair(&self) -> bool {
        match &self.kind {
            Kind::Pair(k, v) => k.atomic() && v.atomic(),
            _ => false,
        }
    }
}

/// A term as `io_lib_pretty:print/2` prints it (`~p` / `~P`): `depth` < 0 is
/// unlimited, `col` the column it starts at (1-based), `line_len` the line
/// length (0: never break), `strings` false for `~lp`.
pub fn print_term(
    t: &Term,
    depth: i64,
    col: i64,
    line_len: i64,
    enc: Encoding,
    strings: bool,
    opts: &PrintOpts,
) -> String {
    if depth == 0 {
        return "...".to_owned();
    }
    let col = col.max(1);
    let w = Writer { enc, opts };
    match t {
        Term::Atom(a) => return opts.atom(&a.name, enc),
        Term::Tuple(_)
        | Term::List(_)
        | Term::ByteList(_)
        | Term::ImproperList(_)
        | Term::Map(_)
        | Term::Binary(_)
        | Term::BitBinary(_) => {}
        other => return write_term(other, -1, Encoding::Latin1, opts),
    }
    let p = Pretty {
        w: &w,
        strings,
        ll: line_len,
        m: 0,
    };
    let tree = p.length(t, depth, 0);
    let p = Pretty { m: tree.len, ..p };
    let mut out = String::new();
    if line_len == 0 || tree.len < line_len - col {
        write_if(&mut out, &tree);
        return out;
    }
    let tind = [-1, 4]
        .into_iter()
        .find(|&i| p.cind(&tree, col, i, 0, 0).is_ok())
        .unwrap_or(1);
    p.pp(&mut out, &tree, col, tind, col - 1, 0, 0);
    out
}

fn write_if(out: &mut String, t: &If) {
    match &t.kind {
        Kind::Leaf(s) => out.push_str(s),
        Kind::Bin(items) => {
            out.push_str("<<");
            out.push_str(&items.join(","));
            out.push_str(">>");
        }
        Kind::List(seq) => {
            out.push('[');
            write_seq(out, seq, '|');
            out.push(']');
        }
        Kind::Tuple(_, seq) => {
            out.push('{');
            write_seq(out, seq, ',');
            out.push('}');
        }
        Kind::Map(seq) => {
            out.push_str("#{");
            write_seq(out, seq, ',');
            out.push('}');
        }
        Kind::Pair(k, v) => {
            write_if(out, k);
            out.push_str(" => ");
            write_if(out, v);
        }
    }
}

fn write_seq(out: &mut String, seq: &Seq, sep: char) {
    for (i, e) in seq.items.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        write_if(out, e);
    }
    match &seq.tail {
        SeqTail::Nil => {}
        SeqTail::Dots if seq.items.is_empty() => out.push_str("..."),
        SeqTail::Dots => {
            out.push(sep);
            out.push_str("...");
        }
        SeqTail::Improper(e) => {
            out.push(sep);
            write_if(out, e);
        }
    }
}

struct NoGood;

struct Pretty<'a> {
    w: &'a Writer<'a>,
    strings: bool,
    ll: i64,
    m: i64,
}

fn spaces(out: &mut String, n: i64) {
    for _ in 0..n.max(0) {
        out.push(' ');
    }
}

/// `last_depth`: 0 while more elements follow, else one more than `ld`.
fn last_depth(more: bool, ld: i64) -> i64 {
    if more { 0 } else { ld + 1 }
}

impl Pretty<'_> {
    // ---- lengths (print_length)

    fn length(&self, t: &Term, d: i64, nest: usize) -> If {
        if nest >= MAX_NESTING {
            return leaf("...".to_owned());
        }
        match t {
            Term::Atom(a) => leaf(self.w.opts.atom(&a.name, self.w.enc)),
            _ if is_nil(t) => leaf("[]".to_owned()),
            Term::List(_) | Term::ByteList(_) | Term::ImproperList(_) => {
                let Some((items, tail)) = list_parts(t) else {
                    return leaf(String::new());
                };
                if self.strings
                    && d != 1
                    && matches!(tail, Tail::Nil)
                    && let Some(chars) = printable_list(&items)
                {
                    return leaf(quoted_string(&chars, self.w.enc));
                }
                let mut seq = Seq {
                    items: Vec::new(),
                    tail: SeqTail::Nil,
                };
                let mut d = d;
                let mut dots = false;
                for e in &items {
                    if d == 1 {
                        dots = true;
                        break;
                    }
                    seq.items.push(self.length(e, d - 1, nest + 1));
                    d -= 1;
                }
                if dots {
                    seq.tail = SeqTail::Dots;
                } else if let Tail::Improper(last) = tail {
                    seq.tail = if d == 1 {
                        SeqTail::Dots
                    } else {
                        SeqTail::Improper(Box::new(self.length(last, d - 1, nest + 1)))
                    };
                }
                let len = seq.len(2);
                If {
                    kind: Kind::List(seq),
                    len,
                }
            }
            Term::Tuple(tu) if tu.elements.is_empty() => leaf("{}".to_owned()),
            Term::Tuple(_) if d == 1 => leaf("{...}".to_owned()),
            Term::Tuple(tu) => {
                let tagged = matches!(tu.elements[0], Term::Atom(_)) && tu.elements.len() > 1;
                let mut seq = Seq {
                    items: Vec::new(),
                    tail: SeqTail::Nil,
                };
                let mut d = d;
                for e in &tu.elements {
                    if d == 1 {
                        seq.tail = SeqTail::Dots;
                        break;
                    }
                    seq.items.push(self.length(e, d - 1, nest + 1));
                    d -= 1;
                }
                let len = seq.len(2);
                If {
                    kind: Kind::Tuple(tagged, seq),
                    len,
                }
            }
            Term::Map(m) if m.map.is_empty() => leaf("#{}".to_owned()),
            Term::Map(_) if d == 1 => leaf("#{...}".to_owned()),
            Term::Map(m) => {
                let d0 = d - 1;
                let mut d = d;
                let mut seq = Seq {
                    items: Vec::new(),
                    tail: SeqTail::Nil,
                };
                for (k, v) in map_entries(m, self.w.opts) {
                    if d == 1 {
                        seq.tail = SeqTail::Dots;
                        break;
                    }
                    let k = self.length(k, d0, nest + 1);
                    let v = self.length(v, d0, nest + 1);
                    let len = k.len + 4 + v.len;
                    seq.items.push(If {
                        kind: Kind::Pair(Box::new(k), Box::new(v)),
                        len,
                    });
                    d -= 1;
                }
                let len = seq.len(3);
                If {
                    kind: Kind::Map(seq),
                    len,
                }
            }
            Term::Binary(_) | Term::BitBinary(_) => self.binary(t, d),
            other => leaf(write_term(other, -1, Encoding::Latin1, self.w.opts)),
        }
    }

    fn binary(&self, t: &Term, d: i64) -> If {
        let Some((bytes, last_bits)) = bits(t) else {
            return leaf(String::new());
        };
        if bytes.is_empty() {
            return leaf("<<>>".to_owned());
        }
        if d == 1 {
            return leaf("<<...>>".to_owned());
        }
        if self.strings
            && last_bits == 8
            && let Some(s) = self.printable_binary(bytes, d - 1)
        {
            return leaf(s);
        }
        let items = binary_items(t, d);
        let len = items.iter().map(|s| s.len() as i64 + 1).sum::<i64>() + 3;
        If {
            kind: Kind::Bin(items),
            len,
        }
    }

    /// `<<"...">>` (or `/utf8`, or a prefix with `...`) when the binary prints
    /// as a string at depth `d` (< 0 unlimited).
    fn printable_binary(&self, bytes: &[u8], d: i64) -> Option<String> {
        let len = if d >= 0 {
            (4 * d as usize).min(bytes.len())
        } else {
            bytes.len()
        };
        if len == 0 {
            return None;
        }
        if self.w.enc == Encoding::Unicode
            && let Some(r) = self.printable_utf8(bytes, len, d)
        {
            return r;
        }
        // Latin-1: how many of the first `len` bytes are printable.
        let ok = bytes[..len]
            .iter()
            .take_while(|&&b| printable_latin1(i64::from(b)))
            .count();
        let chars: Vec<char>;
        let dots;
        if ok == bytes.len() {
            chars = bytes.iter().map(|&b| char::from(b)).collect();
            dots = false;
        } else {
            // Either the scan stopped at `len` with bytes left (NC = 0) or at
            // a non-printable byte (NC = len - ok remaining).
            let nc = len - ok;
            if d > 0 && (len - nc) as i64 >= d {
                chars = bytes[..len - nc].iter().map(|&b| char::from(b)).collect();
                dots = true;
            } else {
                return None;
            }
        }
        let s = quoted_string(&chars, Encoding::Unicode);
        Some(if dots {
            format!("<<{s}...>>")
        } else {
            format!("<<{s}>>")
        })
    }

    /// The `~tp` check: Some(Some(text)) printable as UTF-8, Some(None) not
    /// printable, None when the bytes are not UTF-8 (then Latin-1 is tried).
    fn printable_utf8(&self, bytes: &[u8], len: usize, d: i64) -> Option<Option<String>> {
        // The first `len` characters must be UTF-8 before any is judged.
        let mut pos = 0;
        for _ in 0..len {
            if pos == bytes.len() {
                break;
            }
            pos += decode_utf8(&bytes[pos..])?.1;
        }
        let mut i = len as i64;
        let mut pos = 0;
        let mut chars = Vec::new();
        let mut stopped = false;
        while pos < bytes.len() {
            let (c, n) = decode_utf8(&bytes[pos..])?;
            if i <= 0 || !printable_latin1(i64::from(u32::from(c))) {
                stopped = true;
                break;
            }
            chars.push(c);
            pos += n;
            i -= 1;
        }
        let ascii_only = (len as i64 - i) as usize == bytes.len();
        if !stopped {
            let s = quoted_string(&chars, Encoding::Unicode);
            return Some(Some(if ascii_only {
                format!("<<{s}>>")
            } else {
                format!("<<{s}/utf8>>")
            }));
        }
        if d > 0 && len as i64 - i >= d {
            let s = quoted_string(&chars, Encoding::Unicode);
            let all_ascii = pos as i64 == len as i64 - i;
            return Some(Some(if all_ascii {
                format!("<<{s}...>>")
            } else {
                format!("<<{s}/utf8...>>")
            }));
        }
        Some(None)
    }

    // ---- indentation check (cind)

    fn fits(&self, t: &If, col: i64, ld: i64, w: i64) -> bool {
        t.len < self.ll - col - ld && t.len + w + ld <= self.m
    }

    fn tail_fits(&self, e: &If, col: i64, ld1: i64, w: i64, atm: bool) -> bool {
        let elen = 1 + e.len;
        atm && if ld1 == 0 {
            elen + 1 < self.ll - col && w + elen < self.m
        } else {
            elen < self.ll - col - ld1 && w + elen + ld1 <= self.m
        }
    }

    fn cind(&self, t: &If, col: i64, ind: i64, ld: i64, w: i64) -> Result<(), NoGood> {
        if self.fits(t, col, ld, w) {
            return Ok(());
        }
        match &t.kind {
            Kind::List(seq) | Kind::Tuple(false, seq) => {
                self.cind_list(seq, col + 1, ind, ld, w + 1)
            }
            Kind::Tuple(true, seq) => self.cind_tag_tuple(seq, col, ind, ld, w + 1),
            Kind::Map(seq) => self.cind_map(seq, col + 2, ind, ld, w + 2),
            _ => Ok(()),
        }
    }

    fn cind_tag_tuple(&self, seq: &Seq, col: i64, ind: i64, ld: i64, w: i64) -> Result<(), NoGood> {
        let Some((tag, rest)) = seq.items.split_first() else {
            return Ok(());
        };
        let tlen = tag.len;
        let tag_ind = tlen + 2;
        let tcol = col + tag_ind;
        if ind > 0 && tag_ind > ind {
            let col1 = col + ind;
            if self.m + col1 <= self.ll || col1 <= self.ll / 2 {
                self.cind_tail(rest, &seq.tail, col1, tcol, ind, ld, w + tlen)
            } else {
                Err(NoGood)
            }
        } else if self.m + tcol < self.ll || tcol < self.ll / 2 {
            self.cind_list_items(rest, &seq.tail, tcol, ind, ld, w + tlen + 1)
        } else {
            Err(NoGood)
        }
    }

    fn cind_map(&self, seq: &Seq, col: i64, ind: i64, ld: i64, w: i64) -> Result<(), NoGood> {
        let Some((first, rest)) = seq.items.split_first() else {
            return Ok(());
        };
        let more = !rest.is_empty();
        let pw = self.cind_pair(first, col, ind, last_depth(more, ld), w)?;
        let (mut c, mut w) = (col + pw, w + pw);
        for (i, p) in rest.iter().enumerate() {
            let more = i + 1 < rest.len();
            let ld1 = last_depth(more, ld);
            if self.tail_fits(p, c, ld1, w, p.atomic_pair()) {
                c += 1 + p.len;
                w += 1 + p.len;
            } else {
                let pw = self.cind_pair(p, col, ind, ld1, 0)?;
                c = col + pw;
                w = pw;
            }
        }
        Ok(())
    }

    fn cind_pair(&self, p: &If, col: i64, ind: i64, ld: i64, w: i64) -> Result<i64, NoGood> {
        if self.fits(p, col, ld, w) {
            return Ok(if p.atomic_pair() { p.len } else { self.ll });
        }
        if let Kind::Pair(k, v) = &p.kind {
            self.cind(k, col, ind, ld, w)?;
            self.cind(v, col + map_value_indent(ind), ind, ld, 0)?;
        }
        Ok(self.ll)
    }

    fn cind_list(&self, seq: &Seq, col: i64, ind: i64, ld: i64, w: i64) -> Result<(), NoGood> {
        self.cind_list_items(&seq.items, &seq.tail, col, ind, ld, w)
    }

    fn cind_list_items(
        &self,
        items: &[If],
        tail: &SeqTail,
        col0: i64,
        ind: i64,
        ld: i64,
        w: i64,
    ) -> Result<(), NoGood> {
        let Some((first, rest)) = items.split_first() else {
            return Ok(());
        };
        let more = !rest.is_empty();
        let we = self.cind_element(first, col0, ind, last_depth(more, ld), w)?;
        self.cind_tail(rest, tail, col0, col0 + we, ind, ld, w + we)
    }

    #[allow(clippy::too_many_arguments)]
    fn cind_tail(
        &self,
        items: &[If],
        tail: &SeqTail,
        col0: i64,
        col: i64,
        ind: i64,
        ld: i64,
        w: i64,
    ) -> Result<(), NoGood> {
        let (mut c, mut w) = (col, w);
        for (i, e) in items.iter().enumerate() {
            let more = i + 1 < items.len();
            let ld1 = last_depth(more, ld);
            if self.tail_fits(e, c, ld1, w, e.atomic()) {
                c += 1 + e.len;
                w += 1 + e.len;
            } else {
                let we = self.cind_element(e, col0, ind, ld1, 0)?;
                c = col0 + we;
                w = we;
            }
        }
        if let SeqTail::Improper(e) = tail {
            let fits = e.len + 1 < self.ll - c - (ld + 1)
                && e.len + 1 + w + (ld + 1) <= self.m
                && e.atomic();
            if !fits {
                self.cind(e, c, ind, ld + 1, 0)?;
            }
        }
        Ok(())
    }

    fn cind_element(&self, e: &If, col: i64, ind: i64, ld: i64, w: i64) -> Result<i64, NoGood> {
        if self.fits(e, col, ld, w) && e.atomic() {
            return Ok(e.len);
        }
        self.cind(e, col, ind, ld, w)?;
        Ok(self.ll)
    }

    // ---- layout (pp)

    #[allow(clippy::too_many_arguments)]
    fn pp(&self, out: &mut String, t: &If, col: i64, tind: i64, ind: i64, ld: i64, w: i64) {
        if self.fits(t, col, ld, w) {
            write_if(out, t);
            return;
        }
        match &t.kind {
            Kind::List(seq) => {
                out.push('[');
                self.pp_list(
                    out,
                    &seq.items,
                    &seq.tail,
                    col + 1,
                    tind,
                    ind + 1,
                    ld,
                    '|',
                    w + 1,
                );
                out.push(']');
            }
            Kind::Tuple(true, seq) => {
                out.push('{');
                self.pp_tag_tuple(out, seq, col, tind, ind, ld, w + 1);
                out.push('}');
            }
            Kind::Tuple(false, seq) => {
                out.push('{');
                self.pp_list(
                    out,
                    &seq.items,
                    &seq.tail,
                    col + 1,
                    tind,
                    ind + 1,
                    ld,
                    ',',
                    w + 1,
                );
                out.push('}');
            }
            Kind::Map(seq) => {
                out.push_str("#{");
                self.pp_map(out, seq, col + 2, tind, ind + 2, ld, w + 1);
                out.push('}');
            }
            Kind::Bin(items) => self.pp_binary(out, items, col + 2, ind + 2, ld, w),
            Kind::Leaf(s) => out.push_str(s),
            Kind::Pair(..) => write_if(out, t),
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn pp_tag_tuple(
        &self,
        out: &mut String,
        seq: &Seq,
        col: i64,
        tind: i64,
        ind: i64,
        ld: i64,
        w: i64,
    ) {
        let Some((tag, rest)) = seq.items.split_first() else {
            out.push_str("...");
            return;
        };
        let tlen = tag.len;
        let tag_ind = tlen + 2;
        let tcol = col + tag_ind;
        write_if(out, tag);
        if tind > 0 && tag_ind > tind {
            self.pp_tail(
                out,
                rest,
                &seq.tail,
                col + tind,
                tcol,
                tind,
                ind + tind,
                ld,
                ',',
                w + tlen,
            );
        } else {
            out.push(',');
            self.pp_list(
                out,
                rest,
                &seq.tail,
                tcol,
                tind,
                ind + tag_ind,
                ld,
                ',',
                w + tlen + 1,
            );
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn pp_map(&self, out: &mut String, seq: &Seq, col: i64, tind: i64, ind: i64, ld: i64, w: i64) {
        let Some((first, rest)) = seq.items.split_first() else {
            out.push_str("...");
            return;
        };
        let more = !rest.is_empty();
        let pw = self.pp_pair(out, first, col, tind, ind, last_depth(more, ld), w);
        let (mut c, mut w) = (col + pw, pw);
        for (i, p) in rest.iter().enumerate() {
            let more = i + 1 < rest.len();
            let ld1 = last_depth(more, ld);
            if self.tail_fits(p, c, ld1, w, p.atomic_pair()) {
                out.push(',');
                write_if(out, p);
                c += 1 + p.len;
                w += 1 + p.len;
            } else {
                out.push_str(",\n");
                spaces(out, ind);
                let pw = self.pp_pair(out, p, col, tind, ind, ld1, 0);
                c = col + pw;
                w = pw;
            }
        }
        if matches!(seq.tail, SeqTail::Dots) {
            out.push_str(",...");
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn pp_pair(
        &self,
        out: &mut String,
        p: &If,
        col: i64,
        tind: i64,
        ind: i64,
        ld: i64,
        w: i64,
    ) -> i64 {
        if self.fits(p, col, ld, w) {
            write_if(out, p);
            return if p.atomic_pair() { p.len } else { self.ll };
        }
        if let Kind::Pair(k, v) = &p.kind {
            let i = map_value_indent(tind);
            self.pp(out, k, col, tind, ind, ld, w);
            out.push_str(" =>\n");
            spaces(out, ind + i);
            self.pp(out, v, col + i, tind, ind + i, ld, 0);
        }
        self.ll
    }

    #[allow(clippy::too_many_arguments)]
    fn pp_list(
        &self,
        out: &mut String,
        items: &[If],
        tail: &SeqTail,
        col0: i64,
        tind: i64,
        ind: i64,
        ld: i64,
        sep: char,
        w: i64,
    ) {
        let Some((first, rest)) = items.split_first() else {
            out.push_str("...");
            return;
        };
        let more = !rest.is_empty();
        let we = self.pp_element(out, first, col0, tind, ind, last_depth(more, ld), w);
        self.pp_tail(out, rest, tail, col0, col0 + we, tind, ind, ld, sep, w + we);
    }

    #[allow(clippy::too_many_arguments)]
    fn pp_tail(
        &self,
        out: &mut String,
        items: &[If],
        tail: &SeqTail,
        col0: i64,
        col: i64,
        tind: i64,
        ind: i64,
        ld: i64,
        sep: char,
        w: i64,
    ) {
        let (mut c, mut w) = (col, w);
        for (i, e) in items.iter().enumerate() {
            let more = i + 1 < items.len();
            let ld1 = last_depth(more, ld);
            if self.tail_fits(e, c, ld1, w, e.atomic()) {
                out.push(',');
                write_if(out, e);
                c += 1 + e.len;
                w += 1 + e.len;
            } else {
                out.push_str(",\n");
                spaces(out, ind);
                let we = self.pp_element(out, e, col0, tind, ind, ld1, 0);
                c = col0 + we;
                w = we;
            }
        }
        match tail {
            SeqTail::Nil => {}
            SeqTail::Dots => {
                out.push(sep);
                out.push_str("...");
            }
            SeqTail::Improper(e) => {
                let fits = e.len + 1 < self.ll - c - (ld + 1)
                    && e.len + 1 + w + (ld + 1) <= self.m
                    && e.atomic();
                out.push(sep);
                if fits {
                    write_if(out, e);
                } else {
                    out.push('\n');
                    spaces(out, ind);
                    self.pp(out, e, col0, tind, ind, ld + 1, 0);
                }
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn pp_element(
        &self,
        out: &mut String,
        e: &If,
        col: i64,
        tind: i64,
        ind: i64,
        ld: i64,
        w: i64,
    ) -> i64 {
        if self.fits(e, col, ld, w) && e.atomic() {
            write_if(out, e);
            return e.len;
        }
        self.pp(out, e, col, tind, ind, ld, w);
        self.ll
    }

    fn pp_binary(&self, out: &mut String, items: &[String], col: i64, ind: i64, ld: i64, w: i64) {
        let n0 = ((self.ll - col).min(self.m - 4 - w) - ld).max(8);
        let mut n = n0;
        out.push_str("<<");
        for (i, s) in items.iter().enumerate() {
            let len = s.chars().count() as i64;
            if i + 1 < items.len() {
                if n - (len + 1) < 0 {
                    out.push('\n');
                    spaces(out, ind);
                    n = n0 - (len + 1);
                } else {
                    n -= len + 1;
                }
                out.push_str(s);
                out.push(',');
            } else {
                if len > n {
                    out.push('\n');
                    spaces(out, ind);
                }
                out.push_str(s);
            }
        }
        out.push_str(">>");
    }
}

fn map_value_indent(tind: i64) -> i64 {
    if tind > 0 { tind } else { 4 }
}

/// The first UTF-8 character of `b` and its length.
fn decode_utf8(b: &[u8]) -> Option<(char, usize)> {
    let n = match b.first()? {
        0x00..=0x7f => 1,
        0xc2..=0xdf => 2,
        0xe0..=0xef => 3,
        0xf0..=0xf4 => 4,
        _ => return None,
    };
    let s = std::str::from_utf8(b.get(..n)?).ok()?;
    s.chars().next().map(|c| (c, n))
}

// -------------------------------------------------------------- io_lib:format

/// One piece of a scanned format: literal text or a control sequence.
enum Piece {
    Text(Vec<char>),
    Format(Vec<char>),
}

/// Splits the format (a flat char list, a binary read as Latin-1, or an atom)
/// into text and the rest; nested lists and binaries are literal text.
fn scan_format(fmt: &Term) -> Option<Vec<Piece>> {
    let chars: Vec<Piece> = match fmt {
        Term::Atom(a) => vec![Piece::Format(a.name.chars().collect())],
        Term::Binary(b) => vec![Piece::Format(
            b.bytes.iter().map(|&c| char::from(c)).collect(),
        )],
        _ if is_list(fmt) => {
            let (items, tail) = list_parts(fmt)?;
            if !matches!(tail, Tail::Nil) {
                return None;
            }
            let mut pieces = Vec::new();
            let mut run = Vec::new();
            for e in items {
                match small_int(&e) {
                    Some(c) => run.push(u32::try_from(c).ok().and_then(char::from_u32)?),
                    None => {
                        if !run.is_empty() {
                            pieces.push(Piece::Format(std::mem::take(&mut run)));
                        }
                        pieces.push(Piece::Text(literal_chardata(&e)?));
                    }
                }
            }
            if !run.is_empty() {
                pieces.push(Piece::Format(run));
            }
            pieces
        }
        _ => return None,
    };
    // `Control` here marks format text still to interpret.
    Some(chars)
}

/// Deep chardata used literally in a format (ints as code points, binaries as UTF-8).
fn literal_chardata(t: &Term) -> Option<Vec<char>> {
    let mut out = Vec::new();
    fn go(t: &Term, out: &mut Vec<char>, nest: usize) -> Option<()> {
        if nest > MAX_NESTING {
            return None;
        }
        match t {
            Term::Binary(b) => out.extend(std::str::from_utf8(&b.bytes).ok()?.chars()),
            _ if is_list(t) => {
                let (items, tail) = list_parts(t)?;
                for e in &items {
                    match small_int(e) {
                        Some(c) => out.push(u32::try_from(c).ok().and_then(char::from_u32)?),
                        None => go(e, out, nest + 1)?,
                    }
                }
                if let Tail::Improper(last) = tail {
                    go(last, out, nest + 1)?;
                }
            }
            _ => return None,
        }
        Some(())
    }
    go(t, &mut out, 0)?;
    Some(out)
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Adjust {
    Left,
    Right,
}

struct Spec {
    width: Option<i64>,
    adjust: Adjust,
    precision: Option<i64>,
    pad: char,
    enc: Encoding,
    strings: bool,
    maps: MapsOrder,
}

struct Formatter<'a> {
    out: String,
    /// Current column (0-based), for `~p`'s starting column.
    col: i64,
    opts: &'a PrintOpts,
}

type R<T> = Result<T, ()>;

impl Formatter<'_> {
    fn emit_char(&mut self, c: char) -> R<()> {
        if self.out.len() >= MAX_OUTPUT_CHARS {
            return Err(());
        }
        self.out.push(c);
        self.col = match c {
            '\n' => 0,
            '\t' => (self.col + 8) / 8 * 8,
            _ => self.col + 1,
        };
        Ok(())
    }

    fn emit(&mut self, s: &str) -> R<()> {
        s.chars().try_for_each(|c| self.emit_char(c))
    }

    fn run(&mut self, pieces: &[Piece], args: &[Cow<'_, Term>]) -> R<()> {
        let mut args = args.iter().map(|a| &**a);
        for p in pieces {
            match p {
                Piece::Text(t) => t.iter().try_for_each(|&c| self.emit_char(c))?,
                Piece::Format(cs) => {
                    let mut i = 0;
                    while i < cs.len() {
                        if cs[i] == '~' {
                            i = self.control(cs, i + 1, &mut args)?;
                        } else {
                            self.emit_char(cs[i])?;
                            i += 1;
                        }
                    }
                }
            }
        }
        // Arguments left over are an error, as in OTP.
        if args.next().is_some() {
            Err(())
        } else {
            Ok(())
        }
    }

    /// Parses and runs the control sequence starting at `cs[i]` (after `~`);
    /// returns the index after it.
    fn control<'t>(
        &mut self,
        cs: &[char],
        mut i: usize,
        args: &mut impl Iterator<Item = &'t Term>,
    ) -> R<usize> {
        let field = |i: &mut usize, args: &mut dyn Iterator<Item = &'t Term>| -> R<Option<i64>> {
            if cs.get(*i) == Some(&'*') {
                let a = args.next().ok_or(())?;
                *i += 1;
                return small_int(a).map(Some).ok_or(());
            }
            let start = *i;
            let mut v: i64 = 0;
            while let Some(d) = cs.get(*i).and_then(|c| c.to_digit(10)) {
                v = v
                    .checked_mul(10)
                    .and_then(|v| v.checked_add(i64::from(d)))
                    .ok_or(())?;
                *i += 1;
            }
            Ok(if *i > start { Some(v) } else { None })
        };
        // Field width, possibly negative (left adjusted).
        let neg = cs.get(i) == Some(&'-');
        if neg {
            i += 1;
        }
        let mut width = field(&mut i, args)?;
        if neg {
            width = Some(-width.ok_or(())?);
        }
        let (width, adjust) = match width {
            Some(w) if w < 0 => (Some(-w), Adjust::Left),
            other => (other, Adjust::Right),
        };
        let mut precision = None;
        if cs.get(i) == Some(&'.') {
            i += 1;
            precision = field(&mut i, args)?;
            if precision.is_some_and(|p| p < 0) {
                return Err(());
            }
        }
        let mut pad = ' ';
        if cs.get(i) == Some(&'.') {
            match cs.get(i + 1) {
                Some('*') => {
                    let a = args.next().ok_or(())?;
                    pad = small_int(a)
                        .and_then(|c| u32::try_from(c).ok())
                        .and_then(char::from_u32)
                        .ok_or(())?;
                    i += 2;
                }
                Some(&c) => {
                    pad = c;
                    i += 2;
                }
                None => return Err(()),
            }
        }
        let mut spec = Spec {
            width,
            adjust,
            precision,
            pad,
            enc: Encoding::Latin1,
            strings: true,
            maps: MapsOrder::Undefined,
        };
        // `k` and `K` came with OTP 26; an older node's io_lib refuses them.
        let maps_modifiers = self.opts.otp_release.is_none_or(|r| r >= 26);
        loop {
            match cs.get(i) {
                Some('t') => spec.enc = Encoding::Unicode,
                Some('l') => spec.strings = false,
                Some('k') if maps_modifiers => spec.maps = MapsOrder::Ordered,
                Some('K') if maps_modifiers => {
                    spec.maps = match term::as_atom(args.next().ok_or(())?) {
                        Some("ordered") => MapsOrder::Ordered,
                        Some("reversed") => MapsOrder::Reversed,
                        Some("undefined") => MapsOrder::Undefined,
                        _ => MapsOrder::Unusable,
                    }
                }
                _ => break,
            }
            i += 1;
        }
        let c = *cs.get(i).ok_or(())?;
        i += 1;
        let mut next = || args.next().ok_or(());
        match c {
            'w' => {
                let a = next()?;
                let s = write_term(a, -1, spec.enc, &*self.opts_for(&spec, a)?);
                self.term(&s, &spec)?;
            }
            'W' => {
                let a = next()?;
                let d = small_int(next()?).ok_or(())?;
                let s = write_term(a, d, spec.enc, &*self.opts_for(&spec, a)?);
                self.term(&s, &spec)?;
            }
            'p' => {
                let a = next()?;
                self.print(a, -1, &spec)?;
            }
            'P' => {
                let a = next()?;
                let d = small_int(next()?).ok_or(())?;
                self.print(a, d, &spec)?;
            }
            's' => {
                let a = next()?;
                let chars = string_arg(a, spec.enc).ok_or(())?;
                self.string(chars, &spec)?;
            }
            'e' | 'f' | 'g' => {
                let Term::Float(f) = next()? else {
                    return Err(());
                };
                let s = match c {
                    'e' => fwrite_e(f.value, spec.precision)?,
                    'f' => fwrite_f(f.value, spec.precision)?,
                    _ => fwrite_g(f.value, spec.precision)?,
                };
                let spec = Spec {
                    precision: spec.width,
                    ..spec
                };
                self.term(&s, &spec)?;
            }
            'b' | 'B' => {
                let a = next()?;
                let s = integer(a, spec.precision, c == 'b', "")?;
                self.term(
                    &s,
                    &Spec {
                        precision: None,
                        ..spec
                    },
                )?;
            }
            'x' | 'X' => {
                let a = next()?;
                let prefix = match next()? {
                    Term::Atom(p) => p.name.clone(),
                    other => literal_chardata(other)
                        .filter(|_| !has_binary(other))
                        .ok_or(())?
                        .into_iter()
                        .collect(),
                };
                let s = integer(a, spec.precision, c == 'x', &prefix)?;
                self.term(
                    &s,
                    &Spec {
                        precision: None,
                        ..spec
                    },
                )?;
            }
            '+' | '#' => {
                let a = next()?;
                let base = spec.precision.unwrap_or(10);
                let s = integer(a, spec.precision, c == '+', &format!("{base}#"))?;
                self.term(
                    &s,
                    &Spec {
                        precision: None,
                        ..spec
                    },
                )?;
            }
            'c' => {
                let a = small_int(next()?).ok_or(())?;
                let ch = if spec.enc == Encoding::Unicode {
                    u32::try_from(a).ok().and_then(char::from_u32).ok_or(())?
                } else {
                    char::from((a & 255) as u8)
                };
                self.chars(ch, &spec)?;
            }
            '~' => self.chars('~', &spec)?,
            'n' => match (spec.width, spec.adjust) {
                (None, _) => self.emit_char('\n')?,
                (Some(n), Adjust::Right) => self.repeat('\n', n)?,
                _ => return Err(()),
            },
            'i' => {
                next()?;
            }
            _ => return Err(()),
        }
        Ok(i)
    }

    fn repeat(&mut self, c: char, n: i64) -> R<()> {
        if n < 0 || n as usize > MAX_OUTPUT_CHARS {
            return Err(());
        }
        (0..n).try_for_each(|_| self.emit_char(c))
    }

    fn adjust(&mut self, body: &[char], pad: char, n: i64, adj: Adjust) -> R<()> {
        if adj == Adjust::Right {
            self.repeat(pad, n)?;
        }
        body.iter().try_for_each(|&c| self.emit_char(c))?;
        if adj == Adjust::Left {
            self.repeat(pad, n)?;
        }
        Ok(())
    }

    /// `term/6`: a field of width F, `*`s when the text does not fit.
    fn term(&mut self, s: &str, spec: &Spec) -> R<()> {
        let chars: Vec<char> = s.chars().collect();
        let (f, p0) = match (spec.width, spec.precision) {
            (None, None) => return self.emit(s),
            (None, Some(p)) => (p, Some(p)),
            (Some(f), p) => (f, p),
        };
        let l = chars.len() as i64;
        let p = l.min(p0.unwrap_or(f).min(f));
        if l > p {
            let stars = vec!['*'; p.max(0) as usize];
            self.adjust(&stars, spec.pad, f - p, spec.adjust)
        } else {
            self.adjust(&chars, spec.pad, f - l, spec.adjust)
        }
    }

    /// `string/6` for `~s`.
    fn string(&mut self, s: Vec<char>, spec: &Spec) -> R<()> {
        let n = s.len() as i64;
        let field = |me: &mut Self, f: i64, adj: Adjust| -> R<()> {
            if n > f {
                me.adjust(&s[..f.max(0) as usize], ' ', 0, adj)
            } else {
                me.adjust(&s, spec.pad, f - n, adj)
            }
        };
        match (spec.width, spec.precision) {
            (None, None) => self.adjust(&s, ' ', 0, Adjust::Left),
            (Some(f), None) => field(self, f, spec.adjust),
            (None, Some(p)) => field(self, p, Adjust::Left),
            (Some(f), Some(p)) if f > p => {
                let mut body: Vec<char> = s.iter().copied().take(p.max(0) as usize).collect();
                while (body.len() as i64) < p {
                    body.push(spec.pad);
                }
                self.adjust(&body, spec.pad, f - p, spec.adjust)
            }
            (Some(f), Some(p)) if f == p => field(self, f, spec.adjust),
            _ => Err(()),
        }
    }

    /// `char/5` for `~c` and `~~`.
    fn chars(&mut self, c: char, spec: &Spec) -> R<()> {
        match (spec.width, spec.precision) {
            (None, None) => self.emit_char(c),
            (Some(f), None) => self.repeat(c, f),
            (None, Some(p)) => self.repeat(c, p),
            (Some(f), Some(p)) if f >= p => {
                if p as usize > MAX_OUTPUT_CHARS {
                    return Err(());
                }
                let body = vec![c; p.max(0) as usize];
                self.adjust(&body, spec.pad, f - p, spec.adjust)
            }
            _ => Err(()),
        }
    }

    /// `~p` / `~P`: width is the line length, precision the starting column.
    fn print(&mut self, t: &Term, depth: i64, spec: &Spec) -> R<()> {
        if spec.adjust == Adjust::Left {
            return Err(());
        }
        let ll = spec.width.unwrap_or(80);
        let col = spec.precision.unwrap_or(self.col + 1);
        let opts = self.opts_for(spec, t)?;
        let s = print_term(t, depth, col, ll, spec.enc, spec.strings, &opts);
        self.emit(&s)
    }

    /// The print options for `t` under `spec`'s map order; an error when `t` holds a map
    /// and the order cannot be applied.
    fn opts_for(&self, spec: &Spec, t: &Term) -> R<Cow<'_, PrintOpts>> {
        match spec.maps {
            MapsOrder::Undefined => Ok(Cow::Borrowed(self.opts)),
            MapsOrder::Unusable if has_map(t, 0) => Err(()),
            order => Ok(Cow::Owned(PrintOpts {
                maps_order: order,
                ..self.opts.clone()
            })),
        }
    }
}

/// Whether `t` is or holds a map (to the printing depth limit).
fn has_map(t: &Term, nest: usize) -> bool {
    if nest >= MAX_NESTING {
        return false;
    }
    match t {
        Term::Map(_) => true,
        Term::Tuple(x) => x.elements.iter().any(|e| has_map(e, nest + 1)),
        Term::List(l) => l.elements.iter().any(|e| has_map(e, nest + 1)),
        Term::ImproperList(l) => {
            l.elements.iter().any(|e| has_map(e, nest + 1)) || has_map(&l.last, nest + 1)
        }
        _ => false,
    }
}

fn has_binary(t: &Term) -> bool {
    match t {
        Term::Binary(_) | Term::BitBinary(_) => true,
        Term::List(l) => l.elements.iter().any(has_binary),
        Term::ImproperList(l) => l.elements.iter().any(has_binary) || has_binary(&l.last),
        _ => false,
    }
}

/// The characters of a `~s` argument: an atom, or (deep) chardata. With
/// Latin-1, code points must be below 256 and binaries are bytes; with
/// Unicode, binaries are UTF-8 (or Latin-1 bytes when they are not UTF-8).
fn string_arg(t: &Term, enc: Encoding) -> Option<Vec<char>> {
    fn go(t: &Term, enc: Encoding, out: &mut Vec<char>, nest: usize) -> Option<()> {
        if nest > MAX_NESTING {
            return None;
        }
        match t {
            Term::Binary(b) => match (enc, std::str::from_utf8(&b.bytes)) {
                (Encoding::Unicode, Ok(s)) => out.extend(s.chars()),
                _ => out.extend(b.bytes.iter().map(|&c| char::from(c))),
            },
            _ if is_list(t) => {
                let (items, tail) = list_parts(t)?;
                for e in &items {
                    match small_int(e) {
                        Some(c) if enc == Encoding::Latin1 && !(0..=255).contains(&c) => {
                            return None;
                        }
                        Some(c) => out.push(u32::try_from(c).ok().and_then(char::from_u32)?),
                        None => go(e, enc, out, nest + 1)?,
                    }
                }
                if let Tail::Improper(last) = tail {
                    if !matches!(last, Term::Binary(_)) {
                        return None;
                    }
                    go(last, enc, out, nest + 1)?;
                }
            }
            _ => return None,
        }
        Some(())
    }
    let mut out = Vec::new();
    match t {
        Term::Atom(a) => {
            if enc == Encoding::Latin1 && a.name.chars().any(|c| u32::from(c) > 255) {
                return None;
            }
            out.extend(a.name.chars());
        }
        other => go(other, enc, &mut out, 0)?,
    }
    Some(out)
}

/// An integer in `base` (default 10, 2..=36), with a prefix after the sign.
fn integer(t: &Term, base: Option<i64>, lower: bool, prefix: &str) -> R<String> {
    let base = base.unwrap_or(10);
    if !(2..=36).contains(&base) {
        return Err(());
    }
    let decimal = match t {
        Term::FixInteger(i) => i.value.to_string(),
        Term::BigInteger(b) => b.value.to_string(),
        _ => return Err(()),
    };
    let (neg, mag) = match decimal.strip_prefix('-') {
        Some(m) => (true, m),
        None => (false, decimal.as_str()),
    };
    let mut digits = to_radix(mag, base as u32)?;
    if lower {
        digits = digits.to_lowercase();
    }
    Ok(format!("{}{prefix}{digits}", if neg { "-" } else { "" }))
}

/// Longest integer (in decimal digits) converted to a base other than 10.
const MAX_RADIX_DIGITS: usize = 20_000;

/// Decimal digits to upper-case digits in `base`.
fn to_radix(decimal: &str, base: u32) -> R<String> {
    if base == 10 {
        return Ok(decimal.to_owned());
    }
    if decimal.len() > MAX_RADIX_DIGITS || !decimal.bytes().all(|b| b.is_ascii_digit()) {
        return Err(());
    }
    // Base 10^9 limbs, most significant first.
    let mut limbs: Vec<u64> = Vec::new();
    let head = decimal.len() % 9;
    if head > 0 {
        limbs.push(decimal[..head].parse().map_err(|_| ())?);
    }
    for i in (head..decimal.len()).step_by(9) {
        limbs.push(decimal[i..i + 9].parse().map_err(|_| ())?);
    }
    // Divide repeatedly by the largest power of `base` below 2^32.
    let mut chunk_pow = 1u32;
    let mut chunk: u64 = u64::from(base);
    while chunk * u64::from(base) < (1 << 32) {
        chunk *= u64::from(base);
        chunk_pow += 1;
    }
    let mut out: Vec<u8> = Vec::new();
    while limbs.iter().any(|&l| l != 0) {
        let mut rem = 0u64;
        for l in limbs.iter_mut() {
            let cur = rem * 1_000_000_000 + *l;
            *l = cur / chunk;
            rem = cur % chunk;
        }
        while limbs.first() == Some(&0) {
            limbs.remove(0);
        }
        for _ in 0..chunk_pow {
            let d = (rem % u64::from(base)) as u8;
            rem /= u64::from(base);
            out.push(if d < 10 { b'0' + d } else { b'A' + d - 10 });
            if limbs.is_empty() && rem == 0 {
                break;
            }
        }
    }
    if out.is_empty() {
        out.push(b'0');
    }
    out.reverse();
    String::from_utf8(out).map_err(|_| ())
}

// ---- floats for ~e ~f ~g

/// `float_data/1`: 21 significant digits and the exponent E with value
/// `0.DDD… × 10^E`.
/// Largest precision `~e` / `~f` / `~g` accept (OTP has no bound).
const MAX_FLOAT_PRECISION: i64 = 100_000;

fn float_data(v: f64) -> (Vec<u8>, i64) {
    let s = format!("{:.20e}", v.abs());
    let (m, e) = s.split_once('e').unwrap_or((&s, "0"));
    let digits = m.bytes().filter(u8::is_ascii_digit).collect();
    (digits, e.parse::<i64>().unwrap_or(0) + 1)
}

/// `float_man/3`: `int` digits, a point, `dec` decimals, rounded half up on
/// the digits; returns the text and whether rounding carried out of it.
fn float_man(ds: &[u8], int: usize, dec: usize) -> (String, bool) {
    let k = int + dec;
    let mut digits: Vec<u8> = (0..k).map(|i| ds.get(i).copied().unwrap_or(b'0')).collect();
    let mut carry = ds.get(k).is_some_and(|&d| d >= b'5');
    for d in digits.iter_mut().rev() {
        if !carry {
            break;
        }
        if *d == b'9' {
            *d = b'0';
        } else {
            *d += 1;
            carry = false;
        }
    }
    let mut s = String::with_capacity(k + 1);
    s.extend(digits[..int].iter().map(|&d| char::from(d)));
    s.push('.');
    s.extend(digits[int..].iter().map(|&d| char::from(d)));
    (s, carry)
}

fn sign(v: f64) -> &'static str {
    if v.is_sign_negative() { "-" } else { "" }
}

fn float_exp(e: i64) -> String {
    if e >= 0 {
        format!("e+{e}")
    } else {
        format!("e{e}")
    }
}

fn fwrite_e(v: f64, p: Option<i64>) -> R<String> {
    let p = p.unwrap_or(6);
    if !(2..=MAX_FLOAT_PRECISION).contains(&p) {
        return Err(());
    }
    let (ds, e) = float_data(v);
    let (fs, carry) = float_man(&ds, 1, (p - 1) as usize);
    Ok(if carry {
        format!("{}1{}{}", sign(v), &fs[1..], float_exp(e))
    } else {
        format!("{}{fs}{}", sign(v), float_exp(e - 1))
    })
}

fn fwrite_f(v: f64, p: Option<i64>) -> R<String> {
    let p = p.unwrap_or(6);
    if !(1..=MAX_FLOAT_PRECISION).contains(&p) {
        return Err(());
    }
    let (mut ds, mut e) = float_data(v);
    if e <= 0 {
        let mut z = vec![b'0'; (-e + 1) as usize];
        z.extend_from_slice(&ds);
        ds = z;
        e = 1;
    }
    let (fs, carry) = float_man(&ds, e as usize, p as usize);
    Ok(format!("{}{}{fs}", sign(v), if carry { "1" } else { "" }))
}

fn fwrite_g(v: f64, p: Option<i64>) -> R<String> {
    let p = p.unwrap_or(6);
    if p < 1 {
        return Err(());
    }
    let a = v.abs();
    let e: Option<i64> = if a < 0.1 {
        Some(-2)
    } else if a < 1.0 {
        Some(-1)
    } else if a < 10.0 {
        Some(0)
    } else if a < 100.0 {
        Some(1)
    } else if a < 1000.0 {
        Some(2)
    } else if a < 10000.0 {
        Some(3)
    } else {
        None
    };
    match e {
        Some(-1) if p <= 1 => fwrite_f(v, Some(p)),
        Some(e) if p - 1 > e && e >= -1 => fwrite_f(v, Some(p - 1 - e)),
        _ if p <= 1 => fwrite_e(v, Some(2)),
        _ => fwrite_e(v, Some(p)),
    }
}

#[cfg(test)]
mod newer;

#[cfg(test)]
mod tests {
    //! Every expected string below was printed by real OTP 25 (erts 13.1.5,
    //! stdlib 4.2): `erlc fmtvec.erl && erl -noshell -sname fmtvec -eval
    //! 'fmtvec:main(), halt().'` with the module quoted at the end of this
    //! file. It prints each term's `term_to_binary/1` in hex with
    //! `io_lib:format("~p", [T])` and `io_lib:format("~w", [T])`, then each
    //! format's and argument list's `term_to_binary/1` with the result of
    //! `io_lib:format(F, A)` (None: it raised badarg).
    use super::*;
    use crate::proto::etf;

    fn hex(s: &str) -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    fn term(s: &str) -> Term {
        etf::decode_exact(&hex(s)).unwrap()
    }

    /// The node the vectors were printed on: its pids print node number 0.
    fn opts() -> PrintOpts {
        PrintOpts::local("fmtvec@vm")
    }

    #[rustfmt::skip]
    const TERMS: &[(&str, Option<&str>, Option<&str>)] = &[
        ("83640005756e646566", Some("undef"), Some("undef")),
        ("83640009456c697869722e494f", Some("'Elixir.IO'"), Some("'Elixir.IO'")),
        ("8364000b68656c6c6f20776f726c64", Some("'hello world'"), Some("'hello world'")),
        ("83640000", Some("''"), Some("''")),
        ("83640003614062", Some("a@b"), Some("a@b")),
        ("83640004615f4239", Some("a_B9"), Some("a_B9")),
        ("8364000141", Some("'A'"), Some("'A'")),
        ("836400025f61", Some("'_a'"), Some("'_a'")),
        ("836400056d61796265", Some("maybe"), Some("maybe")),
        ("83640004656c7365", Some("else"), Some("else")),
        ("83640003656e64", Some("'end'"), Some("'end'")),
        ("83640003616e64", Some("'and'"), Some("'and'")),
        ("83640003fc6eef", Some("\u{fc}n\u{ef}"), Some("\u{fc}n\u{ef}")),
        ("83640002df61", Some("\u{df}a"), Some("\u{df}a")),
        ("83640003c974e9", Some("'\u{c9}t\u{e9}'"), Some("'\u{c9}t\u{e9}'")),
        ("83640003610a62", Some("'a\\nb'"), Some("'a\\nb'")),
        ("8364000469742773", Some("'it\\'s'"), Some("'it\\'s'")),
        ("83640003615c62", Some("'a\\\\b'"), Some("'a\\\\b'")),
        ("83770cd0bfd180d0b8d0b2d0b5d182", Some("'\\x{43F}\\x{440}\\x{438}\\x{432}\\x{435}\\x{442}'"), Some("'\\x{43F}\\x{440}\\x{438}\\x{432}\\x{435}\\x{442}'")),
        ("836400017f", Some("'\\d'"), Some("'\\d'")),
        ("836400011b", Some("'\\e'"), Some("'\\e'")),
        ("83640003610162", Some("'a\\001b'"), Some("'a\\001b'")),
        ("836400026180", Some("'a\\200'"), Some("'a\\200'")),
        ("8364000361a062", Some("'a\u{a0}b'"), Some("'a\u{a0}b'")),
        ("836400036e696c", Some("nil"), Some("nil")),
        ("8364000474727565", Some("true"), Some("true")),
        ("836400025b5d", Some("'[]'"), Some("'[]'")),
        ("836100", Some("0"), Some("0")),
        ("8362ffffffff", Some("-1"), Some("-1")),
        ("836e0d00d20a3f4eeee073c3f60fe98e01", Some("123456789012345678901234567890"), Some("123456789012345678901234567890")),
        ("836e0901000000000000000001", Some("-18446744073709551616"), Some("-18446744073709551616")),
        ("8361ff", Some("255"), Some("255")),
        ("83463ff8000000000000", Some("1.5"), Some("1.5")),
        ("83463fb999999999999a", Some("0.1"), Some("0.1")),
        ("83464415af1d78b58c40", Some("1.0e20"), Some("1.0e20")),
        ("8346430c6bf526340000", Some("1.0e15"), Some("1.0e15")),
        ("83464341c37937e08000", Some("1.0e16"), Some("1.0e16")),
        ("834642dc12218377de40", Some("123456789012345.0"), Some("123456789012345.0")),
        ("83463ee4f8b588e368f1", Some("1.0e-5"), Some("1.0e-5")),
        ("83463f50624dd2f1a9fc", Some("0.001"), Some("0.001")),
        ("83463f1a36e2eb1c432d", Some("0.0001"), Some("0.0001")),
        ("83463df12e0be826d695", Some("2.5e-10"), Some("2.5e-10")),
        ("83464059000000000000", Some("100.0"), Some("100.0")),
        ("83468000000000000000", Some("-0.0"), Some("-0.0")),
        ("83467e51eb2d66005835", Some("3.0e300"), Some("3.0e300")),
        ("83460000000000000001", Some("5.0e-324"), Some("5.0e-324")),
        ("83467fefffffffffffff", Some("1.7976931348623157e308"), Some("1.7976931348623157e308")),
        ("83463fd3333333333334", Some("0.30000000000000004"), Some("0.30000000000000004")),
        ("8346408f400000000000", Some("1.0e3"), Some("1.0e3")),
        ("83464062c00000000000", Some("150.0"), Some("150.0")),
        ("83464097700000000000", Some("1.5e3"), Some("1.5e3")),
        ("8346c004000000000000", Some("-2.5"), Some("-2.5")),
        ("834641678c29dccccccd", Some("12345678.9"), Some("12345678.9")),
        ("836b0003616263", Some("\"abc\""), Some("[97,98,99]")),
        ("836a", Some("[]"), Some("[]")),
        ("836a", Some("[]"), Some("[]")),
        ("836b0008610a62096322645c", Some("\"a\\nb\\tc\\\"d\\\\\""), Some("[97,10,98,9,99,34,100,92]")),
        ("836b0004636166e9", Some("\"caf\u{e9}\""), Some("[99,97,102,233]")),
        ("836c0000000262000003c061616a", Some("[960,97]"), Some("[960,97]")),
        ("836b0003010203", Some("[1,2,3]"), Some("[1,2,3]")),
        ("836c00000002616161626163", Some("[97,98|99]"), Some("[97,98|99]")),
        ("836c0000000261616b0001626a", Some("[97,\"b\"]"), Some("[97,[98]]")),
        ("836b00051b0b080c0d", Some("\"\\e\\v\\b\\f\\r\""), Some("[27,11,8,12,13]")),
        ("836b000100", Some("[0]"), Some("[0]")),
        ("836b00017f", Some("[127]"), Some("[127]")),
        ("836b000180", Some("[128]"), Some("[128]")),
        ("836b0002a0ff", Some("\"\u{a0}\u{ff}\""), Some("[160,255]")),
        ("836c0000000162000001006a", Some("[256]"), Some("[256]")),
        ("836d00000000", Some("<<>>"), Some("<<>>")),
        ("836d000000026869", Some("<<\"hi\">>"), Some("<<104,105>>")),
        ("836d000000020102", Some("<<1,2>>"), Some("<<1,2>>")),
        ("836d00000005636166c3a9", Some("<<\"caf\u{c3}\u{a9}\">>"), Some("<<99,97,102,195,169>>")),
        ("836d00000004636166e9", Some("<<\"caf\u{e9}\">>"), Some("<<99,97,102,233>>")),
        ("836d00000004610a6222", Some("<<\"a\\nb\\\"\">>"), Some("<<97,10,98,34>>")),
        ("836d00000002cf80", Some("<<207,128>>"), Some("<<207,128>>")),
        ("834d000000020301a0", Some("<<1,5:3>>"), Some("<<1,5:3>>")),
        ("834d0000000103e0", Some("<<7:3>>"), Some("<<7:3>>")),
        ("834d00000003026869c0", Some("<<104,105,3:2>>"), Some("<<104,105,3:2>>")),
        ("836800", Some("{}"), Some("{}")),
        ("83680164000161", Some("{a}"), Some("{a}")),
        ("836802640001616101", Some("{a,1}"), Some("{a,1}")),
        ("836802610164000161", Some("{1,a}"), Some("{1,a}")),
        ("8368036b0001736d00000001626c00000001640001786a", Some("{\"s\",<<\"b\">>,[x]}"), Some("{[115],<<98>>,[x]}")),
        ("837400000000", Some("#{}"), Some("#{}")),
        ("837400000001640001616101", Some("#{a => 1}"), Some("#{a => 1}")),
        ("8374000000046101640001786400016161016400016261026b0001736d00000000", Some("#{1 => x,a => 1,b => 2,\"s\" => <<>>}"), Some("#{1 => x,a => 1,b => 2,[115] => <<>>}")),
        ("83740000000168026400017861016b000101", Some("#{{x,1} => [1]}"), Some("#{{x,1} => [1]}")),
        ("836c00000002680264000161610168026400016261026a", Some("[{a,1},{b,2}]"), Some("[{a,1},{b,2}]")),
        ("836802640005756e6465666c0000000168046400046e6f70656400046e6f70656a6a6a", Some("{undef,[{nope,nope,[],[]}]}"), Some("{undef,[{nope,nope,[],[]}]}")),
        ("83716400056c69737473640007726576657273656101", Some("fun lists:reverse/1"), Some("fun lists:reverse/1")),
        ("8371640009456c697869722e494f640004707574736101", Some("fun 'Elixir.IO':puts/1"), Some("fun 'Elixir.IO':puts/1")),
        ("8358640009666d7476656340766d0000004a000000006b03036c", Some("<0.74.0>"), Some("<0.74.0>")),
        ("8358640009666d7476656340766d00000009000000006b03036c", Some("<0.9.0>"), Some("<0.9.0>")),
        ("836b00280102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f202122232425262728", Some("[1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,\u{a} 29,30,31,32,33,34,35,36,37,38,39,40]"), Some("[1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31,32,33,34,35,36,37,38,39,40]")),
        ("8368026b00280102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f2021222324252627286c00000001680464000d657274735f696e7465726e616c64000f646973745f737061776e5f696e697461016a6a", Some("{[1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,\u{a}  29,30,31,32,33,34,35,36,37,38,39,40],\u{a} [{erts_internal,dist_spawn_init,1,[]}]}"), Some("{[1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31,32,33,34,35,36,37,38,39,40],[{erts_internal,dist_spawn_init,1,[]}]}")),
        ("836c000000036802640018736f6d655f6c6f6e675f61746f6d5f6e616d655f686572656b001a6120666169726c79206c6f6e6720737472696e672076616c7565680264000b616e6f746865725f6b65796d0000001162696e6172792076616c7565206865726568026400016b61016a", Some("[{some_long_atom_name_here,\"a fairly long string value\"},\u{a} {another_key,<<\"binary value here\">>},\u{a} {k,1}]"), Some("[{some_long_atom_name_here,[97,32,102,97,105,114,108,121,32,108,111,110,103,32,115,116,114,105,110,103,32,118,97,108,117,101]},{another_key,<<98,105,110,97,114,121,32,118,97,108,117,101,32,104,101,114,101>>},{k,1}]")),
        ("837400000003640005616c7068616b002261206c6f6e6720737472696e6720746f20666f726365207772617070696e67206f6b640004626574616b000a0102030405060708090a64000567616d6d61680364000178640001796400017a", Some("#{alpha => \"a long string to force wrapping ok\",\u{a}  beta => [1,2,3,4,5,6,7,8,9,10],\u{a}  gamma => {x,y,z}}"), Some("#{alpha => [97,32,108,111,110,103,32,115,116,114,105,110,103,32,116,111,32,102,111,114,99,101,32,119,114,97,112,112,105,110,103,32,111,107],beta => [1,2,3,4,5,6,7,8,9,10],gamma => {x,y,z}}")),
        ("8368026400056572726f7268026400086261646d617463686c0000000168046400106d6f64756c655f6e616d655f6c6f6e6764001266756e6374696f6e5f6e616d655f6c6f6e6761036c00000002680264000466696c656b0012736f6d652f706174682f66696c652e65726c68026400046c696e65617b6a6a", Some("{error,{badmatch,[{module_name_long,function_name_long,3,\u{a}                                    [{file,\"some/path/file.erl\"},\u{a}                                     {line,123}]}]}}"), Some("{error,{badmatch,[{module_name_long,function_name_long,3,[{file,[115,111,109,101,47,112,97,116,104,47,102,105,108,101,46,101,114,108]},{line,123}]}]}}")),
        ("836d0000003c0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c", Some("<<1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,\u{a}  29,30,31,32,33,34,35,36,37,38,39,40,41,42,43,44,45,46,47,48,49,50,51,52,53,\u{a}  54,55,56,57,58,59,60>>"), Some("<<1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31,32,33,34,35,36,37,38,39,40,41,42,43,44,45,46,47,48,49,50,51,52,53,54,55,56,57,58,59,60>>")),
        ("836d0000006461616161616161616161616161616161616161616161616161616161616161616161616161616161616161616161616161616161616161616161616161616161616161616161616161616161616161616161616161616161616161616161616161616161", Some("<<\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\">>"), Some("<<97,97,97,97,97,97,97,97,97,97,97,97,97,97,97,97,97,97,97,97,97,97,97,97,97,97,97,97,97,97,97,97,97,97,97,97,97,97,97,97,97,97,97,97,97,97,97,97,97,97,97,97,97,97,97,97,97,97,97,97,97,97,97,97,97,97,97,97,97,97,97,97,97,97,97,97,97,97,97,97,97,97,97,97,97,97,97,97,97,97,97,97,97,97,97,97,97,97,97,97>>")),
        ("836c000000026b001e0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e6b001f6465666768696a6b6c6d6e6f707172737475767778797a7b7c7d7e7f8081826a", Some("[[1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,\u{a}  29,30],\u{a} [100,101,102,103,104,105,106,107,108,109,110,111,112,113,114,115,116,117,118,\u{a}  119,120,121,122,123,124,125,126,127,128,129,130]]"), Some("[[1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30],[100,101,102,103,104,105,106,107,108,109,110,111,112,113,114,115,116,117,118,119,120,121,122,123,124,125,126,127,128,129,130]]")),
        ("83681e6400016164000162640001636400016464000165640001666400016764000168640001696400016a6400016b6400016c6400016d6400016e6400016f640001706400017164000172640001736400017464000175640001766400017764000178640001796400017a6400026161640002626264000263636400026464", Some("{a,b,c,d,e,f,g,h,i,j,k,l,m,n,o,p,q,r,s,t,u,v,w,x,y,z,aa,bb,cc,dd}"), Some("{a,b,c,d,e,f,g,h,i,j,k,l,m,n,o,p,q,r,s,t,u,v,w,x,y,z,aa,bb,cc,dd}")),
        ("8368026400037461676c00000005680364000a736f6d655f7468696e6764000b6f746865725f7468696e676200003039680364000a736f6d655f7468696e6764000b6f746865725f7468696e676200003039680364000a736f6d655f7468696e6764000b6f746865725f7468696e676200003039680364000a736f6d655f7468696e6764000b6f746865725f7468696e676200003039680364000a736f6d655f7468696e6764000b6f746865725f7468696e6762000030396a", Some("{tag,[{some_thing,other_thing,12345},\u{a}      {some_thing,other_thing,12345},\u{a}      {some_thing,other_thing,12345},\u{a}      {some_thing,other_thing,12345},\u{a}      {some_thing,other_thing,12345}]}"), Some("{tag,[{some_thing,other_thing,12345},{some_thing,other_thing,12345},{some_thing,other_thing,12345},{some_thing,other_thing,12345},{some_thing,other_thing,12345}]}")),
        ("83680264002a617665727976657279766572796c6f6e677461676e616d65666f727468657475706c65656c656d656e746c0000000364001461616161616161616161616161616161616161616400226262626262626262626262626262626262626262626262626262626262626262626264001b6363636363636363636363636363636363636363636363636363636a", Some("{averyveryverylongtagnameforthetupleelement,\u{a}    [aaaaaaaaaaaaaaaaaaaa,bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb,\u{a}     ccccccccccccccccccccccccccc]}"), Some("{averyveryverylongtagnameforthetupleelement,[aaaaaaaaaaaaaaaaaaaa,bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb,ccccccccccccccccccccccccccc]}")),
        ("836c000000016b000201026400557461696c5f61746f6d5f746861745f69735f6c6f6e675f656e6f7567685f746f5f6d61747465725f787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878", Some("[[1,2]|\u{a} tail_atom_that_is_long_enough_to_matter_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx]"), Some("[[1,2]|tail_atom_that_is_long_enough_to_matter_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx]")),
        ("8374000000026400046b65793174000000026400196e65737465645f6b65795f61616161616161616161616161616b001e6e65737465642076616c75652062626262626262626262626262626262626400056f746865726b00030102036400046b6579326400026f6b", Some("#{key1 =>\u{a}      #{nested_key_aaaaaaaaaaaaaa => \"nested value bbbbbbbbbbbbbbbbb\",\u{a}        other => [1,2,3]},\u{a}  key2 => ok}"), Some("#{key1 => #{nested_key_aaaaaaaaaaaaaa => [110,101,115,116,101,100,32,118,97,108,117,101,32,98,98,98,98,98,98,98,98,98,98,98,98,98,98,98,98,98],other => [1,2,3]},key2 => ok}")),
        ("8374000000016b00140102030405060708090a0b0c0d0e0f101112131468016b00210102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f2021", Some("#{[1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20] =>\u{a}      {[1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,\u{a}        27,28,29,30,31,32,33]}}"), Some("#{[1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20] => {[1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31,32,33]}}")),
    ];

    #[rustfmt::skip]
    const FORMATS: &[(&str, &str, Option<&str>)] = &[
        ("836b00027e70", "836c00000001640001786a", Some("x")),
        ("836b00027e77", "836c00000001640001786a", Some("x")),
        ("836b000768656c6c6f7e6e", "836a", Some("hello\u{a}")),
        ("836b00027e7e", "836a", Some("~")),
        ("836b00027e73", "836c000000016b00036162636a", Some("abc")),
        ("836b00027e73", "836c000000016d000000036162636a", Some("abc")),
        ("836b00027e73", "836c000000016400036162636a", Some("abc")),
        ("836b00027e73", "836c000000016c0000000261616c000000026d000000016261636a6a6a", Some("abc")),
        ("836b00027e73", "836c000000016c0000000162000003c06a6a", None),
        ("836b00037e7473", "836c000000016c0000000162000003c06a6a", Some("\u{3c0}")),
        ("836b00037e7473", "836c000000016d00000002cf806a", Some("\u{3c0}")),
        ("836b00027e73", "836c000000016d00000002cf806a", Some("\u{cf}\u{80}")),
        ("836b00037e7473", "836c000000016d00000004636166e96a", Some("caf\u{e9}")),
        ("836b00057e3130737c", "836c000000016b00036162636a", Some("       abc|")),
        ("836b00067e2d3130737c", "836c000000016b00036162636a", Some("abc       |")),
        ("836b00047e32737c", "836c000000016b00036162636a", Some("ab|")),
        ("836b00057e2e32737c", "836c000000016b00036162636a", Some("ab|")),
        ("836b00077e31302e32737c", "836c000000016b00036162636a", Some("        ab|")),
        ("836b00087e2d31302e32737c", "836c000000016b00036162636a", Some("ab        |")),
        ("836b00077e31302e35737c", "836c000000016b00036162636a", Some("     abc  |")),
        ("836b00097e31302e352e2a737c", "836c000000016b00036162636a", None),
        ("836b00067e352e32737c", "836c000000016b00036162636a", Some("   ab|")),
        ("836b00067e332e33737c", "836c000000016b0004616263646a", Some("abc|")),
        ("836b00067e322e33737c", "836c000000016b0004616263646a", None),
        ("836b00087e31302e2e78737c", "836c000000016b00036162636a", Some("xxxxxxxabc|")),
        ("836b00047e2a737c", "836c0000000261066b000261626a", Some("    ab|")),
        ("836b00027e63", "836b000161", Some("a")),
        ("836b00027e63", "836c0000000162000003c06a", Some("\u{c0}")),
        ("836b00037e7463", "836c0000000162000003c06a", Some("\u{3c0}")),
        ("836b00037e3563", "836b000161", Some("aaaaa")),
        ("836b00047e2e3363", "836b000161", Some("aaa")),
        ("836b00067e352e33637c", "836b000161", Some("  aaa|")),
        ("836b00077e2d352e33637c", "836b000161", Some("aaa  |")),
        ("836b00037e357e", "836a", Some("~~~~~")),
        ("836b00037e336e", "836a", Some("\u{a}\u{a}\u{a}")),
        ("836b00047e2d336e", "836a", None),
        ("836b00027e62", "836b0001ff", Some("255")),
        ("836b00057e2e313662", "836b0001ff", Some("ff")),
        ("836b00057e2e313642", "836b0001ff", Some("FF")),
        ("836b00047e2e3242", "836c0000000162fffffffb6a", Some("-101")),
        ("836b00087e382e31362e3042", "836b0001ff", Some("000000FF")),
        ("836b00087e2d382e3136427c", "836b0001ff", Some("FF      |")),
        ("836b00057e2e333642", "836c00000001620001e2406a", Some("2N9C")),
        ("836b00057e2e333742", "836b000101", None),
        ("836b00047e2e3142", "836b000101", None),
        ("836b00027e78", "836c0000000261ff6b000230786a", Some("0x255")),
        ("836b00057e2e313678", "836c0000000261ff6b000230786a", Some("0xff")),
        ("836b00057e2e313658", "836c0000000261ff64000230786a", Some("0xFF")),
        ("836b00057e2e313658", "836c0000000262ffffff016b0001236a", Some("-#FF")),
        ("836b00057e2e313623", "836b0001ff", Some("16#FF")),
        ("836b00057e2e31362b", "836b0001ff", Some("16#ff")),
        ("836b00027e23", "836c0000000162fffffff66a", Some("-10#10")),
        ("836b00027e42", "836c000000016e0d00d20a3f4eeee073c3f60fe98e016a", Some("123456789012345678901234567890")),
        ("836b00037e3242", "836c0000000162000030396a", Some("**")),
        ("836b00027e62", "836c00000001463ff00000000000006a", None),
        ("836b00027e66", "836c0000000146400921f9f01b866e6a", Some("3.141590")),
        ("836b00047e2e3266", "836c0000000146400921f9f01b866e6a", Some("3.14")),
        ("836b00047e2e3266", "836c00000001463fc00000000000006a", Some("0.13")),
        ("836b00047e2e3266", "836c00000001463fc147ae147ae1486a", Some("0.14")),
        ("836b00047e2e3066", "836c00000001463ff00000000000006a", None),
        ("836b00047e2e3166", "836c00000001464023eb851eb851ec6a", Some("10.0")),
        ("836b00027e66", "836c000000014680000000000000006a", Some("-0.000000")),
        ("836b00027e66", "836c00000001464415af1d78b58c406a", Some("100000000000000000000.000000")),
        ("836b00027e66", "836c00000001463ddb7cdfd9d7bdbb6a", Some("0.000000")),
        ("836b00077e31302e33667c", "836c0000000146400921f9f01b866e6a", Some("     3.142|")),
        ("836b00087e2d31302e33667c", "836c0000000146400921f9f01b866e6a", Some("3.142     |")),
        ("836b00067e332e32667c", "836c0000000146405edd2f1a9fbe776a", Some("***|")),
        ("836b00097e31302e332e30667c", "836c0000000146c00921f9f01b866e6a", Some("0000-3.142|")),
        ("836b00027e66", "836b000101", None),
        ("836b00027e65", "836c0000000146400921f9f01b866e6a", Some("3.14159e+0")),
        ("836b00047e2e3365", "836c000000014640deadf99999999a6a", Some("3.14e+4")),
        ("836b00047e2e3265", "836c00000001464023fae147ae147b6a", Some("1.0e+1")),
        ("836b00047e2e3165", "836c00000001463ff00000000000006a", None),
        ("836b00027e65", "836c000000014600000000000000006a", Some("0.00000e+0")),
        ("836b00027e65", "836c000000014681a56e1fc2f8f3596a", Some("-1.00000e-300")),
        ("836b00077e31322e33657c", "836c00000001463ff80000000000006a", Some("     1.50e+0|")),
        ("836b00027e67", "836c0000000146400921f9f01b866e6a", Some("3.14159")),
        ("836b00027e67", "836c00000001463fa999999999999a6a", Some("5.00000e-2")),
        ("836b00027e67", "836c000000014640c81cd6c8b439586a", Some("1.23457e+4")),
        ("836b00027e67", "836c00000001463fe00000000000006a", Some("0.500000")),
        ("836b00047e2e3167", "836c00000001463fe00000000000006a", Some("0.5")),
        ("836b00047e2e3167", "836c000000014640140000000000006a", Some("5.0e+0")),
        ("836b00047e2e3367", "836c000000014640934800000000006a", Some("1.23e+3")),
        ("836b00047e2e3267", "836c00000001464058f9999999999a6a", Some("1.0e+2")),
        ("836b00027e67", "836c00000001464202a05f200000006a", Some("1.00000e+10")),
        ("836b00027e67", "836c000000014640590000000000006a", Some("100.000")),
        ("836b00047e697e77", "836c0000000264000769676e6f72656464000573686f776e6a", Some("shown")),
        ("836b00057e70207e70", "836b000101", None),
        ("836b00027e70", "836b00020102", None),
        ("836b00027e71", "836b000101", None),
        ("836b00017e", "836a", None),
        ("836b00027e64", "836b000101", None),
        ("836b00037e6c70", "836c000000016b000261626a", Some("[97,98]")),
        ("836b00027e70", "836c000000016b000261626a", Some("\"ab\"")),
        ("836b00037e7470", "836c000000016c0000000262000003c061616a6a", Some("[960,97]")),
        ("836b00037e7470", "836c000000016d00000002cf806a", Some("<<207,128>>")),
        ("836b00037e7470", "836c000000016d00000002c3a96a", Some("<<\"\u{e9}\"/utf8>>")),
        ("836b00037e7470", "836c000000016d0000000268696a", Some("<<\"hi\">>")),
        ("836b00037e7470", "836c00000001770cd0bfd180d0b8d0b2d0b5d1826a", Some("'\u{43f}\u{440}\u{438}\u{432}\u{435}\u{442}'")),
        ("836b00037e7477", "836c00000001770cd0bfd180d0b8d0b2d0b5d1826a", Some("'\u{43f}\u{440}\u{438}\u{432}\u{435}\u{442}'")),
        ("836b00027e70", "836c00000001770cd0bfd180d0b8d0b2d0b5d1826a", Some("'\\x{43F}\\x{440}\\x{438}\\x{432}\\x{435}\\x{442}'")),
        ("836b00057e3130777c", "836c000000016400036162636a", Some("       abc|")),
        ("836b00067e2d3130777c", "836c000000016400036162636a", Some("abc       |")),
        ("836b00047e32777c", "836c000000016400036162636a", Some("**|")),
        ("836b00057e2e32777c", "836c000000016400036162636a", Some("**|")),
        ("836b00077e31302e32777c", "836c000000016400036162636a", Some("        **|")),
        ("836b00087e31302e2e2a777c", "836c000000016400036162636a", None),
        ("836b00027e50", "836c000000026b00040102030461036a", Some("[1,2|...]")),
        ("836b00027e50", "836c000000026804610161026103610461036a", Some("{1,2,...}")),
        ("836b00027e50", "836c00000002740000000364000161610164000162610264000163610361026a", Some("#{a => 1,...}")),
        ("836b00027e50", "836c000000026d00000005010203040561036a", Some("<<1,2,...>>")),
        ("836b00027e50", "836c000000026c000000026b000201026b000203046a61026a", Some("[[...]|...]")),
        ("836b00027e50", "836c000000026b000661626364656661026a", Some("\"abcdef\"")),
        ("836b00027e50", "836c000000026b000661626364656661016a", Some("[...]")),
        ("836b00027e50", "836c000000026d0000000c6162636465666768696a6b6c61026a", Some("<<\"abcd\"...>>")),
        ("836b00027e50", "836c000000026400017861006a", Some("...")),
        ("836b00027e50", "836c000000026c00000001640001616400016261026a", Some("[a|...]")),
        ("836b00027e50", "836c000000026803640001616b00037374726c0000000364000178640001796400017a6a61036a", Some("{a,[...],...}")),
        ("836b00027e57", "836c000000026b00040102030461036a", Some("[1,2|...]")),
        ("836b00027e57", "836c000000026804610161026103610461036a", Some("{1,2,...}")),
        ("836b00027e57", "836c00000002740000000364000161610164000162610264000163610361026a", Some("#{a => 1,...}")),
        ("836b00027e57", "836c000000026d00000005010203040561036a", Some("<<1,2,...>>")),
        ("836b00027e57", "836c000000026c00000001640001616400016261026a", Some("[a|...]")),
        ("836b00027e57", "836c000000026400017861006a", Some("...")),
        ("836b00027e57", "836c000000026b000301020361016a", Some("[...]")),
        ("836b00047e333070", "836c000000016b00140102030405060708090a0b0c0d0e0f10111213146a", Some("[1,2,3,4,5,6,7,8,9,10,11,12,\u{a} 13,14,15,16,17,18,19,20]")),
        ("836b00057e2e313070", "836c000000016b001e0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e6a", Some("[1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,\u{a}          26,27,28,29,30]")),
        ("836b000c6162636465666768696a7e70", "836c000000016b001e0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e6a", Some("abcdefghij[1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,\u{a}           26,27,28,29,30]")),
        ("836b000409787e70", "836c000000016b00230102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f202122236a", Some("\u{9}x[1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,\u{a}          26,27,28,29,30,31,32,33,34,35]")),
        ("836b00067e707e6e7e70", "836c000000026b001e0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e6b001e0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e6a", Some("[1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,\u{a} 29,30]\u{a}[1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,\u{a} 29,30]")),
        ("836b00057e2d333070", "836c00000001640001786a", None),
        ("836b00037e3070", "836c000000016b00320102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f3031326a", Some("[1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31,32,33,34,35,36,37,38,39,40,41,42,43,44,45,46,47,48,49,50]")),
        ("8364000761746f6d207e70", "836c00000001640001786a", Some("atom x")),
        ("836d0000000662696e207e70", "836c00000001640001786a", Some("bin x")),
        ("836d00000004c3a97e73", "836c000000016b0001786a", Some("\u{c3}\u{a9}x")),
        ("836c0000000362000003c0617e61706a", "836c00000001640001786a", Some("\u{3c0}x")),
        ("836b00027e70", "8364000178", None),
        ("836b00027e73", "836c0000000264000178640001796a", None),
        ("836b00027e73", "836b000101", None),
        ("836b00027e73", "836c000000016c0000000162000001006a6a", None),
        ("836b00027e73", "836c000000016c0000000162ffffffff6a6a", None),
        ("836b00037e7473", "836c000000016c0000000162ffffffff6a6a", None),
        ("836b00037e7473", "836c000000016c0000000162001100006a6a", None),
        ("836b00037e2a70", "836c000000026400016161016a", None),
        ("836b00047e2e2a66", "836c000000026103463ff3c0c1fc8f32386a", Some("1.235")),
        ("836b00057e2e2d3166", "836c00000001463ff00000000000006a", None),
        ("836b00027e65", "836b000101", None),
        ("836b00047e2e3165", "836c00000001463ff00000000000006a", None),
        ("836b00027e63", "836c00000001640001616a", None),
        ("836b00027e78", "836b000101", None),
        // A sample of random terms and control sequences (fuzz.erl /
        // fuzz2.erl below), printed by the same OTP 25 node.
        ("836b00027e70", "836c000000016c0000000468006d0000000862696e617279207462ffffffb368046b000c6162636465666768696a6b6c6d0000000b620ddf4bf43b271e71a2f6464271926722e675766b0012736f6d65206c6f6e67657220737472696e676a6a", Some("[{},<<\"binary t\">>,-77,\u{a} {\"abcdefghijkl\",\u{a}  <<98,13,223,75,244,59,39,30,113,162,246>>,\u{a}  1207530827367.3413,\"some longer string\"}]")),
        ("836b00047e343070", "836c000000016c0000000374000000006805640005756e6465667400000003463bf194f9fcc18e5f6e0a00f3c3986531f1db06dbf868006a6d00000006c3a97461696c64000378407962fffffe916c000000016a6a64000161740000000468024d0000000203f1a06d00000006c3a97461696c7400000000680568006d0000001cf6055132822972d39415647aaccef5a298df3a1df398a743b74aafb3680062ffffff116d00000006c3a97461696c4d00000002038ca07400000000740000000168006e0a0003919e40e7b01706c9ef6c000000196b00048e2444946173616f616d61656120616c616f616e61676165617261206173617461726169616e61676120617761696174616861206a463c19976fa0ac676a6a6a", Some("[#{},\u{a} {undef,#{5.956992814578444e-20 =>\u{a}              1175187218957592992203763,\u{a}          {} => [],\u{a}          <<\"\u{c3}\u{a9}tail\">> => x@y},\u{a}        -367,\u{a}        [[]],\u{a}        a},\u{a} #{{<<241,5:3>>,<<\"\u{c3}\u{a9}tail\">>} => #{},\u{a}   {{},\u{a}    <<246,5,81,50,130,41,114,211,148,\u{a}      21,100,122,172,206,245,162,152,\u{a}      223,58,29,243,152,167,67,183,74,\u{a}      175,179>>,\u{a}    {},-239,<<\"\u{c3}\u{a9}tail\">>} =>\u{a}       <<140,5:3>>,\u{a}   #{} =>\u{a}       #{{} =>\u{a}             1132353823978656785928451},\u{a}   [[142,36,68,148],\u{a}    115,111,109,101,32,108,111,110,\u{a}    103,101,114,32,115,116,114,105,\u{a}    110,103,32,119,105,116,104,32] =>\u{a}       3.4683013639441263e-19}]")),
        ("836b00067e33302e3550", "836c000000026c000000016c000000016b000532559cfac74640db14a071c7a74362fffffe4b61076a", Some("[[[50,85,156,250|...]|\u{a}      27730.506944573728]|\u{a}     -437]")),
        ("836b00037e6c70", "836c000000016c0000000474000000026a6d00000009f95302eabb36e594a26d0000000a62696e617279207465786d0000001762696e6172792074657874206865726520616e64206d6f4d00000002032ca06c000000126d00000006c3a97461696c616161626163616461656166616761686169616a616b616c616d616e616f617061716a4d00000002030ea06a6a", Some("[#{[] => <<249,83,2,234,187,54,229,148,162>>,\u{a}   <<98,105,110,97,114,121,32,116,101,120>> =>\u{a}       <<98,105,110,97,114,121,32,116,101,120,116,32,104,101,114,101,32,97,\u{a}         110,100,32,109,111>>},\u{a} <<44,5:3>>,\u{a} [<<195,169,116,97,105,108>>,\u{a}  97,98,99,100,101,102,103,104,105,106,107,108,109,110,111,112,113],\u{a} <<14,5:3>>]")),
        ("836b00047e343070", "836c0000000174000000016b000d6162636465666768696a6b6c6d74000000016c000000026b0003cb25d16b0002255d6a68046400026f6b6b0009736f6d65206c6f6e67740000000168006e0a008448350e73fd4d548fc06c000000024d000000020362a062fffffef86a6a", Some("#{\"abcdefghijklm\" =>\u{a}      #{[\"\u{cb}%\u{d1}\",\"%]\"] =>\u{a}            {ok,\"some long\",\u{a}                #{{} =>\u{a}                      909338323903655341017220},\u{a}                [<<98,5:3>>,-264]}}}")),
        ("836b001c6162636465666768696a6b6c6d6e6f707172737475767778797a7e70", "836c0000000168066400026f6b6d0000001eef8efa25e0a11c830b15b0a4924680576b775710cbbe71458d2bfbf32bbb7400000002464169a5dcf1b949e74d000000020349a06d00000006c3a97461696c6e0a006a410aefda45b1d7f9a468046b001d736f6d65206c6f6e67657220737472696e67207769746820776f7264736b0001886a6d0000000462696e616b000a736f6d65206c6f6e67656a6a", Some("abcdefghijklmnopqrstuvwxyz{ok,<<239,142,250,37,224,161,28,131,11,21,176,164,\u{a}                                146,70,128,87,107,119,87,16,203,190,113,69,141,\u{a}                                43,251,243,43,187>>,\u{a}                              #{13446887.553868247 => <<73,5:3>>,\u{a}                                <<\"\u{c3}\u{a9}tail\">> => 779076884745571141304682},\u{a}                              {\"some longer string with words\",\u{a}                               [136],\u{a}                               [],<<\"bina\">>},\u{a}                              \"some longe\",[]}")),
        ("836b00037e6c70", "836c000000016c000000016c000000066c000000064d0000000203f1a0618361fd61c0620000010862000001026a4642fd42f3d37492596a6b0011736f6d65206c6f6e67657220737472696e61ef68006a6a6a", Some("[[[<<241,5:3>>,131,253,192,264,258],\u{a}  514774332295461.56,[],\u{a}  [115,111,109,101,32,108,111,110,103,101,114,32,115,116,114,105,110],\u{a}  239,{}]]")),
        ("836b00067e33302e3550", "836c0000000268046800680364000074000000016e0a007a9e66da16faf3cf67e96e0a00291e1ceb064702c99ada6d0000001310f8c7af34b468aba325ba3c93462f666e03e86e0a009f44428f9c8be557ae9a740000000462fffffe7b68016d00000018931fa04eb8a39183e79b14af67b418807f09a713733bf58f7400000003618f463ece21b4677567eb64000a456c697869722e466f6f6a6d00000001c26b0009736f6d65206c6f6e67463da238bf2b7387cd6c000000016b001c736f6d65206c6f6e67657220737472696e67207769746820776f72646a6d0000001662696e6172792074657874206865726520616e64206d6d00000006c3a97461696c6c000000194d0000000203bea06173616f616d61656120616c616f616e61676165617261206173617461726169616e61676120617761696174616861206a61046a", Some("{{},\u{a}     {'',...},\u{a}     730460505452706326004895,...}")),
        ("836b00037e7470", "836c000000016c000000076d00000006c3a97461696c6d0000000d3ce21897fb7f411ff39ee5ca3362fffffe314d0000000203bba06e0a009cb8df510ae2806814b76d000000046e4f4d966d00000006c3a97461696c6a6a", Some("[<<\"\u{e9}tail\"/utf8>>,\u{a} <<60,226,24,151,251,127,65,31,243,158,229,202,51>>,\u{a} -463,\u{a} <<187,5:3>>,\u{a} 864569531513730179774620,\u{a} <<110,79,77,150>>,\u{a} <<\"\u{e9}tail\"/utf8>>]")),
        ("836b00037e6c70", "836c000000016b00266162636465666768696a6b6c6d6e6f707172737475767778797a3031323334353637383961626a", Some("[97,98,99,100,101,102,103,104,105,106,107,108,109,110,111,112,113,114,115,116,\u{a} 117,118,119,120,121,122,48,49,50,51,52,53,54,55,56,57,97,98]")),
        ("836b00067e33302e3550", "836c000000026c000000016e0a00346003a9faa64027bfff6d00000006c3a97461696c61086a", Some("[1207729609693999550128180|\u{a}     <<\"\u{c3}\u{a9}tail\">>]")),
        ("836b00037e6c70", "836c000000016b0018736f6d65206c6f6e67657220737472696e672077697468206a", Some("[115,111,109,101,32,108,111,110,103,101,114,32,115,116,114,105,110,103,32,119,\u{a} 105,116,104,32]")),
        ("836b00077e36302e323070", "836c000000016c000000356e0a00ec61eae442f14706c516616161626163616461656166616761686169616a616b616c616d616e616f6170617161726173617461756176617761786179617a6130613161326133613461356136613761386139616161626163616461656166616761686169616a616b616c616d616e616f61706a6a", Some("[107526523801210161095148,97,98,99,100,\u{a}                    101,102,103,104,105,106,107,108,109,\u{a}                    110,111,112,113,114,115,116,117,118,\u{a}                    119,120,121,122,48,49,50,51,52,53,54,\u{a}                    55,56,57,97,98,99,100,101,102,103,104,\u{a}                    105,106,107,108,109,110,111,112]")),
        ("836b00037e6c70", "836c000000016b00386162636465666768696a6b6c6d6e6f707172737475767778797a303132333435363738396162636465666768696a6b6c6d6e6f70717273746a", Some("[97,98,99,100,101,102,103,104,105,106,107,108,109,110,111,112,113,114,115,116,\u{a} 117,118,119,120,121,122,48,49,50,51,52,53,54,55,56,57,97,98,99,100,101,102,\u{a} 103,104,105,106,107,108,109,110,111,112,113,114,115,116]")),
        ("836b00047e343070", "836c000000016c0000000362ffffff9d6c0000001974000000016d0000000862696e61727920746a6173616f616d61656120616c616f616e61676165617261206173617461726169616e61676120617761696174616861206a68006a6a", Some("[-99,\u{a} [#{<<\"binary t\">> => []},\u{a}  115,111,109,101,32,108,111,110,103,\u{a}  101,114,32,115,116,114,105,110,103,\u{a}  32,119,105,116,104,32],\u{a} {}]")),
        ("836b00037e7470", "836c000000016c00000001740000000374000000036e0a0050014b015047606b50a86d00000006c3a97461696c740000000368006b002b6162636465666768696a6b6c6d6e6f707172737475767778797a30313233343536373839616263646566676a6d0000000362696e6d00000017e3594aac6adaac85548207e02b1fd8525fa9083f0dd1ac6b0003419f4874000000004d000000020314a06c000000016b001b736f6d65206c6f6e67657220737472696e67207769746820776f726a680468036e0a00a795f64bf7ea2db68fba4d000000020302a06b002a6162636465666768696a6b6c6d6e6f707172737475767778797a30313233343536373839616263646566463f3c9b2e5a59027364000068046b0018736f6d65206c6f6e67657220737472696e672077697468206b000d736f6d65206c6f6e67657220736b0002fb4b463f4889a23f410aac6c00000001640000612668006c0000000268036a6c0000000561ca616261d9620000010f61936a64000a456c697869722e466f6f74000000016a6e0a00568ca7eff79b7a897e596a6c0000000174000000006800463cf1e3070023717f6a", Some("[#{#{794841045910565927190864 => <<\"\u{e9}tail\"/utf8>>,\u{a}     #{{} => \"abcdefghijklmnopqrstuvwxyz0123456789abcdefg\",[] => <<\"bin\">>,\u{a}       <<227,89,74,172,106,218,172,133,84,130,7,224,43,31,216,82,95,169,8,63,\u{a}         13,209,172>> =>\u{a}           [65,159,72]} =>\u{a}         #{},\u{a}     <<20,5:3>> => [\"some longer string with wor\"]} =>\u{a}       {{881011177623131182765479,\u{a}         <<2,5:3>>,\u{a}         \"abcdefghijklmnopqrstuvwxyz0123456789abcdef\"},\u{a}        4.364956060705423e-4,'',\u{a}        {\"some longer string with \",\"some longer s\",\"\u{fb}K\",\u{a}         7.488290998554823e-4}},\u{a}   [''|38] => {},\u{a}   [{[],[202,98,217,271,147],'Elixir.Foo'},\u{a}    #{[] => 422624813130505362312278}] =>\u{a}       [#{}|{}]}|\u{a} 3.971673117003801e-15]")),
        ("836b00027e77", "836c00000001640005756e6465666a", Some("undef")),
        ("836b00047e343070", "836c0000000168006a", Some("{}")),
        ("836b00057e2e333070", "836c000000016c0000000174000000016802640003656e646c000000024d000000020380a06c00000005620000011761196111616761956a6a6d00000006c3a97461696c6a6a", Some("[#{{'end',[<<128,5:3>>,[279,25,17,103,149]]} =>\u{a}                                    <<\"\u{c3}\u{a9}tail\">>}]")),
        ("836b001c6162636465666768696a6b6c6d6e6f707172737475767778797a7e70", "836c000000016805640001616c00000001740000000346412bd87a94f7e02a6400026f6b68006d0000000362696e6d00000006c3a97461696c68006a6e0a00296cc50b872d941540d068006b0019736f6d65206c6f6e67657220737472696e67207769746820776a", Some("abcdefghijklmnopqrstuvwxyz{a,[#{912445.2909536411 => ok,{} => <<\"bin\">>,\u{a}                                <<\"\u{c3}\u{a9}tail\">> => {}}],\u{a}                             983434374975433006738473,{},\u{a}                             \"some longer string with w\"}")),
        ("836b00047e343070", "836c000000016c00000001680368006804640001414d00000002032ba06d0000000762696e6172792068004d000000020366a04642d4635e08c5e6e46a", Some("[{{},\u{a}  {'A',<<43,5:3>>,<<\"binary \">>,{}},\u{a}  <<102,5:3>>}|\u{a} 89668047804315.56]")),
        ("836b00067e33302e3550", "836c000000026400026f6b61066a", Some("ok")),
        ("836b00057e31303050", "836c000000026b00016261086a", Some("\"b\"")),
        ("836b00027e70", "836c0000000174000000006a", Some("#{}")),
        ("836b00047e343070", "836c000000016d0000000d62696e617279207465787420686a", Some("<<\"binary text h\">>")),
        ("836b00037e7470", "836c000000016b0001ca6a", Some("\"\u{ca}\"")),
        ("836b00037e7470", "836c000000016d000000082f5c2e0085b3f1c76a", Some("<<47,92,46,0,133,179,241,199>>")),
        ("836b00027e77", "836c0000000168006a", Some("{}")),
        ("836b00057e31303050", "836c000000026806640003656e6468006b0001736d0000001562696e6172792074657874206865726520616e64206d00000002b4784d0000000203b7a061066a", Some("{'end',{},\"s\",<<\"bina\"...>>,<<...>>,...}")),
        ("836b00047e343070", "836c000000014642614090e79e21d06a", Some("592781458673.0566")),
        ("836b00107e312e32302e2a737c7e332e312e2a73", "836c0000000461786b0003616263613064000568656c6c6f6a", None),
        ("836b000e7e2e322e5f6c737c7e31322e3265", "836c00000002640004c96c616e4654b249ad2594c37d6a", Some("\u{c9}l|    1.0e+100")),
        ("836b00157e2d312e31322e2a74587c7e2d352e32302e2a7473", "836c0000000562000003c061ff6b0002307861786d00000004636166e96a", None),
        ("836b000d7e382e32306c667c7e322e337e", "836c000000014600000000000000006a", None),
        ("836b000d7e2d312e312e5f657c7e2e3173", "836c0000000246bfe64335d74edda76b00036162636a", None),
        ("836b000f7e302e31322e5f677c7e2e322e2a58", "836c00000004464023fd70a3d70a3d62000003c06e09000000000000000000406c0000000261616b0001626a6a", Some("|ab10000000000000000000000000000000000000000000000000000000000000000000000")),
        ("836b00107e2e313274667c7e322e32302e5f7467", "836c00000002464058e00000000000464023fd70a3d70a3d6a", Some("99.500000000000|**")),
        ("836b00137e322e332e2a6e7c7e2d31322e32302e5f7442", "836c0000000261306e09010000000000000000026a", Some("\u{a}\u{a}|************")),
        ("836b00127e2d322e30747e7c7e2d31322e31322e3066", "836c0000000146406ea000000000006a", Some("  |************")),
        ("836b00107e352e32302e5f74777c7e2d352e3542", "836c00000002640004c96c616e6e09010000000000000000026a", Some("*****|*****")),
        ("836b000b7e2e386c237c7e382e3158", "836c0000000362ffffff016e09000000000000000000406c0000000261616b0001626a6a", None),
        ("836b000c7e2e386c657c7e2e352e3066", "836c00000002463fe0000000000000464023fd70a3d70a3d6a", Some("5.0000000e-1|9.99500")),
        ("836b000c7e2e3374697c7e2d302e3042", "836c00000002640001786e09000000000000000000406a", None),
        ("836b00107e382e3230737c7e312e32302e307463", "836c000000026d00000002cf8062000001616a", None),
        ("836b00107e2d322e32747e7c7e2d322e312e3065", "836c000000014654b249ad2594c37d6a", None),
        ("836b000b7e637c7e382e352e5f6c73", "836c0000000262000001616d0000000568656c6c6f6a", Some("a|___hello")),
        ("836b000f7e352e322e5f6c6e7c7e2e312e3067", "836c000000014600000000000000006a", Some("\u{a}\u{a}\u{a}\u{a}\u{a}|0.0e+0")),
        ("836b00117e2d332e2e5f74737c7e322e32302e5f62", "836c000000026a61ff6a", Some("___|cf")),
        ("836b00147e302e31322e2a74707c7e2d31322e31322e3066", "836c0000000361306b0003616263464023fd70a3d70a3d6a", Some("\"abc\"|************")),
        ("836b00107e302e31322e2a677c7e2d31322e3877", "836c0000000362000003c0464023fd70a3d70a3d680264000161640001626a", Some("|{a,b}       ")),
        ("836b000e7e2e2e30787c7e31322e312e5f65", "836c000000036e09000000000000000000406a464023fd70a3d70a3d6a", None),
        ("836b00117e2d32302e386c427c7e382e322e2a6c69", "836c000000036e090100000000000000000262000003c0640001786a", Some("********************|")),
        ("836b000c7e2e386c677c7e2e2e5f6c69", "836c000000024640f23df000000000640001786a", Some("7.4719000e+4|")),
        ("836b00107e2d322e332e5f74737c7e2d302e3165", "836c0000000264000568656c6c6f463fe00000000000006a", None),
        ("836b00107e31322e32302e2a637c7e332e327423", "836c0000000362000003c061ff6e09010000000000000000026a", None),
        ("836b000e7e2d322e3074667c7e2e332e5f73", "836c00000002464058e000000000006b00036162636a", None),
        ("836b000e7e2e312e5f237c7e2d32302e3067", "836c000000026e0900000000000000000040464023fd70a3d70a3d6a", None),
        ("836b000e7e352e382e2a677c7e352e313277", "836c0000000361784640eb14a000000000640004c96c616e6a", Some("*****|*****")),
        ("836b00117e2d332e302e2a777c7e2d352e312e3058", "836c000000046178640004c96c616e62ffffff016c0000000261616b0001626a6a", None),
        ("836b000f7e322e32707c7e322e31322e306c62", "836c0000000264000361626361006a", Some("abc|00")),
        ("836b00117e2d352e2e5f737c7e32302e312e306c23", "836c000000026d00000004636166e962075bcd156a", None),
        ("836b00147e2d352e382e306c777c7e2d32302e332e307473", "836c00000002463ff80000000000006c0000000361616c000000016d0000000262636a6b0001646a6a", Some("1.500|abc00000000000000000")),
        ("836b00107e2d302e2e2a777c7e2d32302e2e3070", "836c0000000362000003c06400036162636b00036162636a", None),
        ("836b00137e31322e313274627c7e2d31322e332e307473", "836c000000026e09010000000000000000026a6a", Some("************|000000000000")),
        ("836b000c7e322e33657c7e352e307465", "836c00000002463fe000000000000046bfda41b00d1ba3906a", None),
        ("836b00107e2e32302e5f74697c7e2d312e2e3077", "836c0000000264000178680264000161640001626a", Some("|*")),
        ("836b00107e302e332e5f74697c7e2e32302e3073", "836c00000002640001786a6a", Some("|00000000000000000000")),
        ("836b000c7e2e38777c7e2e32302e5f66", "836c00000002463ff8000000000000464073b000000000006a", Some("     1.5|315.00000000000000000000")),
        ("836b00127e302e312e2a6c667c7e31322e332e307466", "836c000000036178464011705af2058a5446408d2800000000006a", Some("|00000933.000")),
        ("836b000e7e31322e38677c7e31322e317462", "836c0000000246bfeea48108c3cb2c61ff6a", None),
    ];

    #[test]
    fn terms_print_as_otp_25_prints_them() {
        let mut bad = Vec::new();
        for (etf_hex, p, w) in TERMS {
            let t = term(etf_hex);
            let got_p = print_term(&t, -1, 1, 80, Encoding::Latin1, true, &opts());
            let got_w = write_term(&t, -1, Encoding::Latin1, &opts());
            if Some(got_p.as_str()) != *p {
                bad.push(format!("~p {etf_hex}\n got {got_p:?}\nwant {p:?}"));
            }
            if Some(got_w.as_str()) != *w {
                bad.push(format!("~w {etf_hex}\n got {got_w:?}\nwant {w:?}"));
            }
        }
        assert!(
            bad.is_empty(),
            "{} mismatches:\n{}",
            bad.len(),
            bad.join("\n")
        );
    }

    #[test]
    fn formats_as_otp_25_formats_them() {
        let mut bad = Vec::new();
        for (f, a, want) in FORMATS {
            let got = format_with(&term(f), &term(a), &opts())
                .ok()
                .map(|b| String::from_utf8(b).unwrap());
            if got.as_deref() != *want {
                bad.push(format!("{f} {a}\n got {got:?}\nwant {want:?}"));
            }
        }
        assert!(
            bad.is_empty(),
            "{} mismatches:\n{}",
            bad.len(),
            bad.join("\n")
        );
    }

    #[test]
    fn refs_ports_and_funs_print_as_otp() {
        // Printed on node fv@vm: `R = make_ref(), io:format("~p ~w~n", [R,
        // term_to_binary(R)])`, the same for `fun(X) -> X end` typed in the
        // shell and for `hd(erlang:ports())`.
        let fv = PrintOpts::local("fv@vm");
        let cases = [
            (
                "835a000364000566764076 6d6b02f8f90002c02c3b0400028e66a31c",
                "#Ref<0.2389091100.990117890.180268>",
            ),
            ("835964000566764076 6d000000006b02f8f9", "#Port<0.0>"),
            (
                "8370000000980106536 1aa461590d1bdf1eb62d1a6eb0800 00002a000000016400086572 6c5f6576616c612a6200329b0d 58640005667640766d0000000900 0000006b02f8f968066101 6a6400046e6f6e65640004 6e6f6e65740000000 06c0000000168056400 06636c61757365610 16c0000000168036400 03766172610164000 1586a6a6c0000000 168036400037661726 1016400015 86a6a",
                "#Fun<erl_eval.42.3316493>",
            ),
        ];
        for (h, want) in cases {
            let h: String = h.chars().filter(|c| !c.is_whitespace()).collect();
            let t = term(&h);
            assert_eq!(print_term(&t, -1, 1, 80, Encoding::Latin1, true, &fv), want);
        }
    }

    #[test]
    fn other_nodes_pids_print_a_nonzero_node_number() {
        let pid = eetf::Pid::new("other@vm", 74, 0, 1);
        let n = node_index("other@vm", &InspectOpts::default());
        assert_ne!(n, 0);
        let t = term::pid(&pid);
        assert_eq!(erlang_term(&t), format!("<{n}.74.0>"));
        let local = PrintOpts::local("other@vm");
        assert_eq!(write_term(&t, -1, Encoding::Latin1, &local), "<0.74.0>");
        let out = format_with(&term::binary(&b"~p~n"[..]), &term::list(vec![t]), &local).unwrap();
        assert_eq!(out, b"<0.74.0>\n");
    }

    #[test]
    fn crash_report_has_otp_25_layout() {
        // Printed by `erl -sname aa` after `spawn(bb@vm, nope, nope, [])` and
        // `spawn(bb@vm, erlang, error, [lists:seq(1, 40)])` onto another OTP 25
        // node (pid numbers there are aa's index for bb, 8605).
        let d = std::time::Duration::from_micros(1_795_356_841_730_091);
        let n = node_index("bb@vm", &InspectOpts::default());
        let pid = eetf::Pid::new("bb@vm", 88, 0, 1);
        let reason = term(
            "83680264000575 6e6465666c0000000168046400046e6f70656400046e6f70656a6a6a"
                .replace(' ', "")
                .as_str(),
        );
        assert_eq!(
            crash_report_at("bb@vm", &pid, &reason, d),
            format!(
                "=ERROR REPORT==== 22-Nov-2026::14:14:01.730091 ===\n\
                 Error in process <{n}.88.0> on node bb@vm with exit value:\n\
                 {{undef,[{{nope,nope,[],[]}}]}}\n\n"
            )
        );
        let long = term::tuple(vec![
            term::list((1..=40).map(term::int).collect()),
            term::list(vec![term::tuple(vec![
                term::atom("erts_internal"),
                term::atom("dist_spawn_init"),
                term::int(1),
                term::nil(),
            ])]),
        ]);
        let pid = eetf::Pid::new("bb@vm", 91, 0, 1);
        let text = crash_report_at("bb@vm", &pid, &long, d);
        assert!(
            text.ends_with(
                "with exit value:\n\
                 {[1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,\n\
                 \x20 29,30,31,32,33,34,35,36,37,38,39,40],\n\
                 \x20[{erts_internal,dist_spawn_init,1,[]}]}\n\n"
            ),
            "{text}"
        );
        // Node names that need quotes print quoted, as ~p does.
        assert!(crash_report("rust-1@vm", &pid, &long).contains("on node 'rust-1@vm' with"));
    }

    #[test]
    fn timestamps_are_civil_utc() {
        use std::time::Duration;
        assert_eq!(
            timestamp(Duration::from_secs(1_709_251_199)),
            "29-Feb-2024::23:59:59.000000"
        );
        assert_eq!(
            timestamp(Duration::from_micros(946_598_400_000_007)),
            "31-Dec-1999::00:00:00.000007"
        );
        assert_eq!(timestamp(Duration::ZERO), "01-Jan-1970::00:00:00.000000");
    }

    #[test]
    fn hostile_input_is_an_error_or_bounded_text_never_a_panic() {
        let nested = (0..3_000).fold(term::nil(), |acc, _| term::list(vec![acc]));
        let s = erlang_term(&nested);
        assert!(s.contains("..."));
        let w = write_term(&nested, -1, Encoding::Latin1, &PrintOpts::default());
        assert!(w.contains("..."));
        let huge = |f: &str| {
            format(
                &term::binary(f.as_bytes().to_vec()),
                &term::list(vec![term::atom("a")]),
            )
        };
        assert!(huge("~999999999999999999999999s").is_err());
        assert!(huge("~999999999c").is_err());
        assert!(huge("~9999999999999w").is_err());
        assert!(format(&term::int(1), &term::nil()).is_err());
        assert!(format(&term::binary(&b"~p"[..]), &term::atom("x")).is_err());
        let e = format(&term::binary(&b"~d"[..]), &term::list(vec![term::int(1)])).unwrap_err();
        assert_eq!(e.reason, term::atom("badarg"));
        // A bigint in base 2 beyond the conversion bound is refused, not slow.
        let big = big_ones(9_000);
        let r = format(
            &term::binary(&b"~.2B"[..]),
            &term::list(vec![Term::BigInteger(big)]),
        );
        assert!(r.is_err());
    }

    /// A LARGE_BIG_EXT of `bytes` 0xff bytes (about 2.4 decimal digits each).
    fn big_ones(bytes: usize) -> eetf::BigInteger {
        let mut buf = vec![131, 111];
        buf.extend_from_slice(&(bytes as u32).to_be_bytes());
        buf.push(0);
        buf.extend(std::iter::repeat_n(0xff, bytes));
        match etf::decode_exact(&buf).unwrap() {
            Term::BigInteger(b) => b,
            other => panic!("{other:?}"),
        }
    }

    // The vector generator, fmtvec.erl:
    //
    // -module(fmtvec).
    // -export([main/0]).
    // %% Prints Rust test vectors: term_to_binary hex and io_lib:format outputs.
    // lit(Chars) ->
    //     B = unicode:characters_to_binary(Chars),
    //     [$" | lists:flatmap(fun(C) when C =:= $"; C =:= $\\ -> [$\\, C];
    //                            (C) when C >= 32, C < 127 -> [C];
    //                            (C) -> io_lib:format("\\u{~.16b}", [C]) end,
    //                         unicode:characters_to_list(B))] ++ [$"].
    // hex(T) -> [io_lib:format("~2.16.0b", [B]) || <<B>> <= term_to_binary(T)].
    // res(F, A) ->
    //     try lit(io_lib:format(F, A)) of S -> ["Some(", S, ")"] catch _:_ -> "None" end.
    // terms() ->
    //     [undef, 'Elixir.IO', 'hello world', '', a@b, a_B9, 'A', '_a', maybe, 'else', 'end', 'and',
    //      'ünï', 'ßa', 'Été', 'a\nb', 'it\'s', 'a\\b', binary_to_atom(<<"привет"/utf8>>), '\x7f', '\e',
    //      'a\x01b', 'a\x80', 'a\x{a0}b', nil, true, '[]',
    //      0, -1, 123456789012345678901234567890, -(1 bsl 64), 255,
    //      1.5, 0.1, 1.0e20, 1.0e15, 1.0e16, 123456789012345.0, 1.0e-5, 0.001, 0.0001, 2.5e-10, 100.0,
    //      -0.0, 3.0e300, 5.0e-324, 1.7976931348623157e308, 0.30000000000000004, 1000.0, 150.0, 1500.0,
    //      -2.5, 12345678.9,
    //      "abc", "", [], "a\nb\tc\"d\\", "café", [960, 97], [1,2,3], [97, 98 | 99], [$a, [$b]], "\e\v\b\f\r",
    //      [0], [127], [128], [160, 255], [256], <<>>, <<"hi">>, <<1,2>>, <<"café"/utf8>>, <<"caf", 233>>,
    //      <<"a\nb\"">>, <<"π"/utf8>>, <<1, 5:3>>, <<7:3>>, <<"hi", 3:2>>,
    //      {}, {a}, {a, 1}, {1, a}, {"s", <<"b">>, [x]}, #{}, #{a => 1}, #{b => 2, a => 1, 1 => x, "s" => <<>>},
    //      #{{x, 1} => [1]}, [{a, 1}, {b, 2}], {undef, [{nope, nope, [], []}]},
    //      fun lists:reverse/1, fun 'Elixir.IO':puts/1,
    //      list_to_pid("<0.74.0>"), self(),
    //      lists:seq(1, 40), {lists:seq(1, 40), [{erts_internal, dist_spawn_init, 1, []}]},
    //      [{some_long_atom_name_here, "a fairly long string value"}, {another_key, <<"binary value here">>}, {k, 1}],
    //      #{alpha => "a long string to force wrapping ok", beta => [1,2,3,4,5,6,7,8,9,10], gamma => {x, y, z}},
    //      {error, {badmatch, [{module_name_long, function_name_long, 3, [{file, "some/path/file.erl"}, {line, 123}]}]}},
    //      list_to_binary(lists:seq(1, 60)), list_to_binary(lists:duplicate(100, $a)),
    //      [lists:seq(1, 30), lists:seq(100, 130)], {a, b, c, d, e, f, g, h, i, j, k, l, m, n, o, p, q, r, s, t, u, v, w, x, y, z, aa, bb, cc, dd},
    //      {tag, lists:duplicate(5, {some_thing, other_thing, 12345})},
    //      {averyveryverylongtagnameforthetupleelement, [aaaaaaaaaaaaaaaaaaaa, bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb, ccccccccccccccccccccccccccc]},
    //      [[1,2] | tail_atom_that_is_long_enough_to_matter_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx],
    //      #{key1 => #{nested_key_aaaaaaaaaaaaaa => "nested value bbbbbbbbbbbbbbbbb", other => [1,2,3]}, key2 => ok},
    //      #{[1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20] => {[1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31,32,33]}}
    //     ].
    // fmts() ->
    //     [{"~p", [x]}, {"~w", [x]}, {"hello~n", []}, {"~~", []}, {"~s", ["abc"]}, {"~s", [<<"abc">>]},
    //      {"~s", [abc]}, {"~s", [[$a, [<<"b">>, $c]]]}, {"~s", [[960]]}, {"~ts", [[960]]}, {"~ts", [<<"π"/utf8>>]},
    //      {"~s", [<<"π"/utf8>>]}, {"~ts", [<<"caf", 233>>]}, {"~10s|", ["abc"]}, {"~-10s|", ["abc"]}, {"~2s|", ["abc"]},
    //      {"~.2s|", ["abc"]}, {"~10.2s|", ["abc"]}, {"~-10.2s|", ["abc"]}, {"~10.5s|", ["abc"]}, {"~10.5.*s|", ["abc"]},
    //      {"~5.2s|", ["abc"]}, {"~3.3s|", ["abcd"]}, {"~2.3s|", ["abcd"]}, {"~10..xs|", ["abc"]}, {"~*s|", [6, "ab"]},
    //      {"~c", [$a]}, {"~c", [960]}, {"~tc", [960]}, {"~5c", [$a]}, {"~.3c", [$a]}, {"~5.3c|", [$a]}, {"~-5.3c|", [$a]},
    //      {"~5~", []}, {"~3n", []}, {"~-3n", []},
    //      {"~b", [255]}, {"~.16b", [255]}, {"~.16B", [255]}, {"~.2B", [-5]}, {"~8.16.0B", [255]}, {"~-8.16B|", [255]},
    //      {"~.36B", [123456]}, {"~.37B", [1]}, {"~.1B", [1]}, {"~x", [255, "0x"]}, {"~.16x", [255, "0x"]}, {"~.16X", [255, '0x']},
    //      {"~.16X", [-255, "#"]}, {"~.16#", [255]}, {"~.16+", [255]}, {"~#", [-10]}, {"~B", [123456789012345678901234567890]},
    //      {"~2B", [12345]}, {"~b", [1.0]},
    //      {"~f", [3.14159]}, {"~.2f", [3.14159]}, {"~.2f", [0.125]}, {"~.2f", [0.135]}, {"~.0f", [1.0]}, {"~.1f", [9.96]},
    //      {"~f", [-0.0]}, {"~f", [1.0e20]}, {"~f", [1.0e-10]}, {"~10.3f|", [3.14159]}, {"~-10.3f|", [3.14159]},
    //      {"~3.2f|", [123.456]}, {"~10.3.0f|", [-3.14159]}, {"~f", [1]}, {"~e", [3.14159]}, {"~.3e", [31415.9]},
    //      {"~.2e", [9.99]}, {"~.1e", [1.0]}, {"~e", [0.0]}, {"~e", [-1.0e-300]}, {"~12.3e|", [1.5]},
    //      {"~g", [3.14159]}, {"~g", [0.05]}, {"~g", [12345.678]}, {"~g", [0.5]}, {"~.1g", [0.5]}, {"~.1g", [5.0]},
    //      {"~.3g", [1234.0]}, {"~.2g", [99.9]}, {"~g", [1.0e10]}, {"~g", [100.0]},
    //      {"~i~w", [ignored, shown]}, {"~p ~p", [1]}, {"~p", [1, 2]}, {"~q", [1]}, {"~", []}, {"~d", [1]},
    //      {"~lp", [[97, 98]]}, {"~p", [[97, 98]]}, {"~tp", [[960, 97]]}, {"~tp", [<<"π"/utf8>>]}, {"~tp", [<<"é"/utf8>>]},
    //      {"~tp", [<<"hi"/utf8>>]}, {"~tp", [binary_to_atom(<<"привет"/utf8>>)]}, {"~tw", [binary_to_atom(<<"привет"/utf8>>)]},
    //      {"~p", [binary_to_atom(<<"привет"/utf8>>)]},
    //      {"~10w|", [abc]}, {"~-10w|", [abc]}, {"~2w|", [abc]}, {"~.2w|", [abc]}, {"~10.2w|", [abc]}, {"~10..*w|", [abc]},
    //      {"~P", [[1,2,3,4], 3]}, {"~P", [{1,2,3,4}, 3]}, {"~P", [#{a => 1, b => 2, c => 3}, 2]}, {"~P", [<<1,2,3,4,5>>, 3]},
    //      {"~P", [[[1,2],[3,4]], 2]}, {"~P", ["abcdef", 2]}, {"~P", ["abcdef", 1]}, {"~P", [<<"abcdefghijkl">>, 2]},
    //      {"~P", [x, 0]}, {"~P", [[a|b], 2]}, {"~P", [{a, "str", [x, y, z]}, 3]},
    //      {"~W", [[1,2,3,4], 3]}, {"~W", [{1,2,3,4}, 3]}, {"~W", [#{a => 1, b => 2, c => 3}, 2]}, {"~W", [<<1,2,3,4,5>>, 3]},
    //      {"~W", [[a|b], 2]}, {"~W", [x, 0]}, {"~W", [[1,2,3], 1]},
    //      {"~30p", [lists:seq(1, 20)]}, {"~.10p", [lists:seq(1, 30)]}, {"abcdefghij~p", [lists:seq(1, 30)]},
    //      {"\tx~p", [lists:seq(1, 35)]}, {"~p~n~p", [lists:seq(1, 30), lists:seq(1, 30)]}, {"~-30p", [x]}, {"~0p", [lists:seq(1,50)]},
    //      {'atom ~p', [x]}, {<<"bin ~p">>, [x]}, {<<"é~s"/utf8>>, ["x"]}, {"π~p", [x]}, {"~p", x}, {"~s", [x, y]},
    //      {"~s", [1]}, {"~s", [[256]]}, {"~s", [[-1]]}, {"~ts", [[-1]]}, {"~ts", [[16#110000]]}, {"~*p", [a, 1]},
    //      {"~.*f", [3, 1.23456]}, {"~.-1f", [1.0]}, {"~e", [1]}, {"~.1e", [1.0]}, {"~c", [a]}, {"~x", [1]}
    //     ].
    // main() ->
    //     io:format("// TERMS: (etf hex, ~~p, ~~w)~n"),
    //     [io:format("(\"~s\", ~s, ~s),~n", [hex(T), res("~p", [T]), res("~w", [T])]) || T <- terms()],
    //     io:format("// FORMATS: (format etf hex, args etf hex, result)~n"),
    //     [io:format("(\"~s\", \"~s\", ~s),~n", [hex(F), hex(A), res(F, A)]) || {F, A} <- fmts()],
    //     ok.

    //
    // The random samples come from fuzz.erl and fuzz2.erl, run as
    // `erl -noshell -sname fuzz -eval 'fuzz:main(["1"]), halt().'` (seeds 1-3):
    //
    // -module(fuzz).
    // -export([main/1]).
    // atoms() -> [a, ok, error, undef, 'Elixir.Foo', 'hello world', 'end', x@y, 'A', ''].
    // rt(0) -> leaf();
    // rt(N) ->
    //     case rand:uniform(9) of
    //         1 -> list_to_tuple([rt(N-1) || _ <- lists:seq(1, rand:uniform(6)-1)]);
    //         2 -> [rt(N-1) || _ <- lists:seq(1, rand:uniform(8)-1)];
    //         3 -> maps:from_list([{rt(N-1), rt(N-1)} || _ <- lists:seq(1, rand:uniform(5)-1)]);
    //         4 -> list_to_tuple([lists:nth(rand:uniform(10), atoms()) | [rt(N-1) || _ <- lists:seq(1, rand:uniform(5))]]);
    //         5 -> [rt(N-1) | leaf()];
    //         _ -> leaf()
    //     end.
    // leaf() ->
    //     case rand:uniform(14) of
    //         1 -> rand:uniform(1000) - 500;
    //         2 -> rand:uniform() * math:pow(10, rand:uniform(40) - 20);
    //         3 -> lists:nth(rand:uniform(10), atoms());
    //         4 -> lists:sublist("some longer string with words", rand:uniform(29));
    //         5 -> list_to_binary(lists:sublist("binary text here and more", rand:uniform(25)));
    //         6 -> list_to_binary([rand:uniform(256)-1 || _ <- lists:seq(1, rand:uniform(30))]);
    //         7 -> [rand:uniform(300) || _ <- lists:seq(1, rand:uniform(5))];
    //         8 -> <<"é"/utf8, "tail">>;
    //         9 -> <<(rand:uniform(255)):8, 5:3>>;
    //         10 -> rand:uniform(1 bsl 80);
    //         11 -> [];
    //         12 -> self();
    //         13 -> {};
    //         14 -> lists:sublist("abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz", rand:uniform(60))
    //     end.
    // hex(T) -> [io_lib:format("~2.16.0b", [B]) || <<B>> <= term_to_binary(T)].
    // main([NS]) ->
    //     rand:seed(exsss, {1, 2, list_to_integer(NS)}),
    //     Fmts = ["~p", "~w", "~tp", "~lp", "~P", "~W", "~40p", "~60.20p", "~.30p", "~100P", "abcdefghijklmnopqrstuvwxyz~p", "~30.5P"],
    //     lists:foreach(fun(_) ->
    //         T = rt(rand:uniform(5)),
    //         F = lists:nth(rand:uniform(length(Fmts)), Fmts),
    //         A = case lists:last(F) of $P -> [T, rand:uniform(8)]; $W -> [T, rand:uniform(8)]; _ -> [T] end,
    //         R = try unicode:characters_to_binary(io_lib:format(F, A)) of B when is_binary(B) -> [io_lib:format("~2.16.0b", [X]) || <<X>> <= B] catch _:_ -> "none" end,
    //         io:format("~s ~s ~s~n", [hex(F), hex(A), R])
    //     end, lists:seq(1, 3000)).
    //
    // -module(fuzz2).
    // -export([main/1]).
    // pick(L) -> lists:nth(rand:uniform(length(L)), L).
    // hex(T) -> [io_lib:format("~2.16.0b", [B]) || <<B>> <= term_to_binary(T)].
    // num() -> pick([none, 0, 1, 2, 3, 5, 8, 12, 20]).
    // ctl() ->
    //     C = pick("eeefffgggsssbBxX+#cwpi~n"),
    //     W = num(), P = num(),
    //     Neg = pick(["", "", "-"]),
    //     Pad = pick(["", "", ".0", ".*", "._"]),
    //     Mod = pick(["", "", "t", "l"]),
    //     Ws = case W of none -> ""; _ -> Neg ++ integer_to_list(W) end,
    //     Ps = case {P, Pad} of {none, ""} -> ""; {none, _} -> "."; _ -> "." ++ integer_to_list(P) end,
    //     Fmt = "~" ++ Ws ++ Ps ++ Pad ++ Mod ++ [C],
    //     PadArgs = case Pad of ".*" -> [pick([$x, $0, 960])]; _ -> [] end,
    //     Arg = case C of
    //         $e -> [pick([float(rand:uniform(1000)), rand:uniform() * math:pow(10, rand:uniform(60) - 30), -rand:uniform(), 0.0, 9.995, 0.5, 1.0e100])];
    //         $f -> [pick([float(rand:uniform(1000)), rand:uniform() * math:pow(10, rand:uniform(30) - 15), -rand:uniform(), 0.0, 9.995, 0.125, 99.5])];
    //         $g -> [pick([float(rand:uniform(100000)), rand:uniform() * math:pow(10, rand:uniform(12) - 6), -rand:uniform(), 0.0, 9.995, 0.05])];
    //         $s -> [pick(["abc", <<"hello">>, hello, 'Élan', "longer string here", [$a, [<<"bc">>], "d"], <<"π"/utf8>>, [960], <<"caf", 233>>, ""])];
    //         X when X =:= $b; X =:= $B; X =:= $+; X =:= $# -> [pick([0, 255, -255, 123456789, 1 bsl 70, -(1 bsl 65)])];
    //         X when X =:= $x; X =:= $X -> [pick([0, 255, -255, 1 bsl 70]), pick(["0x", '#', "", [$a, "b"]])];
    //         $c -> [pick([$a, 960, 255, 256 + $a])];
    //         $w -> [pick([abc, "abc", {a, b}, 1.5, <<"x">>, 'Élan'])];
    //         $p -> [pick([abc, "abc", {a, b}, 1.5, <<"x">>, [1, 2, 3]])];
    //         $i -> [x];
    //         _ -> []
    //     end,
    //     {Fmt, PadArgs ++ Arg}.
    // main([NS]) ->
    //     rand:seed(exsss, {3, 4, list_to_integer(NS)}),
    //     lists:foreach(fun(_) ->
    //         {F1, A1} = ctl(), {F2, A2} = ctl(),
    //         F = F1 ++ "|" ++ F2, A = A1 ++ A2,
    //         R = try unicode:characters_to_binary(io_lib:format(F, A)) of B when is_binary(B) -> [io_lib:format("~2.16.0b", [X]) || <<X>> <= B]; _ -> "none" catch _:_ -> "none" end,
    //         io:format("~s ~s ~s~n", [hex(F), hex(A), R])
    //     end, lists:seq(1, 5000)).
}
