//! Reading terms typed in Elixir syntax (the CLI's arguments) into ETF terms.
//!
//! [`parse_term`] reads one Elixir term literal: atoms (`:foo`, `:"a b"`,
//! `:+`, `true`, `nil`), aliases (`Foo.Bar` is the atom `Elixir.Foo.Bar`),
//! integers (`1_000`, `-5`, `0x1F`, `0o17`, `0b101`, `?a`, any size), floats
//! (`1.5`, `-2.0e3`), strings (`"..."`, UTF-8 binaries), charlists (`'abc'`),
//! tuples, lists (`[1 | 2]`, `[a: 1, b: "x"]`), maps (`%{a: 1, "k" => 2}`)
//! and binaries (`<<1, 2::size(4), "ab">>`). No expressions, variables,
//! interpolation, sigils, structs, pids or funs.
//!
//! Everything [`crate::term::print::inspect`] prints for such terms reads back
//! to an equal term (after [`normalize`]).
//!
//! Where this is more lenient or stricter than Elixir:
//! - map entries may mix `key: value` and `key => value` in any order
//!   (Elixir wants the keyword ones last); keyword keys need no space after
//!   the colon;
//! - in quoted atoms `\xHH` is the code point U+00HH, so that what `inspect`
//!   prints for such atoms reads back (Elixir makes it a raw byte and fails);
//!   in strings it is a raw byte, as in Elixir;
//! - binary segments must fit their size: `<<256>>` is an error rather than
//!   a silently truncated `<<0>>`, and negative segment values are refused.
//!
//! Input is bounded ([`MAX_INPUT`] bytes, [`MAX_DEPTH`] levels of nesting,
//! [`MAX_INTEGER_DIGITS`] digits per integer, [`MAX_SEGMENT_BITS`] bits per
//! binary segment) and every failure is a [`SyntaxError`] with a position.

use std::collections::HashMap;

use eetf::Term;

/// Longest accepted input, in bytes.
pub const MAX_INPUT: usize = 1 << 20;
/// Deepest accepted nesting of tuples, lists, maps and binaries.
pub const MAX_DEPTH: usize = 256;
/// Most digits accepted in one integer literal.
pub const MAX_INTEGER_DIGITS: usize = 4096;
/// Largest `::size(N)` accepted in a binary segment.
pub const MAX_SEGMENT_BITS: u64 = 1 << 20;

/// A syntax error at a 1-based line and column (columns count characters).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{line}:{column}: {message}")]
pub struct SyntaxError {
    /// 1-based line.
    pub line: usize,
    /// 1-based column, in characters.
    pub column: usize,
    /// What went wrong.
    pub message: String,
}

/// Read one term written in Elixir syntax; surrounding whitespace and `#`
/// comments are allowed, anything else after the term is an error.
pub fn parse_term(src: &str) -> Result<Term, SyntaxError> {
    if src.len() > MAX_INPUT {
        return Err(SyntaxError {
            line: 1,
            column: 1,
            message: format!("input is {} bytes, more than {MAX_INPUT}", src.len()),
        });
    }
    let mut p = Parser {
        chars: src.chars().collect(),
        pos: 0,
        line: 1,
        column: 1,
    };
    p.skip_space();
    let term = p.term(0)?;
    p.skip_space();
    match p.peek() {
        None => Ok(term),
        Some(_) => Err(p.error_here(format!("unexpected {} after the term", p.describe()))),
    }
}

