//! A registered Rust process that BEAM processes send to by name: it matches each
//! message against the shapes it understands and replies to the sender's pid.
//!
//! ```sh
//! cargo run --example registered           # rust@<short host name>, cookie "secret"
//! iex --sname one --cookie secret
//! iex> send({:kv, :"rust@vm"}, {:put, self(), :color, "blue"})
//! iex> flush()
//! {:ok, :color}
//! ```

use erlnode::term;
use erlnode::term::print::inspect;
use erlnode::{Node, Pid, Term, names};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let node = Node::builder(names::short_name("rust")?)
        .cookie("secret")
        .start()
        .await?;

    // A key-value store as a process: its state lives in the task, its mailbox is
    // the only way in, as with a BEAM process.
    let kv = node.spawn(|mut p| async move {
        let mut store = Vec::new();
        while let Ok(msg) = p.receive().await {
            match handle(&mut store, &msg) {
                Some((from, reply)) => p.send(&from, reply),
                // Anything else is printed and dropped, as a BEAM process that
                // logs what it does not understand.
                None => println!("kv: unexpected message {}", inspect(&msg)),
            }
        }
        term::atom("normal")
    });
    node.register("kv", &kv)?;

    println!("{} is up; from iex:", node.name());
    println!(
        "  send({{:kv, :\"{}\"}}, {{:put, self(), :color, \"blue\"}})",
        node.name()
    );
    tokio::signal::ctrl_c().await?;
    node.shutdown().await;
    Ok(())
}

/// The reply to one message and the pid to send it to; `None` for a message `kv`
/// does not understand.
fn handle(store: &mut Vec<(Term, Term)>, msg: &Term) -> Option<(Pid, Term)> {
    match term::as_tuple(msg)? {
        // {:put, from, key, value} -> {:ok, key}
        [tag, from, key, value] if term::is_atom(tag, "put") => {
            let from = term::as_pid(from)?.clone();
            match store.iter_mut().find(|(k, _)| k == key) {
                Some((_, v)) => *v = value.clone(),
                None => store.push((key.clone(), value.clone())),
            }
            Some((from, term::tuple(vec![term::atom("ok"), key.clone()])))
        }
        // {:get, from, key} -> {:ok, value} | {:error, :not_found}
        [tag, from, key] if term::is_atom(tag, "get") => {
            let from = term::as_pid(from)?.clone();
            let reply = match store.iter().find(|(k, _)| k == key) {
                Some((_, v)) => term::tuple(vec![term::atom("ok"), v.clone()]),
                None => term::tuple(vec![term::atom("error"), term::atom("not_found")]),
            };
            Some((from, reply))
        }
        // {:keys, from} -> [key, ...]
        [tag, from] if term::is_atom(tag, "keys") => {
            let from = term::as_pid(from)?.clone();
            Some((
                from,
                term::list(store.iter().map(|(k, _)| k.clone()).collect()),
            ))
        }
        _ => None,
    }
}
