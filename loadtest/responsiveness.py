"""`make responsiveness`: does the API stay responsive while a 40 MP image converts in the same
isolate? For each setting of CONVERSION_SLICE_MS (default: 0 = never yield, and 30 ms) it
starts an offline runtime (all at once), converts the image undisturbed in rounds that take
turns between the settings (the conversion's own time, wall and CPU), then once while two clients
probe `GET /api/health` and `GET /api/jobs/{id}` back to back, and prints the settings side by
side. Targets (issue 10): p95 <= 100 ms for both while converting (the exit status); the
conversion's own time grows <= 5 % (printed).

Usage: python loadtest/responsiveness.py [--width 8000 --height 5000] [--slices 0,30] [--repeat 3]
"""

import argparse
import contextlib
import os
import statistics
import sys
import threading
import time
import uuid
from dataclasses import dataclass, field

import httpx
from images import TestImage, large_photo
from runtime import Json, Server, offline_runtime, percentile

TERMINAL = {"completed", "failed", "cancelled"}


@dataclass
class Probe:
    path: str
    samples: list[tuple[float, float]] = field(default_factory=list)  # (sent at, latency s)
    errors: list[str] = field(default_factory=list)


@dataclass
class ModeResult:
    slice_ms: int
    quiet: list[Json]  # the undisturbed conversions' job.converted log records, one per round
    probed: Json
    health: list[float]
    job: list[float]
    errors: list[str]
    heap_mib: float  # the runtime's Pyodide heap at its largest (wasm memory never shrinks)


def _client(server: Server, user: str) -> httpx.Client:
    return httpx.Client(base_url=server.url, headers={"X-Dev-User": user}, timeout=300)


def _submit(client: httpx.Client, image: TestImage) -> str:
    response = client.post("/api/jobs", files={"file": (f"{image.name}.png", image.data, "image/png")})
    response.raise_for_status()
    return str(response.json()["job"]["id"])


def _wait_terminal(client: httpx.Client, job_id: str, interval: float) -> Json:
    while True:
        try:
            job: Json = client.get(f"/api/jobs/{job_id}").json()["job"]
        except httpx.TransportError:
            # A kept-alive connection reset: the offline runtime's Node server drops idle sockets
            # when its event loop was blocked past their keep-alive timeout (never yielding).
            time.sleep(interval)
            continue
        if job["status"] in TERMINAL:
            return job
        time.sleep(interval)


def _converted(server: Server, job_id: str) -> Json:
    for _ in range(50):  # the log line may trail the job's completion by a moment
        records = [r for r in server.events("job.converted") if r.get("job_id") == job_id]
        if records:
            return records[-1]
        time.sleep(0.1)
    raise RuntimeError(f"no job.converted log line for {job_id}")


class LogWatch(threading.Thread):
    """Notes the moment (time.monotonic) a text appears in the runtime's log after `offset`, and
    the runtime's CPU time then, polling every 2 ms: the Worker's log lines carry no time."""

    def __init__(self, server: Server, offset: int, text: str, timeout: float = 600) -> None:
        super().__init__(daemon=True)
        assert server.log is not None
        self.server, self.offset, self.text, self.timeout = server, offset, text.encode(), timeout
        self.seen_at: float | None = None
        self.cpu_at = 0.0

    def run(self) -> None:
        assert self.server.log is not None
        deadline = time.monotonic() + self.timeout
        with self.server.log.open("rb") as log:
            log.seek(self.offset)
            seen = b""
            while time.monotonic() < deadline:
                seen += log.read()
                if self.text in seen:
                    self.seen_at = time.monotonic()
                    self.cpu_at = self.server.cpu_seconds()
                    return
                time.sleep(0.002)


def _probe_loop(server: Server, user: str, probe: Probe, stop: threading.Event, interval: float) -> None:
    with _client(server, user) as client:  # one kept-alive connection, as a polling page has
        while not stop.is_set():
            sent = time.monotonic()
            try:
                response = client.get(probe.path)
                latency = time.monotonic() - sent
                if response.status_code != 200:
                    probe.errors.append(f"{probe.path}: HTTP {response.status_code}")
                else:
                    probe.samples.append((sent, latency))
                    if probe.path.startswith("/api/jobs/") and response.json()["job"]["status"] in TERMINAL:
                        stop.set()
            except httpx.HTTPError as error:
                probe.errors.append(f"{probe.path}: {type(error).__name__}: {error}")
            stop.wait(interval)


