//! Floats for `~e`, `~f` and `~g`, digit for digit as `io_lib:format` writes them.

use super::*;

/// `float_data/1`: 21 significant digits and the exponent E with value
/// `0.DDD… × 10^E`.
/// Largest precision `~e` / `~f` / `~g` accept (OTP has no bound).
pub(super) const MAX_FLOAT_PRECISION: i64 = 100_000;

pub(super) fn float_data(v: f64) -> (Vec<u8>, i64) {
    let s = format!("{:.20e}", v.abs());
    let (m, e) = s.split_once('e').unwrap_or((&s, "0"));
    let digits = m.bytes().filter(u8::is_ascii_digit).collect();
    (digits, e.parse::<i64>().unwrap_or(0) + 1)
}

/// `float_man/3`: `int` digits, a point, `dec` decimals, rounded half up on
/// the digits; returns the text and whether rounding carried out of it.
pub(super) fn float_man(ds: &[u8], int: usize, dec: usize) -> (String, bool) {
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

pub(super) fn sign(v: f64) -> &'static str {
    if v.is_sign_negative() { "-" } else { "" }
}

pub(super) fn float_exp(e: i64) -> String {
    if e >= 0 {
        format!("e+{e}")
    } else {
        format!("e{e}")
    }
}

pub(super) fn fwrite_e(v: f64, p: Option<i64>) -> R<String> {
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

pub(super) fn fwrite_f(v: f64, p: Option<i64>) -> R<String> {
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

pub(super) fn fwrite_g(v: f64, p: Option<i64>) -> R<String> {
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
