//! Rust calling an Elixir GenServer with a typed request and a typed reply.
//!
//! Start an Elixir node with an `Inventory` server registered as `:inventory`:
//!
//! ```sh
//! iex --sname shop --cookie secret
//! iex> defmodule Inventory do
//! ...>   use GenServer
//! ...>   def init(stock), do: {:ok, stock}
//! ...>   def handle_call({:add, %{sku: sku, qty: qty}}, _from, stock) when qty > 0 do
//! ...>     stock = Map.update(stock, sku, qty, &(&1 + qty))
//! ...>     {:reply, {:ok, %{sku: sku, total: stock[sku]}}, stock}
//! ...>   end
//! ...>   def handle_call({:add, _}, _from, stock), do: {:reply, {:error, "qty must be positive"}, stock}
//! ...> end
//! iex> GenServer.start(Inventory, %{}, name: :inventory)
//! ```
//!
//! then:
//!
//! ```sh
//! cargo run --example call_elixir -- --sname rust --cookie secret --peer shop@myhost
//! ```

use erlnode::{Node, names};
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// `%{sku: "...", qty: n}` in Elixir.
#[derive(Debug, Serialize)]
struct Line {
    sku: String,
    qty: i64,
}

/// `{:add, %{...}}`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "snake_case")]
enum Request {
    Add(Line),
}

/// `%{sku: "...", total: n}`.
#[derive(Debug, Deserialize)]
struct Stock {
    sku: String,
    total: i64,
}

/// `{:ok, %{...}}` or `{:error, "why"}`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "snake_case")]
enum Reply {
    Ok(Stock),
    Error(String),
}

fn args() -> Result<(String, String, String), String> {
    let (mut name, mut cookie, mut peer) = (None, None, None);
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        let value = it.next().ok_or(format!("{a} needs a value"))?;
        match a.as_str() {
            "--sname" => name = Some(names::short_name(&value).map_err(|e| e.to_string())?),
            "--name" => name = Some(names::long_name(&value).map_err(|e| e.to_string())?),
            "--cookie" => cookie = Some(value),
            "--peer" => peer = Some(value),
            _ => return Err(format!("unknown option {a}")),
        }
    }
    Ok((
        name.unwrap_or(names::short_name("rust").map_err(|e| e.to_string())?),
        cookie.ok_or("--cookie is required")?,
        peer.ok_or("--peer is required")?,
    ))
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let (name, cookie, peer) = args().map_err(|e| {
        format!("{e}\nusage: call_elixir [--sname NAME | --name NAME] --cookie C --peer NODE")
    })?;
    let node = Node::builder(name).cookie(cookie).start().await?;
    let mut me = node.process();
    for (sku, qty) in [("apple", 3), ("apple", 2), ("pear", -1)] {
        let req = Request::Add(Line {
            sku: sku.into(),
            qty,
        });
        let reply: Reply = me
            .call(
                ("inventory", peer.as_str()),
                erlnode::term::to_term(&req)?,
                Duration::from_secs(5),
            )
            .await
            .map_err(|e| format!("call failed: {e}"))
            .and_then(|t| erlnode::term::from_term(&t).map_err(|e| format!("reply: {e}")))?;
        match reply {
            Reply::Ok(Stock { sku, total }) => println!("{sku}: {total} in stock"),
            Reply::Error(why) => println!("refused: {why}"),
        }
    }
    // The same with call_as, which converts both ways.
    let reply: Reply = me
        .call_as(
            ("inventory", peer.as_str()),
            &Request::Add(Line {
                sku: "plum".into(),
                qty: 1,
            }),
            Duration::from_secs(5),
        )
        .await?;
    println!("{reply:?}");
    node.shutdown().await;
    Ok(())
}
