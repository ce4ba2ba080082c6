-- The invoice lists' other orders: soonest due, and largest first. "Oldest first" reads
-- invoices_newest backwards. Without these, the finance team's list of every invoice sorted
-- them all for each page.
CREATE INDEX invoices_due ON invoices ((due_date IS NULL), due_date, number, id);
CREATE INDEX invoices_largest ON invoices (total_minor DESC, issue_date DESC, id DESC);
