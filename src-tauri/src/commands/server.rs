//! The LAN API in Settings: switch the server on and off, its port, LAN access, allowed hosts and
//! origins, the request log, and the API keys it accepts.
//!
//! The server is off by default. Its settings are saved in the settings store (key
//! [`SETTINGS_KEY`]) each time it starts or stops, so a server that was on starts again at
//! launch ([`LanApi::resume`]).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, UdpSocket};
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use loris_auth::{ApiKeyInfo, ApiKeys, CreatedApiKey};
use loris_core::{ApiError, Store};
use loris_infer::ModelRegistry;
use loris_server::{RequestLogEntry, Server, ServerConfig, ServerError, ServerHandle};
use serde::{Deserialize, Serialize};
use tauri::State;
use tokio::sync::Mutex;

use crate::AppState;

/// The settings-store key of [`LanApiSettings`].
pub const SETTINGS_KEY: &str = "lan_api";
const SECONDS_PER_DAY: i64 = 86_400;

/// What the user chose for the server, as saved between runs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase", default)]
pub struct LanApiSettings {
    /// Whether the server was on when last switched; it starts at launch if so.
    pub enabled: bool,
    /// 0 picks a free port.
    pub port: u16,
    /// Listen beyond this machine (needs an API key).
    pub lan: bool,
    /// Host names accepted besides `localhost` and IP addresses (`studio.local`).
    pub allowed_hosts: Vec<String>,
    /// Browser origins allowed by CORS (`http://localhost:5173`).
    pub allowed_origins: Vec<String>,
}

impl Default for LanApiSettings {
    fn default() -> Self {
        LanApiSettings {
            enabled: false,
            port: loris_server::DEFAULT_PORT,
            lan: false,
            allowed_hosts: Vec::new(),
            allowed_origins: Vec::new(),
        }
    }
}

/// What `server_start` asks for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct ServerStartRequest {
    pub port: u16,
    pub lan: bool,
    pub allowed_hosts: Vec<String>,
    pub allowed_origins: Vec<String>,
}

/// The server as Settings shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct ServerStatus {
    pub running: bool,
    /// The address bound while running (`127.0.0.1:8139`, `0.0.0.0:8139`).
    pub address: Option<String>,
    /// The port bound while running, the saved one otherwise.
    pub port: u16,
    pub lan: bool,
    /// The base URL clients use: this machine's LAN address with LAN access on (when it has
    /// one), 127.0.0.1 otherwise.
    pub url: String,
    pub allowed_hosts: Vec<String>,
    pub allowed_origins: Vec<String>,
    /// Addresses other machines can reach this one at.
    pub lan_addresses: Vec<String>,
    /// Why the server is not running although it was switched on (it could not start at
    /// launch, say because the port was taken).
    pub last_error: Option<ApiError>,
}

/// One request of the log, as Settings shows it. Nothing about its content or key is kept.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct ApiRequestEntry {
    #[specta(type = specta_typescript::Number)]
    pub id: u64,
    /// Unix milliseconds when the request arrived.
    #[specta(type = specta_typescript::Number)]
    pub at_ms: u64,
    pub method: String,
    pub path: String,
    /// 0 while the handler runs.
    pub status: u16,
    pub prompt_tokens: Option<u32>,
    pub completion_tokens: Option<u32>,
    /// Always finite (a measured duration), so never the `null` a NaN would become.
    #[specta(type = specta_typescript::Number)]
    pub duration_ms: f64,
    /// A stream's entry is final when the stream ends.
    pub done: bool,
}

impl From<RequestLogEntry> for ApiRequestEntry {
    fn from(e: RequestLogEntry) -> Self {
        let tokens = |n: Option<usize>| n.map(|n| u32::try_from(n).unwrap_or(u32::MAX));
        ApiRequestEntry {
            id: e.id,
            at_ms: e.at_ms,
            method: e.method,
            path: e.path,
            status: e.status,
            prompt_tokens: tokens(e.prompt_tokens),
            completion_tokens: tokens(e.completion_tokens),
            duration_ms: e.duration_ms,
            done: e.done,
        }
    }
}

