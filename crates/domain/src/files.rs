//! Files: the rules for names, content types and how a file is served. Pure: the bytes come
//! from the app layer, which streams them to storage.

use crate::text::is_disallowed;
use crate::{Error, Result};

/// Longest file or folder name kept, in characters. Longer file names are shortened (the
/// extension is kept) rather than refused, so an upload is never lost to its name.
pub const MAX_NAME_CHARS: usize = 180;

/// How many leading bytes of an upload decide its type.
pub const SNIFF_BYTES: usize = 8192;

/// Default upload limit (the `files.max_upload_mb` setting).
pub const DEFAULT_MAX_UPLOAD_BYTES: u64 = 50 * 1024 * 1024;

/// A file name as stored: the last component of what the browser sent, without control or
/// direction-changing characters, without leading or trailing spaces and dots, at most
/// [`MAX_NAME_CHARS`] characters. Refused only when nothing usable is left.
pub fn parse_file_name(raw: &str) -> Result<String> {
    let name = clean_name(raw);
    if name.is_empty() {
        return Err(Error::invalid("name", "The file needs a name with at least one letter or digit."));
    }
    Ok(shorten_keeping_extension(&name))
}

/// A folder name: the same cleaning as a file name, but a slash is refused rather than cut
/// away (a folder is named, not uploaded), and so is a name that is too long.
pub fn parse_folder_name(raw: &str) -> Result<String> {
    if raw.contains(['/', '\\']) {
        return Err(Error::invalid("name", "A folder name cannot contain / or \\."));
    }
    let name = clean_name(raw);
    if name.is_empty() {
        return Err(Error::invalid("name", "The folder needs a name with at least one letter or digit."));
    }
    if name.chars().count() > MAX_NAME_CHARS {
        return Err(Error::invalid(
            "name",
            format!("A folder name has at most {MAX_NAME_CHARS} characters."),
        ));
    }
    Ok(name)
}

/// The key two names collide on: the same name in another case is the same file (as on the
/// file systems clients download to).
pub fn name_key(name: &str) -> String {
    name.to_lowercase()
}

fn clean_name(raw: &str) -> String {
    let last = raw.rsplit(['/', '\\']).next().unwrap_or_default();
    let visible: String = last.chars().filter(|c| !is_disallowed(*c)).collect();
    let trimmed = visible.trim_matches(|c: char| c.is_whitespace() || c == '.');
    if !trimmed.chars().any(char::is_alphanumeric) {
        return String::new();
    }
    // Names Windows reserves for devices would not save on a client's machine.
    let stem = trimmed.split('.').next().unwrap_or_default().to_ascii_uppercase();
    let reserved = matches!(stem.as_str(), "CON" | "PRN" | "AUX" | "NUL")
        || (stem.len() == 4 && (stem.starts_with("COM") || stem.starts_with("LPT")) && stem.ends_with(|c: char| c.is_ascii_digit()));
    if reserved { format!("_{trimmed}") } else { trimmed.to_owned() }
}

fn shorten_keeping_extension(name: &str) -> String {
    if name.chars().count() <= MAX_NAME_CHARS {
        return name.to_owned();
    }
    let extension = name
        .rsplit_once('.')
        .map(|(_, ext)| ext)
        .filter(|ext| !ext.is_empty() && ext.chars().count() <= 16);
    match extension {
        Some(ext) => {
            let stem: String = name.chars().take(MAX_NAME_CHARS - ext.chars().count() - 1).collect();
            format!("{}.{ext}", stem.trim_end())
        }
        None => name.chars().take(MAX_NAME_CHARS).collect::<String>().trim_end().to_owned(),
    }
}

/// What a file is, decided from its first bytes (and, for text, its name); never from the
/// type the uploader's browser claimed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ContentKind {
    pub mime: String,
    /// Types a browser would run (HTML, SVG, XML, scripts): served only as downloads, as
    /// `application/octet-stream`.
    pub risky: bool,
}

impl ContentKind {
    /// Whether a browser may show it in place (images, PDF, plain text); everything else is
    /// downloaded.
    pub fn inline(&self) -> bool {
        !self.risky && (self.is_image() || self.mime == "application/pdf" || self.mime.starts_with("text/plain"))
    }

    /// Images Portico can make thumbnails of.
    pub fn is_image(&self) -> bool {
        matches!(self.mime.as_str(), "image/png" | "image/jpeg" | "image/gif" | "image/webp")
    }

    /// The Content-Type to serve it with.
    pub fn served_type(&self) -> &str {
        if self.risky { "application/octet-stream" } else { &self.mime }
    }
}

