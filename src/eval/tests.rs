//! Unit tests for the shell-fun interpreter, on funs captured from real Elixir 1.14 / OTP 25 nodes.
//!
//! The vectors in `vectors.txt` are `:erlang.term_to_binary(fun)` of funs
//! created by `elixir -e` (which evaluates with `erl_eval`, exactly as iex
//! does), captured with this script (x = 20 is the captured binding):
//!
//! ```text
//! x = 20
//! cases = [
//!   inspect_node_self: fn -> IO.inspect Node.self end,
//!   case_guards: fn -> case {x, :a} do {20, y} when is_atom(y) and y != nil -> IO.puts("case #{y}"); _ -> :no end end,
//!   receive_after: fn -> receive do {:ping, n} when n > 1 -> IO.puts("got #{n}") after 50 -> IO.puts("timeout") end end,
//!   arithmetic: fn -> {1 + 2 * 3, 7 / 2, div(7, 2), rem(-7, 2), 1 == 1.0, 1 === 1.0, :a < "b", 123456789 * 987654321 * 1000, -x, x - 25 > -10 and not false} end,
//!   badmatch: fn -> {:ok, v} = {:error, x}; v end,
//!   unsupported_try: fn -> try do 1 after 2 end end,
//!   maps_bins: fn -> m = %{a: 1}; m2 = %{m | a: 2}; %{a: a} = m2; <<h, rest::binary>> = "hello"; {a, m.a, h, rest, "é" <> rest, <<1::4>>, [1, 2 | [3]], 'ab' ++ [?c]} end,
//!   tail_loop: fn -> loop = fn loop, n, acc -> if n == 0, do: acc, else: loop.(loop, n - 1, acc + n) end; loop.(loop, 1000, 0) end,
//!   self_receive: fn -> send(self(), {:hi, x}); receive do {:hi, ^x} -> :got end end,
//!   io_format: fn -> :io.format("n=~p ~s~n", [x, "s"]) end,
//!   cond_bool: fn -> cond do x > 100 -> :big; x && !nil -> {:mid, x || 0}; true -> :small end end,
//!   string_chars: fn -> "#{:atom} #{1.5} #{'cl'} #{x}" end,
//!   unbound_clause: fn -> case x do 1 -> :one end end,
//!   fun_external: fn -> f = &Node.self/0; g = fn a, b -> a + b end; {f.(), g.(1, 2), apply(g, [3, 4]), is_function(g, 2)} end,
//!   raise_msg: fn -> raise "boom" end,
//! ]
//! for {name, f} <- cases, do: IO.puts("#{name} #{Base.encode16(:erlang.term_to_binary(f), case: :lower)}")
//! ```
//!
//! and, one at a time with the same `IO.puts` line:
//!
//! ```text
//! non_tail_recursion: fn n -> rec = fn rec, n -> if n == 0, do: 0, else: 1 + rec.(rec, n - 1) end; rec.(rec, n) end
//! nest_tuples: fn n -> loop = fn l, n, acc -> if n == 0, do: tuple_size(acc), else: l.(l, n - 1, {acc}) end; loop.(loop, n, {}) end
//! compiled_fun: Foo.f() after defmodule Foo do def f, do: fn -> :x end end
//! spawn_child: fn -> me = self(); pid = spawn(fn -> IO.puts("child says hi"); send(me, {:child, self()}) end); receive do {:child, ^pid} -> :spawned after 5000 -> :timeout end end
//! list_loops: fn n ->
//!   build = fn _b, 0, acc -> acc; b, k, acc -> b.(b, k - 1, [k | acc]) end
//!   prepend = fn _p, 0, acc -> acc; p, k, acc -> p.(p, k - 1, [k] ++ acc) end
//!   sum = fn _s, [], a -> a; s, [h | t], a -> s.(s, t, a + h) end
//!   walk = fn w, l, c -> if l == [], do: c, else: w.(w, tl(l), c + hd(l)) end
//!   l = build.(build, n, [])
//!   {length(l), sum.(sum, l, 0), walk.(walk, prepend.(prepend, n, []), 0)}
//! end
//! ```
//!
//! The `erl_*` vectors come from `erl -noshell -eval` printing
//! `binary:encode_hex(term_to_binary(F))` for
//! `erl_receive`: `fun() -> X = node(), receive {P, M} when is_pid(P) -> P ! {ok, M}; _ -> ignored after 10 -> io:format("~p~n", [X]) end end`
//! and `erl_catch`: `fun() -> catch 1 end`; and
//! `spawn_request_frame` is a whole SPAWN_REQUEST frame our node logged at
//! trace level when `elixir` ran `Node.spawn(:"cap@vm", fn -> IO.puts "sum=#{x + 22}" end)`.

