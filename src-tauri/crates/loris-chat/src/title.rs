//! A thread's title. The first one is taken from its first user message at once (no model
//! call): the first non-empty line, whitespace collapsed, cut on a word boundary. Once the
//! first reply is in, the model is asked for a short title ([`title_request`]); its answer is
//! cleaned ([`clean_title`]) and replaces the first one through `ChatStore::set_title`, or the
//! first one stays when the model fails or says nothing usable ([`generated_title`]).

use loris_models::ChatRequest;

/// Titles are cut to about this many characters.
pub const TITLE_CHARS: usize = 60;

/// The title of a thread whose first message says nothing.
pub const UNTITLED: &str = "New chat";

/// A generated title may take at most this many tokens: a few words, and a short wait.
pub const TITLE_MAX_TOKENS: usize = 16;

/// Each side of the exchange is cut to this many characters in the title prompt: the start of
/// a conversation says what it is about, and a short prompt keeps the extra request cheap.
const TITLE_CONTEXT_CHARS: usize = 1200;

const TITLE_INSTRUCTION: &str = "Write a short title of three to six words for the conversation \
below. Reply with the title only: no quotes, no punctuation at the end, no explanation.";

/// The request that asks a model for a title of the exchange `user` / `reply`. Thinking is
/// switched off (templates that know the switch): the few tokens allowed go to the title.
pub fn title_request(user: &str, reply: &str) -> ChatRequest {
    let cut = |text: &str| -> String { text.trim().chars().take(TITLE_CONTEXT_CHARS).collect() };
    let prompt = format!(
        "{TITLE_INSTRUCTION}\n\nUser: {}\n\nAssistant: {}",
        cut(user),
        cut(reply)
    );
    ChatRequest {
        messages: vec![loris_models::chat_template::message("user", &prompt)],
        add_generation_prompt: true,
        enable_thinking: Some(false),
        ..Default::default()
    }
}

/// A model's answer as a title: its first non-empty line, without a "Title:" label, Markdown
/// emphasis or quotes, and without a final period; `None` when nothing is left.
pub fn clean_title(raw: &str) -> Option<String> {
    const QUOTES: &[char] = &['"', '\'', '`', '“', '”', '‘', '’', '«', '»', '*', '_', '#'];
    let line = raw.lines().map(str::trim).find(|l| !l.is_empty())?;
    let line = match line.split_once(':') {
        Some((label, rest)) if label.trim().eq_ignore_ascii_case("title") => rest,
        _ => line,
    };
    let line = line
        .trim()
        .trim_matches(|c: char| QUOTES.contains(&c) || c.is_whitespace())
        .trim_end_matches(['.', '!', ':', ';', ','])
        .trim_matches(|c: char| QUOTES.contains(&c) || c.is_whitespace());
    if line.is_empty() {
        return None;
    }
    Some(title_from_text(line))
}

/// The title for a first exchange: the model's answer to [`title_request`] through `ask`,
/// cleaned, or [`title_from_text`] of the user's message when `ask` fails or the answer is
/// empty.
pub fn generated_title<E: std::fmt::Display>(
    user: &str,
    reply: &str,
    ask: impl FnOnce(ChatRequest) -> Result<String, E>,
) -> String {
    match ask(title_request(user, reply)) {
        Ok(raw) => clean_title(&raw).unwrap_or_else(|| title_from_text(user)),
        Err(e) => {
            tracing::warn!("title generation failed, keeping the first line: {e}");
            title_from_text(user)
        }
    }
}

pub fn title_from_text(text: &str) -> String {
    let line = text
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or("");
    let words: Vec<&str> = line.split_whitespace().collect();
    if words.is_empty() {
        return UNTITLED.to_owned();
    }
    let mut title = String::new();
    for word in &words {
        let extra = usize::from(!title.is_empty()) + word.chars().count();
        if title.chars().count() + extra > TITLE_CHARS {
            break;
        }
        if !title.is_empty() {
            title.push(' ');
        }
        title.push_str(word);
    }
    let whole = title.chars().count() == words.join(" ").chars().count();
    if title.is_empty() {
        // One word longer than a title: cut inside it.
        title = words[0].chars().take(TITLE_CHARS).collect();
    }
    if !whole {
        title.push('…');
    }
    title
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_first_line_is_the_title() {
        assert_eq!(
            title_from_text("  What is the capital of France?  \nMore text"),
            "What is the capital of France?"
        );
        assert_eq!(title_from_text("\n\n  hi   there \n"), "hi there");
    }

    #[test]
    fn long_lines_are_cut_on_a_word_boundary() {
        let text = "Explain the difference between supervised fine tuning and reinforcement learning from human feedback";
        let title = title_from_text(text);
        assert_eq!(
            title,
            "Explain the difference between supervised fine tuning and…"
        );
        assert!(title.chars().count() <= TITLE_CHARS + 1);
    }

    #[test]
    fn one_long_word_is_cut_inside() {
        let title = title_from_text(&"é".repeat(100));
        assert_eq!(title, format!("{}…", "é".repeat(TITLE_CHARS)));
    }

    #[test]
    fn model_answers_are_cleaned_into_titles() {
        assert_eq!(
            clean_title("\n  \"Paris, Capital of France.\"  \nMore").as_deref(),
            Some("Paris, Capital of France")
        );
        assert_eq!(
            clean_title("Title: **French Capitals**").as_deref(),
            Some("French Capitals")
        );
        assert_eq!(clean_title("“Dragons”").as_deref(), Some("Dragons"));
        assert_eq!(clean_title("  \n \"\" \n"), None);
        let long = clean_title(&"word ".repeat(40)).unwrap();
        assert!(long.chars().count() <= TITLE_CHARS + 1);
    }

    #[test]
    fn a_failed_or_empty_answer_falls_back_to_the_first_line() {
        let user = "What is the capital of France?";
        let ok = generated_title(user, "Paris.", |request| {
            assert_eq!(request.enable_thinking, Some(false));
            let prompt = request.messages[0]["content"].as_str().unwrap().to_owned();
            assert!(prompt.contains(user) && prompt.contains("Paris."));
            Ok::<_, String>("'French capital'\n".into())
        });
        assert_eq!(ok, "French capital");
        let failed = generated_title(user, "Paris.", |_| Err("queue full"));
        assert_eq!(failed, user);
        let empty = generated_title(user, "Paris.", |_| Ok::<_, String>("\n ".into()));
        assert_eq!(empty, user);
    }

    #[test]
    fn the_title_prompt_is_cut() {
        let request = title_request(&"a".repeat(5000), &"b".repeat(5000));
        let prompt = request.messages[0]["content"].as_str().unwrap();
        assert!(prompt.chars().count() < 2 * TITLE_CONTEXT_CHARS + 400);
        assert!(request.add_generation_prompt);
    }

    #[test]
    fn empty_text_gives_the_untitled_title() {
        assert_eq!(title_from_text("   \n  "), UNTITLED);
    }
}
