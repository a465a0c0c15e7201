"""The job and task records as the store reads them, and the clock/id conventions. Imports nothing
platform."""

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from .operations import Operation
from .states import JobStatus, TaskStatus


def iso_utc(moment: datetime) -> str:
    """`moment` as RFC 3339 UTC with milliseconds (`2026-03-01T12:00:00.000Z`), the one format
    of every stored timestamp: strings of it sort in time order, so SQL compares them as text."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def utc_now() -> str:
    """Now, as `iso_utc` writes it."""
    return iso_utc(datetime.now(UTC))


def new_job_id() -> str:
    """A random (unguessable) UUIDv4."""
    return str(uuid.uuid4())


def original_key(job_id: str) -> str:
    return f"originals/{job_id}.png"


@dataclass(frozen=True, slots=True)
class ImageInfo:
    size: int
    width: int
    height: int
    content_type: str = "image/png"


@dataclass(frozen=True, slots=True)
class TaskResult:
    key: str
    size: int
    content_type: str
    width: int | None  # None for a result that is no image (metadata)
    height: int | None


@dataclass(frozen=True, slots=True)
class Task:
    """One operation of a job: its own queue message, status, attempts, error and result."""

    job_id: str
    operation: Operation
    status: TaskStatus
    created_at: str
    updated_at: str
    started_at: str | None
    completed_at: str | None
    attempts: int
    result: TaskResult | None  # set once completed
    error_code: str | None  # the failure, or the last transient error while retried
    error_message: str | None
    enqueued_at: str | None  # when its queue message was last sent; None: not sent yet
    redrives: int  # how many times the recovery cron sent its message again

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> "Task":
        result = None
        if row["result_key"] is not None:
            result = TaskResult(
                row["result_key"],
                row["result_size"],
                row["result_content_type"],
                row["result_width"],
                row["result_height"],
            )
        return cls(
            job_id=row["job_id"],
            operation=Operation(row["operation"]),
            status=TaskStatus(row["status"]),
            created_at=row["created_at"],
            updated_at=row["updated_at"],
            started_at=row["started_at"],
            completed_at=row["completed_at"],
            attempts=row["attempts"],
            result=result,
            error_code=row["error_code"],
            error_message=row["error_message"],
            enqueued_at=row["enqueued_at"],
            redrives=row["redrives"],
        )


@dataclass(frozen=True, slots=True)
class Webhook:
    """A job's callback and the delivery of its one event (README, "Webhooks")."""

    url: str
    status: str  # pending, delivered or failed
    attempts: int
    last_status_code: int | None
    last_attempt_at: str | None
    event_type: str | None  # job.completed, job.failed or job.cancelled once the job is terminal
    event_at: str | None
    enqueued_at: str | None  # when the event's delivery message was last sent

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> "Webhook | None":
        url = row.get("webhook_url")
        if url is None:
            return None
        return cls(
            url=str(url),
            status=str(row["webhook_status"]),
            attempts=int(row["webhook_attempts"]),
            last_status_code=row["webhook_last_status_code"],
            last_attempt_at=row["webhook_last_attempt_at"],
            event_type=row["webhook_event_type"],
            event_at=row["webhook_event_at"],
            enqueued_at=row["webhook_enqueued_at"],
        )

    @property
    def unsent(self) -> bool:
        """The event is recorded and still to deliver, and its message has not been sent."""
        return self.event_type is not None and self.status == "pending" and self.enqueued_at is None


@dataclass(frozen=True, slots=True)
class Job:
    """An upload and its tasks. `status`, `started_at`, `completed_at`, `attempts` and
    `updated_at` are derived from the tasks (the store writes them with every task change)."""

    id: str
    owner: str
    status: JobStatus
    created_at: str
    updated_at: str
    started_at: str | None
    completed_at: str | None
    attempts: int  # the most attempts of any of its tasks
    original_name: str
    original: ImageInfo
    original_sha256: str
    idempotency_key: str | None
    tasks: tuple[Task, ...] = ()  # in Operation order
    webhook: Webhook | None = None  # None: no callback_url

    @classmethod
    def from_row(cls, row: dict[str, Any], tasks: tuple[Task, ...] = ()) -> "Job":
        return cls(
            id=row["id"],
            owner=row["owner"],
            status=JobStatus(row["status"]),
            created_at=row["created_at"],
            updated_at=row["updated_at"],
            started_at=row["started_at"],
            completed_at=row["completed_at"],
            attempts=row["attempts"],
            original_name=row["original_name"],
            original=ImageInfo(
                row["original_size"],
                row["original_width"],
                row["original_height"],
                row["original_content_type"],
            ),
            original_sha256=row["original_sha256"],
            idempotency_key=row["idempotency_key"],
            tasks=tuple(sorted(tasks, key=lambda t: list(Operation).index(t.operation))),
            webhook=Webhook.from_row(row),
        )

    @property
    def operations(self) -> tuple[Operation, ...]:
        return tuple(task.operation for task in self.tasks)

    def task(self, operation: Operation) -> Task | None:
        return next((task for task in self.tasks if task.operation is operation), None)
