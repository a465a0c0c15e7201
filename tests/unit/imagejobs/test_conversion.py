"""The stepped conversion: pauses between bounded steps, output equal to the one-shot conversion,
errors unchanged; and the processor converting through it with the pause it was given."""

import asyncio

import pytest

import grayscale
from imagejobs.config import ConfigError, Settings
from imagejobs.jobs import conversion
from imagejobs.jobs.processing import ACK, JobProcessor
from imagejobs.jobs.states import JobStatus
from imagejobs.jobs.uploads import Upload, validate_upload

from .images import header_only_png, png


class Recorder:
    """A step iterator and a pause that write what happens, in order, to one journal."""

    def __init__(self, pieces):
        self.pieces = pieces
        self.journal = []

    def steps(self):
        for piece in self.pieces:
            self.journal.append(("step", piece))
            yield piece

    async def pause(self):
        self.journal.append(("pause",))


@pytest.mark.parametrize(
    ("every", "expected"),
    [
        (1, ["step", "pause", "step", "pause", "step", "pause", "step", "pause"]),
        (3, ["step", "step", "step", "pause", "step"]),
        (0, ["step", "step", "step", "step"]),
    ],
)
def test_pauses_come_after_every_nth_step(run, every, expected):
    recorder = Recorder([b"ab", b"", b"cde", b"f"])
    result = run(conversion.run_steps(recorder.steps(), recorder.pause, steps_per_pause=every))
    assert [entry[0] for entry in recorder.journal] == expected
    assert result.data == b"abcdef"
    assert (result.steps, result.pauses) == (4, expected.count("pause"))


def test_an_error_in_a_step_propagates_after_the_pauses_so_far(run):
    recorder = Recorder([b"x", b"y"])

    def failing():
        yield from recorder.steps()
        raise grayscale.InvalidImage("truncated", "the file ends early")

    with pytest.raises(grayscale.InvalidImage) as raised:
        run(conversion.run_steps(failing(), recorder.pause))
    assert raised.value.code == "truncated"
    assert [entry[0] for entry in recorder.journal] == ["step", "pause", "step", "pause"]


def test_work_time_counts_the_steps_and_elapsed_time_counts_the_pauses_too(run):
    now = [0.0]

    def steps():
        for cost in (0.010, 0.030, 0.020):
            now[0] += cost
            yield b"."

    async def slow_pause():
        now[0] += 0.100

    result = run(conversion.run_steps(steps(), slow_pause, clock=lambda: now[0]))
    assert result.work_seconds == pytest.approx(0.060)
    assert result.longest_step_seconds == pytest.approx(0.030)
    assert result.elapsed_seconds == pytest.approx(0.360)


def test_the_default_pause_lets_other_tasks_run_between_steps(run):
    ticks = []

    async def scenario():
        async def other_task():
            for _ in range(10):
                ticks.append("other")
                await asyncio.sleep(0)

        def steps():
            for _ in range(3):
                ticks.append("step")
                yield b"."

        task = asyncio.create_task(other_task())
        await conversion.run_steps(steps(), conversion.asyncio_turn)
        await task

    run(scenario())
    first_other = ticks.index("other")
    assert first_other < len(ticks) - 1 and "step" in ticks[first_other:]  # interleaved, not after


@pytest.mark.parametrize("mode", ["RGB", "RGBA", "L", "P"])
def test_grayscale_steps_join_to_the_one_shot_conversion(run, mode):
    data = png(300, 200, mode=mode)
    result = run(conversion.run_steps(conversion.grayscale_steps(data, max_pixels=10**6), conversion.asyncio_turn))
    assert result.data == grayscale.convert(data)
    assert result.steps >= 2  # at least the header and the end: there is somewhere to pause


def test_grayscale_steps_accept_the_memoryview_r2_returns(run):
    data = png(40, 30)
    steps = conversion.grayscale_steps(memoryview(data), max_pixels=10**6)
    assert run(conversion.run_steps(steps, conversion.asyncio_turn)).data == grayscale.convert(data)


def test_grayscale_steps_apply_the_pixel_limit(run):
    with pytest.raises(grayscale.InvalidImage) as raised:
        run(conversion.run_steps(conversion.grayscale_steps(png(40, 30), max_pixels=100), conversion.asyncio_turn))
    assert raised.value.code == "too_large"


def _submit(service, run, data):
    image = validate_upload(Upload("x.png", data), max_bytes=10**7, max_pixels=10**7)
    job, _ = run(service.submit("a@example.com", image))
    return job


def test_the_processor_converts_through_the_pause_it_was_given(service, store, blobs, run):
    pauses = []

    async def recording_pause():
        pauses.append(1)

    processor = JobProcessor(store, blobs, Settings(), pause=recording_pause)
    data = png(64, 48)
    job = _submit(service, run, data)
    assert run(processor.process({"jobId": job.id}, 1)) == ACK
    assert run(service.get("a@example.com", job.id)).status is JobStatus.COMPLETED
    assert blobs.objects[f"results/{job.id}.png"][0] == grayscale.convert(data)
    assert len(pauses) >= 2


