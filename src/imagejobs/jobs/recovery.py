"""Recovery of lost queue messages (README, "Recovery"): each minute a cron run sends again the
message of every live task presumed lost, and fails the tasks whose messages stayed lost after
`max_redrives` re-sends with `processing_stalled` (their jobs' statuses follow in the same
batch). Each task is its own outbox entry: one task's lost message re-drives or fails that task
alone. A duplicate message is harmless: the consumer is idempotent (jobs/processing.py).
Imports nothing platform.
"""

from collections.abc import Callable
from datetime import UTC, datetime

from ..config import WHOLE_NUMBER, ConfigError
from ..logs import log_event, user_hash
from .failures import FailureCode
from .model import iso_utc
from .operations import result_keys
from .ports import MAX_SEND_BATCH, BlobStore, JobQueue
from .store import JobStore, LostMessageRule

# wrangler.jsonc `triggers.crons`: the recovery runs every minute (the finest a cron can be).
SCHEDULE = "* * * * *"

# Deployed defaults (wrangler.jsonc `vars` repeats them; README "Recovery" has the reasoning).
# A submit sends its message a few milliseconds after its insert: a job with no send on record
# a minute later belongs to a request that died or whose send failed.
UNSENT_AFTER_SECONDS = 60
# The image-jobs consumer takes batches of one with a 1 s batch timeout, so a message that
# was sent is delivered within seconds unless a backlog holds it: three minutes of backlog
# are allowed for before a copy is sent.
PENDING_AFTER_SECONDS = 180
# An attempt refreshes the job when it starts and when it records an error; between the two
# it may run for the whole CPU limit (limits.cpu_ms: 300 s) plus reading and writing up to
# 20 MB in R2, and a retry starts at most 2**3 + 1 s later (max_retries 3). Seven minutes
# cover one full attempt and its retry delay with two minutes to spare.
RUNNING_AFTER_SECONDS = 420
# Each re-drive doubles the wait before the next one, so a job fails only after silences of
# 1 + 2 + 4 + 8 = 15 waits: 45 min for a sent pending job, 105 min for one in progress.
MAX_REDRIVES = 3
# One sendBatch call per run (at most 100 messages), and as many jobs failed per run.
REDRIVE_BATCH = MAX_SEND_BATCH

_VARIABLES = {
    "unsent_seconds": ("REDRIVE_UNSENT_AFTER_SECONDS", UNSENT_AFTER_SECONDS),
    "pending_seconds": ("REDRIVE_PENDING_AFTER_SECONDS", PENDING_AFTER_SECONDS),
    "running_seconds": ("REDRIVE_RUNNING_AFTER_SECONDS", RUNNING_AFTER_SECONDS),
    "max_redrives": ("MAX_REDRIVES", MAX_REDRIVES),
}

DEFAULT_RULE = LostMessageRule(UNSENT_AFTER_SECONDS, PENDING_AFTER_SECONDS, RUNNING_AFTER_SECONDS, MAX_REDRIVES)


def lost_message_rule(get: Callable[[str], object]) -> LostMessageRule:
    """The rule from the Worker's variables (a getter returning None or "" when unset); each is
    a whole number ≥ 0, defaulting to the deployed value above."""
    values: dict[str, int] = {}
    for field, (name, default) in _VARIABLES.items():
        raw = get(name)
        text = "" if raw is None else str(raw).strip()
        if not text:
            values[field] = default
            continue
        if not WHOLE_NUMBER.fullmatch(text):  # ASCII digits only, as every number of the API
            raise ConfigError(f"{name} must be a whole number of at least 0, got {text!r}")
        values[field] = int(text)
    return LostMessageRule(**values)


async def redrive_lost_messages(
    store: JobStore,
    queue: JobQueue,
    blobs: BlobStore,
    rule: LostMessageRule = DEFAULT_RULE,
    *,
    now: datetime | None = None,
) -> tuple[int, int]:
    """One recovery run: fail the tasks that stayed lost after their last re-drive, then send
    again the messages of up to REDRIVE_BATCH others. Returns (re-driven, failed)."""
    at = iso_utc(now or datetime.now(UTC))
    sends = rule.max_redrives + 1
    stalled = await store.fail_stalled(
        rule,
        message=f"processing never started or never finished although its queue message was sent {sends} times; "
        "upload the image again.",
        limit=REDRIVE_BATCH,
        now=at,
    )
    if stalled:
        # An attempt may have stored its result before it was lost: nothing is left behind.
        await blobs.delete(*result_keys(stalled))
    for task in stalled:
        log_event(
            "job.failed",
            job_id=task["job_id"],
            operation=task["operation"],
            user=user_hash(str(task["owner"])),
            code=FailureCode.PROCESSING_STALLED,
            redrives=task["redrives"],
            outcome="stalled",
        )

    lost = await store.lost_messages(rule, limit=REDRIVE_BATCH, now=at)
    redriven = 0
    if lost:
        try:
            await queue.send_tasks(lost)
        except Exception as error:  # noqa: BLE001 — the queue is down: the next run tries again
            log_event("redrive.send_failed", tasks=len(lost), error=f"{type(error).__name__}: {error}")
        else:
            # Sent first, recorded second: should this run die in between, the next one sends
            # again, and a duplicate is harmless where a job left waiting is not.
            await store.mark_redriven(lost, now=at)
            redriven = len(lost)
            for ref in lost:
                log_event("job.redriven", job_id=ref.job_id, operation=ref.operation.value)
    log_event("redrive.done", redriven=redriven, failed=len(stalled))
    return redriven, len(stalled)
