//! Typed terms: every shape both ways, integers of every wire size, and error paths.

use super::*;
use crate::term::{self, parse::parse_term as parse, print::inspect};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};

#[derive(Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum Shape {
    Dot,
    Circle(f64),
    Rect(i64, i64),
    Named { label: String },
}

#[derive(Debug, PartialEq, Serialize, Deserialize)]
struct Item {
    id: u64,
    name: String,
    price: Option<f64>,
    tags: Vec<String>,
    shape: Shape,
    pair: (i32, bool),
    counts: BTreeMap<String, i32>,
    #[serde(with = "crate::term::serde::pid")]
    owner: eetf::Pid,
    #[serde(with = "crate::term::serde::reference")]
    r: eetf::Reference,
    #[serde(with = "crate::term::serde::term")]
    extra: eetf::Term,
}

#[derive(Debug, PartialEq, Serialize, Deserialize)]
struct User {
    #[serde(rename = "__struct__", with = "crate::term::serde::atom")]
    kind: String,
    name: String,
}

fn round<T: Serialize + serde::de::DeserializeOwned + PartialEq + std::fmt::Debug>(
    v: T,
    elixir: &str,
) {
    let t = to_term(&v).unwrap();
    assert_eq!(t, parse(elixir).unwrap(), "{} vs {elixir}", inspect(&t));
    assert_eq!(from_term::<T>(&t).unwrap(), v);
}

#[test]
fn every_shape_both_ways() {
    round(true, "true");
    round(-5i8, "-5");
    round(u64::MAX, "18446744073709551615");
    round(i64::MIN, "-9223372036854775808");
    round(i128::MIN, "-170141183460469231731687303715884105728");
    round(u128::MAX, "340282366920938463463374607431768211455");
    round(1.5f64, "1.5");
    round("héllo".to_string(), r#""héllo""#);
    round(Some(3u8), "3");
    round(None::<u8>, "nil");
    round((), "nil");
    round(vec![1, 2, 3], "[1, 2, 3]");
    round((1, "a".to_string(), false), r#"{1, "a", false}"#);
    round(Shape::Dot, ":dot");
    round(Shape::Circle(2.0), "{:circle, 2.0}");
    round(Shape::Rect(1, 2), "{:rect, 1, 2}");
    round(
        Shape::Named { label: "x".into() },
        r#"{:named, %{label: "x"}}"#,
    );
    round(
        HashMap::from([("a".to_string(), 1), ("b".to_string(), 2)]),
        r#"%{"a" => 1, "b" => 2}"#,
    );
    round(
        User {
            kind: "Elixir.MyApp.User".into(),
            name: "ada".into(),
        },
        r#"%MyApp.User{name: "ada"}"#,
    );
    let pid = eetf::Pid::new("a@h", 1, 2, 3);
    let r = eetf::Reference {
        node: eetf::Atom::from("a@h"),
        id: vec![1, 2, 3],
        creation: 3,
    };
    let item = Item {
        id: 7,
        name: "n".into(),
        price: None,
        tags: vec!["t".into()],
        shape: Shape::Rect(3, 4),
        pair: (-1, true),
        counts: BTreeMap::from([("k".into(), 1)]),
        owner: pid.clone(),
        r: r.clone(),
        extra: term::tuple(vec![term::atom("any"), term::nil()]),
    };
    let t = to_term(&item).unwrap();
    let m = match &t {
        eetf::Term::Map(m) => m,
        _ => panic!(),
    };
    assert_eq!(m.map[&term::atom("owner")], term::pid(&pid));
    assert_eq!(m.map[&term::atom("r")], term::reference(&r));
    assert_eq!(m.map[&term::atom("price")], term::atom("nil"));
    assert_eq!(from_term::<Item>(&t).unwrap(), item);
}

#[test]
fn what_beam_sends_is_read_loosely_where_it_is_unambiguous() {
    // Charlists (both wire forms) and atoms read as strings.
    assert_eq!(
        from_term::<String>(&parse("'abc'").unwrap()).unwrap(),
        "abc"
    );
    let bytes = crate::proto::etf::decode(&[131, 107, 0, 2, b'h', b'i'])
        .unwrap()
        .0;
    assert_eq!(from_term::<String>(&bytes).unwrap(), "hi");
    assert_eq!(from_term::<String>(&term::atom("ok")).unwrap(), "ok");
    // Integers in every wire size: SMALL_INTEGER, INTEGER, SMALL_BIG (from OTP 25's term_to_binary).
    for (bytes, v) in [
        (&[131, 97, 7][..], 7i128),
        (&[131, 98, 255, 255, 255, 254][..], -2),
        (&[131, 110, 8, 0, 0, 0, 0, 0, 0, 0, 0, 128][..], 1 << 63),
        (&[131, 110, 9, 1, 0, 0, 0, 0, 0, 0, 0, 0, 1][..], -(1 << 64)),
    ] {
        let t = crate::proto::etf::decode(bytes).unwrap().0;
        assert_eq!(from_term::<i128>(&t).unwrap(), v, "{bytes:?}");
    }
    let big = crate::proto::etf::decode(&[131, 110, 8, 0, 0, 0, 0, 0, 0, 0, 0, 128])
        .unwrap()
        .0;
    assert_eq!(from_term::<u64>(&big).unwrap(), 1 << 63);
    assert!(from_term::<i64>(&big).is_err());
    assert_eq!(from_term::<f64>(&term::int(2)).unwrap(), 2.0);
}

#[test]
fn errors_name_the_path() {
    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct Line {
        id: u32,
    }
    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct Order {
        items: Vec<Line>,
    }
    let t = parse(r#"%{items: [%{id: 1}, %{id: 2}, %{id: 3}, %{id: "7"}]}"#).unwrap();
    let e = from_term::<Order>(&t).unwrap_err();
    assert_eq!(
        e.to_string(),
        r#"expected integer at .items[3].id, got "7""#
    );
    assert_eq!(e.path(), Some(".items[3].id"));
    let e = from_term::<Order>(&parse("%{items: [%{}]}").unwrap()).unwrap_err();
    assert_eq!(e.to_string(), "missing field `id` at .items[0]");
    let e = from_term::<u8>(&term::int(300)).unwrap_err();
    assert_eq!(
        e.to_string(),
        "expected integer in the range of u8 at ., got 300"
    );
    let e = from_term::<Shape>(&parse("{:rect, 1}").unwrap()).unwrap_err();
    assert!(
        e.to_string()
            .starts_with("expected {:rect, ...} with 2 values at ."),
        "{e}"
    );
    let e = from_term::<Shape>(&parse(":square").unwrap()).unwrap_err();
    assert!(e.to_string().contains("unknown variant `square`"), "{e}");
    let e = from_term::<(i32, i32)>(&parse("[1, 2]").unwrap()).unwrap_err();
    assert_eq!(e.to_string(), "expected tuple of 2 at ., got [1, 2]");
    assert!(to_term(&f64::NAN).is_err());
}
