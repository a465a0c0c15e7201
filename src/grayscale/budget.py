"""How much work a conversion does between two yields (convert_steps, Conversion.step). Imports nothing.

Work is counted in estimated CPython microseconds, from the per-operation costs measured on the
benchmark machine (CPython 3.13, x86-64); Pyodide runs the same operations ~2-3x slower. Every loop
over image data charges the meter as it goes, and each stage yields once the meter passes
STEP_BUDGET_US, so no input can make one step long: a step ends within one unit of work of the
budget, and every unit is bounded (a band of rows, a piece of a long row, a slice of sweep steps)."""

STEP_BUDGET_US = 4000.0
# No unit of work charged at once costs more than this, so no step costs more than the sum of both.
MAX_UNIT_US = 4000.0

# Costs in estimated microseconds, per byte unless named otherwise.
INFLATE_US_PER_BYTE = 0.003  # zlib inflate, per output byte (and per input byte: empty blocks cost too)
CRC_US_PER_BYTE = 0.0003
CONVERT_US_PER_BYTE = 0.006  # gray/alpha planes from decoded samples, per decoded byte
WRITE_US_PER_BYTE = 0.04  # output filter + deflate, per output pixel byte (worst case: noise)
# The same with an LZ77 encoding on rows that are not flat (a palette photo; a thumbnail whose trial chose
# LZ77): deflate at levels 3-7 searches for matches it rarely finds, measured 0.07-0.12 us/byte.
LZ77_WRITE_US_PER_BYTE = 0.12
ROW_OVERHEAD_US = 4.0  # the fixed cost of handling one scanline (push or row-by-row decode, strip, writer)


class WorkMeter:
    """Accumulates the estimated cost of the work done since the last yield."""

    __slots__ = ("spent",)

    def __init__(self) -> None:
        self.spent = 0.0

    @property
    def due(self) -> bool:
        """Whether the current step has used its budget (the caller yields and calls reset)."""
        return self.spent >= STEP_BUDGET_US

    def reset(self) -> None:
        """Start a new step."""
        self.spent = 0.0
