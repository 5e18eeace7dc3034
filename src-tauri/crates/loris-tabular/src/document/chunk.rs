//! Splitting text into overlapping chunks for unstructured seeds.
//!
//! Sizes count `char`s, not bytes, so a chunk limit means the same for English and for CJK
//! text. A chunk prefers to end at a paragraph break, then a line break, then a space, but only
//! if that break lies in the last 40% of the window: an earlier cut would throw away most of the
//! window to save a word. Each next chunk starts `overlap` chars before the previous one ended,
//! and always at least one char later than the previous start, so splitting terminates for any
//! settings.

pub const DEFAULT_CHUNK_SIZE: usize = 1200;
pub const DEFAULT_CHUNK_OVERLAP: usize = 200;
pub const MAX_CHUNK_SIZE: usize = 20_000;

/// Chunks of at most `size` chars (clamped to `1..=20000`), consecutive chunks overlapping by
/// `overlap` chars (clamped below `size`). Chunks are trimmed; whitespace-only ones are dropped.
pub fn split_into_chunks(text: &str, size: usize, overlap: usize) -> Vec<String> {
    let size = size.clamp(1, MAX_CHUNK_SIZE);
    let overlap = overlap.min(size - 1);
    let chars: Vec<char> = text.chars().collect();
    let len = chars.len();
    let mut chunks = Vec::new();
    let mut start = 0;
    while start < len {
        let window_end = (start + size).min(len);
        let end = if window_end < len {
            break_point(&chars[start..window_end]).map_or(window_end, |cut| start + cut)
        } else {
            window_end
        };
        let piece: String = chars[start..end].iter().collect();
        let piece = piece.trim();
        if !piece.is_empty() {
            chunks.push(piece.to_owned());
        }
        if end >= len {
            break;
        }
        start = end.saturating_sub(overlap).max(start + 1);
    }
    chunks
}

/// Where to cut a full window: just after the last paragraph break, line break or whitespace
/// found in its last 40%, in that order of preference. `None` cuts at the window's end.
fn break_point(window: &[char]) -> Option<usize> {
    let earliest = window.len() - window.len() * 2 / 5;
    let tail = window.get(earliest..)?;
    let last = |matches: &dyn Fn(usize) -> bool| (0..tail.len()).rev().find(|&i| matches(i));
    let paragraph = last(&|i| tail[i] == '\n' && tail.get(i + 1) == Some(&'\n'));
    if let Some(i) = paragraph {
        return Some(earliest + i + 2);
    }
    let line = last(&|i| tail[i] == '\n');
    if let Some(i) = line {
        return Some(earliest + i + 1);
    }
    last(&|i| tail[i].is_whitespace()).map(|i| earliest + i + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_overlap_without_breaks() {
        let text: String = ('a'..='z').cycle().take(100).collect();
        let chunks = split_into_chunks(&text, 30, 10);
        for pair in chunks.windows(2) {
            let prev: Vec<char> = pair[0].chars().collect();
            let next: Vec<char> = pair[1].chars().collect();
            assert_eq!(prev.len(), 30);
            assert_eq!(&prev[20..], &next[..10]);
        }
        // Starts at 0, 20, 40, 60, 80: the last window holds the final 20 chars.
        assert_eq!(chunks.len(), 5);
        assert_eq!(chunks[4], text[80..]);
    }

    #[test]
    fn sizes_never_exceed_the_limit_and_count_chars() {
        let text = "日本語のテキスト。".repeat(50) + "\n\n" + &"é".repeat(300);
        for (size, overlap) in [(1, 0), (7, 3), (50, 49), (64, 10), (1000, 0)] {
            let chunks = split_into_chunks(&text, size, overlap);
            assert!(!chunks.is_empty());
            for chunk in &chunks {
                assert!(chunk.chars().count() <= size, "{size}/{overlap}: {chunk}");
            }
        }
    }

    #[test]
    fn paragraph_break_beats_line_break_beats_space() {
        // Window of 20: "\n\n" at 14..16 lies in the last 40% (from 12).
        let text = "aaaa bbbb\ncccc\n\ndd eeeeeeeeeeeeeeee";
        let chunks = split_into_chunks(text, 20, 0);
        assert_eq!(chunks[0], "aaaa bbbb\ncccc");

        let text = "aaaa bbbb cc\ndd eeeeeeeeeeeeeeeeeeee";
        let chunks = split_into_chunks(text, 20, 0);
        assert_eq!(chunks[0], "aaaa bbbb cc");

        let text = "aaaaaaaaaaaaa bbbbbbbbbbbbbbbb";
        let chunks = split_into_chunks(text, 20, 0);
        assert_eq!(chunks[0], "aaaaaaaaaaaaa");
        assert_eq!(chunks[1], "bbbbbbbbbbbbbbbb");
    }

    #[test]
    fn breaks_early_in_the_window_are_ignored() {
        // The only space is at index 3, outside the last 40% of a 20-char window.
        let text = "aaa bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";
        let chunks = split_into_chunks(text, 20, 0);
        assert_eq!(chunks[0].chars().count(), 20);
    }

    #[test]
    fn whitespace_only_chunks_are_skipped_and_progress_is_guaranteed() {
        let text = format!("abc{}def", " ".repeat(40));
        let chunks = split_into_chunks(&text, 10, 9);
        assert!(chunks.iter().all(|c| !c.trim().is_empty()));
        assert!(chunks.first().is_some_and(|c| c.starts_with("abc")));
        assert!(chunks.last().is_some_and(|c| c.ends_with("def")));
        assert!(split_into_chunks("", 10, 2).is_empty());
        assert!(split_into_chunks("   \n\n  ", 3, 1).is_empty());
    }

    #[test]
    fn settings_are_clamped() {
        let text = "abcdef";
        assert_eq!(
            split_into_chunks(text, 0, 5),
            vec!["a", "b", "c", "d", "e", "f"]
        );
        assert_eq!(split_into_chunks(text, 100_000, 0), vec!["abcdef"]);
        // Overlap at or past the size is clamped to size - 1.
        assert_eq!(
            split_into_chunks(text, 3, 99),
            vec!["abc", "bcd", "cde", "def"]
        );
    }
}