/// The app's one LAN API server, its saved settings and its keys.
pub struct LanApi {
    store: Arc<Store>,
    registry: Arc<ModelRegistry>,
    keys: Arc<ApiKeys>,
    /// Held across a whole start or stop, so two never interleave.
    running: Mutex<Running>,
}

#[derive(Default)]
struct Running {
    handle: Option<ServerHandle>,
    last_error: Option<ApiError>,
}

impl LanApi {
    pub fn new(store: Arc<Store>, registry: Arc<ModelRegistry>) -> Result<Self, ApiError> {
        let keys = Arc::new(ApiKeys::new(Arc::clone(&store))?);
        Ok(LanApi {
            store,
            registry,
            keys,
            running: Mutex::new(Running::default()),
        })
    }

    pub fn keys(&self) -> &ApiKeys {
        &self.keys
    }

    /// The saved settings; the defaults when there are none, or when they cannot be read (an
    /// older or damaged value must not keep the app from starting).
    pub fn settings(&self) -> Result<LanApiSettings, ApiError> {
        let Some(value) = self.store.setting(SETTINGS_KEY)? else {
            return Ok(LanApiSettings::default());
        };
        Ok(serde_json::from_value(value).unwrap_or_else(|err| {
            tracing::warn!(error = %err, "unreadable LAN API settings: using the defaults");
            LanApiSettings::default()
        }))
    }

    fn save(&self, settings: &LanApiSettings) -> Result<(), ApiError> {
        let value = serde_json::to_value(settings)
            .map_err(|e| ApiError::new("internal", format!("LAN API settings: {e}")))?;
        Ok(self.store.set_setting(SETTINGS_KEY, &value)?)
    }

    pub async fn status(&self) -> Result<ServerStatus, ApiError> {
        let settings = self.settings()?;
        let running = self.running.lock().await;
        Ok(status_of(&settings, &running, lan_addresses()))
    }

    /// Starts the server with `request`, replacing one already running (a restart with new
    /// settings), and saves the settings as switched on. LAN access with no live API key is
    /// refused with `lan_needs_api_key` before anything changes.
    pub async fn start(&self, request: ServerStartRequest) -> Result<ServerStatus, ApiError> {
        let wanted = LanApiSettings {
            enabled: true,
            port: request.port,
            lan: request.lan,
            allowed_hosts: clean_list(request.allowed_hosts),
            allowed_origins: clean_list(request.allowed_origins),
        };
        if wanted.lan && !has_live_key(&self.keys.list()?, unix_now()) {
            return Err(ApiError::new(
                ServerError::LanNeedsApiKey.code(),
                "LAN access needs an API key: create one first, then turn LAN access on",
            ));
        }
        let mut running = self.running.lock().await;
        let was_running = running.handle.is_some();
        if let Some(handle) = running.handle.take() {
            handle.stop().await;
        }
        match Server::start(self.config(&wanted), Arc::clone(&self.registry)).await {
            Ok(handle) => {
                running.handle = Some(handle);
                running.last_error = None;
                self.save(&wanted)?;
                Ok(status_of(&wanted, &running, lan_addresses()))
            }
            Err(err) => {
                let err = server_error(&err);
                running.last_error = Some(err.clone());
                if was_running {
                    // The old server is gone too: do not start it again at the next launch.
                    let mut saved = self.settings()?;
                    saved.enabled = false;
                    self.save(&saved)?;
                }
                Err(err)
            }
        }
    }

    /// Stops the server (open requests finish first) and saves it as switched off.
    pub async fn stop(&self) -> Result<ServerStatus, ApiError> {
        let mut running = self.running.lock().await;
        if let Some(handle) = running.handle.take() {
            handle.stop().await;
        }
        running.last_error = None;
        let mut settings = self.settings()?;
        settings.enabled = false;
        self.save(&settings)?;
        Ok(status_of(&settings, &running, lan_addresses()))
    }

