//! Interop tests: our I/O server driven by real iex, request by request.

mod common;

use common::*;
use std::io::Write;
use std::sync::{Arc, Mutex};

#[derive(Clone, Default)]
struct Buffer(Arc<Mutex<Vec<u8>>>);

impl Write for Buffer {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn every_request_kind_from_real_iex() {
    if !have_elixir("every_request_kind_from_real_iex") {
        return;
    }
    let epmd = free_port();
    let node = lib_node(&unique("rust"), epmd).await;
    let buf = Buffer::default();
    let io = erlnode::node::services::io_server::start_server(&node, Box::new(buf.clone()), false);
    node.register("test_io", &io).unwrap();
    let me = node.name().to_owned();
    let script = format!(
        r##"
        io = :rpc.call(:"{me}", :erlang, :whereis, [:test_io])
        r = fn label, v -> IO.puts("#{{label}}=#{{inspect v}}") end
        r.("puts", IO.puts(io, "unicode: héllo ☃"))
        r.("write", IO.write(io, [?c, "hard", [?a, ?t, "a"], ?\n]))
        r.("latin1", :io.request(io, {{:put_chars, :latin1, <<104, 233, 10>>}}))
        r.("binwrite", IO.binwrite(io, "bin\n"))
        r.("format", :io.format(io, "~w|~s|~n", [[1, 2], "s"]))
        r.("requests", :io.request(io, {{:requests, [{{:put_chars, :unicode, "r1 "}}, {{:put_chars, :unicode, "r2\n"}}]}}))
        r.("getopts", :io.getopts(io))
        r.("setopts", :io.setopts(io, [encoding: :unicode]))
        r.("gets", IO.gets(io, "prompt> "))
        r.("read", IO.read(io, :line))
        r.("geometry", :io.columns(io))
        r.("unknown", :io.request(io, {{:frobnicate, 1}}))
        r.("bad_chars", :io.request(io, {{:put_chars, :unicode, [:not_chars]}}))
        "##
    );
    let mut ex = elixir("--sname", &unique("one"), COOKIE, epmd, &script);
    assert!(ex.finish(60).await, "{}", ex.output());
    let out = ex.output();
    for want in [
        "puts=:ok",
        "write=:ok",
        "latin1=:ok",
        "binwrite=:ok",
        "format=:ok",
        "requests=:ok",
        "getopts=[binary: false, encoding: :unicode]",
        "setopts=:ok",
        "gets=:eof",
        "read=:eof",
        "geometry={:error, :enotsup}",
        "unknown={:error, :request}",
        "bad_chars={:error, :put_chars}",
    ] {
        assert!(out.contains(want), "missing {want}:\n{out}");
    }
    let printed = String::from_utf8(buf.0.lock().unwrap().clone()).unwrap();
    for want in [
        "unicode: héllo ☃\n",
        "chardata\n",
        "hé\n",
        "bin\n",
        "[1,2]|s|\n",
        "r1 r2\n",
        "prompt> ",
    ] {
        assert!(printed.contains(want), "missing {want:?} in {printed:?}");
    }
    node.shutdown().await;
}
