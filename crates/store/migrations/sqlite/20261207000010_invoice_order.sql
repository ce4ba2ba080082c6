-- The invoice lists' default order, newest first (drafts, then by issue date and number):
-- without it the finance team's list of every invoice sorted them all for each page.
CREATE INDEX invoices_newest ON invoices ((issue_date IS NULL) DESC, issue_date DESC, number DESC, created_at DESC, id DESC);
