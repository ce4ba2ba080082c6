//! Invoices and credit notes: drafts written by finance staff, sent with a gapless number,
//! opened and paid by clients, voided or corrected with a credit note, never edited once
//! sent. Every change is in the audit trail.

use crate::App;
use chrono::NaiveDate;
use domain::access::{Permission, Viewer};
use domain::dates::DateStyle;
use domain::ids::{ClientOrgId, InvoiceId, PaymentId, ProjectId};
use domain::invoices::{
    Discount, InvoiceAction, InvoiceKind, InvoiceStatus, Line, NumberPattern, TaxRate, Totals, compute_totals, parse_percent, status_of,
};
use domain::money::Currency;
use domain::users::{Page, PageRequest};
use domain::{Error, Result};
use store::Conn;
use store::invoices::{Invoice, InvoiceFields, InvoiceFilter, LineRow, NewPayment, Payment};
use store::scope::Scope;

/// Numbers of invoices and of credit notes, unless the admins chose other patterns.
pub const DEFAULT_NUMBER_PATTERN: &str = "INV-{YYYY}-{SEQ:4}";
pub const DEFAULT_CREDIT_NOTE_PATTERN: &str = "CN-{YYYY}-{SEQ:4}";

/// A line as typed in the form or sent to the API.
#[derive(Clone, Debug, Default, serde::Deserialize)]
pub struct LineInput {
    pub description: String,
    pub quantity: String,
    pub unit_price: String,
    #[serde(default)]
    pub discount_percent: String,
    /// Indexes into the invoice's tax rates.
    #[serde(default)]
    pub taxes: Vec<usize>,
}

/// A draft as typed; checked and computed by [`App::create_invoice`] and
/// [`App::update_invoice`].
#[derive(Clone, Debug, Default)]
pub struct InvoiceInput {
    pub client_org: Option<ClientOrgId>,
    pub project: Option<ProjectId>,
    /// Empty for the client's currency.
    pub currency: String,
    pub issue_date: Option<NaiveDate>,
    pub due_date: Option<NaiveDate>,
    pub terms_days: Option<i32>,
    pub lines: Vec<LineInput>,
    pub tax_rates: Vec<TaxRate>,
    /// `percent`, `fixed` or empty for none, and its value.
    pub discount_kind: String,
    pub discount_value: String,
    pub notes: String,
    pub terms: String,
    pub footer: String,
}

/// A payment or refund as typed by staff.
#[derive(Clone, Debug, Default)]
pub struct PaymentInput {
    pub amount: String,
    /// `bank_transfer`, `cash`, `cheque` or `other`.
    pub method: String,
    pub reference: String,
    pub received_on: Option<NaiveDate>,
    pub note: String,
}

/// What the admins set for invoicing: the business on every invoice, the numbering and the
/// defaults of a new invoice.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InvoiceSettings {
    pub business_name: String,
    pub business_address: String,
    pub tax_id: String,
    /// Printed on every invoice (how to pay by bank transfer, late fees).
    pub payment_terms: String,
    pub footer: String,
    pub number_pattern: String,
    pub credit_note_pattern: String,
    pub default_terms_days: i32,
    /// When reminders go out, in days from the due date (`-3, 0, 7`); empty for none.
    pub reminder_days: String,
    /// Whether the email of a sent invoice carries its PDF.
    pub attach_pdf: bool,
}

impl Default for InvoiceSettings {
    fn default() -> Self {
        InvoiceSettings {
            business_name: String::new(),
            business_address: String::new(),
            tax_id: String::new(),
            payment_terms: String::new(),
            footer: String::new(),
            number_pattern: DEFAULT_NUMBER_PATTERN.into(),
            credit_note_pattern: DEFAULT_CREDIT_NOTE_PATTERN.into(),
            default_terms_days: 14,
            reminder_days: "-3, 0, 7".into(),
            attach_pdf: true,
        }
    }
}

pub(crate) async fn invoice_settings(conn: &mut Conn<'_>) -> Result<InvoiceSettings> {
    let mut settings = InvoiceSettings::default();
    for stored in store::settings::with_prefix(conn, "invoices.").await? {
        let value = stored.value;
        match stored.key.as_str() {
            "invoices.business_name" => settings.business_name = value,
            "invoices.business_address" => settings.business_address = value,
            "invoices.tax_id" => settings.tax_id = value,
            "invoices.payment_terms" => settings.payment_terms = value,
            "invoices.footer" => settings.footer = value,
            "invoices.number_pattern" => settings.number_pattern = value,
            "invoices.credit_note_pattern" => settings.credit_note_pattern = value,
            "invoices.default_terms_days" => settings.default_terms_days = value.parse().unwrap_or(14),
            "invoices.reminder_days" => settings.reminder_days = value,
            "invoices.attach_pdf" => settings.attach_pdf = value == "true",
            _ => {}
        }
    }
    Ok(settings)
}

/// Typesets an invoice as a PDF (file name, bytes), as `viewer` sees it.
pub trait InvoicePdf: Send + Sync {
    fn render<'a>(&'a self, app: &'a App, viewer: &'a Viewer, invoice: InvoiceId) -> RenderedPdf<'a>;
}

