"""Content-hash cache keys, and the folder of cached stage outputs they index.

A stage's output is reused only when the sha256 of everything it depends on is unchanged: file
*contents*, never timestamps, so a fresh checkout, a ``touch`` or a copied tree hits the cache as
long as the bytes are the same, and an edit that keeps the mtime still misses it.

What each stage depends on is declared here, in one place:

* a chapter: its notebook, its parameters, the raw data of the waves it reads, the codebooks
  (with the crosswalk), the part of the ``hakusho`` package a notebook runs — everything but
  what only the renderers read (:data:`ASSEMBLY_ONLY_PACKAGE_FILES`) — and the versions of the
  libraries that draw and compute;
* an assembly (one language × format): the chapter outputs, ``survey.json``, the templates, the
  editors' commentary, the whole package (renderers and every catalog) and the build date;
* validation: the raw data, the codebooks, the chapters' part of the package and the filters.

So a template, a message catalog of the report, a renderer, the view model or the text stage
re-renders the report from the cached chapters, while an edit of the survey, analysis or charts
stage (or of the build folder's writer, or of how a notebook is run) executes them again.

Keys are hex digests of canonical JSON, so a key can be recomputed and compared in a test.
Computing them imports nothing heavier than ``hashlib`` and ``json``: a no-op rebuild decides it
has nothing to do without loading pandas.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import sys
import tempfile
from collections.abc import Iterable, Mapping
from fnmatch import fnmatch
from functools import cache
from pathlib import Path
from typing import Any

from hakusho import content_store

CACHE_FORMAT = 1
CACHE_DIR_NAME = ".hakusho-cache"

# Package files no notebook reads (paths relative to the package): the renderers and the view
# model, the text stage's prose and commentary, the KPI tools of the glossary, the build's own
# planning and assembly, the headline rules and the renderers' message catalogs. Editing one
# re-renders the report but keeps every executed chapter. Anything not listed counts for both,
# which can only cost a needless re-execution, never a stale chapter; tests/test_cache.py checks
# that nothing a notebook imports, however late, is listed here.
ASSEMBLY_ONLY_PACKAGE_FILES = (
    "cli.py",
    "render/*",
    "text/prose.py", "text/commentary.py", "text/commentary_lint.py", "text/figure_diff.py", "text/glossary.py",
    "kpi/*",
    "pipeline/assemble.py", "pipeline/build.py", "pipeline/options.py", "pipeline/plan.py",
    "pipeline/progress.py", "pipeline/render_pool.py", "pipeline/verify.py",
    "spec/headlines.yml",
    "locale/*/LC_MESSAGES/report.po", "locale/*/LC_MESSAGES/commentary.po", "locale/*/LC_MESSAGES/kpi.po",
)

# Libraries whose version changes what a chapter computes or draws, or how a notebook is run.
CHAPTER_LIBRARIES = ("numpy", "pandas", "scipy", "matplotlib", "seaborn", "matplotlib-fontja",
                     "pydantic", "pyyaml", "babel", "papermill", "nbclient", "nbformat", "ipykernel")
# Libraries of the assembly stage (added to the chapter libraries).
ASSEMBLY_LIBRARIES = ("jinja2", "markdown-it-py", "typst", "playwright")

# Kinds of the content store (:mod:`hakusho.content_store`) hold one file per entry and many
# entries per build (a chart per language, a font subset per page): how many of each are kept.
FILE_ENTRIES_KEPT = {"charts": 4000, "fonts": 200}

_SKIP_PARTS = {"__pycache__", ".ipynb_checkpoints", ".DS_Store", ".pytest_cache"}
_SKIP_SUFFIXES = (".pyc", ".pyo", ".swp", "~")


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def sha256_file(path: Path) -> str:
    """Hex sha256 of a file's bytes (read in blocks: raw exports can be large), remembered while
    the file is unchanged (:func:`hakusho.content_store.file_digest`)."""
    return content_store.file_digest(path)


def canonical_json(obj: Any) -> str:
    """One text for one value: sorted keys, no whitespace variation, UTF-8 kept readable."""
    return json.dumps(obj, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)


def digest(obj: Any) -> str:
    """The key of a JSON-able description of a stage's inputs."""
    return sha256_bytes(canonical_json(obj).encode("utf-8"))


def tree_files(root: Path, *, exclude: Iterable[str] = ()) -> list[tuple[str, Path]]:
    """Files under ``root`` as (posix path relative to root, path), sorted by relative path.

    Editor droppings and bytecode are skipped; ``exclude`` holds fnmatch patterns on the relative
    path. A missing root is an empty tree (an optional input that is absent).
    """
    if root.is_file():
        return [(root.name, root)]
    if not root.is_dir():
        return []
    patterns = tuple(exclude)
    found = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if d not in _SKIP_PARTS)
        for name in filenames:
            if name in _SKIP_PARTS or name.endswith(_SKIP_SUFFIXES):
                continue
            path = Path(dirpath) / name
            rel = path.relative_to(root).as_posix()
            if any(fnmatch(rel, p) for p in patterns):
                continue
            found.append((rel, path))
    return sorted(found)


