//! Byte offsets from parsers become the 1-based line and column a person reads.

/// Line and column (1-based) of the byte `offset` in `text`.
///
/// Columns count characters, not bytes, so they match what an editor shows for
/// non-ASCII code. `\n`, `\r\n` and a lone `\r` each end a line. Offsets past the
/// end or inside a character are clamped rather than trusted.
pub(crate) fn line_column(text: &str, offset: usize) -> (u32, u32) {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &text.as_bytes()[..offset];
    let mut line: usize = 1;
    let mut line_start = 0;
    for (index, byte) in before.iter().enumerate() {
        let ends_line = match byte {
            b'\n' => true,
            b'\r' => before.get(index + 1) != Some(&b'\n'),
            _ => false,
        };
        if ends_line {
            line += 1;
            line_start = index + 1;
        }
    }
    let column = text[line_start..offset].chars().count() + 1;
    (saturate(line), saturate(column))
}

fn saturate(value: usize) -> u32 {
    u32::try_from(value).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests {
    use super::line_column;

    #[test]
    fn first_character_is_line_one_column_one() {
        assert_eq!(line_column("abc", 0), (1, 1));
        assert_eq!(line_column("", 0), (1, 1));
    }

    #[test]
    fn counts_lines_and_characters() {
        let text = "a\nbc\r\néd\rx";
        assert_eq!(line_column(text, 3), (2, 2));
        assert_eq!(line_column(text, 8), (3, 2));
        assert_eq!(line_column(text, 10), (4, 1));
    }

    #[test]
    fn clamps_bad_offsets() {
        assert_eq!(line_column("é", 1), (1, 1));
        assert_eq!(line_column("ab", 99), (1, 3));
    }
}
