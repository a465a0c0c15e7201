"""The stepped conversion: pauses between slices of bounded steps (adapted to a target slice of
wall time), output equal to the one-shot conversion, errors unchanged; requests before
conversions; and the processor converting through it with the pause and the slot it was given."""

import asyncio
import dataclasses

import pytest

import grayscale
from imagejobs.config import ConfigError, Settings
from imagejobs.jobs import conversion
from imagejobs.jobs.operations import OPERATIONS, Operation
from imagejobs.jobs.processing import ACK, JobProcessor
from imagejobs.jobs.states import JobStatus
from imagejobs.jobs.uploads import Upload, validate_upload

from .images import header_only_png, png


class FakeTime:
    """A clock, steps that cost `step_seconds` each on it, and a pause that costs `turn_seconds`
    (and may report time spent waiting for requests), writing what happens to one journal."""

    def __init__(self, step_seconds=0.010, turn_seconds=0.001, waits=()):
        self.now = 0.0
        self.step_seconds, self.turn_seconds = step_seconds, turn_seconds
        self.waits = list(waits)
        self.journal = []

    def clock(self):
        return self.now

    def steps(self, count, piece=b"."):
        for _ in range(count):
            self.now += self.step_seconds
            self.journal.append("step")
            yield piece

    async def pause(self):
        waited = self.waits.pop(0) if self.waits else 0.0
        self.now += self.turn_seconds + waited
        self.journal.append("pause")
        return waited

    def slices(self):
        """Steps per slice, in order."""
        return [len(run) for run in "".join("s" if e == "step" else "|" for e in self.journal).split("|")]


def run_fake(run, fake, count, slice_seconds=0.030):
    return run(conversion.run_steps(fake.steps(count), fake.pause, slice_seconds=slice_seconds, clock=fake.clock))


def test_slices_adapt_to_the_target_wall_time(run):
    fake = FakeTime(step_seconds=0.010, turn_seconds=0.001)
    result = run_fake(run, fake, 20)
    # The first slice is FIRST_SLICE_STEPS long; then 30 ms / (10 ms a step) = 3 steps.
    assert fake.slices() == [4, 3, 3, 3, 3, 3, 1]
    assert result.data == b"." * 20 and (result.steps, result.pauses) == (20, 6)


def test_slices_grow_at_most_twofold_when_steps_are_cheap(run):
    fake = FakeTime(step_seconds=0.0005, turn_seconds=0.0)
    run_fake(run, fake, 200)
    assert fake.slices()[:4] == [4, 8, 16, 32]


def test_time_spent_waiting_for_requests_does_not_shrink_the_slices(run):
    fake = FakeTime(step_seconds=0.010, turn_seconds=0.0, waits=[0.0, 0.5, 0.0])
    result = run_fake(run, fake, 13)
    assert fake.slices() == [4, 3, 3, 3, 0]
    assert result.waited_seconds == pytest.approx(0.5)


def test_a_clock_that_does_not_move_keeps_the_first_slice_length(run):
    fake = FakeTime(step_seconds=0.0, turn_seconds=0.0)
    run_fake(run, fake, 12)
    assert fake.slices() == [4, 4, 4, 0]


def test_a_zero_slice_never_pauses(run):
    fake = FakeTime()
    result = run_fake(run, fake, 10, slice_seconds=0)
    assert "pause" not in fake.journal and result.pauses == 0 and result.steps == 10


def test_an_error_in_a_step_propagates_after_the_pauses_so_far(run):
    fake = FakeTime()

    def failing():
        yield from fake.steps(6)
        raise grayscale.InvalidImage("truncated", "the file ends early")

    with pytest.raises(grayscale.InvalidImage) as raised:
        run(conversion.run_steps(failing(), fake.pause, slice_seconds=0.030, clock=fake.clock))
    assert raised.value.code == "truncated"
    assert fake.slices() == [4, 2]


def test_work_time_counts_the_steps_and_elapsed_time_counts_the_pauses_too(run):
    fake = FakeTime(step_seconds=0.010, turn_seconds=0.100)
    result = run_fake(run, fake, 6)
    assert result.work_seconds == pytest.approx(0.060)
    assert result.longest_step_seconds == pytest.approx(0.010)
    assert result.elapsed_seconds == pytest.approx(0.060 + 0.100 * result.pauses)


def test_the_default_pause_lets_other_tasks_run_between_steps(run):
    ticks = []

    async def scenario():
        async def other_task():
            for _ in range(10):
                ticks.append("other")
                await asyncio.sleep(0)

        def steps():
            for _ in range(12):
                ticks.append("step")
                yield b"."

        task = asyncio.create_task(other_task())
        await conversion.run_steps(steps(), conversion.asyncio_turn, slice_seconds=1e-9)
        await task

    run(scenario())
    first_other = ticks.index("other")
    assert first_other < len(ticks) - 1 and "step" in ticks[first_other:]  # interleaved, not after


