"""Why a job failed: the stable codes of a failed job's `error.code` (docs/API.md, "Error
codes"). The store, the consumer and the OpenAPI document all use this one enum. Imports nothing.
"""

from enum import StrEnum


class FailureCode(StrEnum):
    INVALID_IMAGE = "invalid_image"  # the image cannot be decoded; never retried
    PROCESSING_FAILED = "processing_failed"  # retries exhausted, or the job never finished
    PROCESSING_STALLED = "processing_stalled"  # its queue message kept getting lost, even re-sent
