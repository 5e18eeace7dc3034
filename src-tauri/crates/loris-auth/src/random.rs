//! Randomness from the operating system: keys, refresh tokens, generated passphrases.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use crate::error::{Error, Result};

/// Characters of a generated passphrase: lowercase letters and digits without the look-alikes
/// (0/o, 1/l/i), so it can be read off a screen and typed without mistakes.
const PASSPHRASE_ALPHABET: &[u8] = b"23456789abcdefghjkmnpqrstuvwxyz";
/// 20 characters of 31 symbols is ~99 bits, more than a 6-word diceware phrase.
const PASSPHRASE_CHARS: usize = 20;
const PASSPHRASE_GROUP: usize = 5;

/// `n` bytes from the OS generator, wiped from memory when dropped.
pub(crate) fn bytes(n: usize) -> Result<Zeroizing<Vec<u8>>> {
    let mut buf = Zeroizing::new(vec![0u8; n]);
    getrandom::fill(&mut buf)
        .map_err(|e| Error::Internal(format!("the OS random generator failed: {e}")))?;
    Ok(buf)
}

/// An opaque token: 32 random bytes, base64url without padding (43 characters).
pub(crate) fn token() -> Result<String> {
    Ok(URL_SAFE_NO_PAD.encode(bytes(32)?.as_slice()))
}

/// The form a token is stored in: its SHA-256, hex. Tokens are 256 random bits, so an unsalted
/// fast hash is enough: there is nothing to brute-force.
pub(crate) fn token_hash(token: &str) -> String {
    let digest = Sha256::digest(token.as_bytes());
    let mut hex = String::with_capacity(64);
    for byte in digest {
        hex.push_str(&format!("{byte:02x}"));
    }
    hex
}

/// A generated passphrase such as `k7m2q-x9fhd-3nrtw-pa8ce`: 20 random characters in groups of 5.
pub(crate) fn passphrase() -> Result<Zeroizing<String>> {
    let n = PASSPHRASE_ALPHABET.len();
    // Rejection sampling keeps every symbol equally likely: bytes at or above the largest
    // multiple of the alphabet size would favour the first symbols.
    let limit = 256 - (256 % n);
    let mut out = Zeroizing::new(String::with_capacity(PASSPHRASE_CHARS + 3));
    let mut taken = 0;
    while taken < PASSPHRASE_CHARS {
        for &b in bytes(64)?.iter() {
            if usize::from(b) >= limit {
                continue;
            }
            if taken > 0 && taken % PASSPHRASE_GROUP == 0 {
                out.push('-');
            }
            out.push(char::from(PASSPHRASE_ALPHABET[usize::from(b) % n]));
            taken += 1;
            if taken == PASSPHRASE_CHARS {
                break;
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_43_url_safe_chars_and_differ() {
        let a = token().unwrap();
        let b = token().unwrap();
        assert_eq!(a.len(), 43);
        assert!(
            a.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        );
        assert_ne!(a, b);
    }

    #[test]
    fn token_hash_is_hex_sha256() {
        assert_eq!(
            token_hash("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn passphrases_have_20_symbols_in_groups_of_5() {
        let p = passphrase().unwrap();
        let groups: Vec<&str> = p.split('-').collect();
        assert_eq!(groups.len(), 4, "{}", p.len());
        for group in groups {
            assert_eq!(group.len(), 5);
            assert!(group.bytes().all(|b| PASSPHRASE_ALPHABET.contains(&b)));
        }
        assert_ne!(*p, *passphrase().unwrap());
    }
}
