//! erlnode: a node that speaks the Erlang distribution protocol.
//!
//! A [`Node`] registers with EPMD, accepts and dials distribution connections with
//! the cookie handshake, and runs lightweight [`Process`]es that BEAM nodes can
//! send to, link, monitor and call. It answers what a BEAM node expects to find on
//! a peer (`net_kernel`, `rex`, `erpc`, `:global`, spawn requests, group-leader I/O).
//!
//! ```no_run
//! use erlnode::{Node, term};
//! use std::time::Duration;
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let node = Node::builder("rust@localhost").cookie("secret").start().await?;
//!
//! // A registered process: `send({:inbox, :"rust@localhost"}, :hello)` from iex reaches it.
//! let inbox = node.spawn(|mut p| async move {
//!     while let Ok(msg) = p.receive().await {
//!         println!("got {msg}");
//!     }
//!     term::atom("normal")
//! });
//! node.register("inbox", &inbox)?;
//!
//! // Call a function on a BEAM node, as `:erpc.call/4` does.
//! let sum = node
//!     .call("elixir@localhost", "Elixir.Enum", "sum", vec![term::list(vec![term::int(1), term::int(2)])],
//!           Duration::from_secs(5))
//!     .await?;
//! println!("{}", erlnode::term::print::inspect(&sum)); // 3
//! # Ok(()) }
//! ```
//!
//! Layout: `proto` is the sans-IO wire core (no sockets, no clock); `node` the tokio
//! runtime; `otp` the services a BEAM node expects on a peer; `eval` the interpreter
//! of shell funs; [`term`] terms as Rust values, printed and parsed in Elixir syntax.

#![warn(missing_docs)]

mod eval;
mod node;
mod otp;
#[doc(hidden)]
pub mod proto;
pub mod term;

pub use eetf;
pub use eetf::{Atom, Pid, Reference, Term};
pub use node::{
    CallError, Cookie, CookieError, DEFAULT_MAX_FRAME, DEFAULT_MAX_INCOMING_BUFFERED,
    DEFAULT_MAX_REASSEMBLY, DEFAULT_MAX_SEND_QUEUE, DEFAULT_MAX_SIGNALS_PER_PEER,
    DEFAULT_MAX_SIGNALS_PER_REMOTE_PID, IoStats, Node, NodeBuilder, NodeError, NodeEvent, Process,
    READ_BUFFER_ALLOWANCE, ReceiveError, TlsConfig, TlsError, TlsSide, TlsVerify, TlsVersion,
};
pub use otp::rpc::{CallContext, Class, Exception, RpcFuture};

/// Node names: `name@host` as `erl -sname` and `erl -name` form them.
pub mod names {
    pub use crate::node::names::{NameError, check_remote, hostname, long_name, short_name, split};
}

/// EPMD: the client calls a node makes, and an EPMD server to embed or run.
pub mod epmd {
    pub use crate::node::epmd_client::{
        Registration, epmd_port_from_env, names, port_please, register, register_or_serve,
    };
    pub use crate::node::epmd_server::{EpmdServer, EpmdServerHandle};
    pub use crate::proto::epmd::{EpmdError, NodeEntry};
}

/// `:global`: cluster-wide names, as OTP's `global` module offers them.
pub mod global {
    pub use crate::otp::global::{
        GlobalError, re_register_name, register_name, register_name_term, registered_names, send,
        sync, unregister_name, unregister_name_term, whereis_name, whereis_name_term,
    };
}

/// `:pg` process groups: scopes that take part in OTP's `pg` protocol with BEAM nodes.
pub mod pg {
    pub use crate::otp::pg::{
        DEFAULT_SCOPE, Monitor, PgError, PgEvent, PidOrPids, Scope, scope, start, start_default,
    };
}

/// Phoenix.PubSub (its default PG2 adapter) on this node: subscribe to topics
/// and broadcast to the subscribers of every node in an Elixir cluster.
pub mod pubsub {
    pub use crate::otp::pubsub::{
        DEFAULT_DISPATCHER, Options, PG_SCOPE, PubSub, PubSubError, elixir_atom, group_names,
        start, start_with,
    };
}

/// GenServer both ways: a Rust [`gen_server::GenServer`] that BEAM's
/// `GenServer.call`/`cast`/`stop` and `:sys` talk to, and [`Process::call`] /
/// [`Process::cast`] (or [`Node::gen_call`] / [`Node::gen_cast`]) to call any
/// gen_server, BEAM's or ours. See `docs/genserver.md`.
pub mod gen_server {
    pub use crate::otp::gen_server::{
        CallReply, Flow, GenCallError, GenServer, Options, ReplyTo, ServerRef, StartError, start,
        start_with,
    };
}

/// I/O servers: processes that BEAM code can use as a group leader or an `IO` device.
pub mod io {
    pub use crate::otp::io_server::{
        IoServerConfig, start_server, start_server_with, start_stdout_server,
    };
}
