-- Incremental exports filter on the UTC day a record arrived (received_day): a phone syncs offline
-- feedback days later, so an exported range of client days can still gain records, while a range of
-- past received days cannot. (day, id) follow so a one-day export reads rows already in export order.
CREATE INDEX feedback_by_received_day ON feedback (received_day, day, id);
