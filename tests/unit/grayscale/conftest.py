"""Shared fixtures for the grayscale core tests: where PngSuite lives (relative to the repo root)."""

from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[3]
PNGSUITE = REPO_ROOT.parent / "shared" / "pngsuite"
