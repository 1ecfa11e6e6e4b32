//! Interop tests: EPMD client and embedded EPMD server against real `epmd` and `erl`.
