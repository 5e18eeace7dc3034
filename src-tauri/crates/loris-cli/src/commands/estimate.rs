//! `loris estimate`: GPU memory to train or serve a model, term by term, with a verdict for
//! each GPU of this machine (and for `--vram N`, a GPU of N GiB).

use std::path::PathBuf;

use loris_hardware::estimate::{
    self, Device, DeviceFit, Fit, InferenceOptions, Suggestion, TrainingMethod, TrainingOptions,
};

use crate::output::{human_bytes, print_json};

#[derive(clap::Args)]
pub struct EstimateArgs {
    /// A config.json, a model folder (config.json or one .gguf), or a .gguf file.
    #[arg(long)]
    model: PathBuf,

    /// Estimate serving instead of training.
    #[arg(long)]
    infer: bool,

    /// Training: lora, qlora or full.
    #[arg(long, default_value = "lora")]
    method: String,
    /// Training: sequences per step.
    #[arg(long, default_value_t = 2)]
    batch: u64,
    /// Training: tokens per sequence.
    #[arg(long, default_value_t = 2048)]
    seq: u64,
    /// Training: LoRA rank.
    #[arg(long, default_value_t = 16)]
    rank: u64,
    /// Training: LoRA target modules, comma-separated (default q,k,v,o,gate,up,down).
    #[arg(long, value_delimiter = ',')]
    targets: Option<Vec<String>>,
    /// Training: gradient checkpointing on.
    #[arg(long)]
    checkpointing: bool,
    /// Training: adamw or adamw_8bit.
    #[arg(long, default_value = "adamw")]
    optimizer: String,
    /// Training: cross-entropy in chunks instead of all logits at once.
    #[arg(long)]
    chunked_loss: bool,

    /// Inference: tokens of context per sequence.
    #[arg(long, default_value_t = 4096)]
    context: u64,
    /// Inference: sequences served at once.
    #[arg(long, default_value_t = 1)]
    parallel: u64,
    /// Inference from a config.json: bf16, f16, f32 or a ggml type such as q4_k_m, q8_0.
    #[arg(long)]
    weights: Option<String>,
    /// Inference: KV cache type (f16, bf16, f32, q8_0, q4_0).
    #[arg(long, default_value = "f16")]
    kv_cache: String,
    /// Inference: keep the KV cache in system RAM.
    #[arg(long)]
    kv_offload: bool,
    /// Inference: flash attention (no context-sized score matrix).
    #[arg(long)]
    flash_attention: bool,

    /// Also judge the fit on a GPU with this many GiB free.
    #[arg(long)]
    vram: Option<f64>,
}

