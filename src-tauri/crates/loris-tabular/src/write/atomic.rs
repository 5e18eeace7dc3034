//! Whole-file replacement that readers never see half done: the bytes go to a temporary file
//! in the destination's directory (so the rename stays on one file system), are synced, and
//! the file is renamed over the destination. A failure removes the temporary file and leaves
//! any previous destination as it was.

use std::fs::{self, File, OpenOptions};
use std::io::{self, BufWriter};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use crate::error::{Result, TabularError};

/// Distinguishes temporary files of concurrent writers in one process.
static SEQUENCE: AtomicU64 = AtomicU64::new(0);

/// Runs `fill` on a buffered temporary file, then moves it to `path`. I/O errors are reported
/// against `path`, the file the caller asked for.
pub(crate) fn write_atomic(
    path: &Path,
    fill: impl FnOnce(&mut BufWriter<File>) -> Result<()>,
) -> Result<()> {
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir.to_owned(),
        _ => PathBuf::from("."),
    };
    fs::create_dir_all(&dir).map_err(|e| TabularError::io(path, e))?;
    let (temp_path, file) = create_temp(&dir, path)?;
    let mut temp = TempGuard {
        path: temp_path,
        armed: true,
    };

    let mut out = BufWriter::new(file);
    fill(&mut out)?;
    let file = out
        .into_inner()
        .map_err(|e| TabularError::io(path, e.into_error()))?;
    file.sync_all().map_err(|e| TabularError::io(path, e))?;
    drop(file);
    fs::rename(&temp.path, path).map_err(|e| TabularError::io(path, e))?;
    temp.armed = false;
    sync_dir(&dir);
    Ok(())
}

fn create_temp(dir: &Path, target: &Path) -> Result<(PathBuf, File)> {
    let name = target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "output".to_owned());
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    let mut attempt = 0;
    loop {
        let seq = SEQUENCE.fetch_add(1, Ordering::Relaxed);
        let candidate = dir.join(format!(".{name}.{}-{seq}-{nanos}.tmp", std::process::id()));
        match OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&candidate)
        {
            Ok(file) => return Ok((candidate, file)),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists && attempt < 16 => attempt += 1,
            Err(e) => return Err(TabularError::io(target, e)),
        }
    }
}

/// Makes the rename itself durable. Best effort: the data is already synced and renamed, and
/// some platforms cannot open a directory for syncing.
fn sync_dir(dir: &Path) {
    #[cfg(unix)]
    if let Ok(handle) = File::open(dir) {
        let _ = handle.sync_all();
    }
    #[cfg(not(unix))]
    let _ = dir;
}

/// Removes the temporary file unless it was renamed into place.
struct TempGuard {
    path: PathBuf,
    armed: bool,
}

impl Drop for TempGuard {
    fn drop(&mut self) {
        if self.armed {
            let _ = fs::remove_file(&self.path);
        }
    }
}

/// `io::Error` from a writer callback, reported against the destination.
pub(crate) fn io_err(path: &Path) -> impl Fn(io::Error) -> TabularError + '_ {
    move |e| TabularError::io(path, e)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn entries(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    #[test]
    fn success_replaces_the_file_and_leaves_no_temp() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.txt");
        fs::write(&path, "old").unwrap();
        write_atomic(&path, |w| w.write_all(b"new").map_err(io_err(&path))).unwrap();
        assert_eq!(fs::read_to_string(&path).unwrap(), "new");
        assert_eq!(entries(dir.path()), vec!["out.txt"]);
    }

    #[test]
    fn failure_keeps_the_old_file_and_leaves_no_temp() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.txt");
        fs::write(&path, "old").unwrap();
        let err = write_atomic(&path, |w| {
            w.write_all(b"partial").map_err(io_err(&path))?;
            Err(TabularError::io(&path, io::Error::other("stop")))
        })
        .unwrap_err();
        assert_eq!(err.code(), "tabular_io");
        assert_eq!(fs::read_to_string(&path).unwrap(), "old");
        assert_eq!(entries(dir.path()), vec!["out.txt"]);
    }

    #[test]
    fn missing_parent_directories_are_created() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a/b/out.txt");
        write_atomic(&path, |w| w.write_all(b"x").map_err(io_err(&path))).unwrap();
        assert_eq!(fs::read_to_string(&path).unwrap(), "x");
    }
}
