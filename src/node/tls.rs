//! TLS distribution transport (`inet_tls_dist`): the TLS handshake on a distribution connection, in both roles, with rustls.
//!
//! As in OTP, the dialling node is the TLS client and sends the host part of
//! the peer's node name as SNI; with `verify_peer` the server's certificate must
//! be valid for that host, and the accepting side checks the client's chain
//! only. Once TLS is up the distribution handshake runs inside it with 4-byte
//! packet lengths (see [`super::connection`]).

use super::tls_config::{TlsConfig, TlsError, TlsSide, TlsVerify, TlsVersion, read_bounded};
use rustls::RootCertStore;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use std::net::SocketAddr;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::sync::Arc;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;

/// Largest certificate, CA or key file read.
const MAX_PEM_FILE: usize = 1024 * 1024;

/// A stream the distribution runs over: plain TCP or TLS over TCP. Split into
/// halves for the reader and writer tasks.
pub(crate) trait DistStream: AsyncRead + AsyncWrite + Unpin + Send + 'static {
    type Read: AsyncRead + Unpin + Send + 'static;
    type Write: AsyncWrite + Unpin + Send + 'static;
    fn split(self) -> (Self::Read, Self::Write);
}

impl DistStream for TcpStream {
    type Read = tokio::net::tcp::OwnedReadHalf;
    type Write = tokio::net::tcp::OwnedWriteHalf;
    fn split(self) -> (Self::Read, Self::Write) {
        self.into_split()
    }
}

/// A TLS connection, either role.
pub(crate) type TlsStream = tokio_rustls::TlsStream<TcpStream>;

impl DistStream for TlsStream {
    type Read = tokio::io::ReadHalf<TlsStream>;
    type Write = tokio::io::WriteHalf<TlsStream>;
    fn split(self) -> (Self::Read, Self::Write) {
        tokio::io::split(self)
    }
}

/// The loaded TLS setup of a node: both roles ready to use.
pub(crate) struct Tls {
    acceptor: tokio_rustls::TlsAcceptor,
    connector: tokio_rustls::TlsConnector,
}

impl std::fmt::Debug for Tls {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Tls")
    }
}

/// The first byte of a TLS record carrying a handshake message.
const TLS_HANDSHAKE_RECORD: u8 = 0x16;
/// The first byte of a TLS record carrying an alert.
const TLS_ALERT_RECORD: u8 = 0x15;

impl Tls {
    /// Reads the certificates and keys and builds both roles' configurations.
    pub(crate) fn load(cfg: &TlsConfig) -> Result<Tls, TlsError> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let server = server_config(&cfg.server, &provider)?;
        let client = client_config(&cfg.client, &provider)?;
        Ok(Tls {
            acceptor: tokio_rustls::TlsAcceptor::from(Arc::new(server)),
            connector: tokio_rustls::TlsConnector::from(Arc::new(client)),
        })
    }

    /// The server side of the TLS handshake on an accepted connection. A peer
    /// that speaks plain distribution is recognised and named.
    pub(crate) async fn accept(
        &self,
        tcp: TcpStream,
        addr: SocketAddr,
    ) -> Result<TlsStream, String> {
        let mut first = [0u8; 512];
        let n = tcp
            .peek(&mut first)
            .await
            .map_err(|e| format!("read failed: {e}"))?;
        if n == 0 {
            return Err("connection closed before the TLS handshake".into());
        }
        if first[0] != TLS_HANDSHAKE_RECORD {
            return Err(format!(
                "{} dialled without TLS: this node runs TLS distribution (the peer needs -proto_dist inet_tls)",
                plain_peer(&first[..n]).unwrap_or_else(|| format!("a peer at {addr}"))
            ));
        }
        self.acceptor
            .accept(tcp)
            .await
            .map(tokio_rustls::TlsStream::Server)
            .map_err(|e| explain(&e, Role::Server))
    }

    /// The client side of the TLS handshake with the node at `host` (the host
    /// part of its name: sent as SNI and checked against its certificate).
    pub(crate) async fn connect(&self, host: &str, tcp: TcpStream) -> Result<TlsStream, String> {
        let name = ServerName::try_from(host.to_owned())
            .map_err(|_| format!("host {host} cannot be checked against a certificate"))?;
        self.connector
            .connect(name, tcp)
            .await
            .map(tokio_rustls::TlsStream::Client)
            .map_err(|e| explain(&e, Role::Client))
    }
}

