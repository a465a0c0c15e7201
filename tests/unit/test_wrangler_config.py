"""Real wrangler (the pinned 4.86.0) accepts wrangler.jsonc and bundles the Worker: a dry-run
deploy, which needs no account and no network, with every binding the code expects — and the
bundle carries only what the Worker imports: its own modules reachable from entry.py, and the
runtime dependencies of uv.lock vendored as `pywrangler` vendors them into python_modules/."""

import ast
import os
import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
UV = REPO / ".tools" / "bin" / "uv"


def _run(command: list[str], cwd: Path, timeout: int = 180) -> str:
    env = {**os.environ, "WRANGLER_SEND_METRICS": "false", "CI": "true"}
    result = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    return output


@pytest.fixture(scope="module")
def bundle(tmp_path_factory) -> tuple[Path, str]:
    """A dry-run bundle of a copy of the project with python_modules/ vendored from uv.lock's
    runtime dependencies; (bundle folder, wrangler's output)."""
    project = tmp_path_factory.mktemp("project")
    for name in ("wrangler.jsonc", "src", "public", "migrations"):
        source = REPO / name
        (shutil.copytree if source.is_dir() else shutil.copy)(source, project / name)
    requirements = _run([str(UV), "export", "--frozen", "--no-dev", "--no-hashes", "--no-emit-project"], REPO)
    (project / "requirements.txt").write_text(requirements)
    _run(
        [str(UV), "pip", "install", "--quiet", "--python", str(REPO / ".venv" / "bin" / "python"),
         "--target", str(project / "python_modules"), "--no-deps", "-r", str(project / "requirements.txt")],
        REPO,
    )  # fmt: skip
    out = project / "out"
    output = _run(
        ["npx", "--no-install", "wrangler", "deploy", "--dry-run", "--config", str(project / "wrangler.jsonc"),
         "--outdir", str(out)],
        REPO,
    )  # fmt: skip
    return out, output


def test_wrangler_accepts_the_config_with_every_binding(bundle):
    out, output = bundle
    for binding in (
        "env.JOB_QUEUE (image-jobs)",
        "env.WEBHOOK_QUEUE (webhook-deliveries)",
        "env.DB (async-image-worker)",
        "env.IMAGES_BUCKET (async-image-worker-images)",
        "env.ASSETS",
        "env.JOB_CREATION_LIMITER",
    ):
        assert binding in output
    assert "AUTH_MODE" not in output  # dev mode is never part of a deploy
    assert "WEBHOOK_SECRET" not in output and "WEBHOOK_ALLOW_PRIVATE_URLS" not in output  # .dev.vars only
    assert (out / "entry.py").exists() and (out / "imagejobs" / "platform" / "worker.py").exists()


def test_only_runtime_dependencies_are_vendored(bundle):
    out, _ = bundle
    vendored = out / "python_modules"
    owned: set[str] = set()  # every top-level name a vendored distribution installed
    for record in vendored.glob("*.dist-info/RECORD"):
        for line in record.read_text().splitlines():
            owned.add(line.split(",", 1)[0].split("/", 1)[0])
    top_level = {p.name for p in vendored.iterdir() if p.name not in (".lock",)}
    assert top_level <= owned, f"bundled but from no runtime dependency: {sorted(top_level - owned)}"
    assert not (vendored / "png.py").exists(), (
        "pypng is a dev dependency (tests, benchmark); the Worker does not use it"
    )
    assert {p.name.split("-")[0] for p in vendored.glob("*.dist-info")} == {"workers_runtime_sdk"}


def _imports_of(module: Path, package: str) -> set[str]:
    """Dotted names imported by a module (relative imports resolved against its package)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(module.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*parts, base] if base else parts)
            names.add(base)
            names.update(f"{base}.{alias.name}" for alias in node.names)
    return names


def test_every_bundled_module_of_ours_is_imported_by_the_worker(bundle):
    out, _ = bundle
    modules = {
        ".".join(p.relative_to(out).with_suffix("").parts).removesuffix(".__init__"): p
        for p in out.rglob("*.py")
        if "python_modules" not in p.parts
    }
    reached, pending = set(), ["entry"]
    while pending:
        name = pending.pop()
        if name in reached or name not in modules:
            continue
        reached.add(name)
        path = modules[name]
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        for imported in _imports_of(path, package):
            parts = imported.split(".")
            # importing a.b.c also runs a/__init__ and a/b/__init__
            pending.extend(".".join(parts[:i]) for i in range(1, len(parts) + 1))
    assert set(modules) - reached == set(), "modules bundled that the Worker never imports"
