"""The operations a job can run on its upload, one task each (spec: API.md, "Tasks"): the registry
that names them, says where each stores its result and as what, and starts each one's bounded-work
steps on an original (grayscale.Conversion, imageops.Thumbnail, imageops.Metadata); and the parser
of the upload's `operations` form field. Imports the pure cores, nothing platform.
"""

import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol, cast

import grayscale
import imageops

from ..config import Settings
from ..errors import BadRequest


class Operation(StrEnum):
    """Every operation name the API knows, in the order a job's tasks are listed."""

    GRAYSCALE = "grayscale"
    THUMBNAIL = "thumbnail"
    METADATA = "metadata"


class Work(Protocol):
    """An operation under way: step() does a bounded amount of work and returns True once done
    (raising the core's InvalidImage for a corrupt input); result() is then its output."""

    def step(self) -> bool: ...

    def result(self) -> bytes: ...


@dataclass(frozen=True, slots=True)
class OperationSpec:
    operation: Operation
    content_type: str
    # The R2 key of a job's result: deterministic, so that a redelivered task overwrites the same
    # object with the same bytes; a distinct prefix per operation (a fault can target one).
    key_prefix: str
    extension: str
    start: Callable[[bytes | memoryview, Settings], Work]  # begins the work on an original

    def result_key(self, job_id: str) -> str:
        return f"{self.key_prefix}/{job_id}.{self.extension}"

    def file_name(self, original_name: str) -> str:
        """The download's file name: `cat.png` → `cat-thumbnail.png`."""
        stem = original_name[:-4] if original_name.lower().endswith(".png") else original_name
        return f"{stem}-{self.operation.value}.{self.extension}"

    @property
    def is_image(self) -> bool:
        return self.content_type == "image/png"


# The cores read any bytes-like input; R2 hands a memoryview, which is not copied again.


def _grayscale(data: bytes | memoryview, settings: Settings) -> Work:
    return grayscale.Conversion(cast(bytes, data), max_pixels=settings.max_pixels)


def _thumbnail(data: bytes | memoryview, settings: Settings) -> Work:
    return imageops.Thumbnail(cast(bytes, data), max_side=settings.thumbnail_max_side, max_pixels=settings.max_pixels)


class _MetadataJson:
    """imageops.Metadata, its report written as compact UTF-8 JSON."""

    def __init__(self, data: bytes | memoryview, settings: Settings) -> None:
        self._work = imageops.Metadata(cast(bytes, data), max_pixels=settings.max_pixels)

    def step(self) -> bool:
        return self._work.step()

    def result(self) -> bytes:
        return json.dumps(self._work.result(), ensure_ascii=False, separators=(",", ":")).encode()


# The registry: every Operation (the tasks table's CHECK lists them; a test checks both agree).
OPERATIONS: Mapping[Operation, OperationSpec] = {
    spec.operation: spec
    for spec in (
        # `results/` is where grayscale results have always been stored (jobs before fan-out).
        OperationSpec(Operation.GRAYSCALE, "image/png", "results", "png", _grayscale),
        OperationSpec(Operation.THUMBNAIL, "image/png", "thumbnails", "png", _thumbnail),
        OperationSpec(Operation.METADATA, "application/json", "metadata", "json", _MetadataJson),
    )
}


def result_keys(tasks: Iterable[Mapping[str, object]]) -> list[str]:
    """The keys a result of each task (a row with `job_id` and `operation`) may be stored under."""
    keys = []
    for task in tasks:
        spec = OPERATIONS.get(Operation(str(task["operation"])))
        if spec is not None:
            keys.append(spec.result_key(str(task["job_id"])))
    return keys


def send_order(operations: Iterable[Operation]) -> list[Operation]:
    """The order in which a job's task messages are sent: the thumbnail first (it is quick, and
    clients preview from it), then the others in registry order. Delivery promises no order, but
    a queue that is not backed up delivers roughly in this one."""
    return sorted(
        operations, key=lambda operation: (operation is not Operation.THUMBNAIL, list(Operation).index(operation))
    )


DEFAULT_OPERATIONS = (Operation.GRAYSCALE,)
# The form field's bound: far more than every name once, comma-separated, with spaces.
MAX_OPERATIONS_CHARS = 256


def spec_of(operation: Operation) -> OperationSpec:
    """The registry's entry; raises KeyError for an operation this Worker cannot run."""
    return OPERATIONS[operation]


def operation_named(name: str, registry: Iterable[Operation] = OPERATIONS) -> Operation | None:
    """The operation called `name` (exactly), or None if there is none that this Worker runs."""
    for operation in registry:
        if operation.value == name:
            return operation
    return None


def parse_operations(raw: str | None, registry: Iterable[Operation] = OPERATIONS) -> tuple[Operation, ...]:
    """The operations of the `operations` form field: comma-separated names (spaces around a
    name ignored, duplicates ignored), in registry order; DEFAULT_OPERATIONS when absent.
    Raises BadRequest for a value over MAX_OPERATIONS_CHARS, an unknown name or no name."""
    if raw is None:
        return DEFAULT_OPERATIONS
    known = tuple(o for o in Operation if o in tuple(registry))
    allowed = ", ".join(o.value for o in known)
    if len(raw) > MAX_OPERATIONS_CHARS:
        raise BadRequest(f"operations is longer than {MAX_OPERATIONS_CHARS} characters; allowed: {allowed}")
    chosen: set[Operation] = set()
    for part in raw.split(","):
        name = part.strip()
        if not name:
            continue
        operation = operation_named(name, known)
        if operation is None:
            raise BadRequest(f"unknown operation {name[:40]!r} in operations; allowed: {allowed}")
        chosen.add(operation)
    if not chosen:
        raise BadRequest(f"operations names no operation; allowed: {allowed}")
    return tuple(o for o in known if o in chosen)
