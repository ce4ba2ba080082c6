//! Invoice PDFs, typeset with Typst from one fixed template. The data goes in as a JSON file
//! the template reads, so nothing a person typed is ever read as markup; the fonts (Liberation
//! Sans, SIL Open Font License) are built in and embedded in every PDF. No file, package or
//! network access: the template sees its data, the logo and nothing else.

use serde::Serialize;
use std::sync::Arc;
use typst::diag::{FileError, FileResult, SourceDiagnostic};
use typst::foundations::{Bytes, Datetime, Duration};
use typst::syntax::{FileId, RootedPath, Source, VirtualPath, VirtualRoot};
use typst::text::{Font, FontBook};
use typst::utils::LazyHash;
use typst::{Library, LibraryExt, World};
use typst_layout::PagedDocument;

const TEMPLATE: &str = include_str!("invoice.typ");
const FONTS: &[&[u8]] = &[
    include_bytes!("../fonts/LiberationSans-Regular.ttf"),
    include_bytes!("../fonts/LiberationSans-Bold.ttf"),
];

/// A party on the invoice: the business or the client.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Party {
    pub name: String,
    pub address: Vec<String>,
    pub tax_id: String,
}

/// A line as printed.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Line {
    pub description: String,
    pub quantity: String,
    pub unit_price: String,
    pub taxes: String,
    pub amount: String,
    /// Empty for none.
    pub discount: String,
}

/// A row of the totals block.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Total {
    pub label: String,
    pub amount: String,
    /// The total and the balance due stand out.
    pub strong: bool,
}

/// Everything the PDF prints, already formatted: the same figures as the invoice page.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Invoice {
    /// `#rrggbb`.
    pub brand_color: String,
    /// "Invoice" or "Credit note".
    pub title: String,
    pub number: String,
    /// Printed large under the number: "Paid", "Void"; none otherwise.
    pub stamp: Option<String>,
    pub business: Party,
    pub client: Party,
    /// Label and value: issue date, due date, currency, project.
    pub facts: Vec<(String, String)>,
    pub lines: Vec<Line>,
    pub totals: Vec<Total>,
    /// Heading and text: notes, terms.
    pub sections: Vec<(String, String)>,
    pub footer: String,
}

/// The logo's image formats Typst reads.
const LOGO_TYPES: [&str; 4] = ["png", "jpg", "svg", "webp"];

/// The typesetter: fonts, library and template, loaded once and shared by every render (and
/// every thread).
pub struct Renderer {
    library: LazyHash<Library>,
    book: LazyHash<FontBook>,
    fonts: Vec<Font>,
    main: Source,
    data_id: FileId,
    logo: Option<(FileId, Bytes)>,
}

fn virtual_file(path: &str) -> FileId {
    RootedPath::new(VirtualRoot::Project, VirtualPath::new(path).expect("a valid virtual path")).intern()
}

#[derive(Serialize)]
struct Data<'a> {
    #[serde(flatten)]
    invoice: &'a Invoice,
    /// The logo's virtual path, when there is one.
    logo: Option<&'static str>,
}

impl Renderer {
    /// With the brand logo's bytes and type (`png`, `jpg`, `svg`, `webp`); another type is
    /// left out and the business name printed instead.
    pub fn new(logo: Option<(Vec<u8>, &str)>) -> Arc<Renderer> {
        let fonts: Vec<Font> = FONTS.iter().flat_map(|bytes| Font::iter(Bytes::new(*bytes))).collect();
        let logo = logo
            .and_then(|(bytes, kind)| LOGO_TYPES.iter().find(|t| **t == kind).map(|t| (bytes, *t)))
            .map(|(bytes, kind)| (virtual_file(&format!("/logo.{kind}")), Bytes::new(bytes)));
        Arc::new(Renderer {
            library: LazyHash::new(Library::default()),
            book: LazyHash::new(FontBook::from_fonts(&fonts)),
            fonts,
            main: Source::new(virtual_file("/invoice.typ"), TEMPLATE.to_owned()),
            data_id: virtual_file("/data.json"),
            logo,
        })
    }

    /// Typesets one invoice. CPU-bound (about 15 ms): call it off the async runtime.
    pub fn render(&self, invoice: &Invoice) -> Result<Vec<u8>, String> {
        let logo_path = self.logo.as_ref().map(|(id, _)| match id.vpath().get_with_slash() {
            p if p.ends_with(".png") => "/logo.png",
            p if p.ends_with(".jpg") => "/logo.jpg",
            p if p.ends_with(".svg") => "/logo.svg",
            _ => "/logo.webp",
        });
        let data = serde_json::to_vec(&Data { invoice, logo: logo_path }).map_err(|e| e.to_string())?;
        let world = InvoiceWorld {
            renderer: self,
            data: Bytes::new(data),
        };
        let document: Result<PagedDocument, String> = typst::compile(&world).output.map_err(|e| describe(&e));
        let pdf = document.and_then(|d| typst_pdf::pdf(&d, &typst_pdf::PdfOptions::default()).map_err(|e| describe(&e)));
        // Typst's memo cache is global and grows with every distinct document: keep only
        // what recent renders used.
        typst::comemo::evict(10);
        pdf
    }
}

fn describe(errors: &[SourceDiagnostic]) -> String {
    errors.iter().map(|e| e.message.to_string()).collect::<Vec<_>>().join("; ")
}

struct InvoiceWorld<'a> {
    renderer: &'a Renderer,
    data: Bytes,
}

