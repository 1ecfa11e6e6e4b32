//! The tokio runtime of a node: connections, processes and node services.

pub mod epmd_client;
pub mod epmd_server;
