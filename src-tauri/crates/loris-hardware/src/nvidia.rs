//! NVIDIA GPUs through NVML (`nvml-wrapper` loads `libnvidia-ml` at run time, so a machine
//! without the driver builds and runs the same binary and simply reports no GPU).
//!
//! NVML sees every GPU in the machine; the engine sees only those CUDA_VISIBLE_DEVICES lets
//! through, renumbered from 0 in the order listed. [`visible_devices`] applies CUDA's rules so
//! the list we show is the list the engine will get.

use nvml_wrapper::Nvml;
use nvml_wrapper::enum_wrappers::device::TemperatureSensor;
use serde::{Deserialize, Serialize};

/// One GPU as the engine will see it.
#[derive(Debug, Clone, Serialize, Deserialize, specta::Type, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Gpu {
    /// NVML index (what `nvidia-smi` shows).
    pub index: u32,
    /// Ordinal inside this process after CUDA_VISIBLE_DEVICES (`cuda:N`).
    pub cuda_index: u32,
    pub name: String,
    pub uuid: String,
    #[specta(type = specta_typescript::Number)]
    pub memory_total_bytes: u64,
    #[specta(type = specta_typescript::Number)]
    pub memory_used_bytes: u64,
    #[specta(type = specta_typescript::Number)]
    pub memory_free_bytes: u64,
    /// Percent of the last sample period a kernel was running.
    pub utilization_percent: Option<u32>,
    /// Percent of the last sample period device memory was read or written.
    pub memory_utilization_percent: Option<u32>,
    pub temperature_c: Option<u32>,
    pub power_draw_watts: Option<f64>,
    pub power_limit_watts: Option<f64>,
    /// CUDA compute capability as `major.minor`, e.g. `9.0` on an H100/H200.
    pub compute_capability: Option<String>,
    pub pci_bus_id: Option<String>,
}

/// Driver-wide versions, shared by every GPU.
#[derive(Debug, Clone, Serialize, Deserialize, specta::Type, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct NvidiaDriver {
    pub driver_version: Option<String>,
    /// The highest CUDA version the driver supports, e.g. `12.8`.
    pub cuda_version: Option<String>,
    pub nvml_version: Option<String>,
}

/// What one NVML pass found.
#[derive(Debug, Clone, Default)]
pub struct NvidiaScan {
    pub gpus: Vec<Gpu>,
    pub driver: Option<NvidiaDriver>,
    /// Why `gpus` is empty, when it is.
    pub unavailable_reason: Option<String>,
    /// Things worth showing that are not fatal (a GPU that could not be read, a MIG entry).
    pub warnings: Vec<String>,
}

/// An open NVML session. Opening loads the driver library; keep one for repeated samples.
pub struct NvidiaGpus {
    nvml: Nvml,
}

impl NvidiaGpus {
    /// Loads NVML; the error text is the reason the report shows for "CPU only".
    pub fn open() -> Result<Self, String> {
        Nvml::init()
            .map(|nvml| Self { nvml })
            .map_err(|err| format!("NVIDIA driver library (NVML) unavailable: {err}"))
    }

    /// Reads every GPU that CUDA_VISIBLE_DEVICES (`visible`, the raw variable) lets through.
    pub fn scan(&self, visible: Option<&str>) -> NvidiaScan {
        let mut scan = NvidiaScan {
            driver: Some(self.driver()),
            ..NvidiaScan::default()
        };
        let count = match self.nvml.device_count() {
            Ok(n) => n,
            Err(err) => {
                scan.unavailable_reason = Some(format!("NVML could not count GPUs: {err}"));
                return scan;
            }
        };
        if count == 0 {
            scan.unavailable_reason = Some("NVML found no NVIDIA GPU".to_owned());
            return scan;
        }
        // UUIDs first: CUDA_VISIBLE_DEVICES may name GPUs by UUID.
        let uuids: Vec<(u32, String)> = (0..count)
            .map(|i| {
                let uuid = self
                    .nvml
                    .device_by_index(i)
                    .and_then(|d| d.uuid())
                    .unwrap_or_default();
                (i, uuid)
            })
            .collect();
        let selection = visible_devices(visible, &uuids);
        scan.warnings.extend(selection.note.clone());
        for (cuda_index, nvml_index) in selection.indices.iter().enumerate() {
            let cuda_index = u32::try_from(cuda_index).unwrap_or(u32::MAX);
            match self.read_gpu(*nvml_index, cuda_index) {
                Ok(gpu) => scan.gpus.push(gpu),
                Err(err) => scan
                    .warnings
                    .push(format!("GPU {nvml_index} could not be read: {err}")),
            }
        }
        if scan.gpus.is_empty() {
            let all = if count == 1 {
                "the machine's one GPU".to_owned()
            } else {
                format!("all {count} GPUs")
            };
            scan.unavailable_reason = Some(match (&selection.note, visible) {
                (Some(note), _) => format!("{all} hidden: {note}"),
                (None, Some(v)) => format!("CUDA_VISIBLE_DEVICES={v:?} hides {all}"),
                (None, None) => format!("{all} could not be read"),
            });
        }
        scan
    }

