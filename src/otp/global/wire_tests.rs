//! Vectors: messages OTP 25.2.3 nodes exchanged, captured by tracing
//! `global_name_server` on ga@vm ('receive' and 'send' trace flags) while it
//! synced with gb@vm and gc@vm, each printed as term_to_binary/1 in hex
//! (/tmp capture script cap.erl: erlang:trace(whereis(global_name_server), true,
//! ['receive', send, {tracer, T}])). The init_connect frame is a whole frame
//! body our node received from OTP 25 (REG_SEND_GLOBAL_INIT_CONNECT in
//! proto/control/vectors.rs, logged by RUST_LOG=erlnode::node::connection=trace).

use super::*;
use crate::proto::control::{Control, decode_frame};
use crate::proto::etf;

fn hex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

fn term(s: &str) -> Term {
    etf::decode_exact(&hex(s)).unwrap()
}

/// A REG_SEND frame: capx@vm's global_name_server casting init_connect to cap@vm.
const INIT_CONNECT_FRAME: &str = "7083680461065877076361707840766d00000037000000006b02f50877007712676c6f62616c5f6e616d655f73657276657283680277092467656e5f636173746804770c696e69745f636f6e6e656374680261086e0801feffffffffffff0777076361707840766d680477066c6f636b6572770f6e6f5f6c6f6e6765725f615f70696474000000016802770d636f6e6e656374696f6e5f6964770663617040766d6200b625125877076361707840766d00000038000000006b02f508";
/// gb@vm's locker asking ga@vm, through gen_server:multi_call, to set
/// {global, [<ga.56.0>, <gb.56.0>]}.
const SET_LOCK_MULTI_CALL: &str = "8368036400092467656e5f63616c6c680258640005676240766d00000038000000006b02f63e68025a0003640005676240766d6b02f63e00002f1f7af00002910fc04b640005676140766d68026400087365745f6c6f636b6802640006676c6f62616c6c0000000258640005676140766d00000038000000006b02f63f58640005676240766d00000038000000006b02f63e6a";
/// {'$gen_cast',{lock_set,<gb.56.0>,true,[],Tag}}
const LOCK_SET: &str = "8368026400092467656e5f6361737468056400086c6f636b5f73657458640005676240766d00000038000000006b02f63e640004747275656a6e0801feffffffffffff07";
/// {'$gen_cast',{exchange,gc@vm,[{clash,<gc.85.0>,#Fun<global.0.112854349>}],[],Tag}}
const EXCHANGE: &str = "8368026400092467656e5f63617374680564000865786368616e6765640005676340766d6c000000016803640005636c61736858640005676340766d00000055000000006b02f682700000004203d740a9b2a5f306392d0d7682478c40220000000000000000640006676c6f62616c61006206ba054d58640005676340766d00000009000000006b02f6826a6a6e0801fcffffffffffff07";
/// {'$gen_cast',{resolved,ga@vm,[{insert,{clash,<0.85.0>,Fun}}],[{gb@vm,8}],unused,[],Tag}}
const RESOLVED: &str = "8368026400092467656e5f6361737468076400087265736f6c766564640005676140766d6c000000016802640006696e736572746803640005636c61736858640005676140766d00000055000000006b02f640700000004203d740a9b2a5f306392d0d7682478c40220000000000000000640006676c6f62616c61006206ba054d58640005676140766d00000009000000006b02f6406a6c000000016802640005676240766d61086a640006756e757365646a6e08010000000000000008";
/// {'$gen_cast',{new_nodes,ga@vm,[],[],[{gc@vm,8}],[{vsn,8},{lock,{global,[<ga.56.0>,<gc.56.0>]}}]}}
const NEW_NODES: &str = "8368026400092467656e5f6361737468066400096e65775f6e6f646573640005676140766d6a6a6c000000016802640005676340766d61086a6c00000002680264000376736e610868026400046c6f636b6802640006676c6f62616c6c0000000258640005676140766d00000038000000006b02f64058640005676340766d00000038000000006b02f6826a6a";
/// {init_connect_ack,gb@vm,-576460752303423486,-576460752303423488}
const INIT_CONNECT_ACK: &str = "836804640010696e69745f636f6e6e6563745f61636b640005676240766d6e0801feffffffffffff076e08010000000000000008";
/// The registrar's {register,foo,Pid,#Fun<global.0.112854349>} multi_call.
const REGISTER_CALL: &str = "8368036400092467656e5f63616c6c680258640005676140766d00000039000000006b02f63f68025a0003640005676140766d6b02f63f000050d18af00002e20541ee640005676140766d68046400087265676973746572640003666f6f58640005676140766d0000005d000000006b02f63f700000004203d740a9b2a5f306392d0d7682478c40220000000000000000640006676c6f62616c61006206ba054d58640005676140766d00000009000000006b02f63f";
/// The reply gb@vm's global_name_server got to its multi_call: {{Ref, ga@vm}, true}.
const MULTI_CALL_REPLY: &str = "83680268025a0003640005676240766d6b02f63e00002f277af00002910fc04b640005676140766d64000474727565";

