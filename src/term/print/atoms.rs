//! Atoms in Elixir syntax: when an atom prints bare, quoted, as an alias or as a keyword key.

use super::*;

/// Operators that print bare as atoms (`:+`) and keyword keys (`+:`).
pub(crate) const LITERAL_OPERATORS: &[&str] = &[
    "!", "^", "+", "-", "&", "@", "*", "/", "++", "--", "+++", "---", "..", "<>", "|>", "<<<",
    ">>>", "<<~", "~>>", "<~", "~>", "<~>", "<", ">", "<=", ">=", "==", "!=", "=~", "===", "!==",
    "&&", "&&&", "||", "|||", "=", "|", "<-", "\\\\", "**", "..//", "...", "->", "%", ".", "<<>>",
    "{}", "%{}",
];

/// Operators that print bare after `Mod.` in `&Mod.fun/arity`.
pub(super) const REMOTE_CALL_OPERATORS: &[&str] = &[
    "!", "^", "~~~", "+", "-", "&", "@", "*", "/", "++", "--", "+++", "---", "<>", "^^^", "|>",
    "<<<", ">>>", "<<~", "~>>", "<~", "~>", "<~>", "<|>", "<", ">", "<=", ">=", "==", "!=", "=~",
    "===", "!==", "&&", "&&&", "||", "|||", "=", "|", "::", "<-", "\\\\", "**",
];

/// An atom as Elixir writes it in code: `:foo`, `:"a b"`, `Foo.Bar`, `nil`.
pub fn atom_literal(name: &str) -> String {
    if matches!(name, "nil" | "true" | "false") {
        return name.to_string();
    }
    if let Some(alias) = alias_form(name) {
        return alias.to_string();
    }
    if LITERAL_OPERATORS.contains(&name) || is_identifier_atom(name) {
        return format!(":{name}");
    }
    format!(":{}", quoted(name))
}

/// An atom as a keyword-list or map key: `foo:`, `"a b":`, `+:`.
pub(super) fn atom_key(name: &str) -> String {
    if alias_form(name).is_none()
        && (matches!(name, "nil" | "true" | "false")
            || LITERAL_OPERATORS.contains(&name)
            || is_identifier_atom(name))
    {
        format!("{name}:")
    } else {
        format!("{}:", quoted(name))
    }
}

/// A function name after `&Mod.`: `map`, `+`, `"with space"`.
pub(super) fn atom_remote_call(name: &str) -> String {
    let callable = is_identifier_atom(name)
        && !name.contains('@')
        && !name.chars().next().is_some_and(char::is_uppercase);
    if callable || REMOTE_CALL_OPERATORS.contains(&name) {
        name.to_string()
    } else {
        quoted(name)
    }
}

/// `Elixir.Foo.Bar` prints as `Foo.Bar` and `Elixir` as `Elixir`, as long
/// as every segment is an ASCII alias (and the first is not `Elixir`).
pub(super) fn alias_form(name: &str) -> Option<&str> {
    if name == "Elixir" {
        return Some(name);
    }
    let rest = name.strip_prefix("Elixir.")?;
    let valid = rest.split('.').all(|seg| {
        let mut cs = seg.chars();
        cs.next().is_some_and(|c| c.is_ascii_uppercase())
            && cs.all(|c| c.is_ascii_alphanumeric() || c == '_')
    });
    let first_is_elixir = rest.split('.').next() == Some("Elixir");
    if !valid {
        None
    } else if first_is_elixir {
        Some(name)
    } else {
        Some(rest)
    }
}

/// Whether `:name` needs no quotes: an Elixir identifier (ASCII or Unicode
/// following Elixir 1.14's tokenizer rules), optionally ending in `?`/`!`,
/// possibly containing `@` after the first character.
pub(super) fn is_identifier_atom(name: &str) -> bool {
    let body = name
        .strip_suffix('?')
        .or_else(|| name.strip_suffix('!'))
        .unwrap_or(name);
    let mut chars = body.chars();
    let Some(first) = chars.next() else {
        return false;
    };
    let mut classes: u64 = 0;
    let mut all_ascii = true;
    let mut note = |c: char, start: bool| -> bool {
        if c.is_ascii() {
            if c.is_ascii_alphabetic() {
                classes |= 1 << ASCII_LETTER_CLASS;
                return true;
            }
            return c == '_' || (!start && (c.is_ascii_digit() || c == '@'));
        }
        all_ascii = false;
        match unicode_class(c) {
            Some(k) if !start || UNI_CLASS_START[k] => {
                classes |= 1 << k;
                true
            }
            _ => false,
        }
    };
    if !note(first, true) {
        return false;
    }
    for c in chars {
        if !note(c, false) {
            return false;
        }
    }
    if all_ascii {
        return true;
    }
    // Every pair of script classes present must be allowed together.
    let mut rest = classes;
    while rest != 0 {
        let k = rest.trailing_zeros() as usize;
        rest &= rest - 1;
        if UNI_COMPAT[k] & classes != classes {
            return false;
        }
    }
    true
}

pub(crate) fn unicode_class(c: char) -> Option<usize> {
    let cp = c as u32;
    let i = UNI_RANGES.partition_point(|&(_, last, _)| last < cp);
    match UNI_RANGES.get(i) {
        Some(&(first, _, class)) if first <= cp => Some(usize::from(class)),
        _ => None,
    }
}
