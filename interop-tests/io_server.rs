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
    let io = erlnode::io::start_server(&node, Box::new(buf.clone()), false);
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
        // An Elixir client gets binary mode, as from an Elixir node's own standard I/O
        // (`elixir -e 'IO.inspect :io.getopts(:standard_io)'` prints this).
        "getopts=[binary: true, encoding: :unicode]",
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

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

/// The value printed after `label=` on one line of `out`.
fn field<'a>(out: &'a str, label: &str) -> &'a str {
    let key = format!("{label}=");
    out.lines()
        .find_map(|l| l.trim_start().strip_prefix(key.as_str()))
        .unwrap_or_else(|| panic!("no {key} in:\n{out}"))
}

#[tokio::test(flavor = "multi_thread")]
async fn input_geometry_formatting_and_errors_from_real_iex() {
    if !have_elixir("input_geometry_formatting_and_errors_from_real_iex") {
        return;
    }
    use erlnode::io::{IoServerConfig, start_server_with};
    let epmd = free_port();
    let node = lib_node(&unique("rust"), epmd).await;
    node.register_fn("test_mod", "chars", 0, |_, _| async move {
        Ok(erlnode::term::binary(&b"from a rust fn\n"[..]))
    });
    let buf = Buffer::default();
    let input = "first line\r\nπ-chars and more\nbinary line\nuntil line\nlast, no newline";
    let io = start_server_with(
        &node,
        IoServerConfig {
            out: Box::new(buf.clone()),
            input: Some(Box::new(std::io::Cursor::new(input.as_bytes().to_vec()))),
            geometry: Some((120, 40)),
        },
    );
    node.register("test_io2", &io).unwrap();
    let me = node.name().to_owned();
    let script = format!(
        r##"
        io = :rpc.call(:"{me}", :erlang, :whereis, [:test_io2])
        r = fn label, v -> IO.puts("#{{label}}=#{{inspect v}}") end
        r.("gets", IO.gets(io, "p1> "))
        r.("read2", IO.read(io, 2))
        r.("read_line", IO.read(io, :line))
        r.("setopts_bin", :io.setopts(io, [:binary]))
        r.("getopts_bin", :io.getopts(io))
        r.("get_line_bin", :io.get_line(io, ~c"p2> "))
        r.("setopts_list", :io.setopts(io, binary: false, encoding: :latin1))
        r.("getopts_list", :io.getopts(io))
        r.("until", :io.request(io, {{:get_until, :unicode, ~c"", :io_lib, :collect_line, []}}))
        r.("get_chars", :io.get_chars(io, ~c"", 4))
        r.("rest", IO.read(io, :line))
        r.("eof", IO.gets(io, ""))
        r.("columns", :io.columns(io))
        r.("rows", :io.rows(io))
        r.("bad_geometry", :io.request(io, {{:get_geometry, :depth}}))
        r.("bad_setopts", :io.setopts(io, [:bogus]))
        r.("erl_read", :io.read(io, ~c""))
        r.("password", :io.request(io, {{:get_password, :unicode}}))
        r.("latin1_list_over_255", :io.request(io, {{:put_chars, :latin1, [960]}}))
        r.("bad_utf8", :io.request(io, {{:put_chars, :unicode, <<99, 97, 102, 233>>}}))
        r.("latin1_list", :io.request(io, {{:put_chars, :latin1, [99, 97, 102, 233, ?\n]}}))
        r.("old_put_chars", :io.request(io, {{:put_chars, <<"old form\n">>}}))
        r.("requests_stop", :io.request(io, {{:requests, [{{:put_chars, :unicode, "q1\n"}}, {{:put_chars, :unicode, :bad}}, {{:put_chars, :unicode, "q3\n"}}]}}))
        r.("requests_bad", :io.request(io, {{:requests, :bad}}))
        r.("format_error", :io.request(io, {{:put_chars, :unicode, :io_lib, :format, [~c"~d", [1]]}}))
        r.("format_raises", (try do :io.format(io, "~d", [1]) rescue e -> {{:raised, e.__struct__}} end))
        r.("rust_fn", :io.request(io, {{:put_chars, :unicode, :test_mod, :chars, []}}))
        r.("no_fn", :io.request(io, {{:put_chars, :unicode, :nomod, :nofun, []}}))
        t = {{:some_tag, Enum.to_list(1..40), %{{key: "value", other: [1.5, :atom, 1.0e20]}}, ~c"chars", <<1, 2, 3>>, "bin"}}
        fmt = ~c"~p~n~w ~s ~10.3f|~-6b|~.16B ~e~n"
        args = [t, t, "str", 3.14159, 42, 255, 0.1]
        IO.puts("expect=#{{Base.encode16(IO.chardata_to_string(:io_lib.format(fmt, args)))}}")
        r.("format", :io.format(io, fmt, args))
        r.("self_format", :io.format(io, "self=~p~n", [self()]))
        IO.puts("self=#{{inspect self()}}")
        r.("inspect", IO.inspect(io, %{{a: [1, 2]}}, []))
        "##
    );
    let mut ex = elixir("--sname", &unique("one"), COOKIE, epmd, &script);
    assert!(ex.finish(60).await, "{}", ex.output());
    let out = ex.output();
    // Before any setopts an Elixir client is answered in binary mode, as by an
    // Elixir node's standard I/O; after `setopts(list)` the answers are
    // charlists, which Elixir 1.14 inspects as 'x' and Elixir 1.15+ as ~c"x";
    // both spellings are accepted.
    for (label, want) in [
        ("gets", r#""first line\n""#),
        ("read2", r#""π-""#),
        ("read_line", r#""chars and more\n""#),
        ("setopts_bin", ":ok"),
        ("getopts_bin", "[binary: true, encoding: :unicode]"),
        ("get_line_bin", r#""binary line\n""#),
        ("setopts_list", ":ok"),
        ("getopts_list", "[binary: false, encoding: :latin1]"),
        ("until", r"'until line\n'"),
        ("get_chars", "'last'"),
        ("rest", "', no newline'"),
        ("eof", ":eof"),
        ("columns", "{:ok, 120}"),
        ("rows", "{:ok, 40}"),
        ("bad_geometry", "{:error, :request}"),
        ("bad_setopts", "{:error, :enotsup}"),
        ("password", "{:error, :enotsup}"),
        ("latin1_list_over_255", "{:error, :put_chars}"),
        ("bad_utf8", "{:error, :put_chars}"),
        ("latin1_list", ":ok"),
        ("old_put_chars", ":ok"),
        ("requests_stop", "{:error, :put_chars}"),
        ("requests_bad", "{:error, :request}"),
        ("format_error", "{:error, :format}"),
        ("format_raises", "{:raised, ArgumentError}"),
        ("rust_fn", ":ok"),
        ("no_fn", "{:error, :nofun}"),
        ("format", ":ok"),
        ("self_format", ":ok"),
        ("inspect", "%{a: [1, 2]}"),
    ] {
        assert_eq!(
            old_charlists(field(&out, label)),
            want,
            "{label} in:\n{out}"
        );
    }
    // :io.read asks with get_until erl_scan:tokens, which we refuse.
    assert_eq!(field(&out, "erl_read"), "{:error, :request}");
    let printed = String::from_utf8(buf.0.lock().unwrap().clone()).unwrap();
    // The ~p/~w/~s/~f/~b/~B/~e output equals what the iex node's own
    // io_lib:format printed for the same format and arguments.
    let expect = String::from_utf8(unhex(field(&out, "expect"))).unwrap();
    assert!(expect.contains(",\n"), "the ~p line should wrap: {expect}");
    assert!(printed.contains(&expect), "want\n{expect}\nin\n{printed}");
    // Pids of the iex node print with a non-zero node number, as a remote pid.
    let self_pid = field(&out, "self");
    let serial = self_pid.trim_start_matches("#PID<0.").trim_end_matches('>');
    let line = printed.lines().find(|l| l.starts_with("self=<")).unwrap();
    assert!(
        !line.starts_with("self=<0.") && line.ends_with(&format!(".{serial}>")),
        "{line} vs {self_pid}"
    );
    for want in [
        "p1> ",
        "p2> ",
        "café\n",
        "old form\n",
        "q1\n",
        "from a rust fn\n",
        "%{a: [1, 2]}\n",
    ] {
        assert!(printed.contains(want), "missing {want:?} in {printed:?}");
    }
    assert!(!printed.contains("q3"), "{printed}");
    node.shutdown().await;
}

/// An Erlang client gets list mode, as from `erl`'s own standard I/O.
#[tokio::test(flavor = "multi_thread")]
async fn an_erl_client_gets_list_mode() {
    if !have_elixir("an_erl_client_gets_list_mode") {
        return;
    }
    let epmd = free_port();
    let node = lib_node(&unique("rust"), epmd).await;
    let io = erlnode::io::start_server(&node, Box::new(std::io::sink()), false);
    node.register("erl_io", &io).unwrap();
    let me = node.name().to_owned();
    let script = format!(
        "Io = rpc:call('{me}', erlang, whereis, [erl_io]), io:format(\"opts=~p~n\", [io:getopts(Io)]), halt()."
    );
    let mut erl = tokio::process::Command::new("erl");
    erl.args([
        "-sname",
        &unique("erl"),
        "-setcookie",
        COOKIE,
        "-noshell",
        "-eval",
        &script,
    ])
    .env("ERL_EPMD_PORT", epmd.to_string())
    .stdin(std::process::Stdio::null())
    .stdout(std::process::Stdio::piped())
    .stderr(std::process::Stdio::piped())
    .kill_on_drop(true);
    let mut p = Proc::collect_child(erl.spawn().unwrap());
    assert!(p.finish(30).await, "{}", p.output());
    assert!(
        p.output()
            .contains("opts=[{binary,false},{encoding,unicode}]"),
        "{}",
        p.output()
    );
    node.shutdown().await;
}

/// The `io_lib` formatting the I/O server does for a peer prints what that peer's own
/// `io_lib:format` prints: map keys in its own order (small maps, and hash maps over 32
/// keys), the `k`/`K` modifiers where its release has them (OTP 26+; OTP 25 refuses them),
/// `maybe` and `else` quoted where they are keywords (OTP 27+).
#[tokio::test(flavor = "multi_thread")]
async fn formatting_matches_the_requesting_nodes_own_io_lib() {
    if !have_elixir("formatting_matches_the_requesting_nodes_own_io_lib") {
        return;
    }
    let epmd = free_port();
    let node = lib_node(&unique("rust"), epmd).await;
    let buf = Buffer::default();
    let io = erlnode::io::start_server(&node, Box::new(buf.clone()), false);
    node.register("test_io3", &io).unwrap();
    let me = node.name().to_owned();
    let script = format!(
        r##"
        io = :rpc.call(:"{me}", :erlang, :whereis, [:test_io3])
        small = %{{zulu: 1, alpha: [1, 2], mike: "m", yankee: {{:x}}}}
        big = Map.new(1..40, &{{&1, &1 * &1}})
        atoms = Map.new(1..35, &{{:"key#{{&1}}", &1}})
        cases = [
          {{~c"~p|~w~n", [small, small]}},
          {{~c"~p~n", [big]}},
          {{~c"~w~n", [atoms]}},
          {{~c"~kp|~kw~n", [small, big]}},
          {{~c"~Kp|~Kw~n", [:reversed, small, :ordered, atoms]}},
          {{~c"~P~n", [%{{m: %{{b: 1, a: 2}}, l: [small]}}, 4]}},
          {{~c"~p ~w~n", [[:maybe, :else, :end], :maybe]}},
          {{~c"~Kp~n", [:nonsense, small]}},
        ]
        for {{f, a}} <- cases do
          local = try do Base.encode16(IO.chardata_to_string(:io_lib.format(f, a))) rescue _ -> "E" end
          remote = try do :io.format(io, f, a) rescue _ -> :raised end
          IO.puts("case=#{{local}} #{{inspect remote}}")
        end
        "##
    );
    let mut ex = elixir("--sname", &unique("one"), COOKIE, epmd, &script);
    assert!(ex.finish(60).await, "{}", ex.output());
    let out = ex.output();
    let mut want = String::new();
    let mut cases = 0;
    for line in out.lines().filter_map(|l| l.trim().strip_prefix("case=")) {
        let (local, remote) = line.split_once(' ').unwrap();
        if local == "E" {
            assert_eq!(remote, ":raised", "{line}");
        } else {
            assert_eq!(remote, ":ok", "{line}");
            want.push_str(&String::from_utf8(unhex(local)).unwrap());
        }
        cases += 1;
    }
    assert_eq!(cases, 8, "{out}");
    let printed = String::from_utf8(buf.0.lock().unwrap().clone()).unwrap();
    assert_eq!(printed, want, "output of iex:\n{out}");
    node.shutdown().await;
}

#[test]
fn old_charlists_reads_both_spellings() {
    assert_eq!(old_charlists(r#"{:a, ~c"line 16"}"#), "{:a, 'line 16'}");
    assert_eq!(
        old_charlists(r#"~c"a\"b'c\n""#),
        r"'a".to_owned() + "\"b\\'c\\n'"
    );
    assert_eq!(old_charlists("'x' and [1]"), "'x' and [1]");
}
