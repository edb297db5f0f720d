"""The project folder: where a report's data, text and outputs live, and the defaults it overrides.

A hakusho project is a folder holding ``hakusho.toml``, found the way git, nox and Quarto find
theirs: ``--project DIR`` (which sets ``HAKUSHO_PROJECT`` for everything the command starts),
else the ``HAKUSHO_PROJECT`` environment variable, else the working directory and each folder
above it. ``hakusho.toml`` says which edition is built by default, what it is compared with, the
languages and formats, and where the data, codebooks, commentary, editions and reports are.

The installed package carries every default a report needs — chapter notebooks, templates,
the chart/headline/cross specs, the chart style and the message catalogs. A project overrides
any of them by placing a file of the same relative name in its own folder
(``templates/html/cover.html.j2``, ``notebooks/04_kpi.ipynb``, ``spec/headlines.yml``,
``resources/hakusho.mplstyle``, ``locale/en/LC_MESSAGES/report.po``); everything else comes
from the package. In a source checkout the repository's own ``notebooks/`` and ``templates/``
are the defaults (the wheel ships copies of them under ``hakusho/defaults/``).

This module is read on every command, including a no-op rebuild, so it imports nothing heavy.
"""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hakusho.errors import HakushoError, Problem
from hakusho.messages import Msg

PROJECT_FILE = "hakusho.toml"
PROJECT_ENV = "HAKUSHO_PROJECT"
LEGACY_ENV = "HAKUSHO_ROOT"  # the older name of PROJECT_ENV, still honoured
PACKAGE_DIR = Path(__file__).resolve().parent

# Folders of defaults a project may override, file by file. The first two ship in the wheel
# under hakusho/defaults/ (from the repository's top level); the others live in the package.
SHIPPED_FOLDERS = ("notebooks", "templates")
PACKAGE_FOLDERS = ("spec", "resources", "locale")
OVERRIDABLE = SHIPPED_FOLDERS + PACKAGE_FOLDERS

LANGS = ("ja", "en")
FORMATS = ("html", "pdf", "xlsx", "quarto")
# The tabulation workbook is part of what editors publish each year, so a build makes it unless
# hakusho.toml (or --format) says otherwise.
DEFAULT_FORMATS = ("html", "pdf", "xlsx")
WAVE = re.compile(r"^\d{4}$")

# Where things live when hakusho.toml does not say otherwise (relative to the project).
DEFAULT_PATHS = {
    "raw": "data/raw",
    "codebooks": "data/codebook",
    "commentary": "data/commentary",
    "editions": "data/editions",
    "synthetic": "data/synthetic",
    "report": "report",
}


class ProjectError(HakushoError):
    """No project, or a hakusho.toml that cannot be used."""

    exit_code = 2


class NoProjectError(ProjectError):
    """No hakusho.toml in the working directory or above it (and none named)."""


