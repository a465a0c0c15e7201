"""Read-only views of the offline runtime's persisted D1 and R2 state (Miniflare's SQLite
files), to prove what an operation stored — or that it stored nothing."""

import sqlite3
from pathlib import Path


class LocalState:
    def __init__(self, folder: Path):
        self.folder = folder

    def _query(self, pattern: str, sql: str, row_factory=None) -> list:
        rows = []
        for file in sorted(self.folder.glob(pattern)):
            if file.name == "metadata.sqlite":
                continue
            connection = sqlite3.connect(f"file:{file}?mode=ro", uri=True)
            connection.row_factory = row_factory
            try:
                rows += connection.execute(sql).fetchall()
            except sqlite3.OperationalError:
                pass  # another object's database, without this table
            finally:
                connection.close()
        return rows

    def r2_keys(self) -> set[str]:
        return {key for (key,) in self._query("r2/miniflare-R2BucketObject/*.sqlite", "SELECT key FROM _mf_objects")}

    def jobs(self) -> list[dict]:
        """Every job row, as stored (columns the API does not show included: redrives …)."""
        rows = self._query("d1/miniflare-D1DatabaseObject/*.sqlite", "SELECT * FROM jobs", sqlite3.Row)
        return [dict(row) for row in rows]

    def tasks(self) -> list[dict]:
        """Every task row, as stored (its outbox columns included: enqueued_at, redrives)."""
        rows = self._query("d1/miniflare-D1DatabaseObject/*.sqlite", "SELECT * FROM tasks", sqlite3.Row)
        return [dict(row) for row in rows]

    def job_ids(self, owner: str | None = None) -> set[str]:
        sql = "SELECT id, owner FROM jobs"
        rows = self._query("d1/miniflare-D1DatabaseObject/*.sqlite", sql)
        return {job_id for job_id, job_owner in rows if owner is None or job_owner == owner}

    def orphan_keys(self) -> set[str]:
        """R2 objects that belong to no job row."""
        jobs = self.job_ids()
        return {k for k in self.r2_keys() if k.split("/", 1)[-1].rsplit(".", 1)[0] not in jobs}
