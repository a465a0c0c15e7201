"""`make load`: N jobs from K concurrent clients and U users against an offline runtime of its own
(or WORKER_URL), with a progress line and a summary table. Exits non-zero when a job is lost
(accepted but not terminal in time, or missing from its user's list), duplicated (more jobs in a
user's list than were accepted for it), failed (every image is valid), or a sampled result is not
pixel-exact against Pillow's convert("L").

Usage: python loadtest/load.py [--jobs 500] [--clients 32] [--users 8] [--check-every 10]
"""

import argparse
import io
import itertools
import os
import sys
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

import httpx
from images import KINDS, TestImage, image_mix
from PIL import Image
from runtime import Json, MemorySample, Server, percentile, target

TERMINAL = {"completed", "failed", "cancelled"}
SUBMIT_ATTEMPTS = 4  # a submission that fails on the network is retried with its Idempotency-Key


@dataclass
class Submitted:
    index: int
    user: str
    image: TestImage
    job_id: str = ""  # empty until accepted
    latency: float = 0.0
    rejection: str | None = None


@dataclass
class Tally:
    """What the watcher last saw: each accepted job's state, and what each user's list held."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    submitted: list[Submitted] = field(default_factory=list)
    jobs: dict[str, Json] = field(default_factory=dict)  # job id -> the job as last listed
    listed: Counter[str] = field(default_factory=Counter)  # job id -> times it appeared in one listing
    extra: set[str] = field(default_factory=set)  # listed jobs that no submission accepted

    def accepted(self) -> list[Submitted]:
        with self.lock:
            return [s for s in self.submitted if s.job_id]

    def statuses(self) -> Counter[str]:
        with self.lock:
            return Counter(job["status"] for job in self.jobs.values())


def _submit_all(
    server: Server, images: list[TestImage], users: list[str], args: argparse.Namespace, tally: Tally, run_id: str
) -> list[threading.Thread]:
    counter = itertools.count()
    lock = threading.Lock()

    def client_loop() -> None:
        clients = {user: httpx.Client(base_url=server.url, headers={"X-Dev-User": user}, timeout=120) for user in users}
        try:
            while True:
                with lock:
                    index = next(counter)
                if index >= args.jobs:
                    return
                user = users[index % len(users)]
                submission = Submitted(index, user, images[index % len(images)])
                _submit(clients[user], submission, f"load-{run_id}-{index}")
                with tally.lock:
                    tally.submitted.append(submission)
        finally:
            for client in clients.values():
                client.close()

    threads = [threading.Thread(target=client_loop) for _ in range(args.clients)]
    for thread in threads:
        thread.start()
    return threads


def _submit(client: httpx.Client, submission: Submitted, key: str) -> None:
    image = submission.image
    for attempt in range(SUBMIT_ATTEMPTS):
        started = time.monotonic()
        try:
            response = client.post(
                "/api/jobs",
                files={"file": (f"{image.name}.png", image.data, "image/png")},
                headers={"Idempotency-Key": key},
            )
        except httpx.HTTPError as error:
            submission.rejection = f"{type(error).__name__}"
            time.sleep(0.5 * (attempt + 1))
            continue
        submission.latency = time.monotonic() - started
        if response.status_code in (200, 202):
            submission.job_id = response.json()["job"]["id"]
            submission.rejection = None
        elif response.status_code in (429, 503):
            submission.rejection = f"HTTP {response.status_code}"
            time.sleep(float(response.headers.get("retry-after", "1")))
            continue
        else:
            submission.rejection = f"HTTP {response.status_code} {response.text[:120]}"
        return


def _list_user(client: httpx.Client) -> list[Json]:
    jobs: list[Json] = []
    cursor = None
    while True:
        params = {"limit": "100", **({"cursor": cursor} if cursor else {})}
        page = client.get("/api/jobs", params=params)
        page.raise_for_status()
        body = page.json()
        jobs.extend(body["jobs"])
        cursor = body.get("next_cursor")
        if not cursor:
            return jobs


def _watch(server: Server, users: list[str], tally: Tally) -> None:
    """One pass over every user's list: record each job's state, duplicates and strangers."""
    accepted_ids = {s.job_id for s in tally.accepted()}
    seen: dict[str, Json] = {}
    listed: Counter[str] = Counter()
    for user in users:
        with httpx.Client(base_url=server.url, headers={"X-Dev-User": user}, timeout=120) as client:
            for job in _list_user(client):
                listed[job["id"]] += 1
                seen[job["id"]] = job
    with tally.lock:
        tally.jobs = {job_id: job for job_id, job in seen.items() if job_id in accepted_ids}
        tally.listed = listed
        tally.extra = set(seen) - accepted_ids


def _progress(tally: Tally, total: int, began: float) -> str:
    statuses = tally.statuses()
    done = statuses["completed"] + statuses["failed"] + statuses["cancelled"]
    elapsed = time.monotonic() - began
    return (
        f"\rsubmitted {len(tally.submitted)}/{total} · accepted {len(tally.accepted())} · "
        f"pending {statuses['pending']} · in progress {statuses['in_progress']} · "
        f"completed {statuses['completed']} · failed {statuses['failed']} · "
        f"{done / elapsed if elapsed else 0:.1f} jobs/s · {elapsed:.0f} s  "
    )


def _check_result(server: Server, submission: Submitted) -> str | None:
    """None when the result's gray channel equals Pillow's convert("L") of the upload."""
    with httpx.Client(base_url=server.url, headers={"X-Dev-User": submission.user}, timeout=120) as client:
        response = client.get(f"/api/jobs/{submission.job_id}/result")
    if response.status_code != 200:
        return f"result HTTP {response.status_code}"
    result = Image.open(io.BytesIO(response.content))
    if result.size != (submission.image.width, submission.image.height):
        return f"result is {result.size}, expected {(submission.image.width, submission.image.height)}"
    gray = result.getchannel(0).tobytes() if result.mode == "LA" else result.convert("L").tobytes()
    if gray != submission.image.expected_gray:
        return f"pixels differ from Pillow's convert('L') ({submission.image.name})"
    return None


def _seconds_between(start: str, end: str) -> float:
    def parse(text: str) -> datetime:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))

    return (parse(end) - parse(start)).total_seconds()


def _memory_after(samples: list[MemorySample], batches: int) -> MemorySample | None:
    """The first memory line logged once `batches` queue batches had run."""
    return next((m for m in samples if m.queue_batches >= batches), None)


def _describe(sample: MemorySample | None) -> str:
    if sample is None:
        return "n/a"
    return (
        f"Pyodide heap {sample.pyodide_heap_mib:.0f} MiB ({sample.in_use_mib:.1f} MiB in use), "
        f"RSS {sample.rss_mib:.0f} MiB, V8 heap {sample.v8_heap_mib:.0f} MiB "
        f"(after {sample.queue_batches} batches, {sample.requests} requests)"
    )


def _conversion_cost(records: list[Json]) -> str:
    """CPU time of the conversions per megapixel, from the Worker's job.converted log lines."""
    pixels = sum(int(r["pixels"]) for r in records)
    if not pixels:
        return "n/a (no runtime log)"
    work = sum(int(r["work_ms"]) for r in records)
    pauses = sum(int(r["pauses"]) for r in records)
    return f"{work / (pixels / 1e6):.0f} ms per megapixel over {len(records)} conversions; {pauses} pauses"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--jobs", type=int, default=500)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--users", type=int, default=8)
    parser.add_argument("--images", type=int, default=36, help="distinct images in the mix")
    parser.add_argument("--max-side", type=int, default=1024)
    parser.add_argument("--check-every", type=int, default=10, help="verify every n-th completed result")
    parser.add_argument("--timeout", type=float, default=900, help="seconds for every job to become terminal")
    args = parser.parse_args()

    images = image_mix(args.images, max_side=args.max_side)
    run_id = uuid.uuid4().hex[:8]
    users = [f"load-{run_id}-{u}@example.com" for u in range(args.users)]
    tally = Tally()
    with target() as server:
        began = time.monotonic()
        threads = _submit_all(server, images, users, args, tally, run_id)
        deadline = began + args.timeout
        while True:
            submitting = any(thread.is_alive() for thread in threads)
            _watch(server, users, tally)
            print(_progress(tally, args.jobs, began), end="", file=sys.stderr, flush=True)
            pending = [s for s in tally.accepted() if tally.jobs.get(s.job_id, {}).get("status") not in TERMINAL]
            if not submitting and not pending:
                break
            if time.monotonic() > deadline:
                break
            time.sleep(1.0)
        finished = time.monotonic()
        print(file=sys.stderr)
        for thread in threads:
            thread.join()
        _watch(server, users, tally)

        accepted = tally.accepted()
        rejected = [s for s in tally.submitted if not s.job_id]
        jobs = tally.jobs
        statuses = Counter(jobs[s.job_id]["status"] for s in accepted if s.job_id in jobs)
        lost = [s for s in accepted if jobs.get(s.job_id, {}).get("status") not in TERMINAL]
        duplicated = sum(n - 1 for n in tally.listed.values() if n > 1) + len(tally.extra)
        completed = [s for s in accepted if jobs[s.job_id]["status"] == "completed"]
        checked = completed[:: max(1, args.check_every)]
        wrong = [(s, problem) for s in checked if (problem := _check_result(server, s))]
        memory = server.memory()
        converted = server.events("job.converted")

    latencies = [s.latency for s in accepted]
    end_to_end = [
        _seconds_between(jobs[s.job_id]["created_at"], jobs[s.job_id]["completed_at"])
        for s in accepted
        if s.job_id in jobs and jobs[s.job_id].get("completed_at")
    ]
    wall = finished - began
    megapixels = sum(s.image.width * s.image.height for s in completed) / 1e6
    rows = [
        ("jobs", f"{args.jobs} from {args.clients} clients as {args.users} users"),
        (
            "machine",
            f"{os.cpu_count()} cores, load average at the end {', '.join(f'{v:.1f}' for v in os.getloadavg())}",
        ),
        ("images", f"{len(images)} distinct: {', '.join(KINDS)}; sides 16-{args.max_side} px"),
        ("accepted / rejected", f"{len(accepted)} / {len(rejected)}"),
        ("completed / failed / cancelled", f"{statuses['completed']} / {statuses['failed']} / {statuses['cancelled']}"),
        ("lost / duplicated", f"{len(lost)} / {duplicated}"),
        ("results checked", f"{len(checked) - len(wrong)}/{len(checked)} pixel-exact (every {args.check_every}th)"),
        (
            "submit latency",
            f"p50 {percentile(latencies, 0.5) * 1000:.0f} ms · p95 {percentile(latencies, 0.95) * 1000:.0f} ms · "
            f"p99 {percentile(latencies, 0.99) * 1000:.0f} ms",
        ),
        ("throughput", f"{len(completed) / wall:.2f} jobs/s · {megapixels / wall:.2f} MP/s"),
        ("end to end (all jobs)", f"{wall:.1f} s from the first submission to the last terminal job"),
        (
            "per job, created → completed",
            f"p50 {percentile(end_to_end, 0.5):.1f} s · p95 {percentile(end_to_end, 0.95):.1f} s · "
            f"max {percentile(end_to_end, 1.0):.1f} s",
        ),
        ("conversion (Pyodide)", _conversion_cost(converted)),
        ("runtime memory, first", _describe(memory[0] if memory else None)),
        ("  after 10 jobs", _describe(_memory_after(memory, 10))),
        ("  last logged", _describe(memory[-1] if memory else None)),
    ]
    width = max(len(name) for name, _ in rows)
    print()
    for name, value in rows:
        print(f"{name:<{width}}  {value}")
    if memory:
        print("\nruntime memory as logged (Pyodide heap / in use / RSS / V8 heap, MiB):")
        for sample in memory:
            print(
                f"  after {sample.queue_batches:>5} batches, {sample.requests:>5} requests: "
                f"{sample.pyodide_heap_mib:6.1f} / {sample.in_use_mib:5.1f} / "
                f"{sample.rss_mib:6.1f} / {sample.v8_heap_mib:6.1f}"
            )
    for submission in rejected[:5]:
        print(f"rejected #{submission.index}: {submission.rejection}")
    for submission in lost[:5]:
        print(f"lost: {submission.job_id} ({jobs.get(submission.job_id, {}).get('status', 'not listed')})")
    for submission, problem in wrong[:5]:
        print(f"wrong result {submission.job_id}: {problem}")
    failed_jobs = [s for s in accepted if jobs.get(s.job_id, {}).get("status") == "failed"]
    for submission in failed_jobs[:5]:
        print(f"failed {submission.job_id} ({submission.image.name}): {jobs[submission.job_id].get('error')}")
    ok = not (lost or duplicated or wrong or rejected or failed_jobs)
    print("OK" if ok else "FAILED: see above")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
