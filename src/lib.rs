//! erlnode: a node that speaks the Erlang distribution protocol.
//!
//! `proto` is the sans-IO protocol core (no sockets, no clock); `node` is the
//! tokio runtime that drives it; `term_syntax` and `inspect` read and print
//! terms the way Elixir writes them.

pub mod inspect;
pub mod node;
pub mod proto;
pub mod term_syntax;
pub mod terms;

pub use eetf::Term;
