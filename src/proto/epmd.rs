//! EPMD wire messages (ALIVE2, PORT_PLEASE2, NAMES): encoding and check-then-parse decoding.
