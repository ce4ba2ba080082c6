//! Invoices on the web: the finance team's list, form and invoice page; the admins'
//! invoicing settings and tax rates; and the portal's invoices.

pub mod api;
pub mod pay;
pub mod settings_api;

use crate::AppState;
use crate::context::{Ctx, PageContext, Person, render};
use crate::error::{AppError, WebResult};
use crate::forms::{Fields, Flash, invalid_form, redirect_with_flash};
use crate::routing::{Route, route};
use crate::views::invoices::InvoiceRow;
use crate::views::invoices::method_label;
use crate::views::portal::{PortalView, preview_of};
use crate::views::{optional_id, parse_id};
use app::invoices::{InvoiceDetails, InvoiceInput, InvoiceSettings, LineInput, MANUAL_METHODS, PaymentInput};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::Method;
use chrono::NaiveDate;
use domain::Error;
use domain::access::{Permission, Viewer};
use domain::dates::DateStyle;
use domain::ids::{InvoiceId, TaxRateId};
use domain::invoices::{InvoiceStatus, TaxRate};
use domain::users::{Page, PageRequest};
use serde::{Deserialize, Serialize};
use store::invoices::{Invoice, InvoiceFilter};

/// Invoices: the finance pages, invoicing settings, tax rates and gateways, the portal's invoices with Pay Now, the gateways' webhooks and the invoices API.
pub(crate) fn routes() -> Vec<Route> {
    use crate::routing::Access::*;
    use domain::access::Area::{Admin, Portal, Workspace};
    vec![
        route(Method::GET, "/invoices", Area(Workspace), list_page),
        route(Method::POST, "/invoices", Area(Workspace), create),
        route(Method::GET, "/invoices/new", Area(Workspace), new_page),
        route(Method::POST, "/invoices/totals", Area(Workspace), running_total),
        route(Method::GET, "/invoices/{invoice}", Area(Workspace), detail_page),
        route(Method::POST, "/invoices/{invoice}", Area(Workspace), update),
        route(Method::GET, "/invoices/{invoice}/edit", Area(Workspace), edit_page),
        route(Method::POST, "/invoices/{invoice}/send", Area(Workspace), send),
        route(Method::GET, "/invoices/{invoice}/pdf", Area(Workspace), pdf_page),
        route(Method::GET, "/portal/invoices/{invoice}/pdf", Area(Portal), portal_pdf),
        route(Method::POST, "/invoices/{invoice}/delete", Area(Workspace), delete),
        route(Method::POST, "/invoices/{invoice}/void", Area(Workspace), void),
        route(Method::POST, "/invoices/{invoice}/credit", Area(Workspace), credit),
        route(Method::POST, "/invoices/{invoice}/payments", Area(Workspace), record_payment),
        route(Method::POST, "/invoices/{invoice}/refunds", Area(Workspace), record_refund),
        route(Method::GET, "/admin/invoicing", Area(Admin), admin_settings_page),
        route(Method::POST, "/admin/invoicing", Area(Admin), save_admin_settings),
        route(Method::POST, "/admin/tax-rates", Area(Admin), add_tax_rate),
        route(Method::POST, "/admin/tax-rates/{rate}/archive", Area(Admin), archive_tax_rate),
        route(Method::GET, "/portal/invoices", Area(Portal), portal_list_page),
        route(Method::POST, "/portal/invoices/{invoice}/pay", Area(Portal), pay::pay),
        route(
            Method::GET,
            "/portal/invoices/{invoice}/payments/{attempt}",
            Area(Portal),
            pay::return_page,
        ),
        route(Method::POST, "/webhooks/{gateway}", Public, pay::webhook),
        route(Method::POST, "/admin/invoicing/gateways/{gateway}", Area(Admin), pay::save_gateway),
        route(Method::GET, "/admin/preview/{contact}/invoices", Area(Admin), preview_list_page),
        route(
            Method::GET,
            "/admin/preview/{contact}/invoices/{invoice}",
            Area(Admin),
            preview_detail_page,
        ),
        route(Method::GET, "/portal/invoices/{invoice}", Area(Portal), portal_detail_page),
        route(Method::GET, "/api/v1/invoices", ApiUser, api::list),
        route(Method::POST, "/api/v1/invoices", ApiUser, api::create),
        route(Method::GET, "/api/v1/invoices/{invoice}", ApiUser, api::get),
        route(Method::PUT, "/api/v1/invoices/{invoice}", ApiUser, api::update),
        route(Method::DELETE, "/api/v1/invoices/{invoice}", ApiUser, api::delete),
        route(Method::POST, "/api/v1/invoices/{invoice}/send", ApiUser, api::send),
        route(Method::POST, "/api/v1/invoices/{invoice}/void", ApiUser, api::void),
        route(Method::GET, "/api/v1/invoices/{invoice}/pdf", ApiUser, api::pdf),
        route(Method::POST, "/api/v1/invoices/{invoice}/credit", ApiUser, api::credit),
        route(Method::POST, "/api/v1/invoices/{invoice}/refunds", ApiUser, api::record_refund),
        route(Method::POST, "/api/v1/invoices/{invoice}/pay", ApiUser, api::pay),
        route(Method::GET, "/api/v1/settings/invoicing", ApiAdmin, settings_api::settings),
        route(Method::PUT, "/api/v1/settings/invoicing", ApiAdmin, settings_api::save_settings),
        route(Method::GET, "/api/v1/tax-rates", ApiUser, settings_api::tax_rates),
        route(Method::POST, "/api/v1/tax-rates", ApiAdmin, settings_api::add_tax_rate),
        route(
            Method::POST,
            "/api/v1/tax-rates/{rate}/archive",
            ApiAdmin,
            settings_api::archive_tax_rate,
        ),
        route(Method::GET, "/api/v1/settings/gateways", ApiAdmin, settings_api::gateways),
        route(
            Method::PUT,
            "/api/v1/settings/gateways/{gateway}",
            ApiAdmin,
            settings_api::save_gateway,
        ),
        route(Method::POST, "/api/v1/invoices/{invoice}/payments", ApiUser, api::record_payment),
    ]
}