pub type RenderedPdf<'a> = std::pin::Pin<Box<dyn std::future::Future<Output = Result<(String, Vec<u8>)>> + Send + 'a>>;

/// Methods staff record by hand; the gateways record their own.
pub const MANUAL_METHODS: [(&str, &str); 4] = [
    ("bank_transfer", "Bank transfer"),
    ("cash", "Cash"),
    ("cheque", "Cheque"),
    ("other", "Other"),
];

/// An invoice with everything its page shows.
pub struct InvoiceDetails {
    pub invoice: Invoice,
    /// Who it is addressed to (their billing address and tax id print on it).
    pub client: store::clients::ClientRecord,
    pub currency: Currency,
    pub status: InvoiceStatus,
    pub lines: Vec<LineRow>,
    pub tax_rates: Vec<TaxRate>,
    /// The figures by rate, recomputed from the stored lines (they equal the stored totals).
    pub totals: Totals,
    pub payments: Vec<Payment>,
    pub credit_notes: Vec<Invoice>,
}

/// The invoice block of a dashboard: what is open and overdue per currency, and the newest
/// payments, all within what the viewer sees.
pub struct InvoiceOverview {
    pub totals: Vec<store::invoices::OpenTotals>,
    pub recent_payments: Vec<store::invoices::PaymentOfInvoice>,
}

/// Whether a change emails the client's contacts (the demo workspace's history does not).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Notify {
    Contacts,
    Nobody,
}

/// The emails an invoice causes.
pub(crate) enum InvoiceMail {
    Sent,
    Receipt {
        amount: i64,
    },
    /// Days from the due date (negative: before it).
    Reminder {
        days: i32,
    },
    /// A credit note (the email's invoice) against the invoice it corrects.
    CreditNote {
        invoice_number: String,
        still_due: i64,
    },
}

/// The organisation's active contacts who see invoices, in two groups: those who can log in
/// (an invoice email goes to them), and those who have not accepted their invitation yet. The
/// latter cannot open the invoice the email links to: they get their invitation first.
async fn invoice_contacts(conn: &mut Conn<'_>, org: ClientOrgId) -> Result<(Vec<store::clients::Contact>, Vec<store::clients::Contact>)> {
    use domain::access::PortalPermissions;
    let record = store::clients::get(conn, org).await?;
    let organisation = PortalPermissions::from_bits(record.portal_permissions);
    Ok(store::clients::contacts(conn, org)
        .await?
        .into_iter()
        .filter(|c| {
            let own = c.portal_permissions.map(PortalPermissions::from_bits);
            c.deactivated_at.is_none() && PortalPermissions::for_contact(organisation, own).allows(Permission::ViewInvoices)
        })
        .partition(|c| c.has_password))
}

/// Who an invoice's emails reach: contacts emailed, and contacts left out because they have
/// not accepted their invitation.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct InvoiceReach {
    pub emailed: Vec<String>,
    pub awaiting_invitation: Vec<String>,
}

/// A draft checked: its lines and figures, ready to store.
struct CheckedDraft {
    client_org: ClientOrgId,
    project: Option<ProjectId>,
    currency: Currency,
    discount: Discount,
    lines: Vec<Line>,
    totals: Totals,
}

async fn check_draft(conn: &mut Conn<'_>, input: &InvoiceInput) -> Result<CheckedDraft> {
    let client_org = input
        .client_org
        .ok_or_else(|| Error::invalid("client_org", "Choose the client the invoice is for."))?;
    let client = match store::clients::get(conn, client_org).await {
        Err(Error::NotFound) => return Err(Error::invalid("client_org", "That client does not exist.")),
        other => other?,
    };
    if let Some(project) = input.project {
        let members = match store::projects::with_members(conn, project).await {
            Err(Error::NotFound) => return Err(Error::invalid("project", "That project does not exist.")),
            other => other?,
        };
        if !members.client_orgs.contains(&client_org) {
            return Err(Error::invalid(
                "project",
                format!("{} is not a client of that project.", client.name),
            ));
        }
    }
    let currency = Currency::parse(if input.currency.trim().is_empty() {
        &client.currency
    } else {
        &input.currency
    })?;
    if input.terms_days.is_some_and(|d| !(0..=365).contains(&d)) {
        return Err(Error::invalid("terms_days", "Payment terms are 0 to 365 days."));
    }
    if let (Some(issue), Some(due)) = (input.issue_date, input.due_date)
        && due < issue
    {
        return Err(Error::invalid("due_date", "The due date cannot be before the issue date."));
    }
    let discount = match input.discount_kind.as_str() {
        "" | "none" => Discount::None,
        "percent" => Discount::Percent(parse_percent("discount_value", &input.discount_value)?),
        "fixed" => Discount::Fixed(currency.parse_amount("discount_value", &input.discount_value)?),
        _ => return Err(Error::invalid("discount_kind", "A discount is a percentage or a fixed amount.")),
    };
    let lines = input
        .lines
        .iter()
        .map(|l| {
            Line::parse(
                currency,
                &l.description,
                &l.quantity,
                &l.unit_price,
                &l.discount_percent,
                l.taxes.clone(),
            )
        })
        .collect::<Result<Vec<_>>>()?;
    let totals = compute_totals(&lines, &input.tax_rates, discount)?;
    Ok(CheckedDraft {
        client_org,
        project: input.project,
        currency,
        discount,
        lines,
        totals,
    })
}

