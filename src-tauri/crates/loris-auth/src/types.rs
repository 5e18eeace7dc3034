//! What crosses to the UI. `Debug` is written by hand where a value holds a secret, so a stray
//! `{:?}` in a log line prints `<redacted>` instead.

use serde::{Deserialize, Serialize};

use crate::secrets::SecretBackendInfo;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct AuthUser {
    pub id: String,
    pub username: String,
    /// The UI sends the user to the change-password page while this is true.
    pub must_change_password: bool,
}

/// A signed-in session: what login, refresh and change-password return.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct Session {
    /// JWT (HS256) for every guarded call; expires after 60 minutes.
    pub access_token: String,
    /// Unix seconds.
    #[specta(type = specta_typescript::Number)]
    pub access_expires_at: i64,
    /// Opaque, single use: `refresh` returns a new one and spends this one.
    pub refresh_token: String,
    /// Unix seconds.
    #[specta(type = specta_typescript::Number)]
    pub refresh_expires_at: i64,
    pub user: AuthUser,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("access_token", &"<redacted>")
            .field("access_expires_at", &self.access_expires_at)
            .field("refresh_token", &"<redacted>")
            .field("refresh_expires_at", &self.refresh_expires_at)
            .field("user", &self.user)
            .finish()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct AuthStatus {
    /// No user exists yet: the UI shows the first-run page.
    pub needs_first_run: bool,
    pub secret_backend: SecretBackendInfo,
}

/// The first user and its generated passphrase, returned exactly once.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct FirstRunCredentials {
    pub username: String,
    pub passphrase: String,
}

impl std::fmt::Debug for FirstRunCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FirstRunCredentials")
            .field("username", &self.username)
            .field("passphrase", &"<redacted>")
            .finish()
    }
}

/// A user as `loris user list` shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct UserSummary {
    pub id: String,
    pub username: String,
    pub must_change_password: bool,
    /// Unix seconds.
    #[specta(type = specta_typescript::Number)]
    pub created_at: i64,
    #[specta(type = specta_typescript::Number)]
    pub password_changed_at: i64,
    /// Unix seconds until which login is refused, while a lockout lasts.
    #[specta(type = Option<specta_typescript::Number>)]
    pub locked_until: Option<i64>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn session() -> Session {
        Session {
            access_token: "eyJ.secret.access".into(),
            access_expires_at: 10,
            refresh_token: "secret-refresh".into(),
            refresh_expires_at: 20,
            user: AuthUser {
                id: "u1".into(),
                username: "admin".into(),
                must_change_password: true,
            },
        }
    }

    #[test]
    fn session_json_shape() {
        assert_eq!(
            serde_json::to_value(session()).unwrap(),
            serde_json::json!({
                "accessToken": "eyJ.secret.access",
                "accessExpiresAt": 10,
                "refreshToken": "secret-refresh",
                "refreshExpiresAt": 20,
                "user": {"id": "u1", "username": "admin", "mustChangePassword": true}
            })
        );
    }

    #[test]
    fn debug_never_prints_secrets() {
        let text = format!("{:?}", session());
        assert!(!text.contains("secret"), "{text}");
        let creds = FirstRunCredentials {
            username: "admin".into(),
            passphrase: "secret-words".into(),
        };
        assert!(!format!("{creds:?}").contains("secret"));
    }
}
