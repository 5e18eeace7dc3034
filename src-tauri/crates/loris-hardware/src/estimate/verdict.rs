//! Fits / tight / does not fit on each device, which device to use, and the changes that would
//! make a run fit.

use serde::{Deserialize, Serialize};

use super::Model;
use super::constants::{FITS_MAX_SHARE, MIN_SUGGESTED_CONTEXT, MIN_SUGGESTED_SEQ};
use super::inference::{InferenceEstimate, InferenceOptions, KvCacheType, estimate_inference};
use super::training::{
    Optimizer, TrainingEstimate, TrainingMethod, TrainingOptions, estimate_training,
};
use crate::error::Result;
use crate::nvidia::Gpu;
use crate::system::MemoryInfo;

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, specta::Type,
)]
#[serde(rename_all = "snake_case")]
pub enum Fit {
    /// At most 90% of the available memory.
    Fits,
    /// Between 90% and 100%: the estimate's error or another process can tip it over.
    Tight,
    DoesNotFit,
}

/// Where the estimate is compared: `required ≤ 90%` fits, `≤ 100%` tight, else does not fit.
pub fn fit(required_bytes: u64, available_bytes: u64) -> Fit {
    let (req, avail) = (required_bytes as f64, available_bytes as f64);
    if req <= avail * FITS_MAX_SHARE {
        Fit::Fits
    } else if req <= avail {
        Fit::Tight
    } else {
        Fit::DoesNotFit
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum DeviceKind {
    Gpu,
    Cpu,
}

/// Memory a run can use on one device.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct Device {
    /// `cuda:0`, `cpu`, or `given` for a size typed by the user.
    pub id: String,
    pub name: String,
    pub kind: DeviceKind,
    #[specta(type = specta_typescript::Number)]
    pub total_bytes: u64,
    /// What a new run can take now (free VRAM, available RAM).
    #[specta(type = specta_typescript::Number)]
    pub available_bytes: u64,
}

impl Device {
    pub fn from_gpu(gpu: &Gpu) -> Self {
        Device {
            id: format!("cuda:{}", gpu.cuda_index),
            name: gpu.name.clone(),
            kind: DeviceKind::Gpu,
            total_bytes: gpu.memory_total_bytes,
            available_bytes: gpu.memory_free_bytes,
        }
    }

    pub fn cpu(memory: &MemoryInfo) -> Self {
        Device {
            id: "cpu".to_owned(),
            name: "CPU (system RAM)".to_owned(),
            kind: DeviceKind::Cpu,
            total_bytes: memory.total_bytes,
            available_bytes: memory.available_bytes,
        }
    }

    /// A GPU of a size the user names (`loris estimate --vram 24`).
    pub fn given(bytes: u64) -> Self {
        Device {
            id: "given".to_owned(),
            name: format!("{:.0} GiB GPU (given)", bytes as f64 / (1u64 << 30) as f64),
            kind: DeviceKind::Gpu,
            total_bytes: bytes,
            available_bytes: bytes,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct DeviceFit {
    pub device: Device,
    pub fit: Fit,
    #[specta(type = specta_typescript::Number)]
    pub required_bytes: u64,
    /// `required / available` in percent, one decimal; `None` when nothing is available.
    pub usage_percent: Option<f64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum SuggestionKind {
    UseQlora,
    UseLora,
    GradientCheckpointing,
    Adamw8bit,
    ChunkedLoss,
    SmallerBatch,
    ShorterSequence,
    KvCacheOffload,
    KvCacheQ8,
    FlashAttention,
    ShorterContext,
    QuantizedWeights,
    /// No single change is enough; these together are.
    Combined,
}

/// A change to the settings and what the run would need with it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct Suggestion {
    pub kind: SuggestionKind,
    pub description: String,
    /// The new batch, sequence length or context, for the size suggestions.
    #[specta(type = Option<specta_typescript::Number>)]
    pub value: Option<u64>,
    #[specta(type = specta_typescript::Number)]
    pub required_bytes: u64,
    pub fit: Fit,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct TrainingAssessment {
    pub estimate: TrainingEstimate,
    pub devices: Vec<DeviceFit>,
    /// The device to use: the fitting GPU with the most free memory (else the best "tight").
    pub pick: Option<String>,
    /// The verdict on the picked device, or on the largest one when nothing fits.
    pub fit: Option<Fit>,
    /// Settings that would make it fit the largest device, when it does not fit comfortably.
    pub suggestions: Vec<Suggestion>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct InferenceAssessment {
    pub estimate: InferenceEstimate,
    pub devices: Vec<DeviceFit>,
    pub pick: Option<String>,
    pub fit: Option<Fit>,
    pub suggestions: Vec<Suggestion>,
}

fn device_fits(devices: &[Device], required: u64) -> Vec<DeviceFit> {
    devices
        .iter()
        .map(|d| DeviceFit {
            device: d.clone(),
            fit: fit(required, d.available_bytes),
            required_bytes: required,
            usage_percent: (d.available_bytes > 0)
                .then(|| (required as f64 / d.available_bytes as f64 * 1000.0).round() / 10.0),
        })
        .collect()
}

/// GPUs before the CPU; among those, best verdict first, then the most free memory.
pub fn pick_device(fits: &[DeviceFit]) -> Option<&DeviceFit> {
    fits.iter()
        .filter(|f| f.fit != Fit::DoesNotFit)
        .min_by_key(|f| {
            (
                f.device.kind == DeviceKind::Cpu,
                f.fit,
                std::cmp::Reverse(f.device.available_bytes),
            )
        })
}

/// The device suggestions aim at: the pick, else the GPU (or CPU) with the most memory.
fn target(fits: &[DeviceFit]) -> Option<&DeviceFit> {
    pick_device(fits).or_else(|| {
        fits.iter().min_by_key(|f| {
            (
                f.device.kind == DeviceKind::Cpu,
                std::cmp::Reverse(f.device.available_bytes),
            )
        })
    })
}

pub fn assess_training(
    model: &Model,
    options: &TrainingOptions,
    devices: &[Device],
) -> Result<TrainingAssessment> {
    let estimate = estimate_training(model, options)?;
    let fits = device_fits(devices, estimate.total_bytes);
    let pick = pick_device(&fits).map(|f| f.device.id.clone());
    let target = target(&fits).cloned();
    let suggestions = match &target {
        Some(t) if t.fit != Fit::Fits => {
            training_suggestions(model, options, t.device.available_bytes)?
        }
        _ => Vec::new(),
    };
    Ok(TrainingAssessment {
        estimate,
        devices: fits,
        pick,
        fit: target.map(|t| t.fit),
        suggestions,
    })
}

pub fn assess_inference(
    model: &Model,
    options: &InferenceOptions,
    devices: &[Device],
) -> Result<InferenceAssessment> {
    let estimate = estimate_inference(model, options)?;
    let fits = device_fits(devices, estimate.device_bytes);
    let pick = pick_device(&fits).map(|f| f.device.id.clone());
    let target = target(&fits).cloned();
    let suggestions = match &target {
        Some(t) if t.fit != Fit::Fits => {
            inference_suggestions(model, options, t.device.available_bytes)?
        }
        _ => Vec::new(),
    };
    Ok(InferenceAssessment {
        estimate,
        devices: fits,
        pick,
        fit: target.map(|t| t.fit),
        suggestions,
    })
}

type Change<O> = (SuggestionKind, String, Option<u64>, O);

/// Single changes that fit or are tight; when none does, the first combination that does.
fn pick_changes<O: Clone + PartialEq>(
    changes: Vec<Change<O>>,
    available: u64,
    required: impl Fn(&O) -> Result<u64>,
    combine: impl Fn(&O, &O) -> O,
    start: &O,
) -> Result<Vec<Suggestion>> {
    let mut out = Vec::new();
    for (kind, description, value, opts) in &changes {
        let req = required(opts)?;
        let f = fit(req, available);
        if f != Fit::DoesNotFit {
            out.push(Suggestion {
                kind: *kind,
                description: description.clone(),
                value: *value,
                required_bytes: req,
                fit: f,
            });
        }
    }
    if out.is_empty() {
        // Apply the changes one after another until the run fits.
        let mut acc = start.clone();
        let mut steps = Vec::new();
        for (_, description, _, opts) in &changes {
            let next = combine(&acc, opts);
            // A change the earlier ones already cover (LoRA after QLoRA) is not a step.
            if next == acc {
                continue;
            }
            acc = next;
            steps.push(description.as_str());
            let req = required(&acc)?;
            let f = fit(req, available);
            if f != Fit::DoesNotFit {
                out.push(Suggestion {
                    kind: SuggestionKind::Combined,
                    description: steps.join("; "),
                    value: None,
                    required_bytes: req,
                    fit: f,
                });
                break;
            }
        }
    }
    Ok(out)
}

fn training_suggestions(
    model: &Model,
    options: &TrainingOptions,
    available: u64,
) -> Result<Vec<Suggestion>> {
    let mut changes: Vec<Change<TrainingOptions>> = Vec::new();
    let with = |f: &dyn Fn(&mut TrainingOptions)| {
        let mut o = options.clone();
        f(&mut o);
        o
    };
    if options.method != TrainingMethod::Qlora {
        changes.push((
            SuggestionKind::UseQlora,
            "use QLoRA (4-bit base weights) instead".into(),
            None,
            with(&|o| o.method = TrainingMethod::Qlora),
        ));
    }
    if options.method == TrainingMethod::Full {
        changes.push((
            SuggestionKind::UseLora,
            "use LoRA instead of full fine-tuning".into(),
            None,
            with(&|o| o.method = TrainingMethod::Lora),
        ));
    }
    if !options.gradient_checkpointing {
        changes.push((
            SuggestionKind::GradientCheckpointing,
            "turn gradient checkpointing on".into(),
            None,
            with(&|o| o.gradient_checkpointing = true),
        ));
    }
    if !options.chunked_loss {
        changes.push((
            SuggestionKind::ChunkedLoss,
            "compute the loss in chunks".into(),
            None,
            with(&|o| o.chunked_loss = true),
        ));
    }
    if options.optimizer == Optimizer::Adamw {
        changes.push((
            SuggestionKind::Adamw8bit,
            "use 8-bit AdamW".into(),
            None,
            with(&|o| o.optimizer = Optimizer::Adamw8bit),
        ));
    }
    let required = |o: &TrainingOptions| estimate_training(model, o).map(|e| e.total_bytes);
    // The largest halved batch, then sequence length, that fits (with the other settings as
    // they are). Both are also the last steps of a combination.
    if let Some(b) = largest_fitting(options.batch_size, 1, available, |b| {
        required(&with(&|o| o.batch_size = b))
    })? {
        changes.push((
            SuggestionKind::SmallerBatch,
            format!("batch size {b} (raise gradient accumulation to keep the effective batch)"),
            Some(b),
            with(&|o| o.batch_size = b),
        ));
    } else if options.batch_size > 1 {
        changes.push((
            SuggestionKind::SmallerBatch,
            "batch size 1".into(),
            Some(1),
            with(&|o| o.batch_size = 1),
        ));
    }
    if let Some(s) = largest_fitting(options.seq_len, MIN_SUGGESTED_SEQ, available, |s| {
        required(&with(&|o| o.seq_len = s))
    })? {
        changes.push((
            SuggestionKind::ShorterSequence,
            format!("sequence length {s}"),
            Some(s),
            with(&|o| o.seq_len = s),
        ));
    } else if options.seq_len > MIN_SUGGESTED_SEQ {
        changes.push((
            SuggestionKind::ShorterSequence,
            format!("sequence length {MIN_SUGGESTED_SEQ}"),
            Some(MIN_SUGGESTED_SEQ),
            with(&|o| o.seq_len = MIN_SUGGESTED_SEQ),
        ));
    }
    pick_changes(
        changes,
        available,
        required,
        |acc, next| merge_training(acc, next, options),
        options,
    )
}

/// Takes every setting `next` changed from `base` onto `acc`.
fn merge_training(
    acc: &TrainingOptions,
    next: &TrainingOptions,
    base: &TrainingOptions,
) -> TrainingOptions {
    let mut out = acc.clone();
    if next.method != base.method {
        // QLoRA is the smaller of the two method changes: keep it if already chosen.
        if out.method != TrainingMethod::Qlora {
            out.method = next.method;
        }
    }
    if next.gradient_checkpointing != base.gradient_checkpointing {
        out.gradient_checkpointing = next.gradient_checkpointing;
    }
    if next.chunked_loss != base.chunked_loss {
        out.chunked_loss = next.chunked_loss;
    }
    if next.optimizer != base.optimizer {
        out.optimizer = next.optimizer;
    }
    if next.batch_size != base.batch_size {
        out.batch_size = next.batch_size;
    }
    if next.seq_len != base.seq_len {
        out.seq_len = next.seq_len;
    }
    out
}

fn inference_suggestions(
    model: &Model,
    options: &InferenceOptions,
    available: u64,
) -> Result<Vec<Suggestion>> {
    let mut changes: Vec<Change<InferenceOptions>> = Vec::new();
    let with = |f: &dyn Fn(&mut InferenceOptions)| {
        let mut o = options.clone();
        f(&mut o);
        o
    };
    if !options.flash_attention {
        changes.push((
            SuggestionKind::FlashAttention,
            "use flash attention (no context-sized score matrix)".into(),
            None,
            with(&|o| o.flash_attention = true),
        ));
    }
    if matches!(
        options.kv_cache_type,
        KvCacheType::F32 | KvCacheType::F16 | KvCacheType::Bf16
    ) {
        changes.push((
            SuggestionKind::KvCacheQ8,
            "store the KV cache as q8_0".into(),
            None,
            with(&|o| o.kv_cache_type = KvCacheType::Q8_0),
        ));
    }
    if matches!(model.kind, super::ModelKind::Config { .. }) && options.weights.is_none() {
        changes.push((
            SuggestionKind::QuantizedWeights,
            "run a Q4_K_M quantization (GGUF) of the model".into(),
            None,
            with(&|o| o.weights = Some("q4_k_m".into())),
        ));
    }
    if !options.kv_offload {
        changes.push((
            SuggestionKind::KvCacheOffload,
            "keep the KV cache in system RAM (slower generation)".into(),
            None,
            with(&|o| o.kv_offload = true),
        ));
    }
    let required = |o: &InferenceOptions| estimate_inference(model, o).map(|e| e.device_bytes);
    if let Some(c) = largest_fitting(options.context_len, MIN_SUGGESTED_CONTEXT, available, |c| {
        required(&with(&|o| o.context_len = c))
    })? {
        changes.push((
            SuggestionKind::ShorterContext,
            format!("context of {c} tokens"),
            Some(c),
            with(&|o| o.context_len = c),
        ));
    } else if options.context_len > MIN_SUGGESTED_CONTEXT {
        changes.push((
            SuggestionKind::ShorterContext,
            format!("context of {MIN_SUGGESTED_CONTEXT} tokens"),
            Some(MIN_SUGGESTED_CONTEXT),
            with(&|o| o.context_len = MIN_SUGGESTED_CONTEXT),
        ));
    }
    pick_changes(
        changes,
        available,
        required,
        |acc, next| {
            let mut out = acc.clone();
            if next.flash_attention != options.flash_attention {
                out.flash_attention = next.flash_attention;
            }
            if next.kv_cache_type != options.kv_cache_type {
                out.kv_cache_type = next.kv_cache_type;
            }
            if next.weights != options.weights {
                out.weights = next.weights.clone();
            }
            if next.kv_offload != options.kv_offload {
                out.kv_offload = next.kv_offload;
            }
            if next.context_len != options.context_len {
                out.context_len = next.context_len;
            }
            out
        },
        options,
    )
}

/// Halves `start` (not below `floor`) until `required(v)` fits or is tight; `None` when even
/// the floor does not, or when `start` itself already does.
fn largest_fitting(
    start: u64,
    floor: u64,
    available: u64,
    required: impl Fn(u64) -> Result<u64>,
) -> Result<Option<u64>> {
    let mut v = start / 2;
    while v >= floor.max(1) {
        if fit(required(v)?, available) != Fit::DoesNotFit {
            return Ok(Some(v));
        }
        v /= 2;
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bands_are_ninety_and_a_hundred_percent() {
        assert_eq!(fit(90, 100), Fit::Fits);
        assert_eq!(fit(91, 100), Fit::Tight);
        assert_eq!(fit(100, 100), Fit::Tight);
        assert_eq!(fit(101, 100), Fit::DoesNotFit);
        assert_eq!(fit(1, 0), Fit::DoesNotFit);
    }

    fn dev(id: &str, kind: DeviceKind, gib: u64) -> Device {
        Device {
            id: id.into(),
            name: id.into(),
            kind,
            total_bytes: gib << 30,
            available_bytes: gib << 30,
        }
    }

    #[test]
    fn the_pick_prefers_a_gpu_that_fits_then_the_most_free_memory() {
        let devices = [
            dev("cuda:0", DeviceKind::Gpu, 8),
            dev("cuda:1", DeviceKind::Gpu, 24),
            dev("cuda:2", DeviceKind::Gpu, 16),
            dev("cpu", DeviceKind::Cpu, 64),
        ];
        let fits = device_fits(&devices, 10 << 30);
        assert_eq!(pick_device(&fits).unwrap().device.id, "cuda:1");
        // 23 GiB is 96% of the 24 GiB GPU: tight, and still the best choice.
        let tight = device_fits(&devices, 23 << 30);
        let pick = pick_device(&tight).unwrap();
        assert_eq!((pick.device.id.as_str(), pick.fit), ("cuda:1", Fit::Tight));
        // Only the CPU has room: it is picked, flagged as the CPU.
        let big = device_fits(&devices, 40 << 30);
        assert_eq!(pick_device(&big).unwrap().device.id, "cpu");
        assert!(pick_device(&device_fits(&devices, 100 << 30)).is_none());
    }

    #[test]
    fn halving_stops_at_the_floor() {
        let req = |v: u64| Ok(v * 10);
        assert_eq!(largest_fitting(64, 1, 100, req).unwrap(), Some(8));
        assert_eq!(largest_fitting(64, 16, 100, req).unwrap(), None);
    }
}
