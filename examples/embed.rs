//! The README's library example: a node embedded in a tokio program, with an rpc function and a registered process.

use erlnode::Node;
use erlnode::term;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let node = Node::builder("rust@127.0.0.1")
        .cookie("secret")
        .start()
        .await?;
    // A function callable with :rpc.call / :erpc.call / Node.spawn from any node.
    node.register_fn("demo", "add", 2, |_ctx, args| async move {
        let (a, b) = (term::as_int(&args[0]), term::as_int(&args[1]));
        match (a, b) {
            (Some(a), Some(b)) => Ok(term::int(a + b)),
            _ => Err(erlnode::Exception::badarg()),
        }
    });
    // A process with a mailbox, registered under a name.
    let pid = node.spawn(|mut p| async move {
        while let Ok(msg) = p.receive().await {
            println!("got {msg}");
        }
        term::atom("normal")
    });
    node.register("listener", &pid)?;
    tokio::signal::ctrl_c().await?;
    node.shutdown().await;
    Ok(())
}
