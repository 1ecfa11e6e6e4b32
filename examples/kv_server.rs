//! A GenServer registered as `kv` that Elixir calls like any other: a map of
//! terms, with `{:put, key, value}` -> `:ok`, `{:get, key}` -> `{:ok, value}` or
//! `:error`, and the cast `{:delete, key}`.
//!
//! ```sh
//! cargo run --example kv_server -- --sname kv --cookie secret
//! iex --sname one --cookie secret
//! iex> GenServer.call({:kv, :"kv@myhost"}, {:put, :color, "blue"})
//! :ok
//! iex> GenServer.call({:kv, :"kv@myhost"}, {:get, :color})
//! {:ok, "blue"}
//! iex> GenServer.cast({:kv, :"kv@myhost"}, {:delete, :color})
//! iex> :sys.get_state({:kv, :"kv@myhost"})
//! %{}
//! ```

use erlnode::gen_server::{self, CallReply, Flow, GenServer, Options, ReplyTo};
use erlnode::term::{self, from_term};
use erlnode::{Node, Process, Term, names};
use serde::Deserialize;
use std::collections::HashMap;

/// The calls `kv` understands, read from the request term with serde: keys
/// and values are any term, kept as they came.
#[derive(Deserialize)]
#[serde(rename_all = "snake_case")]
enum Call {
    Put(
        #[serde(with = "erlnode::term::serde::term")] Term,
        #[serde(with = "erlnode::term::serde::term")] Term,
    ),
    Get(#[serde(with = "erlnode::term::serde::term")] Term),
}

/// The casts.
#[derive(Deserialize)]
#[serde(rename_all = "snake_case")]
enum Cast {
    Delete(#[serde(with = "erlnode::term::serde::term")] Term),
}

#[derive(Default)]
struct Kv {
    map: HashMap<Term, Term>,
}

impl GenServer for Kv {
    async fn handle_call(&mut self, req: Term, _from: ReplyTo, _ctx: &mut Process) -> CallReply {
        match from_term::<Call>(&req) {
            Ok(Call::Put(k, v)) => {
                self.map.insert(k, v);
                CallReply::Reply(term::atom("ok"))
            }
            Ok(Call::Get(k)) => CallReply::Reply(match self.map.get(&k) {
                Some(v) => term::tuple(vec![term::atom("ok"), v.clone()]),
                None => term::atom("error"),
            }),
            // An unknown request gets {:error, reason} rather than crashing the server.
            Err(e) => CallReply::Reply(term::tuple(vec![
                term::atom("error"),
                term::binary(e.to_string()),
            ])),
        }
    }

    async fn handle_cast(&mut self, req: Term, _ctx: &mut Process) -> Flow {
        match from_term::<Cast>(&req) {
            Ok(Cast::Delete(k)) => {
                self.map.remove(&k);
            }
            Err(e) => eprintln!("kv: ignoring cast {}: {e}", term::display(&req)),
        }
        Flow::Continue
    }

    fn state_term(&self) -> Term {
        Term::Map(eetf::Map::from(self.map.clone()))
    }
}

/// `--sname NAME` / `--name NAME` and `--cookie COOKIE`.
fn args() -> Result<(String, String), String> {
    let mut name = None;
    let mut cookie = None;
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        let value = it.next().ok_or(format!("{a} needs a value"))?;
        match a.as_str() {
            "--sname" => name = Some(names::short_name(&value).map_err(|e| e.to_string())?),
            "--name" => name = Some(names::long_name(&value).map_err(|e| e.to_string())?),
            "--cookie" => cookie = Some(value),
            _ => return Err(format!("unknown option {a}")),
        }
    }
    Ok((
        name.unwrap_or(names::short_name("kv").map_err(|e| e.to_string())?),
        cookie.ok_or("--cookie is required")?,
    ))
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let (name, cookie) = args().map_err(|e| {
        format!("{e}\nusage: kv_server [--sname NAME | --name NAME] --cookie COOKIE")
    })?;
    let node = Node::builder(name).cookie(cookie).start().await?;
    gen_server::start_with(&node, Kv::default(), Options::new().name("kv")).await?;
    println!("kv ready on {}", node.name());
    tokio::signal::ctrl_c().await?;
    node.shutdown().await;
    Ok(())
}
