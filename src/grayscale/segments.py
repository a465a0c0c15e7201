"""Decoding one very long Average or Paeth scanline (spec 9.3, 9.4) as many segments side by side.
Imports only .swar.

A wavefront needs many rows; an image like 1,000,000 x 2 has two. Within one row, pixel p depends on
pixel p-1 only, so the row is cut into K segments that are decoded in parallel, segment k as lanes of
one Python int, each started from a guess of the pixel to its left (the pixel above-left: rows of
real images resemble each other). A wrong guess changes only the first pixels of a segment: both
decodes then agree at some pixel (Average halves a difference at every pixel; Paeth forgets it
whenever it picks up or upper-left), and from that pixel on the results are equal. So the segments
are repaired left to right, each re-decoded pixel by pixel from the true left neighbour until a
pixel matches its speculative value. The result is exact whatever the guesses; they only decide
how much repairing is needed."""

from collections.abc import Generator

from .swar import ByteLanes, paeth_lane_constants, paeth_predictor_lanes

FILTER_AVERAGE, FILTER_PAETH = 3, 4
SEGMENT_LANES = 768  # lanes per step (segments x bytes per pixel), as for wavefront windows
MIN_SEGMENT_PIXELS = 64
CHUNK_BYTES = 1 << 18  # about this many bytes of steps are laid out at a time (one unit of work)
LAYOUT_US_PER_BYTE = 0.002
REPAIR_US_PER_BYTE = 0.4


