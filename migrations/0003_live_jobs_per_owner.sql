-- The cap on a user's unfinished jobs (src/imagejobs/jobs/throttling.py) counts them on every
-- upload: this partial index holds one entry per unfinished job, and with the status in it the
-- count reads only those entries (no table row), however many finished jobs the user keeps.
CREATE INDEX jobs_owner_live ON jobs (owner, status) WHERE status IN ('pending', 'in_progress');
