//! Structs as Elixir 1.14's `inspect/1` prints them: `%Mod{...}`, and the `Inspect` implementations of `Range`, `MapSet`, `Date`, `Time`, `NaiveDateTime`, `DateTime`, `Regex` and `URI`.

use super::{Printer, atom_key, atom_literal};
use eetf::Term;
use std::fmt::Write as _;

/// The fields of the structs printed field by field in `defstruct` order.
const FIELD_ORDER: &[(&str, &[&str])] = &[(
    "Elixir.URI",
    &[
        "scheme",
        "authority",
        "userinfo",
        "host",
        "port",
        "path",
        "query",
        "fragment",
    ],
)];

impl<'t> Printer<'_, 't> {
    /// Prints `m` as a struct when its `__struct__` is an Elixir module name;
    /// false (nothing printed) when it is a plain map.
    pub(super) fn struct_(&mut self, m: &'t eetf::Map, depth: usize) -> bool {
        let module = match m.map.get(&Term::from(eetf::Atom::from("__struct__"))) {
            Some(Term::Atom(a)) if a.name.starts_with("Elixir.") => a.name.as_str(),
            _ => return false,
        };
        let field = |name: &str| m.map.get(&Term::from(eetf::Atom::from(name)));
        let fields_are = |names: &[&str]| {
            m.map.len() == names.len() + 1 && names.iter().all(|n| field(n).is_some())
        };
        let special = match module {
            "Elixir.Range" if fields_are(&["first", "last", "step"]) => {
                self.range(field("first"), field("last"), field("step"), depth)
            }
            "Elixir.Range" if fields_are(&["first", "last"]) => {
                self.range(field("first"), field("last"), None, depth)
            }
            // Elixir 1.15 dropped the `version` field.
            "Elixir.MapSet" if fields_are(&["map", "version"]) || fields_are(&["map"]) => {
                match field("map") {
                    Some(Term::Map(set)) => {
                        let keys = self.order.entries(set, 0);
                        self.out.push_str("MapSet.new([");
                        self.items(keys.iter(), depth, |p, (k, _), d| p.term(k, d));
                        self.out.push_str("])");
                        true
                    }
                    _ => false,
                }
            }
            "Elixir.Date" if fields_are(&["calendar", "year", "month", "day"]) => {
                iso(field("calendar"))
                    && date(field("year"), field("month"), field("day"))
                        .map(|d| write!(self.out, "~D[{d}]"))
                        .is_some()
            }
            "Elixir.Time"
                if fields_are(&["calendar", "hour", "minute", "second", "microsecond"]) =>
            {
                iso(field("calendar"))
                    && time(
                        field("hour"),
                        field("minute"),
                        field("second"),
                        field("microsecond"),
                    )
                    .map(|t| write!(self.out, "~T[{t}]"))
                    .is_some()
            }
            "Elixir.NaiveDateTime"
                if fields_are(&[
                    "calendar",
                    "year",
                    "month",
                    "day",
                    "hour",
                    "minute",
                    "second",
                    "microsecond",
                ]) =>
            {
                let d = date(field("year"), field("month"), field("day"));
                let t = time(
                    field("hour"),
                    field("minute"),
                    field("second"),
                    field("microsecond"),
                );
                match (iso(field("calendar")), d, t) {
                    (true, Some(d), Some(t)) => {
                        let _ = write!(self.out, "~N[{d} {t}]");
                        true
                    }
                    _ => false,
                }
            }
            "Elixir.DateTime"
                if fields_are(&[
                    "calendar",
                    "year",
                    "month",
                    "day",
                    "hour",
                    "minute",
                    "second",
                    "microsecond",
                    "time_zone",
                    "zone_abbr",
                    "utc_offset",
                    "std_offset",
                ]) =>
            {
                self.date_time(&field)
            }
            // Elixir 1.20 dropped `re_version`.
            "Elixir.Regex"
                if fields_are(&["opts", "re_pattern", "re_version", "source"])
                    || fields_are(&["opts", "re_pattern", "source"]) =>
            {
                let src = match field("source") {
                    Some(Term::Binary(src)) => std::str::from_utf8(&src.bytes).ok(),
                    _ => None,
                };
                match (src, field("opts").and_then(regex_letters)) {
                    (Some(src), Some(opts)) => {
                        self.out.push_str("~r/");
                        escape_regex(self.out, src);
                        self.out.push('/');
                        self.out.push_str(&opts);
                        true
                    }
                    _ => false,
                }
            }
            _ => false,
        };
        if !special {
            self.generic_struct(m, module, depth);
        }
        true
    }

    /// `%Mod{k: v, ...}`: the fields of a struct whose `defstruct` order is known
    /// in that order, others in key order; an exception's `__exception__` hidden.
    fn generic_struct(&mut self, m: &'t eetf::Map, module: &str, depth: usize) {
        let entries = self.order.entries(m, 0);
        let mut fields: Vec<(&'t Term, &'t Term)> = entries
            .iter()
            .filter(|(k, _)| match k {
                Term::Atom(a) => a.name != "__struct__" && a.name != "__exception__",
                _ => true,
            })
            .copied()
            .collect();
        if let Some((_, order)) = FIELD_ORDER.iter().find(|(m, _)| *m == module) {
            let rank = |k: &Term| {
                match k {
                    Term::Atom(a) => order.iter().position(|n| *n == a.name),
                    _ => None,
                }
                .unwrap_or(usize::MAX)
            };
            fields.sort_by_key(|(k, _)| rank(k));
        }
        let keyword = fields.iter().all(|(k, _)| matches!(k, Term::Atom(_)));
        self.out.push('%');
        self.out.push_str(&atom_literal(module));
        self.out.push('{');
        self.items(fields.iter(), depth, |p, (k, v), d| {
            match k {
                Term::Atom(a) if keyword => p.out.push_str(&atom_key(&a.name)),
                _ => {
                    p.term(k, d);
                    p.out.push_str(" =>");
                }
            }
            p.out.push(' ');
            p.term(v, d);
        });
        self.out.push('}');
    }

    /// `first..last`, or `first..last//step` unless the step is 1 going up.
    fn range(
        &mut self,
        first: Option<&'t Term>,
        last: Option<&'t Term>,
        step: Option<&'t Term>,
        depth: usize,
    ) -> bool {
        let (Some(first), Some(last)) = (first, last) else {
            return false;
        };
        let (Some(f), Some(l)) = (int(Some(first)), int(Some(last))) else {
            return false;
        };
        let step = match step {
            Some(s) => match int(Some(s)) {
                Some(v) => v,
                None => return false,
            },
            // Ranges from before Elixir 1.12 have no step.
            None => {
                if l >= f {
                    1
                } else {
                    -1
                }
            }
        };
        self.term(first, depth + 1);
        self.out.push_str("..");
        self.term(last, depth + 1);
        if !(step == 1 && l >= f) {
            let _ = write!(self.out, "//{step}");
        }
        true
    }

    /// `~U[... Z]` in UTC, `#DateTime<... +01:00 CET Europe/Paris>` elsewhere.
    fn date_time<'f>(&mut self, field: &impl Fn(&str) -> Option<&'f Term>) -> bool {
        if !iso(field("calendar")) {
            return false;
        }
        let (Some(d), Some(t)) = (
            date(field("year"), field("month"), field("day")),
            time(
                field("hour"),
                field("minute"),
                field("second"),
                field("microsecond"),
            ),
        ) else {
            return false;
        };
        let (Some(zone), Some(abbr), Some(utc), Some(std)) = (
            text(field("time_zone")),
            text(field("zone_abbr")),
            int(field("utc_offset")),
            int(field("std_offset")),
        ) else {
            return false;
        };
        if zone == "Etc/UTC" {
            let _ = write!(self.out, "~U[{d} {t}Z]");
            return true;
        }
        let total = utc + std;
        let sign = if total < 0 { '-' } else { '+' };
        let a = total.unsigned_abs();
        let mut offset = format!("{sign}{:02}:{:02}", a / 3600, a / 60 % 60);
        if a % 60 != 0 {
            let _ = write!(offset, ":{:02}", a % 60);
        }
        let _ = write!(self.out, "#DateTime<{d} {t}{offset} {abbr} {zone}>");
        true
    }
}

