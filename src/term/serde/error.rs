//! The error of typed term conversion: what was expected, where in the term, and what was there.

use std::fmt;

/// A term that does not have the shape a Rust type asks for, or a Rust value
/// that has no term form. The message names the place in the term, as
/// `expected integer at .items[3].id, got "7"`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    msg: String,
    /// Where in the term: `.field`, `[index]`, ... from the top; `None` until known.
    path: Option<String>,
}

impl Error {
    pub(crate) fn new(msg: impl Into<String>) -> Error {
        Error {
            msg: msg.into(),
            path: None,
        }
    }

    /// "expected {what} at {path}, got {inspect(found)}".
    pub(crate) fn expected(what: &str, path: &str, found: &eetf::Term) -> Error {
        let mut got = crate::term::print::inspect(found);
        if got.len() > 80 {
            let mut end = 77;
            while !got.is_char_boundary(end) {
                end -= 1;
            }
            got.truncate(end);
            got.push_str("...");
        }
        Error {
            msg: format!("expected {what}"),
            path: Some(path.to_owned()),
        }
        .with_got(got)
    }

    fn with_got(mut self, got: String) -> Error {
        self.msg = format!("{}\u{0}{got}", self.msg);
        self
    }

    /// Sets the path unless a deeper one is already set.
    pub(crate) fn at(mut self, path: &str) -> Error {
        if self.path.is_none() {
            self.path = Some(path.to_owned());
        }
        self
    }

    /// Where in the term the mismatch is (`.items[3].id`; `.` for the whole term).
    pub fn path(&self) -> Option<&str> {
        self.path
            .as_deref()
            .map(|p| if p.is_empty() { "." } else { p })
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (msg, got) = match self.msg.split_once('\u{0}') {
            Some((m, g)) => (m, Some(g)),
            None => (self.msg.as_str(), None),
        };
        f.write_str(msg)?;
        if let Some(p) = self.path() {
            write!(f, " at {p}")?;
        }
        if let Some(g) = got {
            write!(f, ", got {g}")?;
        }
        Ok(())
    }
}

impl std::error::Error for Error {}

impl serde::ser::Error for Error {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        Error::new(msg.to_string())
    }
}

impl serde::de::Error for Error {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        Error::new(msg.to_string())
    }
}