/// The node name in a plain `send_name` packet, for the log.
fn plain_peer(bytes: &[u8]) -> Option<String> {
    let f = crate::proto::framing::check_packet2(bytes).ok()??;
    let sn = crate::proto::handshake::parse_send_name(&bytes[f.body]).ok()?;
    Some(format!("node {}", sn.name.escape_debug()))
}

/// Whether `bytes` begin a TLS handshake or alert record: what a TLS peer
/// sends first, or answers a plain handshake packet with.
pub(crate) fn looks_like_tls(bytes: &[u8]) -> bool {
    matches!(bytes, [TLS_HANDSHAKE_RECORD | TLS_ALERT_RECORD, 3, ..])
}

#[derive(Clone, Copy, PartialEq)]
enum Role {
    Server,
    Client,
}

/// Why a TLS handshake failed, in words an operator can act on.
fn explain(e: &std::io::Error, role: Role) -> String {
    let Some(err) = e
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<rustls::Error>())
    else {
        return match e.kind() {
            std::io::ErrorKind::UnexpectedEof | std::io::ErrorKind::ConnectionReset => {
                format!(
                    "the peer closed the connection during the TLS handshake ({e}){}",
                    if role == Role::Client {
                        ": it may not run TLS distribution, or may refuse our certificate"
                    } else {
                        ": it may not trust our certificate"
                    }
                )
            }
            _ => format!("TLS handshake failed: {e}"),
        };
    };
    use rustls::{CertificateError, Error};
    let hint = match err {
        Error::InvalidCertificate(CertificateError::UnknownIssuer) => {
            " (its CA is not in our cacertfile)"
        }
        Error::InvalidCertificate(
            CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
        ) => " (a node's certificate must name the host of its node name in subjectAltName)",
        Error::NoCertificatesPresented => {
            " (we require one: fail_if_no_peer_cert / --tls-verify peer)"
        }
        Error::AlertReceived(_) => {
            if role == Role::Client {
                " (the peer refused us: it may not trust our certificate, or need one)"
            } else {
                " (the peer refused us: it may not trust our certificate)"
            }
        }
        Error::InvalidMessage(_) if role == Role::Client => {
            " (the peer may not run TLS distribution)"
        }
        _ => "",
    };
    format!("TLS handshake failed: {err}{hint}")
}

fn versions(side: &TlsSide) -> Vec<&'static rustls::SupportedProtocolVersion> {
    side.versions
        .iter()
        .map(|v| match v {
            TlsVersion::Tls12 => &rustls::version::TLS12,
            TlsVersion::Tls13 => &rustls::version::TLS13,
        })
        .collect()
}

fn server_config(
    side: &TlsSide,
    provider: &Arc<CryptoProvider>,
) -> Result<rustls::ServerConfig, TlsError> {
    let role = "server";
    let rustls_err = |source| TlsError::Rustls { role, source };
    let certfile = side.certfile.as_deref().ok_or(TlsError::Missing {
        role,
        message: "a certificate (certfile / --tls-cert) is required to accept TLS connections",
    })?;
    let (certs, key) = cert_and_key(certfile, side.keyfile.as_deref())?;
    let builder = rustls::ServerConfig::builder_with_provider(provider.clone())
        .with_protocol_versions(&versions(side))
        .map_err(rustls_err)?;
    let builder = match side.verify {
        TlsVerify::None => builder.with_no_client_auth(),
        TlsVerify::Peer => {
            let roots = roots(side, role)?;
            let mut v = rustls::server::WebPkiClientVerifier::builder_with_provider(
                Arc::new(roots),
                provider.clone(),
            );
            if !side.fail_if_no_peer_cert {
                v = v.allow_unauthenticated();
            }
            let v = v.build().map_err(|e| TlsError::Rustls {
                role,
                source: rustls::Error::General(e.to_string()),
            })?;
            builder.with_client_cert_verifier(v)
        }
    };
    let mut config = builder.with_single_cert(certs, key).map_err(rustls_err)?;
    // Nodes never resume sessions: no tickets to hand out.
    config.send_tls13_tickets = 0;
    Ok(config)
}

