"""metadata(): PngSuite's known chunk contents (named by its file names: g* gamma, ccwn* chromaticities,
cd* pHYs, cm* tIME, ct* text, bg* background, t* transparency, ps* sPLT, ch* hIST, s* palette sizes),
cross-checked with Pillow where it reads the same chunk; the luma histogram against Pillow; invalid
chunks reported and never fatal; every cap."""

import io
import json
import struct
import zlib

import imageops_reference as ref
import pytest
from imageops_png_builders import encode
from imageops_testdata import CORRUPT_FILES, PNG_DIR, VALID_FILES, reference_rgba
from PIL import Image, PngImagePlugin

import grayscale
from imageops import InvalidImage, Metadata, metadata
from imageops.chunk_facts import MAX_CHUNK_READ, MAX_PROBLEMS, MAX_TEXT_CHUNKS, MAX_TEXT_TOTAL
from imageops.text_chunks import MAX_TEXT_BYTES

# PngSuite's documented file gammas (g03 ... g25).
GAMMAS = {"g03": 0.35, "g04": 0.45, "g05": 0.55, "g07": 0.70, "g10": 1.00, "g25": 2.50}
# cdfn: pixels 4 times as high as wide; cdhn: 4 times as wide; cdsn: square; cdun: 1000 per metre.
PHYSICAL = {
    "cdfn2c08": {"x": 1, "y": 4, "unit": "unknown"},
    "cdhn2c08": {"x": 4, "y": 1, "unit": "unknown"},
    "cdsn2c08": {"x": 1, "y": 1, "unit": "unknown"},
    "cdun2c08": {"x": 1000, "y": 1000, "unit": "metre", "dpi": {"x": 25.4, "y": 25.4}},
}
TIMES = {"cm0n0g04": "2000-01-01T12:34:56Z", "cm7n0g04": "1970-01-01T00:00:00Z", "cm9n0g04": "1999-12-31T23:59:59Z"}
LANGUAGES = {"cten0g04": "en", "ctfn0g04": "fi", "ctgn0g04": "el", "cthn0g04": "hi", "ctjn0g04": "ja"}
# bg*: b black, g gray, w white, y yellow background; a: no bKGD chunk.
BACKGROUNDS = {
    "bgbn4a08": {"gray": 0},
    "bggn4a16": {"gray": 43908},
    "bgwn6a08": {"red": 255, "green": 255, "blue": 255},
    "bgyn6a16": {"red": 65535, "green": 65535, "blue": 0},
}


def report_of(name: str) -> dict:
    return metadata((PNG_DIR / name).read_bytes())


@pytest.mark.parametrize("name", VALID_FILES)
def test_pngsuite_header_facts_and_histogram(name):
    report = report_of(name)
    assert json.loads(json.dumps(report)) == report  # JSON-ready
    pillow = Image.open(PNG_DIR / name)
    color_type, interlaced = int(name[4]), name[3] == "i"
    assert (report["width"], report["height"]) == pillow.size
    assert report["bit_depth"] == int(name[6:8])
    assert report["color_type"]["value"] == color_type
    assert report["interlace"] == {"value": int(interlaced), "name": "adam7" if interlaced else "none"}
    assert not report["invalid_chunks"] and not report["warnings"]
    if color_type == 3:
        assert report["palette_size"] == len(pillow.palette.getdata()[1]) // 3
    else:
        assert report["palette_size"] is None or name.startswith("pp0")  # pp0: suggested PLTE in truecolour
    stem = name[:-4]
    assert report["gamma"] == pillow.info.get("gamma")
    # The histogram: Pillow's convert("L") where it converts 8-bit data; else the reference's luma.
    histogram = report["luma_histogram"]
    if pillow.mode != "I;16":
        expected = pillow.convert("L").histogram()
    else:
        rgba = reference_rgba(stem)
        expected = ref.byte_histogram(
            bytes(
                (19595 * r + 38470 * g + 7471 * b + 0x8000) >> 16
                for r, g, b in zip(rgba[0::4], rgba[1::4], rgba[2::4], strict=True)
            )
        )
    assert histogram["bins"] == expected
    values = [v for v, count in enumerate(expected) for _ in range(count)]
    assert histogram["pixels"] == len(values) == pillow.width * pillow.height
    assert (histogram["min"], histogram["max"]) == (min(values), max(values))
    assert histogram["mean"] == pytest.approx(sum(values) / len(values), abs=1e-4)


