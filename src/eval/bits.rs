//! Bit syntax for the shell-fun interpreter: building `<<...>>` values and matching `<<...>>` patterns.

use super::forms::{Context, error_atom, form, forms_list, unsupported};
use super::ops::{self, MAX_INT_BITS, Num, Pure, bits_of};
use super::pattern::{Env, GuardError, guard_expr, match_pattern};
use super::value::{MAX_ELEMENTS, Value, leaf_eq};
use crate::otp::rpc::Exception;
use crate::term;
use eetf::{BigInteger, Term};

/// Most bits one binary may hold.
const MAX_BITS: usize = MAX_ELEMENTS * 8;

/// A bitstring under construction.
#[derive(Default, Debug)]
pub(super) struct BitBuf {
    bytes: Vec<u8>,
    bits: usize,
}

impl BitBuf {
    /// Appends `n` bits of `src`, starting at bit `start` (most significant first).
    fn push_bits(&mut self, src: &[u8], start: usize, n: usize) -> Result<(), Exception> {
        if self.bits.saturating_add(n) > MAX_BITS || start.saturating_add(n) > src.len() * 8 {
            return Err(error_atom("system_limit"));
        }
        if self.bits.is_multiple_of(8) && start.is_multiple_of(8) {
            let whole = n / 8;
            self.bytes
                .extend_from_slice(&src[start / 8..start / 8 + whole]);
            self.bits += whole * 8;
            return self.push_bits_slow(src, start + whole * 8, n % 8);
        }
        self.push_bits_slow(src, start, n)
    }

    fn push_bits_slow(&mut self, src: &[u8], start: usize, n: usize) -> Result<(), Exception> {
        for i in start..start + n {
            let bit = (src[i / 8] >> (7 - i % 8)) & 1;
            if self.bits.is_multiple_of(8) {
                self.bytes.push(0);
            }
            if bit == 1
                && let Some(last) = self.bytes.last_mut()
            {
                *last |= 1 << (7 - self.bits % 8);
            }
            self.bits += 1;
        }
        Ok(())
    }

    /// A binary, or a bitstring when the length is not whole bytes.
    pub(super) fn into_term(self) -> Term {
        let tail = self.bits % 8;
        if tail == 0 {
            term::binary(self.bytes)
        } else {
            Term::BitBinary(eetf::BitBinary::from((self.bytes, tail as u8)))
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Ty {
    Integer,
    Float,
    Binary,
    Bitstring,
    Utf8,
    Utf16,
    Utf32,
}

/// A segment's type specifiers.
#[derive(Clone, Debug)]
pub(super) struct Spec {
    pub ty: Ty,
    pub signed: bool,
    pub little: bool,
    pub unit: Option<u32>,
}

impl Spec {
    fn unit(&self) -> i64 {
        i64::from(
            self.unit
                .unwrap_or(if self.ty == Ty::Binary { 8 } else { 1 }),
        )
    }
}

fn parse_tsl(tsl: &Term) -> Option<Spec> {
    let mut spec = Spec {
        ty: Ty::Integer,
        signed: false,
        little: false,
        unit: None,
    };
    if term::is_atom(tsl, "default") {
        return Some(spec);
    }
    for t in forms_list(tsl)? {
        if let Some([k, n]) = term::as_tuple(t)
            && term::is_atom(k, "unit")
        {
            spec.unit = Some(
                u32::try_from(term::as_int(n)?)
                    .ok()
                    .filter(|u| (1..=256).contains(u))?,
            );
            continue;
        }
        match term::as_atom(t)? {
            "integer" => spec.ty = Ty::Integer,
            "float" => spec.ty = Ty::Float,
            "binary" | "bytes" => spec.ty = Ty::Binary,
            "bitstring" | "bits" => spec.ty = Ty::Bitstring,
            "utf8" => spec.ty = Ty::Utf8,
            "utf16" => spec.ty = Ty::Utf16,
            "utf32" => spec.ty = Ty::Utf32,
            "signed" => spec.signed = true,
            "unsigned" => spec.signed = false,
            "big" => spec.little = false,
            // This node runs on little-endian hosts only in practice; native
            // follows the host.
            "little" => spec.little = true,
            "native" => spec.little = cfg!(target_endian = "little"),
            _ => return None,
        }
    }
    Some(spec)
}

/// One `{bin_element, A, Value, Size, TypeSpecifiers}`.
pub(super) struct Seg<'a> {
    pub value: &'a Term,
    pub size: Option<&'a Term>,
    pub spec: Spec,
}

impl Seg<'_> {
    /// The characters of a string literal segment (`<<"abc">>`, `<<"é"/utf8>>`).
    pub(super) fn string_literal(&self) -> Option<Vec<Term>> {
        match form(self.value) {
            Some(("string", [_, chars])) => term::as_list(chars),
            _ => None,
        }
    }
}

pub(super) fn parse_element(el: &Term, context: Context) -> Result<Seg<'_>, Exception> {
    let Some(("bin_element", [_, v, size, tsl])) = form(el) else {
        return Err(unsupported(super::forms::tag_of(el), el, context));
    };
    let spec = parse_tsl(tsl).ok_or_else(|| unsupported("bin_element", el, context))?;
    let size = if term::is_atom(size, "default") {
        None
    } else {
        Some(size)
    };
    Ok(Seg {
        value: v,
        size,
        spec,
    })
}

