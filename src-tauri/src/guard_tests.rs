//! Every command but status, first run, login and refresh refuses a caller without a session,
//! through the real IPC path of a (mock-runtime) Tauri app.

use std::sync::Arc;

use serde_json::{Value, json};
use tauri::Manager;
use tauri::ipc::{CallbackFn, InvokeBody};
use tauri::test::{INVOKE_KEY, get_ipc_response, mock_builder, mock_context, noop_assets};
use tauri::webview::InvokeRequest;

use crate::{AppState, bindings};

const OPEN_COMMANDS: [&str; 4] = [
    "auth_status",
    "auth_first_run",
    "auth_login",
    "auth_refresh",
];

/// Every registered command with arguments that are valid apart from the token.
fn guarded_calls() -> Vec<(&'static str, Value)> {
    vec![
        ("auth_logout", json!({ "accessToken": "" })),
        (
            "auth_change_password",
            json!({ "accessToken": "", "oldPassword": "a", "newPassword": "bbbbbbbbb" }),
        ),
        ("app_info", json!({ "accessToken": "" })),
        ("jobs_list", json!({ "accessToken": "" })),
        ("job_cancel", json!({ "accessToken": "", "id": "x" })),
        ("events_since", json!({ "accessToken": "", "afterSeq": 0 })),
        ("hardware_report", json!({ "accessToken": "" })),
        (
            "hardware_watch_start",
            json!({ "accessToken": "", "watcher": "w" }),
        ),
        (
            "hardware_watch_stop",
            json!({ "accessToken": "", "watcher": "w" }),
        ),
        (
            "estimate_inference",
            json!({ "accessToken": "", "modelPath": "/nowhere", "contextLen": 4096 }),
        ),
        (
            "estimate_training",
            json!({ "accessToken": "", "request": {
                "modelPath": "/nowhere", "method": "lora", "batchSize": 2, "seqLen": 2048,
                "loraRank": 16, "gradientCheckpointing": false
            } }),
        ),
        ("models_loaded", json!({ "accessToken": "" })),
        (
            "model_load",
            json!({ "accessToken": "", "path": "/nowhere.gguf", "id": null, "dequantize": "auto", "adapter": null }),
        ),
        ("model_unload", json!({ "accessToken": "", "id": "m" })),
        ("starter_model", json!({ "accessToken": "" })),
        ("models_local", json!({ "accessToken": "" })),
        ("model_folders_get", json!({ "accessToken": "" })),
        (
            "model_folders_set",
            json!({ "accessToken": "", "folders": ["/models"] }),
        ),
        ("server_status", json!({ "accessToken": "" })),
        (
            "server_start",
            json!({ "accessToken": "", "request": {
                "port": 0, "lan": false, "allowedHosts": [], "allowedOrigins": []
            } }),
        ),
        ("server_stop", json!({ "accessToken": "" })),
        ("server_requests", json!({ "accessToken": "" })),
        (
            "api_key_create",
            json!({ "accessToken": "", "name": "k", "expiresInDays": null }),
        ),
        ("api_keys_list", json!({ "accessToken": "" })),
        ("api_key_revoke", json!({ "accessToken": "", "id": "x" })),
        (
            "chat_threads_list",
            json!({ "accessToken": "", "includeArchived": false }),
        ),
        (
            "chat_thread_create",
            json!({ "accessToken": "", "title": null, "model": null }),
        ),
        (
            "chat_thread_rename",
            json!({ "accessToken": "", "id": "t", "title": "x" }),
        ),
        (
            "chat_thread_pin",
            json!({ "accessToken": "", "id": "t", "pinned": true }),
        ),
        (
            "chat_thread_archive",
            json!({ "accessToken": "", "id": "t", "archived": true }),
        ),
        (
            "chat_thread_delete",
            json!({ "accessToken": "", "id": "t" }),
        ),
        ("chat_settings_get", json!({ "accessToken": "", "id": "t" })),
        (
            "chat_settings_set",
            json!({ "accessToken": "", "id": "t", "settings": {} }),
        ),
        (
            "chat_messages",
            json!({ "accessToken": "", "threadId": "t" }),
        ),
        (
            "chat_switch_branch",
            json!({ "accessToken": "", "messageId": "m" }),
        ),
        (
            "chat_send",
            json!({ "accessToken": "", "threadId": "t", "text": "Hi", "modelId": "m" }),
        ),
        (
            "chat_send_compare",
            json!({ "accessToken": "", "threadId": "t", "text": "Hi", "modelIds": ["a", "b"] }),
        ),
        ("chat_stop", json!({ "accessToken": "", "messageId": "m" })),
        (
            "chat_regenerate",
            json!({ "accessToken": "", "messageId": "m", "modelId": "m" }),
        ),
        (
            "chat_edit",
            json!({ "accessToken": "", "messageId": "m", "text": "Hi", "modelId": "m" }),
        ),
        ("chat_fork", json!({ "accessToken": "", "messageId": "m" })),
        (
            "chat_fork_thread",
            json!({ "accessToken": "", "messageId": "m" }),
        ),
        (
            "chat_sampling_defaults",
            json!({ "accessToken": "", "modelId": "m" }),
        ),
        ("chat_presets_list", json!({ "accessToken": "" })),
        (
            "chat_preset_save",
            json!({ "accessToken": "", "name": "p", "settings": {} }),
        ),
        (
            "chat_preset_delete",
            json!({ "accessToken": "", "name": "p" }),
        ),
        (
            "chat_search",
            json!({ "accessToken": "", "query": "x", "limit": null }),
        ),
        (
            "chat_export",
            json!({ "accessToken": "", "threadId": "t", "format": "json" }),
        ),
        ("chat_import", json!({ "accessToken": "", "json": "{}" })),
        (
            "train_start",
            json!({ "accessToken": "", "request": train_request() }),
        ),
        ("train_stop", json!({ "accessToken": "", "jobId": "j" })),
        ("train_cancel", json!({ "accessToken": "", "jobId": "j" })),
        ("train_runs", json!({ "accessToken": "" })),
        ("train_metrics", json!({ "accessToken": "", "runId": "r" })),
        ("recipe_list", json!({ "accessToken": "" })),
        ("recipe_get", json!({ "accessToken": "", "id": "r" })),
        (
            "recipe_save",
            json!({ "accessToken": "", "id": null, "name": "n", "json": "{}" }),
        ),
        ("recipe_delete", json!({ "accessToken": "", "id": "r" })),
        (
            "recipe_validate",
            json!({ "accessToken": "", "json": "{}" }),
        ),
        (
            "recipe_preview",
            json!({ "accessToken": "", "json": "{}", "rows": 1, "seed": 0, "model": null }),
        ),
        (
            "recipe_run_start",
            json!({ "accessToken": "", "request": { "recipeId": "r", "rows": 1,
                    "batchSize": null, "seed": null, "formats": [], "model": null } }),
        ),
        (
            "recipe_run_resume",
            json!({ "accessToken": "", "runId": "r", "model": null }),
        ),
        ("recipe_runs", json!({ "accessToken": "", "recipeId": "r" })),
        (
            "recipe_run_rows",
            json!({ "accessToken": "", "runId": "r", "offset": 0, "limit": 10 }),
        ),
        (
            "train_preview",
            json!({ "accessToken": "", "model": "/m", "dataset": "/d.jsonl", "rows": 3,
                "settings": { "settings": train_settings(), "dataset": {}, "tokenizerPath": null } }),
        ),
    ]
}

