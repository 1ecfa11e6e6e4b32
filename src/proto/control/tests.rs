//! Control-message decoding and encoding, driven by frames captured from real OTP 25 nodes.

use super::vectors::*;
use super::*;
use crate::term;

fn hex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

fn decode(v: &str) -> DistMessage {
    decode_frame(&hex(v)).unwrap_or_else(|e| panic!("{v}: {e}"))
}

#[test]
fn ping_sequence_from_otp() {
    let m = decode(MONITOR_P_NET_KERNEL);
    let Control::MonitorP { to, .. } = m.control else {
        panic!("{m:?}")
    };
    assert_eq!(to, PidOrName::Name(Atom::from("net_kernel")));
    let m = decode(REG_SEND_IS_AUTH);
    let Control::RegSend { to, .. } = &m.control else {
        panic!("{m:?}")
    };
    assert_eq!(to.name, "net_kernel");
    // {'$gen_call', {Pid, [alias | Ref]}, {is_auth, Node}}
    let payload = m.payload.unwrap();
    let t = term::as_tuple(&payload).unwrap();
    assert!(term::is_atom(&t[0], "$gen_call"));
    let from = term::as_tuple(&t[1]).unwrap();
    assert!(matches!(from[1], Term::ImproperList(_)));
}

#[test]
fn nodeup_greetings_from_otp() {
    let m = decode(REG_SEND_REX_FEATURES);
    assert!(matches!(&m.control, Control::RegSend { to, .. } if to.name == "rex"));
    let m = decode(REG_SEND_GLOBAL_INIT_CONNECT);
    assert!(matches!(&m.control, Control::RegSend { to, .. } if to.name == "global_name_server"));
    // global's init_connect carries a map with a tuple key.
    assert!(format!("{:?}", m.payload).contains("Map"));
}

#[test]
fn monitors_links_and_exits_from_otp() {
    assert!(matches!(
        decode(MONITOR_P_PID).control,
        Control::MonitorP {
            to: PidOrName::Pid(_),
            ..
        }
    ));
    assert!(matches!(
        decode(DEMONITOR_P).control,
        Control::DemonitorP { .. }
    ));
    assert!(matches!(
        decode(MONITOR_P_NAME).control,
        Control::MonitorP { to: PidOrName::Name(ref a), .. } if a.name == "nope"
    ));
    assert!(matches!(decode(LINK).control, Control::Link { .. }));
    assert!(matches!(
        decode(UNLINK_ID).control,
        Control::UnlinkId { .. }
    ));
    let m = decode(PAYLOAD_EXIT2);
    let Control::Exit2 { reason, .. } = m.control else {
        panic!("{m:?}")
    };
    assert_eq!(reason, term::atom("normal"));
    assert!(m.payload.is_none(), "the reason is folded into the control");
    let m = decode(SEND_SENDER_MAP);
    assert!(matches!(m.control, Control::SendSender { .. }));
    assert!(m.payload.is_some());
}

#[test]
fn spawn_requests_from_otp() {
    let m = decode(SPAWN_REQUEST_ERPC);
    let Control::SpawnRequest {
        module,
        function,
        arity,
        options,
        ..
    } = m.control
    else {
        panic!("{m:?}")
    };
    assert_eq!(
        (module.name.as_str(), function.name.as_str(), arity),
        ("erpc", "execute_call", 4)
    );
    assert!(format!("{options}").contains("monitor"));
    assert_eq!(term::as_list(&m.payload.unwrap()).unwrap().len(), 4);

    let m = decode(SPAWN_REQUEST_IO_PUTS);
    let Control::SpawnRequest {
        module,
        function,
        arity,
        ..
    } = m.control
    else {
        panic!()
    };
    assert_eq!(
        (module.name.as_str(), function.name.as_str(), arity),
        ("Elixir.IO", "puts", 1)
    );
    for (v, opt) in [
        (SPAWN_REQUEST_LINK, "link"),
        (SPAWN_REQUEST_MONITOR, "monitor"),
    ] {
        let Control::SpawnRequest { options, .. } = decode(v).control else {
            panic!()
        };
        assert!(format!("{options}").contains(opt), "{options}");
    }
    // A shell fun: erlang:apply/2 with [Fun, []].
    let m = decode(SPAWN_REQUEST_SHELL_FUN);
    let Control::SpawnRequest {
        module, function, ..
    } = m.control
    else {
        panic!()
    };
    assert_eq!(
        (module.name.as_str(), function.name.as_str()),
        ("erlang", "apply")
    );
    let args = term::as_list(&m.payload.unwrap()).unwrap();
    assert!(matches!(args[0], Term::InternalFun(_)));
}

