//! The loop: full fine-tuning memorizes a 4-sample dataset; the same seed gives the same loss
//! curve; a run resumed from a checkpoint continues the uninterrupted run's curve.

mod common;

use candle_core::DType;
use loris_datasets::PackedSequence;
use loris_testkit::tiny_models::Arch;
use loris_train::schedule::Schedule;
use loris_train::{Control, Method, MethodKind, TrainConfig, TrainEvent, Trainer};

fn samples() -> Vec<PackedSequence> {
    [
        &[9u32, 100, 2000, 31, 7, 512][..],
        &[64, 3, 900, 17, 2000, 8],
        &[5, 6, 77, 1000, 12, 600],
        &[300, 301, 302, 303, 304, 305],
    ]
    .iter()
    .map(|s| common::sequence(s))
    .collect()
}

fn run(trainer: &mut Trainer, stop_after: Option<usize>) -> Vec<f64> {
    let mut losses = Vec::new();
    trainer
        .run(&mut |e| {
            if let TrainEvent::Step(m) = e {
                assert!(m.grad_norm > 0.0 && m.grad_norm.is_finite());
                losses.push(m.loss);
                if stop_after == Some(m.step) {
                    return Control::Cancel;
                }
            }
            Control::Continue
        })
        .unwrap();
    losses
}

#[test]
fn full_fine_tuning_drives_a_tiny_dataset_loss_near_zero() {
    let root = tempfile::tempdir().unwrap();
    let Some(tiny) = common::tiny(Arch::Llama, root.path()) else {
        return;
    };
    let model = common::model(&tiny.dir, &Method::Full, DType::F32, 1);
    let config = TrainConfig {
        method: MethodKind::Full,
        learning_rate: 3e-3,
        schedule: Schedule::Constant,
        warmup_steps: 0,
        weight_decay: 0.0,
        batch_size: 4,
        grad_accum: 1,
        seq_len: 6,
        max_steps: Some(80),
        ..TrainConfig::default()
    };
    let mut trainer =
        Trainer::new(model, config, samples(), vec![], &root.path().join("out")).unwrap();
    let losses = run(&mut trainer, None);
    eprintln!("loss {:.3} -> {:.4}", losses[0], losses[losses.len() - 1]);
    assert!(losses[0] > 5.0, "{}", losses[0]);
    assert!(*losses.last().unwrap() < 0.05, "{losses:?}");
}

fn lora_config() -> TrainConfig {
    TrainConfig {
        learning_rate: 1e-2,
        warmup_steps: 2,
        batch_size: 1,
        grad_accum: 2,
        seq_len: 6,
        max_steps: Some(6),
        checkpoint_every: Some(3),
        lora: loris_train::LoraConfig {
            rank: 4,
            alpha: 8.0,
            dropout: 0.1,
            ..Default::default()
        },
        ..TrainConfig::default()
    }
}

#[test]
fn same_seed_same_curve_and_resume_continues_it() {
    let root = tempfile::tempdir().unwrap();
    let Some(tiny) = common::tiny(Arch::Qwen3, root.path()) else {
        return;
    };
    let method = Method::Lora(lora_config().lora);
    let fresh = |out: &str| {
        let model = common::model(&tiny.dir, &method, DType::F32, lora_config().seed);
        Trainer::new(
            model,
            lora_config(),
            samples(),
            vec![],
            &root.path().join(out),
        )
        .unwrap()
    };
    let full = run(&mut fresh("a"), None);
    assert_eq!(full.len(), 6);
    assert_eq!(full, run(&mut fresh("b"), None), "same seed, same curve");

    // Stop after step 4 (one step past the checkpoint at 3, as a crash would), then resume.
    let mut first = fresh("c");
    let before = run(&mut first, Some(4));
    assert_eq!(before, full[..4]);
    let checkpoint = root.path().join("c/checkpoint-3");
    assert!(checkpoint.join("trainable.safetensors").is_file());
    let mut resumed = fresh("c").resume(&checkpoint).unwrap();
    assert_eq!(resumed.step, 3);
    let after = run(&mut resumed, None);
    assert_eq!(after.len(), 3);
    for (a, b) in after.iter().zip(&full[3..]) {
        assert!(
            (a - b).abs() < 1e-6 * b.abs().max(1.0),
            "{after:?} vs {:?}",
            &full[3..]
        );
    }
}

#[test]
fn a_checkpoint_from_other_settings_is_refused() {
    let root = tempfile::tempdir().unwrap();
    let Some(tiny) = common::tiny(Arch::Llama, root.path()) else {
        return;
    };
    let method = Method::Lora(lora_config().lora);
    let model = common::model(&tiny.dir, &method, DType::F32, 1);
    let mut t = Trainer::new(
        model,
        lora_config(),
        samples(),
        vec![],
        &root.path().join("o"),
    )
    .unwrap();
    run(&mut t, None);
    let other = TrainConfig {
        learning_rate: 5e-3,
        ..lora_config()
    };
    let model = common::model(&tiny.dir, &method, DType::F32, 1);
    let err = Trainer::new(model, other, samples(), vec![], &root.path().join("o"))
        .unwrap()
        .resume(&root.path().join("o/checkpoint-3"))
        .err()
        .unwrap();
    assert_eq!(err.code(), "train_bad_checkpoint");
    let model = common::model(&tiny.dir, &method, DType::F32, 1);
    let err = Trainer::new(
        model,
        lora_config(),
        samples(),
        vec![],
        &root.path().join("o"),
    )
    .unwrap()
    .resume(&root.path().join("o/no-such-checkpoint"))
    .err()
    .unwrap();
    assert_eq!(err.code(), "io_error");
}
