/** @module PostgreSQL schema migrations: ordered and append-only; never edit one that has shipped, add a new one. */
import type { Migration } from './sqlite.js';

// Versions match the SQLite migrations of the same name, so both backends report the same schema version for the
// same features. Times are epoch milliseconds in BIGINT; ids, hashes and event/trace ids use the "C" collation, so
// they sort byte-wise (as in SQLite and in JavaScript) whatever the database's locale. JSON documents are TEXT,
// not JSONB: they are only ever read whole, and JSONB would reject the \u0000 escapes that telemetry can carry.
export const POSTGRESQL_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'initial',
    sql: `
CREATE TABLE signatures (
  id                   TEXT COLLATE "C" PRIMARY KEY,
  fingerprint          TEXT COLLATE "C" NOT NULL UNIQUE,
  config_id            TEXT NOT NULL,
  strategy             TEXT NOT NULL,
  error_type           TEXT NOT NULL,
  service              TEXT NOT NULL,
  message_template     TEXT NOT NULL,
  stack_hash           TEXT,
  language             TEXT NOT NULL,
  first_seen           BIGINT NOT NULL,
  last_seen            BIGINT NOT NULL,
  occurrence_count     BIGINT NOT NULL,
  status               TEXT NOT NULL,
  tags                 TEXT[] NOT NULL DEFAULT '{}',   -- sorted unique
  services             TEXT[] NOT NULL,                -- sorted unique
  versions             TEXT[] NOT NULL,                -- first-seen order
  first_version        TEXT,
  environments         TEXT[] NOT NULL,                -- sorted unique
  current_diagnosis_id BIGINT,                         -- foreign key added after diagnoses exists
  -- Samples ever stored; while it is at most the per-signature cap, ingest can skip trimming.
  samples_taken        INTEGER NOT NULL DEFAULT 0,
  -- Timestamp of the newest sample taken; spaces out samples once the quota is full.
  last_sample_at       BIGINT,
  created_at           BIGINT NOT NULL,
  updated_at           BIGINT NOT NULL,
  -- The diagnosis work queue (claim with a lease, retry with backoff).
  claimed_by           TEXT,
  lease_until          BIGINT,
  attempts             INTEGER NOT NULL DEFAULT 0,
  next_attempt_at      BIGINT
);
CREATE INDEX signatures_by_last_seen ON signatures (last_seen DESC, id);
CREATE INDEX signatures_by_first_seen ON signatures (first_seen DESC, id);
CREATE INDEX signatures_by_status ON signatures (status);

-- Wide and immutable: kept out of the row every batch rewrites.
CREATE TABLE signature_frames (
  signature_id TEXT COLLATE "C" PRIMARY KEY REFERENCES signatures(id) ON DELETE CASCADE,
  frames       TEXT NOT NULL                          -- JSON StackFrame[]
);

-- Every fingerprint hash that maps to a signature, so a fingerprint config change can point old and new
-- hashes at the same signature instead of splitting its history.
CREATE TABLE signature_hashes (
  hash         TEXT COLLATE "C" NOT NULL,
  config_id    TEXT NOT NULL,
  signature_id TEXT COLLATE "C" NOT NULL REFERENCES signatures(id) ON DELETE CASCADE,
  PRIMARY KEY (hash, config_id)
);
CREATE INDEX signature_hashes_by_signature ON signature_hashes (signature_id);

CREATE TABLE sample_events (
  id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  signature_id TEXT COLLATE "C" NOT NULL REFERENCES signatures(id) ON DELETE CASCADE,
  event_id     TEXT COLLATE "C" NOT NULL,
  trace_id     TEXT COLLATE "C",
  span_id      TEXT,
  timestamp    BIGINT NOT NULL,
  event        TEXT NOT NULL                          -- JSON ErrorEvent
);
CREATE INDEX sample_events_by_signature ON sample_events (signature_id, timestamp DESC, id DESC);

-- The dedupe log: one row per counted eventId, kept for a retention window. No foreign key on purpose:
-- it is written for every event before the signature row exists, and is pure bookkeeping.
CREATE TABLE seen_events (
  event_id     TEXT COLLATE "C" PRIMARY KEY,
  signature_id TEXT NOT NULL,
  seen_at      BIGINT NOT NULL
);
CREATE INDEX seen_events_by_seen_at ON seen_events (seen_at);

CREATE TABLE occurrence_hours (
  hour_start   BIGINT NOT NULL,
  signature_id TEXT COLLATE "C" NOT NULL REFERENCES signatures(id) ON DELETE CASCADE,
  count        BIGINT NOT NULL,
  PRIMARY KEY (hour_start, signature_id)
);
CREATE INDEX occurrence_hours_by_signature ON occurrence_hours (signature_id, hour_start);

CREATE TABLE diagnoses (
  id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  signature_id TEXT COLLATE "C" NOT NULL REFERENCES signatures(id) ON DELETE CASCADE,
  diagnosis    TEXT NOT NULL,                         -- JSON Diagnosis
  diagnosed_at BIGINT NOT NULL,
  engine       TEXT NOT NULL,
  confidence   TEXT NOT NULL
);
CREATE INDEX diagnoses_by_signature ON diagnoses (signature_id, diagnosed_at DESC);
ALTER TABLE signatures ADD CONSTRAINT signatures_current_diagnosis_fk
  FOREIGN KEY (current_diagnosis_id) REFERENCES diagnoses(id) ON DELETE SET NULL;

-- No foreign key: spend must be recorded whatever happened to the signature it was spent on.
CREATE TABLE cost_ledger (
  id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  signature_id TEXT,
  engine       TEXT NOT NULL,
  model        TEXT NOT NULL,
  cost_usd     DOUBLE PRECISION NOT NULL,
  outcome      TEXT NOT NULL,
  at           BIGINT NOT NULL
);
CREATE INDEX cost_ledger_by_at ON cost_ledger (at);

CREATE TABLE notifications (
  id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  signature_id TEXT COLLATE "C" NOT NULL REFERENCES signatures(id) ON DELETE CASCADE,
  channel      TEXT NOT NULL,
  key          TEXT NOT NULL,
  external_ref TEXT,
  at           BIGINT NOT NULL,
  UNIQUE (signature_id, channel, key)
);
`,
  },
  {
    version: 2,
    name: 'trace_snapshots',
    sql: `
-- The trace around sampled errors, one row per trace: samples of several signatures may share a trace.
CREATE TABLE trace_snapshots (
  trace_id    TEXT COLLATE "C" PRIMARY KEY,
  spans       TEXT NOT NULL,                          -- JSON TraceSpan[]
  span_count  INTEGER NOT NULL,
  captured_at BIGINT NOT NULL
);

-- Partial: most samples of log-only sources carry no trace id.
CREATE INDEX sample_events_by_trace ON sample_events (trace_id) WHERE trace_id IS NOT NULL;

-- A snapshot lives exactly as long as some sample refers to its trace: when the last such sample is deleted
-- (trimmed to the quota, or cascaded from its signature) the snapshot goes in the same transaction.
-- Several instances share the store, and under READ COMMITTED two transactions that each delete one of a trace's
-- last two samples would both still see the other's sample; a transaction-level advisory lock per trace (taken by
-- saving a snapshot too) serialises them, and the check that follows it sees what the other committed.
-- search_path is pinned to the schema the function was created in, whatever the session's.
CREATE FUNCTION rounds_release_trace() RETURNS trigger LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
  PERFORM pg_advisory_xact_lock(1919905390, hashtext(OLD.trace_id));
  DELETE FROM trace_snapshots WHERE trace_id = OLD.trace_id
    AND NOT EXISTS (SELECT 1 FROM sample_events WHERE trace_id = OLD.trace_id);
  RETURN NULL;
END;
$$;
CREATE TRIGGER sample_events_release_trace AFTER DELETE ON sample_events
  FOR EACH ROW WHEN (OLD.trace_id IS NOT NULL) EXECUTE FUNCTION rounds_release_trace();
`,
  },
  {
    version: 3,
    name: 'lifecycle_triage_queue_outbox',
    sql: `
ALTER TABLE signatures ADD COLUMN resolved_at BIGINT;
ALTER TABLE signatures ADD COLUMN resolved_in_version TEXT;
ALTER TABLE signatures ADD COLUMN muted_at BIGINT;
ALTER TABLE signatures ADD COLUMN mute_reason TEXT;
ALTER TABLE signatures ADD COLUMN mute_until BIGINT;
ALTER TABLE signatures ADD COLUMN mute_occurrences_left BIGINT;
-- Queue state: queued by triage, claimed with a lease; the status to go back to when an attempt fails.
ALTER TABLE signatures ADD COLUMN queued BOOLEAN NOT NULL DEFAULT false;
ALTER TABLE signatures ADD COLUMN priority DOUBLE PRECISION NOT NULL DEFAULT 0;
ALTER TABLE signatures ADD COLUMN status_before_claim TEXT;
ALTER TABLE signatures ADD COLUMN last_error TEXT;
ALTER TABLE signatures ADD COLUMN last_failure_at BIGINT;
ALTER TABLE signatures ADD COLUMN triage TEXT;                -- JSON TriageDecision, the latest
-- Partial: only queued rows are in it, so claiming is a short index walk however many signatures exist.
CREATE INDEX signatures_queue ON signatures (priority DESC, id) WHERE queued;

CREATE TABLE triage_decisions (
  id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  signature_id TEXT COLLATE "C" NOT NULL REFERENCES signatures(id) ON DELETE CASCADE,
  decided_at   BIGINT NOT NULL,
  decision     TEXT NOT NULL                          -- JSON TriageDecision
);
CREATE INDEX triage_decisions_by_signature ON triage_decisions (signature_id, decided_at DESC);

-- Reports still to deliver, written in the same transaction as the change they report.
CREATE TABLE notification_outbox (
  id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  signature_id    TEXT COLLATE "C" NOT NULL REFERENCES signatures(id) ON DELETE CASCADE,
  kind            TEXT NOT NULL,
  key             TEXT NOT NULL,
  created_at      BIGINT NOT NULL,
  attempts        INTEGER NOT NULL DEFAULT 0,
  next_attempt_at BIGINT NOT NULL,
  claimed_until   BIGINT,
  last_error      TEXT,
  UNIQUE (signature_id, kind, key)
);
CREATE INDEX notification_outbox_due ON notification_outbox (next_attempt_at);
`,
  },
];

/** The schema version this code writes; a database newer than this is refused rather than misread. */
export const POSTGRESQL_SCHEMA_VERSION: number = POSTGRESQL_MIGRATIONS.at(-1)?.version ?? 0;

/** Advisory lock class ids (the first key of the two-key form); the second key is a hash of a schema or trace. */
export const LOCK_CLASS = { migrate: 1919905389, trace: 1919905390 } as const;
