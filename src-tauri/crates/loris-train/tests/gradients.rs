//! Gradients: LoRA and full-model gradients match finite differences; checkpointing changes
//! nothing; packed samples do not see each other.

mod common;

use candle_core::{DType, Device, Tensor, Var};
use loris_testkit::tiny_models::Arch;
use loris_train::batch::Batch;
use loris_train::lora::DropoutSeed;
use loris_train::step::{Grads, loss_and_grads, loss_only};
use loris_train::{Method, TrainModel};

const TOKENS: [u32; 8] = [9, 100, 2000, 31, 7, 512, 64, 3];

fn grads(model: &TrainModel, batch: &Batch, checkpointing: bool) -> (Vec<(String, Var)>, Grads) {
    let vars = model.trainable();
    let mut g = Grads::default();
    let norm = batch.trained_tokens as f64;
    loss_and_grads(
        model,
        &vars,
        batch,
        DropoutSeed(None),
        checkpointing,
        norm,
        &mut g,
    )
    .unwrap();
    (vars, g)
}

fn loss(model: &TrainModel, batch: &Batch) -> f64 {
    loss_only(model, batch).unwrap() / batch.trained_tokens as f64
}

/// Central differences on a few entries of each named tensor.
fn check_entries(
    model: &TrainModel,
    batch: &Batch,
    vars: &[(String, Var)],
    g: &Grads,
    names: &[&str],
) {
    let eps = 1e-5;
    for (name, var) in vars
        .iter()
        .filter(|(n, _)| names.iter().any(|x| n.ends_with(x)))
    {
        let analytic = g
            .get(var)
            .unwrap_or_else(|| panic!("{name}: no gradient"))
            .flatten_all()
            .unwrap()
            .to_dtype(DType::F64)
            .unwrap()
            .to_vec1::<f64>()
            .unwrap();
        let original = var
            .as_tensor()
            .flatten_all()
            .unwrap()
            .to_vec1::<f64>()
            .unwrap();
        let n = original.len();
        for &i in &[0, n / 3, n / 2, n - 1] {
            let probe = |delta: f64| {
                let mut v = original.clone();
                v[i] += delta;
                var.set(&Tensor::from_vec(v, var.shape(), &Device::Cpu).unwrap())
                    .unwrap();
                loss(model, batch)
            };
            let numeric = (probe(eps) - probe(-eps)) / (2.0 * eps);
            var.set(&Tensor::from_vec(original.clone(), var.shape(), &Device::Cpu).unwrap())
                .unwrap();
            let a = analytic[i];
            let err = (a - numeric).abs() / (a.abs().max(numeric.abs()).max(1e-6));
            assert!(
                err < 1e-4 || (a - numeric).abs() < 1e-9,
                "{name}[{i}]: analytic {a:e}, numeric {numeric:e}"
            );
        }
    }
}

/// LoRA B starts at zero (so A's gradient is zero); give it values for a real check.
fn randomize_lora_b(model: &TrainModel) {
    for (name, var) in model.trainable() {
        if name.ends_with("lora_B.weight") {
            let r = Tensor::randn(0f64, 0.05, var.shape(), &Device::Cpu).unwrap();
            var.set(&r).unwrap();
        }
    }
}

#[test]
fn lora_gradients_match_finite_differences() {
    for arch in [Arch::Llama, Arch::Gemma3, Arch::Phi3] {
        let root = tempfile::tempdir().unwrap();
        let Some(tiny) = common::tiny(arch, root.path()) else {
            return;
        };
        let model = common::model(&tiny.dir, &common::lora(4), DType::F64, 7);
        randomize_lora_b(&model);
        let seq = common::sequence(&TOKENS);
        let batch = Batch::new(&[&seq], &Device::Cpu).unwrap();
        let (vars, g) = grads(&model, &batch, true);
        let norm: f64 = g
            .by_id
            .values()
            .map(|t| {
                t.sqr()
                    .unwrap()
                    .sum_all()
                    .unwrap()
                    .to_scalar::<f64>()
                    .unwrap()
            })
            .sum();
        assert!(norm > 0.0, "{arch}: zero gradients");
        check_entries(
            &model,
            &batch,
            &vars,
            &g,
            &[
                "layers.0.self_attn.q_proj.lora_A.weight",
                "layers.1.mlp.down_proj.lora_B.weight",
                "layers.0.self_attn.qkv_proj.lora_A.weight",
            ],
        );
    }
}

#[test]
fn full_gradients_match_finite_differences() {
    let root = tempfile::tempdir().unwrap();
    let Some(tiny) = common::tiny(Arch::Qwen3, root.path()) else {
        return;
    };
    let model = common::model(&tiny.dir, &Method::Full, DType::F64, 7);
    let seq = common::sequence(&TOKENS);
    let batch = Batch::new(&[&seq], &Device::Cpu).unwrap();
    let (vars, g) = grads(&model, &batch, true);
    check_entries(
        &model,
        &batch,
        &vars,
        &g,
        &[
            "layers.1.self_attn.k_norm.weight",
            "layers.0.input_layernorm.weight",
            "model.norm.weight",
            "layers.0.self_attn.q_proj.bias",
            "layers.1.mlp.up_proj.weight",
        ],
    );
}

#[test]
fn checkpointing_gives_the_same_gradients() {
    let root = tempfile::tempdir().unwrap();
    let Some(tiny) = common::tiny(Arch::Gemma2, root.path()) else {
        return;
    };
    let model = common::model(&tiny.dir, &Method::Full, DType::F64, 3);
    let seq = common::sequence(&TOKENS);
    let batch = Batch::new(&[&seq], &Device::Cpu).unwrap();
    let (vars, with) = grads(&model, &batch, true);
    let (_, without) = grads(&model, &batch, false);
    for (name, var) in &vars {
        let a = with
            .get(var)
            .unwrap_or_else(|| panic!("{name}: no gradient with checkpointing"));
        let b = without
            .get(var)
            .unwrap_or_else(|| panic!("{name}: no gradient without"));
        let d = (a - b)
            .unwrap()
            .abs()
            .unwrap()
            .max_all()
            .unwrap()
            .to_scalar::<f64>()
            .unwrap();
        assert!(d < 1e-10, "{name}: {d}");
    }
}

#[test]
fn packed_samples_do_not_attend_across_their_boundary() {
    let root = tempfile::tempdir().unwrap();
    let Some(tiny) = common::tiny(Arch::Llama, root.path()) else {
        return;
    };
    let model = common::model(&tiny.dir, &common::lora(2), DType::F64, 3);
    let (a, b): (&[u32], &[u32]) = (&TOKENS[..5], &TOKENS[3..]);
    let both = common::packed(&[a, b], 14);
    let sa = common::sequence(a);
    let sb = common::sequence(b);
    let packed_loss = loss_only(&model, &Batch::new(&[&both], &Device::Cpu).unwrap()).unwrap();
    let separate = loss_only(&model, &Batch::new(&[&sa], &Device::Cpu).unwrap()).unwrap()
        + loss_only(&model, &Batch::new(&[&sb], &Device::Cpu).unwrap()).unwrap();
    assert!(
        (packed_loss - separate).abs() < 1e-9,
        "{packed_loss} vs {separate}"
    );
}