/// The canonical form of a term for comparisons: `STRING_EXT` byte lists
/// become lists of integers, big integers that fit 32 bits become small
/// integers, and improper lists whose tail is a list are joined (what Erlang
/// itself does). Two terms Erlang considers identical (`=:=`) normalize to
/// equal values.
pub fn normalize(term: &Term) -> Term {
    match term {
        Term::ByteList(l) => list_of(l.bytes.iter().map(|&b| small(i32::from(b))).collect()),
        Term::BigInteger(b) => match b.value.to_string().parse::<i32>() {
            Ok(v) => small(v),
            Err(_) => term.clone(),
        },
        Term::List(l) => list_of(l.elements.iter().map(normalize).collect()),
        Term::ImproperList(l) => {
            let mut elements: Vec<Term> = l.elements.iter().map(normalize).collect();
            match normalize(&l.last) {
                Term::List(tail) => {
                    elements.extend(tail.elements);
                    list_of(elements)
                }
                Term::ImproperList(tail) => {
                    elements.extend(tail.elements);
                    improper(elements, *tail.last)
                }
                last => improper(elements, last),
            }
        }
        Term::Tuple(t) => Term::from(eetf::Tuple::from(
            t.elements.iter().map(normalize).collect::<Vec<_>>(),
        )),
        Term::Map(m) => Term::from(eetf::Map {
            map: m
                .map
                .iter()
                .map(|(k, v)| (normalize(k), normalize(v)))
                .collect(),
        }),
        Term::BitBinary(b) => match b.tail_bits_size {
            8 => Term::from(eetf::Binary::from(b.bytes.clone())),
            0 => {
                let mut bytes = b.bytes.clone();
                bytes.pop();
                Term::from(eetf::Binary::from(bytes))
            }
            bits => {
                let mut bytes = b.bytes.clone();
                if let Some(last) = bytes.last_mut() {
                    *last &= (1u8 << bits.min(7)) - 1;
                }
                Term::from(eetf::BitBinary::from((bytes, bits)))
            }
        },
        _ => term.clone(),
    }
}

fn small(v: i32) -> Term {
    Term::from(eetf::FixInteger::from(v))
}

fn list_of(elements: Vec<Term>) -> Term {
    Term::from(eetf::List::from(elements))
}

fn improper(elements: Vec<Term>, last: Term) -> Term {
    if elements.is_empty() {
        return last;
    }
    Term::from(eetf::ImproperList::from((elements, last)))
}

fn atom(name: impl Into<String>) -> Term {
    Term::from(eetf::Atom { name: name.into() })
}

struct Parser {
    chars: Vec<char>,
    pos: usize,
    line: usize,
    column: usize,
}

/// Where a token started, for error messages.
#[derive(Clone, Copy)]
struct Mark {
    line: usize,
    column: usize,
}

/// A list or map element before we know what it is.
enum Item {
    Term(Term),
    /// `key: value`
    Pair(Term, Term),
}

impl Parser {
    fn peek(&self) -> Option<char> {
        self.chars.get(self.pos).copied()
    }

    fn peek_at(&self, n: usize) -> Option<char> {
        self.chars.get(self.pos + n).copied()
    }

    fn looking_at(&self, s: &str) -> bool {
        s.chars()
            .enumerate()
            .all(|(i, c)| self.peek_at(i) == Some(c))
    }

    fn bump(&mut self) -> Option<char> {
        let c = self.peek()?;
        self.pos += 1;
        if c == '\n' {
            self.line += 1;
            self.column = 1;
        } else {
            self.column += 1;
        }
        Some(c)
    }

    fn bump_n(&mut self, n: usize) {
        for _ in 0..n {
            self.bump();
        }
    }

    fn mark(&self) -> Mark {
        Mark {
            line: self.line,
            column: self.column,
        }
    }

    fn error_at(&self, at: Mark, message: impl Into<String>) -> SyntaxError {
        SyntaxError {
            line: at.line,
            column: at.column,
            message: message.into(),
        }
    }

    fn error_here(&self, message: impl Into<String>) -> SyntaxError {
        self.error_at(self.mark(), message)
    }

    /// "`}`" or "end of input", for messages about the next character.
    fn describe(&self) -> String {
        match self.peek() {
            None => "end of input".to_string(),
            Some('\n') => "end of line".to_string(),
            Some(c) => format!("`{c}`"),
        }
    }

    fn unexpected(&self, expected: &str) -> SyntaxError {
        self.error_here(format!(
            "unexpected {}, expected {expected}",
            self.describe()
        ))
    }

    fn skip_space(&mut self) {
        while let Some(c) = self.peek() {
            if c.is_whitespace() {
                self.bump();
            } else if c == '#' {
                while self.peek().is_some_and(|c| c != '\n') {
                    self.bump();
                }
            } else {
                break;
            }
        }
    }

    fn expect(&mut self, c: char, expected: &str) -> Result<(), SyntaxError> {
        if self.peek() == Some(c) {
            self.bump();
            Ok(())
        } else {
            Err(self.unexpected(expected))
        }
    }

    // ------------------------------------------------------------- terms

