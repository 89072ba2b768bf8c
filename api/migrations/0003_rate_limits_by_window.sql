-- The rate limit deletes every past window (window_start < the current one), and stores clients as
-- salted hashes of their address. Rows from before that held raw addresses: drop them (counters
-- restart once).
DELETE FROM rate_limits;
CREATE INDEX rate_limits_by_window ON rate_limits (window_start);
