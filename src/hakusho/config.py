"""Every path the project uses, derived from the project's root in one place.

Nothing else in the package builds a path from a string: a reader who wants to know where
something lives looks here. The root is the located project (:mod:`hakusho.project`: the folder
holding ``hakusho.toml`` — ``--project DIR``, ``HAKUSHO_PROJECT``, or the working directory and
the folders above it), so the names below are computed when read, for whichever project the
process works on. Tests point the package at a scratch copy by setting ``HAKUSHO_PROJECT``.

Names:

* ``PROJECT_ROOT``, ``DATA_DIR``, ``RAW_DIR``, ``CODEBOOK_DIR``, ``CROSSWALK_DIR``,
  ``COMMENTARY_DIR``, ``EDITIONS_DIR``, ``SYNTHETIC_DIR``, ``REPORT_DIR`` — the project's folders
  (as ``hakusho.toml`` places them);
* ``NOTEBOOKS_DIR``, ``TEMPLATES_DIR`` — the project's folders of its own notebooks and templates
  (each file there replaces the packaged default of the same name);
* ``SPEC_PATH`` — the chapter spec of the default edition (its own ``chapters.yml``, else the
  project's ``spec/chapters.yml``, else the package's; :func:`edition_file` for another edition);
* ``DEFAULT_WAVE``, ``DEFAULT_COMPARE_WAVE`` — the edition built by default and what it is
  compared with;
* ``PACKAGE_DIR``, ``RESOURCES_DIR`` — the installed package and its resources.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from hakusho import project as _project

PACKAGE_DIR = Path(__file__).resolve().parent
RESOURCES_DIR = PACKAGE_DIR / "resources"

_COMPUTED: dict[str, Callable[[_project.Project], Any]] = {
    "PROJECT_ROOT": lambda p: p.root,
    "DATA_DIR": lambda p: p.data_dir,
    "RAW_DIR": lambda p: p.raw_dir,
    "CODEBOOK_DIR": lambda p: p.codebook_dir,
    "CROSSWALK_DIR": lambda p: p.crosswalk_dir,
    # The crosswalk of the default edition and its comparison wave (one file per pair of waves).
    "CROSSWALK_PATH": lambda p: crosswalk_path(p.compare_wave, p.wave, p.crosswalk_dir),
    "SYNTHETIC_DIR": lambda p: p.synthetic_dir,
    "COMMENTARY_DIR": lambda p: p.commentary_dir,  # editors' text, one folder per wave
    "EDITIONS_DIR": lambda p: p.editions_dir,
    "NOTEBOOKS_DIR": lambda p: p.root / "notebooks",
    "TEMPLATES_DIR": lambda p: p.root / "templates",
    "REPORT_DIR": lambda p: p.report_dir,
    # What a chapter notebook writes when run by hand in Jupyter with its default parameters:
    # under the report folder, which git ignores, never next to the notebooks.
    "JUPYTER_OUTPUT_DIR": lambda p: p.report_dir / "jupyter",
    "SPEC_PATH": lambda p: p.edition_file("chapters.yml"),
    "DEFAULT_WAVE": lambda p: p.wave,
    "DEFAULT_COMPARE_WAVE": lambda p: p.compare_wave,
}


def __getattr__(name: str) -> Any:
    if name in _COMPUTED:
        return _COMPUTED[name](_project.current())
    raise AttributeError(f"module 'hakusho.config' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *_COMPUTED])


def current_project() -> _project.Project:
    """The located project (raises ProjectError, a message for people, when there is none)."""
    return _project.current()


# Set by a build, for itself, its notebook kernels and its renderers, to its cache folder: typed
# waves (:mod:`hakusho.survey.store`), drawn charts and font subsets
# (:mod:`hakusho.content_store`) are kept there between processes. Unset, nothing is kept.
CACHE_ENV = "HAKUSHO_CACHE"


# Set by a build for its notebook kernels: the languages the report shows, in which chapters draw
# their charts (a chart in another language is drawn when something asks for it). Unset: all.
CHART_LANGS_ENV = "HAKUSHO_CHART_LANGS"


def chart_langs() -> tuple[str, ...]:
    """The languages chapters draw their charts in, for this process."""
    from hakusho.i18n import LANGS

    asked = {lang.strip() for lang in os.environ.get(CHART_LANGS_ENV, "").split(",") if lang.strip()}
    return tuple(lang for lang in LANGS if lang in asked) or LANGS


# Set by a build for its notebook kernels: "0" when nothing it renders shows the drawings made
# for a phone's width (only the HTML page does), so chapters draw their slides' alone; the page
# asks for the rest when it is rendered. Unset: chapters draw both.
PHONE_DRAWINGS_ENV = "HAKUSHO_PHONE_DRAWINGS"


def phone_drawings() -> bool:
    """Whether chapters in this process draw their charts for a phone's width too."""
    return os.environ.get(PHONE_DRAWINGS_ENV, "").strip() != "0"