pub fn run(args: &EstimateArgs, json: bool) -> anyhow::Result<()> {
    let model = estimate::load_model(&args.model)?;
    let report = loris_hardware::detect(None);
    let mut devices: Vec<Device> = report.gpus.iter().map(Device::from_gpu).collect();
    if let Some(gib) = args.vram {
        if !(gib.is_finite() && gib > 0.0 && gib < 1e6) {
            return Err(loris_hardware::HardwareError::InvalidOption {
                field: "vram".into(),
                reason: format!("must be a positive number of GiB, got {gib}"),
            }
            .into());
        }
        devices.push(Device::given((gib * (1u64 << 30) as f64) as u64));
    }

    if args.infer {
        // Serving on the CPU is possible: system RAM is one of the devices.
        devices.push(Device::cpu(&report.memory));
        let options = InferenceOptions {
            context_len: args.context,
            parallel: args.parallel,
            weights: args.weights.clone(),
            kv_cache_type: args.kv_cache.parse()?,
            kv_offload: args.kv_offload,
            flash_attention: args.flash_attention,
        };
        let a = estimate::assess_inference(&model, &options, &devices)?;
        if json {
            return print_json(&a);
        }
        let e = &a.estimate;
        print_model(&e.model);
        println!(
            "inference: {} weights · context {} × {} · KV {:?}{}{}",
            e.weights_format,
            options.context_len,
            options.parallel,
            options.kv_cache_type,
            if options.kv_offload { " in RAM" } else { "" },
            if options.flash_attention {
                " · flash attention"
            } else {
                ""
            },
        );
        let t = &e.terms;
        term("weights", t.weights_bytes);
        term("KV cache", t.kv_cache_bytes);
        term("activations", t.activations_bytes);
        term("logits", t.logits_bytes);
        term("overhead", t.overhead_bytes);
        term("total", e.total_bytes);
        if e.host_bytes > 0 {
            term("on the GPU", e.device_bytes);
            term("in RAM", e.host_bytes);
        }
        print_verdicts(
            &a.devices,
            a.pick.as_deref(),
            &a.suggestions,
            &e.notes,
            &report,
        );
        return Ok(());
    }

    let options = TrainingOptions {
        method: args.method.parse()?,
        batch_size: args.batch,
        seq_len: args.seq,
        lora_rank: args.rank,
        target_modules: match &args.targets {
            Some(names) => names.iter().map(|n| n.parse()).collect::<Result<_, _>>()?,
            None => estimate::TargetModule::ALL.to_vec(),
        },
        gradient_checkpointing: args.checkpointing,
        optimizer: args.optimizer.parse()?,
        chunked_loss: args.chunked_loss,
    };
    let a = estimate::assess_training(&model, &options, &devices)?;
    if json {
        return print_json(&a);
    }
    let e = &a.estimate;
    print_model(&e.model);
    let method = match options.method {
        TrainingMethod::Lora => format!("LoRA r{}", options.lora_rank),
        TrainingMethod::Qlora => format!("QLoRA r{}", options.lora_rank),
        TrainingMethod::Full => "full fine-tune".to_owned(),
    };
    println!(
        "training:  {method} · {} trainable · batch {} × seq {} · checkpointing {} · {} · loss {}",
        count(e.trainable_parameters),
        options.batch_size,
        options.seq_len,
        if options.gradient_checkpointing {
            "on"
        } else {
            "off"
        },
        match options.optimizer {
            estimate::Optimizer::Adamw => "AdamW",
            estimate::Optimizer::Adamw8bit => "8-bit AdamW",
        },
        if options.chunked_loss {
            "chunked"
        } else {
            "unchunked"
        },
    );
    let t = &e.terms;
    term("weights", t.weights_bytes);
    term("LoRA adapters", t.lora_adapter_bytes);
    term("gradients", t.gradients_bytes);
    term("optimizer", t.optimizer_bytes);
    term("activations", t.activations_bytes);
    term("logits/loss", t.logits_bytes);
    term("dequant scratch", t.dequant_scratch_bytes);
    term("overhead", t.overhead_bytes);
    term("total", e.total_bytes);
    print_verdicts(
        &a.devices,
        a.pick.as_deref(),
        &a.suggestions,
        &e.notes,
        &report,
    );
    Ok(())
}

fn print_model(m: &estimate::ModelSummary) {
    println!(
        "model:     {} ({}) · {} parameters · {} layers · hidden {} · {}/{} heads × {} · vocab {}{}",
        m.model_type,
        match m.source {
            estimate::SourceKind::Config => "config.json",
            estimate::SourceKind::Gguf => "GGUF",
        },
        count(m.parameters),
        m.num_layers,
        m.hidden_size,
        m.num_heads,
        m.num_kv_heads,
        m.head_dim,
        m.vocab_size,
        match m.sliding_window {
            Some(w) => format!(" · {} layers slide over {w}", m.sliding_layers),
            None => String::new(),
        }
    );
}

fn term(name: &str, bytes: u64) {
    println!("  {name:<16} {:>12}", human_bytes(bytes));
}

fn print_verdicts(
    fits: &[DeviceFit],
    pick: Option<&str>,
    suggestions: &[Suggestion],
    notes: &[String],
    report: &loris_hardware::HardwareReport,
) {
    if fits.is_empty() {
        println!(
            "devices:   none to judge ({}); pass --vram N for a GPU of N GiB",
            report
                .gpu_unavailable_reason
                .as_deref()
                .unwrap_or("no GPU found")
        );
    }
    for f in fits {
        println!(
            "{:<10} {} · {} · {} of {} available",
            format!("{}:", f.device.id),
            f.device.name,
            verdict(f.fit),
            f.usage_percent
                .map(|p| format!("{p:.0}%"))
                .unwrap_or_else(|| "-".into()),
            human_bytes(f.device.available_bytes)
        );
    }
    if let Some(p) = pick {
        println!("pick:      {p}");
    }
    if !suggestions.is_empty() {
        println!("to make it fit:");
        for s in suggestions {
            println!(
                "  - {} → {} ({})",
                s.description,
                human_bytes(s.required_bytes),
                verdict(s.fit)
            );
        }
    }
    for n in notes {
        println!("note:      {n}");
    }
}

fn verdict(f: Fit) -> &'static str {
    match f {
        Fit::Fits => "fits",
        Fit::Tight => "tight",
        Fit::DoesNotFit => "does not fit",
    }
}

fn count(n: u64) -> String {
    match n {
        n if n >= 1_000_000_000 => format!("{:.2} B", n as f64 / 1e9),
        n if n >= 1_000_000 => format!("{:.1} M", n as f64 / 1e6),
        n => n.to_string(),
    }
}
