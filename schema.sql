-- The whole D1 schema: the migrations in migrations/ applied in order (a test keeps them equal).
-- Jobs: one row per uploaded image. Its status is derived from its tasks' (below) in the same
-- D1 batch as every task change, guarded in SQL by the store (src/imagejobs/jobs/queries.py);
-- the CHECK lists every status of jobs/states.py.
CREATE TABLE jobs (
    id                    TEXT PRIMARY KEY,
    owner                 TEXT NOT NULL,
    status                TEXT NOT NULL
                          CHECK (status IN ('pending', 'in_progress', 'completed', 'failed', 'cancelled')),
    created_at            TEXT NOT NULL,
    updated_at            TEXT NOT NULL,
    started_at            TEXT,
    completed_at          TEXT,
    attempts              INTEGER NOT NULL DEFAULT 0,
    original_key          TEXT NOT NULL,
    original_name         TEXT NOT NULL,
    original_size         INTEGER NOT NULL,
    original_content_type TEXT NOT NULL,
    original_width        INTEGER NOT NULL,
    original_height       INTEGER NOT NULL,
    original_sha256       TEXT NOT NULL,
    -- Since migration 0004 the result, error and outbox columns are the tasks'; these are
    -- no longer written (a later migration drops them).
    result_key            TEXT,
    result_size           INTEGER,
    result_width          INTEGER,
    result_height         INTEGER,
    error_code            TEXT,
    error_message         TEXT,
    idempotency_key       TEXT,
    -- Insertion order (MAX + 1 in the INSERT; D1 runs writes one at a time). Listing and its
    -- cursor use it: newest first even within one millisecond or across skewed clocks, and,
    -- unlike rowid, VACUUM never renumbers it.
    seq                   INTEGER NOT NULL,
    -- The queue's outbox (migration 0002): when the job's message was last sent (NULL: not
    -- yet), and how many times the recovery cron sent it again.
    enqueued_at           TEXT,
    redrives              INTEGER NOT NULL DEFAULT 0,
    -- Webhooks (migration 0005): the callback, and its one event once the job is terminal
    -- (written in the same batch as the terminal transition) with its delivery's state.
    webhook_url           TEXT,
    webhook_status        TEXT CHECK (webhook_status IN ('pending', 'delivered', 'failed')),
    webhook_attempts      INTEGER NOT NULL DEFAULT 0,
    webhook_last_status_code INTEGER,
    webhook_last_attempt_at TEXT,
    webhook_event_type    TEXT CHECK (webhook_event_type IN ('job.completed', 'job.failed', 'job.cancelled')),
    webhook_event_at      TEXT,
    webhook_enqueued_at   TEXT,
    webhook_redrives      INTEGER NOT NULL DEFAULT 0
);

CREATE UNIQUE INDEX jobs_seq ON jobs (seq);

-- A user's jobs, newest first (listing and its cursor).
CREATE INDEX jobs_owner_seq ON jobs (owner, seq DESC);

-- One live job per user and Idempotency-Key.
CREATE UNIQUE INDEX jobs_owner_idempotency_key ON jobs (owner, idempotency_key)
    WHERE idempotency_key IS NOT NULL;

-- The scan of live jobs (migration 0002; since 0004 it settles jobs after bulk task changes).
CREATE INDEX jobs_live_updated ON jobs (status, updated_at) WHERE status IN ('pending', 'in_progress');

-- The cap on a user's unfinished jobs (migration 0003): one entry per unfinished job.
CREATE INDEX jobs_owner_live ON jobs (owner, status) WHERE status IN ('pending', 'in_progress');

-- Tasks (migration 0004): one row per operation of a job, each with its own queue message,
-- status, attempts, error and result; the CHECKs list every operation of jobs/operations.py
-- and every state of jobs/states.py.
CREATE TABLE tasks (
    job_id              TEXT NOT NULL REFERENCES jobs (id),
    operation           TEXT NOT NULL
                        CHECK (operation IN ('grayscale', 'thumbnail', 'metadata')),
    status              TEXT NOT NULL
                        CHECK (status IN ('pending', 'in_progress', 'completed', 'failed', 'cancelled')),
    created_at          TEXT NOT NULL,
    updated_at          TEXT NOT NULL,
    started_at          TEXT,
    completed_at        TEXT,
    attempts            INTEGER NOT NULL DEFAULT 0,
    result_key          TEXT,
    result_size         INTEGER,
    result_content_type TEXT,
    result_width        INTEGER,
    result_height       INTEGER,
    error_code          TEXT,
    error_message       TEXT,
    enqueued_at         TEXT,
    redrives            INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (job_id, operation)
);

-- The recovery cron's and the daily sweep's scan: only live tasks, oldest change first.
CREATE INDEX tasks_live_updated ON tasks (status, updated_at) WHERE status IN ('pending', 'in_progress');

-- The recovery cron's scan of webhook events still to deliver (migration 0005).
CREATE INDEX jobs_webhook_pending ON jobs (webhook_event_at)
    WHERE webhook_status = 'pending' AND webhook_event_type IS NOT NULL;

-- The jobs with a callback still waiting to become terminal: the recovery's and the sweep's
-- CREATE_WEBHOOK_EVENTS (run each minute) reads these entries only, not the whole table.
CREATE INDEX jobs_webhook_unrecorded ON jobs (status)
    WHERE webhook_url IS NOT NULL AND webhook_event_type IS NULL;
