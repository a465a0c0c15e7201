-- Fan-out (README, "Fan-out"): each operation a job runs on its upload is a task, with its own
-- queue message, status, attempts, error and result, so that one task's failure never retries,
-- fails or delays another. The job's status, started_at, completed_at, attempts and updated_at
-- are derived from its tasks' (src/imagejobs/jobs/queries.py DERIVE_JOB, run in the same D1
-- batch as every task change); the CHECKs list every operation of jobs/operations.py and every
-- state of jobs/states.py. The queue's outbox (enqueued_at, redrives) is per task now.
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

-- Every job so far ran one operation, grayscale: it becomes that job's one task, with the
-- job's own state, attempts, result, error and outbox (its result stays at results/{id}.png).
INSERT INTO tasks (job_id, operation, status, created_at, updated_at, started_at, completed_at, attempts,
                   result_key, result_size, result_content_type, result_width, result_height,
                   error_code, error_message, enqueued_at, redrives)
SELECT id, 'grayscale', status, created_at, updated_at, started_at, completed_at, attempts,
       result_key, result_size, CASE WHEN result_key IS NOT NULL THEN 'image/png' END, result_width, result_height,
       error_code, error_message, enqueued_at, redrives
FROM jobs;

-- The recovery cron's and the daily sweep's scan: only live tasks, oldest change first.
CREATE INDEX tasks_live_updated ON tasks (status, updated_at) WHERE status IN ('pending', 'in_progress');

-- The jobs' own result_*, error_*, enqueued_at and redrives columns are no longer written: a
-- Worker older than this migration may still run until the deploy that follows it, and reads
-- them. A later migration drops them once no such Worker runs.