/// A training form that deserializes, so the refusal is the guard's and not serde's.
fn train_settings() -> Value {
    json!({
        "method": "lora",
        "lora": { "rank": 16, "alpha": 16.0, "dropout": 0.0, "rslora": false, "targets": ["q_proj"] },
        "learningRate": 2e-4, "schedule": "linear", "warmupSteps": 5, "weightDecay": 0.01,
        "maxGradNorm": 1.0, "batchSize": 2, "gradAccum": 4, "seqLen": 2048, "epochs": 1.0,
        "maxSteps": null, "seed": 3407, "evalEvery": null, "evalFraction": 0.0,
        "checkpointEvery": null, "gradientCheckpointing": true, "packing": true,
        "responsesOnly": true
    })
}

fn train_request() -> Value {
    json!({
        "modelPath": "/m", "datasetPath": "/d.jsonl", "outputDir": null, "tokenizerPath": null,
        "resumeFrom": null, "settings": train_settings(),
        "dataset": { "format": null, "mapping": {}, "maxRows": null }
    })
}

fn invoke(
    webview: &tauri::WebviewWindow<tauri::test::MockRuntime>,
    cmd: &str,
    args: Value,
) -> Result<Value, Value> {
    let request = InvokeRequest {
        cmd: cmd.into(),
        callback: CallbackFn(0),
        error: CallbackFn(1),
        // The origin the app window itself has on Linux and macOS.
        url: "tauri://localhost".parse().unwrap(),
        body: InvokeBody::Json(args),
        headers: Default::default(),
        invoke_key: INVOKE_KEY.to_string(),
    };
    get_ipc_response(webview, request).map(|body| body.deserialize::<Value>().unwrap())
}

