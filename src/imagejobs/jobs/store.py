"""The job store: reads and guarded state changes of job rows over a `Database`.

Imports nothing platform; the SQL lives in queries.py.
"""

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from . import queries
from .model import ImageInfo, Job, utc_now
from .ports import Database, DuplicateKey
from .states import JobStatus

# A row as the database returns it (column name → value); the `list` method shadows the builtin
# inside the class, hence the alias.
Row = dict[str, Any]
Rows = list[Row]
JobIds = list[str]


@dataclass(frozen=True, slots=True)
class LostMessageRule:
    """When a live job's message is presumed lost (jobs/recovery.py): silent for longer than
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
    """The job was not in a state from which this transition is legal (or does not exist)."""


@dataclass(frozen=True, slots=True)
class NewJob:
    id: str
    owner: str
    original_key: str
    original_name: str
    original: ImageInfo
    original_sha256: str
    idempotency_key: str | None


@dataclass(frozen=True, slots=True)
class Page:
    jobs: list[Job]
    next_after: str | None  # id of the last job, if more may follow


class JobStore:
    def __init__(self, db: Database):
        self.db = db

    async def insert(self, job: NewJob, now: str | None = None) -> Job:
        now = now or utc_now()
        try:
            row = await self.db.first(
                queries.INSERT_JOB,
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
            )
        except DuplicateKey as error:
            if "idempotency_key" in str(error):
                raise IdempotencyKeyTaken(job.idempotency_key) from error
            raise
        if row is None:
            raise RuntimeError(f"the insert of job {job.id} returned no row")
        return Job.from_row(row)

    async def get(self, job_id: str) -> Job | None:
        row = await self.db.first(queries.SELECT_JOB, job_id)
        return None if row is None else Job.from_row(row)

    async def get_owned(self, owner: str, job_id: str) -> Job | None:
        row = await self.db.first(queries.SELECT_OWNED_JOB, job_id, owner)
        return None if row is None else Job.from_row(row)

    async def find_by_idempotency_key(self, owner: str, key: str, *, created_after: str) -> Job | None:
        """The job this key names, releasing the key first if it is older than the window."""
        await self.db.run(queries.RELEASE_IDEMPOTENCY_KEY, owner, key, created_after)
        row = await self.db.first(queries.SELECT_BY_IDEMPOTENCY_KEY, owner, key)
        return None if row is None else Job.from_row(row)

    async def list(
        self,
        owner: str,
        *,
        limit: int,
        status: JobStatus | None = None,
        after: str | None = None,
    ) -> Page:
        """Up to `limit` of the owner's jobs, newest first, after the owner's job `after`."""
        rows = await self.db.all(queries.LIST_JOBS, owner, status.value if status else None, after, limit + 1)
        jobs = [Job.from_row(r) for r in rows[:limit]]
        return Page(jobs, jobs[-1].id if len(rows) > limit else None)

    async def count_live_owned(self, owner: str) -> int:
        """How many of the owner's jobs are not yet terminal."""
        row = await self.db.first(queries.COUNT_LIVE_OWNED, owner)
        return 0 if row is None else int(row["live"])

    async def delete_owned(self, owner: str, job_id: str) -> bool:
        return await self.db.run(queries.DELETE_OWNED_JOB, job_id, owner) > 0

    async def _transition(self, target: JobStatus, job_id: str, sql: str, *params: object) -> Job:
        row = await self.db.first(sql, *params)
        if row is None:
            raise TransitionRejected(f"job {job_id} cannot move to {target.value}")
        return Job.from_row(row)

    async def start_attempt(self, job_id: str, now: str | None = None) -> Job:
        now = now or utc_now()
        return await self._transition(JobStatus.IN_PROGRESS, job_id, queries.START_ATTEMPT, now, now, job_id)

    async def complete(self, job_id: str, result_key: str, result: ImageInfo, now: str | None = None) -> Job:
        now = now or utc_now()
        return await self._transition(
            JobStatus.COMPLETED,
            job_id,
            queries.COMPLETE,
            now,
            now,
            result_key,
            result.size,
            result.width,
            result.height,
            job_id,
        )

    async def fail(self, job_id: str, code: str, message: str, now: str | None = None) -> Job:
        now = now or utc_now()
        return await self._transition(JobStatus.FAILED, job_id, queries.FAIL, now, now, code, message, job_id)

    async def cancel_owned(self, owner: str, job_id: str, now: str | None = None) -> Job:
        now = now or utc_now()
        return await self._transition(JobStatus.CANCELLED, job_id, queries.CANCEL_OWNED, now, now, job_id, owner)

    async def mark_enqueued(self, job_id: str, now: str | None = None) -> None:
        """Record that the job's message was sent (the first send only)."""
        await self.db.run(queries.MARK_ENQUEUED, now or utc_now(), job_id)

    async def lost_messages(self, rule: LostMessageRule, *, limit: int, now: str) -> JobIds:
        """Ids of up to `limit` live jobs whose message is presumed lost and that may still be
        re-driven, oldest first."""
        rows = await self.db.all(queries.SELECT_LOST, *rule.params(now), limit)
        return [str(row["id"]) for row in rows]

    async def mark_redriven(self, job_ids: Sequence[str], *, now: str) -> int:
        """Record that these jobs' messages were sent again at `now`; returns how many changed."""
        return await self.db.run(queries.MARK_REDRIVEN, now, json.dumps(list(job_ids)))

    async def fail_stalled(self, rule: LostMessageRule, *, message: str, limit: int, now: str) -> Rows:
        """Fail up to `limit` jobs still presumed lost after their last re-drive; returns their
        id, owner and redrives."""
        return await self.db.all(queries.FAIL_STALLED, *rule.params(now), limit, message)

    async def fail_stale(self, *, not_updated_since: str, message: str, limit: int, now: str | None = None) -> Rows:
        """Fail up to `limit` live jobs with no sign of life since the given time; returns their id/owner."""
        return await self.db.all(queries.FAIL_STALE, now or utc_now(), message, not_updated_since, limit)

    async def record_error(self, job_id: str, code: str, message: str, now: str | None = None) -> None:
        await self.db.run(queries.RECORD_ERROR, code, message, now or utc_now(), job_id)
