//! `loris serve`: the LAN API (OpenAI and Anthropic compatible) over one local model, until
//! Ctrl-C or SIGTERM. Loopback only unless `--lan`, which then requires an API key.

use std::net::IpAddr;
use std::sync::Arc;

use anyhow::Context;
use clap::Args;
use loris_infer::{EngineOptions, ModelRegistry};
use loris_server::{AnyKey, KeyCheck, Server, ServerConfig, StaticKey};

use super::model_args::ModelArgs;

#[derive(Args)]
pub struct ServeArgs {
    #[command(flatten)]
    model: ModelArgs,
    /// The name clients pass as `model` (default: the file name without its extension).
    #[arg(long)]
    model_id: Option<String>,
    /// The port to listen on.
    #[arg(long, default_value_t = loris_server::DEFAULT_PORT)]
    port: u16,
    /// The address to bind (default 127.0.0.1, or 0.0.0.0 with --lan).
    #[arg(long)]
    host: Option<IpAddr>,
    /// Accept requests from other machines. Requires an API key: --api-key, or keys created
    /// in the app's Settings.
    #[arg(long)]
    lan: bool,
    /// An API key clients must send (`Authorization: Bearer KEY` or `x-api-key: KEY`), besides
    /// the stored keys.
    #[arg(long, env = "LORIS_API_KEY", hide_env_values = true)]
    api_key: Option<String>,
    /// A host name clients may use in the Host header besides localhost and IP addresses
    /// (repeatable).
    #[arg(long = "allow-host")]
    allow_hosts: Vec<String>,
    /// A browser origin allowed by CORS, such as http://localhost:5173 (repeatable).
    #[arg(long = "allow-origin")]
    allow_origins: Vec<String>,
    /// Requests queued or running at once; more get 429 (OpenAI) or 529 (Anthropic).
    #[arg(long, default_value_t = loris_infer::engine::DEFAULT_MAX_QUEUE)]
    max_queue: usize,
}

pub fn run(service: &loris_core::Service, args: &ServeArgs, json: bool) -> anyhow::Result<()> {
    let id = match &args.model_id {
        Some(id) => id.clone(),
        None => args
            .model
            .model
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .context("the model path has no file name: pass --model-id")?,
    };
    // Stored keys (created in Settings) always work; a key on the command line is one more.
    // Keys are required beyond loopback, and whenever one is given. Checked, with the rest of
    // the settings, before the model loads.
    let keys: Option<Arc<dyn KeyCheck>> = if args.lan || args.api_key.is_some() {
        let stored = loris_auth::ApiKeys::new(Arc::clone(service.store()))?;
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        let any_live = stored
            .list()?
            .iter()
            .any(|k| k.revoked_at.is_none() && k.expires_at.is_none_or(|at| at > now));
        // A server nobody can use is a mistake: say so rather than refuse every request.
        anyhow::ensure!(
            any_live || args.api_key.is_some(),
            loris_server::ServerError::LanNeedsApiKey
        );
        let mut checks: Vec<Arc<dyn KeyCheck>> = vec![Arc::new(stored)];
        if let Some(key) = &args.api_key {
            anyhow::ensure!(!key.trim().is_empty(), "--api-key is empty");
            checks.push(Arc::new(StaticKey::new(key.trim())));
        }
        Some(Arc::new(AnyKey(checks)))
    } else {
        None
    };
    let config = ServerConfig {
        port: args.port,
        lan: args.lan,
        host: args.host,
        allowed_hosts: args.allow_hosts.clone(),
        allowed_origins: args.allow_origins.clone(),
        keys,
        ..Default::default()
    };
    config.bind_addr()?;

    let options = args.model.load_options()?;
    let registry = Arc::new(ModelRegistry::new(EngineOptions {
        max_queue: args.max_queue,
        ..args.model.engine_options()
    }));
    eprintln!("loading {} ...", args.model.model.display());
    registry.load(&id, &args.model.model, options)?;

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let server = Server::start(config, registry).await?;
        let addr = server.local_addr();
        let shown = if addr.ip().is_unspecified() {
            format!("http://127.0.0.1:{}", addr.port())
        } else {
            format!("http://{addr}")
        };
        if json {
            crate::output::print_json(&serde_json::json!({ "url": shown, "model": id }))?;
        } else {
            let auth = if args.lan || args.api_key.is_some() {
                " -H 'Authorization: Bearer YOUR_KEY'"
            } else {
                ""
            };
            println!("Loris API listening on {shown} (model '{id}'); Ctrl-C stops it.");
            println!("OpenAI base URL: {shown}/v1   Anthropic base URL: {shown}");
            println!(
                "Try: curl {shown}/v1/chat/completions -H 'Content-Type: application/json'{auth} \\\n  -d '{{\"model\": \"{id}\", \"messages\": [{{\"role\": \"user\", \"content\": \"What is the capital of France?\"}}], \"temperature\": 0}}'"
            );
        }
        wait_for_signal().await;
        eprintln!("stopping ...");
        server.stop().await;
        anyhow::Ok(())
    })
}

/// Ctrl-C, or SIGTERM on Unix (how service managers and test harnesses stop a server).
async fn wait_for_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
