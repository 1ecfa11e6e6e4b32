//! Typed terms: serde `Serialize`/`Deserialize` to and from [`Term`](crate::Term), in the shapes Elixir code uses.
//!
//! | Rust | Term |
//! |---|---|
//! | `bool` | `true` / `false` |
//! | integers (`i8`..`i128`, `u8`..`u128`) | integer (read from any wire size where it fits) |
//! | `f32`, `f64` | float (an integer is read as a float too) |
//! | `String`, `&str`, `char` | binary (a charlist or an atom is read as a string too) |
//! | `Option<T>` | `nil` or the value |
//! | `()`, unit struct | `nil` |
//! | `Vec<T>`, sets | list |
//! | tuples, tuple structs | tuple |
//! | `HashMap`, `BTreeMap` | map |
//! | struct | map with atom keys (`%{id: 1, name: "x"}`) |
//! | enum unit variant | atom (`:red`) |
//! | enum newtype / tuple variant | tagged tuple (`{:circle, 1.5}`, `{:rect, 1, 2}`) |
//! | enum struct variant | `{:tag, %{field: ...}}` |
//! | newtype struct | the inner value |
//!
//! Variant and field names are used as they are written: `#[serde(rename_all =
//! "snake_case")]` gives Elixir's atom style. Pids, references, atoms and any
//! other term pass through with the field attributes `#[serde(with =
//! "erlnode::term::serde::pid")]` (also `reference`, `atom`, `term`); an
//! Elixir struct is a map with the field `#[serde(rename = "__struct__", with =
//! "erlnode::term::serde::atom")] kind: String` holding `"Elixir.MyApp.User"`.

mod de;
mod error;
mod ser;

pub use de::from_term;
pub use error::Error;
pub use ser::to_term;

/// The newtype name that carries a whole term through serde, as its ETF bytes.
pub(crate) const RAW: &str = "$erlnode::Term";

/// A term kept as it is, inside a typed value.
struct Raw<'a>(&'a eetf::Term);

impl serde::Serialize for Raw<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut bytes = Vec::new();
        crate::proto::etf::encode(self.0, &mut bytes).map_err(serde::ser::Error::custom)?;
        s.serialize_newtype_struct(RAW, &serde_bytes_ref(&bytes))
    }
}

/// Bytes that serialize as bytes (not as a sequence of integers).
fn serde_bytes_ref(b: &[u8]) -> BytesRef<'_> {
    BytesRef(b)
}
struct BytesRef<'a>(&'a [u8]);
impl serde::Serialize for BytesRef<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_bytes(self.0)
    }
}

struct RawVisitor;
impl<'de> serde::de::Visitor<'de> for RawVisitor {
    type Value = eetf::Term;
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a term")
    }
    fn visit_newtype_struct<D: serde::Deserializer<'de>>(
        self,
        d: D,
    ) -> Result<eetf::Term, D::Error> {
        d.deserialize_bytes(self)
    }
    fn visit_bytes<E: serde::de::Error>(self, v: &[u8]) -> Result<eetf::Term, E> {
        crate::proto::etf::decode(v)
            .map(|(t, _)| t)
            .map_err(E::custom)
    }
}

fn raw_de<'de, D: serde::Deserializer<'de>>(d: D) -> Result<eetf::Term, D::Error> {
    d.deserialize_newtype_struct(RAW, RawVisitor)
}

/// `#[serde(with = "erlnode::term::serde::term")]`: a [`Term`](crate::Term) field kept as it is.
pub mod term {
    use eetf::Term;
    /// Serializes the term as it is.
    pub fn serialize<S: serde::Serializer>(t: &Term, s: S) -> Result<S::Ok, S::Error> {
        serde::Serialize::serialize(&super::Raw(t), s)
    }
    /// Deserializes any term.
    pub fn deserialize<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Term, D::Error> {
        super::raw_de(d)
    }
}

/// `#[serde(with = "erlnode::term::serde::pid")]`: a [`Pid`](eetf::Pid) field.
pub mod pid {
    use eetf::{Pid, Term};
    /// Serializes the pid as a pid term.
    pub fn serialize<S: serde::Serializer>(p: &Pid, s: S) -> Result<S::Ok, S::Error> {
        serde::Serialize::serialize(&super::Raw(&Term::Pid(p.clone())), s)
    }
    /// Deserializes a pid term.
    pub fn deserialize<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Pid, D::Error> {
        match super::raw_de(d)? {
            Term::Pid(p) => Ok(p),
            other => Err(serde::de::Error::custom(format!(
                "expected pid, got {}",
                crate::term::print::inspect(&other)
            ))),
        }
    }
}

/// `#[serde(with = "erlnode::term::serde::reference")]`: a [`Reference`](eetf::Reference) field.
pub mod reference {
    use eetf::{Reference, Term};
    /// Serializes the reference as a reference term.
    pub fn serialize<S: serde::Serializer>(r: &Reference, s: S) -> Result<S::Ok, S::Error> {
        serde::Serialize::serialize(&super::Raw(&Term::Reference(Box::new(r.clone()))), s)
    }
    /// Deserializes a reference term.
    pub fn deserialize<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Reference, D::Error> {
        match super::raw_de(d)? {
            Term::Reference(r) => Ok(*r),
            other => Err(serde::de::Error::custom(format!(
                "expected reference, got {}",
                crate::term::print::inspect(&other)
            ))),
        }
    }
}

/// `#[serde(with = "erlnode::term::serde::atom")]`: a `String` field that is an
/// atom in the term (an atom or a string is read).
pub mod atom {
    use eetf::Term;
    /// Serializes the string as an atom.
    pub fn serialize<S: serde::Serializer>(a: &str, s: S) -> Result<S::Ok, S::Error> {
        serde::Serialize::serialize(&super::Raw(&crate::term::atom(a)), s)
    }
    /// Deserializes an atom (or a binary) into its name.
    pub fn deserialize<'de, D: serde::Deserializer<'de>>(d: D) -> Result<String, D::Error> {
        match super::raw_de(d)? {
            Term::Atom(a) => Ok(a.name),
            Term::Binary(b) => String::from_utf8(b.bytes).map_err(serde::de::Error::custom),
            other => Err(serde::de::Error::custom(format!(
                "expected atom, got {}",
                crate::term::print::inspect(&other)
            ))),
        }
    }
}

#[cfg(test)]
mod tests;
