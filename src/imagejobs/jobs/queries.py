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


JOB_COLUMNS = (
    "id, owner, status, created_at, updated_at, started_at, completed_at, attempts, "
    "original_key, original_name, original_size, original_content_type, original_width, "
    "original_height, original_sha256, result_key, result_size, result_width, result_height, "
    "error_code, error_message, idempotency_key"
)

INSERT_JOB = (
    "INSERT INTO jobs (id, owner, status, created_at, updated_at, attempts, original_key, "
    "original_name, original_size, original_content_type, original_width, original_height, "
    "original_sha256, idempotency_key, seq) "
    "VALUES (?, ?, 'pending', ?, ?, 0, ?, ?, ?, ?, ?, ?, ?, ?, (SELECT COALESCE(MAX(seq), 0) + 1 FROM jobs))"
)

SELECT_JOB = f"SELECT {JOB_COLUMNS} FROM jobs WHERE id = ?"

SELECT_OWNED_JOB = f"SELECT {JOB_COLUMNS} FROM jobs WHERE id = ? AND owner = ?"

SELECT_BY_IDEMPOTENCY_KEY = f"SELECT {JOB_COLUMNS} FROM jobs WHERE owner = ? AND idempotency_key = ?"

# A key older than the idempotency window is released so that it can name a new job.
RELEASE_IDEMPOTENCY_KEY = (
    "UPDATE jobs SET idempotency_key = NULL WHERE owner = ? AND idempotency_key = ? AND created_at < ?"
)

DELETE_OWNED_JOB = "DELETE FROM jobs WHERE id = ? AND owner = ?"

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

# Jobs that stayed non-terminal for too long (their messages were lost: a dead-letter message
# that failed in turn, a queue that dropped them): failed in bulk, a bounded number per run.
# The guard is FAILED's sources, as for every transition.
_FAIL_SOURCES = _sql_list(sources_of(JobStatus.FAILED))
FAIL_STALE = (
    "UPDATE jobs SET status = 'failed', completed_at = ?1, updated_at = ?1, "
    f"error_code = '{FailureCode.PROCESSING_FAILED}', error_message = ?2 "
    f"WHERE id IN (SELECT id FROM jobs WHERE status IN ({_FAIL_SOURCES}) "
    "AND updated_at < ?3 ORDER BY updated_at LIMIT ?4) "
    f"AND status IN ({_FAIL_SOURCES}) "
    "RETURNING id, owner"
)

# The last transient error of a job that is still being retried (shown only once it fails).
RECORD_ERROR = (
    "UPDATE jobs SET error_code = ?, error_message = ?, updated_at = ? "
    f"WHERE id = ? AND status IN ({_sql_list(s for s in JobStatus if not s.is_terminal)})"
)
