//! One trainable decoder for every family the inference engine runs (see `spec`): embeddings,
//! blocks of attention and gated MLP with the family's norms, and the LM head. Weights keep
//! their Hugging Face names, so LoRA pairs and full-model parameters are named as PEFT and
//! transformers name them.

use std::collections::HashMap;
use std::sync::Arc;

use candle_core::{DType, Device, Tensor, Var};

use crate::batch::Batch;
use crate::error::{Result, TrainError};
use crate::lora::{DropoutSeed, Linear, LoraConfig, Param};
use crate::ops::TrainOps;
use crate::spec::ArchSpec;
use crate::weights::BaseModel;

/// What training updates.
#[derive(Debug, Clone, PartialEq)]
pub enum Method {
    Lora(LoraConfig),
    /// Every weight (norms and embeddings too).
    Full,
}

struct Attention {
    /// q, k, v, or one fused `qkv_proj` (Phi-3).
    qkv: Qkv,
    o: Linear,
    q_norm: Option<Param>,
    k_norm: Option<Param>,
}

enum Qkv {
    Split { q: Linear, k: Linear, v: Linear },
    Fused(Linear),
}

enum Mlp {
    Split {
        gate: Linear,
        up: Linear,
        down: Linear,
    },
    Fused {
        gate_up: Linear,
        down: Linear,
    },
}

pub struct Block {
    index: usize,
    input_norm: Param,
    attn: Attention,
    /// Gemma: norm of the attention output.
    post_attn_norm: Option<Param>,
    /// Llama: `post_attention_layernorm`; Gemma: `pre_feedforward_layernorm`.
    pre_mlp_norm: Param,
    mlp: Mlp,
    /// Gemma: norm of the MLP output.
    post_mlp_norm: Option<Param>,
}

pub struct TrainModel {
    pub spec: ArchSpec,
    embed: Param,
    blocks: Vec<Block>,
    norm: Param,
    /// `None`: tied to the embeddings.
    lm_head: Option<Linear>,
    ops: Arc<dyn TrainOps>,
    /// Activations' type: f32 on the CPU, bf16 on a GPU.
    pub dtype: DType,
    pub device: Device,
}

/// Per-step inputs every block needs.
pub struct StepContext {
    pub cos: Tensor,
    pub sin: Tensor,
    pub local: Option<(Tensor, Tensor)>,
    pub full_mask: Tensor,
    pub window_masks: HashMap<usize, Tensor>,
    pub dropout: DropoutSeed,
}

