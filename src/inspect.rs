//! Printing ETF terms the way Elixir's `inspect` prints them.
