//! Interop tests for TLS distribution: real BEAM nodes with `-proto_dist inet_tls` and ours, both roles, TLS 1.2 and 1.3, mutual TLS, and every refusal.

mod common;

use common::*;
use erlnode::{Node, TlsConfig, term};
use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose,
};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// A CA made for one test, and the files of the certificates it signs. Nothing
/// here outlives the test's temporary directory; no key is ever committed.
struct Pki {
    dir: PathBuf,
    issuer: Issuer<'static, KeyPair>,
    ca: PathBuf,
}

/// What a node certificate looks like.
struct Leaf<'a> {
    /// subjectAltName DNS names / IP addresses.
    names: &'a [&'a str],
    expired: bool,
}

impl Pki {
    fn new(tag: &str) -> Pki {
        let dir = std::env::temp_dir().join(unique(&format!("erlnode-tls-{tag}-")));
        std::fs::create_dir_all(&dir).unwrap();
        let key = KeyPair::generate().unwrap();
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params
            .distinguished_name
            .push(DnType::CommonName, format!("erlnode test CA {tag}"));
        params.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::CrlSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        let cert = params.self_signed(&key).unwrap();
        let ca = dir.join("ca.pem");
        std::fs::write(&ca, cert.pem()).unwrap();
        Pki {
            dir,
            issuer: Issuer::new(params, key),
            ca,
        }
    }

    /// Writes `NAME.pem` and `NAME.key` (mode 0600) and returns their paths.
    fn leaf(&self, name: &str, leaf: Leaf<'_>) -> (PathBuf, PathBuf) {
        let key = KeyPair::generate().unwrap();
        let mut params =
            CertificateParams::new(leaf.names.iter().map(|s| s.to_string()).collect::<Vec<_>>())
                .unwrap();
        params.distinguished_name.push(DnType::CommonName, name);
        params.extended_key_usages = vec![
            ExtendedKeyUsagePurpose::ServerAuth,
            ExtendedKeyUsagePurpose::ClientAuth,
        ];
        if leaf.expired {
            params.not_before = rcgen::date_time_ymd(2020, 1, 1);
            params.not_after = rcgen::date_time_ymd(2020, 6, 1);
        }
        let cert = params.signed_by(&key, &self.issuer).unwrap();
        let cert_path = self.dir.join(format!("{name}.pem"));
        let key_path = self.dir.join(format!("{name}.key"));
        std::fs::write(&cert_path, cert.pem()).unwrap();
        std::fs::write(&key_path, key.serialize_pem()).unwrap();
        std::fs::set_permissions(&key_path, std::fs::Permissions::from_mode(0o600)).unwrap();
        (cert_path, key_path)
    }

    /// A certificate for this host, valid for what our node names use.
    fn host_leaf(&self, name: &str) -> (PathBuf, PathBuf) {
        let host = short_host();
        self.leaf(
            name,
            Leaf {
                names: &[&host, "localhost", "127.0.0.1"],
                expired: false,
            },
        )
    }

