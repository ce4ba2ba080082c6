//! The financial reports for admins and finance staff: revenue by month, receivables by age,
//! totals per client and the payment history, on the page and as CSV. Clients and staff
//! without the finance permission are refused.

use crate::App;
use crate::csv::{Cell, row};
use chrono::{Datelike, NaiveDate};
use domain::access::Viewer;
use domain::money::Currency;
use domain::users::{Page, PageRequest};
use domain::{Error, Result};
use store::reports::{Aging, ClientTotals, MonthRevenue, PaymentLine};
use store::scope::Scope;

/// Months the revenue report covers, the current one included.
pub const REVENUE_MONTHS: u32 = 12;

/// The reports page.
pub struct FinancialReport {
    pub today: NaiveDate,
    pub revenue: Vec<MonthRevenue>,
    pub receivables: Vec<Aging>,
    pub clients: Page<ClientTotals>,
}

/// The first day of the month `months - 1` months before `today`'s.
pub fn first_month(today: NaiveDate, months: u32) -> NaiveDate {
    let index = today.year() * 12 + today.month0() as i32 - (months as i32 - 1);
    NaiveDate::from_ymd_opt(index.div_euclid(12), index.rem_euclid(12) as u32 + 1, 1).expect("the first of a month exists")
}

/// A figure in the currency's units for CSV (`-12.50`).
fn figure(currency: Currency, minor: i64) -> Cell<'static> {
    Cell::Figure(currency.units_of(minor).to_string())
}

impl App {
    pub async fn financial_report(&self, viewer: &Viewer, clients_page: PageRequest) -> Result<FinancialReport> {
        viewer.require_finance()?;
        let today = self.today();
        let scope = Scope::new(viewer);
        let mut handle = self.db.read().await?;
        let mut conn = handle.conn();
        Ok(FinancialReport {
            today,
            revenue: store::reports::revenue_by_month(&mut conn, &scope, first_month(today, REVENUE_MONTHS)).await?,
            receivables: store::reports::receivables(&mut conn, &scope, today, None).await?,
            clients: store::reports::client_totals(&mut conn, &scope, clients_page).await?,
        })
    }

    pub async fn payment_history(&self, viewer: &Viewer, page: PageRequest) -> Result<Page<PaymentLine>> {
        viewer.require_finance()?;
        let mut handle = self.db.read().await?;
        store::reports::payment_history(&mut handle.conn(), &Scope::new(viewer), page).await
    }

    /// One report as CSV: `revenue`, `receivables`, `clients` or `payments`. Lists are read a
    /// page at a time.
    pub async fn report_csv(&self, viewer: &Viewer, report: &str) -> Result<String> {
        viewer.require_finance()?;
        let all = |page| PageRequest {
            page,
            per_page: PageRequest::MAX_PER_PAGE,
        };
        let mut out = String::new();
        match report {
            "revenue" => {
                let today = self.today();
                let mut handle = self.db.read().await?;
                let revenue =
                    store::reports::revenue_by_month(&mut handle.conn(), &Scope::new(viewer), first_month(today, REVENUE_MONTHS)).await?;
                out.push_str("month,currency,invoiced,received\r\n");
                for m in &revenue {
                    out.push_str(&row(&[
                        Cell::Text(&m.month),
                        Cell::Text(m.currency.code()),
                        figure(m.currency, m.invoiced_minor),
                        figure(m.currency, m.received_minor),
                    ]));
                }
            }
            "receivables" => {
                let mut handle = self.db.read().await?;
                let receivables = store::reports::receivables(&mut handle.conn(), &Scope::new(viewer), self.today(), None).await?;
                out.push_str("currency,current,days_1_30,days_31_60,days_61_90,days_over_90,total,invoices\r\n");
                for a in &receivables {
                    out.push_str(&row(&[
                        Cell::Text(a.currency.code()),
                        figure(a.currency, a.current_minor),
                        figure(a.currency, a.days_1_30_minor),
                        figure(a.currency, a.days_31_60_minor),
                        figure(a.currency, a.days_61_90_minor),
                        figure(a.currency, a.days_over_90_minor),
                        figure(a.currency, a.total_minor),
                        Cell::Figure(a.invoices.to_string()),
                    ]));
                }
            }
            "clients" => {
                out.push_str("client,currency,invoices,invoiced,paid,outstanding\r\n");
                let mut page = 1;
                loop {
                    let report = self.financial_report(viewer, all(page)).await?;
                    for c in &report.clients.items {
                        out.push_str(&row(&[
                            Cell::Text(&c.client_name),
                            Cell::Text(c.currency.code()),
                            Cell::Figure(c.invoices.to_string()),
                            figure(c.currency, c.invoiced_minor),
                            figure(c.currency, c.paid_minor),
                            figure(c.currency, c.outstanding_minor),
                        ]));
                    }
                    if !report.clients.has_next() {
                        break;
                    }
                    page += 1;
                }
            }
            "payments" => {
                out.push_str("received_on,invoice,client,amount,currency,method,reference,gateway_reference\r\n");
                let mut page = 1;
                loop {
                    let history = self.payment_history(viewer, all(page)).await?;
                    for p in &history.items {
                        out.push_str(&row(&[
                            Cell::Figure(p.received_on.to_string()),
                            Cell::Text(p.number.as_deref().unwrap_or_default()),
                            Cell::Text(&p.client_name),
                            figure(p.currency, p.amount_minor),
                            Cell::Text(p.currency.code()),
                            Cell::Text(&p.method),
                            Cell::Text(&p.reference),
                            Cell::Text(p.gateway_ref.as_deref().unwrap_or_default()),
                        ]));
                    }
                    if !history.has_next() {
                        break;
                    }
                    page += 1;
                }
            }
            _ => return Err(Error::NotFound),
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_revenue_report_starts_eleven_months_back() {
        let day = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap();
        assert_eq!(first_month(day(2026, 11, 29), 12), day(2025, 12, 1));
        assert_eq!(first_month(day(2026, 1, 31), 12), day(2025, 2, 1));
        assert_eq!(first_month(day(2026, 12, 1), 1), day(2026, 12, 1));
    }
}