fn fields<'a>(input: &'a InvoiceInput, draft: &CheckedDraft) -> InvoiceFields<'a> {
    InvoiceFields {
        client_org: draft.client_org,
        project: draft.project,
        currency: draft.currency,
        issue_date: input.issue_date,
        due_date: input.due_date,
        terms_days: input.terms_days,
        discount: draft.discount,
        tax_rates: &input.tax_rates,
        notes: &input.notes,
        terms: &input.terms,
        footer: &input.footer,
        subtotal: draft.totals.subtotal,
        discount_minor: draft.totals.discount,
        tax_minor: draft.totals.tax_added,
        total: draft.totals.total,
    }
}

fn line_rows(draft: &CheckedDraft) -> Vec<LineRow> {
    draft
        .lines
        .iter()
        .zip(&draft.totals.lines)
        .enumerate()
        .map(|(position, (line, total))| LineRow {
            position: position as i32,
            description: line.description.clone(),
            quantity: line.quantity,
            unit_price_minor: line.unit_price,
            discount_percent: line.discount_percent,
            taxes: line.taxes.clone(),
            amount_minor: total.amount,
            discount_minor: total.discount,
            net_minor: total.net,
        })
        .collect()
}

/// Recomputes and stores an invoice's status from its facts. Returns the invoice as it now
/// stands, for the email or audit entry that follows (no second read).
pub(crate) async fn refresh_status(
    conn: &mut Conn<'_>,
    id: InvoiceId,
    overdue: Option<bool>,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<Invoice> {
    let mut invoice = store::invoices::get_any(conn, id).await?;
    let mut facts = invoice.facts();
    if let Some(overdue) = overdue {
        facts.overdue = overdue;
    }
    let status = status_of(&facts);
    store::invoices::save_status(conn, id, status, facts.overdue, now).await?;
    invoice.status = status;
    invoice.overdue = facts.overdue;
    Ok(invoice)
}

impl App {
    /// The number pattern for invoices or credit notes.
    async fn number_pattern(&self, conn: &mut Conn<'_>, credit_note: bool) -> Result<NumberPattern> {
        let settings = invoice_settings(conn).await?;
        NumberPattern::parse(if credit_note {
            &settings.credit_note_pattern
        } else {
            &settings.number_pattern
        })
    }

    /// The invoicing settings (defaults where the admins set nothing).
    pub async fn invoice_settings(&self) -> Result<InvoiceSettings> {
        let mut handle = self.db.read().await?;
        invoice_settings(&mut handle.conn()).await
    }

    /// Saves the invoicing settings (admins), after checking the patterns.
    pub async fn save_invoice_settings(&self, viewer: &Viewer, settings: &InvoiceSettings) -> Result<()> {
        viewer.require_admin()?;
        NumberPattern::parse(&settings.number_pattern)?;
        NumberPattern::parse(&settings.credit_note_pattern).map_err(|e| match e {
            Error::Invalid { message, .. } => Error::invalid("credit_note_pattern", message),
            other => other,
        })?;
        if settings.number_pattern.trim() == settings.credit_note_pattern.trim() {
            return Err(Error::invalid(
                "credit_note_pattern",
                "Credit notes need a pattern of their own, such as CN-{YYYY}-{SEQ:4}.",
            ));
        }
        if !(0..=365).contains(&settings.default_terms_days) {
            return Err(Error::invalid("default_terms_days", "Payment terms are 0 to 365 days."));
        }
        let values = [
            (
                "invoices.business_name",
                domain::text::optional_line("business_name", &settings.business_name, 200)?,
            ),
            (
                "invoices.business_address",
                domain::text::multi_line("business_address", &settings.business_address, 1000)?,
            ),
            ("invoices.tax_id", domain::text::optional_line("tax_id", &settings.tax_id, 100)?),
            (
                "invoices.payment_terms",
                domain::text::multi_line("payment_terms", &settings.payment_terms, 2000)?,
            ),
            ("invoices.footer", domain::text::multi_line("footer", &settings.footer, 2000)?),
            ("invoices.number_pattern", settings.number_pattern.trim().to_owned()),
            ("invoices.credit_note_pattern", settings.credit_note_pattern.trim().to_owned()),
            ("invoices.default_terms_days", settings.default_terms_days.to_string()),
            (
                "invoices.reminder_days",
                domain::invoices::parse_reminder_days(&settings.reminder_days)?
                    .iter()
                    .map(i32::to_string)
                    .collect::<Vec<_>>()
                    .join(", "),
            ),
            ("invoices.attach_pdf", settings.attach_pdf.to_string()),
        ];
        let now = self.now();
        let mut tx = self.db.begin().await?;
        let mut conn = tx.conn();
        for (key, value) in &values {
            store::settings::put(&mut conn, key, value, false, Some(viewer.user_id()), now).await?;
        }
        store::audit::record(
            &mut conn,
            Some(viewer.user_id()),
            "settings.invoices",
            None,
            "invoicing settings saved",
            now,
        )
        .await?;
        tx.commit().await
    }

    /// The tax rates offered on new invoices (anyone who writes invoices).
    pub async fn tax_rates(&self, viewer: &Viewer) -> Result<Vec<store::invoices::TaxRateRow>> {
        viewer.require_finance()?;
        let mut handle = self.db.read().await?;
        store::invoices::tax_rates(&mut handle.conn()).await
    }

    /// Offers a new named tax rate (admins).
    pub async fn add_tax_rate(&self, viewer: &Viewer, rate: &TaxRate) -> Result<domain::ids::TaxRateId> {
        viewer.require_admin()?;
        let now = self.now();
        let id = domain::ids::TaxRateId::new();
        let mut tx = self.db.begin().await?;
        let mut conn = tx.conn();
        store::invoices::insert_tax_rate(&mut conn, id, rate, now).await?;
        store::audit::record(&mut conn, Some(viewer.user_id()), "tax_rate.added", Some(id.0), &rate.label(), now).await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Stops offering a tax rate (admins); invoices keep their copies.
    pub async fn archive_tax_rate(&self, viewer: &Viewer, id: domain::ids::TaxRateId) -> Result<()> {
        viewer.require_admin()?;
        let now = self.now();
        let mut tx = self.db.begin().await?;
        let mut conn = tx.conn();
        store::invoices::archive_tax_rate(&mut conn, id, now).await?;
        store::audit::record(
            &mut conn,
            Some(viewer.user_id()),
            "tax_rate.archived",
            Some(id.0),
            "no longer offered",
            now,
        )
        .await?;
        tx.commit().await
    }

    /// Queues an invoice email to each contact of the client who sees invoices (in the
    /// caller's transaction, so it goes out exactly when the change commits). Returns how many.
    pub(crate) async fn email_invoice(
        &self,
        conn: &mut Conn<'_>,
        invoice: &Invoice,
        mail: InvoiceMail,
        settings: &InvoiceSettings,
    ) -> Result<usize> {
        let currency = invoice.currency;
        let business = if settings.business_name.is_empty() {
            self.config.product_name.clone()
        } else {
            settings.business_name.clone()
        };
        let number = invoice.number.clone().unwrap_or_default();
        let balance = currency.format(invoice.balance().max(0));
        // Dates read as each recipient reads them, so the words are written per recipient.
        let words = |dates: &DateStyle| {
            let date = |d: Option<NaiveDate>| d.map(|d| dates.day(d)).unwrap_or_default();
            match &mail {
                InvoiceMail::Sent => (
                    format!("Invoice {number} from {business}"),
                    format!(
                        "{business} has sent you invoice {number} for {}.",
                        currency.format(invoice.total_minor)
                    ),
                    match invoice.due_date {
                        Some(_) => format!("It is due on {}.", date(invoice.due_date)),
                        None => "It is due on receipt.".to_owned(),
                    },
                ),
                &InvoiceMail::Receipt { amount } => (
                    format!("Payment received for invoice {number}"),
                    format!(
                        "Thank you: {business} has received {} for invoice {number}.",
                        currency.format(amount)
                    ),
                    if invoice.balance() <= 0 {
                        "The invoice is paid in full.".to_owned()
                    } else {
                        format!("{balance} is still due.")
                    },
                ),
                &InvoiceMail::Reminder { days } => (
                    match days {
                        d if d < 0 => format!("Reminder: invoice {number} is due on {}", date(invoice.due_date)),
                        0 => format!("Reminder: invoice {number} is due today"),
                        _ => format!("Invoice {number} is overdue"),
                    },
                    format!("This is a reminder from {business} about invoice {number}."),
                    format!("{balance} is due; the due date is {}.", date(invoice.due_date)),
                ),
                &InvoiceMail::CreditNote {
                    ref invoice_number,
                    still_due,
                } => (
                    format!("Credit note {number} for invoice {invoice_number}"),
                    format!(
                        "{business} has issued credit note {number} for {}, which corrects invoice {invoice_number}.",
                        currency.format(invoice.total_minor)
                    ),
                    if still_due > 0 {
                        format!("{} is still due on invoice {invoice_number}.", currency.format(still_due))
                    } else {
                        format!("Nothing more is due on invoice {invoice_number}.")
                    },
                ),
            }
        };
        let link = self.link(&format!("/portal/invoices/{}", invoice.id));
        let footer = format!(
            "You receive this as a contact of {} with access to its invoices.",
            invoice.client_org_name
        );
        let (recipients, _) = invoice_contacts(conn, invoice.client_org_id).await?;
        for contact in &recipients {
            let person = store::users::get(conn, contact.id).await?;
            let (subject, lead, detail) = words(&self.date_style(Some(&person), None));
            let message = crate::mail::ActionEmail {
                to: &contact.email,
                to_name: &contact.name,
                subject: &subject,
                paragraphs: &[&lead, &detail],
                action_label: "View the invoice",
                action_url: &link,
                footer: &footer,
            };
            let email = crate::mail::action_email(&self.branding(), &message);
            let job = if matches!(mail, InvoiceMail::Sent | InvoiceMail::CreditNote { .. }) && settings.attach_pdf {
                crate::jobs::Job::SendInvoiceEmail {
                    email,
                    invoice: invoice.id,
                    contact: contact.id,
                }
            } else {
                crate::jobs::Job::SendEmail(email)
            };
            self.enqueue(conn, &job).await?;
        }
        Ok(recipients.len())
    }

    /// Sends the reminders that are due by the schedule in the invoicing settings: each once
    /// per invoice and step, however often this runs and on however many nodes. A step
    /// missed for up to a week (the server was down) is still sent. Returns how many invoices
    /// were reminded.
    pub async fn send_invoice_reminders(&self) -> Result<usize> {
        let today = self.today();
        // Read once: every reminder of this run uses them.
        let settings = {
            let mut handle = self.db.read().await?;
            invoice_settings(&mut handle.conn()).await?
        };
        let days = domain::invoices::parse_reminder_days(&settings.reminder_days)?;
        let mut reminded = 0;
        for day in days {
            let step = format!("day{day:+}");
            // Due `day` days before today, give or take a missed week.
            let latest = today - chrono::Duration::days(i64::from(day));
            let earliest = latest - chrono::Days::new(6);
            loop {
                let ids = {
                    let mut handle = self.db.read().await?;
                    store::invoices::due_for_reminder(&mut handle.conn(), &step, earliest, latest, 100).await?
                };
                if ids.is_empty() {
                    break;
                }
                let now = self.now();
                let mut tx = self.db.begin().await?;
                let mut conn = tx.conn();
                for id in ids {
                    if store::invoices::claim_reminder(&mut conn, id, &step, now).await? {
                        let invoice = store::invoices::get_any(&mut conn, id).await?;
                        self.email_invoice(&mut conn, &invoice, InvoiceMail::Reminder { days: day }, &settings)
                            .await?;
                        reminded += 1;
                    }
                }
                tx.commit().await?;
                self.outbox.wake();
            }
        }
        Ok(reminded)
    }

    /// Writes a new draft.
    pub async fn create_invoice(&self, viewer: &Viewer, input: &InvoiceInput) -> Result<InvoiceId> {
        let actor = viewer.require_finance()?;
        let now = self.now();
        let id = InvoiceId::new();
        let mut tx = self.db.begin().await?;
        let mut conn = tx.conn();
        let draft = check_draft(&mut conn, input).await?;
        store::invoices::insert(&mut conn, id, InvoiceKind::Invoice, &fields(input, &draft), None, actor, now).await?;
        store::invoices::replace_lines(&mut conn, id, &line_rows(&draft)).await?;
        store::audit::record(&mut conn, Some(actor), "invoice.created", Some(id.0), "draft created", now).await?;
        tx.commit().await?;
        Ok(id)
    }

    /// The figures a draft would have, checked as saving it checks them, without saving: the
    /// invoice form's running total. Returns the currency and the totals.
    pub async fn preview_invoice(&self, viewer: &Viewer, input: &InvoiceInput) -> Result<(Currency, domain::invoices::Totals)> {
        viewer.require_finance()?;
        let mut handle = self.db.read().await?;
        let draft = check_draft(&mut handle.conn(), input).await?;
        Ok((draft.currency, draft.totals))
    }

    /// Rewrites a draft. A sent invoice is refused: void it or credit it.
    pub async fn update_invoice(&self, viewer: &Viewer, id: InvoiceId, input: &InvoiceInput) -> Result<()> {
        let actor = viewer.require_finance()?;
        let now = self.now();
        let mut tx = self.db.begin().await?;
        let mut conn = tx.conn();
        let current = store::invoices::get_any(&mut conn, id).await?;
        current.status.allows(InvoiceAction::Edit)?;
        let draft = check_draft(&mut conn, input).await?;
        store::invoices::update_draft(&mut conn, id, &fields(input, &draft), now).await?;
        store::invoices::replace_lines(&mut conn, id, &line_rows(&draft)).await?;
        store::audit::record(&mut conn, Some(actor), "invoice.updated", Some(id.0), "draft changed", now).await?;
        tx.commit().await
    }

    /// Deletes a draft (it never had a number).
    pub async fn delete_invoice(&self, viewer: &Viewer, id: InvoiceId) -> Result<()> {
        let actor = viewer.require_finance()?;
        let now = self.now();
        let mut tx = self.db.begin().await?;
        let mut conn = tx.conn();
        store::invoices::get_any(&mut conn, id)
            .await?
            .status
            .allows(InvoiceAction::Delete)?;
        store::invoices::delete_draft(&mut conn, id).await?;
        store::audit::record(&mut conn, Some(actor), "invoice.deleted", Some(id.0), "draft deleted", now).await?;
        tx.commit().await
    }

    /// Sends a draft: gives it the next number of its series, its issue date (today unless
    /// set) and its due date (from the terms unless set). Returns the number.
    pub async fn send_invoice(&self, viewer: &Viewer, id: InvoiceId) -> Result<String> {
        self.send(viewer, id, Notify::Contacts).await
    }

    /// Who the emails of this invoice reach (finance only), for the answer to "Send".
    pub async fn invoice_reach(&self, viewer: &Viewer, id: InvoiceId) -> Result<InvoiceReach> {
        viewer.require_finance()?;
        let mut handle = self.db.read().await?;
        let mut conn = handle.conn();
        let invoice = store::invoices::get_any(&mut conn, id).await?;
        let (emailed, awaiting) = invoice_contacts(&mut conn, invoice.client_org_id).await?;
        Ok(InvoiceReach {
            emailed: emailed.into_iter().map(|c| c.name).collect(),
            awaiting_invitation: awaiting.into_iter().map(|c| c.name).collect(),
        })
    }

    pub(crate) async fn send(&self, viewer: &Viewer, id: InvoiceId, notify: Notify) -> Result<String> {
        let actor = viewer.require_finance()?;
        let now = self.now();
        let today = self.today();
        let mut tx = self.db.begin().await?;
        let mut conn = tx.conn();
        let invoice = store::invoices::get_any(&mut conn, id).await?;
        invoice.status.allows(InvoiceAction::Send)?;
        if store::invoices::lines(&mut conn, id).await?.is_empty() {
            return Err(Error::invalid("lines", "Add at least one line item before sending the invoice."));
        }
        let number = self.issue_number(&mut conn, &invoice, today).await?;
        let issue = invoice.issue_date.unwrap_or(today);
        let due = invoice
            .due_date
            .or_else(|| invoice.terms_days.map(|days| issue + chrono::Days::new(days.max(0) as u64)));
        store::invoices::mark_sent(&mut conn, id, &number, issue, due, now).await?;
        let sent = store::invoices::get_any(&mut conn, id).await?;
        let recipients = match notify {
            Notify::Contacts => {
                let settings = invoice_settings(&mut conn).await?;
                self.email_invoice(&mut conn, &sent, InvoiceMail::Sent, &settings).await?
            }
            Notify::Nobody => 0,
        };
        let detail = format!("sent as {number} to {recipients} contact(s)");
        store::audit::record(&mut conn, Some(actor), "invoice.sent", Some(id.0), &detail, now).await?;
        tx.commit().await?;
        self.outbox.wake();
        Ok(number)
    }

    async fn issue_number(&self, conn: &mut Conn<'_>, invoice: &Invoice, today: NaiveDate) -> Result<String> {
        let pattern = self.number_pattern(conn, invoice.is_credit_note()).await?;
        let issue = invoice.issue_date.unwrap_or(today);
        let sequence = store::invoices::next_number(conn, &pattern.series(issue)).await?;
        Ok(pattern.render(issue, sequence))
    }

    /// The dashboard's invoice block; `None` for a viewer who does not see invoices.
    pub async fn invoice_overview(&self, viewer: &Viewer) -> Result<Option<InvoiceOverview>> {
        if !viewer.allows(Permission::ViewInvoices) {
            return Ok(None);
        }
        let scope = Scope::new(viewer);
        let mut handle = self.db.read().await?;
        let mut conn = handle.conn();
        Ok(Some(InvoiceOverview {
            totals: store::invoices::open_totals(&mut conn, &scope).await?,
            recent_payments: store::invoices::recent_payments(&mut conn, &scope, 5).await?,
        }))
    }

    /// The PDF of an invoice as the contact sees it, for an email attachment; None when
    /// this build renders no PDFs.
    pub async fn invoice_pdf_for(&self, contact: domain::ids::UserId, invoice: InvoiceId) -> Result<Option<(String, Vec<u8>)>> {
        let Some(renderer) = self.invoice_pdf.get().cloned() else {
            return Ok(None);
        };
        let viewer = self.user(contact).await?.viewer();
        renderer.render(self, &viewer, invoice).await.map(Some)
    }

    /// A client opening an invoice in their portal: the first open marks it viewed. (Staff,
    /// and admins previewing the portal, read it with [`App::invoice`].)
    pub async fn open_invoice(&self, viewer: &Viewer, id: InvoiceId) -> Result<InvoiceDetails> {
        let mut details = self.invoice(viewer, id).await?;
        if !viewer.is_client() || details.invoice.viewed_at.is_some() || details.invoice.sent_at.is_none() {
            return Ok(details);
        }
        if let Some(viewed) = self.mark_viewed(viewer, id).await? {
            details.status = viewed.status;
            details.invoice = viewed;
        }
        Ok(details)
    }

    /// An invoice the viewer may see, with its lines, payments and credit notes.
    pub async fn invoice(&self, viewer: &Viewer, id: InvoiceId) -> Result<InvoiceDetails> {
        let scope = Scope::new(viewer);
        let mut handle = self.db.read().await?;
        let mut conn = handle.conn();
        let invoice = store::invoices::get(&mut conn, &scope, id).await?;
        let lines = store::invoices::lines(&mut conn, id).await?;
        let payments = if invoice.is_credit_note() {
            Vec::new()
        } else {
            store::invoices::payments(&mut conn, id).await?
        };
        let credit_notes = store::invoices::credit_notes(&mut conn, &scope, id).await?;
        let client = store::clients::get(&mut conn, invoice.client_org_id).await?;
        let currency = invoice.currency;
        let tax_rates = invoice.tax_rates()?;
        let parsed: Vec<Line> = lines
            .iter()
            .map(|l| Line {
                description: l.description.clone(),
                quantity: l.quantity,
                unit_price: l.unit_price_minor,
                discount_percent: l.discount_percent,
                taxes: l.taxes.clone(),
            })
            .collect();
        let totals = compute_totals(&parsed, &tax_rates, invoice.discount()?)?;
        Ok(InvoiceDetails {
            client,
            status: invoice.status,
            currency,
            invoice,
            lines,
            tax_rates,
            totals,
            payments,
            credit_notes,
        })
    }

    /// Marks the invoice viewed; returns it as it now stands, unless another open did first.
    async fn mark_viewed(&self, viewer: &Viewer, id: InvoiceId) -> Result<Option<Invoice>> {
        let now = self.now();
        let mut tx = self.db.begin().await?;
        let mut conn = tx.conn();
        let mut viewed = None;
        if store::invoices::set_viewed(&mut conn, id, now).await? {
            viewed = Some(refresh_status(&mut conn, id, None, now).await?);
            store::audit::record(
                &mut conn,
                Some(viewer.user_id()),
                "invoice.viewed",
                Some(id.0),
                "first opened by the client",
                now,
            )
            .await?;
        }
        tx.commit().await?;
        Ok(viewed)
    }

    /// A page of the invoices the viewer sees.
    pub async fn invoices(&self, viewer: &Viewer, filter: &InvoiceFilter, page: PageRequest) -> Result<Page<Invoice>> {
        if !viewer.allows(Permission::ViewInvoices) {
            return Err(Error::Forbidden);
        }
        let mut handle = self.db.read().await?;
        store::invoices::list(&mut handle.conn(), &Scope::new(viewer), filter, page).await
    }

    /// Voids a sent invoice that nothing has been paid on; the reason goes to the audit trail.
    pub async fn void_invoice(&self, viewer: &Viewer, id: InvoiceId, reason: &str) -> Result<()> {
        let actor = viewer.require_finance()?;
        let reason = domain::text::required_line("reason", reason, 500)?;
        let now = self.now();
        let mut tx = self.db.begin().await?;
        let mut conn = tx.conn();
        store::invoices::get_any(&mut conn, id).await?.status.allows(InvoiceAction::Void)?;
        store::invoices::set_void(&mut conn, id, &reason, now).await?;
        refresh_status(&mut conn, id, None, now).await?;
        store::audit::record(&mut conn, Some(actor), "invoice.voided", Some(id.0), &reason, now).await?;
        tx.commit().await
    }

    /// Corrects a sent invoice with a credit note: the lines credited (in the invoice's
    /// currency and with its tax rates), numbered from the credit-note series and sent at
    /// once. The credit cannot exceed what the invoice has not been credited yet. The credit
    /// note is emailed to the client's contacts who see invoices.
    pub async fn credit_invoice(&self, viewer: &Viewer, id: InvoiceId, lines: &[LineInput], reason: &str) -> Result<InvoiceId> {
        self.credit(viewer, id, lines, reason, Notify::Contacts).await
    }

    pub(crate) async fn credit(
        &self,
        viewer: &Viewer,
        id: InvoiceId,
        lines: &[LineInput],
        reason: &str,
        notify: Notify,
    ) -> Result<InvoiceId> {
        let actor = viewer.require_finance()?;
        let reason = domain::text::required_line("reason", reason, 500)?;
        let now = self.now();
        let today = self.today();
        let mut tx = self.db.begin().await?;
        let mut conn = tx.conn();
        let invoice = store::invoices::get_any(&mut conn, id).await?;
        if invoice.is_credit_note() {
            return Err(Error::invalid("invoice", "A credit note is not credited again."));
        }
        invoice.status.allows(InvoiceAction::Credit)?;
        let input = InvoiceInput {
            client_org: Some(invoice.client_org_id),
            project: invoice.project_id,
            currency: invoice.currency.code().to_string(),
            issue_date: Some(today),
            lines: lines.to_vec(),
            tax_rates: invoice.tax_rates()?,
            notes: reason.clone(),
            ..Default::default()
        };
        let draft = check_draft(&mut conn, &input).await?;
        if draft.lines.is_empty() || draft.totals.total <= 0 {
            return Err(Error::invalid("lines", "A credit note needs at least one line with an amount."));
        }
        if !store::invoices::add_credit(&mut conn, id, draft.totals.total).await? {
            let left = invoice.currency.format(invoice.total_minor - invoice.credited_minor);
            return Err(Error::invalid(
                "lines",
                format!("The credit is more than the {left} not yet credited on this invoice."),
            ));
        }
        let note = InvoiceId::new();
        store::invoices::insert(
            &mut conn,
            note,
            InvoiceKind::CreditNote,
            &fields(&input, &draft),
            Some(id),
            actor,
            now,
        )
        .await?;
        store::invoices::replace_lines(&mut conn, note, &line_rows(&draft)).await?;
        let credit = store::invoices::get_any(&mut conn, note).await?;
        let number = self.issue_number(&mut conn, &credit, today).await?;
        store::invoices::mark_sent(&mut conn, note, &number, today, None, now).await?;
        let credit = refresh_status(&mut conn, note, None, now).await?;
        let credited = refresh_status(&mut conn, id, None, now).await?;
        let detail = format!("credit note {number} for {}: {reason}", draft.currency.format(draft.totals.total));
        store::audit::record(&mut conn, Some(actor), "invoice.credited", Some(id.0), &detail, now).await?;
        if matches!(notify, Notify::Contacts) {
            let settings = invoice_settings(&mut conn).await?;
            let mail = InvoiceMail::CreditNote {
                invoice_number: credited.number.clone().unwrap_or_default(),
                still_due: credited.balance().max(0),
            };
            self.email_invoice(&mut conn, &credit, mail, &settings).await?;
        }
        tx.commit().await?;
        self.outbox.wake();
        Ok(note)
    }

    /// Records a payment received outside the gateways (bank transfer, cash, cheque). It
    /// cannot exceed what is still owed: two payments racing for the last cent do not both
    /// pass.
    pub async fn record_payment(&self, viewer: &Viewer, id: InvoiceId, input: &PaymentInput) -> Result<PaymentId> {
        self.record_manual(viewer, id, input, false, Notify::Contacts).await
    }

    /// Records money given back (a negative payment), up to what was paid.
    pub async fn record_refund(&self, viewer: &Viewer, id: InvoiceId, input: &PaymentInput) -> Result<PaymentId> {
        self.record_manual(viewer, id, input, true, Notify::Nobody).await
    }

    pub(crate) async fn record_manual(
        &self,
        viewer: &Viewer,
        id: InvoiceId,
        input: &PaymentInput,
        refund: bool,
        notify: Notify,
    ) -> Result<PaymentId> {
        let actor = viewer.require_finance()?;
        let now = self.now();
        let mut tx = self.db.begin().await?;
        let mut conn = tx.conn();
        let invoice = store::invoices::get_any(&mut conn, id).await?;
        if !MANUAL_METHODS.iter().any(|(m, _)| *m == input.method) {
            return Err(Error::invalid("method", "Choose how the money was paid."));
        }
        let reference = domain::text::optional_line("reference", &input.reference, 200)?;
        let note = domain::text::multi_line("note", &input.note, 2000)?;
        if invoice.is_credit_note() {
            return Err(Error::invalid("invoice", "Payments are recorded on invoices, not credit notes."));
        }
        let status = invoice.status;
        status.allows(if refund { InvoiceAction::Refund } else { InvoiceAction::Pay })?;
        let currency = invoice.currency;
        let amount = currency.parse_amount("amount", &input.amount)?;
        if amount <= 0 {
            return Err(Error::invalid("amount", "The amount must be more than zero."));
        }
        let applied = if refund {
            store::invoices::add_paid(&mut conn, id, -amount, false).await?
        } else {
            store::invoices::add_paid(&mut conn, id, amount, true).await?
        };
        if !applied {
            // Read again: a payment that raced this one may have changed the figures.
            let now_owed = store::invoices::get_any(&mut conn, id).await?;
            let message = if refund {
                format!("A refund cannot exceed the {} paid.", currency.format(now_owed.paid_minor))
            } else {
                format!("That is more than the {} still owed.", currency.format(now_owed.balance().max(0)))
            };
            return Err(Error::invalid("amount", message));
        }
        let payment = PaymentId::new();
        let signed = if refund { -amount } else { amount };
        let new = NewPayment {
            id: payment,
            invoice: id,
            client_org: invoice.client_org_id,
            amount: signed,
            currency,
            method: &input.method,
            reference: &reference,
            note: &note,
            received_on: input.received_on.unwrap_or_else(|| self.today()),
            gateway_ref: None,
            recorded_by: Some(actor),
        };
        store::invoices::insert_payment(&mut conn, &new, now).await?;
        let paid = refresh_status(&mut conn, id, None, now).await?;
        if matches!(notify, Notify::Contacts) {
            let settings = invoice_settings(&mut conn).await?;
            self.email_invoice(&mut conn, &paid, InvoiceMail::Receipt { amount }, &settings)
                .await?;
        }
        let action = if refund { "invoice.refunded" } else { "invoice.paid" };
        let detail = format!(
            "{} by {}{}",
            currency.format(signed),
            input.method,
            if reference.is_empty() {
                String::new()
            } else {
                format!(" ({reference})")
            }
        );
        store::audit::record(&mut conn, Some(actor), action, Some(id.0), &detail, now).await?;
        tx.commit().await?;
        self.outbox.wake();
        Ok(payment)
    }

    /// The daily job: marks overdue the open invoices whose due date is before today in the
    /// installation's calendar. Returns how many it marked.
    pub async fn mark_overdue_invoices(&self) -> Result<usize> {
        let today = self.today();
        let mut marked = 0;
        loop {
            let ids = {
                let mut handle = self.db.read().await?;
                store::invoices::newly_overdue(&mut handle.conn(), today, 200).await?
            };
            if ids.is_empty() {
                return Ok(marked);
            }
            let now = self.now();
            let mut tx = self.db.begin().await?;
            let mut conn = tx.conn();
            for id in &ids {
                refresh_status(&mut conn, *id, Some(true), now).await?;
                store::audit::record(&mut conn, None, "invoice.overdue", Some(id.0), "due date passed", now).await?;
            }
            tx.commit().await?;
            marked += ids.len();
        }
    }
}