    /// An `-ssl_dist_optfile` for mutual TLS with `cert`/`key`, trusting `ca`.
    /// `client_cert: false` leaves the certificate out of the client section.
    fn optfile(
        &self,
        name: &str,
        (cert, key): &(PathBuf, PathBuf),
        ca: &Path,
        versions: &str,
        client_cert: bool,
    ) -> PathBuf {
        let (cert, key, ca) = (cert.display(), key.display(), ca.display());
        let client_cert = if client_cert {
            format!(r#"{{certfile, "{cert}"}}, {{keyfile, "{key}"}}, "#)
        } else {
            String::new()
        };
        // OTP refuses TLS 1.2 options in a TLS 1.3-only setup.
        let reneg = if versions.contains("1.2") {
            ", {secure_renegotiate, true}"
        } else {
            ""
        };
        let text = format!(
            r#"% written by the test
[{{server, [{{certfile, "{cert}"}}, {{keyfile, "{key}"}}, {{cacertfile, "{ca}"}},
            {{verify, verify_peer}}, {{fail_if_no_peer_cert, true}}, {{versions, [{versions}]}}]}},
 {{client, [{client_cert}{{cacertfile, "{ca}"}}, {{verify, verify_peer}},
            {{versions, [{versions}]}}{reneg}]}}].
"#
        );
        let path = self.dir.join(format!("{name}.conf"));
        std::fs::write(&path, text).unwrap();
        path
    }
}

impl Drop for Pki {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

const TLS12: &str = "'tlsv1.2'";
const TLS13: &str = "'tlsv1.3'";

/// `elixir` with `-proto_dist inet_tls -ssl_dist_optfile FILE`.
fn tls_elixir(alive: &str, cookie: &str, epmd: u16, optfile: &Path, script: &str) -> Proc {
    let opt = optfile.display().to_string();
    elixir_with(
        "--sname",
        alive,
        cookie,
        epmd,
        script,
        &["-proto_dist", "inet_tls", "-ssl_dist_optfile", &opt],
    )
}

/// An Elixir node that prints `ready` and stays up for a while.
const IDLE: &str = r#"IO.puts("ready"); Process.sleep(60_000)"#;

/// A script that pings `us` and prints the outcome and that it is still fine.
fn ping_script(us: &str) -> String {
    format!(
        r#"
        IO.puts("ping=#{{Node.ping(:"{us}")}}")
        IO.puts("still_alive=#{{inspect(self() |> Process.alive?())}} list=#{{inspect Node.list()}}")
        "#
    )
}

fn init_tracing() {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_test_writer()
        .try_init();
}

async fn tls_node(alive: &str, epmd: u16, tls: TlsConfig) -> Node {
    init_tracing();
    Node::builder(sname(alive))
        .cookie(COOKIE)
        .epmd_port(epmd)
        .tls(tls)
        .start()
        .await
        .expect("TLS node starts")
}

/// Over TLS (mutual, OTP's default TLS 1.2): a BEAM node dials us and uses
/// Node.list, Node.ping, a registered send, rpc, spawn and :global; we dial
/// another BEAM node and call it.
#[tokio::test(flavor = "multi_thread")]
async fn beam_and_erlnode_work_over_mutual_tls() {
    if !have_elixir("beam_and_erlnode_work_over_mutual_tls") {
        return;
    }
    let pki = Pki::new("basic");
    let files = pki.host_leaf("node");
    let optfile = pki.optfile("dist", &files, &pki.ca, TLS12, true);
    let epmd = free_port();
    let node = tls_node(
        &unique("rust"),
        epmd,
        TlsConfig::from_optfile(&optfile).unwrap(),
    )
    .await;
    start_echo(&node);
    let us = node.name().to_owned();

    let other = unique("other");
    let idle = tls_elixir(&other, COOKIE, epmd, &optfile, IDLE);
    idle.wait_for("ready", 30).await;
    node.connect(&sname(&other))
        .await
        .expect("we dial a TLS BEAM node");
    let r = node
        .call(
            &sname(&other),
            "erlang",
            "node",
            vec![],
            Duration::from_secs(10),
        )
        .await
        .expect("rpc to the BEAM node over TLS");
    assert_eq!(r, term::atom(&sname(&other)));

    let script = format!(
        r#"
        us = :"{us}"
        IO.puts("connect=#{{Node.connect(us)}}")
        IO.puts("list=#{{inspect Node.list()}}")
        IO.puts("ping=#{{Node.ping(us)}}")
        send({{:echo, us}}, {{self(), :hello_tls}})
        receive do
          :hello_tls -> IO.puts("echo=ok")
        after 10_000 -> IO.puts("echo=timeout")
        end
        IO.puts("rpc=#{{:rpc.call(us, :erlang, :node, [])}}")
        IO.puts("erpc=#{{:erpc.call(us, fn -> 20 + 22 end)}}")
        Node.spawn(us, IO, :puts, ["spawned over tls"])
        :yes = :global.register_name(:tls_beam, self())
        :global.sync()
        IO.puts("registered")
        receive do
          {{:from_rust, x}} -> IO.puts("global_send=#{{x}}")
        after 20_000 -> IO.puts("global_send=timeout")
        end
        "#
    );
    let mut ex = tls_elixir(&unique("beam"), COOKIE, epmd, &optfile, &script);
    ex.wait_for("registered", 30).await;
    let mut pid = None;
    for _ in 0..200 {
        pid = erlnode::global::whereis_name(&node, "tls_beam");
        if pid.is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let pid = pid.expect(":global name registered over TLS");
    node.send(
        &pid,
        term::tuple(vec![term::atom("from_rust"), term::atom("via_global")]),
    );
    assert!(ex.finish(30).await, "elixir failed:\n{}", ex.output());
    let out = ex.output();
    for want in [
        "connect=true".to_string(),
        format!(":{us}"),
        "ping=pong".into(),
        "echo=ok".into(),
        format!("rpc={us}"),
        "erpc=42".into(),
        "spawned over tls".into(),
        "global_send=via_global".into(),
    ] {
        assert!(out.contains(&want), "missing {want:?} in:\n{out}");
    }
    assert!(node.nodes().contains(&sname(&other)), "{:?}", node.nodes());
    node.shutdown().await;
}

/// TLS 1.3 both ways, and our CLI's one-shot commands with the plain `--tls-*`
/// flags (which offer 1.2 and 1.3) against a BEAM node that takes 1.3 only.
#[tokio::test(flavor = "multi_thread")]
async fn tls13_both_ways_and_cli_flags() {
    if !have_elixir("tls13_both_ways_and_cli_flags") {
        return;
    }
    let pki = Pki::new("v13");
    let files = pki.host_leaf("node");
    let optfile = pki.optfile("dist13", &files, &pki.ca, TLS13, true);
    let epmd = free_port();
    let node = tls_node(
        &unique("rust"),
        epmd,
        TlsConfig::from_optfile(&optfile).unwrap(),
    )
    .await;
    start_echo(&node);
    let us = node.name().to_owned();
    let beam = unique("beam");
    let script = format!(
        r#"
        IO.puts("ping=#{{Node.ping(:"{us}")}}")
        Process.register(self(), :inbox)
        IO.puts("ready")
        receive do
          msg -> IO.puts("got=#{{inspect msg}}")
        after 30_000 -> IO.puts("got=timeout")
        end
        Process.sleep(2_000)
        "#
    );
    let mut ex = tls_elixir(&beam, COOKIE, epmd, &optfile, &script);
    ex.wait_for("ready", 30).await;
    assert!(ex.output().contains("ping=pong"), "{}", ex.output());
    // Drop the BEAM's connection, then dial it ourselves.
    assert!(node.disconnect(&sname(&beam)));
    let r = node
        .call(
            &sname(&beam),
            "erlang",
            "node",
            vec![],
            Duration::from_secs(10),
        )
        .await
        .expect("we dial over TLS 1.3");
    assert_eq!(r, term::atom(&sname(&beam)));

    let (cert, key) = (files.0.display().to_string(), files.1.display().to_string());
    let ca = pki.ca.display().to_string();
    let flags = [
        "--cookie",
        COOKIE,
        "--tls-cert",
        &cert,
        "--tls-key",
        &key,
        "--tls-ca",
        &ca,
    ];
    let target = sname(&beam);
    let mut ping = erlnode(&[&["ping", &target][..], &flags].concat(), epmd);
    assert!(ping.finish(30).await, "erlnode ping:\n{}", ping.output());
    assert!(ping.output().contains("pong"));
    let mut call = erlnode(
        &[&["call", &target, ":erlang", "node"][..], &flags].concat(),
        epmd,
    );
    assert!(call.finish(30).await, "erlnode call:\n{}", call.output());
    assert!(
        call.output().contains(&format!(":{target}")),
        "{}",
        call.output()
    );
    let mut send = erlnode(
        &[&["send", &target, "inbox", ":over_tls"][..], &flags].concat(),
        epmd,
    );
    assert!(send.finish(30).await, "erlnode send:\n{}", send.output());
    assert!(ex.finish(30).await, "{}", ex.output());
    assert!(ex.output().contains("got=:over_tls"), "{}", ex.output());
    node.shutdown().await;
}

/// Each refusal, seen from both sides: the BEAM node's connection fails and it
/// goes on; our node logs why and keeps serving the peer it already has.
#[tokio::test(flavor = "multi_thread")]
async fn refusals_say_why_and_harm_nobody() {
    if !have_elixir("refusals_say_why_and_harm_nobody") {
        return;
    }
    let pki = Pki::new("refuse");
    let good = pki.host_leaf("good");
    let optfile = pki.optfile("good", &good, &pki.ca, TLS12, true);
    let epmd = free_port();
    let rust = unique("rust");
    let us = sname(&rust);
    let opt = optfile.display().to_string();
    let ours = erlnode(
        &[
            "--sname",
            &rust,
            "--cookie",
            COOKIE,
            "--ssl-dist-optfile",
            &opt,
        ],
        epmd,
    );
    ours.wait_for("is up", 30).await;

    // A good peer, connected throughout.
    let keeper = unique("keeper");
    let keeper_script = format!(
        r#"
        Process.register(self(), :keeper)
        IO.puts("first=#{{Node.ping(:"{us}")}}")
        receive do
          :again -> IO.puts("again=#{{Node.ping(:"{us}")}} list=#{{inspect Node.list()}}")
        after 90_000 -> IO.puts("again=never")
        end
        "#
    );
    let mut keeper_ex = tls_elixir(&keeper, COOKIE, epmd, &optfile, &keeper_script);
    keeper_ex.wait_for("first=pong", 30).await;

    // The bad peers, all at once.
    let other_ca = Pki::new("other");
    let stranger = other_ca.host_leaf("stranger");
    let stranger_opt = other_ca.optfile("stranger", &stranger, &pki.ca, TLS12, true);
    let expired = pki.leaf(
        "expired",
        Leaf {
            names: &[&short_host(), "localhost"],
            expired: true,
        },
    );
    let expired_opt = pki.optfile("expired", &expired, &pki.ca, TLS12, true);
    let anonymous_opt = pki.optfile("anon", &good, &pki.ca, TLS12, false);
    let script = ping_script(&us);
    let mut bad = vec![
        (
            "plain",
            elixir("--sname", &unique("plain"), COOKIE, epmd, &script),
        ),
        (
            "untrusted CA",
            tls_elixir(&unique("stranger"), COOKIE, epmd, &stranger_opt, &script),
        ),
        (
            "expired",
            tls_elixir(&unique("expired"), COOKIE, epmd, &expired_opt, &script),
        ),
        (
            "no client certificate",
            tls_elixir(&unique("anon"), COOKIE, epmd, &anonymous_opt, &script),
        ),
        (
            "wrong cookie",
            tls_elixir(&unique("cookie"), "not_the_cookie", epmd, &optfile, &script),
        ),
    ];
    for (what, ex) in &mut bad {
        assert!(
            ex.finish(60).await,
            "{what}: elixir failed:\n{}",
            ex.output()
        );
        let out = ex.output();
        assert!(out.contains("ping=pang"), "{what}: {out}");
        assert!(out.contains("still_alive=true"), "{what}: {out}");
    }
    let log = ours.output();
    for want in [
        "dialled without TLS",
        "UnknownIssuer",
        "expired",
        "no certificate",
        "cookie",
    ] {
        assert!(log.contains(want), "our log lacks {want:?}:\n{log}");
    }

    // The peer we had is still served: our CLI's `send` over TLS wakes it,
    // and it pings us again on its old connection.
    let mut send = erlnode(
        &[
            "send",
            &sname(&keeper),
            "keeper",
            ":again",
            "--cookie",
            COOKIE,
            "--ssl-dist-optfile",
            &opt,
        ],
        epmd,
    );
    assert!(send.finish(30).await, "erlnode send:\n{}", send.output());
    assert!(keeper_ex.finish(30).await, "{}", keeper_ex.output());
    let out = keeper_ex.output();
    assert!(out.contains("again=pong"), "{out}");
    assert!(out.contains(&format!(":{us}")), "{out}");
}

/// When we dial: a plain node, a certificate for another host, an expired one,
/// one from a CA we do not trust, and a BEAM node that does not trust ours are
/// all refused with the reason; a plain erlnode dialling a TLS node is told so.
#[tokio::test(flavor = "multi_thread")]
async fn our_dials_refuse_bad_peers() {
    if !have_elixir("our_dials_refuse_bad_peers") {
        return;
    }
    let pki = Pki::new("dial");
    let good = pki.host_leaf("good");
    let optfile = pki.optfile("good", &good, &pki.ca, TLS12, true);
    let other_ca = Pki::new("dialother");
    let stranger = other_ca.host_leaf("stranger");
    // Trusts our CA (so it would accept us) but presents a certificate of another.
    let stranger_opt = other_ca.optfile("stranger", &stranger, &pki.ca, TLS12, true);
    let elsewhere = pki.leaf(
        "elsewhere",
        Leaf {
            names: &["elsewhere.example"],
            expired: false,
        },
    );
    let elsewhere_opt = pki.optfile("elsewhere", &elsewhere, &pki.ca, TLS12, true);
    let expired = pki.leaf(
        "expired",
        Leaf {
            names: &[&short_host(), "localhost"],
            expired: true,
        },
    );
    let expired_opt = pki.optfile("expired", &expired, &pki.ca, TLS12, true);
    // A good BEAM node that does not trust the CA of the stranger's certificate.
    let epmd = free_port();
    let names: Vec<String> = (0..5).map(|i| unique(&format!("srv{i}"))).collect();
    let servers = vec![
        elixir("--sname", &names[0], COOKIE, epmd, IDLE),
        tls_elixir(&names[1], COOKIE, epmd, &elsewhere_opt, IDLE),
        tls_elixir(&names[2], COOKIE, epmd, &expired_opt, IDLE),
        tls_elixir(&names[3], COOKIE, epmd, &stranger_opt, IDLE),
        tls_elixir(&names[4], COOKIE, epmd, &optfile, IDLE),
    ];
    for s in &servers {
        s.wait_for("ready", 30).await;
    }
    let opt = optfile.display().to_string();
    // Trusts the good node's CA, but presents a certificate it does not trust.
    let stranger_client = stranger_opt.display().to_string();
    let cases: Vec<(&str, Vec<String>, &str)> = vec![
        ("plain peer", vec![names[0].clone(), opt.clone()], "does"),
        (
            "wrong host",
            vec![names[1].clone(), opt.clone()],
            "not valid for name",
        ),
        ("expired", vec![names[2].clone(), opt.clone()], "expired"),
        (
            "untrusted CA",
            vec![names[3].clone(), opt.clone()],
            "UnknownIssuer",
        ),
        (
            "BEAM refuses our certificate",
            vec![names[4].clone(), stranger_client],
            "refused",
        ),
    ];
    let mut runs = Vec::new();
    for (what, args, _) in &cases {
        let target = sname(&args[0]);
        runs.push((
            *what,
            erlnode(
                &[
                    "ping",
                    &target,
                    "--cookie",
                    COOKIE,
                    "--ssl-dist-optfile",
                    &args[1],
                ],
                epmd,
            ),
        ));
    }
    // A plain erlnode dialling a TLS node.
    let target = sname(&names[4]);
    runs.push((
        "plain us",
        erlnode(&["ping", &target, "--cookie", COOKIE], epmd),
    ));
    let wants: Vec<&str> = cases
        .iter()
        .map(|c| c.2)
        .chain(["the peer speaks TLS"])
        .collect();
    for ((what, run), want) in runs.iter_mut().zip(wants) {
        assert!(!run.finish(60).await, "{what}: ping should fail");
        let out = run.output();
        assert!(out.contains("pang"), "{what}: {out}");
        assert!(out.contains(want), "{what}: wanted {want:?} in:\n{out}");
    }
    // The BEAM nodes are unaffected: the good one still answers.
    let mut ping = erlnode(
        &[
            "ping",
            &sname(&names[4]),
            "--cookie",
            COOKIE,
            "--ssl-dist-optfile",
            &opt,
        ],
        epmd,
    );
    assert!(ping.finish(30).await, "{}", ping.output());
    drop(servers);
}
