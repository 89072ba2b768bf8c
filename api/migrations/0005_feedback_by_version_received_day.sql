-- An export filtered on both model version and received day reads (received_day, day, id) order
-- within one version from this index, instead of sorting the version's rows for every page.
CREATE INDEX feedback_by_version_received_day ON feedback (model_version, received_day, day, id);
