//! Third-party decoders (Parquet's record API, the PDF extractor) panic on some malformed
//! input. Reading untrusted files must end in a typed error instead, so their calls go through
//! [`catch_panic`].

use std::panic::{AssertUnwindSafe, catch_unwind};

/// Runs `f`; a panic comes back as its message.
pub(crate) fn catch_panic<T>(f: impl FnOnce() -> T) -> Result<T, String> {
    catch_unwind(AssertUnwindSafe(f)).map_err(|payload| {
        payload
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| payload.downcast_ref::<&str>().map(|s| (*s).to_owned()))
            .unwrap_or_else(|| "the decoder failed".to_owned())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn panics_become_messages() {
        assert_eq!(catch_panic(|| 5), Ok(5));
        let err = catch_panic(|| -> u8 { panic!("bad page {}", 3) }).unwrap_err();
        assert_eq!(err, "bad page 3");
        let err = catch_panic(|| -> u8 { panic!("static") }).unwrap_err();
        assert_eq!(err, "static");
    }
}
