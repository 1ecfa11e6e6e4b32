//! Rust values to terms: a serde `Serializer` whose output is a [`Term`].

use super::{Error, RAW};
use crate::term;
use eetf::{BigInteger, Float, Map, Term};
use serde::ser::{self, Serialize};
use std::collections::HashMap;

/// Converts any `Serialize` value to a term (see the [module docs](super) for the shapes).
///
/// ```
/// #[derive(serde::Serialize)]
/// struct User { id: u32, name: String, tags: Vec<String> }
/// let t = erlnode::term::serde::to_term(&User { id: 7, name: "ada".into(), tags: vec![] }).unwrap();
/// assert_eq!(erlnode::term::print::inspect(&t), r#"%{id: 7, name: "ada", tags: []}"#);
/// ```
pub fn to_term<T: Serialize + ?Sized>(value: &T) -> Result<Term, Error> {
    value.serialize(Ser)
}

fn big(v: i128) -> Term {
    match i64::try_from(v) {
        Ok(v) => term::int(v),
        Err(_) => {
            let hi = BigInteger::from((v >> 64) as i64).value;
            let lo = BigInteger::from(v as u64).value;
            Term::BigInteger(BigInteger {
                value: (hi << 64usize) + lo,
            })
        }
    }
}

fn ubig(v: u128) -> Term {
    match u64::try_from(v) {
        Ok(v) => match i64::try_from(v) {
            Ok(i) => term::int(i),
            Err(_) => Term::BigInteger(BigInteger::from(v)),
        },
        Err(_) => {
            let hi = BigInteger::from((v >> 64) as u64).value;
            let lo = BigInteger::from(v as u64).value;
            Term::BigInteger(BigInteger {
                value: (hi << 64usize) + lo,
            })
        }
    }
}

fn float(v: f64) -> Result<Term, Error> {
    Float::try_from(v)
        .map(Term::Float)
        .map_err(|_| Error::new(format!("{v} has no term form (BEAM floats are finite)")))
}

/// The serializer: every method returns the term for the value.
struct Ser;

impl ser::Serializer for Ser {
    type Ok = Term;
    type Error = Error;
    type SerializeSeq = Seq;
    type SerializeTuple = Seq;
    type SerializeTupleStruct = Seq;
    type SerializeTupleVariant = Seq;
    type SerializeMap = MapSer;
    type SerializeStruct = StructSer;
    type SerializeStructVariant = StructSer;

    fn serialize_bool(self, v: bool) -> Result<Term, Error> {
        Ok(term::atom(if v { "true" } else { "false" }))
    }
    fn serialize_i8(self, v: i8) -> Result<Term, Error> {
        Ok(term::int(v.into()))
    }
    fn serialize_i16(self, v: i16) -> Result<Term, Error> {
        Ok(term::int(v.into()))
    }
    fn serialize_i32(self, v: i32) -> Result<Term, Error> {
        Ok(term::int(v.into()))
    }
    fn serialize_i64(self, v: i64) -> Result<Term, Error> {
        Ok(term::int(v))
    }
    fn serialize_i128(self, v: i128) -> Result<Term, Error> {
        Ok(big(v))
    }
    fn serialize_u8(self, v: u8) -> Result<Term, Error> {
        Ok(term::int(v.into()))
    }
    fn serialize_u16(self, v: u16) -> Result<Term, Error> {
        Ok(term::int(v.into()))
    }
    fn serialize_u32(self, v: u32) -> Result<Term, Error> {
        Ok(term::int(v.into()))
    }
    fn serialize_u64(self, v: u64) -> Result<Term, Error> {
        Ok(ubig(v.into()))
    }
    fn serialize_u128(self, v: u128) -> Result<Term, Error> {
        Ok(ubig(v))
    }
    fn serialize_f32(self, v: f32) -> Result<Term, Error> {
        float(v.into())
    }
    fn serialize_f64(self, v: f64) -> Result<Term, Error> {
        float(v)
    }
    fn serialize_char(self, v: char) -> Result<Term, Error> {
        Ok(term::binary(v.to_string()))
    }
    fn serialize_str(self, v: &str) -> Result<Term, Error> {
        Ok(term::binary(v))
    }
    fn serialize_bytes(self, v: &[u8]) -> Result<Term, Error> {
        Ok(term::binary(v))
    }
    fn serialize_none(self) -> Result<Term, Error> {
        Ok(term::atom("nil"))
    }
    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<Term, Error> {
        value.serialize(self)
    }
    fn serialize_unit(self) -> Result<Term, Error> {
        Ok(term::atom("nil"))
    }
    fn serialize_unit_struct(self, _name: &'static str) -> Result<Term, Error> {
        Ok(term::atom("nil"))
    }
    fn serialize_unit_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
    ) -> Result<Term, Error> {
        Ok(term::atom(variant))
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        name: &'static str,
        value: &T,
    ) -> Result<Term, Error> {
        if name == RAW {
            // A term carried as its ETF bytes (the `term`/`pid`/... field helpers).
            let Term::Binary(b) = value.serialize(Ser)? else {
                return Err(Error::new("a raw term that is not bytes"));
            };
            return crate::proto::etf::decode(&b.bytes)
                .map(|(t, _)| t)
                .map_err(|e| Error::new(e.to_string()));
        }
        value.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        value: &T,
    ) -> Result<Term, Error> {
        Ok(term::tuple(vec![
            term::atom(variant),
            value.serialize(Ser)?,
        ]))
    }
    fn serialize_seq(self, len: Option<usize>) -> Result<Seq, Error> {
        Ok(Seq::new(None, len, false))
    }
    fn serialize_tuple(self, len: usize) -> Result<Seq, Error> {
        Ok(Seq::new(None, Some(len), true))
    }
    fn serialize_tuple_struct(self, _name: &'static str, len: usize) -> Result<Seq, Error> {
        Ok(Seq::new(None, Some(len), true))
    }
    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<Seq, Error> {
        Ok(Seq::new(Some(variant), Some(len), true))
    }
    fn serialize_map(self, len: Option<usize>) -> Result<MapSer, Error> {
        Ok(MapSer {
            map: HashMap::with_capacity(len.unwrap_or(0).min(1024)),
            key: None,
        })
    }
    fn serialize_struct(self, _name: &'static str, len: usize) -> Result<StructSer, Error> {
        Ok(StructSer::new(None, len))
    }
    fn serialize_struct_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<StructSer, Error> {
        Ok(StructSer::new(Some(variant), len))
    }
}

