"""The job store: reads of jobs with their tasks, and guarded state changes of tasks over a
`Database`, each with its job's derived status in the same batch (one transaction).

Imports nothing platform; the SQL lives in queries.py.
"""

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from . import queries
from .messages import TaskRef
from .model import ImageInfo, Job, Task, TaskResult, utc_now
from .operations import Operation
from .ports import Database, DuplicateKey, Statement
from .states import JobStatus

# A row as the database returns it (column name → value); the `list` method shadows the builtin
# inside the class, hence the alias.
Row = dict[str, Any]
Rows = list[Row]
TaskRefs = list[TaskRef]
JobIds = list[str]


@dataclass(frozen=True, slots=True)
class LostMessageRule:
    """When a live task's message is presumed lost (jobs/recovery.py): silent for longer than
    `unsent_seconds` with no send on record, `pending_seconds` if sent but never started,
    `running_seconds` in progress — each wait doubled per re-drive already made."""

    unsent_seconds: int
    pending_seconds: int
    running_seconds: int
    max_redrives: int

    def params(self, now: str) -> tuple[str, int, int, int, int]:
        """?1–?5 of the queries' presumed-lost condition."""
        return now, self.unsent_seconds, self.pending_seconds, self.running_seconds, self.max_redrives


class IdempotencyKeyTaken(Exception):
    """Another job of this owner already holds this Idempotency-Key."""


class TransitionRejected(Exception):
    """The task (or job) was not in a state from which this transition is legal (or does not exist)."""


@dataclass(frozen=True, slots=True)
class NewJob:
    id: str
    owner: str
    original_key: str
    original_name: str
    original: ImageInfo
    original_sha256: str
    idempotency_key: str | None
    operations: tuple[Operation, ...]
    callback_url: str | None = None


@dataclass(frozen=True, slots=True)
class Page:
    jobs: list[Job]
    next_after: str | None  # id of the last job, if more may follow


def _tasks_by_job(rows: Rows) -> dict[str, list[Task]]:
    tasks: dict[str, list[Task]] = {}
    for row in rows:
        task = Task.from_row(row)
        tasks.setdefault(task.job_id, []).append(task)
    return tasks


def _job(job_rows: Rows, task_rows: Rows) -> Job | None:
    if not job_rows:
        return None
    return Job.from_row(job_rows[0], tuple(Task.from_row(row) for row in task_rows))


