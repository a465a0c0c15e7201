"""The public API contract the Worker codes against: probe/PngInfo, error codes, output format,
and that the package is stdlib-only (imports with js/pyodide/workers made unimportable)."""

import dataclasses
import io
import struct
import subprocess
import sys
import zlib

import pytest
from PIL import Image

import grayscale
from grayscale import ERROR_CODES, InvalidImage, PngInfo, convert, probe

SRC = str(__import__("pathlib").Path(grayscale.__file__).resolve().parents[1])


def pillow_png(mode: str, size=(6, 4), **options) -> bytes:
    out = io.BytesIO()
    Image.new(mode, size).save(out, "PNG", **options)
    return out.getvalue()


def test_probe_reads_ihdr_from_33_bytes():
    data = pillow_png("RGBA", (300, 200))
    info = probe(data[:33])
    assert info == PngInfo(width=300, height=200, bit_depth=8, color_type=6, interlace=0)
    assert info.has_alpha
    assert not probe(pillow_png("RGB")).has_alpha
    assert not probe(pillow_png("P", transparency=0)).has_alpha  # tRNS is invisible to probe (documented)
    with pytest.raises(dataclasses.FrozenInstanceError):
        info.width = 1


@pytest.mark.parametrize(
    "data,code",
    [
        (b"GIF89a" + bytes(40), "not_png"),
        (b"", "not_png"),
        (b"\x89PNG\r\n\x1a\n" + bytes(10), "truncated"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\x0dIHDX" + bytes(17), "chunk_order"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\x0dIHDR" + bytes(17), "crc_mismatch"),
    ],
)
def test_probe_errors(data, code):
    with pytest.raises(InvalidImage) as caught:
        probe(data)
    assert caught.value.code == code


def test_probe_rejects_bad_header_values():
    payload = struct.pack(">IIBBBBB", 0, 5, 8, 2, 0, 0, 0)
    data = (
        b"\x89PNG\r\n\x1a\n"
        + struct.pack(">I", 13)
        + b"IHDR"
        + payload
        + struct.pack(">I", zlib.crc32(b"IHDR" + payload))
    )
    with pytest.raises(InvalidImage) as caught:
        probe(data)
    assert caught.value.code == "bad_header"


def test_invalid_image_is_a_value_error_with_registered_code():
    assert issubclass(InvalidImage, ValueError)
    with pytest.raises(InvalidImage) as caught:
        convert(b"hello")
    assert caught.value.code == "not_png" and caught.value.code in ERROR_CODES
    assert "signature" in str(caught.value)
    assert all(code.isidentifier() and code.islower() for code in ERROR_CODES)


@pytest.mark.parametrize(
    "mode,options,color_type",
    [
        ("RGB", {}, 0),
        ("L", {}, 0),
        ("RGBA", {}, 4),
        ("LA", {}, 4),
        ("P", {"transparency": 0}, 4),
        ("RGB", {"transparency": (0, 0, 0)}, 4),
    ],
)
def test_output_is_8_bit_gray_or_gray_alpha_of_the_same_size(mode, options, color_type):
    data = pillow_png(mode, (7, 3), **options)
    out = convert(data)
    assert probe(out) == PngInfo(7, 3, 8, color_type, 0)


def test_output_is_valid_for_pypng_too():
    import png

    width, height, rows, meta = png.Reader(bytes=convert(pillow_png("RGBA", (9, 5)))).read()
    assert (width, height, meta["greyscale"], meta["alpha"], meta["bitdepth"]) == (9, 5, True, True, 8)
    assert len(list(rows)) == 5


PLATFORM_FREE_SCRIPT = r"""
import sys
for name in ("js", "pyodide", "pyodide.ffi", "workers"):
    sys.modules[name] = None  # any import of these now raises ImportError
before = set(sys.modules)
import grayscale
import struct, zlib
def chunk(kind, payload):
    return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))
data = (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(b"\x00\xff\x00\x00")) + chunk(b"IEND", b""))
out = grayscale.convert(data)
assert grayscale.probe(out).color_type == 0
assert b"".join(grayscale.convert_stream([data[:10], data[10:]])) == out
loaded = {m.split(".")[0] for m in set(sys.modules) - before}
foreign = sorted(m for m in loaded if m not in sys.stdlib_module_names and m != "grayscale")
assert not foreign, foreign
print("ok")
"""


def test_package_is_platform_free_and_stdlib_only():
    result = subprocess.run(
        [sys.executable, "-c", PLATFORM_FREE_SCRIPT],
        env={"PYTHONPATH": SRC},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"


def test_memory_exhaustion_is_reported_as_too_large(monkeypatch):
    """A host with less memory than the limits allow must still see InvalidImage, not MemoryError."""
    from grayscale.decoder import ImageDecoder

    def exhausted(self, data):
        raise MemoryError

    monkeypatch.setattr(ImageDecoder, "feed", exhausted)
    with pytest.raises(InvalidImage) as caught:
        convert(pillow_png("RGB"))
    assert caught.value.code == "too_large"


@pytest.mark.parametrize("reserved", [0, 1, 10, 35, 36, 37, 1000])
def test_presized_output_is_exact_whatever_the_estimate(reserved):
    from grayscale.output_buffer import PresizedOutput

    output = PresizedOutput()
    output.write(b"header")
    output.reserve(reserved)
    for piece in (b"abc" * 5, b"", b"xyz" * 5):
        output.write(piece)
    assert output.getvalue() == b"header" + b"abc" * 5 + b"xyz" * 5
