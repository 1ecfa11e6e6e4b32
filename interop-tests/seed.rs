//! The seed's two-window session replayed with our binary as window two and a real Elixir node as window one.
//!
//! Window two runs `erlnode --sname two --cookie ... --global-io two`; window one
//! types, line by line: Node.list, Node.connect, Node.list, a shell fun spawned
//! locally, on itself and on two, then `two = :global.whereis_name(:two)` and
//! `IO.puts(two, "Hello")` / `IO.puts(two, "World!")`, which print in window two.

mod common;

use common::*;

#[tokio::test(flavor = "multi_thread")]
async fn the_two_window_session_with_the_rust_node_as_window_two() {
    if !have_elixir("the_two_window_session_with_the_rust_node_as_window_two") {
        return;
    }
    let epmd = free_port();
    let two = unique("two");
    let one = unique("one");
    let mut window_two = erlnode(
        &["--sname", &two, "--cookie", COOKIE, "--global-io", "two"],
        epmd,
    );
    window_two
        .wait_for("registered in :global as two", 30)
        .await;
    let (two_node, one_node) = (sname(&two), sname(&one));
    let script = format!(
        r#"
        IO.puts("1> #{{inspect Node.list}}")
        IO.puts("2> #{{inspect Node.connect(:"{two_node}")}}")
        IO.puts("3> #{{inspect Node.list}}")
        func = fn -> IO.inspect Node.self end
        spawn(func)
        Process.sleep(200)
        Node.spawn(:"{one_node}", func)
        Process.sleep(200)
        Node.spawn(:"{two_node}", func)
        Process.sleep(500)
        :global.sync()
        two = :global.whereis_name(:two)
        IO.puts("4> #{{inspect node(two)}}")
        IO.puts("5> #{{inspect IO.puts(two, "Hello")}}")
        IO.puts("6> #{{inspect IO.puts(two, "World!")}}")
        "#
    );
    let mut window_one = elixir("--sname", &one, COOKIE, epmd, &script);
    assert!(window_one.finish(60).await, "{}", window_one.output());
    let out = window_one.output();
    let lines: Vec<&str> = out.lines().collect();
    let want = [
        "1> []".to_string(),
        "2> true".to_string(),
        format!("3> [:{two_node}]"),
        format!(":{one_node}"),
        format!(":{one_node}"),
        format!(":{two_node}"),
        format!("4> :{two_node}"),
        "5> :ok".to_string(),
        "6> :ok".to_string(),
    ];
    let mut at = 0;
    for w in &want {
        match lines[at..].iter().position(|l| l.trim() == w) {
            Some(i) => at += i + 1,
            None => panic!("window one: expected {w:?} after line {at}, got:\n{out}"),
        }
    }
    window_two.wait_for("Hello", 10).await;
    window_two.wait_for("World!", 10).await;
    window_two.kill();
}
