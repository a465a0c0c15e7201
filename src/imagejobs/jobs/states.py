"""Task and job states, the tables of legal transitions, and how a job's status follows from its
tasks' (spec: API.md, "The job resource" and "Tasks").

A task is one operation on one upload; it moves along TASK_TRANSITIONS, and the store generates
each guarded `UPDATE … WHERE status IN (…)` from that table. A job's status is derived from its
tasks' (`derived_job_status`); the store writes it in the same D1 batch as every task change,
and only along JOB_TRANSITIONS. Tests check the migrations' CHECK constraints list exactly these
states, and that the SQL derivation agrees with `derived_job_status`. Imports nothing.
"""

from collections.abc import Iterable
from enum import StrEnum
from typing import overload


class TaskStatus(StrEnum):
    PENDING = "pending"
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELLED = "cancelled"

    @property
    def is_terminal(self) -> bool:
        return not TASK_TRANSITIONS[self]


class JobStatus(StrEnum):
    PENDING = "pending"
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELLED = "cancelled"

    @property
    def is_terminal(self) -> bool:
        return not JOB_TRANSITIONS[self]


# from-state → the states a task may move to. `in_progress → in_progress` is a new attempt
# after a redelivery (at-least-once delivery: the previous attempt may have died mid-way).
TASK_TRANSITIONS: dict[TaskStatus, frozenset[TaskStatus]] = {
    TaskStatus.PENDING: frozenset({TaskStatus.IN_PROGRESS, TaskStatus.CANCELLED, TaskStatus.FAILED}),
    TaskStatus.IN_PROGRESS: frozenset(
        {TaskStatus.IN_PROGRESS, TaskStatus.COMPLETED, TaskStatus.FAILED, TaskStatus.CANCELLED}
    ),
    TaskStatus.COMPLETED: frozenset(),
    TaskStatus.FAILED: frozenset(),
    TaskStatus.CANCELLED: frozenset(),
}

# The job's: the same shape. Every move but `→ cancelled` (the user's) comes from its tasks.
JOB_TRANSITIONS: dict[JobStatus, frozenset[JobStatus]] = {
    JobStatus.PENDING: frozenset({JobStatus.IN_PROGRESS, JobStatus.FAILED, JobStatus.CANCELLED}),
    JobStatus.IN_PROGRESS: frozenset(
        {JobStatus.IN_PROGRESS, JobStatus.COMPLETED, JobStatus.FAILED, JobStatus.CANCELLED}
    ),
    JobStatus.COMPLETED: frozenset(),
    JobStatus.FAILED: frozenset(),
    JobStatus.CANCELLED: frozenset(),
}

# The name the rest of the code has always used for the job's table.
TRANSITIONS = JOB_TRANSITIONS


@overload
def sources_of(target: TaskStatus) -> tuple[TaskStatus, ...]: ...
@overload
def sources_of(target: JobStatus) -> tuple[JobStatus, ...]: ...
def sources_of(target: TaskStatus | JobStatus) -> tuple[TaskStatus, ...] | tuple[JobStatus, ...]:
    """The states from which `target` may be reached, in declaration order: a task's from
    TASK_TRANSITIONS, a job's from JOB_TRANSITIONS."""
    if isinstance(target, TaskStatus):
        return tuple(source for source, targets in TASK_TRANSITIONS.items() if target in targets)
    return tuple(source for source, targets in JOB_TRANSITIONS.items() if target in targets)


def derived_job_status(tasks: Iterable[TaskStatus]) -> JobStatus:
    """A job's status from its tasks': `pending` until one starts, `in_progress` while any is
    live, then `completed` if all completed, `failed` if any failed, else `cancelled`.

    The specification of queries.DERIVE_JOB: a test checks the SQL agrees on every combination.
    A job whose user cancelled it stays `cancelled` whatever its tasks."""
    statuses = list(tasks)
    if any(not s.is_terminal for s in statuses):
        started = any(s is not TaskStatus.PENDING for s in statuses)
        return JobStatus.IN_PROGRESS if started else JobStatus.PENDING
    if all(s is TaskStatus.COMPLETED for s in statuses):
        return JobStatus.COMPLETED
    if any(s is TaskStatus.FAILED for s in statuses):
        return JobStatus.FAILED
    return JobStatus.CANCELLED