use super::ops;
use super::value::Value;
use crate::node::Node;
use crate::otp::io_format;
use crate::otp::rpc::{CallContext, Class, Exception};
use crate::term;
use eetf::{Pid, Term};
use std::sync::{Arc, Mutex};
use std::time::Duration;

const VECTORS: &str = include_str!("vectors.txt");

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

fn vector_bytes(name: &str) -> Vec<u8> {
    let line = VECTORS
        .lines()
        .find(|l| l.split_once(' ').map(|(n, _)| n) == Some(name))
        .unwrap_or_else(|| panic!("no vector {name}"));
    unhex(line.split_once(' ').unwrap().1.trim())
}

fn vector(name: &str) -> Term {
    crate::proto::etf::decode_exact(&vector_bytes(name)).unwrap()
}

async fn test_node() -> Node {
    static N: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let epmd = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    Node::builder(format!("evalunit{}n{n}", std::process::id()))
        .cookie("evaltest")
        .epmd_port(epmd)
        .start()
        .await
        .unwrap()
}

/// A group leader that records what it is asked to print and answers `ok`.
fn collector(node: &Node) -> (Pid, Arc<Mutex<Vec<u8>>>) {
    let out = Arc::new(Mutex::new(Vec::new()));
    let o = out.clone();
    let pid = node.spawn(move |mut p| async move {
        while let Ok(m) = p.receive().await {
            let Some([tag, from, reply_as, req]) = term::as_tuple(&m) else {
                continue;
            };
            if !term::is_atom(tag, "io_request") {
                continue;
            }
            let text = match term::as_tuple(req) {
                Some([_, _, chars]) => {
                    let mut t = Vec::new();
                    crate::otp::io::chardata(chars, &mut t).unwrap();
                    t
                }
                Some([_, _, _, _, fa]) => {
                    let fa = term::as_list(fa).unwrap();
                    io_format::format(&fa[0], &fa[1]).unwrap()
                }
                _ => Vec::new(),
            };
            o.lock().unwrap().extend_from_slice(&text);
            p.send(
                term::as_pid(from).unwrap(),
                term::tuple(vec![
                    term::atom("io_reply"),
                    reply_as.clone(),
                    term::atom("ok"),
                ]),
            );
        }
        term::atom("normal")
    });
    (pid, out)
}

struct Run {
    result: Result<Term, Exception>,
    output: String,
}

/// Runs `erlang:apply(Fun, [])` as a fresh process, after `setup` has put
/// messages in its mailbox.
async fn run_with(node: &Node, fun: Term, setup: impl FnOnce(&Pid)) -> Run {
    run_args(node, fun, vec![], setup).await
}

async fn run_args(node: &Node, fun: Term, args: Vec<Term>, setup: impl FnOnce(&Pid)) -> Run {
    let (gl, out) = collector(node);
    let p = node.process();
    setup(p.pid());
    let ctx = CallContext::in_process(p, Some(gl));
    let result = tokio::time::timeout(
        Duration::from_secs(20),
        node.apply("erlang", "apply", vec![fun, term::list(args)], ctx),
    )
    .await
    .expect("the fun finishes");
    let output = String::from_utf8(out.lock().unwrap().clone()).unwrap();
    Run { result, output }
}

async fn run(node: &Node, name: &str) -> Run {
    run_with(node, vector(name), |_| {}).await
}

fn error_reason(r: &Result<Term, Exception>) -> Term {
    match r {
        Err(e) if e.class == Class::Error => e.reason.clone(),
        other => panic!("expected an error, got {other:?}"),
    }
}

/// `=:=` of two terms.
fn exact_eq(a: &Term, b: &Term) -> bool {
    Value::from_term(a).unwrap() == Value::from_term(b).unwrap()
}

fn assert_term(got: &Term, want: &Term) {
    assert!(exact_eq(got, want), "got {got}, want {want}");
}

#[tokio::test]
async fn inspect_node_self_prints_our_name() {
    let node = test_node().await;
    let r = run(&node, "inspect_node_self").await;
    assert_eq!(r.output, format!(":{}\n", node.name()));
    assert_term(&r.result.unwrap(), &term::atom(node.name()));
    node.shutdown().await;
}

