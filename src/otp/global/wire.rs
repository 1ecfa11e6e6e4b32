//! The messages of OTP 25's `global` protocol (version 8): parsing what reaches `global_name_server`, building what it sends.

use crate::term;
use eetf::{Pid, Reference, Term};
use thiserror::Error;

/// The protocol version this node speaks (OTP 25's `global` answers
/// `get_protocol_version` with 8).
pub(super) const VSN: i64 = 8;

#[derive(Debug, Error, PartialEq, Eq)]
pub(super) enum WireError {
    #[error("malformed {what}: {term}")]
    Malformed { what: &'static str, term: String },
    #[error("unexpected message: {0}")]
    Unexpected(String),
}

fn short(t: &Term) -> String {
    let s = t.to_string();
    if s.len() > 300 {
        let mut end = 300;
        while !s.is_char_boundary(end) {
            end -= 1;
        }
        format!("{}...", &s[..end])
    } else {
        s
    }
}

fn bad(what: &'static str, t: &Term) -> WireError {
    WireError::Malformed {
        what,
        term: short(t),
    }
}

/// A registration as global passes it around: `{Name, Pid, Method}`.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct RegEntry {
    pub name: Term,
    pub pid: Pid,
    pub method: Term,
}

/// One step of a name exchange: `{insert, {Name, Pid, Method}}` or `{delete, Name}`.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Op {
    Insert(RegEntry),
    Delete(Term),
}

/// An external registration: `{Name, Pid, RegNode}`.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct ExtEntry {
    pub name: Term,
    pub pid: Pid,
    pub reg_node: String,
}

/// A node in a known list: a bare atom, or `{Node, Vsn}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct KnownNode {
    pub node: String,
    pub vsn: Option<i64>,
}

/// A lock id, `{ResourceId, LockRequesterId}`.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct LockId {
    pub resource: Term,
    pub requester: Term,
}

impl LockId {
    pub fn to_term(&self) -> Term {
        term::tuple(vec![self.resource.clone(), self.requester.clone()])
    }
    /// The lock on resource `global` that lockers and registrars take.
    pub fn global(requester: Term) -> Self {
        LockId {
            resource: term::atom("global"),
            requester,
        }
    }
}

/// A gen_server call to `global_name_server`.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum CallReq {
    Register(RegEntry),
    Unregister(Term),
    RegisterExt {
        entry: RegEntry,
        reg_node: String,
    },
    SetLock(LockId),
    DelLock(LockId),
    GetKnown,
    GetSynced,
    GetProtocolVersion,
    GetNamesExt,
    Sync(Vec<String>),
    /// A call this node cannot serve (`{registrar, Fun}`, `info`, ...).
    Unsupported(Term),
}

/// A message for `global_name_server`, parsed.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Incoming {
    Call {
        /// `{Pid, Tag}`, echoed in the reply.
        from: Term,
        from_pid: Pid,
        req: CallReq,
    },
    /// `{init_connect, Vsn, Node, InitMsg}`; `vsn` is the raw version term.
    InitConnect {
        vsn: Term,
        node: String,
        init_msg: Term,
    },
    /// `{lock_set, Pid, Set, HisKnown[, MyTag]}`: from the peer's locker.
    LockSet(LockSet),
    Exchange {
        node: String,
        names: Vec<RegEntry>,
        tag: Term,
    },
    Resolved {
        node: String,
        his_resolved: Vec<Op>,
        his_known: Vec<KnownNode>,
        names_ext: Vec<ExtEntry>,
        tag: Term,
    },
    NewNodes {
        node: String,
        ops: Vec<Op>,
        names_ext: Vec<ExtEntry>,
        nodes: Vec<KnownNode>,
        extra_info: Term,
    },
    InSync {
        node: String,
    },
    /// `async_del_name` / `async_del_lock`: ignored by OTP 25 too.
    Obsolete,
    InitConnectAck {
        node: String,
        his_my_tag: Term,
        his_his_tag: Term,
    },
    CancelConnect {
        node: String,
        tag: Term,
    },
    LostConnection {
        node_a: String,
        xcreation: Term,
        op_id: Term,
        node_b: String,
    },
    RemoveConnection {
        node: String,
    },
    Whereis {
        name: Term,
        from: Term,
    },
    PrepareShutdown {
        from: Pid,
        reference: Term,
    },
    Down {
        reference: Reference,
        reason: Term,
    },
    Exit,
}