fn badarg() -> Exception {
    Exception::badarg()
}

/// Two's-complement big-endian bytes of an integer, at least 8 of them.
fn int_bytes(n: &Num) -> Option<Vec<u8>> {
    match n {
        Num::Int(v) => Some(v.to_be_bytes().to_vec()),
        Num::Big(b) => Some(b.value.to_signed_bytes_be()),
        Num::Float(_) => None,
    }
}

fn checked_bits(size: i64, unit: i64) -> Result<usize, Exception> {
    let bits = size.checked_mul(unit).ok_or_else(badarg)?;
    let bits = usize::try_from(bits).map_err(|_| badarg())?;
    if bits > MAX_BITS {
        return Err(error_atom("system_limit"));
    }
    Ok(bits)
}

/// Appends one segment's value.
pub(super) fn push(
    buf: &mut BitBuf,
    v: &Term,
    size: Option<i64>,
    spec: &Spec,
) -> Result<(), Exception> {
    match spec.ty {
        Ty::Integer => {
            let n = ops::num(v).ok_or_else(badarg)?;
            let bits = checked_bits(size.unwrap_or(8), spec.unit())?;
            let raw = int_bytes(&n).ok_or_else(badarg)?;
            let nbytes = bits.div_ceil(8);
            let fill = if raw.first().is_some_and(|b| b & 0x80 != 0) {
                0xff
            } else {
                0
            };
            let mut bytes = if raw.len() >= nbytes {
                raw[raw.len() - nbytes..].to_vec()
            } else {
                let mut b = vec![fill; nbytes - raw.len()];
                b.extend_from_slice(&raw);
                b
            };
            if spec.little {
                if bits % 8 != 0 {
                    return Err(badarg());
                }
                bytes.reverse();
            }
            buf.push_bits(&bytes, nbytes * 8 - bits, bits)
        }
        Ty::Float => {
            let n = ops::num(v).ok_or_else(badarg)?;
            let f = match n {
                Num::Float(f) => f,
                Num::Int(i) => i as f64,
                Num::Big(b) => b.value.to_string().parse().map_err(|_| badarg())?,
            };
            let mut bytes = match checked_bits(size.unwrap_or(64), spec.unit())? {
                64 => f.to_be_bytes().to_vec(),
                32 => (f as f32).to_be_bytes().to_vec(),
                _ => return Err(badarg()),
            };
            if spec.little {
                bytes.reverse();
            }
            let n = bytes.len() * 8;
            buf.push_bits(&bytes, 0, n)
        }
        Ty::Binary | Ty::Bitstring => {
            let (bytes, nbits) = bits_of(v).ok_or_else(badarg)?;
            let take = match size {
                Some(s) => checked_bits(s, spec.unit())?,
                None => nbits,
            };
            if take > nbits || (spec.ty == Ty::Binary && size.is_none() && nbits % 8 != 0) {
                return Err(badarg());
            }
            buf.push_bits(bytes, 0, take)
        }
        Ty::Utf8 | Ty::Utf16 | Ty::Utf32 => {
            if size.is_some() {
                return Err(badarg());
            }
            let c = term::as_int(v)
                .and_then(|c| u32::try_from(c).ok())
                .and_then(char::from_u32)
                .ok_or_else(badarg)?;
            let mut bytes: Vec<u8> = match spec.ty {
                Ty::Utf8 => c.to_string().into_bytes(),
                Ty::Utf16 => {
                    let mut units = [0u16; 2];
                    let units = c.encode_utf16(&mut units);
                    if spec.little {
                        units.iter().flat_map(|u| u.to_le_bytes()).collect()
                    } else {
                        units.iter().flat_map(|u| u.to_be_bytes()).collect()
                    }
                }
                _ => {
                    if spec.little {
                        u32::from(c).to_le_bytes().to_vec()
                    } else {
                        u32::from(c).to_be_bytes().to_vec()
                    }
                }
            };
            let n = bytes.len() * 8;
            buf.push_bits(&std::mem::take(&mut bytes), 0, n)
        }
    }
}

