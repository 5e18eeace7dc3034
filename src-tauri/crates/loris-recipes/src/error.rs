//! Errors with stable codes. Validation problems carry the JSON path of the offending field so
//! the UI and the CLI can point at it.

use serde::Serialize;

pub type Result<T, E = RecipeError> = std::result::Result<T, E>;

/// One problem found while checking a recipe. Validation collects all of them rather than
/// stopping at the first, so each one names its own place in the document.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ValidationError {
    #[error("{path}: columns form a cycle: {}", cycle_text(.columns))]
    Cycle { path: String, columns: Vec<String> },
    #[error("{path}: column `{column}` refers to `{reference}`, which is not a column")]
    UnknownReference {
        path: String,
        column: String,
        reference: String,
    },
    #[error("{path}: the column name `{name}` is used more than once")]
    DuplicateName { path: String, name: String },
    #[error("{path}: no model config has the alias `{alias}`")]
    MissingModelConfig { path: String, alias: String },
    #[error("{path}: no model provider is named `{provider}`")]
    MissingProvider { path: String, provider: String },
    #[error("{path}: output_format is not an object JSON schema: {reason}")]
    InvalidSchema { path: String, reason: String },
    #[error("{path}: the template does not parse: {reason}")]
    InvalidTemplate { path: String, reason: String },
    #[error("{path}: {reason}")]
    InvalidParams { path: String, reason: String },
}

fn cycle_text(columns: &[String]) -> String {
    let mut text = columns.join(" -> ");
    if let Some(first) = columns.first() {
        text.push_str(" -> ");
        text.push_str(first);
    }
    text
}