    /// At launch: starts the server if it was on when the app last ran. A failure is kept for
    /// Settings to show (and logged); the setting stays on, so the next launch tries again.
    pub async fn resume(&self) {
        let settings = match self.settings() {
            Ok(settings) => settings,
            Err(err) => {
                tracing::warn!(error = %err, "could not read the LAN API settings");
                return;
            }
        };
        if !settings.enabled {
            return;
        }
        let request = ServerStartRequest {
            port: settings.port,
            lan: settings.lan,
            allowed_hosts: settings.allowed_hosts,
            allowed_origins: settings.allowed_origins,
        };
        if let Err(err) = self.start(request).await {
            tracing::warn!(code = %err.code, "the LAN API did not start at launch: {}", err.message);
        }
    }

    /// The running server's recent requests, newest first; none while it is off.
    pub async fn requests(&self) -> Vec<ApiRequestEntry> {
        let running = self.running.lock().await;
        let mut entries: Vec<ApiRequestEntry> = running
            .handle
            .as_ref()
            .map(|h| {
                h.requests()
                    .into_iter()
                    .map(ApiRequestEntry::from)
                    .collect()
            })
            .unwrap_or_default();
        entries.reverse();
        entries
    }

    fn config(&self, settings: &LanApiSettings) -> ServerConfig {
        // Keys are checked beyond loopback; on loopback only this machine's programs reach it.
        let keys: Option<Arc<dyn loris_server::KeyCheck>> = if settings.lan {
            Some(Arc::clone(&self.keys) as Arc<dyn loris_server::KeyCheck>)
        } else {
            None
        };
        ServerConfig {
            port: settings.port,
            lan: settings.lan,
            host: None,
            allowed_hosts: settings.allowed_hosts.clone(),
            allowed_origins: settings.allowed_origins.clone(),
            keys,
            ..ServerConfig::default()
        }
    }
}

fn status_of(
    settings: &LanApiSettings,
    running: &Running,
    lan_addresses: Vec<IpAddr>,
) -> ServerStatus {
    let bound = running.handle.as_ref().map(ServerHandle::local_addr);
    let port = bound.map_or(settings.port, |addr| addr.port());
    let host = match lan_addresses.first() {
        Some(ip) if settings.lan => *ip,
        _ => IpAddr::V4(Ipv4Addr::LOCALHOST),
    };
    ServerStatus {
        running: bound.is_some(),
        address: bound.map(|addr| addr.to_string()),
        port,
        lan: settings.lan,
        url: base_url(host, port),
        allowed_hosts: settings.allowed_hosts.clone(),
        allowed_origins: settings.allowed_origins.clone(),
        lan_addresses: lan_addresses.iter().map(IpAddr::to_string).collect(),
        last_error: running.last_error.clone(),
    }
}

fn base_url(host: IpAddr, port: u16) -> String {
    match host {
        IpAddr::V4(ip) => format!("http://{ip}:{port}"),
        IpAddr::V6(ip) => format!("http://[{ip}]:{port}"),
    }
}

/// Trimmed, without empty entries or repeats, in the order given.
fn clean_list(items: Vec<String>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for item in items {
        let item = item.trim();
        if !item.is_empty() && !out.iter().any(|o| o == item) {
            out.push(item.to_owned());
        }
    }
    out
}

/// A key that is neither revoked nor expired at `now` (unix seconds).
fn has_live_key(keys: &[ApiKeyInfo], now: i64) -> bool {
    keys.iter()
        .any(|k| k.revoked_at.is_none() && k.expires_at.is_none_or(|at| at > now))
}

fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

fn server_error(err: &ServerError) -> ApiError {
    ApiError::new(err.code(), err.to_string())
}

