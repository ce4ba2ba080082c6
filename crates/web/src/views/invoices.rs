//! Invoices as several pages show them: a row of a list (the staff list, the portal, a
//! project, a client), a dashboard's block, a payment method's name.

use chrono::NaiveDate;
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
    pub fn new(invoice: &Invoice, base: &str) -> InvoiceRow {
        let currency = invoice.currency;
        let money = |minor: i64| currency.format(minor);
        let status = invoice.status;
        InvoiceRow {
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
        }
    }
}

/// A dashboard's invoice block: open and overdue amounts per currency, newest payments.
pub struct InvoiceBlock {
    pub href: String,
    /// Currency, open invoices, amount open, overdue invoices, amount overdue.
    pub totals: Vec<(&'static str, i64, String, i64, String)>,
    /// Received on, amount, invoice number (with its page).
    pub payments: Vec<(NaiveDate, String, String, String)>,
}

impl InvoiceBlock {
    pub fn new(overview: &app::invoices::InvoiceOverview, base: &str) -> InvoiceBlock {
        InvoiceBlock {
            href: base.to_owned(),
            totals: overview
                .totals
                .iter()
                .map(|t| {
                    (
                        t.currency.code(),
                        t.open_count,
                        t.currency.format(t.open_minor),
                        t.overdue_count,
                        t.currency.format(t.overdue_minor),
                    )
                })
                .collect(),
            payments: overview
                .recent_payments
                .iter()
                .map(|p| {
                    (
                        p.payment.received_on,
                        p.payment.currency.format(p.payment.amount_minor),
                        p.number.clone().unwrap_or_default(),
                        format!("{base}/{}", p.payment.invoice_id),
                    )
                })
                .collect(),
        }
    }
}

/// A payment method's name: a gateway's, a manual method's, or the stored word.
pub fn method_label(method: &str) -> String {
    if let Ok(gateway) = domain::payments::Gateway::parse(method) {
        return gateway.label().to_owned();
    }
    app::invoices::MANUAL_METHODS
        .iter()
        .find(|(key, _)| *key == method)
        .map_or_else(|| method.to_owned(), |(_, label)| (*label).to_owned())
}