impl TrainModel {
    pub fn new(
        base: BaseModel,
        method: &Method,
        seed: u64,
        ops: Arc<dyn TrainOps>,
        dtype: DType,
    ) -> Result<Self> {
        let BaseModel { spec, mut tensors } = base;
        let full = *method == Method::Full;
        let device = tensors
            .values()
            .next()
            .map(|t| t.device().clone())
            .ok_or_else(|| TrainError::UnsupportedModel("the model has no tensors".into()))?;
        let mut take = |name: &str| -> Result<Tensor> {
            tensors
                .remove(name)
                .ok_or_else(|| TrainError::UnsupportedModel(format!("tensor {name} is missing")))
        };
        let mut param = |name: &str| -> Result<Param> { Param::new(take(name)?, full) };
        let embed = param("model.embed_tokens.weight")?;
        let norm = param("model.norm.weight")?;
        let lm_head = if spec.tied_embeddings {
            None
        } else {
            Some(Linear {
                name: "lm_head".into(),
                weight: param("lm_head.weight")?,
                bias: None,
                lora: None,
            })
        };
        let mut blocks = Vec::with_capacity(spec.layers);
        for i in 0..spec.layers {
            let p = |s: &str| format!("model.layers.{i}.{s}");
            let mut linear = |module: &str, bias: bool| -> Result<Linear> {
                let name = p(module);
                Ok(Linear {
                    weight: param(&format!("{name}.weight"))?,
                    bias: if bias {
                        Some(param(&format!("{name}.bias"))?)
                    } else {
                        None
                    },
                    lora: None,
                    name,
                })
            };
            let qkv = if spec.fused_projections {
                Qkv::Fused(linear("self_attn.qkv_proj", false)?)
            } else {
                Qkv::Split {
                    q: linear("self_attn.q_proj", spec.qkv_bias)?,
                    k: linear("self_attn.k_proj", spec.qkv_bias)?,
                    v: linear("self_attn.v_proj", spec.qkv_bias)?,
                }
            };
            let o = linear("self_attn.o_proj", false)?;
            let mlp = if spec.fused_projections {
                Mlp::Fused {
                    gate_up: linear("mlp.gate_up_proj", false)?,
                    down: linear("mlp.down_proj", false)?,
                }
            } else {
                Mlp::Split {
                    gate: linear("mlp.gate_proj", false)?,
                    up: linear("mlp.up_proj", false)?,
                    down: linear("mlp.down_proj", false)?,
                }
            };
            let (q_norm, k_norm) = if spec.qk_norm {
                (
                    Some(param(&p("self_attn.q_norm.weight"))?),
                    Some(param(&p("self_attn.k_norm.weight"))?),
                )
            } else {
                (None, None)
            };
            let (pre_mlp, post_attn, post_mlp) = if spec.sandwich_norms {
                (
                    param(&p("pre_feedforward_layernorm.weight"))?,
                    Some(param(&p("post_attention_layernorm.weight"))?),
                    Some(param(&p("post_feedforward_layernorm.weight"))?),
                )
            } else {
                (param(&p("post_attention_layernorm.weight"))?, None, None)
            };
            blocks.push(Block {
                index: i,
                input_norm: param(&p("input_layernorm.weight"))?,
                attn: Attention {
                    qkv,
                    o,
                    q_norm,
                    k_norm,
                },
                post_attn_norm: post_attn,
                pre_mlp_norm: pre_mlp,
                mlp,
                post_mlp_norm: post_mlp,
            });
        }
        let mut model = TrainModel {
            spec,
            embed,
            blocks,
            norm,
            lm_head,
            ops,
            dtype,
            device,
        };
        if let Method::Lora(config) = method {
            config.validate()?;
            let known = model.spec.linear_modules();
            let targets = model.spec.resolve_targets(&config.targets);
            for t in &targets {
                if !known.contains(&t.as_str()) {
                    return Err(TrainError::InvalidConfig(format!(
                        "LoRA target '{t}' is not a module of this model (it has {})",
                        known.join(", ")
                    )));
                }
            }
            let device = model.device.clone();
            let master = crate::lora::master_dtype(dtype);
            for linear in model.linears_mut() {
                let short = linear.name.rsplit('.').next().unwrap_or_default();
                if targets.iter().any(|t| t == short) {
                    linear.add_lora(config, seed, &device, master)?;
                }
            }
        }
        Ok(model)
    }

    fn linears_mut(&mut self) -> Vec<&mut Linear> {
        let mut out = Vec::new();
        for b in &mut self.blocks {
            match &mut b.attn.qkv {
                Qkv::Split { q, k, v } => out.extend([q, k, v]),
                Qkv::Fused(l) => out.push(l),
            }
            out.push(&mut b.attn.o);
            match &mut b.mlp {
                Mlp::Split { gate, up, down } => out.extend([gate, up, down]),
                Mlp::Fused { gate_up, down } => out.extend([gate_up, down]),
            }
        }
        out
    }

    pub fn linears(&self) -> Vec<&Linear> {
        let mut out = Vec::new();
        for b in &self.blocks {
            match &b.attn.qkv {
                Qkv::Split { q, k, v } => out.extend([q, k, v]),
                Qkv::Fused(l) => out.push(l),
            }
            out.push(&b.attn.o);
            match &b.mlp {
                Mlp::Split { gate, up, down } => out.extend([gate, up, down]),
                Mlp::Fused { gate_up, down } => out.extend([gate_up, down]),
            }
        }
        out
    }

