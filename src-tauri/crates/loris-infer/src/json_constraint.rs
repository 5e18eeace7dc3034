//! Output held to a JSON schema while it is generated: before a token is taken, the text with
//! that token must still be the beginning of a document the schema accepts. Small models that
//! cannot be talked into valid JSON still give it this way (llama.cpp does the same with
//! grammars).
//!
//! The matcher works on the text, not on tokens: it returns every way the text can be read —
//! ended at a position (the value is complete there) or still open (the text ends inside a
//! value that can go on). The schema subset is what structured columns use: `type` (object,
//! array, string, integer, number, boolean, null, or a list of them), `properties` (written
//! in the schema's order, all of them), `items`, `enum`, `const`, `anyOf`/`oneOf`, and
//! `maxItems`/`maxLength`. Anything else accepts any JSON value.

use serde_json::Value;

/// How deep values may nest before the matcher refuses: bounds its recursion.
const MAX_DEPTH: usize = 24;
/// Whitespace allowed between two tokens of JSON: enough for pretty printing, not enough for
/// a model to loop on blanks.
const MAX_BLANKS: usize = 8;
/// A string longer than this (in bytes) is refused unless the schema sets `maxLength`.
const DEFAULT_MAX_STRING: usize = 8192;
/// An array longer than this is refused unless the schema sets `maxItems`.
const DEFAULT_MAX_ITEMS: usize = 256;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum End {
    /// The value ends before this byte.
    At(usize),
    /// The text ends inside the value, and the value can still be completed.
    Open,
}

/// What the text generated so far is, for the schema.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JsonStatus {
    /// Not the beginning of any accepted document.
    Invalid,
    /// The beginning of an accepted document, not yet complete.
    Partial,
    /// A complete document; `more` says whether it could also go on (e.g. a number's digits).
    Complete { more: bool },
}

#[derive(Debug, Clone)]
pub struct JsonConstraint {
    schema: Value,
}

impl JsonConstraint {
    pub fn new(schema: Value) -> Self {
        JsonConstraint { schema }
    }

    pub fn status(&self, text: &str) -> JsonStatus {
        let s = text.as_bytes();
        let start = blanks(s, 0);
        if start == s.len() {
            return JsonStatus::Partial;
        }
        let ends = value(&self.schema, s, start, 0);
        let open = ends.contains(&End::Open);
        let complete = ends.iter().any(|e| match e {
            End::At(p) => s[*p..].iter().all(u8::is_ascii_whitespace) && s.len() - p <= MAX_BLANKS,
            End::Open => false,
        });
        match (complete, open) {
            (true, more) => JsonStatus::Complete { more },
            (false, true) => JsonStatus::Partial,
            (false, false) => JsonStatus::Invalid,
        }
    }
}

/// Skips up to `MAX_BLANKS` whitespace bytes; more is left for the next matcher to refuse.
fn blanks(s: &[u8], mut pos: usize) -> usize {
    let limit = pos + MAX_BLANKS;
    while pos < s.len() && pos < limit && s[pos].is_ascii_whitespace() {
        pos += 1;
    }
    pos
}

fn literal(lit: &[u8], s: &[u8], pos: usize) -> Vec<End> {
    let rest = &s[pos.min(s.len())..];
    if rest.starts_with(lit) {
        vec![End::At(pos + lit.len())]
    } else if lit.starts_with(rest) {
        vec![End::Open]
    } else {
        Vec::new()
    }
}

/// Runs `next` from every end of `ends`, keeping `Open` as it is.
fn then(ends: Vec<End>, mut next: impl FnMut(usize) -> Vec<End>) -> Vec<End> {
    let mut out = Vec::new();
    for end in ends {
        let more = match end {
            End::Open => vec![End::Open],
            End::At(p) => next(p),
        };
        for e in more {
            if !out.contains(&e) {
                out.push(e);
            }
        }
    }
    out
}

