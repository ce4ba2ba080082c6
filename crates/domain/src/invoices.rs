//! Invoices: line items, discounts and taxes computed exactly, the status machine, and
//! numbers from a pattern.
//!
//! **How totals are computed** (amounts in minor units; "round" is [`crate::money`]'s rule,
//! half away from zero):
//! 1. Each line: `amount = round(quantity × unit price)`, `discount = round(amount × line
//!    discount %)`, `net = amount − discount`.
//! 2. `subtotal = Σ net`.
//! 3. The invoice discount: `round(subtotal × %)`, or a fixed amount no larger than the
//!    subtotal. It is shared among the lines in proportion to their net (largest remainder,
//!    so the shares add up to it exactly) to find each line's taxable amount.
//! 4. Taxes, per named rate: an inclusive rate's tax is already inside the price (the line's
//!    base is `taxable / (1 + Σ inclusive rates)`); an exclusive rate adds `base × rate`; a
//!    compound rate applies to the base plus the line's other exclusive taxes. Each rate's
//!    exact amounts are summed over the lines and rounded **once per rate**.
//! 5. `total = subtotal − invoice discount + Σ exclusive tax amounts`. Inclusive taxes are
//!    printed as "included" and not added again.
//!
//! Every printed figure is a whole number of minor units and the total is their exact sum, so
//! the printed lines always add up to the printed total.

use crate::money::{Currency, MAX_MINOR, parse_decimal, to_minor};
use crate::{Error, Result};
use chrono::{Datelike, NaiveDate};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// Lines on one invoice, at most.
pub const MAX_LINES: usize = 500;
/// Tax rates on one line, at most.
pub const MAX_TAXES_PER_LINE: usize = 4;
/// The largest quantity on a line.
pub const MAX_QUANTITY: i64 = 1_000_000;
/// The largest unit price, in the currency's units.
pub const MAX_UNIT_PRICE: i64 = 1_000_000_000;
/// Decimals a quantity or a percentage may have.
pub const MAX_DECIMALS: u32 = 4;

/// A named tax rate as an invoice uses it (copied onto the invoice, so that changing the rate
/// later never changes an invoice already sent).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaxRate {
    pub name: String,
    /// Percent: 20 for 20 %.
    pub percent: Decimal,
    /// The price already includes this tax.
    pub inclusive: bool,
    /// Applied to the price plus the line's other (non-compound) taxes.
    pub compound: bool,
}

impl TaxRate {
    pub fn parse(name: &str, percent: &str, inclusive: bool, compound: bool) -> Result<TaxRate> {
        let name = crate::text::required_line("name", name, 60)?;
        if inclusive && compound {
            return Err(Error::invalid("compound", "A tax included in the price cannot also be compound."));
        }
        Ok(TaxRate {
            name,
            percent: parse_percent("percent", percent)?,
            inclusive,
            compound,
        })
    }

    /// "VAT 20%", "GST 7.5% (included)".
    pub fn label(&self) -> String {
        let mut label = format!("{} {}%", self.name, self.percent.normalize());
        if self.inclusive {
            label.push_str(" (included)");
        } else if self.compound {
            label.push_str(" (compound)");
        }
        label
    }
}

/// One line item. `taxes` index the invoice's own list of rates.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Line {
    pub description: String,
    pub quantity: Decimal,
    /// Minor units.
    pub unit_price: i64,
    /// Percent off this line (0 for none).
    pub discount_percent: Decimal,
    pub taxes: Vec<usize>,
}

impl Line {
    /// A line as typed in a form: every field checked, in the invoice's currency.
    pub fn parse(
        currency: Currency,
        description: &str,
        quantity: &str,
        unit_price: &str,
        discount_percent: &str,
        taxes: Vec<usize>,
    ) -> Result<Line> {
        let description = crate::text::multi_line("description", description, 2000)?;
        if description.trim().is_empty() {
            return Err(Error::invalid("description", "Describe the line item."));
        }
        let quantity = parse_decimal("quantity", quantity)?;
        if quantity <= Decimal::ZERO {
            return Err(Error::invalid("quantity", "The quantity must be more than zero."));
        }
        if quantity > Decimal::from(MAX_QUANTITY) {
            return Err(Error::invalid("quantity", "The quantity is at most 1,000,000."));
        }
        if quantity.scale() > MAX_DECIMALS {
            return Err(Error::invalid("quantity", "A quantity has at most 4 decimals."));
        }
        let unit_price = currency.parse_amount("unit_price", unit_price)?;
        if unit_price < 0 {
            return Err(Error::invalid(
                "unit_price",
                "A price cannot be negative: use a discount, or a credit note for money owed back.",
            ));
        }
        if currency.units_of(unit_price) > Decimal::from(MAX_UNIT_PRICE) {
            return Err(Error::invalid("unit_price", "A unit price is at most 1,000,000,000."));
        }
        let discount_percent = if discount_percent.trim().is_empty() {
            Decimal::ZERO
        } else {
            parse_percent("discount_percent", discount_percent)?
        };
        if taxes.len() > MAX_TAXES_PER_LINE {
            return Err(Error::invalid("taxes", "A line has at most 4 taxes."));
        }
        Ok(Line {
            description,
            quantity,
            unit_price,
            discount_percent,
            taxes,
        })
    }
}

