//! Reads `-ssl_dist_optfile` files: the Erlang-term syntax `inet_tls_dist` consults (`[{server, [...]}, {client, [...]}].`).
//!
//! Only what such a file holds is read: atoms (bare and quoted), strings,
//! binaries of one string, integers, lists, tuples and `fun M:F/A`. Input is
//! bounded in size and nesting; every error names a line.

use super::tls_config::{TlsConfig, TlsError, TlsSide, TlsVerify, TlsVersion, read_bounded};
use std::path::Path;
use std::path::PathBuf;

/// Largest optfile read (real ones are a few hundred bytes).
pub(crate) const MAX_OPTFILE: usize = 64 * 1024;
/// Deepest nesting of lists and tuples accepted.
const MAX_DEPTH: usize = 16;

/// A term as written in the file.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum ETerm {
    Atom(String),
    Str(String),
    Int(i64),
    List(Vec<ETerm>),
    Tuple(Vec<ETerm>),
    Fun {
        module: String,
        function: String,
        arity: u32,
    },
}

impl ETerm {
    /// How the term reads in an error message (short).
    fn describe(&self) -> String {
        match self {
            ETerm::Atom(a) => format!("the atom {a}"),
            ETerm::Str(s) => format!("the string {s:?}"),
            ETerm::Int(i) => format!("the integer {i}"),
            ETerm::List(_) => "a list".into(),
            ETerm::Tuple(_) => "a tuple".into(),
            ETerm::Fun {
                module,
                function,
                arity,
            } => format!("fun {module}:{function}/{arity}"),
        }
    }
}

/// A syntax error at a line of the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SyntaxError {
    pub line: usize,
    pub message: String,
}

struct Reader<'a> {
    s: &'a [u8],
    pos: usize,
    line: usize,
}

