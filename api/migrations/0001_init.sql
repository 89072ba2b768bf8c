-- Model registry: a version is invisible until status = 'complete' (set in one UPDATE once every
-- file has been uploaded and verified), so a half-finished publish is never listed or served.
CREATE TABLE models (
  version TEXT PRIMARY KEY,
  card TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('pending', 'complete')),
  created_at TEXT NOT NULL,
  completed_at TEXT
);

CREATE TABLE model_files (
  version TEXT NOT NULL REFERENCES models (version) ON DELETE CASCADE,
  name TEXT NOT NULL,
  sha256 TEXT NOT NULL,
  size INTEGER NOT NULL,
  uploaded_at TEXT,
  PRIMARY KEY (version, name)
);

CREATE TABLE channels (
  channel TEXT PRIMARY KEY CHECK (channel IN ('stable', 'beta')),
  version TEXT NOT NULL REFERENCES models (version),
  updated_at TEXT NOT NULL
);

-- Every move of a channel. A rollback undoes the latest promote that has not been undone yet
-- (reverts = that promote's id), so repeated rollbacks walk back through the promotes.
CREATE TABLE channel_history (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  channel TEXT NOT NULL,
  action TEXT NOT NULL CHECK (action IN ('promote', 'rollback')),
  version TEXT NOT NULL,
  previous_version TEXT,
  reverts INTEGER REFERENCES channel_history (id),
  at TEXT NOT NULL
);
CREATE INDEX channel_history_by_channel ON channel_history (channel, id);

-- Anonymized feedback: the validated record as JSON plus the columns the export filters on.
CREATE TABLE feedback (
  id TEXT PRIMARY KEY,
  day TEXT NOT NULL,
  model_version TEXT NOT NULL,
  record TEXT NOT NULL,
  received_day TEXT NOT NULL
);
CREATE INDEX feedback_by_day ON feedback (day, id);
CREATE INDEX feedback_by_version ON feedback (model_version, day, id);

-- Fixed-window request counters for the feedback rate limit.
CREATE TABLE rate_limits (
  client TEXT NOT NULL,
  window_start INTEGER NOT NULL,
  count INTEGER NOT NULL,
  PRIMARY KEY (client, window_start)
);
