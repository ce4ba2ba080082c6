//! The choices of a form, as templates render them.

/// An option of a select.
pub struct SelectOption {
    pub value: String,
    pub label: String,
}

/// A checkbox in a list of people or organisations.
pub struct Choice {
    pub id: String,
    pub label: String,
    pub checked: bool,
}