/// The command names in the generated bindings, i.e. everything the registry exposes.
fn registered_commands() -> Vec<&'static str> {
    let text: &'static str = Box::leak(bindings::typescript().unwrap().into_boxed_str());
    text.split("__TAURI_INVOKE(\"")
        .skip(1)
        .filter_map(|rest| rest.split('"').next())
        .collect()
}

#[test]
fn commands_without_a_session_are_refused() {
    let home = tempfile::tempdir().unwrap();
    let service =
        Arc::new(loris_core::Service::open(loris_core::DataDir::at(home.path())).unwrap());
    let secrets = Arc::new(loris_auth::secrets::FileSecrets::in_data_dir(home.path()));
    let backend = loris_auth::secrets::SecretStore::backend(secrets.as_ref());
    let auth =
        Arc::new(loris_auth::Auth::new(Arc::clone(service.store()), secrets, backend).unwrap());
    let registry = bindings::builder::<tauri::test::MockRuntime>();
    let app = mock_builder()
        .invoke_handler(registry.invoke_handler())
        .build(mock_context(noop_assets()))
        .unwrap();
    let models = Arc::new(loris_infer::ModelRegistry::new(
        loris_infer::EngineOptions::default(),
    ));
    let lan_api = Arc::new(
        crate::commands::server::LanApi::new(Arc::clone(service.store()), Arc::clone(&models))
            .unwrap(),
    );
    let chat = Arc::new(crate::commands::chat::Chat::discarding(Arc::clone(
        service.store(),
    )));
    app.manage(AppState {
        service,
        auth,
        hardware_watch: crate::commands::hardware::HardwareWatch::discarding(),
        models,
        lan_api,
        chat,
        train: Arc::default(),
        recipes: Arc::new(crate::commands::recipes::Recipes::new(
            home.path(),
            Arc::new(loris_auth::secrets::FileSecrets::in_data_dir(home.path())),
        )),
    });
    let webview = tauri::WebviewWindowBuilder::new(&app, "main", Default::default())
        .build()
        .unwrap();

    let calls = guarded_calls();
    for (cmd, args) in &calls {
        let error = invoke(&webview, cmd, args.clone()).expect_err(cmd);
        assert_eq!(error["code"], "unauthenticated", "{cmd}: {error}");
    }
    // The list above covers every registered command that is not open.
    let registered = registered_commands();
    let mut covered: Vec<&str> = calls
        .iter()
        .map(|(cmd, _)| *cmd)
        .chain(OPEN_COMMANDS)
        .collect();
    covered.sort_unstable();
    let mut expected = registered.clone();
    expected.sort_unstable();
    assert_eq!(
        covered, expected,
        "a new command needs a line in guarded_calls()"
    );

    // The open ones answer without a session.
    let status = invoke(&webview, "auth_status", json!({})).unwrap();
    assert_eq!(status["needsFirstRun"], true);
}