    fn term(&mut self, depth: usize) -> Result<Term, SyntaxError> {
        let start = self.mark();
        let Some(c) = self.peek() else {
            return Err(self.unexpected("a term"));
        };
        match c {
            ':' => self.atom_literal(),
            '"' => {
                if self.looking_at("\"\"\"") {
                    return Err(self.error_here("heredocs are not supported"));
                }
                let bytes = self.quoted('"', Context::String)?;
                Ok(Term::from(eetf::Binary::from(bytes)))
            }
            '\'' => {
                let bytes = self.quoted('\'', Context::Charlist)?;
                let text = String::from_utf8_lossy(&bytes);
                let elements = text.chars().map(|c| small(c as i32)).collect();
                Ok(list_of(elements))
            }
            '?' => self.char_literal(),
            '0'..='9' => self.number(false),
            '-' if self.peek_at(1).is_some_and(|c| c.is_ascii_digit()) => {
                self.bump();
                self.number(true)
            }
            '+' if self.peek_at(1).is_some_and(|c| c.is_ascii_digit()) => {
                self.bump();
                self.number(false)
            }
            '{' | '[' | '%' | '<' => {
                if depth >= MAX_DEPTH {
                    return Err(self.error_at(start, format!("nesting deeper than {MAX_DEPTH}")));
                }
                match c {
                    '{' => self.tuple(depth + 1),
                    '[' => self.list(depth + 1),
                    '%' => self.map(depth + 1),
                    _ if self.looking_at("<<") => self.binary(depth + 1),
                    _ => Err(self.unexpected("a term")),
                }
            }
            c if is_word_start(c) => self.bare_word(),
            _ => Err(self.unexpected("a term")),
        }
    }

    /// `true`, `false`, `nil`, or an alias such as `Foo.Bar`.
    fn bare_word(&mut self) -> Result<Term, SyntaxError> {
        let start = self.mark();
        let word = self.identifier();
        if word.chars().next().is_some_and(|c| c.is_ascii_uppercase()) {
            return self.alias_rest(start, word);
        }
        match word.as_str() {
            "true" | "false" | "nil" => Ok(atom(word)),
            _ => Err(self.error_at(
                start,
                format!(
                    "unexpected identifier `{word}`, expected a term (atoms are written `:{word}`)"
                ),
            )),
        }
    }

    /// Letters, digits, `_` and `@`, then an optional `?` or `!`.
    fn identifier(&mut self) -> String {
        let mut s = String::new();
        while let Some(c) = self.peek() {
            if is_word_char(c) {
                s.push(c);
                self.bump();
            } else {
                break;
            }
        }
        if let Some(c @ ('?' | '!')) = self.peek() {
            s.push(c);
            self.bump();
        }
        s
    }

    /// After the first segment of an alias: `.Segment`s; the atom is
    /// `Elixir.` followed by the segments (unless they start with `Elixir`).
    fn alias_rest(&mut self, start: Mark, first: String) -> Result<Term, SyntaxError> {
        let check = |p: &Self, seg: &str, at: Mark| {
            let ok = seg.chars().next().is_some_and(|c| c.is_ascii_uppercase())
                && seg.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
            if ok {
                Ok(())
            } else {
                Err(p.error_at(at, format!("invalid alias `{seg}`")))
            }
        };
        check(self, &first, start)?;
        let mut name = first;
        while self.peek() == Some('.') && self.peek_at(1).is_some_and(|c| c.is_ascii_uppercase()) {
            self.bump();
            let at = self.mark();
            let seg = self.identifier();
            check(self, &seg, at)?;
            name.push('.');
            name.push_str(&seg);
        }
        if name == "Elixir" || name.starts_with("Elixir.") {
            Ok(atom(name))
        } else {
            Ok(atom(format!("Elixir.{name}")))
        }
    }

    /// `:foo`, `:"quoted"`, `:'quoted'`, `:+`.
    fn atom_literal(&mut self) -> Result<Term, SyntaxError> {
        let start = self.mark();
        self.bump(); // ':'
        match self.peek() {
            Some(q @ ('"' | '\'')) => {
                let bytes = self.quoted(q, Context::Atom)?;
                let name = String::from_utf8(bytes)
                    .map_err(|_| self.error_at(start, "atom is not valid UTF-8"))?;
                self.checked_atom(start, name)
            }
            Some(c) if is_word_start(c) => {
                let name = self.identifier();
                self.checked_atom(start, name)
            }
            _ => {
                if let Some(op) = self.operator() {
                    self.bump_n(op.chars().count());
                    return Ok(atom(op));
                }
                Err(self.error_at(
                    start,
                    format!(
                        "unexpected {} after `:`, expected an atom name",
                        self.describe()
                    ),
                ))
            }
        }
    }

