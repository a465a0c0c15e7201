"""Every SQL statement of the job store, named, in one place (D1 is SQLite).

State changes are generated from jobs/states.py: the `status IN (…)` guard of each task
transition is exactly TASK_TRANSITIONS' sources for its target, and a job's status is derived
from its tasks' by DERIVE_JOB (or SETTLE_JOBS), guarded by JOB_TRANSITIONS, which the store runs
in the same D1 batch as the task change (a batch is one transaction).
"""

from collections.abc import Iterable

from .failures import FailureCode
from .states import JOB_TRANSITIONS, JobStatus, TaskStatus, sources_of


def _sql_list(states: Iterable[JobStatus | TaskStatus | str]) -> str:
    """`'pending', 'in_progress'`: values as SQL string literals for an `IN (…)` list."""
    return ", ".join(f"'{s}'" for s in states)


# The states a task (or job) can still leave; every scan of live tasks or jobs names exactly
# these, as do the partial indexes tasks_live_updated (0004), jobs_live_updated (0002) and
# jobs_owner_live (0003).
_LIVE = _sql_list(s for s in TaskStatus if not s.is_terminal)
_LIVE_JOB = _sql_list(s for s in JobStatus if not s.is_terminal)


JOB_COLUMNS = (
    "id, owner, status, created_at, updated_at, started_at, completed_at, attempts, original_name, "
    "original_size, original_content_type, original_width, original_height, original_sha256, idempotency_key, "
    "webhook_url, webhook_status, webhook_attempts, webhook_last_status_code, webhook_last_attempt_at, "
    "webhook_event_type, webhook_event_at, webhook_enqueued_at"
)

TASK_COLUMNS = (
    "job_id, operation, status, created_at, updated_at, started_at, completed_at, attempts, result_key, "
    "result_size, result_content_type, result_width, result_height, error_code, error_message, enqueued_at, "
    "redrives"
)

# --- Jobs ------------------------------------------------------------------------------------

INSERT_JOB = (
    "INSERT INTO jobs (id, owner, status, created_at, updated_at, attempts, original_key, "
    "original_name, original_size, original_content_type, original_width, original_height, "
    "original_sha256, idempotency_key, webhook_url, webhook_status, seq) "
    "VALUES (?, ?, 'pending', ?, ?, 0, ?, ?, ?, ?, ?, ?, ?, ?, ?13, "
    "CASE WHEN ?13 IS NULL THEN NULL ELSE 'pending' END, "
    "(SELECT COALESCE(MAX(seq), 0) + 1 FROM jobs)) "
    f"RETURNING {JOB_COLUMNS}"
)

SELECT_JOB = f"SELECT {JOB_COLUMNS} FROM jobs WHERE id = ?"

SELECT_OWNED_JOB = f"SELECT {JOB_COLUMNS} FROM jobs WHERE id = ? AND owner = ?"

SELECT_BY_IDEMPOTENCY_KEY = f"SELECT {JOB_COLUMNS} FROM jobs WHERE owner = ? AND idempotency_key = ?"

# A key older than the idempotency window is released so that it can name a new job.
RELEASE_IDEMPOTENCY_KEY = (
    "UPDATE jobs SET idempotency_key = NULL WHERE owner = ? AND idempotency_key = ? AND created_at < ?"
)

# A job's tasks go first (each names its job), then the job itself.
DELETE_TASKS_OF_OWNED_JOB = (
    "DELETE FROM tasks WHERE job_id = ?1 AND job_id IN (SELECT id FROM jobs WHERE id = ?1 AND owner = ?2)"
)
DELETE_OWNED_JOB = "DELETE FROM jobs WHERE id = ?1 AND owner = ?2 RETURNING id"

# How many of an owner's jobs are unfinished (the cap on active jobs, jobs/throttling.py). The
# partial index jobs_owner_live (migration 0003) is declared on the same list, so the count
# reads one index entry per unfinished job, however many finished jobs the owner has.
COUNT_LIVE_OWNED = f"SELECT COUNT(*) AS live FROM jobs WHERE owner = ? AND status IN ({_LIVE_JOB})"

