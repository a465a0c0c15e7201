"""A `Database` over stdlib sqlite3 with the project's migrations applied: the store's real
SQL runs on the engine D1 is built on, so guards and constraints are exercised for real (foreign
keys included: D1 enforces them)."""

import sqlite3
from pathlib import Path

from imagejobs.jobs.ports import DuplicateKey

REPO = Path(__file__).resolve().parents[3]
MIGRATIONS = sorted((REPO / "migrations").glob("*.sql"))


class SqliteDatabase:
    def __init__(self):
        self.connection = sqlite3.connect(":memory:", isolation_level=None)
        self.connection.row_factory = sqlite3.Row
        self.connection.execute("PRAGMA foreign_keys = ON")
        for migration in MIGRATIONS:
            self.connection.executescript(migration.read_text())
        self.batches = 0

    def _execute(self, sql, params):
        try:
            return self.connection.execute(sql, params)
        except sqlite3.IntegrityError as error:
            if "UNIQUE" in str(error):
                raise DuplicateKey(str(error)) from error
            raise

    async def run(self, sql, *params) -> int:
        return self._execute(sql, params).rowcount

    async def first(self, sql, *params):
        row = self._execute(sql, params).fetchone()
        return None if row is None else dict(row)

    async def all(self, sql, *params):
        return [dict(row) for row in self._execute(sql, params).fetchall()]

    async def batch(self, statements):
        """D1's batch: the statements in one transaction, all or none."""
        self.batches += 1
        self.connection.execute("BEGIN")
        try:
            results = [[dict(row) for row in self._execute(sql, params).fetchall()] for sql, params in statements]
        except BaseException:
            self.connection.execute("ROLLBACK")
            raise
        self.connection.execute("COMMIT")
        return results


class MemoryBlobStore:
    """A `BlobStore` in a dict (R2's contract: put overwrites, delete ignores missing keys)."""

    def __init__(self):
        self.objects: dict[str, tuple[bytes, str, dict]] = {}
        self.fail_puts = False

    async def put(self, key, data, *, content_type, metadata):
        if self.fail_puts:
            raise OSError("R2 is unavailable")
        self.objects[key] = (bytes(data), content_type, dict(metadata))
        return f'"{hash(bytes(data)) & 0xFFFFFFFF:08x}"'

    async def get(self, key):
        from imagejobs.jobs.ports import StoredBlob

        if key not in self.objects:
            return None
        data, content_type, _ = self.objects[key]
        return StoredBlob(data, f'"{hash(data) & 0xFFFFFFFF:08x}"', content_type)

    async def open(self, key):
        from imagejobs.jobs.ports import BlobDownload

        found = await self.get(key)
        return None if found is None else BlobDownload(found.data, len(found.data), found.etag)

    async def delete(self, *keys):
        for key in keys:
            self.objects.pop(key, None)


class MemoryQueue:
    """A `JobQueue` that keeps the message bodies it was sent."""

    def __init__(self):
        self.bodies: list[dict] = []
        self.fail = False

    async def send_tasks(self, tasks):
        if self.fail:
            raise OSError("queue is unavailable")
        self.bodies.extend(task.body() for task in tasks)

    @property
    def sent(self) -> list[str]:
        """The job id of each message sent, in order."""
        return [body["jobId"] for body in self.bodies]