#[derive(Debug, Clone, PartialEq)]
pub(super) struct LockSet {
    pub pid: Pid,
    pub set: bool,
    pub his_known: Term,
    /// Absent in the 4-tuple form older versions send.
    pub tag: Option<Term>,
}

fn atom_name(t: &Term, what: &'static str) -> Result<String, WireError> {
    term::as_atom(t)
        .map(str::to_owned)
        .ok_or_else(|| bad(what, t))
}

fn pid(t: &Term, what: &'static str) -> Result<Pid, WireError> {
    term::as_pid(t).cloned().ok_or_else(|| bad(what, t))
}

fn list(t: &Term, what: &'static str) -> Result<Vec<Term>, WireError> {
    term::as_list(t).ok_or_else(|| bad(what, t))
}

fn boolean(t: &Term, what: &'static str) -> Result<bool, WireError> {
    match term::as_atom(t) {
        Some("true") => Ok(true),
        Some("false") => Ok(false),
        _ => Err(bad(what, t)),
    }
}

fn reg_entry(t: &Term) -> Result<RegEntry, WireError> {
    match term::as_tuple(t) {
        Some([name, p, method]) => Ok(RegEntry {
            name: name.clone(),
            pid: pid(p, "registration pid")?,
            method: method.clone(),
        }),
        _ => Err(bad("registration {Name, Pid, Method}", t)),
    }
}

pub(super) fn reg_entries(t: &Term) -> Result<Vec<RegEntry>, WireError> {
    list(t, "name list")?.iter().map(reg_entry).collect()
}

pub(super) fn ops(t: &Term) -> Result<Vec<Op>, WireError> {
    list(t, "op list")?
        .iter()
        .map(|op| match term::as_tuple(op) {
            Some([tag, e]) if term::is_atom(tag, "insert") => Ok(Op::Insert(reg_entry(e)?)),
            Some([tag, name]) if term::is_atom(tag, "delete") => Ok(Op::Delete(name.clone())),
            _ => Err(bad("op", op)),
        })
        .collect()
}

pub(super) fn ext_entries(t: &Term) -> Result<Vec<ExtEntry>, WireError> {
    list(t, "external name list")?
        .iter()
        .map(|e| match term::as_tuple(e) {
            Some([name, p, n]) => Ok(ExtEntry {
                name: name.clone(),
                pid: pid(p, "external registration pid")?,
                reg_node: atom_name(n, "external registration node")?,
            }),
            _ => Err(bad("external registration", e)),
        })
        .collect()
}

pub(super) fn known_nodes(t: &Term) -> Result<Vec<KnownNode>, WireError> {
    list(t, "known list")?
        .iter()
        .map(|k| match k {
            Term::Atom(a) => Ok(KnownNode {
                node: a.name.clone(),
                vsn: None,
            }),
            _ => match term::as_tuple(k) {
                Some([n, v]) => Ok(KnownNode {
                    node: atom_name(n, "known node")?,
                    vsn: Some(term::as_int(v).ok_or_else(|| bad("known node version", v))?),
                }),
                _ => Err(bad("known node", k)),
            },
        })
        .collect()
}

pub(super) fn lock_id(t: &Term) -> Result<LockId, WireError> {
    match term::as_tuple(t) {
        Some([resource, requester]) => Ok(LockId {
            resource: resource.clone(),
            requester: requester.clone(),
        }),
        _ => Err(bad("lock id {ResourceId, LockRequesterId}", t)),
    }
}