# Newest first by insertion order. A page continues after a job of the same owner (?3, the
# last job of the previous page), so pages stay stable while new jobs are inserted at the top;
# a job id that is not the owner's own matches no row, and so no job follows it.
_LIST_PAGE = (
    "FROM jobs WHERE owner = ?1 "
    "AND (?2 IS NULL OR status = ?2) "
    "AND (?3 IS NULL OR seq < (SELECT seq FROM jobs WHERE id = ?3 AND owner = ?1)) "
    "ORDER BY seq DESC LIMIT ?4"
)
LIST_JOBS = f"SELECT {JOB_COLUMNS} {_LIST_PAGE}"
# The tasks of the same page, in the same batch (the same parameters).
LIST_TASKS = f"SELECT {TASK_COLUMNS} FROM tasks WHERE job_id IN (SELECT id {_LIST_PAGE})"

CANCEL_OWNED_JOB = (
    f"UPDATE jobs SET status = '{JobStatus.CANCELLED}', completed_at = ?, updated_at = ? "
    f"WHERE id = ? AND owner = ? AND status IN ({_sql_list(sources_of(JobStatus.CANCELLED))}) "
    f"RETURNING {JOB_COLUMNS}"
)

# --- Tasks -----------------------------------------------------------------------------------

INSERT_TASK = (
    "INSERT INTO tasks (job_id, operation, status, created_at, updated_at, attempts, redrives) "
    f"VALUES (?, ?, '{TaskStatus.PENDING}', ?, ?, 0, 0) RETURNING {TASK_COLUMNS}"
)

SELECT_TASK = f"SELECT {TASK_COLUMNS} FROM tasks WHERE job_id = ? AND operation = ?"

SELECT_TASKS_OF_JOB = f"SELECT {TASK_COLUMNS} FROM tasks WHERE job_id = ?"


def task_transition(target: TaskStatus, assignments: tuple[str, ...]) -> str:
    """`UPDATE tasks SET status = target, <assignments> WHERE job_id = ? AND operation = ? AND
    status IN (<legal sources of target>) RETURNING <row>`. Bind the assignment values, then the
    job id and the operation. No row returned means the task was not in a source state."""
    sources = _sql_list(sources_of(target))
    sets = ", ".join((f"status = '{target}'", *assignments))
    return (
        f"UPDATE tasks SET {sets} WHERE job_id = ? AND operation = ? AND status IN ({sources}) RETURNING {TASK_COLUMNS}"
    )


START_TASK = task_transition(
    TaskStatus.IN_PROGRESS,
    # The last recorded error is kept: if this attempt is killed (CPU or memory limit) before
    # it can record its own, the dead letter consumer still has something to report.
    ("attempts = attempts + 1", "started_at = COALESCE(started_at, ?)", "updated_at = ?"),
)

COMPLETE_TASK = task_transition(
    TaskStatus.COMPLETED,
    (
        "completed_at = ?",
        "updated_at = ?",
        "result_key = ?",
        "result_size = ?",
        "result_content_type = ?",
        "result_width = ?",
        "result_height = ?",
        "error_code = NULL",
        "error_message = NULL",
    ),
)

FAIL_TASK = task_transition(
    TaskStatus.FAILED,
    ("completed_at = ?", "updated_at = ?", "error_code = ?", "error_message = ?"),
)

# The user cancelled the job (CANCEL_OWNED_JOB, earlier in the same batch): its unfinished tasks
# stop. Bind now, now, then the job id twice.
CANCEL_TASKS_OF_CANCELLED_JOB = (
    f"UPDATE tasks SET status = '{TaskStatus.CANCELLED}', completed_at = ?, updated_at = ? "
    f"WHERE job_id = ? AND status IN ({_sql_list(sources_of(TaskStatus.CANCELLED))}) "
    f"AND (SELECT status FROM jobs WHERE id = ?) = '{JobStatus.CANCELLED}'"
)

