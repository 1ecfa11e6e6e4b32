//! How the CLI reads terms and module names from its arguments and prints results, as iex does.

/// Parses command-line terms in Elixir syntax; an error names the argument and position.
pub fn parse_terms(args: &[String]) -> Result<Vec<erlnode::Term>, Box<dyn std::error::Error>> {
    args.iter()
        .enumerate()
        .map(|(i, a)| {
            erlnode::term::parse::parse_term(a)
                .map_err(|e| format!("argument {} ({a:?}): {e}", i + 1).into())
        })
        .collect()
}

/// `Enum` means the Elixir module `Elixir.Enum`, `:lists` or `lists` the Erlang one.
pub fn module_atom(m: &str) -> String {
    if let Some(erl) = m.strip_prefix(':') {
        erl.to_owned()
    } else if m.starts_with(|c: char| c.is_ascii_uppercase()) {
        format!("Elixir.{m}")
    } else {
        m.to_owned()
    }
}
