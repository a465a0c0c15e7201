"""The scheduled safety net: a job whose queue message is gone (its dead-letter message failed
too, or a queue dropped it) would stay pending or in progress for ever. Jobs untouched for a
day are failed with `processing_failed`. Imports nothing platform.
"""

from datetime import UTC, datetime, timedelta

from ..logs import log_event, user_hash
from .failures import FailureCode
from .store import JobStore

# Far beyond any real run: four deliveries of up to 5 CPU-minutes each, with backoff, even
# behind a long queue backlog. Every attempt refreshes updated_at.
STALE_AFTER = timedelta(hours=24)
SWEEP_BATCH = 500  # D1 allows 1,000 queries per invocation; one UPDATE fails this many


async def sweep_stale_jobs(store: JobStore, *, now: datetime | None = None) -> int:
    """Fail the jobs that have been non-terminal for longer than STALE_AFTER; returns how many."""
    cutoff = ((now or datetime.now(UTC)) - STALE_AFTER).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    hours = int(STALE_AFTER.total_seconds() // 3600)
    failed = await store.fail_stale(
        not_updated_since=cutoff,
        limit=SWEEP_BATCH,
        message=f"processing did not finish within {hours} hours; upload the image again",
    )
    for job in failed:
        log_event(
            "job.failed",
            job_id=job["id"],
            user=user_hash(job["owner"]),
            code=FailureCode.PROCESSING_FAILED,
            outcome="stale",
        )
    log_event("sweep.done", failed=len(failed))
    return len(failed)
