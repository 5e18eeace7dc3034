//! `loris user`: the first user without a window, a password reset for a user locked out of the
//! app, and a list. Passphrases go to stdout only, never to the log.

use clap::Subcommand;
use loris_auth::{ADMIN_USERNAME, Auth, Clock as _};
use loris_core::Service;

use crate::output::print_json;

#[derive(Subcommand)]
pub enum UserCommand {
    /// Create the first user (admin) and print its generated passphrase, this once.
    Init,
    /// Give a user a new generated passphrase (printed) that must be changed at next sign-in.
    /// Signs the user out everywhere and ends a lockout.
    ResetPassword {
        #[arg(long, default_value = ADMIN_USERNAME)]
        username: String,
    },
    /// Every user, with a pending password change or lockout.
    List,
}

pub fn run(service: &Service, command: &UserCommand, json: bool) -> anyhow::Result<()> {
    let auth = open(service)?;
    match command {
        UserCommand::Init => init(&auth, json),
        UserCommand::ResetPassword { username } => {
            let passphrase = auth.reset_password(username)?;
            if json {
                return print_json(&serde_json::json!({
                    "username": username,
                    "passphrase": passphrase,
                }));
            }
            println!("New passphrase for {username} (shown this once):\n\n    {passphrase}\n");
            println!(
                "It must be changed at the next sign-in. Every session of {username} was signed out and any lockout ended."
            );
            Ok(())
        }
        UserCommand::List => list(&auth, json),
    }
}

fn open(service: &Service) -> anyhow::Result<Auth> {
    let (secrets, backend) = loris_auth::open_secrets(service.data_dir().root());
    Ok(Auth::new(service.store().clone(), secrets, backend)?)
}

/// Running it again is not an error, so scripts may call it unconditionally.
fn init(auth: &Auth, json: bool) -> anyhow::Result<()> {
    match auth.first_run() {
        Ok(creds) => {
            if json {
                return print_json(&serde_json::json!({
                    "created": true,
                    "username": creds.username,
                    "passphrase": creds.passphrase,
                }));
            }
            println!(
                "Created user {}. Its passphrase, shown this once:\n\n    {}\n",
                creds.username, creds.passphrase
            );
            println!("Sign in with it; you will be asked to choose a new password.");
            Ok(())
        }
        Err(loris_auth::Error::AlreadyInitialized) => {
            if json {
                return print_json(&serde_json::json!({
                    "created": false,
                    "reason": "already_initialized",
                }));
            }
            println!(
                "Loris Studio is already set up (a user exists). To regain access: loris user reset-password"
            );
            Ok(())
        }
        Err(err) => Err(err.into()),
    }
}

fn list(auth: &Auth, json: bool) -> anyhow::Result<()> {
    let users = auth.users()?;
    if json {
        return print_json(&users);
    }
    if users.is_empty() {
        println!("no users yet: run `loris user init`");
    }
    let now = loris_auth::SystemClock.now();
    for user in users {
        let mut notes = Vec::new();
        if user.must_change_password {
            notes.push("must change password".to_owned());
        }
        if let Some(until) = user.locked_until.filter(|until| *until > now) {
            notes.push(format!("locked for {} s", until - now));
        }
        println!(
            "{:<24} created {}  {}",
            user.username,
            date(user.created_at),
            notes.join(", ")
        );
    }
    Ok(())
}

fn date(unix: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(unix)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_else(|| unix.to_string())
}