impl Reader<'_> {
    fn err<T>(&self, message: impl Into<String>) -> Result<T, SyntaxError> {
        Err(SyntaxError {
            line: self.line,
            message: message.into(),
        })
    }

    fn peek(&self) -> Option<u8> {
        self.s.get(self.pos).copied()
    }

    fn bump(&mut self) -> Option<u8> {
        let c = self.peek()?;
        self.pos += 1;
        if c == b'\n' {
            self.line += 1;
        }
        Some(c)
    }

    /// Skips blanks and `%` comments.
    fn skip(&mut self) {
        while let Some(c) = self.peek() {
            if c == b'%' {
                while let Some(c) = self.bump() {
                    if c == b'\n' {
                        break;
                    }
                }
            } else if c.is_ascii_whitespace() {
                self.bump();
            } else {
                break;
            }
        }
    }

    fn expect(&mut self, c: u8) -> Result<(), SyntaxError> {
        self.skip();
        match self.peek() {
            Some(x) if x == c => {
                self.bump();
                Ok(())
            }
            Some(x) => self.err(format!(
                "expected '{}', found '{}'",
                c as char,
                (x as char).escape_default()
            )),
            None => self.err(format!(
                "expected '{}', found the end of the file",
                c as char
            )),
        }
    }

    /// `Term , Term ... Close` after the opening bracket.
    fn seq(&mut self, close: u8, depth: usize) -> Result<Vec<ETerm>, SyntaxError> {
        let mut items = Vec::new();
        self.skip();
        if self.peek() == Some(close) {
            self.bump();
            return Ok(items);
        }
        loop {
            items.push(self.term(depth + 1)?);
            self.skip();
            match self.bump() {
                Some(b',') => continue,
                Some(c) if c == close => return Ok(items),
                Some(b'|') => return self.err("improper lists are not supported here"),
                Some(c) => {
                    return self.err(format!(
                        "expected ',' or '{}', found '{}'",
                        close as char,
                        (c as char).escape_default()
                    ));
                }
                None => return self.err("unterminated list or tuple"),
            }
        }
    }

    fn name(&mut self) -> String {
        let start = self.pos;
        while self
            .peek()
            .is_some_and(|c| c.is_ascii_alphanumeric() || c == b'_' || c == b'@')
        {
            self.bump();
        }
        String::from_utf8_lossy(&self.s[start..self.pos]).into_owned()
    }

    fn atom(&mut self) -> Result<String, SyntaxError> {
        self.skip();
        match self.peek() {
            Some(b'\'') => {
                self.bump();
                self.quoted(b'\'')
            }
            Some(c) if c.is_ascii_lowercase() => Ok(self.name()),
            _ => self.err("expected an atom"),
        }
    }

    /// The rest of a quoted atom or string, after its opening quote.
    fn quoted(&mut self, quote: u8) -> Result<String, SyntaxError> {
        let mut out = Vec::new();
        loop {
            match self.bump() {
                None => return self.err("unterminated string or quoted atom"),
                Some(c) if c == quote => break,
                Some(b'\\') => {
                    let c = match self.bump() {
                        Some(b'n') => b'\n',
                        Some(b't') => b'\t',
                        Some(b'r') => b'\r',
                        Some(b's') => b' ',
                        Some(b'e') => 0x1b,
                        Some(b'0') => 0,
                        Some(c @ (b'\\' | b'"' | b'\'')) => c,
                        Some(c) => {
                            return self.err(format!(
                                "unsupported escape \\{}",
                                (c as char).escape_default()
                            ));
                        }
                        None => return self.err("unterminated string or quoted atom"),
                    };
                    out.push(c);
                }
                Some(c) => out.push(c),
            }
            if out.len() > MAX_OPTFILE {
                return self.err("string too long");
            }
        }
        String::from_utf8(out).or_else(|_| self.err("string is not valid UTF-8"))
    }

    fn term(&mut self, depth: usize) -> Result<ETerm, SyntaxError> {
        if depth > MAX_DEPTH {
            return self.err(format!("nested deeper than {MAX_DEPTH} levels"));
        }
        self.skip();
        let Some(c) = self.peek() else {
            return self.err("expected a term, found the end of the file");
        };
        match c {
            b'[' => {
                self.bump();
                Ok(ETerm::List(self.seq(b']', depth)?))
            }
            b'{' => {
                self.bump();
                Ok(ETerm::Tuple(self.seq(b'}', depth)?))
            }
            b'"' => {
                // Adjacent strings are one string, as in Erlang.
                let mut s = String::new();
                while self.peek() == Some(b'"') {
                    self.bump();
                    s.push_str(&self.quoted(b'"')?);
                    self.skip();
                }
                Ok(ETerm::Str(s))
            }
            b'<' => {
                self.bump();
                self.expect(b'<')?;
                self.skip();
                let s = if self.peek() == Some(b'"') {
                    self.bump();
                    self.quoted(b'"')?
                } else {
                    String::new()
                };
                self.expect(b'>')?;
                self.expect(b'>')?;
                // A file name given as a binary means the same as the string.
                Ok(ETerm::Str(s))
            }
            b'\'' => {
                self.bump();
                Ok(ETerm::Atom(self.quoted(b'\'')?))
            }
            b'-' | b'0'..=b'9' => {
                let start = self.pos;
                self.bump();
                while self.peek().is_some_and(|c| c.is_ascii_digit()) {
                    self.bump();
                }
                let text = String::from_utf8_lossy(&self.s[start..self.pos]);
                match text.parse::<i64>() {
                    Ok(i) => Ok(ETerm::Int(i)),
                    Err(_) => self.err(format!("bad integer {text}")),
                }
            }
            c if c.is_ascii_lowercase() => {
                let name = self.name();
                if name != "fun" {
                    return Ok(ETerm::Atom(name));
                }
                let module = self.atom()?;
                self.expect(b':')?;
                let function = self.atom()?;
                self.expect(b'/')?;
                self.skip();
                let start = self.pos;
                while self.peek().is_some_and(|c| c.is_ascii_digit()) {
                    self.bump();
                }
                let arity = String::from_utf8_lossy(&self.s[start..self.pos]);
                match arity.parse::<u32>() {
                    Ok(arity) if arity <= 255 => Ok(ETerm::Fun {
                        module,
                        function,
                        arity,
                    }),
                    _ => self.err("expected an arity after fun M:F/"),
                }
            }
            c if c.is_ascii_uppercase() || c == b'_' => {
                let var = self.name();
                self.err(format!("variables ({var}) are not allowed"))
            }
            c => self.err(format!(
                "unexpected character '{}'",
                (c as char).escape_default()
            )),
        }
    }
}

