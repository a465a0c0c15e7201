"""Config parsing, download headers, upload file names, and the platform-free import promise."""

import subprocess
import sys
from pathlib import Path

import pytest

from imagejobs.api.downloads import attachment_disposition
from imagejobs.config import ConfigError, Settings
from imagejobs.jobs.operations import OPERATIONS, Operation
from imagejobs.jobs.uploads import clean_file_name

SRC = Path(__file__).resolve().parents[3] / "src"


def test_settings_defaults_and_parsing():
    assert Settings.from_vars(lambda name: None) == Settings()
    values = {"MAX_UPLOAD_BYTES": "100", "MAX_PIXELS": "7", "PROCESSING_DELAY_SECONDS": "2.5", "AUTH_MODE": "DEV"}
    settings = Settings.from_vars(values.get)
    assert (settings.max_upload_bytes, settings.max_pixels, settings.processing_delay_seconds, settings.auth_mode) == (
        100,
        7,
        2.5,
        "dev",
    )


def test_thumbnail_max_side_defaults_to_256_and_takes_1_to_4096():
    assert Settings().thumbnail_max_side == 256
    assert Settings.from_vars({"THUMBNAIL_MAX_SIDE": "1"}.get).thumbnail_max_side == 1
    assert Settings.from_vars({"THUMBNAIL_MAX_SIDE": "4096"}.get).thumbnail_max_side == 4096


def test_the_registry_runs_every_operation_and_thumbnail_max_side_is_the_cores_range():
    import imageops
    from imagejobs.config import MAX_THUMBNAIL_MAX_SIDE

    assert list(OPERATIONS) == list(Operation)
    assert imageops.MAX_SIDE_RANGE == (1, MAX_THUMBNAIL_MAX_SIDE)
    assert Settings().thumbnail_max_side == imageops.DEFAULT_MAX_SIDE


def test_access_mode_is_implied_by_its_configuration():
    values = {"ACCESS_TEAM_DOMAIN": "team.cloudflareaccess.com", "ACCESS_AUD": "aud"}
    assert Settings.from_vars(values.get).auth_mode == "access"
    assert Settings.from_vars({"ACCESS_TEAM_DOMAIN": "x", "ACCESS_AUD": ""}.get).auth_mode is None


@pytest.mark.parametrize(
    "values",
    [
        {"MAX_PIXELS": "many"},
        {"MAX_UPLOAD_BYTES": "0"},
        {"AUTH_MODE": "open"},
        {"PROCESSING_DELAY_SECONDS": "-1"},
        {"THUMBNAIL_MAX_SIDE": "0"},
        {"THUMBNAIL_MAX_SIDE": "4097"},
        {"THUMBNAIL_MAX_SIDE": "２５６"},
    ],
)
def test_unusable_settings_are_config_errors(values):
    with pytest.raises(ConfigError):
        Settings.from_vars(values.get)


@pytest.mark.parametrize(
    ("name", "ascii_part"),
    [
        ('evil".png', 'filename="evil_.png"'),
        ("line\nbreak.png", 'filename="line_break.png"'),
        ("café.png", 'filename="caf_.png"'),
        ("a;b.png", 'filename="a_b.png"'),
    ],
)
def test_content_disposition_is_safe_for_any_name(name, ascii_part):
    header = attachment_disposition(name)
    assert ascii_part in header
    assert "\n" not in header and "\r" not in header
    assert header.count('"') == 2
    assert "filename*=UTF-8''" in header


def test_result_names_end_in_grayscale_png():
    grayscale = OPERATIONS[Operation.GRAYSCALE]
    assert grayscale.file_name("cat.png") == "cat-grayscale.png"
    assert grayscale.file_name("cat.PNG") == "cat-grayscale.png"
    assert grayscale.file_name("scan") == "scan-grayscale.png"


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("../../etc/passwd.png", "passwd.png"),
        ("C:\\x\\y.png", "y.png"),
        ("a\x00b.png", "ab.png"),
        ("", "image.png"),
        (None, "image.png"),
        ("x" * 300, "x" * 255),
    ],
)
def test_upload_names_lose_paths_and_control_characters(raw, clean):
    assert clean_file_name(raw) == clean


def test_everything_outside_the_platform_layer_imports_without_the_runtime():
    modules = [
        p.relative_to(SRC).with_suffix("").as_posix().replace("/", ".").removesuffix(".__init__")
        for p in SRC.rglob("*.py")
        if "platform" not in p.parts and p.name != "entry.py"
    ]
    script = (
        "import sys\n"
        "for name in ('js', 'pyodide', 'pyodide.ffi', 'workers'):\n"
        "    sys.modules[name] = None  # any import of them now raises ImportError\n"
        f"import importlib\nfor m in {modules!r}:\n    importlib.import_module(m)\n"
    )
    result = subprocess.run([sys.executable, "-c", script], cwd=SRC, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert len(modules) > 15


@pytest.mark.parametrize(
    ("header", "matches"),
    [
        ('"abc"', True),
        ('W/"abc"', True),
        ('"x", W/"abc"', True),
        ("*", True),
        ('"abcd"', False),
        ('"x"', False),
        ("", False),
        (None, False),
    ],
)
def test_if_none_match_uses_weak_comparison(header, matches):
    from imagejobs.api.http import etag_matches

    assert etag_matches(header, '"abc"') is matches
