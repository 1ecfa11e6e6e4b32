//! Rust functions that a BEAM node calls with `:erpc.call/4`, `:rpc.call/4` or `Node.spawn/4`.
//!
//! ```sh
//! cargo run --example rpc_function          # rust@<short host name>, cookie "secret"
//! iex --sname one --cookie secret
//! iex> :erpc.call(:"rust@vm", :demo, :add, [1, 2])
//! 3
//! ```

use erlnode::term;
use erlnode::{Exception, Node, Term, names};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let node = Node::builder(names::short_name("rust")?)
        .cookie("secret")
        .start()
        .await?;

    // demo:add/2 — integers in, their sum out; anything else raises badarg, as `+` does.
    node.register_fn("demo", "add", 2, |_ctx, args| async move {
        match (term::as_int(&args[0]), term::as_int(&args[1])) {
            (Some(a), Some(b)) => a
                .checked_add(b)
                .map(term::int)
                .ok_or_else(Exception::badarg),
            _ => Err(Exception::badarg()),
        }
    });

    // demo:greet/1 — a binary (an Elixir string) in, a binary out.
    node.register_fn("demo", "greet", 1, |_ctx, args| async move {
        match &args[0] {
            Term::Binary(name) => {
                let name = String::from_utf8_lossy(&name.bytes);
                Ok(term::binary(format!("Hello, {name}!")))
            }
            other => Err(Exception::error(term::tuple(vec![
                term::atom("not_a_string"),
                other.clone(),
            ]))),
        }
    });

    // demo:whoami/0 — the function runs with a context: the node, and the caller's
    // group leader, so what it prints could go to the caller's terminal.
    node.register_fn("demo", "whoami", 0, |ctx, _args| async move {
        Ok(term::atom(ctx.node.name()))
    });

    println!("{} is up; from iex:", node.name());
    println!("  :erpc.call(:\"{}\", :demo, :add, [1, 2])", node.name());
    tokio::signal::ctrl_c().await?;
    node.shutdown().await;
    Ok(())
}
