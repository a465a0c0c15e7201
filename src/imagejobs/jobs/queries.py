"""Every SQL statement of the job store, named, in one place (D1 is SQLite).

State changes are generated from jobs/states.py so that the `status IN (…)` guard of each
transition is exactly the table's sources for its target state.
"""

from collections.abc import Iterable

from .failures import FailureCode
from .states import JobStatus, sources_of


def _sql_list(states: Iterable[JobStatus]) -> str:
    """`'pending', 'in_progress'`: states as SQL string literals for an `IN (…)` list."""
    return ", ".join(f"'{s.value}'" for s in states)


# The states a job can still leave; every scan of live jobs names exactly these (and the
# partial index jobs_live_updated of migration 0002 is declared on the same list).
_LIVE = _sql_list(s for s in JobStatus if not s.is_terminal)


JOB_COLUMNS = (
    "id, owner, status, created_at, updated_at, started_at, completed_at, attempts, "
    "original_key, original_name, original_size, original_content_type, original_width, "
    "original_height, original_sha256, result_key, result_size, result_width, result_height, "
    "error_code, error_message, idempotency_key, enqueued_at, redrives"
)

INSERT_JOB = (
    "INSERT INTO jobs (id, owner, status, created_at, updated_at, attempts, original_key, "
    "original_name, original_size, original_content_type, original_width, original_height, "
    "original_sha256, idempotency_key, seq) "
    "VALUES (?, ?, 'pending', ?, ?, 0, ?, ?, ?, ?, ?, ?, ?, ?, (SELECT COALESCE(MAX(seq), 0) + 1 FROM jobs)) "
    f"RETURNING {JOB_COLUMNS}"
)

SELECT_JOB = f"SELECT {JOB_COLUMNS} FROM jobs WHERE id = ?"

SELECT_OWNED_JOB = f"SELECT {JOB_COLUMNS} FROM jobs WHERE id = ? AND owner = ?"

SELECT_BY_IDEMPOTENCY_KEY = f"SELECT {JOB_COLUMNS} FROM jobs WHERE owner = ? AND idempotency_key = ?"

# A key older than the idempotency window is released so that it can name a new job.
RELEASE_IDEMPOTENCY_KEY = (
    "UPDATE jobs SET idempotency_key = NULL WHERE owner = ? AND idempotency_key = ? AND created_at < ?"
)

DELETE_OWNED_JOB = "DELETE FROM jobs WHERE id = ? AND owner = ?"

# How many of an owner's jobs are unfinished (the cap on active jobs, jobs/throttling.py). The
# partial index jobs_owner_live (migration 0003) is declared on the same list, so the count
# reads one index entry per unfinished job, however many finished jobs the owner has.
COUNT_LIVE_OWNED = f"SELECT COUNT(*) AS live FROM jobs WHERE owner = ? AND status IN ({_LIVE})"

# Newest first by insertion order. A page continues after a job of the same owner (?3, the
# last job of the previous page), so pages stay stable while new jobs are inserted at the top;
# a job id that is not the owner's own matches no row, and so no job follows it.
LIST_JOBS = (
    f"SELECT {JOB_COLUMNS} FROM jobs WHERE owner = ?1 "
    "AND (?2 IS NULL OR status = ?2) "
    "AND (?3 IS NULL OR seq < (SELECT seq FROM jobs WHERE id = ?3 AND owner = ?1)) "
    "ORDER BY seq DESC LIMIT ?4"
)


def transition(target: JobStatus, assignments: tuple[str, ...], *, owned: bool = False) -> str:
    """`UPDATE … SET status = target, <assignments> WHERE id = ? [AND owner = ?] AND status IN
    (<legal sources of target>) RETURNING <row>`. Bind the assignment values, then the id
    (then the owner). No row returned means the job was not in a source state."""
    sources = _sql_list(sources_of(target))
    sets = ", ".join((f"status = '{target.value}'", *assignments))
    owner_clause = " AND owner = ?" if owned else ""
    return f"UPDATE jobs SET {sets} WHERE id = ?{owner_clause} AND status IN ({sources}) RETURNING {JOB_COLUMNS}"


START_ATTEMPT = transition(
    JobStatus.IN_PROGRESS,
    # The last recorded error is kept: if this attempt is killed (CPU or memory limit) before
    # it can record its own, the dead letter consumer still has something to report.
    ("attempts = attempts + 1", "started_at = COALESCE(started_at, ?)", "updated_at = ?"),
)

COMPLETE = transition(
    JobStatus.COMPLETED,
    (
        "completed_at = ?",
        "updated_at = ?",
        "result_key = ?",
        "result_size = ?",
        "result_width = ?",
        "result_height = ?",
        "error_code = NULL",
        "error_message = NULL",
    ),
)

