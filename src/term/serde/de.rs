//! Terms to Rust values: a serde `Deserializer` over a [`Term`] that names the place of every mismatch.

use super::{Error, RAW};
use crate::term;
use eetf::Term;
use serde::de::{
    self, DeserializeOwned, DeserializeSeed, IntoDeserializer, MapAccess, SeqAccess, Visitor,
};

/// Reads a term as a Rust value (see the [module docs](super) for the shapes).
///
/// ```
/// #[derive(serde::Deserialize, Debug)]
/// struct Item { id: u64 }
/// #[derive(serde::Deserialize, Debug)]
/// struct Order { items: Vec<Item> }
/// let t = erlnode::term::parse::parse_term(r#"%{items: [%{id: 1}, %{id: "7"}]}"#).unwrap();
/// let err = erlnode::term::serde::from_term::<Order>(&t).unwrap_err();
/// assert_eq!(err.to_string(), r#"expected integer at .items[1].id, got "7""#);
/// ```
pub fn from_term<T: DeserializeOwned>(term: &Term) -> Result<T, Error> {
    T::deserialize(TermDe {
        term,
        path: String::new(),
    })
}

/// A deserializer for one term at one place (`path`) in the whole.
struct TermDe<'a> {
    term: &'a Term,
    path: String,
}

impl TermDe<'_> {
    fn expected(&self, what: &str) -> Error {
        Error::expected(what, &self.path, self.term)
    }

    fn int(&self) -> Option<i128> {
        match self.term {
            Term::FixInteger(i) => Some(i.value.into()),
            Term::BigInteger(b) => i128::try_from(&b.value).ok(),
            _ => None,
        }
    }

    /// A string from a binary, an atom or a charlist.
    fn string(&self) -> Result<String, Error> {
        match self.term {
            Term::Binary(b) => {
                String::from_utf8(b.bytes.clone()).map_err(|_| self.expected("UTF-8 string"))
            }
            Term::Atom(a) => Ok(a.name.clone()),
            Term::ByteList(b) => Ok(b.bytes.iter().map(|&c| char::from(c)).collect()),
            Term::List(l) => l
                .elements
                .iter()
                .map(|e| match e {
                    Term::FixInteger(i) => u32::try_from(i.value).ok().and_then(char::from_u32),
                    _ => None,
                })
                .collect::<Option<String>>()
                .ok_or_else(|| self.expected("string")),
            _ => Err(self.expected("string")),
        }
    }

    fn is_atom(&self, name: &str) -> bool {
        term::is_atom(self.term, name)
    }
}

macro_rules! int_method {
    ($method:ident, $ty:ty, $visit:ident) => {
        fn $method<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Error> {
            let n = self
                .int()
                .and_then(|n| <$ty>::try_from(n).ok())
                .ok_or_else(|| {
                    if self.int().is_some() || matches!(self.term, Term::BigInteger(_)) {
                        self.expected(concat!("integer in the range of ", stringify!($ty)))
                    } else {
                        self.expected("integer")
                    }
                })?;
            v.$visit::<Error>(n).map_err(|e| e.at(&self.path))
        }
    };
}

