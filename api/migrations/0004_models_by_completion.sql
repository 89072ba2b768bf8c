-- GET /v1/models pages through published versions newest published first (keyset on
-- completed_at, version), so a page reads its rows from this index instead of every card.
CREATE INDEX models_by_completion ON models (status, completed_at, version);