fn client_config(
    side: &TlsSide,
    provider: &Arc<CryptoProvider>,
) -> Result<rustls::ClientConfig, TlsError> {
    let role = "client";
    let rustls_err = |source| TlsError::Rustls { role, source };
    let builder = rustls::ClientConfig::builder_with_provider(provider.clone())
        .with_protocol_versions(&versions(side))
        .map_err(rustls_err)?;
    let builder = match side.verify {
        TlsVerify::Peer => {
            let roots = roots(side, role)?;
            let v = rustls::client::WebPkiServerVerifier::builder_with_provider(
                Arc::new(roots),
                provider.clone(),
            )
            .build()
            .map_err(|e| TlsError::Rustls {
                role,
                source: rustls::Error::General(e.to_string()),
            })?;
            builder.with_webpki_verifier(v)
        }
        TlsVerify::None => {
            tracing::warn!(
                "TLS distribution: the certificates of nodes we dial are not checked (verify_none)"
            );
            builder
                .dangerous()
                .with_custom_certificate_verifier(Arc::new(AnyServer(provider.clone())))
        }
    };
    match &side.certfile {
        Some(certfile) => {
            let (certs, key) = cert_and_key(certfile, side.keyfile.as_deref())?;
            builder
                .with_client_auth_cert(certs, key)
                .map_err(rustls_err)
        }
        None => Ok(builder.with_no_client_auth()),
    }
}

/// The trusted CAs of a side that verifies its peer.
fn roots(side: &TlsSide, role: &'static str) -> Result<RootCertStore, TlsError> {
    let path = side.cacertfile.as_deref().ok_or(TlsError::Missing {
        role,
        message: "verify_peer needs the CA certificates to trust (cacertfile / --tls-ca)",
    })?;
    let mut roots = RootCertStore::empty();
    for cert in certs(path)? {
        roots
            .add(cert)
            .map_err(|source| TlsError::Rustls { role, source })?;
    }
    Ok(roots)
}

fn certs(path: &Path) -> Result<Vec<CertificateDer<'static>>, TlsError> {
    let bytes = read_bounded(path, MAX_PEM_FILE)?;
    let certs = CertificateDer::pem_slice_iter(&bytes)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| TlsError::BadPem {
            path: path.to_owned(),
            message: e.to_string(),
        })?;
    if certs.is_empty() {
        return Err(TlsError::NoPem {
            path: path.to_owned(),
            what: "certificate",
        });
    }
    Ok(certs)
}

/// The certificate chain, and the key from `keyfile` or else from the
/// certificate file itself (as OTP does). The file holding the key must be
/// private to its owner, as the cookie file must.
fn cert_and_key(
    certfile: &Path,
    keyfile: Option<&Path>,
) -> Result<(Vec<CertificateDer<'static>>, PrivateKeyDer<'static>), TlsError> {
    let certs = certs(certfile)?;
    let keyfile = keyfile.unwrap_or(certfile);
    check_private(keyfile)?;
    let bytes = read_bounded(keyfile, MAX_PEM_FILE)?;
    let key = PrivateKeyDer::from_pem_slice(&bytes).map_err(|e| match e {
        rustls::pki_types::pem::Error::NoItemsFound => TlsError::NoPem {
            path: keyfile.to_owned(),
            what: "private key",
        },
        e => TlsError::BadPem {
            path: keyfile.to_owned(),
            message: e.to_string(),
        },
    })?;
    Ok((certs, key))
}

/// Refuses a key file that group or others may read or write.
fn check_private(path: &Path) -> Result<(), TlsError> {
    let meta = std::fs::metadata(path).map_err(|source| TlsError::Read {
        path: path.to_owned(),
        source,
    })?;
    let mode = meta.permissions().mode() & 0o777;
    if mode & 0o077 != 0 {
        return Err(TlsError::KeyTooOpen {
            path: path.to_owned(),
            mode,
        });
    }
    Ok(())
}

/// `verify_none` for the client role: any server certificate is taken, but
/// the handshake signatures are still checked (the session stays encrypted to
/// whoever holds the presented key).
#[derive(Debug)]
struct AnyServer(Arc<CryptoProvider>);