/// The invoice PDF typesetter: made on first use (it loads fonts and the logo), then shared.
#[derive(Default)]
pub struct PdfRenderer {
    #[cfg(feature = "pdf")]
    renderer: std::sync::OnceLock<std::sync::Arc<pdf::Renderer>>,
}

impl std::fmt::Debug for PdfRenderer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if cfg!(feature = "pdf") {
            "PdfRenderer"
        } else {
            "PdfRenderer (not built)"
        })
    }
}

impl Clone for PdfRenderer {
    /// A fresh one: each is made on first use.
    fn clone(&self) -> Self {
        PdfRenderer::default()
    }
}

/// The invoice as a PDF, from the same figures as its page.
#[cfg(feature = "pdf")]
async fn render_pdf(state: &AppState, doc: &Document, dates: &DateStyle) -> Result<Vec<u8>, AppError> {
    let renderer = state
        .web
        .pdf
        .renderer
        .get_or_init(|| {
            let logo = state.web.logo.as_ref().map(|logo| {
                let kind = match logo.content_type.as_str() {
                    "image/png" => "png",
                    "image/jpeg" => "jpg",
                    "image/svg+xml" => "svg",
                    _ => "webp",
                };
                (logo.bytes.to_vec(), kind)
            });
            pdf::Renderer::new(logo)
        })
        .clone();
    let invoice = pdf_invoice(doc, &state.app.config.brand_color, dates);
    tokio::task::spawn_blocking(move || renderer.render(&invoice))
        .await
        .map_err(|e| AppError(Error::internal(format!("PDF task: {e}"))))?
        .map_err(|e| AppError(Error::internal(format!("PDF: {e}"))))
}

#[cfg(not(feature = "pdf"))]
async fn render_pdf(_state: &AppState, _doc: &Document, _dates: &DateStyle) -> Result<Vec<u8>, AppError> {
    Err(AppError(Error::NotFound))
}

#[cfg(feature = "pdf")]
fn pdf_invoice(doc: &Document, brand_color: &str, dates: &DateStyle) -> pdf::Invoice {
    let lines_of = |text: &str| text.lines().map(str::to_owned).filter(|l| !l.trim().is_empty()).collect();
    let date = |d: Option<NaiveDate>| d.map(|d| dates.day(d));
    let mut facts = Vec::new();
    if let Some(issued) = date(doc.issued) {
        facts.push(("Issued".to_owned(), issued));
    }
    if let Some(due) = date(doc.due) {
        facts.push(("Due".to_owned(), due));
    }
    facts.push(("Currency".to_owned(), doc.currency.to_owned()));
    if let Some(project) = &doc.project {
        facts.push(("Project".to_owned(), project.clone()));
    }
    let total = |label: &str, amount: &str, strong: bool| pdf::Total {
        label: label.to_owned(),
        amount: amount.to_owned(),
        strong,
    };
    let mut totals = vec![total("Subtotal", &doc.subtotal, false)];
    if let Some(discount) = &doc.discount {
        totals.push(total("Discount", discount, false));
    }
    for (label, base, amount, included) in &doc.taxes {
        let label = if *included {
            format!("{label}, included, on {base}")
        } else {
            format!("{label} on {base}")
        };
        totals.push(total(&label, amount, false));
    }
    totals.push(total("Total", &doc.total, true));
    if let Some(credited) = &doc.credited {
        totals.push(total("Credited", credited, false));
    }
    if let Some(paid) = &doc.paid {
        totals.push(total("Paid", paid, false));
    }
    if let Some(balance) = &doc.balance {
        totals.push(total("Balance due", balance, true));
    }
    let mut sections = Vec::new();
    if let Some(reason) = &doc.void_reason {
        sections.push(("Void".to_owned(), reason.clone()));
    }
    for (heading, text) in [("Notes", &doc.notes), ("Terms", &doc.terms)] {
        if !text.is_empty() {
            sections.push((heading.to_owned(), text.clone()));
        }
    }
    pdf::Invoice {
        brand_color: brand_color.to_owned(),
        title: doc.title.to_owned(),
        number: if doc.number.is_empty() {
            "Draft".into()
        } else {
            doc.number.clone()
        },
        stamp: match doc.status {
            InvoiceStatus::Paid | InvoiceStatus::Void | InvoiceStatus::Draft => Some(doc.status.label().to_owned()),
            _ => None,
        },
        business: pdf::Party {
            name: if doc.business.business_name.is_empty() {
                doc.product_name.clone()
            } else {
                doc.business.business_name.clone()
            },
            address: lines_of(&doc.business.business_address),
            tax_id: doc.business.tax_id.clone(),
        },
        client: pdf::Party {
            name: doc.client_name.clone(),
            address: lines_of(&doc.client_address),
            tax_id: doc.client_tax_id.clone(),
        },
        facts,
        lines: doc
            .lines
            .iter()
            .map(|l| pdf::Line {
                description: l.description.clone(),
                quantity: l.quantity.clone(),
                unit_price: l.unit_price.clone(),
                taxes: l.taxes.clone(),
                amount: l.amount.clone(),
                discount: l.discount.clone().unwrap_or_default(),
            })
            .collect(),
        totals,
        sections,
        footer: doc.footer.clone(),
    }
}

/// The PDF as a download named after the invoice.
fn pdf_name(doc: &Document) -> String {
    format!(
        "{}.pdf",
        if doc.number.is_empty() {
            "draft-invoice"
        } else {
            doc.number.as_str()
        }
    )
}

/// Invoice PDFs attached to invoice emails, typeset like the downloads.
struct EmailedPdf(std::sync::Arc<crate::WebConfig>);

