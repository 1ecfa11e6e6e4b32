//! Interop tests: EPMD client and embedded EPMD server against real `epmd` and `erl`.
//!
//! Every test uses its own free port (found by binding port 0) so tests run in
//! parallel without touching the machine's EPMD on 4369. Real `epmd` and
//! `erl` processes are started with `kill_on_drop`, so they are killed even
//! when an assertion fails; `erl` runs with `-start_epmd false` so it never
//! forks a daemon EPMD we could not clean up.
//!
//! Without `erl`/`epmd` on PATH the tests that need them print a loud skip
//! message and pass, unless `CI=true`, where they fail.

use std::net::{Ipv4Addr, SocketAddr, TcpListener};
use std::process::Stdio;
use std::time::{Duration, Instant};

use erlnode::epmd::{self, Registration};
use erlnode::epmd::{EpmdServer, EpmdServerHandle};
use erlnode::proto::epmd::EpmdError;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::process::{Child, Command};

/// Whether `erl` and `epmd` are installed; handles the skip/fail policy.
fn have_otp(test: &str) -> bool {
    let found = |tool: &str| {
        std::env::var_os("PATH")
            .is_some_and(|path| std::env::split_paths(&path).any(|dir| dir.join(tool).is_file()))
    };
    if found("erl") && found("epmd") {
        return true;
    }
    if std::env::var("CI").as_deref() == Ok("true") {
        panic!("{test}: `erl`/`epmd` not found on PATH, and CI=true requires them");
    }
    eprintln!(
        "\n\
         ************************************************************\n\
         *** SKIPPING {test}: `erl`/`epmd` not on PATH\n\
         *** (install Erlang/OTP; with CI=true this test fails)\n\
         ************************************************************\n"
    );
    false
}

fn free_port() -> u16 {
    let l = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
    l.local_addr().unwrap().port()
}

fn local(port: u16) -> SocketAddr {
    SocketAddr::from((Ipv4Addr::LOCALHOST, port))
}

/// A node name unique to this test process and port.
fn unique(prefix: &str, port: u16) -> String {
    format!("{prefix}{}x{port}", std::process::id())
}