@pytest.mark.parametrize("mode", ["RGB", "RGBA", "L", "P"])
def test_grayscale_steps_join_to_the_one_shot_conversion(run, mode):
    data = png(300, 200, mode=mode)
    result = run(
        conversion.run_steps(
            conversion.grayscale_steps(data, max_pixels=10**6), conversion.asyncio_turn, slice_seconds=0.03
        )
    )
    assert result.data == grayscale.convert(data)
    assert result.steps >= 2  # at least the header and the end: there is somewhere to pause


def test_grayscale_steps_accept_the_memoryview_r2_returns(run):
    data = png(40, 30)
    steps = conversion.grayscale_steps(memoryview(data), max_pixels=10**6)
    assert run(conversion.run_steps(steps, conversion.asyncio_turn, slice_seconds=0.03)).data == grayscale.convert(data)


def test_grayscale_steps_apply_the_pixel_limit(run):
    with pytest.raises(grayscale.InvalidImage) as raised:
        steps = conversion.grayscale_steps(png(40, 30), max_pixels=100)
        run(conversion.run_steps(steps, conversion.asyncio_turn, slice_seconds=0.03))
    assert raised.value.code == "too_large"


def _submit(service, run, data):
    image = validate_upload(Upload("x.png", data), max_bytes=10**7, max_pixels=10**7)
    job, _ = run(service.submit("a@example.com", image))
    return job


class _CountingWork:
    """An operation whose output is a real gray PNG, given after `count` steps."""

    def __init__(self, data, count):
        self.gray = grayscale.convert(bytes(data))
        self.left = count

    def step(self):
        self.left -= 1
        return self.left <= 0

    def result(self):
        return self.gray


def _grayscale_registry(start):
    """The operation registry with grayscale's work started by `start(data, settings)`."""
    return {Operation.GRAYSCALE: dataclasses.replace(OPERATIONS[Operation.GRAYSCALE], start=start)}


def _counting_steps(count):
    return _grayscale_registry(lambda data, settings: _CountingWork(data, count))


def test_the_processor_converts_through_the_pause_it_was_given(service, store, blobs, run):
    pauses = []

    async def recording_pause():
        pauses.append(1)

    settings = Settings(conversion_slice_ms=1)
    processor = JobProcessor(store, blobs, settings, registry=_counting_steps(12), pause=recording_pause)
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

    settings = Settings(conversion_slice_ms=0)
    processor = JobProcessor(store, blobs, settings, registry=_counting_steps(12), pause=recording_pause)
    job = _submit(service, run, png(64, 48))
    assert run(processor.process({"jobId": job.id}, 1)) == ACK
    assert run(service.get("a@example.com", job.id)).status is JobStatus.COMPLETED
    assert pauses == []


def test_a_corrupt_image_found_mid_conversion_still_fails_as_invalid(service, store, blobs, run):
    processor = JobProcessor(store, blobs, Settings(), pause=conversion.asyncio_turn)
    job = _submit(service, run, header_only_png(4, 4))
    assert run(processor.process({"jobId": job.id}, 1)) == ACK
    failed = run(service.get("a@example.com", job.id))
    task = failed.task(Operation.GRAYSCALE)
    assert failed.status is JobStatus.FAILED and task is not None and task.error_code == "invalid_image"


@pytest.mark.parametrize(("value", "expected"), [(None, 30), ("0", 0), ("50", 50)])
def test_the_slice_comes_from_the_workers_variables(value, expected):
    settings = Settings.from_vars({"CONVERSION_SLICE_MS": value}.get)
    assert settings.conversion_slice_ms == expected


def test_a_negative_slice_is_a_configuration_error():
    with pytest.raises(ConfigError):
        Settings.from_vars({"CONVERSION_SLICE_MS": "-1"}.get)


def test_conversions_sharing_a_slot_take_turns_instead_of_interleaving(service, store, blobs, run):
    first, second = _submit(service, run, png(300, 200)), _submit(service, run, png(200, 300))
    journal = []

    class Journaled:
        def __init__(self, name, data, settings):
            self.name, self.work = name, grayscale.Conversion(bytes(data), max_pixels=settings.max_pixels)

        def step(self):
            journal.append(self.name)
            return self.work.step()

        def result(self):
            return self.work.result()

    def converter(name):
        return _grayscale_registry(lambda data, settings: Journaled(name, data, settings))

    async def both():
        slot = asyncio.Lock()
        processors = [
            JobProcessor(store, blobs, Settings(), registry=converter(name), conversion_slot=slot) for name in "ab"
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
    result = run(conversion.run_steps(iter([b"", b"", whole]), conversion.asyncio_turn, slice_seconds=0.03))
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