    fn checked_atom(&self, start: Mark, name: String) -> Result<Term, SyntaxError> {
        if name.chars().count() > 255 {
            return Err(self.error_at(start, "atom is longer than 255 characters"));
        }
        Ok(atom(name))
    }

    /// The longest operator atom name at the current position.
    fn operator(&self) -> Option<&'static str> {
        crate::term::print::LITERAL_OPERATORS
            .iter()
            .filter(|op| self.looking_at(op))
            .max_by_key(|op| op.len())
            .copied()
    }

    /// `?a`, `?\n`: the code point as an integer.
    fn char_literal(&mut self) -> Result<Term, SyntaxError> {
        let start = self.mark();
        self.bump(); // '?'
        let c = match self.bump() {
            None => return Err(self.error_at(start, "unexpected end of input after `?`")),
            Some('\\') => match self.escape(start, Context::Charlist)? {
                Escaped::Char(c) => c,
                Escaped::Byte(b) => char::from(b),
                Escaped::Nothing => {
                    return Err(self.error_at(start, "invalid character literal"));
                }
            },
            Some(c) => c,
        };
        Ok(small(c as i32))
    }

    // ----------------------------------------------------------- numbers

    fn number(&mut self, negative: bool) -> Result<Term, SyntaxError> {
        let term = self.number_literal(negative)?;
        if self
            .peek()
            .is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '.')
        {
            return Err(self.unexpected("a digit"));
        }
        Ok(term)
    }

    fn number_literal(&mut self, negative: bool) -> Result<Term, SyntaxError> {
        let start = self.mark();
        if self.peek() == Some('0') {
            let radix = match self.peek_at(1) {
                Some('x') => 16,
                Some('o') => 8,
                Some('b') => 2,
                _ => 10,
            };
            if radix != 10 {
                self.bump_n(2);
                let digits = self.digits(radix, start)?;
                return self.integer(start, negative, &digits, radix);
            }
        }
        let int = self.digits(10, start)?;
        let is_float =
            self.peek() == Some('.') && self.peek_at(1).is_some_and(|c| c.is_ascii_digit());
        if !is_float {
            return self.integer(start, negative, &int, 10);
        }
        self.bump(); // '.'
        let frac = self.digits(10, start)?;
        let mut text = format!("{}{int}.{frac}", if negative { "-" } else { "" });
        if matches!(self.peek(), Some('e' | 'E')) {
            let sign_len = usize::from(matches!(self.peek_at(1), Some('+' | '-')));
            if self
                .peek_at(1 + sign_len)
                .is_some_and(|c| c.is_ascii_digit())
            {
                self.bump();
                text.push('e');
                if sign_len == 1 {
                    text.extend(self.bump());
                }
                text.push_str(&self.digits(10, start)?);
            }
        }
        let value: f64 = text
            .parse()
            .map_err(|_| self.error_at(start, format!("invalid float `{text}`")))?;
        if !value.is_finite() {
            return Err(self.error_at(start, format!("float `{text}` is out of range")));
        }
        Ok(Term::from(eetf::Float { value }))
    }

    /// Digits of `radix` with single `_` between them.
    fn digits(&mut self, radix: u32, start: Mark) -> Result<String, SyntaxError> {
        let mut s = String::new();
        loop {
            match self.peek() {
                Some(c) if c.is_digit(radix) => {
                    if s.len() >= MAX_INTEGER_DIGITS {
                        return Err(self.error_at(
                            start,
                            format!("number has more than {MAX_INTEGER_DIGITS} digits"),
                        ));
                    }
                    s.push(c);
                    self.bump();
                }
                Some('_')
                    if !s.is_empty() && self.peek_at(1).is_some_and(|c| c.is_digit(radix)) =>
                {
                    self.bump();
                }
                _ => break,
            }
        }
        if s.is_empty() {
            return Err(self.unexpected("a digit"));
        }
        Ok(s)
    }

    fn integer(
        &self,
        start: Mark,
        negative: bool,
        digits: &str,
        radix: u32,
    ) -> Result<Term, SyntaxError> {
        if let Ok(v) = i64::from_str_radix(digits, radix) {
            let v = if negative { -v } else { v };
            return Ok(match i32::try_from(v) {
                Ok(small_value) => small(small_value),
                Err(_) => Term::from(eetf::BigInteger::from(v)),
            });
        }
        big_integer(negative, digits, radix)
            .ok_or_else(|| self.error_at(start, "integer is too large"))
    }

    // ----------------------------------------------------- strings, atoms

    /// The contents of a `q`-quoted literal, with escapes applied; strings
    /// may hold raw bytes (`\xFF`), so this returns bytes.
    fn quoted(&mut self, q: char, ctx: Context) -> Result<Vec<u8>, SyntaxError> {
        let start = self.mark();
        self.bump(); // opening quote
        let mut out = Vec::new();
        loop {
            let here = self.mark();
            match self.bump() {
                None => {
                    return Err(self.error_at(
                        start,
                        format!(
                            "missing terminator `{q}` for the {} starting here",
                            ctx.name()
                        ),
                    ));
                }
                Some(c) if c == q => return Ok(out),
                Some('\\') => match self.escape(here, ctx)? {
                    Escaped::Char(c) => push_char(&mut out, c),
                    Escaped::Byte(b) => out.push(b),
                    Escaped::Nothing => {}
                },
                Some('#') if self.peek() == Some('{') => {
                    return Err(self.error_at(
                        here,
                        "string interpolation is not supported (write `\\#{` for a literal `#{`)",
                    ));
                }
                Some(c) => push_char(&mut out, c),
            }
        }
    }

    /// After a backslash.
    fn escape(&mut self, at: Mark, ctx: Context) -> Result<Escaped, SyntaxError> {
        let Some(c) = self.bump() else {
            return Err(self.error_at(at, "unexpected end of input after `\\`"));
        };
        let simple = match c {
            '0' => Some('\0'),
            'a' => Some('\x07'),
            'b' => Some('\x08'),
            'd' => Some('\x7F'),
            'e' => Some('\x1B'),
            'f' => Some('\x0C'),
            'n' => Some('\n'),
            'r' => Some('\r'),
            's' => Some(' '),
            't' => Some('\t'),
            'v' => Some('\x0B'),
            _ => None,
        };
        if let Some(s) = simple {
            return Ok(Escaped::Char(s));
        }
        match c {
            '\n' => Ok(Escaped::Nothing),
            'x' if self.peek() == Some('{') => self.braced_code_point(at).map(Escaped::Char),
            'x' => {
                let mut v = 0u32;
                let mut n = 0;
                while n < 2 && self.peek().is_some_and(|c| c.is_ascii_hexdigit()) {
                    v = v * 16 + self.bump().and_then(|c| c.to_digit(16)).unwrap_or(0);
                    n += 1;
                }
                if n == 0 {
                    return Err(self.error_at(at, "`\\x` must be followed by hex digits"));
                }
                let b = v as u8;
                Ok(match ctx {
                    Context::String => Escaped::Byte(b),
                    Context::Charlist | Context::Atom => Escaped::Char(char::from(b)),
                })
            }
            'u' if self.peek() == Some('{') => self.braced_code_point(at).map(Escaped::Char),
            'u' => {
                let mut v = 0u32;
                for _ in 0..4 {
                    match self.peek().and_then(|c| c.to_digit(16)) {
                        Some(d) => {
                            v = v * 16 + d;
                            self.bump();
                        }
                        None => {
                            return Err(self.error_at(
                                at,
                                "`\\u` must be followed by 4 hex digits or `{hex}`",
                            ));
                        }
                    }
                }
                char::from_u32(v)
                    .map(Escaped::Char)
                    .ok_or_else(|| self.error_at(at, format!("invalid code point U+{v:X}")))
            }
            // `\"`, `\\`, `\#` and any other character stand for themselves.
            other => Ok(Escaped::Char(other)),
        }
    }

    /// `{1F600}` after `\x` or `\u`.
    fn braced_code_point(&mut self, at: Mark) -> Result<char, SyntaxError> {
        self.bump(); // '{'
        let mut v = 0u32;
        let mut n = 0;
        while let Some(d) = self.peek().and_then(|c| c.to_digit(16)) {
            if n == 6 {
                return Err(self.error_at(at, "too many hex digits in escape"));
            }
            v = v * 16 + d;
            n += 1;
            self.bump();
        }
        if n == 0 || self.peek() != Some('}') {
            return Err(self.error_at(at, "expected hex digits and `}` in escape"));
        }
        self.bump();
        char::from_u32(v).ok_or_else(|| self.error_at(at, format!("invalid code point U+{v:X}")))
    }

    // ------------------------------------------------------- collections

    fn tuple(&mut self, depth: usize) -> Result<Term, SyntaxError> {
        self.bump(); // '{'
        let mut elements = Vec::new();
        self.skip_space();
        while self.peek() != Some('}') {
            elements.push(self.term(depth)?);
            if !self.separator('}', "`,` or `}`")? {
                break;
            }
        }
        self.expect('}', "`,` or `}`")?;
        Ok(Term::from(eetf::Tuple::from(elements)))
    }

    /// After an element: skip `,` (and space); `Ok(false)` at `close`.
    fn separator(&mut self, close: char, expected: &str) -> Result<bool, SyntaxError> {
        self.skip_space();
        match self.peek() {
            Some(',') => {
                self.bump();
                self.skip_space();
                Ok(true)
            }
            Some(c) if c == close => Ok(false),
            _ => Err(self.unexpected(expected)),
        }
    }

    fn list(&mut self, depth: usize) -> Result<Term, SyntaxError> {
        self.bump(); // '['
        let mut elements = Vec::new();
        let mut keywords_started: Option<Mark> = None;
        self.skip_space();
        while self.peek() != Some(']') {
            let at = self.mark();
            match self.item(depth)? {
                Item::Pair(k, v) => {
                    keywords_started.get_or_insert(at);
                    elements.push(Term::from(eetf::Tuple::from(vec![k, v])));
                }
                Item::Term(t) => {
                    if keywords_started.is_some() {
                        return Err(self.error_at(at, "unexpected term after a keyword pair; keyword pairs must come last in a list"));
                    }
                    elements.push(t);
                }
            }
            self.skip_space();
            if self.peek() == Some('|') && keywords_started.is_none() {
                self.bump();
                self.skip_space();
                let tail = self.term(depth)?;
                self.skip_space();
                self.expect(']', "`]` after the tail of the list")?;
                return Ok(normalize_tail(elements, tail));
            }
            if !self.separator(']', "`,`, `|` or `]`")? {
                break;
            }
        }
        self.expect(']', "`,` or `]`")?;
        Ok(list_of(elements))
    }

    fn map(&mut self, depth: usize) -> Result<Term, SyntaxError> {
        let mut map = HashMap::new();
        // `%Mod{k: v}`: the map with `__struct__: Mod` (no defaults are filled in).
        if self.peek_at(1).is_some_and(|c| c.is_ascii_uppercase()) {
            self.bump();
            let mut alias = String::from("Elixir.");
            while let Some(c) = self
                .peek()
                .filter(|c| c.is_ascii_alphanumeric() || *c == '_')
            {
                alias.push(c);
                self.bump();
                if self.peek() == Some('.')
                    && self.peek_at(1).is_some_and(|c| c.is_ascii_uppercase())
                {
                    alias.push('.');
                    self.bump();
                }
            }
            if self.peek() != Some('{') {
                return Err(self.error_here("expected `{` after the struct's name"));
            }
            map.insert(
                Term::from(eetf::Atom::from("__struct__")),
                Term::from(eetf::Atom::from(alias.as_str())),
            );
            self.bump();
        } else if self.looking_at("%{") {
            self.bump_n(2);
        } else {
            self.bump();
            return Err(self.error_here("expected `{` or a struct name after `%`"));
        }
        self.skip_space();
        while self.peek() != Some('}') {
            let (k, v) = match self.item(depth)? {
                Item::Pair(k, v) => (k, v),
                Item::Term(k) => {
                    self.skip_space();
                    if !self.looking_at("=>") {
                        return Err(self.unexpected("`=>`"));
                    }
                    self.bump_n(2);
                    self.skip_space();
                    (k, self.term(depth)?)
                }
            };
            map.insert(k, v);
            if !self.separator('}', "`,` or `}`")? {
                break;
            }
        }
        self.expect('}', "`,` or `}`")?;
        Ok(Term::from(eetf::Map { map }))
    }

    /// A term, or `key: value` when the next thing is a keyword key.
    fn item(&mut self, depth: usize) -> Result<Item, SyntaxError> {
        let save = (self.pos, self.line, self.column);
        if let Some(key) = self.keyword_key()? {
            self.skip_space();
            let value = self.term(depth)?;
            return Ok(Item::Pair(key, value));
        }
        (self.pos, self.line, self.column) = save;
        self.term(depth).map(Item::Term)
    }

    /// `name:`, `Name:`, `"quoted":`, `'quoted':` or `+:` (not `::`),
    /// consumed; `None` (with the position to be reset by the caller) if
    /// the input does not start with a keyword key.
    fn keyword_key(&mut self) -> Result<Option<Term>, SyntaxError> {
        let start = self.mark();
        let name = match self.peek() {
            Some(q @ ('"' | '\'')) => {
                if !self.quoted_is_key(q) {
                    return Ok(None);
                }
                let bytes = self.quoted(q, Context::Atom)?;
                String::from_utf8(bytes)
                    .map_err(|_| self.error_at(start, "atom is not valid UTF-8"))?
            }
            Some(c) if is_word_start(c) => self.identifier(),
            _ => match self.operator() {
                Some(op) => {
                    self.bump_n(op.chars().count());
                    op.to_string()
                }
                None => return Ok(None),
            },
        };
        if self.peek() == Some(':') && self.peek_at(1) != Some(':') {
            self.bump();
            self.checked_atom(start, name).map(Some)
        } else {
            Ok(None)
        }
    }

    /// Whether the quoted literal at the cursor is directly followed by `:`
    /// (a quoted keyword key), without consuming anything.
    fn quoted_is_key(&self, q: char) -> bool {
        let mut i = self.pos + 1;
        while let Some(&c) = self.chars.get(i) {
            if c == '\\' {
                i += 2;
                continue;
            }
            if c == q {
                return self.chars.get(i + 1) == Some(&':') && self.chars.get(i + 2) != Some(&':');
            }
            i += 1;
        }
        false
    }

    // ---------------------------------------------------------- binaries

    fn binary(&mut self, _depth: usize) -> Result<Term, SyntaxError> {
        self.bump_n(2); // "<<"
        let mut bits = BitWriter::default();
        self.skip_space();
        while !self.looking_at(">>") {
            let at = self.mark();
            match self.peek() {
                Some('"') => {
                    let bytes = self.quoted('"', Context::String)?;
                    self.segment_type(&["binary", "bytes"])?;
                    for b in bytes {
                        bits.push(u128::from(b), 8);
                    }
                }
                Some('0'..='9' | '?') => {
                    let value = match self.term(0)? {
                        Term::FixInteger(i) => u128::try_from(i.value).ok(),
                        Term::BigInteger(b) => b.value.to_string().parse::<u128>().ok(),
                        _ => None,
                    };
                    let value = value
                        .ok_or_else(|| self.error_at(at, "binary segment value is out of range"))?;
                    let size = self.segment_size(at)?;
                    if size < 128 && value >> size != 0 {
                        return Err(
                            self.error_at(at, format!("{value} does not fit in {size} bits"))
                        );
                    }
                    if bits.len() + size > MAX_SEGMENT_BITS * 8 {
                        return Err(self.error_at(at, "binary is too large"));
                    }
                    bits.push(value, size);
                }
                Some('-') => {
                    return Err(self.error_here("negative binary segments are not supported"));
                }
                _ => return Err(self.unexpected("an integer or a string in a binary")),
            }
            self.skip_space();
            match self.peek() {
                Some(',') => {
                    self.bump();
                    self.skip_space();
                }
                _ if self.looking_at(">>") => break,
                _ => return Err(self.unexpected("`,` or `>>`")),
            }
        }
        if !self.looking_at(">>") {
            return Err(self.unexpected("`>>`"));
        }
        self.bump_n(2);
        Ok(bits.finish())
    }

    /// After a string segment: nothing, or `::binary`.
    fn segment_type(&mut self, allowed: &[&str]) -> Result<(), SyntaxError> {
        if !self.looking_at("::") {
            return Ok(());
        }
        self.bump_n(2);
        let at = self.mark();
        let word = self.identifier();
        if allowed.contains(&word.as_str()) {
            Ok(())
        } else {
            Err(self.error_at(at, format!("unsupported segment type `{word}`")))
        }
    }

    /// After an integer segment: nothing (8 bits), `::N` or `::size(N)`.
    fn segment_size(&mut self, at: Mark) -> Result<u64, SyntaxError> {
        if !self.looking_at("::") {
            return Ok(8);
        }
        self.bump_n(2);
        let parens = self.looking_at("size(");
        if parens {
            self.bump_n(5);
        }
        let n_at = self.mark();
        let digits = self.digits(10, n_at)?;
        if parens {
            self.expect(')', "`)`")?;
        }
        match digits.parse::<u64>() {
            Ok(n) if n <= MAX_SEGMENT_BITS => Ok(n),
            _ => Err(self.error_at(
                at,
                format!("segment size is larger than {MAX_SEGMENT_BITS} bits"),
            )),
        }
    }
}

