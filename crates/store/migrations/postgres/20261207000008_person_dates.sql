-- How a person reads dates: their own format and time zone. NULL follows the browser's
-- language (pages) or the workspace's default (emails and PDFs).
ALTER TABLE users ADD COLUMN date_format TEXT CHECK (date_format IN ('d mmm yyyy', 'mmm d, yyyy', 'yyyy-mm-dd', 'dd.mm.yyyy', 'dd/mm/yyyy'));
ALTER TABLE users ADD COLUMN time_zone TEXT;
