//! Which device and float type a model runs on: `cpu`, `cuda` or `cuda:N`, and the defaults.
//!
//! A build without the `cuda` feature still parses `cuda[:N]`; opening it then fails with
//! candle's "not compiled with cuda support" error, so the message names the missing feature
//! rather than a typo.

use candle_core::DeviceLocation;
pub use candle_core::{DType, Device};

use crate::error::{InferError, Result};

/// Opens the device named `cpu`, `cuda` (GPU 0) or `cuda:N` (N in CUDA_VISIBLE_DEVICES order).
pub fn open_device(spec: &str) -> Result<Device> {
    match parse_spec(spec)? {
        None => Ok(Device::Cpu),
        Some(ordinal) => Ok(Device::new_cuda(ordinal)?),
    }
}

/// `None` for the CPU, `Some(ordinal)` for a GPU.
fn parse_spec(spec: &str) -> Result<Option<usize>> {
    let invalid = || {
        InferError::InvalidRequest(format!(
            "device '{spec}': expected cpu, cuda or cuda:N (N a GPU index)"
        ))
    };
    match spec.trim().to_ascii_lowercase().as_str() {
        "cpu" => Ok(None),
        "cuda" | "gpu" => Ok(Some(0)),
        s => {
            let n = s
                .strip_prefix("cuda:")
                .ok_or_else(invalid)?
                .parse::<usize>()
                .map_err(|_| invalid())?;
            Ok(Some(n))
        }
    }
}

/// GPU 0 when this build has CUDA and a GPU answers, else the CPU.
pub fn default_device() -> Device {
    if candle_core::utils::cuda_is_available()
        && let Ok(device) = Device::new_cuda(0)
    {
        return device;
    }
    Device::Cpu
}

/// `cpu` or `cuda:N`, as [`open_device`] reads it.
pub fn device_name(device: &Device) -> String {
    match device.location() {
        DeviceLocation::Cpu => "cpu".to_owned(),
        DeviceLocation::Cuda { gpu_id } => format!("cuda:{gpu_id}"),
        DeviceLocation::Metal { gpu_id } => format!("metal:{gpu_id}"),
    }
}

/// `f32`, `bf16` or `f16` (also the `torch_dtype` spellings `float32`, `bfloat16`, `float16`).
pub fn parse_dtype(name: &str) -> Result<DType> {
    match name.trim().to_ascii_lowercase().as_str() {
        "f32" | "float32" | "float" => Ok(DType::F32),
        "bf16" | "bfloat16" => Ok(DType::BF16),
        "f16" | "float16" | "half" => Ok(DType::F16),
        other => Err(InferError::InvalidRequest(format!(
            "dtype '{other}': expected f32, bf16 or f16"
        ))),
    }
}

/// The float type to compute a safetensors model in when the caller names none: f32 on the
/// CPU (candle's CPU half-precision kernels are slower than f32, and f32 matches transformers'
/// CPU arithmetic); on a GPU the checkpoint's own `bf16`/`f16` (`checkpoint_dtype`, from
/// config.json), which halves the bytes each decode step reads; f32 when it names neither.
pub fn default_dtype(checkpoint_dtype: Option<&str>, device: &Device) -> DType {
    if device.is_cpu() {
        return DType::F32;
    }
    match checkpoint_dtype.map(parse_dtype) {
        Some(Ok(dtype @ (DType::BF16 | DType::F16))) => dtype,
        _ => DType::F32,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn device_names_parse() {
        assert_eq!(parse_spec("cpu").unwrap(), None);
        assert_eq!(parse_spec("CUDA").unwrap(), Some(0));
        assert_eq!(parse_spec("cuda:3").unwrap(), Some(3));
        for bad in ["cuda:", "cuda:x", "tpu", "cuda:-1", ""] {
            let err = parse_spec(bad).unwrap_err();
            assert_eq!(err.code(), "invalid_request", "{bad}");
        }
        assert!(open_device("cpu").unwrap().is_cpu());
        assert_eq!(device_name(&Device::Cpu), "cpu");
    }

    #[test]
    fn cuda_without_the_feature_is_a_backend_error() {
        if !candle_core::utils::cuda_is_available() {
            let err = open_device("cuda:0").unwrap_err();
            assert_eq!(err.code(), "inference_failed");
        }
    }

    #[test]
    fn dtypes_follow_the_device() {
        assert_eq!(parse_dtype("bfloat16").unwrap(), DType::BF16);
        assert_eq!(parse_dtype("f16").unwrap(), DType::F16);
        assert!(parse_dtype("int8").is_err());
        // The CPU always computes in f32.
        assert_eq!(default_dtype(Some("bfloat16"), &Device::Cpu), DType::F32);
    }
}