#[test]
fn init_connect_from_the_wire() {
    let msg = decode_frame(&hex(INIT_CONNECT_FRAME)).unwrap();
    assert!(matches!(&msg.control, Control::RegSend { to, .. } if to.name == "global_name_server"));
    let Incoming::InitConnect {
        vsn,
        node,
        init_msg,
    } = parse(&msg.payload.unwrap()).unwrap()
    else {
        panic!("not init_connect")
    };
    assert_eq!(node, "capx@vm");
    let (v, his, tag) = init_connect_vsn(&vsn).unwrap();
    assert_eq!((v, his), (8, 8));
    assert_eq!(tag.to_string(), "-576460752303423486");
    let locker = init_msg_locker(&init_msg).unwrap();
    assert_eq!(locker.node.name, "capx@vm");
}

#[test]
fn set_lock_multi_call() {
    let Incoming::Call {
        from,
        from_pid,
        req: CallReq::SetLock(id),
    } = parse(&term(SET_LOCK_MULTI_CALL)).unwrap()
    else {
        panic!()
    };
    assert_eq!(from_pid.node.name, "gb@vm");
    // The tag of a multi_call is {Ref, Node}; the reply echoes it.
    let tag = &term::as_tuple(&from).unwrap()[1];
    assert_eq!(term::as_tuple(tag).unwrap().len(), 2);
    assert!(term::is_atom(&id.resource, "global"));
    let pair = term::as_list(&id.requester).unwrap();
    assert_eq!(term::as_pid(&pair[0]).unwrap().node.name, "ga@vm");
    assert_eq!(term::as_pid(&pair[1]).unwrap().node.name, "gb@vm");
    // What OTP sent back has that same shape: {{Ref, ga@vm}, true}.
    let reply = term(MULTI_CALL_REPLY);
    let r = term::as_tuple(&reply).unwrap();
    assert_eq!(term::as_tuple(&r[0]).unwrap().len(), 2);
}

#[test]
fn lock_set_cast() {
    let Incoming::LockSet(ls) = parse(&term(LOCK_SET)).unwrap() else {
        panic!()
    };
    assert!(ls.set);
    assert_eq!(ls.pid.node.name, "gb@vm");
    assert!(ls.tag.is_some());
    assert_eq!(term::as_list(&ls.his_known).unwrap().len(), 0);
}

#[test]
fn exchange_with_a_name() {
    let Incoming::Exchange { node, names, .. } = parse(&term(EXCHANGE)).unwrap() else {
        panic!()
    };
    assert_eq!(node, "gc@vm");
    assert_eq!(names.len(), 1);
    assert!(term::is_atom(&names[0].name, "clash"));
    assert_eq!(names[0].pid.id, 85);
    // The default resolver arrives as a local fun of module global, arity 3.
    assert!(super::super::resolve::is_default_method(&names[0].method));
}

