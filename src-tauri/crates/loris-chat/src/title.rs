//! A thread's first title, taken from its first user message at once (no model call): the first
//! non-empty line, whitespace collapsed, cut on a word boundary. A model-written title can
//! replace it later through `ChatStore::set_title`.

/// Titles are cut to about this many characters.
pub const TITLE_CHARS: usize = 60;

/// The title of a thread whose first message says nothing.
pub const UNTITLED: &str = "New chat";

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
    fn empty_text_gives_the_untitled_title() {
        assert_eq!(title_from_text("   \n  "), UNTITLED);
    }
}
