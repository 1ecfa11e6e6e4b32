//! The handshake's cookie digest: MD5 of the cookie followed by the challenge in decimal.

/// The 16-byte digest a node proves knowledge of the cookie with.
pub fn digest(challenge: u32, cookie: &[u8]) -> [u8; 16] {
    let mut ctx = md5::Context::new();
    ctx.consume(cookie);
    ctx.consume(challenge.to_string().as_bytes());
    ctx.finalize().0
}

/// Checks a digest received from a peer, in time independent of where it differs.
pub fn verify(challenge: u32, cookie: &[u8], received: &[u8; 16]) -> bool {
    let expected = digest(challenge, cookie);
    let diff = expected
        .iter()
        .zip(received.iter())
        .fold(0u8, |acc, (a, b)| acc | (a ^ b));
    diff == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    // Captured from OTP 25: erl -noshell -eval
    //   'io:format("~w~n",[binary_to_list(erlang:md5(["secret", integer_to_list(3735928559)]))]), halt().'
    // (dist_util's gen_digest is md5(Cookie ++ integer_to_list(Challenge))).
    const SECRET_DEADBEEF: [u8; 16] = [
        0xc3, 0x93, 0x9b, 0x31, 0xd7, 0xa9, 0x13, 0xd8, 0x2e, 0x2a, 0xce, 0x09, 0x24, 0x7c, 0x7b,
        0x41,
    ];

    #[test]
    fn digest_matches_otp() {
        assert_eq!(digest(0xDEAD_BEEF, b"secret"), SECRET_DEADBEEF);
        assert!(verify(0xDEAD_BEEF, b"secret", &SECRET_DEADBEEF));
    }

    #[test]
    fn wrong_cookie_or_challenge_fails() {
        assert!(!verify(0xDEAD_BEEF, b"Secret", &SECRET_DEADBEEF));
        assert!(!verify(0xDEAD_BEEE, b"secret", &SECRET_DEADBEEF));
        let mut flipped = SECRET_DEADBEEF;
        flipped[15] ^= 1;
        assert!(!verify(0xDEAD_BEEF, b"secret", &flipped));
    }
}
