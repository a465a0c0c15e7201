"""What users do with jobs: submit, read, list, download, cancel, delete — owner-scoped.

Another user's job is reported exactly as a missing one. Imports nothing platform.
"""

import hashlib
from datetime import UTC, datetime, timedelta

from ..errors import BadRequest, IdempotencyKeyReused, InvalidState, NotFound, NotReady, ServiceUnavailable
from ..logs import log_event, user_hash
from .events import EventOutbox
from .messages import TaskRef
from .model import ImageInfo, Job, Task, iso_utc, new_job_id, original_key
from .operations import DEFAULT_OPERATIONS, OPERATIONS, Operation, send_order
from .ports import BlobDownload, BlobStore, JobQueue
from .states import JobStatus, TaskStatus
from .store import IdempotencyKeyTaken, JobStore, NewJob, Page, TransitionRejected
from .throttling import SubmissionThrottle
from .uploads import ValidImage

IDEMPOTENCY_WINDOW = timedelta(hours=24)


class JobService:
    def __init__(
        self,
        store: JobStore,
        blobs: BlobStore,
        queue: JobQueue,
        throttle: SubmissionThrottle | None = None,
        events: EventOutbox | None = None,
    ):
        self.store = store
        self.blobs = blobs
        self.queue = queue
        self.throttle = throttle  # None: unthrottled (the unit tests of everything else)
        self.events = events  # None: webhook events wait for the recovery cron

    async def submit(
        self,
        owner: str,
        image: ValidImage,
        idempotency_key: str | None = None,
        operations: tuple[Operation, ...] = DEFAULT_OPERATIONS,
        callback_url: str | None = None,
    ) -> tuple[Job, bool]:
        """Store the original, record the job with one task per operation, enqueue one message
        per task. Returns (job, created).

        Once the row is written the job is accepted, whatever happens to its message: the row
        is the queue's outbox (jobs/recovery.py), and a send that fails or never happens is
        made by the recovery cron within minutes (README, "Recovery").
        """
        digest = hashlib.sha256(image.data).hexdigest()
        if idempotency_key is not None:
            window_start = iso_utc(datetime.now(UTC) - IDEMPOTENCY_WINDOW)
            existing = await self.store.find_by_idempotency_key(owner, idempotency_key, created_after=window_start)
            if existing is not None:
                return self._replay(existing, digest, operations, callback_url), False
        # After the replay check: a replay creates nothing, so it is never throttled.
        if self.throttle is not None:
            await self.throttle.admit(owner)

        job_id = new_job_id()
        key = original_key(job_id)
        await self.blobs.put(
            key,
            image.data,
            content_type="image/png",
            metadata={"job_id": job_id, "sha256": digest},
        )
        new = NewJob(
            id=job_id,
            owner=owner,
            original_key=key,
            original_name=image.name,
            original=ImageInfo(len(image.data), image.width, image.height),
            original_sha256=digest,
            idempotency_key=idempotency_key,
            operations=operations,
            callback_url=callback_url,
        )
        try:
            job = await self.store.insert(new)
        except IdempotencyKeyTaken:
            # A concurrent request with the same Idempotency-Key won the race: use its job.
            await self.blobs.delete(key)
            winner = None
            if idempotency_key is not None:  # (always: only a key can be taken) release nothing
                winner = await self.store.find_by_idempotency_key(owner, idempotency_key, created_after="")
            if winner is None:  # its owner deleted the winner in between
                raise ServiceUnavailable("a concurrent request with this Idempotency-Key failed; try again") from None
            return self._replay(winner, digest, operations, callback_url), False
        except BaseException:
            await self.blobs.delete(key)
            raise
        await self._enqueue(job_id, owner, operations)
        log_event(
            "job.submitted",
            job_id=job_id,
            user=user_hash(owner),
            size=len(image.data),
            width=image.width,
            height=image.height,
            operations=",".join(operations),
        )
        return job, True

    async def _enqueue(self, job_id: str, owner: str, operations: tuple[Operation, ...]) -> None:
        """Send one message per task (one call) and record the send. Neither failure loses the job:
        with no send on record, the recovery cron sends them (again: a duplicate is harmless)."""
        try:
            await self.queue.send_tasks([TaskRef(job_id, operation) for operation in send_order(operations)])
        except Exception as error:  # noqa: BLE001 — the outbox row stays; recovery sends it
            error_text = f"{type(error).__name__}: {error}"
            log_event("job.enqueue_failed", job_id=job_id, user=user_hash(owner), error=error_text)
            return
        try:
            await self.store.mark_enqueued(job_id)
        except Exception as error:  # noqa: BLE001 — sent but not recorded: at worst sent twice
            log_event("job.enqueue_unrecorded", job_id=job_id, error=f"{type(error).__name__}: {error}")

    @staticmethod
    def _replay(existing: Job, digest: str, operations: tuple[Operation, ...], callback_url: str | None) -> Job:
        if existing.original_sha256 != digest:
            raise IdempotencyKeyReused(
                "this Idempotency-Key was used for a different file in the last 24 hours; use a new key"
            )
        if set(existing.operations) != set(operations):
            used = ",".join(existing.operations)
            raise IdempotencyKeyReused(
                f"this Idempotency-Key was used with other operations ({used}) in the last 24 hours; use a new key"
            )
        if (existing.webhook.url if existing.webhook else None) != callback_url:
            raise IdempotencyKeyReused(
                "this Idempotency-Key was used with another callback_url (or none) in the last 24 hours; use a new key"
            )
        return existing

    async def get(self, owner: str, job_id: str) -> Job:
        job = await self.store.get_owned(owner, job_id)
        if job is None:
            raise NotFound(f"no job {job_id}")
        return job

    async def list(self, owner: str, *, limit: int, status: JobStatus | None, after: str | None) -> Page:
        """A page of the owner's jobs after their job `after`; raises BadRequest if `after` is not
        one of the owner's jobs (another user's, a deleted one, an invented one)."""
        page = await self.store.list(owner, limit=limit, status=status, after=after)
        # A page with jobs proves `after` is the owner's (the query finds nothing otherwise);
        # only an empty one needs the check.
        if after is not None and not page.jobs and await self.store.get_owned(owner, after) is None:
            raise BadRequest("cursor does not continue a listing of yours (was its job deleted?); list from the start")
        return page

    async def result(self, owner: str, job_id: str, operation: Operation) -> tuple[Job, Task, BlobDownload]:
        """The stored result of one task of the job: NotFound if the job has no such task,
        NotReady (409) until that task is completed, whatever the job's other tasks do."""
        job = await self.get(owner, job_id)
        task = job.task(operation)
        if task is None:
            ran = ", ".join(job.operations) or "none"
            raise NotFound(f"job {job_id} has no {operation.value} task (its operations: {ran})")
        if task.status is not TaskStatus.COMPLETED or task.result is None:
            raise NotReady(
                f"the {operation.value} task of job {job_id} is {task.status.value}; "
                "its result exists once it is completed",
                details={"job": job},
            )
        return job, task, await self._blob(task.result.key, job_id)

    async def original(self, owner: str, job_id: str) -> tuple[Job, BlobDownload]:
        job = await self.get(owner, job_id)
        return job, await self._blob(original_key(job_id), job_id)

    async def _blob(self, key: str, job_id: str) -> BlobDownload:
        blob = await self.blobs.open(key)
        if blob is None:
            raise NotFound(f"the image of job {job_id} is no longer stored")
        return blob

    async def cancel(self, owner: str, job_id: str) -> Job:
        job = await self.get(owner, job_id)
        try:
            cancelled = await self.store.cancel_owned(owner, job_id)
        except TransitionRejected:
            current = await self.get(owner, job_id)
            raise InvalidState(
                f"job {job_id} is {current.status.value}; only pending or in-progress jobs can be cancelled",
                details={"job": current},
            ) from None
        log_event("job.cancelled", job_id=job_id, user=user_hash(owner), previous=job.status.value)
        if self.events is not None:
            await self.events.send(cancelled)
        return cancelled

    async def delete(self, owner: str, job_id: str) -> None:
        job = await self.get(owner, job_id)
        # The rows first: should the object deletion fail, an orphan object is harmless, while a
        # job whose images are gone would answer 404 for its downloads. Every operation's key
        # goes, recorded or not: a task still running may have stored its result unrecorded.
        await self.store.delete_owned(owner, job_id)
        keys = {task.result.key for task in job.tasks if task.result is not None}
        keys.update(spec.result_key(job.id) for spec in OPERATIONS.values())
        await self.blobs.delete(original_key(job.id), *sorted(keys))
        log_event("job.deleted", job_id=job_id, user=user_hash(owner))