#[test]
fn what_we_encode_decodes_to_the_same_message() {
    for v in [
        MONITOR_P_NET_KERNEL,
        REG_SEND_IS_AUTH,
        SPAWN_REQUEST_ERPC,
        MONITOR_P_NAME,
        LINK,
        UNLINK_ID,
        PAYLOAD_EXIT2,
        SEND_SENDER_MAP,
        SPAWN_REQUEST_SHELL_FUN,
    ] {
        let m = decode(v);
        let mut out = Vec::new();
        encode_frame(&m.control, m.payload.as_ref(), &mut out).unwrap();
        let len = u32::from_be_bytes([out[0], out[1], out[2], out[3]]) as usize;
        assert_eq!(len, out.len() - 4);
        assert_eq!(decode_frame(&out[4..]).unwrap(), m);
    }
}

#[test]
fn hostile_frames_are_errors() {
    for v in [
        REG_SEND_IS_AUTH,
        SPAWN_REQUEST_SHELL_FUN,
        SEND_SENDER_MAP,
        LINK,
    ] {
        let bytes = hex(v);
        for cut in 0..bytes.len() {
            assert!(decode_frame(&bytes[..cut]).is_err(), "cut at {cut}");
        }
        let mut extra = bytes.clone();
        extra.push(0);
        assert!(decode_frame(&extra).is_err());
    }
    assert!(matches!(
        decode_frame(&[131, 68, 0]),
        Err(ControlError::NotPassThrough(131))
    ));
    assert!(decode_frame(&[112, 131, 82, 0]).is_err());
    // A control that is not a tuple, and a SEND without its message.
    assert!(decode_frame(&[112, 131, 97, 1]).is_err());
    assert!(decode_frame(&[112, 131, 104, 3, 97, 2, 100, 0, 0, 97, 1]).is_err());
}

/// The control tuples written field by field are byte for byte what encoding
/// the tuple term gives (pids and refs from frames captured from OTP 25).
#[test]
fn direct_control_encoding_matches_the_tuple_encoding() {
    let link = decode(LINK);
    let Control::Link { from, to } = link.control else {
        panic!("{link:?}")
    };
    let Control::MonitorP { reference, .. } = decode(MONITOR_P_PID).control else {
        panic!("no monitor")
    };
    let name = Atom::from("net_kernel");
    for control in [
        Control::Send { to: to.clone() },
        Control::RegSend {
            from: from.clone(),
            to: name.clone(),
        },
        Control::SendSender {
            from: from.clone(),
            to: to.clone(),
        },
        Control::Link {
            from: from.clone(),
            to: to.clone(),
        },
        Control::Unlink {
            from: from.clone(),
            to: to.clone(),
        },
        Control::GroupLeader {
            from: from.clone(),
            to: to.clone(),
        },
        Control::MonitorP {
            from: from.clone(),
            to: PidOrName::Name(name.clone()),
            reference: reference.clone(),
        },
        Control::DemonitorP {
            from: from.clone(),
            to: PidOrName::Pid(to.clone()),
            reference: reference.clone(),
        },
        Control::AliasSend {
            from: from.clone(),
            alias: reference.clone(),
        },
    ] {
        let mut direct = Vec::new();
        encode_frame(&control, Some(&term::int(7)), &mut direct).unwrap();
        let mut expected = vec![0, 0, 0, 0, 112];
        etf::encode(&control.to_term().0, &mut expected).unwrap();
        etf::encode(&term::int(7), &mut expected).unwrap();
        let len = (expected.len() - 4) as u32;
        expected[..4].copy_from_slice(&len.to_be_bytes());
        assert_eq!(direct, expected, "{control:?}");
    }
}

