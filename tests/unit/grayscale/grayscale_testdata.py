"""Where the grayscale tests find their data: PngSuite inside the repository, and an optional
extra corpus of PNG files named by the EXTRA_PNG_CORPUS environment variable."""

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[3]
PNGSUITE = REPO_ROOT / "tests" / "data" / "pngsuite"


def extra_corpus() -> list[Path]:
    """Every `*.png` under $EXTRA_PNG_CORPUS (a folder of real-world images), or [] when unset."""
    folder = os.environ.get("EXTRA_PNG_CORPUS")
    return sorted(Path(folder).rglob("*.png")) if folder else []
