//! Models on this machine, found without opening their weights: GGUF files, and Hugging Face
//! folders (a `config.json` beside `.safetensors` weights, the only Hugging Face weights the
//! loader reads), in folders the user names and in the Hugging Face cache
//! (`hub/models--org--name/snapshots/<revision>/`).
//!
//! Scanning never fails: a folder that cannot be read is skipped (it may be a removed drive),
//! and a walk stops [`MAX_DEPTH`] folders down so that naming a home folder stays quick.

use std::collections::HashSet;
use std::ffi::OsString;
use std::fs;
use std::path::{Path, PathBuf};

use serde::Serialize;

/// How many folders below a models folder are searched.
pub const MAX_DEPTH: usize = 4;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LocalFormat {
    Gguf,
    /// A Hugging Face folder with safetensors weights.
    Safetensors,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LocalSource {
    /// A models folder the user added.
    Folder,
    HfCache,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LocalModel {
    /// What to show: the file or folder name, or `org/name` (and the file) in the HF cache.
    pub name: String,
    /// What to load: the GGUF file or the model folder.
    pub path: PathBuf,
    pub format: LocalFormat,
    pub source: LocalSource,
    /// The weights' bytes on disk (the GGUF file, or the folder's safetensors files).
    pub size_bytes: u64,
}

/// The Hugging Face hub cache as `huggingface_hub` finds it: `HF_HUB_CACHE`, else
/// `HF_HOME/hub`, else `~/.cache/huggingface/hub`. Empty variables count as unset.
pub fn hf_hub_dir(
    hf_hub_cache: Option<OsString>,
    hf_home: Option<OsString>,
    home: Option<PathBuf>,
) -> Option<PathBuf> {
    let set = |v: Option<OsString>| v.filter(|v| !v.is_empty()).map(PathBuf::from);
    set(hf_hub_cache)
        .or_else(|| set(hf_home).map(|h| h.join("hub")))
        .or_else(|| home.map(|h| h.join(".cache").join("huggingface").join("hub")))
}

/// The models under `dir`, sorted by name. A model folder is not searched further.
pub fn scan_folder(dir: &Path) -> Vec<LocalModel> {
    let mut found = Vec::new();
    walk(dir, 0, LocalSource::Folder, None, &mut found);
    sorted(found)
}

/// The models of a Hugging Face hub cache, one revision each (the one `refs/main` names, else
/// the newest snapshot), sorted by name.
pub fn scan_hf_cache(hub: &Path) -> Vec<LocalModel> {
    let mut found = Vec::new();
    for repo in read_dir(hub) {
        let Some(dir_name) = repo.file_name().and_then(|n| n.to_str()).map(str::to_owned) else {
            continue;
        };
        let Some(repo_id) = dir_name
            .strip_prefix("models--")
            .map(|id| id.replace("--", "/"))
        else {
            continue;
        };
        if let Some(snapshot) = current_snapshot(&repo) {
            // Not a full walk: a GGUF repository keeps its quantizations at most one folder down.
            walk(
                &snapshot,
                MAX_DEPTH - 1,
                LocalSource::HfCache,
                Some(&repo_id),
                &mut found,
            );
        }
    }
    sorted(found)
}

/// Several scans in one list, each path once (the first scan that finds it names it).
pub fn merge(scans: impl IntoIterator<Item = Vec<LocalModel>>) -> Vec<LocalModel> {
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    for model in scans.into_iter().flatten() {
        let key = fs::canonicalize(&model.path).unwrap_or_else(|_| model.path.clone());
        if seen.insert(key) {
            out.push(model);
        }
    }
    out
}

fn sorted(mut models: Vec<LocalModel>) -> Vec<LocalModel> {
    models.sort_by_key(|a| a.name.to_lowercase());
    models
}

fn read_dir(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut paths: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    paths.sort();
    paths
}

fn current_snapshot(repo: &Path) -> Option<PathBuf> {
    let snapshots = repo.join("snapshots");
    if let Ok(rev) = fs::read_to_string(repo.join("refs").join("main")) {
        let dir = snapshots.join(rev.trim());
        if !rev.trim().is_empty() && dir.is_dir() {
            return Some(dir);
        }
    }
    read_dir(&snapshots)
        .into_iter()
        .filter(|p| p.is_dir())
        .max_by_key(|p| fs::metadata(p).and_then(|m| m.modified()).ok())
}

fn walk(
    dir: &Path,
    depth: usize,
    source: LocalSource,
    repo_id: Option<&str>,
    found: &mut Vec<LocalModel>,
) {
    let name_of = |path: &Path| -> String {
        let own = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| path.display().to_string());
        match repo_id {
            Some(repo) if path == dir && depth == MAX_DEPTH - 1 => repo.to_owned(),
            Some(repo) => format!("{repo}/{own}"),
            None => own,
        }
    };
    if let Some(size) = hf_folder_weights(dir) {
        found.push(LocalModel {
            name: name_of(dir),
            path: dir.to_path_buf(),
            format: LocalFormat::Safetensors,
            source,
            size_bytes: size,
        });
        return;
    }
    for path in read_dir(dir) {
        let hidden = path
            .file_name()
            .is_some_and(|n| n.to_string_lossy().starts_with('.'));
        if hidden {
            continue;
        }
        // Symlinked folders are not followed (a link back up would loop); linked files are
        // read, as the HF cache links its snapshots' files to blobs.
        let is_link_dir =
            fs::symlink_metadata(&path).is_ok_and(|m| m.file_type().is_symlink()) && path.is_dir();
        if path.is_dir() && !is_link_dir {
            if depth < MAX_DEPTH {
                walk(&path, depth + 1, source, repo_id, found);
            }
        } else if is_loadable_gguf(&path) {
            found.push(LocalModel {
                name: name_of(&path),
                size_bytes: fs::metadata(&path).map_or(0, |m| m.len()),
                path,
                format: LocalFormat::Gguf,
                source,
            });
        }
    }
}

/// The safetensors bytes of a Hugging Face model folder; `None` when `dir` is not one.
fn hf_folder_weights(dir: &Path) -> Option<u64> {
    if !dir.join("config.json").is_file() {
        return None;
    }
    let sizes: Vec<u64> = read_dir(dir)
        .into_iter()
        .filter(|p| {
            p.extension()
                .is_some_and(|e| e.eq_ignore_ascii_case("safetensors"))
        })
        .filter_map(|p| fs::metadata(&p).ok().map(|m| m.len()))
        .collect();
    (!sizes.is_empty()).then(|| sizes.iter().sum())
}

/// A `.gguf` file that is a model by itself: not a vision projector (`mmproj`), and of a split
/// model only the first part (the loader finds the others from it).
fn is_loadable_gguf(path: &Path) -> bool {
    if !path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("gguf"))
        || !path.is_file()
    {
        return false;
    }
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_lowercase())
        .unwrap_or_default();
    if name.contains("mmproj") {
        return false;
    }
    match split_part(&name) {
        Some(part) => part == 1,
        None => true,
    }
}

