//! The stored form of a job.

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

#[derive(Debug, Clone, Copy, Serialize, Deserialize, specta::Type, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum JobState {
    Queued,
    Running,
    Completed,
    Failed,
    Cancelled,
    /// The process stopped (crash, kill, power loss) while the job was running.
    Interrupted,
}

impl JobState {
    pub fn as_str(self) -> &'static str {
        match self {
            JobState::Queued => "queued",
            JobState::Running => "running",
            JobState::Completed => "completed",
            JobState::Failed => "failed",
            JobState::Cancelled => "cancelled",
            JobState::Interrupted => "interrupted",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        [
            Self::Queued,
            Self::Running,
            Self::Completed,
            Self::Failed,
            Self::Cancelled,
            Self::Interrupted,
        ]
        .into_iter()
        .find(|state| state.as_str() == text)
    }

    pub fn is_final(self) -> bool {
        !matches!(self, JobState::Queued | JobState::Running)
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, specta::Type, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct JobRecord {
    pub id: String,
    pub kind: String,
    pub state: JobState,
    #[specta(type = crate::json_type::JsonValue)]
    pub params: serde_json::Value,
    #[specta(type = Option<crate::json_type::JsonValue>)]
    pub result: Option<serde_json::Value>,
    pub error: Option<String>,
    pub created_at: String,
    pub updated_at: String,
}

pub(super) const COLUMNS: &str = "id, kind, state, params, result, error, created_at, updated_at";

/// Reads a row selected with [`COLUMNS`]. The outer `rusqlite::Result` is SQLite's; the inner
/// one reports stored text that does not parse.
pub(super) fn from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<Result<JobRecord>> {
    let id: String = row.get(0)?;
    let state_text: String = row.get(2)?;
    let params: String = row.get(3)?;
    let result: Option<String> = row.get(4)?;
    let json = |what: &str, text: &str| {
        serde_json::from_str(text).map_err(|source| Error::Json {
            what: format!("job {id} {what}"),
            source,
        })
    };
    let record = (|| {
        Ok(JobRecord {
            kind: row.get(1)?,
            state: JobState::parse(&state_text).ok_or_else(|| {
                Error::Internal(format!("job {id} has unknown state {state_text}"))
            })?,
            params: json("params", &params)?,
            result: result
                .as_deref()
                .map(|text| json("result", text))
                .transpose()?,
            error: row.get(5)?,
            created_at: row.get(6)?,
            updated_at: row.get(7)?,
            id: id.clone(),
        })
    })();
    Ok(record)
}