#[tokio::test]
async fn spawn_request_frame_interpolation() {
    let frame = vector_bytes("spawn_request_frame");
    let msg = crate::proto::control::decode_frame(&frame).unwrap();
    let crate::proto::control::Control::SpawnRequest {
        module,
        function,
        arity,
        ..
    } = &msg.control
    else {
        panic!("not a spawn request: {:?}", msg.control);
    };
    assert_eq!(
        (module.name.as_str(), function.name.as_str(), *arity),
        ("erlang", "apply", 2)
    );
    let args = term::as_list(msg.payload.as_ref().unwrap()).unwrap();
    assert_term(&args[1], &term::nil());
    let node = test_node().await;
    let r = run_with(&node, args[0].clone(), |_| {}).await;
    assert_eq!(r.output, "sum=42\n");
    assert_term(&r.result.unwrap(), &term::atom("ok"));
    node.shutdown().await;
}

#[tokio::test]
async fn case_with_guards_and_interpolated_atom() {
    let node = test_node().await;
    let r = run(&node, "case_guards").await;
    assert_eq!(r.output, "case a\n");
    node.shutdown().await;
}

#[tokio::test]
async fn receive_after_times_out_then_matches_selectively() {
    let node = test_node().await;
    let r = run(&node, "receive_after").await;
    assert_eq!(r.output, "timeout\n");
    // {:ping, 1} fails the guard and stays; {:ping, 5} matches.
    let n2 = node.clone();
    let r = run_with(&node, vector("receive_after"), move |pid| {
        n2.send(pid, term::tuple(vec![term::atom("ping"), term::int(1)]));
        n2.send(pid, term::tuple(vec![term::atom("ping"), term::int(5)]));
    })
    .await;
    assert_eq!(r.output, "got 5\n");
    node.shutdown().await;
}

#[tokio::test]
async fn arithmetic_comparison_and_bignums() {
    let node = test_node().await;
    let r = run(&node, "arithmetic").await;
    let big = ops::eval_binary("*", &Value::int(121_932_631_112_635_269), &Value::int(1000))
        .unwrap()
        .unwrap()
        .to_term();
    let want = term::tuple(vec![
        term::int(7),
        ops::float_term(3.5).unwrap(),
        term::int(3),
        term::int(-1),
        term::atom("true"),
        term::atom("false"),
        term::atom("true"),
        big,
        term::int(-20),
        term::atom("true"),
    ]);
    assert_term(&r.result.unwrap(), &want);
    node.shutdown().await;
}

#[tokio::test]
async fn failed_match_is_badmatch() {
    let node = test_node().await;
    let r = run(&node, "badmatch").await;
    let want = term::tuple(vec![
        term::atom("badmatch"),
        term::tuple(vec![term::atom("error"), term::int(20)]),
    ]);
    assert_term(&error_reason(&r.result), &want);
    let r = run(&node, "unbound_clause").await;
    assert_term(
        &error_reason(&r.result),
        &term::tuple(vec![term::atom("case_clause"), term::int(20)]),
    );
    node.shutdown().await;
}

#[tokio::test]
async fn unsupported_constructs_are_named() {
    let node = test_node().await;
    let r = run(&node, "unsupported_try").await;
    let reason = error_reason(&r.result);
    let want = term::tuple(vec![
        term::atom("unsupported"),
        term::atom("try"),
        term::list("line 8".bytes().map(|b| term::int(i64::from(b))).collect()),
    ]);
    assert_term(&reason, &want);
    let r = run(&node, "erl_catch").await;
    let reason = error_reason(&r.result);
    assert!(
        matches!(term::as_tuple(&reason), Some([u, c, _]) if term::is_atom(u, "unsupported") && term::is_atom(c, "catch")),
        "{reason}"
    );
    node.shutdown().await;
}

#[tokio::test]
async fn maps_binaries_and_lists() {
    let node = test_node().await;
    let r = run(&node, "maps_bins").await;
    let chars = |s: &str| term::list(s.bytes().map(|b| term::int(i64::from(b))).collect());
    let want = term::tuple(vec![
        term::int(2),
        term::int(1),
        term::int(104),
        term::binary(b"ello".to_vec()),
        term::binary("éello".as_bytes().to_vec()),
        Term::BitBinary(eetf::BitBinary::from((vec![16u8], 4u8))),
        term::list(vec![term::int(1), term::int(2), term::int(3)]),
        chars("abc"),
    ]);
    assert_term(&r.result.unwrap(), &want);
    node.shutdown().await;
}

