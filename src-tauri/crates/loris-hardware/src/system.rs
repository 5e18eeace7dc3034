//! CPU, RAM and disk through `sysinfo`. Nothing here fails: what cannot be read is reported as
//! unknown, because a hardware panel with one blank is more useful than an error.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize, specta::Type, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct CpuInfo {
    pub model: String,
    pub physical_cores: Option<u32>,
    pub logical_cores: u32,
}

/// Byte counts are exported to TypeScript as `number`: exact up to 8 PiB.
#[derive(Debug, Clone, Serialize, Deserialize, specta::Type, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct MemoryInfo {
    #[specta(type = specta_typescript::Number)]
    pub total_bytes: u64,
    #[specta(type = specta_typescript::Number)]
    pub available_bytes: u64,
}

/// The file system that holds a given path (the data dir, where models and checkpoints go).
#[derive(Debug, Clone, Serialize, Deserialize, specta::Type, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct DiskInfo {
    /// The path that was asked about.
    pub path: PathBuf,
    pub mount_point: PathBuf,
    pub file_system: String,
    #[specta(type = specta_typescript::Number)]
    pub total_bytes: u64,
    #[specta(type = specta_typescript::Number)]
    pub free_bytes: u64,
}

/// CPU and memory in one refresh.
pub struct SystemSnapshot {
    pub os: String,
    pub cpu: CpuInfo,
    pub memory: MemoryInfo,
}

pub fn snapshot() -> SystemSnapshot {
    use sysinfo::{CpuRefreshKind, MemoryRefreshKind, RefreshKind, System};
    let os = System::long_os_version().unwrap_or_else(|_| std::env::consts::OS.to_owned());
    let refresh = RefreshKind::nothing()
        .with_cpu(CpuRefreshKind::nothing())
        .with_memory(MemoryRefreshKind::everything());
    // sysinfo fails on platforms it does not know; report unknowns instead of failing.
    let Ok(sys) = System::new_with_specifics(refresh) else {
        return SystemSnapshot {
            os,
            cpu: CpuInfo {
                model: "unknown CPU".to_owned(),
                physical_cores: None,
                logical_cores: 1,
            },
            memory: MemoryInfo {
                total_bytes: 0,
                available_bytes: 0,
            },
        };
    };
    let model = sys
        .cpus()
        .first()
        .map(|cpu| cpu.brand().trim().to_owned())
        .filter(|brand| !brand.is_empty())
        .unwrap_or_else(|| "unknown CPU".to_owned());
    SystemSnapshot {
        os,
        cpu: CpuInfo {
            model,
            physical_cores: System::physical_core_count()
                .ok()
                .and_then(|n| u32::try_from(n).ok()),
            logical_cores: u32::try_from(sys.cpus().len().max(1)).unwrap_or(u32::MAX),
        },
        memory: MemoryInfo {
            total_bytes: sys.total_memory(),
            available_bytes: sys.available_memory(),
        },
    }
}

/// Free space on the file system holding `path`. The path need not exist yet (a data dir
/// before first run): its nearest existing ancestor decides the file system.
pub fn disk_for(path: &Path) -> Option<DiskInfo> {
    let disks = sysinfo::Disks::new_with_refreshed_list().ok()?;
    let mounts: Vec<Mount> = disks
        .iter()
        .map(|d| Mount {
            mount_point: d.mount_point().to_path_buf(),
            file_system: d.file_system().to_string_lossy().into_owned(),
            total_bytes: d.total_space(),
            free_bytes: d.available_space(),
        })
        .collect();
    let resolved = existing_ancestor(path)?;
    let mount = best_mount(&mounts, &resolved)?;
    Some(DiskInfo {
        path: path.to_path_buf(),
        mount_point: mount.mount_point.clone(),
        file_system: mount.file_system.clone(),
        total_bytes: mount.total_bytes,
        free_bytes: mount.free_bytes,
    })
}

struct Mount {
    mount_point: PathBuf,
    file_system: String,
    total_bytes: u64,
    free_bytes: u64,
}

/// The canonical form of `path` or of its nearest ancestor that exists.
fn existing_ancestor(path: &Path) -> Option<PathBuf> {
    let absolute = if path.is_absolute() {
        path.to_path_buf()
    } else {
        std::env::current_dir().ok()?.join(path)
    };
    absolute.ancestors().find_map(|p| p.canonicalize().ok())
}

/// The mount whose mount point is the longest prefix of `path` (component-wise, so `/home`
/// does not claim `/homework`).
fn best_mount<'a>(mounts: &'a [Mount], path: &Path) -> Option<&'a Mount> {
    mounts
        .iter()
        .filter(|m| path.starts_with(&m.mount_point))
        .max_by_key(|m| m.mount_point.components().count())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mount(point: &str, free: u64) -> Mount {
        Mount {
            mount_point: PathBuf::from(point),
            file_system: "ext4".into(),
            total_bytes: free * 2,
            free_bytes: free,
        }
    }

    #[test]
    fn the_longest_mount_prefix_wins_component_wise() {
        let mounts = [mount("/", 1), mount("/home", 2), mount("/home/me/data", 3)];
        let pick = |p: &str| best_mount(&mounts, Path::new(p)).map(|m| m.free_bytes);
        assert_eq!(pick("/home/me/data/models"), Some(3));
        assert_eq!(pick("/home/me"), Some(2));
        assert_eq!(pick("/homework"), Some(1));
        assert_eq!(
            best_mount(&mounts[1..], Path::new("/srv")).map(|m| m.free_bytes),
            None
        );
    }

    #[test]
    fn a_path_that_does_not_exist_yet_resolves_to_its_parent() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("not/yet/here");
        let found = existing_ancestor(&missing).unwrap();
        assert_eq!(found, dir.path().canonicalize().unwrap());
    }

    #[test]
    fn reports_cpu_and_memory() {
        let snap = snapshot();
        assert!(snap.cpu.logical_cores >= 1);
        assert!(snap.memory.total_bytes > 0);
        assert!(snap.memory.available_bytes <= snap.memory.total_bytes);
    }
}