/// Appends a string literal segment: each character with the segment's type.
pub(super) fn push_string(
    buf: &mut BitBuf,
    chars: &[Term],
    size: Option<i64>,
    spec: &Spec,
) -> Result<(), Exception> {
    for c in chars {
        push(buf, c, size, spec)?;
    }
    Ok(())
}

// --------------------------------------------------------------- matching

/// `n` bits of `data` from bit `pos`, left-aligned in whole bytes.
fn take_bits(data: &[u8], pos: usize, n: usize) -> Vec<u8> {
    let mut b = BitBuf::default();
    // Bounds were checked by the caller; a failure leaves an empty buffer.
    let _ = b.push_bits(data, pos, n);
    b.bytes
}

/// The unsigned big-endian value of left-aligned `bits` bits (<= 64).
fn small_uint(bytes: &[u8], bits: usize) -> u64 {
    let mut v: u128 = 0;
    for &b in bytes {
        v = (v << 8) | u128::from(b);
    }
    let pad = bytes.len() * 8 - bits;
    (v >> pad) as u64
}

fn int_value(mut bytes: Vec<u8>, bits: usize, spec: &Spec) -> Option<Term> {
    if spec.little {
        if !bits.is_multiple_of(8) {
            return None;
        }
        bytes.reverse();
    }
    if bits == 0 {
        return Some(term::int(0));
    }
    if bits <= 64 {
        let u = small_uint(&bytes, bits);
        if spec.signed && (u >> (bits - 1)) & 1 == 1 {
            let v = i128::from(u) - (1i128 << bits);
            return Some(term::int(i64::try_from(v).ok()?));
        }
        return Some(match i64::try_from(u) {
            Ok(v) => term::int(v),
            Err(_) => Term::BigInteger(BigInteger::from(u)),
        });
    }
    if bits as u64 > MAX_INT_BITS {
        return None;
    }
    let mut v = BigInteger::from(0i64).value;
    for &b in &bytes {
        v = (v << 8usize) + BigInteger::from(b).value;
    }
    let pad = bytes.len() * 8 - bits;
    v >>= pad;
    let negative = spec.signed && bytes.first().is_some_and(|b| b & 0x80 != 0);
    if negative {
        v -= BigInteger::from(1i64).value << bits;
    }
    ops::big_term(BigInteger { value: v }).ok()
}

struct Reader<'a> {
    data: &'a [u8],
    len: usize,
    pos: usize,
}

impl Reader<'_> {
    fn take(&mut self, n: usize) -> Option<Vec<u8>> {
        if self.pos.checked_add(n)? > self.len {
            return None;
        }
        let b = take_bits(self.data, self.pos, n);
        self.pos += n;
        Some(b)
    }

    fn uint(&mut self, n: usize, little: bool) -> Option<u64> {
        let mut b = self.take(n)?;
        if little {
            b.reverse();
        }
        Some(small_uint(&b, n))
    }

    /// Reads one segment's value, or `None` when the rest does not fit it.
    fn read(&mut self, size: Option<i64>, spec: &Spec) -> Result<Option<Term>, Exception> {
        let bits = |default: i64| -> Result<Option<usize>, Exception> {
            let s = size.unwrap_or(default);
            match s
                .checked_mul(spec.unit())
                .and_then(|b| usize::try_from(b).ok())
            {
                Some(b) => Ok(Some(b)),
                None => Ok(None),
            }
        };
        Ok(match spec.ty {
            Ty::Integer => {
                let Some(n) = bits(8)? else { return Ok(None) };
                self.take(n).and_then(|b| int_value(b, n, spec))
            }
            Ty::Float => {
                let Some(n) = bits(64)? else { return Ok(None) };
                let f = match n {
                    64 => self.uint(64, spec.little).map(f64::from_bits),
                    32 => self
                        .uint(32, spec.little)
                        .and_then(|u| u32::try_from(u).ok())
                        .map(|u| f64::from(f32::from_bits(u))),
                    _ => None,
                };
                f.and_then(|f| ops::float_term(f).ok())
            }
            Ty::Binary | Ty::Bitstring => {
                let n = match size {
                    Some(_) => match bits(0)? {
                        Some(n) => n,
                        None => return Ok(None),
                    },
                    None => self.len - self.pos,
                };
                if spec.ty == Ty::Binary && n % 8 != 0 {
                    return Ok(None);
                }
                let Some(b) = self.take(n) else {
                    return Ok(None);
                };
                let mut buf = BitBuf::default();
                buf.push_bits(&b, 0, n)?;
                Some(buf.into_term())
            }
            Ty::Utf8 => {
                let Some(first) = self.uint(8, false) else {
                    return Ok(None);
                };
                let first = first as u8;
                let extra = match first {
                    0x00..=0x7f => 0,
                    0xc0..=0xdf => 1,
                    0xe0..=0xef => 2,
                    0xf0..=0xf7 => 3,
                    _ => return Ok(None),
                };
                let mut bytes = vec![first];
                for _ in 0..extra {
                    let Some(b) = self.uint(8, false) else {
                        return Ok(None);
                    };
                    bytes.push(b as u8);
                }
                std::str::from_utf8(&bytes)
                    .ok()
                    .and_then(|s| s.chars().next())
                    .map(|c| term::int(i64::from(u32::from(c))))
            }
            Ty::Utf16 => {
                let Some(u) = self.uint(16, spec.little) else {
                    return Ok(None);
                };
                let mut units = vec![u as u16];
                if (0xd800..0xdc00).contains(&u) {
                    let Some(l) = self.uint(16, spec.little) else {
                        return Ok(None);
                    };
                    units.push(l as u16);
                }
                char::decode_utf16(units)
                    .next()
                    .and_then(|r| r.ok())
                    .map(|c| term::int(i64::from(u32::from(c))))
            }
            Ty::Utf32 => self
                .uint(32, spec.little)
                .and_then(|u| u32::try_from(u).ok())
                .and_then(char::from_u32)
                .map(|c| term::int(i64::from(u32::from(c)))),
        })
    }
}

