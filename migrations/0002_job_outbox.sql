-- The job queue's outbox (src/imagejobs/jobs/recovery.py): when each job's message was last
-- sent, and how many times the recovery cron had to send it again. A job with no send on
-- record, or one silent for too long, is re-driven; after too many re-drives it fails.
ALTER TABLE jobs ADD COLUMN enqueued_at TEXT;
ALTER TABLE jobs ADD COLUMN redrives INTEGER NOT NULL DEFAULT 0;

-- Jobs that exist before this migration were sent by the code of their day, which took a
-- job back whenever its send failed: every live one of them has had its message sent.
UPDATE jobs SET enqueued_at = updated_at WHERE status IN ('pending', 'in_progress');

-- The recovery cron's and the daily sweep's scan: only live jobs, oldest change first.
CREATE INDEX jobs_live_updated ON jobs (status, updated_at) WHERE status IN ('pending', 'in_progress');