/// `model-00002-of-00003.gguf` -> `Some(2)`.
fn split_part(name: &str) -> Option<u32> {
    let stem = name.strip_suffix(".gguf")?;
    let (before, total) = stem.rsplit_once("-of-")?;
    let (_, part) = before.rsplit_once('-')?;
    if total.chars().all(|c| c.is_ascii_digit()) && part.chars().all(|c| c.is_ascii_digit()) {
        part.parse().ok()
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(path: &Path, bytes: &[u8]) {
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, bytes).unwrap();
    }

    #[test]
    fn a_folder_lists_gguf_files_and_hf_folders() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        write(&root.join("small.gguf"), b"GGUF1234");
        write(&root.join("notes.txt"), b"x");
        write(&root.join("vision/mmproj-model-f16.gguf"), b"GGUF");
        write(&root.join("split/big-00001-of-00002.gguf"), b"GGUF");
        write(&root.join("split/big-00002-of-00002.gguf"), b"GGUF");
        write(&root.join("Qwen3-0.6B/config.json"), b"{}");
        write(&root.join("Qwen3-0.6B/model.safetensors"), &[0; 10]);
        // Inside a model folder nothing more is listed.
        write(&root.join("Qwen3-0.6B/extra/other.gguf"), b"GGUF");
        // config.json without weights (a tokenizer download) is no model.
        write(&root.join("tokenizer-only/config.json"), b"{}");
        write(&root.join(".hidden/secret.gguf"), b"GGUF");
        write(&root.join("a/b/c/d/e/f/too-deep.gguf"), b"GGUF");

        let found = scan_folder(root);
        let names: Vec<_> = found.iter().map(|m| m.name.as_str()).collect();
        assert_eq!(
            names,
            ["big-00001-of-00002.gguf", "Qwen3-0.6B", "small.gguf"]
        );
        let qwen = &found[1];
        assert_eq!(qwen.format, LocalFormat::Safetensors);
        assert_eq!(qwen.path, root.join("Qwen3-0.6B"));
        assert_eq!(qwen.size_bytes, 10);
        assert_eq!(found[2].size_bytes, 8);
        assert!(found.iter().all(|m| m.source == LocalSource::Folder));
        assert!(scan_folder(&root.join("missing")).is_empty());
    }

    #[test]
    fn the_hf_cache_lists_the_current_snapshot_of_each_repo() {
        let dir = tempfile::tempdir().unwrap();
        let hub = dir.path();
        let repo = hub.join("models--Qwen--Qwen3-0.6B");
        write(&repo.join("refs/main"), b"abc\n");
        write(&repo.join("snapshots/abc/config.json"), b"{}");
        write(&repo.join("snapshots/abc/model.safetensors"), &[0; 4]);
        write(&repo.join("snapshots/old/config.json"), b"{}");
        write(&repo.join("snapshots/old/model.safetensors"), &[0; 4]);
        let gguf = hub.join("models--bartowski--SmolLM2-GGUF/snapshots/r1");
        write(&gguf.join("SmolLM2-Q4_K_M.gguf"), b"GGUF");
        write(&gguf.join("Q8_0/SmolLM2-Q8_0.gguf"), b"GGUF");
        write(&hub.join("datasets--x--y/snapshots/r/data.gguf"), b"GGUF");
        write(
            &hub.join("models--only--tokenizer/snapshots/r/config.json"),
            b"{}",
        );

        let found = scan_hf_cache(hub);
        let names: Vec<_> = found.iter().map(|m| m.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "bartowski/SmolLM2-GGUF/SmolLM2-Q4_K_M.gguf",
                "bartowski/SmolLM2-GGUF/SmolLM2-Q8_0.gguf",
                "Qwen/Qwen3-0.6B",
            ]
        );
        assert_eq!(found[2].path, repo.join("snapshots/abc"));
        assert!(found.iter().all(|m| m.source == LocalSource::HfCache));
    }

    #[test]
    fn the_hub_dir_follows_the_hf_variables() {
        let home = Some(PathBuf::from("/home/u"));
        assert_eq!(
            hf_hub_dir(None, None, home.clone()),
            Some(PathBuf::from("/home/u/.cache/huggingface/hub"))
        );
        assert_eq!(
            hf_hub_dir(None, Some("/hf".into()), home.clone()),
            Some(PathBuf::from("/hf/hub"))
        );
        assert_eq!(
            hf_hub_dir(Some("/cache".into()), Some("/hf".into()), home.clone()),
            Some(PathBuf::from("/cache"))
        );
        assert_eq!(
            hf_hub_dir(Some("".into()), Some("".into()), home),
            Some(PathBuf::from("/home/u/.cache/huggingface/hub"))
        );
        assert_eq!(hf_hub_dir(None, None, None), None);
    }

    #[test]
    fn merging_lists_each_path_once() {
        let dir = tempfile::tempdir().unwrap();
        write(&dir.path().join("m.gguf"), b"GGUF");
        let a = scan_folder(dir.path());
        let b = scan_folder(dir.path());
        assert_eq!(merge([a, b]).len(), 1);
    }

    #[test]
    fn split_parts_are_read_from_the_name() {
        assert_eq!(split_part("m-00001-of-00003.gguf"), Some(1));
        assert_eq!(split_part("m-00003-of-00003.gguf"), Some(3));
        assert_eq!(split_part("m-q4-of-x.gguf"), None);
        assert_eq!(split_part("m.gguf"), None);
    }
}
