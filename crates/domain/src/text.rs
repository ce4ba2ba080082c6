//! Validation of free text from forms and the API: one place decides what a name, a line or a
//! Markdown body may hold, and every error names its field.

use crate::{Error, Result};

/// Text a person could not have meant on one line: control characters and bidirectional
/// overrides that disguise what is displayed.
pub fn has_disallowed_characters(text: &str) -> bool {
    text.chars().any(is_disallowed)
}

/// A control character, or one that changes the direction text is displayed in.
pub fn is_disallowed(c: char) -> bool {
    c.is_control() || is_bidi_override(c)
}

fn is_bidi_override(c: char) -> bool {
    ('\u{202A}'..='\u{202E}').contains(&c) || ('\u{2066}'..='\u{2069}').contains(&c)
}

/// A required single line (a name, a title): trimmed, 1 to `max` characters.
pub fn required_line(field: &'static str, raw: &str, max: usize) -> Result<String> {
    let line = optional_line(field, raw, max)?;
    if line.is_empty() {
        return Err(Error::invalid(field, format!("{} is required", label(field))));
    }
    Ok(line)
}

/// An optional single line: trimmed, at most `max` characters, possibly empty.
pub fn optional_line(field: &'static str, raw: &str, max: usize) -> Result<String> {
    let line = raw.trim();
    check_length(field, line, max)?;
    if has_disallowed_characters(line) {
        return Err(Error::invalid(
            field,
            format!("{} contains characters that cannot be displayed", label(field)),
        ));
    }
    Ok(line.to_owned())
}

/// The longest comment or message, in characters.
pub const MAX_BODY: usize = 10_000;

/// What a person writes to others in Markdown — a comment, a message: required (not only
/// blank), at most [`MAX_BODY`] characters.
pub fn markdown_body(raw: &str) -> Result<String> {
    let body = multi_line("body", raw, MAX_BODY)?;
    if body.trim().is_empty() {
        return Err(Error::invalid("body", "write something first"));
    }
    Ok(body)
}

/// Multi-line text (an address, a description, a comment): line endings normalised to `\n`,
/// trailing space trimmed, at most `max` characters, possibly empty.
pub fn multi_line(field: &'static str, raw: &str, max: usize) -> Result<String> {
    let text = raw.replace("\r\n", "\n").replace('\r', "\n");
    let text = text.trim_end();
    let text = text.trim_start_matches('\n');
    check_length(field, text, max)?;
    if text
        .chars()
        .any(|c| is_bidi_override(c) || (c.is_control() && c != '\n' && c != '\t'))
    {
        return Err(Error::invalid(
            field,
            format!("{} contains characters that cannot be displayed", label(field)),
        ));
    }
    Ok(text.to_owned())
}

fn check_length(field: &'static str, text: &str, max: usize) -> Result<()> {
    if text.chars().count() > max {
        return Err(Error::invalid(field, format!("{} must be at most {max} characters", label(field))));
    }
    Ok(())
}

/// The field's name as words: `billing_address` → "billing address".
fn label(field: &str) -> String {
    let words = field.replace('_', " ");
    let mut chars = words.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => words,
    }
}

/// A date from a form or the API: ISO 8601 (`2026-12-31`), empty for none.
pub fn optional_date(field: &'static str, raw: &str) -> Result<Option<chrono::NaiveDate>> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Ok(None);
    }
    chrono::NaiveDate::parse_from_str(raw, "%Y-%m-%d")
        .map(Some)
        .map_err(|_| Error::invalid(field, format!("{} must be a date like 2026-12-31", label(field))))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_empty_or_oversized_comment_or_message_is_refused() {
        assert_eq!(markdown_body(" \n ").unwrap_err().field(), Some("body"));
        assert_eq!(markdown_body(&"x".repeat(MAX_BODY + 1)).unwrap_err().field(), Some("body"));
        assert_eq!(markdown_body("Looks **good**\r\n").unwrap(), "Looks **good**");
    }

    #[test]
    fn lines_are_trimmed_bounded_and_clean() {
        assert_eq!(required_line("name", "  Acme  ", 10).unwrap(), "Acme");
        assert_eq!(required_line("name", "   ", 10).unwrap_err().to_string(), "Name is required");
        assert!(required_line("name", "a\u{0}b", 10).is_err());
        assert!(required_line("name", "a\nb", 10).is_err());
        assert!(required_line("name", "evil\u{202E}txt", 10).is_err());
        assert_eq!(
            required_line("tax_id", &"x".repeat(11), 10).unwrap_err().to_string(),
            "Tax id must be at most 10 characters"
        );
        assert_eq!(optional_line("phone", "", 10).unwrap(), "");
    }

    #[test]
    fn multi_line_text_keeps_newlines_and_normalises_them() {
        assert_eq!(multi_line("notes", "one\r\ntwo\rthree\n\n", 100).unwrap(), "one\ntwo\nthree");
        assert_eq!(multi_line("notes", "\tindented", 100).unwrap(), "\tindented");
        assert!(multi_line("notes", "bell\u{7}", 100).is_err());
    }

    #[test]
    fn dates_are_iso_or_empty() {
        assert_eq!(optional_date("deadline", "").unwrap(), None);
        assert_eq!(
            optional_date("deadline", "2026-02-28").unwrap(),
            chrono::NaiveDate::from_ymd_opt(2026, 2, 28)
        );
        assert_eq!(
            optional_date("deadline", "2026-02-30").unwrap_err().to_string(),
            "Deadline must be a date like 2026-12-31"
        );
    }
}