#[tokio::test]
async fn tail_recursive_fun_loops_past_the_depth_limit() {
    let node = test_node().await;
    let r = run(&node, "tail_loop").await;
    assert_term(&r.result.unwrap(), &term::int(500_500));
    node.shutdown().await;
}

/// Building a list with `[h | acc]` (and `[h] ++ acc`) and taking it apart
/// with `[h | t]` (and `hd`/`tl`) makes one cell per element and copies none:
/// were cells copied (as when lists were vectors), the count would grow with
/// the square of `n`.
#[tokio::test]
async fn list_loops_make_one_cell_per_element() {
    let node = test_node().await;
    let n: usize = 20_000;
    super::value::counters::reset();
    let r = run_args(
        &node,
        vector("list_loops"),
        vec![term::int(n as i64)],
        |_| {},
    )
    .await;
    let (cells, terms) = super::value::counters::get();
    let sum = term::int((n * (n + 1) / 2) as i64);
    assert_term(
        &r.result.unwrap(),
        &term::tuple(vec![term::int(n as i64), sum.clone(), sum]),
    );
    // `build` makes a cell per element, `prepend` two (`[k]`, and its copy
    // in front of `acc`); nothing else is made per element.
    assert!(cells <= 3 * n + 100, "{cells} cells for 2 lists of {n}");
    // The lists never leave the interpreter: only the result is a term.
    assert!(terms < 100, "{terms} terms made");
    node.shutdown().await;
}

#[tokio::test]
async fn send_to_self_then_receive_with_pin() {
    let node = test_node().await;
    let r = run(&node, "self_receive").await;
    assert_term(&r.result.unwrap(), &term::atom("got"));
    node.shutdown().await;
}

#[tokio::test]
async fn io_format_goes_to_the_group_leader() {
    let node = test_node().await;
    let r = run(&node, "io_format").await;
    assert_eq!(r.output, "n=20 s\n");
    node.shutdown().await;
}

#[tokio::test]
async fn cond_and_boolean_operators() {
    let node = test_node().await;
    let r = run(&node, "cond_bool").await;
    assert_term(
        &r.result.unwrap(),
        &term::tuple(vec![term::atom("mid"), term::int(20)]),
    );
    let r = run(&node, "string_chars").await;
    assert_term(
        &r.result.unwrap(),
        &term::binary(b"atom 1.5 cl 20".to_vec()),
    );
    node.shutdown().await;
}

#[tokio::test]
async fn funs_inside_funs_and_external_funs() {
    let node = test_node().await;
    let r = run(&node, "fun_external").await;
    assert_term(
        &r.result.unwrap(),
        &term::tuple(vec![
            term::atom(node.name()),
            term::int(3),
            term::int(7),
            term::atom("true"),
        ]),
    );
    // An external fun straight from the peer: `&Node.self/0`.
    let ext = Term::ExternalFun(Box::new(eetf::ExternalFun {
        module: eetf::Atom::from("Elixir.Node"),
        function: eetf::Atom::from("self"),
        arity: 0,
    }));
    let r = run_with(&node, ext, |_| {}).await;
    assert_term(&r.result.unwrap(), &term::atom(node.name()));
    node.shutdown().await;
}

#[tokio::test]
async fn raise_builds_a_runtime_error() {
    let node = test_node().await;
    let r = run(&node, "raise_msg").await;
    let Term::Map(m) = error_reason(&r.result) else {
        panic!("not a struct")
    };
    assert_term(
        m.map.get(&term::atom("__struct__")).unwrap(),
        &term::atom("Elixir.RuntimeError"),
    );
    assert_term(
        m.map.get(&term::atom("message")).unwrap(),
        &term::binary(b"boom".to_vec()),
    );
    node.shutdown().await;
}

#[tokio::test]
async fn erlang_shell_fun_with_receive() {
    let node = test_node().await;
    let r = run(&node, "erl_receive").await;
    // The collector formats ~p with this crate's io_format, which quotes atoms.
    assert_eq!(r.output.replace('\'', ""), format!("{}\n", node.name()));
    let q = node.process();
    let qpid = q.pid().clone();
    let n2 = node.clone();
    let r = run_with(&node, vector("erl_receive"), move |pid| {
        n2.send(
            pid,
            term::tuple(vec![term::pid(&qpid), term::atom("hello")]),
        );
    })
    .await;
    assert!(r.result.is_ok());
    let mut q = q;
    let got = q.receive_timeout(Duration::from_secs(5)).await.unwrap();
    assert_term(
        &got,
        &term::tuple(vec![term::atom("ok"), term::atom("hello")]),
    );
    node.shutdown().await;
}