def test_the_processor_never_pauses_when_told_not_to(service, store, blobs, run):
    pauses = []

    async def recording_pause():
        pauses.append(1)

    processor = JobProcessor(store, blobs, Settings(conversion_steps_per_pause=0), pause=recording_pause)
    job = _submit(service, run, png(64, 48))
    assert run(processor.process({"jobId": job.id}, 1)) == ACK
    assert run(service.get("a@example.com", job.id)).status is JobStatus.COMPLETED
    assert pauses == []


def test_a_corrupt_image_found_mid_conversion_still_fails_as_invalid(service, store, blobs, run):
    processor = JobProcessor(store, blobs, Settings(), pause=conversion.asyncio_turn)
    job = _submit(service, run, header_only_png(4, 4))
    assert run(processor.process({"jobId": job.id}, 1)) == ACK
    failed = run(service.get("a@example.com", job.id))
    assert failed.status is JobStatus.FAILED and failed.error_code == "invalid_image"


@pytest.mark.parametrize(("value", "expected"), [(None, 1), ("0", 0), ("4", 4)])
def test_steps_per_pause_comes_from_the_workers_variables(value, expected):
    settings = Settings.from_vars({"CONVERSION_STEPS_PER_PAUSE": value}.get)
    assert settings.conversion_steps_per_pause == expected


def test_a_negative_steps_per_pause_is_a_configuration_error():
    with pytest.raises(ConfigError):
        Settings.from_vars({"CONVERSION_STEPS_PER_PAUSE": "-1"}.get)


def test_conversions_sharing_a_slot_take_turns_instead_of_interleaving(service, store, blobs, run):
    first, second = _submit(service, run, png(300, 200)), _submit(service, run, png(200, 300))
    journal = []

    def converter(name):
        def convert(data, **limits):
            for piece in conversion.grayscale_steps(data, **limits):
                journal.append(name)
                yield piece

        return convert

    async def both():
        slot = asyncio.Lock()
        processors = [
            JobProcessor(store, blobs, Settings(), convert=converter(name), conversion_slot=slot) for name in "ab"
        ]
        await asyncio.gather(
            processors[0].process({"jobId": first.id}, 1), processors[1].process({"jobId": second.id}, 1)
        )

    run(both())
    assert journal == sorted(journal) and set(journal) == {"a", "b"}  # all of a's steps, then all of b's
    for job in (first, second):
        assert run(service.get("a@example.com", job.id)).status is JobStatus.COMPLETED


def test_output_in_one_piece_after_empty_steps_is_returned_without_a_copy(run):
    whole = bytes(range(256)) * 1000
    result = run(conversion.run_steps(iter([b"", b"", whole]), conversion.asyncio_turn))
    assert result.data is whole and result.steps == 3


class Turns:
    """A fake event loop: each turn advances a fake clock and may end the requests in flight."""

    def __init__(self, yielding, *, request_turns=0, seconds_per_turn=0.001):
        self.yielding, self.request_turns, self.seconds_per_turn = yielding, request_turns, seconds_per_turn
        self.count = 0
        self.now = 0.0

    async def next_turn(self):
        self.count += 1
        self.now += self.seconds_per_turn
        if self.count == self.request_turns:
            self.context.__exit__(None, None, None)

    def start_request(self):
        self.context = self.yielding.request()
        self.context.__enter__()


def _yielding(turns_kwargs=None, **kwargs):
    turns = Turns(None, **(turns_kwargs or {}))
    yielding = conversion.YieldToRequests(turns.next_turn, clock=lambda: turns.now, **kwargs)
    turns.yielding = yielding
    return yielding, turns


def test_with_no_request_in_flight_a_pause_is_one_turn(run):
    yielding, turns = _yielding()
    run(yielding.pause())
    assert turns.count == 1


def test_a_pause_waits_for_the_requests_in_flight(run):
    yielding, turns = _yielding({"request_turns": 4})
    turns.start_request()
    run(yielding.pause())
    assert turns.count == 4 and yielding.requests_in_flight == 0


def test_a_steady_stream_of_requests_delays_a_pause_by_at_most_max_wait(run):
    yielding, turns = _yielding({"seconds_per_turn": 0.01}, max_wait=0.1)
    turns.start_request()  # never ends
    run(yielding.pause())
    assert 10 <= turns.count <= 12 and yielding.requests_in_flight == 1


def test_a_request_that_fails_is_no_longer_in_flight():
    yielding, _ = _yielding()
    with pytest.raises(RuntimeError), yielding.request():
        assert yielding.requests_in_flight == 1
        raise RuntimeError("handler failed")
    assert yielding.requests_in_flight == 0


def test_a_request_that_arrived_during_the_steps_starts_before_the_conversion_goes_on(run):
    """On Node the request's first step is queued behind the conversion's wake-up from its timer:
    the pause's asyncio turn lets the request start, and the pause then waits for it to end."""
    order = []
    timers = []

    async def next_turn():
        timers.append(1)
        if len(timers) > 1:  # later turns let everything queued run; the first resumes us first
            await asyncio.sleep(0)

    yielding = conversion.YieldToRequests(next_turn)

    async def request():
        with yielding.request():
            order.append("request starts")
            await asyncio.sleep(0)
            await asyncio.sleep(0)
            order.append("request ends")

    async def scenario():
        task = asyncio.get_running_loop().create_task(request())  # arrived during the last steps
        await yielding.pause()
        order.append("conversion goes on")
        await task

    run(scenario())
    assert order == ["request starts", "request ends", "conversion goes on"]