#[derive(Clone, Copy)]
enum Context {
    String,
    Charlist,
    Atom,
}

impl Context {
    fn name(self) -> &'static str {
        match self {
            Context::String => "string",
            Context::Charlist => "charlist",
            Context::Atom => "quoted atom",
        }
    }
}

enum Escaped {
    Char(char),
    Byte(u8),
    Nothing,
}

fn push_char(out: &mut Vec<u8>, c: char) {
    let mut buf = [0; 4];
    out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
}

/// Characters that may continue an unquoted atom name: everything
/// `inspect` leaves unquoted, plus letters, digits and combining marks.
fn is_word_char(c: char) -> bool {
    c.is_alphanumeric()
        || c == '_'
        || c == '@'
        || is_mark(c)
        || crate::term::print::unicode_class(c).is_some()
}

/// Characters that may start an unquoted atom name.
fn is_word_start(c: char) -> bool {
    c.is_alphabetic()
        || c == '_'
        || (!c.is_ascii() && crate::term::print::unicode_class(c).is_some())
}

/// Combining marks may continue an identifier (`:é` typed decomposed).
fn is_mark(c: char) -> bool {
    matches!(c as u32, 0x300..=0x36F | 0x1AB0..=0x1AFF | 0x1DC0..=0x1DFF | 0x20D0..=0x20FF | 0xFE20..=0xFE2F)
}

