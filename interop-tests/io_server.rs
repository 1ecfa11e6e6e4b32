//! Interop tests: our I/O server driven by real iex.