def test_gamma_chromaticities_physical_size_and_time():
    for stem, gamma in GAMMAS.items():
        for suffix in ("n0g16", "n2c08", "n3p04"):
            assert report_of(f"{stem}{suffix}.png")["gamma"] == pytest.approx(gamma)
    for name in ("ccwn2c08.png", "ccwn3p08.png"):
        chromaticities = report_of(name)["chromaticities"]
        pillow = Image.open(PNG_DIR / name).info["chromaticity"]
        ours = [chromaticities[k][axis] for k in ("white_point", "red", "green", "blue") for axis in ("x", "y")]
        assert ours == pytest.approx(list(pillow))
    for stem, expected in PHYSICAL.items():
        assert report_of(f"{stem}.png")["physical_pixel_size"] == expected
    assert Image.open(PNG_DIR / "cdun2c08.png").info["dpi"] == pytest.approx((25.4, 25.4))
    for stem, expected in TIMES.items():
        assert report_of(f"{stem}.png")["modification_time"] == expected


def test_text_chunks_match_pillow():
    assert report_of("ct0n0g04.png")["text"] == []
    for name in ("ct1n0g04.png", "ctzn0g04.png", *(f"{stem}.png" for stem in LANGUAGES)):
        report = report_of(name)
        pillow = Image.open(PNG_DIR / name)
        pillow.load()
        assert {entry["keyword"]: entry["text"] for entry in report["text"]} == dict(pillow.text)
        stem = name[:-4]
        if stem in LANGUAGES:
            for entry in report["text"]:
                assert entry["chunk"] == "iTXt" and entry["language"] == LANGUAGES[stem]
                assert entry["translated_keyword"] == pillow.text[entry["keyword"]].tkey
    chunks = [entry["chunk"] for entry in report_of("ctzn0g04.png")["text"]]
    assert chunks == ["tEXt", "tEXt", "zTXt", "zTXt", "zTXt", "zTXt"]
    assert all(e["compressed"] == (e["chunk"] == "zTXt") for e in report_of("ctzn0g04.png")["text"])


def test_background_transparency_palettes_and_histograms():
    for stem, expected in BACKGROUNDS.items():
        assert report_of(f"{stem}.png")["background"] == expected
    for name in ("bgai4a08.png", "bgan6a16.png"):
        assert report_of(name)["background"] is None
        assert report_of(name)["transparency"] == {"kind": "alpha_channel"}
    for name in [n for n in VALID_FILES if n.startswith("t")]:
        data = (PNG_DIR / name).read_bytes()
        report = report_of(name)
        if b"tRNS" not in data:
            assert report["transparency"] is None, name
            continue
        at = data.index(b"tRNS")
        payload = data[at + 4 : at + 4 + int.from_bytes(data[at - 4 : at], "big")]
        if name[4] == "3":
            assert report["transparency"] == {"kind": "palette_alpha", "values": list(payload)}, name
        else:
            values = [v for (v,) in struct.iter_unpack(">H", payload)]
            kind = "gray_key" if name[4] == "0" else "rgb_key"
            assert report["transparency"] == {"kind": kind, "values": values}, name
            pillow = Image.open(PNG_DIR / name).info["transparency"]
            assert values == ([pillow] if isinstance(pillow, int) else list(pillow)), name
    for name in [n for n in VALID_FILES if n[0] == "s" and n[1].isdigit()]:  # s01..s40: palette sizes
        pillow = Image.open(PNG_DIR / name)
        assert report_of(name)["palette_size"] == len(pillow.palette.getdata()[1]) // 3
    for name in ("ch1n3p04.png", "ch2n3p08.png"):  # hIST: one frequency per palette entry
        report = report_of(name)
        index_counts = Image.open(PNG_DIR / name).histogram()[: report["palette_size"]]
        assert report["palette_histogram"] == index_counts
    for name, depth in (("ps1n0g08.png", 8), ("ps1n2c16.png", 8), ("ps2n0g08.png", 16), ("ps2n2c16.png", 16)):
        assert report_of(name)["suggested_palettes"] == [{"name": "six-cube", "sample_depth": depth, "entries": 216}]
    assert report_of("exif2c08.png")["exif_bytes"] == len(Image.open(PNG_DIR / "exif2c08.png").info["exif"]) - 6


