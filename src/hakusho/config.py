"""Every path the project uses, derived from the project root in one place.

Nothing else in the package builds a path from a string: a reader who wants to know where
something lives looks here. ``HAKUSHO_ROOT`` points the package at another checkout (tests use it
to work on a scratch copy without touching the real data).
"""

from __future__ import annotations

import os
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent


def _project_root() -> Path:
    override = os.environ.get("HAKUSHO_ROOT")
    if override:
        return Path(override).resolve()
    # src/hakusho/config.py -> project root is two levels above the package.
    return PACKAGE_DIR.parents[1]


PROJECT_ROOT = _project_root()
DATA_DIR = PROJECT_ROOT / "data"
RAW_DIR = DATA_DIR / "raw"
CODEBOOK_DIR = DATA_DIR / "codebook"
CROSSWALK_PATH = CODEBOOK_DIR / "crosswalk.yml"
SYNTHETIC_DIR = DATA_DIR / "synthetic"
COMMENTARY_DIR = DATA_DIR / "commentary"  # editors' text, one folder per wave
NOTEBOOKS_DIR = PROJECT_ROOT / "notebooks"
TEMPLATES_DIR = PROJECT_ROOT / "templates"
REPORT_DIR = PROJECT_ROOT / "report"

SPEC_PATH = PACKAGE_DIR / "spec" / "chapters.yml"
RESOURCES_DIR = PACKAGE_DIR / "resources"

DEFAULT_WAVE = "2025"
DEFAULT_COMPARE_WAVE = "2023"


def raw_wave_dir(wave: str) -> Path:
    """Folder holding one wave's raw export (read-only: code never writes here)."""
    return RAW_DIR / str(wave)


def codebook_path(wave: str) -> Path:
    """The bilingual codebook that describes one wave's questionnaire."""
    return CODEBOOK_DIR / f"{wave}.yml"
