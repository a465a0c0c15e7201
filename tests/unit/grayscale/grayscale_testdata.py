"""Where the grayscale tests find their data: PngSuite, relative to the repo root (as in CI)."""

from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[3]
PNGSUITE = REPO_ROOT.parent / "shared" / "pngsuite"