impl ValidationError {
    pub fn code(&self) -> &'static str {
        match self {
            ValidationError::Cycle { .. } => "recipe_cycle",
            ValidationError::UnknownReference { .. } => "recipe_unknown_reference",
            ValidationError::DuplicateName { .. } => "recipe_duplicate_name",
            ValidationError::MissingModelConfig { .. } => "recipe_missing_model_config",
            ValidationError::MissingProvider { .. } => "recipe_missing_provider",
            ValidationError::InvalidSchema { .. } => "recipe_invalid_schema",
            ValidationError::InvalidTemplate { .. } => "recipe_invalid_template",
            ValidationError::InvalidParams { .. } => "recipe_invalid_params",
        }
    }

    /// Where in the document the problem is, e.g. `recipe.columns[3].prompt`.
    pub fn path(&self) -> &str {
        match self {
            ValidationError::Cycle { path, .. }
            | ValidationError::UnknownReference { path, .. }
            | ValidationError::DuplicateName { path, .. }
            | ValidationError::MissingModelConfig { path, .. }
            | ValidationError::MissingProvider { path, .. }
            | ValidationError::InvalidSchema { path, .. }
            | ValidationError::InvalidTemplate { path, .. }
            | ValidationError::InvalidParams { path, .. } => path,
        }
    }

    /// The serializable form used by the CLI and the error details.
    pub fn report(&self) -> IssueReport {
        IssueReport {
            code: self.code(),
            path: self.path().to_string(),
            message: self.to_string(),
            columns: match self {
                ValidationError::Cycle { columns, .. } => Some(columns.clone()),
                _ => None,
            },
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct IssueReport {
    pub code: &'static str,
    pub path: String,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub columns: Option<Vec<String>>,
}

#[derive(Debug, thiserror::Error)]
pub enum RecipeError {
    #[error("the recipe is {size} bytes, more than the {limit} bytes allowed")]
    TooLarge { size: u64, limit: u64 },
    #[error("the recipe is not valid JSON at `{path}`: {message}")]
    Malformed { path: String, message: String },
    #[error("{path}: unknown column type `{column_type}`")]
    UnknownColumnType { path: String, column_type: String },
    #[error("the recipe has {} problem(s); the first: {}", .0.len(), first_issue(.0))]
    Invalid(Vec<ValidationError>),
    #[error("column `{column}` (row {row}): {message}")]
    Render {
        column: String,
        row: usize,
        message: String,
    },
    #[error("column `{column}` needs a language model and none is configured for this run")]
    NoProvider { column: String },
    #[error("column `{column}` (row {row}): the model call failed: {message}")]
    Llm {
        column: String,
        row: usize,
        message: String,
    },
    #[error(
        "column `{column}` (row {row}): no usable reply after {attempts} attempt(s): {message}"
    )]
    InvalidLlmOutput {
        column: String,
        row: usize,
        attempts: u32,
        message: String,
    },
    #[error("model alias `{alias}`: {message}")]
    ProviderSetup { alias: String, message: String },
    #[error("the run was cancelled")]
    Cancelled,
    #[error(
        "more than {:.0}% of the last {window} model calls failed, so the run stopped; the last error: {last_error}",
        .rate * 100.0
    )]
    ErrorRateExceeded {
        rate: f64,
        window: usize,
        last_error: String,
    },
    #[error("the run folder `{path}` holds a run of another recipe or other settings: {reason}")]
    RunMismatch { path: String, reason: String },
    #[error("the run folder `{path}` is damaged: {reason}")]
    RunDamaged { path: String, reason: String },
    #[error("seed data: {message}")]
    Seed { code: &'static str, message: String },
    #[error("output files: {message}")]
    Output { code: &'static str, message: String },
    #[error("invalid option `{field}`: {reason}")]
    InvalidOption { field: &'static str, reason: String },
    #[error("no recipe with id `{id}`")]
    NotFound { id: String },
    #[error("reading `{path}`: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error(transparent)]
    Store(#[from] loris_core::Error),
}

fn first_issue(errors: &[ValidationError]) -> String {
    errors.first().map(|e| e.to_string()).unwrap_or_default()
}

impl From<rusqlite::Error> for RecipeError {
    fn from(err: rusqlite::Error) -> Self {
        RecipeError::Store(loris_core::Error::from(err))
    }
}

impl RecipeError {
    /// A stable string the UI and scripts switch on.
    pub fn code(&self) -> &'static str {
        match self {
            RecipeError::TooLarge { .. } => "recipe_too_large",
            RecipeError::Malformed { .. } => "recipe_malformed",
            RecipeError::UnknownColumnType { .. } => "recipe_unknown_column_type",
            RecipeError::Invalid(_) => "recipe_invalid",
            RecipeError::Render { .. } => "recipe_render_failed",
            RecipeError::NoProvider { .. } => "recipe_no_provider",
            RecipeError::Llm { .. } => "recipe_llm_failed",
            RecipeError::InvalidLlmOutput { .. } => "recipe_invalid_llm_output",
            RecipeError::ProviderSetup { .. } => "recipe_provider_setup",
            RecipeError::Cancelled => "recipe_cancelled",
            RecipeError::ErrorRateExceeded { .. } => "recipe_error_rate_exceeded",
            RecipeError::RunMismatch { .. } => "recipe_run_mismatch",
            RecipeError::RunDamaged { .. } => "recipe_run_damaged",
            RecipeError::Seed { code, .. } | RecipeError::Output { code, .. } => code,
            RecipeError::InvalidOption { .. } => "recipe_invalid_option",
            RecipeError::NotFound { .. } => "recipe_not_found",
            RecipeError::Io { .. } => "recipe_io",
            RecipeError::Store(err) => err.code(),
        }
    }

    /// Structured details: the path of a parse error, every validation problem, the column.
    pub fn details(&self) -> Option<serde_json::Value> {
        use serde_json::json;
        match self {
            RecipeError::Malformed { path, .. } | RecipeError::UnknownColumnType { path, .. } => {
                Some(json!({ "path": path }))
            }
            RecipeError::Invalid(errors) => Some(json!({
                "errors": errors.iter().map(ValidationError::report).collect::<Vec<_>>()
            })),
            RecipeError::Render { column, row, .. }
            | RecipeError::Llm { column, row, .. }
            | RecipeError::InvalidLlmOutput { column, row, .. } => {
                Some(json!({ "column": column, "row": row }))
            }
            RecipeError::NoProvider { column } => Some(json!({ "column": column })),
            RecipeError::ProviderSetup { alias, .. } => Some(json!({ "alias": alias })),
            RecipeError::NotFound { id } => Some(json!({ "id": id })),
            _ => None,
        }
    }
}

impl From<loris_tabular::TabularError> for RecipeError {
    fn from(err: loris_tabular::TabularError) -> Self {
        RecipeError::Output {
            code: err.code(),
            message: err.to_string(),
        }
    }
}
