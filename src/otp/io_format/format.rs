//! `io_lib:format/2`'s control sequences: field width, precision, padding, modifiers, and each directive.

use super::*;

/// One piece of a scanned format: literal text or a control sequence.
pub(super) enum Piece {
    Text(Vec<char>),
    Format(Vec<char>),
}

/// Splits the format (a flat char list, a binary read as Latin-1, or an atom)
/// into text and the rest; nested lists and binaries are literal text.
pub(super) fn scan_format(fmt: &Term) -> Option<Vec<Piece>> {
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
pub(super) fn literal_chardata(t: &Term) -> Option<Vec<char>> {
    let mut out = Vec::new();
    pub(super) fn go(t: &Term, out: &mut Vec<char>, nest: usize) -> Option<()> {
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
pub(super) enum Adjust {
    Left,
    Right,
}

pub(super) struct Spec {
    pub(super) width: Option<i64>,
    pub(super) adjust: Adjust,
    pub(super) precision: Option<i64>,
    pub(super) pad: char,
    pub(super) enc: Encoding,
    pub(super) strings: bool,
    pub(super) maps: MapsOrder,
}

pub(super) struct Formatter<'a> {
    pub(super) out: String,
    /// Current column (0-based), for `~p`'s starting column.
    pub(super) col: i64,
    pub(super) opts: &'a PrintOpts,
}

pub(super) type R<T> = Result<T, ()>;

impl Formatter<'_> {
    pub(super) fn emit_char(&mut self, c: char) -> R<()> {
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

    pub(super) fn emit(&mut self, s: &str) -> R<()> {
        s.chars().try_for_each(|c| self.emit_char(c))
    }

    pub(super) fn run(&mut self, pieces: &[Piece], args: &[Cow<'_, Term>]) -> R<()> {
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
    pub(super) fn control<'t>(
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

    pub(super) fn repeat(&mut self, c: char, n: i64) -> R<()> {
        if n < 0 || n as usize > MAX_OUTPUT_CHARS {
            return Err(());
        }
        (0..n).try_for_each(|_| self.emit_char(c))
    }

    pub(super) fn adjust(&mut self, body: &[char], pad: char, n: i64, adj: Adjust) -> R<()> {
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
    pub(super) fn term(&mut self, s: &str, spec: &Spec) -> R<()> {
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
    pub(super) fn string(&mut self, s: Vec<char>, spec: &Spec) -> R<()> {
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
    pub(super) fn chars(&mut self, c: char, spec: &Spec) -> R<()> {
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
    pub(super) fn print(&mut self, t: &Term, depth: i64, spec: &Spec) -> R<()> {
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
    pub(super) fn opts_for(&self, spec: &Spec, t: &Term) -> R<Cow<'_, PrintOpts>> {
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
pub(super) fn has_map(t: &Term, nest: usize) -> bool {
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

pub(super) fn has_binary(t: &Term) -> bool {
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
pub(super) fn string_arg(t: &Term, enc: Encoding) -> Option<Vec<char>> {
    pub(super) fn go(t: &Term, enc: Encoding, out: &mut Vec<char>, nest: usize) -> Option<()> {
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
pub(super) fn integer(t: &Term, base: Option<i64>, lower: bool, prefix: &str) -> R<String> {
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
pub(super) const MAX_RADIX_DIGITS: usize = 20_000;

/// Decimal digits to upper-case digits in `base`.
pub(super) fn to_radix(decimal: &str, base: u32) -> R<String> {
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