# The last transient error of a task that is still being retried (shown only once it fails).
RECORD_TASK_ERROR = (
    "UPDATE tasks SET error_code = ?, error_message = ?, updated_at = ? "
    f"WHERE job_id = ? AND operation = ? AND status IN ({_LIVE})"
)

# The outbox: the job's messages have been sent (set once, after the submit's send succeeded).
MARK_TASKS_ENQUEUED = "UPDATE tasks SET enqueued_at = ? WHERE job_id = ? AND enqueued_at IS NULL"

# A job recorded by a Worker older than migration 0004 (in the minutes between the migration
# and the deploy) has no task: the consumer gives it its grayscale task, as 0004 did for all.
ADOPT_JOB_WITHOUT_TASKS = (
    "INSERT INTO tasks (job_id, operation, status, created_at, updated_at, started_at, completed_at, attempts, "
    "result_key, result_size, result_content_type, result_width, result_height, error_code, error_message, "
    "enqueued_at, redrives) "
    "SELECT id, 'grayscale', status, created_at, updated_at, started_at, completed_at, attempts, result_key, "
    "result_size, CASE WHEN result_key IS NOT NULL THEN 'image/png' END, result_width, result_height, "
    "error_code, error_message, enqueued_at, redrives "
    "FROM jobs WHERE id = ? AND NOT EXISTS (SELECT 1 FROM tasks WHERE tasks.job_id = jobs.id)"
)

# --- A job's status, derived from its tasks' -----------------------------------------------


def _job_guard(current: str, derived: str) -> str:
    """True where moving the job from `current` to `derived` is legal by JOB_TRANSITIONS (or no
    move at all), for live jobs only: a terminal job never moves."""
    arms = " ".join(
        f"WHEN '{source}' THEN {derived} IN ({_sql_list({source, *targets})})"
        for source, targets in JOB_TRANSITIONS.items()
        if targets
    )
    return f"CASE {current} {arms} ELSE 0 END"


# The rules of states.derived_job_status, over the tasks of each job (a test checks they agree).
_DERIVED = (
    f"CASE WHEN SUM(status IN ({_LIVE})) > 0 THEN "
    f"CASE WHEN SUM(status <> '{TaskStatus.PENDING}') > 0 "
    f"THEN '{JobStatus.IN_PROGRESS}' ELSE '{JobStatus.PENDING}' END "
    f"WHEN SUM(status <> '{TaskStatus.COMPLETED}') = 0 THEN '{JobStatus.COMPLETED}' "
    f"WHEN SUM(status = '{TaskStatus.FAILED}') > 0 THEN '{JobStatus.FAILED}' "
    f"ELSE '{JobStatus.CANCELLED}' END"
)


def derive_jobs(selection: str) -> str:
    """Sets the status of the jobs whose tasks `selection` (a condition on tasks) picks from
    their tasks, with the times and attempts that follow: started when the first task started,
    completed when the last one ended, the most attempts of any task, updated with the latest."""
    return (
        f"UPDATE jobs SET status = t.derived, started_at = t.started_at, "
        f"completed_at = CASE WHEN t.derived IN ({_LIVE_JOB}) THEN NULL ELSE t.completed_at END, "
        "attempts = t.attempts, updated_at = MAX(jobs.updated_at, t.updated_at) "
        f"FROM (SELECT job_id, {_DERIVED} AS derived, MIN(started_at) AS started_at, "
        "MAX(completed_at) AS completed_at, MAX(attempts) AS attempts, MAX(updated_at) AS updated_at "
        f"FROM tasks WHERE {selection} GROUP BY job_id) AS t "
        f"WHERE jobs.id = t.job_id AND {_job_guard('jobs.status', 't.derived')}"
    )


# After any change to the tasks of job ?.
DERIVE_JOB = derive_jobs("job_id = ?")

# After changes to the tasks of many jobs at once (recovery, the sweep): every live job none of
# whose tasks is live any more (the only way a bulk change can move a job). Also heals a job
# whose derivation was ever missed.
SETTLE_JOBS = derive_jobs(
    f"job_id IN (SELECT id FROM jobs WHERE status IN ({_LIVE_JOB}) AND NOT EXISTS "
    f"(SELECT 1 FROM tasks AS live WHERE live.job_id = jobs.id AND live.status IN ({_LIVE})))"
)

