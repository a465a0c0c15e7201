"""The job queue's message (spec: API.md, "Processing"): `{"jobId": id, "operation": name}`, one
per task. Only this Worker sends them, but a body is still read defensively: a malformed one is
acknowledged and logged, never retried. Imports nothing platform.
"""

from dataclasses import dataclass

from .operations import Operation


@dataclass(frozen=True, slots=True)
class TaskRef:
    """Which task a message is for."""

    job_id: str
    operation: Operation

    def body(self) -> dict[str, str]:
        return {"jobId": self.job_id, "operation": self.operation.value}


def task_of(body: object) -> TaskRef | None:
    """The task a message body names, or None for a malformed body. A body without `operation`
    was sent by a Worker older than fan-out: it means the job's grayscale task."""
    if not isinstance(body, dict):
        return None
    job_id = body.get("jobId")
    name = body.get("operation", Operation.GRAYSCALE.value)
    if not isinstance(job_id, str) or not job_id or not isinstance(name, str):
        return None
    try:
        return TaskRef(job_id, Operation(name))
    except ValueError:
        return None