fn call_req(req: &Term) -> Result<CallReq, WireError> {
    if let Some(a) = term::as_atom(req) {
        return Ok(match a {
            "get_known" => CallReq::GetKnown,
            "get_synced" => CallReq::GetSynced,
            "get_protocol_version" => CallReq::GetProtocolVersion,
            "get_names_ext" => CallReq::GetNamesExt,
            _ => CallReq::Unsupported(req.clone()),
        });
    }
    let Some(t) = term::as_tuple(req) else {
        return Ok(CallReq::Unsupported(req.clone()));
    };
    let Some(op) = t.first().and_then(term::as_atom) else {
        return Ok(CallReq::Unsupported(req.clone()));
    };
    Ok(match (op, &t[1..]) {
        ("register", [name, p, method]) => CallReq::Register(RegEntry {
            name: name.clone(),
            pid: pid(p, "register pid")?,
            method: method.clone(),
        }),
        ("unregister", [name]) => CallReq::Unregister(name.clone()),
        ("register_ext", [name, p, method, n]) => CallReq::RegisterExt {
            entry: RegEntry {
                name: name.clone(),
                pid: pid(p, "register_ext pid")?,
                method: method.clone(),
            },
            reg_node: atom_name(n, "register_ext node")?,
        },
        ("set_lock", [id]) => CallReq::SetLock(lock_id(id)?),
        ("del_lock", [id]) => CallReq::DelLock(lock_id(id)?),
        ("sync", [nodes]) => CallReq::Sync(
            list(nodes, "sync node list")?
                .iter()
                .map(|n| atom_name(n, "sync node"))
                .collect::<Result<_, _>>()?,
        ),
        _ => CallReq::Unsupported(req.clone()),
    })
}

fn cast(msg: &Term) -> Result<Incoming, WireError> {
    let t = term::as_tuple(msg).ok_or_else(|| WireError::Unexpected(short(msg)))?;
    let op = t
        .first()
        .and_then(term::as_atom)
        .ok_or_else(|| WireError::Unexpected(short(msg)))?;
    Ok(match (op, &t[1..]) {
        ("init_connect", [vsn, node, init_msg]) => Incoming::InitConnect {
            vsn: vsn.clone(),
            node: atom_name(node, "init_connect node")?,
            init_msg: init_msg.clone(),
        },
        ("lock_set", [p, set, known, tag]) => Incoming::LockSet(LockSet {
            pid: pid(p, "lock_set pid")?,
            set: boolean(set, "lock_set flag")?,
            his_known: known.clone(),
            tag: Some(tag.clone()),
        }),
        ("lock_set", [p, set, known]) => Incoming::LockSet(LockSet {
            pid: pid(p, "lock_set pid")?,
            set: boolean(set, "lock_set flag")?,
            his_known: known.clone(),
            tag: None,
        }),
        ("exchange", [node, names, _names_ext, tag]) => Incoming::Exchange {
            node: atom_name(node, "exchange node")?,
            names: reg_entries(names)?,
            tag: tag.clone(),
        },
        ("resolved", [node, resolved, known, _unused, names_ext, tag]) => Incoming::Resolved {
            node: atom_name(node, "resolved node")?,
            his_resolved: ops(resolved)?,
            his_known: known_nodes(known)?,
            names_ext: ext_entries(names_ext)?,
            tag: tag.clone(),
        },
        ("new_nodes", [node, o, names_ext, nodes, extra]) => Incoming::NewNodes {
            node: atom_name(node, "new_nodes node")?,
            ops: ops(o)?,
            names_ext: ext_entries(names_ext)?,
            nodes: known_nodes(nodes)?,
            extra_info: extra.clone(),
        },
        ("in_sync", [node, _is_known]) => Incoming::InSync {
            node: atom_name(node, "in_sync node")?,
        },
        ("async_del_name" | "async_del_lock", [_, _]) => Incoming::Obsolete,
        _ => return Err(WireError::Unexpected(short(msg))),
    })
}

