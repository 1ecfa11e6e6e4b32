//! Distribution capability flags (DFLAG_*): what we advertise and what we require of a peer.

use std::fmt;

/// A set of distribution flags as exchanged in the version 6 handshake (64 bits).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct DistFlags(pub u64);

macro_rules! flags {
    ($($name:ident = $value:expr;)*) => {
        impl DistFlags {
            $(pub const $name: DistFlags = DistFlags($value);)*
            /// Every named flag, for printing.
            const NAMED: &'static [(&'static str, u64)] = &[$((stringify!($name), $value)),*];
        }
    };
}

flags! {
    PUBLISHED = 0x1;
    ATOM_CACHE = 0x2;
    EXTENDED_REFERENCES = 0x4;
    DIST_MONITOR = 0x8;
    FUN_TAGS = 0x10;
    DIST_MONITOR_NAME = 0x20;
    HIDDEN_ATOM_CACHE = 0x40;
    NEW_FUN_TAGS = 0x80;
    EXTENDED_PIDS_PORTS = 0x100;
    EXPORT_PTR_TAG = 0x200;
    BIT_BINARIES = 0x400;
    NEW_FLOATS = 0x800;
    UNICODE_IO = 0x1000;
    DIST_HDR_ATOM_CACHE = 0x2000;
    SMALL_ATOM_TAGS = 0x4000;
    UTF8_ATOMS = 0x10000;
    MAP_TAG = 0x20000;
    BIG_CREATION = 0x40000;
    SEND_SENDER = 0x80000;
    BIG_SEQTRACE_LABELS = 0x100000;
    EXIT_PAYLOAD = 0x400000;
    FRAGMENTS = 0x800000;
    HANDSHAKE_23 = 0x1000000;
    UNLINK_ID = 0x2000000;
    MANDATORY_25_DIGEST = 0x4000000;
    SPAWN = 1 << 32;
    NAME_ME = 1 << 33;
    V4_NC = 1 << 34;
    ALIAS = 1 << 35;
    ALTACT_SIG = 1 << 37;
    NATIVE_RECORDS = 1 << 38;
}

impl DistFlags {
    /// The flags OTP 25 refuses to connect without (its DFLAG_DIST_MANDATORY).
    pub const OTP25_MANDATORY: DistFlags = DistFlags(0x0107_0F94);

    /// OTP 26 and later also make V4_NC and UNLINK_ID mandatory.
    pub const OTP26_MANDATORY: DistFlags =
        DistFlags(Self::OTP25_MANDATORY.0 | Self::V4_NC.0 | Self::UNLINK_ID.0);

    /// What we require of a peer: the flags our own code depends on. A peer
    /// lacking any of these is refused.
    pub const REQUIRED: DistFlags = Self::OTP25_MANDATORY;

    /// What this node advertises: with the distribution header (atom cache) and
    /// fragments, as every BEAM pair uses them.
    pub fn ours(hidden: bool) -> DistFlags {
        let mut f = Self::OTP26_MANDATORY
            | Self::DIST_HDR_ATOM_CACHE
            | Self::FRAGMENTS
            | Self::DIST_MONITOR
            | Self::DIST_MONITOR_NAME
            | Self::EXPORT_PTR_TAG
            | Self::UNICODE_IO
            | Self::SMALL_ATOM_TAGS
            | Self::SEND_SENDER
            | Self::BIG_SEQTRACE_LABELS
            | Self::EXIT_PAYLOAD
            | Self::MANDATORY_25_DIGEST
            | Self::SPAWN
            | Self::ALIAS
            | Self::ALTACT_SIG;
        if !hidden {
            f = f | Self::PUBLISHED;
        }
        f
    }

    pub fn contains(self, other: DistFlags) -> bool {
        self.0 & other.0 == other.0
    }

    /// The flags of `required` that `self` lacks.
    pub fn missing(self, required: DistFlags) -> DistFlags {
        DistFlags(required.0 & !self.0)
    }

    pub fn is_empty(self) -> bool {
        self.0 == 0
    }
}

impl std::ops::BitOr for DistFlags {
    type Output = DistFlags;
    fn bitor(self, rhs: DistFlags) -> DistFlags {
        DistFlags(self.0 | rhs.0)
    }
}

impl std::ops::BitAnd for DistFlags {
    type Output = DistFlags;
    fn bitand(self, rhs: DistFlags) -> DistFlags {
        DistFlags(self.0 & rhs.0)
    }
}

/// Prints the flag names, e.g. `V4_NC|UNLINK_ID`, and any unnamed bits in hex.
impl fmt::Display for DistFlags {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut rest = self.0;
        let mut first = true;
        for (name, bit) in Self::NAMED {
            if self.0 & bit != 0 {
                if !first {
                    f.write_str("|")?;
                }
                f.write_str(name)?;
                first = false;
                rest &= !bit;
            }
        }
        if rest != 0 {
            if !first {
                f.write_str("|")?;
            }
            write!(f, "{rest:#x}")?;
        } else if first {
            f.write_str("(none)")?;
        }
        Ok(())
    }
}

impl fmt::Debug for DistFlags {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DistFlags({:#x}: {})", self.0, self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn we_advertise_what_otp25_to_28_require() {
        for hidden in [false, true] {
            let ours = DistFlags::ours(hidden);
            assert!(ours.missing(DistFlags::OTP26_MANDATORY).is_empty());
            assert!(ours.missing(DistFlags::OTP25_MANDATORY).is_empty());
            assert_eq!(ours.contains(DistFlags::PUBLISHED), !hidden);
            assert!(ours.contains(DistFlags::DIST_HDR_ATOM_CACHE));
            assert!(ours.contains(DistFlags::FRAGMENTS));
            // The old (pre-R13) atom cache is long gone from OTP.
            assert!(!ours.contains(DistFlags::ATOM_CACHE));
            // Process aliases: ALIAS_SEND (OTP 24+) and ALTACT_SIG_SEND (OTP 28+).
            assert!(ours.contains(DistFlags::ALIAS | DistFlags::ALTACT_SIG));
        }
    }

    #[test]
    fn otp25_mandatory_is_the_named_set() {
        let named = DistFlags::EXTENDED_REFERENCES
            | DistFlags::FUN_TAGS
            | DistFlags::NEW_FUN_TAGS
            | DistFlags::EXTENDED_PIDS_PORTS
            | DistFlags::EXPORT_PTR_TAG
            | DistFlags::BIT_BINARIES
            | DistFlags::NEW_FLOATS
            | DistFlags::UTF8_ATOMS
            | DistFlags::MAP_TAG
            | DistFlags::BIG_CREATION
            | DistFlags::HANDSHAKE_23;
        assert_eq!(named, DistFlags::OTP25_MANDATORY);
    }

    #[test]
    fn display_names_missing_flags() {
        let peer = DistFlags(DistFlags::OTP25_MANDATORY.0 & !DistFlags::MAP_TAG.0);
        let missing = peer.missing(DistFlags::REQUIRED);
        assert_eq!(missing.to_string(), "MAP_TAG");
        assert_eq!(DistFlags(1 << 40).to_string(), "0x10000000000");
    }
}