@dataclass(frozen=True)
class Project:
    """A located project: its root and its settings, with every path resolved."""

    root: Path
    name: str
    wave: str
    compare: tuple[str, ...]
    languages: tuple[str, ...]
    formats: tuple[str, ...]
    paths: dict[str, Path]

    @property
    def file(self) -> Path:
        return self.root / PROJECT_FILE

    @property
    def data_dir(self) -> Path:
        return self.root / "data"

    @property
    def raw_dir(self) -> Path:
        return self.paths["raw"]

    @property
    def codebook_dir(self) -> Path:
        return self.paths["codebooks"]

    @property
    def crosswalk_dir(self) -> Path:
        """One crosswalk per pair of waves: ``<earlier>-<later>.yml``."""
        return self.paths["codebooks"] / "crosswalk"

    @property
    def commentary_dir(self) -> Path:
        return self.paths["commentary"]

    @property
    def editions_dir(self) -> Path:
        return self.paths["editions"]

    @property
    def synthetic_dir(self) -> Path:
        return self.paths["synthetic"]

    @property
    def report_dir(self) -> Path:
        return self.paths["report"]

    @property
    def compare_wave(self) -> str:
        """The default comparison wave (the first of ``compare``), "" for none."""
        return self.compare[0] if self.compare else ""

    def compare_for(self, wave: str) -> str:
        """What an edition is compared with by default: hakusho.toml's ``compare`` for the
        project's edition, else the latest earlier wave with a codebook ("" when none)."""
        if wave == self.wave:
            return self.compare_wave
        earlier = sorted(p.stem for p in self.codebook_dir.glob("*.yml") if WAVE.match(p.stem) and p.stem < wave)
        return earlier[-1] if earlier else ""

    def codebook_path(self, wave: str) -> Path:
        return self.codebook_dir / f"{wave}.yml"

    def raw_wave_dir(self, wave: str) -> Path:
        return self.raw_dir / str(wave)

    def edition_dir(self, wave: str) -> Path:
        return self.editions_dir / str(wave)

    # -- defaults and overrides

    def resource(self, rel: str) -> Path:
        """The file a build uses for ``rel`` (``templates/html/cover.html.j2``): the project's
        own when it has one, else the package's default."""
        rel = _check_rel(rel)
        own = self.root / rel
        if own.is_file():
            return own
        default = default_path(rel)
        if default.is_file():
            return default
        raise ProjectError(Msg("project.no_file", rel=rel),
                           [Problem(Msg("project.missing"), file=rel,
                                    expected=Msg("project.expected.file", path=f"{self.root.name}/{rel}"))])

    def edition_file(self, name: str, wave: str | None = None) -> Path:
        """A file of an edition's content contract (``chapters.yml``, ``headlines.yml``,
        ``crosses.yml``): the edition's own in ``<editions>/<wave>/`` when it has one, else the
        project's ``spec/<name>``, else the package's."""
        own = self.edition_dir(wave or self.wave) / name
        return own if own.is_file() else self.resource(f"spec/{name}")

    def search_path(self, folder: str) -> list[Path]:
        """Folders to look up ``folder``'s files in, the project's first (for template loaders)."""
        folder = _check_rel(folder)
        dirs = [self.root / folder, default_path(folder)]
        return [d for d in dict.fromkeys(dirs) if d.is_dir()]

    def files(self, folder: str, pattern: str = "**/*") -> dict[str, Path]:
        """Every file under ``folder`` a build uses, by relative name (``html/cover.html.j2``):
        the package's defaults with the project's own files laid over them, sorted by name."""
        found: dict[str, Path] = {}
        for base in reversed(self.search_path(folder)):
            for path in sorted(base.glob(pattern)):
                rel = path.relative_to(base)
                if path.is_file() and not any(p.startswith(".") or p == "__pycache__" for p in rel.parts):
                    found[rel.as_posix()] = path
        return dict(sorted(found.items()))

    def overrides(self) -> dict[str, Path]:
        """The project's own files that replace a packaged default, by relative name."""
        out: dict[str, Path] = {}
        for folder in OVERRIDABLE:
            own = self.root / folder
            if own.is_dir() and own.resolve() != default_path(folder).resolve():
                for path in sorted(own.rglob("*")):
                    rel = path.relative_to(self.root)
                    if path.is_file() and not any(p.startswith(".") or p == "__pycache__" for p in rel.parts):
                        out[rel.as_posix()] = path
        return out


def _check_rel(rel: str) -> str:
    rel = str(rel).strip("/")
    if rel.split("/", 1)[0] not in OVERRIDABLE or ".." in rel.split("/"):
        raise ValueError(f"{rel!r} is not among the overridable defaults ({', '.join(OVERRIDABLE)})")
    return rel


def defaults_root() -> Path:
    """Where the shipped defaults (notebooks/, templates/) are: inside the installed package,
    or the top of the source checkout the package is imported from."""
    packaged = PACKAGE_DIR / "defaults"
    if (packaged / "notebooks").is_dir():
        return packaged
    checkout = PACKAGE_DIR.parents[1]
    if (checkout / "notebooks").is_dir() and (checkout / "templates").is_dir():
        return checkout
    raise ProjectError(Msg("project.no_defaults"))


def default_path(rel: str) -> Path:
    """The packaged default for a relative name such as ``spec/chapters.yml``."""
    rel = _check_rel(rel)
    top = rel.split("/", 1)[0]
    base = defaults_root() if top in SHIPPED_FOLDERS else PACKAGE_DIR
    return base / rel


def sample_root() -> Path:
    """The synthetic sample ``hakusho init --sample`` copies: the wheel's copy, or the checkout's
    own ``data/`` folder."""
    packaged = PACKAGE_DIR / "defaults" / "sample"
    if packaged.is_dir():
        return packaged
    checkout = PACKAGE_DIR.parents[1] / "data"
    if (checkout / "raw").is_dir() and (checkout / "codebook").is_dir():
        return checkout
    raise ProjectError(Msg("project.no_sample"))


# ------------------------------------------------------------------------------ reading hakusho.toml


def _problem(path: Path, key: str, value: Any, expected: str | Msg) -> Problem:
    return Problem(Msg("project.bad_setting"), file=path.name, column=key, value=value, expected=expected)


def _waves(value: Any) -> list[str] | None:
    if isinstance(value, str):
        items = [v.strip() for v in value.split(",") if v.strip()]
    elif isinstance(value, list):
        items = [str(v).strip() for v in value]
    else:
        return None
    return items if all(WAVE.match(w) for w in items) else None