impl<'de> de::Deserializer<'de> for TermDe<'_> {
    type Error = Error;

    fn deserialize_any<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Error> {
        let path = self.path.clone();
        let r = match self.term {
            Term::Atom(a) => match a.name.as_str() {
                "true" => v.visit_bool(true),
                "false" => v.visit_bool(false),
                "nil" => v.visit_unit(),
                name => v.visit_str(name),
            },
            Term::FixInteger(i) => v.visit_i64(i.value.into()),
            Term::BigInteger(b) => {
                if let Ok(n) = i64::try_from(&b.value) {
                    v.visit_i64(n)
                } else if let Ok(n) = u64::try_from(&b.value) {
                    v.visit_u64(n)
                } else if let Ok(n) = i128::try_from(&b.value) {
                    v.visit_i128(n)
                } else if let Ok(n) = u128::try_from(&b.value) {
                    v.visit_u128(n)
                } else {
                    Err(self.expected("integer of at most 128 bits"))
                }
            }
            Term::Float(f) => v.visit_f64(f.value),
            Term::Binary(b) => match std::str::from_utf8(&b.bytes) {
                Ok(s) => v.visit_str(s),
                Err(_) => v.visit_bytes(&b.bytes),
            },
            Term::List(_) | Term::ByteList(_) => return self.deserialize_seq(v),
            Term::Tuple(t) => v.visit_seq(Seq::new(&t.elements, &self.path)),
            Term::Map(_) => return self.deserialize_map(v),
            _ => Err(self.expected(
                "a plain value (pids, references and funs need a `with = \"erlnode::term::serde::...\"` field)",
            )),
        };
        r.map_err(|e| e.at(&path))
    }

    fn deserialize_bool<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Error> {
        match self.term {
            Term::Atom(a) if a.name == "true" => v.visit_bool(true),
            Term::Atom(a) if a.name == "false" => v.visit_bool(false),
            _ => Err(self.expected("boolean")),
        }
    }

    int_method!(deserialize_i8, i8, visit_i8);
    int_method!(deserialize_i16, i16, visit_i16);
    int_method!(deserialize_i32, i32, visit_i32);
    int_method!(deserialize_i64, i64, visit_i64);
    int_method!(deserialize_i128, i128, visit_i128);
    int_method!(deserialize_u8, u8, visit_u8);
    int_method!(deserialize_u16, u16, visit_u16);
    int_method!(deserialize_u32, u32, visit_u32);
    int_method!(deserialize_u64, u64, visit_u64);

    fn deserialize_u128<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Error> {
        let n = match self.term {
            Term::FixInteger(i) => u128::try_from(i.value).ok(),
            Term::BigInteger(b) => u128::try_from(&b.value).ok(),
            _ => None,
        };
        match n {
            Some(n) => v.visit_u128(n),
            None if self.int().is_some() => Err(self.expected("integer in the range of u128")),
            None => Err(self.expected("integer")),
        }
    }

    fn deserialize_f32<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Error> {
        self.deserialize_f64(v)
    }

    fn deserialize_f64<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Error> {
        match self.term {
            Term::Float(f) => v.visit_f64(f.value),
            _ => match self.int() {
                Some(n) => v.visit_f64(n as f64),
                None => Err(self.expected("float")),
            },
        }
    }

    fn deserialize_char<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Error> {
        let s = self.string()?;
        let mut chars = s.chars();
        match (chars.next(), chars.next()) {
            (Some(c), None) => v.visit_char(c),
            _ => Err(self.expected("one character")),
        }
    }

    fn deserialize_str<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Error> {
        let s = self.string()?;
        v.visit_string::<Error>(s).map_err(|e| e.at(&self.path))
    }

    fn deserialize_string<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Error> {
        self.deserialize_str(v)
    }

    fn deserialize_bytes<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Error> {
        match self.term {
            Term::Binary(b) => v.visit_bytes(&b.bytes),
            Term::ByteList(b) => v.visit_bytes(&b.bytes),
            _ => self.deserialize_seq(v),
        }
    }

    fn deserialize_byte_buf<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Error> {
        self.deserialize_bytes(v)
    }

    fn deserialize_option<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Error> {
        if self.is_atom("nil") {
            v.visit_none()
        } else {
            let path = self.path.clone();
            v.visit_some(self).map_err(|e| e.at(&path))
        }
    }

    fn deserialize_unit<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Error> {
        if self.is_atom("nil") {
            v.visit_unit()
        } else {
            Err(self.expected("nil"))
        }
    }

    fn deserialize_unit_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        v: V,
    ) -> Result<V::Value, Error> {
        self.deserialize_unit(v)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        v: V,
    ) -> Result<V::Value, Error> {
        if name == RAW {
            let mut bytes = Vec::new();
            crate::proto::etf::encode(self.term, &mut bytes)
                .map_err(|e| Error::new(e.to_string()).at(&self.path))?;
            let d: de::value::BytesDeserializer<'_, Error> =
                de::value::BytesDeserializer::new(&bytes);
            return v.visit_newtype_struct(d).map_err(|e| e.at(&self.path));
        }
        let path = self.path.clone();
        v.visit_newtype_struct(self).map_err(|e| e.at(&path))
    }

    fn deserialize_seq<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Error> {
        let r = match self.term {
            Term::List(l) => v.visit_seq(Seq::new(&l.elements, &self.path)),
            Term::ByteList(b) => v.visit_seq(ByteSeq {
                bytes: &b.bytes,
                i: 0,
            }),
            _ => return Err(self.expected("list")),
        };
        r.map_err(|e| e.at(&self.path))
    }

    fn deserialize_tuple<V: Visitor<'de>>(self, len: usize, v: V) -> Result<V::Value, Error> {
        match self.term {
            Term::Tuple(t) if t.elements.len() == len => v
                .visit_seq(Seq::new(&t.elements, &self.path))
                .map_err(|e| e.at(&self.path)),
            _ => Err(self.expected(&format!("tuple of {len}"))),
        }
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        len: usize,
        v: V,
    ) -> Result<V::Value, Error> {
        self.deserialize_tuple(len, v)
    }

    fn deserialize_map<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Error> {
        match self.term {
            Term::Map(m) => v
                .visit_map(Entries {
                    iter: m.map.iter(),
                    value: None,
                    path: &self.path,
                })
                .map_err(|e| e.at(&self.path)),
            _ => Err(self.expected("map")),
        }
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _fields: &'static [&'static str],
        v: V,
    ) -> Result<V::Value, Error> {
        self.deserialize_map(v)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        v: V,
    ) -> Result<V::Value, Error> {
        let (tag, rest): (String, &[Term]) = match self.term {
            Term::Atom(a) => (a.name.clone(), &[]),
            Term::Binary(_) => (self.string()?, &[]),
            Term::Tuple(t) => match t.elements.split_first() {
                Some((Term::Atom(a), rest)) => (a.name.clone(), rest),
                _ => return Err(self.expected("atom or tagged tuple")),
            },
            _ => return Err(self.expected("atom or tagged tuple")),
        };
        v.visit_enum(Enum {
            tag,
            rest,
            whole: self.term,
            path: &self.path,
        })
        .map_err(|e| e.at(&self.path))
    }

    fn deserialize_identifier<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Error> {
        self.deserialize_str(v)
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Error> {
        v.visit_unit()
    }
}