    /// Live figures for the GPUs in `indices` (NVML indices), for the sampler.
    pub(crate) fn sample(&self, indices: &[(u32, u32)]) -> Vec<crate::sampler::GpuSample> {
        indices
            .iter()
            .filter_map(|&(index, cuda_index)| {
                let device = self.nvml.device_by_index(index).ok()?;
                let memory = device.memory_info().ok();
                let util = device.utilization_rates().ok();
                Some(crate::sampler::GpuSample {
                    index,
                    cuda_index,
                    memory_used_bytes: memory.as_ref().map(|m| m.used),
                    memory_total_bytes: memory.as_ref().map(|m| m.total),
                    utilization_percent: util.as_ref().map(|u| u.gpu),
                    temperature_c: device.temperature(TemperatureSensor::Gpu).ok(),
                    power_draw_watts: device.power_usage().ok().map(milliwatts),
                })
            })
            .collect()
    }

    fn driver(&self) -> NvidiaDriver {
        NvidiaDriver {
            driver_version: self.nvml.sys_driver_version().ok(),
            cuda_version: self.nvml.sys_cuda_driver_version().ok().map(|v| {
                format!(
                    "{}.{}",
                    nvml_wrapper::cuda_driver_version_major(v),
                    nvml_wrapper::cuda_driver_version_minor(v)
                )
            }),
            nvml_version: self.nvml.sys_nvml_version().ok(),
        }
    }

    fn read_gpu(&self, index: u32, cuda_index: u32) -> Result<Gpu, nvml_wrapper::error::NvmlError> {
        let device = self.nvml.device_by_index(index)?;
        // Name and memory are what the estimator needs: without them the GPU is not listed.
        let name = device.name()?;
        let memory = device.memory_info()?;
        let util = device.utilization_rates().ok();
        Ok(Gpu {
            index,
            cuda_index,
            name,
            uuid: device.uuid().unwrap_or_default(),
            memory_total_bytes: memory.total,
            memory_used_bytes: memory.used,
            memory_free_bytes: memory.free,
            utilization_percent: util.as_ref().map(|u| u.gpu),
            memory_utilization_percent: util.as_ref().map(|u| u.memory),
            temperature_c: device.temperature(TemperatureSensor::Gpu).ok(),
            power_draw_watts: device.power_usage().ok().map(milliwatts),
            // The enforced limit is what the GPU obeys; the management limit is the fallback
            // on boards that only report that one.
            power_limit_watts: device
                .enforced_power_limit()
                .or_else(|_| device.power_management_limit())
                .ok()
                .map(milliwatts),
            compute_capability: device
                .cuda_compute_capability()
                .ok()
                .map(|cc| format!("{}.{}", cc.major, cc.minor)),
            pci_bus_id: device.pci_info().ok().map(|p| p.bus_id),
        })
    }
}

fn milliwatts(mw: u32) -> f64 {
    f64::from(mw) / 1000.0
}

/// The GPUs CUDA will expose, as NVML indices in CUDA ordinal order.
#[derive(Debug, Clone, PartialEq)]
pub struct VisibleDevices {
    pub indices: Vec<u32>,
    /// Why the list stops early, when an entry could not be resolved.
    pub note: Option<String>,
}