class JobStore:
    def __init__(self, db: Database):
        self.db = db

    async def insert(self, job: NewJob, now: str | None = None) -> Job:
        """Record the job and one pending task per operation, together."""
        now = now or utc_now()
        insert_job: Statement = (
            queries.INSERT_JOB,
            (
                job.id,
                job.owner,
                now,
                now,
                job.original_key,
                job.original_name,
                job.original.size,
                job.original.content_type,
                job.original.width,
                job.original.height,
                job.original_sha256,
                job.idempotency_key,
                job.callback_url,
            ),
        )
        insert_tasks = [(queries.INSERT_TASK, (job.id, op.value, now, now)) for op in job.operations]
        try:
            job_rows, *task_rows = await self.db.batch([insert_job, *insert_tasks])
        except DuplicateKey as error:
            if "idempotency_key" in str(error):
                raise IdempotencyKeyTaken(job.idempotency_key) from error
            raise
        inserted = _job(job_rows, [row for rows in task_rows for row in rows])
        if inserted is None:
            raise RuntimeError(f"the insert of job {job.id} returned no row")
        return inserted

    async def get(self, job_id: str) -> Job | None:
        job_rows, task_rows = await self.db.batch(
            [(queries.SELECT_JOB, (job_id,)), (queries.SELECT_TASKS_OF_JOB, (job_id,))]
        )
        return _job(job_rows, task_rows)

    async def get_owned(self, owner: str, job_id: str) -> Job | None:
        job_rows, task_rows = await self.db.batch(
            [(queries.SELECT_OWNED_JOB, (job_id, owner)), (queries.SELECT_TASKS_OF_JOB, (job_id,))]
        )
        return _job(job_rows, task_rows)

    async def find_by_idempotency_key(self, owner: str, key: str, *, created_after: str) -> Job | None:
        """The job this key names, releasing the key first if it is older than the window."""
        await self.db.run(queries.RELEASE_IDEMPOTENCY_KEY, owner, key, created_after)
        row = await self.db.first(queries.SELECT_BY_IDEMPOTENCY_KEY, owner, key)
        return None if row is None else await self.get_owned(owner, str(row["id"]))

    async def list(
        self,
        owner: str,
        *,
        limit: int,
        status: JobStatus | None = None,
        after: str | None = None,
    ) -> Page:
        """Up to `limit` of the owner's jobs, newest first, after the owner's job `after`."""
        params = (owner, status.value if status else None, after, limit + 1)
        rows, task_rows = await self.db.batch([(queries.LIST_JOBS, params), (queries.LIST_TASKS, params)])
        tasks = _tasks_by_job(task_rows)
        jobs = [Job.from_row(r, tuple(tasks.get(str(r["id"]), ()))) for r in rows[:limit]]
        return Page(jobs, jobs[-1].id if len(rows) > limit else None)

    async def count_live_owned(self, owner: str) -> int:
        """How many of the owner's jobs are not yet terminal."""
        row = await self.db.first(queries.COUNT_LIVE_OWNED, owner)
        return 0 if row is None else int(row["live"])

    async def delete_owned(self, owner: str, job_id: str) -> bool:
        """Delete the job and its tasks; False if the owner has no such job."""
        _, deleted = await self.db.batch(
            [
                (queries.DELETE_TASKS_OF_OWNED_JOB, (job_id, owner)),
                (queries.DELETE_OWNED_JOB, (job_id, owner)),
            ]
        )
        return bool(deleted)

    async def cancel_owned(self, owner: str, job_id: str, now: str | None = None) -> Job:
        """Cancel the job and stop its unfinished tasks; the others keep their results."""
        now = now or utc_now()
        cancelled, _, _, job_rows, task_rows = await self.db.batch(
            [
                (queries.CANCEL_OWNED_JOB, (now, now, job_id, owner)),
                (queries.CANCEL_TASKS_OF_CANCELLED_JOB, (now, now, job_id, job_id)),
                (queries.CREATE_WEBHOOK_EVENT, (job_id,)),
                (queries.SELECT_JOB, (job_id,)),
                (queries.SELECT_TASKS_OF_JOB, (job_id,)),
            ]
        )
        job = _job(job_rows, task_rows) if cancelled else None
        if job is None:
            raise TransitionRejected(f"job {job_id} cannot move to {JobStatus.CANCELLED.value}")
        return job

    # --- Tasks ------------------------------------------------------------------------------

    async def get_task(self, ref: TaskRef) -> Task | None:
        row = await self.db.first(queries.SELECT_TASK, ref.job_id, ref.operation.value)
        return None if row is None else Task.from_row(row)

    async def _transition(self, ref: TaskRef, target: str, sql: str, *params: object) -> Task:
        """Run a task transition and its job's derivation as one batch."""
        task_rows, _, _ = await self.db.batch(
            [
                (sql, (*params, ref.job_id, ref.operation.value)),
                (queries.DERIVE_JOB, (ref.job_id,)),
                (queries.CREATE_WEBHOOK_EVENT, (ref.job_id,)),
            ]
        )
        if not task_rows:
            raise TransitionRejected(f"task {ref.operation.value} of job {ref.job_id} cannot move to {target}")
        return Task.from_row(task_rows[0])

    async def start_task(self, ref: TaskRef, now: str | None = None) -> Task:
        now = now or utc_now()
        return await self._transition(ref, "in_progress", queries.START_TASK, now, now)

    async def complete_task(self, ref: TaskRef, result: TaskResult, now: str | None = None) -> Task:
        now = now or utc_now()
        return await self._transition(
            ref,
            "completed",
            queries.COMPLETE_TASK,
            now,
            now,
            result.key,
            result.size,
            result.content_type,
            result.width,
            result.height,
        )

    async def fail_task(self, ref: TaskRef, code: str, message: str, now: str | None = None) -> Task:
        now = now or utc_now()
        return await self._transition(ref, "failed", queries.FAIL_TASK, now, now, code, message)

    async def record_task_error(self, ref: TaskRef, code: str, message: str, now: str | None = None) -> None:
        """The last transient error of a task still being retried (its job's updated_at follows)."""
        await self.db.batch(
            [
                (queries.RECORD_TASK_ERROR, (code, message, now or utc_now(), ref.job_id, ref.operation.value)),
                (queries.DERIVE_JOB, (ref.job_id,)),
            ]
        )

    async def mark_enqueued(self, job_id: str, now: str | None = None) -> None:
        """Record that the messages of the job's tasks were sent (the first send only)."""
        await self.db.run(queries.MARK_TASKS_ENQUEUED, now or utc_now(), job_id)

    async def adopt_job_without_tasks(self, job_id: str) -> bool:
        """Give a job recorded before fan-out (it has no task) its grayscale task; True if it did."""
        return await self.db.run(queries.ADOPT_JOB_WITHOUT_TASKS, job_id) > 0

    # --- Recovery and the sweep -------------------------------------------------------------

    async def lost_messages(self, rule: LostMessageRule, *, limit: int, now: str) -> TaskRefs:
        """Up to `limit` live tasks whose message is presumed lost and that may still be re-driven,
        oldest first."""
        rows = await self.db.all(queries.SELECT_LOST, *rule.params(now), limit)
        return [TaskRef(str(row["job_id"]), Operation(row["operation"])) for row in rows]

    async def mark_redriven(self, tasks: Sequence[TaskRef], *, now: str) -> int:
        """Record that these tasks' messages were sent again at `now`; returns how many changed."""
        pairs = [[t.job_id, t.operation.value] for t in tasks]
        return await self.db.run(queries.MARK_REDRIVEN, now, json.dumps(pairs))

    async def fail_stalled(self, rule: LostMessageRule, *, message: str, limit: int, now: str) -> Rows:
        """Fail up to `limit` tasks still presumed lost after their last re-drive, and settle their
        jobs; returns their job_id, operation, redrives and owner."""
        failed, _, _ = await self.db.batch(
            [
                (queries.FAIL_STALLED, (*rule.params(now), limit, message)),
                (queries.SETTLE_JOBS, ()),
                (queries.CREATE_WEBHOOK_EVENTS, ()),
            ]
        )
        return failed

    async def fail_stale(self, *, not_updated_since: str, message: str, limit: int, now: str | None = None) -> Rows:
        """Fail up to `limit` live tasks with no sign of life since the given time, and settle
        their jobs; returns their job_id, operation and owner."""
        failed, _, _ = await self.db.batch(
            [
                (queries.FAIL_STALE, (now or utc_now(), message, not_updated_since, limit)),
                (queries.SETTLE_JOBS, ()),
                (queries.CREATE_WEBHOOK_EVENTS, ()),
            ]
        )
        return failed

    # --- Webhook events (README, "Webhooks") -----------------------------------------------

    async def mark_webhooks_enqueued(self, job_ids: Sequence[str], *, now: str, redrive: bool = False) -> int:
        """Record that the event messages of these jobs were sent at `now` (a re-drive counts)."""
        return await self.db.run(queries.MARK_WEBHOOK_ENQUEUED, now, json.dumps(list(job_ids)), int(redrive))

    async def record_webhook_attempt(
        self, job_id: str, *, status: str, status_code: int | None, now: str | None = None
    ) -> Job | None:
        """One delivery attempt of the job's event: its outcome (`pending` while it will be
        retried) and HTTP status. None if the event was not pending (or the job is gone)."""
        rows = await self.db.all(queries.RECORD_WEBHOOK_ATTEMPT, status, status_code, now or utc_now(), job_id)
        return _job(rows, [])

    async def fail_webhook(self, job_id: str) -> bool:
        """The event's delivery failed for good; False if it was not pending."""
        return await self.db.run(queries.FAIL_WEBHOOK, job_id) > 0

    async def lost_webhooks(
        self, *, unsent_seconds: int, sent_seconds: int, max_redrives: int, limit: int, now: str
    ) -> JobIds:
        """Jobs whose pending event's message is presumed lost, oldest event first."""
        rows = await self.db.all(queries.SELECT_LOST_WEBHOOKS, now, unsent_seconds, sent_seconds, max_redrives, limit)
        return [str(row["id"]) for row in rows]

    async def fail_lost_webhooks(self, *, sent_seconds: int, max_redrives: int, now: str) -> JobIds:
        """Fail the pending events still lost after their last re-drive; returns their jobs."""
        rows = await self.db.all(queries.FAIL_LOST_WEBHOOKS, now, sent_seconds, max_redrives)
        return [str(row["id"]) for row in rows]