/// Decides the type of an upload from its first [`SNIFF_BYTES`] bytes and its name.
pub fn sniff(head: &[u8], name: &str) -> ContentKind {
    let extension = name.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase()).unwrap_or_default();
    let script_extension = matches!(
        extension.as_str(),
        "html" | "htm" | "xhtml" | "shtml" | "svg" | "svgz" | "xml" | "xsl" | "js" | "mjs" | "php" | "swf" | "hta"
    );
    if let Some(kind) = infer::get(head) {
        let mime = kind.mime_type();
        let risky = script_extension || matches!(mime, "text/html" | "image/svg+xml" | "text/xml" | "application/xml");
        return ContentKind {
            mime: mime.to_owned(),
            risky,
        };
    }
    let text = looks_like_text(head);
    let markup = text && looks_like_markup(head);
    let mime = if markup {
        "text/html"
    } else if text {
        "text/plain; charset=utf-8"
    } else {
        "application/octet-stream"
    };
    stored_kind(mime, name)
}

/// The kind of a stored file from its recorded type and current name: risky when the type is
/// markup, or when the name would make a browser or desktop run it.
pub fn stored_kind(mime: &str, name: &str) -> ContentKind {
    let extension = name.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase()).unwrap_or_default();
    let script_extension = matches!(
        extension.as_str(),
        "html" | "htm" | "xhtml" | "shtml" | "svg" | "svgz" | "xml" | "xsl" | "js" | "mjs" | "php" | "swf" | "hta"
    );
    let markup = matches!(
        mime,
        "text/html" | "image/svg+xml" | "text/xml" | "application/xml" | "application/xhtml+xml"
    );
    ContentKind {
        mime: mime.to_owned(),
        risky: markup || script_extension,
    }
}

fn looks_like_text(head: &[u8]) -> bool {
    if head.contains(&0) {
        return false;
    }
    match std::str::from_utf8(head) {
        Ok(_) => true,
        // A multi-byte character cut off at the end of the sniffed bytes is still text.
        Err(e) => e.error_len().is_none() && e.valid_up_to() + 4 > head.len(),
    }
}

/// HTML, SVG or XML somewhere near the start: browsers sniff far and wide, so any of these
/// tags in the first bytes makes a text file risky.
fn looks_like_markup(head: &[u8]) -> bool {
    let lower = String::from_utf8_lossy(head).to_ascii_lowercase();
    [
        "<!doctype",
        "<html",
        "<head",
        "<body",
        "<script",
        "<svg",
        "<?xml",
        "<iframe",
        "<object",
        "<embed",
        "<meta",
        "<img",
        "<a ",
    ]
    .iter()
    .any(|tag| lower.contains(tag))
}

/// How a response hands a file to the browser.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Disposition {
    Inline,
    Attachment,
}

/// A `Content-Disposition` value with the original name (RFC 6266): an ASCII `filename` for old
/// clients, and `filename*` in UTF-8 percent-encoding (RFC 5987) with the exact name.
pub fn content_disposition(disposition: Disposition, name: &str) -> String {
    let kind = match disposition {
        Disposition::Inline => "inline",
        Disposition::Attachment => "attachment",
    };
    let fallback: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() && c != '"' && c != '\\' && c != '%' || c == ' ' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let mut encoded = String::new();
    for byte in name.bytes() {
        if byte.is_ascii_alphanumeric() || b"!#$&+-.^_`|~".contains(&byte) {
            encoded.push(byte as char);
        } else {
            encoded.push_str(&format!("%{byte:02X}"));
        }
    }
    format!("{kind}; filename=\"{fallback}\"; filename*=UTF-8''{encoded}")
}