/// Applies CUDA_VISIBLE_DEVICES to the machine's GPUs (`(nvml_index, uuid)` pairs).
///
/// CUDA's rules: unset means every GPU; otherwise a comma-separated list of indices or UUIDs
/// (a unique prefix such as `GPU-8932f937` is enough), and the list ends at the first entry that
/// names no GPU (so `-1` or an empty value hides them all). Indices are taken in NVML (PCI bus)
/// order, which is CUDA's order when CUDA_DEVICE_ORDER=PCI_BUS_ID or the GPUs are identical.
/// MIG instances (`MIG-...`) are not GPUs NVML lists at the top level, so they end the list with
/// a note.
pub fn visible_devices(value: Option<&str>, devices: &[(u32, String)]) -> VisibleDevices {
    let Some(value) = value else {
        return VisibleDevices {
            indices: devices.iter().map(|(i, _)| *i).collect(),
            note: None,
        };
    };
    let mut indices = Vec::new();
    let mut note = None;
    for entry in value.split(',').map(str::trim) {
        let found = if entry.chars().all(|c| c.is_ascii_digit()) && !entry.is_empty() {
            entry
                .parse::<u32>()
                .ok()
                .filter(|i| devices.iter().any(|(d, _)| d == i))
        } else if has_prefix(entry, "GPU-") && entry.len() > 4 {
            let wanted = entry.to_ascii_lowercase();
            let mut matches = devices.iter().filter(|(_, uuid)| {
                !uuid.is_empty() && uuid.to_ascii_lowercase().starts_with(&wanted)
            });
            match (matches.next(), matches.next()) {
                (Some((i, _)), None) => Some(*i),
                _ => None,
            }
        } else {
            None
        };
        match found {
            Some(i) if indices.contains(&i) => {
                note = Some(format!(
                    "CUDA_VISIBLE_DEVICES lists GPU {entry:?} twice; the list ends there"
                ));
                break;
            }
            Some(i) => indices.push(i),
            None => {
                if !entry.is_empty() {
                    let what = if has_prefix(entry, "MIG-") {
                        "is a MIG instance, which this build does not list"
                    } else {
                        "names no GPU on this machine"
                    };
                    note = Some(format!(
                        "CUDA_VISIBLE_DEVICES entry {entry:?} {what}; the list ends there"
                    ));
                }
                break;
            }
        }
    }
    VisibleDevices { indices, note }
}

/// Case-insensitive ASCII prefix test that cannot split a multi-byte character.
fn has_prefix(entry: &str, prefix: &str) -> bool {
    entry
        .get(..prefix.len())
        .is_some_and(|head| head.eq_ignore_ascii_case(prefix))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn machine() -> Vec<(u32, String)> {
        vec![
            (0, "GPU-8932f937-d72c-4106-c12f-20bd9faed9f6".into()),
            (1, "GPU-1d2e3f40-aaaa-bbbb-cccc-000000000001".into()),
            (2, "GPU-1d2e9999-aaaa-bbbb-cccc-000000000002".into()),
        ]
    }

    #[test]
    fn unset_means_every_gpu() {
        assert_eq!(visible_devices(None, &machine()).indices, vec![0, 1, 2]);
    }

    #[test]
    fn indices_are_reordered_as_listed() {
        let v = visible_devices(Some("2,0"), &machine());
        assert_eq!(v.indices, vec![2, 0]);
        assert_eq!(v.note, None);
    }

    #[test]
    fn the_list_ends_at_the_first_unknown_entry() {
        let v = visible_devices(Some("1, 7, 0"), &machine());
        assert_eq!(v.indices, vec![1]);
        assert!(v.note.unwrap().contains("\"7\""));
        assert!(visible_devices(Some("-1"), &machine()).indices.is_empty());
        assert!(visible_devices(Some(""), &machine()).indices.is_empty());
    }

    #[test]
    fn uuids_match_by_unique_prefix() {
        let v = visible_devices(Some("GPU-8932f937,gpu-1D2E3F40"), &machine());
        assert_eq!(v.indices, vec![0, 1]);
        // `GPU-1d2e` is a prefix of two GPUs: CUDA treats it as naming none.
        let ambiguous = visible_devices(Some("GPU-1d2e"), &machine());
        assert!(ambiguous.indices.is_empty());
    }

    #[test]
    fn mig_entries_and_duplicates_end_the_list_with_a_note() {
        let mig = visible_devices(Some("0,MIG-4b1f2a3c"), &machine());
        assert_eq!(mig.indices, vec![0]);
        assert!(mig.note.unwrap().contains("MIG"));
        let dup = visible_devices(Some("1,1,2"), &machine());
        assert_eq!(dup.indices, vec![1]);
        // Not ASCII: must not panic on a character boundary.
        assert!(
            visible_devices(Some("GPé-x"), &machine())
                .indices
                .is_empty()
        );
    }

    #[test]
    fn without_a_driver_open_fails_with_a_reason_instead_of_panicking() {
        // On a machine with a driver this opens; either way nothing panics.
        match NvidiaGpus::open() {
            Ok(nvml) => {
                let scan = nvml.scan(None);
                assert!(scan.gpus.is_empty() == scan.unavailable_reason.is_some());
            }
            Err(reason) => assert!(reason.contains("NVML"), "{reason}"),
        }
    }
}
