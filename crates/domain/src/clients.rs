//! Client organisations: the CRM record behind every portal account.

use crate::access::PortalPermissions;
use crate::text::{multi_line, optional_line, required_line};
use crate::{Error, Result};

/// The editable details of a client organisation, validated.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClientDetails {
    pub name: String,
    pub address: String,
    pub billing_address: String,
    pub phone: String,
    pub website: String,
    pub tax_id: String,
    pub currency: String,
    pub notes: String,
    pub permissions: PortalPermissions,
}

/// The raw fields of a client form or API body.
#[derive(Clone, Debug, Default)]
pub struct ClientInput<'a> {
    pub name: &'a str,
    pub address: &'a str,
    pub billing_address: &'a str,
    pub phone: &'a str,
    pub website: &'a str,
    pub tax_id: &'a str,
    pub currency: &'a str,
    pub notes: &'a str,
    pub permissions: PortalPermissions,
}

impl ClientDetails {
    pub fn parse(input: &ClientInput) -> Result<Self> {
        let website = optional_line("website", input.website, 300)?;
        let is_web_address = website.starts_with("https://") || website.starts_with("http://");
        if !website.is_empty() && !is_web_address {
            return Err(Error::invalid("website", "website must start with https:// or http://"));
        }
        Ok(Self {
            name: required_line("name", input.name, 200)?,
            address: multi_line("address", input.address, 1000)?,
            billing_address: multi_line("billing_address", input.billing_address, 1000)?,
            phone: optional_line("phone", input.phone, 50)?,
            website,
            tax_id: optional_line("tax_id", input.tax_id, 50)?,
            currency: parse_currency(input.currency)?,
            notes: multi_line("notes", input.notes, 10_000)?,
            permissions: input.permissions.effective(),
        })
    }
}

/// An ISO 4217 currency code; empty means the installation's default (USD).
pub fn parse_currency(raw: &str) -> Result<String> {
    let code = raw.trim().to_ascii_uppercase();
    if code.is_empty() {
        return Ok("USD".into());
    }
    if code.len() != 3 || !code.bytes().all(|b| b.is_ascii_uppercase()) {
        return Err(Error::invalid(
            "currency",
            "currency must be a three-letter ISO 4217 code, like EUR",
        ));
    }
    Ok(code)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn details_are_validated_field_by_field() {
        let ok = ClientInput {
            name: " Acme ",
            currency: "eur",
            website: "https://acme.test",
            ..Default::default()
        };
        let details = ClientDetails::parse(&ok).unwrap();
        assert_eq!((details.name.as_str(), details.currency.as_str()), ("Acme", "EUR"));
        for (field, input) in [
            (
                "name",
                ClientInput {
                    name: "",
                    ..Default::default()
                },
            ),
            (
                "website",
                ClientInput {
                    name: "A",
                    website: "javascript:alert(1)",
                    ..Default::default()
                },
            ),
            (
                "currency",
                ClientInput {
                    name: "A",
                    currency: "EURO",
                    ..Default::default()
                },
            ),
            (
                "phone",
                ClientInput {
                    name: "A",
                    phone: "1\u{0}",
                    ..Default::default()
                },
            ),
        ] {
            assert_eq!(ClientDetails::parse(&input).unwrap_err().field(), Some(field));
        }
    }
}
