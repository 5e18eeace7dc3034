//! Hardware report, live samples and memory estimates for the Settings, Models and Train pages.
//!
//! Detection and estimates read NVML, sysinfo and model files, so they run on the blocking
//! pool, never on the thread that drives the window. Live samples run only while at least one
//! page watches them ([`HardwareWatch`]).

use std::collections::BTreeSet;
use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard};

use loris_core::ApiError;
use loris_hardware::estimate::{
    self, Device, InferenceAssessment, InferenceOptions, TargetModule, TrainingAssessment,
    TrainingMethod, TrainingOptions,
};
use loris_hardware::{HardwareError, HardwareReport, HardwareSample, SamplerHandle};
use serde::{Deserialize, Serialize};
use tauri::State;

use crate::AppState;

/// One live sample (1 Hz) while a page watches: GPU memory, utilization, temperature, power,
/// CPU and RAM. Ephemeral: not stored, not replayed.
#[derive(Debug, Clone, Serialize, Deserialize, specta::Type, tauri_specta::Event)]
pub struct HardwareSampleEvent(pub HardwareSample);

/// The full report: every GPU the engine can use, CPU, RAM, the data dir's disk, or "CPU
/// only" with the reason.
#[tauri::command]
#[specta::specta]
pub async fn hardware_report(
    state: State<'_, AppState>,
    access_token: String,
) -> Result<HardwareReport, ApiError> {
    state.authorize(&access_token)?;
    let data_dir = state.service.data_dir().root().to_path_buf();
    blocking(move || Ok(loris_hardware::detect(Some(&data_dir)))).await
}

/// Adds `watcher` (a name the caller picks, e.g. one per window) to the watchers of live
/// samples; the first one starts the sampler, a name already watching changes nothing.
/// Returns how many watchers there are now.
#[tauri::command]
#[specta::specta]
pub fn hardware_watch_start(
    state: State<'_, AppState>,
    access_token: String,
    watcher: String,
) -> Result<u32, ApiError> {
    state.authorize(&access_token)?;
    Ok(state.hardware_watch.start(&watcher))
}

/// Removes `watcher`; the last one stops the sampler. Returns how many watchers are left.
#[tauri::command]
#[specta::specta]
pub fn hardware_watch_stop(
    state: State<'_, AppState>,
    access_token: String,
    watcher: String,
) -> Result<u32, ApiError> {
    state.authorize(&access_token)?;
    Ok(state.hardware_watch.stop(&watcher))
}

/// Memory to serve a model (a GGUF file, a model folder or its config.json) with `context_len`
/// tokens of context, judged on each GPU and on system RAM.
#[tauri::command]
#[specta::specta]
pub async fn estimate_inference(
    state: State<'_, AppState>,
    access_token: String,
    model_path: String,
    context_len: u32,
) -> Result<InferenceAssessment, ApiError> {
    state.authorize(&access_token)?;
    blocking(move || assess_serving(Path::new(&model_path), context_len)).await
}

fn assess_serving(
    model_path: &Path,
    context_len: u32,
) -> Result<InferenceAssessment, HardwareError> {
    let model = estimate::load_model(model_path)?;
    let report = loris_hardware::detect(None);
    // Serving on the CPU works too: system RAM is one of the devices.
    let mut devices = gpu_devices(&report);
    devices.push(Device::cpu(&report.memory));
    let options = InferenceOptions {
        context_len: u64::from(context_len),
        ..InferenceOptions::default()
    };
    estimate::assess_inference(&model, &options, &devices)
}

/// What a training run would ask of the estimator, as the Train page's form holds it.
#[derive(Debug, Clone, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct TrainingEstimateRequest {
    /// A model folder or its config.json (training needs the unquantized weights).
    pub model_path: String,
    pub method: TrainingMethod,
    pub batch_size: u32,
    pub seq_len: u32,
    pub lora_rank: u32,
    pub gradient_checkpointing: bool,
}

/// Peak GPU memory of one training step, judged on each GPU, with the settings changes that
/// would make it fit. A machine without a GPU gets the estimate and no verdict.
#[tauri::command]
#[specta::specta]
pub async fn estimate_training(
    state: State<'_, AppState>,
    access_token: String,
    request: TrainingEstimateRequest,
) -> Result<TrainingAssessment, ApiError> {
    state.authorize(&access_token)?;
    blocking(move || assess_run(&request)).await
}

fn assess_run(request: &TrainingEstimateRequest) -> Result<TrainingAssessment, HardwareError> {
    let model = estimate::load_model(Path::new(&request.model_path))?;
    let report = loris_hardware::detect(None);
    let options = TrainingOptions {
        method: request.method,
        batch_size: u64::from(request.batch_size),
        seq_len: u64::from(request.seq_len),
        lora_rank: u64::from(request.lora_rank),
        target_modules: TargetModule::ALL.to_vec(),
        gradient_checkpointing: request.gradient_checkpointing,
        ..TrainingOptions::default()
    };
    // Training runs on a GPU: a machine without one gets the estimate and no verdict.
    estimate::assess_training(&model, &options, &gpu_devices(&report))
}

