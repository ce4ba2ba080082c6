//! Markdown for descriptions and comments, rendered safe by construction: raw HTML in the
//! source is shown as text, and links and images keep only http(s), mailto and relative
//! addresses. Nothing a person types can become markup we did not write.

use pulldown_cmark::{Event, Options, Parser, Tag, html};

pub fn to_html(source: &str) -> String {
    let options = Options::ENABLE_STRIKETHROUGH | Options::ENABLE_TABLES | Options::ENABLE_TASKLISTS;
    let events = Parser::new_ext(source, options).map(|event| match event {
        Event::Html(raw) | Event::InlineHtml(raw) => Event::Text(raw),
        Event::Start(Tag::Link {
            link_type,
            dest_url,
            title,
            id,
        }) => Event::Start(Tag::Link {
            link_type,
            dest_url: if is_safe_url(&dest_url) { dest_url } else { "#".into() },
            title,
            id,
        }),
        // An image would make every reader's browser fetch an address someone chose.
        Event::Start(Tag::Image { dest_url, .. }) => Event::Start(Tag::Link {
            link_type: pulldown_cmark::LinkType::Inline,
            dest_url: if is_safe_url(&dest_url) { dest_url } else { "#".into() },
            title: "".into(),
            id: "".into(),
        }),
        Event::End(pulldown_cmark::TagEnd::Image) => Event::End(pulldown_cmark::TagEnd::Link),
        other => other,
    });
    let mut out = String::with_capacity(source.len() + source.len() / 2);
    html::push_html(&mut out, events);
    out
}

fn is_safe_url(url: &str) -> bool {
    let lower = url.trim().to_ascii_lowercase();
    match lower.split_once(':') {
        Some((scheme, _)) if !scheme.contains('/') && !scheme.contains('?') && !scheme.contains('#') => {
            matches!(scheme, "http" | "https" | "mailto")
        }
        _ => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raw_html_is_shown_as_text() {
        let html = to_html("Hello <script>alert(1)</script> **world**\n\n<img src=x onerror=alert(1)>");
        assert!(!html.contains("<script"), "{html}");
        assert!(!html.contains("<img"), "{html}");
        assert!(html.contains("&lt;script&gt;"), "{html}");
        assert!(html.contains("<strong>world</strong>"));
    }

    #[test]
    fn only_safe_links_survive() {
        assert!(to_html("[x](javascript:alert(1))").contains("href=\"#\""));
        assert!(to_html("[x](JavaScript:alert(1))").contains("href=\"#\""));
        assert!(to_html("[x](data:text/html,hi)").contains("href=\"#\""));
        assert!(to_html("[x](https://example.com/a?b=1)").contains("href=\"https://example.com/a?b=1\""));
        assert!(to_html("[x](/portal)").contains("href=\"/portal\""));
        let image = to_html("![logo](https://tracker.example/pixel.gif)");
        assert!(
            !image.contains("<img") && image.contains("<a href=\"https://tracker.example/pixel.gif\">logo</a>"),
            "{image}"
        );
    }
}