/// Parses one message taken from `global_name_server`'s mailbox.
pub(super) fn parse(msg: &Term) -> Result<Incoming, WireError> {
    let t = term::as_tuple(msg).ok_or_else(|| WireError::Unexpected(short(msg)))?;
    let op = t
        .first()
        .and_then(term::as_atom)
        .ok_or_else(|| WireError::Unexpected(short(msg)))?;
    Ok(match (op, &t[1..]) {
        ("$gen_call", [from, req]) => {
            let from_pid = match term::as_tuple(from) {
                Some([p, _tag]) => pid(p, "caller pid")?,
                _ => return Err(bad("gen_server From", from)),
            };
            Incoming::Call {
                from: from.clone(),
                from_pid,
                req: call_req(req)?,
            }
        }
        ("$gen_cast", [m]) => cast(m)?,
        ("init_connect_ack", [node, my, his]) => Incoming::InitConnectAck {
            node: atom_name(node, "init_connect_ack node")?,
            his_my_tag: my.clone(),
            his_his_tag: his.clone(),
        },
        ("cancel_connect", [node, tag]) => Incoming::CancelConnect {
            node: atom_name(node, "cancel_connect node")?,
            tag: tag.clone(),
        },
        ("lost_connection", [a, xcre, op_id, b]) => Incoming::LostConnection {
            node_a: atom_name(a, "lost_connection node")?,
            xcreation: xcre.clone(),
            op_id: op_id.clone(),
            node_b: atom_name(b, "lost_connection node")?,
        },
        ("remove_connection", [node]) => Incoming::RemoveConnection {
            node: atom_name(node, "remove_connection node")?,
        },
        ("whereis", [name, from]) => Incoming::Whereis {
            name: name.clone(),
            from: from.clone(),
        },
        ("prepare_shutdown", [from, reference]) => Incoming::PrepareShutdown {
            from: pid(from, "prepare_shutdown pid")?,
            reference: reference.clone(),
        },
        ("DOWN", [r, _process, _obj, reason]) => match r {
            Term::Reference(r) => Incoming::Down {
                reference: (**r).clone(),
                reason: reason.clone(),
            },
            _ => return Err(bad("DOWN", msg)),
        },
        ("EXIT", [_, _]) => Incoming::Exit,
        _ => return Err(WireError::Unexpected(short(msg))),
    })
}

/// `{Vsn, Tag}` of an init_connect, as OTP 25 reads it: versions above 8 are
/// treated as 8, and longer tuples from future versions start with the same two.
/// Returns (version to use, his version, his tag).
pub(super) fn init_connect_vsn(vsn: &Term) -> Option<(i64, i64, Term)> {
    match term::as_tuple(vsn) {
        Some([v, tag]) => {
            let his = term::as_int(v)?;
            Some((his.min(VSN), his, tag.clone()))
        }
        Some([v, tag, ..]) => {
            let his = term::as_int(v)?;
            Some((VSN, his, tag.clone()))
        }
        _ => None,
    }
}

/// `{locker, NoLongerAPid, HisKnown, HisTheLocker}` -> the locker's pid.
pub(super) fn init_msg_locker(init_msg: &Term) -> Option<Pid> {
    match term::as_tuple(init_msg) {
        Some([tag, _, _, locker]) if term::is_atom(tag, "locker") => term::as_pid(locker).cloned(),
        _ => None,
    }
}

/// `extra_info(lock, ExtraInfo)`: the `{lock, LockId}` entry's LockId.
pub(super) fn extra_lock(extra_info: &Term) -> Option<Term> {
    term::as_list(extra_info)?
        .into_iter()
        .find_map(|e| match term::as_tuple(&e) {
            Some([k, v]) if term::is_atom(k, "lock") => Some(v.clone()),
            _ => None,
        })
}

// ---- building -------------------------------------------------------------

pub(super) fn gen_cast(msg: Term) -> Term {
    term::tuple(vec![term::atom("$gen_cast"), msg])
}

pub(super) fn gen_call(from: Term, req: Term) -> Term {
    term::tuple(vec![term::atom("$gen_call"), from, req])
}

pub(super) fn reg_entry_term(e: &RegEntry) -> Term {
    term::tuple(vec![e.name.clone(), term::pid(&e.pid), e.method.clone()])
}

pub(super) fn op_term(op: &Op) -> Term {
    match op {
        Op::Insert(e) => term::tuple(vec![term::atom("insert"), reg_entry_term(e)]),
        Op::Delete(n) => term::tuple(vec![term::atom("delete"), n.clone()]),
    }
}