fn gpu_devices(report: &HardwareReport) -> Vec<Device> {
    report.gpus.iter().map(Device::from_gpu).collect()
}

fn hardware_error(err: HardwareError) -> ApiError {
    ApiError {
        code: err.code().to_owned(),
        message: err.to_string(),
        details: err.details(),
    }
}

/// Runs file and driver work off the async runtime's worker threads.
async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, HardwareError> + Send + 'static,
) -> Result<T, ApiError> {
    match tauri::async_runtime::spawn_blocking(work).await {
        Ok(result) => result.map_err(hardware_error),
        Err(err) => Err(ApiError::new(
            "internal",
            format!("hardware task failed: {err}"),
        )),
    }
}

/// The watchers of live samples, and one running source while there are any.
///
/// Watchers are named (a page, a window) rather than counted blindly: starting twice under one
/// name is one watcher, so a page that could not say stop (its session ended first) is not
/// counted again when it comes back, and its next stop ends the source. Generic over the
/// running thing so this is tested without NVML or a window.
pub struct Watchers<H> {
    inner: Mutex<WatchInner<H>>,
}

struct WatchInner<H> {
    names: BTreeSet<String>,
    running: Option<H>,
}

impl<H> Default for Watchers<H> {
    fn default() -> Self {
        Watchers {
            inner: Mutex::new(WatchInner {
                names: BTreeSet::new(),
                running: None,
            }),
        }
    }
}

impl<H> Watchers<H> {
    fn lock(&self) -> MutexGuard<'_, WatchInner<H>> {
        // Every update is one step, so the state stays consistent even if a holder panicked.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Adds a watcher; the first one calls `start`. Returns the number of watchers.
    pub fn add(&self, name: &str, start: impl FnOnce() -> H) -> u32 {
        let mut inner = self.lock();
        if inner.running.is_none() {
            inner.running = Some(start());
        }
        inner.names.insert(name.to_owned());
        count(&inner.names)
    }

    /// Removes a watcher (an unknown name changes nothing). When the last one leaves, the
    /// running source is returned for the caller to end outside the lock.
    pub fn remove(&self, name: &str) -> (u32, Option<H>) {
        let mut inner = self.lock();
        inner.names.remove(name);
        let stopped = if inner.names.is_empty() {
            inner.running.take()
        } else {
            None
        };
        (count(&inner.names), stopped)
    }

    #[cfg(test)]
    fn is_running(&self) -> bool {
        self.lock().running.is_some()
    }
}

fn count(names: &BTreeSet<String>) -> u32 {
    u32::try_from(names.len()).unwrap_or(u32::MAX)
}

/// Where live samples go: the webview in the app, nowhere in tests.
pub type SampleSink = Arc<dyn Fn(HardwareSample) + Send + Sync>;

/// The app's live-sample switch: one sampler thread plus one forwarding thread while any page
/// watches.
pub struct HardwareWatch {
    watchers: Watchers<SamplerHandle>,
    sink: SampleSink,
}

impl HardwareWatch {
    pub fn new(sink: SampleSink) -> Self {
        HardwareWatch {
            watchers: Watchers::default(),
            sink,
        }
    }

    /// Samples go nowhere; for tests.
    pub fn discarding() -> Self {
        Self::new(Arc::new(|_| {}))
    }

    pub fn start(&self, watcher: &str) -> u32 {
        self.watchers.add(watcher, || {
            let (handle, samples) =
                loris_hardware::spawn_sampler(loris_hardware::DEFAULT_SAMPLE_INTERVAL);
            let sink = Arc::clone(&self.sink);
            // Ends when the sampler stops: its sender is dropped and `recv` fails.
            let forward = std::thread::Builder::new()
                .name("loris-hw-forward".into())
                .spawn(move || {
                    while let Ok(sample) = samples.recv() {
                        sink(sample);
                    }
                });
            if let Err(err) = forward {
                tracing::warn!(error = %err, "could not start forwarding hardware samples");
            }
            handle
        })
    }

    pub fn stop(&self, watcher: &str) -> u32 {
        let (left, stopped) = self.watchers.remove(watcher);
        // Joining the sampler thread happens here, after the lock is released.
        if let Some(handle) = stopped {
            handle.stop();
        }
        left
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU32, Ordering};