#[tokio::test]
async fn spawn_runs_a_child_with_the_same_group_leader() {
    let node = test_node().await;
    let r = run(&node, "spawn_child").await;
    assert_term(&r.result.unwrap(), &term::atom("spawned"));
    assert_eq!(r.output, "child says hi\n");
    node.shutdown().await;
}

#[tokio::test]
async fn compiled_funs_are_refused_by_name() {
    let node = test_node().await;
    let r = run(&node, "compiled_fun").await;
    assert_term(
        &error_reason(&r.result),
        &term::tuple(vec![
            term::atom("unsupported"),
            term::atom("compiled_fun"),
            term::atom("Elixir.Foo"),
        ]),
    );
    node.shutdown().await;
}

// ---------------------------------------------------------- hostile input

/// A 0-arity shell fun whose single clause body is `body`.
fn fun_with_body(node: &Node, body: Term) -> Term {
    let clause = term::tuple(vec![
        term::atom("clause"),
        term::int(1),
        term::nil(),
        term::nil(),
        term::list(vec![body]),
    ]);
    let env = term::tuple(vec![
        term::int(1),
        Term::Map(eetf::Map::from(
            std::collections::HashMap::<Term, Term>::new(),
        )),
        term::atom("none"),
        term::atom("none"),
        Term::Map(eetf::Map::from(
            std::collections::HashMap::<Term, Term>::new(),
        )),
        term::list(vec![clause]),
    ]);
    Term::InternalFun(Box::new(eetf::InternalFun::New {
        module: eetf::Atom::from("erl_eval"),
        arity: 0,
        pid: Pid::new(node.name(), 0, 0, 0),
        free_vars: vec![env],
        index: 0,
        uniq: [0; 16],
        old_index: 0,
        old_uniq: 0,
    }))
}

fn nested_plus(levels: usize) -> Term {
    let mut e = term::tuple(vec![term::atom("integer"), term::int(1), term::int(1)]);
    for _ in 0..levels {
        e = term::tuple(vec![
            term::atom("op"),
            term::int(1),
            term::atom("+"),
            term::tuple(vec![term::atom("integer"), term::int(1), term::int(1)]),
            e,
        ]);
    }
    e
}

/// Runs `f` on a thread with the 2 MiB stack tokio workers get.
fn on_small_stack(
    f: impl FnOnce(Node) -> std::pin::Pin<Box<dyn std::future::Future<Output = ()>>> + Send + 'static,
) {
    std::thread::Builder::new()
        .stack_size(2 * 1024 * 1024)
        .spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async {
                let node = test_node().await;
                f(node.clone()).await;
                node.shutdown().await;
            });
        })
        .unwrap()
        .join()
        .unwrap();
}

fn is_nesting_error(r: &Result<Term, Exception>) -> bool {
    let reason = error_reason(r);
    matches!(term::as_tuple(&reason), Some([u, c, _]) if term::is_atom(u, "unsupported") && term::is_atom(c, "nesting"))
}

#[test]
fn deep_nesting_is_refused_without_overflowing_the_stack() {
    on_small_stack(|node| {
        Box::pin(async move {
            let ok = run_with(&node, fun_with_body(&node, nested_plus(60)), |_| {}).await;
            assert_term(&ok.result.unwrap(), &term::int(61));
            let deep = run_with(&node, fun_with_body(&node, nested_plus(500)), |_| {}).await;
            assert!(is_nesting_error(&deep.result), "{:?}", deep.result);
        })
    });
}

#[test]
fn non_tail_recursion_is_bounded() {
    on_small_stack(|node| {
        Box::pin(async move {
            let f = vector("non_tail_recursion");
            let ok = run_args(&node, f.clone(), vec![term::int(20)], |_| {}).await;
            assert_term(&ok.result.unwrap(), &term::int(20));
            let deep = run_args(&node, f, vec![term::int(1_000_000)], |_| {}).await;
            assert!(is_nesting_error(&deep.result), "{:?}", deep.result);
        })
    });
}

#[test]
fn values_nested_too_deep_are_a_system_limit() {
    on_small_stack(|node| {
        Box::pin(async move {
            let f = vector("nest_tuples");
            let ok = run_args(&node, f.clone(), vec![term::int(100)], |_| {}).await;
            assert_term(&ok.result.unwrap(), &term::int(1));
            let deep = run_args(&node, f, vec![term::int(100_000)], |_| {}).await;
            assert_term(&error_reason(&deep.result), &term::atom("system_limit"));
        })
    });
}