impl app::invoices::InvoicePdf for EmailedPdf {
    fn render<'a>(&'a self, app: &'a app::App, viewer: &'a Viewer, invoice: InvoiceId) -> app::invoices::RenderedPdf<'a> {
        Box::pin(async move {
            let state = AppState {
                app: app.clone(),
                web: self.0.clone(),
            };
            let details = app.invoice(viewer, invoice).await?;
            let doc = Document::new(&state, &details, app.invoice_settings().await?);
            // Typeset for the person it is emailed to, as their emails read.
            let recipient = app.user(viewer.user_id()).await?;
            let bytes = render_pdf(&state, &doc, &app.date_style(Some(&recipient), None))
                .await
                .map_err(|e| e.0)?;
            Ok((pdf_name(&doc), bytes))
        })
    }
}

/// Lets the outbox attach invoice PDFs (in builds that typeset them).
pub fn register_emailed_pdfs(state: &AppState) {
    if cfg!(feature = "pdf") {
        let _ = state.app.invoice_pdf.set(std::sync::Arc::new(EmailedPdf(state.web.clone())));
    }
}

pub(crate) async fn pdf_response(state: &AppState, doc: &Document, dates: &DateStyle) -> WebResult {
    let bytes = render_pdf(state, doc, dates).await?;
    let name = pdf_name(doc);
    let headers = [
        (axum::http::header::CONTENT_TYPE, "application/pdf".to_owned()),
        (
            axum::http::header::CONTENT_DISPOSITION,
            domain::files::content_disposition(domain::files::Disposition::Attachment, &name),
        ),
    ];
    Ok(axum::response::IntoResponse::into_response((headers, bytes)))
}

pub async fn pdf_page(State(state): State<AppState>, Ctx(ctx): Ctx, Person(viewer): Person, Path(id): Path<String>) -> WebResult {
    viewer.require_finance()?;
    let details = state.app.invoice(&viewer, parse_id(&id)?).await?;
    let doc = Document::new(&state, &details, state.app.invoice_settings().await?);
    pdf_response(&state, &doc, &ctx.dates).await
}

/// A client's download of their invoice (reading it this way does not count as opening it).
pub async fn portal_pdf(State(state): State<AppState>, Ctx(ctx): Ctx, Person(viewer): Person, Path(id): Path<String>) -> WebResult {
    let details = state.app.invoice(&viewer, parse_id(&id)?).await?;
    let doc = Document::new(&state, &details, state.app.invoice_settings().await?);
    pdf_response(&state, &doc, &ctx.dates).await
}

/// A line as the document prints it.
pub struct DocumentLine {
    pub description: String,
    pub quantity: String,
    pub unit_price: String,
    pub discount: Option<String>,
    pub taxes: String,
    pub amount: String,
}

/// An invoice or credit note as a document: what the staff page, the portal page (and the
/// PDF) print, from the same figures.
pub struct Document {
    pub title: &'static str,
    /// "Invoice INV-2026-0042", "Draft invoice".
    pub heading: String,
    pub number: String,
    pub status: InvoiceStatus,
    pub issued: Option<NaiveDate>,
    pub due: Option<NaiveDate>,
    pub business: InvoiceSettings,
    pub product_name: String,
    pub has_logo: bool,
    pub client_name: String,
    pub client_address: String,
    pub client_tax_id: String,
    pub project: Option<String>,
    pub currency: &'static str,
    pub lines: Vec<DocumentLine>,
    pub subtotal: String,
    pub discount: Option<String>,
    /// Label, base, amount, whether it is included in the prices.
    pub taxes: Vec<(String, String, String, bool)>,
    pub total: String,
    pub paid: Option<String>,
    pub credited: Option<String>,
    pub balance: Option<String>,
    pub notes: String,
    pub terms: String,
    pub footer: String,
    pub void_reason: Option<String>,
}

