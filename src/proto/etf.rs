//! Erlang External Term Format: bounded, panic-free decoding of peer bytes and encoding, on top of eetf.
