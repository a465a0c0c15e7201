"""Drives grayscale.filters.ScanlineUnfilter the way the decoder does, for the tests."""


def unfilter_all(unfilter, types, raws):
    """Push rows and flush windows the way the decoder does; returns every decoded row in order."""
    got = []
    for filter_type, raw in zip(types, raws, strict=True):
        got += unfilter.push(filter_type, raw)
        if unfilter.window_full:
            got += [row for rows in unfilter.flush() for row in rows]
    return got + [row for rows in unfilter.flush() for row in rows]