/// Human-readable size in the binary units file managers and upload limits use (1 MB =
/// 1,048,576 bytes): 0 B, 512 B, 1.5 KB, 50 MB, 1.2 GB.
pub fn format_size(bytes: u64) -> String {
    const UNITS: [&str; 4] = ["KB", "MB", "GB", "TB"];
    if bytes < 1024 {
        return format!("{bytes} B");
    }
    let mut value = bytes as f64 / 1024.0;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    if value < 10.0 {
        format!("{value:.1} {}", UNITS[unit])
    } else {
        format!("{value:.0} {}", UNITS[unit])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_path_in_a_name_keeps_only_its_last_part() {
        assert_eq!(parse_file_name("../../etc/passwd").unwrap(), "passwd");
        assert_eq!(parse_file_name("/var/www/index.php").unwrap(), "index.php");
        assert_eq!(parse_file_name("C:\\Users\\ann\\brief.pdf").unwrap(), "brief.pdf");
        assert_eq!(parse_file_name("  report final.docx  ").unwrap(), "report final.docx");
    }

    #[test]
    fn control_and_direction_characters_are_removed() {
        assert_eq!(parse_file_name("in\u{0}voice.pdf").unwrap(), "invoice.pdf");
        assert_eq!(parse_file_name("a\tb\nc.txt").unwrap(), "abc.txt");
        // "photo\u{202E}gpj.exe" would display as "photoexe.jpg".
        assert_eq!(parse_file_name("photo\u{202E}gpj.exe").unwrap(), "photogpj.exe");
    }

    #[test]
    fn names_of_only_dots_or_nothing_are_refused() {
        for raw in ["", "   ", ".", "..", "...", "../..", "/", "\u{202E}", "._ ."] {
            assert!(parse_file_name(raw).is_err(), "{raw:?}");
        }
        assert_eq!(parse_file_name(".env").unwrap(), "env");
    }

    #[test]
    fn long_names_are_shortened_keeping_the_extension() {
        let name = parse_file_name(&format!("{}.pdf", "a".repeat(10_000))).unwrap();
        assert_eq!(name.chars().count(), MAX_NAME_CHARS);
        assert!(name.ends_with("aaa.pdf"));
        let plain = parse_file_name(&"é".repeat(10_000)).unwrap();
        assert_eq!(plain.chars().count(), MAX_NAME_CHARS);
    }

    #[test]
    fn device_names_are_prefixed() {
        assert_eq!(parse_file_name("CON.txt").unwrap(), "_CON.txt");
        assert_eq!(parse_file_name("lpt1").unwrap(), "_lpt1");
        assert_eq!(parse_file_name("console.txt").unwrap(), "console.txt");
    }

    #[test]
    fn folder_names_refuse_slashes_and_length() {
        assert!(parse_folder_name("a/b").is_err());
        assert!(parse_folder_name("..").is_err());
        assert!(parse_folder_name(&"x".repeat(MAX_NAME_CHARS + 1)).is_err());
        assert_eq!(parse_folder_name(" Designs ").unwrap(), "Designs");
    }

    #[test]
    fn the_type_comes_from_the_bytes() {
        let png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR";
        assert_eq!(sniff(png, "notes.txt").mime, "image/png");
        assert!(sniff(png, "notes.txt").inline());
        assert_eq!(sniff(b"%PDF-1.7\n", "x.bin").mime, "application/pdf");
        assert_eq!(sniff(b"hello\n", "readme").mime, "text/plain; charset=utf-8");
        assert_eq!(sniff(&[0xff, 0x00, 0x13, 0x37], "a.png").mime, "application/octet-stream");
    }

    #[test]
    fn markup_and_scripts_are_risky_whatever_they_are_called() {
        for (head, name) in [
            (&b"<!DOCTYPE html><p>hi"[..], "cv.pdf"),
            (b"  <svg xmlns='http://www.w3.org/2000/svg'><script>", "logo.png"),
            (b"<?xml version='1.0'?><x/>", "data.txt"),
            (b"alert(1)", "app.js"),
            (b"plain words", "page.html"),
        ] {
            let kind = sniff(head, name);
            assert!(kind.risky, "{name}");
            assert!(!kind.inline(), "{name}");
            assert_eq!(kind.served_type(), "application/octet-stream");
        }
    }

    #[test]
    fn text_cut_inside_a_character_is_still_text() {
        let mut head = "résumé ".repeat(10).into_bytes();
        head.push(0xc3);
        assert_eq!(sniff(&head, "cv").mime, "text/plain; charset=utf-8");
    }

    #[test]
    fn content_disposition_carries_the_exact_name() {
        assert_eq!(
            content_disposition(Disposition::Attachment, "Plan (v2).pdf"),
            "attachment; filename=\"Plan (v2).pdf\"; filename*=UTF-8''Plan%20%28v2%29.pdf"
        );
        assert_eq!(
            content_disposition(Disposition::Inline, "Ünïcødé \"q\".png"),
            "inline; filename=\"_n_c_d_ _q_.png\"; filename*=UTF-8''%C3%9Cn%C3%AFc%C3%B8d%C3%A9%20%22q%22.png"
        );
    }

    #[test]
    fn sizes_read_like_a_file_manager() {
        assert_eq!(format_size(0), "0 B");
        assert_eq!(format_size(1023), "1023 B");
        assert_eq!(format_size(1_536), "1.5 KB");
        assert_eq!(format_size(DEFAULT_MAX_UPLOAD_BYTES), "50 MB");
        assert_eq!(format_size(1_288_490_189), "1.2 GB");
    }
}
