//! Erlang's `io_lib:format` control sequences and Erlang-syntax term printing (`~w`, `~p`), as OTP 25 prints them.
//!
//! - [`write_term`] is `io_lib:write/2` (`~w`, `~W`): one line, no string detection.
//! - [`print_term`] is `io_lib_pretty:print/2` (`~p`, `~P`): strings and printable
//!   binaries detected, and terms longer than the line broken over lines the way
//!   OTP 25 lays them out (lists packed while atomic elements fit, tagged tuples
//!   indented past the tag, map values under their key, binaries wrapped).
//! - [`format`] / [`format_with`] are `io_lib:format/2`: `~p ~P ~w ~W ~s ~c ~e ~f ~g
//!   ~b ~B ~x ~X ~+ ~# ~i ~n ~~` with field width, precision, pad character, `*`
//!   arguments and the `t` / `l` modifiers; any error is `error:badarg`, as in OTP.
//! - [`crash_report`] is the error report BEAM prints for a process that died of
//!   an error after a remote spawn.
//!
//! Every expected output in the tests was printed by a real OTP 25 node.
//!
//! Known differences from OTP 25:
//! - The printable range is always `latin1` (OTP's default, `+pc latin1`): a
//!   list or binary with code points above 255 never prints as a string, also
//!   under `~tp`. A node started with `+pc unicode` would print it as one.
//! - Records are not known, so tuples never print as `#rec{...}` (as from
//!   `io_lib:format`, which has no record definitions either).
//! - Maps print in term order, which is what OTP 25 does for maps of up to 32
//!   keys; bigger maps print there in internal hash order.
//! - `chars_limit` (`io_lib:format/3`) is not implemented.
//! - Pids, ports and references of other nodes print their node as a stable
//!   number derived from the node name ([`crate::term::print::node_index`]); OTP
//!   prints an index into its own node table there.
//! - Terms nested deeper than [`MAX_NESTING`] print `...` below that level.
//! - Truncation of `~s` with a precision counts code points, not grapheme
//!   clusters (OTP's `string:slice/3` keeps combining marks with their base).
//! - Timestamps in [`crash_report`] are in UTC (OTP uses local time; the same
//!   when the host's zone is UTC).

use super::rpc::Exception;
use crate::proto::etf::MapOrders;
use crate::term;
use crate::term::print::{InspectOpts, node_index, term_cmp};
use eetf::Term;
use std::borrow::Cow;
use std::fmt::Write as _;
use std::sync::Arc;

/// Deepest nesting printed; below it a term prints as `...`.
pub const MAX_NESTING: usize = 512;

/// Longest output a single `format` call may produce (guards `~999999999c`).
const MAX_OUTPUT_CHARS: usize = 64 * 1024 * 1024;

/// Character encoding of a control sequence (`~p` is latin1, `~tp` unicode).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    Latin1,
    Unicode,
}

/// How pids, ports and references name their node, and how maps order their keys.
#[derive(Debug, Clone, Default)]
pub struct PrintOpts {
    /// Terms of this node print node number 0, as on the node itself.
    pub local_node: Option<String>,
    /// The order the keys of each map came in, when the term came from a peer: the order
    /// the sender itself iterates (and prints) that map in.
    pub wire: Option<Arc<MapOrders>>,
    /// The OTP release of the node the output is for, when known: before OTP 26 the `k` and
    /// `K` modifiers are refused, as that node's own `io_lib` refuses them; from OTP 27 on
    /// the atoms `maybe` and `else` are quoted. Unknown: OTP 25's output, with `k` and `K`.
    pub otp_release: Option<u32>,
    /// `maps:iterator_order()` of the control sequence (`k`, `K`).
    pub maps_order: MapsOrder,
}

impl PrintOpts {
    pub fn local(node: &str) -> Self {
        PrintOpts {
            local_node: Some(node.to_owned()),
            ..PrintOpts::default()
        }
    }

    /// An atom as that node writes it (OTP 27 and later also quote `maybe` and `else`).
    fn atom(&self, name: &str, enc: Encoding) -> String {
        write_atom_for(name, enc, self.otp_release.unwrap_or(25))
    }
}

/// How `~p` and `~w` order a map's keys (OTP 26's `maps:iterator_order()`): `undefined`
/// unless a control sequence has the `k` (`ordered`) or `K` modifier.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum MapsOrder {
    /// The map's own order: for a map from a peer the order the peer iterates it in (the
    /// order it sent the keys in, reversed for maps over 32 keys, as OTP 25 to 29 do);
    /// otherwise term order.
    #[default]
    Undefined,
    /// Keys in term order, integers before floats (`ordered`, `~kp`).
    Ordered,
    /// Keys in reverse term order (`~Kp` with `reversed`).
    Reversed,
    /// An order this node cannot apply (`~Kp` with a fun, or not an order): printing a
    /// map under it fails, as the fun or `maps:iterator/2` would on the node itself.
    Unusable,
}

/// Maps with more keys than this are hash maps in OTP, iterated in the reverse of the
/// order their encoding lists them in (seen on OTP 25.2, 27.3 and 29.1).
const FLATMAP_MAX_KEYS: usize = 32;