/// Reads the terms of a file in `file:consult/1` form: each term ends with a dot.
pub(crate) fn consult(text: &str) -> Result<Vec<ETerm>, SyntaxError> {
    let mut r = Reader {
        s: text.as_bytes(),
        pos: 0,
        line: 1,
    };
    if text.len() > MAX_OPTFILE {
        return r.err(format!("the file is over {MAX_OPTFILE} bytes"));
    }
    let mut terms = Vec::new();
    loop {
        r.skip();
        if r.peek().is_none() {
            return Ok(terms);
        }
        terms.push(r.term(0)?);
        r.expect(b'.')?;
    }
}

/// The options of an optfile that erlnode reads, and what each section becomes.
pub(crate) fn to_config(terms: &[ETerm], file: &str) -> Result<TlsConfig, TlsError> {
    let bad = |message: String| TlsError::Optfile {
        file: file.to_owned(),
        message,
    };
    let [ETerm::List(sections)] = terms else {
        return Err(bad(
            "expected one list, [{server, [...]}, {client, [...]}], ended by a dot".into(),
        ));
    };
    let mut server = None;
    let mut client = None;
    for s in sections {
        let (role, opts) = match s {
            ETerm::Tuple(t) => match t.as_slice() {
                [ETerm::Atom(role), ETerm::List(opts)] => (role.as_str(), opts),
                _ => {
                    return Err(bad(format!(
                        "expected {{server|client, [...]}}, found {}",
                        s.describe()
                    )));
                }
            },
            other => {
                return Err(bad(format!(
                    "expected {{server|client, [...]}}, found {}",
                    other.describe()
                )));
            }
        };
        let slot = match role {
            "server" => &mut server,
            "client" => &mut client,
            other => {
                return Err(bad(format!(
                    "unknown section {other} (only server and client are read)"
                )));
            }
        };
        if slot.is_some() {
            return Err(bad(format!("the {role} section appears twice")));
        }
        *slot = Some(side(role, opts, file)?);
    }
    Ok(TlsConfig {
        server: server.unwrap_or_else(|| TlsSide::otp_default(TlsVerify::None)),
        client: client.unwrap_or_else(|| TlsSide::otp_default(TlsVerify::None)),
    })
}

/// Options we read; anything else is refused by name.
const SUPPORTED: &str = "certfile, keyfile, cacertfile, verify, fail_if_no_peer_cert (server), \
                         versions, secure_renegotiate, reuse_sessions, \
                         verify_fun (inet_tls_dist:verify_client/3 only)";

/// `{fun inet_tls_dist:verify_client/3, State}`.
fn is_verify_client(value: &ETerm) -> bool {
    matches!(value, ETerm::Tuple(t) if matches!(t.as_slice(),
        [ETerm::Fun { module, function, arity: 3 }, _]
            if module == "inet_tls_dist" && function == "verify_client"))
}

