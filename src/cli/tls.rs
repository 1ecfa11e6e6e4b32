//! The command line's TLS distribution options: `--proto-dist inet_tls`, `--ssl-dist-optfile`, and the plain `--tls-*` flags.

use clap::{Args, ValueEnum};
use erlnode::{NodeBuilder, TlsConfig, TlsVerify};
use std::path::PathBuf;

/// The distribution carrier, as `erl -proto_dist` names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum ProtoDist {
    /// Plain TCP (the default).
    #[value(name = "inet_tcp")]
    InetTcp,
    /// TLS over TCP, as `-proto_dist inet_tls`.
    #[value(name = "inet_tls")]
    InetTls,
}

/// `--tls-verify`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum Verify {
    /// Check peers' certificates against --tls-ca, both ways (mutual TLS).
    Peer,
    /// Accept any certificate (encrypted, but not authenticated).
    None,
}

#[derive(Args, Debug, Clone, Default)]
pub struct TlsArgs {
    /// Distribution carrier: inet_tcp (plain) or inet_tls (TLS, as `erl -proto_dist inet_tls`).
    /// TLS needs --ssl-dist-optfile or --tls-cert/--tls-key.
    #[arg(long, value_name = "PROTO")]
    proto_dist: Option<ProtoDist>,
    /// The Erlang-term file BEAM nodes take with -ssl_dist_optfile
    /// ([{server, [{certfile, ...}, ...]}, {client, [...]}]). Implies inet_tls.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["tls_cert", "tls_key", "tls_ca", "tls_verify"])]
    ssl_dist_optfile: Option<PathBuf>,
    /// PEM certificate (chain) this node presents, dialling and accepting. Implies inet_tls.
    #[arg(long, value_name = "FILE", requires = "tls_key")]
    tls_cert: Option<PathBuf>,
    /// PEM private key of --tls-cert (readable by its owner only).
    #[arg(long, value_name = "FILE", requires = "tls_cert")]
    tls_key: Option<PathBuf>,
    /// PEM certificates of the CAs trusted to sign peers' certificates.
    #[arg(long, value_name = "FILE")]
    tls_ca: Option<PathBuf>,
    /// peer (default): mutual TLS, peers' certificates checked against --tls-ca
    /// (and a dialled node's against its host); none: no checks.
    #[arg(long, value_name = "MODE")]
    tls_verify: Option<Verify>,
}

impl TlsArgs {
    /// The TLS settings these flags ask for; `None` for plain distribution.
    pub(crate) fn config(&self) -> Result<Option<TlsConfig>, String> {
        let tls_flags = self.tls_cert.is_some()
            || self.tls_ca.is_some()
            || self.tls_verify.is_some()
            || self.ssl_dist_optfile.is_some();
        match self.proto_dist {
            Some(ProtoDist::InetTcp) if tls_flags => {
                return Err("TLS options were given with --proto-dist inet_tcp".into());
            }
            Some(ProtoDist::InetTcp) => return Ok(None),
            None if !tls_flags => return Ok(None),
            _ => {}
        }
        if let Some(file) = &self.ssl_dist_optfile {
            return TlsConfig::from_optfile(file)
                .map(Some)
                .map_err(|e| format!("--ssl-dist-optfile: {e}"));
        }
        let (Some(cert), Some(key)) = (&self.tls_cert, &self.tls_key) else {
            return Err(
                "TLS distribution needs --ssl-dist-optfile FILE, or --tls-cert and --tls-key"
                    .into(),
            );
        };
        let mut cfg = TlsConfig::new(cert, key).verify(match self.tls_verify {
            Some(Verify::None) => TlsVerify::None,
            _ => TlsVerify::Peer,
        });
        if let Some(ca) = &self.tls_ca {
            cfg = cfg.ca(ca);
        }
        Ok(Some(cfg))
    }

    /// Adds the TLS settings to a node builder.
    pub(crate) fn apply(&self, b: NodeBuilder) -> Result<NodeBuilder, String> {
        Ok(match self.config()? {
            Some(cfg) => b.tls(cfg),
            None => b,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct T {
        #[command(flatten)]
        tls: TlsArgs,
    }

    fn parse(args: &[&str]) -> Result<Option<TlsConfig>, String> {
        let t = T::try_parse_from(std::iter::once("t").chain(args.iter().copied()))
            .map_err(|e| e.to_string())?;
        t.tls.config()
    }

    #[test]
    fn plain_unless_asked() {
        assert_eq!(parse(&[]).unwrap(), None);
        assert_eq!(parse(&["--proto-dist", "inet_tcp"]).unwrap(), None);
    }

    #[test]
    fn flags_make_mutual_tls() {
        let c = parse(&[
            "--tls-cert",
            "c.pem",
            "--tls-key",
            "k.pem",
            "--tls-ca",
            "ca.pem",
        ])
        .unwrap()
        .unwrap();
        assert_eq!(c, TlsConfig::new("c.pem", "k.pem").ca("ca.pem"));
        assert_eq!(c.server.verify, TlsVerify::Peer);
        assert!(c.server.fail_if_no_peer_cert);
        let c = parse(&[
            "--proto-dist",
            "inet_tls",
            "--tls-cert",
            "c.pem",
            "--tls-key",
            "k.pem",
            "--tls-verify",
            "none",
        ])
        .unwrap()
        .unwrap();
        assert_eq!(c.client.verify, TlsVerify::None);
        assert!(!c.server.fail_if_no_peer_cert);
    }

    #[test]
    fn incomplete_or_contradictory_flags_are_errors() {
        let e = parse(&["--proto-dist", "inet_tls"]).unwrap_err();
        assert!(e.contains("--ssl-dist-optfile"), "{e}");
        assert!(parse(&["--tls-cert", "c.pem"]).is_err());
        assert!(parse(&["--proto-dist", "inet_tcp", "--tls-ca", "ca.pem"]).is_err());
        assert!(
            parse(&[
                "--ssl-dist-optfile",
                "f",
                "--tls-cert",
                "c",
                "--tls-key",
                "k"
            ])
            .is_err()
        );
        let e = parse(&["--ssl-dist-optfile", "/nonexistent/ssl_dist.conf"]).unwrap_err();
        assert!(e.contains("/nonexistent/ssl_dist.conf"), "{e}");
    }
}