    /// Every trainable tensor by name, in a fixed order: LoRA pairs as
    /// `<module>.lora_A.weight` / `lora_B.weight`, full fine-tuning by the checkpoint's names.
    pub fn trainable(&self) -> Vec<(String, Var)> {
        let mut out = Vec::new();
        fn add(out: &mut Vec<(String, Var)>, name: String, p: &Param) {
            if let Some(v) = p.var() {
                out.push((name, v.clone()));
            }
        }
        let mut push = |name: String, p: &Param| add(&mut out, name, p);
        push("model.embed_tokens.weight".into(), &self.embed);
        for b in &self.blocks {
            let p = |s: &str| format!("model.layers.{}.{s}", b.index);
            push(p("input_layernorm.weight"), &b.input_norm);
            if let Some(n) = &b.attn.q_norm {
                push(p("self_attn.q_norm.weight"), n);
            }
            if let Some(n) = &b.attn.k_norm {
                push(p("self_attn.k_norm.weight"), n);
            }
            if let Some(n) = &b.post_attn_norm {
                push(p("post_attention_layernorm.weight"), n);
            }
            let pre = if self.spec.sandwich_norms {
                "pre_feedforward_layernorm.weight"
            } else {
                "post_attention_layernorm.weight"
            };
            push(p(pre), &b.pre_mlp_norm);
            if let Some(n) = &b.post_mlp_norm {
                push(p("post_feedforward_layernorm.weight"), n);
            }
        }
        push("model.norm.weight".into(), &self.norm);
        let mut linears: Vec<&Linear> = self.linears();
        if let Some(head) = &self.lm_head {
            linears.push(head);
        }
        for l in linears {
            add(&mut out, format!("{}.weight", l.name), &l.weight);
            if let Some(b) = &l.bias {
                add(&mut out, format!("{}.bias", l.name), b);
            }
            if let Some(lora) = &l.lora {
                out.push((format!("{}.lora_A.weight", l.name), lora.a.clone()));
                out.push((format!("{}.lora_B.weight", l.name), lora.b.clone()));
            }
        }
        out
    }

    pub fn blocks(&self) -> usize {
        self.blocks.len()
    }

    /// Token embeddings (scaled for Gemma), `[batch, seq, hidden]`.
    pub fn embed(&self, batch: &Batch) -> Result<Tensor> {
        let w = self.embed.get(self.dtype)?;
        let (b, t) = batch.input_ids.dims2()?;
        let x = w
            .index_select(&batch.input_ids.flatten_all()?, 0)?
            .reshape((b, t, self.spec.hidden))?;
        Ok(match self.spec.embed_scale {
            Some(s) => (x * s)?,
            None => x,
        })
    }

    fn norm_weight(&self, p: &Param) -> Result<Tensor> {
        let w = p.get(self.dtype)?;
        Ok(if self.spec.norm_plus_one {
            (w + 1.0)?
        } else {
            w
        })
    }

    /// One decoder block.
    pub fn block(&self, i: usize, x: &Tensor, ctx: &StepContext) -> Result<Tensor> {
        let spec = &self.spec;
        let block = &self.blocks[i];
        let ops = &*self.ops;
        let (b, t, _) = x.dims3()?;
        let profile = i == 1 && crate::step::phases_enabled().1;
        let mut phase = crate::step::phase_timer(&self.device, profile);
        phase("start");
        let h = ops.rms_norm(x, &self.norm_weight(&block.input_norm)?, spec.eps)?;
        phase("norm");
        let (q, k, v) = match &block.attn.qkv {
            Qkv::Split { q, k, v } => (
                q.forward(&h, ctx.dropout)?,
                k.forward(&h, ctx.dropout)?,
                v.forward(&h, ctx.dropout)?,
            ),
            Qkv::Fused(l) => {
                let qkv = l.forward(&h, ctx.dropout)?;
                let qd = spec.heads * spec.head_dim;
                let kd = spec.kv_heads * spec.head_dim;
                (
                    qkv.narrow(2, 0, qd)?,
                    qkv.narrow(2, qd, kd)?,
                    qkv.narrow(2, qd + kd, kd)?,
                )
            }
        };
        let heads = |x: Tensor, n: usize| -> Result<Tensor> {
            Ok(x.reshape((b, t, n, spec.head_dim))?.transpose(1, 2)?)
        };
        phase("qkv");
        let mut q = heads(q, spec.heads)?;
        let mut k = heads(k, spec.kv_heads)?;
        let v = heads(v, spec.kv_heads)?;
        if let (Some(qn), Some(kn)) = (&block.attn.q_norm, &block.attn.k_norm) {
            q = ops.rms_norm(&q, &self.norm_weight(qn)?, spec.eps)?;
            k = ops.rms_norm(&k, &self.norm_weight(kn)?, spec.eps)?;
        }
        let window = spec.windows[i];
        let (cos, sin) = match (window, &ctx.local) {
            (Some(_), Some((c, s))) => (c, s),
            _ => (&ctx.cos, &ctx.sin),
        };
        let q = self.rotate(&q, cos, sin)?;
        let k = self.rotate(&k, cos, sin)?;
        let mask = match window {
            Some(w) => ctx.window_masks.get(&w).unwrap_or(&ctx.full_mask),
            None => &ctx.full_mask,
        };
        phase("rope");
        let a = ops.attention(&q, &k, &v, mask, spec.attn_scale, spec.attn_softcap)?;
        phase("attention");
        let a = a
            .transpose(1, 2)?
            .reshape((b, t, spec.heads * spec.head_dim))?;
        let mut a = block.attn.o.forward(&a, ctx.dropout)?;
        if let Some(n) = &block.post_attn_norm {
            a = ops.rms_norm(&a, &self.norm_weight(n)?, spec.eps)?;
        }
        let x = (x + a)?;
        phase("o+res");
        let h = ops.rms_norm(&x, &self.norm_weight(&block.pre_mlp_norm)?, spec.eps)?;
        let mut m = match &block.mlp {
            Mlp::Split { gate, up, down } => {
                let g = gate.forward(&h, ctx.dropout)?;
                let u = up.forward(&h, ctx.dropout)?;
                down.forward(&ops.gated(&g, &u, spec.activation)?, ctx.dropout)?
            }
            Mlp::Fused { gate_up, down } => {
                let gu = gate_up.forward(&h, ctx.dropout)?;
                let half = gu.dim(2)? / 2;
                let g = gu.narrow(2, 0, half)?;
                let u = gu.narrow(2, half, half)?;
                down.forward(&ops.gated(&g, &u, spec.activation)?, ctx.dropout)?
            }
        };
        if let Some(n) = &block.post_mlp_norm {
            m = ops.rms_norm(&m, &self.norm_weight(n)?, spec.eps)?;
        }
        phase("mlp");
        Ok((x + m)?)
    }

