//! Interop tests: iex shell funs spawned on our node.
