"""Running a bounded-work generator one step at a time, the way grayscale.Conversion does: each step()
resumes the work until the WorkMeter says the step's budget is spent. Imports only grayscale."""

from collections.abc import Iterator

from grayscale import InvalidImage
from grayscale.budget import WorkMeter


def translated(work: Iterator[None]) -> Iterator[None]:
    """`work` with MemoryError reported as InvalidImage("too_large"): within the limits memory use is
    bounded, but a host may still have less; that is an input too large for this host, not a crash."""
    try:
        yield from work
    except MemoryError:
        raise InvalidImage("too_large", "processing this image needs more memory than is available") from None


class Stepper:
    """Advances `work` (a generator that yields whenever `meter` is due) one step per step() call."""

    def __init__(self, work: Iterator[None], meter: WorkMeter) -> None:
        self._work = translated(work)
        self._meter = meter
        self.done = False
        self.error: InvalidImage | None = None  # what ended the work, if a bad input did

    def step(self) -> bool:
        """Do one bounded step; returns True once the work has finished. Raises InvalidImage for a bad
        input, after which the work is over (further calls return True)."""
        if not self.done:
            try:
                next(self._work)
            except StopIteration:
                self.done = True
            except InvalidImage as error:
                self.done = True
                self.error = error
                raise
            finally:
                self._meter.reset()
        return self.done

    def check_finished(self, what: str) -> None:
        """Raise unless the work finished successfully: RuntimeError if it has not finished, the
        InvalidImage again if a bad input ended it."""
        if not self.done:
            raise RuntimeError(f"the {what} is not finished: call step() until it returns True")
        if self.error is not None:
            raise self.error
