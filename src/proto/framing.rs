//! Length-prefixed framing: 2-byte packets during the handshake (4-byte inside TLS), 4-byte messages once connected.
//!
//! Check then parse: each function looks at the bytes buffered so far and says
//! either "incomplete, read more", or where one whole frame lies, or that the
//! declared length is over the limit (the connection must then be closed).

use thiserror::Error;

/// Largest handshake packet we accept. Real ones are well under 300 bytes
/// (the longest part is a node name, at most 255 + 1 + host bytes).
pub const MAX_HANDSHAKE_PACKET: usize = 2048;

/// Largest connected-phase message we accept from a peer, by default.
pub const DEFAULT_MAX_MESSAGE: usize = 128 * 1024 * 1024;

#[derive(Debug, Error, PartialEq, Eq)]
pub enum FrameError {
    #[error("peer announced a {len}-byte frame, over the {limit}-byte limit")]
    TooLarge { len: usize, limit: usize },
    #[error("empty handshake packet")]
    EmptyPacket,
}

/// Where one frame's body lies in the buffer, and how many bytes the frame takes in all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frame {
    pub body: std::ops::Range<usize>,
    pub consumed: usize,
}

impl Frame {
    /// A zero-length connected-phase frame is a tick (keep-alive).
    pub fn is_tick(&self) -> bool {
        self.body.is_empty()
    }
}

/// Finds one 2-byte-length handshake packet at the front of `buf`.
pub fn check_packet2(buf: &[u8]) -> Result<Option<Frame>, FrameError> {
    let Some(head) = buf.get(..2) else {
        return Ok(None);
    };
    let len = usize::from(u16::from_be_bytes([head[0], head[1]]));
    if len == 0 {
        return Err(FrameError::EmptyPacket);
    }
    if len > MAX_HANDSHAKE_PACKET {
        return Err(FrameError::TooLarge {
            len,
            limit: MAX_HANDSHAKE_PACKET,
        });
    }
    if buf.len() < 2 + len {
        return Ok(None);
    }
    Ok(Some(Frame {
        body: 2..2 + len,
        consumed: 2 + len,
    }))
}

/// Finds one 4-byte-length handshake packet at the front of `buf`: the
/// handshake's framing inside TLS (`inet_tls_dist` sets `{packet, 4}`).
pub fn check_packet4(buf: &[u8]) -> Result<Option<Frame>, FrameError> {
    let Some(&[a, b, c, d]) = buf.get(..4) else {
        return Ok(None);
    };
    let len = u32::from_be_bytes([a, b, c, d]) as usize;
    if len == 0 {
        return Err(FrameError::EmptyPacket);
    }
    if len > MAX_HANDSHAKE_PACKET {
        return Err(FrameError::TooLarge {
            len,
            limit: MAX_HANDSHAKE_PACKET,
        });
    }
    if buf.len() < 4 + len {
        return Ok(None);
    }
    Ok(Some(Frame {
        body: 4..4 + len,
        consumed: 4 + len,
    }))
}

/// Re-frames handshake packets built with 2-byte lengths (as the handshake
/// state machine emits them) with 4-byte lengths. Stops at anything that is
/// not a whole packet (there never is: the input is our own output).
pub fn packet2_to_packet4(mut bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len() + 8);
    while let Ok(Some(f)) = check_packet2(bytes) {
        let body = &bytes[f.body.clone()];
        out.extend_from_slice(&(body.len() as u32).to_be_bytes());
        out.extend_from_slice(body);
        bytes = &bytes[f.consumed..];
    }
    out
}

/// Finds one 4-byte-length message (or tick) at the front of `buf`.
pub fn check_frame4(buf: &[u8], limit: usize) -> Result<Option<Frame>, FrameError> {
    let Some(head) = buf.get(..4) else {
        return Ok(None);
    };
    let len = u32::from_be_bytes([head[0], head[1], head[2], head[3]]) as usize;
    if len > limit {
        return Err(FrameError::TooLarge { len, limit });
    }
    if buf.len() < 4 + len {
        return Ok(None);
    }
    Ok(Some(Frame {
        body: 4..4 + len,
        consumed: 4 + len,
    }))
}

/// Appends `body` as a 2-byte-length packet. Handshake packets are built by us
/// and always short; a body over 65535 bytes is a bug and is cut off by the
/// caller's own limits (names are bounded before they get here).
pub fn put_packet2(out: &mut Vec<u8>, body: &[u8]) {
    let len = u16::try_from(body.len()).unwrap_or(u16::MAX);
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(&body[..usize::from(len)]);
}

/// The 4 bytes of a tick.
pub const TICK: [u8; 4] = [0, 0, 0, 0];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packet2_partial_reads() {
        let bytes = [0, 3, b's', b'o', b'k', 0xff];
        for cut in 0..5 {
            assert_eq!(check_packet2(&bytes[..cut]), Ok(None), "cut at {cut}");
        }
        let f = check_packet2(&bytes).unwrap().unwrap();
        assert_eq!(&bytes[f.body.clone()], b"sok");
        assert_eq!(f.consumed, 5);
    }

    #[test]
    fn packet4_handshake_framing() {
        let mut two = Vec::new();
        put_packet2(&mut two, b"sok");
        put_packet2(&mut two, b"strue");
        let four = packet2_to_packet4(&two);
        assert_eq!(four, b"\0\0\0\x03sok\0\0\0\x05strue");
        for cut in 0..7 {
            assert_eq!(check_packet4(&four[..cut]), Ok(None), "cut at {cut}");
        }
        let f = check_packet4(&four).unwrap().unwrap();
        assert_eq!(&four[f.body.clone()], b"sok");
        assert_eq!(f.consumed, 7);
        assert_eq!(check_packet4(&[0, 0, 0, 0]), Err(FrameError::EmptyPacket));
        assert!(matches!(
            check_packet4(&[0x16, 3, 1, 0, 0xc8]),
            Err(FrameError::TooLarge { .. })
        ));
    }

    #[test]
    fn packet2_limits() {
        assert_eq!(check_packet2(&[0, 0]), Err(FrameError::EmptyPacket));
        assert!(matches!(
            check_packet2(&[0xff, 0xff]),
            Err(FrameError::TooLarge { len: 65535, .. })
        ));
    }

    #[test]
    fn frame4_tick_message_and_limits() {
        let f = check_frame4(&TICK, 100).unwrap().unwrap();
        assert!(f.is_tick());
        assert_eq!(f.consumed, 4);
        let bytes = [0, 0, 0, 2, 112, 131, 9];
        for cut in 0..6 {
            assert_eq!(check_frame4(&bytes[..cut], 100), Ok(None));
        }
        let f = check_frame4(&bytes, 100).unwrap().unwrap();
        assert_eq!(f.body, 4..6);
        assert_eq!(
            check_frame4(&[0xff, 0xff, 0xff, 0xff], 1 << 20),
            Err(FrameError::TooLarge {
                len: 0xffff_ffff,
                limit: 1 << 20
            })
        );
    }

    #[test]
    fn put_packet2_prefixes_length() {
        let mut out = Vec::new();
        put_packet2(&mut out, b"sok");
        assert_eq!(out, [0, 3, b's', b'o', b'k']);
    }
}
