"""The metadata operation: one walk of the PNG (decoding.walk_png) that collects the header facts,
what the ancillary chunks say (chunk_facts.FactCollector) and the luma histogram of every pixel
(histogram.LumaHistogram); the public Metadata / metadata / metadata_steps. Imports only sibling
modules and grayscale."""

from collections.abc import Iterator

from grayscale import DEFAULT_MAX_DECOMPRESSED_BYTES, DEFAULT_MAX_DIMENSION, DEFAULT_MAX_PIXELS, PngInfo
from grayscale.budget import WorkMeter
from grayscale.chunk_walk import Limits

from .chunk_facts import COLOR_TYPE_NAMES, INTERLACE_NAMES, FactCollector
from .decoding import ImageHeader, walk_png
from .histogram import LumaHistogram
from .steps import Stepper


class _HeaderKeeper(LumaHistogram):
    """The luma histogram sink, also keeping what the walk learnt when the image data started."""

    def begin(self, header: ImageHeader) -> None:
        self.header = header
        super().begin(header)


def transparency_facts(info: PngInfo, transparency: bytes | None) -> dict[str, object] | None:
    """The image's transparency: an alpha channel, per-palette-entry alpha (tRNS), a colour key (tRNS,
    samples at the image's bit depth), or None."""
    if info.color_type in (4, 6):
        return {"kind": "alpha_channel"}
    if transparency is None:
        return None
    if info.color_type == 3:
        return {"kind": "palette_alpha", "values": list(transparency)}
    values = [int.from_bytes(transparency[i : i + 2], "big") for i in range(0, len(transparency), 2)]
    return {"kind": "gray_key" if info.color_type == 0 else "rgb_key", "values": values}


class Metadata:
    """The metadata report of a whole PNG in memory, made one bounded step at a time (the histogram
    decodes every pixel):

        job = Metadata(data)
        while not job.step():
            await pause()
        report = job.result()  # a JSON-ready dict

    Each step() does about grayscale.budget.STEP_BUDGET_US (4 ms) of estimated CPython work."""

    def __init__(
        self,
        data: bytes,
        *,
        max_pixels: int = DEFAULT_MAX_PIXELS,
        max_decompressed_bytes: int = DEFAULT_MAX_DECOMPRESSED_BYTES,
        max_dimension: int = DEFAULT_MAX_DIMENSION,
    ) -> None:
        meter = WorkMeter()
        self._facts = FactCollector(meter)
        self._histogram = _HeaderKeeper(meter)
        limits = Limits(max_pixels, max_decompressed_bytes, max_dimension)
        self._stepper = Stepper(walk_png(data, limits, self._histogram, self._facts, meter), meter)

    @property
    def done(self) -> bool:
        return self._stepper.done

    def step(self) -> bool:
        """Do one bounded step; True once the report is ready (then call result()). Raises InvalidImage
        for a bad input, after which the job is over."""
        return self._stepper.step()

    def result(self) -> dict[str, object]:
        """The report (call once step() has returned True; raises the InvalidImage again if a bad input
        ended the job)."""
        self._stepper.check_finished("metadata")
        header = self._histogram.header
        info = header.info
        return {
            "width": info.width,
            "height": info.height,
            "bit_depth": info.bit_depth,
            "color_type": {"value": info.color_type, "name": COLOR_TYPE_NAMES[info.color_type]},
            "interlace": {"value": info.interlace, "name": INTERLACE_NAMES[info.interlace]},
            "palette_size": len(header.palette) // 3 if header.palette is not None else None,
            "transparency": transparency_facts(info, header.transparency),
            **self._facts.report(),
            "luma_histogram": self._histogram.summary(),
        }


def metadata_steps(
    data: bytes,
    *,
    max_pixels: int = DEFAULT_MAX_PIXELS,
    max_decompressed_bytes: int = DEFAULT_MAX_DECOMPRESSED_BYTES,
    max_dimension: int = DEFAULT_MAX_DIMENSION,
) -> Iterator[dict[str, object] | None]:
    """metadata() one bounded step at a time: yields None after each step and the report last."""
    job = Metadata(
        data, max_pixels=max_pixels, max_decompressed_bytes=max_decompressed_bytes, max_dimension=max_dimension
    )
    while not job.step():
        yield None
    yield job.result()


def metadata(
    data: bytes,
    *,
    max_pixels: int = DEFAULT_MAX_PIXELS,
    max_decompressed_bytes: int = DEFAULT_MAX_DECOMPRESSED_BYTES,
    max_dimension: int = DEFAULT_MAX_DIMENSION,
) -> dict[str, object]:
    """The JSON-ready metadata report of a whole PNG in memory (see the package docstring)."""
    job = Metadata(
        data, max_pixels=max_pixels, max_decompressed_bytes=max_decompressed_bytes, max_dimension=max_dimension
    )
    while not job.step():
        pass
    return job.result()
