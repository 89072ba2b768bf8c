-- GET /v1/models pages through published versions newest published first (keyset on
-- completed_at, version): a page seeks to its cursor in this index and reads only its own rows.
CREATE INDEX models_by_completion ON models (status, completed_at, version);