/// Lists and tuples (a tuple variant's tuple starts with its tag).
struct Seq {
    items: Vec<Term>,
    tuple: bool,
}

impl Seq {
    fn new(tag: Option<&str>, len: Option<usize>, tuple: bool) -> Seq {
        let mut items = Vec::with_capacity(len.unwrap_or(0).min(4096) + 1);
        items.extend(tag.map(term::atom));
        Seq { items, tuple }
    }
    fn push<T: Serialize + ?Sized>(&mut self, v: &T) -> Result<(), Error> {
        self.items.push(v.serialize(Ser)?);
        Ok(())
    }
    fn done(self) -> Term {
        if self.tuple {
            term::tuple(self.items)
        } else {
            term::list(self.items)
        }
    }
}

impl ser::SerializeSeq for Seq {
    type Ok = Term;
    type Error = Error;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, v: &T) -> Result<(), Error> {
        self.push(v)
    }
    fn end(self) -> Result<Term, Error> {
        Ok(self.done())
    }
}
impl ser::SerializeTuple for Seq {
    type Ok = Term;
    type Error = Error;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, v: &T) -> Result<(), Error> {
        self.push(v)
    }
    fn end(self) -> Result<Term, Error> {
        Ok(self.done())
    }
}
impl ser::SerializeTupleStruct for Seq {
    type Ok = Term;
    type Error = Error;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, v: &T) -> Result<(), Error> {
        self.push(v)
    }
    fn end(self) -> Result<Term, Error> {
        Ok(self.done())
    }
}
impl ser::SerializeTupleVariant for Seq {
    type Ok = Term;
    type Error = Error;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, v: &T) -> Result<(), Error> {
        self.push(v)
    }
    fn end(self) -> Result<Term, Error> {
        Ok(self.done())
    }
}

/// Maps: any term as a key.
struct MapSer {
    map: HashMap<Term, Term>,
    key: Option<Term>,
}

impl ser::SerializeMap for MapSer {
    type Ok = Term;
    type Error = Error;
    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), Error> {
        self.key = Some(key.serialize(Ser)?);
        Ok(())
    }
    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        let key = self
            .key
            .take()
            .ok_or_else(|| Error::new("a map value without a key"))?;
        self.map.insert(key, value.serialize(Ser)?);
        Ok(())
    }
    fn end(self) -> Result<Term, Error> {
        Ok(Term::Map(Map::from(self.map)))
    }
}

/// Structs: maps with atom keys (a struct variant is `{:tag, %{...}}`).
struct StructSer {
    tag: Option<&'static str>,
    map: HashMap<Term, Term>,
}

impl StructSer {
    fn new(tag: Option<&'static str>, len: usize) -> StructSer {
        StructSer {
            tag,
            map: HashMap::with_capacity(len),
        }
    }
    fn field<T: Serialize + ?Sized>(&mut self, key: &'static str, v: &T) -> Result<(), Error> {
        let v = v.serialize(Ser).map_err(|e| e.at(&format!(".{key}")))?;
        self.map.insert(term::atom(key), v);
        Ok(())
    }
    fn done(self) -> Term {
        let map = Term::Map(Map::from(self.map));
        match self.tag {
            Some(tag) => term::tuple(vec![term::atom(tag), map]),
            None => map,
        }
    }
}

impl ser::SerializeStruct for StructSer {
    type Ok = Term;
    type Error = Error;
    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        v: &T,
    ) -> Result<(), Error> {
        self.field(key, v)
    }
    fn end(self) -> Result<Term, Error> {
        Ok(self.done())
    }
}
impl ser::SerializeStructVariant for StructSer {
    type Ok = Term;
    type Error = Error;
    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        v: &T,
    ) -> Result<(), Error> {
        self.field(key, v)
    }
    fn end(self) -> Result<Term, Error> {
        Ok(self.done())
    }
}