FAIL = transition(
    JobStatus.FAILED,
    ("completed_at = ?", "updated_at = ?", "error_code = ?", "error_message = ?"),
)

CANCEL_OWNED = transition(
    JobStatus.CANCELLED,
    ("completed_at = ?", "updated_at = ?"),
    owned=True,
)

# The outbox: the job's message has been sent (set once, after the submit's send succeeded).
MARK_ENQUEUED = "UPDATE jobs SET enqueued_at = ? WHERE id = ? AND enqueued_at IS NULL"

# The last transient error of a job that is still being retried (shown only once it fails).
RECORD_ERROR = f"UPDATE jobs SET error_code = ?, error_message = ?, updated_at = ? WHERE id = ? AND status IN ({_LIVE})"

# --- Recovery of lost messages (jobs/recovery.py) -------------------------------------------
# A live job's last sign of life: its last state change or error (updated_at), or the last
# send of its message (enqueued_at), whichever is later. Timestamps are iso_utc() text, which
# sorts in time order; strftime(…, '%fZ') writes the same format.
_LAST_SIGN = "MAX(updated_at, COALESCE(enqueued_at, updated_at))"


def _silent_longer_than(seconds: str) -> str:
    """The job's last sign of life is older than `seconds` before ?1 (now), the wait doubling
    with each re-drive already made: a message that is only stuck behind a long backlog is
    not multiplied, while a lost one is re-sent after the first wait."""
    cutoff = f"strftime('%Y-%m-%dT%H:%M:%fZ', ?1, '-' || ({seconds} << redrives) || ' seconds')"
    return f"{_LAST_SIGN} < {cutoff}"


# A live job whose message is presumed lost. ?2: seconds after which a job with no send on
# record is re-driven (its submit died between the insert and the send, or the send failed);
# ?3: a pending job whose message was sent; ?4: a job in progress (an attempt may run this
# long). ?5: the number of re-drives after which a job fails instead.
_PRESUMED_LOST = (
    f"status IN ({_LIVE}) AND ("
    f"status = '{JobStatus.PENDING}' AND enqueued_at IS NULL AND {_silent_longer_than('?2')} "
    f"OR status = '{JobStatus.PENDING}' AND enqueued_at IS NOT NULL AND {_silent_longer_than('?3')} "
    f"OR status = '{JobStatus.IN_PROGRESS}' AND {_silent_longer_than('?4')})"
)

# Up to ?6 jobs to send again, oldest first.
SELECT_LOST = f"SELECT id FROM jobs WHERE {_PRESUMED_LOST} AND redrives < ?5 ORDER BY updated_at LIMIT ?6"

# The jobs of ?2 (a JSON array of ids) were sent again at ?1: one more re-drive each.
MARK_REDRIVEN = (
    "UPDATE jobs SET enqueued_at = ?1, redrives = redrives + 1 "
    f"WHERE id IN (SELECT value FROM json_each(?2)) AND status IN ({_LIVE})"
)

# Jobs still silent after their last re-drive fail with their own code, keeping the last
# transient error (if any) in the message; up to ?6 per run. The guard is FAILED's sources.
_FAIL_SOURCES = _sql_list(sources_of(JobStatus.FAILED))
FAIL_STALLED = (
    f"UPDATE jobs SET status = '{JobStatus.FAILED}', completed_at = ?1, updated_at = ?1, "
    f"error_code = '{FailureCode.PROCESSING_STALLED}', "
    "error_message = ?7 || COALESCE(' Last error: ' || error_message, '') "
    f"WHERE id IN (SELECT id FROM jobs WHERE {_PRESUMED_LOST} AND redrives >= ?5 ORDER BY updated_at LIMIT ?6) "
    f"AND status IN ({_FAIL_SOURCES}) "
    "RETURNING id, owner, redrives"
)

# The last resort: jobs with no sign of life since ?3 (a day: far beyond every re-drive) are
# failed in bulk, up to ?4 per run. The guard is FAILED's sources, as for every transition.
FAIL_STALE = (
    f"UPDATE jobs SET status = '{JobStatus.FAILED}', completed_at = ?1, updated_at = ?1, "
    f"error_code = '{FailureCode.PROCESSING_FAILED}', error_message = ?2 "
    f"WHERE id IN (SELECT id FROM jobs WHERE status IN ({_LIVE}) "
    f"AND {_LAST_SIGN} < ?3 ORDER BY updated_at LIMIT ?4) "
    f"AND status IN ({_FAIL_SOURCES}) "
    "RETURNING id, owner"
)
