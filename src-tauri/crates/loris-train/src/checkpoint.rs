//! Checkpoints: `checkpoint-<step>/` with the trainable tensors, the optimizer's moments and a
//! small JSON state. Written into a temporary folder and renamed, so a process killed while
//! writing leaves either the whole checkpoint or none.

use std::collections::HashMap;
use std::fs;
use std::path::{Path, PathBuf};

use candle_core::{Tensor, Var};
use serde::{Deserialize, Serialize};

use crate::error::{Result, TrainError};
use crate::optim::AdamW;

const STATE_FILE: &str = "trainer_state.json";
const PARAMS_FILE: &str = "trainable.safetensors";
const OPTIMIZER_FILE: &str = "optimizer.safetensors";

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TrainerState {
    pub step: usize,
    /// The settings the run was started with (`TrainConfig::fingerprint`).
    pub config: String,
    pub losses: Vec<f64>,
}

#[derive(Serialize, Deserialize)]
struct StateFile {
    step: usize,
    config: String,
    losses: Vec<f64>,
    optimizer_updates: u64,
}

pub fn save(
    output: &Path,
    state: &TrainerState,
    vars: &[(String, Var)],
    optim: &AdamW,
) -> Result<PathBuf> {
    fs::create_dir_all(output).map_err(|e| TrainError::io("create", output, e))?;
    let final_dir = output.join(format!("checkpoint-{}", state.step));
    let tmp = output.join(format!(".checkpoint-{}.partial", state.step));
    if tmp.exists() {
        fs::remove_dir_all(&tmp).map_err(|e| TrainError::io("remove", &tmp, e))?;
    }
    fs::create_dir_all(&tmp).map_err(|e| TrainError::io("create", &tmp, e))?;
    let params: HashMap<String, Tensor> = vars
        .iter()
        .map(|(n, v)| (n.clone(), v.as_tensor().clone()))
        .collect();
    candle_core::safetensors::save(&params, tmp.join(PARAMS_FILE))?;
    let mut moments = HashMap::new();
    for ((name, _), (m, v)) in vars.iter().zip(&optim.moments) {
        moments.insert(format!("m.{name}"), m.clone());
        moments.insert(format!("v.{name}"), v.clone());
    }
    candle_core::safetensors::save(&moments, tmp.join(OPTIMIZER_FILE))?;
    let file = StateFile {
        step: state.step,
        config: state.config.clone(),
        losses: state.losses.clone(),
        optimizer_updates: optim.t,
    };
    let json = serde_json::to_vec_pretty(&file).map_err(|e| TrainError::BadCheckpoint {
        path: tmp.clone(),
        reason: e.to_string(),
    })?;
    let state_path = tmp.join(STATE_FILE);
    fs::write(&state_path, json).map_err(|e| TrainError::io("write", &state_path, e))?;
    for name in [PARAMS_FILE, OPTIMIZER_FILE, STATE_FILE] {
        let p = tmp.join(name);
        fs::File::open(&p)
            .and_then(|f| f.sync_all())
            .map_err(|e| TrainError::io("sync", &p, e))?;
    }
    if final_dir.exists() {
        fs::remove_dir_all(&final_dir).map_err(|e| TrainError::io("replace", &final_dir, e))?;
    }
    fs::rename(&tmp, &final_dir).map_err(|e| TrainError::io("rename", &tmp, e))?;
    Ok(final_dir)
}

/// Restores parameters and moments in place; returns the state.
pub fn load(dir: &Path, vars: &[(String, Var)], optim: &mut AdamW) -> Result<TrainerState> {
    let bad = |reason: String| TrainError::BadCheckpoint {
        path: dir.to_owned(),
        reason,
    };
    let state_path = dir.join(STATE_FILE);
    let text = fs::read(&state_path).map_err(|e| TrainError::io("read", &state_path, e))?;
    let file: StateFile =
        serde_json::from_slice(&text).map_err(|e| bad(format!("{STATE_FILE}: {e}")))?;
    let device = vars
        .first()
        .map(|(_, v)| v.device().clone())
        .unwrap_or(candle_core::Device::Cpu);
    let params = candle_core::safetensors::load(dir.join(PARAMS_FILE), &device)
        .map_err(|e| bad(format!("{PARAMS_FILE}: {e}")))?;
    let moments = candle_core::safetensors::load(dir.join(OPTIMIZER_FILE), &device)
        .map_err(|e| bad(format!("{OPTIMIZER_FILE}: {e}")))?;
    let fetch = |map: &HashMap<String, Tensor>, key: &str, like: &Var| -> Result<Tensor> {
        let t = map
            .get(key)
            .ok_or_else(|| bad(format!("{key} is missing")))?;
        if t.shape() != like.shape() {
            return Err(bad(format!(
                "{key} has shape {:?}, the model expects {:?}",
                t.dims(),
                like.dims()
            )));
        }
        Ok(t.clone())
    };
    for ((name, var), (m, v)) in vars.iter().zip(optim.moments.iter_mut()) {
        var.set(&fetch(&params, name, var)?.to_dtype(var.dtype())?)?;
        *m = fetch(&moments, &format!("m.{name}"), var)?;
        *v = fetch(&moments, &format!("v.{name}"), var)?;
    }
    optim.t = file.optimizer_updates;
    Ok(TrainerState {
        step: file.step,
        config: file.config,
        losses: file.losses,
    })
}
