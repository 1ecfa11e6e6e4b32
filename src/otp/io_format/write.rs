//! `io_lib:write/2` (`~w`, `~W`): a term on one line, no string detection.

use super::*;

/// A term as `io_lib:write(T, [{depth, Depth}, {encoding, Enc}])` writes it
/// (`~w` / `~W`); `depth` < 0 is unlimited.
pub fn write_term(t: &Term, depth: i64, enc: Encoding, opts: &PrintOpts) -> String {
    let mut out = String::new();
    Writer { enc, opts }.write(&mut out, t, depth, 0);
    out
}

pub(super) struct Writer<'a> {
    pub(super) enc: Encoding,
    pub(super) opts: &'a PrintOpts,
}

impl Writer<'_> {
    pub(super) fn node_number(&self, node: &str) -> u32 {
        node_index(
            node,
            &InspectOpts {
                local_node: self.opts.local_node.clone(),
                ..InspectOpts::default()
            },
        )
    }

    pub(super) fn write(&self, out: &mut String, t: &Term, d: i64, nest: usize) {
        if d == 0 || nest >= MAX_NESTING {
            out.push_str("...");
            return;
        }
        match t {
            Term::FixInteger(i) => {
                let _ = write!(out, "{}", i.value);
            }
            Term::BigInteger(i) => {
                let _ = write!(out, "{}", i.value);
            }
            Term::Float(f) => out.push_str(&format_float(f.value)),
            Term::Atom(a) => out.push_str(&self.opts.atom(&a.name, self.enc)),
            Term::Pid(p) => {
                let n = self.node_number(&p.node.name);
                let _ = write!(out, "<{}.{}.{}>", n, p.id, p.serial);
            }
            Term::Port(p) => {
                let n = self.node_number(&p.node.name);
                let _ = write!(out, "#Port<{}.{}>", n, p.id);
            }
            Term::Reference(r) => {
                let _ = write!(out, "#Ref<{}", self.node_number(&r.node.name));
                for id in r.id.iter().rev() {
                    let _ = write!(out, ".{id}");
                }
                out.push('>');
            }
            Term::ExternalFun(f) => {
                let _ = write!(
                    out,
                    "fun {}:{}/{}",
                    self.opts.atom(&f.module.name, self.enc),
                    self.opts.atom(&f.function.name, self.enc),
                    f.arity
                );
            }
            Term::InternalFun(f) => match f.as_ref() {
                eetf::InternalFun::New {
                    module,
                    index,
                    old_uniq,
                    ..
                } => {
                    let _ = write!(out, "#Fun<{}.{}.{}>", module.name, index, old_uniq);
                }
                eetf::InternalFun::Old {
                    module,
                    index,
                    uniq,
                    ..
                } => {
                    let _ = write!(out, "#Fun<{}.{}.{}>", module.name, index, uniq);
                }
            },
            Term::Binary(_) | Term::BitBinary(_) => {
                let items = binary_items(t, d);
                out.push_str("<<");
                out.push_str(&items.join(","));
                out.push_str(">>");
            }
            Term::List(_) | Term::ByteList(_) | Term::ImproperList(_) => {
                let Some((items, tail)) = list_parts(t) else {
                    return;
                };
                if items.is_empty() {
                    out.push_str("[]");
                    return;
                }
                if d == 1 {
                    out.push_str("[...]");
                    return;
                }
                out.push('[');
                let mut d = d - 1;
                for (i, e) in items.iter().enumerate() {
                    if i > 0 {
                        if d == 1 {
                            out.push_str("|...");
                            out.push(']');
                            return;
                        }
                        out.push(',');
                        self.write(out, e, d - 1, nest + 1);
                        d -= 1;
                    } else {
                        self.write(out, e, d, nest + 1);
                    }
                }
                if let Tail::Improper(last) = tail {
                    if d == 1 {
                        out.push_str("|...");
                    } else {
                        out.push('|');
                        self.write(out, last, d - 1, nest + 1);
                    }
                }
                out.push(']');
            }
            Term::Tuple(tu) => {
                if tu.elements.is_empty() {
                    out.push_str("{}");
                    return;
                }
                if d == 1 {
                    out.push_str("{...}");
                    return;
                }
                out.push('{');
                let mut d = d - 1;
                self.write(out, &tu.elements[0], d, nest + 1);
                for e in &tu.elements[1..] {
                    if d == 1 {
                        out.push_str(",...");
                        break;
                    }
                    out.push(',');
                    self.write(out, e, d - 1, nest + 1);
                    d -= 1;
                }
                out.push('}');
            }
            // OTP 25 writes a map at depth 1 as `#{}`, and `,...` whenever
            // the depth runs out after the first pair, even at the last one.
            Term::Map(_) if d == 1 => out.push_str("#{}"),
            Term::Map(m) => {
                out.push_str("#{");
                let d0 = d - 1;
                let mut d = d0;
                for (i, (k, v)) in map_entries(m, self.opts).into_iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    self.write(out, k, d0, nest + 1);
                    out.push_str(" => ");
                    self.write(out, v, d0, nest + 1);
                    if i > 0 {
                        d -= 1;
                    }
                    if d == 1 {
                        out.push_str(",...");
                        break;
                    }
                }
                out.push('}');
            }
        }
    }
}

/// `io_lib:write_binary/2`'s pieces: one decimal per byte, `Value:Bits` for a
/// partial last byte, `...` where the depth runs out.
pub(super) fn binary_items(t: &Term, d: i64) -> Vec<String> {
    let Some((bytes, last_bits)) = bits(t) else {
        return Vec::new();
    };
    let mut items = Vec::new();
    let mut d = d;
    let n = bytes.len();
    for (i, &b) in bytes.iter().enumerate() {
        if d == 1 {
            items.push("...".to_owned());
            break;
        }
        if i + 1 == n && last_bits < 8 {
            // eetf keeps the last byte's bits right-aligned.
            items.push(format!("{b}:{last_bits}"));
        } else {
            items.push(b.to_string());
        }
        d -= 1;
    }
    items
}