/// `[a, b | tail]`: joined into one list when `tail` is a list.
fn normalize_tail(elements: Vec<Term>, tail: Term) -> Term {
    match tail {
        Term::List(l) => {
            let mut all = elements;
            all.extend(l.elements);
            list_of(all)
        }
        Term::ImproperList(l) => {
            let mut all = elements;
            all.extend(l.elements);
            improper(all, *l.last)
        }
        other => improper(elements, other),
    }
}

/// An integer of any size, built through its ETF encoding (eetf keeps big
/// integers as `num_bigint::BigInt`, which this crate does not depend on).
fn big_integer(negative: bool, digits: &str, radix: u32) -> Option<Term> {
    // Little-endian base-256 magnitude.
    let mut magnitude: Vec<u8> = Vec::new();
    for c in digits.chars() {
        let mut carry = c.to_digit(radix)?;
        for byte in magnitude.iter_mut() {
            let v = u32::from(*byte) * radix + carry;
            *byte = (v & 0xFF) as u8;
            carry = v >> 8;
        }
        while carry > 0 {
            magnitude.push((carry & 0xFF) as u8);
            carry >>= 8;
        }
    }
    let len = u32::try_from(magnitude.len()).ok()?;
    let mut etf = vec![131, 111]; // LARGE_BIG_EXT
    etf.extend_from_slice(&len.to_be_bytes());
    etf.push(u8::from(negative));
    etf.extend_from_slice(&magnitude);
    Term::decode(&etf[..]).ok()
}

