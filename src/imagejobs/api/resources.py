"""The job resource of API.md ("The job resource") and its ETag."""

import hashlib
import json

from ..jobs.model import Job
from ..jobs.states import JobStatus


def job_resource(job: Job) -> dict[str, object]:
    base = f"/api/jobs/{job.id}"
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
        "result": (
            {
                "size": job.result.size,
                "width": job.result.width,
                "height": job.result.height,
                "content_type": job.result.content_type,
            }
            if job.status is JobStatus.COMPLETED and job.result
            else None
        ),
        "error": ({"code": job.error_code, "message": job.error_message} if job.status is JobStatus.FAILED else None),
        "links": {"self": base, "original": f"{base}/original", "result": f"{base}/result"},
    }


def resource_etag(value: object) -> str:
    """A strong ETag of a JSON value: the same representation gives the same tag."""
    digest = hashlib.sha256(json.dumps(value, sort_keys=True).encode()).hexdigest()
    return f'"{digest[:32]}"'
