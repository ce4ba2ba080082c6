//! Comments on tasks, and the @mentions in them (a comment's body is a
//! [`crate::text::markdown_body`], like a message's).

/// The handles mentioned in a body (`@sam` → `sam`), lower-cased, each once, in order.
/// A handle is what precedes the `@` of a person's email address.
pub fn mentioned_handles(body: &str) -> Vec<String> {
    let mut handles: Vec<String> = Vec::new();
    let chars: Vec<char> = body.chars().collect();
    for (i, c) in chars.iter().enumerate() {
        let starts_word = i == 0 || !(chars[i - 1].is_alphanumeric() || matches!(chars[i - 1], '.' | '_' | '-' | '@'));
        if *c != '@' || !starts_word {
            continue;
        }
        let handle: String = chars[i + 1..]
            .iter()
            .take_while(|c| c.is_alphanumeric() || matches!(c, '.' | '_' | '-' | '+'))
            .collect::<String>()
            .trim_end_matches('.')
            .to_lowercase();
        if !handle.is_empty() && !handles.contains(&handle) {
            handles.push(handle);
        }
    }
    handles
}

/// The handle by which a person is mentioned: the part of the email before the `@`.
pub fn handle_of(email: &str) -> &str {
    email.split('@').next().unwrap_or(email)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mentions_are_found_once_and_emails_are_not_mentions() {
        assert_eq!(
            mentioned_handles("@Sam please check, cc @jo.lee. Thanks @sam"),
            vec!["sam", "jo.lee"]
        );
        assert!(mentioned_handles("write to billing@example.com").is_empty());
        assert!(mentioned_handles("a lone @ sign").is_empty());
        assert_eq!(handle_of("jo.lee@example.com"), "jo.lee");
    }
}
