//! Erlang's io_lib:format control sequences (~p, ~s, ~w, ~n, ...) and Erlang-syntax term printing.

use super::rpc::Exception;
use eetf::Term;

/// Erlang syntax for a term, as `~p` prints it.
pub fn erlang_term(t: &Term) -> String {
    t.to_string()
}

/// Formats `fmt` with `args` as `io_lib:format/2` does.
pub fn format(fmt: &Term, args: &Term) -> Result<Vec<u8>, Exception> {
    let mut f = Vec::new();
    super::io::chardata(fmt, &mut f)?;
    let args = crate::terms::as_list(args).ok_or_else(Exception::badarg)?;
    let mut args = args.into_iter();
    let text = String::from_utf8_lossy(&f).into_owned();
    let mut out = String::new();
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c != '~' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n') => out.push('\n'),
            Some('~') => out.push('~'),
            Some('s') => {
                let a = args.next().ok_or_else(Exception::badarg)?;
                out.push_str(&String::from_utf8_lossy(&super::io::to_string(&a)?));
            }
            Some('p' | 'w') => {
                let a = args.next().ok_or_else(Exception::badarg)?;
                out.push_str(&erlang_term(&a));
            }
            _ => return Err(Exception::badarg()),
        }
    }
    Ok(out.into_bytes())
}
