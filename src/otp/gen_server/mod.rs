//! GenServer both ways: a Rust server that BEAM's `GenServer.call`/`cast`/`stop` and `:sys` talk to, and calls from Rust to any gen_server.

mod client;
mod server;

pub use client::{GenCallError, ServerRef};
pub use server::{CallReply, Flow, GenServer, Options, ReplyTo, StartError, start, start_with};