/// Starts a real `epmd -port <port>` in the foreground and waits until it
/// accepts connections. Killed when the returned child is dropped.
async fn start_real_epmd(port: u16) -> Child {
    let child = Command::new("epmd")
        .arg("-port")
        .arg(port.to_string())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("spawn epmd");
    let deadline = Instant::now() + Duration::from_secs(10);
    while TcpStream::connect(local(port)).await.is_err() {
        assert!(Instant::now() < deadline, "real epmd did not start");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    child
}

/// Starts `erl -sname <name>` that registers with the EPMD on `epmd_port`
/// and then idles. Killed when the returned child is dropped.
fn start_erl(name: &str, epmd_port: u16) -> Child {
    Command::new("erl")
        .args(["-sname", name, "-noshell", "-start_epmd", "false"])
        .args(["-setcookie", "epmdinteroptest"])
        .args(["-eval", "receive after infinity -> ok end."])
        .env("ERL_EPMD_PORT", epmd_port.to_string())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("spawn erl")
}

/// Runs a short `erl -noshell -eval` (no distribution) against the EPMD on
/// `epmd_port` and returns its stdout.
async fn erl_eval(epmd_port: u16, expr: &str) -> String {
    let out = Command::new("erl")
        .args(["-noshell", "-start_epmd", "false", "-eval", expr])
        .env("ERL_EPMD_PORT", epmd_port.to_string())
        .stdin(Stdio::null())
        .kill_on_drop(true)
        .output()
        .await
        .expect("run erl");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// `epmd -port <port> -names`, the real command-line client.
async fn epmd_cli_names(port: u16) -> String {
    let out = Command::new("epmd")
        .args(["-port", &port.to_string(), "-names"])
        .stdin(Stdio::null())
        .kill_on_drop(true)
        .output()
        .await
        .expect("run epmd -names");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Polls our NAMES client until `pred` holds for the list (or 20 s pass).
async fn wait_names(port: u16, what: &str, pred: impl Fn(&[(String, u16)]) -> bool) {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let names = epmd::names(local(port)).await.unwrap();
        if pred(&names) {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "timed out waiting for {what}; names = {names:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn has(names: &[(String, u16)], name: &str) -> bool {
    names.iter().any(|(n, _)| n == name)
}

async fn embedded_server() -> (EpmdServerHandle, u16) {
    let server = EpmdServer::bind(local(0)).await.unwrap();
    let port = server.local_addr().port();
    (server.spawn(), port)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn our_client_against_real_epmd() {
    if !have_otp("our_client_against_real_epmd") {
        return;
    }
    let port = free_port();
    let _epmd = start_real_epmd(port).await;
    let epmd = local(port);

    let ours = unique("oursa", port);
    let reg = epmd::register(epmd, &ours, 12345, false).await.unwrap();
    assert_eq!(reg.name(), ours);
    let creation = reg.creation();
    assert!(creation >= 4, "creation {creation}");

    // The real command-line client sees us.
    let cli = epmd_cli_names(port).await;
    assert!(
        cli.contains(&format!("name {ours} at port 12345\n")),
        "epmd -names output: {cli:?}"
    );
    assert!(has(&epmd::names(epmd).await.unwrap(), &ours));

    // The real epmd refuses a second registration of the name.
    let dup = epmd::register(epmd, &ours, 12346, false).await;
    match dup {
        Err(e @ EpmdError::NameInUse { .. }) => {
            assert!(e.to_string().contains("in use"), "{e}")
        }
        other => panic!("duplicate registration: {other:?}"),
    }

    // A real erl node registered there is found by PORT_PLEASE2.
    let erl_name = unique("erla", port);
    let _erl = start_erl(&erl_name, port);
    wait_names(port, "erl to register", |n| has(n, &erl_name)).await;
    let entry = epmd::port_please(epmd, &erl_name)
        .await
        .unwrap()
        .expect("erl node registered");
    assert_eq!(entry.name, erl_name);
    assert_eq!(entry.highest, 6);
    assert_eq!(entry.protocol, 0);
    assert_ne!(entry.port, 0);
    let listed = epmd::names(epmd).await.unwrap();
    assert!(
        listed.contains(&(erl_name.clone(), entry.port)),
        "{listed:?}"
    );
    assert_eq!(epmd::port_please(epmd, "nosuchnode").await.unwrap(), None);

    // Dropping the registration unregisters; registering again bumps the
    // creation by one, as real epmd does.
    drop(reg);
    wait_names(port, "our name to vanish", |n| !has(n, &ours)).await;
    let reg2 = epmd::register(epmd, &ours, 12345, true).await.unwrap();
    assert_eq!(reg2.creation(), creation + 1);
    let hidden = epmd::port_please(epmd, &ours).await.unwrap().unwrap();
    assert!(hidden.is_hidden());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn embedded_server_serves_real_erl_and_epmd_cli() {
    if !have_otp("embedded_server_serves_real_erl_and_epmd_cli") {
        return;
    }
    let (_server, port) = embedded_server().await;
    let epmd = local(port);

    // A real erl node registers with our server.
    let erl_name = unique("erlb", port);
    let mut erl = start_erl(&erl_name, port);
    wait_names(port, "erl to register", |n| has(n, &erl_name)).await;

    let ours = unique("oursb", port);
    let reg = epmd::register(epmd, &ours, 23456, false).await.unwrap();
    let c1 = reg.creation();

    // The real `epmd -names` client lists both, in epmd's exact format.
    let cli = epmd_cli_names(port).await;
    assert!(
        cli.contains(&format!("epmd: up and running on port {port} with data:")),
        "{cli:?}"
    );
    assert!(
        cli.contains(&format!("name {ours} at port 23456\n")),
        "{cli:?}"
    );
    let erl_port = epmd::port_please(epmd, &erl_name)
        .await
        .unwrap()
        .expect("erl registered")
        .port;
    assert!(
        cli.contains(&format!("name {erl_name} at port {erl_port}\n")),
        "{cli:?}"
    );

    // Real erl's EPMD client reads our PORT2_RESP and NAMES replies.
    let expr = format!(
        "io:format(\"~p~n~p~n~p~n\", [erl_epmd:port_please(\"{ours}\", {{127,0,0,1}}), \
         erl_epmd:port_please(\"nosuch\", {{127,0,0,1}}), \
         erl_epmd:names({{127,0,0,1}})]), halt()."
    );
    let out = erl_eval(port, &expr).await;
    assert!(out.contains("{port,23456,6}"), "erl output: {out}");
    assert!(out.contains("noport"), "erl output: {out}");
    assert!(
        out.contains(&format!("{{\"{ours}\",23456}}")),
        "erl output: {out}"
    );

    // Duplicate names are refused, to us and to a real erl.
    assert!(matches!(
        epmd::register(epmd, &erl_name, 1, false).await,
        Err(EpmdError::NameInUse { .. })
    ));
    let dup = Command::new("erl")
        .args(["-sname", &ours, "-noshell", "-start_epmd", "false"])
        .args(["-eval", "halt()."])
        .env("ERL_EPMD_PORT", port.to_string())
        .stdin(Stdio::null())
        .kill_on_drop(true)
        .output()
        .await
        .unwrap();
    let text =
        String::from_utf8_lossy(&dup.stdout).into_owned() + &String::from_utf8_lossy(&dup.stderr);
    assert!(text.contains("in use"), "duplicate erl said: {text}");

    // Registrations vanish when their connections close.
    drop(reg);
    wait_names(port, "our name to vanish", |n| !has(n, &ours)).await;
    erl.kill().await.unwrap();
    wait_names(port, "erl's name to vanish", |n| !has(n, &erl_name)).await;

    // Re-registration of a known name bumps its creation.
    let reg = epmd::register(epmd, &ours, 23456, false).await.unwrap();
    assert_eq!(reg.creation(), c1 + 1);
}

/// Sends raw bytes on a fresh connection and returns what the server sent
/// back before closing (the server must close within a few seconds).
async fn raw_exchange(port: u16, bytes: &[u8]) -> Vec<u8> {
    let mut s = TcpStream::connect(local(port)).await.unwrap();
    s.write_all(bytes).await.unwrap();
    let mut out = Vec::new();
    tokio::time::timeout(Duration::from_secs(5), s.read_to_end(&mut out))
        .await
        .expect("server should close a bad client")
        .ok();
    out
}

#[tokio::test]
async fn garbage_clients_do_not_hurt_the_server() {
    let (server, port) = embedded_server().await;
    let epmd = local(port);
    let reg = epmd::register(epmd, "survivor", 4242, false).await.unwrap();

    // Bad length prefixes, unknown tags, malformed bodies, bad UTF-8: each
    // connection is closed without a reply.
    let garbage: &[&[u8]] = &[
        b"\x00\x00",
        b"\xff\xffhello",
        b"\x0b\xf2",
        b"\x00\x03\x01\x02\x03",
        b"GET / HTTP/1.1\r\nHost: x\r\n\r\n",
        b"\x00\x05\x78\x00\x50\x4d\x00",
        b"\x00\x0f\x78\x00\x50\x4d\x00\x00\x06\x00\x06\xff\xff\x61\x62\x00\x00",
        b"\x00\x03\x7a\xc3\x28",
        b"\x00\x01\x6e\x00",
    ];
    for g in garbage {
        assert_eq!(raw_exchange(port, g).await, b"", "reply to {g:?}");
    }
    // A client that sends half a request and hangs up.
    {
        let mut s = TcpStream::connect(epmd).await.unwrap();
        s.write_all(b"\x00\x10\x78").await.unwrap();
    }
    // KILL is refused, as real epmd does while nodes are registered.
    assert_eq!(raw_exchange(port, b"\x00\x01\x6b").await, b"NO");

    // A registration connection that sends more bytes loses its registration.
    let mut chatty = TcpStream::connect(epmd).await.unwrap();
    let req = erlnode::proto::epmd::encode_alive2_req(&erlnode::proto::epmd::NodeEntry::new(
        "chatty", 1111, false,
    ))
    .unwrap();
    chatty.write_all(&req).await.unwrap();
    let mut resp = [0u8; 6];
    chatty.read_exact(&mut resp).await.unwrap();
    assert_eq!(resp[..2], [118, 0]);
    assert!(has(&epmd::names(epmd).await.unwrap(), "chatty"));
    chatty.write_all(b"boo").await.unwrap();
    let mut rest = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(5), chatty.read_to_end(&mut rest)).await;
    wait_names(port, "chatty to vanish", |n| !has(n, "chatty")).await;

    // The server still works and still holds our registration.
    assert!(!server.is_finished());
    assert_eq!(
        epmd::names(epmd).await.unwrap(),
        vec![("survivor".to_string(), 4242)]
    );
    assert_eq!(
        epmd::port_please(epmd, "survivor")
            .await
            .unwrap()
            .map(|e| e.port),
        Some(4242)
    );
    drop(reg);
}

#[tokio::test]
async fn register_or_serve_starts_and_shares_an_embedded_epmd() {
    let port = free_port();
    let (first, handle) = epmd::register_or_serve(port, "first", 5001, false)
        .await
        .unwrap();
    let handle = handle.expect("nothing listened, so the embedded EPMD must start");
    assert_eq!(handle.local_addr().port(), port);

    // A second node on the same port finds the running EPMD.
    let (second, none) = epmd::register_or_serve(port, "second", 5002, true)
        .await
        .unwrap();
    assert!(none.is_none());
    let mut names = epmd::names(local(port)).await.unwrap();
    names.sort();
    assert_eq!(
        names,
        vec![("first".to_string(), 5001), ("second".to_string(), 5002)]
    );

    // The name is taken: a clear error, and no second server.
    let err = epmd::register_or_serve(port, "first", 5003, false)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("in use"), "{err}");

    // Stopping the embedded EPMD ends the registrations it held.
    let mut second: Registration = second;
    handle.stop().await;
    tokio::time::timeout(Duration::from_secs(5), second.closed())
        .await
        .expect("registration connection closes when the server stops");
    drop(first);
    assert!(matches!(
        epmd::names(local(port)).await,
        Err(EpmdError::Connect { .. })
    ));
}

#[tokio::test]
async fn register_or_serve_uses_a_real_epmd() {
    if !have_otp("register_or_serve_uses_a_real_epmd") {
        return;
    }
    let port = free_port();
    let _epmd = start_real_epmd(port).await;
    let (reg, handle) = epmd::register_or_serve(port, "viareal", 6001, false)
        .await
        .unwrap();
    assert!(
        handle.is_none(),
        "a real epmd runs, so none must be started"
    );
    assert!(
        epmd_cli_names(port)
            .await
            .contains("name viareal at port 6001\n")
    );
    drop(reg);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_register_or_serve_starts_exactly_one_server() {
    let port = free_port();
    let tasks: Vec<_> = (0..4)
        .map(|i| {
            tokio::spawn(async move {
                epmd::register_or_serve(port, &format!("racer{i}"), 7000 + i, false)
                    .await
                    .unwrap()
            })
        })
        .collect();
    let mut regs = Vec::new();
    let mut servers = Vec::new();
    for t in tasks {
        let (reg, handle) = t.await.unwrap();
        regs.push(reg);
        servers.extend(handle);
    }
    assert_eq!(servers.len(), 1, "exactly one embedded EPMD must start");
    let mut names = epmd::names(local(port)).await.unwrap();
    names.sort();
    let expected: Vec<_> = (0..4u16).map(|i| (format!("racer{i}"), 7000 + i)).collect();
    assert_eq!(names, expected);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn real_nodes_find_each_other_through_the_embedded_server() {
    if !have_otp("real_nodes_find_each_other_through_the_embedded_server") {
        return;
    }
    let (_server, port) = embedded_server().await;
    let a = unique("pinga", port);
    let _a = start_erl(&a, port);
    wait_names(port, "node A to register", |n| has(n, &a)).await;
    let b = unique("pingb", port);
    let expr = format!(
        "{{ok, H}} = inet:gethostname(), \
         io:format(\"~p~n\", [net_adm:ping(list_to_atom(\"{a}@\" ++ H))]), halt()."
    );
    let out = Command::new("erl")
        .args(["-sname", &b, "-noshell", "-start_epmd", "false"])
        .args(["-setcookie", "epmdinteroptest", "-eval", &expr])
        .env("ERL_EPMD_PORT", port.to_string())
        .stdin(Stdio::null())
        .kill_on_drop(true)
        .output()
        .await
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("pong"),
        "B pinging A through our EPMD: {text}"
    );
}
