"""The server the load tools drive: an offline runtime of their own (fresh state in a temporary
folder, log kept for its `memory:` lines and the Worker's JSON log lines), or WORKER_URL."""

import contextlib
import json
import math
import os
import re
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

REPO = Path(__file__).resolve().parents[1]
Json = dict[str, Any]
_MEMORY_LINE = re.compile(
    r"memory: (?P<requests>\d+) requests, (?P<batches>\d+) queue batches: Pyodide heap (?P<heap>[\d.]+) MiB, "
    r"in use (?P<in_use>[\d.]+) MiB, RSS (?P<rss>[\d.]+) MiB, V8 heap (?P<v8>[\d.]+) MiB"
)


@dataclass(frozen=True)
class MemorySample:
    requests: int
    queue_batches: int
    pyodide_heap_mib: float
    in_use_mib: float  # what Pyodide's malloc has handed out and not freed
    rss_mib: float
    v8_heap_mib: float


@dataclass
class Server:
    url: str
    log: Path | None  # None for WORKER_URL: no log, no memory figures
    pid: int | None = None  # the offline runtime's Node process

    def cpu_seconds(self) -> float:
        """CPU time the runtime's Node process has used so far (all its threads; Linux /proc).
        Unlike wall time it does not count the moments the process waits for a busy machine."""
        assert self.pid is not None
        fields = Path(f"/proc/{self.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime

    def memory(self) -> list[MemorySample]:
        """Every `memory:` line the offline runtime logged so far, oldest first."""
        if self.log is None:
            return []
        return [
            MemorySample(
                int(m["requests"]),
                int(m["batches"]),
                float(m["heap"]),
                float(m["in_use"]),
                float(m["rss"]),
                float(m["v8"]),
            )
            for m in _MEMORY_LINE.finditer(self.log.read_text(errors="replace"))
        ]

    def events(self, name: str) -> list[Json]:
        """The Worker's JSON log lines with this `event` name."""
        if self.log is None:
            return []
        found = []
        for line in self.log.read_text(errors="replace").splitlines():
            if line.startswith("{") and f'"{name}"' in line:
                with contextlib.suppress(ValueError):
                    record = json.loads(line)
                    if record.get("event") == name:
                        found.append(record)
        return found


LOAD_LIMIT = 1_000_000  # creations per minute and unfinished jobs per user during a load test


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_ready(url: str, process: subprocess.Popen[bytes] | None = None, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"the offline runtime exited with {process.returncode}")
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(f"{url}/api/health", timeout=2).status_code == 200:
                return
        time.sleep(0.2)
    raise RuntimeError(f"{url} was not ready within {timeout} s")


@contextlib.contextmanager
def offline_runtime(variables: dict[str, str] | None = None, keep_log: Path | None = None) -> Iterator[Server]:
    """Start `node offline-runtime/cli.mjs` on a free port with empty state; stop it afterwards."""
    with tempfile.TemporaryDirectory(prefix="loadtest-") as folder:
        log = keep_log or Path(folder) / "offline-runtime.log"
        port = _free_port()
        command = ["node", "offline-runtime/cli.mjs", "--port", str(port), "--persist-to", f"{folder}/state", "--quiet"]
        # A load test bursts on purpose: its own throttling configuration, far above its job count,
        # so that it measures the pipeline rather than the per-user limits (make dev keeps those).
        command += ["--ratelimit", f"JOB_CREATION_LIMITER={LOAD_LIMIT}/60"]
        throttling = {"JOB_CREATION_PERIOD_SECONDS": "60", "MAX_ACTIVE_JOBS_PER_USER": str(LOAD_LIMIT)}
        variables = {**throttling, **(variables or {})}
        for name, value in variables.items():
            command += ["--var", f"{name}:{value}"]
        with log.open("wb") as out:
            process = subprocess.Popen(command, cwd=REPO, stdout=out, stderr=subprocess.STDOUT)
        url = f"http://127.0.0.1:{port}"
        try:
            wait_ready(url, process)
            yield Server(url, log, process.pid)
        finally:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


@contextlib.contextmanager
def target(variables: dict[str, str] | None = None) -> Iterator[Server]:
    """WORKER_URL when set (its variables are its own), else an offline runtime of our own."""
    url = os.environ.get("WORKER_URL", "").rstrip("/")
    if url:
        wait_ready(url)
        yield Server(url, None)
        return
    with offline_runtime(variables) as server:
        yield server


def percentile(values: list[float], fraction: float) -> float:
    """Nearest-rank percentile (0 for no values)."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = min(len(ordered), max(1, math.ceil(fraction * len(ordered))))
    return ordered[rank - 1]