/// A discount on the whole invoice.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "value", rename_all = "snake_case")]
pub enum Discount {
    #[default]
    None,
    Percent(Decimal),
    /// Minor units.
    Fixed(i64),
}

/// A line's printed figures (minor units).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LineTotal {
    /// Quantity × unit price.
    pub amount: i64,
    pub discount: i64,
    /// `amount − discount`.
    pub net: i64,
}

/// One tax rate's printed figures (minor units).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TaxTotal {
    /// Index into the invoice's rates.
    pub rate: usize,
    pub base: i64,
    pub amount: i64,
    pub inclusive: bool,
}

/// Everything an invoice prints, computed by the rule in this module's documentation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Totals {
    pub lines: Vec<LineTotal>,
    pub subtotal: i64,
    pub discount: i64,
    /// Only rates some line uses, in the invoice's order.
    pub taxes: Vec<TaxTotal>,
    /// What the exclusive taxes add.
    pub tax_added: i64,
    pub total: i64,
}

/// Computes an invoice's figures. Refuses a tax index that is not on the invoice, a fixed
/// discount above the subtotal and totals beyond [`MAX_MINOR`].
pub fn compute_totals(lines: &[Line], rates: &[TaxRate], discount: Discount) -> Result<Totals> {
    if lines.len() > MAX_LINES {
        return Err(Error::invalid("lines", "An invoice has at most 500 lines."));
    }
    let hundred = Decimal::ONE_HUNDRED;
    let mut printed = Vec::with_capacity(lines.len());
    for line in lines {
        if line.taxes.iter().any(|t| *t >= rates.len()) {
            return Err(Error::invalid("taxes", "A line uses a tax rate the invoice does not have."));
        }
        let amount = checked("lines", line.quantity.checked_mul(Decimal::from(line.unit_price)))?;
        let amount = to_minor("lines", amount)?;
        let discount = to_minor("lines", Decimal::from(amount) * line.discount_percent / hundred)?;
        printed.push(LineTotal {
            amount,
            discount,
            net: amount - discount,
        });
    }
    let subtotal = sum("lines", printed.iter().map(|l| l.net))?;
    let discount = match discount {
        Discount::None => 0,
        Discount::Percent(percent) => to_minor("discount", Decimal::from(subtotal) * percent / hundred)?,
        Discount::Fixed(amount) if amount < 0 => return Err(Error::invalid("discount", "A discount cannot be negative.")),
        Discount::Fixed(amount) if amount > subtotal => {
            return Err(Error::invalid("discount", "The discount is larger than the subtotal."));
        }
        Discount::Fixed(amount) => amount,
    };
    let shares = allocate(discount, &printed.iter().map(|l| l.net).collect::<Vec<_>>());

    // Exact per-rate sums of bases and taxes over all lines; rounded once each below.
    let mut exact_base = vec![Decimal::ZERO; rates.len()];
    let mut exact_tax = vec![Decimal::ZERO; rates.len()];
    let mut used = vec![false; rates.len()];
    for ((line, total), share) in lines.iter().zip(&printed).zip(&shares) {
        let taxable = Decimal::from(total.net - share);
        let included: Decimal = line.taxes.iter().filter(|t| rates[**t].inclusive).map(|t| rates[*t].percent).sum();
        let base = taxable / (Decimal::ONE + included / hundred);
        let mut simple_added = Decimal::ZERO;
        for &t in line.taxes.iter().filter(|t| !rates[**t].compound) {
            let tax = base * rates[t].percent / hundred;
            if !rates[t].inclusive {
                simple_added += tax;
            }
            exact_base[t] += base;
            exact_tax[t] += tax;
            used[t] = true;
        }
        for &t in line.taxes.iter().filter(|t| rates[**t].compound) {
            exact_base[t] += base + simple_added;
            exact_tax[t] += (base + simple_added) * rates[t].percent / hundred;
            used[t] = true;
        }
    }
    let mut taxes = Vec::new();
    for (index, rate) in rates.iter().enumerate().filter(|(i, _)| used[*i]) {
        taxes.push(TaxTotal {
            rate: index,
            base: to_minor("taxes", exact_base[index])?,
            amount: to_minor("taxes", exact_tax[index])?,
            inclusive: rate.inclusive,
        });
    }
    let tax_added = sum("taxes", taxes.iter().filter(|t| !t.inclusive).map(|t| t.amount))?;
    let total = sum("lines", [subtotal, -discount, tax_added].into_iter())?;
    Ok(Totals {
        lines: printed,
        subtotal,
        discount,
        taxes,
        tax_added,
        total,
    })
}

