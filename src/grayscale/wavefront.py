"""Decoding runs of consecutive Average or Paeth scanlines (spec 9.3), which depend on the left
neighbour and so cannot be done with one whole-row operation. Imports only .swar."""


def unfilter_average_run(raws: list[bytes], prev: bytes, bpp: int) -> list[bytes]:
    """Decode consecutive Average rows: x + floor((left + up) / 2) mod 256."""
    rows = []
    for raw in raws:
        row = bytearray(raw)
        for i in range(bpp):
            row[i] = (row[i] + (prev[i] >> 1)) & 0xFF
        for i in range(bpp, len(row)):
            row[i] = (row[i] + ((row[i - bpp] + prev[i]) >> 1)) & 0xFF
        prev = bytes(row)
        rows.append(prev)
    return rows


def unfilter_paeth_run(raws: list[bytes], prev: bytes, bpp: int) -> list[bytes]:
    """Decode consecutive Paeth rows: x + PaethPredictor(left, up, upper-left) mod 256."""
    rows = []
    for raw in raws:
        row = bytearray(raw)
        for i in range(len(row)):
            up = prev[i]
            if i >= bpp:
                left = row[i - bpp]
                upper_left = prev[i - bpp]
            else:
                left = upper_left = 0
            pa = abs(up - upper_left)
            pb = abs(left - upper_left)
            pc = abs(left + up - 2 * upper_left)
            if pa <= pb and pa <= pc:
                pred = left
            elif pb <= pc:
                pred = up
            else:
                pred = upper_left
            row[i] = (row[i] + pred) & 0xFF
        prev = bytes(row)
        rows.append(prev)
    return rows
