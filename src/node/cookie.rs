//! The magic cookie: from the command line, or `~/.erlang.cookie` read (and created when absent) as erl does.

use std::fs;
use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use thiserror::Error;

/// Why the cookie could not be had.
#[derive(Debug, Error)]
pub enum CookieError {
    /// `HOME` is unset or empty, so `~/.erlang.cookie` has no place.
    #[error("cannot find the home directory (HOME is not set) to read .erlang.cookie")]
    NoHome,
    /// The cookie file may be read or written by group or others; erl refuses it too.
    #[error("cookie file {path} must be accessible by owner only (its mode is {mode:o})")]
    TooOpen {
        /// The cookie file.
        path: PathBuf,
        /// Its permission bits.
        mode: u32,
    },
    /// The cookie file exists but cannot be read.
    #[error("cannot read cookie file {path}: {source}")]
    Read {
        /// The cookie file.
        path: PathBuf,
        /// What the file system said.
        source: std::io::Error,
    },
    /// The cookie file was absent and could not be created.
    #[error("cannot create cookie file {path}: {source}")]
    Create {
        /// The cookie file.
        path: PathBuf,
        /// What the file system said.
        source: std::io::Error,
    },
    /// The cookie file holds no cookie.
    #[error("cookie file {path} is empty")]
    Empty {
        /// The cookie file.
        path: PathBuf,
    },
    /// An empty cookie given directly (erl takes `-setcookie ''`, but then only
    /// nodes with the same empty cookie could connect: a mistake, not a setting).
    #[error("the cookie is empty")]
    EmptyGiven,
    /// erl holds the cookie in an atom, at most 255 characters (longer fails its start with system_limit).
    #[error("the cookie is {len} characters long; erl accepts at most 255 (an atom)")]
    TooLong {
        /// Its length in characters.
        len: usize,
    },
}

/// A cookie. Its Debug and Display never show the secret.
#[derive(Clone, PartialEq, Eq)]
pub struct Cookie(String);

impl Cookie {
    /// A cookie with the given secret text.
    ///
    /// ```
    /// let c = erlnode::Cookie::new("secret");
    /// assert_eq!(format!("{c:?}"), "Cookie(<hidden>)");
    /// ```
    pub fn new(secret: impl Into<String>) -> Self {
        Cookie(secret.into())
    }
    /// Refuses what no erl node could share: an empty cookie, or one longer than
    /// an atom (255 characters).
    pub fn checked(self) -> Result<Self, CookieError> {
        let len = self.0.chars().count();
        if len == 0 {
            Err(CookieError::EmptyGiven)
        } else if len > 255 {
            Err(CookieError::TooLong { len })
        } else {
            Ok(self)
        }
    }
    /// The secret, as the handshake digests it.
    pub fn as_bytes(&self) -> &[u8] {
        self.0.as_bytes()
    }
}

impl std::fmt::Debug for Cookie {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Cookie(<hidden>)")
    }
}

/// `~/.erlang.cookie`.
pub fn default_path() -> Result<PathBuf, CookieError> {
    std::env::var_os("HOME")
        .filter(|h| !h.is_empty())
        .map(|h| Path::new(&h).join(".erlang.cookie"))
        .ok_or(CookieError::NoHome)
}

/// Reads the cookie file at `path`, creating it with 20 random upper-case
/// letters and mode 0400 when it does not exist, as erl does. A file that
/// group or others may read or write is refused.
pub fn load_or_create(path: &Path) -> Result<Cookie, CookieError> {
    match fs::metadata(path) {
        Ok(meta) => {
            let mode = meta.permissions().mode() & 0o777;
            if mode & 0o077 != 0 {
                return Err(CookieError::TooOpen {
                    path: path.to_owned(),
                    mode,
                });
            }
            let text = fs::read_to_string(path).map_err(|source| CookieError::Read {
                path: path.to_owned(),
                source,
            })?;
            // erl takes the first line, without surrounding blanks.
            let secret = text.lines().next().unwrap_or("").trim().to_owned();
            if secret.is_empty() {
                return Err(CookieError::Empty {
                    path: path.to_owned(),
                });
            }
            Ok(Cookie(secret))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let secret = random_cookie();
            let create = |p: &Path| -> std::io::Result<()> {
                let mut f = fs::OpenOptions::new()
                    .write(true)
                    .create_new(true)
                    .mode(0o400)
                    .open(p)?;
                f.write_all(secret.as_bytes())
            };
            create(path).map_err(|source| CookieError::Create {
                path: path.to_owned(),
                source,
            })?;
            Ok(Cookie(secret))
        }
        Err(source) => Err(CookieError::Read {
            path: path.to_owned(),
            source,
        }),
    }
}

fn random_cookie() -> String {
    (0..20)
        .map(|_| char::from(b'A' + (rand::random::<u8>() % 26)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tmp(name: &str) -> PathBuf {
        let dir =
            std::env::temp_dir().join(format!("erlnode-cookie-{}-{}", std::process::id(), name));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        dir.join(".erlang.cookie")
    }

    #[test]
    fn creates_a_private_random_cookie_then_reads_it_back() {
        let p = tmp("create");
        let c = load_or_create(&p).unwrap();
        assert_eq!(c.0.len(), 20);
        assert!(c.0.bytes().all(|b| b.is_ascii_uppercase()));
        assert_eq!(
            fs::metadata(&p).unwrap().permissions().mode() & 0o777,
            0o400
        );
        assert_eq!(load_or_create(&p).unwrap(), c);
    }

    #[test]
    fn refuses_a_file_others_can_read() {
        let p = tmp("open");
        fs::write(&p, "SECRETCOOKIE\n").unwrap();
        fs::set_permissions(&p, fs::Permissions::from_mode(0o644)).unwrap();
        let err = load_or_create(&p).unwrap_err();
        assert!(err.to_string().contains("owner only"), "{err}");
        assert!(!err.to_string().contains("SECRETCOOKIE"));
        fs::set_permissions(&p, fs::Permissions::from_mode(0o600)).unwrap();
        assert_eq!(load_or_create(&p).unwrap(), Cookie::new("SECRETCOOKIE"));
    }

    #[test]
    fn debug_hides_the_secret() {
        assert_eq!(format!("{:?}", Cookie::new("s3cr3t")), "Cookie(<hidden>)");
    }
}
