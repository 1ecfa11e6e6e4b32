//! `io_lib_pretty:print/2` (`~p`, `~P`): strings detected and long terms laid out over lines as OTP does.

use super::*;

/// The intermediate form: each piece knows its one-line length.
pub(super) struct If {
    pub(super) kind: Kind,
    pub(super) len: i64,
}

pub(super) enum Kind {
    Leaf(String),
    /// A non-printable bitstring, as `io_lib:write_binary` pieces.
    Bin(Vec<String>),
    List(Seq),
    Tuple(bool, Seq),
    Map(Seq),
    Pair(Box<If>, Box<If>),
}

pub(super) enum SeqTail {
    Nil,
    Dots,
    Improper(Box<If>),
}

pub(super) struct Seq {
    pub(super) items: Vec<If>,
    pub(super) tail: SeqTail,
}

impl Seq {
    /// The one-line length with `open_close` bracket characters.
    pub(super) fn len(&self, open_close: i64) -> i64 {
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

pub(super) fn leaf(s: String) -> If {
    let len = s.chars().count() as i64;
    If {
        kind: Kind::Leaf(s),
        len,
    }
}

impl If {
    /// `?ATM`: written as plain characters (not a container, not a binary).
    pub(super) fn atomic(&self) -> bool {
        matches!(self.kind, Kind::Leaf(_))
    }
    pub(super) fn atomic_pair(&self) -> bool {
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

pub(super) fn write_if(out: &mut String, t: &If) {
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

pub(super) fn write_seq(out: &mut String, seq: &Seq, sep: char) {
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

pub(super) struct NoGood;

pub(super) struct Pretty<'a> {
    pub(super) w: &'a Writer<'a>,
    pub(super) strings: bool,
    pub(super) ll: i64,
    pub(super) m: i64,
}

pub(super) fn spaces(out: &mut String, n: i64) {
    for _ in 0..n.max(0) {
        out.push(' ');
    }
}

/// `last_depth`: 0 while more elements follow, else one more than `ld`.
pub(super) fn last_depth(more: bool, ld: i64) -> i64 {
    if more { 0 } else { ld + 1 }
}

impl Pretty<'_> {
    // ---- lengths (print_length)

    pub(super) fn length(&self, t: &Term, d: i64, nest: usize) -> If {
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

    pub(super) fn binary(&self, t: &Term, d: i64) -> If {
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
    pub(super) fn printable_binary(&self, bytes: &[u8], d: i64) -> Option<String> {
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
    pub(super) fn printable_utf8(
        &self,
        bytes: &[u8],
        len: usize,
        d: i64,
    ) -> Option<Option<String>> {
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

    pub(super) fn fits(&self, t: &If, col: i64, ld: i64, w: i64) -> bool {
        t.len < self.ll - col - ld && t.len + w + ld <= self.m
    }

    pub(super) fn tail_fits(&self, e: &If, col: i64, ld1: i64, w: i64, atm: bool) -> bool {
        let elen = 1 + e.len;
        atm && if ld1 == 0 {
            elen + 1 < self.ll - col && w + elen < self.m
        } else {
            elen < self.ll - col - ld1 && w + elen + ld1 <= self.m
        }
    }

    pub(super) fn cind(&self, t: &If, col: i64, ind: i64, ld: i64, w: i64) -> Result<(), NoGood> {
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

    pub(super) fn cind_tag_tuple(
        &self,
        seq: &Seq,
        col: i64,
        ind: i64,
        ld: i64,
        w: i64,
    ) -> Result<(), NoGood> {
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

    pub(super) fn cind_map(
        &self,
        seq: &Seq,
        col: i64,
        ind: i64,
        ld: i64,
        w: i64,
    ) -> Result<(), NoGood> {
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

    pub(super) fn cind_pair(
        &self,
        p: &If,
        col: i64,
        ind: i64,
        ld: i64,
        w: i64,
    ) -> Result<i64, NoGood> {
        if self.fits(p, col, ld, w) {
            return Ok(if p.atomic_pair() { p.len } else { self.ll });
        }
        if let Kind::Pair(k, v) = &p.kind {
            self.cind(k, col, ind, ld, w)?;
            self.cind(v, col + map_value_indent(ind), ind, ld, 0)?;
        }
        Ok(self.ll)
    }

    pub(super) fn cind_list(
        &self,
        seq: &Seq,
        col: i64,
        ind: i64,
        ld: i64,
        w: i64,
    ) -> Result<(), NoGood> {
        self.cind_list_items(&seq.items, &seq.tail, col, ind, ld, w)
    }

    pub(super) fn cind_list_items(
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
    pub(super) fn cind_tail(
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

    pub(super) fn cind_element(
        &self,
        e: &If,
        col: i64,
        ind: i64,
        ld: i64,
        w: i64,
    ) -> Result<i64, NoGood> {
        if self.fits(e, col, ld, w) && e.atomic() {
            return Ok(e.len);
        }
        self.cind(e, col, ind, ld, w)?;
        Ok(self.ll)
    }

    // ---- layout (pp)

    #[allow(clippy::too_many_arguments)]
    pub(super) fn pp(
        &self,
        out: &mut String,
        t: &If,
        col: i64,
        tind: i64,
        ind: i64,
        ld: i64,
        w: i64,
    ) {
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
    pub(super) fn pp_tag_tuple(
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
    pub(super) fn pp_map(
        &self,
        out: &mut String,
        seq: &Seq,
        col: i64,
        tind: i64,
        ind: i64,
        ld: i64,
        w: i64,
    ) {
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
    pub(super) fn pp_pair(
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
    pub(super) fn pp_list(
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
    pub(super) fn pp_tail(
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
    pub(super) fn pp_element(
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

    pub(super) fn pp_binary(
        &self,
        out: &mut String,
        items: &[String],
        col: i64,
        ind: i64,
        ld: i64,
        w: i64,
    ) {
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

pub(super) fn map_value_indent(tind: i64) -> i64 {
    if tind > 0 { tind } else { 4 }
}

/// The first UTF-8 character of `b` and its length.
pub(super) fn decode_utf8(b: &[u8]) -> Option<(char, usize)> {
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
