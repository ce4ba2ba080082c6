//! Online payment gateways: which ones Portico speaks, and what a Pay Now attempt may become.

use crate::{Error, Result};

/// A payment gateway a client can pay through.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Gateway {
    Stripe,
    PayPal,
    TwoCheckout,
}

impl Gateway {
    pub const ALL: [Gateway; 3] = [Gateway::Stripe, Gateway::PayPal, Gateway::TwoCheckout];

    /// The stored name, also the payment's method and the webhook's path.
    pub fn as_str(self) -> &'static str {
        match self {
            Gateway::Stripe => "stripe",
            Gateway::PayPal => "paypal",
            Gateway::TwoCheckout => "twocheckout",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Gateway::Stripe => "Stripe",
            Gateway::PayPal => "PayPal",
            Gateway::TwoCheckout => "2Checkout",
        }
    }

    /// What the Pay Now button says.
    pub fn pay_label(self) -> &'static str {
        match self {
            Gateway::Stripe => "Pay by card",
            Gateway::PayPal => "Pay with PayPal",
            Gateway::TwoCheckout => "Pay with 2Checkout",
        }
    }

    pub fn parse(name: &str) -> Result<Gateway> {
        Gateway::ALL
            .into_iter()
            .find(|g| g.as_str() == name)
            .ok_or_else(|| Error::invalid("gateway", "Choose a way to pay."))
    }
}

/// Where a Pay Now attempt stands. Only a confirmation verified with the gateway completes
/// it; a completed attempt never goes back.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AttemptStatus {
    /// Sent to the gateway; the client may be paying.
    Created,
    /// The gateway confirmed the payment and it is recorded.
    Completed,
    /// Declined, cancelled, expired or refused (a confirmation for another amount).
    Failed,
}

impl AttemptStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            AttemptStatus::Created => "created",
            AttemptStatus::Completed => "completed",
            AttemptStatus::Failed => "failed",
        }
    }

    pub fn parse(text: &str) -> Result<AttemptStatus> {
        match text {
            "created" => Ok(AttemptStatus::Created),
            "completed" => Ok(AttemptStatus::Completed),
            "failed" => Ok(AttemptStatus::Failed),
            other => Err(Error::internal(format!("unknown payment attempt status {other:?}"))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gateway_names_round_trip_and_unknown_ones_are_refused() {
        for gateway in Gateway::ALL {
            assert_eq!(Gateway::parse(gateway.as_str()).unwrap(), gateway);
        }
        assert!(Gateway::parse("bitcoin").is_err());
        assert!(Gateway::parse("Stripe").is_err());
    }
}
