//! What the server listens on and whom it lets in.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;

use crate::error::ServerError;
use crate::keys::KeyCheck;

/// Default port: the app's, not 8080/8000 (often taken by other local servers).
pub const DEFAULT_PORT: u16 = 8139;
/// Requests the in-memory log keeps (oldest dropped first).
pub const DEFAULT_LOG_ENTRIES: usize = 500;

#[derive(Clone)]
pub struct ServerConfig {
    /// 0 picks a free port (tests).
    pub port: u16,
    /// Listen beyond this machine: binds `0.0.0.0` (or `host`) and then requires an API key.
    pub lan: bool,
    /// The address to bind; `None`: 127.0.0.1, or 0.0.0.0 with `lan`. A non-loopback address
    /// needs `lan`.
    pub host: Option<IpAddr>,
    /// Host names accepted in the `Host` header besides `localhost` and IP addresses (for a
    /// machine reached by name on the LAN, `studio.local`).
    pub allowed_hosts: Vec<String>,
    /// Browser origins allowed by CORS (`http://localhost:5173`); empty: none.
    pub allowed_origins: Vec<String>,
    /// How API keys are checked; `None` accepts requests without one (loopback only).
    pub keys: Option<Arc<dyn KeyCheck>>,
    pub max_log_entries: usize,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            port: DEFAULT_PORT,
            lan: false,
            host: None,
            allowed_hosts: Vec::new(),
            allowed_origins: Vec::new(),
            keys: None,
            max_log_entries: DEFAULT_LOG_ENTRIES,
        }
    }
}

impl ServerConfig {
    /// The address to bind, after checking that LAN settings are consistent.
    pub fn bind_addr(&self) -> Result<SocketAddr, ServerError> {
        let ip = match (self.host, self.lan) {
            (Some(ip), _) => ip,
            (None, true) => IpAddr::V4(Ipv4Addr::UNSPECIFIED),
            (None, false) => IpAddr::V4(Ipv4Addr::LOCALHOST),
        };
        if !ip.is_loopback() && !self.lan {
            return Err(ServerError::InvalidConfig {
                field: "host",
                reason: format!("{ip} is reachable from other machines: turn LAN access on"),
            });
        }
        if self.lan && self.keys.is_none() {
            return Err(ServerError::LanNeedsApiKey);
        }
        for origin in &self.allowed_origins {
            if origin == "*" || !(origin.starts_with("http://") || origin.starts_with("https://")) {
                return Err(ServerError::InvalidConfig {
                    field: "allowed_origins",
                    reason: format!("'{origin}' is not an origin such as http://localhost:5173"),
                });
            }
        }
        Ok(SocketAddr::new(ip, self.port))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::StaticKey;

    #[test]
    fn loopback_by_default_and_lan_needs_a_key() {
        let config = ServerConfig::default();
        assert_eq!(config.bind_addr().unwrap().to_string(), "127.0.0.1:8139");

        let mut lan = ServerConfig {
            lan: true,
            ..Default::default()
        };
        assert_eq!(lan.bind_addr().unwrap_err().code(), "lan_needs_api_key");
        lan.keys = Some(Arc::new(StaticKey::new("k")));
        assert_eq!(lan.bind_addr().unwrap().ip().to_string(), "0.0.0.0");
    }

    #[test]
    fn a_public_address_needs_lan_and_origins_are_checked() {
        let config = ServerConfig {
            host: Some("0.0.0.0".parse().unwrap()),
            ..Default::default()
        };
        assert_eq!(config.bind_addr().unwrap_err().code(), "invalid_input");
        let config = ServerConfig {
            allowed_origins: vec!["*".into()],
            ..Default::default()
        };
        assert!(config.bind_addr().is_err());
    }
}