/// Control tuples read field by field give what the general path gives, on
/// every captured frame, on every cut of one, and on every one-byte change.
#[test]
fn direct_control_decoding_agrees_with_the_general_path() {
    for v in [
        SPAWN_REQUEST_ERPC,
        REG_SEND_REX_FEATURES,
        REG_SEND_GLOBAL_INIT_CONNECT,
        MONITOR_P_PID,
        DEMONITOR_P,
        MONITOR_P_NAME,
        LINK,
        UNLINK_ID,
        PAYLOAD_EXIT2,
        SEND_SENDER_MAP,
        MONITOR_P_NET_KERNEL,
        REG_SEND_IS_AUTH,
    ] {
        let bytes = hex(v);
        let same = |b: &[u8]| {
            let direct = decode_frame_with(b, true);
            let general = decode_frame_with(b, false);
            match (&direct, &general) {
                (Ok(d), Ok(g)) => assert_eq!(d, g, "{v}"),
                (Err(_), Err(_)) => {}
                _ => panic!("{v}: direct {direct:?} vs general {general:?}"),
            }
            // Leaving the payload unbuilt finds the same messages and the same errors.
            let deferred = decode_frame_deferred(b).and_then(built);
            match (&deferred, &general) {
                (Ok(d), Ok(g)) => assert_eq!(d, g, "{v}"),
                (Err(_), Err(_)) => {}
                _ => panic!("{v}: deferred {deferred:?} vs general {general:?}"),
            }
        };
        same(&bytes);
        for cut in 0..bytes.len() {
            same(&bytes[..cut]);
        }
        for i in 1..bytes.len().min(120) {
            for delta in [1u8, 0x80, 0xff] {
                let mut changed = bytes.clone();
                changed[i] = changed[i].wrapping_add(delta);
                same(&changed);
            }
        }
    }
}

/// A deferred message with its payload built, as the receiving process builds it.
fn built(m: CheckedMessage) -> Result<DistMessage, ControlError> {
    let payload = match m.payload {
        Some(Payload::Checked(c)) => Some(c.build()?),
        Some(Payload::Term(t)) => Some(t),
        None => None,
    };
    Ok(DistMessage {
        control: m.control,
        payload,
    })
}

#[test]
fn plain_sends_keep_a_checked_payload_and_the_rest_are_built() {
    for (v, deferred) in [
        (REG_SEND_IS_AUTH, true),
        (SEND_SENDER_MAP, true),
        (SPAWN_REQUEST_SHELL_FUN, false),
        (PAYLOAD_EXIT2, false),
        (LINK, false),
    ] {
        let bytes = hex(v);
        let m = decode_frame_deferred(&bytes).unwrap();
        assert_eq!(
            matches!(m.payload, Some(Payload::Checked(_))),
            deferred,
            "{v}"
        );
        assert_eq!(built(m).unwrap(), decode(v), "{v}");
    }
    // A payload over DEFER_MAX (a big binary, where building is one copy) is built at once.
    let big = Term::from(eetf::Binary::from(vec![7u8; DEFER_MAX + 1]));
    let ctl = Control::Send {
        to: match decode(SEND_SENDER_MAP).control {
            Control::SendSender { to, .. } => to,
            other => panic!("{other:?}"),
        },
    };
    let mut out = Vec::new();
    encode_frame(&ctl, Some(&big), &mut out).unwrap();
    let m = decode_frame_deferred(&out[4..]).unwrap();
    assert_eq!(m.payload, Some(Payload::Term(big)));
    // So is one under DEFER_MIN (a number costs less to build than to copy).
    let mut out = Vec::new();
    encode_frame(&ctl, Some(&term::int(7)), &mut out).unwrap();
    let m = decode_frame_deferred(&out[4..]).unwrap();
    assert_eq!(m.payload, Some(Payload::Term(term::int(7))));
}

