//! Sans-IO core of the Erlang distribution protocol: no sockets, no clock.

pub mod control;
pub mod digest;
pub mod dist_header;
pub mod epmd;
pub mod etf;
pub mod flags;
pub mod fragments;
pub mod framing;
pub mod handshake;