#[tokio::test]
async fn junk_instead_of_a_fun_is_an_error() {
    let node = test_node().await;
    for junk in [
        term::atom("x"),
        term::int(3),
        fun_with_body(&node, term::atom("not_a_form")),
        fun_with_body(&node, term::tuple(vec![term::atom("try"), term::int(2)])),
        fun_with_body(&node, term::tuple(vec![])),
        fun_with_body(
            &node,
            term::tuple(vec![
                term::atom("op"),
                term::int(1),
                term::atom("bsl"),
                term::tuple(vec![term::atom("integer"), term::int(1), term::int(1)]),
                term::tuple(vec![
                    term::atom("integer"),
                    term::int(1),
                    term::int(1 << 40),
                ]),
            ]),
        ),
    ] {
        let r = run_with(&node, junk.clone(), |_| {}).await;
        assert!(r.result.is_err(), "{junk} gave {:?}", r.result);
    }
    // A fun whose environment is not an erl_eval environment.
    let Term::InternalFun(mut f) = vector("inspect_node_self") else {
        panic!()
    };
    if let eetf::InternalFun::New { free_vars, .. } = f.as_mut() {
        *free_vars = vec![term::atom("garbage")];
    }
    let r = run_with(&node, Term::InternalFun(f), |_| {}).await;
    assert!(r.result.is_err());
    node.shutdown().await;
}

/// Rebuilds `t` with its `target`-th subterm (pre-order) replaced by `junk`.
fn mutate(t: &Term, target: usize, counter: &mut usize, junk: &Term) -> Term {
    let me = *counter;
    *counter += 1;
    if me == target {
        return junk.clone();
    }
    match t {
        Term::Tuple(x) => term::tuple(
            x.elements
                .iter()
                .map(|e| mutate(e, target, counter, junk))
                .collect(),
        ),
        Term::List(l) => term::list(
            l.elements
                .iter()
                .map(|e| mutate(e, target, counter, junk))
                .collect(),
        ),
        Term::Map(m) => {
            let mut out = std::collections::HashMap::new();
            for (k, v) in &m.map {
                out.insert(k.clone(), mutate(v, target, counter, junk));
            }
            Term::Map(eetf::Map::from(out))
        }
        Term::InternalFun(f) => match f.as_ref() {
            eetf::InternalFun::New {
                module,
                arity,
                pid,
                free_vars,
                index,
                uniq,
                old_index,
                old_uniq,
            } => Term::InternalFun(Box::new(eetf::InternalFun::New {
                module: module.clone(),
                arity: *arity,
                pid: pid.clone(),
                free_vars: free_vars
                    .iter()
                    .map(|e| mutate(e, target, counter, junk))
                    .collect(),
                index: *index,
                uniq: *uniq,
                old_index: *old_index,
                old_uniq: *old_uniq,
            })),
            old => Term::InternalFun(Box::new(old.clone())),
        },
        other => other.clone(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mutated_funs_never_panic() {
    let node = test_node().await;
    let junks = [
        term::atom("junk"),
        term::int(-1),
        term::tuple(vec![]),
        term::nil(),
        ops::float_term(0.5).unwrap(),
    ];
    let mut runs = 0;
    for name in [
        "case_guards",
        "maps_bins",
        "receive_after",
        "fun_external",
        "string_chars",
        "arithmetic",
    ] {
        // receive_after waits 50 ms per run: one kind of junk is enough there.
        let junks = if name == "receive_after" {
            &junks[..1]
        } else {
            &junks[..]
        };
        let fun = vector(name);
        let mut size = 0;
        let _ = mutate(&fun, usize::MAX, &mut size, &junks[0]);
        for target in 1..size {
            for junk in junks {
                let mut c = 0;
                let m = mutate(&fun, target, &mut c, junk);
                let node2 = node.clone();
                // Spawned so a panic would surface as a join error here.
                let h = tokio::spawn(async move {
                    let _ =
                        tokio::time::timeout(Duration::from_secs(2), run_with(&node2, m, |_| {}))
                            .await;
                });
                h.await.expect("the interpreter panicked");
                runs += 1;
            }
        }
    }
    assert!(runs > 500, "only {runs} mutations");
    node.shutdown().await;
}