def read_project(root: Path) -> Project:
    """Read ``root/hakusho.toml``; every unusable setting is listed with what was expected."""
    root = Path(root).absolute()
    path = root / PROJECT_FILE
    try:
        doc = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ProjectError(Msg("project.no_toml_in", file=PROJECT_FILE, path=root)) from None
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ProjectError(Msg("codebook.unreadable", path=path.name),
                           [Problem(Msg("project.bad_toml", detail=exc), file=str(path))]) from None
    problems: list[Problem] = []
    known = {"name", "wave", "compare", "languages", "formats", "paths"}
    for key in sorted(set(doc) - known):
        problems.append(Problem(Msg("project.unknown_setting"), file=path.name, column=key,
                                expected=", ".join(sorted(known))))
    name = doc.get("name", root.name)
    if not isinstance(name, str) or not name.strip():
        problems.append(_problem(path, "name", name, Msg("project.expected.name")))
    wave = str(doc.get("wave", ""))
    if not WAVE.match(wave):
        problems.append(_problem(path, "wave", doc.get("wave"), Msg("project.expected.wave")))
    compare = _waves(doc.get("compare", []))
    if compare is None:
        problems.append(_problem(path, "compare", doc.get("compare"), Msg("project.expected.compare")))
    elif wave in compare:
        problems.append(_problem(path, "compare", doc.get("compare"), Msg("project.expected.other_waves", wave=wave)))
    settings: dict[str, tuple[str, ...]] = {}
    for key, valid, default in (("languages", LANGS, LANGS), ("formats", FORMATS, DEFAULT_FORMATS)):
        value = doc.get(key, list(default))
        if not isinstance(value, list) or not value or any(v not in valid for v in value):
            problems.append(_problem(path, key, value, Msg("project.expected.list", valid=", ".join(valid))))
            value = list(default)
        settings[key] = tuple(v for v in valid if v in value)
    paths: dict[str, Path] = {}
    given = doc.get("paths", {})
    if not isinstance(given, dict):
        problems.append(_problem(path, "paths", given, Msg("project.expected.paths", valid=", ".join(DEFAULT_PATHS))))
        given = {}
    for key in sorted(set(given) - set(DEFAULT_PATHS)):
        problems.append(Problem(Msg("project.unknown_folder"), file=path.name, column=f"paths.{key}",
                                expected=", ".join(DEFAULT_PATHS)))
    for key, default in DEFAULT_PATHS.items():
        value = given.get(key, default)
        if not isinstance(value, str) or not value.strip():
            problems.append(_problem(path, f"paths.{key}", value, Msg("project.expected.folder")))
            value = default
        paths[key] = (root / value).absolute() if not Path(value).is_absolute() else Path(value)
    if problems:
        raise ProjectError(Msg("project.unusable", name=path.name, path=root), problems)
    return Project(root=root, name=str(name).strip(), wave=wave, compare=tuple(compare or ()),
                   languages=settings["languages"], formats=settings["formats"], paths=paths)


def find_root(start: Path) -> Path | None:
    """The nearest folder at or above ``start`` holding hakusho.toml, or None."""
    start = Path(start).absolute()
    for folder in (start, *start.parents):
        if (folder / PROJECT_FILE).is_file():
            return folder
    return None


_located: dict[tuple[str, str], Project] = {}


def current() -> Project:
    """The project this process works on (see the module docstring for how it is found)."""
    given = os.environ.get(PROJECT_ENV) or os.environ.get(LEGACY_ENV) or ""
    try:
        cwd = os.getcwd()
    except FileNotFoundError:  # the working directory was removed under us
        cwd = ""
    key = (given, "" if given else cwd)
    if key not in _located:
        if given:
            root = Path(given).absolute()
            if not (root / PROJECT_FILE).is_file():
                raise ProjectError(Msg("project.not_a_project", path=given, file=PROJECT_FILE),
                                   [Problem(Msg("project.no_project_file"), file=str(root / PROJECT_FILE),
                                            expected=Msg("project.expected.init"))])
        else:
            found = find_root(Path(cwd)) if cwd else None
            if found is None:
                raise NoProjectError(Msg("project.none_here", file=PROJECT_FILE, path=cwd) if cwd
                                     else Msg("project.none_in_cwd", file=PROJECT_FILE))
            root = found
        _located[key] = read_project(root)
    return _located[key]


def resource(rel: str) -> Path:
    """The file used for a default such as ``locale/en/LC_MESSAGES/report.po``: the current
    project's own when there is a project and it has one, else the package's (commands such as
    ``hakusho kpi`` also run outside any project)."""
    try:
        return current().resource(rel)
    except NoProjectError:
        return default_path(rel)


def edition_file(name: str, wave: str | None = None) -> Path:
    """:meth:`Project.edition_file` of the current project; the package's file outside any."""
    try:
        return current().edition_file(name, wave)
    except NoProjectError:
        return default_path(f"spec/{name}")


def use(root: Path) -> Project:
    """Work on the project at ``root`` from now on, here and in every process started from here."""
    root = Path(root).absolute()
    if not (root / PROJECT_FILE).is_file():
        raise ProjectError(Msg("project.option_not_a_project", path=root, file=PROJECT_FILE),
                           [Problem(Msg("project.no_project_file"), file=str(root / PROJECT_FILE),
                                    expected=Msg("project.expected.init"))])
    os.environ[PROJECT_ENV] = str(root)
    return current()