/// Shares `amount` among `weights` in proportion, in whole units that add up to it exactly:
/// each share is rounded down, then the units left go to the largest remainders (the earlier
/// line on a tie). All zero when the weights are.
pub fn allocate(amount: i64, weights: &[i64]) -> Vec<i64> {
    let total: i128 = weights.iter().map(|w| i128::from(*w)).sum();
    if total <= 0 || amount == 0 {
        return vec![0; weights.len()];
    }
    let mut shares: Vec<i64> = Vec::with_capacity(weights.len());
    let mut remainders: Vec<(i128, usize)> = Vec::with_capacity(weights.len());
    for (index, weight) in weights.iter().enumerate() {
        let exact = i128::from(amount) * i128::from(*weight);
        shares.push((exact / total) as i64);
        remainders.push((exact % total, index));
    }
    let mut left = amount - shares.iter().sum::<i64>();
    remainders.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    for (_, index) in remainders {
        if left == 0 {
            break;
        }
        shares[index] += 1;
        left -= 1;
    }
    shares
}

fn checked(field: &'static str, value: Option<Decimal>) -> Result<Decimal> {
    value.ok_or_else(|| Error::invalid(field, "That amount is too large."))
}

fn sum(field: &'static str, amounts: impl Iterator<Item = i64>) -> Result<i64> {
    let mut total: i64 = 0;
    for amount in amounts {
        total = total
            .checked_add(amount)
            .filter(|t| t.abs() <= MAX_MINOR)
            .ok_or_else(|| Error::invalid(field, "The invoice's total is too large."))?;
    }
    Ok(total)
}

/// A percentage from 0 to 100 with at most 4 decimals.
pub fn parse_percent(field: &'static str, text: &str) -> Result<Decimal> {
    let percent = parse_decimal(field, text.trim().trim_end_matches('%'))?;
    if percent < Decimal::ZERO || percent > Decimal::ONE_HUNDRED {
        return Err(Error::invalid(field, "A percentage is between 0 and 100."));
    }
    if percent.scale() > MAX_DECIMALS {
        return Err(Error::invalid(field, "A percentage has at most 4 decimals."));
    }
    Ok(percent)
}

/// The reminder schedule: days from the due date, comma-separated (`-3, 0, 7`: three days
/// before, on the day, a week after). Empty for no reminders. Sorted, without repeats.
pub fn parse_reminder_days(text: &str) -> Result<Vec<i32>> {
    let mut days = Vec::new();
    for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let day: i32 = part
            .trim_start_matches('+')
            .parse()
            .map_err(|_| Error::invalid("reminder_days", format!("{part} is not a number of days.")))?;
        if !(-60..=365).contains(&day) {
            return Err(Error::invalid(
                "reminder_days",
                "Reminders are from 60 days before to 365 days after the due date.",
            ));
        }
        days.push(day);
    }
    days.sort_unstable();
    days.dedup();
    if days.len() > 6 {
        return Err(Error::invalid("reminder_days", "At most 6 reminders."));
    }
    Ok(days)
}

/// What a document is: an invoice asks for money, a credit note takes some back from the
/// invoice it credits.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InvoiceKind {
    Invoice,
    CreditNote,
}

impl InvoiceKind {
    pub fn as_str(self) -> &'static str {
        match self {
            InvoiceKind::Invoice => "invoice",
            InvoiceKind::CreditNote => "credit_note",
        }
    }

    pub fn parse(text: &str) -> Result<InvoiceKind> {
        [InvoiceKind::Invoice, InvoiceKind::CreditNote]
            .into_iter()
            .find(|k| k.as_str() == text)
            .ok_or_else(|| Error::invalid("kind", format!("Unknown document kind {text:?}.")))
    }
}

