"""The five scanline filter type numbers of PNG filter method 0 (spec 9.2), shared by the decoder
(filters.py, wavefront.py) and the encoder (writer.py). Imports nothing."""

FILTER_NONE = 0
FILTER_SUB = 1
FILTER_UP = 2
FILTER_AVERAGE = 3
FILTER_PAETH = 4