fn int(t: Option<&Term>) -> Option<i64> {
    match t? {
        Term::FixInteger(i) => Some(i64::from(i.value)),
        Term::BigInteger(i) => i.value.to_string().parse().ok(),
        _ => None,
    }
}

fn text(t: Option<&Term>) -> Option<&str> {
    match t? {
        Term::Binary(b) => std::str::from_utf8(&b.bytes).ok(),
        _ => None,
    }
}

/// Whether the calendar is `Calendar.ISO` (the sigils print only that one).
fn iso(t: Option<&Term>) -> bool {
    matches!(t, Some(Term::Atom(a)) if a.name == "Elixir.Calendar.ISO")
}

/// `2024-01-02`, `-0005-01-01`: the year zero-padded to four digits.
fn date(y: Option<&Term>, m: Option<&Term>, d: Option<&Term>) -> Option<String> {
    let (y, m, d) = (int(y)?, int(m)?, int(d)?);
    let sign = if y < 0 { "-" } else { "" };
    Some(format!("{sign}{:04}-{m:02}-{d:02}", y.unsigned_abs()))
}

/// `12:34:56`, `12:34:56.123`: as many fraction digits as the precision says.
fn time(h: Option<&Term>, m: Option<&Term>, s: Option<&Term>, us: Option<&Term>) -> Option<String> {
    let (h, m, s) = (int(h)?, int(m)?, int(s)?);
    let (value, precision) = match us? {
        Term::Tuple(t) => match t.elements.as_slice() {
            [v, p] => (int(Some(v))?, int(Some(p))?),
            _ => return None,
        },
        _ => return None,
    };
    let mut out = format!("{h:02}:{m:02}:{s:02}");
    if precision > 0 {
        let digits = format!("{value:06}");
        let n = usize::try_from(precision.min(6)).ok()?;
        out.push('.');
        out.push_str(digits.get(..n)?);
    }
    Some(out)
}

