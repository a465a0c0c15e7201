"""Per-job platform operations, for the README's capacity model: the Worker's real API and consumer
code (CPython) runs one job's life — submission with an Idempotency-Key, processing, N status
polls, one download — over recording adapters; every D1 statement is then replayed, in order, on
real D1 (Miniflare's workerd, `loadtest/d1_costs.mjs`) for D1's own rows_read / rows_written.

Usage: python loadtest/costs.py [--polls 5]
"""

import argparse
import asyncio
import contextlib
import io
import json
import sqlite3
import subprocess
import sys
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))

from images import make_image  # noqa: E402

from imagejobs.api.app import handle_request  # noqa: E402
from imagejobs.api.http import HttpRequest  # noqa: E402
from imagejobs.config import Settings  # noqa: E402
from imagejobs.jobs import conversion  # noqa: E402
from imagejobs.jobs.ports import BlobDownload, DuplicateKey, StoredBlob  # noqa: E402
from imagejobs.jobs.processing import JobProcessor  # noqa: E402
from imagejobs.jobs.service import JobService  # noqa: E402
from imagejobs.jobs.store import JobStore  # noqa: E402
from imagejobs.jobs.uploads import Upload  # noqa: E402


class Journal:
    """Every operation, tagged with the phase of the job's life it belongs to."""

    def __init__(self) -> None:
        self.phase = "setup"
        self.sql: list[dict[str, Any]] = []
        self.operations: Counter[tuple[str, str]] = Counter()

    def count(self, operation: str) -> None:
        self.operations[(self.phase, operation)] += 1


class RecordingDatabase:
    """The store's `Database` on stdlib sqlite3 (D1 is SQLite), recording each statement."""

    def __init__(self, journal: Journal) -> None:
        self.journal = journal
        self.connection = sqlite3.connect(":memory:", isolation_level=None)
        self.connection.row_factory = sqlite3.Row
        for migration in sorted((REPO / "migrations").glob("*.sql")):
            self.connection.executescript(migration.read_text())

    def _execute(self, sql: str, params: tuple[Any, ...]) -> sqlite3.Cursor:
        self.journal.sql.append({"phase": self.journal.phase, "sql": sql, "params": list(params)})
        try:
            return self.connection.execute(sql, params)
        except sqlite3.IntegrityError as error:
            raise DuplicateKey(str(error)) from error

    async def run(self, sql: str, *params: Any) -> int:
        return self._execute(sql, params).rowcount

    async def first(self, sql: str, *params: Any) -> dict[str, Any] | None:
        row = self._execute(sql, params).fetchone()
        return None if row is None else dict(row)

    async def all(self, sql: str, *params: Any) -> list[dict[str, Any]]:
        return [dict(row) for row in self._execute(sql, params).fetchall()]


class RecordingBlobs:
    def __init__(self, journal: Journal) -> None:
        self.journal = journal
        self.objects: dict[str, bytes] = {}

    async def put(self, key: str, data: bytes, *, content_type: str, metadata: dict[str, str]) -> str:
        self.journal.count("R2 put (class A)")
        self.objects[key] = bytes(data)
        return '"etag"'

    async def get(self, key: str) -> StoredBlob | None:
        self.journal.count("R2 get (class B)")
        data = self.objects.get(key)
        return None if data is None else StoredBlob(data, '"etag"', "image/png")

    async def open(self, key: str) -> BlobDownload | None:
        self.journal.count("R2 get (class B)")
        data = self.objects.get(key)
        return None if data is None else BlobDownload(io.BytesIO(data), len(data), '"etag"')

    async def delete(self, *keys: str) -> None:
        self.journal.count("R2 delete (free)")
        for key in keys:
            self.objects.pop(key, None)


class RecordingQueue:
    def __init__(self, journal: Journal) -> None:
        self.journal = journal

    async def send_job(self, job_id: str) -> None:
        self.journal.count("queue message sent")


class FileBody:
    def __init__(self, upload: Upload) -> None:
        self.upload = upload

    async def read_file_field(self, name: str, max_bytes: int) -> Upload | None:
        return self.upload


async def one_job(journal: Journal, polls: int, idempotency_key: bool) -> None:
    settings = Settings(auth_mode="dev")
    store = JobStore(RecordingDatabase(journal))
    blobs = RecordingBlobs(journal)
    service = JobService(store, blobs, RecordingQueue(journal))
    user = {"x-dev-user": "capacity@example.com"}
    image = make_image("rgb", 640, 480, 1)

    journal.phase = "submit"
    upload = Upload("photo.png", image.data)
    headers = {**user, "content-type": "multipart/form-data; boundary=x"}
    if idempotency_key:
        headers["idempotency-key"] = "capacity-1"
    request = HttpRequest("POST", "/api/jobs", headers=headers, body=FileBody(upload))
    response = await handle_request(request, settings, service)
    assert response.status == 202 and isinstance(response.body, bytes), response.body
    job_id = json.loads(response.body)["job"]["id"]

    journal.phase = "process"
    journal.count("queue message delivered")
    processor = JobProcessor(store, blobs, settings, pause=conversion.asyncio_turn)
    await processor.process({"jobId": job_id}, 1)

    journal.phase = "one status poll"
    for _ in range(polls):
        response = await handle_request(HttpRequest("GET", f"/api/jobs/{job_id}", headers=user), settings, service)
        assert response.status == 200

    journal.phase = "download"
    response = await handle_request(HttpRequest("GET", f"/api/jobs/{job_id}/result", headers=user), settings, service)
    assert response.status == 200


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--polls", type=int, default=5, help="status polls to average over")
    parser.add_argument("--verbose", action="store_true", help="print every statement with its D1 rows")
    parser.add_argument("--no-key", action="store_true", help="submit without an Idempotency-Key")
    args = parser.parse_args()
    journal = Journal()
    with contextlib.redirect_stdout(io.StringIO()):  # the Worker's JSON log lines
        asyncio.run(one_job(journal, args.polls, not args.no_key))
    replay = subprocess.run(
        ["node", "loadtest/d1_costs.mjs"],
        cwd=REPO,
        input=json.dumps(journal.sql),
        capture_output=True,
        text=True,
        check=True,
    )
    metas = json.loads(replay.stdout)
    d1: dict[str, Counter[str]] = defaultdict(Counter)
    for statement, meta in zip(journal.sql, metas, strict=True):
        totals = d1[statement["phase"]]
        totals["queries"] += 1
        totals["rows read"] += meta["rows_read"]
        totals["rows written"] += meta["rows_written"]
        if args.verbose:
            sql = " ".join(statement["sql"].split())
            print(f"{statement['phase']:<16} read {meta['rows_read']:>2} written {meta['rows_written']:>2}  {sql[:90]}")
    phases = ["submit", "process", "one status poll", "download"]
    per = {"one status poll": args.polls}
    key = "without" if args.no_key else "with"
    print(f"Per job ({key} an Idempotency-Key), measured on the Worker's code; D1 rows from real D1 (workerd)\n")
    print(f"{'phase':<18}{'D1 queries':>11}{'rows read':>11}{'rows written':>14}   other operations")
    for phase in phases:
        n = per.get(phase, 1)
        totals = d1[phase]
        others = ", ".join(
            f"{count / n:g} {operation}" for (p, operation), count in sorted(journal.operations.items()) if p == phase
        )
        print(
            f"{phase:<18}{totals['queries'] / n:>11g}{totals['rows read'] / n:>11g}"
            f"{totals['rows written'] / n:>14g}   {others or '-'}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