fn value(schema: &Value, s: &[u8], pos: usize, depth: usize) -> Vec<End> {
    if pos >= s.len() {
        return vec![End::Open];
    }
    if depth > MAX_DEPTH {
        return Vec::new();
    }
    let Some(obj) = schema.as_object() else {
        // `true` or anything that is not an object schema: any value.
        return any_value(s, pos, depth);
    };
    if let Some(options) = obj.get("enum").and_then(Value::as_array) {
        return alternatives(options.iter().map(|v| v.to_string().into_bytes()), s, pos);
    }
    if let Some(constant) = obj.get("const") {
        return literal(constant.to_string().as_bytes(), s, pos);
    }
    if let Some(list) = obj
        .get("anyOf")
        .or_else(|| obj.get("oneOf"))
        .and_then(Value::as_array)
    {
        let mut out = Vec::new();
        for sub in list {
            for e in value(sub, s, pos, depth + 1) {
                if !out.contains(&e) {
                    out.push(e);
                }
            }
        }
        return out;
    }
    match obj.get("type") {
        Some(Value::String(t)) => typed(t, obj, s, pos, depth),
        Some(Value::Array(types)) => {
            let mut out = Vec::new();
            for t in types.iter().filter_map(Value::as_str) {
                for e in typed(t, obj, s, pos, depth) {
                    if !out.contains(&e) {
                        out.push(e);
                    }
                }
            }
            out
        }
        _ if obj.contains_key("properties") => typed("object", obj, s, pos, depth),
        _ => any_value(s, pos, depth),
    }
}

fn alternatives(options: impl Iterator<Item = Vec<u8>>, s: &[u8], pos: usize) -> Vec<End> {
    let mut out = Vec::new();
    for option in options {
        for e in literal(&option, s, pos) {
            if !out.contains(&e) {
                out.push(e);
            }
        }
    }
    out
}

fn typed(
    kind: &str,
    obj: &serde_json::Map<String, Value>,
    s: &[u8],
    pos: usize,
    depth: usize,
) -> Vec<End> {
    let limit = |key: &str, default: usize| {
        obj.get(key)
            .and_then(Value::as_u64)
            .map_or(default, |n| n as usize)
    };
    match kind {
        "object" => match obj.get("properties").and_then(Value::as_object) {
            Some(props) if !props.is_empty() => fixed_object(props, s, pos, depth),
            _ => any_object(s, pos, depth),
        },
        "array" => {
            let items = obj.get("items").cloned().unwrap_or(Value::Bool(true));
            array(&items, limit("maxItems", DEFAULT_MAX_ITEMS), s, pos, depth)
        }
        // maxLength counts characters; bytes bound it from above, which is what matters here.
        "string" => string(s, pos, limit("maxLength", DEFAULT_MAX_STRING / 4) * 4),
        "integer" => number(s, pos, false),
        "number" => number(s, pos, true),
        "boolean" => alternatives([b"true".to_vec(), b"false".to_vec()].into_iter(), s, pos),
        "null" => literal(b"null", s, pos),
        _ => any_value(s, pos, depth),
    }
}

/// `{"a": …, "b": …}` with every property, in the schema's order.
fn fixed_object(
    props: &serde_json::Map<String, Value>,
    s: &[u8],
    pos: usize,
    depth: usize,
) -> Vec<End> {
    let mut ends = literal(b"{", s, pos);
    let count = props.len();
    for (i, (key, sub)) in props.iter().enumerate() {
        let key_text = Value::String(key.clone()).to_string();
        ends = then(ends, |p| literal(key_text.as_bytes(), s, blanks(s, p)));
        ends = then(ends, |p| literal(b":", s, blanks(s, p)));
        ends = then(ends, |p| value(sub, s, blanks(s, p), depth + 1));
        let separator: &[u8] = if i + 1 < count { b"," } else { b"}" };
        ends = then(ends, |p| literal(separator, s, blanks(s, p)));
    }
    ends
}

/// Any object: string keys, any values.
fn any_object(s: &[u8], pos: usize, depth: usize) -> Vec<End> {
    container(
        s,
        pos,
        depth,
        (b'{', b'}'),
        DEFAULT_MAX_ITEMS,
        |s, p, depth| {
            let key = string(s, p, DEFAULT_MAX_STRING);
            let colon = then(key, |q| literal(b":", s, blanks(s, q)));
            then(colon, |q| any_value(s, blanks(s, q), depth + 1))
        },
    )
}

