//! CSV (RFC 4180) for the exports. Text is quoted where needed and defused, so that a
//! spreadsheet never runs what a person typed; figures are written as they are, so that a
//! negative amount stays a number.

/// One field of a row.
pub enum Cell<'a> {
    Text(&'a str),
    /// A number as the export prints it (`-12.50`); only digits, one `-` and one `.`.
    Figure(String),
}

/// A row, with its line ending.
pub fn row(cells: &[Cell<'_>]) -> String {
    let mut line = cells
        .iter()
        .map(|cell| match cell {
            Cell::Text(value) => text(value),
            Cell::Figure(value) => value.clone(),
        })
        .collect::<Vec<_>>()
        .join(",");
    line.push_str("\r\n");
    line
}

/// A text field, quoted when it holds a separator, and defused when a spreadsheet would
/// read it as a formula.
pub fn text(value: &str) -> String {
    let value = if value.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{value}")
    } else {
        value.to_owned()
    };
    if value.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", value.replace('"', "\"\""))
    } else {
        value
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_quoted_and_defused_and_figures_stay_numbers() {
        assert_eq!(text("plain"), "plain");
        assert_eq!(text("a,b"), "\"a,b\"");
        assert_eq!(text("say \"hi\"\nbye"), "\"say \"\"hi\"\"\nbye\"");
        assert_eq!(text("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
        assert_eq!(text("-1"), "'-1");
        assert_eq!(
            row(&[Cell::Text("Acme, Inc."), Cell::Figure("-12.50".into())]),
            "\"Acme, Inc.\",-12.50\r\n"
        );
    }
}
