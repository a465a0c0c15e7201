"""Real wrangler (the pinned 4.86.0) accepts wrangler.jsonc and bundles the Worker: a dry-run
deploy, which needs no account and no network, with every binding the code expects."""

import os
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_wrangler_accepts_the_config_and_bundles_the_worker(tmp_path):
    env = {**os.environ, "WRANGLER_SEND_METRICS": "false", "CI": "true"}
    result = subprocess.run(
        ["npx", "--no-install", "wrangler", "deploy", "--dry-run", "--outdir", str(tmp_path)],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=180,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    for binding in ("env.JOB_QUEUE (image-jobs)", "env.DB (async-image-worker)",
                    "env.IMAGES_BUCKET (async-image-worker-images)", "env.ASSETS"):
        assert binding in output
    assert "AUTH_MODE" not in output  # dev mode is never part of a deploy
    assert (tmp_path / "entry.py").exists() and (tmp_path / "imagejobs" / "platform" / "worker.py").exists()
