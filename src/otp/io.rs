//! Group-leader I/O as a client: io_request/io_reply, and the IO built-ins (IO.puts/write/inspect, :io.format) that use it.

use super::rpc::{CallContext, Exception};
use crate::node::Node;
use crate::term;
use crate::term::print::{InspectOpts, inspect_with};
use eetf::{Pid, Term};
use std::io::Write;

/// Where output goes.
#[derive(Debug, Clone)]
pub enum Device {
    /// This node's own stdout (no group leader, or a local standard_io).
    LocalStdout,
    LocalStderr,
    /// An I/O server process (a group leader, or any pid speaking the I/O protocol).
    Server(Pid),
}

/// Resolves a device argument (`:stdio`, `:stderr`, a pid, a registered name) for `ctx`.
pub fn device(ctx: &CallContext, dev: &Term) -> Result<Device, Exception> {
    match dev {
        Term::Pid(p) => Ok(Device::Server(p.clone())),
        Term::Atom(a) => match a.name.as_str() {
            "stdio" | "standard_io" => Ok(match &ctx.group_leader {
                Some(gl) => Device::Server(gl.clone()),
                None => Device::LocalStdout,
            }),
            "stderr" | "standard_error" => Ok(Device::LocalStderr),
            name => ctx
                .node
                .whereis(name)
                .map(Device::Server)
                .ok_or_else(|| Exception::error(term::atom("terminated"))),
        },
        _ => Err(Exception::badarg()),
    }
}

/// The caller's standard output.
pub fn stdio(ctx: &CallContext) -> Device {
    match &ctx.group_leader {
        Some(gl) => Device::Server(gl.clone()),
        None => Device::LocalStdout,
    }
}

/// Sends one I/O request to `server` and waits for its reply (or for the
/// server to die). The request is sent from a short-lived process of ours.
pub async fn request(node: &Node, server: &Pid, req: Term) -> Result<Term, Exception> {
    let mut me = node.process();
    let reply_as = term::reference(&node.make_ref());
    let mon = me.monitor(server);
    let mon_t = term::reference(&mon);
    me.send(
        server,
        term::tuple(vec![
            term::atom("io_request"),
            term::pid(me.pid()),
            reply_as.clone(),
            req,
        ]),
    );
    let msg = me
        .receive_match(|m| match term::as_tuple(m) {
            Some([tag, r, _]) => term::is_atom(tag, "io_reply") && *r == reply_as,
            Some([tag, r, ..]) => term::is_atom(tag, "DOWN") && *r == mon_t,
            _ => false,
        })
        .await
        .map_err(|_| Exception::error(term::atom("terminated")))?;
    me.demonitor(&mon);
    match term::as_tuple(&msg) {
        Some([_, _, reply]) => Ok(reply.clone()),
        _ => Err(Exception::error(term::atom("terminated"))),
    }
}

/// Writes UTF-8 text to a device; `{error, Reason}` replies become errors.
pub async fn put_chars(node: &Node, dev: &Device, text: &[u8]) -> Result<(), Exception> {
    match dev {
        Device::LocalStdout => {
            let mut out = std::io::stdout().lock();
            let _ = out.write_all(text);
            let _ = out.flush();
            Ok(())
        }
        Device::LocalStderr => {
            let _ = std::io::stderr().write_all(text);
            Ok(())
        }
        Device::Server(pid) => {
            let req = term::tuple(vec![
                term::atom("put_chars"),
                term::atom("unicode"),
                term::binary(text.to_vec()),
            ]);
            check_reply(request(node, pid, req).await?)
        }
    }
}

fn check_reply(reply: Term) -> Result<(), Exception> {
    match term::as_tuple(&reply) {
        Some([tag, reason]) if term::is_atom(tag, "error") => Err(Exception::error(reason.clone())),
        _ => Ok(()),
    }
}

/// Appends chardata (binaries, nested lists of code points and binaries) as UTF-8.
pub fn chardata(t: &Term, out: &mut Vec<u8>) -> Result<(), Exception> {
    match t {
        Term::Binary(b) => out.extend_from_slice(&b.bytes),
        Term::ByteList(b) => {
            for &c in &b.bytes {
                let mut buf = [0u8; 4];
                out.extend_from_slice(char::from(c).encode_utf8(&mut buf).as_bytes());
            }
        }
        Term::List(l) => {
            for e in &l.elements {
                chardata(e, out)?;
            }
        }
        Term::ImproperList(l) => {
            for e in &l.elements {
                chardata(e, out)?;
            }
            chardata(&l.last, out)?;
        }
        Term::FixInteger(i) => {
            let c = u32::try_from(i.value)
                .ok()
                .and_then(char::from_u32)
                .ok_or_else(Exception::badarg)?;
            let mut buf = [0u8; 4];
            out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
        }
        _ => return Err(Exception::badarg()),
    }
    Ok(())
}

/// `String.Chars.to_string/1` for the types that implement it by default.
pub fn to_string(t: &Term) -> Result<Vec<u8>, Exception> {
    let mut out = Vec::new();
    match t {
        Term::Atom(a) if a.name == "nil" => {}
        Term::Atom(a) => out.extend_from_slice(a.name.as_bytes()),
        Term::FixInteger(i) => out.extend_from_slice(i.value.to_string().as_bytes()),
        Term::BigInteger(b) => out.extend_from_slice(b.value.to_string().as_bytes()),
        Term::Float(f) => {
            out.extend_from_slice(crate::term::print::format_float(f.value).as_bytes())
        }
        other => chardata(other, &mut out).map_err(|_| {
            Exception::error(term::tuple(vec![
                term::atom("protocol_undefined"),
                term::atom("Elixir.String.Chars"),
            ]))
        })?,
    }
    Ok(out)
}