/// Accumulates binary segments bit by bit (big-endian, like Erlang).
#[derive(Default)]
struct BitWriter {
    bytes: Vec<u8>,
    /// Bits used in the last byte (0 means it is full or there is none).
    used: u8,
}

impl BitWriter {
    fn len(&self) -> u64 {
        let full = self.bytes.len() as u64 * 8;
        if self.used == 0 {
            full
        } else {
            full - 8 + u64::from(self.used)
        }
    }

    fn push(&mut self, value: u128, size: u64) {
        for i in (0..size).rev() {
            let bit = if i < 128 {
                (value >> i) & 1 == 1
            } else {
                false
            };
            if self.used == 0 {
                self.bytes.push(0);
            }
            if bit && let Some(last) = self.bytes.last_mut() {
                *last |= 0x80 >> self.used;
            }
            self.used = (self.used + 1) % 8;
        }
    }

    /// A `Binary` when the bits fill whole bytes, else a `BitBinary` with
    /// the trailing bits right-aligned in the last byte (eetf's layout).
    fn finish(mut self) -> Term {
        if self.used == 0 {
            return Term::from(eetf::Binary::from(self.bytes));
        }
        let bits = self.used;
        if let Some(last) = self.bytes.last_mut() {
            *last >>= 8 - bits;
        }
        Term::from(eetf::BitBinary::from((self.bytes, bits)))
    }
}

#[cfg(test)]
mod tests;