/// Where an invoice stands. Stored, and recomputed by [`status_of`] whenever its facts change.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InvoiceStatus {
    Draft,
    Sent,
    Viewed,
    PartiallyPaid,
    Paid,
    Overdue,
    Void,
}

impl InvoiceStatus {
    pub const ALL: [InvoiceStatus; 7] = [
        InvoiceStatus::Draft,
        InvoiceStatus::Sent,
        InvoiceStatus::Viewed,
        InvoiceStatus::PartiallyPaid,
        InvoiceStatus::Paid,
        InvoiceStatus::Overdue,
        InvoiceStatus::Void,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            InvoiceStatus::Draft => "draft",
            InvoiceStatus::Sent => "sent",
            InvoiceStatus::Viewed => "viewed",
            InvoiceStatus::PartiallyPaid => "partially_paid",
            InvoiceStatus::Paid => "paid",
            InvoiceStatus::Overdue => "overdue",
            InvoiceStatus::Void => "void",
        }
    }

    pub fn parse(text: &str) -> Result<InvoiceStatus> {
        InvoiceStatus::ALL
            .into_iter()
            .find(|s| s.as_str() == text)
            .ok_or_else(|| Error::invalid("status", format!("Unknown invoice status {text:?}.")))
    }

    pub fn label(self) -> &'static str {
        match self {
            InvoiceStatus::Draft => "Draft",
            InvoiceStatus::Sent => "Sent",
            InvoiceStatus::Viewed => "Viewed",
            InvoiceStatus::PartiallyPaid => "Partially paid",
            InvoiceStatus::Paid => "Paid",
            InvoiceStatus::Overdue => "Overdue",
            InvoiceStatus::Void => "Void",
        }
    }

    /// Whether the invoice still asks for money (sent and not settled or void).
    pub fn is_open(self) -> bool {
        matches!(
            self,
            InvoiceStatus::Sent | InvoiceStatus::Viewed | InvoiceStatus::PartiallyPaid | InvoiceStatus::Overdue
        )
    }

    /// Checks that an action is allowed in this status, with the reason when it is not.
    pub fn allows(self, action: InvoiceAction) -> Result<()> {
        use InvoiceAction as A;
        use InvoiceStatus as S;
        let refusal = match (action, self) {
            (A::Edit | A::Send | A::Delete, S::Draft) => None,
            (A::Edit | A::Delete, _) => Some("A sent invoice is not changed: void it, or correct it with a credit note."),
            (A::Send, _) => Some("This invoice has already been sent."),
            (A::Resend, S::Draft) => Some("Send the invoice first."),
            (A::Credit, S::Draft) => Some("A draft is edited, not credited."),
            (A::Resend | A::Credit, S::Void) => Some("This invoice is void."),
            (A::Resend | A::Credit, _) => None,
            (A::Pay, s) if s.is_open() => None,
            (A::Pay, S::Draft) => Some("This invoice has not been sent."),
            (A::Pay, S::Paid) => Some("This invoice is already paid."),
            (A::Pay, _) => Some("This invoice is void."),
            (A::Refund, S::PartiallyPaid | S::Paid | S::Overdue | S::Sent | S::Viewed) => None,
            (A::Refund, _) => Some("Nothing has been paid on this invoice."),
            (A::Void, S::Void) => Some("This invoice is already void."),
            (A::Void, S::Draft) => Some("Delete a draft instead of voiding it."),
            (A::Void, S::PartiallyPaid | S::Paid) => Some("Refund its payments before voiding this invoice."),
            (A::Void, _) => None,
        };
        match refusal {
            None => Ok(()),
            Some(message) => Err(Error::conflict("status", message)),
        }
    }
}

/// What someone may try to do to an invoice.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InvoiceAction {
    Edit,
    Delete,
    Send,
    Resend,
    Pay,
    Refund,
    Credit,
    Void,
}

/// What an invoice's status follows from.
#[derive(Clone, Copy, Debug, Default)]
pub struct StatusFacts {
    pub sent: bool,
    pub viewed: bool,
    pub void: bool,
    /// Marked by the daily overdue job: the due date passed with money still owed.
    pub overdue: bool,
    pub total: i64,
    /// Payments minus refunds.
    pub paid: i64,
    /// Credit notes against the invoice.
    pub credited: i64,
}

impl StatusFacts {
    /// What is still owed (negative when the client has paid more than owed).
    pub fn balance(&self) -> i64 {
        self.total - self.credited - self.paid
    }
}