/// Matches a `{bin, A, Elements}` pattern.
pub(super) fn match_bin(
    p: &Term,
    elems: &Term,
    v: &Value,
    env: &mut Env,
    pure: &Pure,
    d: usize,
) -> Result<bool, Exception> {
    let Some(elems) = forms_list(elems) else {
        return Err(unsupported("bin", p, Context::Pattern));
    };
    let Some((data, len)) = v.as_leaf().and_then(bits_of) else {
        return Ok(false);
    };
    let mut r = Reader { data, len, pos: 0 };
    for el in elems {
        let seg = parse_element(el, Context::Pattern)?;
        let size = match seg.size {
            None => None,
            Some(s) => match guard_expr(s, env, pure, d) {
                Ok(t) => match t.as_int() {
                    Some(n) if n >= 0 => Some(n),
                    _ => return Ok(false),
                },
                Err(GuardError::Unsupported(e)) => return Err(e),
                Err(GuardError::Fail) => return Ok(false),
            },
        };
        if let Some(chars) = seg.string_literal() {
            for c in &chars {
                match r.read(size, &seg.spec)? {
                    Some(got) if leaf_eq(&got, c) => {}
                    _ => return Ok(false),
                }
            }
            continue;
        }
        let Some(got) = r.read(size, &seg.spec)? else {
            return Ok(false);
        };
        if !match_pattern(seg.value, &Value::leaf(got), env, pure, d)? {
            return Ok(false);
        }
    }
    Ok(r.pos == r.len)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(ty: Ty) -> Spec {
        Spec {
            ty,
            signed: false,
            little: false,
            unit: None,
        }
    }

    #[test]
    fn integers_and_bitstrings() {
        // <<1::4>> is a 4-bit bitstring, <<x::16>> two bytes (vectors from
        // `:erlang.term_to_binary(<<1::4>>)` = <<131,77,0,0,0,1,4,16>>).
        let mut b = BitBuf::default();
        push(&mut b, &term::int(1), Some(4), &spec(Ty::Integer)).unwrap();
        assert_eq!(
            b.into_term(),
            Term::BitBinary(eetf::BitBinary::from((vec![16u8], 4u8)))
        );
        let mut b = BitBuf::default();
        push(&mut b, &term::int(-2), Some(16), &spec(Ty::Integer)).unwrap();
        push(&mut b, &term::int(300), None, &spec(Ty::Integer)).unwrap();
        assert_eq!(b.into_term(), term::binary(vec![0xff, 0xfe, 44]));
    }

    #[test]
    fn utf8_and_reading_back() {
        let mut b = BitBuf::default();
        push(&mut b, &term::int(0x2713), None, &spec(Ty::Utf8)).unwrap();
        let t = b.into_term();
        assert_eq!(t, term::binary("✓".as_bytes().to_vec()));
        let (data, len) = bits_of(&t).unwrap();
        let mut r = Reader { data, len, pos: 0 };
        assert_eq!(
            r.read(None, &spec(Ty::Utf8)).unwrap(),
            Some(term::int(0x2713))
        );
        assert_eq!(r.pos, r.len);
        let signed = Spec {
            signed: true,
            ..spec(Ty::Integer)
        };
        let data = [0xffu8, 0xfe];
        let mut r = Reader {
            data: &data,
            len: 16,
            pos: 0,
        };
        assert_eq!(r.read(Some(16), &signed).unwrap(), Some(term::int(-2)));
    }
}
