//! Node names: `--sname` (alive@short-host) and `--name` (alive@host.domain or alive@ip), as erl forms them.

use crate::proto::handshake::check_node_name;
use thiserror::Error;

/// Why a node name could not be formed.
#[derive(Debug, Error)]
pub enum NameError {
    /// The name given and what is wrong with it.
    #[error("invalid node name {0:?}: {1}")]
    Invalid(String, String),
    /// The host part was left out and the machine's host name is unknown.
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

/// The full node name for `--sname N` (or `N@host`): the host part is the
/// short host name, everything before the first dot.
pub fn short_name(arg: &str) -> Result<String, NameError> {
    let full = match arg.split_once('@') {
        Some(_) => arg.to_owned(),
        None => {
            let host = hostname()?;
            let short = host.split('.').next().unwrap_or(&host).to_owned();
            format!("{arg}@{short}")
        }
    };
    validate(full)
}

/// The full node name for `--name N@host` (or `N`, taking the full host name).
pub fn long_name(arg: &str) -> Result<String, NameError> {
    let full = match arg.split_once('@') {
        Some(_) => arg.to_owned(),
        None => format!("{arg}@{}", hostname()?),
    };
    validate(full)
}

fn validate(full: String) -> Result<String, NameError> {
    check_node_name(&full).map_err(|e| NameError::Invalid(full.clone(), e.to_string()))?;
    let (alive, _) = full.split_once('@').unwrap_or(("", ""));
    if !alive
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    {
        return Err(NameError::Invalid(
            full.clone(),
            "the name part may hold only letters, digits, _ and -".into(),
        ));
    }
    Ok(full)
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
        assert!(!short_name("rust").unwrap().contains('.'));
        assert_eq!(long_name("rust@127.0.0.1").unwrap(), "rust@127.0.0.1");
        assert!(short_name("ru st@vm").is_err());
        assert!(long_name("@x").is_err());
    }
}
