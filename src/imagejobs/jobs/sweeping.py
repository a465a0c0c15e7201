"""The last resort: a task with no sign of life for a day — its message lost and the re-drive of
jobs/recovery.py unable to help (the queue refusing sends all day) — would stay pending or in
progress for ever. The hourly sweep fails it with `processing_failed` (its job's status follows
in the same batch). Imports nothing platform.
"""

from datetime import UTC, datetime, timedelta

from ..logs import log_event, user_hash
from .failures import FailureCode
from .model import iso_utc
from .operations import result_keys
from .ports import BlobStore
from .store import JobStore

# wrangler.jsonc `triggers.crons`: hourly, at a minute of its own.
SCHEDULE = "17 * * * *"

# Far beyond any real run: four deliveries of up to 5 CPU-minutes each, with backoff, and
# every re-drive (at most 105 minutes of silence), even behind a long queue backlog.
STALE_AFTER = timedelta(hours=24)
SWEEP_BATCH = 500  # D1 allows 1,000 queries per invocation; one UPDATE fails this many tasks


async def sweep_stale_jobs(store: JobStore, blobs: BlobStore, *, now: datetime | None = None) -> int:
    """Fail the tasks that have been silent for longer than STALE_AFTER; returns how many."""
    cutoff = iso_utc((now or datetime.now(UTC)) - STALE_AFTER)
    hours = int(STALE_AFTER.total_seconds() // 3600)
    failed = await store.fail_stale(
        not_updated_since=cutoff,
        limit=SWEEP_BATCH,
        message=f"processing did not finish within {hours} hours; upload the image again",
    )
    if failed:
        await blobs.delete(*result_keys(failed))
    for task in failed:
        log_event(
            "job.failed",
            job_id=task["job_id"],
            operation=task["operation"],
            user=user_hash(str(task["owner"])),
            code=FailureCode.PROCESSING_FAILED,
            outcome="stale",
        )
    log_event("sweep.done", failed=len(failed))
    return len(failed)
