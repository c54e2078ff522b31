//! Answers sized for a model's context: one cut, at a character boundary,
//! with a note that says how much was left out and how to get the rest.

/// What an answer may hold unless the caller asks for more.
pub const DEFAULT_BYTES: usize = 24 * 1024;
/// The most a caller may ask for.
pub const MAX_BYTES: usize = 256 * 1024;

/// `text` cut to `max` bytes, with a note when it was.
pub fn cap(mut text: String, max: usize, how_to_see_more: &str) -> String {
    if text.len() <= max {
        return text;
    }
    let total = text.len();
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    text.truncate(end);
    text.push_str(&format!(
        "\n\n[trace_claude: cut here, after {end} of {total} bytes. {how_to_see_more}]"
    ));
    text
}

/// The cap a caller asked for, within bounds.
pub fn limit(asked: Option<u32>) -> usize {
    asked.map_or(DEFAULT_BYTES, |n| (n as usize).clamp(1024, MAX_BYTES))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_answers_are_left_alone() {
        assert_eq!(cap("abc".into(), 10, "x"), "abc");
    }

    #[test]
    fn long_answers_are_cut_at_a_character_and_say_so() {
        let text = "é".repeat(10); // 20 bytes
        let cut = cap(text, 5, "Ask for less.");
        assert!(
            cut.starts_with("éé\n\n[trace_claude: cut here, after 4 of 20 bytes. Ask for less.]"),
            "{cut}"
        );
    }

    #[test]
    fn the_asked_limit_is_kept_within_bounds() {
        assert_eq!(limit(None), DEFAULT_BYTES);
        assert_eq!(limit(Some(10)), 1024);
        assert_eq!(limit(Some(u32::MAX)), MAX_BYTES);
        assert_eq!(limit(Some(4096)), 4096);
    }
}