#[test]
fn resolved_with_ops_and_known() {
    let Incoming::Resolved {
        node,
        his_resolved,
        his_known,
        names_ext,
        ..
    } = parse(&term(RESOLVED)).unwrap()
    else {
        panic!()
    };
    assert_eq!(node, "ga@vm");
    assert!(matches!(&his_resolved[..], [Op::Insert(e)] if term::is_atom(&e.name, "clash")));
    assert_eq!(
        his_known,
        vec![KnownNode {
            node: "gb@vm".into(),
            vsn: Some(8)
        }]
    );
    assert!(names_ext.is_empty());
}

#[test]
fn new_nodes_with_lock_info() {
    let Incoming::NewNodes {
        node,
        ops,
        nodes,
        extra_info,
        ..
    } = parse(&term(NEW_NODES)).unwrap()
    else {
        panic!()
    };
    assert_eq!(node, "ga@vm");
    assert!(ops.is_empty());
    assert_eq!(nodes[0].node, "gc@vm");
    let lock = extra_lock(&extra_info).unwrap();
    let t = term::as_tuple(&lock).unwrap();
    assert!(term::is_atom(&t[0], "global"));
}

#[test]
fn init_connect_ack_plain_message() {
    let Incoming::InitConnectAck {
        node,
        his_my_tag,
        his_his_tag,
    } = parse(&term(INIT_CONNECT_ACK)).unwrap()
    else {
        panic!()
    };
    assert_eq!(node, "gb@vm");
    assert_ne!(his_my_tag, his_his_tag);
}

#[test]
fn register_call_keeps_the_method() {
    let Incoming::Call {
        req: CallReq::Register(e),
        ..
    } = parse(&term(REGISTER_CALL)).unwrap()
    else {
        panic!()
    };
    assert!(term::is_atom(&e.name, "foo"));
    // The method travels back out unchanged (exchange lists carry it).
    let back = etf::to_vec(&reg_entry_term(&e)).unwrap();
    assert_eq!(etf::decode_exact(&back).unwrap(), reg_entry_term(&e));
}

#[test]
fn our_messages_have_the_shapes_otp_reads() {
    let pid = Pid {
        node: eetf::Atom::from("x@vm"),
        id: 70,
        serial: 0,
        creation: 3,
    };
    let tag = term::int(5);
    let ic = init_connect(&tag, "x@vm", term::nil(), &pid);
    let Incoming::InitConnect { vsn, init_msg, .. } = parse(&ic).unwrap() else {
        panic!()
    };
    assert_eq!(init_connect_vsn(&vsn).unwrap().0, 8);
    assert_eq!(init_msg_locker(&init_msg).unwrap(), pid);
    let ls = gen_cast(lock_set(&pid, true, &["a@vm".into()], Some(&tag)));
    assert!(matches!(parse(&ls).unwrap(), Incoming::LockSet(l) if l.tag == Some(tag.clone())));
    let r = resolved(
        "x@vm",
        &[Op::Delete(term::atom("n"))],
        term::nil(),
        &[],
        &tag,
    );
    assert!(
        matches!(parse(&r).unwrap(), Incoming::Resolved { his_resolved, .. } if his_resolved.len() == 1)
    );
}

#[test]
fn hostile_shapes_are_errors_not_panics() {
    for t in [
        term::atom("x"),
        term::tuple(vec![]),
        term::tuple(vec![term::int(1)]),
        gen_cast(term::atom("x")),
        gen_cast(term::tuple(vec![term::atom("exchange"), term::int(1)])),
        gen_cast(term::tuple(vec![
            term::atom("exchange"),
            term::atom("a@b"),
            term::atom("notalist"),
            term::nil(),
            term::int(1),
        ])),
        gen_cast(term::tuple(vec![
            term::atom("lock_set"),
            term::int(1),
            term::atom("true"),
            term::nil(),
        ])),
        gen_call(term::atom("nofrom"), term::atom("get_known")),
        term::tuple(vec![
            term::atom("init_connect_ack"),
            term::int(1),
            term::int(2),
            term::int(3),
        ]),
    ] {
        assert!(parse(&t).is_err(), "{t}");
    }
    assert_eq!(init_connect_vsn(&term::atom("x")), None);
    assert_eq!(init_msg_locker(&term::nil()), None);
}

