//! A Rust node in an Elixir app's Phoenix.PubSub: it subscribes to a topic, prints what any
//! node broadcasts on it, and answers each `{:ping, n}` with a broadcast of `{:pong, n}`.
//!
//! ```sh
//! iex --sname one --cookie secret -S mix          # an app that starts {Phoenix.PubSub, name: MyApp.PubSub}
//! cargo run --example pubsub -- one@vm            # rust@<short host name>, cookie "secret"
//! iex> Phoenix.PubSub.subscribe(MyApp.PubSub, "room:lobby")
//! iex> Phoenix.PubSub.broadcast(MyApp.PubSub, "room:lobby", {:ping, 1})
//! iex> flush()
//! {:ping, 1}
//! {:pong, 1}
//! ```

use erlnode::term::print::inspect;
use erlnode::{Node, names, pg, pubsub, term};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let peer = std::env::args()
        .nth(1)
        .ok_or("usage: cargo run --example pubsub -- NODE (an Elixir node running MyApp.PubSub)")?;
    let node = Node::builder(names::short_name("rust")?)
        .cookie("secret")
        .start()
        .await?;
    node.connect(&peer).await?;

    // The PubSub as the Elixir nodes run it (`pool_size` must match theirs).
    let ps = pubsub::start(&node, "MyApp.PubSub").await?;
    let mut inbox = node.process();
    ps.subscribe(inbox.pid(), "room:lobby")?;

    // The same node also takes part in :pg: a process of ours in the default scope,
    // seen by `:pg.get_members(:rust_workers)` on every node that runs the scope.
    let scope = pg::start_default(&node)?;
    scope.join(&term::atom("rust_workers"), inbox.pid()).await?;

    println!("{} subscribed to room:lobby on MyApp.PubSub", node.name());
    while let Ok(msg) = inbox.receive().await {
        println!("got {}", inspect(&msg));
        if let Some([tag, n]) = term::as_tuple(&msg)
            && term::is_atom(tag, "ping")
        {
            let pong = term::tuple(vec![term::atom("pong"), n.clone()]);
            // Everyone on the topic but ourselves.
            ps.broadcast_from(inbox.pid(), "room:lobby", pong);
        }
    }
    Ok(())
}