fn inspect_opts(ctx: &CallContext, opts: Option<&Term>) -> (InspectOpts, Option<Vec<u8>>) {
    let mut o = InspectOpts {
        local_node: Some(ctx.node.name().to_owned()),
        ..InspectOpts::default()
    };
    let mut label = None;
    if let Some(list) = opts.and_then(term::as_list) {
        for kv in list {
            if let Some([k, v]) = term::as_tuple(&kv) {
                match term::as_atom(k) {
                    Some("label") => label = to_string(v).ok(),
                    Some("limit") => {
                        if let Some(n) = term::as_int(v) {
                            o.limit = usize::try_from(n).unwrap_or(usize::MAX);
                        } else if term::is_atom(v, "infinity") {
                            o.limit = usize::MAX;
                        }
                    }
                    _ => {}
                }
            }
        }
    }
    (o, label)
}

/// Formats `IO.inspect`'s output line for `item`.
pub fn inspect_line(ctx: &CallContext, item: &Term, opts: Option<&Term>) -> Vec<u8> {
    let (o, label) = inspect_opts(ctx, opts);
    let mut line = Vec::new();
    if let Some(l) = label {
        line.extend_from_slice(&l);
        line.extend_from_slice(b": ");
    }
    line.extend_from_slice(inspect_with(item, &o).as_bytes());
    line.push(b'\n');
    line
}

/// Registers the IO built-ins.
pub(crate) fn register_builtins(node: &Node) {
    for (f, newline) in [("puts", true), ("write", false)] {
        node.register_fn("Elixir.IO", f, 1, move |ctx, a| async move {
            let mut text = to_string(&a[0])?;
            if newline {
                text.push(b'\n');
            }
            put_chars(&ctx.node, &stdio(&ctx), &text).await?;
            Ok(term::atom("ok"))
        });
        node.register_fn("Elixir.IO", f, 2, move |ctx, a| async move {
            let dev = device(&ctx, &a[0])?;
            let mut text = to_string(&a[1])?;
            if newline {
                text.push(b'\n');
            }
            put_chars(&ctx.node, &dev, &text).await?;
            Ok(term::atom("ok"))
        });
    }
    node.register_fn("Elixir.IO", "inspect", 1, |ctx, a| async move {
        let line = inspect_line(&ctx, &a[0], None);
        put_chars(&ctx.node, &stdio(&ctx), &line).await?;
        Ok(a[0].clone())
    });
    node.register_fn("Elixir.IO", "inspect", 2, |ctx, a| async move {
        let line = inspect_line(&ctx, &a[0], Some(&a[1]));
        put_chars(&ctx.node, &stdio(&ctx), &line).await?;
        Ok(a[0].clone())
    });
    node.register_fn("Elixir.IO", "inspect", 3, |ctx, a| async move {
        let dev = device(&ctx, &a[0])?;
        let line = inspect_line(&ctx, &a[1], Some(&a[2]));
        put_chars(&ctx.node, &dev, &line).await?;
        Ok(a[1].clone())
    });
    // :io.format lets the group leader format: {put_chars, unicode, io_lib, format, [F, A]}.
    node.register_fn("io", "format", 1, |ctx, a| async move {
        format(&ctx, stdio(&ctx), a[0].clone(), term::nil()).await
    });
    node.register_fn("io", "format", 2, |ctx, a| async move {
        format(&ctx, stdio(&ctx), a[0].clone(), a[1].clone()).await
    });
    node.register_fn("io", "format", 3, |ctx, a| async move {
        let dev = device(&ctx, &a[0])?;
        format(&ctx, dev, a[1].clone(), a[2].clone()).await
    });
    node.register_fn("io", "put_chars", 1, |ctx, a| async move {
        let mut text = Vec::new();
        chardata(&a[0], &mut text)?;
        put_chars(&ctx.node, &stdio(&ctx), &text).await?;
        Ok(term::atom("ok"))
    });
}

async fn format(ctx: &CallContext, dev: Device, fmt: Term, args: Term) -> Result<Term, Exception> {
    match dev {
        Device::Server(pid) => {
            let req = term::tuple(vec![
                term::atom("put_chars"),
                term::atom("unicode"),
                term::atom("io_lib"),
                term::atom("format"),
                term::list(vec![fmt, args]),
            ]);
            check_reply(request(&ctx.node, &pid, req).await?)?;
            Ok(term::atom("ok"))
        }
        local => {
            let text = super::io_format::format_with(
                &fmt,
                &args,
                &super::io_format::PrintOpts::local(ctx.node.name()),
            )?;
            put_chars(&ctx.node, &local, &text).await?;
            Ok(term::atom("ok"))
        }
    }
}

/// How long a crash report waits for the group leader's I/O reply.
const CRASH_REPORT_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);

/// Prints a process's crash report where BEAM would: at its group leader (the
/// spawner's shell for a remote spawn), else on our stderr.
pub(crate) async fn error_report(
    node: &Node,
    group_leader: Option<&Pid>,
    pid: &Pid,
    reason: &Term,
) {
    let text = super::crash_report::report(node, group_leader, pid, reason).await;
    let dev = match group_leader {
        Some(gl) => Device::Server(gl.clone()),
        None => Device::LocalStderr,
    };
    // A group leader chosen by a peer may never answer (any pid can be named): the
    // process that reports waits so long, then ends and the report goes to stderr.
    let sent = tokio::time::timeout(CRASH_REPORT_TIMEOUT, put_chars(node, &dev, text.as_bytes()));
    if !matches!(sent.await, Ok(Ok(()))) {
        let _ = std::io::stderr().write_all(text.as_bytes());
    }
}