fn side(role: &str, opts: &[ETerm], file: &str) -> Result<TlsSide, TlsError> {
    let bad = |message: String| TlsError::Optfile {
        file: file.to_owned(),
        message: format!("{role} section: {message}"),
    };
    let mut side = TlsSide::otp_default(TlsVerify::None);
    for opt in opts {
        let ETerm::Tuple(kv) = opt else {
            return Err(bad(format!(
                "expected {{Option, Value}}, found {}",
                opt.describe()
            )));
        };
        let [ETerm::Atom(key), value] = kv.as_slice() else {
            return Err(bad(format!(
                "expected {{Option, Value}}, found {}",
                opt.describe()
            )));
        };
        let path = || match value {
            ETerm::Str(s) if !s.is_empty() => Ok(PathBuf::from(s)),
            v => Err(bad(format!(
                "{key} must be a file name, not {}",
                v.describe()
            ))),
        };
        let boolean = || match value {
            ETerm::Atom(a) if a == "true" => Ok(true),
            ETerm::Atom(a) if a == "false" => Ok(false),
            v => Err(bad(format!(
                "{key} must be true or false, not {}",
                v.describe()
            ))),
        };
        match key.as_str() {
            "certfile" => side.certfile = Some(path()?),
            "keyfile" => side.keyfile = Some(path()?),
            "cacertfile" => side.cacertfile = Some(path()?),
            "verify" => {
                side.verify = match value {
                    ETerm::Atom(a) if a == "verify_peer" => TlsVerify::Peer,
                    ETerm::Atom(a) if a == "verify_none" => TlsVerify::None,
                    v => {
                        return Err(bad(format!(
                            "verify must be verify_peer or verify_none, not {}",
                            v.describe()
                        )));
                    }
                }
            }
            "fail_if_no_peer_cert" if role == "server" => side.fail_if_no_peer_cert = boolean()?,
            "fail_if_no_peer_cert" => {
                return Err(bad("fail_if_no_peer_cert is a server option".into()));
            }
            "versions" => {
                let ETerm::List(vs) = value else {
                    return Err(bad(format!(
                        "versions must be a list such as ['tlsv1.2', 'tlsv1.3'], not {}",
                        value.describe()
                    )));
                };
                let mut versions = Vec::new();
                for v in vs {
                    match v {
                        ETerm::Atom(a) if a == "tlsv1.2" => versions.push(TlsVersion::Tls12),
                        ETerm::Atom(a) if a == "tlsv1.3" => versions.push(TlsVersion::Tls13),
                        v => {
                            return Err(bad(format!(
                                "TLS version {} is not supported (tlsv1.2 and tlsv1.3 are)",
                                match v {
                                    ETerm::Atom(a) => a.clone(),
                                    v => v.describe(),
                                }
                            )));
                        }
                    }
                }
                if versions.is_empty() {
                    return Err(bad("versions is empty".into()));
                }
                side.versions = versions;
            }
            // No renegotiation ever happens here (rustls does not renegotiate),
            // which is what `true` asks for; session reuse is an optimisation.
            "secure_renegotiate" | "reuse_sessions" => {
                boolean()?;
            }
            // OTP's own client check: the client's certificate must name its
            // IP or a host of net_kernel's allow list, and with no allow list
            // (erlnode has none) every host passes: the same as verify_peer.
            "verify_fun" if is_verify_client(value) => {}
            "verify_fun" => {
                return Err(bad(format!(
                    "verify_fun {} is not supported (only inet_tls_dist:verify_client/3 is)",
                    match value {
                        ETerm::Tuple(t) =>
                            t.first().map_or_else(|| value.describe(), ETerm::describe),
                        v => v.describe(),
                    }
                )));
            }
            "password" => {
                return Err(bad(
                    "password (an encrypted private key) is not supported: \
                     store the key unencrypted, readable by its owner only"
                        .into(),
                ));
            }
            other => {
                return Err(bad(format!(
                    "option {other} is not supported (supported: {SUPPORTED})"
                )));
            }
        }
    }
    Ok(side)
}

impl TlsConfig {
    /// Reads an `-ssl_dist_optfile` file, the Erlang-term file BEAM nodes take
    /// (`[{server, [{certfile, "..."}, ...]}, {client, [...]}].`). An option
    /// erlnode does not support is an error naming it.
    pub fn from_optfile(path: impl AsRef<Path>) -> Result<Self, TlsError> {
        let path = path.as_ref();
        let bytes = read_bounded(path, MAX_OPTFILE)?;
        let text = String::from_utf8(bytes).map_err(|_| TlsError::Optfile {
            file: path.display().to_string(),
            message: "not UTF-8 text".into(),
        })?;
        Self::parse_optfile(&text, &path.display().to_string())
    }

