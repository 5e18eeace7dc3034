//! The Loris Studio desktop app: a thin Tauri shell over `loris-core`.
//!
//! Commands live in `commands/<domain>.rs` and only translate between the webview and the
//! service layer; `events.rs` forwards the service's event bus to the webview.

pub mod bindings;
mod commands;
mod events;
#[cfg(test)]
mod guard_tests;
mod state;

use std::sync::Arc;

use tauri::Manager;
use tauri_specta::Event;

pub use state::AppState;

/// Opens the service layer, then runs the window until it is closed.
pub fn run() -> anyhow::Result<()> {
    let data_dir = loris_core::DataDir::from_env()?;
    let log_guard = loris_core::logging::init(&data_dir.log_dir(), cfg!(debug_assertions))?;
    let service = Arc::new(loris_core::Service::open(data_dir)?);
    // Opening the service marked unfinished jobs interrupted; their training runs follow.
    commands::train::recover(service.store());
    let train = Arc::new(loris_train::job::TrainJobs::default());
    commands::recipes::recover(service.store());
    let (secrets, backend) = loris_auth::open_secrets(service.data_dir().root());
    let recipes = Arc::new(commands::recipes::Recipes::new(
        service.data_dir().root(),
        Arc::clone(&secrets),
    ));
    let auth = Arc::new(loris_auth::Auth::new(
        Arc::clone(service.store()),
        secrets,
        backend,
    )?);
    let models = Arc::new(loris_infer::ModelRegistry::new(
        loris_infer::EngineOptions::default(),
    ));
    let lan_api = Arc::new(commands::server::LanApi::new(
        Arc::clone(service.store()),
        Arc::clone(&models),
    )?);
    // Filled once the window exists; replies cannot start before that.
    let chat_app: Arc<std::sync::OnceLock<tauri::AppHandle>> = Arc::default();
    let chat = Arc::new(commands::chat::Chat::open(
        Arc::clone(service.store()),
        chat_emitter(Arc::clone(&chat_app)),
    )?);
    let builder = bindings::builder::<tauri::Wry>();
    let invoke_handler = builder.invoke_handler();

    tauri::Builder::default()
        .plugin(tauri_plugin_store::Builder::default().build())
        .invoke_handler(invoke_handler)
        .setup(move |app| {
            builder.mount_events(app);
            app.manage(AppState {
                service: Arc::clone(&service),
                auth: Arc::clone(&auth),
                hardware_watch: hardware_watch(app.handle().clone()),
                models: Arc::clone(&models),
                lan_api: Arc::clone(&lan_api),
                chat: Arc::clone(&chat),
                train: Arc::clone(&train),
                recipes: Arc::clone(&recipes),
            });
            let _ = chat_app.set(app.handle().clone());
            events::bridge(app.handle().clone(), Arc::clone(&service));
            events::bridge_models(app.handle().clone(), Arc::clone(&models));
            // A server left on when the app last closed starts again.
            let lan_api = Arc::clone(&lan_api);
            tauri::async_runtime::spawn(async move { lan_api.resume().await });
            Ok(())
        })
        .run(tauri::generate_context!("tauri.conf.json"))?;
    drop(log_guard);
    Ok(())
}

/// Live hardware samples go to the webview as `HardwareSampleEvent`s.
fn hardware_watch(app: tauri::AppHandle) -> commands::hardware::HardwareWatch {
    commands::hardware::HardwareWatch::new(Arc::new(move |sample| {
        if let Err(err) = commands::hardware::HardwareSampleEvent(sample).emit(&app) {
            tracing::warn!(error = %err, "could not send a hardware sample to the webview");
        }
    }))
}

/// Reply events go to the webview as `ChatEventMessage`s.
fn chat_emitter(app: Arc<std::sync::OnceLock<tauri::AppHandle>>) -> commands::chat::ChatEmitter {
    Arc::new(move |payload| {
        let Some(app) = app.get() else { return };
        if let Err(err) = commands::chat::ChatEventMessage(payload).emit(app) {
            tracing::warn!(error = %err, "could not send a chat event to the webview");
        }
    })
}