/// The status that follows from the facts: void, draft, paid once nothing is owed, then
/// overdue (it needs attention first), partially paid, viewed, sent.
pub fn status_of(facts: &StatusFacts) -> InvoiceStatus {
    if facts.void {
        InvoiceStatus::Void
    } else if !facts.sent {
        InvoiceStatus::Draft
    } else if facts.balance() <= 0 {
        InvoiceStatus::Paid
    } else if facts.overdue {
        InvoiceStatus::Overdue
    } else if facts.paid > 0 {
        InvoiceStatus::PartiallyPaid
    } else if facts.viewed {
        InvoiceStatus::Viewed
    } else {
        InvoiceStatus::Sent
    }
}

/// An invoice number pattern such as `INV-{YYYY}-{SEQ:4}`: `{YYYY}`, `{YY}` and `{MM}` take
/// the issue date; `{SEQ}` or `{SEQ:n}` (zero-padded to n digits) is the next number of the
/// pattern's series. A series is the pattern with its date filled in, so a yearly pattern
/// starts again at 1 each year.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NumberPattern(String);

impl NumberPattern {
    pub fn parse(text: &str) -> Result<NumberPattern> {
        let text = text.trim();
        let invalid = |message: &str| Error::invalid("number_pattern", message);
        if text.is_empty() || text.chars().count() > 40 {
            return Err(invalid("A number pattern has 1 to 40 characters, such as INV-{YYYY}-{SEQ:4}."));
        }
        let mut sequences = 0;
        let mut literal = String::new();
        let mut rest = text;
        while let Some(open) = rest.find('{') {
            literal.push_str(&rest[..open]);
            let close = rest[open..].find('}').ok_or_else(|| invalid("A { in the pattern is not closed."))? + open;
            match &rest[open + 1..close] {
                "YYYY" | "YY" | "MM" => {}
                "SEQ" => sequences += 1,
                token if token.starts_with("SEQ:") => {
                    match token[4..].parse::<u8>() {
                        Ok(1..=9) => {}
                        _ => return Err(invalid("{SEQ:n} pads to 1 to 9 digits.")),
                    }
                    sequences += 1;
                }
                other => {
                    return Err(invalid(&format!(
                        "{{{other}}} is not a pattern field: use {{YYYY}}, {{YY}}, {{MM}} and {{SEQ}} or {{SEQ:4}}."
                    )));
                }
            }
            rest = &rest[close + 1..];
        }
        if sequences != 1 {
            return Err(invalid("The pattern needs {SEQ} (or {SEQ:4}) exactly once."));
        }
        literal.push_str(rest);
        if !literal.chars().all(|c| c.is_alphanumeric() || "-_/. #".contains(c)) {
            return Err(invalid("Use letters, digits, spaces and - _ / . # around the fields."));
        }
        Ok(NumberPattern(text.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The series a number issued on this date belongs to (the counter's key).
    pub fn series(&self, date: NaiveDate) -> String {
        self.0
            .replace("{YYYY}", &format!("{:04}", date.year()))
            .replace("{YY}", &format!("{:02}", date.year() % 100))
            .replace("{MM}", &format!("{:02}", date.month()))
    }

    /// The number itself.
    pub fn render(&self, date: NaiveDate, sequence: i64) -> String {
        let series = self.series(date);
        let open = series.find("{SEQ").expect("checked by parse");
        let close = series[open..].find('}').expect("checked by parse") + open;
        let width: usize = series[open + 1..close].strip_prefix("SEQ:").map_or(1, |w| w.parse().unwrap_or(1));
        format!("{}{sequence:0width$}{}", &series[..open], &series[close + 1..])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn eur() -> Currency {
        Currency::parse("EUR").unwrap()
    }

    fn line(quantity: &str, price: &str, taxes: Vec<usize>) -> Line {
        Line::parse(eur(), "Work", quantity, price, "", taxes).unwrap()
    }

    fn rate(percent: &str, inclusive: bool, compound: bool) -> TaxRate {
        TaxRate::parse("Tax", percent, inclusive, compound).unwrap()
    }

    #[test]
    fn a_simple_invoice_adds_up() {
        let rates = [rate("20", false, false)];
        let lines = [line("3", "33.33", vec![0]), line("1.5", "10", vec![0])];
        let totals = compute_totals(&lines, &rates, Discount::None).unwrap();
        assert_eq!(totals.lines[0].net, 9999);
        assert_eq!(totals.lines[1].net, 1500);
        assert_eq!(totals.subtotal, 11_499);
        // One rounding for the rate: 20 % of 114.99 = 22.998 → 23.00.
        assert_eq!(totals.taxes[0].amount, 2300);
        assert_eq!(totals.total, 13_799);
    }

    #[test]
    fn rounding_once_per_rate_avoids_the_cent_drift_of_rounding_per_line() {
        // Three lines of 0.05 at 10 %: per line 0.005 → 0.01 each, 0.03 in all; the exact
        // tax is 0.015 → 0.02.
        let rates = [rate("10", false, false)];
        let lines = vec![line("1", "0.05", vec![0]); 3];
        let totals = compute_totals(&lines, &rates, Discount::None).unwrap();
        assert_eq!(totals.taxes[0].amount, 2);
        assert_eq!(totals.total, 17);
    }

    #[test]
    fn inclusive_compound_and_discounts() {
        // Price includes 20 % VAT: 120.00 is 100.00 + 20.00 VAT; nothing is added.
        let rates = [rate("20", true, false), rate("5", false, false), rate("10", false, true)];
        let totals = compute_totals(&[line("1", "120", vec![0])], &rates, Discount::None).unwrap();
        assert_eq!((totals.taxes[0].base, totals.taxes[0].amount), (10_000, 2000));
        assert_eq!(totals.total, 12_000);
        // 5 % then 10 % compound on 100 + 5: 5.00 and 10.50.
        let totals = compute_totals(&[line("1", "100", vec![1, 2])], &rates, Discount::None).unwrap();
        assert_eq!(totals.taxes[0].amount, 500);
        assert_eq!((totals.taxes[1].base, totals.taxes[1].amount), (10_500, 1050));
        assert_eq!(totals.total, 11_550);
        // A line discount, then 10 % off the invoice, before tax.
        let mut discounted = line("2", "50", vec![1]);
        discounted.discount_percent = Decimal::from(25);
        let totals = compute_totals(&[discounted], &rates, Discount::Percent(Decimal::from(10))).unwrap();
        assert_eq!(
            totals.lines[0],
            LineTotal {
                amount: 10_000,
                discount: 2500,
                net: 7500
            }
        );
        assert_eq!(totals.discount, 750);
        assert_eq!(totals.taxes[0].base, 6750);
        assert_eq!(totals.taxes[0].amount, 338, "5 % of 67.50 = 3.375 → 3.38");
        assert_eq!(totals.total, 7500 - 750 + 338);
    }

    #[test]
    fn currencies_with_zero_and_three_decimals() {
        let jpy = Currency::parse("JPY").unwrap();
        let rates = [rate("8", false, false)];
        let lines = [Line::parse(jpy, "Design", "3", "1999", "", vec![0]).unwrap()];
        let totals = compute_totals(&lines, &rates, Discount::None).unwrap();
        assert_eq!(totals.taxes[0].amount, 480, "8 % of 5,997 yen = 479.76 → 480");
        assert_eq!(jpy.format(totals.total), "JPY 6,477");
        assert!(Line::parse(jpy, "x", "1", "0.5", "", vec![]).is_err());
        let kwd = Currency::parse("KWD").unwrap();
        let lines = [Line::parse(kwd, "Hosting", "0.5", "12.345", "", vec![0]).unwrap()];
        let totals = compute_totals(&lines, &rates, Discount::None).unwrap();
        assert_eq!(totals.subtotal, 6173, "6.1725 → 6.173");
        assert_eq!(kwd.format(totals.total), "KWD 6.667");
    }

    #[test]
    fn bad_lines_and_discounts_are_refused() {
        let refused = |q: &str, p: &str, d: &str| Line::parse(eur(), "Work", q, p, d, vec![]).unwrap_err().to_string();
        assert!(refused("-1", "10", "").contains("more than zero"));
        assert!(refused("0", "10", "").contains("more than zero"));
        assert!(refused("1000000000000000", "10", "").contains("at most 1,000,000"));
        assert!(refused("1", "1000000000000000", "").contains("too large") || refused("1", "1000000000000000", "").contains("at most"));
        assert!(refused("1", "-5", "").contains("cannot be negative"));
        assert!(refused("1", "1.005", "").contains("at most 2 decimals"));
        assert!(refused("1.00001", "1", "").contains("at most 4 decimals"));
        assert!(refused("1", "1", "101").contains("between 0 and 100"));
        assert!(Line::parse(eur(), "  ", "1", "1", "", vec![]).is_err());
        let lines = [line("1", "10", vec![])];
        assert!(
            compute_totals(&lines, &[], Discount::Fixed(1001))
                .unwrap_err()
                .to_string()
                .contains("larger than the subtotal")
        );
        assert!(compute_totals(&lines, &[], Discount::Fixed(-1)).is_err());
        assert!(compute_totals(&[line("1", "10", vec![3])], &[], Discount::None).is_err());
        assert!(TaxRate::parse("VAT", "20", true, true).is_err());
        // The largest allowed line times the most lines stays within bounds or is refused.
        let big = Line::parse(eur(), "Big", "1000000", "1000000000", "", vec![]).unwrap();
        let err = compute_totals(&vec![big; MAX_LINES], &[], Discount::None).unwrap_err();
        assert!(err.to_string().contains("too large"), "{err}");
    }

    #[test]
    fn allocation_is_exact_and_proportional() {
        assert_eq!(allocate(100, &[1, 1, 1]), vec![34, 33, 33]);
        assert_eq!(allocate(10, &[0, 5, 5]), vec![0, 5, 5]);
        assert_eq!(allocate(7, &[0, 0]), vec![0, 0]);
        assert_eq!(allocate(0, &[3, 4]), vec![0, 0]);
    }

    #[test]
    fn the_status_follows_the_facts() {
        let sent = StatusFacts {
            sent: true,
            total: 1000,
            ..Default::default()
        };
        assert_eq!(status_of(&StatusFacts::default()), InvoiceStatus::Draft);
        assert_eq!(status_of(&sent), InvoiceStatus::Sent);
        assert_eq!(status_of(&StatusFacts { viewed: true, ..sent }), InvoiceStatus::Viewed);
        assert_eq!(status_of(&StatusFacts { paid: 400, ..sent }), InvoiceStatus::PartiallyPaid);
        assert_eq!(
            status_of(&StatusFacts {
                paid: 400,
                overdue: true,
                ..sent
            }),
            InvoiceStatus::Overdue
        );
        assert_eq!(
            status_of(&StatusFacts {
                paid: 1000,
                overdue: true,
                ..sent
            }),
            InvoiceStatus::Paid
        );
        assert_eq!(
            status_of(&StatusFacts {
                paid: 600,
                credited: 400,
                ..sent
            }),
            InvoiceStatus::Paid
        );
        assert_eq!(status_of(&StatusFacts { void: true, ..sent }), InvoiceStatus::Void);
        // A refund reopens a paid invoice.
        assert_eq!(status_of(&StatusFacts { paid: 1000 - 300, ..sent }), InvoiceStatus::PartiallyPaid);
    }

    #[test]
    fn the_status_machine_guards_actions() {
        use InvoiceAction as A;
        use InvoiceStatus as S;
        assert!(S::Draft.allows(A::Edit).is_ok());
        assert!(S::Sent.allows(A::Edit).unwrap_err().to_string().contains("credit note"));
        assert!(S::Void.allows(A::Pay).is_err());
        assert!(S::Paid.allows(A::Pay).unwrap_err().to_string().contains("already paid"));
        assert!(S::Overdue.allows(A::Pay).is_ok());
        assert!(S::Paid.allows(A::Void).unwrap_err().to_string().contains("Refund"));
        assert!(S::Sent.allows(A::Void).is_ok());
        assert!(S::Sent.allows(A::Send).is_err());
        assert!(S::Draft.allows(A::Pay).is_err());
        for status in InvoiceStatus::ALL {
            assert_eq!(InvoiceStatus::parse(status.as_str()).unwrap(), status);
        }
    }

    #[test]
    fn reminder_schedules() {
        assert_eq!(parse_reminder_days("7, -3, 0, +7").unwrap(), vec![-3, 0, 7]);
        assert_eq!(parse_reminder_days("  ").unwrap(), Vec::<i32>::new());
        assert!(parse_reminder_days("soon").is_err());
        assert!(parse_reminder_days("-90").is_err());
        assert!(parse_reminder_days("1,2,3,4,5,6,7").is_err());
    }

    #[test]
    fn number_patterns() {
        let pattern = NumberPattern::parse("INV-{YYYY}-{SEQ:4}").unwrap();
        let date = NaiveDate::from_ymd_opt(2026, 3, 9).unwrap();
        assert_eq!(pattern.series(date), "INV-2026-{SEQ:4}");
        assert_eq!(pattern.render(date, 7), "INV-2026-0007");
        assert_eq!(pattern.render(date, 12345), "INV-2026-12345");
        let monthly = NumberPattern::parse("{YY}{MM}/{SEQ}").unwrap();
        assert_eq!(monthly.render(date, 3), "2603/3");
        for bad in [
            "",
            "INV",
            "INV-{SEQ}-{SEQ}",
            "INV-{DD}-{SEQ}",
            "INV-{SEQ:0}",
            "INV-{SEQ",
            "<b>{SEQ}",
            "{SEQ:99}",
        ] {
            assert!(NumberPattern::parse(bad).is_err(), "{bad:?}");
        }
    }

    fn arb_rate() -> impl Strategy<Value = TaxRate> {
        (0u32..=300_000, any::<bool>(), any::<bool>()).prop_map(|(basis_points, inclusive, compound)| TaxRate {
            name: "Tax".into(),
            percent: Decimal::new(i64::from(basis_points), 4).min(Decimal::ONE_HUNDRED),
            inclusive,
            compound: compound && !inclusive,
        })
    }

    fn arb_line(rates: usize) -> impl Strategy<Value = Line> {
        (
            1i64..=50_000_000,
            0i64..=10_000_000_000,
            0u32..=1_000_000,
            proptest::collection::vec(0..rates.max(1), 0..=if rates == 0 { 0 } else { 3 }),
        )
            .prop_map(|(quantity, price, discount, mut taxes)| {
                taxes.sort_unstable();
                taxes.dedup();
                Line {
                    description: "x".into(),
                    quantity: Decimal::new(quantity, 4),
                    unit_price: price,
                    discount_percent: Decimal::new(i64::from(discount), 4),
                    taxes,
                }
            })
    }

    fn arb_invoice() -> impl Strategy<Value = (Vec<Line>, Vec<TaxRate>, Discount, u32)> {
        proptest::collection::vec(arb_rate(), 0..4).prop_flat_map(|rates| {
            let count = rates.len();
            (
                proptest::collection::vec(arb_line(count), 1..30),
                Just(rates),
                prop_oneof![
                    Just(Discount::None),
                    (0u32..=1_000_000).prop_map(|p| Discount::Percent(Decimal::new(i64::from(p), 4)))
                ],
                prop_oneof![Just(0u32), Just(2), Just(3)],
            )
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        /// The printed figures, read back from their printed text, add up to the printed total.
        #[test]
        fn printed_lines_add_up_to_the_printed_total((lines, rates, discount, digits) in arb_invoice()) {
            let currency = Currency::parse(match digits { 0 => "JPY", 3 => "KWD", _ => "EUR" }).unwrap();
            let Ok(totals) = compute_totals(&lines, &rates, discount) else { return Ok(()) };
            let read = |minor: i64| currency.parse_amount("x", &currency.format_plain(minor)).unwrap();
            let line_sum: i64 = totals.lines.iter().map(|l| read(l.net)).sum();
            prop_assert_eq!(line_sum, read(totals.subtotal));
            for l in &totals.lines {
                prop_assert_eq!(read(l.amount) - read(l.discount), read(l.net));
            }
            let added: i64 = totals.taxes.iter().filter(|t| !t.inclusive).map(|t| read(t.amount)).sum();
            prop_assert_eq!(read(totals.subtotal) - read(totals.discount) + added, read(totals.total));
        }

        /// Each tax is within half a minor unit of its exact value, and the discount's shares
        /// add up to it without taking more than a line's net.
        #[test]
        fn taxes_are_rounded_once_and_discounts_shared_exactly((lines, rates, discount, _digits) in arb_invoice()) {
            let Ok(totals) = compute_totals(&lines, &rates, discount) else { return Ok(()) };
            let nets: Vec<i64> = totals.lines.iter().map(|l| l.net).collect();
            let shares = allocate(totals.discount, &nets);
            prop_assert_eq!(shares.iter().sum::<i64>(), totals.discount);
            for (share, net) in shares.iter().zip(&nets) {
                prop_assert!(*share >= 0 && share <= net);
            }
            for tax in &totals.taxes {
                let rate = &rates[tax.rate];
                prop_assert!(tax.amount >= 0);
                if !rate.compound && !rate.inclusive {
                    let exact = Decimal::from(tax.base) * rate.percent / Decimal::ONE_HUNDRED;
                    // The base is itself rounded, so allow its half unit times the rate too.
                    prop_assert!((Decimal::from(tax.amount) - exact).abs() <= Decimal::ONE, "{} vs {}", tax.amount, exact);
                }
            }
            if rates.iter().all(|r| r.inclusive) {
                prop_assert_eq!(totals.total, totals.subtotal - totals.discount);
            }
        }
    }
}