/// The addresses other machines on the network reach this one at: the source address the
/// routing table picks for an outside destination, per IP version. Connecting a UDP socket
/// sends nothing; a machine without a route gets none.
pub fn lan_addresses() -> Vec<IpAddr> {
    let probes: [(IpAddr, IpAddr); 2] = [
        // Documentation ranges (TEST-NET-1, 2001:db8::): never real peers.
        (
            IpAddr::V4(Ipv4Addr::UNSPECIFIED),
            IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1)),
        ),
        (
            IpAddr::V6(Ipv6Addr::UNSPECIFIED),
            IpAddr::V6(Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 1)),
        ),
    ];
    probes
        .into_iter()
        .filter_map(|(local, remote)| {
            let socket = UdpSocket::bind((local, 0)).ok()?;
            socket.connect((remote, 9)).ok()?;
            let ip = socket.local_addr().ok()?.ip();
            (!ip.is_loopback() && !ip.is_unspecified()).then_some(ip)
        })
        .collect()
}

/// Whether the server runs, where, and with which settings.
#[tauri::command]
#[specta::specta]
pub async fn server_status(
    state: State<'_, AppState>,
    access_token: String,
) -> Result<ServerStatus, ApiError> {
    state.authorize(&access_token)?;
    state.lan_api.status().await
}

/// Starts (or restarts) the server and saves its settings as switched on.
#[tauri::command]
#[specta::specta]
pub async fn server_start(
    state: State<'_, AppState>,
    access_token: String,
    request: ServerStartRequest,
) -> Result<ServerStatus, ApiError> {
    state.authorize(&access_token)?;
    state.lan_api.start(request).await
}

/// Stops the server and saves it as switched off.
#[tauri::command]
#[specta::specta]
pub async fn server_stop(
    state: State<'_, AppState>,
    access_token: String,
) -> Result<ServerStatus, ApiError> {
    state.authorize(&access_token)?;
    state.lan_api.stop().await
}

/// The running server's recent requests, newest first.
#[tauri::command]
#[specta::specta]
pub async fn server_requests(
    state: State<'_, AppState>,
    access_token: String,
) -> Result<Vec<ApiRequestEntry>, ApiError> {
    state.authorize(&access_token)?;
    Ok(state.lan_api.requests().await)
}

/// Creates an API key, valid for `expires_in_days` when given. Its secret is in this answer
/// and nowhere else, ever.
#[tauri::command]
#[specta::specta]
pub fn api_key_create(
    state: State<'_, AppState>,
    access_token: String,
    name: String,
    expires_in_days: Option<u32>,
) -> Result<CreatedApiKey, ApiError> {
    state.authorize(&access_token)?;
    let expires_at = expires_in_days.map(|days| unix_now() + i64::from(days) * SECONDS_PER_DAY);
    Ok(state.lan_api.keys().create(&name, expires_at)?)
}

/// Every key, revoked and expired ones included, newest first; never a secret.
#[tauri::command]
#[specta::specta]
pub fn api_keys_list(
    state: State<'_, AppState>,
    access_token: String,
) -> Result<Vec<ApiKeyInfo>, ApiError> {
    state.authorize(&access_token)?;
    Ok(state.lan_api.keys().list()?)
}

