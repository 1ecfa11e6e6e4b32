//! The node flags the subcommands share: the node's name and cookie, EPMD's port, and what only a running node takes.

use clap::Args;
use erlnode::{Node, NodeBuilder, epmd, names};
use std::time::Duration;

/// Where EPMD is: every command that talks to EPMD takes it.
#[derive(Args, Debug, Clone)]
pub struct EpmdArgs {
    /// EPMD port (default: $ERL_EPMD_PORT, else 4369).
    #[arg(long, value_name = "PORT")]
    pub epmd_port: Option<u16>,
}

impl EpmdArgs {
    /// The EPMD port: the flag, else `$ERL_EPMD_PORT`, else 4369.
    pub fn port(&self) -> u16 {
        self.epmd_port.unwrap_or_else(epmd::epmd_port_from_env)
    }
}

/// What a command that connects to a node needs: this node's name and cookie, and EPMD.
#[derive(Args, Debug, Clone)]
pub struct ConnectArgs {
    /// Short node name: NAME or NAME@HOST (host defaults to the short host name).
    #[arg(long, conflicts_with = "name")]
    pub sname: Option<String>,
    /// Long node name: NAME@HOST.DOMAIN or NAME@IP.
    #[arg(long)]
    pub name: Option<String>,
    /// The magic cookie (default: ~/.erlang.cookie, created when absent).
    #[arg(long, value_parser = parse_cookie)]
    pub cookie: Option<String>,
    #[command(flatten)]
    pub epmd: EpmdArgs,
    #[command(flatten)]
    pub tls: super::tls::TlsArgs,
}

impl ConnectArgs {
    /// A node builder with these flags; `default_sname` names the node when neither
    /// `--sname` nor `--name` is given.
    pub fn builder(&self, default_sname: &str) -> Result<NodeBuilder, Box<dyn std::error::Error>> {
        let full = match (&self.sname, &self.name) {
            (Some(s), _) => names::short_name(s)?,
            (None, Some(n)) => names::long_name(n)?,
            (None, None) => names::short_name(default_sname)?,
        };
        let mut b = Node::builder(full).epmd_port(self.epmd.port());
        if let Some(c) = &self.cookie {
            b = b.cookie(c.clone());
        }
        Ok(self.tls.apply(b)?)
    }

    /// A hidden node for a one-shot command (`ping`, `call`, ...), named after the
    /// command and this process unless the user named it.
    pub async fn one_shot_node(&self, command: &str) -> Result<Node, Box<dyn std::error::Error>> {
        let default = format!("erlnode_{command}_{}", std::process::id());
        Ok(self.builder(&default)?.hidden(true).start().await?)
    }

    /// A one-shot node connected to `target`: the target's name checked first,
    /// then the connection made within `timeout`. The error is the one line to print.
    pub async fn connected(
        &self,
        command: &str,
        target: &str,
        timeout: Duration,
    ) -> Result<Node, Box<dyn std::error::Error>> {
        let deadline = tokio::time::Instant::now() + timeout;
        names::check_remote(target)?;
        look_up(target, self.epmd.port(), timeout).await?;
        let me = self.one_shot_node(command).await?;
        match connect(&me, target, deadline, timeout).await {
            Ok(()) => Ok(me),
            Err(e) => {
                me.shutdown().await;
                Err(e.into())
            }
        }
    }
}

/// Asks the target host's EPMD for `target` before our node starts (which
/// would start an EPMD of its own when none runs here), so that a missing EPMD,
/// a missing node and a server that is no EPMD each get their own words.
pub async fn look_up(target: &str, epmd_port: u16, timeout: Duration) -> Result<(), String> {
    let fail = |why: String| format!("cannot connect to {target}: {why}");
    let (alive, host) = target.split_once('@').unwrap_or((target, ""));
    let work = async {
        let addr = tokio::net::lookup_host((host, epmd_port))
            .await
            .map_err(|e| fail(format!("cannot resolve host {host}: {e}")))?
            .next()
            .ok_or_else(|| fail(format!("host {host} has no address")))?;
        match epmd::port_please(addr, alive).await {
            Ok(Some(_)) => Ok(()),
            Ok(None) => Err(fail(format!(
                "no node named {alive} is registered with EPMD on {host} (port {epmd_port})"
            ))),
            Err(epmd::EpmdError::Connect { source, .. })
                if source.kind() == std::io::ErrorKind::ConnectionRefused =>
            {
                Err(fail(format!(
                    "no EPMD is running on {host} (port {epmd_port} refuses connections)"
                )))
            }
            Err(e) => Err(fail(format!("EPMD on {host}: {e}"))),
        }
    };
    match tokio::time::timeout(timeout, work).await {
        Ok(r) => r,
        Err(_) => Err(fail(format!(
            "EPMD on {host} did not answer within {} (--timeout)",
            seconds(timeout)
        ))),
    }
}

/// Connects `me` to `target` by `deadline` (`timeout` is what the user gave).
pub async fn connect(
    me: &Node,
    target: &str,
    deadline: tokio::time::Instant,
    timeout: Duration,
) -> Result<(), String> {
    match tokio::time::timeout_at(deadline, me.connect(target)).await {
        Ok(r) => r.map_err(|e| e.to_string()),
        Err(_) => Err(format!(
            "cannot connect to {target}: no answer within {} (--timeout)",
            seconds(timeout)
        )),
    }
}

/// `5 s`, `0.5 s`.
pub fn seconds(d: Duration) -> String {
    format!("{} s", d.as_secs_f64())
}

/// Seconds to wait, as `--timeout` takes them: a positive number (fractions allowed).
pub fn parse_timeout(s: &str) -> Result<Duration, String> {
    match s.parse::<f64>() {
        Ok(v) if v > 0.0 && v <= 86_400.0 => Ok(Duration::from_secs_f64(v)),
        _ => Err("expected a number of seconds above 0 and at most 86400".into()),
    }
}

/// The flags of a running node (`erlnode` without a subcommand).
#[derive(Args, Debug, Clone)]
pub struct NodeArgs {
    #[command(flatten)]
    pub conn: ConnectArgs,
    /// Run as a hidden node (not in the peers' Node.list/0).
    #[arg(long)]
    pub hidden: bool,
    /// Nodes to connect to at start-up.
    #[arg(long, value_name = "NODE")]
    pub connect: Vec<String>,
    /// Distribution listen port (default: any free port).
    #[arg(long, default_value_t = 0)]
    pub port: u16,
    /// Register an I/O server on this node's stdout in :global under NAME, so that
    /// `IO.puts(:global.whereis_name(:NAME), "Hello")` prints here.
    #[arg(long, value_name = "NAME")]
    pub global_io: Option<String>,
    /// Seconds without traffic before a peer is declared down (ticks go every quarter of it).
    #[arg(long, default_value_t = 60, value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub net_ticktime: u64,
}

impl NodeArgs {
    /// The builder of the running node.
    pub fn builder(&self) -> Result<NodeBuilder, Box<dyn std::error::Error>> {
        Ok(self
            .conn
            .builder("erlnode")?
            .hidden(self.hidden)
            .port(self.port)
            .net_ticktime(Duration::from_secs(self.net_ticktime)))
    }
}

/// A cookie erl could share: not empty, at most 255 characters (an atom).
fn parse_cookie(s: &str) -> Result<String, String> {
    erlnode::Cookie::new(s)
        .checked()
        .map(|_| s.to_owned())
        .map_err(|e| e.to_string())
}
