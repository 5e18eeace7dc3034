//! A path → [`Model`]: a config.json, a model folder (config.json or one GGUF), or a .gguf
//! file (all parts of a split GGUF are read for their sizes).

use std::io::Read;
use std::path::{Path, PathBuf};

use super::gguf_model::{GgufWeights, shape_from_gguf};
use super::{Model, ModelKind};
use crate::error::{HardwareError, Result};
use crate::gguf::{GgufValue, read_gguf};

/// Real config.json files are a few KB; anything this large is not one.
const MAX_CONFIG_BYTES: u64 = 16 << 20;

pub fn load_model(path: &Path) -> Result<Model> {
    let meta = std::fs::metadata(path).map_err(|e| HardwareError::ModelNotFound {
        path: path.to_path_buf(),
        reason: format!("cannot be read: {e}"),
    })?;
    if meta.is_dir() {
        return load_folder(path);
    }
    if is_gguf(path)? {
        load_gguf(path)
    } else {
        load_config(path)
    }
}

fn load_folder(dir: &Path) -> Result<Model> {
    let config = dir.join("config.json");
    if config.is_file() {
        return load_config(&config);
    }
    let entries = std::fs::read_dir(dir).map_err(|e| HardwareError::io("cannot list", dir, e))?;
    let mut ggufs: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
            // Vision projectors (mmproj) ship beside the model but are not the model.
            name.to_ascii_lowercase().ends_with(".gguf")
                && !name.to_ascii_lowercase().starts_with("mmproj")
        })
        .collect();
    ggufs.sort();
    // The parts of one split model count as one file: take its first part.
    let first_parts: Vec<&PathBuf> = ggufs
        .iter()
        .filter(|p| split_name(p).is_none_or(|(_, index, _)| index == 1))
        .collect();
    match first_parts.as_slice() {
        [one] => load_gguf(one),
        [] => Err(HardwareError::ModelNotFound {
            path: dir.to_path_buf(),
            reason: "the folder has neither a config.json nor a .gguf file".to_owned(),
        }),
        many => Err(HardwareError::ModelNotFound {
            path: dir.to_path_buf(),
            reason: format!(
                "the folder has several .gguf files; name one: {}",
                many.iter()
                    .filter_map(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        }),
    }
}

fn load_config(path: &Path) -> Result<Model> {
    let file = std::fs::File::open(path).map_err(|e| HardwareError::io("cannot open", path, e))?;
    let mut text = String::new();
    file.take(MAX_CONFIG_BYTES + 1)
        .read_to_string(&mut text)
        .map_err(|e| HardwareError::InvalidJson {
            path: path.to_path_buf(),
            reason: format!("not UTF-8 text: {e}"),
        })?;
    if text.len() as u64 > MAX_CONFIG_BYTES {
        return Err(HardwareError::InvalidJson {
            path: path.to_path_buf(),
            reason: "larger than 16 MiB: not a config.json".to_owned(),
        });
    }
    Model::from_config_json(&text, path)
}

fn load_gguf(path: &Path) -> Result<Model> {
    let first = read_gguf(path)?;
    let (shape, notes) = shape_from_gguf(&first)?;
    let split_count = first
        .get("split.count")
        .and_then(GgufValue::as_u64)
        .unwrap_or(1);
    let mut files = vec![first];
    if split_count > 1 {
        for part in split_parts(path, split_count)? {
            if part != path {
                files.push(read_gguf(&part)?);
            }
        }
    }
    Ok(Model {
        path: path.to_path_buf(),
        shape,
        kind: ModelKind::Gguf(GgufWeights::from_files(&files)),
        notes,
    })
}

/// `.gguf` by extension, or by magic for files named otherwise.
fn is_gguf(path: &Path) -> Result<bool> {
    if path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("gguf"))
    {
        return Ok(true);
    }
    let mut magic = [0u8; 4];
    let mut file =
        std::fs::File::open(path).map_err(|e| HardwareError::io("cannot open", path, e))?;
    Ok(file.read_exact(&mut magic).is_ok() && &magic == b"GGUF")
}

/// `name-00002-of-00005.gguf` → (`name`, 2, 5).
fn split_name(path: &Path) -> Option<(String, u64, u64)> {
    let stem = path.file_name()?.to_str()?.strip_suffix(".gguf")?;
    let (head, count) = stem.rsplit_once("-of-")?;
    let (prefix, index) = head.rsplit_once('-')?;
    let digits = |s: &str| s.len() == 5 && s.bytes().all(|b| b.is_ascii_digit());
    if !digits(index) || !digits(count) {
        return None;
    }
    Some((prefix.to_owned(), index.parse().ok()?, count.parse().ok()?))
}

/// Every part of the split model `path` belongs to, checked to exist.
fn split_parts(path: &Path, count: u64) -> Result<Vec<PathBuf>> {
    let (prefix, _, named_count) = split_name(path).ok_or_else(|| HardwareError::InvalidGguf {
        path: path.to_path_buf(),
        reason: format!("split.count is {count} but the name is not NAME-0000N-of-0000M.gguf"),
    })?;
    if named_count != count {
        return Err(HardwareError::InvalidGguf {
            path: path.to_path_buf(),
            reason: format!("split.count is {count} but the name says {named_count} parts"),
        });
    }
    let dir = path.parent().unwrap_or(Path::new("."));
    (1..=count)
        .map(|i| {
            let part = dir.join(format!("{prefix}-{i:05}-of-{count:05}.gguf"));
            if part.is_file() {
                Ok(part)
            } else {
                Err(HardwareError::ModelNotFound {
                    path: part,
                    reason: format!("part {i} of {count} of a split GGUF is missing"),
                })
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_names_parse() {
        assert_eq!(
            split_name(Path::new("/m/Qwen3-32B-Q4_K_M-00002-of-00003.gguf")),
            Some(("Qwen3-32B-Q4_K_M".into(), 2, 3))
        );
        assert_eq!(split_name(Path::new("model-q4.gguf")), None);
        assert_eq!(split_name(Path::new("x-2-of-3.gguf")), None);
    }

    #[test]
    fn folders_need_a_config_or_exactly_one_gguf() {
        let dir = tempfile::tempdir().unwrap();
        let err = load_model(dir.path()).unwrap_err();
        assert_eq!(err.code(), "model_not_found");
        std::fs::write(dir.path().join("a.gguf"), b"GGUF").unwrap();
        std::fs::write(dir.path().join("b.gguf"), b"GGUF").unwrap();
        std::fs::write(dir.path().join("mmproj-x.gguf"), b"GGUF").unwrap();
        let err = load_model(dir.path()).unwrap_err();
        assert!(err.to_string().contains("a.gguf, b.gguf"), "{err}");
        let err = load_model(&dir.path().join("missing.json")).unwrap_err();
        assert_eq!(err.code(), "model_not_found");
    }

    #[test]
    fn a_truncated_gguf_is_invalid_gguf() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.gguf");
        std::fs::write(&path, b"GGUF\x03\x00").unwrap();
        assert_eq!(load_model(&path).unwrap_err().code(), "invalid_gguf");
    }
}
