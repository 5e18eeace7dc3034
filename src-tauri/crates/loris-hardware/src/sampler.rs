//! Live hardware samples (1 Hz by default) for the charts on the hardware panel and the
//! training page.
//!
//! A plain thread and a bounded channel: the caller (the Tauri event bridge, the CLI) decides
//! how to forward samples, and this crate stays free of an async runtime. The thread owns its
//! NVML session, so it is opened once, not once per tick.

use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender, SyncSender, TrySendError};
use std::thread::JoinHandle;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

use crate::nvidia::NvidiaGpus;

pub const DEFAULT_SAMPLE_INTERVAL: Duration = Duration::from_secs(1);

/// Samples a slow consumer may fall behind before new ones are dropped: a chart wants the
/// latest value, not a backlog.
const CHANNEL_CAPACITY: usize = 4;

#[derive(Debug, Clone, Serialize, Deserialize, specta::Type, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct HardwareSample {
    /// Counts from 0 for each sampler; a gap means a sample was dropped.
    #[specta(type = specta_typescript::Number)]
    pub seq: u64,
    #[specta(type = specta_typescript::Number)]
    pub timestamp_ms: u64,
    /// `None` on the first sample: CPU usage is a difference between two readings.
    pub cpu_usage_percent: Option<f32>,
    #[specta(type = specta_typescript::Number)]
    pub ram_used_bytes: u64,
    #[specta(type = specta_typescript::Number)]
    pub ram_total_bytes: u64,
    pub gpus: Vec<GpuSample>,
}

#[derive(Debug, Clone, Serialize, Deserialize, specta::Type, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct GpuSample {
    pub index: u32,
    pub cuda_index: u32,
    #[specta(type = Option<specta_typescript::Number>)]
    pub memory_used_bytes: Option<u64>,
    #[specta(type = Option<specta_typescript::Number>)]
    pub memory_total_bytes: Option<u64>,
    pub utilization_percent: Option<u32>,
    pub temperature_c: Option<u32>,
    pub power_draw_watts: Option<f64>,
}

/// Stops the sampling thread when told to or when dropped.
pub struct SamplerHandle {
    stop: Option<Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl SamplerHandle {
    /// Stops the thread and waits for it; the receiver then reports disconnection.
    pub fn stop(mut self) {
        self.shutdown();
    }

    fn shutdown(&mut self) {
        // Dropping the sender wakes the thread out of its wait at once.
        self.stop.take();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for SamplerHandle {
    fn drop(&mut self) {
        self.shutdown();
    }
}

/// Starts sampling every `interval`; the first sample comes at once. CUDA_VISIBLE_DEVICES is
/// honoured as in [`crate::detect`]. The thread also ends when the receiver is dropped.
pub fn spawn_sampler(interval: Duration) -> (SamplerHandle, Receiver<HardwareSample>) {
    let visible = std::env::var_os(crate::detect::CUDA_VISIBLE_DEVICES)
        .map(|v| v.to_string_lossy().into_owned());
    spawn_sampler_with(interval, visible)
}

pub fn spawn_sampler_with(
    interval: Duration,
    cuda_visible_devices: Option<String>,
) -> (SamplerHandle, Receiver<HardwareSample>) {
    let (stop_tx, stop_rx) = mpsc::channel::<()>();
    let (tx, rx) = mpsc::sync_channel(CHANNEL_CAPACITY);
    let thread = std::thread::Builder::new()
        .name("loris-hw-sampler".into())
        .spawn(move || run(interval, cuda_visible_devices, &stop_rx, &tx))
        .ok();
    (
        SamplerHandle {
            stop: Some(stop_tx),
            thread,
        },
        rx,
    )
}

fn run(
    interval: Duration,
    visible: Option<String>,
    stop: &Receiver<()>,
    tx: &SyncSender<HardwareSample>,
) {
    let nvml = NvidiaGpus::open().ok();
    // (NVML index, CUDA ordinal) pairs, fixed for the sampler's life like the engine's view.
    let gpus: Vec<(u32, u32)> = nvml
        .as_ref()
        .map(|n| {
            let scan = n.scan(visible.as_deref());
            scan.gpus.iter().map(|g| (g.index, g.cuda_index)).collect()
        })
        .unwrap_or_default();
    let mut sys = sysinfo::System::new().ok();
    let mut seq = 0u64;
    loop {
        let mut cpu_usage = None;
        let (mut used, mut total) = (0, 0);
        if let Some(sys) = sys.as_mut() {
            sys.refresh_memory();
            sys.refresh_cpu_usage();
            if seq > 0 {
                cpu_usage = Some(sys.global_cpu_usage());
            }
            used = sys.used_memory();
            total = sys.total_memory();
        }
        let sample = HardwareSample {
            seq,
            timestamp_ms: SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
                .unwrap_or(0),
            cpu_usage_percent: cpu_usage,
            ram_used_bytes: used,
            ram_total_bytes: total,
            gpus: nvml.as_ref().map(|n| n.sample(&gpus)).unwrap_or_default(),
        };
        seq += 1;
        match tx.try_send(sample) {
            Ok(()) | Err(TrySendError::Full(_)) => {}
            Err(TrySendError::Disconnected(_)) => return,
        }
        match stop.recv_timeout(interval) {
            Err(RecvTimeoutError::Timeout) => {}
            // A stop message or a dropped handle.
            Ok(()) | Err(RecvTimeoutError::Disconnected) => return,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn samples_arrive_in_order_and_stop_ends_the_stream() {
        let (handle, rx) = spawn_sampler_with(Duration::from_millis(20), None);
        let first = rx
            .recv_timeout(Duration::from_secs(10))
            .expect("first sample");
        let second = rx
            .recv_timeout(Duration::from_secs(10))
            .expect("second sample");
        assert_eq!(first.seq, 0);
        assert!(first.cpu_usage_percent.is_none());
        assert!(second.seq > first.seq);
        assert!(second.cpu_usage_percent.is_some());
        assert!(first.ram_total_bytes > 0);
        handle.stop();
        // Drain what was already queued, then the channel reports the thread gone.
        while rx.recv_timeout(Duration::from_secs(5)).is_ok() {}
        assert!(matches!(
            rx.recv_timeout(Duration::from_millis(10)),
            Err(RecvTimeoutError::Disconnected)
        ));
    }

    #[test]
    fn dropping_the_receiver_ends_the_thread() {
        let (handle, rx) = spawn_sampler_with(Duration::from_millis(5), None);
        drop(rx);
        // The handle still holds the stop channel open: only the closed receiver can end it.
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        let finished = || handle.thread.as_ref().is_none_or(|t| t.is_finished());
        while !finished() && std::time::Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(5));
        }
        assert!(finished(), "the sampler kept running with nobody listening");
    }
}
