-- Invoices, credit notes, payments and the settings the payment gateways need.
-- Kept in lockstep with ../postgres/20261129000005_invoices.sql.
-- Money is BIGINT minor units of the row's currency; quantities and percentages are exact
-- decimals kept as text (domain::money and domain::invoices parse and compute them).

-- Staff see invoices, payments and the financial reports only with this permission.
ALTER TABLE users ADD COLUMN finance BOOLEAN NOT NULL DEFAULT FALSE;

-- Named tax rates offered when writing an invoice; an invoice keeps its own copy.
CREATE TABLE tax_rates (
    id BLOB PRIMARY KEY NOT NULL,
    name TEXT NOT NULL,
    percent TEXT NOT NULL,
    inclusive BOOLEAN NOT NULL,
    compound BOOLEAN NOT NULL,
    archived_at TEXT,
    created_at TEXT NOT NULL
);

CREATE TABLE invoices (
    id BLOB PRIMARY KEY NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('invoice', 'credit_note')),
    client_org_id BLOB NOT NULL REFERENCES client_orgs (id),
    project_id BLOB REFERENCES projects (id) ON DELETE SET NULL,
    -- A credit note's invoice.
    credits_invoice_id BLOB REFERENCES invoices (id),
    -- Assigned when first sent, from the series' counter; never reused.
    number TEXT UNIQUE,
    status TEXT NOT NULL CHECK (status IN ('draft', 'sent', 'viewed', 'partially_paid', 'paid', 'overdue', 'void')),
    currency TEXT NOT NULL,
    issue_date TEXT,
    due_date TEXT,
    -- Net days: the due date is the issue date plus these, when no due date is given.
    terms_days INTEGER,
    -- JSON: domain::invoices::Discount and the invoice's copy of its tax rates.
    discount TEXT NOT NULL,
    tax_rates TEXT NOT NULL,
    notes TEXT NOT NULL,
    terms TEXT NOT NULL,
    footer TEXT NOT NULL,
    subtotal_minor BIGINT NOT NULL,
    discount_minor BIGINT NOT NULL,
    tax_minor BIGINT NOT NULL,
    total_minor BIGINT NOT NULL,
    -- Payments minus refunds, and credit notes against the invoice.
    paid_minor BIGINT NOT NULL,
    credited_minor BIGINT NOT NULL,
    overdue BOOLEAN NOT NULL,
    sent_at TEXT,
    viewed_at TEXT,
    voided_at TEXT,
    void_reason TEXT NOT NULL,
    created_by BLOB REFERENCES users (id),
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
-- A client's invoices newest first (the portal's list and dashboard block), and everyone's.
CREATE INDEX invoices_client ON invoices (client_org_id, created_at, id);
CREATE INDEX invoices_recent ON invoices (created_at, id);
CREATE INDEX invoices_project ON invoices (project_id);
-- The overdue job and the receivables report read open invoices by due date.
CREATE INDEX invoices_open ON invoices (status, due_date);
CREATE INDEX invoices_credits ON invoices (credits_invoice_id);

CREATE TABLE invoice_lines (
    id BLOB PRIMARY KEY NOT NULL,
    invoice_id BLOB NOT NULL REFERENCES invoices (id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    description TEXT NOT NULL,
    quantity TEXT NOT NULL,
    unit_price_minor BIGINT NOT NULL,
    discount_percent TEXT NOT NULL,
    -- JSON list of indexes into the invoice's tax_rates.
    taxes TEXT NOT NULL,
    amount_minor BIGINT NOT NULL,
    discount_minor BIGINT NOT NULL,
    net_minor BIGINT NOT NULL,
    UNIQUE (invoice_id, position)
);

-- The last number given in each series (a pattern with its date filled in). Bumped in the
-- transaction that sends the invoice, so a number is never skipped or given twice.
CREATE TABLE invoice_number_series (
    series TEXT PRIMARY KEY NOT NULL,
    last_number BIGINT NOT NULL
);

CREATE TABLE payments (
    id BLOB PRIMARY KEY NOT NULL,
    invoice_id BLOB NOT NULL REFERENCES invoices (id),
    -- The invoice's client, so that a client's newest payments are read from an index.
    client_org_id BLOB NOT NULL REFERENCES client_orgs (id),
    -- Negative for a refund.
    amount_minor BIGINT NOT NULL,
    currency TEXT NOT NULL,
    method TEXT NOT NULL CHECK (method IN ('stripe', 'paypal', 'twocheckout', 'bank_transfer', 'cash', 'cheque', 'other')),
    reference TEXT NOT NULL,
    note TEXT NOT NULL,
    received_on TEXT NOT NULL,
    -- The gateway's id of what confirmed it (an event, a capture): recorded at most once.
    gateway_ref TEXT UNIQUE,
    recorded_by BLOB REFERENCES users (id),
    created_at TEXT NOT NULL
);
CREATE INDEX payments_invoice ON payments (invoice_id, created_at);
CREATE INDEX payments_received ON payments (received_on);
CREATE INDEX payments_client ON payments (client_org_id, created_at, id);

-- A Pay Now started at a gateway: the amount and currency the server asked for, which a
-- confirmation must match.
CREATE TABLE payment_attempts (
    id BLOB PRIMARY KEY NOT NULL,
    invoice_id BLOB NOT NULL REFERENCES invoices (id),
    gateway TEXT NOT NULL,
    amount_minor BIGINT NOT NULL,
    currency TEXT NOT NULL,
    -- The gateway's id for it (a Checkout session, an order).
    gateway_ref TEXT,
    status TEXT NOT NULL CHECK (status IN ('created', 'completed', 'failed')),
    created_by BLOB REFERENCES users (id),
    created_at TEXT NOT NULL,
    completed_at TEXT,
    UNIQUE (gateway, gateway_ref)
);
CREATE INDEX payment_attempts_invoice ON payment_attempts (invoice_id);

-- Every gateway notification handled, by the gateway's own event id: a replay is recognised.
CREATE TABLE gateway_events (
    gateway TEXT NOT NULL,
    event_id TEXT NOT NULL,
    outcome TEXT NOT NULL,
    received_at TEXT NOT NULL,
    PRIMARY KEY (gateway, event_id)
);

-- Reminders sent, one per invoice and schedule step, so a reminder goes out once.
CREATE TABLE invoice_reminders (
    invoice_id BLOB NOT NULL REFERENCES invoices (id) ON DELETE CASCADE,
    step TEXT NOT NULL,
    sent_at TEXT NOT NULL,
    PRIMARY KEY (invoice_id, step)
);

-- Settings changed in the admin pages (branding, invoicing, gateways). Secrets are
-- encrypted by the application; `encrypted` says which.
CREATE TABLE settings (
    key TEXT PRIMARY KEY NOT NULL,
    value TEXT NOT NULL,
    encrypted BOOLEAN NOT NULL,
    updated_by BLOB REFERENCES users (id),
    updated_at TEXT NOT NULL
);