    /// [`TlsConfig::from_optfile`] on the file's text; `file` names it in errors.
    pub fn parse_optfile(text: &str, file: &str) -> Result<Self, TlsError> {
        let terms = consult(text).map_err(|e| TlsError::Optfile {
            file: file.to_owned(),
            message: format!("line {}: {}", e.line, e.message),
        })?;
        to_config(&terms, file)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg(text: &str) -> Result<TlsConfig, TlsError> {
        let terms = consult(text).map_err(|e| TlsError::Optfile {
            file: "t".into(),
            message: format!("line {}: {}", e.line, e.message),
        })?;
        to_config(&terms, "t")
    }

    #[test]
    fn reads_the_usual_file() {
        let c = cfg(r#"
            % the TLS distribution options
            [{server, [{certfile, "/etc/ssl/node.pem"}, {keyfile, "/etc/ssl/node.key"},
                       {cacertfile, "/etc/ssl/ca.pem"}, {verify, verify_peer},
                       {fail_if_no_peer_cert, true}, {secure_renegotiate, true}]},
             {client, [{certfile, <<"/etc/ssl/node.pem">>}, {keyfile, "/etc/ssl/" "node.key"},
                       {cacertfile, "/etc/ssl/ca.pem"}, {verify, verify_peer},
                       {versions, ['tlsv1.2', 'tlsv1.3']}]}].
        "#)
        .unwrap();
        assert_eq!(
            c.server.certfile.as_deref(),
            Some(std::path::Path::new("/etc/ssl/node.pem"))
        );
        assert_eq!(c.server.verify, TlsVerify::Peer);
        assert!(c.server.fail_if_no_peer_cert);
        assert_eq!(c.server.versions, vec![TlsVersion::Tls12]);
        assert_eq!(
            c.client.keyfile.as_deref(),
            Some(std::path::Path::new("/etc/ssl/node.key"))
        );
        assert_eq!(
            c.client.certfile.as_deref(),
            Some(std::path::Path::new("/etc/ssl/node.pem"))
        );
        assert_eq!(
            c.client.versions,
            vec![TlsVersion::Tls12, TlsVersion::Tls13]
        );
        assert!(!c.client.fail_if_no_peer_cert);
    }

    #[test]
    fn defaults_are_otp_25s() {
        let c = cfg(r#"[{server, [{certfile, "s.pem"}]}]."#).unwrap();
        assert_eq!(c.server.verify, TlsVerify::None);
        assert!(!c.server.fail_if_no_peer_cert);
        assert_eq!(c.client.verify, TlsVerify::None);
        assert_eq!(c.client.versions, vec![TlsVersion::Tls12]);
    }

    #[test]
    fn an_unsupported_option_is_named() {
        let e = cfg(r#"[{client, [{depth, 3}]}]."#).unwrap_err().to_string();
        assert!(
            e.contains("client section: option depth is not supported"),
            "{e}"
        );
        let e = cfg(r#"[{server, [{verify_fun, {fun my_mod:check/3, []}}]}]."#)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("verify_fun fun my_mod:check/3 is not supported"),
            "{e}"
        );
        // OTP's own host check is accepted (with no allow list it is verify_peer).
        cfg(r#"[{server, [{verify_fun, {fun inet_tls_dist:verify_client/3, []}}]}]."#).unwrap();
        let e = cfg(r#"[{client, [{fail_if_no_peer_cert, true}]}]."#)
            .unwrap_err()
            .to_string();
        assert!(e.contains("server option"), "{e}");
        let e = cfg(r#"[{server, [{versions, ['tlsv1.1']}]}]."#)
            .unwrap_err()
            .to_string();
        assert!(e.contains("tlsv1.1 is not supported"), "{e}");
    }

    #[test]
    fn syntax_errors_name_the_line() {
        let e = consult("[{server,\n [{certfile, \"x\"}\n ]}]").unwrap_err();
        assert_eq!(e.line, 3);
        assert!(e.message.contains("'.'"), "{}", e.message);
        let e = consult("[{server, [Cert]}].").unwrap_err();
        assert!(e.message.contains("variables"), "{}", e.message);
        let e = consult("[{server, \"unterminated}].").unwrap_err();
        assert!(e.message.contains("unterminated"), "{}", e.message);
    }

    #[test]
    fn hostile_input_is_an_error_not_a_panic() {
        let deep = "[".repeat(10_000);
        assert!(consult(&deep).is_err());
        let long = "a".repeat(MAX_OPTFILE + 1);
        assert!(consult(&long).is_err());
        for text in [
            "", "[", "{", "<<", "<<\"a", "fun", "fun a:b/", "'", "-", "[1|2].", "\\",
        ] {
            let _ = consult(text);
        }
        // Every prefix of a real file.
        let real =
            r#"[{server, [{certfile, <<"a">>}, {verify, verify_peer}, {x, fun m:f/3}, {n, -1}]}]."#;
        for i in 0..real.len() {
            let _ = consult(&real[..i]).map(|t| to_config(&t, "t"));
        }
        assert_eq!(consult("").unwrap(), vec![]);
    }
}