fn array(items: &Value, max_items: usize, s: &[u8], pos: usize, depth: usize) -> Vec<End> {
    container(s, pos, depth, (b'[', b']'), max_items, |s, p, depth| {
        value(items, s, p, depth + 1)
    })
}

/// `open`, then at most `max_items` items (object members or array values) separated by
/// commas, then `close`.
fn container(
    s: &[u8],
    pos: usize,
    depth: usize,
    (open, close): (u8, u8),
    max_items: usize,
    item: impl Fn(&[u8], usize, usize) -> Vec<End>,
) -> Vec<End> {
    let mut out = Vec::new();
    // Where an item may start.
    let mut frontier = Vec::new();
    for e in literal(&[open], s, pos) {
        match e {
            End::Open => push(&mut out, End::Open),
            End::At(p) => {
                let p = blanks(s, p);
                for c in literal(&[close], s, p) {
                    push(&mut out, c);
                }
                if max_items > 0 {
                    frontier.push(p);
                }
            }
        }
    }
    let mut count = 0;
    while !frontier.is_empty() && count < max_items {
        count += 1;
        let mut next = Vec::new();
        for start in frontier {
            for e in item(s, start, depth) {
                let End::At(p) = e else {
                    push(&mut out, End::Open);
                    continue;
                };
                let p = blanks(s, p);
                for c in literal(&[close], s, p) {
                    push(&mut out, c);
                }
                if count == max_items {
                    continue;
                }
                for c in literal(b",", s, p) {
                    match c {
                        End::Open => push(&mut out, End::Open),
                        End::At(q) => {
                            let q = blanks(s, q);
                            if !next.contains(&q) {
                                next.push(q);
                            }
                        }
                    }
                }
            }
        }
        frontier = next;
    }
    out
}

fn push(out: &mut Vec<End>, e: End) {
    if !out.contains(&e) {
        out.push(e);
    }
}

fn any_value(s: &[u8], pos: usize, depth: usize) -> Vec<End> {
    if pos >= s.len() {
        return vec![End::Open];
    }
    match s[pos] {
        b'{' => any_object(s, pos, depth),
        b'[' => array(&Value::Bool(true), DEFAULT_MAX_ITEMS, s, pos, depth),
        b'"' => string(s, pos, DEFAULT_MAX_STRING),
        b'-' | b'0'..=b'9' => number(s, pos, true),
        b't' => literal(b"true", s, pos),
        b'f' => literal(b"false", s, pos),
        b'n' => literal(b"null", s, pos),
        _ => Vec::new(),
    }
}

/// A JSON string of at most `max_bytes` bytes between its quotes.
fn string(s: &[u8], pos: usize, max_bytes: usize) -> Vec<End> {
    if pos >= s.len() {
        return vec![End::Open];
    }
    if s[pos] != b'"' {
        return Vec::new();
    }
    let mut i = pos + 1;
    while i < s.len() {
        if i - pos - 1 > max_bytes {
            return Vec::new();
        }
        match s[i] {
            b'"' => return vec![End::At(i + 1)],
            b'\\' => {
                let Some(&escape) = s.get(i + 1) else {
                    return vec![End::Open];
                };
                match escape {
                    b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't' => i += 2,
                    b'u' => {
                        let hex = &s[(i + 2).min(s.len())..(i + 6).min(s.len())];
                        if !hex.iter().all(u8::is_ascii_hexdigit) {
                            return Vec::new();
                        }
                        if hex.len() < 4 {
                            return vec![End::Open];
                        }
                        i += 6;
                    }
                    _ => return Vec::new(),
                }
            }
            c if c < 0x20 => return Vec::new(),
            _ => i += 1,
        }
    }
    vec![End::Open]
}

