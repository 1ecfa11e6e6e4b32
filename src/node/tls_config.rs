//! TLS distribution settings (`-proto_dist inet_tls`): from an `-ssl_dist_optfile` file or from plain certificate/key/CA paths.

use std::path::{Path, PathBuf};
use thiserror::Error;

/// Whether a side checks the certificate its peer presents.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TlsVerify {
    /// `verify_peer`: the peer's chain must lead to a trusted CA; a node we dial
    /// must also present a certificate for the host part of its node name.
    Peer,
    /// `verify_none`: any certificate is accepted (the traffic is still encrypted,
    /// but anyone can pose as the peer).
    None,
}

/// A TLS protocol version.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TlsVersion {
    /// TLS 1.2 (`'tlsv1.2'`), the only version OTP's `inet_tls_dist` offers by default.
    Tls12,
    /// TLS 1.3 (`'tlsv1.3'`).
    Tls13,
}

/// The settings of one role: the `server` (accepting) or `client` (dialling)
/// section of an optfile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsSide {
    /// PEM certificate chain presented to the peer (`certfile`), leaf first.
    pub certfile: Option<PathBuf>,
    /// PEM private key (`keyfile`); when absent, the key is read from `certfile`.
    pub keyfile: Option<PathBuf>,
    /// PEM certificates of the CAs trusted to sign peers' certificates (`cacertfile`).
    pub cacertfile: Option<PathBuf>,
    /// Whether the peer's certificate is checked (`verify`).
    pub verify: TlsVerify,
    /// Server only: refuse a client that presents no certificate (`fail_if_no_peer_cert`).
    pub fail_if_no_peer_cert: bool,
    /// The TLS versions offered (`versions`).
    pub versions: Vec<TlsVersion>,
}

impl TlsSide {
    /// What an optfile section without options means in OTP 25: no checks,
    /// TLS 1.2 only (`inet_tls_dist` adds `{versions, ['tlsv1.2']}`).
    pub(crate) fn otp_default(verify: TlsVerify) -> Self {
        TlsSide {
            certfile: None,
            keyfile: None,
            cacertfile: None,
            verify,
            fail_if_no_peer_cert: false,
            versions: vec![TlsVersion::Tls12],
        }
    }
}

/// TLS distribution settings for both roles, as `inet_tls_dist` takes them.
///
/// Read an existing `-ssl_dist_optfile` with [`TlsConfig::from_optfile`], or
/// build one from a certificate, key and CA with [`TlsConfig::new`]. Pass it to
/// [`NodeBuilder::tls`](crate::NodeBuilder::tls); files are read when the node starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsConfig {
    /// Used when a peer dials us.
    pub server: TlsSide,
    /// Used when we dial a peer.
    pub client: TlsSide,
}

impl TlsConfig {
    /// Mutual TLS with one certificate and key for both roles: each side
    /// presents `cert`, and (with the default [`TlsVerify::Peer`]) requires the
    /// peer's certificate to be signed by a CA of [`TlsConfig::ca`]. TLS 1.2
    /// and 1.3 are offered.
    pub fn new(cert: impl Into<PathBuf>, key: impl Into<PathBuf>) -> Self {
        let cert = cert.into();
        let key = key.into();
        let side = TlsSide {
            certfile: Some(cert),
            keyfile: Some(key),
            cacertfile: None,
            verify: TlsVerify::Peer,
            fail_if_no_peer_cert: true,
            versions: vec![TlsVersion::Tls12, TlsVersion::Tls13],
        };
        TlsConfig {
            server: side.clone(),
            client: TlsSide {
                fail_if_no_peer_cert: false,
                ..side
            },
        }
    }

    /// The PEM file of trusted CAs, for both roles.
    pub fn ca(mut self, cacertfile: impl Into<PathBuf>) -> Self {
        let ca = cacertfile.into();
        self.server.cacertfile = Some(ca.clone());
        self.client.cacertfile = Some(ca);
        self
    }

    /// Whether peers' certificates are checked, in both roles. With
    /// [`TlsVerify::Peer`], a dialling peer must present a certificate too.
    pub fn verify(mut self, verify: TlsVerify) -> Self {
        self.server.verify = verify;
        self.server.fail_if_no_peer_cert = verify == TlsVerify::Peer;
        self.client.verify = verify;
        self
    }
}

/// Why TLS settings could not be read or used.
#[derive(Debug, Error)]
pub enum TlsError {
    /// The optfile is not what `inet_tls_dist` would accept, or uses an
    /// option erlnode does not support.
    #[error("{file}: {message}")]
    Optfile {
        /// The file.
        file: String,
        /// What is wrong, with the line or option.
        message: String,
    },
    /// A file could not be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// A file is larger than any certificate or key file would be.
    #[error("{path} is over {limit} bytes")]
    TooLarge {
        /// The file.
        path: PathBuf,
        /// The limit.
        limit: usize,
    },
    /// A private key file that group or others may access.
    #[error("private key file {path} must be accessible by owner only (its mode is {mode:o})")]
    KeyTooOpen {
        /// The file.
        path: PathBuf,
        /// Its permission bits.
        mode: u32,
    },
    /// A PEM file holds nothing of the kind wanted.
    #[error("{path}: no {what} found (PEM expected)")]
    NoPem {
        /// The file.
        path: PathBuf,
        /// "certificate" or "private key".
        what: &'static str,
    },
    /// A PEM file could not be parsed.
    #[error("{path}: bad PEM: {message}")]
    BadPem {
        /// The file.
        path: PathBuf,
        /// The parser's message.
        message: String,
    },
    /// A setting needed by this role is missing.
    #[error("{role}: {message}")]
    Missing {
        /// "server" or "client".
        role: &'static str,
        /// What is missing.
        message: &'static str,
    },
    /// rustls refused the certificates or key (for example a key that does not
    /// match the certificate).
    #[error("{role}: {source}")]
    Rustls {
        /// "server" or "client".
        role: &'static str,
        /// rustls' error.
        source: rustls::Error,
    },
}

/// Reads a file of at most `limit` bytes.
pub(crate) fn read_bounded(path: &Path, limit: usize) -> Result<Vec<u8>, TlsError> {
    use std::io::Read;
    let file = std::fs::File::open(path).map_err(|source| TlsError::Read {
        path: path.to_owned(),
        source,
    })?;
    let mut bytes = Vec::new();
    file.take(limit as u64 + 1)
        .read_to_end(&mut bytes)
        .map_err(|source| TlsError::Read {
            path: path.to_owned(),
            source,
        })?;
    if bytes.len() > limit {
        return Err(TlsError::TooLarge {
            path: path.to_owned(),
            limit,
        });
    }
    Ok(bytes)
}
