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

/// Reads CPU and memory figures; never fails (unknown values are reported as such).
pub fn summary() -> HardwareSummary {
    use sysinfo::{CpuRefreshKind, MemoryRefreshKind, RefreshKind, System};
    let refresh = RefreshKind::nothing()
        .with_cpu(CpuRefreshKind::nothing())
        .with_memory(MemoryRefreshKind::everything());
    // sysinfo fails on platforms it does not know; the summary then says so instead of failing.
    let Ok(sys) = System::new_with_specifics(refresh) else {
        return HardwareSummary {
            os: std::env::consts::OS.to_owned(),
            cpu_model: "unknown CPU".to_owned(),
            physical_cores: None,
            logical_cores: 1,
            ram_total_bytes: 0,
            ram_available_bytes: 0,
            gpus: Vec::new(),
            gpu_note: Some("hardware could not be read on this platform".to_owned()),
        };
    };
    let cpu_model = sys
        .cpus()
        .first()
        .map(|cpu| cpu.brand().trim().to_owned())
        .filter(|brand| !brand.is_empty())
        .unwrap_or_else(|| "unknown CPU".to_owned());
    HardwareSummary {
        os: System::long_os_version().unwrap_or_else(|_| std::env::consts::OS.to_owned()),
        cpu_model,
        physical_cores: System::physical_core_count()
            .ok()
            .and_then(|n| u32::try_from(n).ok()),
        logical_cores: u32::try_from(sys.cpus().len().max(1)).unwrap_or(u32::MAX),
        ram_total_bytes: sys.total_memory(),
        ram_available_bytes: sys.available_memory(),
        gpus: Vec::new(),
        gpu_note: Some("CPU only: this build does not detect GPUs".to_owned()),
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
    }
}
