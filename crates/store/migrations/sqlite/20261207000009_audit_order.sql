-- The audit trail newest first, across subjects (GET /api/v1/audit).
CREATE INDEX audit_log_created ON audit_log (created_at, id);