    fn rotate(&self, x: &Tensor, cos: &Tensor, sin: &Tensor) -> Result<Tensor> {
        let d = self.spec.head_dim;
        let r = self.spec.rope_dim;
        if r == d {
            return self.ops.rope(x, cos, sin);
        }
        let rotated = self.ops.rope(&x.narrow(3, 0, r)?, cos, sin)?;
        Ok(Tensor::cat(&[rotated, x.narrow(3, r, d - r)?], 3)?)
    }

    /// Final norm and LM head for rows of hidden states `[rows, hidden]`: logits `[rows, vocab]`.
    pub fn head(&self, h: &Tensor) -> Result<Tensor> {
        let h = self
            .ops
            .rms_norm(h, &self.norm_weight(&self.norm)?, self.spec.eps)?;
        let logits = match &self.lm_head {
            Some(l) => l.forward(&h, DropoutSeed(None))?,
            None => match &self.embed {
                Param::Frozen(w) => crate::ops::frozen_matmul(&h, &w.to_dtype(self.dtype)?)?,
                Param::Trainable(_) => h.matmul(&self.embed.get(self.dtype)?.t()?)?,
            },
        };
        Ok(match self.spec.final_softcap {
            Some(cap) => ((logits / cap)?.tanh()? * cap)?,
            None => logits,
        })
    }

    /// Logits of every position, `[batch * seq, vocab]`, without gradients.
    pub fn logits(&self, batch: &Batch) -> Result<Tensor> {
        let ctx = batch.context(&self.spec, self.dtype, DropoutSeed(None))?;
        let mut x = self.embed(batch)?.detach();
        for i in 0..self.blocks.len() {
            x = self.block(i, &x, &ctx)?.detach();
        }
        let (b, t, h) = x.dims3()?;
        Ok(self.head(&x.reshape((b * t, h))?)?.detach())
    }

    pub fn ops(&self) -> &dyn TrainOps {
        &*self.ops
    }

    /// The module names that carry LoRA pairs, sorted.
    pub fn lora_targets(&self) -> Vec<String> {
        let mut t: Vec<String> = self
            .lora_modules()
            .iter()
            .filter_map(|l| l.name.rsplit('.').next().map(str::to_owned))
            .collect();
        t.sort();
        t.dedup();
        t
    }

    /// LoRA modules with their pairs, for export.
    pub fn lora_modules(&self) -> Vec<&Linear> {
        self.linears()
            .into_iter()
            .filter(|l| l.lora.is_some())
            .collect()
    }
}
