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
use erlnode::{Node, Term, names};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let node = Node::builder(names::short_name("rust")?)
        .cookie("secret")
        .start()
        .await?;

    // A key-value store as a process: its state lives in the task, its mailbox is
    // the only way in, as with a BEAM process.
    let kv = node.spawn(|mut p| async move {
        let mut store: Vec<(Term, Term)> = Vec::new();
        while let Ok(msg) = p.receive().await {
            match term::as_tuple(&msg) {
                // {:put, from, key, value} -> {:ok, key}
                Some([tag, from, key, value]) if term::is_atom(tag, "put") => {
                    let Some(from) = term::as_pid(from) else { continue };
                    match store.iter_mut().find(|(k, _)| k == key) {
                        Some((_, v)) => *v = value.clone(),
                        None => store.push((key.clone(), value.clone())),
                    }
                    p.send(from, term::tuple(vec![term::atom("ok"), key.clone()]));
                }
                // {:get, from, key} -> {:ok, value} | {:error, :not_found}
                Some([tag, from, key]) if term::is_atom(tag, "get") => {
                    let Some(from) = term::as_pid(from) else { continue };
                    let reply = match store.iter().find(|(k, _)| k == key) {
                        Some((_, v)) => term::tuple(vec![term::atom("ok"), v.clone()]),
                        None => term::tuple(vec![term::atom("error"), term::atom("not_found")]),
                    };
                    p.send(from, reply);
                }
                // {:keys, from} -> [key, ...]
                Some([tag, from]) if term::is_atom(tag, "keys") => {
                    let Some(from) = term::as_pid(from) else { continue };
                    let keys = store.iter().map(|(k, _)| k.clone()).collect();
                    p.send(from, term::list(keys));
                }
                // Anything else is printed and dropped, as a BEAM process that
                // logs what it does not understand.
                _ => println!("kv: unexpected message {}", inspect(&msg)),
            }
        }
        term::atom("normal")
    });
    node.register("kv", &kv)?;

    println!("{} is up; from iex:", node.name());
    println!("  send({{:kv, :\"{}\"}}, {{:put, self(), :color, \"blue\"}})", node.name());
    tokio::signal::ctrl_c().await?;
    node.shutdown().await;
    Ok(())
}