# --- Recovery of lost messages (jobs/recovery.py) -------------------------------------------
# A live task's last sign of life: its last state change or error (updated_at), or the last
# send of its message (enqueued_at), whichever is later. Timestamps are iso_utc() text, which
# sorts in time order; strftime(…, '%fZ') writes the same format.
_LAST_SIGN = "MAX(updated_at, COALESCE(enqueued_at, updated_at))"


def _silent_longer_than(seconds: str) -> str:
    """The task's last sign of life is older than `seconds` before ?1 (now), the wait doubling
    with each re-drive already made: a message that is only stuck behind a long backlog is
    not multiplied, while a lost one is re-sent after the first wait."""
    cutoff = f"strftime('%Y-%m-%dT%H:%M:%fZ', ?1, '-' || ({seconds} << redrives) || ' seconds')"
    return f"{_LAST_SIGN} < {cutoff}"


# A live task whose message is presumed lost. ?2: seconds after which a task with no send on
# record is re-driven (its submit died between the insert and the send, or the send failed);
# ?3: a pending task whose message was sent; ?4: a task in progress (an attempt may run this
# long). ?5: the number of re-drives after which a task fails instead.
_PRESUMED_LOST = (
    f"status IN ({_LIVE}) AND ("
    f"status = '{TaskStatus.PENDING}' AND enqueued_at IS NULL AND {_silent_longer_than('?2')} "
    f"OR status = '{TaskStatus.PENDING}' AND enqueued_at IS NOT NULL AND {_silent_longer_than('?3')} "
    f"OR status = '{TaskStatus.IN_PROGRESS}' AND {_silent_longer_than('?4')})"
)

# Up to ?6 tasks to send again, oldest first.
SELECT_LOST = (
    f"SELECT job_id, operation FROM tasks WHERE {_PRESUMED_LOST} AND redrives < ?5 ORDER BY updated_at LIMIT ?6"
)

# ?2: a JSON array of [job id, operation] pairs.
_TASKS_IN_JSON = (
    "(job_id, operation) IN (SELECT json_extract(value, '$[0]'), json_extract(value, '$[1]') FROM json_each(?2))"
)

# The tasks of ?2 were sent again at ?1: one more re-drive each.
MARK_REDRIVEN = (
    f"UPDATE tasks SET enqueued_at = ?1, redrives = redrives + 1 WHERE {_TASKS_IN_JSON} AND status IN ({_LIVE})"
)

# Tasks still silent after their last re-drive fail with their own code, keeping the last
# transient error (if any) in the message; up to ?6 per run. The guard is FAILED's sources.
# Run with SETTLE_JOBS in one batch.
_FAIL_SOURCES = _sql_list(sources_of(TaskStatus.FAILED))
FAIL_STALLED = (
    f"UPDATE tasks SET status = '{TaskStatus.FAILED}', completed_at = ?1, updated_at = ?1, "
    f"error_code = '{FailureCode.PROCESSING_STALLED}', "
    "error_message = ?7 || COALESCE(' Last error: ' || error_message, '') "
    "WHERE (job_id, operation) IN "
    f"(SELECT job_id, operation FROM tasks WHERE {_PRESUMED_LOST} AND redrives >= ?5 ORDER BY updated_at LIMIT ?6) "
    f"AND status IN ({_FAIL_SOURCES}) "
    "RETURNING job_id, operation, redrives, (SELECT owner FROM jobs WHERE jobs.id = tasks.job_id) AS owner"
)

# The last resort: tasks with no sign of life since ?3 (a day: far beyond every re-drive) are
# failed in bulk, up to ?4 per run. The guard is FAILED's sources, as for every transition.
# Run with SETTLE_JOBS in one batch.
FAIL_STALE = (
    f"UPDATE tasks SET status = '{TaskStatus.FAILED}', completed_at = ?1, updated_at = ?1, "
    f"error_code = '{FailureCode.PROCESSING_FAILED}', error_message = ?2 "
    "WHERE (job_id, operation) IN (SELECT job_id, operation FROM tasks "
    f"WHERE status IN ({_LIVE}) AND {_LAST_SIGN} < ?3 ORDER BY updated_at LIMIT ?4) "
    f"AND status IN ({_FAIL_SOURCES}) "
    "RETURNING job_id, operation, (SELECT owner FROM jobs WHERE jobs.id = tasks.job_id) AS owner"
)


