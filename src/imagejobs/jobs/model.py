"""The job record as the store reads it, and the clock/id conventions. Imports nothing platform."""

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from .states import JobStatus


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


def result_key(job_id: str) -> str:
    # Deterministic, so a redelivered job overwrites the same object with the same bytes.
    return f"results/{job_id}.png"


@dataclass(frozen=True, slots=True)
class ImageInfo:
    size: int
    width: int
    height: int
    content_type: str = "image/png"


@dataclass(frozen=True, slots=True)
class Job:
    id: str
    owner: str
    status: JobStatus
    created_at: str
    updated_at: str
    started_at: str | None
    completed_at: str | None
    attempts: int
    original_name: str
    original: ImageInfo
    original_sha256: str
    result: ImageInfo | None
    error_code: str | None
    error_message: str | None
    idempotency_key: str | None
    enqueued_at: str | None  # when its queue message was last sent; None: not sent yet
    redrives: int  # how many times the recovery cron sent its message again

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> "Job":
        result = None
        if row["result_key"] is not None:
            result = ImageInfo(row["result_size"], row["result_width"], row["result_height"])
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
            result=result,
            error_code=row["error_code"],
            error_message=row["error_message"],
            idempotency_key=row["idempotency_key"],
            enqueued_at=row["enqueued_at"],
            redrives=row["redrives"],
        )