/// A regex source between `/` delimiters: a `/` not already escaped gets a backslash.
fn escape_regex(out: &mut String, src: &str) {
    let mut escaped = false;
    for c in src.chars() {
        if c == '/' && !escaped {
            out.push('\\');
        }
        escaped = c == '\\' && !escaped;
        out.push(c);
    }
}

/// A regex's option letters: Elixir 1.14 keeps them as a string (`"i"`); Elixir 1.15 and
/// later keep `:re` options, each letter's prepended (`"iu"` is `[:unicode, :ucp,
/// :caseless]`), and print the letters back in the order they were given.
fn regex_letters(opts: &Term) -> Option<String> {
    match opts {
        Term::Binary(b) => std::str::from_utf8(&b.bytes).ok().map(str::to_owned),
        Term::List(l) => {
            let mut letters = String::new();
            for o in l.elements.iter().rev() {
                match o {
                    Term::Atom(a) => letters.push(match a.name.as_str() {
                        "caseless" => 'i',
                        "unicode" => 'u',
                        "firstline" => 'f',
                        "ungreedy" => 'U',
                        "extended" => 'x',
                        "multiline" => 'm',
                        "dotall" => 's',
                        "ucp" => continue,
                        _ => return None,
                    }),
                    // `s` adds `{newline, anycrlf}` after `dotall`.
                    Term::Tuple(t) if t.elements.len() == 2 => {}
                    _ => return None,
                }
            }
            Some(letters)
        }
        _ => None,
    }
}
