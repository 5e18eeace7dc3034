//! Finding the API key for an endpoint from the places a user may have configured.

use crate::error::LlmError;

/// Resolves the key for an endpoint, trying in order:
///
/// 1. `api_key` itself, when non-empty;
/// 2. the environment variable named by `api_key_env` — which must then be set and non-empty;
/// 3. the keychain entry `keychain_entry`, read through `keychain` — which must then hold a key;
/// 4. no key at all: `Ok(None)`, since local servers usually need none.
///
/// A configured source that turns out empty is an error rather than a silent fall-through, so a
/// typo in a variable name surfaces as `llm_missing_api_key` instead of a 401 later. Keys are
/// trimmed: a trailing newline from a pasted or file-sourced key would break the header.
pub fn resolve_api_key(
    api_key: Option<&str>,
    api_key_env: Option<&str>,
    keychain_entry: Option<&str>,
    keychain: &dyn Fn(&str) -> Result<Option<String>, String>,
) -> Result<Option<String>, LlmError> {
    if let Some(key) = non_empty(api_key) {
        return Ok(Some(key.to_string()));
    }
    if let Some(var) = non_empty(api_key_env) {
        return from_env(var)
            .map(Some)
            .ok_or_else(|| LlmError::MissingApiKey {
                what: format!("environment variable {var}"),
            });
    }
    if let Some(entry) = non_empty(keychain_entry) {
        return match keychain(entry) {
            Ok(found) => match non_empty(found.as_deref()) {
                Some(key) => Ok(Some(key.to_string())),
                None => Err(LlmError::MissingApiKey {
                    what: format!("keychain entry {entry}"),
                }),
            },
            Err(message) => Err(LlmError::Keychain {
                entry: entry.to_string(),
                message,
            }),
        };
    }
    Ok(None)
}

fn non_empty(value: Option<&str>) -> Option<&str> {
    value.map(str::trim).filter(|v| !v.is_empty())
}

fn from_env(var: &str) -> Option<String> {
    // Names the platform cannot hold read as unset rather than reaching the OS call.
    if var.contains(['=', '\0']) {
        return None;
    }
    let value = std::env::var(var).ok()?;
    non_empty(Some(&value)).map(str::to_string)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn no_keychain(_: &str) -> Result<Option<String>, String> {
        panic!("the keychain must not be consulted")
    }

    fn set_env(name: &str, value: &str) {
        // SAFETY: std serializes its own environment access, and no code in this test binary
        // reads the environment through libc directly; each test uses its own variable name.
        unsafe { std::env::set_var(name, value) };
    }

    #[test]
    fn literal_key_wins() {
        set_env("LORIS_LLM_TEST_KEY_LITERAL", "from-env");
        let key = resolve_api_key(
            Some(" sk-lit\n"),
            Some("LORIS_LLM_TEST_KEY_LITERAL"),
            Some("e"),
            &no_keychain,
        );
        assert_eq!(key.unwrap().as_deref(), Some("sk-lit"));
    }

    #[test]
    fn empty_literal_falls_through_to_env() {
        set_env("LORIS_LLM_TEST_KEY_ENV", "sk-env\n");
        let key = resolve_api_key(
            Some(""),
            Some("LORIS_LLM_TEST_KEY_ENV"),
            Some("e"),
            &no_keychain,
        );
        assert_eq!(key.unwrap().as_deref(), Some("sk-env"));
    }

    #[test]
    fn unset_or_empty_env_is_an_error_naming_the_variable() {
        set_env("LORIS_LLM_TEST_KEY_EMPTY", "  ");
        for var in [
            "LORIS_LLM_TEST_KEY_EMPTY",
            "LORIS_LLM_TEST_KEY_NEVER_SET",
            "BAD=NAME",
        ] {
            let err = resolve_api_key(None, Some(var), Some("entry"), &no_keychain).unwrap_err();
            assert_eq!(err.code(), "llm_missing_api_key");
            assert!(err.to_string().contains(var), "{err}");
        }
    }

    #[test]
    fn keychain_is_used_last() {
        let keychain = |entry: &str| -> Result<Option<String>, String> {
            assert_eq!(entry, "loris/openai");
            Ok(Some("sk-chain".into()))
        };
        let key = resolve_api_key(None, Some(" "), Some("loris/openai"), &keychain);
        assert_eq!(key.unwrap().as_deref(), Some("sk-chain"));
    }

    #[test]
    fn absent_keychain_entry_is_an_error_naming_it() {
        for found in [None, Some(String::new())] {
            let keychain = move |_: &str| -> Result<Option<String>, String> { Ok(found.clone()) };
            let err = resolve_api_key(None, None, Some("loris/openai"), &keychain).unwrap_err();
            assert_eq!(err.code(), "llm_missing_api_key");
            assert!(err.to_string().contains("loris/openai"), "{err}");
        }
    }

    #[test]
    fn keychain_failures_become_llm_keychain() {
        let keychain = |_: &str| -> Result<Option<String>, String> { Err("locked".into()) };
        let err = resolve_api_key(None, None, Some("loris/openai"), &keychain).unwrap_err();
        assert_eq!(err.code(), "llm_keychain");
        assert!(err.to_string().contains("locked"));
    }

    #[test]
    fn nothing_configured_means_no_key() {
        assert_eq!(
            resolve_api_key(None, None, None, &no_keychain).unwrap(),
            None
        );
        assert_eq!(
            resolve_api_key(Some(""), Some(""), Some(""), &no_keychain).unwrap(),
            None
        );
    }
}