def test_srgb_and_icc_profile_name_from_pillow_written_files():
    image = Image.new("RGB", (4, 3), (10, 20, 30))
    out = io.BytesIO()
    image.save(out, "PNG", icc_profile=b"not really a profile, only bytes")
    report = metadata(out.getvalue())
    assert report["icc_profile_name"] == "ICC Profile"  # the name Pillow writes
    info = PngImagePlugin.PngInfo()
    info.add(b"sRGB", b"\x01")
    out = io.BytesIO()
    image.save(out, "PNG", pnginfo=info)
    assert metadata(out.getvalue())["srgb_intent"] == {"value": 1, "name": "relative colorimetric"}


def png_with(before=(), after=(), color_type=2, palette=None) -> bytes:
    channels = {0: 1, 2: 3, 3: 1}[color_type]
    return encode([7] * (4 * 3 * channels), 4, 3, color_type, before=before, after=after, palette=palette)


def reasons(report) -> list[str]:
    return [f"{problem['type']}: {problem['reason']}" for problem in report["invalid_chunks"]]


@pytest.mark.parametrize(
    "chunks,where",
    [
        (((b"tEXt", b"bad  keyword\0text"),), "consecutive spaces"),
        (((b"tEXt", b" lead\0text"),), "leading"),
        (((b"tEXt", b"k" * 80 + b"\0text"),), "no null separator"),
        (((b"tEXt", b"\0text"),), "0 bytes long"),
        (((b"tEXt", b"key\x07word\0text"),), "not printable"),
        (((b"tEXt", b"Title\0a\0b"),), "null byte"),
        (((b"zTXt", b"Title\0\0" + b"not zlib"),), "corrupt"),
        (((b"zTXt", b"Title\0\x01" + zlib.compress(b"x")),), "method 1"),
        (((b"zTXt", b"Title\0\0" + zlib.compress(b"text")[:-3]),), "ends before"),
        (((b"zTXt", b"Title\0\0" + zlib.compress(b"text") + b"junk"),), "follow the end"),
        (((b"iTXt", b"Title\0\x02\0en\0\0text"),), "flag 2"),
        (((b"iTXt", b"Title\0\0\0e n\0\0text"),), "language tag"),
        (((b"iTXt", b"Title\0\0\0en\0\0\xff\xfe"),), "UTF-8"),
        (((b"iTXt", b"Title\0\0\0en\0\xc3\0text"),), "translated keyword is not valid UTF-8"),
        (((b"tIME", bytes.fromhex("07d0021e0c2238")),), "day 30 does not exist"),
        (((b"tIME", bytes.fromhex("07d00d010c2238")),), "not a valid month"),
        (((b"tIME", bytes.fromhex("07d001011c2238")),), "time 28"),
        (((b"gAMA", b"\0\0\0\0"),), "gamma 0"),
        (((b"gAMA", b"\0\0\x01"),), "length 3"),
        (((b"sRGB", b"\x04"),), "intent 4"),
        (((b"pHYs", bytes(8) + b"\x02"),), "unit 2"),
        (((b"iCCP", b"name\0\x01profile"),), "compression method"),
        (((b"sBIT", b"\x09\x01\x01"),), "significant bits"),
        (((b"bKGD", b"\x01\x00" * 3),), "bit depth"),
        (((b"gAMA", b"\0\1\x86\xa0"), (b"gAMA", b"\0\0\xaf\xc8")), "second copy"),
    ],
)
def test_invalid_chunks_are_reported_never_fatal(chunks, where):
    report = metadata(png_with(before=chunks))
    assert any(where in reason for reason in reasons(report)), reasons(report)
    assert report["luma_histogram"]["pixels"] == 12  # the image was still decoded


