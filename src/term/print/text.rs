//! Strings in Elixir syntax: which binaries print as strings, and how text is escaped between quotes.

use super::*;

/// Elixir 1.14's `String.printable?/2` on a binary: the longest prefix of at
/// most `limit` code points, if all of them are printable and the binary is
/// printable up to there. `None` if the binary prints as `<<...>>`.
pub(super) fn printable_prefix(bytes: &[u8], limit: usize) -> Option<&str> {
    let valid = match std::str::from_utf8(bytes) {
        Ok(s) => s,
        Err(e) => std::str::from_utf8(&bytes[..e.valid_up_to()]).ok()?,
    };
    let mut count = 0;
    for (i, c) in valid.char_indices() {
        if count == limit {
            return Some(&valid[..i]);
        }
        if !is_printable(c) {
            return None;
        }
        count += 1;
    }
    // Either the whole binary was valid and printable, or exactly `limit`
    // printable characters precede the first invalid byte.
    (valid.len() == bytes.len() || count == limit).then_some(valid)
}

/// The code points `String.printable?/1` accepts in Elixir 1.14.
pub(super) fn is_printable(c: char) -> bool {
    matches!(c as u32,
        0x20..=0x7E | 0xA0..=0xD7FF | 0xE000..=0xFFFD | 0x10000..=0x10FFFF)
        || matches!(
            c,
            '\n' | '\r' | '\t' | '\x0B' | '\x08' | '\x0C' | '\x1B' | '\x7F' | '\x07'
        )
}

/// Escape `text` for use between `quote` characters, as Elixir's
/// `Code.Identifier.escape/2` does.
pub(super) fn escape_into(out: &mut String, text: &str, quote: char) {
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            _ if c == quote => {
                out.push('\\');
                out.push(c);
            }
            '\\' => out.push_str("\\\\"),
            '#' if chars.peek() == Some(&'{') => out.push_str("\\#"),
            '\0' => out.push_str("\\0"),
            '\x07' => out.push_str("\\a"),
            '\x08' => out.push_str("\\b"),
            '\x7F' => out.push_str("\\d"),
            '\x1B' => out.push_str("\\e"),
            '\x0C' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\x0B' => out.push_str("\\v"),
            '\u{FEFF}' => out.push_str("\\uFEFF"),
            _ if is_printable(c) => out.push(c),
            _ if (c as u32) < 0x100 => {
                let _ = write!(out, "\\x{:02X}", c as u32);
            }
            _ => {
                let _ = write!(out, "\\x{{{:X}}}", c as u32);
            }
        }
    }
}

pub(super) fn quoted(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    escape_into(&mut out, text, '"');
    out.push('"');
    out
}