# --- Webhook events (README, "Webhooks") -----------------------------------------------------
# A job with a callback gets its one event when it reaches a terminal state: these run in the
# same D1 batch as every statement that can make a job terminal (after DERIVE_JOB,
# CANCEL_OWNED_JOB or SETTLE_JOBS), so the event is written with the transition or not at all.
# `webhook_event_type IS NULL` makes them idempotent: a job gets exactly one event.
_TERMINAL_JOB = _sql_list(s for s in JobStatus if s.is_terminal)
_NEW_EVENT = (
    "UPDATE jobs SET webhook_event_type = 'job.' || status, webhook_event_at = COALESCE(completed_at, updated_at) "
    f"WHERE webhook_url IS NOT NULL AND webhook_event_type IS NULL AND status IN ({_TERMINAL_JOB})"
)
# For job ?: returns its id if it got its event now.
CREATE_WEBHOOK_EVENT = f"{_NEW_EVENT} AND id = ? RETURNING id"
# For every job that is terminal and has none yet (after a bulk change).
CREATE_WEBHOOK_EVENTS = f"{_NEW_EVENT} RETURNING id"

# The event's message was sent at ?1 (the first send, or a re-drive: ?3 adds one re-drive).
MARK_WEBHOOK_ENQUEUED = (
    "UPDATE jobs SET webhook_enqueued_at = ?1, webhook_redrives = webhook_redrives + ?3 "
    "WHERE id IN (SELECT value FROM json_each(?2)) AND webhook_status = 'pending'"
)

# One delivery attempt's outcome (?1 the new status: 'pending' while it will be retried), its
# HTTP status code (NULL for a timeout or a network error) and time. Only a pending event moves.
RECORD_WEBHOOK_ATTEMPT = (
    "UPDATE jobs SET webhook_status = ?1, webhook_attempts = webhook_attempts + 1, "
    "webhook_last_status_code = ?2, webhook_last_attempt_at = ?3 "
    f"WHERE id = ?4 AND webhook_status = 'pending' RETURNING {JOB_COLUMNS}"
)

# The event's message exhausted its retries without an outcome (the dead letter queue).
FAIL_WEBHOOK = "UPDATE jobs SET webhook_status = 'failed' WHERE id = ? AND webhook_status = 'pending'"

# Events presumed lost: never sent ?2 seconds after the event (the sending request or consumer
# died), or sent longer ago than ?3 seconds (the whole retry schedule) and still pending;
# at most ?4 re-drives. Up to ?5, oldest first. ?1 is now.
SELECT_LOST_WEBHOOKS = (
    "SELECT id FROM jobs WHERE webhook_status = 'pending' AND webhook_event_type IS NOT NULL AND ("
    "webhook_enqueued_at IS NULL AND webhook_event_at < strftime('%Y-%m-%dT%H:%M:%fZ', ?1, '-' || ?2 || ' seconds') "
    "OR webhook_enqueued_at < strftime('%Y-%m-%dT%H:%M:%fZ', ?1, '-' || ?3 || ' seconds')) "
    "AND webhook_redrives < ?4 ORDER BY webhook_event_at LIMIT ?5"
)

# Pending events whose message was re-driven ?3 times and is still lost: they fail.
FAIL_LOST_WEBHOOKS = (
    "UPDATE jobs SET webhook_status = 'failed' WHERE webhook_status = 'pending' AND webhook_event_type IS NOT NULL "
    "AND webhook_redrives >= ?3 AND webhook_enqueued_at < strftime('%Y-%m-%dT%H:%M:%fZ', ?1, '-' || ?2 || ' seconds') "
    "RETURNING id"
)