#[test]
fn a_duplicate_key_map_is_found_when_the_payload_is_built() {
    let mut frame = hex(SEND_SENDER_MAP);
    // Replace the payload with #{1 => 2, 1 => 3, <<"paddings">> => 0}, which OTP
    // refuses as well (long enough to be kept unbuilt).
    let control_len = etf::term_len(&frame[1..]).unwrap();
    frame.truncate(1 + control_len);
    frame.extend_from_slice(&[
        131, 116, 0, 0, 0, 3, 97, 1, 97, 2, 97, 1, 97, 3, 109, 0, 0, 0, 8, b'p', b'a', b'd', b'd',
        b'i', b'n', b'g', b's', 97, 0,
    ]);
    assert!(decode_frame(&frame).is_err());
    let m = decode_frame_deferred(&frame).unwrap();
    match m.payload {
        Some(Payload::Checked(c)) => assert!(matches!(
            c.build(),
            Err(EtfError::DuplicateMapKeys {
                declared: 3,
                distinct: 2
            })
        )),
        other => panic!("{other:?}"),
    }
}

#[test]
fn altact_sig_send_in_every_form() {
    let m = decode(ALTACT_ALIAS);
    let Control::AltactSigSend {
        flags,
        to: SigTarget::Alias(alias),
        token: None,
        ..
    } = &m.control
    else {
        panic!("{m:?}")
    };
    assert_eq!(*flags, altact::ALIAS);
    assert_eq!(alias.node.name, "vecgen25593@vm");
    assert_eq!(
        m.payload,
        Some(term::tuple(vec![
            term::atom("hello"),
            Term::ByteList(eetf::ByteList::from(vec![1u8, 2]))
        ]))
    );
    let m = decode(ALTACT_PRIO_NAME);
    assert!(
        matches!(&m.control, Control::AltactSigSend { flags, to: SigTarget::Name(n), .. }
            if *flags == altact::PRIO | altact::NAME && n.name == "some_name"),
        "{m:?}"
    );
    assert_eq!(m.payload, Some(term::atom("hi")));
    let m = decode(ALTACT_EXIT_ALIAS_TOKEN);
    assert!(
        matches!(&m.control, Control::AltactSigSend { flags, to: SigTarget::Alias(_), token: Some(_), .. }
            if *flags == altact::EXIT | altact::ALIAS | altact::TOKEN),
        "{m:?}"
    );
    assert_eq!(m.payload, Some(term::atom("because")));
    let m = decode(ALTACT_PRIO_PID);
    assert!(
        matches!(
            &m.control,
            Control::AltactSigSend {
                to: SigTarget::Pid(_),
                ..
            }
        ),
        "{m:?}"
    );
    // What we send reads back the same, and the control tuple is OTP's own bytes.
    for v in [
        ALTACT_ALIAS,
        ALTACT_PRIO_NAME,
        ALTACT_EXIT_ALIAS_TOKEN,
        ALTACT_PRIO_PID,
    ] {
        let m = decode(v);
        let mut out = Vec::new();
        encode_frame(&m.control, m.payload.as_ref(), &mut out).unwrap();
        assert_eq!(decode_frame(&out[4..]).unwrap(), m, "{v}");
    }
    // A bad arity or target is an error, not a panic.
    let bad = hex(&ALTACT_PRIO_PID.replace("8368046125", "8368036125"));
    assert!(decode_frame(&bad).is_err());
}
