//! Memory in use, for the progress events.

use crate::model::TrainModel;

/// Resident memory of the process on the CPU; bytes in use on the GPU for a CUDA model.
pub fn in_use(model: &TrainModel) -> Option<u64> {
    #[cfg(feature = "cuda")]
    if let candle_core::Device::Cuda(_) = &model.device {
        return cuda_in_use();
    }
    let _ = model;
    resident_bytes()
}

fn resident_bytes() -> Option<u64> {
    let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
    let pages: u64 = statm.split_whitespace().nth(1)?.parse().ok()?;
    Some(pages * 4096)
}

#[cfg(feature = "cuda")]
fn cuda_in_use() -> Option<u64> {
    let (free, total) = candle_core::cuda_backend::cudarc::driver::result::mem_get_info().ok()?;
    Some((total - free) as u64)
}
