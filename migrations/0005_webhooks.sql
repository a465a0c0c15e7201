-- Webhooks (README, "Webhooks"): a job may name a callback_url; when the job reaches a terminal
-- state its one event is recorded in these columns by the same D1 batch as the transition
-- (src/imagejobs/jobs/queries.py CREATE_WEBHOOK_EVENT), so a crash cannot lose it, and the
-- webhook-deliveries queue delivers it. webhook_status is NULL for a job without a callback.
ALTER TABLE jobs ADD COLUMN webhook_url TEXT;
ALTER TABLE jobs ADD COLUMN webhook_status TEXT CHECK (webhook_status IN ('pending', 'delivered', 'failed'));
ALTER TABLE jobs ADD COLUMN webhook_attempts INTEGER NOT NULL DEFAULT 0;
ALTER TABLE jobs ADD COLUMN webhook_last_status_code INTEGER;
ALTER TABLE jobs ADD COLUMN webhook_last_attempt_at TEXT;
ALTER TABLE jobs ADD COLUMN webhook_event_type TEXT
    CHECK (webhook_event_type IN ('job.completed', 'job.failed', 'job.cancelled'));
ALTER TABLE jobs ADD COLUMN webhook_event_at TEXT;
ALTER TABLE jobs ADD COLUMN webhook_enqueued_at TEXT;
ALTER TABLE jobs ADD COLUMN webhook_redrives INTEGER NOT NULL DEFAULT 0;

-- The recovery cron's scan of events still to deliver: one entry per undelivered event.
CREATE INDEX jobs_webhook_pending ON jobs (webhook_event_at)
    WHERE webhook_status = 'pending' AND webhook_event_type IS NOT NULL;

-- The jobs with a callback still waiting to become terminal: the recovery's and the sweep's
-- CREATE_WEBHOOK_EVENTS (run each minute) reads these entries only, not the whole table.
CREATE INDEX jobs_webhook_unrecorded ON jobs (status)
    WHERE webhook_url IS NOT NULL AND webhook_event_type IS NULL;