def _gather(
    source: bytes | bytearray | memoryview,
    n: int,
    k_count: int,
    seg_pixels: int,
    bpp: int,
    lane_bytes: int,
    t0: int,
    t1: int,
    shift: int = 0,
) -> bytearray:
    """Steps t0..t1-1 of the segment layout of the n-byte row `source` moved `shift` pixels right
    (1 for the upper-left neighbours): byte c of pixel k*seg_pixels + t - shift goes to lane
    k*bpp + c of vector t; pixels outside the row stay zero."""
    vector = k_count * bpp * lane_bytes
    chunk = bytearray((t1 - t0) * vector)
    for k in range(k_count):
        first = max(t0, shift - k * seg_pixels)  # steps whose source pixel exists
        last = min(t1, (n // bpp) + shift - k * seg_pixels)
        if first >= last:
            continue
        base = (k * seg_pixels - shift) * bpp
        span = (last - first - 1) * vector + 1
        for c in range(bpp):
            start = (first - t0) * vector + (k * bpp + c) * lane_bytes
            chunk[start : start + span : vector] = source[base + first * bpp + c : base + last * bpp : bpp]
    return chunk


def _scatter(
    chunk: bytearray, out: bytearray, k_count: int, seg_pixels: int, bpp: int, lane_bytes: int, t0: int, t1: int
) -> None:
    """The inverse of _gather (shift 0): write the row's pixels of steps t0..t1-1 into `out`."""
    vector = k_count * bpp * lane_bytes
    pixels = len(out) // bpp
    for k in range(k_count):
        last = min(t1, pixels - k * seg_pixels)
        if t0 >= last:
            continue
        base = (k * seg_pixels) * bpp
        span = (last - t0 - 1) * vector + 1
        for c in range(bpp):
            start = (k * bpp + c) * lane_bytes
            out[base + t0 * bpp + c : base + last * bpp : bpp] = chunk[start : start + span : vector]


def _predict(filter_type: int, a: int, b: int, c: int) -> int:
    """The spec's predictor for one byte (left a, up b, upper-left c)."""
    if filter_type == FILTER_AVERAGE:
        return (a + b) >> 1
    pa, pb, pc = abs(b - c), abs(a - c), abs(a + b - 2 * c)
    if pa <= pb and pa <= pc:
        return a
    return b if pb <= pc else c


def decode_long_row(
    filter_type: int,
    raw: bytes | bytearray | memoryview,
    prev: bytes | bytearray,
    bpp: int,
    step_us: float,
    tick_us: float,
) -> Generator[float, None, bytearray]:
    """Decode an Average or Paeth row below `prev`, yielding the estimated cost of every ~tick_us of
    work (`step_us`: the estimated cost of one parallel step); returns the decoded row.
    Lanes: Paeth in 16-bit lanes as in the wavefront (swar.paeth_predictor_lanes), Average in byte
    lanes (a&b + ((a^b)>>1 & 0x7f..), then ByteLanes.add). Segment 0 starts from the true left
    neighbour (none: 0); the last segment's lanes past the row's end compute garbage nothing reads.
    Reference twin: grayscale_reference.unfilter_row (test_segmented_long_rows_match_reference).
    Justified by benchmark rows *-strip-wide-1000000x2 (a byte loop costs ~0.4 us/byte)."""
    n = len(raw)
    pixels = n // bpp
    k_count = max(1, min(SEGMENT_LANES // bpp, pixels // MIN_SEGMENT_PIXELS))
    seg_pixels = -(-pixels // k_count)
    k_count = -(-pixels // seg_pixels)  # no segment lies wholly past the end
    paeth = filter_type == FILTER_PAETH
    lane_bytes = 2 if paeth else 1
    vector = k_count * bpp * lane_bytes
    out = bytearray(n)
    # The guess for each segment's left neighbour: the pixel above-left of its first pixel.
    guesses = bytearray(k_count * bpp * lane_bytes)
    for k in range(1, k_count):
        for c in range(bpp):
            guesses[(k * bpp + c) * lane_bytes] = prev[(k * seg_pixels - 1) * bpp + c]
    a = int.from_bytes(guesses, "little")
    from_bytes = int.from_bytes
    if paeth:
        ones, low8, bias256, bias512 = paeth_lane_constants(vector // 2)
    else:
        lanes = ByteLanes(vector)
        low7, high1 = lanes.low7, lanes.high1
    steps_per_tick = max(1, int(tick_us / step_us))
    chunk_steps = max(1, CHUNK_BYTES // vector)
    for t0 in range(0, seg_pixels, chunk_steps):
        t1 = min(seg_pixels, t0 + chunk_steps)
        chunk = _gather(raw, n, k_count, seg_pixels, bpp, lane_bytes, t0, t1)
        ups = _gather(prev, n, k_count, seg_pixels, bpp, lane_bytes, t0, t1)
        lefts_up = _gather(prev, n, k_count, seg_pixels, bpp, lane_bytes, t0, t1, shift=1) if paeth else ups
        yield LAYOUT_US_PER_BYTE * 3 * len(chunk)
        view = memoryview(chunk)
        for first in range(0, t1 - t0, steps_per_tick):
            for start in range(first * vector, min(first + steps_per_tick, t1 - t0) * vector, vector):
                b = from_bytes(ups[start : start + vector], "little")
                x = from_bytes(view[start : start + vector], "little")
                if paeth:
                    c = from_bytes(lefts_up[start : start + vector], "little")
                    a = (x + paeth_predictor_lanes(a, b, c, ones, low8, bias256, bias512)) & low8
                else:
                    predictor = (a & b) + (((a ^ b) >> 1) & low7)
                    a = ((x & low7) + (predictor & low7)) ^ ((x ^ predictor) & high1)
                view[start : start + vector] = a.to_bytes(vector, "little")
            yield steps_per_tick * step_us
        view.release()
        _scatter(chunk, out, k_count, seg_pixels, bpp, lane_bytes, t0, t1)
    # Repair: left to right, each segment re-decoded from its true left neighbour until it agrees.
    spent = 0.0
    for k in range(1, k_count):
        first = k * seg_pixels
        if first >= pixels:
            break
        end = min(pixels, first + seg_pixels) * bpp
        i = first * bpp
        while i < end:
            pixel_end = i + bpp
            agreed = True
            for j in range(i, pixel_end):
                value = (raw[j] + _predict(filter_type, out[j - bpp], prev[j], prev[j - bpp])) & 0xFF
                if value != out[j]:
                    out[j] = value
                    agreed = False
            spent += REPAIR_US_PER_BYTE * bpp
            if spent >= tick_us:
                yield spent
                spent = 0.0
            if agreed:
                break
            i = pixel_end
    yield spent
    return out
