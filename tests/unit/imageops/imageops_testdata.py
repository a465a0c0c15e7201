"""Where the imageops tests find their data (PngSuite inside the repository) and how they read it."""

import json
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[3]
PNGSUITE = REPO_ROOT / "tests" / "data" / "pngsuite"
PNG_DIR = PNGSUITE / "png"
ALL_FILES = sorted(p.name for p in PNG_DIR.glob("*.png"))
VALID_FILES = [name for name in ALL_FILES if not name.startswith("x")]
CORRUPT_FILES = [name for name in ALL_FILES if name.startswith("x")]


def reference_rgba(stem: str) -> bytes:
    """The reference pixels as 8-bit RGBA: 16-bit values keep their high byte, as the codec does."""
    values = json.loads((PNGSUITE / "json" / f"{stem}.json").read_text())
    if max(values) > 255:
        values = [v >> 8 for v in values]
    return bytes(values)