/// Revokes a key at once: the next request with it is refused.
#[tauri::command]
#[specta::specta]
pub fn api_key_revoke(
    state: State<'_, AppState>,
    access_token: String,
    id: String,
) -> Result<(), ApiError> {
    state.authorize(&access_token)?;
    Ok(state.lan_api.keys().revoke(&id)?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Read, Write};
    use std::net::{SocketAddr, TcpStream};

    fn lan_api(store: &Arc<Store>) -> LanApi {
        let registry = Arc::new(ModelRegistry::new(loris_infer::EngineOptions::default()));
        LanApi::new(Arc::clone(store), registry).unwrap()
    }

    fn store() -> Arc<Store> {
        Arc::new(Store::open_in_memory().unwrap())
    }

    fn loopback(port: u16) -> ServerStartRequest {
        ServerStartRequest {
            port,
            lan: false,
            allowed_hosts: vec![],
            allowed_origins: vec![],
        }
    }

    /// `GET path` over plain HTTP/1.1; the status line's code.
    async fn get(port: u16, path: &str) -> std::io::Result<u16> {
        let path = path.to_owned();
        tokio::task::spawn_blocking(move || {
            let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
            let mut stream = TcpStream::connect(addr)?;
            write!(
                stream,
                "GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n"
            )?;
            let mut reply = String::new();
            stream.read_to_string(&mut reply)?;
            Ok(reply
                .split(' ')
                .nth(1)
                .and_then(|code| code.parse().ok())
                .unwrap_or(0))
        })
        .await
        .map_err(std::io::Error::other)?
    }

    #[tokio::test]
    async fn off_by_default_then_starts_serves_logs_and_stops() {
        let store = store();
        let api = lan_api(&store);
        let status = api.status().await.unwrap();
        assert!(!status.running);
        assert_eq!(status.port, loris_server::DEFAULT_PORT);
        assert_eq!(
            status.url,
            format!("http://127.0.0.1:{}", loris_server::DEFAULT_PORT)
        );

        let status = api.start(loopback(0)).await.unwrap();
        assert!(status.running);
        assert_ne!(status.port, 0, "the bound port is shown");
        assert_eq!(status.url, format!("http://127.0.0.1:{}", status.port));
        assert_eq!(status.address, Some(format!("127.0.0.1:{}", status.port)));

        assert_eq!(get(status.port, "/v1/models").await.unwrap(), 200);
        let log = api.requests().await;
        assert_eq!(log.len(), 1);
        assert_eq!(
            (log[0].method.as_str(), log[0].path.as_str()),
            ("GET", "/v1/models")
        );
        assert_eq!(log[0].status, 200);

        let stopped = api.stop().await.unwrap();
        assert!(!stopped.running);
        assert!(
            get(status.port, "/v1/models").await.is_err(),
            "nothing listens"
        );
        assert!(api.requests().await.is_empty());
    }

    #[tokio::test]
    async fn starting_again_restarts_with_the_new_settings() {
        let store = store();
        let api = lan_api(&store);
        let first = api.start(loopback(0)).await.unwrap();
        let mut request = loopback(0);
        request.allowed_hosts = vec![" studio.local ".into(), "".into(), "studio.local".into()];
        let second = api.start(request).await.unwrap();
        assert!(second.running);
        assert_eq!(second.allowed_hosts, ["studio.local"]);
        if second.port != first.port {
            assert!(
                get(first.port, "/v1/models").await.is_err(),
                "the first one stopped"
            );
        }
        assert_eq!(get(second.port, "/v1/models").await.unwrap(), 200);
        api.stop().await.unwrap();
    }

    #[tokio::test]
    async fn lan_access_is_refused_without_a_live_key() {
        let store = store();
        let api = lan_api(&store);
        let lan = ServerStartRequest {
            lan: true,
            ..loopback(0)
        };
        let err = api.start(lan.clone()).await.unwrap_err();
        assert_eq!(err.code, "lan_needs_api_key");
        assert!(!api.status().await.unwrap().running);
        assert_eq!(
            api.settings().unwrap(),
            LanApiSettings::default(),
            "nothing saved"
        );

        // A revoked key does not count.
        let revoked = api.keys().create("old", None).unwrap();
        api.keys().revoke(&revoked.key.id).unwrap();
        let err = api.start(lan.clone()).await.unwrap_err();
        assert_eq!(err.code, "lan_needs_api_key");

        api.keys().create("laptop", None).unwrap();
        let status = api.start(lan).await.unwrap();
        assert!(status.running && status.lan);
        // With LAN on, requests need the key.
        assert_eq!(get(status.port, "/v1/models").await.unwrap(), 401);
        api.stop().await.unwrap();
    }

    #[tokio::test]
    async fn settings_survive_a_restart_and_a_server_that_was_on_starts_again() {
        let store = store();
        let api = lan_api(&store);
        let mut request = loopback(0);
        request.allowed_origins = vec!["http://localhost:5173".into()];
        api.start(request).await.unwrap();
        let saved = api.settings().unwrap();
        assert!(saved.enabled);
        assert_eq!(saved.allowed_origins, ["http://localhost:5173"]);
        api.stop().await.unwrap();
        assert!(!api.settings().unwrap().enabled);

        // The next launch, with the server left on.
        api.start(loopback(0)).await.unwrap();
        drop(api);
        let relaunched = lan_api(&store);
        relaunched.resume().await;
        let status = relaunched.status().await.unwrap();
        assert!(status.running);
        assert_eq!(get(status.port, "/v1/models").await.unwrap(), 200);

        // Switched off: the launch after that leaves it off.
        relaunched.stop().await.unwrap();
        let again = lan_api(&store);
        again.resume().await;
        assert!(!again.status().await.unwrap().running);
    }

    #[tokio::test]
    async fn a_port_in_use_is_a_typed_error_kept_for_settings() {
        let store = store();
        let taken = std::net::TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
        let port = taken.local_addr().unwrap().port();
        let api = lan_api(&store);
        let err = api.start(loopback(port)).await.unwrap_err();
        assert_eq!(err.code, "server_bind_failed");
        let status = api.status().await.unwrap();
        assert!(!status.running);
        assert_eq!(status.last_error.map(|e| e.code), Some(err.code));
    }

    #[test]
    fn unreadable_settings_fall_back_to_the_defaults() {
        let store = store();
        store
            .set_setting(SETTINGS_KEY, &serde_json::json!({"port": "not a port"}))
            .unwrap();
        assert_eq!(
            lan_api(&store).settings().unwrap(),
            LanApiSettings::default()
        );
        store
            .set_setting(SETTINGS_KEY, &serde_json::json!({"port": 9000}))
            .unwrap();
        let settings = lan_api(&store).settings().unwrap();
        assert_eq!((settings.port, settings.enabled), (9000, false));
    }

    #[test]
    fn the_url_uses_the_lan_address_only_with_lan_on() {
        let lan_ip: IpAddr = "192.168.1.20".parse().unwrap();
        let mut settings = LanApiSettings {
            port: 8139,
            ..Default::default()
        };
        let running = Running::default();
        assert_eq!(
            status_of(&settings, &running, vec![lan_ip]).url,
            "http://127.0.0.1:8139"
        );
        settings.lan = true;
        let status = status_of(&settings, &running, vec![lan_ip]);
        assert_eq!(status.url, "http://192.168.1.20:8139");
        assert_eq!(status.lan_addresses, ["192.168.1.20"]);
        assert_eq!(
            status_of(&settings, &running, vec![]).url,
            "http://127.0.0.1:8139"
        );
        assert_eq!(
            base_url("fe80::1".parse().unwrap(), 8139),
            "http://[fe80::1]:8139"
        );
    }

    #[test]
    fn expired_and_revoked_keys_are_not_live() {
        let key = |revoked_at, expires_at| ApiKeyInfo {
            id: "k".into(),
            name: "k".into(),
            prefix: "lsk-".into(),
            created_at: 0,
            last_used_at: None,
            expires_at,
            revoked_at,
        };
        assert!(!has_live_key(&[], 100));
        assert!(has_live_key(&[key(None, None)], 100));
        assert!(has_live_key(&[key(None, Some(101))], 100));
        assert!(!has_live_key(&[key(None, Some(100))], 100));
        assert!(!has_live_key(&[key(Some(50), None)], 100));
    }

    #[test]
    fn lan_addresses_are_reachable_ones() {
        assert!(
            lan_addresses()
                .iter()
                .all(|ip| !ip.is_loopback() && !ip.is_unspecified())
        );
    }
}