// Whole frame bodies our node (a_rust20676n0@vm) received from OTP 25
// (z_ex20676n1@vm) over the wire during the clash_resolved_here interop test,
// logged with RUST_LOG=erlnode::node::connection=trace. Tag 2 is ours, echoed.

/// REG_SEND global_name_server {'$gen_cast',{exchange,z_ex..,[{clash,Pid,#Fun<global.0..>}],[],2}}
const WIRE_EXCHANGE: &str = "70836804610658770e7a5f657832303637366e3140766d00000037000000004bcc60aa77007712676c6f62616c5f6e616d655f73657276657283680277092467656e5f636173746805770865786368616e6765770e7a5f657832303637366e3140766d6c0000000168037705636c61736858770e7a5f657832303637366e3140766d00000067000000004bcc60aa700000004903d740a9b2a5f306392d0d7682478c402200000000000000007706676c6f62616c61006206ba054d58770e7a5f657832303637366e3140766d00000066000000004bcc60aa6a6a6102";
/// {'$gen_cast',{lock_set,Locker,true,[],2}}
const WIRE_LOCK_SET: &str = "70836804610658770e7a5f657832303637366e3140766d00000038000000004bcc60aa77007712676c6f62616c5f6e616d655f73657276657283680277092467656e5f63617374680577086c6f636b5f73657458770e7a5f657832303637366e3140766d00000038000000004bcc60aa7704747275656a6102";
/// {'$gen_cast',{resolved,z_ex..,[],[],unused,[],2}}
const WIRE_RESOLVED: &str = "70836804610658770e7a5f657832303637366e3140766d00000037000000004bcc60aa77007712676c6f62616c5f6e616d655f73657276657283680277092467656e5f63617374680777087265736f6c766564770e7a5f657832303637366e3140766d6a6a7706756e757365646a6102";
/// The peer's locker, via gen_server:multi_call, setting {global,[ItsLocker,OurLocker]} here.
const WIRE_SET_LOCK: &str = "70836804610658770e7a5f657832303637366e3140766d00000038000000004bcc60aa77007712676c6f62616c5f6e616d655f73657276657283680377092467656e5f63616c6c680258770e7a5f657832303637366e3140766d00000038000000004bcc60aa68025a0003770e7a5f657832303637366e3140766d4bcc60aa0000023e5b0c000218f6733e7710615f7275737432303637366e3040766d680277087365745f6c6f636b68027706676c6f62616c6c0000000258770e7a5f657832303637366e3140766d00000038000000004bcc60aa587710615f7275737432303637366e3040766d0000004200000000619c346e6a";

fn wire(frame: &str) -> Incoming {
    let msg = decode_frame(&hex(frame)).unwrap();
    assert!(matches!(&msg.control, Control::RegSend { to, .. } if to.name == "global_name_server"));
    parse(&msg.payload.unwrap()).unwrap()
}

#[test]
fn frames_off_the_wire() {
    let Incoming::Exchange { names, tag, .. } = wire(WIRE_EXCHANGE) else {
        panic!()
    };
    assert_eq!(tag, term::int(2));
    assert!(super::super::resolve::is_default_method(&names[0].method));
    let Incoming::LockSet(ls) = wire(WIRE_LOCK_SET) else {
        panic!()
    };
    assert!(ls.set && ls.tag == Some(term::int(2)));
    assert!(
        matches!(wire(WIRE_RESOLVED), Incoming::Resolved { his_resolved, .. } if his_resolved.is_empty())
    );
    let Incoming::Call {
        req: CallReq::SetLock(id),
        from,
        ..
    } = wire(WIRE_SET_LOCK)
    else {
        panic!()
    };
    // Both lockers sort the pair the same way: ours (a_rust..) on the wire second,
    // as the pids' numbers decide before the node names (56 < 66).
    let pair = term::as_list(&id.requester).unwrap();
    let (a, b) = (
        term::as_pid(&pair[0]).unwrap(),
        term::as_pid(&pair[1]).unwrap(),
    );
    assert_eq!(super::super::order::sort_pair(b, a), [a.clone(), b.clone()]);
    assert!(term::as_tuple(&from).is_some());
}