impl Document {
    pub fn new(state: &AppState, details: &InvoiceDetails, business: InvoiceSettings) -> Document {
        let invoice = &details.invoice;
        let currency = details.currency;
        let money = |minor: i64| currency.format(minor);
        let lines = details
            .lines
            .iter()
            .map(|line| DocumentLine {
                description: line.description.clone(),
                quantity: line.quantity.normalize().to_string(),
                unit_price: currency.format_plain(line.unit_price_minor),
                discount: (line.discount_minor != 0).then(|| {
                    format!(
                        "{}% (−{})",
                        line.discount_percent.normalize(),
                        currency.format_plain(line.discount_minor)
                    )
                }),
                taxes: line
                    .taxes
                    .iter()
                    .filter_map(|t| details.tax_rates.get(*t))
                    .map(|r| format!("{} {}%", r.name, r.percent.normalize()))
                    .collect::<Vec<_>>()
                    .join(", "),
                amount: currency.format_plain(line.net_minor),
            })
            .collect();
        let settled = !invoice.is_credit_note() && invoice.sent_at.is_some();
        let title = if invoice.is_credit_note() { "Credit note" } else { "Invoice" };
        Document {
            title,
            heading: match &invoice.number {
                Some(number) => format!("{title} {number}"),
                None => format!("Draft {}", title.to_lowercase()),
            },
            number: invoice.number.clone().unwrap_or_default(),
            status: details.status,
            issued: invoice.issue_date,
            due: invoice.due_date,
            product_name: state.app.config.product_name.clone(),
            has_logo: state.web.logo.is_some(),
            footer: if invoice.footer.is_empty() {
                business.footer.clone()
            } else {
                invoice.footer.clone()
            },
            terms: [invoice.terms.as_str(), business.payment_terms.as_str()]
                .into_iter()
                .filter(|t| !t.is_empty())
                .collect::<Vec<_>>()
                .join("\n\n"),
            business,
            client_name: details.client.name.clone(),
            client_address: if details.client.billing_address.is_empty() {
                details.client.address.clone()
            } else {
                details.client.billing_address.clone()
            },
            client_tax_id: details.client.tax_id.clone(),
            project: invoice.project_name.clone(),
            currency: currency.code(),
            lines,
            subtotal: money(details.totals.subtotal),
            discount: (details.totals.discount != 0).then(|| money(-details.totals.discount)),
            taxes: details
                .totals
                .taxes
                .iter()
                .map(|t| (details.tax_rates[t.rate].label(), money(t.base), money(t.amount), t.inclusive))
                .collect(),
            total: money(details.totals.total),
            paid: (settled && invoice.paid_minor != 0).then(|| money(-invoice.paid_minor)),
            credited: (settled && invoice.credited_minor != 0).then(|| money(-invoice.credited_minor)),
            balance: settled.then(|| money(invoice.balance())),
            notes: invoice.notes.clone(),
            void_reason: invoice.voided_at.map(|_| invoice.void_reason.clone()),
        }
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ListQuery {
    pub status: String,
    pub client: String,
    /// `newest` (the default), `oldest`, `due` or `largest`.
    pub sort: String,
    pub page: Option<u32>,
}

impl ListQuery {
    fn filter(&self) -> Result<InvoiceFilter, Error> {
        Ok(InvoiceFilter {
            client_org: optional_id("client", &self.client)?,
            project: None,
            status: match self.status.as_str() {
                "" => None,
                status => Some(InvoiceStatus::parse(status)?),
            },
            sort: store::invoices::InvoiceSort::parse(&self.sort)?,
        })
    }

    /// The orders to choose from, for the list's "Sort" menu.
    pub fn sorts(&self) -> [store::invoices::InvoiceSort; 4] {
        store::invoices::InvoiceSort::ALL
    }

    pub fn link(&self, base: impl std::fmt::Display, page: u32) -> String {
        let filters = [("status", self.status.as_str()), ("client", &self.client), ("sort", &self.sort)];
        crate::views::page_link(&base.to_string(), &filters, page)
    }
}

#[derive(Template)]
#[template(path = "invoices_list.html")]
struct ListPage {
    ctx: PageContext,
    query: ListQuery,
    page: Page<Invoice>,
    rows: Vec<InvoiceRow>,
    clients: Vec<(String, String)>,
    statuses: [InvoiceStatus; 7],
}

pub async fn list_page(State(state): State<AppState>, Ctx(ctx): Ctx, Person(viewer): Person, Query(query): Query<ListQuery>) -> WebResult {
    viewer.require_finance()?;
    let filter = query.filter().map_err(|_| AppError(Error::NotFound))?;
    let page = state.app.invoices(&viewer, &filter, PageRequest::new(query.page, None)).await?;
    let rows = page.items.iter().map(|i| InvoiceRow::new(i, "/invoices")).collect();
    let clients = state
        .app
        .client_orgs()
        .await?
        .into_iter()
        .map(|c| (c.id.to_string(), c.name))
        .collect();
    Ok(render(&ListPage {
        ctx,
        query,
        page,
        rows,
        clients,
        statuses: InvoiceStatus::ALL,
    }))
}

/// The payment terms offered in the form, in days (0: due on receipt).
pub const TERMS_CHOICES: [i32; 6] = [0, 7, 14, 30, 45, 60];

/// A tax rate offered in the form; its value is the rate itself (as JSON), so the choice
/// means the same rate however the offer changes meanwhile.
pub struct TaxChoice {
    pub value: String,
    pub label: String,
}

/// A line row of the form, as typed.
#[derive(Default)]
pub struct LineRowForm {
    pub description: String,
    pub quantity: String,
    pub unit_price: String,
    pub discount: String,
    pub tax: String,
    pub tax2: String,
}

#[derive(Template)]
#[template(path = "invoice_form.html")]
struct FormPage {
    ctx: PageContext,
    invoice_id: Option<String>,
    fields: Fields,
    lines: Vec<LineRowForm>,
    clients: Vec<(String, String)>,
    projects: Vec<(String, String)>,
    taxes: Vec<TaxChoice>,
    currencies: Vec<&'static str>,
    error: Option<String>,
    error_field: String,
}

fn tax_value(rate: &TaxRate) -> String {
    serde_json::to_string(rate).expect("tax rates serialise")
}

async fn form_page(
    state: &AppState,
    ctx: PageContext,
    viewer: &Viewer,
    invoice: Option<&InvoiceDetails>,
    fields: Fields,
    error: Option<Error>,
) -> WebResult {
    let mut taxes: Vec<TaxChoice> = Vec::new();
    let mut offer = |rate: &TaxRate| {
        let value = tax_value(rate);
        if !taxes.iter().any(|t| t.value == value) {
            taxes.push(TaxChoice {
                value,
                label: rate.label(),
            });
        }
    };
    if let Some(details) = invoice {
        details.tax_rates.iter().for_each(&mut offer);
    }
    for row in state.app.tax_rates(viewer).await? {
        offer(&row.rate);
    }
    let descriptions = fields.all("line_description");
    let column = |key: &str, index: usize| fields.all(key).get(index).map(|v| v.to_string()).unwrap_or_default();
    let mut lines: Vec<LineRowForm> = (0..descriptions.len())
        .map(|i| LineRowForm {
            description: column("line_description", i),
            quantity: column("line_quantity", i),
            unit_price: column("line_unit_price", i),
            discount: column("line_discount", i),
            tax: column("line_tax", i),
            tax2: column("line_tax2", i),
        })
        .collect();
    if lines.is_empty() {
        lines.push(LineRowForm {
            quantity: "1".into(),
            ..Default::default()
        });
    }
    let projects = state
        .app
        .projects(viewer, &Default::default(), PageRequest::new(Some(1), Some(100)))
        .await?
        .items
        .into_iter()
        .map(|p| (p.id.to_string(), p.name))
        .collect();
    let clients = state
        .app
        .client_orgs()
        .await?
        .into_iter()
        .map(|c| (c.id.to_string(), c.name))
        .collect();
    let (message, field) = match &error {
        Some(Error::Invalid { field, message }) => (Some(message.clone()), field.to_string()),
        Some(e) => (Some(e.to_string()), String::new()),
        None => (None, String::new()),
    };
    let page = render(&FormPage {
        ctx,
        invoice_id: invoice.map(|d| d.invoice.id.to_string()),
        fields,
        lines,
        clients,
        projects,
        taxes,
        currencies: domain::money::Currency::codes(),
        error: message,
        error_field: field,
    });
    Ok(if error.is_some() { invalid_form(page) } else { page })
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct NewQuery {
    client: String,
    project: String,
}

pub async fn new_page(State(state): State<AppState>, Ctx(ctx): Ctx, Person(viewer): Person, Query(query): Query<NewQuery>) -> WebResult {
    viewer.require_finance()?;
    let settings = state.app.invoice_settings().await?;
    let fields = Fields(vec![
        ("client_org".into(), query.client),
        ("project".into(), query.project),
        ("terms_days".into(), settings.default_terms_days.to_string()),
        ("footer".into(), String::new()),
    ]);
    form_page(&state, ctx, &viewer, None, fields, None).await
}

/// The form's fields as the use case's input.
fn input_from(fields: &Fields) -> Result<InvoiceInput, Error> {
    let date = |key: &'static str| domain::text::optional_date(key, fields.get(key));
    let mut rates: Vec<TaxRate> = Vec::new();
    let mut index_of = |value: &str| -> Result<Option<usize>, Error> {
        if value.is_empty() {
            return Ok(None);
        }
        let chosen: TaxRate = serde_json::from_str(value).map_err(|_| Error::invalid("taxes", "Choose a tax rate from the list."))?;
        let rate = TaxRate::parse(&chosen.name, &chosen.percent.to_string(), chosen.inclusive, chosen.compound)?;
        Ok(Some(match rates.iter().position(|r| *r == rate) {
            Some(i) => i,
            None => {
                rates.push(rate);
                rates.len() - 1
            }
        }))
    };
    let column = |key: &str| fields.all(key);
    let (descriptions, quantities, prices) = (column("line_description"), column("line_quantity"), column("line_unit_price"));
    let (discounts, taxes, taxes2) = (column("line_discount"), column("line_tax"), column("line_tax2"));
    let mut lines = Vec::new();
    for (i, description) in descriptions.iter().enumerate() {
        let at = |values: &Vec<&str>| values.get(i).copied().unwrap_or_default().to_owned();
        let (quantity, unit_price) = (at(&quantities), at(&prices));
        // A row left blank is not a line.
        if description.trim().is_empty() && unit_price.trim().is_empty() {
            continue;
        }
        let mut line_taxes = Vec::new();
        for value in [at(&taxes), at(&taxes2)] {
            if let Some(index) = index_of(&value)?
                && !line_taxes.contains(&index)
            {
                line_taxes.push(index);
            }
        }
        lines.push(LineInput {
            description: description.to_string(),
            quantity,
            unit_price,
            discount_percent: at(&discounts),
            taxes: line_taxes,
        });
    }
    Ok(InvoiceInput {
        client_org: optional_id("client_org", fields.get("client_org"))?,
        project: optional_id("project", fields.get("project"))?,
        currency: fields.get("currency").to_owned(),
        issue_date: date("issue_date")?,
        due_date: date("due_date")?,
        terms_days: match fields.get("terms_days").trim() {
            "" => None,
            days => Some(
                days.parse()
                    .map_err(|_| Error::invalid("terms_days", "Payment terms are a number of days."))?,
            ),
        },
        lines,
        tax_rates: rates,
        discount_kind: fields.get("discount_kind").to_owned(),
        discount_value: fields.get("discount_value").to_owned(),
        notes: fields.get("notes").to_owned(),
        terms: fields.get("terms").to_owned(),
        footer: fields.get("footer").to_owned(),
    })
}

pub async fn create(State(state): State<AppState>, Ctx(ctx): Ctx, Person(viewer): Person, fields: Fields) -> WebResult {
    viewer.require_finance()?;
    let result = match input_from(&fields) {
        Ok(input) => state.app.create_invoice(&viewer, &input).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(id) => Ok(redirect_with_flash(
            &state,
            &format!("/invoices/{id}"),
            Flash::success("Draft saved."),
        )),
        Err(e @ Error::Invalid { .. }) => form_page(&state, ctx, &viewer, None, fields, Some(e)).await,
        Err(e) => Err(AppError(e)),
    }
}

/// The invoice form's running total: the figures the draft would have, from the form as it
/// stands, computed by the same rules as saving (the form's script asks as the user types).
#[derive(Serialize)]
pub struct RunningTotal {
    subtotal: String,
    discount: Option<String>,
    /// What taxes not included in the prices add.
    tax: String,
    total: String,
}

pub async fn running_total(State(state): State<AppState>, Person(viewer): Person, fields: Fields) -> WebResult {
    let previewed = match input_from(&fields) {
        Ok(input) => state.app.preview_invoice(&viewer, &input).await,
        Err(e) => Err(e),
    };
    let (currency, totals) = match previewed {
        Ok(figures) => figures,
        // What stops the draft, for the form to show where the total would be.
        Err(e @ Error::Invalid { .. }) => {
            let refusal = serde_json::json!({ "field": e.field(), "error": crate::error::public_message(&e) });
            return Ok(axum::response::IntoResponse::into_response((
                axum::http::StatusCode::UNPROCESSABLE_ENTITY,
                axum::Json(refusal),
            )));
        }
        Err(e) => return Err(e.into()),
    };
    let figures = RunningTotal {
        subtotal: currency.format(totals.subtotal),
        discount: (totals.discount != 0).then(|| currency.format(-totals.discount)),
        tax: currency.format(totals.tax_added),
        total: currency.format(totals.total),
    };
    Ok(axum::response::IntoResponse::into_response(axum::Json(figures)))
}

pub async fn edit_page(State(state): State<AppState>, Ctx(ctx): Ctx, Person(viewer): Person, Path(id): Path<String>) -> WebResult {
    viewer.require_finance()?;
    let details = state.app.invoice(&viewer, parse_id(&id)?).await?;
    details.status.allows(domain::invoices::InvoiceAction::Edit)?;
    let invoice = &details.invoice;
    let currency = details.currency;
    let mut pairs: Vec<(String, String)> = vec![
        ("client_org".into(), invoice.client_org_id.to_string()),
        ("project".into(), invoice.project_id.map(|p| p.to_string()).unwrap_or_default()),
        ("currency".into(), invoice.currency.code().to_owned()),
        ("issue_date".into(), invoice.issue_date.map(|d| d.to_string()).unwrap_or_default()),
        ("due_date".into(), invoice.due_date.map(|d| d.to_string()).unwrap_or_default()),
        ("terms_days".into(), invoice.terms_days.map(|d| d.to_string()).unwrap_or_default()),
        ("notes".into(), invoice.notes.clone()),
        ("terms".into(), invoice.terms.clone()),
        ("footer".into(), invoice.footer.clone()),
    ];
    match invoice.discount()? {
        domain::invoices::Discount::None => {}
        domain::invoices::Discount::Percent(p) => {
            pairs.push(("discount_kind".into(), "percent".into()));
            pairs.push(("discount_value".into(), p.normalize().to_string()));
        }
        domain::invoices::Discount::Fixed(minor) => {
            pairs.push(("discount_kind".into(), "fixed".into()));
            pairs.push(("discount_value".into(), currency.units_of(minor).to_string()));
        }
    }
    for line in &details.lines {
        let taxes = &line.taxes;
        let tax = |n: usize| {
            taxes
                .get(n)
                .and_then(|t| details.tax_rates.get(*t))
                .map(tax_value)
                .unwrap_or_default()
        };
        pairs.push(("line_description".into(), line.description.clone()));
        pairs.push(("line_quantity".into(), line.quantity.normalize().to_string()));
        pairs.push(("line_unit_price".into(), currency.units_of(line.unit_price_minor).to_string()));
        pairs.push(("line_discount".into(), {
            let d = line.discount_percent.normalize();
            if d.is_zero() { String::new() } else { d.to_string() }
        }));
        pairs.push(("line_tax".into(), tax(0)));
        pairs.push(("line_tax2".into(), tax(1)));
    }
    form_page(&state, ctx, &viewer, Some(&details), Fields(pairs), None).await
}

pub async fn update(
    State(state): State<AppState>,
    Ctx(ctx): Ctx,
    Person(viewer): Person,
    Path(id): Path<String>,
    fields: Fields,
) -> WebResult {
    viewer.require_finance()?;
    let id: InvoiceId = parse_id(&id)?;
    let result = match input_from(&fields) {
        Ok(input) => state.app.update_invoice(&viewer, id, &input).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(()) => Ok(redirect_with_flash(
            &state,
            &format!("/invoices/{id}"),
            Flash::success("Draft saved."),
        )),
        Err(e @ Error::Invalid { .. }) => {
            let details = state.app.invoice(&viewer, id).await?;
            form_page(&state, ctx, &viewer, Some(&details), fields, Some(e)).await
        }
        Err(e) => Err(AppError(e)),
    }
}

#[derive(Template)]
#[template(path = "invoice_detail.html")]
struct DetailPage {
    ctx: PageContext,
    id: String,
    doc: Document,
    payments: Vec<PaymentRow>,
    credit_notes: Vec<InvoiceRow>,
    credits: Option<String>,
    can_edit: bool,
    can_pay: bool,
    can_refund: bool,
    can_credit: bool,
    can_void: bool,
    methods: [(&'static str, &'static str); 4],
    today: NaiveDate,
    taxes: Vec<TaxChoice>,
}

pub struct PaymentRow {
    pub received: NaiveDate,
    pub amount: String,
    pub refund: bool,
    pub method: String,
    pub reference: String,
    pub note: String,
}

pub fn payment_rows(details: &InvoiceDetails) -> Vec<PaymentRow> {
    details
        .payments
        .iter()
        .map(|p| PaymentRow {
            received: p.received_on,
            amount: details.currency.format(p.amount_minor),
            refund: p.amount_minor < 0,
            method: method_label(&p.method),
            reference: p.reference.clone(),
            note: p.note.clone(),
        })
        .collect()
}

pub async fn detail_page(State(state): State<AppState>, Ctx(ctx): Ctx, Person(viewer): Person, Path(id): Path<String>) -> WebResult {
    viewer.require_finance()?;
    let details = state.app.invoice(&viewer, parse_id(&id)?).await?;
    let business = state.app.invoice_settings().await?;
    let allowed = |action| details.status.allows(action).is_ok() && !details.invoice.is_credit_note();
    use domain::invoices::InvoiceAction as A;
    Ok(render(&DetailPage {
        id: details.invoice.id.to_string(),
        payments: payment_rows(&details),
        credit_notes: details.credit_notes.iter().map(|i| InvoiceRow::new(i, "/invoices")).collect(),
        credits: details.invoice.credits_invoice_id.map(|i| format!("/invoices/{i}")),
        can_edit: details.status.allows(A::Edit).is_ok(),
        can_pay: allowed(A::Pay),
        can_refund: allowed(A::Refund) && details.invoice.paid_minor > 0,
        can_credit: allowed(A::Credit),
        can_void: allowed(A::Void),
        methods: MANUAL_METHODS,
        today: state.app.today(),
        taxes: details
            .tax_rates
            .iter()
            .map(|r| TaxChoice {
                value: tax_value(r),
                label: r.label(),
            })
            .collect(),
        doc: Document::new(&state, &details, business),
        ctx,
    }))
}

/// Runs an action on an invoice and returns to its page with the outcome; a refusal (a
/// status that does not allow it, a bad amount) is the flash message.
async fn act<F>(state: &AppState, id: InvoiceId, done: &str, action: F) -> WebResult
where
    F: std::future::Future<Output = Result<(), Error>>,
{
    let flash = match action.await {
        Ok(()) => Flash::success(done),
        Err(e @ (Error::Invalid { .. } | Error::Conflict { .. })) => Flash::refusal(&e),
        Err(e) => return Err(AppError(e)),
    };
    Ok(redirect_with_flash(state, &format!("/invoices/{id}"), flash))
}

pub async fn send(State(state): State<AppState>, Person(viewer): Person, Path(id): Path<String>) -> WebResult {
    let id: InvoiceId = parse_id(&id)?;
    let sent = state.app.send_invoice(&viewer, id).await;
    let flash = match sent {
        Ok(number) => sent_message(&number, &state.app.invoice_reach(&viewer, id).await?),
        Err(e @ (Error::Invalid { .. } | Error::Conflict { .. })) => Flash::refusal(&e),
        Err(e) => return Err(AppError(e)),
    };
    Ok(redirect_with_flash(&state, &format!("/invoices/{id}"), flash))
}

/// "Sent as …", and who was emailed; a contact who has not accepted the invitation is named,
/// so that nobody believes they were emailed. A warning when someone (or everyone) was not.
fn sent_message(number: &str, reach: &app::invoices::InvoiceReach) -> Flash {
    let mut message = match reach.emailed.len() {
        0 => format!("Sent as {number}. Nobody was emailed: no contact with access to invoices can log in yet."),
        1 => format!("Sent as {number} and emailed to {}.", reach.emailed[0]),
        n => format!("Sent as {number} and emailed to {n} contacts."),
    };
    if !reach.awaiting_invitation.is_empty() {
        message.push_str(&format!(
            " Not emailed, because they have not accepted their invitation yet: {}.",
            reach.awaiting_invitation.join(", ")
        ));
    }
    if reach.emailed.is_empty() || !reach.awaiting_invitation.is_empty() {
        Flash::warning(message)
    } else {
        Flash::success(message)
    }
}

pub async fn delete(State(state): State<AppState>, Person(viewer): Person, Path(id): Path<String>) -> WebResult {
    let id: InvoiceId = parse_id(&id)?;
    match state.app.delete_invoice(&viewer, id).await {
        Ok(()) => Ok(redirect_with_flash(&state, "/invoices", Flash::success("Draft deleted."))),
        Err(e @ Error::Conflict { .. }) => Ok(redirect_with_flash(&state, &format!("/invoices/{id}"), Flash::refusal(&e))),
        Err(e) => Err(AppError(e)),
    }
}

pub async fn void(State(state): State<AppState>, Person(viewer): Person, Path(id): Path<String>, fields: Fields) -> WebResult {
    let id: InvoiceId = parse_id(&id)?;
    act(
        &state,
        id,
        "The invoice is void.",
        state.app.void_invoice(&viewer, id, fields.get("reason")),
    )
    .await
}

pub async fn credit(State(state): State<AppState>, Person(viewer): Person, Path(id): Path<String>, fields: Fields) -> WebResult {
    let id: InvoiceId = parse_id(&id)?;
    let input = input_from(&fields);
    let credited = async {
        let input = input?;
        state
            .app
            .credit_invoice(&viewer, id, &input.lines, fields.get("reason"))
            .await
            .map(|_| ())
    };
    act(&state, id, "Credit note issued.", credited).await
}

fn payment_input(fields: &Fields) -> Result<PaymentInput, Error> {
    Ok(PaymentInput {
        amount: fields.get("amount").to_owned(),
        method: fields.get("method").to_owned(),
        reference: fields.get("reference").to_owned(),
        received_on: domain::text::optional_date("received_on", fields.get("received_on"))?,
        note: fields.get("note").to_owned(),
    })
}

pub async fn record_payment(State(state): State<AppState>, Person(viewer): Person, Path(id): Path<String>, fields: Fields) -> WebResult {
    let id: InvoiceId = parse_id(&id)?;
    let recorded = async { state.app.record_payment(&viewer, id, &payment_input(&fields)?).await.map(|_| ()) };
    act(&state, id, "Payment recorded.", recorded).await
}

pub async fn record_refund(State(state): State<AppState>, Person(viewer): Person, Path(id): Path<String>, fields: Fields) -> WebResult {
    let id: InvoiceId = parse_id(&id)?;
    let recorded = async { state.app.record_refund(&viewer, id, &payment_input(&fields)?).await.map(|_| ()) };
    act(&state, id, "Refund recorded.", recorded).await
}

#[derive(Template)]
#[template(path = "admin_invoicing.html")]
struct SettingsPage {
    ctx: PageContext,
    settings: InvoiceSettings,
    rates: Vec<(String, String)>,
    error: Option<String>,
    error_field: String,
    gateways: Vec<pay::GatewayView>,
}

pub(crate) async fn settings_page(
    state: &AppState,
    ctx: PageContext,
    viewer: &Viewer,
    settings: InvoiceSettings,
    error: Option<Error>,
    refused_gateway: Option<pay::RefusedGatewayForm>,
) -> WebResult {
    let gateways = pay::gateway_views(state, &state.app.gateway_settings(viewer).await?, refused_gateway.as_ref());
    let rates = state
        .app
        .tax_rates(viewer)
        .await?
        .iter()
        .map(|r| (r.id.to_string(), r.rate.label()))
        .collect();
    let (message, field) = match &error {
        Some(Error::Invalid { field, message }) => (Some(message.clone()), field.to_string()),
        _ => (None, String::new()),
    };
    let page = render(&SettingsPage {
        ctx,
        settings,
        rates,
        error: message,
        error_field: field,
        gateways,
    });
    Ok(if error.is_some() || refused_gateway.is_some() {
        invalid_form(page)
    } else {
        page
    })
}

pub async fn admin_settings_page(State(state): State<AppState>, Ctx(ctx): Ctx, Person(viewer): Person) -> WebResult {
    viewer.require_admin()?;
    let settings = state.app.invoice_settings().await?;
    settings_page(&state, ctx, &viewer, settings, None, None).await
}

pub async fn save_admin_settings(State(state): State<AppState>, Ctx(ctx): Ctx, Person(viewer): Person, fields: Fields) -> WebResult {
    viewer.require_admin()?;
    let settings = InvoiceSettings {
        business_name: fields.get("business_name").to_owned(),
        business_address: fields.get("business_address").to_owned(),
        tax_id: fields.get("tax_id").to_owned(),
        payment_terms: fields.get("payment_terms").to_owned(),
        footer: fields.get("footer").to_owned(),
        number_pattern: fields.get("number_pattern").to_owned(),
        credit_note_pattern: fields.get("credit_note_pattern").to_owned(),
        default_terms_days: fields.get("default_terms_days").trim().parse().unwrap_or(-1),
        reminder_days: fields.get("reminder_days").to_owned(),
        attach_pdf: fields.checked("attach_pdf"),
    };
    match state.app.save_invoice_settings(&viewer, &settings).await {
        Ok(()) => Ok(redirect_with_flash(
            &state,
            "/admin/invoicing",
            Flash::success("Invoicing settings saved."),
        )),
        Err(e @ Error::Invalid { .. }) => settings_page(&state, ctx, &viewer, settings, Some(e), None).await,
        Err(e) => Err(AppError(e)),
    }
}

pub async fn add_tax_rate(State(state): State<AppState>, Person(viewer): Person, fields: Fields) -> WebResult {
    viewer.require_admin()?;
    let added = match TaxRate::parse(
        fields.get("name"),
        fields.get("percent"),
        fields.checked("inclusive"),
        fields.checked("compound"),
    ) {
        Ok(rate) => state
            .app
            .add_tax_rate(&viewer, &rate)
            .await
            .map(|_| format!("Added {}.", rate.label())),
        Err(e) => Err(e),
    };
    let flash = match added {
        Ok(message) => Flash::success(message),
        Err(e @ Error::Invalid { .. }) => Flash::refusal(&e),
        Err(e) => return Err(AppError(e)),
    };
    Ok(redirect_with_flash(&state, "/admin/invoicing#tax-rates", flash))
}

pub async fn archive_tax_rate(State(state): State<AppState>, Person(viewer): Person, Path(id): Path<String>) -> WebResult {
    let id: TaxRateId = parse_id(&id)?;
    state.app.archive_tax_rate(&viewer, id).await?;
    Ok(redirect_with_flash(
        &state,
        "/admin/invoicing#tax-rates",
        Flash::success("The tax rate is no longer offered."),
    ))
}

#[derive(Template)]
#[template(path = "portal_invoices.html")]
struct PortalListPage {
    ctx: PageContext,
    portal: PortalView,
    query: ListQuery,
    page: Page<Invoice>,
    rows: Vec<InvoiceRow>,
    statuses: [InvoiceStatus; 5],
}

/// The statuses a client filters by.
const CLIENT_STATUSES: [InvoiceStatus; 5] = [
    InvoiceStatus::Sent,
    InvoiceStatus::Viewed,
    InvoiceStatus::PartiallyPaid,
    InvoiceStatus::Overdue,
    InvoiceStatus::Paid,
];

async fn portal_list(state: &AppState, ctx: PageContext, portal: PortalView, query: ListQuery) -> WebResult {
    let mut filter = query.filter().map_err(|_| AppError(Error::NotFound))?;
    filter.client_org = None;
    let page = state
        .app
        .invoices(&portal.viewer, &filter, PageRequest::new(query.page, None))
        .await?;
    let base = format!("{}/invoices", portal.base);
    let rows = page.items.iter().map(|i| InvoiceRow::new(i, &base)).collect();
    Ok(render(&PortalListPage {
        ctx,
        portal,
        query,
        page,
        rows,
        statuses: CLIENT_STATUSES,
    }))
}

pub async fn portal_list_page(
    State(state): State<AppState>,
    Ctx(ctx): Ctx,
    Person(viewer): Person,
    Query(query): Query<ListQuery>,
) -> WebResult {
    let portal = PortalView::own(viewer, &ctx);
    portal_list(&state, ctx, portal, query).await
}

pub async fn preview_list_page(
    State(state): State<AppState>,
    Ctx(ctx): Ctx,
    Person(admin): Person,
    Path(contact): Path<String>,
    Query(query): Query<ListQuery>,
) -> WebResult {
    let portal = preview_of(&state, &admin, &contact).await?;
    portal_list(&state, ctx, portal, query).await
}

#[derive(Template)]
#[template(path = "portal_invoice.html")]
struct PortalDetailPage {
    ctx: PageContext,
    portal: PortalView,
    id: String,
    doc: Document,
    payments: Vec<PaymentRow>,
    /// The Pay Now buttons (none when nothing can be paid; disabled in a preview).
    gateways: Vec<(&'static str, &'static str)>,
    /// What Pay Now asks for.
    due: String,
}

async fn portal_detail(state: &AppState, ctx: PageContext, portal: PortalView, details: InvoiceDetails) -> WebResult {
    let business = state.app.invoice_settings().await?;
    let payable = portal.viewer.allows(Permission::PayInvoices)
        && !details.invoice.is_credit_note()
        && details.status.allows(domain::invoices::InvoiceAction::Pay).is_ok()
        && details.invoice.balance() > 0;
    let gateways = if payable { state.app.pay_now_gateways().await? } else { Vec::new() };
    let policy = (!gateways.is_empty()).then(|| pay::pay_now_policy(state));
    let mut page = render(&PortalDetailPage {
        id: details.invoice.id.to_string(),
        payments: payment_rows(&details),
        due: details.currency.format(details.invoice.balance().max(0)),
        doc: Document::new(state, &details, business),
        gateways: gateways.into_iter().map(|g| (g.as_str(), g.pay_label())).collect(),
        portal,
        ctx,
    });
    if let Some(policy) = policy {
        page.headers_mut().insert(axum::http::header::CONTENT_SECURITY_POLICY, policy);
    }
    Ok(page)
}

pub async fn portal_detail_page(State(state): State<AppState>, Ctx(ctx): Ctx, Person(viewer): Person, Path(id): Path<String>) -> WebResult {
    let details = state.app.open_invoice(&viewer, parse_id(&id)?).await?;
    let portal = PortalView::own(viewer, &ctx);
    portal_detail(&state, ctx, portal, details).await
}

/// An admin previewing a contact's invoice: read as the contact sees it, without marking it
/// viewed.
pub async fn preview_detail_page(
    State(state): State<AppState>,
    Ctx(ctx): Ctx,
    Person(admin): Person,
    Path((contact, id)): Path<(String, String)>,
) -> WebResult {
    let portal = preview_of(&state, &admin, &contact).await?;
    let details = state.app.invoice(&portal.viewer, parse_id(&id)?).await?;
    portal_detail(&state, ctx, portal, details).await
}
