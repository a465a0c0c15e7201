"""Job states and the one table of legal transitions (spec: API.md, "The job resource").

The store generates its guarded `UPDATE … WHERE status IN (…)` from this table, and a test
checks the migration's CHECK constraint lists exactly these states. Imports nothing.
"""

from enum import StrEnum


class JobStatus(StrEnum):
    PENDING = "pending"
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELLED = "cancelled"

    @property
    def is_terminal(self) -> bool:
        return not TRANSITIONS[self]


# from-state → the states it may move to. `in_progress → in_progress` is a new attempt after
# a redelivery (at-least-once delivery: the previous attempt may have died mid-way).
TRANSITIONS: dict[JobStatus, frozenset[JobStatus]] = {
    JobStatus.PENDING: frozenset({JobStatus.IN_PROGRESS, JobStatus.CANCELLED, JobStatus.FAILED}),
    JobStatus.IN_PROGRESS: frozenset(
        {JobStatus.IN_PROGRESS, JobStatus.COMPLETED, JobStatus.FAILED, JobStatus.CANCELLED}
    ),
    JobStatus.COMPLETED: frozenset(),
    JobStatus.FAILED: frozenset(),
    JobStatus.CANCELLED: frozenset(),
}


def sources_of(target: JobStatus) -> tuple[JobStatus, ...]:
    """The states from which a job may move to `target`, in declaration order."""
    return tuple(source for source, targets in TRANSITIONS.items() if target in targets)
