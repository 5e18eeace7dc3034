//! How results and errors reach the terminal.

use loris_core::ApiError;

/// Prints a value as pretty JSON on stdout.
pub fn print_json<T: serde::Serialize>(value: &T) -> anyhow::Result<()> {
    println!("{}", serde_json::to_string_pretty(value)?);
    Ok(())
}

/// Errors from the service layer keep their stable code; with `--json` they print as
/// `{"error": {code, message, details}}` on stdout so scripts can parse one stream.
pub fn print_error(err: &anyhow::Error, json: bool) {
    let api = if let Some(core) = err.downcast_ref::<loris_core::Error>() {
        ApiError::from(core)
    } else if let Some(auth) = err.downcast_ref::<loris_auth::Error>() {
        ApiError::from(auth)
    } else if let Some(infer) = err.downcast_ref::<loris_infer::InferError>() {
        ApiError::new(infer.code(), infer.to_string())
    } else if let Some(model) = err.downcast_ref::<loris_models::ModelError>() {
        ApiError::new(model.code(), model.to_string())
    } else if let Some(train) = err.downcast_ref::<loris_train::TrainError>() {
        ApiError::new(train.code(), train.to_string())
    } else if let Some(data) = err.downcast_ref::<loris_datasets::DatasetError>() {
        ApiError::new(data.code(), data.to_string())
    } else if let Some(recipe) = err.downcast_ref::<loris_recipes::RecipeError>() {
        ApiError {
            details: recipe.details(),
            ..ApiError::new(recipe.code(), recipe.to_string())
        }
    } else if let Some(hw) = err.downcast_ref::<loris_hardware::HardwareError>() {
        ApiError {
            details: hw.details(),
            ..ApiError::new(hw.code(), hw.to_string())
        }
    } else {
        ApiError::new("cli", format!("{err:#}"))
    };
    if json {
        println!("{}", serde_json::json!({ "error": api }));
    } else {
        eprintln!("error [{}]: {}", api.code, api.message);
    }
}

pub fn human_bytes(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} B")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn human_bytes_picks_a_unit() {
        assert_eq!(super::human_bytes(512), "512 B");
        assert_eq!(super::human_bytes(24 * 1024 * 1024 * 1024), "24.0 GiB");
    }
}