pub(super) fn ops_term(ops: &[Op]) -> Term {
    term::list(ops.iter().map(op_term).collect())
}

pub(super) fn ext_term(e: &ExtEntry) -> Term {
    term::tuple(vec![
        e.name.clone(),
        term::pid(&e.pid),
        term::atom(&e.reg_node),
    ])
}

pub(super) fn known_term(k: &KnownNode) -> Term {
    match k.vsn {
        Some(v) => term::tuple(vec![term::atom(&k.node), term::int(v)]),
        None => term::atom(&k.node),
    }
}

/// `{init_connect, {8, MyTag}, Node, {locker, no_longer_a_pid, Known, TheLocker}}`.
pub(super) fn init_connect(my_tag: &Term, me: &str, known: Term, locker: &Pid) -> Term {
    gen_cast(term::tuple(vec![
        term::atom("init_connect"),
        term::tuple(vec![term::int(VSN), my_tag.clone()]),
        term::atom(me),
        term::tuple(vec![
            term::atom("locker"),
            term::atom("no_longer_a_pid"),
            known,
            term::pid(locker),
        ]),
    ]))
}

pub(super) fn init_connect_ack(me: &str, his_tag: &Term, my_tag: &Term) -> Term {
    term::tuple(vec![
        term::atom("init_connect_ack"),
        term::atom(me),
        his_tag.clone(),
        my_tag.clone(),
    ])
}

pub(super) fn cancel_connect(me: &str, his_tag: &Term) -> Term {
    term::tuple(vec![
        term::atom("cancel_connect"),
        term::atom(me),
        his_tag.clone(),
    ])
}

/// `{lock_set, Locker, IsSet, Known[, HisTag]}` (the tag from version 8 on).
pub(super) fn lock_set(locker: &Pid, set: bool, known: &[String], his_tag: Option<&Term>) -> Term {
    let mut v = vec![
        term::atom("lock_set"),
        term::pid(locker),
        term::atom(if set { "true" } else { "false" }),
        term::list(known.iter().map(|n| term::atom(n)).collect()),
    ];
    if let Some(t) = his_tag {
        v.push(t.clone());
    }
    term::tuple(v)
}

pub(super) fn exchange(me: &str, names: &[RegEntry], his_tag: &Term) -> Term {
    gen_cast(term::tuple(vec![
        term::atom("exchange"),
        term::atom(me),
        term::list(names.iter().map(reg_entry_term).collect()),
        term::nil(),
        his_tag.clone(),
    ]))
}

pub(super) fn resolved(
    me: &str,
    resolved: &[Op],
    known: Term,
    names_ext: &[ExtEntry],
    his_tag: &Term,
) -> Term {
    gen_cast(term::tuple(vec![
        term::atom("resolved"),
        term::atom(me),
        ops_term(resolved),
        known,
        term::atom("unused"),
        term::list(names_ext.iter().map(ext_term).collect()),
        his_tag.clone(),
    ]))
}

pub(super) fn new_nodes(
    me: &str,
    ops: &[Op],
    names_ext: &[ExtEntry],
    nodes: Term,
    extra_info: Term,
) -> Term {
    gen_cast(term::tuple(vec![
        term::atom("new_nodes"),
        term::atom(me),
        ops_term(ops),
        term::list(names_ext.iter().map(ext_term).collect()),
        nodes,
        extra_info,
    ]))
}

pub(super) fn in_sync(me: &str) -> Term {
    gen_cast(term::tuple(vec![
        term::atom("in_sync"),
        term::atom(me),
        term::atom("true"),
    ]))
}

pub(super) fn extra_info(vsn: Option<i64>, lock: Option<&Term>) -> Term {
    term::list(vec![
        term::tuple(vec![
            term::atom("vsn"),
            vsn.map_or_else(|| term::atom("undefined"), term::int),
        ]),
        term::tuple(vec![
            term::atom("lock"),
            lock.cloned().unwrap_or_else(|| term::atom("undefined")),
        ]),
    ])
}

#[cfg(test)]
#[path = "wire_tests.rs"]
mod tests;
