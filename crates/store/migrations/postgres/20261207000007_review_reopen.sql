-- A review the client approved is asked again only by reopening it, with a reason, which the
-- new round keeps (shown in the trail beside the note).
ALTER TABLE review_rounds ADD COLUMN reopen_reason TEXT;
