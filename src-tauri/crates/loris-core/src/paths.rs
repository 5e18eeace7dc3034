//! Where Loris Studio keeps its data: the platform's data directory, or `LORIS_HOME`.

use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// The environment variable that overrides the data directory.
pub const HOME_ENV: &str = "LORIS_HOME";

/// The application's data directory and the well-known paths inside it.
#[derive(Debug, Clone)]
pub struct DataDir {
    root: PathBuf,
}

impl DataDir {
    /// `LORIS_HOME` when set and not empty, else the platform default
    /// (`~/.local/share/loris-studio` on Linux, `~/Library/Application Support/dev.loris.studio`
    /// on macOS, `%APPDATA%\loris\studio\data` on Windows).
    pub fn from_env() -> Result<Self> {
        match std::env::var_os(HOME_ENV) {
            Some(home) if !home.is_empty() => Ok(Self::at(PathBuf::from(home))),
            _ => Self::platform_default(),
        }
    }

    pub fn platform_default() -> Result<Self> {
        let dirs = directories::ProjectDirs::from("dev", "loris", "loris-studio")
            .ok_or(Error::NoDataDir)?;
        Ok(Self::at(dirs.data_dir().to_path_buf()))
    }

    pub fn at(root: impl Into<PathBuf>) -> Self {
        DataDir { root: root.into() }
    }

    /// Creates the directory tree if it is missing.
    pub fn ensure(&self) -> Result<()> {
        for dir in [self.root.clone(), self.log_dir()] {
            std::fs::create_dir_all(&dir).map_err(|e| Error::io("creating directory", &dir, e))?;
        }
        Ok(())
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    pub fn database_path(&self) -> PathBuf {
        self.root.join("loris.db")
    }

    pub fn log_dir(&self) -> PathBuf {
        self.root.join("logs")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_live_under_the_root() {
        let dir = DataDir::at("/tmp/x");
        assert_eq!(dir.database_path(), PathBuf::from("/tmp/x/loris.db"));
        assert_eq!(dir.log_dir(), PathBuf::from("/tmp/x/logs"));
    }

    #[test]
    fn ensure_creates_the_tree() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = DataDir::at(tmp.path().join("a/b"));
        dir.ensure().unwrap();
        assert!(dir.log_dir().is_dir());
    }
}