impl ServerCertVerifier for AnyServer {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::node::tls_config::TlsConfig;

    /// A CA-signed certificate and key written to a fresh directory.
    fn files(tag: &str) -> (PathBuf, PathBuf, PathBuf) {
        let dir =
            std::env::temp_dir().join(format!("erlnode-tls-unit-{}-{tag}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let ca_key = rcgen::KeyPair::generate().unwrap();
        let mut ca = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
        ca.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        let ca_cert = ca.self_signed(&ca_key).unwrap();
        let issuer = rcgen::Issuer::new(ca, ca_key);
        let key = rcgen::KeyPair::generate().unwrap();
        let leaf = rcgen::CertificateParams::new(vec!["localhost".to_string()])
            .unwrap()
            .signed_by(&key, &issuer)
            .unwrap();
        let (c, k, a) = (dir.join("n.pem"), dir.join("n.key"), dir.join("ca.pem"));
        std::fs::write(&c, leaf.pem()).unwrap();
        std::fs::write(&k, key.serialize_pem()).unwrap();
        std::fs::set_permissions(&k, std::fs::Permissions::from_mode(0o600)).unwrap();
        std::fs::write(&a, ca_cert.pem()).unwrap();
        (c, k, a)
    }

    use std::path::PathBuf;

    #[test]
    fn loads_a_good_setup() {
        let (c, k, a) = files("good");
        Tls::load(&TlsConfig::new(&c, &k).ca(&a)).unwrap();
        Tls::load(&TlsConfig::new(&c, &k).verify(TlsVerify::None)).unwrap();
    }

    #[test]
    fn a_key_others_can_read_is_refused() {
        let (c, k, a) = files("open");
        std::fs::set_permissions(&k, std::fs::Permissions::from_mode(0o640)).unwrap();
        let e = Tls::load(&TlsConfig::new(&c, &k).ca(&a)).unwrap_err();
        assert!(matches!(e, TlsError::KeyTooOpen { mode: 0o640, .. }), "{e}");
        assert!(e.to_string().contains("owner only"), "{e}");
    }

    #[test]
    fn missing_or_wrong_files_are_named() {
        let (c, k, a) = files("wrong");
        let e = Tls::load(&TlsConfig::new(&c, &k)).unwrap_err().to_string();
        assert!(e.contains("cacertfile"), "{e}");
        let e = Tls::load(&TlsConfig::new(&c, &k).ca(a.with_extension("nope")))
            .unwrap_err()
            .to_string();
        assert!(e.contains("ca.nope"), "{e}");
        // A key file that holds a certificate only.
        let e = Tls::load(&TlsConfig::new(&c, &a).ca(&a)).unwrap_err();
        assert!(
            matches!(e, TlsError::KeyTooOpen { .. } | TlsError::NoPem { .. }),
            "{e}"
        );
        std::fs::set_permissions(&a, std::fs::Permissions::from_mode(0o600)).unwrap();
        let e = Tls::load(&TlsConfig::new(&c, &a).ca(&a)).unwrap_err();
        assert!(
            matches!(
                e,
                TlsError::NoPem {
                    what: "private key",
                    ..
                }
            ),
            "{e}"
        );
        // Another key than the certificate's.
        let (_, other_key, _) = files("other");
        let e = Tls::load(&TlsConfig::new(&c, &other_key).ca(&a)).unwrap_err();
        assert!(matches!(e, TlsError::Rustls { .. }), "{e}");
        let _ = k;
    }

    #[test]
    fn plain_and_tls_first_bytes_are_told_apart() {
        let mut sn = Vec::new();
        crate::proto::framing::put_packet2(&mut sn, b"N\0\0\0\0\0\0\0\0\0\0\0\0\0\x04a@vm");
        assert!(!looks_like_tls(&sn));
        assert!(looks_like_tls(&[0x16, 3, 1, 0, 0xc8]));
        assert!(looks_like_tls(&[0x15, 3, 3, 0, 2]));
        assert_eq!(plain_peer(&sn).as_deref(), Some("node a@vm"));
        assert_eq!(plain_peer(&sn[..5]), None);
    }
}
