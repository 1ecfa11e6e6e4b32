//! Shared harness for interop tests: real `elixir`/`erl` nodes and our binary, each test on its own EPMD port.
#![allow(dead_code)]

use std::net::{Ipv4Addr, TcpListener};
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

pub const COOKIE: &str = "interop_cookie";

/// Whether `elixir` and `erl` are installed. Without them a test prints a loud
/// skip message and passes, except with `CI=true`, where it fails.
pub fn have_elixir(test: &str) -> bool {
    let found = |tool: &str| {
        std::env::var_os("PATH")
            .is_some_and(|path| std::env::split_paths(&path).any(|dir| dir.join(tool).is_file()))
    };
    if found("erl") && found("elixir") {
        return true;
    }
    if std::env::var("CI").as_deref() == Ok("true") {
        panic!("{test}: `erl`/`elixir` not found on PATH, and CI=true requires them");
    }
    eprintln!("\n*** SKIPPING {test}: `erl`/`elixir` not on PATH (with CI=true this fails) ***\n");
    false
}

/// The `erl_call` to run: the one on PATH (an OTP-matrix wrapper folder has one), else the
/// one in `code:lib_dir(erl_interface)/bin` of the `erl` on PATH, where OTP installs it.
pub fn erl_call() -> std::path::PathBuf {
    let on_path = std::env::var_os("PATH").and_then(|path| {
        std::env::split_paths(&path)
            .map(|dir| dir.join("erl_call"))
            .find(|p| p.is_file())
    });
    if let Some(p) = on_path {
        return p;
    }
    let lib = std::process::Command::new("erl")
        .args([
            "-noshell",
            "-eval",
            "io:format(\"~s\", [code:lib_dir(erl_interface)]), halt().",
        ])
        .output()
        .expect("erl runs");
    std::path::PathBuf::from(format!(
        "{}/bin/erl_call",
        String::from_utf8_lossy(&lib.stdout)
    ))
}

pub fn free_port() -> u16 {
    let l = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
    l.local_addr().unwrap().port()
}

/// A name unique to this test run: `prefix` + pid + counter.
pub fn unique(prefix: &str) -> String {
    static N: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    format!("{prefix}{}n{n}", std::process::id())
}

pub fn short_host() -> String {
    let h = gethostname::gethostname().into_string().unwrap();
    h.split('.').next().unwrap().to_owned()
}

pub fn sname(alive: &str) -> String {
    format!("{alive}@{}", short_host())
}

/// A child process whose output lines are collected; killed on drop.
pub struct Proc {
    pub child: Child,
    pub out: Arc<Mutex<Vec<String>>>,
}

impl Proc {
    /// Collects the output lines of a child started with piped stdout and stderr.
    pub fn collect_child(child: Child) -> Proc {
        Proc::collect(child)
    }

    fn collect(mut child: Child) -> Proc {
        let out = Arc::new(Mutex::new(Vec::new()));
        for stream in [
            child
                .stdout
                .take()
                .map(|s| Box::new(s) as Box<dyn tokio::io::AsyncRead + Unpin + Send>),
            child
                .stderr
                .take()
                .map(|s| Box::new(s) as Box<dyn tokio::io::AsyncRead + Unpin + Send>),
        ]
        .into_iter()
        .flatten()
        {
            let out = out.clone();
            tokio::spawn(async move {
                let mut lines = BufReader::new(stream).lines();
                while let Ok(Some(line)) = lines.next_line().await {
                    eprintln!("    | {line}");
                    out.lock().unwrap().push(line);
                }
            });
        }
        Proc { child, out }
    }

    pub fn output(&self) -> String {
        self.out.lock().unwrap().join("\n")
    }

