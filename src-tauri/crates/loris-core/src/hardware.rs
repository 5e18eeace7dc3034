//! A short summary of the machine for `loris info` and the app's status line.

use serde::{Deserialize, Serialize};

/// Byte counts are exported to TypeScript as `number`: exact up to 8 PiB.
#[derive(Debug, Clone, Serialize, Deserialize, specta::Type, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct HardwareSummary {
    pub os: String,
    pub cpu_model: String,
    pub physical_cores: Option<u32>,
    pub logical_cores: u32,
    #[specta(type = specta_typescript::Number)]
    pub ram_total_bytes: u64,
    #[specta(type = specta_typescript::Number)]
    pub ram_available_bytes: u64,
    pub gpus: Vec<GpuSummary>,
    /// Why the GPU list is empty, when it is.
    pub gpu_note: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, specta::Type, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct GpuSummary {
    pub name: String,
    #[specta(type = specta_typescript::Number)]
    pub vram_total_bytes: u64,
}

/// The machine in short, from the full report of `loris-hardware` (CPU, memory, NVIDIA GPUs
/// through NVML). Never fails: without a GPU driver the list is empty and `gpu_note` says why.
pub fn summary() -> HardwareSummary {
    let report = loris_hardware::detect(None);
    HardwareSummary {
        os: report.os,
        cpu_model: report.cpu.model,
        physical_cores: report.cpu.physical_cores,
        logical_cores: report.cpu.logical_cores,
        ram_total_bytes: report.memory.total_bytes,
        ram_available_bytes: report.memory.available_bytes,
        gpus: report
            .gpus
            .into_iter()
            .map(|gpu| GpuSummary {
                name: gpu.name,
                vram_total_bytes: gpu.memory_total_bytes,
            })
            .collect(),
        gpu_note: report.gpu_unavailable_reason,
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn reports_cpu_and_memory() {
        let hw = super::summary();
        assert!(hw.logical_cores >= 1);
        assert!(hw.ram_total_bytes > 0);
        assert!(hw.ram_available_bytes <= hw.ram_total_bytes);
        // Either GPUs are listed, or the note says why there are none.
        assert!(!hw.gpus.is_empty() || hw.gpu_note.is_some());
    }
}
