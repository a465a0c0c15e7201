"""The small interfaces the job code depends on; platform/ implements them over D1, R2, Queues
and the Rate Limiting binding, and the unit tests over stdlib sqlite3 and in-memory stores.
Imports nothing platform.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from .messages import TaskRef

# One statement of a batch: its SQL and its parameters.
Statement = tuple[str, tuple[Any, ...]]


class Database(Protocol):
    """A SQLite-dialect database (D1)."""

    async def run(self, sql: str, *params: Any) -> int:
        """Execute a statement; returns the number of rows it changed."""

    async def first(self, sql: str, *params: Any) -> dict[str, Any] | None:
        """The first row of a query, or None."""

    async def all(self, sql: str, *params: Any) -> list[dict[str, Any]]:
        """Every row of a query."""

    async def batch(self, statements: Sequence[Statement]) -> list[list[dict[str, Any]]]:
        """Run the statements in order as one transaction (D1's batch): all take effect or none
        does. Returns each statement's rows (those of RETURNING, for a change)."""


@dataclass(frozen=True, slots=True)
class StoredBlob:
    data: bytes | memoryview  # a memoryview from R2 avoids copying a 20 MB image once more
    etag: str
    content_type: str | None


@dataclass(frozen=True, slots=True)
class BlobDownload:
    """An object to send as it is: `body` is handed to the HTTP layer untouched (on Workers,
    R2's own ReadableStream, so a download never passes through Python memory)."""

    body: object
    size: int
    etag: str


class BlobStore(Protocol):
    """An object store (R2)."""

    async def put(self, key: str, data: bytes, *, content_type: str, metadata: dict[str, str]) -> str:
        """Store `data` under `key`; returns the object's HTTP ETag."""

    async def get(self, key: str) -> StoredBlob | None:
        """The object under `key`, or None."""

    async def open(self, key: str) -> BlobDownload | None:
        """The object under `key` as a body to stream to a client, or None."""

    async def delete(self, *keys: str) -> None:
        """Delete objects; missing keys are not an error."""


class JobQueue(Protocol):
    """The producer side of the job queue."""

    async def send_tasks(self, tasks: Sequence[TaskRef]) -> None:
        """Enqueue one message per task (`TaskRef.body()`) in a single call (at most `MAX_SEND_BATCH`)."""


class EventQueue(Protocol):
    """The producer side of the webhook-deliveries queue."""

    async def send_events(self, job_ids: Sequence[str]) -> None:
        """Enqueue one delivery message (`{"jobId": id}`) per job's event, in a single call."""


class RateLimiter(Protocol):
    """A count of events per key over a fixed period (the Rate Limiting binding)."""

    async def allow(self, key: str) -> bool:
        """Count one event for `key`; False if `key` is already at its limit for this period."""


# Cloudflare Queues' sendBatch takes at most 100 messages per call.
MAX_SEND_BATCH = 100


class DuplicateKey(Exception):
    """An insert violated a UNIQUE constraint (raised by every `Database`)."""