def test_misplaced_chunks_are_ignored_and_reported():
    report = metadata(png_with(after=((b"gAMA", struct.pack(">I", 45455)), (b"tIME", bytes.fromhex("07d001010c2238")))))
    assert report["gamma"] is None
    assert reasons(report) == ["gAMA: must come before the image data (ignored)"]
    assert report["modification_time"] == "2000-01-01T12:34:56Z"  # tIME may come anywhere
    palette = bytes(range(12))
    report = metadata(png_with(before=((b"bKGD", b"\x01"), (b"hIST", b"\0\1" * 4)), color_type=3, palette=palette))
    assert report["background"] is None and report["palette_histogram"] is None
    assert len(report["invalid_chunks"]) == 2 and all("after PLTE" in r for r in reasons(report))


def test_text_caps():
    long_text = b"x" * (MAX_TEXT_BYTES + 10)
    report = metadata(
        png_with(after=((b"zTXt", b"Big\0\0" + zlib.compress(long_text)), (b"tEXt", b"Raw\0" + long_text)))
    )
    assert [(e["keyword"], len(e["text"]), e["truncated"]) for e in report["text"]] == [
        ("Big", MAX_TEXT_BYTES, True),
        ("Raw", MAX_TEXT_BYTES, True),
    ]
    many = tuple((b"tEXt", b"Note\0" + str(i).encode()) for i in range(MAX_TEXT_CHUNKS + 5))
    report = metadata(png_with(after=many))
    assert len(report["text"]) == MAX_TEXT_CHUNKS and report["ancillary_chunks"]["tEXt"] == MAX_TEXT_CHUNKS + 5
    assert any("text chunks" in w for w in report["warnings"])
    bulky = tuple((b"zTXt", b"Bulk\0\0" + zlib.compress(bytes([65 + i % 26]) * 60_000)) for i in range(10))
    report = metadata(png_with(after=bulky))
    assert sum(len(e["text"]) + len(e["keyword"]) for e in report["text"]) <= MAX_TEXT_TOTAL
    assert len(report["text"]) == MAX_TEXT_TOTAL // 60_004 and any("characters" in w for w in report["warnings"])


def test_a_huge_chunk_is_read_only_in_part():
    compressed = zlib.compress(bytes(range(32, 127)) * 60_000, 0)  # stored: over a megabyte of payload
    report = metadata(png_with(after=((b"zTXt", b"Huge\0\0" + compressed),)))
    assert len(compressed) > MAX_CHUNK_READ
    (entry,) = report["text"]
    assert entry["truncated"] and len(entry["text"]) == MAX_TEXT_BYTES
    assert any("only its first" in w for w in report["warnings"])


def test_problem_lists_are_capped():
    bad = tuple((b"tEXt", b" bad\0x") for _ in range(MAX_PROBLEMS + 10))
    report = metadata(png_with(after=bad))
    assert len(report["invalid_chunks"]) == MAX_PROBLEMS
    assert any("invalid chunks" in w for w in report["warnings"])


def test_unknown_ancillary_chunks_are_counted():
    report = metadata(png_with(before=((b"prVt", b"x"), (b"prVt", b"y")), after=((b"zzZz", b""),)))
    assert report["ancillary_chunks"] == {"prVt": 2, "zzZz": 1}


def test_a_crc_mismatch_is_fatal_as_in_grayscale():
    data = bytearray(png_with(after=((b"tEXt", b"Title\0x"),)))
    position = data.index(b"Title")
    data[position] ^= 1
    with pytest.raises(InvalidImage) as caught:
        metadata(bytes(data))
    assert caught.value.code == "crc_mismatch"


@pytest.mark.parametrize("name", CORRUPT_FILES)
def test_corrupt_files_raise_the_grayscale_code(name):
    data = (PNG_DIR / name).read_bytes()
    with pytest.raises(InvalidImage) as expected:
        grayscale.convert(data)
    with pytest.raises(InvalidImage) as caught:
        metadata(data)
    assert caught.value.code == expected.value.code
    job = Metadata(data)
    with pytest.raises(RuntimeError):
        job.result()
    with pytest.raises(InvalidImage):
        while not job.step():
            pass
    with pytest.raises(InvalidImage):
        job.result()


def test_an_unknown_critical_chunk_is_fatal():
    data = png_with(before=((b"ABCD", b""),))
    with pytest.raises(InvalidImage) as caught:
        metadata(data)
    assert caught.value.code == "unknown_critical_chunk"
