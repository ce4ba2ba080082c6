//! An invoice as the lists of several pages show it (the staff list, the portal, a project,
//! a client).

use chrono::NaiveDate;
use domain::Error;
use domain::invoices::InvoiceStatus;
use store::invoices::Invoice;

/// One invoice in a list.
pub struct InvoiceRow {
    pub href: String,
    /// The number, or "Draft".
    pub number: String,
    pub credit_note: bool,
    pub client: String,
    pub project: Option<String>,
    pub issued: Option<NaiveDate>,
    pub due: Option<NaiveDate>,
    pub total: String,
    pub balance: String,
    pub status: InvoiceStatus,
}

impl InvoiceRow {
    pub fn new(invoice: &Invoice, base: &str) -> Result<InvoiceRow, Error> {
        let currency = invoice.currency()?;
        let money = |minor: i64| currency.format(minor);
        let status = invoice.status()?;
        Ok(InvoiceRow {
            href: format!("{base}/{}", invoice.id),
            number: invoice.number.clone().unwrap_or_else(|| "Draft".into()),
            credit_note: invoice.is_credit_note(),
            client: invoice.client_org_name.clone(),
            project: invoice.project_name.clone(),
            issued: invoice.issue_date,
            due: invoice.due_date,
            total: money(invoice.total_minor),
            balance: match status {
                _ if invoice.is_credit_note() => String::new(),
                InvoiceStatus::Draft | InvoiceStatus::Void => "—".into(),
                _ => money(invoice.balance()),
            },
            status,
        })
    }
}