# How long a kernel kept between commands waits unused before it stops (:mod:`hakusho.pipeline.kept`):
# seconds, the default unless the environment sets it (0: none is kept). The CLI's help quotes it.
KEEP_KERNEL_ENV = "HAKUSHO_KEEP_KERNEL"
DEFAULT_KEEP_KERNEL_SECONDS = 600


# Set by a build for its notebook kernels: how many processes a kernel draws its charts in
# (:mod:`hakusho.charts.shares`), the cores the build's other kernels leave it. Unset: one.
DRAW_PROCESSES_ENV = "HAKUSHO_DRAW_PROCESSES"


def draw_processes() -> int:
    """How many processes chapters in this process draw their charts in (at least one)."""
    value = os.environ.get(DRAW_PROCESSES_ENV, "").strip()
    return max(1, int(value)) if value.isdigit() else 1


def shared_cache(kind: str) -> Path | None:
    """``<cache>/<kind>`` of the build this process works for (``waves``, ``charts``, ``fonts``),
    or None when no build set one."""
    value = os.environ.get(CACHE_ENV, "").strip()
    return Path(value) / kind if value else None


def raw_wave_dir(wave: str) -> Path:
    """Folder holding one wave's raw export (read-only: code never writes here)."""
    return _project.current().raw_wave_dir(wave)


def codebook_path(wave: str) -> Path:
    """The bilingual codebook that describes one wave's questionnaire."""
    return _project.current().codebook_path(wave)


def resource(rel: str) -> Path:
    """The file a build uses for a default such as ``templates/html/cover.html.j2``: the
    project's own when it has one, else the package's (also outside any project)."""
    return _project.resource(rel)


def edition_file(name: str, wave: str | None = None) -> Path:
    """A file of an edition's content contract (``chapters.yml``, ``headlines.yml``,
    ``crosses.yml``): the edition's own, else the project's spec, else the package's."""
    return _project.edition_file(name, wave)


def search_path(folder: str) -> list[Path]:
    """Folders holding ``folder``'s files (``templates/html``), the project's first."""
    try:
        return _project.current().search_path(folder)
    except _project.NoProjectError:
        return [_project.default_path(folder)]


def crosswalk_path(from_wave: str, to_wave: str, folder: Path | None = None) -> Path:
    """The file of one pair of waves: ``<folder>/<from>-<to>.yml`` (folder: the project's
    ``data/codebook/crosswalk/``)."""
    return Path(folder or _project.current().crosswalk_dir) / f"{from_wave}-{to_wave}.yml"


def display_path(path: Path | str) -> str:
    """A path as a person reads it in a message: as given when relative; else relative to the
    working folder when inside it, or to the project; else its last two parts (folder and file),
    never a machine path. Links are not followed, so a link and what it leads to read apart."""
    path = Path(path)
    if not path.is_absolute():
        return path.as_posix()
    absolute = Path(os.path.abspath(path))
    bases = []
    with contextlib.suppress(OSError):  # the working folder itself may have been removed
        bases.append(Path(os.getcwd()))
    with contextlib.suppress(_project.ProjectError):  # outside any project
        bases.append(_project.current().root)
    for base in bases:
        if absolute == base:
            return "."
        if base in absolute.parents:
            return absolute.relative_to(base).as_posix()
    return "/".join(absolute.parts[1:][-2:]) or absolute.name
