//! One full hardware report: what `loris hw` prints and the Settings panel shows.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::nvidia::{Gpu, NvidiaDriver, NvidiaGpus};
use crate::system::{self, CpuInfo, DiskInfo, MemoryInfo};

/// The environment variable CUDA reads to hide and reorder GPUs.
pub const CUDA_VISIBLE_DEVICES: &str = "CUDA_VISIBLE_DEVICES";

#[derive(Debug, Clone, Serialize, Deserialize, specta::Type, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct HardwareReport {
    pub os: String,
    pub cpu: CpuInfo,
    pub memory: MemoryInfo,
    /// The file system holding the data dir; `None` when it could not be read.
    pub disk: Option<DiskInfo>,
    /// GPUs the engine can use, in `cuda:N` order. Empty on a CPU-only machine.
    pub gpus: Vec<Gpu>,
    /// Why `gpus` is empty: "CPU only: ..." with the NVML error or the visibility rule.
    pub gpu_unavailable_reason: Option<String>,
    pub nvidia_driver: Option<NvidiaDriver>,
    /// The raw CUDA_VISIBLE_DEVICES this report honoured, when set.
    pub cuda_visible_devices: Option<String>,
    /// Non-fatal problems worth showing (an unreadable GPU, a MIG entry).
    pub warnings: Vec<String>,
}

impl HardwareReport {
    pub fn cpu_only(&self) -> bool {
        self.gpus.is_empty()
    }
}

/// What to look at. `Default` reads CUDA_VISIBLE_DEVICES from the environment.
#[derive(Debug, Clone, Default)]
pub struct DetectOptions<'a> {
    /// Report free space on the file system holding this path (the data dir).
    pub disk_path: Option<&'a Path>,
    /// Overrides the environment's CUDA_VISIBLE_DEVICES (`Some(None)` = treat as unset).
    pub cuda_visible_devices: Option<Option<String>>,
}

/// Detects everything with CUDA_VISIBLE_DEVICES from the environment. Never fails or panics.
pub fn detect(disk_path: Option<&Path>) -> HardwareReport {
    detect_with(&DetectOptions {
        disk_path,
        ..DetectOptions::default()
    })
}

pub fn detect_with(options: &DetectOptions<'_>) -> HardwareReport {
    let visible = match &options.cuda_visible_devices {
        Some(value) => value.clone(),
        // A value that is not Unicode cannot name a GPU: CUDA would hide everything.
        None => std::env::var_os(CUDA_VISIBLE_DEVICES).map(|v| v.to_string_lossy().into_owned()),
    };
    let snap = system::snapshot();
    let (gpus, reason, driver, warnings) = match NvidiaGpus::open() {
        Ok(nvml) => {
            let scan = nvml.scan(visible.as_deref());
            (
                scan.gpus,
                scan.unavailable_reason,
                scan.driver,
                scan.warnings,
            )
        }
        Err(reason) => (Vec::new(), Some(reason), None, Vec::new()),
    };
    HardwareReport {
        os: snap.os,
        cpu: snap.cpu,
        memory: snap.memory,
        disk: options.disk_path.and_then(system::disk_for),
        gpu_unavailable_reason: reason.map(|r| format!("CPU only: {r}")),
        gpus,
        nvidia_driver: driver,
        cuda_visible_devices: visible,
        warnings,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_report_always_has_cpu_and_memory_and_explains_an_empty_gpu_list() {
        let dir = tempfile::tempdir().unwrap();
        let report = detect(Some(dir.path()));
        assert!(report.cpu.logical_cores >= 1);
        assert!(report.memory.total_bytes > 0);
        assert_eq!(
            report.gpus.is_empty(),
            report.gpu_unavailable_reason.is_some()
        );
        if let Some(reason) = &report.gpu_unavailable_reason {
            assert!(reason.starts_with("CPU only: "), "{reason}");
        }
        let disk = report.disk.as_ref().expect("the temp dir's disk is listed");
        assert!(disk.total_bytes >= disk.free_bytes);
    }

    #[test]
    fn the_json_shape_is_camel_case() {
        let report = detect_with(&DetectOptions {
            disk_path: None,
            cuda_visible_devices: Some(Some(String::new())),
        });
        let json = serde_json::to_value(&report).unwrap();
        for key in [
            "cpu",
            "memory",
            "gpus",
            "gpuUnavailableReason",
            "cudaVisibleDevices",
        ] {
            assert!(json.get(key).is_some(), "missing {key}: {json}");
        }
        assert!(json["cpu"]["logicalCores"].as_u64().unwrap() >= 1);
        assert!(json["memory"]["totalBytes"].as_u64().unwrap() > 0);
        // An empty CUDA_VISIBLE_DEVICES hides every GPU, whatever the machine has.
        assert_eq!(json["gpus"], serde_json::json!([]));
    }
}