impl World for InvoiceWorld<'_> {
    fn library(&self) -> &LazyHash<Library> {
        &self.renderer.library
    }

    fn book(&self) -> &LazyHash<FontBook> {
        &self.renderer.book
    }

    fn main(&self) -> FileId {
        self.renderer.main.id()
    }

    fn source(&self, id: FileId) -> FileResult<Source> {
        if id == self.renderer.main.id() {
            Ok(self.renderer.main.clone())
        } else {
            Err(FileError::NotSource)
        }
    }

    fn file(&self, id: FileId) -> FileResult<Bytes> {
        if id == self.renderer.data_id {
            return Ok(self.data.clone());
        }
        match &self.renderer.logo {
            Some((logo, bytes)) if *logo == id => Ok(bytes.clone()),
            // Nothing else: no files, no packages.
            _ => Err(FileError::AccessDenied),
        }
    }

    fn font(&self, index: usize) -> Option<Font> {
        self.renderer.fonts.get(index).cloned()
    }

    /// The template prints the dates it is given; it never asks for today.
    fn today(&self, _offset: Option<Duration>) -> Option<Datetime> {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Invoice {
        Invoice {
            brand_color: "#2f5bea".into(),
            title: "Invoice".into(),
            number: "INV-2026-0042".into(),
            stamp: Some("Paid".into()),
            business: Party {
                name: "Portico Studio Ltd".into(),
                address: vec!["12 Harbour Street".into(), "Bristol".into()],
                tax_id: "GB 123".into(),
            },
            client: Party {
                name: r#"Müller & Söhne #1 $5 *bold* _x_ [a] \b "q" <l> @r // c /* d */ `t`"#.into(),
                address: vec!["Rue du #Test 3 [bis]".into()],
                tax_id: String::new(),
            },
            facts: vec![("Issued".into(), "29 Nov 2026".into()), ("Currency".into(), "EUR".into())],
            lines: vec![Line {
                description: "#set text(red) $x^2$ *not bold*".into(),
                quantity: "3".into(),
                unit_price: "120.50".into(),
                taxes: "VAT 20%".into(),
                amount: "361.50".into(),
                discount: String::new(),
            }],
            totals: vec![Total {
                label: "Total".into(),
                amount: "EUR 433.80".into(),
                strong: true,
            }],
            sections: vec![("Notes".into(), "Thank you.".into())],
            footer: "Portico Studio Ltd".into(),
        }
    }

    /// What one of poppler's tools (installed by `.ci/run`) says of a PDF.
    fn poppler(tool: &str, pdf: &[u8]) -> String {
        static FILES: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = FILES.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let file = std::env::temp_dir().join(format!("portico-pdf-{}-{n}.pdf", std::process::id()));
        std::fs::write(&file, pdf).unwrap();
        let mut command = std::process::Command::new(tool);
        if tool == "pdftotext" {
            command.arg(&file).arg("-");
        } else {
            command.arg(&file);
        }
        let out = command
            .output()
            .unwrap_or_else(|e| panic!("{tool} (poppler-utils) is needed to read the PDFs back: {e}"));
        std::fs::remove_file(&file).ok();
        String::from_utf8(out.stdout).unwrap()
    }

    /// The PDF's text with every run of white space made one space (a long name wraps).
    fn text_of(pdf: &[u8]) -> String {
        let text = poppler("pdftotext", pdf).split_whitespace().collect::<Vec<_>>().join(" ");
        assert!(!text.is_empty(), "pdftotext read no text from the PDF");
        text
    }

    #[test]
    fn an_invoice_renders_as_a_whole_pdf() {
        let pdf = Renderer::new(None).render(&sample()).unwrap();
        assert!(pdf.starts_with(b"%PDF-") && pdf.trim_ascii_end().ends_with(b"%%EOF"));
        // A logo typst cannot read is left out rather than failing the invoice.
        let pdf = Renderer::new(Some((b"GIF89a".to_vec(), "gif"))).render(&sample()).unwrap();
        assert!(pdf.starts_with(b"%PDF-"));
    }

    // Reading PDFs back needs poppler-utils: the PDF text suite, `PORTICO_TEST_PDF_TEXT=1` (as
    // in `.ci/run`, which installs them).
    #[test]
    #[cfg_attr(
        not(portico_pdf_text_suite),
        ignore = "PDF text suite off: set PORTICO_TEST_PDF_TEXT=1 (needs poppler-utils) to run it"
    )]
    fn what_people_typed_is_printed_literally_with_fonts_embedded() {
        let renderer = Renderer::new(None);
        let invoice = sample();
        let pdf = renderer.render(&invoice).unwrap();
        let text = text_of(&pdf);
        for expected in [
            invoice.client.name.as_str(),
            "#set text(red) $x^2$ *not bold*",
            "Rue du #Test 3 [bis]",
            "INV-2026-0042",
            "EUR 433.80",
            "PAID",
        ] {
            assert!(text.contains(expected), "{expected:?} missing from:\n{text}");
        }
        // Every font is embedded (as a subset): the PDF looks the same on any machine.
        let fonts = poppler("pdffonts", &pdf);
        let rows: Vec<&str> = fonts.lines().skip(2).collect();
        assert!(
            !rows.is_empty() && rows.iter().all(|r| r.contains("LiberationSans") && r.contains(" yes yes ")),
            "{fonts}"
        );
    }

    #[test]
    #[cfg_attr(
        not(portico_pdf_text_suite),
        ignore = "PDF text suite off: set PORTICO_TEST_PDF_TEXT=1 (needs poppler-utils) to run it"
    )]
    fn a_logo_of_a_type_typst_cannot_read_is_left_out() {
        let renderer = Renderer::new(Some((b"GIF89a".to_vec(), "gif")));
        let pdf = renderer.render(&sample()).unwrap();
        assert!(text_of(&pdf).contains("Portico Studio Ltd"));
    }
}