def tree_hashes(root: Path, *, prefix: str = "", exclude: Iterable[str] = ()) -> dict[str, str]:
    """{prefix + relative path: sha256} of every file of a tree (see :func:`tree_files`)."""
    return {prefix + rel: sha256_file(path) for rel, path in tree_files(root, exclude=exclude)}


@cache
def _installed() -> dict[str, str]:
    """Normalised distribution name → version, from the ``*.dist-info`` folder names on
    sys.path (one directory listing each: a no-op rebuild cannot afford importlib.metadata)."""
    found: dict[str, str] = {}
    for entry in sys.path:
        try:
            names = os.listdir(entry or ".")
        except OSError:
            continue
        for name in names:
            if name.endswith(".dist-info") and name.count("-") >= 1:
                dist, version = name[: -len(".dist-info")].rsplit("-", 1)
                found.setdefault(_normalise(dist), version)
    return found


def _normalise(name: str) -> str:
    return name.lower().replace("_", "-").replace(".", "-")


def library_versions(names: Iterable[str]) -> dict[str, str]:
    """Installed versions (``"-"`` when absent), read without importing the libraries."""
    out = {"python": sys.version.split()[0]}
    installed = _installed()
    for name in names:
        version = installed.get(_normalise(name))
        if version is None:
            from importlib import metadata

            try:
                version = metadata.version(name)
            except metadata.PackageNotFoundError:
                version = "-"
        out[name] = version
    return out


@cache
def chapter_library_versions() -> dict[str, str]:
    return library_versions(CHAPTER_LIBRARIES)


@cache
def assembly_library_versions() -> dict[str, str]:
    return library_versions(CHAPTER_LIBRARIES + ASSEMBLY_LIBRARIES)


def is_assembly_only(rel: str) -> bool:
    """Whether a package file (path relative to the package) feeds only the assembly stage."""
    return any(fnmatch(rel, p) for p in ASSEMBLY_ONLY_PACKAGE_FILES)


class Cache:
    """Cached stage outputs: ``<root>/<kind>/<key>/`` holds one output folder.

    Entries appear atomically (written under a temporary name, then renamed), so a build killed
    while storing leaves no half entry. Restoring copies files rather than linking them: a
    published report edited in place must not corrupt the cache behind it.
    """

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def entry(self, kind: str, key: str) -> Path:
        return self.root / kind / key

    def get(self, kind: str, key: str) -> Path | None:
        """The entry's folder when cached (and marks it used, for pruning)."""
        path = self.entry(kind, key)
        if not path.is_dir():
            return None
        with contextlib.suppress(OSError):
            os.utime(path)
        return path

    def put(self, kind: str, key: str, source: Path) -> Path:
        """Store a copy of the folder ``source`` under ``key`` (no-op if already cached)."""
        final = self.entry(kind, key)
        if final.is_dir():
            return final
        final.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".tmp-{key[:12]}-", dir=final.parent))
        try:
            shutil.copytree(source, tmp, dirs_exist_ok=True)
            os.replace(tmp, final)
        except OSError:
            shutil.rmtree(tmp, ignore_errors=True)
            if not final.is_dir():
                raise
        return final

    def mark(self, kind: str, key: str, payload: Mapping[str, Any] | None = None) -> None:
        """Record that a check with this key passed (an entry holding one small JSON file)."""
        final = self.entry(kind, key)
        if final.is_dir():
            return
        final.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".tmp-{key[:12]}-", dir=final.parent))
        (tmp / "ok.json").write_text(canonical_json(dict(payload or {})), encoding="utf-8")
        try:
            os.replace(tmp, final)
        except OSError:
            shutil.rmtree(tmp, ignore_errors=True)

    def prune(self, keep: int = 48) -> int:
        """Drop all but the ``keep`` most recently used entries of each kind, and stale temp
        folders; returns how many entries were removed. Use times only order eviction: they
        never decide whether an entry is valid."""
        removed = 0
        if not self.root.is_dir():
            return 0
        for kind_dir in sorted(p for p in self.root.iterdir() if p.is_dir()):
            entries = []
            limit = FILE_ENTRIES_KEPT.get(kind_dir.name, keep)
            for p in kind_dir.iterdir():
                if p.name.startswith(".tmp-"):
                    if _abandoned(p):
                        _remove(p)
                    continue
                try:
                    entries.append((p.stat().st_mtime, p.name, p))
                except OSError:
                    continue
            entries.sort(reverse=True)
            for _, _, p in entries[limit:]:
                # Renamed out of the index first: a prune killed half-way leaves a temporary
                # folder (removed later), never a half-deleted entry that a build would reuse.
                doomed = p.with_name(f".tmp-pruned-{p.name}")
                try:
                    os.rename(p, doomed)
                except OSError:
                    continue
                _remove(doomed)
                removed += 1
        return removed


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        with contextlib.suppress(OSError):
            path.unlink()


def _abandoned(path: Path, *, grace_seconds: float = 3600) -> bool:
    """Whether a temporary cache folder is old enough to be an abandoned write."""
    import time

    try:
        return time.time() - path.stat().st_mtime > grace_seconds
    except OSError:
        return False


def cache_dir_for(target: Path) -> Path:
    """The cache next to an output folder: ``report/2025`` → ``report/.hakusho-cache``."""
    return Path(target).parent / CACHE_DIR_NAME
