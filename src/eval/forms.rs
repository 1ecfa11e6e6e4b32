//! Reading Erlang abstract format: form tags, annotations, and the errors that name an unsupported construct.

use crate::otp::rpc::Exception;
use crate::term;
use eetf::{ByteList, Term};

/// A form `{Tag, Anno, ...}` split into its tag and the elements after the tag.
pub(super) fn form(t: &Term) -> Option<(&str, &[Term])> {
    match term::as_tuple(t)? {
        [tag, rest @ ..] => Some((term::as_atom(tag)?, rest)),
        [] => None,
    }
}

/// The line of an annotation: `Line`, `{Line, Column}`, or a keyword list
/// with `location` (`[generated: true, location: 1]`).
pub(super) fn line(anno: &Term) -> Option<i64> {
    if let Some(l) = term::as_int(anno) {
        return Some(l);
    }
    if let Some([l, _col]) = term::as_tuple(anno) {
        return term::as_int(l);
    }
    if let Term::List(l) = anno {
        for kv in &l.elements {
            if let Some([k, v]) = term::as_tuple(kv)
                && term::is_atom(k, "location")
            {
                return line(v);
            }
        }
    }
    None
}

/// The line of a whole form (its annotation is the element after the tag).
pub(super) fn form_line(t: &Term) -> Option<i64> {
    match form(t) {
        Some((_, [anno, ..])) => line(anno),
        _ => None,
    }
}

/// Where a construct sits, as a charlist: `'line 3'` (`'line 3, in a pattern'`).
pub(super) fn where_text(line: Option<i64>, context: Context) -> Term {
    let mut s = match line {
        Some(l) => format!("line {l}"),
        None => "unknown line".to_owned(),
    };
    match context {
        Context::Expr => {}
        Context::Pattern => s.push_str(", in a pattern"),
        Context::Guard => s.push_str(", in a guard"),
    }
    Term::ByteList(ByteList::from(s.as_str()))
}

/// Which part of a clause a construct was found in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Context {
    Expr,
    Pattern,
    Guard,
}

/// `error:{unsupported, Construct, 'line N'}` for a construct outside the
/// interpreted subset (or a malformed one), named by its form tag.
pub(super) fn unsupported(construct: &str, form: &Term, context: Context) -> Exception {
    unsupported_at(construct, form_line(form), context)
}

pub(super) fn unsupported_at(construct: &str, line: Option<i64>, context: Context) -> Exception {
    Exception::error(term::tuple(vec![
        term::atom("unsupported"),
        term::atom(construct),
        where_text(line, context),
    ]))
}

/// The construct name to report for a form: its tag, or `term` when it is
/// not a form at all.
pub(super) fn tag_of(t: &Term) -> &str {
    form(t).map(|(tag, _)| tag).unwrap_or("term")
}

/// `error:Reason` with `Reason` an atom.
pub(super) fn error_atom(reason: &str) -> Exception {
    Exception::error(term::atom(reason))
}

/// `error:{Tag, Value}`.
pub(super) fn error_with(tag: &str, value: Term) -> Exception {
    Exception::error(term::tuple(vec![term::atom(tag), value]))
}

/// The elements of a list of forms (clauses, expressions, patterns).
pub(super) fn forms_list(t: &Term) -> Option<&[Term]> {
    match t {
        Term::List(l) => Some(&l.elements),
        Term::ByteList(b) if b.bytes.is_empty() => Some(&[]),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_from_each_annotation_shape() {
        assert_eq!(line(&term::int(3)), Some(3));
        assert_eq!(
            line(&term::tuple(vec![term::int(4), term::int(7)])),
            Some(4)
        );
        let kw = term::list(vec![
            term::tuple(vec![term::atom("generated"), term::atom("true")]),
            term::tuple(vec![term::atom("location"), term::int(9)]),
        ]);
        assert_eq!(line(&kw), Some(9));
        assert_eq!(line(&term::atom("x")), None);
    }
}