def _convert_once(server: Server, client: httpx.Client, image: TestImage) -> Json:
    """Convert `image` with nothing else going on (no polling either: the end of the conversion is
    read from the log); its job.converted log record, plus `cpu_ms`: the runtime's CPU time from
    the job's start to the end of the conversion."""
    assert server.log is not None
    offset = server.log.stat().st_size
    job_id = _submit(client, image)
    started = LogWatch(server, offset, f'"event":"job.started","job_id":"{job_id}"')
    converted = LogWatch(server, offset, f'"event":"job.converted","job_id":"{job_id}"')
    started.run()
    converted.run()
    _wait_terminal(client, job_id, 0.1)
    return {**_converted(server, job_id), "cpu_ms": round((converted.cpu_at - started.cpu_at) * 1000)}


def _convert_probed(server: Server, user: str, image: TestImage, interval: float) -> tuple[Json, list[Probe]]:
    """Convert `image` while two clients probe the API; the job.converted record and the probes,
    keeping only the requests in flight at some moment of the conversion."""
    stop = threading.Event()
    probes = [Probe("/api/health"), Probe("/api/jobs/")]
    threads = [threading.Thread(target=_probe_loop, args=(server, user, p, stop, interval)) for p in probes]
    assert server.log is not None
    log_offset = server.log.stat().st_size
    with _client(server, user) as client:
        job_id = _submit(client, image)
        # The conversion ends when its job.converted line is logged; it began elapsed_ms before.
        watch = LogWatch(server, log_offset, f'"event":"job.converted","job_id":"{job_id}"')
        watch.start()
        probes[1].path = f"/api/jobs/{job_id}"
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        job = _wait_terminal(client, job_id, 0.1)
        watch.join()
    if job["status"] != "completed" or watch.seen_at is None:
        raise RuntimeError(f"the probed conversion ended {job['status']}: {job.get('error')}")
    converted = _converted(server, job_id)
    ended = watch.seen_at
    started = ended - converted["elapsed_ms"] / 1000
    for probe in probes:  # the requests in flight at some moment of the conversion
        probe.samples = [
            (sent, latency) for sent, latency in probe.samples if sent <= ended and sent + latency >= started
        ]
    return converted, probes


def compare(settings: list[int], image: TestImage, repeat: int, interval: float) -> list[ModeResult]:
    """One runtime per setting, all alive at once so that their undisturbed conversions can take
    turns (A B A B …: load from elsewhere on the machine falls on all of them alike)."""
    user = f"responsiveness-{uuid.uuid4().hex[:8]}@example.com"
    with contextlib.ExitStack() as stack:
        servers = [stack.enter_context(offline_runtime({"CONVERSION_SLICE_MS": str(n)})) for n in settings]
        clients = [stack.enter_context(_client(server, user)) for server in servers]
        for n, server, client in zip(settings, servers, clients, strict=True):
            print(f"  [slice {n} ms] warming up (a first conversion)", file=sys.stderr, flush=True)
            _convert_once(server, client, image)
        quiet: list[list[Json]] = [[] for _ in settings]
        for round_ in range(repeat):
            for i, (n, server, client) in enumerate(zip(settings, servers, clients, strict=True)):
                print(f"  [slice {n} ms] undisturbed {round_ + 1}/{repeat}", file=sys.stderr, flush=True)
                quiet[i].append(_convert_once(server, client, image))
        results = []
        for i, (n, server) in enumerate(zip(settings, servers, strict=True)):
            print(f"  [slice {n} ms] converting while probing", file=sys.stderr, flush=True)
            probed, (health, job) = _convert_probed(server, user, image, interval)
            results.append(
                ModeResult(
                    n,
                    quiet[i],
                    probed,
                    [latency for _, latency in health.samples],
                    [latency for _, latency in job.samples],
                    health.errors + job.errors,
                    max((m.pyodide_heap_mib for m in server.memory()), default=0.0),
                )
            )
        return results


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.0f}"


def _median(values: list[float]) -> float:
    return statistics.median(values) if values else 0.0


