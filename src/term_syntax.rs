//! Reading terms typed in Elixir syntax (the CLI's arguments) into ETF terms.
