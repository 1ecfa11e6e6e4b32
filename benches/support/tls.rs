//! TLS distribution for the BEAM benchmark: a CA and a certificate for this host made at run time, and the `-ssl_dist_optfile` both sides read.

use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair, KeyUsagePurpose};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

/// Certificates and the options file, removed when dropped.
pub struct BenchTls {
    dir: PathBuf,
    pub optfile: PathBuf,
}

impl BenchTls {
    /// Mutual TLS for nodes on `host`, TLS 1.2 and 1.3 offered (peers agree on
    /// the highest both have).
    pub fn new(host: &str) -> BenchTls {
        let dir = std::env::temp_dir().join(format!("erlnode-bench-tls-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("bench TLS dir");
        let ca_key = KeyPair::generate().expect("CA key");
        let mut ca = CertificateParams::new(Vec::<String>::new()).expect("CA params");
        ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca.distinguished_name
            .push(DnType::CommonName, "erlnode bench CA");
        ca.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        let ca_cert = ca.self_signed(&ca_key).expect("CA certificate");
        let issuer = Issuer::new(ca, ca_key);
        let key = KeyPair::generate().expect("node key");
        let mut leaf = CertificateParams::new(vec![host.to_string(), "localhost".to_string()])
            .expect("node params");
        leaf.extended_key_usages = vec![
            rcgen::ExtendedKeyUsagePurpose::ServerAuth,
            rcgen::ExtendedKeyUsagePurpose::ClientAuth,
        ];
        let cert = leaf.signed_by(&key, &issuer).expect("node certificate");
        let write = |name: &str, text: String| {
            let p = dir.join(name);
            std::fs::write(&p, text).expect("bench TLS file");
            p
        };
        let ca_path = write("ca.pem", ca_cert.pem());
        let cert_path = write("node.pem", cert.pem());
        let key_path = write("node.key", key.serialize_pem());
        std::fs::set_permissions(&key_path, std::fs::Permissions::from_mode(0o600))
            .expect("key mode");
        let side = |extra: &str| {
            format!(
                "[{{certfile, \"{}\"}}, {{keyfile, \"{}\"}}, {{cacertfile, \"{}\"}}, \
                 {{verify, verify_peer}}{extra}, {{versions, ['tlsv1.2', 'tlsv1.3']}}]",
                cert_path.display(),
                key_path.display(),
                ca_path.display()
            )
        };
        let optfile = write(
            "ssl_dist.conf",
            format!(
                "[{{server, {}}},\n {{client, {}}}].\n",
                side(", {fail_if_no_peer_cert, true}"),
                side("")
            ),
        );
        BenchTls { dir, optfile }
    }

    /// The emulator flags that put a BEAM node on TLS distribution.
    pub fn erl_args(&self) -> String {
        format!(
            "-proto_dist inet_tls -ssl_dist_optfile {}",
            self.optfile.display()
        )
    }

    pub fn optfile(&self) -> &Path {
        &self.optfile
    }
}

impl Drop for BenchTls {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
