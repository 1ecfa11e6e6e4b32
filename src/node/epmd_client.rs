//! EPMD client over TCP: register (and keep the registration open), PORT_PLEASE2, NAMES.
