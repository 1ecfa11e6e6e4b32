//! Node names: `--sname` (alive@short-host) and `--name` (alive@host.domain or alive@ip), formed and checked as erl (`net_kernel`) does.

use crate::proto::handshake::{HandshakeError, check_node_name};
use thiserror::Error;

/// A node name that cannot be used, and why (in erl's words where erl has some).
#[derive(Debug, Error)]
pub enum NameError {
    /// The name given, and why it cannot be used.
    #[error("invalid node name {0:?}: {1}")]
    Invalid(String, String),
    /// `gethostname` failed or gave an empty name.
    #[error("cannot determine this machine's host name")]
    NoHostname,
}

/// This machine's host name, as `inet:gethostname/0` gives it.
pub fn hostname() -> Result<String, NameError> {
    let h = gethostname::gethostname()
        .into_string()
        .map_err(|_| NameError::NoHostname)?;
    if h.is_empty() {
        Err(NameError::NoHostname)
    } else {
        Ok(h)
    }
}

/// The full node name for `erl -sname N` (or `N@host`): the host part defaults
/// to the short host name (everything before the first dot); a host with a dot
/// is refused, as erl refuses it ("Can't set short node name!").
pub fn short_name(arg: &str) -> Result<String, NameError> {
    let (alive, host) = arg.split_once('@').unwrap_or((arg, ""));
    let host = if host.is_empty() {
        let h = hostname()?;
        h.split('.').next().unwrap_or(&h).to_owned()
    } else if host.contains('.') {
        return Err(NameError::Invalid(
            arg.to_owned(),
            "Can't set short node name! (a short name's host has no dots; use --name for NAME@HOST.DOMAIN)".into(),
        ));
    } else {
        host.to_owned()
    };
    validate(arg, alive, &host)
}

/// The full node name for `erl -name N@host` (or `N`): without a host, the host
/// name with its DNS domain, which erl requires ("Can't set long node name!"
/// when the host has no domain).
pub fn long_name(arg: &str) -> Result<String, NameError> {
    let (alive, host) = arg.split_once('@').unwrap_or((arg, ""));
    let host = if host.is_empty() {
        let h = hostname()?;
        match (h.contains('.'), resolv_domain()) {
            (true, _) => h,
            (false, Some(domain)) => format!("{h}.{domain}"),
            (false, None) => {
                return Err(NameError::Invalid(
                    arg.to_owned(),
                    format!(
                        "Can't set long node name! (this host's name {h:?} has no domain; give NAME@HOST.DOMAIN or NAME@IP)"
                    ),
                ));
            }
        }
    } else {
        host.to_owned()
    };
    validate(arg, alive, &host)
}

/// A full `alive@host` name as the builder takes it; without `@host`, this
/// machine's host name is added.
pub(crate) fn full_name(arg: &str) -> Result<String, NameError> {
    match arg.split_once('@') {
        Some((alive, host)) if !host.is_empty() => validate(arg, alive, host),
        _ => {
            let alive = arg.split('@').next().unwrap_or(arg);
            validate(arg, alive, &hostname()?)
        }
    }
}

/// Checks the name of a node to talk to: `NAME@HOST`, both parts present.
pub fn check_remote(node: &str) -> Result<(), NameError> {
    let bad = |why: &str| Err(NameError::Invalid(node.to_owned(), why.to_owned()));
    match node.split_once('@') {
        None => bad("expected NAME@HOST"),
        Some(("", _)) => bad("the name before @ is empty"),
        Some((_, "")) => bad("the host after @ is empty"),
        Some((alive, host)) => validate(node, alive, host).map(|_| ()),
    }
}

/// erl's rules: the name part `[0-9A-Za-z_-]+`, the host printable Latin-1
/// without spaces; and the limits of the handshake.
fn validate(arg: &str, alive: &str, host: &str) -> Result<String, NameError> {
    let invalid = |why: &str| NameError::Invalid(arg.to_owned(), why.to_owned());
    if alive.is_empty()
        || !alive
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    {
        return Err(invalid(
            "Invalid node name! (the part before @ may hold only letters, digits, _ and -)",
        ));
    }
    if !host.chars().all(|c| ('!'..='ÿ').contains(&c)) {
        return Err(invalid(
            "Invalid node name! (the host may hold no spaces or characters beyond Latin-1)",
        ));
    }
    let full = format!("{alive}@{host}");
    check_node_name(&full).map_err(|e| match e {
        HandshakeError::BadNodeName { why, .. } => invalid(why),
        other => invalid(&other.to_string()),
    })?;
    Ok(full)
}

/// The DNS domain from `/etc/resolv.conf` (`domain`, else the first `search`),
/// where erl's `inet_db` finds it.
fn resolv_domain() -> Option<String> {
    let text = std::fs::read_to_string("/etc/resolv.conf").ok()?;
    let field = |key: &str| {
        text.lines().find_map(|l| {
            let mut words = l.split_whitespace();
            (words.next() == Some(key))
                .then(|| words.next().map(str::to_owned))
                .flatten()
        })
    };
    field("domain").or_else(|| field("search"))
}

/// Splits `alive@host`.
pub fn split(node: &str) -> Option<(&str, &str)> {
    node.split_once('@')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert_eq!(short_name("rust@vm").unwrap(), "rust@vm");
        assert!(short_name("rust").unwrap().starts_with("rust@"));
        assert!(short_name("rust@").unwrap().starts_with("rust@"));
        assert!(!short_name("rust").unwrap().contains('.'));
        assert_eq!(long_name("rust@127.0.0.1").unwrap(), "rust@127.0.0.1");
        // erl -name foo@bar is accepted: an explicit host needs no dot.
        assert_eq!(long_name("foo@bar").unwrap(), "foo@bar");
        assert!(short_name("ru st@vm").is_err());
        assert!(long_name("@x").is_err());
    }

    /// What `erl` says on OTP 25 (`erl -sname foo@vm.example.com` prints
    /// "Can't set short node name!", `erl -sname @vm` and `-sname 'fo o'`
    /// "Invalid node name!").
    #[test]
    fn refusals_in_erls_words() {
        let e = short_name("foo@vm.example.com").unwrap_err().to_string();
        assert!(
            e.starts_with("invalid node name \"foo@vm.example.com\": Can't set short node name!"),
            "{e}"
        );
        let e = short_name("@vm").unwrap_err().to_string();
        assert!(e.contains("Invalid node name!"), "{e}");
        assert_eq!(e.matches("invalid node name").count(), 1, "{e}");
        let e = short_name("fo o").unwrap_err().to_string();
        assert!(e.contains("Invalid node name!"), "{e}");
        let e = check_remote("one").unwrap_err().to_string();
        assert_eq!(e, "invalid node name \"one\": expected NAME@HOST");
        assert!(check_remote("one@").is_err());
        assert!(check_remote("@vm").is_err());
        assert!(check_remote("one@vm").is_ok());
    }

    #[test]
    fn long_name_without_a_host_needs_a_domain() {
        match (hostname().unwrap().contains('.'), resolv_domain()) {
            (false, None) => {
                let e = long_name("foo").unwrap_err().to_string();
                assert!(e.contains("Can't set long node name!"), "{e}");
            }
            _ => assert!(long_name("foo").unwrap().contains('.')),
        }
    }
}
