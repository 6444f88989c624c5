/** @module SQLite schema migrations: ordered and append-only; never edit one that has shipped, add a new one. */

export interface Migration {
  /** Strictly increasing, starting at 1, no gaps: the highest applied version is the schema version. */
  readonly version: number;
  readonly name: string;
  readonly sql: string;
}

// The SQL lives in strings rather than .sql files so the compiled dist/ runs without copying assets.
export const SQLITE_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'initial',
    sql: `
-- Kept narrow on purpose: every batch rewrites the rows it counts, and SQLite rewrites a whole record on
-- UPDATE, so bulky immutable fields (frames) live in signature_frames and many rows share a page.
CREATE TABLE signatures (
  id                   TEXT PRIMARY KEY,
  fingerprint          TEXT NOT NULL UNIQUE,
  config_id            TEXT NOT NULL,
  strategy             TEXT NOT NULL,
  error_type           TEXT NOT NULL,
  service              TEXT NOT NULL,
  message_template     TEXT NOT NULL,
  stack_hash           TEXT,
  language             TEXT NOT NULL,
  first_seen           INTEGER NOT NULL,
  last_seen            INTEGER NOT NULL,
  occurrence_count     INTEGER NOT NULL,
  status               TEXT NOT NULL,
  tags                 TEXT NOT NULL DEFAULT '[]', -- JSON string[], sorted unique
  services             TEXT NOT NULL,            -- JSON string[], sorted unique
  versions             TEXT NOT NULL,            -- JSON string[], first-seen order
  first_version        TEXT,
  environments         TEXT NOT NULL,            -- JSON string[], sorted unique
  current_diagnosis_id INTEGER REFERENCES diagnoses(id),
  -- Samples ever stored; while it is at most the per-signature cap, ingest can skip trimming.
  samples_taken        INTEGER NOT NULL DEFAULT 0,
  -- Timestamp of the newest sample taken; spaces out samples once the quota is full.
  last_sample_at       INTEGER,
  created_at           INTEGER NOT NULL,
  updated_at           INTEGER NOT NULL,
  -- Reserved for the diagnosis work queue (claim with a lease, retry with backoff).
  claimed_by           TEXT,
  lease_until          INTEGER,
  attempts             INTEGER NOT NULL DEFAULT 0,
  next_attempt_at      INTEGER
) WITHOUT ROWID;
-- Every index entry ends with the id, so "ORDER BY last_seen DESC, id" is a pure index walk. Ingest moves
-- each counted signature's last_seen entry, so indexes on values that change per batch are kept to that one:
-- ordering by occurrences sorts (id, count) pairs instead, and status is indexed without last_seen.
CREATE INDEX signatures_by_last_seen ON signatures (last_seen DESC);
CREATE INDEX signatures_by_first_seen ON signatures (first_seen DESC);
CREATE INDEX signatures_by_status ON signatures (status);

CREATE TABLE signature_frames (
  signature_id TEXT PRIMARY KEY REFERENCES signatures(id) ON DELETE CASCADE,
  frames       TEXT NOT NULL                      -- JSON StackFrame[]
);

-- Every fingerprint hash that maps to a signature, so a fingerprint config change can point old and new
-- hashes at the same signature instead of splitting its history.
CREATE TABLE signature_hashes (
  hash         TEXT NOT NULL,
  config_id    TEXT NOT NULL,
  signature_id TEXT NOT NULL REFERENCES signatures(id) ON DELETE CASCADE,
  PRIMARY KEY (hash, config_id)
) WITHOUT ROWID;
CREATE INDEX signature_hashes_by_signature ON signature_hashes (signature_id);

CREATE TABLE sample_events (
  id           INTEGER PRIMARY KEY,
  signature_id TEXT NOT NULL REFERENCES signatures(id) ON DELETE CASCADE,
  event_id     TEXT NOT NULL,
  trace_id     TEXT,
  span_id      TEXT,
  timestamp    INTEGER NOT NULL,
  event        TEXT NOT NULL                      -- JSON ErrorEvent
);
-- Ascending so that newest-first (timestamp DESC, id DESC) is a backward walk of this index.
CREATE INDEX sample_events_by_signature ON sample_events (signature_id, timestamp);

-- The dedupe log: one row per counted eventId, kept for a retention window. No foreign key on purpose:
-- it is written for every event before the signature row exists, and is pure bookkeeping.
CREATE TABLE seen_events (
  event_id     TEXT PRIMARY KEY,
  signature_id TEXT NOT NULL,
  seen_at      INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX seen_events_by_seen_at ON seen_events (seen_at);

-- Clustered by hour: a batch's increments land on the few pages of the current hour, and the per-signature
-- index only changes when a signature enters a new hour.
CREATE TABLE occurrence_hours (
  hour_start   INTEGER NOT NULL,
  signature_id TEXT NOT NULL REFERENCES signatures(id) ON DELETE CASCADE,
  count        INTEGER NOT NULL,
  PRIMARY KEY (hour_start, signature_id)
) WITHOUT ROWID;
CREATE INDEX occurrence_hours_by_signature ON occurrence_hours (signature_id, hour_start);

CREATE TABLE diagnoses (
  id           INTEGER PRIMARY KEY,
  signature_id TEXT NOT NULL REFERENCES signatures(id) ON DELETE CASCADE,
  diagnosis    TEXT NOT NULL,                     -- JSON Diagnosis
  diagnosed_at INTEGER NOT NULL,
  engine       TEXT NOT NULL,
  confidence   TEXT NOT NULL
);
CREATE INDEX diagnoses_by_signature ON diagnoses (signature_id, diagnosed_at DESC);

-- No foreign key: spend must be recorded whatever happened to the signature it was spent on.
CREATE TABLE cost_ledger (
  id           INTEGER PRIMARY KEY,
  signature_id TEXT,
  engine       TEXT NOT NULL,
  model        TEXT NOT NULL,
  cost_usd     REAL NOT NULL,
  outcome      TEXT NOT NULL,
  at           INTEGER NOT NULL
);
CREATE INDEX cost_ledger_by_at ON cost_ledger (at);

CREATE TABLE notifications (
  id           INTEGER PRIMARY KEY,
  signature_id TEXT NOT NULL REFERENCES signatures(id) ON DELETE CASCADE,
  channel      TEXT NOT NULL,
  key          TEXT NOT NULL,
  external_ref TEXT,
  at           INTEGER NOT NULL,
  UNIQUE (signature_id, channel, key)
);
`,
  },
  {
    version: 2,
    name: 'trace_snapshots',
    sql: `
-- The trace around sampled errors (parent chain, siblings), captured by the OTLP receiver a few seconds after
-- the error so that late spans are in it. One row per trace: samples of several signatures may share a trace.
-- A rowid table, not WITHOUT ROWID: rows are large JSON documents, which WITHOUT ROWID stores poorly.
CREATE TABLE trace_snapshots (
  trace_id    TEXT PRIMARY KEY,
  spans       TEXT NOT NULL,                      -- JSON TraceSpan[]
  span_count  INTEGER NOT NULL,
  captured_at INTEGER NOT NULL
);

-- Saving a snapshot checks that a sample refers to its trace, and the trigger below checks that none does
-- any more. Partial: most samples of log-only sources carry no trace id.
CREATE INDEX sample_events_by_trace ON sample_events (trace_id) WHERE trace_id IS NOT NULL;

-- A snapshot lives exactly as long as some sample refers to its trace: when the last such sample is deleted
-- (trimmed to the per-signature quota, or cascaded from its signature) the snapshot goes in the same
-- transaction. Snapshots are therefore bounded by the sample quota, with no sweep to schedule or forget.
CREATE TRIGGER sample_events_release_trace AFTER DELETE ON sample_events
WHEN OLD.trace_id IS NOT NULL
BEGIN
  DELETE FROM trace_snapshots WHERE trace_id = OLD.trace_id
    AND NOT EXISTS (SELECT 1 FROM sample_events WHERE trace_id = OLD.trace_id);
END;
`,
  },
  {
    version: 3,
    name: 'lifecycle_triage_queue_outbox',
    sql: `
-- What people decided (resolve with a version, mute with a reason and an expiry) and the diagnosis work queue.
ALTER TABLE signatures ADD COLUMN resolved_at INTEGER;
ALTER TABLE signatures ADD COLUMN resolved_in_version TEXT;
ALTER TABLE signatures ADD COLUMN muted_at INTEGER;
ALTER TABLE signatures ADD COLUMN mute_reason TEXT;
ALTER TABLE signatures ADD COLUMN mute_until INTEGER;
ALTER TABLE signatures ADD COLUMN mute_occurrences_left INTEGER;
-- Queue state: queued by triage, claimed with a lease; the status to go back to when an attempt fails.
ALTER TABLE signatures ADD COLUMN queued INTEGER NOT NULL DEFAULT 0;
ALTER TABLE signatures ADD COLUMN priority REAL NOT NULL DEFAULT 0;
ALTER TABLE signatures ADD COLUMN status_before_claim TEXT;
ALTER TABLE signatures ADD COLUMN last_error TEXT;
ALTER TABLE signatures ADD COLUMN last_failure_at INTEGER;
ALTER TABLE signatures ADD COLUMN triage TEXT;                -- JSON TriageDecision, the latest
-- Partial: only queued rows are in it, so claiming is a short index walk however many signatures exist.
CREATE INDEX signatures_queue ON signatures (priority DESC) WHERE queued = 1;

-- Why a signature was or was not queued, appended only when the outcome or its reason changes.
CREATE TABLE triage_decisions (
  id           INTEGER PRIMARY KEY,
  signature_id TEXT NOT NULL REFERENCES signatures(id) ON DELETE CASCADE,
  decided_at   INTEGER NOT NULL,
  decision     TEXT NOT NULL                      -- JSON TriageDecision
);
CREATE INDEX triage_decisions_by_signature ON triage_decisions (signature_id, decided_at DESC);

-- Reports still to deliver, written in the same transaction as the change they report (a regression, a
-- diagnosis, a resolve). A row stays until every channel the notification policy picks has it (the
-- notifications table says which did), so a failing channel is retried later and loses nothing, across restarts.
CREATE TABLE notification_outbox (
  id              INTEGER PRIMARY KEY,
  signature_id    TEXT NOT NULL REFERENCES signatures(id) ON DELETE CASCADE,
  kind            TEXT NOT NULL,
  key             TEXT NOT NULL,
  created_at      INTEGER NOT NULL,
  attempts        INTEGER NOT NULL DEFAULT 0,
  next_attempt_at INTEGER NOT NULL,
  claimed_until   INTEGER,
  last_error      TEXT,
  UNIQUE (signature_id, kind, key)
);
CREATE INDEX notification_outbox_due ON notification_outbox (next_attempt_at);
`,
  },
];

/** The schema version this code writes; a database newer than this is refused rather than misread. */
export const SQLITE_SCHEMA_VERSION: number = SQLITE_MIGRATIONS.at(-1)?.version ?? 0;
