"""Fixtures shared by the end-to-end (tests/e2e) and page (tests/web) suites: black-box HTTP
against the running Worker.

By default one offline runtime (offline-runtime/cli.mjs) is started for the session on a free
port with its own empty state. Set WORKER_URL to run the same tests against another server,
e.g. `wrangler dev` or a deployment in dev mode (start it with PROCESSING_DELAY_SECONDS=0.5).
"""

import contextlib
import os
import signal
import socket
import subprocess
import time
import uuid
from pathlib import Path

import httpx
import pytest

REPO = Path(__file__).resolve().parents[1]
PROCESSING_DELAY_SECONDS = "0.5"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_ready(url: str, process: subprocess.Popen | None, log: Path | None, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"offline runtime exited with {process.returncode}:\n{log.read_text()}")
        try:
            if httpx.get(f"{url}/api/health", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{url} was not ready within {timeout} s" + (f":\n{log.read_text()}" if log else ""))


@contextlib.contextmanager
def launch_runtime(folder: Path, variables: dict[str, str], extra_args: tuple[str, ...] = ()):
    """Start an offline runtime with its own state in `folder`; yields (url, log path)."""
    state, log = folder / "state", folder / "offline-runtime.log"
    port = _free_port()
    command = ["node", "offline-runtime/cli.mjs", "--port", str(port), "--persist-to", str(state), *extra_args]
    for name, value in variables.items():
        command += ["--var", f"{name}:{value}"]
    with log.open("wb") as out:
        # Its own process group (node and Miniflare's workerd), which a test may kill as a
        # whole to simulate a crash; whatever is left of it is killed at the end.
        process = subprocess.Popen(command, cwd=REPO, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_ready(url, process, log)
        yield url, log
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)


@pytest.fixture(scope="session")
def runtime(tmp_path_factory):
    """(base URL, runtime log path or None, state folder or None) of the shared server."""
    if os.environ.get("WORKER_URL"):
        url = os.environ["WORKER_URL"].rstrip("/")
        _wait_ready(url, None, None)
        yield url, None, None
        return
    folder = tmp_path_factory.mktemp("runtime")
    with launch_runtime(folder, {"PROCESSING_DELAY_SECONDS": PROCESSING_DELAY_SECONDS}) as (url, log):
        yield url, log, folder / "state"


@pytest.fixture(scope="session")
def base_url(runtime) -> str:
    return runtime[0]


@pytest.fixture(scope="session")
def runtime_log(runtime) -> Path | None:
    return runtime[1]


class UserClient:
    """An HTTP client that identifies as one dev-mode user."""

    def __init__(self, base_url: str, email: str):
        self.email = email
        self.http = httpx.Client(base_url=base_url, headers={"X-Dev-User": email}, timeout=60)

    def upload(self, data: bytes, name: str = "image.png", path: str = "/api/jobs", headers=None) -> httpx.Response:
        return self.http.post(path, files={"file": (name, data, "image/png")}, headers=headers or {})

    def job(self, job_id: str) -> dict:
        response = self.http.get(f"/api/jobs/{job_id}")
        assert response.status_code == 200, response.text
        return response.json()["job"]

    def wait_until_terminal(self, job_id: str, timeout: float = 60, interval: float = 0.05) -> tuple[dict, list[str]]:
        """Poll until the job is terminal; returns it and the distinct statuses seen, in order."""
        seen: list[str] = []
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            job = self.job(job_id)
            if not seen or seen[-1] != job["status"]:
                seen.append(job["status"])
            if job["status"] in ("completed", "failed", "cancelled"):
                return job, seen
            time.sleep(interval)
        raise AssertionError(f"job {job_id} still {seen[-1]} after {timeout} s (saw {seen})")


@pytest.fixture
def user(base_url) -> UserClient:
    """A fresh user for each test, so tests never see each other's jobs."""
    return UserClient(base_url, f"user-{uuid.uuid4().hex[:12]}@example.com")


@pytest.fixture
def other_user(base_url) -> UserClient:
    return UserClient(base_url, f"other-{uuid.uuid4().hex[:12]}@example.com")