def report(image: TestImage, results: list[ModeResult]) -> bool:
    """The side-by-side table (medians over the rounds). The conversion's growth is the median over
    rounds of its cost over the first setting's in the same round (the rounds take turns, so load
    from elsewhere falls on both alike), in CPU time of the runtime's process: on a shared machine
    wall time also counts the moments the process waits for a core, and on Workers CPU time is
    what an invocation is limited and billed by. Wall time is shown too."""
    megapixels = image.width * image.height / 1e6
    labels = ["never yield" if r.slice_ms == 0 else f"yield every ~{r.slice_ms} ms" for r in results]
    base = results[0].quiet

    def growth(r: ModeResult, measure: str = "cpu_ms") -> float:
        return _median([mine[measure] / theirs[measure] - 1 for mine, theirs in zip(r.quiet, base, strict=True)])

    def in_pauses(r: ModeResult) -> float:
        return _median([(q["elapsed_ms"] - q["work_ms"]) / q["work_ms"] for q in r.quiet])

    rows: list[tuple[str, list[str]]] = [
        (
            "conversion, undisturbed: wall ms",
            [f"{_median([q['elapsed_ms'] for q in r.quiet]):.0f}" for r in results],
        ),
        ("  vs first column", [f"{growth(r, 'elapsed_ms') * 100:+.1f} %" for r in results]),
        ("runtime CPU ms, job start to end", [f"{_median([q['cpu_ms'] for q in r.quiet]):.0f}" for r in results]),
        ("  vs first column", [f"{growth(r) * 100:+.1f} %" for r in results]),
        ("  time in pauses (of the work)", [f"{in_pauses(r) * 100:.1f} %" for r in results]),
        (
            "  CPU ms per megapixel (median)",
            [f"{_median([q['work_ms'] for q in r.quiet]) / megapixels:.0f}" for r in results],
        ),
        ("  steps / pauses", [f"{r.quiet[0]['steps']} / {r.quiet[0]['pauses']}" for r in results]),
        ("  longest step (ms)", [f"{max(q['longest_step_ms'] for q in r.quiet):.0f}" for r in results]),
        ("conversion, probed (ms)", [str(r.probed["elapsed_ms"]) for r in results]),
        ("  of which waiting for requests (ms)", [str(r.probed.get("waited_ms", 0)) for r in results]),
    ]
    for name, pick in (("GET /api/health", "health"), ("GET /api/jobs/{id}", "job")):
        rows.append((f"{name} requests", [str(len(getattr(r, pick))) for r in results]))
        for label, fraction in (("p50", 0.5), ("p95", 0.95), ("max", 1.0)):
            rows.append((f"  {label} (ms)", [_ms(percentile(getattr(r, pick), fraction)) for r in results]))
    rows.append(("request errors", [str(len(r.errors)) for r in results]))
    rows.append(("Pyodide heap, largest (MiB)", [f"{r.heap_mib:.0f}" for r in results]))

    load = ", ".join(f"{v:.1f}" for v in os.getloadavg())
    print(
        f"\n{image.name}: {megapixels:.0f} MP, {len(image.data) / 2**20:.1f} MiB, offline runtime (Pyodide on Node); "
        f"{os.cpu_count()} cores, load average now {load}"
    )
    width = max(len(name) for name, _ in rows)
    print(f"{'':{width}}  " + "  ".join(f"{label:>24}" for label in labels))
    for name, values in rows:
        print(f"{name:{width}}  " + "  ".join(f"{value:>24}" for value in values))
    for r in results:
        for error in r.errors[:5]:
            print(f"  error (slice {r.slice_ms} ms): {error}")

    # The exit status follows the latency target (robust: tens of ms against seconds); the
    # conversion's growth is printed for judgement, as a 2-core shared machine's run-to-run noise
    # (about 10 %, compare two identical settings) is larger than the 5 % target.
    ok = True
    for r in results[1:] if results[0].slice_ms == 0 else []:
        p95s = percentile(r.health, 0.95), percentile(r.job, 0.95)
        responsive = max(p95s) <= 0.100 and not r.errors
        ok &= responsive
        print(
            f"slices of {r.slice_ms} ms: p95 health {_ms(p95s[0])} ms, jobs {_ms(p95s[1])} ms (target <= 100): "
            f"{'met' if responsive else 'NOT met'}; conversion {growth(r, 'elapsed_ms') * 100:+.1f} % wall, "
            f"{growth(r) * 100:+.1f} % CPU (target <= 5 %)"
        )
    return ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--width", type=int, default=8000)
    parser.add_argument("--height", type=int, default=5000)
    parser.add_argument("--slices", default="0,30", help="CONVERSION_SLICE_MS settings to compare (ms, 0: never)")
    parser.add_argument("--repeat", type=int, default=3, help="rounds of undisturbed conversions per setting")
    parser.add_argument("--probe-interval", type=float, default=0.02, help="pause between a client's probes (s)")
    args = parser.parse_args()
    image = large_photo(args.width, args.height)
    settings = [int(v) for v in args.slices.split(",")]
    results = compare(settings, image, args.repeat, args.probe_interval)
    return 0 if report(image, results) else 1


if __name__ == "__main__":
    sys.exit(main())
