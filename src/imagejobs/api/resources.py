"""The job resource of API.md ("The job resource", "Tasks") and its ETag."""

import hashlib
import json

from ..jobs.model import Job, Task
from ..jobs.operations import Operation
from ..jobs.states import JobStatus, TaskStatus


def task_resource(job: Job, task: Task) -> dict[str, object]:
    result: dict[str, object] | None = None
    if task.status is TaskStatus.COMPLETED and task.result is not None:
        result = {
            "url": f"/api/jobs/{job.id}/results/{task.operation.value}",
            "content_type": task.result.content_type,
            "bytes": task.result.size,
        }
        if task.result.width is not None:
            result.update(width=task.result.width, height=task.result.height)
    return {
        "operation": task.operation.value,
        "status": task.status.value,
        "attempts": task.attempts,
        "started_at": task.started_at,
        "completed_at": task.completed_at,
        "error": (
            {"code": task.error_code, "message": task.error_message} if task.status is TaskStatus.FAILED else None
        ),
        "result": result,
    }


def _job_error(job: Job) -> dict[str, object] | None:
    """A failed job's error: the code and message of its first failed task, the message naming
    every failed task and every completed one (a job of one task keeps its task's message as it
    is), and the failed operations. Each task's own error is in its resource."""
    if job.status is not JobStatus.FAILED:
        return None
    failed = [task for task in job.tasks if task.status is TaskStatus.FAILED]
    if not failed:  # (cannot happen: a job fails only when a task did)
        return {"code": "processing_failed", "message": "processing failed", "tasks": []}
    message = failed[0].error_message or "processing failed"
    if len(job.tasks) > 1:
        names = " and ".join(task.operation.value for task in failed)
        done = [task.operation.value for task in job.tasks if task.status is TaskStatus.COMPLETED]
        kept = f"; {' and '.join(done)} completed and kept" if done else ""
        message = f"{message} ({names} failed{kept})"
    return {"code": failed[0].error_code, "message": message, "tasks": [task.operation.value for task in failed]}


def _webhook(job: Job) -> dict[str, object] | None:
    hook = job.webhook
    if hook is None:
        return None
    return {
        "url": hook.url,
        "status": hook.status,
        "attempts": hook.attempts,
        "last_status_code": hook.last_status_code,
        "last_attempt_at": hook.last_attempt_at,
    }


def job_resource(job: Job) -> dict[str, object]:
    base = f"/api/jobs/{job.id}"
    gray = job.task(Operation.GRAYSCALE)
    result = None
    if gray is not None and gray.status is TaskStatus.COMPLETED and gray.result is not None:
        result = {
            "size": gray.result.size,
            "width": gray.result.width,
            "height": gray.result.height,
            "content_type": gray.result.content_type,
        }
    return {
        "id": job.id,
        "status": job.status.value,
        "created_at": job.created_at,
        "updated_at": job.updated_at,
        "started_at": job.started_at,
        "completed_at": job.completed_at,
        "attempts": job.attempts,
        "original": {
            "name": job.original_name,
            "size": job.original.size,
            "content_type": job.original.content_type,
            "width": job.original.width,
            "height": job.original.height,
        },
        "result": result,
        "error": _job_error(job),
        "tasks": [task_resource(job, task) for task in job.tasks],
        "webhook": _webhook(job),
        "links": {"self": base, "original": f"{base}/original", "result": f"{base}/result"},
    }


def resource_etag(value: object) -> str:
    """A strong ETag of a JSON value: the same representation gives the same tag."""
    digest = hashlib.sha256(json.dumps(value, sort_keys=True).encode()).hexdigest()
    return f'"{digest[:32]}"'