/// `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`, the fraction and exponent only when
/// `real`. Returns each place the number may end, and `Open` when the text ends in it.
fn number(s: &[u8], pos: usize, real: bool) -> Vec<End> {
    let mut i = pos;
    let at_end = |i: usize| i >= s.len();
    if !at_end(i) && s[i] == b'-' {
        i += 1;
    }
    if at_end(i) {
        return vec![End::Open];
    }
    if s[i] == b'0' {
        i += 1;
    } else if s[i].is_ascii_digit() {
        while !at_end(i) && s[i].is_ascii_digit() && i - pos < 20 {
            i += 1;
        }
    } else {
        return Vec::new();
    }
    if at_end(i) {
        // "12" may be whole or go on.
        return vec![End::At(i), End::Open];
    }
    let mut out = vec![End::At(i)];
    if !real {
        return out;
    }
    if s[i] == b'.' {
        let mut j = i + 1;
        if at_end(j) {
            out.push(End::Open);
            return out;
        }
        if !s[j].is_ascii_digit() {
            return out;
        }
        while !at_end(j) && s[j].is_ascii_digit() {
            j += 1;
        }
        if at_end(j) {
            return vec![End::At(j), End::Open];
        }
        out = vec![End::At(j)];
        i = j;
    }
    if s[i] == b'e' || s[i] == b'E' {
        let mut j = i + 1;
        if !at_end(j) && (s[j] == b'+' || s[j] == b'-') {
            j += 1;
        }
        if at_end(j) {
            out.push(End::Open);
            return out;
        }
        if !s[j].is_ascii_digit() {
            return out;
        }
        while !at_end(j) && s[j].is_ascii_digit() {
            j += 1;
        }
        if at_end(j) {
            return vec![End::At(j), End::Open];
        }
        return vec![End::At(j)];
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn judge() -> JsonConstraint {
        JsonConstraint::new(json!({
            "type": "object",
            "properties": {
                "relevant": {"type": "object", "properties": {
                    "score": {"enum": ["yes", "no"]},
                    "reasoning": {"type": "string"}}}}
        }))
    }

    #[test]
    fn prefixes_of_an_accepted_document_are_partial() {
        let c = judge();
        let doc = r#"{"relevant": {"score": "yes", "reasoning": "It names \"Paris\"."}}"#;
        for cut in 0..doc.len() {
            assert_eq!(
                c.status(&doc[..cut]),
                JsonStatus::Partial,
                "{}",
                &doc[..cut]
            );
        }
        assert_eq!(c.status(doc), JsonStatus::Complete { more: false });
        assert_eq!(
            c.status(&format!("{doc}\n")),
            JsonStatus::Complete { more: false }
        );
    }

    #[test]
    fn wrong_keys_options_and_trailing_text_are_invalid() {
        let c = judge();
        for bad in [
            "Sure",
            r#"{"other""#,
            r#"{"relevant": {"score": "maybe"#,
            r#"{"relevant": {"score": "yes", "reasoning": 3"#,
            r#"{"relevant": {"score": "yes", "reasoning": "x"}} and more"#,
            "{\"relevant\": {\"score\": \"yes\", \"reasoning\": \"a\nb\"}}",
            "{          \"relevant\"",
        ] {
            assert_eq!(c.status(bad), JsonStatus::Invalid, "{bad}");
        }
    }

    #[test]
    fn numbers_arrays_and_alternatives() {
        let c = JsonConstraint::new(json!({"type": "object", "properties": {
            "n": {"type": "integer"}, "x": {"type": "number"},
            "tags": {"type": "array", "items": {"type": "string"}, "maxItems": 2},
            "maybe": {"type": ["string", "null"]}}}));
        assert_eq!(c.status(r#"{"n": 12"#), JsonStatus::Partial);
        assert_eq!(c.status(r#"{"n": 1.5"#), JsonStatus::Invalid);
        assert_eq!(
            c.status(r#"{"n": -3, "x": 2.5e-3, "tags": ["a", "b"], "maybe": null}"#),
            JsonStatus::Complete { more: false }
        );
        assert_eq!(
            c.status(r#"{"n": 0, "x": 1, "tags": ["a", "b", "c""#),
            JsonStatus::Invalid
        );
        let top = JsonConstraint::new(json!({"type": "integer"}));
        assert_eq!(top.status("42"), JsonStatus::Complete { more: true });
    }

    #[test]
    fn schemaless_objects_take_any_json() {
        let c = JsonConstraint::new(json!({"type": "object"}));
        assert_eq!(
            c.status(r#"{"a": [1, {"b": null}], "c": "d"}"#),
            JsonStatus::Complete { more: false }
        );
        assert_eq!(c.status(r#"{"a": [1, {"b": nul"#), JsonStatus::Partial);
        assert_eq!(c.status(r#"{"a" 1"#), JsonStatus::Invalid);
    }
}