/// The elements of a list or tuple.
struct Seq<'a> {
    items: std::slice::Iter<'a, Term>,
    i: usize,
    path: &'a str,
}

impl<'a> Seq<'a> {
    fn new(items: &'a [Term], path: &'a str) -> Seq<'a> {
        Seq {
            items: items.iter(),
            i: 0,
            path,
        }
    }
}

impl<'de> SeqAccess<'de> for Seq<'_> {
    type Error = Error;
    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, Error> {
        let Some(term) = self.items.next() else {
            return Ok(None);
        };
        let path = format!("{}[{}]", self.path, self.i);
        self.i += 1;
        seed.deserialize(TermDe { term, path }).map(Some)
    }
    fn size_hint(&self) -> Option<usize> {
        Some(self.items.len())
    }
}

/// A STRING_EXT list (a list of small integers) read as a sequence.
struct ByteSeq<'a> {
    bytes: &'a [u8],
    i: usize,
}

impl<'de> SeqAccess<'de> for ByteSeq<'_> {
    type Error = Error;
    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, Error> {
        let Some(&b) = self.bytes.get(self.i) else {
            return Ok(None);
        };
        self.i += 1;
        seed.deserialize(b.into_deserializer()).map(Some)
    }
}

/// A map's entries; a value's path names its key (`.name` for an atom key).
struct Entries<'a> {
    iter: std::collections::hash_map::Iter<'a, Term, Term>,
    value: Option<(&'a Term, String)>,
    path: &'a str,
}

impl<'de> MapAccess<'de> for Entries<'_> {
    type Error = Error;
    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, Error> {
        let Some((k, v)) = self.iter.next() else {
            return Ok(None);
        };
        let path = match k {
            Term::Atom(a) => format!("{}.{}", self.path, a.name),
            other => format!("{}[{}]", self.path, term::print::inspect(other)),
        };
        self.value = Some((v, path.clone()));
        seed.deserialize(TermDe { term: k, path }).map(Some)
    }
    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, Error> {
        let (term, path) = self
            .value
            .take()
            .ok_or_else(|| Error::new("a map value asked for before its key"))?;
        seed.deserialize(TermDe { term, path })
    }
    fn size_hint(&self) -> Option<usize> {
        Some(self.iter.len())
    }
}

/// An enum: its tag (an atom) and what follows the tag in a tagged tuple.
struct Enum<'a> {
    tag: String,
    rest: &'a [Term],
    whole: &'a Term,
    path: &'a str,
}

impl<'de, 'a> de::EnumAccess<'de> for Enum<'a> {
    type Error = Error;
    type Variant = Enum<'a>;
    fn variant_seed<V: DeserializeSeed<'de>>(self, seed: V) -> Result<(V::Value, Self), Error> {
        let tag: de::value::StrDeserializer<'_, Error> = self.tag.as_str().into_deserializer();
        let v = seed.deserialize(tag).map_err(|e| e.at(self.path))?;
        Ok((v, self))
    }
}

impl<'de> de::VariantAccess<'de> for Enum<'_> {
    type Error = Error;
    fn unit_variant(self) -> Result<(), Error> {
        if self.rest.is_empty() {
            Ok(())
        } else {
            Err(Error::expected(
                &format!(":{}", self.tag),
                self.path,
                self.whole,
            ))
        }
    }
    fn newtype_variant_seed<T: DeserializeSeed<'de>>(self, seed: T) -> Result<T::Value, Error> {
        match self.rest {
            [term] => seed.deserialize(TermDe {
                term,
                path: format!("{}[1]", self.path),
            }),
            _ => Err(Error::expected(
                &format!("{{:{}, value}}", self.tag),
                self.path,
                self.whole,
            )),
        }
    }
    fn tuple_variant<V: Visitor<'de>>(self, len: usize, v: V) -> Result<V::Value, Error> {
        if self.rest.len() != len {
            return Err(Error::expected(
                &format!("{{:{}, ...}} with {len} values", self.tag),
                self.path,
                self.whole,
            ));
        }
        let path = self.path.to_owned();
        let mut seq = Seq::new(self.rest, &path);
        seq.i = 1;
        v.visit_seq(seq)
    }
    fn struct_variant<V: Visitor<'de>>(
        self,
        _fields: &'static [&'static str],
        v: V,
    ) -> Result<V::Value, Error> {
        match self.rest {
            [term] => de::Deserializer::deserialize_map(
                TermDe {
                    term,
                    path: format!("{}[1]", self.path),
                },
                v,
            ),
            _ => Err(Error::expected(
                &format!("{{:{}, %{{...}}}}", self.tag),
                self.path,
                self.whole,
            )),
        }
    }
}