/// The entries of `m` in the order `opts` asks for.
fn map_entries<'m>(m: &'m eetf::Map, opts: &PrintOpts) -> Vec<(&'m Term, &'m Term)> {
    match opts.maps_order {
        // An unusable order never gets here (see `Formatter::opts_for`).
        MapsOrder::Ordered | MapsOrder::Unusable => sorted_map(m),
        MapsOrder::Reversed => {
            let mut v = sorted_map(m);
            v.reverse();
            v
        }
        MapsOrder::Undefined => match opts.wire.as_ref().and_then(|w| w.entries(m)) {
            Some(mut v) => {
                if v.len() > FLATMAP_MAX_KEYS {
                    v.reverse();
                }
                v
            }
            None => sorted_map(m),
        },
    }
}

/// Erlang syntax for a term, as `io_lib:format("~p", [T])` prints it at
/// column 1 (one line when it fits in 80 columns).
#[cfg(test)]
pub fn erlang_term(t: &Term) -> String {
    print_term(t, -1, 1, 80, Encoding::Latin1, true, &PrintOpts::default())
}

/// Formats `fmt` with `args` as `io_lib:format/2` does; the result is UTF-8.
/// Pids of every node print with a non-zero node number (see [`format_with`]).
#[cfg(test)]
pub fn format(fmt: &Term, args: &Term) -> Result<Vec<u8>, Exception> {
    format_with(fmt, args, &PrintOpts::default())
}

/// [`format`] with `opts` saying which node is local.
pub fn format_with(fmt: &Term, args: &Term, opts: &PrintOpts) -> Result<Vec<u8>, Exception> {
    let fail = || Exception {
        stack: term::list(vec![term::tuple(vec![
            term::atom("io_lib"),
            term::atom("format"),
            term::list(vec![fmt.clone(), args.clone()]),
            term::nil(),
        ])]),
        ..Exception::badarg()
    };
    let pieces = scan_format(fmt).ok_or_else(fail)?;
    // The arguments are borrowed, not copied: `opts.wire` knows their maps by address.
    let args = match list_parts(args) {
        Some((items, Tail::Nil)) => items,
        _ => return Err(fail()),
    };
    let mut f = Formatter {
        out: String::new(),
        col: 0,
        opts,
    };
    f.run(&pieces, &args).map_err(|()| fail())?;
    Ok(f.out.into_bytes())
}

/// The report BEAM's logger prints on the spawner's node for a process that a
/// remote node spawned here and that died of an error:
///
/// ```text
/// =ERROR REPORT==== 22-Nov-2026::14:14:01.718972 ===
/// Error in process <8605.90.0> on node bb@vm with exit value:
/// {undef,[{nope,nope,[],[]}]}
///
/// ```
///
/// `node_name` is the node the process ran on (ours); the pid prints as the
/// spawner sees it, a pid of another node.
pub fn crash_report(node_name: &str, pid: &eetf::Pid, reason: &Term) -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    crash_report_at(node_name, pid, reason, now)
}

/// [`crash_report`] with the pid already written as the reader's node writes it.
pub fn crash_report_for(node_name: &str, pid_text: &str, reason: &Term) -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    crash_report_text(node_name, pid_text, reason, now)
}

fn crash_report_at(
    node_name: &str,
    pid: &eetf::Pid,
    reason: &Term,
    since_epoch: std::time::Duration,
) -> String {
    let pid_text = write_term(&term::pid(pid), -1, Encoding::Latin1, &PrintOpts::default());
    crash_report_text(node_name, &pid_text, reason, since_epoch)
}

fn crash_report_text(
    node_name: &str,
    pid_text: &str,
    reason: &Term,
    since_epoch: std::time::Duration,
) -> String {
    let opts = PrintOpts::default();
    let mut s = String::new();
    let _ = writeln!(s, "=ERROR REPORT==== {} ===", timestamp(since_epoch));
    let _ = writeln!(
        s,
        "Error in process {pid_text} on node {} with exit value:",
        write_atom(node_name, Encoding::Latin1),
    );
    s.push_str(&print_term(
        reason,
        -1,
        1,
        80,
        Encoding::Latin1,
        true,
        &opts,
    ));
    s.push_str("\n\n");
    s
}

/// `DD-Mon-YYYY::HH:MM:SS.micro` in UTC, as logger's legacy header prints it.
fn timestamp(since_epoch: std::time::Duration) -> String {
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let secs = since_epoch.as_secs();
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    // Civil date from days since 1970-01-01 (proleptic Gregorian calendar).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{:02}-{}-{}::{:02}:{:02}:{:02}.{:06}",
        day,
        MONTHS[(month - 1) as usize],
        year,
        rem / 3600,
        rem / 60 % 60,
        rem % 60,
        since_epoch.subsec_micros()
    )
}

mod float_format;
mod format;
mod pretty;
mod terms;
mod write;
use float_format::*;
use format::*;
pub use pretty::print_term;
use terms::*;
pub use terms::{format_float, write_atom};
pub use write::write_term;
use write::*;

#[cfg(test)]
mod newer;
#[cfg(test)]
mod tests;