    /// Tells how many of its instances are alive.
    struct Probe<'a>(&'a AtomicU32);
    impl Drop for Probe<'_> {
        fn drop(&mut self) {
            self.0.fetch_sub(1, Ordering::SeqCst);
        }
    }

    /// A Llama-shaped config.json small enough to write inline.
    fn tiny_config() -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        let config = serde_json::json!({
            "model_type": "llama",
            "hidden_size": 256,
            "intermediate_size": 688,
            "num_hidden_layers": 2,
            "num_attention_heads": 4,
            "num_key_value_heads": 2,
            "vocab_size": 1000,
            "max_position_embeddings": 2048,
            "torch_dtype": "bfloat16"
        });
        std::fs::write(dir.path().join("config.json"), config.to_string()).unwrap();
        dir
    }

    #[test]
    fn serving_estimates_judge_the_gpus_and_system_ram() {
        let dir = tiny_config();
        let a = assess_serving(dir.path(), 4096).unwrap();
        assert_eq!(a.estimate.options.context_len, 4096);
        assert!(a.estimate.device_bytes > 0);
        assert_eq!(a.devices.last().map(|d| d.device.id.as_str()), Some("cpu"));
    }

    #[test]
    fn training_estimates_take_the_form_settings() {
        let dir = tiny_config();
        let request = TrainingEstimateRequest {
            model_path: dir.path().join("config.json").display().to_string(),
            method: TrainingMethod::Qlora,
            batch_size: 4,
            seq_len: 512,
            lora_rank: 8,
            gradient_checkpointing: true,
        };
        let a = assess_run(&request).unwrap();
        assert_eq!(a.estimate.options.method, TrainingMethod::Qlora);
        assert_eq!(a.estimate.options.batch_size, 4);
        assert!(a.estimate.options.gradient_checkpointing);
        assert!(a.estimate.total_bytes > 0);
        assert!(a.devices.iter().all(|d| d.device.id.starts_with("cuda:")));
    }

    #[test]
    fn estimate_errors_keep_the_hardware_codes() {
        let err = assess_serving(Path::new("/nowhere/at/all"), 4096).unwrap_err();
        let api = hardware_error(err);
        assert_eq!(api.code, "model_not_found");
        assert_eq!(api.details.unwrap()["path"], "/nowhere/at/all");

        let dir = tiny_config();
        let request = TrainingEstimateRequest {
            model_path: dir.path().display().to_string(),
            method: TrainingMethod::Lora,
            batch_size: 0,
            seq_len: 512,
            lora_rank: 8,
            gradient_checkpointing: false,
        };
        let api = hardware_error(assess_run(&request).unwrap_err());
        assert_eq!(api.code, "invalid_input");
        assert_eq!(api.details.unwrap()["field"], "batch_size");
    }

    #[test]
    fn one_source_runs_while_any_watcher_is_left() {
        let alive = AtomicU32::new(0);
        let starts = AtomicU32::new(0);
        let start = || {
            starts.fetch_add(1, Ordering::SeqCst);
            alive.fetch_add(1, Ordering::SeqCst);
            Probe(&alive)
        };
        let watchers = Watchers::default();

        assert_eq!(watchers.add("settings", start), 1);
        assert_eq!(watchers.add("train", start), 2, "a second page joins");
        assert_eq!(starts.load(Ordering::SeqCst), 1, "one source for both");

        let (left, stopped) = watchers.remove("settings");
        assert_eq!(left, 1);
        assert!(stopped.is_none(), "one page still watches");
        assert!(watchers.is_running());

        let (left, stopped) = watchers.remove("train");
        assert_eq!(left, 0);
        drop(stopped.expect("the last watcher stops the source"));
        assert_eq!(alive.load(Ordering::SeqCst), 0);
        assert!(!watchers.is_running());

        // A stop without a start changes nothing; a new watcher starts a fresh source.
        let (left, stopped) = watchers.remove("settings");
        assert_eq!((left, stopped.is_none()), (0, true));
        assert_eq!(watchers.add("settings", start), 1);
        assert_eq!(starts.load(Ordering::SeqCst), 2);
    }

    #[test]
    fn starting_twice_under_one_name_is_one_watcher() {
        let watchers = Watchers::default();
        assert_eq!(watchers.add("window", || ()), 1);
        // The page came back after its session ended without a stop.
        assert_eq!(watchers.add("window", || ()), 1);
        let (left, stopped) = watchers.remove("window");
        assert_eq!(left, 0);
        assert!(stopped.is_some(), "its one stop ends the source");
    }

    #[test]
    fn the_app_watch_starts_and_stops_the_sampler() {
        let watch = HardwareWatch::discarding();
        assert_eq!(watch.start("a"), 1);
        assert_eq!(watch.start("b"), 2);
        assert_eq!(watch.stop("a"), 1);
        assert!(watch.watchers.is_running());
        assert_eq!(watch.stop("b"), 0);
        assert!(!watch.watchers.is_running());
        assert_eq!(watch.stop("b"), 0);
    }
}
