//! The safetensors header parser accepts exactly what the `safetensors` crate (the reference the
//! engine loads with) accepts: files it writes, and the same verdict on thousands of damaged
//! copies of them.

use std::collections::HashMap;

use ::safetensors::SafeTensors;
use ::safetensors::tensor::{Dtype, TensorView};
use loris_gguf::safetensors as header;

/// A file written by the reference crate, with metadata and tensors of several widths.
fn reference_file() -> Vec<u8> {
    let f32s = vec![0u8; 4 * 6];
    let bf16s = vec![0u8; 2 * 5];
    let bytes = vec![0u8; 3];
    let tensors = [
        (
            "a.weight",
            TensorView::new(Dtype::F32, vec![2, 3], &f32s).unwrap(),
        ),
        (
            "b.weight",
            TensorView::new(Dtype::BF16, vec![5], &bf16s).unwrap(),
        ),
        (
            "c.mask",
            TensorView::new(Dtype::BOOL, vec![3, 1], &bytes).unwrap(),
        ),
    ];
    let metadata = HashMap::from([("format".to_owned(), "pt".to_owned())]);
    ::safetensors::serialize(tensors, Some(metadata)).unwrap()
}

#[test]
fn files_the_reference_writes_parse_the_same() {
    let bytes = reference_file();
    let ours = header::parse(&bytes).unwrap();
    let theirs = SafeTensors::deserialize(&bytes).unwrap();
    assert_eq!(ours.tensors.len(), theirs.len());
    for t in &ours.tensors {
        let view = theirs.tensor(&t.name).unwrap();
        let shape: Vec<u64> = view.shape().iter().map(|&d| d as u64).collect();
        assert_eq!(t.shape, shape, "{}", t.name);
        assert_eq!(t.dtype.name, format!("{:?}", view.dtype()), "{}", t.name);
    }
    assert_eq!(ours.parameters(), 6 + 5 + 3);
    assert_eq!(ours.metadata["format"], "pt");
}

#[test]
fn damaged_files_get_the_references_verdict() {
    let seed = reference_file();
    let mut state = 0x9E37_79B9_7F4A_7C15u64;
    let mut checked = 0;
    let mut accepted = 0;
    let mut check = |bytes: &[u8]| {
        let ours = header::parse(bytes);
        let theirs = SafeTensors::deserialize(bytes);
        assert_eq!(
            ours.is_ok(),
            theirs.is_ok(),
            "ours {:?}, reference {:?}, input {:?}",
            ours.as_ref().err(),
            theirs.as_ref().err(),
            String::from_utf8_lossy(bytes)
        );
        checked += 1;
        accepted += usize::from(ours.is_ok());
    };
    for cut in 0..=seed.len() {
        check(&seed[..cut]);
    }
    for _ in 0..3000 {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        let mut bytes = seed.clone();
        let at = (state % bytes.len() as u64) as usize;
        bytes[at] = (state >> 40) as u8;
        check(&bytes);
    }
    assert!(
        checked > 3000 && accepted > 0,
        "{checked} checked, {accepted} accepted"
    );
}
