//! An I/O server (the Erlang I/O protocol's server side) writing to this node's stdout, or to any writer.

use super::io::chardata;
use super::io_format;
use crate::node::Node;
use crate::terms;
use eetf::{Pid, Term};
use std::io::{IsTerminal, Write};

/// Starts an I/O server on this process's stdout (input from stdin when it is a terminal).
pub fn start_stdout_server(node: &Node) -> Pid {
    start_server(
        node,
        Box::new(std::io::stdout()),
        std::io::stdin().is_terminal(),
    )
}

/// Starts an I/O server writing to `out`. With `interactive`, get_line and
/// get_chars read stdin; otherwise input is at end of file.
pub fn start_server(node: &Node, out: Box<dyn Write + Send>, interactive: bool) -> Pid {
    node.spawn(move |mut p| async move {
        let mut server = Server { out, interactive };
        while let Ok(msg) = p.receive().await {
            let Some([tag, from, reply_as, req]) = terms::as_tuple(&msg) else {
                tracing::debug!("I/O server: ignoring {msg}");
                continue;
            };
            if !terms::is_atom(tag, "io_request") {
                continue;
            }
            let Some(from) = terms::as_pid(from) else {
                continue;
            };
            let reply = server.request(req).await;
            p.send(
                from,
                terms::tuple(vec![terms::atom("io_reply"), reply_as.clone(), reply]),
            );
        }
        terms::atom("normal")
    })
}

struct Server {
    out: Box<dyn Write + Send>,
    interactive: bool,
}

fn error(reason: &str) -> Term {
    terms::tuple(vec![terms::atom("error"), terms::atom(reason)])
}

fn is_error(t: &Term) -> bool {
    matches!(terms::as_tuple(t), Some([e, _]) if terms::is_atom(e, "error"))
}

/// Latin-1 bytes (and code points below 256) as UTF-8.
fn latin1(t: &Term, out: &mut Vec<u8>) -> Result<(), ()> {
    let mut raw = Vec::new();
    match t {
        Term::Binary(b) => raw.extend_from_slice(&b.bytes),
        other => chardata(other, &mut raw).map_err(|_| ())?,
    }
    if matches!(t, Term::Binary(_)) {
        for &b in &raw {
            let mut buf = [0u8; 4];
            out.extend_from_slice(char::from(b).encode_utf8(&mut buf).as_bytes());
        }
    } else {
        out.extend_from_slice(&raw);
    }
    Ok(())
}

impl Server {
    fn write(&mut self, bytes: &[u8]) -> Term {
        match self.out.write_all(bytes).and_then(|_| self.out.flush()) {
            Ok(()) => terms::atom("ok"),
            Err(_) => error("terminated"),
        }
    }

    fn request<'a>(
        &'a mut self,
        req: &'a Term,
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = Term> + Send + 'a>> {
        Box::pin(async move {
            let Some(t) = terms::as_tuple(req) else {
                return if terms::is_atom(req, "getopts") {
                    terms::list(vec![
                        terms::tuple(vec![terms::atom("binary"), terms::atom("false")]),
                        terms::tuple(vec![terms::atom("encoding"), terms::atom("unicode")]),
                    ])
                } else {
                    error("request")
                };
            };
            match t {
                [op, enc, chars] if terms::is_atom(op, "put_chars") => {
                    let mut text = Vec::new();
                    let ok = if terms::is_atom(enc, "latin1") {
                        latin1(chars, &mut text).is_ok()
                    } else {
                        chardata(chars, &mut text).is_ok()
                    };
                    if ok {
                        self.write(&text)
                    } else {
                        error("put_chars")
                    }
                }
                // The old form without an encoding: latin1.
                [op, chars] if terms::is_atom(op, "put_chars") => {
                    let mut text = Vec::new();
                    if latin1(chars, &mut text).is_ok() {
                        self.write(&text)
                    } else {
                        error("put_chars")
                    }
                }
                [op, _enc, m, f, a] if terms::is_atom(op, "put_chars") => {
                    let args = terms::as_list(a).unwrap_or_default();
                    if terms::is_atom(m, "io_lib") && terms::is_atom(f, "format") && args.len() == 2
                    {
                        match io_format::format(&args[0], &args[1]) {
                            Ok(text) => self.write(&text),
                            Err(_) => error("format"),
                        }
                    } else {
                        error("request")
                    }
                }
                [op, reqs] if terms::is_atom(op, "requests") => {
                    let mut last = terms::atom("ok");
                    for r in terms::as_list(reqs).unwrap_or_default() {
                        last = self.request(&r).await;
                        if is_error(&last) {
                            break;
                        }
                    }
                    last
                }
                [op, _] if terms::is_atom(op, "setopts") => terms::atom("ok"),
                [op, _] if terms::is_atom(op, "get_geometry") => error("enotsup"),
                [op, _enc, prompt, ..]
                    if terms::is_atom(op, "get_line")
                        || terms::is_atom(op, "get_chars")
                        || terms::is_atom(op, "get_until") =>
                {
                    self.read_line(prompt).await
                }
                _ => error("request"),
            }
        })
    }

    async fn read_line(&mut self, prompt: &Term) -> Term {
        let mut text = Vec::new();
        if chardata(prompt, &mut text).is_ok() || latin1(prompt, &mut text).is_ok() {
            self.write(&text);
        }
        if !self.interactive {
            return terms::atom("eof");
        }
        let line = tokio::task::spawn_blocking(|| {
            let mut s = String::new();
            std::io::stdin().read_line(&mut s).map(|n| (n, s))
        })
        .await;
        match line {
            Ok(Ok((0, _))) => terms::atom("eof"),
            Ok(Ok((_, s))) => terms::list(
                s.chars()
                    .map(|c| terms::int(i64::from(u32::from(c))))
                    .collect(),
            ),
            _ => error("terminated"),
        }
    }
}