    /// Waits until some output line contains `needle`; panics after `secs`.
    pub async fn wait_for(&self, needle: &str, secs: u64) -> String {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(secs);
        loop {
            if let Some(l) = self.out.lock().unwrap().iter().find(|l| l.contains(needle)) {
                return l.clone();
            }
            if tokio::time::Instant::now() > deadline {
                panic!(
                    "timed out waiting for {needle:?}; output so far:\n{}",
                    self.output()
                );
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Waits for the process to end (with a bound) and returns its exit success.
    pub async fn finish(&mut self, secs: u64) -> bool {
        match tokio::time::timeout(Duration::from_secs(secs), self.child.wait()).await {
            Ok(Ok(status)) => {
                // Let the output readers drain.
                tokio::time::sleep(Duration::from_millis(100)).await;
                status.success()
            }
            _ => {
                let _ = self.child.start_kill();
                panic!(
                    "process did not finish in {secs}s; output:\n{}",
                    self.output()
                );
            }
        }
    }

    /// Waits for the process to end (with a bound) and returns its exit code.
    pub async fn status(&mut self, secs: u64) -> Option<i32> {
        match tokio::time::timeout(Duration::from_secs(secs), self.child.wait()).await {
            Ok(Ok(status)) => {
                tokio::time::sleep(Duration::from_millis(100)).await;
                status.code()
            }
            _ => {
                let _ = self.child.start_kill();
                panic!(
                    "process did not finish in {secs}s; output:\n{}",
                    self.output()
                );
            }
        }
    }

    pub fn kill(&mut self) {
        let _ = self.child.start_kill();
    }

    pub fn signal(&self, sig: &str) {
        if let Some(pid) = self.child.id() {
            let _ = std::process::Command::new("kill")
                .args([&format!("-{sig}"), &pid.to_string()])
                .status();
        }
    }
}

/// `elixir --sname NAME --cookie COOKIE -e SCRIPT`, using EPMD on `epmd_port`.
pub fn elixir(name_flag: &str, name: &str, cookie: &str, epmd_port: u16, script: &str) -> Proc {
    elixir_with(name_flag, name, cookie, epmd_port, script, &[])
}

pub fn elixir_with(
    name_flag: &str,
    name: &str,
    cookie: &str,
    epmd_port: u16,
    script: &str,
    erl_args: &[&str],
) -> Proc {
    let mut cmd = Command::new("elixir");
    cmd.arg(name_flag).arg(name).arg("--cookie").arg(cookie);
    if !erl_args.is_empty() {
        cmd.arg("--erl").arg(erl_args.join(" "));
    }
    cmd.arg("-e")
        .arg(script)
        .env("ERL_EPMD_PORT", epmd_port.to_string())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    Proc::collect(cmd.spawn().expect("cannot start elixir"))
}

/// Our binary with `args` (a running node logs at info, one-shot commands at warn).
pub fn erlnode(args: &[&str], epmd_port: u16) -> Proc {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_erlnode"));
    cmd.args(args)
        .arg("--epmd-port")
        .arg(epmd_port.to_string())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    Proc::collect(cmd.spawn().expect("cannot start erlnode"))
}

/// One of the crate's examples (which `cargo test` builds next to the test
/// binaries) with `args`, using EPMD on `epmd_port`.
pub fn example(name: &str, args: &[&str], epmd_port: u16) -> Proc {
    let exe = std::env::current_exe().expect("test binary path");
    let dir = exe
        .parent()
        .and_then(|deps| deps.parent())
        .expect("target/<profile>/deps");
    let path = dir.join("examples").join(name);
    // `cargo test --test X` alone does not build (or rebuild) the examples; this
    // is a no-op when the example is up to date.
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let built = std::process::Command::new(cargo)
        .args(["build", "--example", name])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .status()
        .expect("cargo runs");
    assert!(
        built.success() && path.exists(),
        "cannot build example {name}"
    );
    let mut cmd = Command::new(path);
    cmd.args(args)
        .env("ERL_EPMD_PORT", epmd_port.to_string())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    Proc::collect(cmd.spawn().expect("cannot start the example"))
}

/// A library node on a private EPMD port (it starts the embedded EPMD there).
pub async fn lib_node(alive: &str, epmd_port: u16) -> erlnode::Node {
    erlnode::Node::builder(sname(alive))
        .cookie(COOKIE)
        .epmd_port(epmd_port)
        .start()
        .await
        .expect("node starts")
}

/// Registers `echo` on `node`: for `{pid, term}` it sends `term` back to `pid`
/// (the same service the `erlnode` binary runs).
pub fn start_echo(node: &erlnode::Node) {
    let echo = node.spawn(|mut p| async move {
        while let Ok(msg) = p.receive().await {
            if let Some([from, term]) = erlnode::term::as_tuple(&msg)
                && let Some(pid) = erlnode::term::as_pid(from)
            {
                p.send(pid, term.clone());
            }
        }
        erlnode::term::atom("normal")
    });
    node.register("echo", &echo).expect("echo registers");
}

/// `text` (Elixir's `inspect` output) with every charlist in the `'abc'` spelling of
/// Elixir 1.14: Elixir 1.15 and later print the same charlist as `~c"abc"`. The terms are
/// the same; comparing through this accepts both spellings.
pub fn old_charlists(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find("~c\"") {
        out.push_str(&rest[..at]);
        out.push('\'');
        let mut chars = rest[at + 3..].char_indices();
        let mut end = rest.len() - at - 3;
        while let Some((i, c)) = chars.next() {
            match c {
                '"' => {
                    end = i + 1;
                    break;
                }
                '\\' => match chars.next() {
                    Some((_, '"')) => out.push('"'),
                    Some((_, e)) => {
                        out.push('\\');
                        out.push(e);
                    }
                    None => out.push('\\'),
                },
                '\'' => out.push_str("\\'"),
                c => out.push(c),
            }
        }
        out.push('\'');
        rest = &rest[at + 3 + end..];
    }
    out.push_str(rest);
    out
}
