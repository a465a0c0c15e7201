"""Plain, obviously-correct twins of the fast routines in src/imageops (used only by tests): loops over
samples, straight from the definitions (and from Pillow's documented arithmetic for the box filter)."""


def lanes_of(value: int, count: int, width: int) -> list[int]:
    """The first `count` lanes of `width` bytes of `value`, lowest first."""
    raw = (value & ((1 << (8 * width * count)) - 1)).to_bytes(width * count, "little")
    return [int.from_bytes(raw[i * width : (i + 1) * width], "little") for i in range(count)]


def window_sums(lanes: list[int], length: int, stride: int) -> list[int]:
    """Lane i: the sum of lanes i, i + stride, ..., i + (length-1)*stride (0 past the end)."""
    return [sum(lanes[j] for j in range(i, i + length * stride, stride) if j < len(lanes)) for i in range(len(lanes))]


def run_sums(rows: list[list[int]], unit: int, runs: list[tuple[int, int]]) -> list[int]:
    """For each row, for each run (start, length) in steps of `unit` lanes, the `unit` sums."""
    out = []
    for row in rows:
        for start, length in runs:
            for k in range(unit):
                out.append(sum(row[(start + i) * unit + k] for i in range(length)))
    return out


def muldiv255(c: int, a: int) -> int:
    """Pillow's MULDIV255: c * a / 255 rounded (ties up)."""
    return (2 * c * a + 255) // 510


def premultiply(pixels: bytes, channels: int) -> bytes:
    out = bytearray(pixels)
    for start in range(0, len(out), channels):
        alpha = out[start + channels - 1]
        for k in range(start, start + channels - 1):
            out[k] = muldiv255(out[k], alpha)
    return bytes(out)


def unpremultiply(pixels: bytes, channels: int) -> bytes:
    """Pillow's RGBa -> RGBA: 255 * c // a clipped, unless a is 0 or 255."""
    out = bytearray(pixels)
    for start in range(0, len(out), channels):
        alpha = out[start + channels - 1]
        if alpha not in (0, 255):
            for k in range(start, start + channels - 1):
                out[k] = min(255, 255 * out[k] // alpha)
    return bytes(out)


def unpack_samples(row: bytes, bit_depth: int, width: int) -> list[int]:
    """Spec 7.2: samples packed leftmost-first into the high bits of each byte."""
    values = []
    mask = (1 << bit_depth) - 1
    for byte in row:
        for k in range(8 // bit_depth):
            values.append((byte >> (8 - bit_depth * (k + 1))) & mask)
    return values[:width]


def alpha_where_key(samples: bytes, sample_bytes: int, key: bytes) -> bytes:
    return bytes(0 if samples[i : i + sample_bytes] == key else 255 for i in range(0, len(samples), sample_bytes))


def byte_histogram(data: bytes) -> list[int]:
    counts = [0] * 256
    for value in data:
        counts[value] += 1
    return counts


def clip8(fixed: int) -> int:
    """Pillow's clip8: fixed-point value (22 fractional bits) to 0..255."""
    return min(255, max(0, fixed >> 22))


def reduce_multiplier(area: int) -> int:
    """Pillow's division_UINT32(area, 8), by way of numpy-free float32 emulation is what the code does;
    here the same value from its definition: the largest m with m <= 2^32 / (256 * area) after the
    quotient is rounded to 24 significant bits."""
    exact = 2**32 / (256 * area)
    if exact == 0:
        return 0
    exponent = int(exact).bit_length() - 24 if exact >= 1 else -24
    step = 2.0**exponent
    return int(round(exact / step) * step)


def box_reduce(pixels: bytes, width: int, height: int, channels: int, fx: int, fy: int) -> bytes:
    """Pillow's reduce((fx, fy)) of 8-bit samples (already premultiplied if alpha): one rounding,
    ((sum + area // 2) * multiplier) >> 24, for sizes the factors divide."""
    area = fx * fy
    multiplier = reduce_multiplier(area)
    out = bytearray()
    for oy in range(height // fy):
        for ox in range(width // fx):
            for k in range(channels):
                total = sum(
                    pixels[((oy * fy + y) * width + ox * fx + x) * channels + k] for y in range(fy) for x in range(fx)
                )
                out.append(((total + area // 2) * multiplier) >> 24)
    return bytes(out)


def box_members(in_size: int, out_size: int) -> list[list[int]]:
    """For each output pixel, the input pixels Pillow's resize(BOX) averages (its float test, every pixel
    of the window tried)."""
    scale = in_size / out_size
    support = scale * 0.5
    members = []
    for j in range(out_size):
        center = (j + 0.5) * scale
        low = max(int(center - support + 0.5), 0)
        high = min(int(center + support + 0.5), in_size)
        members.append([x for x in range(low, high) if -0.5 < (x - center + 0.5) * (1.0 / scale) <= 0.5])
    return members


def box_resize(
    pixels: bytes, width: int, height: int, channels: int, out_width: int, out_height: int, vertical_first: bool | None
) -> bytes:
    """Pillow 13's resize((out_width, out_height), BOX) of 8-bit samples (already premultiplied if alpha):
    two passes, each rounded to 8 bits with 22-bit fixed-point weights, vertical first when
    (H - h) > 2 (W - w) (vertical_first None) or as told; a pass whose size does not change is skipped."""

    def weight(n: int) -> int:
        return int(0.5 + (1.0 / n) * (1 << 22))

    def rounded(total: int) -> int:
        return min(255, max(0, ((1 << 21) + total) >> 22))

    def horizontal(src: list[list[int]], w: int) -> list[list[int]]:
        if w == len(src[0]) // channels:
            return src
        columns = box_members(len(src[0]) // channels, w)
        return [
            [
                rounded(weight(len(xs)) * sum(row[x * channels + k] for x in xs))
                for xs in columns
                for k in range(channels)
            ]
            for row in src
        ]

    def vertical(src: list[list[int]], h: int) -> list[list[int]]:
        if h == len(src):
            return src
        return [
            [rounded(weight(len(ys)) * sum(src[y][i] for y in ys)) for i in range(len(src[0]))]
            for ys in box_members(len(src), h)
        ]

    rows = [list(pixels[y * width * channels : (y + 1) * width * channels]) for y in range(height)]
    if vertical_first is None:
        vertical_first = height - out_height > 2 * (width - out_width)
    if vertical_first:
        result = horizontal(vertical(rows, out_height), out_width)
    else:
        result = vertical(horizontal(rows, out_width), out_height)
    return bytes(v for row in result for v in row)


def thumbnail_pixels(
    pixels: bytes, width: int, height: int, channels: int, size: tuple[int, int], interlaced: bool
) -> bytes:
    """The thumbnail's pixels from full-resolution 8-bit pixels: reduce when the factors are integers,
    resize(BOX) otherwise, premultiplied around it when the last channel is alpha (channels 2 or 4);
    without alpha and interlacing, resize does its vertical pass first."""
    out_width, out_height = size
    if (out_width, out_height) == (width, height):
        return pixels
    alpha = channels in (2, 4)
    source = premultiply(pixels, channels) if alpha else pixels
    if width % out_width == 0 and height % out_height == 0:
        result = box_reduce(source, width, height, channels, width // out_width, height // out_height)
    else:
        vertical_first = None if alpha or interlaced else True
        result = box_resize(source, width, height, channels, out_width, out_height, vertical_first)
    return unpremultiply(result, channels) if alpha else result
